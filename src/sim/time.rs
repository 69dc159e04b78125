//! Virtual time: integer nanoseconds, never floats.
//!
//! `SimTime` is an instant since the start of the run, `SimDuration` a span.
//! Integer time keeps ties exact: two events at "5 s"
//! are at exactly the same instant and are ordered by sequence number only.

#![warn(missing_docs)]

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of virtual time, in nanoseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of virtual time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

/// Nanoseconds in a millisecond.
pub const NANOS_PER_MILLI: u64 = 1_000_000;
/// Nanoseconds in a second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime(0);
    /// The end of time, later than any event (periodic loops never stop,
    /// so a cluster's queue is never empty: run to a finite time).
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// `secs` seconds after the start of the run.
    pub const fn from_secs(secs: u64) -> SimTime {
        SimTime(secs * 1_000_000_000)
    }

    /// Whole seconds since the start of the run (rounded down).
    pub fn as_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    /// Seconds as a float, for reports only (never for simulation logic).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// `self − d`, stopping at zero.
    pub fn saturating_sub_dur(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }

    /// The span from `other` to `self`, zero if `other` is later.
    pub fn saturating_sub(self, other: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }

    /// The first instant at or after `self` that lies on the grid
    /// `k * period` (k ≥ 0). Periodic loops anchored at t = 0 (the
    /// node-monitor period, the scheduler's flush loops) tick on such grids.
    pub fn ceil_to(self, period: SimDuration) -> SimTime {
        if period.0 == 0 {
            return self;
        }
        SimTime(self.0.div_ceil(period.0) * period.0)
    }

    /// The first grid instant strictly after `self`.
    pub fn next_after(self, period: SimDuration) -> SimTime {
        SimTime((self.0 / period.0 + 1) * period.0)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// `s` seconds, saturating at `u64::MAX` ns (about 584 years): user
    /// seconds are int64 in Kubernetes (`terminationGracePeriodSeconds:
    /// 20000000000` is legal), and a time computed from them must not wrap
    /// to the past. Adding a saturated span to an instant saturates too
    /// (`SimTime + SimDuration`), so such a deadline lies beyond any run.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(NANOS_PER_SEC))
    }
    /// `ms` milliseconds, saturating like `from_secs`.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(NANOS_PER_MILLI))
    }
    /// `us` microseconds, saturating like `from_secs`.
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us.saturating_mul(1000))
    }
    /// Whole seconds (rounded down).
    pub fn as_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }
    /// Whole milliseconds (rounded down).
    pub fn as_millis(self) -> u64 {
        self.0 / NANOS_PER_MILLI
    }
    /// Seconds as a float, for reports only (never for simulation logic).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// `k` times the span, saturating at `u64::MAX` ns.
    pub fn saturating_mul(self, k: u64) -> Self {
        SimDuration(self.0.saturating_mul(k))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, other: SimTime) -> SimDuration {
        SimDuration(self.0 - other.0)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

/// Go-style rendering (`1m30s`, `250ms`, `0s`), the form durations are
/// written in scenarios, so a printed time can be pasted back as `at:`.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        if ns < NANOS_PER_SEC {
            return if ns % NANOS_PER_MILLI == 0 {
                write!(f, "{}ms", ns / NANOS_PER_MILLI)
            } else {
                write!(f, "{}ns", ns)
            };
        }
        let total_s = ns / NANOS_PER_SEC;
        let frac_ms = (ns % NANOS_PER_SEC) / NANOS_PER_MILLI;
        let (h, m, s) = (total_s / 3600, (total_s / 60) % 60, total_s % 60);
        if h > 0 {
            write!(f, "{}h", h)?;
        }
        if h > 0 || m > 0 {
            write!(f, "{}m", m)?;
        }
        if frac_ms > 0 {
            write!(f, "{}.{:03}s", s, frac_ms)
        } else {
            write!(f, "{}s", s)
        }
    }
}

/// Instants print as the time since start, e.g. `2m0.010s`.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SimDuration(self.0).fmt(f)
    }
}

/// The UTC calendar date of virtual time `t` (which starts at the Unix
/// epoch): (year, month 1–12, day 1–31, day of the week 0 = Sunday), by
/// Howard Hinnant's `civil_from_days`.
pub fn civil_date(t: SimTime) -> (i64, u32, u32, u32) {
    let days = (t.0 / 1_000_000_000 / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 4).rem_euclid(7) as u32;
    (year, month, day, weekday)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_the_epoch() {
        let day = |d: u64| SimTime(d * 86_400 * 1_000_000_000);
        assert_eq!(civil_date(day(0)), (1970, 1, 1, 4), "a Thursday");
        assert_eq!(civil_date(day(59)), (1970, 3, 1, 0), "after February");
        assert_eq!(civil_date(day(11_016)), (2000, 2, 29, 2), "a leap day of a 400-year century");
        assert_eq!(civil_date(day(20_000)), (2024, 10, 4, 5));
    }

    #[test]
    fn display_is_go_like() {
        assert_eq!(SimDuration::from_secs(0).to_string(), "0s");
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(90).to_string(), "1m30s");
        assert_eq!(SimDuration::from_secs(3600).to_string(), "1h0m0s");
        assert_eq!(SimDuration(120_010_000_000).to_string(), "2m0.010s");
    }

    #[test]
    fn seconds_saturate() {
        // terminationGracePeriodSeconds: 20000000000 (legal upstream) would
        // wrap a u64 of nanoseconds; the deadline must land at the end of
        // time instead, never in the past.
        let grace = SimDuration::from_secs(20_000_000_000);
        assert_eq!(grace, SimDuration(u64::MAX));
        assert_eq!(SimTime(5) + grace, SimTime::MAX);
        assert_eq!(SimDuration::from_millis(u64::MAX), SimDuration(u64::MAX));
        assert_eq!(SimDuration::from_secs(18_446_744_073), SimDuration(18_446_744_073_000_000_000));
        assert_eq!(SimDuration::from_secs(18_446_744_074), SimDuration(u64::MAX));
    }

    #[test]
    fn grid_rounding() {
        let p = SimDuration::from_secs(5);
        assert_eq!(SimTime(0).ceil_to(p), SimTime(0));
        assert_eq!(SimTime(1).ceil_to(p), SimTime(5 * NANOS_PER_SEC));
        assert_eq!(SimTime(5 * NANOS_PER_SEC).next_after(p), SimTime(10 * NANOS_PER_SEC));
    }
}
