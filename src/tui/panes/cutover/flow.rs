//! A Staged Rollout or federation change as the panes walk it: the what-if first
//! (`apply: false`: the interlocks' verdict, blast radius, exact writes), then the
//! confirmation of its tier — the higher of the verdict's and `confirm_tier`'s rule for
//! its blast radius — carrying the stamped `apply: true` request, and only then the
//! write. A change an interlock blocks is shown with each finding and, where the rule
//! allows it, offers force: a second what-if (`force: true`) whose confirmation names
//! what is forced and is audited by the engine. A refusal (R2, the sign-in) offers
//! nothing to force.
//!
//! Each stage carries the id of the request it waits for, so a reply is matched to it
//! and nothing else; a dialog cancelled leaves a stage no reply will ever match, which
//! the next change simply replaces.

use ratatui::text::Line;

use super::text::{change_lines, refusal_lines};
use crate::confirm_tier;
use crate::engine::{
    Answer, ChangeReport, Command, FederationCommand, Refusal, Reply, RequestId, RolloutCommand,
};
use crate::rollout::{Decision, MfaBehavior};
use crate::safe_text::terminal;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, Effects};
use crate::tui::pane::Env;
use crate::tui::widgets::confirm::Confirm;

/// A change a pane asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A group by object id, and its name for the words.
    AddGroup {
        id: String,
        name: String,
    },
    RemoveGroup {
        id: String,
        name: String,
    },
    Enable,
    Disable,
    SetFederation {
        domain: String,
        behavior: MfaBehavior,
    },
    Rollback,
}

impl Ask {
    pub fn command(&self, apply: bool, force: bool) -> Command {
        match self {
            Ask::AddGroup { id, .. } => Command::Rollout(RolloutCommand::AddGroup {
                group: id.clone(),
                force,
                apply,
            }),
            Ask::RemoveGroup { id, .. } => Command::Rollout(RolloutCommand::RemoveGroup {
                group: id.clone(),
                force,
                apply,
            }),
            Ask::Enable => Command::Rollout(RolloutCommand::Enable { force, apply }),
            Ask::Disable => Command::Rollout(RolloutCommand::Disable { force, apply }),
            Ask::SetFederation { domain, behavior } => {
                Command::Federation(FederationCommand::Set {
                    domain: domain.clone(),
                    behavior: *behavior,
                    force,
                    apply,
                })
            }
            Ask::Rollback => Command::Federation(FederationCommand::Rollback { force, apply }),
        }
    }

    /// The dialog's title.
    pub fn title(&self) -> String {
        match self {
            Ask::AddGroup { name, .. } => format!("Add {} to Staged Rollout", terminal(name)),
            Ask::RemoveGroup { name, .. } => {
                format!("Remove {} from Staged Rollout", terminal(name))
            }
            Ask::Enable => "Turn Staged Rollout for MFA on".into(),
            Ask::Disable => "Turn Staged Rollout for MFA off".into(),
            Ask::SetFederation { domain, behavior } => {
                format!("Set {} to {}", terminal(domain), behavior.short())
            }
            Ask::Rollback => "Roll back (F2)".into(),
        }
    }

    fn button(&self) -> &'static str {
        match self {
            Ask::AddGroup { .. } => "Add group",
            Ask::RemoveGroup { .. } => "Remove group",
            Ask::Enable => "Turn on",
            Ask::Disable => "Turn off",
            Ask::SetFederation { .. } => "Set",
            Ask::Rollback => "Roll back",
        }
    }

    /// The action whose availability is checked again on confirm.
    fn action(&self) -> Action {
        match self {
            Ask::AddGroup { .. } => Action::AddGroup,
            Ask::RemoveGroup { .. } => Action::RemoveGroup,
            Ask::Enable | Ask::Disable => Action::ToggleRollout,
            Ask::SetFederation { .. } => Action::SetFederation,
            Ask::Rollback => Action::Rollback,
        }
    }

    /// "adding MFA Rollout Wave 2", for the footer.
    pub fn doing(&self) -> String {
        match self {
            Ask::AddGroup { name, .. } => format!("adding {}", terminal(name)),
            Ask::RemoveGroup { name, .. } => format!("removing {}", terminal(name)),
            Ask::Enable => "turning Staged Rollout on".into(),
            Ask::Disable => "turning Staged Rollout off".into(),
            Ask::SetFederation { domain, behavior } => {
                format!("setting {} to {}", terminal(domain), behavior.graph_name())
            }
            Ask::Rollback => "rolling back".into(),
        }
    }
}

/// Where the change stands; each stage holds the request it waits for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    Idle,
    /// The what-if was sent.
    Checking {
        id: RequestId,
        ask: Ask,
        force: bool,
    },
    /// The confirmation is open; confirming sends the write whose id this is.
    Confirming { apply: RequestId, ask: Ask },
    /// A block is shown with force offered; forcing sends the forced what-if whose id
    /// this is.
    OfferingForce { check: RequestId, ask: Ask },
}

/// What a reply did, for the pane.
#[derive(Debug)]
pub struct Handled {
    pub effects: Effects,
    /// The tenant was written (the pane reads its status again).
    pub written: bool,
}

/// One pane's change in progress.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    pub stage: Stage,
}

/// The confirmation a report asks: the one rule both front ends use.
pub fn ask_for(r: &ChangeReport, production: bool) -> confirm_tier::Ask {
    confirm_tier::for_change(&r.verdict, &r.decision, &r.confirmation, production)
}

impl Flow {
    /// A change is being asked about (a what-if is out).
    pub fn busy(&self) -> Option<String> {
        match &self.stage {
            Stage::Checking { ask, .. } => Some(format!(
                "asking the interlocks about {} (what-if)",
                ask.doing()
            )),
            _ => None,
        }
    }

    /// Ask the engine what `ask` would do.
    pub fn start(&mut self, ask: Ask, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let id = fx.send(env, ask.command(false, false));
        fx.info(format!("{}: what-if first…", ask.doing()));
        self.stage = Stage::Checking {
            id,
            ask,
            force: false,
        };
        fx
    }

    /// A reply this flow waits for; `None` when it is not one of its requests.
    pub fn on_reply(&mut self, reply: &Reply, env: &Env<'_>) -> Option<Handled> {
        let t = env.theme;
        match std::mem::take(&mut self.stage) {
            Stage::Checking { id, ask, force } if id == reply.request => {
                Some(self.checked(ask, force, &reply.outcome, env))
            }
            Stage::OfferingForce { check, ask } if check == reply.request => {
                Some(self.checked(ask, true, &reply.outcome, env))
            }
            Stage::Confirming { apply, ask } if apply == reply.request => {
                let mut fx = Effects::none();
                match &reply.outcome {
                    Ok(Answer::Change(r)) if r.applied.is_empty() => {
                        fx.info(format!(
                            "{}: nothing was written, the tenant is already as asked",
                            ask.doing()
                        ));
                    }
                    Ok(Answer::Change(r)) => {
                        let writes: Vec<String> = r
                            .applied
                            .iter()
                            .map(|w| terminal(&w.what).into_owned())
                            .collect();
                        fx.info(format!("done: {}", writes.join("; ")));
                    }
                    Ok(_) => fx.warn(format!(
                        "{}: the engine answered something else",
                        ask.doing()
                    )),
                    Err(refusal) => {
                        fx.error(format!("{}: not done", ask.doing()));
                        fx.show(ask.title(), refusal_lines(refusal, t));
                    }
                }
                Some(Handled {
                    effects: fx,
                    written: true,
                })
            }
            other => {
                self.stage = other;
                None
            }
        }
    }

    /// The what-if's answer: confirm, offer force, or say why not.
    fn checked(
        &mut self,
        ask: Ask,
        force: bool,
        outcome: &Result<Answer, Refusal>,
        env: &Env<'_>,
    ) -> Handled {
        let t = env.theme;
        let mut fx = Effects::none();
        let r = match outcome {
            Ok(Answer::Change(r)) => r,
            Ok(_) => {
                fx.warn(format!(
                    "{}: the engine answered something else",
                    ask.doing()
                ));
                return Handled {
                    effects: fx,
                    written: false,
                };
            }
            Err(refusal) => {
                fx.warn(format!("{}: refused", ask.doing()));
                fx.show(ask.title(), refusal_lines(refusal, t));
                return Handled {
                    effects: fx,
                    written: false,
                };
            }
        };
        match &r.decision {
            Decision::NothingToDo => {
                fx.info(format!(
                    "nothing to do: {}",
                    r.verdict.findings.first().map_or_else(
                        || terminal(&r.blast_line).into_owned(),
                        |f| { terminal(&f.text).into_owned() }
                    )
                ));
            }
            Decision::Proceed | Decision::Forced { .. } => {
                let tier = ask_for(r, env.production);
                let apply = env.ids.request(ask.command(true, force));
                let mut lines = change_lines(r, t);
                if let Decision::Forced { past } = &r.decision {
                    lines.push(Line::raw(""));
                    lines.push(Line::styled(
                        format!(
                            "Forced past {}: the audit log records it, with your name.",
                            rule_list(past)
                        ),
                        t.warn(),
                    ));
                }
                self.stage = Stage::Confirming {
                    apply: apply.id,
                    ask: ask.clone(),
                };
                fx.confirm(
                    Confirm::new(
                        ask.title(),
                        tier,
                        lines,
                        if force {
                            format!("{} (forced)", ask.button())
                        } else {
                            ask.button().to_string()
                        },
                        vec![Effect::Send(apply)],
                    )
                    .recheck(ask.action()),
                );
            }
            Decision::Blocked { by } => {
                let check = env.ids.request(ask.command(false, true));
                let mut lines = change_lines(r, t);
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "Blocked by {}. Forcing goes past it: a second confirmation names \
                         what is forced, and the audit log records it.",
                        rule_list(by)
                    ),
                    t.warn(),
                ));
                self.stage = Stage::OfferingForce {
                    check: check.id,
                    ask: ask.clone(),
                };
                fx.warn(format!("{}: blocked by {}", ask.doing(), rule_list(by)));
                fx.confirm(
                    Confirm::new(
                        format!("Blocked by {}", rule_list(by)),
                        confirm_tier::Ask {
                            tier: confirm_tier::Tier::One,
                            type_text: None,
                        },
                        lines,
                        "Force…",
                        vec![Effect::Send(check)],
                    )
                    .recheck(ask.action()),
                );
            }
            Decision::Refused { by } => {
                let mut lines = change_lines(r, t);
                lines.push(Line::raw(""));
                lines.push(Line::styled(
                    format!(
                        "Refused by {}: Entra or the sign-in refuses this, so it cannot be \
                         forced. Nothing was written.",
                        rule_list(by)
                    ),
                    t.error(),
                ));
                fx.warn(format!("{}: refused by {}", ask.doing(), rule_list(by)));
                fx.show(format!("Refused by {}", rule_list(by)), lines);
            }
        }
        Handled {
            effects: fx,
            written: false,
        }
    }
}

fn rule_list(rules: &[crate::finding::RuleId]) -> String {
    rules
        .iter()
        .map(|r| terminal(r.as_str()).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
