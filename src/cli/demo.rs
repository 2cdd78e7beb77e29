//! `mfa-cutover demo`: the TUI against the simulated tenant, with no setup. A temp dir
//! (removed on exit) holds a generated MFA Server snapshot of the same people the tenant
//! serves (same seed and size), the organisation's AD FS and NPS exports (read as the
//! config's `[inventory]`, so the Dependencies tab is full), and the state store and logs
//! unless `--state-dir` is given. The tenant runs in this process on loopback with a little latency and Graph's
//! throttling quotas, the sign-in is its admin token (the header says SIMULATED), and
//! the TUI opens on a migration wave so members stream in at once. From there it is the
//! real thing: plan, migrate, automatic sync, detail and activity log.
//!
//! [`config`] and [`DemoTenant::start`] are public so tests start exactly what the
//! demo starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::headless::{self, Setup};
use super::interactive::require_terminal;
use super::{CliError, Exit, GlobalArgs};
use crate::cloud::Cloud;
use crate::config::{AuthKind, Config, GraphSettings, InventorySources};
use crate::datafile::sample::{Population, WriteOptions, write_snapshot};
use crate::engine::{Access, SignIn, StartOptions};
use crate::graph::auth::{Session, StaticToken};
use crate::inventory::sample::{is_nps_file, write_exports};
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

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            users: 2000,
            seed: 1,
            latency_ms: 20,
        }
    }
}

/// The demo's configuration: of `base` (the admin's config) only what the demo is about
/// is kept (keymap, migration settings); the data, sign-in, waves and Graph pacing are
/// the demo's own, in `dir` (state in `state_dir` when given, else in `dir` too). The tenant
/// is filled in by [`DemoTenant::start`].
pub fn config(mut base: Config, dir: &Path, state_dir: Option<PathBuf>) -> Config {
    base.data_files = vec![dir.join("PhoneFactor.pfdata")];
    base.mapping = None;
    base.tenant = None;
    base.graph_url = None;
    base.cloud = Cloud::Global;
    base.auth = Some(AuthKind::Token);
    base.client_id = None;
    base.certificate = None;
    base.production = false;
    base.group = Some(GROUP.to_string());
    // The simulated tenant's own waves: the pilot, then waves 1–3, each a migration
    // group and a separate rollout group.
    base.waves = group_names::DEMO_WAVES
        .iter()
        .map(|(name, migrate, rollout)| crate::rollout::Wave::new(name, migrate, rollout))
        .collect();
    base.graph = GraphSettings::default();
    // The exports are the demo organisation's, written by `DemoTenant::start`.
    base.inventory = InventorySources::default();
    base.state_dir = state_dir.unwrap_or_else(|| dir.join("state"));
    base
}

/// The running simulated tenant and the admin signed in to it.
pub struct DemoTenant {
    pub sim: Sim,
    pub session: Session,
    pub quotas: Quotas,
}

impl DemoTenant {
    /// Write the snapshot to `config`'s data file while the tenant starts (the same
    /// people), point `config` at the tenant and sign in with its admin token.
    pub async fn start(args: &DemoArgs, config: &mut Config) -> Result<DemoTenant, CliError> {
        if args.users == 0 {
            return Err(CliError::bad_input(
                "--users 0: expected at least 1 person in the simulated organisation",
            ));
        }
        let snapshot = config
            .data_files
            .first()
            .cloned()
            .ok_or_else(|| CliError::failure("the demo has no data file path"))?;
        let quotas = Quotas::graph_default();
        let cfg = SimConfig {
            seed: args.seed,
            users: args.users,
            latency: Duration::from_millis(args.latency_ms),
            quotas: Some(quotas),
            ..SimConfig::default()
        };
        let started = std::time::Instant::now();
        let (seed, users) = (args.seed, args.users);
        let path = snapshot.clone();
        let exports_dir = snapshot
            .parent()
            .map(|d| d.join("exports"))
            .ok_or_else(|| CliError::failure("the demo's data file has no folder"))?;
        let writing = tokio::task::spawn_blocking(move || {
            write_snapshot(
                &Population::new(seed, users),
                &path,
                &WriteOptions::default(),
            )
            .map_err(|e| format!("cannot write the demo data: {e}"))?;
            write_exports(&exports_dir, seed)
                .map_err(|e| format!("cannot write the demo's AD FS and NPS exports: {e}"))
        });
        let sim = Sim::start(cfg)
            .await
            .map_err(|e| CliError::failure(format!("cannot start the simulated tenant: {e}")))?;
        let exports = writing
            .await
            .map_err(|e| CliError::failure(format!("writing the demo data stopped: {e}")))?
            .map_err(CliError::failure)?;
        // The Dependencies tab is full on first run: the organisation's own exports.
        let is_nps = |p: &PathBuf| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_nps_file)
        };
        config.inventory = InventorySources {
            adfs: exports.iter().filter(|p| !is_nps(p)).cloned().collect(),
            nps: exports.iter().filter(|p| is_nps(p)).cloned().collect(),
            group_routing: false,
        };
        tracing::info!(
            "demo: simulated tenant at {} and {users} people written to {} in {} ms",
            sim.url(),
            snapshot.display(),
            started.elapsed().as_millis()
        );
        config.graph_url = Some(sim.url().to_string());
        config.tenant = Some(sim.tenant_id().to_string());
        let token = StaticToken::new(sim.token()).map_err(headless::auth_error)?;
        let session = Session::from_source(Arc::new(token), AuthKind::Token, Cloud::Global, true)
            .await
            .map_err(headless::auth_error)?;
        Ok(DemoTenant {
            sim,
            session,
            quotas,
        })
    }

    /// What help says about this session.
    pub fn about(&self, args: &DemoArgs) -> Vec<String> {
        let q = &self.quotas;
        vec![
            format!(
                "SIMULATED tenant in this process at {}: no real tenant is touched.",
                self.sim.url()
            ),
            format!(
                "Its throttling is Graph's: {} writes per {} s, {} resource units per {} s; \
                 {} ms added to every response.",
                q.writes_per_window,
                q.write_window.as_secs(),
                q.resource_units,
                q.ru_window.as_secs(),
                args.latency_ms
            ),
            format!(
                "MFA Server data: {} generated people (seed {}), the same people as the tenant.",
                args.users, args.seed
            ),
        ]
    }
}

pub fn run(global: &GlobalArgs, args: &DemoArgs) -> Result<Exit, CliError> {
    let base = global.config()?;
    let keymap = crate::tui::keymap(&base).map_err(|e| CliError::bad_input(e.to_string()))?;
    require_terminal()?;
    let dir = tempfile::Builder::new()
        .prefix("mfa-cutover-demo-")
        .tempdir()
        .map_err(|e| CliError::failure(format!("cannot create a temp dir for the demo: {e}")))?;
    let kept_state = global.state_dir.clone();
    let config = config(base, dir.path(), kept_state.clone());
    let settings = config.migration.clone();
    let mut setup = Setup::with(config, settings, global.verbose, false)?;
    let tenant = setup
        .runtime
        .block_on(DemoTenant::start(args, &mut setup.config))?;
    let mut opts = crate::tui::options(&setup.config, keymap, Some(setup.log_file()));
    opts.about = tenant.about(args);
    let result = setup.runtime.block_on(async {
        let DemoTenant { sim, session, .. } = tenant;
        let r = async {
            let mut start = StartOptions::new(
                setup.config.clone(),
                SignIn::Ready(session),
                Access::WriteIfFree {
                    command: "demo".into(),
                },
            );
            start.settings = setup.settings.clone();
            start.name_tenant = true;
            let running = crate::engine::start(start)
                .await
                .map_err(headless::start_error)?;
            crate::tui::run(opts, running)
                .await
                .map_err(|e| CliError::failure(e.to_string()))
        }
        .await;
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
