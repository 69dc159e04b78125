//! The digest of a whole object version, for the trace hash.
//!
//! Every store write folds the digest of the full version it stored into
//! the trace hash (what that covers: `crate::sim::trace`). A version is
//! digested from the digests of its *parts* — the label and annotation
//! maps, the pod spec (or replica-set template) and the pod status — which
//! versions share through `Rc`s. `DigestCache` keeps each live object's
//! part digests by uid, so a write that changes only the status re-digests
//! only the status: a part whose `Rc` is the very allocation the previous
//! version held (both alive, so the pointer cannot have been reused) keeps
//! its digest. The result is the same as digesting the version from
//! scratch (`Digest for Object`); a test checks it.

#![warn(missing_docs)]

use super::meta::ObjectMeta;
use super::pod::{Pod, PodSpec};
use super::replicaset::ReplicaSet;
use super::{Namespace, Object, Unstructured};
use crate::sim::trace::{Digest, Digester};
use std::rc::Rc;

/// The digests of a version's parts. `spec` is the pod spec's or the
/// replica-set template's, `containers` the pod's containers slice,
/// `status` the pod status's; 0 where a kind has no such shared part (its
/// spec and status are digested inline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parts {
    /// Name, generateName, namespace, uid, creationTimestamp: fixed for
    /// the object's life.
    pub identity: u64,
    /// The owner references'.
    pub owners: u64,
    /// The label map's.
    pub labels: u64,
    /// The annotation map's.
    pub annotations: u64,
    /// The pod spec's or the replica-set template's.
    pub spec: u64,
    /// The pod spec's digest but for `nodeName` (`PodSpec::rest_digest`).
    pub spec_rest: u64,
    /// The pod's containers slice's.
    pub containers: u64,
    /// The pod status's.
    pub status: u64,
}

fn pod_spec(spec: &PodSpec, rest: u64) -> u64 {
    let mut d = Digester::new();
    spec.digest_parts(&mut d, rest);
    d.finish()
}

/// The spec digests of one pod spec: `(spec, spec_rest, containers)`.
fn pod_spec_parts(spec: &PodSpec) -> (u64, u64, u64) {
    let containers = Digester::of(&*spec.containers);
    let rest = spec.rest_digest(containers);
    (pod_spec(spec, rest), rest, containers)
}

impl Parts {
    /// The metadata parts only.
    pub fn of_meta(meta: &ObjectMeta) -> Parts {
        Parts {
            identity: meta.identity_digest(),
            owners: Digester::of(&meta.owner_references),
            labels: Digester::of(&*meta.labels),
            annotations: Digester::of(&*meta.annotations),
            ..Parts::default()
        }
    }

    /// A pod's parts, computed from scratch.
    pub fn of_pod(p: &Pod) -> Parts {
        let (spec, spec_rest, containers) = pod_spec_parts(&p.spec);
        Parts { spec, spec_rest, containers, status: Digester::of(&*p.status), ..Parts::of_meta(&p.meta) }
    }

    /// A replica set's parts (metadata and template), from scratch.
    pub fn of_replica_set(r: &ReplicaSet) -> Parts {
        Parts { spec: Digester::of(&*r.spec.template), ..Parts::of_meta(&r.meta) }
    }

    /// Computed from scratch.
    pub fn of(obj: &Object) -> Parts {
        match obj {
            Object::Pod(p) => Parts::of_pod(p),
            Object::ReplicaSet(r) => Parts::of_replica_set(r),
            o => Parts::of_meta(o.meta()),
        }
    }

    /// Computed reusing `prev` (the parts of `old`, an earlier version of
    /// the same object) for every part `obj` shares with `old`: by pointer
    /// for the `Rc` parts, by equality for the owner references.
    fn reusing(obj: &Object, old: &Object, prev: &Parts) -> Parts {
        fn same<T: ?Sized>(a: &Rc<T>, b: &Rc<T>, prev: u64, f: impl FnOnce() -> u64) -> u64 {
            if Rc::ptr_eq(a, b) {
                prev
            } else {
                f()
            }
        }
        let (m, om) = (obj.meta(), old.meta());
        let mut parts = Parts {
            identity: prev.identity,
            owners: if m.owner_references == om.owner_references {
                prev.owners
            } else {
                Digester::of(&m.owner_references)
            },
            labels: same(&m.labels, &om.labels, prev.labels, || Digester::of(&*m.labels)),
            annotations: same(&m.annotations, &om.annotations, prev.annotations, || Digester::of(&*m.annotations)),
            ..Parts::default()
        };
        match (obj, old) {
            (Object::Pod(p), Object::Pod(o)) => {
                if Rc::ptr_eq(&p.spec, &o.spec) {
                    (parts.spec, parts.spec_rest, parts.containers) = (prev.spec, prev.spec_rest, prev.containers);
                } else if p.spec.same_but_node_name(&o.spec) {
                    // The binding: only nodeName changed.
                    (parts.spec_rest, parts.containers) = (prev.spec_rest, prev.containers);
                    parts.spec = pod_spec(&p.spec, parts.spec_rest);
                } else {
                    parts.containers = same(&p.spec.containers, &o.spec.containers, prev.containers, || {
                        Digester::of(&*p.spec.containers)
                    });
                    parts.spec_rest = p.spec.rest_digest(parts.containers);
                    parts.spec = pod_spec(&p.spec, parts.spec_rest);
                }
                parts.status = same(&p.status, &o.status, prev.status, || Digester::of(&*p.status));
            }
            (Object::ReplicaSet(r), Object::ReplicaSet(o)) => {
                parts.spec = same(&r.spec.template, &o.spec.template, prev.spec, || Digester::of(&*r.spec.template));
            }
            _ => {}
        }
        parts
    }
}

/// Folds the version's digest from its parts' digests.
fn fold(obj: &Object, parts: &Parts, d: &mut Digester) {
    match obj {
        Object::Pod(p) => {
            d.tag(1);
            p.digest_parts(d, parts);
        }
        Object::Node(n) => {
            d.tag(2);
            n.digest_parts(d, parts);
        }
        Object::ReplicaSet(r) => {
            d.tag(3);
            r.digest_parts(d, parts);
        }
        Object::Namespace(n) => {
            d.tag(4);
            let Namespace { meta } = &**n;
            meta.digest_parts(d, parts);
        }
        Object::Lease(l) => {
            d.tag(6);
            l.digest_parts(d, parts);
        }
        Object::Typed(t) => {
            d.tag(7);
            d.str(t.info().kind);
            t.meta().digest_parts(d, parts);
            t.digest_body(d);
        }
        Object::Other(u) => {
            d.tag(5);
            let Unstructured { api_version, kind, meta, namespaced, body } = &**u;
            api_version.digest(d);
            kind.digest(d);
            meta.digest_parts(d, parts);
            namespaced.digest(d);
            json(body, d);
        }
    }
}

impl Digest for Object {
    fn digest(&self, d: &mut Digester) {
        fold(self, &Parts::of(self), d);
    }
}

/// A JSON value in canonical form: object keys sorted (whatever order the
/// map keeps), numbers by their text, every node tagged by its type.
fn json(v: &serde_json::Value, d: &mut Digester) {
    use serde_json::Value;
    match v {
        Value::Null => d.tag(0),
        Value::Bool(b) => {
            d.tag(1);
            d.bool(*b);
        }
        Value::Number(n) => {
            d.tag(2);
            d.str(&n.to_string());
        }
        Value::String(s) => {
            d.tag(3);
            d.str(s);
        }
        Value::Array(a) => {
            d.tag(4);
            d.u64(a.len() as u64);
            a.iter().for_each(|x| json(x, d));
        }
        Value::Object(m) => {
            d.tag(5);
            d.u64(m.len() as u64);
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                d.str(k);
                json(&m[k], d);
            }
        }
    }
}

/// The part digests of every live object, indexed by uid. Uids come from
/// a counter, so a vector is a perfect map: one memory access per write
/// (a hash map costs two: control bytes, then the bucket). It grows by 64
/// bytes per object ever created.
#[derive(Default)]
pub struct DigestCache {
    by_uid: Vec<Option<Parts>>,
    live: usize,
    /// The last pod spec digested on a create, kept (so its address is not
    /// reused): pods made from one template or trace share their spec.
    last_spec: Option<(Rc<PodSpec>, (u64, u64, u64))>,
}

impl DigestCache {
    /// The digest of `obj`, the version just written; `old` is the version
    /// it replaced (for a delete, `obj` itself), `gone` whether the object
    /// left the store (its entry is dropped).
    pub fn digest(&mut self, obj: &Object, old: Option<&Object>, gone: bool) -> u64 {
        let uid = obj.meta().uid as usize;
        if uid >= self.by_uid.len() {
            self.by_uid.resize(uid + 1024, None);
        }
        let parts = match (old, self.by_uid[uid].as_ref(), obj) {
            (Some(old), Some(prev), _) if old.meta().uid as usize == uid => Parts::reusing(obj, old, prev),
            (_, _, Object::Pod(p)) => {
                let (spec, spec_rest, containers) = match &self.last_spec {
                    Some((s, parts)) if Rc::ptr_eq(s, &p.spec) => *parts,
                    _ => {
                        let parts = pod_spec_parts(&p.spec);
                        self.last_spec = Some((p.spec.clone(), parts));
                        parts
                    }
                };
                Parts { spec, spec_rest, containers, status: Digester::of(&*p.status), ..Parts::of_meta(&p.meta) }
            }
            _ => Parts::of(obj),
        };
        let slot = &mut self.by_uid[uid];
        match (gone, slot.is_some()) {
            (true, true) => self.live -= 1,
            (false, false) => self.live += 1,
            _ => {}
        }
        *slot = (!gone).then_some(parts);
        let mut d = Digester::new();
        fold(obj, &parts, &mut d);
        d.finish()
    }

    /// How many objects have cached parts (the live ones).
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no object has cached parts.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

#[cfg(test)]
mod tests {
    //! Table-driven: each row changes one field of a fully populated
    //! object; every row must change the digest, and no two rows may
    //! collide. A field added to a type without a row here is caught by
    //! the exhaustive destructuring in its `Digest` impl at compile time;
    //! add its row when adding its digest.

    use super::*;
    use crate::objects::meta::OwnerReference;
    use crate::objects::node::{Node, NodeCondition, NodeSpec, NodeStatus};
    use crate::objects::pod::*;
    use crate::objects::probe::{ContainerProbes, Handler, PortRef, Probe};
    use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSetSpec, ReplicaSetStatus};
    use crate::objects::resources::Resources;
    use crate::objects::selector::{Op, Requirement, Selector};
    use crate::sim::SimTime;
    use std::collections::BTreeMap;

    type Row<T> = (&'static str, fn(&mut T));

    /// Applies every row to a copy of `base` and checks the digests.
    fn check<T: Clone>(base: &T, rows: &[Row<T>], digest: impl Fn(&T) -> u64) {
        let d0 = digest(base);
        assert_eq!(d0, digest(&base.clone()), "deterministic");
        let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
        for (name, f) in rows {
            let mut v = base.clone();
            f(&mut v);
            let d = digest(&v);
            assert_ne!(d, d0, "changing {} does not change the digest", name);
            if let Some(other) = seen.insert(d, name) {
                panic!("{} and {} give the same digest", name, other);
            }
        }
    }

    fn meta() -> ObjectMeta {
        ObjectMeta {
            name: "web-1".into(),
            generate_name: Some("web-".into()),
            namespace: "default".into(),
            uid: 7,
            resource_version: 42,
            generation: 3,
            labels: Rc::new([("app".to_string(), "web".to_string())].into_iter().collect()),
            annotations: Rc::new([("note".to_string(), "x".to_string())].into_iter().collect()),
            owner_references: vec![OwnerReference {
                api_version: "v1".into(),
                kind: "ReplicationController".into(),
                name: "web".into(),
                uid: 3,
                controller: true,
                block_owner_deletion: true,
            }],
            creation_timestamp: SimTime(1),
            deletion_timestamp: Some(SimTime(2)),
            deletion_grace_period_seconds: Some(30),
            finalizers: vec!["example.com/a".into()],
        }
    }

    fn meta_rows() -> Vec<Row<ObjectMeta>> {
        vec![
            ("name", |m| m.name = "web-2".into()),
            ("generateName", |m| m.generate_name = None),
            ("namespace", |m| m.namespace = "other".into()),
            ("uid", |m| m.uid = 8),
            ("resourceVersion", |m| m.resource_version = 43),
            ("generation", |m| m.generation = 4),
            ("label value", |m| *Rc::make_mut(&mut m.labels).get_mut("app").unwrap() = "db".into()),
            ("label added", |m| {
                Rc::make_mut(&mut m.labels).insert("tier".into(), "a".into());
            }),
            ("annotation", |m| *Rc::make_mut(&mut m.annotations).get_mut("note").unwrap() = "y".into()),
            ("annotation removed", |m| m.annotations = Rc::default()),
            ("ownerReference apiVersion", |m| m.owner_references[0].api_version = "apps/v1".into()),
            ("ownerReference kind", |m| m.owner_references[0].kind = "ReplicaSet".into()),
            ("ownerReference name", |m| m.owner_references[0].name = "web2".into()),
            ("ownerReference uid", |m| m.owner_references[0].uid = 4),
            ("ownerReference controller", |m| m.owner_references[0].controller = false),
            ("ownerReference blockOwnerDeletion", |m| m.owner_references[0].block_owner_deletion = false),
            ("ownerReferences empty", |m| m.owner_references.clear()),
            ("creationTimestamp", |m| m.creation_timestamp = SimTime(5)),
            ("deletionTimestamp", |m| m.deletion_timestamp = Some(SimTime(3))),
            ("deletionTimestamp unset", |m| m.deletion_timestamp = None),
            ("deletionGracePeriodSeconds", |m| m.deletion_grace_period_seconds = Some(0)),
            ("finalizer renamed", |m| m.finalizers[0] = "example.com/b".into()),
            ("finalizer added", |m| m.finalizers.push("example.com/b".into())),
            ("finalizers empty", |m| m.finalizers.clear()),
        ]
    }

    #[test]
    fn metadata_fields() {
        check(&meta(), &meta_rows(), Digester::of);
    }

    fn probe(port: u16) -> Probe {
        Probe {
            handler: Handler::HttpGet { path: "/".into(), port: PortRef::Number(port), scheme: "HTTP".into() },
            initial_delay_seconds: 1,
            period_seconds: 10,
            timeout_seconds: 1,
            success_threshold: 1,
            failure_threshold: 3,
            termination_grace_period_seconds: Some(5),
        }
    }

    fn container(name: &str) -> Container {
        Container {
            name: name.into(),
            image: "luksa/kubia:1".into(),
            image_pull_policy: PullPolicy::IfNotPresent,
            command: vec!["node".into()],
            args: vec!["app.js".into()],
            ports: vec![ContainerPort {
                name: Some("http".into()),
                container_port: 8080,
                protocol: "TCP".into(),
                host_port: Some(80),
            }],
            requests: Resources { cpu_m: 100, memory: 1 << 20, pods: 0 },
            limits: Resources { cpu_m: 200, memory: 2 << 20, pods: 0 },
            extended: Default::default(),
            has_cpu_request: true,
            has_memory_request: true,
            probes: Rc::new(ContainerProbes {
                startup: Some(probe(8080)),
                liveness: Some(probe(8081)),
                readiness: Some(probe(8082)),
                pre_stop: Some(Handler::Sleep { seconds: 3 }),
            }),
            env: Rc::from(vec![crate::objects::env::EnvVar {
                name: "A".into(),
                source: crate::objects::env::EnvSource::Value("1".into()),
            }]),
        }
    }

    fn condition(t: u64) -> Condition {
        Condition {
            status: CondStatus::True,
            last_transition_time: SimTime(t),
            reason: Some("R".into()),
            message: Some("M".into()),
        }
    }

    fn terminated() -> TerminatedState {
        TerminatedState {
            exit_code: 1,
            signal: Some(9),
            reason: "Error".into(),
            message: Some("m".into()),
            started_at: Some(SimTime(3)),
            finished_at: SimTime(4),
        }
    }

    fn status(name: &str) -> ContainerStatus {
        ContainerStatus {
            name: name.into(),
            image: "luksa/kubia:1".into(),
            ready: true,
            started: true,
            restart_count: 2,
            container_id: Some(11),
            state: ContainerState::Running { started_at: SimTime(5) },
            last_state: Some(terminated()),
        }
    }

    fn term(key: &str) -> NodeSelectorTerm {
        NodeSelectorTerm {
            match_expressions: vec![Requirement { key: key.into(), op: Op::In, values: vec!["a".into()] }],
            match_fields: vec![Requirement { key: "metadata.name".into(), op: Op::In, values: vec!["n".into()] }],
        }
    }

    fn pod() -> Pod {
        Pod {
            meta: meta(),
            spec: Rc::new(PodSpec {
                node_name: Some("node-1".into()),
                containers: Rc::from(vec![container("app")]),
                init_containers: Rc::from(vec![container("init")]),
                restart_policy: RestartPolicy::Always,
                node_selector: [("disk".to_string(), "ssd".to_string())].into_iter().collect(),
                node_affinity: NodeAffinity { required: Some(vec![term("zone")]), preferred: vec![(5, term("rack"))] },
                tolerations: vec![Toleration {
                    key: "k".into(),
                    exists: false,
                    value: "v".into(),
                    effect: Some(TaintEffect::NoExecute),
                    toleration_seconds: Some(300),
                }],
                termination_grace_period_seconds: 30,
                scheduler_name: "default-scheduler".into(),
                priority: 0,
                enable_service_links: Some(true),
                hostname: Some("web-0".into()),
            }),
            status: Rc::new(PodStatus {
                phase: PodPhase::Running,
                conditions: PodConditions {
                    disruption_target: Some(condition(1)),
                    ready_to_start_containers: Some(condition(6)),
                    pod_scheduled: Some(condition(2)),
                    initialized: Some(condition(3)),
                    containers_ready: Some(condition(4)),
                    ready: Some(condition(5)),
                },
                reason: Some("r".into()),
                message: Some("m".into()),
                host_ip: Some("10.0.0.1".into()),
                pod_ip: Some("10.1.0.1".into()),
                start_time: Some(SimTime(2)),
                init_container_statuses: vec![status("init")],
                container_statuses: vec![status("app")],
            }),
        }
    }

    fn spec(p: &mut Pod) -> &mut PodSpec {
        Rc::make_mut(&mut p.spec)
    }
    fn app(p: &mut Pod) -> &mut Container {
        &mut Rc::make_mut(&mut Rc::make_mut(&mut p.spec).containers)[0]
    }
    fn probes(p: &mut Pod) -> &mut ContainerProbes {
        Rc::make_mut(&mut app(p).probes)
    }
    fn st(p: &mut Pod) -> &mut PodStatus {
        Rc::make_mut(&mut p.status)
    }
    fn cs(p: &mut Pod) -> &mut ContainerStatus {
        &mut st(p).container_statuses[0]
    }

    fn pod_rows() -> Vec<Row<Pod>> {
        vec![
            // spec
            ("nodeName", |p| spec(p).node_name = Some("node-2".into())),
            ("nodeName unset", |p| spec(p).node_name = None),
            ("container name", |p| app(p).name = "b".into()),
            ("container image", |p| app(p).image = "luksa/kubia:2".into()),
            ("imagePullPolicy", |p| app(p).image_pull_policy = PullPolicy::Always),
            ("command", |p| app(p).command.push("x".into())),
            ("args", |p| app(p).args[0] = "b.js".into()),
            ("port name", |p| app(p).ports[0].name = None),
            ("containerPort", |p| app(p).ports[0].container_port = 8081),
            ("port protocol", |p| app(p).ports[0].protocol = "UDP".into()),
            ("hostPort", |p| app(p).ports[0].host_port = None),
            ("requests cpu", |p| app(p).requests.cpu_m = 101),
            ("requests memory", |p| app(p).requests.memory = 3),
            ("requests pods", |p| app(p).requests.pods = 1),
            ("limits cpu", |p| app(p).limits.cpu_m = 201),
            ("limits memory", |p| app(p).limits.memory = 3),
            ("extended resource", |p| app(p).extended.set("nvidia.com/gpu".into(), 1)),
            ("has cpu request", |p| app(p).has_cpu_request = false),
            ("has memory request", |p| app(p).has_memory_request = false),
            ("env value", |p| {
                app(p).env = Rc::from(vec![crate::objects::env::EnvVar {
                    name: "A".into(),
                    source: crate::objects::env::EnvSource::Value("2".into()),
                }])
            }),
            ("env unset", |p| app(p).env = Rc::from(vec![])),
            ("enableServiceLinks", |p| spec(p).enable_service_links = Some(false)),
            ("enableServiceLinks unset", |p| spec(p).enable_service_links = None),
            ("hostname", |p| spec(p).hostname = Some("web-1".into())),
            ("hostname unset", |p| spec(p).hostname = None),
            ("startup probe", |p| probes(p).startup = None),
            ("liveness path", |p| {
                if let Some(Probe { handler: Handler::HttpGet { path, .. }, .. }) = &mut probes(p).liveness {
                    *path = "/healthz".into();
                }
            }),
            ("liveness port by name", |p| {
                if let Some(Probe { handler: Handler::HttpGet { port, .. }, .. }) = &mut probes(p).liveness {
                    *port = PortRef::Name("http".into());
                }
            }),
            ("liveness scheme", |p| {
                if let Some(Probe { handler: Handler::HttpGet { scheme, .. }, .. }) = &mut probes(p).liveness {
                    *scheme = "HTTPS".into();
                }
            }),
            ("liveness tcp", |p| {
                probes(p).liveness.as_mut().unwrap().handler = Handler::TcpSocket { port: PortRef::Number(8081) }
            }),
            ("liveness exec", |p| {
                probes(p).liveness.as_mut().unwrap().handler = Handler::Exec { command: vec!["true".into()] }
            }),
            ("initialDelaySeconds", |p| probes(p).liveness.as_mut().unwrap().initial_delay_seconds = 2),
            ("periodSeconds", |p| probes(p).liveness.as_mut().unwrap().period_seconds = 11),
            ("timeoutSeconds", |p| probes(p).liveness.as_mut().unwrap().timeout_seconds = 2),
            ("successThreshold", |p| probes(p).readiness.as_mut().unwrap().success_threshold = 2),
            ("failureThreshold", |p| probes(p).liveness.as_mut().unwrap().failure_threshold = 4),
            ("probe grace", |p| probes(p).liveness.as_mut().unwrap().termination_grace_period_seconds = None),
            ("readiness probe", |p| probes(p).readiness = None),
            ("preStop", |p| probes(p).pre_stop = Some(Handler::Sleep { seconds: 4 })),
            ("init container image", |p| Rc::make_mut(&mut spec(p).init_containers)[0].image = "x".into()),
            ("init containers removed", |p| spec(p).init_containers = Rc::from([])),
            ("restartPolicy", |p| spec(p).restart_policy = RestartPolicy::Never),
            ("nodeSelector", |p| {
                spec(p).node_selector.insert("gpu".into(), "1".into());
            }),
            ("required affinity key", |p| {
                spec(p).node_affinity.required.as_mut().unwrap()[0].match_expressions[0].key = "region".into()
            }),
            ("required affinity op", |p| {
                spec(p).node_affinity.required.as_mut().unwrap()[0].match_expressions[0].op = Op::NotIn
            }),
            ("required affinity values", |p| {
                spec(p).node_affinity.required.as_mut().unwrap()[0].match_expressions[0].values.push("b".into())
            }),
            ("required affinity fields", |p| spec(p).node_affinity.required.as_mut().unwrap()[0].match_fields.clear()),
            ("required affinity unset", |p| spec(p).node_affinity.required = None),
            ("preferred weight", |p| spec(p).node_affinity.preferred[0].0 = 6),
            ("toleration key", |p| spec(p).tolerations[0].key = "k2".into()),
            ("toleration operator", |p| spec(p).tolerations[0].exists = true),
            ("toleration value", |p| spec(p).tolerations[0].value = "w".into()),
            ("toleration effect", |p| spec(p).tolerations[0].effect = None),
            ("tolerationSeconds", |p| spec(p).tolerations[0].toleration_seconds = Some(299)),
            ("terminationGracePeriodSeconds", |p| spec(p).termination_grace_period_seconds = 31),
            ("schedulerName", |p| spec(p).scheduler_name = "other".into()),
            ("priority", |p| spec(p).priority = 1),
            // status
            ("phase", |p| st(p).phase = PodPhase::Succeeded),
            ("DisruptionTarget", |p| st(p).conditions.disruption_target = None),
            ("PodReadyToStartContainers status", |p| {
                st(p).conditions.ready_to_start_containers.as_mut().unwrap().status = CondStatus::False
            }),
            ("PodScheduled time", |p| {
                st(p).conditions.pod_scheduled.as_mut().unwrap().last_transition_time = SimTime(9)
            }),
            ("Initialized status", |p| st(p).conditions.initialized.as_mut().unwrap().status = CondStatus::False),
            ("ContainersReady reason", |p| st(p).conditions.containers_ready.as_mut().unwrap().reason = None),
            ("Ready message", |p| st(p).conditions.ready.as_mut().unwrap().message = Some("N".into())),
            ("status reason", |p| st(p).reason = Some("Evicted".into())),
            ("status message", |p| st(p).message = None),
            ("hostIP", |p| st(p).host_ip = Some("10.0.0.2".into())),
            ("podIP", |p| st(p).pod_ip = Some("10.1.0.2".into())),
            ("startTime", |p| st(p).start_time = Some(SimTime(3))),
            ("init container status ready", |p| st(p).init_container_statuses[0].ready = false),
            ("container status name", |p| cs(p).name = "b".into()),
            ("container status image", |p| cs(p).image = "luksa/kubia:2".into()),
            ("container ready", |p| cs(p).ready = false),
            ("container started", |p| cs(p).started = false),
            ("restartCount", |p| cs(p).restart_count = 3),
            ("containerID", |p| cs(p).container_id = Some(12)),
            ("state startedAt", |p| cs(p).state = ContainerState::Running { started_at: SimTime(6) }),
            ("state waiting", |p| {
                cs(p).state = ContainerState::Waiting { reason: "CrashLoopBackOff".into(), message: None }
            }),
            ("state waiting message", |p| {
                cs(p).state = ContainerState::Waiting { reason: "CrashLoopBackOff".into(), message: Some("b".into()) }
            }),
            ("state terminated", |p| cs(p).state = ContainerState::Terminated(terminated())),
            ("lastState exitCode", |p| cs(p).last_state.as_mut().unwrap().exit_code = 2),
            ("lastState signal", |p| cs(p).last_state.as_mut().unwrap().signal = None),
            ("lastState reason", |p| cs(p).last_state.as_mut().unwrap().reason = "OOMKilled".into()),
            ("lastState message", |p| cs(p).last_state.as_mut().unwrap().message = None),
            ("lastState startedAt", |p| cs(p).last_state.as_mut().unwrap().started_at = None),
            ("lastState finishedAt", |p| cs(p).last_state.as_mut().unwrap().finished_at = SimTime(5)),
            ("lastState unset", |p| cs(p).last_state = None),
        ]
    }

    #[test]
    fn pod_fields() {
        check(&pod(), &pod_rows(), |p| Digester::of(&Object::Pod(Rc::new(p.clone()))));
        // The metadata rows, applied to the pod's metadata.
        let base = pod();
        for (name, f) in meta_rows() {
            let mut p = base.clone();
            f(&mut p.meta);
            assert_ne!(
                Digester::of(&Object::Pod(Rc::new(p))),
                Digester::of(&Object::Pod(Rc::new(base.clone()))),
                "pod {}",
                name
            );
        }
    }

    fn node() -> Node {
        let cond = NodeCondition {
            status: CondStatus::True,
            reason: "KubeletReady".into(),
            message: "ready".into(),
            last_heartbeat_time: SimTime(1),
            last_transition_time: SimTime(2),
        };
        Node {
            meta: meta(),
            spec: NodeSpec {
                unschedulable: false,
                taints: vec![Taint {
                    key: "k".into(),
                    value: "v".into(),
                    effect: TaintEffect::NoSchedule,
                    time_added: Some(SimTime(1)),
                }],
            },
            status: NodeStatus {
                capacity: Resources { cpu_m: 2000, memory: 4 << 30, pods: 110 },
                allocatable: Resources { cpu_m: 2000, memory: 3 << 30, pods: 110 },
                extended: Default::default(),
                ready: cond,
                internal_ip: "10.0.0.1".into(),
                kubelet_version: "v1.32.0".into(),
            },
        }
    }

    #[test]
    fn node_fields() {
        let rows: Vec<Row<Node>> = vec![
            ("label", |n| Rc::make_mut(&mut n.meta.labels).insert("zone".into(), "a".into()).map_or((), |_| ())),
            ("resourceVersion", |n| n.meta.resource_version += 1),
            ("unschedulable", |n| n.spec.unschedulable = true),
            ("taint key", |n| n.spec.taints[0].key = "k2".into()),
            ("taint value", |n| n.spec.taints[0].value = "w".into()),
            ("taint effect", |n| n.spec.taints[0].effect = TaintEffect::NoExecute),
            ("taint timeAdded", |n| n.spec.taints[0].time_added = Some(SimTime(2))),
            ("taints cleared", |n| n.spec.taints.clear()),
            ("capacity cpu", |n| n.status.capacity.cpu_m = 1),
            ("capacity pods", |n| n.status.capacity.pods = 1),
            ("allocatable memory", |n| n.status.allocatable.memory = 1),
            ("extended resource", |n| n.status.extended.set("nvidia.com/gpu".into(), 1)),
            ("Ready status", |n| n.status.ready.status = CondStatus::Unknown),
            ("Ready reason", |n| n.status.ready.reason = "NodeStatusUnknown".into()),
            ("Ready message", |n| n.status.ready.message = "gone".into()),
            ("Ready heartbeat", |n| n.status.ready.last_heartbeat_time = SimTime(9)),
            ("Ready transition", |n| n.status.ready.last_transition_time = SimTime(9)),
            ("address", |n| n.status.internal_ip = "10.0.0.2".into()),
            ("kubeletVersion", |n| n.status.kubelet_version = "v1.33.0".into()),
        ];
        check(&node(), &rows, |n| Digester::of(&Object::Node(Rc::new(n.clone()))));
    }

    fn replica_set() -> ReplicaSet {
        let p = pod();
        ReplicaSet {
            kind: ReplicaKind::ReplicaSet,
            meta: meta(),
            spec: ReplicaSetSpec {
                replicas: 3,
                selector: Rc::new(Selector {
                    requirements: vec![Requirement { key: "app".into(), op: Op::In, values: vec!["web".into()] }],
                    nothing: false,
                    match_labels: 1,
                }),
                template: Rc::new(PodTemplate {
                    labels: p.meta.labels.clone(),
                    annotations: p.meta.annotations.clone(),
                    spec: p.spec,
                }),
                min_ready_seconds: 0,
            },
            status: ReplicaSetStatus {
                replicas: 3,
                fully_labeled_replicas: 3,
                ready_replicas: 2,
                available_replicas: 1,
                observed_generation: 3,
            },
        }
    }

    #[test]
    fn replica_set_fields() {
        fn tpl(r: &mut ReplicaSet) -> &mut PodTemplate {
            Rc::make_mut(&mut r.spec.template)
        }
        let rows: Vec<Row<ReplicaSet>> = vec![
            ("kind", |r| r.kind = ReplicaKind::ReplicationController),
            ("generation", |r| r.meta.generation = 4),
            ("replicas", |r| r.spec.replicas = 4),
            ("selector key", |r| Rc::make_mut(&mut r.spec.selector).requirements[0].key = "tier".into()),
            ("selector op", |r| Rc::make_mut(&mut r.spec.selector).requirements[0].op = Op::NotIn),
            ("selector nothing", |r| Rc::make_mut(&mut r.spec.selector).nothing = true),
            ("selector matchLabels", |r| Rc::make_mut(&mut r.spec.selector).match_labels = 0),
            ("template label", |r| Rc::make_mut(&mut tpl(r).labels).insert("v".into(), "2".into()).map_or((), |_| ())),
            ("template annotation", |r| tpl(r).annotations = Rc::default()),
            ("template image", |r| {
                Rc::make_mut(&mut Rc::make_mut(&mut tpl(r).spec).containers)[0].image = "x:2".into()
            }),
            ("template grace", |r| Rc::make_mut(&mut tpl(r).spec).termination_grace_period_seconds = 1),
            ("minReadySeconds", |r| r.spec.min_ready_seconds = 5),
            ("status replicas", |r| r.status.replicas = 2),
            ("fullyLabeledReplicas", |r| r.status.fully_labeled_replicas = 2),
            ("readyReplicas", |r| r.status.ready_replicas = 3),
            ("availableReplicas", |r| r.status.available_replicas = 2),
            ("observedGeneration", |r| r.status.observed_generation = 2),
        ];
        check(&replica_set(), &rows, |r| Digester::of(&Object::ReplicaSet(Rc::new(r.clone()))));
    }

    #[test]
    fn namespace_and_unstructured_fields() {
        let ns = |m: ObjectMeta| Digester::of(&Object::Namespace(Rc::new(Namespace { meta: m })));
        let mut m2 = meta();
        Rc::make_mut(&mut m2.labels).insert("x".into(), "y".into());
        assert_ne!(ns(meta()), ns(m2));
        let u = Unstructured {
            api_version: "v1".into(),
            kind: "Service".into(),
            meta: meta(),
            namespaced: true,
            body: serde_json::json!({"spec": {"ports": [{"port": 80}], "type": "ClusterIP"}}),
        };
        let rows: Vec<Row<Unstructured>> = vec![
            ("apiVersion", |u| u.api_version = "v2".into()),
            ("kind", |u| u.kind = "ConfigMap".into()),
            ("namespaced", |u| u.namespaced = false),
            ("name", |u| u.meta.name = "b".into()),
            ("body number", |u| u.body["spec"]["ports"][0]["port"] = serde_json::json!(81)),
            ("body number as string", |u| u.body["spec"]["ports"][0]["port"] = serde_json::json!("80")),
            ("body string", |u| u.body["spec"]["type"] = serde_json::json!("NodePort")),
            ("body key added", |u| u.body["spec"]["x"] = serde_json::json!(null)),
            ("body bool", |u| u.body["spec"]["type"] = serde_json::json!(true)),
            ("body array", |u| u.body["spec"]["ports"] = serde_json::json!([])),
        ];
        check(&u, &rows, |u| Digester::of(&Object::Other(Rc::new(u.clone()))));
    }

    #[test]
    fn cached_digest_equals_fresh_digest() {
        // A pod's life as the store writes it: each version shares the
        // parts it did not change; the cache must give what digesting
        // from scratch gives.
        let mut cache = DigestCache::default();
        let v1 = pod();
        let mut versions = vec![v1.clone()];
        let mut v = v1;
        let steps: Vec<fn(&mut Pod)> = vec![
            |p| st(p).phase = PodPhase::Pending,
            |p| spec(p).node_name = Some("node-9".into()),
            |p| p.meta.resource_version += 1,
            |p| Rc::make_mut(&mut p.meta.labels).insert("x".into(), "1".into()).map_or((), |_| ()),
            |p| p.meta.owner_references[0].uid = 99,
            |p| app(p).image = "new".into(),
            |p| cs(p).restart_count += 1,
            |p| p.meta.deletion_timestamp = Some(SimTime(77)),
        ];
        for f in steps {
            let mut next = v.clone();
            f(&mut next);
            versions.push(next.clone());
            v = next;
        }
        let mut old: Option<Object> = None;
        for p in versions {
            let obj = Object::Pod(Rc::new(p));
            assert_eq!(cache.digest(&obj, old.as_ref(), false), Digester::of(&obj));
            old = Some(obj);
        }
        let last = old.unwrap();
        assert_eq!(cache.digest(&last, Some(&last), true), Digester::of(&last));
        assert!(cache.is_empty(), "a deleted object's parts are dropped");
        // Creates sharing one spec (the create-time spec cache), the second
        // with another nodeName.
        let a = pod();
        let mut b = Pod { meta: ObjectMeta { uid: 70, ..a.meta.clone() }, ..a.clone() };
        for p in [&a, &b] {
            let obj = Object::Pod(Rc::new(p.clone()));
            assert_eq!(cache.digest(&obj, None, false), Digester::of(&obj));
        }
        b.meta.uid = 71;
        spec(&mut b).node_name = None;
        let obj = Object::Pod(Rc::new(b));
        assert_eq!(cache.digest(&obj, None, false), Digester::of(&obj));
    }
}
