//! Node: capacity, allocatable, taints, cordon and the Ready condition.

use super::digest::Parts;
use super::meta::ObjectMeta;
use super::pod::{CondStatus, Taint};
use super::resources::Resources;
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCondition {
    pub status: CondStatus,
    pub reason: String,
    pub message: String,
    pub last_heartbeat_time: SimTime,
    pub last_transition_time: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSpec {
    pub unschedulable: bool,
    pub taints: Vec<Taint>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    pub capacity: Resources,
    pub allocatable: Resources,
    pub ready: NodeCondition,
    pub internal_ip: String,
    pub kubelet_version: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub meta: ObjectMeta,
    pub spec: NodeSpec,
    pub status: NodeStatus,
}

/// Well-known label and taint keys.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
pub const LABEL_REGION: &str = "topology.kubernetes.io/region";
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

impl Node {
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
        let NodeStatus { capacity, allocatable, ready, internal_ip, kubelet_version } = self;
        capacity.digest(d);
        allocatable.digest(d);
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
