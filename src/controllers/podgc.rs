//! PodGC (`pkg/controller/podgc`): every 20 s, deletes the oldest terminated
//! pods beyond `terminatedPodGCThreshold` (12,500), and force-deletes pods
//! bound to nodes that no longer exist, once the node has been gone for the
//! 40 s quarantine.

#![warn(missing_docs)]

use crate::controllers::informer::PodInformer;
use crate::objects::pod::Pod;
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::Object;
use crate::runtime::{Client, Ctx};
use crate::sim::SimTime;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::BTreeSet;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The pod garbage collector's state.
#[derive(Default)]
pub struct PodGc {
    /// Terminated pods ordered by (creation, uid): oldest first.
    terminated: BTreeSet<(SimTime, u64)>,
    nodes: Map<Rc<str>, ()>,
    /// Nodes seen deleted, and when.
    deleted_nodes: Map<Rc<str>, SimTime>,
    /// Pods already asked to be deleted (not asked twice).
    requested: BTreeSet<u64>,
}

impl PodGc {
    /// A collector that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles a watch event of its informers.
    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        match &ev.obj {
            Object::Node(n) => {
                if ev.kind == WatchKind::Deleted {
                    self.nodes.swap_remove(&n.meta.name);
                    self.deleted_nodes.insert(n.meta.name.clone(), ctx.now);
                } else {
                    self.nodes.insert(n.meta.name.clone(), ());
                    self.deleted_nodes.swap_remove(&n.meta.name);
                }
            }
            Object::Pod(p) => {
                let uid = p.meta.uid;
                if ev.kind == WatchKind::Deleted {
                    self.terminated.remove(&(p.meta.creation_timestamp, uid));
                    self.requested.remove(&uid);
                    return;
                }
                if p.status.phase.is_terminal() {
                    self.terminated.insert((p.meta.creation_timestamp, uid));
                }
            }
            _ => {}
        }
    }

    /// One `gcCheckPeriod` pass: terminated pods over the threshold, then
    /// pods of nodes gone past the quarantine.
    pub fn on_tick(&mut self, pods: &PodInformer, ctx: &mut Ctx) {
        self.gc_terminated(pods, ctx);
        self.gc_orphaned(pods, ctx);
    }

    fn delete(&mut self, p: &Pod, ctx: &mut Ctx) {
        if !self.requested.insert(p.meta.uid) {
            return;
        }
        ctx.send(Client::PodGc, ApiOp::delete_pod(Key::of(&p.meta), p.meta.uid, Some(0), None));
    }

    fn gc_terminated(&mut self, pods: &PodInformer, ctx: &mut Ctx) {
        let threshold = ctx.cfg.terminated_pod_gc_threshold as usize;
        if threshold == 0 || self.terminated.len() <= threshold {
            return;
        }
        let excess = self.terminated.len() - threshold;
        let victims: Vec<Rc<Pod>> =
            self.terminated.iter().take(excess).map(|(_, u)| pods.get(*u).expect("cached").clone()).collect();
        for p in victims {
            self.delete(&p, ctx);
        }
    }

    fn gc_orphaned(&mut self, pods: &PodInformer, ctx: &mut Ctx) {
        if self.deleted_nodes.is_empty() {
            return;
        }
        let quarantine = ctx.cfg.pod_gc_quarantine;
        let victims: Vec<Rc<Pod>> = self
            .deleted_nodes
            .iter()
            .filter(|(_, gone)| ctx.now.saturating_sub(**gone) >= quarantine)
            .flat_map(|(n, _)| pods.pods_on(n).cloned())
            .collect();
        for p in victims {
            ctx.event(
                false,
                "pod-garbage-collector",
                "PodGCOrphaned",
                "Pod",
                &p.meta.namespace,
                &p.meta.name,
                &"Deleting pod bound to a node that no longer exists",
            );
            self.delete(&p, ctx);
        }
    }
}
