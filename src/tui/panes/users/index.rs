//! Which rows the users table shows, in which order: filter and sort (either way) over
//! indices, never over copies of rows.
//!
//! A filter is whitespace-separated terms, all of which must match; a term matches a
//! row whose UPN, MFA Server username or display name contains it (case-insensitive),
//! or whose status words start with it (`fail` → failed). Typing more of a term only
//! narrows the shown rows; anything else scans the one search buffer of [`Rows`].
//! New pages are merged into the order by binary search, so streaming members never
//! re-sorts 500,000 rows.

use std::cmp::Ordering;

use memchr::memmem;

use super::rows::{Rows, word_mask};
use crate::engine::UserStatus;
use crate::migrate::{Match, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// As Graph listed the members.
    #[default]
    Arrival,
    Upn,
    /// Failed first, then mismatches, work in progress, planned, skipped, verified.
    Status,
    /// Conflicts, unmatched, then by rule (M1, M2, M3).
    Match,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Arrival,
        SortKey::Upn,
        SortKey::Status,
        SortKey::Match,
    ];

    pub fn next(self) -> SortKey {
        match self {
            SortKey::Arrival => SortKey::Upn,
            SortKey::Upn => SortKey::Status,
            SortKey::Status => SortKey::Match,
            SortKey::Match => SortKey::Arrival,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Arrival => "arrival",
            SortKey::Upn => "upn",
            SortKey::Status => "status",
            SortKey::Match => "match",
        }
    }

    pub fn from_name(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.name() == s)
    }
}

#[derive(Debug, Clone)]
struct Term {
    text: String,
    finder: memmem::Finder<'static>,
    mask: u16,
}

fn terms_of(text: &str) -> Vec<Term> {
    text.split_whitespace()
        .map(|t| {
            let text = t.to_lowercase();
            Term {
                finder: memmem::Finder::new(text.as_bytes()).into_owned(),
                mask: word_mask(&text),
                text,
            }
        })
        .collect()
}

fn status_rank(s: Option<&UserStatus>) -> u8 {
    match s {
        Some(UserStatus::Failed { .. }) => 0,
        Some(UserStatus::Mismatch { .. }) => 1,
        Some(UserStatus::Writing { .. }) => 2,
        Some(UserStatus::Reading) => 3,
        Some(UserStatus::Queued) => 4,
        Some(UserStatus::Planned { .. }) => 5,
        Some(UserStatus::Skipped { .. }) => 6,
        Some(UserStatus::Verified) => 7,
        None => 8,
    }
}

fn match_rank(m: &Match) -> u8 {
    match m {
        Match::Conflict { .. } => 0,
        Match::NotInMfaServer => 1,
        Match::Matched { by: Rule::M1, .. } => 2,
        Match::Matched { by: Rule::M2, .. } => 3,
        Match::Matched { by: Rule::M3, .. } => 4,
        Match::Matched { .. } => 5,
    }
}

/// Filter and sort state plus the resulting row indices.
#[derive(Debug, Default)]
pub struct ViewIndex {
    sort: SortKey,
    /// Descending.
    desc: bool,
    text: String,
    terms: Vec<Term>,
    /// Every row in sort order; empty in arrival order (the order is the index).
    order: Vec<u32>,
    visible: Vec<u32>,
    /// A status change may have moved rows (status sort, status-word filter).
    stale: bool,
}

impl ViewIndex {
    pub fn visible(&self) -> &[u32] {
        &self.visible
    }

    pub fn sort(&self) -> SortKey {
        self.sort
    }

    pub fn descending(&self) -> bool {
        self.desc
    }

    /// Arrival order, ascending: the order is the row index itself.
    fn natural(&self) -> bool {
        self.sort == SortKey::Arrival && !self.desc
    }

    pub fn filter_text(&self) -> &str {
        &self.text
    }

    pub fn is_filtered(&self) -> bool {
        !self.terms.is_empty()
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    pub fn clear(&mut self) {
        self.order.clear();
        self.visible.clear();
        self.stale = false;
    }

    fn cmp(&self, rows: &Rows, a: u32, b: u32) -> Ordering {
        let by = match self.sort {
            SortKey::Arrival => Ordering::Equal,
            SortKey::Upn => rows.upn_key(a).cmp(rows.upn_key(b)),
            SortKey::Status => {
                let s = |i| status_rank(rows.get(i).and_then(|r| r.status.as_ref()));
                s(a).cmp(&s(b))
            }
            SortKey::Match => {
                let m = |i| {
                    rows.get(i)
                        .map(|r| match_rank(&r.member.matched))
                        .unwrap_or(9)
                };
                m(a).cmp(&m(b))
                    .then_with(|| rows.upn_key(a).cmp(rows.upn_key(b)))
            }
        };
        let o = by.then(a.cmp(&b));
        if self.desc { o.reverse() } else { o }
    }

    fn matches(&self, rows: &Rows, i: u32) -> bool {
        let hay = rows.hay(i).as_bytes();
        let bits = rows.bits(i);
        self.terms
            .iter()
            .all(|t| bits & t.mask != 0 || t.finder.find(hay).is_some())
    }

    pub fn set_sort(&mut self, sort: SortKey, rows: &Rows) {
        self.set_order(sort, self.desc, rows);
    }

    /// Sort by `sort`, descending or not.
    pub fn set_order(&mut self, sort: SortKey, desc: bool, rows: &Rows) {
        if sort != self.sort || desc != self.desc {
            self.sort = sort;
            self.desc = desc;
            self.rebuild(rows);
        }
    }

    /// Apply a new filter text; returns whether it changed.
    pub fn set_filter(&mut self, text: &str, rows: &Rows) -> bool {
        if text == self.text {
            return false;
        }
        let new = terms_of(text);
        let narrows = !self.terms.is_empty()
            && new.len() >= self.terms.len()
            && self
                .terms
                .iter()
                .zip(&new)
                .all(|(old, new)| new.text.contains(&old.text) && new.mask & !old.mask == 0);
        self.text = text.to_string();
        self.terms = new;
        if narrows && !self.stale {
            let visible = std::mem::take(&mut self.visible);
            self.visible = visible
                .into_iter()
                .filter(|&i| self.matches(rows, i))
                .collect();
        } else {
            self.rebuild_visible(rows);
        }
        true
    }

    /// Order and filter everything again.
    pub fn rebuild(&mut self, rows: &Rows) {
        self.order.clear();
        match self.sort {
            SortKey::Arrival if !self.desc => {}
            SortKey::Arrival => self.order = (0..rows.len() as u32).rev().collect(),
            SortKey::Upn => {
                let mut keyed: Vec<(&str, u32)> = (0..rows.len() as u32)
                    .map(|i| (rows.upn_key(i), i))
                    .collect();
                keyed.sort_unstable();
                if self.desc {
                    keyed.reverse();
                }
                self.order = keyed.into_iter().map(|(_, i)| i).collect();
            }
            SortKey::Status | SortKey::Match => {
                let mut order: Vec<u32> = (0..rows.len() as u32).collect();
                order.sort_unstable_by(|&a, &b| self.cmp(rows, a, b));
                self.order = order;
            }
        }
        self.rebuild_visible(rows);
    }

    fn rebuild_visible(&mut self, rows: &Rows) {
        self.stale = false;
        let n = rows.len() as u32;
        if self.terms.is_empty() {
            self.visible = if self.natural() {
                (0..n).collect()
            } else {
                self.order.clone()
            };
            return;
        }
        let hit = self.first_term_hits(rows);
        let keep = |i: u32| {
            hit.get(i as usize).copied().unwrap_or(false)
                && self.terms[1..].iter().all(|t| {
                    rows.bits(i) & t.mask != 0 || t.finder.find(rows.hay(i).as_bytes()).is_some()
                })
        };
        self.visible = if self.natural() {
            (0..n).filter(|&i| keep(i)).collect()
        } else {
            self.order.iter().copied().filter(|&i| keep(i)).collect()
        };
    }

    /// Rows the first term matches: one scan of the whole search buffer, skipping to
    /// the next row after each hit, plus the rows whose status words it names.
    fn first_term_hits(&self, rows: &Rows) -> Vec<bool> {
        let mut hit = vec![false; rows.len()];
        let Some(term) = self.terms.first() else {
            return hit;
        };
        if term.mask != 0 {
            for (i, b) in rows.all_bits().iter().enumerate() {
                if b & term.mask != 0 {
                    hit[i] = true;
                }
            }
        }
        let (hay, starts) = rows.haystack();
        let bytes = hay.as_bytes();
        let mut pos = 0usize;
        let mut row = 0usize;
        while pos < bytes.len() {
            let Some(off) = term.finder.find(&bytes[pos..]) else {
                break;
            };
            let at = (pos + off) as u32;
            // Rows only move forward: step to the row holding `at` (the last start
            // <= at). Over a whole scan that is one pass over `starts`, however many
            // hits there are.
            while starts.get(row + 1).is_some_and(|&s| s <= at) {
                row += 1;
            }
            if let Some(h) = hit.get_mut(row) {
                *h = true;
            }
            match starts.get(row + 1) {
                Some(&next) => pos = next as usize,
                None => break,
            }
            row += 1;
        }
        hit
    }

    /// Rows `first..` were appended.
    pub fn rows_added(&mut self, first: u32, rows: &Rows) {
        let n = rows.len() as u32;
        if first >= n {
            return;
        }
        if self.natural() {
            let filtered = !self.terms.is_empty();
            let new: Vec<u32> = (first..n)
                .filter(|&i| !filtered || self.matches(rows, i))
                .collect();
            self.visible.extend(new);
            return;
        }
        let mut new: Vec<u32> = (first..n).collect();
        new.sort_unstable_by(|&a, &b| self.cmp(rows, a, b));
        let order = std::mem::take(&mut self.order);
        self.order = self.merge(rows, order, &new);
        let shown: Vec<u32> = new
            .into_iter()
            .filter(|&i| self.terms.is_empty() || self.matches(rows, i))
            .collect();
        let visible = std::mem::take(&mut self.visible);
        self.visible = self.merge(rows, visible, &shown);
    }

    /// Merge sorted `new` into sorted `base` by binary search.
    fn merge(&self, rows: &Rows, base: Vec<u32>, new: &[u32]) -> Vec<u32> {
        if new.is_empty() {
            return base;
        }
        let mut out = Vec::with_capacity(base.len() + new.len());
        let mut start = 0;
        for &r in new {
            let pos =
                start + base[start..].partition_point(|&x| self.cmp(rows, x, r) == Ordering::Less);
            out.extend_from_slice(&base[start..pos]);
            out.push(r);
            start = pos;
        }
        out.extend_from_slice(&base[start..]);
        out
    }

    /// Where row `r` is shown, if it is.
    pub fn position(&self, rows: &Rows, r: u32) -> Option<usize> {
        let pos = if self.natural() {
            self.visible.partition_point(|&x| x < r)
        } else {
            self.visible
                .partition_point(|&x| self.cmp(rows, x, r) == Ordering::Less)
        };
        if self.visible.get(pos) == Some(&r) {
            return Some(pos);
        }
        // A status order that is stale until its throttled rebuild: look it up.
        self.visible.iter().position(|&x| x == r)
    }

    /// A row's status or mark changed: it may have moved or entered/left the filter.
    pub fn row_changed(&mut self) {
        if self.sort == SortKey::Status || self.terms.iter().any(|t| t.mask != 0) {
            self.stale = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datafile::UserIdx;
    use crate::engine::Member;
    use crate::migrate::EntraUser;

    fn member(i: usize, upn: &str) -> Member {
        Member {
            entra: std::sync::Arc::new(EntraUser {
                id: format!("00000000-0000-0000-0000-{i:012}"),
                upn: upn.into(),
                display_name: Some(format!("Person {i}")),
                ..Default::default()
            }),
            matched: if i.is_multiple_of(3) {
                Match::NotInMfaServer
            } else {
                Match::Matched {
                    user: UserIdx(i as u32),
                    by: Rule::M1,
                }
            },
        }
    }

    fn rows(upns: &[&str]) -> Rows {
        let mut r = Rows::default();
        r.push_page(
            upns.iter().enumerate().map(|(i, u)| member(i, u)).collect(),
            None,
        );
        r
    }

    #[test]
    fn filters_by_substring_status_word_and_all_terms() {
        let rows = rows(&[
            "Zoe@contoso.com",
            "ann@contoso.com",
            "bob@fabrikam.com",
            "ANNA@fabrikam.com",
        ]);
        let mut v = ViewIndex::default();
        v.rebuild(&rows);
        assert_eq!(v.visible(), [0, 1, 2, 3]);
        v.set_filter("ann", &rows);
        assert_eq!(v.visible(), [1, 3]);
        v.set_filter("ann fab", &rows);
        assert_eq!(v.visible(), [3]);
        v.set_filter("unmatched", &rows);
        assert_eq!(v.visible(), [0, 3]);
        v.set_filter("person 2", &rows);
        assert_eq!(v.visible(), [2]);
        v.set_filter("", &rows);
        assert_eq!(v.visible(), [0, 1, 2, 3]);
    }

    #[test]
    fn narrowing_a_short_term_into_a_status_word_still_finds_it() {
        // "fa" (no status words) then "fai" (failed): rows that are failed but
        // contain no "fai" must appear, so this cannot be a mere narrowing.
        let mut rows = rows(&["fax@x.com", "zed@x.com"]);
        rows.update(1, None, |r| {
            r.status = Some(UserStatus::Failed {
                error: "boom".into(),
                retryable: true,
            })
        });
        let mut v = ViewIndex::default();
        v.rebuild(&rows);
        v.set_filter("fa", &rows);
        assert_eq!(v.visible(), [0]);
        v.set_filter("fai", &rows);
        assert_eq!(v.visible(), [1]);
    }

    #[test]
    fn sorted_pages_merge_in_place() {
        let mut r = rows(&["m@x", "c@x", "x@x"]);
        let mut v = ViewIndex::default();
        v.set_sort(SortKey::Upn, &r);
        assert_eq!(v.visible(), [1, 0, 2]);
        let first = r.push_page(
            vec![member(3, "a@x"), member(4, "n@x"), member(5, "z@x")],
            None,
        );
        v.rows_added(first, &r);
        let upns: Vec<&str> = v.visible().iter().map(|&i| r.upn_key(i)).collect();
        assert_eq!(upns, ["a@x", "c@x", "m@x", "n@x", "x@x", "z@x"]);
        v.set_filter("x@", &r);
        let first = r.push_page(vec![member(6, "b@x")], None);
        v.rows_added(first, &r);
        let upns: Vec<&str> = v.visible().iter().map(|&i| r.upn_key(i)).collect();
        assert_eq!(upns, ["x@x"]);
    }

    proptest::proptest! {
        /// The one-pass scan agrees with checking every row on its own, for any
        /// rows and any terms (substrings, no hits, several terms).
        #[test]
        fn scan_agrees_with_a_row_by_row_filter(
            upns in proptest::collection::vec("[a-c]{0,6}@[a-c.]{0,4}", 0..60),
            text in "[a-c@. ]{0,7}",
        ) {
            let refs: Vec<&str> = upns.iter().map(String::as_str).collect();
            let rows = rows(&refs);
            let mut v = ViewIndex::default();
            v.rebuild(&rows);
            v.set_filter(&text, &rows);
            let terms: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
            let naive: Vec<u32> = (0..rows.len() as u32)
                .filter(|&i| terms.iter().all(|t| rows.hay(i).contains(t.as_str())))
                .collect();
            proptest::prop_assert_eq!(v.visible(), naive.as_slice());
        }
    }

    #[test]
    fn every_sort_reverses_and_new_pages_merge_in_reverse() {
        let mut r = rows(&["m@x", "c@x", "x@x"]);
        let mut v = ViewIndex::default();
        v.set_order(SortKey::Upn, true, &r);
        assert_eq!(v.visible(), [2, 0, 1]);
        let first = r.push_page(vec![member(3, "a@x"), member(4, "z@x")], None);
        v.rows_added(first, &r);
        let upns: Vec<&str> = v.visible().iter().map(|&i| r.upn_key(i)).collect();
        assert_eq!(upns, ["z@x", "x@x", "m@x", "c@x", "a@x"]);
        v.set_order(SortKey::Arrival, true, &r);
        assert_eq!(v.visible(), [4, 3, 2, 1, 0]);
        let first = r.push_page(vec![member(5, "b@x")], None);
        v.rows_added(first, &r);
        assert_eq!(v.visible(), [5, 4, 3, 2, 1, 0]);
        assert_eq!(v.position(&r, 3), Some(2));
        v.set_order(SortKey::Arrival, false, &r);
        assert_eq!(v.visible(), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn status_sort_goes_stale_on_status_change() {
        let mut r = rows(&["a@x", "b@x"]);
        let mut v = ViewIndex::default();
        v.set_sort(SortKey::Status, &r);
        r.update(1, None, |row| {
            row.status = Some(UserStatus::Failed {
                error: "x".into(),
                retryable: false,
            })
        });
        v.row_changed();
        assert!(v.is_stale());
        v.rebuild(&r);
        assert_eq!(v.visible(), [1, 0]);
    }
}
