//! What the headless commands share: their flags (settings, targets), the runtime and
//! log of one command, and start-up through the engine's [`start`](crate::engine::start)
//! with its failures and refusals turned into exit codes. `driver.rs` drives the engine;
//! `report.rs` turns what it saw into text or one JSON document.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use clap::Args;

use super::{CliError, Exit, GlobalArgs};
use crate::config::{AuthKind, Config};
use crate::engine::lock::LockError;
use crate::engine::{Access, Refusal, RefusalKind, Running, SignIn, StartError, StartOptions};
use crate::graph::auth::{AuthError, DeviceCodePrompt, PromptFn};
use crate::migrate::{DefaultMethodMode, MatchAttribute, MigrationSettings, MobileAppHandling};

/// Migration settings as flags (they override `[migration]` of the config file).
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// When to set the default method (rule D2).
    #[arg(long, value_enum, value_name = "MODE")]
    pub default_method: Option<DefaultMethodArg>,
    /// Mobile app devices Graph cannot create (rule A3).
    #[arg(long, value_enum, value_name = "MODE")]
    pub mobile_app: Option<MobileAppArg>,
    /// Migrate users disabled in MFA Server too (rule M4).
    #[arg(long)]
    pub include_disabled: bool,
    /// Rule M3: an MFA Server AD attribute matched to an Entra property, e.g.
    /// `employeeID=employeeId`.
    #[arg(long, value_name = "MFA=ENTRA")]
    pub match_attribute: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DefaultMethodArg {
    Always,
    IfNotSet,
    MostSecureIfNotSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MobileAppArg {
    Report,
    OathAsHardwareToken,
}

impl SettingsArgs {
    /// Apply the flags to the configured settings.
    pub fn apply(&self, s: &mut MigrationSettings) -> Result<(), CliError> {
        if let Some(m) = self.default_method {
            s.default_method = match m {
                DefaultMethodArg::Always => DefaultMethodMode::Always,
                DefaultMethodArg::IfNotSet => DefaultMethodMode::IfNotSet,
                DefaultMethodArg::MostSecureIfNotSet => DefaultMethodMode::MostSecureIfNotSet,
            };
        }
        if let Some(m) = self.mobile_app {
            s.mobile_app = match m {
                MobileAppArg::Report => MobileAppHandling::Report,
                MobileAppArg::OathAsHardwareToken => MobileAppHandling::OathAsHardwareToken,
            };
        }
        if self.include_disabled {
            s.include_disabled = true;
        }
        if let Some(text) = &self.match_attribute {
            let (mfa, entra) = text
                .split_once('=')
                .map(|(a, b)| (a.trim(), b.trim()))
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .ok_or_else(|| {
                    CliError::bad_input(format!(
                        "--match-attribute {text:?}: expected MFA_SERVER_ATTRIBUTE=ENTRA_PROPERTY, \
                         e.g. employeeID=employeeId"
                    ))
                })?;
            s.match_attribute = Some(MatchAttribute {
                mfa_server: mfa.to_string(),
                entra: entra.to_string(),
            });
        }
        Ok(())
    }
}

/// Which members a command covers: `--group` and `--users`.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// The migration group: display name or object id (default: `[migration] group`).
    #[arg(long, value_name = "G")]
    pub group: Option<String>,
    /// Only these members: UPNs or object ids, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "U,...")]
    pub users: Vec<String>,
    /// Plan users whose MFA Server data is unchanged since their last migration too
    /// (rule C1; the utility's "Migrate all users").
    #[arg(long)]
    pub include_unchanged: bool,
}

impl TargetArgs {
    pub fn group(&self, config: &Config) -> Result<String, CliError> {
        self.group
            .clone()
            .or_else(|| config.group.clone())
            .filter(|g| !g.trim().is_empty())
            .ok_or_else(|| {
                CliError::bad_input(
                    "no migration group: pass --group G (display name or object id), or set \
                     `group` under [migration] in the config file",
                )
            })
    }
}

/// The async runtime, the configuration and the log of one command: what every command
/// that starts the engine (headless, the TUI, the demo) sets up first.
pub struct Setup {
    pub runtime: tokio::runtime::Runtime,
    pub config: Config,
    pub settings: MigrationSettings,
    log: crate::logging::LogGuard,
}

impl Setup {
    /// A headless command: the settings flags applied, a data file required, logs to the
    /// file (and stderr with `-v`).
    pub fn new(global: &GlobalArgs, settings: &SettingsArgs) -> Result<Setup, CliError> {
        let config = global.config()?;
        let mut s = config.migration.clone();
        settings.apply(&mut s)?;
        require_data(&config)?;
        Setup::with(config, s, global.verbose, true)
    }

    /// A headless command that does not need the data file (rollout, federation,
    /// preflight, audit, journal): logs to the file (and stderr with `-v`).
    pub fn new_without_data(global: &GlobalArgs) -> Result<Setup, CliError> {
        let config = global.config()?;
        let s = config.migration.clone();
        Setup::with(config, s, global.verbose, true)
    }

    /// From a resolved configuration. `stderr_logs`: false in the TUI, whose screen a log
    /// line would break.
    pub fn with(
        config: Config,
        settings: MigrationSettings,
        verbose: u8,
        stderr_logs: bool,
    ) -> Result<Setup, CliError> {
        let log = crate::logging::init(&config.state_dir, verbose, stderr_logs).map_err(|e| {
            CliError::bad_input(format!(
                "cannot open the log directory under {}: {e}",
                config.state_dir.display()
            ))
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
        Ok(Setup {
            runtime,
            config,
            settings,
            log,
        })
    }

    /// The folder the log files are written to.
    pub fn log_dir(&self) -> &Path {
        &self.log.path
    }

    /// Today's log file.
    pub fn log_file(&self) -> std::path::PathBuf {
        self.log.file()
    }
}

/// Every command that reads MFA Server data needs a data file configured.
pub fn require_data(config: &Config) -> Result<(), CliError> {
    if config.data_files.is_empty() {
        return Err(CliError::bad_input(
            "no MFA Server data: pass --data-file PATH (or `data_file` in the config file)",
        ));
    }
    Ok(())
}

/// A sign-in problem the admin can fix in the configuration is bad input (exit 2).
pub fn auth_error(e: AuthError) -> CliError {
    match e {
        AuthError::Config(_) | AuthError::Certificate(_) => CliError::bad_input(e.to_string()),
        other => CliError::failure(other.to_string()),
    }
}

/// The device code goes to stderr: stdout stays clean for `--json`.
pub fn stderr_prompt() -> PromptFn {
    Arc::new(|p: &DeviceCodePrompt| {
        let _ = writeln!(
            std::io::stderr(),
            "To sign in, open {} and enter the code {} (valid until {}).",
            p.verification_uri,
            p.user_code,
            p.expires_at.format("%H:%M UTC")
        );
    })
}

/// Start the engine for a headless command: device code by default (its prompt on
/// stderr), the state store written when `access` says so.
pub async fn start(setup: &Setup, access: Access) -> Result<Running, CliError> {
    let mut opts = StartOptions::new(
        setup.config.clone(),
        SignIn::AsConfigured {
            default: AuthKind::DeviceCode,
            prompt: stderr_prompt(),
        },
        access,
    );
    opts.settings = setup.settings.clone();
    crate::engine::start(opts).await.map_err(start_error)
}

/// A start-up failure as an exit code: bad input 2, a held store 5, the rest 1.
pub fn start_error(e: StartError) -> CliError {
    match e {
        StartError::Data(m) | StartError::Config(m) => CliError::bad_input(m),
        StartError::SignIn(e) => auth_error(e),
        StartError::TokenRefused(m) => CliError::failure(m),
        StartError::Locked(e @ LockError::Held { .. }) => CliError {
            exit: Exit::Locked,
            message: e.to_string(),
        },
        StartError::Locked(e) => CliError::failure(e.to_string()),
        StartError::Store(e) => CliError::failure(e.to_string()),
    }
}

/// A refusal as an exit code scripts can rely on (cli.md).
pub fn refusal_error(r: Refusal) -> CliError {
    let exit = match r.kind {
        RefusalKind::BadInput | RefusalKind::NotFound | RefusalKind::PlanChanged => Exit::BadInput,
        RefusalKind::Interlock => Exit::Interlock,
        RefusalKind::ReadOnly => Exit::Locked,
        RefusalKind::Busy
        | RefusalKind::NotReady
        | RefusalKind::Unavailable
        | RefusalKind::Failed
        | RefusalKind::Superseded
        | RefusalKind::ShuttingDown => Exit::Failure,
    };
    CliError {
        exit,
        message: crate::safe_text::terminal_lines(&r.to_string()).into_owned(),
    }
}

/// Whether progress bars and prompts may use the terminal.
pub fn interactive_stdout() -> bool {
    std::io::stdout().is_terminal()
}

/// Ask on the terminal; `Ok(false)` when refused.
pub fn confirm(question: &str, expect: Option<&str>) -> Result<bool, CliError> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::failure(format!("cannot read the answer: {e}")))?;
    let answer = line.trim();
    Ok(match expect {
        Some(e) => answer == e,
        None => matches!(answer, "y" | "Y" | "yes" | "YES" | "Yes"),
    })
}
