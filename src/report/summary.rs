//! The metrics of one run, for capacity planning: `summary.csv`, one row.
//!
//! An observer of the write stream (`Observers::record_summary`) keeps, per
//! pod, when it was created, bound, Running, and when all its containers
//! were running; per node, what the pods bound to it request; and the
//! unscheduled pods by size. The runner samples it at a fixed interval
//! (the cluster's requested share and its fragmentation), and at the end
//! the image pulls the kubelets reported as Events are taken out of the
//! startup latency, as Kubernetes' pod-startup SLO does.
//!
//! Definitions (every percentile is nearest-rank: the value at rank
//! ⌈p·n/100⌉ of the n values sorted; an empty population prints empty):
//! - `sched_latency_*`: created → first bound (`spec.nodeName` set).
//! - `pending_*`: created → first Running; for a pod that never ran, to
//!   when it ended (terminal or deleted) or to the end of the run.
//! - `startup_p99_s`: created → every container running, less the image
//!   pull (first `Pulling` → last `Pulled` before that): the pod startup
//!   SLI of Kubernetes' scalability SLOs ("excluding time to pull images"),
//!   as the kubelet's `pod_startup_latency_tracker` measures it.
//! - `cpu_requested_*`, `memory_requested_*`: requests of bound,
//!   non-terminal pods over the nodes' allocatable, sampled over time.
//! - `fragmentation`: at each sample, of the free allocatable CPU, the
//!   share on nodes that cannot fit the largest pending pod (by CPU, then
//!   memory); 0 when nothing is pending; time-averaged.
//! - `node_hours`: Node objects × time.

#![warn(missing_docs)]

use crate::objects::pod::{ContainerState, Pod, PodPhase};
use crate::objects::resources::Resources;
use crate::objects::store::{WatchEvent, WatchKind};
use crate::objects::Object;
use crate::report::csv::seconds;
use crate::sim::trace::TappedEvent;
use crate::sim::{SimDuration, SimTime};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// A pod's image pulls, by (namespace, name): its first `Pulling` and
/// every `Pulled`.
type Pulls<'a> = BTreeMap<(&'a str, &'a str), (Option<SimTime>, Vec<SimTime>)>;

/// The header row of `summary.csv`.
pub const SUMMARY_HEADER: &str = "nodes,pods_created,pods_completed,pods_failed,pods_evicted,sched_latency_p50_s,sched_latency_p90_s,sched_latency_p99_s,sched_latency_max_s,pending_p99_s,pending_max_s,startup_p99_s,cpu_requested_mean,cpu_requested_p95,memory_requested_mean,memory_requested_p95,fragmentation,node_hours";

/// The Event reasons the summary reads (`Trace::tap`): image pulls, and
/// the taint-eviction controller's evictions.
pub const TAPPED_REASONS: &[&str] = &["Pulling", "Pulled", "TaintManagerEviction"];

/// How often the cluster's shares are sampled for the time averages.
pub const SAMPLE_EVERY: SimDuration = SimDuration::from_secs(10);

/// One pod's lifecycle, as the summary needs it.
#[derive(Clone, Debug)]
struct PodRecord {
    namespace: Rc<str>,
    name: Rc<str>,
    created: SimTime,
    scheduled: Option<SimTime>,
    running: Option<SimTime>,
    all_started: Option<SimTime>,
    ended: Option<SimTime>,
}

/// One sample of the cluster's shares.
#[derive(Clone, Copy, Debug)]
struct Sample {
    cpu: f64,
    memory: f64,
    fragmentation: f64,
}

/// The observer behind `summary.csv`.
#[derive(Default)]
pub struct SummaryRecorder {
    pods: Map<u64, PodRecord>,
    completed: u64,
    failed: u64,
    /// Requests of the bound, non-terminal pods, per node.
    node_requested: BTreeMap<Rc<str>, Resources>,
    /// Allocatable per node.
    node_allocatable: BTreeMap<Rc<str>, Resources>,
    /// Unbound, non-terminal pods by (CPU, memory, uid): the last is the
    /// largest pending request.
    pending: BTreeSet<(u64, u64, u64)>,
    node_seconds: u128,
    nodes_since: SimTime,
    samples: Vec<Sample>,
}

/// The figures of `summary.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Node objects at the end of the run.
    pub nodes: u64,
    /// Pods the apiserver created.
    pub pods_created: u64,
    /// Pods that reached Succeeded.
    pub pods_completed: u64,
    /// Pods that reached Failed.
    pub pods_failed: u64,
    /// Pods the taint-eviction controller evicted.
    pub pods_evicted: u64,
    /// Scheduling latency percentiles p50, p90, p99 and the maximum.
    pub sched_latency: [Option<SimDuration>; 4],
    /// Pending time p99 and maximum.
    pub pending: [Option<SimDuration>; 2],
    /// Startup latency p99 (image pulls excluded).
    pub startup_p99: Option<SimDuration>,
    /// Requested CPU share of allocatable: mean and p95 over time.
    pub cpu_requested: [Option<f64>; 2],
    /// Requested memory share of allocatable: mean and p95 over time.
    pub memory_requested: [Option<f64>; 2],
    /// Time-averaged fragmentation.
    pub fragmentation: Option<f64>,
    /// Node objects × hours.
    pub node_hours: f64,
}

/// The value at nearest rank ⌈p·n/100⌉ of `sorted` (ascending).
pub fn nearest_rank<T: Copy>(sorted: &[T], p: u32) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (u64::from(p) * n).div_ceil(100).max(1);
    Some(sorted[(rank - 1) as usize])
}

fn requests_on_node(p: &Pod) -> Option<(Rc<str>, Resources)> {
    let node = p.spec.node_name.clone()?;
    (!p.status.phase.is_terminal()).then(|| (node, p.spec.requests()))
}

fn pending_key(p: &Pod) -> Option<(u64, u64, u64)> {
    let pending = p.spec.node_name.is_none() && !p.status.phase.is_terminal() && p.meta.deletion_timestamp.is_none();
    pending.then(|| {
        let r = p.spec.requests();
        (r.cpu_m, r.memory, p.meta.uid)
    })
}

fn all_running(p: &Pod) -> bool {
    !p.status.container_statuses.is_empty()
        && p.status.container_statuses.len() == p.spec.containers.len()
        && p.status.container_statuses.iter().all(|c| matches!(c.state, ContainerState::Running { .. }))
}

impl SummaryRecorder {
    /// One successful write, at `now`.
    pub fn on_write(&mut self, now: SimTime, ev: &WatchEvent) {
        match &ev.obj {
            Object::Pod(p) => self.on_pod(now, ev.old.as_ref(), p, ev.kind == WatchKind::Deleted),
            Object::Node(n) => {
                self.account_nodes(now);
                if ev.kind == WatchKind::Deleted {
                    self.node_allocatable.remove(&n.meta.name);
                } else {
                    self.node_allocatable.insert(n.meta.name.clone(), n.status.allocatable);
                }
            }
            _ => {}
        }
    }

    fn account_nodes(&mut self, now: SimTime) {
        let dt = now.0.saturating_sub(self.nodes_since.0);
        self.node_seconds += u128::from(dt) * self.node_allocatable.len() as u128;
        self.nodes_since = now;
    }

    fn on_pod(&mut self, now: SimTime, old: Option<&Object>, p: &Rc<Pod>, deleted: bool) {
        let old = match old {
            Some(Object::Pod(o)) => Some(o),
            _ => None,
        };
        if let Some((node, r)) = old.and_then(|o| requests_on_node(o)) {
            if let Some(x) = self.node_requested.get_mut(&node) {
                *x -= r;
            }
        }
        if let Some(k) = old.and_then(|o| pending_key(o)) {
            self.pending.remove(&k);
        }
        if !deleted {
            if let Some((node, r)) = requests_on_node(p) {
                *self.node_requested.entry(node).or_default() += r;
            }
            if let Some(k) = pending_key(p) {
                self.pending.insert(k);
            }
        }
        let rec = self.pods.entry(p.meta.uid).or_insert_with(|| PodRecord {
            namespace: p.meta.namespace.clone(),
            name: p.meta.name.clone(),
            created: p.meta.creation_timestamp,
            scheduled: None,
            running: None,
            all_started: None,
            ended: None,
        });
        if deleted {
            rec.ended.get_or_insert(now);
            return;
        }
        if rec.scheduled.is_none() && p.spec.node_name.is_some() {
            rec.scheduled = Some(now);
        }
        if rec.running.is_none() && p.status.phase == PodPhase::Running {
            rec.running = Some(now);
        }
        if rec.all_started.is_none() && all_running(p) {
            rec.all_started = Some(now);
        }
        if rec.ended.is_none() && p.status.phase.is_terminal() {
            rec.ended = Some(now);
            match p.status.phase {
                PodPhase::Succeeded => self.completed += 1,
                _ => self.failed += 1,
            }
        }
    }

    /// Every pod's scheduling latency (created → bound) so far, in
    /// seconds, ascending: the CDF chart's data.
    pub fn sched_latencies(&self) -> Vec<f64> {
        let mut v: Vec<f64> =
            self.pods.values().filter_map(|r| r.scheduled.map(|s| (s - r.created).as_secs_f64())).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Samples the cluster's shares now (the runner calls it every
    /// `SAMPLE_EVERY`).
    pub fn sample(&mut self, requested: Resources, allocatable: Resources) {
        let share = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut fragmentation = 0.0;
        if let Some(&(cpu, memory, _)) = self.pending.last() {
            let (mut free_all, mut free_stranded) = (0u64, 0u64);
            for (node, alloc) in &self.node_allocatable {
                let used = self.node_requested.get(node).copied().unwrap_or_default();
                let free_cpu = alloc.cpu_m.saturating_sub(used.cpu_m);
                let free_mem = alloc.memory.saturating_sub(used.memory);
                free_all += free_cpu;
                if free_cpu < cpu || free_mem < memory {
                    free_stranded += free_cpu;
                }
            }
            fragmentation = share(free_stranded, free_all);
        }
        self.samples.push(Sample {
            cpu: share(requested.cpu_m, allocatable.cpu_m),
            memory: share(requested.memory, allocatable.memory),
            fragmentation,
        });
    }

    /// The figures at the end of a run at `end`, with the Events `Trace::tap`
    /// kept (`TAPPED_REASONS`).
    pub fn finish(&mut self, end: SimTime, tapped: &[TappedEvent]) -> Summary {
        self.account_nodes(end);
        // Image pulls per pod name: (first Pulling, every Pulled).
        let mut pulls: Pulls = BTreeMap::new();
        let mut evicted = BTreeSet::new();
        for e in tapped.iter().filter(|e| e.kind == "Pod") {
            let key = (e.namespace.as_str(), e.name.as_str());
            match e.reason {
                "Pulling" => {
                    pulls.entry(key).or_default().0.get_or_insert(e.time);
                }
                "Pulled" => pulls.entry(key).or_default().1.push(e.time),
                "TaintManagerEviction" => {
                    evicted.insert(key);
                }
                _ => {}
            }
        }
        let mut sched = Vec::new();
        let mut pending = Vec::new();
        let mut startup = Vec::new();
        for r in self.pods.values() {
            if let Some(s) = r.scheduled {
                sched.push(s - r.created);
            }
            let until = r.running.or(r.ended).unwrap_or(end).min(end);
            pending.push(SimDuration(until.0.saturating_sub(r.created.0)));
            if let Some(started) = r.all_started {
                let pull = match pulls.get(&(&*r.namespace, &*r.name)) {
                    Some((Some(first), pulled)) => {
                        let last = pulled.iter().filter(|t| **t >= *first && **t <= started).max();
                        last.map_or(0, |l| l.0 - first.0)
                    }
                    _ => 0,
                };
                startup.push(SimDuration((started.0 - r.created.0).saturating_sub(pull)));
            }
        }
        sched.sort();
        pending.sort();
        startup.sort();
        let mean = |f: fn(&Sample) -> f64| {
            (!self.samples.is_empty()).then(|| self.samples.iter().map(f).sum::<f64>() / self.samples.len() as f64)
        };
        let p95 = |f: fn(&Sample) -> f64| {
            let mut v: Vec<f64> = self.samples.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            nearest_rank(&v, 95)
        };
        Summary {
            nodes: self.node_allocatable.len() as u64,
            pods_created: self.pods.len() as u64,
            pods_completed: self.completed,
            pods_failed: self.failed,
            pods_evicted: evicted.len() as u64,
            sched_latency: [
                nearest_rank(&sched, 50),
                nearest_rank(&sched, 90),
                nearest_rank(&sched, 99),
                sched.last().copied(),
            ],
            pending: [nearest_rank(&pending, 99), pending.last().copied()],
            startup_p99: nearest_rank(&startup, 99),
            cpu_requested: [mean(|s| s.cpu), p95(|s| s.cpu)],
            memory_requested: [mean(|s| s.memory), p95(|s| s.memory)],
            fragmentation: mean(|s| s.fragmentation),
            node_hours: self.node_seconds as f64 / 3.6e12,
        }
    }
}

impl Summary {
    /// The `summary.csv` row (no newline), in `SUMMARY_HEADER`'s order.
    pub fn csv_row(&self) -> String {
        let d = |x: Option<SimDuration>| x.map(|d| seconds(SimTime(d.0))).unwrap_or_default();
        let f = |x: Option<f64>| x.map(|v| format!("{:.4}", v)).unwrap_or_default();
        let [s50, s90, s99, smax] = self.sched_latency;
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.4}",
            self.nodes,
            self.pods_created,
            self.pods_completed,
            self.pods_failed,
            self.pods_evicted,
            d(s50),
            d(s90),
            d(s99),
            d(smax),
            d(self.pending[0]),
            d(self.pending[1]),
            d(self.startup_p99),
            f(self.cpu_requested[0]),
            f(self.cpu_requested[1]),
            f(self.memory_requested[0]),
            f(self.memory_requested[1]),
            f(self.fragmentation),
            self.node_hours
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_takes_the_value_at_rank_ceil_p_n_over_100() {
        let v: Vec<u32> = (1..=10).collect();
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 90), Some(9));
        assert_eq!(nearest_rank(&v, 99), Some(10));
        assert_eq!(nearest_rank(&v, 0), Some(1));
        assert_eq!(nearest_rank(&[7u32], 99), Some(7));
        assert_eq!(nearest_rank::<u32>(&[], 50), None);
        // The worked example of the nearest-rank method: 15, 20, 35, 40, 50.
        let w = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&w, 30), Some(20));
        assert_eq!(nearest_rank(&w, 40), Some(20));
        assert_eq!(nearest_rank(&w, 50), Some(35));
        assert_eq!(nearest_rank(&w, 100), Some(50));
    }
}
