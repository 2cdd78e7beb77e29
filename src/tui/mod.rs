//! The terminal UI: a view of engine state plus a keymap.
pub mod action;
pub mod keymap;
