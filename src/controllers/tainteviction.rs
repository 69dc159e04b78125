//! The taint-eviction controller (`pkg/controller/tainteviction`,
//! docs/kubernetes-behaviour.md §4.2 step 4): pods on a node with NoExecute taints are
//! deleted at once if some taint is not tolerated, else after the smallest
//! `tolerationSeconds` among the tolerations that match (forever if none
//! sets it). A timer already running is kept; removing the taints cancels
//! it. The deletion is an ordinary graceful delete with the
//! `DisruptionTarget` condition.
//!
//! It runs as a [`Controller`] component: it hears nodes and pods through
//! kube-controller-manager's shared informers, keeps its eviction timers
//! with its own timer (the token is the timer's generation), and sends
//! its deletes through its own client's bucket (`"node-controller"`'s
//! second clientset). A crash loses its timers; the restarted instance
//! relists and starts the tolerations' clocks again from then, as a
//! restarted kube-controller-manager does.

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::controllers::informer::PodInformer;
use crate::objects::pod::{Taint, TaintEffect};
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::sim::{SimDuration, SimTime};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The taint-eviction controller's state: NoExecute taints per node and
/// eviction timers per pod.
#[derive(Default)]
pub struct TaintEvictionController {
    /// NoExecute taints per node.
    taints: Map<Rc<str>, Vec<Taint>>,
    /// Each pod's eviction timer: when, and its generation (a timer since
    /// cancelled or replaced is ignored when it fires).
    timers: Map<u64, (SimTime, u64)>,
    /// The pod of each timer set, by generation (the timer's token).
    timer_pods: Map<u64, u64>,
    next_gen: u64,
}

impl Controller for TaintEvictionController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Node, Kind::Pod]
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.handle(ev, cx);
    }

    /// A pod's toleration runs out: evict it (if the timer is current).
    fn on_timer(&mut self, gen: u64, cx: &mut Cx) {
        let Some(uid) = self.timer_pods.swap_remove(&gen) else { return };
        self.evict(uid, gen, cx);
    }
}

impl TaintEvictionController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handles a watch event of its node and pod informers.
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
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
                    let uids: Vec<u64> = cx.kcm_pods().uids_on(&name).collect();
                    for u in uids {
                        self.process_pod(u, cx);
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
                    self.process_pod(uid, cx);
                }
            }
            _ => {}
        }
    }

    /// `processPodOnNode` (terminal pods are not candidates).
    fn process_pod(&mut self, uid: u64, cx: &mut Cx) {
        let key = &uid;
        let pods: &PodInformer = cx.kcm_pods();
        let Some(p) = pods.get(uid).filter(|p| !p.status.phase.is_terminal()).cloned() else {
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
                let now = cx.now();
                self.schedule(uid, now, cx);
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
        let at = cx.now() + SimDuration::from_secs(secs);
        self.schedule(uid, at, cx);
    }

    fn schedule(&mut self, uid: u64, at: SimTime, cx: &mut Cx) {
        if self.timers.get(&uid).is_some_and(|(t, _)| *t <= at) {
            return;
        }
        self.next_gen += 1;
        self.timers.insert(uid, (at, self.next_gen));
        self.timer_pods.insert(self.next_gen, uid);
        cx.at(at, self.next_gen);
    }

    /// Fires an eviction timer, if it is still current.
    fn evict(&mut self, uid: u64, gen: u64, cx: &mut Cx) {
        if self.timers.get(&uid).is_none_or(|(_, g)| *g != gen) {
            return;
        }
        self.timers.swap_remove(&uid);
        let pods: &PodInformer = cx.kcm_pods();
        let Some(p) = pods.get(uid).filter(|p| p.node_name().is_some() && !p.status.phase.is_terminal()).cloned()
        else {
            return;
        };
        let key = Key::of(&p.meta);
        cx.event(false, "TaintManagerEviction", &p.meta, "Pod", &format_args!("Marking for deletion Pod {}", key));
        cx.send_unanswered(ApiOp::delete_pod(key, uid, None, Some("DeletionByTaintManager")));
    }
}

fn same_taints(a: &[Taint], b: &[Taint]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.key == y.key && x.value == y.value && x.effect == y.effect)
}
