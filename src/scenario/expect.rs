//! Expectations: "at 10m, 5 pods with app=kubia are Running". Each counts
//! the objects matching a filter at a virtual time and compares the count.

#![warn(missing_docs)]

use crate::objects::node::Node;
use crate::objects::pod::{CondStatus, Pod, PodPhase};
use crate::objects::selector::Selector;
use crate::objects::store::Store;
use crate::report::kubectl::{node_status, pod_status};
use crate::sim::SimTime;
use std::fmt;

/// Which pods an expectation counts: every condition given must hold
/// (`None` = any).
#[derive(Clone, Debug, Default)]
pub struct PodFilter {
    /// `None` = every namespace.
    pub namespace: Option<String>,
    /// A label selector the pod's labels must match.
    pub selector: Option<Selector>,
    /// The pod's name.
    pub name: Option<String>,
    /// The node the pod is bound to (`spec.nodeName`).
    pub node: Option<String>,
    /// `status.phase`.
    pub phase: Option<PodPhase>,
    /// kubectl's STATUS column (`Running`, `Terminating`, `Pending`, …).
    pub status: Option<String>,
    /// Whether the pod's Ready condition is True.
    pub ready: Option<bool>,
    /// Whether the pod has a `deletionTimestamp`.
    pub terminating: Option<bool>,
    /// Total container restarts (kubectl's RESTARTS count).
    pub restarts: Option<u32>,
}

/// Which nodes an expectation counts: every condition given must hold
/// (`None` = any).
#[derive(Clone, Debug, Default)]
pub struct NodeFilter {
    /// The node's name.
    pub name: Option<String>,
    /// A label selector the node's labels must match.
    pub selector: Option<Selector>,
    /// kubectl's STATUS column (`Ready`, `NotReady`, `Ready,SchedulingDisabled`).
    pub status: Option<String>,
    /// The Ready condition (`True`, `False`, `Unknown`).
    pub ready: Option<CondStatus>,
    /// A taint the node must carry: `key` or `key:Effect`.
    pub taint: Option<String>,
}

/// What an expectation counts.
#[derive(Clone, Debug)]
pub enum Target {
    /// Pods (`pods:`).
    Pods(PodFilter),
    /// Nodes (`nodes:`).
    Nodes(NodeFilter),
}

/// How the count is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountCheck {
    /// `count: N`.
    Exactly(u64),
    /// `atLeast: N`.
    AtLeast(u64),
    /// `atMost: N`.
    AtMost(u64),
}

/// One `expect:` entry: at `at`, the number of objects matching `target`
/// must satisfy `count`.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// When it is checked (`at:`).
    pub at: SimTime,
    /// What is counted.
    pub target: Target,
    /// The comparison.
    pub count: CountCheck,
    /// Where it was written, for messages.
    pub line: usize,
}

/// The outcome of checking an expectation.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Whether the count satisfied the check.
    pub passed: bool,
    /// How many objects matched.
    pub found: u64,
    /// The names of the objects that matched, sorted.
    pub names: Vec<String>,
}

impl PodFilter {
    /// Whether the pod passes every condition of the filter.
    pub fn matches(&self, p: &Pod) -> bool {
        self.namespace.as_ref().is_none_or(|ns| *ns == *p.meta.namespace)
            && self.name.as_ref().is_none_or(|n| *n == *p.meta.name)
            && self.selector.as_ref().is_none_or(|s| s.matches(&p.meta.labels))
            && self.node.as_ref().is_none_or(|n| p.node_name() == Some(n.as_str()))
            && self.phase.is_none_or(|ph| p.status.phase == ph)
            && self.status.as_ref().is_none_or(|s| *s == pod_status(p))
            && self.ready.is_none_or(|r| p.is_ready() == r)
            && self.terminating.is_none_or(|t| p.meta.deletion_timestamp.is_some() == t)
            && self.restarts.is_none_or(|r| p.restart_count() == r)
    }
}

impl NodeFilter {
    /// Whether the node passes every condition of the filter.
    pub fn matches(&self, n: &Node) -> bool {
        self.name.as_ref().is_none_or(|x| *x == *n.meta.name)
            && self.selector.as_ref().is_none_or(|s| s.matches(&n.meta.labels))
            && self.status.as_ref().is_none_or(|s| *s == node_status(n))
            && self.ready.is_none_or(|r| n.status.ready.status == r)
            && self.taint.as_ref().is_none_or(|k| {
                let (key, effect) = k.split_once(':').unwrap_or((k, ""));
                n.spec.taints.iter().any(|t| t.key == key && (effect.is_empty() || t.effect.as_str() == effect))
            })
    }
}

impl Expectation {
    /// Evaluates against the store as it is now.
    pub fn check(&self, store: &Store) -> Verdict {
        let mut names: Vec<String> = match &self.target {
            Target::Pods(f) => store.pods.values().filter(|p| f.matches(p)).map(|p| p.meta.name.to_string()).collect(),
            Target::Nodes(f) => {
                store.nodes.values().filter(|n| f.matches(n)).map(|n| n.meta.name.to_string()).collect()
            }
        };
        names.sort();
        let found = names.len() as u64;
        let passed = match self.count {
            CountCheck::Exactly(n) => found == n,
            CountCheck::AtLeast(n) => found >= n,
            CountCheck::AtMost(n) => found <= n,
        };
        Verdict { passed, found, names }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, what) = match self.count {
            CountCheck::Exactly(n) => (n, ""),
            CountCheck::AtLeast(n) => (n, "at least "),
            CountCheck::AtMost(n) => (n, "at most "),
        };
        let mut parts = Vec::new();
        let noun = match &self.target {
            Target::Pods(p) => {
                if let Some(s) = &p.selector {
                    parts.push(format!("selector {}", s));
                }
                if let Some(x) = &p.name {
                    parts.push(format!("name {}", x));
                }
                if let Some(x) = &p.node {
                    parts.push(format!("node {}", x));
                }
                if let Some(x) = p.phase {
                    parts.push(format!("phase {}", x.as_str()));
                }
                if let Some(x) = &p.status {
                    parts.push(format!("status {}", x));
                }
                if let Some(x) = p.ready {
                    parts.push(format!("ready {}", x));
                }
                if let Some(x) = p.terminating {
                    parts.push(format!("terminating {}", x));
                }
                if let Some(x) = p.restarts {
                    parts.push(format!("restarts {}", x));
                }
                if let Some(ns) = &p.namespace {
                    if ns != "default" {
                        parts.push(format!("namespace {}", ns));
                    }
                }
                "pod(s)"
            }
            Target::Nodes(nf) => {
                if let Some(x) = &nf.name {
                    parts.push(format!("name {}", x));
                }
                if let Some(s) = &nf.selector {
                    parts.push(format!("selector {}", s));
                }
                if let Some(x) = &nf.status {
                    parts.push(format!("status {}", x));
                }
                if let Some(x) = nf.ready {
                    parts.push(format!("Ready={}", x.as_str()))
                }
                if let Some(x) = &nf.taint {
                    parts.push(format!("taint {}", x));
                }
                "node(s)"
            }
        };
        write!(f, "at {}: {}{} {}", self.at, what, n, noun)?;
        if !parts.is_empty() {
            write!(f, " with {}", parts.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::pod::{Taint, TaintEffect};

    #[test]
    fn taint_filter_distinguishes_effects() {
        let mut n = crate::testutil::node("n", 1000, 1 << 30);
        n.spec.taints.push(Taint {
            key: "k".into(),
            value: String::new(),
            effect: TaintEffect::NoSchedule,
            time_added: None,
        });
        let f = |t: &str| NodeFilter { taint: Some(t.into()), ..Default::default() };
        assert!(f("k").matches(&n));
        assert!(f("k:NoSchedule").matches(&n));
        assert!(!f("k:NoExecute").matches(&n));
        assert!(!f("other").matches(&n));
    }
}
