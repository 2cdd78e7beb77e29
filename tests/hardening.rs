//! Hostile and careless input, met where the admin meets it — through the binary:
//! terminal escapes in data, tokens and errors never reach the terminal raw; key material
//! in `inspect --schema` is masked by its content; symbolic links are never followed and
//! state files must be private; files read whole are bounded and must be regular files;
//! stale (uncheckpointed) and cut-off data become refusals or row problems; config
//! numbers have ranges; a foreign Graph host needs saying so; `sample-data` does not
//! overwrite; exports are safe to open in a spreadsheet.

#![allow(clippy::unwrap_used)]

mod engine_support;

use std::path::{Path, PathBuf};
use std::process::Output;

use data_encoding::BASE64URL_NOPAD;
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};

/// The binary with no `MFA_CUTOVER_*` from the environment, a home of its own (no
/// platform config or data dir of the machine), an empty config file, and a deadline.
fn bin(home: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("mfa-cutover").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("MFA_CUTOVER_") || k.starts_with("XDG_") {
            c.env_remove(k);
        }
    }
    let config = home.join("empty.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    c.env("HOME", home)
        .env("MFA_CUTOVER_CONFIG", &config)
        .timeout(std::time::Duration::from_secs(120));
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// No control character but line ends: nothing the terminal would obey.
fn assert_inert(what: &str, s: &str) {
    let bad: Vec<char> = s.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(bad.is_empty(), "{what} carries {bad:?}:\n{s}");
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

fn snapshot(dir: &Path, people: usize) -> PathBuf {
    let path = dir.join("PhoneFactor.pfdata");
    write_snapshot(
        &Population::new(3, people),
        &path,
        &WriteOptions { extras: false },
    )
    .unwrap();
    path
}

fn sql(path: &Path, script: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(script).unwrap();
}

// ---------------------------------------------------------------------------------------
// Terminal escapes
// ---------------------------------------------------------------------------------------

#[test]
fn inspect_prints_escapes_from_the_data_as_text() {
    let home = tempfile::tempdir().unwrap();
    let data = snapshot(home.path(), 40);
    sql(
        &data,
        "UPDATE users SET username = 'evil' || char(27) || '[2J', phone = 'not a phone'
           WHERE user_id = (SELECT min(user_id) FROM users);
         UPDATE auth_services SET name = char(27) || ']0;pwned' || char(7),
                                  address = '10.0.0.1' || char(27) || '[31m';
         UPDATE servers SET name = name || char(155) || '31m', version = '8.0' || char(7);",
    );
    let out = bin(home.path())
        .arg("inspect")
        .arg("--data-file")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_inert("inspect", &stdout);
    for shown in [
        "evil\\x1b[2J",
        "\\x1b]0;pwned\\x07",
        "\\u{9b}31m",
        "8.0\\x07",
        "10.0.0.1\\x1b[31m",
    ] {
        assert!(stdout.contains(shown), "{shown} in\n{stdout}");
    }
}

#[test]
fn error_messages_print_escapes_as_text() {
    let home = tempfile::tempdir().unwrap();
    let out = bin(home.path())
        .args(["inspect", "--data-file"])
        .arg(home.path().join("gone\x1b]52;c;ZXZpbA==\x07.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_inert("the error", &stderr);
    assert!(
        stderr.contains("gone\\x1b]52;c;ZXZpbA==\\x07.csv"),
        "{stderr}"
    );
}

/// A forged token: claims with escapes; never accepted by anyone.
fn forged_token(upn: &str, role: &str) -> String {
    let header = BASE64URL_NOPAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "tid": "11111111-2222-3333-4444-555555555555", "upn": upn, "name": upn,
        "idtyp": "user", "scp": format!("User.Read.All {role}"),
        "exp": chrono::Utc::now().timestamp() + 3600,
    });
    let payload = BASE64URL_NOPAD.encode(claims.to_string().as_bytes());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}

#[test]
fn whoami_prints_claims_as_text() {
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bin(home.path())
        .args(["whoami", "--auth", "token", "--graph-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--state-dir")
        .arg(home.path().join("state"))
        .env(
            "MFA_CUTOVER_ACCESS_TOKEN",
            forged_token("admin\x1b[2J@contoso.com", "X\x1b]0;t\x07"),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_inert("whoami", &stdout);
    assert!(stdout.contains("admin\\x1b[2J@contoso.com"), "{stdout}");
    assert!(
        stdout.contains(&format!("Graph host   127.0.0.1:{port}")),
        "{stdout}"
    );
}

#[test]
fn whoami_reports_a_401_as_not_signed_in() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime
        .block_on(mfa_cutover::sim::Sim::start(mfa_cutover::sim::SimConfig {
            users: 5,
            ..Default::default()
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = bin(home.path())
        .args(["whoami", "--auth", "token", "--graph-url", sim.url()])
        .arg("--state-dir")
        .arg(home.path().join("state"))
        .env(
            "MFA_CUTOVER_ACCESS_TOKEN",
            forged_token("admin@contoso.com", ""),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("NOT signed in"), "{stdout}");
    assert!(stdout.contains("401"), "{stdout}");
    assert!(
        stdout.contains("MFA_CUTOVER_ACCESS_TOKEN"),
        "what to do: {stdout}"
    );
    assert!(!stdout.contains("\nSigned in"), "{stdout}");
    runtime.block_on(sim.shutdown());
}

// ---------------------------------------------------------------------------------------
// inspect --schema: samples from a file no mapping describes yet
// ---------------------------------------------------------------------------------------

#[test]
fn schema_samples_mask_key_material_by_content_and_escape_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("PhoneFactor.pfdata");
    let key: Vec<u8> = (0..20u8)
        .map(|i| i.wrapping_mul(53).wrapping_add(7))
        .collect();
    let b32 = data_encoding::BASE32_NOPAD.encode(&key);
    // As `sample-data` writes vendor secrets: lower case, groups of four.
    let spaced = b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let hex = data_encoding::HEXLOWER.encode(&key);
    let letters = "JBSWYDPEHPKPXPJBSWYDPEHPKPXPQRSTWX";
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE UserData (Name TEXT, Note TEXT, Value TEXT, Extra TEXT, Data TEXT)",
        )
        .unwrap();
        c.execute(
            "INSERT INTO UserData VALUES ('jdoe', ?1, ?2, ?3, ?4)",
            rusqlite::params!["\x1b]52;c;ZXZpbA==\x07copied", spaced, hex, letters],
        )
        .unwrap();
    }
    let out = bin(home.path())
        .args(["inspect", "--schema", "--data-file"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_inert("inspect --schema", &stdout);
    assert!(
        stdout.contains("\\x1b]52;c;ZXZpbA==\\x07copied"),
        "{stdout}"
    );
    for secret in [&spaced[..12], &hex[..12], &letters[..12], &b32[..12]] {
        assert!(!stdout.contains(secret), "{secret} shown:\n{stdout}");
    }
    assert!(stdout.matches("••••").count() >= 3, "{stdout}");
    assert!(
        stdout.contains("jdoe"),
        "plain values stay readable:\n{stdout}"
    );
    // The JSON form holds the same masked samples.
    let json = bin(home.path())
        .args(["inspect", "--schema", "--json", "--data-file"])
        .arg(&path)
        .output()
        .unwrap();
    let json = text(&json.stdout);
    for secret in [&spaced[..12], &hex[..12], &letters[..12]] {
        assert!(!json.contains(secret), "{secret} in JSON");
    }
}

// ---------------------------------------------------------------------------------------
// Files: links, permissions, folders
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn the_platform_data_dir_is_created_private_and_an_open_one_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let run = || {
        bin(home.path())
            .args(["whoami", "--auth", "token"])
            .args(["--graph-url", "http://127.0.0.1:9"])
            .env(
                "MFA_CUTOVER_ACCESS_TOKEN",
                forged_token("admin@contoso.com", ""),
            )
            .output()
            .unwrap()
    };
    let out = run();
    let data_dir = home.path().join(".local/share/mfa-cutover");
    assert!(data_dir.is_dir(), "{}", text(&out.stderr));
    assert_eq!(mode(&data_dir), 0o700);
    assert_eq!(mode(&data_dir.join("logs")), 0o700);
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    run();
    assert_eq!(mode(&data_dir), 0o700);
}

#[cfg(unix)]
#[test]
fn a_linked_log_file_or_state_dir_is_refused_and_left_untouched() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let victim = home.path().join("victim");
    std::fs::write(&victim, "keep").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let state = home.path().join("state");
    std::fs::create_dir_all(state.join("logs")).unwrap();
    let today = chrono::Utc::now().date_naive().format("%Y-%m-%d");
    std::os::unix::fs::symlink(&victim, state.join(format!("logs/mfa-cutover.{today}.log")))
        .unwrap();
    let whoami = |state: &Path| {
        bin(home.path())
            .args(["whoami", "--auth", "token"])
            .args(["--graph-url", "http://127.0.0.1:9"])
            .arg("--state-dir")
            .arg(state)
            .env(
                "MFA_CUTOVER_ACCESS_TOKEN",
                forged_token("admin@contoso.com", ""),
            )
            .output()
            .unwrap()
    };
    let out = whoami(&state);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    assert_eq!(mode(&victim), 0o644);

    // A state dir that is a link: refused; its target keeps its mode.
    let target = home.path().join("elsewhere");
    std::fs::create_dir(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = home.path().join("state-link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = whoami(&link);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("symbolic link"));
    assert_eq!(mode(&target), 0o755);

    // Somebody's open folder as the state dir: refused with the chmod, not changed.
    let shared = home.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(shared.join("notes.txt"), "x").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = whoami(&shared);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("chmod 700 {}", shared.display())),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(mode(&shared), 0o755);
}

// ---------------------------------------------------------------------------------------
// Bounded reads: every file read whole is a regular file within its cap
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
fn fifo(dir: &Path) -> Option<PathBuf> {
    let p = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&p).status();
    made.is_ok_and(|s| s.success()).then_some(p)
}

#[cfg(unix)]
#[test]
fn config_mapping_and_plan_must_be_regular_files_within_their_caps() {
    let home = tempfile::tempdir().unwrap();
    let check = |out: Output, needle: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let e = text(&out.stderr);
        assert!(e.contains(needle), "{needle:?} in {e}");
    };
    // A device and a FIFO as the config: refused at once, never read or waited on.
    check(
        bin(home.path())
            .args(["inspect", "--config", "/dev/zero"])
            .output()
            .unwrap(),
        "/dev/zero is a character device",
    );
    if let Some(f) = fifo(home.path()) {
        check(
            bin(home.path())
                .args(["inspect", "--config"])
                .arg(&f)
                .output()
                .unwrap(),
            "FIFO",
        );
    }
    let big = home.path().join("big.toml");
    std::fs::write(&big, "#".repeat(2 << 20)).unwrap();
    check(
        bin(home.path())
            .args(["inspect", "--config"])
            .arg(&big)
            .output()
            .unwrap(),
        "larger than a config file can be (1 MiB at most)",
    );
    let data = snapshot(home.path(), 10);
    check(
        bin(home.path())
            .args(["inspect", "--mapping", "/dev/zero", "--data-file"])
            .arg(&data)
            .output()
            .unwrap(),
        "it is a character device",
    );
    check(
        bin(home.path())
            .args(["migrate", "--yes", "--plan", "/dev/zero"])
            .output()
            .unwrap(),
        "a character device",
    );
}

#[cfg(unix)]
#[test]
fn keymap_and_state_key_must_be_regular_files() {
    use mfa_cutover::engine::Store;
    use mfa_cutover::tui::keymap::Keymap;
    let e = Keymap::load(Some("/dev/zero"), None)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("character device"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    if let Some(f) = fifo(dir.path()) {
        let path = f.to_str().unwrap().to_string();
        let e = Keymap::load(Some(&path), None).err().unwrap().to_string();
        assert!(e.contains("FIFO"), "{e}");
        std::fs::rename(&f, dir.path().join("state.key")).unwrap();
        let e = Store::open_locked(
            dir.path(),
            "test",
            std::sync::Arc::new(mfa_cutover::engine::SystemClock),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("FIFO"), "{e}");
    }
    let linked = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", linked.path().join("state.key")).unwrap();
    let e = Store::open_locked(
        linked.path(),
        "test",
        std::sync::Arc::new(mfa_cutover::engine::SystemClock),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("symbolic link"), "{e}");
}

// ---------------------------------------------------------------------------------------
// Stale or cut data
// ---------------------------------------------------------------------------------------

#[test]
fn a_snapshot_with_an_uncheckpointed_wal_is_refused_with_the_command() {
    let home = tempfile::tempdir().unwrap();
    let data = snapshot(home.path(), 20);
    // A writer still holds changes in the write-ahead log.
    let writer = rusqlite::Connection::open(&data).unwrap();
    writer
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             UPDATE users SET phone = '555 0199' WHERE user_id = (SELECT min(user_id) FROM users);",
        )
        .unwrap();
    let wal = PathBuf::from(format!("{}-wal", data.display()));
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    let out = bin(home.path())
        .arg("inspect")
        .arg("--data-file")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let e = text(&out.stderr);
    assert!(e.contains("sqlite3"), "{e}");
    assert!(e.contains("'PRAGMA wal_checkpoint(TRUNCATE)'"), "{e}");
    // The command in the message does fold the log in; then the file reads.
    writer
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    let out = bin(home.path())
        .arg("inspect")
        .arg("--data-file")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    drop(writer);
}

fn inspect_json(home: &Path, inputs: &[&Path]) -> serde_json::Value {
    let mut c = bin(home);
    c.args(["inspect", "--json"]);
    for i in inputs {
        c.arg("--data-file").arg(i);
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn problems_of(report: &serde_json::Value, kind: &str) -> Vec<serde_json::Value> {
    report["row_problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .cloned()
        .collect()
}

const EXPORT_HEADER: &str = "Username,Primary Country Code,Primary Phone,Backup Phone\r\n";

#[test]
fn a_last_row_cut_mid_record_is_a_row_problem_not_a_short_phone() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("export");
    std::fs::create_dir(&dir).unwrap();
    let csv = dir.join("Multi-Factor Authentication Users.csv");
    std::fs::write(
        &csv,
        format!("{EXPORT_HEADER}ann@contoso.com,39,320 1794567,\r\nbob@contoso.com,39,+39 3201794"),
    )
    .unwrap();
    let r = inspect_json(home.path(), &[&csv]);
    assert_eq!(r["users"], 1, "{r}");
    let cut = problems_of(&r, "truncated_row");
    assert_eq!(cut.len(), 1, "{r}");
    assert_eq!(cut[0]["user"], "bob@contoso.com");
    assert_eq!(cut[0]["field"], "phone");
    assert_eq!(cut[0]["set_aside"], true);
    // An unterminated quote at the end is cut too, even with every field present.
    std::fs::write(
        &csv,
        format!("{EXPORT_HEADER}ann@contoso.com,39,320 1794567,\r\nbob@contoso.com,39,1,\"+39 320"),
    )
    .unwrap();
    let r = inspect_json(home.path(), &[&csv]);
    assert_eq!(problems_of(&r, "truncated_row").len(), 1, "{r}");
    // A whole file without a final line end is whole.
    std::fs::write(
        &csv,
        format!(
            "{EXPORT_HEADER}ann@contoso.com,39,320 1794567,\r\nbob@contoso.com,39,320 1794568,"
        ),
    )
    .unwrap();
    let r = inspect_json(home.path(), &[&csv]);
    assert_eq!(r["users"], 2, "{r}");
    assert!(problems_of(&r, "truncated_row").is_empty(), "{r}");
}

#[test]
fn invalid_utf16_is_a_row_problem_naming_the_field() {
    let home = tempfile::tempdir().unwrap();
    let csv = home.path().join("users.csv");
    let mut bytes = vec![0xFF, 0xFE];
    let mut put = |s: &str| {
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
    };
    put(EXPORT_HEADER);
    put("ann@contoso.com,39,320 17");
    // An unpaired high surrogate inside the phone.
    bytes.extend_from_slice(&0xD800u16.to_le_bytes());
    let mut put = |s: &str| {
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
    };
    put("94567,\r\nbob@contoso.com,39,320 1794568,\r\n");
    std::fs::write(&csv, &bytes).unwrap();
    let r = inspect_json(home.path(), &[&csv]);
    assert_eq!(r["users"], 2, "{r}");
    let bad = problems_of(&r, "invalid_utf16");
    assert_eq!(bad.len(), 1, "{r}");
    assert_eq!(bad[0]["user"], "ann@contoso.com");
    assert_eq!(bad[0]["field"], "phone");
    assert!(!r.to_string().contains('\u{fffd}'), "{r}");
    assert_eq!(
        r["counts"]["with_phone"], 1,
        "ann is kept without the phone: {r}"
    );
}

#[test]
fn oath_secrets_outside_what_entra_takes_are_row_problems() {
    let home = tempfile::tempdir().unwrap();
    let users = home.path().join("users.csv");
    std::fs::write(
        &users,
        format!(
            "{EXPORT_HEADER}ann@contoso.com,1,425 555 0100,\r\nbob@contoso.com,1,425 555 0101,\r\n\
             cy@contoso.com,1,425 555 0102,\r\n"
        ),
    )
    .unwrap();
    let big = "A".repeat(10 * 1024);
    let seeds = home.path().join("seeds.csv");
    std::fs::write(
        &seeds,
        format!(
            "upn,serial number,secret key,time interval,manufacturer,model\n\
             ann@contoso.com,T-1,{big},30,Token2,C302\n\
             bob@contoso.com,T-2,JBSWY3DPEHPK3PXP,30,Token2,C302\n\
             cy@contoso.com,T-3,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C302\n"
        ),
    )
    .unwrap();
    let r = inspect_json(home.path(), &[&users, &seeds]);
    let bad = problems_of(&r, "bad_secret");
    assert_eq!(bad.len(), 2, "{r}");
    let all = r.to_string();
    assert!(
        all.contains("10240 characters"),
        "the size is stated: {all}"
    );
    assert!(all.contains("10 bytes (80 bits) is too short"), "{all}");
    assert!(!all.contains("AAAAAAAA"), "never the secret");
    assert!(!all.contains("JBSWY3DP"), "never the secret");
    assert_eq!(r["counts"]["tokens_without_secret"], 2, "{r}");
}

// ---------------------------------------------------------------------------------------
// Config, Graph host, sample-data
// ---------------------------------------------------------------------------------------

#[test]
fn config_numbers_outside_their_range_are_refused_naming_key_value_and_range() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    for (toml, needle) in [
        (
            "[graph]\nconcurrency = 1000000\n",
            "[graph] concurrency \"1000000\": expected a whole number from 1 to 64",
        ),
        (
            "[graph]\nconcurrency = 0\n",
            "[graph] concurrency \"0\": expected a whole number from 1 to 64",
        ),
        (
            "[graph]\nwrites_per_window = 0\n",
            "[graph] writes_per_window \"0\": expected a whole number from 1 to 1000000",
        ),
        (
            "[graph]\nwrite_window_secs = 100000\n",
            "[graph] write_window_secs \"100000\": expected a whole number from 1 to 86400",
        ),
        (
            "[migration]\nsync_interval = \"1s\"\n",
            "[migration] sync_interval \"1s\": expected a duration from 1m to 7days",
        ),
        (
            "[graph]\nconcurrency = 18446744073709551615\n",
            "concurrency",
        ),
    ] {
        std::fs::write(&config, toml).unwrap();
        let out = bin(home.path())
            .arg("inspect")
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{toml}: {}", text(&out.stderr));
        let e = text(&out.stderr);
        assert!(e.contains(needle), "{needle:?} in {e}");
    }
}

#[test]
fn a_graph_root_that_is_no_clouds_needs_saying_so() {
    let home = tempfile::tempdir().unwrap();
    let out = bin(home.path())
        .args(["whoami", "--auth", "token"])
        .args(["--graph-url", "https://graph.example.net"])
        .env(
            "MFA_CUTOVER_ACCESS_TOKEN",
            forged_token("admin@contoso.com", ""),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(e.contains("--allow-custom-graph-url"), "{e}");
    assert!(e.contains("graph.example.net"), "{e}");
    // The national clouds' hosts and loopback need nothing.
    use mfa_cutover::config::check_graph_url;
    assert!(check_graph_url("https://graph.microsoft.us", false).is_ok());
    assert!(check_graph_url("https://microsoftgraph.chinacloudapi.cn/", false).is_ok());
    assert!(check_graph_url("http://127.0.0.1:8080", false).is_ok());
    assert!(check_graph_url("https://graph.example.net", true).is_ok());
    assert!(check_graph_url("https://graph.microsoft.com.evil.net", false).is_err());
}

#[test]
fn sample_data_does_not_overwrite_without_force() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("data.pfdata");
    std::fs::write(&out, "somebody's file").unwrap();
    let run = |force: bool| {
        let mut c = bin(home.path());
        c.args(["sample-data", "--users", "5"]).arg(&out);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let o = run(false);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--force"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "somebody's file");
    let o = run(true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        std::fs::read(&out)
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
}

// ---------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reregister_export_is_inert_in_a_spreadsheet_and_its_folders_are_made() {
    use engine_support::{Fixture, GROUP};
    use mfa_cutover::engine::{Command, MigrationCommand};
    let fx = Fixture::new(mfa_cutover::sim::SimConfig {
        users: 60,
        seed: 5,
        ..Default::default()
    })
    .await;
    sql(
        &fx.data_file,
        "UPDATE mobile_app_devices SET device_name = CASE device_id % 3
            WHEN 0 THEN '=HYPERLINK(\"http://evil\",\"x\")'
            WHEN 1 THEN '@SUM(A1)' || char(27) || '[2J'
            ELSE '+1 iPhone' END;",
    );
    let mut d = fx.engine(Default::default()).await;
    d.ready().await;
    d.load_group(GROUP).await;
    d.run(false, false).await;
    let csv = fx.dir.path().join("exports/2026/reregister.csv");
    let rows = match d
        .call(
            Command::Migration(MigrationCommand::ExportReregister { path: csv.clone() }),
            30,
        )
        .await
    {
        Ok(mfa_cutover::engine::Answer::Exported { users, .. }) => users,
        other => panic!("{other:?}"),
    };
    assert!(rows > 0);
    let body = std::fs::read_to_string(&csv).unwrap();
    assert_inert("the export", &body.replace('\r', ""));
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    for rec in reader.records() {
        let rec = rec.unwrap();
        for cell in rec.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} would run as a formula"
            );
        }
    }
    assert!(body.contains("'=HYPERLINK"), "{body}");
    #[cfg(unix)]
    {
        assert_eq!(mode(&fx.dir.path().join("exports")), 0o700);
        assert_eq!(mode(&csv), 0o600);
    }
    d.shutdown().await;
}
