//! `undo --users U,...`: restore users' before-state from the journal (pilot resets).
//!
//! The engine is asked twice, like a rollout change: first as a what-if (per user, the
//! writes that undo the tool's own, each with the rules of the write it undoes, and what
//! is left: differences where Entra changed since, parts Graph cannot undo), then,
//! confirmed (`--yes`, or the number of users typed at the terminal: tier 2), applied —
//! the engine plans again from what Entra shows at that moment.
//!
//! Exit codes: 0 undone (parts that are gone or that Graph cannot undo are listed, not
//! failures); 4 some part refused as a difference (Entra changed since), the rest undone;
//! 1 a write failed, the read-back differs, or a user could not be read; 2 a user the
//! journal holds no write to (nothing is written then); 3 no confirmation; 5 the state
//! store is held elsewhere. A what-if exits as the undo would.

use std::io::IsTerminal;

use clap::Args;

use super::cutover::{json, scopes, start};
use super::headless::{self, Setup};
use super::{CliError, Exit, GlobalArgs};
use crate::engine::{
    Access, Answer, Command, EngineHandle, MigrationCommand, ReadBack, UndoReport, UndoState,
};
use crate::safe_text::Safe;

#[derive(Debug, Clone, Args)]
pub struct UndoArgs {
    /// The users: object ids or UPNs, comma-separated.
    #[arg(long, value_name = "U,...", value_delimiter = ',', required = true)]
    pub users: Vec<String>,
    /// Only show what would be undone and what is left; change nothing.
    #[arg(long)]
    pub what_if: bool,
    /// Do not ask: the confirmation is given.
    #[arg(long)]
    pub yes: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: &UndoArgs) -> Result<Exit, CliError> {
    let users: Vec<String> = args
        .users
        .iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    if users.is_empty() {
        return Err(CliError::bad_input(
            "--users names no user: expected object ids or UPNs, comma-separated",
        ));
    }
    let can_ask = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.what_if && !args.yes && !can_ask {
        return Err(CliError {
            exit: Exit::NeedsConfirmation,
            message: "undo changes the tenant: pass --yes to confirm, or --what-if to see the \
                      plan only (no terminal to ask on)"
                .into(),
        });
    }
    let setup = Setup::new_without_data(global)?;
    let access = if args.what_if {
        Access::ReadOnly
    } else {
        Access::Write {
            command: "undo".into(),
        }
    };
    setup.runtime.block_on(async {
        let mut engine = start(&setup, access, scopes(&[])).await?.engine;
        let result = undo(&mut engine, args, users).await;
        let _ = engine.call(Command::Shutdown, |_| {}).await;
        result
    })
}

async fn undo(
    engine: &mut EngineHandle,
    args: &UndoArgs,
    users: Vec<String>,
) -> Result<Exit, CliError> {
    let preview = call(engine, users.clone(), false).await?;
    let unknown: Vec<&str> = preview
        .users
        .iter()
        .filter(|u| u.state == UndoState::NotInJournal)
        .map(|u| u.asked.as_str())
        .collect();
    let to_write = preview
        .users
        .iter()
        .filter(|u| u.state.plan().is_some_and(|p| !p.ops.is_empty()))
        .count();
    if args.what_if || !unknown.is_empty() || to_write == 0 {
        if args.json {
            json(&preview)?;
        } else {
            print!("{}", preview.text());
        }
        if !unknown.is_empty() {
            return Err(CliError::bad_input(format!(
                "the journal holds no write of this tool to {}: nothing was written",
                unknown
                    .iter()
                    .map(|u| format!("\"{}\"", Safe(u)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        return Ok(exit_of(&preview));
    }
    if !args.yes {
        eprint!("{}", preview.text());
        let count = to_write.to_string();
        let ok = headless::confirm(
            &format!("Undo the tool's writes to {count} user(s)? Type \"{count}\" to go ahead:"),
            Some(&count),
        )?;
        if !ok {
            return Err(CliError {
                exit: Exit::NeedsConfirmation,
                message: "not confirmed: nothing was written".into(),
            });
        }
    }
    let done = call(engine, users, true).await?;
    if args.json {
        json(&done)?;
    } else {
        print!("{}", done.text());
    }
    Ok(exit_of(&done))
}

async fn call(
    engine: &mut EngineHandle,
    users: Vec<String>,
    apply: bool,
) -> Result<UndoReport, CliError> {
    let answer = engine
        .call(
            Command::Migration(MigrationCommand::Undo { users, apply }),
            |_| {},
        )
        .await
        .map_err(|e| match e {
            crate::engine::CallError::Refused(r) => headless::refusal_error(r),
            crate::engine::CallError::Gone => CliError::failure("the engine stopped"),
        })?;
    match answer {
        Answer::Undo(r) => Ok(*r),
        _ => Err(CliError::failure("the engine answered something else")),
    }
}

/// The exit code a report gives (see the module doc).
fn exit_of(r: &UndoReport) -> Exit {
    let failed = r.users.iter().any(|u| match &u.state {
        UndoState::Blocked { .. } | UndoState::ReadFailed { .. } | UndoState::Failed { .. } => true,
        UndoState::Applied { read_back, .. } => *read_back != ReadBack::Verified,
        UndoState::NotInJournal | UndoState::Planned { .. } => false,
    });
    if failed {
        Exit::Failure
    } else if r.refusals() > 0 {
        Exit::Interlock
    } else {
        Exit::Success
    }
}
