//! Capacity planning: the run's summary metrics (`summary.csv`), checked
//! against arithmetic on small clusters, and never changing the run.

use kubesim::runner::{run, RunOptions};

const STRANDED: &str = "\
name: stranded capacity
seed: 1
duration: 60s
cluster:
  nodes:
    - namePrefix: node
      count: 2
      capacity: {cpu: \"4\", memory: 8Gi}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: app, resources: {requests: {cpu: \"3\"}}}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c, image: app, resources: {requests: {cpu: \"3\"}}}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: c}, spec: {containers: [{name: c, image: app, resources: {requests: {cpu: \"2\"}}}]}}
images:
  app: {pull: 2s, start: 1s}
";

#[test]
fn the_summary_of_stranded_capacity_matches_its_arithmetic() {
    let scn = kubesim::scenario::load_str(STRANDED, "stranded.yaml", ".".as_ref()).unwrap();
    let plain = run(&scn, RunOptions::default());
    let res = run(&scn, RunOptions { summary: true, ..Default::default() });
    assert_eq!(plain.trace_hash, res.trace_hash, "measuring does not change the run");
    let s = res.summary.expect("asked for");
    // a and b take 3 of each node's 4 CPUs (LeastAllocated spreads them);
    // c (2 CPU) fits on neither: pending to the end, 1 CPU free on each.
    assert_eq!((s.nodes, s.pods_created, s.pods_completed, s.pods_failed), (2, 3, 0, 0));
    // Samples at 0, 10, …, 60 s: at 0 nothing is bound yet (0 requested,
    // nothing stranded: the largest pending pod, 3 CPU, fits); from 10 s,
    // 6 of 8 CPUs requested and all the free CPU is stranded.
    assert_eq!(s.cpu_requested[0], Some(6.0 * 0.75 / 7.0));
    assert_eq!(s.cpu_requested[1], Some(0.75));
    assert_eq!(s.fragmentation, Some(6.0 / 7.0));
    // Two scheduled pods: nearest-rank p50 is the first, max the second;
    // c never ran: pending the whole minute.
    let [p50, _, p99, max] = s.sched_latency;
    assert!(p50.unwrap() <= max.unwrap() && p99 == max);
    assert_eq!(s.pending[1], Some(kubesim::sim::SimDuration::from_secs(60)));
    // Startup excludes the 2 s pull: sandbox, start and the hops remain.
    let startup = s.startup_p99.unwrap().as_secs_f64();
    assert!(startup > 1.0 && startup < 2.0, "{}", startup);
    assert_eq!(format!("{:.4}", s.node_hours), "0.0333");
    assert_eq!(s.csv_row().split(',').count(), kubesim::report::summary::SUMMARY_HEADER.split(',').count());
}

#[test]
fn completed_counts_every_success_even_after_the_pod_gc() {
    // trace-capacity-wait: ten tasks, all Succeeded by 30 m.
    let scn = kubesim::scenario::load(std::path::Path::new("scenarios/trace-capacity-wait.yaml")).unwrap();
    let res = run(&scn, RunOptions { summary: true, ..Default::default() });
    let s = res.summary.unwrap();
    assert_eq!((s.nodes, s.pods_created, s.pods_completed), (4, 10, 10));
    assert_eq!(res.sim.observers.stats.pods_completed, 10);
    assert_eq!(format!("{:.4}", s.node_hours), "2.0000");
    // task-8 and task-9 wait ≈ 600 s for room (see the scenario).
    let max = s.sched_latency[3].unwrap().as_secs_f64();
    assert!((590.0..610.0).contains(&max), "{}", max);
}
