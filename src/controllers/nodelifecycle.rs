//! The node-lifecycle controller
//! (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`).
//!
//! `monitorNodeHealth` runs on a `nodeMonitorPeriod` (5 s) grid. It keeps a
//! `probeTimestamp` per node — the controller's own clock at the tick that
//! first saw a newer Lease renewal — and when a tick finds
//! `now > probeTimestamp + nodeMonitorGracePeriod` it sets Ready (and the
//! pressure conditions) to Unknown and marks the node's pods not ready.
//! Conditions become NoSchedule taints at once (`doNoScheduleTaintingPass`,
//! on the node update) and NoExecute taints through a per-zone rate-limited
//! queue drained every 100 ms (`doNoExecuteTaintingPass`), whose rate
//! follows the zone state (Normal / PartialDisruption / FullDisruption). A
//! node is queued by `processTaintBaseEviction`, which decides on the Ready
//! condition a pass observed before updating it: the NoExecute taint of a
//! node whose heartbeats stopped comes one pass after Ready=Unknown.
//!
//! Node health comes from the node's Lease (`kube-node-lease/<node>`), as
//! this controller's Lease informer shows it (`tryUpdateNodeHealth`: a
//! newer `spec.renewTime` than the one saved moves the probe timestamp).
//! Heartbeats are skipped analytically: a Lease carries its renewal stream
//! (renewals every `nodeLeaseRenewInterval` from an anchor, until a stop;
//! see `objects::lease`), the informer receives the stream's start and
//! stop, and the controller computes the one tick at which a tick-by-tick
//! run would first see the grace exceeded. Ticks that could not change
//! anything are never run; the trace is what ticking would produce.
//! `heartbeatSkipping: 0` runs the literal model instead — every renewal a
//! request of the kubelet that reaches this informer after the watch hop,
//! and a monitor pass every period over every node — and tests demand the
//! same trace hash from both. A renewal written at `r` is in the informer
//! at `r + apiLatency + watchLatency`, after the monitor tick of that very
//! instant (queued a period earlier): the first tick that sees it is the
//! first one strictly after (`seen_tick`).
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared pod informer, runs its two loops on its own timers and sends as
//! `"node-controller"` without waiting for answers. A crash loses the
//! probe timestamps, the zone queues and the taint writes in flight; the
//! restarted controller relists, and since `tryUpdateNodeHealth` gives a
//! node it has no record of the probe time `now`, every node gets a full
//! grace period from the restart (both heartbeat models: the analytic one
//! sees no renewal before the new instance's first tick).

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::config::Config;
use crate::controllers::informer::PodInformer;
use crate::objects::lease::{last_of_run, Lease, NODE_LEASE_NAMESPACE};
use crate::objects::node::{Node, NodeCondition, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE};
use crate::objects::pod::{CondStatus, Condition, Pod, Taint, TaintEffect};
use crate::objects::store::{ApiOp, Key, PodConditionType, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::sim::{SimDuration, SimTime};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

pub(crate) const SOURCE: &str = "node-controller";

/// The timer tokens: a `monitorNodeHealth` tick (always on the
/// monitor-period grid), a `doNoExecuteTaintingPass` tick (on the 100 ms
/// grid).
const MONITOR: u64 = 0;
const TAINT_PASS: u64 = 1;

/// What the controller's Lease informer knows of a node's renewals.
#[derive(Clone, Copy, Debug)]
struct LeaseView {
    /// Renewals happen at `anchor + k × interval` while running.
    anchor: SimTime,
    /// Renewals stopped at this instant (crash, partition).
    stopped: Option<SimTime>,
    /// The run before a restart, `(anchor, stop)`: until the informer has
    /// seen the new run's first renewal, the old run's last one is the
    /// newest it has, and its grace can still run out.
    prev: Option<(SimTime, SimTime)>,
}

struct NodeHealth {
    node: Rc<Node>,
    lease: Option<LeaseView>,
    probe_timestamp: SimTime,
    /// Last lease renewal this controller has observed.
    seen_renew: Option<SimTime>,
    /// Our taint writes the informer may not have shown us yet.
    in_flight: Vec<TaintWrite>,
}

/// A taint write on its way: sent, and seen by our informer at
/// `visible_at` at the latest.
struct TaintWrite {
    visible_at: SimTime,
    add: Vec<(String, TaintEffect)>,
    remove: Vec<(String, TaintEffect)>,
}

impl NodeHealth {
    /// Whether the node has the taint as the apiserver has it: our
    /// informer's copy with our writes still on their way applied on top.
    fn has_taint_now(&self, key: &str, effect: TaintEffect) -> bool {
        let mut has = self.node.has_taint(key, effect);
        for w in &self.in_flight {
            if w.remove.iter().any(|(k, e)| k == key && *e == effect) {
                has = false;
            }
            if w.add.iter().any(|(k, e)| k == key && *e == effect) {
                has = true;
            }
        }
        has
    }

    /// `AddOrUpdateTaintOnNode` / `RemoveTaintOffNode`
    /// (`pkg/controller/controller_utils.go`): they read the node first
    /// and patch only when a taint is to be added that is not there or
    /// removed that is; a write that would change nothing is not sent.
    fn write_taints(&mut self, add: Vec<Taint>, remove: Vec<(String, TaintEffect)>, cx: &mut Cx) {
        let now = cx.now();
        self.in_flight.retain(|w| w.visible_at >= now);
        let add: Vec<Taint> = add.into_iter().filter(|t| !self.has_taint_now(&t.key, t.effect)).collect();
        let remove: Vec<(String, TaintEffect)> =
            remove.into_iter().filter(|(k, e)| self.has_taint_now(k, *e)).collect();
        if add.is_empty() && remove.is_empty() {
            return;
        }
        let write = TaintWrite {
            visible_at: SimTime::ZERO,
            add: add.iter().map(|t| (t.key.clone(), t.effect)).collect(),
            remove: remove.clone(),
        };
        let answered = cx.send_unanswered(ApiOp::NodeTaints { name: self.node.meta.name.clone(), add, remove });
        // Applied one latency before the answer; our watch sees it after.
        let visible_at = SimTime(answered.0 - cx.config().api_latency.0) + cx.config().watch_latency;
        self.in_flight.push(TaintWrite { visible_at, ..write });
    }
}

/// What the Lease informer has shown of one node's Lease.
#[derive(Default)]
struct LeaseRecord {
    /// The analytic model: the renewal stream as last seen.
    view: Option<LeaseView>,
    /// The literal model: the newest `renewTime` seen.
    latest: Option<SimTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ZoneState {
    Normal,
    PartialDisruption,
    FullDisruption,
}

struct Zone {
    state: ZoneState,
    /// Token bucket with burst 1: the next instant a token is available;
    /// `None` means rate 0 (never).
    next_token: Option<SimTime>,
    interval: Option<SimDuration>,
    queue: VecDeque<Rc<str>>,
}

/// The node-lifecycle controller's state: each node's health as its
/// informers show it, and each zone's eviction queue.
#[derive(Default)]
pub struct NodeLifecycleController {
    nodes: Map<Rc<str>, NodeHealth>,
    zones: BTreeMap<String, Zone>,
    monitor_at: Option<SimTime>,
    pass_at: Option<SimTime>,
    all_disrupted: bool,
    /// What the Lease informer shows, by node name.
    leases: Map<Rc<str>, LeaseRecord>,
    /// The first monitor tick of this instance: a renewal already in the
    /// list it started from is first seen then (upstream's
    /// `tryUpdateNodeHealth` gives a node it has no record of the probe
    /// time `now`), so a restarted controller gives every node a full
    /// grace period.
    first_tick: SimTime,
}

impl Controller for NodeLifecycleController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Node, Kind::Lease, Kind::Pod]
    }

    fn start(&mut self, cx: &mut Cx) {
        self.first_tick = cx.now().ceil_to(cx.config().node_monitor_period);
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.handle(ev, cx);
    }

    /// Runs a monitor or tainting pass.
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        let (now, literal) = (cx.now(), !cx.config().heartbeat_skipping);
        match token {
            MONITOR => {
                if self.monitor_at != Some(now) {
                    return;
                }
                self.monitor_at = None;
                if literal {
                    let next = now + cx.config().node_monitor_period;
                    self.schedule_monitor(next, cx);
                }
                self.monitor_node_health(pods, cx);
                if !literal {
                    self.arm_monitor(cx);
                }
            }
            _ => {
                if self.pass_at != Some(now) {
                    return;
                }
                self.pass_at = None;
                self.no_execute_tainting_pass(cx);
            }
        }
    }
}

impl NodeLifecycleController {
    /// A controller that has seen no node.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Lease informer's handler (`kube-node-lease` only). The literal
    /// model (`heartbeatSkipping: 0`) records the newest `renewTime`, and
    /// `monitorNodeHealth` runs every `nodeMonitorPeriod` over every node
    /// (`Run`'s `wait.Until`), deciding from it (`tryUpdateNodeHealth`).
    /// The analytic model takes the renewal stream.
    fn on_lease(&mut self, kind: WatchKind, l: &Lease, cx: &mut Cx) {
        if kind == WatchKind::Deleted || *l.meta.namespace != *NODE_LEASE_NAMESPACE {
            return;
        }
        let node = &l.meta.name;
        if !self.leases.contains_key(node) {
            self.leases.insert(node.clone(), LeaseRecord::default());
        }
        if !cx.config().heartbeat_skipping {
            let rec = &mut self.leases[node];
            if l.spec.renew_time.is_some() && rec.latest < l.spec.renew_time {
                rec.latest = l.spec.renew_time;
            }
            // The monitor loop runs from the first Lease on, every period.
            if self.monitor_at.is_none_or(|m| m < cx.now()) {
                self.schedule_monitor(cx.now().ceil_to(cx.config().node_monitor_period), cx);
            }
            return;
        }
        if let Some(st) = l.stream {
            self.on_stream(node, st.anchor, st.stopped, cx);
        }
    }

    /// The analytic model: the kubelet of `node` renews from `anchor` on
    /// (`stopped: None`) or stopped renewing at `stopped`.
    fn on_stream(&mut self, node: &str, anchor: SimTime, stopped: Option<SimTime>, cx: &mut Cx) {
        let rec = &mut self.leases[node];
        if rec.view.is_some_and(|v| v.anchor == anchor && v.stopped == stopped) {
            return;
        }
        let prev = match (stopped, rec.view) {
            (None, Some(LeaseView { anchor: a, stopped: Some(s), .. })) => Some((a, s)),
            (Some(_), Some(v)) if v.anchor == anchor => v.prev,
            _ => None,
        };
        let view = LeaseView { anchor, stopped, prev };
        rec.view = Some(view);
        if let Some(h) = self.nodes.get_mut(node) {
            h.lease = Some(view);
        }
        // Only this node's expiry can have moved: every other node's is
        // already armed (each change arms its node, each pass all), so the
        // earliest of all is the earlier of the armed pass and this one.
        // (A full scan here made a cluster's start quadratic in nodes.)
        self.arm_node(node, cx);
    }

    /// Arms the pass at which `node` would be found past its grace, if
    /// that comes before the pass already armed.
    fn arm_node(&mut self, node: &str, cx: &mut Cx) {
        let Some(h) = self.nodes.get(node) else { return };
        if let Some(t) = self.expiry_tick(h, cx) {
            let t = t.max(cx.now().ceil_to(cx.config().node_monitor_period));
            self.schedule_monitor(t, cx);
        }
    }

    /// The first monitor tick whose informer holds a renewal written at
    /// `r` (see the module header).
    fn seen_tick(r: SimTime, cfg: &Config) -> SimTime {
        (r + cfg.api_latency + cfg.watch_latency).next_after(cfg.node_monitor_period)
    }

    /// The last renewal at or before `t` (renewals at the stop instant are
    /// lost: a fault at the same instant as a heartbeat wins).
    /// Before a restarted run's first renewal, the previous run's last.
    fn last_renewal(l: &LeaseView, t: SimTime, interval: SimDuration) -> Option<SimTime> {
        last_of_run(l.anchor, l.stopped, t, interval)
            .or_else(|| l.prev.and_then(|(a, s)| last_of_run(a, Some(s), t, interval)))
    }

    /// The first monitor tick that sees a restarted run's first renewal:
    /// before it, the grace of the run before can still run out (the
    /// literal model's pass decides from what its informer has).
    fn first_seen(l: &LeaseView, cfg: &Config) -> SimTime {
        Self::seen_tick(l.anchor, cfg)
    }

    /// Whether renewals may be found missing at `now`: they stopped, or a
    /// restarted run's are not visible yet.
    fn may_expire(l: &LeaseView, now: SimTime, cfg: &Config) -> bool {
        l.stopped.is_some() || (l.prev.is_some() && now < Self::first_seen(l, cfg))
    }

    /// The tick at which a node whose renewals stopped would be found past
    /// its grace, if it is not Unknown already.
    fn expiry_tick(&self, h: &NodeHealth, cx: &Cx) -> Option<SimTime> {
        if h.node.status.ready.status == CondStatus::Unknown {
            return None;
        }
        let period = cx.config().node_monitor_period;
        let Some(l) = h.lease else {
            // No Lease seen (a Node with no kubelet, or one cut off before
            // its first renewal arrived): the startup grace, from when the
            // controller first saw the node or its last status post.
            let grace = if h.seen_renew.is_none() {
                cx.config().node_startup_grace_period
            } else {
                cx.config().node_monitor_grace_period
            };
            return Some((h.probe_timestamp + grace).next_after(period));
        };
        // A running kubelet's renewals never run out, unless it was just
        // restarted and its first renewal is not seen yet: then the last
        // one of the run before counts, until `first_seen`.
        let (last, until) = match (l.stopped, l.prev) {
            (Some(_), _) => (Self::last_renewal(&l, SimTime::MAX, cx.config().node_lease_renew_interval), None),
            // Once the new run is seen, the old one no longer counts.
            (None, Some(_)) if cx.now() >= Self::first_seen(&l, cx.config()) => return None,
            (None, Some((a, s))) => (
                last_of_run(a, Some(s), SimTime::MAX, cx.config().node_lease_renew_interval),
                Some(Self::first_seen(&l, cx.config())),
            ),
            (None, None) => return None,
        };
        let probe = match last {
            Some(r) => {
                let seen_at = Self::seen_tick(r, cx.config()).max(self.first_tick);
                if h.seen_renew == Some(r) {
                    h.probe_timestamp
                } else {
                    seen_at
                }
            }
            None => h.probe_timestamp,
        };
        let grace = if h.seen_renew.is_none() && last.is_none() {
            cx.config().node_startup_grace_period
        } else {
            cx.config().node_monitor_grace_period
        };
        let t = (probe + grace).next_after(period);
        match until {
            Some(u) if t >= u => None,
            _ => Some(t),
        }
    }

    fn arm_monitor(&mut self, cx: &mut Cx) {
        let mut next: Option<SimTime> = None;
        for h in self.nodes.values() {
            if let Some(t) = self.expiry_tick(h, cx) {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        if let Some(t) = next {
            let t = t.max(cx.now().ceil_to(cx.config().node_monitor_period));
            self.schedule_monitor(t, cx);
        }
    }

    fn schedule_monitor(&mut self, t: SimTime, cx: &mut Cx) {
        if self.monitor_at.is_none_or(|m| t < m || m < cx.now()) {
            self.monitor_at = Some(t);
            cx.at(t, MONITOR);
        }
    }

    /// Handles a watch event of its informers.
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        match &ev.obj {
            Object::Node(n) => self.on_node(ev.kind, n, cx),
            Object::Lease(l) => self.on_lease(ev.kind, l, cx),
            Object::Pod(p) => {
                if ev.kind == WatchKind::Deleted {
                    return;
                }
                // A pod landing on a node already known not ready is marked
                // not ready too (the controller's pod handler). The pod's
                // own checks come first: most pod events are of pods not
                // ready yet, which need no lookup of their node.
                if !p.is_ready() || p.status.phase.is_terminal() {
                    return;
                }
                if let Some(n) = &p.spec.node_name {
                    if self.nodes.get(n).is_some_and(|h| !h.node.is_ready()) {
                        mark_pod_not_ready(p, cx);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_node(&mut self, kind: WatchKind, n: &Rc<Node>, cx: &mut Cx) {
        let name = n.meta.name.clone();
        if kind == WatchKind::Deleted {
            self.nodes.swap_remove(&name);
            for z in self.zones.values_mut() {
                z.queue.retain(|x| *x != name);
            }
            self.schedule_monitor(cx.now().ceil_to(cx.config().node_monitor_period), cx);
            return;
        }
        let prev_ready = self.nodes.get(&name).map(|h| h.node.status.ready.clone());
        match self.nodes.get_mut(&name) {
            Some(h) => {
                // A kubelet status post with a newer heartbeat also counts
                // as a probe.
                if prev_ready.as_ref().is_some_and(|r| r.last_heartbeat_time < n.status.ready.last_heartbeat_time) {
                    h.probe_timestamp = cx.now().ceil_to(cx.config().node_monitor_period);
                }
                h.node = n.clone();
            }
            None => {
                self.nodes.insert(
                    name.clone(),
                    NodeHealth {
                        node: n.clone(),
                        lease: self.leases.get(&name).and_then(|r| r.view),
                        probe_timestamp: cx.now(),
                        seen_renew: None,
                        in_flight: Vec::new(),
                    },
                );
                self.zones.entry(n.zone_key()).or_insert_with(|| Zone {
                    state: ZoneState::Normal,
                    next_token: Some(SimTime::ZERO),
                    interval: rate_interval(cx.config().node_eviction_rate_milli),
                    queue: VecDeque::new(),
                });
            }
        }
        self.no_schedule_tainting_pass(&name, cx);
        let ready_changed = prev_ready.is_none_or(|r| r.status != n.status.ready.status);
        if ready_changed {
            // The next monitor tick reconciles NoExecute taints and zones.
            self.schedule_monitor(cx.now().ceil_to(cx.config().node_monitor_period), cx);
        }
    }

    /// `doNoScheduleTaintingPass`: conditions and cordon mirrored into
    /// NoSchedule taints.
    fn no_schedule_tainting_pass(&mut self, name: &str, cx: &mut Cx) {
        let h = self.nodes.get_mut(name).expect("known node");
        let n = &h.node;
        let mut want: Vec<&str> = Vec::new();
        match n.status.ready.status {
            CondStatus::Unknown => want.push(TAINT_UNREACHABLE),
            CondStatus::False => want.push(TAINT_NOT_READY),
            CondStatus::True => {}
        }
        if n.spec.unschedulable {
            want.push(TAINT_UNSCHEDULABLE);
        }
        let managed = [TAINT_UNREACHABLE, TAINT_NOT_READY, TAINT_UNSCHEDULABLE];
        let have: Vec<&str> = n
            .spec
            .taints
            .iter()
            .filter(|t| t.effect == TaintEffect::NoSchedule && managed.contains(&t.key.as_str()))
            .map(|t| t.key.as_str())
            .collect();
        let add: Vec<Taint> = want
            .iter()
            .filter(|k| !have.contains(k))
            .map(|k| Taint {
                key: k.to_string(),
                value: String::new(),
                effect: TaintEffect::NoSchedule,
                time_added: Some(cx.now()),
            })
            .collect();
        let remove: Vec<(String, TaintEffect)> =
            have.iter().filter(|k| !want.contains(k)).map(|k| (k.to_string(), TaintEffect::NoSchedule)).collect();
        h.write_taints(add, remove, cx);
    }

    fn monitor_node_health(&mut self, pods: &PodInformer, cx: &mut Cx) {
        let now = cx.now();
        let interval = cx.config().node_lease_renew_interval;
        let names: Vec<Rc<str>> = self.nodes.keys().cloned().collect();
        let first_tick = self.first_tick;
        // `tryUpdateNodeHealth` returns `observedReadyCondition`, the Ready
        // condition as the node lister showed it before this pass, and
        // `processTaintBaseEviction` decides on that: a node this pass
        // turns Unknown is queued for its NoExecute taint only at the next
        // pass (`pkg/controller/nodelifecycle/node_lifecycle_controller.go`).
        let observed: Vec<CondStatus> = names.iter().map(|n| self.nodes[n].node.status.ready.status).collect();
        let mut changed = false;
        for name in &names {
            let h = self.nodes.get_mut(name).expect("listed");
            // tryUpdateNodeHealth: a newer renewal seen → probe timestamp.
            if !cx.config().heartbeat_skipping {
                // Literally: the newest renewal the informer has by now.
                if let Some(r) = self.leases.get(name).and_then(|l| l.latest) {
                    if h.seen_renew.is_none_or(|s| s < r) {
                        h.seen_renew = Some(r);
                        h.probe_timestamp = now;
                    }
                }
            } else if let Some(l) = h.lease {
                // Renewals written before `now - apiLatency - watchLatency`.
                let lat = (cx.config().api_latency + cx.config().watch_latency).0 + 1;
                let visible = now.0.checked_sub(lat).map(SimTime);
                if let Some(r) = visible.and_then(|v| Self::last_renewal(&l, v, interval)) {
                    if h.seen_renew.is_none_or(|s| s < r) {
                        // The tick that first saw it (ticks in between were
                        // skipped because they could not change anything).
                        h.seen_renew = Some(r);
                        h.probe_timestamp = Self::seen_tick(r, cx.config()).max(first_tick).min(now);
                    }
                }
            }
            let grace = if h.seen_renew.is_none() {
                cx.config().node_startup_grace_period
            } else {
                cx.config().node_monitor_grace_period
            };
            // (The analytic model runs a tick only where a stopped lease
            // can expire; the literal one finds it so by the numbers.)
            let expired = now > h.probe_timestamp + grace
                && (!cx.config().heartbeat_skipping || h.lease.is_none_or(|l| Self::may_expire(&l, now, cx.config())));
            if expired && h.node.status.ready.status != CondStatus::Unknown {
                let node = h.node.clone();
                let cond = NodeCondition {
                    status: CondStatus::Unknown,
                    reason: "NodeStatusUnknown".into(),
                    message: "Kubelet stopped posting node status.".into(),
                    last_heartbeat_time: node.status.ready.last_heartbeat_time,
                    last_transition_time: now,
                };
                // Our own view changes at once; the write follows.
                let mut nn = (*node).clone();
                nn.status.ready = cond.clone();
                h.node = Rc::new(nn);
                cx.send_unanswered(ApiOp::NodeReady { name: name.clone(), cond });
                cx.event_on(
                    false,
                    "NodeNotReady",
                    "Node",
                    "",
                    name,
                    &format_args!("Node {} status is now: NodeNotReady", name),
                );
                Self::mark_pods_not_ready(pods, name, cx);
                changed = true;
            }
        }
        if changed {
            // The pass that acts on what this one observed.
            self.schedule_monitor(now + cx.config().node_monitor_period, cx);
        }
        self.handle_disruption(cx);
        // processTaintBaseEviction, on the observed condition.
        for (name, observed) in names.iter().zip(observed) {
            let h = self.nodes.get_mut(name).expect("listed");
            let zone = h.node.zone_key();
            match observed {
                CondStatus::True => {
                    // markNodeAsReachable
                    let z = self.zones.get_mut(&zone).expect("zone");
                    z.queue.retain(|x| x != name);
                    let remove = no_execute_taints_on(&h.node);
                    if !remove.is_empty() {
                        h.write_taints(vec![], remove, cx);
                    }
                }
                status => {
                    let (want, other) = if status == CondStatus::Unknown {
                        (TAINT_UNREACHABLE, TAINT_NOT_READY)
                    } else {
                        (TAINT_NOT_READY, TAINT_UNREACHABLE)
                    };
                    if h.node.has_taint(want, TaintEffect::NoExecute) {
                        continue;
                    }
                    if h.node.has_taint(other, TaintEffect::NoExecute) {
                        // Swap at once (SwapNodeControllerTaint).
                        h.write_taints(
                            vec![no_execute(want, now)],
                            vec![(other.to_string(), TaintEffect::NoExecute)],
                            cx,
                        );
                        continue;
                    }
                    if self.all_disrupted {
                        continue;
                    }
                    let z = self.zones.get_mut(&zone).expect("zone");
                    if !z.queue.contains(name) {
                        z.queue.push_back(name.clone());
                    }
                }
            }
        }
        self.arm_taint_pass(cx);
    }

    /// `MarkPodsNotReady`: every pod on the node gets Ready=False.
    fn mark_pods_not_ready(pods: &PodInformer, node: &str, cx: &mut Cx) {
        for p in pods.pods_on(node) {
            if p.status.phase.is_terminal() {
                continue;
            }
            if p.status.conditions.ready.as_ref().is_some_and(|c| c.status == CondStatus::False) {
                continue;
            }
            mark_pod_not_ready(p, cx);
        }
    }

    /// `handleDisruption`: zone states and the tainting rate of each zone.
    fn handle_disruption(&mut self, cx: &mut Cx) {
        let mut counts: BTreeMap<String, (u32, u32)> = BTreeMap::new();
        for h in self.nodes.values() {
            let c = counts.entry(h.node.zone_key()).or_default();
            if h.node.is_ready() {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
        let threshold = cx.config().unhealthy_zone_threshold_permille as u64;
        let state_of = |ready: u32, not_ready: u32| {
            if not_ready > 0 && ready == 0 {
                ZoneState::FullDisruption
            } else if not_ready > 2 && (not_ready as u64) * 1000 >= threshold * (ready + not_ready) as u64 {
                ZoneState::PartialDisruption
            } else {
                ZoneState::Normal
            }
        };
        let states: BTreeMap<String, ZoneState> =
            counts.iter().map(|(z, (r, n))| (z.clone(), state_of(*r, *n))).collect();
        let all_full = !states.is_empty() && states.values().all(|s| *s == ZoneState::FullDisruption);
        if all_full && !self.all_disrupted {
            // Every node of every zone is down: assume the control plane
            // cannot see the nodes, stop tainting and lift NoExecute taints.
            self.all_disrupted = true;
            for h in self.nodes.values_mut() {
                let remove = no_execute_taints_on(&h.node);
                if !remove.is_empty() {
                    h.write_taints(vec![], remove, cx);
                }
            }
            for z in self.zones.values_mut() {
                z.queue.clear();
                z.interval = None;
                z.next_token = None;
            }
        } else if !all_full && self.all_disrupted {
            self.all_disrupted = false;
            for z in self.zones.values_mut() {
                z.state = ZoneState::Normal;
                z.interval = None;
            }
        }
        if self.all_disrupted {
            return;
        }
        for (zone, state) in states {
            let size = counts[&zone].0 + counts[&zone].1;
            let z = self.zones.get_mut(&zone).expect("zone");
            let rate = match state {
                ZoneState::Normal | ZoneState::FullDisruption => cx.config().node_eviction_rate_milli,
                ZoneState::PartialDisruption => {
                    if size > cx.config().large_cluster_size_threshold {
                        cx.config().secondary_node_eviction_rate_milli
                    } else {
                        0
                    }
                }
            };
            let interval = rate_interval(rate);
            if z.state != state || z.interval != interval {
                // SwapLimiter: a new bucket, full.
                z.state = state;
                z.interval = interval;
                z.next_token = interval.map(|_| cx.now());
            }
        }
    }

    fn arm_taint_pass(&mut self, cx: &mut Cx) {
        let period = cx.config().node_eviction_period;
        let mut next: Option<SimTime> = None;
        for z in self.zones.values() {
            if z.queue.is_empty() {
                continue;
            }
            if let Some(t) = z.next_token {
                let t = t.max(cx.now()).ceil_to(period);
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        }
        if let Some(t) = next {
            if self.pass_at.is_none_or(|p| t < p || p < cx.now()) {
                self.pass_at = Some(t);
                cx.at(t, TAINT_PASS);
            }
        }
    }

    fn no_execute_tainting_pass(&mut self, cx: &mut Cx) {
        let now = cx.now();
        for z in self.zones.values_mut() {
            while let Some(name) = z.queue.front().cloned() {
                let (Some(interval), Some(token)) = (z.interval, z.next_token) else {
                    break;
                };
                if now < token {
                    break;
                }
                z.queue.pop_front();
                let Some(h) = self.nodes.get_mut(&name) else {
                    continue;
                };
                let (key, opposite) = match h.node.status.ready.status {
                    CondStatus::True => continue,
                    CondStatus::Unknown => (TAINT_UNREACHABLE, TAINT_NOT_READY),
                    CondStatus::False => (TAINT_NOT_READY, TAINT_UNREACHABLE),
                };
                z.next_token = Some(now + interval);
                // The token is spent (`RateLimitedTimedQueue.Try`) even
                // when the node already carries the taint — re-queued by a
                // monitor pass before our informer saw the write — and
                // then nothing is written (`SwapNodeControllerTaint`).
                h.write_taints(vec![no_execute(key, now)], vec![(opposite.to_string(), TaintEffect::NoExecute)], cx);
            }
        }
        self.arm_taint_pass(cx);
    }
}

/// The node-lifecycle NoExecute taints a node carries (to lift them).
fn no_execute_taints_on(node: &Node) -> Vec<(String, TaintEffect)> {
    [TAINT_UNREACHABLE, TAINT_NOT_READY]
        .iter()
        .filter(|k| node.has_taint(k, TaintEffect::NoExecute))
        .map(|k| (k.to_string(), TaintEffect::NoExecute))
        .collect()
}

fn mark_pod_not_ready(p: &Pod, cx: &mut Cx) {
    let mut cond = Condition::new(CondStatus::False, cx.now());
    cond.reason = Some("NodeNotReady".into());
    cx.send_unanswered(ApiOp::PodCondition {
        key: Key::of(&p.meta),
        uid: p.meta.uid,
        which: PodConditionType::Ready,
        cond,
    });
    cx.event_on(true, "NodeNotReady", "Pod", &p.meta.namespace, &p.meta.name, &"Node is not ready");
}

fn no_execute(key: &str, now: SimTime) -> Taint {
    Taint { key: key.into(), value: String::new(), effect: TaintEffect::NoExecute, time_added: Some(now) }
}

/// The token interval for a rate in thousandths of a node per second.
fn rate_interval(rate_milli: u32) -> Option<SimDuration> {
    (rate_milli > 0).then(|| SimDuration(1_000_000_000_000 / rate_milli as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_renewal_before_a_stop() {
        let l = LeaseView { anchor: SimTime(0), stopped: Some(SimTime(120 * 1_000_000_000)), prev: None };
        let i = SimDuration::from_secs(10);
        // The renewal due at 120 s is lost: the crash wins the tie.
        assert_eq!(NodeLifecycleController::last_renewal(&l, SimTime::MAX, i), Some(SimTime(110 * 1_000_000_000)));
        let running = LeaseView { anchor: SimTime(0), stopped: None, prev: None };
        assert_eq!(
            NodeLifecycleController::last_renewal(&running, SimTime(125 * 1_000_000_000), i),
            Some(SimTime(120 * 1_000_000_000))
        );
        // Restarted at 130 s after a crash at 120 s: until the new run's
        // first renewal, the old run's last one (110 s) is the newest.
        let restarted = LeaseView {
            anchor: SimTime(130 * 1_000_000_000),
            stopped: None,
            prev: Some((SimTime(0), SimTime(120 * 1_000_000_000))),
        };
        assert_eq!(
            NodeLifecycleController::last_renewal(&restarted, SimTime(129 * 1_000_000_000), i),
            Some(SimTime(110 * 1_000_000_000))
        );
        assert_eq!(
            NodeLifecycleController::last_renewal(&restarted, SimTime(131 * 1_000_000_000), i),
            Some(SimTime(130 * 1_000_000_000))
        );
    }
}
