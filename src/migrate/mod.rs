//! The pure core: match Entra members to MFA Server users and turn each into a [`Plan`]
//! by the rules of migration-rules.md. No I/O, no clock, no Graph: everything it needs
//! arrives as arguments, so every decision is unit-testable.

pub mod entra;
pub mod matching;
pub mod plan;
pub mod rules;
pub mod settings;

pub use entra::{
    AllowedMethods, EntraAuthenticator, EntraDefault, EntraHardwareToken, EntraMethods, EntraPhone,
    EntraUser, HardwareStatus, InventoryDevice, PhoneSlot, PreferredMethod,
};
pub use matching::Match;
pub use plan::{
    Action, ExpectSlot, ExpectToken, Expected, Note, Op, Plan, PlanUser, SecretSource, Skip,
    Subject, UserSkip,
};
pub use rules::Rule;
pub use settings::{DefaultMethodMode, MatchAttribute, MigrationSettings, MobileAppHandling};
