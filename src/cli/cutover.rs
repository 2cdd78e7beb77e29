//! `rollout`, `federation` and `preflight`: Staged Rollout for MFA, the domains'
//! `federatedIdpMfaBehavior`, and what stands between the tenant and the cutover.
//!
//! A change is asked of the engine twice: first as a what-if (the interlocks' verdict,
//! the blast-radius line, the exact writes, the confirmation it needs), then, confirmed
//! (`--yes`, or typed at the terminal as the tier asks), applied — the engine checks
//! again from live facts before it writes. Exit codes (cli.md): 0 done or nothing to do,
//! 1 failed, 2 bad input, 3 needs a confirmation that was not given, 4 refused by an
//! interlock (R1–R4, F1) without `--force`, 5 the state store is held elsewhere.

use std::io::IsTerminal;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::headless::{self, Setup};
use super::{CliError, Exit, GlobalArgs};
use crate::config::AuthKind;
use crate::engine::{
    Access, Answer, ChangeReport, Command, DataUse, EngineHandle, FederationCommand,
    FederationStatus, PreflightReport, RolloutCommand, RolloutStatus, SignIn, StartOptions,
};
use crate::finding::Finding;
use crate::graph::auth::{Capability as Scope, CapabilitySet};
use crate::rollout::show::{self, Part};
use crate::rollout::{Decision, MfaBehavior};
use crate::safe_text::Safe;

#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub action: RolloutAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RolloutAction {
    /// The MFA rollout policy, its groups' readiness, every wave and its next step.
    Status(StatusFlags),
    /// Add a group (name or id) to Staged Rollout for MFA (R1, R2, R3).
    AddGroup(GroupChange),
    /// Remove a group from Staged Rollout for MFA (R4).
    RemoveGroup(GroupChange),
    /// Turn Staged Rollout for MFA on (R1 over every group).
    Enable(ChangeFlags),
    /// Turn Staged Rollout for MFA off (R4: everyone goes back to MFA Server).
    Disable(ChangeFlags),
}

#[derive(Debug, Clone, Args)]
pub struct FederationArgs {
    #[command(subcommand)]
    pub action: FederationAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum FederationAction {
    /// Every domain with its federatedIdpMfaBehavior, drift and propagation clock.
    Status(StatusFlags),
    /// Set a federated domain's federatedIdpMfaBehavior (F1 for rejectMfaByFederatedIdp).
    Set(SetArgs),
    /// F2: enforceMfaByFederatedIdp on every federated domain and Staged Rollout off.
    Rollback(ChangeFlags),
}

#[derive(Debug, Clone, Args)]
pub struct StatusFlags {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ChangeFlags {
    /// Go past interlocks that allow it (written to the audit log).
    #[arg(long)]
    pub force: bool,
    /// Do not ask: the confirmation is given.
    #[arg(long)]
    pub yes: bool,
    /// Only show the verdict, the blast radius and the writes; change nothing.
    #[arg(long)]
    pub what_if: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct GroupChange {
    /// The group: display name or object id.
    pub group: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    /// The federated domain.
    pub domain: String,
    /// acceptIfMfaDoneByFederatedIdp | enforceMfaByFederatedIdp | rejectMfaByFederatedIdp
    /// (or accept | enforce | reject).
    pub behavior: String,
    #[command(flatten)]
    pub flags: ChangeFlags,
}

#[derive(Debug, Clone, Args)]
pub struct PreflightArgs {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Start the engine for a cutover command: delegated device code by default (Staged
/// Rollout refuses app-only tokens), the scopes of `capabilities` only.
pub(super) async fn start(
    setup: &Setup,
    access: Access,
    capabilities: CapabilitySet,
) -> Result<crate::engine::Running, CliError> {
    let mut opts = StartOptions::new(
        setup.config.clone(),
        SignIn::AsConfigured {
            default: AuthKind::DeviceCode,
            prompt: headless::stderr_prompt(),
        },
        access,
    );
    opts.settings = setup.settings.clone();
    opts.data = DataUse::IfConfigured;
    opts.capabilities = capabilities;
    opts.reload = false;
    crate::engine::start(opts)
        .await
        .map_err(headless::start_error)
}

pub(super) fn scopes(c: &[Scope]) -> CapabilitySet {
    c.iter()
        .fold(CapabilitySet::EMPTY.with(Scope::Migration), |s, c| {
            s.with(*c)
        })
}

/// Run one request and stop the engine.
pub(super) async fn once(engine: &mut EngineHandle, c: Command) -> Result<Answer, CliError> {
    let answer = engine.call(c, |_| {}).await;
    let _ = engine.call(Command::Shutdown, |_| {}).await;
    answer.map_err(|e| match e {
        crate::engine::CallError::Refused(r) => headless::refusal_error(r),
        crate::engine::CallError::Gone => CliError::failure("the engine stopped"),
    })
}

pub(super) fn json<T: Serialize>(v: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

pub(super) fn finding_line(f: &Finding) -> String {
    let mut s = format!(
        "  {} [{}] {}",
        show::mark(f.severity),
        f.rule,
        Safe(&f.text)
    );
    if let Some(fix) = &f.fix {
        s.push_str(&format!("\n      → {}", Safe(fix)));
    }
    s
}

pub fn rollout(global: &GlobalArgs, args: &RolloutArgs) -> Result<Exit, CliError> {
    let setup = Setup::new_without_data(global)?;
    let caps = scopes(&[Scope::Rollout]);
    setup.runtime.block_on(async {
        match &args.action {
            RolloutAction::Status(f) => {
                let mut engine = start(&setup, Access::ReadOnly, caps).await?.engine;
                let Answer::Rollout(s) =
                    once(&mut engine, Command::Rollout(RolloutCommand::Status)).await?
                else {
                    return Err(CliError::failure("the engine answered something else"));
                };
                if f.json {
                    json(&s)?;
                } else {
                    print!("{}", rollout_text(&s));
                }
                Ok(Exit::Success)
            }
            RolloutAction::AddGroup(g) => {
                change(
                    &setup,
                    caps,
                    "rollout add-group",
                    &g.flags,
                    |apply, force| {
                        Command::Rollout(RolloutCommand::AddGroup {
                            group: g.group.clone(),
                            force,
                            apply,
                        })
                    },
                )
                .await
            }
            RolloutAction::RemoveGroup(g) => {
                change(
                    &setup,
                    caps,
                    "rollout remove-group",
                    &g.flags,
                    |apply, force| {
                        Command::Rollout(RolloutCommand::RemoveGroup {
                            group: g.group.clone(),
                            force,
                            apply,
                        })
                    },
                )
                .await
            }
            RolloutAction::Enable(f) => {
                change(&setup, caps, "rollout enable", f, |apply, force| {
                    Command::Rollout(RolloutCommand::Enable { force, apply })
                })
                .await
            }
            RolloutAction::Disable(f) => {
                change(&setup, caps, "rollout disable", f, |apply, force| {
                    Command::Rollout(RolloutCommand::Disable { force, apply })
                })
                .await
            }
        }
    })
}

pub fn federation(global: &GlobalArgs, args: &FederationArgs) -> Result<Exit, CliError> {
    let setup = Setup::new_without_data(global)?;
    let caps = scopes(&[Scope::Federation, Scope::Rollout]);
    setup.runtime.block_on(async {
        match &args.action {
            FederationAction::Status(f) => {
                let mut engine = start(&setup, Access::ReadOnly, caps).await?.engine;
                let Answer::Federation(s) =
                    once(&mut engine, Command::Federation(FederationCommand::Status)).await?
                else {
                    return Err(CliError::failure("the engine answered something else"));
                };
                if f.json {
                    json(&s)?;
                } else {
                    print!("{}", federation_text(&s));
                }
                Ok(Exit::Success)
            }
            FederationAction::Set(a) => {
                let behavior = MfaBehavior::parse(&a.behavior).ok_or_else(|| {
                    CliError::bad_input(format!(
                        "behavior \"{}\": expected acceptIfMfaDoneByFederatedIdp, \
                         enforceMfaByFederatedIdp or rejectMfaByFederatedIdp (or accept, \
                         enforce, reject)",
                        Safe(&a.behavior)
                    ))
                })?;
                change(&setup, caps, "federation set", &a.flags, |apply, force| {
                    Command::Federation(FederationCommand::Set {
                        domain: a.domain.clone(),
                        behavior,
                        force,
                        apply,
                    })
                })
                .await
            }
            FederationAction::Rollback(f) => {
                change(&setup, caps, "federation rollback", f, |apply, force| {
                    Command::Federation(FederationCommand::Rollback { force, apply })
                })
                .await
            }
        }
    })
}

pub fn preflight(global: &GlobalArgs, args: &PreflightArgs) -> Result<Exit, CliError> {
    let setup = Setup::new_without_data(global)?;
    setup.runtime.block_on(async {
        // Takes the lock when it is free (and writes nothing) so that the state store's
        // row says whether a change could be recorded now.
        let access = Access::WriteIfFree {
            command: "preflight".into(),
        };
        let mut engine = start(&setup, access, CapabilitySet::ALL).await?.engine;
        let Answer::Preflight(p) = once(&mut engine, Command::Preflight).await? else {
            return Err(CliError::failure("the engine answered something else"));
        };
        if args.json {
            json(&p)?;
        } else {
            print!("{}", preflight_text(&p));
        }
        Ok(if p.findings.iter().any(Finding::is_blocking) {
            Exit::Failure
        } else {
            Exit::Success
        })
    })
}

/// What-if, confirm by the tier, apply.
async fn change(
    setup: &Setup,
    caps: CapabilitySet,
    command: &str,
    flags: &ChangeFlags,
    make: impl Fn(bool, bool) -> Command,
) -> Result<Exit, CliError> {
    let can_ask = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !flags.what_if && !flags.yes && !can_ask {
        return Err(CliError {
            exit: Exit::NeedsConfirmation,
            message: format!(
                "{command} changes the tenant: pass --yes to confirm, or --what-if to see the \
                 verdict only (no terminal to ask on)"
            ),
        });
    }
    let access = if flags.what_if {
        Access::ReadOnly
    } else {
        Access::Write {
            command: command.to_string(),
        }
    };
    let running = start(setup, access, caps).await?;
    let mut engine = running.engine;
    let result = async {
        let Answer::Change(preview) = engine
            .call(make(false, flags.force), |_| {})
            .await
            .map_err(call_error)?
        else {
            return Err(CliError::failure("the engine answered something else"));
        };
        if !flags.json {
            eprint!("{}", change_text(&preview));
        }
        let blocked = matches!(
            preview.decision,
            Decision::Blocked { .. } | Decision::Refused { .. }
        );
        if flags.what_if || blocked || preview.decision == Decision::NothingToDo {
            if flags.json {
                json(&preview)?;
            }
            return Ok(if blocked {
                Exit::Interlock
            } else {
                Exit::Success
            });
        }
        if !flags.yes {
            let production = setup.config.production;
            confirm(&crate::confirm_tier::for_change(
                &preview.verdict,
                &preview.decision,
                &preview.confirmation,
                production,
            ))?;
        }
        let Answer::Change(done) = engine
            .call(make(true, flags.force), |_| {})
            .await
            .map_err(call_error)?
        else {
            return Err(CliError::failure("the engine answered something else"));
        };
        if flags.json {
            json(&done)?;
        } else {
            for w in &done.applied {
                println!(
                    "done: {} (journal {}){}",
                    Safe(&w.what),
                    w.journal.0,
                    w.after
                        .as_deref()
                        .map(|a| format!("; now {}", Safe(a)))
                        .unwrap_or_default()
                );
            }
            if done.applied.is_empty() {
                println!("nothing was written: the tenant is already as asked");
            }
        }
        Ok(Exit::Success)
    }
    .await;
    let _ = engine.call(Command::Shutdown, |_| {}).await;
    result
}

fn call_error(e: crate::engine::CallError) -> CliError {
    match e {
        crate::engine::CallError::Refused(r) => headless::refusal_error(r),
        crate::engine::CallError::Gone => CliError::failure("the engine stopped"),
    }
}

/// Ask as the tier says: y/N, or type the group, count or domain.
fn confirm(ask: &crate::confirm_tier::Ask) -> Result<(), CliError> {
    let ok = match &ask.type_text {
        None => headless::confirm("Go ahead? [y/N]", None)?,
        Some(text) => {
            headless::confirm(&format!("Type \"{}\" to go ahead:", Safe(text)), Some(text))?
        }
    };
    if ok {
        Ok(())
    } else {
        Err(CliError {
            exit: Exit::NeedsConfirmation,
            message: "not confirmed: nothing was written".into(),
        })
    }
}

pub(super) fn change_text(r: &ChangeReport) -> String {
    let mut out = String::new();
    let findings = r.verdict.refusals.iter().chain(r.verdict.findings.iter());
    for part in show::change_parts(&r.blast_line, findings, &r.planned, &r.confirmation) {
        match part {
            Part::Blast(line) => out.push_str(&format!("{}\n", Safe(line))),
            Part::Finding(f) => {
                out.push_str(&finding_line(f));
                out.push('\n');
            }
            Part::Writes => out.push_str("writes:\n"),
            Part::Write(w) => out.push_str(&format!("  {}\n", Safe(w))),
            Part::Propagation => out.push_str(&format!("{}\n", show::PROPAGATION_NOTE)),
        }
    }
    out
}

fn rollout_text(s: &RolloutStatus) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{}\n",
        Safe(&show::policy_line(s.policy.as_ref()))
    ));
    if let Some(c) = &s.last_change {
        out.push_str(&format!(
            "  last change: {} ({})\n",
            Safe(&c.action),
            c.text
        ));
    }
    for g in &s.groups {
        let t = &g.tally;
        out.push_str(&format!(
            "  {}: {} users in scope, {} verified, {} usable method only, {} neither, {} \
             cloud-only\n",
            Safe(&g.group.name),
            t.in_scope,
            t.verified,
            t.usable_only,
            t.neither,
            t.cloud_only
        ));
    }
    if !s.waves.is_empty() {
        out.push_str("Waves:\n");
        for w in &s.waves {
            out.push_str(&format!("  {}\n", Safe(&w.suggestion())));
        }
    }
    if let Some(n) = &s.next {
        out.push_str(&format!("Next: {}\n", Safe(n)));
    }
    for f in &s.findings {
        out.push_str(&finding_line(f));
        out.push('\n');
    }
    out
}

fn federation_text(s: &FederationStatus) -> String {
    let mut out = String::new();
    for d in &s.domains {
        if d.domain.federated {
            out.push_str(&format!(
                "  {:<32} federated  {}\n",
                Safe(&d.domain.name),
                Safe(&d.domain.value.to_string())
            ));
        } else {
            out.push_str(&format!("  {:<32} managed\n", Safe(&d.domain.name)));
        }
        if let Some(c) = &d.last_change {
            out.push_str(&format!("      last change: {}\n", c.text));
        }
    }
    for f in &s.findings {
        out.push_str(&finding_line(f));
        out.push('\n');
    }
    out
}

fn preflight_text(p: &PreflightReport) -> String {
    let mut out = format!("Preflight for {}\n", Safe(&p.identity.account));
    for f in &p.findings {
        out.push_str(&finding_line(f));
        out.push('\n');
    }
    out
}
