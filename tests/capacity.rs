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

mod sweep {
    use crate::cli::tempdir;
    use crate::{kubesim, stderr};

    const SCN: &str = "scenarios/trace-capacity-wait.yaml";
    const SET: &str = "cluster.nodes[0].count=3,4,5";

    fn sweep(tag: &str, extra: &[&str]) -> (Option<i32>, String, String) {
        let out = tempdir(tag);
        let mut args = vec!["sweep", SCN, "--set", SET, "--seeds", "2", "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = kubesim(&args);
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
        let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap_or_default();
        (o.status.code(), csv, out.display().to_string())
    }

    #[test]
    fn the_output_does_not_depend_on_the_threads_or_the_shards() {
        let (code, one, _) = sweep("sweep-j1", &["--jobs", "1"]);
        assert_eq!(code, Some(0));
        let (_, two, _) = sweep("sweep-j2", &["--jobs", "2"]);
        assert_eq!(one, two, "--jobs 1 and --jobs 2 write the same bytes");
        let lines: Vec<&str> = one.lines().collect();
        assert_eq!(lines.len(), 7, "header and 3 values × 2 seeds:\n{}", one);
        assert!(lines[0].starts_with("run,seed,cluster.nodes[0].count,nodes,pods_created,"));
        assert!(lines[0].ends_with(",node_hours,error"));
        assert!(lines[1].starts_with("1,1,3,3,10,10,"), "{}", lines[1]);
        assert!(lines[6].starts_with("6,2,5,5,10,10,"), "{}", lines[6]);
        // Node-hours follow the swept count: 30 minutes × N.
        assert!(lines[3].contains(",2.0000,"), "{}", lines[3]);
        // Three shards, merged, give the single machine's file.
        let dirs: Vec<String> =
            (0..3).map(|i| sweep(&format!("sweep-s{}", i), &["--shard", &format!("{}/3", i)]).2).collect();
        let merged = tempdir("sweep-merged");
        let mut args = vec!["sweep-merge"];
        args.extend(dirs.iter().map(String::as_str));
        args.extend(["--out", merged.to_str().unwrap()]);
        let o = kubesim(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(merged.join("sweep.csv")).unwrap(), one);
        // A shard missing is an error, not a short file.
        let o = kubesim(&["sweep-merge", &dirs[0], &dirs[1], "--out", merged.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("is in no shard"), "{}", stderr(&o));
    }

    #[test]
    fn a_run_that_fails_is_a_row_and_the_sweep_exits_1() {
        let out = tempdir("sweep-bad-value");
        let o = kubesim(&["sweep", SCN, "--set", "cluster.nodes[0].count=abc,2", "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert!(rows[1].starts_with("1,1,abc,,"), "{}", rows[1]);
        assert!(rows[1].contains("cluster.nodes[0].count: expected an integer"), "{}", rows[1]);
        assert!(rows[2].starts_with("2,1,2,2,10,"), "{}", rows[2]);
    }

    #[test]
    fn bad_sweep_arguments_are_clear_errors_with_exit_2() {
        let out = tempdir("sweep-bad-args");
        let o = out.to_str().unwrap();
        for (args, needle) in [
            (vec!["--set", "nopath"], "expected PATH=V1,V2"),
            (vec!["--set", "cluster.nodes[x].count=1"], "is not a list index"),
            (vec!["--set", "cluster.nodes[3].count=1"], "index 3 is out of range"),
            (vec!["--set", "cluster.nodes[0].count.deeper=1"], "is not in a mapping"),
            (vec!["--set", "cluster.nodes[0].count=1", "--shard", "3/3"], "0 <= I < N"),
            (vec!["--set", "cluster.nodes[0].count=1", "--seeds", "0"], "--seeds"),
        ] {
            let mut a = vec!["sweep", SCN, "--out", o];
            a.extend(args.iter());
            let r = kubesim(&a);
            assert_eq!(r.status.code(), Some(2), "{:?}: {}", args, stderr(&r));
            assert!(stderr(&r).contains(needle), "{:?}: {}", args, stderr(&r));
            assert!(!stderr(&r).contains("panicked"));
        }
    }
}
