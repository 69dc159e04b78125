//! Workload traces: `workloads: [{trace: pods.csv}]` creates one bare pod
//! per CSV row (`arrival,name,cpu,memory,duration`; arrival and duration in
//! seconds; cpu and memory as Kubernetes quantities). Each pod requests the
//! given values, runs for `duration` and exits 0, with restartPolicy Never.
//! Rows are kept compact and built into Pods only when they arrive.

#![warn(missing_docs)]

use crate::nodes::images::ANNOTATION_RUN_DURATION;
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::{Container, Pod, PodSpec, PodStatus, PullPolicy, RestartPolicy};
use crate::objects::resources::Resources;
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The image trace pods run (pull time from `images:` if listed there).
pub const TRACE_IMAGE: &str = "kubesim/trace-task:1.0";

/// One row of a workload trace: a bare pod to create at `arrival`.
#[derive(Clone, Debug)]
pub struct WorkloadPod {
    /// When the pod's create leaves the client.
    pub arrival: SimTime,
    /// The pod's name.
    pub name: Rc<str>,
    /// The pod's namespace.
    pub namespace: Rc<str>,
    /// Its container's CPU request, in millicores.
    pub cpu_m: u64,
    /// Its container's memory request, in bytes.
    pub memory: u64,
    /// How long its container runs before it exits 0.
    pub duration: SimDuration,
    /// Shared by the pods with the same requests.
    pub spec: Rc<PodSpec>,
    /// The run-duration annotation, shared by the pods with the same
    /// duration (`Annotations::for_duration`).
    pub annotations: Rc<BTreeMap<String, String>>,
}

/// Builds trace pods' annotations once per distinct duration.
#[derive(Default)]
pub struct Annotations(rustc_hash::FxHashMap<u64, Rc<BTreeMap<String, String>>>);

impl Annotations {
    /// The annotations (`kubesim.io/run-duration`) of a pod that runs for
    /// `d`, shared between such pods.
    pub fn for_duration(&mut self, d: SimDuration) -> Rc<BTreeMap<String, String>> {
        self.0
            .entry(d.0)
            .or_insert_with(|| Rc::new([(ANNOTATION_RUN_DURATION.to_string(), d.to_string())].into_iter().collect()))
            .clone()
    }
}

impl WorkloadPod {
    /// The Pod to create: one container of `TRACE_IMAGE` with the row's
    /// requests, restartPolicy Never, labelled `kubesim.io/workload=trace`.
    pub fn build(&self) -> Pod {
        thread_local! {
            // Every trace pod carries the same labels: share one map.
            static LABELS: Rc<BTreeMap<String, String>> =
                Rc::new([("kubesim.io/workload".to_string(), "trace".to_string())].into_iter().collect());
        }
        let labels = LABELS.with(Rc::clone);
        let spec = if self.spec.containers[0].requests.cpu_m == self.cpu_m
            && self.spec.containers[0].requests.memory == self.memory
        {
            self.spec.clone()
        } else {
            Rc::new(trace_spec(self.cpu_m, self.memory))
        };
        Pod {
            meta: ObjectMeta {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                labels,
                annotations: self.annotations.clone(),
                ..Default::default()
            },
            spec,
            status: PodStatus::initial(),
        }
    }
}

/// The spec of a trace pod with the given requests.
pub fn trace_spec(cpu_m: u64, memory: u64) -> PodSpec {
    let r = Resources { cpu_m, memory, pods: 0 };
    PodSpec {
        containers: Rc::from([Container {
            requests: r,
            limits: r,
            has_cpu_request: true,
            has_memory_request: true,
            ..Container::new("task", TRACE_IMAGE, PullPolicy::IfNotPresent)
        }]),
        restart_policy: RestartPolicy::Never,
        ..PodSpec::default()
    }
}

/// The trace-replay workload peers are measured on (issue 2): `pods` pods
/// with Poisson arrivals of mean gap `mean_gap`, requests drawn from
/// {0.5, 1, 2, 4, 8} CPU with 2 GiB per CPU, durations uniform in
/// 600–14,400 s. Drawn from the `workload/trace-replay` stream of `seed`.
pub fn trace_replay(seed: u64, pods: usize, mean_gap: SimDuration) -> Vec<WorkloadPod> {
    use rand::Rng;
    let mut rng = crate::sim::rng::stream(seed, "workload/trace-replay");
    let cpus_m = [500u64, 1000, 2000, 4000, 8000];
    let specs: Vec<Rc<PodSpec>> = cpus_m.iter().map(|&c| Rc::new(trace_spec(c, c * (2 << 30) / 1000))).collect();
    let mut t: u64 = 0;
    let ns: Rc<str> = "default".into();
    let mut annotations = Annotations::default();
    (0..pods)
        .map(|i| {
            // Exponential gap by inversion, in integer nanoseconds.
            let u: f64 = rng.gen_range(f64::EPSILON..1.0);
            t += (-u.ln() * mean_gap.0 as f64) as u64;
            let k = rng.gen_range(0..cpus_m.len());
            let duration = SimDuration::from_secs(rng.gen_range(600..=14_400));
            WorkloadPod {
                arrival: SimTime(t),
                name: format!("task-{}", i).into(),
                namespace: ns.clone(),
                cpu_m: cpus_m[k],
                memory: cpus_m[k] * (2 << 30) / 1000,
                duration,
                spec: specs[k].clone(),
                annotations: annotations.for_duration(duration),
            }
        })
        .collect()
}

/// The benchmark cluster of issue 2: `nodes` nodes of 64 CPU / 128 GiB with
/// the `trace_replay` workload of `pods` pods installed. Returns the
/// simulation and the instant by which every pod has had time to finish.
pub fn trace_replay_cluster(nodes: usize, pods: usize, seed: u64) -> (crate::simulation::Simulation, SimTime) {
    use crate::objects::resources::Resources;
    let mut sim = crate::simulation::Simulation::with_defaults(crate::config::Config::default(), seed);
    for i in 0..nodes {
        let mut n = crate::scenario::manifest::default_node(ObjectMeta {
            name: format!("node-{}", i + 1).into(),
            ..Default::default()
        });
        let r = Resources { cpu_m: 64_000, memory: 128 << 30, pods: 110 };
        n.status.capacity = r;
        n.status.allocatable = r;
        sim.add_node(Rc::new(n));
    }
    let trace = trace_replay(seed, pods, SimDuration::from_millis(500));
    let end = trace.last().map(|p| p.arrival).unwrap_or_default() + SimDuration::from_secs(14_400 + 60);
    sim.set_workload(trace);
    (sim, end)
}

/// The probe benchmark of issue 3: `nodes` nodes of 32 CPU / 128 GiB,
/// `sets` ReplicaSets of `replicas` pods each, every pod with an HTTP
/// liveness and readiness probe at the default 10 s period, and one node
/// crash every 5 minutes for an hour. The client rate limits are raised so
/// the pods come up in the first minutes rather than the first two hours
/// (at 20 QPS, 150,000 creates take 7,500 s). Returns the simulation and
/// its one-hour horizon.
pub fn probe_envelope_cluster(
    nodes: usize,
    sets: usize,
    replicas: i32,
    seed: u64,
) -> (crate::simulation::Simulation, SimTime) {
    probe_envelope_cluster_with(nodes, sets, replicas, seed, true)
}

/// `probe_envelope_cluster` with every fast path on or off (`fastPaths`):
/// set before the cluster is built, since nodes start their heartbeats as
/// they join.
pub fn probe_envelope_cluster_with(
    nodes: usize,
    sets: usize,
    replicas: i32,
    seed: u64,
    fast_paths: bool,
) -> (crate::simulation::Simulation, SimTime) {
    use crate::objects::probe::{ContainerProbes, Handler, PortRef, Probe};
    use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus};
    use crate::objects::selector::Selector;
    use crate::objects::Object;
    use crate::scenario::action::Action;
    let mut sim = web_cluster(nodes, seed, fast_paths, &["app/web"]);
    let http = Handler::HttpGet { path: "/".into(), port: PortRef::Number(8080), scheme: "HTTP".into() };
    let probes = Rc::new(ContainerProbes {
        liveness: Some(Probe::with_defaults(http.clone())),
        readiness: Some(Probe::with_defaults(http)),
        ..Default::default()
    });
    let mut spec = trace_spec(100, 128 << 20);
    spec.restart_policy = RestartPolicy::Always;
    let mut web = spec.containers[0].clone();
    web.image = "app/web:v1".into();
    web.probes = probes;
    spec.containers = Rc::from([web]);
    let spec = Rc::new(spec);
    for s in 0..sets {
        let name = format!("web-{}", s);
        let labels: BTreeMap<String, String> = [("app".to_string(), name.clone())].into_iter().collect();
        let rs = ReplicaSet {
            kind: ReplicaKind::ReplicaSet,
            meta: ObjectMeta { name: name.as_str().into(), namespace: "default".into(), ..Default::default() },
            spec: ReplicaSetSpec {
                replicas,
                selector: Rc::new(Selector::from_map(&labels)),
                template: Rc::new(PodTemplate {
                    labels: Rc::new(labels),
                    annotations: Default::default(),
                    spec: spec.clone(),
                }),
                min_ready_seconds: 0,
            },
            status: ReplicaSetStatus::default(),
        };
        sim.create_now(Object::ReplicaSet(Rc::new(rs)));
    }
    for k in 1..=12u64 {
        let node = format!("node-{}", (k as usize * 397) % nodes + 1);
        sim.schedule_action(SimTime(SimDuration::from_secs(300 * k).0), Action::CrashNode(node));
    }
    (sim, SimTime(SimDuration::from_secs(3600).0))
}

/// The benchmark clusters' common part: client rate limits raised (at 20
/// QPS, 150,000 creates take 7,500 s), `images` as web servers on port
/// 8080 (pull 2 s, start 1 s), and `nodes` nodes of 32 CPU / 128 GiB.
fn web_cluster(nodes: usize, seed: u64, fast_paths: bool, images: &[&str]) -> crate::simulation::Simulation {
    use crate::nodes::images::{HttpBehavior, ImageBehavior};
    let mut cfg = crate::config::Config {
        kcm_qps: 100_000,
        kcm_burst: 100_000,
        scheduler_qps: 100_000,
        scheduler_burst: 100_000,
        ..Default::default()
    };
    cfg.set_fast_paths(fast_paths);
    let mut sim = crate::simulation::Simulation::with_defaults(cfg, seed);
    for image in images {
        sim.images.images.insert(
            (*image).into(),
            ImageBehavior {
                pull: Some(SimDuration::from_secs(2)),
                start: Some(SimDuration::from_secs(1)),
                http: Some(HttpBehavior {
                    port: 8080,
                    fail_after_requests: None,
                    status: 200,
                    response_time: SimDuration::ZERO,
                }),
                ..Default::default()
            },
        );
    }
    for i in 0..nodes {
        let mut n = crate::scenario::manifest::default_node(ObjectMeta {
            name: format!("node-{}", i + 1).into(),
            ..Default::default()
        });
        let r = Resources { cpu_m: 32_000, memory: 128 << 30, pods: 110 };
        n.status.capacity = r;
        n.status.allocatable = r;
        sim.add_node(Rc::new(n));
    }
    sim
}

/// The rollout benchmark of issue 10: `nodes` nodes of 32 CPU / 128 GiB,
/// `deployments` Deployments of `replicas` pods (`app/web:v1`, an HTTP
/// readiness probe at the default 10 s period, the default RollingUpdate
/// strategy), all rolled out to `app/web:v2` at once at 5 minutes (`kubectl
/// set image`). The client rate limits are raised as in
/// `probe_envelope_cluster`, so the rollout is paced by the controllers and
/// readiness, not by 20 QPS. Returns the simulation and its horizon (20
/// minutes).
pub fn deployment_rollout_cluster(
    nodes: usize,
    deployments: usize,
    replicas: i32,
    seed: u64,
) -> (crate::simulation::Simulation, SimTime) {
    use crate::kinds::deployment::{Deployment, DeploymentSpec, DeploymentStatus};
    use crate::objects::probe::{ContainerProbes, Handler, PortRef, Probe};
    use crate::objects::replicaset::PodTemplate;
    use crate::objects::selector::Selector;
    use crate::objects::Object;
    use crate::scenario::action::{Action, DeploymentChange};
    let mut sim = web_cluster(nodes, seed, true, &["app/web:v1", "app/web:v2"]);
    let http = Handler::HttpGet { path: "/".into(), port: PortRef::Number(8080), scheme: "HTTP".into() };
    let probes = Rc::new(ContainerProbes { readiness: Some(Probe::with_defaults(http)), ..Default::default() });
    let mut spec = trace_spec(100, 128 << 20);
    spec.restart_policy = RestartPolicy::Always;
    let mut web = spec.containers[0].clone();
    web.image = "app/web:v1".into();
    web.probes = probes;
    spec.containers = Rc::from([web]);
    let spec = Rc::new(spec);
    for d in 0..deployments {
        let name = format!("web-{}", d);
        let labels: BTreeMap<String, String> = [("app".to_string(), name.clone())].into_iter().collect();
        let template =
            PodTemplate { labels: Rc::new(labels.clone()), annotations: Default::default(), spec: spec.clone() };
        let dep = Deployment {
            meta: ObjectMeta { name: name.as_str().into(), namespace: "default".into(), ..Default::default() },
            spec: DeploymentSpec::new(replicas, Selector::from_map(&labels), template),
            status: DeploymentStatus::default(),
        };
        sim.create_now(Object::Typed(Rc::new(dep)));
        sim.schedule_action(
            SimTime(SimDuration::from_secs(300).0),
            Action::Deployment {
                namespace: "default".into(),
                name,
                change: DeploymentChange::SetImage(vec![("*".into(), "app/web:v2".into())]),
            },
        );
    }
    (sim, SimTime(SimDuration::from_secs(1200).0))
}

/// The batch benchmark: `nodes` nodes of 32 CPU / 128 GiB and `jobs` Jobs
/// of `completions` pods, `parallelism` at a time, created at once; each
/// pod (`app/batch:v1`, 100m CPU) runs 30 s and exits 0. Client rate
/// limits are raised as in `probe_envelope_cluster`, so the Jobs are paced
/// by their pods and the Job controller's 1 s batching. Returns the
/// simulation and its horizon: the waves of `parallelism` pods, 40 s
/// each, and 5 minutes more.
pub fn batch_jobs_cluster(
    nodes: usize,
    jobs: usize,
    completions: i32,
    parallelism: i32,
    seed: u64,
) -> (crate::simulation::Simulation, SimTime) {
    use crate::kinds::job::{Job, JobSpec};
    use crate::nodes::images::ImageBehavior;
    use crate::objects::replicaset::PodTemplate;
    use crate::objects::Object;
    let mut sim = web_cluster(nodes, seed, true, &[]);
    sim.images.images.insert(
        "app/batch:v1".into(),
        ImageBehavior {
            pull: Some(SimDuration::from_secs(2)),
            start: Some(SimDuration::from_secs(1)),
            exit_after: Some(SimDuration::from_secs(30)),
            exit_code: 0,
            ..Default::default()
        },
    );
    let mut spec = trace_spec(100, 128 << 20);
    spec.restart_policy = RestartPolicy::Never;
    let mut c = spec.containers[0].clone();
    c.image = "app/batch:v1".into();
    spec.containers = Rc::from([c]);
    let spec = Rc::new(spec);
    for j in 0..jobs {
        let name = format!("batch-{}", j);
        let template = PodTemplate { labels: Default::default(), annotations: Default::default(), spec: spec.clone() };
        let job = Job {
            meta: ObjectMeta { name: name.as_str().into(), namespace: "default".into(), ..Default::default() },
            spec: JobSpec { parallelism, completions: Some(completions), ..JobSpec::new(template) },
            status: Default::default(),
        };
        sim.create_now(Object::Typed(Rc::new(job)));
    }
    let waves = (completions + parallelism.max(1) - 1) / parallelism.max(1);
    (sim, SimTime(SimDuration::from_secs(waves.max(0) as u64 * 40 + 300).0))
}

/// The traffic benchmark of issue 9: `nodes` nodes of 32 CPU / 128 GiB,
/// `services` ReplicaSets of `pods_per_service` pods (`bench/web`, an HTTP
/// server on 8080 that answers in 1 ms; no probes), each behind a NodePort
/// Service `svc-i` (port 80 → 8080) selecting `app: svc-i`. From 2
/// minutes, when every pod has long been Ready and every kube-proxy has
/// synced, outside clients send `rate_per_sec` requests per second in all,
/// spread evenly over the Services (one Poisson source `load-i` per
/// Service, 20 client IPs, a new connection per request, through a random
/// node's node port), for `minutes` minutes. Client rate limits are raised
/// as in `probe_envelope_cluster`. Returns the simulation and its horizon:
/// the load's end and a timeout (10 s) more, so every request's outcome
/// is known.
pub fn traffic_cluster(
    nodes: usize,
    services: usize,
    pods_per_service: i32,
    rate_per_sec: f64,
    minutes: u64,
    seed: u64,
) -> (crate::simulation::Simulation, SimTime) {
    use crate::kinds::service::{Service, ServicePort, ServiceSpec, ServiceType};
    use crate::objects::probe::PortRef;
    use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet, ReplicaSetSpec, ReplicaSetStatus};
    use crate::objects::selector::Selector;
    use crate::objects::Object;
    use crate::proxy::{Entry, PortSel};
    use crate::scenario::action::Action;
    use crate::traffic::spec::{Arrivals, From as Client, TrafficSpec, DEFAULT_TIMEOUT};
    const IMAGE: &str = "bench/web:v1";
    let mut sim = web_cluster(nodes, seed, true, &[IMAGE]);
    // The web app answers in 1 ms.
    if let Some(h) = sim.images.images.get_mut(IMAGE).and_then(|b| b.http.as_mut()) {
        h.response_time = SimDuration::from_millis(1);
    }
    let mut spec = trace_spec(100, 128 << 20);
    spec.restart_policy = RestartPolicy::Always;
    let mut web = spec.containers[0].clone();
    web.image = IMAGE.into();
    spec.containers = Rc::from([web]);
    let spec = Rc::new(spec);
    let start = SimTime(SimDuration::from_secs(120).0);
    let duration = SimDuration::from_secs(60 * minutes);
    let per_service = rate_per_sec / services.max(1) as f64;
    for s in 0..services {
        let app = format!("svc-{}", s);
        let labels: BTreeMap<String, String> = [("app".to_string(), app.clone())].into_iter().collect();
        let meta = || ObjectMeta { name: app.as_str().into(), namespace: "default".into(), ..Default::default() };
        let rs = ReplicaSet {
            kind: ReplicaKind::ReplicaSet,
            meta: meta(),
            spec: ReplicaSetSpec {
                replicas: pods_per_service,
                selector: Rc::new(Selector::from_map(&labels)),
                template: Rc::new(PodTemplate {
                    labels: Rc::new(labels.clone()),
                    annotations: Default::default(),
                    spec: spec.clone(),
                }),
                min_ready_seconds: 0,
            },
            status: ReplicaSetStatus::default(),
        };
        sim.create_now(Object::ReplicaSet(Rc::new(rs)));
        let port = ServicePort {
            name: None,
            protocol: "TCP".into(),
            port: 80,
            target_port: PortRef::Number(8080),
            node_port: None,
        };
        let svc = Service {
            meta: meta(),
            spec: ServiceSpec::new(ServiceType::NodePort, Some(labels), vec![port]),
            load_balancer_ingress: Vec::new(),
        };
        sim.create_now(Object::Typed(Rc::new(svc)));
        let load = TrafficSpec {
            name: format!("load-{}", s),
            entry: Entry::NodePort,
            service: app.clone(),
            dns: false,
            port: PortSel::First,
            namespace: "default".into(),
            from: Client::Outside,
            arrivals: Arrivals::Poisson(per_service),
            duration,
            keep_alive: None,
            clients: 20,
            via: Vec::new(),
            path: "/".into(),
            timeout: DEFAULT_TIMEOUT,
        };
        sim.schedule_action(start, Action::Traffic(Rc::new(load)));
    }
    (sim, start + duration + DEFAULT_TIMEOUT + SimDuration::from_secs(1))
}
