//! What `inspect` shows: a pure summary of a [`DataSet`] — the inputs and what each
//! carried, counts, dependencies, row problems — and its plain-text rendering. No I/O;
//! the CLI prints it (as text or JSON). Secrets never enter it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::known::Known;
use super::model::{
    DataSet, HashFunction, InputKind, MfaMethod, OathKind, ProblemKind, ServerRole, ServiceKind,
    TimeStep,
};

/// How many examples of each problem kind the text shows.
const EXAMPLES_PER_KIND: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub inputs: Vec<InputReport>,
    /// MFA Server version (the primary's, else what an input says).
    pub server_version: Option<String>,
    /// User rows read (after merging inputs).
    pub users: u64,
    pub counts: Counts,
    pub dependencies: Dependencies,
    pub settings: Option<SettingsReport>,
    pub servers: Option<Vec<ServerReport>>,
    /// Problem counts by kind.
    pub problem_counts: BTreeMap<ProblemKind, u64>,
    pub row_problems: Vec<ProblemReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub path: String,
    pub kind: InputKind,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    pub sha256: String,
    pub rows: u64,
    pub carries: Vec<String>,
    pub unknown_columns: Vec<String>,
    pub server_version: Option<String>,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
}

/// A count that is only meaningful when some input carries the field.
pub type MaybeCount = Known<u64>;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub enabled: MaybeCount,
    pub disabled: MaybeCount,
    /// By MFA Server default method; `unknown` counts users whose inputs do not say.
    pub by_default_method: BTreeMap<String, u64>,
    pub with_phone: MaybeCount,
    pub with_backup_phone: MaybeCount,
    /// Users whose phone or backup phone has an extension.
    pub with_extension: MaybeCount,
    /// Users with both phones carrying an extension (rule B3).
    pub both_with_extension: MaybeCount,
    /// Backup phone but no phone (rule B4).
    pub backup_only: MaybeCount,
    pub users_with_devices: MaybeCount,
    pub devices: MaybeCount,
    pub devices_with_oath_secret: MaybeCount,
    /// Users whose devices repeat a name (rule A1).
    pub users_with_repeated_device_names: MaybeCount,
    pub tokens: MaybeCount,
    pub tokens_by_type: BTreeMap<String, u64>,
    pub tokens_without_secret: MaybeCount,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Dependencies {
    /// Whether any input carries them (Export Users CSVs do not).
    pub known: bool,
    pub by_kind: BTreeMap<ServiceKind, u64>,
    pub services: Vec<ServiceReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub kind: ServiceKind,
    pub name: String,
    pub address: Option<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettingsReport {
    pub company: BTreeMap<String, String>,
    pub user_portal: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    pub name: String,
    pub role: ServerRole,
    pub version: Option<String>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProblemReport {
    /// The username, when the row has one.
    pub user: Option<String>,
    pub field: String,
    pub reason: String,
    pub kind: ProblemKind,
    /// The input's path.
    pub input: String,
    pub row: Option<u64>,
    /// True when the whole row was left out.
    pub set_aside: bool,
}

fn method_name(m: MfaMethod) -> &'static str {
    match m {
        MfaMethod::PhoneCall => "phone_call",
        MfaMethod::TextMessage => "text_message",
        MfaMethod::MobileApp => "mobile_app",
        MfaMethod::OathToken => "oath_token",
    }
}

/// Tally of a field that some users' inputs may not carry: unknown only when no user's do.
#[derive(Default)]
struct Tally {
    known: bool,
    n: u64,
}

impl Tally {
    fn add<T>(&mut self, k: Known<T>, yes: impl FnOnce(T) -> bool) {
        if let Known::Known(v) = k {
            self.known = true;
            if yes(v) {
                self.n += 1;
            }
        }
    }

    fn count(&self) -> MaybeCount {
        if self.known {
            Known::Known(self.n)
        } else {
            Known::Unknown
        }
    }
}

impl Report {
    pub fn new(set: &DataSet) -> Report {
        let mut enabled = Tally::default();
        let mut disabled = Tally::default();
        let mut phone = Tally::default();
        let mut backup = Tally::default();
        let mut ext = Tally::default();
        let mut both_ext = Tally::default();
        let mut backup_only = Tally::default();
        let mut with_devices = Tally::default();
        let mut devices = Tally::default();
        let mut device_secrets = Tally::default();
        let mut repeated = Tally::default();
        let mut tokens = Tally::default();
        let mut without_secret = Tally::default();
        let mut by_method: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
        for u in set.users() {
            enabled.add(u.enabled(), |e| e);
            disabled.add(u.enabled(), |e| !e);
            let p = u.phone();
            let b = u.backup_phone();
            phone.add(p, |p| p.is_some());
            backup.add(b, |b| b.is_some());
            let has_ext = |k: Known<Option<crate::phone::PhoneNumber>>| {
                k.value().is_some_and(|p| p.has_extension())
            };
            if p.is_known() || b.is_known() {
                ext.add(Known::Known(()), |_| has_ext(p) || has_ext(b));
                both_ext.add(Known::Known(()), |_| has_ext(p) && has_ext(b));
                backup_only.add(Known::Known(()), |_| {
                    p.value().is_none() && b.value().is_some() && !p.is_unknown()
                });
            }
            let method = match u.default_method() {
                Known::Known(Some(m)) => method_name(m),
                _ => "unknown",
            };
            *by_method.entry(method.to_string()).or_default() += 1;
            if let Known::Known(ds) = u.devices() {
                let ds: Vec<_> = ds.collect();
                let names: Vec<&str> = ds.iter().map(|d| d.name()).collect();
                let n = names.len() as u64;
                with_devices.add(Known::Known(n), |n| n > 0);
                devices.known = true;
                devices.n += n;
                device_secrets.known = true;
                device_secrets.n += ds.iter().filter(|d| d.oath_secret().is_some()).count() as u64;
                let mut sorted = names.clone();
                sorted.sort_unstable();
                sorted.dedup();
                repeated.add(Known::Known(()), |_| sorted.len() < names.len());
            }
            if let Known::Known(ts) = u.tokens() {
                tokens.known = true;
                without_secret.known = true;
                for t in ts {
                    tokens.n += 1;
                    if t.secret().is_none() {
                        without_secret.n += 1;
                    }
                    let kind = match t.kind() {
                        OathKind::Totp => "totp",
                        OathKind::Hotp => "hotp",
                    };
                    let step = match t.time_step() {
                        TimeStep::S30 => "30s",
                        TimeStep::S60 => "60s",
                    };
                    let hash = match t.hash() {
                        HashFunction::HmacSha1 => "sha1",
                        HashFunction::HmacSha256 => "sha256",
                    };
                    let key = if t.kind() == OathKind::Hotp {
                        format!("{kind} {hash}")
                    } else {
                        format!("{kind} {step} {hash}")
                    };
                    *by_type.entry(key).or_default() += 1;
                }
            }
        }
        let mut problem_counts: BTreeMap<ProblemKind, u64> = BTreeMap::new();
        for p in &set.problems {
            *problem_counts.entry(p.kind).or_default() += 1;
        }
        let input_path = |i: usize| {
            set.inputs
                .get(i)
                .map(|s| s.path.display().to_string())
                .unwrap_or_default()
        };
        let dependencies = match &set.services {
            Known::Known(services) => {
                let mut by_kind = BTreeMap::new();
                for s in services {
                    *by_kind.entry(s.kind).or_default() += 1;
                }
                Dependencies {
                    known: true,
                    by_kind,
                    services: services
                        .iter()
                        .map(|s| ServiceReport {
                            kind: s.kind,
                            name: s.name.clone(),
                            address: s.address.clone(),
                            enabled: s.enabled,
                        })
                        .collect(),
                }
            }
            Known::Unknown => Dependencies::default(),
        };
        Report {
            inputs: set
                .inputs
                .iter()
                .map(|i| InputReport {
                    path: i.path.display().to_string(),
                    kind: i.kind,
                    size: i.size,
                    modified: i.modified,
                    sha256: i.sha256.clone(),
                    rows: i.rows,
                    carries: i.carries.clone(),
                    unknown_columns: i.unknown_columns.clone(),
                    server_version: i.server_version.clone(),
                    encoding: i.encoding.clone(),
                    delimiter: i.delimiter.map(|d| match d {
                        '\t' => "tab".to_string(),
                        d => d.to_string(),
                    }),
                })
                .collect(),
            server_version: set.server_version().map(str::to_string),
            users: set.len() as u64,
            counts: Counts {
                enabled: enabled.count(),
                disabled: disabled.count(),
                by_default_method: by_method,
                with_phone: phone.count(),
                with_backup_phone: backup.count(),
                with_extension: ext.count(),
                both_with_extension: both_ext.count(),
                backup_only: backup_only.count(),
                users_with_devices: with_devices.count(),
                devices: devices.count(),
                devices_with_oath_secret: device_secrets.count(),
                users_with_repeated_device_names: repeated.count(),
                tokens: tokens.count(),
                tokens_by_type: by_type,
                tokens_without_secret: without_secret.count(),
            },
            dependencies,
            settings: set.settings.as_ref().known().map(|s| SettingsReport {
                company: s.company.clone(),
                user_portal: s.user_portal.clone(),
            }),
            servers: set.servers.as_ref().known().map(|servers| {
                servers
                    .iter()
                    .map(|s| ServerReport {
                        name: s.name.clone(),
                        role: s.role,
                        version: s.version.clone(),
                        last_seen_at: s.last_seen_at,
                    })
                    .collect()
            }),
            problem_counts,
            row_problems: set
                .problems
                .iter()
                .map(|p| ProblemReport {
                    user: p.user.clone(),
                    field: p.field.clone(),
                    reason: p.reason.clone(),
                    kind: p.kind,
                    input: input_path(p.input),
                    row: p.row,
                    set_aside: p.set_aside,
                })
                .collect(),
        }
    }

    /// The report as an admin reads it on a terminal. Everything that comes from an input
    /// (paths, column names, names, addresses, versions, usernames, reasons quoting
    /// values) passes through [`safe_text`](crate::safe_text): a username holding
    /// `ESC[2J` prints as `\x1b[2J`, it does not clear the screen.
    pub fn render_text(&self) -> String {
        use crate::safe_text::Safe;
        let mut o = String::new();
        let _ = writeln!(o, "Inputs");
        for i in &self.inputs {
            let _ = writeln!(o, "  {}  ({})", Safe(&i.path), kind_name(i.kind));
            let mut facts = vec![
                format!("{} rows", i.rows),
                human_size(i.size),
                format!("sha256 {}", i.sha256),
            ];
            if let Some(m) = i.modified {
                facts.push(format!(
                    "modified {}",
                    m.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ));
            }
            let _ = writeln!(o, "    {}", facts.join(", "));
            if let Some(e) = &i.encoding {
                let _ = writeln!(
                    o,
                    "    {e}, delimiter {}",
                    i.delimiter.as_deref().unwrap_or(",")
                );
            }
            if let Some(v) = &i.server_version {
                let _ = writeln!(o, "    server version {}", Safe(v));
            }
            let _ = writeln!(o, "    carries: {}", Safe(&i.carries.join(", ")));
            if !i.unknown_columns.is_empty() {
                let _ = writeln!(
                    o,
                    "    columns not used: {}",
                    Safe(&i.unknown_columns.join(", "))
                );
            }
        }
        let c = &self.counts;
        let _ = writeln!(o);
        let _ = writeln!(o, "Users: {}", self.users);
        if let Some(v) = &self.server_version {
            let _ = writeln!(o, "MFA Server version: {}", Safe(v));
        }
        let rows: Vec<(&str, String)> = vec![
            ("enabled", count(c.enabled)),
            ("disabled", count(c.disabled)),
            ("with a phone", count(c.with_phone)),
            ("with a backup phone", count(c.with_backup_phone)),
            ("with an extension", count(c.with_extension)),
            (
                "  both phones with extensions (B3)",
                count(c.both_with_extension),
            ),
            ("  backup phone only (B4)", count(c.backup_only)),
            ("with mobile app devices", count(c.users_with_devices)),
            ("  devices", count(c.devices)),
            (
                "  devices with an OATH secret",
                count(c.devices_with_oath_secret),
            ),
            (
                "  users with repeated device names (A1)",
                count(c.users_with_repeated_device_names),
            ),
            ("hardware OATH tokens", count(c.tokens)),
            ("  tokens without a secret", count(c.tokens_without_secret)),
        ];
        for (label, value) in rows {
            let _ = writeln!(o, "  {label:<42} {value:>9}");
        }
        let _ = writeln!(o, "  default method:");
        for (m, n) in &c.by_default_method {
            let _ = writeln!(o, "    {:<40} {n:>9}", Safe(m));
        }
        if !c.tokens_by_type.is_empty() {
            let _ = writeln!(o, "  tokens by type:");
            for (t, n) in &c.tokens_by_type {
                let _ = writeln!(o, "    {t:<40} {n:>9}");
            }
        }
        let _ = writeln!(o);
        if self.dependencies.known {
            let by_kind: Vec<String> = self
                .dependencies
                .by_kind
                .iter()
                .map(|(k, n)| format!("{} {n}", service_kind_name(*k)))
                .collect();
            let _ = writeln!(
                o,
                "Dependencies (what authenticates through MFA Server): {}",
                by_kind.join(", ")
            );
            for s in &self.dependencies.services {
                let _ = writeln!(
                    o,
                    "  {:<24} {:<32} {}{}",
                    service_kind_name(s.kind),
                    Safe(&s.name),
                    Safe(s.address.as_deref().unwrap_or("-")),
                    if s.enabled { "" } else { "  (disabled)" }
                );
            }
        } else {
            let _ = writeln!(
                o,
                "Dependencies: unknown (no input carries them; a snapshot does)"
            );
        }
        if let Some(servers) = &self.servers {
            let _ = writeln!(o, "Servers");
            for s in servers {
                let _ = writeln!(
                    o,
                    "  {:<28} {:<12} {}",
                    Safe(&s.name),
                    format!("{:?}", s.role).to_lowercase(),
                    Safe(s.version.as_deref().unwrap_or("-"))
                );
            }
        }
        let _ = writeln!(o);
        if self.row_problems.is_empty() {
            let _ = writeln!(o, "Row problems: none");
        } else {
            let _ = writeln!(o, "Row problems: {}", self.row_problems.len());
            for (kind, n) in &self.problem_counts {
                let _ = writeln!(o, "  {:<40} {n:>9}", kind_label(*kind));
                for p in self
                    .row_problems
                    .iter()
                    .filter(|p| p.kind == *kind)
                    .take(EXAMPLES_PER_KIND)
                {
                    let _ = writeln!(
                        o,
                        "    {}{}: {}{}",
                        Safe(p.user.as_deref().unwrap_or("(no user)")),
                        p.row.map(|r| format!(" (row {r})")).unwrap_or_default(),
                        Safe(&p.reason),
                        if p.set_aside { " [set aside]" } else { "" }
                    );
                }
            }
        }
        o
    }
}

fn service_kind_name(k: ServiceKind) -> &'static str {
    match k {
        ServiceKind::Radius => "RADIUS client",
        ServiceKind::Ldap => "LDAP",
        ServiceKind::Iis => "IIS",
        ServiceKind::Windows => "Windows",
        ServiceKind::Adfs => "AD FS adapter",
        ServiceKind::UserPortal => "user portal",
        ServiceKind::MobileAppWebService => "mobile app web service",
        ServiceKind::WebServiceSdk => "web service SDK",
    }
}

fn count(k: MaybeCount) -> String {
    match k {
        Known::Known(n) => n.to_string(),
        Known::Unknown => "unknown".into(),
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub fn kind_name(k: InputKind) -> &'static str {
    match k {
        InputKind::ExportUsersCsv => "Export Users CSV",
        InputKind::OathSeedFile => "OATH seed file",
        InputKind::SnapshotSqlite => "snapshot, SQLite",
        InputKind::SnapshotFolder => "snapshot, CSV folder",
        InputKind::PfdataSqlite => "PhoneFactor.pfdata, SQLite through a mapping",
    }
}

/// A problem kind in words (inspect, and any list of row problems).
pub fn kind_label(k: ProblemKind) -> &'static str {
    match k {
        ProblemKind::BadPhone => "bad phone",
        ProblemKind::UnknownMethod => "unknown default method",
        ProblemKind::UnknownValue => "unknown value",
        ProblemKind::DuplicateUsername => "duplicate username",
        ProblemKind::TokenWithoutUser => "token with no user",
        ProblemKind::DeviceWithoutUser => "device with no user",
        ProblemKind::BadSecret => "invalid secret",
        ProblemKind::BadTimestamp => "bad timestamp",
        ProblemKind::InvalidUtf8 => "invalid UTF-8",
        ProblemKind::InvalidUtf16 => "invalid UTF-16",
        ProblemKind::TruncatedRow => "row cut off (truncated file)",
        ProblemKind::MissingValue => "missing value",
    }
}
