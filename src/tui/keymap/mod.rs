//! Keymaps: the embedded defaults (`keymaps/*.toml`) with the user's overrides merged per
//! action, validated as a whole.
//!
//! A keymap file has one table per [`Context`] and `action = ["key", …]` entries;
//! `action = []` unbinds. An override replaces the binding list of the action it names
//! in that table and nothing else. Loading reports *every* problem — syntax, unknown
//! table, unknown action, action in the wrong table, unparseable key, not a list, a key
//! bound to two actions that are live together, an action left with only keys that
//! terminals swallow, a key a terminal cannot tell from another (ctrl+m is enter, ctrl+i
//! tab, ctrl+[ esc) — each with file, line, the bad value and what was expected.
//! Defaults are never written to the user's directory.

pub mod key;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

pub use key::{KEY_SYNTAX, Key, KeyName};

use super::action::{Action, Context};

/// The keymaps shipped in the binary: name and text.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../../keymaps/default.toml")),
    ("arrows", include_str!("../../../keymaps/arrows.toml")),
];

/// The user's override file in the config dir.
pub const USER_FILE: &str = "keymap.toml";

/// Where a binding came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Kinds of keymap problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// Not TOML.
    Syntax,
    UnknownContext,
    /// A table that is not a table (`users = 3`).
    NotATable,
    UnknownAction,
    /// A known action in a table where it cannot work.
    WrongContext,
    /// A value that is not a list of key strings.
    NotAList,
    BadKey,
    /// One key, two actions that are live together.
    Conflict,
    /// Only keys that tmux, terminals or SSH clients tend to swallow.
    RiskyOnly,
}

impl ProblemKind {
    fn what(self) -> &'static str {
        match self {
            ProblemKind::Syntax => "not valid TOML",
            ProblemKind::UnknownContext => "unknown table",
            ProblemKind::NotATable => "not a table",
            ProblemKind::UnknownAction => "unknown action",
            ProblemKind::WrongContext => "action not allowed in this table",
            ProblemKind::NotAList => "not a list of keys",
            ProblemKind::BadKey => "unparseable key",
            ProblemKind::Conflict => "key bound twice",
            ProblemKind::RiskyOnly => "only keys that terminals often swallow",
        }
    }
}

/// One problem in a keymap file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapProblem {
    pub origin: Origin,
    pub kind: ProblemKind,
    /// The bad value as written.
    pub value: String,
    pub expected: String,
}

impl fmt::Display for KeymapProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {:?}: expected {}",
            self.origin,
            self.kind.what(),
            self.value,
            self.expected
        )
    }
}

/// Why no keymap could be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{}", list(.0))]
    Problems(Vec<KeymapProblem>),
    #[error("keymap {value:?}: expected {expected}")]
    UnknownName { value: String, expected: String },
    #[error("cannot read keymap {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn list(problems: &[KeymapProblem]) -> String {
    let mut s = format!("{} problem(s) in the keymap:", problems.len());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    s
}

/// One file's text and how to name it in reports.
#[derive(Debug, Clone)]
pub struct Layer {
    pub file: String,
    pub text: String,
}

#[derive(Debug, Clone)]
struct Entry {
    keys: Vec<Key>,
    origin: Origin,
    /// Set by an override layer (conflicts are reported at the user's line).
    overridden: bool,
}

/// The live keymap: key → action per context, and the keys of each action for display.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: HashMap<(Context, Key), Action>,
    by_action: BTreeMap<(Context, Action), Vec<Key>>,
    /// The files merged, base first (help shows them).
    pub sources: Vec<String>,
}

impl Keymap {
    /// A shipped keymap by name, without user overrides.
    pub fn builtin(name: &str) -> Result<Keymap, KeymapError> {
        let base = builtin_layer(name)?;
        Keymap::from_layers(&[base]).map_err(KeymapError::Problems)
    }

    /// The keymap to run with: `choice` is `--keymap` (a shipped name, or a file of
    /// overrides); otherwise the default plus `<config dir>/keymap.toml` when present.
    pub fn load(choice: Option<&str>, config_dir: Option<&Path>) -> Result<Keymap, KeymapError> {
        let user_file = config_dir.map(|d| d.join(USER_FILE));
        let (base, overrides) = match choice {
            None => ("default", user_file),
            Some(name) if BUILTIN.iter().any(|(n, _)| *n == name) => (name, user_file),
            Some(path) if looks_like_path(path) => ("default", Some(PathBuf::from(path))),
            Some(other) => {
                return Err(KeymapError::UnknownName {
                    value: other.to_string(),
                    expected: format!(
                        "one of {} or a path to a .toml file",
                        BUILTIN
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        };
        let mut layers = vec![builtin_layer(base)?];
        if let Some(path) = overrides {
            let explicit = choice.is_some_and(looks_like_path);
            // Bounded: a regular file of at most 1 MiB (a FIFO or /dev/zero is refused).
            match crate::fsx::read_bounded_text(&path, crate::fsx::ReadKind::Keymap) {
                Ok(text) => layers.push(Layer {
                    file: path.display().to_string(),
                    text,
                }),
                Err(e) if e.is_not_found() && !explicit => {}
                Err(e) => {
                    return Err(KeymapError::Read {
                        path,
                        source: std::io::Error::other(e.reason()),
                    });
                }
            }
        }
        Keymap::from_layers(&layers).map_err(KeymapError::Problems)
    }

    /// Merge layers (first = base) per action and validate the result.
    pub fn from_layers(layers: &[Layer]) -> Result<Keymap, Vec<KeymapProblem>> {
        let mut problems = Vec::new();
        let mut entries: BTreeMap<(Context, Action), Entry> = BTreeMap::new();
        for (i, layer) in layers.iter().enumerate() {
            for ((ctx, action), mut entry) in parse_layer(layer, &mut problems) {
                entry.overridden = i > 0;
                entries.insert((ctx, action), entry);
            }
        }
        check_conflicts(&entries, &mut problems);
        for ((_, action), e) in &entries {
            if !e.keys.is_empty() && e.keys.iter().all(Key::is_risky) {
                problems.push(KeymapProblem {
                    origin: e.origin.clone(),
                    kind: ProblemKind::RiskyOnly,
                    value: format!("{} = {}", action.name(), show_keys(&e.keys)),
                    expected: "also a plain key: tmux/screen prefixes, terminals and SSH \
                               clients often swallow alt+…, F-keys, ctrl+a, ctrl+b, \
                               ctrl+space, ctrl+tab"
                        .into(),
                });
            }
        }
        if !problems.is_empty() {
            problems.sort_by(|a, b| {
                (&a.origin.file, a.origin.line, a.kind).cmp(&(
                    &b.origin.file,
                    b.origin.line,
                    b.kind,
                ))
            });
            return Err(problems);
        }
        let mut by_key = HashMap::new();
        let mut by_action = BTreeMap::new();
        for ((ctx, action), e) in entries {
            for k in &e.keys {
                by_key.insert((ctx, *k), action);
            }
            by_action.insert((ctx, action), e.keys);
        }
        Ok(Keymap {
            by_key,
            by_action,
            sources: layers.iter().map(|l| l.file.clone()).collect(),
        })
    }

    /// The action of `key`, looking through `stack` (most specific context first).
    pub fn action(&self, stack: &[Context], key: Key) -> Option<Action> {
        stack
            .iter()
            .find_map(|ctx| self.by_key.get(&(*ctx, key)).copied())
    }

    /// The keys of `action` in the first context of `stack` that binds it.
    pub fn keys(&self, stack: &[Context], action: Action) -> &[Key] {
        stack
            .iter()
            .find_map(|ctx| {
                self.by_action
                    .get(&(*ctx, action))
                    .filter(|k| !k.is_empty())
            })
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// `j/down` style text of an action's keys, or `None` when unbound.
    pub fn describe(&self, stack: &[Context], action: Action) -> Option<String> {
        let keys = self.keys(stack, action);
        (!keys.is_empty()).then(|| {
            keys.iter()
                .map(Key::to_string)
                .collect::<Vec<_>>()
                .join("/")
        })
    }

    /// The actions bound in `ctx`, in help order.
    pub fn bound_in(&self, ctx: Context) -> impl Iterator<Item = (Action, &[Key])> {
        Action::in_context(ctx).filter_map(move |a| {
            self.by_action
                .get(&(ctx, a))
                .filter(|k| !k.is_empty())
                .map(|k| (a, k.as_slice()))
        })
    }
}

fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains('\\') || s.ends_with(".toml")
}

fn builtin_layer(name: &str) -> Result<Layer, KeymapError> {
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| Layer {
            file: format!("keymaps/{n}.toml (built in)"),
            text: (*text).to_string(),
        })
        .ok_or_else(|| KeymapError::UnknownName {
            value: name.to_string(),
            expected: BUILTIN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn show_keys(keys: &[Key]) -> String {
    let inner: Vec<String> = keys
        .iter()
        .map(|k| format!("{:?}", k.to_string()))
        .collect();
    format!("[{}]", inner.join(", "))
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn parse_layer(
    layer: &Layer,
    problems: &mut Vec<KeymapProblem>,
) -> Vec<((Context, Action), Entry)> {
    let text = layer.text.as_str();
    let at = |offset: usize| Origin {
        file: layer.file.clone(),
        line: line_of(text, offset),
    };
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let excerpt = text
                .lines()
                .nth(line_of(text, offset).saturating_sub(1))
                .unwrap_or("")
                .trim()
                .to_string();
            problems.push(KeymapProblem {
                origin: at(offset),
                kind: ProblemKind::Syntax,
                value: excerpt,
                expected: format!(
                    "TOML tables of `action = [\"key\", …]` ({})",
                    e.message().trim()
                ),
            });
            return Vec::new();
        }
    };
    let contexts = Context::ALL.map(|c| c.name()).join(", ");
    let mut out = Vec::new();
    for (table_name, table) in doc.get_ref() {
        let name = table_name.get_ref().as_ref();
        let Some(ctx) = Context::from_name(name) else {
            problems.push(KeymapProblem {
                origin: at(table_name.span().start),
                kind: ProblemKind::UnknownContext,
                value: name.to_string(),
                expected: format!("one of the tables {contexts}"),
            });
            continue;
        };
        let DeValue::Table(entries) = table.get_ref() else {
            problems.push(KeymapProblem {
                origin: at(table.span().start),
                kind: ProblemKind::NotATable,
                value: name.to_string(),
                expected: format!("[{name}] followed by `action = [\"key\", …]` lines"),
            });
            continue;
        };
        for (action_name, value) in entries {
            let aname = action_name.get_ref().as_ref();
            let origin = at(action_name.span().start);
            let allowed = || {
                Action::in_context(ctx)
                    .map(Action::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let Some(action) = Action::from_name(aname) else {
                problems.push(KeymapProblem {
                    origin,
                    kind: ProblemKind::UnknownAction,
                    value: aname.to_string(),
                    expected: format!("an action of [{}]: {}", ctx.name(), allowed()),
                });
                continue;
            };
            if !action.allowed_in(ctx) {
                let homes: Vec<&str> = action.info().contexts.iter().map(|c| c.name()).collect();
                problems.push(KeymapProblem {
                    origin,
                    kind: ProblemKind::WrongContext,
                    value: aname.to_string(),
                    expected: format!(
                        "`{aname}` in [{}]; [{}] takes {}",
                        homes.join("] or ["),
                        ctx.name(),
                        allowed()
                    ),
                });
                continue;
            }
            let items: Vec<(String, usize)> = match value.get_ref() {
                DeValue::String(s) => vec![(s.to_string(), value.span().start)],
                DeValue::Array(arr) => {
                    let mut items = Vec::new();
                    let mut ok = true;
                    for item in arr.iter() {
                        match item.get_ref() {
                            DeValue::String(s) => items.push((s.to_string(), item.span().start)),
                            _ => ok = false,
                        }
                    }
                    if !ok {
                        problems.push(not_a_list(
                            at(value.span().start),
                            aname,
                            text,
                            value.span(),
                        ));
                        continue;
                    }
                    items
                }
                _ => {
                    problems.push(not_a_list(
                        at(value.span().start),
                        aname,
                        text,
                        value.span(),
                    ));
                    continue;
                }
            };
            let mut keys = Vec::new();
            let mut bad = false;
            for (item, offset) in items {
                match Key::parse(&item) {
                    Ok(k) => {
                        if !keys.contains(&k) {
                            keys.push(k);
                        }
                    }
                    Err(why) => {
                        bad = true;
                        problems.push(KeymapProblem {
                            origin: at(offset),
                            kind: ProblemKind::BadKey,
                            value: item,
                            expected: format!("{KEY_SYNTAX}; {why}"),
                        });
                    }
                }
            }
            if !bad {
                out.push((
                    (ctx, action),
                    Entry {
                        keys,
                        origin,
                        overridden: false,
                    },
                ));
            }
        }
    }
    out
}

fn not_a_list(
    origin: Origin,
    action: &str,
    text: &str,
    span: std::ops::Range<usize>,
) -> KeymapProblem {
    KeymapProblem {
        origin,
        kind: ProblemKind::NotAList,
        value: text.get(span).unwrap_or("").to_string(),
        expected: format!("a list of keys, e.g. {action} = [\"j\", \"down\"], or [] to unbind"),
    }
}

fn check_conflicts(
    entries: &BTreeMap<(Context, Action), Entry>,
    problems: &mut Vec<KeymapProblem>,
) {
    let mut reported = BTreeSet::new();
    for top in Context::ALL {
        let mut seen: HashMap<Key, (Context, Action, &Entry)> = HashMap::new();
        for ctx in top.stack() {
            for ((c, action), entry) in entries.range((*ctx, Action::Quit)..) {
                if c != ctx {
                    break;
                }
                for key in &entry.keys {
                    match seen.get(key) {
                        None => {
                            seen.insert(*key, (*c, *action, entry));
                        }
                        Some((oc, oa, oe)) if oa != action => {
                            let pair = (*key, (*oa).min(*action), (*oa).max(*action));
                            if !reported.insert(pair) {
                                continue;
                            }
                            // Report at the user's override when one is involved, else
                            // at the later line.
                            let (here, there, ha, ta, hc, tc) = if entry.overridden
                                && !oe.overridden
                                || (entry.overridden == oe.overridden
                                    && entry.origin.line >= oe.origin.line)
                            {
                                (entry, *oe, *action, *oa, *c, *oc)
                            } else {
                                (*oe, entry, *oa, *action, *oc, *c)
                            };
                            problems.push(KeymapProblem {
                                origin: here.origin.clone(),
                                kind: ProblemKind::Conflict,
                                value: key.to_string(),
                                expected: format!(
                                    "one action per key where both work: {key:?} is bound to \
                                     `{}` in [{}] here and to `{}` in [{}] at {}",
                                    ha.name(),
                                    hc.name(),
                                    ta.name(),
                                    tc.name(),
                                    there.origin
                                )
                                .replace(&format!("{key:?}"), &format!("\"{key}\"")),
                            });
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
