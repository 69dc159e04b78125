//! The apiserver's rules on what users write, as a timeline meets them:
//! invalid names and labels on create, pod spec immutability
//! (`ValidatePodUpdate`), the immutable apps/v1 ReplicaSet selector, and
//! user seconds too large for virtual time. Each refusal is a user error
//! with kubectl's text, and the run goes on; the refused entries say
//! `expectError: true`, so the runs count no failure.

use crate::cli::tempdir;
use kubesim::objects::store::Key;
use kubesim::runner::{run, RunOptions, RunResult};
use kubesim::scenario;
use kubesim::sim::SimTime;

/// Writes the scenario and its manifest files, runs it twice (same hash),
/// and returns the first run.
fn run_files(tag: &str, scenario_yaml: &str, files: &[(&str, &str)]) -> RunResult {
    let dir = tempdir(&format!("store-{}", tag));
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let path = dir.join("s.yaml");
    std::fs::write(&path, scenario_yaml).unwrap();
    let scn = scenario::load(&path).unwrap_or_else(|e| panic!("{}", e));
    let a = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    let b = run(&scn, RunOptions::default());
    assert_eq!(a.trace_hash, b.trace_hash, "same seed, same trace");
    a.sim.check_invariants().unwrap();
    a
}

fn errors(r: &RunResult) -> Vec<String> {
    r.sim.user_errors.iter().map(|u| u.message.clone()).collect()
}

fn pod_yaml(name: &str, image: &str, extra_containers: &str, port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: web}}\nspec:\n  containers:\n  - name: web\n    image: {image}\n    ports: [{{containerPort: {port}}}]\n{extra_containers}"
    )
}

const HEAD: &str = "name: store rules\nseed: 3\nduration: 5m\ncluster:\n  nodes: [{name: n1, capacity: {cpu: \"4\", memory: 8Gi, pods: 110}}]\nimages:\n  web:1: {pull: 1s, start: 1s}\n  web:2: {pull: 1s, start: 1s}\n  nginx: {pull: 1s, start: 1s}\n";

#[test]
fn an_invalid_name_is_refused_and_the_run_goes_on() {
    let yaml = format!(
        "{HEAD}timeline:\n  - at: 10s\n    kubectl: run X_Y --image=nginx\n    expectError: true\n  - at: 20s\n    kubectl: run ok --image=nginx\n  - at: 30s\n    kubectl: label pod ok bad_=x\n    expectError: true\n  - at: 40s\n    kubectl: label pod ok good=bad_\n    expectError: true\nexpect:\n  - at: 1m\n    pods: {{status: Running}}\n    count: 1\n"
    );
    let r = run_files("name", &yaml, &[]);
    let e = errors(&r);
    assert_eq!(e.len(), 3, "{:#?}", e);
    assert_eq!(
        e[0],
        "The Pod \"X_Y\" is invalid: metadata.name: Invalid value: \"X_Y\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    );
    assert!(
        e[1].starts_with("The Pod \"ok\" is invalid: metadata.labels: Invalid value: \"bad_\": name part must consist of alphanumeric characters"),
        "{}",
        e[1]
    );
    assert!(
        e[2].starts_with("The Pod \"ok\" is invalid: metadata.labels: Invalid value: \"bad_\": a valid label must be an empty string or consist of alphanumeric characters"),
        "{}",
        e[2]
    );
    assert_eq!(r.failed(), 0, "the valid pod runs: {:?}", r.verdicts);
    assert!(r.sim.store.pod(&Key::new("default", "X_Y")).is_none());
    let ok = r.sim.store.pod(&Key::new("default", "ok")).expect("ok exists");
    assert!(!ok.meta.labels.contains_key("bad_") && !ok.meta.labels.contains_key("good"));
}

#[test]
fn pod_spec_updates_follow_validate_pod_update() {
    let sidecar = "  - name: side\n    image: nginx\n";
    let yaml = format!(
        "{HEAD}objects:\n  - file: pod.yaml\ntimeline:\n  - at: 1m\n    kubectl: apply -f two.yaml\n    expectError: true\n  - at: 1m10s\n    kubectl: apply -f port.yaml\n    expectError: true\n  - at: 1m20s\n    kubectl: apply -f image.yaml\n  - at: 1m30s\n    kubectl: apply -f pod.yaml\nexpect:\n  - at: 3m\n    pods: {{status: Running}}\n    count: 1\n"
    );
    let r = run_files(
        "podupdate",
        &yaml,
        &[
            ("pod.yaml", &pod_yaml("web", "web:1", "", 8080)),
            ("two.yaml", &pod_yaml("web", "web:1", sidecar, 8080)),
            ("port.yaml", &pod_yaml("web", "web:1", "", 9090)),
            ("image.yaml", &pod_yaml("web", "web:2", "", 8080)),
        ],
    );
    let e = errors(&r);
    assert_eq!(
        e,
        vec![
            "The Pod \"web\" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers".to_string(),
            "The Pod \"web\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)".to_string(),
        ]
    );
    // The image changes went through (to web:2 and back to web:1), the
    // node binding and the admission tolerations were kept, and the
    // kubelet went on without a panic.
    let p = r.sim.store.pod(&Key::new("default", "web")).expect("web");
    assert_eq!(p.spec.containers.len(), 1);
    assert_eq!(&*p.spec.containers[0].image, "web:1");
    assert_eq!(p.spec.containers[0].ports[0].container_port, 8080);
    assert_eq!(p.node_name(), Some("n1"));
    assert_eq!(p.spec.tolerations.len(), 2);
    assert_eq!(r.failed(), 0, "{:?}", r.verdicts);
}

#[test]
fn a_replicaset_selector_is_immutable_an_rc_selector_is_not() {
    let rs = |sel: &str| {
        format!(
            "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: web}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: web{sel}}}}}\n  template:\n    metadata: {{labels: {{app: web, tier: a}}}}\n    spec: {{containers: [{{name: web, image: web:1}}]}}\n"
        )
    };
    let rc = |sel: &str| {
        format!(
            "apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: old}}\nspec:\n  replicas: 1\n  selector: {{app: old{sel}}}\n  template:\n    metadata: {{labels: {{app: old, tier: a}}}}\n    spec: {{containers: [{{name: web, image: web:1}}]}}\n"
        )
    };
    let yaml = format!(
        "{HEAD}objects:\n  - file: rs.yaml\n  - file: rc.yaml\ntimeline:\n  - at: 1m\n    kubectl: apply -f rs2.yaml\n    expectError: true\n  - at: 1m\n    kubectl: apply -f rc2.yaml\nexpect:\n  - at: 2m\n    pods: {{status: Running}}\n    count: 2\n"
    );
    let r = run_files(
        "selector",
        &yaml,
        &[("rs.yaml", &rs("")), ("rs2.yaml", &rs(", tier: a")), ("rc.yaml", &rc("")), ("rc2.yaml", &rc(", tier: a"))],
    );
    assert_eq!(
        errors(&r),
        vec!["The ReplicaSet \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"a\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable".to_string()]
    );
    use kubesim::objects::replicaset::ReplicaKind;
    let rc = r.sim.store.replica_set(ReplicaKind::ReplicationController, &Key::new("default", "old")).unwrap();
    assert_eq!(rc.spec.selector.requirements.len(), 2, "the RC selector changed");
    let rs = r.sim.store.replica_set(ReplicaKind::ReplicaSet, &Key::new("default", "web")).unwrap();
    assert_eq!(rs.spec.selector.requirements.len(), 1, "the RS selector did not");
    assert_eq!(r.failed(), 0, "{:?}", r.verdicts);
}

#[test]
fn a_huge_grace_period_saturates_the_deletion_time() {
    // terminationGracePeriodSeconds is an int64 upstream; 2e10 s (634
    // years) is legal and must not wrap the deletion time into the past.
    // The process ignores SIGTERM, so the kubelet waits out the grace.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: slow}\nspec:\n  terminationGracePeriodSeconds: 20000000000\n  containers: [{name: c, image: stubborn}]\n";
    let yaml = format!(
        "{HEAD}  stubborn: {{sigterm: ignore}}\nobjects:\n  - file: pod.yaml\ntimeline:\n  - at: 1m\n    kubectl: delete pod slow\nexpect:\n  - at: 30s\n    pods: {{status: Running}}\n    count: 1\n"
    );
    let r = run_files("grace", &yaml, &[("pod.yaml", pod)]);
    assert!(errors(&r).is_empty(), "{:?}", errors(&r));
    // Still terminating at the horizon: its deadline lies at the end of
    // time, not before the delete.
    let p = r.sim.store.pod(&Key::new("default", "slow")).expect("still there");
    assert_eq!(p.meta.deletion_timestamp, Some(SimTime::MAX));
    assert_eq!(p.meta.deletion_grace_period_seconds, Some(20_000_000_000));
    assert_eq!(r.failed(), 0, "{:?}", r.verdicts);
}
