//! One user's plan: [`decide`] turns a match into "plan this user" or a whole-user skip
//! (M4, C1, conflicts); [`plan_user`] applies the phone, device, token and default-method
//! rules (in `phones`, `devices`, `tokens`, `default_method`) and orders the writes (C3).
//!
//! Pure: every input arrives as an argument (Entra state read by the engine, the policy
//! already evaluated for the user, timestamps inside the data set); no clock, no I/O, no
//! randomness. The same inputs give the same plan, byte for byte.

use std::collections::HashMap;

use super::default_method;
use super::devices;
use super::entra::{EntraMethods, EntraUser, InventoryDevice, PhoneSlot};
use super::fingerprint::fingerprint;
use super::matching::Match;
use super::phones;
use super::plan::{
    Action, ExpectSlot, Expected, Note, NoteKind, Op, Plan, PlanUser, Skip, Subject, UserSkip,
};
use super::rules::Rule;
use super::settings::MigrationSettings;
use super::tokens;
use super::usable::{self, AllowedMethods};
use crate::datafile::{DataSet, Known, ProblemKind, User, UserIdx};

/// Why the reader could not normalise a user's phones (rule P5): the reader keeps the
/// user without the bad number and records a row problem; the plan names it as a skip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhoneProblems<'a> {
    pub phone: Option<&'a str>,
    pub backup_phone: Option<&'a str>,
}

/// Everything the rules look at for one matched user.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    pub user: User<'a>,
    /// M1, M2 or M3.
    pub matched_by: Rule,
    pub entra: &'a EntraUser,
    /// Entra's current state for the user.
    pub methods: &'a EntraMethods,
    /// Tenant hardware OATH devices whose serials this user's tokens use (rule H1),
    /// including the serials derived for mobile app devices ([`tokens::device_serial`]).
    pub inventory: &'a [InventoryDevice],
    /// The methods policy, evaluated for this user.
    pub allowed: AllowedMethods,
    pub settings: &'a MigrationSettings,
    /// Row problems of the user's phones (P5); see [`ProblemIndex`].
    pub phone_problems: PhoneProblems<'a>,
}

/// A plan under construction; the rule modules add to it.
#[derive(Debug)]
pub(super) struct Draft {
    pub ops: Vec<Op>,
    pub skips: Vec<Skip>,
    pub notes: Vec<Note>,
    pub expected: Expected,
}

impl Draft {
    fn new() -> Draft {
        Draft {
            ops: Vec::with_capacity(4),
            skips: Vec::new(),
            notes: Vec::new(),
            expected: Expected {
                mobile: ExpectSlot::Untouched,
                alternate_mobile: ExpectSlot::Untouched,
                office: ExpectSlot::Untouched,
                tokens: Vec::new(),
                default: None,
            },
        }
    }

    pub fn op(&mut self, action: Action, rules: impl Into<Vec<Rule>>) {
        self.ops.push(Op {
            action,
            rules: rules.into(),
        });
    }

    pub fn skip(&mut self, subject: Subject, rule: Rule, reason: impl Into<String>) {
        self.skips.push(Skip {
            subject,
            rule,
            reason: reason.into(),
        });
    }

    pub fn note(&mut self, subject: Subject, rule: Rule, kind: NoteKind, text: impl Into<String>) {
        self.notes.push(Note {
            subject,
            rule,
            kind,
            text: text.into(),
        });
    }
}

/// Plan one matched user by rules P1–P5, B1–B4, A1–A3, H1–H3, L1 and D1–D4; ops in C3
/// order. Whole-user skips (M4, C1, conflicts) are [`decide`]'s.
pub fn plan_user(input: &PlanInput<'_>) -> Plan {
    let mut d = Draft::new();
    let phones = phones::plan(input, &mut d);
    let convert = devices::plan(input, &mut d);
    let tokens = tokens::plan(input, &convert, &mut d);
    let registered = default_method::registered_after(input, &phones, &tokens);
    let usable = usable::usable(registered, input.allowed);
    if !input.allowed.office_phone {
        office_phone_note(&phones, &mut d);
    }
    default_method::plan(input, &phones, registered, usable, &mut d);
    // C3 (and D4: the default last). A stable sort keeps create-before-assign per token
    // and the rule modules' own order within a rank.
    d.ops.sort_by_key(|op| op.action.order());
    Plan {
        user: PlanUser {
            entra_id: input.entra.id.clone(),
            upn: input.entra.upn.clone(),
            mfa_user: input.user.idx(),
            mfa_username: input.user.username().to_string(),
            matched_by: input.matched_by,
        },
        ops: d.ops,
        skips: d.skips,
        notes: d.notes,
        expected: d.expected,
        usable: usable.sure,
        usable_via_legacy: usable.via_legacy,
    }
}

/// D3, `isOfficePhoneAllowed`: a plan that writes the office slot says the number cannot
/// be used for sign-in.
fn office_phone_note(phones: &phones::PhoneOutcome, d: &mut Draft) {
    let writes_office = d.ops.iter().any(|op| {
        matches!(
            op.action,
            Action::AddPhone {
                slot: PhoneSlot::Office,
                ..
            } | Action::UpdatePhone {
                slot: PhoneSlot::Office,
                ..
            }
        )
    });
    if !writes_office {
        return;
    }
    let subject = if phones.phone_to_office {
        Subject::Phone
    } else {
        Subject::BackupPhone
    };
    d.note(
        subject,
        Rule::D3,
        NoteKind::OfficePhoneNotAllowed,
        "office phones are not allowed (Voice configuration: isOfficePhoneAllowed is false): \
         the office number is stored but Entra will not call it",
    );
}

/// Rule C1 inputs: the fingerprint key and what the store holds for this Entra user.
#[derive(Debug, Clone, Copy)]
pub struct Change<'k> {
    /// The store's fingerprint key (secrets enter fingerprints only under it).
    pub key: &'k [u8],
    /// The fingerprint recorded after this user's last successful migration.
    pub previous: Option<[u8; 32]>,
    /// `--include-unchanged` (the utility's "Migrate all users").
    pub include_unchanged: bool,
}

/// What to do with one Entra member.
#[derive(Debug, Clone)]
pub enum Decision<'a> {
    /// Plan this user; record `fingerprint` once the migration is verified (C1).
    Plan {
        user: User<'a>,
        matched_by: Rule,
        fingerprint: [u8; 32],
    },
    Skip(UserSkip),
}

/// Whole-user decisions before planning: not in MFA Server or conflicting (M1–M3),
/// disabled (M4; a user whose input does not say is treated as enabled), unchanged (C1).
pub fn decide<'a>(
    matched: &Match,
    data: &'a DataSet,
    settings: &MigrationSettings,
    change: Change<'_>,
) -> Decision<'a> {
    let (idx, by) = match matched {
        Match::Matched { user, by } => (*user, *by),
        Match::NotInMfaServer => return Decision::Skip(UserSkip::NotInMfaServer),
        Match::Conflict { users, .. } => {
            return Decision::Skip(UserSkip::Conflict {
                mfa_users: users.clone(),
            });
        }
    };
    let Some(user) = data.user(idx) else {
        // A match from another data set: nothing to plan from.
        return Decision::Skip(UserSkip::NotInMfaServer);
    };
    if user.enabled() == Known::Known(false) && !settings.include_disabled {
        return Decision::Skip(UserSkip::DisabledInMfaServer { mfa_user: idx });
    }
    let fingerprint = fingerprint(user, settings, change.key);
    if !change.include_unchanged && change.previous == Some(fingerprint) {
        return Decision::Skip(UserSkip::Unchanged { mfa_user: idx });
    }
    Decision::Plan {
        user,
        matched_by: by,
        fingerprint,
    }
}

/// Phone row problems (P5) by user, built once per data set.
///
/// A problem belongs to the user read from the same input and row; a problem without a
/// row falls back to its username. Problems of kind `bad_phone` whose field names the
/// backup phone (`backup_phone`, `Backup Phone`, …) concern the backup phone, the others
/// the phone.
#[derive(Debug, Default)]
pub struct ProblemIndex<'d> {
    by_user: HashMap<UserIdx, PhoneProblems<'d>>,
}

impl<'d> ProblemIndex<'d> {
    pub fn new(data: &'d DataSet) -> ProblemIndex<'d> {
        let mut by_row: HashMap<(usize, u64), Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in data.problems.iter().enumerate() {
            if p.kind != ProblemKind::BadPhone || p.set_aside {
                continue;
            }
            match (p.row, &p.user) {
                (Some(row), _) => by_row.entry((p.input, row)).or_default().push(i),
                (None, Some(name)) => by_name.entry(name.to_lowercase()).or_default().push(i),
                (None, None) => {}
            }
        }
        let mut by_user = HashMap::new();
        if by_row.is_empty() && by_name.is_empty() {
            return ProblemIndex { by_user };
        }
        for user in data.users() {
            let src = user.source();
            let rows = by_row.get(&(src.input as usize, u64::from(src.row)));
            let named = if by_name.is_empty() {
                None
            } else {
                by_name.get(&user.username().to_lowercase())
            };
            for &i in rows.into_iter().chain(named).flatten() {
                let Some(p) = data.problems.get(i) else {
                    continue;
                };
                let entry: &mut PhoneProblems<'d> = by_user.entry(user.idx()).or_default();
                if p.field.to_ascii_lowercase().contains("backup") {
                    entry.backup_phone.get_or_insert(p.reason.as_str());
                } else {
                    entry.phone.get_or_insert(p.reason.as_str());
                }
            }
        }
        ProblemIndex { by_user }
    }

    pub fn phones(&self, user: UserIdx) -> PhoneProblems<'d> {
        self.by_user.get(&user).copied().unwrap_or_default()
    }
}
