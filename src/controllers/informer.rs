//! kube-controller-manager's shared pod informer.
//!
//! Every controller in kube-controller-manager reads pods through one
//! `SharedInformerFactory`: one watch, one cache, one `spec.nodeName`
//! indexer, however many controllers consume it. This is that cache. The
//! simulation feeds it each pod watch event once, before the controllers'
//! handlers run, so a handler sees the cache as of the event it handles, as
//! a client-go event handler does. (The scheduler and each kubelet are
//! other processes with informers of their own.)
//!
//! Since the cache sees every event in order, the previous version of an
//! object is the watch event's `old`; handlers take it from there.

#![warn(missing_docs)]

use crate::lookup::LookupMap;
use crate::objects::pod::Pod;
use crate::objects::store::{WatchEvent, WatchKind};
use crate::objects::Object;
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

/// Pod uids by node name. The order is deterministic but not the order of
/// binding: removing a uid moves the node's last uid into its place
/// (`swap_remove`), as the events dictate, the same in every run.
#[derive(Default)]
pub struct PodsByNode(IndexMap<Rc<str>, IndexSet<u64, FxBuildHasher>, FxBuildHasher>);

impl PodsByNode {
    /// Moves `uid` from the node it was on to the one it is on now;
    /// `None` on either side means unbound (or gone).
    pub fn rebind(&mut self, uid: u64, old: Option<&Rc<str>>, new: Option<&Rc<str>>) {
        if old == new {
            return;
        }
        if let Some(set) = old.and_then(|n| self.0.get_mut(n)) {
            set.swap_remove(&uid);
        }
        if let Some(n) = new {
            self.0.entry(n.clone()).or_default().insert(uid);
        }
    }

    /// The uids bound to `node`, if any ever were.
    pub fn on(&self, node: &str) -> Option<&IndexSet<u64, FxBuildHasher>> {
        self.0.get(node)
    }
    /// The nodes at least one pod is bound to, in the index's order.
    pub fn nodes(&self) -> impl Iterator<Item = &Rc<str>> {
        self.0.iter().filter(|(_, s)| !s.is_empty()).map(|(n, _)| n)
    }
}

/// The pods cache and its `spec.nodeName` index.
#[derive(Default)]
pub struct PodInformer {
    pods: LookupMap<u64, Rc<Pod>>,
    by_node: PodsByNode,
}

impl PodInformer {
    /// Applies one watch event to the cache (other kinds are ignored).
    pub fn observe(&mut self, ev: &WatchEvent) {
        let Object::Pod(p) = &ev.obj else { return };
        let uid = p.meta.uid;
        let old_node = match &ev.old {
            Some(Object::Pod(o)) => o.spec.node_name.as_ref(),
            _ => None,
        };
        if ev.kind == WatchKind::Deleted {
            self.by_node.rebind(uid, old_node, None);
            self.pods.remove(&uid);
        } else {
            self.by_node.rebind(uid, old_node, p.spec.node_name.as_ref());
            self.pods.insert(uid, p.clone());
        }
    }

    /// Every cached pod, in uid order (a full listing, for a controller
    /// that starts indexing late).
    pub fn all_by_uid(&self) -> Vec<&Rc<Pod>> {
        self.pods.sorted_keys().into_iter().filter_map(|u| self.pods.get(&u)).collect()
    }

    /// The cached pod with this uid.
    pub fn get(&self, uid: u64) -> Option<&Rc<Pod>> {
        self.pods.get(&uid)
    }

    /// The uids of the pods bound to `node`, in the index's deterministic
    /// order (see `PodsByNode`).
    pub fn uids_on(&self, node: &str) -> impl Iterator<Item = u64> + '_ {
        self.by_node.on(node).into_iter().flat_map(|s| s.iter().copied())
    }

    /// The nodes at least one cached pod is bound to.
    pub fn nodes_with_pods(&self) -> impl Iterator<Item = &Rc<str>> {
        self.by_node.nodes()
    }

    /// The pods bound to `node`, in the index's deterministic order.
    pub fn pods_on<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Rc<Pod>> + 'a {
        let pods = &self.pods;
        self.by_node.on(node).into_iter().flat_map(move |s| s.iter().map(move |u| pods.get(u).expect("indexed pod")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebind_moves_a_pod_between_nodes() {
        let (a, b): (Rc<str>, Rc<str>) = ("a".into(), "b".into());
        let mut idx = PodsByNode::default();
        idx.rebind(1, None, Some(&a));
        idx.rebind(2, None, Some(&a));
        idx.rebind(1, Some(&a), Some(&b));
        assert_eq!(idx.on("a").unwrap().iter().copied().collect::<Vec<_>>(), vec![2]);
        assert_eq!(idx.on("b").unwrap().iter().copied().collect::<Vec<_>>(), vec![1]);
        idx.rebind(2, Some(&a), None);
        assert!(idx.on("a").unwrap().is_empty());
        assert!(idx.on("c").is_none());
    }
}
