//! CSV reports: `timeseries.csv` (cluster totals sampled at a fixed
//! interval; `pods_succeeded` counts the Succeeded pods still in the API,
//! which the pod GC trims past 12,500 terminated pods, while
//! `pods_completed` counts every pod that ever succeeded) and `pods.csv`
//! (one row per pod). Columns are fixed; times are
//! seconds printed from integers, so files are byte-identical across runs.

#![warn(missing_docs)]

use crate::report::observe::{ClusterStats, PodTimes};
use crate::sim::SimTime;
use std::io::Write;

/// The header row of `timeseries.csv` for a cluster without extended
/// resources (`timeseries_header` adds their columns).
pub const TIMESERIES_HEADER: &str = "time_s,pods_pending,pods_running,pods_succeeded,pods_completed,pods_failed,cpu_requested_m,cpu_allocatable_m,memory_requested_bytes,memory_allocatable_bytes";
/// The header row of `pods.csv`.
pub const PODS_HEADER: &str = "name,node,created,scheduled,started,finished,phase";

/// Seconds with millisecond precision, trailing zeros dropped: `10`, `0.5`.
pub fn seconds(t: SimTime) -> String {
    let ms = t.0 / 1_000_000;
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        format!("{}", s)
    } else {
        let f = format!("{:03}", frac);
        format!("{}.{}", s, f.trim_end_matches('0'))
    }
}

/// The header row of `timeseries.csv`: `TIMESERIES_HEADER`, then for each
/// extended resource the cluster's nodes have (`extended`, in name order)
/// `<name>_requested,<name>_allocatable`.
pub fn timeseries_header(extended: &[std::rc::Rc<str>]) -> String {
    let mut h = TIMESERIES_HEADER.to_string();
    for n in extended {
        h.push_str(&format!(",{}_requested,{}_allocatable", n, n));
    }
    h
}

/// Writes one `timeseries.csv` row: the totals `s` at time `t`, with the
/// columns of the extended resources `extended` (see `timeseries_header`).
pub fn timeseries_row(
    w: &mut dyn Write,
    t: SimTime,
    s: &ClusterStats,
    extended: &[std::rc::Rc<str>],
) -> std::io::Result<()> {
    write!(
        w,
        "{},{},{},{},{},{},{},{},{},{}",
        seconds(t),
        s.pods_pending,
        s.pods_running,
        s.pods_succeeded,
        s.pods_completed,
        s.pods_failed,
        s.requested.cpu_m,
        s.allocatable.cpu_m,
        s.requested.memory,
        s.allocatable.memory
    )?;
    for n in extended {
        write!(w, ",{},{}", s.extended_requested.get(n), s.extended_allocatable.get(n))?;
    }
    writeln!(w)
}

/// Writes `pods.csv`, header included: one row per pod, named
/// `namespace/name` outside `default`; times not reached are empty.
pub fn write_pods<'a>(w: &mut dyn Write, pods: impl Iterator<Item = &'a PodTimes>) -> std::io::Result<()> {
    writeln!(w, "{}", PODS_HEADER)?;
    let opt = |t: Option<SimTime>| t.map(seconds).unwrap_or_default();
    for p in pods {
        let name = if &*p.namespace == "default" { p.name.to_string() } else { format!("{}/{}", p.namespace, p.name) };
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            name,
            p.node.as_deref().unwrap_or(""),
            seconds(p.created),
            opt(p.scheduled),
            opt(p.started),
            opt(p.finished),
            if p.deleted.is_some() && p.finished.is_none() { "Deleted" } else { p.phase.as_str() }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_format() {
        assert_eq!(seconds(SimTime(10_000_000_000)), "10");
        assert_eq!(seconds(SimTime(500_000_000)), "0.5");
        assert_eq!(seconds(SimTime(120_010_000_000)), "120.01");
    }
}
