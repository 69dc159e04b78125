//! The replication manager: one controller for ReplicationController and
//! ReplicaSet, as upstream (`pkg/controller/replicaset`, which
//! `pkg/controller/replication` adapts). Names follow the Go code:
//! `sync_replica_set`, `claim_pods`, `manage_replicas`,
//! `get_pods_to_delete`, `calculate_status`.
//!
//! Watch handlers only enqueue keys; the sync is level-triggered and reads
//! only this controller's own informer caches. Pods are indexed by
//! controller uid and, for orphans, by namespace, so a sync touches the
//! pods that can matter to it, not every pod in the namespace.
//!
//! Creates go out in `slowStartBatch` batches of 1, 2, 4, …: a batch is
//! sent when every response of the previous one has come back, a failure
//! stops further batches, and creates never attempted are subtracted from
//! the expectations. Each request also waits for the controller-manager's
//! client rate limit (20 QPS, burst 30), which is what bounds large
//! scale-ups in practice (k8s-semantics §5.1).

use super::expectations::Expectations;
use crate::controllers::informer::PodInformer;
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::{Pod, PodPhase, PodStatus};
use crate::objects::replicaset::{ReplicaKind, ReplicaSet, ReplicaSetStatus};
use crate::objects::store::{controller_ref_to, ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::Object;
use crate::runtime::{Client, Ctx, Event};
use crate::sim::SimDuration;
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::cmp::Ordering;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;
type Set<K> = IndexSet<K, FxBuildHasher>;
type SetKey = (ReplicaKind, Key);

#[derive(Debug, Clone)]
pub enum RcEvent {
    /// The workqueue's worker takes the next key.
    Work,
    /// The response to one of our pod creates came back: it succeeded.
    Created(Rc<Pod>),
}

/// A `slowStartBatch` in progress for one replica set.
#[derive(Debug, Default)]
struct SlowStart {
    /// Creates not sent yet.
    remaining: usize,
    /// Creates of the current batch without a response yet.
    in_flight: usize,
    /// Size of the current batch (the next one is twice as big).
    batch: usize,
    failed: bool,
}

#[derive(Default)]
pub struct ReplicationManager {
    sets: Map<SetKey, Rc<ReplicaSet>>,
    by_uid: Map<u64, SetKey>,
    /// Pods by controller uid, with the pod itself (a sync walks them all).
    owned: Map<u64, Map<u64, Rc<Pod>>>,
    orphans: Map<Rc<str>, Set<u64>>,
    expectations: Map<SetKey, Expectations>,
    /// The workqueue: keys in FIFO order, each at most once.
    queued: Set<SetKey>,
    fifo: std::collections::VecDeque<SetKey>,
    /// Slow-start batches in progress, by replica set uid.
    slow_start: Map<u64, SlowStart>,
}

fn source(kind: ReplicaKind) -> &'static str {
    match kind {
        ReplicaKind::ReplicationController => "replication-controller",
        ReplicaKind::ReplicaSet => "replicaset-controller",
    }
}

impl ReplicationManager {
    pub fn new() -> Self {
        Self::default()
    }

    fn enqueue(&mut self, k: SetKey, ctx: &mut Ctx) {
        if self.queued.insert(k.clone()) {
            self.fifo.push_back(k);
            ctx.after(SimDuration::ZERO, Event::Replication(RcEvent::Work));
        }
    }

    /// The replica sets in `ns` whose selector matches `pod` (orphans only).
    fn matching_sets(&self, pod: &Pod) -> Vec<SetKey> {
        self.sets
            .iter()
            .filter(|((_, k), rs)| k.namespace == pod.meta.namespace && rs.spec.selector.matches(&pod.meta.labels))
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn owner_of(&self, meta: &ObjectMeta) -> Option<SetKey> {
        let r = meta.controller_ref()?;
        self.by_uid.get(&r.uid).cloned()
    }

    /// The index a pod version belongs to: its controller's, or its
    /// namespace's orphans.
    fn index_of(p: &Pod) -> (Option<u64>, Rc<str>) {
        (p.meta.controller_ref().map(|r| r.uid), p.meta.namespace.clone())
    }

    /// Files (`Some(pod)`) or removes (`None`) a pod in its index.
    fn index_pod(&mut self, uid: u64, at: &(Option<u64>, Rc<str>), pod: Option<&Rc<Pod>>) {
        match (at, pod) {
            ((Some(owner), _), Some(p)) => {
                self.owned.entry(*owner).or_default().insert(uid, p.clone());
            }
            ((Some(owner), _), None) => {
                if let Some(m) = self.owned.get_mut(owner) {
                    m.swap_remove(&uid);
                }
            }
            ((None, ns), Some(_)) => {
                self.orphans.entry(ns.clone()).or_default().insert(uid);
            }
            ((None, ns), None) => {
                if let Some(m) = self.orphans.get_mut(ns) {
                    m.swap_remove(&uid);
                }
            }
        }
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        match &ev.obj {
            Object::ReplicaSet(rs) => {
                let k = (rs.kind, Key::of(&rs.meta));
                if ev.kind == WatchKind::Deleted {
                    self.sets.swap_remove(&k);
                    self.by_uid.swap_remove(&rs.meta.uid);
                    self.expectations.swap_remove(&k);
                    return;
                }
                self.by_uid.insert(rs.meta.uid, k.clone());
                self.sets.insert(k.clone(), rs.clone());
                self.enqueue(k, ctx);
            }
            Object::Pod(p) => self.on_pod(ev, p, ctx),
            _ => {}
        }
    }

    fn on_pod(&mut self, ev: &WatchEvent, p: &Rc<Pod>, ctx: &mut Ctx) {
        let key = Key::of(&p.meta);
        let uid = p.meta.uid;
        let old = match &ev.old {
            Some(Object::Pod(o)) => Some(o),
            _ => None,
        };
        let old_index = old.map(|o| Self::index_of(o));
        if ev.kind == WatchKind::Deleted {
            if let Some(i) = &old_index {
                self.index_pod(uid, i, None);
            }
            if let Some(owner) = self.owner_of(&p.meta) {
                if let Some(e) = self.expectations.get_mut(&owner) {
                    e.deletion_observed(&key);
                }
                self.enqueue(owner, ctx);
            }
            return;
        }
        let new_index = Self::index_of(p);
        let moved = old_index.as_ref() != Some(&new_index);
        if moved {
            if let Some(i) = &old_index {
                self.index_pod(uid, i, None);
            }
        }
        // (Re)file it: owned entries hold the latest version; the orphan
        // index holds uids only, so an orphan that stays one needs nothing.
        if moved || new_index.0.is_some() {
            self.index_pod(uid, &new_index, Some(p));
        }
        let owner = self.owner_of(&p.meta);
        if let Some(owner) = &owner {
            if let Some(e) = self.expectations.get_mut(owner) {
                if ev.kind == WatchKind::Added {
                    e.creation_observed();
                }
                if p.meta.deletion_timestamp.is_some() {
                    e.deletion_observed(&key);
                }
            }
            self.enqueue(owner.clone(), ctx);
        }
        if let Some(o) = &old {
            let old_owner = self.owner_of(&o.meta);
            if old_owner != owner {
                if let Some(oo) = old_owner {
                    self.enqueue(oo, ctx);
                }
            }
        }
        // Orphans: every set that could adopt it, on add or a label change.
        if owner.is_none() && p.meta.deletion_timestamp.is_none() && !self.sets.is_empty() {
            let labels_changed =
                old.as_ref().is_none_or(|o| o.meta.labels != p.meta.labels || o.meta.controller_ref().is_some());
            if labels_changed {
                for k in self.matching_sets(p) {
                    self.enqueue(k, ctx);
                }
            }
        }
    }

    pub fn on_event(&mut self, ev: RcEvent, pods: &PodInformer, ctx: &mut Ctx) {
        match ev {
            RcEvent::Work => {
                let Some(k) = self.fifo.pop_front() else {
                    return;
                };
                self.queued.swap_remove(&k);
                self.sync_replica_set(&k, pods, ctx);
            }
            RcEvent::Created(p) => {
                self.created(&p, ctx);
                if let Some(r) = p.meta.controller_ref() {
                    self.create_done(r.uid, true, ctx);
                }
            }
        }
    }

    /// A create of ours failed: the pod will never be observed.
    pub fn on_api_failed(&mut self, op: &ApiOp, ctx: &mut Ctx) {
        if let ApiOp::Create(Object::Pod(p)) = op {
            if let Some(owner) = self.owner_of(&p.meta) {
                if let Some(e) = self.expectations.get_mut(&owner) {
                    e.creation_observed();
                }
            }
            if let Some(r) = p.meta.controller_ref() {
                self.create_done(r.uid, false, ctx);
            }
        }
    }

    /// One response of the current batch is back; when the batch is
    /// complete, send the next (twice as big) or stop after a failure.
    fn create_done(&mut self, owner_uid: u64, ok: bool, ctx: &mut Ctx) {
        let Some(s) = self.slow_start.get_mut(&owner_uid) else { return };
        s.in_flight -= 1;
        s.failed |= !ok;
        if s.in_flight > 0 {
            return;
        }
        let owner = self.by_uid.get(&owner_uid).cloned();
        if s.failed || s.remaining == 0 || owner.is_none() {
            let skipped = s.remaining;
            let failed = s.failed;
            self.slow_start.swap_remove(&owner_uid);
            if let Some(k) = owner {
                if let Some(e) = self.expectations.get_mut(&k) {
                    for _ in 0..skipped {
                        e.creation_observed();
                    }
                }
                if failed {
                    self.enqueue(k, ctx);
                }
            }
            return;
        }
        s.batch = (s.batch * 2).min(s.remaining);
        s.remaining -= s.batch;
        s.in_flight = s.batch;
        let n = s.batch;
        let rs = self.sets[&owner.expect("checked")].clone();
        for _ in 0..n {
            ctx.send(Client::Replication, ApiOp::Create(Object::Pod(Rc::new(pod_from_template(&rs)))));
        }
    }

    pub fn sync_replica_set(&mut self, k: &SetKey, pods: &PodInformer, ctx: &mut Ctx) {
        let Some(rs) = self.sets.get(k).cloned() else {
            self.expectations.swap_remove(k);
            return;
        };
        let ttl = ctx.cfg.expectations_timeout;
        let need_sync = self.expectations.get(k).is_none_or(|e| e.satisfied(ctx.now, ttl));
        let filtered = self.claim_pods(&rs, pods, ctx);
        if need_sync && rs.meta.deletion_timestamp.is_none() {
            self.manage_replicas(k, &rs, &filtered, ctx);
        }
        let status = calculate_status(&rs, &filtered, ctx.now);
        if status != rs.status {
            ctx.send(Client::Replication, ApiOp::ReplicaSetStatus { kind: rs.kind, key: k.1.clone(), status });
        }
    }

    /// `claimPods`: keeps owned pods that still match, releases owned pods
    /// that do not, adopts matching orphans. Works on active pods only.
    fn claim_pods(&self, rs: &Rc<ReplicaSet>, pods: &PodInformer, ctx: &mut Ctx) -> Vec<Rc<Pod>> {
        let mut claimed = Vec::new();
        let sel = &rs.spec.selector;
        let deleting = rs.meta.deletion_timestamp.is_some();
        // Pods made from the template share its label map: for them the
        // selector's verdict is the template's, computed once.
        let template = &rs.spec.template.labels;
        let template_matches = sel.matches(template);
        let matches =
            |p: &Pod| if Rc::ptr_eq(&p.meta.labels, template) { template_matches } else { sel.matches(&p.meta.labels) };
        if let Some(owned) = self.owned.get(&rs.meta.uid) {
            for p in owned.values() {
                if !p.is_active() {
                    continue;
                }
                if matches(p) {
                    claimed.push(p.clone());
                } else if !deleting {
                    let mut np = (**p).clone();
                    np.meta.owner_references.retain(|o| o.uid != rs.meta.uid);
                    ctx.send(Client::Replication, ApiOp::Update { obj: Object::Pod(Rc::new(np)), check_rv: true });
                }
            }
        }
        if !deleting {
            if let Some(orphans) = self.orphans.get(&rs.meta.namespace) {
                for uid in orphans {
                    let p = pods.get(*uid).expect("orphans are cached");
                    if !p.is_active() || !sel.matches(&p.meta.labels) {
                        continue;
                    }
                    let mut np = (**p).clone();
                    np.meta.owner_references.push(controller_ref_to(rs));
                    ctx.send(Client::Replication, ApiOp::Update { obj: Object::Pod(Rc::new(np)), check_rv: true });
                    claimed.push(p.clone());
                }
            }
        }
        claimed
    }

    fn manage_replicas(&mut self, k: &SetKey, rs: &Rc<ReplicaSet>, filtered: &[Rc<Pod>], ctx: &mut Ctx) {
        let diff = filtered.len() as i64 - rs.spec.replicas as i64;
        let burst = ctx.cfg.burst_replicas as i64;
        let exp = self.expectations.entry(k.clone()).or_default();
        if diff < 0 {
            if self.slow_start.contains_key(&rs.meta.uid) {
                return; // the previous batches are still in flight
            }
            let n = (-diff).min(burst) as usize;
            exp.expect_creations(n, ctx.now);
            // SlowStartInitialBatchSize = 1.
            self.slow_start.insert(rs.meta.uid, SlowStart { remaining: n - 1, in_flight: 1, batch: 1, failed: false });
            ctx.send(Client::Replication, ApiOp::Create(Object::Pod(Rc::new(pod_from_template(rs)))));
        } else if diff > 0 {
            let n = diff.min(burst) as usize;
            let victims = get_pods_to_delete(filtered, n);
            exp.expect_deletions(victims.iter().map(|p| Key::of(&p.meta)), ctx.now);
            for p in victims {
                ctx.send(Client::Replication, ApiOp::delete_pod(Key::of(&p.meta), p.meta.uid, None, None));
                ctx.event(
                    false,
                    source(rs.kind),
                    "SuccessfulDelete",
                    rs.kind.as_str(),
                    &rs.meta.namespace,
                    &rs.meta.name,
                    &format_args!("Deleted pod: {}", p.meta.name),
                );
            }
        }
    }

    /// `SuccessfulCreate`, recorded when the create's response arrives (it
    /// names the generated pod).
    fn created(&self, p: &Pod, ctx: &mut Ctx) {
        if let Some(r) = p.meta.controller_ref() {
            if let Some((kind, key)) = self.by_uid.get(&r.uid) {
                ctx.event(
                    false,
                    source(*kind),
                    "SuccessfulCreate",
                    kind.as_str(),
                    &key.namespace,
                    &key.name,
                    &format_args!("Created pod: {}", p.meta.name),
                );
            }
        }
    }
}

/// A new pod from the template: `generateName: <owner>-`, the template's
/// labels and annotations, and a controller reference.
fn pod_from_template(rs: &ReplicaSet) -> Pod {
    let t = &rs.spec.template;
    Pod {
        meta: ObjectMeta {
            generate_name: Some(format!("{}-", rs.meta.name)),
            namespace: rs.meta.namespace.clone(),
            labels: t.labels.clone(),
            annotations: t.annotations.clone(),
            owner_references: vec![controller_ref_to(rs)],
            ..Default::default()
        },
        spec: t.spec.clone(),
        status: PodStatus::initial(),
    }
}

/// `getPodsToDelete` with `ActivePodsWithRanks` (k8s-semantics §5.2): the
/// first `n` pods in deletion order. The rank is the number of this owner's
/// active pods on the same node, so survivors stay spread.
pub fn get_pods_to_delete(pods: &[Rc<Pod>], n: usize) -> Vec<Rc<Pod>> {
    if n >= pods.len() {
        return pods.to_vec();
    }
    let mut per_node: std::collections::BTreeMap<&str, u32> = Default::default();
    for p in pods {
        if let Some(node) = p.node_name() {
            *per_node.entry(node).or_default() += 1;
        }
    }
    let rank = |p: &Pod| p.node_name().map(|n| per_node[n]).unwrap_or(0);
    let cost = |p: &Pod| -> i64 {
        p.meta.annotations.get("controller.kubernetes.io/pod-deletion-cost").and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    let phase_rank = |p: &Pod| match p.status.phase {
        PodPhase::Pending => 0,
        PodPhase::Unknown => 1,
        _ => 2,
    };
    let ready_since = |p: &Pod| p.status.conditions.ready.as_ref().map(|c| c.last_transition_time);
    let mut sorted: Vec<Rc<Pod>> = pods.to_vec();
    sorted.sort_by(|a, b| {
        // Each comparison: the pod to delete first compares Less.
        (a.node_name().is_some())
            .cmp(&b.node_name().is_some())
            .then(phase_rank(a).cmp(&phase_rank(b)))
            .then(a.is_ready().cmp(&b.is_ready()))
            .then(cost(a).cmp(&cost(b)))
            .then(rank(b).cmp(&rank(a)))
            .then_with(
                || {
                    if a.is_ready() && b.is_ready() {
                        ready_since(b).cmp(&ready_since(a))
                    } else {
                        Ordering::Equal
                    }
                },
            )
            .then(b.max_restart_count().cmp(&a.max_restart_count()))
            .then(b.meta.creation_timestamp.cmp(&a.meta.creation_timestamp))
            .then(b.meta.uid.cmp(&a.meta.uid))
    });
    sorted.truncate(n);
    sorted
}

/// `calculateStatus`.
fn calculate_status(rs: &ReplicaSet, pods: &[Rc<Pod>], now: crate::sim::SimTime) -> ReplicaSetStatus {
    let t = &rs.spec.template.labels;
    let min_ready = SimDuration::from_secs(rs.spec.min_ready_seconds);
    let mut s = ReplicaSetStatus { observed_generation: rs.meta.generation, ..Default::default() };
    for p in pods {
        s.replicas += 1;
        if Rc::ptr_eq(&p.meta.labels, t) || t.iter().all(|(k, v)| p.meta.labels.get(k) == Some(v)) {
            s.fully_labeled_replicas += 1;
        }
        if p.is_ready() {
            s.ready_replicas += 1;
            let since = p.status.conditions.ready.as_ref().map(|c| c.last_transition_time).unwrap_or(now);
            if now.saturating_sub(since) >= min_ready {
                s.available_replicas += 1;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::pod::{CondStatus, Condition, ContainerState, ContainerStatus, PodPhase, PodStatus};
    use crate::sim::SimTime;

    /// A pod described by what the ranking reads.
    fn pod(
        name: &str,
        node: Option<&str>,
        phase: PodPhase,
        ready_at: Option<u64>,
        restarts: u32,
        created: u64,
    ) -> Rc<Pod> {
        let mut spec = crate::scenario::workload::trace_spec(100, 1 << 20);
        spec.node_name = node.map(Rc::from);
        let mut status = PodStatus { phase, ..Default::default() };
        status.conditions.ready = ready_at.map(|t| Condition::new(CondStatus::True, SimTime(t * 1_000_000_000)));
        status.container_statuses.push(ContainerStatus {
            name: "c".into(),
            image: "i".into(),
            ready: ready_at.is_some(),
            started: true,
            restart_count: restarts,
            container_id: None,
            state: ContainerState::Running { started_at: SimTime::ZERO },
            last_state: None,
        });
        Rc::new(Pod {
            meta: ObjectMeta {
                name: name.into(),
                namespace: "default".into(),
                uid: created,
                creation_timestamp: SimTime(created * 1_000_000_000),
                ..Default::default()
            },
            spec: Rc::new(spec),
            status: Rc::new(status),
        })
    }

    fn order(pods: &[Rc<Pod>]) -> Vec<String> {
        get_pods_to_delete(pods, pods.len() - 1).iter().map(|p| p.meta.name.to_string()).collect()
    }

    #[test]
    fn pods_to_delete_follow_upstream_ranking() {
        use PodPhase::*;
        // (case, pods, expected deletion order of all but the last survivor)
        type Case = (&'static str, Vec<Rc<Pod>>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            (
                "unassigned before assigned, pending before running",
                vec![
                    pod("running", Some("n1"), Running, Some(5), 0, 1),
                    pod("unassigned", None, Pending, None, 0, 2),
                    pod("pending", Some("n2"), Pending, None, 0, 3),
                ],
                vec!["unassigned", "pending"],
            ),
            (
                "not ready before ready",
                vec![pod("ready", Some("n1"), Running, Some(5), 0, 1), pod("unready", Some("n2"), Running, None, 0, 2)],
                vec!["unready"],
            ),
            (
                "more pods of the owner on the node first",
                vec![
                    pod("alone", Some("n1"), Running, Some(5), 0, 1),
                    pod("crowded-a", Some("n2"), Running, Some(5), 0, 2),
                    pod("crowded-b", Some("n2"), Running, Some(5), 0, 3),
                ],
                vec!["crowded-b", "crowded-a"],
            ),
            (
                "then the most recently ready",
                vec![pod("old", Some("n1"), Running, Some(5), 0, 1), pod("new", Some("n2"), Running, Some(50), 0, 2)],
                vec!["new"],
            ),
            (
                "then more restarts, then newer",
                vec![
                    pod("calm", Some("n1"), Running, Some(5), 0, 1),
                    pod("flappy", Some("n2"), Running, Some(5), 3, 2),
                    pod("young", Some("n3"), Running, Some(5), 0, 9),
                ],
                vec!["flappy", "young"],
            ),
        ];
        for (name, pods, want) in cases {
            assert_eq!(order(&pods), want, "{}", name);
        }
    }

    #[test]
    fn deleting_all_needs_no_ranking() {
        let pods =
            vec![pod("a", None, PodPhase::Pending, None, 0, 1), pod("b", Some("n"), PodPhase::Running, Some(1), 0, 2)];
        assert_eq!(get_pods_to_delete(&pods, 5).len(), 2);
    }
}
