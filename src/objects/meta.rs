//! Object metadata shared by every kind.

#![warn(missing_docs)]

use super::digest::Parts;
use super::selector::Labels;
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use std::collections::BTreeMap;
use std::rc::Rc;

/// `metadata.ownerReferences[]`. Owners are resolved by uid, never by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerReference {
    /// The owner's `apiVersion`, e.g. `apps/v1`. Shared (`Rc`): every
    /// write of a dependent copies its metadata, and a copy is then a
    /// reference count, not three string allocations.
    pub api_version: Rc<str>,
    /// The owner's kind, e.g. `ReplicaSet`.
    pub kind: Rc<str>,
    /// The owner's name (informational: the uid is what identifies it).
    pub name: Rc<str>,
    /// The owner's uid.
    pub uid: u64,
    /// Whether the owner is the managing controller; at most one reference
    /// has it (`metav1.GetControllerOf`).
    pub controller: bool,
    /// `blockOwnerDeletion`: under foreground deletion the owner waits for
    /// this dependent. Stored and shown; kubesim's foreground deletion
    /// does not wait.
    pub block_owner_deletion: bool,
}

/// `metav1.ObjectMeta`: the metadata every object carries. Clients set
/// name (or generateName), namespace, labels, annotations and owner
/// references; the store sets the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    /// `metadata.name`, unique per kind in its namespace; set from
    /// `generateName` on create when empty.
    pub name: Rc<str>,
    /// `metadata.generateName`: the prefix to which the apiserver appends
    /// 5 random characters when `name` is empty.
    pub generate_name: Option<Rc<str>>,
    /// Empty for cluster-scoped kinds.
    pub namespace: Rc<str>,
    /// Server-assigned, from a counter (deterministic); 0 before creation.
    pub uid: u64,
    /// The store revision of the last write to this object.
    pub resource_version: u64,
    /// Incremented on spec changes only.
    pub generation: u64,
    /// `metadata.labels`, what selectors match (shared between versions
    /// and between pods made from one template).
    pub labels: Rc<Labels>,
    /// `metadata.annotations` (kubesim reads `kubesim.io/behavior` on
    /// pods).
    pub annotations: Rc<BTreeMap<String, String>>,
    /// `metadata.ownerReferences`: the garbage collector deletes (or
    /// orphans) dependents whose owner is gone.
    pub owner_references: Vec<OwnerReference>,
    /// `metadata.creationTimestamp`: when the store created the object.
    pub creation_timestamp: SimTime,
    /// `metadata.deletionTimestamp`: set by a graceful delete to the time
    /// the grace period ends; the object is terminating from then on.
    pub deletion_timestamp: Option<SimTime>,
    /// `metadata.deletionGracePeriodSeconds`: the grace period of the
    /// delete that set `deletion_timestamp`.
    pub deletion_grace_period_seconds: Option<u64>,
    /// `metadata.finalizers`: while any is left, a deleted object stays
    /// (terminating, `deletion_timestamp` set) until a client removes the
    /// last one, which deletes it.
    pub finalizers: Vec<Rc<str>>,
}

impl Default for ObjectMeta {
    /// Empty metadata whose strings and maps are shared empties, so that
    /// `..Default::default()` allocates nothing.
    fn default() -> Self {
        thread_local! {
            static EMPTY_MAP: Rc<BTreeMap<String, String>> = Rc::default();
        }
        let empty_map = EMPTY_MAP.with(Rc::clone);
        ObjectMeta {
            name: super::text::empty(),
            generate_name: None,
            namespace: super::text::empty(),
            uid: 0,
            resource_version: 0,
            generation: 0,
            labels: empty_map.clone(),
            annotations: empty_map,
            owner_references: Vec::new(),
            creation_timestamp: SimTime::ZERO,
            deletion_timestamp: None,
            deletion_grace_period_seconds: None,
            finalizers: Vec::new(),
        }
    }
}

/// Marks the finalizers in a metadata digest.
const FINALIZERS_TAG: u64 = 0x6669_6e61_6c69_7a65;

impl ObjectMeta {
    /// Whether finalizer `name` is set.
    pub fn has_finalizer(&self, name: &str) -> bool {
        self.finalizers.iter().any(|f| &**f == name)
    }

    /// The owner reference with `controller: true`, if any.
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.owner_references.iter().find(|o| o.controller)
    }

    /// Whether a graceful delete has begun (`deletionTimestamp` is set).
    pub fn is_terminating(&self) -> bool {
        self.deletion_timestamp.is_some()
    }

    /// Renders the uid in the UUID shape real clusters use.
    pub fn uid_string(&self) -> String {
        uid_string(self.uid)
    }
}

/// Renders a uid from the store's counter as a UUID
/// (`00000000-0000-4000-8000-<uid in 12 hex digits>`), the shape of
/// `types.UID` on real clusters.
pub fn uid_string(uid: u64) -> String {
    format!("00000000-0000-4000-8000-{:012x}", uid)
}

impl Digest for OwnerReference {
    fn digest(&self, d: &mut Digester) {
        let OwnerReference { api_version, kind, name, uid, controller, block_owner_deletion } = self;
        api_version.digest(d);
        kind.digest(d);
        name.digest(d);
        uid.digest(d);
        controller.digest(d);
        block_owner_deletion.digest(d);
    }
}

impl ObjectMeta {
    /// The fields fixed at creation: name, generateName, namespace, uid,
    /// creationTimestamp (digested once per object).
    pub fn identity_digest(&self) -> u64 {
        let mut d = Digester::new();
        let ObjectMeta { name, generate_name, namespace, uid, creation_timestamp, .. } = self;
        name.digest(&mut d);
        generate_name.digest(&mut d);
        namespace.digest(&mut d);
        uid.digest(&mut d);
        creation_timestamp.digest(&mut d);
        d.finish()
    }

    /// Every metadata field, with the digests of the identity, the owner
    /// references and the (shared, often unchanged) label and annotation
    /// maps taken from `parts`.
    pub fn digest_parts(&self, d: &mut Digester, parts: &Parts) {
        let ObjectMeta {
            name: _,
            generate_name: _,
            namespace: _,
            uid: _,
            creation_timestamp: _,
            resource_version,
            generation,
            labels: _,
            annotations: _,
            owner_references: _,
            deletion_timestamp,
            deletion_grace_period_seconds,
            finalizers,
        } = self;
        d.u64(parts.identity);
        resource_version.digest(d);
        generation.digest(d);
        d.u64(parts.labels);
        d.u64(parts.annotations);
        d.u64(parts.owners);
        deletion_timestamp.digest(d);
        deletion_grace_period_seconds.digest(d);
        // Only when there are some: the digests of objects without
        // finalizers (almost all) stay what they were before they existed.
        if !finalizers.is_empty() {
            d.tag(FINALIZERS_TAG);
            d.u64(finalizers.len() as u64);
            for f in finalizers {
                f.digest(d);
            }
        }
    }
}

impl Digest for ObjectMeta {
    fn digest(&self, d: &mut Digester) {
        self.digest_parts(d, &Parts::of_meta(self));
    }
}
