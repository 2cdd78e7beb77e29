//! `mfa-cutover migrate`: plan and apply. Without `--yes` it asks on a terminal after a
//! dry run that shows the blast radius, by the one tier rule the TUI uses too
//! ([`crate::confirm_tier`]: more than 50 users written, or a production tenant, types
//! the count), and exits 3 when there is no terminal to ask on. `--plan FILE` applies exactly a saved plan: each
//! user only if planning them now gives exactly the saved operations, else nothing is
//! written and it exits 2 naming the first difference; `--expect-digest` pins the digest
//! a change ticket reviewed.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::driver::Driver;
use super::headless::{self, SettingsArgs, Setup, TargetArgs};
use super::{CliError, Exit, GlobalArgs};
use crate::engine::planfile::PlanFile;
use crate::engine::{Access, MigrationCommand};

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Apply exactly the plans saved by `plan --out FILE`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["users", "include_unchanged"])]
    pub plan: Option<PathBuf>,
    /// The plan's digest as `plan --out` printed it (a change ticket's): anything else is
    /// refused.
    #[arg(long, value_name = "DIGEST", requires = "plan")]
    pub expect_digest: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Afterwards, write the group's users who must re-register the mobile app (Graph
    /// cannot copy MFA Server app registrations) as CSV to FILE (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub reregister_csv: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: &MigrateArgs) -> Result<Exit, CliError> {
    // A write needs a confirmation; without a terminal there is no one to ask.
    let can_ask = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.yes && !can_ask {
        return Err(CliError {
            exit: Exit::NeedsConfirmation,
            message: "migrate changes the tenant: pass --yes to confirm (no terminal to ask on)"
                .to_string(),
        });
    }
    let saved = match &args.plan {
        Some(path) => Some(PlanFile::load(path).map_err(|e| CliError::bad_input(e.to_string()))?),
        None => None,
    };
    let setup = Setup::new(global, &args.settings)?;
    let group = match (&saved, args.target.group(&setup.config)) {
        (Some(f), _) => f
            .group
            .as_ref()
            .map(|g| g.display_name.clone())
            .unwrap_or_default(),
        (None, g) => g?,
    };
    let quiet = args.json || !headless::interactive_stdout();
    setup.runtime.block_on(async {
        let started = headless::start(
            &setup,
            Access::Write {
                command: "migrate".into(),
            },
        )
        .await?;
        let mut d = Driver::new(started, quiet);
        let result = async {
            let rec = d.ready().await?;
            let command = match (&args.plan, &saved) {
                (Some(path), Some(file)) => {
                    if !args.json {
                        eprintln!(
                            "Applying the saved plan {} (digest {})",
                            crate::safe_text::Safe(&path.display().to_string()),
                            file.digest()
                        );
                    }
                    if !args.yes {
                        // The blast radius is the users the plan writes, not the users
                        // it lists.
                        let users = file.users.iter().filter(|u| !u.plan.ops.is_empty()).count();
                        let writes: usize = file.users.iter().map(|u| u.plan.ops.len()).sum();
                        if users == 0 {
                            eprintln!("Nothing to write: the saved plan holds no write.");
                        } else {
                            ask(users, writes, 0, setup.config.production)?;
                        }
                    }
                    MigrationCommand::ApplyPlan {
                        path: path.clone(),
                        expect_digest: args.expect_digest.clone(),
                    }
                }
                _ => {
                    let g = d.find_group(&group).await?;
                    d.load_members(&g).await?;
                    let scope = d.resolve_users(&args.target.users)?;
                    if !args.yes {
                        let dry = d
                            .run(MigrationCommand::Plan {
                                scope: scope.clone(),
                                include_unchanged: args.target.include_unchanged,
                            })
                            .await?;
                        if dry.cancelled {
                            return Ok(Exit::Failure);
                        }
                        let r = d.radius();
                        if r.users_with_writes == 0 {
                            eprintln!("Nothing to write: every targeted user already matches.");
                        } else {
                            ask(
                                r.users_with_writes,
                                r.writes,
                                r.without_usable_method,
                                setup.config.production,
                            )?;
                        }
                    }
                    MigrationCommand::Migrate {
                        scope,
                        include_unchanged: args.target.include_unchanged,
                    }
                }
            };
            let result = d.run(command).await?;
            if let Some(path) = &args.reregister_csv {
                let n = d.export_reregister(path).await?;
                if !args.json {
                    eprintln!(
                        "{n} users who must re-register the mobile app written to {}",
                        crate::safe_text::Safe(&path.display().to_string())
                    );
                }
            }
            let report = d.report(&group, &result, rec.open);
            if args.json {
                report.print_json(true)?;
            } else {
                print!("{}", report.user_text());
                print!("{}", report.summary_text());
            }
            Ok::<_, CliError>(super::report::exit_of(&report))
        }
        .await;
        d.shutdown().await;
        result
    })
}

/// The confirmation, by the one tier rule ([`crate::confirm_tier`]): tier 1 answers y/N;
/// tier 2 (more than 50 users written, or a production tenant) types the number of users.
/// Not confirmed: exit 3 saying what was expected.
fn ask(users: usize, writes: usize, unusable: usize, production: bool) -> Result<(), CliError> {
    use crate::confirm_tier::{self, Blast, Tier};
    let rule = confirm_tier::ask(&Blast {
        users_written: users,
        production,
        ..Default::default()
    })
    .at_least(Tier::One, users);
    eprintln!("About to write to the tenant: {users} users, {writes} writes.");
    if unusable > 0 {
        eprintln!(
            "  {unusable} of the targeted users will have no usable Entra method after their plan."
        );
    }
    let confirmed = match &rule.type_text {
        Some(text) => headless::confirm(
            &format!("Type the number of users ({text}) to go ahead:"),
            Some(text),
        )?,
        None => headless::confirm("Go ahead? [y/N]", None)?,
    };
    if confirmed {
        Ok(())
    } else {
        Err(CliError {
            exit: Exit::NeedsConfirmation,
            message: match &rule.type_text {
                Some(text) => {
                    format!("not confirmed (the answer was not {text}): nothing was written")
                }
                None => "not confirmed: nothing was written".to_string(),
            },
        })
    }
}
