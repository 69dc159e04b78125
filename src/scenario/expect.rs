//! Expectations: "at 10m, 5 pods with app=kubia are Running". Each counts
//! the objects matching a filter at a virtual time and compares the count.

use crate::objects::node::Node;
use crate::objects::pod::{CondStatus, Pod, PodPhase};
use crate::objects::selector::Selector;
use crate::objects::store::Store;
use crate::report::kubectl::{node_status, pod_status};
use crate::sim::SimTime;
use std::fmt;

#[derive(Clone, Debug, Default)]
pub struct PodFilter {
    /// `None` = every namespace.
    pub namespace: Option<String>,
    pub selector: Option<Selector>,
    pub name: Option<String>,
    pub node: Option<String>,
    pub phase: Option<PodPhase>,
    /// kubectl's STATUS column (`Running`, `Terminating`, `Pending`, …).
    pub status: Option<String>,
    pub ready: Option<bool>,
    pub terminating: Option<bool>,
    /// Total container restarts (kubectl's RESTARTS count).
    pub restarts: Option<u32>,
}

#[derive(Clone, Debug, Default)]
pub struct NodeFilter {
    pub name: Option<String>,
    pub selector: Option<Selector>,
    /// kubectl's STATUS column (`Ready`, `NotReady`, `Ready,SchedulingDisabled`).
    pub status: Option<String>,
    /// The Ready condition (`True`, `False`, `Unknown`).
    pub ready: Option<CondStatus>,
    /// A taint the node must carry: `key` or `key:Effect`.
    pub taint: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Target {
    Pods(PodFilter),
    Nodes(NodeFilter),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountCheck {
    Exactly(u64),
    AtLeast(u64),
    AtMost(u64),
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub at: SimTime,
    pub target: Target,
    pub count: CountCheck,
    /// Where it was written, for messages.
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct Verdict {
    pub passed: bool,
    pub found: u64,
    pub names: Vec<String>,
}

impl PodFilter {
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
