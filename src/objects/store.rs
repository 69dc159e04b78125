//! The store: the apiserver and etcd in one.
//!
//! One global revision stamps every write's `resourceVersion` (as etcd's
//! revision does); an update that carries a stale `resourceVersion` gets a
//! Conflict (HTTP 409); uids come from a counter. Every successful write is
//! one trace record and returns one watch event, which the simulation
//! delivers to informers after a network hop.
//!
//! The store also runs the admission and strategy logic that shapes objects
//! on the way in: `generateName` (5 random characters from the
//! `apiserver/generate-name` stream, retried on collision as the apiserver
//! does since RetryGenerateName), the `DefaultTolerationSeconds` plugin
//! (not-ready/unreachable NoExecute for 300 s), and the pod graceful-delete
//! strategy (unscheduled or terminal pods go at once; others get a
//! deletionTimestamp and are removed by the kubelet's final delete).

#![warn(missing_docs)]

use super::apivalidation;
use super::digest::DigestCache;
use super::lease::{Lease, RenewStream, NODE_LEASE_NAMESPACE};
use super::meta::{ObjectMeta, OwnerReference};
use super::node::{Node, NodeCondition, TAINT_NOT_READY, TAINT_UNREACHABLE};
use super::pod::{CondStatus, Condition, Pod, PodSpec, PodStatus, Taint, TaintEffect, Toleration};
use super::replicaset::{ReplicaKind, ReplicaSet, ReplicaSetStatus};
use super::text::{empty, lit};
use super::typed::{Allocators, TypedObject};
use super::{Kind, Namespace, Object, Unstructured};
use crate::sim::rng;
use crate::sim::trace::{Trace, Verb};
use crate::sim::{SimDuration, SimTime};
use indexmap::{IndexMap, IndexSet};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::fmt;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// A namespaced name: client-go's `types.NamespacedName` (the key of
/// `cache.MetaNamespaceKeyFunc`), printed `namespace/name`. Cluster-scoped
/// objects (nodes, namespaces) have an empty namespace. Keys order by
/// namespace, then name.
#[derive(Clone, Debug, Eq, PartialOrd, Ord)]
pub struct Key {
    /// `metadata.namespace`; empty for cluster-scoped kinds.
    pub namespace: Rc<str>,
    /// `metadata.name`, unique within the namespace and kind.
    pub name: Rc<str>,
}

/// Equal names and namespaces. A key is most often compared with a key
/// made from the same object's metadata (a map lookup that finds its
/// entry), whose strings are the same allocations: then no byte is
/// compared.
impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        let same = |a: &Rc<str>, b: &Rc<str>| Rc::ptr_eq(a, b) || **a == **b;
        same(&self.name, &other.name) && same(&self.namespace, &other.namespace)
    }
}

/// The strings' hash, as a derived `Hash` would write it (equal keys have
/// equal strings, so equal hashes).
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.namespace.hash(state);
        self.name.hash(state);
    }
}

impl Key {
    /// The key of `name` in `namespace` (`""` for cluster-scoped objects).
    pub fn new(namespace: &str, name: &str) -> Key {
        Key { namespace: namespace.into(), name: name.into() }
    }
    /// The key of the object `meta` describes.
    pub fn of(meta: &ObjectMeta) -> Key {
        Key { namespace: meta.namespace.clone(), name: meta.name.clone() }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// The type of a watch notification: apimachinery's `watch.EventType`
/// (`ADDED`, `MODIFIED`, `DELETED`; kubesim sends no `BOOKMARK` or
/// `ERROR`). Which of an informer's `OnAdd`/`OnUpdate`/`OnDelete` handlers
/// it reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    /// The object was created (`watch.Added`).
    Added,
    /// A new version of the object was written (`watch.Modified`),
    /// including the write that sets a pod's `deletionTimestamp`.
    Modified,
    /// The object was removed from the store (`watch.Deleted`); the event
    /// carries its last version.
    Deleted,
}

/// How dependents are treated when an owner is deleted:
/// `metav1.DeletionPropagation` (`DeleteOptions.propagationPolicy`,
/// `kubectl delete --cascade=background|foreground|orphan`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// `DeletePropagationBackground`, the default: the owner goes at once
    /// and the garbage collector deletes its dependents afterwards.
    Background,
    /// `DeletePropagationForeground`. kubesim adds no `foregroundDeletion`
    /// finalizer: the owner goes at once and its dependents are deleted as
    /// for `Background`.
    Foreground,
    /// `DeletePropagationOrphan`: the dependents are kept. An owner kind
    /// gets the `orphan` finalizer and stays until the garbage collector
    /// has removed their owner references to it, then the finalizer.
    Orphan,
}

/// One notification of a watch: the new version (or the last, for a
/// deletion) and the version before it.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    /// Whether the object was added, modified or deleted.
    pub kind: WatchKind,
    /// The object as written (for `Deleted`, its last stored version).
    pub obj: Object,
    /// The version it replaced (`None` for `Added`; for `Deleted`, the same
    /// version as `obj`), what an informer's `OnUpdate(old, new)` receives.
    pub old: Option<Object>,
    /// For deletions of owners: what the garbage collector does with the
    /// dependents (the apiserver records this as the `orphan` finalizer).
    pub propagation: Propagation,
}

/// The reason of a failed request: `metav1.StatusReason`, as apimachinery's
/// `errors.IsNotFound` / `IsConflict` / `IsAlreadyExists` / `IsInvalid`
/// tell them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiErrorCode {
    /// The object does not exist (or its namespace does not): HTTP 404,
    /// `StatusReasonNotFound`.
    NotFound,
    /// The write lost an optimistic-concurrency race: a stale
    /// `resourceVersion`, a uid precondition that does not hold, or a pod
    /// already bound. HTTP 409, `StatusReasonConflict`.
    Conflict,
    /// A create of a name that is taken: HTTP 409,
    /// `StatusReasonAlreadyExists`.
    AlreadyExists,
    /// Validation refused the object (or the request is not simulated):
    /// HTTP 422, `StatusReasonInvalid`.
    Invalid,
}

/// A failed API request: apimachinery's `errors.StatusError`, which a
/// client receives instead of the watch event a successful write yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The reason (`Status.reason`).
    pub code: ApiErrorCode,
    /// The apiserver's message (`Status.message`), e.g.
    /// `pods "web-1" not found`; `Display` prints it.
    pub message: String,
    /// The details of an Invalid error (`metav1.StatusDetails`).
    pub invalid: Option<Box<Invalid>>,
}

/// What an Invalid error names: the kind, the object, and each failed
/// rule (`field: Type: detail`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The object's kind (`StatusDetails.kind`), e.g. `Pod`.
    pub kind: String,
    /// The object's name (`StatusDetails.name`).
    pub name: String,
    /// One line per failed rule (`StatusDetails.causes`), as
    /// `field.Error.Error()` renders it: `field: Type: detail`.
    pub causes: Vec<String>,
}

impl ApiError {
    /// `errors.NewInvalid`: the message is `{Kind}[.{group}] "{name}" is
    /// invalid: {cause}` (several causes as `[c1, c2]`).
    pub fn invalid(kind: &str, group: &str, name: &str, causes: Vec<String>) -> ApiError {
        let qualified = if group.is_empty() { kind.to_string() } else { format!("{}.{}", kind, group) };
        let body = if causes.len() == 1 { causes[0].clone() } else { format!("[{}]", causes.join(", ")) };
        ApiError {
            code: ApiErrorCode::Invalid,
            message: format!("{} \"{}\" is invalid: {}", qualified, name, body),
            invalid: Some(Box::new(Invalid { kind: kind.into(), name: name.into(), causes })),
        }
    }

    /// The line kubectl prints for this error (`cmdutil.CheckErr`): an
    /// Invalid error as `The {Kind} "{name}" is invalid: {cause}` (several
    /// causes one per `* ` line), others as `Error from server ({reason}):
    /// {message}`.
    pub fn kubectl_message(&self) -> String {
        match &self.invalid {
            Some(inv) if inv.causes.len() == 1 => {
                format!("The {} \"{}\" is invalid: {}", inv.kind, inv.name, inv.causes[0])
            }
            Some(inv) => {
                let mut s = format!("The {} \"{}\" is invalid: ", inv.kind, inv.name);
                for c in &inv.causes {
                    s.push_str("\n* ");
                    s.push_str(c);
                }
                s
            }
            None => format!("Error from server ({:?}): {}", self.code, self.message),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn not_found(kind: &str, name: &str) -> ApiError {
    ApiError {
        invalid: None,
        code: ApiErrorCode::NotFound,
        message: format!("{} \"{}\" not found", kind.to_ascii_lowercase(), name),
    }
}

fn conflict(kind: &str, name: &str) -> ApiError {
    ApiError {
        invalid: None,
        code: ApiErrorCode::Conflict,
        message: format!(
            "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
            kind.to_ascii_lowercase(),
            name
        ),
    }
}

/// A uid precondition that does not hold: `Preconditions.Check`
/// (`staging/src/k8s.io/apiserver/pkg/storage/interfaces.go`), reported as
/// a Conflict.
fn precondition_failed(kind: &str, name: &str, want: u64, got: u64) -> ApiError {
    ApiError {
        invalid: None,
        code: ApiErrorCode::Conflict,
        message: format!(
            "Operation cannot be fulfilled on {} \"{}\": Precondition failed: UID in precondition: {}, UID in object meta: {}",
            kind.to_ascii_lowercase(),
            name,
            want,
            got
        ),
    }
}

/// A write request, as it reaches the apiserver. Status writes are patches
/// of the status only (the kubelet and controllers PATCH status, so they do
/// not conflict with spec writers); `Update` replaces metadata and spec and
/// is checked against `resourceVersion` when asked.
#[derive(Clone, Debug)]
pub enum ApiOp {
    /// A POST: creates the object. The namespace defaults to `default` and
    /// must exist; an empty name is generated from `generateName`; the
    /// store sets uid, `resourceVersion`, `generation` 1 and
    /// `creationTimestamp`, and runs admission (DefaultTolerationSeconds
    /// for pods). A taken name is AlreadyExists.
    Create(Object),
    /// A PUT of metadata and spec: labels, annotations, owner references
    /// and the spec are replaced; status and server-set metadata are kept.
    /// A ReplicaSet's `generation` is bumped when its spec changes (an
    /// unmodelled object's when its body does); a pod's spec may change
    /// only as `ValidatePodUpdate` allows.
    Update {
        /// The object as the client wants it stored.
        obj: Object,
        /// Check `obj`'s `resourceVersion` against the stored one and
        /// answer Conflict when they differ (a client's GET-modify-PUT);
        /// `false` is a last-writer-wins write, as a patch is.
        check_rv: bool,
    },
    /// `pods/binding`: sets `spec.nodeName` and PodScheduled=True.
    Bind {
        /// The pod to bind.
        key: Key,
        /// Its uid: a re-created pod of the same name is a Conflict.
        uid: u64,
        /// The node the scheduler chose.
        node: Rc<str>,
    },
    /// Replaces a pod's status (the kubelet's status manager).
    PodStatus {
        /// The pod.
        key: Key,
        /// Its uid, as a precondition.
        uid: u64,
        /// The new `v1.PodStatus`. A pod in a terminal phase cannot leave
        /// it (Invalid); a DisruptionTarget condition already set is kept.
        status: Rc<PodStatus>,
    },
    /// Sets one pod condition (PodScheduled=False from the scheduler,
    /// Ready=False from MarkPodsNotReady).
    PodCondition {
        /// The pod.
        key: Key,
        /// Its uid, as a precondition.
        uid: u64,
        /// Which condition to set.
        which: PodConditionType,
        /// The condition; its `lastTransitionTime` is kept when the status
        /// does not change.
        cond: Condition,
    },
    /// Sets a node's Ready condition (`v1.NodeStatus.conditions`), as the
    /// kubelet's status update and the node-lifecycle controller's
    /// Unknown do; `lastTransitionTime` is kept when the status does not
    /// change.
    NodeReady {
        /// The node's name.
        name: Rc<str>,
        /// The new Ready condition.
        cond: NodeCondition,
    },
    /// Edits a node's `spec.taints`, as the node-lifecycle controller
    /// does (`controller.AddOrUpdateTaintOnNode` /
    /// `RemoveTaintOffNode`).
    NodeTaints {
        /// The node's name.
        name: Rc<str>,
        /// Taints to add; one with the same key and effect already there
        /// is left as it is.
        add: Vec<Taint>,
        /// Taints to remove, by key and effect.
        remove: Vec<(String, TaintEffect)>,
    },
    /// `UpdateStatus` (a PUT of the status subresource): it carries the
    /// object's uid and resourceVersion as preconditions, so it never lands
    /// on a re-created object of the same name nor over a newer version
    /// (`None`: the version the client's GET just returned, see
    /// `updateReplicaSetStatus`).
    ReplicaSetStatus {
        /// ReplicaSet or ReplicationController.
        kind: ReplicaKind,
        /// The object.
        key: Key,
        /// The uid precondition (`Preconditions.UID`); a mismatch is a
        /// Conflict.
        uid: Option<u64>,
        /// The `resourceVersion` precondition; a mismatch is a Conflict.
        resource_version: Option<u64>,
        /// The new status.
        status: ReplicaSetStatus,
    },
    /// `UpdateStatus` of a typed kind with a status subresource
    /// (`TypedObject::with_status_of`): the stored object takes `obj`'s
    /// status and annotations; `obj`'s uid and, with `check_rv`, its `resourceVersion` are
    /// preconditions (Conflict).
    TypedStatus {
        /// The object with the status to write.
        obj: Rc<dyn TypedObject>,
        /// Check `obj`'s `resourceVersion` against the stored one.
        check_rv: bool,
    },
    /// A kubelet's node Lease renewal (the `nodelease` controller's
    /// `sync`: the Lease is created when it does not exist, else its
    /// `renewTime` is updated, and an owner reference to the Node is added
    /// when it has none, `setNodeOwnerFunc`). A renewal that changes only
    /// `renewTime` is folded (`Store::renew_lease`). `stream`: the
    /// renewal interval, when this renewal starts an analytic stream.
    RenewLease {
        /// The Lease as the kubelet wants it (`spec.renewTime` = now).
        lease: Rc<Lease>,
        /// The renewal interval, when this renewal starts an analytic
        /// stream.
        stream: Option<SimDuration>,
    },
    /// A patch that removes one finalizer (the garbage collector's
    /// `removeFinalizer`: a strategic merge patch's `$deleteFromPrimitiveList`,
    /// so nothing else of the object is touched). The last finalizer of an
    /// object being deleted going, the object goes.
    RemoveFinalizer {
        /// The kind of the object.
        kind: Kind,
        /// The API kind name for `Other` and typed objects.
        other_kind: Option<String>,
        /// The object.
        key: Key,
        /// The uid precondition; a mismatch is a Conflict.
        uid: u64,
        /// The finalizer to remove.
        finalizer: &'static str,
    },
    /// A patch that removes one owner reference (the garbage collector's
    /// `orphanDependents`: a patch of `ownerReferences` alone, on the live
    /// object, so nothing else of it is touched).
    RemoveOwnerReference {
        /// The kind of the dependent.
        kind: Kind,
        /// The API kind name for `Other` and typed objects.
        other_kind: Option<String>,
        /// The dependent.
        key: Key,
        /// Its uid; a mismatch is a Conflict.
        uid: u64,
        /// The owner whose reference goes.
        owner: u64,
    },
    /// A DELETE. A scheduled, non-terminal pod is deleted gracefully: it
    /// gets a `deletionTimestamp` and stays until its kubelet's final
    /// delete (`CheckGracefulDeleteStrategy`); everything else is removed
    /// at once. Deleting a Namespace is not simulated (Invalid).
    Delete {
        /// The kind of the object.
        kind: Kind,
        /// The API kind name for `Other` objects.
        other_kind: Option<String>,
        /// The object.
        key: Key,
        /// The uid precondition (`DeleteOptions.preconditions.uid`); a
        /// mismatch is a Conflict.
        uid: Option<u64>,
        /// `DeleteOptions.gracePeriodSeconds`; `None` uses the pod's
        /// `terminationGracePeriodSeconds`. A later delete can shorten the
        /// grace period, never extend it.
        grace_seconds: Option<u64>,
        /// `DeleteOptions.propagationPolicy`, carried on the Deleted event
        /// to the garbage collector.
        propagation: Propagation,
        /// Set by evictions: the DisruptionTarget condition reason.
        disruption: Option<&'static str>,
    },
}

impl ApiOp {
    /// A pod deletion: graceful unless `grace_seconds` says otherwise,
    /// guarded by the pod's uid (a re-created pod of the same name is not
    /// deleted by mistake).
    pub fn delete_pod(key: Key, uid: u64, grace_seconds: Option<u64>, disruption: Option<&'static str>) -> ApiOp {
        ApiOp::Delete {
            kind: Kind::Pod,
            other_kind: None,
            key,
            uid: Some(uid),
            grace_seconds,
            propagation: Propagation::Background,
            disruption,
        }
    }
}

/// The pod conditions `ApiOp::PodCondition` can set
/// (`v1.PodConditionType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodConditionType {
    /// `PodScheduled`: the scheduler's False/Unschedulable.
    PodScheduled,
    /// `Ready`: the node-lifecycle controller's `MarkPodsNotReady`.
    Ready,
}

/// The apiserver and its etcd: every stored object by kind, one global
/// revision, and the write path (`apply`). Reads are direct (the fields and
/// getters), as a quorum GET would be; components read through their
/// informer caches instead, which lag by the watch's network hop.
pub struct Store {
    revision: u64,
    next_uid: u64,
    name_rng: ChaCha8Rng,
    /// Namespaces by name.
    pub namespaces: Map<Rc<str>, Rc<Namespace>>,
    /// Nodes by name.
    pub nodes: Map<Rc<str>, Rc<Node>>,
    /// Pods by namespace/name.
    pub pods: Map<Key, Rc<Pod>>,
    /// ReplicaSets and ReplicationControllers, by kind and namespace/name.
    pub replicasets: Map<(ReplicaKind, Key), Rc<ReplicaSet>>,
    /// Objects of kinds stored but not simulated (and custom resources),
    /// by API kind name and namespace/name.
    pub others: Map<(String, Key), Rc<Unstructured>>,
    /// Leases by namespace/name (the node Leases live in
    /// `kube-node-lease`).
    pub leases: Map<Key, Rc<Lease>>,
    /// Objects of the typed kinds of the generic store (`typed`), by kind
    /// name and namespace/name.
    pub typed: Map<(String, Key), Rc<dyn TypedObject>>,
    /// Service cluster IPs and node ports in use.
    alloc: Allocators,
    /// The pods bound to each node (the index a kubelet's LIST with a
    /// `spec.nodeName` field selector and `kubectl drain` read; a hashed
    /// set keeps the write path cheap, the rare reader sorts).
    pods_by_node: FxHashMap<Rc<str>, IndexSet<Key, FxBuildHasher>>,
    /// The part digests of live objects, for the trace hash.
    digests: DigestCache,
    /// Label and annotation maps already validated (shared ones repeat).
    valid_maps: apivalidation::ValidMaps,
    /// DefaultTolerationSeconds results by the spec it was given (pods made
    /// from one template share their spec): input pointer → (input, output).
    /// Holding the input keeps its address from being reused.
    admitted_specs: FxHashMap<usize, (Rc<PodSpec>, Rc<PodSpec>)>,
}

/// How many distinct specs `admitted_specs` remembers before starting over.
const ADMITTED_SPECS: usize = 64;

const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Store {
    /// An empty store at revision 0. `seed` seeds the `generateName`
    /// stream (`apiserver/generate-name`).
    pub fn new(seed: u64) -> Store {
        Store {
            revision: 0,
            next_uid: 1,
            name_rng: rng::stream(seed, "apiserver/generate-name"),
            namespaces: Map::default(),
            nodes: Map::default(),
            pods: Map::default(),
            replicasets: Map::default(),
            others: Map::default(),
            leases: Map::default(),
            typed: Map::default(),
            alloc: Allocators::new(seed),
            pods_by_node: FxHashMap::default(),
            digests: DigestCache::default(),
            valid_maps: Default::default(),
            admitted_specs: FxHashMap::default(),
        }
    }

    /// The current revision: the `resourceVersion` of the latest write
    /// (etcd's revision). Folded Lease renewals do not advance it.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The pod with this key, if it is stored.
    pub fn pod(&self, key: &Key) -> Option<&Rc<Pod>> {
        self.pods.get(key)
    }

    /// The ReplicaSet or ReplicationController with this key, if stored.
    pub fn replica_set(&self, kind: ReplicaKind, key: &Key) -> Option<&Rc<ReplicaSet>> {
        self.replicasets.get(&(kind, key.clone()))
    }

    /// Applies one write. On success the write is in the trace and its watch
    /// event is returned for delivery.
    pub fn apply(&mut self, now: SimTime, op: ApiOp, trace: &mut Trace) -> Result<WatchEvent, ApiError> {
        let ev = match op {
            ApiOp::Create(obj) => self.create(now, obj)?,
            ApiOp::Update { obj, check_rv } => self.update(obj, check_rv)?,
            ApiOp::Bind { key, uid, node } => self.modify_pod(&key, Some(uid), |p| {
                // `setPodNodeAndMetadata`'s refusals, as `assignPod`'s
                // `NewConflict` on `pods/binding`.
                if p.meta.deletion_timestamp.is_some() {
                    return Err(ApiError {
                        invalid: None,
                        code: ApiErrorCode::Conflict,
                        message: format!(
                            "Operation cannot be fulfilled on pods/binding \"{}\": pod {} is being deleted, cannot be assigned to a host",
                            key.name, key.name
                        ),
                    });
                }
                if p.spec.node_name.is_some() {
                    return Err(ApiError {
                        invalid: None,
                        code: ApiErrorCode::Conflict,
                        // `BindingREST.assignPod`'s `NewConflict` on
                        // `pods/binding` (pkg/registry/core/pod/storage).
                        message: format!(
                            "Operation cannot be fulfilled on pods/binding \"{}\": pod {} is already assigned to node \"{}\"",
                            key.name,
                            key.name,
                            p.node_name().unwrap_or("")
                        ),
                    });
                }
                Rc::make_mut(&mut p.spec).node_name = Some(node.clone());
                Rc::make_mut(&mut p.status).conditions.pod_scheduled = Some(Condition::new(CondStatus::True, now));
                Ok(())
            })?,
            ApiOp::PodStatus { key, uid, status } => self.modify_pod(&key, Some(uid), |p| {
                // A terminal phase is final: the apiserver rejects a
                // transition out of Succeeded/Failed.
                if p.status.phase.is_terminal() && status.phase != p.status.phase {
                    return Err(ApiError {
                        invalid: None,
                        code: ApiErrorCode::Invalid,
                        message: "pod phase is terminal".into(),
                    });
                }
                // The kubelet does not know of DisruptionTarget: a status
                // without it keeps the one set by the eviction.
                let keep_target = p.status.conditions.disruption_target.clone();
                p.status = status;
                if p.status.conditions.disruption_target.is_none() && keep_target.is_some() {
                    Rc::make_mut(&mut p.status).conditions.disruption_target = keep_target;
                }
                Ok(())
            })?,
            ApiOp::PodCondition { key, uid, which, cond } => self.modify_pod(&key, Some(uid), |p| {
                let conditions = &mut Rc::make_mut(&mut p.status).conditions;
                let slot = match which {
                    PodConditionType::PodScheduled => &mut conditions.pod_scheduled,
                    PodConditionType::Ready => &mut conditions.ready,
                };
                let mut cond = cond;
                if let Some(old) = slot.as_ref() {
                    if old.status == cond.status {
                        cond.last_transition_time = old.last_transition_time;
                    }
                }
                // MarkPodsNotReady sets the Ready condition only; the
                // container statuses keep what the kubelet last reported, so
                // kubectl's READY column still counts them.
                *slot = Some(cond);
                Ok(())
            })?,
            ApiOp::NodeReady { name, cond } => self.modify_node(&name, |n| {
                let mut cond = cond;
                if n.status.ready.status == cond.status {
                    cond.last_transition_time = n.status.ready.last_transition_time;
                }
                n.status.ready = cond;
                Ok(())
            })?,
            ApiOp::NodeTaints { name, add, remove } => self.modify_node(&name, |n| {
                n.spec.taints.retain(|t| !remove.iter().any(|(k, e)| *k == t.key && *e == t.effect));
                for t in add {
                    if !n.spec.taints.iter().any(|x| x.key == t.key && x.effect == t.effect) {
                        n.spec.taints.push(t);
                    }
                }
                Ok(())
            })?,
            ApiOp::ReplicaSetStatus { kind, key, uid, resource_version, status } => {
                let k = (kind, key.clone());
                let cur = self.replicasets.get(&k).ok_or_else(|| not_found(kind.as_str(), &key.name))?;
                // `Preconditions.Check` (apiserver/pkg/storage) runs first;
                // its invalid-object error is a Conflict
                // (`interpretUpdateError`); then the optimistic lock.
                if let Some(u) = uid.filter(|u| *u != cur.meta.uid) {
                    return Err(precondition_failed(kind.as_str(), &key.name, u, cur.meta.uid));
                }
                if resource_version.is_some_and(|rv| rv != cur.meta.resource_version) {
                    return Err(conflict(kind.as_str(), &key.name));
                }
                let mut new = (**cur).clone();
                new.status = status;
                self.revision += 1;
                new.meta.resource_version = self.revision;
                let new = Rc::new(new);
                let old = self.replicasets.insert(k, new.clone()).map(Object::ReplicaSet);
                WatchEvent {
                    kind: WatchKind::Modified,
                    obj: Object::ReplicaSet(new),
                    old,
                    propagation: Propagation::Background,
                }
            }
            ApiOp::TypedStatus { obj, check_rv } => {
                let info = obj.info();
                let key = Key::of(obj.meta());
                let k = (info.kind.to_string(), key.clone());
                let cur = self.typed.get(&k).ok_or_else(|| not_found(info.kind, &key.name))?;
                if cur.meta().uid != obj.meta().uid
                    || (check_rv && cur.meta().resource_version != obj.meta().resource_version)
                {
                    return Err(conflict(info.kind, &key.name));
                }
                let Some(new) = cur.with_status_of(&*obj) else {
                    return Err(ApiError {
                        invalid: None,
                        code: ApiErrorCode::NotFound,
                        message: format!("the server could not find the requested resource ({}/status)", info.kind),
                    });
                };
                // The status strategies (`deploymentStatusStrategy.
                // PrepareForUpdate`) reset the spec and labels only: the
                // annotations written with the status are kept (the
                // deployment controller's revision annotation).
                let mut meta = cur.meta().clone();
                meta.annotations = obj.meta().annotations.clone();
                self.revision += 1;
                meta.resource_version = self.revision;
                let new = new.with_meta(meta);
                let old = self.typed.insert(k, new.clone()).map(Object::Typed);
                WatchEvent {
                    kind: WatchKind::Modified,
                    obj: Object::Typed(new),
                    old,
                    propagation: Propagation::Background,
                }
            }
            ApiOp::Delete { kind, other_kind, key, uid, grace_seconds, propagation, disruption } => {
                self.delete(now, kind, other_kind, key, uid, grace_seconds, propagation, disruption)?
            }
            ApiOp::RemoveFinalizer { kind, other_kind, key, uid, finalizer } => {
                self.patch_meta(kind, other_kind, key, uid, |m| m.finalizers.retain(|f| &**f != finalizer))?
            }
            ApiOp::RemoveOwnerReference { kind, other_kind, key, uid, owner } => {
                self.patch_meta(kind, other_kind, key, uid, |m| m.owner_references.retain(|o| o.uid != owner))?
            }
            ApiOp::RenewLease { lease, stream } => match self.renew_lease(now, lease, stream)? {
                (ev, true) => return Ok(ev),
                (ev, false) => ev,
            },
        };
        let obj = &ev.obj;
        let meta = obj.meta();
        let verb = match ev.kind {
            WatchKind::Added => Verb::Create,
            WatchKind::Modified => Verb::Update,
            WatchKind::Deleted => Verb::Delete,
        };
        if let Object::Pod(p) = obj {
            let new = Some(p).filter(|_| ev.kind != WatchKind::Deleted);
            self.index_pod(ev.old.as_ref(), new);
        }
        let state = self.digests.digest(obj, ev.old.as_ref(), ev.kind == WatchKind::Deleted);
        trace.write(now, self.revision, verb, obj.kind_name(), &meta.namespace, &meta.name, state, &obj.summary());
        Ok(ev)
    }

    /// Keeps `pods_by_node` up to date with one pod write.
    fn index_pod(&mut self, old: Option<&Object>, new: Option<&Rc<Pod>>) {
        let old_node = match old {
            Some(Object::Pod(o)) => o.spec.node_name.as_ref(),
            _ => None,
        };
        let new_node = new.and_then(|p| p.spec.node_name.as_ref());
        if old_node == new_node {
            return;
        }
        if let (Some(n), Some(Object::Pod(o))) = (old_node, old) {
            if let Some(set) = self.pods_by_node.get_mut(n) {
                set.swap_remove(&Key::of(&o.meta));
                if set.is_empty() {
                    self.pods_by_node.remove(n);
                }
            }
        }
        if let (Some(n), Some(p)) = (new_node, new) {
            self.pods_by_node.entry(n.clone()).or_default().insert(Key::of(&p.meta));
        }
    }

    /// The pods bound to `node`, in key order (namespace, then name), as
    /// a LIST with the field selector `spec.nodeName=<node>` returns them.
    pub fn pods_on_node(&self, node: &str) -> Vec<Rc<Pod>> {
        let Some(keys) = self.pods_by_node.get(node) else { return Vec::new() };
        let mut keys: Vec<&Key> = keys.iter().collect();
        keys.sort_unstable();
        keys.into_iter().map(|k| self.pods[k].clone()).collect()
    }

    /// The Lease of `node` in `kube-node-lease`.
    pub fn node_lease(&self, node: &str) -> Option<&Rc<Lease>> {
        self.leases.get(&Key::new(NODE_LEASE_NAMESPACE, node))
    }

    /// The Lease renewal: a create when there is none, a folded write when
    /// only `renewTime` (and the analytic stream) changes — no revision,
    /// no trace record; the watch event still goes out — else a normal
    /// write. Returns the event and whether it was folded.
    fn renew_lease(
        &mut self,
        now: SimTime,
        lease: Rc<Lease>,
        stream: Option<SimDuration>,
    ) -> Result<(WatchEvent, bool), ApiError> {
        let key = Key::of(&lease.meta);
        let mut want = (*lease).clone();
        want.stream = stream
            .and_then(|interval| want.spec.renew_time.map(|anchor| RenewStream { anchor, interval, stopped: None }));
        let Some(cur) = self.leases.get(&key).cloned() else {
            self.set_node_owner(&mut want);
            return Ok((self.create(now, Object::Lease(Rc::new(want)))?, false));
        };
        // `newLease` renews a copy of the Lease it holds: only renewTime
        // changes (and the owner reference, when missing).
        let mut new = (*cur).clone();
        new.spec.renew_time = want.spec.renew_time;
        new.stream = want.stream;
        self.set_node_owner(&mut new);
        let folded = new.same_but_renewal(&cur);
        if !folded {
            self.revision += 1;
            new.meta.resource_version = self.revision;
        }
        let new = Rc::new(new);
        self.leases.insert(key, new.clone());
        let ev = WatchEvent {
            kind: WatchKind::Modified,
            obj: Object::Lease(new),
            old: Some(Object::Lease(cur)),
            propagation: Propagation::Background,
        };
        Ok((ev, folded))
    }

    /// `setNodeOwnerFunc` (pkg/kubelet/nodelease): a node Lease without
    /// owner references gets one to its Node.
    fn set_node_owner(&self, l: &mut Lease) {
        if !l.meta.owner_references.is_empty() || *l.meta.namespace != *NODE_LEASE_NAMESPACE {
            return;
        }
        if let Some(n) = self.nodes.get(&*l.meta.name) {
            l.meta.owner_references.push(OwnerReference {
                api_version: "v1".into(),
                kind: "Node".into(),
                name: n.meta.name.clone(),
                uid: n.meta.uid,
                controller: false,
                block_owner_deletion: false,
            });
        }
    }

    /// The analytic model: the renewals of `node`'s Lease stop reaching
    /// the store from `at` on (its kubelet crashed or lost the apiserver).
    /// A folded write: the event goes to informers, not to the trace.
    pub fn stop_lease_renewals(&mut self, node: &str, at: SimTime) -> Option<WatchEvent> {
        let key = Key::new(NODE_LEASE_NAMESPACE, node);
        let cur = self.leases.get(&key)?.clone();
        let st = cur.stream?;
        if st.stopped.is_some_and(|s| s <= at) {
            return None;
        }
        let mut new = (*cur).clone();
        new.stream = Some(RenewStream { stopped: Some(at), ..st });
        // What was renewed stays written when the stream is gone.
        new.spec.renew_time = new.renew_time_at(SimTime::MAX);
        let new = Rc::new(new);
        self.leases.insert(key, new.clone());
        Some(WatchEvent {
            kind: WatchKind::Modified,
            obj: Object::Lease(new),
            old: Some(Object::Lease(cur)),
            propagation: Propagation::Background,
        })
    }

    fn generate_name(&mut self, prefix: &str) -> String {
        // `names.SimpleNameGenerator`: prefix (truncated to leave room) + 5
        // characters from an alphabet without vowels and look-alikes.
        let max_prefix = 63 - 5;
        let prefix = if prefix.len() > max_prefix { &prefix[..max_prefix] } else { prefix };
        let mut s = String::with_capacity(prefix.len() + 5);
        s.push_str(prefix);
        for _ in 0..5 {
            s.push(NAME_ALPHABET[self.name_rng.gen_range(0..NAME_ALPHABET.len())] as char);
        }
        s
    }

    fn exists(&self, kind: Kind, other_kind: Option<&str>, key: &Key) -> bool {
        match kind {
            Kind::Namespace => self.namespaces.contains_key(&key.name),
            Kind::Node => self.nodes.contains_key(&key.name),
            Kind::Pod => self.pods.contains_key(key),
            Kind::ReplicationController => {
                self.replicasets.contains_key(&(ReplicaKind::ReplicationController, key.clone()))
            }
            Kind::ReplicaSet => self.replicasets.contains_key(&(ReplicaKind::ReplicaSet, key.clone())),
            Kind::Lease => self.leases.contains_key(key),
            Kind::Other => {
                let k = (other_kind.unwrap_or("").to_string(), key.clone());
                self.others.contains_key(&k) || self.typed.contains_key(&k)
            }
        }
    }

    fn create(&mut self, now: SimTime, obj: Object) -> Result<WatchEvent, ApiError> {
        let kind = obj.kind();
        let kind_name = obj.kind_name().to_string();
        let mut meta = obj.meta().clone();
        let namespaced = obj.namespaced();
        if namespaced {
            if meta.namespace.is_empty() {
                meta.namespace = "default".into();
            }
            if !self.namespaces.contains_key(&meta.namespace) {
                return Err(not_found("namespaces", &meta.namespace));
            }
        } else {
            meta.namespace = "".into();
        }
        if meta.name.is_empty() {
            let prefix = meta.generate_name.clone().unwrap_or_default();
            // RetryGenerateName: up to 8 attempts before AlreadyExists.
            let mut name = self.generate_name(&prefix);
            for _ in 0..7 {
                if !self.exists(kind, Some(&kind_name), &Key::new(&meta.namespace, &name)) {
                    break;
                }
                name = self.generate_name(&prefix);
            }
            meta.name = name.into();
        }
        // Strategy validation (`ValidateObjectMeta`) runs before the
        // storage's AlreadyExists check.
        let mut errs = apivalidation::object_name(&kind_name, &meta);
        errs.extend(self.valid_maps.check(&meta));
        if !meta.finalizers.is_empty() {
            errs.extend(finalizer_update_errors(&meta.finalizers, &ObjectMeta::default()));
        }
        if let Object::Pod(p) = &obj {
            errs.extend(apivalidation::pod_hostname(&p.spec));
        }
        if !errs.is_empty() {
            return Err(ApiError::invalid(&kind_name, api_group(&obj), &meta.name, errs));
        }
        let key = Key::of(&meta);
        if self.exists(kind, Some(&kind_name), &key) {
            return Err(ApiError {
                invalid: None,
                code: ApiErrorCode::AlreadyExists,
                message: format!("{} \"{}\" already exists", kind_name.to_ascii_lowercase(), key.name),
            });
        }
        // The kind's create strategy (defaulting, validation, allocation)
        // runs once the name is known to be free.
        let obj = match obj {
            // The strategy sees the name and uid the object will have (a
            // Job's generated selector is its uid).
            Object::Typed(ref t) => match t
                .with_meta(ObjectMeta { name: meta.name.clone(), uid: self.next_uid, ..t.meta().clone() })
                .prepare_create(&mut self.alloc)
            {
                Ok(t) => {
                    // The strategy may default labels (a Job takes its
                    // template's, `SetDefaults_Job`).
                    meta.labels = t.meta().labels.clone();
                    Object::Typed(t)
                }
                Err(errs) => return Err(ApiError::invalid(&kind_name, api_group(&obj), &meta.name, errs)),
            },
            o => o,
        };
        self.revision += 1;
        meta.uid = self.next_uid;
        self.next_uid += 1;
        meta.resource_version = self.revision;
        // `metadata.generation` counts spec changes of the kinds whose
        // strategy tracks it.
        meta.generation = match &obj {
            Object::Typed(t) if !t.info().tracks_generation => 0,
            _ => 1,
        };
        meta.creation_timestamp = now;
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
        let stored = match obj {
            Object::Pod(p) => {
                let mut p = (*p).clone();
                p.meta = meta;
                self.admit_spec(&mut p);
                if p.spec.node_name.is_some() {
                    Rc::make_mut(&mut p.status).conditions.pod_scheduled = None;
                }
                Object::Pod(Rc::new(p))
            }
            Object::ReplicaSet(r) => {
                let mut r = (*r).clone();
                r.meta = meta;
                // `SetDefaults_ReplicationController`: an RC without labels
                // takes its template's (apps/v1 ReplicaSets do not).
                if r.kind == ReplicaKind::ReplicationController && r.meta.labels.is_empty() {
                    r.meta.labels = r.spec.template.labels.clone();
                }
                r.status = ReplicaSetStatus::default();
                Object::ReplicaSet(Rc::new(r))
            }
            other => other.with_meta(meta),
        };
        self.put(&stored);
        Ok(WatchEvent { kind: WatchKind::Added, obj: stored, old: None, propagation: Propagation::Background })
    }

    /// Replaces metadata (labels, annotations, owner references) and spec;
    /// status and server-set metadata are kept.
    fn update(&mut self, obj: Object, check_rv: bool) -> Result<WatchEvent, ApiError> {
        let key = Key::of(obj.meta());
        let cur = match &obj {
            Object::Other(u) => self.others.get(&(u.kind.clone(), key.clone())).cloned().map(Object::Other),
            Object::Typed(t) => self.typed.get(&(t.info().kind.to_string(), key.clone())).cloned().map(Object::Typed),
            o => self.get(o.kind(), &key),
        }
        .ok_or_else(|| not_found(obj.kind_name(), &key.name))?;
        if check_rv && cur.meta().resource_version != obj.meta().resource_version {
            return Err(conflict(obj.kind_name(), &key.name));
        }
        let refuse = |causes: Vec<String>| Err(ApiError::invalid(obj.kind_name(), api_group(&obj), &key.name, causes));
        // Metadata rules, for maps the update replaces (unchanged ones
        // were valid when written).
        let (m, cm) = (obj.meta(), cur.meta());
        if !Rc::ptr_eq(&m.labels, &cm.labels) || !Rc::ptr_eq(&m.annotations, &cm.annotations) {
            let errs = self.valid_maps.check(m);
            if !errs.is_empty() {
                return refuse(errs);
            }
        }
        if m.finalizers != cm.finalizers {
            let errs = finalizer_update_errors(&m.finalizers, cm);
            if !errs.is_empty() {
                return refuse(errs);
            }
        }
        // The new spec, within what `ValidatePodUpdate` allows.
        let (new, spec_changed) = match (&cur, &obj) {
            (Object::Pod(c), Object::Pod(p)) => {
                let mut n = (**c).clone();
                if !Rc::ptr_eq(&p.spec, &c.spec) && *p.spec != *c.spec {
                    let spec = updated_pod_spec(p, c);
                    if *spec != *c.spec {
                        let errs = apivalidation::pod_spec_update(&spec, &c.spec);
                        if !errs.is_empty() {
                            return refuse(errs);
                        }
                        n.spec = spec;
                    }
                }
                (Object::Pod(Rc::new(n)), false)
            }
            (Object::ReplicaSet(c), Object::ReplicaSet(r)) => {
                let errs = apivalidation::replica_set_update(r, c);
                if !errs.is_empty() {
                    return refuse(errs);
                }
                let mut n = (**c).clone();
                n.spec = r.spec.clone();
                (Object::ReplicaSet(Rc::new(n)), r.spec != c.spec)
            }
            (Object::Node(c), Object::Node(r)) => {
                let mut n = (**c).clone();
                n.spec = r.spec.clone();
                (Object::Node(Rc::new(n)), false)
            }
            (Object::Other(c), Object::Other(u)) => (obj.clone(), u.body != c.body),
            (Object::Typed(c), Object::Typed(t)) => match c.prepare_update(&**t, &mut self.alloc) {
                Ok((n, changed)) => (Object::Typed(n), changed),
                Err(errs) => return refuse(errs),
            },
            (Object::Lease(c), Object::Lease(l)) => {
                // A user's write of the spec; the analytic renewals go on.
                let mut n = (**c).clone();
                n.spec = l.spec.clone();
                (Object::Lease(Rc::new(n)), false)
            }
            _ => (cur.clone(), false),
        };
        self.revision += 1;
        let m = obj.meta();
        let mut meta = cur.meta().clone();
        meta.labels = match &new {
            Object::Typed(t) => t.defaulted_labels(m).unwrap_or_else(|| m.labels.clone()),
            _ => m.labels.clone(),
        };
        meta.annotations = m.annotations.clone();
        meta.owner_references = m.owner_references.clone();
        meta.finalizers = m.finalizers.clone();
        if !check_rv {
            // A patch (kubectl apply) merges `finalizers` as a list: the
            // garbage collector's, which the apiserver added and no
            // manifest carries, stay.
            for f in cm.finalizers.iter().filter(|f| GC_FINALIZERS.contains(&&***f)) {
                if !meta.finalizers.contains(f) {
                    meta.finalizers.push(f.clone());
                }
            }
        }
        meta.resource_version = self.revision;
        if spec_changed && meta.generation > 0 {
            meta.generation += 1;
        }
        // `shouldDeleteDuringUpdate` (the generic registry's store): the
        // last finalizer of an object being deleted, whose grace period is
        // over (none, or 0), is removed: the object goes.
        let new = new.with_meta(meta);
        Ok(self.store_updated(cur, new))
    }

    /// Stores an update's result, or, when it removed the last finalizer
    /// of an object being deleted whose grace period is over, deletes it
    /// (`shouldDeleteDuringUpdate`).
    fn store_updated(&mut self, cur: Object, new: Object) -> WatchEvent {
        let (m, cm) = (new.meta(), cur.meta());
        let gone = m.finalizers.is_empty()
            && cm.deletion_timestamp.is_some()
            && cm.deletion_grace_period_seconds.is_none_or(|g| g == 0);
        if gone {
            self.remove(&new);
            return WatchEvent {
                kind: WatchKind::Deleted,
                obj: new,
                old: Some(cur),
                propagation: Propagation::Background,
            };
        }
        self.put(&new);
        WatchEvent { kind: WatchKind::Modified, obj: new, old: Some(cur), propagation: Propagation::Background }
    }

    /// A metadata patch on the live object (`ApiOp::RemoveFinalizer`,
    /// `ApiOp::RemoveOwnerReference`).
    fn patch_meta(
        &mut self,
        kind: Kind,
        other_kind: Option<String>,
        key: Key,
        uid: u64,
        patch: impl FnOnce(&mut ObjectMeta),
    ) -> Result<WatchEvent, ApiError> {
        let cur = match (kind, &other_kind) {
            (Kind::Other, Some(k)) => {
                let k = (k.clone(), key.clone());
                self.typed
                    .get(&k)
                    .cloned()
                    .map(Object::Typed)
                    .or_else(|| self.others.get(&k).cloned().map(Object::Other))
            }
            _ => self.get(kind, &key),
        };
        let name = other_kind.as_deref().unwrap_or(kind.as_str());
        let cur = cur.ok_or_else(|| not_found(name, &key.name))?;
        if cur.meta().uid != uid {
            return Err(conflict(name, &key.name));
        }
        let mut meta = cur.meta().clone();
        patch(&mut meta);
        self.revision += 1;
        meta.resource_version = self.revision;
        let new = cur.with_meta(meta);
        Ok(self.store_updated(cur, new))
    }

    /// A delete of an object whose finalizers are not all gone
    /// (`updateForGracefulDeletionAndFinalizers` with `markAsDeleting`):
    /// it stays, marked as being deleted, until a client removes the last
    /// one (`update`).
    fn mark_deleting(&mut self, cur: Object, now: SimTime, propagation: Propagation) -> WatchEvent {
        let meta = cur.meta().clone();
        self.mark_deleting_with(cur, meta, now, propagation)
    }

    /// `mark_deleting`, the object's metadata first changed to `meta` (its
    /// finalizers, by the delete's propagation): the event's old version
    /// is `cur` as it was stored.
    fn mark_deleting_with(
        &mut self,
        cur: Object,
        mut meta: ObjectMeta,
        now: SimTime,
        propagation: Propagation,
    ) -> WatchEvent {
        if meta.deletion_timestamp.is_none() && meta.generation > 0 {
            meta.generation += 1;
        }
        if meta.deletion_timestamp.is_none_or(|t| t > now) {
            meta.deletion_timestamp = Some(now);
        }
        meta.deletion_grace_period_seconds = Some(0);
        self.revision += 1;
        meta.resource_version = self.revision;
        let new = cur.with_meta(meta);
        self.put(&new);
        WatchEvent { kind: WatchKind::Modified, obj: new, old: Some(cur), propagation }
    }

    /// The stored owner a delete names, if it is of a kind the garbage
    /// collector orphans for (`ORPHAN_OWNERS`, ReplicaSets and RCs).
    fn deleting_owner(&self, kind: Kind, other_kind: &Option<String>, key: &Key) -> Option<Object> {
        match (kind, other_kind) {
            (Kind::Other, Some(k)) => self.typed.get(&(k.clone(), key.clone())).cloned().map(Object::Typed),
            (Kind::ReplicaSet | Kind::ReplicationController, _) => self.get(kind, key),
            _ => None,
        }
    }

    /// Takes an object out of its kind's map (its last finalizer went).
    fn remove(&mut self, obj: &Object) {
        let key = Key::of(obj.meta());
        match obj {
            Object::Pod(_) => {
                self.pods.swap_remove(&key);
            }
            Object::Node(_) => {
                self.nodes.swap_remove(&key.name);
            }
            Object::ReplicaSet(r) => {
                self.replicasets.swap_remove(&(r.kind, key));
            }
            Object::Namespace(_) => {
                self.namespaces.swap_remove(&key.name);
            }
            Object::Lease(_) => {
                self.leases.swap_remove(&key);
            }
            Object::Other(u) => {
                self.others.swap_remove(&(u.kind.clone(), key));
            }
            Object::Typed(t) => {
                if let Some(cur) = self.typed.swap_remove(&(t.info().kind.to_string(), key)) {
                    cur.release(&mut self.alloc);
                }
            }
        }
    }

    fn modify_pod(
        &mut self,
        key: &Key,
        uid: Option<u64>,
        f: impl FnOnce(&mut Pod) -> Result<(), ApiError>,
    ) -> Result<WatchEvent, ApiError> {
        let slot = self.pods.get_mut(key).ok_or_else(|| not_found("pods", &key.name))?;
        if uid.is_some_and(|u| u != slot.meta.uid) {
            return Err(conflict("pods", &key.name));
        }
        let mut new = (**slot).clone();
        f(&mut new)?;
        self.revision += 1;
        new.meta.resource_version = self.revision;
        let new = Rc::new(new);
        let cur = std::mem::replace(slot, new.clone());
        Ok(WatchEvent {
            kind: WatchKind::Modified,
            obj: Object::Pod(new),
            old: Some(Object::Pod(cur)),
            propagation: Propagation::Background,
        })
    }

    fn modify_node(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Node) -> Result<(), ApiError>,
    ) -> Result<WatchEvent, ApiError> {
        let cur = self.nodes.get(name).ok_or_else(|| not_found("nodes", name))?.clone();
        let mut new = (*cur).clone();
        f(&mut new)?;
        self.revision += 1;
        new.meta.resource_version = self.revision;
        let new = Rc::new(new);
        self.nodes.insert(cur.meta.name.clone(), new.clone());
        Ok(WatchEvent {
            kind: WatchKind::Modified,
            obj: Object::Node(new),
            old: Some(Object::Node(cur)),
            propagation: Propagation::Background,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn delete(
        &mut self,
        now: SimTime,
        kind: Kind,
        other_kind: Option<String>,
        key: Key,
        uid: Option<u64>,
        grace_seconds: Option<u64>,
        propagation: Propagation,
        disruption: Option<&'static str>,
    ) -> Result<WatchEvent, ApiError> {
        let check_uid = |meta: &ObjectMeta, kind: &str| match uid {
            Some(u) if u != meta.uid => Err(conflict(kind, &meta.name)),
            _ => Ok(()),
        };
        let removed =
            |obj: Object| WatchEvent { kind: WatchKind::Deleted, obj: obj.clone(), old: Some(obj), propagation };
        // `deletionFinalizersForGarbageCollection`: Orphan propagation puts
        // the garbage collector's `orphan` finalizer on the owner, which
        // then stays until the collector has released its dependents; an
        // explicit Background or Foreground takes it off.
        let owner_kind = matches!(kind, Kind::ReplicaSet | Kind::ReplicationController)
            || other_kind.as_deref().is_some_and(|k| ORPHAN_OWNERS.contains(&k));
        if owner_kind {
            if let Some(cur) = self.deleting_owner(kind, &other_kind, &key) {
                check_uid(cur.meta(), cur.kind_name())?;
                let m = cur.meta();
                let orphan = m.has_finalizer(FINALIZER_ORPHAN);
                if (propagation == Propagation::Orphan) != orphan {
                    let mut meta = m.clone();
                    meta.finalizers.retain(|f| &**f != FINALIZER_ORPHAN);
                    if propagation == Propagation::Orphan {
                        meta.finalizers.push(FINALIZER_ORPHAN.into());
                    }
                    if !meta.finalizers.is_empty() {
                        return Ok(self.mark_deleting_with(cur, meta, now, propagation));
                    }
                    self.put(&cur.with_meta(meta));
                }
            }
        }
        match kind {
            Kind::Pod => {
                let cur = self.pods.get(&key).ok_or_else(|| not_found("pods", &key.name))?.clone();
                check_uid(&cur.meta, "pods")?;
                // Pod strategy `CheckGracefulDeleteStrategy`: unscheduled and
                // terminal pods are deleted at once.
                let grace = if cur.spec.node_name.is_none() || cur.status.phase.is_terminal() {
                    0
                } else {
                    grace_seconds.unwrap_or(cur.spec.termination_grace_period_seconds)
                };
                if grace == 0 && !cur.meta.finalizers.is_empty() {
                    // Kept for its finalizers. A graceful delete shortened
                    // to 0 moves the timestamp back by the old grace
                    // (`BeforeDelete`); otherwise `markAsDeleting`.
                    let mut meta = cur.meta.clone();
                    meta.deletion_timestamp = match (meta.deletion_timestamp, meta.deletion_grace_period_seconds) {
                        (Some(t), Some(g)) if g > 0 => Some(SimTime(t.0.saturating_sub(g * 1_000_000_000))),
                        (Some(t), _) => Some(t.min(now)),
                        (None, _) => Some(now),
                    };
                    meta.deletion_grace_period_seconds = Some(0);
                    self.revision += 1;
                    meta.resource_version = self.revision;
                    let new = Rc::new(Pod { meta, ..(*cur).clone() });
                    self.pods.insert(key, new.clone());
                    let (obj, old) = (Object::Pod(new), Some(Object::Pod(cur)));
                    return Ok(WatchEvent { kind: WatchKind::Modified, obj, old, propagation });
                }
                if grace == 0 {
                    self.revision += 1;
                    self.pods.swap_remove(&key);
                    return Ok(removed(Object::Pod(cur)));
                }
                let deadline = now + crate::sim::SimDuration::from_secs(grace);
                if let Some(existing) = cur.meta.deletion_timestamp {
                    // A later delete can shorten but never extend the grace.
                    if existing <= deadline && disruption.is_none() {
                        self.revision += 1;
                        let mut same = (*cur).clone();
                        same.meta.resource_version = self.revision;
                        let same = Rc::new(same);
                        self.pods.insert(key, same.clone());
                        return Ok(WatchEvent {
                            kind: WatchKind::Modified,
                            obj: Object::Pod(same),
                            old: Some(Object::Pod(cur)),
                            propagation,
                        });
                    }
                }
                self.modify_pod(&key, None, |p| {
                    let keep = p.meta.deletion_timestamp.is_some_and(|t| t <= deadline);
                    if !keep {
                        p.meta.deletion_timestamp = Some(deadline);
                        p.meta.deletion_grace_period_seconds = Some(grace);
                    }
                    if let Some(reason) = disruption {
                        let mut c = Condition::new(CondStatus::True, now);
                        c.reason = Some(reason.into());
                        c.message = Some("Taint manager: deleting due to NoExecute taint".into());
                        Rc::make_mut(&mut p.status).conditions.disruption_target = Some(c);
                    }
                    Ok(())
                })
                .map(|mut ev| {
                    ev.propagation = propagation;
                    ev
                })
            }
            Kind::Node => {
                let cur = self.nodes.get(&key.name).ok_or_else(|| not_found("nodes", &key.name))?.clone();
                check_uid(&cur.meta, "nodes")?;
                if !cur.meta.finalizers.is_empty() {
                    return Ok(self.mark_deleting(Object::Node(cur), now, propagation));
                }
                self.revision += 1;
                self.nodes.swap_remove(&key.name);
                Ok(removed(Object::Node(cur)))
            }
            Kind::ReplicationController | Kind::ReplicaSet => {
                let rk =
                    if kind == Kind::ReplicaSet { ReplicaKind::ReplicaSet } else { ReplicaKind::ReplicationController };
                let k = (rk, key.clone());
                let cur = self.replicasets.get(&k).ok_or_else(|| not_found(rk.as_str(), &key.name))?.clone();
                check_uid(&cur.meta, rk.as_str())?;
                if !cur.meta.finalizers.is_empty() {
                    return Ok(self.mark_deleting(Object::ReplicaSet(cur), now, propagation));
                }
                self.revision += 1;
                self.replicasets.swap_remove(&k);
                Ok(removed(Object::ReplicaSet(cur)))
            }
            Kind::Lease => {
                let cur = self.leases.get(&key).ok_or_else(|| not_found("leases", &key.name))?.clone();
                check_uid(&cur.meta, "leases")?;
                if !cur.meta.finalizers.is_empty() {
                    return Ok(self.mark_deleting(Object::Lease(cur), now, propagation));
                }
                self.revision += 1;
                self.leases.swap_remove(&key);
                Ok(removed(Object::Lease(cur)))
            }
            Kind::Namespace => Err(ApiError {
                invalid: None,
                code: ApiErrorCode::Invalid,
                message: format!("deleting namespace \"{}\" is not simulated", key.name),
            }),
            Kind::Other if self.typed.contains_key(&(other_kind.clone().unwrap_or_default(), key.clone())) => {
                let k = (other_kind.unwrap_or_default(), key.clone());
                let cur = self.typed[&k].clone();
                check_uid(cur.meta(), &k.0)?;
                if !cur.meta().finalizers.is_empty() {
                    return Ok(self.mark_deleting(Object::Typed(cur), now, propagation));
                }
                self.revision += 1;
                self.typed.swap_remove(&k);
                cur.release(&mut self.alloc);
                Ok(removed(Object::Typed(cur)))
            }
            Kind::Other => {
                let k = (other_kind.unwrap_or_default(), key.clone());
                let cur = self.others.get(&k).ok_or_else(|| not_found(&k.0, &key.name))?.clone();
                check_uid(&cur.meta, &k.0)?;
                if !cur.meta.finalizers.is_empty() {
                    return Ok(self.mark_deleting(Object::Other(cur), now, propagation));
                }
                self.revision += 1;
                self.others.swap_remove(&k);
                Ok(removed(Object::Other(cur)))
            }
        }
    }

    /// Files an object version in its kind's map (insert or replace).
    fn put(&mut self, obj: &Object) {
        let key = Key::of(obj.meta());
        match obj {
            Object::Pod(p) => {
                self.pods.insert(key, p.clone());
            }
            Object::Node(n) => {
                self.nodes.insert(key.name, n.clone());
            }
            Object::ReplicaSet(r) => {
                self.replicasets.insert((r.kind, key), r.clone());
            }
            Object::Namespace(n) => {
                self.namespaces.insert(key.name, n.clone());
            }
            Object::Lease(l) => {
                self.leases.insert(key, l.clone());
            }
            Object::Other(u) => {
                self.others.insert((u.kind.clone(), key), u.clone());
            }
            Object::Typed(t) => {
                self.typed.insert((t.info().kind.to_string(), key), t.clone());
            }
        }
    }

    /// Looks an object up by kind and key (for kubectl verbs).
    pub fn get(&self, kind: Kind, key: &Key) -> Option<Object> {
        match kind {
            Kind::Namespace => self.namespaces.get(&key.name).cloned().map(Object::Namespace),
            Kind::Node => self.nodes.get(&key.name).cloned().map(Object::Node),
            Kind::Pod => self.pods.get(key).cloned().map(Object::Pod),
            Kind::ReplicationController => self
                .replicasets
                .get(&(ReplicaKind::ReplicationController, key.clone()))
                .cloned()
                .map(Object::ReplicaSet),
            Kind::ReplicaSet => {
                self.replicasets.get(&(ReplicaKind::ReplicaSet, key.clone())).cloned().map(Object::ReplicaSet)
            }
            Kind::Lease => self.leases.get(key).cloned().map(Object::Lease),
            Kind::Other => None,
        }
    }
}

/// The garbage collector's finalizer for Orphan propagation
/// (`metav1.FinalizerOrphanDependents`).
pub const FINALIZER_ORPHAN: &str = "orphan";

/// The finalizers the apiserver adds for the garbage collector.
const GC_FINALIZERS: [&str; 2] = [FINALIZER_ORPHAN, "foregroundDeletion"];

/// The typed kinds whose dependents kubesim's garbage collector releases
/// under Orphan (with ReplicaSets and ReplicationControllers): the apiserver
/// gives them the `orphan` finalizer. (Upstream gives it to every kind
/// with garbage collection; kubesim's other kinds own nothing.)
const ORPHAN_OWNERS: [&str; 4] = ["Deployment", "DaemonSet", "Job", "CronJob"];

/// `ValidateObjectMetaUpdate`'s finalizer rules for a change of
/// `metadata.finalizers` from `cur`'s: each name valid
/// (`ValidateFinalizerName`), not both deletion policies, and no new one
/// once the object is being deleted (`ValidateNoNewFinalizers`).
fn finalizer_update_errors(new: &[Rc<str>], cur: &ObjectMeta) -> Vec<String> {
    let mut errs = Vec::new();
    // (`ValidateNoNewFinalizers` comes first in `ValidateObjectMetaUpdate`.)
    if cur.deletion_timestamp.is_some() {
        let mut extra: Vec<&str> = new.iter().filter(|f| !cur.has_finalizer(f)).map(|f| &**f).collect();
        extra.sort_unstable();
        extra.dedup();
        if !extra.is_empty() {
            let list: Vec<String> = extra.iter().map(|f| format!("{:?}", f)).collect();
            errs.push(format!(
                "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                list.join(", ")
            ));
        }
    }
    // `ValidateFinalizers`: each name (one cause per message, on the
    // unindexed path, as upstream passes it), then the policies.
    for f in new {
        for msg in super::validation::finalizer_name(f) {
            errs.push(format!("metadata.finalizers: {}", super::validation::invalid(f, &[msg])));
        }
    }
    let refs: Vec<&str> = new.iter().map(|f| &**f).collect();
    if let Some(msg) = super::validation::finalizer_policies(&refs) {
        errs.push(format!("metadata.finalizers: {}", msg));
    }
    errs
}

/// The API group of an object's kind, as `errors.NewInvalid` qualifies it.
fn api_group(obj: &Object) -> &str {
    match obj {
        Object::ReplicaSet(r) if r.kind == ReplicaKind::ReplicaSet => "apps",
        Object::Lease(_) => "coordination.k8s.io",
        Object::Other(u) => u.api_version.rsplit_once('/').map_or("", |(g, _)| g),
        Object::Typed(t) => t.info().group,
        _ => "",
    }
}

/// The spec a pod update asks for, as `kubectl apply` patches it: fields a
/// manifest leaves out keep their live values — `nodeName` (set by the
/// binding), `hostname` (an Indexed Job's controller sets it) and the
/// tolerations admission added at create
/// (`DefaultTolerationSeconds`, applied again so that they are not taken
/// as removed).
fn updated_pod_spec(new: &Pod, cur: &Pod) -> Rc<PodSpec> {
    let mut p = Pod { meta: ObjectMeta::default(), spec: new.spec.clone(), status: PodStatus::initial() };
    if p.spec.node_name.is_none() && cur.spec.node_name.is_some() {
        Rc::make_mut(&mut p.spec).node_name = cur.spec.node_name.clone();
    }
    if p.spec.hostname.is_none() && cur.spec.hostname.is_some() {
        Rc::make_mut(&mut p.spec).hostname = cur.spec.hostname.clone();
    }
    default_toleration_seconds(&mut p);
    p.spec
}

/// The `DefaultTolerationSeconds` admission plugin: every pod that does not
/// already tolerate `not-ready` / `unreachable` NoExecute gets a 300 s
/// toleration for each (docs/kubernetes-behaviour.md §4.2).
fn default_toleration_seconds(p: &mut Pod) {
    const SECONDS: i64 = 300;
    let probe =
        |key: &str| Taint { key: key.into(), value: String::new(), effect: TaintEffect::NoExecute, time_added: None };
    let mut add = Vec::new();
    for key in [TAINT_NOT_READY, TAINT_UNREACHABLE] {
        let taint = probe(key);
        let has = p.spec.tolerations.iter().any(|t| {
            (t.effect.is_none() || t.effect == Some(TaintEffect::NoExecute))
                && (*t.key == *key || (t.key.is_empty() && t.exists))
                && t.tolerates(&taint)
        });
        if !has {
            add.push(Toleration {
                key: lit(key),
                exists: true,
                value: empty(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: Some(SECONDS),
            });
        }
    }
    if !add.is_empty() {
        Rc::make_mut(&mut p.spec).tolerations.extend(add);
    }
}

impl Store {
    /// Admission of a pod's spec (DefaultTolerationSeconds), done once per
    /// distinct spec: pods created from one template share the result.
    fn admit_spec(&mut self, p: &mut Pod) {
        let key = Rc::as_ptr(&p.spec) as usize;
        if let Some((input, output)) = self.admitted_specs.get(&key) {
            if Rc::ptr_eq(input, &p.spec) {
                p.spec = output.clone();
                return;
            }
        }
        let input = p.spec.clone();
        default_toleration_seconds(p);
        if self.admitted_specs.len() >= ADMITTED_SPECS {
            self.admitted_specs.clear();
        }
        self.admitted_specs.insert(key, (input, p.spec.clone()));
    }
}

/// Convenience for controllers: an owner reference to a replica set.
pub fn controller_ref_to(rs: &ReplicaSet) -> OwnerReference {
    OwnerReference {
        api_version: rs.kind.api_version().into(),
        kind: rs.kind.as_str().into(),
        name: rs.meta.name.clone(),
        uid: rs.meta.uid,
        controller: true,
        block_owner_deletion: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::pod::{PodPhase, PodSpec};
    use crate::sim::SimDuration;

    fn pod(name: &str) -> Object {
        let spec = crate::scenario::workload::trace_spec(100, 1 << 20);
        Object::Pod(Rc::new(Pod {
            meta: ObjectMeta { name: name.into(), namespace: "default".into(), ..Default::default() },
            spec: Rc::new(PodSpec { restart_policy: crate::objects::pod::RestartPolicy::Always, ..spec }),
            status: Default::default(),
        }))
    }

    fn store() -> (Store, Trace) {
        let mut s = Store::new(1);
        let mut t = Trace::new();
        let ns =
            Object::Namespace(Rc::new(Namespace { meta: ObjectMeta { name: "default".into(), ..Default::default() } }));
        s.apply(SimTime::ZERO, ApiOp::Create(ns), &mut t).unwrap();
        (s, t)
    }

    fn secs(s: u64) -> SimTime {
        SimTime(SimDuration::from_secs(s).0)
    }

    #[test]
    fn every_write_bumps_one_global_revision() {
        let (mut s, mut t) = store();
        let a = s.apply(secs(1), ApiOp::Create(pod("a")), &mut t).unwrap();
        let b = s.apply(secs(1), ApiOp::Create(pod("b")), &mut t).unwrap();
        assert_eq!(a.obj.meta().resource_version + 1, b.obj.meta().resource_version);
        assert_eq!(s.revision(), b.obj.meta().resource_version);
        assert_ne!(a.obj.meta().uid, b.obj.meta().uid);
        assert_eq!(t.record_count(), 3);
    }

    #[test]
    fn stale_resource_version_is_a_conflict() {
        let (mut s, mut t) = store();
        let created = s.apply(secs(1), ApiOp::Create(pod("a")), &mut t).unwrap().obj;
        let mut meta = created.meta().clone();
        Rc::make_mut(&mut meta.labels).insert("x".into(), "1".into());
        let first = created.with_meta(meta.clone());
        s.apply(secs(2), ApiOp::Update { obj: first, check_rv: true }, &mut t).unwrap();
        // The same (now stale) version again: 409.
        Rc::make_mut(&mut meta.labels).insert("x".into(), "2".into());
        let stale = created.with_meta(meta);
        let err = s.apply(secs(3), ApiOp::Update { obj: stale.clone(), check_rv: true }, &mut t).unwrap_err();
        assert_eq!(err.code, ApiErrorCode::Conflict);
        assert!(err.message.contains("the object has been modified"));
        // Without the precondition (a PATCH) it goes through.
        assert!(s.apply(secs(3), ApiOp::Update { obj: stale, check_rv: false }, &mut t).is_ok());
    }

    /// `spec.hostname` is validated at create (a DNS-1123 label), and an
    /// update whose spec leaves it out keeps the live value, as `kubectl
    /// apply` does for a field it never set.
    #[test]
    fn pod_hostname_is_validated_and_kept_by_updates() {
        let (mut s, mut t) = store();
        let with_hostname = |name: &str, h: Option<&str>| {
            let Object::Pod(mut p) = pod(name) else { unreachable!() };
            Rc::make_mut(&mut Rc::make_mut(&mut p).spec).hostname = h.map(Rc::from);
            Object::Pod(p)
        };
        let err = s.apply(secs(1), ApiOp::Create(with_hostname("a", Some("Web_0"))), &mut t).unwrap_err();
        assert_eq!(err.code, ApiErrorCode::Invalid);
        assert!(err.message.contains("spec.hostname: Invalid value: \"Web_0\""), "{}", err.message);
        let created = s.apply(secs(1), ApiOp::Create(with_hostname("b", Some("web-0"))), &mut t).unwrap().obj;
        let Object::Pod(live) = created else { unreachable!() };
        let mut again = (*live).clone();
        Rc::make_mut(&mut again.spec).hostname = None;
        Rc::make_mut(&mut again.meta.labels).insert("x".into(), "1".into());
        let ev = s.apply(secs(2), ApiOp::Update { obj: Object::Pod(Rc::new(again)), check_rv: false }, &mut t);
        let Object::Pod(updated) = ev.expect("an update that leaves hostname out").obj else { unreachable!() };
        assert_eq!(updated.spec.hostname.as_deref(), Some("web-0"));
    }

    #[test]
    fn generate_name_and_admission() {
        let (mut s, mut t) = store();
        let mut p = pod("");
        if let Object::Pod(pp) = &mut p {
            Rc::make_mut(pp).meta.generate_name = Some("web-".into());
        }
        let ev = s.apply(secs(1), ApiOp::Create(p), &mut t).unwrap();
        let Object::Pod(created) = &ev.obj else { panic!() };
        assert!(created.meta.name.starts_with("web-") && created.meta.name.len() == 9, "{}", created.meta.name);
        assert!(created.meta.name[4..].chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
        // DefaultTolerationSeconds: not-ready and unreachable, NoExecute, 300 s.
        let tol: Vec<_> = created.spec.tolerations.iter().map(|t| (&*t.key, t.toleration_seconds)).collect();
        assert_eq!(
            tol,
            vec![("node.kubernetes.io/not-ready", Some(300)), ("node.kubernetes.io/unreachable", Some(300))]
        );
        assert_eq!(s.apply(secs(1), ApiOp::Create(pod("x")), &mut t).map(|_| ()), Ok(()));
        assert_eq!(s.apply(secs(1), ApiOp::Create(pod("x")), &mut t).unwrap_err().code, ApiErrorCode::AlreadyExists);
        let mut other = pod("y");
        if let Object::Pod(pp) = &mut other {
            Rc::make_mut(pp).meta.namespace = "nowhere".into();
        }
        assert_eq!(s.apply(secs(1), ApiOp::Create(other), &mut t).unwrap_err().code, ApiErrorCode::NotFound);
    }

    #[test]
    fn graceful_deletion_rules() {
        let (mut s, mut t) = store();
        let uid = |s: &Store, n: &str| s.pod(&Key::new("default", n)).unwrap().meta.uid;
        // Unscheduled: removed at once.
        s.apply(secs(1), ApiOp::Create(pod("pending")), &mut t).unwrap();
        let u = uid(&s, "pending");
        let ev = s.apply(secs(2), ApiOp::delete_pod(Key::new("default", "pending"), u, None, None), &mut t).unwrap();
        assert_eq!(ev.kind, WatchKind::Deleted);
        // Bound: deletionTimestamp = now + 30 s, still there.
        s.apply(secs(1), ApiOp::Create(pod("bound")), &mut t).unwrap();
        let key = Key::new("default", "bound");
        let u = uid(&s, "bound");
        s.apply(secs(2), ApiOp::Bind { key: key.clone(), uid: u, node: "n1".into() }, &mut t).unwrap();
        let twice = s.apply(secs(2), ApiOp::Bind { key: key.clone(), uid: u, node: "n2".into() }, &mut t);
        assert_eq!(twice.unwrap_err().code, ApiErrorCode::Conflict, "a pod binds once");
        let ev = s.apply(secs(10), ApiOp::delete_pod(key.clone(), u, None, None), &mut t).unwrap();
        assert_eq!(ev.kind, WatchKind::Modified);
        assert_eq!(s.pod(&key).unwrap().meta.deletion_timestamp, Some(secs(40)));
        // A later delete may shorten the grace, never extend it.
        s.apply(secs(11), ApiOp::delete_pod(key.clone(), u, Some(60), None), &mut t).unwrap();
        assert_eq!(s.pod(&key).unwrap().meta.deletion_timestamp, Some(secs(40)));
        s.apply(secs(12), ApiOp::delete_pod(key.clone(), u, Some(5), None), &mut t).unwrap();
        assert_eq!(s.pod(&key).unwrap().meta.deletion_timestamp, Some(secs(17)));
        // A uid precondition protects a re-created pod of the same name.
        assert_eq!(
            s.apply(secs(13), ApiOp::delete_pod(key.clone(), u + 100, Some(0), None), &mut t).unwrap_err().code,
            ApiErrorCode::Conflict
        );
        // The kubelet's final delete (grace 0) removes it.
        let ev = s.apply(secs(13), ApiOp::delete_pod(key.clone(), u, Some(0), None), &mut t).unwrap();
        assert_eq!(ev.kind, WatchKind::Deleted);
        assert!(s.pod(&key).is_none());
    }

    fn lease(renew: u64) -> Rc<Lease> {
        Rc::new(Lease {
            meta: ObjectMeta { name: "n1".into(), namespace: NODE_LEASE_NAMESPACE.into(), ..Default::default() },
            spec: crate::objects::lease::LeaseSpec {
                holder_identity: Some("n1".into()),
                lease_duration_seconds: Some(40),
                renew_time: Some(secs(renew)),
                ..Default::default()
            },
            stream: None,
        })
    }

    #[test]
    fn lease_renewals_are_folded_writes() {
        let (mut s, mut t) = store();
        let ns = Object::Namespace(Rc::new(Namespace {
            meta: ObjectMeta { name: NODE_LEASE_NAMESPACE.into(), ..Default::default() },
        }));
        s.apply(secs(0), ApiOp::Create(ns), &mut t).unwrap();
        let node = Object::Node(Rc::new(crate::scenario::manifest::default_node(ObjectMeta {
            name: "n1".into(),
            ..Default::default()
        })));
        s.apply(secs(0), ApiOp::Create(node), &mut t).unwrap();
        let (records, rev) = (t.record_count(), s.revision());
        // The first renewal creates the Lease, owned by its Node: a write.
        let ev = s.apply(secs(1), ApiOp::RenewLease { lease: lease(1), stream: None }, &mut t).unwrap();
        assert_eq!(ev.kind, WatchKind::Added);
        assert_eq!((t.record_count(), s.revision()), (records + 1, rev + 1));
        let l = s.node_lease("n1").unwrap().clone();
        assert_eq!(&*l.meta.owner_references[0].kind, "Node");
        assert_eq!(l.meta.owner_references[0].uid, s.nodes["n1"].meta.uid);
        // A renewal changes renewTime only: folded — no record, no revision,
        // but a watch event for the informers.
        let ev = s.apply(secs(11), ApiOp::RenewLease { lease: lease(11), stream: None }, &mut t).unwrap();
        assert_eq!(ev.kind, WatchKind::Modified);
        assert_eq!((t.record_count(), s.revision()), (records + 1, rev + 1));
        let l = s.node_lease("n1").unwrap();
        assert_eq!(l.spec.renew_time, Some(secs(11)));
        assert_eq!(l.meta.resource_version, rev + 1);
        // The analytic stream: renewals every 10 s from 21 s, read at any
        // instant; stopped at 55 s (the one due then is lost).
        let interval = SimDuration::from_secs(10);
        s.apply(secs(21), ApiOp::RenewLease { lease: lease(21), stream: Some(interval) }, &mut t).unwrap();
        assert_eq!(s.node_lease("n1").unwrap().renew_time_at(secs(49)), Some(secs(41)));
        assert!(s.stop_lease_renewals("n1", secs(51)).is_some());
        assert!(s.stop_lease_renewals("n1", secs(60)).is_none(), "a later stop changes nothing");
        assert_eq!(s.node_lease("n1").unwrap().renew_time_at(secs(500)), Some(secs(41)));
        assert_eq!(t.record_count(), records + 1);
    }

    #[test]
    fn pods_by_node_index_follows_binds_and_deletes() {
        let (mut s, mut t) = store();
        for name in ["b", "a", "c"] {
            s.apply(secs(1), ApiOp::Create(pod(name)), &mut t).unwrap();
            let u = s.pod(&Key::new("default", name)).unwrap().meta.uid;
            let node = if name == "c" { "n2" } else { "n1" };
            s.apply(secs(2), ApiOp::Bind { key: Key::new("default", name), uid: u, node: node.into() }, &mut t)
                .unwrap();
        }
        let names = |s: &Store, n: &str| s.pods_on_node(n).iter().map(|p| p.meta.name.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&s, "n1"), ["a", "b"], "key order");
        assert_eq!(names(&s, "n2"), ["c"]);
        let u = s.pod(&Key::new("default", "a")).unwrap().meta.uid;
        s.apply(secs(3), ApiOp::delete_pod(Key::new("default", "a"), u, Some(0), None), &mut t).unwrap();
        assert_eq!(names(&s, "n1"), ["b"]);
        assert!(s.pods_on_node("n3").is_empty());
    }

    #[test]
    fn terminal_phase_is_final() {
        let (mut s, mut t) = store();
        s.apply(secs(1), ApiOp::Create(pod("p")), &mut t).unwrap();
        let key = Key::new("default", "p");
        let u = s.pod(&key).unwrap().meta.uid;
        let done = PodStatus { phase: PodPhase::Succeeded, ..Default::default() };
        s.apply(secs(2), ApiOp::PodStatus { key: key.clone(), uid: u, status: Rc::new(done) }, &mut t).unwrap();
        let back = PodStatus { phase: PodPhase::Running, ..Default::default() };
        let err = s.apply(secs(3), ApiOp::PodStatus { key, uid: u, status: Rc::new(back) }, &mut t).unwrap_err();
        assert_eq!(err.code, ApiErrorCode::Invalid);
        assert_eq!(s.pod(&Key::new("default", "p")).unwrap().status.phase, PodPhase::Succeeded);
    }
}
