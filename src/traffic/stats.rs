//! What the traffic sources' requests came to: counts per source and per
//! (source, target pod), cumulative and per sample interval, and latency
//! percentiles. Each request is counted once, at the instant its outcome
//! is known to the client.
//!
//! Recording allocates only when a (source, pod) pair is first seen, and
//! while per-interval rows are asked for (`traffic.csv`) when an interval's
//! latency list grows past what an earlier interval needed.

#![warn(missing_docs)]

use crate::sim::{SimDuration, SimTime};
use std::fmt::Write as _;
use std::rc::Rc;

/// How one request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A 2xx or 3xx answer.
    Ok,
    /// Connection refused: nothing listens, or a REJECT rule.
    Refused,
    /// Connection reset: the process went away mid-request, or a kept-alive
    /// connection was closed under it.
    Reset,
    /// No answer within the client's timeout (dropped packets included).
    Timeout,
    /// A 4xx answer.
    Http4xx,
    /// A 5xx answer.
    Http5xx,
}

impl Outcome {
    /// Every outcome, in the order of `traffic.csv`'s columns.
    pub const ALL: [Outcome; 6] =
        [Outcome::Ok, Outcome::Refused, Outcome::Reset, Outcome::Timeout, Outcome::Http4xx, Outcome::Http5xx];

    /// The outcome's name in reports and expectations.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Reset => "reset",
            Outcome::Timeout => "timeout",
            Outcome::Http4xx => "http_4xx",
            Outcome::Http5xx => "http_5xx",
        }
    }

    /// Parses an outcome's name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// The outcome of an HTTP answer with `status`.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            200..=399 => Outcome::Ok,
            400..=499 => Outcome::Http4xx,
            500..=599 => Outcome::Http5xx,
            // Anything else is not HTTP a client accepts.
            _ => Outcome::Reset,
        }
    }
}

/// Request counts by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests whose outcome is known.
    pub requests: u64,
    /// By outcome, in `Outcome::ALL`'s order.
    pub by_outcome: [u64; 6],
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        self.requests += 1;
        self.by_outcome[o as usize] += 1;
    }

    /// The count of one outcome.
    pub fn get(&self, o: Outcome) -> u64 {
        self.by_outcome[o as usize]
    }
}

/// A latency histogram in microseconds: exact below 2,048 µs, then 1,024
/// buckets per power of two (each value is reported as its bucket's lower
/// bound, within 0.1 % of it).
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    buckets: Vec<u64>,
    total: u64,
}

impl Histogram {
    fn index(us: u64) -> usize {
        if us < 2048 {
            return us as usize;
        }
        let e = 63 - us.leading_zeros() as u64 - 10;
        (1024 * e + (us >> e)) as usize
    }

    fn lower_bound(i: usize) -> u64 {
        if i < 2048 {
            return i as u64;
        }
        let e = (i / 1024 - 1) as u64;
        ((i as u64) - 1024 * e) << e
    }

    /// Counts one latency.
    pub fn record(&mut self, us: u64) {
        let i = Self::index(us);
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, 0);
        }
        self.buckets[i] += 1;
        self.total += 1;
    }

    /// The nearest-rank `q` quantile (`q` in (0, 1]), in microseconds.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(Self::lower_bound(i));
            }
        }
        None
    }
}

/// The nearest-rank `q` quantile of sorted values.
fn nearest_rank(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Microseconds as milliseconds with three decimals.
pub fn ms(us: u64) -> String {
    format!("{}.{:03}", us / 1000, us % 1000)
}

/// One traffic source's totals. `repr(C)`: what counting a request
/// touches first, in one cache line or two (see `nodes::process::Proc`).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct SourceStats {
    /// Every request so far.
    pub total: Counts,
    /// Latencies of its ok requests.
    pub latency: Histogram,
    /// The source's name.
    pub name: String,
    /// Its target service as `namespace/name`.
    pub service: String,
}

/// One (source, target pod) pair's counts. `repr(C)` as `SourceStats`.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct PairStats {
    /// The source's index.
    pub source: u32,
    /// Every request so far.
    pub total: Counts,
    /// The target pod's name (`None`: the request reached no pod).
    pub pod: Option<Rc<str>>,
    /// The target pod's node.
    pub node: Option<Rc<str>>,
    interval: Counts,
    interval_latencies: Vec<u32>,
}

/// Every source's and pair's counts, and the `traffic.csv` rows written
/// so far when rows are asked for.
#[derive(Clone, Debug, Default)]
pub struct TrafficStats {
    /// By source, in the order the sources started.
    pub sources: Vec<SourceStats>,
    /// By pair, in the order they were first seen.
    pub pairs: Vec<PairStats>,
    interval: Option<SimDuration>,
    /// The end of the interval being filled.
    open_until: SimTime,
    /// Pairs with requests in the open interval.
    touched: Vec<u32>,
    rows: String,
}

/// `traffic.csv`'s header.
pub const TRAFFIC_HEADER: &str =
    "time_s,traffic,service,pod,node,requests,ok,refused,reset,timeout,http_4xx,http_5xx,latency_p50_ms,latency_p99_ms";

impl TrafficStats {
    /// Keeps per-interval rows (`traffic.csv`), intervals ending at every
    /// multiple of `every`.
    pub fn record_intervals(&mut self, every: SimDuration) {
        self.interval = Some(every);
    }

    /// A new source.
    pub fn add_source(&mut self, name: &str, service: String) -> u32 {
        self.sources.push(SourceStats {
            name: name.to_string(),
            service,
            total: Counts::default(),
            latency: Histogram::default(),
        });
        self.sources.len() as u32 - 1
    }

    /// A new pair.
    pub fn add_pair(&mut self, source: u32, pod: Option<Rc<str>>, node: Option<Rc<str>>) -> u32 {
        self.pairs.push(PairStats {
            source,
            pod,
            node,
            total: Counts::default(),
            interval: Counts::default(),
            interval_latencies: Vec::new(),
        });
        self.pairs.len() as u32 - 1
    }

    /// Counts one request of pair `pair`, known at `now`; `latency` of an
    /// ok request.
    pub fn record(&mut self, pair: u32, outcome: Outcome, latency: SimDuration, now: SimTime) {
        let p = &mut self.pairs[pair as usize];
        let us = latency.0 / 1000;
        p.total.add(outcome);
        let s = &mut self.sources[p.source as usize];
        s.total.add(outcome);
        if outcome == Outcome::Ok {
            s.latency.record(us);
        }
        let Some(every) = self.interval else { return };
        // The interval (end − every, end] holds `now`.
        let end = SimTime(now.0.div_ceil(every.0) * every.0);
        if end > self.open_until {
            self.flush();
            self.open_until = end;
        }
        let p = &mut self.pairs[pair as usize];
        if p.interval.requests == 0 {
            self.touched.push(pair);
        }
        p.interval.add(outcome);
        if outcome == Outcome::Ok {
            p.interval_latencies.push(us.min(u32::MAX as u64) as u32);
        }
    }

    /// Writes the open interval's rows.
    fn flush(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_by(|&a, &b| {
            let (x, y) = (&self.pairs[a as usize], &self.pairs[b as usize]);
            (x.source, &x.pod, &x.node).cmp(&(y.source, &y.pod, &y.node))
        });
        let time = crate::report::csv::seconds(self.open_until);
        for &i in &touched {
            let p = &mut self.pairs[i as usize];
            let s = &self.sources[p.source as usize];
            p.interval_latencies.sort_unstable();
            let q = |x| nearest_rank(&p.interval_latencies, x).map(|v| ms(v as u64)).unwrap_or_default();
            let c = &p.interval;
            let by: Vec<String> = c.by_outcome.iter().map(u64::to_string).collect();
            let _ = writeln!(
                self.rows,
                "{},{},{},{},{},{},{},{},{}",
                time,
                s.name,
                s.service,
                p.pod.as_deref().unwrap_or(""),
                p.node.as_deref().unwrap_or(""),
                c.requests,
                by.join(","),
                q(0.5),
                q(0.99)
            );
            p.interval = Counts::default();
            p.interval_latencies.clear();
        }
        touched.clear();
        self.touched = touched;
    }

    /// `traffic.csv`: the header and every interval's rows (the open
    /// interval's included).
    pub fn csv(&mut self) -> String {
        self.flush();
        format!("{}\n{}", TRAFFIC_HEADER, self.rows)
    }

    /// `run`'s summary line of source `i`.
    pub fn summary_line(&self, i: usize) -> String {
        let s = &self.sources[i];
        let c = &s.total;
        let q = |x| s.latency.quantile(x).map(|us| format!("{} ms", ms(us))).unwrap_or_else(|| "- ms".into());
        let by: Vec<String> = Outcome::ALL.iter().map(|o| format!("{} {}", o.as_str(), c.get(*o))).collect();
        format!("traffic {}: requests {}, {}, p50 {}, p99 {}", s.name, c.requests, by.join(", "), q(0.5), q(0.99))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_exact_below_2048_us_and_close_above() {
        let mut h = Histogram::default();
        for us in [5, 7, 7, 9] {
            h.record(us);
        }
        assert_eq!(h.quantile(0.5), Some(7));
        assert_eq!(h.quantile(0.99), Some(9));
        for v in [2048u64, 3000, 123_456, 9_999_999] {
            let lb = Histogram::lower_bound(Histogram::index(v));
            assert!(lb <= v && (v - lb) * 1000 <= v, "{} -> {}", v, lb);
        }
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn intervals_hold_the_requests_known_in_them() {
        let mut st = TrafficStats::default();
        st.record_intervals(SimDuration::from_secs(1));
        let s = st.add_source("web", "default/kubia".into());
        let a = st.add_pair(s, Some("kubia-a".into()), Some("node-1".into()));
        let none = st.add_pair(s, None, None);
        let ms1 = SimDuration::from_millis(1);
        st.record(a, Outcome::Ok, ms1, SimTime(500_000_000));
        st.record(a, Outcome::Ok, ms1 + ms1, SimTime(1_000_000_000));
        st.record(none, Outcome::Refused, SimDuration::ZERO, SimTime(1_001_000_000));
        st.record(a, Outcome::Http5xx, ms1, SimTime(2_500_000_000));
        let csv = st.csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], TRAFFIC_HEADER);
        assert_eq!(lines[1], "1,web,default/kubia,kubia-a,node-1,2,2,0,0,0,0,0,1.000,2.000");
        assert_eq!(lines[2], "2,web,default/kubia,,,1,0,1,0,0,0,0,,");
        assert_eq!(lines[3], "3,web,default/kubia,kubia-a,node-1,1,0,0,0,0,0,1,,");
        assert_eq!(lines.len(), 4);
        assert_eq!(
            st.summary_line(0),
            "traffic web: requests 4, ok 2, refused 1, reset 0, timeout 0, http_4xx 0, http_5xx 1, p50 1.000 ms, p99 2.000 ms"
        );
    }
}
