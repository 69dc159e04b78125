//! The differential property: a run is a function of (scenario, seed)
//! alone. Every swarm case (see `swarm.rs`) runs twice — once with every
//! fast path on (probe skipping, analytic heartbeats, the scheduler's score
//! trees) and everything a user can ask to see switched on (events kept for
//! the timeline and `describe`, container logs, the JSONL trace, pod times,
//! CSV samples), once with every fast path off (`fastPaths: 0`: the literal
//! model, ticking every probe, renewal and monitor pass and walking the
//! nodes for every pod) and nothing observed — and the two trace hashes must
//! be equal.
//!
//! `cargo test --release` runs `SWARM_CASES` cases (override with the
//! environment variable `KUBESIM_SWARM_CASES`); `cargo test --release --
//! --ignored swarm_soak` runs a long soak and prints cases per minute.
//! A divergent case is written to `target/swarm-failures/case-N.yaml` with
//! both configurations, to replay with `kubesim run`.

use kubesim::check::swarm;
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use kubesim::sim::SimDuration;
use std::path::Path;

const SWARM_CASES: u64 = 1000;

fn load(text: &str, n: u64) -> scenario::Scenario {
    scenario::load_str(text, &format!("swarm-{}.yaml", n), Path::new("."))
        .unwrap_or_else(|e| panic!("swarm case {} does not load (a generator bug):\n{}\n---\n{}", n, e, text))
}

/// Runs case `n` both ways; the error names the case and where it was
/// written.
pub fn check_case(n: u64) -> Result<(), String> {
    let fast_text = swarm::scenario(n, "fastPaths: 1");
    let literal_text = swarm::scenario(n, "fastPaths: 0");
    let fast = load(&fast_text, n);
    let literal = load(&literal_text, n);
    let mut samples = 0u64;
    let mut sampler = |_t: kubesim::sim::SimTime, _s: &kubesim::report::observe::ClusterStats| samples += 1;
    let observed = run(
        &fast,
        RunOptions {
            keep_events: true,
            jsonl: Some(Box::new(std::io::sink())),
            pod_times: true,
            sample: Some((SimDuration::from_secs(7), &mut sampler)),
            ..Default::default()
        },
    );
    let plain = run(&literal, RunOptions::default());
    if observed.trace_hash == plain.trace_hash {
        return Ok(());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/swarm-failures");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("case-{}.yaml", n));
    let _ = std::fs::write(&file, &literal_text);
    Err(format!(
        "swarm case {}: fast paths + observers give {} ({} events), the literal model gives {} ({} events); \
         replay: kubesim run {} (fastPaths: 0) and again with fastPaths: 1",
        n,
        observed.trace_hash,
        observed.sim.events_processed(),
        plain.trace_hash,
        plain.sim.events_processed(),
        file.display()
    ))
}

#[test]
fn fast_paths_and_observers_change_nothing_over_swarm_cases() {
    let cases = std::env::var("KUBESIM_SWARM_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(SWARM_CASES);
    let failures: Vec<String> = (0..cases).filter_map(|n| check_case(n).err()).collect();
    assert!(failures.is_empty(), "{} of {} cases diverge:\n{}", failures.len(), cases, failures.join("\n"));
}

/// The generator really produces what it claims: across the cases, every
/// feature shows up, so the property above exercises them.
#[test]
fn swarm_cases_cover_every_feature() {
    // The cases CI runs (rarer actions, such as a crash of one named
    // built-in, show up a few times in a thousand).
    let texts: Vec<String> = (0..SWARM_CASES).map(|n| swarm::scenario(n, "fastPaths: 1")).collect();
    for needle in [
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "exec: {command: [rm",
        "failAfterRequests",
        "listenAfter",
        "initContainers",
        "preStop",
        "sigterm: ignore",
        "nodeName: node-",
        "effect: NoExecute",
        "unschedulable: true",
        "tolerations",
        "crashNode",
        "restartNode",
        "partitionNode",
        "healNode",
        "drain",
        "delete: {kind: Node",
        "out-of-service",
        "crashController: {name: podgc",
        "crashController: {name: taint-eviction-controller",
        "crashController: {name: garbagecollector",
        "crashController: {name: endpoint,",
        "crashController: {name: endpointslice",
        "crashController: {name: job,",
        "crashController: {name: daemonset,",
        "crashController: {name: deployment,",
        "crashController: {name: cronjob,",
        "crashController: {name: ttl-after-finished,",
        "crashController: {name: nodelifecycle,",
        "crashController: {name: replicaset,",
        "crashController: {name: replicationcontroller,",
        "crashController: {name: default-scheduler,",
        "hangContainer",
        "oomContainer",
        "killContainer",
        "kubectl: scale",
        "kind: Deployment",
        "kind: DaemonSet",
        "kind: Job",
        "kind: CronJob",
        "rollout restart deployment",
        "scale deployment",
        "requests: {}",
        "command: [sh, -c, \"touch /tmp/healthy",
        "trap 'exit 0' TERM",
        "- name: side",
        "command: [node, app.js]",
        "traffic: {name: t-",
        "connections: {keepAlive:",
        "minReadySeconds",
        "-out --overwrite",
    ] {
        assert!(texts.iter().any(|t| t.contains(needle)), "no swarm case uses {}", needle);
    }
    // Same case number, same text.
    assert_eq!(swarm::scenario(17, "fastPaths: 1"), swarm::scenario(17, "fastPaths: 1"));
}

/// A long soak: `cargo test --release -- --ignored swarm_soak`
/// (`KUBESIM_SWARM_SOAK` cases, 20,000 by default; prints cases per minute).
#[test]
#[ignore]
fn swarm_soak() {
    let cases: u64 = std::env::var("KUBESIM_SWARM_SOAK").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let start = std::time::Instant::now();
    let mut failures = Vec::new();
    for n in SWARM_CASES..SWARM_CASES + cases {
        if let Err(e) = check_case(n) {
            eprintln!("{}", e);
            failures.push(n);
        }
    }
    let mins = start.elapsed().as_secs_f64() / 60.0;
    eprintln!(
        "swarm soak: {} cases in {:.1} min ({:.0} cases/min), {} divergent",
        cases,
        mins,
        cases as f64 / mins,
        failures.len()
    );
    assert!(failures.is_empty(), "divergent cases: {:?}", failures);
}

/// Prints case `KUBESIM_SWARM_CASE` (the literal configuration) to stdout:
/// `KUBESIM_SWARM_CASE=26 cargo test --release --test main swarm_print -- --ignored --nocapture`.
#[test]
#[ignore]
fn swarm_print() {
    let n: u64 = std::env::var("KUBESIM_SWARM_CASE").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    println!("{}", swarm::scenario(n, "fastPaths: 0"));
}
