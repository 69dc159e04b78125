//! The taint-eviction controller (`pkg/controller/tainteviction`,
//! docs/kubernetes-behaviour.md §4.2 step 4): pods on a node with NoExecute taints are
//! deleted at once if some taint is not tolerated, else after the smallest
//! `tolerationSeconds` among the tolerations that match (forever if none
//! sets it). A timer already running is kept; removing the taints cancels
//! it. The deletion is an ordinary graceful delete with the
//! `DisruptionTarget` condition.

#![warn(missing_docs)]

use crate::controllers::informer::PodInformer;
use crate::objects::pod::{Taint, TaintEffect};
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::Object;
use crate::runtime::{Client, Ctx, Event};
use crate::sim::{SimDuration, SimTime};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The taint-eviction controller's timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeEvent {
    /// A pod's toleration runs out: evict it.
    Evict {
        /// The pod's uid.
        uid: u64,
        /// The timer's generation: a timer since cancelled or replaced is
        /// ignored.
        gen: u64,
    },
}

/// The taint-eviction controller's state: NoExecute taints per node and
/// eviction timers per pod.
#[derive(Default)]
pub struct TaintEvictionController {
    /// NoExecute taints per node.
    taints: Map<Rc<str>, Vec<Taint>>,
    timers: Map<u64, (SimTime, u64)>,
    next_gen: u64,
}

impl TaintEvictionController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles a watch event of its node and pod informers.
    pub fn on_watch(&mut self, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
        match &ev.obj {
            Object::Node(n) => {
                let name = n.meta.name.clone();
                if ev.kind == WatchKind::Deleted {
                    self.taints.swap_remove(&name);
                    return;
                }
                let new: Vec<Taint> =
                    n.spec.taints.iter().filter(|t| t.effect == TaintEffect::NoExecute).cloned().collect();
                let changed = self.taints.get(&name).is_none_or(|old| !same_taints(old, &new));
                self.taints.insert(name.clone(), new);
                if changed {
                    for u in pods.uids_on(&name) {
                        self.process_pod(pods, u, ctx);
                    }
                }
            }
            Object::Pod(p) => {
                let uid = p.meta.uid;
                let gone = ev.kind == WatchKind::Deleted || p.status.phase.is_terminal();
                let Some(node) = p.spec.node_name.as_ref().filter(|_| !gone) else {
                    self.timers.swap_remove(&uid);
                    return;
                };
                // Only a node with NoExecute taints can make a pod eligible.
                let tainted = self.taints.get(node).is_some_and(|t| !t.is_empty());
                if tainted || self.timers.contains_key(&uid) {
                    self.process_pod(pods, uid, ctx);
                }
            }
            _ => {}
        }
    }

    /// `processPodOnNode` (terminal pods are not candidates).
    fn process_pod(&mut self, pods: &PodInformer, uid: u64, ctx: &mut Ctx) {
        let key = &uid;
        let Some(p) = pods.get(uid).filter(|p| !p.status.phase.is_terminal()) else {
            return;
        };
        if p.meta.deletion_timestamp.is_some() {
            self.timers.swap_remove(key);
            return;
        }
        let taints = p.node_name().and_then(|n| self.taints.get(n)).cloned().unwrap_or_default();
        if taints.is_empty() {
            self.timers.swap_remove(key);
            return;
        }
        // getMatchingTolerations: every taint must be tolerated.
        let mut min_seconds: Option<i64> = None;
        let mut forever = true;
        for t in &taints {
            let matching: Vec<_> = p.spec.tolerations.iter().filter(|x| x.tolerates(t)).collect();
            if matching.is_empty() {
                self.schedule(uid, ctx.now, ctx);
                return;
            }
            for m in matching {
                if let Some(s) = m.toleration_seconds {
                    forever = false;
                    min_seconds = Some(min_seconds.map_or(s, |x| x.min(s)));
                }
            }
        }
        if forever {
            self.timers.swap_remove(key);
            return;
        }
        if self.timers.contains_key(key) {
            return; // keep the earlier timer
        }
        let secs = min_seconds.unwrap_or(0).max(0) as u64;
        self.schedule(uid, ctx.now + SimDuration::from_secs(secs), ctx);
    }

    fn schedule(&mut self, uid: u64, at: SimTime, ctx: &mut Ctx) {
        if self.timers.get(&uid).is_some_and(|(t, _)| *t <= at) {
            return;
        }
        self.next_gen += 1;
        self.timers.insert(uid, (at, self.next_gen));
        ctx.at(at, Event::TaintEviction(TeEvent::Evict { uid, gen: self.next_gen }));
    }

    /// Fires an eviction timer, if it is still current.
    pub fn on_event(&mut self, ev: TeEvent, pods: &PodInformer, ctx: &mut Ctx) {
        let TeEvent::Evict { uid, gen } = ev;
        if self.timers.get(&uid).is_none_or(|(_, g)| *g != gen) {
            return;
        }
        self.timers.swap_remove(&uid);
        let Some(p) = pods.get(uid).filter(|p| p.node_name().is_some() && !p.status.phase.is_terminal()) else {
            return;
        };
        let key = Key::of(&p.meta);
        ctx.event(
            false,
            "taint-eviction-controller",
            "TaintManagerEviction",
            "Pod",
            &key.namespace,
            &key.name,
            &format_args!("Marking for deletion Pod {}", key),
        );
        ctx.send(Client::TaintEviction, ApiOp::delete_pod(key, uid, None, Some("DeletionByTaintManager")));
    }
}

fn same_taints(a: &[Taint], b: &[Taint]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.key == y.key && x.value == y.value && x.effect == y.effect)
}
