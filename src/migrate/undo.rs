//! Per-user undo from the journal (pilot resets): from the writes the tool made to one
//! user that took effect, newest first, and what Entra shows now, the plan that restores
//! the user's before-state — delete what the tool created, restore what it changed,
//! leave what it did not touch — and the state a read-back must show afterwards.
//!
//! Each inverse names the journal entry and the rules of the write it undoes. A part
//! that Entra shows changed since (another number in the slot, the token gone, another
//! default) is not undone but shown as a difference; a part Graph cannot undo (a default
//! method cannot be cleared) is shown as kept. The walk keeps a running picture of the
//! user's state, newest write first, so that each inverse is judged against the state
//! the later inverses leave (a phone that is still the default cannot be deleted; a
//! device is deleted only once it is unassigned). Pure: no I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::entra::{
    DeviceOwner, EntraDefault, EntraMethods, EntraPhone, HardwareStatus, InventoryDevice,
    PhoneSlot, PreferredMethod,
};
use super::plan::{Action, Op};
use super::rules::Rule;
use super::verify::masked_matches;
use crate::phone::PhoneNumber;

/// One undo write. Distinct from a migration's [`Action`] so that no migration plan can
/// ever hold a delete (rule P4: Entra phones are never deleted by a migration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum UndoAction {
    /// DELETE phoneMethods/{fixed id}: the tool added `number`.
    DeletePhone {
        slot: PhoneSlot,
        number: PhoneNumber,
    },
    /// PATCH phoneMethods/{fixed id} back to the number before (`from` is what the tool
    /// wrote, `to` what Entra held before).
    RestorePhone {
        slot: PhoneSlot,
        from: PhoneNumber,
        to: PhoneNumber,
    },
    /// PATCH signInPreferences back to the default before.
    RestoreDefaultMethod {
        from: PreferredMethod,
        to: PreferredMethod,
    },
    /// DELETE hardwareOathMethods/{id}: the token goes back to the inventory.
    UnassignHardwareToken { serial: String, method_id: String },
    /// DELETE hardwareOathDevices/{id}: the tool created the device.
    DeleteHardwareToken { serial: String, device_id: String },
}

impl UndoAction {
    /// The hardware serial the write is about.
    pub fn serial(&self) -> Option<&str> {
        match self {
            UndoAction::UnassignHardwareToken { serial, .. }
            | UndoAction::DeleteHardwareToken { serial, .. } => Some(serial),
            _ => None,
        }
    }
}

impl fmt::Display for UndoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UndoAction::DeletePhone { slot, number } => {
                write!(f, "delete {} phone {number}", slot.graph_name())
            }
            UndoAction::RestorePhone { slot, from, to } => {
                write!(f, "restore {} phone {from} → {to}", slot.graph_name())
            }
            UndoAction::RestoreDefaultMethod { from, to } => {
                write!(f, "restore default method {from} → {to}")
            }
            UndoAction::UnassignHardwareToken { serial, .. } => {
                write!(f, "unassign hardware token {serial}")
            }
            UndoAction::DeleteHardwareToken { serial, .. } => {
                write!(f, "delete hardware token {serial} from the inventory")
            }
        }
    }
}

/// An undo write, the rules of the write it undoes, and that write's journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoOp {
    #[serde(flatten)]
    pub action: UndoAction,
    pub rules: Vec<Rule>,
    /// The journal entry of the write this undoes.
    pub undoes: i64,
}

/// A journal entry's operation: a migration write or an undo write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalOp {
    Migrate(Op),
    Undo(UndoOp),
}

impl JournalOp {
    /// Read a journal entry's `op` text; `None` for a format this build does not know.
    pub fn parse(text: &str) -> Option<JournalOp> {
        if let Ok(op) = serde_json::from_str::<Op>(text) {
            return Some(JournalOp::Migrate(op));
        }
        serde_json::from_str::<UndoOp>(text)
            .ok()
            .map(JournalOp::Undo)
    }

    /// The hardware serial the write is about.
    pub fn serial(&self) -> Option<&str> {
        match self {
            JournalOp::Migrate(op) => match &op.action {
                Action::CreateHardwareToken { serial, .. }
                | Action::AssignHardwareToken { serial, .. } => Some(serial),
                _ => None,
            },
            JournalOp::Undo(op) => op.action.serial(),
        }
    }

    pub fn rules(&self) -> &[Rule] {
        match self {
            JournalOp::Migrate(op) => &op.rules,
            JournalOp::Undo(op) => &op.rules,
        }
    }
}

impl fmt::Display for JournalOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalOp::Migrate(op) => write!(f, "{}", op.action),
            JournalOp::Undo(op) => write!(f, "{}", op.action),
        }
    }
}

/// A write of the tool to the user that took effect (outcome `ok` or `reconciled_done`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneWrite {
    pub journal: i64,
    /// `None`: the entry's format is not one this build reads.
    pub op: Option<JournalOp>,
}

/// Why a write of the tool is left as Entra has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeftKind {
    /// A difference: someone changed it in Entra since; undoing would overwrite that.
    Changed,
    /// A difference: it is no longer there; nothing to undo.
    Gone,
    /// Graph cannot undo it (a default method cannot be cleared).
    GraphLimit,
    /// The journal entry is in a format this build does not read.
    Unreadable,
}

/// A write of the tool that the undo leaves, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    pub journal: i64,
    /// The write as the journal holds it ("add mobile phone +1 4255550100").
    pub write: String,
    pub rules: Vec<Rule>,
    pub kind: LeftKind,
    pub text: String,
}

impl Left {
    /// Refused because Entra changed since (as opposed to gone, or a Graph limit).
    pub fn is_refusal(&self) -> bool {
        self.kind == LeftKind::Changed
    }
}

/// What a read-back must show after the undo (only what the undo writes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoExpected {
    /// Slots the undo writes: the number they hold afterwards, `None` for empty.
    pub phones: Vec<(PhoneSlot, Option<PhoneNumber>)>,
    /// Serials the user no longer holds.
    pub unassigned: Vec<String>,
    /// Serials no longer in the inventory.
    pub deleted: Vec<String>,
    /// The default method restored.
    pub default: Option<PreferredMethod>,
}

/// One user's undo: the writes in order, what is left and why, the expected state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoPlan {
    pub ops: Vec<UndoOp>,
    pub left: Vec<Left>,
    pub expected: UndoExpected,
}

impl UndoPlan {
    /// Parts refused because Entra changed since.
    pub fn refusals(&self) -> usize {
        self.left.iter().filter(|l| l.is_refusal()).count()
    }

    /// Nothing to write and nothing left: the tool's writes are all undone already.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.left.is_empty()
    }
}

/// The phone slot a default method needs.
fn default_slot(m: PreferredMethod) -> Option<PhoneSlot> {
    match m {
        PreferredMethod::Sms | PreferredMethod::VoiceMobile => Some(PhoneSlot::Mobile),
        PreferredMethod::VoiceAlternateMobile => Some(PhoneSlot::AlternateMobile),
        PreferredMethod::VoiceOffice => Some(PhoneSlot::Office),
        PreferredMethod::Push | PreferredMethod::Oath => None,
    }
}

fn holds(phone: Option<&EntraPhone>, number: &PhoneNumber) -> bool {
    match phone {
        Some(EntraPhone::Number(n)) => n == number,
        Some(EntraPhone::Masked(t)) => masked_matches(t, number),
        Some(EntraPhone::Unparsed(_)) | None => false,
    }
}

fn same_serial(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn default_text(d: &EntraDefault) -> String {
    match d {
        EntraDefault::NotSet => "none set".to_string(),
        EntraDefault::Set(m) => m.graph_name().to_string(),
        EntraDefault::Other(t) => t.clone(),
    }
}

/// The walk's picture of the user, newest inverse applied last.
struct State {
    methods: EntraMethods,
    inventory: Vec<InventoryDevice>,
}

/// Plan the undo of `writes` (the user's writes that took effect, newest first) against
/// what Entra shows now (`now`, with the user's own hardware tokens, and the inventory
/// devices of the serials the tool created).
pub fn plan_undo(
    writes: &[DoneWrite],
    now: &EntraMethods,
    inventory: &[InventoryDevice],
) -> UndoPlan {
    // Writes an earlier undo already reversed are not undone again.
    let undone: Vec<i64> = writes
        .iter()
        .filter_map(|w| match &w.op {
            Some(JournalOp::Undo(u)) => Some(u.undoes),
            _ => None,
        })
        .collect();
    let mut state = State {
        methods: now.clone(),
        inventory: inventory.to_vec(),
    };
    let mut plan = UndoPlan::default();
    for w in writes {
        match &w.op {
            None => plan.left.push(Left {
                journal: w.journal,
                write: format!("journal entry {}", w.journal),
                rules: Vec::new(),
                kind: LeftKind::Unreadable,
                text: "the entry is in a format this build does not read: not undone".into(),
            }),
            Some(JournalOp::Undo(_)) => {}
            Some(JournalOp::Migrate(_)) if undone.contains(&w.journal) => {}
            Some(JournalOp::Migrate(op)) => match invert(&op.action, &mut state) {
                Ok(action) => plan.ops.push(UndoOp {
                    action,
                    rules: op.rules.clone(),
                    undoes: w.journal,
                }),
                Err((kind, text)) => plan.left.push(Left {
                    journal: w.journal,
                    write: op.action.to_string(),
                    rules: op.rules.clone(),
                    kind,
                    text,
                }),
            },
        }
    }
    plan.expected = expected(&plan.ops, &state);
    plan
}

type Refused = (LeftKind, String);

/// The inverse of one write against the running state, which it then updates.
fn invert(action: &Action, s: &mut State) -> Result<UndoAction, Refused> {
    match action {
        Action::AddPhone { slot, number } => {
            let name = slot.graph_name();
            let now = s.methods.phone(*slot);
            match now {
                None => {
                    return Err((
                        LeftKind::Gone,
                        format!("Entra shows no {name} phone now: it was removed since"),
                    ));
                }
                Some(p) if !holds(Some(p), number) => {
                    return Err((
                        LeftKind::Changed,
                        format!(
                            "the {name} phone is {p} in Entra now, not {number}: changed since"
                        ),
                    ));
                }
                Some(_) => {}
            }
            if let EntraDefault::Set(m) = s.methods.default
                && default_slot(m) == Some(*slot)
            {
                return Err((
                    LeftKind::GraphLimit,
                    format!(
                        "the {name} phone is the default method ({m}), and Graph cannot clear a \
                         default method nor delete the phone it names: kept"
                    ),
                ));
            }
            if *slot == PhoneSlot::Mobile && s.methods.alternate_mobile.is_some() {
                return Err((
                    LeftKind::Changed,
                    "an alternateMobile phone the tool did not add is in Entra now, and Graph \
                     does not delete a mobile phone while one exists: kept"
                        .into(),
                ));
            }
            *s.methods.phone_mut(*slot) = None;
            Ok(UndoAction::DeletePhone {
                slot: *slot,
                number: *number,
            })
        }
        Action::UpdatePhone { slot, from, to } => {
            let name = slot.graph_name();
            match s.methods.phone(*slot) {
                None => {
                    return Err((
                        LeftKind::Changed,
                        format!("Entra shows no {name} phone now: it was removed since"),
                    ));
                }
                Some(p) if !holds(Some(p), to) => {
                    return Err((
                        LeftKind::Changed,
                        format!("the {name} phone is {p} in Entra now, not {to}: changed since"),
                    ));
                }
                Some(_) => {}
            }
            let Ok(before) = PhoneNumber::from_graph(from) else {
                return Err((
                    LeftKind::GraphLimit,
                    format!(
                        "the number before ({from}) was read masked or unreadable, so it cannot \
                         be written back: kept"
                    ),
                ));
            };
            *s.methods.phone_mut(*slot) = Some(EntraPhone::Number(before));
            Ok(UndoAction::RestorePhone {
                slot: *slot,
                from: *to,
                to: before,
            })
        }
        Action::SetDefaultMethod { method, from } => {
            if s.methods.default != EntraDefault::Set(*method) {
                return Err((
                    LeftKind::Changed,
                    format!(
                        "the default method is {} in Entra now, not {method}: changed since",
                        default_text(&s.methods.default)
                    ),
                ));
            }
            let Some(from) = from else {
                return Err((
                    LeftKind::GraphLimit,
                    format!(
                        "no default method was set before, and Graph cannot clear one: {method} \
                         is kept"
                    ),
                ));
            };
            let Some(before) = PreferredMethod::from_graph(from) else {
                return Err((
                    LeftKind::GraphLimit,
                    format!(
                        "the default before ({from}) is not one Graph can set: {method} is kept"
                    ),
                ));
            };
            s.methods.default = EntraDefault::Set(before);
            Ok(UndoAction::RestoreDefaultMethod {
                from: *method,
                to: before,
            })
        }
        Action::AssignHardwareToken { serial, .. } => {
            let pos = s
                .methods
                .hardware_oath
                .iter()
                .position(|h| h.serial.as_deref().is_some_and(|x| same_serial(x, serial)));
            let Some(pos) = pos else {
                return Err((
                    LeftKind::Gone,
                    format!("the user no longer holds hardware token {serial}: removed since"),
                ));
            };
            let token = s.methods.hardware_oath.remove(pos);
            for d in s
                .inventory
                .iter_mut()
                .filter(|d| same_serial(&d.serial, serial))
            {
                d.owner = DeviceOwner::Unassigned;
                d.status = HardwareStatus::Available;
            }
            Ok(UndoAction::UnassignHardwareToken {
                serial: serial.clone(),
                method_id: token.id,
            })
        }
        Action::CreateHardwareToken { serial, .. } => {
            if s.methods
                .hardware_oath
                .iter()
                .any(|h| h.serial.as_deref().is_some_and(|x| same_serial(x, serial)))
            {
                return Err((
                    LeftKind::Changed,
                    format!("hardware token {serial} is still assigned to the user: not deleted"),
                ));
            }
            let pos = s
                .inventory
                .iter()
                .position(|d| same_serial(&d.serial, serial));
            let Some(pos) = pos else {
                return Err((
                    LeftKind::Gone,
                    format!("hardware token {serial} is no longer in the inventory"),
                ));
            };
            match &s.inventory[pos].owner {
                DeviceOwner::Unassigned if !s.inventory[pos].id.is_empty() => {
                    let d = s.inventory.remove(pos);
                    Ok(UndoAction::DeleteHardwareToken {
                        serial: serial.clone(),
                        device_id: d.id,
                    })
                }
                DeviceOwner::User(other) => Err((
                    LeftKind::Changed,
                    format!(
                        "hardware token {serial} is assigned to another user ({other}) now: not \
                         deleted"
                    ),
                )),
                DeviceOwner::Unassigned | DeviceOwner::NotVisible => Err((
                    LeftKind::Changed,
                    format!(
                        "hardware token {serial} is held where the inventory does not show: not deleted"
                    ),
                )),
            }
        }
    }
}

fn expected(ops: &[UndoOp], s: &State) -> UndoExpected {
    let mut e = UndoExpected::default();
    for op in ops {
        match &op.action {
            UndoAction::DeletePhone { slot, .. } | UndoAction::RestorePhone { slot, .. } => {
                if !e.phones.iter().any(|(x, _)| x == slot) {
                    e.phones
                        .push((*slot, s.methods.phone(*slot).and_then(EntraPhone::number)));
                }
            }
            UndoAction::RestoreDefaultMethod { .. } => {
                if let EntraDefault::Set(m) = s.methods.default {
                    e.default = Some(m);
                }
            }
            UndoAction::UnassignHardwareToken { serial, .. } => e.unassigned.push(serial.clone()),
            UndoAction::DeleteHardwareToken { serial, .. } => e.deleted.push(serial.clone()),
        }
    }
    e.phones.sort_by_key(|(s, _)| *s);
    e
}

/// Whether a read-back shows `action` applied (rule C5 for undo writes: an undo whose
/// outcome is unknown is judged by what Entra shows).
pub fn took_effect(
    action: &UndoAction,
    methods: &EntraMethods,
    inventory: &[InventoryDevice],
) -> bool {
    match action {
        UndoAction::DeletePhone { slot, number } => !holds(methods.phone(*slot), number),
        UndoAction::RestorePhone { slot, to, .. } => holds(methods.phone(*slot), to),
        UndoAction::RestoreDefaultMethod { to, .. } => methods.default == EntraDefault::Set(*to),
        UndoAction::UnassignHardwareToken { serial, .. } => !methods
            .hardware_oath
            .iter()
            .any(|h| h.serial.as_deref().is_some_and(|x| same_serial(x, serial))),
        UndoAction::DeleteHardwareToken { serial, .. } => {
            !inventory.iter().any(|d| same_serial(&d.serial, serial))
        }
    }
}

/// An audit entry's action, before and after (A1), for an undo write.
pub fn audit_parts(action: &UndoAction) -> (&'static str, Option<String>, Option<String>) {
    match action {
        UndoAction::DeletePhone { slot, number } => (
            "undo.phone.delete",
            Some(format!("{} {}", slot.graph_name(), number.graph())),
            None,
        ),
        UndoAction::RestorePhone { slot, from, to } => (
            "undo.phone.restore",
            Some(format!("{} {}", slot.graph_name(), from.graph())),
            Some(format!("{} {}", slot.graph_name(), to.graph())),
        ),
        UndoAction::RestoreDefaultMethod { from, to } => (
            "undo.default_method.restore",
            Some(from.graph_name().to_string()),
            Some(to.graph_name().to_string()),
        ),
        UndoAction::UnassignHardwareToken { serial, .. } => (
            "undo.hardware_oath.unassign",
            Some(format!("serial {serial} assigned")),
            Some(format!("serial {serial} unassigned, in the inventory")),
        ),
        UndoAction::DeleteHardwareToken { serial, .. } => (
            "undo.hardware_oath.delete",
            Some(format!("serial {serial} in the inventory")),
            None,
        ),
    }
}

/// Compare a read-back after the undo with the plan's expected state: `Ok` when Entra
/// shows it, otherwise every difference as a sentence.
pub fn verify_undo(
    expected: &UndoExpected,
    methods: &EntraMethods,
    inventory: &[InventoryDevice],
) -> Result<(), Vec<String>> {
    let mut diffs = Vec::new();
    for (slot, want) in &expected.phones {
        let name = slot.graph_name();
        let got = methods.phone(*slot);
        match (want, got) {
            (None, None) => {}
            (None, Some(p)) => diffs.push(format!("{name} phone: expected none, Entra shows {p}")),
            (Some(w), g) if holds(g, w) => {}
            (Some(w), None) => diffs.push(format!("{name} phone: expected {w}, Entra shows none")),
            (Some(w), Some(p)) => {
                diffs.push(format!("{name} phone: expected {w}, Entra shows {p}"))
            }
        }
    }
    for serial in &expected.unassigned {
        if methods
            .hardware_oath
            .iter()
            .any(|h| h.serial.as_deref().is_some_and(|x| same_serial(x, serial)))
        {
            diffs.push(format!(
                "hardware token {serial}: expected unassigned, Entra shows it assigned to the user"
            ));
        }
    }
    for serial in &expected.deleted {
        if inventory.iter().any(|d| same_serial(&d.serial, serial)) {
            diffs.push(format!(
                "hardware token {serial}: expected deleted, the inventory still holds it"
            ));
        }
    }
    if let Some(want) = expected.default
        && methods.default != EntraDefault::Set(want)
    {
        diffs.push(format!(
            "default method: expected {want}, Entra shows {}",
            default_text(&methods.default)
        ));
    }
    if diffs.is_empty() { Ok(()) } else { Err(diffs) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::datafile::{HashFunction, TimeStep};
    use crate::migrate::EntraHardwareToken;
    use crate::migrate::plan::SecretSource;

    fn num(t: &str) -> PhoneNumber {
        PhoneNumber::from_graph(t).unwrap()
    }

    fn done(journal: i64, action: Action, rules: &[Rule]) -> DoneWrite {
        DoneWrite {
            journal,
            op: Some(JournalOp::Migrate(Op {
                action,
                rules: rules.to_vec(),
            })),
        }
    }

    fn add(slot: PhoneSlot, n: &str) -> Action {
        Action::AddPhone {
            slot,
            number: num(n),
        }
    }

    fn token(id: &str, serial: &str) -> EntraHardwareToken {
        EntraHardwareToken {
            id: id.into(),
            device_id: Some(format!("dev-{serial}")),
            serial: Some(serial.into()),
            status: HardwareStatus::Activated,
        }
    }

    fn device(serial: &str, owner: DeviceOwner) -> InventoryDevice {
        InventoryDevice {
            id: format!("dev-{serial}"),
            serial: serial.into(),
            owner,
            status: HardwareStatus::Activated,
        }
    }

    fn create(serial: &str) -> Action {
        Action::CreateHardwareToken {
            serial: serial.into(),
            manufacturer: "Contoso".into(),
            model: "M".into(),
            time_step: TimeStep::S30,
            hash: HashFunction::HmacSha1,
            source: SecretSource::Token {
                serial: serial.into(),
            },
        }
    }

    fn assign(serial: &str) -> Action {
        Action::AssignHardwareToken {
            serial: serial.into(),
            activate: true,
            display_name: format!("Contoso {serial}"),
            source: SecretSource::Token {
                serial: serial.into(),
            },
        }
    }

    /// A whole migration (mobile, office, a token created and assigned, the default
    /// changed from voiceOffice): undone newest first, each inverse naming its write's
    /// journal entry and rules; the read-back expected is the before-state.
    #[test]
    fn a_whole_migration_is_undone_newest_first() {
        let writes = vec![
            done(
                5,
                Action::SetDefaultMethod {
                    method: PreferredMethod::Oath,
                    from: Some("voiceOffice".into()),
                },
                &[Rule::D1, Rule::D2],
            ),
            done(4, assign("T1"), &[Rule::H2]),
            done(3, create("T1"), &[Rule::H2]),
            done(
                2,
                Action::UpdatePhone {
                    slot: PhoneSlot::Office,
                    from: "+1 2065550100".into(),
                    to: num("+1 4255550100x12"),
                },
                &[Rule::P2, Rule::P4],
            ),
            done(1, add(PhoneSlot::Mobile, "+1 4255550199"), &[Rule::P1]),
        ];
        let now = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550199"))),
            office: Some(EntraPhone::Number(num("+1 4255550100x12"))),
            hardware_oath: vec![token("m1", "T1")],
            default: EntraDefault::Set(PreferredMethod::Oath),
            ..Default::default()
        };
        let inv = [device("T1", DeviceOwner::User("u".into()))];
        let plan = plan_undo(&writes, &now, &inv);
        assert!(plan.left.is_empty(), "{:?}", plan.left);
        let got: Vec<(String, i64, Vec<Rule>)> = plan
            .ops
            .iter()
            .map(|o| (o.action.to_string(), o.undoes, o.rules.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "restore default method oath → voiceOffice".to_string(),
                    5,
                    vec![Rule::D1, Rule::D2]
                ),
                ("unassign hardware token T1".into(), 4, vec![Rule::H2]),
                (
                    "delete hardware token T1 from the inventory".into(),
                    3,
                    vec![Rule::H2]
                ),
                (
                    "restore office phone +1 4255550100x12 → +1 2065550100".into(),
                    2,
                    vec![Rule::P2, Rule::P4]
                ),
                (
                    "delete mobile phone +1 4255550199".into(),
                    1,
                    vec![Rule::P1]
                ),
            ]
        );
        assert_eq!(
            plan.ops[1].action,
            UndoAction::UnassignHardwareToken {
                serial: "T1".into(),
                method_id: "m1".into()
            }
        );
        assert_eq!(
            plan.expected,
            UndoExpected {
                phones: vec![
                    (PhoneSlot::Mobile, None),
                    (PhoneSlot::Office, Some(num("+1 2065550100")))
                ],
                unassigned: vec!["T1".into()],
                deleted: vec!["T1".into()],
                default: Some(PreferredMethod::VoiceOffice),
            }
        );
        // The before-state read back verifies; the state before the undo does not.
        let before = EntraMethods {
            office: Some(EntraPhone::Number(num("+1 2065550100"))),
            default: EntraDefault::Set(PreferredMethod::VoiceOffice),
            ..Default::default()
        };
        assert_eq!(verify_undo(&plan.expected, &before, &[]), Ok(()));
        let diffs = verify_undo(&plan.expected, &now, &inv).unwrap_err();
        assert_eq!(diffs.len(), 5, "{diffs:?}");
    }

    #[test]
    fn a_slot_holding_another_number_is_a_difference_and_the_rest_is_undone() {
        let writes = vec![
            done(
                2,
                add(PhoneSlot::AlternateMobile, "+1 4255550111"),
                &[Rule::B1],
            ),
            done(1, add(PhoneSlot::Office, "+1 4255550100x7"), &[Rule::P2]),
        ];
        let now = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550000"))),
            alternate_mobile: Some(EntraPhone::Number(num("+1 4255550999"))),
            office: Some(EntraPhone::Number(num("+1 4255550100x7"))),
            ..Default::default()
        };
        let plan = plan_undo(&writes, &now, &[]);
        assert_eq!(plan.ops.len(), 1);
        assert_eq!(plan.ops[0].undoes, 1);
        assert_eq!(plan.left.len(), 1);
        let l = &plan.left[0];
        assert_eq!(
            (l.journal, l.kind, l.rules.clone()),
            (2, LeftKind::Changed, vec![Rule::B1])
        );
        assert!(l.text.contains("+1 4255550999"), "{}", l.text);
        assert_eq!(plan.refusals(), 1);
    }

    #[test]
    fn a_removed_phone_or_token_is_gone_not_written() {
        let writes = vec![
            done(2, assign("T9"), &[Rule::H2]),
            done(1, add(PhoneSlot::Mobile, "+1 4255550100"), &[Rule::P1]),
        ];
        let plan = plan_undo(&writes, &EntraMethods::default(), &[]);
        assert!(plan.ops.is_empty());
        let kinds: Vec<LeftKind> = plan.left.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [LeftKind::Gone, LeftKind::Gone]);
        assert_eq!(plan.refusals(), 0);
    }

    #[test]
    fn an_update_is_refused_when_the_slot_changed_and_kept_when_the_old_number_was_masked() {
        let update = |from: &str| Action::UpdatePhone {
            slot: PhoneSlot::Mobile,
            from: from.into(),
            to: num("+1 4255550100"),
        };
        let changed = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550142"))),
            ..Default::default()
        };
        let p = plan_undo(
            &[done(1, update("+1 4255550199"), &[Rule::P1, Rule::P4])],
            &changed,
            &[],
        );
        assert_eq!(p.left[0].kind, LeftKind::Changed);
        let as_written = EntraMethods {
            mobile: Some(EntraPhone::Masked("+1 XXXXXXXX00".into())),
            ..Default::default()
        };
        let p = plan_undo(
            &[done(1, update("+1 XXXXXXXX99"), &[Rule::P1])],
            &as_written,
            &[],
        );
        assert!(p.ops.is_empty());
        assert_eq!(p.left[0].kind, LeftKind::GraphLimit);
        // A masked read of what the tool wrote still counts as what it wrote.
        let p = plan_undo(
            &[done(1, update("+1 4255550199"), &[Rule::P1])],
            &as_written,
            &[],
        );
        assert_eq!(
            p.ops[0].action,
            UndoAction::RestorePhone {
                slot: PhoneSlot::Mobile,
                from: num("+1 4255550100"),
                to: num("+1 4255550199")
            }
        );
    }

    /// Graph cannot clear a default: a default set from none is kept, and so is the phone
    /// it names, which Graph refuses to delete.
    #[test]
    fn a_default_set_from_none_is_kept_with_the_phone_it_names() {
        let writes = vec![
            done(
                2,
                Action::SetDefaultMethod {
                    method: PreferredMethod::Sms,
                    from: None,
                },
                &[Rule::D1],
            ),
            done(1, add(PhoneSlot::Mobile, "+1 4255550100"), &[Rule::P1]),
        ];
        let now = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550100"))),
            default: EntraDefault::Set(PreferredMethod::Sms),
            ..Default::default()
        };
        let plan = plan_undo(&writes, &now, &[]);
        assert!(plan.ops.is_empty());
        assert_eq!(
            plan.left.iter().map(|l| l.kind).collect::<Vec<_>>(),
            [LeftKind::GraphLimit, LeftKind::GraphLimit]
        );
        assert!(
            plan.left[0].text.contains("cannot clear"),
            "{}",
            plan.left[0].text
        );
    }

    #[test]
    fn a_default_changed_since_is_a_difference() {
        let writes = vec![done(
            1,
            Action::SetDefaultMethod {
                method: PreferredMethod::Sms,
                from: Some("voiceMobile".into()),
            },
            &[Rule::D1],
        )];
        let now = EntraMethods {
            default: EntraDefault::Set(PreferredMethod::Push),
            ..Default::default()
        };
        let plan = plan_undo(&writes, &now, &[]);
        assert_eq!(plan.left[0].kind, LeftKind::Changed);
        assert!(plan.left[0].text.contains("push"), "{}", plan.left[0].text);
    }

    #[test]
    fn a_token_given_to_someone_else_is_not_deleted() {
        let writes = vec![
            done(2, assign("T1"), &[Rule::H2]),
            done(1, create("T1"), &[Rule::H2]),
        ];
        let inv = [device("T1", DeviceOwner::User("someone-else".into()))];
        let plan = plan_undo(&writes, &EntraMethods::default(), &inv);
        assert!(plan.ops.is_empty());
        assert_eq!(
            plan.left.iter().map(|l| l.kind).collect::<Vec<_>>(),
            [LeftKind::Gone, LeftKind::Changed]
        );
        // Assigned by the tool but created by someone else: unassigned, never deleted.
        let now = EntraMethods {
            hardware_oath: vec![token("m", "T2")],
            ..Default::default()
        };
        let plan = plan_undo(&[done(1, assign("T2"), &[Rule::H1])], &now, &[]);
        assert_eq!(plan.ops.len(), 1);
        assert!(matches!(
            plan.ops[0].action,
            UndoAction::UnassignHardwareToken { .. }
        ));
        assert_eq!(plan.expected.deleted, Vec::<String>::new());
    }

    #[test]
    fn a_mobile_phone_is_kept_while_an_alternate_added_since_needs_it() {
        let now = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550100"))),
            alternate_mobile: Some(EntraPhone::Number(num("+1 4255550101"))),
            ..Default::default()
        };
        let plan = plan_undo(
            &[done(
                1,
                add(PhoneSlot::Mobile, "+1 4255550100"),
                &[Rule::P1],
            )],
            &now,
            &[],
        );
        assert_eq!(plan.left[0].kind, LeftKind::Changed);
    }

    /// Writes an earlier undo reversed are not undone twice; a later migration's are.
    #[test]
    fn an_earlier_undo_is_not_undone_again() {
        let undo = DoneWrite {
            journal: 2,
            op: Some(JournalOp::Undo(UndoOp {
                action: UndoAction::DeletePhone {
                    slot: PhoneSlot::Mobile,
                    number: num("+1 4255550100"),
                },
                rules: vec![Rule::P1],
                undoes: 1,
            })),
        };
        let first = done(1, add(PhoneSlot::Mobile, "+1 4255550100"), &[Rule::P1]);
        let plan = plan_undo(
            &[undo.clone(), first.clone()],
            &EntraMethods::default(),
            &[],
        );
        assert!(plan.is_empty(), "{plan:?}");
        let again = done(3, add(PhoneSlot::Mobile, "+1 4255550100"), &[Rule::P1]);
        let now = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550100"))),
            ..Default::default()
        };
        let plan = plan_undo(&[again, undo, first], &now, &[]);
        assert_eq!(plan.ops.len(), 1);
        assert_eq!(plan.ops[0].undoes, 3);
        assert!(plan.left.is_empty());
    }

    #[test]
    fn journal_ops_of_both_kinds_round_trip_and_unknown_ones_are_left() {
        let undo = UndoOp {
            action: UndoAction::UnassignHardwareToken {
                serial: "T1".into(),
                method_id: "m".into(),
            },
            rules: vec![Rule::H2],
            undoes: 4,
        };
        let text = serde_json::to_string(&undo).unwrap();
        assert_eq!(JournalOp::parse(&text), Some(JournalOp::Undo(undo.clone())));
        assert_eq!(
            JournalOp::parse(&text).and_then(|o| o.serial().map(String::from)),
            Some("T1".into())
        );
        let op = Op {
            action: add(PhoneSlot::Mobile, "+1 4255550100"),
            rules: vec![Rule::P1],
        };
        let text = serde_json::to_string(&op).unwrap();
        assert_eq!(JournalOp::parse(&text), Some(JournalOp::Migrate(op)));
        assert_eq!(JournalOp::parse(r#"{"op":"launch_rocket"}"#), None);
        let plan = plan_undo(
            &[DoneWrite {
                journal: 9,
                op: None,
            }],
            &EntraMethods::default(),
            &[],
        );
        assert_eq!(plan.left[0].kind, LeftKind::Unreadable);
    }

    #[test]
    fn read_back_decides_each_undo_write() {
        let mut m = EntraMethods {
            mobile: Some(EntraPhone::Number(num("+1 4255550100"))),
            hardware_oath: vec![token("m", "T1")],
            ..Default::default()
        };
        let del = UndoAction::DeletePhone {
            slot: PhoneSlot::Mobile,
            number: num("+1 4255550100"),
        };
        assert!(!took_effect(&del, &m, &[]));
        let unassign = UndoAction::UnassignHardwareToken {
            serial: "t1".into(),
            method_id: "m".into(),
        };
        assert!(!took_effect(&unassign, &m, &[]));
        let delete = UndoAction::DeleteHardwareToken {
            serial: "T1".into(),
            device_id: "d".into(),
        };
        let inv = [device("T1", DeviceOwner::Unassigned)];
        assert!(!took_effect(&delete, &m, &inv));
        assert!(took_effect(&delete, &m, &[]));
        m.mobile = None;
        m.hardware_oath.clear();
        assert!(took_effect(&del, &m, &[]));
        assert!(took_effect(&unassign, &m, &[]));
        let restore = UndoAction::RestoreDefaultMethod {
            from: PreferredMethod::Sms,
            to: PreferredMethod::Push,
        };
        assert!(!took_effect(&restore, &m, &[]));
        m.default = EntraDefault::Set(PreferredMethod::Push);
        assert!(took_effect(&restore, &m, &[]));
        let (action, before, after) = audit_parts(&del);
        assert_eq!(action, "undo.phone.delete");
        assert_eq!(before.as_deref(), Some("mobile +1 4255550100"));
        assert_eq!(after, None);
    }
}
