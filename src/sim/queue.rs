//! The event queue: a heap ordered by `(time, seq)`.
//!
//! `seq` is a global counter assigned when an event is scheduled, so events at
//! the same instant pop in the order they were scheduled — never by heap
//! accident. Keyed events (`push_keyed`) carry a key
//! below every counter value instead: at an instant they come first, in
//! key order. Cancellation is by generation counters held by
//! the components (a stale timer is popped and ignored), so the queue itself
//! has no tombstone table to search.
//!
//! The pending set is kept small by design (one heartbeat model per node;
//! probe workers doze while nothing can change), which is what keeps a heap
//! fast at cluster scale.
//!
//! Most events are scheduled a fixed delay after "now" (zero, the request
//! hop, the watch hop). Events pushed with the same delay arrive in
//! nondecreasing `(time, seq)` order, because "now" never goes back and
//! `seq` only grows; so each such *lane* is a FIFO that is already sorted,
//! and `pop` takes the least of the lane heads and the heap's top. The
//! order is exactly the `(time, seq)` order of a single heap (a property
//! test checks it), at O(1) for lane events. A bit mask of the non-empty
//! lanes keeps a pop from looking at idle ones; a caller that knows its
//! lane pushes onto it by number (`push_lane`), and one whose delays are
//! drawn goes straight to the heap (`push_unlaned`).
//!
//! The heap itself holds only 24-byte keys `(time, seq, slot)`; the events
//! wait in a slab. A sift moves keys, not events, so the heap of a large
//! cluster (one pending exit per running container) stays cache-friendly.

#![warn(missing_docs)]

use super::time::{SimDuration, SimTime};
use std::collections::VecDeque;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

/// A heap entry: where the event waits in the slab.
#[derive(Clone, Copy, PartialEq, Eq)]
struct HeapKey {
    time: SimTime,
    seq: u64,
    slot: u32,
}

impl HeapKey {
    /// `(time, seq)` as one number: comparing two is one 128-bit compare
    /// (a tuple's lexicographic `<` costs a branch per field, and a sift
    /// makes four compares a level).
    #[inline]
    fn order(&self) -> u128 {
        (u128::from(self.time.0) << 64) | u128::from(self.seq)
    }

    /// Earlier `(time, seq)` first; `seq` is unique, so `slot` never
    /// decides.
    #[inline]
    fn before(&self, other: &HeapKey) -> bool {
        self.order() < other.order()
    }
}

/// A 4-ary min-heap of keys: half the depth of a binary heap, and the four
/// children of a node share a cache line or two, so a pop touches fewer
/// lines when thousands of timers are pending.
#[derive(Default)]
struct QuadHeap(Vec<HeapKey>);

impl QuadHeap {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn peek(&self) -> Option<&HeapKey> {
        self.0.first()
    }

    fn push(&mut self, k: HeapKey) {
        let v = &mut self.0;
        let mut i = v.len();
        v.push(k);
        while i > 0 {
            let parent = (i - 1) / 4;
            if !k.before(&v[parent]) {
                break;
            }
            v[i] = v[parent];
            i = parent;
        }
        v[i] = k;
    }

    fn pop(&mut self) -> Option<HeapKey> {
        let v = &mut self.0;
        let last = v.pop()?;
        let Some(&top) = v.first() else { return Some(last) };
        // Floyd's bottom-up pop: walk the hole at the root down to a leaf
        // along the least children (three compares a level, no test
        // against the moved key), then sift the last key up from there.
        // The last key came from the bottom, so it rarely climbs more
        // than a level: fewer compares than testing it at every level on
        // the way down, and the loop's branch is predictable.
        let n = v.len();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            let min = if let Some(kids) = v.get(first..first + 4) {
                // A full family: a two-round tournament, no bounds checks.
                let (a, b) = (kids[0].order(), kids[1].order());
                let (c, d) = (kids[2].order(), kids[3].order());
                let (l, lo) = if b < a { (1, b) } else { (0, a) };
                let (r, ro) = if d < c { (3, d) } else { (2, c) };
                first + if ro < lo { r } else { l }
            } else if first < n {
                let mut min = first;
                for c in first + 1..n {
                    if v[c].before(&v[min]) {
                        min = c;
                    }
                }
                min
            } else {
                break;
            };
            v[i] = v[min];
            i = min;
        }
        let at = last.order();
        while i > 0 {
            let parent = (i - 1) / 4;
            if v[parent].order() <= at {
                break;
            }
            v[i] = v[parent];
            i = parent;
        }
        v[i] = last;
        Some(top)
    }
}

/// Where the counter of ordinary events starts: the keys of `push_keyed`
/// events lie below it, so at one instant every keyed event pops first.
const FIRST_SEQ: u64 = 1 << 63;

/// A priority queue of events popped in `(time, seq)` order.
pub struct EventQueue<E> {
    heap: QuadHeap,
    /// The heap's events, by slot; `free` lists the empty slots.
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    /// Fixed-delay FIFO lanes: (delay, entries sorted by (time, seq)).
    lanes: Vec<(SimDuration, VecDeque<Entry<E>>)>,
    /// The lanes' delays alone, in lane order: a push scans one cache
    /// line, not the lanes themselves.
    delays: Vec<SimDuration>,
    /// Bit i set: lane i holds an event. A pop looks only at those.
    busy: u32,
    next_seq: u64,
    now: SimTime,
}

/// `schedule_at`'s refusal of a time before the present (`push` clamps
/// instead).
#[derive(Debug, PartialEq, Eq)]
pub struct InPast;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero, with no lanes.
    pub fn new() -> Self {
        EventQueue {
            heap: QuadHeap::default(),
            slab: Vec::new(),
            free: Vec::new(),
            lanes: Vec::new(),
            delays: Vec::new(),
            busy: 0,
            next_seq: FIRST_SEQ,
            now: SimTime::ZERO,
        }
    }

    /// Declares a fixed delay whose events go through a FIFO lane, and
    /// returns the lane's number (for `push_lane`).
    pub fn add_lane(&mut self, delay: SimDuration) -> usize {
        if let Some(i) = self.delays.iter().position(|d| *d == delay) {
            return i;
        }
        assert!(self.lanes.len() < 32, "at most 32 lanes (one bit each in `busy`)");
        self.lanes.push((delay, VecDeque::new()));
        self.delays.push(delay);
        self.lanes.len() - 1
    }

    /// Schedules `event` on lane `lane` (a number `add_lane` returned):
    /// at now + its delay, with no search for the lane.
    pub fn push_lane(&mut self, lane: usize, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let (delay, queue) = &mut self.lanes[lane];
        queue.push_back(Entry { time: self.now + *delay, seq, event });
        self.busy |= 1 << lane;
    }

    /// Schedules `event` at `time` (clamped to now, as `push`) on the
    /// heap, with no search for a lane: for a caller whose delays are
    /// drawn (a lane is only ever a shortcut, so the order is the same).
    pub fn push_unlaned(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap_push(time.max(self.now), seq, event);
    }

    /// Schedules `event` at `now + delay`.
    pub fn push_after(&mut self, delay: SimDuration, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let time = self.now + delay;
        match self.delays.iter().position(|d| *d == delay) {
            Some(i) => {
                self.lanes[i].1.push_back(Entry { time, seq, event });
                self.busy |= 1 << i;
            }
            None => self.heap_push(time, seq, event),
        }
    }

    fn heap_push(&mut self, time: SimTime, seq: u64, event: E) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slab[s as usize] = Some(event);
                s
            }
            None => {
                self.slab.push(Some(event));
                u32::try_from(self.slab.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        self.heap.push(HeapKey { time, seq, slot });
    }

    /// Where the next event is: `None` = the heap, `Some(i)` = lane i.
    fn next_source(&self) -> Option<Option<usize>> {
        let mut best: Option<(u128, Option<usize>)> = self.heap.peek().map(|k| (k.order(), None));
        let mut busy = self.busy;
        while busy != 0 {
            let i = busy.trailing_zeros() as usize;
            busy &= busy - 1;
            if let Some(e) = self.lanes[i].1.front() {
                let order = (u128::from(e.time.0) << 64) | u128::from(e.seq);
                if best.is_none_or(|(b, _)| order < b) {
                    best = Some((order, Some(i)));
                }
            }
        }
        best.map(|(_, src)| src)
    }

    /// The current virtual time: the time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// How many events are pending (heap and lanes).
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(|(_, l)| l.len()).sum::<usize>()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at `time`. Returns its sequence number.
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> Result<u64, InPast> {
        if time < self.now {
            return Err(InPast);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap_push(time, seq, event);
        Ok(seq)
    }

    /// Schedules `event` at `time`, or at `now` when `time` is already past:
    /// a past time is clamped to the present silently (no error, no
    /// panic). Callers that must know use `schedule_at`, which refuses a
    /// past time with `InPast`.
    pub fn push(&mut self, time: SimTime, event: E) {
        let t = time.max(self.now);
        self.push_after(t - self.now, event);
    }

    /// Schedules `event` at `time` (clamped to now, as `push`) with `key`
    /// (below 2^63) in place of a sequence number: at one instant, keyed
    /// events pop before every ordinary event and in key order among
    /// themselves, whenever they were scheduled. Periodic timers use it so
    /// their order within an instant is a function of who they are, not of
    /// when their previous tick happened to run: a component that skips
    /// ticks can then tell exactly where a skipped tick would have run.
    pub fn push_keyed(&mut self, time: SimTime, key: u64, event: E) {
        debug_assert!(key < FIRST_SEQ, "keys lie below the ordinary sequence numbers");
        self.heap_push(time.max(self.now), key.min(FIRST_SEQ - 1), event);
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        match self.next_source()? {
            None => self.heap.peek().map(|e| e.time),
            Some(i) => self.lanes[i].1.front().map(|e| e.time),
        }
    }

    /// Pops the next event and advances the clock to it.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::MAX)
    }

    /// Pops the next event if it is at or before `limit`, advancing the
    /// clock to it; one look at the sources serves both the test and the pop.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let (time, event) = match self.next_source()? {
            None => {
                let k = *self.heap.peek()?;
                if k.time > limit {
                    return None;
                }
                self.heap.pop();
                self.free.push(k.slot);
                (k.time, self.slab[k.slot as usize].take().expect("a queued slot holds its event"))
            }
            Some(i) => {
                let lane = &mut self.lanes[i].1;
                if lane.front()?.time > limit {
                    return None;
                }
                let e = lane.pop_front()?;
                if lane.is_empty() {
                    self.busy &= !(1 << i);
                }
                (e.time, e.event)
            }
        };
        debug_assert!(time >= self.now, "time went backwards");
        self.now = time;
        Some((time, event))
    }

    /// Advances the clock with no event (used by `run_until` to land exactly
    /// on the requested instant).
    pub fn advance_to(&mut self, t: SimTime) {
        if t > self.now {
            self.now = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_events_come_first_at_an_instant_in_key_order() {
        let mut q = EventQueue::new();
        q.add_lane(SimDuration(5));
        q.push(SimTime(5), "plain-1");
        q.push_after(SimDuration(5), "lane");
        q.push_keyed(SimTime(5), 9, "key-9");
        q.push_keyed(SimTime(5), 2, "key-2");
        q.push(SimTime(5), "plain-2");
        q.push_keyed(SimTime(6), 1, "later");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["key-2", "key-9", "plain-1", "lane", "plain-2", "later"]);
    }

    #[test]
    fn pops_in_time_then_seq_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "b");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "c");
        q.push(SimTime(3), "x");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["a", "x", "b", "c"]);
    }

    #[test]
    fn lanes_keep_exact_time_seq_order() {
        use rand::{Rng, SeedableRng};
        // Against a plain heap: same pushes, same pops, in the same order.
        for seed in 0..50u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut laned = EventQueue::new();
            let mut plain = EventQueue::new();
            let lane_ids: Vec<usize> = [0u64, 5, 10].iter().map(|&d| laned.add_lane(SimDuration(d))).collect();
            assert_eq!(lane_ids, vec![0, 1, 2]);
            assert_eq!(laned.add_lane(SimDuration(5)), 1, "a lane is declared once");
            let mut id = 0u32;
            let mut popped = (Vec::new(), Vec::new());
            for _ in 0..2000 {
                if rng.gen_bool(0.55) {
                    let d = [0u64, 5, 10, 3, 17, 5, 10, 0][rng.gen_range(0..8)];
                    // Each way in: the lane search, the lane by number,
                    // the heap even for a laned delay.
                    match (rng.gen_range(0..3), [0u64, 5, 10].iter().position(|&l| l == d)) {
                        (0, Some(lane)) => laned.push_lane(lane, id),
                        (1, _) => laned.push_unlaned(laned.now() + SimDuration(d), id),
                        _ => laned.push_after(SimDuration(d), id),
                    }
                    plain.push(plain.now() + SimDuration(d), id);
                    id += 1;
                } else {
                    popped.0.push(laned.pop());
                    popped.1.push(plain.pop());
                }
            }
            while let Some(x) = plain.pop() {
                popped.1.push(Some(x));
                popped.0.push(laned.pop());
            }
            assert_eq!(popped.0, popped.1, "seed {seed}");
            assert!(laned.is_empty());
        }
    }

    #[test]
    fn quad_heap_pops_in_key_order() {
        use rand::{Rng, SeedableRng};
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        // Against std's binary heap, with many equal times.
        for seed in 0..20u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let (mut quad, mut reference) = (QuadHeap::default(), BinaryHeap::new());
            for seq in 0..3000u64 {
                if rng.gen_bool(0.6) {
                    let time = SimTime(rng.gen_range(0..200));
                    quad.push(HeapKey { time, seq, slot: seq as u32 });
                    reference.push(Reverse((time, seq)));
                } else {
                    let got = quad.pop().map(|k| (k.time, k.seq));
                    assert_eq!(got, reference.pop().map(|Reverse(k)| k), "seed {seed}");
                }
            }
            while let Some(Reverse(k)) = reference.pop() {
                assert_eq!(quad.pop().map(|k| (k.time, k.seq)), Some(k));
            }
            assert!(quad.pop().is_none());
        }
    }

    #[test]
    fn rejects_the_past() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), ());
        q.pop();
        assert_eq!(q.schedule_at(SimTime(9), ()), Err(InPast));
        assert!(q.schedule_at(SimTime(10), ()).is_ok());
    }
}
