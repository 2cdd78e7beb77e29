//! Saved plans (`plan --out FILE`, `migrate --plan FILE`): the plans of a dry run with
//! what they were made from — the data set's digest, the settings, the tenant and group,
//! and per user a digest of the Entra state read for the plan.
//!
//! A saved plan is a commitment, not a list of instructions: `plan --out` prints a digest
//! of the whole plan (tenant, group, every user and every operation), `migrate --plan`
//! shows it again (and `--expect-digest` pins the one a change ticket reviewed), and each
//! user's operations are applied only if planning that user now — from the current data,
//! settings and Entra state, and the user's own match in the group — gives exactly the
//! saved operations. An edited file, a changed user, or a user moved between entries is
//! refused with the first difference, and nothing is written (ux.md: terraform's
//! plan/apply).
//!
//! Plans hold no secrets (tokens are named by serial), so neither does the file; it is
//! written 0600 all the same, as it names users and phone numbers.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use crate::migrate::{MigrationSettings, Plan};

/// Format tag; a file of another format is refused rather than guessed at.
pub const FORMAT: &str = "mfa-cutover plan v1";

/// One user's saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedUser {
    /// Digest of the Entra state the plan was made from (methods, inventory devices
    /// looked at, the policy's verdict for the user).
    pub entra_state: String,
    pub plan: Arc<Plan>,
}

/// The group the plans were made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanGroup {
    pub id: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    pub format: String,
    pub created_at: DateTime<Utc>,
    pub tenant: String,
    pub group: Option<PlanGroup>,
    /// [`DataSet::digest`](crate::datafile::DataSet::digest) of the inputs planned from.
    pub data_digest: String,
    pub settings: MigrationSettings,
    /// Users whose plan writes something.
    pub users: Vec<SavedUser>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot write the plan to {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read the plan {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a plan saved by `mfa-cutover plan --out` ({detail})")]
    Format { path: String, detail: String },
}

/// The first way `now` differs from the `saved` plan of the same user, if any.
pub fn difference(saved: &Plan, now: &Plan) -> Option<String> {
    if saved.user.entra_id != now.user.entra_id {
        return Some(format!(
            "the saved entry is for Entra user {}, not {}",
            saved.user.entra_id, now.user.entra_id
        ));
    }
    if saved.user.mfa_username != now.user.mfa_username || saved.user.mfa_user != now.user.mfa_user
    {
        return Some(format!(
            "the saved entry is for MFA Server user {:?}; the user matches {:?} now",
            saved.user.mfa_username, now.user.mfa_username
        ));
    }
    let n = saved.ops.len().max(now.ops.len());
    for i in 0..n {
        match (saved.ops.get(i), now.ops.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                return Some(format!(
                    "operation {}: the plan says \"{a}\", planning now gives \"{b}\"",
                    i + 1
                ));
            }
            (Some(a), None) => {
                return Some(format!(
                    "operation {}: the plan says \"{a}\", planning now gives nothing",
                    i + 1
                ));
            }
            (None, Some(b)) => {
                return Some(format!(
                    "operation {}: the plan has none, planning now gives \"{b}\"",
                    i + 1
                ));
            }
            (None, None) => {}
        }
    }
    None
}

/// What the digest covers, in a fixed order: change it only with the format.
#[derive(Serialize)]
struct Committed<'a> {
    format: &'a str,
    tenant: &'a str,
    group: Option<&'a str>,
    data_digest: &'a str,
    settings: &'a MigrationSettings,
    users: Vec<(&'a str, &'a str, &'a str, &'a [crate::migrate::Op])>,
}

impl PlanFile {
    /// The digest of the whole plan: tenant, group, data, settings, and every user with
    /// every operation, in the file's order. Computed from the content (never stored in
    /// it), so an edit to any of them gives another digest.
    pub fn digest(&self) -> String {
        let committed = Committed {
            format: &self.format,
            tenant: &self.tenant,
            group: self.group.as_ref().map(|g| g.id.as_str()),
            data_digest: &self.data_digest,
            settings: &self.settings,
            users: self
                .users
                .iter()
                .map(|u| {
                    (
                        u.plan.user.entra_id.as_str(),
                        u.plan.user.upn.as_str(),
                        u.plan.user.mfa_username.as_str(),
                        u.plan.ops.as_slice(),
                    )
                })
                .collect(),
        };
        let bytes = serde_json::to_vec(&committed).unwrap_or_default();
        let mut h = Sha256::new();
        h.update(b"mfa-cutover plan digest v1\0");
        h.update(&bytes);
        data_encoding::HEXLOWER.encode(&h.finalize())
    }

    /// Write the file (0600) through a temporary file created exclusively beside it
    /// ([`crate::fsx::AtomicFile`]): a reader never sees half, and no link planted
    /// beside it redirects the write.
    pub fn save(&self, path: &Path) -> Result<(), PlanFileError> {
        let err = |source| PlanFileError::Write {
            path: path.display().to_string(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| err(std::io::Error::other(e)))?;
        let mut f = crate::fsx::AtomicFile::create(path).map_err(|e| err(e.into()))?;
        f.write_all(&bytes).map_err(err)?;
        f.commit().map_err(|e| err(e.into()))
    }

    /// Read a saved plan: a regular file within the saved-plan cap
    /// ([`crate::fsx::read_bounded`]), in this format.
    pub fn load(path: &Path) -> Result<PlanFile, PlanFileError> {
        let shown = path.display().to_string();
        let bytes =
            crate::fsx::read_bounded(path, crate::fsx::ReadKind::SavedPlan).map_err(|e| {
                PlanFileError::Read {
                    path: shown.clone(),
                    source: e.into(),
                }
            })?;
        let file: PlanFile = serde_json::from_slice(&bytes).map_err(|e| PlanFileError::Format {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        if file.format != FORMAT {
            return Err(PlanFileError::Format {
                path: shown,
                detail: format!("format {:?}, expected {FORMAT:?}", file.format),
            });
        }
        Ok(file)
    }

    /// What differs between this plan's inputs and the current ones (besides each
    /// user's Entra state, which needs Graph): empty when the plan may be applied.
    pub fn changes(
        &self,
        tenant: &str,
        data_digest: &str,
        settings: &MigrationSettings,
    ) -> Vec<String> {
        let mut out = Vec::new();
        if !self.tenant.eq_ignore_ascii_case(tenant) {
            out.push(format!(
                "the plan is for tenant {}, but the sign-in is to tenant {tenant}",
                self.tenant
            ));
        }
        if self.data_digest != data_digest {
            out.push(
                "the data file changed since the plan was made (its inputs' SHA-256 differ)"
                    .to_string(),
            );
        }
        if &self.settings != settings {
            let mut diffs = Vec::new();
            let (a, b) = (&self.settings, settings);
            if a.default_method != b.default_method {
                diffs.push(format!(
                    "default_method {} → {} (pass --default-method {} as the plan was made)",
                    a.default_method.name(),
                    b.default_method.name(),
                    a.default_method.name()
                ));
            }
            if a.mobile_app != b.mobile_app {
                diffs.push(format!(
                    "mobile_app {} → {} (pass --mobile-app {})",
                    a.mobile_app.name(),
                    b.mobile_app.name(),
                    a.mobile_app.name()
                ));
            }
            if a.include_disabled != b.include_disabled {
                diffs.push(format!(
                    "include_disabled {} → {} ({})",
                    a.include_disabled,
                    b.include_disabled,
                    if a.include_disabled {
                        "pass --include-disabled"
                    } else {
                        "leave out --include-disabled and `include_disabled` in the config file"
                    }
                ));
            }
            if a.match_attribute != b.match_attribute {
                diffs.push(match &a.match_attribute {
                    Some(m) => format!(
                        "match_attribute (pass --match-attribute {}={})",
                        m.mfa_server, m.entra
                    ),
                    None => "match_attribute (the plan was made without one: leave out \
                             --match-attribute and `match_attribute`)"
                        .to_string(),
                });
            }
            if a.hardware_oath_available != b.hardware_oath_available {
                diffs.push("cloud (hardware OATH availability)".to_string());
            }
            if a.phone_update_available != b.phone_update_available {
                diffs.push("cloud (phone updates)".to_string());
            }
            out.push(format!(
                "the settings changed since the plan was made: {}",
                diffs.join(", ")
            ));
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::migrate::DefaultMethodMode;

    fn file() -> PlanFile {
        PlanFile {
            format: FORMAT.into(),
            created_at: Utc::now(),
            tenant: "t1".into(),
            group: Some(PlanGroup {
                id: "g".into(),
                display_name: "MFA Migration".into(),
            }),
            data_digest: "abc".into(),
            settings: MigrationSettings::default(),
            users: vec![],
        }
    }

    #[test]
    fn saves_privately_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let f = file();
        f.save(&path).unwrap();
        assert_eq!(PlanFile::load(&path).unwrap(), f);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        std::fs::write(&path, b"{\"format\":\"other\"}").unwrap();
        assert!(PlanFile::load(&path).is_err());
    }

    #[test]
    fn names_what_changed() {
        let f = file();
        assert!(
            f.changes("T1", "abc", &MigrationSettings::default())
                .is_empty()
        );
        let other = MigrationSettings {
            default_method: DefaultMethodMode::Always,
            ..Default::default()
        };
        let c = f.changes("t2", "xyz", &other);
        assert_eq!(c.len(), 3, "{c:?}");
        assert!(c[0].contains("tenant"));
        assert!(c[1].contains("data file"));
        assert!(
            c[2].contains("default_method if-not-set → always (pass --default-method if-not-set"),
            "{c:?}"
        );
    }
}
