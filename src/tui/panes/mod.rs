//! The panes: each tab's pane on the contract of `pane.rs` — the checklist (with the
//! rollback plan), users (with its detail view and plan preview), Staged Rollout and
//! federation (`cutover`), the dependencies, the journal — and
//! the app's global views, settings and the activity log. Each pane owns its state,
//! answers `available(action)` for its actions, and renders as a pure read of that state.

pub mod activity;
pub mod checklist;
pub mod cutover;
pub mod dependencies;
pub mod journal;
pub mod settings;
pub mod users;

pub use super::pane::Env;
pub use super::widgets::thousands;

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(500000), "500,000");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}
