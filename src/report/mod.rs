//! Output: kubectl-like tables, the event timeline, and CSV reports.

#![warn(missing_docs)]

pub mod charts;
pub mod csv;
pub mod describe;
pub mod kubectl;
pub mod manifest;
pub mod observe;
pub mod summary;
pub mod table;
pub mod timeline;
pub mod yaml_out;

/// The process's peak resident memory in MiB (Linux `VmHWM`; 0 elsewhere),
/// for benchmark reports.
pub fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
