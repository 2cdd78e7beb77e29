//! The run line: a run's progress (done / failed / queued, rate, 429s, ETA and what the
//! time goes to), how it ended, and a recurring job (automatic sync). Plain numbers in;
//! words and numbers carry the meaning, the bar and colours only repeat it.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::thousands;
use crate::tui::theme::Theme;

const BAR: usize = 16;

pub fn bar(done: usize, of: usize) -> String {
    let filled = (done.min(of) * BAR).checked_div(of).unwrap_or(0);
    format!("[{}{}]", "█".repeat(filled), "░".repeat(BAR - filled))
}

pub fn eta(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

/// What the line shows; `None` leaves a part out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunLine {
    /// `Dry run`, `Migrating`, `Migration finished`…; empty: no run to show.
    pub label: String,
    pub done: usize,
    pub of: usize,
    pub verified: Option<usize>,
    pub failed: usize,
    pub skipped: usize,
    /// While running.
    pub queued: Option<usize>,
    /// A rate and its unit (`writes/s`, `users/s`).
    pub rate: Option<(f64, &'static str)>,
    pub throttled: Option<u64>,
    pub eta_secs: Option<u64>,
    /// Writes still to send.
    pub writes_left: Option<u64>,
    /// Writes made (a finished run).
    pub writes: Option<u64>,
    /// Where the time goes, e.g. `reads at Graph's read quota: the floor of a dry run`.
    pub note: Option<&'static str>,
    /// A recurring job is on: its name and its next run.
    pub recurring: Option<(&'static str, Option<DateTime<Utc>>)>,
}

pub fn render(frame: &mut Frame<'_>, area: Rect, r: &RunLine, t: &Theme) {
    let sep = || Span::styled(" · ", t.dim());
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = Vec::new();
    if !r.label.is_empty() {
        segs.push((
            0,
            vec![
                Span::styled(format!("{} ", r.label), t.title()),
                Span::raw(format!("{}/{}", thousands(r.done), thousands(r.of))),
            ],
        ));
        segs.push((7, vec![Span::raw(" "), Span::raw(bar(r.done, r.of))]));
        if let Some(v) = r.verified {
            segs.push((
                1,
                vec![
                    sep(),
                    Span::styled(format!("✓ {} verified", thousands(v)), t.ok()),
                ],
            ));
        }
        let failed = format!("✗ {} failed", thousands(r.failed));
        segs.push((
            0,
            vec![
                sep(),
                if r.failed > 0 {
                    Span::styled(failed, t.error())
                } else {
                    Span::raw(failed)
                },
            ],
        ));
        if r.skipped > 0 {
            segs.push((
                6,
                vec![
                    sep(),
                    Span::raw(format!("{} skipped", thousands(r.skipped))),
                ],
            ));
        }
        if let Some(q) = r.queued {
            segs.push((
                5,
                vec![sep(), Span::raw(format!("{} queued", thousands(q)))],
            ));
        }
        if let Some((rate, unit)) = r.rate {
            segs.push((3, vec![sep(), Span::raw(format!("{rate:.1} {unit}"))]));
        }
        if let Some(n) = r.throttled {
            let throttled = format!("{n}×429");
            segs.push((
                4,
                vec![
                    sep(),
                    if n > 0 {
                        Span::styled(throttled, t.warn())
                    } else {
                        Span::raw(throttled)
                    },
                ],
            ));
        }
        if let Some(left) = r.writes_left {
            segs.push((
                3,
                vec![
                    sep(),
                    Span::raw(format!("{} writes left", thousands(left as usize))),
                ],
            ));
        }
        if let Some(s) = r.eta_secs {
            segs.push((2, vec![sep(), Span::raw(format!("ETA {}", eta(s)))]));
        }
        if let Some(w) = r.writes {
            segs.push((
                4,
                vec![
                    sep(),
                    Span::raw(format!("{} writes", thousands(w as usize))),
                ],
            ));
        }
        if let Some(note) = r.note {
            segs.push((5, vec![sep(), Span::styled(note, t.dim())]));
        }
    }
    if let Some((what, next)) = r.recurring {
        let mut s = Vec::new();
        if !segs.is_empty() {
            s.push(sep());
        }
        s.push(Span::styled(format!("{what} on"), t.accent()));
        segs.push((0, s));
        if let Some(next) = next {
            segs.push((
                3,
                vec![Span::raw(format!(", next {}", next.format("%H:%M UTC")))],
            ));
        }
    }
    frame.render_widget(Paragraph::new(super::fit_line(segs, area.width)), area);
}

#[cfg(test)]
mod tests {
    #[test]
    fn bar_and_eta() {
        assert_eq!(super::bar(0, 0), format!("[{}]", "░".repeat(16)));
        assert_eq!(
            super::bar(8, 16),
            format!("[{}{}]", "█".repeat(8), "░".repeat(8))
        );
        assert_eq!(super::bar(99, 16), format!("[{}]", "█".repeat(16)));
        assert_eq!(super::eta(59), "59s");
        assert_eq!(super::eta(61), "1m01s");
        assert_eq!(super::eta(7260), "2h01m");
    }
}
