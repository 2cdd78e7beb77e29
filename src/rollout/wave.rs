//! Waves: each pairs a migration group (whose users the tool migrates) with a rollout
//! group (whose users Staged Rollout sends to Entra MFA). The migration guide recommends
//! separate groups for the two, so nobody is redirected before their data is synced
//! (graph-api.md §5, "Behaviour"). Configured as `[[waves]]` in the config file.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One wave of the config file: `[[waves]] name = "Wave 1", migrate = "…", rollout = "…"`.
/// Groups are named by display name or object id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wave {
    pub name: String,
    /// The migration group.
    pub migrate: String,
    /// The Staged Rollout group.
    pub rollout: String,
}

impl Wave {
    pub fn new(name: &str, migrate: &str, rollout: &str) -> Wave {
        Wave {
            name: name.into(),
            migrate: migrate.into(),
            rollout: rollout.into(),
        }
    }

    /// The rollout group is the migration group (rule R3 warns).
    pub fn same_group(&self) -> bool {
        self.migrate
            .trim()
            .eq_ignore_ascii_case(self.rollout.trim())
    }
}

/// A problem with the `[[waves]]` of a config file: which wave, which field, the value and
/// what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveProblem {
    /// Position in the file, from 1.
    pub wave: usize,
    pub field: &'static str,
    pub value: String,
    pub expected: String,
}

impl fmt::Display for WaveProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[[waves]] #{} {} = {:?}: expected {}",
            self.wave, self.field, self.value, self.expected
        )
    }
}

/// Every problem of the waves, not only the first.
pub fn validate(waves: &[Wave]) -> Vec<WaveProblem> {
    let mut problems = Vec::new();
    for (i, w) in waves.iter().enumerate() {
        let n = i + 1;
        for (field, value) in [
            ("name", &w.name),
            ("migrate", &w.migrate),
            ("rollout", &w.rollout),
        ] {
            if value.trim().is_empty() {
                problems.push(WaveProblem {
                    wave: n,
                    field,
                    value: value.clone(),
                    expected: match field {
                        "name" => "a name for the wave, such as \"Wave 1\"".into(),
                        _ => "a group's display name or object id".into(),
                    },
                });
            } else if value.chars().any(char::is_control) {
                problems.push(WaveProblem {
                    wave: n,
                    field,
                    value: value.clone(),
                    expected: "text without control characters".into(),
                });
            }
        }
        if let Some(j) = waves[..i].iter().position(|o| {
            !w.name.trim().is_empty() && o.name.trim().eq_ignore_ascii_case(w.name.trim())
        }) {
            problems.push(WaveProblem {
                wave: n,
                field: "name",
                value: w.name.clone(),
                expected: format!("a name no other wave has (wave #{} has it)", j + 1),
            });
        }
        if let Some(j) = waves[..i].iter().position(|o| {
            !w.rollout.trim().is_empty() && o.rollout.trim().eq_ignore_ascii_case(w.rollout.trim())
        }) {
            problems.push(WaveProblem {
                wave: n,
                field: "rollout",
                value: w.rollout.clone(),
                expected: format!(
                    "a rollout group of this wave only (wave #{} rolls it out already)",
                    j + 1
                ),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let waves = vec![
            Wave::new("Wave 1", "MFA Migration Wave 1", "MFA Rollout Wave 1"),
            Wave::new("wave 1", " ", "MFA Rollout Wave 1"),
            Wave::new("", "A", "B\u{1b}[31m"),
        ];
        let p = validate(&waves);
        let text: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert_eq!(p.len(), 5, "{text:#?}");
        assert!(text[0].starts_with("[[waves]] #2 migrate"), "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.contains("#2 name") && t.contains("wave #1"))
        );
        assert!(text.iter().any(|t| t.contains("#2 rollout")));
        assert!(text.iter().any(|t| t.contains("#3 name")));
        assert!(
            text.iter()
                .any(|t| t.contains("#3 rollout") && t.contains("control"))
        );
        assert!(validate(&waves[..1]).is_empty());
        assert!(Wave::new("P", "MFA Pilot", "mfa pilot").same_group());
    }
}
