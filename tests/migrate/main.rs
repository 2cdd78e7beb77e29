//! The migration rules as tables (migration-rules.md), MFA Server's documented sync logic
//! row by row, the default-method matrix, and C2 idempotence as a property.

mod decide;
mod default_matrix;
mod fixture;
mod idempotence;
mod rules_table;
