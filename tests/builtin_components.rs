//! The built-ins that run as components: the taint-eviction controller
//! (its crash loses its timers) and the pod garbage collector
//! (`pkg/controller/podgc`): orphans collected after the 40 s quarantine, patched
//! `Failed` with `DisruptionTarget` first; terminated pods beyond the
//! threshold, oldest first; terminating pods on an out-of-service node;
//! and its crash and restart (it relists, and still finds the orphans of a
//! node deleted while it was down).

use crate::root;
use kubesim::component::{Controller, Cx};
use kubesim::objects::store::{WatchEvent, WatchKind};
use kubesim::objects::{Kind, Object};
use kubesim::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// What a watcher saw of the pods: (time, pod, phase, DisruptionTarget
/// reason, deleted).
type Seen = Rc<RefCell<Vec<(SimTime, String, String, Option<String>, bool)>>>;

struct PodWatcher(Seen);

impl Controller for PodWatcher {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod]
    }
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Pod(p) = &ev.obj else { return };
        let reason = p.status.conditions.disruption_target.as_ref().and_then(|c| c.reason.as_deref().map(String::from));
        self.0.borrow_mut().push((
            cx.now(),
            p.meta.name.to_string(),
            format!("{:?}", p.status.phase),
            reason,
            ev.kind == WatchKind::Deleted,
        ));
    }
}

fn run(yaml: &str, until: u64) -> (Simulation, Seen) {
    let scn = kubesim::scenario::load_str(yaml, "podgc.yaml", &root().join("scenarios")).expect("loads");
    let seen: Seen = Default::default();
    let s = seen.clone();
    let mut sim = Simulation::builder(&scn).component("pod-watcher", move || PodWatcher(s.clone())).build().unwrap();
    sim.trace.keep_events(true);
    sim.run_until(SimTime::from_secs(until));
    (sim, seen)
}

/// When the watcher saw `pod` deleted.
fn deleted_at(seen: &Seen, pod: &str) -> Option<SimTime> {
    seen.borrow().iter().find(|s| s.1 == pod && s.4).map(|s| s.0)
}

const ORPHAN: &str = "name: orphan\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: n-1, containers: [{name: c, image: busybox}]}}\n  - {apiVersion: v1, kind: Pod, metadata: {name: ghost}, spec: {nodeName: never-was, containers: [{name: c, image: busybox}]}}\n  - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {nodeName: n-2, containers: [{name: c, image: busybox}]}}\n";

#[test]
fn orphans_are_marked_failed_then_deleted_after_the_quarantine() {
    let yaml = format!("{}timeline:\n  - at: 10s\n    delete: {{kind: Node, name: n-1}}\n", ORPHAN);
    let (sim, seen) = run(&yaml, 200);
    // Passes every 20 s. n-1 is gone from the informer at 10 s: the pass at
    // 20 s quarantines it until 60 s, the pass at 60 s finds it still gone.
    // The pod bound to a node that never existed is quarantined by the
    // first pass too.
    for pod in ["p", "ghost"] {
        let t = deleted_at(&seen, pod).unwrap_or_else(|| panic!("{} is collected", pod));
        assert!(t > SimTime::from_secs(60) && t < SimTime::from_secs(61), "{} deleted at {}", pod, t);
        // First patched to Failed, with the DisruptionTarget condition.
        let failed = seen
            .borrow()
            .iter()
            .find(|s| s.1 == pod && !s.4 && s.2 == "Failed")
            .map(|s| (s.0, s.3.clone()))
            .unwrap_or_else(|| panic!("{} was marked Failed: {:?}", pod, seen.borrow()));
        assert_eq!(failed.1.as_deref(), Some("DeletionByPodGC"));
        assert!(failed.0 > SimTime::from_secs(60) && failed.0 < t);
    }
    // The pod on the node that exists stays.
    let left: Vec<&str> = sim.store.pods.values().map(|p| &*p.meta.name).collect();
    assert_eq!(left, vec!["q"]);
}

#[test]
fn a_restarted_collector_relists_and_still_finds_the_orphans() {
    // The collector is down from 5 s to 65 s; n-1 is deleted meanwhile, so
    // no watch event tells the new instance of it: its pods, listed, are
    // bound to a node its node list lacks. First pass 20 s after the
    // restart (≈ 85 s), quarantine until ≈ 125 s, deleted by the pass then.
    let yaml = format!(
        "{}timeline:\n  - at: 5s\n    crashController: {{name: podgc, restartAfter: 60s}}\n  - at: 10s\n    delete: {{kind: Node, name: n-1}}\n",
        ORPHAN
    );
    let (sim, seen) = run(&yaml, 200);
    let t = deleted_at(&seen, "p").expect("p is collected after the restart");
    assert!(t > SimTime::from_secs(125) && t < SimTime::from_secs(126), "deleted at {}", t);
    let left: Vec<&str> = sim.store.pods.values().map(|p| &*p.meta.name).collect();
    assert_eq!(left, vec!["q"], "the relisted nodes keep their pods");
    // Two runs, one trace.
    let (again, _) = run(&yaml, 200);
    assert_eq!(sim.trace.hash_hex(), again.trace.hash_hex());
}

#[test]
fn the_oldest_terminated_pods_beyond_the_threshold_are_deleted() {
    // Five pods that exit at once, created a second apart; the threshold
    // keeps two.
    let mut yaml = String::from(
        "name: threshold\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\n  config: {terminatedPodGCThreshold: 2}\nimages:\n  quick: {exitAfter: 1s}\ntimeline:\n",
    );
    for i in 0..5 {
        yaml += &format!(
            "  - at: {}s\n    create: {{apiVersion: v1, kind: Pod, metadata: {{name: t{}}}, spec: {{restartPolicy: Never, containers: [{{name: c, image: quick}}]}}}}\n",
            i + 1,
            i
        );
    }
    let (sim, seen) = run(&yaml, 100);
    let mut left: Vec<String> = sim.store.pods.values().map(|p| p.meta.name.to_string()).collect();
    left.sort();
    assert_eq!(left, vec!["t3", "t4"], "the two youngest stay");
    // Terminal pods are deleted without a patch.
    assert!(!seen.borrow().iter().any(|s| s.3.is_some()));
}

#[test]
fn terminating_pods_on_an_out_of_service_node_are_force_deleted() {
    // n-1 crashes; its Lease stops, so it turns NotReady (≈ 40 s grace).
    // The operator's out-of-service taint at 100 s makes the
    // taint-eviction controller delete the pod (it hangs Terminating: no
    // kubelet ends it), and PodGC's next pass force-deletes it.
    let yaml = "name: oos\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: n-1, terminationGracePeriodSeconds: 3600, containers: [{name: c, image: busybox}]}}\ntimeline:\n  - at: 1s\n    crashNode: n-1\n  - at: 100s\n    kubectl: taint nodes n-1 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute\n";
    let (sim, seen) = run(yaml, 200);
    let t = deleted_at(&seen, "p").expect("the pod is force-deleted");
    assert!(t > SimTime::from_secs(120) && t < SimTime::from_secs(121), "deleted at {}", t);
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
}

#[test]
fn kubectl_taint_errors_are_kubectls() {
    // A NoExecute taint evicts the pod (no toleration), a second add of
    // the same key and effect needs --overwrite, and removing a taint the
    // node lacks is an error.
    let yaml = "name: taints\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: n-1, containers: [{name: c, image: busybox}]}}\ntimeline:\n  - at: 10s\n    kubectl: taint nodes n-1 maintenance=now:NoExecute\n  - at: 11s\n    kubectl: taint nodes n-1 maintenance=later:NoExecute\n  - at: 12s\n    kubectl: taint nodes n-1 maintenance=later:NoExecute --overwrite\n  - at: 13s\n    kubectl: taint nodes n-1 absent:NoSchedule-\n  - at: 14s\n    kubectl: taint nodes n-9 a:NoSchedule\n";
    let (sim, seen) = run(yaml, 60);
    let errs: Vec<&str> = sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        errs,
        vec![
            "error: node n-1 already has maintenance taint(s) with same effect(s) and --overwrite is false",
            "error: taint \"absent:NoSchedule\" not found",
            "Error from server (NotFound): nodes \"n-9\" not found",
        ]
    );
    let n = &sim.store.nodes["n-1"];
    let taints: Vec<(&str, &str)> = n.spec.taints.iter().map(|t| (&*t.key, &*t.value)).collect();
    assert_eq!(taints, vec![("maintenance", "later")]);
    let t = deleted_at(&seen, "p").expect("the NoExecute taint evicts the pod");
    assert!(t > SimTime::from_secs(10), "{}", t);
}

#[test]
fn faults_name_only_what_runs_as_a_component() {
    let base = "name: faults\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\n";
    let yaml = format!("{}timeline:\n  - at: 500ms\n    coalesceWatch: {{controller: default-scheduler, for: 1m}}\n  - at: 1s\n    crashController: kube-scheduler\n  - at: 2s\n    staleWatch: {{controller: podgc, lag: 10s, for: 1m}}\n  - at: 3s\n    crashController: pod-garbage-collector-controller\n  - at: 4s\n    crashController: replicaset\n  - at: 5s\n    crashController: kubelet\n  - at: 6s\n    staleWatch: {{controller: kubelet, lag: 10s, for: 1m}}\n  - at: 7s\n    crashController: kube-proxy\n  - at: 8s\n    coalesceWatch: {{controller: kube-proxy, for: 1m}}\n", base);
    let (sim, _) = run(&yaml, 10);
    let errs: Vec<&str> = sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errs.len(), 6, "{:?}", errs);
    assert!(errs[0].contains("\"default-scheduler\" is the default scheduler"), "{}", errs[0]);
    assert!(errs[1].contains("kube-controller-manager's shared informers"), "{}", errs[1]);
    // The kubelets and kube-proxies are components too, but each lives
    // and dies with its node.
    for (e, agent) in errs[2..].iter().zip(["kubelet", "kubelet", "kube-proxy", "kube-proxy"]) {
        let says = format!("\"{}\" is a node agent: it lives and dies with its node (crashNode", agent);
        assert!(e.contains(&says), "{}", e);
    }
    // Every kube-controller-manager controller can crash, and so can the
    // default scheduler: it, the pod GC and the replicaset controller did.
    let crashed: Vec<&str> =
        sim.trace.events().iter().filter(|e| e.reason == "ControllerCrashed").map(|e| &*e.name).collect();
    assert_eq!(crashed, vec!["default-scheduler", "pod-garbage-collector-controller", "replicaset-controller"]);
    // Switched off, the pod GC is not running at all.
    let off = format!("{}  controllers: ['*', -podgc]\ntimeline:\n  - at: 1s\n    crashController: podgc\n", base);
    let (sim, _) = run(&off, 10);
    let errs: Vec<&str> = sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errs, vec!["error: controller \"podgc\" is not running in this cluster"]);
}

/// When the taint-eviction controller marked `pod` for deletion (its
/// Event).
fn marked_at(sim: &Simulation, pod: &str) -> Option<SimTime> {
    sim.trace.events().iter().find(|r| r.reason == "TaintManagerEviction" && r.name == pod).map(|r| r.time)
}

#[test]
fn a_restarted_taint_eviction_controller_starts_the_tolerations_again() {
    // n-1 crashes at 1 s; it turns NotReady and is tainted unreachable
    // (NoExecute) about a minute later; the pod tolerates that for 300 s
    // (DefaultTolerationSeconds): evicted at ≈ 366 s. Crashing the taint-eviction controller
    // at 100 s loses its timer: the instance back at 110 s relists and
    // gives the pod its 300 s again from then, as a restarted
    // kube-controller-manager does.
    let base = "name: te\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: n-1, containers: [{name: c, image: busybox}]}}\ntimeline:\n  - at: 1s\n    crashNode: n-1\n";
    let (plain, _) = run(base, 600);
    let first = marked_at(&plain, "p").expect("evicted");
    assert!(first > SimTime::from_secs(360) && first < SimTime::from_secs(370), "evicted at {}", first);
    let crashed =
        format!("{}  - at: 100s\n    crashController: {{name: taint-eviction-controller, restartAfter: 10s}}\n", base);
    let (sim, _) = run(&crashed, 600);
    let again = marked_at(&sim, "p").expect("evicted after the restart");
    assert!(again > SimTime::from_secs(410) && again < SimTime::from_secs(411), "evicted at {}", again);
}

#[test]
fn a_restarted_collector_hears_deletions_of_what_it_listed() {
    // Five pods terminated by 10 s; the collector is down from 10 s to
    // 40 s, so no pass ran. The user deletes the two youngest at 45 s,
    // after the restart's list: the collector must hear those deletions
    // (their versions are older than its list), so at the 60 s pass three
    // terminated pods are left and only the oldest goes.
    let mut yaml = String::from(
        "name: relist\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\n  config: {terminatedPodGCThreshold: 2}\nimages:\n  quick: {exitAfter: 1s}\ntimeline:\n  - at: 10s\n    crashController: {name: podgc, restartAfter: 30s}\n  - at: 45s\n    kubectl: delete pod t3\n  - at: 45s\n    kubectl: delete pod t4\n",
    );
    for i in 0..5 {
        yaml += &format!(
            "  - at: {}s\n    create: {{apiVersion: v1, kind: Pod, metadata: {{name: t{}}}, spec: {{restartPolicy: Never, containers: [{{name: c, image: quick}}]}}}}\n",
            i + 1,
            i
        );
    }
    let (sim, _) = run(&yaml, 100);
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    let mut left: Vec<String> = sim.store.pods.values().map(|p| p.meta.name.to_string()).collect();
    left.sort();
    assert_eq!(left, vec!["t1", "t2"]);
}

/// The pods, ReplicaSets and Deployments the store holds at the end.
fn workload_left(sim: &Simulation) -> (usize, usize, usize) {
    let deployments = sim.store.typed.keys().filter(|(k, _)| k == "Deployment").count();
    (sim.store.pods.len(), sim.store.replicasets.len(), deployments)
}

#[test]
fn a_restarted_garbage_collector_collects_what_lost_its_owner_while_it_was_down() {
    // The collector is down from 5 s to 35 s. The Deployment is deleted
    // at 10 s (background propagation): no collector hears it, so its
    // ReplicaSet and pods stay. The restarted collector lists them, finds
    // the ReplicaSet's Deployment absent and deletes the ReplicaSet, then
    // (hearing that deletion) its pods; a ReplicaSet deleted on its own
    // meanwhile has its pods collected by the same sweep.
    let yaml = "name: gc\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nobjects:\n  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}}}\n  - {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: db}, spec: {replicas: 1, selector: {matchLabels: {app: db}}, template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: nginx}]}}}}\ntimeline:\n  - at: 5s\n    crashController: {name: garbagecollector, restartAfter: 30s}\n  - at: 10s\n    kubectl: delete deployment web\n  - at: 10s\n    kubectl: delete rs db\n";
    let scn = kubesim::scenario::load_str(yaml, "gc.yaml", &root().join("scenarios")).expect("loads");
    let mut sim = Simulation::builder(&scn).build().unwrap();
    sim.run_until(SimTime::from_secs(30));
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    assert_eq!(workload_left(&sim), (3, 1, 0), "nothing is collected while the collector is down");
    sim.run_until(SimTime::from_secs(120));
    assert_eq!(workload_left(&sim), (0, 0, 0), "the restarted collector finishes the job");
    // Without the crash, the same end.
    let plain = yaml.replace(
        "crashController: {name: garbagecollector, restartAfter: 30s}",
        "crashController: {name: podgc, restartAfter: 1s}",
    );
    let scn = kubesim::scenario::load_str(&plain, "gc.yaml", &root().join("scenarios")).expect("loads");
    let mut sim = Simulation::builder(&scn).build().unwrap();
    sim.run_until(SimTime::from_secs(30));
    assert_eq!(workload_left(&sim), (0, 0, 0));
}

#[test]
fn restarted_endpoints_controllers_catch_up_and_delete_leftovers() {
    // Both endpoints controllers are down from 5 s to 35 s. Meanwhile
    // Service `gone` is deleted and a second `web` pod starts. Back, they
    // relist: `web`'s Endpoints and slice list both pods, and `gone`'s
    // leftovers are deleted (`checkLeftoverEndpoints` for the Endpoints;
    // the slice's owner is gone).
    use kubesim::kinds::endpoints::Endpoints;
    use kubesim::kinds::endpointslice::EndpointSlice;
    use kubesim::objects::store::Key;
    let yaml = "name: ep\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: w1, labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}\n  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}\n  - {apiVersion: v1, kind: Service, metadata: {name: gone}, spec: {selector: {app: web}, ports: [{port: 80}]}}\ntimeline:\n  - at: 5s\n    crashController: {name: endpoint, restartAfter: 30s}\n  - at: 5s\n    crashController: {name: endpointslice, restartAfter: 30s}\n  - at: 10s\n    kubectl: delete svc gone\n  - at: 10s\n    create: {apiVersion: v1, kind: Pod, metadata: {name: w2, labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}\n";
    let scn = kubesim::scenario::load_str(yaml, "ep.yaml", &root().join("scenarios")).expect("loads");
    let mut sim = Simulation::builder(&scn).build().unwrap();
    let addresses = |sim: &Simulation, name: &str| -> Option<usize> {
        let e = sim.store.typed.get(&("Endpoints".to_string(), Key::new("default", name)))?;
        Some(e.downcast::<Endpoints>().expect("Endpoints").subsets.iter().map(|s| s.addresses.len()).sum())
    };
    let slice_endpoints = |sim: &Simulation, name: &str| -> Vec<usize> {
        sim.store
            .typed
            .iter()
            .filter(|((k, _), _)| k == "EndpointSlice")
            .filter_map(|(_, t)| t.downcast::<EndpointSlice>())
            .filter(|s| s.service_name() == Some(name))
            .map(|s| s.endpoints.len())
            .collect()
    };
    sim.run_until(SimTime::from_secs(30));
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    assert_eq!(addresses(&sim, "web"), Some(1), "the second pod is not seen while the controller is down");
    assert_eq!(addresses(&sim, "gone"), Some(1), "nor the Service's deletion");
    assert_eq!(slice_endpoints(&sim, "gone"), vec![1]);
    sim.run_until(SimTime::from_secs(60));
    assert_eq!(addresses(&sim, "web"), Some(2));
    assert_eq!(slice_endpoints(&sim, "web"), vec![2]);
    assert_eq!(addresses(&sim, "gone"), None, "leftover Endpoints deleted");
    assert!(slice_endpoints(&sim, "gone").is_empty(), "leftover slices deleted");
}

/// When the node-lifecycle controller marked `node` NotReady (its Event).
fn not_ready_at(sim: &Simulation, node: &str) -> Option<SimTime> {
    sim.trace.events().iter().find(|r| r.reason == "NodeNotReady" && r.kind == "Node" && r.name == node).map(|r| r.time)
}

#[test]
fn a_restarted_node_lifecycle_controller_gives_every_node_a_full_grace() {
    // n-1 crashes at 1 s: its last renewal (≈ 0 s) is first seen by the
    // 5 s monitor pass, so the 50 s grace runs out after 55 s: NotReady at
    // the 60 s pass. A node-lifecycle controller crashed at 20 s and back
    // at 50 s (its list in at 50.01 s) has no record of any node: as
    // `tryUpdateNodeHealth` does, it takes its first pass (55 s) as every
    // node's probe time, so n-1 turns NotReady at the 110 s pass, and the
    // live n-2 never — under both heartbeat models, with one trace. (The
    // literal model found a bug: a restarted built-in took every later
    // Lease renewal, a folded write that keeps the Lease's version, for
    // one its list had shown, and n-2 went NotReady.)
    let base = "name: nlc\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\n  config: {heartbeatSkipping: HB}\ntimeline:\n  - at: 1s\n    crashNode: n-1\n";
    let crashed = format!("{}  - at: 20s\n    crashController: {{name: nodelifecycle, restartAfter: 30s}}\n", base);
    let mut hashes = Vec::new();
    for hb in ["1", "0"] {
        let (plain, _) = run(&base.replace("HB", hb), 200);
        let t = not_ready_at(&plain, "n-1").expect("NotReady");
        assert_eq!(t, SimTime::from_secs(60), "heartbeatSkipping {}", hb);
        let (sim, _) = run(&crashed.replace("HB", hb), 200);
        assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
        let t = not_ready_at(&sim, "n-1").expect("NotReady after the restart");
        assert_eq!(t, SimTime::from_secs(110), "heartbeatSkipping {}", hb);
        assert_eq!(not_ready_at(&sim, "n-2"), None, "the live node stays Ready");
        hashes.push(sim.trace.hash_hex());
    }
    assert_eq!(hashes[0], hashes[1], "the analytic model gives the literal trace");
}

#[test]
fn the_replicaset_controller_survives_crashes_between_its_writes() {
    // The built-in replicaset controller crashed at any point of a
    // scale-up and a scale-down, at once or between the writes of one
    // sync (its slow-start batches of creates, its deletes, its status
    // update): once the faults stop, every ReplicaSet owns exactly its
    // replicas again. A 'sometimes' property proves a crash happened.
    use kubesim::check::{invariants, Check, FaultSpace, Property};
    let yaml = "name: rs crashes\nseed: 1\nduration: 8m\ncluster:\n  nodes: [{namePrefix: node, count: 3, capacity: {cpu: \"8\", memory: 16Gi, pods: 110}}]\nobjects:\n  - {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web}, spec: {replicas: 20, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx}]}}}}\ntimeline:\n  - at: 1m\n    kubectl: scale rs web --replicas=60\n  - at: 2m\n    kubectl: scale rs web --replicas=15\n";
    let report = Check::from_str(yaml, "rs-crashes.yaml", &root())
        .expect("loads")
        .faults(FaultSpace::nodes(&[], "3m").controllers(&["replicaset"]).max_faults(3))
        .property(invariants::replica_sets_stable("2m"))
        .property(|| Property::sometimes("the controller was down", |sim| !sim.components_settled()))
        .cases(24)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

#[test]
fn a_restarted_node_lifecycle_controller_hears_a_renewal_stream_stop() {
    // (Found by review.) The analytic model's stop of a Lease's renewal
    // stream is a folded write like a renewal (same resourceVersion), and
    // here it keeps the renewTime the restarted controller listed: n-1
    // restarts at 45 s (the list at 50 s shows that stream) and crashes
    // again at 52 s, before its next renewal. The stop must still reach
    // the controller, or n-1 never turns NotReady; both heartbeat models
    // agree.
    let base = "name: nlc\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\n  config: {heartbeatSkipping: HB}\ntimeline:\n  - at: 1s\n    crashNode: n-1\n  - at: 20s\n    crashController: {name: nodelifecycle, restartAfter: 30s}\n  - at: 45s\n    restartNode: n-1\n  - at: 52s\n    crashNode: n-1\n";
    let mut got = Vec::new();
    for hb in ["1", "0"] {
        let (sim, _) = run(&base.replace("HB", hb), 400);
        assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
        got.push((not_ready_at(&sim, "n-1"), not_ready_at(&sim, "n-2"), sim.trace.hash_hex()));
    }
    assert_eq!(got[0].0, Some(SimTime::from_secs(110)), "{:?}", got);
    assert_eq!(got[0].1, None);
    assert_eq!(got[0], got[1], "both heartbeat models give one trace");
}

#[test]
fn writes_waiting_in_a_crashed_controllers_rate_limiter_never_leave() {
    // (Found by review.) A Job of 200 pods: the Job controller's creates
    // leave its client 30 at once, then 20 a second. Crashed at 2 s, the
    // creates still waiting in its rate limiter die with it (client-go's
    // limiter blocks before a request is sent); the restarted controller
    // creates what is missing. Before, they reached the apiserver anyway
    // and the new instance's creates came on top: 311 pods, 111 deleted.
    let base = "name: burst\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\nobjects:\n  - {apiVersion: batch/v1, kind: Job, metadata: {name: big}, spec: {parallelism: 200, completions: 200, template: {spec: {restartPolicy: Never, containers: [{name: c, image: nginx}]}}}}\ntimeline:\n  - at: 2s\n    crashController: {name: CRASHED, restartAfter: 1s}\n";
    let mut got = Vec::new();
    for crashed in ["podgc", "job"] {
        let (_, seen) = run(&base.replace("CRASHED", crashed), 60);
        let names: std::collections::BTreeSet<String> =
            seen.borrow().iter().filter(|s| s.1.starts_with("big-")).map(|s| s.1.clone()).collect();
        let deleted = seen.borrow().iter().filter(|s| s.1.starts_with("big-") && s.4).count();
        got.push((names.len(), deleted));
    }
    assert_eq!(got, vec![(200, 0), (200, 0)]);
}

/// Each pod's `Scheduled` Events: (time, message).
fn scheduled(sim: &Simulation, pod: &str) -> Vec<(SimTime, String)> {
    sim.trace
        .events()
        .iter()
        .filter(|e| e.reason == "Scheduled" && &*e.name == pod)
        .map(|e| (e.time, e.message.to_string()))
        .collect()
}

fn pod_node(sim: &Simulation, pod: &str) -> Option<String> {
    sim.store.pods.values().find(|p| &*p.meta.name == pod).and_then(|p| p.node_name().map(String::from))
}

fn cpu_pod(name: &str, cpu: &str) -> String {
    format!(
        "{{apiVersion: v1, kind: Pod, metadata: {{name: {}}}, spec: {{containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: \"{}\"}}}}}}]}}}}",
        name, cpu
    )
}

#[test]
fn a_restarted_default_scheduler_relists_and_schedules_what_came_meanwhile() {
    // `big` (1500m) runs on n-1 from the start. The scheduler is down from 1 s
    // to 31 s; three 1-cpu pods created at 5 s wait for it. The new
    // instance lists the nodes and pods (a round trip) and counts `big`
    // on n-1 from the list: only 500m is left there, so two pods go to
    // n-2 and the third fits nowhere. An instance that had not counted
    // the listed pods would have put one on n-1.
    let yaml = format!(
        "name: sched restart\nseed: 1\ncluster:\n  nodes: [{{namePrefix: n, count: 2, capacity: {{cpu: \"2\", memory: 4Gi}}}}]\nobjects:\n  - {}\ntimeline:\n  - at: 1s\n    crashController: {{name: default-scheduler, restartAfter: 30s}}\n  - at: 5s\n    create: {}\n  - at: 5s\n    create: {}\n  - at: 5s\n    create: {}\n",
        cpu_pod("big", "1500m").replace("spec: {", "spec: {nodeName: n-1, "),
        cpu_pod("a", "1"),
        cpu_pod("b", "1"),
        cpu_pod("c", "1")
    );
    let (sim, _) = run(&yaml, 60);
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    assert_eq!(pod_node(&sim, "big").as_deref(), Some("n-1"));
    let mut placed = Vec::new();
    for p in ["a", "b", "c"] {
        let s = scheduled(&sim, p);
        assert!(s.len() <= 1, "{} scheduled twice: {:?}", p, s);
        if let Some((t, _)) = s.first() {
            // After the restart and its list, in the next instants.
            assert!(*t > SimTime::from_secs(31) && *t < SimTime::from_secs(32), "{} at {}", p, t);
        }
        placed.push(pod_node(&sim, p));
    }
    let on = |n: &str| placed.iter().filter(|p| p.as_deref() == Some(n)).count();
    assert_eq!((on("n-1"), on("n-2"), on_none(&placed)), (0, 2, 1), "{:?}", placed);
    // The one left over is reported as kube-scheduler reports it.
    let failed: Vec<&str> =
        sim.trace.events().iter().filter(|e| e.reason == "FailedScheduling").map(|e| e.source).collect();
    assert!(!failed.is_empty() && failed.iter().all(|s| *s == "default-scheduler"), "{:?}", failed);
    let restarted: Vec<&str> =
        sim.trace.events().iter().filter(|e| e.reason == "ControllerStarted").map(|e| &*e.name).collect();
    assert_eq!(restarted, vec!["default-scheduler"]);
    let (again, _) = run(&yaml, 60);
    assert_eq!(sim.trace.hash_hex(), again.trace.hash_hex());
}

fn on_none(placed: &[Option<String>]) -> usize {
    placed.iter().filter(|p| p.is_none()).count()
}

#[test]
fn a_scheduler_crashed_between_its_binds_binds_each_pod_once() {
    // Six pods at once: the scheduler binds them one cycle apart. It dies
    // as it sends its third bind (`afterWrites: 2`), so the third pod's
    // bind never leaves. The first two binds land, but their answers come
    // back to a dead process: no `Scheduled` Event for them (kube-scheduler
    // records it once the binding call returns). The new instance, 5 s
    // later, lists those two as bound and schedules the other four, each
    // with one bind and one Event.
    let mut yaml = String::from(
        "name: sched burst\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 3}]\ntimeline:\n  - at: 500ms\n    crashController: {name: default-scheduler, afterWrites: 2, restartAfter: 5s}\n",
    );
    for i in 0..6 {
        yaml += &format!("  - at: 1s\n    create: {}\n", cpu_pod(&format!("p{}", i), "100m"));
    }
    let (sim, _) = run(&yaml, 30);
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    let mut events = Vec::new();
    for i in 0..6 {
        let p = format!("p{}", i);
        assert!(pod_node(&sim, &p).is_some(), "{} is bound", p);
        let s = scheduled(&sim, &p);
        assert!(s.iter().all(|(t, _)| *t > SimTime::from_secs(6) && *t < SimTime(6_100_000_000)), "{}: {:?}", p, s);
        events.push(s.len());
    }
    assert_eq!(events, vec![0, 0, 1, 1, 1, 1]);
    let crashed = sim.trace.events().iter().filter(|e| e.reason == "ControllerCrashed").count();
    assert_eq!(crashed, 1);
}

/// A rogue binder: it binds every pod named `contested` to `n-2` the
/// moment it sees it, racing the default scheduler.
struct Rogue;

impl Controller for Rogue {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod]
    }
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Pod(p) = &ev.obj else { return };
        if ev.kind == WatchKind::Added && &*p.meta.name == "contested" {
            let p = p.clone();
            cx.bind(&p, "n-2");
        }
    }
}

#[test]
fn a_failed_bind_gives_back_what_the_scheduler_assumed() {
    // n-2 already runs a 1-cpu pod. The scheduler assumes `contested`
    // (1 cpu) on n-1, the emptier node; then `x` (1.5 cpu) fits nowhere.
    // The rogue's bind of `contested` to n-2 lands first, so the
    // scheduler's fails with a Conflict, whose error comes back before the
    // watch shows the rogue's bind: the scheduler forgets the assumption,
    // retries the pods the freed room may help (`x`, after its 1 s
    // back-off, on the next backoffQ flush at 3 s), and reports the lost
    // bind as kube-scheduler's failure handler does.
    let yaml = format!(
        "name: contested\nseed: 1\ncluster:\n  nodes:\n    - {{name: n-1, capacity: {{cpu: \"2\", memory: 8Gi}}}}\n    - {{name: n-2, capacity: {{cpu: \"2\", memory: 8Gi}}}}\nobjects:\n  - {}\ntimeline:\n  - at: 1s\n    create: {}\n  - at: 1s\n    create: {}\n",
        cpu_pod("filler", "1").replace("spec: {", "spec: {nodeName: n-2, "),
        cpu_pod("contested", "1"),
        cpu_pod("x", "1500m")
    );
    let scn = kubesim::scenario::load_str(&yaml, "contested.yaml", &root().join("scenarios")).expect("loads");
    let run = || {
        let mut sim = Simulation::builder(&scn).component("rogue", || Rogue).build().unwrap();
        sim.trace.keep_events(true);
        sim.run_until(SimTime::from_secs(30));
        sim
    };
    let sim = run();
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    assert_eq!(pod_node(&sim, "contested").as_deref(), Some("n-2"), "the rogue's bind won");
    assert!(scheduled(&sim, "contested").is_empty(), "the scheduler's bind did not succeed");
    let failed = |pod: &str| -> Vec<(SimTime, String)> {
        sim.trace
            .events()
            .iter()
            .filter(|e| e.reason == "FailedScheduling" && &*e.name == pod)
            .map(|e| (e.time, e.message.to_string()))
            .collect()
    };
    assert_eq!(
        failed("contested"),
        // Created at 1 s: the create's hop (5 ms) and the watch's (10 ms),
        // then the bind's round trip (10 ms).
        vec![(
            SimTime(1_025_000_000),
            "running Bind plugin \"DefaultBinder\": Operation cannot be fulfilled on pods/binding \"contested\": pod contested is already assigned to node \"n-2\"".to_string()
        )]
    );
    assert_eq!(failed("x").len(), 1, "{:?}", failed("x"));
    assert_eq!(pod_node(&sim, "x").as_deref(), Some("n-1"));
    let s = scheduled(&sim, "x");
    assert!(s.len() == 1 && s[0].0 > SimTime::from_secs(3) && s[0].0 < SimTime(3_100_000_000), "{:?}", s);
    assert_eq!(sim.trace.hash_hex(), run().trace.hash_hex());
}

#[test]
fn the_default_scheduler_survives_crashes_between_its_binds() {
    // A ReplicaSet scaled up to fill the cluster to the last millicore
    // (24 pods × 500m on 3 × 4 cpu) and down again, while the default
    // scheduler crashes at any point, at once or between two binds. Once
    // the faults stop, every pod is bound and none was refused by a
    // kubelet's admission: each restarted scheduler counted what its list
    // showed bound. A 'sometimes' property proves a crash happened.
    use kubesim::check::{invariants, Check, FaultSpace, Property};
    let yaml = "name: scheduler crashes\nseed: 1\nduration: 8m\ncluster:\n  nodes: [{namePrefix: node, count: 3, capacity: {cpu: \"4\", memory: 16Gi, pods: 110}}]\nobjects:\n  - {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web}, spec: {replicas: 10, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: nginx, resources: {requests: {cpu: 500m}}}]}}}}\ntimeline:\n  - at: 1m\n    kubectl: scale rs web --replicas=24\n  - at: 2m\n    kubectl: scale rs web --replicas=12\n  - at: 150s\n    kubectl: scale rs web --replicas=24\n";
    let all_bound = || {
        Property::eventually("every pod bound, none refused", "2m", |sim: &Simulation| {
            for p in sim.store.pods.values() {
                if p.status.phase.is_terminal() {
                    return Err(format!("{} ended {:?} ({:?})", p.meta.name, p.status.phase, p.status.reason));
                }
                if p.node_name().is_none() {
                    return Err(format!("{} is pending", p.meta.name));
                }
            }
            Ok(())
        })
    };
    let report = Check::from_str(yaml, "scheduler-crashes.yaml", &root())
        .expect("loads")
        .faults(FaultSpace::nodes(&[], "3m").controllers(&["default-scheduler"]).max_faults(3))
        .property(invariants::admitted_within_allocatable())
        .property(invariants::replica_sets_stable("2m"))
        .property(all_bound)
        .property(|| Property::sometimes("the scheduler was down", |sim| !sim.components_settled()))
        .cases(24)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

#[test]
fn a_restarted_scheduler_has_a_fresh_rate_limiter() {
    // 300 pods at once: the scheduler binds one a millisecond, through
    // kube-scheduler's client (burst 100, then 50 a second), so by its
    // crash at 1.5 s about 175 binds wait in the rate limiter, reserved
    // until ≈ 5 s. They die with the process, and so does the client: the
    // process back at 2.5 s sends its first bind at once.
    let mut yaml = String::from(
        "name: sched backlog\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 10, capacity: {cpu: \"64\", memory: 256Gi, pods: 110}}]\ntimeline:\n  - at: 1500ms\n    crashController: {name: default-scheduler, restartAfter: 1s}\n",
    );
    yaml += "objects:\n";
    for i in 0..300 {
        yaml += &format!("  - {}\n", cpu_pod(&format!("p{}", i), "10m"));
    }
    let (sim, _) = run(&yaml, 60);
    let after: Vec<SimTime> = sim
        .trace
        .events()
        .iter()
        .filter(|e| e.reason == "Scheduled" && e.time > SimTime(2_500_000_000))
        .map(|e| e.time)
        .collect();
    let first = *after.first().expect("the new instance binds");
    assert!(first < SimTime(2_600_000_000), "first bind answered at {}", first);
    assert!(sim.store.pods.values().all(|p| p.node_name().is_some()), "every pod is bound");
}

/// 200 pods bound to one node at once: its kubelet reports each one
/// twice or more (admitted, then running) through its client (burst 100,
/// then 50 a second), so its writes wait in the rate limiter for seconds.
/// (A tagged image, quick to pull: the pulls are serialized.)
fn busy_node(timeline: &str) -> String {
    busy_node_on("", timeline)
}

/// `busy_node` with `cluster.config` lines `config`.
fn busy_node_on(config: &str, timeline: &str) -> String {
    let mut yaml = String::from(
        "name: busy kubelet\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1, capacity: {cpu: \"64\", memory: 256Gi, pods: 250}}]\n",
    );
    yaml += config;
    yaml += "images:\n  nginx:1.25: {pull: 10ms}\n";
    yaml += timeline;
    yaml += "objects:\n";
    for i in 0..200 {
        yaml += &format!(
            "  - {{apiVersion: v1, kind: Pod, metadata: {{name: p{}}}, spec: {{nodeName: n-1, containers: [{{name: c, image: \"nginx:1.25\"}}]}}}}\n",
            i
        );
    }
    yaml
}

/// When the watcher saw a pod change (not a deletion) in `(from, to]`.
fn pod_writes(seen: &Seen, from: SimTime, to: SimTime) -> Vec<SimTime> {
    seen.borrow().iter().filter(|s| !s.4 && s.0 > from && s.0 <= to).map(|s| s.0).collect()
}

#[test]
fn a_crashed_nodes_kubelet_sends_nothing_its_rate_limiter_still_held() {
    let (_, seen) = run(&busy_node("timeline:\n  - at: 2s\n    crashNode: n-1\n"), 30);
    let before = pod_writes(&seen, SimTime::ZERO, SimTime::from_secs(2));
    assert!(before.len() > 100, "the kubelet reported {} pod changes before the crash", before.len());
    // What had left by the crash arrives within a round trip; what still
    // waited in the limiter died with the process. (The node-lifecycle
    // controller's first write comes after the 40 s grace.)
    let after = pod_writes(&seen, SimTime(2_020_000_000), SimTime::from_secs(30));
    assert!(after.is_empty(), "{} pod writes after the crash, from {:?}", after.len(), after.first());
}

#[test]
fn a_restarted_kubelet_has_a_fresh_rate_limiter() {
    // Crashed at 2 s with seconds of writes reserved in its limiter, the
    // node is back at 3 s: the new kubelet's LIST leaves at once, so it
    // starts its pods again after one round trip and the sandbox's 500 ms
    // (behind the dead process's reservations it would wait until 5.3 s).
    // A sampled network too: the new process's connection does not queue
    // behind what the dead one had reserved.
    let tl = "timeline:\n  - at: 2s\n    crashNode: n-1\n  - at: 3s\n    restartNode: n-1\n";
    for config in ["", "  config:\n    network: {apiLatency: {uniform: [4ms, 6ms]}}\n"] {
        let (sim, _) = run(&busy_node_on(config, tl), 30);
        // Its first Event about a pod: it has its LIST's answer and starts
        // the pods again.
        let first = sim
            .trace
            .events()
            .iter()
            .find(|e| e.time > SimTime::from_secs(3) && e.source == "kubelet" && e.kind == "Pod")
            .map(|e| e.time)
            .expect("the restarted kubelet starts its pods");
        assert!(first < SimTime(3_600_000_000), "{:?}: first pod Event after the restart at {}", config, first);
        let running = sim.store.pods.values().filter(|p| format!("{:?}", p.status.phase) == "Running").count();
        assert_eq!(running, 200, "{:?}: every pod runs again", config);
    }
}

/// A Service's ingress changing: when a watcher saw it, the Service, and
/// its new ingress.
type IngressChange = (SimTime, String, Vec<String>);

/// The ingress changes a watcher saw.
type Ingress = Rc<RefCell<Vec<IngressChange>>>;

struct IngressWatcher(Ingress);

impl Controller for IngressWatcher {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }
    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Service"]
    }
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Typed(t) = &ev.obj else { return };
        let Some(svc) = t.downcast::<kubesim::kinds::service::Service>() else { return };
        let mut seen = self.0.borrow_mut();
        let name = svc.meta.name.to_string();
        let before = seen.iter().rev().find(|s| s.1 == name).map(|s| s.2.clone()).unwrap_or_default();
        if svc.load_balancer_ingress != before {
            seen.push((cx.now(), name, svc.load_balancer_ingress.clone()));
        }
    }
}

const LB: &str = "name: lb\nseed: 1\ncluster:\n  nodes: [{namePrefix: n, count: 1}]\n  controllers: [CONTROLLERS]\nobjects:\n  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: web}}}\ntimeline:\n  - at: 40s\n    apply: {apiVersion: v1, kind: Service, metadata: {name: late}, spec: {type: LoadBalancer, ports: [{port: 80}]}}\nFAULT";

/// Runs the LoadBalancer scenario with `controllers` and `fault` (a
/// timeline entry); returns the ingress changes seen, and the reasons of
/// the service controller's Events.
fn run_lb(controllers: &str, fault: &str) -> (Vec<IngressChange>, Vec<String>) {
    let yaml = LB.replace("CONTROLLERS", controllers).replace("FAULT", fault);
    let scn = kubesim::scenario::load_str(&yaml, "lb.yaml", &root().join("scenarios")).expect("loads");
    let seen: Ingress = Default::default();
    let s = seen.clone();
    let mut sim =
        Simulation::builder(&scn).component("ingress-watcher", move || IngressWatcher(s.clone())).build().unwrap();
    sim.trace.keep_events(true);
    sim.run_until(SimTime::from_secs(120));
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    let reasons =
        sim.trace.events().iter().filter(|e| e.source == "service-controller").map(|e| e.reason.to_string()).collect();
    let got = seen.borrow().clone();
    (got, reasons)
}

/// The ingress of `svc`, and when it was seen, in `seen`.
fn ingress_of<'a>(seen: &'a [IngressChange], svc: &str) -> Option<(SimTime, &'a [String])> {
    seen.iter().find(|s| s.1 == svc).map(|s| (s.0, &s.2[..]))
}

#[test]
fn the_cloud_goes_on_provisioning_while_the_service_controller_restarts() {
    // Undisturbed: the load balancer is ready 30 s after the controller
    // first sees the Service (≈ 30.01 s), the first address of the cloud.
    let (calm, reasons) = run_lb("\"*\"", "");
    let (t, ip) = ingress_of(&calm, "web").expect("web gets its load balancer");
    assert_eq!(ip, ["203.0.113.10"]);
    assert!(t > SimTime::from_secs(30) && t < SimTime::from_secs(30) + SimDuration::from_millis(100), "{}", t);
    assert_eq!(ingress_of(&calm, "late").expect("late too").1, ["203.0.113.11"]);
    assert_eq!(reasons, ["EnsuringLoadBalancer", "EnsuredLoadBalancer", "EnsuringLoadBalancer", "EnsuredLoadBalancer"]);
    // Crashed at 10 s and back at 15 s: the new process lists the Service
    // (still without ingress), asks the cloud again, and the cloud goes on
    // with the balancer it was provisioning: ready at the same time.
    let crash = "  - at: 10s\n    crashController: {name: service-lb-controller, restartAfter: 5s}\n";
    let (crashed, reasons) = run_lb("\"*\"", crash);
    assert_eq!(ingress_of(&crashed, "web"), Some((t, &["203.0.113.10".to_string()][..])));
    assert_eq!(reasons.iter().filter(|r| *r == "EnsuringLoadBalancer").count(), 3, "{:?}", reasons);
}

#[test]
fn a_status_write_lost_in_a_crash_is_made_again_with_the_same_address() {
    // The controller dies as it writes web's ingress (≈ 30 s): the write
    // never leaves. Restarted 5 s later, it finds web without ingress; the
    // cloud's balancer is ready, with its address: written at once. The
    // next balancer gets the next address (none is handed out twice).
    let crash = "  - at: 20s\n    crashController: {name: service, afterWrites: 0, restartAfter: 5s}\n";
    let (seen, _) = run_lb("\"*\"", crash);
    let (t, ip) = ingress_of(&seen, "web").expect("web gets its load balancer");
    assert_eq!(ip, ["203.0.113.10"]);
    assert!(t > SimTime::from_secs(35) && t < SimTime::from_secs(35) + SimDuration::from_millis(100), "{}", t);
    assert_eq!(ingress_of(&seen, "late").expect("late too").1, ["203.0.113.11"]);
}

#[test]
fn without_the_service_controller_no_load_balancer_is_provisioned() {
    // `-service-lb-controller` (a replacement of the user's would run in
    // its place): the Services stay `<pending>`.
    let (seen, reasons) = run_lb("\"*\", -service-lb-controller", "");
    assert!(seen.is_empty(), "{:?}", seen);
    assert!(reasons.is_empty(), "{:?}", reasons);
}

#[test]
fn a_list_of_kube_controller_manager_controllers_leaves_the_cloud_controller_running() {
    // (Found by review.) cloud-controller-manager has a `--controllers` of
    // its own: a list without `*` runs only the named kube-controller-
    // manager controllers, and the service controller still runs.
    let (seen, _) = run_lb("replicaset, endpointslice", "");
    assert_eq!(ingress_of(&seen, "web").expect("web gets its load balancer").1, ["203.0.113.10"]);
}

#[test]
fn a_change_that_does_not_concern_the_load_balancer_queues_nothing() {
    // (Found by review.) A new label at 30 s (its watch event, without
    // ingress yet, comes after the controller's own status write): upstream's
    // `needsUpdate` says no, so no second provisioning and no second write.
    let relabel = "  - at: 30s\n    apply: {apiVersion: v1, kind: Service, metadata: {name: web, labels: {foo: bar}}, spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: web}}}\n";
    let (seen, reasons) = run_lb("\"*\"", relabel);
    assert_eq!(reasons, ["EnsuringLoadBalancer", "EnsuredLoadBalancer", "EnsuringLoadBalancer", "EnsuredLoadBalancer"]);
    let web: Vec<_> = seen.iter().filter(|s| s.1 == "web").collect();
    assert_eq!(web.len(), 1, "{:?}", web);
}

#[test]
fn a_late_deletion_of_an_earlier_service_leaves_the_new_one_provisioning() {
    // (Found by review.) The controller restarts at 5 s; web is deleted and
    // created again at 5 s. Its list (5.010 s) shows the new web; the old
    // web's deletion reaches it after (5.015 s) and must not stop the new
    // provisioning: ready 30 s after the list.
    let recreate = "  - at: 1s\n    crashController: {name: service-lb-controller, restartAfter: 4s}\n  - at: 5s\n    delete: {kind: Service, name: web}\n  - at: 5s\n    create: {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: web}}}\n";
    let (seen, _) = run_lb("\"*\"", recreate);
    let (t, ip) = ingress_of(&seen, "web").expect("the new web gets its load balancer");
    assert_eq!(ip, ["203.0.113.10"]);
    assert!(t > SimTime::from_secs(35) && t < SimTime::from_secs(35) + SimDuration::from_millis(100), "{}", t);
}
