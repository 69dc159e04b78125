//! The deployment controller (`pkg/controller/deployment`,
//! kube-controller-manager's `deployment-controller`): a Deployment's pods
//! live in ReplicaSets named `<deployment>-<pod-template-hash>`, one per
//! template the Deployment has had; the controller scales them so that a
//! template change rolls out (RollingUpdate: paced by `maxSurge`,
//! `maxUnavailable` and availability; Recreate: old pods gone first),
//! scales them proportionally when `replicas` changes mid-rollout, keeps
//! `revisionHistoryLimit` old ones for rollback, and writes the status with
//! the `Available` and `Progressing` conditions (`ProgressDeadlineExceeded`
//! after `progressDeadlineSeconds` without progress).
//!
//! `syncDeployment` follows the Go code step by step (`sync.go`,
//! `rolling.go`, `recreate.go`, `progress.go`; the arithmetic is in
//! `util`). It reads only the informer caches.
//!
//! **How a sync spends time.** Five workers (`ConcurrentDeploymentSyncs`)
//! take keys from a client-go work queue (a key is never synced by two
//! workers at once). A sync decides its writes from the caches and sends
//! them in the order upstream makes them, through the controller's client
//! (20 QPS, burst 30); the worker is busy until the last response is back
//! (upstream waits for each call in turn). Two simplifications: a sync's
//! writes are sent together, so a failed write does not stop the ones
//! after it (the sync is retried with the queue's rate limit, as upstream
//! retries a failed sync); and the status updates of one sync
//! (`getNewReplicaSet`'s, `checkPausedConditions`' and
//! `syncRolloutStatus`') are merged into one `UpdateStatus`, written only
//! when the status or the revision annotation changed. ReplicaSet updates
//! and status updates carry the cached `resourceVersion`: a stale cache
//! gets a Conflict and the sync is retried, as upstream.
//!
//! Not modelled: releasing an owned ReplicaSet whose labels stop matching
//! (adoption of matching orphans is), the deprecated rollback annotation
//! (`kubectl rollout undo` writes the old template, as kubectl does),
//! the `ReplicaFailure` condition (kubesim's ReplicaSets have no
//! conditions), hash collisions (`collisionCount` is never raised:
//! kubesim's template hash is 32 bits over a 64-bit digest).
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared informers, runs its work queue and its workers on its own timers
//! and sends as `"deployment-controller"`; each request's answer comes
//! back to `on_response`, which ends the worker's sync when the last one
//! is in. A crash loses the queue and the syncs in flight; the restarted
//! controller relists and syncs every Deployment.

#![warn(missing_docs)]

pub mod util;

use self::util::*;
use super::workqueue::WorkQueue;
use crate::component::{Controller, Cx, RequestId};
use crate::controllers::informer::PodInformer;
use crate::kinds::deployment::{ConditionType, Deployment, Strategy};
use crate::objects::meta::{ObjectMeta, OwnerReference};
use crate::objects::pod::CondStatus;
use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus};
use crate::objects::selector::Selector;
use crate::objects::store::ApiError;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::typed::TypedObject;
use crate::objects::{Kind, Object};
use crate::sim::{SimDuration, SimTime};
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;
type Set<K> = IndexSet<K, FxBuildHasher>;

/// kube-controller-manager's `ConcurrentDeploymentSyncs` default.
const WORKERS: usize = 5;
/// The controller's event source and client name.
pub(crate) const SOURCE: &str = "deployment-controller";

/// The timer tokens: idle workers take keys from the queue (`WORK`), or
/// delayed adds (`AddAfter`, `AddRateLimited`) may be due (`WAKE`).
const WORK: u64 = 0;
const WAKE: u64 = 1;

/// One worker's sync in progress: the responses it waits for, and the
/// Event each successful request records (upstream records
/// `ScalingReplicaSet` once the update has succeeded).
struct Busy {
    key: Key,
    outstanding: usize,
    failed: bool,
    events: Vec<Option<(&'static str, String)>>,
}

/// The deployment controller's informer caches, work queue and workers.
#[derive(Default)]
pub struct DeploymentController {
    deployments: Map<Key, Rc<dyn TypedObject>>,
    by_uid: Map<u64, Key>,
    /// apps/v1 ReplicaSets by key.
    rsets: Map<Key, Rc<ReplicaSet>>,
    /// ReplicaSets by the uid of the Deployment that controls them.
    rs_by_owner: Map<u64, Set<Key>>,
    /// ReplicaSets without a controller, by namespace.
    orphan_rs: Map<Rc<str>, Set<Key>>,
    /// The Deployment uid of each controlled ReplicaSet.
    rs_owner: Map<u64, u64>,
    /// Pods by the uid of their ReplicaSet, for ReplicaSets a Deployment
    /// controls (`getPodMapForDeployment`).
    pods_by_rs: Map<u64, Set<u64>>,
    queue: WorkQueue<Key>,
    slots: Vec<Option<Busy>>,
    busy: usize,
    work_scheduled: bool,
    /// Requests waiting for their answer: the worker slot whose sync sent
    /// each, and its index within the sync.
    pending: Map<RequestId, (usize, usize)>,
}

impl Controller for DeploymentController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::ReplicaSet, Kind::Pod]
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Deployment"]
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.handle(ev, cx);
    }

    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if token == WAKE {
            self.queue.wake(cx.now());
            self.kick(cx);
            return;
        }
        self.work_scheduled = false;
        while self.busy < WORKERS {
            let Some(key) = self.queue.get() else { break };
            self.run(key, cx);
        }
    }

    /// An answer to one of the requests of a worker's sync: its Event once
    /// it succeeded, and the sync's end with the last answer.
    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        let Some((slot, index)) = self.pending.swap_remove(&req) else { return };
        let ok = result.is_ok();
        let Some(b) = self.slots[slot].as_mut() else { return };
        b.outstanding -= 1;
        b.failed |= !ok;
        if let Some((reason, msg)) = b.events.get_mut(index).and_then(Option::take) {
            if ok {
                let (ns, name) = (b.key.namespace.clone(), b.key.name.clone());
                cx.event_on(false, reason, "Deployment", &ns, &name, &msg);
            }
        }
        if b.outstanding == 0 {
            let b = self.slots[slot].take().expect("checked");
            self.finish(b.key, b.failed, cx);
        }
    }
}

impl DeploymentController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    fn enqueue(&mut self, key: Key, cx: &mut Cx) {
        self.queue.add(key);
        self.kick(cx);
    }

    fn kick(&mut self, cx: &mut Cx) {
        if !self.work_scheduled && self.busy < WORKERS && !self.queue.is_empty() {
            self.work_scheduled = true;
            cx.after(SimDuration::ZERO, WORK);
        }
    }

    fn deployment_of_rs(&self, rs: &ReplicaSet) -> Option<Key> {
        let r = rs.meta.controller_ref()?;
        (&*r.kind == "Deployment").then(|| self.by_uid.get(&r.uid).cloned()).flatten()
    }

    /// `getDeploymentsForReplicaSet`: the Deployments whose selector
    /// matches an orphan ReplicaSet.
    fn deployments_selecting(&self, rs: &ReplicaSet) -> Vec<Key> {
        self.deployments
            .iter()
            .filter(|(k, _)| k.namespace == rs.meta.namespace)
            .filter(|(_, d)| d.downcast::<Deployment>().is_some_and(|d| d.spec.selector.matches(&rs.meta.labels)))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn index_rs(&mut self, rs: &ReplicaSet, add: bool) {
        let key = Key::of(&rs.meta);
        let owner = rs.meta.controller_ref().filter(|r| &*r.kind == "Deployment").map(|r| r.uid);
        let orphan = rs.meta.controller_ref().is_none();
        if let Some(o) = self.rs_owner.swap_remove(&rs.meta.uid) {
            if let Some(s) = self.rs_by_owner.get_mut(&o) {
                s.swap_remove(&key);
            }
        }
        if let Some(s) = self.orphan_rs.get_mut(&rs.meta.namespace) {
            s.swap_remove(&key);
        }
        if !add {
            self.rsets.swap_remove(&key);
            self.pods_by_rs.swap_remove(&rs.meta.uid);
            return;
        }
        if let Some(o) = owner {
            self.rs_owner.insert(rs.meta.uid, o);
            self.rs_by_owner.entry(o).or_default().insert(key.clone());
        } else if orphan {
            self.orphan_rs.entry(rs.meta.namespace.clone()).or_default().insert(key.clone());
        }
    }

    /// Handles a watch event of its informers (Deployments, ReplicaSets,
    /// pods).
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        match &ev.obj {
            Object::Typed(t) if t.downcast::<Deployment>().is_some() => {
                let key = Key::of(t.meta());
                if ev.kind == WatchKind::Deleted {
                    self.deployments.swap_remove(&key);
                    self.by_uid.swap_remove(&t.meta().uid);
                } else {
                    self.deployments.insert(key.clone(), t.clone());
                    self.by_uid.insert(t.meta().uid, key.clone());
                }
                self.enqueue(key, cx);
            }
            Object::ReplicaSet(rs) if rs.kind == ReplicaKind::ReplicaSet => {
                let deleted = ev.kind == WatchKind::Deleted;
                self.index_rs(rs, !deleted);
                if !deleted {
                    self.rsets.insert(Key::of(&rs.meta), rs.clone());
                }
                // `addReplicaSet`, `updateReplicaSet`, `deleteReplicaSet`.
                let old = match &ev.old {
                    Some(Object::ReplicaSet(o)) => Some(o),
                    _ => None,
                };
                if let Some(o) = old {
                    let moved = o.meta.controller_ref().map(|r| r.uid) != rs.meta.controller_ref().map(|r| r.uid);
                    if moved {
                        if let Some(k) = self.deployment_of_rs(o) {
                            self.enqueue(k, cx);
                        }
                    }
                }
                if let Some(k) = self.deployment_of_rs(rs) {
                    self.enqueue(k, cx);
                } else if rs.meta.controller_ref().is_none() && !deleted {
                    let relabeled =
                        old.is_none_or(|o| o.meta.labels != rs.meta.labels || o.meta.controller_ref().is_some());
                    if relabeled {
                        for k in self.deployments_selecting(rs) {
                            self.enqueue(k, cx);
                        }
                    }
                }
            }
            Object::Pod(p) => {
                let Some(rs_uid) = p.meta.controller_ref().map(|r| r.uid) else { return };
                let Some(&owner) = self.rs_owner.get(&rs_uid) else { return };
                if ev.kind != WatchKind::Deleted {
                    self.pods_by_rs.entry(rs_uid).or_default().insert(p.meta.uid);
                    return;
                }
                if let Some(s) = self.pods_by_rs.get_mut(&rs_uid) {
                    s.swap_remove(&p.meta.uid);
                }
                // `deletePod`: a Recreate rollout waits for the last old
                // pod to go.
                let Some(key) = self.by_uid.get(&owner).cloned() else { return };
                let recreate = self.deployment(&key).is_some_and(|d| d.spec.strategy == Strategy::Recreate);
                if recreate {
                    let left: usize = self
                        .rs_by_owner
                        .get(&owner)
                        .into_iter()
                        .flatten()
                        .filter_map(|k| self.rsets.get(k))
                        .map(|rs| self.pods_by_rs.get(&rs.meta.uid).map_or(0, |s| s.len()))
                        .sum();
                    if left == 0 {
                        self.enqueue(key, cx);
                    }
                }
            }
            _ => {}
        }
    }

    fn deployment(&self, key: &Key) -> Option<&Deployment> {
        self.deployments.get(key).and_then(|t| t.downcast::<Deployment>())
    }

    /// `processNextWorkItem` after the sync: forget or requeue, then done.
    fn finish(&mut self, key: Key, failed: bool, cx: &mut Cx) {
        self.busy -= 1;
        if let Some(t) = handle_err(&mut self.queue, &key, failed, cx.now()) {
            cx.at(t, WAKE);
        }
        self.queue.done(&key);
        self.kick(cx);
    }

    fn run(&mut self, key: Key, cx: &mut Cx) {
        self.busy += 1;
        let pods = cx.kcm_pods();
        let now = cx.now();
        let run = match self.deployments.get(&key).cloned() {
            Some(t) => t.downcast::<Deployment>().map(|d| self.sync_deployment(d, pods, now)),
            None => None,
        };
        let Some(run) = run else {
            self.finish(key, false, cx);
            return;
        };
        let (ops, events, requeue_after) = (run.ops, run.events, run.requeue);
        if let Some(after) = requeue_after {
            if let Some(t) = self.queue.add_after(key.clone(), after, now) {
                cx.at(t, WAKE);
            }
        }
        if ops.is_empty() {
            self.finish(key, false, cx);
            return;
        }
        let slot = match self.slots.iter().position(|s| s.is_none()) {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.slots[slot] = Some(Busy { key, outstanding: ops.len(), failed: false, events });
        for (i, op) in ops.into_iter().enumerate() {
            let req = cx.send(op);
            self.pending.insert(req, (slot, i));
        }
    }

    /// `getReplicaSetsForDeployment`: the ReplicaSets it controls, and the
    /// orphans its selector matches, adopted (`ClaimReplicaSets`).
    fn claim_replica_sets(&self, d: &Deployment, ops: &mut Vec<ApiOp>) -> Vec<Rc<ReplicaSet>> {
        let mut out: Vec<Rc<ReplicaSet>> = self
            .rs_by_owner
            .get(&d.meta.uid)
            .into_iter()
            .flatten()
            .filter_map(|k| self.rsets.get(k))
            .cloned()
            .collect();
        if d.meta.deletion_timestamp.is_some() {
            return out;
        }
        for k in self.orphan_rs.get(&d.meta.namespace).into_iter().flatten() {
            let Some(rs) = self.rsets.get(k) else { continue };
            if rs.meta.deletion_timestamp.is_some() || !d.spec.selector.matches(&rs.meta.labels) {
                continue;
            }
            let mut adopted = (**rs).clone();
            adopted.meta.owner_references.push(controller_ref(d));
            let adopted = Rc::new(adopted);
            ops.push(ApiOp::Update { obj: Object::ReplicaSet(adopted.clone()), check_rv: true });
            out.push(adopted);
        }
        out.sort_by(|a, b| by_creation(a, b));
        out
    }

    /// `syncDeployment`: the writes this sync makes, in order, the Events
    /// they record, when to look again (`requeueStuckDeployment`), and
    /// whether the sync failed.
    fn sync_deployment(&self, d: &Deployment, pods: &PodInformer, now: SimTime) -> Run {
        let mut ops = Vec::new();
        let sets = self.claim_replica_sets(d, &mut ops);
        let mut run = Run::new(d.clone(), sets, ops, now);
        if d.meta.deletion_timestamp.is_some() {
            run.find_new(false);
            run.sync_status();
        } else {
            run.check_paused_conditions();
            if d.spec.paused || run.is_scaling_event() {
                run.sync();
            } else {
                match d.spec.strategy {
                    Strategy::RollingUpdate { .. } => run.rollout_rolling(),
                    Strategy::Recreate => {
                        let running = |run: &Run| self.old_pods_running(run, pods);
                        run.rollout_recreate(running)
                    }
                }
            }
        }
        // The one status update of this sync (see the module's header).
        if run.d.status != d.status || run.d.meta.annotations != d.meta.annotations {
            let obj: Rc<dyn TypedObject> = Rc::new(run.d.clone());
            run.ops.push(ApiOp::TypedStatus { obj, check_rv: true });
            run.events.push(None);
        }
        run
    }

    /// `oldPodsRunning`: old ReplicaSets still have pods, or pods of them
    /// not in a terminal phase remain.
    fn old_pods_running(&self, run: &Run, pods: &PodInformer) -> bool {
        let new_uid = run.new.map(|i| run.sets[i].meta.uid);
        let old = run.sets.iter().enumerate().filter(|(i, _)| Some(*i) != run.new).map(|(_, r)| &**r);
        if actual_replica_count(old) > 0 {
            return true;
        }
        run.sets.iter().filter(|r| Some(r.meta.uid) != new_uid).any(|rs| {
            self.pods_by_rs
                .get(&rs.meta.uid)
                .into_iter()
                .flatten()
                .filter_map(|u| pods.get(*u))
                .any(|p| !p.status.phase.is_terminal())
        })
    }
}

/// The controller reference a Deployment puts on its ReplicaSets.
fn controller_ref(d: &Deployment) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.meta.name.clone(),
        uid: d.meta.uid,
        controller: true,
        block_owner_deletion: true,
    }
}

/// One sync's working state: the Deployment and its ReplicaSets as the
/// sync has changed them so far (upstream's values returned by each call),
/// and the writes made.
struct Run {
    d: Deployment,
    /// Every ReplicaSet of the Deployment, oldest first (shared with the
    /// cache until the sync changes one).
    sets: Vec<Rc<ReplicaSet>>,
    /// The index of the new one (the template's), if it exists.
    new: Option<usize>,
    ops: Vec<ApiOp>,
    /// The Event on the Deployment each write records when it succeeds:
    /// (reason, message), by the write's index.
    events: Vec<Option<(&'static str, String)>>,
    requeue: Option<SimDuration>,
    now: SimTime,
}

/// `maxRetries`: how many times a Deployment's sync is retried before the
/// key is dropped from the queue (until its next event).
const MAX_RETRIES: u32 = 15;

/// `handleErr`: a sync that succeeded is forgotten; a failed one is
/// requeued with the rate limit, unless it already was `maxRetries` times
/// ("Dropping deployment out of the queue": forgotten, its next event
/// syncs it again). The time of the requeue, if one is due.
fn handle_err(queue: &mut WorkQueue<Key>, key: &Key, failed: bool, now: SimTime) -> Option<SimTime> {
    if failed && queue.num_requeues(key) < MAX_RETRIES {
        return queue.add_rate_limited(key.clone(), now);
    }
    queue.forget(key);
    None
}

impl Run {
    fn new(d: Deployment, sets: Vec<Rc<ReplicaSet>>, ops: Vec<ApiOp>, now: SimTime) -> Run {
        let events = vec![None; ops.len()];
        Run { d, sets, new: None, ops, events, requeue: None, now }
    }

    fn old_indices(&self) -> Vec<usize> {
        (0..self.sets.len()).filter(|i| Some(*i) != self.new).collect()
    }

    fn new_rs(&self) -> Option<&ReplicaSet> {
        self.new.map(|i| &*self.sets[i])
    }

    fn all(&self) -> impl Iterator<Item = &ReplicaSet> + Clone {
        self.sets.iter().map(|r| &**r)
    }

    /// Replaces ReplicaSet `i` with `rs` and sends the update.
    fn update(&mut self, i: usize, rs: ReplicaSet) {
        let rs = Rc::new(rs);
        self.send(ApiOp::Update { obj: Object::ReplicaSet(rs.clone()), check_rv: true });
        self.sets[i] = rs;
    }

    /// `getAllReplicaSetsAndSyncRevision` / `getNewReplicaSet`: finds the
    /// new ReplicaSet (the oldest whose template equals the Deployment's),
    /// brings its annotations up to date, and creates it when asked.
    fn find_new(&mut self, create: bool) {
        self.new = self.sets.iter().position(|rs| equal_ignore_hash(&rs.spec.template, &self.d.spec.template));
        let max_old =
            max_revision(self.sets.iter().enumerate().filter(|(i, _)| Some(*i) != self.new).map(|(_, r)| &**r));
        let new_revision = max_old + 1;
        if let Some(i) = self.new {
            // The annotations first, on a shared copy: the ReplicaSet is
            // copied only when it needs an update.
            let mut annotations = self.sets[i].meta.annotations.clone();
            let annotated = set_new_replica_set_annotations(&self.d, &mut annotations, new_revision, true);
            let min_ready = self.sets[i].spec.min_ready_seconds != self.d.spec.min_ready_seconds as u64;
            if annotated || min_ready {
                let mut rs = (*self.sets[i]).clone();
                rs.meta.annotations = annotations;
                rs.spec.min_ready_seconds = self.d.spec.min_ready_seconds as u64;
                self.update(i, rs);
                return;
            }
            let rev = self.sets[i].meta.annotations.get(REVISION).cloned().unwrap_or_default();
            self.set_deployment_revision(&rev);
            if has_progress_deadline(&self.d) && self.d.status.condition(ConditionType::Progressing).is_none() {
                let msg = format!("Found new replica set \"{}\"", self.sets[i].meta.name);
                let c = condition(ConditionType::Progressing, CondStatus::True, reason::FOUND_NEW_RS, msg, self.now);
                set_condition(&mut self.d.status, c);
            }
            return;
        }
        if !create {
            return;
        }
        let hash = compute_hash(&self.d.spec.template, self.d.status.collision_count);
        let t = &self.d.spec.template;
        let mut labels = (*t.labels).clone();
        labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let labels = Rc::new(labels);
        let template = PodTemplate { labels: labels.clone(), annotations: t.annotations.clone(), spec: t.spec.clone() };
        let (eq, exprs) = self.d.spec.selector.parts();
        let mut match_labels: std::collections::BTreeMap<String, String> =
            eq.iter().map(|r| (r.key.clone(), r.values[0].clone())).collect();
        match_labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
        let selector = Selector::from_label_selector(&match_labels, exprs.to_vec());
        let mut rs = ReplicaSet {
            kind: ReplicaKind::ReplicaSet,
            meta: ObjectMeta {
                name: format!("{}-{}", self.d.meta.name, hash).into(),
                namespace: self.d.meta.namespace.clone(),
                labels,
                owner_references: vec![controller_ref(&self.d)],
                ..Default::default()
            },
            spec: ReplicaSetSpec {
                replicas: 0,
                selector: Rc::new(selector),
                template: Rc::new(template),
                min_ready_seconds: self.d.spec.min_ready_seconds as u64,
            },
            status: ReplicaSetStatus::default(),
        };
        rs.spec.replicas = new_rs_new_replicas(&self.d, self.all(), &rs);
        set_new_replica_set_annotations(&self.d, &mut rs.meta.annotations, new_revision, false);
        rs.meta.creation_timestamp = self.now;
        let rs = Rc::new(rs);
        self.send(ApiOp::Create(Object::ReplicaSet(rs.clone())));
        if rs.spec.replicas > 0 {
            let msg = format!("Scaled up replica set {} from 0 to {}", rs.meta.name, rs.spec.replicas);
            self.event("ScalingReplicaSet", msg);
        }
        self.set_deployment_revision(&new_revision.to_string());
        if has_progress_deadline(&self.d) {
            let msg = format!("Created new replica set \"{}\"", rs.meta.name);
            let c = condition(ConditionType::Progressing, CondStatus::True, reason::NEW_REPLICA_SET, msg, self.now);
            set_condition(&mut self.d.status, c);
        }
        self.sets.push(rs);
        self.new = Some(self.sets.len() - 1);
    }

    /// `SetDeploymentRevision`.
    fn set_deployment_revision(&mut self, rev: &str) {
        if self.d.meta.annotations.get(REVISION).map(String::as_str) != Some(rev) {
            Rc::make_mut(&mut self.d.meta.annotations).insert(REVISION.into(), rev.to_string());
        }
    }

    /// Sends a write.
    fn send(&mut self, op: ApiOp) {
        self.ops.push(op);
        self.events.push(None);
    }

    /// The Event on the Deployment that the last write records once it
    /// has succeeded.
    fn event(&mut self, reason: &'static str, msg: String) {
        if let Some(slot) = self.events.last_mut() {
            *slot = Some((reason, msg));
        }
    }

    /// `checkPausedConditions`.
    fn check_paused_conditions(&mut self) {
        if !has_progress_deadline(&self.d) {
            return;
        }
        let cond = self.d.status.condition(ConditionType::Progressing);
        if cond.is_some_and(|c| c.reason == reason::TIMED_OUT) {
            // "If we have reported lack of progress, do not overwrite it
            // with a paused condition": a rollout that timed out stays
            // ProgressDeadlineExceeded through a pause and resume.
            return;
        }
        let paused_cond = cond.is_some_and(|c| c.reason == reason::PAUSED);
        let c = if self.d.spec.paused && !paused_cond {
            condition(
                ConditionType::Progressing,
                CondStatus::Unknown,
                reason::PAUSED,
                "Deployment is paused".into(),
                self.now,
            )
        } else if !self.d.spec.paused && paused_cond {
            condition(
                ConditionType::Progressing,
                CondStatus::Unknown,
                reason::RESUMED,
                "Deployment is resumed".into(),
                self.now,
            )
        } else {
            return;
        };
        set_condition(&mut self.d.status, c);
    }

    /// `isScalingEvent`: an active ReplicaSet was sized for another
    /// `replicas`.
    fn is_scaling_event(&mut self) -> bool {
        self.new = self.sets.iter().position(|rs| equal_ignore_hash(&rs.spec.template, &self.d.spec.template));
        self.sets
            .iter()
            .filter(|rs| rs.spec.replicas > 0)
            .filter_map(|rs| desired_replicas_annotation(rs))
            .any(|desired| desired != self.d.spec.replicas)
    }

    /// `scaleReplicaSet`: writes the size and the replicas annotations;
    /// whether the size changed.
    fn scale_replica_set(&mut self, i: usize, new_scale: i32) -> bool {
        let surge = max_surge(&self.d);
        let (desired, max) = (self.d.spec.replicas, self.d.spec.replicas + surge);
        let rs = &self.sets[i];
        let size_changed = rs.spec.replicas != new_scale;
        if !size_changed && !replicas_annotations_need_update(rs, desired, max) {
            return false;
        }
        let old = rs.spec.replicas;
        let mut rs = (**rs).clone();
        rs.spec.replicas = new_scale;
        set_replicas_annotations(&mut rs, desired, max);
        let msg = format!(
            "Scaled {} replica set {} from {} to {}",
            if old < new_scale { "up" } else { "down" },
            rs.meta.name,
            old,
            new_scale
        );
        self.update(i, rs);
        if size_changed {
            self.event("ScalingReplicaSet", msg);
        }
        size_changed
    }

    /// `scaleReplicaSetAndRecordEvent`.
    fn scale_and_record(&mut self, i: usize, new_scale: i32) -> bool {
        if self.sets[i].spec.replicas == new_scale {
            return false;
        }
        self.scale_replica_set(i, new_scale)
    }

    /// `sync`: scaling and status only (a paused Deployment, or a change
    /// of `replicas`).
    fn sync(&mut self) {
        self.find_new(false);
        self.scale();
        if self.d.spec.paused {
            self.cleanup_deployment();
        }
        self.sync_status();
    }

    /// `syncDeploymentStatus`.
    fn sync_status(&mut self) {
        let status = calculate_status(self.all(), self.new_rs(), &self.d, self.now);
        self.d.status = status;
    }

    /// `scale`: the only active ReplicaSet takes every replica; a
    /// saturated new one leaves the old ones none; otherwise a rolling
    /// Deployment's change is shared proportionally.
    fn scale(&mut self) {
        let replicas = self.d.spec.replicas;
        // `FindActiveOrLatest`.
        let active: Vec<usize> = (0..self.sets.len()).filter(|&i| self.sets[i].spec.replicas > 0).collect();
        let active_or_latest = match active.len() {
            0 => self.new.or_else(|| {
                let old = self.old_indices();
                old.into_iter().max_by(|&a, &b| by_creation(&self.sets[a], &self.sets[b]))
            }),
            1 => Some(active[0]),
            _ => None,
        };
        if let Some(i) = active_or_latest {
            if self.sets[i].spec.replicas != replicas {
                self.scale_and_record(i, replicas);
            }
            return;
        }
        if self.new_rs().is_some_and(|rs| is_saturated(&self.d, rs)) {
            for i in self.old_indices() {
                if self.sets[i].spec.replicas > 0 {
                    self.scale_and_record(i, 0);
                }
            }
            return;
        }
        if !matches!(self.d.spec.strategy, Strategy::RollingUpdate { .. }) {
            return;
        }
        let mut all = active;
        let current = replica_count(all.iter().map(|&i| &*self.sets[i]));
        let allowed = if replicas > 0 { replicas + max_surge(&self.d) } else { 0 };
        let to_add = allowed - current;
        match to_add.cmp(&0) {
            std::cmp::Ordering::Greater => all.sort_by(|&a, &b| by_size_newer(&self.sets[a], &self.sets[b])),
            std::cmp::Ordering::Less => all.sort_by(|&a, &b| by_size_older(&self.sets[a], &self.sets[b])),
            std::cmp::Ordering::Equal => {}
        }
        let mut added = 0;
        let mut sizes = Vec::with_capacity(all.len());
        for &i in &all {
            let rs = &self.sets[i];
            if to_add != 0 {
                let p = proportion(rs, &self.d, to_add, added);
                sizes.push(rs.spec.replicas + p);
                added += p;
            } else {
                sizes.push(rs.spec.replicas);
            }
        }
        for (n, &i) in all.iter().enumerate() {
            if n == 0 && to_add != 0 {
                sizes[0] = (sizes[0] + to_add - added).max(0);
            }
            self.scale_replica_set(i, sizes[n]);
        }
    }

    /// `rolloutRolling`.
    fn rollout_rolling(&mut self) {
        self.find_new(true);
        if self.reconcile_new_replica_set() {
            self.sync_rollout_status();
            return;
        }
        let scaled_down = self.reconcile_old_replica_sets();
        if scaled_down {
            self.sync_rollout_status();
            return;
        }
        if deployment_complete(&self.d, &self.d.status) {
            self.cleanup_deployment();
        }
        self.sync_rollout_status();
    }

    /// `reconcileNewReplicaSet`: grow the new ReplicaSet within the surge.
    fn reconcile_new_replica_set(&mut self) -> bool {
        let Some(i) = self.new else { return false };
        let replicas = self.d.spec.replicas;
        let cur = self.sets[i].spec.replicas;
        if cur == replicas {
            return false;
        }
        if cur > replicas {
            return self.scale_and_record(i, replicas);
        }
        let n = new_rs_new_replicas(&self.d, self.all(), &self.sets[i]);
        self.scale_and_record(i, n)
    }

    /// `reconcileOldReplicaSets`: shrink old ReplicaSets as far as
    /// `maxUnavailable` allows, the unhealthy pods first.
    fn reconcile_old_replica_sets(&mut self) -> bool {
        let old: Vec<usize> = self.old_indices().into_iter().filter(|&i| self.sets[i].spec.replicas > 0).collect();
        if replica_count(old.iter().map(|&i| &*self.sets[i])) == 0 {
            return false;
        }
        let all_pods = replica_count(self.all());
        let min_available = self.d.spec.replicas - max_unavailable(&self.d);
        let new_unavailable = self.new_rs().map_or(0, |r| r.spec.replicas - r.status.available_replicas);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        // Upstream's `if err != nil { return false, nil }`: an invalid
        // cleanup (a stale status) ends the scale-down, not the sync; the
        // rollout goes on to its status.
        let Some(cleaned) = self.cleanup_unhealthy_replicas(&old, max_scaled_down) else {
            return false;
        };
        let scaled = self.scale_down_old_for_rolling_update(&old);
        cleaned + scaled > 0
    }

    /// `cleanupUnhealthyReplicas`: old ReplicaSets give up their
    /// unavailable pods first, oldest first. `None` is its error (a
    /// ReplicaSet whose status says more available than desired).
    fn cleanup_unhealthy_replicas(&mut self, old: &[usize], max_cleanup: i32) -> Option<i32> {
        let mut old = old.to_vec();
        old.sort_by(|&a, &b| by_creation(&self.sets[a], &self.sets[b]));
        let mut total = 0;
        for i in old {
            if total >= max_cleanup {
                break;
            }
            let rs = &self.sets[i];
            if rs.spec.replicas == 0 || rs.spec.replicas == rs.status.available_replicas {
                continue;
            }
            let down = (max_cleanup - total).min(rs.spec.replicas - rs.status.available_replicas);
            let target = rs.spec.replicas - down;
            if target > rs.spec.replicas {
                // "when cleaning up unhealthy replicas, got invalid request
                // to scale down": more available than desired (a stale
                // status). The scale-downs already sent stand.
                return None;
            }
            self.scale_and_record(i, target);
            total += down;
        }
        Some(total)
    }

    /// `scaleDownOldReplicaSetsForRollingUpdate`: as many available old
    /// pods as keep `replicas − maxUnavailable` available, oldest first.
    fn scale_down_old_for_rolling_update(&mut self, old: &[usize]) -> i32 {
        let min_available = self.d.spec.replicas - max_unavailable(&self.d);
        // `allRSs` here is the active old ReplicaSets and the new one
        // (`reconcileOldReplicaSets` rebuilds it from the filtered list): an
        // old ReplicaSet already scaled to 0 whose status still counts
        // available pods does not count.
        let available = available_replica_count(old.iter().map(|&i| &*self.sets[i]).chain(self.new_rs()));
        if available <= min_available {
            return 0;
        }
        let total_down = available - min_available;
        let mut old = old.to_vec();
        old.sort_by(|&a, &b| by_creation(&self.sets[a], &self.sets[b]));
        let mut total = 0;
        for i in old {
            if total >= total_down {
                break;
            }
            let rs = &self.sets[i];
            if rs.spec.replicas == 0 {
                continue;
            }
            let down = rs.spec.replicas.min(total_down - total);
            let target = rs.spec.replicas - down;
            self.scale_and_record(i, target);
            total += down;
        }
        total
    }

    /// `rolloutRecreate`: old ReplicaSets to zero, wait for their pods to
    /// be gone, then the new one at full size.
    fn rollout_recreate(&mut self, old_pods_running: impl Fn(&Run) -> bool) {
        self.find_new(false);
        let mut scaled_down = false;
        for i in self.old_indices() {
            if self.sets[i].spec.replicas > 0 && self.scale_and_record(i, 0) {
                scaled_down = true;
            }
        }
        if scaled_down || old_pods_running(self) {
            self.sync_rollout_status();
            return;
        }
        if self.new.is_none() {
            self.find_new(true);
        }
        if let Some(i) = self.new {
            self.scale_and_record(i, self.d.spec.replicas);
        }
        if deployment_complete(&self.d, &self.d.status) {
            self.cleanup_deployment();
        }
        self.sync_rollout_status();
    }

    /// `cleanupDeployment`: deletes the oldest empty old ReplicaSets
    /// beyond `revisionHistoryLimit`.
    fn cleanup_deployment(&mut self) {
        let mut cleanable: Vec<&ReplicaSet> = self
            .old_indices()
            .into_iter()
            .map(|i| &*self.sets[i])
            .filter(|rs| rs.meta.deletion_timestamp.is_none())
            .collect();
        let diff = cleanable.len() as i64 - self.d.spec.revision_history_limit as i64;
        if diff <= 0 {
            return;
        }
        cleanable.sort_by(|a, b| by_revision(a, b));
        let mut ops = Vec::new();
        for rs in cleanable.into_iter().take(diff as usize) {
            if rs.status.replicas != 0
                || rs.spec.replicas != 0
                || rs.meta.generation > rs.status.observed_generation
                || rs.meta.deletion_timestamp.is_some()
            {
                continue;
            }
            ops.push(ApiOp::Delete {
                kind: Kind::ReplicaSet,
                other_kind: None,
                key: Key::of(&rs.meta),
                uid: Some(rs.meta.uid),
                grace_seconds: None,
                propagation: Propagation::Background,
                disruption: None,
            });
        }
        for op in ops {
            self.send(op);
        }
    }

    /// `syncRolloutStatus`: the status, the Progressing condition, and
    /// when to check the progress deadline again.
    fn sync_rollout_status(&mut self) {
        let mut status = calculate_status(self.all(), self.new_rs(), &self.d, self.now);
        let deadline = has_progress_deadline(&self.d);
        if !deadline {
            remove_condition(&mut status, ConditionType::Progressing);
        }
        let cur = self.d.status.condition(ConditionType::Progressing).cloned();
        let complete_before = status.replicas == status.updated_replicas
            && cur.as_ref().is_some_and(|c| c.reason == reason::NEW_RS_AVAILABLE);
        if deadline && !complete_before {
            let name = self.new_rs().map(|r| r.meta.name.to_string());
            let what = |verb: &str| match &name {
                Some(n) => format!("ReplicaSet \"{}\" {}", n, verb),
                None => format!("Deployment \"{}\" {}", self.d.meta.name, verb),
            };
            if deployment_complete(&self.d, &status) {
                let c = condition(
                    ConditionType::Progressing,
                    CondStatus::True,
                    reason::NEW_RS_AVAILABLE,
                    what("has successfully progressed."),
                    self.now,
                );
                set_condition(&mut status, c);
            } else if deployment_progressing(&self.d, &status) {
                let mut c = condition(
                    ConditionType::Progressing,
                    CondStatus::True,
                    reason::REPLICA_SET_UPDATED,
                    what("is progressing."),
                    self.now,
                );
                if let Some(cur) = &cur {
                    if cur.status == CondStatus::True {
                        c.last_transition_time = cur.last_transition_time;
                    }
                    remove_condition(&mut status, ConditionType::Progressing);
                }
                set_condition(&mut status, c);
            } else if deployment_timed_out(&self.d, &status, self.now) {
                let c = condition(
                    ConditionType::Progressing,
                    CondStatus::False,
                    reason::TIMED_OUT,
                    what("has timed out progressing."),
                    self.now,
                );
                set_condition(&mut status, c);
            }
        }
        remove_condition(&mut status, ConditionType::ReplicaFailure);
        if status == self.d.status {
            self.requeue = self.requeue_stuck_deployment(&status);
        }
        self.d.status = status;
    }

    /// `requeueStuckDeployment`: a rollout without progress is looked at
    /// again when its deadline passes.
    fn requeue_stuck_deployment(&self, new: &crate::kinds::deployment::DeploymentStatus) -> Option<SimDuration> {
        let cur = self.d.status.condition(ConditionType::Progressing)?;
        if !has_progress_deadline(&self.d) || deployment_complete(&self.d, new) || cur.reason == reason::TIMED_OUT {
            return None;
        }
        let deadline = cur.last_update_time + SimDuration::from_secs(self.d.spec.progress_deadline_seconds as u64);
        let after = deadline.saturating_sub(self.now);
        // Less than a second left: upstream requeues rate-limited (5 ms
        // for a key without failures).
        if after < SimDuration::from_secs(1) {
            return Some(SimDuration::from_millis(5));
        }
        Some(after + SimDuration::from_secs(1))
    }
}

#[cfg(test)]
mod tests;
