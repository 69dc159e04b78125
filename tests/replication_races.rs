//! The replication manager against an object deleted and re-created under
//! the same name while a sync's status update of the old one waits in the
//! client's rate limiter: the update carries the old uid as a precondition
//! (`UpdateStatus`), fails with a Conflict, and the sync ends either way,
//! so the new object's key is synced and it gets its replicas.

use crate::cli::tempdir;
use crate::{kubesim, stdout};
use kubesim::objects::replicaset::ReplicaKind;
use kubesim::objects::store::Key;
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;

const RC: &str = "apiVersion: v1
kind: ReplicationController
metadata: {name: big}
spec:
  replicas: REPLICAS
  selector: {app: big}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.9
        resources: {requests: {cpu: 10m, memory: 16Mi}}
";

/// The scenario: 100 replicas, scaled to 0 at 30 s, deleted at 31 s, the
/// same name applied with 3 replicas at `recreate`.
fn scenario_file(tag: &str, recreate: &str) -> std::path::PathBuf {
    let dir = tempdir(tag);
    std::fs::write(dir.join("rc.yaml"), RC.replace("REPLICAS", "3")).unwrap();
    std::fs::write(dir.join("big.yaml"), RC.replace("REPLICAS", "100")).unwrap();
    let s = format!(
        "name: recreate rc while its status write waits
seed: 1
duration: 2m
cluster:
  nodes:
    - namePrefix: node
      count: 2
      capacity: {{cpu: \"64\", memory: 256Gi, pods: 150}}
images:
  registry.k8s.io/pause: {{pull: 1s, start: 100ms}}
objects:
  - file: big.yaml
timeline:
  - at: 30s
    kubectl: \"scale rc big --replicas=0\"
  - at: 31s
    kubectl: \"delete rc big\"
  - at: {}
    apply: {{file: rc.yaml}}
expect:
  - at: 2m
    pods: {{selector: app=big, phase: Running}}
    count: 3
",
        recreate
    );
    let path = dir.join("s.yaml");
    std::fs::write(&path, s).unwrap();
    path
}

fn check(tag: &str, recreate: &str) {
    let path = scenario_file(tag, recreate);
    let scn = scenario::load(&path).unwrap_or_else(|e| panic!("{}", e));
    let a = run(&scn, RunOptions::default());
    for (e, v) in scn.expect.iter().zip(&a.verdicts) {
        let v = v.as_ref().unwrap_or_else(|| panic!("{} not reached", e));
        assert!(v.passed, "recreate at {}: {} — found {}", recreate, e, v.found);
    }
    let rc = a.sim.store.replica_set(ReplicaKind::ReplicationController, &Key::new("default", "big")).expect("rc big");
    assert_eq!(
        (rc.spec.replicas, rc.status.replicas, rc.status.ready_replicas),
        (3, 3, 3),
        "recreate at {}: the new rc's status",
        recreate
    );
    a.sim.check_invariants().unwrap_or_else(|e| panic!("{}", e));
    let b = run(&scn, RunOptions::default());
    assert_eq!(a.trace_hash, b.trace_hash, "same seed, different trace");
    let p = path.to_str().unwrap();
    let out = stdout(&kubesim(&["get", "rc", "big", "--at", "2m", p]));
    let row: Vec<&str> = out.lines().nth(1).unwrap_or("").split_whitespace().collect();
    assert_eq!(row.get(..4), Some(&["big", "3", "3", "3"][..]), "{}", out);
}

#[test]
fn rc_recreated_while_its_status_update_waits_gets_its_replicas() {
    // At 32 s the old sync's status update is still behind its 100
    // deletes in the rate limiter (20 QPS, burst 30).
    check("rc-recreate-32s", "32s");
}

#[test]
fn rc_recreated_after_the_old_sync_ended_gets_its_replicas() {
    check("rc-recreate-40s", "40s");
}
