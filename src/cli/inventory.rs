//! `inventory [--adfs FILE]... [--nps FILE]... [--json]`: every dependency on MFA Server,
//! what to do with it and why; `--why RP [--sid SID]...` explains which MFA provider a
//! relying party's users reach. Reads the data file(s) and the exports only: no state
//! directory, no sign-in.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{CliError, Exit, GlobalArgs};
use crate::datafile;
use crate::inventory::{self, Inventory, Options, Subject};

#[derive(Debug, Clone, Args)]
pub struct InventoryArgs {
    /// An AD FS export (relying parties, global policy, global rule text, providers,
    /// access control policies, farm information); recognised by content. Repeat it.
    #[arg(long = "adfs", value_name = "FILE")]
    pub adfs: Vec<PathBuf>,
    /// An NPS export (`netsh nps export` XML or `Get-NpsRadiusClient | ConvertTo-Json`).
    /// Repeat it.
    #[arg(long = "nps", value_name = "FILE")]
    pub nps: Vec<PathBuf>,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Explain which MFA provider a relying party (name or identifier) sends users to:
    /// the rules that decide, in order.
    #[arg(long, value_name = "RELYING_PARTY")]
    pub why: Option<String>,
    /// With --why: the SID of the user or of one of their groups. Repeat it.
    #[arg(long = "sid", value_name = "SID", requires = "why")]
    pub sids: Vec<String>,
    /// Group-based MFA provider routing is planned: flag a farm behavior level below 4.
    #[arg(long)]
    pub group_routing: bool,
    /// Also write the inventory as CSV to FILE (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write the inventory as Markdown to FILE (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: &InventoryArgs) -> Result<Exit, CliError> {
    let config = global.config()?;
    if config.data_files.is_empty() && args.adfs.is_empty() && args.nps.is_empty() {
        return Err(CliError::bad_input(
            "nothing to inventory: pass --data-file PATH and/or --adfs FILE / --nps FILE \
             (each repeatable)",
        ));
    }
    let set = if config.data_files.is_empty() {
        None
    } else {
        Some(
            datafile::load(&config.data_files, config.mapping.as_deref())
                .map_err(|e| CliError::bad_input(e.to_string()))?,
        )
    };
    let exports = inventory::read_files(&args.adfs, &args.nps)
        .map_err(|e| CliError::bad_input(e.to_string()))?;
    let inv = Inventory::from_data(
        set.as_ref(),
        exports,
        Options {
            group_routing_planned: args.group_routing,
        },
    );

    let out = if let Some(rp) = &args.why {
        let subject = Subject {
            sids: (!args.sids.is_empty()).then(|| args.sids.clone()),
        };
        let chain = inv
            .why(rp, &subject)
            .map_err(|e| CliError::bad_input(e.to_string()))?;
        if args.json {
            json(&chain)?
        } else {
            chain.render_text()
        }
    } else if args.json {
        json(&serde_json::json!({
            "summary": inv.progress(),
            "files": inv.files,
            "farm": inv.farm,
            "items": inv.items,
            "notes": inv.notes,
            "keeps_users_on_mfa_server": inv.keeps_users_on_mfa_server(),
        }))?
    } else {
        inv.render_text()
    };

    if let Some(path) = &args.csv {
        let csv = inv
            .to_csv()
            .map_err(|e| CliError::failure(format!("cannot encode the CSV: {e}")))?;
        write_private(path, csv.as_bytes())?;
    }
    if let Some(path) = &args.markdown {
        write_private(path, inv.to_markdown().as_bytes())?;
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| CliError::failure(format!("cannot write the output: {e}")))?;
    Ok(Exit::Success)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    inventory::sample::write_new_private(path, bytes)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot encode the report as JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}
