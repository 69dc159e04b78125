//! The kubelet: one per node. It admits pods bound to its node, pulls
//! images (serialized per node, with a per-node image cache), starts
//! containers in spec order, restarts them per `restartPolicy` with the
//! crash-loop back-off, kills them on deletion, and reports every change
//! through the store (docs/kubernetes-behaviour.md §2).
//!
//! The kubelet is a component (`Controller`): watch events of its Node and
//! of the pods bound to it (the simulation routes them by `spec.nodeName`,
//! the kubelet's field selector) reach `on_watch`, its timers come back to
//! `on_timer` (their payloads wait in a slab of its own, `Timers`, keyed by
//! the token), and its Events carry its slot's source, `kubelet`. Its
//! writes leave through its slot (`Cx::send_unanswered`: a crash drops
//! those still waiting in the rate limiter) on its node's client
//! (`Client::Kubelet`'s rate limiter and network link, which a partition
//! cuts); its LIST and Lease renewals go on that client directly. The same
//! struct is
//! also the node's container runtime, which the data plane (traffic,
//! `exec`, `logs`) reaches directly, as it reaches a node and not the
//! apiserver.
//!
//! A crashed node's kubelet process stops with it: its slot's life ends,
//! so it receives no watch events and its timers are dropped. On restart
//! it relists the pods bound to it through the apiserver (a LIST, see
//! `relist`), finalizes those being deleted, and re-runs the others with
//! their restart counts carried over (the kubelet recovers them from the
//! container log directory).
//!
//! A partitioned node's kubelet (`partitionNode`) keeps running its
//! containers, probes and timers, but its requests do not reach the
//! apiserver and it receives no watch events. When the link heals it
//! relists and reconciles: pods deleted meanwhile are killed, pods now
//! being deleted are killed gracefully and finally deleted, and the status
//! of the others is reported again (the status manager).
//!
//! The kubelet's `nodelease` controller creates `kube-node-lease/<node>`
//! when the kubelet starts and renews it every `nodeLeaseRenewInterval` on
//! the heartbeat client (not rate limited). Simplification: renewals keep
//! the grid of the kubelet's start, without `JitterUntil`'s 4 % jitter,
//! and a renewal that fails (the node is partitioned) is lost — no
//! `retryUpdateLease` retries nor `backoffEnsureLease` back-off —, so the
//! first renewal after a heal is the next one on the grid. With heartbeat
//! skipping (the default) only the first renewal of a run is sent: it
//! starts the Lease's analytic renewal stream (see `objects::lease`).
//!
//! Probe workers that can observe no change doze (`probeSkipping`, on by
//! default): they stop ticking until a change wakes them, resuming at the
//! first tick of their grid that has not run. Probe ticks are keyed in the
//! queue (`tick_key`) so their order within an instant is known without
//! running them, and a dozing worker records its span in the container log,
//! which `logs` expands: the run and the log are those of ticking.

#![warn(missing_docs)]

use super::images::{ImageCatalog, ANNOTATION_BEHAVIOR, ANNOTATION_EXIT_CODE, ANNOTATION_RUN_DURATION};
use super::process::ContainerOp;
use super::process::{
    end_doze, exec, render_log, resolve_port, run_probe, slot, termination, LogEntry, ProbeOutcome, Proc,
};
use super::process::{serve, Listener, Served};
use super::shell::{self, Program, Run, Yield};
use crate::component::{Controller, Cx};
use crate::objects::duration::parse_duration;
use crate::objects::lease::{Lease, LeaseSpec, NODE_LEASE_NAMESPACE};
use crate::objects::meta::ObjectMeta;
use crate::objects::node::{Node, NodeCondition};
use crate::objects::pod::{
    CondStatus, Condition, ContainerState, ContainerStatus, Pod, PodConditions, PodPhase, PodStatus, PullPolicy,
    RestartPolicy, TaintEffect, TerminatedState,
};
use crate::objects::probe::Handler;
use crate::objects::probe::ProbeKind;
use crate::objects::resources::Resources;
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::text::{intern, lit};
use crate::objects::Kind;
use crate::objects::Object;
use crate::runtime::{Client, Event};
use crate::sim::{SimDuration, SimTime};
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The kinds a kubelet watches (its own Node, the pods bound to it).
pub(crate) const WATCHES: [Kind; 2] = [Kind::Node, Kind::Pod];

/// The `source` of the kubelet's Events (its slot's registered name).
pub(crate) const SOURCE: &str = "kubelet";

/// The next step of a pod worker (`KubeletEvent::Pod`): one point of the
/// pod's lifecycle on its node, for container `idx` where it names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Sandbox ready: start the first container.
    SandboxReady,
    /// Begin pulling (or checking) the image of container `idx`.
    Pull,
    /// The image of container `idx` is on the node: create it.
    Pulled,
    /// Container `idx` is running.
    Started,
    /// Container `idx`'s process (this instance) exited on its own.
    Exited(u32),
    /// A probe worker's tick.
    ProbeTick(ProbeKind),
    /// A probe of this instance returns (it took time).
    ProbeResult(ProbeKind, u32),
    /// This instance, killed after a failed liveness/startup probe, is gone.
    ContainerKilled(u32),
    /// The pull of container `idx`'s image failed.
    PullFailed,
    /// The pod worker's next sync after ErrImagePull: back off.
    PullBackOff,
    /// This instance's memory use passed its limit.
    OutOfMemory(u32),
    /// Init container `idx`: pull (or check) its image, then start it.
    InitStart,
    /// Init container `idx` is running.
    InitRunning,
    /// Init container `idx` exited with the image's exit code.
    InitExited,
    /// Init container `idx`'s script wakes from a `sleep`.
    InitScript,
    /// This instance of container `idx`'s script wakes from a `sleep`.
    Script(u32),
    /// Container `idx`'s back-off expired: restart it.
    Restart,
    /// Every container has stopped after a kill.
    Killed,
}

/// A timer or message of one kubelet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KubeletEvent {
    /// A step of a pod worker.
    Pod {
        /// The pod's uid.
        uid: u64,
        /// The worker's generation: a step of an earlier worker for the
        /// same pod (before a kill or a reboot) is dropped.
        gen: u64,
        /// The container (or init container) the step is about.
        idx: u16,
        /// What happens.
        step: Step,
    },
    /// The answer to LIST request `seq` is back at the kubelet.
    ListResponse {
        /// The request's number.
        seq: u32,
    },
    /// The `nodelease` controller's renewal of the `epoch`-th life
    /// (`send: false`: only the timer of the next one is set).
    RenewLease {
        /// The kubelet life the timer belongs to.
        epoch: u32,
        /// Whether this tick sends a renewal.
        send: bool,
    },
    /// A tick of the node status sync of the kubelet's `epoch`-th life.
    SyncNodeStatus {
        /// The kubelet life the tick belongs to.
        epoch: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Backoff {
    period: SimDuration,
    last_update: SimTime,
}

/// `repr(C)`, its first fields what a request reads (`Kubelet::serve`),
/// together in one cache line (see `Proc`).
#[repr(C)]
struct Worker {
    /// The process of each container.
    procs: Vec<Proc>,
    /// The ports its app containers listen on (from their images).
    listeners: Vec<Listener>,
    sandbox_ready: bool,
    /// Terminal: nothing runs, resources are released.
    finished: bool,
    pod: Rc<Pod>,
    key: Key,
    gen: u64,
    /// Shared with the apiserver's copy once sent: a send is a reference
    /// count, and the next change copies (`Rc::make_mut`).
    status: Rc<PodStatus>,
    backoff: Vec<Option<Backoff>>,
    /// `kubesim.io/run-duration`: every container exits this long after
    /// it starts (else its image's `exitAfter`).
    run_override: Option<SimDuration>,
    /// `kubesim.io/exit-code`: the code every container exits with (else
    /// its image's `exitCode`).
    exit_override: Option<i32>,
    /// The script each app container runs (`nodes::shell`), by index;
    /// empty when none has one.
    programs: Vec<Option<Rc<Program>>>,
    /// The script each init container runs; empty when none has one.
    init_programs: Vec<Option<Rc<Program>>>,
    /// The running init container's script and files.
    init_run: Option<Box<(Run, BTreeSet<String>)>>,
    requests: Resources,
    terminating: bool,
    /// The grace period its kill was started (or last restarted) with.
    kill_grace: u64,
    /// A pull in flight: (pull time, time including the wait for the
    /// node's serialized puller), reported when it completes.
    pulling: Option<(SimDuration, SimDuration)>,
    /// Image-pull back-off per container (10 s doubling to 300 s).
    pull_backoff: Vec<Option<SimDuration>>,
    /// When the probe workers were created: their ticks are on this grid.
    admitted_at: SimTime,
    /// Crash-loop back-off of each init container.
    init_backoff: Vec<Option<Backoff>>,
    /// The pod's own catalog when it carries `kubesim.io/behavior`.
    catalog: Option<Rc<ImageCatalog>>,
    /// The pod left the API while the kubelet was not watching: it is
    /// killed, with no final status nor delete.
    gone: bool,
}

/// The apiserver's answer to a kubelet's LIST: the pods bound to its node
/// and its Node, at store revision `rv`.
pub struct ListSnapshot {
    /// The store revision of the snapshot (the list's `resourceVersion`).
    pub rv: u64,
    /// The pods with `spec.nodeName` = this node.
    pub pods: Vec<Rc<Pod>>,
    /// The kubelet's Node, if it exists.
    pub node: Option<Rc<Node>>,
}

/// A relist in progress: watch events are held until the list is in.
struct Listing {
    seq: u32,
    after_reboot: bool,
    buffer: Vec<WatchEvent>,
    snapshot: Option<ListSnapshot>,
}

/// One node's kubelet.
pub struct Kubelet {
    /// The node's index (`Client::Kubelet`).
    pub idx: u32,
    /// The node's name.
    pub name: Rc<str>,
    /// The node is up (`false` after `crashNode` until `restartNode`).
    pub alive: bool,
    node: Option<Rc<Node>>,
    /// Boxed: a worker is large, and removing one moves the last in its place.
    workers: Map<u64, Box<Worker>>,
    images: IndexSet<Rc<str>, FxBuildHasher>,
    pull_free_at: SimTime,
    next_gen: u64,
    next_ip: u32,
    /// The last octets of the pod IPs held by live sandboxes (a CNI's IPAM:
    /// an IP is free again once its sandbox is torn down).
    ips_in_use: [u64; 4],
    admitted: Resources,
    next_container_id: u64,
    /// The node's IP, reported as every pod's `hostIP`.
    host_ip: Rc<str>,
    /// The queue key of the probe tick being handled, if one is.
    cur_tick: Option<u64>,
    /// When this life of the kubelet started: its node status sync ticks
    /// every `nodeStatusUpdateFrequency` from then.
    started_at: SimTime,
    /// Counts the kubelet's lives (a crash ends one), so a status sync
    /// tick of an earlier life is ignored.
    epoch: u32,
    /// A status sync tick is scheduled (heartbeat skipping: only when one
    /// can write something).
    status_sync_pending: bool,
    /// Pods whose status in the API was last written by someone else (the
    /// node-lifecycle controller's `MarkPodsNotReady`): the status manager
    /// writes its own again at the next sync.
    reconcile: BTreeSet<u64>,
    /// The node lost the apiserver (`partitionNode`).
    pub partitioned: bool,
    /// When it last did (what its informers saw last).
    partitioned_at: SimTime,
    /// When this life's Lease renewals started: they are on its grid.
    lease_anchor: SimTime,
    /// The last LIST request's number.
    list_seq: u32,
    listing: Option<Listing>,
    /// The revision of the last LIST: older watch events are stale.
    list_rv: u64,
    /// Containers' command lines, each parsed once (`None`: the shell
    /// cannot run it; the container runs its image's behaviour).
    scripts: BTreeMap<Vec<String>, Option<Rc<Program>>>,
    /// The payloads of its pending timers, by token. (A `RefCell`: timers
    /// are set while a worker is borrowed.)
    timers: RefCell<Timers>,
}

impl Controller for Kubelet {
    /// Its Node and the pods bound to it (`spec.nodeName`: the field
    /// selector of the kubelet's informers, which the simulation applies).
    fn watches(&self) -> Vec<Kind> {
        WATCHES.to_vec()
    }

    /// The kubelet joins the cluster: its node status sync and its Lease.
    fn start(&mut self, cx: &mut Cx) {
        self.join(cx);
    }

    /// A watch event of its node or of a pod bound to it (held back while
    /// a relist is in progress).
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let images = cx.images.expect("a kubelet's handle carries its node's image catalog");
        self.watch_event(ev, images, cx);
    }

    /// One of its timers: a pod worker's step, a probe tick, a status sync
    /// or Lease renewal tick, or the answer to its LIST.
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let Some(ev) = self.timers.get_mut().take(token) else { return };
        let images = cx.images.expect("a kubelet's handle carries its node's image catalog");
        self.on_event(ev, images, cx);
    }
}

/// The payloads of a kubelet's pending timers: a slab whose index is the
/// timer's token; an entry is freed when its timer fires. A crash drops
/// every timer of the ended life unread (their epoch is stale), so it
/// empties the slab.
#[derive(Default)]
struct Timers {
    slots: Vec<Option<KubeletEvent>>,
    free: Vec<u32>,
}

impl Timers {
    fn insert(&mut self, ev: KubeletEvent) -> u64 {
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(ev);
                i as u64
            }
            None => {
                self.slots.push(Some(ev));
                (self.slots.len() - 1) as u64
            }
        }
    }

    fn take(&mut self, token: u64) -> Option<KubeletEvent> {
        let ev = self.slots.get_mut(token as usize)?.take();
        if ev.is_some() {
            self.free.push(token as u32);
        }
        ev
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
    }
}

impl Kubelet {
    /// The kubelet of node `name`, started at `now`.
    pub fn new(idx: u32, name: Rc<str>, now: SimTime) -> Self {
        Kubelet {
            idx,
            name,
            alive: true,
            node: None,
            workers: Map::default(),
            images: IndexSet::default(),
            pull_free_at: SimTime::ZERO,
            next_gen: 1,
            next_ip: 2,
            ips_in_use: [0; 4],
            admitted: Resources::default(),
            next_container_id: 1,
            host_ip: Self::node_ip(idx).into(),
            cur_tick: None,
            started_at: now,
            epoch: 0,
            status_sync_pending: false,
            reconcile: BTreeSet::new(),
            partitioned: false,
            partitioned_at: SimTime::ZERO,
            lease_anchor: now,
            list_seq: 0,
            listing: None,
            list_rv: 0,
            scripts: BTreeMap::new(),
            timers: RefCell::default(),
        }
    }

    /// Sets a timer that hands `ev` back at `t`.
    fn timer_at(&self, t: SimTime, ev: KubeletEvent, cx: &mut Cx) {
        let token = self.timers.borrow_mut().insert(ev);
        cx.at(t, token);
    }

    /// Sets a timer that hands `ev` back after `d`.
    fn timer_after(&self, d: SimDuration, ev: KubeletEvent, cx: &mut Cx) {
        let token = self.timers.borrow_mut().insert(ev);
        cx.after(d, token);
    }

    /// Sets a keyed timer (`EventQueue::push_keyed`) that hands `ev` back
    /// at `t`.
    fn timer_keyed(&self, t: SimTime, key: u64, ev: KubeletEvent, cx: &mut Cx) {
        let token = self.timers.borrow_mut().insert(ev);
        cx.at_keyed(t, key, token);
    }

    /// The kubelet joins the cluster: its node status sync and its Lease.
    fn join(&mut self, cx: &mut Cx) {
        self.start_status_sync(cx);
        self.start_lease(cx);
    }

    /// The `nodelease` controller starts: it renews (creating the Lease
    /// the first time) now, then every `nodeLeaseRenewInterval`.
    fn start_lease(&mut self, cx: &mut Cx) {
        self.lease_anchor = cx.now();
        self.renew_lease(cx.now(), cx);
        if !cx.cfg().heartbeat_skipping {
            // The timer of the next renewal is set from the event loop, not
            // while the cluster is being built: a timeline fault at the
            // instant of a renewal then comes first, as it does for every
            // later renewal.
            let ev = KubeletEvent::RenewLease { epoch: self.epoch, send: false };
            self.timer_at(cx.now(), ev, cx);
        }
    }

    /// Sends the renewal written at `at` (now, or a grid instant whose
    /// request is still on its way at a heal) on the heartbeat client, which
    /// is not rate limited: it reaches the apiserver `apiLatency` later.
    fn renew_lease(&self, at: SimTime, cx: &mut Cx) {
        let lease = Lease {
            meta: ObjectMeta { name: self.name.clone(), namespace: lit(NODE_LEASE_NAMESPACE), ..Default::default() },
            spec: LeaseSpec {
                holder_identity: Some(self.name.to_string()),
                lease_duration_seconds: Some((cx.cfg().node_lease_duration.0 / 1_000_000_000) as i64),
                renew_time: Some(at),
                ..Default::default()
            },
            stream: None,
        };
        let stream = cx.cfg().heartbeat_skipping.then_some(cx.cfg().node_lease_renew_interval);
        let op = ApiOp::RenewLease { lease: Rc::new(lease), stream };
        cx.ctx.send_left_at(at, Client::Kubelet(self.idx), op);
    }

    /// A renewal tick: the literal model's every interval, or the analytic
    /// model's first renewal after a heal.
    fn on_renew_lease(&mut self, epoch: u32, send: bool, cx: &mut Cx) {
        if epoch != self.epoch {
            return;
        }
        if send {
            self.renew_lease(cx.now(), cx);
        }
        if !cx.cfg().heartbeat_skipping {
            let next = cx.now() + cx.cfg().node_lease_renew_interval;
            self.timer_at(next, KubeletEvent::RenewLease { epoch, send: true }, cx);
        }
    }

    /// The node loses the apiserver: requests and watch events stop (the
    /// simulation drops them); everything local goes on.
    pub fn partition(&mut self, now: SimTime) {
        self.partitioned = true;
        self.partitioned_at = now;
    }

    /// The link is back: relist and reconcile, and (heartbeat skipping)
    /// send the first renewal of the grid that reaches the apiserver — in
    /// the literal model the renewal ticks never stopped.
    pub(crate) fn heal(&mut self, cx: &mut Cx) {
        self.partitioned = false;
        if !self.alive {
            return;
        }
        self.relist(false, cx);
        self.resume_renewals(cx);
    }

    /// Its Lease was deleted now (the garbage collector, after its Node
    /// went): in the literal model the next renewal that reaches the
    /// apiserver creates it again (`RenewLease` is an upsert), so the
    /// analytic model sends that renewal (its stream went with the
    /// object). A partitioned or crashed kubelet renews nothing.
    pub(crate) fn lease_deleted(&mut self, cx: &mut Cx) {
        if self.alive && !self.partitioned {
            self.resume_renewals(cx);
        }
    }

    /// Heartbeat skipping: sends the first renewal of the grid whose
    /// request reaches the apiserver at or after now.
    fn resume_renewals(&mut self, cx: &mut Cx) {
        if cx.cfg().heartbeat_skipping {
            // The first renewal whose request arrives at or after now
            // (`r + apiLatency >= now`); an earlier one is lost, one
            // sent at the start itself may still be on its way.
            let i = cx.cfg().node_lease_renew_interval.0;
            let from = cx.now().0.saturating_sub(cx.cfg().api_latency.0);
            if from <= self.lease_anchor.0 {
                return;
            }
            let r = SimTime(self.lease_anchor.0 + (from - self.lease_anchor.0).div_ceil(i) * i);
            if r >= cx.now() {
                let ev = KubeletEvent::RenewLease { epoch: self.epoch, send: true };
                self.timer_at(r, ev, cx);
            } else {
                self.renew_lease(r, cx);
            }
        }
    }

    /// Sends a LIST of the pods bound to this node (and its Node) on the
    /// kubelet's client, rate limited like its other requests; watch events
    /// are held until the answer is in (`Event::KubeletList`, then
    /// `ListResponse`).
    fn relist(&mut self, after_reboot: bool, cx: &mut Cx) {
        // A restart's relist that never came back (the node was
        // partitioned) is still the first since the reboot.
        let after_reboot = after_reboot || self.listing.as_ref().is_some_and(|l| l.after_reboot);
        self.list_seq += 1;
        let seq = self.list_seq;
        self.listing = Some(Listing { seq, after_reboot, buffer: Vec::new(), snapshot: None });
        let answered = cx.ctx.call_at(cx.now(), Client::Kubelet(self.idx));
        let arrives = SimTime(answered.0 - cx.cfg().api_latency.0);
        cx.ctx.at(arrives, Event::KubeletList { node: self.idx, seq });
    }

    /// Whether LIST request `seq` is the one the kubelet waits for.
    pub fn awaits_list(&self, seq: u32) -> bool {
        self.listing.as_ref().is_some_and(|l| l.seq == seq && l.snapshot.is_none())
    }

    /// The apiserver's snapshot for LIST request `seq`, on its way back:
    /// the answer is at the kubelet `apiLatency` later (`ListResponse`).
    pub(crate) fn list_answered(&mut self, seq: u32, snapshot: ListSnapshot, cx: &mut Cx) {
        if let Some(l) = self.listing.as_mut().filter(|l| l.seq == seq) {
            l.snapshot = Some(snapshot);
        }
        self.timer_after(cx.cfg().api_latency, KubeletEvent::ListResponse { seq }, cx);
    }

    /// The LIST answer is back: reconcile with it, then replay the watch
    /// events held meanwhile that are newer than the snapshot.
    fn on_list_response(&mut self, seq: u32, images: &ImageCatalog, cx: &mut Cx) {
        if self.partitioned || self.listing.as_ref().is_none_or(|l| l.seq != seq) {
            return;
        }
        let Listing { after_reboot, buffer, snapshot, .. } = self.listing.take().expect("listing");
        let Some(snap) = snapshot else { return };
        self.list_rv = snap.rv;
        if let Some(n) = snap.node {
            self.observe_node(n, cx);
        }
        // Pods that left the API while the kubelet did not watch
        // (`HandlePodRemoves`): killed, nothing more to report.
        let listed: BTreeSet<u64> = snap.pods.iter().map(|p| p.meta.uid).collect();
        let gone: Vec<u64> = self.workers.keys().filter(|u| !listed.contains(u)).copied().collect();
        for uid in gone {
            self.pod_gone(uid, images, cx);
        }
        for p in &snap.pods {
            self.reconcile_listed(p, after_reboot, images, cx);
        }
        for ev in buffer {
            self.watch_event(&ev, images, cx);
        }
    }

    /// A pod the kubelet runs is no longer in the API.
    fn pod_gone(&mut self, uid: u64, images: &ImageCatalog, cx: &mut Cx) {
        let w = self.workers.get_mut(&uid).expect("worker");
        if w.finished {
            self.forget(uid);
            return;
        }
        w.gone = true;
        if !w.terminating {
            self.kill_pod(uid, images, cx);
        }
    }

    /// One pod of a LIST answer: `HandlePodAdditions`/`Updates` after a
    /// relist, and the status manager's report of what it runs.
    fn reconcile_listed(&mut self, p: &Rc<Pod>, after_reboot: bool, images: &ImageCatalog, cx: &mut Cx) {
        let uid = p.meta.uid;
        let Some(w) = self.workers.get_mut(&uid) else {
            if p.status.phase.is_terminal() {
                return;
            }
            if p.meta.deletion_timestamp.is_some() {
                // Nothing of it runs here (any more): finalize.
                self.finalize(p, &p.status, cx);
                return;
            }
            self.admit_and_start(p, images, after_reboot, cx);
            return;
        };
        w.pod = p.clone();
        let shorter =
            p.meta.deletion_grace_period_seconds.filter(|g| w.terminating && !w.finished && *g < w.kill_grace);
        self.reconcile.remove(&uid);
        if p.meta.deletion_timestamp.is_some() && !w.terminating {
            self.kill_pod(uid, images, cx);
        } else if let Some(grace) = shorter {
            // A shorter grace asked for meanwhile (`HandlePodUpdates`).
            self.shorten_kill(uid, grace, cx);
        } else if !Rc::ptr_eq(&p.status, &w.status) && *p.status != *w.status {
            self.send_status_of(uid, cx);
        }
    }

    /// The kubelet starts (it joined, or its node came back): its node
    /// status sync loop begins. Ticking every period is the literal model;
    /// with heartbeat skipping a tick is scheduled only when the kubelet
    /// sees its node not Ready (`on_watch`), the only ticks that write.
    pub(crate) fn start_status_sync(&mut self, cx: &mut Cx) {
        self.started_at = cx.now();
        self.status_sync_pending = false;
        if !cx.cfg().heartbeat_skipping {
            self.schedule_status_sync(cx);
        }
    }

    /// Schedules the first status sync tick strictly after now (a tick at
    /// this very instant already ran: it was queued a period ago).
    fn schedule_status_sync(&mut self, cx: &mut Cx) {
        let period = cx.cfg().node_status_update_frequency.0;
        let since = cx.now().0 - self.started_at.0;
        let at = SimTime(self.started_at.0 + (since / period + 1) * period);
        self.status_sync_pending = true;
        // Keyed, as probe ticks are: a tick the analytic model schedules
        // late (on seeing its node not Ready) takes the place within its
        // instant that the literal model's periodic tick has.
        let ev = KubeletEvent::SyncNodeStatus { epoch: self.epoch };
        self.timer_keyed(at, STATUS_SYNC_KEY | self.idx as u64, ev, cx);
    }

    /// One tick of the kubelet's status loops: the node status sync, then
    /// the status manager's reconcile (`syncBatch` with `needsReconcile`,
    /// pkg/kubelet/status/status_manager.go, also every 10 s): a pod whose
    /// API status another writer changed gets the kubelet's status again.
    /// (Upstream runs the two on separate 10 s tickers; kubesim runs them
    /// on one.)
    ///
    /// kubelet `syncNodeStatus` → `tryUpdateNodeStatus`
    /// (pkg/kubelet/kubelet_node_status.go): the kubelet computes its
    /// node's status and patches it when it differs from the API's
    /// (`nodeStatusHasChanged`) — after the node-lifecycle controller
    /// marked it `Unknown`, the kubelet posts Ready again within a period.
    /// (The report of an unchanged status every `nodeStatusReportFrequency`,
    /// 5 min, is not modelled: it changes only heartbeat times.)
    fn sync_node_status(&mut self, epoch: u32, cx: &mut Cx) {
        if epoch != self.epoch {
            return;
        }
        self.status_sync_pending = false;
        if self.node.as_ref().is_some_and(|n| n.status.ready.status != CondStatus::True) {
            self.post_ready(cx);
        }
        for uid in std::mem::take(&mut self.reconcile) {
            if let Some(w) = self.workers.get(&uid).filter(|w| !w.finished) {
                self.send_status(w, cx);
            }
        }
        if !cx.cfg().heartbeat_skipping {
            self.schedule_status_sync(cx);
        }
    }

    /// The node's internal IP.
    pub fn node_ip(idx: u32) -> String {
        format!("10.0.{}.{}", idx / 250, idx % 250 + 2)
    }

    /// The requests of the pods this kubelet admitted and that are not
    /// terminal (what its admission checks new pods against).
    pub fn admitted(&self) -> Resources {
        self.admitted
    }

    /// Number of pods with a live worker (admitted and not terminal).
    pub fn running_pods(&self) -> usize {
        self.workers.values().filter(|w| !w.finished).count()
    }

    /// The node crashed: every container dies with it, all state is lost
    /// except the image cache on disk, and the kubelet's life ends (its
    /// timers are dropped, its waiting writes never leave).
    pub(crate) fn crash(&mut self, cx: &mut Cx) {
        cx.stop_node_agent();
        self.alive = false;
        self.listing = None;
        self.epoch += 1;
        self.timers.get_mut().clear();
        self.reconcile.clear();
        self.workers.clear();
        self.ips_in_use = [0; 4];
        self.admitted = Resources::default();
        self.pull_free_at = SimTime::ZERO;
    }

    /// The node came back: post Ready, renew the Lease, relist pods.
    pub(crate) fn restart(&mut self, cx: &mut Cx) {
        cx.start_node_agent();
        self.alive = true;
        cx.event_on(false, "Starting", "Node", "", &self.name, &"Starting kubelet.");
        self.post_ready(cx);
        self.start_status_sync(cx);
        self.start_lease(cx);
        self.relist(true, cx);
    }

    fn post_ready(&mut self, cx: &mut Cx) {
        let cond = NodeCondition {
            status: CondStatus::True,
            reason: "KubeletReady".into(),
            message: "kubelet is posting ready status".into(),
            last_heartbeat_time: cx.now(),
            last_transition_time: cx.now(),
        };
        cx.send_unanswered(ApiOp::NodeReady { name: self.name.clone(), cond });
        cx.event_on(
            false,
            "NodeReady",
            "Node",
            "",
            &self.name,
            &format_args!("Node {} status is now: NodeReady", self.name),
        );
    }

    /// Handles a watch event of its pod and node informers (held back
    /// while a relist is in progress).
    fn watch_event(&mut self, ev: &WatchEvent, images: &ImageCatalog, cx: &mut Cx) {
        if let Some(l) = self.listing.as_mut() {
            l.buffer.push(ev.clone());
            return;
        }
        // Older than the last LIST (a deletion is always news: a uid goes
        // once).
        if ev.kind != WatchKind::Deleted && ev.obj.meta().resource_version <= self.list_rv {
            return;
        }
        match &ev.obj {
            Object::Node(n) if ev.kind != WatchKind::Deleted => self.observe_node(n.clone(), cx),
            Object::Pod(p) => {
                if ev.kind == WatchKind::Deleted {
                    self.forget(p.meta.uid);
                } else {
                    self.sync_pod(p, images, cx);
                }
            }
            _ => {}
        }
    }

    /// The kubelet's view of its Node; a node not Ready gets its status
    /// posted at the next sync.
    fn observe_node(&mut self, n: Rc<Node>, cx: &mut Cx) {
        let ready = n.status.ready.status == CondStatus::True;
        self.node = Some(n);
        if !ready && !self.status_sync_pending {
            self.schedule_status_sync(cx);
        }
    }

    fn forget(&mut self, uid: u64) {
        self.reconcile.remove(&uid);
        if let Some(w) = self.workers.swap_remove(&uid) {
            if !w.finished {
                self.admitted -= w.requests;
                free_ip(&mut self.ips_in_use, &w);
            }
        }
    }

    fn sync_pod(&mut self, p: &Rc<Pod>, images: &ImageCatalog, cx: &mut Cx) {
        let uid = p.meta.uid;
        match self.workers.get_mut(&uid) {
            Some(w) => {
                w.pod = p.clone();
                let kill = p.meta.deletion_timestamp.is_some() && !w.terminating;
                let shorter =
                    p.meta.deletion_grace_period_seconds.filter(|g| w.terminating && !w.finished && *g < w.kill_grace);
                // Ready=False with the node-lifecycle controller's reason is
                // a status the kubelet never writes: reconcile it.
                let foreign =
                    p.status.conditions.ready.as_ref().is_some_and(|c| c.reason.as_deref() == Some("NodeNotReady"));
                if foreign && !w.finished {
                    self.reconcile.insert(uid);
                    if !self.status_sync_pending {
                        self.schedule_status_sync(cx);
                    }
                } else {
                    self.reconcile.remove(&uid);
                }
                if kill {
                    self.kill_pod(uid, images, cx);
                } else if let Some(grace) = shorter {
                    self.shorten_kill(uid, grace, cx);
                }
            }
            None => {
                if p.status.phase.is_terminal() {
                    return;
                }
                if p.meta.deletion_timestamp.is_some() {
                    if p.status.phase == PodPhase::Pending && p.status.container_statuses.is_empty() {
                        self.finalize(p, &p.status, cx);
                    }
                    return;
                }
                self.admit_and_start(p, images, false, cx);
            }
        }
    }

    /// Kubelet admission, `predicateAdmitHandler.Admit` (`pkg/kubelet/lifecycle/predicate.go`):
    /// `generalFilter`'s failures in its order — `AdmissionCheck`'s
    /// resources (pods, cpu, memory: `noderesources.Fits`), then
    /// NodeAffinity, then an untolerated NoExecute taint — and the first
    /// one is the rejection: `OutOf<resource>` with an
    /// `InsufficientResourceError` message, or the predicate's name with
    /// "Predicate <name> failed: <reason>". (NodeName always fits: the
    /// kubelet only sees pods bound to it; NodePorts is not modelled.)
    fn admit(&self, p: &Pod, req: &Resources) -> Result<(), (&'static str, String)> {
        let Some(node) = &self.node else {
            return Ok(());
        };
        let alloc = &node.status.allocatable;
        // OutOfPods = "OutOfpods", OutOfCPU = "OutOfcpu", OutOfMemory = "OutOfmemory".
        let insufficient = |reason: &'static str, name: &str, want: u64, used: u64, cap: u64| {
            let message = format!(
                "Node didn't have enough resource: {}, requested: {}, used: {}, capacity: {}",
                name, want, used, cap
            );
            (reason, message)
        };
        if self.admitted.pods + 1 > alloc.pods {
            return Err(insufficient("OutOfpods", "pods", 1, self.admitted.pods, alloc.pods));
        }
        for (reason, name, want, used, cap) in [
            ("OutOfcpu", "cpu", req.cpu_m, self.admitted.cpu_m, alloc.cpu_m),
            ("OutOfmemory", "memory", req.memory, self.admitted.memory, alloc.memory),
        ] {
            if want > 0 && used + want > cap {
                return Err(insufficient(reason, name, want, used, cap));
            }
        }
        // Extended resources, only those the node has: the kubelet drops
        // the ones missing from its allocatable before the check, as a
        // scheduler extender may manage them (`removeMissingExtendedResources`).
        let ext = p.spec.extended_requests();
        if !ext.is_empty() {
            let have = &node.status.extended;
            let mut used = crate::objects::resources::Extended::default();
            for w in self.workers.values().filter(|w| !w.finished && w.pod.meta.uid != p.meta.uid) {
                used.add(&w.pod.spec.extended_requests());
            }
            for (name, want) in ext.iter() {
                let cap = have.get(name);
                let listed = have.iter().any(|(n, _)| n == name);
                if listed && want > 0 && used.get(name).saturating_add(want) > cap {
                    let (_, message) = insufficient("", name, want, used.get(name), cap);
                    return Err((crate::objects::resources::out_of_reason(name), message));
                }
            }
        }
        let predicate = |name: &'static str, reason: &str| (name, format!("Predicate {} failed: {}", name, reason));
        if !crate::objects::pod::node_affinity_matches(
            &node.meta.name,
            &node.meta.labels,
            &p.spec.node_selector,
            &p.spec.node_affinity,
        ) {
            // nodeaffinity.ErrReasonPod
            return Err(predicate("NodeAffinity", "node(s) didn't match Pod's node affinity/selector"));
        }
        // The kubelet looks at NoExecute taints only.
        let untolerated = node
            .spec
            .taints
            .iter()
            .any(|t| t.effect == TaintEffect::NoExecute && !p.spec.tolerations.iter().any(|x| x.tolerates(t)));
        if untolerated {
            // tainttoleration.Name, tainttoleration.ErrReasonNotMatch
            return Err(predicate("TaintToleration", "node(s) had taints that the pod didn't tolerate"));
        }
        Ok(())
    }

    fn admit_and_start(&mut self, p: &Rc<Pod>, images: &ImageCatalog, after_reboot: bool, cx: &mut Cx) {
        let req = p.spec.requests();
        let catalog = self.pod_catalog(p, images, cx);
        let images = catalog.as_deref().unwrap_or(images);
        if let Err((reason, message)) = self.admit(p, &req) {
            // `rejectPod`: a Warning Event with the rejection's reason and
            // message; the status says "Pod was rejected: <message>".
            let mut status = (*p.status).clone();
            status.phase = PodPhase::Failed;
            status.reason = Some(reason.into());
            status.message = Some(format!("Pod was rejected: {}", message).into());
            cx.event_on(true, reason, "Pod", &p.meta.namespace, &p.meta.name, &message);
            cx.send_unanswered(ApiOp::PodStatus { key: Key::of(&p.meta), uid: p.meta.uid, status: Rc::new(status) });
            return;
        }
        self.admitted += req;
        let annotations = &p.meta.annotations;
        let run_override = annotations.get(ANNOTATION_RUN_DURATION).and_then(|v| parse_duration(v).ok());
        let exit_override = annotations.get(ANNOTATION_EXIT_CODE).map(|v| v.parse().unwrap_or(0));
        // Each container runs its own command; `kubesim.io/behavior` (its
        // own catalog) overrides commands too: it is the escape hatch.
        let (programs, init_programs) = if catalog.is_some() {
            (Vec::new(), Vec::new())
        } else {
            (self.programs(&p.spec.containers, images), self.programs(&p.spec.init_containers, images))
        };
        let gen = self.next_gen;
        self.next_gen += 1;
        let not_ready = not_ready_cond(cx.now(), &p.spec.containers);
        let mut status = PodStatus {
            phase: PodPhase::Pending,
            conditions: PodConditions {
                disruption_target: None,
                // No sandbox yet (`GeneratePodReadyToStartContainersCondition`,
                // pkg/kubelet/status/generate.go): True once it is up.
                ready_to_start_containers: Some(Condition::new(CondStatus::False, cx.now())),
                pod_scheduled: p
                    .status
                    .conditions
                    .pod_scheduled
                    .clone()
                    .or(Some(Condition::new(CondStatus::True, cx.now()))),
                initialized: Some(if p.spec.init_containers.is_empty() {
                    Condition::new(CondStatus::True, cx.now())
                } else {
                    let mut c = Condition::new(CondStatus::False, cx.now());
                    c.reason = Some(lit("ContainersNotInitialized"));
                    let names: Vec<&str> = p.spec.init_containers.iter().map(|c| &*c.name).collect();
                    c.message = Some(format!("containers with incomplete status: [{}]", names.join(" ")).into());
                    c
                }),
                containers_ready: Some(not_ready.clone()),
                ready: Some(not_ready),
            },
            reason: None,
            message: None,
            host_ip: Some(self.host_ip.clone()),
            pod_ip: None,
            start_time: Some(p.status.start_time.unwrap_or(cx.now())),
            init_container_statuses: p
                .spec
                .init_containers
                .iter()
                .enumerate()
                .map(|(i, c)| ContainerStatus {
                    name: c.name.clone(),
                    image: c.image.clone(),
                    ready: false,
                    started: false,
                    restart_count: if after_reboot {
                        p.status.init_container_statuses.get(i).map_or(0, |s| s.restart_count)
                    } else {
                        0
                    },
                    container_id: None,
                    state: ContainerState::Waiting { reason: lit("PodInitializing"), message: None },
                    last_state: None,
                })
                .collect(),
            container_statuses: p
                .spec
                .containers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let prev = p.status.container_statuses.get(i);
                    let restart_count = if after_reboot { prev.map_or(0, |s| s.restart_count + 1) } else { 0 };
                    let last_state = if after_reboot {
                        prev.map(|s| TerminatedState {
                            exit_code: 255,
                            signal: None,
                            reason: lit("Unknown"),
                            message: None,
                            started_at: match &s.state {
                                ContainerState::Running { started_at } => Some(*started_at),
                                _ => None,
                            },
                            finished_at: cx.now(),
                        })
                    } else {
                        None
                    };
                    ContainerStatus {
                        name: c.name.clone(),
                        image: c.image.clone(),
                        ready: false,
                        started: false,
                        restart_count,
                        container_id: None,
                        state: ContainerState::Waiting {
                            reason: if p.spec.init_containers.is_empty() {
                                "ContainerCreating"
                            } else {
                                "PodInitializing"
                            }
                            .into(),
                            message: None,
                        },
                        last_state,
                    }
                })
                .collect(),
        };
        if after_reboot {
            status.conditions.pod_scheduled = p.status.conditions.pod_scheduled.clone();
        }
        let n = p.spec.containers.len();
        let w = Box::new(Worker {
            pod: p.clone(),
            key: Key::of(&p.meta),
            gen,
            status: Rc::new(status),
            backoff: vec![None; n],
            run_override,
            exit_override,
            programs,
            init_programs,
            init_run: None,
            requests: req,
            terminating: false,
            kill_grace: 0,
            finished: false,
            sandbox_ready: false,
            pulling: None,
            procs: vec![Proc::default(); n],
            pull_backoff: vec![None; n],
            admitted_at: cx.now(),
            init_backoff: vec![None; p.spec.init_containers.len()],
            catalog: catalog.clone(),
            gone: false,
            listeners: p
                .spec
                .containers
                .iter()
                .enumerate()
                .flat_map(|(i, c)| Listener::of(images.get(&c.image), i))
                .collect(),
        });
        let uid = p.meta.uid;
        let mut w = w;
        self.send_status(&w, cx);
        // One probe worker per (container, probe): it probes at once, then
        // every period, its phase anchored here (docs/kubernetes-behaviour.md §3).
        for (i, c) in p.spec.containers.iter().enumerate() {
            for kind in [ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness] {
                if c.probes.get(kind).is_some() {
                    self.schedule(uid, gen, i, Step::ProbeTick(kind), cx.now(), cx);
                    w.procs[i].tick_queued[slot(kind)] = true;
                }
            }
        }
        self.workers.insert(uid, w);
        let ev = KubeletEvent::Pod { uid, gen, idx: 0, step: Step::SandboxReady };
        self.timer_after(cx.cfg().sandbox_start, ev, cx);
    }

    /// The script each of `containers` runs: its `command` + `args` over its
    /// image's (`shell::argv`), parsed once per distinct command line.
    /// Empty when no container has a command (nothing to allocate).
    fn programs(
        &mut self,
        containers: &[crate::objects::pod::Container],
        images: &ImageCatalog,
    ) -> Vec<Option<Rc<Program>>> {
        let has_command = |c: &crate::objects::pod::Container| {
            !c.command.is_empty()
                || !c.args.is_empty()
                || (images.has_commands
                    && images.get(&c.image).is_some_and(|b| !b.command.is_empty() || !b.args.is_empty()))
        };
        if !containers.iter().any(has_command) {
            return Vec::new();
        }
        containers
            .iter()
            .map(|c| {
                let (ic, ia) = images.get(&c.image).map_or((&[][..], &[][..]), |b| (&b.command[..], &b.args[..]));
                let argv = shell::argv(&c.command, &c.args, ic, ia);
                if argv.is_empty() {
                    return None;
                }
                // The scenario loader has warned about the ones that do not
                // parse; they run their image's behaviour.
                self.scripts.entry(argv).or_insert_with_key(|a| shell::parse_argv(a).ok().map(Rc::new)).clone()
            })
            .collect()
    }

    /// Runs container `idx`'s script until it sleeps (one timer) or exits.
    fn step_script(&mut self, uid: u64, idx: usize, cx: &mut Cx) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        let gen = w.gen;
        let proc = &mut w.procs[idx];
        let Some(mut run) = proc.script.take() else { return };
        let keep = proc.log.is_some();
        let mut host = shell::Host::new(&mut proc.files, now, keep);
        let y = run.resume(&mut host);
        let (out, changed) = (host.out, host.changed);
        proc.script = Some(run);
        for (at, line) in out {
            proc.say(at, format_args!("{}", line));
        }
        let inst = proc.instance;
        if let Yield::Spin = y {
            proc.say(now, format_args!("kubesim: the script ran on without sleeping; it is no longer interpreted"));
        }
        if changed {
            // The files changed: exec probes may see another result.
            self.wake_probes(uid, idx, |_, h| matches!(h, Handler::Exec { .. }), cx);
        }
        match y {
            Yield::Sleep(d) => self.schedule(uid, gen, idx, Step::Script(inst), now + d, cx),
            Yield::Exit(code) => self.exited(uid, idx, code, cx),
            Yield::Forever | Yield::Spin => {}
        }
    }

    /// Runs init container `idx`'s script until it sleeps or exits.
    fn step_init_script(&mut self, uid: u64, idx: usize, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        let gen = w.gen;
        let Some(mut state) = w.init_run.take() else { return };
        let (run, files) = &mut *state;
        // Nobody reads an init container's log.
        let y = run.resume(&mut shell::Host::new(files, now, false));
        w.init_run = Some(state);
        match y {
            Yield::Sleep(d) => self.schedule(uid, gen, idx, Step::InitScript, now + d, cx),
            Yield::Exit(code) => {
                w.init_run = None;
                self.init_exited(uid, idx, Some(code), images, cx);
            }
            Yield::Forever | Yield::Spin => {}
        }
    }

    /// Reports the worker's current status for the pod to the apiserver.
    fn send_status_of(&self, uid: u64, cx: &mut Cx) {
        self.send_status(&self.workers[&uid], cx);
    }

    fn send_status(&self, w: &Worker, cx: &mut Cx) {
        cx.send_unanswered(ApiOp::PodStatus { key: w.key.clone(), uid: w.pod.meta.uid, status: w.status.clone() });
    }

    fn schedule(&self, uid: u64, gen: u64, idx: usize, step: Step, at: SimTime, cx: &mut Cx) {
        let ev = KubeletEvent::Pod { uid, gen, idx: idx as u16, step };
        match step {
            // A probe tick's place within its instant is fixed by who ticks
            // (see `tick_key`), so a dozing worker knows where its skipped
            // tick would have run.
            Step::ProbeTick(kind) => self.timer_keyed(at, tick_key(uid, idx, kind), ev, cx),
            _ => self.timer_at(at, ev, cx),
        }
    }

    /// Whether worker `key`'s tick at `now`, were it ticking on the grid
    /// `anchor + k × period`, would already have run: ticks run first at an
    /// instant, in key order, so it has unless `now` is off its grid or the
    /// event being handled is a tick with a smaller key.
    fn tick_ran(&self, key: u64, anchor: SimTime, period: SimDuration, now: SimTime) -> bool {
        let on_grid = now >= anchor && (now.0 - anchor.0) % period.0 == 0;
        on_grid && self.cur_tick.is_none_or(|k| key < k)
    }

    /// Handles one of its timers.
    fn on_event(&mut self, ev: KubeletEvent, images: &ImageCatalog, cx: &mut Cx) {
        let (uid, gen, idx, step) = match ev {
            KubeletEvent::Pod { uid, gen, idx, step } => (uid, gen, idx, step),
            KubeletEvent::SyncNodeStatus { epoch } => return self.sync_node_status(epoch, cx),
            KubeletEvent::ListResponse { seq } => return self.on_list_response(seq, images, cx),
            KubeletEvent::RenewLease { epoch, send } => return self.on_renew_lease(epoch, send, cx),
        };
        let idx = idx as usize;
        let Some(w) = self.workers.get(&uid) else {
            return;
        };
        if w.gen != gen || w.finished {
            return;
        }
        // A pod with a behaviour annotation has a catalog of its own.
        let own = w.catalog.clone();
        let images = own.as_deref().unwrap_or(images);
        match step {
            Step::SandboxReady => {
                // The next free address of the node's /24, in turn (.2 to
                // .254); a node that somehow holds them all reuses the next.
                let mut n = self.next_ip;
                for _ in 0..253 {
                    if self.ips_in_use[n as usize / 64] & (1 << (n % 64)) == 0 {
                        break;
                    }
                    n = if n >= 254 { 2 } else { n + 1 };
                }
                self.ips_in_use[n as usize / 64] |= 1 << (n % 64);
                let ip = pod_ip(self.idx, n);
                self.next_ip = if n >= 254 { 2 } else { n + 1 };
                let w = self.workers.get_mut(&uid).expect("worker");
                let st = Rc::make_mut(&mut w.status);
                st.pod_ip = Some(ip);
                st.conditions.ready_to_start_containers = Some(Condition::new(CondStatus::True, cx.now()));
                w.sandbox_ready = true;
                if w.pod.spec.init_containers.is_empty() {
                    self.pull(uid, 0, images, cx);
                } else {
                    self.init_start(uid, 0, images, cx);
                }
            }
            Step::InitStart => self.init_start(uid, idx, images, cx),
            Step::InitRunning => {
                let now = cx.now();
                let w = self.workers.get_mut(&uid).expect("worker");
                let c = &w.pod.spec.init_containers[idx];
                cx.event_on(
                    false,
                    "Started",
                    "Pod",
                    &w.key.namespace,
                    &w.key.name,
                    &format_args!("Started container {}", c.name),
                );
                let run = images.get(&c.image).and_then(|b| b.exit_after).unwrap_or_default();
                Rc::make_mut(&mut w.status).init_container_statuses[idx].state =
                    ContainerState::Running { started_at: now };
                let program = w.init_programs.get(idx).cloned().flatten();
                if let Some(prog) = program {
                    w.init_run = Some(Box::new((Run::new(prog, pod_hostname(&w.pod)), BTreeSet::new())));
                }
                self.send_status_of(uid, cx);
                if self.workers[&uid].init_run.is_some() {
                    self.step_init_script(uid, idx, images, cx);
                } else {
                    self.schedule(uid, gen, idx, Step::InitExited, now + run, cx);
                }
            }
            Step::InitExited => self.init_exited(uid, idx, None, images, cx),
            Step::InitScript => self.step_init_script(uid, idx, images, cx),
            Step::Script(inst) => {
                let p = &self.workers[&uid].procs[idx];
                if p.instance == inst && p.running_since.is_some() && !p.killing && !p.hung {
                    self.step_script(uid, idx, cx);
                }
            }
            Step::Pull => self.pull(uid, idx, images, cx),
            Step::Pulled => {
                let w = self.workers.get_mut(&uid).expect("worker");
                let c = &w.pod.spec.containers[idx];
                if let Some((took, total)) = w.pulling.take() {
                    self.images.insert(c.image.clone());
                    cx.event_on(
                        false,
                        "Pulled",
                        "Pod",
                        &w.key.namespace,
                        &w.key.name,
                        &format_args!(
                            "Successfully pulled image \"{}\" in {} ({} including waiting)",
                            c.image, took, total
                        ),
                    );
                }
                cx.event_parts_on(
                    false,
                    "Created",
                    "Pod",
                    &w.key.namespace,
                    &w.key.name,
                    &["Created container ", &c.name],
                );
                let start = images.get(&c.image).and_then(|b| b.start).unwrap_or(cx.cfg().container_start);
                let ev = KubeletEvent::Pod { uid, gen, idx: idx as u16, step: Step::Started };
                self.timer_after(start, ev, cx);
            }
            Step::Started => self.started(uid, idx, images, cx),
            Step::OutOfMemory(inst) => {
                let p = &self.workers[&uid].procs[idx];
                if p.instance == inst && p.running_since.is_some() && !p.killing {
                    self.exited_as(uid, idx, 137, Some("OOMKilled"), cx);
                }
            }
            Step::PullFailed => {
                let (initial, max) = (cx.cfg().image_pull_backoff_initial, cx.cfg().image_pull_backoff_max);
                let w = self.workers.get_mut(&uid).expect("worker");
                w.pulling = None;
                let c = &w.pod.spec.containers[idx];
                let why = images.get(&c.image).and_then(|b| b.pull_error.clone()).unwrap_or_default();
                let msg = format!("Failed to pull image \"{}\": {}", c.image, why);
                cx.event_on(true, "Failed", "Pod", &w.key.namespace, &w.key.name, &msg);
                cx.event_on(true, "Failed", "Pod", &w.key.namespace, &w.key.name, &"Error: ErrImagePull");
                w.pull_backoff[idx] = Some(match w.pull_backoff[idx] {
                    None => initial,
                    Some(b) => SimDuration((b.0 * 2).min(max.0)),
                });
                Rc::make_mut(&mut w.status).container_statuses[idx].state =
                    ContainerState::Waiting { reason: lit("ErrImagePull"), message: Some(msg.into()) };
                update_phase_and_conditions(w, cx.now());
                self.send_status_of(uid, cx);
                // The pod worker's next sync (PLEG relist, 1 s) backs off.
                self.schedule(uid, gen, idx, Step::PullBackOff, cx.now() + SimDuration::from_secs(1), cx);
            }
            Step::PullBackOff => {
                let w = self.workers.get_mut(&uid).expect("worker");
                let c = &w.pod.spec.containers[idx];
                let msg = format!("Back-off pulling image \"{}\"", c.image);
                cx.event_on(false, "BackOff", "Pod", &w.key.namespace, &w.key.name, &msg);
                cx.event_on(true, "Failed", "Pod", &w.key.namespace, &w.key.name, &"Error: ImagePullBackOff");
                Rc::make_mut(&mut w.status).container_statuses[idx].state =
                    ContainerState::Waiting { reason: lit("ImagePullBackOff"), message: Some(msg.into()) };
                let wait = w.pull_backoff[idx].unwrap_or_default();
                self.send_status_of(uid, cx);
                // The back-off counts from the failure, one sync ago.
                let retry = (cx.now() + wait).saturating_sub_dur(SimDuration::from_secs(1));
                self.schedule(uid, gen, idx, Step::Pull, retry.max(cx.now()), cx);
            }
            Step::Exited(inst) => {
                let w = &self.workers[&uid];
                let p = &w.procs[idx];
                if p.instance == inst && p.running_since.is_some() && !p.killing {
                    // The container's own image, not the pod's first one.
                    let image = images.get(&w.pod.spec.containers[idx].image);
                    let code = w.exit_override.unwrap_or(image.map_or(0, |b| b.exit_code));
                    self.exited(uid, idx, code, cx);
                }
            }
            Step::ProbeTick(kind) => {
                self.cur_tick = Some(tick_key(uid, idx, kind));
                self.probe_tick(uid, idx, kind, images, cx);
                self.cur_tick = None;
            }
            Step::ProbeResult(kind, inst) => {
                let w = self.workers.get_mut(&uid).expect("worker");
                let p = &mut w.procs[idx];
                if p.instance != inst {
                    return;
                }
                if let Some(outcome) = p.pending[slot(kind)].take() {
                    let missed = std::mem::take(&mut p.tick_missed[slot(kind)]);
                    self.apply_probe_result(uid, idx, kind, outcome, images, cx);
                    if missed {
                        self.probe_now(uid, idx, kind, images, cx);
                    }
                }
            }
            Step::ContainerKilled(inst) => {
                let w = &self.workers[&uid];
                let p = &w.procs[idx];
                if p.instance == inst {
                    let code = p.kill_result.map_or(137, |(_, c)| c);
                    self.exited(uid, idx, code, cx);
                }
            }
            Step::Restart => {
                let w = self.workers.get_mut(&uid).expect("worker");
                if let Some(b) = w.backoff[idx] {
                    w.backoff[idx] = Some(next_period(b, cx.now(), cx.cfg().crash_loop_backoff_max));
                }
                self.begin_restart(uid, idx, cx);
            }
            Step::Killed => {
                let w = self.workers.get_mut(&uid).expect("worker");
                let now = cx.now();
                for (cs, p) in Rc::make_mut(&mut w.status).container_statuses.iter_mut().zip(&mut w.procs) {
                    if let ContainerState::Running { started_at } = cs.state {
                        let (finished, code) = p.kill_result.unwrap_or((now, 137));
                        cs.state = ContainerState::Terminated(terminated(code, Some(started_at), finished.min(now)));
                    }
                    p.stop();
                    cs.ready = false;
                }
                let status = w.status.clone();
                let pod = w.pod.clone();
                if !w.gone {
                    self.finalize(&pod, &status, cx);
                }
                self.forget(uid);
            }
        }
    }

    fn pull(&mut self, uid: u64, idx: usize, images: &ImageCatalog, cx: &mut Cx) {
        let w = &self.workers[&uid];
        let gen = w.gen;
        let c = &w.pod.spec.containers[idx];
        let (ns, name) = (w.key.namespace.clone(), w.key.name.clone());
        let image = c.image.clone();
        let cached = self.images.contains(&image);
        let pull_time = images.get(&image).and_then(|b| b.pull).unwrap_or(cx.cfg().default_image_pull);
        let duration = match (c.image_pull_policy, cached) {
            (PullPolicy::IfNotPresent | PullPolicy::Never, true) => {
                cx.event_parts_on(
                    false,
                    "Pulled",
                    "Pod",
                    &ns,
                    &name,
                    &["Container image \"", &image, "\" already present on machine"],
                );
                self.on_event(KubeletEvent::Pod { uid, gen, idx: idx as u16, step: Step::Pulled }, images, cx);
                return;
            }
            (PullPolicy::Never, false) => {
                let w = self.workers.get_mut(&uid).expect("worker");
                let msg = format!("Container image \"{}\" is not present with pull policy of Never", image);
                Rc::make_mut(&mut w.status).container_statuses[idx].state =
                    ContainerState::Waiting { reason: lit("ErrImageNeverPull"), message: Some(msg.as_str().into()) };
                cx.event_on(true, "ErrImageNeverPull", "Pod", &ns, &name, &msg);
                self.send_status_of(uid, cx);
                return;
            }
            (PullPolicy::Always, true) => cx.cfg().image_manifest_check,
            _ => pull_time,
        };
        cx.event_parts_on(false, "Pulling", "Pod", &ns, &name, &["Pulling image \"", &image, "\""]);
        // serializeImagePulls: one pull at a time per node.
        let begin = cx.now().max(self.pull_free_at);
        let done = begin + duration;
        self.pull_free_at = done;
        let fails = images.get(&image).is_some_and(|b| b.pull_error.is_some());
        self.workers.get_mut(&uid).expect("worker").pulling = Some((duration, done - cx.now()));
        self.schedule(uid, gen, idx, if fails { Step::PullFailed } else { Step::Pulled }, done, cx);
    }

    fn started(&mut self, uid: u64, idx: usize, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        let cid = self.next_container_id;
        self.next_container_id += 1;
        let w = self.workers.get_mut(&uid).expect("worker");
        let gen = w.gen;
        let c = &w.pod.spec.containers[idx];
        cx.event_parts_on(false, "Started", "Pod", &w.key.namespace, &w.key.name, &["Started container ", &c.name]);
        let probes = c.probes.clone();
        let limit = c.limits.memory;
        let oom_in =
            images.get(&c.image).and_then(|b| b.memory).filter(|_| limit > 0).and_then(|m| m.time_to_exceed(limit));
        let proc = &mut w.procs[idx];
        if cx.ctx.keeps_logs() && proc.log.is_none() {
            proc.log = Some(Vec::new());
        }
        proc.start(now, images.get(&c.image), probes.startup.is_some());
        proc.say(now, format_args!("started {} (container {})", c.image, c.name));
        let program = w.programs.get(idx).cloned().flatten();
        let scripted = program.is_some();
        let hostname = pod_hostname(&w.pod);
        proc.script = program.map(|p| Box::new(Run::new(p, hostname.clone())));
        proc.hostname = hostname;
        // The environment is made at creation from the Services the
        // informer holds (`makeEnvironmentVariables`).
        proc.env_as_of = if self.partitioned { self.partitioned_at } else { now };
        // `fieldRef`s are resolved now, against the kubelet's pod and the
        // IPs it knows (`podFieldSelectorRuntimeValue`).
        let refs = c.env.iter().any(|e| matches!(e.source, crate::objects::env::EnvSource::Field { .. }));
        proc.env_pod =
            refs.then(|| Rc::new(Pod { meta: w.pod.meta.clone(), spec: w.pod.spec.clone(), status: w.status.clone() }));
        let woke = proc.dormant.iter().any(|d| *d);
        let (inst, started_ok) = (proc.instance, proc.started_ok);
        let cs = &mut Rc::make_mut(&mut w.status).container_statuses[idx];
        cs.state = ContainerState::Running { started_at: now };
        // `started` waits for the startup probe; `ready` for the readiness
        // probe too (a container without probes is ready once running).
        cs.started = started_ok;
        cs.ready = started_ok && probes.readiness.is_none();
        cs.container_id = Some(cid);
        let n = w.status.container_statuses.len();
        // Each container's own image says when it exits; a script exits
        // when it ends.
        let run = if scripted { None } else { w.run_override.or(images.get(&c.image).and_then(|b| b.exit_after)) };
        if idx + 1 < n && w.status.container_statuses[idx + 1].container_id.is_none() {
            self.schedule(uid, gen, idx + 1, Step::Pull, now, cx);
        }
        if let Some(d) = run {
            self.schedule(uid, gen, idx, Step::Exited(inst), now + d, cx);
        }
        if woke {
            self.wake_probes(uid, idx, |_, _| true, cx);
        }
        // Memory use growing past the container's limit: the OOM killer.
        if let Some(t) = oom_in {
            self.schedule(uid, gen, idx, Step::OutOfMemory(inst), now + t, cx);
        }
        let w = self.workers.get_mut(&uid).expect("worker");
        let all_created = w.status.container_statuses.iter().all(|c| c.container_id.is_some());
        if all_created {
            update_phase_and_conditions(w, now);
            self.send_status_of(uid, cx);
        }
        if scripted {
            self.step_script(uid, idx, cx);
        }
    }

    /// Container `idx`'s process ended with `code`: record it, then restart
    /// per the pod's restartPolicy with the crash-loop back-off.
    fn exited(&mut self, uid: u64, idx: usize, code: i32, cx: &mut Cx) {
        self.exited_as(uid, idx, code, None, cx)
    }

    /// `exited`, with the runtime's reason when it is not the exit code's
    /// (`OOMKilled`).
    fn exited_as(&mut self, uid: u64, idx: usize, code: i32, reason: Option<&'static str>, cx: &mut Cx) {
        let now = cx.now();
        let reset = cx.cfg().crash_loop_backoff_reset;
        let initial = cx.cfg().crash_loop_backoff_initial;
        self.end_dozes(uid, idx, now);
        let w = self.workers.get_mut(&uid).expect("worker");
        w.procs[idx].say(
            now,
            format_args!("exited with code {}{}", code, reason.map(|r| format!(" ({})", r)).unwrap_or_default()),
        );
        w.procs[idx].stop();
        let cs = &mut Rc::make_mut(&mut w.status).container_statuses[idx];
        let started_at = match cs.state {
            ContainerState::Running { started_at } => Some(started_at),
            _ => None,
        };
        let mut t = terminated(code, started_at, now);
        if let Some(r) = reason {
            t.reason = r.into();
        }
        cs.state = ContainerState::Terminated(t);
        cs.ready = false;
        let restart = match w.pod.spec.restart_policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => code != 0,
            RestartPolicy::Never => false,
        };
        if !restart {
            update_phase_and_conditions(w, now);
            if w.status.phase.is_terminal() {
                release(w, &mut self.admitted, &mut self.ips_in_use, now);
            }
            self.send_status_of(uid, cx);
            return;
        }
        // Crash-loop back-off (docs/kubernetes-behaviour.md §2.5): the first exit, or one
        // after a quiet spell longer than the reset window, restarts at
        // once; later exits wait the current period, which then doubles.
        let (delay, entry) = crash_loop_delay(w.backoff[idx], now, initial, reset);
        w.backoff[idx] = Some(entry);
        if delay == SimDuration::ZERO {
            self.begin_restart(uid, idx, cx);
            return;
        }
        let gen = w.gen;
        let cname = w.pod.spec.containers[idx].name.clone();
        let msg =
            format!("back-off {} restarting failed container={} pod={}_{}", delay, cname, w.key.name, w.key.namespace);
        let cs = &mut Rc::make_mut(&mut w.status).container_statuses[idx];
        let last = match std::mem::replace(
            &mut cs.state,
            ContainerState::Waiting { reason: lit("CrashLoopBackOff"), message: Some(msg.into()) },
        ) {
            ContainerState::Terminated(t) => Some(t),
            _ => None,
        };
        cs.last_state = last;
        update_phase_and_conditions(w, now);
        back_off_event(&w.key, &cname, cx);
        self.send_status_of(uid, cx);
        self.schedule(uid, gen, idx, Step::Restart, now + delay, cx);
    }

    /// Starts a new instance of container `idx`: restartCount + 1, the
    /// previous termination becomes `lastState`.
    fn begin_restart(&mut self, uid: u64, idx: usize, cx: &mut Cx) {
        let w = self.workers.get_mut(&uid).expect("worker");
        let gen = w.gen;
        let cs = &mut Rc::make_mut(&mut w.status).container_statuses[idx];
        if let ContainerState::Terminated(t) = &cs.state {
            cs.last_state = Some(t.clone());
        }
        cs.restart_count += 1;
        cs.container_id = None;
        cs.started = false;
        cs.state = ContainerState::Waiting { reason: lit("ContainerCreating"), message: None };
        self.schedule(uid, gen, idx, Step::Pull, cx.now(), cx);
    }

    /// Graceful deletion: SIGTERM to every running container. The default
    /// process exits on SIGTERM at once; the kubelet then reports the final
    /// status and deletes the pod object.
    fn kill_pod(&mut self, uid: u64, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        // Every probe worker stops with the new generation.
        for i in 0..self.workers[&uid].procs.len() {
            self.end_dozes(uid, i, now);
        }
        let w = self.workers.get_mut(&uid).expect("worker");
        w.terminating = true;
        w.gen = self.next_gen;
        self.next_gen += 1;
        let gen = w.gen;
        // The grace the deletion asked for (the pod's own by default).
        let grace = w.pod.meta.deletion_grace_period_seconds.unwrap_or(w.pod.spec.termination_grace_period_seconds);
        w.kill_grace = grace;
        let pod = w.pod.clone();
        let ip = w.status.pod_ip.clone().unwrap_or_else(|| "".into());
        let mut done = now;
        for (i, cs) in w.status.container_statuses.iter().enumerate() {
            if !matches!(cs.state, ContainerState::Running { .. }) {
                continue;
            }
            let c = &pod.spec.containers[i];
            cx.event_on(
                false,
                "Killing",
                "Pod",
                &w.key.namespace,
                &w.key.name,
                &format_args!("Stopping container {}", c.name),
            );
            let t = begin_kill(&mut w.procs[i], c, grace, images, &ip, now);
            done = done.max(t.exit_at);
        }
        self.schedule(uid, gen, 0, Step::Killed, done, cx);
    }

    /// A delete with a shorter grace reached a pod being killed (`kubectl
    /// delete --grace-period=0 --force`): its termination restarts with
    /// the new grace (the pod worker's `calculateEffectiveGracePeriod`),
    /// so what still runs then is killed after it — at least
    /// `minimumGracePeriodInSeconds`, 2 s (`killContainer`).
    fn shorten_kill(&mut self, uid: u64, grace: u64, cx: &mut Cx) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        w.kill_grace = grace;
        let kill_at = now + SimDuration::from_secs(grace.max(2));
        let mut done = now;
        let mut sooner = false;
        for p in &mut w.procs {
            if let Some((exit, code)) = p.kill_result {
                let exit = if exit > kill_at {
                    sooner = true;
                    (kill_at, 137)
                } else {
                    (exit, code)
                };
                p.kill_result = Some(exit);
                done = done.max(exit.0);
            }
        }
        if !sooner {
            return;
        }
        // The kill's end moves: the one scheduled before is dropped.
        w.gen = self.next_gen;
        self.next_gen += 1;
        let gen = w.gen;
        self.schedule(uid, gen, 0, Step::Killed, done, cx);
    }

    /// One tick of a probe worker: schedule the next, then probe if the
    /// container is running, past its initial delay, and (for liveness and
    /// readiness) started.
    fn probe_tick(&mut self, uid: u64, idx: usize, kind: ProbeKind, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        let pod = w.pod.clone();
        let Some(probe) = pod.spec.containers[idx].probes.get(kind) else { return };
        let gen = w.gen;
        let next_tick = now + SimDuration::from_secs(probe.period_seconds);
        let proc = &mut w.procs[idx];
        proc.tick_queued[slot(kind)] = false;
        if proc.pending[slot(kind)].is_some() {
            // Still probing: the tick waits (Go's ticker keeps one).
            proc.tick_missed[slot(kind)] = true;
        } else {
            // The result is scheduled before the next tick, so a probe that
            // takes a whole period returns before that tick comes.
            self.probe_now(uid, idx, kind, images, cx);
        }
        let Some(w) = self.workers.get_mut(&uid).filter(|w| w.gen == gen) else { return };
        let proc = &mut w.procs[idx];
        if !proc.dormant[slot(kind)] {
            proc.tick_queued[slot(kind)] = true;
            self.schedule(uid, gen, idx, Step::ProbeTick(kind), next_tick, cx);
        } else if let (Some(log), Handler::HttpGet { path, .. }, true) = (
            proc.log.as_mut(),
            &probe.handler,
            kind != ProbeKind::Startup && proc.running_since.is_some() && !proc.killing && !w.terminating,
        ) {
            // Dozing from the next tick on: what each skipped tick would
            // have logged, for `render_log` (an HTTP probe that dozes is
            // certain to get the image's status; a startup probe that
            // succeeded never probes again, nor does any while the process
            // is stopped or being killed).
            let image = images.get(&pod.spec.containers[idx].image);
            let status = image.and_then(|b| b.http.as_ref()).map_or(200, |h| h.status);
            log.push(LogEntry::DozeStart {
                slot: slot(kind),
                from: next_tick,
                period: SimDuration::from_secs(probe.period_seconds),
                key: tick_key(uid, idx, kind),
                path: path.clone(),
                status,
            });
            proc.doze_open[slot(kind)] = true;
        }
    }

    /// After a success: when nothing the next ticks could observe can
    /// change until some state change wakes the worker, stop ticking. Those
    /// ticks would all succeed and, with the counts already past the
    /// threshold, write nothing and record nothing — so the trace is the
    /// same as ticking (a test runs both ways). Whether logs are kept plays
    /// no part: the requests skipped ticks would have made are logged as a
    /// span (`LogEntry::DozeStart`) and expanded when the log is read. Not
    /// when the app counts requests (`failAfterRequests`), nor when an
    /// answer takes a whole period (ticks would pile up behind it).
    fn maybe_doze(&mut self, uid: u64, idx: usize, kind: ProbeKind, images: &ImageCatalog, cx: &Cx) {
        if !cx.cfg().probe_skipping {
            return;
        }
        let w = self.workers.get_mut(&uid).expect("worker");
        let pod = w.pod.clone();
        let c = &pod.spec.containers[idx];
        let Some(probe) = c.probes.get(kind) else { return };
        let cs = &w.status.container_statuses[idx];
        let proc = &mut w.procs[idx];
        let k = slot(kind);
        let settled = match kind {
            ProbeKind::Startup => proc.started_ok,
            ProbeKind::Liveness => proc.failures[k] == 0,
            ProbeKind::Readiness => cs.ready && proc.successes[k] >= probe.success_threshold,
        };
        let image = images.get(&c.image);
        let since = proc.running_since.unwrap_or(SimTime::MAX);
        let timeout = SimDuration::from_secs(probe.timeout_seconds);
        let certain = !proc.hung
            && !w.terminating
            && match &probe.handler {
                Handler::HttpGet { port, .. } => image.is_some_and(|b| {
                    b.http.as_ref().is_some_and(|h| {
                        resolve_port(port, c) == Some(h.port)
                            && h.fail_after_requests.is_none()
                            && (200..400).contains(&h.status)
                            && h.response_time <= timeout
                            && h.response_time < SimDuration::from_secs(probe.period_seconds)
                    }) && cx.now() >= since + b.listen_after
                }),
                Handler::TcpSocket { port } => image.is_some_and(|b| {
                    let p = resolve_port(port, c);
                    (b.tcp_port == p || b.http.as_ref().map(|h| h.port) == p) && cx.now() >= since + b.listen_after
                }),
                // Exec results change only with the files, and every exec
                // that changes them wakes the worker (`wake_probes`); a run
                // that changed them itself, or whose result took time, is
                // not one to doze on (`apply_probe_result`). A command that
                // takes a whole period would pile ticks up.
                Handler::Exec { .. } => probe.timeout_seconds < probe.period_seconds,
                Handler::Sleep { .. } => false,
            };
        if settled && certain {
            proc.dormant[k] = true;
        }
    }

    /// Wakes the dormant probe workers of container `idx` (those `which`
    /// selects): each resumes on its own grid, at its first tick that has
    /// not run yet by the order of ticks within an instant (`tick_ran`).
    fn wake_probes(&mut self, uid: u64, idx: usize, which: impl Fn(ProbeKind, &Handler) -> bool, cx: &mut Cx) {
        let Some(w) = self.workers.get(&uid) else { return };
        let pod = w.pod.clone();
        let (gen, anchor) = (w.gen, w.admitted_at);
        let mut ticks = Vec::new();
        for kind in [ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness] {
            let k = slot(kind);
            let Some(probe) = pod.spec.containers[idx].probes.get(kind) else { continue };
            if !w.procs[idx].dormant[k] || !which(kind, &probe.handler) {
                continue;
            }
            if w.procs[idx].tick_queued[k] {
                // Its next tick is still queued (it dozed while a result
                // was on its way): ticking simply goes on from there.
                ticks.push((kind, None));
                continue;
            }
            let period = SimDuration::from_secs(probe.period_seconds);
            let key = tick_key(uid, idx, kind);
            let mut next = SimTime(anchor.0 + cx.now().0.saturating_sub(anchor.0).div_ceil(period.0) * period.0);
            if self.tick_ran(key, anchor, period, cx.now()) {
                next += period;
            }
            ticks.push((kind, Some(next)));
        }
        let w = self.workers.get_mut(&uid).expect("worker");
        for &(kind, at) in &ticks {
            let proc = &mut w.procs[idx];
            proc.dormant[slot(kind)] = false;
            if let Some(at) = at {
                end_doze(proc, slot(kind), at);
                proc.tick_queued[slot(kind)] = true;
            }
        }
        for (kind, at) in ticks {
            if let Some(at) = at {
                self.schedule(uid, gen, idx, Step::ProbeTick(kind), at, cx);
            }
        }
    }

    /// Container `idx`'s process stops being probed now (it stops, or a
    /// kill begins): the spans of its dozing workers end with the ticks
    /// that have already run.
    fn end_dozes(&mut self, uid: u64, idx: usize, now: SimTime) {
        let Some(w) = self.workers.get(&uid) else { return };
        let pod = w.pod.clone();
        let anchor = w.admitted_at;
        for kind in [ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness] {
            let Some(probe) = pod.spec.containers[idx].probes.get(kind) else { continue };
            if !self.workers[&uid].procs[idx].doze_open[slot(kind)] {
                continue;
            }
            let period = SimDuration::from_secs(probe.period_seconds);
            let ran = self.tick_ran(tick_key(uid, idx, kind), anchor, period, now);
            let until = if ran { SimTime(now.0 + 1) } else { now };
            end_doze(&mut self.workers.get_mut(&uid).expect("worker").procs[idx], slot(kind), until);
        }
    }

    /// Runs one probe now if the container is running, past its initial
    /// delay, and (for liveness and readiness) started.
    fn probe_now(&mut self, uid: u64, idx: usize, kind: ProbeKind, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        let pod = w.pod.clone();
        let c = &pod.spec.containers[idx];
        let Some(probe) = c.probes.get(kind) else { return };
        let (gen, terminating) = (w.gen, w.terminating);
        let ip = w.status.pod_ip.clone().unwrap_or_else(|| "".into());
        let proc = &mut w.procs[idx];
        let skip = match proc.running_since {
            None => true,
            Some(since) => {
                proc.killing
                    || (kind == ProbeKind::Startup) == proc.started_ok
                    || now < since + SimDuration::from_secs(probe.initial_delay_seconds)
            }
        };
        // On deletion liveness and startup are forced to success.
        if skip || (terminating && kind != ProbeKind::Readiness) {
            return;
        }
        let timeout = SimDuration::from_secs(probe.timeout_seconds);
        proc.log_key = self.cur_tick;
        let outcome = run_probe(&probe.handler, timeout, c, images.get(&c.image), proc, &ip, now);
        proc.log_key = None;
        if outcome.changed {
            // The files changed: every other exec probe may see another
            // result now.
            self.wake_probes(uid, idx, |k, h| k != kind && matches!(h, Handler::Exec { .. }), cx);
        }
        let proc = &mut self.workers.get_mut(&uid).expect("worker").procs[idx];
        if outcome.after == SimDuration::ZERO {
            self.apply_probe_result(uid, idx, kind, outcome, images, cx);
        } else {
            let inst = proc.instance;
            let after = outcome.after;
            proc.pending[slot(kind)] = Some(outcome);
            self.schedule(uid, gen, idx, Step::ProbeResult(kind, inst), now + after, cx);
        }
    }

    /// A request reaches pod `uid` on `port` at `now`: which app container
    /// it lands in (the one whose image listens on the port), that
    /// process's instance, and what the app does. `None` when the pod has
    /// no sandbox here (no pod IP to reach: the packets are lost).
    pub fn serve(&mut self, uid: u64, port: u16, path: &str, now: SimTime) -> Option<(Served, u16, u32)> {
        let w = self.workers.get_mut(&uid)?;
        // The sandbox and the pod IP come and go together.
        if !w.sandbox_ready || w.finished {
            return None;
        }
        // The first app container whose image listens on the port.
        let Some(l) = w.listeners.iter().find(|l| l.port == port) else {
            return Some((Served::Refused, 0, 0));
        };
        let proc = &mut w.procs[l.container as usize];
        let served = serve(l, proc, path, now);
        Some((served, l.container, proc.instance))
    }

    /// The instance of container `idx` of pod `uid` running now, if one
    /// is (a request it accepted is answered only if it still runs).
    pub fn running_instance(&self, uid: u64, idx: usize) -> Option<u32> {
        let p = self.workers.get(&uid)?.procs.get(idx)?;
        p.running_since.map(|_| p.instance)
    }

    /// Whether pod `uid` runs here with the address `ip`: its sandbox
    /// holds it and one of its containers runs (a client process in it
    /// can send).
    pub fn runs_pod(&self, uid: u64, ip: &str) -> bool {
        self.alive
            && self.workers.get(&uid).is_some_and(|w| {
                !w.finished
                    && w.sandbox_ready
                    && w.status.pod_ip.as_deref() == Some(ip)
                    && w.procs.iter().any(|p| p.running_since.is_some())
            })
    }

    /// The pod whose sandbox holds the IP `ip` on this node, if one does
    /// (what a packet to a pod IP reaches: the node's /24 is routed to it,
    /// and the address to the sandbox, whatever the API says).
    pub fn pod_with_ip(&self, ip: &str) -> Option<u64> {
        if !self.alive {
            return None;
        }
        self.workers
            .iter()
            .find(|(_, w)| !w.finished && w.sandbox_ready && w.status.pod_ip.as_deref() == Some(ip))
            .map(|(&uid, _)| uid)
    }

    /// The name of pod `uid`, if it runs here.
    pub fn pod_name(&self, uid: u64) -> Option<String> {
        self.workers.get(&uid).map(|w| w.pod.meta.name.to_string())
    }

    /// Counts the kubelet's lives (a crash ends one).
    pub fn life(&self) -> u32 {
        self.epoch
    }

    /// The log of container `idx` of pod `uid` (this instance, or the one
    /// before with `previous`), if the pod runs here and logs are kept: the
    /// lines a ticking kubelet would have written by `now`, the present of
    /// the simulation between events (`render_log`).
    pub fn logs(&self, uid: u64, idx: usize, previous: bool, now: SimTime) -> Option<Vec<String>> {
        let p = self.workers.get(&uid)?.procs.get(idx)?;
        let log = if previous { p.previous_log.as_deref() } else { p.log.as_deref() };
        log.map(|l| render_log(l, now))
    }

    /// The catalog a pod with a `kubesim.io/behavior` annotation runs with:
    /// the scenario's, with each of the pod's images overridden.
    fn pod_catalog(&self, p: &Pod, images: &ImageCatalog, cx: &mut Cx) -> Option<Rc<ImageCatalog>> {
        let text = p.meta.annotations.get(ANNOTATION_BEHAVIOR)?;
        let mut cat = images.clone();
        for c in p.spec.init_containers.iter().chain(p.spec.containers.iter()) {
            // Parsed when the scenario was loaded; an annotation no
            // scenario object carried (a pod a user's controller made up)
            // was never parsed.
            let parsed = images
                .overrides
                .get(&(text.clone(), c.image.to_string()))
                .cloned()
                .unwrap_or_else(|| Err("not found in the scenario (overrides are parsed when it loads)".into()));
            match parsed {
                Ok(b) => {
                    cat.images.insert(c.image.to_string(), b);
                }
                Err(e) => {
                    let msg = format!("ignoring the {} annotation: {}", ANNOTATION_BEHAVIOR, e);
                    cx.event_on(true, "InvalidBehavior", "Pod", &p.meta.namespace, &p.meta.name, &msg);
                    return None;
                }
            }
        }
        Some(Rc::new(cat))
    }

    /// What the environment of the running instance of container `idx` of
    /// pod `uid` was made from: the instant of its Services
    /// (`Proc::env_as_of`) and the pod its `fieldRef`s read
    /// (`Proc::env_pod`).
    pub fn env_snapshot(&self, uid: u64, idx: usize) -> Option<(SimTime, Option<Rc<Pod>>)> {
        let p = self.workers.get(&uid)?.procs.get(idx)?;
        p.running_since.map(|_| (p.env_as_of, p.env_pod.clone()))
    }

    /// A fault injected into, or a command run in, container `idx`; `env`
    /// is the container's environment, for a command. A command's exit
    /// code and output are returned.
    pub(crate) fn container_op(
        &mut self,
        uid: u64,
        idx: usize,
        op: &ContainerOp,
        env: &[(String, String)],
        cx: &mut Cx,
    ) -> Result<Option<(i32, String)>, String> {
        // (A kubelet's handle always carries its node's image catalog.)
        let Some(images) = cx.images else { return Err("error: the node runs no container runtime".into()) };
        let Some(w) = self.workers.get_mut(&uid) else {
            return Err("error: the pod is not running on its node".into());
        };
        let proc = &w.procs[idx];
        if proc.running_since.is_none() || proc.killing {
            return Err(format!("error: container {} is not running", w.pod.spec.containers[idx].name));
        }
        let own = w.catalog.clone();
        let images = own.as_deref().unwrap_or(images);
        // Whatever happens may change what the probes see.
        let woken = matches!(op, ContainerOp::Hang | ContainerOp::Exec { .. });
        let result = self.container_op_inner(uid, idx, op, images, env, cx);
        if woken {
            self.wake_probes(uid, idx, |_, _| true, cx);
        }
        result
    }

    fn container_op_inner(
        &mut self,
        uid: u64,
        idx: usize,
        op: &ContainerOp,
        images: &ImageCatalog,
        env: &[(String, String)],
        cx: &mut Cx,
    ) -> Result<Option<(i32, String)>, String> {
        let w = self.workers.get_mut(&uid).expect("worker");
        let pod = w.pod.clone();
        let c = &pod.spec.containers[idx];
        let image = images.get(&c.image);
        let proc = &mut w.procs[idx];
        match op {
            ContainerOp::Hang => proc.hung = true,
            ContainerOp::Exec { command } => {
                // Its sleeps take no simulated time; one that never returns
                // is cut off after `EXEC_SLEEPS` of them.
                let r = exec(command, proc, image, cx.now(), SimDuration(u64::MAX), env);
                if r.unknown {
                    return Err(format!(
                        "warning: `{}` is not a simulated command; it exited {} (the image's exec default)",
                        command.join(" "),
                        r.code
                    ));
                }
                return Ok(Some((r.code, r.output)));
            }
            ContainerOp::Crash { exit_code } => self.exited(uid, idx, *exit_code, cx),
            ContainerOp::Oom => self.exited_as(uid, idx, 137, Some("OOMKilled"), cx),
            ContainerOp::Kill { signal: 15 } => {
                // SIGTERM meets the app's own handling, without a grace limit.
                let t = termination(cx.now(), SimDuration(u64::MAX / 4), None, c, image, proc, "");
                if t.exit_code != 137 {
                    self.end_dozes(uid, idx, cx.now());
                    let w = self.workers.get_mut(&uid).expect("worker");
                    let proc = &mut w.procs[idx];
                    proc.killing = true;
                    proc.kill_result = Some((t.exit_at, t.exit_code));
                    let (gen, inst) = (w.gen, proc.instance);
                    self.schedule(uid, gen, idx, Step::ContainerKilled(inst), t.exit_at, cx);
                }
            }
            ContainerOp::Kill { signal } => self.exited(uid, idx, 128 + signal, cx),
        }
        Ok(None)
    }

    /// Init container `idx` (re)starts: its image is pulled or checked as an
    /// app container's would be, then it runs.
    fn init_start(&mut self, uid: u64, idx: usize, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        let gen = w.gen;
        let c = w.pod.spec.init_containers[idx].clone();
        let (ns, name) = (w.key.namespace.clone(), w.key.name.clone());
        // A restart (after an exit or a back-off) is a new container.
        let cs = &mut Rc::make_mut(&mut w.status).init_container_statuses[idx];
        let restart = match &cs.state {
            ContainerState::Terminated(_) => true,
            ContainerState::Waiting { reason, .. } => &**reason == "CrashLoopBackOff",
            ContainerState::Running { .. } => false,
        };
        if restart {
            cs.restart_count += 1;
            cs.state = ContainerState::Waiting { reason: lit("PodInitializing"), message: None };
        }
        let cached = self.images.contains(&c.image);
        let pull = match (c.image_pull_policy, cached) {
            (PullPolicy::IfNotPresent | PullPolicy::Never, true) => None,
            (PullPolicy::Always, true) => Some(cx.cfg().image_manifest_check),
            _ => Some(images.get(&c.image).and_then(|b| b.pull).unwrap_or(cx.cfg().default_image_pull)),
        };
        let ready_at = match pull {
            None => now,
            Some(d) => {
                cx.event_on(false, "Pulling", "Pod", &ns, &name, &format_args!("Pulling image \"{}\"", c.image));
                let done = now.max(self.pull_free_at) + d;
                self.pull_free_at = done;
                self.images.insert(c.image.clone());
                done
            }
        };
        cx.event_parts_on(false, "Created", "Pod", &ns, &name, &["Created container ", &c.name]);
        let start = images.get(&c.image).and_then(|b| b.start).unwrap_or(cx.cfg().container_start);
        self.schedule(uid, gen, idx, Step::InitRunning, ready_at + start, cx);
    }

    /// Init container `idx` exited: on 0 the next one runs (or the app
    /// containers, when it was the last); otherwise it is restarted with the
    /// crash-loop back-off, or the pod fails under restartPolicy Never.
    fn init_exited(&mut self, uid: u64, idx: usize, code: Option<i32>, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        let (initial, reset) = (cx.cfg().crash_loop_backoff_initial, cx.cfg().crash_loop_backoff_reset);
        let w = self.workers.get_mut(&uid).expect("worker");
        let gen = w.gen;
        let c = &w.pod.spec.init_containers[idx];
        let code = code.unwrap_or_else(|| images.get(&c.image).map_or(0, |b| b.exit_code));
        let n = w.pod.spec.init_containers.len();
        let cs = &mut Rc::make_mut(&mut w.status).init_container_statuses[idx];
        let started_at = match cs.state {
            ContainerState::Running { started_at } => Some(started_at),
            _ => None,
        };
        cs.state = ContainerState::Terminated(terminated(code, started_at, now));
        if code == 0 {
            if idx + 1 < n {
                self.send_status_of(uid, cx);
                self.init_start(uid, idx + 1, images, cx);
            } else {
                let w = self.workers.get_mut(&uid).expect("worker");
                Rc::make_mut(&mut w.status).conditions.initialized = Some(Condition::new(CondStatus::True, now));
                for cs in &mut Rc::make_mut(&mut w.status).container_statuses {
                    cs.state = ContainerState::Waiting { reason: lit("ContainerCreating"), message: None };
                }
                self.send_status_of(uid, cx);
                self.pull(uid, 0, images, cx);
            }
            return;
        }
        if w.pod.spec.restart_policy == RestartPolicy::Never {
            // A failed init container fails the pod for good.
            Rc::make_mut(&mut w.status).phase = PodPhase::Failed;
            release(w, &mut self.admitted, &mut self.ips_in_use, now);
            self.send_status_of(uid, cx);
            return;
        }
        let (delay, entry) = crash_loop_delay(w.init_backoff[idx], now, initial, reset);
        w.init_backoff[idx] = Some(entry);
        let cs = &mut Rc::make_mut(&mut w.status).init_container_statuses[idx];
        if let ContainerState::Terminated(t) = &cs.state {
            cs.last_state = Some(t.clone());
        }
        if delay > SimDuration::ZERO {
            let msg = format!(
                "back-off {} restarting failed container={} pod={}_{}",
                delay, cs.name, w.key.name, w.key.namespace
            );
            cs.state = ContainerState::Waiting { reason: lit("CrashLoopBackOff"), message: Some(msg.into()) };
            let cname = cs.name.clone();
            back_off_event(&w.key, &cname, cx);
            if let Some(b) = w.init_backoff[idx] {
                w.init_backoff[idx] = Some(next_period(b, now + delay, cx.cfg().crash_loop_backoff_max));
            }
        }
        self.send_status_of(uid, cx);
        self.schedule(uid, gen, idx, Step::InitStart, now + delay, cx);
    }

    /// A probe result: count it, and act when a threshold is reached.
    fn apply_probe_result(
        &mut self,
        uid: u64,
        idx: usize,
        kind: ProbeKind,
        outcome: ProbeOutcome,
        images: &ImageCatalog,
        cx: &mut Cx,
    ) {
        let now = cx.now();
        let w = self.workers.get_mut(&uid).expect("worker");
        let pod = w.pod.clone();
        let c = &pod.spec.containers[idx];
        let Some(probe) = c.probes.get(kind) else { return };
        if outcome.errored {
            // `prober.probe`: the event; `worker.doProbe`: the Unknown
            // result is thrown away — no count, no restart, readiness as
            // it was.
            cx.event_on(
                true,
                "Unhealthy",
                "Pod",
                &w.key.namespace,
                &w.key.name,
                &format_args!("{} probe errored and resulted in unknown state: {}", kind.as_str(), outcome.message),
            );
            return;
        }
        if !outcome.ok {
            cx.event_on(
                true,
                "Unhealthy",
                "Pod",
                &w.key.namespace,
                &w.key.name,
                &format_args!("{} probe failed: {}", kind.as_str(), outcome.message),
            );
        }
        let proc = &mut w.procs[idx];
        if proc.killing || proc.running_since.is_none() {
            return;
        }
        let k = slot(kind);
        if outcome.ok {
            proc.successes[k] += 1;
            proc.failures[k] = 0;
        } else {
            proc.failures[k] += 1;
            proc.successes[k] = 0;
        }
        let (ok_run, fail_run) = (proc.successes[k], proc.failures[k]);
        let grace = probe.termination_grace_period_seconds.unwrap_or(pod.spec.termination_grace_period_seconds);
        match kind {
            ProbeKind::Startup if outcome.ok => {
                proc.started_ok = true;
                let cs = &mut Rc::make_mut(&mut w.status).container_statuses[idx];
                cs.started = true;
                cs.ready = c.probes.readiness.is_none();
                update_phase_and_conditions(w, now);
                self.send_status_of(uid, cx);
            }
            ProbeKind::Startup | ProbeKind::Liveness if !outcome.ok && fail_run >= probe.failure_threshold => {
                let why =
                    format!("Container {} failed {} probe, will be restarted", c.name, kind.as_str().to_lowercase());
                self.kill_container(uid, idx, &why, grace, images, cx);
            }
            ProbeKind::Readiness => {
                let cs = &mut Rc::make_mut(&mut w.status).container_statuses[idx];
                let flip = if outcome.ok {
                    ok_run >= probe.success_threshold && !cs.ready
                } else {
                    fail_run >= probe.failure_threshold && cs.ready
                };
                if flip {
                    cs.ready = outcome.ok;
                    update_phase_and_conditions(w, now);
                    self.send_status_of(uid, cx);
                }
            }
            _ => {}
        }
        // An exec run that changed the files may not repeat itself (a
        // script can toggle a file), and one that took time may be stale
        // (the files may have changed while its result was on its way,
        // waking a worker that was still ticking): only one that changed
        // nothing and answered at once lets the worker doze.
        let exec = matches!(probe.handler, Handler::Exec { .. });
        if outcome.ok && !(exec && (outcome.changed || outcome.after > SimDuration::ZERO)) {
            self.maybe_doze(uid, idx, kind, images, cx);
        }
    }

    /// Kills one container for a restart (a failed liveness or startup
    /// probe): preStop, SIGTERM, SIGKILL after the grace, as for a deletion.
    fn kill_container(&mut self, uid: u64, idx: usize, why: &str, grace: u64, images: &ImageCatalog, cx: &mut Cx) {
        let now = cx.now();
        self.end_dozes(uid, idx, now);
        let w = self.workers.get_mut(&uid).expect("worker");
        let pod = w.pod.clone();
        let c = &pod.spec.containers[idx];
        let ip = w.status.pod_ip.clone().unwrap_or_else(|| "".into());
        cx.event_on(false, "Killing", "Pod", &w.key.namespace, &w.key.name, &why);
        let gen = w.gen;
        let t = begin_kill(&mut w.procs[idx], c, grace, images, &ip, now);
        let inst = w.procs[idx].instance;
        self.schedule(uid, gen, idx, Step::ContainerKilled(inst), t.exit_at, cx);
    }

    /// The last word on a deleted pod: terminal status, then the final
    /// delete (grace 0) that removes the object.
    fn finalize(&mut self, p: &Pod, status: &PodStatus, cx: &mut Cx) {
        let mut st = status.clone();
        if !st.phase.is_terminal() {
            let all_ok = st
                .container_statuses
                .iter()
                .all(|c| matches!(&c.state, ContainerState::Terminated(t) if t.exit_code == 0));
            st.phase = if all_ok && !st.container_statuses.is_empty() { PodPhase::Succeeded } else { PodPhase::Failed };
            let mut not_ready = Condition::new(CondStatus::False, cx.now());
            not_ready.reason = Some(lit("PodCompleted"));
            st.conditions.ready = Some(not_ready.clone());
            st.conditions.containers_ready = Some(not_ready);
            sandbox_gone(&mut st, cx.now());
            cx.send_unanswered(ApiOp::PodStatus { key: Key::of(&p.meta), uid: p.meta.uid, status: Rc::new(st) });
        }
        cx.send_unanswered(ApiOp::delete_pod(Key::of(&p.meta), p.meta.uid, Some(0), None));
    }
}

/// Starts killing one container's process with `grace` seconds: preStop,
/// SIGTERM, SIGKILL (see `termination`); records when and how it ends.
fn begin_kill(
    proc: &mut Proc,
    c: &crate::objects::pod::Container,
    grace: u64,
    images: &ImageCatalog,
    ip: &str,
    now: SimTime,
) -> super::process::Termination {
    proc.killing = true;
    let t =
        termination(now, SimDuration::from_secs(grace), c.probes.pre_stop.as_ref(), c, images.get(&c.image), proc, ip);
    proc.kill_result = Some((t.exit_at, t.exit_code));
    t
}

/// `getPhase` (pkg/kubelet/kubelet_pods.go): a waiting container that has
/// run before counts as stopped; stopped containers decide by policy.
fn pod_phase(statuses: &[ContainerStatus], policy: RestartPolicy) -> PodPhase {
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in statuses {
        match &c.state {
            ContainerState::Running { .. } => running += 1,
            ContainerState::Waiting { .. } if c.last_state.is_some() => stopped += 1,
            ContainerState::Waiting { .. } => waiting += 1,
            ContainerState::Terminated(t) => {
                stopped += 1;
                if t.exit_code == 0 {
                    succeeded += 1;
                }
            }
        }
    }
    if waiting > 0 {
        PodPhase::Pending
    } else if running > 0 {
        PodPhase::Running
    } else if stopped == 0 {
        PodPhase::Pending
    } else if policy == RestartPolicy::Always {
        PodPhase::Running
    } else if stopped == succeeded {
        PodPhase::Succeeded
    } else if policy == RestartPolicy::Never {
        PodPhase::Failed
    } else {
        PodPhase::Running
    }
}

/// The crash-loop back-off (docs/kubernetes-behaviour.md §2.5) when a container exits at
/// `now`: the wait before it restarts, and the entry to keep. The first
/// exit, or one more than `reset` after the last restart decision, restarts
/// at once and starts the ladder at `initial`; later exits wait the current
/// period (which doubles, capped, when the restart happens: `next_period`).
fn crash_loop_delay(
    entry: Option<Backoff>,
    now: SimTime,
    initial: SimDuration,
    reset: SimDuration,
) -> (SimDuration, Backoff) {
    match entry {
        Some(b) if now.saturating_sub(b.last_update) <= reset => (b.period, b),
        _ => (SimDuration::ZERO, Backoff { period: initial, last_update: now }),
    }
}

/// `flowcontrol.Backoff.Next` at the restart: the period doubles, capped.
fn next_period(b: Backoff, now: SimTime, max: SimDuration) -> Backoff {
    Backoff { period: SimDuration((b.period.0 * 2).min(max.0)), last_update: now }
}

/// A terminated state as the runtime reports it: 0 is Completed, anything
/// else Error (137 from SIGKILL, 143 from SIGTERM).
fn terminated(code: i32, started_at: Option<SimTime>, finished_at: SimTime) -> TerminatedState {
    TerminatedState {
        exit_code: code,
        signal: None,
        reason: if code == 0 { lit("Completed") } else { lit("Error") },
        message: None,
        started_at,
        finished_at,
    }
}

/// The `BackOff` warning of a container waiting out its crash-loop delay.
fn back_off_event(key: &Key, container: &str, cx: &mut Cx) {
    cx.event_on(
        true,
        "BackOff",
        "Pod",
        &key.namespace,
        &key.name,
        &format_args!("Back-off restarting failed container {} in pod {}_{}", container, key.name, key.namespace),
    );
}

/// The queue keys of node status sync ticks (`| node index`): above every
/// probe tick's key (`tick_key` < 2^62), below 2^63.
const STATUS_SYNC_KEY: u64 = 1 << 62;

/// The queue key of a probe worker's ticks: unique per (pod, container,
/// probe), below 2^63 (`EventQueue::push_keyed`).
fn tick_key(uid: u64, idx: usize, kind: ProbeKind) -> u64 {
    ((uid & ((1 << 42) - 1)) << 20) | ((idx as u64 & 0x3ffff) << 2) | slot(kind) as u64
}

/// The pod is done for good: nothing of it runs any more, and its
/// requests no longer count against the node's admission.
fn release(w: &mut Worker, admitted: &mut Resources, ips: &mut [u64; 4], now: SimTime) {
    w.finished = true;
    *admitted -= w.requests;
    free_ip(ips, w);
    // The sandbox of a terminal pod is torn down: a new one would be needed.
    sandbox_gone(Rc::make_mut(&mut w.status), now);
}

/// Gives the worker's pod IP back to the node's pool.
fn free_ip(ips: &mut [u64; 4], w: &Worker) {
    let octet = w.status.pod_ip.as_deref().and_then(|ip| ip.rsplit('.').next()).and_then(|o| o.parse::<u32>().ok());
    if let Some(n) = octet.filter(|n| *n < 256) {
        ips[n as usize / 64] &= !(1 << (n % 64));
    }
}

/// `PodReadyToStartContainers` turns False once the sandbox is gone.
fn sandbox_gone(st: &mut PodStatus, now: SimTime) {
    if st.conditions.ready_to_start_containers.as_ref().is_some_and(|c| c.is_true()) {
        st.conditions.ready_to_start_containers = Some(Condition::new(CondStatus::False, now));
    }
}

/// The hostname a pod's containers see (`GeneratePodHostNameAndDomain`):
/// `spec.hostname` if given, else the pod's name cut to 63 characters
/// without a trailing `-` or `.` (`truncatePodHostnameIfNeeded`).
fn pod_hostname(p: &Pod) -> Rc<str> {
    if let Some(h) = &p.spec.hostname {
        return h.clone();
    }
    let name = &p.meta.name;
    if name.len() <= 63 {
        return name.clone();
    }
    let cut = name.char_indices().nth(63).map_or(name.len(), |(i, _)| i);
    name[..cut].trim_end_matches(['-', '.']).into()
}

/// The pod IP `10.(64 + node / 256).(node % 256).n` (a /24 per node).
fn pod_ip(node: u32, n: u32) -> Rc<str> {
    // Written digit by digit into a stack buffer: this runs for every pod.
    let mut ip = [0u8; 40];
    ip[..2].copy_from_slice(b"10");
    let mut len = 2;
    for octet in [64 + node / 256, node % 256, n] {
        ip[len] = b'.';
        len += 1;
        let mut digits = [0u8; 10];
        let (mut i, mut v) = (digits.len(), octet);
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        ip[len..len + digits.len() - i].copy_from_slice(&digits[i..]);
        len += digits.len() - i;
    }
    Rc::from(std::str::from_utf8(&ip[..len]).expect("ASCII digits"))
}

fn not_ready_cond(now: SimTime, containers: &[crate::objects::pod::Container]) -> Condition {
    let mut c = Condition::new(CondStatus::False, now);
    c.reason = Some(lit("ContainersNotReady"));
    c.message = Some(unready_message(containers.iter().map(|c| &*c.name)));
    c
}

/// `containers with unready status: [a b]`, shared: the text is drawn from
/// the pods' container names, a bounded set.
fn unready_message<'a>(names: impl Iterator<Item = &'a str>) -> Rc<str> {
    thread_local! {
        static BUF: std::cell::RefCell<String> = std::cell::RefCell::default();
    }
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        b.push_str("containers with unready status: [");
        for (i, n) in names.enumerate() {
            if i > 0 {
                b.push(' ');
            }
            b.push_str(n);
        }
        b.push(']');
        intern(&b)
    })
}

/// Pod phase and the Ready/ContainersReady conditions, derived from the
/// container states as the kubelet's `getPhase` does.
fn update_phase_and_conditions(w: &mut Worker, now: SimTime) {
    let st = Rc::make_mut(&mut w.status);
    let policy = w.pod.spec.restart_policy;
    st.phase = pod_phase(&st.container_statuses, policy);
    let ready = !st.container_statuses.is_empty() && st.container_statuses.iter().all(|c| c.ready);
    let set = |slot: &mut Option<Condition>, ready: bool, reason: Option<Rc<str>>, message: Option<Rc<str>>| {
        let status = if ready { CondStatus::True } else { CondStatus::False };
        match slot {
            Some(c) if c.status == status => {
                c.reason = reason;
                c.message = message;
            }
            _ => {
                let mut c = Condition::new(status, now);
                c.reason = reason;
                c.message = message;
                *slot = Some(c);
            }
        }
    };
    let (reason, message) = if ready {
        (None, None)
    } else if st.phase.is_terminal() {
        (Some(lit("PodCompleted")), None)
    } else {
        let message = unready_message(st.container_statuses.iter().filter(|c| !c.ready).map(|c| &*c.name));
        (Some(lit("ContainersNotReady")), Some(message))
    };
    set(&mut st.conditions.containers_ready, ready, reason.clone(), message.clone());
    set(&mut st.conditions.ready, ready, reason, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_tokens_are_handed_back_once_and_reused_after() {
        let mut t = Timers::default();
        let lease = KubeletEvent::RenewLease { epoch: 0, send: true };
        let sync = KubeletEvent::SyncNodeStatus { epoch: 0 };
        let (a, b) = (t.insert(lease), t.insert(sync));
        assert_ne!(a, b);
        assert_eq!(t.take(a), Some(lease));
        assert_eq!(t.take(a), None, "a fired timer's payload is gone");
        // The freed token is the next one given out; the other is intact.
        let list = KubeletEvent::ListResponse { seq: 3 };
        assert_eq!(t.insert(list), a);
        assert_eq!(t.take(b), Some(sync));
        assert_eq!(t.take(a), Some(list));
        assert_eq!(t.take(99), None, "an unknown token is no timer");
        t.insert(lease);
        t.clear();
        assert_eq!(t.take(0), None, "a crash drops every payload");
    }

    #[test]
    fn admission_rejections_as_predicate_go_words_them() {
        use crate::objects::pod::{PodSpec, Taint, Toleration};
        let mut k = Kubelet::new(0, "n1".into(), SimTime::ZERO);
        let mut node = crate::testutil::node("n1", 2000, 4 << 30);
        node.status.allocatable.pods = 3;
        node.spec.taints.push(Taint {
            key: "node.kubernetes.io/unreachable".into(),
            value: String::new(),
            effect: TaintEffect::NoExecute,
            time_added: None,
        });
        node.spec.taints.push(Taint {
            key: "dedicated".into(),
            value: "x".into(),
            effect: TaintEffect::NoSchedule,
            time_added: None,
        });
        k.node = Some(Rc::new(node));
        let tolerate_all =
            Toleration { key: "".into(), exists: true, value: "".into(), effect: None, toleration_seconds: None };
        let pod = |selector: Option<(&str, &str)>, tolerate: bool| Pod {
            meta: Default::default(),
            spec: Rc::new(PodSpec {
                node_selector: selector.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                tolerations: if tolerate { vec![tolerate_all.clone()] } else { vec![] },
                ..Default::default()
            }),
            status: Default::default(),
        };
        let req = |cpu_m, memory| Resources { cpu_m, memory, pods: 1 };
        let err = |p: &Pod, r: &Resources, k: &Kubelet| k.admit(p, r).err().map(|(a, b)| (a.to_string(), b));
        // (name, pod, its requests, already admitted, the rejection)
        type Case = (&'static str, Pod, Resources, Resources, Option<(&'static str, &'static str)>);
        let cases: Vec<Case> = vec![
            ("fits", pod(None, true), req(500, 1 << 30), Resources::default(), None),
            (
                "too many pods",
                pod(None, true),
                req(0, 0),
                Resources { cpu_m: 0, memory: 0, pods: 3 },
                Some(("OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3")),
            ),
            (
                "cpu",
                pod(None, true),
                req(1500, 0),
                Resources { cpu_m: 1000, memory: 0, pods: 1 },
                Some((
                    "OutOfcpu",
                    "Node didn't have enough resource: cpu, requested: 1500, used: 1000, capacity: 2000",
                )),
            ),
            (
                "memory",
                pod(None, true),
                req(0, 5 << 30),
                Resources::default(),
                Some((
                    "OutOfmemory",
                    "Node didn't have enough resource: memory, requested: 5368709120, used: 0, capacity: 4294967296",
                )),
            ),
            (
                "resources come before the node selector",
                pod(Some(("gpu", "true")), false),
                req(2500, 0),
                Resources::default(),
                Some(("OutOfcpu", "Node didn't have enough resource: cpu, requested: 2500, used: 0, capacity: 2000")),
            ),
            (
                "node selector",
                pod(Some(("gpu", "true")), true),
                req(0, 0),
                Resources::default(),
                Some((
                    "NodeAffinity",
                    "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector",
                )),
            ),
            (
                "untolerated NoExecute taint",
                pod(None, false),
                req(0, 0),
                Resources::default(),
                Some((
                    "TaintToleration",
                    "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate",
                )),
            ),
        ];
        for (name, p, r, admitted, want) in cases {
            k.admitted = admitted;
            let want = want.map(|(a, b)| (a.to_string(), b.to_string()));
            assert_eq!(err(&p, &r, &k), want, "{}", name);
        }
        // A NoSchedule taint alone does not stop admission: only the
        // NoExecute one does.
        let mut node = (**k.node.as_ref().unwrap()).clone();
        node.spec.taints.retain(|t| t.effect == TaintEffect::NoSchedule);
        k.node = Some(Rc::new(node));
        k.admitted = Resources::default();
        assert_eq!(err(&pod(None, false), &req(0, 0), &k), None);
    }

    #[test]
    fn pod_ips_are_dotted_quads() {
        assert_eq!(&*pod_ip(0, 2), "10.64.0.2");
        assert_eq!(&*pod_ip(999, 254), "10.67.231.254");
        assert_eq!(&*pod_ip(300, 10), "10.65.44.10");
    }

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn crash_loop_ladder_and_reset() {
        // A container that runs 5 s each time: waits before each restart.
        let (initial, max, reset) =
            (SimDuration::from_secs(10), SimDuration::from_secs(300), SimDuration::from_secs(600));
        let mut entry = None;
        let mut t = secs(0);
        let mut waits = Vec::new();
        for _ in 0..9 {
            t += SimDuration::from_secs(5); // runs, then exits
            let (delay, e) = crash_loop_delay(entry, t, initial, reset);
            waits.push(delay.as_secs());
            t += delay; // the restart
            entry = Some(if delay == SimDuration::ZERO { e } else { next_period(e, t, max) });
        }
        assert_eq!(waits, vec![0, 10, 20, 40, 80, 160, 300, 300, 300]);
        // Ten quiet minutes reset the ladder.
        let (delay, e) = crash_loop_delay(entry, t + SimDuration::from_secs(601), initial, reset);
        assert_eq!((delay, e.period), (SimDuration::ZERO, initial));
    }

    fn cs(state: ContainerState, restarted: bool) -> ContainerStatus {
        let done = TerminatedState {
            exit_code: 1,
            signal: None,
            reason: lit("Error"),
            message: None,
            started_at: None,
            finished_at: SimTime::ZERO,
        };
        ContainerStatus {
            name: "c".into(),
            image: "i".into(),
            ready: false,
            started: false,
            restart_count: restarted as u32,
            container_id: None,
            state,
            last_state: restarted.then_some(done),
        }
    }

    #[test]
    fn phase_as_get_phase_derives_it() {
        use RestartPolicy::*;
        let waiting = || ContainerState::Waiting { reason: lit("ContainerCreating"), message: None };
        let running = || ContainerState::Running { started_at: SimTime::ZERO };
        let exited = |code| ContainerState::Terminated(terminated(code, None, SimTime::ZERO));
        let cases: Vec<(&str, Vec<ContainerStatus>, RestartPolicy, PodPhase)> = vec![
            ("creating", vec![cs(waiting(), false)], Always, PodPhase::Pending),
            ("one running, one creating", vec![cs(running(), false), cs(waiting(), false)], Always, PodPhase::Pending),
            ("running", vec![cs(running(), false)], Never, PodPhase::Running),
            ("crash loop waiting", vec![cs(waiting(), true)], Always, PodPhase::Running),
            ("all exited 0, Never", vec![cs(exited(0), false)], Never, PodPhase::Succeeded),
            ("one failed, Never", vec![cs(exited(0), false), cs(exited(1), false)], Never, PodPhase::Failed),
            ("failed, OnFailure restarts", vec![cs(exited(1), false)], OnFailure, PodPhase::Running),
            ("exited 0, OnFailure", vec![cs(exited(0), false)], OnFailure, PodPhase::Succeeded),
            ("exited, Always restarts", vec![cs(exited(0), false)], Always, PodPhase::Running),
        ];
        for (name, statuses, policy, want) in cases {
            assert_eq!(pod_phase(&statuses, policy), want, "{}", name);
        }
    }
}
