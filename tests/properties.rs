//! Property tests of controller invariants under random fault schedules.
//!
//! Two phases, after TigerBeetle's VOPR: while faults happen, safety holds
//! after every event (no node holds more than its allocatable); after the
//! faults stop and every node is back, the cluster converges (each RC and
//! RS has exactly `replicas` active pods, and none is left Terminating).
//! The schedule is written as a scenario, so property tests and YAML files
//! exercise one code path. On failure the scenario text and seed are shown.

use kubesim::objects::replicaset::ReplicaKind;
use kubesim::scenario::{self, Scenario};
use kubesim::sim::{SimDuration, SimTime};
use proptest::prelude::*;
use std::path::Path;

const NODES: usize = 4;

#[derive(Clone, Debug)]
struct Fault {
    at_s: u64,
    node: usize,
    crash: bool,
}

fn scenario_text(faults: &[Fault], seed: u64) -> String {
    let mut s = format!(
        "name: random faults\nseed: {seed}\nduration: 50m\ncluster:\n  nodes:\n    - namePrefix: node\n      count: {NODES}\n      capacity: {{cpu: \"2\", memory: 4Gi, pods: 8}}\n"
    );
    s.push_str(
        "images:\n  app: {pull: 2s, start: 1s}\nobjects:\n  - apiVersion: v1\n    kind: ReplicationController\n    metadata: {name: web}\n    spec:\n      replicas: 6\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          containers: [{name: c, image: app, resources: {requests: {cpu: 300m, memory: 512Mi}}}]\n",
    );
    s.push_str(
        "  - apiVersion: apps/v1\n    kind: ReplicaSet\n    metadata: {name: api}\n    spec:\n      replicas: 4\n      selector: {matchLabels: {app: api}}\n      template:\n        metadata: {labels: {app: api}}\n        spec:\n          containers: [{name: c, image: app, resources: {requests: {cpu: 200m, memory: 256Mi}}}]\n",
    );
    s.push_str("timeline:\n");
    for f in faults {
        let verb = if f.crash { "crashNode" } else { "restartNode" };
        s.push_str(&format!("  - at: {}s\n    {}: node-{}\n", f.at_s, verb, f.node + 1));
    }
    // Liveness phase: every node back at 30m.
    for n in 1..=NODES {
        s.push_str(&format!("  - at: 30m\n    restartNode: node-{}\n", n));
    }
    s
}

fn fault() -> impl Strategy<Value = Fault> {
    (1u64..1700, 0..NODES, prop::bool::weighted(0.6)).prop_map(|(at_s, node, crash)| Fault { at_s, node, crash })
}

fn check(scn: &Scenario, text: &str) -> Result<(), TestCaseError> {
    let seed = scn.seed.unwrap_or(1);
    let mut sim = scn.build(seed);
    let end = SimTime(SimDuration::from_secs(50 * 60).0);
    // Safety after every event.
    while sim.step(end) {
        if let Err(e) = sim.check_invariants() {
            return Err(TestCaseError::fail(format!("{} at {}\n{}", e, sim.now(), text)));
        }
    }
    sim.run_until(end);
    // Liveness: 20 minutes after the last node came back.
    for (kind, name, want) in [(ReplicaKind::ReplicationController, "web", 6), (ReplicaKind::ReplicaSet, "api", 4)] {
        let rs = sim
            .store
            .replicasets
            .values()
            .find(|r| r.kind == kind && &*r.meta.name == name)
            .expect("replica set exists");
        let active = sim
            .store
            .pods
            .values()
            .filter(|p| p.is_active() && p.meta.controller_ref().is_some_and(|c| c.uid == rs.meta.uid))
            .count();
        prop_assert_eq!(active, want, "{} {}: active pods (seed {})\n{}", kind.as_str(), name, seed, text);
        prop_assert_eq!(rs.status.ready_replicas, want as i32, "{} status.readyReplicas\n{}", name, text);
    }
    let stuck: Vec<_> = sim
        .store
        .pods
        .values()
        .filter(|p| p.meta.deletion_timestamp.is_some())
        .map(|p| p.meta.name.to_string())
        .collect();
    prop_assert!(stuck.is_empty(), "pods left Terminating after every node came back: {:?}\n{}", stuck, text);
    prop_assert!(
        sim.store.nodes.values().all(|n| n.is_ready() && n.spec.taints.is_empty()),
        "nodes not healed\n{}",
        text
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_and_nodes_never_overcommit(faults in prop::collection::vec(fault(), 0..20), seed in 1u64..1_000_000) {
        let text = scenario_text(&faults, seed);
        let scn = scenario::load_str(&text, "property.yaml", Path::new(".")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check(&scn, &text)?;
    }
}

/// A pod whose HTTP app hangs at `onset_ms`, with a liveness probe.
fn liveness_text(delay: u64, period: u64, timeout: u64, threshold: u64, onset_ms: u64) -> String {
    format!(
        "name: liveness timing\nseed: 1\nduration: 30m\ncluster:\n  nodes: [{{name: n1}}]\nimages:\n  app/web:v1: {{pull: 1s, start: 1s, http: {{port: 8080}}}}\nobjects:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: web}}\n    spec:\n      containers:\n      - name: c\n        image: app/web:v1\n        livenessProbe:\n          httpGet: {{path: /, port: 8080}}\n          initialDelaySeconds: {delay}\n          periodSeconds: {period}\n          timeoutSeconds: {timeout}\n          failureThreshold: {threshold}\ntimeline:\n  - at: {onset_ms}ms\n    hangContainer: web\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Issue 3's bound: the kill comes within initialDelay + failureThreshold
    /// × period + timeout of the onset, and never earlier than
    /// failureThreshold − 1 periods after it.
    #[test]
    fn liveness_kill_timing_is_bounded(
        delay in 0u64..60,
        period in 1u64..30,
        timeout_frac in 0.0f64..1.0,
        threshold in 1u64..6,
        onset_ms in 5_000u64..200_000,
    ) {
        let timeout = 1 + ((period - 1) as f64 * timeout_frac) as u64; // 1 ≤ timeout ≤ period
        let text = liveness_text(delay, period, timeout, threshold, onset_ms);
        let scn = scenario::load_str(&text, "liveness.yaml", Path::new(".")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let r = kubesim::runner::run(&scn, kubesim::runner::RunOptions { keep_events: true, ..Default::default() });
        prop_assert!(r.sim.user_errors.is_empty(), "{:?}\n{}", r.sim.user_errors, text);
        let kill = r
            .sim
            .trace
            .events()
            .iter()
            .find(|e| e.reason == "Killing" && e.name == "web")
            .map(|e| e.time.0)
            .ok_or_else(|| TestCaseError::fail(format!("never killed\n{}", text)))?;
        let onset = onset_ms * 1_000_000;
        let s = 1_000_000_000u64;
        prop_assert!(kill <= onset + (delay + threshold * period + timeout) * s, "killed at {} ns, onset {} ns\n{}", kill, onset, text);
        prop_assert!(kill >= onset + (threshold - 1) * period * s, "killed too early at {} ns, onset {} ns\n{}", kill, onset, text);
    }
}
