//! Lease (`coordination.k8s.io/v1`): the node heartbeat. Each kubelet
//! holds `kube-node-lease/<node name>` and renews it every
//! `nodeLeaseRenewInterval` (`pkg/kubelet/nodelease`,
//! `staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go`);
//! the node-lifecycle controller reads `spec.renewTime` from its Lease
//! informer to decide node health.
//!
//! A renewal that changes only `spec.renewTime` is a *folded* write (see
//! `Store::renew_lease`): it is no trace record and takes no revision
//! (nothing in the control plane reads a Lease's resourceVersion). With
//! heartbeat skipping (the default) a Lease carries its renewal stream
//! instead of one write per renewal: renewals every `interval` from
//! `anchor`, until `stopped`; `renew_time_at` computes `spec.renewTime` as
//! it is at any instant.

#![warn(missing_docs)]

use super::digest::Parts;
use super::meta::ObjectMeta;
use crate::sim::trace::{Digest, Digester};
use crate::sim::{SimDuration, SimTime};

/// The namespace of node Leases (`v1.NamespaceNodeLease`).
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// `coordination/v1.LeaseSpec`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LeaseSpec {
    /// `holderIdentity`: for a node Lease, the node's name.
    pub holder_identity: Option<String>,
    /// `leaseDurationSeconds`: for a node Lease, the kubelet's
    /// `nodeLeaseDurationSeconds` (40 s by default).
    pub lease_duration_seconds: Option<i64>,
    /// `acquireTime` (not set by the kubelet's node lease controller).
    pub acquire_time: Option<SimTime>,
    /// The last renewal written (the stream's, when there is one, is
    /// computed by `Lease::renew_time_at`).
    pub renew_time: Option<SimTime>,
    /// `leaseTransitions` (not set by the kubelet's node lease
    /// controller).
    pub lease_transitions: Option<i64>,
}

/// The analytic model's renewals: at `anchor + k × interval`, strictly
/// before `stopped` (a renewal at the instant a fault strikes is lost).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewStream {
    /// The first renewal of the stream.
    pub anchor: SimTime,
    /// The renewal interval (`nodeLeaseRenewInterval`).
    pub interval: SimDuration,
    /// When the renewals stopped reaching the store (kubelet crash,
    /// partition), if they did.
    pub stopped: Option<SimTime>,
}

impl RenewStream {
    /// The last renewal at or before `t`, if any.
    pub fn last_at(&self, t: SimTime) -> Option<SimTime> {
        last_of_run(self.anchor, self.stopped, t, self.interval)
    }
}

/// The last renewal at or before `t` of a run renewing every `interval`
/// from `anchor` and stopped at `stopped` (renewals at the stop instant
/// are lost).
pub fn last_of_run(anchor: SimTime, stopped: Option<SimTime>, t: SimTime, interval: SimDuration) -> Option<SimTime> {
    let limit = match stopped {
        Some(s) if s <= t => {
            if s <= anchor {
                return None;
            }
            SimTime(s.0 - 1)
        }
        _ => t,
    };
    if limit < anchor {
        return None;
    }
    let k = (limit.0 - anchor.0) / interval.0.max(1);
    Some(SimTime(anchor.0 + k * interval.0))
}

/// `coordination/v1.Lease`: a node's heartbeat in `kube-node-lease`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The Lease's metadata; a node Lease is named after its node and owned
    /// by it (`setNodeOwnerFunc`).
    pub meta: ObjectMeta,
    /// The Lease's spec.
    pub spec: LeaseSpec,
    /// The renewal stream (heartbeat skipping), or `None`.
    pub stream: Option<RenewStream>,
}

impl Lease {
    /// `spec.renewTime` as it is at `t`.
    pub fn renew_time_at(&self, t: SimTime) -> Option<SimTime> {
        self.stream.and_then(|s| s.last_at(t)).or(self.spec.renew_time)
    }

    /// The fields a renewal does not change are the same (a renewal of
    /// these is folded).
    pub fn same_but_renewal(&self, other: &Lease) -> bool {
        let (a, b) = (&self.spec, &other.spec);
        a.holder_identity == b.holder_identity
            && a.lease_duration_seconds == b.lease_duration_seconds
            && a.acquire_time == b.acquire_time
            && a.lease_transitions == b.lease_transitions
            && self.meta.owner_references == other.meta.owner_references
    }

    /// The trace digest: everything but `renewTime` and the stream, which
    /// change by folded writes the trace does not record.
    pub fn digest_parts(&self, d: &mut Digester, parts: &Parts) {
        let Lease { meta, spec, stream: _ } = self;
        meta.digest_parts(d, parts);
        let LeaseSpec { holder_identity, lease_duration_seconds, acquire_time, renew_time: _, lease_transitions } =
            spec;
        holder_identity.as_deref().unwrap_or("").digest(d);
        lease_duration_seconds.unwrap_or(-1).digest(d);
        acquire_time.map_or(u64::MAX, |t| t.0).digest(d);
        lease_transitions.unwrap_or(-1).digest(d);
    }
}

impl Digest for Lease {
    fn digest(&self, d: &mut Digester) {
        self.digest_parts(d, &Parts::of_meta(&self.meta));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> SimTime {
        SimTime(x * 1_000_000_000)
    }

    #[test]
    fn stream_reads_the_last_renewal_before_a_stop() {
        let i = SimDuration::from_secs(10);
        let st = RenewStream { anchor: s(0), interval: i, stopped: Some(s(120)) };
        // The renewal due at 120 s is lost: the fault wins the tie.
        assert_eq!(st.last_at(SimTime::MAX), Some(s(110)));
        assert_eq!(st.last_at(s(95)), Some(s(90)));
        let running = RenewStream { stopped: None, ..st };
        assert_eq!(running.last_at(s(125)), Some(s(120)));
        assert_eq!(RenewStream { anchor: s(130), ..running }.last_at(s(129)), None);
        let lease = Lease {
            meta: ObjectMeta::default(),
            spec: LeaseSpec { renew_time: Some(s(7)), ..Default::default() },
            stream: Some(RenewStream { anchor: s(130), interval: i, stopped: None }),
        };
        // Before the stream's first renewal, the written one.
        assert_eq!(lease.renew_time_at(s(129)), Some(s(7)));
        assert_eq!(lease.renew_time_at(s(155)), Some(s(150)));
    }
}
