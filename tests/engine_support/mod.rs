//! Shared set-up of the engine tests: a simulated tenant on loopback, a sample data file
//! of the same seed and size written and read back through the real readers, a state
//! store in a temporary directory, and a small driver that sends commands and waits for
//! events with a deadline (no test can hang).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use mfa_cutover::cloud::Cloud;
use mfa_cutover::config::AuthKind;
use mfa_cutover::datafile::DataSet;
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};
use mfa_cutover::engine::{
    Command, DirectoryCommand, DirectoryEvent, Engine, EngineConfig, EngineDeps, EngineLink, Event,
    MigrationCommand, MigrationEvent, Progress, Scope, Store, SystemClock, UserStatus,
};
use mfa_cutover::graph::auth::{Session, StaticToken, TokenSource};
use mfa_cutover::graph::{ClientOptions, GraphClient, GraphRoot, Limits};
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

    pub fn client_options(&self) -> ClientOptions {
        let root = GraphRoot::parse(self.sim.url()).expect("the sim's URL");
        // The sim does not throttle unless asked: budgets well above what a test sends.
        let mut limits = Limits::from_settings(&Default::default());
        limits.concurrency = 16;
        limits.writes_per_window = 1_000_000;
        limits.resource_units = 1_000_000;
        ClientOptions::new(root, limits)
    }

    /// Start an engine against the sim (a fresh store handle on the fixture's state dir).
    pub async fn engine(&self, settings: MigrationSettings) -> Driver {
        self.engine_with(settings, self.client_options()).await
    }

    pub async fn engine_with(&self, settings: MigrationSettings, options: ClientOptions) -> Driver {
        let config = EngineConfig {
            settings,
            concurrency: 16,
            ..Default::default()
        };
        self.engine_config(config, options).await
    }

    pub async fn engine_config(&self, config: EngineConfig, options: ClientOptions) -> Driver {
        let tokens: Arc<dyn TokenSource> =
            Arc::new(StaticToken::new(self.sim.token()).expect("the sim's token"));
        let session = Session::from_source(tokens.clone(), AuthKind::Token, Cloud::Global, true)
            .await
            .expect("a session");
        let (observer, calls) = EngineDeps::observer();
        let client =
            GraphClient::new(tokens, options.clone_with_observer(observer)).expect("a client");
        let store = Store::open(&self.state_dir).expect("the store opens");
        let link = Engine::start(EngineDeps {
            data: Arc::new(self.data()),
            client: client.clone(),
            calls: Some(calls),
            identity: session.identity,
            store,
            config,
            clock: Arc::new(SystemClock),
            reload: None,
        });
        Driver {
            link,
            client,
            events: Vec::new(),
        }
    }
}

trait WithObserver {
    fn clone_with_observer(&self, o: mfa_cutover::graph::Observer) -> ClientOptions;
}

impl WithObserver for ClientOptions {
    fn clone_with_observer(&self, o: mfa_cutover::graph::Observer) -> ClientOptions {
        let mut c = self.clone();
        c.observer = Some(o);
        c
    }
}

/// Sends commands, keeps the events it has seen (activity excluded).
pub struct Driver {
    pub link: EngineLink,
    pub client: GraphClient,
    pub events: Vec<Event>,
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
    pub async fn send(&self, c: Command) {
        self.link
            .commands
            .send(c)
            .await
            .expect("the engine listens");
    }

    /// The next event (activity and load skipped), or panic after `secs`.
    pub async fn next(&mut self, secs: u64) -> Event {
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(secs), self.link.events.recv())
                .await
                .expect("an engine event in time")
                .expect("the engine is running");
            match ev {
                Event::Activity(_) | Event::Load(_) => continue,
                ev => return ev,
            }
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
        self.send(Command::Directory(DirectoryCommand::FindGroup {
            query: name.to_string(),
        }))
        .await;
        let id = loop {
            match self.next(60).await {
                Event::Directory(DirectoryEvent::GroupFound(g)) => break g.id,
                Event::Directory(DirectoryEvent::GroupNotFound { .. }) => panic!("no group {name}"),
                Event::Error(e) => panic!("{e:?}"),
                _ => {}
            }
        };
        self.send(Command::Directory(DirectoryCommand::LoadMembers {
            group_id: id,
        }))
        .await;
        loop {
            match self.next(120).await {
                Event::Directory(DirectoryEvent::Members { loaded, done, .. }) if done => {
                    return loaded;
                }
                Event::Error(e) => panic!("{e:?}"),
                _ => {}
            }
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
                Event::Migration(MigrationEvent::Finished {
                    progress,
                    cancelled,
                    ..
                }) => {
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
