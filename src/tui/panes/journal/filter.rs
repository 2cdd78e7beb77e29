//! The Journal tab's filter, as typed after `/`: words that match the target (a user's
//! UPN or object id, a group's or domain's name), and `kind:`, `user:`, `group:`,
//! `since:`, `until:` terms. Parsed into the store's filters; a wrong term is refused
//! with what was expected.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use crate::engine::store::{AuditFilter, JournalFilter, TargetKind};

/// What the admin asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<TargetKind>,
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// What a filter may say, for messages and help.
pub const SYNTAX: &str = "words match the user or group; kind:user|policy|group|domain|item|step, \
     user:NAME, group:NAME, since:2026-11-01 or since:7d, until:DATE";

fn kind(word: &str) -> Option<TargetKind> {
    Some(match word.to_ascii_lowercase().as_str() {
        "user" | "users" | "method" | "methods" => TargetKind::UserMethod,
        "policy" | "rollout" => TargetKind::RolloutPolicy,
        "group" | "groups" => TargetKind::RolloutGroup,
        "domain" | "federation" => TargetKind::DomainFederation,
        "item" | "inventory" | "dependency" => TargetKind::InventoryItem,
        "step" | "checklist" => TargetKind::ChecklistStep,
        _ => return None,
    })
}

/// A time: a date, a date and time (UTC), RFC 3339, or an age (`30m`, `12h`, `7d`).
fn time(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, f) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    let (n, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    let age = match unit {
        "m" | "min" => Duration::try_minutes(n)?,
        "h" => Duration::try_hours(n)?,
        "d" => Duration::try_days(n)?,
        "w" => Duration::try_weeks(n)?,
        _ => return None,
    };
    now.checked_sub_signed(age)
}

impl Filter {
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Filter, String> {
        let mut f = Filter::default();
        let mut words: Vec<&str> = Vec::new();
        let set_kind = |f: &mut Filter, k: TargetKind, term: &str| -> Result<(), String> {
            match f.kind {
                Some(old) if old != k => Err(format!(
                    "{term:?}: the filter already asks for kind {old}; one kind at a time"
                )),
                _ => {
                    f.kind = Some(k);
                    Ok(())
                }
            }
        };
        for term in text.split_whitespace() {
            let Some((key, value)) = term.split_once(':').filter(|(k, _)| {
                matches!(
                    k.to_ascii_lowercase().as_str(),
                    "kind" | "user" | "group" | "since" | "until"
                )
            }) else {
                words.push(term);
                continue;
            };
            let bad = |what: &str| format!("{term:?}: expected {what}");
            match key.to_ascii_lowercase().as_str() {
                "kind" => {
                    let k = kind(value)
                        .ok_or_else(|| bad("kind:user, policy, group, domain, item or step"))?;
                    set_kind(&mut f, k, term)?;
                }
                "user" => {
                    set_kind(&mut f, TargetKind::UserMethod, term)?;
                    if value.is_empty() {
                        return Err(bad("user:NAME (part of a UPN, or an object id)"));
                    }
                    words.push(value);
                }
                "group" => {
                    set_kind(&mut f, TargetKind::RolloutGroup, term)?;
                    if value.is_empty() {
                        return Err(bad("group:NAME (part of a group's name, or its id)"));
                    }
                    words.push(value);
                }
                "since" => {
                    f.since = Some(time(value, now).ok_or_else(|| {
                        bad("since:DATE (2026-11-01, 2026-11-01T09:30, or an age: 30m, 12h, 7d)")
                    })?)
                }
                _ => {
                    f.until = Some(time(value, now).ok_or_else(|| {
                        bad("until:DATE (2026-11-01, 2026-11-01T09:30, or an age: 30m, 12h, 7d)")
                    })?)
                }
            }
        }
        if !words.is_empty() {
            f.target = Some(words.join(" "));
        }
        if let (Some(s), Some(u)) = (f.since, f.until)
            && s >= u
        {
            return Err(format!(
                "since ({}) is not before until ({}): nothing could match",
                s.format("%Y-%m-%d %H:%M"),
                u.format("%Y-%m-%d %H:%M")
            ));
        }
        Ok(f)
    }

    pub fn journal(&self) -> JournalFilter {
        JournalFilter {
            kind: self.kind,
            target: self.target.clone(),
            since: self.since,
            until: self.until,
            open_only: false,
        }
    }

    pub fn audit(&self) -> AuditFilter {
        AuditFilter {
            kind: self.kind,
            target: self.target.clone(),
            since: self.since,
            until: self.until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn words_and_terms() {
        let f = Filter::parse("user:ann since:7d", now()).unwrap_or_default();
        assert_eq!(f.kind, Some(TargetKind::UserMethod));
        assert_eq!(f.target.as_deref(), Some("ann"));
        assert_eq!(f.since, now().checked_sub_signed(Duration::days(7)));
        let f = Filter::parse("Wave 1 kind:group until:2026-11-20", now()).unwrap_or_default();
        assert_eq!(f.kind, Some(TargetKind::RolloutGroup));
        assert_eq!(f.target.as_deref(), Some("Wave 1"));
        assert_eq!(
            f.until,
            Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).single()
        );
        assert_eq!(Filter::parse("", now()), Ok(Filter::default()));
        // A colon in a plain word (a URL, a time) is a word.
        let f = Filter::parse("https://x", now()).unwrap_or_default();
        assert_eq!(f.target.as_deref(), Some("https://x"));
    }

    #[test]
    fn wrong_terms_say_what_was_expected() {
        for (text, want) in [
            ("kind:mailbox", "kind:user, policy"),
            ("since:yesterday", "since:DATE"),
            ("user:ann group:wave", "one kind at a time"),
            ("since:1d until:2d", "not before until"),
        ] {
            let e = Filter::parse(text, now()).err().unwrap_or_default();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
