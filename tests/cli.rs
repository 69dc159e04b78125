//! The command line as a user meets it.

use crate::{kubesim, rel, scenario_files, stderr, stdout};

const NODE_DIES: &str = "scenarios/node-dies-rc-reschedules.yaml";

#[test]
fn run_prints_timeline_verdicts_and_the_hash_last() {
    let o = kubesim(&["run", NODE_DIES]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("TIME") && out.contains("NodeNotReady") && out.contains("TaintManagerEviction"));
    assert!(out.contains("PASS") && !out.contains("FAIL"));
    let last = out.lines().last().expect("output");
    let hash = last.strip_prefix("trace-hash: ").expect("trace-hash last");
    assert_eq!(hash.len(), 16);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    // Same seed, same hash through the binary too.
    let again = stdout(&kubesim(&["run", "--quiet", NODE_DIES]));
    assert_eq!(again.lines().last(), Some(last));
}

#[test]
fn a_failed_expectation_exits_1() {
    let dir = tempdir("fail");
    let path = dir.join("s.yaml");
    std::fs::write(
        &path,
        "name: wrong\nseed: 1\nduration: 1m\ncluster:\n  nodes: [{name: n1}]\nobjects:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p}\n    spec: {containers: [{name: c, image: busybox}]}\nexpect:\n  - at: 30s\n    pods: {status: Running}\n    count: 2\n",
    )
    .unwrap();
    let o = kubesim(&["run", "-q", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("FAIL  at 30s: 2 pod(s) with status Running (line 12): found 1 [p]"), "{}", stdout(&o));
}

#[test]
fn get_pods_shows_what_kubectl_would() {
    let o = kubesim(&["get", "pods", "-o", "wide", "--at", "8m", NODE_DIES]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    let header: Vec<&str> = lines.next().unwrap().split("   ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(
        header,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4);
    let terminating: Vec<&&str> = rows.iter().filter(|r| r.contains("Terminating")).collect();
    assert_eq!(terminating.len(), 1);
    assert!(terminating[0].contains("node-1"));
    assert_eq!(rows.iter().filter(|r| r.contains(" Running ")).count(), 3);
}

#[test]
fn get_nodes_and_rc() {
    let out = stdout(&kubesim(&["get", "nodes", "--at", "3m", NODE_DIES]));
    assert!(out.lines().any(|l| l.starts_with("node-1") && l.contains("NotReady")), "{}", out);
    assert_eq!(out.lines().filter(|l| l.contains(" Ready ")).count(), 2, "{}", out);
    let out = stdout(&kubesim(&["get", "rc", "kubia", "--at", "1m", NODE_DIES]));
    assert!(
        out.starts_with("NAME    DESIRED   CURRENT   READY   AGE\nkubia   3         3         3       60s"),
        "{}",
        out
    );
    let o = kubesim(&["get", "pods", "nope", "--at", "1m", NODE_DIES]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NotFound"));
    let o = kubesim(&["get", "pods", "-l", "app=kubia", "--at", "1m", NODE_DIES]);
    assert_eq!(stdout(&o).lines().count(), 4);
}

#[test]
fn validate_trace_and_csv() {
    let o = kubesim(&["validate", NODE_DIES]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("valid (3 nodes, 1 objects, 1 timeline entries"));
    let dir = tempdir("out");
    let trace = dir.join("t.jsonl");
    let csv = dir.join("csv");
    let o = kubesim(&[
        "run",
        "-q",
        "scenarios/trace-capacity-wait.yaml",
        "--trace",
        trace.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--sample",
        "1m",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&trace).unwrap().lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert!(lines.iter().any(|l| l["type"] == "write" && l["verb"] == "CREATE" && l["kind"] == "Pod"));
    assert!(lines.iter().any(|l| l["type"] == "event" && l["reason"] == "FailedScheduling"));
    let ts = std::fs::read_to_string(csv.join("timeseries.csv")).unwrap();
    assert_eq!(ts.lines().next().unwrap(), kubesim::report::csv::TIMESERIES_HEADER);
    assert_eq!(ts.lines().count(), 1 + 31, "0..=30 minutes every minute");
    let pods = std::fs::read_to_string(csv.join("pods.csv")).unwrap();
    assert_eq!(pods.lines().count(), 11);
    assert!(pods.lines().all(|l| l.starts_with("name,") || l.ends_with(",Succeeded")), "{}", pods);
}

pub fn tempdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("kubesim-test-{}-{}", tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_refused_drain_is_reported_like_kubectl() {
    let o = kubesim(&["run", "scenarios/drain-node.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.contains("unable to drain")).expect("drain error in the timeline");
    assert!(
        line.starts_with("1m0s") && line.contains("default/kubia-manual") && line.contains("use --force"),
        "{}",
        line
    );
}

#[test]
fn get_json_and_yaml_show_the_api_objects() {
    let o = kubesim(&["get", "nodes", "node-1", "-o", "json", "--at", "3m", NODE_DIES]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let node: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(node["kind"], "Node");
    assert_eq!(node["status"]["conditions"][0]["status"], "Unknown");
    assert_eq!(node["status"]["conditions"][0]["reason"], "NodeStatusUnknown");
    assert_eq!(node["status"]["conditions"][0]["lastTransitionTime"], "1970-01-01T00:02:50Z");
    let taints = node["spec"]["taints"].as_array().expect("taints");
    assert!(taints.iter().any(|t| t["key"] == "node.kubernetes.io/unreachable" && t["effect"] == "NoExecute"));

    let o = kubesim(&["get", "pods", "-o", "yaml", "--at", "8m", NODE_DIES]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let docs = kubesim::scenario::yaml::parse_documents(&stdout(&o)).expect("valid YAML");
    let list = docs[0].to_json();
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    let terminating: Vec<_> = items.iter().filter(|p| !p["metadata"]["deletionTimestamp"].is_null()).collect();
    assert_eq!(terminating.len(), 1);
    // Evicted at 475.015 s with the default 30 s grace period.
    assert_eq!(terminating[0]["metadata"]["deletionTimestamp"], "1970-01-01T00:08:25Z");
    assert_eq!(terminating[0]["status"]["conditions"][0]["type"], "DisruptionTarget");

    let o = kubesim(&["get", "pods", "-o", "name", NODE_DIES]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn describe_and_logs_explain_a_liveness_restart() {
    const LIVENESS: &str = "scenarios/liveness-unhealthy-kubia.yaml";
    let o = kubesim(&["describe", "pod", "kubia-liveness", "--at", "2m", LIVENESS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for needle in [
        "Last State:     Terminated",
        "Reason:       Error",
        "Exit Code:    137",
        "Restart Count:  1",
        "Liveness:       http-get http://:8080/ delay=0s timeout=1s period=10s #success=1 #failure=3",
        "Liveness probe failed: HTTP probe failed with statuscode: 500",
        "(x3 over",
        "Container kubia failed liveness probe, will be restarted",
    ] {
        assert!(out.contains(needle), "no `{}` in\n{}", needle, out);
    }
    let prev = stdout(&kubesim(&["logs", "kubia-liveness", "--previous", "--at", "2m", LIVENESS]));
    let lines: Vec<&str> = prev.lines().collect();
    assert!(lines[0].contains("started luksa/kubia-unhealthy"), "{}", prev);
    assert_eq!(lines.iter().filter(|l| l.contains("-> 200")).count(), 5, "{}", prev);
    assert_eq!(lines.iter().filter(|l| l.contains("-> 500")).count(), 3, "{}", prev);
    assert!(
        prev.contains("received SIGTERM (not handled)") && lines.last().unwrap().contains("exited with code 137"),
        "{}",
        prev
    );
    let o = kubesim(&["logs", "kubia-liveness", "--previous", "--at", "1m", LIVENESS]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("previous terminated container \"kubia\" in pod \"kubia-liveness\" not found"));
}

#[test]
fn get_without_a_seed_reports_the_drawn_one_so_it_can_be_repeated() {
    let dir = tempdir("drawn");
    let path = dir.join("s.yaml");
    std::fs::write(
        &path,
        "name: unseeded\nduration: 1m\ncluster:\n  nodes: [{name: n1}, {name: n2}]\nobjects:\n  - apiVersion: v1\n    kind: ReplicationController\n    metadata: {name: rc}\n    spec:\n      replicas: 4\n      selector: {app: a}\n      template:\n        metadata: {labels: {app: a}}\n        spec: {containers: [{name: c, image: busybox}]}\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let o = kubesim(&["get", "pods", "-o", "wide", p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let seed = err
        .lines()
        .find_map(|l| l.strip_prefix("seed: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no drawn seed on stderr: {err}"));
    assert!(!stdout(&o).contains("seed"), "stdout must stay a kubectl table");
    let again = kubesim(&["get", "pods", "-o", "wide", "--seed", seed, p]);
    assert_eq!(stdout(&again), stdout(&o));
    assert!(stderr(&again).is_empty(), "{}", stderr(&again));
}

/// The hash a `kubesim run` prints last.
fn printed_hash(o: &std::process::Output) -> String {
    let out = stdout(o);
    let last = out.lines().last().unwrap_or("").to_string();
    last.strip_prefix("trace-hash: ").unwrap_or_else(|| panic!("no trace-hash last in:\n{}", out)).to_string()
}

/// Nothing a user asks to see changes what is simulated: every shipped
/// scenario prints the same trace hash with the timeline, without it
/// (`--quiet`), and with the JSONL trace and the CSV files written.
#[test]
fn output_flags_never_change_the_run() {
    let dir = tempdir("output-flags");
    for path in scenario_files() {
        let p = rel(&path);
        let plain = kubesim(&["run", &p]);
        let quiet = kubesim(&["run", &p, "--quiet"]);
        let trace = dir.join("t.jsonl");
        let csv = dir.join("csv");
        let observed = kubesim(&[
            "run",
            &p,
            "--quiet",
            "--trace",
            trace.to_str().expect("utf-8"),
            "--csv",
            csv.to_str().expect("utf-8"),
            "--sample",
            "3s",
        ]);
        let h = printed_hash(&plain);
        assert_eq!(h, printed_hash(&quiet), "{}: --quiet changed the run", p);
        assert_eq!(h, printed_hash(&observed), "{}: --trace/--csv changed the run", p);
        assert_eq!(plain.status.code(), quiet.status.code(), "{}", p);
    }
}

/// The hash `--print-hash` puts on stderr.
fn stderr_hash(o: &std::process::Output) -> String {
    let err = stderr(o);
    err.lines()
        .find_map(|l| l.strip_prefix("trace-hash: "))
        .unwrap_or_else(|| panic!("no trace-hash on stderr:\n{}", err))
        .to_string()
}

/// `get` (which keeps no events), `describe` and `logs` (which keep events
/// and container logs) and `run --until` read one and the same run at a
/// given time, for every shipped scenario.
#[test]
fn get_describe_logs_and_run_read_the_same_run() {
    let mut described = 0;
    for path in scenario_files() {
        let p = rel(&path);
        let at = "95s";
        let run = kubesim(&["run", &p, "--quiet", "--until", at]);
        let h = printed_hash(&run);
        let get = kubesim(&["get", "pods", &p, "--at", at, "-A", "--print-hash"]);
        assert_eq!(h, stderr_hash(&get), "{}: get read another run", p);
        let get_json = kubesim(&["get", "pods", &p, "--at", at, "-o", "json", "--print-hash"]);
        assert_eq!(h, stderr_hash(&get_json), "{}: get -o json read another run", p);
        // describe and logs need a pod: the first one `get` lists.
        let Some(pod) = stdout(&get).lines().nth(1).and_then(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.to_string()))
        }) else {
            continue;
        };
        let (ns, name) = pod;
        let describe = kubesim(&["describe", "pod", &name, &p, "--at", at, "-n", &ns, "--print-hash"]);
        assert_eq!(h, stderr_hash(&describe), "{}: describe read another run", p);
        let logs = kubesim(&["logs", &name, &p, "--at", at, "-n", &ns, "--print-hash"]);
        assert_eq!(h, stderr_hash(&logs), "{}: logs read another run", p);
        described += 1;
    }
    assert!(described >= 10, "only {} scenarios had a pod to describe at 95s", described);
}
