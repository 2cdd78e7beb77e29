//! Drives the engine for a headless command: each step is one request and its answer
//! ([`EngineHandle::call`]'s contract), while the events on the way become progress bars
//! on a terminal and the rows the report is made from. Ctrl-C cancels (writes in flight
//! finish and are journaled) and the command exits 1; a second Ctrl-C stops the engine.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::CliError;
use super::headless::refusal_error;
use super::report::{self, Report, progress_line};
use crate::datafile::DataSet;
use crate::engine::{
    Answer, Command, DirectoryCommand, DirectoryEvent, EngineHandle, Event, GroupInfo,
    MigrationCommand, MigrationEvent, Progress, Reconciliation, RequestId, RunEnd, Running, Scope,
    SessionInfo, UserStatus, answer_of,
};
use crate::migrate::{BlastRadius, Plan, Rule};
use crate::safe_text::Safe;

/// One member as the report shows it.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub entra_id: String,
    pub upn: String,
    /// M1, M2 or M3 when matched (or the rule a conflict was found by).
    pub matched_by: Option<Rule>,
    pub status: Option<UserStatus>,
    pub plan: Option<Arc<Plan>>,
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

impl RunResult {
    fn of(end: RunEnd, started: Instant) -> RunResult {
        RunResult {
            dry_run: end.dry_run,
            progress: end.progress,
            cancelled: end.cancelled,
            started,
            finished: Instant::now(),
        }
    }
}

/// Sends requests, follows events, keeps what the report needs.
pub struct Driver {
    engine: EngineHandle,
    pub data: Arc<DataSet>,
    pub session: SessionInfo,
    rows: Vec<Row>,
    index: HashMap<String, usize>,
    pub errors: Vec<String>,
    bar: ProgressBar,
    pub quiet: bool,
    interrupted: u8,
    /// Events a run sent while the driver waited for something else.
    finished: Vec<RunEnd>,
}

fn gone() -> CliError {
    CliError::failure("the engine stopped")
}

impl Driver {
    /// `quiet`: no progress bars (`--json`, or stdout is not a terminal).
    pub fn new(running: Running, quiet: bool) -> Driver {
        let bar = if quiet {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        Driver {
            engine: running.engine,
            data: running.data,
            session: running.session,
            rows: Vec::new(),
            index: HashMap::new(),
            errors: Vec::new(),
            bar,
            quiet,
            interrupted: 0,
            finished: Vec::new(),
        }
    }

    /// Whether the admin pressed Ctrl-C.
    pub fn interrupted(&self) -> bool {
        self.interrupted > 0
    }

    /// The next event; Ctrl-C cancels the run and automatic sync (writes in flight
    /// finish and are journaled), a second one stops the engine.
    async fn next(&mut self) -> Result<Event, CliError> {
        loop {
            let ev = tokio::select! {
                ev = self.engine.next_event() => ev,
                _ = tokio::signal::ctrl_c() => {
                    self.interrupted = self.interrupted.saturating_add(1);
                    let commands = if self.interrupted == 1 {
                        self.bar.println(
                            "Cancelling: writes in flight finish and are journaled (Ctrl-C \
                             again to stop at once)",
                        );
                        vec![
                            Command::Migration(MigrationCommand::SetAutoSync { interval: None }),
                            Command::Migration(MigrationCommand::Cancel),
                        ]
                    } else {
                        vec![Command::Shutdown]
                    };
                    for c in commands {
                        let _ = self.engine.client.send(c).await;
                    }
                    continue;
                }
            };
            let Some(ev) = ev else {
                return Err(gone());
            };
            match ev {
                Event::Activity(_) | Event::Load(_) | Event::Data(_) | Event::DeviceCode(_) => {}
                Event::Session(s) => self.session = *s,
                Event::Error(e) => {
                    let line = format!("{}: {}", e.context, e.message);
                    if !self.quiet {
                        self.bar.println(format!(
                            "error: {}",
                            crate::safe_text::terminal_lines(&line)
                        ));
                    }
                    self.errors.push(line);
                }
                Event::Stopped => return Err(gone()),
                ev => return Ok(ev),
            }
        }
    }

    /// Send a request and wait for its answer; the events on the way update the rows and
    /// the bar.
    async fn call(&mut self, command: Command) -> Result<Answer, CliError> {
        let id: RequestId = self.engine.client.send(command).await.map_err(|_| gone())?;
        loop {
            let ev = self.next().await?;
            if let Some(outcome) = answer_of(id, &ev) {
                return outcome.map_err(|r| {
                    self.bar.finish_and_clear();
                    refusal_error(r)
                });
            }
            self.observe(ev);
        }
    }

    /// Keep what an event says about the members and the run.
    fn observe(&mut self, ev: Event) {
        match ev {
            Event::Directory(DirectoryEvent::Loading { .. }) => {
                self.rows.clear();
                self.index.clear();
            }
            Event::Directory(DirectoryEvent::Members { page, loaded, .. }) => {
                for m in page {
                    if self.index.contains_key(&m.entra.id) {
                        continue;
                    }
                    self.index.insert(m.entra.id.clone(), self.rows.len());
                    self.rows.push(Row {
                        matched_by: m.matched.rule(),
                        entra_id: m.entra.id.clone(),
                        upn: m.entra.upn.clone(),
                        status: None,
                        plan: None,
                    });
                }
                self.bar
                    .set_message(format!("reading the members: {loaded}"));
            }
            Event::Migration(MigrationEvent::Started { targeted, dry_run }) => {
                for r in &mut self.rows {
                    r.status = None;
                    r.plan = None;
                }
                self.bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:30.cyan/blue} {pos}/{len} users  {msg}  [{elapsed_precise}]",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("##-"),
                );
                self.bar.reset();
                self.bar.set_length(targeted as u64);
                self.bar.set_position(0);
                self.bar.set_message(if dry_run {
                    "planning: reading each user's Entra state (Graph's read quota sets the pace)"
                } else {
                    ""
                });
            }
            Event::Migration(MigrationEvent::UserStatus { user, status }) => {
                let i = match self.index.get(&user) {
                    Some(i) => *i,
                    None => {
                        self.index.insert(user.clone(), self.rows.len());
                        self.rows.push(Row {
                            entra_id: user.clone(),
                            upn: user.clone(),
                            matched_by: None,
                            status: None,
                            plan: None,
                        });
                        self.rows.len() - 1
                    }
                };
                if let Some(row) = self.rows.get_mut(i) {
                    if let UserStatus::Planned { plan } = &status {
                        row.plan = Some(plan.clone());
                        row.matched_by = Some(plan.user.matched_by);
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
            Event::Migration(MigrationEvent::Finished(end)) => self.finished.push(end),
            _ => {}
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
                ev => self.observe(ev),
            }
        }
    }

    /// Find the group by name or id; an unknown or ambiguous name is bad input.
    pub async fn find_group(&mut self, query: &str) -> Result<GroupInfo, CliError> {
        let answer = self
            .call(Command::Directory(DirectoryCommand::FindGroup {
                query: query.to_string(),
            }))
            .await?;
        let Answer::Groups(mut groups) = answer else {
            return Err(CliError::failure("the engine answered something else"));
        };
        match groups.len() {
            0 => Err(CliError::bad_input(format!(
                "no group named \"{}\" (and no group with that object id)",
                Safe(query)
            ))),
            1 => groups.pop().ok_or_else(gone),
            n => {
                let list: Vec<String> = groups
                    .iter()
                    .map(|g| format!("{} ({})", g.id, Safe(&g.display_name)))
                    .collect();
                Err(CliError::bad_input(format!(
                    "{n} groups are named \"{}\": pass one by object id: {}",
                    Safe(query),
                    list.join(", ")
                )))
            }
        }
    }

    /// Load the group's members (a spinner on a terminal); returns how many.
    pub async fn load_members(&mut self, group: &GroupInfo) -> Result<usize, CliError> {
        self.bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        self.bar.set_message(format!(
            "reading the members of {}",
            Safe(&group.display_name)
        ));
        self.bar.enable_steady_tick(Duration::from_millis(120));
        let answer = self
            .call(Command::Directory(DirectoryCommand::LoadMembers {
                group_id: group.id.clone(),
            }))
            .await;
        self.bar.finish_and_clear();
        match answer? {
            Answer::Members { loaded, .. } => Ok(loaded),
            _ => Err(CliError::failure("the engine answered something else")),
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
                None => unknown.push(Safe(w).to_string()),
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
        let answer = self.call(Command::Migration(cmd)).await;
        self.bar.finish_and_clear();
        self.finished.clear();
        match answer? {
            Answer::Run(end) => Ok(RunResult::of(end, started)),
            _ => Err(CliError::failure("the engine answered something else")),
        }
    }

    /// Save the last dry run's plans; the number of users and the plan's digest.
    pub async fn save_plan(&mut self, path: &Path) -> Result<(usize, String), CliError> {
        match self
            .call(Command::Migration(MigrationCommand::SavePlan {
                path: path.to_path_buf(),
            }))
            .await?
        {
            Answer::PlanSaved { users, digest, .. } => Ok((users, digest)),
            _ => Err(CliError::failure("the engine answered something else")),
        }
    }

    /// Write the "must re-register the app" list of the group's members; how many.
    pub async fn export_reregister(&mut self, path: &Path) -> Result<usize, CliError> {
        match self
            .call(Command::Migration(MigrationCommand::ExportReregister {
                path: path.to_path_buf(),
            }))
            .await?
        {
            Answer::Exported { users, .. } => Ok(users),
            _ => Err(CliError::failure("the engine answered something else")),
        }
    }

    /// Turn automatic sync on and report each cycle until Ctrl-C (or after one cycle
    /// with `once`). The last cycle's result; `cancelled` when Ctrl-C ended it.
    pub async fn sync(
        &mut self,
        interval: Duration,
        once: bool,
        mut each: impl FnMut(&Driver, &RunResult),
    ) -> Result<Option<RunResult>, CliError> {
        self.call(Command::Migration(MigrationCommand::SetAutoSync {
            interval: Some(interval),
        }))
        .await?;
        let mut last: Option<RunResult> = None;
        let mut started = Instant::now();
        let mut running = false;
        loop {
            if self.interrupted() && !running {
                // Cancelled between cycles: nothing is in flight.
                return Ok(last.map(|mut r| {
                    r.cancelled = true;
                    r
                }));
            }
            let ev = tokio::select! {
                ev = self.next() => ev?,
                // Wake up now and then to notice a Ctrl-C between cycles.
                _ = tokio::time::sleep(Duration::from_millis(250)), if self.interrupted() => continue,
            };
            if let Event::Migration(MigrationEvent::Started { .. }) = &ev {
                started = Instant::now();
                running = true;
            }
            self.observe(ev);
            for end in std::mem::take(&mut self.finished) {
                running = false;
                let mut r = RunResult::of(end, started);
                r.cancelled |= self.interrupted();
                each(self, &r);
                let stop = once || r.cancelled;
                last = Some(r);
                if stop {
                    return Ok(last);
                }
            }
        }
    }

    /// Stop the engine (it finishes writes in flight and closes the store).
    pub async fn shutdown(mut self) {
        if self.engine.client.send(Command::Shutdown).await.is_err() {
            return;
        }
        while let Some(ev) = self.engine.next_event().await {
            if matches!(ev, Event::Stopped) {
                return;
            }
        }
    }

    /// The report of a run: summary and users.
    pub fn report(&self, group: &str, result: &RunResult, reconciled: usize) -> Report {
        report::build(
            &self.rows,
            &self.data,
            &self.errors,
            group,
            result,
            reconciled,
        )
    }

    /// The blast radius of the last dry run (users with writes, writes…).
    pub fn radius(&self) -> BlastRadius {
        BlastRadius::of(self.rows.iter().filter_map(|r| r.plan.as_deref()))
    }
}
