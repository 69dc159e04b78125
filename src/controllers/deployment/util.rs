//! The deployment controller's arithmetic, as `pkg/controller/deployment/
//! util/deployment_util.go` and the helpers of `sync.go` and
//! `progress.go` compute it: pure functions over a Deployment and its
//! ReplicaSets, each named after its Go original and tested with the
//! upstream table cases.

#![warn(missing_docs)]

use crate::kinds::deployment::{ConditionType, Deployment, DeploymentCondition, DeploymentStatus, Strategy};
use crate::objects::pod::CondStatus;
use crate::objects::replicaset::{PodTemplate, ReplicaSet};
use crate::sim::trace::Digester;
use crate::sim::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// `apps.DefaultDeploymentUniqueLabelKey`.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// `RevisionAnnotation`.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// `RevisionHistoryAnnotation`.
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
/// `DesiredReplicasAnnotation`.
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
/// `MaxReplicasAnnotation`.
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

/// Reasons of the Deployment conditions (`deployment_util.go`).
pub mod reason {
    /// `NewReplicaSetReason`.
    pub const NEW_REPLICA_SET: &str = "NewReplicaSetCreated";
    /// `FoundNewRSReason`.
    pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
    /// `ReplicaSetUpdatedReason`.
    pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
    /// `NewRSAvailableReason`.
    pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
    /// `TimedOutReason`.
    pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
    /// `PausedDeployReason`.
    pub const PAUSED: &str = "DeploymentPaused";
    /// `ResumedDeployReason`.
    pub const RESUMED: &str = "DeploymentResumed";
    /// `MinimumReplicasAvailable`.
    pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
    /// `MinimumReplicasUnavailable`.
    pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
}

/// Annotations a ReplicaSet does not copy from its Deployment
/// (`skipCopyAnnotation`).
const SKIP_COPY: [&str; 5] =
    ["kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS];

/// `getNonNegativeInt32FromAnnotation`: a missing, malformed or negative
/// value is no value.
fn int_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    rs.meta.annotations.get(key).and_then(|v| v.parse().ok()).filter(|v: &i32| *v >= 0)
}

/// `HasProgressDeadline`: `progressDeadlineSeconds` is set and not
/// MaxInt32 (which means "no deadline").
pub fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec.progress_deadline_seconds != i32::MAX
}

/// `Revision`: the ReplicaSet's revision annotation, 0 when absent.
pub fn revision(rs: &ReplicaSet) -> i64 {
    rs.meta.annotations.get(REVISION).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// `MaxRevision`.
pub fn max_revision<'a>(sets: impl IntoIterator<Item = &'a ReplicaSet>) -> i64 {
    sets.into_iter().map(revision).max().unwrap_or(0)
}

/// The `desired-replicas` annotation (`GetDesiredReplicasAnnotation`).
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    int_annotation(rs, DESIRED_REPLICAS)
}

/// `MaxSurge`: `maxSurge` resolved (0 for Recreate).
pub fn max_surge(d: &Deployment) -> i32 {
    d.max_surge()
}

/// `MaxUnavailable`.
pub fn max_unavailable(d: &Deployment) -> i32 {
    d.max_unavailable()
}

/// The annotations of a ReplicaSet, shared until changed.
pub type Annotations = std::rc::Rc<BTreeMap<String, String>>;

/// `ReplicasAnnotationsNeedUpdate`.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    replicas_annotations_differ(&rs.meta.annotations, desired, max)
}

fn replicas_annotations_differ(a: &BTreeMap<String, String>, desired: i32, max: i32) -> bool {
    let is = |k: &str, v: i32| a.get(k).is_some_and(|s| *s == v.to_string());
    !is(DESIRED_REPLICAS, desired) || !is(MAX_REPLICAS, max)
}

/// `SetReplicasAnnotations`: whether anything changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    set_replicas_annotations_in(&mut rs.meta.annotations, desired, max)
}

fn set_replicas_annotations_in(annotations: &mut Annotations, desired: i32, max: i32) -> bool {
    if !replicas_annotations_differ(annotations, desired, max) {
        return false;
    }
    let a = std::rc::Rc::make_mut(annotations);
    a.insert(DESIRED_REPLICAS.into(), desired.to_string());
    a.insert(MAX_REPLICAS.into(), max.to_string());
    true
}

/// `maxRevHistoryLengthInChars`: the longest `revision-history` annotation
/// the controller writes.
pub const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;

/// The `revision-history` annotation with `old` appended, the oldest
/// revisions dropped first to stay within
/// `MAX_REV_HISTORY_LENGTH_IN_CHARS`; `None` when even that cannot make
/// room ("Not appending revision due to revision history length limit
/// reached"), which leaves the annotation as it was.
pub fn append_revision_history(history: Option<&str>, old: &str) -> Option<String> {
    let history = history.unwrap_or("");
    if history.is_empty() {
        return Some(old.to_string());
    }
    let revisions: Vec<&str> = history.split(',').collect();
    let mut total = history.len() + old.len() + 1;
    let mut start = 0;
    while total > MAX_REV_HISTORY_LENGTH_IN_CHARS && start < revisions.len() {
        total -= revisions[start].len() + 1;
        start += 1;
    }
    if total > MAX_REV_HISTORY_LENGTH_IN_CHARS {
        return None;
    }
    let mut kept = revisions[start..].to_vec();
    kept.push(old);
    Some(kept.join(","))
}

/// `SetNewReplicaSetAnnotations` on a ReplicaSet's annotations: copies the
/// Deployment's annotations, raises the revision to `new_revision`
/// (keeping the one it replaces in `revision-history`, as a rollback
/// does), and, for a ReplicaSet about to be created (`!exists`), sets the
/// replicas annotations. Whether anything changed; the map is copied only
/// then (a sync that finds its new ReplicaSet up to date copies nothing).
pub fn set_new_replica_set_annotations(
    d: &Deployment,
    annotations: &mut Annotations,
    new_revision: i64,
    exists: bool,
) -> bool {
    let mut changed = false;
    // `copyDeploymentAnnotationsToReplicaSet`.
    for (k, v) in d.meta.annotations.iter() {
        if SKIP_COPY.contains(&k.as_str()) || annotations.get(k) == Some(v) {
            continue;
        }
        std::rc::Rc::make_mut(annotations).insert(k.clone(), v.clone());
        changed = true;
    }
    let old = annotations.get(REVISION);
    let old_rev: i64 = old.and_then(|v| v.parse().ok()).unwrap_or(0);
    if old_rev < new_revision {
        let old = old.cloned();
        let a = std::rc::Rc::make_mut(annotations);
        a.insert(REVISION.into(), new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            if let Some(history) = append_revision_history(a.get(REVISION_HISTORY).map(String::as_str), &old) {
                a.insert(REVISION_HISTORY.into(), history);
            }
        }
    }
    if !exists && set_replicas_annotations_in(annotations, d.spec.replicas, d.spec.replicas + max_surge(d)) {
        changed = true;
    }
    changed
}

/// `EqualIgnoreHash`: the templates are equal but for the
/// `pod-template-hash` label.
pub fn equal_ignore_hash(a: &PodTemplate, b: &PodTemplate) -> bool {
    if std::rc::Rc::ptr_eq(&a.spec, &b.spec) || *a.spec == *b.spec {
        fn strip(l: &BTreeMap<String, String>) -> impl Iterator<Item = (&String, &String)> {
            l.iter().filter(|(k, _)| *k != POD_TEMPLATE_HASH)
        }
        a.annotations == b.annotations && strip(&a.labels).eq(strip(&b.labels))
    } else {
        false
    }
}

/// `ComputeHash`: the `pod-template-hash` of a template and the
/// Deployment's `collisionCount`, as `rand.SafeEncodeString` of the
/// decimal FNV-32a hash. Upstream hashes the Go printing of the template;
/// kubesim hashes the template's digest, so names differ from a real
/// cluster's but are as stable (same template, same name).
pub fn compute_hash(t: &PodTemplate, collision_count: Option<i32>) -> String {
    let mut d = Digester::new();
    let PodTemplate { labels, annotations, spec } = t;
    use crate::sim::trace::Digest;
    labels.digest(&mut d);
    annotations.digest(&mut d);
    spec.digest(&mut d);
    let mut bytes = d.finish().to_le_bytes().to_vec();
    if let Some(c) = collision_count {
        bytes.extend_from_slice(&c.to_le_bytes());
    }
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    safe_encode(&h.to_string())
}

/// `rand.SafeEncodeString`: each byte mapped into an alphabet without
/// vowels or look-alike digits.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes().map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char).collect()
}

/// `ReplicaSetsByCreationTimestamp`: older first, then by name.
pub fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    a.meta.creation_timestamp.cmp(&b.meta.creation_timestamp).then_with(|| a.meta.name.cmp(&b.meta.name))
}

/// `ReplicaSetsBySizeOlder`: larger first; equal sizes older first.
pub fn by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    b.spec.replicas.cmp(&a.spec.replicas).then_with(|| by_creation(a, b))
}

/// `ReplicaSetsBySizeNewer`: larger first; equal sizes newer first.
pub fn by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    b.spec.replicas.cmp(&a.spec.replicas).then_with(|| by_creation(b, a))
}

/// `ReplicaSetsByRevision`: lower revision first, then older.
pub fn by_revision(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    revision(a).cmp(&revision(b)).then_with(|| by_creation(a, b))
}

/// `GetReplicaCountForReplicaSets`: the sum of `spec.replicas`.
pub fn replica_count<'a>(sets: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    sets.into_iter().map(|r| r.spec.replicas).sum()
}

/// `GetActualReplicaCountForReplicaSets`: the sum of `status.replicas`.
pub fn actual_replica_count<'a>(sets: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    sets.into_iter().map(|r| r.status.replicas).sum()
}

/// `GetAvailableReplicaCountForReplicaSets`.
pub fn available_replica_count<'a>(sets: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    sets.into_iter().map(|r| r.status.available_replicas).sum()
}

/// `GetReadyReplicaCountForReplicaSets`.
pub fn ready_replica_count<'a>(sets: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    sets.into_iter().map(|r| r.status.ready_replicas).sum()
}

/// `NewRSNewReplicas`: how big the new ReplicaSet may grow now.
pub fn new_rs_new_replicas<'a>(
    d: &Deployment,
    all: impl IntoIterator<Item = &'a ReplicaSet>,
    new_rs: &ReplicaSet,
) -> i32 {
    match d.spec.strategy {
        Strategy::Recreate => d.spec.replicas,
        Strategy::RollingUpdate { max_surge, .. } => {
            // The surge alone, rounded up (not the fenceposts).
            let surge = max_surge.scaled(d.spec.replicas, true);
            let current = replica_count(all);
            let max_total = d.spec.replicas + surge;
            if current >= max_total {
                return new_rs.spec.replicas;
            }
            let up = (max_total - current).min(d.spec.replicas - new_rs.spec.replicas);
            new_rs.spec.replicas + up
        }
    }
}

/// `IsSaturated`: the new ReplicaSet has all the Deployment's pods, all
/// available.
pub fn is_saturated(d: &Deployment, rs: &ReplicaSet) -> bool {
    desired_replicas_annotation(rs) == Some(d.spec.replicas)
        && rs.spec.replicas == d.spec.replicas
        && rs.status.available_replicas == d.spec.replicas
}

/// `getReplicaSetFraction`: the ReplicaSet's share of a scaling, from the
/// size it had when the Deployment was last `max-replicas` big.
pub fn replica_set_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if d.spec.replicas == 0 {
        return -rs.spec.replicas;
    }
    let deployment_replicas = d.spec.replicas + max_surge(d);
    // A missing or zero annotation falls back to the Deployment's
    // `status.replicas`; with that zero too there is no share (PR #128535).
    let annotated = match int_annotation(rs, MAX_REPLICAS).filter(|a| *a > 0) {
        Some(a) => a,
        None => d.status.replicas,
    };
    if annotated <= 0 {
        return 0;
    }
    let size = (rs.spec.replicas as f64 * deployment_replicas as f64) / annotated as f64;
    size.round() as i32 - rs.spec.replicas
}

/// `GetReplicaSetProportion` (formerly `GetProportion`): how many replicas this ReplicaSet gains (or loses)
/// of `to_add`, `added` being handed out already.
pub fn proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs.spec.replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `DeploymentComplete`.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    status.updated_replicas == d.spec.replicas
        && status.replicas == d.spec.replicas
        && status.available_replicas == d.spec.replicas
        && status.observed_generation >= d.meta.generation
}

/// `DeploymentProgressing`: more updated, fewer old, more ready or more
/// available pods than the stored status says.
pub fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = &d.status;
    let old_old = old.replicas - old.updated_replicas;
    let new_old = new.replicas - new.updated_replicas;
    new.updated_replicas > old.updated_replicas
        || new_old < old_old
        || new.ready_replicas > old.ready_replicas
        || new.available_replicas > old.available_replicas
}

/// `DeploymentTimedOut`: no progress for `progressDeadlineSeconds` since
/// the Progressing condition's `lastUpdateTime`.
pub fn deployment_timed_out(d: &Deployment, new: &DeploymentStatus, now: SimTime) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = new.condition(ConditionType::Progressing) else { return false };
    if c.reason == reason::NEW_RS_AVAILABLE {
        return false;
    }
    if c.reason == reason::TIMED_OUT {
        return true;
    }
    c.last_update_time + SimDuration::from_secs(d.spec.progress_deadline_seconds as u64) < now
}

/// `NewDeploymentCondition`.
pub fn condition(
    type_: ConditionType,
    status: CondStatus,
    reason: &'static str,
    message: String,
    now: SimTime,
) -> DeploymentCondition {
    DeploymentCondition { type_, status, last_update_time: now, last_transition_time: now, reason, message }
}

/// `SetDeploymentCondition`: a condition with the same status and reason
/// is left as it is; otherwise it replaces the old one (moving to the
/// end), keeping its `lastTransitionTime` when the status is unchanged.
pub fn set_condition(status: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = status.condition(c.type_) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time;
        }
    }
    remove_condition(status, c.type_);
    status.conditions.push(c);
}

/// `RemoveDeploymentCondition`.
pub fn remove_condition(status: &mut DeploymentStatus, t: ConditionType) {
    status.conditions.retain(|c| c.type_ != t);
}

/// `calculateStatus`: the status from the ReplicaSets, with the
/// Available condition.
pub fn calculate_status<'a>(
    all: impl Iterator<Item = &'a ReplicaSet> + Clone,
    new_rs: Option<&ReplicaSet>,
    d: &Deployment,
    now: SimTime,
) -> DeploymentStatus {
    let available = available_replica_count(all.clone());
    let total = replica_count(all.clone());
    let mut status = DeploymentStatus {
        observed_generation: d.meta.generation,
        replicas: actual_replica_count(all.clone()),
        updated_replicas: new_rs.map_or(0, |r| r.status.replicas),
        ready_replicas: ready_replica_count(all),
        available_replicas: available,
        unavailable_replicas: (total - available).max(0),
        conditions: d.status.conditions.clone(),
        collision_count: d.status.collision_count,
    };
    let c = if available >= d.spec.replicas - max_unavailable(d) {
        condition(
            ConditionType::Available,
            CondStatus::True,
            reason::MIN_AVAILABLE,
            "Deployment has minimum availability.".into(),
            now,
        )
    } else {
        condition(
            ConditionType::Available,
            CondStatus::False,
            reason::MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.".into(),
            now,
        )
    };
    set_condition(&mut status, c);
    status
}
