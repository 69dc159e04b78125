//! `batch/v1.Job`: the kind, the apiserver's strategy for it
//! (`SetDefaults_Job`, `generateSelector`, the rules of `ValidateJob` and
//! `ValidateJobUpdate` that matter here, the status subresource) and how
//! `kubectl get jobs` prints it (`printJob`). The controller is
//! `crate::controllers::job`.

#![warn(missing_docs)]

use crate::objects::meta::{uid_string, ObjectMeta};
use crate::objects::pod::{CondStatus, RestartPolicy};
use crate::objects::replicaset::PodTemplate;
use crate::objects::selector::{Labels, Selector};
use crate::objects::typed::{Allocators, KindInfo, TypedObject};
use crate::report::kubectl::{age_of, human_duration};
use crate::report::manifest::{label_selector, pod_template, timestamp};
use crate::scenario::reader::{Fields, Reader, Unknown};
use crate::sim::trace::{Digest, Digester};
use crate::sim::{SimDuration, SimTime};
use serde_json::{json, Map, Value};
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "Job",
    group: "batch",
    version: "v1",
    namespaced: true,
    columns: &["STATUS", "COMPLETIONS", "DURATION", "AGE"],
    wide_columns: &["CONTAINERS", "IMAGES", "SELECTOR"],
    tracks_generation: true,
};

/// The label (and the legacy one) with the Job's uid, which the generated
/// selector selects.
pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
/// The legacy spelling of `CONTROLLER_UID_LABEL`.
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";
/// The label with the Job's name.
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
/// The legacy spelling of `JOB_NAME_LABEL`.
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";
/// The annotation (and label) with an Indexed Job pod's completion index.
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";

/// `spec.completionMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionMode {
    /// Pods are interchangeable: the Job completes after `completions`
    /// successes (or, without `completions`, after the first success once
    /// no pod runs).
    NonIndexed,
    /// Each index 0..completions needs one success; pods carry their index.
    Indexed,
}

impl CompletionMode {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CompletionMode::NonIndexed => "NonIndexed",
            CompletionMode::Indexed => "Indexed",
        }
    }
}

/// `spec.podReplacementPolicy`: when a replacement pod may be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodReplacementPolicy {
    /// Once the old pod is terminating or failed (the default without a
    /// pod failure policy).
    TerminatingOrFailed,
    /// Only once the old pod has failed (reached phase Failed).
    Failed,
}

impl PodReplacementPolicy {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PodReplacementPolicy::TerminatingOrFailed => "TerminatingOrFailed",
            PodReplacementPolicy::Failed => "Failed",
        }
    }
}

/// A pod failure policy rule's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureAction {
    /// Fail the whole Job at once (reason `PodFailurePolicy`).
    FailJob,
    /// Do not count the failure toward `backoffLimit`.
    Ignore,
    /// Count it, as without a policy.
    Count,
    /// Fail the index (needs `backoffLimitPerIndex`, not simulated).
    FailIndex,
}

impl FailureAction {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureAction::FailJob => "FailJob",
            FailureAction::Ignore => "Ignore",
            FailureAction::Count => "Count",
            FailureAction::FailIndex => "FailIndex",
        }
    }
}

/// `onExitCodes` of a pod failure policy rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnExitCodes {
    /// `containerName`: only this container's exit code counts.
    pub container_name: Option<String>,
    /// `operator`: `In` (true) or `NotIn` (false).
    pub operator_in: bool,
    /// `values`.
    pub values: Vec<i32>,
}

/// One rule of `spec.podFailurePolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailurePolicyRule {
    /// `action`.
    pub action: FailureAction,
    /// `onExitCodes`.
    pub on_exit_codes: Option<OnExitCodes>,
    /// `onPodConditions`: (type, status) pairs.
    pub on_pod_conditions: Vec<(String, CondStatus)>,
}

/// `batch/v1.JobSpec`, defaulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// `parallelism` (default 1).
    pub parallelism: i32,
    /// `completions` (default 1 when `parallelism` is also unset; `None`:
    /// a work queue, done after the first success).
    pub completions: Option<i32>,
    /// `activeDeadlineSeconds`.
    pub active_deadline_seconds: Option<i64>,
    /// `backoffLimit` (default 6).
    pub backoff_limit: i32,
    /// `completionMode`.
    pub completion_mode: CompletionMode,
    /// `suspend`.
    pub suspend: bool,
    /// `ttlSecondsAfterFinished`.
    pub ttl_seconds_after_finished: Option<i32>,
    /// `podFailurePolicy.rules`.
    pub pod_failure_policy: Option<Rc<[FailurePolicyRule]>>,
    /// `podReplacementPolicy`.
    pub pod_replacement_policy: PodReplacementPolicy,
    /// `manualSelector`.
    pub manual_selector: bool,
    /// `selector` (generated on create unless `manualSelector`).
    pub selector: Rc<Selector>,
    /// `template`.
    pub template: Rc<PodTemplate>,
}

impl JobSpec {
    /// The spec `SetDefaults_Job` gives a Job that sets only its template:
    /// one completion, one at a time, `backoffLimit` 6, NonIndexed, the
    /// selector left for the apiserver to generate.
    pub fn new(template: PodTemplate) -> JobSpec {
        JobSpec {
            parallelism: 1,
            completions: Some(1),
            active_deadline_seconds: None,
            backoff_limit: 6,
            completion_mode: CompletionMode::NonIndexed,
            suspend: false,
            ttl_seconds_after_finished: None,
            pod_failure_policy: None,
            pod_replacement_policy: PodReplacementPolicy::TerminatingOrFailed,
            manual_selector: false,
            selector: Rc::new(Selector::everything()),
            template: Rc::new(template),
        }
    }
}

/// A Job condition's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobConditionType {
    /// `Suspended`.
    Suspended,
    /// `FailureTarget`: the Job will fail once its pods are gone.
    FailureTarget,
    /// `SuccessCriteriaMet`: the Job will complete once its pods are gone.
    SuccessCriteriaMet,
    /// `Complete`.
    Complete,
    /// `Failed`.
    Failed,
}

impl JobConditionType {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobConditionType::Suspended => "Suspended",
            JobConditionType::FailureTarget => "FailureTarget",
            JobConditionType::SuccessCriteriaMet => "SuccessCriteriaMet",
            JobConditionType::Complete => "Complete",
            JobConditionType::Failed => "Failed",
        }
    }
}

/// `batch/v1.JobCondition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobCondition {
    /// `type`.
    pub type_: JobConditionType,
    /// `status`.
    pub status: CondStatus,
    /// `lastProbeTime`.
    pub last_probe_time: SimTime,
    /// `lastTransitionTime`.
    pub last_transition_time: SimTime,
    /// `reason`.
    pub reason: String,
    /// `message`.
    pub message: String,
}

/// `batch/v1.JobStatus`, as the controller writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobStatus {
    /// `conditions`, in the order they were first set.
    pub conditions: Vec<JobCondition>,
    /// `startTime`: when the controller first worked on the Job (reset on
    /// resume).
    pub start_time: Option<SimTime>,
    /// `completionTime`: set with `Complete`.
    pub completion_time: Option<SimTime>,
    /// `active`: pods not terminated and not terminating.
    pub active: i32,
    /// `ready`: active pods with the Ready condition.
    pub ready: i32,
    /// `terminating`: pods terminating (deletion requested, not yet
    /// Succeeded or Failed); `None` with the JobPodReplacementPolicy gate
    /// off (on in v1.32, as kubesim runs).
    pub terminating: Option<i32>,
    /// `succeeded`.
    pub succeeded: i32,
    /// `failed`.
    pub failed: i32,
    /// `completedIndexes` (Indexed): `"1,3-5"`.
    pub completed_indexes: String,
}

impl JobStatus {
    /// The condition of type `t` whose status is True.
    pub fn condition(&self, t: JobConditionType) -> Option<&JobCondition> {
        self.conditions.iter().find(|c| c.type_ == t && c.status == CondStatus::True)
    }

    /// `IsJobFinished`: Complete or Failed.
    pub fn finished(&self) -> Option<&JobCondition> {
        self.conditions.iter().find(|c| {
            matches!(c.type_, JobConditionType::Complete | JobConditionType::Failed) && c.status == CondStatus::True
        })
    }
}

/// A Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The object's metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: JobSpec,
    /// The observed state (the status subresource).
    pub status: JobStatus,
}

/// `"1,3-5"` for the indexes {1, 3, 4, 5} (sorted, distinct), as
/// `orderedIntervals.String` writes them.
pub fn format_indexes(idx: impl IntoIterator<Item = i32>) -> String {
    let mut out = String::new();
    let mut run: Option<(i32, i32)> = None;
    let flush = |out: &mut String, (a, b): (i32, i32)| {
        if !out.is_empty() {
            out.push(',');
        }
        if a == b {
            out.push_str(&a.to_string());
        } else if b == a + 1 {
            // `orderedIntervals.String`: a run of two is written `a,b`.
            out.push_str(&format!("{},{}", a, b));
        } else {
            out.push_str(&format!("{}-{}", a, b));
        }
    };
    for i in idx {
        run = match run {
            Some((a, b)) if i == b + 1 => Some((a, i)),
            Some((a, b)) if i <= b => Some((a, b)),
            Some(r) => {
                flush(&mut out, r);
                Some((i, i))
            }
            None => Some((i, i)),
        };
    }
    if let Some(r) = run {
        flush(&mut out, r);
    }
    out
}

/// The indexes of `"1,3-5"` below `completions` (`parseIndexesFromString`:
/// malformed parts are skipped).
pub fn parse_indexes(s: &str, completions: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
            None => (part.parse::<i32>(), part.parse::<i32>()),
        };
        if let (Ok(a), Ok(b)) = (a, b) {
            for i in a.max(0)..=b.min(completions - 1) {
                out.push(i);
            }
        }
    }
    out
}

impl Job {
    /// `ValidateJobSpec` and the generated-selector rules
    /// (`ValidateGeneratedSelector`), as the apiserver words them.
    fn check(&self) -> Vec<String> {
        let s = &self.spec;
        let mut errs = Vec::new();
        let nonneg = |errs: &mut Vec<String>, field: &str, v: i64| {
            if v < 0 {
                errs.push(format!("spec.{}: Invalid value: {}: must be greater than or equal to 0", field, v));
            }
        };
        nonneg(&mut errs, "parallelism", s.parallelism as i64);
        if let Some(c) = s.completions {
            nonneg(&mut errs, "completions", c as i64);
        }
        nonneg(&mut errs, "backoffLimit", s.backoff_limit as i64);
        if let Some(t) = s.ttl_seconds_after_finished {
            nonneg(&mut errs, "ttlSecondsAfterFinished", t as i64);
        }
        if let Some(d) = s.active_deadline_seconds {
            nonneg(&mut errs, "activeDeadlineSeconds", d);
        }
        if s.completion_mode == CompletionMode::Indexed {
            match s.completions {
                None => errs.push("spec.completions: Required value: when completion mode is Indexed".into()),
                Some(c) if c > 100_000 => {
                    errs.push(format!("spec.completions: Invalid value: {}: must be less than or equal to 100000", c))
                }
                _ => {}
            }
        }
        if s.selector.is_empty() {
            errs.push("spec.selector: Required value".into());
        } else if !s.selector.matches(&s.template.labels) {
            errs.push(
                "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`".into(),
            );
        }
        if !s.manual_selector {
            let uid = uid_string(self.meta.uid);
            let generated = Selector::from_map(&Labels::from([(CONTROLLER_UID_LABEL.to_string(), uid.clone())]));
            if *s.selector != generated {
                errs.push(format!("spec.selector: Invalid value: \"{}\": `selector` not auto-generated", s.selector));
            }
            if s.template.labels.get(CONTROLLER_UID_LABEL) != Some(&uid) {
                errs.push(format!(
                    "spec.template.metadata.labels[{}]: Invalid value: \"{}\": must be '{}'",
                    CONTROLLER_UID_LABEL,
                    s.template.labels.get(CONTROLLER_UID_LABEL).map_or("", |v| v.as_str()),
                    uid
                ));
            }
        }
        // The template's labels are validated as labels: the generated
        // `job-name` ones hold the Job's name.
        if let Some(v) = s.template.labels.values().find(|v| v.len() > 63) {
            errs.push(format!("spec.template.labels: Invalid value: \"{}\": must be no more than 63 characters", v));
        }
        let rp = s.template.spec.restart_policy;
        if !matches!(rp, RestartPolicy::OnFailure | RestartPolicy::Never) {
            errs.push(format!(
                "spec.template.spec.restartPolicy: Unsupported value: \"{}\": supported values: \"OnFailure\", \"Never\"",
                rp.as_str()
            ));
        }
        if let Some(rules) = &s.pod_failure_policy {
            if rp != RestartPolicy::Never {
                errs.push(format!(
                    "spec.template.spec.restartPolicy: Invalid value: \"{}\": only \"Never\" is supported when podFailurePolicy is specified",
                    rp.as_str()
                ));
            }
            for (i, r) in rules.iter().enumerate() {
                if r.action == FailureAction::FailIndex {
                    errs.push(format!(
                        "spec.podFailurePolicy.rules[{}].action: Invalid value: \"FailIndex\": requires the backoffLimitPerIndex field",
                        i
                    ));
                }
            }
        }
        errs
    }

    /// `generateSelector`: the `batch.kubernetes.io/controller-uid`
    /// selector, and the uid and job-name labels (both spellings) on the
    /// template, unless the user set them.
    fn generate_selector(&mut self) {
        let uid = uid_string(self.meta.uid);
        let t = Rc::make_mut(&mut self.spec.template);
        let mut labels = (*t.labels).clone();
        for k in [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL] {
            labels.entry(k.to_string()).or_insert_with(|| self.meta.name.to_string());
        }
        for k in [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL] {
            labels.entry(k.to_string()).or_insert_with(|| uid.clone());
        }
        t.labels = Rc::new(labels);
        if self.spec.selector.is_empty() {
            self.spec.selector = Rc::new(Selector::from_map(&Labels::from([(CONTROLLER_UID_LABEL.to_string(), uid)])));
        }
    }

    /// The STATUS column (`printJob`).
    pub fn status_text(&self) -> &'static str {
        let st = &self.status;
        if st.condition(JobConditionType::Complete).is_some() {
            "Complete"
        } else if st.condition(JobConditionType::Failed).is_some() {
            "Failed"
        } else if self.meta.deletion_timestamp.is_some() {
            "Terminating"
        } else if st.condition(JobConditionType::Suspended).is_some() {
            "Suspended"
        } else if st.condition(JobConditionType::FailureTarget).is_some() {
            // kubectl v1.32 has no `SuccessCriteriaMet` value (v1.34 adds it).
            "FailureTarget"
        } else {
            "Running"
        }
    }

    /// The COMPLETIONS column: `1/5`, `0/1 of 3` for a work queue.
    pub fn completions_text(&self) -> String {
        let s = self.status.succeeded;
        match self.spec.completions {
            Some(c) => format!("{}/{}", s, c),
            None if self.spec.parallelism > 1 => format!("{}/1 of {}", s, self.spec.parallelism),
            None => format!("{}/1", s),
        }
    }

    /// The DURATION column: start to completion, or to now.
    pub fn duration_text(&self, now: SimTime) -> String {
        match (self.status.start_time, self.status.completion_time) {
            (None, _) => String::new(),
            (Some(s), None) => human_duration(now.saturating_sub(s)),
            (Some(s), Some(c)) => human_duration(c.saturating_sub(s)),
        }
    }
}

impl TypedObject for Job {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(Job { meta, ..self.clone() })
    }

    fn prepare_create(&self, _alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        // The store gives `self` its name and uid before this runs.
        let mut job = Job { status: JobStatus::default(), ..self.clone() };
        if !job.spec.manual_selector {
            job.generate_selector();
        }
        // `SetDefaults_Job`: a Job without labels gets its template's —
        // the same Go map, which `generateSelector` then fills, so the
        // generated labels show on the Job too.
        if job.meta.labels.is_empty() {
            job.meta.labels = job.spec.template.labels.clone();
        }
        let errs = job.check();
        if errs.is_empty() {
            Ok(Rc::new(job))
        } else {
            Err(errs)
        }
    }

    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        _alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        let new = new.downcast::<Job>().ok_or_else(|| vec!["kind: Invalid value: not a Job".to_string()])?;
        let (old, mut spec) = (&self.spec, new.spec.clone());
        if !spec.manual_selector && spec.selector.is_empty() {
            // A manifest applied again: `kubectl apply` merges it into the
            // stored object, which keeps the generated selector and labels.
            let mut merged = Job { meta: self.meta.clone(), spec, status: JobStatus::default() };
            merged.generate_selector();
            spec = merged.spec;
        }
        let mut errs = Vec::new();
        if spec.selector != old.selector {
            errs.push(format!("spec.selector: Invalid value: \"{}\": field is immutable", spec.selector));
        }
        if spec.completion_mode != old.completion_mode {
            errs.push(format!(
                "spec.completionMode: Invalid value: \"{}\": field is immutable",
                spec.completion_mode.as_str()
            ));
        }
        // `completions` may change only for an Indexed Job, together with
        // `parallelism` (elastic Indexed Jobs).
        if spec.completions != old.completions
            && !(spec.completion_mode == CompletionMode::Indexed
                && spec.completions.is_some()
                && spec.completions == Some(spec.parallelism))
        {
            errs.push(format!(
                "spec.completions: Invalid value: {}: field is immutable",
                spec.completions.map_or("null".to_string(), |c| c.to_string())
            ));
        }
        if spec.template != old.template {
            errs.push("spec.template: Invalid value: field is immutable".to_string());
        }
        spec.template = old.template.clone();
        if !errs.is_empty() {
            return Err(errs);
        }
        let updated = Job { meta: self.meta.clone(), spec, status: self.status.clone() };
        let errs = updated.check();
        if !errs.is_empty() {
            return Err(errs);
        }
        let changed = updated.spec != self.spec;
        Ok((Rc::new(updated), changed))
    }

    /// `SetDefaults_Job` on the request: a Job written without labels
    /// gets its template's, generated ones included (a manifest applied
    /// again keeps them).
    fn defaulted_labels(&self, request: &ObjectMeta) -> Option<Rc<Labels>> {
        request.labels.is_empty().then(|| self.spec.template.labels.clone())
    }

    fn with_status_of(&self, new: &dyn TypedObject) -> Option<Rc<dyn TypedObject>> {
        let new = new.downcast::<Job>()?;
        Some(Rc::new(Job { status: new.status.clone(), ..self.clone() }))
    }

    fn digest_body(&self, d: &mut Digester) {
        let JobSpec {
            parallelism,
            completions,
            active_deadline_seconds,
            backoff_limit,
            completion_mode,
            suspend,
            ttl_seconds_after_finished,
            pod_failure_policy,
            pod_replacement_policy,
            manual_selector,
            selector,
            template,
        } = &self.spec;
        parallelism.digest(d);
        completions.digest(d);
        active_deadline_seconds.digest(d);
        backoff_limit.digest(d);
        d.tag(*completion_mode as u64);
        suspend.digest(d);
        ttl_seconds_after_finished.digest(d);
        d.u64(pod_failure_policy.as_ref().map_or(u64::MAX, |r| r.len() as u64));
        for r in pod_failure_policy.iter().flat_map(|r| r.iter()) {
            d.tag(r.action as u64);
            if let Some(e) = &r.on_exit_codes {
                e.container_name.digest(d);
                e.operator_in.digest(d);
                e.values.as_slice().digest(d);
            }
            for (t, s) in &r.on_pod_conditions {
                d.str(t);
                d.tag(*s as u64);
            }
        }
        d.tag(*pod_replacement_policy as u64);
        manual_selector.digest(d);
        selector.digest(d);
        template.digest(d);
        let JobStatus {
            conditions,
            start_time,
            completion_time,
            active,
            ready,
            terminating,
            succeeded,
            failed,
            completed_indexes,
        } = &self.status;
        d.u64(conditions.len() as u64);
        for c in conditions {
            d.tag(c.type_ as u64);
            d.tag(c.status as u64);
            c.last_probe_time.digest(d);
            c.last_transition_time.digest(d);
            d.str(&c.reason);
            d.str(&c.message);
        }
        start_time.digest(d);
        completion_time.digest(d);
        for v in [active, ready, succeeded, failed] {
            v.digest(d);
        }
        terminating.digest(d);
        d.str(completed_indexes);
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.status;
        write!(f, "{} active={} succeeded={} failed={}", self.status_text(), s.active, s.succeeded, s.failed)
    }

    fn body_json(&self) -> Map<String, Value> {
        let s = &self.spec;
        let mut spec = json!({
            "parallelism": s.parallelism,
            "backoffLimit": s.backoff_limit,
            "completionMode": s.completion_mode.as_str(),
            "suspend": s.suspend,
            "podReplacementPolicy": s.pod_replacement_policy.as_str(),
            "selector": label_selector(&s.selector),
            "template": pod_template(&s.template),
        });
        if let Some(c) = s.completions {
            spec["completions"] = json!(c);
        }
        if let Some(d) = s.active_deadline_seconds {
            spec["activeDeadlineSeconds"] = json!(d);
        }
        if let Some(t) = s.ttl_seconds_after_finished {
            spec["ttlSecondsAfterFinished"] = json!(t);
        }
        if s.manual_selector {
            spec["manualSelector"] = json!(true);
        }
        if let Some(rules) = &s.pod_failure_policy {
            let rules: Vec<Value> = rules
                .iter()
                .map(|r| {
                    let mut v = json!({"action": r.action.as_str()});
                    if let Some(e) = &r.on_exit_codes {
                        let mut ec =
                            json!({"operator": if e.operator_in { "In" } else { "NotIn" }, "values": e.values});
                        if let Some(c) = &e.container_name {
                            ec["containerName"] = json!(c);
                        }
                        v["onExitCodes"] = ec;
                    }
                    if !r.on_pod_conditions.is_empty() {
                        v["onPodConditions"] = Value::Array(
                            r.on_pod_conditions.iter().map(|(t, s)| json!({"type": t, "status": s.as_str()})).collect(),
                        );
                    }
                    v
                })
                .collect();
            spec["podFailurePolicy"] = json!({ "rules": rules });
        }
        let st = &self.status;
        let mut status = Map::new();
        if !st.conditions.is_empty() {
            let conds: Vec<Value> = st
                .conditions
                .iter()
                .map(|c| {
                    json!({
                        "type": c.type_.as_str(),
                        "status": c.status.as_str(),
                        "lastProbeTime": timestamp(c.last_probe_time),
                        "lastTransitionTime": timestamp(c.last_transition_time),
                        "reason": c.reason,
                        "message": c.message,
                    })
                })
                .collect();
            status.insert("conditions".into(), Value::Array(conds));
        }
        if let Some(t) = st.start_time {
            status.insert("startTime".into(), json!(timestamp(t)));
        }
        if let Some(t) = st.completion_time {
            status.insert("completionTime".into(), json!(timestamp(t)));
        }
        for (k, v) in [("active", st.active), ("succeeded", st.succeeded), ("failed", st.failed)] {
            if v != 0 {
                status.insert(k.into(), json!(v));
            }
        }
        // `ready` and `terminating` are pointers the controller always sets.
        if st.start_time.is_some() {
            status.insert("ready".into(), json!(st.ready));
            if let Some(t) = st.terminating {
                status.insert("terminating".into(), json!(t));
            }
            status.insert("uncountedTerminatedPods".into(), json!({}));
        }
        if !st.completed_indexes.is_empty() {
            status.insert("completedIndexes".into(), json!(st.completed_indexes));
        }
        let mut m = Map::new();
        m.insert("spec".into(), spec);
        m.insert("status".into(), Value::Object(status));
        m
    }

    fn row(&self, now: SimTime, wide: bool) -> Vec<String> {
        let mut r = vec![
            self.status_text().to_string(),
            self.completions_text(),
            self.duration_text(now),
            age_of(&self.meta, now),
        ];
        if wide {
            r.extend(crate::report::kubectl::workload_wide_cells(
                &self.spec.template.spec,
                self.spec.selector.to_string(),
            ));
        }
        r
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Decodes a `batch/v1` Job's fields after its metadata.
pub fn decode(r: &mut Reader, f: &mut Fields, meta: ObjectMeta, what: &str) -> Option<Rc<dyn TypedObject>> {
    let spec_path = f.field("spec");
    let Some(spec) = f.get("spec") else {
        r.err(f.node, &spec_path, "a Job needs a spec");
        return None;
    };
    f.skip(&["status"]);
    let job = decode_spec(r, spec, &spec_path, meta, what)?;
    Some(Rc::new(job))
}

/// Decodes a JobSpec (a Job's, or a CronJob's `jobTemplate.spec`) with
/// the defaults `SetDefaults_Job` gives; `meta` is the Job's.
pub fn decode_spec(
    r: &mut Reader,
    spec: &crate::scenario::yaml::Node,
    spec_path: &str,
    meta: ObjectMeta,
    what: &str,
) -> Option<Job> {
    let mut s = r.fields(spec, spec_path)?;
    let tpath = s.field("template");
    let Some(tnode) = s.get("template") else {
        r.err(spec, &tpath, "Required value: template is required");
        return None;
    };
    let template = crate::scenario::manifest::decode_pod_template(r, tnode, &tpath, what)?;
    let int = |r: &mut Reader, s: &mut Fields, key: &str| -> Option<Option<i32>> {
        match s.get(key) {
            Some(n) => Some(Some(r.int32(n, &s.field(key))?)),
            None => Some(None),
        }
    };
    let parallelism = int(r, &mut s, "parallelism")?;
    let completions = int(r, &mut s, "completions")?;
    let backoff_limit = int(r, &mut s, "backoffLimit")?.unwrap_or(6);
    let ttl = int(r, &mut s, "ttlSecondsAfterFinished")?;
    let deadline = match s.get("activeDeadlineSeconds") {
        Some(n) => Some(r.int(n, &s.field("activeDeadlineSeconds"))?),
        None => None,
    };
    let b = |r: &mut Reader, s: &mut Fields, key: &str| -> Option<bool> {
        match s.get(key) {
            Some(n) => r.bool(n, &s.field(key)),
            None => Some(false),
        }
    };
    let suspend = b(r, &mut s, "suspend")?;
    let manual_selector = b(r, &mut s, "manualSelector")?;
    let completion_mode = match s.get("completionMode") {
        None => CompletionMode::NonIndexed,
        Some(n) => match r.str(n, &s.field("completionMode"))?.as_str() {
            "NonIndexed" => CompletionMode::NonIndexed,
            "Indexed" => CompletionMode::Indexed,
            other => {
                r.err(
                    n,
                    &s.field("completionMode"),
                    format!("Unsupported value: \"{}\": supported values: \"NonIndexed\", \"Indexed\"", other),
                );
                return None;
            }
        },
    };
    let pod_failure_policy = match s.get("podFailurePolicy") {
        Some(n) => Some(decode_failure_policy(r, n, &s.field("podFailurePolicy"), what)?),
        None => None,
    };
    // `SetDefaults_Job`: Failed when a pod failure policy is set.
    let pod_replacement_policy = match s.get("podReplacementPolicy") {
        None if pod_failure_policy.is_some() => PodReplacementPolicy::Failed,
        None => PodReplacementPolicy::TerminatingOrFailed,
        Some(n) => match r.str(n, &s.field("podReplacementPolicy"))?.as_str() {
            "TerminatingOrFailed" => PodReplacementPolicy::TerminatingOrFailed,
            "Failed" => PodReplacementPolicy::Failed,
            other => {
                r.err(
                    n,
                    &s.field("podReplacementPolicy"),
                    format!("Unsupported value: \"{}\": supported values: \"Failed\", \"TerminatingOrFailed\"", other),
                );
                return None;
            }
        },
    };
    let selector = match s.get("selector") {
        Some(n) => crate::scenario::manifest::decode_label_selector(r, n, &s.field("selector"))?,
        None => Selector::everything(),
    };
    r.done(s, Unknown::Warn, what);
    // `SetDefaults_Job`: both unset → 1 and 1; parallelism unset → 1.
    let (parallelism, completions) = match (parallelism, completions) {
        (None, None) => (1, Some(1)),
        (None, c) => (1, c),
        (Some(p), c) => (p, c),
    };
    let job = Job {
        meta,
        spec: JobSpec {
            parallelism,
            completions,
            active_deadline_seconds: deadline,
            backoff_limit,
            completion_mode,
            suspend,
            ttl_seconds_after_finished: ttl,
            pod_failure_policy,
            pod_replacement_policy,
            manual_selector,
            selector: Rc::new(selector),
            template: Rc::new(template),
        },
        status: JobStatus::default(),
    };
    // What can be checked before the apiserver generates the selector.
    let mut pre = job.clone();
    if !pre.spec.manual_selector {
        pre.generate_selector();
    }
    let errs = pre.check();
    if !errs.is_empty() {
        r.err(spec, spec_path, format!("Job.batch \"{}\" is invalid: {}", job.meta.name, super::join_causes(&errs)));
        return None;
    }
    Some(job)
}

fn decode_failure_policy(
    r: &mut Reader,
    node: &crate::scenario::yaml::Node,
    path: &str,
    what: &str,
) -> Option<Rc<[FailurePolicyRule]>> {
    let mut f = r.fields(node, path)?;
    let mut rules = Vec::new();
    if let Some(rn) = f.get("rules") {
        let rp = f.field("rules");
        for (i, item) in r.seq(rn, &rp).iter().enumerate() {
            let ip = format!("{}[{}]", rp, i);
            let mut rf = r.fields(item, &ip)?;
            let action = match rf.get("action") {
                None => {
                    r.err(item, &rf.field("action"), "Required value");
                    return None;
                }
                Some(a) => match r.str(a, &rf.field("action"))?.as_str() {
                    "FailJob" => FailureAction::FailJob,
                    "Ignore" => FailureAction::Ignore,
                    "Count" => FailureAction::Count,
                    "FailIndex" => FailureAction::FailIndex,
                    other => {
                        r.err(
                            a,
                            &rf.field("action"),
                            format!(
                                "Unsupported value: \"{}\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\"",
                                other
                            ),
                        );
                        return None;
                    }
                },
            };
            let on_exit_codes = match rf.get("onExitCodes") {
                None => None,
                Some(en) => {
                    let ep = rf.field("onExitCodes");
                    let mut ef = r.fields(en, &ep)?;
                    let container_name = match ef.get("containerName") {
                        Some(c) => Some(r.str(c, &ef.field("containerName"))?),
                        None => None,
                    };
                    let operator_in = match ef.get("operator") {
                        Some(o) => match r.str(o, &ef.field("operator"))?.as_str() {
                            "In" => true,
                            "NotIn" => false,
                            other => {
                                r.err(
                                    o,
                                    &ef.field("operator"),
                                    format!("Unsupported value: \"{}\": supported values: \"In\", \"NotIn\"", other),
                                );
                                return None;
                            }
                        },
                        None => {
                            r.err(en, &ef.field("operator"), "Required value");
                            return None;
                        }
                    };
                    let mut values = Vec::new();
                    if let Some(vn) = ef.get("values") {
                        let vp = ef.field("values");
                        for (j, v) in r.seq(vn, &vp).iter().enumerate() {
                            values.push(r.int32(v, &format!("{}[{}]", vp, j))?);
                        }
                    }
                    if values.is_empty() {
                        r.err(en, &ef.field("values"), "Required value: at least one value is required");
                        return None;
                    }
                    if operator_in && values.contains(&0) {
                        r.err(en, &ef.field("values"), "Invalid value: 0: must not be 0 for the In operator");
                        return None;
                    }
                    r.done(ef, Unknown::Error, what);
                    Some(OnExitCodes { container_name, operator_in, values })
                }
            };
            let mut on_pod_conditions = Vec::new();
            if let Some(cn) = rf.get("onPodConditions") {
                let cp = rf.field("onPodConditions");
                for (j, c) in r.seq(cn, &cp).iter().enumerate() {
                    let jp = format!("{}[{}]", cp, j);
                    let mut cf = r.fields(c, &jp)?;
                    let Some(t) = cf.get("type") else {
                        r.err(c, &cf.field("type"), "Required value");
                        return None;
                    };
                    let t = r.str(t, &cf.field("type"))?;
                    let st = match cf.get("status") {
                        None => CondStatus::True,
                        Some(sn) => match r.str(sn, &cf.field("status"))?.as_str() {
                            "True" => CondStatus::True,
                            "False" => CondStatus::False,
                            "Unknown" => CondStatus::Unknown,
                            other => {
                                r.err(
                                    sn,
                                    &cf.field("status"),
                                    format!(
                                        "Unsupported value: \"{}\": supported values: \"False\", \"True\", \"Unknown\"",
                                        other
                                    ),
                                );
                                return None;
                            }
                        },
                    };
                    r.done(cf, Unknown::Error, what);
                    on_pod_conditions.push((t, st));
                }
            }
            if on_exit_codes.is_some() != on_pod_conditions.is_empty() {
                r.err(item, &ip, "Invalid value: specifying one of OnExitCodes and OnPodConditions is required");
                return None;
            }
            r.done(rf, Unknown::Error, what);
            rules.push(FailurePolicyRule { action, on_exit_codes, on_pod_conditions });
        }
    }
    r.done(f, Unknown::Error, what);
    Some(rules.into())
}

/// How long after finishing a Job with `ttlSecondsAfterFinished` is
/// deleted; `None` without one.
pub fn ttl(job: &Job) -> Option<SimDuration> {
    job.spec.ttl_seconds_after_finished.map(|s| SimDuration::from_secs(s.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_indexes_round_trip() {
        assert_eq!(format_indexes([1, 3, 4, 5]), "1,3-5");
        assert_eq!(format_indexes([0]), "0");
        assert_eq!(format_indexes([]), "");
        assert_eq!(format_indexes([0, 1, 2, 7, 9, 10]), "0-2,7,9,10");
        assert_eq!(parse_indexes("1,3-5", 10), vec![1, 3, 4, 5]);
        // Indexes at or past `completions` are dropped.
        assert_eq!(parse_indexes("0-2,7,9,10", 8), vec![0, 1, 2, 7]);
        assert_eq!(parse_indexes("x,2", 5), vec![2]);
    }
}
