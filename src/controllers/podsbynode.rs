//! The pods-by-node index: which pod uids are bound to each node, kept
//! from pod watch events. It is the `spec.nodeName` index that node
//! lifecycle, pod GC and taint eviction each keep over their informer.

use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

/// Pod uids by node name, in the order they were bound (deterministic).
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
