//! The Job controller (`pkg/controller/job`, kube-controller-manager's
//! `job-controller`): runs a Job's pods to completion.
//!
//! `sync_job` is upstream's `syncJob` step by step, on one Job and its
//! pods, as a function of them (the table tests in `tests.rs` call it
//! as upstream's call `syncJob`):
//! - pods are counted once each: a terminated pod of a running Job is
//!   counted into `status.succeeded`/`failed` (for an Indexed Job, its
//!   index into `completedIndexes`) and then released (upstream removes
//!   its `batch.kubernetes.io/job-tracking` finalizer). A pod deleted
//!   before it was counted is kept by the controller until it is (the
//!   finalizer kept it in the API upstream) and counts as failed;
//! - the Job fails (`FailureTarget`, then `Failed` once no pod is
//!   terminating) when a pod matches a `FailJob` rule of its
//!   `podFailurePolicy`, when more than `backoffLimit` pods failed (or,
//!   under `restartPolicy: OnFailure`, its running pods restarted
//!   `backoffLimit` times in all), or when it ran `activeDeadlineSeconds`;
//!   its active pods are deleted then;
//! - `manageJob`: a suspended Job's pods are deleted; otherwise the
//!   controller keeps `min(parallelism, completions − succeeded)` pods
//!   active (a work queue without `completions`: `parallelism` until the
//!   first success), at most 500 creates or deletes per sync, deletes
//!   first; after failures new pods wait the pod-failure back-off (10 s
//!   doubling per failure since the last success, at most 10 min, from
//!   the last failure's finish time); an Indexed Job creates the lowest
//!   pending indexes, with the index in an annotation and a label,
//!   `<job>-<index>-` as the pod name's prefix, `<job>-<index>` as its
//!   hostname and `JOB_COMPLETION_INDEX` in every container's env;
//! - the Job completes (`SuccessCriteriaMet`, then `Complete` with
//!   `completionTime`) once `completions` pods succeeded (a work queue:
//!   one did and none is active).
//!
//! The events are upstream's (`SuccessfulCreate`, `SuccessfulDelete`,
//! `Completed`, `BackoffLimitExceeded`, `DeadlineExceeded`,
//! `PodFailurePolicy`, `Suspended`, `Resumed`). Syncs are queued as
//! upstream queues them: a new Job at once, a pod change or a status
//! update of the same generation after the 1 s batch period.
//! Simplifications: creates are sent together (no slow-start batches: a
//! failed create only lowers the expectations), the tracking finalizer is
//! the controller's own record rather than a field of the pod, and pods
//! are not adopted or released (`ClaimPods`).
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared informers, queues its syncs on its own timers and sends as
//! `"job-controller"`; a pod create's or delete's answer comes back to
//! `on_response` (its Events, the expectations, the rate-limited requeue).
//! A crash loses the expectations, the back-off records, the statuses it
//! wrote and the pods it had counted; the restarted controller relists.

#![warn(missing_docs)]

#[cfg(test)]
mod tests;

use crate::component::{Controller, Cx, RequestId};
use crate::kinds::job::{
    format_indexes, parse_indexes, CompletionMode, FailureAction, FailurePolicyRule, Job, JobCondition,
    JobConditionType as Ct, PodReplacementPolicy, COMPLETION_INDEX,
};
use crate::objects::env::{EnvSource, EnvVar};
use crate::objects::meta::{ObjectMeta, OwnerReference};
use crate::objects::pod::{CondStatus, Container, ContainerState, Pod, PodPhase, PodSpec, PodStatus, RestartPolicy};
use crate::objects::store::ApiError;
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::typed::TypedObject;
use crate::objects::{Kind, Object};
use crate::sim::{SimDuration, SimTime};
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;
type Set<K> = IndexSet<K, FxBuildHasher>;

/// The controller's event source.
pub(crate) const SOURCE: &str = "job-controller";
/// `MaxPodCreateDeletePerSync`.
pub const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;
/// `MaxUncountedPods`: pods counted per sync.
const MAX_UNCOUNTED_PODS: usize = 500;
/// `DefaultJobPodFailureBackOff`.
pub const DEFAULT_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(10);
/// `MaxJobPodFailureBackOff`.
pub const MAX_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(600);
/// `syncJobBatchPeriod`: pod events reach the queue this late.
const SYNC_BATCH_PERIOD: SimDuration = SimDuration::from_secs(1);
/// `ExpectationsTimeout`.
const EXPECTATIONS_TIMEOUT: SimDuration = SimDuration::from_secs(300);
/// The work queue's rate limiter for a failed sync
/// (`DefaultJobApiBackOff` doubling to `MaxJobApiBackOff`).
const API_BACKOFF: (SimDuration, SimDuration) = (SimDuration::from_secs(1), SimDuration::from_secs(60));

/// The feature gates that change `syncJob` (v1.32 turns them all on; the
/// upstream table tests turn some off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gates {
    /// `JobPodReplacementPolicy`: `status.terminating` is tracked, and
    /// `podReplacementPolicy: Failed` waits for terminating pods.
    pub pod_replacement_policy: bool,
    /// `JobManagedBy`.
    pub managed_by: bool,
    /// `JobSuccessPolicy`: the success conditions carry the reason
    /// `CompletionsReached`.
    pub success_policy: bool,
}

impl Gates {
    /// Kubernetes v1.32's defaults.
    pub const V1_32: Gates = Gates { pod_replacement_policy: true, managed_by: true, success_policy: true };

    /// `delayTerminalCondition`: `FailureTarget`/`SuccessCriteriaMet`
    /// first, `Failed`/`Complete` once no pod is terminating.
    fn delay_terminal_condition(self) -> bool {
        self.managed_by || self.pod_replacement_policy
    }

    /// `onlyReplaceFailedPods`.
    fn only_replace_failed(self, job: &Job) -> bool {
        (self.pod_replacement_policy && job.spec.pod_replacement_policy == PodReplacementPolicy::Failed)
            || job.spec.pod_failure_policy.is_some()
    }
}

/// The pod-failure back-off of one Job (`backoffRecord`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackoffRecord {
    /// Failures since the last success.
    pub failures_after_last_success: u32,
    /// When the last of them finished.
    pub last_failure_time: Option<SimTime>,
}

impl BackoffRecord {
    /// `getRemainingTime`: how long pod creation still waits.
    pub fn remaining(&self, now: SimTime) -> SimDuration {
        let Some(last) = self.last_failure_time else { return SimDuration::ZERO };
        if self.failures_after_last_success == 0 {
            return SimDuration::ZERO;
        }
        let mut backoff = DEFAULT_POD_FAILURE_BACKOFF;
        for _ in 1..self.failures_after_last_success {
            backoff = SimDuration(backoff.0 * 2);
            if backoff >= MAX_POD_FAILURE_BACKOFF {
                backoff = MAX_POD_FAILURE_BACKOFF;
                break;
            }
        }
        let elapsed = now.saturating_sub(last);
        if backoff < elapsed {
            SimDuration::ZERO
        } else {
            SimDuration(backoff.0 - elapsed.0)
        }
    }

    /// `newBackoffRecord`: the record after these newly finished pods.
    pub fn after(self, new_succeeded: &[&Rc<Pod>], new_failed: &[&Rc<Pod>]) -> BackoffRecord {
        let times = |pods: &[&Rc<Pod>]| {
            let mut t: Vec<SimTime> = pods.iter().map(|p| finished_time(p)).collect();
            t.sort();
            t
        };
        let (succ, failed) = (times(new_succeeded), times(new_failed));
        match (succ.last(), failed.is_empty()) {
            (None, true) => self,
            (None, false) => BackoffRecord {
                failures_after_last_success: self.failures_after_last_success + failed.len() as u32,
                last_failure_time: failed.last().copied(),
            },
            (Some(_), true) => BackoffRecord::default(),
            (Some(&last_success), false) => {
                let mut r = BackoffRecord::default();
                for &t in failed.iter().rev() {
                    if t <= last_success {
                        break;
                    }
                    r.last_failure_time.get_or_insert(t);
                    r.failures_after_last_success += 1;
                }
                r
            }
        }
    }
}

/// `getFinishedTime`: when every container terminated, the last finish;
/// else when Ready turned False; else the deletion time less its grace;
/// else the pod's creation.
pub fn finished_time(p: &Pod) -> SimTime {
    let mut latest: Option<SimTime> = None;
    let mut all = !p.status.container_statuses.is_empty();
    for c in &p.status.container_statuses {
        match &c.state {
            ContainerState::Terminated(t) => latest = Some(latest.map_or(t.finished_at, |l| l.max(t.finished_at))),
            _ => all = false,
        }
    }
    if all {
        if let Some(t) = latest {
            return t;
        }
    }
    if let Some(c) = p.status.conditions.ready.as_ref().filter(|c| c.status == CondStatus::False) {
        return c.last_transition_time;
    }
    if let Some(d) = p.meta.deletion_timestamp {
        return SimTime(
            d.0.saturating_sub(SimDuration::from_secs(p.meta.deletion_grace_period_seconds.unwrap_or(0)).0),
        );
    }
    p.meta.creation_timestamp
}

/// `getCompletionIndex`: the pod's completion index annotation.
pub fn completion_index(p: &Pod) -> Option<i32> {
    p.meta.annotations.get(COMPLETION_INDEX).and_then(|v| v.parse::<i32>().ok()).filter(|i| *i >= 0)
}

/// `isPodFailed`: Failed, or (unless only failed pods are replaced)
/// deleted before it succeeded.
fn is_pod_failed(p: &Pod, job: &Job, gates: Gates) -> bool {
    if p.status.phase == PodPhase::Failed {
        return true;
    }
    if gates.only_replace_failed(job) {
        return false;
    }
    p.meta.deletion_timestamp.is_some() && p.status.phase != PodPhase::Succeeded
}

/// `matchPodFailurePolicy`: the FailJob message, whether the failure
/// counts toward `backoffLimit`, and the action of the matching rule.
pub fn match_pod_failure_policy(rules: &[FailurePolicyRule], p: &Pod) -> (Option<String>, bool, Option<FailureAction>) {
    for (index, rule) in rules.iter().enumerate() {
        let hit: Option<String> = if let Some(req) = &rule.on_exit_codes {
            p.status.container_statuses.iter().chain(p.status.init_container_statuses.iter()).find_map(|c| {
                let ContainerState::Terminated(t) = &c.state else { return None };
                if req.container_name.as_deref().is_some_and(|n| n != &*c.name) || t.exit_code == 0 {
                    return None;
                }
                (req.values.contains(&t.exit_code) == req.operator_in).then(|| {
                    format!(
                        "Container {} for pod {}/{} failed with exit code {} matching FailJob rule at index {}",
                        c.name, p.meta.namespace, p.meta.name, t.exit_code, index
                    )
                })
            })
        } else {
            // `matchOnPodConditions`: the pod's conditions in order, each
            // against every pattern; the first pair of equal type and
            // status matches.
            p.status.conditions.named().into_iter().find_map(|(name, c)| {
                let c = c.as_ref()?;
                let (t, _) = rule.on_pod_conditions.iter().find(|(t, s)| t == name && *s == c.status)?;
                Some(format!(
                    "Pod {}/{} has condition {} matching FailJob rule at index {}",
                    p.meta.namespace, p.meta.name, t, index
                ))
            })
        };
        let Some(msg) = hit else { continue };
        match rule.action {
            FailureAction::Ignore => return (None, false, Some(FailureAction::Ignore)),
            FailureAction::Count => return (None, true, Some(FailureAction::Count)),
            FailureAction::FailJob => return (Some(msg), true, Some(FailureAction::FailJob)),
            // Needs backoffLimitPerIndex (not simulated): the next rule.
            FailureAction::FailIndex => {}
        }
    }
    (None, true, None)
}

/// `controller.ActivePods`' order: the pod to delete first first
/// (unassigned, Pending < Unknown < Running, not ready, ready more
/// recently, more restarts, newer).
fn active_pods_order(pods: &mut [Rc<Pod>]) {
    pods.sort_by_key(|p| {
        let phase = match p.status.phase {
            PodPhase::Pending => 0u8,
            PodPhase::Unknown => 1,
            _ => 2,
        };
        let ready = p.is_ready();
        let since = if ready { p.status.conditions.ready.as_ref().map(|c| c.last_transition_time) } else { None };
        (
            p.spec.node_name.is_some(),
            phase,
            ready,
            Reverse(since),
            Reverse(p.max_restart_count()),
            Reverse(p.meta.creation_timestamp),
            Reverse(p.meta.uid),
        )
    });
}

/// `activePodsForRemoval`.
fn active_pods_for_removal(job: &Job, active: &[Rc<Pod>], rm_at_least: usize) -> Vec<Rc<Pod>> {
    let mut rm: Vec<Rc<Pod>> = Vec::new();
    let mut left: Vec<Rc<Pod>> = Vec::new();
    if job.spec.completion_mode == CompletionMode::Indexed {
        let completions = job.spec.completions.unwrap_or(0);
        // `appendDuplicatedIndexPodsForRemoval`: pods without a valid
        // index go; of each repeated index, all but the most advanced.
        let mut by_index: std::collections::BTreeMap<i32, Vec<Rc<Pod>>> = Default::default();
        for p in active {
            match completion_index(p) {
                Some(i) if i < completions => by_index.entry(i).or_default().push(p.clone()),
                _ => rm.push(p.clone()),
            }
        }
        for (_, mut pods) in by_index {
            active_pods_order(&mut pods);
            let keep = pods.pop().expect("a group has a pod");
            rm.extend(pods);
            left.push(keep);
        }
    } else {
        left = active.to_vec();
    }
    if rm.len() < rm_at_least {
        active_pods_order(&mut left);
        let n = rm_at_least - rm.len();
        rm.extend(left.into_iter().take(n));
    }
    rm
}

/// What one `syncJob` sees of a Job's pods.
pub struct SyncInput<'a> {
    /// The Job, from the informer's cache.
    pub job: &'a Job,
    /// The pods it controls, terminated and terminating ones too (and
    /// ones deleted before they were counted).
    pub pods: &'a [Rc<Pod>],
    /// Whether a pod still has the tracking finalizer (is not counted).
    pub uncounted: &'a dyn Fn(&Pod) -> bool,
    /// The controller's expectations are satisfied.
    pub satisfied: bool,
    /// The Job's pod-failure back-off record.
    pub backoff: BackoffRecord,
    /// Now.
    pub now: SimTime,
    /// The feature gates.
    pub gates: Gates,
}

/// What one `syncJob` does.
#[derive(Debug, Default)]
pub struct SyncOutput {
    /// The status to write, when it changed.
    pub status: Option<crate::kinds::job::JobStatus>,
    /// Pods to create: `Some(index)` for an Indexed Job.
    pub creates: Vec<Option<i32>>,
    /// Pods to delete, and whether the finalizer goes first (`manageJob`'s
    /// deletes: the pod is then never counted).
    pub deletes: Vec<(Rc<Pod>, bool)>,
    /// Pods counted now (their finalizer removed).
    pub counted: Vec<u64>,
    /// Events on the Job: (warning, reason, message).
    pub events: Vec<(bool, &'static str, String)>,
    /// Sync again this much later (a deadline, a back-off).
    pub requeue_after: Option<SimDuration>,
    /// The back-off record to keep.
    pub backoff: BackoffRecord,
    /// Whether the Job finished in this sync.
    pub finished: bool,
}

fn new_condition(t: Ct, status: CondStatus, reason: &str, message: &str, now: SimTime) -> JobCondition {
    JobCondition {
        type_: t,
        status,
        last_probe_time: now,
        last_transition_time: now,
        reason: reason.into(),
        message: message.into(),
    }
}

/// `ensureJobConditionStatus`: whether the list changed.
fn ensure_condition(
    list: &mut Vec<JobCondition>,
    t: Ct,
    status: CondStatus,
    reason: &str,
    message: &str,
    now: SimTime,
) -> bool {
    if let Some(c) = list.iter_mut().find(|c| c.type_ == t) {
        if c.status != status || c.reason != reason || c.message != message {
            *c = new_condition(t, status, reason, message, now);
            return true;
        }
        return false;
    }
    if status != CondStatus::False {
        list.push(new_condition(t, status, reason, message, now));
        return true;
    }
    false
}

/// `syncJob` for one Job.
pub fn sync_job(input: &SyncInput) -> SyncOutput {
    let SyncInput { job, pods, uncounted, satisfied, backoff, now, gates } = *input;
    let mut out = SyncOutput { backoff, ..Default::default() };
    // A finished Job is done with (its back-off record dropped).
    if job.status.finished().is_some() {
        out.backoff = BackoffRecord::default();
        return out;
    }
    let spec = &job.spec;
    let indexed = spec.completion_mode == CompletionMode::Indexed;
    let completions = spec.completions.unwrap_or(0);
    let suspended = spec.suspend;
    let mut status = job.status.clone();
    let active_pods: Vec<Rc<Pod>> = pods.iter().filter(|p| p.is_active()).cloned().collect();
    let mut terminating =
        pods.iter().filter(|p| !p.status.phase.is_terminal() && p.meta.is_terminating()).count() as i32;
    let mut active = active_pods.len() as i32;
    let mut ready = active_pods.iter().filter(|p| p.is_ready()).count() as i32;
    // `getNewFinishedPods`: terminated pods not counted yet (an Indexed
    // Job's with a valid index).
    let valid = |p: &Pod| !indexed || completion_index(p).is_some_and(|i| i < completions);
    let new_succeeded: Vec<&Rc<Pod>> =
        pods.iter().filter(|p| uncounted(p) && valid(p) && p.status.phase == PodPhase::Succeeded).collect();
    let new_failed: Vec<&Rc<Pod>> =
        pods.iter().filter(|p| uncounted(p) && valid(p) && is_pod_failed(p, job, gates)).collect();
    let counts = |p: &Pod| spec.pod_failure_policy.as_ref().is_none_or(|rules| match_pod_failure_policy(rules, p).1);
    let mut succeeded = status.succeeded + new_succeeded.len() as i32;
    let failed = status.failed + new_failed.iter().filter(|p| counts(p)).count() as i32;
    if status.start_time.is_none() && !suspended {
        status.start_time = Some(now);
    }
    let new_backoff = backoff.after(&new_succeeded, &new_failed);
    // The condition the Job finishes with, if it does.
    let mut finished: Option<JobCondition> = status.condition(Ct::SuccessCriteriaMet).cloned();
    let failure = |reason: &str, message: &str| {
        let t = if gates.delay_terminal_condition() { Ct::FailureTarget } else { Ct::Failed };
        new_condition(t, CondStatus::True, reason, message, now)
    };
    if finished.is_none() {
        if let Some(ft) = status.condition(Ct::FailureTarget) {
            finished = Some(new_condition(Ct::Failed, CondStatus::True, &ft.reason, &ft.message, now));
        } else if let Some(rules) = &spec.pod_failure_policy {
            // `getFailJobMessage`.
            let msg =
                pods.iter().filter(|p| is_pod_failed(p, job, gates)).find_map(|p| match_pod_failure_policy(rules, p).0);
            if let Some(m) = msg {
                finished = Some(new_condition(Ct::FailureTarget, CondStatus::True, "PodFailurePolicy", &m, now));
            }
        }
    }
    if finished.is_none() {
        if failed > spec.backoff_limit || past_backoff_limit_on_failure(job, pods) {
            finished = Some(failure("BackoffLimitExceeded", "Job has reached the specified backoff limit"));
        } else if let (Some(ads), Some(start), false) = (spec.active_deadline_seconds, status.start_time, suspended) {
            let allowed = SimDuration::from_secs(ads as u64);
            let ran = now.saturating_sub(start);
            if ran >= allowed {
                finished = Some(failure("DeadlineExceeded", "Job was active longer than specified deadline"));
            } else {
                out.requeue_after = Some(SimDuration(allowed.0 - ran.0));
            }
        }
    }
    let prev_indexes: BTreeSet<i32> = if indexed {
        parse_indexes(&status.completed_indexes, completions).into_iter().collect()
    } else {
        Default::default()
    };
    let mut succeeded_indexes = prev_indexes.clone();
    if indexed {
        succeeded_indexes.extend(new_succeeded.iter().filter_map(|p| completion_index(p)));
        succeeded = succeeded_indexes.len() as i32;
    }
    let mut suspend_changed = false;
    if finished.is_some() {
        // Remove the active pods (their finalizers stay: they count as
        // failed below).
        for p in &active_pods {
            out.deletes.push((p.clone(), false));
        }
        let deleted = active_pods.len() as i32;
        let deleted_ready = active_pods.iter().filter(|p| p.is_ready()).count() as i32;
        if !satisfied {
            finished = None;
        }
        active -= deleted;
        terminating += deleted;
        ready -= deleted_ready;
    } else {
        let mut manage_called = false;
        if satisfied && job.meta.deletion_timestamp.is_none() {
            manage_called = true;
            let m = manage_job(
                job,
                &active_pods,
                pods,
                succeeded,
                &succeeded_indexes,
                terminating,
                &new_backoff,
                now,
                gates,
            );
            active = m.active;
            terminating += m.deleted;
            ready -= m.deleted_ready;
            out.creates = m.creates;
            out.deletes.extend(m.deletes.into_iter().map(|p| (p, true)));
            if let Some(d) = m.requeue_after {
                out.requeue_after = Some(out.requeue_after.map_or(d, |r| r.min(d)));
            }
        }
        let complete = match spec.completions {
            None => succeeded > 0 && active == 0,
            Some(c) => succeeded >= c && active == 0,
        };
        if complete {
            let t = if gates.delay_terminal_condition() { Ct::SuccessCriteriaMet } else { Ct::Complete };
            // `newSuccessCondition`.
            let (reason, message) = if gates.success_policy {
                ("CompletionsReached", "Reached expected number of succeeded pods")
            } else {
                ("", "")
            };
            finished = Some(new_condition(t, CondStatus::True, reason, message, now));
        } else if manage_called {
            if suspended {
                if ensure_condition(
                    &mut status.conditions,
                    Ct::Suspended,
                    CondStatus::True,
                    "JobSuspended",
                    "Job suspended",
                    now,
                ) {
                    suspend_changed = true;
                    out.events.push((false, "Suspended", "Job suspended".into()));
                }
            } else if ensure_condition(
                &mut status.conditions,
                Ct::Suspended,
                CondStatus::False,
                "JobResumed",
                "Job resumed",
                now,
            ) {
                suspend_changed = true;
                out.events.push((false, "Resumed", "Job resumed".into()));
                // A resumed Job's deadline counts from now.
                status.start_time = Some(now);
            }
        }
    }
    let _ = suspend_changed;
    status.active = active;
    status.ready = ready;
    // Written only with the JobPodReplacementPolicy gate (the count itself
    // also serves `manageJob` and the delayed terminal condition).
    status.terminating = gates.pod_replacement_policy.then_some(terminating);
    // `trackJobStatusAndRemoveFinalizers`: count terminated pods (and,
    // when the Job finishes, every pod still uncounted) and release them.
    let mut new_indexes: Vec<i32> = Vec::new();
    // Pods newly counted this sync (`len(newSucceededIndexes) +
    // len(uncountedStatus.Succeeded) + len(uncountedStatus.Failed)`): a
    // pod released without being counted does not add to the cap.
    let mut newly_counted = 0usize;
    let mut reached_max = false;
    let mut sorted: Vec<&Rc<Pod>> = pods.iter().collect();
    if indexed {
        sorted.sort_by_key(|p| completion_index(p).unwrap_or(-1));
    }
    let finishing_failed =
        finished.as_ref().is_some_and(|c| c.type_ != Ct::SuccessCriteriaMet && c.type_ != Ct::Complete);
    for p in sorted {
        if !uncounted(p) {
            continue;
        }
        let considered_failed = is_pod_failed(p, job, gates);
        let can_release = job.meta.deletion_timestamp.is_some()
            || finished.is_some()
            || p.status.phase == PodPhase::Succeeded
            || considered_failed;
        if !can_release {
            continue;
        }
        out.counted.push(p.meta.uid);
        if p.status.phase == PodPhase::Succeeded {
            if indexed {
                if let Some(ix) = completion_index(p).filter(|i| *i < completions && !prev_indexes.contains(i)) {
                    new_indexes.push(ix);
                    newly_counted += 1;
                }
            } else {
                status.succeeded += 1;
                newly_counted += 1;
            }
        } else if (considered_failed || finishing_failed) && (!indexed || valid(p)) && counts(p) {
            status.failed += 1;
            newly_counted += 1;
        }
        if newly_counted >= MAX_UNCOUNTED_PODS {
            reached_max = true;
            break;
        }
    }
    if indexed {
        let all: BTreeSet<i32> = prev_indexes.iter().copied().chain(new_indexes.iter().copied()).collect();
        status.completed_indexes = format_indexes(all.iter().copied());
        status.succeeded = all.len() as i32;
    }
    if let Some(c) = finished.take() {
        let terminal = match c.type_ {
            Ct::FailureTarget => {
                status.conditions.push(c.clone());
                new_condition(Ct::Failed, CondStatus::True, &c.reason, &c.message, now)
            }
            Ct::SuccessCriteriaMet => {
                if status.condition(Ct::SuccessCriteriaMet).is_none() {
                    status.conditions.push(c.clone());
                }
                new_condition(Ct::Complete, CondStatus::True, &c.reason, &c.message, now)
            }
            _ => c,
        };
        // `enactJobFinished`: once every pod is counted and none is
        // terminating.
        let blocked = reached_max || (gates.delay_terminal_condition() && terminating > 0);
        if !blocked {
            ensure_condition(
                &mut status.conditions,
                terminal.type_,
                terminal.status,
                &terminal.reason,
                &terminal.message,
                now,
            );
            if terminal.type_ == Ct::Complete {
                status.completion_time = Some(terminal.last_transition_time);
                if spec.completions.is_some_and(|c| status.succeeded > c) {
                    out.events.push((
                        true,
                        "TooManySucceededPods",
                        "Too many succeeded pods running after completion count reached".into(),
                    ));
                }
                out.events.push((false, "Completed", "Job completed".into()));
            } else {
                let reason: &'static str = match terminal.reason.as_str() {
                    "BackoffLimitExceeded" => "BackoffLimitExceeded",
                    "DeadlineExceeded" => "DeadlineExceeded",
                    _ => "PodFailurePolicy",
                };
                out.events.push((true, reason, terminal.message.clone()));
            }
            out.finished = true;
        }
    }
    if status != job.status {
        out.status = Some(status);
        out.backoff = new_backoff;
    }
    out
}

/// `pastBackoffLimitOnFailure`: under `restartPolicy: OnFailure`, the
/// restarts of the running and pending pods' containers reach the limit.
fn past_backoff_limit_on_failure(job: &Job, pods: &[Rc<Pod>]) -> bool {
    if job.spec.template.spec.restart_policy != RestartPolicy::OnFailure {
        return false;
    }
    let restarts: u64 = pods
        .iter()
        .filter(|p| matches!(p.status.phase, PodPhase::Running | PodPhase::Pending))
        .flat_map(|p| p.status.init_container_statuses.iter().chain(p.status.container_statuses.iter()))
        .map(|c| c.restart_count as u64)
        .sum();
    if job.spec.backoff_limit == 0 {
        restarts > 0
    } else {
        restarts >= job.spec.backoff_limit as u64
    }
}

/// What `manageJob` decided.
struct Managed {
    active: i32,
    deleted: i32,
    deleted_ready: i32,
    creates: Vec<Option<i32>>,
    deletes: Vec<Rc<Pod>>,
    requeue_after: Option<SimDuration>,
}

/// `manageJob`.
#[allow(clippy::too_many_arguments)]
fn manage_job(
    job: &Job,
    active_pods: &[Rc<Pod>],
    pods: &[Rc<Pod>],
    succeeded: i32,
    succeeded_indexes: &BTreeSet<i32>,
    terminating: i32,
    backoff: &BackoffRecord,
    now: SimTime,
    gates: Gates,
) -> Managed {
    let spec = &job.spec;
    let mut active = active_pods.len() as i32;
    let mut m = Managed { active, deleted: 0, deleted_ready: 0, creates: vec![], deletes: vec![], requeue_after: None };
    let delete = |m: &mut Managed, pods: Vec<Rc<Pod>>| {
        m.deleted = pods.len() as i32;
        m.deleted_ready = pods.iter().filter(|p| p.is_ready()).count() as i32;
        m.active -= m.deleted;
        m.deletes = pods;
    };
    if spec.suspend {
        let rm = active_pods_for_removal(job, active_pods, active_pods.len());
        delete(&mut m, rm);
        return m;
    }
    let parallelism = spec.parallelism;
    let want_active = match spec.completions {
        None if succeeded > 0 => active,
        None => parallelism,
        Some(c) => (c - succeeded).min(parallelism).max(0),
    };
    let rm_at_least = (active - want_active).max(0) as usize;
    let mut rm = active_pods_for_removal(job, active_pods, rm_at_least);
    rm.truncate(MAX_POD_CREATE_DELETE_PER_SYNC);
    if !rm.is_empty() {
        delete(&mut m, rm);
        return m;
    }
    let terminating = if gates.only_replace_failed(job) { terminating } else { 0 };
    let mut diff = want_active - terminating - active;
    if diff > 0 {
        let remaining = backoff.remaining(now);
        if remaining > SimDuration::ZERO {
            // `enqueueSyncJobWithDelay`: at least the batch period. (Upstream
            // returns 0 active for this sync.)
            m.requeue_after = Some(remaining.max(SYNC_BATCH_PERIOD));
            m.active = 0;
            return m;
        }
        diff = diff.min(MAX_POD_CREATE_DELETE_PER_SYNC as i32);
        if spec.completion_mode == CompletionMode::Indexed {
            let mut taken: BTreeSet<i32> = succeeded_indexes.clone();
            taken.extend(active_pods.iter().filter_map(|p| completion_index(p)));
            if gates.only_replace_failed(job) {
                taken.extend(
                    pods.iter()
                        .filter(|p| !p.status.phase.is_terminal() && p.meta.is_terminating())
                        .filter_map(|p| completion_index(p)),
                );
            }
            let completions = spec.completions.unwrap_or(0);
            m.creates = (0..completions).filter(|i| !taken.contains(i)).take(diff as usize).map(Some).collect();
        } else {
            m.creates = vec![None; diff as usize];
        }
        active += m.creates.len() as i32;
        m.active = active;
    }
    m
}

/// The name of the variable an Indexed Job's containers read their index
/// from (`completionIndexEnvName`).
pub const COMPLETION_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// An Indexed Job's pod spec (`manageJob`): every container and init
/// container gets `JOB_COMPLETION_INDEX` from the pod's index label unless
/// it sets the variable itself (`addCompletionIndexEnvVariables`; the
/// label, not the annotation, since the `PodIndexLabel` gate, GA in 1.32),
/// and the pod's hostname is `<job>-<index>`.
fn indexed_pod_spec(job: &Job, index: i32) -> PodSpec {
    let with_env = |cs: &Rc<[Container]>| -> Rc<[Container]> {
        cs.iter()
            .map(|c| {
                let mut c = c.clone();
                if !c.env.iter().any(|v| v.name == COMPLETION_INDEX_ENV) {
                    let mut env = c.env.to_vec();
                    env.push(EnvVar {
                        name: COMPLETION_INDEX_ENV.into(),
                        source: EnvSource::Field {
                            api_version: "v1".into(),
                            path: format!("metadata.labels['{}']", COMPLETION_INDEX),
                        },
                    });
                    c.env = env.into();
                }
                c
            })
            .collect()
    };
    let spec = &job.spec.template.spec;
    PodSpec {
        containers: with_env(&spec.containers),
        init_containers: with_env(&spec.init_containers),
        hostname: Some(format!("{}-{}", job.meta.name, index).into()),
        ..(**spec).clone()
    }
}

/// The pod for a Job (`CreatePodsWithGenerateName` with the completion
/// index for an Indexed Job).
pub fn new_job_pod(job: &Job, index: Option<i32>) -> Pod {
    let t = &job.spec.template;
    let (mut labels, mut annotations) = (t.labels.clone(), t.annotations.clone());
    let generate_name = match index {
        Some(i) => {
            Rc::make_mut(&mut labels).insert(COMPLETION_INDEX.into(), i.to_string());
            Rc::make_mut(&mut annotations).insert(COMPLETION_INDEX.into(), i.to_string());
            // `podGenerateNameWithIndex`: at most 58 characters.
            let suffix = format!("-{}-", i);
            let mut prefix = format!("{}{}", job.meta.name, suffix);
            if prefix.len() > 58 {
                prefix = format!("{}{}", &job.meta.name[..58 - suffix.len()], suffix);
            }
            prefix
        }
        None => format!("{}-", job.meta.name),
    };
    Pod {
        meta: ObjectMeta {
            generate_name: Some(generate_name.into()),
            namespace: job.meta.namespace.clone(),
            labels,
            annotations,
            owner_references: vec![OwnerReference {
                api_version: "batch/v1".into(),
                kind: "Job".into(),
                name: job.meta.name.clone(),
                uid: job.meta.uid,
                controller: true,
                block_owner_deletion: true,
            }],
            ..Default::default()
        },
        spec: match index {
            Some(i) => Rc::new(indexed_pod_spec(job, i)),
            None => t.spec.clone(),
        },
        status: PodStatus::initial(),
    }
}

/// The token of the timer that follows the list (the syncs' tokens count
/// from 1).
const RELISTED: u64 = 0;

/// What a request of the Job controller was, for its answer.
#[derive(Debug, Clone)]
enum Pending {
    /// A pod create for the Job of this uid.
    Create(u64),
    /// A pod delete: the pod's key.
    Delete(Key),
}

/// The Job controller's informer caches and state.
#[derive(Default)]
pub struct JobController {
    jobs: Map<Key, Rc<Job>>,
    by_uid: Map<u64, Key>,
    /// Live pods by the uid of the Job that controls them.
    pods: Map<u64, Map<u64, Rc<Pod>>>,
    /// Pods deleted before they were counted (the finalizer would have
    /// kept them), by Job uid.
    ghosts: Map<u64, Map<u64, Rc<Pod>>>,
    /// Pods counted (their finalizer removed).
    counted: Set<u64>,
    /// Expected creates (and since when), by Job uid.
    adds: Map<u64, (i32, SimTime)>,
    /// Deletes sent and not yet seen, by Job uid.
    dels: Map<u64, Set<u64>>,
    backoff: Map<u64, BackoffRecord>,
    /// When each queued Job is due.
    due: Map<Key, SimTime>,
    /// The status this controller last wrote, by Job uid: it is the
    /// status's only writer, so this is the status the apiserver holds
    /// (the informer's copy may not show it yet).
    written: Map<u64, crate::kinds::job::JobStatus>,
    /// Pod deletes sent and not answered yet: the Job of each.
    deleting: Map<Key, Key>,
    /// Failed syncs in a row (a create refused), by Job uid, for the
    /// rate-limited requeue; a create that succeeds forgets them.
    failures: Map<u64, u32>,
    /// The queued syncs' timers: each token's Job and due time.
    timers: Map<u64, (Key, SimTime)>,
    next_token: u64,
    /// Requests waiting for their answer.
    pending: Map<RequestId, Pending>,
}

impl Controller for JobController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod]
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Job"]
    }

    /// Once the list is in (a timer at this instant runs after its
    /// events), the tracking record is rebuilt (`recount_listed`).
    fn start(&mut self, cx: &mut Cx) {
        cx.after(SimDuration::ZERO, RELISTED);
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.handle(ev, cx);
    }

    /// A queued sync is due (if still queued for this instant).
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if token == RELISTED {
            self.recount_listed();
            return;
        }
        let Some((key, at)) = self.timers.swap_remove(&token) else { return };
        if self.due.get(&key) != Some(&at) {
            return;
        }
        self.due.swap_remove(&key);
        self.sync(&key, cx);
    }

    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        match (self.pending.swap_remove(&req), result) {
            (Some(Pending::Create(_)), Ok(Object::Pod(p))) => self.created(p, cx),
            (Some(Pending::Create(job)), Err(e)) => self.create_failed(job, &e.message, cx),
            (Some(Pending::Delete(pod)), result) => self.deleted(pod, result.map(|_| ()), cx),
            _ => {}
        }
    }
}

impl JobController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `key` for `at` (an earlier time already queued wins).
    fn enqueue_at(&mut self, key: Key, at: SimTime, cx: &mut Cx) {
        if self.due.get(&key).is_some_and(|t| *t <= at) {
            return;
        }
        self.due.insert(key.clone(), at);
        self.next_token += 1;
        self.timers.insert(self.next_token, (key, at));
        cx.at(at, self.next_token);
    }

    fn enqueue_owner(&mut self, owner: u64, delay: SimDuration, cx: &mut Cx) {
        if let Some(k) = self.by_uid.get(&owner).cloned() {
            let at = cx.now() + delay;
            self.enqueue_at(k, at, cx);
        }
    }

    /// Handles a watch event of its informers (Jobs, pods).
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        match &ev.obj {
            Object::Typed(t) => {
                let Some(job) = t.downcast::<Job>() else { return };
                let key = Key::of(&job.meta);
                let uid = job.meta.uid;
                if ev.kind == WatchKind::Deleted {
                    self.jobs.swap_remove(&key);
                    self.by_uid.swap_remove(&uid);
                    self.adds.swap_remove(&uid);
                    self.dels.swap_remove(&uid);
                    self.backoff.swap_remove(&uid);
                    self.ghosts.swap_remove(&uid);
                    self.written.swap_remove(&uid);
                    self.failures.swap_remove(&uid);
                    return;
                }
                let old = match &ev.old {
                    Some(Object::Typed(o)) => o.downcast::<Job>().cloned(),
                    _ => None,
                };
                let job = Rc::new(job.clone());
                self.jobs.insert(key.clone(), job.clone());
                self.by_uid.insert(uid, key.clone());
                if job.status.finished().is_some() {
                    // Its pods are released: nothing counts them any more.
                    self.ghosts.swap_remove(&uid);
                }
                // `updateJob`: a spec change at once, a status update after
                // the batch period; a changed deadline re-arms its timer.
                let delay = match &old {
                    Some(o) if o.meta.generation == job.meta.generation => SYNC_BATCH_PERIOD,
                    _ => SimDuration::ZERO,
                };
                let at = cx.now() + delay;
                self.enqueue_at(key.clone(), at, cx);
                if let (Some(o), Some(start), Some(ads)) =
                    (&old, job.status.start_time, job.spec.active_deadline_seconds)
                {
                    if o.spec.active_deadline_seconds != Some(ads) {
                        let at = start + SimDuration::from_secs(ads as u64);
                        self.enqueue_at(key, at.max(cx.now()), cx);
                    }
                }
            }
            Object::Pod(p) => {
                let Some(owner) = p.meta.controller_ref().filter(|r| &*r.kind == "Job").map(|r| r.uid) else {
                    return;
                };
                let uid = p.meta.uid;
                match ev.kind {
                    WatchKind::Deleted => {
                        if let Some(m) = self.pods.get_mut(&owner) {
                            m.swap_remove(&uid);
                        }
                        if let Some(d) = self.dels.get_mut(&owner) {
                            d.swap_remove(&uid);
                        }
                        let counted = self.counted.swap_remove(&uid);
                        let running = self
                            .by_uid
                            .get(&owner)
                            .and_then(|k| self.jobs.get(k))
                            .is_some_and(|j| j.status.finished().is_none());
                        if !counted && running {
                            // The finalizer would have kept it in the API,
                            // deleted, until the kubelet (or PodGC, for a
                            // pod no kubelet runs) made it terminal: Failed
                            // unless it had succeeded. It is counted so.
                            let mut ghost = (**p).clone();
                            ghost.meta.deletion_timestamp.get_or_insert(cx.now());
                            if !ghost.status.phase.is_terminal() {
                                Rc::make_mut(&mut ghost.status).phase = PodPhase::Failed;
                            }
                            self.ghosts.entry(owner).or_default().insert(uid, Rc::new(ghost));
                        }
                    }
                    _ => {
                        if ev.kind == WatchKind::Added {
                            // `CreationObserved`.
                            if let Some(a) = self.adds.get_mut(&owner) {
                                a.0 -= 1;
                            }
                        }
                        if p.meta.deletion_timestamp.is_some() {
                            if let Some(d) = self.dels.get_mut(&owner) {
                                d.swap_remove(&uid);
                            }
                        }
                        self.pods.entry(owner).or_default().insert(uid, p.clone());
                    }
                }
                self.enqueue_owner(owner, SYNC_BATCH_PERIOD, cx);
            }
            _ => {}
        }
    }

    /// After a (re)start's list: which terminated pods the Job's status
    /// already counts. Upstream reads it off each pod (the tracking
    /// finalizer is gone from a counted one); kubesim keeps that record in
    /// the controller, so a new instance rebuilds it from the status: an
    /// Indexed Job's succeeded pods whose index is in `completedIndexes`,
    /// else the first `succeeded` succeeded pods by finish time; the
    /// first `failed` failed pods. (It errs only when counted pods have
    /// since left the API and uncounted ones wait.)
    fn recount_listed(&mut self) {
        for (uid, key) in &self.by_uid {
            let (Some(job), Some(pods)) = (self.jobs.get(key), self.pods.get(uid)) else { continue };
            let by_finish = |phase: PodPhase| {
                let mut v: Vec<&Rc<Pod>> = pods.values().filter(|p| p.status.phase == phase).collect();
                v.sort_by_key(|p| (finished_time(p), p.meta.uid));
                v
            };
            let succeeded = by_finish(PodPhase::Succeeded);
            if job.spec.completion_mode == CompletionMode::Indexed {
                let done = parse_indexes(&job.status.completed_indexes, job.spec.completions.unwrap_or(0));
                let counted = succeeded.iter().filter(|p| completion_index(p).is_some_and(|i| done.contains(&i)));
                self.counted.extend(counted.map(|p| p.meta.uid));
            } else {
                let n = job.status.succeeded.max(0) as usize;
                self.counted.extend(succeeded.iter().take(n).map(|p| p.meta.uid));
            }
            let n = job.status.failed.max(0) as usize;
            self.counted.extend(by_finish(PodPhase::Failed).iter().take(n).map(|p| p.meta.uid));
        }
    }

    /// One of its pod creates succeeded.
    fn created(&mut self, p: &Pod, cx: &mut Cx) {
        if let Some(owner) = p.meta.controller_ref().map(|r| r.uid) {
            self.failures.swap_remove(&owner);
        }
        let name = p.meta.controller_ref().map(|r| r.name.clone()).unwrap_or_default();
        let msg = format!("Created pod: {}", p.meta.name);
        cx.event_on(false, "SuccessfulCreate", "Job", &p.meta.namespace, &name, &msg);
    }

    /// `DeletePod`'s events, once the DELETE is answered; a pod already
    /// gone is no error.
    fn deleted(&mut self, pod: Key, result: Result<(), &ApiError>, cx: &mut Cx) {
        let Some(job) = self.deleting.swap_remove(&pod) else { return };
        let (warning, reason, msg) = match result {
            Ok(()) => (false, "SuccessfulDelete", format!("Deleted pod: {}", pod.name)),
            Err(e) if e.code == crate::objects::store::ApiErrorCode::NotFound => return,
            Err(e) => (true, "FailedDelete", format!("Error deleting: {}", e.message)),
        };
        cx.event_on(warning, reason, "Job", &job.namespace, &job.name, &msg);
    }

    /// One of its pod creates was refused.
    fn create_failed(&mut self, uid: u64, err: &str, cx: &mut Cx) {
        if let Some(a) = self.adds.get_mut(&uid) {
            a.0 -= 1;
        }
        let Some(k) = self.by_uid.get(&uid).cloned() else { return };
        let msg = format!("Error creating: {}", err);
        cx.event_on(true, "FailedCreate", "Job", &k.namespace, &k.name, &msg);
        // `manageJob` takes a refused create out of `active` before the
        // status is written: so does this correction.
        if let (Some(st), Some(job)) = (self.written.get_mut(&uid), self.jobs.get(&k)) {
            if st.active > 0 && st.finished().is_none() {
                st.active -= 1;
                let obj: Rc<dyn TypedObject> = Rc::new(Job { status: st.clone(), ..(**job).clone() });
                cx.send_unanswered(ApiOp::TypedStatus { obj, check_rv: false });
            }
        }
        // The sync's error: requeued with the rate limiter (1 s doubling
        // to 1 min).
        let n = self.failures.entry(uid).or_insert(0);
        let delay = SimDuration(API_BACKOFF.0 .0.saturating_mul(1u64 << (*n).min(20))).min(API_BACKOFF.1);
        *n += 1;
        let at = cx.now() + delay;
        self.enqueue_at(k, at, cx);
    }

    /// One sync of the Job `key`.
    fn sync(&mut self, key: &Key, cx: &mut Cx) {
        let Some(mut job) = self.jobs.get(key).cloned() else { return };
        let uid = job.meta.uid;
        if let Some(st) = self.written.get(&uid) {
            if *st != job.status {
                Rc::make_mut(&mut job).status = st.clone();
            }
        }
        let now = cx.now();
        // Expectations (`SatisfiedExpectations`, expiring after 5 min).
        let adds_pending =
            self.adds.get(&uid).is_some_and(|(n, since)| *n > 0 && now.saturating_sub(*since) < EXPECTATIONS_TIMEOUT);
        let dels_pending = self.dels.get(&uid).is_some_and(|d| !d.is_empty());
        let satisfied = !adds_pending && !dels_pending;
        let mut pods: Vec<Rc<Pod>> = self.pods.get(&uid).map(|m| m.values().cloned().collect()).unwrap_or_default();
        pods.retain(|p| job.spec.selector.matches(&p.meta.labels));
        pods.extend(self.ghosts.get(&uid).into_iter().flat_map(|m| m.values().cloned()));
        pods.sort_by(|a, b| {
            a.meta.creation_timestamp.cmp(&b.meta.creation_timestamp).then(a.meta.uid.cmp(&b.meta.uid))
        });
        let counted = &self.counted;
        let uncounted = |p: &Pod| !counted.contains(&p.meta.uid);
        let out = sync_job(&SyncInput {
            job: &job,
            pods: &pods,
            uncounted: &uncounted,
            satisfied,
            backoff: self.backoff.get(&uid).copied().unwrap_or_default(),
            now,
            gates: Gates::V1_32,
        });
        let ns = job.meta.namespace.clone();
        for u in &out.counted {
            self.counted.insert(*u);
        }
        if let Some(g) = self.ghosts.get_mut(&uid) {
            // Counted ghosts are released: they leave the API now (no uid
            // of theirs needs remembering), so look again then.
            let released: Vec<u64> = g.keys().copied().filter(|u| self.counted.contains(u)).collect();
            for u in &released {
                g.swap_remove(u);
                self.counted.swap_remove(u);
            }
            if g.is_empty() {
                self.ghosts.swap_remove(&uid);
            }
            if !released.is_empty() {
                self.enqueue_at(key.clone(), now + SYNC_BATCH_PERIOD, cx);
            }
        }
        if !out.creates.is_empty() {
            let e = self.adds.entry(uid).or_insert((0, now));
            *e = (e.0.max(0) + out.creates.len() as i32, now);
        }
        for index in &out.creates {
            let pod = new_job_pod(&job, *index);
            let req = cx.send(ApiOp::Create(Object::Pod(Rc::new(pod))));
            self.pending.insert(req, Pending::Create(uid));
        }
        for (p, release) in &out.deletes {
            if *release {
                // `deleteJobPods` removes the finalizer first: the pod is not
                // counted.
                self.counted.insert(p.meta.uid);
                self.dels.entry(uid).or_default().insert(p.meta.uid);
            }
            self.deleting.insert(Key::of(&p.meta), key.clone());
            let req = cx.send(ApiOp::delete_pod(Key::of(&p.meta), p.meta.uid, None, None));
            self.pending.insert(req, Pending::Delete(Key::of(&p.meta)));
        }
        for (warning, reason, msg) in &out.events {
            cx.event_on(*warning, reason, "Job", &ns, &job.meta.name, msg);
        }
        if let Some(d) = out.requeue_after {
            self.enqueue_at(key.clone(), now + d, cx);
        }
        if out.status.is_some() || job.status.finished().is_some() {
            self.backoff.insert(uid, out.backoff);
        }
        if let Some(status) = out.status {
            self.written.insert(uid, status.clone());
            let obj: Rc<dyn TypedObject> = Rc::new(Job { status, ..(*job).clone() });
            cx.send_unanswered(ApiOp::TypedStatus { obj, check_rv: false });
        }
        if out.finished {
            self.backoff.swap_remove(&uid);
            self.ghosts.swap_remove(&uid);
        }
    }
}
