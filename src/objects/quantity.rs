//! Kubernetes quantities (`100m`, `2`, `1Gi`, `512M`, `1e3`, `0.5`).
//!
//! A quantity is kept exactly as thousandths of a unit (an `i128`), the
//! precision Kubernetes itself keeps for CPU (`MilliValue`). CPU is read as
//! millicores and memory as bytes, both rounded up as `resource.Quantity`
//! does (`1.5` bytes is 2 bytes; `0.1m` CPU is 1m).
//!
//! Kubernetes reads quantities as `int64` (`Quantity.Value`,
//! `Quantity.MilliValue`); a quantity whose whole value does not fit is
//! refused here rather than wrapped (`16Ei` is 2^64 bytes, which would wrap
//! to 0). CPU is read as `MilliValue`, so a CPU quantity must also fit in
//! `int64` millicores (`millicores_checked`).

#![warn(missing_docs)]

use std::fmt;

/// A `resource.Quantity`, exact to a thousandth of a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity {
    milli: i128,
}

impl Quantity {
    /// The quantity of `milli` thousandths of a unit (`100` is `100m`).
    pub fn from_milli(milli: i128) -> Self {
        Quantity { milli }
    }
    /// Whether the quantity is below zero (requests and capacities must
    /// not be).
    pub fn is_negative(&self) -> bool {
        self.milli < 0
    }
    /// Millicores, rounded up; saturates at `i64::MAX` (see
    /// `millicores_checked`).
    pub fn millicores(&self) -> u64 {
        self.milli.clamp(0, i64::MAX as i128) as u64
    }
    /// Millicores when they fit in `int64` (`MilliValue`), else `None`.
    pub fn millicores_checked(&self) -> Option<u64> {
        u64::try_from(self.milli.max(0)).ok().filter(|&m| m <= i64::MAX as u64)
    }
    /// Whole units (bytes, pods), rounded up. `parse_quantity` bounds
    /// them by `i64::MAX`.
    pub fn value(&self) -> u64 {
        ((self.milli.max(0) + 999) / 1000).min(i64::MAX as i128) as u64
    }
}

/// Parses a Kubernetes quantity: `<sign><digits>[.<digits>]<suffix>` where
/// the suffix is a binary SI (`Ki`…`Ei`), decimal SI (`n u m k M G T P E`) or
/// decimal exponent (`e3`, `E-2`).
pub fn parse_quantity(s: &str) -> Result<Quantity, String> {
    let bad = || format!("`{}` is not a Kubernetes quantity (e.g. 100m, 2, 1.5, 512Mi, 1G)", s);
    let t = s.trim();
    if t.is_empty() || t != s {
        return Err(bad());
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let num_end = body.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(body.len());
    let (num, suffix) = body.split_at(num_end);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return Err(bad());
    }
    let (int_part, frac_part) = num.split_once('.').unwrap_or((num, ""));
    if int_part.len() + frac_part.len() > 30 {
        return Err(bad());
    }
    // mantissa × 10^(exp10) × 2^(exp2)
    let digits: String = format!("{}{}", int_part, frac_part);
    let mantissa: i128 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| bad())? };
    let mut exp10: i32 = -(frac_part.len() as i32);
    let mut exp2: u32 = 0;
    match suffix {
        "" => {}
        "Ki" => exp2 = 10,
        "Mi" => exp2 = 20,
        "Gi" => exp2 = 30,
        "Ti" => exp2 = 40,
        "Pi" => exp2 = 50,
        "Ei" => exp2 = 60,
        "n" => exp10 -= 9,
        "u" => exp10 -= 6,
        "m" => exp10 -= 3,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        _ => {
            let e = suffix.strip_prefix(['e', 'E']).ok_or_else(bad)?;
            let n: i32 = e.parse().map_err(|_| bad())?;
            if !(-30..=30).contains(&n) {
                return Err(bad());
            }
            exp10 += n;
        }
    }
    // Work in thousandths, rounding up any remainder.
    exp10 += 3;
    let mut v = mantissa.checked_mul(1i128 << exp2).ok_or_else(bad)?;
    if exp10 >= 0 {
        v = v.checked_mul(10i128.checked_pow(exp10 as u32).ok_or_else(bad)?).ok_or_else(bad)?;
    } else {
        let d = 10i128.checked_pow((-exp10) as u32).ok_or_else(bad)?;
        v = (v + d - 1) / d;
    }
    // `Quantity.Value()` is an int64: a larger quantity would wrap.
    if (v + 999) / 1000 > i64::MAX as i128 {
        return Err(format!("`{}` is too large: a quantity must be at most 2^63-1 ({})", s, i64::MAX));
    }
    Ok(Quantity { milli: if neg { -v } else { v } })
}

/// Renders millicores the way kubectl prints CPU (`500m`, `2`).
pub fn format_cpu(millicores: u64) -> String {
    if millicores % 1000 == 0 {
        format!("{}", millicores / 1000)
    } else {
        format!("{}m", millicores)
    }
}

/// Renders bytes with the largest exact binary suffix (`4Gi`, `1536Mi`).
pub fn format_bytes(bytes: u64) -> String {
    for (suffix, shift) in [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
        if bytes != 0 && bytes % (1u64 << shift) == 0 {
            return format!("{}{}", bytes >> shift, suffix);
        }
    }
    format!("{}", bytes)
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.milli % 1000 == 0 {
            write!(f, "{}", self.milli / 1000)
        } else {
            write!(f, "{}m", self.milli)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        parse_quantity(s).unwrap()
    }

    #[test]
    fn cpu_forms() {
        assert_eq!(q("100m").millicores(), 100);
        assert_eq!(q("2").millicores(), 2000);
        assert_eq!(q("0.5").millicores(), 500);
        assert_eq!(q("1.5").millicores(), 1500);
        assert_eq!(q("0.1m").millicores(), 1, "sub-milli rounds up");
    }

    #[test]
    fn memory_forms() {
        assert_eq!(q("1Gi").value(), 1 << 30);
        assert_eq!(q("512M").value(), 512_000_000);
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q("1.5Ki").value(), 1536);
        assert_eq!(q("128974848").value(), 128_974_848);
        assert_eq!(q("129e6").value(), 129_000_000);
        assert_eq!(q("123Mi").value(), 123 * 1024 * 1024);
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "abc", "1.2.3", "1Zi", " 1", "1 ", ".", "e3", "1e99"] {
            assert!(parse_quantity(s).is_err(), "{s} should be rejected");
        }
        assert!(q("-1").is_negative());
    }

    #[test]
    fn beyond_int64_is_refused_not_wrapped() {
        for s in ["16Ei", "8Ei", "9223372036854775808", "10E", "1e19", "9.3E"] {
            let e = parse_quantity(s).unwrap_err();
            assert!(e.contains("too large"), "{s}: {e}");
        }
        assert_eq!(q("7Ei").value(), 7 << 60);
        assert_eq!(q("9223372036854775807").value(), i64::MAX as u64);
        assert_eq!(q("1Ei").millicores_checked(), None, "2^60 cores overflow int64 millicores");
        assert_eq!(q("1Ei").millicores(), i64::MAX as u64, "millicores saturate, never wrap");
        assert_eq!(q("9P").millicores_checked(), Some(9_000_000_000_000_000_000));
    }

    #[test]
    fn formatting() {
        assert_eq!(format_cpu(500), "500m");
        assert_eq!(format_cpu(2000), "2");
        assert_eq!(format_bytes(4 << 30), "4Gi");
        assert_eq!(format_bytes(1536 << 20), "1536Mi");
        assert_eq!(format_bytes(1000), "1000");
    }
}
