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

use super::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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
        EventQueue { heap: BinaryHeap::new(), next_seq: 0, now: SimTime::ZERO }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time: t, seq, event });
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Pops the next event and advances the clock to it.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let e = self.heap.pop()?;
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
    fn rejects_the_past() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), ());
        q.pop();
        assert_eq!(q.schedule_at(SimTime(9), ()), Err(InPast));
        assert!(q.schedule_at(SimTime(10), ()).is_ok());
    }
}
