//! API objects, labels and selectors, quantities, durations, and the store.
//!
//! These are lean types with Kubernetes field names (not the
//! generated k8s-openapi types): immutable versions shared through
//! `Rc`, so an informer's view of an object costs a pointer, not a copy.

#![warn(missing_docs)]

pub mod apivalidation;
pub mod digest;
pub mod duration;
pub mod env;
pub mod lease;
pub mod meta;
pub mod node;
pub mod pod;
pub mod probe;
pub mod quantity;
pub mod replicaset;
pub mod resource;
pub mod resources;
pub mod selector;
pub mod store;
pub mod text;
pub mod typed;
pub mod validation;

use lease::Lease;
use meta::ObjectMeta;
use node::Node;
use pod::Pod;
use replicaset::{ReplicaKind, ReplicaSet};
use std::fmt;
use std::rc::Rc;

/// The kinds the simulator models; everything else is `Other`, stored and
/// reported as not simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `v1.Namespace` (cluster-scoped).
    Namespace,
    /// `v1.Node` (cluster-scoped).
    Node,
    /// `v1.Pod`.
    Pod,
    /// `v1.ReplicationController`.
    ReplicationController,
    /// `apps/v1.ReplicaSet`.
    ReplicaSet,
    /// `coordination.k8s.io/v1.Lease`.
    Lease,
    /// Any other kind, custom resources included: stored, not simulated.
    Other,
}

impl Kind {
    /// The kind's name as the API spells it (`Pod`, `ReplicaSet`, …);
    /// `Other` for every unmodelled kind (`Object::kind_name` has the real
    /// one).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ReplicationController => "ReplicationController",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Lease => "Lease",
            Kind::Other => "Other",
        }
    }

    /// Whether objects of the kind live in a namespace
    /// (`APIResource.namespaced`): all but Namespace and Node. For `Other`
    /// this says `true`; `Unstructured::namespaced` has the real answer.
    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node)
    }

    /// Resolves the names kubectl accepts (`po`, `pods`, `rc`, `rs`, …).
    pub fn from_cli(s: &str) -> Option<Kind> {
        Some(match s.to_ascii_lowercase().as_str() {
            "pod" | "pods" | "po" => Kind::Pod,
            "node" | "nodes" | "no" => Kind::Node,
            "rc" | "replicationcontroller" | "replicationcontrollers" => Kind::ReplicationController,
            "rs" | "replicaset" | "replicasets" => Kind::ReplicaSet,
            "ns" | "namespace" | "namespaces" => Kind::Namespace,
            "lease" | "leases" => Kind::Lease,
            _ => return None,
        })
    }

    /// Resolves kubectl's names like `from_cli`, and also the typed kinds
    /// of the generic store (`svc`, `services`, `Service`): `Kind::Other`
    /// with the kind's name.
    pub fn resolve_cli(s: &str) -> Option<(Kind, Option<&'static str>)> {
        if let Some(k) = Kind::from_cli(s) {
            return Some((k, None));
        }
        let t = resource::ResourceTypes::default().resolve(s).cloned()?;
        crate::kinds::by_kind(&t.kind).map(|r| (Kind::Other, Some(r.info.kind)))
    }

    /// The kind of a ReplicaSet-shaped object.
    pub fn from_replica(k: ReplicaKind) -> Kind {
        match k {
            ReplicaKind::ReplicationController => Kind::ReplicationController,
            ReplicaKind::ReplicaSet => Kind::ReplicaSet,
        }
    }
}

/// The namespaces every cluster has from the start, as kubeadm and the
/// apiserver's system-namespaces controller create them.
pub const BUILTIN_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// A `v1.Namespace`: metadata only (no phase: deleting a namespace is not
/// simulated). `default`, `kube-system`, `kube-public` and
/// `kube-node-lease` exist from the start, as on a new cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// The namespace's metadata; its name is the namespace.
    pub meta: ObjectMeta,
}

/// A manifest of a kind the simulator does not model: kept as JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct Unstructured {
    /// `apiVersion`, e.g. `apps/v1` or a CRD's `group/version`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// The parsed `metadata`; the store owns it (uid, resourceVersion, …).
    pub meta: ObjectMeta,
    /// Whether the kind is namespaced (from the built-in kinds' table or
    /// the CRD's `spec.scope`).
    pub namespaced: bool,
    /// The whole manifest as applied, for `kubectl get -o yaml|json`.
    pub body: serde_json::Value,
}

/// One version of a stored object of any kind: what the store holds, what
/// watch events carry and what informer caches keep. Cloning costs one
/// `Rc` count.
#[derive(Clone, Debug)]
pub enum Object {
    /// A Namespace.
    Namespace(Rc<Namespace>),
    /// A Node.
    Node(Rc<Node>),
    /// A Pod.
    Pod(Rc<Pod>),
    /// A ReplicaSet or ReplicationController (`ReplicaSet::kind` says
    /// which).
    ReplicaSet(Rc<ReplicaSet>),
    /// A Lease.
    Lease(Rc<Lease>),
    /// An object of an unmodelled kind.
    Other(Rc<Unstructured>),
    /// An object of a kind simulated through the generic store
    /// (`typed::TypedObject`: Service, …). Its `Kind` is `Other`; its
    /// kind name is `TypedObject::info().kind`.
    Typed(Rc<dyn typed::TypedObject>),
}

impl Object {
    /// The object's `metadata`.
    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.meta,
            Object::Node(o) => &o.meta,
            Object::Pod(o) => &o.meta,
            Object::ReplicaSet(o) => &o.meta,
            Object::Lease(o) => &o.meta,
            Object::Other(o) => &o.meta,
            Object::Typed(o) => o.meta(),
        }
    }

    /// The object's kind (`Other` for unmodelled and typed kinds).
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Node(_) => Kind::Node,
            Object::Pod(_) => Kind::Pod,
            Object::ReplicaSet(r) => Kind::from_replica(r.kind),
            Object::Lease(_) => Kind::Lease,
            Object::Other(_) | Object::Typed(_) => Kind::Other,
        }
    }

    /// The kind's name as the API spells it (`Pod`, `Ingress`, …).
    pub fn kind_name(&self) -> &str {
        match self {
            Object::Other(u) => &u.kind,
            Object::Typed(t) => t.info().kind,
            o => o.kind().as_str(),
        }
    }

    /// Whether the object lives in a namespace.
    pub fn namespaced(&self) -> bool {
        match self {
            Object::Other(u) => u.namespaced,
            Object::Typed(t) => t.info().namespaced,
            o => o.kind().namespaced(),
        }
    }

    /// The kind name a `Kind::Other` object is filed under (the store's
    /// `ApiOp::Delete { other_kind }`); `None` for the enum's kinds.
    pub fn other_kind(&self) -> Option<String> {
        match self {
            Object::Other(u) => Some(u.kind.clone()),
            Object::Typed(t) => Some(t.info().kind.to_string()),
            _ => None,
        }
    }

    /// A new version of the object with other metadata.
    pub fn with_meta(&self, meta: ObjectMeta) -> Object {
        match self {
            Object::Pod(p) => Object::Pod(Rc::new(Pod { meta, ..(**p).clone() })),
            Object::Node(n) => Object::Node(Rc::new(Node { meta, ..(**n).clone() })),
            Object::ReplicaSet(r) => Object::ReplicaSet(Rc::new(ReplicaSet { meta, ..(**r).clone() })),
            Object::Namespace(_) => Object::Namespace(Rc::new(Namespace { meta })),
            Object::Lease(l) => Object::Lease(Rc::new(Lease { meta, ..(**l).clone() })),
            Object::Other(u) => Object::Other(Rc::new(Unstructured { meta, ..(**u).clone() })),
            Object::Typed(t) => Object::Typed(t.with_meta(meta)),
        }
    }

    /// A one-line summary of the state that matters, for the trace.
    pub fn summary(&self) -> Summary<'_> {
        Summary(self)
    }
}

/// The human summary of an object version, for the JSONL trace's
/// `detail` (the trace hash digests the full version: `digest`).
pub struct Summary<'a>(&'a Object);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Object::Pod(p) => {
                write!(
                    f,
                    "node={} phase={} ready={} restarts={}",
                    p.node_name().unwrap_or("-"),
                    p.status.phase.as_str(),
                    p.is_ready(),
                    p.restart_count()
                )?;
                if let Some(t) = p.meta.deletion_timestamp {
                    write!(f, " deletion={}", t.0)?;
                }
                if let Some(c) = p.meta.controller_ref() {
                    write!(f, " owner={}", c.uid)?;
                }
                for c in &p.status.container_statuses {
                    match &c.state {
                        pod::ContainerState::Waiting { reason, .. } => write!(f, " {}={}", c.name, reason)?,
                        pod::ContainerState::Running { .. } => write!(f, " {}=Running", c.name)?,
                        pod::ContainerState::Terminated(t) => write!(f, " {}={}:{}", c.name, t.reason, t.exit_code)?,
                    }
                }
                Ok(())
            }
            Object::Node(n) => {
                write!(f, "ready={} unschedulable={}", n.status.ready.status.as_str(), n.spec.unschedulable)?;
                for t in &n.spec.taints {
                    write!(f, " taint={}:{}", t.key, t.effect.as_str())?;
                }
                Ok(())
            }
            Object::ReplicaSet(r) => write!(
                f,
                "replicas={} status={}/{}/{} gen={}",
                r.spec.replicas,
                r.status.replicas,
                r.status.ready_replicas,
                r.status.available_replicas,
                r.meta.generation
            ),
            Object::Namespace(_) => f.write_str("-"),
            Object::Lease(l) => write!(f, "holder={}", l.spec.holder_identity.as_deref().unwrap_or("-")),
            Object::Other(u) => write!(f, "{} (not simulated)", u.api_version),
            Object::Typed(t) => t.summary(f),
        }
    }
}
