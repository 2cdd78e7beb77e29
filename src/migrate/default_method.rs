//! Rules D1–D4: the user's default MFA method in Entra.
//!
//! D1 maps MFA Server's default (phone call → `voiceMobile`, or `voiceOffice` when the
//! phone went to `office`; text message → `sms`; mobile app → `push`; OATH token →
//! `oath`). An input that does not carry the default (`Known::Unknown`), or a user with
//! none, maps to nothing: then only `most-secure-if-not-set` sets one.
//!
//! D3: a method is usable when the methods policy enables it for the user **and** it is
//! registered after the plan: `push` an Authenticator registration; `oath` a software
//! OATH token or an *activated* hardware token; `sms` and `voiceMobile` a mobile phone;
//! `voiceAlternateMobile` an alternate phone; `voiceOffice` an office phone. A wanted
//! method that is not usable falls back to the most secure usable one.
//!
//! D4: the write is ordered last (`Action::order`), after the methods it needs.

use super::entra::{EntraDefault, MethodSet, PreferredMethod};
use super::phones::PhoneOutcome;
use super::plan::{Action, NoteKind, Subject};
use super::planner::{Draft, PlanInput};
use super::rules::Rule;
use super::settings::DefaultMethodMode;
use super::tokens::TokenOutcome;
use crate::datafile::{Known, MfaMethod};

/// The methods the user can use after the plan (D3).
pub(super) fn usable_after(
    input: &PlanInput<'_>,
    phones: &PhoneOutcome,
    tokens: &TokenOutcome,
) -> MethodSet {
    let a = input.allowed;
    let m = input.methods;
    let mut s = MethodSet::EMPTY;
    if a.authenticator && !m.authenticators.is_empty() {
        s.insert(PreferredMethod::Push);
    }
    if (a.software_oath && !m.software_oath.is_empty())
        || (a.hardware_oath && tokens.activated_hardware)
    {
        s.insert(PreferredMethod::Oath);
    }
    if phones.mobile {
        if a.sms {
            s.insert(PreferredMethod::Sms);
        }
        if a.voice {
            s.insert(PreferredMethod::VoiceMobile);
        }
    }
    if a.voice && phones.alternate_mobile {
        s.insert(PreferredMethod::VoiceAlternateMobile);
    }
    if a.voice && phones.office {
        s.insert(PreferredMethod::VoiceOffice);
    }
    s
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

/// Why a method is not usable, for the D3 note.
fn why_unusable(input: &PlanInput<'_>, m: PreferredMethod) -> &'static str {
    let a = input.allowed;
    let enabled = match m {
        PreferredMethod::Push => a.authenticator,
        PreferredMethod::Oath => a.hardware_oath || a.software_oath,
        PreferredMethod::Sms => a.sms,
        _ => a.voice,
    };
    if enabled {
        "not registered after the plan"
    } else {
        "not enabled for the user by the authentication methods policy"
    }
}

pub(super) fn plan(input: &PlanInput<'_>, phones: &PhoneOutcome, usable: MethodSet, d: &mut Draft) {
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
        usable.most_secure()
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

    let chosen = match wanted {
        Some(m) if usable.contains(m) => m,
        _ => {
            let Some(fallback) = usable.most_secure() else {
                d.skip(
                    Subject::DefaultMethod,
                    Rule::D3,
                    match wanted {
                        Some(m) => format!(
                            "{m} is {} and no other method is usable: the user has no usable \
                             Entra method after the plan",
                            why_unusable(input, m)
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
                    format!("fell back to {fallback}: {m} is {}", why_unusable(input, m)),
                );
            }
            fallback
        }
    };
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
