//! `batch/v1.CronJob`: the kind, the apiserver's strategy for it
//! (`SetDefaults_CronJob`, `ValidateCronJobCreate`/`Update`'s rules, the
//! status subresource) and how `kubectl get cronjobs` prints it
//! (`printCronJob`). The controller is `crate::controllers::cronjob`;
//! schedules are `super::cron`.

#![warn(missing_docs)]

use super::cron;
use super::job::{self, Job, JobSpec};
use crate::objects::meta::ObjectMeta;
use crate::objects::typed::{Allocators, KindInfo, TypedObject};
use crate::report::kubectl::{age_of, human_duration};
use crate::report::manifest::{pod_template, timestamp};
use crate::scenario::reader::{Fields, Reader, Unknown};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use serde_json::{json, Map, Value};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "CronJob",
    group: "batch",
    version: "v1",
    namespaced: true,
    columns: &["SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
    wide_columns: &["CONTAINERS", "IMAGES", "SELECTOR"],
    tracks_generation: true,
};

/// `spec.concurrencyPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConcurrencyPolicy {
    /// Runs may overlap (the default).
    Allow,
    /// A run is not started while the last one is active (it starts late,
    /// when that one finishes, if it is still the latest due run).
    Forbid,
    /// The active run is deleted and the new one started.
    Replace,
}

impl ConcurrencyPolicy {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Replace => "Replace",
        }
    }
}

/// `spec.jobTemplate`: the Jobs' metadata and spec (not defaulted here:
/// each Job gets the Job defaults when it is created).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobTemplate {
    /// `metadata.labels`.
    pub labels: Rc<BTreeMap<String, String>>,
    /// `metadata.annotations`.
    pub annotations: Rc<BTreeMap<String, String>>,
    /// `spec`, defaulted as `SetDefaults_Job` would.
    pub spec: JobSpec,
}

/// `batch/v1.CronJobSpec`, defaulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronJobSpec {
    /// `schedule`.
    pub schedule: String,
    /// `timeZone` (`None`: UTC, kube-controller-manager's zone).
    pub time_zone: Option<String>,
    /// `startingDeadlineSeconds`.
    pub starting_deadline_seconds: Option<i64>,
    /// `concurrencyPolicy`.
    pub concurrency_policy: ConcurrencyPolicy,
    /// `suspend`.
    pub suspend: bool,
    /// `successfulJobsHistoryLimit` (default 3).
    pub successful_jobs_history_limit: i32,
    /// `failedJobsHistoryLimit` (default 1).
    pub failed_jobs_history_limit: i32,
    /// `jobTemplate`.
    pub job_template: Rc<JobTemplate>,
}

/// A reference in `status.active`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveRef {
    /// The Job's namespace.
    pub namespace: Rc<str>,
    /// The Job's name.
    pub name: Rc<str>,
    /// The Job's uid.
    pub uid: u64,
}

/// `batch/v1.CronJobStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CronJobStatus {
    /// `active`: the Jobs running.
    pub active: Vec<ActiveRef>,
    /// `lastScheduleTime`.
    pub last_schedule_time: Option<SimTime>,
    /// `lastSuccessfulTime`.
    pub last_successful_time: Option<SimTime>,
}

/// A CronJob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronJob {
    /// The object's metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: CronJobSpec,
    /// The observed state (the status subresource).
    pub status: CronJobStatus,
}

impl CronJob {
    /// `validateCronJobSpec`'s rules, as the apiserver words them.
    fn check(&self, create: bool) -> Vec<String> {
        let s = &self.spec;
        let mut errs = Vec::new();
        if create && self.meta.name.len() > 52 {
            errs.push(format!(
                "metadata.name: Invalid value: \"{}\": must be no more than 52 characters",
                self.meta.name
            ));
        }
        if s.schedule.is_empty() {
            errs.push("spec.schedule: Required value".into());
        } else {
            if let Err(e) = cron::parse(&s.schedule) {
                errs.push(format!("spec.schedule: Invalid value: \"{}\": {}", s.schedule, e));
            }
            if s.schedule.contains("TZ") {
                errs.push(format!(
                    "spec.schedule: Invalid value: \"{}\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                    s.schedule
                ));
            }
        }
        if let Some(tz) = &s.time_zone {
            if tz.is_empty() {
                errs.push("spec.timeZone: Invalid value: \"\": timeZone must be nil or non-empty string".into());
            } else if tz.eq_ignore_ascii_case("local") {
                errs.push(format!(
                    "spec.timeZone: Invalid value: \"{}\": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
                    tz
                ));
            } else if cron::zone(tz).is_none() {
                errs.push(format!("spec.timeZone: Invalid value: \"{}\": unknown time zone {}", tz, tz));
            }
        }
        for (field, v) in [
            ("startingDeadlineSeconds", s.starting_deadline_seconds.unwrap_or(0)),
            ("successfulJobsHistoryLimit", s.successful_jobs_history_limit as i64),
            ("failedJobsHistoryLimit", s.failed_jobs_history_limit as i64),
        ] {
            if v < 0 {
                errs.push(format!("spec.{}: Invalid value: {}: must be greater than or equal to 0", field, v));
            }
        }
        let rp = s.job_template.spec.template.spec.restart_policy;
        if !matches!(rp, crate::objects::pod::RestartPolicy::OnFailure | crate::objects::pod::RestartPolicy::Never) {
            errs.push(format!(
                "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: \"{}\": supported values: \"OnFailure\", \"Never\"",
                rp.as_str()
            ));
        }
        errs
    }

    /// The schedule's zone (UTC without `timeZone`).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.spec.time_zone.as_deref().and_then(cron::zone).unwrap_or(chrono_tz::Tz::UTC)
    }

    /// `getJobFromTemplate2`: the Job for the run scheduled at `t`, named
    /// `<cronjob>-<minutes since the epoch>`.
    pub fn job_for(&self, t: SimTime) -> Job {
        let tpl = &self.spec.job_template;
        let mut annotations = (*tpl.annotations).clone();
        annotations.insert("batch.kubernetes.io/cronjob-scheduled-timestamp".into(), cron::rfc3339(t, self.zone()));
        let meta = ObjectMeta {
            name: format!("{}-{}", self.meta.name, t.0 / 60_000_000_000).into(),
            namespace: self.meta.namespace.clone(),
            labels: tpl.labels.clone(),
            annotations: Rc::new(annotations),
            owner_references: vec![crate::objects::meta::OwnerReference {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                name: self.meta.name.clone(),
                uid: self.meta.uid,
                controller: true,
                block_owner_deletion: true,
            }],
            ..Default::default()
        };
        // A Job without labels gets its pod template's, generated ones
        // included, when it is created (`Job::prepare_create`).
        Job { meta, spec: tpl.spec.clone(), status: Default::default() }
    }
}

impl TypedObject for CronJob {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(CronJob { meta, ..self.clone() })
    }

    fn prepare_create(&self, _alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        let errs = self.check(true);
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(Rc::new(CronJob { status: CronJobStatus::default(), ..self.clone() }))
    }

    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        _alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        let new = new.downcast::<CronJob>().ok_or_else(|| vec!["kind: Invalid value: not a CronJob".to_string()])?;
        let updated = CronJob { meta: self.meta.clone(), spec: new.spec.clone(), status: self.status.clone() };
        let errs = updated.check(false);
        if !errs.is_empty() {
            return Err(errs);
        }
        let changed = updated.spec != self.spec;
        Ok((Rc::new(updated), changed))
    }

    fn with_status_of(&self, new: &dyn TypedObject) -> Option<Rc<dyn TypedObject>> {
        let new = new.downcast::<CronJob>()?;
        Some(Rc::new(CronJob { status: new.status.clone(), ..self.clone() }))
    }

    fn digest_body(&self, d: &mut Digester) {
        let CronJobSpec {
            schedule,
            time_zone,
            starting_deadline_seconds,
            concurrency_policy,
            suspend,
            successful_jobs_history_limit,
            failed_jobs_history_limit,
            job_template,
        } = &self.spec;
        d.str(schedule);
        time_zone.digest(d);
        starting_deadline_seconds.digest(d);
        d.tag(*concurrency_policy as u64);
        suspend.digest(d);
        successful_jobs_history_limit.digest(d);
        failed_jobs_history_limit.digest(d);
        for m in [&job_template.labels, &job_template.annotations] {
            d.u64(m.len() as u64);
            for (k, v) in m.iter() {
                d.str(k);
                d.str(v);
            }
        }
        // The template's Job spec, through a Job's digest.
        Job { meta: ObjectMeta::default(), spec: job_template.spec.clone(), status: Default::default() }.digest_body(d);
        let CronJobStatus { active, last_schedule_time, last_successful_time } = &self.status;
        d.u64(active.len() as u64);
        for a in active {
            d.str(&a.namespace);
            d.str(&a.name);
            a.uid.digest(d);
        }
        last_schedule_time.digest(d);
        last_successful_time.digest(d);
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "schedule={:?} active={} last={}",
            self.spec.schedule,
            self.status.active.len(),
            self.status.last_schedule_time.map_or("-".to_string(), |t| t.to_string())
        )
    }

    fn body_json(&self) -> Map<String, Value> {
        let s = &self.spec;
        let tpl = &s.job_template;
        let job = Job { meta: ObjectMeta::default(), spec: tpl.spec.clone(), status: Default::default() };
        let mut job_spec = job.body_json().remove("spec").unwrap_or(Value::Null);
        if let Some(o) = job_spec.as_object_mut() {
            // The template has no generated selector.
            o.remove("selector");
            o.insert("template".into(), pod_template(&tpl.spec.template));
        }
        let mut jt_meta = Map::new();
        if !tpl.labels.is_empty() {
            jt_meta.insert("labels".into(), json!(*tpl.labels));
        }
        if !tpl.annotations.is_empty() {
            jt_meta.insert("annotations".into(), json!(*tpl.annotations));
        }
        let mut spec = json!({
            "schedule": s.schedule,
            "concurrencyPolicy": s.concurrency_policy.as_str(),
            "suspend": s.suspend,
            "successfulJobsHistoryLimit": s.successful_jobs_history_limit,
            "failedJobsHistoryLimit": s.failed_jobs_history_limit,
            "jobTemplate": {"metadata": jt_meta, "spec": job_spec},
        });
        if let Some(tz) = &s.time_zone {
            spec["timeZone"] = json!(tz);
        }
        if let Some(d) = s.starting_deadline_seconds {
            spec["startingDeadlineSeconds"] = json!(d);
        }
        let st = &self.status;
        let mut status = Map::new();
        if !st.active.is_empty() {
            let refs: Vec<Value> = st
                .active
                .iter()
                .map(|a| {
                    json!({"apiVersion": "batch/v1", "kind": "Job", "namespace": &*a.namespace, "name": &*a.name,
                           "uid": crate::objects::meta::uid_string(a.uid)})
                })
                .collect();
            status.insert("active".into(), Value::Array(refs));
        }
        if let Some(t) = st.last_schedule_time {
            status.insert("lastScheduleTime".into(), json!(timestamp(t)));
        }
        if let Some(t) = st.last_successful_time {
            status.insert("lastSuccessfulTime".into(), json!(timestamp(t)));
        }
        let mut m = Map::new();
        m.insert("spec".into(), spec);
        m.insert("status".into(), Value::Object(status));
        m
    }

    fn row(&self, now: SimTime, wide: bool) -> Vec<String> {
        let s = &self.spec;
        let mut r = vec![
            s.schedule.clone(),
            s.time_zone.clone().unwrap_or_else(|| "<none>".into()),
            if s.suspend { "True" } else { "False" }.to_string(),
            self.status.active.len().to_string(),
            self.status.last_schedule_time.map_or("<none>".to_string(), |t| human_duration(now.saturating_sub(t))),
            age_of(&self.meta, now),
        ];
        if wide {
            r.extend(crate::report::kubectl::workload_wide_cells(&s.job_template.spec.template.spec, "<none>".into()));
        }
        r
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Decodes a `batch/v1` CronJob's fields after its metadata.
pub fn decode(r: &mut Reader, f: &mut Fields, meta: ObjectMeta, what: &str) -> Option<Rc<dyn TypedObject>> {
    let spec_path = f.field("spec");
    let Some(spec) = f.get("spec") else {
        r.err(f.node, &spec_path, "a CronJob needs a spec");
        return None;
    };
    f.skip(&["status"]);
    let mut s = r.fields(spec, &spec_path)?;
    let schedule = match s.get("schedule") {
        Some(n) => r.str(n, &s.field("schedule"))?,
        None => String::new(),
    };
    let time_zone = match s.get("timeZone") {
        Some(n) => Some(r.str(n, &s.field("timeZone"))?),
        None => None,
    };
    let starting_deadline_seconds = match s.get("startingDeadlineSeconds") {
        Some(n) => Some(r.int(n, &s.field("startingDeadlineSeconds"))?),
        None => None,
    };
    let concurrency_policy = match s.get("concurrencyPolicy") {
        None => ConcurrencyPolicy::Allow,
        Some(n) => match r.str(n, &s.field("concurrencyPolicy"))?.as_str() {
            "Allow" => ConcurrencyPolicy::Allow,
            "Forbid" => ConcurrencyPolicy::Forbid,
            "Replace" => ConcurrencyPolicy::Replace,
            other => {
                r.err(
                    n,
                    &s.field("concurrencyPolicy"),
                    format!("Unsupported value: \"{}\": supported values: \"Allow\", \"Forbid\", \"Replace\"", other),
                );
                return None;
            }
        },
    };
    let suspend = match s.get("suspend") {
        Some(n) => r.bool(n, &s.field("suspend"))?,
        None => false,
    };
    let limit = |r: &mut Reader, s: &mut Fields, key: &str, default: i32| -> Option<i32> {
        match s.get(key) {
            Some(n) => r.int32(n, &s.field(key)),
            None => Some(default),
        }
    };
    let successful_jobs_history_limit = limit(r, &mut s, "successfulJobsHistoryLimit", 3)?;
    let failed_jobs_history_limit = limit(r, &mut s, "failedJobsHistoryLimit", 1)?;
    let jt_path = s.field("jobTemplate");
    let Some(jt) = s.get("jobTemplate") else {
        r.err(spec, &jt_path, "Required value");
        return None;
    };
    let mut jf = r.fields(jt, &jt_path)?;
    let (labels, annotations) = match jf.get("metadata") {
        Some(mn) => {
            let mp = jf.field("metadata");
            let mut mf = r.fields(mn, &mp)?;
            let l = mf.get("labels").map(|n| r.string_map(n, &mf.field("labels"))).unwrap_or_default();
            let a = mf.get("annotations").map(|n| r.string_map(n, &mf.field("annotations"))).unwrap_or_default();
            r.done(mf, Unknown::Warn, what);
            (l, a)
        }
        None => Default::default(),
    };
    let js_path = jf.field("spec");
    let Some(js) = jf.get("spec") else {
        r.err(jt, &js_path, "Required value");
        return None;
    };
    let job = job::decode_spec(r, js, &js_path, ObjectMeta { name: meta.name.clone(), ..Default::default() }, what)?;
    // `ValidateJobTemplateSpec`: each Job's selector is generated.
    if !job.spec.selector.is_empty() || job.spec.manual_selector {
        r.err(js, &format!("{}.selector", js_path), "Invalid value: `selector` will be auto-generated");
        return None;
    }
    r.done(jf, Unknown::Warn, what);
    r.done(s, Unknown::Warn, what);
    let cj = CronJob {
        meta,
        spec: CronJobSpec {
            schedule,
            time_zone,
            starting_deadline_seconds,
            concurrency_policy,
            suspend,
            successful_jobs_history_limit,
            failed_jobs_history_limit,
            job_template: Rc::new(JobTemplate {
                labels: Rc::new(labels),
                annotations: Rc::new(annotations),
                spec: job.spec,
            }),
        },
        status: CronJobStatus::default(),
    };
    let errs = cj.check(true);
    if !errs.is_empty() {
        r.err(
            spec,
            &spec_path,
            format!("CronJob.batch \"{}\" is invalid: {}", cj.meta.name, super::join_causes(&errs)),
        );
        return None;
    }
    Some(Rc::new(cj))
}
