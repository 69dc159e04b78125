//! What components share with the event loop: the closed `Event` enum, the
//! `Client` identities, and `Ctx`, the handle a handler gets to schedule
//! events, send API requests and record Kubernetes Events.
//!
//! A request leaves its client when the client's rate limiter allows it
//! (client-go's token bucket: QPS and burst, modelled exactly as a GCRA
//! reservation), then reaches the store after `apiLatency`.
//!
//! Every client has its own bucket, as in a cluster: client-go's
//! `NewForConfig` gives each clientset its own token bucket, and
//! kube-controller-manager builds one clientset per controller
//! (`ClientBuilder.ClientOrDie("replicaset-controller")`,
//! `"replication-controller"`, `"node-controller"` — the node-lifecycle and
//! the taint-eviction controllers each build their own from that name —,
//! `"pod-garbage-collector"`, `"generic-garbage-collector"`), each with
//! `--kube-api-qps`/`--kube-api-burst`. The garbage collector's metadata
//! client, which sends its deletes and patches, doubles the QPS
//! (`startGarbageCollectorController`: "each object deletion takes two API
//! calls"). The scheduler has its own client; each kubelet's API client is
//! limited to `kubeAPIQPS` 50 / `kubeAPIBurst` 100 (KubeletConfiguration
//! defaults since v1.27), while its node status goes through the heartbeat
//! client, which is not rate limited (`heartbeatClientConfig.QPS = -1`).
//! Users (kubectl, the timeline) are not throttled.

#![warn(missing_docs)]

use crate::config::Config;

use crate::objects::replicaset::ReplicaKind;
use crate::objects::store::{ApiError, ApiOp, WatchEvent};
use crate::sim::latency::Latency;
use crate::sim::trace::{Message, Trace};
use crate::sim::{rng, EventQueue, SimDuration, SimTime};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::fmt;

/// Who sends a request; errors are returned to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    /// The scenario's setup (its objects, nodes and workload rows) and a
    /// library user's direct writes.
    User,
    /// The scenario's timeline entry with this index (a `kubectl` line or
    /// a timeline verb): `kubectl` as a person runs it. Its errors are the
    /// entry's (`UserError::entry`); it shares `User`'s network link.
    Timeline(u32),
    /// The default scheduler (kube-scheduler's clientset).
    Scheduler,
    /// The replicaset controller (`ReplicaSet`) or the replication manager
    /// (`ReplicationController`): two controllers, two clients.
    Replication(ReplicaKind),
    /// The node-lifecycle controller (`"node-controller"`).
    NodeLifecycle,
    /// The taint-eviction controller (its own clientset from
    /// `"node-controller"`).
    TaintEviction,
    /// The pod garbage collector (`"pod-garbage-collector"`).
    PodGc,
    /// The garbage collector (`"generic-garbage-collector"`).
    GarbageCollector,
    /// The endpoints controller (`"endpoint-controller"`, the client of
    /// kube-controller-manager's `endpoints-controller`).
    Endpoints,
    /// The endpointslice controller (`"endpointslice-controller"`).
    EndpointSlice,
    /// The deployment controller (`"deployment-controller"`). The number
    /// is always 0 now that the controller is a component (its answers are
    /// routed by request id); it stays because the random stream of the
    /// client's network link is named after the value (`Deployment(0)`),
    /// and renaming it would change the traces of every run with a latency
    /// distribution.
    Deployment(u32),
    /// The DaemonSet controller (`"daemon-set-controller"`).
    DaemonSet,
    /// The Job controller (`"job-controller"`).
    Job,
    /// The CronJob controller (`"cronjob-controller"`).
    CronJob,
    /// The TTL-after-finished controller (`"ttl-after-finished-controller"`).
    TtlAfterFinished,
    /// The cloud provider's service controller (cloud-controller-manager's
    /// `service-lb-controller`), which writes a load balancer's ingress.
    ServiceLb,
    /// The apiserver itself (its loopback client): the `kubernetes`
    /// Service and its endpoints.
    Apiserver,
    /// The kubelet of the node with this index (in the order nodes were
    /// added; `Simulation::kubelets`).
    Kubelet(u32),
    /// A component (`crate::component`), and the id of this request
    /// among its requests (its response names it).
    Component {
        /// The component's slot index (built-ins first, then the user's in
        /// registration order), or `NODE_AGENT | i` for node `i`'s kubelet,
        /// whose requests go through `Kubelet(i)`'s client.
        id: u32,
        /// The request's number among the component's requests.
        req: u32,
    },
}

/// A client's own rate limiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limiter {
    /// One of the control-plane clients' buckets (index into `Throttles`).
    Shared(usize),
    /// The kubelet of node `i`.
    Kubelet(u32),
    /// The user component `id`.
    Component(u32),
    /// Not throttled.
    None,
}

/// The flag of a component's request whose answer it does not wait for
/// (a built-in's fire-and-forget delete, whose error upstream only logs):
/// no response event is made for it. The rest of the number still names
/// the request.
pub(crate) const UNANSWERED: u32 = 1 << 31;

impl Client {
    /// The component and request an answer goes back to: every answer of
    /// a component's request but one flagged [`UNANSWERED`]. (Other
    /// clients' errors are the apiserver's to report:
    /// `Simulation::apply_op`.)
    pub(crate) fn wants_answer(self) -> Option<(u32, u32)> {
        match self {
            Client::Component { id, req } if req & UNANSWERED == 0 => Some((id, req)),
            _ => None,
        }
    }

    /// Which rate limiter the client's request goes through.
    fn limiter(self, op: Option<&ApiOp>) -> Limiter {
        match self {
            Client::Scheduler => Limiter::Shared(0),
            Client::Replication(ReplicaKind::ReplicaSet) => Limiter::Shared(1),
            Client::Replication(ReplicaKind::ReplicationController) => Limiter::Shared(2),
            Client::NodeLifecycle => Limiter::Shared(3),
            Client::TaintEviction => Limiter::Shared(4),
            Client::PodGc => Limiter::Shared(5),
            Client::GarbageCollector => Limiter::Shared(6),
            Client::Endpoints => Limiter::Shared(7),
            Client::EndpointSlice => Limiter::Shared(8),
            Client::Deployment(_) => Limiter::Shared(9),
            Client::DaemonSet => Limiter::Shared(10),
            Client::Job => Limiter::Shared(11),
            Client::CronJob => Limiter::Shared(12),
            Client::TtlAfterFinished => Limiter::Shared(13),
            Client::ServiceLb => Limiter::Shared(14),
            // Node status goes through the kubelet's heartbeat client.
            Client::Kubelet(_) if matches!(op, Some(ApiOp::NodeReady { .. })) => Limiter::None,
            Client::Kubelet(i) => Limiter::Kubelet(i),
            Client::Component { id, .. } => Limiter::Component(id),
            Client::User | Client::Timeline(_) | Client::Apiserver => Limiter::None,
        }
    }
}

/// Every event of the simulation. A closed enum: a forgotten handler is a
/// compile error.
#[derive(Debug)]
pub enum Event {
    /// A write request reaches the apiserver; its response is back at the
    /// client at `reply_at`.
    Api {
        /// Who sent it.
        from: Client,
        /// The write.
        op: Box<ApiOp>,
        /// When the answer is back at the client.
        reply_at: SimTime,
    },
    /// A write reaches every informer.
    Watch(WatchEvent),
    /// The apiserver's `kubernetes` Service reconcile (every 10 s,
    /// `controllers::kubernetesservice`).
    KubernetesService,
    /// Node `node`'s kubelet's LIST request `seq` (the pods bound to it,
    /// and its Node) reaches the apiserver, which takes its snapshot now.
    KubeletList {
        /// The node's index (as in `Client::Kubelet`).
        node: u32,
        /// The request's number.
        seq: u32,
    },
    /// The i-th entry of the scenario's timeline.
    Timeline(usize),
    /// A component's timer, set in its `epoch`-th life.
    ComponentTimer {
        /// The component's index (`NODE_AGENT | i`: node `i`'s kubelet;
        /// `NODE_AGENT | PROXY_AGENT | i`: its kube-proxy).
        id: u32,
        /// The life the timer was set in; a timer from an earlier life
        /// (before a crash) is dropped.
        epoch: u32,
        /// The component's own token, handed back to it.
        token: u64,
    },
    /// The response to a user component's request `req`.
    ComponentResponse {
        /// The component's index.
        id: u32,
        /// The request's number.
        req: u32,
        /// The object written, or the apiserver's error.
        result: Box<Result<crate::objects::Object, ApiError>>,
    },
    /// A component's HTTP request `req` leaves its client's pod (the
    /// pod's key and the request).
    ComponentHttp {
        /// The component's index.
        id: u32,
        /// The request's number.
        req: u32,
        /// The client's pod and the request.
        request: Box<(crate::objects::store::Key, crate::traffic::curl::Curl)>,
    },
    /// The answer to a component's HTTP request is due at its client.
    ComponentHttpResponse {
        /// The component's index.
        id: u32,
        /// The request's number.
        req: u32,
        /// What it came to when it was sent, what that still depends on,
        /// the request, and when it was sent.
        response: Box<(
            crate::traffic::curl::HttpResponse,
            crate::traffic::curl::InFlight,
            crate::traffic::curl::Curl,
            SimTime,
        )>,
    },
    /// A user component's held-back watch events are due (`relist:
    /// false`), or its broken watch reconnects and it relists (`true`).
    ComponentWatch {
        /// The component's index.
        id: u32,
        /// The life the event belongs to.
        epoch: u32,
        /// Relist (`true`) or deliver the held-back events (`false`).
        relist: bool,
    },
    /// A crashed user component comes back: its list request leaves
    /// (`listed: false`), then its answer arrives (`listed: true`).
    ComponentStart {
        /// The component's index.
        id: u32,
        /// The life that starts.
        epoch: u32,
        /// Whether the list has been answered.
        listed: bool,
    },
    /// The create of the i-th pod of a workload trace reaches the
    /// apiserver (it left the client at the pod's arrival).
    Workload(usize),
    /// Traffic source `source` sends its next request.
    TrafficArrival {
        /// The source's index.
        source: u32,
    },
    /// The outcome of the request in flight slot `flight` is known.
    TrafficDone {
        /// The in-flight slot.
        flight: u32,
    },
}

/// The network's hops (`cluster.config.network`): each request draws one
/// latency from its client's own stream (a change in one client's traffic
/// never shifts another's draws) and uses it both ways; each write's watch
/// notification draws one from the watch stream. A client's requests reach
/// the apiserver in the order they left it, and watch notifications in the
/// order of the writes (etcd's ordered watch), so a draw can delay a hop
/// but never reorder those links; each response comes back after its own
/// request's draw, so two responses may arrive out of order (as replies on
/// concurrent HTTP/2 streams do). With fixed latencies (the default) nothing is
/// drawn.
pub struct Network {
    api: Latency,
    watch: Latency,
    seed: u64,
    links: BTreeMap<Client, (ChaCha8Rng, SimTime)>,
    watch_link: Option<(ChaCha8Rng, SimTime)>,
}

impl Network {
    /// The network of `cfg.network`, its streams derived from `seed`.
    pub fn new(cfg: &Config, seed: u64) -> Network {
        Network { api: cfg.network.api, watch: cfg.network.watch, seed, links: BTreeMap::new(), watch_link: None }
    }

    /// A request of `from` leaving at `leave`: when it reaches the
    /// apiserver, and when its response is back.
    pub fn request(&mut self, from: Client, leave: SimTime) -> (SimTime, SimTime) {
        if let Some(d) = self.api.fixed() {
            return (leave + d, leave + d + d);
        }
        let link = match from {
            Client::Component { id, .. } => Client::Component { id, req: 0 },
            Client::Timeline(_) => Client::User,
            c => c,
        };
        let seed = self.seed;
        let (rng, last) = self
            .links
            .entry(link)
            .or_insert_with(|| (rng::stream(seed, &format!("network/api/{:?}", link)), SimTime::ZERO));
        let d = self.api.sample(rng);
        let arrive = (leave + d).max(*last);
        *last = arrive;
        (arrive, arrive + d)
    }

    /// The process behind `from` died: its connection to the apiserver
    /// closes, and the next process opens a new one. What the old one had
    /// sent still arrives when it was due; what the new one sends queues
    /// behind nothing of the old (with fixed latencies there is no queue).
    pub fn connection_closed(&mut self, from: Client) {
        let link = match from {
            Client::Component { id, .. } => Client::Component { id, req: 0 },
            Client::Timeline(_) => Client::User,
            c => c,
        };
        if let Some((_, last)) = self.links.get_mut(&link) {
            *last = SimTime::ZERO;
        }
    }

    /// When a write made now reaches the watchers.
    pub fn watch_at(&mut self, now: SimTime) -> SimTime {
        if let Some(d) = self.watch.fixed() {
            return now + d;
        }
        let seed = self.seed;
        let (rng, last) = self.watch_link.get_or_insert_with(|| (rng::stream(seed, "network/watch"), SimTime::ZERO));
        let t = (now + self.watch.sample(rng)).max(*last);
        *last = t;
        t
    }
}

/// A GCRA token bucket: `tat` is the theoretical arrival time. The same
/// reservations as `golang.org/x/time/rate`'s `Limiter.Reserve` (client-go's
/// token bucket and the work queue's overall bucket): `burst` at once from a
/// full bucket, then one every `1/qps`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bucket {
    tat: u64,
}

impl Bucket {
    /// Reserves a slot at or after `now`; returns when the request may go.
    pub fn reserve(&mut self, now: SimTime, qps: u32, burst: u32) -> SimTime {
        let interval = 1_000_000_000 / qps.max(1) as u64;
        let tolerance = interval * (burst.max(1) as u64 - 1);
        let send = now.0.max(self.tat.saturating_sub(tolerance));
        self.tat = self.tat.max(send) + interval;
        SimTime(send)
    }
}

/// Every client's token bucket.
#[derive(Default)]
pub struct Throttles {
    buckets: [Bucket; 15],
    kubelets: Vec<Bucket>,
    /// User components' buckets with their (QPS, burst).
    components: Vec<(Bucket, u32, u32)>,
    /// The built-in controllers that run as components: the client
    /// kube-controller-manager gives each (its bucket and network link).
    builtin_clients: Vec<Option<Client>>,
}

impl Throttles {
    /// Gives user component `id` (registered in order) its own bucket.
    pub(crate) fn add_component(&mut self, id: u32, qps: u32, burst: u32) {
        debug_assert_eq!(id as usize, self.components.len());
        self.components.push((Bucket::default(), qps, burst));
        self.builtin_clients.push(None);
    }

    /// Component `id` is a built-in controller whose requests go through
    /// `client`'s rate limiter and network link.
    pub(crate) fn add_builtin(&mut self, id: u32, client: Client) {
        debug_assert_eq!(id as usize, self.components.len());
        self.components.push((Bucket::default(), 0, 0));
        self.builtin_clients.push(Some(client));
    }

    /// Component `id`'s process died: its client (and the reservations
    /// of the requests still waiting in its rate limiter, which never
    /// leave) goes with it, and so does its connection: the restarted
    /// process builds a new client with a full bucket, on a new connection.
    pub(crate) fn client_died(&mut self, id: u32, net: &mut Network) {
        if id & crate::component::PROXY_AGENT != 0 && id & crate::component::NODE_AGENT != 0 {
            return; // kube-proxy sends nothing through a client of kubesim's
        }
        net.connection_closed(self.identity(Client::Component { id, req: 0 }));
        if id & crate::component::NODE_AGENT != 0 {
            if let Some(b) = self.kubelets.get_mut((id & !crate::component::NODE_AGENT) as usize) {
                *b = Bucket::default();
            }
            return;
        }
        match self.builtin_clients.get(id as usize).copied().flatten() {
            Some(c) => {
                if let Limiter::Shared(i) = c.limiter(None) {
                    self.buckets[i] = Bucket::default();
                }
            }
            None => {
                if let Some(b) = self.components.get_mut(id as usize) {
                    b.0 = Bucket::default();
                }
            }
        }
    }

    /// Whose bucket and link a request uses: a built-in component's own
    /// client, else the sender.
    fn identity(&self, from: Client) -> Client {
        match from {
            // A kubelet's request goes through its node's client.
            Client::Component { id, .. } if id & crate::component::NODE_AGENT != 0 => {
                Client::Kubelet(id & !crate::component::NODE_AGENT)
            }
            Client::Component { id, .. } => self.builtin_clients.get(id as usize).copied().flatten().unwrap_or(from),
            c => c,
        }
    }

    /// When a request of `from` sent at `now` leaves its client.
    fn leave(&mut self, cfg: &Config, from: Client, op: Option<&ApiOp>, now: SimTime) -> SimTime {
        match from.limiter(op) {
            Limiter::None => now,
            Limiter::Shared(0) => self.buckets[0].reserve(now, cfg.scheduler_qps, cfg.scheduler_burst),
            // The garbage collector's metadata client: QPS × 2.
            Limiter::Shared(6) => self.buckets[6].reserve(now, cfg.kcm_qps.saturating_mul(2), cfg.kcm_burst),
            Limiter::Shared(i) => self.buckets[i].reserve(now, cfg.kcm_qps, cfg.kcm_burst),
            Limiter::Kubelet(i) => {
                let i = i as usize;
                if self.kubelets.len() <= i {
                    self.kubelets.resize(i + 1, Bucket::default());
                }
                self.kubelets[i].reserve(now, cfg.kubelet_api_qps, cfg.kubelet_api_burst)
            }
            Limiter::Component(i) => match self.components.get_mut(i as usize) {
                Some((b, qps, burst)) => b.reserve(now, *qps, *burst),
                None => now,
            },
        }
    }
}

/// The handle a component gets while it handles an event.
pub struct Ctx<'a> {
    /// The current virtual time.
    pub now: SimTime,
    /// The cluster's configuration.
    pub cfg: &'a Config,
    pub(crate) queue: &'a mut EventQueue<Event>,
    pub(crate) trace: &'a mut Trace,
    pub(crate) throttles: &'a mut Throttles,
    pub(crate) net: &'a mut Network,
}

impl<'a> Ctx<'a> {
    /// Sends a write request from `from` at `t` (now or later: a
    /// worker's next call after the one it waits for); returns when it
    /// leaves its client (after its rate limiter's wait) and when its
    /// response is back there.
    pub(crate) fn send_leaving_at(&mut self, t: SimTime, from: Client, op: ApiOp) -> (SimTime, SimTime) {
        let t = t.max(self.now);
        let who = self.throttles.identity(from);
        let leave = self.throttles.leave(self.cfg, who, Some(&op), t);
        let (arrive, reply_at) = self.net.request(who, leave);
        let ev = Event::Api { from, op: Box::new(op), reply_at };
        if arrive == self.now + self.cfg.api_latency {
            self.queue.push_after(self.cfg.api_latency, ev);
        } else {
            self.queue.push(arrive, ev);
        }
        (leave, reply_at)
    }

    /// Sends a request that left its client at `leave` (now, or earlier:
    /// a request already on its way), outside any rate limiter (the
    /// kubelet's heartbeat client).
    pub fn send_left_at(&mut self, leave: SimTime, from: Client, op: ApiOp) -> SimTime {
        let (arrive, reply_at) = self.net.request(self.throttles.identity(from), leave);
        self.queue.push(arrive.max(self.now), Event::Api { from, op: Box::new(op), reply_at });
        reply_at
    }

    /// A request at `t` that writes nothing (a read, an update the
    /// apiserver rejects or finds unchanged): it only takes its turn in the
    /// client's rate limiter and a round trip. Returns when it is answered.
    pub fn call_at(&mut self, t: SimTime, from: Client) -> SimTime {
        let t = t.max(self.now);
        let who = self.throttles.identity(from);
        let leave = self.throttles.leave(self.cfg, who, None, t);
        self.net.request(who, leave).1
    }

    /// Schedules `ev` at `t` (a time already past is taken as now).
    pub fn at(&mut self, t: SimTime, ev: Event) {
        self.queue.push(t, ev);
    }

    /// Schedules `ev` `d` from now.
    pub fn after(&mut self, d: SimDuration, ev: Event) {
        self.queue.push_after(d, ev);
    }

    /// Whether human-readable records (container logs) are wanted.
    pub fn keeps_logs(&self) -> bool {
        self.trace.keeps_events()
    }

    /// Records a Kubernetes Event (what `kubectl get events` lists).
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &mut self,
        warning: bool,
        source: &'static str,
        reason: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
        message: &dyn fmt::Display,
    ) {
        self.trace.event(self.now, warning, source, reason, kind, namespace, name, Message::Display(message));
    }

    /// `event` with the message given as parts to concatenate (no
    /// formatting machinery: for the events every pod produces).
    #[allow(clippy::too_many_arguments)]
    pub fn event_parts(
        &mut self,
        warning: bool,
        source: &'static str,
        reason: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
        parts: &[&str],
    ) {
        self.trace.event(self.now, warning, source, reason, kind, namespace, name, Message::Parts(parts));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_qps() {
        let mut b = Bucket::default();
        let now = SimTime(10_000_000_000);
        let sends: Vec<u64> = (0..32).map(|_| b.reserve(now, 20, 30).0).collect();
        // 30 go at once, then one every 50 ms.
        assert!(sends[..30].iter().all(|&s| s == now.0));
        assert_eq!(sends[30], now.0 + 50_000_000);
        assert_eq!(sends[31], now.0 + 100_000_000);
    }
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn event_size() {
        eprintln!("Event = {} bytes", std::mem::size_of::<super::Event>());
    }
}
