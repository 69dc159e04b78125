//! A segment tree over the scheduler's nodes for one pod request class.
//!
//! For a pod without node constraints, on nodes that are neither cordoned
//! nor tainted, a scheduling cycle (k8s-semantics §6.5) is: from the
//! rotating start, walk the ring of nodes until `numFeasibleNodesToFind`
//! fit, then take the best score among those, ties broken by the
//! scheduler's stream in walk order. Whether a node fits and what it scores
//! depend only on the node and the pod's requests, so one tree per request
//! class keeps, for every range of nodes, how many fit, their best score and
//! how many share it. The walk is then a few O(log n) descents instead of a
//! visit to hundreds of nodes per pod, and it picks exactly the node the
//! walk would (a property test below checks it against the walk).

/// Leaf value of a node that does not fit.
const NONE: i32 = i32::MIN;

/// The nodes a cycle examined, as up to two ranges in walk order (the
/// second after wrapping round the ring).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Nodes visited (`processed` upstream), which moves the next start.
    pub processed: usize,
    /// Feasible nodes among them.
    pub found: usize,
    pub parts: [(usize, usize); 2],
}

/// One tree node: what it knows of its range of cluster nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Agg {
    /// Best score of a fitting node in the range (`NONE` if none fits).
    max: i32,
    /// How many fitting nodes in the range have that score.
    ties: u32,
    /// How many nodes in the range fit.
    fit: u32,
}

impl Agg {
    const EMPTY: Agg = Agg { max: NONE, ties: 0, fit: 0 };

    fn leaf(leaf: Option<i32>) -> Agg {
        match leaf {
            Some(s) => {
                debug_assert!(s != NONE);
                Agg { max: s, ties: 1, fit: 1 }
            }
            None => Agg::EMPTY,
        }
    }

    fn join(l: Agg, r: Agg) -> Agg {
        let max = l.max.max(r.max);
        let ties = if l.max == max { l.ties } else { 0 } + if r.max == max { r.ties } else { 0 };
        Agg { max, ties, fit: l.fit + r.fit }
    }
}

pub struct ScoreTree {
    n: usize,
    size: usize,
    /// Heap layout: node 1 is the root, `v`'s children are `2v`, `2v + 1`,
    /// leaf `i` is `size + i`.
    t: Vec<Agg>,
}

impl ScoreTree {
    /// A tree over `leaves`: `Some(score)` for a node that fits.
    pub fn new(leaves: impl ExactSizeIterator<Item = Option<i32>>) -> Self {
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

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Node `i` changed: its new leaf value.
    pub fn set(&mut self, i: usize, leaf: Option<i32>) {
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

    /// The walk from `start` that stops once `want` nodes fit (or after
    /// every node): which nodes it visited.
    pub fn window(&self, start: usize, want: usize) -> Window {
        let n = self.n;
        let first = self.count(1, 0, self.size, start, n) as usize;
        if first >= want {
            let p = if want == 0 { start } else { self.nth_fit(start, want as u32) + 1 };
            return Window { processed: p - start, found: want, parts: [(start, p), (0, 0)] };
        }
        let second = self.count(1, 0, self.size, 0, start) as usize;
        if first + second >= want {
            let p = self.nth_fit(0, (want - first) as u32) + 1;
            return Window { processed: n - start + p, found: want, parts: [(start, n), (0, p)] };
        }
        Window { processed: n, found: first + second, parts: [(start, n), (0, start)] }
    }

    /// The best score in the window and how many fitting nodes have it.
    pub fn best(&self, w: &Window) -> (i32, u32) {
        let (a, b) = (self.best_in(1, 0, self.size, w.parts[0]), self.best_in(1, 0, self.size, w.parts[1]));
        let m = a.0.max(b.0);
        (m, if a.0 == m { a.1 } else { 0 } + if b.0 == m { b.1 } else { 0 })
    }

    /// The `k`-th (from 0, in walk order) node of the window with score
    /// `best` (which must be the window's best).
    pub fn nth_best(&self, w: &Window, best: i32, k: u32) -> usize {
        let mut k = k;
        w.parts
            .iter()
            .find_map(|&range| self.nth_best_in(1, 0, self.size, range, best, &mut k))
            .expect("k is below the number of ties")
    }

    fn count(&self, v: usize, lo: usize, hi: usize, a: usize, b: usize) -> u32 {
        if b <= lo || hi <= a || a >= b {
            return 0;
        }
        if a <= lo && hi <= b {
            return self.t[v].fit;
        }
        let mid = (lo + hi) / 2;
        self.count(2 * v, lo, mid, a, b) + self.count(2 * v + 1, mid, hi, a, b)
    }

    /// The position of the `k`-th (from 1) fitting node at or after `a`;
    /// the caller knows it exists.
    fn nth_fit(&self, a: usize, k: u32) -> usize {
        let mut k = k;
        self.nth_fit_in(1, 0, self.size, a, &mut k).expect("counted before")
    }

    fn nth_fit_in(&self, v: usize, lo: usize, hi: usize, a: usize, k: &mut u32) -> Option<usize> {
        let fit = self.t[v].fit;
        if hi <= a || fit == 0 {
            return None;
        }
        if a <= lo && fit < *k {
            *k -= fit;
            return None;
        }
        if hi - lo == 1 {
            return Some(lo);
        }
        let mid = (lo + hi) / 2;
        self.nth_fit_in(2 * v, lo, mid, a, k).or_else(|| self.nth_fit_in(2 * v + 1, mid, hi, a, k))
    }

    fn best_in(&self, v: usize, lo: usize, hi: usize, (a, b): (usize, usize)) -> (i32, u32) {
        if b <= lo || hi <= a || a >= b {
            return (NONE, 0);
        }
        if a <= lo && hi <= b {
            return (self.t[v].max, self.t[v].ties);
        }
        let mid = (lo + hi) / 2;
        let (l, r) = (self.best_in(2 * v, lo, mid, (a, b)), self.best_in(2 * v + 1, mid, hi, (a, b)));
        let m = l.0.max(r.0);
        (m, if l.0 == m { l.1 } else { 0 } + if r.0 == m { r.1 } else { 0 })
    }

    fn nth_best_in(
        &self,
        v: usize,
        lo: usize,
        hi: usize,
        (a, b): (usize, usize),
        best: i32,
        k: &mut u32,
    ) -> Option<usize> {
        if b <= lo || hi <= a || a >= b {
            return None;
        }
        if a <= lo && hi <= b {
            // Inside the window no score exceeds `best`.
            let Agg { max, ties, .. } = self.t[v];
            if max != best {
                return None;
            }
            if ties <= *k {
                *k -= ties;
                return None;
            }
            if hi - lo == 1 {
                return Some(lo);
            }
        }
        let mid = (lo + hi) / 2;
        self.nth_best_in(2 * v, lo, mid, (a, b), best, k)
            .or_else(|| self.nth_best_in(2 * v + 1, mid, hi, (a, b), best, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The walk itself: (processed, found, best, nodes tied at best in walk order).
    fn walk(leaves: &[Option<i32>], start: usize, want: usize) -> (usize, usize, Option<i32>, Vec<usize>) {
        let n = leaves.len();
        let (mut processed, mut found, mut best, mut tied) = (0, 0, None::<i32>, Vec::new());
        for i in (start..n).chain(0..start) {
            if found == want {
                break;
            }
            processed += 1;
            if let Some(s) = leaves[i] {
                found += 1;
                if best.is_none_or(|b| s > b) {
                    best = Some(s);
                    tied.clear();
                }
                if best == Some(s) {
                    tied.push(i);
                }
            }
        }
        (processed, found, best, tied)
    }

    fn check(leaves: &[Option<i32>], start: usize, want: usize, t: &ScoreTree) {
        let (processed, found, best, tied) = walk(leaves, start, want);
        let w = t.window(start, want);
        assert_eq!((w.processed, w.found), (processed, found), "start {start} want {want}");
        if found > 0 {
            let (b, ties) = t.best(&w);
            assert_eq!(Some(b), best);
            assert_eq!(ties as usize, tied.len());
            for (k, &node) in tied.iter().enumerate() {
                assert_eq!(t.nth_best(&w, b, k as u32), node);
            }
        }
    }

    proptest! {
        #[test]
        fn picks_what_the_walk_picks(
            leaves in proptest::collection::vec(proptest::option::weighted(0.7, 0i32..6), 1..70),
            start_frac in 0.0f64..1.0,
            want in 1usize..80,
            updates in proptest::collection::vec((0usize..70, proptest::option::weighted(0.7, 0i32..6)), 0..20),
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
