//! Link latencies: a fixed delay, or a distribution to draw each hop's
//! delay from (`cluster.config.network`).
//!
//! - `fixed: 5ms` — every hop takes exactly that (the default);
//! - `uniform: [2ms, 8ms]` — uniform between the bounds (inclusive);
//! - `lognormal: {median: 5ms, sigma: 0.5}` — the delay's logarithm is
//!   normal around ln(median) with standard deviation `sigma`, the usual
//!   shape of RPC latencies (a long right tail); capped at 1000 × median so
//!   one draw cannot stall a run.
//!
//! Draws come from the caller's seeded stream; the normal deviate is made
//! with Box–Muller from two uniform draws. (`ln`, `exp` and `cos` come from
//! the platform's math library: a lognormal run is the same on every
//! machine with the same libm; uniform and fixed latencies are integer
//! arithmetic, the same everywhere.)

#![warn(missing_docs)]

use super::SimDuration;
use rand::Rng;
use std::fmt;

/// A hop's delay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Latency {
    /// Always this long.
    Fixed(SimDuration),
    /// Uniform in `[lo, hi]`.
    Uniform(SimDuration, SimDuration),
    /// Log-normal with this median and `sigma` (of the natural log).
    LogNormal {
        /// The median delay.
        median: SimDuration,
        /// Standard deviation of ln(delay).
        sigma: f64,
    },
}

impl Latency {
    /// The delay every hop takes, when it is fixed.
    pub fn fixed(&self) -> Option<SimDuration> {
        match self {
            Latency::Fixed(d) => Some(*d),
            Latency::Uniform(lo, hi) if lo == hi => Some(*lo),
            Latency::LogNormal { median, sigma } if *sigma == 0.0 => Some(*median),
            _ => None,
        }
    }

    /// The median delay (what models that need one number use).
    pub fn median(&self) -> SimDuration {
        match self {
            Latency::Fixed(d) => *d,
            Latency::Uniform(lo, hi) => SimDuration(lo.0 + (hi.0 - lo.0) / 2),
            Latency::LogNormal { median, .. } => *median,
        }
    }

    /// One hop's delay.
    pub fn sample(&self, rng: &mut impl Rng) -> SimDuration {
        match *self {
            Latency::Fixed(d) => d,
            Latency::Uniform(lo, hi) => SimDuration(rng.gen_range(lo.0..=hi.0)),
            Latency::LogNormal { median, sigma } => {
                // Box–Muller: u1 in (0, 1], u2 in [0, 1).
                let u1: f64 = 1.0 - rng.gen::<f64>();
                let u2: f64 = rng.gen::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let ns = median.0 as f64 * (sigma * z).exp();
                let cap = median.0 as f64 * 1000.0;
                SimDuration(ns.clamp(0.0, cap) as u64)
            }
        }
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Latency::Fixed(d) => write!(f, "{}", d),
            Latency::Uniform(lo, hi) => write!(f, "uniform [{}, {}]", lo, hi),
            Latency::LogNormal { median, sigma } => write!(f, "lognormal (median {}, sigma {})", median, sigma),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn draws_stay_in_their_distribution() {
        let mut rng = stream(1, "t");
        let u = Latency::Uniform(SimDuration::from_millis(2), SimDuration::from_millis(8));
        let draws: Vec<u64> = (0..10_000).map(|_| u.sample(&mut rng).0).collect();
        assert!(draws.iter().all(|&d| (2_000_000..=8_000_000).contains(&d)));
        let mean = draws.iter().sum::<u64>() as f64 / draws.len() as f64;
        assert!((mean - 5e6).abs() < 1e5, "mean {}", mean);

        let l = Latency::LogNormal { median: SimDuration::from_millis(5), sigma: 0.5 };
        let mut d: Vec<u64> = (0..10_001).map(|_| l.sample(&mut rng).0).collect();
        d.sort();
        let median = d[5_000] as f64;
        assert!((median - 5e6).abs() < 2.5e5, "median {}", median);
        // exp(1.2816 × 0.5) ≈ 1.898: the 90th percentile.
        let p90 = d[9_000] as f64 / 5e6;
        assert!((p90 - 1.898).abs() < 0.1, "p90 ratio {}", p90);
        assert_eq!(Latency::Fixed(SimDuration::from_millis(5)).sample(&mut rng), SimDuration::from_millis(5));
    }
}
