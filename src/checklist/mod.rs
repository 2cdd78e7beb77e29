//! The cutover checklist (checklist.md): the migration guide's phases as steps, each with
//! what it is for, what the tool checks, the live result and what the admin does by hand;
//! the end state that adds or removes steps; the gate of the final federation switch;
//! the rollback plan and the change board's report.
//!
//! - [`steps`]: the steps as the spec lists them; [`facts`]: what the checks look at
//!   (gathered by the engine); [`evaluate`]: judging them; [`report`]: the Markdown.
//!
//! Pure: no I/O.

pub mod evaluate;
pub mod facts;
pub mod report;
pub mod steps;

pub use evaluate::{
    Checklist, GATE, ManualCheck, PhaseProgress, StepState, StepStatus, evaluate, federation_gate,
};
pub use facts::{
    AccessFacts, CloudAuthFacts, DataFacts, DomainFact, Facts, InputFact, InventoryFacts,
    PolicyFacts, RecordedFile, Tick, WaveFacts,
};
pub use report::{ChangeLine, ReportInput, bar, render};
pub use steps::{CheckKind, EndState, Phase, STEPS, StepDef, VALIDATE_CHECKS, Where};
