//! What the engine, the CLI and the TUI say about plans: one-line renderings of every
//! operation, skip and note with its rule ids (`plan` output, the TUI's plan preview),
//! the blast radius of a set of plans, and the "must re-register the app" list (A3).

use std::fmt;

use serde::Serialize;

use super::entra::PhoneSlot;
use super::plan::{Action, Note, NoteKind, Op, Plan, SecretSource, Skip, Subject, UserSkip};
use super::rules::Rule;
use crate::datafile::{DataSet, HashFunction, TimeStep};

/// `[P1,P4]`
struct Rules<'a>(&'a [Rule]);

impl fmt::Display for Rules<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        f.write_str("]")
    }
}

fn slot_word(slot: PhoneSlot) -> &'static str {
    slot.graph_name()
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::AddPhone { slot, number } => {
                write!(f, "add {} phone {number}", slot_word(*slot))
            }
            Action::UpdatePhone { slot, from, to } => {
                write!(f, "update {} phone {from} → {to}", slot_word(*slot))
            }
            Action::CreateHardwareToken {
                serial,
                manufacturer,
                model,
                time_step,
                hash,
                source,
            } => {
                let step = match time_step {
                    TimeStep::S30 => 30,
                    TimeStep::S60 => 60,
                };
                let hash = match hash {
                    HashFunction::HmacSha1 => "hmacsha1",
                    HashFunction::HmacSha256 => "hmacsha256",
                };
                write!(
                    f,
                    "create hardware token {serial} ({manufacturer} {model}, {step} s, {hash})"
                )?;
                if let SecretSource::Device { name } = source {
                    write!(f, " from the codes of app device \"{name}\"")?;
                }
                Ok(())
            }
            Action::AssignHardwareToken {
                serial, activate, ..
            } => {
                if *activate {
                    write!(f, "assign and activate hardware token {serial}")
                } else {
                    write!(f, "assign hardware token {serial} (HOTP: not activated)")
                }
            }
            Action::SetDefaultMethod { method, from } => match from {
                Some(old) => write!(f, "set default method {method} (was {old})"),
                None => write!(f, "set default method {method}"),
            },
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Rules(&self.rules), self.action)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User => f.write_str("user"),
            Subject::Phone => f.write_str("phone"),
            Subject::BackupPhone => f.write_str("backup phone"),
            Subject::Device { name } => write!(f, "app device \"{name}\""),
            Subject::Token { serial } => write!(f, "token {serial}"),
            Subject::DefaultMethod => f.write_str("default method"),
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} skip {}: {}",
            Rules(std::slice::from_ref(&self.rule)),
            self.subject,
            self.reason
        )
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            Rules(std::slice::from_ref(&self.rule)),
            self.subject,
            self.text
        )
    }
}

impl fmt::Display for UserSkip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.rule();
        match self {
            UserSkip::NotInMfaServer => write!(f, "[{rule}] not in MFA Server"),
            UserSkip::Conflict { mfa_users } => write!(
                f,
                "[{rule}] conflict: {} MFA Server users match, none is migrated",
                mfa_users.len()
            ),
            UserSkip::DisabledInMfaServer { .. } => write!(f, "[{rule}] disabled in MFA Server"),
            UserSkip::Unchanged { .. } => {
                write!(f, "[{rule}] unchanged since the last migration")
            }
        }
    }
}

/// [`UserSkip`]'s line with the MFA Server usernames it concerns.
pub fn describe_user_skip(skip: &UserSkip, data: &DataSet) -> String {
    let name = |u| data.user(u).map_or("?", |u| u.username());
    match skip {
        UserSkip::Conflict { mfa_users } => {
            let names: Vec<&str> = mfa_users.iter().map(|u| name(*u)).collect();
            format!(
                "[{}] conflict: MFA Server users {} all match, none is migrated",
                skip.rule(),
                names.join(", ")
            )
        }
        UserSkip::DisabledInMfaServer { mfa_user } => {
            format!(
                "[{}] {} is disabled in MFA Server",
                skip.rule(),
                name(*mfa_user)
            )
        }
        UserSkip::Unchanged { mfa_user } => format!(
            "[{}] {} is unchanged since the last migration",
            skip.rule(),
            name(*mfa_user)
        ),
        UserSkip::NotInMfaServer => skip.to_string(),
    }
}

/// Every line of a plan, in order: operations (C3 order), then skips, then notes.
pub fn plan_lines(plan: &Plan) -> Vec<String> {
    let mut lines = Vec::with_capacity(plan.ops.len() + plan.skips.len() + plan.notes.len());
    lines.extend(plan.ops.iter().map(ToString::to_string));
    lines.extend(plan.skips.iter().map(ToString::to_string));
    lines.extend(plan.notes.iter().map(ToString::to_string));
    lines
}

/// What a set of plans would do, for the confirmation tier and the summary screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    /// Users with a plan (sent to be migrated).
    pub users: usize,
    /// Users whose plan writes something.
    pub users_with_writes: usize,
    pub writes: usize,
    pub phone_writes: usize,
    pub token_writes: usize,
    pub default_writes: usize,
    /// Users with no usable Entra method after their plan: sent to Entra MFA, they would
    /// have to register first.
    pub without_usable_method: usize,
    /// Of those, users whose registered methods the legacy MFA or SSPR policy may still
    /// allow (the methods policy migration is not complete): not surely usable, not
    /// surely disabled.
    pub usable_only_via_legacy: usize,
    /// Users who must re-register the mobile app (A3).
    pub must_reregister: usize,
    pub skips: usize,
    /// Read-back outcomes recorded with [`BlastRadius::record_verification`].
    pub verified: usize,
    pub mismatched: usize,
}

impl BlastRadius {
    pub fn of<'p>(plans: impl IntoIterator<Item = &'p Plan>) -> BlastRadius {
        let mut b = BlastRadius::default();
        for p in plans {
            b.add(p);
        }
        b
    }

    pub fn add(&mut self, plan: &Plan) {
        self.users += 1;
        if !plan.ops.is_empty() {
            self.users_with_writes += 1;
        }
        self.writes += plan.ops.len();
        for op in &plan.ops {
            match op.action {
                Action::AddPhone { .. } | Action::UpdatePhone { .. } => self.phone_writes += 1,
                Action::CreateHardwareToken { .. } | Action::AssignHardwareToken { .. } => {
                    self.token_writes += 1
                }
                Action::SetDefaultMethod { .. } => self.default_writes += 1,
            }
        }
        if !plan.has_usable_method() {
            self.without_usable_method += 1;
            if plan.usable_only_via_legacy() {
                self.usable_only_via_legacy += 1;
            }
        }
        if plan.must_reregister_app() {
            self.must_reregister += 1;
        }
        self.skips += plan.skips.len();
    }

    /// Count one user's C4 outcome.
    pub fn record_verification(&mut self, outcome: &Result<(), Vec<String>>) {
        match outcome {
            Ok(()) => self.verified += 1,
            Err(_) => self.mismatched += 1,
        }
    }
}

/// One row of the "must re-register the app" export (A3; the checklist's Educate users
/// step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReregisterRow {
    pub upn: String,
    pub entra_id: String,
    pub mfa_username: String,
    /// The app devices concerned, newest first.
    pub devices: Vec<String>,
    /// Some of those devices' codes were imported as hardware tokens (codes work, push
    /// does not).
    pub codes_imported: bool,
}

/// The users who must re-register the app, in plan order.
pub fn must_reregister<'p>(plans: impl IntoIterator<Item = &'p Plan>) -> Vec<ReregisterRow> {
    plans
        .into_iter()
        .filter(|p| p.must_reregister_app())
        .map(|p| {
            let devices = p
                .notes
                .iter()
                .filter(|n| n.kind == NoteKind::MustReregister)
                .filter_map(|n| match &n.subject {
                    Subject::Device { name } => Some(name.clone()),
                    _ => None,
                })
                .collect();
            // Imported now (an assignment from a device) or by an earlier run (H1 present).
            let codes_imported = p.ops.iter().any(|op| {
                matches!(
                    &op.action,
                    Action::AssignHardwareToken {
                        source: SecretSource::Device { .. },
                        ..
                    }
                )
            }) || p.notes.iter().any(|n| {
                n.rule == Rule::H1
                    && n.kind == NoteKind::Present
                    && matches!(n.subject, Subject::Device { .. })
            });
            ReregisterRow {
                upn: p.user.upn.clone(),
                entra_id: p.user.entra_id.clone(),
                mfa_username: p.user.mfa_username.clone(),
                devices,
                codes_imported,
            }
        })
        .collect()
}
