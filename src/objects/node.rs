//! Node: capacity, allocatable, taints, cordon and the Ready condition.

#![warn(missing_docs)]

use super::digest::Parts;
use super::meta::ObjectMeta;
use super::pod::{CondStatus, Taint};
use super::resources::{Extended, Resources};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;

/// A `v1.NodeCondition`. kubesim models the `Ready` condition only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCondition {
    /// `True` (the kubelet reports ready), `False`, or `Unknown` (set by
    /// the node-lifecycle controller when the node's Lease goes stale).
    pub status: CondStatus,
    /// The machine-readable reason, e.g. `KubeletReady`,
    /// `NodeStatusUnknown`.
    pub reason: String,
    /// The human-readable message, e.g. `Kubelet stopped posting node
    /// status.`.
    pub message: String,
    /// `lastHeartbeatTime`: the last status update that carried this
    /// condition.
    pub last_heartbeat_time: SimTime,
    /// `lastTransitionTime`: when `status` last changed.
    pub last_transition_time: SimTime,
}

/// `v1.NodeSpec`, the fields kubesim models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    /// `spec.unschedulable`: cordoned (`kubectl cordon`); the scheduler
    /// places no new pods here.
    pub unschedulable: bool,
    /// `spec.taints`: the scheduler's TaintToleration filter and the
    /// taint-eviction controller (NoExecute) read them.
    pub taints: Vec<Taint>,
}

/// `v1.NodeStatus`, the fields kubesim models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    /// `status.capacity`: the machine's resources.
    pub capacity: Resources,
    /// `status.allocatable`: capacity minus reservations; what the
    /// scheduler's NodeResourcesFit filter compares pod requests against.
    pub allocatable: Resources,
    /// Extended resources (`nvidia.com/gpu`, …) in both `capacity` and
    /// `allocatable`: the kubelet reserves none of them.
    pub extended: Extended,
    /// The `Ready` condition.
    pub ready: NodeCondition,
    /// The `InternalIP` entry of `status.addresses`.
    pub internal_ip: String,
    /// `status.nodeInfo.kubeletVersion` (kubectl's VERSION column).
    pub kubelet_version: String,
}

/// A `v1.Node`. Created from the scenario's `cluster.nodes`; its kubelet
/// updates its status, the node-lifecycle controller its taints and Ready
/// condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's metadata (cluster-scoped: empty namespace).
    pub meta: ObjectMeta,
    /// The node's spec.
    pub spec: NodeSpec,
    /// The node's status.
    pub status: NodeStatus,
}

/// `v1.LabelTopologyZone`: the node's zone, which the node-lifecycle
/// controller groups nodes by.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// `v1.LabelTopologyRegion`: the node's region.
pub const LABEL_REGION: &str = "topology.kubernetes.io/region";
/// `v1.LabelHostname`: the node's hostname label.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// `v1.TaintNodeUnreachable`: the node-lifecycle controller's taint for a
/// node whose Ready condition is Unknown.
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
/// `v1.TaintNodeNotReady`: the node-lifecycle controller's taint for a
/// node whose Ready condition is False.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
/// `v1.TaintNodeUnschedulable`: the NoSchedule taint of a cordoned node.
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

impl Node {
    /// Whether the Ready condition is True.
    pub fn is_ready(&self) -> bool {
        self.status.ready.status == CondStatus::True
    }

    /// The zone key the node-lifecycle controller groups nodes by
    /// (`utilnode.GetZoneKey`: region and zone; empty when unlabelled).
    pub fn zone_key(&self) -> String {
        let region = self.meta.labels.get(LABEL_REGION).map(String::as_str).unwrap_or("");
        let zone = self.meta.labels.get(LABEL_ZONE).map(String::as_str).unwrap_or("");
        if region.is_empty() && zone.is_empty() {
            String::new()
        } else {
            format!("{}:\u{0}:{}", region, zone)
        }
    }

    /// Whether the node carries a taint with this key and effect.
    pub fn has_taint(&self, key: &str, effect: super::pod::TaintEffect) -> bool {
        self.spec.taints.iter().any(|t| t.key == key && t.effect == effect)
    }
}

// ---- Digests for the trace hash (see `crate::sim::trace`).

impl Digest for NodeCondition {
    fn digest(&self, d: &mut Digester) {
        let NodeCondition { status, reason, message, last_heartbeat_time, last_transition_time } = self;
        d.tag(*status as u64);
        reason.digest(d);
        message.digest(d);
        last_heartbeat_time.digest(d);
        last_transition_time.digest(d);
    }
}

impl Digest for NodeSpec {
    fn digest(&self, d: &mut Digester) {
        let NodeSpec { unschedulable, taints } = self;
        unschedulable.digest(d);
        taints.digest(d);
    }
}

impl Digest for NodeStatus {
    fn digest(&self, d: &mut Digester) {
        let NodeStatus { capacity, allocatable, extended, ready, internal_ip, kubelet_version } = self;
        capacity.digest(d);
        allocatable.digest(d);
        // Only when present, so the hashes of runs without extended
        // resources stay what they were.
        if !extended.is_empty() {
            d.tag(0xE7);
            extended.digest(d);
        }
        ready.digest(d);
        internal_ip.digest(d);
        kubelet_version.digest(d);
    }
}

impl Node {
    /// The node version's digest, with its label and annotation maps'
    /// digests given (`objects::digest`).
    pub fn digest_parts(&self, d: &mut Digester, parts: &Parts) {
        let Node { meta, spec, status } = self;
        meta.digest_parts(d, parts);
        spec.digest(d);
        status.digest(d);
    }
}

impl Digest for Node {
    fn digest(&self, d: &mut Digester) {
        self.digest_parts(d, &Parts::of_meta(&self.meta));
    }
}
