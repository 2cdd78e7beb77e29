//! Rule C4: compare what Entra shows after applying a plan with the plan's expected state.
//!
//! Only what the plan set or relied on is compared: a slot the plan left alone may hold
//! anything, and extra tokens or registrations are not differences. A masked read-back
//! (the reader is an Authentication Administrator) is compared on the digits it shows.

use super::entra::{EntraDefault, EntraMethods, EntraPhone, HardwareStatus, PhoneSlot};
use super::plan::{ExpectSlot, Plan};
use crate::phone::PhoneNumber;

/// `Ok` when Entra shows the expected state ("verified"); otherwise every difference as
/// a sentence ("mismatch").
pub fn verify(plan: &Plan, after: &EntraMethods) -> Result<(), Vec<String>> {
    let mut diffs = Vec::new();
    for slot in PhoneSlot::ALL {
        let ExpectSlot::Number(want) = plan.expected.slot(slot) else {
            continue;
        };
        let name = slot.graph_name();
        match after.phone(slot) {
            None => diffs.push(format!("{name} phone: expected {want}, Entra shows none")),
            Some(EntraPhone::Number(got)) if *got == want => {}
            Some(EntraPhone::Masked(text)) if masked_matches(text, &want) => {}
            Some(got) => diffs.push(format!("{name} phone: expected {want}, Entra shows {got}")),
        }
    }
    for t in &plan.expected.tokens {
        let found = after.hardware_oath.iter().find(|h| {
            h.serial
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(&t.serial))
        });
        match found {
            None => diffs.push(format!(
                "hardware token {}: expected assigned to the user, Entra does not show it",
                t.serial
            )),
            Some(h) if t.activated && h.status != HardwareStatus::Activated => diffs.push(format!(
                "hardware token {}: expected activated, Entra shows it {}",
                t.serial,
                status_word(h.status)
            )),
            Some(_) => {}
        }
    }
    if let Some(want) = plan.expected.default {
        match &after.default {
            EntraDefault::Set(got) if *got == want => {}
            EntraDefault::Set(got) => diffs.push(format!(
                "default method: expected {want}, Entra shows {got}"
            )),
            EntraDefault::Other(got) => diffs.push(format!(
                "default method: expected {want}, Entra shows {got}"
            )),
            EntraDefault::NotSet => diffs.push(format!(
                "default method: expected {want}, Entra shows none set"
            )),
        }
    }
    if diffs.is_empty() { Ok(()) } else { Err(diffs) }
}

fn status_word(s: HardwareStatus) -> &'static str {
    match s {
        HardwareStatus::Available => "unassigned",
        HardwareStatus::Assigned => "assigned but not activated",
        HardwareStatus::Activated => "activated",
        HardwareStatus::FailedActivation => "failed activation",
        HardwareStatus::Unknown => "in an unknown state",
    }
}

/// A masked number (`+1 XXXXXXXX00`) agrees with `want` when its country code and the
/// digits it shows agree, position by position from the end, and the extension (when
/// shown) is the same.
pub(crate) fn masked_matches(text: &str, want: &PhoneNumber) -> bool {
    let full = want.graph();
    let (t_main, t_ext) = split_ext(text.trim());
    let (w_main, w_ext) = split_ext(&full);
    if t_ext.is_some() && t_ext != w_ext {
        return false;
    }
    let (Some((t_cc, t_num)), Some((w_cc, w_num))) =
        (t_main.split_once(' '), w_main.split_once(' '))
    else {
        return false;
    };
    if t_cc != w_cc {
        return false;
    }
    let t_num: Vec<char> = t_num.chars().filter(|c| !c.is_whitespace()).collect();
    let w_num: Vec<char> = w_num.chars().collect();
    if t_num.len() != w_num.len() {
        // Graph masks with a fixed number of characters: compare the shown tail only.
        let shown: Vec<char> = t_num
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .copied()
            .collect();
        return !shown.is_empty()
            && shown.len() <= w_num.len()
            && shown.iter().zip(w_num.iter().rev()).all(|(a, b)| a == b);
    }
    t_num
        .iter()
        .zip(&w_num)
        .all(|(t, w)| !t.is_ascii_digit() || t == w)
}

fn split_ext(text: &str) -> (&str, Option<&str>) {
    match text.rsplit_once('x') {
        Some((main, ext)) if !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_digit()) => {
            (main, Some(ext))
        }
        _ => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafile::UserIdx;
    use crate::migrate::plan::{ExpectToken, Expected, PlanUser};
    use crate::migrate::{MethodSet, PreferredMethod, Rule};

    fn num(t: &str) -> PhoneNumber {
        PhoneNumber::from_graph(t).expect("test number")
    }

    fn plan(expected: Expected) -> Plan {
        Plan {
            user: PlanUser {
                entra_id: "id".into(),
                upn: "ann@contoso.com".into(),
                mfa_user: UserIdx(0),
                mfa_username: "ann".into(),
                matched_by: Rule::M1,
            },
            ops: vec![],
            skips: vec![],
            notes: vec![],
            expected,
            usable: MethodSet::EMPTY,
            usable_via_legacy: MethodSet::EMPTY,
        }
    }

    #[test]
    fn masked_read_back_compares_the_digits_it_shows() {
        let want = num("+1 4255550100");
        assert!(masked_matches("+1 XXXXXXXX00", &want));
        assert!(!masked_matches("+1 XXXXXXXX99", &want));
        assert!(!masked_matches("+44 XXXXXXXX00", &want));
        assert!(masked_matches("+1 XXXXX00", &want));
        assert!(!masked_matches("+1 XXXXXXXX", &want));
        let ext = num("+1 4255550100x12");
        assert!(masked_matches("+1 XXXXXXXX00x12", &ext));
        assert!(!masked_matches("+1 XXXXXXXX00x13", &ext));
    }

    #[test]
    fn untouched_slots_and_extra_methods_are_not_differences() {
        let p = plan(Expected {
            mobile: ExpectSlot::Number(num("+1 4255550100")),
            alternate_mobile: ExpectSlot::Untouched,
            office: ExpectSlot::Untouched,
            tokens: vec![ExpectToken {
                serial: "H1".into(),
                activated: false,
            }],
            default: Some(PreferredMethod::Sms),
        });
        let after = EntraMethods {
            mobile: Some(EntraPhone::Masked("+1 XXXXXXXX00".into())),
            office: Some(EntraPhone::Number(num("+1 2065550100"))),
            hardware_oath: vec![crate::migrate::EntraHardwareToken {
                id: "m".into(),
                device_id: None,
                serial: Some("h1".into()),
                status: HardwareStatus::Activated,
            }],
            default: EntraDefault::Set(PreferredMethod::Sms),
            ..Default::default()
        };
        assert_eq!(verify(&p, &after), Ok(()));
        let none = EntraMethods::default();
        assert_eq!(
            verify(&p, &none),
            Err(vec![
                "mobile phone: expected +1 4255550100, Entra shows none".to_string(),
                "hardware token H1: expected assigned to the user, Entra does not show it".into(),
                "default method: expected sms, Entra shows none set".into(),
            ])
        );
    }
}
