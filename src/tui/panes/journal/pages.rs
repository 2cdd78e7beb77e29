//! A virtual list over a store log read newest first in keyset pages: only the pages
//! around what is on screen are held; the key where each page ends is remembered, so a
//! page dropped from memory is fetched again with one request, and reaching a far page
//! walks there in large requests that keep only those keys. Pure: it says which request
//! to send next ([`Pages::want`]) and takes the answers ([`Pages::fill`]).

use std::collections::BTreeMap;
use std::ops::Range;

/// Rows per page.
pub const PAGE: usize = 200;
/// Pages held in memory at most (around the one on screen).
pub const KEEP: usize = 12;
/// Rows asked for at most when walking to a far page (only their keys are kept).
pub const WALK: usize = 10_000;

/// A row with the key keyset paging uses (`before` = older than it).
pub trait Keyed {
    type Key: Copy + Ord + std::fmt::Debug;
    fn key(&self) -> Self::Key;
}

/// The next request: rows older than `before` (none: the newest), at most `limit`,
/// filling pages from `first_page`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want<K> {
    pub before: Option<K>,
    pub first_page: usize,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct Pages<T: Keyed> {
    /// Rows matching, from the first answer of this reading (later answers may count
    /// rows written since, which belong to the next reading).
    total: Option<usize>,
    pages: BTreeMap<usize, Vec<T>>,
    /// `bounds[k]`: the key of page k's last row, for the pages known from the top.
    bounds: Vec<T::Key>,
    /// The rows end here (a short answer was the last page).
    end: Option<usize>,
    /// A request is out.
    pub in_flight: bool,
}

impl<T: Keyed> Default for Pages<T> {
    fn default() -> Self {
        Pages {
            total: None,
            pages: BTreeMap::new(),
            bounds: Vec::new(),
            end: None,
            in_flight: false,
        }
    }
}

impl<T: Keyed> Pages<T> {
    /// Forget everything (a new filter, a reload).
    pub fn clear(&mut self) {
        *self = Pages::default();
    }

    /// Rows in the list: the count of the first answer, or what is known so far.
    pub fn len(&self) -> usize {
        match (self.total, self.end) {
            (_, Some(end)) => end,
            (Some(t), None) => t,
            (None, None) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether anything was read yet.
    pub fn read(&self) -> bool {
        self.total.is_some()
    }

    pub fn total(&self) -> Option<usize> {
        self.total
    }

    pub fn row(&self, i: usize) -> Option<&T> {
        self.pages.get(&(i / PAGE))?.get(i % PAGE)
    }

    /// Pages held in memory (tests, figures).
    pub fn held(&self) -> usize {
        self.pages.len()
    }

    fn pages_of(rows: &Range<usize>) -> Range<usize> {
        let first = rows.start / PAGE;
        let last = rows.end.saturating_sub(1) / PAGE;
        first..last + 1
    }

    /// What to ask for so that `window` (with a page of read-ahead) is held; `None` when
    /// it is, or a request is already out.
    pub fn want(&self, window: Range<usize>) -> Option<Want<T::Key>> {
        if self.in_flight {
            return None;
        }
        if !self.read() {
            return Some(Want {
                before: None,
                first_page: 0,
                limit: PAGE,
            });
        }
        let len = self.len();
        if len == 0 {
            return None;
        }
        let end = (window.end + PAGE).min(len);
        let start = window.start.min(end.saturating_sub(1));
        let need = Self::pages_of(&(start..end)).find(|p| !self.pages.contains_key(p))?;
        let known = self.bounds.len();
        if need <= known {
            // The key before it is known: fetch it (and the next one if also missing).
            let two = !self.pages.contains_key(&(need + 1)) && (need + 1) * PAGE < len;
            Some(Want {
                before: need
                    .checked_sub(1)
                    .and_then(|k| self.bounds.get(k).copied()),
                first_page: need,
                limit: if two { 2 * PAGE } else { PAGE },
            })
        } else {
            // Walk towards it from the last known key.
            let rows = ((need - known + 1) * PAGE).min(WALK);
            Some(Want {
                before: known
                    .checked_sub(1)
                    .and_then(|k| self.bounds.get(k).copied()),
                first_page: known,
                limit: rows,
            })
        }
    }

    /// Take an answer to `want`: `rows` newest first, and how many match in all. Only
    /// pages within `keep` (page numbers) are held; the others leave their key.
    pub fn fill(&mut self, want: Want<T::Key>, rows: Vec<T>, total: u64, keep: Range<usize>) {
        self.in_flight = false;
        if self.total.is_none() {
            self.total = Some(total as usize);
        }
        let got = rows.len();
        let mut it = rows.into_iter().peekable();
        let mut page = want.first_page;
        while it.peek().is_some() {
            let chunk: Vec<T> = it.by_ref().take(PAGE).collect();
            if let Some(last) = chunk.last()
                && page == self.bounds.len()
                && chunk.len() == PAGE
            {
                self.bounds.push(last.key());
            }
            if keep.contains(&page) {
                self.pages.insert(page, chunk);
            }
            page += 1;
        }
        if got < want.limit {
            self.end = Some(want.first_page * PAGE + got);
        }
        self.evict(&keep);
    }

    /// Keep at most [`KEEP`] pages, the ones nearest `keep`.
    fn evict(&mut self, keep: &Range<usize>) {
        while self.pages.len() > KEEP {
            let far = self.pages.keys().copied().max_by_key(|p| {
                if keep.contains(p) {
                    0
                } else if *p < keep.start {
                    keep.start - p
                } else {
                    p + 1 - keep.end
                }
            });
            match far {
                Some(p) => {
                    self.pages.remove(&p);
                }
                None => break,
            }
        }
    }

    /// The pages worth keeping for `window`.
    pub fn keep_for(window: &Range<usize>) -> Range<usize> {
        let p = Self::pages_of(window);
        p.start.saturating_sub(2)..p.end + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct R(i64);

    impl Keyed for R {
        type Key = i64;
        fn key(&self) -> i64 {
            self.0
        }
    }

    /// A log of `n` rows with ids n..1, newest first.
    fn answer(n: i64, w: Want<i64>) -> (Vec<R>, u64) {
        let from = w.before.map(|b| b - 1).unwrap_or(n);
        let rows = (1..=from).rev().take(w.limit).map(R).collect();
        (rows, n as u64)
    }

    fn settle(p: &mut Pages<R>, n: i64, window: Range<usize>) -> usize {
        let mut requests = 0;
        while let Some(w) = p.want(window.clone()) {
            requests += 1;
            assert!(requests < 1000, "no end");
            p.in_flight = true;
            let (rows, total) = answer(n, w);
            p.fill(w, rows, total, Pages::<R>::keep_for(&window));
        }
        requests
    }

    #[test]
    fn the_top_costs_one_request_and_rows_read_newest_first() {
        let mut p: Pages<R> = Pages::default();
        let n = settle(&mut p, 1000, 0..20);
        assert!(n <= 2, "{n}");
        assert_eq!(p.len(), 1000);
        assert_eq!(p.row(0), Some(&R(1000)));
        assert_eq!(p.row(19), Some(&R(981)));
    }

    #[test]
    fn the_bottom_of_half_a_million_rows_is_reached_holding_a_few_pages() {
        let mut p: Pages<R> = Pages::default();
        settle(&mut p, 500_000, 0..40);
        let last = p.len() - 1;
        let requests = settle(&mut p, 500_000, last - 39..last + 1);
        assert!(requests <= 60, "{requests} requests");
        assert_eq!(p.row(last), Some(&R(1)));
        assert_eq!(p.row(last - 39), Some(&R(40)));
        assert!(p.held() <= KEEP, "{} pages held", p.held());
        // Back to the top: the pages dropped on the way are fetched again by key.
        settle(&mut p, 500_000, 0..40);
        assert_eq!(p.row(0), Some(&R(500_000)));
        // A page in the middle, dropped, comes back with one request.
        let mid = 250_123;
        let requests = settle(&mut p, 500_000, mid..mid + 40);
        assert!(requests <= 2, "{requests}");
        assert_eq!(p.row(mid), Some(&R(500_000 - mid as i64)));
    }

    #[test]
    fn a_short_answer_ends_the_list_and_an_empty_log_asks_once() {
        let mut p: Pages<R> = Pages::default();
        settle(&mut p, 250, 0..300);
        assert_eq!(p.len(), 250);
        assert_eq!(p.row(249), Some(&R(1)));
        assert_eq!(p.row(250), None);
        let mut e: Pages<R> = Pages::default();
        assert_eq!(settle(&mut e, 0, 0..20), 1);
        assert!(e.is_empty() && e.read());
    }
}
