//! The CronJob controller (`pkg/controller/cronjob`, `cronjob-controller`).
//!
//! A CronJob sync is upstream's `sync`: `cleanupFinishedJobs` (finished
//! Jobs beyond `successfulJobsHistoryLimit`/`failedJobsHistoryLimit`
//! deleted, oldest `status.startTime` first, with Background propagation),
//! then `syncCronJob`:
//! - finished Jobs leave `status.active` (`SawCompletedJob`), a succeeded
//!   one sets `lastSuccessfulTime`; an active Job gone from the API leaves
//!   it too (`MissingJob`);
//! - unless suspended, the most recent unmet schedule time at or before
//!   now (`mostRecentScheduleTime`: from `lastScheduleTime`, or the
//!   creation, raised to `now − startingDeadlineSeconds`; more than 100
//!   missed runs only add a `TooManyMissedTimes` warning) gets a Job named
//!   `<cronjob>-<scheduled minutes since the epoch>`, unless it already
//!   has one; `Forbid` waits while a Job is active (the run starts late
//!   when that Job finishes, if it is still the latest due run);
//!   `Replace` deletes the active Jobs first;
//! - the next sync is queued at the next schedule time + 100 ms
//!   (`nextScheduleDelta`), so a Job is created 100 ms after its time.
//!
//! The Job create is answered before the run is recorded: the sync that
//! sends it ends there, and its response adds the Job to `status.active`
//! and sets `lastScheduleTime` (upstream does both in one sync, around
//! the blocking create call).
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared informers, queues its syncs on its own timers and sends as
//! `"cronjob-controller"`; the answers to its Job creates and deletes come
//! back to `on_response`. A crash loses the statuses it wrote and the
//! creates in flight; the restarted controller relists and syncs every
//! CronJob from what the apiserver holds.

#![warn(missing_docs)]

#[cfg(test)]
#[path = "cronjob_tests.rs"]
mod tests;

use crate::component::{Controller, Cx, RequestId};
use crate::kinds::cron::{self, Schedule};
use crate::kinds::cronjob::{ActiveRef, ConcurrencyPolicy, CronJob, CronJobStatus};
use crate::kinds::job::{Job, JobConditionType};
use crate::objects::store::ApiError;
use crate::objects::store::{ApiErrorCode, ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::typed::TypedObject;
use crate::objects::{Kind, Object};
use crate::sim::{SimDuration, SimTime};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The controller's event source.
pub(crate) const SOURCE: &str = "cronjob-controller";
/// `nextScheduleDelta`: the requeue's padding past the schedule time.
const NEXT_SCHEDULE_DELTA: SimDuration = SimDuration::from_millis(100);

/// What a request of the CronJob controller was, for its answer.
#[derive(Debug, Clone)]
enum Pending {
    /// A Job create: the CronJob's key and uid, and the scheduled time.
    Create(Key, u64, SimTime),
    /// A Job delete: the Job's key.
    Delete(Key),
}

/// How many runs were missed (`missedSchedulesType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missed {
    /// None.
    None,
    /// A few.
    Few,
    /// More than 100.
    Many,
}

/// `mostRecentScheduleTime`: the earliest time considered, the most recent
/// schedule time at or before `now` (if any), and how many were missed;
/// `Err` for a schedule whose runs are less than a second apart (an
/// impossible date).
pub fn most_recent_schedule_time(
    cj: &CronJob,
    now: SimTime,
    sched: &Schedule,
    include_deadline: bool,
) -> Result<(SimTime, Option<SimTime>, Missed), String> {
    let tz = cj.zone();
    let mut earliest = cj.status.last_schedule_time.unwrap_or(cj.meta.creation_timestamp);
    if include_deadline {
        if let Some(sds) = cj.spec.starting_deadline_seconds {
            let deadline = SimTime(now.0.saturating_sub(SimDuration::from_secs(sds.max(0) as u64).0));
            if deadline > earliest {
                earliest = deadline;
            }
        }
    }
    let next = |t: SimTime| sched.next(t, tz);
    let t1 = next(earliest);
    let t2 = t1.and_then(next);
    let (Some(t1), Some(t2)) = (t1, t2) else {
        return match t1 {
            Some(t1) if now >= t1 => Ok((earliest, Some(t1), Missed::None)),
            Some(_) => Ok((earliest, None, Missed::None)),
            None => Err("time difference between two schedules is less than 1 second".into()),
        };
    };
    if now < t1 {
        return Ok((earliest, None, Missed::None));
    }
    if now < t2 {
        return Ok((earliest, Some(t1), Missed::None));
    }
    let between = ((t2.0 - t1.0) + 500_000_000) / 1_000_000_000;
    if between < 1 {
        return Err("time difference between two schedules is less than 1 second".into());
    }
    let elapsed = (now.0 - t1.0) / 1_000_000_000;
    let missed = elapsed / between + 1;
    // From one interval before the estimate, let the schedule find the
    // most recent time (irregular schedules can overshoot: upstream's).
    let back = (missed as i64 - 2) * between as i64;
    let potential = if back >= 0 {
        SimTime(t1.0 + back as u64 * 1_000_000_000)
    } else {
        SimTime(t1.0.saturating_sub((-back) as u64 * 1_000_000_000))
    };
    let mut most_recent = None;
    let mut t = next(potential);
    while let Some(x) = t.filter(|x| *x <= now) {
        most_recent = Some(x);
        t = next(x);
    }
    let m = if missed > 100 { Missed::Many } else { Missed::Few };
    Ok((earliest, most_recent, m))
}

/// `nextScheduleTimeDuration`: when to look again (at least now).
pub fn next_schedule_time(cj: &CronJob, now: SimTime, sched: &Schedule) -> Option<SimTime> {
    let base = match most_recent_schedule_time(cj, now, sched, false) {
        Err(_) => now,
        Ok((_, Some(t), _)) => t,
        Ok((earliest, None, Missed::None)) => earliest,
        Ok((_, None, _)) => now,
    };
    sched.next(base, cj.zone()).map(|t| (t + NEXT_SCHEDULE_DELTA).max(now))
}

/// The CronJob controller's and the TTL controller's caches and state.
#[derive(Default)]
pub struct CronJobController {
    cronjobs: Map<Key, Rc<CronJob>>,
    by_uid: Map<u64, Key>,
    /// Jobs by the uid of the CronJob that controls them.
    jobs: Map<u64, Map<u64, Rc<Job>>>,
    due: Map<Key, SimTime>,
    /// CronJobs with a Job create in flight: their syncs wait for it.
    creating: Map<Key, SimTime>,
    /// The status this controller last wrote, by CronJob uid.
    written: Map<u64, CronJobStatus>,
    /// Jobs this controller created that its informer has not shown yet:
    /// not missing (upstream GETs an active Job its lister lacks).
    unseen: indexmap::IndexSet<u64, FxBuildHasher>,
    /// Every Job the informer holds, by key: what upstream's GET of an
    /// active Job its lister does not list as a child would find. A Job
    /// that left its CronJob (its controllerRef removed or changed) and
    /// still exists stays in `status.active` (no MissingJob) until it is
    /// deleted — also after a restart, whose list shows it.
    existing: indexmap::IndexSet<Key, FxBuildHasher>,
    /// Job deletes sent and not answered yet: the CronJob of each.
    deleting: Map<Key, Key>,
    /// Failed syncs in a row (a Job create refused), by CronJob key, for
    /// the rate-limited requeue (5 ms doubling to 1000 s,
    /// `DefaultControllerRateLimiter`); a create that succeeds forgets them.
    failures: Map<Key, u32>,
    /// The queued syncs' timers: each token's CronJob and due time.
    timers: Map<u64, (Key, SimTime)>,
    next_token: u64,
    /// Requests waiting for their answer.
    pending: Map<RequestId, Pending>,
}

impl Controller for CronJobController {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["CronJob", "Job"]
    }

    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        self.handle(ev, cx);
    }

    /// A CronJob's queued sync is due (if still queued for this instant).
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let Some((key, at)) = self.timers.swap_remove(&token) else { return };
        if self.due.get(&key) != Some(&at) {
            return;
        }
        self.due.swap_remove(&key);
        if self.creating.contains_key(&key) {
            // The create's answer syncs it again.
            return;
        }
        self.sync(&key, cx);
    }

    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        match self.pending.swap_remove(&req) {
            Some(Pending::Create(key, uid, scheduled)) => {
                let answer = match result {
                    Ok(Object::Typed(t)) => Ok(t.clone()),
                    Ok(_) => return,
                    Err(e) => Err((e.code.clone(), e.message.clone())),
                };
                self.create_answered(&key, uid, scheduled, answer, cx);
            }
            Some(Pending::Delete(job)) => self.deleted(&job, result.map(|_| ()), cx),
            None => {}
        }
    }
}

impl CronJobController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    fn enqueue_at(&mut self, key: Key, at: SimTime, cx: &mut Cx) {
        if self.due.get(&key).is_some_and(|t| *t <= at) {
            return;
        }
        self.due.insert(key.clone(), at);
        self.next_token += 1;
        self.timers.insert(self.next_token, (key, at));
        cx.at(at, self.next_token);
    }

    /// Handles a watch event of its informers (CronJobs, Jobs).
    fn handle(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Typed(t) = &ev.obj else { return };
        if let Some(cj) = t.downcast::<CronJob>() {
            let key = Key::of(&cj.meta);
            if ev.kind == WatchKind::Deleted {
                self.cronjobs.swap_remove(&key);
                self.by_uid.swap_remove(&cj.meta.uid);
                self.written.swap_remove(&cj.meta.uid);
                return;
            }
            let old = match &ev.old {
                Some(Object::Typed(o)) => o.downcast::<CronJob>().cloned(),
                _ => None,
            };
            self.cronjobs.insert(key.clone(), Rc::new(cj.clone()));
            self.by_uid.insert(cj.meta.uid, key.clone());
            // `updateCronJob`: a new schedule or zone is looked at when it
            // next comes due (an unparseable one not at all); any other
            // change at once. A schedule that never comes (`0 0 30 2 *`)
            // has the zero time as its `Next`, so a negative delay: the
            // sync runs at once, and reports it (InvalidSchedule).
            let rescheduled = old
                .as_ref()
                .is_some_and(|o| o.spec.schedule != cj.spec.schedule || o.spec.time_zone != cj.spec.time_zone);
            if rescheduled {
                let view = CronJob { status: self.status_of(cj), ..cj.clone() };
                if let Ok(s) = cron::parse(&cj.spec.schedule) {
                    let t = next_schedule_time(&view, cx.now(), &s).unwrap_or(cx.now());
                    self.enqueue_at(key, t, cx);
                }
            } else {
                self.enqueue_at(key, cx.now(), cx);
            }
        } else if let Some(job) = t.downcast::<Job>() {
            let cronjob_owner = |j: &Job| j.meta.controller_ref().filter(|r| &*r.kind == "CronJob").map(|r| r.uid);
            let owner = cronjob_owner(job);
            // `updateJob`: a Job whose controllerRef changed leaves its old
            // CronJob, which syncs again without it (an active one stays
            // active there while it exists: the sync's GET finds it).
            let old_owner = match &ev.old {
                Some(Object::Typed(o)) => o.downcast::<Job>().and_then(cronjob_owner),
                _ => None,
            };
            if ev.kind == WatchKind::Deleted {
                self.existing.swap_remove(&Key::of(&job.meta));
            } else {
                self.existing.insert(Key::of(&job.meta));
            }
            if let Some(was) = old_owner.filter(|was| Some(*was) != owner) {
                if let Some(m) = self.jobs.get_mut(&was) {
                    m.swap_remove(&job.meta.uid);
                }
                if let Some(k) = self.by_uid.get(&was).cloned() {
                    self.enqueue_at(k, cx.now(), cx);
                }
            }
            let Some(owner) = owner else {
                return;
            };
            self.unseen.swap_remove(&job.meta.uid);
            if ev.kind == WatchKind::Deleted {
                if let Some(m) = self.jobs.get_mut(&owner) {
                    m.swap_remove(&job.meta.uid);
                }
            } else {
                self.jobs.entry(owner).or_default().insert(job.meta.uid, Rc::new(job.clone()));
            }
            if let Some(k) = self.by_uid.get(&owner).cloned() {
                self.enqueue_at(k, cx.now(), cx);
            }
        }
    }

    /// The answer to a Job create.
    fn create_answered(
        &mut self,
        key: &Key,
        uid: u64,
        scheduled: SimTime,
        result: Result<Rc<dyn TypedObject>, (ApiErrorCode, String)>,
        cx: &mut Cx,
    ) {
        // The answer for a CronJob deleted and created again under the
        // same name meanwhile is not the new one's.
        if self.cronjobs.get(key).map(|c| c.meta.uid) != Some(uid) {
            return;
        }
        let scheduled = self.creating.swap_remove(key).unwrap_or(scheduled);
        self.created(key, scheduled, result, cx);
    }

    /// `deleteJob`'s events, once the DELETE is answered.
    fn deleted(&mut self, job: &Key, result: Result<(), &ApiError>, cx: &mut Cx) {
        let Some(cj) = self.deleting.swap_remove(job) else { return };
        let (warning, reason, msg) = match result {
            Ok(()) => (false, "SuccessfulDelete", format!("Deleted job {}", job.name)),
            Err(e) => (true, "FailedDelete", format!("Deleted job: {}", e.message)),
        };
        cx.event_on(warning, reason, "CronJob", &cj.namespace, &cj.name, &msg);
    }

    fn status_of(&self, cj: &CronJob) -> CronJobStatus {
        self.written.get(&cj.meta.uid).cloned().unwrap_or_else(|| cj.status.clone())
    }

    fn write_status(&mut self, cj: &CronJob, status: CronJobStatus, cx: &mut Cx) {
        self.written.insert(cj.meta.uid, status.clone());
        let obj: Rc<dyn TypedObject> = Rc::new(CronJob { status, ..cj.clone() });
        cx.send_unanswered(ApiOp::TypedStatus { obj, check_rv: false });
    }

    fn delete_job(&mut self, cj: &CronJob, job: &Job, cx: &mut Cx) {
        self.deleting.insert(Key::of(&job.meta), Key::of(&cj.meta));
        let req = cx.send(ApiOp::Delete {
            kind: Kind::Other,
            other_kind: Some("Job".into()),
            key: Key::of(&job.meta),
            uid: None,
            grace_seconds: None,
            propagation: Propagation::Background,
            disruption: None,
        });
        self.pending.insert(req, Pending::Delete(Key::of(&job.meta)));
    }

    /// `sync`: `cleanupFinishedJobs`, then `syncCronJob`, then one status
    /// write.
    fn sync(&mut self, key: &Key, cx: &mut Cx) {
        let Some(cj) = self.cronjobs.get(key).cloned() else { return };
        let mut status = self.status_of(&cj);
        let before = status.clone();
        let mut jobs: Vec<Rc<Job>> =
            self.jobs.get(&cj.meta.uid).map(|m| m.values().cloned().collect()).unwrap_or_default();
        jobs.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        let ns = cj.meta.namespace.clone();
        let event = |cx: &mut Cx, warning: bool, reason: &'static str, msg: &str| {
            cx.event_on(warning, reason, "CronJob", &ns, &cj.meta.name, &msg);
        };
        // `cleanupFinishedJobs`.
        for (kind, limit) in [
            (JobConditionType::Complete, cj.spec.successful_jobs_history_limit),
            (JobConditionType::Failed, cj.spec.failed_jobs_history_limit),
        ] {
            let mut done: Vec<&Rc<Job>> =
                jobs.iter().filter(|j| j.status.finished().is_some_and(|c| c.type_ == kind)).collect();
            let n = done.len().saturating_sub(limit.max(0) as usize);
            if n == 0 {
                continue;
            }
            // `byJobStartTime`: oldest first, no start time last.
            done.sort_by(|a, b| {
                (a.status.start_time.is_none(), a.status.start_time, &a.meta.name).cmp(&(
                    b.status.start_time.is_none(),
                    b.status.start_time,
                    &b.meta.name,
                ))
            });
            for j in done.into_iter().take(n) {
                self.delete_job(&cj, j, cx);
                status.active.retain(|a| a.uid != j.meta.uid);
            }
        }
        // The Jobs just deleted are still looked at below (upstream passes
        // the same list on): a succeeded one sets `lastSuccessfulTime`
        // even with a history limit of 0 (kubernetes PR #122025).
        // `syncCronJob`: the active list against the Jobs.
        for j in &jobs {
            let found = status.active.iter().any(|a| a.uid == j.meta.uid);
            match j.status.finished() {
                None if !found => {
                    let msg = format!("Saw a job that the controller did not create or forgot: {}", j.meta.name);
                    event(cx, true, "UnexpectedJob", &msg);
                }
                None => {}
                Some(c) => {
                    if found {
                        status.active.retain(|a| a.uid != j.meta.uid);
                        let msg = format!("Saw completed job: {}, condition: {}", j.meta.name, c.type_.as_str());
                        event(cx, false, "SawCompletedJob", &msg);
                    }
                    if c.type_ == JobConditionType::Complete {
                        if let Some(ct) = j.status.completion_time {
                            if status.last_successful_time.is_none_or(|l| ct > l) {
                                status.last_successful_time = Some(ct);
                            }
                        }
                    }
                }
            }
        }
        let missing: Vec<ActiveRef> = status
            .active
            .iter()
            .filter(|a| {
                !jobs.iter().any(|j| j.meta.uid == a.uid)
                    && !self.unseen.contains(&a.uid)
                    && !self.existing.contains(&Key::new(&a.namespace, &a.name))
            })
            .cloned()
            .collect();
        for a in missing {
            let msg = format!("Active job went missing: {}", a.name);
            event(cx, false, "MissingJob", &msg);
            status.active.retain(|x| x.uid != a.uid);
        }
        let requeue = self.schedule(&cj, &mut status, &jobs, cx);
        if status != before {
            self.write_status(&cj, status, cx);
        }
        if let Some(t) = requeue {
            self.enqueue_at(key.clone(), t, cx);
        }
    }

    /// The scheduling half of `syncCronJob`: when to look again.
    fn schedule(&mut self, cj: &CronJob, status: &mut CronJobStatus, jobs: &[Rc<Job>], cx: &mut Cx) -> Option<SimTime> {
        let now = cx.now();
        let ns = cj.meta.namespace.clone();
        let event = |cx: &mut Cx, warning: bool, reason: &'static str, msg: &str| {
            cx.event_on(warning, reason, "CronJob", &ns, &cj.meta.name, &msg);
        };
        if cj.meta.deletion_timestamp.is_some() || cj.spec.suspend {
            return None;
        }
        let sched = match cron::parse(&cj.spec.schedule) {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("unparseable schedule: {:?} : {}", cj.spec.schedule, e);
                event(cx, true, "UnparseableSchedule", &msg);
                return None;
            }
        };
        let view = CronJob { status: status.clone(), ..cj.clone() };
        let (scheduled, missed) = match most_recent_schedule_time(&view, now, &sched, true) {
            Err(e) => {
                let msg = format!("invalid schedule: {} : {}", cj.spec.schedule, e);
                event(cx, true, "InvalidSchedule", &msg);
                return None;
            }
            Ok((_, t, m)) => (t, m),
        };
        let Some(scheduled) = scheduled.filter(|t| *t <= now) else {
            return next_schedule_time(&view, now, &sched);
        };
        if missed == Missed::Many {
            event(
                cx,
                true,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
            );
        }
        if let Some(sds) = cj.spec.starting_deadline_seconds {
            if scheduled + SimDuration::from_secs(sds as u64) < now {
                let msg = format!("Missed scheduled time to start a job: {}", cron::rfc1123z(scheduled));
                event(cx, true, "MissSchedule", &msg);
                return next_schedule_time(&view, now, &sched);
            }
        }
        let job = cj.job_for(scheduled);
        if status.active.iter().any(|a| a.name == job.meta.name) || status.last_schedule_time == Some(scheduled) {
            return next_schedule_time(&view, now, &sched);
        }
        if cj.spec.concurrency_policy == ConcurrencyPolicy::Forbid && !status.active.is_empty() {
            event(
                cx,
                false,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            );
            return next_schedule_time(&view, now, &sched);
        }
        if cj.spec.concurrency_policy == ConcurrencyPolicy::Replace {
            for a in std::mem::take(&mut status.active) {
                if let Some(j) = jobs.iter().find(|j| j.meta.uid == a.uid) {
                    self.delete_job(cj, j, cx);
                }
            }
        }
        let key = Key::of(&cj.meta);
        self.creating.insert(key.clone(), scheduled);
        let req = cx.send(ApiOp::Create(Object::Typed(Rc::new(job))));
        self.pending.insert(req, Pending::Create(key, cj.meta.uid, scheduled));
        None
    }

    /// The rest of `syncCronJob` once the create is answered.
    fn created(
        &mut self,
        key: &Key,
        scheduled: SimTime,
        result: Result<Rc<dyn TypedObject>, (ApiErrorCode, String)>,
        cx: &mut Cx,
    ) {
        let Some(cj) = self.cronjobs.get(key).cloned() else { return };
        let mut status = self.status_of(&cj);
        let job = match result {
            Ok(j) => {
                self.failures.swap_remove(key);
                let msg = format!("Created job {}", j.meta().name);
                cx.event_on(false, "SuccessfulCreate", "CronJob", &cj.meta.namespace, &cj.meta.name, &msg);
                Some((j.meta().name.clone(), j.meta().uid))
            }
            Err((ApiErrorCode::AlreadyExists, _)) => {
                // Ours and not yet active: recorded now. Someone else's,
                // or already active: nothing, and no requeue (upstream
                // returns; a later event wakes the CronJob).
                let name = cj.job_for(scheduled).meta.name;
                let ours = self
                    .jobs
                    .get(&cj.meta.uid)
                    .and_then(|m| m.values().find(|j| j.meta.name == name))
                    .filter(|j| !status.active.iter().any(|a| a.uid == j.meta.uid))
                    .map(|j| (j.meta.name.clone(), j.meta.uid));
                if ours.is_none() {
                    return;
                }
                ours
            }
            Err((_, msg)) => {
                let msg = format!("Error creating job: {}", msg);
                cx.event_on(true, "FailedCreate", "CronJob", &cj.meta.namespace, &cj.meta.name, &msg);
                // The sync's error: requeued with the rate limiter.
                let n = self.failures.entry(key.clone()).or_insert(0);
                let delay =
                    SimDuration(5_000_000u64.saturating_mul(1u64 << (*n).min(40))).min(SimDuration::from_secs(1000));
                *n += 1;
                let at = cx.now() + delay;
                self.enqueue_at(key.clone(), at, cx);
                return;
            }
        };
        if let Some((name, uid)) = job {
            if !self.jobs.get(&cj.meta.uid).is_some_and(|m| m.contains_key(&uid)) {
                self.unseen.insert(uid);
            }
            status.active.push(ActiveRef { namespace: cj.meta.namespace.clone(), name, uid });
            status.last_schedule_time = Some(scheduled);
            self.write_status(&cj, status.clone(), cx);
        }
        if let Ok(sched) = cron::parse(&cj.spec.schedule) {
            let view = CronJob { status, ..(*cj).clone() };
            if let Some(t) = next_schedule_time(&view, cx.now(), &sched) {
                self.enqueue_at(key.clone(), t, cx);
            }
        }
    }
}
