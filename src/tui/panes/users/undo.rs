//! Undo from the users tab (pilot resets): the marked users' migration is undone from the
//! journal. The engine is asked twice, as the headless `undo` does: a what-if first, whose
//! report — per user the writes that undo the tool's own with the rules of the write each
//! undoes, and what is left (differences where Entra changed since, a default Graph cannot
//! clear) — fills a tier-2 confirmation (type the count); confirmed, the same command
//! applied. The engine plans again from what Entra shows then, so a change made between
//! the two is never overwritten.

use ratatui::text::Line;

use super::rows::EntraState;
use super::{UsersPane, Waiting};
use crate::confirm_tier::{self, Blast, Tier};
use crate::engine::{Command, MigrationCommand, UndoReport, UndoState};
use crate::tui::action::{Action, Availability};
use crate::tui::effect::Effects;
use crate::tui::pane::Env;
use crate::tui::widgets::confirm::Confirm;
use crate::tui::widgets::{plural, thousands};

impl UsersPane {
    /// Undo needs marked users (an undo is never for a whole group by accident) and no
    /// run in progress.
    pub(super) fn undo_available(&self) -> Availability {
        if self.rows.marked() == 0 {
            return Availability::no("mark the users to undo first (a pilot reset is per user)");
        }
        self.idle()
    }

    pub(super) fn undo_action(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let users = self.marked_ids();
        let n = users.len();
        let id = fx.send(
            env,
            Command::Migration(MigrationCommand::Undo {
                users,
                apply: false,
            }),
        );
        self.waiting.insert(id, Waiting::UndoPlan);
        fx.info(format!(
            "reading the journal and Entra for {} (what-if: nothing is written)",
            plural(n, "user", "users")
        ));
        fx
    }

    fn marked_ids(&self) -> Vec<String> {
        self.rows
            .all()
            .iter()
            .filter(|r| r.marked)
            .map(|r| r.id().to_string())
            .collect()
    }

    /// The what-if came back: confirm with its report.
    pub(super) fn undo_planned(&mut self, r: &UndoReport, env: &Env<'_>, fx: &mut Effects) {
        let with_writes: Vec<String> = r
            .users
            .iter()
            .filter(|u| u.state.plan().is_some_and(|p| !p.ops.is_empty()))
            .filter_map(|u| u.entra_id.clone())
            .collect();
        let writes: usize = r
            .users
            .iter()
            .filter_map(|u| u.state.plan())
            .map(|p| p.ops.len())
            .sum();
        let report: Vec<Line<'static>> =
            r.text().lines().map(|l| Line::raw(l.to_string())).collect();
        if with_writes.is_empty() {
            fx.show("Undo: nothing to write", report);
            return;
        }
        let n = with_writes.len();
        // A reset overrides what a migration made: never less than tier 2 (type the count).
        let ask = confirm_tier::ask(&Blast {
            users_written: n,
            production: env.production,
            ..Default::default()
        })
        .at_least(Tier::Two, n);
        let mut lines = vec![Line::raw(format!(
            "{} undone from the journal: {} written back. What the tool did not write is \
             never touched; a part Entra changed since is refused and listed.",
            plural(n, "user", "users"),
            plural(writes, "write", "writes"),
        ))];
        if r.refusals() > 0 {
            lines.push(Line::styled(
                format!(
                    "{} refused as differences (changed in Entra since).",
                    plural(r.refusals(), "part", "parts")
                ),
                env.theme.warn(),
            ));
        }
        lines.push(Line::raw(""));
        lines.extend(report);
        let mut on_confirm = Effects::none();
        let id = on_confirm.send(
            env,
            Command::Migration(MigrationCommand::Undo {
                users: with_writes,
                apply: true,
            }),
        );
        self.waiting.insert(id, Waiting::Undo);
        fx.confirm(
            Confirm::new(
                "Undo these users' migration?",
                ask,
                lines,
                format!("Undo {}", thousands(n)),
                on_confirm.0,
            )
            .recheck(Action::Undo),
        );
    }

    /// The undo was applied: say how it went, show the report whole, and read the users
    /// from Entra again (their rows must not show the migrated state).
    pub(super) fn undone(&mut self, r: &UndoReport, env: &Env<'_>, fx: &mut Effects) {
        let mut rows = Vec::new();
        for u in &r.users {
            let Some(i) = u.entra_id.as_deref().and_then(|id| self.rows.find(id)) else {
                continue;
            };
            if matches!(
                u.state,
                UndoState::Applied { .. } | UndoState::Failed { .. }
            ) {
                self.rows.update(i, None, |row| {
                    row.status = None;
                    row.plan = None;
                    row.entra = EntraState::NotRead;
                });
                rows.push(i);
            }
        }
        self.dry = None;
        self.run_rows.extend(rows);
        self.reread_written(env, fx);
        let failed = r.users.iter().any(|u| {
            matches!(
                u.state,
                UndoState::Failed { .. } | UndoState::ReadFailed { .. } | UndoState::Blocked { .. }
            )
        });
        let text = format!(
            "undo: {} made, {} refused as differences",
            plural(r.writes, "write", "writes"),
            plural(r.refusals(), "part", "parts")
        );
        if failed || r.refusals() > 0 {
            fx.warn(text);
        } else {
            fx.info(text);
        }
        fx.show(
            "Undo",
            r.text().lines().map(|l| Line::raw(l.to_string())).collect(),
        );
    }
}
