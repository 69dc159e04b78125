//! A generator of random scenarios in the spirit of swarm testing
//! (Groce et al., "Swarm Testing", ISSTA 2012): each case first draws which
//! features it uses, then draws the cluster, workloads and timeline from
//! those features only, so that rare interactions (a side-effect exec probe
//! during a drain of a tainted node) come up far more often than in cases
//! that mix every feature a little.
//!
//! A case is rendered as scenario YAML, the same text a user writes, so a
//! failing case is replayed with `kubesim run` as is. kubesim's own
//! differential test runs these cases with every fast path on and off;
//! users draw clusters and workloads from them for their own properties
//! (`strategy`, or `scenario(n, …)` in a loop), adding their controllers
//! with `scenario_with`. Everything is drawn
//! from a ChaCha stream seeded by the case number: case N is the same case
//! on every machine.
//!
//! Features a case may enable (each with probability 1/2):
//! - probes: liveness, readiness and startup probes of every handler
//!   (`httpGet`, `tcpSocket`, `exec` with side effects such as `rm -f
//!   /tmp/ready`), random delays, periods, timeouts and thresholds;
//! - flaky apps: `failAfterRequests`, `listenAfter`, slow responses, apps
//!   that exit on their own (crash loops), memory growth to an OOM kill;
//! - init containers, some failing;
//! - termination: preStop hooks (`sleep`, `exec`) and every `sigterm`
//!   behaviour, short and long grace periods, deletions;
//! - scheduling: zero-request pods, pods bound with `nodeName` that
//!   over-commit their node, tainted nodes (every effect) with and without
//!   tolerations, cordoned nodes, node selectors, tolerations added to a
//!   bare pod by a timeline `apply:` (the one update of a pending pod's
//!   spec the apiserver accepts that the scheduler reads), GPUs as an
//!   extended resource on some nodes and requested by some containers;
//! - Services in front of half the workloads (numbered or named target
//!   ports, some publishing not-ready addresses): their Endpoints follow
//!   readiness; clients on node-1 send most of them traffic (whose every
//!   outcome is in the trace hash);
//! - node faults: crashes, restarts, partitions and heals, added and
//!   deleted nodes, cordon/uncordon/drain, the out-of-service taint, and
//!   crashes of the built-ins that run as components (PodGC, taint
//!   eviction);
//! - container faults and commands: hang, crash, OOM, signals, `exec`;
//! - containers' commands run by the simulated shell: scripts that write
//!   the files exec probes read, loops, `trap` on SIGTERM, exits, a
//!   sidecar with a script of its own, a command the shell does not know
//!   (drawn from a stream of their own, so other cases stay as they were);
//! - kubectl: scale, delete by selector (`delete pod -l`, `delete all -l`),
//!   label (by name, `-l`; out of the selector and back, for releases and
//!   adoptions).
//! - `minReadySeconds` on a quarter of the replicated workloads.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;

use proptest::strategy::{BoxedStrategy, Strategy};

/// Which features a case uses.
#[derive(Clone, Copy, Debug)]
pub struct Features {
    /// Liveness, readiness and startup probes of every handler.
    pub probes: bool,
    /// Apps that fail, listen late, answer slowly, exit or grow to an OOM.
    pub flaky_apps: bool,
    /// Init containers, some failing.
    pub init_containers: bool,
    /// preStop hooks, SIGTERM behaviours, grace periods, deletions.
    pub termination: bool,
    /// Zero requests, over-commit by `nodeName`, taints, cordons, selectors.
    pub scheduling: bool,
    /// Crashes, restarts, partitions, heals, added nodes, drains.
    pub node_faults: bool,
    /// Hangs, crashes, OOM kills, signals, `exec`.
    pub container_faults: bool,
    /// `kubectl scale`, `delete -l`, `delete all -l`, `label` (by name,
    /// `-l`).
    pub kubectl: bool,
}

struct Gen {
    rng: ChaCha8Rng,
    /// Containers' commands (`command`): their own stream.
    cmd_rng: Option<ChaCha8Rng>,
    f: Features,
    nodes: usize,
    workloads: Vec<Workload>,
    /// Client traffic to the Services: its own stream, so the rest of a
    /// case is what it was before traffic existed.
    traffic_rng: ChaCha8Rng,
    /// The timeline's `traffic:` entries.
    traffic: Vec<String>,
}

struct Workload {
    name: String,
    kind: &'static str,
    replicas: u32,
    /// A bare pod's manifest as last applied, and how many tolerations
    /// the timeline has added to it.
    manifest: Option<String>,
    added: usize,
}

/// The tolerations the timeline adds to a bare pod, in turn (drawn from
/// no stream: a case that never adds one draws what it drew before).
const ADDED_TOLERATIONS: [&str; 3] = [
    "{key: dedicated, operator: Exists, effect: NoSchedule}",
    "{key: gpu, operator: Equal, value: x}",
    "{key: dedicated, operator: Exists, effect: NoExecute, tolerationSeconds: 20}",
];

/// The scenario text of case `n` with the built-in controllers and
/// `controllers` (names under `cluster.controllers`, after `*`).
pub fn scenario_with(n: u64, config: &str, controllers: &[&str]) -> String {
    let text = scenario(n, config);
    if controllers.is_empty() {
        return text;
    }
    let list: Vec<String> = std::iter::once("\"*\"".to_string())
        .chain(controllers.iter().map(|c| serde_json::to_string(c).unwrap_or_default()))
        .collect();
    text.replacen("cluster:\n", &format!("cluster:\n  controllers: [{}]\n", list.join(", ")), 1)
}

/// Cases as a proptest strategy (case numbers; a failure shrinks toward
/// smaller numbers, which are other cases, not simpler ones: shrink the
/// faults with `FaultSpace` instead).
pub fn strategy(config: &str, controllers: &[&str]) -> BoxedStrategy<(u64, String)> {
    let config = config.to_string();
    let controllers: Vec<String> = controllers.iter().map(|c| c.to_string()).collect();
    (0u64..1_000_000_000)
        .prop_map(move |n| {
            let names: Vec<&str> = controllers.iter().map(String::as_str).collect();
            (n, scenario_with(n, &config, &names))
        })
        .boxed()
}

/// The scenario text of case `n`, with `config` written under
/// `cluster.config` (e.g. `fastPaths: 0`).
pub fn scenario(n: u64, config: &str) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(n ^ 0x5157_4152_4d00_0000);
    let f = Features {
        probes: rng.gen(),
        flaky_apps: rng.gen(),
        init_containers: rng.gen(),
        termination: rng.gen(),
        scheduling: rng.gen(),
        node_faults: rng.gen(),
        container_faults: rng.gen(),
        kubectl: rng.gen(),
    };
    let mut cmd_rng = ChaCha8Rng::seed_from_u64(n ^ 0x5348_454c_4c00_0000);
    let cmd_rng = cmd_rng.gen_bool(0.5).then_some(cmd_rng);
    let traffic_rng = ChaCha8Rng::seed_from_u64(n ^ 0x5452_4146_4600_0000);
    let mut g = Gen { rng, cmd_rng, f, nodes: 0, workloads: Vec::new(), traffic_rng, traffic: Vec::new() };
    g.render(n, config)
}

/// The built-ins that run as components, which `crashController` can
/// take down (by kube-controller-manager's short names, and the default
/// scheduler's).
const CRASHABLE_BUILTINS: &[&str] = &[
    "default-scheduler",
    "podgc",
    "taint-eviction-controller",
    "garbagecollector",
    "endpoint",
    "endpointslice",
    "job",
    "daemonset",
    "deployment",
    "cronjob",
    "ttl-after-finished",
    "nodelifecycle",
    "replicaset",
    "replicationcontroller",
];

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.gen_range(0..xs.len())]
    }

    fn render(&mut self, n: u64, config: &str) -> String {
        let mut s = String::new();
        let minutes = self.rng.gen_range(3..=12);
        let _ = writeln!(s, "name: swarm case {}\n# features: {:?}\nseed: {}\nduration: {}m", n, self.f, n, minutes);
        s.push_str("cluster:\n  nodes:\n");
        self.nodes = self.rng.gen_range(1..=5);
        for i in 1..=self.nodes {
            self.node(&mut s, i);
        }
        let _ = writeln!(s, "  config: {{{}}}", config);
        let n_work = self.rng.gen_range(1..=4);
        let mut images = String::from("images:\n");
        let mut objects = String::from("objects:\n");
        for w in 0..n_work {
            self.workload(&mut images, &mut objects, w);
        }
        s.push_str(&images);
        s.push_str(&objects);
        let mut timeline = self.timeline(minutes);
        for t in std::mem::take(&mut self.traffic) {
            timeline.push_str(&t);
            timeline.push('\n');
        }
        if !timeline.is_empty() {
            s.push_str("timeline:\n");
            s.push_str(&timeline);
        }
        s
    }

    fn node(&mut self, s: &mut String, i: usize) {
        let cpu = self.pick(&["1", "2", "4", "500m"]);
        let mem = self.pick(&["1Gi", "2Gi", "4Gi", "8Gi"]);
        let pods = self.pick(&[3, 10, 110]);
        // Some nodes have GPUs, as an extended resource.
        let gpus = if self.f.scheduling && self.chance(0.3) {
            format!(", example.com/gpu: {}", self.rng.gen_range(0..3))
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "    - name: node-{}\n      capacity: {{cpu: \"{}\", memory: {}, pods: {}{}}}",
            i, cpu, mem, pods, gpus
        );
        let zone = self.pick(&["a", "b"]);
        let _ = writeln!(
            s,
            "      labels: {{topology.kubernetes.io/zone: {}, disk: {}}}",
            zone,
            self.pick(&["ssd", "hdd"])
        );
        if self.f.scheduling && self.chance(0.4) {
            let effect = self.pick(&["NoSchedule", "PreferNoSchedule", "NoExecute"]);
            let key = self.pick(&["dedicated", "gpu"]);
            let _ = writeln!(s, "      taints: [{{key: {}, value: x, effect: {}}}]", key, effect);
        }
        if self.f.scheduling && self.chance(0.2) {
            s.push_str("      unschedulable: true\n");
        }
    }

    fn workload(&mut self, images: &mut String, objects: &mut String, w: usize) {
        let name = format!("w{}", w);
        let image = format!("app/w{}", w);
        // The image's behaviour.
        let mut b = vec![
            format!("pull: {}ms", self.rng.gen_range(0..3000)),
            format!("start: {}ms", self.rng.gen_range(0..1500)),
        ];
        if self.f.probes || self.chance(0.5) {
            let mut http = String::from("port: 8080");
            if self.f.flaky_apps && self.chance(0.4) {
                let _ = write!(http, ", failAfterRequests: {}", self.rng.gen_range(1..30));
            }
            if self.f.flaky_apps && self.chance(0.3) {
                let _ = write!(http, ", responseTime: {}ms", self.pick(&[10, 500, 1500, 4000]));
            }
            if self.f.flaky_apps && self.chance(0.2) {
                let _ = write!(http, ", status: {}", self.pick(&[200, 302, 500, 503]));
            }
            b.push(format!("http: {{{}}}", http));
        }
        if self.chance(0.3) {
            b.push("tcp: {port: 9000}".into());
        }
        if self.f.flaky_apps && self.chance(0.4) {
            b.push(format!("listenAfter: {}s", self.rng.gen_range(1..40)));
        }
        if self.f.flaky_apps && self.chance(0.3) {
            b.push(format!("exitAfter: {}s", self.rng.gen_range(5..200)));
            b.push(format!("exitCode: {}", self.pick(&[0, 1, 2])));
        }
        if self.f.flaky_apps && self.chance(0.2) {
            b.push(format!("memory: {{start: 50Mi, perSecond: {}Mi}}", self.rng.gen_range(1..5)));
        }
        if self.f.termination {
            let sig = self.pick(&["exit", "ignore", "exitAfter 3s", "exitAfter 40s"]);
            b.push(format!("sigterm: {}", sig));
        }
        if self.chance(0.5) {
            b.push("files: [/tmp/ready, /tmp/healthy]".into());
        }
        let _ = writeln!(images, "  {}: {{{}}}", image, b.join(", "));

        // The pod template.
        let replicas = self.rng.gen_range(1..=5);
        let kind = if self.f.scheduling && self.chance(0.25) {
            "Pod"
        } else {
            self.pick(&["ReplicationController", "ReplicaSet", "Deployment", "DaemonSet", "Job", "CronJob"])
        };
        let mut spec = String::new();
        let ind = match kind {
            "Pod" => "      ",
            "CronJob" => "              ",
            _ => "          ",
        };
        let restart = match kind {
            "Pod" => self.pick(&["Always", "OnFailure", "Never"]),
            "Job" | "CronJob" => self.pick(&["OnFailure", "Never"]),
            _ => "Always",
        };
        let _ = writeln!(spec, "{}restartPolicy: {}", ind, restart);
        if self.f.termination && self.chance(0.6) {
            let _ = writeln!(spec, "{}terminationGracePeriodSeconds: {}", ind, self.pick(&[0, 1, 5, 30, 60]));
        }
        if self.f.scheduling && self.chance(0.5) {
            let _ = writeln!(
                spec,
                "{}tolerations: [{{key: {}, operator: Exists{}}}]",
                ind,
                self.pick(&["dedicated", "gpu"]),
                if self.chance(0.5) { ", effect: NoExecute, tolerationSeconds: 30" } else { "" }
            );
        }
        if self.f.scheduling && self.chance(0.2) {
            let _ = writeln!(spec, "{}nodeSelector: {{disk: {}}}", ind, self.pick(&["ssd", "hdd"]));
        }
        if kind == "Pod" && self.f.scheduling && self.chance(0.6) {
            let _ = writeln!(spec, "{}nodeName: node-{}", ind, self.rng.gen_range(1..=self.nodes));
        }
        if self.f.init_containers && self.chance(0.5) {
            let _ = writeln!(spec, "{}initContainers:", ind);
            for i in 0..self.rng.gen_range(1..=2) {
                let init_image = format!("app/w{}-init{}", w, i);
                let code = if self.chance(0.25) { 1 } else { 0 };
                let _ = writeln!(
                    images,
                    "  {}: {{pull: {}ms, exitAfter: {}s, exitCode: {}}}",
                    init_image,
                    self.rng.gen_range(0..2000),
                    self.rng.gen_range(1..15),
                    code
                );
                let _ = writeln!(spec, "{}- {{name: init{}, image: {}}}", ind, i, init_image);
            }
        }
        let _ = writeln!(spec, "{}containers:", ind);
        let _ = writeln!(spec, "{}- name: app", ind);
        let c = format!("{}  ", ind);
        let _ = writeln!(spec, "{}image: {}", c, image);
        if self.chance(0.5) {
            // A named port, for the Services' named target ports.
            let _ = writeln!(spec, "{}ports: [{{name: http, containerPort: 8080}}]", c);
        }
        let sidecar = self.command(&mut spec, &c);
        let mem = self.pick(&[64, 128, 512, 1024]);
        let requests = if self.f.scheduling && self.chance(0.3) {
            String::new()
        } else {
            format!("cpu: {}m, memory: {}Mi", self.pick(&[50, 100, 250, 500, 1000]), mem)
        };
        // A memory limit is at least the request (the apiserver's rule);
        // a GPU limit is the request too (extended resources cannot be
        // overcommitted).
        let mut limits = Vec::new();
        if self.chance(0.3) {
            limits.push(format!("memory: {}Mi", mem * self.pick(&[1, 2, 4])));
        }
        if self.f.scheduling && self.chance(0.15) {
            limits.push("example.com/gpu: 1".to_string());
        }
        let limit = if limits.is_empty() { String::new() } else { format!(", limits: {{{}}}", limits.join(", ")) };
        let _ = writeln!(spec, "{}resources: {{requests: {{{}}}{}}}", c, requests, limit);
        if self.f.probes {
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                if self.chance(0.55) {
                    let p = self.probe(probe);
                    let _ = writeln!(spec, "{}{}: {}", c, probe, p);
                }
            }
        }
        if self.f.termination && self.chance(0.5) {
            let hook = match self.rng.gen_range(0..3) {
                0 => format!("sleep: {{seconds: {}}}", self.pick(&[1, 5, 20])),
                1 => "exec: {command: [rm, -f, /tmp/ready]}".to_string(),
                _ => "httpGet: {path: /shutdown, port: 8080}".to_string(),
            };
            let _ = writeln!(spec, "{}lifecycle: {{preStop: {{{}}}}}", c, hook);
        }
        if let Some(side) = sidecar {
            let _ = writeln!(spec, "{}- name: side", ind);
            let _ = writeln!(spec, "{}image: {}", c, image);
            let _ = writeln!(spec, "{}command: {}", c, side);
        }
        let mut manifest = None;
        match kind {
            "Pod" => {
                let obj = format!(
                    "  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: {}, labels: {{app: {}}}}}\n    spec:\n{}",
                    name, name, spec
                );
                let _ = writeln!(objects, "{}", obj);
                manifest = Some(obj);
            }
            "Job" => {
                // A run-to-completion workload: its pods succeed or fail
                // by their images and commands, and by the faults.
                let _ = writeln!(
                    objects,
                    "  - apiVersion: batch/v1\n    kind: Job\n    metadata: {{name: {}}}\n    spec:\n      completions: {}\n      parallelism: {}\n      backoffLimit: {}\n      template:\n        metadata: {{labels: {{app: {}}}}}\n        spec:\n{}",
                    name,
                    replicas,
                    self.rng.gen_range(1..=replicas),
                    self.pick(&[0, 2, 6]),
                    name,
                    spec
                );
            }
            "CronJob" => {
                let _ = writeln!(
                    objects,
                    "  - apiVersion: batch/v1\n    kind: CronJob\n    metadata: {{name: {}}}\n    spec:\n      schedule: \"{}\"\n      concurrencyPolicy: {}\n      jobTemplate:\n        spec:\n          completions: {}\n          template:\n            metadata: {{labels: {{app: {}}}}}\n            spec:\n{}",
                    name,
                    self.pick(&["*/1 * * * *", "*/2 * * * *", "@every 90s"]),
                    self.pick(&["Allow", "Forbid", "Replace"]),
                    replicas,
                    name,
                    spec
                );
            }
            k => {
                let api = if k == "ReplicationController" { "v1" } else { "apps/v1" };
                let sel = if k == "ReplicationController" {
                    format!("{{app: {}}}", name)
                } else {
                    format!("{{matchLabels: {{app: {}}}}}", name)
                };
                // A DaemonSet has no replicas: one pod a node.
                let mut replicas_line =
                    if k == "DaemonSet" { String::new() } else { format!("      replicas: {}\n", replicas) };
                if self.chance(0.25) {
                    let _ = writeln!(replicas_line, "      minReadySeconds: {}", self.pick(&[1, 5, 30]));
                }
                let _ = writeln!(
                    objects,
                    "  - apiVersion: {}\n    kind: {}\n    metadata: {{name: {}}}\n    spec:\n{}      selector: {}\n      template:\n        metadata: {{labels: {{app: {}}}}}\n        spec:\n{}",
                    api, k, name, replicas_line, sel, name, spec
                );
            }
        }
        // Half the workloads have a Service in front: the endpoints
        // controller follows their pods' readiness.
        if self.chance(0.5) {
            let target = self.pick(&["8080", "http"]);
            let publish = self.chance(0.2);
            let _ = writeln!(
                objects,
                "  - apiVersion: v1\n    kind: Service\n    metadata: {{name: svc-{}}}\n    spec: {{selector: {{app: {}}}, ports: [{{port: 80, targetPort: {}}}], publishNotReadyAddresses: {}}}",
                name, name, target, publish
            );
            // Clients on node-1 send to most of them: new connections or
            // kept-alive ones, at a steady pace or in Poisson arrivals.
            let t = &mut self.traffic_rng;
            if t.gen_bool(0.6) {
                let start = t.gen_range(5..120);
                let pace = if t.gen_bool(0.5) {
                    format!("every: {}ms", t.gen_range(20..400))
                } else {
                    format!("rate: {}/s", t.gen_range(2..40))
                };
                let conns = if t.gen_bool(0.3) {
                    format!(", connections: {{keepAlive: {}}}", t.gen_range(1..3))
                } else {
                    String::new()
                };
                let timeout = if t.gen_bool(0.5) { "1s" } else { "10s" };
                self.traffic.push(format!(
                    "  - at: {}s\n    traffic: {{name: t-{}, to: svc/svc-{}, from: node/node-1, {}, duration: {}s{}, timeout: {}}}",
                    start,
                    name,
                    name,
                    pace,
                    t.gen_range(30..300),
                    conns,
                    timeout
                ));
            }
        }
        self.workloads.push(Workload { name, kind, replicas, manifest, added: 0 });
    }

    /// Maybe a `command:` for the app container (written into `spec`),
    /// and maybe a sidecar's command.
    fn command(&mut self, spec: &mut String, c: &str) -> Option<String> {
        const SCRIPTS: [&str; 9] = [
            "[sh, -c, \"touch /tmp/healthy; sleep {a}; rm -f /tmp/healthy; sleep {b}\"]",
            "[sh, -c, \"while true; do touch /tmp/ready; sleep {a}; rm -f /tmp/ready; sleep {b}; done\"]",
            "[sh, -c, \"trap 'exit 0' TERM; while true; do echo tick; date; sleep {a}; done\"]",
            "[/bin/sh, -c, \"echo starting && sleep {a} && exit {code}\"]",
            "[sh, -c, \"sleep {a}; test -e /tmp/ready || exit {code}; sleep {b}\"]",
            "[sleep, \"{b}\"]",
            "[sh, -c, \"trap 'rm -f /tmp/ready; sleep 2; exit 0' TERM; touch /tmp/ready; while true; do sleep {a}; done\"]",
            "[sh, -c, \"until test -e /tmp/ready; do sleep {a}; done; echo ready; sleep infinity\"]",
            "[node, app.js]",
        ];
        let r = self.cmd_rng.as_mut()?;
        let pick = |r: &mut ChaCha8Rng| {
            SCRIPTS[r.gen_range(0..SCRIPTS.len())]
                .replace("{a}", &r.gen_range(1..40).to_string())
                .replace("{b}", &r.gen_range(1..300).to_string())
                .replace("{code}", &r.gen_range(0..3).to_string())
        };
        if r.gen_bool(0.6) {
            let _ = writeln!(spec, "{}command: {}", c, pick(r));
        }
        r.gen_bool(0.3).then(|| pick(r))
    }

    fn probe(&mut self, which: &str) -> String {
        let handler = match self.rng.gen_range(0..4) {
            0 => "httpGet: {path: /, port: 8080}".to_string(),
            1 => format!("tcpSocket: {{port: {}}}", self.pick(&[8080, 9000])),
            _ => {
                let cmd = self.pick(&[
                    "[ls, /tmp/ready]",
                    "[cat, /tmp/healthy]",
                    "[rm, -f, /tmp/ready]",
                    "[touch, /tmp/ready]",
                    "[sh, -c, \"test -e /tmp/healthy\"]",
                    "[\"true\"]",
                    "[\"false\"]",
                    "[sleep, \"3\"]",
                ]);
                format!("exec: {{command: {}}}", cmd)
            }
        };
        let success = if which == "readinessProbe" { self.rng.gen_range(1..=3) } else { 1 };
        format!(
            "{{{}, initialDelaySeconds: {}, periodSeconds: {}, timeoutSeconds: {}, successThreshold: {}, failureThreshold: {}}}",
            handler,
            self.pick(&[0, 0, 3, 10, 25]),
            self.pick(&[1, 2, 3, 5, 10, 15]),
            self.pick(&[1, 1, 2, 5]),
            success,
            self.rng.gen_range(1..=4)
        )
    }

    fn timeline(&mut self, minutes: u32) -> String {
        let mut t = String::new();
        let n = self.rng.gen_range(0..=8);
        for _ in 0..n {
            // Whole and odd instants: on probe grids and between them.
            let at_ms = self.rng.gen_range(1..minutes as u64 * 60) * 1000 + self.pick(&[0, 0, 5, 15, 500]);
            let Some(entry) = self.action() else { continue };
            let _ = writeln!(t, "  - at: {}ms\n    {}", at_ms, entry);
        }
        t
    }

    fn action(&mut self) -> Option<String> {
        let node = self.rng.gen_range(1..=self.nodes);
        let w = self.rng.gen_range(0..self.workloads.len());
        let (wname, wkind, replicas) = {
            let x = &self.workloads[w];
            (x.name.clone(), x.kind, x.replicas)
        };
        let target = format!("{{selector: app={}, index: {}", wname, self.rng.gen_range(0..replicas.max(1)));
        let choice = self.rng.gen_range(0..8);
        Some(match choice {
            0 if self.f.node_faults => {
                let verb = if self.rng.gen() { "crashNode" } else { "partitionNode" };
                format!("{}: node-{}", verb, node)
            }
            1 if self.f.node_faults => {
                let verb = if self.rng.gen() { "restartNode" } else { "healNode" };
                format!("{}: node-{}", verb, node)
            }
            2 if self.f.node_faults => match self.rng.gen_range(0..8) {
                0 => format!("kubectl: cordon node-{}", node),
                1 => format!("kubectl: uncordon node-{}", node),
                2 => format!("kubectl: drain node-{} --force --grace-period={}", node, self.pick(&[1, 5, 30])),
                // Orphans for PodGC (and a non-graceful shutdown's taint),
                // and the built-ins that run as components crashed.
                3 => format!("delete: {{kind: Node, name: node-{}}}", node),
                4 => format!(
                    "kubectl: taint nodes node-{} node.kubernetes.io/out-of-service=nodeshutdown:NoExecute --overwrite",
                    node
                ),
                // (Twice as likely as the others: one of many names.)
                5 | 6 => format!(
                    "crashController: {{name: {}, restartAfter: {}s}}",
                    self.pick(CRASHABLE_BUILTINS),
                    self.pick(&[1, 10, 45])
                ),
                _ => {
                    self.nodes += 1;
                    format!("addNode: {{name: node-{}, capacity: {{cpu: \"2\", memory: 4Gi}}}}", self.nodes)
                }
            },
            3 | 4 if self.f.container_faults => match self.rng.gen_range(0..5) {
                0 => format!("hangContainer: {}}}", target),
                1 => format!("crashContainer: {}, exitCode: {}}}", target, self.pick(&[0, 1, 137])),
                2 => format!("oomContainer: {}}}", target),
                3 => format!("killContainer: {}, signal: {}}}", target, self.pick(&["TERM", "KILL", "INT"])),
                _ => format!("exec: {}, command: [{}, /tmp/ready]}}", target, self.pick(&["rm", "touch"])),
            },
            5 | 6 if self.f.kubectl => match (self.rng.gen_range(0..4), wkind) {
                (0, "ReplicationController") => {
                    format!("kubectl: scale rc {} --replicas={}", wname, self.rng.gen_range(0..7))
                }
                (0, "ReplicaSet") => format!("kubectl: scale rs {} --replicas={}", wname, self.rng.gen_range(0..7)),
                (0, "Deployment") => match self.rng.gen_range(0..3) {
                    0 => format!("kubectl: scale deployment {} --replicas={}", wname, self.rng.gen_range(0..7)),
                    1 => format!("kubectl: rollout restart deployment/{}", wname),
                    _ => format!("kubectl: rollout undo deployment/{}", wname),
                },
                (1, _) => match self.rng.gen_range(0..6) {
                    0 => format!("kubectl: label pods -l app={} tier=y --overwrite", wname),
                    1 => format!("kubectl: delete all -l app={} --grace-period={}", wname, self.pick(&[0, 1, 10, 30])),
                    // Out of the selector (the owner releases them and
                    // makes others), and back (orphans it adopts).
                    4 => format!("kubectl: label pods -l app={} app={}-out --overwrite", wname, wname),
                    5 => format!("kubectl: label pods -l app={}-out app={} --overwrite", wname, wname),
                    _ => format!("kubectl: delete pod -l app={} --grace-period={}", wname, self.pick(&[0, 1, 10, 30])),
                },
                (2, k) => {
                    let word = match k {
                        "ReplicaSet" => "rs",
                        "ReplicationController" => "rc",
                        "Deployment" | "DaemonSet" => {
                            return Some(format!("kubectl: label pods -l app={} tier=x --overwrite", wname))
                        }
                        _ => "pod",
                    };
                    format!("kubectl: label {} {} tier=x --overwrite", word, wname)
                }
                // By name: bare pods only (a replica's name is generated),
                // so for a replica this is a refused command, also a case.
                _ => format!("kubectl: exec {} -- {} /tmp/healthy", wname, self.pick(&["rm", "touch"])),
            },
            7 if self.f.termination => format!("kubectl: delete pod -l app={}", wname),
            _ if self.f.scheduling && wkind == "Pod" => return self.add_toleration(w),
            _ => return None,
        })
    }

    /// A timeline `apply:` of bare pod `w`'s manifest with one more
    /// toleration: pending, it changes where the pod may go.
    fn add_toleration(&mut self, w: usize) -> Option<String> {
        let x = &mut self.workloads[w];
        let manifest = x.manifest.as_mut()?;
        let new = ADDED_TOLERATIONS[x.added % ADDED_TOLERATIONS.len()];
        x.added += 1;
        let prefix = "      tolerations: [";
        let mut lines: Vec<String> = manifest.lines().map(str::to_string).collect();
        match lines.iter_mut().find(|l| l.starts_with(prefix)) {
            Some(l) => {
                l.pop(); // the closing `]`
                let _ = write!(l, ", {}]", new);
            }
            None => {
                let at = lines.iter().position(|l| l == "    spec:")? + 1;
                lines.insert(at, format!("{}{}]", prefix, new));
            }
        }
        *manifest = lines.join("\n") + "\n";
        // Under `apply:`: the list item's fields two columns deeper.
        let body = manifest.replacen("  - ", "    ", 1);
        let body: Vec<String> = body.lines().map(|l| format!("  {}", l)).collect();
        Some(format!("apply:\n{}", body.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Some cases add a toleration to a bare pod, and the manifest they
    /// apply loads as the scenario's own does.
    #[test]
    fn swarm_cases_add_tolerations_to_bare_pods() {
        let texts: Vec<(u64, String)> = (0..300).map(|n| (n, scenario(n, "fastPaths: 1"))).collect();
        let adds: Vec<&(u64, String)> = texts.iter().filter(|(_, t)| t.contains("    apply:\n")).collect();
        assert!(adds.len() >= 3, "only {} cases add a toleration", adds.len());
        for (n, t) in adds {
            let file = format!("swarm-{n}.yaml");
            if let Err(e) = crate::scenario::load_str(t, &file, std::path::Path::new("scenarios")) {
                panic!("{file}: {e}\n--- scenario ---\n{t}");
            }
        }
    }

    /// Cases with a user's controller name it after `*`, and load.
    #[test]
    fn cases_take_the_users_controllers() {
        let t = scenario_with(5, "", &["my-replicaset"]);
        assert!(t.contains("  controllers: [\"*\", \"my-replicaset\"]\n"), "{}", t);
        let scn = crate::scenario::load_str(&t, "c.yaml", std::path::Path::new("scenarios")).expect("loads");
        assert_eq!(scn.controllers.len(), 2);
    }
}
