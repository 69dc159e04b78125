//! Bad input gets a clear error naming the file, line and field, and exit
//! code 2 — never a panic.

use crate::cli::tempdir;
use crate::{kubesim, stderr};
use proptest::prelude::*;

const GOOD: &str = "\
name: ok
seed: 1
duration: 2m
cluster:
  nodes:
    - namePrefix: node
      count: 2
      capacity: {cpu: \"2\", memory: 4Gi}
objects:
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: web}
    spec:
      replicas: 2
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: c, image: nginx:1.25}]
timeline:
  - at: 30s
    crashNode: node-1
expect:
  - at: 1m
    pods: {selector: app=web}
    count: 2
";

/// Writes `text` as a scenario and runs `validate`; returns (code, stderr).
fn validate(tag: &str, text: &str, extra: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let dir = tempdir(tag);
    for (name, body) in extra {
        std::fs::write(dir.join(name), body).unwrap();
    }
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, text).unwrap();
    let o = kubesim(&["validate", path.to_str().unwrap()]);
    (o.status.code(), stderr(&o), path.display().to_string())
}

fn expect_error(tag: &str, text: &str, line: usize, needles: &[&str]) {
    let (code, err, path) = validate(tag, text, &[]);
    assert_eq!(code, Some(2), "{}: {}", tag, err);
    assert!(err.contains(&format!("{}:{}:", path, line)), "{}: no `{}:{}:` in\n{}", tag, path, line, err);
    for n in needles {
        assert!(err.contains(n), "{}: no `{}` in\n{}", tag, n, err);
    }
    assert!(!err.contains("panicked"), "{}", err);
}

#[test]
fn the_good_scenario_is_good() {
    let (code, err, _) = validate("good", GOOD, &[]);
    assert_eq!(code, Some(0), "{}", err);
}

#[test]
fn malformed_yaml() {
    expect_error("yaml", &GOOD.replace("count: 2\n      capacity", "count: [2\n      capacity"), 8, &["invalid YAML"]);
}

#[test]
fn unknown_kind() {
    expect_error(
        "kind",
        &GOOD.replace("kind: ReplicationController", "kind: Frobnicator"),
        11,
        &["objects[0].kind", "no matches for kind \"Frobnicator\" in version \"v1\""],
    );
}

#[test]
fn bad_quantity() {
    expect_error(
        "quantity",
        &GOOD.replace("cpu: \"2\"", "cpu: \"2x\""),
        8,
        &["cluster.nodes[0].capacity.cpu", "`2x` is not a Kubernetes quantity"],
    );
}

#[test]
fn negative_replicas() {
    expect_error(
        "replicas",
        &GOOD.replace("replicas: 2", "replicas: -1"),
        14,
        &["objects[0].spec.replicas", "must be greater than or equal to 0"],
    );
}

#[test]
fn unknown_node_in_timeline() {
    expect_error(
        "node",
        &GOOD.replace("crashNode: node-1", "crashNode: node-9"),
        21,
        &["timeline[0].crashNode", "unknown node `node-9`"],
    );
}

#[test]
fn missing_manifest_file() {
    let text = GOOD.replace(
        "  - apiVersion: v1\n    kind: ReplicationController",
        "  - file: nowhere.yaml\n  - apiVersion: v1\n    kind: ReplicationController",
    );
    expect_error("missing", &text, 10, &["objects[0].file", "cannot read", "nowhere.yaml"]);
}

#[test]
fn missing_scenario_file() {
    let o = kubesim(&["run", "no/such/scenario.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/scenario.yaml: cannot read file"), "{}", stderr(&o));
}

#[test]
fn typo_in_a_scenario_key() {
    expect_error("typo", &GOOD.replace("timeline:", "timline:"), 19, &["unknown field `timline`"]);
}

#[test]
fn duration_without_unit() {
    expect_error("unit", &GOOD.replace("at: 30s", "at: 30"), 20, &["timeline[0].at", "has no unit"]);
}

#[test]
fn bad_kubectl_line() {
    expect_error(
        "kubectl",
        &GOOD.replace("crashNode: node-1", "kubectl: scale rc web --replicas=many"),
        21,
        &["timeline[0].kubectl", "--replicas must be an integer"],
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let text = GOOD.replace("cpu: \"2\"", "cpu: lots").replace("crashNode: node-1", "crashNode: node-9");
    let (code, err, _) = validate("many", &text, &[]);
    assert_eq!(code, Some(2));
    assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 2, "{}", err);
}

#[test]
fn manifest_file_errors_name_that_file() {
    let manifest = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: x}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: y}}\n    spec: {containers: [{name: c, image: i}]}\n";
    let text = GOOD.replace(
        "  - apiVersion: v1\n    kind: ReplicationController",
        "  - file: rs.yaml\n  - apiVersion: v1\n    kind: ReplicationController",
    );
    let (code, err, path) = validate("rsfile", &text, &[("rs.yaml", manifest)]);
    assert_eq!(code, Some(2));
    let rs = path.replace("scenario.yaml", "rs.yaml");
    assert!(err.contains(&format!("{}:8:", rs)) && err.contains("spec.template.metadata.labels"), "{}", err);
    assert!(err.contains("does not match template"), "{}", err);
}

#[test]
fn unmodelled_fields_and_kinds_are_reported_not_rejected() {
    let text = GOOD.replace(
        "          containers: [{name: c, image: nginx:1.25}]",
        "          containers: [{name: c, image: nginx:1.25, env: [{name: A, value: b}]}]\n          volumes: []",
    ) + "";
    let text = text.replace(
        "objects:\n",
        "objects:\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: web}\n    spec: {selector: {app: web}, ports: [{port: 80}]}\n",
    );
    let (code, err, _) = validate("lenient", &text, &[]);
    assert_eq!(code, Some(0), "{}", err);
    assert!(err.contains("kind Service is stored but not simulated"), "{}", err);
    assert!(err.contains("env: field not simulated"), "{}", err);
    assert!(err.contains("volumes: field not simulated"), "{}", err);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Fuzz the loader: any edit of a valid scenario loads or fails with
    /// errors — it never panics.
    #[test]
    fn loader_never_panics(pos in 0usize..GOOD.len(), len in 0usize..12, insert in "[ -~\n]{0,12}") {
        let mut text = GOOD.to_string();
        let start = (0..=pos).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let end = (start + len).min(text.len());
        let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        text.replace_range(start..end, &insert);
        if let Ok(s) = kubesim::scenario::load_str(&text, "fuzz.yaml", std::path::Path::new(".")) {
            // Whatever loads must also run.
            let _ = kubesim::runner::run(&s, kubesim::runner::RunOptions::default());
        }
    }
}

#[test]
fn malformed_probes() {
    let probe = |p: &str| GOOD.replace("image: nginx:1.25}]", &format!("image: nginx:1.25, {}}}]", p));
    expect_error(
        "probe-none",
        &probe("livenessProbe: {periodSeconds: 5}"),
        18,
        &["livenessProbe", "exactly one handler"],
    );
    expect_error(
        "probe-two",
        &probe("readinessProbe: {exec: {command: [ls]}, tcpSocket: {port: 80}}"),
        18,
        &["readinessProbe", "exactly one handler"],
    );
    expect_error(
        "probe-zero",
        &probe("livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 0}"),
        18,
        &["livenessProbe.periodSeconds", "greater than or equal to 1"],
    );
    expect_error(
        "probe-success",
        &probe("livenessProbe: {tcpSocket: {port: 80}, successThreshold: 2}"),
        18,
        &["livenessProbe.successThreshold", "must be 1 for a liveness probe"],
    );
    expect_error(
        "probe-port",
        &probe("livenessProbe: {httpGet: {path: /, port: 99999}}"),
        18,
        &["livenessProbe.httpGet.port"],
    );
    expect_error(
        "probe-typo",
        &probe("livenessProbe: {tcpSocket: {port: 80}, periodSecond: 3}"),
        18,
        &["unknown field `periodSecond`"],
    );
}

#[test]
fn malformed_behavior_annotation() {
    let text = GOOD.replace(
        "        metadata: {labels: {app: web}}",
        "        metadata: {labels: {app: web}, annotations: {kubesim.io/behavior: \"{listenAfter: soon}\"}}",
    );
    expect_error("behavior", &text, 16, &["kubesim.io/behavior", "listenAfter", "not a duration"]);
}

#[test]
fn malformed_image_behaviours() {
    let with = |images: &str| GOOD.replace("objects:\n", &format!("images:\n{}\nobjects:\n", images));
    expect_error(
        "img-sigterm",
        &with("  nginx: {sigterm: maybe}"),
        10,
        &["images.nginx.sigterm", "expected `exit`, `ignore`"],
    );
    expect_error(
        "img-http",
        &with("  nginx: {http: {failAfterRequests: 5}}"),
        10,
        &["images.nginx.http.port", "needs a port"],
    );
    expect_error("img-key", &with("  nginx: {pul: 3s}"), 10, &["unknown field `pul`"]);
    expect_error("img-mem", &with("  nginx: {memory: {start: lots}}"), 10, &["images.nginx.memory.start"]);
}

#[test]
fn undescribed_images_are_reported() {
    let (code, err, _) = validate("undescribed", GOOD, &[]);
    assert_eq!(code, Some(0));
    assert!(err.contains("image nginx:1.25 is not described under images:"), "{}", err);
}

#[test]
fn unknown_exec_probe_commands_warn() {
    let text = GOOD
        .replace("image: nginx:1.25}]", "image: nginx:1.25, livenessProbe: {exec: {command: [curl, -f, localhost]}}}]");
    let (code, err, _) = validate("exec-probe", &text, &[]);
    assert_eq!(code, Some(0), "{}", err);
    assert!(err.contains("exec probe `curl -f localhost` of container c is not a simulated command"), "{}", err);
}
