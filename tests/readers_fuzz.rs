//! Every reader of a file the admin hands the tool — data files (snapshot CSV folder,
//! Export Users CSV in UTF-8 and UTF-16, OATH seed file), `inspect --schema`, config,
//! keymap, mapping, saved plan — fed random bytes and random damage to a valid file:
//! each answers (a value or an error) without panicking, and in bounded time. (Damaged
//! SQLite snapshots: `datafile_fuzz.rs`.)

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

use mfa_cutover::datafile::sample::{
    Population, WriteOptions, write_export_csv, write_snapshot_folder,
};
use proptest::prelude::*;

/// Generous: a reader that blocks (a FIFO-like wait, a loop) never answers at all.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// Run `read` on its own thread; a panic or no answer fails the case.
fn answers<T: Send + 'static>(what: &str, read: impl FnOnce() -> T + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(read());
    });
    match rx.recv_timeout(ANSWER_WITHIN) {
        Ok(_) => {
            assert!(handle.join().is_ok(), "{what} panicked");
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} did not answer"),
    }
}

/// Damage to a valid file: bytes overwritten, a run of random bytes inserted, the end
/// cut off.
#[derive(Debug, Clone)]
struct Damage {
    hits: Vec<(prop::sample::Index, u8)>,
    insert: Option<(prop::sample::Index, Vec<u8>)>,
    cut: Option<prop::sample::Index>,
}

fn damage() -> impl Strategy<Value = Damage> {
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..16),
        proptest::option::of((
            any::<prop::sample::Index>(),
            prop::collection::vec(any::<u8>(), 1..64),
        )),
        proptest::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(|(hits, insert, cut)| Damage { hits, insert, cut })
}

impl Damage {
    fn apply(&self, valid: &[u8]) -> Vec<u8> {
        let mut b = valid.to_vec();
        if b.is_empty() {
            return b;
        }
        for (at, v) in &self.hits {
            let i = at.index(b.len());
            b[i] = *v;
        }
        if let Some((at, bytes)) = &self.insert {
            let i = at.index(b.len());
            b.splice(i..i, bytes.iter().copied());
        }
        if let Some(c) = &self.cut {
            b.truncate(c.index(b.len()));
        }
        b
    }
}

/// Valid files to damage, written once.
struct Valid {
    export_users: Vec<u8>,
    seed_file: Vec<u8>,
    folder_users: Vec<u8>,
    folder_tokens: Vec<u8>,
}

fn valid() -> &'static Valid {
    static V: OnceLock<Valid> = OnceLock::new();
    V.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let pop = Population::new(11, 40);
        let export = dir.path().join("export");
        let w = write_export_csv(&pop, &export, &WriteOptions::default()).expect("export");
        let folder = dir.path().join("folder");
        write_snapshot_folder(&pop, &folder, &WriteOptions::default()).expect("folder");
        let read = |p: &Path| std::fs::read(p).expect("read");
        Valid {
            export_users: read(&w.files[0]),
            seed_file: read(&w.files[1]),
            folder_users: read(&folder.join("users.csv")),
            folder_tokens: read(&folder.join("oath_tokens.csv")),
        }
    })
}

/// UTF-8 text (a BOM dropped) as UTF-16 LE with its BOM, as Windows tools write it.
fn utf16(bytes: &[u8]) -> Vec<u8> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = vec![0xFF, 0xFE];
    for u in String::from_utf8_lossy(body).encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

const CONFIG: &str = r#"tenant = "contoso.onmicrosoft.com"
cloud = "global"
data_file = "/srv/mfa/PhoneFactor.pfdata"
production = true

[auth]
kind = "certificate"
client_id = "00000000-0000-0000-0000-000000000000"
certificate = "/etc/mfa-cutover/app.pem"

[migration]
group = "MFA Migration Wave 1"
default_method = "if-not-set"
mobile_app = "report"
include_disabled = false
match_attribute = { mfa_server = "employeeID", entra = "employeeId" }
sync_interval = "15m"

[graph]
concurrency = 16
writes_per_window = 3000
write_window_secs = 150
resource_units_per_10s = 8000
"#;

const MAPPING: &str = r#"[tables]
users = "UserTable"
mobile_app_devices = "Devices"

[columns.users]
username = "UserName"
phone = "PhoneNumber"
default_method = "Method"

[values.users.default_method]
"0" = "phone_call"
"1" = "text_message"
"2" = "mobile_app"
"3" = "oath_token"

[csv_aliases]
extension = ["Primary Extension", "Phone Extension"]
"#;

/// A saved plan as `plan --out` writes it (one user, one operation), by hand so the
/// test does not depend on the Rust types.
const PLAN: &str = r#"{
  "format": "mfa-cutover plan v1",
  "created_at": "2026-11-23T02:00:00Z",
  "tenant": "11111111-2222-3333-4444-555555555555",
  "group": { "id": "g-1", "display_name": "MFA Migration" },
  "data_digest": "0f0e",
  "settings": { "default_method": "if_not_set", "mobile_app": "report",
                "include_disabled": false, "match_attribute": null,
                "hardware_oath_available": true },
  "users": [ { "entra_state": "ab12", "plan": { "user": { "entra_id": "u-1",
      "upn": "ann@contoso.com", "mfa_username": "ann" },
      "ops": [ { "rules": ["P1"], "action": { "op": "add_phone", "slot": "mobile",
      "number": "+14255550100" } } ], "skips": [], "notes": [] } } ]
}"#;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

/// Every data-file reader on `paths`: load (and the inspect report), and the schema.
fn read_data(paths: Vec<PathBuf>, keep: tempfile::TempDir) {
    answers("datafile::load", move || {
        if let Ok(set) = mfa_cutover::datafile::load(&paths, None) {
            let report = mfa_cutover::datafile::report::Report::new(&set);
            let _ = report.render_text();
        }
        let _ = mfa_cutover::datafile::schema::schemas(&paths, None)
            .map(|s| mfa_cutover::datafile::schema::render_text(&s));
        drop(keep);
    });
}

fn read_config(bytes: Vec<u8>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "config.toml", &bytes);
    answers("Config::load", move || {
        let o = mfa_cutover::config::Overrides {
            config: Some(path),
            ..Default::default()
        };
        let _ = mfa_cutover::config::Config::load(&o);
        drop(dir);
    });
}

fn read_keymap(bytes: Vec<u8>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "keymap.toml", &bytes);
    answers("Keymap::load", move || {
        let _ = mfa_cutover::tui::keymap::Keymap::load(path.to_str(), None);
        drop(dir);
    });
}

fn read_mapping(bytes: Vec<u8>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "mapping.toml", &bytes);
    answers("Mapping::load", move || {
        let _ = mfa_cutover::datafile::Mapping::load(&path);
        drop(dir);
    });
}

fn read_plan(bytes: Vec<u8>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "plan.json", &bytes);
    answers("PlanFile::load", move || {
        let _ = mfa_cutover::engine::planfile::PlanFile::load(&path);
        drop(dir);
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn damaged_export_csvs_and_seed_files_answer(
        users in damage(),
        seeds in damage(),
        as_utf16 in any::<bool>(),
    ) {
        let v = valid();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut users_bytes = users.apply(&v.export_users);
        if as_utf16 {
            users_bytes = utf16(&users_bytes);
        }
        let a = write(dir.path(), "Multi-Factor Authentication Users.csv", &users_bytes);
        let b = write(dir.path(), "hardware-oath-tokens.csv", &seeds.apply(&v.seed_file));
        read_data(vec![a, b], dir);
    }

    #[test]
    fn damaged_snapshot_folders_answer(users in damage(), tokens in damage()) {
        let v = valid();
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("snapshot");
        std::fs::create_dir(&folder).expect("folder");
        write(&folder, "users.csv", &users.apply(&v.folder_users));
        write(&folder, "oath_tokens.csv", &tokens.apply(&v.folder_tokens));
        read_data(vec![folder], dir);
    }

    #[test]
    fn random_bytes_as_any_input_answer(bytes in prop::collection::vec(any::<u8>(), 0..768)) {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = write(dir.path(), "input.csv", &bytes);
        read_data(vec![p], dir);
        read_config(bytes.clone());
        read_keymap(bytes.clone());
        read_mapping(bytes.clone());
        read_plan(bytes);
    }

    #[test]
    fn damaged_config_keymap_mapping_and_plan_answer(
        config in damage(),
        keymap in damage(),
        mapping in damage(),
        plan in damage(),
    ) {
        read_config(config.apply(CONFIG.as_bytes()));
        read_keymap(keymap.apply(include_bytes!("../keymaps/default.toml")));
        read_mapping(mapping.apply(MAPPING.as_bytes()));
        read_plan(plan.apply(PLAN.as_bytes()));
    }
}

/// The valid files themselves read (the damage above starts from something real).
#[test]
fn the_undamaged_files_read() {
    let v = valid();
    let dir = tempfile::tempdir().expect("temp dir");
    let a = write(
        dir.path(),
        "Multi-Factor Authentication Users.csv",
        &v.export_users,
    );
    let b = write(dir.path(), "hardware-oath-tokens.csv", &v.seed_file);
    let set = mfa_cutover::datafile::load(&[a.clone(), b.clone()], None).expect("export");
    assert!(!set.is_empty());
    let u16 = write(dir.path(), "utf16.csv", &utf16(&v.export_users));
    let set16 = mfa_cutover::datafile::load(&[u16], None).expect("UTF-16 export");
    assert_eq!(
        set16.len(),
        mfa_cutover::datafile::load(&[a], None)
            .expect("again")
            .len()
    );
    let c = write(dir.path(), "config.toml", CONFIG.as_bytes());
    let o = mfa_cutover::config::Overrides {
        config: Some(c),
        ..Default::default()
    };
    mfa_cutover::config::Config::load(&o).expect("config");
    let m = write(dir.path(), "mapping.toml", MAPPING.as_bytes());
    mfa_cutover::datafile::Mapping::load(&m).expect("mapping");
}
