//! The command line (cli.md): global options, subcommands, exit codes.
//!
//! Each subcommand lives in a module of its own with a `run` function; this module only
//! parses, sets up logging, dispatches and turns errors into exit codes.

pub mod checklist;
pub mod cutover;
pub mod demo;
pub mod driver;
pub mod headless;
pub mod interactive;
pub mod migrate;
pub mod plan;
pub mod records;
pub mod report;
pub mod sim;
pub mod sync;
pub mod undo;
pub mod whoami;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::cloud::Cloud;
use crate::config::{AuthKind, Config, ConfigError, Overrides};

mod inspect;
mod inventory;
mod sample_data;

/// Exit codes scripts can rely on (cli.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// The operation failed (some users failed, a check failed).
    Failure = 1,
    /// Bad usage or bad input.
    BadInput = 2,
    /// Needs a confirmation that was not given (no `--yes`, no terminal).
    NeedsConfirmation = 3,
    /// Refused by an interlock or a gate (R1–R4, F1, a checklist step) without `--force`.
    Interlock = 4,
    /// The state store is held by another process.
    Locked = 5,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// An error that ends a command: the message is printed to stderr, the code returned.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn bad_input(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::BadInput,
            message: message.into(),
        }
    }

    pub fn failure(message: impl Into<String>) -> CliError {
        CliError {
            exit: Exit::Failure,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> CliError {
        CliError::bad_input(e.to_string())
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "mfa-cutover",
    version,
    about = "Move off on-premises Azure MFA Server onto Microsoft Entra MFA",
    long_about = "Move off on-premises Azure MFA Server onto Microsoft Entra MFA.\n\n\
        With no subcommand it opens the full-screen terminal UI. \
        `mfa-cutover demo` shows everything against a simulated tenant."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand takes; each can also come from `MFA_CUTOVER_*` and the
/// config file (flags win, then the environment, then the file).
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Config file (TOML); default in the platform config dir.
    #[arg(long, global = true, env = "MFA_CUTOVER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// MFA Server data: an Export Users CSV, an OATH seed file, a snapshot (SQLite or CSV
    /// folder) or a SQLite PhoneFactor.pfdata. Repeat to combine inputs.
    #[arg(long = "data-file", global = true, value_name = "PATH")]
    pub data_files: Vec<PathBuf>,
    /// Mapping file for a SQLite PhoneFactor.pfdata (see `inspect --schema`).
    #[arg(long, global = true, env = "MFA_CUTOVER_MAPPING", value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Tenant id or primary domain.
    #[arg(long, global = true, env = "MFA_CUTOVER_TENANT", value_name = "ID")]
    pub tenant: Option<String>,
    /// National cloud: global, usgov, usgov-dod, china.
    #[arg(long, global = true, env = "MFA_CUTOVER_CLOUD", value_name = "NAME")]
    pub cloud: Option<Cloud>,
    /// Graph root override (e.g. the simulated tenant); plain http only on loopback.
    #[arg(long, global = true, env = "MFA_CUTOVER_GRAPH_URL", value_name = "URL")]
    pub graph_url: Option<String>,
    /// Accept a --graph-url that is neither a national cloud's Graph nor loopback (the
    /// sign-in token is sent to it).
    #[arg(long, global = true)]
    pub allow_custom_graph_url: bool,
    /// How to sign in.
    #[arg(
        long,
        global = true,
        env = "MFA_CUTOVER_AUTH",
        value_enum,
        value_name = "KIND"
    )]
    pub auth: Option<AuthKind>,
    /// Application (client) id for certificate, secret and device-code sign-in.
    #[arg(long, global = true, env = "MFA_CUTOVER_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// The app's certificate: PEM (certificate and key) or PFX.
    #[arg(
        long,
        global = true,
        env = "MFA_CUTOVER_CERTIFICATE",
        value_name = "FILE"
    )]
    pub certificate: Option<PathBuf>,
    /// Where the state store, journal, audit log and logs live.
    #[arg(long, global = true, env = "MFA_CUTOVER_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Keymap: a name from keymaps/ (default, arrows) or a file.
    #[arg(
        long,
        global = true,
        env = "MFA_CUTOVER_KEYMAP",
        value_name = "NAME|FILE"
    )]
    pub keymap: Option<String>,
    /// Also log to stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            data_files: self.data_files.clone(),
            mapping: self.mapping.clone(),
            tenant: self.tenant.clone(),
            cloud: self.cloud,
            graph_url: self.graph_url.clone(),
            auth: self.auth,
            client_id: self.client_id.clone(),
            certificate: self.certificate.clone(),
            state_dir: self.state_dir.clone(),
            keymap: self.keymap.clone(),
            allow_custom_graph_url: self.allow_custom_graph_url,
        }
    }

    pub fn config(&self) -> Result<Config, CliError> {
        Ok(Config::load(&self.overrides())?)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The TUI against a simulated tenant started in this process, with generated
    /// sample data: nothing to set up, nothing real touched.
    Demo(demo::DemoArgs),
    /// Write a reference-layout data file with realistic, deterministic data.
    SampleData(SampleDataArgs),
    /// Summarise the data file: inputs, users, methods, dependencies, row problems.
    Inspect(InspectArgs),
    /// Dependencies on MFA Server (data file, AD FS and NPS exports) and what to do with each.
    Inventory(inventory::InventoryArgs),
    /// Run the simulated tenant on loopback; prints its URL and token.
    Sim(sim::SimArgs),
    /// Sign in as configured and show tenant, account, roles, permissions and expiry.
    Whoami(whoami::WhoamiArgs),
    /// Dry run: per-user operations and skips with their rule ids; no writes.
    Plan(plan::PlanArgs),
    /// Plan and apply; without --yes it asks (and exits 3 with no terminal to ask on).
    Migrate(migrate::MigrateArgs),
    /// Automatic synchronisation of changed users.
    Sync(sync::SyncArgs),
    /// Staged Rollout for MFA: status, add-group, remove-group, enable, disable.
    Rollout(cutover::RolloutArgs),
    /// federatedIdpMfaBehavior per federated domain: status, set, rollback (F2).
    Federation(cutover::FederationArgs),
    /// Permissions, the methods policy against what MFA Server users use, the users that
    /// cannot be migrated here.
    Preflight(cutover::PreflightArgs),
    /// The audit log: every tenant change with who, before, after, forced (offline).
    Audit(records::AuditArgs),
    /// The write journal: every write's intent, outcome, reconciliation (offline).
    Journal(records::JournalArgs),
    /// Restore users' before-state from the journal (pilot resets): what the tool created
    /// is deleted, what it changed restored; parts changed in Entra since are refused.
    Undo(undo::UndoArgs),
    /// The cutover checklist: every step's live check, ticks, the end state, the rollback
    /// plan, the change board's report.
    Checklist(checklist::ChecklistArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SampleDataArgs {
    /// Where to write: a .pfdata/.sqlite file (snapshot) or a new folder (snapshot-csv,
    /// export-csv).
    pub out: PathBuf,
    /// Number of users.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Seed: the same seed and size give the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// `snapshot` (SQLite, reference layout), `snapshot-csv` (the same tables as a folder of
    /// CSVs) or `export-csv` (Export Users CSV + OATH seed file in Entra's upload format).
    #[arg(long, value_enum, default_value_t = SampleFormat::Snapshot)]
    pub format: SampleFormat,
    /// Replace an existing snapshot file at OUT (folders must still be new or empty).
    #[arg(long)]
    pub force: bool,
    /// Also write the organisation's AD FS and NPS exports into this folder (for
    /// `inventory --adfs … --nps …`).
    #[arg(long, value_name = "DIR")]
    pub adfs_exports: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    Snapshot,
    SnapshotCsv,
    ExportCsv,
}

#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// List the file's tables and columns (SQLite) and which model field each feeds.
    #[arg(long)]
    pub schema: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Parse the command line and run; the binary's `main` is just this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            // Messages quote values from files, Graph and tokens: no control character
            // of theirs reaches the terminal (line ends are kept).
            eprintln!("mfa-cutover: {}", crate::safe_text::SafeLines(&e.message));
            e.exit.into()
        }
    }
}

fn run(cli: Cli) -> Result<Exit, CliError> {
    match &cli.command {
        Some(Command::Sim(args)) => sim::run(&cli.global, args),
        Some(Command::Whoami(args)) => whoami::run(&cli.global, args),
        Some(Command::SampleData(args)) => sample_data::run(args),
        Some(Command::Inspect(args)) => inspect::run(&cli.global, args),
        Some(Command::Inventory(args)) => inventory::run(&cli.global, args),
        Some(Command::Plan(args)) => plan::run(&cli.global, args),
        Some(Command::Migrate(args)) => migrate::run(&cli.global, args),
        Some(Command::Sync(args)) => sync::run(&cli.global, args),
        Some(Command::Rollout(args)) => cutover::rollout(&cli.global, args),
        Some(Command::Federation(args)) => cutover::federation(&cli.global, args),
        Some(Command::Preflight(args)) => cutover::preflight(&cli.global, args),
        Some(Command::Audit(args)) => records::audit(&cli.global, args),
        Some(Command::Journal(args)) => records::journal(&cli.global, args),
        Some(Command::Undo(args)) => undo::run(&cli.global, args),
        Some(Command::Checklist(args)) => checklist::run(&cli.global, args),
        Some(Command::Demo(args)) => demo::run(&cli.global, args),
        None => interactive::run(&cli.global),
    }
}
