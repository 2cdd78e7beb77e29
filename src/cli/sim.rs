//! `mfa-cutover sim`: run the simulated tenant as a server on loopback, print its URL,
//! its token and how to point the tool at it, and serve until Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{CliError, Exit, GlobalArgs};
use crate::cloud::Cloud;
use crate::sim::{
    DeviceListShape, FaultSpec, FedPatchStatus, PolicyMigrationState, Quotas, ScopeRefusalCode,
    Sim, SimCloud, SimConfig, Variants, group_names,
};

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
    /// How the hardware token inventory lists its items: `flat` (the device) or
    /// `wrapped` (a hardwareOathAuthenticationMethod holding it under `device`, as the
    /// docs' example responses show).
    #[arg(long, default_value = "flat", value_name = "SHAPE")]
    pub device_list_shape: DeviceListShape,
    /// What the federation PATCH answers: 204 (current docs) or 200 with the object
    /// (older docs).
    #[arg(long, default_value = "204", value_name = "STATUS")]
    pub fed_patch_status: FedPatchStatus,
    /// The methods policy's policyMigrationState: pre-migration, migration-in-progress
    /// or migration-complete (before complete, the legacy MFA and SSPR policies count).
    #[arg(long, default_value = "migration-complete", value_name = "STATE")]
    pub policy_migration_state: PolicyMigrationState,
    /// The Voice method does not allow office phones (isOfficePhoneAllowed false).
    #[arg(long)]
    pub office_phones_not_allowed: bool,
    /// A delegated scope this tenant does not know: a sign-in asking for it is refused
    /// at the token endpoint (repeat for several).
    #[arg(long = "unknown-scope", value_name = "SCOPE")]
    pub unknown_scopes: Vec<String>,
    /// The AADSTS code an unknown scope is refused with: 70011, 650053 or 65001.
    #[arg(long, default_value = "70011", value_name = "CODE")]
    pub scope_refusal: ScopeRefusalCode,
}

impl SimArgs {
    fn config(&self, cloud: Option<Cloud>) -> Result<SimConfig, CliError> {
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
            variants: Variants {
                device_list_shape: self.device_list_shape,
                fed_patch_status: self.fed_patch_status,
                policy_migration_state: self.policy_migration_state,
                office_phone_allowed: !self.office_phones_not_allowed,
                unknown_scopes: self.unknown_scopes.clone(),
                scope_refusal: self.scope_refusal,
                // `--cloud` (a global option) makes the tenant refuse what that cloud's
                // Graph does not offer.
                cloud: cloud.map(SimCloud::of).unwrap_or_default(),
            },
        })
    }
}

pub fn run(global: &GlobalArgs, args: &SimArgs) -> Result<Exit, CliError> {
    let cfg = args.config(global.cloud)?;
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
        "seed {}; latency {} ms; faults {}; {throttle}; {}",
        cfg.seed,
        cfg.latency.as_millis(),
        cfg.faults,
        cfg.variants
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{Cli, Command};
    use crate::sim::{DeviceListShape, FedPatchStatus, PolicyMigrationState, SimCloud};

    fn sim_config(args: &[&str]) -> Result<crate::sim::SimConfig, String> {
        let cli = Cli::try_parse_from(args).map_err(|e| e.to_string())?;
        let Some(Command::Sim(a)) = &cli.command else {
            return Err("not the sim command".into());
        };
        a.config(cli.global.cloud).map_err(|e| e.to_string())
    }

    #[test]
    fn every_variant_has_a_switch_and_the_defaults_stay() {
        let plain = sim_config(&["mfa-cutover", "sim"]).unwrap();
        assert_eq!(plain.variants, crate::sim::Variants::default());
        let v = sim_config(&[
            "mfa-cutover",
            "sim",
            "--device-list-shape",
            "wrapped",
            "--fed-patch-status",
            "200",
            "--policy-migration-state",
            "pre-migration",
            "--office-phones-not-allowed",
            "--unknown-scope",
            "Policy.ReadWrite.HybridAuthentication",
            "--scope-refusal",
            "650053",
            "--cloud",
            "china",
        ])
        .unwrap()
        .variants;
        assert_eq!(v.device_list_shape, DeviceListShape::Wrapped);
        assert_eq!(v.fed_patch_status, FedPatchStatus::OkWithBody);
        assert_eq!(v.policy_migration_state, PolicyMigrationState::PreMigration);
        assert!(!v.office_phone_allowed);
        assert_eq!(v.unknown_scopes, ["Policy.ReadWrite.HybridAuthentication"]);
        assert_eq!(v.scope_refusal.code(), 650053);
        assert_eq!(v.cloud, SimCloud::China);
        let bad = sim_config(&["mfa-cutover", "sim", "--fed-patch-status", "201"]).unwrap_err();
        assert!(bad.contains("expected one of 204, 200"), "{bad}");
    }
}
