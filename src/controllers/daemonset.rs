//! The DaemonSet controller (`pkg/controller/daemon`,
//! kube-controller-manager's `daemonset-controller`): one pod of the
//! DaemonSet on every node that should run it.
//!
//! Its rules, from `syncDaemonSet`, `manage`, `podsShouldBeOnNode` and
//! `rollingUpdate`:
//! - a node should run the pod when the template's `nodeSelector` and
//!   required node affinity match it and the template's tolerations, with
//!   the ones the controller adds (`not-ready` and `unreachable`
//!   NoExecute without `tolerationSeconds`; `disk-pressure`,
//!   `memory-pressure`, `pid-pressure` and `unschedulable` NoSchedule),
//!   tolerate its NoSchedule and NoExecute taints (`NodeShouldRunDaemonPod`;
//!   resources are not checked: a pod that does not fit stays Pending);
//! - each pod is pinned to its node by a required node-affinity term
//!   `matchFields: metadata.name In [node]` (replacing the template's
//!   terms, `ReplaceDaemonSetPodNodeNameNodeAffinity`) and bound by the
//!   scheduler;
//! - a node that should run it and has none gets one; a Failed pod is
//!   deleted (`FailedDaemonPod`) and replaced after a per-node back-off (1 s
//!   doubling to 15 min); extra pods on a node are deleted, keeping the
//!   oldest; pods on nodes that should not run it are deleted;
//! - RollingUpdate (`maxUnavailable`, default 1; `maxSurge` 0): once no
//!   create or delete is in flight, old pods (whose
//!   `controller-revision-hash` label is not the template's) that are not
//!   available are deleted, and available ones as long as no more than
//!   `maxUnavailable` nodes lack an available pod; the create path then
//!   puts the new template's pod there. OnDelete replaces a pod only when
//!   it is deleted;
//! - the status counts desired, current, misscheduled, ready, updated and
//!   available pods; it is written when it changes.
//!
//! Syncs run at the instant their DaemonSet was queued (a key queued twice
//! at one instant is synced once). Creates in flight are remembered per
//! (DaemonSet, node) until the pod is seen (the controller's expectations;
//! forgotten after 5 minutes, as upstream's expire), deletes until the
//! pod's deletion is seen. Simplifications: no ControllerRevision objects
//! (the hash is kubesim's template hash), no slow-start batches (at most
//! `burstReplicas` 250 creates per sync), the status is written without a
//! `resourceVersion` check.
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared informers, keeps its work queue and back-off wake-ups on its own
//! timers and sends as `"daemon-set-controller"`; a pod create's answer
//! comes back to `on_response`. A crash loses the expectations and the
//! back-offs, as a restarted kube-controller-manager does.

#![warn(missing_docs)]

use crate::component::{Controller, Cx, RequestId};
use crate::controllers::deployment::util::compute_hash;
use crate::controllers::endpoints::SyncQueue;
use crate::controllers::informer::PodInformer;
use crate::kinds::daemonset::{DaemonSet, DaemonSetStatus, UpdateStrategy};
use crate::objects::meta::{ObjectMeta, OwnerReference};
use crate::objects::node::{Node, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE};
use crate::objects::pod::{node_affinity_matches, NodeSelectorTerm, Pod, PodPhase, PodStatus, TaintEffect, Toleration};
use crate::objects::selector::{Op, Requirement};
use crate::objects::store::ApiError;
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::typed::TypedObject;
use crate::objects::{Kind, Object};
use crate::sim::{SimDuration, SimTime};
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;
type Set<K> = IndexSet<K, FxBuildHasher>;

/// The controller's event source.
pub(crate) const SOURCE: &str = "daemonset-controller";
/// `BurstReplicas`: creates per sync.
const BURST_REPLICAS: usize = 250;
/// The label with the pod's template hash.
pub const REVISION_HASH: &str = "controller-revision-hash";
/// How long a create is expected before it is forgotten
/// (`ExpectationsTimeout`).
const EXPECTATIONS_TIMEOUT: SimDuration = SimDuration::from_secs(300);

/// The token of the work queue's timer (wake-ups count from 1).
const SYNC: u64 = 0;

/// The tolerations the controller adds to every daemon pod
/// (`AddOrUpdateDaemonPodTolerations`).
fn daemon_tolerations() -> Vec<Toleration> {
    let t = |key: &str, effect: TaintEffect| Toleration {
        key: key.into(),
        exists: true,
        value: "".into(),
        effect: Some(effect),
        toleration_seconds: None,
    };
    vec![
        t(TAINT_NOT_READY, TaintEffect::NoExecute),
        t(TAINT_UNREACHABLE, TaintEffect::NoExecute),
        t("node.kubernetes.io/disk-pressure", TaintEffect::NoSchedule),
        t("node.kubernetes.io/memory-pressure", TaintEffect::NoSchedule),
        t("node.kubernetes.io/pid-pressure", TaintEffect::NoSchedule),
        t(TAINT_UNSCHEDULABLE, TaintEffect::NoSchedule),
    ]
}

/// The template's tolerations with the daemon ones added (an existing one
/// with the same key and effect is replaced).
fn with_daemon_tolerations(own: &[Toleration]) -> Vec<Toleration> {
    let mut out: Vec<Toleration> = own.to_vec();
    for t in daemon_tolerations() {
        out.retain(|x| !(x.key == t.key && x.effect == t.effect));
        out.push(t);
    }
    out
}

/// `NodeShouldRunDaemonPod`: whether the node should run the daemon pod
/// (node selector, required affinity, NoSchedule and NoExecute taints
/// tolerated), and whether a pod already there should go on running (the
/// same, but only NoExecute taints count: an unreachable node's NoSchedule
/// taint stops new pods, not the one there).
pub fn node_should_run(ds: &DaemonSet, node: &Node) -> (bool, bool) {
    let spec = &ds.spec.template.spec;
    // A template naming a node runs there only.
    if spec.node_name.as_ref().is_some_and(|n| *n != node.meta.name) {
        return (false, false);
    }
    if !node_affinity_matches(&node.meta.name, &node.meta.labels, &spec.node_selector, &spec.node_affinity) {
        return (false, false);
    }
    let tols = with_daemon_tolerations(&spec.tolerations);
    let tolerated = |effect: &dyn Fn(TaintEffect) -> bool| {
        node.spec.taints.iter().filter(|t| effect(t.effect)).all(|t| tols.iter().any(|x| x.tolerates(t)))
    };
    if tolerated(&|e| e != TaintEffect::PreferNoSchedule) {
        (true, true)
    } else {
        (false, tolerated(&|e| e == TaintEffect::NoExecute))
    }
}

/// `GetTargetNodeName`: the node a daemon pod is bound or pinned to.
fn target_node(p: &Pod) -> Option<Rc<str>> {
    if let Some(n) = &p.spec.node_name {
        return Some(n.clone());
    }
    let terms = p.spec.node_affinity.required.as_ref()?;
    terms
        .iter()
        .flat_map(|t| t.match_fields.iter())
        .find(|r| r.key == "metadata.name")
        .and_then(|r| (r.op == Op::In && r.values.len() == 1).then(|| Rc::from(r.values[0].as_str())))
}

/// `IsPodAvailable`.
fn available(p: &Pod, min_ready: i32, now: SimTime) -> bool {
    p.status.conditions.ready.as_ref().is_some_and(|c| {
        c.status == crate::objects::pod::CondStatus::True
            && c.last_transition_time + SimDuration::from_secs(min_ready as u64) <= now
    })
}

/// The DaemonSet controller's informer caches and state.
#[derive(Default)]
pub struct DaemonSetController {
    sets: Map<Key, Rc<dyn TypedObject>>,
    by_uid: Map<u64, Key>,
    nodes: Map<Rc<str>, Rc<Node>>,
    /// Pod uids by the uid of the DaemonSet that controls them.
    pods: Map<u64, Set<u64>>,
    /// Creates sent and not yet seen, by (DaemonSet uid, node).
    creating: Map<(u64, Rc<str>), SimTime>,
    /// Pods asked to be deleted whose deletion is not seen yet.
    deleting: Set<u64>,
    /// Failed-pod back-off per (DaemonSet uid, node): the last delay and
    /// until when creates wait.
    backoff: Map<(u64, Rc<str>), (SimDuration, SimTime)>,
    queue: SyncQueue,
    /// Wake-up timers: each token's DaemonSet.
    wakes: Map<u64, Key>,
    next_token: u64,
    /// Pod creates waiting for their answer: the DaemonSet's uid and node.
    pending: Map<RequestId, (u64, Rc<str>)>,
}

impl Controller for DaemonSetController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Node, Kind::Pod]
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["DaemonSet"]
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.handle(ev, cx);
    }

    /// The work queue's turn (`SYNC`), or a DaemonSet's wake-up (a
    /// back-off or `minReadySeconds` elapsed).
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if token == SYNC {
            for key in self.queue.take() {
                self.sync_daemon_set(&key, cx);
            }
        } else if let Some(key) = self.wakes.swap_remove(&token) {
            if self.sets.contains_key(&key) {
                self.enqueue(key, cx);
            }
        }
    }

    /// A pod create's answer: its Event, or (refused) the expectation
    /// dropped and the DaemonSet synced again.
    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        let Some((uid, node)) = self.pending.swap_remove(&req) else { return };
        match result {
            Ok(Object::Pod(p)) => {
                let name = p.meta.controller_ref().map(|r| r.name.clone()).unwrap_or_default();
                let msg = format!("Created pod: {}", p.meta.name);
                cx.event_on(false, "SuccessfulCreate", "DaemonSet", &p.meta.namespace, &name, &msg);
            }
            Ok(_) => {}
            Err(_) => {
                self.creating.swap_remove(&(uid, node));
                if let Some(k) = self.by_uid.get(&uid).cloned() {
                    self.enqueue(k, cx);
                }
            }
        }
    }
}

impl DaemonSetController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    fn enqueue(&mut self, key: Key, cx: &mut Cx) {
        self.queue.add(key, cx);
    }

    fn enqueue_all(&mut self, cx: &mut Cx) {
        let keys: Vec<Key> = self.sets.keys().cloned().collect();
        for k in keys {
            self.enqueue(k, cx);
        }
    }

    /// Handles a watch event of its informers (DaemonSets, nodes, pods).
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        match &ev.obj {
            Object::Typed(t) if t.downcast::<DaemonSet>().is_some() => {
                let key = Key::of(t.meta());
                if ev.kind == WatchKind::Deleted {
                    self.sets.swap_remove(&key);
                    self.by_uid.swap_remove(&t.meta().uid);
                } else {
                    self.sets.insert(key.clone(), t.clone());
                    self.by_uid.insert(t.meta().uid, key.clone());
                    self.enqueue(key, cx);
                }
            }
            Object::Node(n) => {
                if ev.kind == WatchKind::Deleted {
                    self.nodes.swap_remove(&n.meta.name);
                } else {
                    // `updateNode`: only a change that can change where
                    // daemons run (labels, taints) matters.
                    let relevant = match &ev.old {
                        Some(Object::Node(o)) => o.meta.labels != n.meta.labels || o.spec.taints != n.spec.taints,
                        _ => true,
                    };
                    self.nodes.insert(n.meta.name.clone(), n.clone());
                    if !relevant {
                        return;
                    }
                }
                if !self.sets.is_empty() {
                    self.enqueue_all(cx);
                }
            }
            Object::Pod(p) => {
                let Some(owner) = p.meta.controller_ref().filter(|r| &*r.kind == "DaemonSet").map(|r| r.uid) else {
                    return;
                };
                if ev.kind == WatchKind::Deleted {
                    if let Some(s) = self.pods.get_mut(&owner) {
                        s.swap_remove(&p.meta.uid);
                    }
                    self.deleting.swap_remove(&p.meta.uid);
                } else {
                    self.pods.entry(owner).or_default().insert(p.meta.uid);
                    if ev.kind == WatchKind::Added {
                        if let Some(n) = target_node(p) {
                            self.creating.swap_remove(&(owner, n));
                        }
                    }
                    if p.meta.deletion_timestamp.is_some() {
                        self.deleting.swap_remove(&p.meta.uid);
                    }
                }
                if let Some(k) = self.by_uid.get(&owner).cloned() {
                    self.enqueue(k, cx);
                }
            }
            _ => {}
        }
    }

    /// `syncDaemonSet`: `manage`, then `rollingUpdate`, then the status.
    fn sync_daemon_set(&mut self, key: &Key, cx: &mut Cx) {
        let pods: &PodInformer = cx.kcm_pods();
        let Some(ds) = self.sets.get(key).and_then(|t| t.downcast::<DaemonSet>()).cloned() else { return };
        if ds.meta.deletion_timestamp.is_some() {
            return;
        }
        let now = cx.now();
        let uid = ds.meta.uid;
        let hash = compute_hash(&ds.spec.template, None);
        // Expectations expire.
        self.creating.retain(|_, t| now.saturating_sub(*t) < EXPECTATIONS_TIMEOUT);
        let mut node_names: Vec<Rc<str>> = self.nodes.keys().cloned().collect();
        node_names.sort();
        // The DaemonSet's pods by node (`getNodesToDaemonPods`).
        let mut by_node: Map<Rc<str>, Vec<Rc<Pod>>> = Map::default();
        for u in self.pods.get(&uid).into_iter().flatten() {
            let Some(p) = pods.get(*u) else { continue };
            // An owned pod the selector no longer matches is released
            // upstream (`ClaimPods`): not the DaemonSet's.
            if !ds.spec.selector.matches(&p.meta.labels) {
                continue;
            }
            if let Some(n) = target_node(p) {
                by_node.entry(n).or_default().push(p.clone());
            }
        }
        let nodes: Vec<&Node> = node_names.iter().map(|n| &*self.nodes[n]).collect();
        let plan = manage(
            &ds,
            &nodes,
            &by_node,
            &|n| self.creating.contains_key(&(uid, n.into())),
            &|n| self.backoff.get(&(uid, Rc::from(n))).map(|b| b.1),
            now,
        );
        let (mut to_create, mut to_delete, mut wake) = (plan.create, plan.delete, plan.wake);
        for (node, p) in plan.failed {
            // Delete it, and back off the next create on that node: 1 s
            // doubling to 15 min (`failedPodsBackoff`).
            let bkey = (uid, node.clone());
            let (delay, _) = self.backoff.get(&bkey).copied().unwrap_or((SimDuration::ZERO, now));
            let delay = if delay == SimDuration::ZERO {
                SimDuration::from_secs(1)
            } else {
                SimDuration(delay.0.saturating_mul(2)).min(SimDuration::from_secs(900))
            };
            self.backoff.insert(bkey, (delay, now + delay));
            let msg = format!(
                "Found failed daemon pod {}/{} on node {}, will try to kill it",
                p.meta.namespace, p.meta.name, node
            );
            cx.event_on(true, "FailedDaemonPod", "DaemonSet", &ds.meta.namespace, &ds.meta.name, &msg);
            wake = Some(wake.map_or(now + delay, |w| w.min(now + delay)));
            to_delete.push(p);
        }
        // Pods bound to nodes that are gone are PodGC's.
        let in_flight = self.creating.keys().any(|(u, _)| *u == uid)
            || self.pods.get(&uid).is_some_and(|s| s.iter().any(|p| self.deleting.contains(p)));
        if to_create.is_empty() && to_delete.is_empty() && !in_flight {
            if let UpdateStrategy::RollingUpdate { max_unavailable } = ds.spec.update_strategy {
                let desired = node_names.iter().filter(|n| node_should_run(&ds, &self.nodes[*n]).0).count() as i32;
                to_delete = rolling_update(&ds, &node_names, &by_node, &hash, max_unavailable, desired, now);
            }
        }
        to_create.truncate(BURST_REPLICAS);
        for node in to_create {
            self.creating.insert((uid, node.clone()), now);
            let pod = new_daemon_pod(&ds, &node, &hash);
            let req = cx.send(ApiOp::Create(Object::Pod(Rc::new(pod))));
            self.pending.insert(req, (uid, node));
        }
        for p in to_delete {
            if !self.deleting.insert(p.meta.uid) {
                continue;
            }
            let msg = format!("Deleted pod: {}", p.meta.name);
            cx.event_on(false, "SuccessfulDelete", "DaemonSet", &ds.meta.namespace, &ds.meta.name, &msg);
            cx.send_unanswered(ApiOp::delete_pod(Key::of(&p.meta), p.meta.uid, None, None));
        }
        // The status (`updateDaemonSetStatus`).
        let (status, next_available) = calculate_status(&ds, &node_names, &self.nodes, &by_node, &hash, now);
        if let Some(t) = next_available {
            wake = Some(wake.map_or(t, |w| w.min(t)));
        }
        if let Some(t) = wake {
            self.next_token += 1;
            self.wakes.insert(self.next_token, key.clone());
            cx.at(t, self.next_token);
        }
        if status != ds.status {
            let obj: Rc<dyn TypedObject> = Rc::new(DaemonSet { status, ..ds.clone() });
            cx.send_unanswered(ApiOp::TypedStatus { obj, check_rv: false });
        }
    }
}

/// What `manage` decided for one sync.
#[derive(Debug, Default)]
pub struct Manage {
    /// Nodes that get a pod.
    pub create: Vec<Rc<str>>,
    /// Pods to delete (extras, pods on nodes that should not run them).
    pub delete: Vec<Rc<Pod>>,
    /// Failed pods, with their node: deleted, and the node backs off.
    pub failed: Vec<(Rc<str>, Rc<Pod>)>,
    /// When a node's back-off ends (to look again then).
    pub wake: Option<SimTime>,
}

/// `manage` / `podsShouldBeOnNode` for every node (in name order): the
/// creates and deletes that give each node that should run the pod
/// exactly one. `creating(node)`: a create for it is in flight;
/// `backoff(node)`: until when its creates wait after a failed pod.
pub fn manage(
    ds: &DaemonSet,
    nodes: &[&Node],
    by_node: &Map<Rc<str>, Vec<Rc<Pod>>>,
    creating: &dyn Fn(&str) -> bool,
    backoff: &dyn Fn(&str) -> Option<SimTime>,
    now: SimTime,
) -> Manage {
    let mut m = Manage::default();
    for node in nodes {
        let name = &node.meta.name;
        let (should_run, should_continue) = node_should_run(ds, node);
        let on_node = by_node.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if should_run && on_node.is_empty() {
            if creating(name) {
                continue;
            }
            match backoff(name) {
                Some(until) if until > now => m.wake = Some(m.wake.map_or(until, |w| w.min(until))),
                _ => m.create.push(name.clone()),
            }
        } else if should_continue {
            let mut running: Vec<&Rc<Pod>> = Vec::new();
            for p in on_node {
                if p.meta.deletion_timestamp.is_some() {
                    continue;
                }
                if p.status.phase == PodPhase::Failed {
                    m.failed.push((name.clone(), p.clone()));
                    continue;
                }
                running.push(p);
            }
            if running.len() > 1 {
                // Keep the oldest (`creationTimestamp`, then name).
                running.sort_by(|a, b| {
                    a.meta.creation_timestamp.cmp(&b.meta.creation_timestamp).then(a.meta.name.cmp(&b.meta.name))
                });
                m.delete.extend(running[1..].iter().map(|p| (*p).clone()));
            }
        } else {
            m.delete.extend(on_node.iter().filter(|p| p.meta.deletion_timestamp.is_none()).cloned());
        }
    }
    m
}

/// `rollingUpdate` with `maxSurge` 0: the old pods to delete now.
fn rolling_update(
    ds: &DaemonSet,
    node_names: &[Rc<str>],
    by_node: &Map<Rc<str>, Vec<Rc<Pod>>>,
    hash: &str,
    max_unavailable: crate::kinds::deployment::IntOrPercent,
    desired: i32,
    now: SimTime,
) -> Vec<Rc<Pod>> {
    let max_unavailable = max_unavailable.scaled(desired, true).max(1);
    let mut unavailable = 0;
    let (mut allowed, mut candidates) = (Vec::new(), Vec::new());
    for name in node_names {
        let Some(pods) = by_node.get(name) else { continue };
        let live: Vec<&Rc<Pod>> = pods.iter().filter(|p| p.meta.deletion_timestamp.is_none()).collect();
        let is_new = |p: &&Rc<Pod>| p.meta.labels.get(REVISION_HASH).map(String::as_str) == Some(hash);
        let new: Vec<&&Rc<Pod>> = live.iter().filter(|p| is_new(p)).collect();
        let old: Vec<&&Rc<Pod>> = live.iter().filter(|p| !is_new(p)).collect();
        match (new.as_slice(), old.as_slice()) {
            ([n], []) => {
                if !available(n, ds.spec.min_ready_seconds, now) {
                    unavailable += 1;
                }
            }
            ([], [o]) => {
                if !available(o, ds.spec.min_ready_seconds, now) {
                    // Replaced at once, and counted against the budget
                    // (since 1.31, kubernetes#123233: repeated bad
                    // updates no longer take every node down).
                    allowed.push((**o).clone());
                    unavailable += 1;
                } else if unavailable < max_unavailable {
                    candidates.push((**o).clone());
                }
            }
            // No pod, or several: the manage loop's; counted unavailable.
            _ => unavailable += 1,
        }
    }
    let remaining = (max_unavailable - unavailable).max(0) as usize;
    allowed.extend(candidates.into_iter().take(remaining));
    allowed
}

/// The daemon pod for `node` (`NewPod` and `ReplaceDaemonSetPodNodeNameNodeAffinity`).
fn new_daemon_pod(ds: &DaemonSet, node: &str, hash: &str) -> Pod {
    let t = &ds.spec.template;
    let mut labels = (*t.labels).clone();
    labels.insert(REVISION_HASH.into(), hash.to_string());
    labels.insert("pod-template-generation".into(), ds.meta.generation.to_string());
    let mut spec = (*t.spec).clone();
    spec.node_affinity.required = Some(vec![NodeSelectorTerm {
        match_expressions: vec![],
        match_fields: vec![Requirement { key: "metadata.name".into(), op: Op::In, values: vec![node.to_string()] }],
    }]);
    spec.tolerations = with_daemon_tolerations(&spec.tolerations);
    Pod {
        meta: ObjectMeta {
            generate_name: Some(format!("{}-", ds.meta.name).into()),
            namespace: ds.meta.namespace.clone(),
            labels: Rc::new(labels),
            annotations: t.annotations.clone(),
            owner_references: vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "DaemonSet".into(),
                name: ds.meta.name.clone(),
                uid: ds.meta.uid,
                controller: true,
                block_owner_deletion: true,
            }],
            ..Default::default()
        },
        spec: Rc::new(spec),
        status: PodStatus::initial(),
    }
}

/// `updateDaemonSetStatus`'s counts, and when a ready pod becomes
/// available (to look again then).
fn calculate_status(
    ds: &DaemonSet,
    node_names: &[Rc<str>],
    nodes: &Map<Rc<str>, Rc<Node>>,
    by_node: &Map<Rc<str>, Vec<Rc<Pod>>>,
    hash: &str,
    now: SimTime,
) -> (DaemonSetStatus, Option<SimTime>) {
    let mut s = DaemonSetStatus { observed_generation: ds.meta.generation, ..Default::default() };
    let mut next: Option<SimTime> = None;
    for name in node_names {
        let should_run = node_should_run(ds, &nodes[name]).0;
        // `getNodesToDaemonPods(ds, false)`: every pod but a terminal one
        // already being deleted (a pod terminating gracefully still counts).
        let live: Vec<&Rc<Pod>> = by_node
            .get(name)
            .into_iter()
            .flatten()
            .filter(|p| p.meta.deletion_timestamp.is_none() || !p.status.phase.is_terminal())
            .collect();
        if should_run {
            s.desired_number_scheduled += 1;
        }
        if live.is_empty() {
            continue;
        }
        if !should_run {
            s.number_misscheduled += 1;
            continue;
        }
        s.current_number_scheduled += 1;
        // The oldest pod speaks for the node, a scheduled one before an
        // unscheduled one (`podByCreationTimestampAndPhase`).
        let mut live = live;
        live.sort_by(|a, b| {
            (a.spec.node_name.is_none(), a.meta.creation_timestamp, &a.meta.name).cmp(&(
                b.spec.node_name.is_none(),
                b.meta.creation_timestamp,
                &b.meta.name,
            ))
        });
        let p = live[0];
        if p.is_ready() {
            s.number_ready += 1;
            if available(p, ds.spec.min_ready_seconds, now) {
                s.number_available += 1;
            } else if let Some(c) = &p.status.conditions.ready {
                let t = c.last_transition_time + SimDuration::from_secs(ds.spec.min_ready_seconds as u64);
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        if p.meta.labels.get(REVISION_HASH).map(String::as_str) == Some(hash) {
            s.updated_number_scheduled += 1;
        }
    }
    s.number_unavailable = s.desired_number_scheduled - s.number_available;
    (s, next)
}

#[cfg(test)]
mod tests {
    //! Cases of `pkg/controller/daemon/daemon_controller_test.go` and
    //! `update_test.go`, on `manage` and `rolling_update`.
    use super::*;
    use crate::kinds::daemonset::DaemonSetSpec;
    use crate::kinds::deployment::IntOrPercent;
    use crate::objects::pod::{CondStatus, Condition, Taint};
    use crate::objects::replicaset::PodTemplate;
    use crate::objects::selector::{Labels, Selector};

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// `simpleDaemonSetLabel` / `simpleNodeLabel` of the upstream tests.
    fn ds_label() -> Labels {
        labels(&[("name", "simple-daemon"), ("type", "production")])
    }
    fn node_label() -> Labels {
        labels(&[("color", "blue"), ("speed", "fast")])
    }

    /// `newDaemonSet("foo")`, with the node selector given.
    fn ds(node_selector: Labels) -> DaemonSet {
        let mut spec = crate::scenario::workload::trace_spec(100, 1 << 20);
        spec.restart_policy = crate::objects::pod::RestartPolicy::Always;
        spec.node_selector = node_selector;
        DaemonSet {
            meta: ObjectMeta {
                name: "foo".into(),
                namespace: "default".into(),
                uid: 7,
                generation: 1,
                ..Default::default()
            },
            spec: DaemonSetSpec {
                selector: Rc::new(Selector::from_map(&ds_label())),
                template: Rc::new(PodTemplate {
                    labels: Rc::new(ds_label()),
                    annotations: Default::default(),
                    spec: Rc::new(spec),
                }),
                update_strategy: UpdateStrategy::RollingUpdate { max_unavailable: IntOrPercent::Int(1) },
                min_ready_seconds: 0,
                revision_history_limit: 10,
            },
            status: DaemonSetStatus::default(),
        }
    }

    /// `addNodes(nodeStore, start, n, label)`.
    fn nodes(start: usize, n: usize, l: &Labels) -> Vec<Node> {
        (start..start + n)
            .map(|i| {
                let mut node = crate::testutil::node(&format!("node-{}", i), 4000, 8 << 30);
                node.meta.labels = Rc::new(l.clone());
                node
            })
            .collect()
    }

    /// `addPods(podStore, node, label, ds, n)`: owned pods pinned to `node`.
    fn add_pods(by_node: &mut Map<Rc<str>, Vec<Rc<Pod>>>, d: &DaemonSet, node: &str, l: &Labels, n: usize, hash: &str) {
        for i in 0..n {
            let mut p = new_daemon_pod(d, node, hash);
            p.meta.name = format!("{}-{}-{}", node, l.len(), i).into();
            p.meta.labels = Rc::new(
                l.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .chain([(REVISION_HASH.to_string(), hash.to_string())])
                    .collect(),
            );
            p.meta.uid = (by_node.values().map(Vec::len).sum::<usize>() + 100) as u64;
            if d.spec.selector.matches(&p.meta.labels) {
                by_node.entry(node.into()).or_default().push(Rc::new(p));
            }
        }
    }

    fn plan(d: &DaemonSet, all: &[Node], by_node: &Map<Rc<str>, Vec<Rc<Pod>>>) -> (usize, usize) {
        let refs: Vec<&Node> = all.iter().collect();
        let m = manage(d, &refs, by_node, &|_| false, &|_| None, SimTime::ZERO);
        (m.create.len(), m.delete.len())
    }

    /// `TestSimpleDaemonSetLaunchesPods`: 5 nodes, 5 pods.
    #[test]
    fn simple_daemon_set_launches_pods() {
        let d = ds(Labels::new());
        assert_eq!(plan(&d, &nodes(0, 5, &Labels::new()), &Map::default()), (5, 0));
    }

    /// `TestSelectorDaemonLaunchesPods`: only the 3 labelled nodes of 7.
    #[test]
    fn selector_daemon_launches_pods() {
        let d = ds(node_label());
        let mut all = nodes(0, 4, &Labels::new());
        all.extend(nodes(4, 3, &node_label()));
        assert_eq!(plan(&d, &all, &Map::default()), (3, 0));
    }

    /// `TestDealsWithExistingPods`: node-1 has 1 pod, node-2 2, node-3 5,
    /// node-4 two pods of another label: 2 creates (node-0, node-4), 5
    /// deletes (the extras on node-2 and node-3).
    #[test]
    fn deals_with_existing_pods() {
        let d = ds(Labels::new());
        let hash = compute_hash(&d.spec.template, None);
        let mut by_node = Map::default();
        add_pods(&mut by_node, &d, "node-1", &ds_label(), 1, &hash);
        add_pods(&mut by_node, &d, "node-2", &ds_label(), 2, &hash);
        add_pods(&mut by_node, &d, "node-3", &ds_label(), 5, &hash);
        add_pods(&mut by_node, &d, "node-4", &labels(&[("name", "simple-daemon"), ("type", "test")]), 2, &hash);
        assert_eq!(plan(&d, &nodes(0, 5, &Labels::new()), &by_node), (2, 5));
    }

    /// `TestSelectorDaemonDeletesUnselectedPods`: 5 plain and 5 labelled
    /// nodes; pods on node-1 (3) and node-4 (1), which the node selector
    /// does not select, go; the 5 labelled nodes get one each.
    #[test]
    fn selector_daemon_deletes_unselected_pods() {
        let d = ds(node_label());
        let hash = compute_hash(&d.spec.template, None);
        let mut all = nodes(0, 5, &Labels::new());
        all.extend(nodes(5, 5, &node_label()));
        let other = labels(&[("name", "simple-daemon"), ("type", "test")]);
        let mut by_node = Map::default();
        add_pods(&mut by_node, &d, "node-0", &other, 2, &hash);
        add_pods(&mut by_node, &d, "node-1", &ds_label(), 3, &hash);
        add_pods(&mut by_node, &d, "node-1", &other, 1, &hash);
        add_pods(&mut by_node, &d, "node-4", &ds_label(), 1, &hash);
        assert_eq!(plan(&d, &all, &by_node), (5, 4));
    }

    /// `TestTaintedNodeDaemonDoesNotLaunchIntolerantPods` and the daemon
    /// tolerations: a NoSchedule taint keeps the pod off; `unschedulable`
    /// (a cordon) and `not-ready` NoExecute are tolerated; an untolerated
    /// NoSchedule taint on a node that already runs the pod keeps it
    /// (should run: no; should continue: yes), an untolerated NoExecute one
    /// does not.
    #[test]
    fn taints_and_daemon_tolerations() {
        let d = ds(Labels::new());
        let mut n = nodes(0, 1, &Labels::new()).remove(0);
        let taint = |key: &str, effect| Taint { key: key.into(), value: String::new(), effect, time_added: None };
        n.spec.taints = vec![taint("dedicated", TaintEffect::NoSchedule)];
        assert_eq!(node_should_run(&d, &n), (false, true));
        n.spec.taints = vec![taint("dedicated", TaintEffect::NoExecute)];
        assert_eq!(node_should_run(&d, &n), (false, false));
        n.spec.taints =
            vec![taint(TAINT_UNSCHEDULABLE, TaintEffect::NoSchedule), taint(TAINT_NOT_READY, TaintEffect::NoExecute)];
        assert_eq!(node_should_run(&d, &n), (true, true));
        n.spec.taints =
            vec![taint(TAINT_UNREACHABLE, TaintEffect::NoSchedule), taint(TAINT_UNREACHABLE, TaintEffect::NoExecute)];
        assert_eq!(node_should_run(&d, &n), (false, true), "an unreachable node keeps its daemon pod");
    }

    /// A failed pod is deleted and reported; a node in back-off waits.
    #[test]
    fn failed_pods_are_replaced_after_a_back_off() {
        let d = ds(Labels::new());
        let hash = compute_hash(&d.spec.template, None);
        let all = nodes(0, 2, &Labels::new());
        let mut by_node = Map::default();
        add_pods(&mut by_node, &d, "node-0", &ds_label(), 1, &hash);
        let failed = Rc::make_mut(&mut by_node.get_mut("node-0").expect("pods")[0]);
        Rc::make_mut(&mut failed.status).phase = PodPhase::Failed;
        let refs: Vec<&Node> = all.iter().collect();
        let m = manage(&d, &refs, &by_node, &|_| false, &|_| None, SimTime::ZERO);
        assert_eq!((m.create.len(), m.delete.len(), m.failed.len()), (1, 0, 1));
        let until = SimTime::from_secs(2);
        let m = manage(
            &d,
            &refs,
            &Map::default(),
            &|_| false,
            &|n| (n == "node-0").then_some(until),
            SimTime::from_secs(1),
        );
        assert_eq!(m.create, vec![Rc::<str>::from("node-1")]);
        assert_eq!(m.wake, Some(until));
    }

    /// `TestDaemonSetUpdatesPods` (update_test.go), one step: with
    /// `maxUnavailable` 1, the first old available pod goes; with an
    /// unavailable new pod on another node, none does; an old pod that is
    /// not available goes regardless.
    #[test]
    fn rolling_update_deletes_at_most_max_unavailable() {
        let d = ds(Labels::new());
        let all = nodes(0, 3, &Labels::new());
        let names: Vec<Rc<str>> = all.iter().map(|n| n.meta.name.clone()).collect();
        let ready = |p: &mut Pod, yes: bool| {
            Rc::make_mut(&mut p.status).conditions.ready =
                Some(Condition::new(if yes { CondStatus::True } else { CondStatus::False }, SimTime::ZERO));
        };
        let mk = |node: &str, hash: &str, is_ready: bool| {
            let mut p = new_daemon_pod(&d, node, hash);
            p.meta.name = format!("{}-{}", node, hash).into();
            ready(&mut p, is_ready);
            Rc::new(p)
        };
        let cur = compute_hash(&d.spec.template, None);
        let one = IntOrPercent::Int(1);
        let mut by_node: Map<Rc<str>, Vec<Rc<Pod>>> = Map::default();
        for n in &names {
            by_node.insert(n.clone(), vec![mk(n, "old", true)]);
        }
        let del = rolling_update(&d, &names, &by_node, &cur, one, 3, SimTime::from_secs(1));
        assert_eq!(del.iter().map(|p| p.meta.name.to_string()).collect::<Vec<_>>(), ["node-0-old"]);
        by_node.insert(names[0].clone(), vec![mk("node-0", &cur, false)]);
        assert!(rolling_update(&d, &names, &by_node, &cur, one, 3, SimTime::from_secs(1)).is_empty());
        by_node.insert(names[2].clone(), vec![mk("node-2", "old", false)]);
        let del = rolling_update(&d, &names, &by_node, &cur, one, 3, SimTime::from_secs(1));
        assert_eq!(del.iter().map(|p| p.meta.name.to_string()).collect::<Vec<_>>(), ["node-2-old"]);
    }

    /// `rollingUpdate` since 1.31 (kubernetes#123233): an old pod that is
    /// not available is replaced and counts against `maxUnavailable`, so
    /// a second bad update over an unready node does not also take down a
    /// healthy one.
    #[test]
    fn an_unavailable_old_pod_uses_the_budget() {
        let d = ds(Labels::new());
        let all = nodes(0, 3, &Labels::new());
        let names: Vec<Rc<str>> = all.iter().map(|n| n.meta.name.clone()).collect();
        let mk = |node: &str, hash: &str, ready: bool| {
            let mut p = new_daemon_pod(&d, node, hash);
            p.meta.name = format!("{}-{}", node, hash).into();
            let st = if ready { CondStatus::True } else { CondStatus::False };
            Rc::make_mut(&mut p.status).conditions.ready = Some(Condition::new(st, SimTime::ZERO));
            Rc::new(p)
        };
        let cur = compute_hash(&d.spec.template, None);
        let mut by_node: Map<Rc<str>, Vec<Rc<Pod>>> = Map::default();
        by_node.insert(names[0].clone(), vec![mk("node-0", "v2", false)]);
        by_node.insert(names[1].clone(), vec![mk("node-1", "v1", true)]);
        by_node.insert(names[2].clone(), vec![mk("node-2", "v1", true)]);
        let del = rolling_update(&d, &names, &by_node, &cur, IntOrPercent::Int(1), 3, SimTime::from_secs(1));
        assert_eq!(del.iter().map(|p| p.meta.name.to_string()).collect::<Vec<_>>(), ["node-0-v2"]);
    }

    /// `NodeShouldRunDaemonPod`: a template with `spec.nodeName` runs on
    /// that node only.
    #[test]
    fn a_template_node_name_picks_its_node() {
        let mut d = ds(Labels::new());
        let t = Rc::make_mut(&mut d.spec.template);
        Rc::make_mut(&mut t.spec).node_name = Some("node-1".into());
        let all = nodes(0, 3, &Labels::new());
        let runs: Vec<bool> = all.iter().map(|n| node_should_run(&d, n).0).collect();
        assert_eq!(runs, [false, true, false]);
    }

    /// `updateDaemonSetStatus` counts the pods of `getNodesToDaemonPods(ds,
    /// false)`: a pod terminating gracefully still counts as scheduled (and
    /// misscheduled on a node that no longer qualifies); a terminal pod
    /// being deleted does not.
    #[test]
    fn status_counts_pods_still_terminating() {
        let d = ds(node_label());
        let hash = compute_hash(&d.spec.template, None);
        let mut all = nodes(0, 1, &node_label());
        all.extend(nodes(1, 1, &Labels::new()));
        let node_map: Map<Rc<str>, Rc<Node>> = all.iter().map(|n| (n.meta.name.clone(), Rc::new(n.clone()))).collect();
        let names: Vec<Rc<str>> = node_map.keys().cloned().collect();
        let mut by_node = Map::default();
        add_pods(&mut by_node, &d, "node-0", &ds_label(), 1, &hash);
        add_pods(&mut by_node, &d, "node-1", &ds_label(), 1, &hash);
        let terminating = |by_node: &mut Map<Rc<str>, Vec<Rc<Pod>>>, node: &str, phase: PodPhase| {
            let p = Rc::make_mut(&mut by_node.get_mut(node).expect("pods")[0]);
            p.meta.deletion_timestamp = Some(SimTime::from_secs(1));
            Rc::make_mut(&mut p.status).phase = phase;
        };
        terminating(&mut by_node, "node-0", PodPhase::Running);
        terminating(&mut by_node, "node-1", PodPhase::Running);
        let (st, _) = calculate_status(&d, &names, &node_map, &by_node, &hash, SimTime::from_secs(2));
        assert_eq!((st.desired_number_scheduled, st.current_number_scheduled, st.number_misscheduled), (1, 1, 1));
        terminating(&mut by_node, "node-0", PodPhase::Succeeded);
        terminating(&mut by_node, "node-1", PodPhase::Failed);
        let (st, _) = calculate_status(&d, &names, &node_map, &by_node, &hash, SimTime::from_secs(2));
        assert_eq!((st.desired_number_scheduled, st.current_number_scheduled, st.number_misscheduled), (1, 0, 0));
    }
}
