//! `audit` and `journal`: this tool's own records, read offline (no sign-in) from the
//! state store through the engine. The audit log holds every tenant change with who,
//! what, before, after and whether an interlock was forced (A1); the journal every write
//! with its intent, outcome and reconciliation (C5). Newest first.

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use super::headless::{self, Setup};
use super::{CliError, Exit, GlobalArgs};
use crate::engine::store::{
    AuditEntry, AuditFilter, JournalEntry, JournalFilter, OutcomeKind, TargetKind,
};
use crate::engine::{Answer, Command, EngineHandle, RecordsCommand, SystemClock};
use crate::safe_text::Safe;

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// Only changes at or after this time: RFC 3339 (`2026-12-01T08:00:00Z`) or a
    /// duration ago (`24h`, `7d`).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Only this kind: user_method, rollout_policy, rollout_group, domain_federation,
    /// inventory_item, checklist_step (or rollout, federation, methods).
    #[arg(long, value_name = "K")]
    pub kind: Option<String>,
    /// Only changes of this target: an id, or part of a user, group or domain name.
    #[arg(long, value_name = "X")]
    pub target: Option<String>,
    /// At most this many entries (newest first).
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct JournalArgs {
    /// Only writes to this user (UPN or part of it, or the object id), group or domain.
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// Only writes at or after this time (RFC 3339, or `24h`, `7d` ago).
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Only this kind (as for `audit --kind`).
    #[arg(long, value_name = "K")]
    pub kind: Option<String>,
    /// Only writes whose outcome is still unknown (read back at the next start).
    #[arg(long)]
    pub open: bool,
    #[arg(long, default_value_t = 1000)]
    pub limit: usize,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--since`: a time, or a duration before now.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, CliError> {
    let t = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    let back = humantime::parse_duration(t).map_err(|_| {
        CliError::bad_input(format!(
            "--since \"{}\": expected a time such as 2026-12-01T08:00:00Z or a duration such as \
             24h or 7d",
            Safe(t)
        ))
    })?;
    let back = chrono::Duration::from_std(back)
        .map_err(|_| CliError::bad_input(format!("--since \"{}\": too far back", Safe(t))))?;
    Ok(now - back)
}

/// `--kind`: a stored kind, or a short word for a family of them.
pub fn parse_kind(text: &str) -> Result<Vec<TargetKind>, CliError> {
    let t = text.trim().to_ascii_lowercase();
    Ok(match t.as_str() {
        "rollout" => vec![TargetKind::RolloutPolicy, TargetKind::RolloutGroup],
        "federation" => vec![TargetKind::DomainFederation],
        "methods" | "migration" | "user" => vec![TargetKind::UserMethod],
        "inventory" | "dependency" => vec![TargetKind::InventoryItem],
        "checklist" => vec![TargetKind::ChecklistStep],
        _ => match TargetKind::parse(&t) {
            Some(k) => vec![k],
            None => {
                let kinds: Vec<&str> = TargetKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(CliError::bad_input(format!(
                    "--kind \"{}\": expected one of {}, or rollout, federation, methods, \
                     inventory, checklist",
                    Safe(text),
                    kinds.join(", ")
                )));
            }
        },
    })
}

async fn engine(setup: &Setup) -> Result<EngineHandle, CliError> {
    Ok(
        crate::engine::start_offline(setup.config.clone(), std::sync::Arc::new(SystemClock))
            .await
            .map_err(headless::start_error)?
            .engine,
    )
}

async fn ask(engine: &mut EngineHandle, c: RecordsCommand) -> Result<Answer, CliError> {
    engine
        .call(Command::Records(c), |_| {})
        .await
        .map_err(|e| match e {
            crate::engine::CallError::Refused(r) => headless::refusal_error(r),
            crate::engine::CallError::Gone => CliError::failure("the engine stopped"),
        })
}

#[derive(Serialize)]
struct AuditOut {
    total: u64,
    entries: Vec<AuditEntry>,
}

#[derive(Serialize)]
struct JournalOut {
    total: u64,
    entries: Vec<JournalEntry>,
}

pub fn audit(global: &GlobalArgs, args: &AuditArgs) -> Result<Exit, CliError> {
    let setup = Setup::new_without_data(global)?;
    let now = Utc::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now))
        .transpose()?;
    let kinds = match &args.kind {
        Some(k) => parse_kind(k)?,
        None => vec![],
    };
    setup.runtime.block_on(async {
        let mut engine = engine(&setup).await?;
        let mut total = 0;
        let mut entries = Vec::new();
        let queries: Vec<Option<TargetKind>> = if kinds.is_empty() {
            vec![None]
        } else {
            kinds.iter().copied().map(Some).collect()
        };
        for kind in queries {
            let filter = AuditFilter {
                kind,
                target: args.target.clone(),
                since,
                until: None,
            };
            if let Answer::Audit {
                entries: e,
                total: t,
            } = ask(
                &mut engine,
                RecordsCommand::Audit {
                    filter,
                    before: None,
                    limit: args.limit,
                },
            )
            .await?
            {
                total += t;
                entries.extend(e);
            }
        }
        let _ = engine.call(Command::Shutdown, |_| {}).await;
        entries.sort_by_key(|e| std::cmp::Reverse(e.0));
        entries.truncate(args.limit);
        let entries: Vec<AuditEntry> = entries.into_iter().map(|(_, e)| e).collect();
        if args.json {
            let text = serde_json::to_string_pretty(&AuditOut { total, entries })
                .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
            println!("{text}");
        } else {
            println!("{} change(s); newest first", total);
            for e in &entries {
                println!(
                    "{}  {:<24} {:<22} {}{}",
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    Safe(&e.actor),
                    e.action,
                    Safe(&e.target.name),
                    if e.forced { "  FORCED" } else { "" }
                );
                if e.before.is_some() || e.after.is_some() {
                    println!(
                        "      {} → {}",
                        Safe(e.before.as_deref().unwrap_or("—")),
                        Safe(e.after.as_deref().unwrap_or("—"))
                    );
                }
                if let Some(d) = &e.detail {
                    println!("      {}", Safe(d));
                }
            }
        }
        Ok(Exit::Success)
    })
}

pub fn journal(global: &GlobalArgs, args: &JournalArgs) -> Result<Exit, CliError> {
    let setup = Setup::new_without_data(global)?;
    let now = Utc::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_since(s, now))
        .transpose()?;
    let kind = match &args.kind {
        Some(k) => match parse_kind(k)?.as_slice() {
            [one] => Some(*one),
            _ => {
                return Err(CliError::bad_input(format!(
                    "--kind \"{}\": name one kind for the journal",
                    Safe(k)
                )));
            }
        },
        None => None,
    };
    setup.runtime.block_on(async {
        let mut engine = engine(&setup).await?;
        let filter = JournalFilter {
            kind,
            target: args.user.clone(),
            since,
            until: None,
            open_only: args.open,
        };
        let answer = ask(
            &mut engine,
            RecordsCommand::Journal {
                filter,
                before: None,
                limit: args.limit,
            },
        )
        .await;
        let _ = engine.call(Command::Shutdown, |_| {}).await;
        let Answer::Journal { entries, total } = answer? else {
            return Err(CliError::failure("the engine answered something else"));
        };
        if args.json {
            let text = serde_json::to_string_pretty(&JournalOut { total, entries })
                .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
            println!("{text}");
        } else {
            println!("{} write(s); newest first", total);
            for e in &entries {
                let outcome = match e.outcome {
                    None => "OPEN (read back at the next start)".to_string(),
                    Some(OutcomeKind::Ok) => format!(
                        "ok{}",
                        e.http_status.map(|s| format!(" {s}")).unwrap_or_default()
                    ),
                    Some(k) => k.as_str().to_string(),
                };
                println!(
                    "#{:<7} {}  {:<17} {:<32} {}",
                    e.id.0,
                    e.intent_at.format("%Y-%m-%d %H:%M:%S"),
                    e.target.kind.as_str(),
                    Safe(&e.target.name),
                    outcome
                );
                println!("         {}", Safe(&e.op));
                if let Some(err) = &e.error {
                    println!("         error: {}", Safe(err));
                }
            }
        }
        Ok(Exit::Success)
    })
}
