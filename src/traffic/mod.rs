//! Client traffic to Services: the `traffic:` timeline verb's sources,
//! each request's way through the network, a node's kube-proxy rules and
//! the target container, and its outcome (docs/traffic.md).
//!
//! A request is decided when it is sent: the hops' latencies (drawn from
//! `cluster.config.network.dataLatency`) add to its time, but the rules
//! and the container it meets are those of the send instant (hops take
//! microseconds; rules and processes change on a scale of milliseconds).
//! What happens while it is in flight is checked when its answer would be
//! back: if the process that accepted it has gone, it was reset; if its
//! node died, it times out.
//!
//! Two events per request (its arrival and its outcome); the in-flight
//! requests wait in a slab, so the steady state allocates nothing. With
//! a fixed hop, outcome events wait in FIFO lanes of the event queue, one
//! per request duration (`trafficLanes`), and only arrivals go through
//! the heap.

#![warn(missing_docs)]

pub mod curl;
pub mod spec;
pub mod stats;

use crate::nodes::kubelet::Kubelet;
use crate::nodes::process::Served;
use crate::objects::store::{Key, Store};
use crate::objects::typed::parse_ipv4;
use crate::proxy::{Entry, KubeProxies, NewConnection, PortSel, Route};
use crate::runtime::Event;
use crate::sim::latency::Latency;
use crate::sim::trace::Trace;
use crate::sim::{rng, EventQueue, SimDuration, SimTime};
use indexmap::IndexMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::{FxBuildHasher, FxHashMap};
use spec::{Arrivals, From, TrafficSpec};
use stats::{Outcome, TrafficStats};
use std::rc::Rc;

/// What a new connection to a pod came to.
struct PodReach {
    /// Its outcome and when it is known (`None`: no answer, a timeout).
    known: Option<(Outcome, SimDuration)>,
    /// The process that answered (checked again when the answer is back).
    answered: Option<Target>,
    /// The connection is established (the kernel accepted it), to this
    /// process.
    established: Option<Target>,
}

/// A new connection reaches pod `uid` on the kubelet `k` (node `node`) at
/// `port`, `rtt` a round trip away: the handshake, then the request and
/// the app's answer.
fn reach_pod(k: &mut Kubelet, node: u32, uid: u64, port: u16, path: &str, rtt: SimDuration, now: SimTime) -> PodReach {
    let mut r = PodReach { known: None, answered: None, established: None };
    if !k.alive {
        return r;
    }
    let Some((served, container, instance)) = k.serve(uid, port, path, now) else { return r };
    let target = Target { kubelet: node, life: k.life(), uid, port, container, instance };
    match served {
        Served::Refused => {
            r.known = Some((Outcome::Refused, rtt));
            return r;
        }
        Served::Silent => {}
        Served::Answered { status, after } => {
            r.known = Some((Outcome::of_status(status), rtt + rtt + after));
            r.answered = Some(target);
        }
    }
    r.established = Some(target);
    r
}

/// At most this many request durations get a lane of their own.
const MAX_LANED: usize = 8;

/// The first outside client's IP: 198.18.0.1 (the benchmarking range,
/// RFC 2544), then one more per client.
const OUTSIDE_CLIENTS: u32 = 0xC612_0001;

/// What the traffic sources reach in the cluster, for one event.
pub struct World<'a> {
    /// The nodes' kube-proxies.
    pub proxies: &'a mut KubeProxies,
    /// The nodes' kubelets (and their containers).
    pub kubelets: &'a mut [Kubelet],
    /// The API's objects (a `from: pod/NAME` client's pod).
    pub store: &'a Store,
    /// Kubelet indices by node name.
    pub node_index: &'a IndexMap<Rc<str>, u32, FxBuildHasher>,
    /// The event queue.
    pub queue: &'a mut EventQueue<Event>,
    /// The trace, whose hash every request's outcome is folded into.
    pub trace: &'a mut Trace,
}

/// The process a request or a connection reached.
#[derive(Clone, Copy, Debug)]
struct Target {
    kubelet: u32,
    life: u32,
    uid: u64,
    port: u16,
    container: u16,
    instance: u32,
}

/// A kept-alive connection.
#[derive(Clone, Copy, Debug, Default)]
struct Conn {
    open: bool,
    /// Counts the connections this slot has held: a request of an earlier
    /// one does not close the one open now.
    gen: u32,
    /// The node it entered by and that node's life (its conntrack entry
    /// lives there).
    ingress: (u32, u32),
    target: Option<Target>,
    pair: u32,
    /// One round trip over its path.
    rtt: SimDuration,
}

/// A request in flight.
#[derive(Clone, Copy, Debug)]
struct Flight {
    source: u32,
    pair: u32,
    sent: SimTime,
    outcome: Outcome,
    latency: SimDuration,
    target: Option<Target>,
    /// A connection accepted by a process that has not answered: if that
    /// process goes away before the timeout, the connection is reset.
    held: Option<Target>,
    /// The kept-alive connection (its slot and generation).
    conn: Option<(u32, u32)>,
}

struct Source {
    spec: Rc<TrafficSpec>,
    /// The Service's id in the proxies' view.
    svc: u32,
    end: SimTime,
    rng: ChaCha8Rng,
    conns: Vec<Conn>,
    next_conn: Vec<u32>,
    /// `via` as kubelet indices (empty: every node).
    via: Vec<u32>,
    /// The load balancer's healthy nodes, and what they were computed
    /// from (syncs run, nodes changed).
    lb_pool: Vec<u32>,
    lb_pool_at: Option<(u64, u64)>,
    /// Pairs of this source by (kubelet, pod uid).
    pairs: FxHashMap<(u32, u64), u32>,
    no_pod_pair: u32,
}

/// Every traffic source, the requests in flight, and the counts.
pub struct Traffic {
    sources: Vec<Source>,
    flights: Vec<Flight>,
    free: Vec<u32>,
    hop: Latency,
    hop_rng: ChaCha8Rng,
    /// CoreDNS's `loadbalance` shuffle of a headless Service's records.
    dns_rng: ChaCha8Rng,
    seed: u64,
    /// Counts nodes joining, crashing and coming back (the load
    /// balancers' pools are recomputed then).
    nodes_changed: u64,
    /// The request durations that have a FIFO lane in the event queue,
    /// with the lane's number (see `launch`).
    laned: Vec<(SimDuration, usize)>,
    /// Whether fixed durations get lanes (`trafficLanes`).
    lanes: bool,
    /// What the requests came to.
    pub stats: TrafficStats,
    /// Requests sent so far (each ends in exactly one outcome).
    pub sent: u64,
    /// When `Some`, every endpoint a node's rules chose is logged (for
    /// tests that check the choice against the API's history).
    pub routes: Option<Vec<RouteRecord>>,
}

/// One endpoint choice: when, by which node's rules (and the time of
/// their last sync), for which Service, and the endpoint's IP.
#[derive(Clone, Debug)]
pub struct RouteRecord {
    /// When the connection was made.
    pub at: SimTime,
    /// The node whose rules chose.
    pub node: u32,
    /// When those rules were last synced.
    pub synced_at: Option<SimTime>,
    /// The Service.
    pub service: Key,
    /// The endpoint chosen.
    pub ip: Rc<str>,
}

impl Traffic {
    /// No source yet; hops take `hop` (drawn from the seed's
    /// `network/data` stream). With `lanes` (the `trafficLanes` fast
    /// path), requests of a fixed duration wait in FIFO lanes.
    pub fn new(hop: Latency, lanes: bool, seed: u64) -> Self {
        Traffic {
            sources: Vec::new(),
            flights: Vec::new(),
            free: Vec::new(),
            hop,
            hop_rng: rng::stream(seed, "network/data"),
            dns_rng: rng::stream(seed, "dns/loadbalance"),
            seed,
            nodes_changed: 0,
            laned: Vec::new(),
            lanes,
            stats: TrafficStats::default(),
            sent: 0,
            routes: None,
        }
    }

    /// A node joined, crashed or came back.
    pub fn nodes_changed(&mut self) {
        self.nodes_changed += 1;
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.flights.len() - self.free.len()
    }

    /// A source starts now (its first request is sent at once).
    pub fn start(&mut self, spec: Rc<TrafficSpec>, w: &mut World, now: SimTime) {
        let id = self.sources.len() as u32;
        let key = Key::new(&spec.namespace, &spec.service);
        // A DNS name is resolved for each new connection.
        let svc = if spec.dns { u32::MAX } else { w.proxies.service_id(&key) };
        let stat = self.stats.add_source(&spec.name, format!("{}/{}", spec.namespace, spec.service));
        debug_assert_eq!(stat, id);
        let no_pod_pair = self.stats.add_pair(id, None, None);
        let clients = match spec.from {
            From::Outside => spec.clients.max(1),
            From::Pod(_) | From::Node(_) => 1,
        };
        let per = spec.keep_alive.unwrap_or(0);
        self.sources.push(Source {
            svc,
            end: now + spec.duration,
            rng: rng::stream(self.seed, &format!("traffic/{}", spec.name)),
            conns: vec![Conn::default(); (clients * per) as usize],
            next_conn: vec![0; if per > 0 { clients as usize } else { 0 }],
            via: spec.via.iter().filter_map(|n| w.node_index.get(n.as_str()).copied()).collect(),
            lb_pool: Vec::new(),
            lb_pool_at: None,
            pairs: FxHashMap::default(),
            no_pod_pair,
            spec,
        });
        w.queue.push(now, Event::TrafficArrival { source: id });
    }

    fn hop(&mut self) -> SimDuration {
        self.hop.sample(&mut self.hop_rng)
    }

    /// Source `s` sends a request now, and schedules its next one.
    pub fn on_arrival(&mut self, s: u32, w: &mut World, now: SimTime) {
        let src = &mut self.sources[s as usize];
        let gap = match src.spec.arrivals {
            Arrivals::Every(d) => d,
            Arrivals::Poisson(rate) => {
                // Exponential inter-arrival times; at least 1 ns apart.
                let u: f64 = 1.0 - src.rng.gen::<f64>();
                SimDuration(((-u.ln() / rate) * 1e9).max(1.0) as u64)
            }
        };
        if now + gap < src.end {
            // Drawn gaps: no lane to look for.
            w.queue.push_unlaned(now + gap, Event::TrafficArrival { source: s });
        }
        let spec = src.spec.clone();
        // The client: its IP and the node its packets enter by.
        let (client, own_node, clients) = match &spec.from {
            From::Outside => {
                let c = src.rng.gen_range(0..spec.clients.max(1));
                (OUTSIDE_CLIENTS + c, None, c)
            }
            From::Pod(name) => {
                let Some(pod) = w.store.pod(&Key::new(&spec.namespace, name)) else { return };
                if pod.status.phase != crate::objects::pod::PodPhase::Running {
                    return;
                }
                let (Some(ip), Some(node)) = (pod.status.pod_ip.as_deref(), pod.node_name()) else { return };
                let Some(&k) = w.node_index.get(node) else { return };
                // Its node up, its sandbox there, a container running.
                if !w.kubelets[k as usize].runs_pod(pod.meta.uid, ip) {
                    return;
                }
                (parse_ipv4(ip).unwrap_or(0), Some(k), 0)
            }
            From::Node(name) => {
                let Some(&k) = w.node_index.get(name.as_str()) else { return };
                if !w.kubelets[k as usize].alive {
                    return;
                }
                (parse_ipv4(&Kubelet::node_ip(k)).unwrap_or(0), Some(k), 0)
            }
        };
        self.sent += 1;
        // A kept-alive connection, when the source keeps them.
        let conn = spec.keep_alive.map(|per| {
            let src = &mut self.sources[s as usize];
            let slot = src.next_conn[clients as usize];
            src.next_conn[clients as usize] = (slot + 1) % per;
            clients * per + slot
        });
        let flight = match conn {
            Some(c) if self.sources[s as usize].conns[c as usize].open => self.on_connection(s, c, &spec, w, now),
            _ => self.connect(s, conn, client, own_node, &spec, w, now),
        };
        let flight = self.cap_timeout(flight, &spec);
        self.launch(flight, w.queue);
    }

    /// A request over the open connection `c`.
    fn on_connection(&mut self, s: u32, c: u32, spec: &TrafficSpec, w: &mut World, now: SimTime) -> Flight {
        let conn = self.sources[s as usize].conns[c as usize];
        let t = conn.target.expect("an open connection has a target");
        let mut f = Flight {
            source: s,
            pair: conn.pair,
            sent: now,
            outcome: Outcome::Timeout,
            latency: spec.timeout,
            target: None,
            held: None,
            conn: Some((c, conn.gen)),
        };
        let (ingress, life) = conn.ingress;
        let k = &w.kubelets[ingress as usize];
        if !k.alive || k.life() != life {
            // The node it entered by rebooted: its conntrack entry is gone.
            self.close(s, c);
            return f;
        }
        let k = &mut w.kubelets[t.kubelet as usize];
        if !k.alive || k.life() != t.life {
            self.close(s, c);
            return f;
        }
        if k.running_instance(t.uid, t.container as usize) != Some(t.instance) {
            // The process that held the connection is gone.
            self.close(s, c);
            f.outcome = Outcome::Reset;
            f.latency = conn.rtt;
            return f;
        }
        match k.serve(t.uid, t.port, &spec.path, now) {
            Some((Served::Answered { status, after }, _, _)) => {
                f.outcome = Outcome::of_status(status);
                f.latency = conn.rtt + after;
                f.target = Some(t);
            }
            // Shut down after SIGTERM: the server closed the connection.
            Some((Served::Refused, _, _)) => {
                self.close(s, c);
                f.outcome = Outcome::Reset;
                f.latency = conn.rtt;
            }
            // No answer: the client gives up at its timeout and closes the
            // connection, unless the process goes away first (a reset).
            Some((Served::Silent, _, _)) => {
                f.held = Some(t);
                self.close(s, c);
            }
            None => self.close(s, c),
        }
        f
    }

    fn close(&mut self, s: u32, c: u32) {
        self.sources[s as usize].conns[c as usize].open = false;
    }

    /// Closes connection `c` if it is still the one of generation `gen`.
    fn close_gen(&mut self, s: u32, (c, gen): (u32, u32)) {
        let conn = &mut self.sources[s as usize].conns[c as usize];
        if conn.gen == gen {
            conn.open = false;
        }
    }

    /// A request on a new connection: the node the client reaches, its
    /// rules, the endpoint they choose, and the app there.
    #[allow(clippy::too_many_arguments)]
    fn connect(
        &mut self,
        s: u32,
        conn: Option<u32>,
        client: u32,
        own_node: Option<u32>,
        spec: &TrafficSpec,
        w: &mut World,
        now: SimTime,
    ) -> Flight {
        let mut svc = self.sources[s as usize].svc;
        let no_pod = self.sources[s as usize].no_pod_pair;
        let mut f = Flight {
            source: s,
            pair: no_pod,
            sent: now,
            outcome: Outcome::Timeout,
            latency: spec.timeout,
            target: None,
            held: None,
            conn: conn.map(|c| (c, self.sources[s as usize].conns[c as usize].gen + 1)),
        };
        if spec.dns {
            // The pod asks the cluster DNS for each new connection.
            let Some(n) = own_node else { return f };
            match self.resolve(&spec.service, &spec.namespace, w) {
                None => {
                    // NXDOMAIN: the client gives up at once.
                    f.outcome = Outcome::Refused;
                    f.latency = SimDuration::ZERO;
                    return f;
                }
                Some(curl::Resolved::Nowhere) => return f,
                Some(curl::Resolved::Pod(node, uid)) => {
                    let Some(name) = w.kubelets[node as usize].pod_name(uid) else { return f };
                    let port = match spec.port {
                        PortSel::Number(p) => p,
                        _ => 80,
                    };
                    self.last_leg(
                        s,
                        &mut f,
                        (node, uid, &Rc::from(name), port),
                        n,
                        SimDuration::ZERO,
                        &spec.path,
                        w,
                        now,
                    );
                    return f;
                }
                Some(curl::Resolved::Service(key)) => svc = w.proxies.service_id(&key),
            }
        }
        let (ingress, h1) = match (spec.entry, own_node) {
            // A pod's or a node's own rules catch its packets to a cluster IP.
            (Entry::ClusterIp, Some(n)) => (n, SimDuration::ZERO),
            (Entry::ClusterIp, None) => return f,
            (Entry::NodePort, _) => {
                let src = &mut self.sources[s as usize];
                let n = if src.via.is_empty() {
                    src.rng.gen_range(0..w.kubelets.len() as u32)
                } else {
                    src.via[src.rng.gen_range(0..src.via.len())]
                };
                (n, self.hop())
            }
            (Entry::LoadBalancer, own) => {
                if !w.proxies.latest(svc).is_some_and(|r| r.load_balancer) {
                    // No ingress IP yet: nothing to connect to.
                    f.outcome = Outcome::Refused;
                    f.latency = SimDuration::ZERO;
                    return f;
                }
                // kube-proxy catches packets to a load-balancer IP on the
                // client's own node: they never reach the load balancer.
                if let Some(n) = own {
                    (n, SimDuration::ZERO)
                } else {
                    self.refresh_lb_pool(s, w);
                    let src = &mut self.sources[s as usize];
                    if src.lb_pool.is_empty() {
                        return f;
                    }
                    let n = src.lb_pool[src.rng.gen_range(0..src.lb_pool.len())];
                    (n, self.hop())
                }
            }
        };
        if !w.kubelets[ingress as usize].alive {
            return f;
        }
        // Only a client on the ingress node itself (a pod there, or the
        // node) is "local" to its rules (`KUBE-EXT`'s short circuit); a pod
        // on another node reaching this node port is external traffic.
        let from_cluster = own_node == Some(ingress);
        let conn_req = NewConnection { node: ingress, svc, port: &spec.port, entry: spec.entry, from_cluster, client };
        let route = w.proxies.route(&conn_req, now);
        let back_from_node = h1 + h1;
        let (rules, p, e) = match route {
            Route::Down | Route::Drop => return f,
            Route::NoRule if spec.entry == Entry::ClusterIp => return f,
            Route::NoRule | Route::Reject => {
                f.outcome = Outcome::Refused;
                f.latency = back_from_node;
                return f;
            }
            Route::To(rules, p, e) => (rules, p, e),
        };
        let ep = &rules.ports[p].endpoints[e];
        if let Some(log) = self.routes.as_mut() {
            log.push(RouteRecord {
                at: now,
                node: ingress,
                synced_at: w.proxies.node(ingress).last_sync(),
                service: w.proxies.service_key(svc).clone(),
                ip: ep.ip.clone(),
            });
        }
        let (Some((pod_name, uid)), Some(node)) = (ep.pod.as_ref(), ep.node) else {
            // An endpoint outside the cluster (a Service without a selector
            // and hand-written endpoints): it answers.
            f.outcome = Outcome::Ok;
            f.latency = back_from_node + back_from_node;
            return f;
        };
        // By reference: the name is read only when the pair is new.
        self.last_leg(s, &mut f, (node, *uid, pod_name, ep.port), ingress, back_from_node, &spec.path, w, now);
        f
    }

    /// The last leg of `f`'s new connection: from node `ingress` (a round
    /// trip `back_from_node` from the client) to pod `uid` (`pod_name`) on
    /// node `node`, at `port`.
    #[allow(clippy::too_many_arguments)]
    fn last_leg(
        &mut self,
        s: u32,
        f: &mut Flight,
        (node, uid, pod_name, port): (u32, u64, &Rc<str>, u16),
        ingress: u32,
        back_from_node: SimDuration,
        path: &str,
        w: &mut World,
        now: SimTime,
    ) {
        let h2 = if node == ingress { SimDuration::ZERO } else { self.hop() };
        let rtt = back_from_node + h2 + h2;
        let k = &mut w.kubelets[node as usize];
        let pair = {
            let src = &mut self.sources[s as usize];
            match src.pairs.get(&(node, uid)) {
                Some(&p) => p,
                None => {
                    let p = self.stats.add_pair(s, Some(pod_name.clone()), Some(k.name.clone()));
                    src.pairs.insert((node, uid), p);
                    p
                }
            }
        };
        f.pair = pair;
        let reached = reach_pod(k, node, uid, port, path, rtt, now);
        if let Some((outcome, latency)) = reached.known {
            f.outcome = outcome;
            f.latency = latency;
        }
        f.target = reached.answered;
        if reached.answered.is_none() {
            f.held = reached.established;
        }
        if let (Some((c, gen)), Some(target)) = (f.conn, reached.established) {
            let ingress = (ingress, w.kubelets[ingress as usize].life());
            self.sources[s as usize].conns[c as usize] =
                Conn { open: true, gen, ingress, target: Some(target), pair, rtt };
        }
    }

    /// The load balancer's pool: the `via` nodes (or all) passing its
    /// health check, recomputed when a sync ran or a node changed.
    fn refresh_lb_pool(&mut self, s: u32, w: &World) {
        let key = (w.proxies.syncs_total(), self.nodes_changed);
        let src = &mut self.sources[s as usize];
        if src.lb_pool_at == Some(key) {
            return;
        }
        src.lb_pool_at = Some(key);
        src.lb_pool.clear();
        let all: Vec<u32> = if src.via.is_empty() { (0..w.kubelets.len() as u32).collect() } else { src.via.clone() };
        for n in all {
            if w.kubelets[n as usize].alive && w.proxies.lb_healthy(n, src.svc) {
                src.lb_pool.push(n);
            }
        }
    }

    /// A request whose answer takes longer than the client waits times out.
    fn cap_timeout(&self, mut f: Flight, spec: &TrafficSpec) -> Flight {
        if f.latency > spec.timeout {
            f.latency = spec.timeout;
            f.outcome = Outcome::Timeout;
            f.target = None;
        }
        if f.outcome == Outcome::Timeout {
            f.latency = spec.timeout;
        }
        f
    }

    fn launch(&mut self, f: Flight, queue: &mut EventQueue<Event>) {
        let at = f.sent + f.latency;
        // With a fixed hop, a request's duration is one of a handful of
        // sums (hops, the app's fixed answer time, the timeout), so its
        // outcome events, pushed that long after their send, come in
        // (time, seq) order per duration: each duration gets a FIFO lane,
        // and the heap keeps only the arrivals. A lane pops in exactly the
        // heap's order (`queue.rs` tests it), so the trace is the same.
        // A lane pushes at now + its delay: only a request sent now may
        // take one (every launch is; the test keeps that true).
        let sent_now = f.sent == queue.now();
        let mut lane = self.laned.iter().find(|(d, _)| *d == f.latency).map(|&(_, l)| l).filter(|_| sent_now);
        if lane.is_none() && sent_now && self.lanes && self.hop.fixed().is_some() && self.laned.len() < MAX_LANED {
            let l = queue.add_lane(f.latency);
            self.laned.push((f.latency, l));
            lane = Some(l);
        }
        let slot = match self.free.pop() {
            Some(i) => {
                self.flights[i as usize] = f;
                i
            }
            None => {
                self.flights.push(f);
                self.flights.len() as u32 - 1
            }
        };
        let done = Event::TrafficDone { flight: slot };
        match lane {
            Some(l) => queue.push_lane(l, done),
            None => queue.push_unlaned(at, done),
        }
    }

    /// A request's outcome is known now, unless what it was waiting for
    /// went away meanwhile.
    pub fn on_done(&mut self, slot: u32, w: &mut World, now: SimTime) {
        let mut f = self.flights[slot as usize];
        if let Some(t) = f.held.filter(|_| f.outcome == Outcome::Timeout) {
            // A silent process that went away reset the connection.
            let k = &w.kubelets[t.kubelet as usize];
            if k.alive && k.life() == t.life && k.running_instance(t.uid, t.container as usize) != Some(t.instance) {
                f.outcome = Outcome::Reset;
            }
        }
        if let Some(t) = f.target {
            let k = &w.kubelets[t.kubelet as usize];
            let timeout = self.sources[f.source as usize].spec.timeout;
            if !k.alive || k.life() != t.life {
                // Its node died: the answer never comes.
                f.target = None;
                f.outcome = Outcome::Timeout;
                f.latency = timeout;
                if let Some(c) = f.conn {
                    self.close_gen(f.source, c);
                }
                if f.sent + timeout > now {
                    self.flights[slot as usize] = f;
                    w.queue.push(f.sent + timeout, Event::TrafficDone { flight: slot });
                    return;
                }
            } else if k.running_instance(t.uid, t.container as usize) != Some(t.instance) {
                f.outcome = Outcome::Reset;
                if let Some(c) = f.conn {
                    self.close_gen(f.source, c);
                }
            }
        }
        self.free.push(slot);
        let latency = SimDuration(now.0 - f.sent.0);
        w.trace.absorb(&[f.pair as u64, f.outcome as u64, latency.0]);
        self.stats.record(f.pair, f.outcome, latency, now);
    }
}
