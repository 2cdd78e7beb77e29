//! Which physical table and column of a SQLite input feeds each model field: the
//! reference layout's own names, or what a mapping file says. A table or column a mapping
//! names but the file lacks is a file problem; columns nothing reads are listed.

use std::path::Path;

use super::error::{FileError, FileProblem};
use super::layout::{
    DeviceField, Field, ServerField, ServiceField, SettingField, Table, TokenField, UserField,
};
use super::mapping::Mapping;
use super::model::InputKind;
use super::sqlite::{self, ColumnPlan};

/// `a, b, c`, or `none`.
pub(super) fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// Which physical table and columns feed each logical table, for one SQLite file.
pub(super) struct TablePlans {
    pub(super) users: Option<ColumnPlan<UserField>>,
    pub(super) devices: Option<ColumnPlan<DeviceField>>,
    pub(super) tokens: Option<ColumnPlan<TokenField>>,
    pub(super) services: Option<ColumnPlan<ServiceField>>,
    pub(super) settings: Option<ColumnPlan<SettingField>>,
    pub(super) servers: Option<ColumnPlan<ServerField>>,
    /// Columns of the read tables that feed nothing (`table.column`).
    pub(super) unknown_columns: Vec<String>,
}

impl TablePlans {
    pub(super) fn build(
        conn: &rusqlite::Connection,
        path: &Path,
        tables: &[String],
        mapping: Option<&Mapping>,
        kind: InputKind,
    ) -> Result<TablePlans, FileError> {
        let mut unknown = Vec::new();
        let users = plan::<UserField>(conn, path, tables, mapping, Table::Users, &mut unknown)?;
        if let Some(u) = &users
            && !u.columns.iter().any(|(f, _)| *f == UserField::Username)
        {
            let cols = sqlite::columns(conn, path, &u.table)?;
            return Err(FileError::new(
                path,
                FileProblem::NoUsers,
                format!(
                    "table {} has no username column (columns: {})",
                    u.table,
                    cols.iter()
                        .map(|c| c.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                if kind == InputKind::SnapshotSqlite {
                    "a username column, as in the reference layout".to_string()
                } else {
                    "a mapping naming it: [columns.users] username = \"...\"".to_string()
                },
            ));
        }
        Ok(TablePlans {
            users,
            devices: plan(
                conn,
                path,
                tables,
                mapping,
                Table::MobileAppDevices,
                &mut unknown,
            )?,
            tokens: plan(conn, path, tables, mapping, Table::OathTokens, &mut unknown)?,
            services: plan(
                conn,
                path,
                tables,
                mapping,
                Table::AuthServices,
                &mut unknown,
            )?,
            settings: plan(conn, path, tables, mapping, Table::Settings, &mut unknown)?,
            servers: plan(conn, path, tables, mapping, Table::Servers, &mut unknown)?,
            unknown_columns: unknown,
        })
    }
}

/// The plan for one logical table: `None` when the file does not have it. A table or
/// column the mapping names but the file lacks is a file problem.
fn plan<F: Field>(
    conn: &rusqlite::Connection,
    path: &Path,
    tables: &[String],
    mapping: Option<&Mapping>,
    logical: Table,
    unknown: &mut Vec<String>,
) -> Result<Option<ColumnPlan<F>>, FileError> {
    let wanted = mapping.map_or_else(|| logical.name().to_string(), |m| m.table(logical));
    let Some(physical) = tables.iter().find(|t| t.eq_ignore_ascii_case(&wanted)) else {
        if mapping.is_some_and(|m| m.maps_table(logical)) {
            return Err(FileError::new(
                path,
                FileProblem::MissingColumn,
                format!(
                    "the mapping says {} is in table {wanted:?}, which the file does not have \
                     (tables: {})",
                    logical.name(),
                    list_or_none(tables)
                ),
                "a mapping that names tables of this file (see inspect --schema)",
            ));
        }
        return Ok(None);
    };
    let cols = sqlite::columns(conn, path, physical)?;
    let has = |name: &str| cols.iter().find(|(c, _)| c.eq_ignore_ascii_case(name));
    let mut columns = Vec::new();
    for f in F::all() {
        let named = mapping.and_then(|m| m.column(logical, f.column()));
        match named {
            Some(name) => match has(name) {
                Some((c, _)) => columns.push((*f, c.clone())),
                None => {
                    return Err(FileError::new(
                        path,
                        FileProblem::MissingColumn,
                        format!(
                            "the mapping says {}.{} is column {name:?} of table {physical}, \
                             which has no such column (columns: {})",
                            logical.name(),
                            f.column(),
                            cols.iter()
                                .map(|c| c.0.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        format!("a column of {physical} (see inspect --schema)"),
                    ));
                }
            },
            None => {
                if let Some((c, _)) = has(f.column()) {
                    columns.push((*f, c.clone()));
                }
            }
        }
    }
    for (c, _) in &cols {
        if !columns.iter().any(|(_, used)| used == c) {
            unknown.push(format!("{physical}.{c}"));
        }
    }
    Ok(Some(ColumnPlan {
        table: physical.clone(),
        columns,
    }))
}
