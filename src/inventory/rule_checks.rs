//! What a claim rule means for the migration: does it ask for MFA, which MFA provider does
//! it pick, does it match one of the templates Entra can take over as is, which of the
//! AD FS application activity report's rule codes apply, is a claim type misspelled with
//! `https://`, and — for one user's SIDs — does its condition match.
//!
//! Sources, cited where a fact decides a classification:
//! - the four MFA templates, "permit all" / "permit a group" and "LDAP claims":
//!   `AzureAD/Deployment-Plans`, "ADFS to AzureAD App Migration/ADFSAADMigratonUtils.psm1";
//! - the rule codes: `MicrosoftDocs/entra-docs`, `migrate-adfs-application-activity.md`;
//! - `authnmethodsproviders` routing: `how-to-migrate-mfa-server-to-mfa-with-federation.md`.

use serde::Serialize;

use super::claims::{Action, ClaimRule, Condition, Field, Op, ParsedRule, RuleBody, Test};

pub const AUTHENTICATION_METHOD: &str =
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod";
pub const MULTIPLE_AUTHN: &str = "http://schemas.microsoft.com/claims/multipleauthn";
pub const AUTHN_METHODS_PROVIDERS: &str =
    "http://schemas.microsoft.com/claims/authnmethodsproviders";
pub const AUTHN_METHODS_REFERENCES: &str =
    "http://schemas.microsoft.com/claims/authnmethodsreferences";
pub const GROUP_SID: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid";
pub const PRIMARY_SID: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid";
pub const IS_REGISTERED_USER: &str =
    "http://schemas.microsoft.com/2012/01/devicecontext/claims/isregistereduser";
pub const INSIDE_CORPORATE_NETWORK: &str =
    "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork";
pub const PERMIT: &str = "http://schemas.microsoft.com/authorization/claims/permit";

/// Claim types Entra issues itself and will not take from a rule (its SAML "restricted
/// claim set", entra-docs `reference-claims-mapping-policy-type.md`): a rule issuing one
/// gets `RESTRICTED_CLAIM_ISSUED`.
const RESTRICTED: [&str; 6] = [
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant",
    AUTHENTICATION_METHOD,
    AUTHN_METHODS_REFERENCES,
    "http://schemas.microsoft.com/identity/claims/identityprovider",
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "http://schemas.microsoft.com/identity/claims/tenantid",
];

/// Whether a rule asks for MFA: it issues `authenticationmethod` =
/// `multipleauthn` (AD FS compares claim types and values exactly).
pub fn requires_mfa(rule: &ParsedRule) -> bool {
    rule.action == Action::Issue
        && rule.issuance.claim_type() == Some(AUTHENTICATION_METHOD)
        && rule.issuance.value() == Some(MULTIPLE_AUTHN)
}

/// The provider a routing rule picks (AD FS 2019: `authnmethodsproviders`), if any.
pub fn routed_provider(rule: &ParsedRule) -> Option<&str> {
    (rule.action == Action::Issue && rule.issuance.claim_type() == Some(AUTHN_METHODS_PROVIDERS))
        .then(|| rule.issuance.value())
        .flatten()
}

/// Claim types and values written with `https://` where AD FS's own are `http://`
/// (one published version of the migration guide printed them so). AD FS compares
/// exactly, so a rule holding one never fires.
pub fn https_typos(rule: &ParsedRule) -> Vec<String> {
    let mut found = Vec::new();
    let mut check = |s: &str| {
        let lower = s.to_ascii_lowercase();
        if (lower.starts_with("https://schemas.microsoft.com/")
            || lower.starts_with("https://schemas.xmlsoap.org/"))
            && !found.iter().any(|f: &String| f == s)
        {
            found.push(s.to_string());
        }
    };
    for c in &rule.conditions {
        for t in c.tests() {
            if t.field == Field::Type || t.field == Field::Value {
                check(&t.value);
            }
        }
    }
    for ty in rule.issuance.issued_types() {
        check(ty);
    }
    if let Some(v) = rule.issuance.value() {
        check(v);
    }
    found
}

/// The MFA templates Entra Conditional Access can reproduce as is: one condition on
/// `primarysid`, `groupsid`, `isregistereduser == "false"` or `insidecorporatenetwork ==
/// "false"` that issues `multipleauthn`.
pub fn mfa_template(rule: &ParsedRule) -> Option<&'static str> {
    if !requires_mfa(rule) {
        return None;
    }
    let [Condition::Claim { tests, .. }] = rule.conditions.as_slice() else {
        return None;
    };
    let ty = type_eq(tests)?;
    let value = tests
        .iter()
        .find(|t| t.field == Field::Value && t.op == Op::Eq)
        .map(|t| t.value.as_str());
    match (ty, value) {
        (PRIMARY_SID, Some(_)) => Some("MFA for a user"),
        (GROUP_SID, Some(_)) => Some("MFA for a group"),
        (IS_REGISTERED_USER, Some(v)) if v.eq_ignore_ascii_case("false") => {
            Some("MFA for unregistered devices")
        }
        (INSIDE_CORPORATE_NETWORK, Some(v)) if v.eq_ignore_ascii_case("false") => {
            Some("MFA for extranet")
        }
        _ => None,
    }
}

/// "Permit all" (no condition, issues permit) or "permit a group" (one `groupsid`
/// condition, issues permit).
pub fn authorization_template(rule: &ParsedRule) -> Option<&'static str> {
    if rule.action != Action::Issue || rule.issuance.claim_type() != Some(PERMIT) {
        return None;
    }
    match rule.conditions.as_slice() {
        [] => Some("Permit all"),
        [Condition::Claim { tests, .. }] if type_eq(tests) == Some(GROUP_SID) => {
            Some("Permit a group")
        }
        _ => None,
    }
}

/// "Send LDAP attributes as claims": one condition on a claim issued by `AD AUTHORITY`,
/// an `issue` from the `Active Directory` store.
pub fn is_ldap_claims(rule: &ParsedRule) -> bool {
    rule.action == Action::Issue
        && rule
            .issuance
            .store()
            .is_some_and(|s| s.eq_ignore_ascii_case("Active Directory"))
        && matches!(rule.conditions.as_slice(), [Condition::Claim { tests, .. }]
            if tests.iter().any(|t| t.field == Field::Issuer && t.value.eq_ignore_ascii_case("AD AUTHORITY")))
}

fn type_eq(tests: &[Test]) -> Option<&str> {
    tests
        .iter()
        .find(|t| t.field == Field::Type && t.op == Op::Eq)
        .map(|t| t.value.as_str())
}

/// The AD FS application activity report's claim-rule codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleCode {
    /// A regular expression in a condition.
    UnsupportedConditionParameter,
    /// More than one condition.
    UnsupportedConditionClass,
    /// The rule could not be recognised.
    UnsupportedRuleType,
    /// A condition on an issuer other than Active Directory.
    ConditionMatchesUnsupportedIssuer,
    /// An aggregate function (`exists`, `NOT EXISTS`, `count`).
    UnsupportedConditionFunction,
    /// Issues a claim Entra restricts.
    RestrictedClaimIssued,
    /// Queries an attribute store other than Active Directory.
    ExternalAttributeStore,
    /// `add` instead of `issue`.
    UnsupportedIssuanceClass,
    /// A regular-expression transform of the value (`RegexReplace`).
    UnsupportedIssuanceTransformation,
}

impl RuleCode {
    pub fn name(self) -> &'static str {
        match self {
            RuleCode::UnsupportedConditionParameter => "UNSUPPORTED_CONDITION_PARAMETER",
            RuleCode::UnsupportedConditionClass => "UNSUPPORTED_CONDITION_CLASS",
            RuleCode::UnsupportedRuleType => "UNSUPPORTED_RULE_TYPE",
            RuleCode::ConditionMatchesUnsupportedIssuer => "CONDITION_MATCHES_UNSUPPORTED_ISSUER",
            RuleCode::UnsupportedConditionFunction => "UNSUPPORTED_CONDITION_FUNCTION",
            RuleCode::RestrictedClaimIssued => "RESTRICTED_CLAIM_ISSUED",
            RuleCode::ExternalAttributeStore => "EXTERNAL_ATTRIBUTE_STORE",
            RuleCode::UnsupportedIssuanceClass => "UNSUPPORTED_ISSUANCE_CLASS",
            RuleCode::UnsupportedIssuanceTransformation => "UNSUPPORTED_ISSUANCE_TRANSFORMATION",
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            RuleCode::UnsupportedConditionParameter => "a regular expression in a condition",
            RuleCode::UnsupportedConditionClass => "several conditions",
            RuleCode::UnsupportedRuleType => "a rule that could not be recognised",
            RuleCode::ConditionMatchesUnsupportedIssuer => "an issuer other than Active Directory",
            RuleCode::UnsupportedConditionFunction => "an aggregate function",
            RuleCode::RestrictedClaimIssued => "a claim Entra restricts",
            RuleCode::ExternalAttributeStore => "an attribute store other than Active Directory",
            RuleCode::UnsupportedIssuanceClass => "'add' instead of 'issue'",
            RuleCode::UnsupportedIssuanceTransformation => "a regular-expression transform",
        }
    }
}

/// The report's codes for one rule (an unparsed rule is `UNSUPPORTED_RULE_TYPE`).
pub fn rule_codes(rule: &ClaimRule) -> Vec<RuleCode> {
    let p = match &rule.body {
        RuleBody::Parsed(p) => p,
        RuleBody::Unparsed(_) => return vec![RuleCode::UnsupportedRuleType],
    };
    let mut codes = Vec::new();
    let tests = || p.conditions.iter().flat_map(Condition::tests);
    if tests().any(|t| t.op.is_regex()) {
        codes.push(RuleCode::UnsupportedConditionParameter);
    }
    if p.conditions.len() > 1 {
        codes.push(RuleCode::UnsupportedConditionClass);
    }
    if tests().any(|t| {
        matches!(t.field, Field::Issuer | Field::OriginalIssuer)
            && !["AD AUTHORITY", "LOCAL AUTHORITY", "SELF AUTHORITY"]
                .iter()
                .any(|ok| t.value.eq_ignore_ascii_case(ok) || t.value.contains(ok))
    }) {
        codes.push(RuleCode::ConditionMatchesUnsupportedIssuer);
    }
    if p.conditions.iter().any(Condition::is_aggregate) {
        codes.push(RuleCode::UnsupportedConditionFunction);
    }
    if p.issuance
        .issued_types()
        .iter()
        .any(|t| RESTRICTED.iter().any(|r| r.eq_ignore_ascii_case(t)))
    {
        codes.push(RuleCode::RestrictedClaimIssued);
    }
    if p.issuance
        .store()
        .is_some_and(|s| !s.eq_ignore_ascii_case("Active Directory"))
    {
        codes.push(RuleCode::ExternalAttributeStore);
    }
    if p.action == Action::Add {
        codes.push(RuleCode::UnsupportedIssuanceClass);
    }
    if p.issuance.uses_regex_replace() {
        codes.push(RuleCode::UnsupportedIssuanceTransformation);
    }
    codes
}

// ---------------------------------------------------------------------------------------
// Evaluation for one user
// ---------------------------------------------------------------------------------------

/// Three-valued truth: a condition on the network location or the device cannot be
/// decided from an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    Yes,
    No,
    Depends,
}

impl Tri {
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Depends,
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Depends => Tri::Depends,
        }
    }
}

/// Who signs in, as far as the rules can test it: the SIDs of the user and their groups,
/// when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    pub sids: Option<Vec<String>>,
}

/// Whether a rule's conditions match for `subject`.
pub fn matches(rule: &ParsedRule, subject: &Subject) -> Tri {
    rule.conditions
        .iter()
        .fold(Tri::Yes, |acc, c| acc.and(condition(c, subject)))
}

fn condition(c: &Condition, subject: &Subject) -> Tri {
    match c {
        Condition::Claim { tests, .. } => some_claim(tests, subject),
        Condition::Exists { negated, tests } => {
            let t = some_claim(tests, subject);
            if *negated { t.not() } else { t }
        }
        Condition::Count { .. } => Tri::Depends,
    }
}

/// Whether some incoming claim passes every test. Only SID claims are known (from the
/// subject); an empty condition matches because a signed-in user always has claims.
fn some_claim(tests: &[Test], subject: &Subject) -> Tri {
    if tests.is_empty() {
        return Tri::Yes;
    }
    let types: Vec<&Test> = tests.iter().filter(|t| t.field == Field::Type).collect();
    let is_sid_type = |ty: &str| ty == GROUP_SID || ty == PRIMARY_SID;
    let sid_claim = !types.is_empty()
        && types
            .iter()
            .all(|t| t.op == Op::Eq && is_sid_type(&t.value));
    if !sid_claim {
        return Tri::Depends;
    }
    let Some(sids) = &subject.sids else {
        return Tri::Depends;
    };
    let mut any_depends = false;
    for sid in sids {
        let mut all = Tri::Yes;
        for t in tests.iter().filter(|t| t.field == Field::Value) {
            all = all.and(value_test(t, sid));
        }
        match all {
            Tri::Yes => return Tri::Yes,
            Tri::Depends => any_depends = true,
            Tri::No => {}
        }
    }
    if any_depends { Tri::Depends } else { Tri::No }
}

fn value_test(t: &Test, value: &str) -> Tri {
    let hit = match t.op {
        Op::Eq | Op::Ne => Some(t.value.eq_ignore_ascii_case(value)),
        Op::Matches | Op::NotMatches => regex::Regex::new(&t.value).ok().map(|r| r.is_match(value)),
    };
    match (hit, t.op) {
        (None, _) => Tri::Depends,
        (Some(h), Op::Eq | Op::Matches) => {
            if h {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        (Some(h), _) => {
            if h {
                Tri::No
            } else {
                Tri::Yes
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::claims::RuleSet;

    fn one(text: &str) -> ParsedRule {
        RuleSet::parse(text)
            .parsed()
            .next()
            .map(|(_, p)| p.clone())
            .expect("parses")
    }

    fn rule(text: &str) -> ClaimRule {
        RuleSet::parse(text)
            .rules
            .into_iter()
            .next()
            .expect("a rule")
    }

    #[test]
    fn extranet_mfa_is_a_template() {
        let r = one(&format!(
            "c:[Type == \"{INSIDE_CORPORATE_NETWORK}\", Value == \"false\"] => issue(Type = \"{AUTHENTICATION_METHOD}\", Value = \"{MULTIPLE_AUTHN}\");"
        ));
        assert!(requires_mfa(&r));
        assert_eq!(mfa_template(&r), Some("MFA for extranet"));
    }

    #[test]
    fn https_claim_types_are_flagged() {
        let r = one(
            "c:[Type == \"https://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid\", Value == \"S-1\"] => issue(Type = \"https://schemas.microsoft.com/claims/authnmethodsproviders\", Value = \"AzureMfaAuthentication\");",
        );
        assert_eq!(https_typos(&r).len(), 2);
        assert_eq!(routed_provider(&r), None, "AD FS never matches it either");
    }

    #[test]
    fn activity_report_codes() {
        let r = rule(
            "c1:[Type == \"a\", Issuer == \"SomeIdP\"] && c2:[Type =~ \"^b\"] => add(store = \"SQL HR\", types = (\"http://schemas.microsoft.com/identity/claims/tenantid\"), query = \"x\", param = c1.Value);",
        );
        assert_eq!(
            rule_codes(&r),
            vec![
                RuleCode::UnsupportedConditionParameter,
                RuleCode::UnsupportedConditionClass,
                RuleCode::ConditionMatchesUnsupportedIssuer,
                RuleCode::RestrictedClaimIssued,
                RuleCode::ExternalAttributeStore,
                RuleCode::UnsupportedIssuanceClass,
            ]
        );
        let agg = rule(
            "NOT EXISTS([Type == \"a\"]) => issue(Type = \"b\", Value = RegexReplace(\"x\", \"y\", \"z\"));",
        );
        assert_eq!(
            rule_codes(&agg),
            vec![
                RuleCode::UnsupportedConditionFunction,
                RuleCode::UnsupportedIssuanceTransformation
            ]
        );
        assert_eq!(
            rule_codes(&rule("garbage;")),
            vec![RuleCode::UnsupportedRuleType]
        );
    }

    #[test]
    fn group_conditions_evaluate_for_a_subject() {
        let inside = one(&format!(
            "c:[Type == \"{GROUP_SID}\", Value == \"S-1-5-21-9-1500\"] => issue(Type = \"{AUTHN_METHODS_PROVIDERS}\", Value = \"AzureMfaAuthentication\");"
        ));
        let outside = one(&format!(
            "NOT EXISTS([Type == \"{GROUP_SID}\", Value == \"S-1-5-21-9-1500\"]) => issue(Type = \"{AUTHN_METHODS_PROVIDERS}\", Value = \"AzureMfaServerAuthentication\");"
        ));
        let member = Subject {
            sids: Some(vec!["S-1-5-21-9-1100".into(), "S-1-5-21-9-1500".into()]),
        };
        let other = Subject {
            sids: Some(vec!["S-1-5-21-9-1100".into()]),
        };
        assert_eq!(matches(&inside, &member), Tri::Yes);
        assert_eq!(matches(&outside, &member), Tri::No);
        assert_eq!(matches(&inside, &other), Tri::No);
        assert_eq!(matches(&outside, &other), Tri::Yes);
        assert_eq!(matches(&inside, &Subject::default()), Tri::Depends);
        let regex = one(&format!(
            "c:[Type == \"{GROUP_SID}\", Value =~ \"-15\\d\\d$\"] => issue(Type = \"x\", Value = \"y\");"
        ));
        assert_eq!(matches(&regex, &member), Tri::Yes);
        let extranet = one(&format!(
            "c:[Type == \"{INSIDE_CORPORATE_NETWORK}\", Value == \"false\"] => issue(Type = \"x\", Value = \"y\");"
        ));
        assert_eq!(matches(&extranet, &member), Tri::Depends);
    }

    #[test]
    fn authorization_and_ldap_templates() {
        let all = one(&format!("=> issue(Type = \"{PERMIT}\", Value = \"true\");"));
        assert_eq!(authorization_template(&all), Some("Permit all"));
        let ldap = one(
            "c:[Type == \"http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname\", Issuer == \"AD AUTHORITY\"] => issue(store = \"Active Directory\", types = (\"http://x/upn\"), query = \";userPrincipalName;{0}\", param = c.Value);",
        );
        assert!(is_ldap_claims(&ldap));
    }
}
