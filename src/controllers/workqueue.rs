//! client-go's work queue (`k8s.io/client-go/util/workqueue`), as
//! kube-controller-manager's controllers use it: keys, not events, so a
//! burst of events for one object collapses into one sync.
//!
//! - `queue.go`: `add` puts a key in the `dirty` set and, unless it is being
//!   processed, at the back of the FIFO; a key already dirty is not queued
//!   twice. `get` moves the head into `processing`; `done` takes it out
//!   and queues it again if it was added meanwhile (never two workers on one
//!   key).
//! - `delaying_queue.go`: `add_after` keeps one ready time per key (the
//!   earlier wins) and adds the key when it comes; the owner schedules a
//!   wake-up event at the returned time and calls `wake` then.
//! - `rate_limiting_queue.go` / `default_rate_limiters.go`:
//!   `add_rate_limited` waits `DefaultControllerRateLimiter`'s delay, the
//!   max of the per-key exponential back-off (5 ms doubling to 1000 s) and
//!   an overall 10 qps / burst 100 token bucket; `forget` clears a key's
//!   failures; `num_requeues` counts them.
//!
//! Deterministic: FIFO by insertion, delayed keys by (ready time, order of
//! their `add_after`).

#![warn(missing_docs)]

use crate::runtime::Bucket;
use crate::sim::{SimDuration, SimTime};
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, VecDeque};
use std::hash::Hash;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;
type Set<K> = IndexSet<K, FxBuildHasher>;

/// `ItemExponentialFailureRateLimiter`: `base × 2^failures`, capped.
#[derive(Debug)]
pub struct ItemExponentialFailureRateLimiter<K> {
    base: SimDuration,
    max: SimDuration,
    failures: Map<K, u32>,
}

impl<K: Clone + Eq + Hash> ItemExponentialFailureRateLimiter<K> {
    /// A limiter whose delays start at `base` and stop growing at `max`.
    pub fn new(base: SimDuration, max: SimDuration) -> Self {
        Self { base, max, failures: Map::default() }
    }

    /// `When`: the delay for this failure, and one more failure counted.
    pub fn when(&mut self, k: &K) -> SimDuration {
        let n = self.failures.entry(k.clone()).or_insert(0);
        let exp = *n;
        *n += 1;
        // Capped so the computed value never overflows.
        let backoff = if exp >= 64 { None } else { self.base.0.checked_mul(1u64 << exp) };
        SimDuration(backoff.map_or(self.max.0, |b| b.min(self.max.0)))
    }

    /// `NumRequeues`: the failures counted for the key.
    pub fn num_requeues(&self, k: &K) -> u32 {
        self.failures.get(k).copied().unwrap_or(0)
    }

    /// `Forget`: clears the key's failures.
    pub fn forget(&mut self, k: &K) {
        self.failures.swap_remove(k);
    }
}

/// `DefaultControllerRateLimiter`: the max of a per-key exponential back-off
/// (5 ms … 1000 s) and an overall token bucket (10 qps, burst 100; "only for
/// retry speed and its only the overall factor").
#[derive(Debug)]
pub struct DefaultControllerRateLimiter<K> {
    per_item: ItemExponentialFailureRateLimiter<K>,
    overall: Bucket,
}

impl<K: Clone + Eq + Hash> Default for DefaultControllerRateLimiter<K> {
    fn default() -> Self {
        Self {
            per_item: ItemExponentialFailureRateLimiter::new(SimDuration::from_millis(5), SimDuration::from_secs(1000)),
            overall: Bucket::default(),
        }
    }
}

impl<K: Clone + Eq + Hash> DefaultControllerRateLimiter<K> {
    /// `MaxOfRateLimiter.When`: every limiter is asked (each counts the
    /// request), the longest delay wins.
    pub fn when(&mut self, k: &K, now: SimTime) -> SimDuration {
        let item = self.per_item.when(k);
        let bucket = self.overall.reserve(now, 10, 100).saturating_sub(now);
        item.max(bucket)
    }

    /// `NumRequeues`: the per-item limiter's failures for the key.
    pub fn num_requeues(&self, k: &K) -> u32 {
        self.per_item.num_requeues(k)
    }

    /// `Forget`: clears the key's failures.
    pub fn forget(&mut self, k: &K) {
        self.per_item.forget(k);
    }
}

/// A rate-limited, delaying work queue of keys.
#[derive(Debug)]
pub struct WorkQueue<K> {
    queue: VecDeque<K>,
    dirty: Set<K>,
    processing: Set<K>,
    /// Keys waiting for `add_after`, by (ready time, sequence).
    waiting: BTreeMap<(SimTime, u64), K>,
    waiting_by_key: Map<K, (SimTime, u64)>,
    next_seq: u64,
    limiter: DefaultControllerRateLimiter<K>,
}

impl<K: Clone + Eq + Hash> Default for WorkQueue<K> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            dirty: Set::default(),
            processing: Set::default(),
            waiting: BTreeMap::new(),
            waiting_by_key: Map::default(),
            next_seq: 0,
            limiter: DefaultControllerRateLimiter::default(),
        }
    }
}

impl<K: Clone + Eq + Hash> WorkQueue<K> {
    #[cfg(test)]
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// `Add`: marks the key as needing processing.
    pub fn add(&mut self, k: K) {
        // One lookup for `dirty.Has` then `dirty.Insert`: the insert
        // reports whether the key was there.
        if !self.dirty.insert(k.clone()) {
            return;
        }
        if self.processing.contains(&k) {
            return;
        }
        self.queue.push_back(k);
    }

    #[cfg(test)]
    /// `Len`: keys waiting for a worker.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no key waits for a worker.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// `Get` (without blocking): the next key, now being processed.
    pub fn get(&mut self) -> Option<K> {
        let k = self.queue.pop_front()?;
        self.dirty.swap_remove(&k);
        self.processing.insert(k.clone());
        Some(k)
    }

    /// `Done`: the key is no longer processed; queued again if it was
    /// added meanwhile.
    pub fn done(&mut self, k: &K) {
        self.processing.swap_remove(k);
        if self.dirty.contains(k) {
            self.queue.push_back(k.clone());
        }
    }

    /// `AddAfter`: adds the key once `d` has passed. Returns the time the
    /// owner must call `wake` at, when a wake-up is newly needed.
    pub fn add_after(&mut self, k: K, d: SimDuration, now: SimTime) -> Option<SimTime> {
        if d == SimDuration::ZERO {
            self.add(k);
            return None;
        }
        let at = now + d;
        if let Some(&(t, seq)) = self.waiting_by_key.get(&k) {
            // Only an earlier ready time replaces the entry.
            if t <= at {
                return None;
            }
            self.waiting.remove(&(t, seq));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.waiting.insert((at, seq), k.clone());
        self.waiting_by_key.insert(k, (at, seq));
        Some(at)
    }

    /// Adds every delayed key whose time has come.
    pub fn wake(&mut self, now: SimTime) {
        while let Some(entry) = self.waiting.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let k = entry.remove();
            self.waiting_by_key.swap_remove(&k);
            self.add(k);
        }
    }

    /// `AddRateLimited`: adds the key after the rate limiter's delay.
    pub fn add_rate_limited(&mut self, k: K, now: SimTime) -> Option<SimTime> {
        let d = self.limiter.when(&k, now);
        self.add_after(k, d, now)
    }

    /// `Forget`: the key's retries are over (it succeeded or was dropped).
    pub fn forget(&mut self, k: &K) {
        self.limiter.forget(k);
    }

    /// `NumRequeues`: how many times the key was requeued rate-limited
    /// since its last `forget`.
    pub fn num_requeues(&self, k: &K) -> u32 {
        self.limiter.num_requeues(k)
    }
}

#[cfg(test)]
mod tests {
    //! Ported from client-go's `queue_test.go`, `delaying_queue_test.go`,
    //! `rate_limiting_queue_test.go` and `default_rate_limiters_test.go`
    //! (the cases that do not depend on goroutines or shutdown).
    use super::*;

    fn ms(n: u64) -> SimDuration {
        SimDuration::from_millis(n)
    }

    fn at_ms(n: u64) -> SimTime {
        SimTime(n * 1_000_000)
    }

    #[test]
    fn len_counts_each_key_once() {
        // TestLen
        let mut q = WorkQueue::new();
        q.add("foo");
        assert_eq!(q.len(), 1);
        q.add("bar");
        assert_eq!(q.len(), 2);
        q.add("foo"); // should not increase the queue length
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn reinsert_while_processing_requeues_after_done() {
        // TestReinsert
        let mut q = WorkQueue::new();
        q.add("foo");
        let i = q.get().unwrap();
        assert_eq!(i, "foo");
        q.add(i);
        assert_eq!(q.len(), 0, "not queued while it is processed");
        q.done(&i);
        assert_eq!(q.get(), Some("foo"));
        q.done(&"foo");
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn collapse() {
        // TestCollapse
        let mut q = WorkQueue::new();
        q.add("bar");
        q.add("bar");
        assert_eq!(q.get(), Some("bar"));
        q.done(&"bar");
        assert_eq!(q.len(), 0);
        assert_eq!(q.get(), None);
    }

    #[test]
    fn collapse_while_processing() {
        // TestCollapseWhileProcessing: another worker cannot get the key
        // until the first is done; then it gets it once.
        let mut q = WorkQueue::new();
        q.add("foo");
        assert_eq!(q.get(), Some("foo"));
        q.add("foo");
        q.add("foo");
        assert_eq!(q.get(), None, "the other worker must wait");
        q.done(&"foo");
        assert_eq!(q.get(), Some("foo"));
        q.done(&"foo");
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn add_while_processing_each_item_twice() {
        // TestAddWhileProcessing, one deterministic interleaving: 50 keys,
        // every worker re-adds each key once while processing it.
        let mut q = WorkQueue::new();
        for i in 0..50 {
            q.add(i);
        }
        let mut seen = vec![0; 50];
        while let Some(i) = q.get() {
            seen[i] += 1;
            if seen[i] < 2 {
                q.add(i);
            }
            q.done(&i);
        }
        assert!(seen.iter().all(|&n| n == 2), "{:?}", seen);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn fifo_by_insertion() {
        let mut q = WorkQueue::new();
        for k in ["c", "a", "b", "a"] {
            q.add(k);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.get()).collect();
        assert_eq!(order, vec!["c", "a", "b"]);
    }

    #[test]
    fn add_after_waits() {
        // delaying_queue_test.go TestSimpleQueue
        let mut q = WorkQueue::new();
        assert_eq!(q.add_after("foo", ms(50), at_ms(0)), Some(at_ms(50)));
        q.wake(at_ms(49));
        assert_eq!(q.len(), 0);
        q.wake(at_ms(50));
        assert_eq!(q.get(), Some("foo"));
        q.done(&"foo");
        assert_eq!(q.len(), 0);
        // A zero delay adds at once.
        assert_eq!(q.add_after("bar", SimDuration::ZERO, at_ms(60)), None);
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn add_after_dedupes_keeping_the_earliest() {
        // TestDeduping
        let mut q = WorkQueue::new();
        q.add_after("foo", ms(50), at_ms(0));
        assert_eq!(q.add_after("foo", ms(70), at_ms(0)), None, "a later time changes nothing");
        q.wake(at_ms(50));
        assert_eq!(q.get(), Some("foo"));
        q.done(&"foo");
        q.wake(at_ms(70));
        assert_eq!(q.len(), 0, "added once only");
        // Now the earlier one wins the other way round.
        q.add_after("foo", ms(70), at_ms(100));
        assert_eq!(q.add_after("foo", ms(50), at_ms(100)), Some(at_ms(150)));
        q.wake(at_ms(150));
        assert_eq!(q.len(), 1);
        q.wake(at_ms(170));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn add_after_fires_in_time_order() {
        // TestAddTwoFireEarly / TestCopyShifting
        let mut q = WorkQueue::new();
        q.add_after("foo", ms(1000), at_ms(0));
        q.add_after("bar", ms(50), at_ms(0));
        q.add_after("baz", ms(500), at_ms(0));
        q.wake(at_ms(600));
        assert_eq!(q.get(), Some("bar"));
        assert_eq!(q.get(), Some("baz"));
        assert_eq!(q.get(), None);
        q.wake(at_ms(1000));
        assert_eq!(q.get(), Some("foo"));
    }

    #[test]
    fn rate_limited_requeues() {
        // rate_limiting_queue_test.go TestRateLimitingQueue
        let mut q = WorkQueue::new();
        let t0 = at_ms(0);
        assert_eq!(q.add_rate_limited("one", t0), Some(t0 + ms(5)));
        assert_eq!(q.add_rate_limited("one", t0), None, "already waiting, sooner");
        assert_eq!(q.num_requeues(&"one"), 2);
        assert_eq!(q.add_rate_limited("two", t0), Some(t0 + ms(5)));
        assert_eq!(q.add_rate_limited("two", t0), None);
        q.wake(t0 + ms(5));
        assert_eq!(q.len(), 2);
        q.forget(&"one");
        assert_eq!(q.num_requeues(&"one"), 0);
        assert_eq!(q.num_requeues(&"two"), 2);
    }

    #[test]
    fn item_exponential_failure_rate_limiter() {
        // TestItemExponentialFailureRateLimiter
        let mut l = ItemExponentialFailureRateLimiter::new(ms(1), SimDuration::from_secs(1));
        for want in [1, 2, 4, 8, 16] {
            assert_eq!(l.when(&"one"), ms(want));
        }
        assert_eq!(l.num_requeues(&"one"), 5);
        assert_eq!(l.when(&"two"), ms(1));
        assert_eq!(l.when(&"two"), ms(2));
        assert_eq!(l.num_requeues(&"two"), 2);
        l.forget(&"one");
        assert_eq!(l.num_requeues(&"one"), 0);
        assert_eq!(l.when(&"one"), ms(1));
    }

    #[test]
    fn item_exponential_failure_rate_limiter_overflow() {
        // TestItemExponentialFailureRateLimiterOverFlow
        let mut l = ItemExponentialFailureRateLimiter::new(ms(1), SimDuration::from_secs(1000));
        for _ in 0..5 {
            l.when(&"one");
        }
        assert_eq!(l.when(&"one"), ms(32));
        for _ in 0..1000 {
            l.when(&"overflow1");
        }
        assert_eq!(l.when(&"overflow1"), SimDuration::from_secs(1000));
        let mut l =
            ItemExponentialFailureRateLimiter::new(SimDuration::from_secs(60), SimDuration::from_secs(3_600_000));
        for _ in 0..2 {
            l.when(&"two");
        }
        assert_eq!(l.when(&"two"), SimDuration::from_secs(240));
        for _ in 0..1000 {
            l.when(&"overflow2");
        }
        assert_eq!(l.when(&"overflow2"), SimDuration::from_secs(3_600_000));
    }

    #[test]
    fn default_controller_rate_limiter_is_the_max_of_both() {
        let mut l = DefaultControllerRateLimiter::default();
        let t0 = SimTime(1_000_000_000);
        // Distinct keys: 5 ms each (first failure) while the bucket's 100
        // tokens last, then the bucket's 100 ms spacing dominates.
        for i in 0..100 {
            assert_eq!(l.when(&i, t0), ms(5), "key {}", i);
        }
        assert_eq!(l.when(&100, t0), ms(100));
        assert_eq!(l.when(&101, t0), ms(200));
        // One key failing again and again: its own back-off dominates.
        let mut l = DefaultControllerRateLimiter::default();
        let delays: Vec<u64> = (0..12).map(|_| l.when(&"k", t0).as_millis()).collect();
        assert_eq!(delays[..4], [5, 10, 20, 40]);
        assert_eq!(delays[11], 10_240);
        for _ in 0..30 {
            l.when(&"k", t0);
        }
        assert_eq!(l.when(&"k", t0), SimDuration::from_secs(1000));
        assert_eq!(l.num_requeues(&"k"), 43);
        l.forget(&"k");
        assert_eq!(l.num_requeues(&"k"), 0);
    }
}
