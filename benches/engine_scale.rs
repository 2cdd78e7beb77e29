//! The tool at full scale, as an admin runs it: the real binary against the simulated
//! tenant (started in this process, on loopback) with Graph's identity quotas and their
//! windows shortened by a factor, so hours of quota fit in minutes.
//!
//! 1. `plan --group "MFA Migration" --json` over 500,000 users: wall time, users/s and
//!    the binary's peak resident memory (goal: at most 500 MB).
//! 2. `migrate --group "MFA Migration" --yes --json` over 100,000 users: wall time,
//!    users/s, writes/s against the quota, 429s, peak memory, and the state store's size
//!    on disk per user afterwards.
//! 3. The same migration on a fresh tenant and store, killed with SIGKILL once about half
//!    of its writes are in the tenant, then started again: the time from that spawn to
//!    the tenant's next write (goal: at most 10 s), whether every user ended verified
//!    (the run's summary and the store), and whether any write was made twice (the
//!    tenant's write log).
//!
//! Figures only, no timed assertions; a problem found is reported, not panicked on.
//!
//! Run: `cargo bench --bench engine_scale` (the full scale, about 50 minutes on two
//! cores: the plan is bound by the latency, the migrations by the write quota), or `cargo bench --bench engine_scale -- --quick` (`ENGINE_SCALE_QUICK=1`:
//! 20,000 users planned, 5,000 migrated) for a smoke run. `cargo bench` builds the
//! `mfa-cutover` binary with the bench profile alongside and passes its path in
//! `CARGO_BIN_EXE_mfa-cutover`; `ENGINE_SCALE_BIN` runs another build instead.
//!
//! The full scale needs about 5 GB of free memory (the 500,000-user plan's binary peaked
//! at 3.6 GB, the tenant in this process at 0.5 GB) and 1.5 GB in the temp dir (data
//! files, the plan's 570 MB `--json`, the state stores).
//!
//! Environment: `ENGINE_SCALE_PLAN_USERS` (500,000), `ENGINE_SCALE_MIGRATE_USERS`
//! (100,000), `ENGINE_SCALE_FACTOR` (10: 3,000 writes per 15 s, 8,000 resource units per
//! 1 s; the binary's `write_window_secs` takes whole seconds, so 150 / factor is rounded
//! to one), `ENGINE_SCALE_LATENCY_MS` (50, added to every response), `ENGINE_SCALE_SEED`
//! (42), `ENGINE_SCALE_ONLY` (`plan`, `migrate`, `kill`, comma-separated),
//! `ENGINE_SCALE_KEEP` (keep the working directory: data files, state dirs, each run's
//! JSON and stderr).
//!
//! Peak memory is the binary's alone: each measured run is started through this bench
//! executable re-run as a small runner process (`ENGINE_SCALE_RUNNER`), which waits for
//! the binary and reads `getrusage(RUSAGE_CHILDREN)` — the exact high-water mark of its
//! one child, not of the tenant in this process.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};
use mfa_cutover::engine::SystemClock;
use mfa_cutover::engine::store::{DB_FILE, Store, UserStatusKind};
use mfa_cutover::sim::{Quotas, Sim, SimConfig, WriteOp};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const GROUP: &str = "MFA Migration";
/// Set in the runner process: where it writes the child's peak memory and wall time.
const RUNNER_ENV: &str = "ENGINE_SCALE_RUNNER";
const MIB: f64 = 1024.0 * 1024.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Res<()> {
    if let Some(out) = std::env::var_os(RUNNER_ENV) {
        return runner(Path::new(&out));
    }
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("ENGINE_SCALE_QUICK").is_ok_and(|v| v != "0" && !v.is_empty());
    let only = std::env::var("ENGINE_SCALE_ONLY").unwrap_or_default();
    let wants = |s: &str| only.is_empty() || only.split(',').any(|o| o.trim() == s);
    let cfg = Setup {
        plan_users: env_or(
            "ENGINE_SCALE_PLAN_USERS",
            if quick { 20_000 } else { 500_000 },
        ),
        migrate_users: env_or(
            "ENGINE_SCALE_MIGRATE_USERS",
            if quick { 5_000 } else { 100_000 },
        ),
        factor: env_or("ENGINE_SCALE_FACTOR", 10.0_f64),
        latency: Duration::from_millis(env_or("ENGINE_SCALE_LATENCY_MS", 50)),
        seed: env_or("ENGINE_SCALE_SEED", 42),
        bin: match std::env::var_os("ENGINE_SCALE_BIN") {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(env!("CARGO_BIN_EXE_mfa-cutover")),
        },
        dir: tempfile::tempdir()?,
    };
    if !cfg.bin.is_file() {
        return Err(format!(
            "the binary {} does not exist: run through `cargo bench --bench engine_scale`, \
             or set ENGINE_SCALE_BIN to a built mfa-cutover",
            cfg.bin.display()
        )
        .into());
    }
    let q = cfg.quotas();
    println!(
        "engine_scale{}: {} planned, {} migrated; quotas ×{:.0}: {} writes per {:.1} s \
         ({:.0}/s), {} RU per {:.2} s ({:.0}/s); latency {} ms; binary {}",
        if quick { " (quick)" } else { "" },
        cfg.plan_users,
        cfg.migrate_users,
        cfg.factor,
        q.writes_per_window,
        q.write_window.as_secs_f64(),
        q.writes_per_second(),
        q.resource_units,
        q.ru_window.as_secs_f64(),
        q.resource_units_per_second(),
        cfg.latency.as_millis(),
        cfg.bin.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut table = Table::default();
    runtime.block_on(async {
        if wants("plan") {
            match plan_scenario(&cfg).await {
                Ok(rows) => table.extend(rows),
                Err(e) => table.problem(format!("plan scenario: {e}")),
            }
        }
        let mut planned_writes = None;
        if wants("migrate") {
            match migrate_scenario(&cfg).await {
                Ok((rows, writes)) => {
                    table.extend(rows);
                    planned_writes = Some(writes);
                }
                Err(e) => table.problem(format!("migrate scenario: {e}")),
            }
        }
        if wants("kill") {
            match kill_scenario(&cfg, planned_writes).await {
                Ok((rows, problems)) => {
                    table.extend(rows);
                    for p in problems {
                        table.problem(p);
                    }
                }
                Err(e) => table.problem(format!("kill scenario: {e}")),
            }
        }
    });
    table.print();
    if std::env::var_os("ENGINE_SCALE_KEEP").is_some() {
        println!(
            "kept {} (data files, state dirs, each run's output)",
            cfg.dir.keep().display()
        );
    }
    Ok(())
}

/// Sizes, quotas and where things go.
struct Setup {
    plan_users: usize,
    migrate_users: usize,
    factor: f64,
    latency: Duration,
    seed: u64,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Setup {
    /// Graph's quotas with the write window shortened to whole seconds (the binary's
    /// `write_window_secs` takes no fraction) and the resource-unit window by the same
    /// factor.
    fn quotas(&self) -> Quotas {
        let d = Quotas::graph_default();
        let secs = (d.write_window.as_secs_f64() / self.factor)
            .round()
            .max(1.0);
        Quotas::graph_default().scaled(d.write_window.as_secs_f64() / secs)
    }

    /// The binary's `[graph]` pace: the same rates as the tenant's quotas.
    fn config_toml(&self) -> String {
        let q = self.quotas();
        let ru_per_10s = (q.resource_units_per_second() * 10.0).round().max(1.0);
        format!(
            "[migration]\n\
             match_attribute = {{ mfa_server = \"employeeID\", entra = \"employeeId\" }}\n\
             \n\
             [graph]\n\
             concurrency = 16\n\
             writes_per_window = {}\n\
             write_window_secs = {}\n\
             resource_units_per_10s = {ru_per_10s:.0}\n",
            q.writes_per_window,
            q.write_window.as_secs_f64().round().max(1.0),
        )
    }

    /// A sample data file of `users` people (the sim's seed), written once per size.
    fn data_file(&self, users: usize) -> Res<(PathBuf, f64)> {
        let path = self.dir.path().join(format!("PhoneFactor-{users}.pfdata"));
        if path.exists() {
            return Ok((path, 0.0));
        }
        let t = Instant::now();
        write_snapshot(
            &Population::new(self.seed, users),
            &path,
            &WriteOptions::default(),
        )?;
        Ok((path, t.elapsed().as_secs_f64()))
    }

    async fn sim(&self, users: usize) -> Res<(Sim, f64)> {
        let t = Instant::now();
        let sim = Sim::start(SimConfig {
            users,
            seed: self.seed,
            latency: self.latency,
            quotas: Some(self.quotas()),
            ..Default::default()
        })
        .await?;
        Ok((sim, t.elapsed().as_secs_f64()))
    }
}

/// One way to run the binary: its flags, the sim's token, stdout and stderr to files.
struct Tool<'a> {
    cfg: &'a Setup,
    sim: &'a Sim,
    data_file: PathBuf,
    state_dir: PathBuf,
    config: PathBuf,
}

impl<'a> Tool<'a> {
    fn new(cfg: &'a Setup, sim: &'a Sim, data_file: PathBuf, name: &str) -> Res<Tool<'a>> {
        let config = cfg.dir.path().join(format!("{name}.toml"));
        std::fs::write(&config, cfg.config_toml())?;
        Ok(Tool {
            cfg,
            sim,
            data_file,
            state_dir: cfg.dir.path().join(format!("{name}-state")),
            config,
        })
    }

    fn out(&self, name: &str) -> PathBuf {
        self.cfg.dir.path().join(name)
    }

    /// The binary itself, or (`measured`) this bench re-run as the runner around it.
    fn command(&self, args: &[&str], out_name: &str, measured: bool) -> Res<Command> {
        let mut c = if measured {
            let mut c = Command::new(std::env::current_exe()?);
            c.env(RUNNER_ENV, self.out(&format!("{out_name}.rusage")))
                .arg(&self.cfg.bin);
            c
        } else {
            Command::new(&self.cfg.bin)
        };
        c.arg("--config")
            .arg(&self.config)
            .arg("--graph-url")
            .arg(self.sim.url())
            .arg("--auth")
            .arg("token")
            .arg("--data-file")
            .arg(&self.data_file)
            .arg("--state-dir")
            .arg(&self.state_dir)
            .args(args)
            .env("MFA_CUTOVER_ACCESS_TOKEN", self.sim.token())
            .env_remove("MFA_CUTOVER_CONFIG")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.out(out_name))?)
            .stderr(std::fs::File::create(
                self.out(&format!("{out_name}.stderr")),
            )?);
        Ok(c)
    }

    fn spawn(&self, args: &[&str], out_name: &str, measured: bool) -> Res<Child> {
        Ok(self.command(args, out_name, measured)?.spawn()?)
    }

    /// Wait for a measured run without blocking the tenant's tasks.
    async fn finish(&self, mut child: Child, out_name: &str) -> Res<Finished> {
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // "peak-KiB user-s system-s", as the runner wrote it.
        let rusage =
            std::fs::read_to_string(self.out(&format!("{out_name}.rusage"))).unwrap_or_default();
        let mut fields = rusage.split_whitespace();
        let peak_kib = fields.next().and_then(|v| v.parse::<u64>().ok());
        let cpu_secs = fields
            .map(|v| v.parse::<f64>().ok())
            .sum::<Option<f64>>()
            .filter(|_| peak_kib.is_some());
        let stdout = self.out(out_name);
        let json_bytes = std::fs::metadata(&stdout).map(|m| m.len()).unwrap_or(0);
        let summary = std::fs::File::open(&stdout)
            .ok()
            .and_then(|f| serde_json::from_reader::<_, Doc>(BufReader::new(f)).ok())
            .map(|d| d.summary);
        let stderr =
            std::fs::read_to_string(self.out(&format!("{out_name}.stderr"))).unwrap_or_default();
        Ok(Finished {
            status,
            peak_kib,
            cpu_secs,
            json_bytes,
            summary,
            stderr,
        })
    }
}

/// What a measured run left.
struct Finished {
    status: ExitStatus,
    peak_kib: Option<u64>,
    /// The binary's user and system CPU time.
    cpu_secs: Option<f64>,
    json_bytes: u64,
    summary: Option<Summary>,
    stderr: String,
}

impl Finished {
    fn peak(&self) -> String {
        self.peak_kib
            .map_or("?".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
    }

    fn cpu(&self) -> String {
        self.cpu_secs.map_or("?".into(), |c| format!("{c:.1} s"))
    }

    /// The summary, or why there is none (exit code and the end of stderr).
    fn summary(&self, what: &str) -> Res<&Summary> {
        self.summary.as_ref().ok_or_else(|| {
            let tail: Vec<&str> = self.stderr.lines().rev().take(5).collect();
            format!(
                "{what}: no JSON summary ({}); stderr ends: {}",
                self.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )
            .into()
        })
    }
}

/// `--json`'s document; only the summary is read (the users list is skipped unparsed).
#[derive(Deserialize)]
struct Doc {
    summary: Summary,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Summary {
    targeted: u64,
    migrated: u64,
    verified: u64,
    unchanged: u64,
    skipped: u64,
    failed: u64,
    mismatched: u64,
    not_done: u64,
    cancelled: bool,
    planned_users: u64,
    planned_writes: u64,
    writes: u64,
    requests: u64,
    throttled: u64,
    reconciled: u64,
    duration_secs: f64,
    errors: Vec<String>,
}

/// The rows of the final table and the problems met.
#[derive(Default)]
struct Table {
    rows: Vec<(String, String)>,
    problems: Vec<String>,
}

impl Table {
    fn extend(&mut self, rows: Vec<(String, String)>) {
        self.rows.extend(rows);
    }

    fn problem(&mut self, p: String) {
        println!("PROBLEM: {p}");
        self.problems.push(p);
    }

    fn print(&self) {
        let width = self.rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        println!();
        println!("{:<width$}  figure", "engine_scale");
        println!("{:-<width$}  {:-<40}", "", "");
        for (k, v) in &self.rows {
            println!("{k:<width$}  {v}");
        }
        if self.problems.is_empty() {
            println!("no problems found");
        } else {
            println!("problems:");
            for p in &self.problems {
                println!("  - {p}");
            }
        }
    }
}

fn row(k: impl Into<String>, v: impl Into<String>) -> (String, String) {
    (k.into(), v.into())
}

/// 1. A dry run over the big tenant.
async fn plan_scenario(cfg: &Setup) -> Res<Vec<(String, String)>> {
    let users = cfg.plan_users;
    let (data_file, write_secs) = cfg.data_file(users)?;
    let (sim, sim_secs) = cfg.sim(users).await?;
    println!(
        "plan: set-up {users} users: data file {write_secs:.1} s, tenant {sim_secs:.1} s; running"
    );
    let tool = Tool::new(cfg, &sim, data_file, "plan")?;
    let s0 = sim.stats();
    let t = Instant::now();
    let child = tool.spawn(&["plan", "--group", GROUP, "--json"], "plan.json", true)?;
    let done = tool.finish(child, "plan.json").await?;
    let wall = t.elapsed().as_secs_f64();
    let s1 = sim.stats();
    drop(tool);
    sim.shutdown().await;
    let s = done.summary("plan")?;
    println!(
        "plan: {} targeted in {wall:.1} s ({}), peak {}",
        s.targeted,
        done.status,
        done.peak()
    );
    Ok(vec![
        row(
            format!("plan {users}: wall time"),
            format!(
                "{wall:.1} s (the tool's own count {:.1} s)",
                s.duration_secs
            ),
        ),
        row(
            format!("plan {users}: users/s"),
            format!("{:.0} ({} targeted)", s.targeted as f64 / wall, s.targeted),
        ),
        row(
            format!("plan {users}: peak RSS"),
            format!("{} (goal ≤ 500 MB)", done.peak()),
        ),
        row(
            format!("plan {users}: CPU time"),
            format!("{} (user + system, the binary alone)", done.cpu()),
        ),
        row(
            format!("plan {users}: planned"),
            format!(
                "{} users with writes, {} writes; {} skipped",
                s.planned_users, s.planned_writes, s.skipped
            ),
        ),
        row(
            format!("plan {users}: Graph"),
            format!(
                "{} operations, {} answered 429 ({:.3} %); {} HTTP requests",
                s.requests,
                s.throttled,
                100.0 * s.throttled as f64 / s.requests.max(1) as f64,
                s1.requests - s0.requests
            ),
        ),
        row(
            format!("plan {users}: --json output"),
            format!("{:.1} MiB", done.json_bytes as f64 / MIB),
        ),
    ])
}

/// Sizes of every file under `dir`: (the store with its -wal/-shm, everything).
fn dir_sizes(dir: &Path) -> (u64, u64) {
    let mut store = 0;
    let mut all = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                all += meta.len();
                if d == dir && e.file_name().to_string_lossy().starts_with(DB_FILE) {
                    store += meta.len();
                }
            }
        }
    }
    (store, all)
}

/// Writes per second while writing: the tenant's log, first write to last.
fn write_span(sim: &Sim) -> f64 {
    sim.inspect(|t| {
        let log = t.write_log();
        match (log.first(), log.last()) {
            (Some(a), Some(b)) => (b.at - a.at).num_milliseconds() as f64 / 1000.0,
            _ => 0.0,
        }
    })
    .max(1e-3)
}

/// 2. A migration of the mid-size tenant; returns its rows and the writes it planned.
async fn migrate_scenario(cfg: &Setup) -> Res<(Vec<(String, String)>, u64)> {
    let users = cfg.migrate_users;
    let (data_file, write_secs) = cfg.data_file(users)?;
    let (sim, sim_secs) = cfg.sim(users).await?;
    println!(
        "migrate: set-up {users} users: data file {write_secs:.1} s, tenant {sim_secs:.1} s; \
         running"
    );
    let tool = Tool::new(cfg, &sim, data_file, "migrate")?;
    let s0 = sim.stats();
    let t = Instant::now();
    let child = tool.spawn(
        &["migrate", "--group", GROUP, "--yes", "--json"],
        "migrate.json",
        true,
    )?;
    let done = tool.finish(child, "migrate.json").await?;
    let wall = t.elapsed().as_secs_f64();
    let s1 = sim.stats();
    let span = write_span(&sim);
    let duplicates = duplicate_writes(&sim);
    let (store, all) = dir_sizes(&tool.state_dir);
    drop(tool);
    sim.shutdown().await;
    let s = done.summary("migrate")?;
    let q = cfg.quotas();
    let tenant_writes = s1.writes - s0.writes;
    let rate = tenant_writes as f64 / span;
    println!(
        "migrate: {} targeted in {wall:.1} s ({}), peak {}",
        s.targeted,
        done.status,
        done.peak()
    );
    let mut rows = vec![
        row(
            format!("migrate {users}: wall time"),
            format!(
                "{wall:.1} s (the tool's own count {:.1} s)",
                s.duration_secs
            ),
        ),
        row(
            format!("migrate {users}: users/s"),
            format!(
                "{:.0} ({} targeted: {} verified of which {} migrated now, {} skipped, {} failed)",
                s.targeted as f64 / wall,
                s.targeted,
                s.verified,
                s.migrated,
                s.skipped,
                s.failed
            ),
        ),
        row(
            format!("migrate {users}: writes/s"),
            format!(
                "{rate:.1} while writing ({span:.0} s) = {:.1} % of the quota ({:.0}/s); \
                 {:.1} over the whole run",
                100.0 * rate / q.writes_per_second(),
                q.writes_per_second(),
                tenant_writes as f64 / wall
            ),
        ),
        row(
            format!("migrate {users}: writes"),
            format!(
                "{} made, {} planned, {tenant_writes} in the tenant's log",
                s.writes, s.planned_writes
            ),
        ),
        row(
            format!("migrate {users}: 429"),
            format!(
                "{} of {} operations ({:.3} %)",
                s.throttled,
                s.requests,
                100.0 * s.throttled as f64 / s.requests.max(1) as f64
            ),
        ),
        row(
            format!("migrate {users}: peak RSS"),
            format!("{} (goal ≤ 500 MB)", done.peak()),
        ),
        row(
            format!("migrate {users}: CPU time"),
            format!("{} (user + system, the binary alone)", done.cpu()),
        ),
        row(
            format!("migrate {users}: state store"),
            format!(
                "{:.1} MiB = {:.0} bytes/user ({DB_FILE}, -wal, -shm); whole state dir with \
                 logs {:.1} MiB = {:.0} bytes/user",
                store as f64 / MIB,
                store as f64 / users.max(1) as f64,
                all as f64 / MIB,
                all as f64 / users.max(1) as f64
            ),
        ),
    ];
    if !duplicates.is_empty() {
        rows.push(row(
            format!("migrate {users}: DUPLICATE writes"),
            duplicates.join(", "),
        ));
    }
    Ok((rows, s.planned_writes))
}

/// Writes made more than once (the crash test's check, reported instead of asserted):
/// each serial created and assigned once, each phone slot of a user added once, no user
/// over five devices.
fn duplicate_writes(sim: &Sim) -> Vec<String> {
    use std::collections::HashMap;
    sim.inspect(|t| {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for w in t.write_log() {
            let key = match &w.op {
                WriteOp::CreateHardwareDevice { serial, .. } => format!("create {serial}"),
                WriteOp::AssignHardwareToken { serial }
                | WriteOp::AssignAndActivateHardwareToken { serial } => format!("assign {serial}"),
                WriteOp::AddPhone(kind) => {
                    format!("add {kind:?} {}", w.user.clone().unwrap_or_default())
                }
                _ => continue,
            };
            *seen.entry(key).or_default() += 1;
        }
        let mut out: Vec<String> = seen
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect();
        out.sort();
        out.extend(
            t.users()
                .filter(|u| u.device_count() > 5)
                .map(|u| format!("{} holds {} devices", u.upn(), u.device_count())),
        );
        out
    })
}

/// Poll every few milliseconds for at most `limit`; false on timeout.
async fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    false
}

/// 3. Killed half-way, started again: restart to first write, nothing lost or doubled.
async fn kill_scenario(
    cfg: &Setup,
    planned: Option<u64>,
) -> Res<(Vec<(String, String)>, Vec<String>)> {
    let users = cfg.migrate_users;
    let (data_file, _) = cfg.data_file(users)?;
    let (sim, _) = cfg.sim(users).await?;
    let tool = Tool::new(cfg, &sim, data_file, "kill")?;
    let mut problems = Vec::new();
    // The writes a full migration makes: the migrate scenario's, or a dry run's.
    let planned = match planned {
        Some(p) => p,
        None => {
            let child = tool.spawn(
                &["plan", "--group", GROUP, "--json"],
                "kill-plan.json",
                true,
            )?;
            let done = tool.finish(child, "kill-plan.json").await?;
            done.summary("kill: the dry run")?.planned_writes
        }
    };
    let half = (planned / 2).max(1);
    println!("kill: {users} users, killing at {half} of {planned} writes");
    let args = ["migrate", "--group", GROUP, "--yes", "--json"];
    let mut first = tool.spawn(&args, "kill-run1.json", false)?;
    let t_first = Instant::now();
    let reached = wait_until(Duration::from_secs(3600), || sim.stats().writes >= half).await;
    // `Child::kill` is SIGKILL on Unix: no destructor, no flush.
    first.kill()?;
    let _ = first.wait();
    let killed_after = t_first.elapsed().as_secs_f64();
    if !reached {
        problems.push(format!(
            "kill: the first run did not reach {half} writes within the hour"
        ));
    }
    // Requests the dead process had in flight may still land: wait for a quiet tenant, so
    // the next write counted is the new process's.
    let mut last = sim.stats().writes;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = sim.stats().writes;
        if now == last {
            break;
        }
        last = now;
    }
    let at_kill = last;
    let open_at_kill = open_intents(&tool.state_dir, sim.tenant_id());
    println!(
        "kill: killed after {killed_after:.1} s at {at_kill} writes; {} writes open in the \
         journal; restarting",
        open_at_kill.as_ref().map_or("?".into(), |n| n.to_string())
    );

    let requests0 = sim.stats().requests;
    let t = Instant::now();
    let second = tool.spawn(&args, "kill-run2.json", true)?;
    let mut first_request = None;
    let wrote = wait_until(Duration::from_secs(600), || {
        let s = sim.stats();
        if first_request.is_none() && s.requests > requests0 {
            first_request = Some(t.elapsed().as_secs_f64());
        }
        s.writes > at_kill
    })
    .await;
    let to_first_write = t.elapsed().as_secs_f64();
    if !wrote {
        problems.push("kill: the restarted run made no write within 600 s".into());
    }
    let done = tool.finish(second, "kill-run2.json").await?;
    let total = t.elapsed().as_secs_f64();
    let duplicates = duplicate_writes(&sim);
    let tenant_writes = sim.stats().writes;
    let s = done.summary("kill: the restarted run")?;
    println!(
        "kill: restart wrote after {to_first_write:.2} s, finished in {total:.1} s ({}), peak {}",
        done.status,
        done.peak()
    );
    if s.failed + s.mismatched + s.not_done > 0 || s.cancelled || !done.status.success() {
        problems.push(format!(
            "kill: the restarted run ended {}: {} failed, {} mismatched, {} not done, \
             cancelled {}; errors: {:?}",
            done.status, s.failed, s.mismatched, s.not_done, s.cancelled, s.errors
        ));
    }
    if !duplicates.is_empty() {
        problems.push(format!(
            "kill: writes made more than once: {}",
            duplicates.join(", ")
        ));
    }
    let stored = store_statuses(&tool.state_dir, sim.tenant_id());
    let open_after = open_intents(&tool.state_dir, sim.tenant_id());
    match (&stored, &open_after) {
        (Ok(st), Ok(0)) if st.not_verified == 0 => {}
        (Ok(st), Ok(open)) => problems.push(format!(
            "kill: the store holds {} users not verified ({}) and {open} open writes",
            st.not_verified, st.text
        )),
        (Err(e), _) | (_, Err(e)) => problems.push(format!("kill: the store: {e}")),
    }
    drop(tool);
    sim.shutdown().await;
    let mut rows = vec![
        row(
            format!("kill {users}: killed at"),
            format!(
                "{at_kill} tenant writes of {planned} planned, {killed_after:.1} s in; {} \
                 writes left open",
                open_at_kill.map_or_else(|e| format!("? ({e})"), |n| n.to_string())
            ),
        ),
        row(
            format!("kill {users}: restart to first write"),
            format!(
                "{to_first_write:.2} s (goal ≤ 10 s); first Graph request after {}",
                first_request.map_or("?".into(), |r| format!("{r:.2} s"))
            ),
        ),
        row(
            format!("kill {users}: restarted run"),
            format!(
                "{total:.1} s, {} reconciled, {} targeted: {} verified ({} migrated), {} \
                 unchanged, {} skipped, {} failed, {} writes; peak {}",
                s.reconciled,
                s.targeted,
                s.verified,
                s.migrated,
                s.unchanged,
                s.skipped,
                s.failed,
                s.writes,
                done.peak()
            ),
        ),
        row(
            format!("kill {users}: tenant writes, both runs"),
            format!(
                "{tenant_writes} (the uninterrupted run's plan: {planned}); duplicates: {}",
                if duplicates.is_empty() {
                    "none".to_string()
                } else {
                    duplicates.len().to_string()
                }
            ),
        ),
    ];
    if let Ok(st) = stored {
        rows.push(row(format!("kill {users}: store afterwards"), st.text));
    }
    Ok((rows, problems))
}

fn open_intents(state_dir: &Path, tenant: &str) -> Result<usize, String> {
    let store = Store::open_read_only(state_dir, std::sync::Arc::new(SystemClock))
        .map_err(|e| e.to_string())?;
    let open = store.open_intents(tenant).map(|o| o.len());
    store.close();
    open.map_err(|e| e.to_string())
}

struct Statuses {
    not_verified: usize,
    text: String,
}

/// The users the store knows, by last status: verified or skipped by a rule is an end.
fn store_statuses(state_dir: &Path, tenant: &str) -> Result<Statuses, String> {
    let store = Store::open_read_only(state_dir, std::sync::Arc::new(SystemClock))
        .map_err(|e| e.to_string())?;
    let users = store.users(tenant);
    store.close();
    let users = users.map_err(|e| e.to_string())?;
    let count = |k: UserStatusKind| users.iter().filter(|u| u.status == k).count();
    let verified = count(UserStatusKind::Verified);
    let skipped = count(UserStatusKind::Skipped);
    let not_verified = users.len() - verified - skipped;
    Ok(Statuses {
        not_verified,
        text: format!(
            "{} users: {verified} verified, {skipped} skipped, {} failed, {} mismatch, {} \
             interrupted",
            users.len(),
            count(UserStatusKind::Failed),
            count(UserStatusKind::Mismatch),
            count(UserStatusKind::Interrupted)
        ),
    })
}

/// The runner: run the binary given as the first argument with the rest, wait, and write
/// its peak resident memory in KiB to `out` (`ru_maxrss` of the one child waited for).
fn runner(out: &Path) -> Res<()> {
    let mut args = std::env::args_os().skip(1);
    let bin = args.next().ok_or("the runner needs the binary to run")?;
    let status = Command::new(bin)
        .args(args)
        .env_remove(RUNNER_ENV)
        .status()?;
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    std::fs::write(
        out,
        format!(
            "{} {:.3} {:.3}\n",
            usage.max_rss(),
            secs(usage.user_time()),
            secs(usage.system_time())
        ),
    )?;
    std::process::exit(status.code().unwrap_or(1));
}
