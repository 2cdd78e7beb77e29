//! Preflight, pure: what the current sign-in can do (delegated or app-only, its roles
//! and scopes), the authentication methods policy against the methods MFA Server users
//! actually use and MFA Server's company settings, and the users whose methods cannot be
//! migrated in this cloud or with this sign-in. Facts in, [`Finding`]s out.
//!
//! The methods table is the MFA Server migration guide's "MFA methods" table
//! (azure-docs how-to-mfa-server-migration-utility.md): phone call (PIN) → enable voice
//! OTP; mobile app (PIN) → number matching; text message (OTP, OTP + PIN) → no action
//! beyond SMS enabled; OATH tokens → OATH enabled. "Users can't try their newly migrated
//! MFA methods unless they're enabled" (same page).

use serde::Serialize;

use crate::capability::{Capabilities, Capability};
use crate::cloud::Cloud;
use crate::datafile::{
    DataSet, MfaMethod, MobileAppMode, ParseName, PhoneCallMode, TextMessageMode,
};
use crate::finding::{Finding, FindingSubject};
use crate::graph::Identity;
use crate::graph::identity::TokenKind;
use crate::graph::model::{MethodState, MethodsPolicy};

use super::rules::Rule;
use super::text;

// ---------------------------------------------------------------------------------
// The sign-in's capabilities
// ---------------------------------------------------------------------------------

/// The capabilities of the sign-in as preflight findings (PRE-ACCESS), one each: what it
/// can do, what it may (the token does not show its roles), and what it cannot with the
/// reason and the fix. The verdicts are [`crate::capability`]'s, the one place that reads
/// them from the token.
pub fn access_findings(caps: &Capabilities, identity: &Identity) -> Vec<Finding> {
    let who = format!(
        "{} sign-in as {}",
        match identity.kind {
            TokenKind::Delegated => "delegated",
            TokenKind::AppOnly => "app-only",
        },
        crate::safe_text::terminal(&identity.account)
    );
    let rows: [(&str, &Capability); 5] = [
        ("migrate users' methods", &caps.write_methods),
        ("read the authentication methods policy", &caps.read_policy),
        ("manage Staged Rollout for MFA", &caps.manage_rollout),
        ("change federatedIdpMfaBehavior", &caps.manage_federation),
        ("record changes in the state store", &caps.write_store),
    ];
    rows.into_iter()
        .map(|(what, c)| match c {
            Capability::Available => Finding::info(
                Rule::Access,
                FindingSubject::Tenant,
                format!("can {what} ({who})"),
            ),
            Capability::Unverified { note } => Finding::warning(
                Rule::Access,
                FindingSubject::Tenant,
                format!("may {what}: {note}"),
            ),
            Capability::Unavailable { reason, fix } => Finding::blocking(
                Rule::Access,
                FindingSubject::Tenant,
                format!("cannot {what}: {reason}"),
            )
            .with_fix(fix.clone()),
        })
        .collect()
}

/// The refusal a Staged Rollout service gives before any Graph call: an app-only
/// sign-in (every featureRolloutPolicy page: "Application: Not supported"), the China
/// cloud, or missing permissions or roles.
pub fn require_staged_rollout(caps: &Capabilities) -> Option<Finding> {
    match &caps.manage_rollout {
        Capability::Unavailable { reason, fix } => Some(
            Finding::blocking(
                Rule::Access,
                FindingSubject::Tenant,
                format!("cannot manage Staged Rollout: {reason}"),
            )
            .with_fix(fix.clone()),
        ),
        _ => None,
    }
}

/// The refusal a federation service gives before any Graph call.
pub fn require_federation(caps: &Capabilities) -> Option<Finding> {
    match &caps.manage_federation {
        Capability::Unavailable { reason, fix } => Some(
            Finding::blocking(
                Rule::Access,
                FindingSubject::Tenant,
                format!("cannot change the federation setting: {reason}"),
            )
            .with_fix(fix.clone()),
        ),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------
// What MFA Server users use
// ---------------------------------------------------------------------------------

/// MFA Server's company-wide defaults (Company Settings, General tab), as far as the data
/// file carries them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CompanyDefaults {
    pub default_method: Option<MfaMethod>,
    pub phone_call_mode: Option<PhoneCallMode>,
    pub text_message_mode: Option<TextMessageMode>,
    pub mobile_app_mode: Option<MobileAppMode>,
}

/// How many MFA Server users use what, from the data file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MfaServerUsage {
    pub users: u64,
    /// Default method phone call.
    pub phone_call: u64,
    /// … with a PIN (the user's mode, else the company default).
    pub phone_call_pin: u64,
    pub text_message: u64,
    pub mobile_app: u64,
    pub mobile_app_pin: u64,
    pub oath_token: u64,
    /// Users with a phone or a backup phone.
    pub with_phone: u64,
    /// Users with mobile app registrations (Graph cannot create them: re-registration).
    pub with_app: u64,
    /// Users with hardware OATH tokens.
    pub with_token: u64,
    /// Users whose default method no input carries and no company default names.
    pub default_unknown: u64,
    pub company: CompanyDefaults,
}

impl MfaServerUsage {
    /// Count from the data file (in memory; no I/O).
    pub fn from_dataset(set: &DataSet) -> MfaServerUsage {
        let mut u = MfaServerUsage::default();
        if let Some(s) = set.settings.as_ref().known() {
            let get = |k: &str| s.company.get(k).map(String::as_str);
            u.company = CompanyDefaults {
                default_method: get("user_default_method").and_then(MfaMethod::parse_name),
                phone_call_mode: get("phone_call_mode").and_then(PhoneCallMode::parse_name),
                text_message_mode: get("text_message_mode").and_then(TextMessageMode::parse_name),
                mobile_app_mode: get("mobile_app_mode").and_then(MobileAppMode::parse_name),
            };
        }
        let c = u.company;
        for user in set.users() {
            u.users += 1;
            let method = user.default_method().value().or(c.default_method);
            match method {
                Some(MfaMethod::PhoneCall) => {
                    u.phone_call += 1;
                    if user.phone_call_mode().value().or(c.phone_call_mode)
                        == Some(PhoneCallMode::Pin)
                    {
                        u.phone_call_pin += 1;
                    }
                }
                Some(MfaMethod::TextMessage) => u.text_message += 1,
                Some(MfaMethod::MobileApp) => {
                    u.mobile_app += 1;
                    if user.mobile_app_mode().value().or(c.mobile_app_mode)
                        == Some(MobileAppMode::Pin)
                    {
                        u.mobile_app_pin += 1;
                    }
                }
                Some(MfaMethod::OathToken) => u.oath_token += 1,
                None => u.default_unknown += 1,
            }
            if user.phone().value().is_some() || user.backup_phone().value().is_some() {
                u.with_phone += 1;
            }
            if user.device_count() > 0 {
                u.with_app += 1;
            }
            if user.token_count() > 0 {
                u.with_token += 1;
            }
        }
        u
    }
}

// ---------------------------------------------------------------------------------
// The methods policy against that use
// ---------------------------------------------------------------------------------

/// One method's state in the authentication methods policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MethodPolicy {
    Enabled {
        /// Targets all users with no exclusion; else selected groups only.
        all_users: bool,
    },
    Disabled,
    /// Graph did not list the configuration (Hardware OATH is listed in beta only).
    Absent,
}

/// The methods of the policy MFA Server's methods map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyMethods {
    pub voice: MethodPolicy,
    pub sms: MethodPolicy,
    pub authenticator: MethodPolicy,
    pub software_oath: MethodPolicy,
    pub hardware_oath: MethodPolicy,
    /// `policyMigrationState == migrationComplete`; `Some(false)`: methods enabled in the
    /// legacy MFA and SSPR policies still work and Graph does not show them, so a
    /// disabled method here warns instead of blocking. `None`: not read.
    pub migration_complete: Option<bool>,
}

impl PolicyMethods {
    /// From Graph's policy. `migration_complete` is left unknown: the caller sets it from
    /// `policyMigrationState` where it reads it.
    pub fn from_policy(p: &MethodsPolicy) -> PolicyMethods {
        let state = |id: &str| match p.configuration(id) {
            None => MethodPolicy::Absent,
            Some(c) if c.state == Some(MethodState::Enabled) => MethodPolicy::Enabled {
                all_users: c
                    .include_targets
                    .iter()
                    .any(|t| t.id.eq_ignore_ascii_case("all_users"))
                    && c.exclude_targets.is_empty(),
            },
            Some(_) => MethodPolicy::Disabled,
        };
        PolicyMethods {
            voice: state("Voice"),
            sms: state("Sms"),
            authenticator: state("MicrosoftAuthenticator"),
            software_oath: state("SoftwareOath"),
            hardware_oath: state("HardwareOath"),
            migration_complete: None,
        }
    }
}

fn method(name: &str) -> FindingSubject {
    FindingSubject::Method { name: name.into() }
}

/// One row: `need` users use what `state` governs.
fn method_row(
    out: &mut Vec<Finding>,
    p: &PolicyMethods,
    id: &str,
    label: &str,
    state: MethodPolicy,
    need: u64,
    uses: &str,
) {
    if need == 0 {
        return;
    }
    let who = format!("{} {uses}", text::users(need));
    let f = match state {
        MethodPolicy::Enabled { all_users: true } => Finding::info(
            Rule::Methods,
            method(id),
            format!("{who}: {label} is enabled for all users"),
        ),
        MethodPolicy::Enabled { all_users: false } => Finding::warning(
            Rule::Methods,
            method(id),
            format!("{who}: {label} is enabled for selected groups only"),
        )
        .with_fix("check that the migration groups are among its targets"),
        MethodPolicy::Disabled if p.migration_complete == Some(false) => Finding::warning(
            Rule::Methods,
            method(id),
            format!(
                "{who}: {label} is disabled in the methods policy, which is not fully migrated: \
                 the legacy MFA or SSPR policy may still allow it"
            ),
        )
        .with_fix(format!(
            "enable {label} in the authentication methods policy before the cutover"
        )),
        MethodPolicy::Disabled => Finding::blocking(
            Rule::Methods,
            method(id),
            format!("{who}: {label} is disabled, so their migrated methods will not work"),
        )
        .with_fix(format!(
            "enable {label} in the authentication methods policy (Entra admin center → \
             Protection → Authentication methods)"
        )),
        MethodPolicy::Absent => Finding::warning(
            Rule::Methods,
            method(id),
            format!("{who}: Graph did not list {label} in the methods policy"),
        )
        .with_fix("check it in the Entra admin center (Hardware OATH is listed in beta only)"),
    };
    out.push(f);
}

/// The methods policy against the methods MFA Server users use (PRE-METHODS).
pub fn check_methods(p: &PolicyMethods, u: &MfaServerUsage) -> Vec<Finding> {
    let mut out = Vec::new();
    method_row(
        &mut out,
        p,
        "Voice",
        "Voice call",
        p.voice,
        u.phone_call,
        "sign in with phone calls",
    );
    method_row(
        &mut out,
        p,
        "Sms",
        "SMS",
        p.sms,
        u.text_message,
        "sign in with text messages",
    );
    method_row(
        &mut out,
        p,
        "MicrosoftAuthenticator",
        "Microsoft Authenticator",
        p.authenticator,
        u.mobile_app.max(u.with_app),
        "use the mobile app",
    );
    method_row(
        &mut out,
        p,
        "HardwareOath",
        "Hardware OATH tokens",
        p.hardware_oath,
        u.oath_token.max(u.with_token),
        "use OATH tokens",
    );
    let pin_calls = if u.phone_call_pin > 0 {
        u.phone_call_pin
    } else if u.company.phone_call_mode == Some(PhoneCallMode::Pin) {
        u.phone_call
    } else {
        0
    };
    if pin_calls > 0 || u.company.phone_call_mode == Some(PhoneCallMode::Pin) {
        out.push(
            Finding::warning(
                Rule::Methods,
                method("Voice"),
                format!(
                    "{} use phone calls with a PIN{}: Entra has no PIN; the migration guide \
                     maps it to voice OTP",
                    text::users(pin_calls),
                    if u.company.phone_call_mode == Some(PhoneCallMode::Pin) {
                        " (the company default)"
                    } else {
                        ""
                    }
                ),
            )
            .with_fix("enable voice OTP in the MFA service settings (Graph cannot read it)"),
        );
    }
    if u.mobile_app_pin > 0 || u.company.mobile_app_mode == Some(MobileAppMode::Pin) {
        out.push(Finding::info(
            Rule::Methods,
            method("MicrosoftAuthenticator"),
            format!(
                "{} use the mobile app with a PIN: the migration guide maps it to number \
                 matching, which Entra applies to every Microsoft Authenticator push",
                text::users(u.mobile_app_pin)
            ),
        ));
    }
    if u.text_message > 0 && u.company.text_message_mode == Some(TextMessageMode::OtpPin) {
        out.push(Finding::info(
            Rule::Methods,
            method("Sms"),
            "text message with OTP + PIN: no action needed (Entra sends a code)",
        ));
    }
    if u.default_unknown > 0 {
        out.push(Finding::info(
            Rule::Methods,
            FindingSubject::Tenant,
            format!(
                "{} have a default method no input carries: not counted above",
                text::users(u.default_unknown)
            ),
        ));
    }
    out
}

// ---------------------------------------------------------------------------------
// Users whose methods cannot be migrated
// ---------------------------------------------------------------------------------

/// Users whose methods cannot be migrated in this cloud or with this sign-in (PRE-USERS).
pub fn unmigratable(u: &MfaServerUsage, caps: &Capabilities, cloud: Cloud) -> Vec<Finding> {
    let mut out = Vec::new();
    if !caps.write_methods.is_available() && u.users > 0 {
        out.push(
            Finding::blocking(
                Rule::Unmigratable,
                FindingSubject::Tenant,
                format!(
                    "no user's methods can be migrated with this sign-in ({} in the data file)",
                    text::users(u.users)
                ),
            )
            .with_fix(
                "sign in with UserAuthenticationMethod.ReadWrite.All as an Authentication \
                 Administrator",
            ),
        );
    }
    if u.with_app > 0 {
        out.push(
            Finding::warning(
                Rule::Unmigratable,
                FindingSubject::Tenant,
                format!(
                    "{} have MFA Server mobile app registrations, which public Graph cannot \
                     create: they must register Microsoft Authenticator again",
                    text::users(u.with_app)
                ),
            )
            .with_fix("export the re-registration list (ctrl+s) and tell them before their wave"),
        );
    }
    if u.with_token > 0 && !cloud.has_hardware_oath() {
        out.push(
            Finding::warning(
                Rule::Unmigratable,
                FindingSubject::Tenant,
                format!(
                    "{} have hardware OATH tokens, which Graph supports in the global cloud only: \
                     they cannot be migrated in the {cloud} cloud",
                    text::users(u.with_token)
                ),
            )
            .with_fix("issue them another method (Authenticator, phone) before their wave"),
        );
    }
    if cloud == Cloud::China && u.with_phone > 0 {
        out.push(
            Finding::warning(
                Rule::Unmigratable,
                FindingSubject::Tenant,
                format!(
                    "{} have phones: in the China cloud (21Vianet) Graph adds phone methods but \
                     does not update or delete them, so an Entra number that differs stays",
                    text::users(u.with_phone)
                ),
            )
            .with_fix("correct differing numbers in the Entra admin center"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{RuleId, Severity};

    fn identity(kind: TokenKind, roles: &[&str], scopes: &[&str], cloud: Cloud) -> Identity {
        Identity {
            tenant_id: "t".into(),
            tenant_name: None,
            cloud,
            account: "admin@contoso.com".into(),
            kind,
            roles: roles.iter().map(|s| s.to_string()).collect(),
            permissions: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: None,
            simulated: false,
        }
    }

    fn delegated(roles: &[&str], scopes: &[&str]) -> Identity {
        identity(TokenKind::Delegated, roles, scopes, Cloud::Global)
    }

    const ALL_SCOPES: [&str; 4] = [
        "UserAuthenticationMethod.ReadWrite.All",
        "Policy.Read.All",
        "Policy.ReadWrite.HybridAuthentication",
        "Domain-InternalFederation.ReadWrite.All",
    ];

    #[test]
    fn a_full_delegated_admin_can_do_everything() {
        let id = delegated(
            &[
                "Authentication Administrator",
                "Hybrid Identity Administrator",
                "Global Reader",
            ],
            &ALL_SCOPES,
        );
        let c = Capabilities::of(&id, None, None);
        assert!(require_staged_rollout(&c).is_none());
        assert!(require_federation(&c).is_none());
        let f = access_findings(&c, &id);
        assert!(f.iter().all(|f| f.severity == Severity::Info), "{f:#?}");
    }

    #[test]
    fn an_app_only_token_cannot_manage_staged_rollout_and_is_told_to_sign_in() {
        let id = identity(TokenKind::AppOnly, &[], &ALL_SCOPES, Cloud::Global);
        let c = Capabilities::of(&id, None, None);
        assert!(
            c.write_methods.is_available(),
            "roles are not asked of an app"
        );
        let f = require_staged_rollout(&c).expect("refused");
        assert_eq!(f.rule, RuleId::from(Rule::Access));
        assert!(f.text.contains("app-only"), "{}", f.text);
        assert!(f.fix.as_deref().unwrap_or_default().contains("device code"));
        assert!(
            access_findings(&c, &id)
                .iter()
                .any(|f| f.is_blocking() && f.text.contains("Staged Rollout"))
        );
    }

    #[test]
    fn missing_scopes_roles_and_the_china_cloud_are_named() {
        let id = delegated(&["Global Reader"], &["Policy.Read.All"]);
        let c = Capabilities::of(&id, None, None);
        let Capability::Unavailable { reason, fix } = &c.write_methods else {
            panic!("{:?}", c.write_methods)
        };
        assert!(reason.contains("no permission that writes"), "{reason}");
        assert!(fix.contains("grant"));
        assert!(c.read_policy.is_available());
        let id = delegated(&["Helpdesk Administrator"], &ALL_SCOPES);
        let f = require_staged_rollout(&Capabilities::of(&id, None, None)).expect("refused");
        assert!(
            f.fix
                .as_deref()
                .unwrap_or_default()
                .contains("Hybrid Identity Administrator")
        );
        let id = identity(
            TokenKind::Delegated,
            &["Global Administrator"],
            &ALL_SCOPES,
            Cloud::China,
        );
        assert!(
            require_staged_rollout(&Capabilities::of(&id, None, None))
                .is_some_and(|f| f.text.contains("21Vianet"))
        );
    }

    fn usage() -> MfaServerUsage {
        MfaServerUsage {
            users: 1000,
            phone_call: 600,
            phone_call_pin: 40,
            text_message: 200,
            mobile_app: 150,
            mobile_app_pin: 10,
            oath_token: 50,
            with_phone: 900,
            with_app: 160,
            with_token: 50,
            default_unknown: 0,
            company: CompanyDefaults::default(),
        }
    }

    fn all_enabled() -> PolicyMethods {
        let on = MethodPolicy::Enabled { all_users: true };
        PolicyMethods {
            voice: on,
            sms: on,
            authenticator: on,
            software_oath: on,
            hardware_oath: on,
            migration_complete: Some(true),
        }
    }

    #[test]
    fn methods_the_policy_disables_block_and_pin_modes_map_as_the_guide_says() {
        let mut p = all_enabled();
        let f = check_methods(&p, &usage());
        assert!(!crate::finding::any_blocking(&f), "{f:#?}");
        assert!(
            f.iter()
                .any(|x| x.text.contains("40 users use phone calls with a PIN"))
        );
        assert!(f.iter().any(|x| x.text.contains("number matching")));

        p.sms = MethodPolicy::Disabled;
        p.hardware_oath = MethodPolicy::Absent;
        let f = check_methods(&p, &usage());
        let sms = f
            .iter()
            .find(|x| x.subject == method("Sms"))
            .expect("an SMS row");
        assert!(sms.is_blocking());
        assert!(
            sms.text
                .starts_with("200 users sign in with text messages: SMS is disabled")
        );
        let hw = f
            .iter()
            .find(|x| x.subject == method("HardwareOath"))
            .expect("a hardware row");
        assert_eq!(hw.severity, Severity::Warning);

        p.migration_complete = Some(false);
        let f = check_methods(&p, &usage());
        assert!(
            !crate::finding::any_blocking(&f),
            "legacy policies may allow it"
        );
    }

    #[test]
    fn users_that_cannot_be_migrated_here_are_counted() {
        let id = identity(
            TokenKind::Delegated,
            &["Authentication Administrator"],
            &ALL_SCOPES,
            Cloud::China,
        );
        let f = unmigratable(&usage(), &Capabilities::of(&id, None, None), Cloud::China);
        let texts: Vec<&str> = f.iter().map(|x| x.text.as_str()).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("160 users have MFA Server mobile app"))
        );
        assert!(
            texts
                .iter()
                .any(|t| t.contains("50 users have hardware OATH tokens"))
        );
        assert!(texts.iter().any(|t| t.contains("900 users have phones")));
        let none = delegated(&["Global Reader"], &["Policy.Read.All"]);
        let f = unmigratable(
            &usage(),
            &Capabilities::of(&none, None, None),
            Cloud::Global,
        );
        assert!(f[0].is_blocking() && f[0].text.contains("1,000 users"));
    }

    #[test]
    fn usage_comes_from_the_data_file_with_the_company_defaults() {
        use crate::datafile::{DataSetBuilder, Known, NewUser, Settings};
        let mut b = DataSetBuilder::with_capacity(3);
        let mut settings = Settings::default();
        settings
            .company
            .insert("user_default_method".into(), "phone_call".into());
        settings
            .company
            .insert("phone_call_mode".into(), "pin".into());
        b.set_settings(settings);
        for (name, method) in [
            ("a", Known::Unknown),
            ("b", Known::Known(Some(MfaMethod::TextMessage))),
            ("c", Known::Known(Some(MfaMethod::MobileApp))),
        ] {
            b.push_user(NewUser {
                username: name,
                default_method: method,
                ..Default::default()
            });
        }
        let u = MfaServerUsage::from_dataset(&b.finish());
        assert_eq!(u.users, 3);
        assert_eq!(u.company.phone_call_mode, Some(PhoneCallMode::Pin));
        assert_eq!(
            (u.phone_call, u.phone_call_pin),
            (1, 1),
            "the company default applies"
        );
        assert_eq!((u.text_message, u.mobile_app), (1, 1));
        let f = check_methods(&all_enabled(), &u);
        assert!(
            f.iter().any(|x| x.text.contains("(the company default)")),
            "{f:#?}"
        );
    }
}
