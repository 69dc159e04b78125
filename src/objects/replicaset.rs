//! ReplicationController and ReplicaSet: one type, one controller
//! (k8s-semantics §5.2: RC is the RS code with an equality selector).

use super::meta::ObjectMeta;
use super::pod::PodSpec;
use super::selector::{Labels, Selector};
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
