//! `apps/v1.DaemonSet`: the kind, the apiserver's strategy for it
//! (`SetDefaults_DaemonSet`, the rules of `ValidateDaemonSet` that matter
//! here, the status subresource) and how `kubectl get ds` prints it
//! (`printDaemonSet`). The controller is `crate::controllers::daemonset`.

#![warn(missing_docs)]

use super::deployment::{int_or_percent, IntOrPercent};
use super::Workload as _;
use crate::objects::meta::ObjectMeta;
use crate::objects::replicaset::PodTemplate;
use crate::objects::selector::Selector;
use crate::objects::typed::{Allocators, KindInfo, TypedObject};
use crate::report::kubectl::age_of;
use crate::report::manifest::{label_selector, pod_template};
use crate::scenario::reader::{Fields, Reader, Unknown};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use serde_json::{json, Map, Value};
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "DaemonSet",
    group: "apps",
    version: "v1",
    namespaced: true,
    columns: &["DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
    wide_columns: &["CONTAINERS", "IMAGES", "SELECTOR"],
    tracks_generation: true,
};

/// `spec.updateStrategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateStrategy {
    /// Replace pods node by node, at most `maxUnavailable` at a time (the
    /// default: 1; `maxSurge` 0).
    RollingUpdate {
        /// `rollingUpdate.maxUnavailable`.
        max_unavailable: IntOrPercent,
    },
    /// Replace a pod only when it is deleted.
    OnDelete,
}

/// `apps/v1.DaemonSetSpec`, defaulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonSetSpec {
    /// `spec.selector`.
    pub selector: Rc<Selector>,
    /// `spec.template`.
    pub template: Rc<PodTemplate>,
    /// `spec.updateStrategy`.
    pub update_strategy: UpdateStrategy,
    /// `spec.minReadySeconds`.
    pub min_ready_seconds: i32,
    /// `spec.revisionHistoryLimit` (default 10; kept, not acted on: no
    /// ControllerRevisions are stored).
    pub revision_history_limit: i32,
}

/// `apps/v1.DaemonSetStatus`, as the controller's `updateDaemonSetStatus`
/// computes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaemonSetStatus {
    /// `currentNumberScheduled`: nodes that should run the pod and do.
    pub current_number_scheduled: i32,
    /// `numberMisscheduled`: nodes that run it but should not.
    pub number_misscheduled: i32,
    /// `desiredNumberScheduled`: nodes that should run it.
    pub desired_number_scheduled: i32,
    /// `numberReady`.
    pub number_ready: i32,
    /// `updatedNumberScheduled`: nodes running the current template.
    pub updated_number_scheduled: i32,
    /// `numberAvailable`: ready for `minReadySeconds`.
    pub number_available: i32,
    /// `numberUnavailable`: desired − available.
    pub number_unavailable: i32,
    /// `observedGeneration`.
    pub observed_generation: u64,
}

/// A DaemonSet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonSet {
    /// The object's metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: DaemonSetSpec,
    /// The observed state (the status subresource).
    pub status: DaemonSetStatus,
}

impl DaemonSet {
    fn check(&self) -> Vec<String> {
        let s = &self.spec;
        let mut errs = Vec::new();
        if s.selector.is_empty() {
            errs.push("spec.selector: Invalid value: \"null\": empty selector is invalid for daemonset".into());
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
        if let UpdateStrategy::RollingUpdate { max_unavailable } = s.update_strategy {
            if matches!(max_unavailable, IntOrPercent::Int(0) | IntOrPercent::Percent(0)) {
                errs.push(
                    "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
                        .into(),
                );
            }
        }
        errs
    }

    /// The NODE SELECTOR column: the template's `nodeSelector`.
    pub fn node_selector_text(&self) -> String {
        let ns = &self.spec.template.spec.node_selector;
        if ns.is_empty() {
            "<none>".into()
        } else {
            ns.iter().map(|(k, v)| format!("{}={}", k, v)).collect::<Vec<_>>().join(",")
        }
    }
}

impl super::Workload for DaemonSet {
    type Spec = DaemonSetSpec;
    type Status = DaemonSetStatus;
    const KIND: &'static str = "DaemonSet";
    fn parts(&self) -> (&ObjectMeta, &DaemonSetSpec, &DaemonSetStatus) {
        (&self.meta, &self.spec, &self.status)
    }
    fn assemble(meta: ObjectMeta, spec: DaemonSetSpec, status: DaemonSetStatus) -> Self {
        DaemonSet { meta, spec, status }
    }
    fn selector(spec: &DaemonSetSpec) -> &Selector {
        &spec.selector
    }
    fn validate(&self) -> Vec<String> {
        DaemonSet::check(self)
    }
}

impl TypedObject for DaemonSet {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(DaemonSet { meta, ..self.clone() })
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
        let DaemonSet { meta: _, spec, status } = self;
        let DaemonSetSpec { selector, template, update_strategy, min_ready_seconds, revision_history_limit } = spec;
        selector.digest(d);
        template.digest(d);
        match update_strategy {
            UpdateStrategy::OnDelete => d.tag(0),
            UpdateStrategy::RollingUpdate { max_unavailable } => {
                d.tag(1);
                max_unavailable.digest(d);
            }
        }
        min_ready_seconds.digest(d);
        revision_history_limit.digest(d);
        let DaemonSetStatus {
            current_number_scheduled,
            number_misscheduled,
            desired_number_scheduled,
            number_ready,
            updated_number_scheduled,
            number_available,
            number_unavailable,
            observed_generation,
        } = status;
        for v in [
            current_number_scheduled,
            number_misscheduled,
            desired_number_scheduled,
            number_ready,
            updated_number_scheduled,
            number_available,
            number_unavailable,
        ] {
            v.digest(d);
        }
        observed_generation.digest(d);
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.status;
        write!(
            f,
            "desired={} current={} ready={} updated={} available={}",
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_ready,
            s.updated_number_scheduled,
            s.number_available
        )
    }

    fn body_json(&self) -> Map<String, Value> {
        let s = &self.spec;
        let strategy = match s.update_strategy {
            UpdateStrategy::OnDelete => json!({"type": "OnDelete"}),
            UpdateStrategy::RollingUpdate { max_unavailable } => json!({
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": max_unavailable.json()},
            }),
        };
        let mut spec = json!({
            "selector": label_selector(&s.selector),
            "template": pod_template(&s.template),
            "updateStrategy": strategy,
            "revisionHistoryLimit": s.revision_history_limit,
        });
        if s.min_ready_seconds > 0 {
            spec["minReadySeconds"] = json!(s.min_ready_seconds);
        }
        let st = &self.status;
        let mut status = Map::new();
        for (k, v) in [
            ("currentNumberScheduled", st.current_number_scheduled as i64),
            ("desiredNumberScheduled", st.desired_number_scheduled as i64),
            ("numberAvailable", st.number_available as i64),
            ("numberMisscheduled", st.number_misscheduled as i64),
            ("numberReady", st.number_ready as i64),
            ("numberUnavailable", st.number_unavailable as i64),
            ("observedGeneration", st.observed_generation as i64),
            ("updatedNumberScheduled", st.updated_number_scheduled as i64),
        ] {
            // `currentNumberScheduled`, `desiredNumberScheduled`,
            // `numberMisscheduled` and `numberReady` are always present.
            let always =
                matches!(k, "currentNumberScheduled" | "desiredNumberScheduled" | "numberMisscheduled" | "numberReady");
            if v != 0 || always {
                status.insert(k.into(), json!(v));
            }
        }
        let mut m = Map::new();
        m.insert("spec".into(), spec);
        m.insert("status".into(), Value::Object(status));
        m
    }

    fn row(&self, now: SimTime, wide: bool) -> Vec<String> {
        let st = &self.status;
        let mut r = vec![
            st.desired_number_scheduled.to_string(),
            st.current_number_scheduled.to_string(),
            st.number_ready.to_string(),
            st.updated_number_scheduled.to_string(),
            st.number_available.to_string(),
            self.node_selector_text(),
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

/// Decodes an `apps/v1` DaemonSet's fields after its metadata.
pub fn decode(r: &mut Reader, f: &mut Fields, meta: ObjectMeta, what: &str) -> Option<Rc<dyn TypedObject>> {
    decode_with(r, f, meta, what, false)
}

/// Decodes a DaemonSet; `default_selector` as for the retired versions of
/// Deployment (`crate::kinds::deployment::decode_with`).
pub fn decode_with(
    r: &mut Reader,
    f: &mut Fields,
    meta: ObjectMeta,
    what: &str,
    default_selector: bool,
) -> Option<Rc<dyn TypedObject>> {
    let spec_path = f.field("spec");
    let Some(spec) = f.get("spec") else {
        r.err(f.node, &spec_path, "a DaemonSet needs a spec");
        return None;
    };
    f.skip(&["status"]);
    let mut s = r.fields(spec, &spec_path)?;
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
            r.err(spec, &sel_path, "Required value: selector is required for apps/v1 DaemonSet");
            return None;
        }
        Some(n) => crate::scenario::manifest::decode_label_selector(r, n, &sel_path)?,
    };
    let mut ds_spec = DaemonSetSpec {
        selector: Rc::new(selector),
        template: Rc::new(template),
        update_strategy: UpdateStrategy::RollingUpdate { max_unavailable: IntOrPercent::Int(1) },
        min_ready_seconds: 0,
        revision_history_limit: 10,
    };
    for (key, slot) in [
        ("minReadySeconds", &mut ds_spec.min_ready_seconds),
        ("revisionHistoryLimit", &mut ds_spec.revision_history_limit),
    ] {
        if let Some(n) = s.get(key) {
            let v = r.int32(n, &s.field(key))?;
            if v < 0 {
                r.err(n, &s.field(key), format!("Invalid value: {}: must be greater than or equal to 0", v));
                return None;
            }
            *slot = v;
        }
    }
    if let Some(n) = s.get("updateStrategy") {
        let p = s.field("updateStrategy");
        let mut uf = r.fields(n, &p)?;
        let type_ = match uf.get("type") {
            Some(t) => r.str(t, &uf.field("type"))?,
            None => "RollingUpdate".into(),
        };
        ds_spec.update_strategy = match type_.as_str() {
            "OnDelete" => UpdateStrategy::OnDelete,
            "RollingUpdate" => {
                let mut max_unavailable = IntOrPercent::Int(1);
                if let Some(ru) = uf.get("rollingUpdate") {
                    let rp = uf.field("rollingUpdate");
                    let mut rf = r.fields(ru, &rp)?;
                    if let Some(v) = rf.get("maxUnavailable") {
                        max_unavailable = int_or_percent(r, v, &rf.field("maxUnavailable"))?;
                    }
                    if let Some(v) = rf.get("maxSurge") {
                        // A surge needs the DaemonSet to run two pods on a
                        // node at once: not simulated.
                        if !matches!(
                            int_or_percent(r, v, &rf.field("maxSurge"))?,
                            IntOrPercent::Int(0) | IntOrPercent::Percent(0)
                        ) {
                            r.err(v, &rf.field("maxSurge"), "a DaemonSet maxSurge other than 0 is not simulated");
                            return None;
                        }
                    }
                    r.done(rf, Unknown::Warn, what);
                }
                UpdateStrategy::RollingUpdate { max_unavailable }
            }
            other => {
                let t = uf.get("type").expect("a type other than the default was read");
                r.err(
                    t,
                    &uf.field("type"),
                    format!("Unsupported value: \"{}\": supported values: \"OnDelete\", \"RollingUpdate\"", other),
                );
                return None;
            }
        };
        r.done(uf, Unknown::Warn, what);
    }
    r.done(s, Unknown::Warn, what);
    let ds = DaemonSet { meta, spec: ds_spec, status: DaemonSetStatus::default() };
    if let Some(e) = ds.check().first() {
        r.err(spec, &spec_path, format!("DaemonSet.apps \"{}\" is invalid: {}", ds.meta.name, e));
        return None;
    }
    Some(Rc::new(ds))
}
