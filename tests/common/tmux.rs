//! Drive a real terminal: a detached tmux session of a given size running a command,
//! `send-keys`, `capture-pane`. Every wait has a deadline; the session (on its own tmux
//! server socket, so a developer's tmux is never touched) is killed on drop. When tmux
//! is not installed, [`Tmux::start`] says so and returns `None` so the test can skip.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static SEQ: AtomicUsize = AtomicUsize::new(0);

pub struct Tmux {
    socket: String,
    session: String,
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl Tmux {
    /// Start `command` (run by `sh -c`) in a `width` x `height` session; `None` (with a
    /// message on stderr) when tmux is missing.
    pub fn start(width: u16, height: u16, command: &str) -> Option<Tmux> {
        if !tmux_available() {
            eprintln!("tmux is not installed: skipping the real-terminal test");
            return None;
        }
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tag = format!("mfa-cutover-test-{}-{n}-{nanos}", std::process::id());
        let t = Tmux {
            socket: tag.clone(),
            session: tag,
        };
        let out = t.tmux(&[
            "new-session",
            "-d",
            "-s",
            &t.session,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            "-c",
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap_or_else(|e| panic!("running tmux: {e}"))
    }

    /// Send keys in tmux syntax (`j`, `Enter`, `Escape`, `C-c`, `Space`).
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(
            out.status.success(),
            "send-keys: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Send text literally (no key-name lookup).
    pub fn send_text(&self, text: &str) {
        let out = self.tmux(&["send-keys", "-t", &self.session, "-l", text]);
        assert!(
            out.status.success(),
            "send-keys -l: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The visible screen as text.
    pub fn capture(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen contains `needle`; on timeout, the error holds the screen.
    pub fn wait_for(&self, needle: &str, deadline: Duration) -> Result<String, String> {
        let end = Instant::now() + deadline;
        loop {
            let screen = self.capture();
            if screen.contains(needle) {
                return Ok(screen);
            }
            if Instant::now() >= end {
                return Err(format!(
                    "{needle:?} did not appear within {deadline:?}; screen:\n{screen}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until `ok` holds for the screen; on timeout, the error names `what` and holds
    /// the screen.
    pub fn wait_until(
        &self,
        what: &str,
        deadline: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let end = Instant::now() + deadline;
        loop {
            let screen = self.capture();
            if ok(&screen) {
                return Ok(screen);
            }
            if Instant::now() >= end {
                return Err(format!(
                    "{what}: not within {deadline:?}; screen:\n{screen}"
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A tmux format of the pane, e.g. `#{alternate_on}` or `#{cursor_flag}`.
    pub fn display(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", &self.session, format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Whether the session's command is still running.
    pub fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", &self.session])
            .status
            .success()
    }

    /// Wait until the command has exited (the session closes with it).
    pub fn wait_exit(&self, deadline: Duration) -> Result<(), String> {
        let end = Instant::now() + deadline;
        while self.alive() {
            if Instant::now() >= end {
                return Err(format!(
                    "still running after {deadline:?}:\n{}",
                    self.capture()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
