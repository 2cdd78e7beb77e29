//! The engine at scale: 20,000 users migrated against the simulated tenant with 50 ms
//! per request and Graph's identity quotas, windows shortened (3,000 writes per 15 s,
//! 8,000 resource units per 1 s) so a run crosses several write windows in a few
//! minutes. Prints users/s, writes/s against the quota, reads per user, the share of
//! requests answered 429, writes against the slots that differed, and peak memory.
//! Run: `cargo bench --bench engine_migrate` (figures only; no timed assertions).
//! `ENGINE_BENCH_USERS` and `ENGINE_BENCH_SCALE` change the size and the window factor.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mfa_cutover::cloud::Cloud;
use mfa_cutover::config::{AuthKind, Config, FileConfig, Overrides};
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};
use mfa_cutover::engine::{
    Access, Answer, Command, DirectoryCommand, EngineHandle, Event, MigrationCommand,
    MigrationEvent, Progress, Scope, SignIn, StartOptions, UserStatus,
};
use mfa_cutover::graph::Limits;
use mfa_cutover::graph::auth::{Session, StaticToken, TokenSource};
use mfa_cutover::migrate::{MatchAttribute, MigrationSettings};
use mfa_cutover::sim::{Quotas, Sim, SimConfig};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak and current resident memory of this process, in MiB (`VmHWM`, `VmRSS`).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

async fn next(engine: &mut EngineHandle) -> Res<Event> {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(900), engine.next_event())
            .await?
            .ok_or("the engine stopped")?;
        if !matches!(ev, Event::Activity(_) | Event::Load(_)) {
            return Ok(ev);
        }
    }
}

fn main() -> Res<()> {
    let users: usize = env_or("ENGINE_BENCH_USERS", 20_000);
    let scale: f64 = env_or("ENGINE_BENCH_SCALE", 10.0);
    let seed = 42;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let quotas = Quotas::graph_default().scaled(scale);
        let dir = tempfile::tempdir()?;
        let data_file = dir.path().join("bench.pfdata");
        let t0 = Instant::now();
        let population = Population::new(seed, users);
        write_snapshot(&population, &data_file, &WriteOptions::default())?;
        let sim = Sim::start(SimConfig {
            users,
            seed,
            latency: Duration::from_millis(50),
            quotas: Some(quotas),
            ..Default::default()
        })
        .await?;
        println!(
            "set-up: {users} users (data file and tenant) in {:.1} s; quota {:.0} writes/s \
             ({} per {:.1} s), {:.0} RU/s; latency 50 ms",
            t0.elapsed().as_secs_f64(),
            quotas.writes_per_second(),
            quotas.writes_per_window,
            quotas.write_window.as_secs_f64(),
            quotas.resource_units_per_second()
        );

        let tokens: Arc<dyn TokenSource> = Arc::new(StaticToken::new(sim.token())?);
        let session = Session::from_source(tokens, AuthKind::Token, Cloud::Global, true).await?;
        let limits = Limits {
            writes_per_window: quotas.writes_per_window,
            write_window: quotas.write_window,
            resource_units: quotas.resource_units,
            ru_window: quotas.ru_window,
            headroom: 0.98,
            concurrency: 16,
            resource_units_configured: true,
        };
        let config = Config::resolve(
            None,
            FileConfig::default(),
            &Overrides {
                data_files: vec![data_file.clone()],
                graph_url: Some(sim.url().to_string()),
                state_dir: Some(dir.path().join("state")),
                ..Default::default()
            },
        )?;
        let mut opts = StartOptions::new(
            config,
            SignIn::Ready(session),
            Access::Write {
                command: "bench".into(),
            },
        );
        opts.settings = MigrationSettings {
            match_attribute: Some(MatchAttribute {
                mfa_server: "employeeID".into(),
                entra: "employeeId".into(),
            }),
            ..Default::default()
        };
        opts.limits = Some(limits);
        opts.reload = false;
        let (mem_before, _) = memory();
        let running = mfa_cutover::engine::start(opts).await?;
        let mut engine = running.engine;

        // The group, then the migration.
        let t_members = Instant::now();
        let group = match engine
            .call(
                Command::Directory(DirectoryCommand::FindGroup {
                    query: "MFA Migration".into(),
                }),
                |_| {},
            )
            .await?
        {
            Answer::Groups(mut g) if g.len() == 1 => g.remove(0),
            other => return Err(format!("the group: {other:?}").into()),
        };
        let members = match engine
            .call(
                Command::Directory(DirectoryCommand::LoadMembers { group_id: group.id }),
                |_| {},
            )
            .await?
        {
            Answer::Members { loaded, .. } => loaded,
            other => return Err(format!("the members: {other:?}").into()),
        };
        let members_secs = t_members.elapsed().as_secs_f64();
        let sim0 = sim.stats();
        let t_run = Instant::now();
        engine
            .client
            .send(Command::Migration(MigrationCommand::Migrate {
                scope: Scope::Group,
                include_unchanged: false,
            }))
            .await?;
        let mut planned: std::collections::HashMap<String, usize> = Default::default();
        let mut failed = 0usize;
        let progress: Progress = loop {
            match next(&mut engine).await? {
                Event::Migration(MigrationEvent::UserStatus { user, status }) => match status {
                    // The first plan of a user counts: a re-plan after a read-back holds
                    // only what was still missing.
                    UserStatus::Planned { plan } => {
                        planned.entry(user).or_insert(plan.ops.len());
                    }
                    UserStatus::Failed { .. } | UserStatus::Mismatch { .. } => failed += 1,
                    _ => {}
                },
                Event::Migration(MigrationEvent::Finished(end)) => break end.progress,
                _ => {}
            }
        };
        let run_secs = t_run.elapsed().as_secs_f64();
        let planned_writes: usize = planned.values().sum();
        let simstats = sim.stats();
        let (hwm, rss) = memory();
        let ops = progress.requests;
        let writes = progress.writes;
        let reads = ops.saturating_sub(writes);
        let throttled = progress.throttled;
        // Writes/s while writing: the tenant's own log, first write to last.
        let (first, last) = sim.inspect(|t| {
            let log = t.write_log();
            (log.first().map(|w| w.at), log.last().map(|w| w.at))
        });
        let write_secs = match (first, last) {
            (Some(a), Some(b)) => ((b - a).num_milliseconds() as f64 / 1000.0).max(1e-3),
            _ => run_secs,
        };
        let planned_users = progress.targeted - progress.skipped;
        println!("members: {members} read and matched in {members_secs:.1} s");
        println!(
            "run: {} users in {run_secs:.1} s = {:.0} users/s ({} verified, {} skipped, {failed} failed)",
            progress.targeted,
            progress.targeted as f64 / run_secs,
            progress.verified,
            progress.skipped
        );
        println!(
            "writes: {writes} in {write_secs:.1} s = {:.1} writes/s = {:.1} % of the quota \
             ({:.0}/s); over the whole run {:.1} writes/s",
            writes as f64 / write_secs,
            100.0 * writes as f64 / write_secs / quotas.writes_per_second(),
            quotas.writes_per_second(),
            writes as f64 / run_secs
        );
        println!(
            "writes vs slots that differed: {writes} made, {planned_writes} planned (the \
             tenant logged {})",
            simstats.writes - sim0.writes
        );
        println!(
            "reads: {reads} = {:.2} per targeted user, {:.2} per planned user; HTTP requests {} \
             (batches count once)",
            reads as f64 / progress.targeted.max(1) as f64,
            reads as f64 / planned_users.max(1) as f64,
            simstats.requests - sim0.requests
        );
        println!(
            "429: {throttled} of {ops} operations = {:.3} % (the tenant answered {} with 429)",
            100.0 * throttled as f64 / ops.max(1) as f64,
            simstats.throttled - sim0.throttled
        );
        println!(
            "memory: peak {hwm:.0} MiB (VmHWM; tenant and engine share the process), {rss:.0} \
             MiB resident at the end, {mem_before:.0} MiB peak before the engine started"
        );
        engine.client.send(Command::Shutdown).await?;
        while let Some(ev) = engine.next_event().await {
            if matches!(ev, Event::Stopped) {
                break;
            }
        }
        sim.shutdown().await;
        Ok(())
    })
}
