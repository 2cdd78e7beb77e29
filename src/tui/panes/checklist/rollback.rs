//! The rollback plan (checklist.md "Rollback plan", rule F2), one key from anywhere in
//! the checklist: a what-if of the exact writes (`enforceMfaByFederatedIdp` on the
//! federated domains, Staged Rollout for MFA off) and the users they send back to MFA
//! Server, what the interlocks say, the steps by hand (reinstall the previous MFA Server
//! build, restore the backed-up data file — the recorded hash says which), the warning
//! that methods changed in Entra are not copied back; then the tier-3 confirmation of
//! the tenant-wide change, and what was written.

use ratatui::text::{Line, Span};

use crate::confirm_tier::Ask;
use crate::engine::{ChangeReport, Command, FederationCommand, Request};
use crate::finding::Severity;
use crate::rollout::{Confirmation, Decision};
use crate::safe_text::terminal;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::theme::Theme;
use crate::tui::widgets::confirm::Confirm;
use crate::tui::widgets::{finding, thousands};

/// The plan as the view holds it.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The latest what-if, or the rollback as written.
    pub report: Option<ChangeReport>,
    /// Why the what-if could not be made.
    pub error: Option<String>,
    /// A what-if is being read.
    pub reading: bool,
    /// The writes were made (the report holds them).
    pub applied: bool,
}

impl Plan {
    /// Why the rollback cannot be run from here now, if it cannot.
    pub fn block(&self) -> Option<String> {
        if self.reading {
            return Some("the plan is being read".into());
        }
        let Some(r) = &self.report else {
            return Some(match &self.error {
                Some(e) => format!("the plan could not be made: {e}"),
                None => "the plan is not read yet".into(),
            });
        };
        if self.applied {
            return Some("rolled back: read the plan again (ctrl+r) to see the tenant now".into());
        }
        match &r.decision {
            Decision::NothingToDo => Some("nothing to write in the tenant now".into()),
            Decision::Refused { by } | Decision::Blocked { by } => Some(format!(
                "refused by {} (the command line's `federation rollback --force` overrides \
                 what may be forced, audited)",
                by.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
            )),
            Decision::Proceed | Decision::Forced { .. } if r.planned.is_empty() => {
                Some("nothing to write in the tenant now".into())
            }
            Decision::Proceed | Decision::Forced { .. } => None,
        }
    }
}

/// The what-if command, and the command that writes.
pub fn command(apply: bool) -> Command {
    Command::Federation(FederationCommand::Rollback {
        force: false,
        apply,
    })
}

/// The view's lines.
pub fn lines(plan: &Plan, by_hand: &[String], keys: (&str, &str), t: &Theme) -> Vec<Line<'static>> {
    let (run_key, close_key) = keys;
    let mut l = Vec::new();
    match (&plan.report, &plan.error) {
        (None, None) => l.push(Line::styled(
            "Reading the plan from the tenant…",
            t.accent(),
        )),
        (None, Some(e)) => {
            l.push(Line::styled("The plan could not be made:", t.error()));
            l.push(Line::raw(terminal(e).into_owned()));
        }
        (Some(r), _) if plan.applied => {
            l.push(Line::styled("Rolled back. Written:", t.ok()));
            for w in &r.applied {
                let mut s = format!("  ✓ {} (journal #{})", terminal(&w.what), w.journal.0);
                if let Some(a) = &w.after {
                    s.push_str(&format!("; now {}", terminal(a)));
                }
                l.push(Line::raw(s));
            }
            l.push(Line::styled(
                "Entra takes up to 24 hours to apply it everywhere; the Journal tab (6) has \
                 every write.",
                t.dim(),
            ));
        }
        (Some(r), _) => {
            l.push(Line::styled(
                "What-if: nothing is written until you confirm.",
                t.dim(),
            ));
            l.push(Line::raw(terminal(&r.blast_line).into_owned()));
            if let Some(u) = r.verdict.blast.users {
                l.push(Line::from(vec![
                    Span::raw("Users sent back to MFA Server: "),
                    Span::styled(thousands(u as usize), t.warn()),
                ]));
            }
            l.push(Line::raw(""));
            if r.planned.is_empty() {
                l.push(Line::raw(
                    "Nothing to write in the tenant now: Staged Rollout for MFA is off and no \
                     federated domain is past enforceMfaByFederatedIdp.",
                ));
            } else {
                l.push(Line::styled("The writes, in order:", t.heading()));
                for (i, w) in r.planned.iter().enumerate() {
                    l.push(Line::raw(format!("  {}. {}", i + 1, terminal(w))));
                }
            }
            // Notes repeat the writes; refusals and warnings are what to read first.
            for f in r
                .verdict
                .refusals
                .iter()
                .chain(r.verdict.findings.iter())
                .filter(|f| f.severity > Severity::Info)
            {
                l.extend(finding::lines(f, 0, t));
            }
            if matches!(r.confirmation, Confirmation::Tier3 { .. }) && !r.planned.is_empty() {
                l.push(Line::styled(
                    "Tenant-wide: takes up to 24 h to apply everywhere.",
                    t.warn(),
                ));
            }
        }
    }
    if plan.reading && plan.report.is_some() {
        l.push(Line::styled("reading the plan again…", t.accent()));
    }
    l.push(Line::raw(""));
    l.push(Line::styled("By hand", t.heading()));
    for s in by_hand {
        // The methods warning is what admins miss: say it loudly.
        let style = if s.contains("not copied back") {
            t.warn()
        } else {
            t.base()
        };
        l.push(Line::styled(format!("  • {}", terminal(s)), style));
    }
    l.push(Line::raw(""));
    let mut last = vec![];
    if plan.block().is_none() {
        last.push(Span::styled(run_key.to_string(), t.key()));
        last.push(Span::raw(
            " rolls back now (asks first: type the domain) · ",
        ));
    }
    last.push(Span::styled(close_key.to_string(), t.key()));
    last.push(Span::raw(" closes"));
    l.push(Line::from(last));
    l
}

/// The confirmation of the rollback, carrying the request that writes (already stamped
/// as `request`).
pub fn confirm(r: &ChangeReport, request: Request, production: bool, t: &Theme) -> Confirm {
    let ask = Ask::from(&r.confirmation);
    let mut lines = vec![Line::raw(terminal(&r.blast_line).into_owned())];
    for w in &r.planned {
        lines.push(Line::raw(format!("• {}", terminal(w))));
    }
    if matches!(r.confirmation, Confirmation::Tier3 { .. }) {
        lines.push(Line::styled(
            "Tenant-wide: takes up to 24 h to apply everywhere.",
            t.warn(),
        ));
    }
    lines.push(Line::styled(
        "Methods users changed in Entra are not copied back to MFA Server.",
        t.warn(),
    ));
    if production {
        lines.push(Line::styled("PRODUCTION tenant.", t.production()));
    }
    Confirm::new(
        "Roll back the cutover?",
        ask,
        lines,
        "Roll back",
        vec![Effect::Send(request)],
    )
    .recheck(Action::RunRollback)
}
