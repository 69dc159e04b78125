//! The event queue: a binary heap ordered by `(time, seq)`.
//!
//! `seq` is a global counter assigned when an event is scheduled, so events at
//! the same instant pop in the order they were scheduled — never by heap
//! accident (STYLE.md habit 1). Cancellation is by generation counters held by
//! the components (a stale timer is popped and ignored), so the queue itself
//! has no tombstone table to search.
//!
//! The pending set is kept small by design (one heartbeat model per node, no
//! per-pod tick timers), which is what keeps a heap fast at cluster scale
//! (DESIGN.md, "Performance design").
//!
//! Most events are scheduled a fixed delay after "now" (zero, the request
//! hop, the watch hop). Events pushed with the same delay arrive in
//! nondecreasing `(time, seq)` order, because "now" never goes back and
//! `seq` only grows; so each such *lane* is a FIFO that is already sorted,
//! and `pop` takes the least of the lane heads and the heap's top. The
//! order is exactly the `(time, seq)` order of a single heap (a property
//! test checks it), at O(1) for lane events.

use super::time::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::collections::VecDeque;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we pop the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events popped in `(time, seq)` order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// Fixed-delay FIFO lanes: (delay, entries sorted by (time, seq)).
    lanes: Vec<(SimDuration, VecDeque<Entry<E>>)>,
    next_seq: u64,
    now: SimTime,
}

/// Scheduling an event before the current time is a programming error the
/// caller can recover from; it is reported rather than silently clamped.
#[derive(Debug, PartialEq, Eq)]
pub struct InPast;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::new(), lanes: Vec::new(), next_seq: 0, now: SimTime::ZERO }
    }

    /// Declares a fixed delay whose events go through a FIFO lane.
    pub fn add_lane(&mut self, delay: SimDuration) {
        if !self.lanes.iter().any(|(d, _)| *d == delay) {
            self.lanes.push((delay, VecDeque::new()));
        }
    }

    /// Schedules `event` at `now + delay`.
    pub fn push_after(&mut self, delay: SimDuration, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let time = self.now + delay;
        match self.lanes.iter_mut().find(|(d, _)| *d == delay) {
            Some((_, lane)) => lane.push_back(Entry { time, seq, event }),
            None => self.heap.push(Entry { time, seq, event }),
        }
    }

    /// Where the next event is: `None` = the heap, `Some(i)` = lane i.
    fn next_source(&self) -> Option<Option<usize>> {
        let mut best: Option<(SimTime, u64, Option<usize>)> = self.heap.peek().map(|e| (e.time, e.seq, None));
        for (i, (_, lane)) in self.lanes.iter().enumerate() {
            if let Some(e) = lane.front() {
                if best.is_none_or(|(t, s, _)| (e.time, e.seq) < (t, s)) {
                    best = Some((e.time, e.seq, Some(i)));
                }
            }
        }
        best.map(|(_, _, src)| src)
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(|(_, l)| l.len()).sum::<usize>()
    }

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
        self.heap.push(Entry { time, seq, event });
        Ok(seq)
    }

    /// Schedules `event` at `max(time, now)`: for callers whose times are
    /// computed from the present and cannot be in the past.
    pub fn push(&mut self, time: SimTime, event: E) {
        let t = time.max(self.now);
        self.push_after(t - self.now, event);
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
        let e = match self.next_source()? {
            None => self.heap.pop()?,
            Some(i) => self.lanes[i].1.pop_front()?,
        };
        debug_assert!(e.time >= self.now, "time went backwards");
        self.now = e.time;
        Some((e.time, e.event))
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
            for d in [0u64, 5, 10] {
                laned.add_lane(SimDuration(d));
            }
            let mut id = 0u32;
            let mut popped = (Vec::new(), Vec::new());
            for _ in 0..2000 {
                if rng.gen_bool(0.55) {
                    let d = [0u64, 5, 10, 3, 17, 5, 10, 0][rng.gen_range(0..8)];
                    laned.push_after(SimDuration(d), id);
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
    fn rejects_the_past() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), ());
        q.pop();
        assert_eq!(q.schedule_at(SimTime(9), ()), Err(InPast));
        assert!(q.schedule_at(SimTime(10), ()).is_ok());
    }
}
