//! Fault schedules: what a property test throws at a cluster, as timeline
//! actions, as scenario YAML (to replay a failure with `kubesim run`), and
//! as proptest strategies (which shrink a failing schedule by dropping
//! faults, shortening outages and moving them earlier).

use crate::objects::duration::parse_duration;
use crate::scenario::action::{Action, ContainerOp, PodTarget};
use crate::sim::{SimDuration, SimTime};
use proptest::prelude::*;
use std::fmt;

/// One fault, at a time of its schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The node crashes (its containers die with it); it comes back after
    /// `down_for`, or never.
    NodeOutage {
        /// The node's name.
        node: String,
        /// How long it stays down (`None`: for good).
        down_for: Option<SimDuration>,
    },
    /// The node loses the apiserver (its containers keep running); the
    /// link comes back after `heal_after`, or never.
    NodePartition {
        /// The node's name.
        node: String,
        /// How long the partition lasts (`None`: for good).
        heal_after: Option<SimDuration>,
    },
    /// A user component crashes (after `after_writes` more writes, when
    /// given: between the writes of one reconcile) and is restarted after
    /// `restart_after`.
    ControllerCrash {
        /// The component's registered name.
        name: String,
        /// Writes it may still send before it dies (`None`: at once).
        after_writes: Option<u32>,
        /// How long until its supervisor restarts it.
        restart_after: SimDuration,
    },
    /// A user component's watch lags: its events arrive `lag` late for
    /// `duration` (Sieve's *stale state*).
    StaleWatch {
        /// The component's registered name.
        name: String,
        /// How late its events arrive.
        lag: SimDuration,
        /// For how long new events are delayed.
        duration: SimDuration,
    },
    /// A user component's watch breaks for `duration`; it relists when it
    /// reconnects and sees what changed meanwhile coalesced, one event per
    /// object (Sieve's *unobserved state*).
    CoalesceWatch {
        /// The component's registered name.
        name: String,
        /// How long the watch is broken.
        duration: SimDuration,
    },
    /// A container of the `index`-th pod (in name order) matching
    /// `selector` crashes with exit code 1, hangs, or is OOM-killed.
    Container {
        /// A label selector over pods in `default`.
        selector: String,
        /// Which of the matching pods, in name order.
        index: usize,
        /// What happens to its first container.
        op: ContainerFault,
    },
}

/// What happens to a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerFault {
    /// The process exits with code 1.
    Crash,
    /// The process stops answering (probes time out).
    Hang,
    /// The kernel's OOM killer (exit 137, OOMKilled).
    Oom,
}

impl ContainerFault {
    fn verb(self) -> &'static str {
        match self {
            ContainerFault::Crash => "crashContainer",
            ContainerFault::Hang => "hangContainer",
            ContainerFault::Oom => "oomContainer",
        }
    }
}

/// Faults at offsets from the start of the run, in time order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultSchedule {
    /// Each fault with its offset from t = 0.
    pub faults: Vec<(SimDuration, Fault)>,
}

impl FaultSchedule {
    /// The schedule's timeline actions, in time order.
    pub fn actions(&self) -> Vec<(SimTime, Action)> {
        let mut out = Vec::new();
        for (at, f) in &self.faults {
            let t = SimTime(at.0);
            match f {
                Fault::NodeOutage { node, down_for } => {
                    out.push((t, Action::CrashNode(node.clone())));
                    if let Some(d) = down_for {
                        out.push((t + *d, Action::RestartNode(node.clone())));
                    }
                }
                Fault::NodePartition { node, heal_after } => {
                    out.push((t, Action::PartitionNode(node.clone())));
                    if let Some(d) = heal_after {
                        out.push((t + *d, Action::HealNode(node.clone())));
                    }
                }
                Fault::ControllerCrash { name, after_writes, restart_after } => out.push((
                    t,
                    Action::CrashController {
                        name: name.clone(),
                        after_writes: *after_writes,
                        restart_after: *restart_after,
                    },
                )),
                Fault::StaleWatch { name, lag, duration } => out.push((
                    t,
                    Action::PerturbWatch { controller: name.clone(), stale_lag: Some(*lag), duration: *duration },
                )),
                Fault::CoalesceWatch { name, duration } => out
                    .push((t, Action::PerturbWatch { controller: name.clone(), stale_lag: None, duration: *duration })),
                Fault::Container { selector, index, op } => {
                    let target = PodTarget {
                        namespace: "default".into(),
                        name: None,
                        selector: Some(selector.clone()),
                        index: *index,
                        container: None,
                    };
                    let op = match op {
                        ContainerFault::Crash => ContainerOp::Crash { exit_code: 1 },
                        ContainerFault::Hang => ContainerOp::Hang,
                        ContainerFault::Oom => ContainerOp::Oom,
                    };
                    out.push((t, Action::Container { target, op }));
                }
            }
        }
        // In the order the replay's timeline lists them (not sorted: two
        // entries at one instant keep this order in both).
        out
    }

    /// When the last fault (or the end of the last outage) happens: from
    /// then on the cluster is left alone.
    pub fn quiet_from(&self) -> SimTime {
        let end = |at: SimDuration, f: &Fault| -> SimDuration {
            match f {
                Fault::NodeOutage { down_for, .. } => at + down_for.unwrap_or(SimDuration::ZERO),
                Fault::NodePartition { heal_after, .. } => at + heal_after.unwrap_or(SimDuration::ZERO),
                Fault::ControllerCrash { restart_after, .. } => at + *restart_after,
                Fault::StaleWatch { lag, duration, .. } => at + *duration + *lag,
                Fault::CoalesceWatch { duration, .. } => at + *duration,
                Fault::Container { .. } => at,
            }
        };
        SimTime(self.faults.iter().map(|(at, f)| end(*at, f).0).max().unwrap_or(0))
    }

    /// The schedule as scenario timeline entries (YAML list items).
    pub fn timeline_yaml(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (at, f) in &self.faults {
            match f {
                Fault::NodeOutage { node, down_for } => {
                    out.push(format!("- at: {}\n  crashNode: {}", at, node));
                    if let Some(d) = down_for {
                        out.push(format!("- at: {}\n  restartNode: {}", *at + *d, node));
                    }
                }
                Fault::NodePartition { node, heal_after } => {
                    out.push(format!("- at: {}\n  partitionNode: {}", at, node));
                    if let Some(d) = heal_after {
                        out.push(format!("- at: {}\n  healNode: {}", *at + *d, node));
                    }
                }
                Fault::ControllerCrash { name, after_writes, restart_after } => {
                    let mut s = format!("- at: {}\n  crashController:\n    name: {}", at, name);
                    if let Some(k) = after_writes {
                        s.push_str(&format!("\n    afterWrites: {}", k));
                    }
                    s.push_str(&format!("\n    restartAfter: {}", restart_after));
                    out.push(s);
                }
                Fault::StaleWatch { name, lag, duration } => out.push(format!(
                    "- at: {}\n  staleWatch:\n    controller: {}\n    lag: {}\n    for: {}",
                    at, name, lag, duration
                )),
                Fault::CoalesceWatch { name, duration } => {
                    out.push(format!("- at: {}\n  coalesceWatch:\n    controller: {}\n    for: {}", at, name, duration))
                }
                Fault::Container { selector, index, op } => out.push(format!(
                    "- at: {}\n  {}:\n    selector: {}\n    index: {}",
                    at,
                    op.verb(),
                    yaml_str(selector),
                    index
                )),
            }
        }
        out
    }
}

/// A string as a YAML scalar (quoted when it could read as something else).
fn yaml_str(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=,".contains(c)) && !s.is_empty() {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.faults.is_empty() {
            return f.write_str("(no faults)");
        }
        for (i, (at, fault)) in self.faults.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: ", at)?;
            match fault {
                Fault::NodeOutage { node, down_for: Some(d) } => write!(f, "node {} down for {}", node, d)?,
                Fault::NodeOutage { node, down_for: None } => write!(f, "node {} down for good", node)?,
                Fault::NodePartition { node, heal_after: Some(d) } => {
                    write!(f, "node {} cut from the apiserver for {}", node, d)?
                }
                Fault::NodePartition { node, heal_after: None } => {
                    write!(f, "node {} cut from the apiserver for good", node)?
                }
                Fault::ControllerCrash { name, after_writes: Some(k), restart_after } => {
                    write!(f, "controller {} crashes after {} writes, back after {}", name, k, restart_after)?
                }
                Fault::ControllerCrash { name, after_writes: None, restart_after } => {
                    write!(f, "controller {} crashes, back after {}", name, restart_after)?
                }
                Fault::StaleWatch { name, lag, duration } => {
                    write!(f, "controller {}'s watch {} late for {}", name, lag, duration)?
                }
                Fault::CoalesceWatch { name, duration } => {
                    write!(f, "controller {}'s watch broken for {}, then relisted", name, duration)?
                }
                Fault::Container { selector, index, op } => {
                    write!(f, "{} in pod #{} of {}", op.verb(), index, selector)?
                }
            }
        }
        Ok(())
    }
}

/// What a fault schedule may contain.
#[derive(Clone, Debug)]
pub struct FaultSpace {
    /// Faults happen in `[0, horizon)`.
    pub horizon: SimDuration,
    /// At most this many faults.
    pub max_faults: usize,
    /// Nodes that may crash.
    pub nodes: Vec<String>,
    /// Longest outage of a node that comes back (some never do).
    pub max_down: SimDuration,
    /// Whether nodes may also be partitioned from the apiserver (as long
    /// as `max_down`, or for good).
    pub partitions: bool,
    /// Components that may crash: user components, or built-ins that run
    /// as components (by kube-controller-manager's names, or
    /// `default-scheduler`).
    pub controllers: Vec<String>,
    /// Label selectors of pods whose containers may fail.
    pub pod_selectors: Vec<String>,
}

impl FaultSpace {
    /// Node outages only, on `nodes`, within `horizon`.
    pub fn nodes(nodes: &[&str], horizon: &str) -> FaultSpace {
        FaultSpace {
            horizon: parse_duration(horizon).expect("a duration"),
            max_faults: 4,
            nodes: nodes.iter().map(|s| s.to_string()).collect(),
            max_down: SimDuration::from_secs(600),
            partitions: false,
            controllers: Vec::new(),
            pod_selectors: Vec::new(),
        }
    }

    /// Nodes may also be partitioned from the apiserver (their containers
    /// keep running), healing after a drawn time or never.
    pub fn partitions(mut self) -> Self {
        self.partitions = true;
        self
    }

    /// At most `n` faults per schedule.
    pub fn max_faults(mut self, n: usize) -> Self {
        self.max_faults = n;
        self
    }

    /// Components that may crash (at once or between writes) and, for a
    /// user component, see a stale or coalesced watch. A built-in that
    /// runs as a component (`deployment`, `job`, …) only crashes: it
    /// reads kube-controller-manager's shared informers, which a fault on
    /// one controller cannot lag.
    pub fn controllers(mut self, names: &[&str]) -> Self {
        self.controllers = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Pods (by label selector) whose containers may crash, hang or be
    /// OOM-killed.
    pub fn containers(mut self, selectors: &[&str]) -> Self {
        self.pod_selectors = selectors.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The proptest strategy of schedules in this space. Shrinking drops
    /// faults, turns outages permanent-or-shorter, and moves faults to
    /// whole seconds earlier.
    pub fn strategy(&self) -> BoxedStrategy<FaultSchedule> {
        let secs = (self.horizon.0 / 1_000_000_000).max(1);
        let down = (self.max_down.0 / 1_000_000_000).max(1);
        let mut kinds: Vec<BoxedStrategy<Fault>> = Vec::new();
        if !self.nodes.is_empty() {
            let nodes = self.nodes.clone();
            kinds.push(
                (0..nodes.len(), proptest::option::of(1..=down))
                    .prop_map(move |(i, d)| Fault::NodeOutage {
                        node: nodes[i].clone(),
                        down_for: d.map(SimDuration::from_secs),
                    })
                    .boxed(),
            );
            if self.partitions {
                let nodes = self.nodes.clone();
                kinds.push(
                    (0..nodes.len(), proptest::option::of(1..=down))
                        .prop_map(move |(i, d)| Fault::NodePartition {
                            node: nodes[i].clone(),
                            heal_after: d.map(SimDuration::from_secs),
                        })
                        .boxed(),
                );
            }
        }
        if !self.controllers.is_empty() {
            let names = self.controllers.clone();
            kinds.push(
                (0..names.len(), proptest::option::of(0u32..4), 1u64..=30)
                    .prop_map(move |(i, k, r)| Fault::ControllerCrash {
                        name: names[i].clone(),
                        after_writes: k,
                        restart_after: SimDuration::from_secs(r),
                    })
                    .boxed(),
            );
        }
        // Watch faults reach only a user component's own informers.
        let watchers: Vec<String> =
            self.controllers.iter().filter(|n| crate::component::component_named(n).is_none()).cloned().collect();
        if !watchers.is_empty() {
            let names = watchers.clone();
            kinds.push(
                (0..names.len(), 1u64..=60, 1u64..=120)
                    .prop_map(move |(i, lag, d)| Fault::StaleWatch {
                        name: names[i].clone(),
                        lag: SimDuration::from_secs(lag),
                        duration: SimDuration::from_secs(d),
                    })
                    .boxed(),
            );
            let names = watchers;
            kinds.push(
                (0..names.len(), 1u64..=120)
                    .prop_map(move |(i, d)| Fault::CoalesceWatch {
                        name: names[i].clone(),
                        duration: SimDuration::from_secs(d),
                    })
                    .boxed(),
            );
        }
        if !self.pod_selectors.is_empty() {
            let sels = self.pod_selectors.clone();
            kinds.push(
                (
                    0..sels.len(),
                    0usize..8,
                    prop_oneof![Just(ContainerFault::Crash), Just(ContainerFault::Hang), Just(ContainerFault::Oom)],
                )
                    .prop_map(move |(i, index, op)| Fault::Container { selector: sels[i].clone(), index, op })
                    .boxed(),
            );
        }
        if kinds.is_empty() {
            return Just(FaultSchedule::default()).boxed();
        }
        let fault = proptest::strategy::Union::new(kinds);
        proptest::collection::vec((0..secs, fault), 0..=self.max_faults)
            .prop_map(|mut v| {
                v.sort_by_key(|(t, _)| *t);
                FaultSchedule { faults: v.into_iter().map(|(t, f)| (SimDuration::from_secs(t), f)).collect() }
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_a_crash_and_a_restart() {
        let s = FaultSchedule {
            faults: vec![(
                SimDuration::from_secs(30),
                Fault::NodeOutage { node: "n1".into(), down_for: Some(SimDuration::from_secs(90)) },
            )],
        };
        let a = s.actions();
        assert_eq!(a.len(), 2);
        assert!(matches!(&a[0], (t, Action::CrashNode(n)) if t.0 == 30_000_000_000 && n == "n1"));
        assert!(matches!(&a[1], (t, Action::RestartNode(n)) if t.0 == 120_000_000_000 && n == "n1"));
        assert_eq!(s.quiet_from(), SimTime(120_000_000_000));
        assert_eq!(s.timeline_yaml(), vec!["- at: 30s\n  crashNode: n1", "- at: 2m0s\n  restartNode: n1"]);
    }
}
