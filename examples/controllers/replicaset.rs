//! A ReplicaSet controller written the way a user writes one against
//! kubesim's `Controller` trait: it watches ReplicaSets and Pods, reads
//! only its informer cache, and creates or deletes pods until each
//! ReplicaSet owns `spec.replicas` active pods.
//!
//! `SimpleReplicaSet::buggy()` is the same controller with a classic bug:
//! it counts pods that are being deleted (Terminating) as live. A node that
//! dies and never returns leaves its evicted pods Terminating forever, so
//! the buggy controller never replaces them. The property test in
//! `examples/check_controller.rs` (and `tests/user_controllers.rs`) finds
//! that and shrinks the fault schedule to the one crash that shows it.

use kubesim::component::{Controller, Cx, RequestId};
use kubesim::objects::meta::{ObjectMeta, OwnerReference};
use kubesim::objects::pod::{Pod, PodStatus};
use kubesim::objects::replicaset::{ReplicaKind, ReplicaSet};
use kubesim::objects::store::{ApiError, WatchEvent};
use kubesim::objects::{Kind, Object};
use kubesim::sim::SimDuration;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The resync timer's token.
const RESYNC: u64 = 0;

pub struct SimpleReplicaSet {
    /// The bug: count Terminating pods as live.
    count_terminating: bool,
    /// Creates sent and not yet seen, by ReplicaSet uid (a tiny version of
    /// the real controller's expectations: without it, a reconcile that
    /// runs before the watch shows our own creates would create again).
    pending: BTreeMap<u64, i32>,
    /// Which ReplicaSet each create request was for.
    creates: BTreeMap<RequestId, u64>,
}

impl SimpleReplicaSet {
    pub fn new() -> Self {
        SimpleReplicaSet { count_terminating: false, pending: BTreeMap::new(), creates: BTreeMap::new() }
    }

    pub fn buggy() -> Self {
        SimpleReplicaSet { count_terminating: true, ..Self::new() }
    }

    fn reconcile_all(&mut self, cx: &mut Cx) {
        let sets: Vec<Rc<ReplicaSet>> = cx
            .cache()
            .list(Kind::ReplicaSet)
            .filter_map(|o| match o {
                Object::ReplicaSet(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        for rs in sets {
            self.reconcile(&rs, cx);
        }
    }

    fn reconcile(&mut self, rs: &ReplicaSet, cx: &mut Cx) {
        if rs.meta.deletion_timestamp.is_some() || rs.kind != ReplicaKind::ReplicaSet {
            return;
        }
        // The cache's owner index: the objects referring to this set.
        let mut owned: Vec<Rc<Pod>> = cx
            .cache()
            .owned_by(rs.meta.uid)
            .into_iter()
            .filter_map(|o| match o {
                Object::Pod(p) => Some(p),
                _ => None,
            })
            .filter(|p| p.meta.controller_ref().is_some_and(|c| c.uid == rs.meta.uid))
            .filter(|p| !p.status.phase.is_terminal())
            .filter(|p| self.count_terminating || p.meta.deletion_timestamp.is_none())
            .cloned()
            .collect();
        let pending = self.pending.get(&rs.meta.uid).copied().unwrap_or(0);
        let diff = rs.spec.replicas - owned.len() as i32 - pending;
        if diff > 0 {
            for _ in 0..diff {
                let req = cx.create(Object::Pod(Rc::new(pod_from(rs))));
                self.creates.insert(req, rs.meta.uid);
                *self.pending.entry(rs.meta.uid).or_default() += 1;
            }
        } else if diff < 0 && pending == 0 {
            // Newest first.
            owned.sort_by_key(|p| std::cmp::Reverse(p.meta.creation_timestamp));
            for p in owned.iter().filter(|p| p.meta.deletion_timestamp.is_none()).take((-diff) as usize) {
                cx.delete(&Object::Pod(p.clone()));
            }
        }
    }
}

impl Default for SimpleReplicaSet {
    fn default() -> Self {
        Self::new()
    }
}

impl Controller for SimpleReplicaSet {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::ReplicaSet, Kind::Pod]
    }

    fn start(&mut self, cx: &mut Cx) {
        cx.after(SimDuration::from_secs(30), RESYNC);
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        match &ev.obj {
            Object::ReplicaSet(rs) => self.reconcile(&rs.clone(), cx),
            Object::Pod(p) => {
                let Some(owner) = p.meta.controller_ref().map(|c| c.uid) else { return };
                let rs = cx.cache().list(Kind::ReplicaSet).find_map(|o| match o {
                    Object::ReplicaSet(r) if r.meta.uid == owner => Some(r.clone()),
                    _ => None,
                });
                if let Some(rs) = rs {
                    self.reconcile(&rs, cx);
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, _token: u64, cx: &mut Cx) {
        self.reconcile_all(cx);
        cx.after(SimDuration::from_secs(30), RESYNC);
    }

    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        let Some(uid) = self.creates.remove(&req) else { return };
        if let Some(n) = self.pending.get_mut(&uid) {
            *n -= 1;
        }
        if result.is_err() {
            self.reconcile_all(cx);
        }
    }
}

/// A pod from the ReplicaSet's template, owned by it.
fn pod_from(rs: &ReplicaSet) -> Pod {
    let t = &rs.spec.template;
    Pod {
        meta: ObjectMeta {
            generate_name: Some(format!("{}-", rs.meta.name).into()),
            namespace: rs.meta.namespace.clone(),
            labels: t.labels.clone(),
            annotations: t.annotations.clone(),
            owner_references: vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: rs.meta.name.clone(),
                uid: rs.meta.uid,
                controller: true,
                block_owner_deletion: true,
            }],
            ..Default::default()
        },
        spec: t.spec.clone(),
        status: PodStatus::initial(),
    }
}
