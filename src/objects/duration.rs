//! Go/Kubernetes durations (`500ms`, `30s`, `5m`, `1h30m`, `1.5h`).
//!
//! A duration is at most what the virtual clock holds (`u64` nanoseconds,
//! about 584 years; Go's `time.ParseDuration` stops at `int64`, 292
//! years): longer is an error, never a wrap.

#![warn(missing_docs)]

use crate::sim::SimDuration;

/// Parses a Go duration string. Bare numbers are rejected (except `0`): a
/// scenario that says `at: 120` most likely meant seconds but might have meant
/// anything, so the error asks for a unit.
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let bad = |why: &str| format!("`{}` is not a duration ({}; e.g. 500ms, 30s, 5m, 1h30m)", s, why);
    if s == "0" {
        return Ok(SimDuration::ZERO);
    }
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if s.starts_with('-') {
        return Err(bad("negative"));
    }
    let mut rest = s.strip_prefix('+').unwrap_or(s);
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_end == 0 {
            return Err(bad("expected a number"));
        }
        let (num, after) = rest.split_at(num_end);
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(bad("missing unit")),
            _ => return Err(bad("unknown unit")),
        };
        let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
        if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
            return Err(bad("malformed number"));
        }
        let int: u128 = if int_part.is_empty() { 0 } else { int_part.parse().map_err(|_| bad("too large"))? };
        total = total
            .checked_add(int.checked_mul(unit_ns).ok_or_else(|| bad("too large"))?)
            .ok_or_else(|| bad("too large"))?;
        if !frac_part.is_empty() {
            let digits = frac_part.len().min(18) as u32;
            let frac: u128 = frac_part[..digits as usize].parse().map_err(|_| bad("malformed number"))?;
            total = total.checked_add(frac * unit_ns / 10u128.pow(digits)).ok_or_else(|| bad("too large"))?;
        }
        if total > u64::MAX as u128 {
            return Err(bad("too large"));
        }
        rest = next;
    }
    u64::try_from(total).map(SimDuration).map_err(|_| bad("too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms() {
        assert_eq!(parse_duration("500ms").unwrap(), SimDuration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), SimDuration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), SimDuration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), SimDuration::from_secs(5400));
        assert_eq!(parse_duration("1.5h").unwrap(), SimDuration::from_secs(5400));
        assert_eq!(parse_duration("2m0.010s").unwrap(), SimDuration(120_010_000_000));
        assert_eq!(parse_duration("0").unwrap(), SimDuration::ZERO);
        assert_eq!(parse_duration("18446744073709551615ns").unwrap(), SimDuration(u64::MAX));
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "120",
            "5x",
            "-1s",
            "s",
            "1..5s",
            "99999999999h",
            "18446744073709551616ns",
            "5124096h",
            "340282366920938463463374607431768211455h1h",
        ] {
            assert!(parse_duration(s).is_err(), "{s}");
        }
    }
}
