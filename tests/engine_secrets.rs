//! No OATH secret and no bearer token leaves the tool in clear, except in the one Graph
//! body that uploads a hardware token: the test collects every secret the population
//! generated (as written, and as the base32 Graph receives) and the token, runs the real
//! binary — a dry run saved to a file, a migration importing app devices as hardware
//! tokens, debug logging — and searches the logs, stderr, the state store (database,
//! WAL, shared memory), the JSON output, the saved plan and the TUI's snapshots.

mod engine_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use engine_support::{Bin, Fixture, GROUP};
use mfa_cutover::secret::OathSecret;
use mfa_cutover::sim::SimConfig;
use secrecy::ExposeSecret;

/// Needles are found by a 16-byte window over the lower-cased haystack: a hash look-up
/// per position instead of a scan per needle.
const WINDOW: usize = 16;

struct Needles {
    prefixes: HashSet<Vec<u8>>,
    all: Vec<Vec<u8>>,
}

impl Needles {
    fn new(texts: impl IntoIterator<Item = String>) -> Needles {
        let mut all: Vec<Vec<u8>> = texts
            .into_iter()
            .map(|t| t.trim().to_lowercase().into_bytes())
            .filter(|t| t.len() >= WINDOW)
            .collect();
        all.sort();
        all.dedup();
        let prefixes = all.iter().map(|n| n[..WINDOW].to_vec()).collect();
        Needles { prefixes, all }
    }

    /// The needles found in `hay`.
    fn find(&self, hay: &[u8]) -> Vec<String> {
        let hay = hay.to_ascii_lowercase();
        let mut found = Vec::new();
        if hay.len() < WINDOW {
            return found;
        }
        for i in 0..=hay.len() - WINDOW {
            if !self.prefixes.contains(&hay[i..i + WINDOW]) {
                continue;
            }
            for n in &self.all {
                if hay[i..].starts_with(n) {
                    found.push(String::from_utf8_lossy(&n[..WINDOW]).into_owned() + "…");
                }
            }
        }
        found
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_or_token_in_logs_store_output_or_snapshots() {
    let fx = Fixture::new(SimConfig {
        users: 400,
        seed: 5,
        ..Default::default()
    })
    .await;
    // Every secret as generated, and as base32 (the form Graph receives).
    let mut texts = vec![fx.sim.token().to_string()];
    let mut secrets = 0;
    for p in fx.population.people() {
        let raw = p
            .mfa
            .devices
            .iter()
            .filter_map(|d| d.oath_secret.clone())
            .chain(p.mfa.tokens.iter().map(|t| t.secret.clone()));
        for s in raw {
            secrets += 1;
            let parsed = OathSecret::from_base32(&s).or_else(|_| OathSecret::from_hex(&s));
            if let Ok(o) = parsed {
                texts.push(o.expose_base32().expose_secret().to_string());
                texts.push(data_encoding::HEXLOWER.encode(o.expose_bytes()));
            }
            texts.push(s);
        }
    }
    assert!(secrets > 100, "the population holds secrets: {secrets}");
    let needles = Needles::new(texts);

    let bin = Bin::new(
        &fx,
        "[migration]\nmobile_app = \"oath-as-hardware-token\"\n",
    );
    let plan_file = fx.dir.path().join("saved-plan.json");
    let stderr_file = fx.dir.path().join("stderr.txt");
    let run = |args: &[&str], out: &str| {
        let status = bin
            .command(args)
            .arg("-vv")
            .stdout(std::fs::File::create(fx.dir.path().join(out)).expect("stdout file"))
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&stderr_file)
                    .expect("stderr file"),
            )
            .status()
            .expect("the binary runs");
        assert_eq!(status.code(), Some(0), "{args:?}");
    };
    run(
        &[
            "plan",
            "--group",
            GROUP,
            "--json",
            "--out",
            plan_file.to_str().expect("a UTF-8 path"),
        ],
        "plan.json",
    );
    run(
        &["migrate", "--group", GROUP, "--yes", "--json"],
        "migrate.json",
    );
    let tokens = fx.sim.inspect(|t| t.hardware_devices().count());
    assert!(tokens > 20, "secrets were uploaded: {tokens} tokens");

    let mut files = Vec::new();
    files_under(fx.dir.path(), &mut files);
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"),
        &mut files,
    );
    // The data file holds the secrets by design (it is the input); nothing else may.
    // It also shows the search finds what it looks for.
    let input = std::fs::read(&fx.data_file).expect("the data file");
    assert!(
        !needles.find(&input).is_empty(),
        "the search finds secrets where they are"
    );
    files.retain(|f| f != &fx.data_file);
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for must in [
        "state.sqlite",
        "migrate.json",
        "plan.json",
        "saved-plan.json",
        "stderr.txt",
    ] {
        assert!(
            names.iter().any(|n| n == must),
            "{must} searched: {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.ends_with(".log")),
        "a log file: {names:?}"
    );
    // Files the tool writes are private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut written = Vec::new();
        files_under(&fx.state_dir, &mut written);
        written.push(plan_file.clone());
        for f in &written {
            let mode = std::fs::metadata(f).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is {mode:o}", f.display());
        }
    }
    let mut leaks = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).expect("a readable file");
        for n in needles.find(&bytes) {
            leaks.push(format!("{}: {n}", f.display()));
        }
    }
    assert!(leaks.is_empty(), "secrets in clear: {leaks:#?}");
}
