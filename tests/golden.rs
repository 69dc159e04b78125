//! Golden tests: the walkthroughs of Kubernetes in Action chapters 2–4 (the
//! commands the book runs — get pods/nodes/rc/rs, `-o wide`, `-o yaml`,
//! describe pod/node/rc/rs, logs) on scenarios written from its manifests,
//! compared byte for byte with `tests/golden/<case>.txt`.
//!
//! Each file starts with the command line (`# kubesim …`), then kubesim's
//! stdout. The expected outputs were checked, table by table and describe
//! block by block, against kubectl v1.32's printers
//! (`pkg/printers/internalversion/printers.go`,
//! `staging/src/k8s.io/kubectl/pkg/describe/describe.go`).
//!
//! After an intended change of output, regenerate them and review the diff:
//! `KUBESIM_BLESS=1 cargo test --release --test main golden`.

use crate::{kubesim, root, stderr, stdout};

const CH02: &str = "tests/golden/scenarios/ch02-kubia.yaml";
const CH03: &str = "tests/golden/scenarios/ch03-labels.yaml";
const RC_SCALE: &str = "scenarios/rc-scale-up-down.yaml";
const RC_RELABEL: &str = "scenarios/relabel-pod-out-of-rc.yaml";
const RS: &str = "scenarios/replicaset-delete-pods.yaml";
const LIVENESS: &str = "scenarios/liveness-unhealthy-kubia.yaml";
const CAPACITY: &str = "scenarios/trace-capacity-wait.yaml";
const GPU: &str = "scenarios/extended-resource-gpu.yaml";
const SVC: &str = "scenarios/services-kubia.yaml";
const READY_EP: &str = "scenarios/readiness-endpoints.yaml";
const ROLLING: &str = "scenarios/deployment-rolling-update.yaml";
const STALLED: &str = "scenarios/deployment-stalled-rollout.yaml";
const SSD: &str = "scenarios/daemonset-ssd-monitor.yaml";
const BATCH: &str = "tests/golden/scenarios/ch04-batch.yaml";

/// (golden file name, kubesim arguments).
const CASES: &[(&str, &[&str])] = &[
    // Chapter 4: Jobs (one completion; five, two at a time) and a CronJob.
    ("ch04-get-jobs", &["get", "jobs", "--at", "1m", BATCH]),
    ("ch04-get-jobs-wide", &["get", "jobs", "-o", "wide", "--at", "8m", BATCH]),
    ("ch04-get-pods-jobs", &["get", "pods", "--at", "2m10s", BATCH]),
    ("ch04-describe-job", &["describe", "job", "multi-completion-batch-job", "--at", "8m", BATCH]),
    ("ch04-get-job-yaml", &["get", "job", "batch-job", "-o", "yaml", "--at", "3m", BATCH]),
    ("ch04-get-cronjobs", &["get", "cronjobs", "--at", "16m", BATCH]),
    ("ch04-describe-cronjob", &["describe", "cronjob", "batch-job-every-fifteen-minutes", "--at", "16m", BATCH]),
    // Chapter 4: a DaemonSet on the nodes labelled disk=ssd.
    ("ch04-get-ds-wide", &["get", "ds", "-o", "wide", "--at", "2m10s", SSD]),
    ("ch04-get-ds-yaml", &["get", "ds", "ssd-monitor", "-o", "yaml", "--at", "2m10s", SSD]),
    ("ch04-get-pods-ds", &["get", "pods", "-o", "wide", "--at", "3m10s", SSD]),
    ("ch04-describe-ds", &["describe", "ds", "ssd-monitor", "--at", "3m10s", SSD]),
    // Chapter 9: Deployments, a rolling update and a rollout that stalls.
    ("ch09-get-deploy-rs-rolling", &["get", "deploy,rs", "-o", "wide", "--at", "1m5s", ROLLING]),
    ("ch09-get-deploy-yaml", &["get", "deploy", "kubia", "-o", "yaml", "--at", "12m", STALLED]),
    ("ch09-describe-deploy-stalled", &["describe", "deploy", "kubia", "--at", "12m", STALLED]),
    ("ch09-rollout-status-waiting", &["rollout", "status", "deployment/kubia", "--at", "1m5s", STALLED]),
    ("ch09-rollout-status-done", &["rollout", "status", "deployment/kubia", "--at", "14m", STALLED]),
    ("ch09-rollout-history", &["rollout", "history", "deployment/kubia", "--at", "14m", STALLED]),
    (
        "ch09-rollout-history-revision",
        &["rollout", "history", "deployment/kubia", "--revision", "2", "--at", "14m", STALLED],
    ),
    (
        "ch09-get-events-rolling",
        &["get", "events", "--field-selector", "involvedObject.kind=Deployment", "--at", "2m", ROLLING],
    ),
    // Chapter 2: the first pod, the nodes, the RC and scaling.
    ("ch02-get-nodes", &["get", "nodes", "--at", "1m", CH02]),
    ("ch02-get-pods", &["get", "pods", "--at", "1m", CH02]),
    ("ch02-get-pods-wide", &["get", "pods", "-o", "wide", "--at", "1m", CH02]),
    ("ch02-describe-pod", &["describe", "pod", "kubia", "--at", "1m", CH02]),
    ("ch02-describe-node", &["describe", "node", "node-3", "--at", "1m", CH02]),
    ("ch02-logs", &["logs", "kubia", "--at", "10s", CH02]),
    ("ch02-get-rc", &["get", "rc", "--at", "2m", RC_SCALE]),
    ("ch02-get-pods-scaled", &["get", "pods", "-o", "wide", "--at", "1m10s", RC_SCALE]),
    // Chapter 3: labels, selectors, node selectors, deletion by label.
    ("ch03-get-pods-selector", &["get", "pods", "-l", "creation_method=manual", "--at", "1m", CH03]),
    ("ch03-get-pod-yaml", &["get", "pod", "kubia-manual-v2", "-o", "yaml", "--at", "1m", CH03]),
    ("ch03-describe-pod-pending", &["describe", "pod", "kubia-gpu", "--at", "1m", CH03]),
    ("ch03-describe-pod-terminating", &["describe", "pod", "kubia-manual-v2", "--at", "2m10s", CH03]),
    ("ch03-get-pods-terminating", &["get", "pods", "--at", "2m10s", CH03]),
    // Chapter 4: liveness probes, ReplicationControllers, ReplicaSets.
    ("ch04-get-pods-liveness", &["get", "pods", "--at", "4m", LIVENESS]),
    ("ch04-describe-pod-liveness", &["describe", "pod", "kubia-liveness", "--at", "4m", LIVENESS]),
    ("ch04-logs-previous", &["logs", "kubia-liveness", "--previous", "--at", "4m", LIVENESS]),
    ("ch04-describe-rc", &["describe", "rc", "kubia", "--at", "2m30s", RC_RELABEL]),
    ("ch04-get-rc-wide", &["get", "rc", "-o", "wide", "--at", "2m30s", RC_RELABEL]),
    ("ch04-get-rs-wide", &["get", "rs", "-o", "wide", "--at", "50s", RS]),
    ("ch04-describe-rs", &["describe", "rs", "kubia", "--at", "2m", RS]),
    ("ch04-get-rs-yaml", &["get", "rs", "kubia", "-o", "yaml", "--at", "50s", RS]),
    // A node with requests against it, and a pod that fits nowhere.
    ("node-with-requests", &["describe", "node", "worker-1", "--at", "30s", CAPACITY]),
    ("pod-insufficient-cpu", &["describe", "pod", "task-9", "--at", "30s", CAPACITY]),
    // GPUs as an extended resource: capacity, allocated, requests/limits,
    // and the kubelet's OutOf<resource> status.
    ("gpu-describe-node", &["describe", "node", "gpu-node", "--at", "1m30s", GPU]),
    ("gpu-describe-pod-pending", &["describe", "pod", "cuda-vector-add-3", "--at", "1m30s", GPU]),
    ("gpu-get-pods", &["get", "pods", "-o", "wide", "--at", "1m30s", GPU]),
    // Chapter 5: every kind of Service, as `get svc` and `-o yaml` show them.
    ("ch05-get-svc-wide", &["get", "svc", "-o", "wide", "--at", "1m", SVC]),
    ("ch05-get-svc-named-yaml", &["get", "svc", "kubia-named", "-o", "yaml", "--at", "1m", SVC]),
    ("ch05-get-svc-nodeport-yaml", &["get", "service", "kubia-nodeport", "-o", "yaml", "--at", "1m", SVC]),
    // Readiness in and out of the Service's Endpoints.
    ("ch05-get-endpoints-none-ready", &["get", "endpoints", "--at", "50s", READY_EP]),
    ("ch05-get-endpoints-one-ready", &["get", "ep", "kubia", "--at", "1m5s", READY_EP]),
    ("ch05-get-endpoints-yaml", &["get", "endpoints", "kubia", "-o", "yaml", "--at", "1m5s", READY_EP]),
    ("ch05-get-endpointslices", &["get", "endpointslices", "--at", "1m5s", READY_EP]),
    ("ch05-describe-svc", &["describe", "svc", "kubia", "--at", "1m5s", READY_EP]),
    ("ch05-describe-svc-nodeport", &["describe", "service", "kubia-nodeport", "--at", "1m", SVC]),
    ("ch05-describe-svc-externalname", &["describe", "svc", "external-service", "--at", "1m", SVC]),
];

#[test]
fn book_walkthroughs_match_their_golden_output() {
    let bless = std::env::var_os("KUBESIM_BLESS").is_some();
    let dir = root().join("tests/golden");
    let mut failures = Vec::new();
    for (name, args) in CASES {
        let out = kubesim(args);
        assert!(out.status.success(), "kubesim {}: exit {:?}\n{}", args.join(" "), out.status, stderr(&out));
        let got = format!("# kubesim {}\n{}", args.join(" "), stdout(&out));
        let path = dir.join(format!("{}.txt", name));
        if bless {
            std::fs::write(&path, &got).expect("write golden file");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            let line = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(want.lines().count());
            failures.push(format!(
                "{}: first difference at line {}\n  want: {:?}\n  got:  {:?}",
                path.display(),
                line + 1,
                want.lines().nth(line).unwrap_or("<end>"),
                got.lines().nth(line).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden file(s) differ (after an intended change: KUBESIM_BLESS=1 cargo test --release --test main golden):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every golden file belongs to a case (a renamed case leaves none behind).
#[test]
fn every_golden_file_has_a_case() {
    let dir = root().join("tests/golden");
    for e in std::fs::read_dir(&dir).expect("tests/golden") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "txt") {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            assert!(CASES.iter().any(|(n, _)| *n == stem), "{} has no case in tests/golden.rs", p.display());
        }
    }
}

/// kubectl's NotFound wording for each kind `describe` serves; a kind it
/// does not serve is a usage error (exit 2).
#[test]
fn describe_errors_are_kubectls() {
    for (kind, resource) in [
        ("node", "nodes"),
        ("pod", "pods"),
        ("rc", "replicationcontrollers"),
        ("rs", "replicasets.apps"),
        ("svc", "services"),
        ("deploy", "deployments.apps"),
        ("ds", "daemonsets.apps"),
    ] {
        let o = kubesim(&["describe", kind, "nosuch", "--at", "10s", CH02]);
        assert_eq!(o.status.code(), Some(1), "describe {}", kind);
        assert_eq!(
            stderr(&o).lines().last().unwrap_or(""),
            format!("Error from server (NotFound): {} \"nosuch\" not found", resource)
        );
    }
    let o = kubesim(&["describe", "sts", "kubia", CH02]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("supported: pod, node, rc, rs, svc, deploy, ds"), "{}", stderr(&o));
}

/// The golden scenarios' own expectations hold, and two runs agree.
#[test]
fn golden_scenarios_pass_their_expectations() {
    for s in [CH02, CH03] {
        let a = kubesim(&["run", s, "--quiet"]);
        assert_eq!(a.status.code(), Some(0), "{}: {}", s, stdout(&a));
        let b = kubesim(&["run", s, "--quiet"]);
        let hash = |o: &std::process::Output| stdout(o).lines().find(|l| l.starts_with("trace-hash")).map(String::from);
        assert!(hash(&a).is_some(), "{}: no trace hash", s);
        assert_eq!(hash(&a), hash(&b), "{}: two runs differ", s);
    }
}
