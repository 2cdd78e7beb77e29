//! What a run looked like from the outside: the summary and per-user lines a headless
//! command prints, or its one JSON document (`plan --json`, `migrate --json`, `sync
//! --json`), and the exit code it implies. Untrusted text (names, reasons from Graph)
//! is made terminal-safe when printed as text; JSON escapes it by itself.

use serde::Serialize;

use super::CliError;
use super::Exit;
use super::driver::{Row, RunResult};
use crate::datafile::DataSet;
use crate::engine::{Progress, UserStatus};
use crate::migrate::{BlastRadius, Note, Rule, Skip, UserSkip, describe_user_skip};
use crate::safe_text::Safe;

/// The report of a run: summary and users.
pub(super) fn build(
    rows: &[Row],
    data: &DataSet,
    errors: &[String],
    group: &str,
    result: &RunResult,
    reconciled: usize,
) -> Report {
    let mut s = Summary {
        group: group.to_string(),
        dry_run: result.dry_run,
        cancelled: result.cancelled,
        targeted: result.progress.targeted,
        writes: result.progress.writes,
        requests: result.progress.requests,
        throttled: result.progress.throttled,
        reconciled,
        duration_secs: ((result.finished - result.started).as_secs_f64() * 10.0).round() / 10.0,
        errors: errors.to_vec(),
        ..Default::default()
    };
    let mut radius = BlastRadius::default();
    let mut users = Vec::new();
    for row in rows {
        let Some(status) = &row.status else { continue };
        if let Some(plan) = &row.plan {
            radius.add(plan);
        }
        let mut out = UserOut {
            upn: row.upn.clone(),
            entra_id: row.entra_id.clone(),
            mfa_user: row.plan.as_ref().map(|p| p.user.mfa_username.clone()),
            matched_by: row.matched_by,
            status: "queued",
            reason: None,
            ops: Vec::new(),
            skips: Vec::new(),
            notes: Vec::new(),
            error: None,
            differences: Vec::new(),
        };
        if let Some(plan) = &row.plan {
            out.ops = plan
                .ops
                .iter()
                .map(|op| OpOut {
                    text: op.action.to_string(),
                    rules: op.rules.clone(),
                    action: op.action.clone(),
                })
                .collect();
            out.skips = plan.skips.iter().map(SkipOut::from).collect();
            out.notes = plan.notes.iter().map(NoteOut::from).collect();
        }
        match status {
            UserStatus::Verified => {
                s.verified += 1;
                out.status = "verified";
                if row.plan.as_ref().is_some_and(|p| !p.is_noop()) {
                    s.migrated += 1;
                }
            }
            UserStatus::Mismatch { differences } => {
                s.failed += 1;
                s.mismatched += 1;
                out.status = "mismatch";
                out.differences = differences.clone();
            }
            UserStatus::Failed { error, .. } => {
                s.failed += 1;
                out.status = "failed";
                out.error = Some(error.clone());
            }
            UserStatus::Skipped { skip } => {
                s.skipped += 1;
                match skip {
                    UserSkip::Unchanged { .. } => {
                        s.unchanged += 1;
                        out.status = "unchanged";
                    }
                    UserSkip::NotInMfaServer => {
                        s.not_in_mfa_server += 1;
                        out.status = "skipped";
                    }
                    UserSkip::Conflict { .. } => {
                        s.conflicts += 1;
                        out.status = "skipped";
                    }
                    UserSkip::DisabledInMfaServer { .. } => {
                        s.disabled += 1;
                        out.status = "skipped";
                    }
                }
                out.reason = Some(ReasonOut {
                    rule: skip.rule(),
                    text: describe_user_skip(skip, data),
                });
            }
            UserStatus::Planned { .. } => out.status = "planned",
            UserStatus::Queued | UserStatus::Reading => out.status = "queued",
            UserStatus::Writing { .. } => out.status = "interrupted",
        }
        users.push(out);
    }
    s.planned_users = radius.users_with_writes;
    s.planned_writes = radius.writes;
    s.must_reregister = radius.must_reregister;
    s.without_usable_method = radius.without_usable_method;
    Report { summary: s, users }
}

pub(super) fn progress_line(p: &Progress) -> String {
    let mut parts = vec![format!("{} verified", p.verified)];
    if p.failed > 0 {
        parts.push(format!("{} failed", p.failed));
    }
    if p.skipped > 0 {
        parts.push(format!("{} skipped", p.skipped));
    }
    parts.push(format!("{} writes ({:.1}/s)", p.writes, p.writes_per_sec));
    if p.throttled > 0 {
        parts.push(format!("{} throttled", p.throttled));
    }
    parts.join(" · ")
}

/// `migrate --json` and friends: one document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub users: Vec<UserOut>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub group: String,
    pub dry_run: bool,
    pub cancelled: bool,
    /// Members the run covered.
    pub targeted: usize,
    /// Verified users that needed at least one write.
    pub migrated: usize,
    /// Users whose read-back matched their plan (C4), writes or not.
    pub verified: usize,
    /// Skipped by rule C1.
    pub unchanged: usize,
    /// Every whole-user skip (unchanged, not in MFA Server, conflict, disabled).
    pub skipped: usize,
    pub not_in_mfa_server: usize,
    pub conflicts: usize,
    pub disabled: usize,
    /// Failed, mismatches included.
    pub failed: usize,
    pub mismatched: usize,
    /// Dry run: planned users whose plan writes nothing.
    pub already_matched: usize,
    /// Users the run did not finish (cancelled, or stopped before their turn).
    pub not_done: usize,
    /// Users whose plan writes something, and those writes (dry run: to be made).
    pub planned_users: usize,
    pub planned_writes: usize,
    /// Writes made by this run.
    pub writes: u64,
    /// Graph operations the run sent after the members were listed (each `$batch` item
    /// counts; retries too): 0 when every user is unchanged (C1).
    pub requests: u64,
    /// Operations Graph answered 429.
    pub throttled: u64,
    pub must_reregister: usize,
    pub without_usable_method: usize,
    /// Writes an interrupted earlier run left open, read back at start.
    pub reconciled: usize,
    pub duration_secs: f64,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserOut {
    pub upn: String,
    pub entra_id: String,
    pub mfa_user: Option<String>,
    /// How the user was matched to MFA Server: M1 (UPN), M2 (SID) or M3 (attribute). A
    /// SID or attribute match means the UPNs differ, which a reviewer should see.
    pub matched_by: Option<Rule>,
    /// `verified`, `mismatch`, `failed`, `unchanged`, `skipped`, `planned`, `queued`.
    pub status: &'static str,
    /// Why a whole user was skipped.
    pub reason: Option<ReasonOut>,
    pub ops: Vec<OpOut>,
    pub skips: Vec<SkipOut>,
    pub notes: Vec<NoteOut>,
    pub error: Option<String>,
    pub differences: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReasonOut {
    pub rule: Rule,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpOut {
    pub rules: Vec<Rule>,
    pub text: String,
    /// The operation as data (`op`, `slot`, `number`, `serial`, …).
    pub action: crate::migrate::Action,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkipOut {
    pub rule: Rule,
    pub subject: String,
    pub reason: String,
}

impl From<&Skip> for SkipOut {
    fn from(s: &Skip) -> SkipOut {
        SkipOut {
            rule: s.rule,
            subject: s.subject.to_string(),
            reason: s.reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteOut {
    pub rule: Rule,
    pub subject: String,
    pub text: String,
}

impl From<&Note> for NoteOut {
    fn from(n: &Note) -> NoteOut {
        NoteOut {
            rule: n.rule,
            subject: n.subject.to_string(),
            text: n.text.clone(),
        }
    }
}

impl Report {
    /// Print the one JSON document (`pretty`) or one line of it (`sync --json`, one per
    /// cycle) to stdout as it is serialised: a 500,000-user plan is hundreds of MiB of
    /// JSON, never held whole in memory.
    pub fn print_json(&self, pretty: bool) -> Result<(), CliError> {
        use std::io::Write;
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
        let written = if pretty {
            serde_json::to_writer_pretty(&mut out, self)
        } else {
            serde_json::to_writer(&mut out, self)
        };
        written
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush())
            .map_err(|e| CliError::failure(format!("cannot write the JSON report: {e}")))
    }

    /// The summary as a few lines of text. Its lines add up to the users targeted.
    pub fn summary_text(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let what = if s.dry_run { "Dry run" } else { "Migration" };
        let state = if s.cancelled { " (cancelled)" } else { "" };
        out.push_str(&format!(
            "{what} of \"{}\"{state}: {} users in {:.1} s\n",
            Safe(&s.group),
            s.targeted,
            s.duration_secs
        ));
        if s.dry_run {
            out.push_str(&format!(
                "  to migrate     {:>7}  ({} writes)\n",
                s.planned_users, s.planned_writes
            ));
            out.push_str(&format!(
                "  already match  {:>7}  (nothing to write)\n",
                s.already_matched
            ));
        } else {
            out.push_str(&format!(
                "  verified       {:>7}  ({} migrated now, the rest already matched; {} writes)\n",
                s.verified, s.migrated, s.writes
            ));
        }
        out.push_str(&format!(
            "  skipped        {:>7}  ({} unchanged, {} not in MFA Server, {} conflicts, {} disabled)\n",
            s.skipped, s.unchanged, s.not_in_mfa_server, s.conflicts, s.disabled
        ));
        if s.failed > 0 {
            out.push_str(&format!(
                "  FAILED         {:>7}  ({} mismatches after read-back)\n",
                s.failed, s.mismatched
            ));
        }
        if s.not_done > 0 {
            out.push_str(&format!(
                "  not done       {:>7}  (cancelled or interrupted before their turn)\n",
                s.not_done
            ));
        }
        if s.must_reregister > 0 {
            out.push_str(&format!(
                "  re-register    {:>7}  must re-register the mobile app (A3)\n",
                s.must_reregister
            ));
        }
        if s.without_usable_method > 0 {
            out.push_str(&format!(
                "  no method      {:>7}  would have no usable Entra method (D3)\n",
                s.without_usable_method
            ));
        }
        out.push_str(&format!(
            "  Graph          {} requests, {} throttled\n",
            s.requests, s.throttled
        ));
        out
    }

    /// Per user: the plan's lines (dry run) or what went wrong (migration), and every
    /// user skipped by a rule (unchanged users only as a count: there can be thousands).
    pub fn user_text(&self) -> String {
        let mut out = String::new();
        for u in &self.users {
            let interesting = match u.status {
                "failed" | "mismatch" | "interrupted" | "skipped" => true,
                "planned" => !u.ops.is_empty() || !u.skips.is_empty(),
                _ => false,
            };
            if !interesting {
                continue;
            }
            out.push_str(&format!("{} [{}]", Safe(&u.upn), u.status));
            match (&u.matched_by, &u.mfa_user) {
                (Some(rule), Some(mfa)) if *rule != Rule::M1 => out.push_str(&format!(
                    " matched by {} ({}) to MFA Server user {}",
                    rule,
                    rule.summary().trim_start_matches("matched "),
                    Safe(mfa)
                )),
                _ => {}
            }
            out.push('\n');
            if let Some(r) = &u.reason {
                out.push_str(&format!("    [{}] {}\n", r.rule, Safe(&r.text)));
            }
            for op in &u.ops {
                let rules: Vec<String> = op.rules.iter().map(ToString::to_string).collect();
                out.push_str(&format!("    [{}] {}\n", rules.join(","), Safe(&op.text)));
            }
            for s in &u.skips {
                out.push_str(&format!(
                    "    [{}] skip {}: {}\n",
                    s.rule,
                    Safe(&s.subject),
                    Safe(&s.reason)
                ));
            }
            if let Some(e) = &u.error {
                out.push_str(&format!("    error: {}\n", Safe(e)));
            }
            for d in &u.differences {
                out.push_str(&format!("    differs: {}\n", Safe(d)));
            }
        }
        out
    }
}

/// Exit code of a run: 1 when users failed or the run was cancelled or stopped by an
/// error; 0 otherwise (skips are not failures).
pub fn exit_of(report: &Report) -> Exit {
    let s = &report.summary;
    if s.failed > 0 || s.cancelled {
        Exit::Failure
    } else {
        Exit::Success
    }
}
