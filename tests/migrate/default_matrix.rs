//! Rules D1–D3 across every `DefaultMethodMode` × MFA Server default (text message /
//! none / not carried by the input) × Entra default (unset / set) × the mapped method
//! enabled by policy or not.
//!
//! The user: mobile +1 4255550100 (already in Entra), an Authenticator registered in
//! Entra (so `push` is usable and is the most secure), MFA Server default text message
//! (`sms`). "Not allowed" disables SMS in the methods policy.

use mfa_cutover::datafile::{Known, MfaMethod};
use mfa_cutover::migrate::{
    AllowedMethods, DefaultMethodMode, EntraDefault, MigrationSettings, NoteKind, PreferredMethod,
    Rule, Subject,
};

use super::fixture::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MfaDefault {
    TextMessage,
    None,
    Unknown,
}

/// The spec as a table: the op line (if any), the default-method notes, and the default
/// the plan expects Entra to show.
fn expected(
    mode: DefaultMethodMode,
    mfa: MfaDefault,
    entra_set: bool,
    allowed: bool,
) -> (Option<&'static str>, Vec<NoteKind>, Option<PreferredMethod>) {
    use DefaultMethodMode::*;
    use NoteKind::*;
    use PreferredMethod::*;
    let kept = if entra_set { Some(VoiceMobile) } else { None };
    match (mode, mfa, entra_set, allowed) {
        // always: write the mapped method whatever Entra has.
        (Always, MfaDefault::TextMessage, false, true) => {
            (Some("[D1,D2,D4] set default method sms"), vec![], Some(Sms))
        }
        (Always, MfaDefault::TextMessage, false, false) => (
            Some("[D1,D2,D3,D4] set default method push"),
            vec![DefaultFellBack],
            Some(Push),
        ),
        (Always, MfaDefault::TextMessage, true, true) => (
            Some("[D1,D2,D4] set default method sms (was voiceMobile)"),
            vec![],
            Some(Sms),
        ),
        (Always, MfaDefault::TextMessage, true, false) => (
            Some("[D1,D2,D3,D4] set default method push (was voiceMobile)"),
            vec![DefaultFellBack],
            Some(Push),
        ),
        // Nothing maps: only most-secure-if-not-set sets one (D1).
        (Always, _, _, _) => (None, vec![DefaultNotMapped], kept),
        // if-not-set: Entra's own default wins.
        (IfNotSet, _, true, _) => (None, vec![DefaultKept], kept),
        (IfNotSet, MfaDefault::TextMessage, false, true) => {
            (Some("[D1,D2,D4] set default method sms"), vec![], Some(Sms))
        }
        (IfNotSet, MfaDefault::TextMessage, false, false) => (
            Some("[D1,D2,D3,D4] set default method push"),
            vec![DefaultFellBack],
            Some(Push),
        ),
        (IfNotSet, _, false, _) => (None, vec![DefaultNotMapped], None),
        // most-secure-if-not-set: the MFA Server default does not matter.
        (MostSecureIfNotSet, _, true, _) => (None, vec![DefaultKept], kept),
        (MostSecureIfNotSet, _, false, _) => (
            Some("[D2,D3,D4] set default method push"),
            vec![],
            Some(Push),
        ),
    }
}

#[test]
fn every_default_method_combination() {
    let mut failures = Vec::new();
    let mut rows = 0;
    for mode in [
        DefaultMethodMode::Always,
        DefaultMethodMode::IfNotSet,
        DefaultMethodMode::MostSecureIfNotSet,
    ] {
        for mfa_default in [
            MfaDefault::TextMessage,
            MfaDefault::None,
            MfaDefault::Unknown,
        ] {
            for entra_set in [false, true] {
                for allowed in [true, false] {
                    rows += 1;
                    let mut mfa = Mfa::default().phone("+1 4255550100");
                    mfa.default = match mfa_default {
                        MfaDefault::TextMessage => Known::Known(Some(MfaMethod::TextMessage)),
                        MfaDefault::None => Known::Known(None),
                        MfaDefault::Unknown => Known::Unknown,
                    };
                    let mut entra = Entra::default()
                        .mobile("+1 4255550100")
                        .authenticator("Phone");
                    if entra_set {
                        entra = entra.preferred(EntraDefault::Set(PreferredMethod::VoiceMobile));
                    }
                    let run = Run {
                        settings: MigrationSettings {
                            default_method: mode,
                            ..Default::default()
                        },
                        allowed: AllowedMethods {
                            sms: allowed,
                            ..AllowedMethods::ALL
                        },
                        ..Default::default()
                    };
                    let p = plan(&mfa, &entra, &run);
                    let op = p.ops.iter().map(ToString::to_string).collect::<Vec<_>>();
                    let notes: Vec<NoteKind> = p
                        .notes
                        .iter()
                        .filter(|n| n.subject == Subject::DefaultMethod)
                        .map(|n| n.kind)
                        .collect();
                    let (want_op, want_notes, want_default) =
                        expected(mode, mfa_default, entra_set, allowed);
                    let want_ops: Vec<String> = want_op.into_iter().map(String::from).collect();
                    let case = format!(
                        "{mode:?} / MFA Server {mfa_default:?} / Entra {} / sms {}",
                        if entra_set { "set" } else { "unset" },
                        if allowed { "allowed" } else { "not allowed" }
                    );
                    if op != want_ops || notes != want_notes || p.expected.default != want_default {
                        failures.push(format!(
                            "{case}: got ops {op:?}, notes {notes:?}, expected default {:?}; \
                             wanted {want_ops:?}, {want_notes:?}, {want_default:?}",
                            p.expected.default
                        ));
                    }
                    // Every D-rule op names D2 and D4 (written last).
                    for o in &p.ops {
                        if !(o.rules.contains(&Rule::D2) && o.rules.contains(&Rule::D4)) {
                            failures.push(format!("{case}: op {o} does not name D2 and D4"));
                        }
                    }
                }
            }
        }
    }
    assert_eq!(rows, 36);
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn an_entra_default_this_build_does_not_know_counts_as_set() {
    let mfa = Mfa::default()
        .phone("+1 4255550100")
        .method(MfaMethod::TextMessage);
    let entra = Entra::default().preferred(EntraDefault::Other("passkey".into()));
    let p = plan(&mfa, &entra, &Run::default());
    assert!(
        p.notes
            .iter()
            .any(|n| n.kind == NoteKind::DefaultKept && n.text.contains("passkey"))
    );
    assert_eq!(p.expected.default, None);
    // `always` overwrites it and says what it was.
    let run = Run {
        settings: MigrationSettings {
            default_method: DefaultMethodMode::Always,
            ..Default::default()
        },
        ..Default::default()
    };
    let p = plan(&mfa, &entra, &run);
    assert_eq!(
        p.ops.last().map(ToString::to_string).as_deref(),
        Some("[D1,D2,D4] set default method sms (was passkey)")
    );
}
