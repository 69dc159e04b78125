//! Objects as the API returns them (`kubectl get -o json|yaml`): the
//! Kubernetes field names and shapes, status included.
//!
//! Timestamps are RFC 3339 in virtual time counted from the Unix epoch:
//! t = 2m is `1970-01-01T00:02:00Z` — deterministic, and plainly virtual.

#![warn(missing_docs)]

use crate::objects::lease::Lease;
use crate::objects::meta::{uid_string, ObjectMeta};
use crate::objects::node::Node;
use crate::objects::pod::{Condition, Container, ContainerState, ContainerStatus, Pod, TerminatedState, Toleration};
use crate::objects::probe::{Handler, PortRef, Probe, ProbeKind};
use crate::objects::quantity::{format_bytes, format_cpu};
use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet};
use crate::objects::resources::{Extended, Resources};
use crate::objects::selector::Selector;
use crate::sim::SimTime;
use serde_json::{json, Map, Value};

/// RFC 3339 (seconds precision, as the API server writes timestamps).
pub fn timestamp(t: SimTime) -> String {
    let rem = t.as_secs() % 86_400;
    let (h, m, s) = (rem / 3600, (rem / 60) % 60, rem % 60);
    let (y, mo, d, _) = crate::sim::time::civil_date(t);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, mo, d, h, m, s)
}

/// `metav1.MicroTime` (a Lease's `acquireTime`/`renewTime`): RFC 3339 with
/// microseconds.
pub fn micro_timestamp(t: SimTime) -> String {
    let base = timestamp(t);
    format!("{}.{:06}Z", base.trim_end_matches('Z'), (t.0 % 1_000_000_000) / 1_000)
}

fn insert_if(map: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        map.insert(key.into(), v);
    }
}

fn string_map(m: &std::collections::BTreeMap<String, String>) -> Option<Value> {
    (!m.is_empty()).then(|| json!(m))
}

fn metadata(m: &ObjectMeta) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(&*m.name));
    if let Some(g) = &m.generate_name {
        o.insert("generateName".into(), json!(&**g));
    }
    if !m.namespace.is_empty() {
        o.insert("namespace".into(), json!(&*m.namespace));
    }
    o.insert("uid".into(), json!(uid_string(m.uid)));
    o.insert("resourceVersion".into(), json!(m.resource_version.to_string()));
    if m.generation > 0 {
        o.insert("generation".into(), json!(m.generation));
    }
    o.insert("creationTimestamp".into(), json!(timestamp(m.creation_timestamp)));
    insert_if(&mut o, "deletionTimestamp", m.deletion_timestamp.map(|t| json!(timestamp(t))));
    insert_if(&mut o, "deletionGracePeriodSeconds", m.deletion_grace_period_seconds.map(|g| json!(g)));
    if !m.finalizers.is_empty() {
        o.insert("finalizers".into(), json!(m.finalizers.iter().map(|f| &**f).collect::<Vec<_>>()));
    }
    insert_if(&mut o, "labels", string_map(&m.labels));
    insert_if(&mut o, "annotations", string_map(&m.annotations));
    if !m.owner_references.is_empty() {
        let refs: Vec<Value> = m
            .owner_references
            .iter()
            .map(|r| {
                json!({"apiVersion": &*r.api_version, "kind": &*r.kind, "name": &*r.name, "uid": uid_string(r.uid),
                       "controller": r.controller, "blockOwnerDeletion": r.block_owner_deletion})
            })
            .collect();
        o.insert("ownerReferences".into(), Value::Array(refs));
    }
    Value::Object(o)
}

fn resources(r: &Resources, cpu: bool, mem: bool, ext: &Extended) -> Option<Value> {
    let mut o = Map::new();
    if cpu {
        o.insert("cpu".into(), json!(format_cpu(r.cpu_m)));
    }
    if mem {
        o.insert("memory".into(), json!(format_bytes(r.memory)));
    }
    insert_extended(&mut o, ext);
    (!o.is_empty()).then_some(Value::Object(o))
}

/// Extended resources as quantities (`"nvidia.com/gpu": "1"`).
fn insert_extended(o: &mut Map<String, Value>, ext: &Extended) {
    for (name, v) in ext.iter() {
        o.insert(name.to_string(), json!(v.to_string()));
    }
}

fn env_var(e: &crate::objects::env::EnvVar) -> Value {
    use crate::objects::env::EnvSource;
    let from = match &e.source {
        EnvSource::Value(v) if v.is_empty() => return json!({ "name": e.name }),
        EnvSource::Value(v) => return json!({ "name": e.name, "value": v }),
        EnvSource::Field { api_version, path } => {
            json!({ "fieldRef": { "apiVersion": api_version, "fieldPath": path } })
        }
        EnvSource::Resource { resource, divisor } => {
            let mut m = Map::new();
            m.insert("resource".into(), json!(resource));
            insert_if(&mut m, "divisor", divisor.as_ref().map(|d| json!(d)));
            json!({ "resourceFieldRef": Value::Object(m) })
        }
        EnvSource::ConfigMapKey { name, key, optional } | EnvSource::SecretKey { name, key, optional } => {
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.insert("key".into(), json!(key));
            insert_if(&mut m, "optional", optional.map(|b| json!(b)));
            let kind = if matches!(e.source, EnvSource::SecretKey { .. }) { "secretKeyRef" } else { "configMapKeyRef" };
            json!({ kind: Value::Object(m) })
        }
    };
    json!({ "name": e.name, "valueFrom": from })
}

fn container(c: &Container) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(&*c.name));
    o.insert("image".into(), json!(&*c.image));
    o.insert("imagePullPolicy".into(), json!(c.image_pull_policy.as_str()));
    if !c.command.is_empty() {
        o.insert("command".into(), json!(c.command));
    }
    if !c.args.is_empty() {
        o.insert("args".into(), json!(c.args));
    }
    if !c.ports.is_empty() {
        let ports: Vec<Value> = c
            .ports
            .iter()
            .map(|p| {
                let mut m = Map::new();
                insert_if(&mut m, "name", p.name.as_ref().map(|n| json!(n)));
                m.insert("containerPort".into(), json!(p.container_port));
                m.insert("protocol".into(), json!(p.protocol));
                insert_if(&mut m, "hostPort", p.host_port.map(|h| json!(h)));
                Value::Object(m)
            })
            .collect();
        o.insert("ports".into(), Value::Array(ports));
    }
    if !c.env.is_empty() {
        o.insert("env".into(), Value::Array(c.env.iter().map(env_var).collect()));
    }
    for (key, kind) in [
        ("startupProbe", ProbeKind::Startup),
        ("livenessProbe", ProbeKind::Liveness),
        ("readinessProbe", ProbeKind::Readiness),
    ] {
        insert_if(&mut o, key, c.probes.get(kind).map(probe));
    }
    insert_if(&mut o, "lifecycle", c.probes.pre_stop.as_ref().map(|h| json!({ "preStop": handler(h) })));
    let mut res = Map::new();
    insert_if(&mut res, "requests", resources(&c.requests, c.has_cpu_request, c.has_memory_request, &c.extended));
    insert_if(&mut res, "limits", resources(&c.limits, c.limits.cpu_m > 0, c.limits.memory > 0, &c.extended));
    o.insert("resources".into(), Value::Object(res));
    Value::Object(o)
}

fn port_ref(p: &PortRef) -> Value {
    match p {
        PortRef::Number(n) => json!(n),
        PortRef::Name(n) => json!(n),
    }
}

fn handler(h: &Handler) -> Value {
    match h {
        Handler::HttpGet { path, port, scheme } => {
            json!({"httpGet": {"path": path, "port": port_ref(port), "scheme": scheme}})
        }
        Handler::TcpSocket { port } => json!({"tcpSocket": {"port": port_ref(port)}}),
        Handler::Exec { command } => json!({"exec": {"command": command}}),
        Handler::Sleep { seconds } => json!({"sleep": {"seconds": seconds}}),
    }
}

fn probe(p: &Probe) -> Value {
    let mut v = handler(&p.handler);
    let o = v.as_object_mut().expect("object");
    o.insert("initialDelaySeconds".into(), json!(p.initial_delay_seconds));
    o.insert("periodSeconds".into(), json!(p.period_seconds));
    o.insert("timeoutSeconds".into(), json!(p.timeout_seconds));
    o.insert("successThreshold".into(), json!(p.success_threshold));
    o.insert("failureThreshold".into(), json!(p.failure_threshold));
    insert_if(o, "terminationGracePeriodSeconds", p.termination_grace_period_seconds.map(|g| json!(g)));
    v
}

fn toleration(t: &Toleration) -> Value {
    let mut o = Map::new();
    if !t.key.is_empty() {
        o.insert("key".into(), json!(&*t.key));
    }
    o.insert("operator".into(), json!(if t.exists { "Exists" } else { "Equal" }));
    if !t.value.is_empty() {
        o.insert("value".into(), json!(&*t.value));
    }
    insert_if(&mut o, "effect", t.effect.map(|e| json!(e.as_str())));
    insert_if(&mut o, "tolerationSeconds", t.toleration_seconds.map(|s| json!(s)));
    Value::Object(o)
}

fn condition(kind: &str, c: &Condition) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(kind));
    o.insert("status".into(), json!(c.status.as_str()));
    o.insert("lastProbeTime".into(), Value::Null);
    o.insert("lastTransitionTime".into(), json!(timestamp(c.last_transition_time)));
    insert_if(&mut o, "reason", c.reason.as_deref().map(|r| json!(r)));
    insert_if(&mut o, "message", c.message.as_deref().map(|m| json!(m)));
    Value::Object(o)
}

fn terminated(t: &TerminatedState) -> Value {
    let mut o = Map::new();
    o.insert("exitCode".into(), json!(t.exit_code));
    insert_if(&mut o, "signal", t.signal.map(|s| json!(s)));
    o.insert("reason".into(), json!(&*t.reason));
    insert_if(&mut o, "message", t.message.as_deref().map(|m| json!(m)));
    insert_if(&mut o, "startedAt", t.started_at.map(|s| json!(timestamp(s))));
    o.insert("finishedAt".into(), json!(timestamp(t.finished_at)));
    json!({ "terminated": Value::Object(o) })
}

fn container_status(c: &ContainerStatus) -> Value {
    let state = match &c.state {
        ContainerState::Waiting { reason, message } => {
            let mut w = Map::new();
            w.insert("reason".into(), json!(&**reason));
            insert_if(&mut w, "message", message.as_deref().map(|m| json!(m)));
            json!({ "waiting": Value::Object(w) })
        }
        ContainerState::Running { started_at } => json!({"running": {"startedAt": timestamp(*started_at)}}),
        ContainerState::Terminated(t) => terminated(t),
    };
    let mut o = Map::new();
    o.insert("name".into(), json!(&*c.name));
    o.insert("image".into(), json!(&*c.image));
    insert_if(&mut o, "containerID", c.container_id.map(|id| json!(format!("containerd://{:064x}", id))));
    o.insert("ready".into(), json!(c.ready));
    o.insert("started".into(), json!(c.started));
    o.insert("restartCount".into(), json!(c.restart_count));
    o.insert("state".into(), state);
    o.insert("lastState".into(), c.last_state.as_ref().map(terminated).unwrap_or_else(|| json!({})));
    Value::Object(o)
}

/// A pod's spec, or a template's (`pod`: false): `SetDefaults_Pod`
/// defaults `enableServiceLinks` on pods only.
fn pod_spec(s: &crate::objects::pod::PodSpec, pod: bool) -> Value {
    let mut o = Map::new();
    o.insert("containers".into(), Value::Array(s.containers.iter().map(container).collect()));
    insert_if(&mut o, "nodeName", s.node_name.as_deref().map(|n| json!(n)));
    insert_if(&mut o, "nodeSelector", string_map(&s.node_selector));
    o.insert("restartPolicy".into(), json!(s.restart_policy.as_str()));
    o.insert("schedulerName".into(), json!(&*s.scheduler_name));
    o.insert("terminationGracePeriodSeconds".into(), json!(s.termination_grace_period_seconds));
    o.insert("priority".into(), json!(s.priority));
    let links = if pod { Some(s.enable_service_links.unwrap_or(true)) } else { s.enable_service_links };
    insert_if(&mut o, "enableServiceLinks", links.map(|b| json!(b)));
    insert_if(&mut o, "hostname", s.hostname.as_deref().map(|h| json!(h)));
    if !s.tolerations.is_empty() {
        o.insert("tolerations".into(), Value::Array(s.tolerations.iter().map(toleration).collect()));
    }
    Value::Object(o)
}

/// A Pod as the API returns it (`apiVersion`, `kind`, `metadata`, `spec`,
/// `status`).
pub fn pod(p: &Pod) -> Value {
    let st = &p.status;
    let mut status = Map::new();
    status.insert("phase".into(), json!(st.phase.as_str()));
    let conds: Vec<Value> =
        st.conditions.named().into_iter().filter_map(|(k, c)| c.as_ref().map(|c| condition(k, c))).collect();
    if !conds.is_empty() {
        status.insert("conditions".into(), Value::Array(conds));
    }
    insert_if(&mut status, "reason", st.reason.as_deref().map(|r| json!(r)));
    insert_if(&mut status, "message", st.message.as_deref().map(|m| json!(m)));
    insert_if(&mut status, "hostIP", st.host_ip.as_deref().map(|h| json!(h)));
    insert_if(&mut status, "podIP", st.pod_ip.as_deref().map(|h| json!(h)));
    insert_if(&mut status, "startTime", st.start_time.map(|t| json!(timestamp(t))));
    if !st.container_statuses.is_empty() {
        status.insert(
            "containerStatuses".into(),
            Value::Array(st.container_statuses.iter().map(container_status).collect()),
        );
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata(&p.meta), "spec": pod_spec(&p.spec, true), "status": Value::Object(status)})
}

fn quantities(r: &Resources, ext: &Extended) -> Value {
    let mut o = Map::new();
    o.insert("cpu".into(), json!(format_cpu(r.cpu_m)));
    o.insert("memory".into(), json!(format_bytes(r.memory)));
    o.insert("pods".into(), json!(r.pods.to_string()));
    insert_extended(&mut o, ext);
    Value::Object(o)
}

/// A Node as the API returns it.
pub fn node(n: &Node) -> Value {
    let mut spec = Map::new();
    if n.spec.unschedulable {
        spec.insert("unschedulable".into(), json!(true));
    }
    if !n.spec.taints.is_empty() {
        let taints: Vec<Value> = n
            .spec
            .taints
            .iter()
            .map(|t| {
                let mut o = Map::new();
                o.insert("key".into(), json!(t.key));
                if !t.value.is_empty() {
                    o.insert("value".into(), json!(t.value));
                }
                o.insert("effect".into(), json!(t.effect.as_str()));
                insert_if(&mut o, "timeAdded", t.time_added.map(|a| json!(timestamp(a))));
                Value::Object(o)
            })
            .collect();
        spec.insert("taints".into(), Value::Array(taints));
    }
    let r = &n.status.ready;
    let ready = json!({"type": "Ready", "status": r.status.as_str(), "reason": r.reason, "message": r.message,
        "lastHeartbeatTime": timestamp(r.last_heartbeat_time), "lastTransitionTime": timestamp(r.last_transition_time)});
    json!({
        "apiVersion": "v1", "kind": "Node", "metadata": metadata(&n.meta), "spec": Value::Object(spec),
        "status": {
            "capacity": quantities(&n.status.capacity, &n.status.extended),
            "allocatable": quantities(&n.status.allocatable, &n.status.extended),
            "conditions": [ready],
            "addresses": [{"type": "InternalIP", "address": n.status.internal_ip}, {"type": "Hostname", "address": &*n.meta.name}],
            "nodeInfo": node_info(n),
        }
    })
}

/// A `metav1.LabelSelector` as it was applied: `matchLabels` (a map, in
/// key order) and `matchExpressions` (in the order given, values as given).
/// `status.nodeInfo.osImage` of a simulated node (what `get nodes -o wide`
/// shows as OS-IMAGE).
pub const OS_IMAGE: &str = "kubesim (simulated)";

/// `status.nodeInfo`: the kubelet's version, the simulated runtime and OS
/// image, and the OS and architecture the kubelet also labels the node with
/// (`kubernetes.io/os`, `kubernetes.io/arch`).
fn node_info(n: &Node) -> Value {
    let mut o = Map::new();
    insert_if(&mut o, "architecture", n.meta.labels.get("kubernetes.io/arch").map(|a| json!(a)));
    o.insert("containerRuntimeVersion".into(), json!("containerd://simulated"));
    o.insert("kubeletVersion".into(), json!(n.status.kubelet_version));
    o.insert("osImage".into(), json!(OS_IMAGE));
    insert_if(&mut o, "operatingSystem", n.meta.labels.get("kubernetes.io/os").map(|a| json!(a)));
    Value::Object(o)
}

/// A set-based `LabelSelector` (`matchLabels`, `matchExpressions`).
pub fn label_selector(s: &Selector) -> Value {
    let (labels, exprs) = s.parts();
    let mut o = Map::new();
    if !labels.is_empty() {
        let m: Map<String, Value> = labels.iter().map(|r| (r.key.clone(), json!(r.values[0]))).collect();
        o.insert("matchLabels".into(), Value::Object(m));
    }
    if !exprs.is_empty() {
        let exprs: Vec<Value> = exprs
            .iter()
            .map(|r| {
                let mut e = Map::new();
                e.insert("key".into(), json!(r.key));
                e.insert("operator".into(), json!(r.op.as_str()));
                if !r.values.is_empty() {
                    e.insert("values".into(), json!(r.values));
                }
                Value::Object(e)
            })
            .collect();
        o.insert("matchExpressions".into(), Value::Array(exprs));
    }
    Value::Object(o)
}

/// A `PodTemplateSpec` (a workload's `spec.template`).
pub fn pod_template(t: &PodTemplate) -> Value {
    let mut tmeta = Map::new();
    insert_if(&mut tmeta, "labels", string_map(&t.labels));
    insert_if(&mut tmeta, "annotations", string_map(&t.annotations));
    json!({"metadata": Value::Object(tmeta), "spec": pod_spec(&t.spec, false)})
}

/// A ReplicaSet or ReplicationController as the API returns it.
pub fn replica_set(r: &ReplicaSet) -> Value {
    let selector = match r.kind {
        ReplicaKind::ReplicationController => {
            json!(r
                .spec
                .selector
                .requirements
                .iter()
                .map(|q| (q.key.clone(), json!(q.values[0])))
                .collect::<Map<_, _>>())
        }
        ReplicaKind::ReplicaSet => label_selector(&r.spec.selector),
    };
    let s = &r.status;
    json!({
        "apiVersion": r.kind.api_version(), "kind": r.kind.as_str(), "metadata": metadata(&r.meta),
        "spec": {"replicas": r.spec.replicas, "minReadySeconds": r.spec.min_ready_seconds, "selector": selector,
                 "template": pod_template(&r.spec.template)},
        "status": {"replicas": s.replicas, "fullyLabeledReplicas": s.fully_labeled_replicas, "readyReplicas": s.ready_replicas,
                   "availableReplicas": s.available_replicas, "observedGeneration": s.observed_generation},
    })
}

/// A Lease as read at `now` (its `renewTime` then: see `Lease::renew_time_at`).
pub fn lease(l: &Lease, now: SimTime) -> Value {
    let mut spec = Map::new();
    insert_if(&mut spec, "holderIdentity", l.spec.holder_identity.as_ref().map(|h| json!(h)));
    insert_if(&mut spec, "leaseDurationSeconds", l.spec.lease_duration_seconds.map(|d| json!(d)));
    insert_if(&mut spec, "acquireTime", l.spec.acquire_time.map(|t| json!(micro_timestamp(t))));
    insert_if(&mut spec, "renewTime", l.renew_time_at(now).map(|t| json!(micro_timestamp(t))));
    insert_if(&mut spec, "leaseTransitions", l.spec.lease_transitions.map(|n| json!(n)));
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata(&l.meta), "spec": Value::Object(spec)})
}

/// A stored object kubesim does not simulate: its manifest as applied,
/// with the apiserver's metadata.
pub fn unstructured(u: &crate::objects::Unstructured) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!(u.api_version));
    o.insert("kind".into(), json!(u.kind));
    o.insert("metadata".into(), metadata(&u.meta));
    if let Some(body) = u.body.as_object() {
        for (k, v) in body {
            if k != "apiVersion" && k != "kind" && k != "metadata" {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(o)
}

/// An object of a typed kind (`objects::typed`), as the API returns it.
pub fn typed(t: &dyn crate::objects::typed::TypedObject) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!(t.info().api_version()));
    o.insert("kind".into(), json!(t.info().kind));
    o.insert("metadata".into(), metadata(t.meta()));
    o.extend(t.body_json());
    Value::Object(o)
}

/// A namespace.
pub fn namespace(n: &crate::objects::Namespace) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata(&n.meta), "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
}

/// kubectl's wrapper for several objects.
pub fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp(SimTime(0)), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp(SimTime(120_500_000_000)), "1970-01-01T00:02:00Z");
        assert_eq!(timestamp(SimTime(86_400 * 366 * 1_000_000_000)), "1971-01-02T00:00:00Z");
        assert_eq!(micro_timestamp(SimTime(120_500_000_000)), "1970-01-01T00:02:00.500000Z");
        assert_eq!(micro_timestamp(SimTime(10_000_001_999)), "1970-01-01T00:00:10.000001Z");
    }
}
