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
fn bad_partition_and_heal_entries() {
    expect_error(
        "partition-unknown",
        &GOOD.replace("crashNode: node-1", "partitionNode: node-9"),
        21,
        &["timeline[0].partitionNode", "unknown node `node-9`"],
    );
    expect_error(
        "heal-unknown",
        &GOOD.replace("crashNode: node-1", "healNode: node-0"),
        21,
        &["timeline[0].healNode", "unknown node `node-0`"],
    );
    expect_error(
        "heal-not-a-name",
        &GOOD.replace("crashNode: node-1", "healNode: {name: node-1}"),
        21,
        &["timeline[0].healNode"],
    );
    // Both verbs load where crashNode does.
    let both = GOOD.replace(
        "crashNode: node-1",
        "partitionNode: node-1
  - at: 40s
    healNode: node-1",
    );
    let (code, err, _) = validate("partition-good", &both, &[]);
    assert_eq!(code, Some(0), "{}", err);
}

#[test]
fn bad_lease_manifests() {
    let with = |spec: &str| {
        GOOD.replace(
            "objects:\n",
            &format!(
                "objects:\n  - apiVersion: coordination.k8s.io/v1\n    kind: Lease\n    metadata: {{name: l, namespace: default}}\n    spec: {}\n",
                spec
            ),
        )
    };
    expect_error("lease-time", &with("{renewTime: yesterday}"), 13, &["objects[0].spec.renewTime", "invalid time"]);
    expect_error("lease-duration", &with("{leaseDurationSeconds: 0}"), 13, &["objects[0].spec.leaseDurationSeconds"]);
    expect_error("lease-field", &with("{holder: x}"), 13, &["unknown field \"spec.holder\""]);
    let (code, err, _) = validate("lease-good", &with("{holderIdentity: x, renewTime: \"1970-01-01T00:00:01Z\"}"), &[]);
    assert_eq!(code, Some(0), "{}", err);
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
        "          containers: [{name: c, image: nginx:1.25, envFrom: [{configMapRef: {name: web}}], env: [{name: A, value: b}, {name: B, valueFrom: {configMapKeyRef: {name: web, key: a}}}]}]\n          volumes: []",
    ) + "";
    let text = text.replace(
        "objects:\n",
        "objects:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: web}\n    data: {a: b}\n",
    );
    let (code, err, _) = validate("lenient", &text, &[]);
    assert_eq!(code, Some(0), "{}", err);
    assert!(err.contains("kind ConfigMap is stored but not simulated"), "{}", err);
    assert!(err.contains("envFrom: field not simulated"), "{}", err);
    assert!(
        err.contains("env[1].valueFrom: values from ConfigMaps, Secrets and resource fields are not simulated"),
        "{}",
        err
    );
    assert!(err.contains("volumes: field not simulated"), "{}", err);
}

#[test]
fn malformed_env() {
    let env = |e: &str| {
        GOOD.replace(
            "          containers: [{name: c, image: nginx:1.25}]",
            &format!("          containers: [{{name: c, image: nginx:1.25, env: [{}]}}]", e),
        )
    };
    for (e, field, msg) in [
        ("{name: \"A=B\", value: x}", "env[0].name", "printable ASCII characters other than '='"),
        ("{value: x}", "env[0].name", "Required value"),
        ("{name: PORT, value: 80}", "env[0].value", "expected a string"),
        (
            "{name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}",
            "env[0].valueFrom",
            "may not be specified when `value` is not empty",
        ),
        (
            "{name: A, valueFrom: {fieldRef: {fieldPath: status.phase}}}",
            "env[0].valueFrom.fieldRef.fieldPath",
            "Unsupported value: \"status.phase\": supported values: \"metadata.name\"",
        ),
        (
            "{name: A, valueFrom: {fieldRef: {fieldPath: metadata.foo}}}",
            "env[0].valueFrom.fieldRef.fieldPath",
            "error converting fieldPath: field label not supported: metadata.foo",
        ),
        ("{name: A, valueFrom: {}}", "env[0].valueFrom", "Invalid value: \"\": must specify one of"),
        (
            "{name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}, secretKeyRef: {name: s, key: k}}}",
            "env[0].valueFrom",
            "may not have more than one field",
        ),
        ("{name: A, valueFrom: {secretKeyRef: {name: s}}}", "secretKeyRef.key", "Required value"),
        ("{name: A, valueFrom: {configMapKeyRef: {name: Bad_Name, key: k}}}", "configMapKeyRef.name", "Invalid value"),
        ("{name: A, valu: x}", "env[0].valu", "unknown field"),
    ] {
        let (code, err, _) = validate("env", &env(e), &[]);
        assert_eq!(code, Some(2), "{}: {}", e, err);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(lines.len(), 1, "one error for {}: {}", e, err);
        assert!(lines[0].contains(field) && lines[0].contains(msg), "{}: {}", e, err);
    }
    // A name given twice loads, with the apiserver's warning, unless the
    // later value builds on the earlier one.
    let (code, err, _) =
        validate("env-dup", &env("{name: A, value: x}, {name: A, value: y}, {name: A, value: \"$(A):z\"}"), &[]);
    assert_eq!(code, Some(0), "{}", err);
    let warned: Vec<&str> = err.lines().filter(|l| l.contains("hides previous definition")).collect();
    assert_eq!(warned.len(), 1, "{}", err);
    assert!(
        warned[0].contains("env[1]: hides previous definition of \"A\", which may be dropped when using apply"),
        "{}",
        err
    );
    // What v1.32 accepts: relaxed names, an empty value beside valueFrom,
    // the old `spec.host`.
    for e in [
        "{name: 1A, value: x}",
        "{name: \"my var\", value: x}",
        "{name: A, value: \"\", valueFrom: {fieldRef: {fieldPath: metadata.name}}}",
        "{name: A, valueFrom: {fieldRef: {fieldPath: spec.host}}}",
        "{name: A, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}",
    ] {
        let (code, err, _) = validate("env-ok", &env(e), &[]);
        assert_eq!(code, Some(0), "{}: {}", e, err);
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
        &["unknown field \"spec.template.spec.containers[0].livenessProbe.periodSecond\""],
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

// --- Hostile input: limits, checked numbers, strict fields, names ---

/// Runs `validate` and checks exit 2, `file:line:` and every needle.
fn expect_error_at(tag: &str, text: &str, extra: &[(&str, &str)], file: &str, line: usize, needles: &[&str]) {
    let (code, err, path) = validate(tag, text, extra);
    let file = path.replace("scenario.yaml", file);
    assert_eq!(code, Some(2), "{}: {}", tag, err);
    assert!(err.contains(&format!("{}:{}:", file, line)), "{}: no `{}:{}:` in\n{}", tag, file, line, err);
    for n in needles {
        assert!(err.contains(n), "{}: no `{}` in\n{}", tag, n, err);
    }
    assert!(!err.contains("panicked"), "{}", err);
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut bomb = String::from("  x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let mut prev = 'a';
    for c in 'b'..='i' {
        bomb.push_str(&format!(
            "  x-{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
            c = c,
            p = prev
        ));
        prev = c;
    }
    let text = GOOD.replace("images:\n", "").replace("objects:\n", &format!("images:\n{}objects:\n", bomb));
    let started = std::time::Instant::now();
    // The first alias line past the budget is on line 12 or so: check the
    // file, the message, and that it failed at once.
    let (code, err, path) = validate("bomb", &text, &[]);
    assert_eq!(code, Some(2), "{}", err);
    assert!(err.contains(&format!("{}:", path)) && err.contains("document contains excessive aliasing"), "{}", err);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn quantities_beyond_int64_are_field_errors() {
    expect_error(
        "mem16ei",
        &GOOD.replace("memory: 4Gi", "memory: 16Ei"),
        8,
        &["cluster.nodes[0].capacity.memory", "`16Ei` is too large"],
    );
    expect_error(
        "cpu-huge",
        &GOOD.replace("image: nginx:1.25}]", "image: nginx:1.25, resources: {requests: {cpu: 1Ei}}}]"),
        18,
        &["containers[0].resources.requests.cpu", "too large: CPU must be at most 2^63-1 millicores"],
    );
}

#[test]
fn integers_beyond_their_type_are_field_errors() {
    expect_error(
        "replicas-int32",
        &GOOD.replace("replicas: 2", "replicas: 3000000000"),
        14,
        &["objects[0].spec.replicas", "must be less than or equal to 2147483647"],
    );
    expect_error(
        "replicas-int64",
        &GOOD.replace("replicas: 2", "replicas: 99999999999999999999"),
        14,
        &["objects[0].spec.replicas", "out of range"],
    );
    expect_error(
        "probe-int32",
        &GOOD.replace(
            "image: nginx:1.25}]",
            "image: nginx:1.25, livenessProbe: {tcpSocket: {port: 80}, periodSeconds: 4294967297}}]",
        ),
        18,
        &["livenessProbe.periodSeconds", "must be less than or equal to 2147483647"],
    );
    expect_error(
        "host-port",
        &GOOD.replace("image: nginx:1.25}]", "image: nginx:1.25, ports: [{containerPort: 80, hostPort: 65616}]}]"),
        18,
        &["ports[0].hostPort", "must be less than or equal to 65535"],
    );
    expect_error(
        "duration-huge",
        &GOOD.replace("duration: 2m", "duration: 99999999999h"),
        3,
        &["duration", "too large"],
    );
    expect_error(
        "horizon",
        &GOOD.replace("duration: 2m", "duration: 10000h"),
        3,
        &["duration", "must be at most 8784h0m0s"],
    );
}

#[test]
fn a_huge_grace_period_is_legal() {
    // Kubernetes accepts any int64 grace; the store saturates the time.
    let text = GOOD.replace(
        "containers: [{name: c",
        "terminationGracePeriodSeconds: 20000000000\n          containers: [{name: c",
    );
    let (code, err, _) = validate("grace", &text, &[]);
    assert_eq!(code, Some(0), "{}", err);
}

#[test]
fn trace_rows_are_checked() {
    let text = GOOD.replace("timeline:", "workloads:\n  - trace: t.csv\ntimeline:");
    let csv = "arrival,name,cpu,memory,duration\n1,a,100m,16Ei,5\n";
    expect_error_at("csv-mem", &text, &[("t.csv", csv)], "t.csv", 2, &["memory", "`16Ei` is too large"]);
    let csv = "arrival,name,cpu,memory,duration\n1,Pod_1,100m,1Mi,5\n";
    expect_error_at("csv-name", &text, &[("t.csv", csv)], "t.csv", 2, &["name", "Invalid value: \"Pod_1\""]);
    let csv = "arrival,name,cpu,memory,duration\n99999999999999999999,a,100m,1Mi,5\n";
    expect_error_at("csv-arrival", &text, &[("t.csv", csv)], "t.csv", 2, &["arrival", "is not a number of seconds"]);
}

#[test]
fn alibaba_trace_errors_name_their_file_line_and_column() {
    let text = GOOD.replace("timeline:", "workloads:\n  - alibabaGpu2023: {nodes: n.csv, pods: p.csv}\ntimeline:");
    let nodes = "sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0,32000,262144,8,G2\n";
    let head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
    let good = format!("{}p-0,1000,1024,1,500,,LS,Running,0,60,0\n", head);
    let (code, err, _) = validate("ali-good", &text, &[("n.csv", nodes), ("p.csv", &good)]);
    assert_eq!(code, Some(0), "{}", err);
    let bad = format!("{}p-0,1000,1024,1,500,,LS,Running,0,60,0\np-1,1000,1024,1,500,,LS,Running,90,60,\n", head);
    expect_error_at(
        "ali-del",
        &text,
        &[("n.csv", nodes), ("p.csv", &bad)],
        "p.csv",
        3,
        &["deletion_time", "before creation_time"],
    );
    let bad_nodes = "sn,cpu_milli,memory_mib,gpu,model\nnode-1,32000,262144,x,G2\n";
    expect_error_at(
        "ali-gpu",
        &text,
        &[("n.csv", bad_nodes), ("p.csv", &good)],
        "n.csv",
        2,
        &["gpu", "`x` is not a whole number"],
    );
    // The GOOD cluster already has node-1: a trace node of that name is a duplicate.
    let dup = "sn,cpu_milli,memory_mib,gpu,model\nnode-1,32000,262144,8,G2\n";
    expect_error_at(
        "ali-dup",
        &text,
        &[("n.csv", dup), ("p.csv", &good)],
        "scenario.yaml",
        20,
        &["duplicate node name `node-1`"],
    );
    let text2 = GOOD.replace("timeline:", "workloads:\n  - alibabaGpu2023: {nodes: n.csv}\ntimeline:");
    expect_error_at("ali-nopods", &text2, &[("n.csv", nodes)], "scenario.yaml", 20, &["alibabaGpu2023 needs"]);
    let text3 = GOOD.replace("timeline:", "workloads:\n  - {}\ntimeline:");
    expect_error_at(
        "ali-none",
        &text3,
        &[],
        "scenario.yaml",
        20,
        &["a workload needs `trace: FILE.csv` or `alibabaGpu2023"],
    );
    let (code, err, _) = validate("ali-missing", &text, &[]);
    assert_eq!(code, Some(2), "{}", err);
    assert!(err.contains("n.csv: cannot read the node list"), "{}", err);
    assert!(!err.contains("needs at least one node"), "a second error for the same cause: {}", err);
}

#[test]
fn extended_resources_are_validated_as_the_apiserver_does() {
    let pod = |resources: &str| {
        GOOD.replace(
            "objects:\n",
            &format!(
                "objects:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: gpu}}\n    spec:\n      containers: [{{name: c, image: nginx:1.25, resources: {}}}]\n",
                resources
            ),
        )
    };
    let (code, err, _) = validate("ext-ok", &pod("{limits: {nvidia.com/gpu: 1}}"), &[]);
    assert_eq!(code, Some(0), "{}", err);
    expect_error(
        "ext-nolimit",
        &pod("{requests: {nvidia.com/gpu: 1}}"),
        14,
        &["Limit must be set for non overcommitable resources"],
    );
    expect_error(
        "ext-unequal",
        &pod("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}"),
        14,
        &["must be equal to nvidia.com/gpu limit of 2"],
    );
    expect_error("ext-fraction", &pod("{limits: {nvidia.com/gpu: 500m}}"), 14, &["must be an integer"]);
    let node = GOOD.replace("memory: 4Gi}", "memory: 4Gi, nvidia.com/gpu: 1.5}");
    expect_error("ext-node", &node, 8, &["capacity.nvidia.com/gpu", "must be an integer"]);
    let node = GOOD.replace("memory: 4Gi}", "memory: 4Gi, gpu: 1}");
    expect_error("ext-unqualified", &node, 8, &["unknown field `gpu`"]);
}

#[test]
fn endless_input_fails_fast() {
    let o = kubesim(&["run", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/dev/zero: cannot read file: file is larger than the input limit of 64 MiB"),
        "{}",
        stderr(&o)
    );
    let text = GOOD.replace("objects:\n", "objects:\n  - file: /dev/zero\n");
    expect_error("zero-objects", &text, 10, &["objects[0].file", "larger than the input limit of 64 MiB"]);
    let text = GOOD.replace("timeline:", "workloads:\n  - trace: /dev/zero\ntimeline:");
    let (code, err, _) = validate("zero-trace", &text, &[]);
    assert_eq!(code, Some(2), "{}", err);
    assert!(err.contains("/dev/zero: cannot read trace: file is larger than the input limit"), "{}", err);
}

#[test]
fn node_count_is_bounded() {
    let started = std::time::Instant::now();
    expect_error(
        "count",
        &GOOD.replace("count: 2", "count: 100000000"),
        7,
        &["cluster.nodes[0].count", "more than 100000 nodes in all"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn sample_interval_and_horizon_are_bounded() {
    let dir = tempdir("sample");
    let path = dir.join("s.yaml");
    std::fs::write(&path, GOOD).unwrap();
    let csv = dir.join("csv");
    let p = path.to_str().unwrap();
    let o = kubesim(&["run", p, "--sample", "1ns", "--csv", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--sample: must be at least 1ms"), "{}", stderr(&o));
    let o = kubesim(&["run", p, "--until", "8000h", "--sample", "1s", "--csv", csv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--sample: 28800000 samples over 8000h0m0s is more than the limit of 1000000"),
        "{}",
        stderr(&o)
    );
    let o = kubesim(&["run", p, "--until", "9000h"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--until: must be at most 8784h0m0s"), "{}", stderr(&o));
}

#[test]
fn typos_in_known_kinds_are_unknown_fields() {
    expect_error(
        "strict-probe",
        &GOOD.replace("image: nginx:1.25}]", "image: nginx:1.25, livenesProbe: {tcpSocket: {port: 80}}}]"),
        18,
        &[
            "objects[0].spec.template.spec.containers[0].livenesProbe",
            "unknown field \"spec.template.spec.containers[0].livenesProbe\"",
        ],
    );
    expect_error(
        "strict-labels",
        &GOOD.replace("metadata: {labels: {app: web}}", "metadata: {lables: {app: web}}"),
        16,
        &["unknown field \"spec.template.metadata.lables\""],
    );
    // In a manifest file: that file's line.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    imagePullPolicyy: Always\n";
    let text = GOOD.replace("objects:\n", "objects:\n  - file: pod.yaml\n");
    expect_error_at(
        "strict-file",
        &text,
        &[("pod.yaml", pod)],
        "pod.yaml",
        9,
        &["unknown field \"spec.containers[0].imagePullPolicyy\""],
    );
}

#[test]
fn status_in_a_manifest_is_accepted() {
    let text = GOOD.replace(
        "    spec:\n      replicas: 2",
        "    status: {replicas: 9, anything: goes}\n    spec:\n      replicas: 2",
    );
    let (code, err, _) = validate("status", &text, &[]);
    assert_eq!(code, Some(0), "{}", err);
    // An exported Node: extended resources in its status are simulated.
    let text = GOOD.replace(
        "objects:\n",
        "objects:\n  - apiVersion: v1\n    kind: Node\n    metadata: {name: gpu-1}\n    status: {capacity: {cpu: \"8\", memory: 32Gi, nvidia.com/gpu: 2}, conditions: []}\n",
    );
    let (code, err, _) = validate("node-status", &text, &[]);
    assert_eq!(code, Some(0), "{}", err);
    assert!(!err.contains("nvidia.com/gpu"), "{}", err);
}

#[test]
fn names_are_validated_as_the_apiserver_does() {
    expect_error(
        "node-name",
        &GOOD.replace("- namePrefix: node\n      count: 2", "- name: Node_1"),
        6,
        &["cluster.nodes[0].name", "Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain"],
    );
    expect_error(
        "object-name",
        &GOOD.replace("metadata: {name: web}", "metadata: {name: Web}"),
        12,
        &["objects[0].metadata.name", "Invalid value: \"Web\""],
    );
    expect_error(
        "container-name",
        &GOOD.replace("{name: c, image", "{name: c.1, image"),
        18,
        &["containers[0].name", "Invalid value: \"c.1\": a lowercase RFC 1123 label"],
    );
    expect_error(
        "label-value",
        &GOOD.replace("labels: {app: web}", "labels: {app: -web}"),
        16,
        &["metadata.labels.app", "Invalid value: \"-web\": a valid label must be"],
    );
    expect_error(
        "label-key",
        &GOOD.replace("labels: {app: web}", "labels: {app: web, /x: y}"),
        16,
        &["metadata.labels./x", "prefix part must be non-empty"],
    );
    expect_error(
        "namespace",
        &GOOD.replace("metadata: {name: web}", "metadata: {name: web, namespace: My.NS}"),
        12,
        &["metadata.namespace", "Invalid value: \"My.NS\""],
    );
    expect_error(
        "run-image",
        &GOOD.replace("crashNode: node-1", "kubectl: run x --image="),
        21,
        &["timeline[0].kubectl", "--image is required"],
    );
}

#[test]
fn timeline_apply_defaults_the_namespace() {
    // `apply:` of the RC without a namespace updates it (replicas 2 → 3),
    // as `kubectl apply -f` would; it used to be a Create (AlreadyExists).
    let text = GOOD
        .replace(
            "  - at: 30s\n    crashNode: node-1",
            "  - at: 30s\n    apply:\n      apiVersion: v1\n      kind: ReplicationController\n      metadata: {name: web}\n      spec:\n        replicas: 3\n        template:\n          metadata: {labels: {app: web}}\n          spec:\n            containers: [{name: c, image: nginx:1.25}]",
        )
        .replace("count: 2\n", "count: 3\n")
        .replace("    count: 3\n      capacity", "    count: 2\n      capacity");
    let dir = tempdir("apply-ns");
    let path = dir.join("s.yaml");
    std::fs::write(&path, &text).unwrap();
    let o = kubesim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", crate::stdout(&o), stderr(&o));
    assert!(!crate::stdout(&o).contains("AlreadyExists") && !stderr(&o).contains("AlreadyExists"));
}

// --- The loader fuzz: mutated shipped scenarios and generated ones ---

/// Every shipped scenario with its directory (for its `file:` references).
fn shipped() -> Vec<(String, std::path::PathBuf)> {
    crate::scenario_files()
        .into_iter()
        .map(|p| (std::fs::read_to_string(&p).unwrap(), p.parent().unwrap().to_path_buf()))
        .collect()
}

/// One mutation of a scenario's text.
#[derive(Clone, Debug)]
enum Mutation {
    Bytes { pos: usize, len: usize, insert: String },
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapValues(usize, usize),
    HugeNumber { line: usize, number: String },
    DeepNesting { line: usize, depth: usize },
    Aliases { line: usize, fanout: usize, levels: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..12, "[ -~\n]{0,12}").prop_map(|(pos, len, insert)| Mutation::Bytes {
            pos,
            len,
            insert
        }),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just("99999999999999999999".to_string()),
                Just("9223372036854775807".to_string()),
                Just("-9223372036854775808".to_string()),
                Just("4294967296".to_string()),
                Just("16Ei".to_string()),
                Just("1e308".to_string()),
                Just("18446744073709551616ns".to_string()),
                Just("100000000".to_string()),
            ]
        )
            .prop_map(|(line, number)| Mutation::HugeNumber { line, number }),
        (any::<usize>(), 1usize..400).prop_map(|(line, depth)| Mutation::DeepNesting { line, depth }),
        (any::<usize>(), 2usize..12, 1usize..10).prop_map(|(line, fanout, levels)| Mutation::Aliases {
            line,
            fanout,
            levels
        }),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    // Replaces the value after the first `: ` of a line.
    let set_value = |line: &mut String, v: &str| {
        if let Some(i) = line.find(": ") {
            line.truncate(i + 2);
            line.push_str(v);
        }
    };
    match m {
        Mutation::Bytes { pos, len, insert } => {
            let mut t = text.to_string();
            let start = (0..=pos % (t.len() + 1)).rev().find(|&i| t.is_char_boundary(i)).unwrap_or(0);
            let end = (start + len).min(t.len());
            let end = (end..=t.len()).find(|&i| t.is_char_boundary(i)).unwrap_or(t.len());
            t.replace_range(start..end, insert);
            return t;
        }
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::SwapValues(a, b) => {
            let va = lines[a % n].split_once(": ").map(|(_, v)| v.to_string());
            let vb = lines[b % n].split_once(": ").map(|(_, v)| v.to_string());
            if let (Some(va), Some(vb)) = (va, vb) {
                set_value(&mut lines[a % n], &vb);
                set_value(&mut lines[b % n], &va);
            }
        }
        Mutation::HugeNumber { line, number } => set_value(&mut lines[line % n], number),
        Mutation::DeepNesting { line, depth } => {
            let v = format!("{}1{}", "[".repeat(*depth), "]".repeat(*depth));
            set_value(&mut lines[line % n], &v);
        }
        Mutation::Aliases { line, fanout, levels } => {
            // A small alias bomb spliced into a value.
            let mut v = format!("&l0 [{}]", vec!["x"; *fanout].join(", "));
            for l in 1..*levels {
                v = format!("{{k: {}, l{}: &l{} [{}]}}", v, l, l, vec![format!("*l{}", l - 1); *fanout].join(", "));
            }
            set_value(&mut lines[line % n], &v);
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Fuzz the loader: any mutation of a shipped scenario (or of GOOD)
    /// loads or fails with errors naming the file — never a panic, never a
    /// hang; and whatever loads from GOOD also runs.
    #[test]
    fn loader_never_panics(which in any::<usize>(), ms in proptest::collection::vec(mutation(), 1..4)) {
        let files = shipped();
        let good = which % (files.len() + 1) == files.len();
        let (text, base) = if good {
            (GOOD.to_string(), std::path::PathBuf::from("."))
        } else {
            files[which % (files.len() + 1)].clone()
        };
        let mut t = text;
        for m in &ms {
            t = apply(&t, m);
        }
        let started = std::time::Instant::now();
        match kubesim::scenario::load_str(&t, "fuzz.yaml", &base) {
            Ok(s) => {
                if good {
                    let _ = kubesim::runner::run(&s, kubesim::runner::RunOptions::default());
                }
            }
            Err(e) => {
                prop_assert!(!e.0.is_empty());
                for err in &e.0 {
                    prop_assert!(!err.file.is_empty(), "{}", err);
                }
            }
        }
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?} took {:?}", ms, started.elapsed());
    }
}

/// `spec.hostname` must be a DNS-1123 label (`ValidatePodSpec`): the
/// loader names the field and line.
#[test]
fn bad_pod_hostname() {
    let text = GOOD.replace(
        "          containers: [{name: c, image: nginx:1.25}]",
        "          hostname: Web_0\n          containers: [{name: c, image: nginx:1.25}]",
    );
    expect_error("hostname", &text, 18, &["spec.template.spec.hostname", "Invalid value: \"Web_0\"", "RFC 1123"]);
    let ok = text.replace("Web_0", "web-0");
    assert_eq!(validate("hostname-ok", &ok, &[]).0, Some(0));
}
