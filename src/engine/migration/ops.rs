//! One planned write, as the engine handles it: where its secret comes from, which
//! hardware serials a user's plan needs looked up, whether a read-back shows the write
//! took effect (rule C5's reconciliation), and how it reads in the audit log (A1) —
//! never with a secret. A journal entry may also hold an undo write
//! ([`JournalOp`]): reconciliation and the audit handle both through `journal_*`.

use crate::datafile::{DataSet, HashFunction, Known, OathKind, TimeStep, UserIdx};
use crate::migrate::undo::{self, JournalOp, UndoOp};
use crate::migrate::{
    Action, EntraDefault, EntraMethods, EntraPhone, HardwareStatus, InventoryDevice,
    MigrationSettings, MobileAppHandling, Op, SecretSource, device_serial,
};
use crate::secret::OathSecret;

fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// The secret behind a token write, from the data set (never from anywhere else).
pub(crate) fn secret<'d>(
    data: &'d DataSet,
    user: UserIdx,
    source: &SecretSource,
) -> Option<&'d OathSecret> {
    let u = data.user(user)?;
    match source {
        SecretSource::Token { serial } => match u.tokens() {
            Known::Known(mut tokens) => tokens
                .find(|t| same_text(t.serial(), serial))
                .and_then(|t| t.secret()),
            Known::Unknown => None,
        },
        // Rule A1 kept the most recently activated of the devices with this name (the
        // first listed among equals): the secret is that device's.
        SecretSource::Device { name } => match u.devices() {
            Known::Known(devices) => {
                let mut best: Option<crate::datafile::Device<'d>> = None;
                for d in devices.filter(|d| same_text(d.name(), name)) {
                    if best.is_none_or(|b| d.activated_at() > b.activated_at()) {
                        best = Some(d);
                    }
                }
                best.and_then(|d| d.oath_secret())
            }
            Known::Unknown => None,
        },
    }
}

/// How codes of the token behind `source` are computed (an imported app device is
/// TOTP, 30 s, HMAC-SHA1: the RFC 6238 defaults MFA Server's app uses).
pub(crate) fn code_params(
    data: &DataSet,
    user: UserIdx,
    source: &SecretSource,
) -> (OathKind, TimeStep, HashFunction) {
    let default = (OathKind::Totp, TimeStep::S30, HashFunction::HmacSha1);
    let SecretSource::Token { serial } = source else {
        return default;
    };
    let Some(u) = data.user(user) else {
        return default;
    };
    match u.tokens() {
        Known::Known(mut tokens) => tokens
            .find(|t| same_text(t.serial(), serial))
            .map_or(default, |t| (t.kind(), t.time_step(), t.hash())),
        Known::Unknown => default,
    }
}

/// The serials rule H1 must find in the tenant's inventory for this user: the MFA
/// Server user's tokens and, when app devices are imported as tokens, their derived
/// serials — less those Entra already shows assigned to the user (nothing to look up).
pub(crate) fn serials_to_look_up(
    data: &DataSet,
    user: UserIdx,
    entra_id: &str,
    methods: &EntraMethods,
    settings: &MigrationSettings,
) -> Vec<String> {
    if !settings.hardware_oath_available {
        return Vec::new();
    }
    let Some(u) = data.user(user) else {
        return Vec::new();
    };
    let mut serials: Vec<String> = Vec::new();
    if let Known::Known(tokens) = u.tokens() {
        serials.extend(
            tokens
                .map(|t| t.serial().trim().to_string())
                .filter(|s| !s.is_empty()),
        );
    }
    if settings.mobile_app == MobileAppHandling::OathAsHardwareToken
        && let Known::Known(devices) = u.devices()
    {
        serials.extend(
            devices
                .filter(|d| d.oath_secret().is_some())
                .map(|d| device_serial(entra_id, d.name())),
        );
    }
    serials.retain(|s| {
        !methods.hardware_oath.iter().any(|h| {
            h.serial
                .as_deref()
                .is_some_and(|x| x.trim().eq_ignore_ascii_case(s))
        })
    });
    serials.sort_by_key(|s| s.to_ascii_lowercase());
    serials.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    serials
}

/// The serial an op is about, if it is a token op.
pub(crate) fn serial(action: &Action) -> Option<&str> {
    match action {
        Action::CreateHardwareToken { serial, .. } | Action::AssignHardwareToken { serial, .. } => {
            Some(serial)
        }
        _ => None,
    }
}

/// Whether a read-back shows `action` applied (rule C5: a write whose outcome is unknown
/// is judged by what Entra shows, never by guessing).
pub(crate) fn took_effect(
    action: &Action,
    methods: &EntraMethods,
    inventory: &[InventoryDevice],
) -> bool {
    match action {
        Action::AddPhone { slot, number } => match methods.phone(*slot) {
            Some(EntraPhone::Number(n)) => n == number,
            // A masked or unparsed number in a slot that was empty before the add: the
            // add landed (nothing else writes these slots during a run).
            Some(_) => true,
            None => false,
        },
        Action::UpdatePhone { slot, to, .. } => match methods.phone(*slot) {
            Some(EntraPhone::Number(n)) => n == to,
            _ => false,
        },
        Action::CreateHardwareToken { serial, .. } => {
            inventory
                .iter()
                .any(|d| d.serial.trim().eq_ignore_ascii_case(serial))
                || has_token(methods, serial).is_some()
        }
        Action::AssignHardwareToken {
            serial, activate, ..
        } => match has_token(methods, serial) {
            Some(status) => !activate || status == HardwareStatus::Activated,
            None => false,
        },
        Action::SetDefaultMethod { method, .. } => methods.default == EntraDefault::Set(*method),
    }
}

fn has_token(methods: &EntraMethods, serial: &str) -> Option<HardwareStatus> {
    methods
        .hardware_oath
        .iter()
        .find(|h| {
            h.serial
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case(serial))
        })
        .map(|h| h.status)
}

/// An audit entry's action, before and after (A1). Phone numbers and serials are what
/// the change board needs; secrets and codes never appear.
pub(crate) fn audit_parts(action: &Action) -> (&'static str, Option<String>, Option<String>) {
    match action {
        Action::AddPhone { slot, number } => (
            "phone.add",
            None,
            Some(format!("{} {}", slot.graph_name(), number.graph())),
        ),
        Action::UpdatePhone { slot, from, to } => (
            "phone.update",
            Some(format!("{} {from}", slot.graph_name())),
            Some(format!("{} {}", slot.graph_name(), to.graph())),
        ),
        Action::CreateHardwareToken {
            serial,
            manufacturer,
            model,
            time_step,
            hash,
            ..
        } => (
            "hardware_oath.create",
            None,
            Some(format!(
                "serial {serial} in the inventory ({manufacturer} {model}, {} s, {})",
                time_step.secs(),
                match hash {
                    HashFunction::HmacSha1 => "hmacsha1",
                    HashFunction::HmacSha256 => "hmacsha256",
                }
            )),
        ),
        Action::AssignHardwareToken {
            serial, activate, ..
        } => {
            if *activate {
                (
                    "hardware_oath.assign_activate",
                    None,
                    Some(format!("serial {serial} assigned and activated")),
                )
            } else {
                (
                    "hardware_oath.assign",
                    None,
                    Some(format!("serial {serial} assigned, not activated")),
                )
            }
        }
        Action::SetDefaultMethod { method, from } => (
            "default_method.set",
            Some(from.clone().unwrap_or_else(|| "not set".to_string())),
            Some(method.graph_name().to_string()),
        ),
    }
}

/// Whether a read-back shows a journaled write applied, a migration's or an undo's.
pub(crate) fn journal_took_effect(
    op: &JournalOp,
    methods: &EntraMethods,
    inventory: &[InventoryDevice],
) -> bool {
    match op {
        JournalOp::Migrate(op) => took_effect(&op.action, methods, inventory),
        JournalOp::Undo(op) => undo::took_effect(&op.action, methods, inventory),
    }
}

/// A journaled write's audit action, before and after, a migration's or an undo's.
pub(crate) fn journal_audit_parts(
    op: &JournalOp,
) -> (&'static str, Option<String>, Option<String>) {
    match op {
        JournalOp::Migrate(op) => audit_parts(&op.action),
        JournalOp::Undo(op) => undo::audit_parts(&op.action),
    }
}

/// An undo op as the journal stores it (no secret: tokens by serial and ids).
pub(crate) fn undo_journal_text(op: &UndoOp) -> String {
    serde_json::to_string(op).unwrap_or_else(|_| format!("{{\"op\":\"{}\"}}", op.action))
}

/// The op as the journal stores it: the action and its rules as JSON (plans hold no
/// secret: a token is named by its serial).
pub(crate) fn journal_text(op: &Op) -> String {
    serde_json::to_string(op).unwrap_or_else(|_| format!("{{\"op\":\"{}\"}}", op.action))
}

/// The rule ids of an op, `P1,P4`.
pub(crate) fn rule_ids(op: &Op) -> String {
    rule_list(&op.rules)
}

/// Rule ids as a list, `P1,P4`.
pub(crate) fn rule_list(rules: &[crate::migrate::Rule]) -> String {
    rules
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::migrate::{EntraHardwareToken, PhoneSlot, PreferredMethod, Rule};
    use crate::phone::PhoneNumber;

    fn num(t: &str) -> PhoneNumber {
        PhoneNumber::from_graph(t).unwrap()
    }

    #[test]
    fn read_back_decides_each_kind_of_write() {
        let mut m = EntraMethods::default();
        let add = Action::AddPhone {
            slot: PhoneSlot::Mobile,
            number: num("+1 4255550100"),
        };
        assert!(!took_effect(&add, &m, &[]));
        m.mobile = Some(EntraPhone::Number(num("+1 4255550100")));
        assert!(took_effect(&add, &m, &[]));
        let update = Action::UpdatePhone {
            slot: PhoneSlot::Mobile,
            from: "+1 4255550100".into(),
            to: num("+1 4255550199"),
        };
        assert!(!took_effect(&update, &m, &[]));

        let create = Action::CreateHardwareToken {
            serial: "T1".into(),
            manufacturer: "Contoso".into(),
            model: "M".into(),
            time_step: TimeStep::S30,
            hash: HashFunction::HmacSha1,
            source: SecretSource::Token {
                serial: "T1".into(),
            },
        };
        let inv = [InventoryDevice {
            id: "d".into(),
            serial: "t1".into(),
            owner: crate::migrate::DeviceOwner::Unassigned,
            status: HardwareStatus::Available,
        }];
        assert!(!took_effect(&create, &m, &[]));
        assert!(took_effect(&create, &m, &inv));
        let assign = Action::AssignHardwareToken {
            serial: "T1".into(),
            activate: true,
            display_name: "Contoso T1".into(),
            source: SecretSource::Token {
                serial: "T1".into(),
            },
        };
        assert!(!took_effect(&assign, &m, &inv));
        m.hardware_oath.push(EntraHardwareToken {
            id: "h".into(),
            device_id: Some("d".into()),
            serial: Some("T1".into()),
            status: HardwareStatus::Assigned,
        });
        assert!(
            !took_effect(&assign, &m, &inv),
            "assigned but not activated"
        );
        m.hardware_oath[0].status = HardwareStatus::Activated;
        assert!(took_effect(&assign, &m, &inv));

        let default = Action::SetDefaultMethod {
            method: PreferredMethod::Sms,
            from: None,
        };
        assert!(!took_effect(&default, &m, &[]));
        m.default = EntraDefault::Set(PreferredMethod::Sms);
        assert!(took_effect(&default, &m, &[]));
    }

    #[test]
    fn a_device_secret_comes_from_the_device_rule_a1_kept() {
        use crate::datafile::{DataSetBuilder, NewDevice, NewUser};
        use chrono::TimeZone;
        let mut b = DataSetBuilder::with_capacity(1);
        let u = b.push_user(NewUser {
            username: "ann",
            carries_devices: true,
            ..Default::default()
        });
        let at = |d| chrono::Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).single();
        let old = OathSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let new = OathSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        b.push_device(
            u,
            NewDevice {
                name: "Ann's iPhone",
                activated_at: at(1),
                oath_secret: Some(old),
                has_push_token: true,
            },
        );
        b.push_device(
            u,
            NewDevice {
                name: " ann's IPHONE ",
                activated_at: at(9),
                oath_secret: Some(new.clone()),
                has_push_token: true,
            },
        );
        let data = b.finish();
        let source = SecretSource::Device {
            name: "Ann's iPhone".into(),
        };
        let got = secret(&data, u, &source).unwrap();
        assert_eq!(got.expose_bytes(), new.expose_bytes());
    }

    #[test]
    fn audit_and_journal_text_name_no_secret() {
        let op = Op {
            action: Action::CreateHardwareToken {
                serial: "T1".into(),
                manufacturer: "Contoso".into(),
                model: "M".into(),
                time_step: TimeStep::S60,
                hash: HashFunction::HmacSha256,
                source: SecretSource::Device {
                    name: "Ann's phone".into(),
                },
            },
            rules: vec![Rule::A3, Rule::H2],
        };
        let (action, before, after) = audit_parts(&op.action);
        assert_eq!(action, "hardware_oath.create");
        assert_eq!(before, None);
        assert_eq!(
            after.as_deref(),
            Some("serial T1 in the inventory (Contoso M, 60 s, hmacsha256)")
        );
        let text = journal_text(&op);
        let back: Op = serde_json::from_str(&text).unwrap();
        assert_eq!(back, op);
        assert_eq!(rule_ids(&op), "A3,H2");
    }
}
