//! Configuration: the TOML file, then `MFA_CUTOVER_*` environment variables, then flags,
//! each overriding the one before (cli.md). Also the platform directories.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cloud::Cloud;
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
    pub resource_units_per_10s: u32,
}

impl Default for GraphSettings {
    /// The identity service limits of a large tenant (graph-api.md §9).
    fn default() -> Self {
        GraphSettings {
            concurrency: 16,
            writes_per_window: 3000,
            write_window_secs: 150,
            resource_units_per_10s: 8000,
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
        };
        let g = &fc.graph;
        if g.concurrency == 0
            || g.writes_per_window == 0
            || g.write_window_secs == 0
            || g.resource_units_per_10s == 0
        {
            return Err(ConfigError::Invalid {
                what: "[graph]".into(),
                value: format!("{g:?}"),
                expected: "every value above zero".into(),
            });
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
            graph_url: o.graph_url.clone().or(fc.graph_url),
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
        })
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
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

/// Create `dir` (and parents) readable by the owner only.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Create or truncate `path` with mode 0600 (files the tool writes are private).
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    #[cfg(unix)]
    {
        // `mode` applies only when the file is created; tighten an existing one too.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
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
