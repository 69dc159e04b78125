//! Timeline actions: what a scenario (or a library user) does to the cluster
//! at a given virtual time. kubectl verbs and faults both become these.

#![warn(missing_docs)]

use crate::objects::node::Node;
use crate::objects::store::Propagation;
use crate::objects::{Kind, Object};
use std::rc::Rc;

/// A pod by name, or the `index`-th (in name order) of those matching a
/// selector; and a container by name (the first when absent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTarget {
    /// The pod's namespace (`default` when not given).
    pub namespace: String,
    /// The pod's name; `None` picks by `selector`.
    pub name: Option<String>,
    /// A label selector in kubectl's `-l` syntax.
    pub selector: Option<String>,
    /// Which of the pods matching `selector`, in name order (0-based).
    pub index: usize,
    /// The container's name; the pod's first container when `None`.
    pub container: Option<String>,
}

pub use crate::nodes::process::ContainerOp;

/// What a kubectl verb changes in a Deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeploymentChange {
    /// `kubectl scale deployment --replicas=N`.
    Scale(i32),
    /// `kubectl set image deployment/NAME CONTAINER=IMAGE…` (`*` for every
    /// container).
    SetImage(Vec<(String, String)>),
    /// `kubectl rollout pause`.
    Pause,
    /// `kubectl rollout resume`.
    Resume,
    /// `kubectl rollout restart`: the template's
    /// `kubectl.kubernetes.io/restartedAt` annotation is set to now.
    Restart,
    /// `kubectl rollout undo [--to-revision=N]`: the template of that
    /// revision's ReplicaSet (the previous one by default) is written back.
    Undo(Option<i64>),
}

/// A timeline action. The kubectl verbs go through the apiserver as the
/// `User` client (not throttled; an error is recorded in
/// `Simulation::user_errors`, as kubectl would print it); faults act on
/// nodes, containers and components directly.
#[derive(Clone, Debug)]
pub enum Action {
    /// `kubectl apply`: create, or update metadata and spec if it exists.
    Apply(Vec<Object>),
    /// `kubectl create` / `run`: create; an existing object is an error.
    Create(Vec<Object>),
    /// `kubectl delete`.
    Delete {
        /// The kind to delete.
        kind: Kind,
        /// A typed kind of the generic store (`kind` is then `Other`).
        typed: Option<&'static str>,
        /// The namespace (ignored for cluster-scoped kinds).
        namespace: String,
        /// A name, or every object matching `selector` when `None`.
        name: Option<String>,
        /// `-l`: a label selector in kubectl's syntax.
        selector: Option<String>,
        /// `--grace-period`.
        grace_seconds: Option<u64>,
        /// `--cascade` (`background`, `foreground`, `orphan`).
        propagation: Propagation,
    },
    /// `kubectl delete all --all` (or `-l SELECTOR`): the objects of
    /// kubectl's `all` category that kubesim simulates (Pods,
    /// ReplicationControllers, Services, DaemonSets, Deployments,
    /// ReplicaSets, in the category's order) in the namespace, matching
    /// `selector`.
    DeleteAll {
        /// The namespace.
        namespace: String,
        /// A label selector in kubectl's syntax (`""`: everything).
        selector: String,
        /// `--grace-period`.
        grace_seconds: Option<u64>,
        /// `--cascade`.
        propagation: Propagation,
    },
    /// `kubectl expose`: a Service selecting what the object selects (an
    /// RC's or ReplicaSet's selector, a pod's labels, a Service's
    /// selector), built when the line runs.
    Expose {
        /// Pod, ReplicationController or ReplicaSet (`Kind::Other` with
        /// `service` set: a Service).
        kind: Kind,
        /// Exposing a Service.
        service: bool,
        /// The namespace.
        namespace: String,
        /// The object's name.
        name: String,
        /// `--name` (default: the object's name).
        service_name: Option<String>,
        /// `--port` (default: the object's container ports).
        port: Option<u16>,
        /// `--target-port`, a number or a port name.
        target_port: Option<String>,
        /// `--protocol` (default TCP).
        protocol: String,
        /// `--type` (default ClusterIP).
        type_: String,
    },
    /// `kubectl scale --replicas`: updates `spec.replicas`.
    Scale {
        /// ReplicaSet or ReplicationController.
        kind: Kind,
        /// The namespace.
        namespace: String,
        /// The object's name.
        name: String,
        /// The new `spec.replicas`.
        replicas: i32,
    },
    /// A DaemonSet changed as kubectl changes it (`set image`, `rollout
    /// restart`; the other `rollout` verbs need ControllerRevisions, which
    /// kubesim does not store): read when the line runs, changed, written
    /// back.
    DaemonSet {
        /// The namespace.
        namespace: String,
        /// The DaemonSet's name.
        name: String,
        /// `SetImage` or `Restart`.
        change: DeploymentChange,
    },
    /// `kubectl create job NAME --from=cronjob/CRONJOB`: a Job from the
    /// CronJob's template as it is when the command runs
    /// (`createJobFromCronJob`).
    CreateJobFrom {
        /// The namespace.
        namespace: String,
        /// The Job's name.
        name: String,
        /// The CronJob's name.
        cronjob: String,
    },
    /// A Deployment changed as kubectl changes it (`scale deployment`,
    /// `set image`, `rollout pause|resume|restart|undo`): read when the
    /// line runs, changed, and written back.
    Deployment {
        /// The namespace.
        namespace: String,
        /// The Deployment's name.
        name: String,
        /// What to change.
        change: DeploymentChange,
    },
    /// `kubectl label` / `annotate`: set pairs and remove keys (`key-`).
    Label {
        /// The object's kind.
        kind: Kind,
        /// The namespace (ignored for cluster-scoped kinds).
        namespace: String,
        /// The object's name (unused with `selector`).
        name: String,
        /// `-l SELECTOR` (`--all`: the empty selector): every object of
        /// the kind in the namespace that matches, instead of `name`.
        selector: Option<String>,
        /// `key=value` pairs to set.
        set: Vec<(String, String)>,
        /// Keys to remove.
        remove: Vec<String>,
        /// `--overwrite`: without it, changing an existing key's value is
        /// an error, as in kubectl.
        overwrite: bool,
        /// Annotations (`kubectl annotate`) rather than labels.
        annotate: bool,
    },
    /// `kubectl taint nodes NODE... KEY[=VALUE]:EFFECT... KEY[:EFFECT]-...`:
    /// edits the nodes' `spec.taints`.
    Taint {
        /// The nodes' names.
        nodes: Vec<String>,
        /// Taints to add (or, with `overwrite`, to replace the value of).
        add: Vec<crate::objects::pod::Taint>,
        /// Taints to remove: a key, and an effect or every effect.
        remove: Vec<(String, Option<crate::objects::pod::TaintEffect>)>,
        /// `--overwrite`: a taint with the same key and effect is replaced
        /// rather than an error.
        overwrite: bool,
    },
    /// `kubectl cordon` / `uncordon`: sets `spec.unschedulable`.
    Cordon {
        /// The node's name.
        node: String,
        /// `true` to cordon, `false` to uncordon.
        unschedulable: bool,
    },
    /// `kubectl drain`: cordon, then evict every pod on the node (pods with
    /// no controller only with `force`).
    Drain {
        /// The node's name.
        node: String,
        /// `--force`: also delete pods no controller manages.
        force: bool,
        /// `--grace-period` for the evictions.
        grace_seconds: Option<u64>,
    },
    /// A fault or `exec` in one container of one pod.
    Container {
        /// The pod and container.
        target: PodTarget,
        /// What happens in the container.
        op: ContainerOp,
    },
    /// The node dies: its kubelet and containers stop, its Lease is no
    /// longer renewed (the node-lifecycle controller notices after
    /// `nodeMonitorGracePeriod`).
    CrashNode(String),
    /// A crashed node boots again: its kubelet starts, relists its pods
    /// from the apiserver and renews its Lease.
    RestartNode(String),
    /// The node's kubelet loses the apiserver (its containers run on).
    PartitionNode(String),
    /// The partitioned node reaches the apiserver again.
    HealNode(String),
    /// A node joins the cluster: its Node object is created and its kubelet
    /// starts.
    AddNode(Rc<Node>),
    /// A traffic source starts (`traffic:`).
    Traffic(Rc<crate::traffic::spec::TrafficSpec>),
    /// A user component's process dies (at once, or when it tries its
    /// write number `after_writes + 1` from now on) and is restarted after
    /// `restart_after`.
    CrashController {
        /// The component's name.
        name: String,
        /// How many more writes it gets through before it dies (`None`:
        /// it dies at once).
        after_writes: Option<u32>,
        /// How long until it is restarted (with empty caches: it relists).
        restart_after: crate::sim::SimDuration,
    },
    /// A user component's view goes wrong for `duration`: with
    /// `stale_lag`, its watch events arrive that much late (a lagging
    /// apiserver); without, its watch breaks and it relists after, seeing
    /// what changed meanwhile coalesced (one event per object).
    PerturbWatch {
        /// The component's name.
        controller: String,
        /// How late its watch events arrive (`staleWatch`); `None` breaks
        /// the watch instead (`coalesceWatch`).
        stale_lag: Option<crate::sim::SimDuration>,
        /// How long the perturbation lasts.
        duration: crate::sim::SimDuration,
    },
}
