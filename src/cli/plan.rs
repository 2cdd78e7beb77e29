//! `mfa-cutover plan`: a dry run. Reads the group's Entra state, plans every member by
//! the migration rules and reports the operations and skips with their rule ids;
//! writes nothing to the tenant. `--out FILE` saves the plans so `migrate --plan FILE`
//! applies exactly them.

use std::path::PathBuf;

use clap::Args;

use super::driver::Driver;
use super::headless::{self, SettingsArgs, Setup, TargetArgs};
use super::{CliError, Exit, GlobalArgs};
use crate::engine::{Access, MigrationCommand};
use crate::safe_text::Safe;

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Save the plans (with what they were made from) for `migrate --plan FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit, CliError> {
    let setup = Setup::new(global, &args.settings)?;
    let group = args.target.group(&setup.config)?;
    let quiet = args.json || !headless::interactive_stdout();
    setup.runtime.block_on(async {
        // A dry run writes nothing: it works beside a running migration or sync.
        let started = headless::start(&setup, Access::ReadOnly).await?;
        let mut d = Driver::new(started, quiet);
        let result = async {
            let rec = d.ready().await?;
            let g = d.find_group(&group).await?;
            d.load_members(&g).await?;
            let scope = d.resolve_users(&args.target.users)?;
            let result = d
                .run(MigrationCommand::Plan {
                    scope,
                    include_unchanged: args.target.include_unchanged,
                })
                .await?;
            let saved = match &args.out {
                Some(path) if !result.cancelled => Some((path, d.save_plan(path).await?)),
                _ => None,
            };
            let report = d.report(&g.display_name, &result, rec.open);
            if args.json {
                report.print_json(true)?;
            } else {
                print!("{}", report.user_text());
                print!("{}", report.summary_text());
                if let Some((path, (users, digest))) = &saved {
                    println!(
                        "Saved the plans of {users} users to {}\n  digest {digest}\n  apply \
                         exactly them with `mfa-cutover migrate --plan {} --expect-digest {digest}`",
                        Safe(&path.display().to_string()),
                        Safe(&path.display().to_string())
                    );
                }
            }
            Ok::<_, CliError>(if result.cancelled {
                Exit::Failure
            } else {
                Exit::Success
            })
        }
        .await;
        d.shutdown().await;
        result
    })
}
