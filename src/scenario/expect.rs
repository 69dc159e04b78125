//! Expectations: "at 10m, 5 pods with app=kubia are Running". Each counts
//! the objects matching a filter at a virtual time and compares the count.

#![warn(missing_docs)]

use crate::kinds::deployment::{ConditionType, Deployment};
use crate::objects::node::Node;
use crate::objects::pod::{CondStatus, Pod, PodPhase};
use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet};
use crate::objects::selector::Selector;
use crate::objects::store::Store;
use crate::report::kubectl::{node_status, pod_status};
use crate::sim::SimTime;
use crate::traffic::stats::{Outcome, TrafficStats};
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
    /// An image one of its containers runs.
    pub image: Option<String>,
}

/// Which workloads (`deployments:` or `replicasets:`) an expectation
/// counts: every condition given must hold. The counts are the object's
/// (a Deployment's `status`; a ReplicaSet's `spec.replicas` as `desired`
/// and `status`).
#[derive(Clone, Debug, Default)]
pub struct WorkloadFilter {
    /// The namespace (`default` unless given).
    pub namespace: String,
    /// The object's name.
    pub name: Option<String>,
    /// A label selector the object's labels must match.
    pub selector: Option<Selector>,
    /// An image one of its template's containers runs.
    pub image: Option<String>,
    /// `spec.replicas` (`desired`).
    pub desired: Option<i32>,
    /// `status.replicas` (kubectl's CURRENT for a ReplicaSet).
    pub current: Option<i32>,
    /// `status.readyReplicas`.
    pub ready: Option<i32>,
    /// `status.availableReplicas`.
    pub available: Option<i32>,
    /// `status.updatedReplicas` (Deployments).
    pub updated: Option<i32>,
    /// The reason of the Progressing condition (Deployments):
    /// `NewReplicaSetAvailable`, `ReplicaSetUpdated`,
    /// `ProgressDeadlineExceeded`, …
    pub progressing: Option<String>,
    /// kubectl's STATUS of a Job (`Running`, `Complete`, `Failed`,
    /// `Suspended`, `FailureTarget`).
    pub job_status: Option<String>,
    /// `status.active` (Jobs; a CronJob's active Jobs).
    pub active: Option<i32>,
    /// `status.succeeded` (Jobs).
    pub succeeded: Option<i32>,
    /// `status.failed` (Jobs).
    pub failed: Option<i32>,
    /// `status.completedIndexes` (Indexed Jobs), e.g. `0-4`.
    pub completed_indexes: Option<String>,
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
    /// Deployments (`deployments:`).
    Deployments(WorkloadFilter),
    /// ReplicaSets (`replicasets:`).
    ReplicaSets(WorkloadFilter),
    /// Jobs (`jobs:`).
    Jobs(WorkloadFilter),
    /// Requests of a traffic source (`traffic:`), cumulative up to `at`.
    Traffic(TrafficFilter),
}

/// Which requests an expectation counts (`traffic:`): those of source
/// `name` whose outcome is known, with every other condition given.
#[derive(Clone, Debug, Default)]
pub struct TrafficFilter {
    /// The traffic source.
    pub name: String,
    /// The pod they reached (`""`: those that reached no pod).
    pub pod: Option<String>,
    /// That pod's node.
    pub node: Option<String>,
    /// Their outcome.
    pub outcome: Option<Outcome>,
}

impl TrafficFilter {
    /// The number of matching requests so far, and the pods they reached.
    pub fn count(&self, stats: &TrafficStats) -> (u64, Vec<String>) {
        let Some(src) = stats.sources.iter().position(|s| s.name == self.name) else { return (0, Vec::new()) };
        let mut total = 0;
        let mut pods = Vec::new();
        for p in stats.pairs.iter().filter(|p| p.source as usize == src) {
            let pod = p.pod.as_deref().unwrap_or("");
            if self.pod.as_deref().is_some_and(|x| x != pod)
                || self.node.as_deref().is_some_and(|x| x != p.node.as_deref().unwrap_or(""))
            {
                continue;
            }
            let n = match self.outcome {
                Some(o) => p.total.get(o),
                None => p.total.requests,
            };
            total += n;
            if n > 0 && !pod.is_empty() {
                pods.push(pod.to_string());
            }
        }
        (total, pods)
    }
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
            && self.image.as_ref().is_none_or(|i| p.spec.containers.iter().any(|c| *c.image == **i))
    }
}

impl WorkloadFilter {
    fn common(&self, meta: &crate::objects::meta::ObjectMeta, template: &PodTemplate) -> bool {
        *meta.namespace == *self.namespace
            && self.name.as_ref().is_none_or(|n| *n == *meta.name)
            && self.selector.as_ref().is_none_or(|s| s.matches(&meta.labels))
            && self.image.as_ref().is_none_or(|i| template.spec.containers.iter().any(|c| *c.image == **i))
    }

    /// Whether the Deployment passes every condition.
    pub fn matches_deployment(&self, d: &Deployment) -> bool {
        let s = &d.status;
        let reason = s.condition(ConditionType::Progressing).map(|c| c.reason);
        self.common(&d.meta, &d.spec.template)
            && self.desired.is_none_or(|n| d.spec.replicas == n)
            && self.current.is_none_or(|n| s.replicas == n)
            && self.ready.is_none_or(|n| s.ready_replicas == n)
            && self.available.is_none_or(|n| s.available_replicas == n)
            && self.updated.is_none_or(|n| s.updated_replicas == n)
            && self.progressing.as_ref().is_none_or(|r| reason == Some(r.as_str()))
    }

    /// Whether the ReplicaSet passes every condition.
    pub fn matches_replica_set(&self, rs: &ReplicaSet) -> bool {
        let s = &rs.status;
        self.common(&rs.meta, &rs.spec.template)
            && self.desired.is_none_or(|n| rs.spec.replicas == n)
            && self.current.is_none_or(|n| s.replicas == n)
            && self.ready.is_none_or(|n| s.ready_replicas == n)
            && self.available.is_none_or(|n| s.available_replicas == n)
            && self.updated.is_none()
            && self.progressing.is_none()
    }

    /// Whether the Job passes every condition.
    pub fn matches_job(&self, j: &crate::kinds::job::Job) -> bool {
        let s = &j.status;
        self.common(&j.meta, &j.spec.template)
            && self.job_status.as_ref().is_none_or(|x| x == j.status_text())
            && self.active.is_none_or(|n| s.active == n)
            && self.ready.is_none_or(|n| s.ready == n)
            && self.succeeded.is_none_or(|n| s.succeeded == n)
            && self.failed.is_none_or(|n| s.failed == n)
            && self.completed_indexes.as_ref().is_none_or(|x| *x == s.completed_indexes)
    }

    fn describe(&self, parts: &mut Vec<String>) {
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{} {}", k, v));
            }
        };
        push("name", self.name.clone());
        push("selector", self.selector.as_ref().map(|s| s.to_string()));
        push("image", self.image.clone());
        push("desired", self.desired.map(|n| n.to_string()));
        push("current", self.current.map(|n| n.to_string()));
        push("ready", self.ready.map(|n| n.to_string()));
        push("available", self.available.map(|n| n.to_string()));
        push("updated", self.updated.map(|n| n.to_string()));
        push("progressing", self.progressing.clone());
        push("status", self.job_status.clone());
        push("active", self.active.map(|n| n.to_string()));
        push("succeeded", self.succeeded.map(|n| n.to_string()));
        push("failed", self.failed.map(|n| n.to_string()));
        push("completedIndexes", self.completed_indexes.clone());
        if self.namespace != "default" {
            parts.push(format!("namespace {}", self.namespace));
        }
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
    /// Evaluates against the store and the traffic counts as they are now.
    pub fn check(&self, store: &Store, traffic: &TrafficStats) -> Verdict {
        if let Target::Traffic(f) = &self.target {
            let (found, mut names) = f.count(traffic);
            names.sort();
            names.dedup();
            return self.verdict(found, names);
        }
        let mut names: Vec<String> = match &self.target {
            Target::Pods(f) => store.pods.values().filter(|p| f.matches(p)).map(|p| p.meta.name.to_string()).collect(),
            Target::Nodes(f) => {
                store.nodes.values().filter(|n| f.matches(n)).map(|n| n.meta.name.to_string()).collect()
            }
            Target::Deployments(f) => store
                .typed
                .values()
                .filter_map(|t| t.downcast::<Deployment>())
                .filter(|d| f.matches_deployment(d))
                .map(|d| d.meta.name.to_string())
                .collect(),
            Target::ReplicaSets(f) => store
                .replicasets
                .values()
                .filter(|rs| rs.kind == ReplicaKind::ReplicaSet && f.matches_replica_set(rs))
                .map(|rs| rs.meta.name.to_string())
                .collect(),
            Target::Jobs(f) => store
                .typed
                .values()
                .filter_map(|t| t.downcast::<crate::kinds::job::Job>())
                .filter(|j| f.matches_job(j))
                .map(|j| j.meta.name.to_string())
                .collect(),
            Target::Traffic(_) => unreachable!("counted above"),
        };
        names.sort();
        let found = names.len() as u64;
        self.verdict(found, names)
    }

    fn verdict(&self, found: u64, names: Vec<String>) -> Verdict {
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
                if let Some(x) = &p.image {
                    parts.push(format!("image {}", x));
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
            Target::Deployments(w) => {
                w.describe(&mut parts);
                "deployment(s)"
            }
            Target::ReplicaSets(w) => {
                w.describe(&mut parts);
                "replicaset(s)"
            }
            Target::Jobs(w) => {
                w.describe(&mut parts);
                "job(s)"
            }
            Target::Traffic(t) => {
                parts.push(format!("traffic {}", t.name));
                if let Some(p) = &t.pod {
                    parts.push(format!("pod {}", if p.is_empty() { "(none)" } else { p }));
                }
                if let Some(n) = &t.node {
                    parts.push(format!("node {}", if n.is_empty() { "(none)" } else { n }));
                }
                if let Some(o) = t.outcome {
                    parts.push(format!("outcome {}", o.as_str()));
                }
                "request(s)"
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
