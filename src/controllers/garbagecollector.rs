//! The garbage collector, reduced to what the modelled kinds need: when a
//! ReplicationController or ReplicaSet is deleted, its pods are deleted
//! (Background/Foreground propagation) or released (Orphan), and a pod whose
//! controller is already gone is deleted when it appears.

use crate::objects::pod::Pod;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::runtime::{Client, Ctx};
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

#[derive(Default)]
pub struct GarbageCollector {
    /// Pods by controller uid.
    dependents: Map<u64, IndexSet<Key, FxBuildHasher>>,
    pods: Map<Key, Rc<Pod>>,
    owners: IndexSet<u64, FxBuildHasher>,
    /// Owners seen deleted (uids are never reused).
    gone: IndexSet<u64, FxBuildHasher>,
}

impl GarbageCollector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        match &ev.obj {
            Object::ReplicaSet(rs) => {
                if ev.kind != WatchKind::Deleted {
                    self.owners.insert(rs.meta.uid);
                    return;
                }
                self.owners.swap_remove(&rs.meta.uid);
                self.gone.insert(rs.meta.uid);
                let Some(deps) = self.dependents.get(&rs.meta.uid) else { return };
                for key in deps.clone() {
                    let p = self.pods[&key].clone();
                    self.collect(&p, rs.meta.uid, ev.propagation, ctx);
                }
            }
            Object::Pod(p) => {
                let key = Key::of(&p.meta);
                if let Some(old) = self.pods.swap_remove(&key) {
                    if let Some(r) = old.meta.controller_ref() {
                        if let Some(d) = self.dependents.get_mut(&r.uid) {
                            d.swap_remove(&key);
                        }
                    }
                }
                if ev.kind == WatchKind::Deleted {
                    return;
                }
                if let Some(r) = p.meta.controller_ref() {
                    self.dependents.entry(r.uid).or_default().insert(key.clone());
                    if self.gone.contains(&r.uid) && p.meta.deletion_timestamp.is_none() {
                        self.collect(p, r.uid, Propagation::Background, ctx);
                    }
                }
                self.pods.insert(key, p.clone());
            }
            _ => {}
        }
    }

    fn collect(&self, p: &Rc<Pod>, owner: u64, propagation: Propagation, ctx: &mut Ctx) {
        let key = Key::of(&p.meta);
        if propagation == Propagation::Orphan {
            let mut np = (**p).clone();
            np.meta.owner_references.retain(|o| o.uid != owner);
            ctx.send(Client::GarbageCollector, ApiOp::Update { obj: Object::Pod(Rc::new(np)), check_rv: false });
        } else if p.meta.deletion_timestamp.is_none() {
            ctx.send(
                Client::GarbageCollector,
                ApiOp::Delete {
                    kind: Kind::Pod,
                    other_kind: None,
                    key,
                    uid: Some(p.meta.uid),
                    grace_seconds: None,
                    propagation: Propagation::Background,
                    disruption: None,
                },
            );
        }
    }
}
