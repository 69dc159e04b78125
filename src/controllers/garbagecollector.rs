//! The garbage collector, reduced to what the modelled kinds need: when a
//! ReplicationController or ReplicaSet is deleted, its pods are deleted
//! (Background/Foreground propagation) or released (Orphan), and a pod whose
//! controller is already gone is deleted when it appears; when a
//! Deployment is deleted, so are its ReplicaSets (and through them their
//! pods), or they are released under Orphan.
//!
//! A dependent is asked to be deleted once: upstream's `attemptToDeleteItem`
//! reads the item live before acting and leaves one already being deleted
//! alone, and its work queue never holds a key twice; here the pod is
//! remembered until its deletion is seen, so the updates that arrive while
//! the delete is in flight send no second delete (which the apiserver would
//! store as one more write that changes nothing).
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared informers and sends as `"generic-garbage-collector"`; its writes
//! are not waited for (upstream requeues a failed one; the only error here
//! is a NotFound, which means the work is done). A crash loses its graph.
//! The restarted collector relists, and once the list is in it collects
//! every dependent whose owner the list no longer holds, as upstream's
//! graph builder does for an owner it finds absent (`attemptToDeleteItem`
//! after the "virtual node" lookup): what was deleted while it was down.

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::kinds::cronjob::CronJob;
use crate::kinds::daemonset::DaemonSet;
use crate::kinds::deployment::Deployment;
use crate::kinds::job::Job;
use crate::objects::pod::Pod;
use crate::objects::replicaset::ReplicaSet;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind, FINALIZER_ORPHAN};
use crate::objects::{Kind, Object};
use crate::sim::SimDuration;
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The garbage collector's state: owners and their dependents as its
/// informers show them.
#[derive(Default)]
pub struct GarbageCollector {
    /// Pods by controller uid.
    dependents: Map<u64, IndexSet<u64, FxBuildHasher>>,
    owners: IndexSet<u64, FxBuildHasher>,
    /// Owners seen deleted (uids are never reused).
    gone: IndexSet<u64, FxBuildHasher>,
    /// Dependents asked to be deleted, until their deletion is seen.
    requested: IndexSet<u64, FxBuildHasher>,
    /// Node Leases by the uid of the Node that owns them (the kubelet's
    /// `setNodeOwnerFunc` reference): deleted with their Node.
    leases: Map<u64, (Key, u64)>,
    /// ReplicaSets by the uid of the Deployment that controls them, with
    /// each one's latest version.
    replica_sets: Map<u64, Map<u64, Rc<ReplicaSet>>>,
    /// Deployments seen deleted.
    gone_deployments: IndexSet<u64, FxBuildHasher>,
    /// Jobs by the uid of the CronJob that controls them.
    cron_jobs: Map<u64, Map<u64, Rc<dyn crate::objects::typed::TypedObject>>>,
    /// CronJobs seen deleted.
    gone_cronjobs: IndexSet<u64, FxBuildHasher>,
    /// The Deployments, DaemonSets, Jobs, CronJobs and Nodes its informers
    /// hold, by uid (the owners a restart's sweep looks for).
    present: IndexSet<u64, FxBuildHasher>,
    /// Owners being deleted with the `orphan` finalizer, by uid, once
    /// seen (their dependents are released once).
    orphaning: IndexSet<u64, FxBuildHasher>,
    /// Those whose dependents are still to be released (at this instant,
    /// after the events of the instant: a restart's list must be in).
    pending_orphans: Vec<Object>,
}

/// The timer of a restart's sweep.
const SWEEP: u64 = 0;
/// The timer that releases the dependents of `pending_orphans`.
const ORPHAN: u64 = 1;

/// The owner kinds whose pods the collector deletes (it watches them).
const POD_OWNERS: [&str; 4] = ["ReplicaSet", "ReplicationController", "DaemonSet", "Job"];

impl Controller for GarbageCollector {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod, Kind::ReplicaSet, Kind::ReplicationController, Kind::Node, Kind::Lease]
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Deployment", "DaemonSet", "Job", "CronJob"]
    }

    /// Once the informers' list is in (a timer at this instant runs after
    /// the list's `Added` events), sweep for dependents of absent owners.
    fn start(&mut self, cx: &mut Cx) {
        cx.after(SimDuration::ZERO, SWEEP);
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.track_present(ev);
        self.handle(ev, cx);
    }

    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        match token {
            SWEEP => self.sweep_absent_owners(cx),
            _ => self.orphan_dependents(cx),
        }
    }
}

impl GarbageCollector {
    /// A collector that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `present` (the owners other than ReplicaSets and RCs, which
    /// `owners` holds).
    fn track_present(&mut self, ev: &WatchEvent) {
        let uid = match &ev.obj {
            Object::Typed(t) => t.meta().uid,
            Object::Node(n) if ev.kind != WatchKind::Modified => n.meta.uid,
            _ => return,
        };
        if ev.kind == WatchKind::Deleted {
            self.present.swap_remove(&uid);
        } else {
            self.present.insert(uid);
        }
    }

    /// After a (re)start's list: every dependent whose owner's kind it
    /// watches and whose owner the informers do not hold is collected (in
    /// background), and the owner counts as gone for dependents still to
    /// come.
    fn sweep_absent_owners(&mut self, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        let absent_pod_owners: Vec<u64> =
            self.dependents.keys().copied().filter(|o| !self.owners.contains(o) && !self.present.contains(o)).collect();
        for owner in absent_pod_owners {
            let deps: Vec<u64> = self.dependents.get(&owner).map(|d| d.iter().copied().collect()).unwrap_or_default();
            let mut collected = false;
            for dep in deps {
                let Some(p) = pods.get(dep) else { continue };
                let owned_by_watched_kind =
                    p.meta.controller_ref().is_some_and(|r| r.uid == owner && POD_OWNERS.contains(&&*r.kind));
                if owned_by_watched_kind {
                    collected = true;
                    self.collect(p, owner, Propagation::Background, cx);
                }
            }
            if collected {
                self.gone.insert(owner);
            }
        }
        let absent_deployments: Vec<u64> =
            self.replica_sets.keys().copied().filter(|d| !self.present.contains(d)).collect();
        for d in absent_deployments {
            self.gone_deployments.insert(d);
            let rss: Vec<Rc<ReplicaSet>> =
                self.replica_sets.get(&d).map(|m| m.values().cloned().collect()).unwrap_or_default();
            for rs in rss.iter().filter(|rs| rs.meta.deletion_timestamp.is_none()) {
                self.collect_replica_set(rs, d, Propagation::Background, cx);
            }
        }
        let absent_cronjobs: Vec<u64> = self.cron_jobs.keys().copied().filter(|c| !self.present.contains(c)).collect();
        for c in absent_cronjobs {
            self.gone_cronjobs.insert(c);
            let jobs: Vec<_> = self.cron_jobs.swap_remove(&c).map(|m| m.into_values().collect()).unwrap_or_default();
            for j in jobs.iter().filter(|j| j.meta().deletion_timestamp.is_none()) {
                self.collect_typed(j, c, Propagation::Background, cx);
            }
        }
        let absent_nodes: Vec<u64> = self.leases.keys().copied().filter(|n| !self.present.contains(n)).collect();
        for n in absent_nodes {
            if let Some((key, uid)) = self.leases.swap_remove(&n) {
                cx.send_unanswered(delete_lease(key, uid));
            }
        }
    }

    /// `attemptToOrphan`: an owner deleted with Orphan propagation
    /// carries the `orphan` finalizer; its dependents are released (their
    /// owner reference to it removed), then the finalizer, which lets the
    /// apiserver delete it. A restarted collector does the same for an
    /// owner it finds in that state.
    fn orphan_dependents(&mut self, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        for owner in std::mem::take(&mut self.pending_orphans) {
            let m = owner.meta();
            let uid = m.uid;
            // Handled now (a later start is a new one), unless it is gone
            // already.
            if !self.orphaning.swap_remove(&uid) {
                continue;
            }
            match &owner {
                Object::Typed(t) if t.downcast::<Deployment>().is_some() => {
                    let rss: Vec<Rc<ReplicaSet>> =
                        self.replica_sets.get(&uid).map(|m| m.values().cloned().collect()).unwrap_or_default();
                    for rs in &rss {
                        self.collect_replica_set(rs, uid, Propagation::Orphan, cx);
                    }
                }
                Object::Typed(t) if t.downcast::<CronJob>().is_some() => {
                    let jobs: Vec<_> =
                        self.cron_jobs.get(&uid).map(|m| m.values().cloned().collect()).unwrap_or_default();
                    for j in &jobs {
                        self.collect_typed(j, uid, Propagation::Orphan, cx);
                    }
                }
                _ => {
                    let deps = self.dependents.get(&uid).cloned().unwrap_or_default();
                    for dep in deps {
                        if let Some(p) = pods.get(dep) {
                            self.collect(p, uid, Propagation::Orphan, cx);
                        }
                    }
                }
            }
            cx.send_unanswered(ApiOp::RemoveFinalizer {
                kind: owner.kind(),
                other_kind: owner.other_kind(),
                key: Key::of(m),
                uid,
                finalizer: FINALIZER_ORPHAN,
            });
        }
    }

    /// Handles a watch event of its informers.
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        let m = ev.obj.meta();
        // `deletionStartsWithFinalizer`: the version that starts being
        // deleted with the finalizer (or the first one seen, after a
        // restart's list), each time it does.
        let orphaning = |o: &Object| o.meta().deletion_timestamp.is_some() && o.meta().has_finalizer(FINALIZER_ORPHAN);
        if ev.kind == WatchKind::Deleted {
            self.orphaning.swap_remove(&m.uid);
        } else if orphaning(&ev.obj)
            && !ev.old.as_ref().is_some_and(orphaning)
            && !matches!(ev.obj, Object::Pod(_) | Object::Node(_) | Object::Lease(_))
            && self.orphaning.insert(m.uid)
        {
            if self.pending_orphans.is_empty() {
                cx.after(SimDuration::ZERO, ORPHAN);
            }
            self.pending_orphans.push(ev.obj.clone());
        }
        match &ev.obj {
            Object::Typed(t)
                if ev.kind == WatchKind::Deleted
                    && (t.downcast::<DaemonSet>().is_some() || t.downcast::<Job>().is_some()) =>
            {
                // DaemonSet → pods, Job → pods.
                let uid = t.meta().uid;
                self.gone.insert(uid);
                let deps = self.dependents.get(&uid).cloned().unwrap_or_default();
                for dep in deps {
                    let p = pods.get(dep).expect("dependents are cached");
                    self.collect(p, uid, ev.propagation, cx);
                }
            }
            Object::Typed(t) if ev.kind == WatchKind::Deleted && t.downcast::<Deployment>().is_some() => {
                // Deployment → ReplicaSets: deleted with the Deployment's
                // propagation, or released under Orphan.
                let uid = t.meta().uid;
                self.gone_deployments.insert(uid);
                for rs in
                    self.replica_sets.get(&uid).map(|m| m.values().cloned().collect::<Vec<_>>()).unwrap_or_default()
                {
                    self.collect_replica_set(&rs, uid, ev.propagation, cx);
                }
            }
            Object::Typed(t) if t.downcast::<CronJob>().is_some() => {
                // CronJob → Jobs.
                if ev.kind != WatchKind::Deleted {
                    return;
                }
                let uid = t.meta().uid;
                self.gone_cronjobs.insert(uid);
                let jobs: Vec<_> =
                    self.cron_jobs.swap_remove(&uid).map(|m| m.into_values().collect()).unwrap_or_default();
                for j in jobs {
                    self.collect_typed(&j, uid, ev.propagation, cx);
                }
            }
            Object::Typed(t) if t.downcast::<Job>().is_some() => {
                let cronjob = |o: &Object| o.meta().controller_ref().filter(|r| &*r.kind == "CronJob").map(|r| r.uid);
                let Some(owner) = cronjob(&ev.obj) else {
                    // Released from its CronJob (orphaned): no longer its
                    // dependent.
                    if let Some(was) = ev.old.as_ref().and_then(cronjob) {
                        if let Some(m) = self.cron_jobs.get_mut(&was) {
                            m.swap_remove(&t.meta().uid);
                        }
                    }
                    return;
                };
                if ev.kind == WatchKind::Deleted {
                    if let Some(m) = self.cron_jobs.get_mut(&owner) {
                        m.swap_remove(&t.meta().uid);
                    }
                } else if self.gone_cronjobs.contains(&owner) {
                    if t.meta().deletion_timestamp.is_none() {
                        self.collect_typed(t, owner, Propagation::Background, cx);
                    }
                } else {
                    self.cron_jobs.entry(owner).or_default().insert(t.meta().uid, t.clone());
                }
            }
            Object::ReplicaSet(rs) => {
                let deployment = rs.meta.controller_ref().filter(|r| &*r.kind == "Deployment").map(|r| r.uid);
                if let Some(d) = deployment {
                    if ev.kind == WatchKind::Deleted {
                        if let Some(m) = self.replica_sets.get_mut(&d) {
                            m.swap_remove(&rs.meta.uid);
                        }
                    } else {
                        self.replica_sets.entry(d).or_default().insert(rs.meta.uid, rs.clone());
                        if self.gone_deployments.contains(&d) && rs.meta.deletion_timestamp.is_none() {
                            self.collect_replica_set(rs, d, Propagation::Background, cx);
                        }
                    }
                }
                if let Some(Object::ReplicaSet(old)) = &ev.old {
                    let before = old.meta.controller_ref().filter(|r| &*r.kind == "Deployment").map(|r| r.uid);
                    if before != deployment {
                        if let Some(m) = before.and_then(|b| self.replica_sets.get_mut(&b)) {
                            m.swap_remove(&rs.meta.uid);
                        }
                    }
                }
                if ev.kind != WatchKind::Deleted {
                    self.owners.insert(rs.meta.uid);
                    return;
                }
                self.owners.swap_remove(&rs.meta.uid);
                self.gone.insert(rs.meta.uid);
                let Some(deps) = self.dependents.get(&rs.meta.uid) else {
                    return;
                };
                for uid in deps.clone() {
                    let p = pods.get(uid).expect("dependents are cached");
                    self.collect(p, rs.meta.uid, ev.propagation, cx);
                }
            }
            Object::Pod(p) => {
                let uid = p.meta.uid;
                if ev.kind == WatchKind::Deleted || p.meta.deletion_timestamp.is_some() {
                    self.requested.swap_remove(&uid);
                }
                let new_owner =
                    if ev.kind == WatchKind::Deleted { None } else { p.meta.controller_ref().map(|r| r.uid) };
                let old_owner = match &ev.old {
                    Some(Object::Pod(o)) => o.meta.controller_ref().map(|r| r.uid),
                    _ => None,
                };
                if old_owner != new_owner {
                    if let Some(o) = old_owner {
                        if let Some(d) = self.dependents.get_mut(&o) {
                            d.swap_remove(&uid);
                        }
                    }
                    if let Some(o) = new_owner {
                        self.dependents.entry(o).or_default().insert(uid);
                    }
                }
                if let Some(o) = new_owner {
                    if self.gone.contains(&o) && p.meta.deletion_timestamp.is_none() {
                        self.collect(p, o, Propagation::Background, cx);
                    }
                }
            }
            Object::Lease(l) => {
                let owner = l.meta.owner_references.iter().find(|o| &*o.kind == "Node").map(|o| o.uid);
                match (ev.kind, owner) {
                    (WatchKind::Deleted, Some(o)) => {
                        self.leases.swap_remove(&o);
                    }
                    (_, Some(o)) => {
                        self.leases.insert(o, (Key::of(&l.meta), l.meta.uid));
                    }
                    _ => {}
                }
            }
            Object::Node(n) if ev.kind == WatchKind::Deleted => {
                // The Lease's owner is gone: background deletion of the
                // dependent (`attemptToDeleteItem`).
                if let Some((key, uid)) = self.leases.swap_remove(&n.meta.uid) {
                    cx.send_unanswered(delete_lease(key, uid));
                }
            }
            _ => {}
        }
    }

    /// A ReplicaSet whose Deployment is gone: released under Orphan,
    /// else deleted (once) with the same propagation for its pods.
    fn collect_replica_set(&mut self, rs: &Rc<ReplicaSet>, owner: u64, propagation: Propagation, cx: &mut Cx) {
        if propagation == Propagation::Orphan {
            cx.send_unanswered(release(Object::ReplicaSet(rs.clone()), owner));
        } else if self.requested.insert(rs.meta.uid) {
            cx.send_unanswered(ApiOp::Delete {
                kind: Kind::ReplicaSet,
                other_kind: None,
                key: Key::of(&rs.meta),
                uid: Some(rs.meta.uid),
                grace_seconds: None,
                propagation,
                disruption: None,
            });
        }
    }

    /// Deletes (or, under Orphan, releases) a typed dependent.
    fn collect_typed(
        &mut self,
        t: &Rc<dyn crate::objects::typed::TypedObject>,
        owner: u64,
        propagation: Propagation,
        cx: &mut Cx,
    ) {
        if propagation == Propagation::Orphan {
            cx.send_unanswered(release(Object::Typed(t.clone()), owner));
        } else if self.requested.insert(t.meta().uid) {
            cx.send_unanswered(ApiOp::Delete {
                kind: Kind::Other,
                other_kind: Some(t.info().kind.to_string()),
                key: Key::of(t.meta()),
                uid: Some(t.meta().uid),
                grace_seconds: None,
                propagation,
                disruption: None,
            });
        }
    }

    fn collect(&mut self, p: &Rc<Pod>, owner: u64, propagation: Propagation, cx: &mut Cx) {
        let key = Key::of(&p.meta);
        if propagation == Propagation::Orphan {
            cx.send_unanswered(release(Object::Pod(p.clone()), owner));
        } else if p.meta.deletion_timestamp.is_none() && self.requested.insert(p.meta.uid) {
            cx.send_unanswered(ApiOp::delete_pod(key, p.meta.uid, None, None));
        }
    }
}

/// `orphanDependents`' patch of one dependent: its owner reference to
/// `owner` goes (on the live object; nothing else is touched).
fn release(dependent: Object, owner: u64) -> ApiOp {
    let m = dependent.meta();
    ApiOp::RemoveOwnerReference {
        kind: dependent.kind(),
        other_kind: dependent.other_kind(),
        key: Key::of(m),
        uid: m.uid,
        owner,
    }
}

/// The background delete of a node's Lease whose Node is gone.
fn delete_lease(key: Key, uid: u64) -> ApiOp {
    ApiOp::Delete {
        kind: Kind::Lease,
        other_kind: None,
        key,
        uid: Some(uid),
        grace_seconds: None,
        propagation: Propagation::Background,
        disruption: None,
    }
}
