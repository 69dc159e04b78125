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

#![warn(missing_docs)]

use crate::controllers::informer::PodInformer;
use crate::kinds::cronjob::CronJob;
use crate::kinds::daemonset::DaemonSet;
use crate::kinds::deployment::Deployment;
use crate::kinds::job::Job;
use crate::objects::pod::Pod;
use crate::objects::replicaset::ReplicaSet;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::Object;
use crate::runtime::{Client, Ctx};
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
}

impl GarbageCollector {
    /// A collector that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles a watch event of its ReplicaSet/RC and pod informers.
    pub fn on_watch(&mut self, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
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
                    self.collect(p, uid, ev.propagation, ctx);
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
                    self.collect_replica_set(&rs, uid, ev.propagation, ctx);
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
                    self.collect_typed(&j, uid, ev.propagation, ctx);
                }
            }
            Object::Typed(t) if t.downcast::<Job>().is_some() => {
                let Some(owner) = t.meta().controller_ref().filter(|r| &*r.kind == "CronJob").map(|r| r.uid) else {
                    return;
                };
                if ev.kind == WatchKind::Deleted {
                    if let Some(m) = self.cron_jobs.get_mut(&owner) {
                        m.swap_remove(&t.meta().uid);
                    }
                } else if self.gone_cronjobs.contains(&owner) {
                    if t.meta().deletion_timestamp.is_none() {
                        self.collect_typed(t, owner, Propagation::Background, ctx);
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
                            self.collect_replica_set(rs, d, Propagation::Background, ctx);
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
                    self.collect(p, rs.meta.uid, ev.propagation, ctx);
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
                        self.collect(p, o, Propagation::Background, ctx);
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
                    ctx.send(
                        Client::GarbageCollector,
                        ApiOp::Delete {
                            kind: crate::objects::Kind::Lease,
                            other_kind: None,
                            key,
                            uid: Some(uid),
                            grace_seconds: None,
                            propagation: Propagation::Background,
                            disruption: None,
                        },
                    );
                }
            }
            _ => {}
        }
    }

    /// A ReplicaSet whose Deployment is gone: released under Orphan,
    /// else deleted (once) with the same propagation for its pods.
    fn collect_replica_set(&mut self, rs: &Rc<ReplicaSet>, owner: u64, propagation: Propagation, ctx: &mut Ctx) {
        if propagation == Propagation::Orphan {
            let mut n = (**rs).clone();
            n.meta.owner_references.retain(|o| o.uid != owner);
            ctx.send(Client::GarbageCollector, ApiOp::Update { obj: Object::ReplicaSet(Rc::new(n)), check_rv: false });
        } else if self.requested.insert(rs.meta.uid) {
            ctx.send(
                Client::GarbageCollector,
                ApiOp::Delete {
                    kind: crate::objects::Kind::ReplicaSet,
                    other_kind: None,
                    key: Key::of(&rs.meta),
                    uid: Some(rs.meta.uid),
                    grace_seconds: None,
                    propagation,
                    disruption: None,
                },
            );
        }
    }

    /// Deletes (or, under Orphan, releases) a typed dependent.
    fn collect_typed(
        &mut self,
        t: &Rc<dyn crate::objects::typed::TypedObject>,
        owner: u64,
        propagation: Propagation,
        ctx: &mut Ctx,
    ) {
        if propagation == Propagation::Orphan {
            let mut meta = t.meta().clone();
            meta.owner_references.retain(|o| o.uid != owner);
            ctx.send(
                Client::GarbageCollector,
                ApiOp::Update { obj: Object::Typed(t.with_meta(meta)), check_rv: false },
            );
        } else if self.requested.insert(t.meta().uid) {
            ctx.send(
                Client::GarbageCollector,
                ApiOp::Delete {
                    kind: crate::objects::Kind::Other,
                    other_kind: Some(t.info().kind.to_string()),
                    key: Key::of(t.meta()),
                    uid: Some(t.meta().uid),
                    grace_seconds: None,
                    propagation,
                    disruption: None,
                },
            );
        }
    }

    fn collect(&mut self, p: &Rc<Pod>, owner: u64, propagation: Propagation, ctx: &mut Ctx) {
        let key = Key::of(&p.meta);
        if propagation == Propagation::Orphan {
            let mut np = (**p).clone();
            np.meta.owner_references.retain(|o| o.uid != owner);
            ctx.send(Client::GarbageCollector, ApiOp::Update { obj: Object::Pod(Rc::new(np)), check_rv: false });
        } else if p.meta.deletion_timestamp.is_none() && self.requested.insert(p.meta.uid) {
            ctx.send(Client::GarbageCollector, ApiOp::delete_pod(key, p.meta.uid, None, None));
        }
    }
}
