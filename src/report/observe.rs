//! Reports as observers of the write stream: every successful write the
//! apiserver makes (what the trace records) passes through `Observers`,
//! which keeps the cluster totals sampled into `timeseries.csv` and, when
//! asked, each pod's lifecycle times for `pods.csv`. The store knows
//! nothing of them.

#![warn(missing_docs)]

use crate::objects::pod::{Pod, PodPhase};
use crate::objects::resources::{Extended, Resources};
use crate::objects::store::{WatchEvent, WatchKind};
use crate::objects::Object;
use crate::sim::SimTime;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// Cluster-wide counters kept up to date on every write, so sampling the
/// cluster for reports costs nothing per pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterStats {
    /// Pods in phase Pending (scheduled or not).
    pub pods_pending: u64,
    /// Pods in phase Running.
    pub pods_running: u64,
    /// Pods in phase Succeeded (still in the API: the pod GC deletes
    /// terminated pods past `terminatedPodGCThreshold`).
    pub pods_succeeded: u64,
    /// Pods that ever reached Succeeded (cumulative).
    pub pods_completed: u64,
    /// Pods in phase Failed.
    pub pods_failed: u64,
    /// Pods in phase Unknown.
    pub pods_unknown: u64,
    /// Requests of pods bound to a node and not terminal.
    pub requested: Resources,
    /// The sum of every node's `status.allocatable`.
    pub allocatable: Resources,
    /// Extended-resource requests of pods bound and not terminal.
    pub extended_requested: Extended,
    /// The sum of every node's extended resources.
    pub extended_allocatable: Extended,
}

/// Per-pod lifecycle times, for `pods.csv`.
#[derive(Clone, Debug)]
pub struct PodTimes {
    /// The pod's name.
    pub name: Rc<str>,
    /// The pod's namespace.
    pub namespace: Rc<str>,
    /// The node it was bound to, if any.
    pub node: Option<Rc<str>>,
    /// When the store created it.
    pub created: SimTime,
    /// The first write that showed it bound (`spec.nodeName` set).
    pub scheduled: Option<SimTime>,
    /// The first write that showed it Running.
    pub started: Option<SimTime>,
    /// The first write that showed it Succeeded or Failed.
    pub finished: Option<SimTime>,
    /// When it was removed from the store.
    pub deleted: Option<SimTime>,
    /// Its last phase.
    pub phase: PodPhase,
}

/// The observers of one run.
#[derive(Default)]
pub struct Observers {
    /// The cluster's totals now.
    pub stats: ClusterStats,
    pod_times: Option<Map<u64, PodTimes>>,
    /// The run's summary metrics, when asked for (`record_summary`).
    pub summary: Option<crate::report::summary::SummaryRecorder>,
}

impl Observers {
    /// Starts recording per-pod lifecycle times (for `pods.csv`).
    pub fn record_pod_times(&mut self) {
        self.pod_times.get_or_insert_with(Map::default);
    }

    /// Starts recording the run's summary metrics (`summary.csv`).
    pub fn record_summary(&mut self) {
        self.summary.get_or_insert_with(Default::default);
    }

    /// Per-pod lifecycle times in creation order.
    pub fn pod_times(&self) -> impl Iterator<Item = &PodTimes> {
        self.pod_times.iter().flat_map(|m| m.values())
    }

    /// One successful write, at `now`.
    pub fn on_write(&mut self, now: SimTime, ev: &WatchEvent) {
        if let Some(s) = self.summary.as_mut() {
            s.on_write(now, ev);
        }
        match &ev.obj {
            Object::Pod(p) => {
                self.account_pod(ev.old.as_ref(), Some(p).filter(|_| ev.kind != WatchKind::Deleted), now);
            }
            Object::Node(n) => {
                if let Some(Object::Node(o)) = &ev.old {
                    self.stats.allocatable -= o.status.allocatable;
                    self.stats.extended_allocatable.sub(&o.status.extended);
                }
                if ev.kind != WatchKind::Deleted {
                    self.stats.allocatable += n.status.allocatable;
                    self.stats.extended_allocatable.add(&n.status.extended);
                }
            }
            _ => {}
        }
    }

    fn account_pod(&mut self, old: Option<&Object>, new: Option<&Rc<Pod>>, now: SimTime) {
        fn contrib(s: &mut ClusterStats, p: &Pod, sign: bool) {
            let counter = match p.status.phase {
                PodPhase::Pending => &mut s.pods_pending,
                PodPhase::Running => &mut s.pods_running,
                PodPhase::Succeeded => &mut s.pods_succeeded,
                PodPhase::Failed => &mut s.pods_failed,
                PodPhase::Unknown => &mut s.pods_unknown,
            };
            if sign {
                *counter += 1;
            } else {
                *counter -= 1;
            }
            if p.spec.node_name.is_some() && !p.status.phase.is_terminal() {
                let r = p.spec.requests();
                let x = p.spec.extended_requests();
                if sign {
                    s.requested += r;
                    s.extended_requested.add(&x);
                } else {
                    s.requested -= r;
                    s.extended_requested.sub(&x);
                }
            }
        }
        let was_succeeded = matches!(old, Some(Object::Pod(o)) if o.status.phase == PodPhase::Succeeded);
        if !was_succeeded && new.is_some_and(|n| n.status.phase == PodPhase::Succeeded) {
            self.stats.pods_completed += 1;
        }
        if let Some(Object::Pod(o)) = old {
            contrib(&mut self.stats, o, false);
        }
        if let Some(n) = new {
            contrib(&mut self.stats, n, true);
        }
        if let Some(times) = self.pod_times.as_mut() {
            let (uid, p) = match (new, old) {
                (Some(n), _) => (n.meta.uid, n.as_ref()),
                (None, Some(Object::Pod(o))) => (o.meta.uid, o.as_ref()),
                _ => return,
            };
            let e = times.entry(uid).or_insert_with(|| PodTimes {
                name: p.meta.name.clone(),
                namespace: p.meta.namespace.clone(),
                node: None,
                created: p.meta.creation_timestamp,
                scheduled: None,
                started: None,
                finished: None,
                deleted: None,
                phase: p.status.phase,
            });
            if new.is_none() {
                e.deleted = Some(now);
                return;
            }
            e.phase = p.status.phase;
            if e.scheduled.is_none() && p.spec.node_name.is_some() {
                e.scheduled = Some(now);
                e.node = p.spec.node_name.clone();
            }
            if e.started.is_none() && p.status.phase == PodPhase::Running {
                e.started = Some(now);
            }
            if e.finished.is_none() && p.status.phase.is_terminal() {
                e.finished = Some(now);
            }
        }
    }
}
