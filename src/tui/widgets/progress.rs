//! The run line: dry run or migration progress (done / failed / queued, writes/s, 429s,
//! ETA), how it ended, and automatic sync. Words and numbers carry the meaning; the bar
//! and colours only repeat it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::tui::panes::users::RunState;
use crate::tui::panes::{Env, thousands};

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

pub fn render(frame: &mut Frame<'_>, area: Rect, run: &RunState, env: &Env<'_>) {
    let t = env.theme;
    let p = &run.progress;
    let sep = || Span::styled(" · ", t.dim());
    let mut segs: Vec<(u8, Vec<Span<'static>>)> = Vec::new();
    if run.running || run.finished.is_some() {
        let label = match (run.running, run.dry_run, run.finished) {
            (true, true, _) => "Dry run ".to_string(),
            (true, false, _) => "Migrating ".to_string(),
            (false, dry, Some((_, cancelled))) => format!(
                "{} {} ",
                if dry { "Dry run" } else { "Migration" },
                if cancelled { "cancelled" } else { "finished" }
            ),
            (false, _, None) => String::new(),
        };
        segs.push((
            0,
            vec![
                Span::styled(label, t.title()),
                Span::raw(format!("{}/{}", thousands(p.done), thousands(p.targeted))),
            ],
        ));
        segs.push((6, vec![Span::raw(" "), Span::raw(bar(p.done, p.targeted))]));
        if !run.dry_run || p.verified > 0 {
            segs.push((
                1,
                vec![
                    sep(),
                    Span::styled(format!("✓ {} verified", thousands(p.verified)), t.ok()),
                ],
            ));
        }
        let failed = format!("✗ {} failed", thousands(p.failed));
        segs.push((
            0,
            vec![
                sep(),
                if p.failed > 0 {
                    Span::styled(failed, t.error())
                } else {
                    Span::raw(failed)
                },
            ],
        ));
        if p.skipped > 0 {
            segs.push((
                5,
                vec![
                    sep(),
                    Span::raw(format!("{} skipped", thousands(p.skipped))),
                ],
            ));
        }
        if run.running {
            segs.push((
                2,
                vec![sep(), Span::raw(format!("{} queued", thousands(p.queued)))],
            ));
            if !run.dry_run {
                segs.push((
                    3,
                    vec![
                        sep(),
                        Span::raw(format!("{:.1} writes/s", p.writes_per_sec)),
                    ],
                ));
            }
            let throttled = format!("{}×429", p.throttled);
            segs.push((
                3,
                vec![
                    sep(),
                    if p.throttled > 0 {
                        Span::styled(throttled, t.warn())
                    } else {
                        Span::raw(throttled)
                    },
                ],
            ));
            if let Some(s) = p.eta_secs {
                segs.push((2, vec![sep(), Span::raw(format!("ETA {}", eta(s)))]));
            }
        } else if !run.dry_run {
            segs.push((
                4,
                vec![
                    sep(),
                    Span::raw(format!("{} writes", thousands(p.writes as usize))),
                ],
            ));
        }
    }
    if run.auto_sync {
        let mut s = Vec::new();
        if !segs.is_empty() {
            s.push(sep());
        }
        s.push(Span::styled("auto-sync on", t.accent()));
        segs.push((0, s));
        if let Some(next) = run.auto_sync_next {
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
