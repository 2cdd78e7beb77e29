//! File problems end the command with exit code 2 and one message naming the file, what
//! was found and what was expected — never a panic; reading never changes an input; and
//! the commands `sample-data` and `inspect` work end to end.

use std::path::Path;

use assert_cmd::Command;
use mfa_cutover::datafile::sample::{
    Population, WriteOptions, write_export_csv, write_snapshot, write_snapshot_folder,
};
use mfa_cutover::datafile::{FileProblem, load};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn cli() -> Result<Command> {
    Ok(Command::cargo_bin("mfa-cutover")?)
}

/// `inspect` on `path` (and a mapping): exit code 2, a message holding every `needle`.
fn refused(path: &Path, mapping: Option<&Path>, needles: &[&str]) -> Result {
    let mut cmd = cli()?;
    cmd.arg("--data-file").arg(path);
    if let Some(m) = mapping {
        cmd.arg("--mapping").arg(m);
    }
    let out = cmd.arg("inspect").output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
    assert!(out.stdout.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&path.display().to_string()),
        "names the file: {stderr}"
    );
    assert!(
        stderr.contains("expected"),
        "says what was expected: {stderr}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{n:?} in {stderr}");
    }
    Ok(())
}

#[test]
fn random_bytes_are_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("random.bin");
    // Deterministic noise with NULs and high bytes, like any binary file.
    let bytes: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, bytes)?;
    refused(&path, None, &["binary data", "Export Users CSV"])
}

#[test]
fn a_zip_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("export.zip");
    let mut bytes = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    bytes.extend(std::iter::repeat_n(0x5a, 200));
    std::fs::write(&path, bytes)?;
    refused(&path, None, &["ZIP archive", "extracted"])
}

#[test]
fn a_truncated_sqlite_file_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let full = dir.path().join("full.pfdata");
    write_snapshot(&Population::new(1, 300), &full, &WriteOptions::default())?;
    let bytes = std::fs::read(&full)?;
    let path = dir.path().join("cut.pfdata");
    std::fs::write(&path, &bytes[..bytes.len() / 2])?;
    refused(&path, None, &["truncated", "complete file"])
}

#[test]
fn a_damaged_sqlite_file_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("damaged.pfdata");
    write_snapshot(&Population::new(1, 300), &path, &WriteOptions::default())?;
    let mut bytes = std::fs::read(&path)?;
    // Scribble over every page after the first: the schema survives, the tables do not.
    for b in bytes.iter_mut().skip(4096) {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes)?;
    refused(&path, None, &["SQLite"])
}

#[test]
fn a_sqlite_file_without_users_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("other.sqlite");
    let db = rusqlite::Connection::open(&path)?;
    db.execute_batch("CREATE TABLE Config (k TEXT, v TEXT); INSERT INTO Config VALUES ('a','b');")?;
    drop(db);
    refused(&path, None, &["without a users table", "Config", "mapping"])
}

#[test]
fn a_mapping_naming_an_absent_column_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("PhoneFactor.pfdata");
    let db = rusqlite::Connection::open(&path)?;
    db.execute_batch("CREATE TABLE UserTable (UserName TEXT, Phone TEXT);")?;
    drop(db);
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        "[tables]\nusers = \"UserTable\"\n[columns.users]\nusername = \"UserName\"\n\
         phone = \"PhoneNumber\"\n",
    )?;
    refused(
        &path,
        Some(&mapping),
        &["PhoneNumber", "no such column", "UserName"],
    )
}

#[test]
fn a_malformed_mapping_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("s.pfdata");
    write_snapshot(&Population::new(1, 10), &path, &WriteOptions::default())?;
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[tables]\nuserz = \"X\"\n")?;
    let out = cli()?
        .arg("--data-file")
        .arg(&path)
        .arg("--mapping")
        .arg(&mapping)
        .arg("inspect")
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("userz") && stderr.contains("expected"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn an_empty_folder_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty)?;
    refused(&empty, None, &["empty folder", "users.csv"])
}

#[test]
fn empty_missing_and_unknown_files_are_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "")?;
    refused(&empty, None, &["empty file"])?;
    refused(&dir.path().join("missing.pfdata"), None, &["cannot read"])?;
    let text = dir.path().join("notes.csv");
    std::fs::write(&text, "Name,Colour\nann,blue\n")?;
    refused(&text, None, &["not a known header", "Username"])?;
    let ese = dir.path().join("PhoneFactor.pfdata");
    let mut bytes = vec![0u8; 4096];
    bytes[4..8].copy_from_slice(&[0xEF, 0xCD, 0xAB, 0x89]);
    std::fs::write(&ese, bytes)?;
    refused(&ese, None, &["ESE", "not published"])
}

#[test]
fn no_users_is_a_file_problem() -> Result {
    let dir = tempfile::tempdir()?;
    let header_only = dir.path().join("export.csv");
    std::fs::write(
        &header_only,
        "Username,Primary Country Code,Primary Phone\r\n",
    )?;
    refused(&header_only, None, &["no user rows"])?;
    let seeds = dir.path().join("seeds.csv");
    std::fs::write(
        &seeds,
        "serial number,secret key\nT1,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n",
    )?;
    refused(&seeds, None, &["only OATH seed files", "Export Users CSV"])
}

#[test]
fn an_unknown_layout_version_is_refused() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("future.pfdata");
    write_snapshot(&Population::new(1, 10), &path, &WriteOptions::default())?;
    let db = rusqlite::Connection::open(&path)?;
    db.execute(
        "UPDATE layout_info SET value = '2' WHERE key = 'version'",
        [],
    )?;
    drop(db);
    refused(&path, None, &["version \"2\"", "version \"1\""])
}

#[test]
fn file_problems_have_kinds_callers_can_branch_on() -> Result {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("e");
    std::fs::create_dir(&empty)?;
    let err = load(&[empty], None).err().ok_or("refused")?;
    assert_eq!(err.problem, FileProblem::EmptyFolder);
    Ok(())
}

/// SHA-256 and modification time of every file under `path`.
fn state(path: &Path) -> Result<Vec<(String, Vec<u8>, std::time::SystemTime)>> {
    let mut files = Vec::new();
    let entries: Vec<_> = if path.is_dir() {
        std::fs::read_dir(path)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    for f in entries {
        let meta = std::fs::metadata(&f)?;
        files.push((
            f.display().to_string(),
            std::fs::read(&f)?,
            meta.modified()?,
        ));
    }
    files.sort();
    Ok(files)
}

#[test]
fn reading_leaves_every_input_unchanged() -> Result {
    let dir = tempfile::tempdir()?;
    let pop = Population::new(3, 400);
    let snapshot = dir.path().join("in").join("s.pfdata");
    std::fs::create_dir(dir.path().join("in"))?;
    write_snapshot(&pop, &snapshot, &WriteOptions::default())?;
    let folder = dir.path().join("folder");
    write_snapshot_folder(&pop, &folder, &WriteOptions::default())?;
    let export = dir.path().join("export");
    write_export_csv(&pop, &export, &WriteOptions::default())?;
    // The snapshot's folder too: no journal, WAL or lock file may appear beside it.
    let before = [
        state(&dir.path().join("in"))?,
        state(&folder)?,
        state(&export)?,
    ];
    load(&[snapshot.clone(), export.clone()], None)?;
    load(std::slice::from_ref(&folder), None)?;
    cli()?
        .arg("--data-file")
        .arg(&snapshot)
        .arg("inspect")
        .arg("--schema")
        .assert()
        .success();
    let after = [
        state(&dir.path().join("in"))?,
        state(&folder)?,
        state(&export)?,
    ];
    assert_eq!(before, after);
    Ok(())
}

#[test]
fn sample_data_then_inspect_json() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("s.pfdata");
    cli()?
        .arg("sample-data")
        .arg(&path)
        .args(["--users", "1000", "--seed", "4"])
        .assert()
        .success();
    let out = cli()?
        .arg("--data-file")
        .arg(&path)
        .args(["inspect", "--json"])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let users = json["users"].as_u64().ok_or("users is an integer")?;
    let people = Population::new(4, 1000)
        .people()
        .filter(|p| p.presence != mfa_cutover::datafile::sample::Presence::EntraOnly)
        .count() as u64;
    assert_eq!(users, people + 2, "people plus the two extra rows");
    let problems = json["row_problems"].as_array().ok_or("row_problems")?;
    assert!(problems.len() >= 10);
    for p in problems {
        assert!(p.get("user").is_some() && p["field"].is_string() && p["reason"].is_string());
    }
    assert_eq!(json["inputs"][0]["kind"], "snapshot_sqlite");
    assert_eq!(json["server_version"], "8.1.1.2");
    assert!(
        json["counts"]["tokens_by_type"]
            .as_object()
            .is_some_and(|m| m.len() >= 4)
    );
    // No secret in the output: device and token secrets never leave their type.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("APA91b"));
    Ok(())
}

#[test]
fn inspect_schema_lists_tables_columns_and_masked_samples() -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("s.pfdata");
    write_snapshot(&Population::new(2, 50), &path, &WriteOptions::default())?;
    let out = cli()?
        .arg("--data-file")
        .arg(&path)
        .args(["inspect", "--schema", "--json"])
        .output()?;
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let tables = json[0]["tables"].as_array().ok_or("tables")?;
    let devices = tables
        .iter()
        .find(|t| t["name"] == "mobile_app_devices")
        .ok_or("devices table")?;
    let secret = devices["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "oath_secret"))
        .ok_or("oath_secret")?;
    assert_eq!(secret["feeds"], "mobile_app_devices.oath_secret");
    for s in secret["samples"].as_array().ok_or("samples")? {
        assert!(
            s.as_str()
                .is_some_and(|s| s.starts_with("••••") && s.chars().count() == 6)
        );
    }
    let names = tables
        .iter()
        .find(|t| t["name"] == "users")
        .and_then(|t| t["columns"].as_array())
        .and_then(|c| c.iter().find(|c| c["name"] == "username"))
        .ok_or("username")?;
    assert!(!names["samples"].as_array().ok_or("samples")?.is_empty());
    // Any SQLite file, even one `load` refuses, has a schema.
    let other = dir.path().join("other.sqlite");
    let db = rusqlite::Connection::open(&other)?;
    db.execute_batch(
        "CREATE TABLE Accounts (Name TEXT, SeedValue TEXT);
         INSERT INTO Accounts VALUES ('ann', 'JBSWY3DPEHPK3PXPJBSWY3DP');",
    )?;
    drop(db);
    let out = cli()?
        .arg("--data-file")
        .arg(&other)
        .args(["inspect", "--schema"])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Accounts") && text.contains("SeedValue") && text.contains("ann"));
    assert!(!text.contains("JBSWY3DP"), "{text}");
    Ok(())
}

#[test]
fn sample_data_refuses_a_non_empty_folder() -> Result {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("keep"), "x")?;
    let out = cli()?
        .arg("sample-data")
        .arg(dir.path())
        .args(["--format", "export-csv", "--users", "5"])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not empty"));
    Ok(())
}
