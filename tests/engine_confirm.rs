//! `migrate` without `--yes` on a real terminal (a pseudo-terminal): a small run asks
//! y/N, a run on a `production` tenant asks to type the number of users (ux.md tiers);
//! a refusal writes nothing and exits 3.

mod engine_support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use engine_support::{Bin, Fixture, GROUP};
use mfa_cutover::sim::SimConfig;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// Run the binary in a terminal; when the screen shows `prompt`, type `answer(screen)`.
/// Returns the exit code and everything the terminal showed.
fn in_terminal(
    bin: &Bin,
    args: &[&str],
    prompt: &str,
    answer: impl Fn(&str) -> String,
) -> (u32, String) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 160,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_mfa-cutover"));
    cmd.args(bin.args(args));
    cmd.env("MFA_CUTOVER_ACCESS_TOKEN", bin.fx.sim.token());
    cmd.env_remove("MFA_CUTOVER_CONFIG");
    let mut child = pair.slave.spawn_command(cmd).expect("the binary starts");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("a reader");
    let mut writer = pair.master.take_writer().expect("a writer");
    let screen = Arc::new(Mutex::new(String::new()));
    // Drain the terminal on a thread so the child never blocks on a full buffer.
    let drain = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = screen.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        })
    };
    let shown = || screen.lock().map(|s| s.clone()).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !shown().contains(prompt) {
        assert!(
            Instant::now() < deadline,
            "no prompt {prompt:?}: {}",
            shown()
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("exited ({status:?}) before asking: {}", shown());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = answer(&shown());
    writer
        .write_all(format!("{text}\r").as_bytes())
        .expect("typed");
    let code = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status.exit_code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not finish: {}", shown());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(writer);
    drop(pair.master);
    let _ = drain.join();
    (code, shown())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_run_asks_y_or_n() {
    let fx = Fixture::new(SimConfig {
        users: 30,
        seed: 6,
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, "");
    let args = ["migrate", "--group", GROUP];
    let (code, screen) = in_terminal(&bin, &args, "Go ahead? [y/N]", |_| "n".into());
    assert_eq!(code, 3, "{screen}");
    assert!(screen.contains("About to write to the tenant"), "{screen}");
    assert_eq!(fx.sim.stats().writes, 0, "refused: nothing written");
    let (code, screen) = in_terminal(&bin, &args, "Go ahead? [y/N]", |_| "y".into());
    assert_eq!(code, 0, "{screen}");
    assert!(fx.sim.stats().writes > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_tenant_asks_to_type_the_count() {
    let fx = Fixture::new(SimConfig {
        users: 30,
        seed: 8,
        ..Default::default()
    })
    .await;
    let bin = Bin::new(&fx, "production = true\n");
    let args = ["migrate", "--group", GROUP];
    let prompt = "to go ahead:";
    let (code, screen) = in_terminal(&bin, &args, prompt, |_| "yes".into());
    assert_eq!(code, 3, "a y/N answer is not enough: {screen}");
    assert_eq!(fx.sim.stats().writes, 0);
    let count = |screen: &str| {
        let at = screen
            .find("Type the number of users (")
            .expect("the prompt");
        screen[at + "Type the number of users (".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    };
    let (code, screen) = in_terminal(&bin, &args, prompt, count);
    assert_eq!(code, 0, "{screen}");
    assert!(fx.sim.stats().writes > 0);
}
