//! kube-scheduler: the scheduling queue, filters, scores and binding.
//!
//! Follows `pkg/scheduler`:
//! - Queue: activeQ ordered by priority then queue-entry order; backoffQ
//!   (1 s doubling to 10 s per attempt); the unschedulable pool, left on a
//!   cluster event that could help (a QueueingHint-style check: a freed node
//!   is only a reason to retry pods that now fit there) or after 5 minutes.
//! - Filters: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity
//!   (nodeSelector and required terms), NodeResourcesFit.
//! - Scores: NodeResourcesFit LeastAllocated (weight 1, non-zero request
//!   defaults), NodeResourcesBalancedAllocation (1), TaintToleration (3) and
//!   NodeAffinity (2), the last two only when some node or pod makes them
//!   differ.
//! - `percentageOfNodesToScore`: adaptive, filtering from a rotating start
//!   index and stopping once enough feasible nodes are found.
//! - Ties among top-scored nodes broken uniformly from `scheduler/tiebreak`.
//! - The fast path: for a pod without node constraints (no nodeSelector,
//!   no node affinity), a segment tree per (request shape, tolerations)
//!   (`scoretree`) answers that walk in O(log n), visiting the same nodes
//!   and picking the same node with the same tie-break draw; the pods and
//!   windows it cannot answer exactly (preferred node affinity, an
//!   intolerable PreferNoSchedule taint among the feasible nodes) take the
//!   walk, as does every pod with `schedulerScoreTrees: 0`.
//! - Assume, then bind through the store (`pods/binding`); a failed bind
//!   forgets the assumption and retries the pod after back-off.
//!
//! Not modelled yet: preemption, PodTopologySpread, InterPodAffinity,
//! NodePorts, volume plugins, ImageLocality.

#![warn(missing_docs)]

use crate::component::{Controller, Cx, RequestId};
use crate::controllers::scoretree::{Leaf, ScoreTree, UNSCORED};
use crate::lookup::LookupMap;
use crate::objects::node::{Node, TAINT_UNSCHEDULABLE};
use crate::objects::pod::{CondStatus, Condition, NodeAffinity, Pod, PodSpec, Taint, TaintEffect, Toleration};
use crate::objects::resources::{Extended, Resources};
use crate::objects::store::ApiError;
use crate::objects::store::{ApiOp, Key, PodConditionType, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::sim::{rng, SimDuration, SimTime};
use indexmap::IndexMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxBuildHasher;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

pub use crate::objects::pod::DEFAULT_SCHEDULER;

/// The scheduler's timers (their tokens are the variants' numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SchedEvent {
    /// Run one scheduling cycle.
    Cycle,
    /// Move pods whose back-off expired from backoffQ to activeQ.
    FlushBackoff,
    /// Move pods unschedulable for too long back to the queues.
    FlushUnschedulable,
}

impl SchedEvent {
    fn of_token(token: u64) -> Option<SchedEvent> {
        [SchedEvent::Cycle, SchedEvent::FlushBackoff, SchedEvent::FlushUnschedulable].into_iter().nth(token as usize)
    }
}

/// The default scheduler's counters, kept over its restarts (for reports
/// and benchmarks).
#[derive(Default, Debug)]
pub struct SchedulerStats {
    /// Scheduling attempts.
    pub attempts: std::cell::Cell<u64>,
    /// The attempts a score tree answered (the rest walked).
    pub tree_answered: std::cell::Cell<u64>,
}

/// The scheduler cache's view of one node. The fields the filter and score
/// loop reads are inline, so a pass over nodes streams through one vector.
struct NodeInfo {
    allocatable: Resources,
    /// Allocatable cpu and memory as f64, set with the node; `None` when
    /// a capacity is 0 or too large for the exact float path.
    alloc_f: Option<(f64, f64)>,
    requested: Resources,
    nonzero_requested: Resources,
    /// Extended resources: the node's allocatable, and the requests of
    /// the pods counted on it (both empty on most nodes).
    ext_allocatable: Extended,
    ext_requested: Extended,
    unschedulable: bool,
    /// NoSchedule/NoExecute taints present (must be checked against the pod).
    has_hard_taints: bool,
    prefer_no_schedule: u32,
    name: Rc<str>,
    node: Rc<Node>,
    /// Bumped on every change the scores read.
    gen: u32,
}

/// The part of a node the filter loop reads for a pod with no node
/// constraints, kept in an array of its own (32 bytes a node) so a pass
/// over hundreds of nodes stays in the first-level cache.
#[derive(Clone, Copy, Default)]
struct NodeHot {
    free_cpu: i64,
    free_memory: i64,
    free_pods: i64,
    gen: u32,
    /// Not cordoned and no NoSchedule/NoExecute taint.
    plain: bool,
}

impl NodeHot {
    fn of(ni: &NodeInfo) -> NodeHot {
        let a = &ni.allocatable;
        let r = &ni.requested;
        NodeHot {
            free_cpu: a.cpu_m as i64 - r.cpu_m as i64,
            free_memory: a.memory as i64 - r.memory as i64,
            free_pods: a.pods as i64 - r.pods as i64,
            gen: ni.gen,
            plain: !ni.unschedulable && !ni.has_hard_taints,
        }
    }

    /// NodeResourcesFit's `fitsRequest` for what is modelled: the pod
    /// count always, cpu and memory only when the pod requests them. So a
    /// pod requesting neither fits a node whose requests exceed its
    /// allocatable (pods created with `nodeName` skip the check).
    #[inline]
    fn fits(&self, req: &Resources) -> bool {
        self.free_pods >= req.pods as i64
            && (req.cpu_m == 0 || self.free_cpu >= req.cpu_m as i64)
            && (req.memory == 0 || self.free_memory >= req.memory as i64)
    }
}

/// Scores are a pure function of the node's state and the pod's requests;
/// a node changes only when a pod binds to or leaves it, while it is scored
/// for every pod, and pods come in few request shapes (one per template).
/// So each node memoizes (request class, generation) → score, in a
/// direct-mapped table: `memo[class mod SCORE_SLOTS][node]`.
const SCORE_SLOTS: usize = 8;

#[derive(Clone, Copy, Default)]
struct ScoreSlot {
    class: u32,
    gen: u32,
    /// Fit + balanced scores are each in [0, 100].
    score: i32,
}

/// What the scheduler keeps about a pod it has seen.
struct PodEntry {
    pod: Rc<Pod>,
    /// Node index it is counted on (bound or assumed).
    node: Option<usize>,
    requests: Resources,
    nonzero: Resources,
    /// Extended-resource requests (empty for most pods).
    ext: Extended,
    /// Request class (equal requests share one) for the score cache.
    class: u32,
    /// Toleration class (equal tolerations share one) for the trees.
    tols: u32,
    /// Pending only: queue bookkeeping.
    attempts: u32,
    last_attempt: SimTime,
    /// Which queue the pod is in; a heap entry with another generation is
    /// stale and skipped.
    queue_gen: u64,
    where_: Queue,
    unschedulable_since: SimTime,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Queue {
    None,
    Active,
    Backoff,
    Unschedulable,
    /// Popped and assumed; waiting for the bind to show in the watch.
    Binding,
}

/// Why nodes were rejected, counted without allocating on the hot path.
#[derive(Default)]
struct Rejections {
    unschedulable: u32,
    affinity: u32,
    too_many_pods: u32,
    cpu: u32,
    memory: u32,
    /// Per extended resource: nodes short of it.
    extended: BTreeMap<Rc<str>, u32>,
    taints: BTreeMap<(String, String), u32>,
    /// Nodes rejected by NodeResourcesFit (status `Unschedulable`): the
    /// only ones preemption would search for victims; the other filters
    /// reject with `UnschedulableAndUnresolvable`.
    resource_nodes: u32,
}

impl Rejections {
    /// The `FailedScheduling` message: reasons sorted as upstream sorts them.
    fn message(&self, n: usize) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut add = |c: u32, r: String| {
            if c > 0 {
                parts.push(format!("{} {}", c, r));
            }
        };
        add(self.unschedulable, "node(s) were unschedulable".into());
        add(self.affinity, "node(s) didn't match Pod's node affinity/selector".into());
        add(self.too_many_pods, "Too many pods".into());
        add(self.cpu, "Insufficient cpu".into());
        add(self.memory, "Insufficient memory".into());
        for (name, c) in &self.extended {
            add(*c, format!("Insufficient {}", name));
        }
        for ((k, v), c) in &self.taints {
            add(*c, format!("node(s) had untolerated taint {{{}: {}}}", k, v));
        }
        parts.sort();
        if n == 0 {
            // `schedulePod` fails before filtering (`ErrNoNodesAvailable`).
            return "no nodes available to schedule pods".into();
        }
        // `FitError.Error()` (`pkg/scheduler/framework/types.go`), then the
        // PostFilter message: DefaultPreemption runs for every pod that fits
        // nowhere and prefixes its status with "preemption: "
        // (`default_preemption.go` `PostFilter`). With no lower-priority pod
        // to evict (kubesim models no preemption), `SelectVictimsOnNode`
        // answers "No preemption victims found for incoming pod" on each
        // node that failed with `Unschedulable`; the nodes that failed with
        // `UnschedulableAndUnresolvable` are not candidates and count as
        // "Preemption is not helpful for scheduling"
        // (`preemption.go` `Evaluator.Preempt`, `SetAbsentNodesStatus`).
        let victims = self.resource_nodes as usize;
        let mut post = Vec::new();
        if victims > 0 {
            post.push(format!("{} No preemption victims found for incoming pod", victims));
        }
        if n > victims {
            post.push(format!("{} Preemption is not helpful for scheduling", n - victims));
        }
        post.sort();
        format!(
            "0/{} nodes are available: {}. preemption: 0/{} nodes are available: {}.",
            n,
            parts.join(", "),
            n,
            post.join(", ")
        )
    }
}

/// The default scheduler: its node cache, scheduling queue and score
/// caches.
pub struct Scheduler {
    nodes: Vec<NodeInfo>,
    /// `NodeHot::of(nodes[i])`, refreshed by `sync` after every change.
    hot: Vec<NodeHot>,
    memo: [Vec<ScoreSlot>; SCORE_SLOTS],
    /// Per (request class, toleration class), direct-mapped like `memo`:
    /// the tree that answers a cycle of a pod without node constraints
    /// (`scoretree`).
    trees: [Option<ClassTree>; SCORE_SLOTS],
    node_index: Map<Rc<str>, usize>,
    pods: LookupMap<u64, PodEntry>,
    /// Max-heap on (priority, Reverse(entry order)); then uid and queue generation.
    active: BinaryHeap<(i32, Reverse<u64>, u64, u64)>,
    backoff: BinaryHeap<Reverse<(SimTime, u64, u64, u64)>>,
    unschedulable: Map<u64, ()>,
    order: u64,
    next_gen: u64,
    next_start: usize,
    cycle_pending: bool,
    backoff_flush_at: Option<SimTime>,
    unsched_flush_pending: bool,
    rng: ChaCha8Rng,
    /// Scratch buffers reused across cycles.
    feasible: Vec<usize>,
    scores: Vec<i64>,
    /// Nodes with PreferNoSchedule taints (their scores need normalizing).
    prefer_no_schedule_nodes: usize,
    /// Request classes for the score cache (class 0 is never used, so an
    /// empty slot never matches).
    classes: Map<(u64, u64, u64, u64, Extended), u32>,
    /// Toleration classes for the trees: a pod's tolerations as the
    /// filters and scores read them (`tolerationSeconds` does not matter).
    tol_classes: Map<Vec<TolKey>, u32>,
    /// Toleration class `k`'s tolerations at `tol_lists[k - 1]`: a tree is
    /// built from its class's own tolerations, never from whichever pod's
    /// spec happens to build it.
    tol_lists: Vec<Vec<Toleration>>,
    /// The last pod's tolerations and class: pods mostly come in runs of
    /// one template, and comparing (shared strings) is cheaper than hashing.
    last_tols: (Vec<Toleration>, u32),
    /// The binds in flight, by request: the pod each is for (until its
    /// answer is back).
    binding: rustc_hash::FxHashMap<RequestId, (u64, Key)>,
    /// Its counters (shared with the simulation, and with its next life).
    stats: Rc<SchedulerStats>,
}

impl Scheduler {
    /// A scheduler with no nodes and an empty queue; `seed` seeds its
    /// tie-break stream (`scheduler/tiebreak`).
    #[cfg(test)]
    pub(crate) fn new(seed: u64) -> Self {
        Self::for_life(seed, 0, Rc::default())
    }

    /// The scheduler process's `life`-th start (0: with the cluster; each
    /// restart after a crash is the next): a fresh cache and queue, and a
    /// tie-break stream of its own (`scheduler/tiebreak`, then
    /// `scheduler/tiebreak/<life>`), counting into `stats`.
    pub(crate) fn for_life(seed: u64, life: u32, stats: Rc<SchedulerStats>) -> Self {
        let stream = if life == 0 { "scheduler/tiebreak".to_string() } else { format!("scheduler/tiebreak/{}", life) };
        Scheduler {
            nodes: Vec::new(),
            hot: Vec::new(),
            memo: Default::default(),
            trees: Default::default(),
            node_index: Map::default(),
            pods: LookupMap::default(),
            active: BinaryHeap::new(),
            backoff: BinaryHeap::new(),
            unschedulable: Map::default(),
            order: 0,
            next_gen: 1,
            next_start: 0,
            cycle_pending: false,
            backoff_flush_at: None,
            unsched_flush_pending: false,
            rng: rng::stream(seed, &stream),
            feasible: Vec::new(),
            scores: Vec::new(),
            classes: Map::default(),
            tol_classes: Map::default(),
            tol_lists: Vec::new(),
            last_tols: (Vec::new(), 0),
            prefer_no_schedule_nodes: 0,
            binding: Default::default(),
            stats,
        }
    }

    /// Handles a watch event of its informers.
    pub fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        match &ev.obj {
            Object::Node(n) => self.on_node(ev.kind, n, cx),
            Object::Pod(p) => self.on_pod(ev.kind, p, cx),
            _ => {}
        }
    }

    fn on_node(&mut self, kind: WatchKind, n: &Rc<Node>, cx: &mut Cx) {
        let name = &n.meta.name;
        match (kind, self.node_index.get(name).copied()) {
            (WatchKind::Deleted, Some(i)) => {
                if self.nodes[i].prefer_no_schedule > 0 {
                    self.prefer_no_schedule_nodes -= 1;
                }
                self.nodes.remove(i);
                self.hot.remove(i);
                for m in &mut self.memo {
                    m.remove(i);
                }
                self.trees = Default::default();
                self.node_index.clear();
                for (j, ni) in self.nodes.iter().enumerate() {
                    self.node_index.insert(ni.name.clone(), j);
                }
                self.pods.for_each_value_mut(|e| {
                    e.node = match e.node {
                        Some(x) if x == i => None,
                        Some(x) if x > i => Some(x - 1),
                        other => other,
                    };
                });
                self.next_start = 0;
            }
            (WatchKind::Deleted, None) => {}
            (_, Some(i)) => {
                let old = self.update_node(i, n.clone());
                let helps = old.status.allocatable != n.status.allocatable
                    || old.status.extended != n.status.extended
                    || old.spec.taints != n.spec.taints
                    || old.spec.unschedulable != n.spec.unschedulable
                    || old.meta.labels != n.meta.labels;
                if helps {
                    self.move_all_unschedulable(cx);
                }
            }
            (_, None) => {
                let info = NodeInfo::new(name.clone(), n.clone());
                self.node_index.insert(name.clone(), self.nodes.len());
                self.push_node(info);
                self.move_all_unschedulable(cx);
            }
        }
    }

    /// Node `i` changed: the new object in, the old one returned.
    fn update_node(&mut self, i: usize, n: Rc<Node>) -> Rc<Node> {
        let old = self.nodes[i].node.clone();
        let had = self.nodes[i].prefer_no_schedule > 0;
        self.nodes[i].set_node(n);
        self.sync(i);
        let has = self.nodes[i].prefer_no_schedule > 0;
        self.prefer_no_schedule_nodes = self.prefer_no_schedule_nodes + has as usize - had as usize;
        old
    }

    /// The request class and toleration class of a pod's spec.
    fn classify(&mut self, spec: &PodSpec, requests: &Resources, nonzero: &Resources, ext: &Extended) -> (u32, u32) {
        let key = (requests.cpu_m, requests.memory, nonzero.cpu_m, nonzero.memory, ext.clone());
        let next = self.classes.len() as u32 + 1;
        let class = *self.classes.entry(key).or_insert(next);
        if self.last_tols.1 != 0 && self.last_tols.0 == spec.tolerations {
            return (class, self.last_tols.1);
        }
        let key: Vec<TolKey> = spec.tolerations.iter().map(tol_key).collect();
        let next = self.tol_classes.len() as u32 + 1;
        let tols = *self.tol_classes.entry(key).or_insert(next);
        if tols == next {
            self.tol_lists.push(spec.tolerations.clone());
        }
        self.last_tols = (spec.tolerations.clone(), tols);
        (class, tols)
    }

    fn on_pod(&mut self, kind: WatchKind, p: &Rc<Pod>, cx: &mut Cx) {
        let uid = p.meta.uid;
        let gone = kind == WatchKind::Deleted || p.status.phase.is_terminal();
        if gone {
            if let Some(e) = self.pods.remove(&uid) {
                self.unschedulable.swap_remove(&uid);
                if let Some(i) = e.node {
                    self.nodes[i].remove(&e);
                    self.sync(i);
                    self.move_unschedulable_fitting(i, cx);
                }
            }
            return;
        }
        if let Some(node_name) = p.node_name() {
            // Bound (by us or preset): count it on its node.
            let idx = self.node_index.get(node_name).copied();
            match self.pods.get_mut(&uid) {
                Some(e) => {
                    e.pod = p.clone();
                    e.where_ = Queue::None;
                    e.queue_gen = 0;
                    let (was, r, z) = (e.node, e.requests, e.nonzero);
                    e.node = idx;
                    if was != idx {
                        let ext = e.ext.clone();
                        if let Some(i) = was {
                            self.nodes[i].unreserve(r, z);
                            self.nodes[i].ext_requested.sub(&ext);
                            self.sync(i);
                        }
                        if let Some(i) = idx {
                            self.nodes[i].reserve(r, z);
                            self.nodes[i].ext_requested.add(&ext);
                            self.sync(i);
                        }
                    }
                    self.unschedulable.swap_remove(&uid);
                }
                None => {
                    let e = PodEntry::new(p.clone(), idx);
                    if let Some(i) = idx {
                        self.nodes[i].add(&e);
                        self.sync(i);
                    }
                    self.pods.insert(uid, e);
                }
            }
            return;
        }
        if *p.spec.scheduler_name != *DEFAULT_SCHEDULER {
            return;
        }
        if p.meta.deletion_timestamp.is_some() {
            // A pending pod kept by a finalizer after its delete: the
            // queue holds the new version, and the cycle that pops it
            // skips it (`skipPodSchedule`).
            if let Some(e) = self.pods.get_mut(&uid) {
                e.pod = p.clone();
            }
            return;
        }
        match self.pods.get_mut(&uid) {
            Some(e) if Rc::ptr_eq(&e.pod.spec, &p.spec) => e.pod = p.clone(),
            Some(e) => {
                // The spec changed (an update may add tolerations,
                // `validateOnlyAddedTolerations` in
                // pkg/apis/core/validation/validation.go): what was derived
                // from it at first sight is derived again, or the pod would
                // be filtered and served trees as the pod it was.
                let (old_r, old_z, node) = (e.requests, e.nonzero, e.node);
                let ext = p.spec.extended_requests();
                let old_ext = std::mem::replace(&mut e.ext, ext.clone());
                e.requests = p.spec.requests();
                e.nonzero = p.spec.nonzero_requests();
                e.pod = p.clone();
                let (r, z) = (e.requests, e.nonzero);
                if let Some(i) = node.filter(|_| (old_r, old_z, &old_ext) != (r, z, &ext)) {
                    // Assumed on a node, its bind not yet seen.
                    self.nodes[i].unreserve(old_r, old_z);
                    self.nodes[i].ext_requested.sub(&old_ext);
                    self.nodes[i].reserve(r, z);
                    self.nodes[i].ext_requested.add(&ext);
                    self.sync(i);
                }
                let (class, tols) = self.classify(&p.spec, &r, &z, &ext);
                let e = self.pods.get_mut(&uid).expect("entry");
                (e.class, e.tols) = (class, tols);
            }
            None => {
                let mut e = PodEntry::new(p.clone(), None);
                (e.class, e.tols) = self.classify(&p.spec, &e.requests, &e.nonzero, &e.ext);
                self.pods.insert(uid, e);
                self.push_active(uid, cx);
            }
        }
    }

    fn push_active(&mut self, uid: u64, cx: &mut Cx) {
        let gen = self.next_gen;
        self.next_gen += 1;
        let e = self.pods.get_mut(&uid).expect("known pod");
        e.queue_gen = gen;
        e.where_ = Queue::Active;
        self.order += 1;
        self.active.push((e.pod.spec.priority, Reverse(self.order), uid, gen));
        if !self.cycle_pending {
            self.cycle_pending = true;
            cx.after(SimDuration::ZERO, SchedEvent::Cycle as u64);
        }
    }

    fn backoff_duration(&self, attempts: u32, cx: &Cx) -> SimDuration {
        let shift = attempts.saturating_sub(1).min(30);
        let d = cx.config().pod_initial_backoff.0.saturating_mul(1u64 << shift);
        SimDuration(d.min(cx.config().pod_max_backoff.0))
    }

    /// Moves a pod out of the unschedulable pool: to backoffQ while its
    /// back-off lasts, else to activeQ.
    fn requeue(&mut self, uid: u64, cx: &mut Cx) {
        self.unschedulable.swap_remove(&uid);
        let Some(e) = self.pods.get(&uid) else { return };
        let until = e.last_attempt + self.backoff_duration(e.attempts, cx);
        if until <= cx.now() {
            self.push_active(uid, cx);
            return;
        }
        let gen = self.next_gen;
        self.next_gen += 1;
        let e = self.pods.get_mut(&uid).expect("known pod");
        e.queue_gen = gen;
        e.where_ = Queue::Backoff;
        self.order += 1;
        self.backoff.push(Reverse((until, self.order, uid, gen)));
        // backoffQ is flushed by a 1 s loop: the pod moves on the first
        // tick at or after its expiry.
        let tick = until.ceil_to(SimDuration::from_secs(1));
        if self.backoff_flush_at.is_none_or(|t| tick < t) {
            self.backoff_flush_at = Some(tick);
            cx.at(tick, SchedEvent::FlushBackoff as u64);
        }
    }

    fn move_all_unschedulable(&mut self, cx: &mut Cx) {
        let uids: Vec<u64> = self.unschedulable.keys().copied().collect();
        for u in uids {
            self.requeue(u, cx);
        }
    }

    /// After resources were freed on node `i`, retries the pods that would
    /// now fit there.
    fn move_unschedulable_fitting(&mut self, i: usize, cx: &mut Cx) {
        if self.unschedulable.is_empty() {
            return;
        }
        let (hot, ni) = (&self.hot[i], &self.nodes[i]);
        let uids: Vec<u64> = self
            .unschedulable
            .keys()
            .filter(|u| {
                let e = &self.pods[*u];
                hot.fits(&e.requests) && ni.fits_extended(&e.ext)
            })
            .copied()
            .collect();
        for u in uids {
            self.requeue(u, cx);
        }
    }

    /// Runs a scheduling cycle or a queue flush.
    fn on_event(&mut self, ev: SchedEvent, cx: &mut Cx) {
        match ev {
            SchedEvent::Cycle => {
                self.cycle_pending = false;
                self.schedule_one(cx);
                if !self.active.is_empty() {
                    self.cycle_pending = true;
                    let d = cx.config().scheduler_cycle;
                    cx.after(d, SchedEvent::Cycle as u64);
                }
            }
            SchedEvent::FlushBackoff => {
                if self.backoff_flush_at != Some(cx.now()) {
                    return;
                }
                self.backoff_flush_at = None;
                while let Some(Reverse((until, _, _, _))) = self.backoff.peek() {
                    if *until > cx.now() {
                        let tick = until.ceil_to(SimDuration::from_secs(1));
                        self.backoff_flush_at = Some(tick);
                        cx.at(tick, SchedEvent::FlushBackoff as u64);
                        break;
                    }
                    let Reverse((_, _, uid, gen)) = self.backoff.pop().expect("peeked");
                    if self.pods.get(&uid).is_some_and(|e| e.queue_gen == gen) {
                        self.push_active(uid, cx);
                    }
                }
            }
            SchedEvent::FlushUnschedulable => {
                self.unsched_flush_pending = false;
                let limit = cx.config().pod_max_in_unschedulable;
                let due: Vec<u64> = self
                    .unschedulable
                    .keys()
                    .filter(|u| cx.now().saturating_sub(self.pods[*u].unschedulable_since) >= limit)
                    .copied()
                    .collect();
                for u in due {
                    self.requeue(u, cx);
                }
                self.arm_unschedulable_flush(cx);
            }
        }
    }

    /// The 30 s loop that retries pods stuck unschedulable for 5 minutes;
    /// ticks only while the pool is not empty.
    fn arm_unschedulable_flush(&mut self, cx: &mut Cx) {
        if !self.unschedulable.is_empty() && !self.unsched_flush_pending {
            self.unsched_flush_pending = true;
            let t = cx.now().next_after(SimDuration::from_secs(30));
            cx.at(t, SchedEvent::FlushUnschedulable as u64);
        }
    }

    fn pop_active(&mut self) -> Option<u64> {
        while let Some((_, _, uid, gen)) = self.active.pop() {
            if self.pods.get(&uid).is_some_and(|e| e.queue_gen == gen && e.where_ == Queue::Active) {
                return Some(uid);
            }
        }
        None
    }

    fn push_node(&mut self, info: NodeInfo) {
        self.prefer_no_schedule_nodes += (info.prefer_no_schedule > 0) as usize;
        self.hot.push(NodeHot::of(&info));
        for m in &mut self.memo {
            m.push(ScoreSlot::default());
        }
        self.nodes.push(info);
        self.trees = Default::default();
    }

    /// Refreshes the hot copy of node `i`, and its leaf in every class
    /// tree, after a change.
    fn sync(&mut self, i: usize) {
        let hot = NodeHot::of(&self.nodes[i]);
        self.hot[i] = hot;
        for t in self.trees.iter_mut().flatten() {
            t.tree.set(i, class_leaf(&self.nodes[i], &hot, &t.kind));
        }
    }

    /// Builds the tree of the cycle's pod kind in its slot, unless it is
    /// there already; returns the slot.
    fn build_tree(&mut self, c: &Cycle) -> usize {
        let k = tree_slot(c.class, c.tols);
        let slot = &mut self.trees[k];
        if slot.as_ref().is_none_or(|t| t.kind.class != c.class || t.kind.tols != c.tols) {
            // The tolerations of the class the tree is filed under (the
            // cycle's pod belongs to it; any pod of the class reads the same).
            let tolerations = self.tol_lists[c.tols as usize - 1].clone();
            let tolerates_unsched = tolerates(&tolerations, TAINT_UNSCHEDULABLE, "", TaintEffect::NoSchedule);
            let kind = TreeKind {
                class: c.class,
                tols: c.tols,
                req: c.req,
                nonzero: c.nonzero,
                ext: c.ext.clone(),
                tolerations,
                tolerates_unsched,
            };
            let (nodes, hot) = (&self.nodes, &self.hot);
            let tree = ScoreTree::new((0..nodes.len()).map(|i| class_leaf(&nodes[i], &hot[i], &kind)));
            *slot = Some(ClassTree { kind, tree });
        }
        k
    }

    /// The score of node `i` for a pod of request class `class`, from the
    /// memo when the node has not changed since it was computed.
    #[inline]
    fn score_node(&mut self, i: usize, class: u32, nonzero: &Resources, req: &Resources) -> i64 {
        let k = class as usize % SCORE_SLOTS;
        let gen = self.hot[i].gen;
        let slot = self.memo[k][i];
        if slot.class == class && slot.gen == gen {
            return slot.score as i64;
        }
        let score = node_score(&self.nodes[i], nonzero, req);
        self.memo[k][i] = ScoreSlot { class, gen, score: score as i32 };
        score
    }

    /// Visits nodes from `c.start` round the ring until `c.want` are feasible
    /// or all were seen (upstream's `findNodesThatPassFilters` with its
    /// rotating start); `visit(i)` is told of each feasible node. Returns
    /// (nodes processed, nodes feasible).
    #[inline(always)]
    fn scan(
        hot: &[NodeHot],
        nodes: &[NodeInfo],
        c: &Cycle,
        rejected: &mut Rejections,
        mut visit: impl FnMut(usize),
    ) -> (usize, usize) {
        let (start, want, req) = (c.start, c.want, &c.req);
        let n = hot.len();
        let mut found = 0;
        let mut processed = 0;
        // Two straight runs, [start, n) then [0, start), instead of a
        // wrapping index: the hot loop stays branch-light.
        for range in [start..n, 0..start] {
            for i in range {
                if found == want {
                    return (processed, found);
                }
                processed += 1;
                let h = &hot[i];
                let ok = if c.simple && h.plain && h.fits(req) {
                    true
                } else {
                    filter(&nodes[i], c.spec, req, c.ext, c.tolerates_unsched, rejected)
                };
                if ok {
                    found += 1;
                    visit(i);
                }
            }
        }
        (processed, found)
    }

    /// The single pass used when every score is final as computed: filter,
    /// score (through the memo) and keep in `feasible` the nodes tied at the
    /// best score.
    fn filter_and_score(&mut self, c: &Cycle, rejected: &mut Rejections) -> (usize, usize) {
        let (class, req, nonzero) = (c.class, &c.req, &c.nonzero);
        let memo = &mut self.memo[class as usize % SCORE_SLOTS][..];
        let (hot, nodes, feasible) = (&self.hot[..], &self.nodes[..], &mut self.feasible);
        let mut best = i64::MIN;
        Self::scan(hot, nodes, c, rejected, |i| {
            let gen = hot[i].gen;
            let slot = &mut memo[i];
            let score = if slot.class == class && slot.gen == gen {
                slot.score as i64
            } else {
                let score = node_score(&nodes[i], nonzero, req);
                *slot = ScoreSlot { class, gen, score: score as i32 };
                score
            };
            if score > best {
                best = score;
                feasible.clear();
            }
            if score == best {
                feasible.push(i);
            }
        })
    }

    /// The filter pass alone: every feasible node goes to `feasible`, to be
    /// scored and normalized together.
    fn filter_only(&mut self, c: &Cycle, rejected: &mut Rejections) -> (usize, usize) {
        let feasible = &mut self.feasible;
        Self::scan(&self.hot, &self.nodes, c, rejected, |i| feasible.push(i))
    }

    /// `numFeasibleNodesToFind` (`pkg/scheduler/schedule_one.go`).
    fn num_to_find(&self, pct: u32) -> usize {
        let n = self.nodes.len();
        if n < 100 {
            return n;
        }
        let mut p = pct as i64;
        if p == 0 {
            p = 50 - (n as i64) / 125;
            p = p.max(5);
        }
        ((n as i64 * p / 100) as usize).max(100).min(n)
    }

    fn schedule_one(&mut self, cx: &mut Cx) {
        let Some(uid) = self.pop_active() else { return };
        let entry = &self.pods[&uid];
        let pod = entry.pod.clone();
        if pod.meta.deletion_timestamp.is_some() {
            // `skipPodSchedule`: a pod being deleted is not scheduled, nor
            // queued again (its deletion will take it out).
            let msg = format!("skip schedule deleting pod: {}/{}", pod.meta.namespace, pod.meta.name);
            cx.event_on(true, "FailedScheduling", "Pod", &pod.meta.namespace, &pod.meta.name, &msg);
            self.pods.get_mut(&uid).expect("popped").where_ = Queue::None;
            return;
        }
        self.stats.attempts.set(self.stats.attempts.get() + 1);
        let (req, nonzero, class, tols) = (entry.requests, entry.nonzero, entry.class, entry.tols);
        let ext = entry.ext.clone();
        let n = self.nodes.len();
        let want = self.num_to_find(cx.config().percentage_of_nodes_to_score);
        let c = Cycle::new(self.next_start, want, (class, tols), (req, nonzero), &ext, &pod.spec);
        let mut rejected = Rejections::default();
        let by_tree = if cx.config().score_trees { self.choose_by_tree(&c) } else { None };
        let choice = match by_tree {
            Some(choice) => {
                self.stats.tree_answered.set(self.stats.tree_answered.get() + 1);
                choice
            }
            None => self.choose_by_walk(&c, &mut rejected),
        };
        if n > 0 {
            self.next_start = (c.start + choice.processed) % n;
        }
        match choice.node {
            Some(chosen) => self.assume_and_bind(uid, &pod, chosen, cx),
            None => {
                let message = rejected.message(n);
                self.unschedulable_pod(uid, &pod, message, cx);
            }
        }
    }

    /// The walk, answered by the pod kind's tree: the same nodes visited,
    /// the same node chosen with the same tie-break draw. `None` (and no
    /// draw) where the tree cannot answer exactly: a pod with node
    /// constraints or preferred node affinity (its scores are normalized
    /// over the window), a window holding an unscored node, or a pod that
    /// fits nowhere (the walk tallies why for the event).
    fn choose_by_tree(&mut self, c: &Cycle) -> Option<Choice> {
        if !c.unconstrained || !c.spec.node_affinity.preferred.is_empty() || self.nodes.is_empty() {
            return None;
        }
        let k = self.build_tree(c);
        let tree = &self.trees[k].as_ref().expect("built").tree;
        let w = tree.window(c.start, c.want);
        if w.found == 0 {
            return None;
        }
        let (best, ties) = tree.best(&w);
        if best == UNSCORED {
            return None;
        }
        // Drawn as a usize, as the walk draws it (same stream, same numbers).
        let k = if ties > 1 { self.rng.gen_range(0..ties as usize) } else { 0 };
        let chosen = tree.nth_best(&w, best, k as u32);
        Some(Choice { node: Some(chosen), processed: w.processed, found: w.found })
    }

    /// The walk: filter from the rotating start until enough nodes are
    /// feasible, score them, break ties from the scheduler's stream.
    fn choose_by_walk(&mut self, c: &Cycle, rejected: &mut Rejections) -> Choice {
        // Without PreferNoSchedule taints anywhere and without preferred
        // affinity, every score is final as computed (nothing is normalized
        // across nodes), so filter, score and best-tracking share one pass.
        let one_pass = self.prefer_no_schedule_nodes == 0 && c.spec.node_affinity.preferred.is_empty();
        self.feasible.clear();
        self.scores.clear();
        let (processed, found) =
            if one_pass { self.filter_and_score(c, rejected) } else { self.filter_only(c, rejected) };
        if found == 0 {
            return Choice { node: None, processed, found };
        }
        let chosen = if one_pass {
            let ties = self.feasible.len();
            // A lone feasible node is chosen without scoring upstream; its
            // score here changed nothing.
            if found > 1 && ties > 1 {
                self.feasible[self.rng.gen_range(0..ties)]
            } else {
                self.feasible[0]
            }
        } else if self.feasible.len() == 1 {
            self.feasible[0]
        } else {
            // NodeResourcesFit (LeastAllocated) + BalancedAllocation, then
            // the normalized scores.
            for k in 0..self.feasible.len() {
                let i = self.feasible[k];
                let score = self.score_node(i, c.class, &c.nonzero, &c.req);
                self.scores.push(score);
            }
            self.select_host(c.spec)
        };
        Choice { node: Some(chosen), processed, found }
    }

    /// Assume: count the pod on the node now, before the bind lands; then
    /// send the binding (its answer: `on_bound`, `on_bind_failed`).
    fn assume_and_bind(&mut self, uid: u64, pod: &Rc<Pod>, chosen: usize, cx: &mut Cx) {
        let node_name = self.nodes[chosen].name.clone();
        let e = self.pods.get_mut(&uid).expect("popped pod");
        e.node = Some(chosen);
        e.where_ = Queue::Binding;
        e.attempts += 1;
        e.last_attempt = cx.now();
        let (r, z) = (e.requests, e.nonzero);
        self.nodes[chosen].reserve(r, z);
        self.nodes[chosen].ext_requested.add(&e.ext);
        self.sync(chosen);
        let key = Key::of(&pod.meta);
        let req = cx.send(ApiOp::Bind { key: key.clone(), uid, node: node_name });
        self.binding.insert(req, (uid, key));
    }

    /// A bind succeeded: `bindingCycle`'s `Scheduled` Event, once the
    /// binding call returns. (The cache learns of the bind from the
    /// watch.)
    fn on_bound(&mut self, req: RequestId, bound: &Object, cx: &mut Cx) {
        self.binding.remove(&req);
        let Object::Pod(p) = bound else { return };
        let (ns, name, node) = (&*p.meta.namespace, &*p.meta.name, p.node_name().unwrap_or(""));
        cx.event_parts_on(
            false,
            "Scheduled",
            "Pod",
            ns,
            name,
            &["Successfully assigned ", ns, "/", name, " to ", node],
        );
    }

    /// Adds the scores that only matter when some node or the pod makes them
    /// differ (TaintToleration, NodeAffinity), then picks the best node,
    /// breaking ties uniformly from the scheduler's stream.
    fn select_host(&mut self, spec: &PodSpec) -> usize {
        let need_taint = self.feasible.iter().any(|&i| self.nodes[i].prefer_no_schedule > 0);
        if need_taint {
            // TaintToleration: fewer intolerable PreferNoSchedule taints is
            // better; normalized reversed to [0, 100], weight 3.
            let counts: Vec<i64> = self
                .feasible
                .iter()
                .map(|&i| count_prefer_no_schedule(&self.nodes[i], &spec.tolerations) as i64)
                .collect();
            let max = *counts.iter().max().unwrap_or(&0);
            for (s, c) in self.scores.iter_mut().zip(&counts) {
                *s += 3 * if max == 0 { 100 } else { 100 - 100 * c / max };
            }
        }
        if !spec.node_affinity.preferred.is_empty() {
            // NodeAffinity preferred terms: normalized to [0, 100], weight 2.
            let sums: Vec<i64> = self
                .feasible
                .iter()
                .map(|&i| preferred_affinity_sum(&spec.node_affinity, &self.nodes[i]) as i64)
                .collect();
            let max = *sums.iter().max().unwrap_or(&0);
            for (s, a) in self.scores.iter_mut().zip(&sums) {
                *s += 2 * if max == 0 { 0 } else { 100 * a / max };
            }
        }
        let best = *self.scores.iter().max().expect("feasible is not empty");
        let ties = self.scores.iter().filter(|&&s| s == best).count();
        let mut pick = if ties > 1 { self.rng.gen_range(0..ties) } else { 0 };
        for (k, &s) in self.scores.iter().enumerate() {
            if s == best {
                if pick == 0 {
                    return self.feasible[k];
                }
                pick -= 1;
            }
        }
        unreachable!("a best score exists")
    }

    fn unschedulable_pod(&mut self, uid: u64, pod: &Rc<Pod>, message: String, cx: &mut Cx) {
        cx.event_on(true, "FailedScheduling", "Pod", &pod.meta.namespace, &pod.meta.name, &message);
        let already = pod
            .status
            .conditions
            .pod_scheduled
            .as_ref()
            .is_some_and(|c| c.status == CondStatus::False && c.message.as_deref() == Some(message.as_str()));
        if !already {
            let mut cond = Condition::new(CondStatus::False, cx.now());
            cond.reason = Some("Unschedulable".into());
            cond.message = Some(message.into());
            cx.send_unanswered(ApiOp::PodCondition {
                key: Key::of(&pod.meta),
                uid,
                which: PodConditionType::PodScheduled,
                cond,
            });
        }
        let e = self.pods.get_mut(&uid).expect("popped pod");
        e.attempts += 1;
        e.last_attempt = cx.now();
        e.where_ = Queue::Unschedulable;
        e.queue_gen = 0;
        e.unschedulable_since = cx.now();
        self.unschedulable.insert(uid, ());
        self.arm_unschedulable_flush(cx);
    }

    /// A bind failed (`handleBindingCycleError`): forget the assumption
    /// (`ForgetPod`), retry the pods the freed room may help (the
    /// `AssignedPodDelete` move), then the failure handler: a
    /// `FailedScheduling` Warning whose message is the bind plugin's error,
    /// and the pod back in the queue after its back-off, unless the
    /// scheduler's informer already shows it bound. (Its
    /// `PodScheduled=False` `SchedulerError` patch is not modelled.)
    fn on_bind_failed(&mut self, req: RequestId, err: &ApiError, cx: &mut Cx) {
        let Some((uid, key)) = self.binding.remove(&req) else { return };
        if let Some(e) = self.pods.get_mut(&uid).filter(|e| e.where_ == Queue::Binding) {
            if let Some(i) = e.node.take() {
                let (r, z) = (e.requests, e.nonzero);
                self.nodes[i].unreserve(r, z);
                self.nodes[i].ext_requested.sub(&e.ext);
                self.sync(i);
                self.move_unschedulable_fitting(i, cx);
            }
        }
        // `RunBindPlugins`' wrapping of the binder's error.
        let message = format!("running Bind plugin \"DefaultBinder\": {}", err.message);
        cx.event_on(true, "FailedScheduling", "Pod", &key.namespace, &key.name, &message);
        let Some(e) = self.pods.get_mut(&uid).filter(|e| e.where_ == Queue::Binding) else { return };
        e.where_ = Queue::Unschedulable;
        self.unschedulable.insert(uid, ());
        self.requeue(uid, cx);
    }
}

/// kube-scheduler as a component: it watches nodes and pods, keeps time
/// with its queue's timers, and hears back only its binds' errors.
impl Controller for Scheduler {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Node, Kind::Pod]
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        Scheduler::on_watch(self, ev, cx);
    }

    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if let Some(ev) = SchedEvent::of_token(token) {
            self.on_event(ev, cx);
        }
    }

    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        match result {
            Ok(bound) => self.on_bound(req, bound, cx),
            Err(err) => self.on_bind_failed(req, err, cx),
        }
    }
}

impl PodEntry {
    fn new(pod: Rc<Pod>, node: Option<usize>) -> Self {
        PodEntry {
            requests: pod.spec.requests(),
            nonzero: pod.spec.nonzero_requests(),
            ext: pod.spec.extended_requests(),
            class: 0,
            tols: 0,
            pod,
            node,
            attempts: 0,
            last_attempt: SimTime::ZERO,
            queue_gen: 0,
            where_: Queue::None,
            unschedulable_since: SimTime::ZERO,
        }
    }
}

impl NodeInfo {
    /// A node with nothing placed on it yet.
    fn new(name: Rc<str>, n: Rc<Node>) -> Self {
        let mut info = NodeInfo {
            allocatable: Resources::default(),
            alloc_f: None,
            requested: Resources::default(),
            nonzero_requested: Resources::default(),
            ext_allocatable: Extended::default(),
            ext_requested: Extended::default(),
            unschedulable: false,
            has_hard_taints: false,
            prefer_no_schedule: 0,
            name,
            node: n.clone(),
            gen: 0,
        };
        info.set_node(n);
        info
    }
    fn set_node(&mut self, n: Rc<Node>) {
        self.gen = self.gen.wrapping_add(1);
        self.allocatable = n.status.allocatable;
        self.ext_allocatable = n.status.extended.clone();
        let (c, m) = (self.allocatable.cpu_m, self.allocatable.memory);
        let exact = |v: u64| v > 0 && v < (1 << 46);
        self.alloc_f = (exact(c) && exact(m)).then_some((c as i64 as f64, m as i64 as f64));
        self.unschedulable = n.spec.unschedulable;
        self.has_hard_taints = n.spec.taints.iter().any(|t| t.effect != TaintEffect::PreferNoSchedule);
        self.prefer_no_schedule =
            n.spec.taints.iter().filter(|t| t.effect == TaintEffect::PreferNoSchedule).count() as u32;
        self.node = n;
    }
    fn add(&mut self, e: &PodEntry) {
        self.reserve(e.requests, e.nonzero);
        self.ext_requested.add(&e.ext);
    }
    fn remove(&mut self, e: &PodEntry) {
        self.unreserve(e.requests, e.nonzero);
        self.ext_requested.sub(&e.ext);
    }
    /// NodeResourcesFit for extended resources: every one the pod
    /// requests fits in what the node has left.
    fn fits_extended(&self, ext: &Extended) -> bool {
        ext.is_empty() || Extended::first_short(ext, &self.ext_requested, &self.ext_allocatable).is_none()
    }
    /// Every change of what the scores read goes through here (and
    /// `set_node`), so the generation invalidates the score cache.
    fn reserve(&mut self, r: Resources, z: Resources) {
        self.requested += r;
        self.nonzero_requested += z;
        self.gen = self.gen.wrapping_add(1);
    }
    fn unreserve(&mut self, r: Resources, z: Resources) {
        self.requested -= r;
        self.nonzero_requested -= z;
        self.gen = self.gen.wrapping_add(1);
    }
}

/// What one scheduling cycle's walk needs to know of the pod and where to
/// start.
struct Cycle<'a> {
    start: usize,
    want: usize,
    /// Request class, toleration class, requests, and requests with the
    /// scoring defaults.
    class: u32,
    tols: u32,
    req: Resources,
    nonzero: Resources,
    /// Extended-resource requests.
    ext: &'a Extended,
    spec: &'a PodSpec,
    /// No node constraints (nodeSelector, required node affinity).
    unconstrained: bool,
    /// Unconstrained and no extended resources: `NodeHot::fits` alone
    /// decides on plain nodes.
    simple: bool,
    tolerates_unsched: bool,
}

impl<'a> Cycle<'a> {
    /// The cycle of a pod of request and toleration classes `classes`,
    /// with requests `reqs` (as requested, and with the scoring defaults).
    fn new(
        start: usize,
        want: usize,
        (class, tols): (u32, u32),
        (req, nonzero): (Resources, Resources),
        ext: &'a Extended,
        spec: &'a PodSpec,
    ) -> Self {
        let unconstrained = spec.node_selector.is_empty() && spec.node_affinity.required.is_none();
        Cycle {
            start,
            want,
            class,
            tols,
            req,
            nonzero,
            ext,
            spec,
            unconstrained,
            // A pod with no node constraints and no extended resources
            // needs only the hot resource check on a node without hard
            // taints and not cordoned.
            simple: unconstrained && ext.is_empty(),
            tolerates_unsched: tolerates(&spec.tolerations, TAINT_UNSCHEDULABLE, "", TaintEffect::NoSchedule),
        }
    }
}

/// What a cycle decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Choice {
    /// The node to bind to; `None`: no node is feasible.
    node: Option<usize>,
    /// Nodes visited (the next start moves by this many) and nodes found
    /// feasible among them.
    processed: usize,
    found: usize,
}

/// A toleration as the filters and scores read it.
type TolKey = (Rc<str>, bool, Rc<str>, Option<u8>);

fn tol_key(t: &Toleration) -> TolKey {
    (t.key.clone(), t.exists, t.value.clone(), t.effect.map(|e| e as u8))
}

/// The kind of pod a tree serves: pods without node constraints and with
/// these requests and tolerations (all equal for every filter and score).
struct TreeKind {
    class: u32,
    tols: u32,
    req: Resources,
    nonzero: Resources,
    ext: Extended,
    tolerations: Vec<Toleration>,
    tolerates_unsched: bool,
}

struct ClassTree {
    kind: TreeKind,
    tree: ScoreTree,
}

fn tree_slot(class: u32, tols: u32) -> usize {
    (class as usize).wrapping_add((tols as usize).wrapping_mul(5)) % SCORE_SLOTS
}

/// Node `i`'s leaf in the tree of `kind`: the filters of `filter` for a
/// pod without node constraints, and the scores of `select_host`.
fn class_leaf(ni: &NodeInfo, hot: &NodeHot, kind: &TreeKind) -> Leaf {
    if !hot.fits(&kind.req) || !ni.fits_extended(&kind.ext) {
        return Leaf::Infeasible;
    }
    if !hot.plain
        && ((ni.unschedulable && !kind.tolerates_unsched) || untolerated_hard_taint(ni, &kind.tolerations).is_some())
    {
        return Leaf::Infeasible;
    }
    // TaintToleration's score is normalized over the scored nodes: exact
    // only when every feasible node counts 0 intolerable PreferNoSchedule
    // taints (all score the same).
    if ni.prefer_no_schedule > 0 && count_prefer_no_schedule(ni, &kind.tolerations) > 0 {
        return Leaf::Unscored;
    }
    Leaf::Scored(node_score(ni, &kind.nonzero, &kind.req) as i32)
}

/// TaintToleration's filter: the first NoSchedule or NoExecute taint the
/// pod does not tolerate (PreferNoSchedule ones only score).
fn untolerated_hard_taint<'a>(ni: &'a NodeInfo, tols: &[Toleration]) -> Option<&'a Taint> {
    if !ni.has_hard_taints {
        return None;
    }
    ni.node
        .spec
        .taints
        .iter()
        .find(|t| t.effect != TaintEffect::PreferNoSchedule && !tols.iter().any(|x| x.tolerates(t)))
}

fn tolerates(tols: &[Toleration], key: &str, value: &str, effect: TaintEffect) -> bool {
    let t = crate::objects::pod::Taint { key: key.into(), value: value.into(), effect, time_added: None };
    tols.iter().any(|x| x.tolerates(&t))
}

/// The filter plugins in their upstream order; the first that rejects the
/// node is counted in `rejected` (NodeResourcesFit counts every resource
/// that is short, as upstream does).
fn filter(
    ni: &NodeInfo,
    spec: &PodSpec,
    req: &Resources,
    ext: &Extended,
    tolerates_unsched: bool,
    rejected: &mut Rejections,
) -> bool {
    let node = &ni.node;
    // NodeUnschedulable
    if ni.unschedulable && !tolerates_unsched {
        rejected.unschedulable += 1;
        return false;
    }
    // TaintToleration: NoSchedule and NoExecute taints must be tolerated.
    if let Some(t) = untolerated_hard_taint(ni, &spec.tolerations) {
        *rejected.taints.entry((t.key.clone(), t.value.clone())).or_default() += 1;
        return false;
    }
    // NodeAffinity: nodeSelector and required terms.
    if !node_affinity_matches(&node.meta.name, &node.meta.labels, &spec.node_selector, &spec.node_affinity) {
        rejected.affinity += 1;
        return false;
    }
    // NodeResourcesFit (`fitsRequest`): the pod count always, cpu and
    // memory only when requested.
    let alloc = &ni.allocatable;
    let mut ok = true;
    if ni.requested.pods + req.pods > alloc.pods {
        rejected.too_many_pods += 1;
        ok = false;
    }
    if req.cpu_m > 0 && ni.requested.cpu_m + req.cpu_m > alloc.cpu_m {
        rejected.cpu += 1;
        ok = false;
    }
    if req.memory > 0 && ni.requested.memory + req.memory > alloc.memory {
        rejected.memory += 1;
        ok = false;
    }
    // Then each extended resource the pod requests (`fitsRequest`'s
    // ScalarResources loop: every short one is a reason).
    for (name, v) in ext.iter() {
        if v > 0 && ni.ext_requested.get(name).saturating_add(v) > ni.ext_allocatable.get(name) {
            *rejected.extended.entry(name.clone()).or_default() += 1;
            ok = false;
        }
    }
    rejected.resource_nodes += u32::from(!ok);
    ok
}

pub use crate::objects::pod::node_affinity_matches;

fn preferred_affinity_sum(aff: &NodeAffinity, ni: &NodeInfo) -> i32 {
    aff.preferred.iter().filter(|(_, t)| t.matches(&ni.name, &ni.node.meta.labels)).map(|(w, _)| *w).sum()
}

fn count_prefer_no_schedule(ni: &NodeInfo, tols: &[Toleration]) -> u32 {
    ni.node
        .spec
        .taints
        .iter()
        .filter(|t| t.effect == TaintEffect::PreferNoSchedule && !tols.iter().any(|x| x.tolerates(t)))
        .count() as u32
}

/// NodeResourcesFit (LeastAllocated, cpu:memory 1:1) plus
/// NodeResourcesBalancedAllocation, both weight 1. The fast path is the
/// same arithmetic as `least_allocated` and `balanced_allocation` with the
/// node's capacities converted once.
#[inline]
fn node_score(ni: &NodeInfo, nonzero: &Resources, req: &Resources) -> i64 {
    let a = &ni.allocatable;
    let Some((cf, mf)) = ni.alloc_f else {
        return least_allocated_score(&ni.nonzero_requested, nonzero, a) + balanced_allocation(&ni.requested, req, a);
    };
    let least = |r: u64, cap: u64, capf: f64| -> i64 {
        if r > cap {
            0
        } else {
            (((cap - r) * 100) as i64 as f64 / capf) as i64
        }
    };
    let fit = (least(ni.nonzero_requested.cpu_m + nonzero.cpu_m, a.cpu_m, cf)
        + least(ni.nonzero_requested.memory + nonzero.memory, a.memory, mf))
        / 2;
    let clamp = |f: f64| if f > 1.0 { 1.0 } else { f };
    let fc = clamp((ni.requested.cpu_m + req.cpu_m) as i64 as f64 / cf);
    let fm = clamp((ni.requested.memory + req.memory) as i64 as f64 / mf);
    fit + ((1.0 - (fc - fm).abs() / 2.0) * 100.0) as i64
}

/// `leastResourceScorer` for cpu and memory, weights 1:1: a resource the
/// node has none of is left out (`resourceAllocationScorer.score` leaves
/// allocatable 0 unset and the scorer skips it), none left scores 0.
fn least_allocated_score(used: &Resources, pod: &Resources, alloc: &Resources) -> i64 {
    let (mut sum, mut weights) = (0, 0);
    for (requested, capacity) in [(used.cpu_m + pod.cpu_m, alloc.cpu_m), (used.memory + pod.memory, alloc.memory)] {
        if capacity > 0 {
            sum += least_allocated(requested, capacity);
            weights += 1;
        }
    }
    if weights == 0 {
        0
    } else {
        sum / weights
    }
}

/// `leastRequestedScore`: (capacity − requested) × 100 / capacity, in
/// integer arithmetic. Computed with one f64 division, which gives the
/// same floor exactly while capacity < 2^46: the quotient is below 101, so
/// a quotient that is not an integer lies at least 1/capacity from the next
/// integer, more than the half-ulp rounding error. Larger capacities take
/// the integer path.
fn least_allocated(requested: u64, capacity: u64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    if capacity < (1 << 46) {
        (((capacity - requested) * 100) as f64 / capacity as f64) as i64
    } else {
        ((capacity - requested) as u128 * 100 / capacity as u128) as i64
    }
}

/// `balancedResourceScorer` for cpu and memory: (1 − |f_cpu − f_mem| / 2) × 100
/// with fractions capped at 1 (an over-committed resource counts as full).
/// A resource the node has none of is left out, and with fewer than two
/// left the deviation is 0 (score 100).
fn balanced_allocation(requested: &Resources, req: &Resources, alloc: &Resources) -> i64 {
    if alloc.cpu_m == 0 || alloc.memory == 0 {
        return 100;
    }
    let frac = |r: u64, a: u64| (r as f64 / a as f64).min(1.0);
    let fc = frac(requested.cpu_m + req.cpu_m, alloc.cpu_m);
    let fm = frac(requested.memory + req.memory, alloc.memory);
    let std = (fc - fm).abs() / 2.0;
    ((1.0 - std) * 100.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The v1.32 wording, as real clusters print it (e.g. "0/3 nodes are
    /// available: 1 node(s) were unschedulable, 2 Too many pods.
    /// preemption: 0/3 nodes are available: 1 Preemption is not helpful for
    /// scheduling, 2 No preemption victims found for incoming pod.").
    #[test]
    fn failed_scheduling_message_ends_with_the_preemption_verdict() {
        let r = Rejections { cpu: 3, resource_nodes: 3, ..Default::default() };
        assert_eq!(
            r.message(3),
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: \
             3 No preemption victims found for incoming pod."
        );
        let r = Rejections { unschedulable: 1, too_many_pods: 2, resource_nodes: 2, ..Default::default() };
        assert_eq!(
            r.message(3),
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 Too many pods. preemption: 0/3 nodes are \
             available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod."
        );
        let r = Rejections { affinity: 3, ..Default::default() };
        assert_eq!(
            r.message(3),
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes \
             are available: 3 Preemption is not helpful for scheduling."
        );
        assert_eq!(Rejections::default().message(0), "no nodes available to schedule pods");
    }

    #[test]
    fn least_allocated_float_path_is_exact() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200_000 {
            let cap: u64 = rng.gen_range(1..(1u64 << 46));
            let req: u64 = if rng.gen_bool(0.2) {
                cap / rng.gen_range(1..200) * rng.gen_range(0..3)
            } else {
                rng.gen_range(0..=cap)
            };
            let exact = if req > cap { 0 } else { ((cap - req) as u128 * 100 / cap as u128) as i64 };
            assert_eq!(least_allocated(req, cap), exact, "req {req} cap {cap}");
        }
    }

    #[test]
    fn fast_node_score_matches_reference() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for _ in 0..100_000 {
            let alloc =
                Resources { cpu_m: rng.gen_range(1..200_000), memory: rng.gen_range(1..(1u64 << 40)), pods: 110 };
            let used =
                Resources { cpu_m: rng.gen_range(0..=alloc.cpu_m), memory: rng.gen_range(0..=alloc.memory), pods: 1 };
            let mut ni = NodeInfo::new("n".into(), Rc::new(crate::testutil::node("n", alloc.cpu_m, alloc.memory)));
            ni.reserve(used, used);
            let req = Resources { cpu_m: rng.gen_range(0..16_000), memory: rng.gen_range(0..(1u64 << 36)), pods: 1 };
            let reference = (least_allocated(used.cpu_m + req.cpu_m, alloc.cpu_m)
                + least_allocated(used.memory + req.memory, alloc.memory))
                / 2
                + balanced_allocation(&used, &req, &alloc);
            assert_eq!(node_score(&ni, &req, &req), reference);
        }
    }

    #[test]
    fn score_memo_is_invalidated_by_every_change() {
        let n = Rc::new(crate::testutil::node("n", 4000, 8 << 30));
        let ni = NodeInfo::new("n".into(), n);
        let mut s = Scheduler::new(1);
        s.push_node(ni);
        let req = Resources { cpu_m: 1000, memory: 1 << 30, pods: 1 };
        let first = s.score_node(0, 1, &req, &req);
        assert_eq!(first, node_score(&s.nodes[0], &req, &req));
        s.nodes[0].reserve(req, req);
        s.sync(0);
        let second = s.score_node(0, 1, &req, &req);
        assert_eq!(second, node_score(&s.nodes[0], &req, &req));
        assert_ne!(first, second, "a stale score was served");
        s.nodes[0].unreserve(req, req);
        s.sync(0);
        assert_eq!(s.score_node(0, 1, &req, &req), first);
        // Classes sharing a slot evict each other but stay right.
        for class in 2..40 {
            let r = Resources { cpu_m: 100 * class as u64, memory: 1 << 28, pods: 1 };
            assert_eq!(s.score_node(0, class, &r, &r), node_score(&s.nodes[0], &r, &r));
            assert_eq!(s.score_node(0, class, &r, &r), node_score(&s.nodes[0], &r, &r));
        }
    }

    #[test]
    fn score_formulas() {
        assert_eq!(least_allocated(0, 1000), 100);
        assert_eq!(least_allocated(250, 1000), 75);
        assert_eq!(least_allocated(2000, 1000), 0);
        let alloc = Resources { cpu_m: 1000, memory: 1000, pods: 10 };
        let r = Resources { cpu_m: 500, memory: 0, pods: 1 };
        // f_cpu = 0.5, f_mem = 0 → std 0.25 → 75.
        assert_eq!(balanced_allocation(&Resources::default(), &r, &alloc), 75);
    }

    /// A Kubernetes-shaped cluster and pods for the tree-against-walk tests.
    mod cluster {
        use super::super::*;
        use crate::objects::pod::{Container, NodeSelectorTerm, PullPolicy};
        use crate::objects::selector::{Op, Requirement};
        use rand::seq::SliceRandom;

        const KEYS: [&str; 3] = ["dedicated", "node-role.kubernetes.io/control-plane", "spot"];
        const VALUES: [&str; 2] = ["", "ml"];
        const EFFECTS: [TaintEffect; 3] =
            [TaintEffect::NoSchedule, TaintEffect::PreferNoSchedule, TaintEffect::NoExecute];
        const GI: u64 = 1 << 30;

        /// Nodes of few shapes (ties are common), some cordoned, some
        /// tainted, a few with no cpu or no memory allocatable.
        pub fn node(rng: &mut ChaCha8Rng, name: &str) -> Node {
            let cpu = if rng.gen_bool(0.03) { 0 } else { *[2000, 4000, 4000].choose(rng).expect("some") };
            let memory = if rng.gen_bool(0.03) { 0 } else { *[4 * GI, 8 * GI, 8 * GI].choose(rng).expect("some") };
            let mut n = crate::testutil::node(name, cpu, memory);
            n.status.allocatable.pods = *[3, 8, 110].choose(rng).expect("some");
            n.spec.unschedulable = rng.gen_bool(0.15);
            for _ in 0..2 {
                if rng.gen_bool(0.3) {
                    n.spec.taints.push(Taint {
                        key: KEYS.choose(rng).expect("some").to_string(),
                        value: VALUES.choose(rng).expect("some").to_string(),
                        effect: *EFFECTS.choose(rng).expect("some"),
                        time_added: None,
                    });
                }
            }
            if rng.gen_bool(0.5) {
                Rc::make_mut(&mut n.meta.labels).insert("disk".into(), "ssd".into());
            }
            // A third of the nodes have GPUs (as an extended resource),
            // some of them none left to give.
            if rng.gen_bool(0.3) {
                n.status.extended.set(GPU.into(), rng.gen_range(0..4));
            }
            n
        }

        pub const GPU: &str = "example.com/gpu";

        /// Extended resources of a pod: now and then 1 or 2 GPUs.
        pub fn extended(rng: &mut ChaCha8Rng) -> Extended {
            let mut e = Extended::default();
            if rng.gen_bool(0.15) {
                e.set(GPU.into(), rng.gen_range(1..=2));
            }
            e
        }

        /// Pods of few shapes, often requesting nothing, often tolerating
        /// something; a few with node constraints or preferences.
        pub fn pod(rng: &mut ChaCha8Rng) -> PodSpec {
            let mut c = Container::new("c", "img", PullPolicy::IfNotPresent);
            c.requests.cpu_m = *[0, 0, 100, 500, 1500].choose(rng).expect("some");
            c.requests.memory = *[0, 0, GI / 8, GI, 3 * GI].choose(rng).expect("some");
            c.has_cpu_request = c.requests.cpu_m > 0 || rng.gen_bool(0.2);
            c.has_memory_request = c.requests.memory > 0 || rng.gen_bool(0.2);
            c.extended = extended(rng);
            let mut spec = PodSpec { containers: Rc::from([c]), ..Default::default() };
            for _ in 0..3 {
                if rng.gen_bool(0.3) {
                    let exists = rng.gen_bool(0.5);
                    let key = if exists && rng.gen_bool(0.1) { "" } else { KEYS.choose(rng).expect("some") };
                    spec.tolerations.push(Toleration {
                        key: key.into(),
                        exists,
                        value: VALUES.choose(rng).expect("some").to_string().into(),
                        effect: if rng.gen_bool(0.3) { None } else { Some(*EFFECTS.choose(rng).expect("some")) },
                        toleration_seconds: None,
                    });
                }
            }
            if rng.gen_bool(0.1) {
                spec.tolerations.push(Toleration {
                    key: TAINT_UNSCHEDULABLE.into(),
                    exists: true,
                    value: "".into(),
                    effect: Some(TaintEffect::NoSchedule),
                    toleration_seconds: None,
                });
            }
            let ssd = || NodeSelectorTerm {
                match_expressions: vec![Requirement { key: "disk".into(), op: Op::In, values: vec!["ssd".into()] }],
                match_fields: vec![],
            };
            match rng.gen_range(0..20) {
                0 => {
                    spec.node_selector.insert("disk".into(), "ssd".into());
                }
                1 => spec.node_affinity.preferred.push((5, ssd())),
                2 => spec.node_affinity.required = Some(vec![ssd()]),
                _ => {}
            }
            spec
        }

        /// Requests of a pod bound with `nodeName` (no filter ran): up to
        /// well past a node's allocatable.
        pub fn preset(rng: &mut ChaCha8Rng) -> Resources {
            Resources { cpu_m: rng.gen_range(0..6000), memory: rng.gen_range(0..12 * GI), pods: 1 }
        }
    }

    /// The fast path against the walk on random clusters as real ones
    /// look (see `cluster`), with nodes changing and pods binding between
    /// cycles. In every cycle the tree must answer exactly when it can (a
    /// pod without node constraints or preferences, a feasible window with
    /// no intolerable PreferNoSchedule taint), and then agree with the walk
    /// on the node, the processed and feasible counts and the tie-break
    /// draws; and the walk must agree with a plain walk over `filter`.
    fn tree_against_walk(seed: u64, nodes: usize, pct: u32, cycles: usize) {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut s = Scheduler::new(seed);
        let mut bound: Vec<(usize, Resources, Resources, Extended)> = Vec::new();
        for i in 0..nodes {
            let name = format!("node-{i}");
            let n = Rc::new(cluster::node(&mut rng, &name));
            s.push_node(NodeInfo::new(name.into(), n));
            if rng.gen_bool(0.2) {
                let (r, x) = (cluster::preset(&mut rng), cluster::extended(&mut rng));
                s.nodes[i].reserve(r, r);
                s.nodes[i].ext_requested.add(&x);
                s.sync(i);
                bound.push((i, r, r, x));
            }
        }
        for _ in 0..cycles {
            // The cluster changes: a node's taints, cordon or capacity; a
            // pod leaves; a pod bound with `nodeName` over-commits a node.
            if rng.gen_bool(0.15) {
                let i = rng.gen_range(0..nodes);
                let name = format!("node-{i}");
                let n = Rc::new(cluster::node(&mut rng, &name));
                s.update_node(i, n);
            }
            if rng.gen_bool(0.15) && !bound.is_empty() {
                let (i, r, z, x) = bound.swap_remove(rng.gen_range(0..bound.len()));
                s.nodes[i].unreserve(r, z);
                s.nodes[i].ext_requested.sub(&x);
                s.sync(i);
            }
            if rng.gen_bool(0.1) {
                let (i, r, x) = (rng.gen_range(0..nodes), cluster::preset(&mut rng), cluster::extended(&mut rng));
                s.nodes[i].reserve(r, r);
                s.nodes[i].ext_requested.add(&x);
                s.sync(i);
                bound.push((i, r, r, x));
            }
            let spec = cluster::pod(&mut rng);
            let (req, nonzero) = (spec.requests(), spec.nonzero_requests());
            let ext = spec.extended_requests();
            let (class, tols) = s.classify(&spec, &req, &nonzero, &ext);
            let c = Cycle::new(s.next_start, s.num_to_find(pct), (class, tols), (req, nonzero), &ext, &spec);
            // The plain walk over the filters.
            let mut feasible = Vec::new();
            let mut processed = 0;
            for i in (c.start..nodes).chain(0..c.start) {
                if feasible.len() == c.want {
                    break;
                }
                processed += 1;
                if filter(&s.nodes[i], &spec, &req, &ext, c.tolerates_unsched, &mut Rejections::default()) {
                    feasible.push(i);
                }
            }
            let answerable = c.unconstrained
                && spec.node_affinity.preferred.is_empty()
                && !feasible.is_empty()
                && feasible.iter().all(|&i| count_prefer_no_schedule(&s.nodes[i], &spec.tolerations) == 0);

            let before = s.rng.clone();
            let by_tree = s.choose_by_tree(&c);
            let after_tree = std::mem::replace(&mut s.rng, before);
            let walked = s.choose_by_walk(&c, &mut Rejections::default());
            assert_eq!((walked.processed, walked.found), (processed, feasible.len()), "seed {seed}");
            assert!(walked.node.is_none_or(|i| feasible.contains(&i)));
            assert_eq!(by_tree.is_some(), answerable, "seed {seed}: tree answered {by_tree:?}, walk {walked:?}");
            if let Some(t) = by_tree {
                assert_eq!(t, walked, "seed {seed}");
                assert_eq!(after_tree.get_word_pos(), s.rng.get_word_pos(), "seed {seed}: tie-break draws differ");
            }
            s.next_start = (c.start + walked.processed) % nodes;
            if let Some(i) = walked.node {
                s.nodes[i].reserve(req, nonzero);
                s.nodes[i].ext_requested.add(&ext);
                s.sync(i);
                bound.push((i, req, nonzero, ext.clone()));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn tree_chooses_what_the_walk_chooses(
            seed in proptest::prelude::any::<u64>(),
            nodes in 1usize..260,
            pct in proptest::sample::select(vec![0u32, 0, 10, 50]),
        ) {
            tree_against_walk(seed, nodes, pct, 150);
        }
    }

    /// A pod requesting nothing fits a node over-committed by a pod bound
    /// with `nodeName` (`fitsRequest` checks only what the pod requests),
    /// and the tree counts that node feasible as the walk does.
    #[test]
    fn zero_request_pod_fits_an_over_committed_node() {
        let mut s = Scheduler::new(1);
        for name in ["a", "b"] {
            s.push_node(NodeInfo::new(name.into(), Rc::new(crate::testutil::node(name, 1000, 1 << 30))));
        }
        let over = Resources { cpu_m: 1500, memory: 2 << 30, pods: 1 };
        s.nodes[0].reserve(over, over);
        s.sync(0);
        let spec = PodSpec::default();
        let (req, nonzero) = (spec.requests(), spec.nonzero_requests());
        let (class, tols) = s.classify(&spec, &req, &nonzero, &Extended::default());
        let none = Extended::default();
        let c = Cycle::new(0, 2, (class, tols), (req, nonzero), &none, &spec);
        let tree = s.choose_by_tree(&c).expect("the tree answers");
        let walk = s.choose_by_walk(&c, &mut Rejections::default());
        assert_eq!(tree.found, 2);
        assert_eq!(tree, walk);
        // Over-committed in both: LeastAllocated 0, BalancedAllocation with
        // both fractions capped at 1, 100.
        assert_eq!(node_score(&s.nodes[0], &nonzero, &req), 100);
    }

    /// A toleration added to a pending pod (the apiserver accepts
    /// additions, `validateOnlyAddedTolerations`) moves it to another
    /// toleration class, and a tree serves only the tolerations of the
    /// class it is filed under: `q`, which does not tolerate `a`'s taint,
    /// is never answered `a` by a tree the updated `p` built, nor `p` by
    /// a stale one.
    #[test]
    fn a_toleration_added_to_a_pending_pod_reclassifies_it() {
        let cfg = crate::config::Config::default();
        let (mut queue, mut trace, mut throttles) = Default::default();
        let mut net = crate::runtime::Network::new(&cfg, 1);
        let mut ctx = crate::runtime::Ctx {
            now: SimTime::ZERO,
            cfg: &cfg,
            queue: &mut queue,
            trace: &mut trace,
            throttles: &mut throttles,
            net: &mut net,
        };
        let mut s = Scheduler::new(1);
        let mut a = crate::testutil::node("a", 8000, 16 << 30);
        a.spec.taints = vec![Taint {
            key: "dedicated".into(),
            value: "ml".into(),
            effect: TaintEffect::NoSchedule,
            time_added: None,
        }];
        s.push_node(NodeInfo::new("a".into(), Rc::new(a)));
        s.push_node(NodeInfo::new("c".into(), Rc::new(crate::testutil::node("c", 1000, 1 << 30))));
        let pod = |uid: u64, spec: PodSpec| {
            let meta = crate::objects::meta::ObjectMeta { name: format!("p{uid}").into(), uid, ..Default::default() };
            Rc::new(Pod { meta, spec: Rc::new(spec), status: crate::objects::pod::PodStatus::initial() })
        };
        let (p, q) = (pod(1, PodSpec::default()), pod(2, PodSpec::default()));
        let mut slot = crate::component::test_slot(crate::component::Builtin::DefaultScheduler, DEFAULT_SCHEDULER);
        let pods = Default::default();
        let mut on_pod = |s: &mut Scheduler, kind, p: &Rc<Pod>| {
            crate::component::with_test_cx(&mut ctx, &mut slot, &pods, |cx| s.on_pod(kind, p, cx))
        };
        on_pod(&mut s, WatchKind::Added, &p);
        on_pod(&mut s, WatchKind::Added, &q);
        assert_eq!(s.pods[&1].tols, s.pods[&2].tols);
        let mut spec = PodSpec::default();
        spec.tolerations.push(Toleration {
            key: "dedicated".into(),
            exists: false,
            value: "ml".into(),
            effect: Some(TaintEffect::NoSchedule),
            toleration_seconds: None,
        });
        let p = pod(1, spec);
        on_pod(&mut s, WatchKind::Modified, &p);
        assert_ne!(s.pods[&1].tols, s.pods[&2].tols, "the update kept the old toleration class");
        let cycle = |s: &Scheduler, uid: u64| {
            let e = &s.pods[&uid];
            (e.class, e.tols, e.requests, e.nonzero, e.pod.clone())
        };
        // Both orders: the updated pod builds its tree first, or the other.
        for first in [1, 2] {
            s.trees = Default::default();
            for uid in [first, 3 - first] {
                let (class, tols, req, nonzero, pod) = cycle(&s, uid);
                let none = Extended::default();
                let c = Cycle::new(0, 2, (class, tols), (req, nonzero), &none, &pod.spec);
                let tree = s.choose_by_tree(&c).expect("the tree answers");
                let walk = s.choose_by_walk(&c, &mut Rejections::default());
                assert_eq!(tree.found, walk.found, "pod {uid}, pod {first} first");
                assert_eq!(tree.found, if uid == 1 { 2 } else { 1 }, "pod {uid}, pod {first} first");
                if uid == 2 {
                    assert_eq!(tree.node, Some(1), "q was answered the tainted node");
                }
            }
        }
        // A tree filed under the old class, built from a spec that has the
        // toleration, still filters the tainted node out.
        s.trees = Default::default();
        let (class, tols, req, nonzero, _) = cycle(&s, 2);
        let none = Extended::default();
        let c = Cycle::new(0, 2, (class, tols), (req, nonzero), &none, &p.spec);
        assert_eq!(s.choose_by_tree(&c).expect("the tree answers").found, 1);
    }

    /// A resource with no allocatable is left out of both scores.
    #[test]
    fn zero_allocatable_is_left_out_of_the_scores() {
        let alloc = Resources { cpu_m: 0, memory: 1000, pods: 10 };
        let used = Resources { cpu_m: 0, memory: 250, pods: 1 };
        let pod = Resources::default();
        assert_eq!(least_allocated_score(&used, &pod, &alloc), 75);
        assert_eq!(balanced_allocation(&used, &pod, &alloc), 100);
        let none = Resources { cpu_m: 0, memory: 0, pods: 10 };
        assert_eq!(least_allocated_score(&used, &pod, &none), 0);
        assert_eq!(balanced_allocation(&used, &pod, &none), 100);
    }

    #[test]
    fn adaptive_nodes_to_score() {
        let mut s = Scheduler::new(1);
        let fake = |n: usize, s: &mut Scheduler| {
            s.nodes.clear();
            for _ in 0..n {
                s.nodes.push(NodeInfo::new("x".into(), Rc::new(crate::testutil::node("x", 1000, 1 << 30))));
            }
        };
        fake(50, &mut s);
        assert_eq!(s.num_to_find(0), 50);
        fake(1000, &mut s);
        assert_eq!(s.num_to_find(0), 420); // 50 − 8 = 42 %
        fake(5000, &mut s);
        assert_eq!(s.num_to_find(0), 500); // 50 − 40 = 10 %
        fake(100, &mut s);
        assert_eq!(s.num_to_find(10), 100); // at least 100 nodes
    }
}
