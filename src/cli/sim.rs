//! `mfa-cutover sim`: run the simulated tenant as a server on loopback, print its URL,
//! its token and how to point the tool at it, and serve until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{CliError, Exit, GlobalArgs};
use crate::sim::{FaultSpec, Quotas, Sim, SimConfig, group_names};

#[derive(Debug, Clone, Args)]
pub struct SimArgs {
    /// Address to listen on; loopback only (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// People in the organisation: the same as `sample-data --users N`.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub users: usize,
    /// Seed: the same as `sample-data --seed S` gives the same people.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Injected faults per request, e.g. "5xx=0.02,reset=0.01,drop=0.01,seed=7".
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<FaultSpec>,
    /// Throttle with Graph's identity quotas (3,000 writes per 150 s, 8,000 RU per 10 s).
    #[arg(long)]
    pub throttle: bool,
    /// Shorten the throttling windows by this factor (rates grow by it).
    #[arg(long, value_name = "F", requires = "throttle")]
    pub throttle_scale: Option<f64>,
}

impl SimArgs {
    fn config(&self) -> Result<SimConfig, CliError> {
        if !self.listen.ip().is_loopback() {
            return Err(CliError::bad_input(format!(
                "--listen {}: the simulated tenant listens on loopback only (e.g. 127.0.0.1:8400)",
                self.listen
            )));
        }
        let quotas = match (self.throttle, self.throttle_scale) {
            (false, _) => None,
            (true, None) => Some(Quotas::graph_default()),
            (true, Some(f)) if f.is_finite() && f > 0.0 => Some(Quotas::graph_default().scaled(f)),
            (true, Some(f)) => {
                return Err(CliError::bad_input(format!(
                    "--throttle-scale {f}: expected a number above 0 (e.g. 10 for windows ten times shorter)"
                )));
            }
        };
        Ok(SimConfig {
            seed: self.seed,
            users: self.users,
            listen: self.listen,
            latency: Duration::from_millis(self.latency_ms),
            faults: self.faults.unwrap_or_default(),
            quotas,
            token: None,
        })
    }
}

pub fn run(_global: &GlobalArgs, args: &SimArgs) -> Result<Exit, CliError> {
    let cfg = args.config()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(serve(cfg))
}

async fn serve(cfg: SimConfig) -> Result<Exit, CliError> {
    let started = std::time::Instant::now();
    let listen = cfg.listen;
    let banner = describe(&cfg);
    let sim = Sim::start(cfg)
        .await
        .map_err(|e| CliError::failure(format!("cannot listen on {listen}: {e}")))?;
    let ready_in = started.elapsed();
    let summary = sim.inspect(|t| t.summary());
    println!("Simulated tenant (not a real tenant) at {}", sim.url());
    println!("{summary}");
    println!("  {banner}");
    println!("  ready in {} ms", ready_in.as_millis());
    println!();
    println!(
        "Point mfa-cutover at it with the signed-in admin's token (delegated; valid 24 hours):"
    );
    println!("  export MFA_CUTOVER_ACCESS_TOKEN='{}'", sim.token());
    println!(
        "  mfa-cutover --graph-url {} --tenant {} --auth token <command>",
        sim.url(),
        sim.tenant_id()
    );
    println!(
        "Sign-in endpoints (device code, refresh): {}/{}/oauth2/v2.0/devicecode and /token",
        sim.url(),
        sim.tenant_id()
    );
    println!(
        "Groups to try: \"{}\" (nested waves), \"{}\", \"{}\".",
        group_names::MIGRATION,
        group_names::PILOT,
        group_names::ROLLOUT_WAVES[0]
    );
    println!(
        "Change it behind the tool's back (same token): POST {0}/_sim/admin/rollout \
         {{\"isEnabled\": false}} or {{\"addGroup\": \"…\"}}; POST {0}/_sim/admin/federation \
         {{\"domain\": \"…\", \"federatedIdpMfaBehavior\": \"…\"}}.",
        sim.url()
    );
    println!("Ctrl-C stops it.");
    wait_for_stop().await;
    let stats = sim.stats();
    sim.shutdown().await;
    println!(
        "Stopped after {} requests, {} writes, {} throttled, {} faults injected.",
        stats.requests,
        stats.writes,
        stats.throttled,
        stats.faults.total()
    );
    Ok(Exit::Success)
}

fn describe(cfg: &SimConfig) -> String {
    let throttle = match &cfg.quotas {
        None => "throttling off".to_string(),
        Some(q) => format!(
            "throttling: {} writes per {:.1} s, {} RU per {:.1} s",
            q.writes_per_window,
            q.write_window.as_secs_f64(),
            q.resource_units,
            q.ru_window.as_secs_f64()
        ),
    };
    format!(
        "seed {}; latency {} ms; faults {}; {throttle}",
        cfg.seed,
        cfg.latency.as_millis(),
        cfg.faults
    )
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
