//! One vocabulary for the users pane, its detail view and its plan preview: the same
//! words for a method on both sides (MFA Server's `call` and Entra's `voiceMobile` are
//! both "call"; the detail view adds the Graph value), migration statuses, whole-user
//! skips, and what a match rule means for the admin reviewing it.

use crate::datafile::{Known, MfaMethod};
use crate::engine::UserStatus;
use crate::migrate::{EntraDefault, Match, PreferredMethod, Rule, UserSkip};

/// An MFA Server default method in the shared words.
pub fn mfa_method(m: MfaMethod) -> &'static str {
    match m {
        MfaMethod::PhoneCall => "call",
        MfaMethod::TextMessage => "text",
        MfaMethod::MobileApp => "app",
        MfaMethod::OathToken => "oath",
    }
}

/// An Entra method in the shared words (the detail view also gives its Graph value).
pub fn entra_method(m: PreferredMethod) -> &'static str {
    match m {
        PreferredMethod::VoiceMobile => "call",
        PreferredMethod::VoiceAlternateMobile => "call alt",
        PreferredMethod::VoiceOffice => "call office",
        PreferredMethod::Sms => "text",
        PreferredMethod::Push => "app",
        PreferredMethod::Oath => "oath",
    }
}

/// MFA Server's default method as a cell: `?` when the input does not carry it.
pub fn mfa_default(m: Known<Option<MfaMethod>>) -> &'static str {
    match m {
        Known::Unknown => "?",
        Known::Known(None) => "—",
        Known::Known(Some(m)) => mfa_method(m),
    }
}

/// Entra's default method as a cell.
pub fn entra_default(d: &EntraDefault) -> String {
    match d {
        EntraDefault::NotSet => "—".into(),
        EntraDefault::Set(m) => entra_method(*m).into(),
        EntraDefault::Other(s) => crate::safe_text::terminal(s).into_owned(),
    }
}

/// Entra's default method with its Graph value (the detail view).
pub fn entra_default_graph(d: &EntraDefault) -> String {
    match d {
        EntraDefault::NotSet => "— (not set)".into(),
        EntraDefault::Set(m) => format!("{} (Graph: {})", entra_method(*m), m.graph_name()),
        EntraDefault::Other(s) => format!(
            "{} (Graph: a value this build does not know; counts as set)",
            crate::safe_text::terminal(s)
        ),
    }
}

/// MFA Server's default method with the Graph value it becomes (the detail view).
pub fn mfa_default_graph(m: Known<Option<MfaMethod>>) -> String {
    match m {
        Known::Unknown => "? (not in the input)".into(),
        Known::Known(None) => "—".into(),
        Known::Known(Some(m)) => {
            let graph = match m {
                MfaMethod::PhoneCall => "voiceMobile",
                MfaMethod::TextMessage => "sms",
                MfaMethod::MobileApp => "push",
                MfaMethod::OathToken => "oath",
            };
            format!("{} (Graph: {graph})", mfa_method(m))
        }
    }
}

/// The MATCH column: how the member matched, or why not.
pub fn match_short(m: &Match) -> &'static str {
    match m {
        Match::Matched { by, .. } => match by {
            Rule::M1 => "M1 upn",
            Rule::M2 => "M2 sid",
            Rule::M3 => "M3 attr",
            _ => "matched",
        },
        Match::NotInMfaServer => "unmatched",
        Match::Conflict { .. } => "conflict",
    }
}

/// What a match means for the admin reviewing it: a SID or attribute match means the
/// UPN differs from what MFA Server holds.
pub fn match_meaning(by: Rule) -> &'static str {
    match by {
        Rule::M1 => "the Entra UPN is the MFA Server user's UPN or username",
        Rule::M2 => {
            "matched by on-premises SID: the UPN differs from what MFA Server holds — \
             the same account, renamed"
        }
        Rule::M3 => {
            "matched by the configured attribute: neither the UPN nor the SID matched — \
             check it is the same person"
        }
        _ => "matched",
    }
}

/// Whole-user skips in words.
pub fn skip_text(skip: &UserSkip) -> String {
    match skip {
        UserSkip::NotInMfaServer => "not in MFA Server (M1–M3 found no user)".into(),
        UserSkip::Conflict { mfa_users } => format!(
            "conflict: {} MFA Server users match (none migrated)",
            mfa_users.len()
        ),
        UserSkip::DisabledInMfaServer { .. } => "disabled in MFA Server (M4)".into(),
        UserSkip::Unchanged { .. } => "unchanged since the last migration (C1)".into(),
    }
}

/// The MIGRATION column.
pub fn status_text(s: Option<&UserStatus>) -> String {
    match s {
        None => String::new(),
        Some(UserStatus::Queued) => "queued".into(),
        Some(UserStatus::Reading) => "reading".into(),
        Some(UserStatus::Planned { plan }) => match plan.ops.len() {
            0 => "planned: none".into(),
            1 => "planned: 1 op".into(),
            n => format!("planned: {n} ops"),
        },
        Some(UserStatus::Skipped { skip }) => match skip {
            UserSkip::NotInMfaServer => "skip unmatched".into(),
            UserSkip::Conflict { .. } => "skip conflict".into(),
            UserSkip::DisabledInMfaServer { .. } => "skip disabled".into(),
            UserSkip::Unchanged { .. } => "skip unchanged".into(),
        },
        Some(UserStatus::Writing { done, of }) => format!("writing {done}/{of}"),
        Some(UserStatus::Verified) => "✓ verified".into(),
        Some(UserStatus::Mismatch { .. }) => "≠ mismatch".into(),
        Some(UserStatus::Failed { retryable, .. }) => {
            if *retryable {
                "✗ failed·retry".into()
            } else {
                "✗ failed".into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_say_a_method_in_the_same_words() {
        for (mfa, entra) in [
            (MfaMethod::PhoneCall, PreferredMethod::VoiceMobile),
            (MfaMethod::TextMessage, PreferredMethod::Sms),
            (MfaMethod::MobileApp, PreferredMethod::Push),
            (MfaMethod::OathToken, PreferredMethod::Oath),
        ] {
            assert_eq!(mfa_method(mfa), entra_method(entra));
            assert!(mfa_default_graph(Known::Known(Some(mfa))).contains(entra.graph_name()));
        }
        assert_eq!(
            entra_default_graph(&EntraDefault::Set(PreferredMethod::Sms)),
            "text (Graph: sms)"
        );
    }
}
