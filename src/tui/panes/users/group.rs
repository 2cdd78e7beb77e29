//! Picking the migration group: `o` lists the tenant's groups as the name is typed (with
//! member counts; `tab` takes the highlighted one), `enter` looks the text up by name or
//! object id. A name that matches nothing keeps the group shown; several groups sharing
//! a name are offered to choose from.

use std::time::Duration;

use super::{Load, UsersPane, Waiting};
use crate::engine::{Answer, Command, DirectoryCommand, GroupInfo, Refusal};
use crate::tui::effect::{Effect, Effects, Suggestion};
use crate::tui::pane::Env;
use crate::tui::widgets::thousands;

/// Typing pauses this long before the groups are searched.
const SEARCH_DELAY: Duration = Duration::from_millis(150);
/// Suggestions listed at most.
const SUGGESTIONS: usize = 8;

fn label(g: &GroupInfo) -> String {
    format!(
        "{}{}{}",
        crate::safe_text::terminal(&g.display_name),
        if g.dynamic { " (dynamic)" } else { "" },
        g.members
            .map(|n| format!(" · {} members", thousands(n as usize)))
            .unwrap_or_default()
    )
}

impl UsersPane {
    /// Look a group up by name or object id (`:group`, the picker, the config's group).
    pub fn find_group(&mut self, query: String, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let id = fx.send(
            env,
            Command::Directory(DirectoryCommand::FindGroup {
                query: query.clone(),
            }),
        );
        if self.group.is_none() {
            self.load = Some(Load::Finding {
                query: query.clone(),
            });
        } else {
            fx.info(format!(
                "looking up group {:?}…",
                crate::safe_text::terminal(&query)
            ));
        }
        self.waiting.insert(id, Waiting::FindGroup(query));
        fx
    }

    /// The picker's text changed: search once typing pauses.
    pub(super) fn group_typed(&mut self, text: &str, env: &Env<'_>) -> Effects {
        self.search = text.trim().to_string();
        if self.search.is_empty() {
            self.search_due = None;
            return Effect::Suggest {
                field: "group",
                items: Vec::new(),
                note: None,
            }
            .into();
        }
        self.search_due = Some(env.instant + SEARCH_DELAY);
        Effects::none()
    }

    pub(super) fn search_groups(&mut self, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        if self.search.is_empty() {
            return fx;
        }
        let id = fx.send(
            env,
            Command::Directory(DirectoryCommand::SearchGroups {
                prefix: self.search.clone(),
            }),
        );
        self.waiting
            .insert(id, Waiting::SearchGroups(self.search.clone()));
        fx
    }

    /// Groups starting with `prefix` arrived: suggest them if it is still what is typed.
    pub(super) fn groups_listed(
        &mut self,
        prefix: &str,
        outcome: &Result<Answer, Refusal>,
        fx: &mut Effects,
    ) {
        if prefix != self.search {
            return; // typing went on since
        }
        let (items, note) = match outcome {
            Ok(Answer::Groups(groups)) => {
                let items: Vec<Suggestion> = groups
                    .iter()
                    .take(SUGGESTIONS)
                    .map(|g| Suggestion {
                        label: label(g),
                        value: g.display_name.clone(),
                    })
                    .collect();
                let note = match groups.len() {
                    0 => Some(format!(
                        "no group starts with {:?}: enter looks it up as a name or object id",
                        crate::safe_text::terminal(prefix)
                    )),
                    n if n > SUGGESTIONS => Some(format!(
                        "… {} more: keep typing · tab takes the highlighted one",
                        thousands(n - SUGGESTIONS)
                    )),
                    _ => Some("tab takes the highlighted one · enter looks the text up".into()),
                };
                (items, note)
            }
            Ok(_) => (Vec::new(), None),
            Err(e) => (Vec::new(), Some(format!("groups could not be listed: {e}"))),
        };
        fx.push(Effect::Suggest {
            field: "group",
            items,
            note,
        });
    }

    pub(super) fn groups_found(
        &mut self,
        query: String,
        mut groups: Vec<GroupInfo>,
        env: &Env<'_>,
        fx: &mut Effects,
    ) {
        match groups.len() {
            0 => match &self.group {
                // A typo keeps the group on screen.
                Some(g) => fx.warn(format!(
                    "no group named or with id {:?}: still showing {:?}",
                    crate::safe_text::terminal(&query),
                    crate::safe_text::terminal(&g.display_name)
                )),
                None => {
                    fx.warn(format!(
                        "no group named or with id {:?}",
                        crate::safe_text::terminal(&query)
                    ));
                    self.load = Some(Load::NotFound { query });
                }
            },
            1 => {
                if let Some(g) = groups.pop() {
                    fx.extend(self.load_group(g, env));
                }
            }
            _ => {
                let items = groups
                    .iter()
                    .map(|g| (format!("{}  {}", label(g), g.id), g.id.clone()))
                    .collect();
                self.candidates = groups;
                fx.push(Effect::Choose {
                    field: "group-pick",
                    title: format!(
                        "Several groups are named {:?}: pick one",
                        crate::safe_text::terminal(&query)
                    ),
                    items,
                });
            }
        }
    }

    /// Load a group's members: everything of the group shown before goes.
    pub(super) fn load_group(&mut self, g: GroupInfo, env: &Env<'_>) -> Effects {
        let mut fx = Effects::none();
        let group_id = g.id.clone();
        self.begin(g);
        let id = fx.send(
            env,
            Command::Directory(DirectoryCommand::LoadMembers { group_id }),
        );
        self.waiting.insert(id, Waiting::Load);
        fx
    }
}
