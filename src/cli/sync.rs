//! `mfa-cutover sync`: automatic synchronisation. Each cycle re-reads the data file and
//! the group's members and migrates the users whose MFA Server data changed since their
//! last migration (rule C1); unchanged users cost no Graph call. Runs until Ctrl-C, or
//! one cycle with `--once`.

use std::time::Duration;

use clap::Args;

use super::driver::Driver;
use super::headless::{self, SettingsArgs, Setup, TargetArgs};
use super::{CliError, Exit, GlobalArgs};
use crate::engine::Access;

#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Time between cycles, e.g. `15m` (default: `[migration] sync_interval`, else 15m).
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub interval: Option<Duration>,
    /// Run one cycle and exit.
    #[arg(long)]
    pub once: bool,
    /// One JSON document per cycle on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: &SyncArgs) -> Result<Exit, CliError> {
    if !args.target.users.is_empty() || args.target.include_unchanged {
        return Err(CliError::bad_input(
            "sync covers the whole group and only changed users: --users and \
             --include-unchanged belong to `migrate`",
        ));
    }
    let setup = Setup::new(global, &args.settings)?;
    let group = args.target.group(&setup.config)?;
    let interval = args
        .interval
        .or(setup.config.sync_interval)
        .unwrap_or(Duration::from_secs(15 * 60));
    let interval = crate::config::check_sync_interval("--interval", interval)?;
    let quiet = args.json || !headless::interactive_stdout();
    setup.runtime.block_on(async {
        let started = headless::start(
            &setup,
            Access::Write {
                command: "sync".into(),
            },
        )
        .await?;
        let mut d = Driver::new(started, quiet);
        let result = async {
            let rec = d.ready().await?;
            let g = d.find_group(&group).await?;
            d.load_members(&g).await?;
            if !args.once && !args.json {
                eprintln!(
                    "Automatic sync of \"{}\" every {}; Ctrl-C to stop.",
                    crate::safe_text::Safe(&g.display_name),
                    humantime::format_duration(interval)
                );
            }
            let mut failed = false;
            let last = d
                .sync(interval, args.once, |d, r| {
                    let report = d.report(&g.display_name, r, rec.open);
                    if !args.json {
                        println!(
                            "Cycle at {}:",
                            chrono::Local::now().format("%Y-%m-%d %H:%M:%S %z")
                        );
                    }
                    failed = super::report::exit_of(&report) == Exit::Failure;
                    if args.json {
                        if let Err(e) = report.print_json(false) {
                            eprintln!("mfa-cutover: {}", e.message);
                        }
                    } else {
                        print!("{}", report.user_text());
                        print!("{}", report.summary_text());
                    }
                })
                .await?;
            // Cancelled (Ctrl-C) exits 1, as the README says, like a failed cycle.
            Ok::<_, CliError>(match last {
                _ if d.interrupted() => Exit::Failure,
                Some(_) if failed => Exit::Failure,
                Some(_) => Exit::Success,
                None => Exit::Failure,
            })
        }
        .await;
        d.shutdown().await;
        result
    })
}
