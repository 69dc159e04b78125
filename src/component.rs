//! Components users plug in: their own controllers and schedulers.
//!
//! A [`Controller`] reacts to the cluster the way a real controller does:
//! it watches kinds through its own informer cache ([`Cache`]), reads only
//! that cache, writes only through API requests ([`Cx::send`] and its
//! shorthands), gets every request's response or error back
//! ([`Controller::on_response`]) after the network hop, and keeps time with
//! its own timers ([`Controller::on_timer`]). It has its own client
//! identity and token bucket (QPS and burst, kube-controller-manager's
//! defaults unless registered otherwise). Nothing else reaches it: no
//! shared state, no calls from other components.
//!
//! Components are registered by name in a [`Registry`] (as kube-scheduler's
//! out-of-tree plugins are compiled into the user's own binary with
//! `app.WithPlugin`), and a scenario picks them under `cluster.controllers`
//! with kube-controller-manager's `--controllers` syntax (`*`, `name`,
//! `-name`) and `cluster.schedulers` (extra schedulers, which take the pods
//! whose `spec.schedulerName` names them).
//!
//! The event loop stays single-threaded: a component's handlers run one at
//! a time, in a fixed order (the default scheduler, kube-controller-manager's
//! controllers, the kubelet of the node a watch event concerns, then user
//! components in registration order), so a run is still a function of
//! (scenario, seed). Each node's kubelet is a component too, held by its
//! node (`Slot::node_agent`).
//!
//! A component can be crashed and restarted by a fault
//! (`crashController` in the timeline): its in-memory state is lost, the
//! responses to requests its old instance sent are dropped, and the new
//! instance lists every watched kind again (one round trip) before it gets
//! an `Added` event per object, as a client-go informer's initial list
//! gives. `afterWrites: K` lets the crash happen between two writes of one
//! reconcile: the instance dies when it tries to send its (K+1)-th request
//! from the fault's instant on (Sieve's "intermediate state").

#![warn(missing_docs)]

use crate::config::Config;
use crate::controllers::informer::PodInformer;
use crate::nodes::images::ImageCatalog;
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::Pod;
use crate::objects::selector::{Op, Requirement, Selector};
use crate::objects::store::{ApiError, ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::runtime::{Client, Ctx, Event};
use crate::sim::{SimDuration, SimTime};
pub use crate::traffic::curl::HttpResponse;
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

/// A request a component sent, as its response names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

/// A controller (or scheduler) users write. Every handler gets a [`Cx`]:
/// the controller's view of the cluster and its way to act.
pub trait Controller {
    /// The kinds this controller watches (its informers). Watch events of
    /// other kinds never reach it and are not in its cache.
    fn watches(&self) -> Vec<Kind>;

    /// Kinds kubesim stores without simulating that this controller
    /// watches too, by their API kind (`"ConfigMap"`, or a custom
    /// resource's kind such as the book's `"Website"` once its
    /// CustomResourceDefinition is applied): an operator's informers.
    /// Read them with `Cache::get_named` and `Cache::list_named`.
    fn watches_stored(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Called once its informers have synced (after the initial list; at
    /// t = 0 before any object exists for a controller that starts with
    /// the cluster), before the `Added` events of what the list returned.
    fn start(&mut self, cx: &mut Cx) {
        let _ = cx;
    }

    /// A watch event of a watched kind. The cache already holds the new
    /// version (or no longer holds a deleted object).
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let _ = (ev, cx);
    }

    /// A timer set with [`Cx::after`] or [`Cx::at`] fired.
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let _ = (token, cx);
    }

    /// The apiserver's answer to a request: the object as written, or the
    /// error (Conflict, NotFound, AlreadyExists, Invalid).
    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        let _ = (req, result, cx);
    }

    /// The answer to an HTTP request sent with [`Cx::http_get`] (a
    /// traffic client's view: the pod that answered, or how it failed),
    /// when it is back at the client.
    fn on_http_response(&mut self, req: RequestId, response: &HttpResponse, cx: &mut Cx) {
        let _ = (req, response, cx);
    }
}

/// Makes a fresh instance of a registered component (at start, and after
/// each crash).
pub type Factory = Rc<dyn Fn() -> Box<dyn Controller>>;

/// What a registered name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// A controller, picked under `cluster.controllers`.
    Controller,
    /// A scheduler, picked under `cluster.schedulers`; it should bind the
    /// pods whose `spec.schedulerName` is its name.
    Scheduler,
    /// A node's agent (the kubelet, kube-proxy): one per node, started
    /// and stopped with its node; a scenario does not pick it.
    NodeAgent,
}

/// The bit that marks a node agent's component id: node `i`'s kubelet is
/// `NODE_AGENT | i` (its timers are routed to the node, not to a slot of
/// `Components`; it sends only writes whose answer it does not wait for,
/// so no response is routed to it).
pub(crate) const NODE_AGENT: u32 = 1 << 31;

/// With [`NODE_AGENT`], the bit that marks a node's kube-proxy: node
/// `i`'s is `NODE_AGENT | PROXY_AGENT | i` (its timers are routed to the
/// node's proxy; it sends nothing to the apiserver).
pub(crate) const PROXY_AGENT: u32 = 1 << 30;

/// A node agent's registration names no instance the supervisor could
/// make (the kubelet is made with its node): this is what its factory
/// returns, and it is never called.
struct NodeAgentPlaceholder;

impl Controller for NodeAgentPlaceholder {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }
}

/// The registration of a node agent named `name` (made with its node,
/// not by a factory; it has no client limits of kubesim's to apply).
fn node_agent_registration(name: &str) -> Registration {
    Registration {
        name: name.to_string(),
        role: Role::NodeAgent,
        factory: Rc::new(|| Box::new(NodeAgentPlaceholder) as Box<dyn Controller>),
        qps: 0,
        burst: 0,
        on_by_default: true,
    }
}

/// A registered component.
#[derive(Clone)]
pub struct Registration {
    /// The name scenarios select it by.
    pub name: String,
    /// Controller or scheduler.
    pub role: Role,
    /// Makes an instance.
    pub factory: Factory,
    /// Its client's rate limits.
    pub qps: u32,
    /// Its client's burst.
    pub burst: u32,
    /// Whether `*` in `cluster.controllers` turns it on.
    pub on_by_default: bool,
}

/// The built-in kube-controller-manager controllers a scenario can switch
/// off, by kube-controller-manager's names (`--controllers`), with the
/// short aliases it also accepts (`pkg/controller/apis/config/v1alpha1`
/// and `cmd/kube-controller-manager/names/controller_names.go`).
pub const BUILTIN_CONTROLLERS: &[(Builtin, &str, &str)] = &[
    (Builtin::ReplicaSet, "replicaset-controller", "replicaset"),
    (Builtin::ReplicationController, "replicationcontroller-controller", "replicationcontroller"),
    (Builtin::GarbageCollector, "garbage-collector-controller", "garbagecollector"),
    (Builtin::PodGc, "pod-garbage-collector-controller", "podgc"),
    (Builtin::NodeLifecycle, "node-lifecycle-controller", "nodelifecycle"),
    (Builtin::TaintEviction, "taint-eviction-controller", "taint-eviction-controller"),
    (Builtin::Endpoints, "endpoints-controller", "endpoint"),
    (Builtin::EndpointSlice, "endpointslice-controller", "endpointslice"),
    (Builtin::Deployment, "deployment-controller", "deployment"),
    (Builtin::DaemonSet, "daemonset-controller", "daemonset"),
    (Builtin::Job, "job-controller", "job"),
    (Builtin::CronJob, "cronjob-controller", "cronjob"),
    (Builtin::TtlAfterFinished, "ttl-after-finished-controller", "ttl-after-finished"),
    // cloud-controller-manager's (kube-controller-manager knows the name,
    // and skips it: it runs where a cloud provider is configured).
    (Builtin::ServiceLb, "service-lb-controller", "service"),
];

/// A built-in component: a kube-controller-manager controller, or the
/// default scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Builtin {
    /// `replicaset-controller`.
    ReplicaSet,
    /// `replicationcontroller-controller` (the replication manager).
    ReplicationController,
    /// `garbage-collector-controller`.
    GarbageCollector,
    /// `pod-garbage-collector-controller`.
    PodGc,
    /// `node-lifecycle-controller`.
    NodeLifecycle,
    /// `taint-eviction-controller`.
    TaintEviction,
    /// `endpoints-controller`.
    Endpoints,
    /// `endpointslice-controller`.
    EndpointSlice,
    /// `deployment-controller`.
    Deployment,
    /// `daemonset-controller`.
    DaemonSet,
    /// `job-controller`.
    Job,
    /// `cronjob-controller`.
    CronJob,
    /// `ttl-after-finished-controller`.
    TtlAfterFinished,
    /// cloud-controller-manager's `service-lb-controller` (the cloud
    /// provider's service controller: a process of its own).
    ServiceLb,
    /// kube-scheduler's `default-scheduler` (not a kube-controller-manager
    /// controller: `cluster.controllers` does not name it).
    DefaultScheduler,
}

impl Builtin {
    /// Whether it runs inside kube-controller-manager (and so reads that
    /// process's shared informers, in its watch fan-out).
    pub(crate) fn in_kcm(self) -> bool {
        !matches!(self, Builtin::DefaultScheduler | Builtin::ServiceLb)
    }
}

/// Which built-ins run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtins(u16);

impl Default for Builtins {
    fn default() -> Self {
        Builtins(0xffff)
    }
}

impl Builtins {
    /// No built-in controller.
    pub fn none() -> Self {
        Builtins(0)
    }
    /// Whether `b` runs.
    pub fn enabled(self, b: Builtin) -> bool {
        self.0 & (1 << b as u16) != 0
    }
    /// Switches `b` on or off.
    pub fn set(&mut self, b: Builtin, on: bool) {
        if on {
            self.0 |= 1 << b as u16;
        } else {
            self.0 &= !(1 << b as u16);
        }
    }
}

/// The names a binary knows: the built-ins and the user's components.
#[derive(Clone, Default)]
pub struct Registry {
    entries: Vec<Registration>,
}

/// What a scenario's `cluster.controllers` and `cluster.schedulers` select.
#[derive(Clone, Default)]
pub struct Selection {
    /// The built-in controllers that run.
    pub builtins: Builtins,
    /// User components, in registry order.
    pub components: Vec<Registration>,
}

impl Registry {
    /// The built-ins only (what the `kubesim` binary has).
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers a controller with kube-controller-manager's client
    /// limits (20 QPS, burst 30). It runs when a scenario names it under
    /// `cluster.controllers` (`*` alone does not start it: a user's
    /// controller usually replaces a built-in, and two must not fight).
    pub fn controller<C: Controller + 'static>(self, name: &str, make: impl Fn() -> C + 'static) -> Self {
        self.register(name, Role::Controller, Rc::new(move || Box::new(make()) as Box<dyn Controller>), false)
    }

    /// Registers a controller that `*` in `cluster.controllers` starts too
    /// (as kube-controller-manager's default controllers are), and that a
    /// scenario without `cluster.controllers` runs.
    pub fn controller_on_by_default<C: Controller + 'static>(self, name: &str, make: impl Fn() -> C + 'static) -> Self {
        self.register(name, Role::Controller, Rc::new(move || Box::new(make()) as Box<dyn Controller>), true)
    }

    /// Registers a scheduler (kube-scheduler's client limits, 50 QPS and
    /// burst 100); it runs when a scenario lists it under
    /// `cluster.schedulers`.
    pub fn scheduler<C: Controller + 'static>(self, name: &str, make: impl Fn() -> C + 'static) -> Self {
        let mut r =
            self.register(name, Role::Scheduler, Rc::new(move || Box::new(make()) as Box<dyn Controller>), false);
        let e = r.entries.last_mut().expect("registered");
        e.qps = 50;
        e.burst = 100;
        r
    }

    fn register(mut self, name: &str, role: Role, factory: Factory, on_by_default: bool) -> Self {
        // kube-controller-manager's names: lower-case letters, digits and
        // dashes (so a name needs no quoting in a scenario or a replay).
        assert!(
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.starts_with('-')
                && !name.ends_with('-'),
            "component name {:?}: use lower-case letters, digits and dashes",
            name
        );
        assert!(
            self.lookup(name).is_none()
                && component_named(name).is_none()
                && name != crate::nodes::kubelet::SOURCE
                && name != crate::proxy::SOURCE
                && name != "*"
                && !name.starts_with('-'),
            "component name {:?} is taken or invalid",
            name
        );
        self.entries.push(Registration { name: name.into(), role, factory, qps: 20, burst: 30, on_by_default });
        self
    }

    /// Sets the rate limits of the component registered last.
    pub fn with_limits(mut self, qps: u32, burst: u32) -> Self {
        if let Some(e) = self.entries.last_mut() {
            e.qps = qps.max(1);
            e.burst = burst.max(1);
        }
        self
    }

    /// A registered component by name.
    pub fn lookup(&self, name: &str) -> Option<&Registration> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Every registered component, in registration order.
    pub fn entries(&self) -> &[Registration] {
        &self.entries
    }

    /// Resolves a scenario's choice: `controllers` in
    /// kube-controller-manager's `--controllers` syntax
    /// (`IsControllerEnabled`: a name turns it on, `-name` off, `*` turns
    /// on every controller on by default that is not named; without `*`
    /// only the named ones run), `schedulers` by name. An unknown name is
    /// an error naming it (and the list index).
    pub fn select(&self, controllers: &[String], schedulers: &[String]) -> Result<Selection, (String, usize, String)> {
        let mut sel = Selection { builtins: Builtins::none(), components: Vec::new() };
        // No list is kube-controller-manager's default, `["*"]`.
        let star = controllers.is_empty() || controllers.iter().any(|c| c == "*");
        for (i, c) in controllers.iter().enumerate() {
            let bare = c.strip_prefix('-').unwrap_or(c);
            if c == "*" {
                continue;
            }
            let known = builtin_named(bare).is_some() || self.lookup(bare).is_some_and(|e| e.role == Role::Controller);
            if !known {
                return Err((
                    "controllers".into(),
                    i,
                    format!("unknown controller {:?} (known: {})", bare, self.controller_names().join(", ")),
                ));
            }
        }
        let enabled = |name: &str, alias: &str, default_on: bool| -> bool {
            for c in controllers {
                if c == name || c == alias {
                    return true;
                }
                if c.strip_prefix('-').is_some_and(|b| b == name || b == alias) {
                    return false;
                }
            }
            star && default_on
        };
        for &(b, name, alias) in BUILTIN_CONTROLLERS {
            // cloud-controller-manager has a `--controllers` of its own
            // (`*` by default): a list without `*` for
            // kube-controller-manager does not switch it off, naming it
            // with `-` does.
            let on = if b.in_kcm() {
                enabled(name, alias, true)
            } else {
                !controllers.iter().any(|c| c.strip_prefix('-').is_some_and(|x| x == name || x == alias))
            };
            sel.builtins.set(b, on);
        }
        for e in &self.entries {
            match e.role {
                Role::Controller if enabled(&e.name, &e.name, e.on_by_default) => sel.components.push(e.clone()),
                _ => {}
            }
        }
        for (i, s) in schedulers.iter().enumerate() {
            match self.lookup(s) {
                Some(e) if e.role == Role::Scheduler => {
                    if !sel.components.iter().any(|c| c.name == e.name) {
                        sel.components.push(e.clone());
                    }
                }
                _ => {
                    let known: Vec<&str> =
                        self.entries.iter().filter(|e| e.role == Role::Scheduler).map(|e| e.name.as_str()).collect();
                    return Err((
                        "schedulers".into(),
                        i,
                        format!(
                            "unknown scheduler {:?} (the default-scheduler always runs; registered: {})",
                            s,
                            if known.is_empty() { "none".to_string() } else { known.join(", ") }
                        ),
                    ));
                }
            }
        }
        Ok(sel)
    }

    fn controller_names(&self) -> Vec<String> {
        let mut v: Vec<String> = BUILTIN_CONTROLLERS.iter().map(|(_, n, _)| n.to_string()).collect();
        v.extend(self.entries.iter().filter(|e| e.role == Role::Controller).map(|e| e.name.clone()));
        v
    }
}

/// The kube-controller-manager controller `name` names (its name or its
/// short alias).
pub(crate) fn builtin_named(name: &str) -> Option<Builtin> {
    BUILTIN_CONTROLLERS.iter().find(|(_, n, a)| *n == name || *a == name).map(|(b, _, _)| *b)
}

/// The names a fault may give the default scheduler: its
/// `schedulerName`, and the process's.
pub const SCHEDULER_NAMES: &[&str] = &[crate::objects::pod::DEFAULT_SCHEDULER, "kube-scheduler"];

/// The built-in component `name` names: a kube-controller-manager
/// controller, or the default scheduler.
pub(crate) fn component_named(name: &str) -> Option<Builtin> {
    builtin_named(name).or_else(|| SCHEDULER_NAMES.contains(&name).then_some(Builtin::DefaultScheduler))
}

/// A built-in's name (kube-controller-manager's long name; the default
/// scheduler's `schedulerName`).
pub(crate) fn builtin_name(b: Builtin) -> &'static str {
    match BUILTIN_CONTROLLERS.iter().find(|(x, _, _)| *x == b) {
        Some((_, name, _)) => name,
        None => crate::objects::pod::DEFAULT_SCHEDULER,
    }
}

/// A component's informer cache: the last version of every object of its
/// watched kinds that its watch has delivered, with the indexes client-go
/// informers are commonly given (`cache.Indexers`): by owner (every
/// `ownerReferences` uid, the garbage collector's dependents), by label
/// (each `key=value`, which `select` uses for a selector's equality
/// requirements) and, for pods, by `spec.nodeName`. Reads through an index
/// give the same objects in the same order as a walk over the cache.
#[derive(Clone, Default)]
pub struct Cache {
    objects: IndexMap<CacheSlot, Object, FxBuildHasher>,
    by_owner: Index<u64>,
    by_label: Index<(String, String, String)>,
    by_node: Index<Rc<str>>,
}

/// Where a cached object is: its API kind and key.
type CacheSlot = (String, Key);

/// An index: the slots filed under each value.
type Index<I> = IndexMap<I, IndexSet<CacheSlot, FxBuildHasher>, FxBuildHasher>;

/// A cache slot named by borrowed parts: hashes and compares as the
/// `(String, Key)` it stands for, so a lookup allocates nothing.
#[derive(Hash)]
struct SlotRef<'a>(&'a str, &'a Key);

impl indexmap::Equivalent<(String, Key)> for SlotRef<'_> {
    fn equivalent(&self, k: &(String, Key)) -> bool {
        self.0 == k.0 && *self.1 == k.1
    }
}

/// A label index entry named by borrowed parts (kind, label, value).
#[derive(Hash)]
struct LabelRef<'a>(&'a str, &'a str, &'a str);

impl indexmap::Equivalent<(String, String, String)> for LabelRef<'_> {
    fn equivalent(&self, k: &(String, String, String)) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2
    }
}

/// Whether two versions of an object file alike in every index (most
/// updates change only a status).
fn files_alike(a: &Object, b: &Object) -> bool {
    let (ma, mb) = (a.meta(), b.meta());
    let node = |o: &Object| match o {
        Object::Pod(p) => p.spec.node_name.clone(),
        _ => None,
    };
    (Rc::ptr_eq(&ma.labels, &mb.labels) || ma.labels == mb.labels)
        && ma.owner_references.iter().map(|o| o.uid).eq(mb.owner_references.iter().map(|o| o.uid))
        && node(a) == node(b)
}

impl Cache {
    fn observe(&mut self, ev: &WatchEvent) {
        let k = (ev.obj.kind_name().to_string(), Key::of(ev.obj.meta()));
        let old = if ev.kind == WatchKind::Deleted {
            self.objects.shift_remove(&k)
        } else {
            self.objects.insert(k.clone(), ev.obj.clone())
        };
        if ev.kind != WatchKind::Deleted && old.as_ref().is_some_and(|o| files_alike(o, &ev.obj)) {
            return;
        }
        if let Some(o) = &old {
            self.file(&k, o, false);
        }
        if ev.kind != WatchKind::Deleted {
            self.file(&k, &ev.obj, true);
        }
    }

    /// Adds `obj`'s entries to the indexes (or removes them).
    fn file(&mut self, k: &(String, Key), obj: &Object, add: bool) {
        fn put<I: std::hash::Hash + Eq>(index: &mut Index<I>, at: I, k: &CacheSlot, add: bool) {
            if add {
                index.entry(at).or_default().insert(k.clone());
            } else if let Some(set) = index.get_mut(&at) {
                set.swap_remove(k);
                if set.is_empty() {
                    index.swap_remove(&at);
                }
            }
        }
        let meta = obj.meta();
        for o in &meta.owner_references {
            put(&mut self.by_owner, o.uid, k, add);
        }
        for (name, value) in meta.labels.iter() {
            put(&mut self.by_label, (k.0.clone(), name.clone(), value.clone()), k, add);
        }
        if let Object::Pod(p) = obj {
            if let Some(node) = &p.spec.node_name {
                put(&mut self.by_node, node.clone(), k, add);
            }
        }
    }

    /// The objects of an index entry, in cache order.
    fn in_cache_order<'a>(&'a self, slots: impl Iterator<Item = &'a (String, Key)>) -> Vec<&'a Object> {
        let mut found: Vec<(usize, &Object)> =
            slots.filter_map(|k| self.objects.get_full(k)).map(|(i, _, o)| (i, o)).collect();
        found.sort_unstable_by_key(|(i, _)| *i);
        found.into_iter().map(|(_, o)| o).collect()
    }

    /// An object by kind and key (cluster-scoped objects have an empty
    /// namespace).
    pub fn get(&self, kind: Kind, key: &Key) -> Option<&Object> {
        self.objects.get(&SlotRef(kind.as_str(), key))
    }

    /// A stored-only or custom object by its API kind (`"Website"`) and
    /// key.
    pub fn get_named(&self, kind: &str, key: &Key) -> Option<&Object> {
        self.objects.get(&SlotRef(kind, key))
    }

    /// Every cached object of an API kind (`"Website"`), in the order the
    /// watch first delivered them.
    pub fn list_named<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |((k, _), _)| k == kind).map(|(_, o)| o)
    }

    /// Every cached object of a kind, in the order the watch first
    /// delivered them.
    pub fn list(&self, kind: Kind) -> impl Iterator<Item = &Object> {
        let name = kind.as_str();
        self.objects.iter().filter(move |((k, _), _)| k == name).map(|(_, o)| o)
    }

    /// Objects of a kind in `namespace` whose labels match `selector`, in
    /// cache order. A selector with an equality requirement (`app=web`,
    /// `tier in (a,b)`) reads the label index for it; any other walks the
    /// kind.
    pub fn select<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
        selector: &'a Selector,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let wanted = move |o: &&Object| *o.meta().namespace == *namespace && selector.matches(&o.meta().labels);
        let name = kind.as_str();
        // The equality requirement with the fewest candidates.
        let candidates =
            |r: &'a Requirement| r.values.iter().filter_map(move |v| self.by_label.get(&LabelRef(name, &r.key, v)));
        let narrowest = selector
            .requirements
            .iter()
            .filter(|r| r.op == Op::In)
            .min_by_key(|r| candidates(r).map(|set| set.len()).sum::<usize>());
        let found: Vec<&Object> = match narrowest {
            _ if selector.nothing => Vec::new(),
            Some(r) => self.in_cache_order(candidates(r).flatten()).into_iter().filter(wanted).collect(),
            None => self.list(kind).filter(wanted).collect(),
        };
        found.into_iter()
    }

    /// The cached objects with an owner reference to `owner_uid` (its
    /// dependents, whatever their kind), in cache order: the index a
    /// controller reads its owned objects from.
    pub fn owned_by(&self, owner_uid: u64) -> Vec<&Object> {
        self.in_cache_order(self.by_owner.get(&owner_uid).into_iter().flatten())
    }

    /// The cached pods bound to `node` (`spec.nodeName`), in cache order.
    pub fn pods_on_node(&self, node: &str) -> Vec<&Rc<Pod>> {
        let found = self.in_cache_order(self.by_node.get(node).into_iter().flatten());
        found
            .into_iter()
            .filter_map(|o| match o {
                Object::Pod(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Every cached pod.
    pub fn pods(&self) -> impl Iterator<Item = &Rc<Pod>> {
        self.list(Kind::Pod).filter_map(|o| match o {
            Object::Pod(p) => Some(p),
            _ => None,
        })
    }

    /// Number of cached objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// What a component's handler gets: its cache, the clock, and its way to
/// act (requests, timers, Events).
pub struct Cx<'a, 'b> {
    pub(crate) ctx: &'a mut Ctx<'b>,
    pub(crate) slot: &'a mut SlotCore,
    /// Its own informer cache (`None`: a built-in or a kubelet, which keep
    /// none).
    pub(crate) cache: Option<&'a Cache>,
    /// kube-controller-manager's shared pod informer, which the built-in
    /// controllers read instead of a cache of their own.
    pub(crate) kcm_pods: &'a PodInformer,
    /// What the containers of each image do: a kubelet's container
    /// runtime reads it (`None` for the control plane's components).
    pub(crate) images: Option<&'a ImageCatalog>,
}

impl<'a> Cx<'a, '_> {
    /// The virtual time of the event being handled.
    pub fn now(&self) -> SimTime {
        self.ctx.now
    }

    /// The cluster's knobs.
    pub fn config(&self) -> &Config {
        self.ctx.cfg
    }

    /// The component's informer cache.
    pub fn cache(&self) -> &Cache {
        self.cache.unwrap_or_else(|| empty_cache())
    }

    /// The component's registered name.
    pub fn name(&self) -> &str {
        &self.slot.reg.name
    }

    /// kube-controller-manager's shared pod informer (what a built-in
    /// controller reads: upstream's controllers share one
    /// `SharedInformerFactory` per process).
    pub(crate) fn kcm_pods(&self) -> &'a PodInformer {
        self.kcm_pods
    }

    /// Sends a request now, through the component's rate limiter; its
    /// response comes back to [`Controller::on_response`].
    pub fn send(&mut self, op: ApiOp) -> RequestId {
        let now = self.ctx.now;
        self.send_at(now, op).0
    }

    /// Sends a request whose answer the component does not wait for (a
    /// built-in's delete whose error upstream only logs): no response
    /// comes back. Otherwise as [`Cx::send`]. Returns when the answer
    /// would be back (now if the write never leaves).
    pub(crate) fn send_unanswered(&mut self, op: ApiOp) -> SimTime {
        let now = self.ctx.now;
        self.send_unanswered_at(now, op)
    }

    /// A request number, flagged `UNANSWERED` or not.
    fn next_request(&mut self, unanswered: bool) -> u32 {
        let req = self.slot.next_req;
        // (The flag bit is not part of the count.)
        self.slot.next_req = (self.slot.next_req + 1) & !crate::runtime::UNANSWERED;
        if unanswered {
            req | crate::runtime::UNANSWERED
        } else {
            req
        }
    }

    /// Sends request `req` at `t` (the write was allowed); a request that
    /// waits in the rate limiter is remembered until it leaves, since a
    /// crash meanwhile means it never does. Returns when it is answered.
    fn send_req_at(&mut self, t: SimTime, req: u32, op: ApiOp) -> SimTime {
        debug_assert!(
            self.slot.id & (NODE_AGENT | PROXY_AGENT) != (NODE_AGENT | PROXY_AGENT),
            "kube-proxy sends nothing"
        );
        // A built-in's request still goes through its own client's bucket
        // and link (`Throttles::identity`).
        let (leave, reply) = self.ctx.send_leaving_at(t, Client::Component { id: self.slot.id, req }, op);
        let now = self.ctx.now;
        let waiting = &mut self.slot.waiting;
        while waiting.front().is_some_and(|w| w.1 <= now) {
            waiting.pop_front();
        }
        if leave > now {
            waiting.push_back((req, leave));
        }
        reply
    }

    /// Sends a request at `t` (now or later: a worker's next call after
    /// the one it waits for); its answer comes back to `on_response`.
    /// Returns the request and when its answer is back.
    pub(crate) fn send_at(&mut self, t: SimTime, op: ApiOp) -> (RequestId, SimTime) {
        let req = self.next_request(false);
        if !self.may_write() {
            return (RequestId(req), self.ctx.now);
        }
        (RequestId(req), self.send_req_at(t, req, op))
    }

    /// As [`Cx::send_at`], without waiting for the answer (none comes
    /// back); returns when it would be back.
    pub(crate) fn send_unanswered_at(&mut self, t: SimTime, op: ApiOp) -> SimTime {
        let req = self.next_request(true);
        if !self.may_write() {
            return self.ctx.now;
        }
        self.send_req_at(t, req, op)
    }

    /// A read at `t` (a GET): it writes nothing, takes its turn in the
    /// component's rate limiter and a round trip; returns when its answer
    /// is back.
    pub(crate) fn call_at(&mut self, t: SimTime) -> SimTime {
        debug_assert!(
            self.slot.id & (NODE_AGENT | PROXY_AGENT) != (NODE_AGENT | PROXY_AGENT),
            "kube-proxy sends nothing"
        );
        self.ctx.call_at(t, Client::Component { id: self.slot.id, req: crate::runtime::UNANSWERED })
    }

    /// Whether a write may leave now (counted if so): not when the
    /// process is gone, nor when an `afterWrites` fault kills it before
    /// this write.
    fn may_write(&mut self) -> bool {
        if let Some(left) = self.slot.writes_left.as_mut() {
            if *left == 0 {
                // The fault: the process dies before this write leaves.
                self.slot.crash_now = true;
            } else {
                *left -= 1;
            }
        }
        if self.slot.crash_now || !self.slot.alive {
            return false;
        }
        self.slot.sent += 1;
        true
    }

    /// Creates an object.
    pub fn create(&mut self, obj: Object) -> RequestId {
        self.send(ApiOp::Create(obj))
    }

    /// Updates metadata and spec, with the object's `resourceVersion` as a
    /// precondition (a stale version gets a Conflict).
    pub fn update(&mut self, obj: Object) -> RequestId {
        self.send(ApiOp::Update { obj, check_rv: true })
    }

    /// Deletes an object, guarded by its uid, with background propagation
    /// and the kind's default grace.
    pub fn delete(&mut self, obj: &Object) -> RequestId {
        let meta = obj.meta();
        self.send(ApiOp::Delete {
            kind: obj.kind(),
            other_kind: obj.other_kind(),
            key: Key::of(meta),
            uid: Some(meta.uid),
            grace_seconds: None,
            propagation: Propagation::Background,
            disruption: None,
        })
    }

    /// Sends an HTTP GET to `url` (`http://HOST[:PORT][/PATH]`: a
    /// Service's name as the cluster DNS resolves it, a cluster IP or a pod
    /// IP) from the pod `from`, where the component's client runs: the
    /// request takes that pod's namespace's DNS search path and its node's
    /// kube-proxy rules, as `kubectl exec FROM -- curl -m TIMEOUT URL`
    /// would. It leaves now (it is not an apiserver request: no rate
    /// limiter, and an `afterWrites` fault does not count it); its answer
    /// comes back to [`Controller::on_http_response`] when the client has
    /// it (at `timeout` at the latest). A URL curl would reject is an
    /// error.
    pub fn http_get(&mut self, from: &Key, url: &str, timeout: SimDuration) -> Result<RequestId, String> {
        debug_assert!(self.slot.id & NODE_AGENT == 0, "a node agent sends no HTTP request");
        let mut c = crate::traffic::curl::parse(&["curl".to_string(), url.to_string()])?;
        c.max_time = timeout.max(SimDuration::from_millis(1));
        let req = self.next_request(false);
        if self.slot.crash_now || !self.slot.alive {
            return Ok(RequestId(req)); // the process is gone: nothing leaves
        }
        let now = self.ctx.now;
        let request = Box::new((from.clone(), c));
        self.ctx.at(now, Event::ComponentHttp { id: self.slot.id, req, request });
        Ok(RequestId(req))
    }

    /// Binds a pod to a node (`pods/binding`), what a scheduler sends.
    pub fn bind(&mut self, pod: &Pod, node: &str) -> RequestId {
        self.send(ApiOp::Bind { key: Key::of(&pod.meta), uid: pod.meta.uid, node: node.into() })
    }

    /// Sets a timer that fires `token` after `d`.
    pub fn after(&mut self, d: SimDuration, token: u64) {
        // (A fixed delay's FIFO lane, when it has one: the same order as
        // `at(now + d)`.)
        self.ctx.after(d, Event::ComponentTimer { id: self.slot.id, epoch: self.slot.epoch, token });
    }

    /// Sets a timer that fires `token` at `t` (now at the earliest).
    pub fn at(&mut self, t: SimTime, token: u64) {
        let t = t.max(self.ctx.now);
        self.ctx.at(t, Event::ComponentTimer { id: self.slot.id, epoch: self.slot.epoch, token });
    }

    /// Records a Kubernetes Event from this component.
    pub fn event(&mut self, warning: bool, reason: &str, object: &ObjectMeta, kind: &str, message: &dyn fmt::Display) {
        let Some(source) = self.event_source() else { return };
        let reason = intern(reason);
        let kind = intern(kind);
        self.ctx.event(warning, source, reason, kind, &object.namespace, &object.name, message);
    }
}

impl<'b> Cx<'_, 'b> {
    /// Records a Kubernetes Event about the object `namespace/name` of
    /// `kind` (a built-in's Events, whose reasons and kinds are already
    /// `'static`; the object may be known only by its key).
    pub(crate) fn event_on(
        &mut self,
        warning: bool,
        reason: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
        message: &dyn fmt::Display,
    ) {
        let Some(source) = self.event_source() else { return };
        self.ctx.event(warning, source, reason, kind, namespace, name, message);
    }

    /// As [`Cx::event_on`], the message given as parts to concatenate (a
    /// built-in's Events that every pod gets: no formatting machinery).
    pub(crate) fn event_parts_on(
        &mut self,
        warning: bool,
        reason: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
        parts: &[&str],
    ) {
        let Some(source) = self.event_source() else { return };
        self.ctx.event_parts(warning, source, reason, kind, namespace, name, parts);
    }

    /// The `source` of the component's Events (a built-in's own, else its
    /// registered name), or `None` once its process is gone.
    fn event_source(&self) -> Option<&'static str> {
        if self.slot.crash_now || !self.slot.alive {
            return None;
        }
        Some(self.slot.source)
    }

    /// The cluster's knobs, for as long as the handler runs (not tied to
    /// the borrow of `self`).
    pub(crate) fn cfg(&self) -> &'b Config {
        self.ctx.cfg
    }

    /// A node agent's life ends with its node (`Slot::stop_node_agent`).
    pub(crate) fn stop_node_agent(&mut self) {
        self.slot.stop_node_agent(self.ctx);
    }

    /// Its node is back: a new life of the node agent.
    pub(crate) fn start_node_agent(&mut self) {
        self.slot.start_node_agent();
    }

    /// Sets a timer that fires `token` at `t` with `key` in place of a
    /// sequence number (`EventQueue::push_keyed`: a periodic timer's
    /// place within its instant is a function of who it is).
    pub(crate) fn at_keyed(&mut self, t: SimTime, key: u64, token: u64) {
        let ev = Event::ComponentTimer { id: self.slot.id, epoch: self.slot.epoch, token };
        self.ctx.queue.push_keyed(t, key, ev);
    }
}

/// A built-in's slot for unit tests that drive a controller by hand
/// (`with_test_cx`).
#[cfg(test)]
pub(crate) fn test_slot(builtin: Builtin, source: &'static str) -> Slot {
    struct Idle;
    impl Controller for Idle {
        fn watches(&self) -> Vec<Kind> {
            Vec::new()
        }
    }
    let reg = Registration {
        name: source.to_string(),
        role: Role::Controller,
        factory: Rc::new(|| Box::new(Idle) as Box<dyn Controller>),
        qps: 20,
        burst: 30,
        on_by_default: true,
    };
    Slot::builtin(0, reg, BuiltinIdentity { builtin, source })
}

/// Runs `f` with a built-in's `Cx` on `ctx` (unit tests of a controller).
#[cfg(test)]
pub(crate) fn with_test_cx<T>(ctx: &mut Ctx, slot: &mut Slot, pods: &PodInformer, f: impl FnOnce(&mut Cx) -> T) -> T {
    let mut cx = Cx { ctx, slot: &mut slot.core, cache: None, kcm_pods: pods, images: None };
    f(&mut cx)
}

/// Event sources, reasons and kinds are `'static` in the trace; a
/// component's own are interned once each (a handful of strings per
/// binary, never freed).
fn intern(s: &str) -> &'static str {
    use std::cell::RefCell;
    use std::collections::BTreeSet;
    thread_local! {
        static NAMES: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
    }
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        if let Some(&k) = n.get(s) {
            return k;
        }
        let k: &'static str = Box::leak(s.to_string().into_boxed_str());
        n.insert(k);
        k
    })
}

/// Where a Lease version stands among the folded writes of its Lease:
/// renewals move `renewTime` forward; the analytic model's stop of a
/// renewal stream keeps it (the last renewal may be the stream's first)
/// and comes after the renewals it stops; a restarted stream's anchor is
/// a later `renewTime` again.
fn renewal_order(l: &crate::objects::lease::Lease) -> (Option<SimTime>, bool) {
    (l.spec.renew_time, l.stream.is_some_and(|s| s.stopped.is_some()))
}

/// Whether two objects are the very same stored version (one allocation).
fn same_version(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Namespace(x), Object::Namespace(y)) => Rc::ptr_eq(x, y),
        (Object::Node(x), Object::Node(y)) => Rc::ptr_eq(x, y),
        (Object::Pod(x), Object::Pod(y)) => Rc::ptr_eq(x, y),
        (Object::ReplicaSet(x), Object::ReplicaSet(y)) => Rc::ptr_eq(x, y),
        (Object::Lease(x), Object::Lease(y)) => Rc::ptr_eq(x, y),
        (Object::Other(x), Object::Other(y)) => Rc::ptr_eq(x, y),
        (Object::Typed(x), Object::Typed(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Every stored object of a kind (by its API name), in the store's order.
fn list_kind(store: &crate::objects::store::Store, kind: &str) -> Vec<Object> {
    match kind {
        "Namespace" => store.namespaces.values().cloned().map(Object::Namespace).collect(),
        "Node" => store.nodes.values().cloned().map(Object::Node).collect(),
        "Pod" => store.pods.values().cloned().map(Object::Pod).collect(),
        "Lease" => store.leases.values().cloned().map(Object::Lease).collect(),
        "ReplicaSet" | "ReplicationController" => store
            .replicasets
            .values()
            .filter(|r| Kind::from_replica(r.kind).as_str() == kind)
            .cloned()
            .map(Object::ReplicaSet)
            .collect(),
        _ => {
            let others = store.others.iter().filter(|((k, _), _)| k == kind).map(|(_, u)| Object::Other(u.clone()));
            let typed = store.typed.iter().filter(|((k, _), _)| k == kind).map(|(_, t)| Object::Typed(t.clone()));
            others.chain(typed).collect()
        }
    }
}

/// What a built-in controller ported onto [`Controller`] keeps of its own
/// identity: which built-in it is, and the `source` of its Events. (Its
/// requests go through the client kube-controller-manager gives it:
/// `Throttles::add_builtin`.)
#[derive(Clone, Copy, Debug)]
pub(crate) struct BuiltinIdentity {
    pub(crate) builtin: Builtin,
    pub(crate) source: &'static str,
}

/// A registered component inside a simulation: its instance, and the rest
/// (`SlotCore`, which its handlers' `Cx` borrows while the instance runs).
pub(crate) struct Slot {
    /// The running instance (`None` while the process is down).
    pub(crate) instance: Option<Box<dyn Controller>>,
    pub(crate) core: SlotCore,
}

impl std::ops::Deref for Slot {
    type Target = SlotCore;
    fn deref(&self) -> &SlotCore {
        &self.core
    }
}

impl std::ops::DerefMut for Slot {
    fn deref_mut(&mut self) -> &mut SlotCore {
        &mut self.core
    }
}

/// A component's identity, client, life and informer state: everything
/// of its slot but the instance.
pub(crate) struct SlotCore {
    pub(crate) id: u32,
    pub(crate) reg: Registration,
    /// A built-in controller: it runs inside kube-controller-manager,
    /// reads that process's shared informers (so it has no cache of its
    /// own) and sends as its built-in client.
    pub(crate) builtin: Option<BuiltinIdentity>,
    /// The `source` of its Events: a built-in's own, else its registered
    /// name.
    source: &'static str,
    /// Switched off by `cluster.controllers` (a built-in only): never
    /// starts.
    pub(crate) disabled: bool,
    pub(crate) kinds: Vec<String>,
    /// The modelled kinds among `kinds`, as a bit per `Kind` (a watch
    /// event's kind is checked without comparing names).
    kind_bits: u32,
    pub(crate) cache: Cache,
    /// Counts the instance's lives: timers of an earlier life are dropped.
    pub(crate) epoch: u32,
    pub(crate) alive: bool,
    pub(crate) next_req: u32,
    /// Responses to requests below this id belong to an earlier life.
    pub(crate) first_req: u32,
    /// Watch events of objects at or below this resourceVersion were
    /// already in the initial list.
    pub(crate) listed_rv: u64,
    /// A built-in watching Leases: each Lease's renewal order
    /// (`renewal_order`) in the list it restarted from. A renewal, and the
    /// analytic model's stop of a renewal stream, are folded writes that
    /// keep the Lease's resourceVersion, so the version alone cannot tell
    /// one the list already showed from a later one.
    listed_renewals: rustc_hash::FxHashMap<Key, (Option<SimTime>, bool)>,
    /// `crashController ... afterWrites`: writes still allowed.
    pub(crate) writes_left: Option<u32>,
    pub(crate) restart_after: SimDuration,
    pub(crate) crash_now: bool,
    /// Requests sent, over every life.
    pub(crate) sent: u64,
    /// Requests waiting in the client's rate limiter: number, and when
    /// each leaves (in order).
    waiting: VecDeque<(u32, SimTime)>,
    /// Requests that were still waiting when the process crashed: they
    /// never leave (client-go's limiter blocks before sending, and the
    /// process is gone).
    never_sent: rustc_hash::FxHashSet<u32>,
    /// `staleWatch`: until when new watch events are held back, and by
    /// how long.
    pub(crate) stale: Option<(SimTime, SimDuration)>,
    /// Watch events held back, each with its release time (in order).
    pub(crate) held: VecDeque<(SimTime, WatchEvent)>,
    /// `coalesceWatch`: the watch is broken until then; events meanwhile
    /// are lost, and the informer relists when it reconnects.
    pub(crate) disconnected_until: Option<SimTime>,
}

impl Slot {
    pub(crate) fn new(id: u32, reg: Registration) -> Slot {
        let instance = (reg.factory)();
        let (watched, stored) = (instance.watches(), instance.watches_stored());
        Slot { instance: Some(instance), core: SlotCore::with(id, reg, &watched, &stored) }
    }

    /// A built-in controller's slot (started by `Components::start_one`
    /// at bootstrap).
    pub(crate) fn builtin(id: u32, reg: Registration, identity: BuiltinIdentity) -> Slot {
        let mut slot = Slot::new(id, reg);
        slot.core.builtin = Some(identity);
        slot.core.source = identity.source;
        slot
    }
}

impl SlotCore {
    /// The state of a component that watches `watched` and the stored
    /// kinds `stored`.
    fn with(id: u32, reg: Registration, watched: &[Kind], stored: &[&str]) -> SlotCore {
        let kind_bits = watched.iter().filter(|k| **k != Kind::Other).fold(0, |b, k| b | 1 << *k as u32);
        let mut kinds: Vec<String> = watched.iter().map(|k| k.as_str().to_string()).collect();
        kinds.extend(stored.iter().map(|k| k.to_string()));
        SlotCore {
            id,
            source: intern(&reg.name),
            reg,
            builtin: None,
            disabled: false,
            kinds,
            kind_bits,
            cache: Cache::default(),
            epoch: 0,
            alive: true,
            next_req: 0,
            first_req: 0,
            listed_rv: 0,
            listed_renewals: Default::default(),
            writes_left: None,
            restart_after: SimDuration::ZERO,
            crash_now: false,
            sent: 0,
            waiting: VecDeque::new(),
            never_sent: Default::default(),
            stale: None,
            held: VecDeque::new(),
            disconnected_until: None,
        }
    }

    /// The slot of node `idx`'s kubelet (id `NODE_AGENT | idx`). A node
    /// agent is started, stopped and restarted with its node (no
    /// supervisor re-makes it: its factory is never called), watches its
    /// own Node and the pods bound to it (the simulation routes those
    /// events by `spec.nodeName`, the kubelet's field selector), and keeps
    /// no cache of its own (its pod workers are its state).
    pub(crate) fn node_agent(idx: u32) -> SlotCore {
        let reg = node_agent_registration(crate::nodes::kubelet::SOURCE);
        SlotCore::with(NODE_AGENT | idx, reg, &crate::nodes::kubelet::WATCHES, &[])
    }

    /// The slot of node `idx`'s kube-proxy (id `NODE_AGENT | PROXY_AGENT
    /// | idx`): a node agent like the kubelet, that watches Services and
    /// EndpointSlices (every proxy gets every change: `proxy::KubeProxies`
    /// fans it out) and has no client of its own in kubesim (its lists and
    /// watches are not modelled as requests, and it writes nothing).
    pub(crate) fn proxy_agent(idx: u32) -> SlotCore {
        let reg = node_agent_registration(crate::proxy::SOURCE);
        SlotCore::with(NODE_AGENT | PROXY_AGENT | idx, reg, &[], &["Service", "EndpointSlice"])
    }

    /// A node agent's process stops with its node: its timers (set in
    /// this life) are dropped, its Events are no longer recorded, and the
    /// requests still waiting in its client's rate limiter never leave
    /// (the restarted kubelet's client starts with a full bucket).
    pub(crate) fn stop_node_agent(&mut self, ctx: &mut Ctx) {
        self.end_life(ctx);
    }

    /// The life of the process ends: what still waits in its rate
    /// limiter dies with it, its client too, and its timers are dropped.
    fn end_life(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        for (req, leave) in self.waiting.drain(..) {
            if leave > now {
                self.never_sent.insert(req);
            }
        }
        ctx.throttles.client_died(self.id, ctx.net);
        self.alive = false;
        self.epoch += 1;
        self.first_req = self.next_req;
    }

    /// Whether request `req` was still in the rate limiter when its
    /// process died (it never reaches the apiserver).
    pub(crate) fn never_sent(&mut self, req: u32) -> bool {
        !self.never_sent.is_empty() && self.never_sent.remove(&req)
    }

    /// The node is back: a new life of its agent.
    pub(crate) fn start_node_agent(&mut self) {
        self.alive = true;
    }

    /// Whether the component keeps a cache of its own (a built-in reads
    /// kube-controller-manager's shared informers instead).
    fn own_cache(&self) -> bool {
        self.builtin.is_none()
    }

    /// Whether a watch event is already reflected in what the informer
    /// listed: a version at or below the list's revision, or the deletion
    /// of an object the cache does not hold (deleted before the list).
    fn already_listed(&self, ev: &WatchEvent) -> bool {
        if !self.own_cache() {
            if self.listed_rv == 0 {
                return false; // never restarted: nothing was listed
            }
            // The shared informer has been live all along: only what the
            // restarted controller's list already showed is old. A
            // deletion always counts (its object carries its last
            // version, which the list may well have shown); one of an
            // object the list never held is a no-op for the handler.
            if ev.kind == WatchKind::Deleted || ev.obj.meta().resource_version > self.listed_rv {
                return false;
            }
            // A Lease renewal keeps the version: it is new if it renews
            // later than the listed copy (a Lease the list lacked was gone
            // by then: this is an old event of it).
            if let Object::Lease(l) = &ev.obj {
                return self.listed_renewals.get(&Key::of(&l.meta)).is_none_or(|t| renewal_order(l) <= *t);
            }
            return true;
        }
        let cached = self.cache.objects.get(&SlotRef(ev.obj.kind_name(), &Key::of(ev.obj.meta())));
        let rv = ev.obj.meta().resource_version;
        match (ev.kind, cached) {
            // A deletion of what the cache does not hold: deleted before
            // the list (the list never showed it).
            // So is the deletion of an earlier object of the same name.
            (WatchKind::Deleted, c) => c.is_none_or(|c| c.meta().uid != ev.obj.meta().uid),
            // An older version than the cached one, or the very version
            // cached. (A Lease renewal is a folded write: same
            // resourceVersion, a new object — it is delivered.)
            (_, Some(c)) => {
                let crv = c.meta().resource_version;
                rv < crv || (rv == crv && same_version(c, &ev.obj))
            }
            // Not cached: created and deleted before the list, if older.
            (_, None) => rv <= self.listed_rv,
        }
    }

    pub(crate) fn watches(&self, kind: &str) -> bool {
        self.kinds.iter().any(|k| k == kind)
    }

    /// Whether the component watches `obj`, whose kind is `kind`.
    #[inline]
    fn watches_kind(&self, kind: Kind, obj: &Object) -> bool {
        match kind {
            Kind::Other => self.watches(obj.kind_name()),
            k => self.kind_bits & (1 << k as u32) != 0,
        }
    }

    /// Whether the component watches `obj`'s kind.
    fn watches_object(&self, obj: &Object) -> bool {
        match obj.kind() {
            Kind::Other => self.watches(obj.kind_name()),
            k => self.kind_bits & (1 << k as u32) != 0,
        }
    }
}

/// The components of one simulation: the built-ins that run as
/// components first, then the user's, in registration order.
pub(crate) struct Components {
    pub(crate) slots: Vec<Slot>,
    /// How many of the first slots are built-ins.
    builtins: usize,
    /// How many of the first slots are kube-controller-manager's
    /// controllers (the built-ins before the default scheduler and the
    /// cloud's service controller).
    kcm: usize,
    /// Each built-in's slot, by `Builtin as usize` (`u32::MAX`: it does
    /// not run as a component).
    by_builtin: [u32; BUILTIN_COUNT],
}

/// How many built-ins there are (`Builtin`'s variants).
const BUILTIN_COUNT: usize = Builtin::DefaultScheduler as usize + 1;

impl Default for Components {
    fn default() -> Self {
        Components { slots: Vec::new(), builtins: 0, kcm: 0, by_builtin: [u32::MAX; BUILTIN_COUNT] }
    }
}

macro_rules! with_cx {
    ($slot:expr, $ctx:expr, $pods:expr, |$c:ident, $cx:ident| $body:expr) => {{
        let slot: &mut Slot = $slot;
        let Slot { instance, core } = &mut *slot;
        let Some(inst) = instance.as_mut() else { return };
        // A built-in has no cache of its own: it gets the empty one, and
        // nothing is moved or dropped on its hot path.
        let own = core.own_cache().then(|| std::mem::take(&mut core.cache));
        {
            let mut $cx = Cx { ctx: $ctx, slot: &mut *core, cache: own.as_ref(), kcm_pods: $pods, images: None };
            let $c = &mut **inst;
            $body;
        }
        if let Some(cache) = own {
            core.cache = cache;
        }
        after_handler(slot, $ctx);
    }};
}

/// The cache a built-in's `Cx` shows (it reads the shared informers).
fn empty_cache() -> &'static Cache {
    thread_local! {
        static EMPTY: &'static Cache = Box::leak(Box::default());
    }
    EMPTY.with(|c| *c)
}

/// A crash the handler ran into (`afterWrites` reached): the instance is
/// gone, and comes back after the fault's delay.
#[inline]
fn after_handler(slot: &mut Slot, ctx: &mut Ctx) {
    if slot.crash_now {
        slot.crash_now = false;
        crash(slot, ctx);
    }
}

fn crash(slot: &mut Slot, ctx: &mut Ctx) {
    slot.end_life(ctx);
    slot.instance = None;
    slot.writes_left = None;
    slot.cache = Cache::default();
    slot.held.clear();
    slot.stale = None;
    slot.disconnected_until = None;
    ctx.event(
        true,
        "kubesim",
        "ControllerCrashed",
        "Controller",
        "",
        &slot.reg.name,
        &"controller crashed (fault injected)",
    );
    // Restarted by its supervisor; the new instance lists, then starts.
    let t = ctx.now + slot.restart_after;
    ctx.at(t, Event::ComponentStart { id: slot.id, epoch: slot.epoch, listed: false });
}

/// A watch event reaches a built-in (which watches its kind). Its watch
/// never lags nor breaks (a watch fault cannot name it: it reads
/// kube-controller-manager's shared informers), and it has no cache of
/// its own, so the path is short: this runs for each built-in on every
/// pod event.
#[inline]
fn deliver_to_builtin(slot: &mut Slot, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
    if slot.listed_rv != 0 && slot.already_listed(ev) {
        return;
    }
    // A component that is down has no instance.
    let Slot { instance, core } = &mut *slot;
    let Some(inst) = instance.as_mut() else { return };
    inst.on_watch(ev, &mut Cx { ctx, slot: core, cache: None, kcm_pods: pods, images: None });
    after_handler(slot, ctx);
}

/// A watch event reaches one component, if it watches the event's kind
/// (held back if its watch lags, lost if its watch is broken).
fn deliver_to(slot: &mut Slot, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
    if !slot.alive || !slot.watches_object(&ev.obj) {
        return;
    }
    if slot.disconnected_until.is_some_and(|t| ctx.now < t) {
        return; // lost: the relist at reconnection shows its result
    }
    let lag = slot.stale.filter(|(until, _)| ctx.now < *until).map(|(_, lag)| lag);
    if lag.is_some() || !slot.held.is_empty() {
        // A lagging view: behind what is already held, in order.
        let at = (ctx.now + lag.unwrap_or(SimDuration::ZERO)).max(slot.held.back().map_or(ctx.now, |h| h.0));
        slot.held.push_back((at, ev.clone()));
        ctx.at(at, Event::ComponentWatch { id: slot.id, epoch: slot.epoch, relist: false });
        return;
    }
    if slot.already_listed(ev) {
        return;
    }
    if slot.own_cache() {
        slot.cache.observe(ev);
    }
    with_cx!(slot, ctx, pods, |c, cx| c.on_watch(ev, &mut cx));
}

impl Components {
    /// Starts component `id` (registered before any object exists: its
    /// informers are synced on an empty list).
    pub(crate) fn start_one(&mut self, id: u32, pods: &PodInformer, ctx: &mut Ctx) {
        let slot = &mut self.slots[id as usize];
        with_cx!(slot, ctx, pods, |c, cx| c.start(&mut cx));
    }

    /// Adds a built-in's slot (before any user component): the built-ins
    /// are the first slots.
    pub(crate) fn add_builtin(&mut self, slot: Slot) {
        let b = slot.builtin.expect("a built-in's slot").builtin;
        assert_eq!(self.builtins, self.slots.len(), "built-ins come before the user's components");
        if b.in_kcm() {
            assert_eq!(self.kcm, self.builtins, "kube-controller-manager's controllers come first");
            self.kcm += 1;
        }
        self.by_builtin[b as usize] = slot.id;
        self.slots.push(slot);
        self.builtins += 1;
    }

    /// A watch event reaches built-in `b` (if it runs as a component and
    /// watches the event's kind).
    #[inline]
    pub(crate) fn deliver_builtin(&mut self, b: Builtin, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
        if let Some(slot) = self.slots.get_mut(self.by_builtin[b as usize] as usize) {
            if slot.watches_kind(ev.obj.kind(), &ev.obj) {
                deliver_to_builtin(slot, ev, pods, ctx);
            }
        }
    }

    /// A watch event reaches `first` and every kube-controller-manager
    /// slot after it, in slot order (their order in its fan-out).
    pub(crate) fn deliver_builtins_from(&mut self, first: Builtin, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
        let from = (self.by_builtin[first as usize] as usize).min(self.kcm);
        let kind = ev.obj.kind();
        for slot in &mut self.slots[from..self.kcm] {
            if slot.watches_kind(kind, &ev.obj) {
                deliver_to_builtin(slot, ev, pods, ctx);
            }
        }
    }

    /// A watch event reaches every user component that watches its kind,
    /// in registration order.
    pub(crate) fn deliver(&mut self, ev: &WatchEvent, pods: &PodInformer, ctx: &mut Ctx) {
        for slot in &mut self.slots[self.builtins..] {
            deliver_to(slot, ev, pods, ctx);
        }
    }

    /// A held-back watch event's time came (`relist: false`), or a broken
    /// watch reconnects and its informer relists (`relist: true`).
    pub(crate) fn watch_event(
        &mut self,
        id: u32,
        epoch: u32,
        relist: bool,
        store: &crate::objects::store::Store,
        pods: &PodInformer,
        ctx: &mut Ctx,
    ) {
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        if slot.epoch != epoch || !slot.alive {
            return;
        }
        if !relist {
            while slot.held.front().is_some_and(|h| h.0 <= ctx.now) {
                let (_, ev) = slot.held.pop_front().expect("front");
                if slot.already_listed(&ev) {
                    continue;
                }
                slot.cache.observe(&ev);
                with_cx!(&mut *slot, ctx, pods, |c, cx| c.on_watch(&ev, &mut cx));
                if !slot.alive || slot.epoch != epoch {
                    return;
                }
            }
            return;
        }
        // client-go's reflector after a watch it cannot resume: list, then
        // `Replace` the store, which tells the handlers the difference —
        // what changed meanwhile, each object once, in key order; every
        // state in between is never observed.
        slot.disconnected_until = None;
        let mut fresh: IndexMap<(String, Key), Object, FxBuildHasher> = IndexMap::default();
        for kind in slot.kinds.clone() {
            for obj in list_kind(store, &kind) {
                fresh.insert((kind.clone(), Key::of(obj.meta())), obj);
            }
        }
        let mut diff = Vec::new();
        for (k, obj) in &fresh {
            match slot.cache.objects.get(k) {
                None => diff.push((
                    k.clone(),
                    WatchEvent {
                        kind: WatchKind::Added,
                        obj: obj.clone(),
                        old: None,
                        propagation: Propagation::Background,
                    },
                )),
                Some(old) if old.meta().resource_version != obj.meta().resource_version => diff.push((
                    k.clone(),
                    WatchEvent {
                        kind: WatchKind::Modified,
                        obj: obj.clone(),
                        old: Some(old.clone()),
                        propagation: Propagation::Background,
                    },
                )),
                Some(_) => {}
            }
        }
        for (k, old) in &slot.cache.objects {
            if !fresh.contains_key(k) {
                diff.push((
                    k.clone(),
                    WatchEvent {
                        kind: WatchKind::Deleted,
                        obj: old.clone(),
                        old: Some(old.clone()),
                        propagation: Propagation::Background,
                    },
                ));
            }
        }
        diff.sort_by(|a, b| a.0.cmp(&b.0));
        slot.listed_rv = store.revision();
        for (_, ev) in diff {
            let slot = &mut self.slots[id as usize];
            if !slot.alive || slot.epoch != epoch {
                return;
            }
            slot.cache.observe(&ev);
            with_cx!(slot, ctx, pods, |c, cx| c.on_watch(&ev, &mut cx));
        }
    }

    /// The faults on a component's view (Sieve's perturbations):
    /// `stale` holds its watch events back by `lag` for `for_`; otherwise
    /// its watch breaks for `for_`, and it relists when it reconnects (so
    /// the changes meanwhile reach it coalesced: one event per object).
    pub(crate) fn watch_fault(
        &mut self,
        name: &str,
        stale_lag: Option<SimDuration>,
        for_: SimDuration,
        ctx: &mut Ctx,
    ) -> Result<(), String> {
        let Some(slot) = self.running(name)? else { return Ok(()) };
        if slot.builtin.is_some_and(|b| b.builtin == Builtin::DefaultScheduler) {
            // Its cache is its own state (the scheduler cache and queue),
            // which only a restart's list rebuilds in this model.
            return Err(format!(
                "error: {:?} is the default scheduler: its watch cannot be perturbed (staleWatch and coalesceWatch apply to the user's components; crashController applies to it)",
                name
            ));
        }
        if slot.builtin.is_some_and(|b| !b.builtin.in_kcm()) {
            return Err(format!(
                "error: controller {:?} is a built-in of cloud-controller-manager: its watch cannot be perturbed (staleWatch and coalesceWatch apply to the user's components; crashController applies to it)",
                name
            ));
        }
        if slot.builtin.is_some() {
            // Its informers are kube-controller-manager's, shared with the
            // other built-ins: one controller's view cannot lag alone.
            return Err(format!(
                "error: controller {:?} is a built-in: it reads kube-controller-manager's shared informers, whose watch cannot be perturbed for one controller (staleWatch and coalesceWatch apply to the user's components)",
                name
            ));
        }
        let until = ctx.now + for_;
        match stale_lag {
            Some(lag) => slot.stale = Some((until, lag)),
            None => {
                if slot.disconnected_until.is_none() {
                    // The list at reconnection takes a round trip.
                    let at = until + ctx.cfg.api_latency + ctx.cfg.api_latency;
                    slot.disconnected_until = Some(at);
                    ctx.at(at, Event::ComponentWatch { id: slot.id, epoch: slot.epoch, relist: true });
                }
            }
        }
        Ok(())
    }

    pub(crate) fn timer(&mut self, id: u32, epoch: u32, token: u64, pods: &PodInformer, ctx: &mut Ctx) {
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        if slot.epoch != epoch || !slot.alive {
            return;
        }
        with_cx!(slot, ctx, pods, |c, cx| c.on_timer(token, &mut cx));
    }

    /// The answer to component `id`'s HTTP request `req` is back (dropped
    /// if the process that sent it is gone).
    pub(crate) fn http_response(&mut self, id: u32, req: u32, res: &HttpResponse, pods: &PodInformer, ctx: &mut Ctx) {
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        if !slot.alive || req < slot.first_req {
            return;
        }
        with_cx!(slot, ctx, pods, |c, cx| c.on_http_response(RequestId(req), res, &mut cx));
    }

    pub(crate) fn response(
        &mut self,
        id: u32,
        req: u32,
        result: &Result<Object, ApiError>,
        pods: &PodInformer,
        ctx: &mut Ctx,
    ) {
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        if !slot.alive || req & !crate::runtime::UNANSWERED < slot.first_req {
            return;
        }
        with_cx!(slot, ctx, pods, |c, cx| c.on_response(RequestId(req), result.as_ref(), &mut cx));
    }

    /// The component a fault names: an error if no such component runs,
    /// `None` if it is down (a fault on a dead process does nothing).
    fn running(&mut self, name: &str) -> Result<Option<&mut Slot>, String> {
        if name == crate::nodes::kubelet::SOURCE || name == crate::proxy::SOURCE {
            return Err(format!(
                "error: {:?} is a node agent: it lives and dies with its node (crashNode, restartNode, partitionNode), and its watch cannot be perturbed",
                name
            ));
        }
        let named =
            |s: &&mut Slot| s.reg.name == name || s.builtin.is_some_and(|b| component_named(name) == Some(b.builtin));
        match self.slots.iter_mut().find(named) {
            Some(slot) if !slot.disabled => Ok(Some(slot).filter(|s| s.alive)),
            _ => Err(format!("error: controller {:?} is not running in this cluster", name)),
        }
    }

    /// The fault: crash a component now (or when it next tries to write
    /// after `after_writes` more writes), restarting after `restart_after`.
    pub(crate) fn crash_fault(
        &mut self,
        name: &str,
        after_writes: Option<u32>,
        restart_after: SimDuration,
        ctx: &mut Ctx,
    ) -> Result<(), String> {
        let Some(slot) = self.running(name)? else { return Ok(()) };
        slot.restart_after = restart_after;
        match after_writes {
            None => crash(slot, ctx),
            Some(k) => slot.writes_left = Some(k),
        }
        Ok(())
    }

    /// A restarted component: its list request goes out now and is
    /// answered after a round trip (`listed: false`); when the answer is
    /// back (`listed: true`) the new instance starts on it.
    pub(crate) fn restart(
        &mut self,
        id: u32,
        epoch: u32,
        listed: bool,
        store: &crate::objects::store::Store,
        pods: &PodInformer,
        ctx: &mut Ctx,
    ) {
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        if slot.epoch != epoch || slot.alive {
            return;
        }
        if !listed {
            let t = ctx.now + ctx.cfg.api_latency + ctx.cfg.api_latency;
            ctx.at(t, Event::ComponentStart { id, epoch, listed: true });
            return;
        }
        // The list's snapshot: every object of the watched kinds now.
        let mut cache = Cache::default();
        let mut added = Vec::new();
        for kind in slot.kinds.clone() {
            for obj in list_kind(store, &kind) {
                let ev = WatchEvent { kind: WatchKind::Added, obj, old: None, propagation: Propagation::Background };
                if slot.own_cache() {
                    cache.observe(&ev);
                }
                added.push(ev);
            }
        }
        slot.listed_rv = store.revision();
        slot.listed_renewals.clear();
        if !slot.own_cache() && slot.watches("Lease") {
            slot.listed_renewals = store.leases.values().map(|l| (Key::of(&l.meta), renewal_order(l))).collect();
        }
        slot.cache = cache;
        slot.instance = Some((slot.reg.factory)());
        slot.alive = true;
        ctx.event(false, "kubesim", "ControllerStarted", "Controller", "", &slot.reg.name, &"controller restarted");
        with_cx!(slot, ctx, pods, |c, cx| c.start(&mut cx));
        for ev in &added {
            let slot = &mut self.slots[id as usize];
            if !slot.alive {
                return;
            }
            with_cx!(slot, ctx, pods, |c, cx| c.on_watch(ev, &mut cx));
        }
    }

    /// Whether request `req` of component `id` died in its rate limiter
    /// with the process (then it never reaches the apiserver).
    pub(crate) fn never_sent(&mut self, id: u32, req: u32) -> bool {
        self.slots.get_mut(id as usize).is_some_and(|slot| slot.never_sent(req))
    }

    /// Every component up, its watch live and nothing held back.
    pub(crate) fn settled(&self) -> bool {
        self.slots.iter().all(|s| s.disabled || (s.alive && s.held.is_empty() && s.disconnected_until.is_none()))
    }

    /// Requests each user component has sent, by name.
    pub(crate) fn requests_sent(&self) -> Vec<(String, u64)> {
        self.slots.iter().filter(|s| s.builtin.is_none()).map(|s| (s.reg.name.clone(), s.sent)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::meta::OwnerReference;
    use crate::objects::pod::PodSpec;
    use proptest::prelude::*;

    /// One write a random watch stream makes: pod `i`'s new version (its
    /// namespace, labels from small sets, owners, node), or its deletion.
    fn pod_version(i: u8, ns: u8, app: u8, tier: Option<u8>, owners: Vec<u8>, node: Option<u8>) -> Object {
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("app".to_string(), format!("a{}", app));
        if let Some(t) = tier {
            labels.insert("tier".to_string(), format!("t{}", t));
        }
        let owner_references = owners
            .into_iter()
            .map(|o| OwnerReference {
                api_version: "apps/v1".into(),
                kind: "ReplicaSet".into(),
                name: format!("rs{}", o).into(),
                uid: 1000 + o as u64,
                controller: false,
                block_owner_deletion: false,
            })
            .collect();
        let meta = ObjectMeta {
            name: format!("p{}", i).into(),
            namespace: format!("ns{}", ns).into(),
            uid: i as u64 + 1,
            labels: Rc::new(labels),
            owner_references,
            ..Default::default()
        };
        let spec = PodSpec { node_name: node.map(|n| format!("node-{}", n).into()), ..Default::default() };
        Object::Pod(Rc::new(Pod { meta, spec: Rc::new(spec), status: Default::default() }))
    }

    type Write = (u8, u8, u8, Option<u8>, Vec<u8>, Option<u8>, bool);

    fn writes() -> impl Strategy<Value = Vec<Write>> {
        let write = (
            0u8..12,
            0u8..2,
            0u8..3,
            proptest::option::of(0u8..2),
            proptest::collection::vec(0u8..3, 0..3),
            proptest::option::of(0u8..3),
            proptest::bool::weighted(0.2),
        );
        proptest::collection::vec(write, 0..60)
    }

    proptest! {
        /// The literal twin of the cache's indexes: after any stream of
        /// adds, updates (relabels, new owners, binds) and deletions, each
        /// indexed read gives what a walk over the cache gives, in the
        /// same order.
        #[test]
        fn indexed_reads_equal_the_walk(stream in writes()) {
            let mut cache = Cache::default();
            let mut present = std::collections::BTreeSet::new();
            for (i, ns, app, tier, owners, node, delete) in stream {
                let obj = pod_version(i, ns, app, tier, owners, node);
                let kind = if delete {
                    if !present.remove(&i) {
                        continue;
                    }
                    WatchKind::Deleted
                } else if present.insert(i) {
                    WatchKind::Added
                } else {
                    WatchKind::Modified
                };
                cache.observe(&WatchEvent { kind, obj, old: None, propagation: Propagation::Background });
            }
            let names = |v: Vec<&Object>| v.iter().map(|o| o.meta().name.to_string()).collect::<Vec<_>>();
            for sel in ["app=a1", "app in (a0,a2)", "app=a0,tier=t1", "tier", "app!=a1", "app=a9", "tier notin (t0)"] {
                let sel = Selector::parse(sel).expect("selector");
                for ns in ["ns0", "ns1"] {
                    let walked: Vec<&Object> = cache
                        .list(Kind::Pod)
                        .filter(|o| *o.meta().namespace == *ns && sel.matches(&o.meta().labels))
                        .collect();
                    prop_assert_eq!(names(cache.select(Kind::Pod, ns, &sel).collect()), names(walked));
                }
            }
            for uid in 1000..1004 {
                let walked: Vec<&Object> =
                    cache.list(Kind::Pod).filter(|o| o.meta().owner_references.iter().any(|r| r.uid == uid)).collect();
                prop_assert_eq!(names(cache.owned_by(uid)), names(walked));
            }
            for node in ["node-0", "node-1", "node-2", "node-9"] {
                let walked: Vec<String> =
                    cache.pods().filter(|p| p.node_name() == Some(node)).map(|p| p.meta.name.to_string()).collect();
                let indexed: Vec<String> = cache.pods_on_node(node).iter().map(|p| p.meta.name.to_string()).collect();
                prop_assert_eq!(indexed, walked);
            }
        }
    }

    struct Noop;
    impl Controller for Noop {
        fn watches(&self) -> Vec<Kind> {
            vec![]
        }
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// `IsControllerEnabled`'s table (cmd/kube-controller-manager/app/
    /// controllermanager.go): an explicit name wins, then `-name`, then
    /// `*` for what is on by default.
    #[test]
    fn controllers_follow_kube_controller_manager_rules() {
        let reg = Registry::new().controller("mine", || Noop).controller_on_by_default("always", || Noop);
        let sel = |c: &[&str]| reg.select(&names(c), &[]).expect("valid");
        let on = |s: &Selection, n: &str| s.components.iter().any(|c| c.name == n);

        let all = sel(&[]);
        assert!(BUILTIN_CONTROLLERS.iter().all(|(b, _, _)| all.builtins.enabled(*b)));
        assert!(!on(&all, "mine") && on(&all, "always"));

        let s = sel(&["*", "-replicaset", "mine"]);
        assert!(!s.builtins.enabled(Builtin::ReplicaSet));
        assert!(s.builtins.enabled(Builtin::ReplicationController));
        assert!(on(&s, "mine") && on(&s, "always"));

        // Without `*` only the named ones run (of kube-controller-
        // manager's: cloud-controller-manager's service controller reads a
        // list of its own, and runs unless named with `-`).
        let s = sel(&["mine"]);
        let mut only_ccm = Builtins::none();
        only_ccm.set(Builtin::ServiceLb, true);
        assert_eq!(s.builtins, only_ccm);
        assert!(on(&s, "mine") && !on(&s, "always"));
        assert!(!sel(&["*", "-service"]).builtins.enabled(Builtin::ServiceLb));

        // The long names work as the aliases do; `-` beats `*`.
        let s = sel(&["-node-lifecycle-controller", "*"]);
        assert!(!s.builtins.enabled(Builtin::NodeLifecycle));
        assert!(s.builtins.enabled(Builtin::PodGc));

        let err = reg.select(&names(&["*", "nope"]), &[]).err().expect("unknown");
        assert_eq!((err.0.as_str(), err.1), ("controllers", 1));
        assert!(err.2.contains("unknown controller \"nope\""), "{}", err.2);
        assert!(reg.select(&[], &names(&["mine"])).is_err(), "a controller is not a scheduler");
    }
}
