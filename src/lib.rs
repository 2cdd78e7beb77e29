//! mfa-cutover: move an organisation off on-premises Azure MFA Server onto Microsoft
//! Entra MFA.
//!
//! Data flows one way (docs/architecture.md): `datafile` reads MFA Server's data,
//! `graph` talks to Microsoft Graph, `migrate` (pure) decides what to write, `engine`
//! owns every effect and speaks [`engine::Command`] / [`engine::Event`] with the front
//! ends (`tui`, `cli`). `sim` is a Graph-compatible simulated tenant for the demo and
//! the tests; `graph` never depends on it.

pub mod capability;
pub mod checklist;
pub mod cli;
pub mod clock;
pub mod cloud;
pub mod config;
pub mod confirm_tier;
pub mod datafile;
pub mod engine;
pub mod finding;
pub mod fsx;
pub mod graph;
pub mod inventory;
pub mod logging;
pub mod migrate;
pub mod otp;
pub mod phone;
pub mod rollout;
pub mod safe_text;
pub mod secret;
pub mod sim;
pub mod tui;
