//! The order and the filter of the Dependencies list (pure): items by how much they
//! matter — the worst finding first, then whether MFA Server is really in the path —
//! keeping the classifier's order among equals; a filter matching kind, name, id, path,
//! status and rule ids.

use crate::finding::Severity;
use crate::inventory::{Dependence, Item};

/// The worst finding of an item, if it has any.
pub fn severity(item: &Item) -> Option<Severity> {
    item.findings.iter().map(|f| f.severity).max()
}

/// The path shown: the admin's when decided, else the recommended one.
pub fn path_label(item: &Item) -> &'static str {
    item.decision
        .as_ref()
        .map(|d| d.path)
        .unwrap_or(item.path)
        .label()
}

fn rank(item: &Item) -> (u8, u8) {
    let sev = match severity(item) {
        Some(Severity::Blocking) => 0,
        Some(Severity::Warning) => 1,
        Some(Severity::Info) => 2,
        None => 3,
    };
    let dep = match item.dependence {
        Dependence::Yes => 0,
        Dependence::Possibly => 1,
        Dependence::No => 2,
    };
    (sev, dep)
}

/// Whether `item` matches every word of `filter` (case-insensitive).
pub fn matches(item: &Item, filter: &str) -> bool {
    let words: Vec<String> = filter
        .split_whitespace()
        .map(|w| w.to_lowercase())
        .collect();
    if words.is_empty() {
        return true;
    }
    let mut hay = format!(
        "{} {} {} {} {} {}",
        item.kind.label(),
        item.name,
        item.id,
        path_label(item),
        item.status().label(),
        item.decision
            .as_ref()
            .map(|d| d.note.as_str())
            .unwrap_or("")
    );
    for f in &item.findings {
        hay.push(' ');
        hay.push_str(f.rule.as_str());
    }
    let hay = hay.to_lowercase();
    words.iter().all(|w| hay.contains(w.as_str()))
}

/// The indices of `items` to show, in order.
pub fn order(items: &[Item], filter: &str) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..items.len())
        .filter(|&i| matches(&items[i], filter))
        .collect();
    // Stable: the classifier's order among equals.
    rows.sort_by_key(|&i| rank(&items[i]));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Finding, FindingSubject, RuleId};
    use crate::inventory::{ItemId, ItemKind, Origin, PathKind};

    fn item(name: &str, dep: Dependence, sev: Option<Severity>) -> Item {
        Item {
            id: ItemId::new("radius", name),
            kind: ItemKind::RadiusClient,
            name: name.into(),
            origin: Origin {
                source: "data file auth_services".into(),
                file: None,
                place: "row 1".into(),
            },
            record: serde_json::Value::Null,
            dependence: dep,
            uses_mfa_server_for: None,
            path: PathKind::NpsExtension,
            reason: String::new(),
            flags: Vec::new(),
            findings: sev
                .map(|s| {
                    vec![Finding {
                        rule: RuleId::new("INV-RADIUS"),
                        severity: s,
                        subject: FindingSubject::Tenant,
                        text: "t".into(),
                        fix: None,
                    }]
                })
                .unwrap_or_default(),
            rules: Vec::new(),
            readiness: None,
            providers: Vec::new(),
            decision: None,
        }
    }

    #[test]
    fn worst_first_then_dependence_then_as_classified() {
        let items = vec![
            item("a", Dependence::No, None),
            item("b", Dependence::Yes, Some(Severity::Warning)),
            item("c", Dependence::Possibly, Some(Severity::Blocking)),
            item("d", Dependence::Yes, None),
            item("e", Dependence::Yes, Some(Severity::Warning)),
        ];
        let names: Vec<&str> = order(&items, "")
            .into_iter()
            .map(|i| items[i].name.as_str())
            .collect();
        assert_eq!(names, ["c", "b", "e", "d", "a"]);
    }

    #[test]
    fn the_filter_matches_every_word_anywhere() {
        let items = vec![
            item("VPN concentrator", Dependence::Yes, Some(Severity::Warning)),
            item("Wireless", Dependence::Yes, None),
        ];
        assert_eq!(order(&items, "vpn"), [0]);
        assert_eq!(order(&items, "radius pending"), [0, 1]);
        assert_eq!(order(&items, "inv-radius"), [0]);
        assert!(order(&items, "ldap").is_empty());
    }
}
