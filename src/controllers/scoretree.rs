//! A segment tree over the scheduler's nodes for one kind of pod.
//!
//! For a pod whose filters and scores depend only on the node and on what
//! the pod requests and tolerates, a scheduling cycle is (upstream
//! `pkg/scheduler/schedule_one.go`: `findNodesThatPassFilters`,
//! `numFeasibleNodesToFind`, `selectHost`): from the rotating start, walk
//! the ring of nodes until `numFeasibleNodesToFind` pass every filter, then
//! take the best score among those, ties broken by the scheduler's stream
//! in walk order. So one tree per such kind of pod keeps, for every range
//! of nodes, how many are feasible, their best score and how many share
//! it. The walk is then a few O(log n) descents instead of a visit to
//! hundreds of nodes per pod, and it picks exactly the node the walk would
//! (property tests here and in `scheduler` check it against the walk).
//!
//! A feasible node whose score depends on the other nodes scored with it
//! (a score normalized over the window, such as TaintToleration's for an
//! intolerable PreferNoSchedule taint) is a leaf of its own kind,
//! [`Leaf::Unscored`]: it counts as feasible and outranks every score, so
//! a window holding one has [`UNSCORED`] as its best, for the caller to
//! take the walk.

#![warn(missing_docs)]

/// Best score of a range without a feasible node.
const NONE: i32 = i32::MIN;

/// The best "score" of a range holding an unscored feasible node.
pub const UNSCORED: i32 = i32::MAX;

/// What one node is for the pods of one tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// Some filter rejects the node: the walk visits it (it counts as
    /// processed) but it is never chosen.
    Infeasible,
    /// Feasible, with a score that is final as computed (neither
    /// `i32::MIN` nor [`UNSCORED`]).
    Scored(i32),
    /// Feasible, but its score needs the rest of the window.
    Unscored,
}

/// The nodes a cycle examined, as up to two ranges in walk order (the
/// second after wrapping round the ring).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Nodes visited (`processed` upstream), which moves the next start.
    pub processed: usize,
    /// Feasible nodes among them.
    pub found: usize,
    /// The ranges of node indices walked, as `(start, end)` half-open
    /// pairs in walk order (the second empty unless the walk wrapped).
    pub parts: [(usize, usize); 2],
}

/// One tree node: what it knows of its range of cluster nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Agg {
    /// Best score of a feasible node in the range (`NONE` if none,
    /// `UNSCORED` if one is unscored).
    max: i32,
    /// How many feasible nodes in the range have that score.
    ties: u32,
    /// How many nodes in the range are feasible.
    fit: u32,
}

impl Agg {
    const EMPTY: Agg = Agg { max: NONE, ties: 0, fit: 0 };

    fn leaf(leaf: Leaf) -> Agg {
        match leaf {
            Leaf::Scored(s) => {
                debug_assert!(s != NONE && s != UNSCORED);
                Agg { max: s, ties: 1, fit: 1 }
            }
            Leaf::Unscored => Agg { max: UNSCORED, ties: 1, fit: 1 },
            Leaf::Infeasible => Agg::EMPTY,
        }
    }

    fn join(l: Agg, r: Agg) -> Agg {
        let max = l.max.max(r.max);
        let ties = if l.max == max { l.ties } else { 0 } + if r.max == max { r.ties } else { 0 };
        Agg { max, ties, fit: l.fit + r.fit }
    }
}

/// A segment tree over the nodes in walk order, answering which feasible
/// node scores best in a window and how many tie.
pub struct ScoreTree {
    n: usize,
    size: usize,
    /// Heap layout: node 1 is the root, `v`'s children are `2v`, `2v + 1`,
    /// leaf `i` is `size + i`.
    t: Vec<Agg>,
}

impl ScoreTree {
    /// A tree over `leaves`, one per node in walk order.
    pub fn new(leaves: impl ExactSizeIterator<Item = Leaf>) -> Self {
        let n = leaves.len();
        let size = n.next_power_of_two().max(1);
        let mut t = vec![Agg::EMPTY; 2 * size];
        for (i, leaf) in leaves.enumerate() {
            t[size + i] = Agg::leaf(leaf);
        }
        for v in (1..size).rev() {
            t[v] = Agg::join(t[2 * v], t[2 * v + 1]);
        }
        ScoreTree { n, size, t }
    }

    /// Node `i` changed: its new leaf value.
    pub fn set(&mut self, i: usize, leaf: Leaf) {
        let mut v = self.size + i;
        let new = Agg::leaf(leaf);
        if self.t[v] == new {
            return;
        }
        self.t[v] = new;
        // Up to the root, stopping where a node comes out unchanged (its
        // ancestors then are too).
        while v > 1 {
            v /= 2;
            let joined = Agg::join(self.t[2 * v], self.t[2 * v + 1]);
            if self.t[v] == joined {
                break;
            }
            self.t[v] = joined;
        }
    }

    /// The walk from `start` that stops once `want` nodes are feasible (or
    /// after every node): which nodes it visited.
    pub fn window(&self, start: usize, want: usize) -> Window {
        let n = self.n;
        if want == 0 {
            return Window { processed: 0, found: 0, parts: [(start, start), (0, 0)] };
        }
        let before = self.fold(0, start).fit as usize;
        let first = self.t[1].fit as usize - before;
        if first >= want {
            let p = self.kth_fit(before + want) + 1;
            return Window { processed: p - start, found: want, parts: [(start, p), (0, 0)] };
        }
        if first + before >= want {
            let p = self.kth_fit(want - first) + 1;
            return Window { processed: n - start + p, found: want, parts: [(start, n), (0, p)] };
        }
        Window { processed: n, found: first + before, parts: [(start, n), (0, start)] }
    }

    /// The best score in the window (`UNSCORED` if it holds an unscored
    /// node) and how many feasible nodes have it.
    pub fn best(&self, w: &Window) -> (i32, u32) {
        let a = Agg::join(self.fold(w.parts[0].0, w.parts[0].1), self.fold(w.parts[1].0, w.parts[1].1));
        (a.max, a.ties)
    }

    /// The `k`-th (from 0, in walk order) node of the window with score
    /// `best` (which must be the window's best).
    pub fn nth_best(&self, w: &Window, best: i32, k: u32) -> usize {
        let mut k = k;
        for &(a, b) in &w.parts {
            let mut nodes = [0usize; 2 * usize::BITS as usize];
            for &v in self.cover(a, b, &mut nodes) {
                // Inside the window no score exceeds `best`.
                let Agg { max, ties, .. } = self.t[v];
                if max != best {
                    continue;
                }
                if ties <= k {
                    k -= ties;
                    continue;
                }
                // The k-th best leaf below v.
                let mut v = v;
                while v < self.size {
                    let l = self.t[2 * v];
                    if l.max == best && l.ties > k {
                        v *= 2;
                    } else {
                        if l.max == best {
                            k -= l.ties;
                        }
                        v = 2 * v + 1;
                    }
                }
                return v - self.size;
            }
        }
        unreachable!("k is below the number of ties")
    }

    /// The aggregate of nodes `[a, b)`, bottom-up.
    fn fold(&self, a: usize, b: usize) -> Agg {
        let (mut l, mut r) = (a + self.size, b + self.size);
        let (mut left, mut right) = (Agg::EMPTY, Agg::EMPTY);
        while l < r {
            if l & 1 == 1 {
                left = Agg::join(left, self.t[l]);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                right = Agg::join(self.t[r], right);
            }
            l /= 2;
            r /= 2;
        }
        Agg::join(left, right)
    }

    /// The tree nodes that exactly cover `[a, b)`, left to right.
    fn cover<'a>(&self, a: usize, b: usize, out: &'a mut [usize; 2 * usize::BITS as usize]) -> &'a [usize] {
        let (mut l, mut r) = (a + self.size, b + self.size);
        let (mut nl, mut nr) = (0, out.len());
        while l < r {
            if l & 1 == 1 {
                out[nl] = l;
                nl += 1;
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                nr -= 1;
                out[nr] = r;
            }
            l /= 2;
            r /= 2;
        }
        // Left nodes are in order from the front, right ones from the back.
        out.copy_within(nr.., nl);
        &out[..nl + out.len() - nr]
    }

    /// The position of the `k`-th (from 1) feasible node; it exists.
    fn kth_fit(&self, k: usize) -> usize {
        let mut k = k as u32;
        let mut v = 1;
        while v < self.size {
            let l = self.t[2 * v].fit;
            if l >= k {
                v *= 2;
            } else {
                k -= l;
                v = 2 * v + 1;
            }
        }
        v - self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the walk sees of a window.
    #[derive(Debug, PartialEq, Eq)]
    struct Walked {
        processed: usize,
        found: usize,
        best: Option<i32>,
        /// Scored nodes tied at `best`, in walk order.
        tied: Vec<usize>,
        unscored: u32,
    }

    /// The walk itself.
    fn walk(leaves: &[Leaf], start: usize, want: usize) -> Walked {
        let n = leaves.len();
        let mut w = Walked { processed: 0, found: 0, best: None, tied: Vec::new(), unscored: 0 };
        for i in (start..n).chain(0..start) {
            if w.found == want {
                break;
            }
            w.processed += 1;
            match leaves[i] {
                Leaf::Infeasible => {}
                Leaf::Unscored => {
                    w.found += 1;
                    w.unscored += 1;
                }
                Leaf::Scored(s) => {
                    w.found += 1;
                    if w.best.is_none_or(|b| s > b) {
                        w.best = Some(s);
                        w.tied.clear();
                    }
                    if w.best == Some(s) {
                        w.tied.push(i);
                    }
                }
            }
        }
        w
    }

    fn check(leaves: &[Leaf], start: usize, want: usize, t: &ScoreTree) {
        let walked = walk(leaves, start, want);
        let w = t.window(start, want);
        assert_eq!((w.processed, w.found), (walked.processed, walked.found), "start {start} want {want}");
        let (score, ties) = t.best(&w);
        if walked.unscored > 0 {
            assert_eq!((score, ties), (UNSCORED, walked.unscored));
        } else {
            assert_eq!(ties as usize, walked.tied.len());
            if let Some(best) = walked.best {
                assert_eq!(score, best);
                for (k, &node) in walked.tied.iter().enumerate() {
                    assert_eq!(t.nth_best(&w, score, k as u32), node);
                }
            }
        }
    }

    fn leaf() -> impl Strategy<Value = Leaf> {
        prop_oneof![
            3 => Just(Leaf::Infeasible),
            6 => (0i32..6).prop_map(Leaf::Scored),
            1 => Just(Leaf::Unscored),
        ]
    }

    proptest! {
        #[test]
        fn picks_what_the_walk_picks(
            leaves in proptest::collection::vec(leaf(), 1..70),
            start_frac in 0.0f64..1.0,
            want in 1usize..80,
            updates in proptest::collection::vec((0usize..70, leaf()), 0..20),
        ) {
            let mut leaves = leaves;
            let n = leaves.len();
            let start = ((start_frac * n as f64) as usize).min(n - 1);
            let want = want.min(n);
            let mut t = ScoreTree::new(leaves.iter().copied());
            check(&leaves, start, want, &t);
            for (i, leaf) in updates {
                let i = i % n;
                leaves[i] = leaf;
                t.set(i, leaf);
                check(&leaves, start, want, &t);
            }
        }
    }
}
