//! MFA Server data: the model, and readers for every input that really exists
//! (datafile.md). Everything here reads; nothing here ever writes to an input.

mod convert;
pub mod error;
pub mod known;
pub mod layout;
mod load;
pub mod mapping;
pub mod model;
mod raw;
pub mod report;
pub mod sample;
pub mod schema;
mod sqlite;
mod stream;
mod text;

pub use error::{FileError, FileProblem};
pub use known::Known;
pub use load::{Source, load, sniff};
pub use mapping::Mapping;
pub use model::{
    AuthService, DataSet, DataSetBuilder, Device, HashFunction, InputKind, InputSummary, MfaMethod,
    MobileAppMode, NewDevice, NewToken, NewUser, OathKind, ParseName, PhoneCallMode, ProblemKind,
    RowProblem, RowRef, Server, ServerRole, ServiceKind, Settings, TextMessageMode, TimeStep,
    Token, User, UserIdx,
};
