//! `checklist`: the cutover checklist (checklist.md) from the shell — every step with its
//! live check and figures, what is next and what blocks the federation switch, the
//! rollback plan; `--end-state N` chooses the end state, `--tick STEP [--note]` ticks a
//! manual step, `--report FILE` writes the change board's Markdown. The same engine
//! service as the TUI's Checklist tab.

use clap::Args;

use super::cutover::{finding_line, json, once, scopes, start};
use super::headless::Setup;
use super::{CliError, Exit, GlobalArgs};
use crate::checklist::{EndState, Phase, StepState, bar};
use crate::engine::{Access, Answer, ChecklistCommand, ChecklistReport, Command};
use crate::graph::auth::Capability as Scope;
use crate::safe_text::Safe;

#[derive(Debug, Clone, Args)]
pub struct ChecklistArgs {
    /// Choose (or change) the end state: 1 MFA Server only, 2 also cloud authentication,
    /// 3 also decommission AD FS. Begins the checklist. Audited.
    #[arg(long, value_name = "N", conflicts_with_all = ["tick", "untick"])]
    pub end_state: Option<u8>,
    /// Tick a manual step (fin.portal, fin.decommission), one of the five validate checks
    /// (mig.validate.methods, .phone, .sign_in, .push, .oath) or a step whose check cannot
    /// decide. Audited with who and when.
    #[arg(long, value_name = "STEP", conflicts_with = "untick")]
    pub tick: Option<String>,
    /// Take a tick back.
    #[arg(long, value_name = "STEP")]
    pub untick: Option<String>,
    /// With --tick or --untick: a note for the change board.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Write the change board's report (Markdown, mode 0600) to FILE.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: &ChecklistArgs) -> Result<Exit, CliError> {
    let change = match (&args.end_state, &args.tick, &args.untick) {
        (Some(n), _, _) => Some(ChecklistCommand::SetEndState(
            EndState::from_number(*n).ok_or_else(|| {
                CliError::bad_input(format!("--end-state {n}: expected 1, 2 or 3"))
            })?,
        )),
        (_, Some(step), _) => Some(ChecklistCommand::Tick {
            step: step.clone(),
            done: true,
            note: args.note.clone(),
        }),
        (_, _, Some(step)) => Some(ChecklistCommand::Tick {
            step: step.clone(),
            done: false,
            note: args.note.clone(),
        }),
        _ => None,
    };
    let setup = Setup::new_without_data(global)?;
    let caps = scopes(&[Scope::Rollout, Scope::Federation]);
    setup.runtime.block_on(async {
        let access = if change.is_some() {
            Access::Write {
                command: "checklist".into(),
            }
        } else {
            Access::ReadOnly
        };
        let mut engine = start(&setup, access, caps).await?.engine;
        if let Some(c) = change {
            once_more(&mut engine, Command::Checklist(c)).await?;
        }
        if let Some(path) = &args.report {
            let answer = once_more(
                &mut engine,
                Command::Checklist(ChecklistCommand::Report { path: path.clone() }),
            )
            .await?;
            if let Answer::Written { path, what } = answer {
                eprintln!("wrote {what} to {}", Safe(&path.display().to_string()));
            }
        }
        let Answer::Checklist(report) =
            once(&mut engine, Command::Checklist(ChecklistCommand::Status)).await?
        else {
            return Err(CliError::failure("the engine answered something else"));
        };
        if args.json {
            json(&report)?;
        } else {
            print!("{}", text(&report));
        }
        Ok(Exit::Success)
    })
}

/// A request that is not the last: the engine keeps running.
async fn once_more(
    engine: &mut crate::engine::EngineHandle,
    c: Command,
) -> Result<Answer, CliError> {
    engine.call(c, |_| {}).await.map_err(|e| match e {
        crate::engine::CallError::Refused(r) => super::headless::refusal_error(r),
        crate::engine::CallError::Gone => CliError::failure("the engine stopped"),
    })
}

fn text(r: &ChecklistReport) -> String {
    let c = &r.checklist;
    let mut out = String::new();
    match c.end_state {
        Some(e) => out.push_str(&format!("End state {}: {}\n", e.number(), e.label())),
        None => out
            .push_str("End state: not chosen (`checklist --end-state 1|2|3`; 2 and 3 add steps)\n"),
    }
    for p in &c.phases {
        out.push_str(&format!(
            "{:<13} {}\n",
            p.phase.label(),
            bar(p.done, p.total)
        ));
    }
    for phase in Phase::ALL {
        out.push_str(&format!("\n{}\n", phase.label()));
        for s in c.steps.iter().filter(|s| s.phase == phase) {
            let mark = match s.state {
                StepState::Done => "✓",
                StepState::NotDone => "✗",
                StepState::Unknown => "?",
                StepState::NotApplicable => "-",
            };
            let next = if c.next == Some(s.id) {
                "  ← next"
            } else {
                ""
            };
            out.push_str(&format!("  {mark} {:<18} {}{next}\n", s.id, s.title));
            for f in &s.figures {
                out.push_str(&format!("      {}\n", Safe(f)));
            }
            for f in &s.findings {
                out.push_str(&format!("  {}\n", finding_line(f)));
            }
            for m in &s.manual {
                let done = m.tick.as_ref().is_some_and(|t| t.done);
                out.push_str(&format!(
                    "      [{}] {} ({})\n",
                    if done { "x" } else { " " },
                    m.text,
                    m.id
                ));
            }
            if let Some(t) = &s.tick {
                out.push_str(&format!(
                    "      {} by {} at {}{}\n",
                    if t.done { "ticked" } else { "unticked" },
                    Safe(&t.actor),
                    t.at.format("%Y-%m-%d %H:%M UTC"),
                    t.note
                        .as_deref()
                        .map(|n| format!(": {}", Safe(n)))
                        .unwrap_or_default()
                ));
            }
        }
    }
    if !r.gate.is_empty() {
        out.push_str("\nfin.federation waits for:\n");
        for f in &r.gate {
            out.push_str(&format!("{}\n", finding_line(f)));
        }
    }
    if !c.risks.is_empty() {
        out.push_str("\nOpen risks:\n");
        for f in &c.risks {
            out.push_str(&format!("{}\n", finding_line(f)));
        }
    }
    out.push_str("\nRollback plan (`federation rollback`):\n");
    match &r.rollback {
        Ok(plan) if plan.planned.is_empty() => {
            out.push_str("  nothing to write in the tenant now\n")
        }
        Ok(plan) => {
            out.push_str(&format!("  {}\n", Safe(&plan.blast_line)));
            for w in &plan.planned {
                out.push_str(&format!("  {}\n", Safe(w)));
            }
        }
        Err(e) => out.push_str(&format!("  cannot be planned now: {}\n", Safe(e))),
    }
    for step in &c.rollback_by_hand {
        out.push_str(&format!("  by hand: {}\n", Safe(step)));
    }
    out
}
