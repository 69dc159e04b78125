//! kube-proxy, one per node: the rules each node has programmed for the
//! cluster's Services, and the choice of an endpoint for a new connection
//! (docs/kubernetes-behaviour.md §7.4–§7.6).
//!
//! Each node's kube-proxy is a node agent on the [`Controller`] trait, as
//! the kubelet is: a slot of its own (id `NODE_AGENT | PROXY_AGENT | i`),
//! its informers' watch events, its sync as a timer of its own. It is held
//! by type ([`NodeProxy`]) because the data plane reaches its rules and its
//! conntrack state directly. It sends nothing to the apiserver.
//!
//! Every kube-proxy watches Services and EndpointSlices. kubesim delivers a
//! watch event to all informers at once, so the proxies share one view of
//! what the watch has brought (their informers' content): each change
//! makes a new *version* of the affected Service's rules, kept in that
//! Service's history. A proxy's informers have reached a version of the
//! view (`informed`: the newest while its watch runs, the one it had when
//! a partition cut it); its sync programs that version, and from then on
//! it routes by it: `rules(svc, node.synced)` is the newest version no
//! later than it. No rules are copied per node. A watch event that
//! changes nothing a proxy programs does not reach its handler, as
//! kube-proxy's change trackers drop it (`ServiceChangeTracker.Update`
//! returns false, and no sync is asked for).
//!
//! Syncs are paced as `async.BoundedFrequencyRunner` paces
//! `syncProxyRules`: a change asks for a run; the run happens at once if
//! the runner's token bucket (one token per `minSyncPeriod`, burst 2)
//! allows, else at `lastRun + minSyncPeriod`; requests made before a
//! pending run coalesce into it.
//!
//! A crashed node loses its rules, its conntrack table and its IPVS
//! state (a reboot flushes the kernel's tables); its kube-proxy syncs
//! again when the node is back. A partitioned node's proxy keeps its
//! last rules, and catches up when the partition heals.

#![warn(missing_docs)]

pub mod categorize;

use crate::component::{Controller, Cx, SlotCore};
use crate::controllers::informer::PodInformer;
use crate::kinds::endpointslice::EndpointSlice;
use crate::kinds::service::{ClusterIp, Service, ServiceType, SessionAffinity};
use crate::objects::store::{Key, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::runtime::Ctx;
use crate::sim::{rng, SimDuration, SimTime};
use indexmap::IndexMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The name of its component slot (and `source` of its Events).
pub const SOURCE: &str = "kube-proxy";

/// kube-proxy's `--proxy-mode` (`cluster.config.proxyMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProxyMode {
    /// iptables (the default on Linux): rule i of n taken with
    /// probability 1/(n−i), a uniform choice per new connection.
    #[default]
    Iptables,
    /// IPVS with its default `rr` scheduler: round robin per virtual
    /// server, per node.
    Ipvs,
    /// nftables: `numgen random mod n`, a uniform choice.
    Nftables,
}

impl ProxyMode {
    /// The mode as `--proxy-mode` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyMode::Iptables => "iptables",
            ProxyMode::Ipvs => "ipvs",
            ProxyMode::Nftables => "nftables",
        }
    }

    /// Parses `--proxy-mode`.
    pub fn parse(s: &str) -> Option<ProxyMode> {
        match s {
            "iptables" => Some(ProxyMode::Iptables),
            "ipvs" => Some(ProxyMode::Ipvs),
            "nftables" => Some(ProxyMode::Nftables),
            _ => None,
        }
    }
}

/// One endpoint of a service port, as kube-proxy's endpoints map holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The endpoint's IP.
    pub ip: Rc<str>,
    /// Its port (the service port's `targetPort`, resolved for this pod).
    pub port: u16,
    /// The kubelet index of its node (`nodeName`), when it is one of the
    /// cluster's.
    pub node: Option<u32>,
    /// The pod behind it (`targetRef`): name and uid.
    pub pod: Option<(Rc<str>, u64)>,
    /// `conditions.ready`.
    pub ready: bool,
    /// `conditions.serving`.
    pub serving: bool,
    /// `conditions.terminating`.
    pub terminating: bool,
}

/// The rules of one service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortRules {
    /// The port's name.
    pub name: Option<String>,
    /// The port on the cluster IP.
    pub port: u16,
    /// The node port, for NodePort and LoadBalancer services.
    pub node_port: Option<u16>,
    /// Every endpoint of the port, by IP.
    pub endpoints: Vec<Endpoint>,
    /// The cluster endpoints (`categorize::cluster_endpoints`), as
    /// indices into `endpoints`.
    pub cluster: Vec<u32>,
    /// Some endpoint is usable at all (without one, the port REJECTs).
    pub has_any: bool,
}

/// What a proxy programs for one Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRules {
    /// The Service's type.
    pub type_: ServiceType,
    /// Its cluster IP.
    pub cluster_ip: u32,
    /// It has a load-balancer ingress (`status.loadBalancer.ingress`).
    pub load_balancer: bool,
    /// `sessionAffinity: ClientIP` and its timeout.
    pub affinity: Option<SimDuration>,
    /// `externalTrafficPolicy: Local`.
    pub external_local: bool,
    /// `internalTrafficPolicy: Local`.
    pub internal_local: bool,
    /// The ports, in the Service's order.
    pub ports: Vec<PortRules>,
}

/// How a client names a service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSel {
    /// The first port.
    First,
    /// The port with this number (on the cluster IP; for a node port or a
    /// load balancer, its node port or port as the entry has it).
    Number(u16),
    /// The port with this name.
    Name(String),
}

impl ServiceRules {
    /// The rules of `svc` from its slices (kube-proxy merges the slices'
    /// endpoints per service port, by port name and protocol); `None` for
    /// services kube-proxy programs nothing for (headless, ExternalName,
    /// no IP yet). `node_of` maps a node name to its kubelet index.
    pub fn build<'a>(
        svc: &Service,
        slices: impl Iterator<Item = &'a EndpointSlice> + Clone,
        node_of: &dyn Fn(&str) -> Option<u32>,
    ) -> Option<ServiceRules> {
        let ClusterIp::Ip(ip) = svc.spec.cluster_ip else { return None };
        if svc.spec.type_ == ServiceType::ExternalName {
            return None;
        }
        let norm = |n: &Option<String>| n.clone().filter(|s| !s.is_empty());
        let ports = svc
            .spec
            .ports
            .iter()
            .map(|sp| {
                let mut by_ip: BTreeMap<Rc<str>, Endpoint> = BTreeMap::new();
                for slice in slices.clone() {
                    let Some(port) =
                        slice.ports.iter().find(|p| norm(&p.name) == norm(&sp.name) && p.protocol == sp.protocol)
                    else {
                        continue;
                    };
                    for e in &slice.endpoints {
                        by_ip.entry(e.address.clone()).or_insert_with(|| Endpoint {
                            ip: e.address.clone(),
                            port: port.port,
                            node: e.node_name.as_deref().and_then(node_of),
                            pod: e.pod.clone(),
                            ready: e.ready,
                            serving: e.serving,
                            terminating: e.terminating,
                        });
                    }
                }
                let endpoints: Vec<Endpoint> = by_ip.into_values().collect();
                let (cluster, has_any) = categorize::cluster_endpoints(&endpoints);
                PortRules { name: norm(&sp.name), port: sp.port, node_port: sp.node_port, endpoints, cluster, has_any }
            })
            .collect();
        Some(ServiceRules {
            type_: svc.spec.type_,
            cluster_ip: ip,
            load_balancer: svc.spec.type_ == ServiceType::LoadBalancer && !svc.load_balancer_ingress.is_empty(),
            affinity: match svc.spec.session_affinity {
                SessionAffinity::None => None,
                SessionAffinity::ClientIp { timeout_seconds } => Some(SimDuration::from_secs(timeout_seconds as u64)),
            },
            external_local: svc.spec.external_traffic_local,
            internal_local: svc.spec.internal_traffic_local,
            ports,
        })
    }

    /// The index of the port `sel` names, for a connection that came in
    /// through `entry`.
    pub fn port_index(&self, sel: &PortSel, entry: Entry) -> Option<usize> {
        match sel {
            PortSel::First => (!self.ports.is_empty()).then_some(0),
            PortSel::Name(n) => self.ports.iter().position(|p| p.name.as_deref() == Some(n.as_str())),
            PortSel::Number(n) => self.ports.iter().position(|p| match entry {
                Entry::NodePort => p.node_port == Some(*n),
                Entry::ClusterIp | Entry::LoadBalancer => p.port == *n,
            }),
        }
    }
}

/// How a connection reached the node's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Entry {
    /// To the cluster IP (from a pod or a node).
    ClusterIp,
    /// To a node port of this node.
    NodePort,
    /// Through the load balancer (to this node's node port).
    LoadBalancer,
}

/// A new connection reaching a node's rules.
#[derive(Clone, Copy, Debug)]
pub struct NewConnection<'a> {
    /// The node (kubelet index) whose rules it enters.
    pub node: u32,
    /// The Service's id in the view.
    pub svc: u32,
    /// Which of its ports.
    pub port: &'a PortSel,
    /// How it came in.
    pub entry: Entry,
    /// From a pod on this node or the node itself: an external policy of
    /// Local does not apply (`KUBE-EXT` sends local traffic to a node port
    /// or a load-balancer IP to all endpoints, its "short circuit").
    pub from_cluster: bool,
    /// The client's IP (session affinity).
    pub client: u32,
}

/// What a node's rules do with a new connection.
#[derive(Clone, Debug)]
pub enum Route {
    /// The node is down: nothing answers.
    Down,
    /// No rule matches (the Service is not programmed on this node): a
    /// cluster IP is not bound anywhere, so the packets are lost; nothing
    /// listens on a node port, so the node resets the connection.
    NoRule,
    /// `REJECT` (the port has no usable endpoint): connection refused.
    Reject,
    /// `DROP` (a Local policy, and no endpoint on this node): timeout.
    Drop,
    /// DNAT to an endpoint: the rules (their version), the port's index
    /// and the endpoint's.
    To(Rc<ServiceRules>, usize, usize),
}

/// One node's kube-proxy (a node agent: `Controller`).
#[derive(Debug, Default)]
pub struct NodeProxy {
    /// The node is up (its kube-proxy runs).
    pub up: bool,
    /// It reaches the apiserver (not partitioned).
    watching: bool,
    /// The view's version its informers have reached: the newest while
    /// its watch runs, the one it had when a partition cut it (0: it has
    /// not listed since it started). Its sync programs it.
    informed: u64,
    /// `minSyncPeriod`.
    min_sync: SimDuration,
    /// The version of the view its last sync programmed (0: nothing).
    pub synced: u64,
    /// The token bucket's theoretical arrival time (GCRA).
    tat: SimTime,
    /// When the last sync ran.
    last_run: Option<SimTime>,
    /// A sync is scheduled.
    scheduled: bool,
    /// Syncs run so far.
    pub syncs: u64,
    /// IPVS `rr`: the next real server per virtual server.
    rr: FxHashMap<(u32, u16, u8), u32>,
    /// Session affinity (`recent` / IPVS persistence): per service port
    /// and client IP, the endpoint and when the client last opened a
    /// connection.
    affinity: FxHashMap<(u32, u16, u32), (Rc<str>, SimTime)>,
}

/// The token of a proxy's sync timer.
const SYNC: u64 = 0;

impl NodeProxy {
    /// When its last sync ran (`None`: not since it started).
    pub fn last_sync(&self) -> Option<SimTime> {
        self.last_run
    }

    /// `BoundedFrequencyRunner.Run()`: a sync as soon as the token bucket
    /// allows (at once, or at `lastRun + minSyncPeriod`).
    fn run(&mut self, cx: &mut Cx) {
        if self.scheduled {
            return;
        }
        let (min, now) = (self.min_sync, cx.now());
        let allowed = SimTime(self.tat.0.saturating_sub((BURST_SYNCS - 1) * min.0));
        let at = match self.last_run {
            _ if now >= allowed => now,
            Some(last) => (last + min).max(now),
            None => now,
        };
        self.scheduled = true;
        cx.at(at, SYNC);
    }

    /// The node crashed: the process ends, and its rules, conntrack and
    /// IPVS state are gone with the kernel's tables.
    fn crash(&mut self, cx: &mut Cx) {
        cx.stop_node_agent();
        *self = NodeProxy { min_sync: self.min_sync, syncs: self.syncs, ..NodeProxy::default() };
    }
}

impl Controller for NodeProxy {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Service", "EndpointSlice"]
    }

    /// Its informers have synced: the first sync.
    fn start(&mut self, cx: &mut Cx) {
        self.run(cx);
    }

    /// A change of what it programs: a sync is asked for.
    fn on_watch(&mut self, _ev: &WatchEvent, cx: &mut Cx) {
        self.run(cx);
    }

    /// The scheduled sync runs (`syncProxyRules`): the proxy programs what
    /// its informers hold.
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if token != SYNC || !self.scheduled {
            return;
        }
        let now = cx.now();
        self.scheduled = false;
        self.synced = self.informed;
        self.last_run = Some(now);
        self.tat = self.tat.max(now) + self.min_sync;
        self.syncs += 1;
    }
}

/// One Service as the proxies' watch has brought it.
#[derive(Debug, Default)]
struct ServiceEntry {
    service: Option<Rc<Service>>,
    slices: BTreeMap<Rc<str>, Rc<EndpointSlice>>,
    /// Versions of its rules, oldest first.
    history: Vec<(u64, Option<Rc<ServiceRules>>)>,
}

/// Every node's kube-proxy, and the view their watches share.
pub struct KubeProxies {
    mode: ProxyMode,
    min_sync: SimDuration,
    /// The view's version: one more per change the watch brings.
    version: u64,
    services: IndexMap<Key, ServiceEntry, FxBuildHasher>,
    nodes: Vec<NodeProxy>,
    /// Each proxy's component slot (its life, its timers' epoch).
    slots: Vec<SlotCore>,
    /// The random choice of iptables and nftables rules.
    rng: ChaCha8Rng,
    scratch: Vec<u32>,
    /// History length at which the next pruning pass runs.
    prune_at: usize,
    syncs_total: u64,
}

/// The token bucket's burst (`burstSyncs` in the iptables proxier).
const BURST_SYNCS: u64 = 2;

impl KubeProxies {
    /// No node yet. `min_sync` is `minSyncPeriod` (`None`: the mode's
    /// default, 1 s for iptables and nftables; IPVS does not default it,
    /// so 0: every change is synced at once).
    pub fn new(mode: ProxyMode, min_sync: Option<SimDuration>, seed: u64) -> Self {
        let min_sync = min_sync.unwrap_or(match mode {
            ProxyMode::Iptables | ProxyMode::Nftables => SimDuration::from_secs(1),
            ProxyMode::Ipvs => SimDuration::ZERO,
        });
        KubeProxies {
            mode,
            min_sync,
            version: 0,
            services: IndexMap::default(),
            nodes: Vec::new(),
            slots: Vec::new(),
            rng: rng::stream(seed, "kube-proxy/random"),
            scratch: Vec::new(),
            prune_at: 8,
            syncs_total: 0,
        }
    }

    /// The mode every proxy runs in.
    pub fn mode(&self) -> ProxyMode {
        self.mode
    }

    /// Node `idx`'s proxy.
    pub fn node(&self, idx: u32) -> &NodeProxy {
        &self.nodes[idx as usize]
    }

    /// The id of a Service the view knows (or will: ids are stable).
    pub fn service_id(&mut self, key: &Key) -> u32 {
        let e = self.services.entry(key.clone());
        let i = e.index();
        e.or_default();
        i as u32
    }

    /// The id of a Service, if the view has ever seen it.
    pub fn find_service(&self, key: &Key) -> Option<u32> {
        self.services.get_index_of(key).map(|i| i as u32)
    }

    /// The key of service `id`.
    pub fn service_key(&self, id: u32) -> &Key {
        self.services.get_index(id as usize).expect("service id").0
    }

    /// The EndpointSlices of the Service `key` as the watch has brought
    /// them (what the cluster DNS answers a headless name from), by name.
    pub fn slices(&self, key: &Key) -> impl Iterator<Item = &EndpointSlice> + '_ {
        self.services.get(key).into_iter().flat_map(|e| e.slices.values().map(|s| &**s))
    }

    /// The Service `key` as the watch has brought it (what the cluster
    /// DNS's informer holds: it watches Services as the proxies do, and
    /// gets each watch event at the same instant).
    pub fn watched_service(&self, key: &Key) -> Option<&Service> {
        self.services.get(key)?.service.as_deref()
    }

    /// The key of the Service whose cluster IP is `ip`, as the watch has
    /// brought the Services.
    pub fn service_with_ip(&self, ip: u32) -> Option<&Key> {
        self.services
            .iter()
            .find(|(_, e)| e.service.as_ref().is_some_and(|s| s.spec.cluster_ip == ClusterIp::Ip(ip)))
            .map(|(k, _)| k)
    }

    /// The current view of service `id` (what a sync now would program).
    pub fn latest(&self, id: u32) -> Option<&Rc<ServiceRules>> {
        self.services.get_index(id as usize)?.1.history.last()?.1.as_ref()
    }

    /// The rules of service `id` node `node` has programmed.
    pub fn programmed(&self, node: u32, id: u32) -> Option<&Rc<ServiceRules>> {
        let n = &self.nodes[node as usize];
        if !n.up {
            return None;
        }
        let (_, e) = self.services.get_index(id as usize)?;
        e.history.iter().rev().find(|(v, _)| *v <= n.synced)?.1.as_ref()
    }

    /// Runs `f` with node `idx`'s proxy and its component handle.
    fn with_proxy<T>(
        &mut self,
        idx: u32,
        ctx: &mut Ctx,
        pods: &PodInformer,
        f: impl FnOnce(&mut NodeProxy, &mut Cx) -> T,
    ) -> T {
        let i = idx as usize;
        let mut cx = Cx { ctx, slot: &mut self.slots[i], cache: None, kcm_pods: pods, images: None };
        f(&mut self.nodes[i], &mut cx)
    }

    /// A node joins: its kube-proxy starts, lists and syncs at once.
    pub(crate) fn add_node(&mut self, idx: u32, ctx: &mut Ctx, pods: &PodInformer) {
        debug_assert_eq!(idx as usize, self.nodes.len());
        let informed = self.version;
        self.nodes.push(NodeProxy {
            up: true,
            watching: true,
            informed,
            min_sync: self.min_sync,
            ..Default::default()
        });
        self.slots.push(SlotCore::proxy_agent(idx));
        self.with_proxy(idx, ctx, pods, |p, cx| p.start(cx));
    }

    /// The node crashed: its kube-proxy's process ends, and its rules,
    /// conntrack and IPVS state are gone.
    pub(crate) fn crash(&mut self, idx: u32, ctx: &mut Ctx, pods: &PodInformer) {
        self.with_proxy(idx, ctx, pods, |p, cx| p.crash(cx));
    }

    /// The node is back: its kube-proxy lists and syncs (a node still
    /// partitioned cannot list: it has no rules until the heal).
    pub(crate) fn restart(&mut self, idx: u32, partitioned: bool, ctx: &mut Ctx, pods: &PodInformer) {
        let i = idx as usize;
        self.slots[i].start_node_agent();
        let n = &mut self.nodes[i];
        n.up = true;
        n.watching = !partitioned;
        if !partitioned {
            n.informed = self.version;
            self.with_proxy(idx, ctx, pods, |p, cx| p.start(cx));
        }
    }

    /// The node lost the apiserver: its proxy's watch stops (the rules it
    /// has stay; a sync already due programs only what it had seen).
    pub fn partition(&mut self, idx: u32) {
        self.nodes[idx as usize].watching = false;
    }

    /// The partition healed: the proxy relists (its informers catch up)
    /// and syncs; one restarted during the partition starts only now.
    pub(crate) fn heal(&mut self, idx: u32, ctx: &mut Ctx, pods: &PodInformer) {
        let i = idx as usize;
        let n = &mut self.nodes[i];
        n.watching = true;
        if !n.up {
            return;
        }
        n.informed = self.version;
        self.with_proxy(idx, ctx, pods, |p, cx| p.start(cx));
    }

    /// A proxy's timer fires (`id` is its slot's id).
    pub(crate) fn timer(&mut self, idx: u32, epoch: u32, token: u64, ctx: &mut Ctx, pods: &PodInformer) {
        let slot = &self.slots[idx as usize];
        if slot.epoch != epoch || !slot.alive {
            return;
        }
        let before = self.nodes[idx as usize].syncs;
        self.with_proxy(idx, ctx, pods, |p, cx| p.on_timer(token, cx));
        self.syncs_total += self.nodes[idx as usize].syncs - before;
    }

    /// A watch event reaches the proxies: Services and EndpointSlices
    /// change the view, and each change reaches every proxy whose watch
    /// runs (its informers hold it; it asks for a sync).
    pub(crate) fn on_watch(
        &mut self,
        ev: &WatchEvent,
        node_of: &dyn Fn(&str) -> Option<u32>,
        ctx: &mut Ctx,
        pods: &PodInformer,
    ) {
        let Object::Typed(t) = &ev.obj else { return };
        let deleted = ev.kind == WatchKind::Deleted;
        let key = if let Some(svc) = t.downcast::<Service>() {
            let key = Key::of(&svc.meta);
            let e = self.entry(&key);
            e.service = (!deleted).then(|| Rc::new(svc.clone()));
            key
        } else if let Some(slice) = t.downcast::<EndpointSlice>() {
            let Some(svc) = slice.service_name() else { return };
            let key = Key::new(&slice.meta.namespace, svc);
            let e = self.entry(&key);
            if deleted {
                e.slices.remove(&slice.meta.name);
            } else {
                e.slices.insert(slice.meta.name.clone(), Rc::new(slice.clone()));
            }
            key
        } else {
            return;
        };
        let e = self.services.get_mut(&key).expect("entry");
        let rules = e
            .service
            .as_ref()
            .and_then(|svc| ServiceRules::build(svc, e.slices.values().map(|s| &**s), node_of))
            .map(Rc::new);
        if e.history.last().map(|(_, r)| r) == Some(&rules) {
            return;
        }
        self.version += 1;
        e.history.push((self.version, rules));
        if e.history.len() >= self.prune_at {
            self.prune();
        }
        let version = self.version;
        for i in 0..self.nodes.len() {
            let n = &mut self.nodes[i];
            if !n.up || !n.watching {
                continue;
            }
            n.informed = version;
            let mut cx = Cx { ctx, slot: &mut self.slots[i], cache: None, kcm_pods: pods, images: None };
            n.on_watch(ev, &mut cx);
        }
    }

    fn entry(&mut self, key: &Key) -> &mut ServiceEntry {
        self.services.entry(key.clone()).or_default()
    }

    /// Drops the versions no proxy can route by any more: those older than
    /// the newest one at or below every proxy's synced version.
    fn prune(&mut self) {
        let oldest = self.nodes.iter().filter(|n| n.up).map(|n| n.synced).min().unwrap_or(self.version);
        let mut longest = 0;
        for (_, e) in self.services.iter_mut() {
            if let Some(keep) = e.history.iter().rposition(|(v, _)| *v <= oldest) {
                e.history.drain(..keep);
            }
            longest = longest.max(e.history.len());
        }
        self.prune_at = (longest * 2).max(8);
    }

    /// A new connection `c`: the node whose rules it enters chooses its
    /// endpoint.
    pub fn route(&mut self, c: &NewConnection, now: SimTime) -> Route {
        let NewConnection { node, svc, port, entry, from_cluster, client } = *c;
        let Some(rules) = self.programmed(node, svc).cloned() else {
            return if self.nodes[node as usize].up { Route::NoRule } else { Route::Down };
        };
        let Some(p) = rules.port_index(port, entry) else {
            // A cluster IP's port no Service port has: iptables has no rule
            // for it (the packets are lost); nftables' `cluster-ips-check`
            // and IPVS's `KUBE-IPVS-FILTER` reject it.
            return match (entry, self.mode) {
                (Entry::ClusterIp, ProxyMode::Nftables | ProxyMode::Ipvs) => Route::Reject,
                _ => Route::NoRule,
            };
        };
        let pr = &rules.ports[p];
        let entered = match entry {
            Entry::ClusterIp => true,
            Entry::NodePort => pr.node_port.is_some(),
            Entry::LoadBalancer => rules.load_balancer,
        };
        if !entered {
            return Route::NoRule;
        }
        let local = match entry {
            Entry::ClusterIp => rules.internal_local,
            Entry::NodePort | Entry::LoadBalancer => rules.external_local && !from_cluster,
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let mut cands: &[u32] = &pr.cluster;
        if local {
            categorize::local_endpoints(&pr.endpoints, node, &mut scratch);
            cands = &scratch;
            if scratch.is_empty() && self.mode == ProxyMode::Ipvs && rules.type_ != ServiceType::ClusterIP {
                // IPVS has no DROP: a virtual server of an externally
                // accessible Service with no local real server gets the
                // cluster endpoints (`syncEndpoint`, kubernetes#97081), for
                // the node's own pods. An outside client's packets are
                // forwarded too, but not SNATed: the pod's reply goes
                // straight back with its own address and is discarded.
                if entry != Entry::ClusterIp && !from_cluster && !pr.cluster.is_empty() {
                    self.scratch = scratch;
                    return Route::Drop;
                }
                cands = &pr.cluster;
            }
        }
        if cands.is_empty() {
            self.scratch = scratch;
            // IPVS: a virtual server without real servers answers with
            // ICMP port unreachable, as a REJECT rule does.
            return if pr.has_any && self.mode != ProxyMode::Ipvs { Route::Drop } else { Route::Reject };
        }
        let n = &mut self.nodes[node as usize];
        let sticky = rules.affinity.and_then(|timeout| {
            let (ip, last) = n.affinity.get(&(svc, p as u16, client))?;
            if now.0.saturating_sub(last.0) > timeout.0 {
                return None;
            }
            cands.iter().copied().find(|&i| pr.endpoints[i as usize].ip == *ip)
        });
        let chosen = match sticky {
            Some(i) => i,
            None => match self.mode {
                ProxyMode::Iptables | ProxyMode::Nftables => cands[self.rng.gen_range(0..cands.len())],
                ProxyMode::Ipvs => {
                    let next = n.rr.entry((svc, p as u16, entry as u8)).or_insert(0);
                    let i = cands[*next as usize % cands.len()];
                    *next = next.wrapping_add(1);
                    i
                }
            },
        };
        if rules.affinity.is_some() {
            n.affinity.insert((svc, p as u16, client), (pr.endpoints[chosen as usize].ip.clone(), now));
        }
        self.scratch = scratch;
        Route::To(rules, p, chosen as usize)
    }

    /// Whether node `node` passes a load balancer's health check for
    /// service `svc`: under `externalTrafficPolicy: Local`, kube-proxy's
    /// `healthCheckNodePort` answers 200 only while its last sync saw a
    /// local *ready* endpoint (terminating ones do not count,
    /// `LocalReadyEndpoints`); otherwise the node passes while its
    /// kube-proxy runs (`/healthz`).
    pub fn lb_healthy(&self, node: u32, svc: u32) -> bool {
        let n = &self.nodes[node as usize];
        if !n.up {
            return false;
        }
        let Some(rules) = self.programmed(node, svc) else { return false };
        if !rules.external_local {
            return true;
        }
        rules.ports.iter().any(|p| p.endpoints.iter().any(|e| e.node == Some(node) && e.ready))
    }

    /// The number of proxies.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there is no proxy.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Syncs run so far, by every proxy.
    pub fn syncs_total(&self) -> u64 {
        self.syncs_total
    }

    /// The view's version (changes seen so far).
    pub fn version(&self) -> u64 {
        self.version
    }
}
