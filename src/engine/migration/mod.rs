//! The migration service: dry runs, migrations, automatic sync and saved plans over the
//! loaded group's members.
//!
//! - `service.rs`: the service's state (the run in progress, a run waiting for members,
//!   automatic sync, the last dry run) and its commands;
//! - `run.rs`: one run as a pipeline — decide (C1, M4) → read Entra state in `$batch`
//!   and plan → apply (`apply.rs`: journal, write, audit, reconcile unknown outcomes) →
//!   verify by read-back (C4);
//! - `reconcile.rs`: at start, writes a killed run left open are read back and closed;
//! - `ops.rs`: one write's secret, read-back check and audit text;
//! - `planfile.rs`: saved plans, their digest, and what applying one checks;
//! - `undo.rs`: per-user undo from the journal (pilot resets), journaled like a run's
//!   writes.

mod apply;
mod ops;
pub mod planfile;
mod reconcile;
mod run;
mod service;
pub mod undo;

pub(crate) use service::{MigMsg, MigrationService, Need};
