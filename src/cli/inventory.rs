//! `inventory [--adfs FILE]... [--nps FILE]... [--json]`: every dependency on MFA Server,
//! what to do with it and why, and the admin's decisions; `--why RP [--sid SID]...`
//! explains which MFA provider a relying party's users reach; `--decide ITEM --status S`
//! records a decision (audited). Works offline through the engine: the data file(s), the
//! exports of `[inventory]` and the flags, and the state store; no sign-in.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::headless::{self, Setup};
use super::{CliError, Exit, GlobalArgs};
use crate::engine::{
    Access, Answer, Command, DataUse, EngineHandle, ExportFormat, InventoryCommand, SignIn,
    StartOptions,
};
use crate::inventory::{PathKind, Status};
use crate::safe_text::Safe;

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
    /// Record a decision for this item (its id, e.g. `radius:vpn`, or its name): with
    /// --status, and optionally --path and --note. Audited.
    #[arg(long, value_name = "ITEM", requires = "status")]
    pub decide: Option<String>,
    /// With --decide: pending, in-progress, done or wont-do.
    #[arg(long, value_name = "STATUS", requires = "decide")]
    pub status: Option<String>,
    /// With --decide: the path taken, when not the recommended one (e.g. nps_extension,
    /// federate_with_entra, move_app_to_entra, remove).
    #[arg(long = "path", value_name = "PATH", requires = "decide")]
    pub path_taken: Option<String>,
    /// With --decide: a note for the change board.
    #[arg(long, value_name = "TEXT", requires = "decide")]
    pub note: Option<String>,
}

pub fn run(global: &GlobalArgs, args: &InventoryArgs) -> Result<Exit, CliError> {
    let mut config = global.config()?;
    config.inventory.adfs.extend(args.adfs.iter().cloned());
    config.inventory.nps.extend(args.nps.iter().cloned());
    config.inventory.group_routing |= args.group_routing;
    if config.data_files.is_empty() && config.inventory.is_empty() {
        return Err(CliError::bad_input(
            "nothing to inventory: pass --data-file PATH and/or --adfs FILE / --nps FILE \
             (each repeatable), or list them under [inventory] in the config file",
        ));
    }
    let decide = match (&args.decide, &args.status) {
        (Some(item), Some(status)) => Some((
            item.clone(),
            parse_status(status)?,
            args.path_taken.as_deref().map(parse_path).transpose()?,
        )),
        _ => None,
    };
    let setup = Setup::with(
        config.clone(),
        config.migration.clone(),
        global.verbose,
        true,
    )?;
    setup.runtime.block_on(async {
        let mut opts = StartOptions::new(
            setup.config.clone(),
            SignIn::Offline,
            if decide.is_some() {
                Access::Write {
                    command: "inventory --decide".into(),
                }
            } else {
                Access::ReadOnly
            },
        );
        opts.data = DataUse::IfConfigured;
        opts.reload = false;
        let running = crate::engine::start(opts)
            .await
            .map_err(headless::start_error)?;
        if decide.is_some() && running.session.identity.tenant_id.trim().is_empty() {
            return Err(CliError::bad_input(
                "a decision is kept per tenant and the state store names none yet: pass \
                 --tenant with the tenant id",
            ));
        }
        let mut engine = running.engine;
        let result = work(&mut engine, args, decide).await;
        let _ = engine.call(Command::Shutdown, |_| {}).await;
        result
    })
}

async fn work(
    engine: &mut EngineHandle,
    args: &InventoryArgs,
    decide: Option<(String, Status, Option<PathKind>)>,
) -> Result<Exit, CliError> {
    let report = match decide {
        Some((item, status, path)) => {
            ask(
                engine,
                InventoryCommand::Decide {
                    item,
                    path,
                    status,
                    note: args.note.clone(),
                },
            )
            .await?
        }
        None => ask(engine, InventoryCommand::Status).await?,
    };
    let Answer::Inventory(report) = report else {
        return Err(CliError::failure("the engine answered something else"));
    };
    let out = if let Some(rp) = &args.why {
        let Answer::Why(chain) = ask(
            engine,
            InventoryCommand::Why {
                relying_party: rp.clone(),
                sids: args.sids.clone(),
            },
        )
        .await?
        else {
            return Err(CliError::failure("the engine answered something else"));
        };
        if args.json {
            json(&chain)?
        } else {
            chain.render_text()
        }
    } else if args.json {
        let inv = &report.inventory;
        json(&serde_json::json!({
            "summary": report.progress,
            "files": inv.files,
            "farm": inv.farm,
            "items": inv.items,
            "notes": inv.notes,
            "keeps_users_on_mfa_server": report.keeps_users_on_mfa_server,
            "stale_decisions": report.stale_decisions,
        }))?
    } else {
        let mut text = report.inventory.render_text();
        for d in &report.stale_decisions {
            text.push_str(&format!(
                "decision kept for \"{}\" ({}), which the inputs no longer hold\n",
                Safe(&d.name),
                Safe(&d.item_id)
            ));
        }
        text
    };
    for (path, format) in [
        (&args.csv, ExportFormat::Csv),
        (&args.markdown, ExportFormat::Markdown),
    ] {
        if let Some(path) = path {
            ask(
                engine,
                InventoryCommand::Export {
                    path: path.clone(),
                    format,
                },
            )
            .await?;
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| CliError::failure(format!("cannot write the output: {e}")))?;
    Ok(Exit::Success)
}

async fn ask(engine: &mut EngineHandle, c: InventoryCommand) -> Result<Answer, CliError> {
    engine
        .call(Command::Inventory(c), |_| {})
        .await
        .map_err(|e| match e {
            crate::engine::CallError::Refused(r) => headless::refusal_error(r),
            crate::engine::CallError::Gone => CliError::failure("the engine stopped"),
        })
}

fn parse_status(s: &str) -> Result<Status, CliError> {
    // "In-Progress", "in progress", "won't do", "wont-do": words joined by _.
    let norm = |x: &str| {
        x.trim()
            .to_ascii_lowercase()
            .replace('\'', "")
            .replace(['-', ' '], "_")
    };
    let t = norm(s);
    Status::ALL
        .into_iter()
        .find(|st| norm(st.label()) == t)
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "--status \"{}\": expected pending, in-progress, done or wont-do",
                Safe(s)
            ))
        })
}

fn parse_path(s: &str) -> Result<PathKind, CliError> {
    let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    serde_json::from_value(serde_json::Value::String(t)).map_err(|_| {
        CliError::bad_input(format!(
            "--path \"{}\": expected one of nps_extension, federate_with_entra, \
             entra_domain_services, entra_sspr, application_proxy, \
             staged_rollout_and_federation, move_app_to_entra, keep_adfs_with_entra_mfa, \
             replace_adapter, redirect_portal, find_callers, reproduce_in_entra, no_action, \
             remove",
            Safe(s)
        ))
    })
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot encode the report as JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_paths_parse_as_typed() {
        assert_eq!(parse_status("done").ok(), Some(Status::Done));
        assert_eq!(parse_status("In-Progress").ok(), Some(Status::InProgress));
        assert_eq!(parse_status("wont-do").ok(), Some(Status::WontDo));
        assert_eq!(parse_status("won't do").ok(), Some(Status::WontDo));
        assert!(parse_status("finished").is_err());
        assert_eq!(
            parse_path("nps-extension").ok(),
            Some(PathKind::NpsExtension)
        );
        assert!(parse_path("magic").is_err());
    }
}
