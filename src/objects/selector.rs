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
    /// How many of the leading requirements are `matchLabels` pairs (or an
    /// RC's map): the API object's shape, kept so that `-o yaml` returns
    /// what was applied and the selector prints `key=value` for them and
    /// `key in (value)` for a `matchExpressions` `In` (the `selection.Equals`
    /// and `selection.In` operators of `metav1.LabelSelectorAsSelector`).
    pub match_labels: usize,
}

impl Selector {
    /// The empty selector, which matches every label set
    /// (`labels.Everything`).
    pub fn everything() -> Self {
        Selector::default()
    }

    /// The nil selector, which matches nothing (`labels.Nothing`).
    pub fn nothing() -> Self {
        Selector { requirements: Vec::new(), nothing: true, match_labels: 0 }
    }

    /// An equality-based selector from a plain map.
    pub fn from_map(map: &Labels) -> Self {
        Selector {
            requirements: map
                .iter()
                .map(|(k, v)| Requirement { key: k.clone(), op: Op::In, values: vec![v.clone()] })
                .collect(),
            nothing: false,
            match_labels: map.len(),
        }
    }

    /// A `metav1.LabelSelector`: its `matchLabels` pairs (in key order)
    /// then its `matchExpressions` (in the order given).
    pub fn from_label_selector(match_labels: &Labels, match_expressions: Vec<Requirement>) -> Self {
        let mut s = Selector::from_map(match_labels);
        s.requirements.extend(match_expressions);
        s
    }

    /// The `matchLabels` pairs and the `matchExpressions`, as applied.
    pub fn parts(&self) -> (&[Requirement], &[Requirement]) {
        self.requirements.split_at(self.match_labels.min(self.requirements.len()))
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
            let (req, equals) =
                parse_term(term).ok_or_else(|| format!("invalid selector term `{}` in `{}`", term, s))?;
            reqs.push((!equals, req));
        }
        // `key=value` terms first (a stable sort; the order of requirements
        // does not change what matches), so that they print as `key=value`.
        reqs.sort_by_key(|(set_based, _)| *set_based);
        let match_labels = reqs.iter().filter(|(set_based, _)| !set_based).count();
        Ok(Selector { requirements: reqs.into_iter().map(|(_, r)| r).collect(), nothing: false, match_labels })
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
        let Selector { requirements, nothing, match_labels } = self;
        requirements.digest(d);
        nothing.digest(d);
        (*match_labels as u64).digest(d);
    }
}

/// One term of `-l`, and whether it is a `key=value` (or `key==value`) term.
fn parse_term(t: &str) -> Option<(Requirement, bool)> {
    let valid_key = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if let Some(k) = t.strip_prefix('!') {
        let k = k.trim();
        return valid_key(k).then(|| (Requirement { key: k.into(), op: Op::DoesNotExist, values: vec![] }, false));
    }
    for (sep, op) in [(" notin ", Op::NotIn), (" in ", Op::In)] {
        if let Some((k, set)) = t.split_once(sep) {
            let set = set.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values: Vec<String> = set.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
            let k = k.trim();
            return valid_key(k).then(|| (Requirement { key: k.into(), op, values }, false));
        }
    }
    for (sep, op) in [("!=", Op::NotIn), ("==", Op::In), ("=", Op::In)] {
        if let Some((k, v)) = t.split_once(sep) {
            let (k, v) = (k.trim(), v.trim());
            let req = Requirement { key: k.into(), op, values: vec![v.into()] };
            return valid_key(k).then_some((req, op == Op::In));
        }
    }
    valid_key(t).then(|| (Requirement { key: t.into(), op: Op::Exists, values: vec![] }, false))
}

impl fmt::Display for Selector {
    /// `labels.Selector.String()` of the selector `metav1.FormatLabelSelector`
    /// builds (what `kubectl get -o wide` prints in SELECTOR and `describe`
    /// after `Selector:`): requirements sorted by key (stably, as
    /// `internalSelector.Add` sorts them), a `matchLabels` pair as
    /// `key=value`, `In`/`NotIn` as `key in (a,b)`/`key notin (a,b)` with
    /// the values sorted, `Exists` as `key`, `DoesNotExist` as `!key`; an
    /// empty selector is `<none>` (`FormatLabelSelector`). A nil selector
    /// prints `<none>` too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nothing || self.requirements.is_empty() {
            return f.write_str("<none>");
        }
        let mut reqs: Vec<(usize, &Requirement)> = self.requirements.iter().enumerate().collect();
        reqs.sort_by(|a, b| a.1.key.cmp(&b.1.key)); // stable
        let parts: Vec<String> = reqs
            .into_iter()
            .map(|(i, r)| {
                let mut values: Vec<&str> = r.values.iter().map(String::as_str).collect();
                values.sort_unstable();
                let values = values.join(",");
                match r.op {
                    Op::In if i < self.match_labels => format!("{}={}", r.key, values),
                    Op::In => format!("{} in ({})", r.key, values),
                    Op::NotIn => format!("{} notin ({})", r.key, values),
                    Op::Exists => r.key.clone(),
                    Op::DoesNotExist => format!("!{}", r.key),
                    Op::Gt => format!("{}>{}", r.key, values),
                    Op::Lt => format!("{}<{}", r.key, values),
                }
            })
            .collect();
        f.write_str(&parts.join(","))
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

    /// `TestLabelSelectorAsSelector`/`FormatLabelSelector` cases of
    /// apimachinery (`pkg/apis/meta/v1/helpers_test.go`) and
    /// `TestRequirementConstructor`'s String forms (`pkg/labels`).
    #[test]
    fn formats_as_format_label_selector() {
        let l = |pairs: &[(&str, &str)]| labels(pairs);
        let req = |k: &str, op, vs: &[&str]| Requirement {
            key: k.into(),
            op,
            values: vs.iter().map(|v| v.to_string()).collect(),
        };
        let cases: Vec<(Selector, &str)> = vec![
            (Selector::from_map(&l(&[("app", "kubia")])), "app=kubia"),
            (Selector::from_map(&l(&[("foo", "bar"), ("baz", "blah")])), "baz=blah,foo=bar"),
            (
                Selector::from_label_selector(
                    &l(&[("foo", "bar")]),
                    vec![req("baz", Op::In, &["qux", "norf"]), req("env", Op::NotIn, &["prod"])],
                ),
                "baz in (norf,qux),env notin (prod),foo=bar",
            ),
            (Selector::from_label_selector(&Labels::new(), vec![req("app", Op::In, &["kubia"])]), "app in (kubia)"),
            (
                Selector::from_label_selector(
                    &Labels::new(),
                    vec![req("z", Op::Exists, &[]), req("a", Op::DoesNotExist, &[])],
                ),
                "!a,z",
            ),
            (Selector::everything(), "<none>"),
            (Selector::nothing(), "<none>"),
        ];
        for (s, want) in cases {
            assert_eq!(s.to_string(), want);
        }
    }

    #[test]
    fn parts_split_match_labels_from_expressions() {
        let s = Selector::from_label_selector(
            &labels(&[("app", "kubia")]),
            vec![Requirement { key: "app".into(), op: Op::In, values: vec!["kubia".into()] }],
        );
        let (ml, me) = s.parts();
        assert_eq!((ml.len(), me.len()), (1, 1));
        assert_eq!(s.to_string(), "app=kubia,app in (kubia)");
    }

    #[test]
    fn display_round_trip() {
        let s = Selector::parse("tier in (b,a),app=kubia,!x").unwrap();
        let back = Selector::parse(&s.to_string()).unwrap();
        assert_eq!(s.to_string(), "app=kubia,tier in (a,b),!x");
        assert_eq!(back.to_string(), s.to_string());
        for l in [labels(&[("app", "kubia"), ("tier", "a")]), labels(&[("app", "kubia"), ("x", "1")]), labels(&[])] {
            assert_eq!(back.matches(&l), s.matches(&l));
        }
    }
}
