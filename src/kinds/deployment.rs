//! `apps/v1.Deployment`: the kind, the apiserver's strategy for it
//! (`SetDefaults_Deployment`, the rules of `ValidateDeployment` and
//! `ValidateDeploymentUpdate` that matter here, the status subresource) and
//! how `kubectl get deploy` prints it (`printDeployment`). The deployment
//! controller is `crate::controllers::deployment`.

#![warn(missing_docs)]

use super::Workload as _;
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::CondStatus;
use crate::objects::replicaset::PodTemplate;
use crate::objects::selector::Selector;
use crate::objects::typed::{Allocators, KindInfo, TypedObject};
use crate::report::kubectl::age_of;
use crate::report::manifest::{label_selector, pod_template, timestamp};
use crate::scenario::reader::{Fields, Reader, Unknown};
use crate::scenario::yaml::{Node as Y, Resolved};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use serde_json::{json, Map, Value};
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "Deployment",
    group: "apps",
    version: "v1",
    namespaced: true,
    columns: &["READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
    wide_columns: &["CONTAINERS", "IMAGES", "SELECTOR"],
    tracks_generation: true,
};

/// `intstr.IntOrString` as `maxSurge`/`maxUnavailable` use it: a count or
/// a percentage of `spec.replicas`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    /// An absolute number of pods.
    Int(i32),
    /// A percentage (`"25%"`).
    Percent(i32),
}

impl IntOrPercent {
    /// `intstr.GetScaledValueFromIntOrPercent`: a percentage of `total`,
    /// rounded up or down.
    pub fn scaled(self, total: i32, round_up: bool) -> i32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let v = p as i64 * total as i64;
                (if round_up { (v + 99).div_euclid(100) } else { v.div_euclid(100) }) as i32
            }
        }
    }

    pub(crate) fn json(self) -> Value {
        match self {
            IntOrPercent::Int(n) => json!(n),
            IntOrPercent::Percent(p) => json!(format!("{}%", p)),
        }
    }

    pub(crate) fn digest(self, d: &mut Digester) {
        match self {
            IntOrPercent::Int(n) => {
                d.tag(0);
                d.u64(n as u64);
            }
            IntOrPercent::Percent(p) => {
                d.tag(1);
                d.u64(p as u64);
            }
        }
    }
}

/// `spec.strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Kill every old pod before creating new ones.
    Recreate,
    /// Replace pods gradually (the default: 25 % surge, 25 % unavailable).
    RollingUpdate {
        /// `rollingUpdate.maxSurge`.
        max_surge: IntOrPercent,
        /// `rollingUpdate.maxUnavailable`.
        max_unavailable: IntOrPercent,
    },
}

impl Strategy {
    /// `SetDefaults_Deployment`'s strategy: RollingUpdate, 25 %/25 %.
    pub const DEFAULT: Strategy =
        Strategy::RollingUpdate { max_surge: IntOrPercent::Percent(25), max_unavailable: IntOrPercent::Percent(25) };
}

/// `apps/v1.DeploymentSpec`, defaulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentSpec {
    /// `spec.replicas` (default 1).
    pub replicas: i32,
    /// `spec.selector`.
    pub selector: Rc<Selector>,
    /// `spec.template`.
    pub template: Rc<PodTemplate>,
    /// `spec.strategy`.
    pub strategy: Strategy,
    /// `spec.minReadySeconds` (default 0).
    pub min_ready_seconds: i32,
    /// `spec.revisionHistoryLimit` (default 10).
    pub revision_history_limit: i32,
    /// `spec.progressDeadlineSeconds` (default 600).
    pub progress_deadline_seconds: i32,
    /// `spec.paused`.
    pub paused: bool,
}

impl DeploymentSpec {
    /// A spec with `SetDefaults_Deployment`'s defaults.
    pub fn new(replicas: i32, selector: Selector, template: PodTemplate) -> Self {
        DeploymentSpec {
            replicas,
            selector: Rc::new(selector),
            template: Rc::new(template),
            strategy: Strategy::DEFAULT,
            min_ready_seconds: 0,
            revision_history_limit: 10,
            progress_deadline_seconds: 600,
            paused: false,
        }
    }
}

/// `DeploymentConditionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConditionType {
    /// `Available`: at least `replicas − maxUnavailable` pods available.
    Available,
    /// `Progressing`: the rollout moves, or finished.
    Progressing,
    /// `ReplicaFailure`: a ReplicaSet could not create pods.
    ReplicaFailure,
}

impl ConditionType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionType::Available => "Available",
            ConditionType::Progressing => "Progressing",
            ConditionType::ReplicaFailure => "ReplicaFailure",
        }
    }
}

/// `apps/v1.DeploymentCondition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentCondition {
    /// `type`.
    pub type_: ConditionType,
    /// `status`.
    pub status: CondStatus,
    /// `lastUpdateTime`.
    pub last_update_time: SimTime,
    /// `lastTransitionTime`.
    pub last_transition_time: SimTime,
    /// `reason` (`NewReplicaSetAvailable`, `ProgressDeadlineExceeded`, …).
    pub reason: &'static str,
    /// `message`.
    pub message: String,
}

/// `apps/v1.DeploymentStatus`, as the controller's `calculateStatus`
/// writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeploymentStatus {
    /// `observedGeneration`.
    pub observed_generation: u64,
    /// `replicas`: pods of every ReplicaSet (their `status.replicas`).
    pub replicas: i32,
    /// `updatedReplicas`: pods of the new ReplicaSet.
    pub updated_replicas: i32,
    /// `readyReplicas`.
    pub ready_replicas: i32,
    /// `availableReplicas`.
    pub available_replicas: i32,
    /// `unavailableReplicas`: `spec.replicas − availableReplicas`, at least 0.
    pub unavailable_replicas: i32,
    /// `conditions`, in the order they were first set.
    pub conditions: Vec<DeploymentCondition>,
    /// `collisionCount`.
    pub collision_count: Option<i32>,
}

impl DeploymentStatus {
    /// The condition of this type, if set.
    pub fn condition(&self, t: ConditionType) -> Option<&DeploymentCondition> {
        self.conditions.iter().find(|c| c.type_ == t)
    }
}

/// A Deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// The object's metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: DeploymentSpec,
    /// The observed state (the status subresource).
    pub status: DeploymentStatus,
}

impl Deployment {
    /// Whether its stored status says the rollout is complete, as
    /// `kubectl rollout status` reports "successfully rolled out"
    /// (`DeploymentComplete`: every replica updated and available, none
    /// old, and the controller has seen the latest generation).
    pub fn is_complete(&self) -> bool {
        crate::controllers::deployment::util::deployment_complete(self, &self.status)
    }

    /// `maxSurge` resolved against `spec.replicas` (`MaxSurge`: 0 for
    /// Recreate).
    pub fn max_surge(&self) -> i32 {
        match self.spec.strategy {
            Strategy::Recreate => 0,
            Strategy::RollingUpdate { max_surge, max_unavailable } => {
                resolve_fenceposts(max_surge, max_unavailable, self.spec.replicas).0
            }
        }
    }

    /// `maxUnavailable` resolved against `spec.replicas` (`MaxUnavailable`:
    /// 0 for Recreate or no replicas, never more than the replicas).
    pub fn max_unavailable(&self) -> i32 {
        match self.spec.strategy {
            Strategy::Recreate => 0,
            _ if self.spec.replicas == 0 => 0,
            Strategy::RollingUpdate { max_surge, max_unavailable } => {
                let u = resolve_fenceposts(max_surge, max_unavailable, self.spec.replicas).1;
                u.min(self.spec.replicas)
            }
        }
    }

    /// `ValidateDeploymentSpec`'s rules that a manifest's decoder cannot
    /// already have refused.
    fn check(&self) -> Vec<String> {
        let s = &self.spec;
        let mut errs = Vec::new();
        if s.replicas < 0 {
            errs.push(format!("spec.replicas: Invalid value: {}: must be greater than or equal to 0", s.replicas));
        }
        if s.selector.is_empty() {
            errs.push("spec.selector: Invalid value: \"null\": empty selector is invalid for deployment".into());
        } else if !s.selector.matches(&s.template.labels) {
            errs.push(
                "spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`".into(),
            );
        }
        if s.template.spec.restart_policy != crate::objects::pod::RestartPolicy::Always {
            errs.push(format!(
                "spec.template.spec.restartPolicy: Unsupported value: \"{}\": supported values: \"Always\"",
                s.template.spec.restart_policy.as_str()
            ));
        }
        if let Strategy::RollingUpdate { max_surge, max_unavailable } = s.strategy {
            errs.extend(validate_rolling_update(max_surge, max_unavailable));
        }
        if s.revision_history_limit < 0 {
            errs.push(format!(
                "spec.revisionHistoryLimit: Invalid value: {}: must be greater than or equal to 0",
                s.revision_history_limit
            ));
        }
        if s.progress_deadline_seconds <= s.min_ready_seconds {
            errs.push(format!(
                "spec.progressDeadlineSeconds: Invalid value: {}: must be greater than minReadySeconds",
                s.progress_deadline_seconds
            ));
        }
        errs
    }
}

/// `ResolveFenceposts`: `maxSurge` rounded up, `maxUnavailable` rounded
/// down, and unavailable 1 when both come out 0 (a rollout must be able
/// to move).
pub fn resolve_fenceposts(max_surge: IntOrPercent, max_unavailable: IntOrPercent, desired: i32) -> (i32, i32) {
    let surge = max_surge.scaled(desired, true);
    let unavailable = max_unavailable.scaled(desired, false);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// `ValidateRollingUpdateDeployment`.
pub fn validate_rolling_update(max_surge: IntOrPercent, max_unavailable: IntOrPercent) -> Vec<String> {
    let mut errs = Vec::new();
    let text = |v: IntOrPercent| match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => format!("\"{}%\"", p),
    };
    for (name, v) in [("maxUnavailable", max_unavailable), ("maxSurge", max_surge)] {
        let n = match v {
            IntOrPercent::Int(n) | IntOrPercent::Percent(n) => n,
        };
        if n < 0 {
            errs.push(format!(
                "spec.strategy.rollingUpdate.{}: Invalid value: {}: must be greater than or equal to 0",
                name,
                text(v)
            ));
        }
    }
    if let IntOrPercent::Percent(p) = max_unavailable {
        if p > 100 {
            errs.push(format!(
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"{}%\": must not be greater than 100%",
                p
            ));
        }
    }
    let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
    if zero(max_surge) && zero(max_unavailable) {
        errs.push(format!(
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: {}: may not be 0 when `maxSurge` is 0",
            text(max_unavailable)
        ));
    }
    errs
}

impl super::Workload for Deployment {
    type Spec = DeploymentSpec;
    type Status = DeploymentStatus;
    const KIND: &'static str = "Deployment";
    fn parts(&self) -> (&ObjectMeta, &DeploymentSpec, &DeploymentStatus) {
        (&self.meta, &self.spec, &self.status)
    }
    fn assemble(meta: ObjectMeta, spec: DeploymentSpec, status: DeploymentStatus) -> Self {
        Deployment { meta, spec, status }
    }
    fn selector(spec: &DeploymentSpec) -> &Selector {
        &spec.selector
    }
    fn validate(&self) -> Vec<String> {
        Deployment::check(self)
    }
}

impl TypedObject for Deployment {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(Deployment { meta, ..self.clone() })
    }

    fn prepare_create(&self, _alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        self.workload_create()
    }

    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        _alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        self.workload_update(new)
    }

    fn with_status_of(&self, new: &dyn TypedObject) -> Option<Rc<dyn TypedObject>> {
        self.workload_status(new)
    }

    fn digest_body(&self, d: &mut Digester) {
        let Deployment { meta: _, spec, status } = self;
        let DeploymentSpec {
            replicas,
            selector,
            template,
            strategy,
            min_ready_seconds,
            revision_history_limit,
            progress_deadline_seconds,
            paused,
        } = spec;
        replicas.digest(d);
        selector.digest(d);
        template.digest(d);
        match strategy {
            Strategy::Recreate => d.tag(0),
            Strategy::RollingUpdate { max_surge, max_unavailable } => {
                d.tag(1);
                max_surge.digest(d);
                max_unavailable.digest(d);
            }
        }
        min_ready_seconds.digest(d);
        revision_history_limit.digest(d);
        progress_deadline_seconds.digest(d);
        paused.digest(d);
        let DeploymentStatus {
            observed_generation,
            replicas,
            updated_replicas,
            ready_replicas,
            available_replicas,
            unavailable_replicas,
            conditions,
            collision_count,
        } = status;
        observed_generation.digest(d);
        replicas.digest(d);
        updated_replicas.digest(d);
        ready_replicas.digest(d);
        available_replicas.digest(d);
        unavailable_replicas.digest(d);
        d.u64(conditions.len() as u64);
        for c in conditions {
            d.tag(c.type_ as u64);
            d.tag(c.status as u64);
            d.u64(c.last_update_time.0);
            d.u64(c.last_transition_time.0);
            d.str(c.reason);
            d.str(&c.message);
        }
        d.u64(collision_count.map_or(u64::MAX, |c| c as u64));
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.status;
        write!(
            f,
            "replicas={} updated={} ready={} available={}",
            self.spec.replicas, s.updated_replicas, s.ready_replicas, s.available_replicas
        )
    }

    fn body_json(&self) -> Map<String, Value> {
        let s = &self.spec;
        let strategy = match s.strategy {
            Strategy::Recreate => json!({"type": "Recreate"}),
            Strategy::RollingUpdate { max_surge, max_unavailable } => json!({
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": max_surge.json(), "maxUnavailable": max_unavailable.json()},
            }),
        };
        let mut spec = json!({
            "replicas": s.replicas,
            "selector": label_selector(&s.selector),
            "template": pod_template(&s.template),
            "strategy": strategy,
            "revisionHistoryLimit": s.revision_history_limit,
            "progressDeadlineSeconds": s.progress_deadline_seconds,
        });
        if s.min_ready_seconds > 0 {
            spec["minReadySeconds"] = json!(s.min_ready_seconds);
        }
        if s.paused {
            spec["paused"] = json!(true);
        }
        let st = &self.status;
        let mut status = Map::new();
        // Zero counts are omitted (`omitempty`), as the API returns them.
        for (k, v) in [
            ("observedGeneration", st.observed_generation as i64),
            ("replicas", st.replicas as i64),
            ("updatedReplicas", st.updated_replicas as i64),
            ("readyReplicas", st.ready_replicas as i64),
            ("availableReplicas", st.available_replicas as i64),
            ("unavailableReplicas", st.unavailable_replicas as i64),
        ] {
            if v != 0 {
                status.insert(k.into(), json!(v));
            }
        }
        if !st.conditions.is_empty() {
            let conds: Vec<Value> = st
                .conditions
                .iter()
                .map(|c| {
                    json!({
                        "type": c.type_.as_str(),
                        "status": c.status.as_str(),
                        "lastUpdateTime": timestamp(c.last_update_time),
                        "lastTransitionTime": timestamp(c.last_transition_time),
                        "reason": c.reason,
                        "message": c.message,
                    })
                })
                .collect();
            status.insert("conditions".into(), Value::Array(conds));
        }
        if let Some(c) = st.collision_count {
            status.insert("collisionCount".into(), json!(c));
        }
        let mut m = Map::new();
        m.insert("spec".into(), spec);
        m.insert("status".into(), Value::Object(status));
        m
    }

    fn row(&self, now: SimTime, wide: bool) -> Vec<String> {
        let st = &self.status;
        let mut r = vec![
            format!("{}/{}", st.ready_replicas, self.spec.replicas),
            st.updated_replicas.to_string(),
            st.available_replicas.to_string(),
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

/// Annotations `kubectl rollout undo` keeps from the Deployment rather
/// than taking from the ReplicaSet (`annotationsToSkip` in kubectl's
/// `rollback.go`).
const ROLLBACK_SKIP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// The Deployment as kubectl writes it for `change` (`scale`, `set
/// image`, `rollout pause|resume|restart|undo`), given its ReplicaSets;
/// `Ok(None)` when kubectl writes nothing (a rollback to the current
/// template); `Err` with kubectl's message.
pub fn kubectl_change(
    d: &Deployment,
    change: &crate::scenario::action::DeploymentChange,
    sets: &[Rc<crate::objects::replicaset::ReplicaSet>],
    now: SimTime,
) -> Result<Option<Deployment>, String> {
    use crate::scenario::action::DeploymentChange as C;
    let name = &d.meta.name;
    let mut new = d.clone();
    match change {
        C::Scale(n) => new.spec.replicas = *n,
        C::SetImage(images) => set_image(Rc::make_mut(&mut new.spec.template), images)?,
        C::Pause if d.spec.paused => return Err(format!("error: deployments.apps \"{}\" is already paused", name)),
        C::Pause => new.spec.paused = true,
        C::Resume if !d.spec.paused => return Err(format!("error: deployments.apps \"{}\" is not paused", name)),
        C::Resume => new.spec.paused = false,
        C::Restart if d.spec.paused => {
            return Err(format!("error: deployments.apps \"{}\" can't restart paused deployment (run rollout resume first)", name))
        }
        C::Restart => restart(Rc::make_mut(&mut new.spec.template), now),
        C::Undo(_) if d.spec.paused => {
            return Err("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".into())
        }
        C::Undo(to) => {
            let rs = rollback_target(d, sets, *to)?;
            if crate::controllers::deployment::util::equal_ignore_hash(&rs.spec.template, &d.spec.template) {
                return Ok(None);
            }
            let mut t = (*rs.spec.template).clone();
            Rc::make_mut(&mut t.labels).remove(crate::controllers::deployment::util::POD_TEMPLATE_HASH);
            new.spec.template = Rc::new(t);
            let mut ann: std::collections::BTreeMap<String, String> = d
                .meta
                .annotations
                .iter()
                .filter(|(k, _)| ROLLBACK_SKIP.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in rs.meta.annotations.iter() {
                if !ROLLBACK_SKIP.contains(&k.as_str()) {
                    ann.insert(k.clone(), v.clone());
                }
            }
            new.meta.annotations = Rc::new(ann);
        }
    }
    Ok(Some(new))
}

/// `kubectl set image`: the containers (and init containers) named, or
/// every one for `*`, run the new images.
pub fn set_image(t: &mut crate::objects::replicaset::PodTemplate, images: &[(String, String)]) -> Result<(), String> {
    let spec = Rc::make_mut(&mut t.spec);
    for (container, image) in images {
        let mut found = false;
        let mut containers = spec.containers.to_vec();
        let mut inits = spec.init_containers.to_vec();
        for c in containers.iter_mut().chain(inits.iter_mut()) {
            if container == "*" || *c.name == **container {
                c.image = image.as_str().into();
                found = true;
            }
        }
        if !found {
            return Err(format!("error: unable to find container named \"{}\"", container));
        }
        spec.containers = containers.into();
        spec.init_containers = inits.into();
    }
    Ok(())
}

/// `kubectl rollout restart`: the template's
/// `kubectl.kubernetes.io/restartedAt` annotation set to now.
pub fn restart(t: &mut crate::objects::replicaset::PodTemplate, now: SimTime) {
    Rc::make_mut(&mut t.annotations).insert("kubectl.kubernetes.io/restartedAt".into(), timestamp(now));
}

/// kubectl's `deploymentRevision`: the ReplicaSet of revision `to`, or the
/// one before the latest.
fn rollback_target<'a>(
    d: &Deployment,
    sets: &'a [Rc<crate::objects::replicaset::ReplicaSet>],
    to: Option<i64>,
) -> Result<&'a crate::objects::replicaset::ReplicaSet, String> {
    use crate::controllers::deployment::util::revision;
    if let Some(to) = to {
        return sets
            .iter()
            .find(|rs| revision(rs) == to)
            .map(|rs| &**rs)
            .ok_or_else(|| format!("error: unable to find specified revision {} in history", to));
    }
    let mut by_rev: Vec<&crate::objects::replicaset::ReplicaSet> = sets.iter().map(|r| &**r).collect();
    by_rev.sort_by_key(|rs| std::cmp::Reverse(revision(rs)));
    by_rev.get(1).copied().ok_or_else(|| format!("error: no rollout history found for deployment \"{}\"", d.meta.name))
}

/// Decodes an `apps/v1` Deployment's fields after its metadata.
pub fn decode(r: &mut Reader, f: &mut Fields, meta: ObjectMeta, what: &str) -> Option<Rc<dyn TypedObject>> {
    decode_with(r, f, meta, what, false)
}

/// Decodes a Deployment; `default_selector`: a missing selector is the
/// template's labels (`extensions/v1beta1` and `apps/v1beta1` defaulted
/// it; `apps/v1` requires it).
pub fn decode_with(
    r: &mut Reader,
    f: &mut Fields,
    meta: ObjectMeta,
    what: &str,
    default_selector: bool,
) -> Option<Rc<dyn TypedObject>> {
    let spec_path = f.field("spec");
    let Some(spec) = f.get("spec") else {
        r.err(f.node, &spec_path, "a Deployment needs a spec");
        return None;
    };
    f.skip(&["status"]);
    let mut s = r.fields(spec, &spec_path)?;
    let replicas = match s.get("replicas") {
        Some(n) => r.int32(n, &s.field("replicas"))?,
        None => 1,
    };
    let tpath = s.field("template");
    let Some(tnode) = s.get("template") else {
        r.err(spec, &tpath, "Required value: template is required");
        return None;
    };
    let template = crate::scenario::manifest::decode_pod_template(r, tnode, &tpath, what)?;
    let sel_path = s.field("selector");
    let selector = match s.get("selector") {
        None if default_selector => Selector::from_map(&template.labels),
        None => {
            r.err(spec, &sel_path, "Required value: selector is required for apps/v1 Deployment");
            return None;
        }
        Some(n) => {
            let sel = crate::scenario::manifest::decode_label_selector(r, n, &sel_path)?;
            if sel.is_empty() {
                r.err(n, &sel_path, "Invalid value: empty selector is invalid for deployment");
                return None;
            }
            sel
        }
    };
    if template.labels.is_empty() || !selector.matches(&template.labels) {
        let at = tnode.get("metadata").and_then(|m| m.get("labels")).unwrap_or(tnode);
        r.err(at, &format!("{}.metadata.labels", tpath), "Invalid value: `selector` does not match template `labels`");
        return None;
    }
    let mut d = DeploymentSpec::new(replicas, selector, template);
    let int = |r: &mut Reader, s: &mut Fields, key: &str| -> Option<Option<i32>> {
        match s.get(key) {
            Some(n) => {
                let v = r.int32(n, &s.field(key))?;
                if v < 0 {
                    r.err(n, &s.field(key), format!("Invalid value: {}: must be greater than or equal to 0", v));
                    return None;
                }
                Some(Some(v))
            }
            None => Some(None),
        }
    };
    if let Some(v) = int(r, &mut s, "minReadySeconds")? {
        d.min_ready_seconds = v;
    }
    if let Some(v) = int(r, &mut s, "revisionHistoryLimit")? {
        d.revision_history_limit = v;
    }
    if let Some(v) = int(r, &mut s, "progressDeadlineSeconds")? {
        d.progress_deadline_seconds = v;
    }
    if let Some(n) = s.get("paused") {
        d.paused = r.bool(n, &s.field("paused"))?;
    }
    if let Some(n) = s.get("strategy") {
        d.strategy = decode_strategy(r, n, &s.field("strategy"), what)?;
    }
    r.done(s, Unknown::Warn, what);
    let dep = Deployment { meta, spec: d, status: DeploymentStatus::default() };
    let errs = dep.check();
    if let Some(e) = errs.first() {
        r.err(spec, &spec_path, format!("Deployment.apps \"{}\" is invalid: {}", dep.meta.name, e));
        return None;
    }
    Some(Rc::new(dep))
}

fn decode_strategy(r: &mut Reader, node: &Y, path: &str, what: &str) -> Option<Strategy> {
    let mut f = r.fields(node, path)?;
    let type_ = match f.get("type") {
        Some(n) => r.str(n, &f.field("type"))?,
        None => "RollingUpdate".into(),
    };
    let rolling = f.get("rollingUpdate");
    let strategy = match type_.as_str() {
        "Recreate" => {
            if let Some(n) = rolling {
                r.err(
                    n,
                    &f.field("rollingUpdate"),
                    "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                );
                return None;
            }
            Strategy::Recreate
        }
        "RollingUpdate" => {
            let (mut surge, mut unavailable) = (IntOrPercent::Percent(25), IntOrPercent::Percent(25));
            if let Some(n) = rolling {
                let p = f.field("rollingUpdate");
                let mut rf = r.fields(n, &p)?;
                if let Some(v) = rf.get("maxSurge") {
                    surge = int_or_percent(r, v, &rf.field("maxSurge"))?;
                }
                if let Some(v) = rf.get("maxUnavailable") {
                    unavailable = int_or_percent(r, v, &rf.field("maxUnavailable"))?;
                }
                r.done(rf, Unknown::Warn, what);
            }
            Strategy::RollingUpdate { max_surge: surge, max_unavailable: unavailable }
        }
        other => {
            let n = f.get("type").expect("a type other than the default was read");
            r.err(
                n,
                &f.field("type"),
                format!("Unsupported value: \"{}\": supported values: \"Recreate\", \"RollingUpdate\"", other),
            );
            return None;
        }
    };
    r.done(f, Unknown::Warn, what);
    if let Strategy::RollingUpdate { max_surge, max_unavailable } = strategy {
        if let Some(e) = validate_rolling_update(max_surge, max_unavailable).into_iter().next() {
            r.err(node, path, e);
            return None;
        }
    }
    Some(strategy)
}

/// An int-or-string: a number, or a percentage `"N%"`.
pub(crate) fn int_or_percent(r: &mut Reader, node: &Y, field: &str) -> Option<IntOrPercent> {
    if let Some(Resolved::Int(_)) = node.resolve() {
        return Some(IntOrPercent::Int(r.int32(node, field)?));
    }
    let text = r.str(node, field)?;
    match text.strip_suffix('%').and_then(|n| n.parse::<i32>().ok()) {
        Some(p) => Some(IntOrPercent::Percent(p)),
        None => {
            r.err(
                node,
                field,
                format!(
                    "Invalid value: \"{}\": a valid percent string must be a numeric string followed by an ending '%'",
                    text
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `TestResolveFenceposts` (pkg/controller/deployment/util/deployment_util_test.go).
    #[test]
    fn resolve_fenceposts_rounds_surge_up_and_unavailable_down() {
        use IntOrPercent::{Int, Percent};
        let cases = [
            (Int(0), Int(0), 0, (0, 1)),
            (Percent(39), Percent(39), 10, (4, 3)),
            (Percent(0), Int(0), 10, (0, 1)),
            (Percent(25), Percent(25), 10, (3, 2)),
            (Percent(25), Percent(25), 4, (1, 1)),
            (Percent(25), Percent(25), 3, (1, 0)),
            (Percent(25), Percent(25), 1, (1, 0)),
        ];
        for (surge, unavailable, desired, want) in cases {
            assert_eq!(
                resolve_fenceposts(surge, unavailable, desired),
                want,
                "{:?} {:?} {}",
                surge,
                unavailable,
                desired
            );
        }
    }

    #[test]
    fn rolling_update_validation_as_the_apiserver_words_it() {
        use IntOrPercent::{Int, Percent};
        assert!(validate_rolling_update(Percent(25), Percent(25)).is_empty());
        assert_eq!(
            validate_rolling_update(Int(0), Int(0)),
            ["spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"]
        );
        assert!(validate_rolling_update(Int(1), Percent(101))[0].contains("must not be greater than 100%"));
        assert!(validate_rolling_update(Int(-1), Int(1))[0].contains("maxSurge: Invalid value: -1"));
    }
}
