//! MFA Server data: the model, and readers for every input that really exists
//! (datafile.md). Everything here reads; nothing here ever writes to an input.

pub mod known;
pub mod layout;
pub mod model;
pub mod sample;

pub use known::Known;
pub use model::{
    AuthService, DataSet, DataSetBuilder, Device, HashFunction, InputKind, InputSummary, MfaMethod,
    MobileAppMode, NewDevice, NewToken, NewUser, OathKind, ParseName, PhoneCallMode, ProblemKind,
    RowProblem, RowRef, Server, ServerRole, ServiceKind, Settings, TextMessageMode, TimeStep,
    Token, User, UserIdx,
};
