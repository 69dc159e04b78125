//! Output: kubectl-like tables, the event timeline, and CSV reports.

pub mod csv;
pub mod kubectl;
pub mod table;
pub mod timeline;
