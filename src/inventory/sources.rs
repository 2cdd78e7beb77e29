//! Recognising and reading the exports. Each file is recognised by its content, never
//! its name: XML holding `Microsoft_Internet_Authentication_Service` is an NPS export;
//! JSON is told apart by the properties of its records (`IssuanceTransformRules` is a
//! relying party, `AllowedForAdditionalAuthentication` a provider, …); text with `=>` is
//! claim rules (`Get-AdfsAdditionalAuthenticationRule > rule.txt`). Several files of
//! each kind may be given; their records are added up.
//!
//! [`read_export`] is pure (bytes in, records or an error out); [`read_files`] is the one
//! function here that touches the file system.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::adfs::{self, AccessControlPolicy, AuthProvider, FarmInfo, GlobalPolicy, RelyingParty};
use super::claims::RuleSet;
use super::model::Origin;
use super::nps::{self, NpsClient, NpsRemoteServer};
use super::pwsh::{self, JsonPath, ShapeError};

/// What an export file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    RelyingParties,
    GlobalPolicy,
    GlobalRules,
    AuthProviders,
    AccessControlPolicies,
    FarmInformation,
    NpsXml,
    NpsClientsJson,
    /// An empty list: nothing to read, nothing to recognise.
    Empty,
}

impl ExportKind {
    /// The command that produces it.
    pub fn source(self) -> &'static str {
        match self {
            ExportKind::RelyingParties => "Get-AdfsRelyingPartyTrust",
            ExportKind::GlobalPolicy => "Get-AdfsGlobalAuthenticationPolicy",
            ExportKind::GlobalRules => "Get-AdfsAdditionalAuthenticationRule",
            ExportKind::AuthProviders => "Get-AdfsAuthenticationProvider",
            ExportKind::AccessControlPolicies => "Get-AdfsAccessControlPolicy",
            ExportKind::FarmInformation => "Get-AdfsFarmInformation",
            ExportKind::NpsXml => "netsh nps export",
            ExportKind::NpsClientsJson => "Get-NpsRadiusClient",
            ExportKind::Empty => "an empty export",
        }
    }
}

/// Which flag named the file: only used to say what was expected when nothing fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Adfs,
    Nps,
}

/// A record read from an export, with where it came from and the record itself (secrets
/// dropped) as evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
    pub record: Value,
}

/// One file that was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportFile {
    pub file: String,
    pub kind: ExportKind,
    pub records: usize,
}

/// Everything the exports held.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exports {
    pub files: Vec<ExportFile>,
    pub relying_parties: Vec<Sourced<RelyingParty>>,
    pub global_policies: Vec<Sourced<GlobalPolicy>>,
    pub global_rules: Vec<Sourced<RuleSet>>,
    pub providers: Vec<Sourced<AuthProvider>>,
    pub access_control_policies: Vec<Sourced<AccessControlPolicy>>,
    pub farms: Vec<Sourced<FarmInfo>>,
    pub nps_clients: Vec<Sourced<NpsClient>>,
    pub nps_remote_servers: Vec<Sourced<NpsRemoteServer>>,
}

/// An export that cannot be read: the file, the place (JSON path or line/column), what
/// was found and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError {
    pub file: String,
    pub place: String,
    pub found: String,
    pub expected: String,
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: at {}: found {}; expected {}",
            crate::safe_text::terminal(&self.file),
            crate::safe_text::terminal(&self.place),
            crate::safe_text::terminal(&self.found),
            self.expected
        )
    }
}

impl std::error::Error for ExportError {}

const ADFS_EXPECTED: &str = "an AD FS export: `Get-AdfsRelyingPartyTrust | ConvertTo-Json -Depth 5`, \
     Get-AdfsGlobalAuthenticationPolicy, Get-AdfsAuthenticationProvider, \
     Get-AdfsAccessControlPolicy or Get-AdfsFarmInformation piped to ConvertTo-Json, or \
     `Get-AdfsAdditionalAuthenticationRule > rule.txt`";
const NPS_EXPECTED: &str = "an NPS export: `netsh nps export filename=nps.xml exportPSK=NO` or \
     `Get-NpsRadiusClient | ConvertTo-Json`";

impl Exports {
    /// Read one export's bytes and add its records. `file` is how the file is named in
    /// messages and evidence.
    pub fn read_export(
        &mut self,
        file: &str,
        bytes: &[u8],
        hint: Hint,
    ) -> Result<ExportKind, ExportError> {
        let err = |place: &str, found: String, expected: &str| ExportError {
            file: file.to_string(),
            place: place.to_string(),
            found,
            expected: expected.to_string(),
        };
        let expected = match hint {
            Hint::Adfs => ADFS_EXPECTED,
            Hint::Nps => NPS_EXPECTED,
        };
        let Some(text) = pwsh::decode_text(bytes) else {
            return Err(err(
                "the start",
                "bytes that are not UTF-8 or UTF-16 text".into(),
                expected,
            ));
        };
        let trimmed = text.trim_start();
        // `Get-AdfsAdditionalAuthenticationRule > rule.txt` with no global rule writes
        // nothing but a BOM and a line end: an empty export, not a malformed one.
        if trimmed.is_empty() {
            return Ok(self.note(file, ExportKind::Empty, 0));
        }
        let origin = |place: String, kind: ExportKind| Origin {
            source: kind.source().to_string(),
            file: Some(file.to_string()),
            place,
        };
        if trimmed.starts_with('<') {
            let parsed = nps::parse_xml(&text).map_err(|e| {
                err(
                    &format!("line {}, column {}", e.line, e.column),
                    e.found,
                    &e.expected,
                )
            })?;
            let n = parsed.clients.len() + parsed.remote_servers.len();
            for c in parsed.clients {
                self.nps_clients.push(Sourced {
                    origin: origin(c.place.clone(), ExportKind::NpsXml),
                    record: c.record.clone(),
                    value: c,
                });
            }
            for s in parsed.remote_servers {
                self.nps_remote_servers.push(Sourced {
                    origin: origin(s.place.clone(), ExportKind::NpsXml),
                    record: s.record.clone(),
                    value: s,
                });
            }
            return Ok(self.note(file, ExportKind::NpsXml, n));
        }
        let json: Option<Result<Value, serde_json::Error>> =
            matches!(trimmed.chars().next(), Some('{' | '[' | '"'))
                .then(|| serde_json::from_str(&text));
        let doc = match json {
            Some(Ok(doc)) => doc,
            // `[Type == …] => …` is claim rule text that happens to start with '['.
            Some(Err(_)) | None if text.contains("=>") => {
                let rules = RuleSet::parse(&text);
                let n = rules.rules.len();
                self.global_rules.push(Sourced {
                    origin: origin("the whole file".into(), ExportKind::GlobalRules),
                    record: Value::String(text.clone()),
                    value: rules,
                });
                return Ok(self.note(file, ExportKind::GlobalRules, n));
            }
            Some(Err(e)) => {
                return Err(err(
                    &format!("line {}, column {}", e.line(), e.column()),
                    format!("malformed JSON ({e})"),
                    "JSON as ConvertTo-Json writes it",
                ));
            }
            None => {
                let head: String = trimmed.chars().take(40).collect();
                return Err(err(
                    "the start",
                    format!("text that is neither JSON, XML nor claim rules (\"{head}\")"),
                    expected,
                ));
            }
        };
        if let Value::String(s) = &doc {
            let rules = RuleSet::parse(s);
            let n = rules.rules.len();
            self.global_rules.push(Sourced {
                origin: origin("$".into(), ExportKind::GlobalRules),
                record: doc.clone(),
                value: rules,
            });
            return Ok(self.note(file, ExportKind::GlobalRules, n));
        }
        let records = pwsh::records(&doc);
        let Some(first) = records.first() else {
            return Ok(self.note(file, ExportKind::Empty, 0));
        };
        let kind = recognise(first).ok_or_else(|| {
            let keys: Vec<String> = match first {
                Value::Object(o) => o.keys().take(8).cloned().collect(),
                _ => Vec::new(),
            };
            err(
                "$[0]",
                if keys.is_empty() {
                    pwsh::describe(first)
                } else {
                    format!("a record with the properties {}", keys.join(", "))
                },
                expected,
            )
        })?;
        let shape = |e: ShapeError| err(e.place.as_str(), e.found, &e.expected);
        for (i, v) in records.iter().enumerate() {
            let at = JsonPath::root().index(i);
            let place = if matches!(doc, Value::Array(_)) {
                at.to_string()
            } else {
                "$".to_string()
            };
            let at = if matches!(doc, Value::Array(_)) {
                at
            } else {
                JsonPath::root()
            };
            let o = origin(place, kind);
            let record = pwsh::without_secrets(v);
            match kind {
                ExportKind::RelyingParties => self.relying_parties.push(Sourced {
                    value: adfs::relying_party(v, at).map_err(shape)?,
                    origin: o,
                    record,
                }),
                ExportKind::GlobalPolicy => self.global_policies.push(Sourced {
                    value: adfs::global_policy(v, at).map_err(shape)?,
                    origin: o,
                    record,
                }),
                ExportKind::AuthProviders => self.providers.push(Sourced {
                    value: adfs::auth_provider(v, at).map_err(shape)?,
                    origin: o,
                    record,
                }),
                ExportKind::AccessControlPolicies => self.access_control_policies.push(Sourced {
                    value: adfs::access_control_policy(v, at).map_err(shape)?,
                    origin: o,
                    record,
                }),
                ExportKind::FarmInformation => self.farms.push(Sourced {
                    value: adfs::farm_info(v, at).map_err(shape)?,
                    origin: o,
                    record,
                }),
                ExportKind::NpsClientsJson => {
                    let one = nps::parse_clients_json(v).map_err(|e| {
                        let place = if e.place.as_str().starts_with("$[0]")
                            && !matches!(doc, Value::Array(_))
                        {
                            e.place.as_str().replacen("$[0]", "$", 1)
                        } else {
                            e.place.as_str().replacen("$[0]", &o.place, 1)
                        };
                        err(&place, e.found, &e.expected)
                    })?;
                    for mut c in one.clients {
                        c.place = o.place.clone();
                        self.nps_clients.push(Sourced {
                            origin: o.clone(),
                            record: c.record.clone(),
                            value: c,
                        });
                    }
                }
                ExportKind::NpsXml | ExportKind::GlobalRules | ExportKind::Empty => {}
            }
        }
        Ok(self.note(file, kind, records.len()))
    }

    fn note(&mut self, file: &str, kind: ExportKind, records: usize) -> ExportKind {
        self.files.push(ExportFile {
            file: file.to_string(),
            kind,
            records,
        });
        kind
    }
}

/// The kind of a JSON export, from the properties of its first record.
fn recognise(first: &Value) -> Option<ExportKind> {
    let Value::Object(o) = first else {
        return None;
    };
    let has = |k: &str| pwsh::get(o, k).is_some();
    if has("Identifier")
        && (has("IssuanceTransformRules")
            || has("AdditionalAuthenticationRules")
            || has("AccessControlPolicyName")
            || has("WSFedEndpoint")
            || has("SamlEndpoints"))
    {
        Some(ExportKind::RelyingParties)
    } else if has("AdditionalAuthenticationProvider")
        || has("PrimaryIntranetAuthenticationProvider")
        || has("PrimaryExtranetAuthenticationProvider")
    {
        Some(ExportKind::GlobalPolicy)
    } else if has("AllowedForAdditionalAuthentication") || (has("AdminName") && has("Name")) {
        Some(ExportKind::AuthProviders)
    } else if has("PolicyMetadata") || (has("IsBuiltIn") && has("RpUsageCount")) {
        Some(ExportKind::AccessControlPolicies)
    } else if has("CurrentFarmBehavior") || has("FarmNodes") {
        Some(ExportKind::FarmInformation)
    } else if has("Address")
        && has("Name")
        && (has("SharedSecret") || has("VendorName") || has("AuthAttributeRequired"))
    {
        Some(ExportKind::NpsClientsJson)
    } else {
        None
    }
}

/// Read every `--adfs` and `--nps` file. The first that cannot be read ends it.
pub fn read_files(adfs: &[PathBuf], nps: &[PathBuf]) -> Result<Exports, ExportError> {
    let mut exports = Exports::default();
    let tagged = adfs
        .iter()
        .map(|p| (p, Hint::Adfs))
        .chain(nps.iter().map(|p| (p, Hint::Nps)));
    for (path, hint) in tagged {
        let bytes = read(path)?;
        exports.read_export(&path.display().to_string(), &bytes, hint)?;
    }
    Ok(exports)
}

fn read(path: &Path) -> Result<Vec<u8>, ExportError> {
    crate::fsx::read_bounded(path, crate::fsx::ReadKind::Export).map_err(|e| ExportError {
        file: path.display().to_string(),
        place: "the file".into(),
        found: format!("it cannot be read ({e})"),
        expected: "a readable export file".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<(ExportKind, Exports), ExportError> {
        let mut e = Exports::default();
        let k = e.read_export("x.json", bytes, Hint::Adfs)?;
        Ok((k, e))
    }

    #[test]
    fn each_kind_is_recognised_by_content() {
        let cases: [(&str, ExportKind); 7] = [
            (
                r#"{"Name":"A","Identifier":["urn:a"],"IssuanceTransformRules":""}"#,
                ExportKind::RelyingParties,
            ),
            (
                r#"{"AdditionalAuthenticationProvider":["AzureMfaServerAuthentication"]}"#,
                ExportKind::GlobalPolicy,
            ),
            (
                r#"[{"Name":"FormsAuthentication","AdminName":"Forms","AllowedForAdditionalAuthentication":false}]"#,
                ExportKind::AuthProviders,
            ),
            (
                r#"{"Name":"Permit everyone","IsBuiltIn":true,"RpUsageCount":3,"PolicyMetadata":{"Summary":"Permit everyone"}}"#,
                ExportKind::AccessControlPolicies,
            ),
            (
                r#"{"CurrentFarmBehavior":4,"FarmNodes":[{"FQDN":"adfs01"}]}"#,
                ExportKind::FarmInformation,
            ),
            (
                r#"{"Name":"VPN","Address":"10.0.0.1","SharedSecret":"x","VendorName":"RADIUS Standard"}"#,
                ExportKind::NpsClientsJson,
            ),
            (
                "c:[] => issue(Type = \"a\", Value = \"b\");",
                ExportKind::GlobalRules,
            ),
        ];
        for (text, want) in cases {
            let (kind, _) = read(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(kind, want, "{text}");
        }
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let e = read(b"[\n{\"Name\": \"A\",\n  \"Identifier\": }\n]").expect_err("refused");
        assert_eq!(e.place, "line 3, column 17");
        assert!(e.found.contains("malformed JSON"));
        assert!(e.to_string().starts_with("x.json: at line 3"));
    }

    #[test]
    fn an_unknown_record_says_what_it_had_and_what_was_expected() {
        let e = read(br#"[{"Foo": 1, "Bar": 2}]"#).expect_err("refused");
        assert_eq!(e.place, "$[0]");
        assert!(
            e.found.contains("Foo, Bar") || e.found.contains("Bar, Foo"),
            "{e}"
        );
        assert!(e.expected.contains("Get-AdfsRelyingPartyTrust"));
    }

    #[test]
    fn a_bad_property_names_its_json_path() {
        let e = read(br#"[{"Name":"A","Identifier":"x","IssuanceTransformRules":""},{"Name":"B","Identifier":"y","TokenLifetime":"ten"}]"#)
            .expect_err("refused");
        assert_eq!(e.place, "$[1].TokenLifetime");
        assert!(e.expected.contains("whole number"));
    }
}
