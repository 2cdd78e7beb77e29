//! `mfa-cutover` with no subcommand: the full-screen TUI. Everything that can go wrong
//! before the screen is taken — config, keymap, data file, sign-in — is reported on the
//! plain terminal (exit 2 for bad input), and a device code is shown there too, before
//! the alternate screen. From then on the terminal is restored exactly once on every
//! way out (`tui::run`, `tui::terminal`), and only then is an error printed.

use std::io::IsTerminal;

use super::headless::{self, Setup};
use super::{CliError, Exit, GlobalArgs};
use crate::config::AuthKind;
use crate::engine::{Access, SignIn, StartOptions};

pub fn run(global: &GlobalArgs) -> Result<Exit, CliError> {
    let config = global.config()?;
    let keymap = crate::tui::keymap(&config).map_err(|e| CliError::bad_input(e.to_string()))?;
    headless::require_data(&config)?;
    require_terminal()?;
    let settings = config.migration.clone();
    let setup = Setup::with(config, settings, global.verbose, false)?;
    let opts = crate::tui::options(&setup.config, keymap, Some(setup.log_file()));
    setup.runtime.block_on(async {
        // Device code is the TUI's default: its prompt goes to the plain terminal and
        // the screen is taken only once the admin has signed in.
        let mut start = StartOptions::new(
            setup.config.clone(),
            SignIn::AsConfigured {
                default: AuthKind::DeviceCode,
                prompt: headless::stderr_prompt(),
            },
            // Another process writing the store (a cron sync) leaves this one looking:
            // the header says READ-ONLY and why.
            Access::WriteIfFree {
                command: "tui".into(),
            },
        );
        start.settings = setup.settings.clone();
        start.name_tenant = true;
        let running = crate::engine::start(start)
            .await
            .map_err(headless::start_error)?;
        crate::tui::run(opts, running)
            .await
            .map_err(|e| CliError::failure(e.to_string()))
    })?;
    Ok(Exit::Success)
}

/// The TUI needs a terminal on both ends; scripts use the headless subcommands.
pub fn require_terminal() -> Result<(), CliError> {
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Ok(())
    } else {
        Err(CliError::bad_input(
            "the TUI needs a terminal (stdin and stdout): in scripts use the headless \
             subcommands (plan, migrate, sync; see --help)",
        ))
    }
}
