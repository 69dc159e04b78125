//! `LookupMap`: a hash map that can be looked up but never iterated.
//!
//! Iteration order of a hash map depends on hashing details, and the
//! simulation must not depend on it (a run is a function of
//! the scenario and the seed alone). Informer caches that are only ever looked up by key use this
//! type, which offers no way to iterate, so a later edit cannot introduce
//! order-dependence by accident; maps that are iterated are `IndexMap`s or
//! `BTreeMap`s. It is cheaper than an `IndexMap` for removals, which need
//! no index fix-up.

#![warn(missing_docs)]

use rustc_hash::FxBuildHasher;
use std::collections::HashMap;
use std::hash::Hash;

/// A hash map with lookups, inserts and removals, and no iteration.
pub struct LookupMap<K, V>(HashMap<K, V, FxBuildHasher>);

impl<K, V> Default for LookupMap<K, V> {
    fn default() -> Self {
        LookupMap(HashMap::default())
    }
}

impl<K: Hash + Eq, V> LookupMap<K, V> {
    /// The value of `k`, if any.
    pub fn get(&self, k: &K) -> Option<&V> {
        self.0.get(k)
    }
    /// The value of `k`, mutably, if any.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.0.get_mut(k)
    }
    /// Sets the value of `k`; returns the one it replaced.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.0.insert(k, v)
    }
    /// Removes `k`; returns its value.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.0.remove(k)
    }
    /// Every key, sorted: the one listing whose order cannot leak the
    /// hash order.
    pub fn sorted_keys(&self) -> Vec<K>
    where
        K: Ord + Clone,
    {
        let mut keys: Vec<K> = self.0.keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    /// Applies `f` to every value in an unspecified order: only for updates
    /// whose result does not depend on the order (each value changed on its
    /// own, nothing collected).
    pub fn for_each_value_mut(&mut self, f: impl FnMut(&mut V)) {
        self.0.values_mut().for_each(f)
    }
}

impl<K: Hash + Eq, V> std::ops::Index<&K> for LookupMap<K, V> {
    type Output = V;
    fn index(&self, k: &K) -> &V {
        &self.0[k]
    }
}
