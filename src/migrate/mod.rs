//! The pure core: match Entra members to MFA Server users and turn each into a [`Plan`]
//! by the rules of migration-rules.md. No I/O, no clock, no Graph: everything it needs
//! arrives as arguments, so every decision is unit-testable.
//!
//! Flow per Entra member: [`Matcher::match_user`] (M1–M3) → [`decide`] (conflicts, M4,
//! C1) → [`plan_user`] (P, B, A, H, L, D rules; C3 order) → the engine applies the ops →
//! [`verify`] (C4) on the read-back.

mod default_method;
mod devices;
pub mod entra;
pub mod fingerprint;
pub mod matching;
mod phones;
pub mod plan;
pub mod planner;
pub mod rules;
pub mod settings;
pub mod summary;
mod tokens;
pub mod undo;
pub mod usable;
pub mod verify;

pub use default_method::mapped as mapped_default;
pub use entra::{
    DeviceOwner, EntraAuthenticator, EntraDefault, EntraHardwareToken, EntraMethods, EntraPhone,
    EntraUser, HardwareStatus, InventoryDevice, MethodSet, PhoneSlot, PreferredMethod,
};
pub use fingerprint::fingerprint;
pub use matching::{Match, Matcher};
pub use plan::{
    Action, ExpectSlot, ExpectToken, Expected, Note, NoteKind, Op, Plan, PlanUser, SecretSource,
    Skip, Subject, UserSkip,
};
pub use planner::{Change, Decision, PhoneProblems, PlanInput, ProblemIndex, decide, plan_user};
pub use rules::Rule;
pub use settings::{DefaultMethodMode, MatchAttribute, MigrationSettings, MobileAppHandling};
pub use summary::{BlastRadius, ReregisterRow, describe_user_skip, must_reregister, plan_lines};
pub use tokens::{DEVICE_LIMIT, device_serial};
pub use usable::{
    Allowance, AllowedMethods, PolicyFacts, PolicyMethod, PolicyMigration, PolicyTarget,
    Registered, Usable, usable_now,
};
pub use verify::verify;
