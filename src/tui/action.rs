//! Every action the TUI knows, as one closed enum.
//!
//! A key maps to an [`Action`] once, at the edge (the keymap); panes match on actions.
//! Each action carries its description and help group (help, footer and the actions
//! menu are generated from them), the keymap contexts it may be bound in, and its
//! confirmation tier — the tier belongs to the action, so no keymap can skip a dialog.
//! Names are snake_case in keymap files; renamed actions keep their old name as a serde
//! alias so users' keymaps keep loading.

use serde::Deserialize;

/// A keymap table: where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// Everywhere outside dialogs and menus.
    Global,
    /// Lists and scrollable views: move, open, filter.
    Navigation,
    /// The Users tab.
    Users,
    /// The plan preview.
    Plan,
    /// A user's detail view.
    Detail,
    /// The Journal tab.
    Journal,
    /// The Rollout tab (Staged Rollout for MFA).
    Rollout,
    /// The Federation tab.
    Federation,
    /// The Dependencies tab.
    Dependencies,
    /// The Checklist tab.
    Checklist,
    /// The rollback plan, open over the Checklist tab.
    Rollback,
    /// The activity log.
    Activity,
    /// Help, the actions menu and pickers.
    Menu,
    /// Confirmation dialogs.
    Dialog,
}

impl Context {
    pub const ALL: [Context; 14] = [
        Context::Global,
        Context::Navigation,
        Context::Users,
        Context::Plan,
        Context::Detail,
        Context::Journal,
        Context::Rollout,
        Context::Federation,
        Context::Dependencies,
        Context::Checklist,
        Context::Rollback,
        Context::Activity,
        Context::Menu,
        Context::Dialog,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Navigation => "navigation",
            Context::Users => "users",
            Context::Plan => "plan",
            Context::Detail => "detail",
            Context::Journal => "journal",
            Context::Rollout => "rollout",
            Context::Federation => "federation",
            Context::Dependencies => "dependencies",
            Context::Checklist => "checklist",
            Context::Rollback => "rollback",
            Context::Activity => "activity",
            Context::Menu => "menu",
            Context::Dialog => "dialog",
        }
    }

    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The contexts that are live together with this one, most specific first: a key
    /// is looked up in this order, and may be bound to one action only across them.
    pub fn stack(self) -> &'static [Context] {
        match self {
            Context::Global | Context::Navigation => &[Context::Navigation, Context::Global],
            Context::Users => &[Context::Users, Context::Navigation, Context::Global],
            Context::Plan => &[Context::Plan, Context::Navigation, Context::Global],
            Context::Detail => &[Context::Detail, Context::Navigation, Context::Global],
            Context::Journal => &[Context::Journal, Context::Navigation, Context::Global],
            Context::Rollout => &[Context::Rollout, Context::Navigation, Context::Global],
            Context::Federation => &[Context::Federation, Context::Navigation, Context::Global],
            Context::Dependencies => &[Context::Dependencies, Context::Navigation, Context::Global],
            Context::Checklist => &[Context::Checklist, Context::Navigation, Context::Global],
            Context::Rollback => &[Context::Rollback, Context::Navigation, Context::Global],
            Context::Activity => &[Context::Activity, Context::Navigation, Context::Global],
            Context::Menu => &[Context::Menu, Context::Navigation],
            Context::Dialog => &[Context::Dialog],
        }
    }
}

/// Sections of the help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    General,
    Views,
    Move,
    Select,
    Migration,
    Cutover,
    Dialog,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::General => "General",
            Group::Views => "Views",
            Group::Move => "Move and find",
            Group::Select => "Select",
            Group::Migration => "Migration",
            Group::Cutover => "Cutover: checklist, rollout, federation, dependencies",
            Group::Dialog => "Dialogs and menus",
        }
    }
}

/// Confirmation tiers: the one rule shared with the headless commands.
pub use crate::confirm_tier::Tier;

/// Whether an action can run here and now, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    Unavailable(String),
}

impl Availability {
    pub fn no(reason: impl Into<String>) -> Availability {
        Availability::Unavailable(reason.into())
    }

    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Availability::Available => None,
            Availability::Unavailable(r) => Some(r),
        }
    }
}

/// One thing a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // --- global
    Quit,
    ForceQuit,
    Back,
    Help,
    CommandMode,
    ActionsMenu,
    ActivityLog,
    Settings,
    TabChecklist,
    TabUsers,
    TabRollout,
    TabFederation,
    TabDependencies,
    TabJournal,
    NextTab,
    PrevTab,
    Refresh,
    Export,
    ToggleHeader,
    ReadOnly,
    // --- navigation
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Filter,
    // --- users
    Mark,
    MarkAll,
    UnmarkAll,
    ShowDetail,
    Plan,
    Migrate,
    AutoSync,
    IncludeUnchanged,
    RetryFailed,
    CancelRun,
    Undo,
    PickGroup,
    Sort,
    ReverseSort,
    // --- detail
    NextUser,
    PrevUser,
    // --- journal
    SwitchLog,
    // --- rollout and federation
    AddGroup,
    RemoveGroup,
    ToggleRollout,
    SetFederation,
    Rollback,
    Preflight,
    SignIn,
    // --- dependencies
    Decide,
    // --- checklist
    Tick,
    EndState,
    RollbackPlan,
    // --- rollback plan
    RunRollback,
    // --- activity
    Follow,
    // --- menus
    Close,
    // --- dialogs
    DialogNext,
    DialogPrev,
    DialogPress,
    DialogCancel,
}

/// What the help, footer and keymap validation know about an action.
#[derive(Debug, Clone, Copy)]
pub struct ActionInfo {
    pub action: Action,
    pub name: &'static str,
    pub description: &'static str,
    pub group: Group,
    pub contexts: &'static [Context],
    pub tier: Tier,
}

macro_rules! actions {
    ($($variant:ident, $name:literal, $group:ident, [$($ctx:ident),+], $tier:ident, $desc:literal;)+) => {
        /// Every action with its facts, in help order.
        pub const ACTIONS: &[ActionInfo] = &[
            $(ActionInfo {
                action: Action::$variant,
                name: $name,
                description: $desc,
                group: Group::$group,
                contexts: &[$(Context::$ctx),+],
                tier: Tier::$tier,
            },)+
        ];
    };
}

actions! {
    Quit, "quit", General, [Global], Zero, "back; at the top, quit (asks while writes are in flight)";
    ForceQuit, "force_quit", General, [Global], Zero, "quit now; the engine still finishes writes in flight";
    Back, "back", General, [Global], Zero, "close this view, clear the filter";
    Help, "help", General, [Global], Zero, "help: keys, glossary, log file";
    CommandMode, "command_mode", General, [Global], Zero, "command mode (:users, :plan, :readonly, :q …)";
    ActionsMenu, "actions_menu", General, [Global], Zero, "actions for the selection, with why one is greyed";
    ActivityLog, "activity_log", Views, [Global], Zero, "activity log: every Graph call";
    Settings, "settings", Views, [Global], Zero, "migration settings";
    TabChecklist, "tab_checklist", Views, [Global], Zero, "tab 1: cutover checklist";
    TabUsers, "tab_users", Views, [Global], Zero, "tab 2: users of the migration group";
    TabRollout, "tab_rollout", Views, [Global], Zero, "tab 3: Staged Rollout";
    TabFederation, "tab_federation", Views, [Global], Zero, "tab 4: federation";
    TabDependencies, "tab_dependencies", Views, [Global], Zero, "tab 5: MFA Server dependencies";
    TabJournal, "tab_journal", Views, [Global], Zero, "tab 6: journal and audit log";
    NextTab, "next_tab", Views, [Global], Zero, "next tab";
    PrevTab, "prev_tab", Views, [Global], Zero, "previous tab";
    Refresh, "refresh", General, [Global], Zero, "reload from the tenant";
    Export, "export", General, [Global], Zero, "export the \"must re-register the app\" list (CSV)";
    ToggleHeader, "toggle_header", Views, [Global], Zero, "show or hide the header line";
    ReadOnly, "read_only", General, [Global], Zero, "READ-ONLY on/off: no tenant write while on";
    MoveUp, "move_up", Move, [Navigation], Zero, "up";
    MoveDown, "move_down", Move, [Navigation], Zero, "down";
    PageUp, "page_up", Move, [Navigation], Zero, "page up";
    PageDown, "page_down", Move, [Navigation], Zero, "page down";
    Top, "top", Move, [Navigation], Zero, "first row";
    Bottom, "bottom", Move, [Navigation], Zero, "last row";
    Open, "open", Move, [Navigation], Zero, "open: the selected entry whole, or change it";
    Filter, "filter", Move, [Navigation], Zero, "filter the list (esc clears it)";
    Mark, "mark", Select, [Users], Zero, "mark / unmark the user";
    MarkAll, "mark_all", Select, [Users], Zero, "mark every user shown (filtered)";
    UnmarkAll, "unmark_all", Select, [Users], Zero, "unmark all";
    ShowDetail, "show_detail", Select, [Users], Zero, "MFA Server vs Entra for this user";
    Plan, "plan", Migration, [Users], Zero, "plan (dry run) marked users, or the group";
    Migrate, "migrate", Migration, [Users, Plan], One, "migrate marked users, or the group";
    AutoSync, "auto_sync", Migration, [Users], One, "automatic sync of changed users on/off";
    IncludeUnchanged, "include_unchanged", Migration, [Users], Zero, "include users unchanged since their last migration";
    RetryFailed, "retry_failed", Migration, [Users, Plan], One, "retry the users that failed";
    CancelRun, "cancel_run", Migration, [Users, Plan], Zero, "stop queued work (writes in flight finish)";
    Undo, "undo", Migration, [Users], Two, "undo the marked users' migration from the journal (pilot reset): what-if first";
    PickGroup, "pick_group", Select, [Users], Zero, "pick the migration group (name or id)";
    Sort, "sort", Move, [Users], Zero, "sort: arrival, UPN, status, match";
    ReverseSort, "reverse_sort", Move, [Users], Zero, "reverse the sort order";
    NextUser, "next_user", Move, [Detail], Zero, "the next user of the list";
    PrevUser, "prev_user", Move, [Detail], Zero, "the previous user of the list";
    SwitchLog, "switch_log", Views, [Journal], Zero, "writes (journal) or tenant changes (audit log)";
    AddGroup, "add_group", Cutover, [Rollout], One, "add the wave's rollout group to Staged Rollout (what-if first)";
    RemoveGroup, "remove_group", Cutover, [Rollout], Two, "remove the group from Staged Rollout (what-if first)";
    ToggleRollout, "toggle_rollout", Cutover, [Rollout], Two, "Staged Rollout for MFA on/off (what-if first)";
    SetFederation, "set_federation", Cutover, [Federation], Three, "set the domain's federatedIdpMfaBehavior: accept, enforce, reject (what-if first)";
    Rollback, "rollback", Cutover, [Federation], Three, "roll back (F2): enforceMfaByFederatedIdp and Staged Rollout off (what-if first)";
    Preflight, "preflight", Cutover, [Rollout, Federation], Zero, "preflight: the sign-in, the methods policy, users that cannot be migrated";
    SignIn, "sign_in", Cutover, [Rollout, Federation], Zero, "sign an admin in beside an app-only session (device code)";
    Decide, "decide", Cutover, [Dependencies], Zero, "set the item's status (pending, in progress, done, won't do) with a note; audited";
    Tick, "tick", Cutover, [Checklist], Zero, "tick or untick a manual step, with a note; audited";
    EndState, "end_state", Cutover, [Checklist], Zero, "choose the end state (1–3): it adds or removes steps";
    RollbackPlan, "rollback_plan", Cutover, [Checklist, Rollback], Zero, "the rollback plan: its exact writes, the users they move, the steps by hand";
    RunRollback, "run_rollback", Cutover, [Rollback], Three, "roll back now: federation to enforceMfaByFederatedIdp, Staged Rollout off";
    Follow, "follow", Move, [Activity], Zero, "follow the newest call on/off";
    Close, "close", Dialog, [Menu], Zero, "close";
    DialogNext, "dialog_next", Dialog, [Dialog], Zero, "next button";
    DialogPrev, "dialog_prev", Dialog, [Dialog], Zero, "previous button";
    DialogPress, "dialog_press", Dialog, [Dialog], Zero, "press the focused button";
    DialogCancel, "dialog_cancel", Dialog, [Dialog], Zero, "cancel";
}

impl Action {
    /// This action's facts. Every variant has exactly one entry (a test checks).
    pub fn info(self) -> &'static ActionInfo {
        // ACTIONS is in declaration order, so the discriminant indexes it.
        let i = self as usize;
        match ACTIONS.get(i) {
            Some(info) if info.action == self => info,
            _ => ACTIONS
                .iter()
                .find(|a| a.action == self)
                .unwrap_or(&ACTIONS[0]),
        }
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn description(self) -> &'static str {
        self.info().description
    }

    pub fn group(self) -> Group {
        self.info().group
    }

    pub fn tier(self) -> Tier {
        self.info().tier
    }

    pub fn allowed_in(self, ctx: Context) -> bool {
        self.info().contexts.contains(&ctx)
    }

    /// Parse a keymap name through serde, so `#[serde(alias)]`es of renamed actions
    /// are honoured.
    pub fn from_name(name: &str) -> Option<Action> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        Action::deserialize(de).ok()
    }

    /// Actions that may be bound in `ctx`, in help order.
    pub fn in_context(ctx: Context) -> impl Iterator<Item = Action> {
        ACTIONS
            .iter()
            .filter(move |a| a.contexts.contains(&ctx))
            .map(|a| a.action)
    }

    /// Whether the action changes the tenant: unavailable in READ-ONLY mode.
    pub fn writes_tenant(self) -> bool {
        self.tier() >= Tier::One
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_entry_whose_name_parses_back() {
        for (i, info) in ACTIONS.iter().enumerate() {
            assert_eq!(info.action as usize, i, "{} out of order", info.name);
            assert_eq!(Action::from_name(info.name), Some(info.action));
            assert_eq!(info.action.name(), info.name);
            assert!(!info.description.is_empty());
        }
        assert_eq!(Action::from_name("no_such_action"), None);
    }

    #[test]
    fn uppercase_actions_change_the_tenant_and_ask_first() {
        for a in [Action::Migrate, Action::AutoSync, Action::RetryFailed] {
            assert!(a.tier() >= Tier::One, "{a:?}");
            assert!(a.writes_tenant());
        }
        assert_eq!(Action::Plan.tier(), Tier::Zero);
        for a in [Action::AddGroup, Action::RemoveGroup, Action::ToggleRollout] {
            assert!(a.writes_tenant(), "{a:?}");
        }
        // Tenant-wide: the domain name is typed, whatever the keymap says.
        assert_eq!(Action::SetFederation.tier(), Tier::Three);
        assert_eq!(Action::Rollback.tier(), Tier::Three);
        assert!(!Action::Preflight.writes_tenant() && !Action::SignIn.writes_tenant());
    }
}
