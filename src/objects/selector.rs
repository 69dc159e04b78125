//! Label selectors: equality-based (RC, Service) and set-based (RS and the
//! apps/v1 kinds), compiled once into a list of requirements.
//!
//! Semantics (docs/kubernetes-behaviour.md §1.5): all requirements must hold; `NotIn` holds
//! when the key is absent; an empty selector matches everything, a nil one
//! (`Selector::nothing`) matches nothing.

#![warn(missing_docs)]

use crate::sim::trace::{Digest, Digester};
use std::collections::BTreeMap;
use std::fmt;

/// A label map (`metadata.labels`), in key order.
pub type Labels = BTreeMap<String, String>;

/// A requirement's operator: `selection.Operator` (apimachinery
/// `pkg/selection`), as `metav1.LabelSelectorOperator` and
/// `v1.NodeSelectorOperator` spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The label's value is one of the values (`=`/`==` is `In` with one
    /// value).
    In,
    /// The label is absent or its value is none of the values (`!=` is
    /// `NotIn` with one value).
    NotIn,
    /// The label is present, whatever its value.
    Exists,
    /// The label is absent (`!key`).
    DoesNotExist,
    /// Node affinity only: integer comparison of the label value.
    Gt,
    /// Node affinity only: the label's value, as an integer, is less than
    /// the single value.
    Lt,
}

impl Op {
    /// The operator as the API spells it (`In`, `NotIn`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::In => "In",
            Op::NotIn => "NotIn",
            Op::Exists => "Exists",
            Op::DoesNotExist => "DoesNotExist",
            Op::Gt => "Gt",
            Op::Lt => "Lt",
        }
    }

    /// The operator a manifest names (`In`, `NotIn`, `Exists`,
    /// `DoesNotExist`, `Gt`, `Lt`), or `None`.
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            _ => return None,
        })
    }
}

/// One requirement of a selector: `labels.Requirement` (a
/// `matchExpressions` entry, a `matchLabels` pair, or a term of `-l`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The label key.
    pub key: String,
    /// The operator.
    pub op: Op,
    /// The values (empty for `Exists`/`DoesNotExist`; one for `Gt`/`Lt`).
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether `labels` satisfy the requirement (`Requirement.Matches`).
    pub fn matches(&self, labels: &Labels) -> bool {
        let v = labels.get(&self.key);
        match self.op {
            Op::In => v.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Op::NotIn => v.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
            Op::Gt | Op::Lt => {
                let (Some(v), Some(bound)) = (v, self.values.first()) else {
                    return false;
                };
                let (Ok(v), Ok(bound)) = (v.parse::<i64>(), bound.parse::<i64>()) else {
                    return false;
                };
                if self.op == Op::Gt {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }
}

/// A compiled label selector: `labels.Selector`, as
/// `metav1.LabelSelectorAsSelector` builds it from a `metav1.LabelSelector`
/// (or `labels.SelectorFromSet` from an RC's map). All requirements must
/// hold.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Selector {
    /// The requirements, all of which must hold.
    pub requirements: Vec<Requirement>,
    /// A nil selector: matches nothing.
    pub nothing: bool,
}

impl Selector {
    /// The empty selector, which matches every label set
    /// (`labels.Everything`).
    pub fn everything() -> Self {
        Selector::default()
    }

    /// The nil selector, which matches nothing (`labels.Nothing`).
    pub fn nothing() -> Self {
        Selector { requirements: Vec::new(), nothing: true }
    }

    /// An equality-based selector from a plain map.
    pub fn from_map(map: &Labels) -> Self {
        Selector {
            requirements: map
                .iter()
                .map(|(k, v)| Requirement { key: k.clone(), op: Op::In, values: vec![v.clone()] })
                .collect(),
            nothing: false,
        }
    }

    /// Whether this is the empty selector, matching everything
    /// (`Selector.Empty`).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && !self.nothing
    }

    /// Whether `labels` satisfy every requirement (`Selector.Matches`).
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Parses kubectl's `-l` syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            // Split at the next comma that is not inside parentheses.
            let mut depth = 0;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let term = rest[..end].trim();
            rest = rest.get(end + 1..).unwrap_or("").trim();
            reqs.push(parse_term(term).ok_or_else(|| format!("invalid selector term `{}` in `{}`", term, s))?);
        }
        Ok(Selector { requirements: reqs, nothing: false })
    }
}

impl Digest for Requirement {
    fn digest(&self, d: &mut Digester) {
        let Requirement { key, op, values } = self;
        key.digest(d);
        d.tag(*op as u64);
        values.digest(d);
    }
}

impl Digest for Selector {
    fn digest(&self, d: &mut Digester) {
        let Selector { requirements, nothing } = self;
        requirements.digest(d);
        nothing.digest(d);
    }
}

fn parse_term(t: &str) -> Option<Requirement> {
    let valid_key = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if let Some(k) = t.strip_prefix('!') {
        let k = k.trim();
        return valid_key(k).then(|| Requirement { key: k.into(), op: Op::DoesNotExist, values: vec![] });
    }
    for (sep, op) in [(" notin ", Op::NotIn), (" in ", Op::In)] {
        if let Some((k, set)) = t.split_once(sep) {
            let set = set.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values: Vec<String> = set.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
            let k = k.trim();
            return valid_key(k).then(|| Requirement { key: k.into(), op, values });
        }
    }
    for (sep, op) in [("!=", Op::NotIn), ("==", Op::In), ("=", Op::In)] {
        if let Some((k, v)) = t.split_once(sep) {
            let (k, v) = (k.trim(), v.trim());
            return valid_key(k).then(|| Requirement { key: k.into(), op, values: vec![v.into()] });
        }
    }
    valid_key(t).then(|| Requirement { key: t.into(), op: Op::Exists, values: vec![] })
}

impl fmt::Display for Selector {
    /// Renders as kubectl does in `-o wide` (`app=kubia`, `tier in (a,b)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nothing {
            return f.write_str("<none>");
        }
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|r| match r.op {
                Op::In if r.values.len() == 1 => format!("{}={}", r.key, r.values[0]),
                Op::In => format!("{} in ({})", r.key, r.values.join(",")),
                Op::NotIn if r.values.len() == 1 => format!("{}!={}", r.key, r.values[0]),
                Op::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
                Op::Exists => r.key.clone(),
                Op::DoesNotExist => format!("!{}", r.key),
                Op::Gt => format!("{}>{}", r.key, r.values.join(",")),
                Op::Lt => format!("{}<{}", r.key, r.values.join(",")),
            })
            .collect();
        if parts.is_empty() {
            f.write_str("<none>")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn set_based_semantics() {
        let l = labels(&[("app", "kubia"), ("env", "prod")]);
        assert!(Selector::parse("app=kubia").unwrap().matches(&l));
        assert!(Selector::parse("app in (kubia, other)").unwrap().matches(&l));
        assert!(!Selector::parse("app notin (kubia)").unwrap().matches(&l));
        assert!(Selector::parse("tier notin (x)").unwrap().matches(&l), "NotIn holds when key absent");
        assert!(Selector::parse("env,!tier").unwrap().matches(&l));
        assert!(!Selector::parse("app!=kubia").unwrap().matches(&l));
        assert!(Selector::everything().matches(&l));
        assert!(!Selector::nothing().matches(&l));
    }

    #[test]
    fn gt_lt() {
        let r = Requirement { key: "n".into(), op: Op::Gt, values: vec!["3".into()] };
        assert!(r.matches(&labels(&[("n", "4")])));
        assert!(!r.matches(&labels(&[("n", "3")])));
        assert!(!r.matches(&labels(&[("n", "x")])));
    }

    #[test]
    fn parse_errors() {
        assert!(Selector::parse("a in x").is_err());
        assert!(Selector::parse("=b").is_err());
    }

    #[test]
    fn display_round_trip() {
        let s = Selector::parse("app=kubia,tier in (a,b),!x").unwrap();
        assert_eq!(Selector::parse(&s.to_string()).unwrap(), s);
    }
}
