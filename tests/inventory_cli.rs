//! `mfa-cutover inventory` through the binary: the demo's exports read with the sample
//! data file, malformed exports refused with exit code 2 naming the file, the place and
//! what was expected, and no shared secret in any output, file or log.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_snapshot};
use mfa_cutover::inventory::sample::{is_nps_file, write_exports};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// An even seed: the demo farm is at behavior level 4 (odd seeds give 3).
const SEED: u64 = 8;

struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    files: Vec<PathBuf>,
}

fn demo() -> Result<Demo> {
    let dir = tempfile::tempdir()?;
    let root = dir.path().to_path_buf();
    let data = root.join("sample.pfdata");
    write_snapshot(&Population::new(SEED, 50), &data, &WriteOptions::default())?;
    let files = write_exports(&root.join("exports"), SEED)?;
    Ok(Demo {
        _dir: dir,
        root,
        data,
        files,
    })
}

fn inventory(d: &Demo, extra: &[&str]) -> Result<std::process::Output> {
    let mut cmd = Command::cargo_bin("mfa-cutover")?;
    cmd.arg("--data-file").arg(&d.data);
    cmd.arg("--state-dir").arg(d.root.join("state"));
    cmd.arg("inventory");
    for f in &d.files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        cmd.arg(if is_nps_file(name) { "--nps" } else { "--adfs" })
            .arg(f);
    }
    cmd.args(extra);
    Ok(cmd.output()?)
}

/// Every shared secret the demo's NPS exports hold.
fn secrets(d: &Demo) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in &d.files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (open, close) in [
            ("<Shared_Secret dt:dt=\"string\">", "</Shared_Secret>"),
            (
                "<Authentication_Secret dt:dt=\"string\">",
                "</Authentication_Secret>",
            ),
            ("\"SharedSecret\": \"", "\""),
        ] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(open) {
                let after = &rest[i + open.len()..];
                let end = after.find(close).unwrap_or(after.len());
                out.push(after[..end].to_string());
                rest = &after[end..];
            }
        }
    }
    // The data file's own RADIUS client carries one too (its reader drops it).
    for svc in Population::new(SEED, 50).services() {
        if let Some(serde_json::Value::String(s)) = svc.detail.get("shared_secret") {
            out.push(s.clone());
        }
    }
    assert!(out.len() >= 8, "the demo's inputs carry secrets: {out:?}");
    Ok(out)
}

#[test]
fn the_demo_exports_fill_the_inventory() -> Result {
    let d = demo()?;
    let out = inventory(&d, &[])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "Microsoft Office 365 Identity Platform",
        "Contoso Expenses",
        "VPN concentrator",
        "AzureMfaServerAuthentication",
        "INV-ACP",
        "INV-HTTPS",
        "INV-NPS",
        "INV-RADIUS",
    ] {
        assert!(stdout.contains(needle), "{needle} in\n{stdout}");
    }
    Ok(())
}

#[test]
fn json_output_holds_every_item_and_the_interlock_findings() -> Result {
    let d = demo()?;
    let out = inventory(&d, &["--json"])?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let items = doc["items"].as_array().map(Vec::len).unwrap_or(0);
    assert!(items >= 25, "{items} items");
    let keeps = doc["keeps_users_on_mfa_server"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rules: Vec<&str> = keeps.iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"INV-ACP"), "{rules:?}");
    assert!(doc["summary"]["total"].as_u64().unwrap_or(0) > 10);
    Ok(())
}

#[test]
fn a_decision_is_kept_per_tenant_audited_and_counted() -> Result {
    let d = demo()?;
    let out = inventory(&d, &["--json"])?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let before = doc["summary"]["done"].as_u64().unwrap_or(u64::MAX);
    let item = doc["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["dependence"] == "yes"))
        .and_then(|i| i["id"].as_str())
        .ok_or("an item that needs a decision")?
        .to_string();

    // Without a tenant to keep it under: refused, exit 2, nothing kept.
    let out = inventory(&d, &["--decide", &item, "--status", "done"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tenant"));
    // A status that is not one: exit 2 naming what is expected.
    let out = inventory(&d, &["--decide", &item, "--status", "finished"])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wont-do"));

    let tenant = ["--tenant", "contoso-test"];
    let mut args = vec!["--decide", &item, "--status", "done", "--note", "CAB-1042"];
    args.extend(tenant);
    let out = inventory(&d, &args)?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Shown by the next run (the store names the tenant now), counted as done.
    let out = inventory(&d, &["--json"])?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(doc["summary"]["done"].as_u64(), Some(before + 1));
    let decided = doc["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == item.as_str()))
        .ok_or("the item")?;
    assert_eq!(decided["decision"]["status"], "done");
    assert_eq!(decided["decision"]["note"], "CAB-1042");

    // Audited with who, before and after.
    let mut cmd = Command::cargo_bin("mfa-cutover")?;
    let out = cmd
        .arg("--state-dir")
        .arg(d.root.join("state"))
        .args(["audit", "--json", "--kind", "inventory"])
        .output()?;
    let audit: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "inventory.decide", "{audit}");
    assert!(
        entry["actor"]
            .as_str()
            .unwrap_or("")
            .contains("local account")
    );
    assert!(entry["after"].as_str().unwrap_or("").contains("done"));
    assert!(entry["after"].as_str().unwrap_or("").contains("CAB-1042"));
    Ok(())
}

#[test]
fn why_explains_the_provider_for_a_user_outside_the_routing_group() -> Result {
    let d = demo()?;
    let pop = Population::new(SEED, 1);
    let user_sid = format!("{}-1100", pop.domain_sid());
    let out = inventory(
        &d,
        &[
            "--why",
            "Microsoft Office 365 Identity Platform",
            "--sid",
            &user_sid,
            "--json",
        ],
    )?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(doc["outcome"]["kind"], "mfa_server", "{doc:#}");
    let migrated = format!("{}-3101", pop.domain_sid());
    let out = inventory(
        &d,
        &[
            "--why",
            "urn:federation:MicrosoftOnline",
            "--sid",
            &user_sid,
            "--sid",
            &migrated,
            "--json",
        ],
    )?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(doc["outcome"]["kind"], "entra", "{doc:#}");
    let text = inventory(&d, &["--why", "Payroll (SAP)"])?;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("never fires"), "{text}");
    Ok(())
}

#[test]
fn no_shared_secret_reaches_output_files_or_logs() -> Result {
    let d = demo()?;
    let secrets = secrets(&d)?;
    let csv = d.root.join("inv.csv");
    let md = d.root.join("inv.md");
    let mut seen = String::new();
    for args in [
        vec!["--json"],
        vec![],
        vec!["--why", "Contoso Expenses", "--json"],
        vec![
            "--csv",
            csv.to_str().unwrap_or(""),
            "--markdown",
            md.to_str().unwrap_or(""),
            "-vv",
        ],
    ] {
        let out = inventory(&d, &args)?;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    seen.push_str(&std::fs::read_to_string(&csv)?);
    seen.push_str(&std::fs::read_to_string(&md)?);
    for entry in walk(&d.root.join("state")) {
        seen.push_str(&String::from_utf8_lossy(&std::fs::read(entry)?));
    }
    for s in &secrets {
        assert!(!seen.contains(s.as_str()), "secret {s} leaked");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&csv)?.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&md)?.permissions().mode() & 0o777, 0o600);
    }
    Ok(())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `inventory --adfs FILE` with `bytes`: exit 2, the file, the place and what was expected.
fn refused(bytes: &[u8], flag: &str, needles: &[&str]) -> Result {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("export.json");
    std::fs::write(&path, bytes)?;
    let out = Command::cargo_bin("mfa-cutover")?
        .arg("inventory")
        .arg(flag)
        .arg(&path)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
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
fn malformed_json_is_refused_with_line_and_column() -> Result {
    refused(
        b"[\n  {\"Name\": \"App\",\n   \"Identifier\": ,}\n]",
        "--adfs",
        &["line 3, column", "malformed JSON"],
    )
}

#[test]
fn a_record_of_the_wrong_shape_names_its_json_path() -> Result {
    refused(
        br#"[{"Name":"A","Identifier":["urn:a"],"IssuanceTransformRules":""},{"Name":"B","Identifier":["urn:b"],"IssuanceTransformRules":"","LastUpdateTime":"last tuesday"}]"#,
        "--adfs",
        &["$[1].LastUpdateTime", "/Date(milliseconds)/"],
    )
}

#[test]
fn an_unrecognised_export_says_which_exports_are_read() -> Result {
    refused(
        br#"{"Foo": 1}"#,
        "--adfs",
        &["$[0]", "Foo", "Get-AdfsRelyingPartyTrust"],
    )?;
    refused(b"hello world", "--nps", &["netsh nps export"])
}

#[test]
fn truncated_nps_xml_is_refused_with_its_line() -> Result {
    let d = demo()?;
    let xml = d
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "xml"))
        .ok_or("no xml")?;
    let text = std::fs::read_to_string(xml)?;
    refused(
        &text.as_bytes()[..text.len() / 2],
        "--nps",
        &["line", "XML"],
    )
}

#[test]
fn nothing_to_read_is_bad_usage() -> Result {
    let out = Command::cargo_bin("mfa-cutover")?
        .arg("inventory")
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--adfs"));
    Ok(())
}
