//! The real-terminal harness itself: a tmux session of a given size, keys in, screen
//! out, every wait bounded, the session killed afterwards. Skips when tmux is missing.
//! (The TUI binary's own tmux tests come with the `demo` wiring.)

mod common;

use std::time::Duration;

use common::tmux::Tmux;

#[test]
fn drives_a_program_in_a_sized_terminal() {
    let script = "stty size; printf 'ready\\n'; read line; printf 'got %s\\n' \"$line\"; sleep 30";
    let Some(t) = Tmux::start(100, 30, script) else {
        return;
    };
    let screen = t
        .wait_for("ready", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(screen.contains("30 100"), "terminal size: {screen}");
    t.send_text("hello world");
    t.send_keys(&["Enter"]);
    t.wait_for("got hello world", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    // A wait that cannot succeed fails by its deadline, with the screen.
    let err = t.wait_for("never shown", Duration::from_millis(300));
    assert!(err.is_err_and(|e| e.contains("got hello world")));
    t.send_keys(&["C-c"]);
    t.wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
}
