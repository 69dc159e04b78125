//! ReplicationController and ReplicaSet: one type, one controller
//! (docs/kubernetes-behaviour.md §5.2: RC is the RS code with an equality selector).

#![warn(missing_docs)]

use super::digest::Parts;
use super::meta::ObjectMeta;
use super::pod::PodSpec;
use super::selector::{Labels, Selector};
use crate::sim::trace::{Digest, Digester};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Which of the two kinds a `ReplicaSet` value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReplicaKind {
    /// `v1.ReplicationController` (equality-based selector).
    ReplicationController,
    /// `apps/v1.ReplicaSet` (set-based selector).
    ReplicaSet,
}

impl ReplicaKind {
    /// The kind's name as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaKind::ReplicationController => "ReplicationController",
            ReplicaKind::ReplicaSet => "ReplicaSet",
        }
    }
    /// The kind's `apiVersion` (`v1` or `apps/v1`).
    pub fn api_version(self) -> &'static str {
        match self {
            ReplicaKind::ReplicationController => "v1",
            ReplicaKind::ReplicaSet => "apps/v1",
        }
    }
}

/// `v1.PodTemplateSpec`: what the controller's pods are made from. Its
/// maps and spec are shared by every pod created from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTemplate {
    /// `template.metadata.labels`, which must match the selector.
    pub labels: Rc<Labels>,
    /// `template.metadata.annotations`.
    pub annotations: Rc<BTreeMap<String, String>>,
    /// `template.spec`.
    pub spec: Rc<PodSpec>,
}

/// `apps/v1.ReplicaSetSpec` (and `v1.ReplicationControllerSpec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaSetSpec {
    /// `spec.replicas`: the desired number of pods.
    pub replicas: i32,
    /// `spec.selector`: which pods the controller counts as its own (an
    /// RC's map is compiled to equality requirements).
    pub selector: Rc<Selector>,
    /// `spec.template`.
    pub template: Rc<PodTemplate>,
    /// `spec.minReadySeconds`: how long a pod must be Ready before it
    /// counts as available.
    pub min_ready_seconds: u64,
}

/// `apps/v1.ReplicaSetStatus`, as the replica-set controller's
/// `calculateStatus` computes it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReplicaSetStatus {
    /// `status.replicas`: the active pods the controller owns.
    pub replicas: i32,
    /// `status.fullyLabeledReplicas`: those whose labels match the
    /// template's labels.
    pub fully_labeled_replicas: i32,
    /// `status.readyReplicas`: those with Ready=True.
    pub ready_replicas: i32,
    /// `status.availableReplicas`: those Ready for at least
    /// `minReadySeconds`.
    pub available_replicas: i32,
    /// `status.observedGeneration`: the `metadata.generation` the status
    /// was computed for.
    pub observed_generation: u64,
}

/// A ReplicaSet or ReplicationController: one type, as the replication
/// manager is one controller for both (`pkg/controller/replication` wraps
/// `pkg/controller/replicaset`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaSet {
    /// Which of the two kinds this is.
    pub kind: ReplicaKind,
    /// The object's metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: ReplicaSetSpec,
    /// The observed state, written by the controller.
    pub status: ReplicaSetStatus,
}

// ---- Digests for the trace hash (see `crate::sim::trace`).

impl Digest for PodTemplate {
    fn digest(&self, d: &mut Digester) {
        let PodTemplate { labels, annotations, spec } = self;
        labels.digest(d);
        annotations.digest(d);
        spec.digest(d);
    }
}

impl ReplicaSetSpec {
    /// Every spec field, with the (shared) template's digest given.
    pub fn digest_parts(&self, d: &mut Digester, template_digest: u64) {
        let ReplicaSetSpec { replicas, selector, template: _, min_ready_seconds } = self;
        replicas.digest(d);
        selector.digest(d);
        d.u64(template_digest);
        min_ready_seconds.digest(d);
    }
}

impl Digest for ReplicaSetStatus {
    fn digest(&self, d: &mut Digester) {
        let ReplicaSetStatus {
            replicas,
            fully_labeled_replicas,
            ready_replicas,
            available_replicas,
            observed_generation,
        } = self;
        replicas.digest(d);
        fully_labeled_replicas.digest(d);
        ready_replicas.digest(d);
        available_replicas.digest(d);
        observed_generation.digest(d);
    }
}

impl ReplicaSet {
    /// The version's digest from its parts' digests (`objects::digest`):
    /// `parts.spec` is the template's.
    pub fn digest_parts(&self, d: &mut Digester, parts: &Parts) {
        let ReplicaSet { kind, meta, spec, status } = self;
        d.tag(*kind as u64);
        meta.digest_parts(d, parts);
        spec.digest_parts(d, parts.spec);
        status.digest(d);
    }
}

impl Digest for ReplicaSet {
    fn digest(&self, d: &mut Digester) {
        self.digest_parts(d, &Parts::of_replica_set(self));
    }
}
