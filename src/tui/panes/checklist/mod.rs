//! The Checklist tab (1): the migration guide's phases as steps the engine judges live
//! (checklist.md). The end state (asked once, `e` changes it), a progress bar per phase,
//! where the cutover stands, what is next and what blocks it; each step's state (done,
//! not done, blocked, manual), the check's figures, ticks with who, when and the note.
//! `enter` jumps to the tab that does the step, `t` ticks a manual step with a note,
//! `r` opens the rollback plan ([`rollback`]) — always one key away — and `ctrl+s`
//! writes the change board's Markdown report.
//!
//! The checklist is read from the engine once the data is in (and again when the tab is
//! shown after something changed: a migration, a rollout or federation change, a
//! decision on a dependency); if the cutover has begun, the app opens on this tab.

pub mod lines;
pub mod rollback;

use std::collections::HashMap;
use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row};
use tokio::time::Instant;

use self::rollback::Plan;
use crate::checklist::{EndState, StepState, StepStatus, VALIDATE_CHECKS};
use crate::engine::{
    Answer, ChecklistCommand, ChecklistReport, Command, Event, MigrationEvent, Reply, RequestId,
};
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::{Effect, Effects, TextAsk, TextEdit};
use crate::tui::pane::{Env, Pane};
use crate::tui::tab::Tab;
use crate::tui::widgets::virtual_table::{self, Cursor};
use crate::tui::widgets::{truncate, wrap_line};

/// A request out, and what it was for.
#[derive(Debug, Clone)]
enum Asked {
    Status,
    EndState,
    Tick { step: String, done: bool },
    Report,
    Plan,
    Apply,
}

/// What is open over the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum View {
    #[default]
    Steps,
    Rollback,
}

/// A tick being given: the step (or validate check), and whether it is ticked or
/// taken back; the note is asked next.
#[derive(Debug, Clone)]
struct Ticking {
    step: String,
    done: bool,
}

#[derive(Debug, Default)]
pub struct ChecklistPane {
    report: Option<Box<ChecklistReport>>,
    cursor: Cursor,
    waiting: HashMap<RequestId, Asked>,
    /// A status read is in flight.
    reading: bool,
    /// The first read was sent (once the data is in).
    started: bool,
    /// Something changed since the last read (a migration, a change, a decision).
    stale: bool,
    /// Read again at this time (the tab is on screen and stale).
    read_due: Option<Instant>,
    error: Option<String>,
    ticking: Option<Ticking>,
    view: View,
    plan: Plan,
    /// Scroll of the rollback view.
    plan_scroll: Cursor,
    /// Fitted lines (`prepare`): above the list, the selected step, the rollback view.
    head: Vec<Line<'static>>,
    detail: Vec<Line<'static>>,
    plan_lines: Vec<Line<'static>>,
}

/// Rows the step list keeps (its header and five steps) when the detail is long.
const LIST_MIN: u16 = 6;

impl ChecklistPane {
    pub fn new() -> ChecklistPane {
        ChecklistPane::default()
    }

    /// The checklist as last read.
    pub fn report(&self) -> Option<&ChecklistReport> {
        self.report.as_deref()
    }

    /// The rollback plan view is open.
    pub fn rollback_open(&self) -> bool {
        self.view == View::Rollback
    }

    /// The rollback plan as the view holds it.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    fn steps(&self) -> &[StepStatus] {
        self.report
            .as_ref()
            .map(|r| r.checklist.steps.as_slice())
            .unwrap_or(&[])
    }

    fn selected(&self) -> Option<&StepStatus> {
        self.steps().get(self.cursor.selected)
    }

    /// Select the step `id` (tests).
    pub fn select(&mut self, id: &str) -> bool {
        match self.steps().iter().position(|s| s.id == id) {
            Some(i) => {
                self.cursor.select(i);
                true
            }
            None => false,
        }
    }

    fn read(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if self.reading {
            return fx;
        }
        let id = fx.send(env, Command::Checklist(ChecklistCommand::Status));
        self.waiting.insert(id, Asked::Status);
        self.reading = true;
        self.stale = false;
        self.read_due = None;
        fx
    }

    fn set_report(&mut self, r: ChecklistReport) -> Effects {
        let mut fx = Effects::none();
        let first = self.report.is_none();
        let keep = self.selected().map(|s| s.id);
        let begun = r.checklist.begun;
        let next = r.checklist.next;
        self.report = Some(Box::new(r));
        self.error = None;
        self.cursor.set_len(self.steps().len());
        if let Some(id) = keep.or(if first { next } else { None }) {
            self.select(id);
        }
        if first && begun {
            fx.push(Effect::FirstTab(Tab::Checklist));
        }
        fx
    }

    /// Why the state store cannot take a tick or an end state now, if it cannot.
    fn store_block(env: &Env<'_>) -> Option<String> {
        if env.engine_stopped {
            return Some("the engine stopped".into());
        }
        match env.session {
            None => Some("not signed in yet".into()),
            Some(s) => s
                .capabilities
                .write_store
                .why()
                .map(|why| format!("READ-ONLY: {why}")),
        }
    }

    /// The end-state question (`e`); until it is answered the tab's first line asks it.
    fn ask_end_state(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if Self::store_block(env).is_some() {
            return fx;
        }
        let now = self.report.as_ref().and_then(|r| r.checklist.end_state);
        let items = EndState::ALL
            .iter()
            .map(|e| {
                let mark = if Some(*e) == now { "  ← now" } else { "" };
                (
                    format!("{}. {}{mark}", e.number(), e.label()),
                    e.number().to_string(),
                )
            })
            .collect();
        fx.push(Effect::Choose {
            field: "end-state",
            title: "Where should the cutover end? (it adds or removes steps)".into(),
            items,
        });
        fx
    }

    /// Why `t` cannot tick the selected step, if it cannot.
    fn tick_block(&self) -> Option<String> {
        let s = self.selected()?;
        if s.id == "mig.validate" || lines::needs_tick(s) || s.tick.is_some() {
            return None;
        }
        Some(match s.state {
            StepState::NotApplicable => format!("{} is not part of this end state", s.id),
            _ => format!(
                "{} is checked by the tool: done when its check passes, not by a tick",
                s.id
            ),
        })
    }

    fn ask_note(&mut self, ticking: Ticking) -> Effects {
        let mut fx = Effects::none();
        let verb = if ticking.done { "tick" } else { "untick" };
        fx.ask(TextAsk {
            field: "tick-note",
            label: format!("{verb} {} · note (enter: none): ", ticking.step),
            initial: String::new(),
            live: false,
        });
        self.ticking = Some(ticking);
        fx
    }

    fn open_plan(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        self.view = View::Rollback;
        self.plan_scroll = Cursor::default();
        self.plan.applied = false;
        // Shown at once from the last status; a fresh what-if replaces it.
        if self.plan.report.is_none()
            && let Some(r) = &self.report
        {
            self.plan.report = r.rollback.clone();
            self.plan.error = r.rollback_error.clone();
        }
        if !self.plan.reading {
            let id = fx.send(env, rollback::command(false));
            self.waiting.insert(id, Asked::Plan);
            self.plan.reading = true;
        }
        fx
    }

    fn report_path(env: &Env<'_>) -> PathBuf {
        let stamp = env.now.format("%Y%m%d-%H%M%S");
        env.export_dir.join(format!("checklist-report-{stamp}.md"))
    }

    fn head_lines(&self, env: &Env<'_>, wide: bool) -> Vec<Line<'static>> {
        let t = env.theme;
        let key = |a| env.key(Context::Checklist, a);
        let Some(r) = &self.report else {
            return vec![match &self.error {
                Some(e) => Line::styled(
                    format!("The checklist could not be read: {}", terminal(e)),
                    t.error(),
                ),
                None => Line::styled("reading the checklist…", t.accent()),
            }];
        };
        let mut l = vec![lines::end_state(r, &key(Action::EndState), t)];
        l.push(lines::phases(r, wide, t));
        l.extend(lines::next(r, &key(Action::Open), t));
        l.push(lines::rollback(r, &key(Action::RollbackPlan), t));
        if self.stale || self.reading {
            l.push(Line::styled(
                if self.reading {
                    "reading the checklist again…".to_string()
                } else {
                    format!(
                        "changed since it was read: {} reads it again",
                        key(Action::Refresh)
                    )
                },
                t.accent(),
            ));
        }
        l
    }

    fn detail_lines(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        match (self.selected(), &self.report) {
            (Some(s), Some(r)) => {
                lines::step(s, r, &env.key(Context::Checklist, Action::Tick), env.theme)
            }
            _ => Vec::new(),
        }
    }

    fn table(&self, env: &Env<'_>, width: u16) -> (Row<'static>, Vec<Row<'static>>, Vec<u16>) {
        let t = env.theme;
        let Some(r) = &self.report else {
            return (Row::new(Vec::<Cell>::new()), Vec::new(), Vec::new());
        };
        let wide = width >= 120;
        let (state_w, id_w, where_w) = (13u16, 18u16, 12u16);
        let fixed = state_w + id_w + where_w + 3;
        let title_w = width.saturating_sub(fixed).max(10);
        let mut titles = vec!["STATE", "STEP", "WHAT", "WHERE"];
        let mut widths = vec![state_w, id_w, title_w, where_w];
        if wide {
            titles.push("TICKED");
            let tick_w = (title_w / 3).clamp(12, 40);
            widths[2] = title_w.saturating_sub(tick_w + 1);
            widths.push(tick_w);
        }
        let header = Row::new(titles.into_iter().map(Cell::from)).style(t.heading());
        let rows = self
            .cursor
            .window()
            .filter_map(|i| r.checklist.steps.get(i))
            .map(|s| {
                let (word, style) = lines::state_word(s, r, t);
                let next = if r.checklist.next == Some(s.id) {
                    " ←"
                } else {
                    ""
                };
                let mut cells = vec![
                    Cell::from(Span::styled(word, style)),
                    Cell::from(format!("{}{next}", s.id)),
                    Cell::from(truncate(s.title, widths[2] as usize)),
                    Cell::from(Span::styled(lines::where_word(s.pane), t.dim())),
                ];
                if wide {
                    let ticks: Vec<&crate::checklist::Tick> = s
                        .tick
                        .iter()
                        .chain(s.manual.iter().filter_map(|m| m.tick.as_ref()))
                        .filter(|x| x.done)
                        .collect();
                    let text = match ticks.as_slice() {
                        [] => String::new(),
                        [one] => {
                            format!("{} {}", one.at.format("%m-%d %H:%M"), terminal(&one.actor))
                        }
                        many => format!("{} of {}", many.len(), s.manual.len().max(1)),
                    };
                    cells.push(Cell::from(truncate(&text, widths[4] as usize)));
                }
                Row::new(cells)
            })
            .collect();
        (header, rows, widths)
    }

    fn layout(&self, inner: Rect) -> [Rect; 3] {
        let head = (self.head.len() as u16).min(inner.height / 2);
        let rest = inner.height.saturating_sub(head);
        let list_want = self.steps().len() as u16 + 1;
        let detail_want = self.detail.len() as u16;
        // The detail gets what it needs while the list keeps a few rows; the list takes
        // the rest.
        let list = list_want
            .min(rest.saturating_sub(detail_want).max(LIST_MIN))
            .min(rest);
        Layout::vertical([
            Constraint::Length(head),
            Constraint::Length(list),
            Constraint::Min(0),
        ])
        .areas(inner)
    }
}

impl Pane for ChecklistPane {
    fn tab(&self) -> Tab {
        Tab::Checklist
    }

    fn stack(&self) -> &'static [Context] {
        match self.view {
            View::Steps => Context::Checklist.stack(),
            View::Rollback => Context::Rollback.stack(),
        }
    }

    fn view_name(&self) -> Option<&'static str> {
        match self.view {
            View::Steps => None,
            View::Rollback => Some("rollback plan"),
        }
    }

    fn available(&self, action: Action, env: &Env<'_>) -> Availability {
        use Action as A;
        let read = || match (&self.report, &self.error) {
            (Some(_), _) => None,
            (None, Some(_)) => Some(Availability::no("the checklist could not be read")),
            (None, None) => Some(Availability::no("the checklist is still being read")),
        };
        if self.view == View::Rollback {
            return match action {
                A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                    if self.plan_lines.len() > self.plan_scroll.height {
                        Availability::Available
                    } else {
                        Availability::no("everything is on screen")
                    }
                }
                A::Back | A::RollbackPlan => Availability::Available,
                A::Refresh => {
                    if env.engine_stopped {
                        Availability::no("the engine stopped")
                    } else if self.plan.reading {
                        Availability::no("the plan is being read")
                    } else {
                        Availability::Available
                    }
                }
                A::RunRollback => match self.plan.block() {
                    Some(why) => Availability::no(why),
                    None => Availability::Available,
                },
                _ => Availability::no("close the rollback plan first (esc)"),
            };
        }
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                read().unwrap_or(Availability::Available)
            }
            A::Open => match read() {
                Some(a) => a,
                None if self.selected().is_none() => Availability::no("no step"),
                None => Availability::Available,
            },
            A::Tick => {
                if let Some(a) = read() {
                    return a;
                }
                if let Some(why) = Self::store_block(env) {
                    return Availability::no(why);
                }
                match (self.selected(), self.tick_block()) {
                    (None, _) => Availability::no("no step"),
                    (_, Some(why)) => Availability::no(why),
                    (_, None) => Availability::Available,
                }
            }
            A::EndState => match read() {
                Some(a) => a,
                None => match Self::store_block(env) {
                    Some(why) => Availability::no(why),
                    None => Availability::Available,
                },
            },
            A::RollbackPlan => {
                if env.engine_stopped {
                    Availability::no("the engine stopped")
                } else {
                    Availability::Available
                }
            }
            A::Export => match read() {
                Some(a) => a,
                None if env.engine_stopped => Availability::no("the engine stopped"),
                None => Availability::Available,
            },
            A::Refresh => {
                if env.engine_stopped {
                    Availability::no("the engine stopped")
                } else if self.reading {
                    Availability::no("the checklist is being read")
                } else {
                    Availability::Available
                }
            }
            _ => Availability::no("not an action of the checklist"),
        }
    }

    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects {
        use Action as A;
        let mut fx = Effects::none();
        if self.view == View::Rollback {
            let c = &mut self.plan_scroll;
            let max = self.plan_lines.len().saturating_sub(c.height.max(1));
            let h = c.height.max(1);
            match action {
                A::MoveUp => c.offset = c.offset.saturating_sub(1),
                A::MoveDown => c.offset = (c.offset + 1).min(max),
                A::PageUp => c.offset = c.offset.saturating_sub(h),
                A::PageDown => c.offset = (c.offset + h).min(max),
                A::Top => c.offset = 0,
                A::Bottom => c.offset = max,
                A::Back | A::RollbackPlan => self.view = View::Steps,
                A::Refresh => {
                    self.plan.applied = false;
                    if !self.plan.reading {
                        let id = fx.send(env, rollback::command(false));
                        self.waiting.insert(id, Asked::Plan);
                        self.plan.reading = true;
                    }
                }
                A::RunRollback => {
                    if let Some(r) = &self.plan.report {
                        let req = env.ids.request(rollback::command(true));
                        self.waiting.insert(req.id, Asked::Apply);
                        fx.confirm(rollback::confirm(r, req, env.production, env.theme));
                    }
                }
                _ => {}
            }
            return fx;
        }
        match action {
            A::MoveUp => self.cursor.up(1),
            A::MoveDown => self.cursor.down(1),
            A::PageUp => self.cursor.page_up(),
            A::PageDown => self.cursor.page_down(),
            A::Top => self.cursor.top(),
            A::Bottom => self.cursor.bottom(),
            A::Open => {
                if let Some(s) = self.selected() {
                    match lines::tab_of(s.pane) {
                        Some(tab) => {
                            fx.info(format!("{}: {} is done in {}", s.id, s.title, tab.title()));
                            fx.tab(tab);
                        }
                        None => {
                            if let Some(r) = &self.report {
                                let l = lines::step(
                                    s,
                                    r,
                                    &env.key(Context::Checklist, Action::Tick),
                                    env.theme,
                                );
                                fx.show(format!("Step {}", s.id), l);
                            }
                        }
                    }
                }
            }
            A::Tick => {
                let Some(s) = self.selected() else {
                    return fx;
                };
                if s.id == "mig.validate" {
                    let items = s
                        .manual
                        .iter()
                        .map(|m| {
                            let done = m.tick.as_ref().is_some_and(|x| x.done);
                            (
                                format!("[{}] {}", if done { "x" } else { " " }, m.text),
                                m.id.to_string(),
                            )
                        })
                        .collect();
                    fx.push(Effect::Choose {
                        field: "tick-check",
                        title: "Which check with pilot users?".into(),
                        items,
                    });
                } else {
                    let done = !s.tick.as_ref().is_some_and(|x| x.done);
                    let step = s.id.to_string();
                    return self.ask_note(Ticking { step, done });
                }
            }
            A::EndState => return self.ask_end_state(env),
            A::RollbackPlan => return self.open_plan(env),
            A::Export => {
                let path = Self::report_path(env);
                let id = fx.send(
                    env,
                    Command::Checklist(ChecklistCommand::Report { path: path.clone() }),
                );
                self.waiting.insert(id, Asked::Report);
                fx.info(format!(
                    "writing the checklist report to {}…",
                    terminal(&path.display().to_string())
                ));
            }
            A::Refresh => return self.read(env),
            _ => {}
        }
        fx
    }

    fn on_show(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if self.report.is_none() || self.stale {
            fx.extend(self.read(env));
        }
        fx
    }

    fn on_event(&mut self, event: &Event, env: &Env<'_>) -> Effects {
        match event {
            Event::Data(_) if !self.started => {
                self.started = true;
                return self.read(env);
            }
            Event::Cutover(a) => match a.as_ref() {
                // Any pane's read of the checklist is this pane's news too.
                Answer::Checklist(r) => {
                    let r = (**r).clone();
                    self.stale = false;
                    return self.set_report(r);
                }
                Answer::Change(c) if !c.applied.is_empty() => self.stale = true,
                Answer::Inventory(_) => self.stale = true,
                _ => {}
            },
            Event::Migration(MigrationEvent::Finished(end)) if !end.dry_run => self.stale = true,
            _ => {}
        }
        Effects::none()
    }

    fn on_reply(&mut self, reply: &Reply, _env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let Some(asked) = self.waiting.remove(&reply.request) else {
            return fx;
        };
        match (asked, &reply.outcome) {
            (Asked::Status, Ok(Answer::Checklist(r))) => {
                self.reading = false;
                return self.set_report((**r).clone());
            }
            (Asked::Status, Err(e)) => {
                self.reading = false;
                self.error = Some(e.to_string());
                fx.error(format!("checklist: {e}"));
            }
            (Asked::EndState, Ok(Answer::Checklist(r))) => {
                if let Some(e) = r.checklist.end_state {
                    fx.info(format!(
                        "end state {}: {} (recorded in the audit log)",
                        e.number(),
                        e.label()
                    ));
                }
                fx.extend(self.set_report((**r).clone()));
            }
            (Asked::Tick { step, done }, Ok(Answer::Checklist(r))) => {
                fx.info(format!(
                    "{} {step} (recorded in the audit log)",
                    if done { "ticked" } else { "unticked" }
                ));
                fx.extend(self.set_report((**r).clone()));
            }
            (Asked::Report, Ok(Answer::Written { path, what })) => {
                fx.info(format!(
                    "wrote {what} to {}",
                    terminal(&path.display().to_string())
                ));
            }
            (Asked::Plan, Ok(Answer::Change(c))) => {
                self.plan.reading = false;
                self.plan.report = Some((**c).clone());
                self.plan.error = None;
            }
            (Asked::Plan, Err(e)) => {
                self.plan.reading = false;
                self.plan.report = None;
                self.plan.error = Some(e.to_string());
            }
            (Asked::Apply, Ok(Answer::Change(c))) => {
                self.plan.applied = true;
                self.plan.report = Some((**c).clone());
                self.stale = true;
                fx.info(format!(
                    "rolled back: {} write{} made (journaled and audited)",
                    c.applied.len(),
                    if c.applied.len() == 1 { "" } else { "s" }
                ));
            }
            (Asked::Apply, Err(e)) => {
                self.stale = true;
                fx.error(format!("rollback: {e}"));
            }
            (_, Err(e)) => fx.error(format!("checklist: {e}")),
            (Asked::Status | Asked::Plan, Ok(_)) => {
                self.reading = false;
                self.plan.reading = false;
            }
            _ => {}
        }
        fx
    }

    fn on_text(&mut self, field: &str, edit: TextEdit<'_>, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        match (field, edit) {
            ("end-state", TextEdit::Submitted(v)) => {
                if let Some(e) = v.parse::<u8>().ok().and_then(EndState::from_number) {
                    let id = fx.send(env, Command::Checklist(ChecklistCommand::SetEndState(e)));
                    self.waiting.insert(id, Asked::EndState);
                }
            }
            ("tick-check", TextEdit::Submitted(v)) => {
                if let Some((id, _)) = VALIDATE_CHECKS.iter().find(|(id, _)| *id == v) {
                    let done = !self
                        .selected()
                        .and_then(|s| s.manual.iter().find(|m| m.id == *id))
                        .and_then(|m| m.tick.as_ref())
                        .is_some_and(|x| x.done);
                    return self.ask_note(Ticking {
                        step: id.to_string(),
                        done,
                    });
                }
            }
            ("tick-note", TextEdit::Submitted(note)) => {
                if let Some(Ticking { step, done }) = self.ticking.take() {
                    let note = note.trim();
                    let id = fx.send(
                        env,
                        Command::Checklist(ChecklistCommand::Tick {
                            step: step.clone(),
                            done,
                            note: (!note.is_empty()).then(|| note.to_string()),
                        }),
                    );
                    self.waiting.insert(id, Asked::Tick { step, done });
                }
            }
            ("tick-note", TextEdit::Cancelled) => {
                self.ticking = None;
                fx.info("not ticked");
            }
            _ => {}
        }
        fx
    }

    fn prepare(&mut self, area: Rect, env: &Env<'_>) {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        let width = inner.width.max(1) as usize;
        let wrap = |l: Vec<Line<'static>>| -> Vec<Line<'static>> {
            l.iter().flat_map(|x| wrap_line(x, width, 4)).collect()
        };
        match self.view {
            View::Rollback => {
                let by_hand = self
                    .report
                    .as_ref()
                    .map(|r| r.checklist.rollback_by_hand.clone())
                    .unwrap_or_default();
                let keys = (
                    env.key(Context::Rollback, Action::RunRollback),
                    env.key(Context::Rollback, Action::Back),
                );
                self.plan_lines = wrap(rollback::lines(
                    &self.plan,
                    &by_hand,
                    (&keys.0, &keys.1),
                    env.theme,
                ));
                self.plan_scroll.height = inner.height as usize;
                let max = self
                    .plan_lines
                    .len()
                    .saturating_sub(self.plan_scroll.height.max(1));
                self.plan_scroll.offset = self.plan_scroll.offset.min(max);
            }
            View::Steps => {
                // One row each: the step's detail and the report say the rest.
                self.head = self
                    .head_lines(env, width >= 120)
                    .iter()
                    .map(|l| lines::clip(l, width))
                    .collect();
                self.detail = wrap(self.detail_lines(env));
                let [_, list, _] = self.layout(inner);
                self.cursor
                    .set_height(list.height.saturating_sub(1) as usize);
                self.cursor.set_len(self.steps().len());
                // The selection may have moved with the height: fit the detail again.
                self.detail = wrap(self.detail_lines(env));
            }
        }
        if self.stale && !self.reading && self.read_due.is_none() && self.report.is_some() {
            // On screen and out of date: read again (a timer, as prepare sends nothing).
            self.read_due = Some(env.instant);
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.read_due
    }

    fn tick(&mut self, env: &Env<'_>) -> Effects {
        self.read_due = None;
        if self.stale {
            self.read(env)
        } else {
            Effects::none()
        }
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let t = env.theme;
        let title = match self.view {
            View::Steps => " 1 Checklist ".to_string(),
            View::Rollback => " 1 Checklist · rollback plan ".to_string(),
        };
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(title, t.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.view == View::Rollback {
            let end = (self.plan_scroll.offset + inner.height as usize).min(self.plan_lines.len());
            let start = self.plan_scroll.offset.min(end);
            frame.render_widget(Paragraph::new(self.plan_lines[start..end].to_vec()), inner);
            return;
        }
        let [head, list, detail] = self.layout(inner);
        frame.render_widget(Paragraph::new(self.head.clone()), head);
        if self.report.is_none() {
            return;
        }
        let (header, rows, widths) = self.table(env, list.width);
        virtual_table::draw(
            frame,
            list,
            virtual_table::Window {
                header,
                rows,
                widths: &widths,
            },
            &self.cursor,
            t.selected(),
            focused,
        );
        let shown = (detail.height as usize).min(self.detail.len());
        let mut lines = self.detail[..shown].to_vec();
        if self.detail.len() > shown
            && let Some(last) = lines.last_mut()
        {
            *last = Line::styled(
                "… (the report, ctrl+s, has every figure)".to_string(),
                t.dim(),
            );
        }
        frame.render_widget(Paragraph::new(lines), detail);
    }

    fn hints(&self) -> Vec<Action> {
        match self.view {
            View::Steps => vec![
                Action::Open,
                Action::Tick,
                Action::RollbackPlan,
                Action::EndState,
                Action::Export,
                Action::Refresh,
                Action::Help,
                Action::Quit,
            ],
            View::Rollback => vec![
                Action::RunRollback,
                Action::Back,
                Action::PageDown,
                Action::Refresh,
                Action::Help,
            ],
        }
    }

    fn menu(&self) -> Vec<Action> {
        match self.view {
            View::Steps => vec![
                Action::Tick,
                Action::EndState,
                Action::RollbackPlan,
                Action::Export,
                Action::Refresh,
            ],
            View::Rollback => vec![Action::RunRollback, Action::Refresh],
        }
    }

    fn help(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = vec![Line::styled("Checklist: what the words say", t.heading())];
        let key = |c, a| env.key(c, a);
        let rows: Vec<(String, String)> = vec![
            (
                "✓ done".into(),
                "its check passes (or, for a manual step, it is ticked)".into(),
            ),
            (
                "✗ not done".into(),
                "its check does not pass yet: the detail says why".into(),
            ),
            (
                "⊘ blocked".into(),
                "the federation switch waits for earlier steps (CL-GATE)".into(),
            ),
            (
                "☐ manual".into(),
                format!(
                    "only you can say: {} ticks it, with a note",
                    key(Context::Checklist, Action::Tick)
                ),
            ),
            (
                "? can't tell".into(),
                "the check cannot decide: a tick by hand decides".into(),
            ),
            ("- n/a".into(), "not part of the chosen end state".into()),
            ("←".into(), "the next step".into()),
            (
                key(Context::Checklist, Action::Open),
                "go to the tab that does the step (Users, Rollout, Federation, Dependencies)"
                    .into(),
            ),
            (
                key(Context::Checklist, Action::RollbackPlan),
                format!(
                    "the rollback plan: its exact writes and users, then {} rolls back (tier 3)",
                    key(Context::Rollback, Action::RunRollback)
                ),
            ),
            (
                key(Context::Checklist, Action::Export),
                "the change board's report (Markdown)".into(),
            ),
        ];
        for (w, what) in rows {
            l.push(Line::from(vec![
                Span::styled(format!("  {w:<14}"), t.key()),
                Span::raw(what),
            ]));
        }
        l
    }
}
