//! `mfa-cutover demo` in a real terminal: the binary in a 120x36 tmux pane, driven by
//! keys as an admin would — wait for members, help, every tab (the journal read from the
//! state store), a filter, a detail view, quit — and then the terminal must be the
//! shell's again: alternate screen left,
//! cursor shown, line editing back (a typed line is read). Every wait has a deadline;
//! the tmux server is killed on drop. Skips (with a message) where tmux is missing.

mod common;

use std::time::Duration;

use common::tmux::Tmux;

/// Generous: a debug build on a busy machine.
const START: Duration = Duration::from_secs(90);
const STEP: Duration = Duration::from_secs(20);

/// The number before `marker` on the `Group …` line, e.g. `107` of `· 107 members`.
fn number_before(screen: &str, marker: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.starts_with("Group "))?;
    let head = &line[..line.find(marker)?];
    let digits: String = head
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// The number after `/filter →` on the `Group …` line.
fn filtered(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.starts_with("Group "))?;
    let tail = line.split('→').nth(1)?;
    let digits: String = tail
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn check(r: Result<String, String>) -> String {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn demo_help_tabs_filter_detail_quit_and_the_terminal_is_restored() {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let h = home.path().display().to_string();
    let tmp = home.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap_or_else(|e| panic!("{e}"));
    let bin = env!("CARGO_BIN_EXE_mfa-cutover");
    // A home of its own: no developer's config, keymap or state is read. After the demo,
    // the shell reads a line: it completes only if the terminal is cooked again.
    let script = format!(
        "unset MFA_CUTOVER_CONFIG MFA_CUTOVER_STATE_DIR MFA_CUTOVER_KEYMAP NO_COLOR; \
         export HOME='{h}' XDG_CONFIG_HOME='{h}/config' XDG_DATA_HOME='{h}/data' TMPDIR='{h}/tmp'; \
         '{bin}' demo --users 600; echo \"DEMO-EXIT=$?\"; \
         read line; echo \"got [$line]\"; sleep 60"
    );
    let Some(t) = Tmux::start(120, 36, &script) else {
        return;
    };

    // Members stream in at once, in the demo group, under a SIMULATED header.
    let screen = check(t.wait_until("members of the demo group", START, |s| {
        number_before(s, " members").is_some_and(|n| n > 0)
    }));
    assert!(screen.contains("SIMULATED"), "{screen}");
    assert!(screen.contains("MFA Migration Wave 1"), "{screen}");
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "the TUI uses the alternate screen"
    );
    // The member listing may still be streaming: wait for the count to settle.
    let mut members = number_before(&screen, " members").unwrap_or(0);
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(100));
        let now = number_before(&t.capture(), " members").unwrap_or(0);
        if now == members {
            break;
        }
        members = now;
    }

    // Help: keys of this view, global keys, and what is simulated.
    t.send_keys(&["?"]);
    // A capture may land while the frame is being written: wait for the whole of it.
    check(t.wait_until("help with its sections", STEP, |s| {
        s.contains("Keys of this view") && s.contains("Everywhere")
    }));
    t.send_keys(&["Escape"]);
    check(t.wait_until("help closed", STEP, |s| !s.contains("Keys of this view")));

    // Tabs by number, and tab to cycle.
    for (key, title) in [
        ("1", " 1 Checklist ─"),
        ("3", " 3 Rollout ─"),
        ("4", " 4 Federation ─"),
        ("5", " 5 Dependencies ─"),
        ("6", " 6 Journal ─"),
    ] {
        t.send_keys(&[key]);
        check(t.wait_for(title, STEP));
    }
    // The Journal tab read the state store through the engine (nothing written yet).
    check(t.wait_for("No write yet", STEP));
    t.send_keys(&["Tab"]);
    check(t.wait_for(" 1 Checklist ─", STEP));
    t.send_keys(&["2"]);
    check(t.wait_until("the users tab", STEP, |s| {
        number_before(s, " members").is_some()
    }));

    // Filter: the count shown changes and every row shown matches.
    t.send_keys(&["/"]);
    t.send_text("smith");
    let screen = check(t.wait_until("filtered count", STEP, |s| filtered(s).is_some()));
    let shown = filtered(&screen).unwrap_or(0);
    assert!(
        shown > 0 && shown < members,
        "filter /smith shows {shown} of {members}:\n{screen}"
    );
    t.send_keys(&["Enter"]);

    // Detail of the selected (filtered) user: both sides.
    t.send_keys(&["d"]);
    let detail = check(t.wait_for("MFA SERVER", STEP));
    assert!(detail.contains("ENTRA"), "{detail}");
    assert!(detail.contains("smith"), "{detail}");
    t.send_keys(&["Escape"]);
    check(t.wait_until("back to the list", STEP, |s| {
        !s.contains("MFA SERVER") && filtered(s).is_some()
    }));
    t.send_keys(&["Escape"]);
    check(t.wait_until("filter cleared", STEP, |s| {
        filtered(s).is_none() && number_before(s, " members").is_some()
    }));

    // Quit: nothing in flight, so no question.
    t.send_keys(&["q"]);
    let after = check(t.wait_for("DEMO-EXIT=", STEP));
    assert!(after.contains("DEMO-EXIT=0"), "{after}");
    assert!(after.contains("the tenant was simulated"), "{after}");
    assert!(
        !after.contains("MFA Migration Wave 1"),
        "the TUI is gone:\n{after}"
    );
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(t.display("#{cursor_flag}"), "1", "cursor shown");
    t.send_text("back to the shell");
    t.send_keys(&["Enter"]);
    check(t.wait_for("got [back to the shell]", STEP));
    // The demo's temp dir is gone.
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
}
