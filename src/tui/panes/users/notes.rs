//! The data file's row problems by MFA Server user: a field the file carried a bad value
//! for reads "? see notes" in the users list (not the bare "?" of a field the input does
//! not carry), and the detail view lists the user's problems whole.

use std::collections::HashMap;

use crate::datafile::{DataSet, RowProblem};

/// Row problems of each username, as indices into `DataSet::problems`.
#[derive(Debug, Default)]
pub struct Notes {
    by_user: HashMap<String, Vec<u32>>,
}

impl Notes {
    pub fn of(data: Option<&DataSet>) -> Notes {
        let mut by_user: HashMap<String, Vec<u32>> = HashMap::new();
        if let Some(d) = data {
            for (i, p) in d.problems.iter().enumerate() {
                if let Some(u) = &p.user {
                    by_user.entry(u.clone()).or_default().push(i as u32);
                }
            }
        }
        Notes { by_user }
    }

    /// The problems of `username`.
    pub fn of_user<'d>(
        &self,
        data: Option<&'d DataSet>,
        username: &str,
    ) -> impl Iterator<Item = &'d RowProblem> + use<'d, '_> {
        let idx = self.by_user.get(username).map(Vec::as_slice).unwrap_or(&[]);
        idx.iter()
            .filter_map(move |&i| data.and_then(|d| d.problems.get(i as usize)))
    }

    /// Whether `username` has a problem with one of `fields` (reference column names).
    pub fn has(&self, data: Option<&DataSet>, username: &str, fields: &[&str]) -> bool {
        self.of_user(data, username)
            .any(|p| fields.iter().any(|f| p.field.eq_ignore_ascii_case(f)))
    }
}
