//! What components share with the event loop: the closed `Event` enum, the
//! `Client` identities, and `Ctx`, the handle a handler gets to schedule
//! events, send API requests and record Kubernetes Events.
//!
//! A request leaves its client when the client's rate limiter allows it
//! (client-go's token bucket: QPS and burst, modelled exactly as a GCRA
//! reservation), then reaches the store after `apiLatency`.

use crate::config::Config;
use crate::controllers::{nodelifecycle, replication, scheduler, tainteviction};
use crate::nodes::kubelet;
use crate::objects::store::{ApiError, ApiOp, WatchEvent};
use crate::sim::trace::{Message, Trace};
use crate::sim::{EventQueue, SimDuration, SimTime};
use std::fmt;

/// Who sends a request; errors are returned to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Client {
    /// `kubectl` and the scenario's timeline.
    User,
    Scheduler,
    Replication,
    NodeLifecycle,
    TaintEviction,
    PodGc,
    GarbageCollector,
    Kubelet(u32),
}

impl Client {
    /// Which rate limiter the client's requests go through: the controllers
    /// share kube-controller-manager's client.
    fn limiter(self) -> Option<usize> {
        match self {
            Client::Scheduler => Some(0),
            Client::Replication
            | Client::NodeLifecycle
            | Client::TaintEviction
            | Client::PodGc
            | Client::GarbageCollector => Some(1),
            Client::User | Client::Kubelet(_) => None,
        }
    }
}

/// Every event of the simulation. A closed enum: a forgotten handler is a
/// compile error (STYLE.md principle 3).
#[derive(Debug)]
pub enum Event {
    /// A write request reaches the apiserver.
    Api {
        from: Client,
        op: Box<ApiOp>,
    },
    /// A failed request's error reaches its client.
    ApiFailed {
        to: Client,
        failed: Box<(ApiOp, ApiError)>,
    },
    /// A write reaches every informer.
    Watch(WatchEvent),
    Scheduler(scheduler::SchedEvent),
    Replication(replication::RcEvent),
    NodeLifecycle(nodelifecycle::NlcEvent),
    TaintEviction(tainteviction::TeEvent),
    PodGc,
    Kubelet {
        node: u32,
        ev: kubelet::KubeletEvent,
    },
    /// The i-th entry of the scenario's timeline.
    Timeline(usize),
    /// The create of the i-th pod of a workload trace reaches the
    /// apiserver (it left the client at the pod's arrival).
    Workload(usize),
}

/// A GCRA token bucket: `tat` is the theoretical arrival time.
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    tat: u64,
}

impl Bucket {
    /// Reserves a slot at or after `now`; returns when the request may go.
    fn reserve(&mut self, now: SimTime, qps: u32, burst: u32) -> SimTime {
        let interval = 1_000_000_000 / qps.max(1) as u64;
        let tolerance = interval * (burst.max(1) as u64 - 1);
        let send = now.0.max(self.tat.saturating_sub(tolerance));
        self.tat = self.tat.max(send) + interval;
        SimTime(send)
    }
}

#[derive(Default)]
pub struct Throttles {
    buckets: [Bucket; 2],
}

/// The handle a component gets while it handles an event.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub cfg: &'a Config,
    pub(crate) queue: &'a mut EventQueue<Event>,
    pub(crate) trace: &'a mut Trace,
    pub(crate) throttles: &'a mut Throttles,
}

impl<'a> Ctx<'a> {
    /// Sends a write request to the apiserver.
    pub fn send(&mut self, from: Client, op: ApiOp) {
        let leave = match from.limiter() {
            Some(0) => self.throttles.buckets[0].reserve(self.now, self.cfg.scheduler_qps, self.cfg.scheduler_burst),
            Some(_) => self.throttles.buckets[1].reserve(self.now, self.cfg.kcm_qps, self.cfg.kcm_burst),
            None => self.now,
        };
        if leave == self.now {
            self.queue.push_after(self.cfg.api_latency, Event::Api { from, op: Box::new(op) });
        } else {
            self.queue.push(leave + self.cfg.api_latency, Event::Api { from, op: Box::new(op) });
        }
    }

    pub fn at(&mut self, t: SimTime, ev: Event) {
        self.queue.push(t, ev);
    }

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
