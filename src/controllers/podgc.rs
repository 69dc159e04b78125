//! PodGC (`pkg/controller/podgc/gc_controller.go`): every `gcCheckPeriod`
//! (20 s) one pass over kube-controller-manager's pod and node informers:
//!
//! 1. `gcTerminated`: the oldest terminated pods beyond
//!    `terminatedPodGCThreshold` (12,500; 0 turns it off), evicted pods
//!    first, then by creation time and name (`byEvictionAndCreationTimestamp`);
//! 2. `gcTerminating`: pods being deleted on a node that is not Ready and
//!    carries the `node.kubernetes.io/out-of-service` taint (non-graceful
//!    node shutdown);
//! 3. `gcOrphaned`: pods bound to a node the node informer does not hold.
//!    Such a node goes into a quarantine queue for 40 s
//!    (`nodeQueue.AddAfter(name, quarantineTime)`); a pass that finds it
//!    ready in the queue and still absent deletes its pods, marking them
//!    with the `DisruptionTarget` condition (`DeletionByPodGC`).
//!
//! Every deletion is `markFailedAndDeletePod`: a pod not yet terminal is
//! first patched to `Failed` (an orphan would otherwise stay Running
//! forever, with no kubelet to end it), and deleted with grace 0 once the
//! patch is answered. (`gcUnscheduledTerminating` has nothing visible to
//! do here: the apiserver removes an unbound pod at once on delete, or,
//! when a finalizer keeps it, has already given it grace 0, so the force
//! delete would change nothing.)
//!
//! It is a [`Controller`] like a user's: it hears pods and nodes through
//! kube-controller-manager's shared informers, keeps its period with its
//! own timer, acts only through requests (through the
//! `"pod-garbage-collector"` client's bucket) and gets their answers, so
//! `crashController: podgc` can take it down and its restart relists.
//!
//! Divergence: upstream confirms a quarantined node's absence with a live
//! GET (`checkIfNodeExists`); kubesim reads its node informer, which lags
//! the apiserver by one watch hop.

#![warn(missing_docs)]

use crate::component::{Controller, Cx, RequestId};
use crate::controllers::informer::PodInformer;
use crate::objects::node::Node;
use crate::objects::pod::{CondStatus, Condition, Pod, PodPhase, PodStatus};
use crate::objects::store::{ApiError, ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::sim::SimTime;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::BTreeSet;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// `v1.TaintNodeOutOfService`.
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";

/// A terminated pod in `byEvictionAndCreationTimestamp` order but for
/// the name: evicted first, then oldest, then by uid. Pods created in the
/// same instant are put in name order when they are picked (`pick_oldest`):
/// a small key keeps the set (every terminated pod) compact.
type Victim = (bool, SimTime, u64);

/// The pod garbage collector's state.
#[derive(Default)]
pub struct PodGc {
    /// Terminated pods, in the order `gcTerminated` deletes them. (A pod
    /// in a terminal phase stays in it, so its place never moves: the
    /// watch event's old version names the entry an update replaces.)
    terminated: BTreeSet<Victim>,
    /// The node informer: every node, by name.
    nodes: Map<Rc<str>, Rc<Node>>,
    /// `nodeQueue`: nodes pods are bound to that the informer does not
    /// hold, each with the time its quarantine ends.
    quarantine: Map<Rc<str>, SimTime>,
    /// Pods already being deleted (not asked twice while asked once).
    requested: BTreeSet<u64>,
    /// Status patches in flight: the pod each deletes once answered.
    patching: Map<RequestId, (Key, u64)>,
    /// Whether a pod may be bound to a node the informer lacks: set by a
    /// node deletion or a pod bound to an unknown node, and by a scan that
    /// found such a node. A scan that finds none clears it, and until an
    /// event sets it again another scan would find none either, so the
    /// pass skips it (a walk of every node per pass otherwise).
    maybe_orphans: bool,
}

/// The timer token of the `gcCheckPeriod` loop (the only timer).
const GC_CHECK: u64 = 0;

impl Controller for PodGc {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod, Kind::Node]
    }

    /// `wait.UntilWithContext(ctx, gcc.gc, gcc.gcCheckPeriod)` after the
    /// informers sync: the first pass one period after the start.
    fn start(&mut self, cx: &mut Cx) {
        let period = cx.config().pod_gc_period;
        cx.after(period, GC_CHECK);
    }

    fn on_watch(&mut self, ev: &WatchEvent, _cx: &mut Cx) {
        self.observe(ev);
    }

    fn on_timer(&mut self, _token: u64, cx: &mut Cx) {
        self.gc(cx);
        let period = cx.config().pod_gc_period;
        cx.after(period, GC_CHECK);
    }

    /// The status patch of `markFailedAndDeletePod` is answered: the
    /// delete follows (a failed patch ends the attempt; the next pass
    /// tries again).
    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        let Some((key, uid)) = self.patching.swap_remove(&req) else { return };
        match result {
            Ok(_) => {
                cx.send_unanswered(ApiOp::delete_pod(key, uid, Some(0), None));
            }
            Err(_) => {
                self.requested.remove(&uid);
            }
        }
    }
}

impl PodGc {
    /// A collector that has seen nothing.
    pub fn new() -> Self {
        PodGc { maybe_orphans: true, ..Self::default() }
    }

    /// Takes in a watch event of its informers.
    fn observe(&mut self, ev: &WatchEvent) {
        match &ev.obj {
            Object::Node(n) => {
                if ev.kind == WatchKind::Deleted {
                    self.nodes.swap_remove(&n.meta.name);
                    self.maybe_orphans = true;
                } else {
                    self.nodes.insert(n.meta.name.clone(), n.clone());
                }
            }
            Object::Pod(p) => {
                let old = match &ev.old {
                    Some(Object::Pod(o)) => Some(o),
                    _ => None,
                };
                // A pod just bound (or listed bound) to a node the
                // informer lacks may be an orphan.
                let node = p.spec.node_name.as_ref();
                let was = old.and_then(|o| o.spec.node_name.as_ref());
                let moved = match (node, was) {
                    (Some(a), Some(b)) => !Rc::ptr_eq(a, b) && a != b,
                    (a, b) => a.is_some() != b.is_some(),
                };
                if moved && node.is_some_and(|n| !self.nodes.contains_key(n)) {
                    self.maybe_orphans = true;
                }
                if ev.kind == WatchKind::Deleted {
                    if p.status.phase.is_terminal() {
                        self.terminated.remove(&victim(p));
                    }
                    self.requested.remove(&p.meta.uid);
                    return;
                }
                if let Some(o) = old.filter(|o| o.status.phase.is_terminal()) {
                    self.terminated.remove(&victim(o));
                }
                if p.status.phase.is_terminal() {
                    self.terminated.insert(victim(p));
                }
            }
            _ => {}
        }
    }

    /// One `gcCheckPeriod` pass.
    fn gc(&mut self, cx: &mut Cx) {
        self.gc_terminated(cx);
        self.gc_terminating(cx);
        self.gc_orphaned(cx);
    }

    /// `markFailedAndDeletePodWithCondition`.
    fn mark_failed_and_delete(&mut self, p: &Pod, condition: Option<(&'static str, &'static str)>, cx: &mut Cx) {
        if !self.requested.insert(p.meta.uid) {
            return;
        }
        let key = Key::of(&p.meta);
        if p.status.phase.is_terminal() {
            cx.send_unanswered(ApiOp::delete_pod(key, p.meta.uid, Some(0), None));
            return;
        }
        let mut status: PodStatus = (*p.status).clone();
        status.phase = PodPhase::Failed;
        if let Some((reason, message)) = condition {
            // `UpdatePodCondition`: the transition time moves only with
            // the status.
            let mut c = Condition::new(CondStatus::True, cx.now());
            if let Some(old) = &status.conditions.disruption_target {
                if old.status == CondStatus::True {
                    c.last_transition_time = old.last_transition_time;
                }
            }
            c.reason = Some(reason.into());
            c.message = Some(message.into());
            status.conditions.disruption_target = Some(c);
        }
        let req = cx.send(ApiOp::PodStatus { key: key.clone(), uid: p.meta.uid, status: Rc::new(status) });
        self.patching.insert(req, (key, p.meta.uid));
    }

    fn gc_terminated(&mut self, cx: &mut Cx) {
        let threshold = cx.config().terminated_pod_gc_threshold as usize;
        if threshold == 0 || self.terminated.len() <= threshold {
            return;
        }
        let excess = self.terminated.len() - threshold;
        let victims = pick_oldest(&self.terminated, excess, cx.kcm_pods());
        for p in victims {
            self.mark_failed_and_delete(&p, None, cx);
        }
    }

    /// Terminating pods on nodes shut down without grace (not Ready, and
    /// tainted `node.kubernetes.io/out-of-service` by an operator).
    fn gc_terminating(&mut self, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        let mut victims: Vec<Rc<Pod>> = self
            .nodes
            .values()
            .filter(|n| !n.is_ready() && n.spec.taints.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE))
            .flat_map(|n| pods.pods_on(&n.meta.name))
            .filter(|p| p.meta.deletion_timestamp.is_some())
            .cloned()
            .collect();
        victims.sort_by(|a, b| victim_order(a).cmp(&victim_order(b)));
        for p in victims {
            self.mark_failed_and_delete(&p, None, cx);
        }
    }

    fn gc_orphaned(&mut self, cx: &mut Cx) {
        let now = cx.now();
        let quarantine = cx.config().pod_gc_quarantine;
        let pods = cx.kcm_pods();
        // Newly found unknown nodes go into quarantine (a node already
        // waiting keeps its time, as `AddAfter` keeps the earlier one).
        if self.maybe_orphans || !cx.config().pod_gc_orphan_skipping {
            let mut found = false;
            for node in pods.nodes_with_pods() {
                if !self.nodes.contains_key(node) {
                    found = true;
                    self.quarantine.entry(node.clone()).or_insert(now + quarantine);
                }
            }
            self.maybe_orphans = found;
        }
        // `discoverDeletedNodes`: the nodes whose quarantine is over and
        // that are still missing.
        let ready: Vec<Rc<str>> =
            self.quarantine.iter().filter(|(_, at)| **at <= now).map(|(n, _)| n.clone()).collect();
        let mut deleted = Vec::new();
        for n in ready {
            self.quarantine.swap_remove(&n);
            if !self.nodes.contains_key(&n) {
                deleted.push(n);
            }
        }
        let victims: Vec<Rc<Pod>> = deleted.iter().flat_map(|n| pods.pods_on(n).cloned()).collect();
        // (Upstream records no Event for this, only a log line.)
        for p in victims {
            self.mark_failed_and_delete(&p, Some(("DeletionByPodGC", "PodGC: node no longer exists")), cx);
        }
    }
}

/// `eviction.PodIsEvicted`.
fn evicted(p: &Pod) -> bool {
    p.status.phase == PodPhase::Failed && p.status.reason.as_deref() == Some("Evicted")
}

/// A terminated pod's entry in `PodGc::terminated`.
fn victim(p: &Pod) -> Victim {
    (!evicted(p), p.meta.creation_timestamp, p.meta.uid)
}

/// The first `n` terminated pods in `byEvictionAndCreationTimestamp`
/// order: the set's first `n` with the rest of the last (evicted,
/// creation) group, sorted with the names as the tie-break, cut at `n`.
fn pick_oldest(terminated: &BTreeSet<Victim>, n: usize, pods: &PodInformer) -> Vec<Rc<Pod>> {
    let mut taken: Vec<Victim> = terminated.iter().take(n).copied().collect();
    if let Some(&(e, t, uid)) = taken.last() {
        // The cut may go through a group of pods created together.
        taken.extend(terminated.range((e, t, uid)..=(e, t, u64::MAX)).skip(1).copied());
    }
    let mut named: Vec<(bool, SimTime, Option<Rc<str>>, u64)> =
        taken.iter().map(|&(e, t, u)| (e, t, pods.get(u).map(|p| p.meta.name.clone()), u)).collect();
    named.sort_unstable();
    named.truncate(n);
    named.into_iter().filter_map(|(_, _, _, u)| pods.get(u).cloned()).collect()
}

/// `byEvictionAndCreationTimestamp`'s key for one pod.
fn victim_order(p: &Pod) -> (bool, SimTime, &str) {
    (!evicted(p), p.meta.creation_timestamp, &p.meta.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::meta::ObjectMeta;
    use crate::objects::store::Propagation;

    fn pod(uid: u64, name: &str, secs: u64) -> Rc<Pod> {
        let meta = ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            uid,
            creation_timestamp: SimTime::from_secs(secs),
            ..Default::default()
        };
        let status = PodStatus { phase: PodPhase::Succeeded, ..Default::default() };
        Rc::new(Pod { meta, spec: Default::default(), status: Rc::new(status) })
    }

    /// `byEvictionAndCreationTimestamp`: oldest first; pods created in the
    /// same instant go by name, whatever their uids, also where the cut
    /// goes through their group.
    #[test]
    fn pick_oldest_breaks_ties_by_name() {
        let pods = [pod(1, "zz", 5), pod(2, "c", 7), pod(3, "b", 7), pod(4, "a", 7), pod(5, "old", 1)];
        let mut informer = PodInformer::default();
        let mut set = BTreeSet::new();
        for p in &pods {
            let obj = Object::Pod(p.clone());
            informer.observe(&WatchEvent {
                kind: WatchKind::Added,
                obj,
                old: None,
                propagation: Propagation::Background,
            });
            set.insert(victim(p));
        }
        let names = |n: usize| -> Vec<String> {
            pick_oldest(&set, n, &informer).iter().map(|p| p.meta.name.to_string()).collect()
        };
        assert_eq!(names(1), vec!["old"]);
        assert_eq!(names(3), vec!["old", "zz", "a"]);
        assert_eq!(names(4), vec!["old", "zz", "a", "b"]);
        assert_eq!(names(9), vec!["old", "zz", "a", "b", "c"]);
    }
}
