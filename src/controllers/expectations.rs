//! `ControlleeExpectations` (pkg/controller/controller_utils.go): how many
//! creations and which deletions a controller still waits to observe before
//! it trusts its cache enough to act again. Expire after 5 minutes.

#![warn(missing_docs)]

use crate::objects::store::Key;
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeSet;

/// One controller's expectations for one owner (`ControlleeExpectations`,
/// with `UIDTrackingControllerExpectations`' deletion keys).
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    add: i64,
    del: BTreeSet<Key>,
    set_at: SimTime,
}

impl Expectations {
    /// `ExpectCreations`: the controller is about to create `n` pods.
    pub fn expect_creations(&mut self, n: usize, now: SimTime) {
        self.add = n as i64;
        self.del.clear();
        self.set_at = now;
    }

    /// `ExpectDeletions`: the controller is about to delete these pods.
    pub fn expect_deletions(&mut self, keys: impl IntoIterator<Item = Key>, now: SimTime) {
        self.add = 0;
        self.del = keys.into_iter().collect();
        self.set_at = now;
    }

    /// `CreationObserved`: one expected pod was seen created (or its
    /// create failed).
    pub fn creation_observed(&mut self) {
        self.add -= 1;
    }

    /// `DeletionObserved`: this pod was seen deleted.
    pub fn deletion_observed(&mut self, key: &Key) {
        self.del.remove(key);
    }

    /// `SatisfiedExpectations`: nothing is awaited any more, or the
    /// expectations are older than `ttl` (`ExpectationsTimeout`).
    pub fn satisfied(&self, now: SimTime, ttl: SimDuration) -> bool {
        (self.add <= 0 && self.del.is_empty()) || now.saturating_sub(self.set_at) > ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_observations_or_ttl() {
        let ttl = SimDuration::from_secs(300);
        let mut e = Expectations::default();
        assert!(e.satisfied(SimTime(0), ttl));
        e.expect_creations(2, SimTime(0));
        assert!(!e.satisfied(SimTime(0), ttl));
        e.creation_observed();
        assert!(!e.satisfied(SimTime(0), ttl));
        e.creation_observed();
        assert!(e.satisfied(SimTime(0), ttl));
        let k = Key::new("default", "p");
        e.expect_deletions([k.clone()], SimTime(0));
        assert!(!e.satisfied(SimTime(1), ttl));
        assert!(e.satisfied(SimTime(301_000_000_000), ttl), "expired");
        e.deletion_observed(&k);
        e.deletion_observed(&k);
        assert!(e.satisfied(SimTime(1), ttl));
    }
}
