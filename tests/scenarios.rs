//! Every scenario in `scenarios/` runs with its expectations, twice with the
//! same seed (same trace hash), and the seed is shown to matter.

use crate::{rel, scenario_files};
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;

#[test]
fn every_scenario_meets_its_expectations_deterministically() {
    let files = scenario_files();
    assert!(files.len() >= 8, "expected the shipped scenarios, found {}", files.len());
    for path in files {
        let scn = scenario::load(&path).unwrap_or_else(|e| panic!("{}: {}", rel(&path), e));
        assert!(!scn.expect.is_empty(), "{} has no expectations", rel(&path));
        let a = run(&scn, RunOptions::default());
        for (e, v) in scn.expect.iter().zip(&a.verdicts) {
            let v = v.as_ref().unwrap_or_else(|| panic!("{}: {} not reached", rel(&path), e));
            assert!(v.passed, "{} (seed {}): {} — found {} {:?}", rel(&path), a.seed, e, v.found, v.names);
        }
        a.sim.check_invariants().unwrap_or_else(|e| panic!("{}: {}", rel(&path), e));
        let b = run(&scn, RunOptions::default());
        assert_eq!(a.trace_hash, b.trace_hash, "{}: same seed, different trace", rel(&path));
        assert_eq!(a.sim.trace.record_count(), b.sim.trace.record_count());
    }
}

#[test]
fn another_seed_gives_another_trace() {
    // Generated pod names and scheduler tie-breaks come from the seed.
    for name in ["node-dies-rc-reschedules.yaml", "rc-scale-up-down.yaml"] {
        let scn = scenario::load(&crate::root().join("scenarios").join(name)).expect("load");
        let a = run(&scn, RunOptions { seed: Some(1), ..Default::default() });
        let b = run(&scn, RunOptions { seed: Some(2), ..Default::default() });
        assert_ne!(a.trace_hash, b.trace_hash, "{}: the seed changed nothing", name);
        assert_eq!(a.failed(), 0, "{} seed 1", name);
        assert_eq!(b.failed(), 0, "{} seed 2", name);
    }
}

#[test]
fn keeping_events_or_writing_jsonl_does_not_change_the_trace() {
    let scn = scenario::load(&crate::root().join("scenarios/node-dies-rc-reschedules.yaml")).expect("load");
    let plain = run(&scn, RunOptions::default());
    let buf: Vec<u8> = Vec::new();
    let observed =
        run(&scn, RunOptions { keep_events: true, jsonl: Some(Box::new(buf)), pod_times: true, ..Default::default() });
    assert_eq!(plain.trace_hash, observed.trace_hash);
}

#[test]
fn node_dies_timeline_matches_the_defaults() {
    // The arithmetic in the scenario's comment, checked on the event times:
    // crash at 120 s, NotReady at the 170 s monitor tick, the NoExecute
    // taint from the 175 s tick (observed at 175.015 s), eviction 300 s
    // after it.
    let scn = scenario::load(&crate::root().join("scenarios/node-dies-rc-reschedules.yaml")).expect("load");
    let r = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    let t = |reason: &str| r.sim.trace.events().iter().find(|e| e.reason == reason).map(|e| e.time.0).expect(reason);
    assert_eq!(t("NodeNotReady"), 170_000_000_000);
    assert_eq!(t("TaintManagerEviction"), 475_015_000_000);
}

/// Runs a scenario with its JSONL trace kept in memory: the result and the
/// trace text.
fn run_with_jsonl(scn: &scenario::Scenario) -> (kubesim::runner::RunResult, String) {
    struct Sink(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let r = run(scn, RunOptions { jsonl: Some(Box::new(Sink(buf.clone()))), ..Default::default() });
    let text = String::from_utf8(buf.borrow().clone()).expect("utf-8 trace");
    (r, text)
}

/// The writes to one node in a run, as (time in ns, detail).
fn node_writes(scn: &scenario::Scenario, node: &str) -> Vec<(u64, String)> {
    let (_, text) = run_with_jsonl(scn);
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "write" && v["kind"] == "Node" && v["name"] == node)
        .map(|v| (v["t_ns"].as_u64().unwrap(), v["detail"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn no_execute_taint_comes_one_monitor_pass_after_ready_unknown() {
    // processTaintBaseEviction switches on the Ready condition the pass
    // observed before it updated it: the 170 s pass sets Ready=Unknown
    // (the NoSchedule taint follows from the node update), the 175 s pass
    // queues the NoExecute taint and the 100 ms tainting pass adds it. One
    // write per change, in both heartbeat models.
    let mut scn = scenario::load(&crate::root().join("scenarios/node-dies-rc-reschedules.yaml")).expect("load");
    for skipping in [true, false] {
        scn.config.heartbeat_skipping = skipping;
        let w = node_writes(&scn, "node-1");
        let updates: Vec<(u64, &str)> = w.iter().skip(1).map(|(t, d)| (*t, d.as_str())).collect();
        assert_eq!(
            updates,
            [
                (170_005_000_000, "ready=Unknown unschedulable=false"),
                (170_020_000_000, "ready=Unknown unschedulable=false taint=node.kubernetes.io/unreachable:NoSchedule"),
                (
                    175_005_000_000,
                    "ready=Unknown unschedulable=false taint=node.kubernetes.io/unreachable:NoSchedule \
                     taint=node.kubernetes.io/unreachable:NoExecute"
                ),
            ],
            "heartbeat skipping {}",
            skipping
        );
    }
}

#[test]
fn the_node_controller_sends_no_write_that_changes_nothing() {
    // AddOrUpdateTaintOnNode / RemoveTaintOffNode read the node and patch
    // only a taint that is missing (or there). With a watch slower than
    // the monitor period the 180 s pass still sees node-1 without its
    // NoExecute taint and queues it again; the tainting pass must find it
    // already written. Each write to a node changes it.
    for (file, node) in [
        ("node-dies-rc-reschedules.yaml", "node-1"),
        ("node-restart-before-eviction.yaml", "node-1"),
        ("zone-disruption.yaml", "b-2"),
    ] {
        let mut scn = scenario::load(&crate::root().join("scenarios").join(file)).expect("load");
        for (skipping, watch_ms) in [(true, 10), (false, 10), (true, 6_000), (false, 6_000)] {
            scn.config.heartbeat_skipping = skipping;
            scn.config.watch_latency = kubesim::sim::SimDuration::from_millis(watch_ms);
            let w = node_writes(&scn, node);
            assert!(w.len() >= 4, "{} {:?}", file, w);
            for pair in w.windows(2) {
                assert_ne!(pair[0].1, pair[1].1, "{} (skipping {}, watch {} ms): {:?}", file, skipping, watch_ms, w);
            }
        }
    }
}

#[test]
fn expectations_hold_for_other_seeds_too() {
    // Expectations are derived from Kubernetes semantics, not from one
    // run's output, so they must not depend on tie-breaks or names.
    for path in scenario_files() {
        let scn = scenario::load(&path).expect("load");
        for seed in 100..106 {
            let r = run(&scn, RunOptions { seed: Some(seed), ..Default::default() });
            assert_eq!(r.failed(), 0, "{} fails with seed {}", rel(&path), seed);
        }
    }
}

#[test]
fn scale_up_creates_in_slow_start_batches() {
    // 3 → 10 replicas: 7 creates in batches of 1, 2 and 4, each batch sent
    // when the previous batch's responses are back (one round trip).
    let scn = scenario::load(&crate::root().join("scenarios/rc-scale-up-down.yaml")).expect("load");
    let r = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    let mut batches: Vec<(u64, usize)> = Vec::new();
    for e in r.sim.trace.events().iter().filter(|e| e.reason == "SuccessfulCreate" && e.time.0 >= 60_000_000_000) {
        match batches.last_mut() {
            Some((t, n)) if *t == e.time.0 => *n += 1,
            _ => batches.push((e.time.0, 1)),
        }
    }
    let sizes: Vec<usize> = batches.iter().map(|b| b.1).collect();
    assert_eq!(sizes, vec![1, 2, 4]);
    assert!(batches.windows(2).all(|w| w[1].0 - w[0].0 == 10_000_000), "{:?}", batches);
}

#[test]
fn exit_codes_of_sigterm_handling() {
    // The last status each pod reports before its final delete: 143 for the
    // default SIGTERM action, 137 after SIGKILL, 0 from a handler.
    let scn = scenario::load(&crate::root().join("scenarios/sigterm-on-delete.yaml")).expect("load");
    let (r, text) = run_with_jsonl(&scn);
    assert_eq!(r.failed(), 0);
    let last_update = |pod: &str| -> String {
        text.lines()
            .rev()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|v| v["name"] == pod && v["verb"] == "UPDATE")
            .map(|v| v["detail"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(last_update("exits").contains("c=Error:143"), "{}", last_update("exits"));
    assert!(last_update("ignores").contains("c=Error:137"), "{}", last_update("ignores"));
    assert!(last_update("prestop").contains("c=Error:137"), "{}", last_update("prestop"));
    assert!(last_update("handler").contains("c=Completed:0"), "{}", last_update("handler"));
}

#[test]
fn skipping_probe_ticks_gives_the_same_trace_as_ticking() {
    let mut saved = 0;
    for path in scenario_files() {
        let mut scn = scenario::load(&path).expect("load");
        for seed in [1, 2, 3] {
            scn.config.probe_skipping = false;
            let ticking = run(&scn, RunOptions { seed: Some(seed), ..Default::default() });
            scn.config.probe_skipping = true;
            let skipping = run(&scn, RunOptions { seed: Some(seed), ..Default::default() });
            assert_eq!(ticking.trace_hash, skipping.trace_hash, "{} seed {}", rel(&path), seed);
            assert_eq!(ticking.sim.trace.record_count(), skipping.sim.trace.record_count());
            saved += ticking.sim.events_processed() - skipping.sim.events_processed();
        }
    }
    assert!(saved > 0, "probe skipping never skipped a tick");
}

#[test]
fn analytic_heartbeats_give_the_same_trace_as_literal_renewals() {
    // `heartbeatSkipping: 0` renews every Lease every 10 s and runs the
    // node monitor every 5 s; the analytic model must match it exactly.
    let mut saved = 0;
    for path in scenario_files() {
        let mut scn = scenario::load(&path).expect("load");
        for seed in [1, 2] {
            scn.config.heartbeat_skipping = false;
            let literal = run(&scn, RunOptions { seed: Some(seed), ..Default::default() });
            scn.config.heartbeat_skipping = true;
            let analytic = run(&scn, RunOptions { seed: Some(seed), ..Default::default() });
            assert_eq!(literal.trace_hash, analytic.trace_hash, "{} seed {}", rel(&path), seed);
            assert_eq!(literal.failed(), analytic.failed(), "{} seed {}", rel(&path), seed);
            saved += literal.sim.events_processed() - analytic.sim.events_processed();
        }
    }
    assert!(saved > 0, "the literal model ran no more events than the analytic one");
}

/// `scenarios/partition-node.yaml` with every fast path on or off.
fn partition_scenario(fast: bool, until: Option<u64>) -> kubesim::runner::RunResult {
    let mut scn = scenario::load(&crate::root().join("scenarios/partition-node.yaml")).expect("load");
    scn.config.set_fast_paths(fast);
    let until = until.map(|s| kubesim::sim::SimTime(s * 1_000_000_000));
    run(&scn, RunOptions { keep_events: true, until, ..Default::default() })
}

#[test]
fn partition_timeline_matches_the_arithmetic() {
    // The arithmetic in the scenario's comment, on the event times, in both
    // Lease models.
    for fast in [true, false] {
        let r = partition_scenario(fast, None);
        let at = |reason: &str, from: u64| {
            r.sim
                .trace
                .events()
                .iter()
                .find(|e| e.reason == reason && e.time.0 >= from)
                .map(|e| e.time.0)
                .expect(reason)
        };
        assert_eq!(at("NodeNotReady", 0), 110_000_000_000, "fast {fast}");
        assert_eq!(at("TaintManagerEviction", 0), 415_015_000_000, "fast {fast}");
        // The heal's relist answer is back 2 × apiLatency after the heal.
        assert_eq!(at("Killing", 0), 480_010_000_000, "fast {fast}");
        // The kubelet's next node status sync, on its 10 s grid.
        assert_eq!(at("NodeReady", 480_000_000_000), 490_000_000_000, "fast {fast}");
    }
    assert_eq!(partition_scenario(true, None).trace_hash, partition_scenario(false, None).trace_hash);
}

#[test]
fn a_partitioned_kubelet_runs_on_and_its_lease_stops() {
    for fast in [true, false] {
        // Just before the heal: the API has both pods Terminating, the
        // kubelet still runs them; the Lease's renewTime is its last
        // renewal to arrive (50 s).
        let r = partition_scenario(fast, Some(479));
        let k = r.sim.kubelet("node-1").expect("node-1");
        assert!(k.is_partitioned());
        assert_eq!(k.running_pods(), 2, "fast {fast}");
        let on_node = r.sim.store.pods_on_node("node-1");
        assert_eq!(on_node.len(), 2);
        assert!(on_node.iter().all(|p| p.meta.deletion_timestamp.is_some()));
        let lease = r.sim.store.node_lease("node-1").expect("lease");
        assert_eq!(lease.spec.holder_identity.as_deref(), Some("node-1"));
        assert_eq!(&*lease.meta.owner_references[0].kind, "Node");
        assert_eq!(lease.renew_time_at(r.sim.now()), Some(kubesim::sim::SimTime(50_000_000_000)), "fast {fast}");
        // A healthy node's Lease was renewed within the interval.
        let other = r.sim.store.node_lease("node-2").expect("lease");
        assert_eq!(other.renew_time_at(r.sim.now()), Some(kubesim::sim::SimTime(470_000_000_000)), "fast {fast}");
        // After the heal: the pods are killed and gone, renewals resume.
        let r = partition_scenario(fast, Some(495));
        let k = r.sim.kubelet("node-1").expect("node-1");
        assert_eq!(k.running_pods(), 0, "fast {fast}");
        assert!(r.sim.store.pods_on_node("node-1").is_empty());
        let lease = r.sim.store.node_lease("node-1").expect("lease");
        assert_eq!(lease.renew_time_at(r.sim.now()), Some(kubesim::sim::SimTime(490_000_000_000)), "fast {fast}");
    }
}

#[test]
fn partition_and_crash_combine() {
    // A crash during a partition kills the containers; a restart while the
    // link is still down is cut off (its LIST and status never arrive, the
    // node stays Unknown); the heal brings the relist, the pods back with
    // one restart each, and the node Ready.
    let text = std::fs::read_to_string(crate::root().join("scenarios/partition-node-short.yaml")).expect("read");
    let timeline = "timeline:
  - at: 1m
    partitionNode: node-2
  - at: 1m10s
    crashNode: node-2
  - at: 1m20s
    partitionNode: node-2
  - at: 2m
    restartNode: node-2
  - at: 3m
    healNode: node-2
  - at: 3m1s
    healNode: node-2
expect:
  - at: 2m59s
    nodes: {name: node-2, status: NotReady}
    count: 1
  - at: 2m59s
    pods: {selector: app=kubia, node: node-2, ready: false}
    count: 2
  - at: 3m11s
    nodes: {status: Ready}
    count: 3
  - at: 3m11s
    pods: {selector: app=kubia, node: node-2, status: Running, ready: true, restarts: 1}
    count: 2
";
    let head = &text[..text.find("timeline:").expect("timeline")];
    let scn_text = format!("{head}{timeline}");
    let mut hashes = Vec::new();
    for fast in [true, false] {
        let mut scn = scenario::load_str(&scn_text, "combined.yaml", &crate::root().join("scenarios")).expect("load");
        scn.config.set_fast_paths(fast);
        let r = run(&scn, RunOptions::default());
        for (e, v) in scn.expect.iter().zip(&r.verdicts) {
            let v = v.as_ref().expect("reached");
            assert!(v.passed, "fast {fast}: {} — found {} {:?}", e, v.found, v.names);
        }
        hashes.push(r.trace_hash);
    }
    assert_eq!(hashes[0], hashes[1]);
}

#[test]
fn get_leases_prints_kubectls_columns_and_the_renew_time_then() {
    let path = "scenarios/partition-node.yaml";
    let o = crate::kubesim(&["get", "leases", "-n", "kube-node-lease", "--at", "7m59s", path]);
    assert_eq!(o.status.code(), Some(0), "{}", crate::stderr(&o));
    let out = crate::stdout(&o);
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines[0], ["NAME", "HOLDER", "AGE"]);
    assert_eq!(lines[1], ["node-1", "node-1", "7m58s"]);
    assert_eq!(lines.len(), 4);
    // renewTime as it is at the time asked: node-1's last renewal before
    // its partition, node-2's within the last interval.
    for (node, renewed) in [("node-1", "00:00:50.000000Z"), ("node-2", "00:07:50.000000Z")] {
        let o = crate::kubesim(&["get", "lease", node, "-n", "kube-node-lease", "--at", "7m59s", path, "-o", "yaml"]);
        let out = crate::stdout(&o);
        assert!(out.contains("apiVersion: coordination.k8s.io/v1"), "{}", out);
        assert!(out.contains(&format!("holderIdentity: {}", node)), "{}", out);
        assert!(out.contains("leaseDurationSeconds: 40"), "{}", out);
        assert!(out.contains(&format!("renewTime: \"1970-01-01T{}\"", renewed)), "{}", out);
        assert!(out.contains("kind: Node"), "the owner reference: {}", out);
    }
}

#[test]
fn a_lease_from_a_manifest_is_stored_as_written() {
    let text = "name: lease manifest
duration: 1m
cluster:
  nodes: [{name: node-1, capacity: {cpu: \"1\", memory: 1Gi}}]
objects:
  - apiVersion: coordination.k8s.io/v1
    kind: Lease
    metadata: {name: my-lock, namespace: kube-system}
    spec:
      holderIdentity: controller-a
      leaseDurationSeconds: 15
      acquireTime: \"1970-01-01T00:00:00.000000Z\"
      renewTime: \"1970-01-01T00:00:02.500000Z\"
      leaseTransitions: 3
expect:
  - at: 1m
    nodes: {status: Ready}
    count: 1
";
    let scn = scenario::load_str(text, "lease.yaml", &crate::root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let l = r.sim.store.leases.get(&kubesim::objects::store::Key::new("kube-system", "my-lock")).expect("stored");
    assert_eq!(l.spec.holder_identity.as_deref(), Some("controller-a"));
    assert_eq!(l.spec.lease_duration_seconds, Some(15));
    assert_eq!(l.spec.lease_transitions, Some(3));
    assert_eq!(l.renew_time_at(r.sim.now()), Some(kubesim::sim::SimTime(2_500_000_000)));
    // Nobody renews it; the node's own Lease is the kubelet's.
    assert_eq!(
        r.sim.store.node_lease("node-1").and_then(|l| l.spec.holder_identity.clone()).as_deref(),
        Some("node-1")
    );
}

#[test]
fn a_node_whose_lease_never_arrives_goes_unknown_after_the_startup_grace() {
    // node-2 joins at 30 s and is cut off 5 ms later, before its first
    // renewal (which creates its Lease) reaches the apiserver; gpu-1 is a
    // Node object with no kubelet at all. Neither ever renews: both turn
    // Unknown once nodeStartupGracePeriod (60 s) has passed since the
    // controller first saw them, in both Lease models.
    let text = "name: no lease
duration: 3m
cluster:
  nodes: [{name: node-1, capacity: {cpu: \"1\", memory: 1Gi}}]
objects:
  - apiVersion: v1
    kind: Node
    metadata: {name: gpu-1}
timeline:
  - at: 30s
    addNode: {name: node-2, capacity: {cpu: \"1\", memory: 1Gi}}
  - at: 30005ms
    partitionNode: node-2
expect:
  - at: 1m
    nodes: {name: gpu-1, status: Ready}
    count: 1
  - at: 1m6s
    nodes: {name: gpu-1, status: NotReady}
    count: 1
  - at: 1m30s
    nodes: {name: node-2, status: Ready}
    count: 1
  - at: 1m36s
    nodes: {name: node-2, status: NotReady}
    count: 1
  - at: 3m
    nodes: {name: node-1, status: Ready}
    count: 1
";
    let mut hashes = Vec::new();
    for fast in [true, false] {
        let mut scn = scenario::load_str(text, "no-lease.yaml", &crate::root()).expect("load");
        scn.config.set_fast_paths(fast);
        let r = run(&scn, RunOptions::default());
        for (e, v) in scn.expect.iter().zip(&r.verdicts) {
            let v = v.as_ref().expect("reached");
            assert!(v.passed, "fast {fast}: {} — found {} {:?}", e, v.found, v.names);
        }
        assert!(r.sim.store.node_lease("node-2").is_none());
        hashes.push(r.trace_hash);
    }
    assert_eq!(hashes[0], hashes[1]);
}
