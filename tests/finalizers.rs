//! `metadata.finalizers` (the generic registry's deletion rules): a deleted
//! object with finalizers left stays, marked with `deletionTimestamp`,
//! until a client removes the last one; the controllers leave a deleting
//! owner alone; the apiserver's finalizer validation.

use crate::root;
use kubesim::component::{Controller, Cx, RequestId};
use kubesim::objects::store::{ApiError, Key, WatchEvent, WatchKind};
use kubesim::objects::{Kind, Object};
use kubesim::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

const CLEANUP: &str = "example.com/cleanup";

/// What the test's finalizer controller saw: (time, pod, deleted, the
/// pod's finalizers, deletionGracePeriodSeconds).
type Seen = Rc<RefCell<Vec<(SimTime, String, bool, usize, Option<u64>)>>>;

/// An operator's finalizer: once a pod carrying it is being deleted and
/// its containers are gone (its grace period is over), it does its
/// cleanup (5 s) and removes the finalizer.
struct Cleanup {
    seen: Seen,
    errors: Rc<RefCell<Vec<String>>>,
    pending: Vec<Key>,
}

impl Controller for Cleanup {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod]
    }
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Pod(p) = &ev.obj else { return };
        let m = &p.meta;
        let deleted = ev.kind == WatchKind::Deleted;
        self.seen.borrow_mut().push((
            cx.now(),
            m.name.to_string(),
            deleted,
            m.finalizers.len(),
            m.deletion_grace_period_seconds,
        ));
        if !deleted && m.has_finalizer(CLEANUP) && m.deletion_grace_period_seconds == Some(0) {
            let key = Key::of(m);
            if !self.pending.contains(&key) {
                self.pending.push(key);
                cx.after(SimDuration::from_secs(5), self.pending.len() as u64 - 1);
            }
        }
    }
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let key = self.pending[token as usize].clone();
        let Some(Object::Pod(p)) = cx.cache().get(Kind::Pod, &key).cloned() else { return };
        let mut p = (*p).clone();
        p.meta.finalizers.retain(|f| &**f != CLEANUP);
        // Adding one back now is refused: the pod is being deleted.
        let mut q = p.clone();
        q.meta.finalizers.push("example.com/late".into());
        cx.update(Object::Pod(Rc::new(q)));
        cx.update(Object::Pod(Rc::new(p)));
    }
    fn on_response(&mut self, _: RequestId, result: Result<&Object, &ApiError>, _: &mut Cx) {
        if let Err(e) = result {
            self.errors.borrow_mut().push(e.message.clone());
        }
    }
}

fn run(yaml: &str, until: u64) -> (Simulation, Seen, Rc<RefCell<Vec<String>>>) {
    let scn = kubesim::scenario::load_str(yaml, "finalizers.yaml", &root().join("scenarios")).expect("loads");
    let seen: Seen = Default::default();
    let errors: Rc<RefCell<Vec<String>>> = Default::default();
    let (s, e) = (seen.clone(), errors.clone());
    let mut sim = Simulation::builder(&scn)
        .component("cleanup", move || Cleanup { seen: s.clone(), errors: e.clone(), pending: Vec::new() })
        .build()
        .unwrap();
    sim.trace.keep_events(true);
    sim.run_until(SimTime::from_secs(until));
    (sim, seen, errors)
}

const POD: &str = "name: finalizers\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\nimages:\n  busybox: {pull: 1s}\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [example.com/cleanup]}, spec: {terminationGracePeriodSeconds: 30, containers: [{name: c, image: busybox}]}}\n  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: [{name: c, image: busybox}]}}\ntimeline:\n  - at: 10s\n    delete: {kind: Pod, name: p}\n  - at: 10s\n    delete: {kind: Pod, name: q}\n";

#[test]
fn a_pod_with_a_finalizer_stays_until_its_finalizer_is_removed() {
    let (sim, seen, errors) = run(POD, 60);
    let seen = seen.borrow();
    let of = |pod: &str| seen.iter().filter(|s| s.1 == pod).cloned().collect::<Vec<_>>();
    // q, without finalizers: gone when the kubelet's final delete lands.
    let q_gone = of("q").iter().find(|s| s.2).map(|s| s.0).expect("q is deleted");
    assert!(q_gone > SimTime::from_secs(10) && q_gone < SimTime::from_secs(11), "q gone at {}", q_gone);
    // p: the kubelet's final delete (grace 0) leaves it in the API, with
    // its finalizer; the cleanup removes it 5 s later and the pod goes.
    let p = of("p");
    let finished = p.iter().find(|s| !s.2 && s.4 == Some(0)).map(|s| s.0).expect("the final delete marks p");
    assert!(finished > SimTime::from_secs(10) && finished < SimTime::from_secs(11), "p marked at {}", finished);
    let gone = p.iter().find(|s| s.2).map(|s| s.0).expect("p is deleted once its finalizer is gone");
    assert!(gone > finished + SimDuration::from_secs(5), "p gone at {}", gone);
    assert!(gone < finished + SimDuration::from_millis(5100), "p gone at {}", gone);
    assert_eq!(p.iter().find(|s| s.2).map(|s| s.3), Some(0), "its last version has no finalizer");
    assert!(sim.store.pods.is_empty());
    // The finalizer added while p was being deleted was refused.
    let errors = errors.borrow();
    assert_eq!(errors.len(), 1, "{:?}", errors);
    assert!(
        errors[0].contains("no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/late\"}"),
        "{}",
        errors[0]
    );
}

const RS: &str = "name: rs finalizer\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nimages:\n  busybox: {pull: 1s}\nobjects:\n  - apiVersion: apps/v1\n    kind: ReplicaSet\n    metadata: {name: rs, finalizers: [example.com/keep]}\n    spec:\n      replicas: 3\n      selector: {matchLabels: {app: x}}\n      template:\n        metadata: {labels: {app: x}}\n        spec: {containers: [{name: c, image: busybox}]}\ntimeline:\n  - at: 10s\n    delete: {kind: ReplicaSet, name: rs}\n";

#[test]
fn a_deleting_replica_set_kept_by_its_finalizer_replaces_nothing() {
    // Deleted at 10 s, the ReplicaSet stays for its finalizer (marked,
    // generation bumped, grace 0) and its controller leaves it alone: the
    // pod deleted at 20 s is not replaced, the others keep running.
    let (sim, _, _) = run(RS, 15);
    let rs = sim.store.replicasets.values().next().expect("kept by its finalizer").clone();
    // (The delete reaches the apiserver 5 ms after it is sent.)
    assert_eq!(rs.meta.deletion_timestamp, Some(SimTime(10_005_000_000)));
    assert_eq!((rs.meta.deletion_grace_period_seconds, rs.meta.generation), (Some(0), 2));
    assert_eq!(sim.store.pods.len(), 3);
    let pod = sim.store.pods.keys().next().unwrap().name.clone();
    let yaml = format!("{}  - at: 20s\n    delete: {{kind: Pod, name: {}}}\n", RS, pod);
    let (sim, _, _) = run(&yaml, 60);
    let live = sim.store.pods.values().filter(|p| p.meta.deletion_timestamp.is_none()).count();
    assert_eq!((sim.store.pods.len(), live), (2, 2), "no replacement while the ReplicaSet is being deleted");
    // Its finalizer removed (an apply without it), it goes, and the
    // garbage collector takes its pods.
    let manifest = "      - apiVersion: apps/v1\n        kind: ReplicaSet\n        metadata: {name: rs}\n        spec:\n          replicas: 3\n          selector: {matchLabels: {app: x}}\n          template:\n            metadata: {labels: {app: x}}\n            spec: {containers: [{name: c, image: busybox}]}\n";
    let yaml = format!("{}  - at: 60s\n    apply:\n{}", yaml, manifest);
    let (sim, _, _) = run(&yaml, 120);
    assert!(sim.store.replicasets.is_empty(), "gone once its last finalizer is");
    assert!(sim.store.pods.is_empty(), "its pods collected");
}

#[test]
fn finalizer_names_are_validated_at_load() {
    for (name, want) in [("example.com/a/b", "a qualified name must consist of"), ("-keep", "must consist of")] {
        let yaml = POD.replace("finalizers: [example.com/cleanup]", &format!("finalizers: [orphan, {}]", name));
        let err = kubesim::scenario::load_str(&yaml, "finalizers.yaml", &root().join("scenarios"))
            .map(|_| ())
            .expect_err("refused");
        let msg = err.to_string();
        assert!(msg.contains("finalizers.yaml:8:") && msg.contains("objects[0].metadata.finalizers[1]"), "{}", msg);
        assert!(msg.contains(want), "{}", msg);
    }
    let yaml = POD.replace("finalizers: [example.com/cleanup]", "finalizers: [orphan, foregroundDeletion]");
    let err = kubesim::scenario::load_str(&yaml, "finalizers.yaml", &root().join("scenarios"))
        .map(|_| ())
        .expect_err("refused");
    assert!(
        err.to_string().contains(
            "Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"
        ),
        "{}",
        err
    );
    // An unprefixed name is a qualified name too (only a Namespace's
    // spec.finalizers must then be a standard one).
    let yaml = POD.replace("example.com/cleanup", "resources-finalizer.argocd.argoproj.io");
    kubesim::scenario::load_str(&yaml, "finalizers.yaml", &root().join("scenarios")).map(|_| ()).expect("loads");
}

const RC: &str = "name: orphan rc\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nimages:\n  busybox: {pull: 1s}\nobjects:\n  - apiVersion: v1\n    kind: ReplicationController\n    metadata: {name: rc}\n    spec:\n      replicas: 3\n      selector: {app: x}\n      template:\n        metadata: {labels: {app: x}}\n        spec: {containers: [{name: c, image: busybox}]}\ntimeline:\n";

/// Deleted with `--cascade=orphan`, the RC gets the garbage collector's
/// `orphan` finalizer and stays until the collector has released its
/// pods; then it goes and they run on, owned by nobody.
#[test]
fn an_orphan_delete_waits_for_the_collector_to_release_the_dependents() {
    let yaml = format!("{}  - {{at: 10s, kubectl: delete rc rc --cascade=orphan}}\n", RC);
    let (sim, _, _) = run(&yaml, 10);
    assert_eq!(sim.store.replicasets.len(), 1);
    let (sim, _, _) = run(&yaml, 30);
    assert!(sim.store.replicasets.is_empty(), "the RC goes once its pods are released");
    assert_eq!(sim.store.pods.len(), 3);
    assert!(sim.store.pods.values().all(|p| p.meta.owner_references.is_empty() && p.meta.deletion_timestamp.is_none()));
    // In between: marked, with the finalizer, while the releases land.
    let scn = kubesim::scenario::load_str(&yaml, "finalizers.yaml", &root().join("scenarios")).expect("loads");
    let mut sim = Simulation::builder(&scn).build().unwrap();
    sim.run_until(SimTime(10_005_000_000));
    let rc = sim.store.replicasets.values().next().expect("kept by its finalizer").clone();
    assert_eq!(rc.meta.finalizers.iter().map(|f| &**f).collect::<Vec<_>>(), vec!["orphan"]);
    assert!(rc.meta.deletion_timestamp.is_some());
    assert!(sim.store.pods.values().all(|p| !p.meta.owner_references.is_empty()), "not released yet");
}

/// The same delete while the collector is down: the RC waits with its
/// finalizer, and the restarted collector releases the pods (its sweep
/// does not take the RC for gone and delete them).
#[test]
fn a_restarted_collector_releases_what_an_orphan_delete_left_it() {
    let yaml = format!(
        "{}  - {{at: 9s, crashController: {{name: garbagecollector, restartAfter: 20s}}}}\n  - {{at: 10s, kubectl: delete rc rc --cascade=orphan}}\n",
        RC
    );
    let (sim, _, _) = run(&yaml, 25);
    let rc = sim.store.replicasets.values().next().expect("waits for the collector").clone();
    assert!(rc.meta.has_finalizer("orphan") && rc.meta.deletion_timestamp.is_some());
    let (sim, _, _) = run(&yaml, 60);
    assert!(sim.store.replicasets.is_empty());
    assert_eq!(sim.store.pods.len(), 3, "the pods were released, not collected");
    assert!(sim.store.pods.values().all(|p| p.meta.owner_references.is_empty() && p.meta.deletion_timestamp.is_none()));
}

/// A pending pod deleted while a finalizer keeps it: the scheduler skips
/// it (`skipPodSchedule`) when a node for it appears, and it is never
/// bound.
#[test]
fn the_scheduler_skips_a_pending_pod_being_deleted() {
    let yaml = "name: pending\nseed: 5\ncluster:\n  nodes: [{namePrefix: node, count: 2}]\nimages:\n  busybox: {pull: 1s}\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [example.com/keep]}, spec: {nodeSelector: {disk: ssd}, containers: [{name: c, image: busybox}]}}\ntimeline:\n  - {at: 10s, kubectl: delete pod p}\n  - {at: 20s, kubectl: label node node-2 disk=ssd}\n";
    let (sim, _, _) = run(yaml, 40);
    let p = sim.store.pods.values().next().expect("kept by its finalizer");
    assert!(p.meta.deletion_timestamp.is_some() && p.spec.node_name.is_none(), "not bound");
    let skipped = sim
        .trace
        .events()
        .iter()
        .any(|e| e.reason == "FailedScheduling" && e.message == "skip schedule deleting pod: default/p");
    assert!(skipped, "{:?}", sim.trace.events().iter().map(|e| &e.message).collect::<Vec<_>>());
}

/// An Orphan delete of an owner that a user's finalizer also keeps: the
/// collector releases its pods and removes only its own finalizer; when
/// the user's goes, the owner goes and the pods run on.
#[test]
fn an_orphan_delete_survives_a_users_finalizer() {
    let yaml = RS.replace(
        "  - at: 10s\n    delete: {kind: ReplicaSet, name: rs}\n",
        "  - {at: 10s, kubectl: delete rs rs --cascade=orphan}\n",
    );
    let (sim, _, _) = run(&yaml, 20);
    let rs = sim.store.replicasets.values().next().expect("kept by the user's finalizer").clone();
    assert_eq!(rs.meta.finalizers.iter().map(|f| &**f).collect::<Vec<_>>(), vec!["example.com/keep"]);
    let manifest = "      - apiVersion: apps/v1\n        kind: ReplicaSet\n        metadata: {name: rs}\n        spec:\n          replicas: 3\n          selector: {matchLabels: {app: x}}\n          template:\n            metadata: {labels: {app: x}}\n            spec: {containers: [{name: c, image: busybox}]}\n";
    let yaml = format!("{}  - at: 30s\n    apply:\n{}", yaml, manifest);
    let (sim, _, _) = run(&yaml, 60);
    assert!(sim.store.replicasets.is_empty());
    assert_eq!(sim.store.pods.len(), 3, "released, not collected");
}

/// `kubectl delete --grace-period=0 --force` on a pod already being
/// killed with a long grace: its termination restarts with the new grace
/// (at least 2 s), so a container that ignores SIGTERM is killed then,
/// not at the end of the first grace — also when a finalizer keeps the
/// pod in the API afterwards.
#[test]
fn a_force_delete_shortens_a_kill_in_progress() {
    let yaml = "name: force\nseed: 5\ncluster:\n  nodes: [{name: node-1}]\nimages:\n  busybox:1.36: {pull: 1s}\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [example.com/keep]}, spec: {terminationGracePeriodSeconds: 60, containers: [{name: c, image: \"busybox:1.36\", command: [sh, -c, \"while true; do sleep 1; done\"]}]}}\ntimeline:\n  - {at: 10s, kubectl: delete pod p}\n  - {at: 15s, kubectl: delete pod p --grace-period=0 --force}\n";
    for (until, running) in [(17_000, true), (17_100, false)] {
        let sim = run_ms(yaml, until);
        let p = sim.store.pods.values().next().expect("kept by its finalizer");
        let state = &p.status.container_statuses[0].state;
        assert_eq!(
            matches!(state, kubesim::objects::pod::ContainerState::Running { .. }),
            running,
            "{}: {:?}",
            until,
            state
        );
    }
}

/// Runs `yaml` until `until_ms` milliseconds, with no extra component.
fn run_ms(yaml: &str, until_ms: u64) -> Simulation {
    let scn = kubesim::scenario::load_str(yaml, "finalizers.yaml", &root().join("scenarios")).expect("loads");
    let mut sim = Simulation::builder(&scn).build().unwrap();
    sim.run_until(SimTime(until_ms * 1_000_000));
    sim
}

const DEPLOYMENT: &str = "name: orphan dep\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nimages:\n  busybox: {pull: 1s}\nobjects:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: dep}\n    spec:\n      replicas: 3\n      selector: {matchLabels: {app: dep}}\n      template:\n        metadata: {labels: {app: dep}}\n        spec: {containers: [{name: c, image: busybox}]}\ntimeline:\n  - {at: 10s, kubectl: delete deployment dep --cascade=orphan}\n";

/// The collector's release is a patch of the dependent's owner
/// references alone: it does not strip the `orphan` finalizer the
/// dependent got from its own Orphan delete meanwhile, so the pods of a
/// ReplicaSet orphaned 5 ms after its Deployment survive both.
#[test]
fn a_release_touches_only_the_owner_reference() {
    let yaml = format!("{}  - {{at: 10.005s, kubectl: delete rs -l app=dep --cascade=orphan}}\n", DEPLOYMENT);
    let sim = run_ms(&yaml, 60_000);
    let deployments = sim.store.typed.keys().filter(|(k, _)| k == "Deployment").count();
    assert!(sim.store.replicasets.is_empty() && deployments == 0, "both owners went");
    assert_eq!(sim.store.pods.len(), 3, "the pods were released, not collected");
}

/// An `apply` of the owner while the collector releases its dependents
/// keeps the apiserver's `orphan` finalizer (a patch merges the list).
#[test]
fn an_apply_keeps_the_collectors_finalizer() {
    let manifest = "      - apiVersion: v1\n        kind: ReplicationController\n        metadata: {name: rc}\n        spec:\n          replicas: 3\n          selector: {app: x}\n          template:\n            metadata: {labels: {app: x}}\n            spec: {containers: [{name: c, image: busybox}]}\n";
    let yaml =
        format!("{}  - {{at: 10s, kubectl: delete rc rc --cascade=orphan}}\n  - at: 10s\n    apply:\n{}", RC, manifest);
    let sim = run_ms(&yaml, 60_000);
    assert!(sim.store.replicasets.is_empty());
    assert_eq!(sim.store.pods.len(), 3, "released, not collected");
}

/// Each Orphan delete of an owner a user's finalizer keeps starts a
/// release of its own, and each ends with the `orphan` finalizer gone.
#[test]
fn every_orphan_delete_is_released() {
    let yaml = RS.replace(
        "  - at: 10s\n    delete: {kind: ReplicaSet, name: rs}\n",
        "  - {at: 10s, kubectl: delete rs rs --cascade=orphan}\n  - {at: 20s, kubectl: delete rs rs --cascade=orphan}\n",
    );
    let sim = run_ms(&yaml, 30_000);
    let rs = sim.store.replicasets.values().next().expect("kept by the user's finalizer");
    assert_eq!(rs.meta.finalizers.iter().map(|f| &**f).collect::<Vec<_>>(), vec!["example.com/keep"]);
}

/// The shorter grace of a delete made while the node was cut off reaches
/// the kubelet with its relist at the heal, and shortens the kill then.
#[test]
fn a_force_delete_seen_at_a_heal_shortens_the_kill() {
    let yaml = "name: force\nseed: 5\ncluster:\n  nodes: [{name: node-1}]\nimages:\n  busybox:1.36: {pull: 1s}\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [example.com/keep]}, spec: {terminationGracePeriodSeconds: 60, containers: [{name: c, image: \"busybox:1.36\", command: [sh, -c, \"while true; do sleep 1; done\"]}]}}\ntimeline:\n  - {at: 10s, kubectl: delete pod p}\n  - {at: 12s, partitionNode: node-1}\n  - {at: 15s, kubectl: delete pod p --grace-period=0 --force}\n  - {at: 20s, healNode: node-1}\n";
    let sim = run_ms(yaml, 25_000);
    let p = sim.store.pods.values().next().expect("kept by its finalizer");
    assert!(p.status.phase.is_terminal(), "killed about 2 s after the heal: {:?}", p.status.phase);
}

/// Without finalizers: a second delete with a shorter (non-zero) grace
/// shortens the kill in progress too, and the pod goes when it ends.
#[test]
fn a_second_delete_with_a_shorter_grace_shortens_the_kill() {
    let yaml = "name: shorter\nseed: 5\ncluster:\n  nodes: [{name: node-1}]\nimages:\n  busybox:1.36: {pull: 1s}\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {terminationGracePeriodSeconds: 60, containers: [{name: c, image: \"busybox:1.36\", command: [sh, -c, \"while true; do sleep 1; done\"]}]}}\ntimeline:\n  - {at: 10s, kubectl: delete pod p}\n  - {at: 15s, kubectl: delete pod p --grace-period=5}\n";
    assert_eq!(run_ms(yaml, 19_000).store.pods.len(), 1);
    assert!(run_ms(yaml, 21_000).store.pods.is_empty(), "killed 5 s after the second delete, then deleted");
}
