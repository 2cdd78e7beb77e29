//! Shared helpers of the integration tests.
#![allow(dead_code)]

pub mod fixture;
pub mod harness;
pub mod tmux;
