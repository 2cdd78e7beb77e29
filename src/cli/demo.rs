//! `mfa-cutover demo`: the TUI against the simulated tenant, with no setup. A temp dir
//! (removed on exit) holds a generated MFA Server snapshot of the same people the tenant
//! serves (same seed and size), and the state store and logs unless `--state-dir` is
//! given. The tenant runs in this process on loopback with a little latency and Graph's
//! throttling quotas, the sign-in is its admin token (the header says SIMULATED), and
//! the TUI opens on a migration wave so members stream in at once. From there it is the
//! real thing: plan, migrate, automatic sync, detail and activity log.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::headless::{self, Setup, SignIn};
use super::interactive::require_terminal;
use super::{CliError, Exit, GlobalArgs};
use crate::cloud::Cloud;
use crate::config::{AuthKind, GraphSettings};
use crate::datafile::sample::{Population, WriteOptions, write_snapshot};
use crate::graph::auth::{Session, StaticToken};
use crate::sim::{Quotas, Sim, SimConfig, group_names};

/// The group the demo opens on.
pub const GROUP: &str = group_names::WAVES[0];

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// People in the simulated organisation and in the generated data file.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub users: usize,
    /// Seed of the generated organisation: the same seed and size give the same people.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Latency the simulated tenant adds to every response, in milliseconds.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub latency_ms: u64,
}

pub fn run(global: &GlobalArgs, args: &DemoArgs) -> Result<Exit, CliError> {
    if args.users == 0 {
        return Err(CliError::bad_input(
            "--users 0: expected at least 1 person in the simulated organisation",
        ));
    }
    let mut config = global.config()?;
    let keymap = crate::tui::keymap(&config).map_err(|e| CliError::bad_input(e.to_string()))?;
    require_terminal()?;
    let dir = tempfile::Builder::new()
        .prefix("mfa-cutover-demo-")
        .tempdir()
        .map_err(|e| CliError::failure(format!("cannot create a temp dir for the demo: {e}")))?;
    let snapshot = dir.path().join("PhoneFactor.pfdata");
    let kept_state = global.state_dir.clone();
    // Only what the demo is about is taken from the config (keymap, migration settings);
    // the tenant, data, sign-in and Graph pacing are the demo's own.
    config.data_files = vec![snapshot.clone()];
    config.mapping = None;
    config.cloud = Cloud::Global;
    config.auth = Some(AuthKind::Token);
    config.client_id = None;
    config.certificate = None;
    config.production = false;
    config.group = Some(GROUP.to_string());
    config.graph = GraphSettings::default();
    config.state_dir = kept_state
        .clone()
        .unwrap_or_else(|| dir.path().join("state"));
    let settings = config.migration.clone();
    let mut setup = Setup::with(config, settings, global.verbose, false)?;
    let quotas = Quotas::graph_default();
    let sim_config = SimConfig {
        seed: args.seed,
        users: args.users,
        latency: Duration::from_millis(args.latency_ms),
        quotas: Some(quotas),
        ..SimConfig::default()
    };
    let started = std::time::Instant::now();
    let sim = setup
        .runtime
        .block_on(prepare(sim_config, snapshot.clone()))?;
    tracing::info!(
        "demo: simulated tenant at {} and {} people written to {} in {} ms",
        sim.url(),
        args.users,
        snapshot.display(),
        started.elapsed().as_millis()
    );
    setup.config.graph_url = Some(sim.url().to_string());
    setup.config.tenant = Some(sim.tenant_id().to_string());
    let mut opts = crate::tui::options(&setup.config, keymap, Some(setup.log_file()));
    opts.about = vec![
        format!(
            "SIMULATED tenant in this process at {}: no real tenant is touched.",
            sim.url()
        ),
        format!(
            "Its throttling is Graph's: {} writes per {} s, {} resource units per {} s; {} ms \
             added to every response.",
            quotas.writes_per_window,
            quotas.write_window.as_secs(),
            quotas.resource_units,
            quotas.ru_window.as_secs(),
            args.latency_ms
        ),
        format!(
            "MFA Server data: {} generated people (seed {}), the same people as the tenant.",
            args.users, args.seed
        ),
    ];
    let result = setup.runtime.block_on(async {
        let session = Session::from_source(
            Arc::new(StaticToken::new(sim.token()).map_err(headless::auth_error)?),
            AuthKind::Token,
            Cloud::Global,
            true,
        )
        .await
        .map_err(headless::auth_error)?;
        let started = headless::start_with(&setup, SignIn::Ready(session), true).await?;
        let r = crate::tui::run(opts, started.link)
            .await
            .map_err(|e| CliError::failure(e.to_string()));
        sim.shutdown().await;
        r
    });
    let log_dir = setup.log_dir().to_path_buf();
    // Flush the logs and stop the runtime before the temp dir goes.
    drop(setup);
    drop(dir);
    result?;
    match kept_state {
        Some(_) => println!(
            "Demo over: the tenant was simulated (nothing real was changed). Logs: {}",
            log_dir.display()
        ),
        None => println!(
            "Demo over: the tenant was simulated (nothing real was changed); its data, state \
             and logs are removed."
        ),
    }
    Ok(Exit::Success)
}

/// Start the tenant and write the snapshot at the same time (one is async, the other a
/// blocking SQLite write).
async fn prepare(cfg: SimConfig, snapshot: std::path::PathBuf) -> Result<Sim, CliError> {
    let (seed, users) = (cfg.seed, cfg.users);
    let writing = tokio::task::spawn_blocking(move || {
        write_snapshot(
            &Population::new(seed, users),
            &snapshot,
            &WriteOptions::default(),
        )
    });
    let sim = Sim::start(cfg)
        .await
        .map_err(|e| CliError::failure(format!("cannot start the simulated tenant: {e}")))?;
    writing
        .await
        .map_err(|e| CliError::failure(format!("writing the demo data stopped: {e}")))?
        .map_err(|e| CliError::failure(format!("cannot write the demo data: {e}")))?;
    Ok(sim)
}
