//! Configuration: the TOML file, then `MFA_CUTOVER_*` environment variables, then flags,
//! each overriding the one before (cli.md). Also the platform directories.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cloud::Cloud;
use crate::graph::GraphRoot;
use crate::migrate::{DefaultMethodMode, MatchAttribute, MigrationSettings, MobileAppHandling};
use crate::rollout::{Wave, WaveProblem};

/// How to sign in (`--auth`, `[auth] kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AuthKind {
    DeviceCode,
    Certificate,
    Secret,
    AzureCli,
    ManagedIdentity,
    Token,
}

impl AuthKind {
    pub fn name(self) -> &'static str {
        match self {
            AuthKind::DeviceCode => "device-code",
            AuthKind::Certificate => "certificate",
            AuthKind::Secret => "secret",
            AuthKind::AzureCli => "azure-cli",
            AuthKind::ManagedIdentity => "managed-identity",
            AuthKind::Token => "token",
        }
    }
}

/// `[auth]` of the config file. Secrets are never read from the file: a client secret
/// comes from `MFA_CUTOVER_CLIENT_SECRET`, a bearer token from `MFA_CUTOVER_ACCESS_TOKEN`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    pub kind: Option<AuthKind>,
    pub client_id: Option<String>,
    /// PEM (certificate and private key) or PFX file of the app's certificate.
    pub certificate: Option<PathBuf>,
}

/// `[migration]` of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationFile {
    pub group: Option<String>,
    pub default_method: Option<DefaultMethodMode>,
    pub mobile_app: Option<MobileAppHandling>,
    pub include_disabled: Option<bool>,
    pub match_attribute: Option<MatchAttribute>,
    /// e.g. `"15m"`.
    pub sync_interval: Option<String>,
}

/// `[graph]` of the config file: pace and quotas.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphSettings {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Graph write quota per app and tenant, per window.
    pub writes_per_window: u32,
    pub write_window_secs: u32,
    /// Identity resource units per 10 s; unset: from the tenant's size (3,500 / 5,000 /
    /// 8,000 for under 50 / 50–500 / over 500 users), read once at start-up.
    pub resource_units_per_10s: Option<u32>,
}

impl Default for GraphSettings {
    /// The identity service limits of a large tenant (graph-api.md §9).
    fn default() -> Self {
        GraphSettings {
            concurrency: 16,
            writes_per_window: 3000,
            write_window_secs: 150,
            resource_units_per_10s: None,
        }
    }
}

/// The config file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub tenant: Option<String>,
    pub cloud: Option<Cloud>,
    /// One path or several.
    pub data_file: Option<OneOrMany>,
    pub mapping: Option<PathBuf>,
    pub graph_url: Option<String>,
    pub state_dir: Option<PathBuf>,
    pub keymap: Option<String>,
    /// Allow a `graph_url` that is neither loopback nor a national cloud's Graph host
    /// (the bearer token is sent there).
    #[serde(default)]
    pub allow_custom_graph_url: bool,
    /// Marks a production tenant: red frame, stricter confirmations.
    #[serde(default)]
    pub production: bool,
    #[serde(default)]
    pub auth: AuthFile,
    #[serde(default)]
    pub migration: MigrationFile,
    #[serde(default)]
    pub graph: GraphSettings,
    /// `[[waves]]`: each pairs a migration group with its Staged Rollout group.
    #[serde(default)]
    pub waves: Vec<Wave>,
    #[serde(default)]
    pub inventory: InventorySources,
}

/// `[inventory]`: the AD FS and NPS exports the dependency inventory reads beside the data
/// file (`inventory --adfs/--nps` adds to them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySources {
    #[serde(default)]
    pub adfs: Vec<PathBuf>,
    #[serde(default)]
    pub nps: Vec<PathBuf>,
    /// Group-based MFA provider routing is planned (flags a farm behavior level below 4).
    #[serde(default)]
    pub group_routing: bool,
}

impl InventorySources {
    pub fn is_empty(&self) -> bool {
        self.adfs.is_empty() && self.nps.is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

/// A problem with the configuration: names the file or flag, the value, and what was
/// expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{what} {value:?}: expected {expected}")]
    Invalid {
        what: String,
        value: String,
        expected: String,
    },
    /// A config file that cannot be read whole (missing, not a file, too big).
    #[error("config file: {0}")]
    File(#[from] crate::fsx::FsError),
    /// Every problem of the `[[waves]]`, one per line.
    #[error("{}", waves_text(.0))]
    Waves(Vec<WaveProblem>),
}

fn waves_text(problems: &[WaveProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Command-line (and environment) values that override the file. `None` = not given.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_files: Vec<PathBuf>,
    pub mapping: Option<PathBuf>,
    pub tenant: Option<String>,
    pub cloud: Option<Cloud>,
    pub graph_url: Option<String>,
    pub auth: Option<AuthKind>,
    pub client_id: Option<String>,
    pub certificate: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub keymap: Option<String>,
    /// `--allow-custom-graph-url`.
    pub allow_custom_graph_url: bool,
}

/// The resolved configuration every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
    pub tenant: Option<String>,
    pub cloud: Cloud,
    pub data_files: Vec<PathBuf>,
    pub mapping: Option<PathBuf>,
    pub graph_url: Option<String>,
    pub auth: Option<AuthKind>,
    pub client_id: Option<String>,
    pub certificate: Option<PathBuf>,
    pub state_dir: PathBuf,
    pub keymap: Option<String>,
    pub production: bool,
    pub group: Option<String>,
    pub migration: MigrationSettings,
    pub sync_interval: Option<Duration>,
    pub graph: GraphSettings,
    /// The migration waves, in order.
    pub waves: Vec<Wave>,
    pub inventory: InventorySources,
}

impl Config {
    /// Read the file (the given one, else the platform default if it exists) and apply
    /// the overrides.
    pub fn load(o: &Overrides) -> Result<Config, ConfigError> {
        let (file, fc) = match &o.config {
            Some(path) => (Some(path.clone()), read_file(path)?),
            None => match default_config_file() {
                Some(path) if path.is_file() => (Some(path.clone()), read_file(&path)?),
                _ => (None, FileConfig::default()),
            },
        };
        Config::resolve(file, fc, o)
    }

    /// Apply overrides to an already parsed file (tests use this directly).
    pub fn resolve(
        file: Option<PathBuf>,
        fc: FileConfig,
        o: &Overrides,
    ) -> Result<Config, ConfigError> {
        let data_files = if o.data_files.is_empty() {
            match fc.data_file {
                Some(OneOrMany::One(p)) => vec![p],
                Some(OneOrMany::Many(v)) => v,
                None => Vec::new(),
            }
        } else {
            o.data_files.clone()
        };
        let sync_interval = match &fc.migration.sync_interval {
            Some(text) => {
                Some(
                    humantime::parse_duration(text).map_err(|e| ConfigError::Invalid {
                        what: "migration.sync_interval".into(),
                        value: text.clone(),
                        expected: format!("a duration such as \"15m\" or \"1h\" ({e})"),
                    })?,
                )
            }
            None => None,
        };
        let cloud = o.cloud.or(fc.cloud).unwrap_or_default();
        let migration = MigrationSettings {
            default_method: fc.migration.default_method.unwrap_or_default(),
            mobile_app: fc.migration.mobile_app.unwrap_or_default(),
            include_disabled: fc.migration.include_disabled.unwrap_or(false),
            match_attribute: fc.migration.match_attribute.clone(),
            hardware_oath_available: cloud.has_hardware_oath(),
            phone_update_available: cloud.has_phone_update(),
        };
        if let Some(d) = sync_interval {
            check_sync_interval("[migration] sync_interval", d)?;
        }
        fc.graph.validate()?;
        let graph_url = o.graph_url.clone().or(fc.graph_url);
        if let Some(url) = &graph_url {
            check_graph_url(url, o.allow_custom_graph_url || fc.allow_custom_graph_url)?;
        }
        let wave_problems = crate::rollout::wave::validate(&fc.waves);
        if !wave_problems.is_empty() {
            return Err(ConfigError::Waves(wave_problems));
        }
        Ok(Config {
            file,
            tenant: o.tenant.clone().or(fc.tenant),
            cloud,
            data_files,
            mapping: o.mapping.clone().or(fc.mapping),
            graph_url,
            auth: o.auth.or(fc.auth.kind),
            client_id: o.client_id.clone().or(fc.auth.client_id),
            certificate: o.certificate.clone().or(fc.auth.certificate),
            state_dir: o
                .state_dir
                .clone()
                .or(fc.state_dir)
                .unwrap_or_else(default_state_dir),
            keymap: o.keymap.clone().or(fc.keymap),
            production: fc.production,
            group: fc.migration.group,
            migration,
            sync_interval,
            graph: fc.graph,
            waves: fc.waves,
            inventory: fc.inventory,
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = crate::fsx::read_bounded_text(path, crate::fsx::ReadKind::Config)?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mfa-cutover")
}

/// `<config dir>/config.toml`.
pub fn default_config_file() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Where user keymap overrides live.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The platform data dir, else `./.mfa-cutover`.
pub fn default_state_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".mfa-cutover"))
}

/// Create `dir` (and parents) readable by the owner only; a symbolic link is refused.
/// Kept for callers elsewhere: new code calls [`crate::fsx::private_dir`].
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    Ok(crate::fsx::private_dir(dir)?)
}

/// Create or truncate `path` with mode 0600, never through a symbolic link. Kept for
/// callers elsewhere: new code uses [`crate::fsx::AtomicFile`] or
/// [`crate::fsx::create_new`].
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    Ok(crate::fsx::create_or_truncate(path)?)
}

/// Accepted `[graph]` values: wide enough for any tenant's quotas, narrow enough that a
/// typo cannot exhaust memory (a million requests in flight) or panic a semaphore.
pub const CONCURRENCY: RangeInclusive<u64> = 1..=64;
pub const WRITES_PER_WINDOW: RangeInclusive<u64> = 1..=1_000_000;
pub const WRITE_WINDOW_SECS: RangeInclusive<u64> = 1..=86_400;
pub const RESOURCE_UNITS_PER_10S: RangeInclusive<u64> = 1..=1_000_000;
/// Automatic sync: at least a minute apart (each cycle reads the data file and the
/// group), at most a week.
pub const SYNC_INTERVAL: RangeInclusive<Duration> =
    Duration::from_secs(60)..=Duration::from_secs(7 * 24 * 3600);

fn check_range(what: &str, value: u64, range: &RangeInclusive<u64>) -> Result<(), ConfigError> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        what: what.to_string(),
        value: value.to_string(),
        expected: format!("a whole number from {} to {}", range.start(), range.end()),
    })
}

/// A sync interval (config, `--interval`, the TUI's setting) within [`SYNC_INTERVAL`].
pub fn check_sync_interval(what: &str, d: Duration) -> Result<Duration, ConfigError> {
    if SYNC_INTERVAL.contains(&d) {
        return Ok(d);
    }
    Err(ConfigError::Invalid {
        what: what.to_string(),
        value: humantime::format_duration(d).to_string(),
        expected: format!(
            "a duration from {} to {}",
            humantime::format_duration(*SYNC_INTERVAL.start()),
            humantime::format_duration(*SYNC_INTERVAL.end())
        ),
    })
}

impl GraphSettings {
    /// Every number within its range; a refusal names the key, the value and the range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("[graph] concurrency", self.concurrency as u64, &CONCURRENCY)?;
        check_range(
            "[graph] writes_per_window",
            u64::from(self.writes_per_window),
            &WRITES_PER_WINDOW,
        )?;
        check_range(
            "[graph] write_window_secs",
            u64::from(self.write_window_secs),
            &WRITE_WINDOW_SECS,
        )?;
        match self.resource_units_per_10s {
            // Unset: from the tenant's size at start-up.
            None => Ok(()),
            Some(ru) => check_range(
                "[graph] resource_units_per_10s",
                u64::from(ru),
                &RESOURCE_UNITS_PER_10S,
            ),
        }
    }
}

/// `--graph-url` (or `graph_url`): the URL policy of [`GraphRoot::parse`], and a root that
/// is not loopback (the simulated tenant) must be a national cloud's Graph host unless
/// `--allow-custom-graph-url` says the admin means it: the bearer token goes there.
pub fn check_graph_url(url: &str, allow_custom: bool) -> Result<(), ConfigError> {
    let root = GraphRoot::parse(url).map_err(|e| ConfigError::Invalid {
        what: "--graph-url".into(),
        value: url.to_string(),
        expected: e.to_string(),
    })?;
    if root.is_loopback() || allow_custom || is_cloud_graph_host(&root) {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        what: "--graph-url".into(),
        value: url.to_string(),
        expected: format!(
            "a national cloud's Graph ({}) or the simulated tenant on loopback; the sign-in \
             token would be sent to {}: pass --allow-custom-graph-url (or set \
             allow_custom_graph_url = true) if that host is a Graph you trust",
            Cloud::ALL
                .iter()
                .map(|c| c.graph_root())
                .collect::<Vec<_>>()
                .join(", "),
            root.host()
        ),
    })
}

fn is_cloud_graph_host(root: &GraphRoot) -> bool {
    Cloud::ALL
        .iter()
        .any(|c| GraphRoot::for_cloud(*c).host() == root.host() && root.scheme() == "https")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file() -> Result<(), Box<dyn std::error::Error>> {
        let fc: FileConfig = toml::from_str(
            r#"
            tenant = "contoso.onmicrosoft.com"
            cloud = "usgov"
            data_file = "/srv/a.pfdata"
            [migration]
            default_method = "always"
            sync_interval = "15m"
            "#,
        )?;
        let o = Overrides {
            tenant: Some("fabrikam.com".into()),
            ..Default::default()
        };
        let c = Config::resolve(None, fc, &o)?;
        assert_eq!(c.tenant.as_deref(), Some("fabrikam.com"));
        assert_eq!(c.cloud, Cloud::Usgov);
        assert!(!c.migration.hardware_oath_available);
        assert_eq!(c.data_files, [PathBuf::from("/srv/a.pfdata")]);
        assert_eq!(c.migration.default_method, DefaultMethodMode::Always);
        assert_eq!(c.sync_interval, Some(Duration::from_secs(900)));
        Ok(())
    }

    #[test]
    fn waves_are_read_and_checked() -> Result<(), Box<dyn std::error::Error>> {
        let fc: FileConfig = toml::from_str(
            r#"
            [[waves]]
            name = "Pilot"
            migrate = "MFA Pilot"
            rollout = "MFA Rollout Pilot"
            [[waves]]
            name = "Wave 1"
            migrate = "MFA Migration Wave 1"
            rollout = "MFA Rollout Wave 1"
            "#,
        )?;
        let c = Config::resolve(None, fc, &Overrides::default())?;
        assert_eq!(c.waves.len(), 2);
        assert_eq!(c.waves[1].rollout, "MFA Rollout Wave 1");

        let fc: FileConfig = toml::from_str(
            "[[waves]]\nname = \"A\"\nmigrate = \"\"\nrollout = \"R\"\n\
             [[waves]]\nname = \"a\"\nmigrate = \"M\"\nrollout = \"R\"\n",
        )?;
        let err = Config::resolve(None, fc, &Overrides::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(err.lines().count(), 3, "{err}");
        assert!(err.contains("#1 migrate"), "{err}");
        assert!(err.contains("#2 name"), "{err}");
        assert!(err.contains("#2 rollout"), "{err}");

        let bad = toml::from_str::<FileConfig>("[[waves]]\nname = \"A\"\nmigrate = \"M\"\n")
            .map_err(|e| e.to_string());
        assert!(bad.err().unwrap_or_default().contains("rollout"));
        Ok(())
    }

    #[test]
    fn unknown_key_names_the_line() {
        let err = toml::from_str::<FileConfig>("tenant = \"x\"\nfrobnicate = 1\n")
            .map_err(|e| e.to_string());
        let msg = err.err().unwrap_or_default();
        assert!(msg.contains("frobnicate"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }
}
