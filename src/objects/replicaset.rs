//! ReplicationController and ReplicaSet: one type, one controller
//! (docs/kubernetes-behaviour.md §5.2: RC is the RS code with an equality selector).

use super::digest::Parts;
use super::meta::ObjectMeta;
use super::pod::PodSpec;
use super::selector::{Labels, Selector};
use crate::sim::trace::{Digest, Digester};
use std::collections::BTreeMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReplicaKind {
    ReplicationController,
    ReplicaSet,
}

impl ReplicaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaKind::ReplicationController => "ReplicationController",
            ReplicaKind::ReplicaSet => "ReplicaSet",
        }
    }
    pub fn api_version(self) -> &'static str {
        match self {
            ReplicaKind::ReplicationController => "v1",
            ReplicaKind::ReplicaSet => "apps/v1",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTemplate {
    pub labels: Rc<Labels>,
    pub annotations: Rc<BTreeMap<String, String>>,
    pub spec: Rc<PodSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaSetSpec {
    pub replicas: i32,
    pub selector: Rc<Selector>,
    pub template: Rc<PodTemplate>,
    pub min_ready_seconds: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ReplicaSetStatus {
    pub replicas: i32,
    pub fully_labeled_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub observed_generation: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaSet {
    pub kind: ReplicaKind,
    pub meta: ObjectMeta,
    pub spec: ReplicaSetSpec,
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
