//! Rules D1–D4: the user's default MFA method in Entra.
//!
//! D1 maps MFA Server's default (phone call → `voiceMobile`, or `voiceOffice` when the
//! phone went to `office`; text message → `sms`; mobile app → `push`; OATH token →
//! `oath`). An input that does not carry the default (`Known::Unknown`), or a user with
//! none, maps to nothing: then only `most-secure-if-not-set` sets one.
//!
//! D3: the default must be usable — allowed by the methods policy for the user and
//! registered after the plan; whether it is, is `usable`'s to say (the one place the
//! policy is evaluated). A wanted method that is not usable falls back to the most secure
//! usable one. A method the methods policy leaves off while the policy migration is not
//! complete may be allowed by the legacy MFA or SSPR policy: it is never treated as
//! disabled, and the note says so.
//!
//! D4: the write is ordered last (`Action::order`), after the methods it needs.

use super::entra::{EntraDefault, PreferredMethod};
use super::phones::PhoneOutcome;
use super::plan::{Action, NoteKind, Subject};
use super::planner::{Draft, PlanInput};
use super::rules::Rule;
use super::settings::DefaultMethodMode;
use super::tokens::TokenOutcome;
use super::usable::{Allowance, Registered, Usable, why_not};
use crate::datafile::{Known, MfaMethod};

/// What the user has registered after the plan (D3): what Entra has plus what the plan
/// adds; a hardware token counts once activated.
pub(super) fn registered_after(
    input: &PlanInput<'_>,
    phones: &PhoneOutcome,
    tokens: &TokenOutcome,
) -> Registered {
    Registered {
        authenticator: !input.methods.authenticators.is_empty(),
        software_oath: !input.methods.software_oath.is_empty(),
        hardware_oath: tokens.activated_hardware,
        mobile: phones.mobile,
        alternate_mobile: phones.alternate_mobile,
        office: phones.office,
    }
}

/// D1: MFA Server's default as an Entra method; `None` when the input does not carry it
/// or the user has none.
pub fn mapped(default: Known<Option<MfaMethod>>, phone_to_office: bool) -> Option<PreferredMethod> {
    Some(match default.value()? {
        MfaMethod::PhoneCall if phone_to_office => PreferredMethod::VoiceOffice,
        MfaMethod::PhoneCall => PreferredMethod::VoiceMobile,
        MfaMethod::TextMessage => PreferredMethod::Sms,
        MfaMethod::MobileApp => PreferredMethod::Push,
        MfaMethod::OathToken => PreferredMethod::Oath,
    })
}

pub(super) fn plan(
    input: &PlanInput<'_>,
    phones: &PhoneOutcome,
    registered: Registered,
    usable: Usable,
    d: &mut Draft,
) {
    let current = &input.methods.default;
    let mode = input.settings.default_method;
    if input.methods.system_preferred_enabled == Some(true) {
        d.note(
            Subject::DefaultMethod,
            Rule::D2,
            NoteKind::SystemPreferred,
            "system-preferred MFA is on for this user: Entra asks for the most secure method \
             and uses the default only for the NPS extension and AD FS",
        );
    }
    if mode != DefaultMethodMode::Always && *current != EntraDefault::NotSet {
        let shown = match current {
            EntraDefault::Set(m) => m.graph_name(),
            EntraDefault::Other(s) => s.as_str(),
            EntraDefault::NotSet => "",
        };
        d.note(
            Subject::DefaultMethod,
            Rule::D2,
            NoteKind::DefaultKept,
            format!("Entra already has a default method ({shown}): left as is"),
        );
        if let EntraDefault::Set(m) = current {
            d.expected.default = Some(*m);
        }
        return;
    }

    let mut rules: Vec<Rule> = Vec::with_capacity(4);
    let wanted = if mode == DefaultMethodMode::MostSecureIfNotSet {
        usable.most_secure().map(|(m, _)| m)
    } else {
        match mapped(input.user.default_method(), phones.phone_to_office) {
            Some(m) => {
                rules.push(Rule::D1);
                Some(m)
            }
            None => {
                let why = if input.user.default_method().is_unknown() {
                    "the input does not carry MFA Server's default method"
                } else {
                    "the user has no default method in MFA Server"
                };
                d.note(
                    Subject::DefaultMethod,
                    Rule::D1,
                    NoteKind::DefaultNotMapped,
                    format!("{why}: no default is set (only most-secure-if-not-set sets one)"),
                );
                if let EntraDefault::Set(m) = current {
                    d.expected.default = Some(*m);
                }
                return;
            }
        }
    };
    rules.push(Rule::D2);

    let allowed = input.allowed;
    let found = wanted.and_then(|m| usable.of(m).map(|a| (m, a)));
    let (chosen, allowance) = match found {
        Some(found) => found,
        None => {
            let Some(fallback) = usable.most_secure() else {
                d.skip(
                    Subject::DefaultMethod,
                    Rule::D3,
                    match wanted {
                        Some(m) => format!(
                            "{m} is {} and no other method is usable: the user has no usable \
                             Entra method after the plan",
                            why_not(m, registered, allowed)
                        ),
                        None => "no method is usable after the plan: the user has no usable \
                                 Entra method"
                            .to_string(),
                    },
                );
                if let EntraDefault::Set(m) = current {
                    d.expected.default = Some(*m);
                }
                return;
            };
            if let Some(m) = wanted {
                d.note(
                    Subject::DefaultMethod,
                    Rule::D3,
                    NoteKind::DefaultFellBack,
                    format!(
                        "fell back to {}: {m} is {}",
                        fallback.0,
                        why_not(m, registered, allowed)
                    ),
                );
            }
            fallback
        }
    };
    if allowance == Allowance::MaybeLegacy {
        // Not "disabled": while the legacy policies count, Entra may well accept it.
        d.note(
            Subject::DefaultMethod,
            Rule::D3,
            NoteKind::LegacyPolicy,
            format!(
                "{chosen} is {}; it is set all the same: check that the legacy policy allows it",
                why_not(chosen, registered, allowed)
            ),
        );
    }
    if mode == DefaultMethodMode::MostSecureIfNotSet || wanted != Some(chosen) {
        rules.push(Rule::D3);
    }
    rules.push(Rule::D4);

    d.expected.default = Some(chosen);
    if *current == EntraDefault::Set(chosen) {
        d.note(
            Subject::DefaultMethod,
            Rule::D2,
            NoteKind::DefaultKept,
            format!("Entra's default already is {chosen}"),
        );
        return;
    }
    let from = match current {
        EntraDefault::NotSet => None,
        EntraDefault::Set(m) => Some(m.graph_name().to_string()),
        EntraDefault::Other(s) => Some(s.clone()),
    };
    d.op(
        Action::SetDefaultMethod {
            method: chosen,
            from,
        },
        rules,
    );
}
