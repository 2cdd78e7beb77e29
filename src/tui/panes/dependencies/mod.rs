//! The Dependencies tab (5): every item of the dependency inventory — what still
//! authenticates through MFA Server or asks AD FS for on-premises MFA — worst first
//! ([`rows`]), with its kind, name, path, the admin's status and its findings; `/`
//! filters. `s` records a status with a note (the engine stores and audits it), `enter`
//! shows the evidence ([`evidence`]: the source record, the rules that produced the item
//! and, for a relying party, which MFA provider its users reach and why), `ctrl+s`
//! exports CSV or Markdown, `ctrl+r` reads the data file and the exports again. The
//! inventory is read from the engine when the tab is first shown and kept current by the
//! answers every pane hears. Untrusted text goes through `safe_text`.

pub mod evidence;
pub mod rows;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Wrap};

use crate::engine::{
    Answer, Command, Event, ExportFormat, InventoryCommand, InventoryReport, Reply, RequestId,
};
use crate::inventory::{Chain, Dependence, ItemId, ItemKind, Status};
use crate::safe_text::terminal;
use crate::tui::action::{Action, Availability, Context};
use crate::tui::effect::{Effect, Effects, TextAsk, TextEdit};
use crate::tui::pane::{Env, Pane};
use crate::tui::tab::Tab;
use crate::tui::theme::Theme;
use crate::tui::widgets::virtual_table::{self, Cursor};
use crate::tui::widgets::{finding, thousands, truncate, wrap_words};

/// A request out, and what it was for.
#[derive(Debug, Clone)]
enum Asked {
    Status,
    Decide { name: String, status: Status },
    Why(ItemId),
    Export,
}

/// A decision being made: the status is chosen first, then the note is asked.
#[derive(Debug, Clone)]
struct Deciding {
    item: ItemId,
    status: Option<Status>,
}

#[derive(Debug, Default)]
pub struct DependenciesPane {
    report: Option<Arc<InventoryReport>>,
    /// Indices of the items shown, in order.
    rows: Vec<usize>,
    filter: String,
    cursor: Cursor,
    waiting: HashMap<RequestId, Asked>,
    /// A read of the inventory is in flight.
    reading: bool,
    /// The last refusal reading it.
    error: Option<String>,
    deciding: Option<Deciding>,
    /// Lines of the notes above the list, fitted to the width (`prepare`).
    notes: Vec<Line<'static>>,
    /// The selected item's path and reason, fitted (`prepare`).
    detail: Vec<Line<'static>>,
}

/// Rows under the list for the selected item's path and reason.
const DETAIL_ROWS: u16 = 2;

impl DependenciesPane {
    pub fn new() -> DependenciesPane {
        DependenciesPane::default()
    }

    /// The inventory as last read, if read.
    pub fn report(&self) -> Option<&InventoryReport> {
        self.report.as_deref()
    }

    /// How many items are shown (after the filter).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The id of the selected item.
    pub fn selected_id(&self) -> Option<&ItemId> {
        self.selected().map(|i| &i.id)
    }

    fn selected(&self) -> Option<&crate::inventory::Item> {
        let r = self.report.as_ref()?;
        let i = *self.rows.get(self.cursor.selected)?;
        r.inventory.items.get(i)
    }

    /// Select the item `id` (tests, and keeping the selection across a new report).
    pub fn select(&mut self, id: &ItemId) -> bool {
        let Some(r) = &self.report else { return false };
        match self
            .rows
            .iter()
            .position(|&i| r.inventory.items.get(i).is_some_and(|it| &it.id == id))
        {
            Some(p) => {
                self.cursor.select(p);
                true
            }
            None => false,
        }
    }

    fn set_report(&mut self, r: Arc<InventoryReport>) {
        let keep = self.selected_id().cloned();
        self.report = Some(r);
        self.error = None;
        self.reorder();
        if let Some(id) = keep {
            self.select(&id);
        }
    }

    fn reorder(&mut self) {
        self.rows = match &self.report {
            Some(r) => rows::order(&r.inventory.items, &self.filter),
            None => Vec::new(),
        };
        self.cursor.set_len(self.rows.len());
    }

    fn read(&mut self, env: &Env<'_>, command: InventoryCommand) -> Effects {
        let mut fx = Effects::none();
        if self.reading {
            return fx;
        }
        let id = fx.send(env, Command::Inventory(command));
        self.waiting.insert(id, Asked::Status);
        self.reading = true;
        fx
    }

    /// Why the store cannot take a decision now, if it cannot.
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

    fn default_export_path(env: &Env<'_>, format: ExportFormat) -> PathBuf {
        let stamp = env.now.format("%Y%m%d-%H%M%S");
        let ext = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::Markdown => "md",
        };
        env.export_dir.join(format!("dependencies-{stamp}.{ext}"))
    }

    fn open(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let Some(item) = self.selected() else {
            return fx;
        };
        if item.kind == ItemKind::RelyingParty {
            // The chain comes from the engine: the evidence opens with it.
            let rp = item.name.clone();
            let id = item.id.clone();
            let req = fx.send(
                env,
                Command::Inventory(InventoryCommand::Why {
                    relying_party: rp,
                    sids: Vec::new(),
                }),
            );
            self.waiting.insert(req, Asked::Why(id));
            return fx;
        }
        let title = format!("{} · {}", item.kind.label(), terminal(&item.name));
        let lines = evidence::lines(item, None, env.theme);
        fx.show(title, lines);
        fx
    }

    fn show_with_chain(&self, id: &ItemId, chain: Result<Chain, String>, t: &Theme) -> Effects {
        let mut fx = Effects::none();
        let Some(item) = self
            .report
            .as_ref()
            .and_then(|r| r.inventory.items.iter().find(|i| &i.id == id))
        else {
            return fx;
        };
        let title = format!("{} · {}", item.kind.label(), terminal(&item.name));
        fx.show(title, evidence::lines(item, Some(&chain), t));
        fx
    }

    fn title(&self, env: &Env<'_>) -> Line<'static> {
        let t = env.theme;
        let sep = || Span::styled(" · ", t.dim());
        let mut spans = Vec::new();
        match &self.report {
            None if self.error.is_some() => {
                spans.push(Span::styled("the inventory could not be read", t.error()))
            }
            None => spans.push(Span::styled("reading the inventory…", t.accent())),
            Some(r) => {
                let p = &r.progress;
                spans.push(Span::styled(
                    format!("{} need a decision", thousands(p.total)),
                    t.title(),
                ));
                spans.push(Span::raw(format!(
                    ": {} decided, {} done, {} won't do",
                    thousands(p.decided),
                    thousands(p.done),
                    thousands(p.wont_do)
                )));
                spans.push(sep());
                spans.push(Span::raw(format!(
                    "{} items, {} export files",
                    thousands(r.inventory.items.len()),
                    thousands(r.inventory.files.len())
                )));
                if self.reading {
                    spans.push(sep());
                    spans.push(Span::styled("reading again…", t.accent()));
                }
            }
        }
        if !self.filter.is_empty() {
            spans.push(sep());
            spans.push(Span::styled(
                format!(
                    "/{} ({} shown)",
                    terminal(&self.filter),
                    thousands(self.rows.len())
                ),
                t.accent(),
            ));
        }
        Line::from(spans)
    }

    /// What is said above the list: how to give exports when there are none, what keeps
    /// users on MFA Server, decisions whose item went away.
    fn note_lines(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = Vec::new();
        let Some(r) = &self.report else {
            if let Some(e) = &self.error {
                l.push(Line::styled(terminal(e).into_owned(), t.error()));
                l.push(Line::styled(
                    format!(
                        "{} reads the data file and the exports again.",
                        env.key(Context::Dependencies, Action::Refresh)
                    ),
                    t.dim(),
                ));
            }
            return l;
        };
        let inv = &r.inventory;
        if inv.files.is_empty() {
            l.push(Line::from(vec![
                Span::styled("No AD FS or NPS export is read. ", t.warn()),
                Span::raw(format!(
                    "List them under [inventory] in the config file (adfs = [\"rp.json\", \
                     \"global.json\", …], nps = [\"nps.xml\"]) or try them with `mfa-cutover \
                     inventory --adfs FILE --nps FILE`; then {} reads them.",
                    env.key(Context::Dependencies, Action::Refresh)
                )),
            ]));
        }
        if !inv.data_file_services {
            l.push(Line::styled(
                "The data file does not carry auth_services (an Export Users CSV cannot): \
                 RADIUS, LDAP, IIS and SDK dependencies come only from the exports.",
                t.dim(),
            ));
        }
        let keeps = &r.keeps_users_on_mfa_server;
        if !keeps.is_empty() {
            let mut names: Vec<String> = Vec::new();
            for f in keeps {
                let n = match &f.subject {
                    crate::finding::FindingSubject::Dependency { name, .. } => name.clone(),
                    other => other.to_string(),
                };
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            l.push(Line::from(vec![
                Span::styled("! ", t.warn()),
                Span::styled(
                    format!(
                        "{} would keep migrated users on MFA Server: ",
                        crate::tui::widgets::plural(names.len(), "item", "items")
                    ),
                    t.warn(),
                ),
                Span::raw(terminal(&names.join(", ")).into_owned()),
            ]));
        }
        if !r.stale_decisions.is_empty() {
            l.push(Line::styled(
                format!(
                    "{} kept for items the inputs no longer hold: {}",
                    crate::tui::widgets::plural(r.stale_decisions.len(), "decision", "decisions"),
                    terminal(
                        &r.stale_decisions
                            .iter()
                            .map(|d| d.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                ),
                t.dim(),
            ));
        }
        if inv.items.is_empty() {
            l.push(Line::styled(
                "Nothing found that depends on MFA Server in what was read.",
                t.dim(),
            ));
        }
        l
    }

    fn detail_lines(&self, env: &Env<'_>, width: usize) -> Vec<Line<'static>> {
        let t = env.theme;
        let Some(item) = self.selected() else {
            return Vec::new();
        };
        let text = format!("→ {}: {}", rows::path_label(item), terminal(&item.reason));
        let mut rows: Vec<Line<'static>> = wrap_words(&text, width)
            .into_iter()
            .map(|s| Line::styled(s, t.dim()))
            .collect();
        let cut = rows.len() > DETAIL_ROWS as usize;
        rows.truncate(DETAIL_ROWS as usize);
        if cut && let Some(last) = rows.last_mut() {
            let more = format!(
                " ({} shows all)",
                env.key(Context::Dependencies, Action::Open)
            );
            let room = width.saturating_sub(more.chars().count());
            *last = Line::styled(
                format!("{}{more}", truncate(&last.to_string(), room)),
                t.dim(),
            );
        }
        rows
    }

    fn table(&self, t: &Theme, width: u16) -> (Row<'static>, Vec<Row<'static>>, Vec<u16>) {
        let wide = width >= 120;
        let Some(r) = &self.report else {
            return (Row::new(Vec::<Cell>::new()), Vec::new(), Vec::new());
        };
        let (titles, widths): (Vec<&str>, Vec<u16>) = if wide {
            let fixed = 9 + 11 + 22 + 8 + 5 + 6;
            let rest = width.saturating_sub(fixed);
            let name = (rest * 2 / 5).clamp(16, 48);
            let path = rest.saturating_sub(name).max(10);
            (
                vec![
                    "SEVERITY", "STATUS", "KIND", "NAME", "MFA SRV", "PATH", "RULES",
                ],
                vec![9, 11, 22, name, 8, path, 5],
            )
        } else {
            let fixed = 9 + 11 + 19 + 4;
            let name = width.saturating_sub(fixed).max(10);
            (
                vec!["SEVERITY", "STATUS", "KIND", "NAME"],
                vec![9, 11, 19, name],
            )
        };
        let header = Row::new(titles.into_iter().map(Cell::from)).style(t.heading());
        let rows = self
            .cursor
            .window()
            .filter_map(|i| self.rows.get(i))
            .filter_map(|&i| r.inventory.items.get(i))
            .map(|item| {
                let sev = match rows::severity(item) {
                    Some(s) => {
                        let (m, style) = finding::mark(s, t);
                        Span::styled(format!("{m} {}", s.word()), style)
                    }
                    None => Span::raw(""),
                };
                let status = if item.needs_decision() {
                    let s = item.status();
                    let style = match s {
                        Status::Done | Status::WontDo => t.ok(),
                        Status::InProgress => t.accent(),
                        Status::Pending => t.base(),
                    };
                    Span::styled(s.label(), style)
                } else {
                    Span::styled("—", t.dim())
                };
                let kind_w = if wide { 22 } else { 19 };
                let name_w = widths.get(3).copied().unwrap_or(10) as usize;
                let mut cells = vec![
                    Cell::from(sev),
                    Cell::from(status),
                    Cell::from(truncate(item.kind.label(), kind_w)),
                    Cell::from(truncate(&terminal(&item.name), name_w)),
                ];
                if wide {
                    let path_w = widths.get(5).copied().unwrap_or(10) as usize;
                    cells.push(Cell::from(match item.dependence {
                        Dependence::Yes => "yes",
                        Dependence::Possibly => "maybe",
                        Dependence::No => "no",
                    }));
                    cells.push(Cell::from(truncate(rows::path_label(item), path_w)));
                    cells.push(Cell::from(if item.findings.is_empty() {
                        String::new()
                    } else {
                        item.findings.len().to_string()
                    }));
                }
                Row::new(cells)
            })
            .collect();
        (header, rows, widths)
    }

    fn layout(&self, inner: Rect) -> [Rect; 4] {
        let notes = (self.notes.len() as u16).min(inner.height / 3);
        let detail = if self.selected().is_some() {
            DETAIL_ROWS
        } else {
            0
        };
        Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(notes),
            Constraint::Min(0),
            Constraint::Length(detail),
        ])
        .areas(inner)
    }
}

impl Pane for DependenciesPane {
    fn tab(&self) -> Tab {
        Tab::Dependencies
    }

    fn stack(&self) -> &'static [Context] {
        Context::Dependencies.stack()
    }

    fn available(&self, action: Action, env: &Env<'_>) -> Availability {
        use Action as A;
        let read = || match (&self.report, &self.error) {
            (Some(_), _) => None,
            (None, Some(_)) => Some(Availability::no("the inventory could not be read")),
            (None, None) => Some(Availability::no("the inventory is still being read")),
        };
        match action {
            A::MoveUp | A::MoveDown | A::PageUp | A::PageDown | A::Top | A::Bottom => {
                if self.rows.is_empty() {
                    Availability::no("no item")
                } else {
                    Availability::Available
                }
            }
            A::Open => match read() {
                Some(a) => a,
                None if self.selected().is_none() => Availability::no("no item"),
                None => Availability::Available,
            },
            A::Filter => read().unwrap_or(Availability::Available),
            A::Back => {
                if self.filter.is_empty() {
                    Availability::no("nothing to go back to")
                } else {
                    Availability::Available
                }
            }
            A::Decide => {
                if let Some(a) = read() {
                    return a;
                }
                if let Some(why) = Self::store_block(env) {
                    return Availability::no(why);
                }
                if self.selected().is_none() {
                    return Availability::no("no item");
                }
                Availability::Available
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
                    Availability::no("the inventory is being read")
                } else {
                    Availability::Available
                }
            }
            _ => Availability::no("not an action of the dependencies"),
        }
    }

    fn dispatch(&mut self, action: Action, env: &Env<'_>) -> Effects {
        use Action as A;
        let mut fx = Effects::none();
        match action {
            A::MoveUp => self.cursor.up(1),
            A::MoveDown => self.cursor.down(1),
            A::PageUp => self.cursor.page_up(),
            A::PageDown => self.cursor.page_down(),
            A::Top => self.cursor.top(),
            A::Bottom => self.cursor.bottom(),
            A::Open => return self.open(env),
            A::Filter => fx.ask(TextAsk {
                field: "filter",
                label: "/".into(),
                initial: self.filter.clone(),
                live: true,
            }),
            A::Back => {
                self.filter.clear();
                self.reorder();
            }
            A::Decide => {
                let Some(item) = self.selected() else {
                    return fx;
                };
                let now = item.status();
                let decided = item.decision.is_some();
                let items = Status::ALL
                    .iter()
                    .map(|s| {
                        let mark = if *s == now && decided {
                            "  ← now"
                        } else {
                            ""
                        };
                        (format!("{}{mark}", s.label()), s.label().to_string())
                    })
                    .collect();
                let title = format!(
                    "Status of {} \"{}\"",
                    item.kind.label(),
                    terminal(&item.name)
                );
                let id = item.id.clone();
                fx.push(Effect::Choose {
                    field: "decide-status",
                    title,
                    items,
                });
                self.deciding = Some(Deciding {
                    item: id,
                    status: None,
                });
            }
            A::Export => {
                fx.push(Effect::Choose {
                    field: "export-format",
                    title: "Export the inventory as".into(),
                    items: vec![
                        (
                            format!(
                                "CSV (a spreadsheet) → {}",
                                Self::default_export_path(env, ExportFormat::Csv).display()
                            ),
                            "csv".into(),
                        ),
                        (
                            format!(
                                "Markdown (the change board) → {}",
                                Self::default_export_path(env, ExportFormat::Markdown).display()
                            ),
                            "markdown".into(),
                        ),
                    ],
                });
            }
            A::Refresh => {
                let mut fx = self.read(env, InventoryCommand::Reload);
                fx.info("reading the data file's services and the exports again…");
                return fx;
            }
            _ => {}
        }
        fx
    }

    fn on_show(&mut self, env: &Env<'_>) -> Effects {
        if self.report.is_none() {
            self.read(env, InventoryCommand::Status)
        } else {
            Effects::none()
        }
    }

    fn on_event(&mut self, event: &Event, _env: &Env<'_>) -> Effects {
        // A decision made anywhere (another pane, another request) is heard here.
        if let Event::Cutover(a) = event
            && let Answer::Inventory(r) = a.as_ref()
        {
            self.set_report(r.clone());
        }
        Effects::none()
    }

    fn on_reply(&mut self, reply: &Reply, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let Some(asked) = self.waiting.remove(&reply.request) else {
            return fx;
        };
        match (asked, &reply.outcome) {
            (Asked::Status, Ok(Answer::Inventory(r))) => {
                self.reading = false;
                self.set_report(r.clone());
            }
            (Asked::Status, Err(e)) => {
                self.reading = false;
                self.error = Some(e.to_string());
                fx.error(format!("dependencies: {e}"));
            }
            (Asked::Decide { name, status }, Ok(Answer::Inventory(r))) => {
                self.set_report(r.clone());
                fx.info(format!(
                    "\"{}\" is now {} (recorded in the audit log)",
                    terminal(&name),
                    status.label()
                ));
            }
            (Asked::Why(id), Ok(Answer::Why(chain))) => {
                return self.show_with_chain(&id, Ok((**chain).clone()), env.theme);
            }
            (Asked::Why(id), Err(e)) => {
                return self.show_with_chain(&id, Err(e.to_string()), env.theme);
            }
            (Asked::Export, Ok(Answer::Written { path, what })) => {
                fx.info(format!(
                    "wrote {what} to {}",
                    terminal(&path.display().to_string())
                ));
            }
            (Asked::Status, Ok(_)) | (Asked::Decide { .. } | Asked::Why(_) | Asked::Export, _) => {
                if let Err(e) = &reply.outcome {
                    fx.error(format!("dependencies: {e}"));
                }
            }
        }
        fx
    }

    fn on_text(&mut self, field: &str, edit: TextEdit<'_>, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        match (field, edit) {
            ("filter", TextEdit::Changed(v) | TextEdit::Submitted(v)) => {
                let v = v.trim();
                if v != self.filter {
                    // A new filter starts at its best match.
                    self.filter = v.to_string();
                    self.reorder();
                    self.cursor.top();
                }
            }
            ("filter", TextEdit::Cancelled) => {
                self.filter.clear();
                self.reorder();
            }
            ("decide-status", TextEdit::Submitted(v)) => {
                let status = Status::ALL.into_iter().find(|s| s.label() == v);
                let (Some(d), Some(status)) = (&mut self.deciding, status) else {
                    return fx;
                };
                d.status = Some(status);
                let note = self
                    .report
                    .as_ref()
                    .and_then(|r| r.inventory.item(&d.item))
                    .and_then(|i| i.decision.as_ref())
                    .map(|d| d.note.clone())
                    .unwrap_or_default();
                fx.ask(TextAsk {
                    field: "decide-note",
                    label: format!("{} · note (enter: none): ", status.label()),
                    initial: note,
                    live: false,
                });
            }
            ("decide-note", TextEdit::Submitted(note)) => {
                let Some(Deciding {
                    item,
                    status: Some(status),
                }) = self.deciding.take()
                else {
                    return fx;
                };
                let found = self.report.as_ref().and_then(|r| r.inventory.item(&item));
                let name = found.map(|i| i.name.clone()).unwrap_or_default();
                // The path already decided stays; otherwise the recommended one.
                let path = found.and_then(|i| i.decision.as_ref()).map(|d| d.path);
                let note = note.trim();
                let id = fx.send(
                    env,
                    Command::Inventory(InventoryCommand::Decide {
                        item: item.0.clone(),
                        path,
                        status,
                        note: (!note.is_empty()).then(|| note.to_string()),
                    }),
                );
                self.waiting.insert(id, Asked::Decide { name, status });
            }
            ("decide-note", TextEdit::Cancelled) => {
                self.deciding = None;
                fx.info("not changed");
            }
            ("export-format", TextEdit::Submitted(v)) => {
                let format = if v == "csv" {
                    ExportFormat::Csv
                } else {
                    ExportFormat::Markdown
                };
                let path = Self::default_export_path(env, format);
                let id = fx.send(
                    env,
                    Command::Inventory(InventoryCommand::Export {
                        path: path.clone(),
                        format,
                    }),
                );
                self.waiting.insert(id, Asked::Export);
                fx.info(format!(
                    "exporting to {}…",
                    terminal(&path.display().to_string())
                ));
            }
            _ => {}
        }
        fx
    }

    fn prepare(&mut self, area: Rect, env: &Env<'_>) {
        let inner = Block::default().borders(Borders::TOP).inner(area);
        let width = inner.width.max(1) as usize;
        self.notes = self
            .note_lines(env)
            .iter()
            .flat_map(|l| crate::tui::widgets::wrap_line(l, width, 2))
            .collect();
        self.detail = self.detail_lines(env, width);
        let [_, _, table, _] = self.layout(inner);
        self.cursor
            .set_height(table.height.saturating_sub(1) as usize);
        self.cursor.set_len(self.rows.len());
        self.detail = self.detail_lines(env, width);
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, env: &Env<'_>, focused: bool) {
        let t = env.theme;
        let block = Block::default()
            .borders(Borders::TOP)
            .border_style(t.border())
            .title(Span::styled(" 5 Dependencies ", t.title()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [title, notes, table, detail] = self.layout(inner);
        frame.render_widget(Paragraph::new(self.title(env)), title);
        frame.render_widget(
            Paragraph::new(self.notes.clone()).wrap(Wrap { trim: false }),
            notes,
        );
        if self.report.is_none() || self.rows.is_empty() {
            if self.report.is_some() && !self.filter.is_empty() {
                frame.render_widget(
                    Paragraph::new(Line::styled(
                        format!(
                            "No item matches /{}. esc clears the filter.",
                            terminal(&self.filter)
                        ),
                        t.dim(),
                    )),
                    table,
                );
            }
            return;
        }
        let (header, rows, widths) = self.table(t, table.width);
        virtual_table::draw(
            frame,
            table,
            virtual_table::Window {
                header,
                rows,
                widths: &widths,
            },
            &self.cursor,
            t.selected(),
            focused,
        );
        frame.render_widget(Paragraph::new(self.detail.clone()), detail);
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::Open,
            Action::Decide,
            Action::Filter,
            Action::Export,
            Action::Refresh,
            Action::Help,
            Action::Quit,
        ]
    }

    fn menu(&self) -> Vec<Action> {
        vec![Action::Decide, Action::Export, Action::Refresh]
    }

    fn help(&self, env: &Env<'_>) -> Vec<Line<'static>> {
        let t = env.theme;
        let mut l = vec![Line::styled(
            "Dependencies: what the columns say",
            t.heading(),
        )];
        let key = |a| env.key(Context::Dependencies, a);
        let rows: Vec<(String, &str)> = vec![
            (
                "SEVERITY".into(),
                "the worst finding: ✗ blocked (the switch waits for it), ! warning, · note",
            ),
            (
                "STATUS".into(),
                "your decision: pending, in progress, done, won't do (— : needs none)",
            ),
            (
                "MFA SRV".into(),
                "whether it goes through MFA Server: yes, maybe (the exports cannot tell), no",
            ),
            (
                "PATH".into(),
                "the path decided, else the one recommended (the evidence says why)",
            ),
            (
                key(Action::Export),
                "export CSV (a spreadsheet) or Markdown (the change board)",
            ),
            (
                key(Action::Refresh),
                "read the data file's services and the AD FS / NPS exports again",
            ),
            (
                "[inventory]".into(),
                "the config's adfs = [...] and nps = [...] name the exports read",
            ),
        ];
        for (w, what) in rows {
            l.push(Line::from(vec![
                Span::styled(format!("  {w:<14}"), t.key()),
                Span::raw(what.to_string()),
            ]));
        }
        l.push(Line::raw(""));
        l.push(Line::styled("The inventory's rules", t.heading()));
        for r in crate::inventory::InvRule::ALL {
            l.push(Line::from(vec![
                Span::styled(format!("  {:<14}", r.id()), t.key()),
                Span::raw(r.summary().to_string()),
            ]));
        }
        l
    }
}
