//! MFA Server data: the model, and readers for every input that really exists
//! (datafile.md). Nothing here ever writes to an input.
//!
//! - [`model`], [`known`]: the data set every other part reads.
//! - [`load()`]: sniffs (`sniff`) and reads every `--data-file`, with `text`, `sqlite`,
//!   `columns`, [`mapping`], `raw`, `convert` and `stream` underneath; [`error`] for
//!   file problems.
//! - [`report`] and [`schema`]: what `inspect` and `inspect --schema` show.
//! - [`layout`]: the reference layout's names; [`sample`]: the generated organisation
//!   and its writers (new files only).

mod columns;
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
mod sniff;
mod sqlite;
mod stream;
mod text;

pub use error::{FileError, FileProblem};
pub use known::Known;
pub use load::load;
pub use mapping::Mapping;
pub use model::{
    AuthService, DataSet, DataSetBuilder, Device, HashFunction, InputKind, InputSummary, MfaMethod,
    MobileAppMode, NewDevice, NewToken, NewUser, OathKind, ParseName, PhoneCallMode, ProblemKind,
    RowProblem, RowRef, Server, ServerRole, ServiceKind, Settings, TextMessageMode, TimeStep,
    Token, User, UserIdx,
};
pub use sniff::{Source, sniff};
