//! The TTL-after-finished controller (`pkg/controller/ttlafterfinished`,
//! `ttl-after-finished-controller`): a finished Job with
//! `ttlSecondsAfterFinished` is deleted once that long has passed since it
//! finished (its `Complete` or `Failed` condition's transition), with
//! Foreground propagation, so its pods go first. A Job already being
//! deleted (its `deletionTimestamp` set) is left alone (`addJob`,
//! `updateJob` and `processTTL` skip it).
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared Job informer, keeps a timer per finished Job and sends its
//! deletes as `"ttl-after-finished-controller"` without waiting for the
//! answer (upstream only logs an error). A crash loses its timers; the
//! restarted controller relists and deletes every Job whose TTL ran out
//! meanwhile at once.

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::kinds::job::Job;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::sim::SimDuration;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The TTL-after-finished controller's cache of finished Jobs with a TTL
/// and its timers.
#[derive(Default)]
pub struct TtlAfterFinishedController {
    /// Every finished, live Job with a TTL, by key.
    jobs: Map<Key, Rc<Job>>,
    /// Each timer's Job (a Job updated again gets another timer; a timer
    /// that finds its Job not yet expired waits again).
    timers: Map<u64, Key>,
    next_token: u64,
}

impl Controller for TtlAfterFinishedController {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Job"]
    }

    /// `addJob`/`updateJob`: a finished Job with a TTL is looked at when
    /// its TTL runs out.
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Typed(t) = &ev.obj else { return };
        let Some(job) = t.downcast::<Job>() else { return };
        let key = Key::of(&job.meta);
        let live = ev.kind != WatchKind::Deleted && job.meta.deletion_timestamp.is_none();
        let finished = job.status.finished().filter(|_| live && job.spec.ttl_seconds_after_finished.is_some());
        let Some(c) = finished else {
            self.jobs.swap_remove(&key);
            return;
        };
        let ttl = SimDuration::from_secs(job.spec.ttl_seconds_after_finished.unwrap_or(0).max(0) as u64);
        let at = (c.last_transition_time + ttl).max(cx.now());
        self.jobs.insert(key.clone(), Rc::new(job.clone()));
        self.set_timer(key, at, cx);
    }

    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if let Some(key) = self.timers.swap_remove(&token) {
            self.process_job(&key, cx);
        }
    }
}

impl TtlAfterFinishedController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    fn set_timer(&mut self, key: Key, at: crate::sim::SimTime, cx: &mut Cx) {
        self.next_token += 1;
        self.timers.insert(self.next_token, key);
        cx.at(at, self.next_token);
    }

    /// `processJob`: a finished Job whose TTL has passed is deleted, its
    /// pods with it (Foreground, as upstream deletes).
    pub(crate) fn process_job(&mut self, key: &Key, cx: &mut Cx) {
        let Some(job) = self.jobs.get(key).cloned() else { return };
        let (Some(c), Some(ttl)) = (job.status.finished(), job.spec.ttl_seconds_after_finished) else { return };
        let expire = c.last_transition_time + SimDuration::from_secs(ttl.max(0) as u64);
        if expire > cx.now() {
            self.set_timer(key.clone(), expire, cx);
            return;
        }
        self.jobs.swap_remove(key);
        cx.send_unanswered(ApiOp::Delete {
            kind: Kind::Other,
            other_kind: Some("Job".into()),
            key: key.clone(),
            uid: Some(job.meta.uid),
            grace_seconds: None,
            propagation: Propagation::Foreground,
            disruption: None,
        });
    }
}
