//! The kinds simulated through the generic store (`objects::typed`): each
//! is one module (the object, its strategy, its printing, its manifest
//! decoder) registered here. kubesim's first kinds (Pod, Node,
//! ReplicaSet/ReplicationController, Lease, Namespace) predate the
//! generic store and keep their own typed maps.

#![warn(missing_docs)]

pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod service;

use crate::objects::meta::ObjectMeta;
use crate::objects::typed::{KindInfo, TypedObject};
use crate::scenario::reader::{Fields, Reader};
use std::rc::Rc;

/// Reads a manifest's fields other than `apiVersion`, `kind` and
/// `metadata` (already read into the `ObjectMeta`); `None` after an error
/// was reported. The last argument ends the messages of unmodelled fields
/// (` in Service`).
pub type Decode = fn(&mut Reader, &mut Fields, ObjectMeta, &str) -> Option<Rc<dyn TypedObject>>;

/// A registered kind.
pub struct Registration {
    /// The kind.
    pub info: &'static KindInfo,
    /// Its manifest decoder.
    pub decode: Decode,
}

/// Every typed kind.
pub static KINDS: &[Registration] = &[
    Registration { info: &service::INFO, decode: service::decode },
    Registration { info: &deployment::INFO, decode: deployment::decode },
    Registration { info: &daemonset::INFO, decode: daemonset::decode },
    Registration { info: &endpoints::INFO, decode: endpoints::decode },
    Registration { info: &endpointslice::INFO, decode: endpointslice::decode },
];

/// The registration of `kind` served at `api_version`.
pub fn find(api_version: &str, kind: &str) -> Option<&'static Registration> {
    KINDS.iter().find(|r| r.info.kind == kind && r.info.api_version() == api_version)
}

/// The registration of `kind`, whatever the version.
pub fn by_kind(kind: &str) -> Option<&'static Registration> {
    KINDS.iter().find(|r| r.info.kind == kind)
}
