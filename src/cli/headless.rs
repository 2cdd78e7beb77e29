//! What `plan`, `migrate` and `sync` share: sign in as configured, read the data file,
//! open the state store, start the engine, and drive it with commands while turning its
//! events into progress bars (on a terminal) and a report (human text or one JSON
//! document). Like the TUI, this front end only sends commands and reads events.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::{CliError, Exit, GlobalArgs};
use crate::config::{AuthKind, Config};
use crate::datafile::DataSet;
use crate::engine::{
    Command, DirectoryCommand, DirectoryEvent, Engine, EngineConfig, EngineDeps, EngineLink, Event,
    GroupInfo, MigrationCommand, MigrationEvent, Progress, Reconciliation, Scope, Store,
    SystemClock, UserStatus,
};
use crate::graph::auth::{AuthError, DeviceCodePrompt, PromptFn, Session, SignInOptions, sign_in};
use crate::graph::model::Domain;
use crate::graph::{ClientOptions, GraphClient, GraphRoot, Identity, Limits};
use crate::migrate::{
    BlastRadius, DefaultMethodMode, MatchAttribute, MigrationSettings, MobileAppHandling, Note,
    Plan, Rule, Skip, UserSkip, describe_user_skip,
};
use crate::safe_text::Safe;

/// Migration settings as flags (they override `[migration]` of the config file).
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// When to set the default method (rule D2).
    #[arg(long, value_enum, value_name = "MODE")]
    pub default_method: Option<DefaultMethodArg>,
    /// Mobile app devices Graph cannot create (rule A3).
    #[arg(long, value_enum, value_name = "MODE")]
    pub mobile_app: Option<MobileAppArg>,
    /// Migrate users disabled in MFA Server too (rule M4).
    #[arg(long)]
    pub include_disabled: bool,
    /// Rule M3: an MFA Server AD attribute matched to an Entra property, e.g.
    /// `employeeID=employeeId`.
    #[arg(long, value_name = "MFA=ENTRA")]
    pub match_attribute: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DefaultMethodArg {
    Always,
    IfNotSet,
    MostSecureIfNotSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MobileAppArg {
    Report,
    OathAsHardwareToken,
}

impl SettingsArgs {
    /// Apply the flags to the configured settings.
    pub fn apply(&self, s: &mut MigrationSettings) -> Result<(), CliError> {
        if let Some(m) = self.default_method {
            s.default_method = match m {
                DefaultMethodArg::Always => DefaultMethodMode::Always,
                DefaultMethodArg::IfNotSet => DefaultMethodMode::IfNotSet,
                DefaultMethodArg::MostSecureIfNotSet => DefaultMethodMode::MostSecureIfNotSet,
            };
        }
        if let Some(m) = self.mobile_app {
            s.mobile_app = match m {
                MobileAppArg::Report => MobileAppHandling::Report,
                MobileAppArg::OathAsHardwareToken => MobileAppHandling::OathAsHardwareToken,
            };
        }
        if self.include_disabled {
            s.include_disabled = true;
        }
        if let Some(text) = &self.match_attribute {
            let (mfa, entra) = text
                .split_once('=')
                .map(|(a, b)| (a.trim(), b.trim()))
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .ok_or_else(|| {
                    CliError::bad_input(format!(
                        "--match-attribute {text:?}: expected MFA_SERVER_ATTRIBUTE=ENTRA_PROPERTY, \
                         e.g. employeeID=employeeId"
                    ))
                })?;
            s.match_attribute = Some(MatchAttribute {
                mfa_server: mfa.to_string(),
                entra: entra.to_string(),
            });
        }
        Ok(())
    }
}

/// Which members a command covers: `--group` and `--users`.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// The migration group: display name or object id (default: `[migration] group`).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Only these members: UPNs or object ids, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "U,...")]
    pub users: Vec<String>,
    /// Plan users whose MFA Server data is unchanged since their last migration too
    /// (rule C1; the utility's "Migrate all users").
    #[arg(long)]
    pub include_unchanged: bool,
}

impl TargetArgs {
    pub fn group(&self, config: &Config) -> Result<String, CliError> {
        self.group
            .clone()
            .or_else(|| config.group.clone())
            .filter(|g| !g.trim().is_empty())
            .ok_or_else(|| {
                CliError::bad_input(
                    "no migration group: pass --group G (display name or object id), or set \
                     `group` under [migration] in the config file",
                )
            })
    }
}

/// The async runtime, the configuration and the log of one command: what every command
/// that starts the engine (headless, the TUI, the demo) sets up first.
pub struct Setup {
    pub runtime: tokio::runtime::Runtime,
    pub config: Config,
    pub settings: MigrationSettings,
    log: crate::logging::LogGuard,
}

impl Setup {
    /// A headless command: the settings flags applied, a data file required, logs to the
    /// file (and stderr with `-v`).
    pub fn new(global: &GlobalArgs, settings: &SettingsArgs) -> Result<Setup, CliError> {
        let config = global.config()?;
        let mut s = config.migration.clone();
        settings.apply(&mut s)?;
        require_data(&config)?;
        Setup::with(config, s, global.verbose, true)
    }

    /// From a resolved configuration. `stderr_logs`: false in the TUI, whose screen a log
    /// line would break.
    pub fn with(
        config: Config,
        settings: MigrationSettings,
        verbose: u8,
        stderr_logs: bool,
    ) -> Result<Setup, CliError> {
        let log = crate::logging::init(&config.state_dir, verbose, stderr_logs).map_err(|e| {
            CliError::bad_input(format!(
                "cannot open the log directory under {}: {e}",
                config.state_dir.display()
            ))
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
        Ok(Setup {
            runtime,
            config,
            settings,
            log,
        })
    }

    /// The folder the log files are written to.
    pub fn log_dir(&self) -> &Path {
        &self.log.path
    }

    /// Today's log file.
    pub fn log_file(&self) -> std::path::PathBuf {
        self.log.file()
    }
}

/// Every command that reads MFA Server data needs a data file configured.
pub fn require_data(config: &Config) -> Result<(), CliError> {
    if config.data_files.is_empty() {
        return Err(CliError::bad_input(
            "no MFA Server data: pass --data-file PATH (or `data_file` in the config file)",
        ));
    }
    Ok(())
}

/// A sign-in problem the admin can fix in the configuration is bad input (exit 2).
pub fn auth_error(e: AuthError) -> CliError {
    match e {
        AuthError::Config(_) | AuthError::Certificate(_) => CliError::bad_input(e.to_string()),
        other => CliError::failure(other.to_string()),
    }
}

/// The device code goes to stderr: stdout stays clean for `--json`.
pub fn stderr_prompt() -> PromptFn {
    Arc::new(|p: &DeviceCodePrompt| {
        let _ = writeln!(
            std::io::stderr(),
            "To sign in, open {} and enter the code {} (valid until {}).",
            p.verification_uri,
            p.user_code,
            p.expires_at.format("%H:%M UTC")
        );
    })
}

/// Read the data file(s) the configuration names.
pub fn load_data(config: &Config) -> Result<DataSet, String> {
    crate::datafile::load(&config.data_files, config.mapping.as_deref()).map_err(|e| e.to_string())
}

/// A started engine and what the front end keeps of it.
pub struct Started {
    pub link: EngineLink,
    pub identity: Identity,
    pub data: Arc<DataSet>,
}

/// How [`start_with`] gets its session.
pub enum SignIn {
    /// Sign in per `--auth` (or `default` when none is configured); a device code is
    /// shown through `prompt`.
    AsConfigured { default: AuthKind, prompt: PromptFn },
    /// Already signed in (the demo signs in with the simulated tenant's token).
    Ready(Session),
}

/// Read the data, sign in (device code by default, its prompt on stderr), open the store
/// and start the engine.
pub async fn start(setup: &Setup) -> Result<Started, CliError> {
    start_with(
        &setup.config,
        &setup.settings,
        SignIn::AsConfigured {
            default: AuthKind::DeviceCode,
            prompt: stderr_prompt(),
        },
        false,
    )
    .await
}

/// Read the data, sign in as `how` says, open the store and start the engine: the one
/// start-up of every front end. `name_tenant`: look up the tenant's primary domain for
/// the TUI's header (one Graph call; a failure only leaves the id shown).
pub async fn start_with(
    config: &Config,
    settings: &MigrationSettings,
    how: SignIn,
    name_tenant: bool,
) -> Result<Started, CliError> {
    let owned = config.clone();
    let data = tokio::task::spawn_blocking(move || load_data(&owned))
        .await
        .map_err(|e| CliError::failure(format!("reading the data file stopped: {e}")))?
        .map_err(CliError::bad_input)?;
    let data = Arc::new(data);
    let session = match how {
        SignIn::AsConfigured { default, prompt } => {
            let mut opts = SignInOptions::from_config(config, default).map_err(auth_error)?;
            opts.prompt = Some(prompt);
            sign_in(opts).await.map_err(auth_error)?
        }
        SignIn::Ready(session) => session,
    };
    let root = GraphRoot::resolve(config.cloud, config.graph_url.as_deref())
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    let (observer, calls) = EngineDeps::observer();
    let mut options = ClientOptions::new(root, Limits::from_settings(&config.graph));
    options.observer = Some(observer);
    let client = GraphClient::new(session.tokens.clone(), options)
        .map_err(|e| CliError::failure(e.to_string()))?;
    let mut identity = session.identity.clone();
    if name_tenant && identity.tenant_name.is_none() {
        match tokio::time::timeout(Duration::from_secs(15), client.list_domains()).await {
            Ok(Ok(domains)) => identity.tenant_name = primary_domain(&domains),
            Ok(Err(e)) => tracing::warn!("reading the tenant's domains for its name: {e}"),
            Err(_) => {
                tracing::warn!("reading the tenant's domains for its name: no answer in 15 s")
            }
        }
    }
    let store = Store::open(&config.state_dir).map_err(|e| CliError::failure(e.to_string()))?;
    let reload_config = config.clone();
    let link = Engine::start(EngineDeps {
        data: data.clone(),
        client,
        calls: Some(calls),
        identity: identity.clone(),
        store,
        config: EngineConfig {
            settings: settings.clone(),
            concurrency: config.graph.concurrency,
            group: config.group.clone(),
            sync_interval: None,
            methods_ttl: Duration::from_secs(60),
        },
        clock: Arc::new(SystemClock),
        reload: Some(Arc::new(move || load_data(&reload_config))),
    });
    Ok(Started {
        link,
        identity,
        data,
    })
}

/// The name a tenant goes by: its default domain, else its first verified one.
pub fn primary_domain(domains: &[Domain]) -> Option<String> {
    domains
        .iter()
        .find(|d| d.is_default == Some(true))
        .or_else(|| domains.iter().find(|d| d.is_verified == Some(true)))
        .map(|d| d.id.clone())
}

// --------------------------------------------------------------------- the driver

/// One member as the report shows it.
#[derive(Debug, Clone)]
struct Row {
    entra_id: String,
    upn: String,
    status: Option<UserStatus>,
    plan: Option<Arc<Plan>>,
}

/// Sends commands, follows events, keeps what the report needs.
pub struct Driver {
    link: EngineLink,
    pub data: Arc<DataSet>,
    rows: Vec<Row>,
    index: HashMap<String, usize>,
    pub errors: Vec<String>,
    bar: ProgressBar,
    pub quiet: bool,
    interrupted: u8,
}

/// How a run ended, as the driver saw it.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub dry_run: bool,
    pub progress: Progress,
    pub cancelled: bool,
    pub started: Instant,
    pub finished: Instant,
}

impl Driver {
    /// `quiet`: no progress bars (`--json`, or stdout is not a terminal).
    pub fn new(started: Started, quiet: bool) -> Driver {
        let bar = if quiet {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        Driver {
            link: started.link,
            data: started.data,
            rows: Vec::new(),
            index: HashMap::new(),
            errors: Vec::new(),
            bar,
            quiet,
            interrupted: 0,
        }
    }

    async fn send(&self, c: Command) -> Result<(), CliError> {
        self.link
            .commands
            .send(c)
            .await
            .map_err(|_| CliError::failure("the engine stopped"))
    }

    /// The next event; Ctrl-C cancels the run (writes in flight finish and are
    /// journaled), a second one stops the engine.
    async fn next(&mut self) -> Result<Event, CliError> {
        loop {
            let ev = tokio::select! {
                ev = self.link.events.recv() => ev,
                _ = tokio::signal::ctrl_c() => {
                    self.interrupted += 1;
                    let c = if self.interrupted == 1 {
                        self.bar.println("Cancelling: writes in flight finish and are journaled (Ctrl-C again to stop at once)");
                        Command::Migration(MigrationCommand::Cancel)
                    } else {
                        Command::Shutdown
                    };
                    let _ = self.link.commands.send(c).await;
                    continue;
                }
            };
            let Some(ev) = ev else {
                return Err(CliError::failure("the engine stopped"));
            };
            match ev {
                Event::Activity(_) | Event::Load(_) | Event::Session(_) | Event::Data(_) => {}
                Event::Error(e) => {
                    let line = format!("{}: {}", e.context, e.message);
                    if !self.quiet {
                        self.bar.println(format!("error: {}", Safe(&line)));
                    }
                    self.errors.push(line);
                }
                Event::Stopped => return Ok(Event::Stopped),
                ev => return Ok(ev),
            }
        }
    }

    /// Wait for start-up reconciliation.
    pub async fn ready(&mut self) -> Result<Reconciliation, CliError> {
        loop {
            match self.next().await? {
                Event::Migration(MigrationEvent::Reconciled(r)) => {
                    if r.open > 0 && !self.quiet {
                        eprintln!(
                            "An earlier run was interrupted: {} open writes read back ({} applied, \
                             {} not applied, {} left open).",
                            r.open, r.done, r.not_done, r.unresolved
                        );
                    }
                    return Ok(r);
                }
                Event::Stopped => return Err(CliError::failure("the engine stopped")),
                _ => {}
            }
        }
    }

    /// Find the group by name or id; an unknown or ambiguous name is bad input.
    pub async fn find_group(&mut self, query: &str) -> Result<GroupInfo, CliError> {
        self.send(Command::Directory(DirectoryCommand::FindGroup {
            query: query.to_string(),
        }))
        .await?;
        let before = self.errors.len();
        loop {
            match self.next().await? {
                Event::Directory(DirectoryEvent::GroupFound(g)) => return Ok(g),
                Event::Directory(DirectoryEvent::GroupNotFound { query }) => {
                    return Err(CliError::bad_input(format!(
                        "no group named {query:?} (and no group with that object id)"
                    )));
                }
                Event::Directory(DirectoryEvent::GroupAmbiguous { query, candidates }) => {
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|g| format!("{} ({})", g.id, g.display_name))
                        .collect();
                    return Err(CliError::bad_input(format!(
                        "{} groups are named {query:?}: pass one by object id: {}",
                        candidates.len(),
                        list.join(", ")
                    )));
                }
                Event::Stopped => return Err(CliError::failure("the engine stopped")),
                _ => {}
            }
            if self.errors.len() > before {
                return Err(CliError::failure(self.errors[before..].join("; ")));
            }
        }
    }

    /// Load the group's members (a spinner on a terminal); returns how many.
    pub async fn load_members(&mut self, group: &GroupInfo) -> Result<usize, CliError> {
        self.send(Command::Directory(DirectoryCommand::LoadMembers {
            group_id: group.id.clone(),
        }))
        .await?;
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        self.bar
            .set_message(format!("reading the members of {}", group.display_name));
        self.bar.enable_steady_tick(Duration::from_millis(120));
        self.rows.clear();
        self.index.clear();
        let before = self.errors.len();
        loop {
            match self.next().await? {
                Event::Directory(DirectoryEvent::Members {
                    page, loaded, done, ..
                }) => {
                    for m in page {
                        self.index.insert(m.entra.id.clone(), self.rows.len());
                        self.rows.push(Row {
                            entra_id: m.entra.id,
                            upn: m.entra.upn,
                            status: None,
                            plan: None,
                        });
                    }
                    self.bar.set_message(format!(
                        "reading the members of {}: {loaded}",
                        group.display_name
                    ));
                    if done {
                        self.bar.finish_and_clear();
                        return Ok(loaded);
                    }
                }
                Event::Stopped => return Err(CliError::failure("the engine stopped")),
                _ => {}
            }
            if self.errors.len() > before {
                self.bar.finish_and_clear();
                return Err(CliError::failure(self.errors[before..].join("; ")));
            }
        }
    }

    /// `--users`: UPNs or object ids of loaded members.
    pub fn resolve_users(&self, wanted: &[String]) -> Result<Scope, CliError> {
        if wanted.is_empty() {
            return Ok(Scope::Group);
        }
        let mut ids = Vec::new();
        let mut unknown = Vec::new();
        for w in wanted.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            let hit = self
                .rows
                .iter()
                .find(|r| r.entra_id.eq_ignore_ascii_case(w) || r.upn.eq_ignore_ascii_case(w));
            match hit {
                Some(r) => ids.push(r.entra_id.clone()),
                None => unknown.push(w.to_string()),
            }
        }
        if !unknown.is_empty() {
            return Err(CliError::bad_input(format!(
                "--users: not members of the group: {}",
                unknown.join(", ")
            )));
        }
        Ok(Scope::Users(ids))
    }

    /// Send a run command and follow it to its end.
    pub async fn run(&mut self, cmd: MigrationCommand) -> Result<RunResult, CliError> {
        let started = Instant::now();
        for r in &mut self.rows {
            r.status = None;
            r.plan = None;
        }
        self.send(Command::Migration(cmd)).await?;
        self.bar.set_style(
            ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} users  {msg}  [{elapsed_precise}, eta {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("##-"),
        );
        self.bar.reset();
        loop {
            match self.next().await? {
                Event::Migration(MigrationEvent::Started { targeted, dry_run }) => {
                    self.bar.set_length(targeted as u64);
                    self.bar.set_position(0);
                    self.bar.set_message(if dry_run { "planning" } else { "" });
                }
                Event::Migration(MigrationEvent::UserStatus { user, status }) => {
                    let i = match self.index.get(&user) {
                        Some(i) => *i,
                        None => {
                            // A user of a saved plan that is not a loaded member.
                            self.index.insert(user.clone(), self.rows.len());
                            self.rows.push(Row {
                                entra_id: user.clone(),
                                upn: user.clone(),
                                status: None,
                                plan: None,
                            });
                            self.rows.len() - 1
                        }
                    };
                    if let Some(row) = self.rows.get_mut(i) {
                        if let UserStatus::Planned { plan } = &status {
                            row.plan = Some(plan.clone());
                            if row.upn == row.entra_id {
                                row.upn = plan.user.upn.clone();
                            }
                        }
                        row.status = Some(status);
                    }
                }
                Event::Migration(MigrationEvent::Progress(p)) => {
                    self.bar.set_position(p.done as u64);
                    self.bar.set_message(progress_line(&p));
                }
                Event::Migration(MigrationEvent::Finished {
                    dry_run,
                    progress,
                    cancelled,
                }) => {
                    self.bar.finish_and_clear();
                    return Ok(RunResult {
                        dry_run,
                        progress,
                        cancelled,
                        started,
                        finished: Instant::now(),
                    });
                }
                Event::Migration(MigrationEvent::PlanRefused { path, reasons }) => {
                    self.bar.finish_and_clear();
                    return Err(CliError::bad_input(format!(
                        "the plan {} was not applied, nothing was written: {}",
                        path.display(),
                        reasons.join("; ")
                    )));
                }
                Event::Stopped => return Err(CliError::failure("the engine stopped")),
                _ => {}
            }
        }
    }

    /// Save the last dry run's plans.
    pub async fn save_plan(&mut self, path: &Path) -> Result<usize, CliError> {
        self.send(Command::Migration(MigrationCommand::SavePlan {
            path: path.to_path_buf(),
        }))
        .await?;
        let before = self.errors.len();
        loop {
            match self.next().await? {
                Event::Migration(MigrationEvent::PlanSaved { users, .. }) => return Ok(users),
                Event::Stopped => return Err(CliError::failure("the engine stopped")),
                _ => {}
            }
            if self.errors.len() > before {
                return Err(CliError::failure(self.errors[before..].join("; ")));
            }
        }
    }

    /// Turn automatic sync on and report each cycle until Ctrl-C (or after one cycle).
    pub async fn sync(
        &mut self,
        interval: Duration,
        once: bool,
        mut each: impl FnMut(&Driver, &RunResult),
    ) -> Result<Option<RunResult>, CliError> {
        self.send(Command::Migration(MigrationCommand::SetAutoSync {
            interval: Some(interval),
        }))
        .await?;
        let mut last = None;
        let mut started = Instant::now();
        loop {
            match self.next().await? {
                Event::Migration(MigrationEvent::Started { .. }) => {
                    started = Instant::now();
                    for r in &mut self.rows {
                        r.status = None;
                        r.plan = None;
                    }
                }
                Event::Migration(MigrationEvent::UserStatus { user, status }) => {
                    if let Some(i) = self.index.get(&user).copied()
                        && let Some(row) = self.rows.get_mut(i)
                    {
                        if let UserStatus::Planned { plan } = &status {
                            row.plan = Some(plan.clone());
                        }
                        row.status = Some(status);
                    }
                }
                Event::Directory(DirectoryEvent::Members { page, .. }) => {
                    for m in page {
                        if !self.index.contains_key(&m.entra.id) {
                            self.index.insert(m.entra.id.clone(), self.rows.len());
                            self.rows.push(Row {
                                entra_id: m.entra.id,
                                upn: m.entra.upn,
                                status: None,
                                plan: None,
                            });
                        }
                    }
                }
                Event::Migration(MigrationEvent::Finished {
                    dry_run,
                    progress,
                    cancelled,
                }) => {
                    let r = RunResult {
                        dry_run,
                        progress,
                        cancelled,
                        started,
                        finished: Instant::now(),
                    };
                    each(self, &r);
                    let stop = once || cancelled;
                    last = Some(r);
                    if stop {
                        return Ok(last);
                    }
                }
                Event::Stopped => return Ok(last),
                _ => {}
            }
        }
    }

    /// Stop the engine (it finishes writes in flight and closes the store).
    pub async fn shutdown(mut self) {
        if self.link.commands.send(Command::Shutdown).await.is_err() {
            return;
        }
        while let Some(ev) = self.link.events.recv().await {
            if matches!(ev, Event::Stopped) {
                return;
            }
        }
    }

    // ----------------------------------------------------------------- reports

    /// The report of a run: summary and users.
    pub fn report(&self, group: &str, result: &RunResult, reconciled: usize) -> Report {
        let mut s = Summary {
            group: group.to_string(),
            dry_run: result.dry_run,
            cancelled: result.cancelled,
            targeted: result.progress.targeted,
            writes: result.progress.writes,
            requests: result.progress.requests,
            throttled: result.progress.throttled,
            reconciled,
            duration_secs: ((result.finished - result.started).as_secs_f64() * 10.0).round() / 10.0,
            errors: self.errors.clone(),
            ..Default::default()
        };
        let mut radius = BlastRadius::default();
        let mut users = Vec::new();
        for row in &self.rows {
            let Some(status) = &row.status else { continue };
            if let Some(plan) = &row.plan {
                radius.add(plan);
            }
            let mut out = UserOut {
                upn: row.upn.clone(),
                entra_id: row.entra_id.clone(),
                mfa_user: row.plan.as_ref().map(|p| p.user.mfa_username.clone()),
                status: "queued",
                reason: None,
                ops: Vec::new(),
                skips: Vec::new(),
                notes: Vec::new(),
                error: None,
                differences: Vec::new(),
            };
            if let Some(plan) = &row.plan {
                out.ops = plan
                    .ops
                    .iter()
                    .map(|op| OpOut {
                        text: op.action.to_string(),
                        rules: op.rules.clone(),
                        action: serde_json::to_value(&op.action).unwrap_or_default(),
                    })
                    .collect();
                out.skips = plan.skips.iter().map(SkipOut::from).collect();
                out.notes = plan.notes.iter().map(NoteOut::from).collect();
            }
            match status {
                UserStatus::Verified => {
                    s.verified += 1;
                    out.status = "verified";
                    if row.plan.as_ref().is_some_and(|p| !p.is_noop()) {
                        s.migrated += 1;
                    }
                }
                UserStatus::Mismatch { differences } => {
                    s.failed += 1;
                    s.mismatched += 1;
                    out.status = "mismatch";
                    out.differences = differences.clone();
                }
                UserStatus::Failed { error, .. } => {
                    s.failed += 1;
                    out.status = "failed";
                    out.error = Some(error.clone());
                }
                UserStatus::Skipped { skip } => {
                    s.skipped += 1;
                    match skip {
                        UserSkip::Unchanged { .. } => {
                            s.unchanged += 1;
                            out.status = "unchanged";
                        }
                        UserSkip::NotInMfaServer => {
                            s.not_in_mfa_server += 1;
                            out.status = "skipped";
                        }
                        UserSkip::Conflict { .. } => {
                            s.conflicts += 1;
                            out.status = "skipped";
                        }
                        UserSkip::DisabledInMfaServer { .. } => {
                            s.disabled += 1;
                            out.status = "skipped";
                        }
                    }
                    out.reason = Some(ReasonOut {
                        rule: skip.rule(),
                        text: describe_user_skip(skip, &self.data),
                    });
                }
                UserStatus::Planned { .. } => out.status = "planned",
                UserStatus::Queued | UserStatus::Reading => out.status = "queued",
                UserStatus::Writing { .. } => out.status = "interrupted",
            }
            users.push(out);
        }
        s.planned_users = radius.users_with_writes;
        s.planned_writes = radius.writes;
        s.must_reregister = radius.must_reregister;
        s.without_usable_method = radius.without_usable_method;
        Report { summary: s, users }
    }

    /// The blast radius of the last dry run (users with writes, writes…).
    pub fn radius(&self) -> BlastRadius {
        BlastRadius::of(self.rows.iter().filter_map(|r| r.plan.as_deref()))
    }
}

fn progress_line(p: &Progress) -> String {
    let mut parts = vec![format!("{} verified", p.verified)];
    if p.failed > 0 {
        parts.push(format!("{} failed", p.failed));
    }
    if p.skipped > 0 {
        parts.push(format!("{} skipped", p.skipped));
    }
    parts.push(format!("{} writes ({:.1}/s)", p.writes, p.writes_per_sec));
    if p.throttled > 0 {
        parts.push(format!("{} throttled", p.throttled));
    }
    parts.join(" · ")
}

/// `migrate --json` and friends: one document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub users: Vec<UserOut>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub group: String,
    pub dry_run: bool,
    pub cancelled: bool,
    /// Members the run covered.
    pub targeted: usize,
    /// Verified users that needed at least one write.
    pub migrated: usize,
    /// Users whose read-back matched their plan (C4), writes or not.
    pub verified: usize,
    /// Skipped by rule C1.
    pub unchanged: usize,
    /// Every whole-user skip (unchanged, not in MFA Server, conflict, disabled).
    pub skipped: usize,
    pub not_in_mfa_server: usize,
    pub conflicts: usize,
    pub disabled: usize,
    /// Failed, mismatches included.
    pub failed: usize,
    pub mismatched: usize,
    /// Users whose plan writes something, and those writes (dry run: to be made).
    pub planned_users: usize,
    pub planned_writes: usize,
    /// Writes made by this run.
    pub writes: u64,
    /// Graph operations the run sent after the members were listed (each `$batch` item
    /// counts; retries too): 0 when every user is unchanged (C1).
    pub requests: u64,
    /// Operations Graph answered 429.
    pub throttled: u64,
    pub must_reregister: usize,
    pub without_usable_method: usize,
    /// Writes an interrupted earlier run left open, read back at start.
    pub reconciled: usize,
    pub duration_secs: f64,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserOut {
    pub upn: String,
    pub entra_id: String,
    pub mfa_user: Option<String>,
    /// `verified`, `mismatch`, `failed`, `unchanged`, `skipped`, `planned`, `queued`.
    pub status: &'static str,
    /// Why a whole user was skipped.
    pub reason: Option<ReasonOut>,
    pub ops: Vec<OpOut>,
    pub skips: Vec<SkipOut>,
    pub notes: Vec<NoteOut>,
    pub error: Option<String>,
    pub differences: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReasonOut {
    pub rule: Rule,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpOut {
    pub rules: Vec<Rule>,
    pub text: String,
    /// The operation as data (`op`, `slot`, `number`, `serial`, …).
    pub action: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkipOut {
    pub rule: Rule,
    pub subject: String,
    pub reason: String,
}

impl From<&Skip> for SkipOut {
    fn from(s: &Skip) -> SkipOut {
        SkipOut {
            rule: s.rule,
            subject: s.subject.to_string(),
            reason: s.reason.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NoteOut {
    pub rule: Rule,
    pub subject: String,
    pub text: String,
}

impl From<&Note> for NoteOut {
    fn from(n: &Note) -> NoteOut {
        NoteOut {
            rule: n.rule,
            subject: n.subject.to_string(),
            text: n.text.clone(),
        }
    }
}

impl Report {
    pub fn json(&self) -> Result<String, CliError> {
        serde_json::to_string_pretty(self)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))
    }

    /// The summary as a few lines of text.
    pub fn summary_text(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let what = if s.dry_run { "Dry run" } else { "Migration" };
        let state = if s.cancelled { " (cancelled)" } else { "" };
        out.push_str(&format!(
            "{what} of \"{}\"{state}: {} users in {:.1} s\n",
            Safe(&s.group),
            s.targeted,
            s.duration_secs
        ));
        if s.dry_run {
            out.push_str(&format!(
                "  to migrate   {} users, {} writes\n",
                s.planned_users, s.planned_writes
            ));
        } else {
            out.push_str(&format!(
                "  verified     {} ({} migrated now, the rest already matched)\n",
                s.verified, s.migrated
            ));
            out.push_str(&format!("  writes       {}\n", s.writes));
        }
        out.push_str(&format!(
            "  skipped      {} ({} unchanged, {} not in MFA Server, {} conflicts, {} disabled)\n",
            s.skipped, s.unchanged, s.not_in_mfa_server, s.conflicts, s.disabled
        ));
        if s.failed > 0 {
            out.push_str(&format!(
                "  FAILED       {} ({} mismatches after read-back)\n",
                s.failed, s.mismatched
            ));
        }
        if s.must_reregister > 0 {
            out.push_str(&format!(
                "  re-register  {} users must re-register the mobile app (A3)\n",
                s.must_reregister
            ));
        }
        if s.without_usable_method > 0 {
            out.push_str(&format!(
                "  no method    {} users would have no usable Entra method\n",
                s.without_usable_method
            ));
        }
        out.push_str(&format!(
            "  Graph        {} requests, {} throttled\n",
            s.requests, s.throttled
        ));
        out
    }

    /// Per user: the plan's lines (dry run) or what went wrong (migration).
    pub fn user_text(&self) -> String {
        let mut out = String::new();
        for u in &self.users {
            let interesting = match u.status {
                "failed" | "mismatch" | "interrupted" => true,
                "planned" => !u.ops.is_empty() || !u.skips.is_empty(),
                _ => false,
            };
            if !interesting {
                continue;
            }
            out.push_str(&format!("{} [{}]\n", Safe(&u.upn), u.status));
            for op in &u.ops {
                let rules: Vec<String> = op.rules.iter().map(ToString::to_string).collect();
                out.push_str(&format!("    [{}] {}\n", rules.join(","), Safe(&op.text)));
            }
            for s in &u.skips {
                out.push_str(&format!(
                    "    [{}] skip {}: {}\n",
                    s.rule,
                    Safe(&s.subject),
                    Safe(&s.reason)
                ));
            }
            if let Some(e) = &u.error {
                out.push_str(&format!("    error: {}\n", Safe(e)));
            }
            for d in &u.differences {
                out.push_str(&format!("    differs: {}\n", Safe(d)));
            }
        }
        out
    }
}

/// Exit code of a run: 1 when users failed or the run was cancelled or stopped by an
/// error; 0 otherwise (skips are not failures).
pub fn exit_of(report: &Report) -> Exit {
    let s = &report.summary;
    if s.failed > 0 || s.cancelled {
        Exit::Failure
    } else {
        Exit::Success
    }
}

/// Whether progress bars and prompts may use the terminal.
pub fn interactive_stdout() -> bool {
    std::io::stdout().is_terminal()
}

/// Ask on the terminal; `Ok(false)` when refused.
pub fn confirm(question: &str, expect: Option<&str>) -> Result<bool, CliError> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::failure(format!("cannot read the answer: {e}")))?;
    let answer = line.trim();
    Ok(match expect {
        Some(e) => answer == e,
        None => matches!(answer, "y" | "Y" | "yes" | "YES" | "Yes"),
    })
}
