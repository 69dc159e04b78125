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

mod plan {
    use crate::{kubesim, stderr, stdout};
    use kubesim::plan::{needed, Plan, Slo};

    const SCN: &str = "scenarios/trace-capacity-wait.yaml";

    #[test]
    fn the_answer_meets_the_slo_and_one_node_fewer_does_not() {
        // Ten 4-CPU tasks on 8-CPU nodes: five nodes hold them all at once;
        // on four, two tasks wait ≈ 600 s for room.
        let o = kubesim(&["plan", SCN, "--node", "cpu=8,memory=32Gi", "--slo", "pending-p99<=60s", "--seeds", "3"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(out.lines().last(), Some("minimum nodes: 5"), "{}", out);
        // Checked by running both counts again, through the library.
        let plan = Plan {
            scenario: SCN.into(),
            node: vec![("cpu".into(), "8".into()), ("memory".into(), "32Gi".into())],
            slo: Slo::parse("pending-p99<=60s").unwrap(),
            seeds: 3,
            failures: 0,
            fail_at: None,
        };
        let five = plan.evaluate(5, 1, kubesim::component::Registry::new);
        let four = plan.evaluate(4, 1, kubesim::component::Registry::new);
        assert!(five.passes && five.passing >= needed(3), "{:?}", five);
        assert!(!four.passes, "{:?}", four);
        assert!(four.figures.iter().all(|f| *f.as_ref().unwrap() > 500.0), "{:?}", four);
    }

    #[test]
    fn bad_plans_are_clear_errors_with_exit_2() {
        for (args, needle) in [
            (vec!["--node", "cpu=8", "--slo", "p50<=1s"], "unknown metric"),
            (vec!["--node", "cpus=8", "--slo", "no-failed-pods"], "unknown resource"),
            (vec!["--node", "cpu=8", "--slo", "pending-p99<=60"], "--slo"),
            (vec!["--node", "cpu=lots", "--slo", "no-failed-pods"], "cpu"),
            (vec!["--node", "cpu=8", "--slo", "no-failed-pods", "--seeds", "0"], "--seeds"),
        ] {
            let mut a = vec!["plan", SCN];
            a.extend(args.iter());
            let r = kubesim(&a);
            assert_eq!(r.status.code(), Some(2), "{:?}: {}", args, stderr(&r));
            assert!(stderr(&r).contains(needle), "{:?}: {}", args, stderr(&r));
            assert!(!stderr(&r).contains("panicked"));
        }
    }
}

/// deploy/sweep-job.yaml is a valid Indexed Job that kubesim itself loads,
/// and its command line, run here for every completion index with the
/// environment Kubernetes gives the pod, writes shards that merge into
/// exactly the single machine's sweep.csv.
#[test]
fn the_indexed_job_runs_its_shards_and_they_merge_into_one_sweep() {
    use crate::{cli::tempdir, kubesim, root, stderr};
    let job_path = root().join("deploy/sweep-job.yaml");
    let scn = format!(
        "name: the sweep job\ncluster:\n  nodes: [{{name: n1, capacity: {{cpu: \"4\", memory: 8Gi}}}}]\nobjects:\n  - file: {}\n",
        job_path.display()
    );
    let loaded = kubesim::scenario::load_str(&scn, "job.yaml", "/".as_ref()).expect("the Job loads");
    let kubesim::objects::Object::Typed(t) = &loaded.objects[0] else { panic!("a Job is simulated") };
    let job = t.downcast::<kubesim::kinds::job::Job>().expect("a batch/v1 Job");
    assert_eq!(job.spec.completion_mode, kubesim::kinds::job::CompletionMode::Indexed);
    let completions = job.spec.completions.expect("completions") as u64;
    let c = &job.spec.template.spec.containers[0];
    // The environment is not simulated (kept out of the typed Job): read
    // KUBESIM_SHARDS from the manifest's text.
    let text = std::fs::read_to_string(&job_path).unwrap();
    let after = &text[text.find("name: KUBESIM_SHARDS").expect("KUBESIM_SHARDS is set")..];
    let value = after.lines().nth(1).and_then(|l| l.split('"').nth(1)).expect("its value");
    assert_eq!(value.parse::<u64>().unwrap(), completions, "KUBESIM_SHARDS = completions");
    assert_eq!(c.command, ["kubesim"]);
    let out = tempdir("sweep-job");
    let local = |a: &str| a.replace("/scenarios/", "scenarios/").replace("/out/", &format!("{}/", out.display()));
    let mut dirs = Vec::new();
    for i in 0..completions {
        let args: Vec<String> =
            c.args.iter().map(|a| local(&a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string()))).collect();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_kubesim"))
            .args(&args)
            .current_dir(root())
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .env("KUBESIM_SHARDS", completions.to_string())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "shard {}: {}", i, stderr(&o));
        dirs.push(out.join(format!("shard-{}", i)).display().to_string());
    }
    let merged = out.join("merged");
    let mut args = vec!["sweep-merge".to_string()];
    args.extend(dirs);
    args.extend(["--out".to_string(), merged.display().to_string()]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(kubesim(&a).status.code(), Some(0));
    // The same sweep on one machine, no shards.
    let single = out.join("single");
    let all: Vec<String> = c.args.iter().map(|a| local(a)).collect();
    let mut all: Vec<String> = all.into_iter().take_while(|a| a != "--out").collect();
    all.extend(["--out".to_string(), single.display().to_string()]);
    let a: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_eq!(kubesim(&a).status.code(), Some(0));
    let one = std::fs::read_to_string(single.join("sweep.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(merged.join("sweep.csv")).unwrap(), one);
    assert_eq!(one.lines().count(), 1 + 4 * 5, "4 counts × 5 seeds");
}

/// `run --csv DIR` writes the summary and the run's charts beside the
/// CSV files; sweeps and plans draw theirs.
#[test]
fn charts_are_written_as_svg() {
    use crate::{cli::tempdir, kubesim, stderr};
    let dir = tempdir("charts-run");
    let o = kubesim(&["run", "-q", "scenarios/trace-capacity-wait.yaml", "--csv", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(summary.lines().next(), Some(kubesim::report::summary::SUMMARY_HEADER));
    assert!(summary.lines().nth(1).unwrap().starts_with("4,10,10,0,0,"), "{}", summary);
    for f in ["pods.svg", "requested.svg", "sched_latency_cdf.svg"] {
        let svg = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<polyline"), "{}: {}", f, &svg[..svg.len().min(200)]);
    }
    let sweep = tempdir("charts-sweep");
    let o = kubesim(&[
        "sweep",
        "scenarios/trace-capacity-wait.yaml",
        "--set",
        "cluster.nodes[0].count=4,5",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["sched_latency_p99_s-vs-cluster_nodes_0__count.svg", "pending_p99_s-vs-cluster_nodes_0__count.svg"] {
        assert!(std::fs::read_to_string(sweep.join(f)).unwrap().contains("seed 1"), "{}", f);
    }
    let plan = tempdir("charts-plan");
    let o = kubesim(&[
        "plan",
        "scenarios/trace-capacity-wait.yaml",
        "--node",
        "cpu=8,memory=32Gi",
        "--slo",
        "pending-p99<=60s",
        "--seeds",
        "1",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(plan.join("plan.svg")).unwrap().contains("SLO pending-p99&lt;=60s"));
}

/// The charts the README shows are what the commands it quotes draw
/// today (regenerate them with those commands after an intended change).
#[test]
fn the_readme_charts_are_current() {
    use crate::{cli::tempdir, kubesim, root, stderr};
    let dir = tempdir("readme-charts");
    let plan = dir.join("plan");
    let o = kubesim(&[
        "plan",
        "scenarios/trace-capacity-wait.yaml",
        "--node",
        "cpu=8,memory=32Gi",
        "--slo",
        "pending-p99<=60s",
        "--seeds",
        "3",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sweep = dir.join("sweep");
    let o = kubesim(&[
        "sweep",
        "scenarios/trace-capacity-wait.yaml",
        "--set",
        "cluster.nodes[0].count=3,4,5",
        "--seeds",
        "5",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for (drawn, shown) in [
        (plan.join("plan.svg"), "docs/img/plan.svg"),
        (sweep.join("pending_p99_s-vs-cluster_nodes_0__count.svg"), "docs/img/sweep-pending-p99.svg"),
    ] {
        let drawn = std::fs::read(&drawn).unwrap();
        assert!(drawn == std::fs::read(root().join(shown)).unwrap(), "{shown} is not what the README's command draws");
    }
}
