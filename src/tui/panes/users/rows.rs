//! The members of the migration group as data: one [`Row`] per Entra member with what
//! the engine has told about it, an id index, and a lower-case search text of every
//! row in one buffer so a filter over 500,000 rows is a single substring scan.

use std::collections::HashMap;
use std::sync::Arc;

use crate::datafile::{DataSet, Known};
use crate::engine::{Member, UserStatus};
use crate::migrate::{Match, Plan, UserSkip};

/// What the TUI knows of a member's Entra methods.
#[derive(Debug, Clone, PartialEq)]
pub enum EntraState {
    NotRead,
    /// Asked for in the latest `ReadMethods`.
    Requested,
    /// The methods, and which the methods policy lets the user use.
    Read(Box<crate::engine::UserMethods>),
    Failed(String),
}

/// One member of the group.
#[derive(Debug, Clone)]
pub struct Row {
    pub member: Member,
    pub entra: EntraState,
    /// The latest status of a dry run or migration.
    pub status: Option<UserStatus>,
    /// The latest plan seen for this user (kept when the status moves on to writing).
    pub plan: Option<Arc<Plan>>,
    pub marked: bool,
}

impl Row {
    pub fn id(&self) -> &str {
        &self.member.entra.id
    }

    pub fn upn(&self) -> &str {
        &self.member.entra.upn
    }
}

/// Words a filter matches against a row's state, as bits.
pub const WORDS: &[(&str, u16)] = &[
    ("matched", 1 << 0),
    ("unmatched", 1 << 1),
    ("conflict", 1 << 2),
    ("disabled", 1 << 3),
    ("marked", 1 << 4),
    ("queued", 1 << 5),
    ("reading", 1 << 6),
    ("planned", 1 << 7),
    ("skipped", 1 << 8),
    ("writing", 1 << 9),
    ("verified", 1 << 10),
    ("mismatch", 1 << 11),
    ("failed", 1 << 12),
    ("unchanged", 1 << 13),
    ("reregister", 1 << 14),
];

/// Bits of the status words a filter term picks: a prefix of at least three letters.
pub fn word_mask(term: &str) -> u16 {
    if term.chars().count() < 3 {
        return 0;
    }
    WORDS
        .iter()
        .filter(|(w, _)| w.starts_with(term))
        .fold(0, |m, (_, b)| m | b)
}

fn bit(word: &str) -> u16 {
    WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, b)| *b)
        .unwrap_or(0)
}

/// A member's status words.
pub fn row_bits(row: &Row, data: Option<&DataSet>) -> u16 {
    let mut bits = 0;
    match &row.member.matched {
        Match::Matched { user, .. } => {
            bits |= bit("matched");
            if let Some(u) = data.and_then(|d| d.user(*user))
                && u.enabled() == Known::Known(false)
            {
                bits |= bit("disabled");
            }
        }
        Match::NotInMfaServer => bits |= bit("unmatched"),
        Match::Conflict { .. } => bits |= bit("conflict"),
    }
    if row.marked {
        bits |= bit("marked");
    }
    bits |= match &row.status {
        None => 0,
        Some(UserStatus::Queued) => bit("queued"),
        Some(UserStatus::Reading) => bit("reading"),
        Some(UserStatus::Planned { .. }) => bit("planned"),
        Some(UserStatus::Skipped { skip }) => {
            bit("skipped")
                | match skip {
                    UserSkip::Unchanged { .. } => bit("unchanged"),
                    UserSkip::DisabledInMfaServer { .. } => bit("disabled"),
                    UserSkip::Conflict { .. } => bit("conflict"),
                    UserSkip::NotInMfaServer => bit("unmatched"),
                }
        }
        Some(UserStatus::Writing { .. }) => bit("writing"),
        Some(UserStatus::Verified) => bit("verified"),
        Some(UserStatus::Mismatch { .. }) => bit("mismatch"),
        Some(UserStatus::Failed { .. }) => bit("failed"),
    };
    if row.plan.as_deref().is_some_and(Plan::must_reregister_app) {
        bits |= bit("reregister");
    }
    bits
}

/// All rows, their ids, their search text and status words.
#[derive(Debug, Default)]
pub struct Rows {
    rows: Vec<Row>,
    /// Entra object ids are GUIDs: 16-byte keys instead of strings.
    by_guid: HashMap<u128, u32>,
    by_other_id: HashMap<String, u32>,
    /// Lower-case `upn \x1f username \x1f display name \n` of every row, back to back.
    hay: String,
    /// Start of each row in `hay`, plus the end.
    starts: Vec<u32>,
    bits: Vec<u16>,
    marked: usize,
    /// Widest UPN so far, in characters (column widths follow it).
    pub max_upn: usize,
}

pub const FIELD: char = '\u{1f}';

impl Rows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn clear(&mut self) {
        *self = Rows::default();
    }

    pub fn get(&self, i: u32) -> Option<&Row> {
        self.rows.get(i as usize)
    }

    pub fn all(&self) -> &[Row] {
        &self.rows
    }

    pub fn marked(&self) -> usize {
        self.marked
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        match uuid::Uuid::parse_str(id) {
            Ok(g) => self.by_guid.get(&g.as_u128()).copied(),
            Err(_) => self.by_other_id.get(id).copied(),
        }
    }

    /// Append a page; returns the index of its first row.
    /// Add a page of members; a member already listed (the group loaded again, for a
    /// sync cycle or a refresh) is updated in place, never listed twice. Returns the
    /// index of the first new row.
    pub fn push_page(&mut self, page: Vec<Member>, data: Option<&DataSet>) -> u32 {
        let first = self.rows.len() as u32;
        self.rows.reserve(page.len());
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        let mut changed = false;
        for member in page {
            if let Some(i) = self.find(&member.entra.id) {
                if let Some(row) = self.rows.get_mut(i as usize)
                    && row.member != member
                {
                    row.member = member;
                    changed = true;
                }
                continue;
            }
            let i = self.rows.len() as u32;
            match uuid::Uuid::parse_str(&member.entra.id) {
                Ok(g) => {
                    self.by_guid.insert(g.as_u128(), i);
                }
                Err(_) => {
                    self.by_other_id.insert(member.entra.id.clone(), i);
                }
            }
            self.max_upn = self.max_upn.max(member.entra.upn.chars().count());
            let row = Row {
                member,
                entra: EntraState::NotRead,
                status: None,
                plan: None,
                marked: false,
            };
            push_hay(&mut self.hay, &row, data);
            self.starts.push(self.hay.len() as u32);
            self.bits.push(row_bits(&row, data));
            self.rows.push(row);
        }
        if changed {
            self.rebuild_derived(data);
        }
        first
    }

    /// The MFA Server side arrived or changed: usernames and disabled flags follow.
    pub fn rebuild_derived(&mut self, data: Option<&DataSet>) {
        self.hay.clear();
        self.starts.clear();
        self.starts.push(0);
        self.bits.clear();
        for row in &self.rows {
            push_hay(&mut self.hay, row, data);
            self.starts.push(self.hay.len() as u32);
            self.bits.push(row_bits(row, data));
        }
    }

    /// Change a row and refresh its status words; returns whether the row existed.
    pub fn update(&mut self, i: u32, data: Option<&DataSet>, f: impl FnOnce(&mut Row)) -> bool {
        let Some(row) = self.rows.get_mut(i as usize) else {
            return false;
        };
        let was_marked = row.marked;
        f(row);
        match (was_marked, row.marked) {
            (false, true) => self.marked += 1,
            (true, false) => self.marked -= 1,
            _ => {}
        }
        if let Some(b) = self.bits.get_mut(i as usize) {
            *b = row_bits(row, data);
        }
        true
    }

    /// The search text of row `i`.
    pub fn hay(&self, i: u32) -> &str {
        let i = i as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&s), Some(&e)) => self.hay.get(s as usize..e as usize).unwrap_or(""),
            _ => "",
        }
    }

    /// The lower-case UPN of row `i` (its sort key).
    pub fn upn_key(&self, i: u32) -> &str {
        let h = self.hay(i);
        h.split(FIELD).next().unwrap_or(h)
    }

    pub fn bits(&self, i: u32) -> u16 {
        self.bits.get(i as usize).copied().unwrap_or(0)
    }

    pub fn all_bits(&self) -> &[u16] {
        &self.bits
    }

    /// The whole search text and row starts (for one-pass filtering).
    pub fn haystack(&self) -> (&str, &[u32]) {
        (&self.hay, &self.starts)
    }
}

fn push_hay(hay: &mut String, row: &Row, data: Option<&DataSet>) {
    let e = &row.member.entra;
    push_lower(hay, &e.upn);
    hay.push(FIELD);
    if let Match::Matched { user, .. } = &row.member.matched
        && let Some(u) = data.and_then(|d| d.user(*user))
    {
        push_lower(hay, u.username());
    }
    hay.push(FIELD);
    if let Some(name) = &e.display_name {
        push_lower(hay, name);
    }
    hay.push('\n');
}

fn push_lower(hay: &mut String, s: &str) {
    // Separators never come from data: a value holding one cannot forge a field.
    if s.is_ascii() {
        hay.extend(
            s.bytes()
                .filter(|b| *b != b'\n' && *b != 0x1f)
                .map(|b| b.to_ascii_lowercase() as char),
        );
    } else {
        hay.extend(
            s.chars()
                .filter(|c| *c != '\n' && *c != FIELD)
                .flat_map(char::to_lowercase),
        );
    }
}
