//! `inspect [--schema] [--json]`: what the data inputs hold. Reads only; needs no state
//! directory and no tenant.

use std::io::Write;

use super::{CliError, Exit, GlobalArgs, InspectArgs};
use crate::datafile::{self, Mapping, report::Report, schema};

pub fn run(global: &GlobalArgs, args: &InspectArgs) -> Result<Exit, CliError> {
    let config = global.config()?;
    if config.data_files.is_empty() {
        return Err(CliError::bad_input(
            "no data file: pass --data-file PATH (repeat it to combine inputs) or set \
             data_file in the config file",
        ));
    }
    let bad = |e: datafile::FileError| CliError::bad_input(e.to_string());
    let mapping = config
        .mapping
        .as_deref()
        .map(Mapping::load)
        .transpose()
        .map_err(bad)?;
    let out = if args.schema {
        let schemas = schema::schemas(&config.data_files, mapping.as_ref()).map_err(bad)?;
        if args.json {
            json(&schemas)?
        } else {
            schema::render_text(&schemas)
        }
    } else {
        let set = datafile::load(&config.data_files, config.mapping.as_deref()).map_err(bad)?;
        let report = Report::new(&set);
        if args.json {
            json(&report)?
        } else {
            report.render_text()
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map_err(|e| CliError::failure(format!("cannot write the output: {e}")))?;
    Ok(Exit::Success)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot encode the report as JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}
