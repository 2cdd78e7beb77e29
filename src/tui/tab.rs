//! The numbered tabs of ux.md: `1 Checklist · 2 Users · 3 Rollout · 4 Federation ·
//! 5 Dependencies · 6 Journal`. Each tab is filled by one pane (`pane.rs`).

/// A tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Checklist,
    Users,
    Rollout,
    Federation,
    Dependencies,
    Journal,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Checklist,
        Tab::Users,
        Tab::Rollout,
        Tab::Federation,
        Tab::Dependencies,
        Tab::Journal,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Checklist => "Checklist",
            Tab::Users => "Users",
            Tab::Rollout => "Rollout",
            Tab::Federation => "Federation",
            Tab::Dependencies => "Dependencies",
            Tab::Journal => "Journal",
        }
    }

    pub fn number(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0) + 1
    }

    pub fn next(self) -> Tab {
        Tab::ALL[self.number() % Tab::ALL.len()]
    }

    pub fn prev(self) -> Tab {
        Tab::ALL[(self.number() + Tab::ALL.len() - 2) % Tab::ALL.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_cycle() {
        assert_eq!(Tab::Users.number(), 2);
        assert_eq!(Tab::Journal.next(), Tab::Checklist);
        assert_eq!(Tab::Checklist.prev(), Tab::Journal);
        assert_eq!(Tab::Users.prev(), Tab::Checklist);
    }
}
