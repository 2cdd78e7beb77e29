//! Load benchmark (datafile.md "Large inputs"): a 500,000-user snapshot must load within
//! 1.5x the time `sqlite3 FILE .dump` takes, a 500,000-row Export Users CSV within 1.5x of
//! parsing it with the `csv` crate alone, peak memory at most 300 MB.
//!
//! `cargo bench --bench datafile` (users: `MFA_BENCH_USERS`, default 500000; runs:
//! `MFA_BENCH_RUNS`, default 3, best taken). Each load runs in a child process of this
//! binary so that its peak memory (`VmHWM`) is its own. Prints a table; asserts nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mfa_cutover::datafile::layout::{EXPORT_USERS_FILE, SEED_FILE};
use mfa_cutover::datafile::sample::{Population, WriteOptions, write_export_csv, write_snapshot};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("child") {
        child(&args[2..]);
        return;
    }
    let users: usize = std::env::var("MFA_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500_000);
    let runs: usize = std::env::var("MFA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = dir.path().join("bench.pfdata");
    let export = dir.path().join("export");
    let pop = Population::new(1, users);
    let opts = WriteOptions { extras: false };

    let t = Instant::now();
    let w = write_snapshot(&pop, &snapshot, &opts).expect("write snapshot");
    let gen_snapshot = t.elapsed();
    let t = Instant::now();
    write_export_csv(&pop, &export, &opts).expect("write export");
    let gen_export = t.elapsed();
    let users_csv = export.join(EXPORT_USERS_FILE);
    let seed_csv = export.join(SEED_FILE);
    println!(
        "generated {users} people: {} user rows, {} devices, {} tokens",
        w.users, w.devices, w.tokens
    );
    println!(
        "  snapshot written in {} ({}), export CSV in {} ({})",
        secs(gen_snapshot),
        mib(file_size(&snapshot)),
        secs(gen_export),
        mib(file_size(&users_csv))
    );

    let dump = best(runs, || {
        let t = Instant::now();
        let status = Command::new("sqlite3")
            .arg(&snapshot)
            .arg(".dump")
            .stdout(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some((t.elapsed(), 0)),
            _ => None,
        }
    });
    let load_snapshot = best(runs, || run_child("load", &[&snapshot]));
    let csv_only = best(runs, || run_child("csv-only", &[&users_csv]));
    let csv_serde = best(runs, || run_child("csv-serde", &[&users_csv]));
    let load_csv = best(runs, || run_child("load", &[&users_csv]));
    let load_csv_seed = best(runs, || run_child("load", &[&users_csv, &seed_csv]));

    println!();
    println!(
        "{:<44} {:>10} {:>10} {:>7} {:>10}",
        "input", "baseline", "load", "ratio", "peak RSS"
    );
    let row = |name: &str, base: Option<(Duration, u64)>, load: Option<(Duration, u64)>| {
        let ratio = match (base, load) {
            (Some(b), Some(l)) => format!("{:.2}x", l.0.as_secs_f64() / b.0.as_secs_f64()),
            _ => "-".into(),
        };
        println!(
            "{:<44} {:>10} {:>10} {:>7} {:>10}",
            name,
            base.map_or("n/a".into(), |b| secs(b.0)),
            load.map_or("failed".into(), |l| secs(l.0)),
            ratio,
            load.map_or("-".into(), |l| format!("{} MB", l.1 / 1024)),
        );
    };
    row("snapshot (SQLite) vs sqlite3 .dump", dump, load_snapshot);
    row("Export Users CSV vs csv crate alone", csv_only, load_csv);
    row(
        "Export Users CSV vs csv + serde to structs",
        csv_serde,
        load_csv,
    );
    row("Export Users CSV + seed file", csv_only, load_csv_seed);
    if dump.is_none() {
        println!("(sqlite3 is not installed: no snapshot baseline)");
    }
    if let Some((_, kb)) = csv_only {
        println!("csv-crate-only child peak RSS: {} MB", kb / 1024);
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / 1048576.0)
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// The fastest of `runs` runs (time, peak KiB).
fn best(runs: usize, mut f: impl FnMut() -> Option<(Duration, u64)>) -> Option<(Duration, u64)> {
    (0..runs.max(1)).filter_map(|_| f()).min_by_key(|(d, _)| *d)
}

/// Run this binary as `child MODE PATHS…`; it prints `secs kib`.
fn run_child(mode: &str, paths: &[&PathBuf]) -> Option<(Duration, u64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .arg("child")
        .arg(mode)
        .args(paths.iter().map(|p| p.as_os_str()))
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "child {mode} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let secs: f64 = parts.next()?.parse().ok()?;
    let kib: u64 = parts.next()?.parse().ok()?;
    Some((Duration::from_secs_f64(secs), kib))
}

/// CPU seconds (user + system) this process has used.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the parenthesised command name; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn child(args: &[String]) {
    let mode = args.first().map(String::as_str).unwrap_or("");
    let paths: Vec<PathBuf> = args.iter().skip(1).map(PathBuf::from).collect();
    let t = Instant::now();
    match mode {
        "load" => {
            let set = mfa_cutover::datafile::load(&paths, None).expect("load");
            std::hint::black_box(set.len());
            let elapsed = t.elapsed();
            eprintln!(
                "users {} problems {} model {} MB cpu {:.2} s",
                set.len(),
                set.problems.len(),
                set.heap_bytes() / 1_000_000,
                cpu_secs()
            );
            println!("{} {}", elapsed.as_secs_f64(), vm_hwm_kib());
        }
        "csv-only" => {
            // The baseline: every record of the file through the csv crate, nothing else.
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_path(&paths[0])
                .expect("open");
            let mut rec = csv::ByteRecord::new();
            let mut fields = 0usize;
            while rdr.read_byte_record(&mut rec).expect("read") {
                fields += rec.len();
            }
            std::hint::black_box(fields);
            println!("{} {}", t.elapsed().as_secs_f64(), vm_hwm_kib());
        }
        "csv-serde" => {
            // A second reference: every row deserialised into a struct of owned strings,
            // UTF-8 checked, as a typical csv + serde reader would.
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            struct Row {
                #[serde(rename = "Username")]
                username: String,
                #[serde(rename = "Email")]
                email: String,
                #[serde(rename = "Primary Country Code")]
                country_code: String,
                #[serde(rename = "Primary Phone")]
                phone: String,
                #[serde(rename = "Extension")]
                extension: String,
                #[serde(rename = "Backup Country Code")]
                backup_country_code: String,
                #[serde(rename = "Backup Phone")]
                backup_phone: String,
                #[serde(rename = "Backup Extension")]
                backup_extension: String,
                #[serde(rename = "Method")]
                method: String,
                #[serde(rename = "Enabled")]
                enabled: String,
                #[serde(rename = "Language")]
                language: String,
            }
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(&paths[0])
                .expect("open");
            let mut rows = 0usize;
            for row in rdr.deserialize::<Row>() {
                std::hint::black_box(row.expect("row"));
                rows += 1;
            }
            std::hint::black_box(rows);
            println!("{} {}", t.elapsed().as_secs_f64(), vm_hwm_kib());
        }
        _ => eprintln!("unknown child mode {mode}"),
    }
}
