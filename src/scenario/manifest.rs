//! Kubernetes manifests to API objects.
//!
//! Real manifests load unchanged: `v1` Pod, ReplicationController,
//! Namespace and Node; `apps/v1` ReplicaSet (and the retired
//! `extensions/v1beta1`, `apps/v1beta1`, `apps/v1beta2`, mapped with a
//! warning). A field the kind's type does not have is an error, as with
//! `kubectl apply`'s strict field validation (`schema`); fields the
//! simulator does not model are kept and reported once as ignored. Kinds a cluster serves but the simulator does not model yet
//! (Service, Deployment, ConfigMap, …) are stored and reported as not
//! simulated; a kind no cluster serves is an error, as `kubectl apply`
//! would say.
//!
//! API-server defaulting happens here, as `SetDefaults_*` does: restart
//! policy Always, grace period 30 s, pull policy by tag, requests from
//! limits, the RC selector from the template labels, replicas 1.

#![warn(missing_docs)]

use super::reader::{join, Fields, Reader, Unknown};
use super::schema;
use super::yaml::Node as Y;
use super::yaml::Resolved;
use crate::controllers::scheduler::DEFAULT_SCHEDULER;
use crate::objects::env::{EnvSource, EnvVar};
use crate::objects::lease::{Lease, LeaseSpec};
use crate::objects::meta::ObjectMeta;
use crate::objects::node::{Node, NodeCondition, NodeSpec, NodeStatus};
use crate::objects::pod::{
    CondStatus, Container, ContainerPort, NodeAffinity, NodeSelectorTerm, Pod, PodSpec, PodStatus, PullPolicy,
    RestartPolicy, Taint, TaintEffect, Toleration,
};
use crate::objects::probe::{ContainerProbes, Handler, PortRef, Probe, ProbeKind};
use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus};
use crate::objects::resource::{ResourceType, ResourceTypes};
use crate::objects::resources::{Extended, Resources};
use crate::objects::selector::{Op, Requirement, Selector};
use crate::objects::validation;
use crate::objects::{Namespace, Object, Unstructured};
use crate::sim::SimTime;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A kind kubesim stores without simulating: a built-in one in any of its
/// API versions (older manifests name retired versions), or a custom one
/// in a version its CRD serves.
fn stored_only<'t>(types: &'t ResourceTypes, api_version: &str, kind: &str) -> Option<&'t ResourceType> {
    let t = types.for_kind(api_version, kind).or_else(|| {
        types.by_kind(kind).filter(|t| ResourceTypes::default().by_kind(&t.kind).is_some_and(|b| b.group == t.group))
    })?;
    (!t.simulated).then_some(t)
}

/// Decodes one manifest document. `path` is its field path in the scenario
/// (e.g. `objects[2]`) or empty for a document of its own file. `types`
/// are the resource types known so far: a CustomResourceDefinition adds
/// its kind, so the scenario's later manifests may use it.
pub fn decode(r: &mut Reader, doc: &Y, path: &str, types: &mut ResourceTypes) -> Option<Object> {
    let mut f = r.fields(doc, path)?;
    let api_version = match f.get("apiVersion") {
        Some(n) => r.str(n, &f.field("apiVersion"))?,
        None => {
            r.err(doc, &f.field("apiVersion"), "missing apiVersion");
            return None;
        }
    };
    let kind = match f.get("kind") {
        Some(n) => r.str(n, &f.field("kind"))?,
        None => {
            r.err(doc, &f.field("kind"), "missing kind");
            return None;
        }
    };
    let kind_node = f.get("kind").expect("checked");
    let what = format!(" in {}", kind);
    // Strict field validation, as `kubectl apply` asks of the apiserver
    // (`fieldValidation=Strict`): for the kinds the simulator models, a
    // field the type does not have is an error; the object is not decoded.
    let modelled = matches!(
        (api_version.as_str(), kind.as_str()),
        ("v1", "Pod" | "ReplicationController" | "Namespace" | "Node")
            | ("coordination.k8s.io/v1", "Lease")
            | ("apps/v1" | "extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2", "ReplicaSet")
            | ("apps/v1" | "extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2", "Deployment")
            | ("apps/v1" | "extensions/v1beta1" | "apps/v1beta2", "DaemonSet")
    );
    if let Some(fields) = schema::for_kind(&kind).filter(|_| modelled) {
        let mut unknown = Vec::new();
        schema::unknown_fields(doc, fields, "", &mut unknown);
        if !unknown.is_empty() {
            for (key, p) in unknown {
                r.err(key, &join(path, &p), format!("unknown field \"{}\"", p));
            }
            return None;
        }
    }
    let obj = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Pod") => {
            let meta = decode_meta(r, &mut f, "Pod", true)?;
            let spec_node = f.get("spec");
            let spec = match spec_node {
                Some(s) => decode_pod_spec(r, s, &f.field("spec"), &what)?,
                None => {
                    r.err(doc, &f.field("spec"), "a Pod needs a spec");
                    return None;
                }
            };
            f.skip(&["status"]);
            Object::Pod(Rc::new(Pod { meta, spec: Rc::new(spec), status: PodStatus::initial() }))
        }
        ("v1", "ReplicationController") => {
            decode_replica_set(r, &mut f, doc, ReplicaKind::ReplicationController, true, &what)?
        }
        ("apps/v1", "ReplicaSet") => decode_replica_set(r, &mut f, doc, ReplicaKind::ReplicaSet, false, &what)?,
        ("extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2", "ReplicaSet") => {
            warn_retired(r, kind_node, &api_version, &kind, doc);
            let defaulted = selector_defaulted(&api_version);
            decode_replica_set(r, &mut f, doc, ReplicaKind::ReplicaSet, defaulted, &what)?
        }
        ("extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2", "Deployment") => {
            warn_retired(r, kind_node, &api_version, &kind, doc);
            let meta = decode_meta(r, &mut f, &kind, false)?;
            let defaulted = selector_defaulted(&api_version);
            Object::Typed(crate::kinds::deployment::decode_with(r, &mut f, meta, &what, defaulted)?)
        }
        ("extensions/v1beta1" | "apps/v1beta2", "DaemonSet") => {
            warn_retired(r, kind_node, &api_version, &kind, doc);
            let meta = decode_meta(r, &mut f, &kind, false)?;
            let defaulted = selector_defaulted(&api_version);
            Object::Typed(crate::kinds::daemonset::decode_with(r, &mut f, meta, &what, defaulted)?)
        }
        (v, k) if crate::kinds::find(v, k).is_some() => {
            let reg = crate::kinds::find(v, k).expect("checked");
            let meta = decode_meta(r, &mut f, &kind, false)?;
            Object::Typed((reg.decode)(r, &mut f, meta, &what)?)
        }
        ("v1", "Namespace") => {
            let meta = decode_meta(r, &mut f, &kind, false)?;
            f.skip(&["spec", "status"]);
            Object::Namespace(Rc::new(Namespace { meta }))
        }
        ("v1", "Node") => {
            let meta = decode_meta(r, &mut f, &kind, false)?;
            let mut node = default_node(meta);
            if let Some(spec) = f.get("spec") {
                let p = f.field("spec");
                if let Some(mut sf) = r.fields(spec, &p) {
                    if let Some(n) = sf.get("unschedulable") {
                        node.spec.unschedulable = r.bool(n, &sf.field("unschedulable")).unwrap_or(false);
                    }
                    if let Some(n) = sf.get("taints") {
                        node.spec.taints = decode_taints(r, n, &sf.field("taints"));
                    }
                    r.done(sf, Unknown::Warn, &what);
                }
            }
            if let Some(st) = f.get("status") {
                if let Some(c) = st.get("capacity") {
                    let (cap, ext) =
                        decode_resources_with(r, c, &format!("{}.status.capacity", f.path), 110, Unknown::Warn);
                    node.status.capacity = cap;
                    node.status.allocatable = cap;
                    node.status.extended = ext;
                }
                if let Some(a) = st.get("allocatable") {
                    let (alloc, ext) =
                        decode_resources_with(r, a, &format!("{}.status.allocatable", f.path), 110, Unknown::Warn);
                    node.status.allocatable = alloc;
                    // Capacity and allocatable are one list for extended
                    // resources; the scheduler reads allocatable.
                    if !ext.is_empty() {
                        node.status.extended = ext;
                    }
                }
            }
            Object::Node(Rc::new(node))
        }
        ("coordination.k8s.io/v1", "Lease") => decode_lease(r, &mut f, &what)?,
        (v, k) if stored_only(types, v, k).is_some() => {
            let t = stored_only(types, v, k).expect("checked").clone();
            let meta = decode_meta(r, &mut f, &kind, false)?;
            let custom = !t.group.is_empty() && ResourceTypes::default().by_kind(k).is_none();
            r.diag.warn_once(
                format!("kind|{}", k),
                if custom {
                    format!(
                        "warning: {}:{}: custom resource {} is stored; no controller in kubesim acts on it",
                        r.file, kind_node.pos.line, k
                    )
                } else {
                    format!("warning: {}:{}: kind {} is stored but not simulated", r.file, kind_node.pos.line, k)
                },
            );
            let mut body = doc.to_json();
            if let Some(o) = body.as_object_mut() {
                o.remove("metadata");
            }
            let mut api_version = api_version;
            if api_version != "apps/v1" && t.group == "apps" && RETIRED_WORKLOADS.contains(&k) {
                warn_retired(r, kind_node, &api_version, k, doc);
                if selector_defaulted(&api_version) {
                    default_selector_from_template(&mut body);
                }
                api_version = "apps/v1".to_string();
                body["apiVersion"] = "apps/v1".into();
            }
            if k == "CustomResourceDefinition" {
                // The apiextensions-apiserver serves the new kind once the
                // CRD is established: later manifests may use it.
                if let Err(e) = types.add_crd(&meta.name, &body) {
                    r.err(
                        kind_node,
                        path,
                        format!("CustomResourceDefinition.apiextensions.k8s.io \"{}\" is invalid: {}", meta.name, e),
                    );
                    return None;
                }
            }
            return Some(Object::Other(Rc::new(Unstructured {
                api_version,
                kind,
                meta,
                namespaced: t.namespaced,
                body,
            })));
        }
        (v, k) => {
            r.err(kind_node, &f.field("kind"), format!("no matches for kind \"{}\" in version \"{}\"", k, v));
            return None;
        }
    };
    r.done(f, Unknown::Warn, &what);
    Some(obj)
}

/// `spec.selector = {matchLabels: spec.template.metadata.labels}` when the
/// selector is missing (the old versions' defaulting, on a stored body).
fn default_selector_from_template(body: &mut serde_json::Value) {
    let Some(spec) = body.get_mut("spec").and_then(|s| s.as_object_mut()) else { return };
    if spec.contains_key("selector") {
        return;
    }
    if let Some(labels) = spec.get("template").and_then(|t| t.get("metadata")).and_then(|m| m.get("labels")).cloned() {
        spec.insert("selector".into(), serde_json::json!({ "matchLabels": labels }));
    }
}

/// A Lease (`coordination.k8s.io/v1`), validated as `ValidateLeaseSpec`
/// does (durations positive, transitions not negative). Times are
/// `metav1.MicroTime` (RFC 3339, UTC) on the virtual clock, which starts at
/// the Unix epoch.
fn decode_lease(r: &mut Reader, f: &mut Fields, what: &str) -> Option<Object> {
    let meta = decode_meta(r, f, "Lease", true)?;
    let mut spec = LeaseSpec::default();
    if let Some(node) = f.get("spec") {
        let p = f.field("spec");
        let mut sf = r.fields(node, &p)?;
        if let Some(n) = sf.get("holderIdentity") {
            spec.holder_identity = Some(r.str(n, &sf.field("holderIdentity"))?);
        }
        if let Some(n) = sf.get("leaseDurationSeconds") {
            spec.lease_duration_seconds = Some(r.int_in(n, &sf.field("leaseDurationSeconds"), 1, i32::MAX as i64)?);
        }
        if let Some(n) = sf.get("leaseTransitions") {
            spec.lease_transitions = Some(r.int_in(n, &sf.field("leaseTransitions"), 0, i32::MAX as i64)?);
        }
        for (key, slot) in [("acquireTime", &mut spec.acquire_time), ("renewTime", &mut spec.renew_time)] {
            if let Some(n) = sf.get(key) {
                let field = sf.field(key);
                let text = r.str(n, &field)?;
                match parse_micro_time(&text) {
                    Some(t) => *slot = Some(t),
                    None => {
                        r.err(
                            n,
                            &field,
                            format!(
                                "invalid time `{}` (expected RFC 3339 in UTC, e.g. 1970-01-01T00:01:00.000000Z)",
                                text
                            ),
                        );
                        return None;
                    }
                }
            }
        }
        r.done(sf, Unknown::Warn, what);
    }
    Some(Object::Lease(Rc::new(Lease { meta, spec, stream: None })))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` as virtual time since the epoch.
fn parse_micro_time(s: &str) -> Option<SimTime> {
    let s = s.strip_suffix('Z').or_else(|| s.strip_suffix("+00:00"))?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|x| x.parse::<i64>().ok());
    let (y, mo, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':').map(|x| x.parse::<u64>().ok());
    let (h, mi, sec) = (t.next()??, t.next()??, t.next()??);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 || frac.len() > 9 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u64 = if frac.is_empty() { 0 } else { format!("{:0<9}", frac).parse().ok()? };
    // Days from the civil date (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = if mo > 2 { mo - 3 } else { mo + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    if days < 0 {
        return None;
    }
    let secs = (days as u64).checked_mul(86_400)?.checked_add(h * 3600 + mi * 60 + sec)?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos).map(SimTime)
}

fn decode_meta(r: &mut Reader, f: &mut Fields, kind: &str, name_required: bool) -> Option<ObjectMeta> {
    let path = f.field("metadata");
    let Some(node) = f.get("metadata") else {
        r.err(f.node, &path, "missing metadata");
        return None;
    };
    let mut m = r.fields(node, &path)?;
    let mut meta = ObjectMeta::default();
    if let Some(n) = m.get("name") {
        let name = r.str(n, &m.field("name"))?;
        // `ValidateObjectMeta` with the kind's `NameFn`.
        r.valid(n, &m.field("name"), &name, validation::object_name(kind, &name));
        meta.name = name.into();
    }
    if let Some(n) = m.get("generateName") {
        meta.generate_name = r.str(n, &m.field("generateName")).map(Rc::from);
    }
    if meta.name.is_empty() && meta.generate_name.is_none() && name_required {
        r.err(node, &m.field("name"), "name or generateName is required");
        return None;
    }
    if meta.name.is_empty() && meta.generate_name.is_none() {
        r.err(node, &m.field("name"), "name is required");
        return None;
    }
    if let Some(n) = m.get("namespace") {
        let ns = r.str(n, &m.field("namespace")).unwrap_or_default();
        if !ns.is_empty() {
            r.valid(n, &m.field("namespace"), &ns, validation::dns1123_label(&ns));
        }
        meta.namespace = ns.into();
    }
    if let Some(n) = m.get("labels") {
        meta.labels = Rc::new(r.labels(n, &m.field("labels")));
    }
    if let Some(n) = m.get("annotations") {
        meta.annotations = Rc::new(r.annotations(n, &m.field("annotations")));
        check_behavior(r, n, &m.field("annotations"), &meta.annotations);
    }
    if let Some(n) = m.get("finalizers") {
        let path = m.field("finalizers");
        let names = r.string_list(n, &path);
        let items = n.as_seq().unwrap_or_default();
        for (i, f) in names.iter().enumerate() {
            let item = items.get(i).unwrap_or(n);
            r.valid(item, &format!("{}[{}]", path, i), f, validation::finalizer_name(f));
        }
        // `ValidateFinalizers`: the two deletion policies exclude each other.
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        if let Some(msg) = validation::finalizer_policies(&refs) {
            r.err(n, &path, msg);
        }
        meta.finalizers = names.into_iter().map(Rc::from).collect();
    }
    // Server-set fields of exported manifests: dropped, as apply drops them.
    m.skip(&["uid", "resourceVersion", "creationTimestamp", "generation", "selfLink", "managedFields"]);
    r.done(m, Unknown::Warn, "");
    Some(meta)
}

/// The workload kinds that moved to `apps/v1` (Kubernetes 1.16 stopped
/// serving the old versions); kubesim loads them as `apps/v1`.
const RETIRED_WORKLOADS: [&str; 4] = ["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"];

/// Whether an old API version defaulted a missing `spec.selector` from the
/// pod template's labels: `extensions/v1beta1` and `apps/v1beta1` did
/// (their `SetDefaults_Deployment`, `SetDefaults_DaemonSet`,
/// `SetDefaults_ReplicaSet`); `apps/v1beta2` made the selector required,
/// as `apps/v1` has it.
fn selector_defaulted(api_version: &str) -> bool {
    matches!(api_version, "extensions/v1beta1" | "apps/v1beta1")
}

/// Says once per (version, kind) that a retired workload version is loaded
/// as `apps/v1`, and whether its missing selector was defaulted.
fn warn_retired(r: &mut Reader, kind_node: &Y, api_version: &str, kind: &str, doc: &Y) {
    let no_selector = doc.get("spec").is_some_and(|s| s.get("selector").is_none());
    let note = if no_selector && selector_defaulted(api_version) {
        format!(" (spec.selector defaulted from the pod template's labels, as {} did)", api_version)
    } else {
        String::new()
    };
    r.diag.warn_once(
        format!("retired|{}|{}|{}", api_version, kind, note.is_empty()),
        format!(
            "warning: {}:{}: {} {} is retired; loaded as apps/v1 {}{}",
            r.file, kind_node.pos.line, api_version, kind, kind, note
        ),
    );
}

/// A ReplicationController or ReplicaSet. `default_selector`: a missing
/// selector is the template's labels (the RC's and the old API versions'
/// defaulting); otherwise it is required.
fn decode_replica_set(
    r: &mut Reader,
    f: &mut Fields,
    doc: &Y,
    kind: ReplicaKind,
    default_selector: bool,
    what: &str,
) -> Option<Object> {
    let meta = decode_meta(r, f, kind.as_str(), false)?;
    let spec_path = f.field("spec");
    let Some(spec) = f.get("spec") else {
        r.err(doc, &spec_path, format!("a {} needs a spec", kind.as_str()));
        return None;
    };
    f.skip(&["status"]);
    let mut s = r.fields(spec, &spec_path)?;
    let replicas = match s.get("replicas") {
        Some(n) => r.int32(n, &s.field("replicas"))?,
        None => 1,
    };
    let min_ready_seconds =
        s.get("minReadySeconds").and_then(|n| r.int32(n, &s.field("minReadySeconds"))).unwrap_or(0) as u64;
    let tpath = s.field("template");
    let Some(tnode) = s.get("template") else {
        r.err(spec, &tpath, "template is required");
        return None;
    };
    let template = decode_pod_template(r, tnode, &tpath, what)?;
    let labels = (*template.labels).clone();
    let sel_path = s.field("selector");
    let selector = match (kind, s.get("selector")) {
        (ReplicaKind::ReplicationController, None) => Selector::from_map(&labels),
        (ReplicaKind::ReplicationController, Some(n)) => {
            let m = r.string_map(n, &sel_path);
            if m.is_empty() {
                Selector::from_map(&labels)
            } else {
                Selector::from_map(&m)
            }
        }
        (ReplicaKind::ReplicaSet, None) if default_selector => Selector::from_map(&labels),
        (ReplicaKind::ReplicaSet, None) => {
            r.err(spec, &sel_path, "selector is required for apps/v1 ReplicaSet");
            return None;
        }
        (ReplicaKind::ReplicaSet, Some(n)) => {
            let sel = decode_label_selector(r, n, &sel_path)?;
            if sel.is_empty() {
                r.err(n, &sel_path, "empty selector is invalid for a ReplicaSet");
                return None;
            }
            sel
        }
    };
    if labels.is_empty() || !selector.matches(&labels) {
        let at = tnode.get("metadata").and_then(|m| m.get("labels")).unwrap_or(tnode);
        r.err(at, &format!("{}.metadata.labels", tpath), "`selector` does not match template `labels`");
        return None;
    }
    r.done(s, Unknown::Warn, what);
    Some(Object::ReplicaSet(Rc::new(ReplicaSet {
        kind,
        meta,
        spec: ReplicaSetSpec { replicas, selector: Rc::new(selector), template: Rc::new(template), min_ready_seconds },
        status: ReplicaSetStatus::default(),
    })))
}

/// A `PodTemplateSpec` (`spec.template` of the workload kinds): its
/// labels, annotations and pod spec.
pub fn decode_pod_template(r: &mut Reader, tnode: &Y, tpath: &str, what: &str) -> Option<PodTemplate> {
    let mut t = r.fields(tnode, tpath)?;
    let (labels, annotations) = match t.get("metadata") {
        Some(mn) => {
            let mp = t.field("metadata");
            let mut mf = r.fields(mn, &mp)?;
            let labels = mf.get("labels").map(|n| r.labels(n, &format!("{}.labels", mp))).unwrap_or_default();
            let ann =
                mf.get("annotations").map(|n| r.annotations(n, &format!("{}.annotations", mp))).unwrap_or_default();
            if let Some(n) = mf.get("annotations") {
                check_behavior(r, n, &format!("{}.annotations", mp), &ann);
            }
            mf.skip(&["name", "namespace", "creationTimestamp"]);
            r.done(mf, Unknown::Warn, what);
            (labels, ann)
        }
        None => Default::default(),
    };
    let pod_spec = match t.get("spec") {
        Some(ps) => decode_pod_spec(r, ps, &t.field("spec"), what)?,
        None => {
            r.err(tnode, &t.field("spec"), "template.spec is required");
            return None;
        }
    };
    r.done(t, Unknown::Warn, what);
    Some(PodTemplate { labels: Rc::new(labels), annotations: Rc::new(annotations), spec: Rc::new(pod_spec) })
}

/// A set-based `LabelSelector`: matchLabels AND matchExpressions.
pub fn decode_label_selector(r: &mut Reader, node: &Y, path: &str) -> Option<Selector> {
    let mut f = r.fields(node, path)?;
    let match_labels = f.get("matchLabels").map(|n| r.string_map(n, &f.field("matchLabels"))).unwrap_or_default();
    let exprs = match f.get("matchExpressions") {
        Some(n) => decode_expressions(r, n, &f.field("matchExpressions"), false),
        None => Vec::new(),
    };
    r.done(f, Unknown::Error, " in a label selector");
    Some(Selector::from_label_selector(&match_labels, exprs))
}

fn decode_expressions(r: &mut Reader, node: &Y, path: &str, allow_gt_lt: bool) -> Vec<Requirement> {
    let mut out = Vec::new();
    for (i, e) in r.seq(node, path).iter().enumerate() {
        let p = format!("{}[{}]", path, i);
        let Some(mut f) = r.fields(e, &p) else {
            continue;
        };
        let key = f.get("key").and_then(|n| r.str(n, &format!("{}.key", p)));
        let op_node = f.get("operator");
        let values = f.get("values").map(|n| r.string_list(n, &format!("{}.values", p))).unwrap_or_default();
        r.done(f, Unknown::Error, " in a selector expression");
        let (Some(key), Some(op_node)) = (key, op_node) else {
            r.err(e, &p, "key and operator are required");
            continue;
        };
        let op_text = r.str(op_node, &format!("{}.operator", p)).unwrap_or_default();
        let Some(op) = Op::parse(&op_text).filter(|o| allow_gt_lt || !matches!(o, Op::Gt | Op::Lt)) else {
            r.err(op_node, &format!("{}.operator", p), format!("unknown operator `{}`", op_text));
            continue;
        };
        let needs_values = matches!(op, Op::In | Op::NotIn | Op::Gt | Op::Lt);
        if needs_values == values.is_empty() {
            r.err(
                e,
                &format!("{}.values", p),
                if needs_values {
                    "values must be non-empty for this operator"
                } else {
                    "values must be empty for Exists/DoesNotExist"
                },
            );
            continue;
        }
        out.push(Requirement { key, op, values });
    }
    out
}

/// Decodes a `v1.PodSpec` at `node` (field path `path`), with the
/// apiserver's defaults and validation; errors go to `r`. `what` is the
/// suffix of not-simulated warnings (` in Pod`).
pub fn decode_pod_spec(r: &mut Reader, node: &Y, path: &str, what: &str) -> Option<PodSpec> {
    let mut f = r.fields(node, path)?;
    let cpath = f.field("containers");
    let containers: Vec<Container> = match f.get("containers") {
        Some(n) => r
            .seq(n, &cpath)
            .iter()
            .enumerate()
            .filter_map(|(i, c)| decode_container(r, c, &format!("{}[{}]", cpath, i), what))
            .collect(),
        None => Vec::new(),
    };
    if containers.is_empty() {
        r.err(node, &cpath, "at least one container is required");
        return None;
    }
    let mut names: Vec<&str> = containers.iter().map(|c| &*c.name).collect();
    names.sort();
    if names.windows(2).any(|w| w[0] == w[1]) {
        r.err(node, &cpath, "container names must be unique");
    }
    let ipath = f.field("initContainers");
    let init_containers: Vec<Container> = match f.get("initContainers") {
        Some(n) => r
            .seq(n, &ipath)
            .iter()
            .enumerate()
            .filter_map(|(i, c)| decode_container(r, c, &format!("{}[{}]", ipath, i), what))
            .collect(),
        None => Vec::new(),
    };
    for c in &init_containers {
        if !c.probes.is_empty() {
            r.err(node, &ipath, format!("init container {} may not have probes or lifecycle hooks", c.name));
        }
    }
    let restart_policy = match f.get("restartPolicy") {
        Some(n) => match r.str(n, &f.field("restartPolicy")).as_deref() {
            Some("Always") => RestartPolicy::Always,
            Some("OnFailure") => RestartPolicy::OnFailure,
            Some("Never") => RestartPolicy::Never,
            Some(other) => {
                r.err(
                    n,
                    &f.field("restartPolicy"),
                    format!("unsupported value `{}`: expected Always, OnFailure or Never", other),
                );
                RestartPolicy::Always
            }
            None => RestartPolicy::Always,
        },
        None => RestartPolicy::Always,
    };
    let node_selector = f.get("nodeSelector").map(|n| r.string_map(n, "nodeSelector")).unwrap_or_default();
    let node_name = f.get("nodeName").and_then(|n| r.str(n, "nodeName")).map(Rc::from);
    let tolerations =
        f.get("tolerations").map(|n| decode_tolerations(r, n, &f.field("tolerations"))).unwrap_or_default();
    // int64 in the API: a huge grace (20000000000 s) is legal; the store
    // saturates the deletion time it computes from it.
    let termination_grace_period_seconds = f
        .get("terminationGracePeriodSeconds")
        .and_then(|n| r.uint(n, &f.field("terminationGracePeriodSeconds")))
        .unwrap_or(30);
    let scheduler_name =
        f.get("schedulerName").and_then(|n| r.str(n, "schedulerName")).unwrap_or_else(|| DEFAULT_SCHEDULER.into());
    let priority = f
        .get("priority")
        .and_then(|n| r.int_in(n, &f.field("priority"), i32::MIN as i64, i32::MAX as i64))
        .unwrap_or(0) as i32;
    let node_affinity = match f.get("affinity") {
        Some(a) => decode_affinity(r, a, &f.field("affinity"), what),
        None => NodeAffinity::default(),
    };
    let enable_service_links = f.get("enableServiceLinks").and_then(|n| r.bool(n, &f.field("enableServiceLinks")));
    // `ValidatePodSpec`: `spec.hostname` is a DNS-1123 label.
    let hostname = f.get("hostname").and_then(|n| {
        let h = r.str(n, &f.field("hostname"))?;
        let problems = crate::objects::validation::dns1123_label(&h);
        if problems.is_empty() {
            Some(Rc::from(h))
        } else {
            r.err(n, &f.field("hostname"), crate::objects::validation::invalid(&h, &problems));
            None
        }
    });
    r.done(f, Unknown::Warn, what);
    Some(PodSpec {
        enable_service_links,
        hostname,
        node_name,
        containers: containers.into(),
        init_containers: init_containers.into(),
        restart_policy,
        node_selector,
        node_affinity,
        tolerations,
        termination_grace_period_seconds,
        scheduler_name: scheduler_name.into(),
        priority,
    })
}

fn decode_affinity(r: &mut Reader, node: &Y, path: &str, what: &str) -> NodeAffinity {
    let mut out = NodeAffinity::default();
    let Some(mut f) = r.fields(node, path) else {
        return out;
    };
    if let Some(na) = f.get("nodeAffinity") {
        let np = f.field("nodeAffinity");
        if let Some(mut nf) = r.fields(na, &np) {
            if let Some(req) = nf.get("requiredDuringSchedulingIgnoredDuringExecution") {
                let rp = nf.field("requiredDuringSchedulingIgnoredDuringExecution");
                if let Some(mut rf) = r.fields(req, &rp) {
                    let tp = rf.field("nodeSelectorTerms");
                    let terms = rf
                        .get("nodeSelectorTerms")
                        .map(|n| {
                            r.seq(n, &tp)
                                .iter()
                                .enumerate()
                                .map(|(i, t)| decode_term(r, t, &format!("{}[{}]", tp, i)))
                                .collect()
                        })
                        .unwrap_or_default();
                    r.done(rf, Unknown::Error, "");
                    out.required = Some(terms);
                }
            }
            if let Some(pref) = nf.get("preferredDuringSchedulingIgnoredDuringExecution") {
                let pp = nf.field("preferredDuringSchedulingIgnoredDuringExecution");
                for (i, p) in r.seq(pref, &pp).iter().enumerate() {
                    let ip = format!("{}[{}]", pp, i);
                    let Some(mut pf) = r.fields(p, &ip) else {
                        continue;
                    };
                    let weight = pf.get("weight").and_then(|n| r.int(n, &format!("{}.weight", ip))).unwrap_or(0);
                    if !(1..=100).contains(&weight) {
                        r.err(p, &format!("{}.weight", ip), "weight must be in the range 1-100");
                    }
                    let term = pf
                        .get("preference")
                        .map(|n| decode_term(r, n, &format!("{}.preference", ip)))
                        .unwrap_or_default();
                    r.done(pf, Unknown::Error, "");
                    out.preferred.push((weight as i32, term));
                }
            }
            r.done(nf, Unknown::Error, "");
        }
    }
    r.done(f, Unknown::Warn, what);
    out
}

fn decode_term(r: &mut Reader, node: &Y, path: &str) -> NodeSelectorTerm {
    let mut t = NodeSelectorTerm::default();
    let Some(mut f) = r.fields(node, path) else {
        return t;
    };
    if let Some(n) = f.get("matchExpressions") {
        t.match_expressions = decode_expressions(r, n, &f.field("matchExpressions"), true);
    }
    if let Some(n) = f.get("matchFields") {
        t.match_fields = decode_expressions(r, n, &f.field("matchFields"), true);
    }
    r.done(f, Unknown::Error, " in a node selector term");
    t
}

fn decode_tolerations(r: &mut Reader, node: &Y, path: &str) -> Vec<Toleration> {
    let mut out = Vec::new();
    for (i, t) in r.seq(node, path).iter().enumerate() {
        let p = format!("{}[{}]", path, i);
        let Some(mut f) = r.fields(t, &p) else {
            continue;
        };
        let key = f.get("key").and_then(|n| r.str(n, "key")).unwrap_or_default();
        let op = f.get("operator").and_then(|n| r.str(n, "operator")).unwrap_or_else(|| "Equal".into());
        let value = f.get("value").and_then(|n| r.str(n, "value")).unwrap_or_default();
        let effect = match f.get("effect") {
            Some(n) => match r.str(n, &format!("{}.effect", p)).as_deref() {
                Some("") | None => None,
                Some(e) => match TaintEffect::parse(e) {
                    Some(x) => Some(x),
                    None => {
                        r.err(n, &format!("{}.effect", p), format!("unknown effect `{}`", e));
                        None
                    }
                },
            },
            None => None,
        };
        let toleration_seconds = f.get("tolerationSeconds").and_then(|n| r.int(n, &format!("{}.tolerationSeconds", p)));
        r.done(f, Unknown::Error, " in a toleration");
        let exists = match op.as_str() {
            "Exists" => true,
            "Equal" => false,
            other => {
                r.err(t, &format!("{}.operator", p), format!("unknown operator `{}`: expected Equal or Exists", other));
                continue;
            }
        };
        if exists && !value.is_empty() {
            r.err(t, &format!("{}.value", p), "value must be empty when operator is Exists");
        }
        if key.is_empty() && !exists {
            r.err(t, &format!("{}.operator", p), "operator must be Exists when key is empty");
        }
        out.push(Toleration { key: key.into(), exists, value: value.into(), effect, toleration_seconds });
    }
    out
}

/// Decodes a list of `v1.Taint` at `node` (a node's `spec.taints`);
/// errors go to `r`.
pub fn decode_taints(r: &mut Reader, node: &Y, path: &str) -> Vec<Taint> {
    let mut out = Vec::new();
    for (i, t) in r.seq(node, path).iter().enumerate() {
        let p = format!("{}[{}]", path, i);
        let Some(mut f) = r.fields(t, &p) else {
            continue;
        };
        let key = f.get("key").and_then(|n| r.str(n, &format!("{}.key", p)));
        let value = f.get("value").and_then(|n| r.str(n, &format!("{}.value", p))).unwrap_or_default();
        let effect_node = f.get("effect");
        f.skip(&["timeAdded"]);
        r.done(f, Unknown::Error, " in a taint");
        let (Some(key), Some(en)) = (key, effect_node) else {
            r.err(t, &p, "a taint needs key and effect");
            continue;
        };
        let e = r.str(en, &format!("{}.effect", p)).unwrap_or_default();
        match TaintEffect::parse(&e) {
            Some(effect) => out.push(Taint { key, value, effect, time_added: None }),
            None => r.err(
                en,
                &format!("{}.effect", p),
                format!("unknown effect `{}`: expected NoSchedule, PreferNoSchedule or NoExecute", e),
            ),
        }
    }
    out
}

fn decode_container(r: &mut Reader, node: &Y, path: &str, what: &str) -> Option<Container> {
    let mut f = r.fields(node, path)?;
    let name = match f.get("name") {
        Some(n) => {
            let name = r.str(n, &f.field("name"))?;
            // `validateContainers`: a container name is a DNS-1123 label.
            r.valid(n, &f.field("name"), &name, validation::dns1123_label(&name));
            name
        }
        None => {
            r.err(node, &f.field("name"), "container name is required");
            return None;
        }
    };
    let image = match f.get("image") {
        Some(n) => r.str(n, &f.field("image"))?,
        None => {
            r.err(node, &f.field("image"), "container image is required");
            return None;
        }
    };
    let image_pull_policy = match f.get("imagePullPolicy") {
        Some(n) => match r.str(n, &f.field("imagePullPolicy")).as_deref() {
            Some("Always") => PullPolicy::Always,
            Some("IfNotPresent") => PullPolicy::IfNotPresent,
            Some("Never") => PullPolicy::Never,
            Some(o) => {
                r.err(
                    n,
                    &f.field("imagePullPolicy"),
                    format!("unsupported value `{}`: expected Always, IfNotPresent or Never", o),
                );
                PullPolicy::default_for(&image)
            }
            None => PullPolicy::default_for(&image),
        },
        None => PullPolicy::default_for(&image),
    };
    let command = f.get("command").map(|n| r.string_list(n, "command")).unwrap_or_default();
    let args = f.get("args").map(|n| r.string_list(n, "args")).unwrap_or_default();
    let mut ports = Vec::new();
    if let Some(pn) = f.get("ports") {
        let pp = f.field("ports");
        for (i, p) in r.seq(pn, &pp).iter().enumerate() {
            let ip = format!("{}[{}]", pp, i);
            let Some(mut pf) = r.fields(p, &ip) else {
                continue;
            };
            let container_port = pf.get("containerPort").and_then(|n| r.int(n, &format!("{}.containerPort", ip)));
            let pname = pf.get("name").and_then(|n| r.str(n, &format!("{}.name", ip)));
            let protocol =
                pf.get("protocol").and_then(|n| r.str(n, &format!("{}.protocol", ip))).unwrap_or_else(|| "TCP".into());
            // hostPort 0 means none (`validateContainerPorts`).
            let host_port = pf
                .get("hostPort")
                .and_then(|n| r.int_in(n, &format!("{}.hostPort", ip), 0, 65535))
                .filter(|&v| v != 0)
                .map(|v| v as u16);
            r.done(pf, Unknown::Warn, what);
            match container_port {
                Some(cp) if (1..=65535).contains(&cp) => {
                    ports.push(ContainerPort { name: pname, container_port: cp as u16, protocol, host_port })
                }
                _ => r.err(p, &format!("{}.containerPort", ip), "containerPort must be between 1 and 65535"),
            }
        }
    }
    let (mut requests, mut limits) = (Resources::default(), Resources::default());
    let (mut has_cpu, mut has_mem) = (false, false);
    let mut extended = Extended::default();
    if let Some(rn) = f.get("resources") {
        let rp = f.field("resources");
        if let Some(mut rf) = r.fields(rn, &rp) {
            type Read = (Option<u64>, Option<u64>, Extended);
            let read = |r: &mut Reader, n: Option<&Y>, p: String| -> Read {
                let Some(n) = n else { return (None, None, Extended::default()) };
                let Some(mut m) = r.fields(n, &p) else {
                    return (None, None, Extended::default());
                };
                let cpu = m.get("cpu").and_then(|x| r.cpu(x, &format!("{}.cpu", p)));
                let mem = m.get("memory").and_then(|x| r.bytes(x, &format!("{}.memory", p)));
                let mut ext = Extended::default();
                r.extended(&mut m, &mut ext);
                r.done(m, Unknown::Warn, what);
                (cpu, mem, ext)
            };
            let req_node = rf.get("requests");
            let lim_node = rf.get("limits");
            let (rc, rm, req_ext) = read(r, req_node, format!("{}.requests", rp));
            let (lc, lm, lim_ext) = read(r, lim_node, format!("{}.limits", rp));
            r.done(rf, Unknown::Warn, what);
            // Extended resources cannot be overcommitted
            // (`ValidateResourceRequirements`): a request needs a limit
            // and must equal it; a limit alone defaults the request.
            for (name, v) in req_ext.iter() {
                // Upstream reports on the requests as a whole (`reqPath`).
                let field = format!("{}.requests", rp);
                match lim_ext.iter().find(|(n, _)| *n == name) {
                    None => r.err(
                        rn,
                        &format!("{}.limits", rp),
                        "Required value: Limit must be set for non overcommitable resources",
                    ),
                    Some((_, l)) if l != v => {
                        r.err(rn, &field, format!("Invalid value: \"{}\": must be equal to {} limit of {}", v, name, l))
                    }
                    Some(_) => {}
                }
            }
            extended = lim_ext;
            // SetDefaults_Pod: a missing request defaults to the limit.
            let (rc, rm) = (rc.or(lc), rm.or(lm));
            has_cpu = rc.is_some();
            has_mem = rm.is_some();
            requests = Resources { cpu_m: rc.unwrap_or(0), memory: rm.unwrap_or(0), pods: 0 };
            limits = Resources { cpu_m: lc.unwrap_or(0), memory: lm.unwrap_or(0), pods: 0 };
            if let (Some(l), true) = (lc, requests.cpu_m > lc.unwrap_or(u64::MAX)) {
                r.err(rn, &format!("{}.requests.cpu", rp), format!("must be less than or equal to cpu limit ({}m)", l));
            }
            if let (Some(l), true) = (lm, requests.memory > lm.unwrap_or(u64::MAX)) {
                r.err(
                    rn,
                    &format!("{}.requests.memory", rp),
                    format!("must be less than or equal to memory limit ({})", l),
                );
            }
        }
    }
    let mut probes = ContainerProbes::default();
    for (key, kind) in [
        ("startupProbe", ProbeKind::Startup),
        ("livenessProbe", ProbeKind::Liveness),
        ("readinessProbe", ProbeKind::Readiness),
    ] {
        if let Some(n) = f.get(key) {
            let probe = decode_probe(r, n, &f.field(key), kind);
            match kind {
                ProbeKind::Startup => probes.startup = probe,
                ProbeKind::Liveness => probes.liveness = probe,
                ProbeKind::Readiness => probes.readiness = probe,
            }
        }
    }
    if let Some(n) = f.get("lifecycle") {
        let lp = f.field("lifecycle");
        if let Some(mut lf) = r.fields(n, &lp) {
            if let Some(h) = lf.get("preStop") {
                probes.pre_stop = decode_handler(r, h, &lf.field("preStop"), true);
            }
            r.done(lf, Unknown::Warn, what);
        }
    }
    let env = match f.get("env") {
        Some(n) => decode_env(r, n, &f.field("env"), what),
        None => Vec::new(),
    };
    r.done(f, Unknown::Warn, what);
    Some(Container {
        env: env.into(),
        probes: if probes.is_empty() { Default::default() } else { Rc::new(probes) },
        name: name.into(),
        image: image.into(),
        image_pull_policy,
        command,
        args,
        ports,
        requests,
        limits,
        extended,
        has_cpu_request: has_cpu,
        has_memory_request: has_mem,
    })
}

/// A container's `env`, validated as `validateEnv` does with v1.32's
/// default `RelaxedEnvironmentVariableValidation` (a name is required and
/// is printable ASCII without `=`), and `validateEnvVarValueFrom`.
fn decode_env(r: &mut Reader, node: &Y, path: &str, what: &str) -> Vec<EnvVar> {
    let mut out = Vec::new();
    for (i, item) in r.seq(node, path).iter().enumerate() {
        let ip = format!("{}[{}]", path, i);
        let Some(mut f) = r.fields(item, &ip) else { continue };
        let name = f.get("name").and_then(|n| r.str(n, &format!("{}.name", ip))).unwrap_or_default();
        if name.is_empty() {
            r.err(item, &format!("{}.name", ip), "Required value");
        } else if !name.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'=') {
            r.err(
                item,
                &format!("{}.name", ip),
                format!("Invalid value: \"{}\": a valid environment variable name must consist only of printable ASCII characters other than '='", name),
            );
        }
        let value = f.get("value").and_then(|n| r.str(n, &format!("{}.value", ip))).unwrap_or_default();
        let source = match f.get("valueFrom") {
            Some(vf) => decode_env_source(r, vf, &format!("{}.valueFrom", ip), !value.is_empty(), what),
            None => Some(EnvSource::Value(value)),
        };
        r.done(f, Unknown::Warn, what);
        let Some(source) = source else { continue };
        // The apiserver's warning for a name given twice, unless the later
        // value builds on the earlier one (`$(NAME)` in a longer value;
        // `warningsForPodSpecAndMeta`).
        if out.iter().any(|e: &EnvVar| e.name == name) {
            let reference = format!("$({})", name);
            let builds_on = matches!(&source, EnvSource::Value(v) if *v != reference && v.contains(&reference));
            if !builds_on {
                let line = item.pos.line;
                r.diag.warn_once(
                    format!("{}|{}|env-dup", r.file, ip),
                    format!(
                        "warning: {}:{}: {}: hides previous definition of {:?}, which may be dropped when using apply",
                        r.file, line, ip, name
                    ),
                );
            }
        }
        out.push(EnvVar { name, source });
    }
    out
}

/// One `valueFrom` (`validateEnvVarValueFrom`): exactly one of `fieldRef`,
/// `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef`, counted by
/// presence; each validated on its own. `has_value`: the entry also has a
/// non-empty `value`. Only `fieldRef` is resolved in the container; the
/// others are kept for `describe` and `-o yaml`, with a warning.
fn decode_env_source(r: &mut Reader, node: &Y, path: &str, has_value: bool, what: &str) -> Option<EnvSource> {
    let mut f = r.fields(node, path)?;
    let keys = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"];
    let present: Vec<(&str, &Y)> = keys.iter().filter_map(|k| f.get(k).map(|n| (*k, n))).collect();
    r.done(f, Unknown::Warn, what);
    let mut sources = Vec::new();
    for (key, n) in &present {
        let fp = format!("{}.{}", path, key);
        let Some(mut ff) = r.fields(n, &fp) else { continue };
        let source = match *key {
            "fieldRef" => {
                let api_version =
                    ff.get("apiVersion").and_then(|x| r.str(x, &format!("{}.apiVersion", fp))).unwrap_or("v1".into());
                let fpath = ff.get("fieldPath").and_then(|x| r.str(x, &format!("{}.fieldPath", fp)));
                let field = format!("{}.fieldPath", fp);
                match fpath {
                    None => {
                        r.err(n, &field, "Required value");
                        None
                    }
                    Some(p) => match crate::objects::env::validate_field_path(&api_version, &p) {
                        Ok(path) => Some(EnvSource::Field { api_version, path }),
                        Err(msg) => {
                            r.err(n, &field, msg);
                            None
                        }
                    },
                }
            }
            "resourceFieldRef" => {
                ff.skip(&["containerName"]);
                let divisor = ff.get("divisor").and_then(|x| r.text(x, &format!("{}.divisor", fp)));
                if let Some(d) = &divisor {
                    if crate::objects::quantity::parse_quantity(d).is_err() {
                        r.err(n, &format!("{}.divisor", fp), format!("Invalid value: \"{}\": must be a quantity", d));
                    }
                }
                match ff.get("resource").and_then(|x| r.str(x, &format!("{}.resource", fp))) {
                    Some(resource) => Some(EnvSource::Resource { resource, divisor }),
                    None => {
                        r.err(n, &format!("{}.resource", fp), "Required value");
                        None
                    }
                }
            }
            _ => {
                let name = ff.get("name").and_then(|x| r.str(x, &format!("{}.name", fp))).unwrap_or_default();
                if name.is_empty() {
                    r.err(n, &format!("{}.name", fp), "Required value");
                } else {
                    r.valid(n, &format!("{}.name", fp), &name, validation::dns1123_subdomain(&name));
                }
                let k = ff.get("key").and_then(|x| r.str(x, &format!("{}.key", fp))).unwrap_or_default();
                if k.is_empty() {
                    r.err(n, &format!("{}.key", fp), "Required value");
                }
                let optional = ff.get("optional").and_then(|x| r.bool(x, &format!("{}.optional", fp)));
                Some(if *key == "secretKeyRef" {
                    EnvSource::SecretKey { name, key: k, optional }
                } else {
                    EnvSource::ConfigMapKey { name, key: k, optional }
                })
            }
        };
        r.done(ff, Unknown::Warn, what);
        sources.extend(source);
    }
    if present.is_empty() {
        r.err(
            node,
            path,
            "Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        );
        return None;
    }
    if has_value {
        r.err(node, path, "Invalid value: \"\": may not be specified when `value` is not empty");
        return None;
    }
    if present.len() > 1 {
        r.err(node, path, "Invalid value: \"\": may not have more than one field specified at a time");
        return None;
    }
    let source = sources.pop()?;
    if !matches!(source, EnvSource::Field { .. }) {
        let line = node.pos.line;
        r.diag.warn_once(
            format!("{}|env valueFrom", what),
            format!(
                "warning: {}:{}: {}: values from ConfigMaps, Secrets and resource fields are not simulated: the container's environment leaves them out{}",
                r.file, line, path, what
            ),
        );
    }
    Some(source)
}

/// A probe: one handler plus timing, defaulted as `SetDefaults_Probe` and
/// validated as the apiserver does (thresholds ≥ 1, success threshold 1
/// for liveness and startup probes).
fn decode_probe(r: &mut Reader, node: &Y, path: &str, kind: ProbeKind) -> Option<Probe> {
    let handler = decode_handler(r, node, path, false)?;
    let mut f = r.fields(node, path)?;
    f.skip(&["httpGet", "tcpSocket", "exec", "grpc"]);
    let mut p = Probe::with_defaults(handler);
    // Probe fields are int32 (`k8s.io/api/core/v1` `Probe`).
    let num = |r: &mut Reader, f: &mut Fields, key: &str, min: u64, slot: &mut u64| {
        if let Some(n) = f.get(key) {
            if let Some(v) = r.int_in(n, &f.field(key), min as i64, i32::MAX as i64) {
                *slot = v as u64;
            }
        }
    };
    num(r, &mut f, "initialDelaySeconds", 0, &mut p.initial_delay_seconds);
    num(r, &mut f, "periodSeconds", 1, &mut p.period_seconds);
    num(r, &mut f, "timeoutSeconds", 1, &mut p.timeout_seconds);
    num(r, &mut f, "successThreshold", 1, &mut p.success_threshold);
    num(r, &mut f, "failureThreshold", 1, &mut p.failure_threshold);
    if let Some(n) = f.get("terminationGracePeriodSeconds") {
        // `validateProbe`: a probe-level grace must be positive.
        p.termination_grace_period_seconds =
            r.int_in(n, &f.field("terminationGracePeriodSeconds"), 1, i64::MAX).map(|v| v as u64);
    }
    if kind != ProbeKind::Readiness && p.success_threshold != 1 {
        let n = f.get("successThreshold").unwrap_or(node);
        r.err(n, &f.field("successThreshold"), format!("must be 1 for a {} probe", kind.as_str().to_lowercase()));
    }
    r.done(f, Unknown::Error, " in a probe");
    Some(p)
}

/// `httpGet`, `tcpSocket`, `exec` (and `sleep` for hooks): exactly one.
fn decode_handler(r: &mut Reader, node: &Y, path: &str, hook: bool) -> Option<Handler> {
    let keys = ["httpGet", "tcpSocket", "exec", "grpc", "sleep"];
    let present: Vec<&str> = keys.iter().copied().filter(|k| node.get(k).is_some()).collect();
    let [which] = present.as_slice() else {
        r.err(node, path, "must specify exactly one handler (httpGet, tcpSocket or exec)");
        return None;
    };
    let hp = format!("{}.{}", path, which);
    let h = node.get(which).expect("present");
    let port = |r: &mut Reader, h: &Y| -> Option<PortRef> {
        let Some(p) = h.get("port") else {
            r.err(h, &format!("{}.port", hp), "port is required");
            return None;
        };
        match p.resolve() {
            Some(Resolved::Int(n)) if (1..=65535).contains(&n) => Some(PortRef::Number(n as u16)),
            Some(Resolved::Str(s)) if !s.is_empty() => match s.parse::<u16>() {
                Ok(n) if n > 0 => Some(PortRef::Number(n)),
                _ => Some(PortRef::Name(s.to_string())),
            },
            _ => {
                r.err(p, &format!("{}.port", hp), "must be a port number (1-65535) or a port name");
                None
            }
        }
    };
    let handler = match *which {
        "httpGet" => {
            let mut f = r.fields(h, &hp)?;
            let path_s = f.get("path").and_then(|n| r.str(n, "path")).unwrap_or_else(|| "/".into());
            let scheme = f.get("scheme").and_then(|n| r.str(n, "scheme")).unwrap_or_else(|| "HTTP".into());
            f.skip(&["port", "host", "httpHeaders"]);
            r.done(f, Unknown::Error, " in httpGet");
            Handler::HttpGet { path: path_s, port: port(r, h)?, scheme }
        }
        "tcpSocket" => {
            let mut f = r.fields(h, &hp)?;
            f.skip(&["port", "host"]);
            r.done(f, Unknown::Error, " in tcpSocket");
            Handler::TcpSocket { port: port(r, h)? }
        }
        "exec" => {
            let mut f = r.fields(h, &hp)?;
            let command = f.get("command").map(|n| r.string_list(n, &format!("{}.command", hp))).unwrap_or_default();
            r.done(f, Unknown::Error, " in exec");
            if command.is_empty() {
                r.err(h, &format!("{}.command", hp), "command is required");
                return None;
            }
            Handler::Exec { command }
        }
        "sleep" if hook => {
            let mut f = r.fields(h, &hp)?;
            let seconds =
                f.get("seconds").and_then(|n| r.int_in(n, &format!("{}.seconds", hp), 0, i64::MAX)).map(|v| v as u64);
            r.done(f, Unknown::Error, " in sleep");
            Handler::Sleep { seconds: seconds? }
        }
        other => {
            r.err(h, &hp, format!("`{}` handlers are not simulated yet", other));
            return None;
        }
    };
    Some(handler)
}

/// A `kubesim.io/behavior` annotation must parse (the kubelet applies it
/// when the pod starts).
fn check_behavior(r: &mut Reader, node: &Y, path: &str, ann: &BTreeMap<String, String>) {
    if let Some(text) = ann.get(super::ANNOTATION_BEHAVIOR) {
        if let Err(e) = super::behavior_override(text, Default::default()) {
            let at = node.get(super::ANNOTATION_BEHAVIOR).unwrap_or(node);
            r.err(at, &format!("{}.{}", path, super::ANNOTATION_BEHAVIOR), e);
        }
    }
}

/// Reads `{cpu, memory, pods}` and extended resources
/// (`nvidia.com/gpu: 8`) as a node's capacity.
pub fn decode_resources(r: &mut Reader, node: &Y, path: &str, default_pods: u64) -> (Resources, Extended) {
    decode_resources_with(r, node, path, default_pods, Unknown::Error)
}

/// Like `decode_resources`; `unknown` says what other resource names
/// (`example.com` names are extended; a name like `gpu` is not a
/// resource) are: errors in the scenario's own `capacity:`, reported as
/// not simulated in a Node manifest's `status`.
fn decode_resources_with(
    r: &mut Reader,
    node: &Y,
    path: &str,
    default_pods: u64,
    unknown: Unknown,
) -> (Resources, Extended) {
    let mut out = Resources { cpu_m: 0, memory: 0, pods: default_pods };
    let mut ext = Extended::default();
    let Some(mut f) = r.fields(node, path) else {
        return (out, ext);
    };
    if let Some(n) = f.get("cpu") {
        out.cpu_m = r.cpu(n, &f.field("cpu")).unwrap_or(0);
    }
    if let Some(n) = f.get("memory") {
        out.memory = r.bytes(n, &f.field("memory")).unwrap_or(0);
    }
    if let Some(n) = f.get("pods") {
        out.pods = r.bytes(n, &f.field("pods")).unwrap_or(default_pods);
    }
    r.extended(&mut f, &mut ext);
    f.skip(&["ephemeral-storage", "hugepages-1Gi", "hugepages-2Mi"]);
    r.done(f, unknown, " in node resources");
    (out, ext)
}

/// A Ready node with 2 CPU, 4 GiB and 110 pods unless told otherwise.
pub fn default_node(meta: ObjectMeta) -> Node {
    let cap = Resources { cpu_m: 2000, memory: 4 << 30, pods: 110 };
    let mut labels: BTreeMap<String, String> = (*meta.labels).clone();
    labels.entry(crate::objects::node::LABEL_HOSTNAME.into()).or_insert_with(|| meta.name.to_string());
    labels.entry("kubernetes.io/os".into()).or_insert_with(|| "linux".into());
    labels.entry("kubernetes.io/arch".into()).or_insert_with(|| "amd64".into());
    Node {
        meta: ObjectMeta { labels: Rc::new(labels), ..meta },
        spec: NodeSpec { unschedulable: false, taints: vec![] },
        status: NodeStatus {
            capacity: cap,
            allocatable: cap,
            extended: Default::default(),
            ready: NodeCondition {
                status: CondStatus::True,
                reason: "KubeletReady".into(),
                message: "kubelet is posting ready status".into(),
                last_heartbeat_time: SimTime::ZERO,
                last_transition_time: SimTime::ZERO,
            },
            internal_ip: String::new(),
            kubelet_version: "v1.32.0".into(),
        },
    }
}
