//! Shared set-up of the engine tests: a simulated tenant on loopback, a sample data file
//! of the same seed and size written and read back through the real readers, a state
//! store in a temporary directory, and a small driver that sends commands and waits for
//! events with a deadline (no test can hang).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mfa_cutover::cloud::Cloud;
use mfa_cutover::config::{AuthKind, Config, FileConfig, Overrides};
use mfa_cutover::datafile::DataSet;
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};
use mfa_cutover::engine::{
    Access, Answer, CallError, Command, DirectoryCommand, EngineHandle, Event, MigrationCommand,
    MigrationEvent, Progress, RequestId, Running, Scope, SignIn, StartOptions, UserStatus,
    answer_of,
};
use mfa_cutover::graph::Limits;
use mfa_cutover::graph::auth::{Session, StaticToken, TokenSource};
use mfa_cutover::migrate::MigrationSettings;
use mfa_cutover::sim::{Sim, SimConfig};

pub const GROUP: &str = "MFA Migration";

/// A tenant, a data file of the same people, a state dir.
pub struct Fixture {
    pub sim: Sim,
    pub dir: tempfile::TempDir,
    pub data_file: PathBuf,
    pub state_dir: PathBuf,
    pub population: Population,
}

impl Fixture {
    pub async fn new(cfg: SimConfig) -> Fixture {
        let population = Population::new(cfg.seed, cfg.users);
        let sim = Sim::start(cfg).await.expect("the sim starts");
        let dir = tempfile::tempdir().expect("a temp dir");
        let data_file = dir.path().join("PhoneFactor.pfdata");
        write_snapshot(&population, &data_file, &WriteOptions::default())
            .expect("the sample data file is written");
        let state_dir = dir.path().join("state");
        Fixture {
            sim,
            dir,
            data_file,
            state_dir,
            population,
        }
    }

    pub fn data(&self) -> DataSet {
        mfa_cutover::datafile::load(std::slice::from_ref(&self.data_file), None)
            .expect("the data file reads")
    }

    /// Graph pacing for tests: the sim does not throttle unless asked, so budgets well
    /// above what a test sends.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::from_settings(&Default::default());
        limits.concurrency = 16;
        limits.writes_per_window = 1_000_000;
        limits.resource_units = 1_000_000;
        limits
    }

    /// The configuration a test engine starts from: the sim, the fixture's data file and
    /// state dir, and `group` as the configured migration group.
    pub fn config(&self, group: Option<&str>) -> Config {
        let o = Overrides {
            data_files: vec![self.data_file.clone()],
            graph_url: Some(self.sim.url().to_string()),
            state_dir: Some(self.state_dir.clone()),
            tenant: Some(self.sim.tenant_id().to_string()),
            ..Default::default()
        };
        let mut config = Config::resolve(None, FileConfig::default(), &o).expect("a config");
        config.group = group.map(str::to_string);
        config
    }

    /// Start options against the sim, signed in with its token, writing the store.
    pub async fn options(&self, settings: MigrationSettings) -> StartOptions {
        let tokens: Arc<dyn TokenSource> =
            Arc::new(StaticToken::new(self.sim.token()).expect("the sim's token"));
        let session = Session::from_source(tokens, AuthKind::Token, Cloud::Global, true)
            .await
            .expect("a session");
        let mut o = StartOptions::new(
            self.config(None),
            SignIn::Ready(session),
            Access::Write {
                command: "test".into(),
            },
        );
        o.settings = settings;
        o.limits = Some(self.limits());
        o.reload = false;
        o
    }

    /// Start an engine against the sim (a fresh store handle on the fixture's state dir).
    pub async fn engine(&self, settings: MigrationSettings) -> Driver {
        let o = self.options(settings).await;
        self.start(o).await
    }

    pub async fn start(&self, o: StartOptions) -> Driver {
        let running = mfa_cutover::engine::start(o)
            .await
            .expect("the engine starts");
        Driver::new(running)
    }
}

/// Sends commands, keeps the events it has seen (activity excluded).
pub struct Driver {
    pub engine: EngineHandle,
    pub running: RunningInfo,
    pub events: Vec<Event>,
}

/// What start-up said.
pub struct RunningInfo {
    pub session: mfa_cutover::engine::SessionInfo,
    pub read_only: Option<String>,
}

/// What a run reported.
#[derive(Debug, Default)]
pub struct RunReport {
    pub statuses: std::collections::HashMap<String, UserStatus>,
    pub progress: Progress,
    pub cancelled: bool,
    pub errors: Vec<String>,
}

impl RunReport {
    pub fn count(&self, f: impl Fn(&UserStatus) -> bool) -> usize {
        self.statuses.values().filter(|s| f(s)).count()
    }
}

impl Driver {
    pub fn new(running: Running) -> Driver {
        Driver {
            running: RunningInfo {
                session: running.session,
                read_only: running.read_only,
            },
            engine: running.engine,
            events: Vec::new(),
        }
    }

    pub async fn send(&self, c: Command) -> RequestId {
        self.engine
            .client
            .send(c)
            .await
            .expect("the engine listens")
    }

    /// The next event (activity and load skipped), or panic after `secs`.
    pub async fn next(&mut self, secs: u64) -> Event {
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(secs), self.engine.next_event())
                .await
                .expect("an engine event in time")
                .expect("the engine is running");
            match ev {
                Event::Activity(_) | Event::Load(_) => continue,
                ev => return ev,
            }
        }
    }

    /// Send a request and wait (at most `secs`) for its answer; other events are kept.
    pub async fn call(&mut self, c: Command, secs: u64) -> Result<Answer, CallError> {
        let id = self.send(c).await;
        loop {
            let ev = self.next(secs).await;
            if let Some(outcome) = answer_of(id, &ev) {
                return outcome.map_err(CallError::Refused);
            }
            self.events.push(ev);
        }
    }

    /// Wait for start-up reconciliation.
    pub async fn ready(&mut self) -> mfa_cutover::engine::Reconciliation {
        loop {
            if let Event::Migration(MigrationEvent::Reconciled(r)) = self.next(60).await {
                return r;
            }
        }
    }

    /// Find the group and load its members; returns the member count.
    pub async fn load_group(&mut self, name: &str) -> usize {
        let answer = self
            .call(
                Command::Directory(DirectoryCommand::FindGroup {
                    query: name.to_string(),
                }),
                60,
            )
            .await;
        let id = match answer {
            Ok(Answer::Groups(g)) if g.len() == 1 => g[0].id.clone(),
            other => panic!("finding {name}: {other:?}"),
        };
        match self
            .call(
                Command::Directory(DirectoryCommand::LoadMembers { group_id: id }),
                120,
            )
            .await
        {
            Ok(Answer::Members { loaded, .. }) => loaded,
            other => panic!("loading {name}: {other:?}"),
        }
    }

    /// Run a plan or migrate of the whole group and collect what it reported.
    pub async fn run(&mut self, migrate: bool, include_unchanged: bool) -> RunReport {
        let scope = Scope::Group;
        self.send(Command::Migration(if migrate {
            MigrationCommand::Migrate {
                scope,
                include_unchanged,
            }
        } else {
            MigrationCommand::Plan {
                scope,
                include_unchanged,
            }
        }))
        .await;
        self.collect(600).await
    }

    /// Collect statuses until `Finished`.
    pub async fn collect(&mut self, secs: u64) -> RunReport {
        let mut r = RunReport::default();
        loop {
            match self.next(secs).await {
                Event::Migration(MigrationEvent::UserStatus { user, status }) => {
                    r.statuses.insert(user, status);
                }
                Event::Migration(MigrationEvent::Finished(end)) => {
                    let (progress, cancelled) = (end.progress, end.cancelled);
                    r.progress = progress;
                    r.cancelled = cancelled;
                    return r;
                }
                Event::Error(e) => r.errors.push(format!("{}: {}", e.context, e.message)),
                _ => {}
            }
        }
    }

    pub async fn shutdown(mut self) {
        self.send(Command::Shutdown).await;
        loop {
            if let Event::Stopped = self.next(120).await {
                return;
            }
        }
    }
}

/// Every `$batch` item and plain request the sim logged as a write, by path.
pub fn write_paths(sim: &Sim) -> Vec<String> {
    sim.inspect(|t| {
        t.write_log()
            .iter()
            .map(|w| format!("{} {}", w.method, w.path))
            .collect()
    })
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// No write was made twice: each serial created once and assigned once, each phone
/// slot of a user added at most once, no user over five devices (L1).
pub fn assert_no_duplicates(sim: &Sim) {
    use mfa_cutover::sim::WriteOp;
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
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "writes made more than once: {twice:?}");
        for u in t.users() {
            assert!(
                u.device_count() <= 5,
                "{} holds {} devices",
                u.upn(),
                u.device_count()
            );
        }
    });
}

/// The real binary against the fixture's sim: common flags, the sim's token in the
/// environment, a config file pacing writes so a test can watch them.
pub struct Bin<'f> {
    pub fx: &'f Fixture,
    pub config: PathBuf,
    /// The data file passed; the fixture's unless a test swaps it.
    pub data_file: PathBuf,
}

impl<'f> Bin<'f> {
    pub fn new(fx: &'f Fixture, config_toml: &str) -> Bin<'f> {
        let config = fx.dir.path().join("config.toml");
        std::fs::write(&config, config_toml).expect("the config file is written");
        Bin {
            fx,
            config,
            data_file: fx.data_file.clone(),
        }
    }

    /// The flags every run gets, then `args`.
    pub fn args(&self, args: &[&str]) -> Vec<std::ffi::OsString> {
        let mut v: Vec<std::ffi::OsString> = vec![
            "--config".into(),
            self.config.clone().into(),
            "--graph-url".into(),
            self.fx.sim.url().into(),
            "--auth".into(),
            "token".into(),
            "--data-file".into(),
            self.data_file.clone().into(),
            "--state-dir".into(),
            self.fx.state_dir.clone().into(),
        ];
        v.extend(args.iter().map(Into::into));
        v
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-cutover"));
        c.arg("--config")
            .arg(&self.config)
            .arg("--graph-url")
            .arg(self.fx.sim.url())
            .arg("--auth")
            .arg("token")
            .arg("--data-file")
            .arg(&self.data_file)
            .arg("--state-dir")
            .arg(&self.fx.state_dir)
            .args(args)
            .env("MFA_CUTOVER_ACCESS_TOKEN", self.fx.sim.token())
            .env_remove("MFA_CUTOVER_CONFIG")
            .stdin(std::process::Stdio::null());
        c
    }

    /// Run to the end; stdout (the JSON document) and the exit code.
    pub fn run(&self, args: &[&str], out_name: &str) -> (serde_json::Value, i32) {
        let (json, _, code) = self.run_full(args, out_name);
        (json, code)
    }

    /// Run to the end; stdout as JSON, stderr, exit code.
    pub fn run_full(&self, args: &[&str], out_name: &str) -> (serde_json::Value, String, i32) {
        let out = self.fx.dir.path().join(out_name);
        let err = self.fx.dir.path().join(format!("{out_name}.stderr"));
        let status = self
            .command(args)
            .stdout(std::fs::File::create(&out).expect("an output file"))
            .stderr(std::fs::File::create(&err).expect("a stderr file"))
            .status()
            .expect("the binary runs");
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        let stderr = std::fs::read_to_string(&err).unwrap_or_default();
        (json, stderr, status.code().unwrap_or(-1))
    }

    /// Start in the background; stdout goes to `out_name`.
    pub fn spawn(&self, args: &[&str], out_name: &str) -> std::process::Child {
        let out = self.fx.dir.path().join(out_name);
        self.command(args)
            .stdout(std::fs::File::create(&out).expect("an output file"))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the binary starts")
    }
}

/// Poll `cond` every few milliseconds for at most `secs`; false on timeout.
pub async fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    false
}
