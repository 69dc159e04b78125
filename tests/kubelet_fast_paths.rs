//! The kubelet's fast paths against its literal model: random scenarios
//! (swarm style — each case enables a random subset of features) run with
//! probe skipping on and off, and with analytic and literal heartbeats,
//! and must give the same trace hash; so must the container logs,
//! whatever was kept.
//!
//! Each case is a scenario text, so a failure prints the YAML to replay
//! with `kubesim run` (`probeSkipping: 0` / `1` under `cluster.config`).

use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;
use std::path::Path;

/// Which features a case may use (swarm testing: a random subset each).
struct Swarm {
    http: bool,
    tcp: bool,
    exec: bool,
    side_effects: bool,
    fail_after: bool,
    listen_after: bool,
    slow: bool,
    exits: bool,
    oom: bool,
    init: bool,
    deletes: bool,
    pre_stop: bool,
    node_faults: bool,
    container_faults: bool,
    user_exec: bool,
    rc: bool,
}

fn swarm(r: &mut ChaCha8Rng) -> Swarm {
    let mut b = || r.gen_bool(0.5);
    Swarm {
        http: b(),
        tcp: b(),
        exec: b(),
        side_effects: b(),
        fail_after: b(),
        listen_after: b(),
        slow: b(),
        exits: b(),
        oom: b(),
        init: b(),
        deletes: b(),
        pre_stop: b(),
        node_faults: b(),
        container_faults: b(),
        user_exec: b(),
        rc: b(),
    }
}

fn pick<'a, T: ?Sized>(r: &mut ChaCha8Rng, xs: &[&'a T]) -> &'a T {
    xs[r.gen_range(0..xs.len())]
}

fn probe(r: &mut ChaCha8Rng, sw: &Swarm, readiness: bool) -> Option<String> {
    let mut handlers: Vec<String> = Vec::new();
    if sw.http {
        handlers.push("httpGet: {path: /healthz, port: 8080}".into());
    }
    if sw.tcp {
        handlers.push(format!("tcpSocket: {{port: {}}}", pick(r, &["8080", "9090"])));
    }
    if sw.exec {
        handlers.push("exec: {command: [ls, /ready]}".into());
        handlers.push("exec: {command: [cat, /ready]}".into());
        handlers.push("exec: {command: [sh, -c, \"test -f /ready && cat /ready\"]}".into());
        if sw.side_effects {
            handlers.push("exec: {command: [rm, -f, /ready]}".into());
            handlers.push("exec: {command: [touch, /ready]}".into());
            handlers.push("exec: {command: [sh, -c, \"touch /ready\"]}".into());
            handlers.push("exec: {command: [sh, -c, \"test -e /ready && rm -f /ready || touch /ready\"]}".into());
        }
        if sw.slow {
            handlers.push("exec: {command: [sleep, \"2\"]}".into());
            handlers.push("exec: {command: [sh, -c, \"sleep 1; ls /ready\"]}".into());
        }
    }
    if handlers.is_empty() {
        return None;
    }
    let h = handlers[r.gen_range(0..handlers.len())].clone();
    let mut s = format!("{{{}, periodSeconds: {}", h, r.gen_range(1..=10));
    if r.gen_bool(0.4) {
        let _ = write!(s, ", initialDelaySeconds: {}", r.gen_range(0..=15));
    }
    if r.gen_bool(0.4) {
        let _ = write!(s, ", failureThreshold: {}", r.gen_range(1..=3));
    }
    if readiness && r.gen_bool(0.3) {
        let _ = write!(s, ", successThreshold: {}", r.gen_range(1..=3));
    }
    if r.gen_bool(0.3) {
        let _ = write!(s, ", timeoutSeconds: {}", r.gen_range(1..=3));
    }
    s.push('}');
    Some(s)
}

/// A random scenario, with the probe- and heartbeat-skipping knobs.
fn case_text(case: u64, skipping: bool, heartbeats: bool) -> String {
    let mut r = ChaCha8Rng::seed_from_u64(case);
    let sw = swarm(&mut r);
    let nodes = r.gen_range(1..=3);
    let mut s = format!(
        "name: kubelet fast paths case {case}\nseed: {}\nduration: 12m\ncluster:\n  nodes:\n    - namePrefix: n\n      count: {nodes}\n      capacity: {{cpu: \"4\", memory: 8Gi}}\n  config: {{probeSkipping: {}, heartbeatSkipping: {}}}\nimages:\n",
        r.gen_range(1..1000),
        skipping as u8,
        heartbeats as u8
    );
    for i in 0..3 {
        let mut b: Vec<String> = vec![format!("pull: {}", pick(&mut r, &["1s", "2s"])), "start: 1s".into()];
        if sw.http || r.gen_bool(0.5) {
            let mut h = "port: 8080".to_string();
            if sw.fail_after && r.gen_bool(0.5) {
                let _ = write!(h, ", failAfterRequests: {}", r.gen_range(2..30));
            }
            if sw.slow && r.gen_bool(0.5) {
                let _ = write!(h, ", responseTime: {}", pick(&mut r, &["500ms", "1s", "2s", "4s"]));
            }
            if r.gen_bool(0.1) {
                h.push_str(", status: 503");
            }
            b.push(format!("http: {{{}}}", h));
        }
        if sw.tcp && r.gen_bool(0.6) {
            b.push("tcp: {port: 9090}".into());
        }
        if sw.listen_after && r.gen_bool(0.6) {
            b.push(format!("listenAfter: {}s", r.gen_range(1..40)));
        }
        b.push(format!("sigterm: {}", pick(&mut r, &["exit", "ignore", "\"exitAfter 3s\"", "\"exitAfter 40s\""])));
        if sw.exits && r.gen_bool(0.4) {
            b.push(format!("exitAfter: {}s", r.gen_range(20..300)));
            b.push(format!("exitCode: {}", pick(&mut r, &["0", "1"])));
        }
        if sw.exec && r.gen_bool(0.5) {
            b.push("files: [/ready]".into());
        }
        if sw.oom && r.gen_bool(0.5) {
            b.push(format!("memory: {{start: 10Mi, perSecond: {}Mi}}", r.gen_range(1..4)));
        }
        let _ = writeln!(s, "  app{}: {{{}}}", i, b.join(", "));
    }
    let _ = writeln!(s, "  init-ok: {{pull: 1s, start: 1s, exitAfter: 3s}}");
    let _ = writeln!(s, "  init-bad: {{pull: 1s, start: 1s, exitAfter: 2s, exitCode: 1}}");
    s.push_str("objects:\n");
    let pods = r.gen_range(1..=4);
    let mut names = Vec::new();
    for p in 0..pods + sw.rc as usize {
        let is_rc = p == pods;
        let name = format!("p{}", p);
        let mut spec = String::new();
        let policy = if is_rc { "Always" } else { pick(&mut r, &["Always", "Always", "OnFailure", "Never"]) };
        let _ = writeln!(spec, "restartPolicy: {}", policy);
        let _ = writeln!(spec, "terminationGracePeriodSeconds: {}", r.gen_range(3..=30));
        if sw.init && r.gen_bool(0.5) {
            let img = pick(&mut r, &["init-ok", "init-ok", "init-bad"]);
            let _ = writeln!(spec, "initContainers: [{{name: init, image: {}}}]", img);
        }
        spec.push_str("containers:\n");
        for c in 0..r.gen_range(1..=2) {
            let img = r.gen_range(0..3);
            let _ = writeln!(spec, "- name: c{}\n  image: app{}", c, img);
            if sw.oom {
                let _ = writeln!(spec, "  resources: {{limits: {{memory: {}Mi}}}}", r.gen_range(100..400));
            }
            for (field, readiness) in [("livenessProbe", false), ("readinessProbe", true), ("startupProbe", false)] {
                if r.gen_bool(0.5) {
                    if let Some(pr) = probe(&mut r, &sw, readiness) {
                        let _ = writeln!(spec, "  {}: {}", field, pr);
                    }
                }
            }
            if sw.pre_stop && r.gen_bool(0.6) {
                let h = pick(
                    &mut r,
                    &[
                        "exec: {command: [rm, -f, /ready]}",
                        "exec: {command: [touch, /ready]}",
                        "sleep: {seconds: 2}",
                        "httpGet: {path: /quit, port: 8080}",
                    ],
                );
                let _ = writeln!(spec, "  lifecycle: {{preStop: {{{}}}}}", h);
            }
        }
        let indent =
            |text: &str, n: usize| -> String { text.lines().map(|l| format!("{}{}\n", " ".repeat(n), l)).collect() };
        if is_rc {
            let _ = write!(
                s,
                "  - apiVersion: v1\n    kind: ReplicationController\n    metadata: {{name: rc}}\n    spec:\n      replicas: 2\n      template:\n        metadata: {{labels: {{app: rc}}}}\n        spec:\n{}",
                indent(&spec, 10)
            );
        } else {
            let _ = write!(
                s,
                "  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: {}}}\n    spec:\n{}",
                name,
                indent(&spec, 6)
            );
            names.push(name);
        }
    }
    s.push_str("timeline:\n");
    let mut crashed: Vec<usize> = Vec::new();
    for _ in 0..r.gen_range(0..8) {
        let at = r.gen_range(5..600);
        let pod = names[r.gen_range(0..names.len())].clone();
        let target = if sw.rc && r.gen_bool(0.3) {
            format!("{{selector: app=rc, index: {}}}", r.gen_range(0..2))
        } else {
            format!("{{pod: {}}}", pod)
        };
        let with = |extra: &str| format!("{}, {}}}", target.trim_end_matches('}'), extra);
        let action = match r.gen_range(0..6) {
            0 if sw.user_exec => {
                format!("exec: {}", with(&format!("command: [{}, /ready]", pick(&mut r, &["touch", "rm"]))))
            }
            1 if sw.container_faults => match r.gen_range(0..5) {
                0 => format!("hangContainer: {}", target),
                1 => format!("crashContainer: {}", with("exitCode: 1")),
                2 => format!("oomContainer: {}", target),
                3 => format!("killContainer: {}", with("signal: TERM")),
                _ => format!("killContainer: {}", with("signal: KILL")),
            },
            2 if sw.deletes => format!("delete: pod/{}", pod),
            3 if sw.node_faults => {
                let n = r.gen_range(1..=nodes);
                if crashed.contains(&n) {
                    crashed.retain(|x| *x != n);
                    format!("restartNode: n-{}", n)
                } else {
                    crashed.push(n);
                    format!("crashNode: n-{}", n)
                }
            }
            4 if sw.user_exec => format!("kubectl: exec {} -- touch /ready", pod),
            _ => continue,
        };
        let _ = writeln!(s, "  - at: {}s\n    {}", at, action);
    }
    s
}

/// Every container log of every pod at the end of a run: (pod, container,
/// previous?, lines).
type Logs = Vec<(String, usize, bool, Vec<String>)>;

fn all_logs(sim: &kubesim::simulation::Simulation) -> Logs {
    let mut out = Vec::new();
    let mut pods: Vec<_> = sim.store.pods.values().collect();
    pods.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
    for p in pods {
        let Some(k) = p.node_name().and_then(|n| sim.kubelet(n)) else { continue };
        for idx in 0..p.spec.containers.len() {
            for previous in [false, true] {
                if let Some(lines) = k.logs(p.meta.uid, idx, previous, sim.now()) {
                    out.push((p.meta.name.to_string(), idx, previous, lines));
                }
            }
        }
    }
    out
}

/// The trace hash and record count of a run, after checking that keeping
/// events and logs (what `describe` and `logs` do) changes neither.
fn trace_of(text: &str) -> ((String, u64), Logs) {
    let scn = scenario::load_str(text, "case.yaml", Path::new("."))
        .unwrap_or_else(|e| panic!("generated scenario does not load: {}\n{}", e, text));
    let quiet = run(&scn, RunOptions::default());
    let shown = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    assert_eq!(quiet.trace_hash, shown.trace_hash, "keeping events and logs changed the run:\n{}", text);
    ((quiet.trace_hash, quiet.sim.trace.record_count()), all_logs(&shown.sim))
}

fn differential(cases: std::ops::Range<u64>) {
    for case in cases {
        let (ticking, skipping) = (case_text(case, false, true), case_text(case, true, true));
        let ((a, la), (b, lb)) = (trace_of(&ticking), trace_of(&skipping));
        assert_eq!(a, b, "case {}: skipping and ticking differ; replay with probeSkipping 0/1:\n{}", case, ticking);
        let literal = case_text(case, true, false);
        let (c, _) = trace_of(&literal);
        assert_eq!(c, b, "case {}: literal heartbeats differ; replay with heartbeatSkipping 0/1:\n{}", case, literal);
        if la != lb {
            let (x, y) = la.iter().zip(&lb).find(|(x, y)| x != y).expect("a difference");
            panic!(
                "case {}: logs differ ({} c{} previous={}):\nticking: {:#?}\nskipping: {:#?}\n{}",
                case, x.0, x.1, x.2, x.3, y.3, ticking
            );
        }
    }
}

#[test]
fn random_scenarios_skip_probe_ticks_exactly() {
    differential(0..300);
}

#[test]
#[ignore = "soak: thousands of cases (cargo test --release -- --ignored)"]
fn random_scenarios_skip_probe_ticks_exactly_soak() {
    differential(300..5000);
}

/// Runs `text` with probe skipping off and on: the two runs must agree;
/// returns the skipping run.
fn both_ways(text: &str) -> kubesim::runner::RunResult {
    let mut scn = scenario::load_str(text, "case.yaml", Path::new(".")).expect("load");
    scn.config.probe_skipping = false;
    let ticking = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    scn.config.probe_skipping = true;
    let skipping = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    assert_eq!(ticking.trace_hash, skipping.trace_hash, "skipping and ticking differ:\n{}", text);
    assert_eq!(all_logs(&ticking.sim), all_logs(&skipping.sim), "logs differ:\n{}", text);
    assert!(skipping.sim.events_processed() < ticking.sim.events_processed(), "nothing was skipped");
    skipping
}

fn ready_since(r: &kubesim::runner::RunResult, pod: &str) -> Option<u64> {
    let p = r.sim.store.pod(&kubesim::objects::store::Key::new("default", pod))?;
    p.status.conditions.ready.as_ref().filter(|c| c.is_true()).map(|c| c.last_transition_time.0)
}

#[test]
fn a_restart_on_the_probe_grid_waits_for_the_next_tick() {
    // The container restarts exactly on its readiness probe's grid. Probe
    // ticks run first at an instant, so the tick there found the container
    // still down; the woken worker must not tick again at that instant but
    // one period later — else the pod turns Ready a period early.
    let text = |crash_ms: u64| {
        format!(
            "name: restart on the grid\nseed: 1\nduration: 3m\ncluster:\n  nodes: [{{name: n-1, capacity: {{cpu: \"2\", memory: 4Gi}}}}]\nimages:\n  app:1: {{pull: 1s, start: 1s, http: {{port: 8080}}}}\nobjects:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: p}}\n    spec:\n      containers:\n      - name: c\n        image: app:1\n        readinessProbe: {{httpGet: {{path: /, port: 8080}}, periodSeconds: 10}}\ntimeline:\n  - at: {}ms\n    crashContainer: {{pod: p, exitCode: 1}}\n",
            crash_ms
        )
    };
    // Where the grid lies: the probe worker starts when the pod is admitted.
    let probe = both_ways(&text(60_000));
    let admitted = probe.sim.store.pod(&kubesim::objects::store::Key::new("default", "p")).unwrap().status.start_time;
    let anchor = admitted.expect("admitted").0;
    // The first exit restarts at once; the image is cached, so the new
    // process runs `start` (1 s) after the crash: at anchor + 90 s.
    let restart = anchor + 90_000_000_000;
    let r = both_ways(&text((restart - 1_000_000_000) / 1_000_000));
    assert_eq!(ready_since(&r, "p"), Some(restart + 10_000_000_000), "Ready one period after the restart");
}

#[test]
fn an_exec_probe_that_changes_files_wakes_the_other_probes() {
    // The readiness probe `ls /ready` succeeds and dozes; from 30 s on the
    // liveness probe `rm -f /ready` removes the file. The readiness worker
    // must wake and fail three times: the pod turns not ready.
    let text = "name: exec side effect\nseed: 1\nduration: 2m\ncluster:\n  nodes: [{name: n-1, capacity: {cpu: \"2\", memory: 4Gi}}]\nimages:\n  app: {pull: 1s, start: 1s, files: [/ready]}\nobjects:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p}\n    spec:\n      containers:\n      - name: c\n        image: app\n        readinessProbe: {exec: {command: [ls, /ready]}, periodSeconds: 5}\n        livenessProbe: {exec: {command: [rm, -f, /ready]}, periodSeconds: 5, initialDelaySeconds: 30}\n";
    let r = both_ways(text);
    let p = r.sim.store.pod(&kubesim::objects::store::Key::new("default", "p")).unwrap();
    assert!(!p.is_ready(), "the readiness probe never saw /ready go");
    assert_eq!(p.status.container_statuses[0].restart_count, 0);
}

#[test]
fn shipped_scenarios_log_the_same_with_skipping_on_and_off() {
    // `kubesim logs` reads the same lines whether ticks were skipped, and
    // keeping logs changes nothing in the run.
    for path in crate::scenario_files() {
        let mut scn = scenario::load(&path).expect("load");
        let mut logs = Vec::new();
        for skipping in [false, true] {
            scn.config.probe_skipping = skipping;
            let quiet = run(&scn, RunOptions::default());
            let shown = run(&scn, RunOptions { keep_events: true, ..Default::default() });
            assert_eq!(quiet.trace_hash, shown.trace_hash, "{}: keeping logs changed the run", crate::rel(&path));
            logs.push(all_logs(&shown.sim));
        }
        assert_eq!(logs[0], logs[1], "{}", crate::rel(&path));
    }
}
