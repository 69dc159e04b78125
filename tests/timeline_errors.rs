//! Timeline failures are loud: an entry kubectl or the apiserver refuses
//! is printed as kubectl prints it, listed under `timeline failures`, and
//! `run` exits 1 at the end (the run goes on) — unless the entry says
//! `expectError: true`, which in turn fails when the entry succeeds. A
//! create in a namespace the scenario never creates is caught at load.

use crate::cli::tempdir;
use crate::{kubesim, stderr, stdout};
use kubesim::runner::{run, RunOptions};

const HEAD: &str = "\
name: timeline errors
seed: 3
duration: 2m
cluster:
  nodes:
    - namePrefix: node
      count: 1
      capacity: {cpu: \"2\", memory: 4Gi}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: web, labels: {env: prod}}
    spec:
      containers: [{name: c, image: nginx:1.25}]
";

fn write(tag: &str, text: &str) -> String {
    let dir = tempdir(tag);
    let path = dir.join("scenario.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn run_cli(tag: &str, timeline: &str) -> (Option<i32>, String) {
    let text = format!(
        "{}timeline:\n{}expect:\n  - at: 1m30s\n    pods: {{name: web, status: Running}}\n    count: 1\n",
        HEAD, timeline
    );
    let path = write(tag, &text);
    let o = kubesim(&["run", &path]);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    (o.status.code(), stdout(&o))
}

#[test]
fn a_refused_entry_fails_the_run_at_the_end_and_the_run_goes_on() {
    // `kubectl label` of a label the pod has, without --overwrite: kubectl
    // itself refuses (the label stays prod).
    let (code, out) = run_cli("label-refused", "  - at: 30s\n    kubectl: label pod web env=debug\n");
    assert_eq!(code, Some(1), "{}", out);
    assert!(out.contains("timeline failures:"), "{}", out);
    assert!(out.contains("timeline entry at 30s (line 16)"), "{}", out);
    assert!(out.contains("--overwrite is false"), "{}", out);
    // The expectation after the failure was still checked, and holds.
    assert!(out.contains("PASS  at 1m30s"), "{}", out);
}

#[test]
fn an_apiserver_error_fails_the_run_too() {
    let (code, out) = run_cli("delete-missing", "  - at: 30s\n    kubectl: delete pod nosuchpod\n");
    assert_eq!(code, Some(1), "{}", out);
    assert!(out.contains("Error from server (NotFound): pods \"nosuchpod\" not found"), "{}", out);
}

#[test]
fn expect_error_accepts_a_refusal_and_rejects_a_success() {
    let (code, out) = run_cli("expected", "  - at: 30s\n    kubectl: label pod web env=debug\n    expectError: true\n");
    assert_eq!(code, Some(0), "{}", out);
    assert!(!out.contains("timeline failures:"), "{}", out);
    let (code, out) = run_cli(
        "expected-but-ok",
        "  - at: 30s\n    kubectl: label pod web env=debug --overwrite\n    expectError: true\n",
    );
    assert_eq!(code, Some(1), "{}", out);
    assert!(out.contains("expectError: true, but the operation succeeded"), "{}", out);
}

#[test]
fn the_library_counts_timeline_failures_as_failed() {
    let text = format!(
        "{}timeline:\n  - at: 10s\n    kubectl: delete pod nosuchpod\n  - at: 20s\n    kubectl: delete pod nosuchpod\n    expectError: true\n",
        HEAD
    );
    let scn = kubesim::scenario::load_str(&text, "t.yaml", ".".as_ref()).unwrap();
    let res = run(&scn, RunOptions::default());
    assert_eq!(res.timeline_failures.len(), 1, "{:?}", res.timeline_failures);
    assert_eq!(res.timeline_failures[0].line, Some(16));
    assert_eq!(res.failed(), 1);
    // Stopped before the entry ran: it is not judged.
    let early = run(&scn, RunOptions { until: Some(kubesim::sim::SimTime::from_secs(5)), ..Default::default() });
    assert!(early.timeline_failures.is_empty());
}

#[test]
fn a_setup_object_the_apiserver_refuses_fails_the_run() {
    // Two pods of one name: the second create is AlreadyExists.
    let text = format!(
        "{}  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: web}}\n    spec:\n      containers: [{{name: c, image: nginx:1.25}}]\n",
        HEAD
    );
    let path = write("setup-dup", &text);
    let o = kubesim(&["run", &path]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("setup: Error from server (AlreadyExists)"), "{}", stdout(&o));
}

#[test]
fn an_object_in_a_namespace_never_created_is_a_load_error() {
    let text = HEAD.replace("metadata: {name: web, labels: {env: prod}}", "metadata: {name: web, namespace: custom}");
    let path = write("ns-missing", &text);
    let o = kubesim(&["validate", &path]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:10:", path)), "{}", err);
    assert!(err.contains("objects[0].metadata.namespace"), "{}", err);
    assert!(err.contains("namespaces \"custom\" not found"), "{}", err);
    // Created later in the timeline: valid (the run shows the order).
    let later = format!(
        "{}timeline:\n  - at: 10s\n    create: {{apiVersion: v1, kind: Namespace, metadata: {{name: custom}}}}\n",
        text
    );
    let o = kubesim(&["validate", &write("ns-later", &later)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // A timeline create there with expectError shows the refusal on purpose.
    let shown = format!(
        "{}timeline:\n  - at: 10s\n    create: {{apiVersion: v1, kind: Pod, metadata: {{name: x, namespace: other}}, spec: {{containers: [{{name: c, image: nginx}}]}}}}\n    expectError: true\n",
        HEAD
    );
    let o = kubesim(&["run", &write("ns-shown", &shown)]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("namespaces \"other\" not found"), "{}", stdout(&o));
}

/// The book's older manifests: `extensions/v1beta1` (and `apps/v1beta1`)
/// defaulted a missing selector from the template's labels; `apps/v1beta2`
/// and `apps/v1` require it.
#[test]
fn retired_workload_versions_default_the_selector_as_they_did() {
    let doc = |version: &str, kind: &str| {
        format!(
            "{}  - apiVersion: {}\n    kind: {}\n    metadata: {{name: crasher}}\n    spec:\n      replicas: 2\n      template:\n        metadata: {{labels: {{app: crasher}}}}\n        spec: {{containers: [{{name: c, image: busybox}}]}}\n",
            HEAD, version, kind
        )
    };
    let scn = kubesim::scenario::load_str(&doc("extensions/v1beta1", "ReplicaSet"), "t.yaml", ".".as_ref()).unwrap();
    assert!(
        scn.warnings.iter().any(|w| w.contains("loaded as apps/v1 ReplicaSet (spec.selector defaulted")),
        "{:?}",
        scn.warnings
    );
    let res = run(&scn, RunOptions::default());
    let crashers = res.sim.store.pods.values().filter(|p| p.meta.name.starts_with("crasher-")).count();
    assert_eq!(crashers, 2, "the defaulted selector selects the template's pods");
    // A Deployment of the old versions is an apps/v1 Deployment with the
    // selector filled in, and runs.
    let scn = kubesim::scenario::load_str(&doc("extensions/v1beta1", "Deployment"), "t.yaml", ".".as_ref()).unwrap();
    let dep = scn.objects.iter().find(|o| o.kind_name() == "Deployment").expect("loaded");
    let kubesim::objects::Object::Typed(t) = dep else { panic!("a typed Deployment") };
    let d = t.downcast::<kubesim::kinds::deployment::Deployment>().expect("a Deployment");
    assert_eq!(d.spec.selector.to_string(), "app=crasher");
    let res = run(&scn, RunOptions::default());
    let crashers = res.sim.store.pods.values().filter(|p| p.meta.name.starts_with("crasher-")).count();
    assert_eq!(crashers, 2, "the Deployment's ReplicaSet runs the template's pods");
    // A stored-only kind of the old versions keeps its body, as apps/v1.
    let scn = kubesim::scenario::load_str(&doc("apps/v1beta1", "StatefulSet"), "t.yaml", ".".as_ref()).unwrap();
    let ds = scn.objects.iter().find(|o| o.kind_name() == "StatefulSet").expect("stored");
    let kubesim::objects::Object::Other(u) = ds else { panic!("stored as unstructured") };
    assert_eq!(u.api_version, "apps/v1");
    assert_eq!(u.body["spec"]["selector"]["matchLabels"]["app"], "crasher");
    for required in ["apps/v1beta2", "apps/v1"] {
        let err = kubesim::scenario::load_str(&doc(required, "ReplicaSet"), "t.yaml", ".".as_ref()).unwrap_err();
        assert!(err.to_string().contains("selector is required"), "{}: {}", required, err);
    }
}

#[test]
fn no_resources_found_is_printed_but_not_a_failure() {
    // kubectl prints "No resources found" and exits 0.
    let (code, out) = run_cli("no-match", "  - at: 30s\n    kubectl: delete pods -l app=nothing\n");
    assert_eq!(code, Some(0), "{}", out);
    assert!(out.contains("No resources found"), "{}", out);
}

#[test]
fn exec_into_a_crashed_node_fails_as_the_apiservers_dial_does() {
    let (code, out) =
        run_cli("exec-crashed", "  - at: 20s\n    crashNode: node-1\n  - at: 30s\n    kubectl: exec web -- touch /x\n");
    assert_eq!(code, Some(1), "{}", out);
    assert!(out.contains("Error from server: error dialing backend: dial tcp 10."), "{}", out);
    assert!(out.contains(":10250: i/o timeout"), "{}", out);
}
