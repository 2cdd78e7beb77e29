//! Runs from the users tab: dry runs, migrations, automatic sync and retries, each tenant
//! write confirmed with its blast radius — from a dry run of exactly the users it
//! covers, under the same settings (run first when there is none) — and its tier from
//! the one rule ([`crate::confirm_tier`]); the run line's figures; and the replies to the
//! pane's requests.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};
use tokio::time::Instant;

use super::{Open, UsersPane, Waiting};
use crate::confirm_tier::{self, Blast, Tier};
use crate::engine::{Answer, Command, MigrationCommand, Progress, Reply, Scope, UserStatus};
use crate::migrate::summary::BlastRadius;
use crate::migrate::{MigrationSettings, UserSkip};
use crate::tui::action::Action;
use crate::tui::effect::Effects;
use crate::tui::pane::Env;
use crate::tui::widgets::confirm::Confirm;
use crate::tui::widgets::progress::RunLine;
use crate::tui::widgets::{plural, thousands};

/// The current (or last) dry run or migration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunState {
    pub running: bool,
    pub dry_run: bool,
    pub progress: Progress,
    /// Set when the run ended: (dry run, cancelled).
    pub finished: Option<(bool, bool)>,
    pub auto_sync: bool,
    pub auto_sync_next: Option<DateTime<Utc>>,
    pub exported: Option<(PathBuf, usize)>,
    pub(super) started_at: Option<Instant>,
    /// Users planned per second in a dry run, measured here (the engine's ETA counts
    /// writes, and a dry run writes nothing).
    pub(super) dry_rate: Option<f64>,
}

impl RunState {
    pub(super) fn started(&mut self, dry_run: bool, targeted: usize, now: Instant) {
        self.running = true;
        self.dry_run = dry_run;
        self.finished = None;
        self.started_at = Some(now);
        self.dry_rate = None;
        self.progress = Progress {
            targeted,
            queued: targeted,
            ..Default::default()
        };
    }

    pub(super) fn progressed(&mut self, p: Progress, now: Instant) {
        if self.dry_run
            && let Some(t) = self.started_at
        {
            let secs = now.saturating_duration_since(t).as_secs_f64();
            if secs >= 1.0 && p.done > 0 {
                self.dry_rate = Some(p.done as f64 / secs);
            }
        }
        self.progress = p;
    }

    pub(super) fn finished(&mut self, dry_run: bool, progress: Progress, cancelled: bool) {
        self.running = false;
        self.dry_run = dry_run;
        self.progress = progress;
        self.finished = Some((dry_run, cancelled));
    }

    /// The run line's figures.
    pub fn line(&self) -> RunLine {
        let p = &self.progress;
        let mut r = RunLine {
            recurring: self.auto_sync.then_some(("auto-sync", self.auto_sync_next)),
            ..Default::default()
        };
        if !self.running && self.finished.is_none() {
            return r;
        }
        r.done = p.done;
        r.of = p.targeted;
        r.failed = p.failed;
        r.skipped = p.skipped;
        if !self.dry_run || p.verified > 0 {
            r.verified = Some(p.verified);
        }
        match (self.running, self.dry_run) {
            (true, true) => {
                r.label = "Dry run".into();
                r.queued = Some(p.queued);
                r.rate = self.dry_rate.map(|x| (x, "users/s"));
                r.throttled = Some(p.throttled);
                r.eta_secs = self
                    .dry_rate
                    .filter(|x| *x > 0.0)
                    .map(|x| (p.targeted.saturating_sub(p.done) as f64 / x).ceil() as u64);
                r.note = Some("reads at Graph's read quota: the floor of a dry run");
            }
            (true, false) => {
                r.label = "Migrating".into();
                r.queued = Some(p.queued);
                r.rate = Some((p.writes_per_sec, "writes/s"));
                r.throttled = Some(p.throttled);
                r.writes_left = (p.writes_left > 0).then_some(p.writes_left);
                r.eta_secs = p.eta_secs;
            }
            (false, dry) => {
                let cancelled = self.finished.is_some_and(|(_, c)| c);
                r.label = format!(
                    "{} {}",
                    if dry { "Dry run" } else { "Migration" },
                    if cancelled { "cancelled" } else { "finished" }
                );
                if !dry {
                    r.writes = Some(p.writes);
                }
            }
        }
        r
    }
}

/// What happens when a dry run that was asked for ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Open the migration's confirmation.
    Migrate,
    /// Open automatic sync's confirmation.
    AutoSync,
}

/// The dry run whose plans the rows hold: the users it covered and the settings it
/// planned under. A migration, new data, new members or other settings make it stale.
#[derive(Debug, Clone, PartialEq)]
pub struct DryRun {
    pub scope: Scope,
    pub include_unchanged: bool,
    pub settings: MigrationSettings,
    pub complete: bool,
    pub then: Option<Then>,
}

/// A dry run's outcome over the rows a write would cover.
#[derive(Debug, Clone, Default, PartialEq)]
struct Radius {
    targeted: usize,
    plans: BlastRadius,
    unchanged: usize,
    not_in_mfa: usize,
    conflicts: usize,
    disabled: usize,
    failed: usize,
    /// Verified in this session or by an earlier run and unchanged since (C1).
    verified: usize,
}

impl UsersPane {
    fn radius(&self, rows: &[u32]) -> Radius {
        let mut r = Radius {
            targeted: rows.len(),
            ..Default::default()
        };
        for &i in rows {
            let Some(row) = self.rows.get(i) else {
                continue;
            };
            match &row.status {
                Some(UserStatus::Planned { plan }) => r.plans.add(plan),
                Some(UserStatus::Skipped { skip }) => match skip {
                    UserSkip::Unchanged { .. } => {
                        r.unchanged += 1;
                        r.verified += 1;
                    }
                    UserSkip::NotInMfaServer => r.not_in_mfa += 1,
                    UserSkip::Conflict { .. } => r.conflicts += 1,
                    UserSkip::DisabledInMfaServer { .. } => r.disabled += 1,
                },
                Some(UserStatus::Verified) => r.verified += 1,
                Some(UserStatus::Failed { .. }) => r.failed += 1,
                _ => {}
            }
        }
        r
    }

    fn dry_fresh(
        &self,
        scope: &Scope,
        include_unchanged: bool,
        settings: &MigrationSettings,
    ) -> bool {
        self.dry.as_ref().is_some_and(|d| {
            d.complete
                && &d.scope == scope
                && d.include_unchanged == include_unchanged
                && &d.settings == settings
        })
    }

    fn group_name(&self) -> String {
        self.group
            .as_ref()
            .map(|g| crate::safe_text::terminal(&g.display_name).into_owned())
            .unwrap_or_default()
    }

    /// Send a dry run of `scope` and show its plans; `then` opens a confirmation when it
    /// ends.
    fn start_dry_run(
        &mut self,
        scope: Scope,
        include_unchanged: bool,
        then: Option<Then>,
        env: &Env<'_>,
    ) -> Effects {
        let mut fx = Effects::none();
        let id = fx.send(
            env,
            Command::Migration(MigrationCommand::Plan {
                scope: scope.clone(),
                include_unchanged,
            }),
        );
        self.waiting.insert(id, Waiting::Plan);
        let whom = match &scope {
            Scope::Group => "the whole group".to_string(),
            Scope::Users(ids) => format!("{} marked users", thousands(ids.len())),
        };
        self.dry = Some(DryRun {
            scope,
            include_unchanged,
            settings: env.settings.clone(),
            complete: false,
            then,
        });
        self.plan = super::plan::PlanView::default();
        self.open = Some(Open::Plan);
        fx.info(match then {
            None => format!("dry run of {whom}: nothing is written"),
            Some(_) => format!(
                "dry run of {whom} first (nothing is written): the confirmation opens with \
                 its blast radius when it ends"
            ),
        });
        fx
    }

    pub(super) fn plan_action(&mut self, env: &Env<'_>) -> Effects {
        let (scope, _) = self.scope();
        self.start_dry_run(scope, self.include_unchanged, None, env)
    }

    pub(super) fn migrate_action(&mut self, env: &Env<'_>) -> Effects {
        let (scope, rows) = self.scope();
        if self.dry_fresh(&scope, self.include_unchanged, env.settings) {
            let mut fx = Effects::none();
            self.confirm_migrate(scope, &rows, env, &mut fx);
            return fx;
        }
        self.start_dry_run(scope, self.include_unchanged, Some(Then::Migrate), env)
    }

    pub(super) fn auto_sync_action(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if self.run.auto_sync {
            let id = fx.send(
                env,
                Command::Migration(MigrationCommand::SetAutoSync { interval: None }),
            );
            self.waiting.insert(id, Waiting::AutoSync);
            self.run.auto_sync = false;
            fx.info("automatic sync off");
            return fx;
        }
        // The first cycle plans the group's changed users: that dry run is its blast
        // radius.
        if self.dry_fresh(&Scope::Group, false, env.settings) {
            self.confirm_auto_sync(env, &mut fx);
            return fx;
        }
        self.start_dry_run(Scope::Group, false, Some(Then::AutoSync), env)
    }

    pub(super) fn retry_action(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let n = self.failed_retryable;
        let ask = confirm_tier::ask(&Blast {
            users_written: n,
            production: env.production,
            ..Default::default()
        })
        .at_least(Tier::One, n);
        let mut on_confirm = Effects::none();
        let id = on_confirm.send(env, Command::Migration(MigrationCommand::RetryFailed));
        self.waiting.insert(id, Waiting::Retry);
        let mut lines = vec![Line::raw(format!(
            "{} failed with a retryable error. Each is read back first (C5) so nothing is \
             written twice, then planned and written again: at most {} written.",
            plural(n, "user", "users"),
            plural(n, "user", "users")
        ))];
        if env.production {
            lines.push(Line::styled("PRODUCTION tenant.", env.theme.production()));
        }
        fx.confirm(
            Confirm::new(
                "Retry failed users?",
                ask,
                lines,
                format!("Retry {}", thousands(n)),
                on_confirm.0,
            )
            .recheck(Action::RetryFailed),
        );
        fx
    }

    fn usable_line(r: &Radius, env: &Env<'_>) -> Line<'static> {
        let t = env.theme;
        let n = r.plans.without_usable_method;
        let mut spans = vec![
            Span::styled(
                plural(n, "user", "users"),
                if n > 0 { t.warn() } else { t.base() },
            ),
            Span::raw(
                " will have no usable Entra method afterwards (D3): they block Staged Rollout \
                 until they register",
            ),
        ];
        if r.plans.usable_only_via_legacy > 0 {
            spans.push(Span::raw(format!(
                " ({} may be usable through the legacy MFA or SSPR policy)",
                thousands(r.plans.usable_only_via_legacy)
            )));
        }
        spans.push(Span::raw("."));
        Line::from(spans)
    }

    fn writes_text(p: &BlastRadius) -> String {
        format!(
            "{} ({} phones, {} tokens, {} defaults)",
            plural(p.writes, "write", "writes"),
            thousands(p.phone_writes),
            thousands(p.token_writes),
            thousands(p.default_writes)
        )
    }

    /// The migration's confirmation, from the dry run of `rows`.
    fn confirm_migrate(&mut self, scope: Scope, rows: &[u32], env: &Env<'_>, fx: &mut Effects) {
        let t = env.theme;
        let r = self.radius(rows);
        let written = r.plans.users_with_writes;
        let ask = confirm_tier::ask(&Blast {
            users_written: written,
            production: env.production,
            ..Default::default()
        })
        .at_least(Tier::One, written);
        let whom = match &scope {
            Scope::Group => "the whole group",
            Scope::Users(_) => "the marked users",
        };
        let skipped = r.unchanged + r.not_in_mfa + r.conflicts + r.disabled;
        let no_writes = r.plans.users.saturating_sub(written);
        let mut lines = vec![
            Line::from(vec![
                Span::raw("Writes to Entra for "),
                Span::styled(plural(written, "user", "users"), t.title()),
                Span::raw(format!(
                    " of {:?} ({whom}): {}.",
                    self.group_name(),
                    Self::writes_text(&r.plans)
                )),
            ]),
            Line::raw(format!(
                "Of {} targeted: {} with nothing to write · {} skipped: {} unchanged since \
                 verified (C1), {} not in MFA Server, {} conflicts, {} disabled (M4{}){}.",
                thousands(r.targeted),
                thousands(no_writes),
                thousands(skipped),
                thousands(r.unchanged),
                thousands(r.not_in_mfa),
                thousands(r.conflicts),
                thousands(r.disabled),
                if env.settings.include_disabled {
                    ": included"
                } else {
                    ""
                },
                if r.failed > 0 {
                    format!(" · {} could not be planned", thousands(r.failed))
                } else {
                    String::new()
                }
            )),
            Line::raw(format!(
                "Already verified: {} (by this session or an earlier run, unchanged since: C1).",
                thousands(r.verified)
            )),
            Self::usable_line(&r, env),
            Line::raw(format!(
                "Must re-register the app (A3): {}.",
                thousands(r.plans.must_reregister)
            )),
            Line::styled(
                "Sends no one to Entra MFA by itself: Staged Rollout (tab 3) does that.",
                t.dim(),
            ),
        ];
        if env.production {
            lines.push(Line::styled("PRODUCTION tenant.", t.production()));
        }
        let mut on_confirm = Effects::none();
        let id = on_confirm.send(
            env,
            Command::Migration(MigrationCommand::Migrate {
                scope,
                include_unchanged: self.include_unchanged,
            }),
        );
        self.waiting.insert(id, Waiting::Migrate);
        on_confirm.info("migration started");
        let label = if written == 0 {
            "Migrate (nothing to write: read back only)".to_string()
        } else {
            format!("Migrate {}", plural(written, "user", "users"))
        };
        fx.confirm(
            Confirm::new("Migrate", ask, lines, label, on_confirm.0).recheck(Action::Migrate),
        );
    }

    /// Automatic sync's confirmation: what the first cycle would write now.
    fn confirm_auto_sync(&mut self, env: &Env<'_>, fx: &mut Effects) {
        let t = env.theme;
        let rows: Vec<u32> = (0..self.rows.len() as u32).collect();
        let r = self.radius(&rows);
        let written = r.plans.users_with_writes;
        let ask = confirm_tier::ask(&Blast {
            users_written: written,
            production: env.production,
            ..Default::default()
        })
        .at_least(Tier::One, written);
        let every = humantime::format_duration(env.sync_interval).to_string();
        let mut lines = vec![
            Line::raw(format!(
                "Every {every}, users of {:?} whose MFA Server data changed since their last \
                 migration (C1) are planned and written to Entra, without asking again.",
                self.group_name()
            )),
            Line::from(vec![
                Span::raw("The first cycle would write now: "),
                Span::styled(
                    format!(
                        "{} for {}",
                        Self::writes_text(&r.plans),
                        plural(written, "user", "users")
                    ),
                    t.title(),
                ),
                Span::raw(format!(
                    " (the dry run just done; {} unchanged since verified are skipped). Later \
                     cycles write only what changes.",
                    thousands(r.unchanged)
                )),
            ]),
            Self::usable_line(&r, env),
            Line::raw("Every write is journaled (C5). S again turns it off."),
        ];
        if env.production {
            lines.push(Line::styled("PRODUCTION tenant.", t.production()));
        }
        let mut on_confirm = Effects::none();
        let id = on_confirm.send(
            env,
            Command::Migration(MigrationCommand::SetAutoSync {
                interval: Some(env.sync_interval),
            }),
        );
        self.waiting.insert(id, Waiting::AutoSync);
        fx.confirm(
            Confirm::new(
                "Turn automatic sync on?",
                ask,
                lines,
                format!("Sync every {every}"),
                on_confirm.0,
            )
            .recheck(Action::AutoSync),
        );
    }

    /// The reply to one of this pane's requests.
    pub(super) fn on_answer(&mut self, w: Waiting, reply: &Reply, env: &Env<'_>, fx: &mut Effects) {
        match (w, &reply.outcome) {
            (Waiting::FindGroup(q), Ok(Answer::Groups(groups))) => {
                self.groups_found(q, groups.clone(), env, fx)
            }
            (Waiting::FindGroup(q), Err(e)) => {
                if self.group.is_none() {
                    self.load = Some(super::Load::NotFound { query: q });
                }
                fx.error(e.to_string());
            }
            (Waiting::SearchGroups(prefix), outcome) => self.groups_listed(&prefix, outcome, fx),
            (Waiting::Refresh, Ok(Answer::Members { loaded, .. })) => fx.info(format!(
                "refreshed from the tenant: {} members, marks kept",
                thousands(*loaded)
            )),
            (Waiting::Plan, Ok(Answer::Run(end))) => {
                let then = self.dry.as_mut().and_then(|d| {
                    d.complete = !end.cancelled;
                    d.then.take()
                });
                if end.cancelled {
                    self.dry = None;
                } else if let Some(then) = then {
                    match then {
                        Then::Migrate => {
                            let (scope, rows) = self.scope();
                            if self.dry.as_ref().is_some_and(|d| d.scope == scope) {
                                self.confirm_migrate(scope, &rows, env, fx);
                            } else {
                                fx.warn(
                                    "the marks changed during the dry run: press the migrate \
                                     key again to plan the users marked now",
                                );
                            }
                        }
                        Then::AutoSync => self.confirm_auto_sync(env, fx),
                    }
                }
            }
            (Waiting::Plan, Err(e)) => {
                self.dry = None;
                fx.error(e.to_string());
            }
            (Waiting::Export, Ok(Answer::Exported { path, users })) => {
                fx.info(format!(
                    "wrote {} users to {}",
                    thousands(*users),
                    crate::safe_text::terminal(&path.display().to_string())
                ));
                self.run.exported = Some((path.clone(), *users));
            }
            (Waiting::AutoSync, Ok(Answer::AutoSync { next_run })) => {
                self.run.auto_sync = next_run.is_some();
                self.run.auto_sync_next = *next_run;
                if let Some(next) = next_run {
                    // Back to the list: the run line shows the sync's state.
                    if matches!(self.open, Some(Open::Plan)) {
                        self.open = None;
                    }
                    fx.info(format!(
                        "automatic sync on: next cycle at {}",
                        next.format("%H:%M UTC")
                    ));
                }
            }
            (Waiting::AutoSync, Err(e)) => {
                self.run.auto_sync = false;
                fx.error(e.to_string());
            }
            (Waiting::UndoPlan, Ok(Answer::Undo(r))) => self.undo_planned(r, env, fx),
            (Waiting::Undo, Ok(Answer::Undo(r))) => self.undone(r, env, fx),
            (_, Err(e)) => fx.error(e.to_string()),
            (_, Ok(_)) => {}
        }
    }
}
