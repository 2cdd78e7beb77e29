//! `sample-data OUT [--users N] [--seed S] [--format …]`: write a realistic, deterministic
//! organisation's MFA Server data — the same people the simulated tenant serves for the
//! same seed and size.

use super::{CliError, Exit, SampleDataArgs, SampleFormat};
use crate::datafile::sample::{
    Population, WriteError, WriteOptions, write_export_csv, write_snapshot, write_snapshot_folder,
};
use crate::safe_text::Safe;

pub fn run(args: &SampleDataArgs) -> Result<Exit, CliError> {
    let shown = args.out.display().to_string();
    // An existing file is someone's data until the admin says otherwise.
    if let Ok(meta) = std::fs::symlink_metadata(&args.out)
        && !meta.is_dir()
        && !args.force
    {
        return Err(CliError::bad_input(format!(
            "{} already exists: pass --force to replace it, or name a new file",
            Safe(&shown)
        )));
    }
    let pop = Population::new(args.seed, args.users);
    let opts = WriteOptions::default();
    let written = match args.format {
        SampleFormat::Snapshot => write_snapshot(&pop, &args.out, &opts),
        SampleFormat::SnapshotCsv => write_snapshot_folder(&pop, &args.out, &opts),
        SampleFormat::ExportCsv => write_export_csv(&pop, &args.out, &opts),
    }
    .map_err(|e| match e {
        WriteError::FolderNotEmpty { .. } | WriteError::IsFolder { .. } => {
            CliError::bad_input(e.to_string())
        }
        _ => CliError::failure(e.to_string()),
    })?;
    println!(
        "Wrote {} users, {} mobile app devices and {} hardware tokens (seed {}, {} people):",
        written.users, written.devices, written.tokens, args.seed, args.users
    );
    for f in &written.files {
        println!("  {}", Safe(&f.display().to_string()));
    }
    if !written.extras.is_empty() {
        println!("Rows that show row problems on purpose:");
        for e in &written.extras {
            println!("  {}", Safe(e));
        }
    }
    if let Some(dir) = &args.adfs_exports {
        let files = crate::inventory::sample::write_exports(dir, args.seed).map_err(|e| {
            CliError::failure(format!(
                "cannot write the exports to {}: {e}",
                dir.display()
            ))
        })?;
        println!("AD FS and NPS exports (for `inventory --adfs … --nps …`):");
        for f in files {
            println!("  {}", f.display());
        }
    }
    Ok(Exit::Success)
}
