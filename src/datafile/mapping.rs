//! The mapping file (TOML, datafile.md): how to read a SQLite data file whose tables and
//! columns are not named as in the reference layout, how to translate its stored values,
//! and extra header names for Export Users CSVs.
//!
//! ```toml
//! [tables]
//! users = "UserTable"
//! [columns.users]
//! username = "UserName"
//! [values.users.default_method]
//! "0" = "phone_call"
//! [csv_aliases]
//! extension = ["Primary Extension", "Phone Extension"]
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::convert::ValueMaps;
use super::error::{FileError, FileProblem};
use super::layout::{Table, UserField};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    tables: BTreeMap<String, String>,
    #[serde(default)]
    columns: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    #[serde(default)]
    csv_aliases: BTreeMap<String, Vec<String>>,
}

/// A checked mapping: every key names a real table or field of the reference layout.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub path: PathBuf,
    tables: HashMap<Table, String>,
    columns: HashMap<Table, Vec<(&'static str, String)>>,
    pub values: ValueMaps,
    pub csv_aliases: Vec<(UserField, Vec<String>)>,
}

fn bad(path: &Path, found: String, expected: String) -> FileError {
    FileError::new(path, FileProblem::BadMapping, found, expected)
}

fn table_names() -> String {
    Table::ALL
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Mapping {
    /// Read and check a mapping file: a regular file of at most 1 MiB
    /// ([`crate::fsx::read_bounded_text`]).
    pub fn load(path: &Path) -> Result<Mapping, FileError> {
        let kind = crate::fsx::ReadKind::Mapping;
        let text = crate::fsx::read_bounded_text(path, kind).map_err(|e| {
            bad(
                path,
                format!("it cannot be read: {}", e.reason()),
                format!(
                    "a TOML mapping file of at most {}",
                    crate::fsx::human_size(kind.cap())
                ),
            )
        })?;
        Mapping::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Mapping, FileError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| {
            bad(
                path,
                format!("the mapping is not valid: {}", e.message()),
                "a TOML mapping with [tables], [columns.<table>], [values.<table>.<column>] \
                 and [csv_aliases] (see datafile.md)"
                    .into(),
            )
        })?;
        let table = |name: &str| {
            Table::from_name(name).ok_or_else(|| {
                bad(
                    path,
                    format!("it names a table {name:?} the reference layout does not have"),
                    format!("one of {}", table_names()),
                )
            })
        };
        let column = |t: Table, name: &str| {
            t.columns()
                .into_iter()
                .find(|c| c.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    bad(
                        path,
                        format!(
                            "it names a column {name:?} of {} that the reference layout does \
                             not have",
                            t.name()
                        ),
                        format!("one of {}", t.columns().join(", ")),
                    )
                })
        };
        let mut m = Mapping {
            path: path.to_path_buf(),
            ..Mapping::default()
        };
        for (logical, physical) in &file.tables {
            m.tables.insert(table(logical)?, physical.clone());
        }
        for (logical, cols) in &file.columns {
            let t = table(logical)?;
            let mut list = Vec::new();
            for (field, physical) in cols {
                list.push((column(t, field)?, physical.clone()));
            }
            m.columns.insert(t, list);
        }
        for (logical, cols) in &file.values {
            let t = table(logical)?;
            for (field, map) in cols {
                let c = column(t, field)?;
                let map: HashMap<String, String> = map
                    .iter()
                    .map(|(k, v)| (k.trim().to_string(), v.clone()))
                    .collect();
                m.values.insert(t, c, map);
            }
        }
        for (field, names) in &file.csv_aliases {
            let f = UserField::from_column(field).ok_or_else(|| {
                bad(
                    path,
                    format!("csv_aliases names a field {field:?} that users does not have"),
                    format!("one of {}", Table::Users.columns().join(", ")),
                )
            })?;
            m.csv_aliases.push((f, names.clone()));
        }
        Ok(m)
    }

    /// The physical table for a logical one (its own name when not mapped).
    pub fn table(&self, t: Table) -> String {
        self.tables
            .get(&t)
            .cloned()
            .unwrap_or_else(|| t.name().to_string())
    }

    /// Whether the mapping names this table explicitly.
    pub fn maps_table(&self, t: Table) -> bool {
        self.tables.contains_key(&t)
    }

    /// The physical column the mapping names for a logical one, if it names one.
    pub fn column(&self, t: Table, logical: &str) -> Option<&str> {
        self.columns
            .get(&t)
            .and_then(|cols| cols.iter().find(|(c, _)| *c == logical))
            .map(|(_, p)| p.as_str())
    }

    /// Every (logical, physical) column the mapping names for a table.
    pub fn columns(&self, t: Table) -> &[(&'static str, String)] {
        self.columns.get(&t).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() -> Result<(), FileError> {
        let m = Mapping::parse(
            Path::new("m.toml"),
            r#"
            [tables]
            users = "UserTable"
            mobile_app_devices = "Devices"
            [columns.users]
            username = "UserName"
            phone = "PhoneNumber"
            default_method = "Method"
            [values.users.default_method]
            "0" = "phone_call"
            "1" = "text_message"
            [csv_aliases]
            extension = ["Primary Extension", "Phone Extension"]
            "#,
        )?;
        assert_eq!(m.table(Table::Users), "UserTable");
        assert_eq!(m.table(Table::OathTokens), "oath_tokens");
        assert_eq!(m.column(Table::Users, "phone"), Some("PhoneNumber"));
        assert_eq!(m.csv_aliases[0].0, UserField::Extension);
        Ok(())
    }

    #[test]
    fn names_what_is_wrong() {
        for (text, needle) in [
            ("[tables]\npeople = \"X\"", "people"),
            ("[columns.users]\nphon = \"X\"", "phon"),
            ("[csv_aliases]\nphone_number = [\"X\"]", "phone_number"),
            ("[tablez]\n", "tablez"),
            ("not toml at all [", "not valid"),
        ] {
            let e = Mapping::parse(Path::new("m.toml"), text).err();
            let msg = e.map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(needle), "{text}: {msg}");
            assert!(msg.contains("expected"), "{msg}");
        }
    }
}
