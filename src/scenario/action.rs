//! Timeline actions: what a scenario (or a library user) does to the cluster
//! at a given virtual time. kubectl verbs and faults both become these.

use crate::objects::node::Node;
use crate::objects::store::Propagation;
use crate::objects::{Kind, Object};
use std::rc::Rc;

/// A pod by name, or the `index`-th (in name order) of those matching a
/// selector; and a container by name (the first when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTarget {
    pub namespace: String,
    pub name: Option<String>,
    pub selector: Option<String>,
    pub index: usize,
    pub container: Option<String>,
}

pub use crate::nodes::process::ContainerOp;

#[derive(Clone, Debug)]
pub enum Action {
    /// `kubectl apply`: create, or update metadata and spec if it exists.
    Apply(Vec<Object>),
    /// `kubectl create` / `run`: create; an existing object is an error.
    Create(Vec<Object>),
    Delete {
        kind: Kind,
        namespace: String,
        /// A name, or every object matching `selector` when `None`.
        name: Option<String>,
        selector: Option<String>,
        grace_seconds: Option<u64>,
        propagation: Propagation,
    },
    Scale {
        kind: Kind,
        namespace: String,
        name: String,
        replicas: i32,
    },
    /// `kubectl label` / `annotate`: set pairs and remove keys (`key-`).
    Label {
        kind: Kind,
        namespace: String,
        name: String,
        set: Vec<(String, String)>,
        remove: Vec<String>,
        overwrite: bool,
        annotate: bool,
    },
    Cordon {
        node: String,
        unschedulable: bool,
    },
    /// `kubectl drain`: cordon, then evict every pod on the node (pods with
    /// no controller only with `force`).
    Drain {
        node: String,
        force: bool,
        grace_seconds: Option<u64>,
    },
    /// A fault or `exec` in one container of one pod.
    Container {
        target: PodTarget,
        op: ContainerOp,
    },
    CrashNode(String),
    RestartNode(String),
    /// The node's kubelet loses the apiserver (its containers run on).
    PartitionNode(String),
    /// The partitioned node reaches the apiserver again.
    HealNode(String),
    AddNode(Rc<Node>),
    /// A user component's process dies (at once, or when it tries its
    /// write number `after_writes + 1` from now on) and is restarted after
    /// `restart_after`.
    CrashController {
        name: String,
        after_writes: Option<u32>,
        restart_after: crate::sim::SimDuration,
    },
    /// A user component's view goes wrong for `duration`: with
    /// `stale_lag`, its watch events arrive that much late (a lagging
    /// apiserver); without, its watch breaks and it relists after, seeing
    /// what changed meanwhile coalesced (one event per object).
    PerturbWatch {
        controller: String,
        stale_lag: Option<crate::sim::SimDuration>,
        duration: crate::sim::SimDuration,
    },
}
