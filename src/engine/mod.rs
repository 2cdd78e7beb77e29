//! The engine: owns every effect (data file, Graph, state store), takes [`Command`]s and
//! emits [`Event`]s. Front ends only talk to it.

pub mod protocol;
pub mod store;

pub use protocol::{
    Command, DirectoryCommand, DirectoryEvent, EngineError, EngineLoad, Event, GroupInfo, Member,
    MigrationCommand, MigrationEvent, Progress, Scope, UserStatus,
};
