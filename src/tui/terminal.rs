//! One terminal lifecycle: raw mode and the alternate screen on the way in; on the way
//! out — normal exit, an error returned with `?`, or a panic — restored exactly once.
//!
//! [`init`] installs a panic hook that restores before the previous hook prints (else the
//! message lands in the alternate screen and vanishes) and returns a guard whose `Drop`
//! restores. Both go through [`restore`], which an atomic flag makes idempotent.

use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::crossterm::{cursor, execute, terminal};

/// The terminal is in raw mode / the alternate screen and must be restored.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Restores the terminal when dropped.
#[derive(Debug)]
#[must_use = "the terminal is restored when the guard drops"]
pub struct TerminalGuard {
    _private: (),
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Err(e) = restore() {
            tracing::error!("restoring the terminal: {e}");
        }
    }
}

/// Enter raw mode and the alternate screen.
pub fn init() -> io::Result<TerminalGuard> {
    install_panic_hook();
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard { _private: () };
    // From here on the guard restores whatever happens.
    execute!(io::stdout(), terminal::EnterAlternateScreen)?;
    Ok(guard)
}

/// Leave the alternate screen and raw mode, once; later calls do nothing.
pub fn restore() -> io::Result<()> {
    restore_with(&ACTIVE, &mut io::stdout(), terminal::disable_raw_mode)
}

fn restore_with(
    active: &AtomicBool,
    out: &mut impl Write,
    raw_off: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    if !active.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    // Try every step even if one fails: a half-restored terminal is the worst outcome.
    let raw = raw_off();
    let screen = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    raw.and(screen)
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_exactly_once() -> io::Result<()> {
        let active = AtomicBool::new(true);
        let mut out = Vec::new();
        let mut raw_offs = 0;
        for _ in 0..3 {
            restore_with(&active, &mut out, || {
                raw_offs += 1;
                Ok(())
            })?;
        }
        assert_eq!(raw_offs, 1);
        let text = String::from_utf8_lossy(&out);
        // LeaveAlternateScreen is CSI ?1049l; written once.
        assert_eq!(text.matches("\x1b[?1049l").count(), 1, "{text:?}");
        Ok(())
    }

    #[test]
    fn a_failing_step_still_runs_the_others() {
        let active = AtomicBool::new(true);
        let mut out = Vec::new();
        let r = restore_with(&active, &mut out, || Err(io::Error::other("no tty")));
        assert!(r.is_err());
        assert!(!out.is_empty());
        assert!(!active.load(Ordering::SeqCst));
    }
}
