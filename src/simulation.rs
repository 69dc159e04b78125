//! The simulation: one event loop over the store, the control plane and the
//! kubelets. It owns every component and hands each event to its handler
//! with a `Ctx`; components never call each other.

#![warn(missing_docs)]

use crate::component::{
    Builtin, Builtins, Components, Controller, Cx, Registration, Slot, SlotCore, NODE_AGENT, PROXY_AGENT,
};
use crate::config::Config;
use crate::controllers::cronjob::CronJobController;
use crate::controllers::daemonset::DaemonSetController;
use crate::controllers::deployment::DeploymentController;
use crate::controllers::endpoints::EndpointsController;
use crate::controllers::endpointslice::EndpointSliceController;
use crate::controllers::garbagecollector::GarbageCollector;
use crate::controllers::informer::PodInformer;
use crate::controllers::job::JobController;
use crate::controllers::kubernetesservice;
use crate::controllers::nodelifecycle::NodeLifecycleController;
use crate::controllers::podgc::PodGc;
use crate::controllers::replication::ReplicationManager;
use crate::controllers::scheduler::{Scheduler, SchedulerStats};
use crate::controllers::tainteviction::TaintEvictionController;
use crate::controllers::ttlafterfinished::TtlAfterFinishedController;
use crate::kinds::deployment::Deployment;
use crate::nodes::images::ImageCatalog;
use crate::nodes::kubelet::{Kubelet, ListSnapshot};
use crate::objects::meta::ObjectMeta;
use crate::objects::node::Node;
use crate::objects::pod::Pod;
use crate::objects::replicaset::{ReplicaKind, ReplicaSet};
use crate::objects::resources::Resources;
use crate::objects::store::{ApiOp, Key, Store, WatchEvent, WatchKind};
use crate::objects::{Kind, Namespace, Object};
use crate::proxy::KubeProxies;
use crate::runtime::{Client, Ctx, Event, Network, Throttles};
use crate::scenario::action::{Action, ContainerOp};
use crate::scenario::workload::WorkloadPod;
use crate::sim::trace::Trace;
use crate::sim::{EventQueue, SimDuration, SimTime};
use crate::traffic::{Traffic, World};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

/// What a user command printed (`kubectl exec POD -- curl …`'s answer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserOutput {
    /// When.
    pub time: SimTime,
    /// The object the command ran in (`pod/NAME`).
    pub object: String,
    /// The line it printed.
    pub message: String,
}

/// An error a user command got back (printed like kubectl prints it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// When the apiserver answered.
    pub time: SimTime,
    /// The line kubectl would print (`ApiError::kubectl_message`), e.g.
    /// `Error from server (NotFound): pods "web-1" not found`.
    pub message: String,
    /// The timeline entry (its index, in schedule order) whose operation
    /// failed; `None` for the scenario's setup (its `objects:`, nodes and
    /// workload rows).
    pub entry: Option<u32>,
}

impl UserError {
    /// Whether kubectl would exit non-zero: `No resources found` (a
    /// delete or label by selector that matched nothing) is printed but is
    /// not a failure.
    pub fn is_failure(&self) -> bool {
        self.message != "No resources found"
    }
}

/// A running simulated cluster: the event queue and virtual clock, the
/// store (apiserver and etcd), the built-in control plane (scheduler,
/// replication manager, garbage collector, node-lifecycle and
/// taint-eviction controllers, pod GC), one kubelet per node, the user's
/// components, and the trace. Build one with `Simulation::builder`, then
/// advance it with `run_until` or `step`; read the cluster through
/// `store`.
pub struct Simulation {
    /// The cluster's configuration (`cluster.config`): timings, latencies,
    /// limits.
    pub cfg: Config,
    /// The run's master seed; every random stream derives from it.
    pub seed: u64,
    queue: EventQueue<Event>,
    /// The apiserver's state: every object, as a quorum read sees it now.
    pub store: Store,
    /// The trace of every write and Event, and its running hash.
    pub trace: Trace,
    /// The reports' observers of every write (cluster totals, pod times).
    pub observers: crate::report::observe::Observers,
    throttles: Throttles,
    net: Network,
    /// The default scheduler's counters (it runs as a component, and
    /// keeps them over its restarts).
    scheduler_stats: Rc<SchedulerStats>,
    /// kube-controller-manager's shared pod informer, read by the
    /// controllers below.
    kcm_pods: PodInformer,
    /// Every node's kube-proxy.
    pub(crate) proxies: KubeProxies,
    /// The kubelets' Service informer, for the service environment
    /// variables of containers.
    service_env: crate::nodes::service_env::ServiceLister,
    /// The traffic sources and what their requests came to.
    pub traffic: Traffic,
    kubelets: Vec<Kubelet>,
    /// Each kubelet's component slot (its life, its timers' epoch, the
    /// source of its Events), by node index.
    kubelet_slots: Vec<SlotCore>,
    kubelet_index: IndexMap<Rc<str>, u32, FxBuildHasher>,
    /// What the containers of each image do (the scenario's `images:`).
    pub images: ImageCatalog,
    timeline: Vec<(SimTime, Action)>,
    workload: Vec<WorkloadPod>,
    /// The errors the user's timeline operations got back, in order
    /// (what kubectl would have printed).
    pub user_errors: Vec<UserError>,
    /// What the user's timeline commands printed, in order.
    pub user_outputs: Vec<UserOutput>,
    /// The timeline entry being executed now, whose errors are its own.
    executing: Option<u32>,
    events_processed: u64,
    /// Which built-in controllers run (`cluster.controllers`).
    builtins: Builtins,
    /// The user's components, in registration order.
    components: Components,
}

macro_rules! ctx {
    ($s:ident) => {
        Ctx {
            now: $s.queue.now(),
            cfg: &$s.cfg,
            queue: &mut $s.queue,
            trace: &mut $s.trace,
            throttles: &mut $s.throttles,
            net: &mut $s.net,
        }
    };
}

/// Runs `$body` with node `$i`'s kubelet as `$k` and its component handle
/// as `$cx` (the kubelet is a `Controller` held by type: the data plane
/// reads its container runtime).
macro_rules! with_kubelet {
    ($s:ident, $i:expr, |$k:ident, $cx:ident| $body:expr) => {{
        let i = $i as usize;
        let mut ctx = ctx!($s);
        let mut $cx = Cx {
            ctx: &mut ctx,
            slot: &mut $s.kubelet_slots[i],
            cache: None,
            kcm_pods: &$s.kcm_pods,
            images: Some(&$s.images),
        };
        let $k = &mut $s.kubelets[i];
        $body
    }};
}

macro_rules! world {
    ($s:ident) => {
        World {
            proxies: &mut $s.proxies,
            kubelets: &mut $s.kubelets,
            store: &$s.store,
            node_index: &$s.kubelet_index,
            queue: &mut $s.queue,
            trace: &mut $s.trace,
        }
    };
}

/// Builds a simulation from a scenario: its seed (or the scenario's), the
/// components a registry offers (what `cluster.controllers` and
/// `cluster.schedulers` may name), and extra components the scenario does
/// not name (a test's own observers).
///
/// ```
/// use kubesim::prelude::*;
///
/// let scn = kubesim::scenario::load("scenarios/node-dies-rc-reschedules.yaml".as_ref()).unwrap();
/// let mut sim = Simulation::builder(&scn).seed(3).build().unwrap();
/// sim.run_until(SimTime::from_secs(60));
/// assert_eq!(sim.store.pods.len(), 3);
/// while sim.step(SimTime::from_secs(600)) {
///     sim.check_invariants().unwrap(); // after every event
/// }
/// println!("{}", sim.trace.hash_hex());
/// ```
pub struct SimulationBuilder<'a> {
    scenario: &'a crate::scenario::Scenario,
    seed: Option<u64>,
    registry: crate::component::Registry,
    extra: Vec<Registration>,
}

impl<'a> SimulationBuilder<'a> {
    /// The run's seed (default: the scenario's, else 1).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The components the scenario may name.
    pub fn registry(mut self, registry: crate::component::Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Runs `make`'s controller as well, named `name`, whatever the
    /// scenario selects.
    pub fn component<C: crate::component::Controller + 'static>(
        mut self,
        name: &str,
        make: impl Fn() -> C + 'static,
    ) -> Self {
        let factory: crate::component::Factory =
            Rc::new(move || Box::new(make()) as Box<dyn crate::component::Controller>);
        self.extra.push(Registration {
            name: name.into(),
            role: crate::component::Role::Controller,
            factory,
            qps: 20,
            burst: 30,
            on_by_default: true,
        });
        self
    }

    /// The simulation at t = 0, or the scenario's unknown component names.
    pub fn build(self) -> Result<Simulation, crate::scenario::error::LoadErrors> {
        let mut sel = self.scenario.select(&self.registry)?;
        sel.components.extend(self.extra);
        let seed = self.seed.or(self.scenario.seed).unwrap_or(1);
        Ok(self.scenario.build_selected(seed, &sel, |_| {}))
    }
}

/// What can be read of a node's kubelet from outside the simulation: the
/// node agent's own state, which the apiserver does not hold (what it
/// admitted, the containers it runs, their logs).
#[derive(Clone, Copy)]
pub struct KubeletView<'a>(&'a Kubelet);

impl<'a> KubeletView<'a> {
    /// The name of its node.
    pub fn name(&self) -> &'a str {
        &self.0.name
    }

    /// Its node has not crashed (or has restarted since).
    pub fn is_alive(&self) -> bool {
        self.0.alive
    }

    /// Its node's internal IP (the address the apiserver dials for
    /// `kubectl logs` and `exec`).
    pub fn node_ip(&self) -> String {
        Kubelet::node_ip(self.0.idx)
    }

    /// Its node is cut from the control plane (`partitionNode`).
    pub fn is_partitioned(&self) -> bool {
        self.0.partitioned
    }

    /// The requests of the pods it admitted that are not terminal (what
    /// its admission checks new pods against).
    pub fn admitted(&self) -> Resources {
        self.0.admitted()
    }

    /// How many pods have a live worker (admitted and not terminal).
    pub fn running_pods(&self) -> usize {
        self.0.running_pods()
    }

    /// The log of container `idx` of pod `uid` as `kubectl logs` shows it
    /// at `now` (`previous`: the instance before the last restart), if the
    /// pod runs here and logs are kept.
    pub fn logs(&self, uid: u64, idx: usize, previous: bool, now: SimTime) -> Option<Vec<String>> {
        self.0.logs(uid, idx, previous, now)
    }
}

impl Simulation {
    /// A builder of the simulation of `scenario`.
    pub fn builder(scenario: &crate::scenario::Scenario) -> SimulationBuilder<'_> {
        SimulationBuilder { scenario, seed: None, registry: crate::component::Registry::new(), extra: Vec::new() }
    }

    /// A simulation with nothing in it; call `bootstrap` next.
    pub fn new(mut cfg: Config, seed: u64) -> Self {
        // The analytic heartbeat model computes when renewals are seen from
        // fixed hop times: with drawn latencies the literal model runs.
        if !cfg.network.is_fixed() {
            cfg.heartbeat_skipping = false;
        }
        let mut queue = EventQueue::new();
        // Every fixed delay the components use gets a FIFO lane.
        for lane in [
            SimDuration::ZERO,
            cfg.api_latency,
            cfg.watch_latency,
            cfg.scheduler_cycle,
            cfg.sandbox_start,
            cfg.container_start,
            cfg.image_manifest_check,
            cfg.api_latency + cfg.watch_latency,
        ] {
            queue.add_lane(lane);
        }
        let net = Network::new(&cfg, seed);
        let proxies = KubeProxies::new(cfg.proxy_mode, cfg.proxy_min_sync, seed);
        let traffic = Traffic::new(cfg.network.data, cfg.traffic_lanes, seed);
        Simulation {
            cfg,
            seed,
            queue,
            store: Store::new(seed),
            trace: Trace::new(),
            observers: Default::default(),
            throttles: Throttles::default(),
            net,
            scheduler_stats: Rc::default(),
            kcm_pods: PodInformer::default(),
            proxies,
            service_env: Default::default(),
            traffic,
            kubelets: Vec::new(),
            kubelet_slots: Vec::new(),
            kubelet_index: IndexMap::default(),
            images: ImageCatalog::default(),
            timeline: Vec::new(),
            workload: Vec::new(),
            user_errors: Vec::new(),
            user_outputs: Vec::new(),
            executing: None,
            events_processed: 0,
            builtins: Builtins::default(),
            components: Components::default(),
        }
        .with_builtin_components()
    }

    /// The built-in control plane on the `Controller` trait, as the first
    /// component slots (started by `bootstrap`): kube-controller-manager's
    /// controllers in the order of its watch fan-out, then kube-scheduler.
    fn with_builtin_components(mut self) -> Self {
        use crate::component::{BuiltinIdentity, Registration, Role};
        fn factory<C: crate::component::Controller + 'static>(
            make: impl Fn() -> C + 'static,
        ) -> crate::component::Factory {
            Rc::new(move || Box::new(make()) as Box<dyn crate::component::Controller>)
        }
        // In kube-controller-manager's handler order (the watch fan-out
        // reaches them in this order, after the node-lifecycle controller).
        let ported: [(Builtin, Client, &'static str, crate::component::Factory); 13] = [
            (
                Builtin::ReplicaSet,
                Client::Replication(ReplicaKind::ReplicaSet),
                crate::controllers::replication::source(ReplicaKind::ReplicaSet),
                factory(|| ReplicationManager::new(ReplicaKind::ReplicaSet)),
            ),
            (
                Builtin::ReplicationController,
                Client::Replication(ReplicaKind::ReplicationController),
                crate::controllers::replication::source(ReplicaKind::ReplicationController),
                factory(|| ReplicationManager::new(ReplicaKind::ReplicationController)),
            ),
            (
                Builtin::GarbageCollector,
                Client::GarbageCollector,
                "garbage-collector-controller",
                factory(GarbageCollector::new),
            ),
            (
                Builtin::NodeLifecycle,
                Client::NodeLifecycle,
                crate::controllers::nodelifecycle::SOURCE,
                factory(NodeLifecycleController::new),
            ),
            (
                Builtin::TaintEviction,
                Client::TaintEviction,
                "taint-eviction-controller",
                factory(TaintEvictionController::new),
            ),
            (Builtin::PodGc, Client::PodGc, "pod-garbage-collector", factory(PodGc::new)),
            (Builtin::Endpoints, Client::Endpoints, "endpoint-controller", factory(EndpointsController::new)),
            (
                Builtin::Deployment,
                Client::Deployment(0),
                crate::controllers::deployment::SOURCE,
                factory(DeploymentController::new),
            ),
            (
                Builtin::DaemonSet,
                Client::DaemonSet,
                crate::controllers::daemonset::SOURCE,
                factory(DaemonSetController::new),
            ),
            (
                Builtin::EndpointSlice,
                Client::EndpointSlice,
                "endpointslice-controller",
                factory(EndpointSliceController::new),
            ),
            (Builtin::Job, Client::Job, crate::controllers::job::SOURCE, factory(JobController::new)),
            (
                Builtin::TtlAfterFinished,
                Client::TtlAfterFinished,
                "ttl-after-finished-controller",
                factory(TtlAfterFinishedController::new),
            ),
            (Builtin::CronJob, Client::CronJob, crate::controllers::cronjob::SOURCE, factory(CronJobController::new)),
        ];
        // kube-scheduler, after them (its watch comes first in the
        // fan-out: `deliver`). Each life draws its tie-breaks from a
        // stream of its own; the counters outlive it.
        let (seed, stats, lives) = (self.seed, self.scheduler_stats.clone(), std::cell::Cell::new(0));
        let scheduler = factory(move || {
            let life = lives.replace(lives.get() + 1);
            Scheduler::for_life(seed, life, stats.clone())
        });
        let scheduler =
            (Builtin::DefaultScheduler, Client::Scheduler, crate::objects::pod::DEFAULT_SCHEDULER, scheduler);
        // cloud-controller-manager's service controller, and the cloud it
        // talks to (which outlives its lives).
        let cloud = Rc::new(std::cell::RefCell::new(crate::controllers::servicelb::Cloud::default()));
        let service_lb = (
            Builtin::ServiceLb,
            Client::ServiceLb,
            crate::controllers::servicelb::SOURCE,
            factory(move || crate::controllers::servicelb::ServiceLbController::new(cloud.clone())),
        );
        for (builtin, client, source, factory) in ported.into_iter().chain([scheduler, service_lb]) {
            let id = self.components.slots.len() as u32;
            let name = crate::component::builtin_name(builtin).to_string();
            // Its requests go through its built-in client's bucket and
            // link (kube-controller-manager's QPS and burst, or
            // kube-scheduler's: `Throttles::add_builtin`; `qps` and
            // `burst` here are unused).
            let reg = Registration {
                name,
                role: if builtin == Builtin::DefaultScheduler { Role::Scheduler } else { Role::Controller },
                factory,
                qps: self.cfg.kcm_qps,
                burst: self.cfg.kcm_burst,
                on_by_default: true,
            };
            self.throttles.add_builtin(id, client);
            let slot = Slot::builtin(id, reg, BuiltinIdentity { builtin, source });
            self.components.add_builtin(slot);
        }
        self
    }

    /// Chooses which built-in controllers run (before `bootstrap`).
    pub fn set_builtins(&mut self, builtins: Builtins) {
        self.builtins = builtins;
        for slot in &mut self.components.slots {
            if let Some(b) = slot.builtin {
                // (`cluster.controllers` is kube-controller-manager's
                // flag: it does not reach kube-scheduler.)
                let off = b.builtin != Builtin::DefaultScheduler && !builtins.enabled(b.builtin);
                slot.disabled = off;
                slot.alive = !off;
                if off {
                    slot.instance = None;
                }
            }
        }
    }

    /// Adds a user component (before `bootstrap`, so that it watches from
    /// the first object on); it starts at once.
    pub fn add_component(&mut self, reg: Registration) {
        let id = self.components.slots.len() as u32;
        let slot = Slot::new(id, reg);
        // The analytic heartbeat model folds a Lease's renewals into one
        // stream: a component that watches Leases must see each renewal,
        // as it would in a cluster, so the literal model runs.
        if slot.watches("Lease") {
            self.cfg.heartbeat_skipping = false;
        }
        self.throttles.add_component(id, slot.reg.qps, slot.reg.burst);
        self.components.slots.push(slot);
        let mut ctx = ctx!(self);
        self.components.start_one(id, &self.kcm_pods, &mut ctx);
    }

    /// Whether every component (user or built-in) is up, with its watch
    /// live and not lagging (no component fault in progress).
    pub fn components_settled(&self) -> bool {
        self.components.settled()
    }

    /// Requests each user component has sent, by name.
    pub fn component_requests(&self) -> Vec<(String, u64)> {
        self.components.requests_sent()
    }

    /// An empty cluster, bootstrapped (see `bootstrap`).
    pub fn with_defaults(cfg: Config, seed: u64) -> Self {
        let mut sim = Self::new(cfg, seed);
        sim.bootstrap();
        sim
    }

    /// What every cluster has at t = 0: the built-in namespaces, and the
    /// PodGC loop.
    pub fn bootstrap(&mut self) {
        let sim = self;
        for ns in crate::objects::BUILTIN_NAMESPACES {
            let obj =
                Object::Namespace(Rc::new(Namespace { meta: ObjectMeta { name: ns.into(), ..Default::default() } }));
            let now = sim.now();
            sim.apply_op(Client::User, ApiOp::Create(obj), now);
        }
        // The built-in controllers that are components (the pod GC's
        // loop starts here).
        for id in 0..sim.components.slots.len() as u32 {
            if sim.components.slots[id as usize].builtin.is_some() {
                let mut ctx = ctx!(sim);
                sim.components.start_one(id, &sim.kcm_pods, &mut ctx);
            }
        }
        // The apiserver's own Service and kubeadm's cluster DNS Service.
        for obj in kubernetesservice::bootstrap_objects() {
            let now = sim.now();
            sim.apply_op(Client::Apiserver, ApiOp::Create(obj), now);
        }
        sim.queue.push(SimTime::ZERO + kubernetesservice::INTERVAL, Event::KubernetesService);
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// How many events the loop has handled so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// The default scheduler's scheduling attempts so far, and how many of
    /// them a score tree answered (the `schedulerScoreTrees` fast path)
    /// instead of the walk over the nodes.
    pub fn scheduling_attempts(&self) -> (u64, u64) {
        (self.scheduler_stats.attempts.get(), self.scheduler_stats.tree_answered.get())
    }

    /// The kubelets, one per node, in the order the nodes were added
    /// (a deleted node's kubelet stays, stopped).
    pub fn kubelets(&self) -> impl ExactSizeIterator<Item = KubeletView<'_>> + '_ {
        self.kubelets.iter().map(KubeletView)
    }

    /// The kubelet of the node named `node`, if one was ever added.
    pub fn kubelet(&self, node: &str) -> Option<KubeletView<'_>> {
        self.kubelet_index.get(node).map(|&i| KubeletView(&self.kubelets[i as usize]))
    }

    /// Adds a node now: its Node object and a running kubelet.
    pub fn add_node(&mut self, node: Rc<Node>) {
        let name = node.meta.name.clone();
        if self.kubelet_index.contains_key(&name) {
            self.user_error(format!("nodes \"{}\" already exists", name));
            return;
        }
        let idx = self.kubelets.len() as u32;
        let mut n = (*node).clone();
        n.status.internal_ip = Kubelet::node_ip(idx);
        n.status.ready.last_heartbeat_time = self.now();
        n.status.ready.last_transition_time = self.now();
        self.apply_op(Client::User, ApiOp::Create(Object::Node(Rc::new(n))), self.now());
        self.kubelets.push(Kubelet::new(idx, name.clone(), self.now()));
        self.kubelet_slots.push(SlotCore::node_agent(idx));
        self.kubelet_index.insert(name.clone(), idx);
        let mut ctx = ctx!(self);
        self.proxies.add_node(idx, &mut ctx, &self.kcm_pods);
        self.traffic.nodes_changed();
        with_kubelet!(self, idx, |k, cx| k.start(&mut cx));
    }

    /// Creates an object directly in the store now (scenario install).
    pub fn create_now(&mut self, obj: Object) {
        self.apply_op(Client::User, ApiOp::Create(obj), self.now());
    }

    /// Schedules a timeline action.
    pub fn schedule_action(&mut self, at: SimTime, action: Action) {
        let i = self.timeline.len();
        self.timeline.push((at, action));
        self.queue.push(at, Event::Timeline(i));
    }

    /// Installs a workload trace (pods in arrival order).
    pub fn set_workload(&mut self, mut pods: Vec<WorkloadPod>) {
        pods.sort_by_key(|p| p.arrival);
        if let Some(first) = pods.first() {
            self.queue.push(first.arrival + self.cfg.api_latency, Event::Workload(0));
        }
        self.workload = pods;
    }

    /// Runs the next event if it is at or before `limit`; false when there
    /// is none. Lets a test check invariants after every event.
    pub fn step(&mut self, limit: SimTime) -> bool {
        match self.queue.pop_until(limit) {
            Some((_, ev)) => {
                self.events_processed += 1;
                self.dispatch(ev);
                true
            }
            None => false,
        }
    }

    /// Runs every event at or before `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: SimTime) {
        while let Some((_, ev)) = self.queue.pop_until(t) {
            self.events_processed += 1;
            self.dispatch(ev);
        }
        self.queue.advance_to(t);
    }

    /// An error of the timeline entry being executed (or of the setup).
    fn user_error(&mut self, message: String) {
        self.user_errors.push(UserError { time: self.now(), message, entry: self.executing });
    }

    /// A request reaches the apiserver; its response (or error) is back at
    /// the client at `reply_at`.
    fn apply_op(&mut self, from: Client, op: ApiOp, reply_at: SimTime) {
        // A partitioned node's requests do not reach the apiserver.
        match from {
            Client::Kubelet(i) if self.kubelets[i as usize].partitioned => return,
            // A kubelet's write: lost if its node is cut from the
            // apiserver, never sent if it still waited in the client's
            // rate limiter when its node crashed.
            Client::Component { id, req } if id & NODE_AGENT != 0 => {
                let i = (id & !NODE_AGENT) as usize;
                // (Both looked at: a never-sent request is forgotten.)
                let never_sent = self.kubelet_slots[i].never_sent(req);
                if never_sent || self.kubelets[i].partitioned {
                    return;
                }
            }
            // Nor do those a crashed component had waiting in its rate
            // limiter.
            Client::Component { id, req } if self.components.never_sent(id, req) => return,
            _ => {}
        }
        let now = self.now();
        let result = self.store.apply(now, op, &mut self.trace);
        if let Some((id, req)) = from.wants_answer() {
            // Every request of a component gets its answer (unless it
            // said it does not wait for it).
            let answer = match &result {
                Ok(ev) => Ok(ev.obj.clone()),
                Err(e) => Err(e.clone()),
            };
            let back = Event::ComponentResponse { id, req, result: Box::new(answer) };
            self.queue.push(reply_at, back);
        }
        match result {
            Ok(ev) => {
                self.observers.on_write(now, &ev);
                if let (WatchKind::Deleted, Object::Lease(l), true) = (ev.kind, &ev.obj, self.cfg.heartbeat_skipping) {
                    // The analytic renewals went with the object: the
                    // kubelet sends the renewal that re-creates it.
                    if &*l.meta.namespace == crate::objects::lease::NODE_LEASE_NAMESPACE {
                        if let Some(&i) = self.kubelet_index.get(&l.meta.name) {
                            with_kubelet!(self, i, |k, cx| k.lease_deleted(&mut cx));
                        }
                    }
                }
                let seen = self.net.watch_at(now);
                if seen == now + self.cfg.watch_latency {
                    self.queue.push_after(self.cfg.watch_latency, Event::Watch(ev));
                } else {
                    self.queue.push(seen, Event::Watch(ev));
                }
            }
            Err(err) => {
                if let Client::User | Client::Timeline(_) = from {
                    let entry = match from {
                        Client::Timeline(i) => Some(i),
                        _ => None,
                    };
                    self.user_errors.push(UserError { time: now, message: err.kubectl_message(), entry });
                }
                // The other clients' failures are benign races (the
                // object moved on), visible in no trace; a component's
                // went back to it above.
            }
        }
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Api { from, op, reply_at } => self.apply_op(from, *op, reply_at),
            Event::Watch(ev) => self.deliver(&ev),
            Event::KubernetesService => {
                let now = self.now();
                for op in kubernetesservice::reconcile(&self.store) {
                    self.apply_op(Client::Apiserver, op, now);
                }
                self.queue.push(now + kubernetesservice::INTERVAL, Event::KubernetesService);
            }
            Event::KubeletList { node, seq } => {
                let k = &mut self.kubelets[node as usize];
                // The apiserver answers the kubelet's LIST (pods with
                // `spec.nodeName=<node>`, and its Node) from what it holds
                // now; a partitioned node's request never came, nor does
                // one a crashed kubelet no longer waits for.
                if !k.alive || k.partitioned || !k.awaits_list(seq) {
                    return;
                }
                let snapshot = ListSnapshot {
                    rv: self.store.revision(),
                    pods: self.store.pods_on_node(&k.name),
                    node: self.store.nodes.get(&*k.name).cloned(),
                };
                with_kubelet!(self, node, |k, cx| k.list_answered(seq, snapshot, &mut cx));
            }
            Event::Timeline(i) => {
                let action = self.timeline[i].1.clone();
                self.executing = Some(i as u32);
                self.execute(action);
                self.executing = None;
            }
            Event::ComponentTimer { id, epoch, token } if id & NODE_AGENT != 0 && id & PROXY_AGENT != 0 => {
                let mut ctx = ctx!(self);
                self.proxies.timer(id & !(NODE_AGENT | PROXY_AGENT), epoch, token, &mut ctx, &self.kcm_pods);
            }
            Event::ComponentTimer { id, epoch, token } if id & NODE_AGENT != 0 => {
                let i = id & !NODE_AGENT;
                let slot = &self.kubelet_slots[i as usize];
                if slot.epoch == epoch && slot.alive {
                    with_kubelet!(self, i, |k, cx| k.on_timer(token, &mut cx));
                }
            }
            Event::ComponentTimer { id, epoch, token } => {
                let mut ctx = ctx!(self);
                self.components.timer(id, epoch, token, &self.kcm_pods, &mut ctx);
            }
            Event::ComponentResponse { id, req, result } => {
                let mut ctx = ctx!(self);
                self.components.response(id, req, &result, &self.kcm_pods, &mut ctx);
            }
            Event::ComponentHttp { id, req, request } => {
                let (from, c) = *request;
                let now = self.now();
                // The client's pod, found through the API (as `kubectl
                // exec` finds it), must run: its node up, its sandbox
                // there, a container of it running.
                let runs = |p: &Pod| {
                    let (Some(node), Some(ip)) = (p.node_name(), p.status.pod_ip.as_deref()) else { return false };
                    let Some(&k) = self.kubelet_index.get(node) else { return false };
                    p.status.phase == crate::objects::pod::PodPhase::Running
                        && self.kubelets[k as usize].runs_pod(p.meta.uid, ip)
                };
                let (response, in_flight) = match self.store.pod(&from).filter(|p| runs(p)).cloned() {
                    Some(pod) => {
                        let mut w = world!(self);
                        self.traffic.request_in_flight(&pod, &c, &mut w, now)
                    }
                    None => (
                        crate::traffic::curl::HttpResponse {
                            outcome: crate::traffic::stats::Outcome::Refused,
                            exit_code: 1,
                            pod: None,
                            message: format!("error: pod {} is not running", from),
                            after: SimDuration::ZERO,
                        },
                        Default::default(),
                    ),
                };
                let at = now + response.after;
                let response = Box::new((response, in_flight, c, now));
                self.queue.push(at, Event::ComponentHttpResponse { id, req, response });
            }
            Event::ComponentHttpResponse { id, req, mut response } => {
                // What happened to the process meanwhile (a reset; a node
                // that died: no answer before the timeout).
                let (r, f, c, sent) = &mut *response;
                let w = world!(self);
                if let Some(later) = crate::traffic::Traffic::settle(r, f, c, *sent, &w) {
                    if later > self.now() {
                        self.queue.push(later, Event::ComponentHttpResponse { id, req, response });
                        return;
                    }
                }
                let mut ctx = ctx!(self);
                self.components.http_response(id, req, &response.0, &self.kcm_pods, &mut ctx);
            }
            Event::ComponentWatch { id, epoch, relist } => {
                let mut ctx = ctx!(self);
                self.components.watch_event(id, epoch, relist, &self.store, &self.kcm_pods, &mut ctx);
            }
            Event::ComponentStart { id, epoch, listed } => {
                let mut ctx = ctx!(self);
                self.components.restart(id, epoch, listed, &self.store, &self.kcm_pods, &mut ctx);
            }
            Event::TrafficArrival { source } => {
                let now = self.now();
                let mut w = world!(self);
                self.traffic.on_arrival(source, &mut w, now);
            }
            Event::TrafficDone { flight } => {
                let now = self.now();
                let mut w = world!(self);
                self.traffic.on_done(flight, &mut w, now);
            }
            Event::Workload(i) => {
                // The i-th pod's create, which left its client at its
                // arrival, reaches the apiserver.
                let pod = self.workload[i].build();
                if let Some(next) = self.workload.get(i + 1) {
                    self.queue.push(next.arrival + self.cfg.api_latency, Event::Workload(i + 1));
                }
                let now = self.now();
                self.apply_op(Client::User, ApiOp::Create(Object::Pod(Rc::new(pod))), now);
            }
        }
    }

    /// Hands a watch event to every informer, in a fixed order.
    fn deliver(&mut self, ev: &WatchEvent) {
        // kube-proxy (a node agent) and the cloud's service controller.
        if matches!(ev.obj, Object::Typed(_)) {
            let now = self.now();
            let index = &self.kubelet_index;
            let mut ctx = ctx!(self);
            self.proxies.on_watch(ev, &|n| index.get(n).copied(), &mut ctx, &self.kcm_pods);
            if let Object::Typed(t) = &ev.obj {
                if let Some(svc) = t.downcast::<crate::kinds::service::Service>() {
                    let deleted = ev.kind == crate::objects::store::WatchKind::Deleted;
                    self.service_env.on_service(&Key::of(&svc.meta), (!deleted).then_some(svc), now);
                }
            }
            // cloud-controller-manager's service controller.
            let mut ctx = ctx!(self);
            self.components.deliver_builtin(Builtin::ServiceLb, ev, &self.kcm_pods, &mut ctx);
        }
        let mut ctx = ctx!(self);
        // kube-scheduler's informers.
        self.components.deliver_builtin(Builtin::DefaultScheduler, ev, &self.kcm_pods, &mut ctx);
        // kube-controller-manager: its informer cache first, then the
        // handlers of its controllers.
        self.kcm_pods.observe(ev);
        // The rest of kube-controller-manager's handlers, in slot order.
        self.components.deliver_builtins_from(Builtin::ReplicaSet, ev, &self.kcm_pods, &mut ctx);
        let node: Option<Rc<str>> = match &ev.obj {
            Object::Pod(p) => p.spec.node_name.clone().or_else(|| match &ev.old {
                Some(Object::Pod(o)) => o.spec.node_name.clone(),
                _ => None,
            }),
            Object::Node(n) => Some(n.meta.name.clone()),
            _ => None,
        };
        // The kubelet of the node it concerns (its informers' field
        // selector).
        if let Some(name) = node {
            if let Some(&i) = self.kubelet_index.get(&name) {
                let k = &self.kubelets[i as usize];
                if k.alive && !k.partitioned {
                    with_kubelet!(self, i, |k, cx| k.on_watch(ev, &mut cx));
                }
            }
        }
        // The user's components, in registration order.
        let mut ctx = ctx!(self);
        self.components.deliver(ev, &self.kcm_pods, &mut ctx);
    }

    fn execute(&mut self, action: Action) {
        match action {
            Action::Apply(objs) => {
                for obj in objs {
                    let key = Key::of(obj.meta());
                    let exists = self.store.get(obj.kind(), &key).is_some()
                        || obj.other_kind().is_some_and(|k| {
                            let k = (k, key.clone());
                            self.store.others.contains_key(&k) || self.store.typed.contains_key(&k)
                        });
                    let op = if exists { ApiOp::Update { obj, check_rv: false } } else { ApiOp::Create(obj) };
                    self.send_user(op);
                }
            }
            Action::Create(objs) => {
                for obj in objs {
                    self.send_user(ApiOp::Create(obj));
                }
            }
            Action::Delete { kind, typed, namespace, name, selector, grace_seconds, propagation } => {
                let namespaced = typed.and_then(crate::kinds::by_kind).map_or(kind.namespaced(), |r| r.info.namespaced);
                let keys: Vec<Key> = match (&name, &selector) {
                    (Some(n), _) => {
                        vec![Key::new(if namespaced { &namespace } else { "" }, n)]
                    }
                    (None, sel) => {
                        let sel =
                            crate::objects::selector::Selector::parse(sel.as_deref().unwrap_or("")).unwrap_or_default();
                        match typed {
                            Some(k) => self.list_typed_keys(k, &namespace, &sel),
                            None => self.list_keys(kind, &namespace, &sel),
                        }
                    }
                };
                if keys.is_empty() {
                    self.user_error("No resources found".into());
                }
                for key in keys {
                    let op = ApiOp::Delete {
                        kind,
                        other_kind: typed.map(String::from),
                        key,
                        uid: None,
                        grace_seconds,
                        propagation,
                        disruption: None,
                    };
                    self.send_user(op);
                }
            }
            Action::Expose { kind, service, namespace, name, service_name, port, target_port, protocol, type_ } => {
                let req = crate::kinds::service::ExposeRequest {
                    name: service_name.as_deref().unwrap_or(&name),
                    namespace: &namespace,
                    port,
                    target_port: target_port.as_deref(),
                    protocol: &protocol,
                    type_: &type_,
                };
                match self.expose(kind, service, &req, &name) {
                    Ok(svc) => self.send_user(ApiOp::Create(Object::Typed(Rc::new(svc)))),
                    Err(e) => self.user_error(e),
                }
            }
            Action::DaemonSet { namespace, name, change } => {
                use crate::kinds::daemonset::DaemonSet;
                use crate::scenario::action::DeploymentChange as C;
                let key = ("DaemonSet".to_string(), Key::new(&namespace, &name));
                let Some(ds) = self.store.typed.get(&key).and_then(|t| t.downcast::<DaemonSet>()).cloned() else {
                    self.user_error(format!("Error from server (NotFound): daemonsets.apps \"{}\" not found", name));
                    return;
                };
                let mut new = ds.clone();
                let t = Rc::make_mut(&mut new.spec.template);
                let changed = match &change {
                    C::SetImage(images) => crate::kinds::deployment::set_image(t, images),
                    C::Restart => {
                        crate::kinds::deployment::restart(t, self.now());
                        Ok(())
                    }
                    other => Err(format!("error: {:?} is not supported for daemonsets", other)),
                };
                match changed {
                    Ok(()) if new.spec != ds.spec => {
                        self.send_user(ApiOp::Update { obj: Object::Typed(Rc::new(new)), check_rv: false })
                    }
                    Ok(()) => {}
                    Err(e) => self.user_error(e),
                }
            }
            Action::CreateJobFrom { namespace, name, cronjob } => {
                let key = (String::from("CronJob"), Key::new(&namespace, &cronjob));
                let Some(cj) =
                    self.store.typed.get(&key).and_then(|t| t.downcast::<crate::kinds::cronjob::CronJob>()).cloned()
                else {
                    self.user_error(format!("Error from server (NotFound): cronjobs.batch \"{}\" not found", cronjob));
                    return;
                };
                let tpl = &cj.spec.job_template;
                let mut annotations = (*tpl.annotations).clone();
                annotations.insert("cronjob.kubernetes.io/instantiate".into(), "manual".into());
                let mut job = cj.job_for(SimTime::ZERO);
                job.meta.name = name.as_str().into();
                job.meta.annotations = Rc::new(annotations);
                job.meta.labels = tpl.labels.clone();
                // kubectl's owner reference is not a controller one.
                for o in &mut job.meta.owner_references {
                    o.controller = false;
                    o.block_owner_deletion = false;
                }
                self.send_user(ApiOp::Create(Object::Typed(Rc::new(job))));
            }
            Action::Deployment { namespace, name, change } => {
                let key = Key::new(&namespace, &name);
                let found = self.store.typed.get(&("Deployment".to_string(), key.clone()));
                let Some(d) = found.and_then(|t| t.downcast::<Deployment>()).cloned() else {
                    self.user_error(format!("Error from server (NotFound): deployments.apps \"{}\" not found", name));
                    return;
                };
                let sets: Vec<Rc<ReplicaSet>> = self
                    .store
                    .replicasets
                    .values()
                    .filter(|rs| rs.meta.controller_ref().is_some_and(|r| r.uid == d.meta.uid))
                    .cloned()
                    .collect();
                match crate::kinds::deployment::kubectl_change(&d, &change, &sets, self.now()) {
                    Ok(Some(new)) => {
                        self.send_user(ApiOp::Update { obj: Object::Typed(Rc::new(new)), check_rv: false });
                    }
                    Ok(None) => {}
                    Err(e) => self.user_error(e),
                }
            }
            Action::Scale { kind, namespace, name, replicas } => {
                match self.store.get(kind, &Key::new(&namespace, &name)) {
                    Some(Object::ReplicaSet(rs)) => {
                        let mut r = (*rs).clone();
                        r.spec.replicas = replicas;
                        self.send_user(ApiOp::Update { obj: Object::ReplicaSet(Rc::new(r)), check_rv: false });
                    }
                    _ => self.user_error(format!(
                        "Error from server (NotFound): {} \"{}\" not found",
                        kind.as_str().to_ascii_lowercase(),
                        name
                    )),
                }
            }
            Action::DeleteAll { namespace, selector, grace_seconds, propagation } => {
                let sel = crate::objects::selector::Selector::parse(&selector).unwrap_or_default();
                // kubectl's `all` category, in its order: pods,
                // replicationcontrollers, services, daemonsets,
                // deployments, replicasets, cronjobs, jobs.
                let mut keys: Vec<(Kind, Option<&'static str>, Key)> = Vec::new();
                for (kind, typed) in [
                    (Kind::Pod, None),
                    (Kind::ReplicationController, None),
                    (Kind::Other, Some("Service")),
                    (Kind::Other, Some("DaemonSet")),
                    (Kind::Other, Some("Deployment")),
                    (Kind::ReplicaSet, None),
                    (Kind::Other, Some("CronJob")),
                    (Kind::Other, Some("Job")),
                ] {
                    match typed {
                        None => {
                            keys.extend(self.list_keys(kind, &namespace, &sel).into_iter().map(|k| (kind, None, k)))
                        }
                        Some(t) => {
                            let mut found: Vec<Key> = self
                                .store
                                .typed
                                .iter()
                                .filter(|((k, key), o)| {
                                    k == t && *key.namespace == *namespace && sel.matches(&o.meta().labels)
                                })
                                .map(|((_, key), _)| key.clone())
                                .collect();
                            found.sort();
                            keys.extend(found.into_iter().map(|k| (kind, typed, k)));
                        }
                    }
                }
                self.delete_keys(keys, grace_seconds, propagation);
            }
            Action::Label { kind, namespace, selector: Some(sel), set, remove, overwrite, annotate, .. } => {
                // `kubectl label -l`: each matching object, as by name.
                let parsed = crate::objects::selector::Selector::parse(&sel).unwrap_or_default();
                for key in self.list_keys(kind, &namespace, &parsed) {
                    let (set, remove) = (set.clone(), remove.clone());
                    let name = key.name.to_string();
                    let namespace = namespace.clone();
                    self.execute(Action::Label {
                        kind,
                        namespace,
                        name,
                        selector: None,
                        set,
                        remove,
                        overwrite,
                        annotate,
                    });
                }
            }
            Action::Label { kind, namespace, name, set, remove, overwrite, annotate, selector: None } => {
                let ns = if kind.namespaced() { namespace.as_str() } else { "" };
                let Some(obj) = self.store.get(kind, &Key::new(ns, &name)) else {
                    self.user_error(format!(
                        "Error from server (NotFound): {} \"{}\" not found",
                        kind.as_str().to_ascii_lowercase(),
                        name
                    ));
                    return;
                };
                let mut meta = obj.meta().clone();
                let map = if annotate { Rc::make_mut(&mut meta.annotations) } else { Rc::make_mut(&mut meta.labels) };
                for (k, v) in set {
                    if !overwrite && map.get(&k).is_some_and(|old| *old != v) {
                        self.user_error(format!(
                            "error: '{}' already has a value ({}), and --overwrite is false",
                            k, map[&k]
                        ));
                        return;
                    }
                    map.insert(k, v);
                }
                for k in remove {
                    map.remove(&k);
                }
                let obj = obj.with_meta(meta);
                self.send_user(ApiOp::Update { obj, check_rv: false });
            }
            Action::Cordon { node, unschedulable } => match self.store.nodes.get(node.as_str()) {
                Some(n) => {
                    let mut nn = (**n).clone();
                    nn.spec.unschedulable = unschedulable;
                    self.send_user(ApiOp::Update { obj: Object::Node(Rc::new(nn)), check_rv: false });
                }
                None => self.user_error(format!("Error from server (NotFound): nodes \"{}\" not found", node)),
            },
            Action::Taint { nodes, add, remove, overwrite } => {
                for node in nodes {
                    let Some(n) = self.store.nodes.get(node.as_str()) else {
                        self.user_error(format!("Error from server (NotFound): nodes \"{}\" not found", node));
                        continue;
                    };
                    match taint_node(n, &add, &remove, overwrite, self.now()) {
                        Ok(nn) => self.send_user(ApiOp::Update { obj: Object::Node(Rc::new(nn)), check_rv: false }),
                        Err(e) => self.user_error(e),
                    }
                }
            }
            Action::Drain { node, force, grace_seconds } => {
                if !self.store.nodes.contains_key(node.as_str()) {
                    self.user_error(format!("Error from server (NotFound): nodes \"{}\" not found", node));
                    return;
                }
                self.execute(Action::Cordon { node: node.clone(), unschedulable: true });
                let mut pods: Vec<Rc<Pod>> = self.store.pods_on_node(&node);
                pods.retain(|p| p.meta.deletion_timestamp.is_none());
                // kubectl checks every pod first and evicts nothing when one
                // would be lost for good (no controller) without --force.
                let bare: Vec<String> = pods
                    .iter()
                    .filter(|p| p.meta.controller_ref().is_none() && !p.status.phase.is_terminal())
                    .map(|p| format!("{}/{}", p.meta.namespace, p.meta.name))
                    .collect();
                if !bare.is_empty() && !force {
                    self.user_error(format!(
                        "error: unable to drain node \"{}\" due to error: cannot delete Pods that declare no controller (use --force to override): {}",
                        node,
                        bare.join(", ")
                    ));
                    return;
                }
                for p in pods {
                    self.send_user(ApiOp::delete_pod(Key::of(&p.meta), p.meta.uid, grace_seconds, None));
                }
            }
            Action::Container { target, op } => {
                let mut pods: Vec<&Rc<Pod>> = match (&target.name, &target.selector) {
                    (Some(n), _) => self.store.pod(&Key::new(&target.namespace, n)).into_iter().collect(),
                    (None, sel) => {
                        let sel =
                            crate::objects::selector::Selector::parse(sel.as_deref().unwrap_or("")).unwrap_or_default();
                        self.store
                            .pods
                            .values()
                            .filter(|p| *p.meta.namespace == *target.namespace && sel.matches(&p.meta.labels))
                            .collect()
                    }
                };
                pods.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
                let Some(pod) = pods.get(target.index).map(|p| (*p).clone()) else {
                    let what = target.name.clone().or(target.selector.clone()).unwrap_or_default();
                    self.user_error(format!("Error from server (NotFound): pods \"{}\" not found", what));
                    return;
                };
                let idx = match &target.container {
                    None => Some(0),
                    Some(c) => pod.spec.containers.iter().position(|x| *x.name == **c),
                };
                let Some(idx) = idx else {
                    self.user_error(format!(
                        "error: container {} not found in pod {}",
                        target.container.unwrap_or_default(),
                        pod.meta.name
                    ));
                    return;
                };
                let Some(&k) = pod.node_name().and_then(|n| self.kubelet_index.get(n)) else {
                    self.user_error(format!("error: pod {} is not running on a node", pod.meta.name));
                    return;
                };
                // `kubectl exec` goes through the apiserver to the kubelet,
                // which a crashed node's is not there to answer and a
                // partitioned node's is cut from: the apiserver's dial
                // fails (faults act on the node itself and still apply to
                // a partitioned one).
                let kubelet = &self.kubelets[k as usize];
                if matches!(op, ContainerOp::Exec { .. }) && (!kubelet.alive || kubelet.partitioned) {
                    self.user_error(format!(
                        "Error from server: error dialing backend: dial tcp {}:10250: i/o timeout",
                        Kubelet::node_ip(k)
                    ));
                    return;
                }
                if !self.kubelets[k as usize].alive {
                    self.user_error(format!("error: unable to reach the kubelet of pod {}", pod.meta.name));
                    return;
                }
                if let ContainerOp::Exec { command } = &op {
                    if crate::traffic::curl::is_curl(command) {
                        self.exec_curl(&pod, command);
                        return;
                    }
                }
                // The environment the container was created with.
                let env = match (&op, self.kubelets[k as usize].env_snapshot(pod.meta.uid, idx)) {
                    (ContainerOp::Exec { .. }, Some((as_of, at_creation))) => {
                        let spec = &pod.spec;
                        let links = spec.enable_service_links.unwrap_or(true);
                        let services = self.service_env.env_map(&pod.meta.namespace, links, as_of);
                        let p = at_creation.as_deref().unwrap_or(&pod);
                        crate::nodes::service_env::container_env(&spec.containers[idx].env, p, &services)
                    }
                    _ => Vec::new(),
                };
                let uid = pod.meta.uid;
                match with_kubelet!(self, k, |kl, cx| kl.container_op(uid, idx, &op, &env, &mut cx)) {
                    Err(e) => self.user_error(e),
                    Ok(Some((code, output))) => {
                        // kubectl prints what the command printed, then
                        // fails with its exit code.
                        let now = self.now();
                        for line in output.lines() {
                            let object = format!("pod/{}", pod.meta.name);
                            self.user_outputs.push(UserOutput { time: now, object, message: line.to_string() });
                        }
                        if code != 0 {
                            self.user_error(format!("command terminated with exit code {}", code));
                        }
                    }
                    Ok(None) => {}
                }
            }
            Action::CrashNode(name) => {
                let Some(&i) = self.kubelet_index.get(name.as_str()) else {
                    return;
                };
                if !self.kubelets[i as usize].alive {
                    return;
                }
                with_kubelet!(self, i, |k, cx| k.crash(&mut cx));
                let mut ctx = ctx!(self);
                self.proxies.crash(i, &mut ctx, &self.kcm_pods);
                self.traffic.nodes_changed();
                let now = self.now();
                let mut ctx = ctx!(self);
                ctx.event(true, "kubesim", "NodeCrashed", "Node", "", &name, &"node crashed (fault injected)");
                self.stop_lease_renewals(&name, now);
            }
            Action::PartitionNode(name) => {
                let Some(&i) = self.kubelet_index.get(name.as_str()) else {
                    return;
                };
                let k = &mut self.kubelets[i as usize];
                if k.partitioned {
                    return;
                }
                k.partition(self.queue.now());
                self.proxies.partition(i);
                let mut ctx = ctx!(self);
                let msg = &"node lost the apiserver (fault injected)";
                ctx.event(true, "kubesim", "NodePartitioned", "Node", "", &name, msg);
                // Renewals whose request arrives from now on are lost.
                let at = SimTime(self.now().0.saturating_sub(self.cfg.api_latency.0));
                self.stop_lease_renewals(&name, at);
            }
            Action::HealNode(name) => {
                let Some(&i) = self.kubelet_index.get(name.as_str()) else {
                    return;
                };
                if !self.kubelets[i as usize].partitioned {
                    return;
                }
                let mut ctx = ctx!(self);
                self.proxies.heal(i, &mut ctx, &self.kcm_pods);
                ctx.event(false, "kubesim", "NodeHealed", "Node", "", &name, &"node reaches the apiserver again");
                with_kubelet!(self, i, |k, cx| k.heal(&mut cx));
            }
            Action::RestartNode(name) => {
                let Some(&i) = self.kubelet_index.get(name.as_str()) else {
                    return;
                };
                if self.kubelets[i as usize].alive {
                    return;
                }
                let partitioned = self.kubelets[i as usize].partitioned;
                let mut ctx = ctx!(self);
                self.proxies.restart(i, partitioned, &mut ctx, &self.kcm_pods);
                self.traffic.nodes_changed();
                with_kubelet!(self, i, |k, cx| k.restart(&mut cx));
            }
            Action::Traffic(spec) => {
                let now = self.now();
                let mut w = world!(self);
                self.traffic.start(spec, &mut w, now);
            }
            Action::AddNode(node) => self.add_node(node),
            Action::CrashController { name, after_writes, restart_after } => {
                let mut ctx = ctx!(self);
                if let Err(e) = self.components.crash_fault(&name, after_writes, restart_after, &mut ctx) {
                    self.user_error(e);
                }
            }
            Action::PerturbWatch { controller, stale_lag, duration } => {
                let mut ctx = ctx!(self);
                if let Err(e) = self.components.watch_fault(&controller, stale_lag, duration, &mut ctx) {
                    self.user_error(e);
                }
            }
        }
    }

    /// `kubectl exec POD -- curl …`: one request from the pod; what curl
    /// prints goes to the timeline, a failure is the entry's error.
    fn exec_curl(&mut self, pod: &Rc<Pod>, command: &[String]) {
        let c = match crate::traffic::curl::parse(command) {
            Ok(c) => c,
            Err(e) => {
                self.user_error(e);
                self.user_error("command terminated with exit code 2".into());
                return;
            }
        };
        let now = self.now();
        let mut w = world!(self);
        match self.traffic.curl(pod, &c, &mut w, now) {
            Ok(line) => {
                let object = format!("pod/{}", pod.meta.name);
                self.user_outputs.push(UserOutput { time: now, object, message: line });
            }
            Err((msg, code)) => {
                if !msg.is_empty() {
                    self.user_error(msg);
                }
                self.user_error(format!("command terminated with exit code {}", code));
            }
        }
    }

    /// The analytic Lease model: `node`'s renewals stop reaching the store
    /// at `at`; the Lease informers learn it after the watch hop.
    fn stop_lease_renewals(&mut self, node: &str, at: SimTime) {
        if let Some(ev) = self.store.stop_lease_renewals(node, at) {
            self.queue.push_after(self.cfg.watch_latency, Event::Watch(ev));
        }
    }

    /// `kubectl delete` of these objects (kubectl's `No resources found`
    /// when there are none).
    fn delete_keys(
        &mut self,
        keys: Vec<(Kind, Option<&'static str>, Key)>,
        grace_seconds: Option<u64>,
        propagation: crate::objects::store::Propagation,
    ) {
        if keys.is_empty() {
            self.user_error("No resources found".into());
        }
        for (kind, typed, key) in keys {
            let other_kind = typed.map(String::from);
            let op = ApiOp::Delete { kind, other_kind, key, uid: None, grace_seconds, propagation, disruption: None };
            self.send_user(op);
        }
    }

    /// The Service `kubectl expose` makes for the object `name`, read
    /// from the store when the line runs (as kubectl GETs it first).
    fn expose(
        &self,
        kind: Kind,
        service: bool,
        req: &crate::kinds::service::ExposeRequest,
        name: &str,
    ) -> Result<crate::kinds::service::Service, String> {
        use crate::kinds::service::{exposing, Service};
        let key = Key::new(req.namespace, name);
        let not_found = |res: &str| format!("Error from server (NotFound): {} \"{}\" not found", res, name);
        let ports = |spec: &crate::objects::pod::PodSpec| -> Vec<(u16, String)> {
            spec.containers
                .iter()
                .flat_map(|c| c.ports.iter())
                .map(|p| (p.container_port, p.protocol.clone()))
                .collect()
        };
        if service {
            let t = self.store.typed.get(&("Service".to_string(), key)).ok_or_else(|| not_found("services"))?;
            let s = t.downcast::<Service>().ok_or_else(|| not_found("services"))?;
            let own: Vec<(u16, String)> = s.spec.ports.iter().map(|p| (p.port, p.protocol.clone())).collect();
            return exposing(req, s.spec.selector.clone().unwrap_or_default(), s.meta.labels.clone(), &own);
        }
        match self.store.get(kind, &key) {
            Some(Object::Pod(p)) => exposing(req, (*p.meta.labels).clone(), p.meta.labels.clone(), &ports(&p.spec)),
            Some(Object::ReplicaSet(rs)) => {
                // Only a map-based selector converts (`MapBasedSelectorForObject`).
                let (labels, exprs) = rs.spec.selector.parts();
                if !exprs.is_empty() {
                    return Err("error: couldn't convert expressions to map-based selector format".into());
                }
                let selector = labels.iter().map(|r| (r.key.clone(), r.values[0].clone())).collect();
                exposing(req, selector, rs.meta.labels.clone(), &ports(&rs.spec.template.spec))
            }
            _ => Err(not_found(match kind {
                Kind::Pod => "pods",
                Kind::ReplicaSet => "replicasets.apps",
                _ => "replicationcontrollers",
            })),
        }
    }

    fn send_user(&mut self, op: ApiOp) {
        let now = self.now();
        let from = self.executing.map_or(Client::User, Client::Timeline);
        let (arrive, reply_at) = self.net.request(from, now);
        self.queue.push(arrive, Event::Api { from, op: Box::new(op), reply_at });
    }

    /// The keys of a typed kind's objects in `namespace` matching `sel`.
    fn list_typed_keys(&self, kind: &str, namespace: &str, sel: &crate::objects::selector::Selector) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .store
            .typed
            .iter()
            .filter(|((k, key), t)| k == kind && &*key.namespace == namespace && sel.matches(&t.meta().labels))
            .map(|((_, key), _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    fn list_keys(&self, kind: Kind, namespace: &str, sel: &crate::objects::selector::Selector) -> Vec<Key> {
        let mut keys: Vec<Key> = match kind {
            Kind::Pod => self
                .store
                .pods
                .values()
                .filter(|p| &*p.meta.namespace == namespace && sel.matches(&p.meta.labels))
                .map(|p| Key::of(&p.meta))
                .collect(),
            Kind::ReplicaSet | Kind::ReplicationController => self
                .store
                .replicasets
                .values()
                .filter(|r| {
                    Kind::from_replica(r.kind) == kind && &*r.meta.namespace == namespace && sel.matches(&r.meta.labels)
                })
                .map(|r| Key::of(&r.meta))
                .collect(),
            Kind::Node => {
                self.store.nodes.values().filter(|n| sel.matches(&n.meta.labels)).map(|n| Key::of(&n.meta)).collect()
            }
            _ => Vec::new(),
        };
        keys.sort();
        keys
    }

    /// Checks the safety invariants that must hold after every event:
    /// no node holds more than its allocatable (by the requests of the
    /// non-terminal pods bound to it), and no pod is bound to a node the
    /// scheduler never saw. Returns the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut per_node: IndexMap<&str, crate::objects::resources::Resources, FxBuildHasher> = IndexMap::default();
        for p in self.store.pods.values() {
            if p.status.phase.is_terminal() {
                continue;
            }
            if let Some(n) = p.node_name() {
                *per_node.entry(n).or_default() += p.spec.requests();
            }
        }
        for (n, used) in per_node {
            if let Some(node) = self.store.nodes.get(n) {
                let a = node.status.allocatable;
                if used.cpu_m > a.cpu_m || used.memory > a.memory || used.pods > a.pods {
                    return Err(format!("node {} over-committed: {:?} > {:?} (seed {})", n, used, a, self.seed));
                }
            }
        }
        Ok(())
    }

    /// The duration since `t0` in the simulation's clock.
    pub fn since(&self, t0: SimTime) -> SimDuration {
        self.now().saturating_sub(t0)
    }
}

/// `kubectl taint` on one node (`pkg/cmd/taint`'s `reorganizeTaints`):
/// removals first (each must match something), then additions (a taint
/// with the same key and effect is an error unless `overwrite`). A
/// NoExecute taint is stamped with the time it is added.
fn taint_node(
    n: &Node,
    add: &[crate::objects::pod::Taint],
    remove: &[(String, Option<crate::objects::pod::TaintEffect>)],
    overwrite: bool,
    now: SimTime,
) -> Result<Node, String> {
    use crate::objects::pod::TaintEffect;
    let mut nn = n.clone();
    let taints = &mut nn.spec.taints;
    for (key, effect) in remove {
        let before = taints.len();
        taints.retain(|t| !(t.key == *key && effect.is_none_or(|e| e == t.effect)));
        if taints.len() == before {
            let spec = match effect {
                Some(e) => format!("{}:{}", key, e.as_str()),
                None => key.clone(),
            };
            return Err(format!("error: taint {:?} not found", spec));
        }
    }
    for t in add {
        let mut t = t.clone();
        if t.effect == TaintEffect::NoExecute {
            t.time_added = Some(now);
        }
        match taints.iter_mut().find(|x| x.key == t.key && x.effect == t.effect) {
            Some(_) if !overwrite => {
                return Err(format!(
                    "error: node {} already has {} taint(s) with same effect(s) and --overwrite is false",
                    n.meta.name, t.key
                ))
            }
            Some(x) => *x = t,
            None => taints.push(t),
        }
    }
    Ok(nn)
}
