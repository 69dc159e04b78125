//! Users' own controllers: the component API (watches, requests and their
//! responses, rate limits, timers, crash-restart), the registry and
//! `cluster.controllers`, and the property-test runner that finds and
//! shrinks the example's buggy controller.

#[path = "../examples/controllers/replicaset.rs"]
mod replicaset;

use crate::cli::tempdir;
use crate::{kubesim, root, stderr, stdout};
use kubesim::check::{invariants, Check, Fault, FaultSpace, Property};
use kubesim::component::{Controller, Cx, Registry, RequestId};
use kubesim::objects::meta::ObjectMeta;
use kubesim::objects::store::{ApiError, ApiErrorCode, WatchEvent};
use kubesim::objects::{Kind, Namespace, Object};
use kubesim::runner::{self, RunOptions};
use kubesim::scenario;
use kubesim::sim::{SimDuration, SimTime};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

const EXAMPLE: &str = "examples/scenarios/my-replicaset.yaml";

fn example_check(name: &str) -> Check {
    let text = std::fs::read_to_string(root().join(EXAMPLE)).expect("example scenario");
    let text = text.replace("my-replicaset]", &format!("{}]", name));
    Check::from_str(&text, EXAMPLE, &root().join("examples/scenarios"))
        .expect("loads")
        .registry(registry())
        .faults(FaultSpace::nodes(&["node-1", "node-2", "node-3"], "4m").max_faults(3))
        .property(invariants::resource_versions_increase())
        .property(invariants::admitted_within_allocatable())
        .property(invariants::replica_sets_stable("10m"))
}

fn registry() -> Registry {
    Registry::new()
        .controller("my-replicaset", replicaset::SimpleReplicaSet::new)
        .controller("buggy-replicaset", replicaset::SimpleReplicaSet::buggy)
}

#[test]
fn the_correct_controller_keeps_every_invariant() {
    let report = example_check("my-replicaset").cases(48).run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

#[test]
fn the_buggy_controller_is_found_shrunk_to_one_fault_and_replayed() {
    let f = example_check("buggy-replicaset").cases(48).run().expect_err("the bug is found");
    assert_eq!(f.property, "replica sets stable", "{}", f);
    // Shrunk to the one fault that shows the bug: a node that never comes
    // back, whose evicted pod stays Terminating and is counted as live.
    assert_eq!(f.schedule.faults.len(), 1, "{}", f);
    assert!(matches!(&f.schedule.faults[0].1, Fault::NodeOutage { down_for: None, .. }), "{}", f);
    assert!(f.original_faults >= 1);
    // The scenario it prints replays the same run (same trace hash) with
    // the same components.
    let scn = scenario::load_str(&f.scenario_yaml, "replay.yaml", Path::new(".")).expect("the replay loads");
    assert_eq!(scn.seed, Some(f.seed));
    let sel = scn.select(&registry()).expect("components resolve");
    let res = runner::run(&scn, RunOptions { selection: Some(&sel), ..Default::default() });
    assert_eq!(res.trace_hash, f.trace_hash, "{}", f);
    // Deterministic: the same check finds the same failure.
    let again = example_check("buggy-replicaset").cases(48).run().expect_err("found again");
    assert_eq!(
        (again.seed, again.schedule.clone(), again.trace_hash.clone()),
        (f.seed, f.schedule.clone(), f.trace_hash.clone())
    );
}

#[test]
fn the_example_binary_runs_user_controllers_and_refuses_unknown_ones() {
    let dir = tempdir("components");
    let path = dir.join("unknown.yaml");
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap().replace("my-replicaset]", "not-registered]");
    std::fs::write(&path, text).unwrap();
    // The stock binary does not know `my-replicaset`, nor anyone
    // `not-registered`: exit 2, with the file, line and field.
    let o = kubesim(&["run", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("unknown.yaml:12") && err.contains("cluster.controllers[2]"), "{}", err);
    assert!(err.contains("unknown controller \"not-registered\""), "{}", err);
    let o = kubesim(&["validate", EXAMPLE]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
}

#[test]
fn switching_the_builtin_replicaset_controller_off_leaves_the_set_alone() {
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap().replace(", my-replicaset]", "]");
    let scn = scenario::load_str(&text, "off.yaml", Path::new(".")).expect("loads");
    let res = runner::run(&scn, RunOptions::default());
    assert_eq!(res.sim.store.pods.len(), 0, "nobody manages the ReplicaSet");
    let on = scenario::load_str(&text.replace(", -replicaset]", "]"), "on.yaml", Path::new(".")).unwrap();
    assert_eq!(runner::run(&on, RunOptions::default()).sim.store.pods.len(), 3);
}

/// What a probe component saw.
#[derive(Default)]
struct Seen {
    watch: Vec<(SimTime, String)>,
    responses: Vec<(SimTime, u32, Result<String, ApiErrorCode>)>,
    timers: Vec<(SimTime, u64)>,
    starts: Vec<(SimTime, usize)>,
    /// Deleted events handled by a restarted life.
    deleted_after_restart: usize,
}

/// Creates `n` namespaces at start (two with the same name), watches
/// namespaces only, and sets a timer.
struct Probe {
    seen: Rc<RefCell<Seen>>,
    n: u32,
    kinds: Vec<Kind>,
}

impl Controller for Probe {
    fn watches(&self) -> Vec<Kind> {
        self.kinds.clone()
    }
    fn start(&mut self, cx: &mut Cx) {
        self.seen.borrow_mut().starts.push((cx.now(), cx.cache().len()));
        if cx.now() > SimTime::ZERO {
            return; // a restart: nothing more
        }
        for i in 0..self.n {
            let name = if i == 1 { "ns-0".to_string() } else { format!("ns-{}", i) };
            let meta = ObjectMeta { name: name.as_str().into(), ..Default::default() };
            cx.create(Object::Namespace(Rc::new(Namespace { meta })));
        }
        cx.after(SimDuration::from_secs(5), 7);
    }
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let mut s = self.seen.borrow_mut();
        s.watch.push((cx.now(), ev.obj.meta().name.to_string()));
        if ev.kind == kubesim::objects::store::WatchKind::Deleted && s.starts.len() > 1 {
            s.deleted_after_restart += 1;
        }
    }
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        self.seen.borrow_mut().timers.push((cx.now(), token));
        // One reconcile that writes six objects in a row.
        for i in 0..if self.n > 0 { 6 } else { 0 } {
            let meta = ObjectMeta { name: format!("late-{}", i).as_str().into(), ..Default::default() };
            cx.create(Object::Namespace(Rc::new(Namespace { meta })));
        }
    }
    fn on_response(&mut self, req: RequestId, result: Result<&Object, &ApiError>, cx: &mut Cx) {
        let r = result.map(|o| o.meta().name.to_string()).map_err(|e| e.code.clone());
        self.seen.borrow_mut().responses.push((cx.now(), req.0, r));
    }
}

fn probe_run(n: u32, timeline: &str) -> (Rc<RefCell<Seen>>, runner::RunResult) {
    probe_run_watching(n, vec![Kind::Namespace], timeline)
}

fn probe_run_watching(n: u32, kinds: Vec<Kind>, timeline: &str) -> (Rc<RefCell<Seen>>, runner::RunResult) {
    let seen = Rc::new(RefCell::new(Seen::default()));
    let s2 = seen.clone();
    let reg = Registry::new().controller("probe", move || Probe { seen: s2.clone(), n, kinds: kinds.clone() });
    let text = format!(
        "name: probe\nseed: 1\nduration: 2m\ncluster:\n  controllers: ['*', probe]\n  nodes: [{{name: n1}}]\n{}",
        timeline
    );
    let scn = scenario::load_str(&text, "probe.yaml", Path::new(".")).expect("loads");
    let sel = scn.select(&reg).expect("resolves");
    let res = runner::run(&scn, RunOptions { selection: Some(&sel), ..Default::default() });
    (seen, res)
}

#[test]
fn every_request_gets_its_response_through_the_rate_limiter() {
    let (seen, res) = probe_run(40, "");
    let hash = res.trace_hash;
    let s = seen.borrow();
    // 40 requests at start and 6 from the timer, 46 answers, in request
    // order; the duplicate name is an AlreadyExists error.
    assert_eq!(s.responses.len(), 46);
    assert!(s.responses.iter().enumerate().all(|(i, r)| r.1 == i as u32));
    assert_eq!(s.responses[1].2, Err(ApiErrorCode::AlreadyExists));
    assert_eq!(s.responses[0].2, Ok("ns-0".into()));
    // The client's bucket (20 QPS, burst 30): the first 30 leave at once
    // and come back after a round trip (2 × 5 ms); the 31st waits 50 ms.
    let rt = 10_000_000;
    assert!(s.responses[..30].iter().all(|r| r.0 .0 == rt), "{:?}", &s.responses[..31]);
    assert_eq!(s.responses[30].0 .0, rt + 50_000_000);
    // The watch brought namespaces only (the built-in four and ours),
    // never the node.
    assert!(s.watch.iter().any(|w| w.1 == "kube-system") && s.watch.iter().any(|w| w.1 == "ns-39"));
    assert!(!s.watch.iter().any(|w| w.1 == "n1"));
    assert_eq!(s.timers, vec![(SimTime(5_000_000_000), 7)]);
    assert_eq!(probe_run(40, "").1.trace_hash, hash, "same scenario, same hash");
}

#[test]
fn a_crashed_controller_loses_its_writes_and_relists() {
    // The fault arms at 1 s; the reconcile of the 5 s timer sends three of
    // its six writes, and the process dies trying the fourth (Sieve's
    // "intermediate state"). It is back 10 s later, lists (one round
    // trip), starts on the list, and gets an Added event per namespace.
    let (seen, res) =
        probe_run(5, "timeline:\n  - at: 1s\n    crashController: {name: probe, afterWrites: 3, restartAfter: 10s}\n");
    let s = seen.borrow();
    let names: Vec<&str> = res.sim.store.namespaces.keys().map(|k| &**k).filter(|n| n.starts_with("late-")).collect();
    assert_eq!(names, vec!["late-0", "late-1", "late-2"], "three writes landed, three never left");
    assert_eq!(s.timers, vec![(SimTime(5_000_000_000), 7)]);
    // The responses to the three landed writes reached a dead process.
    assert_eq!(s.responses.len(), 5, "only the first life's start-up creates were answered");
    assert_eq!(s.starts.len(), 2, "started, then restarted");
    let (t, listed) = s.starts[1];
    assert_eq!(t, SimTime(15_010_000_000), "10 s back-off, then a list round trip");
    assert_eq!(listed, 4 + 4 + 3, "the built-in namespaces, its four distinct start-up ones, three late ones");
    let added_after = s.watch.iter().filter(|w| w.0 == t).count();
    assert_eq!(added_after, listed, "an Added event per listed object");
    // A plain crash drops the pending timer of the life it ends.
    let (seen, _) = probe_run(5, "timeline:\n  - at: 1s\n    crashController: probe\n");
    assert!(seen.borrow().timers.is_empty());
    // Naming a controller that does not run is a timeline error.
    let scn = scenario::load_str(
        "name: x\nseed: 1\nduration: 1m\ncluster:\n  nodes: [{name: n1}]\ntimeline:\n  - at: 1s\n    crashController: nobody\n",
        "x.yaml",
        Path::new("."),
    )
    .unwrap();
    let res = runner::run(&scn, RunOptions::default());
    assert!(
        res.sim.user_errors.iter().any(|e| e.message.contains("\"nobody\" is not running")),
        "{:?}",
        res.sim.user_errors
    );
}

#[test]
fn a_sometimes_property_never_seen_fails_the_check() {
    let check = example_check("my-replicaset")
        .cases(4)
        .property(|| Property::sometimes("a node is deleted", |sim| sim.store.nodes.len() < 3));
    let f = check.run().expect_err("never reached");
    assert_eq!(f.property, "a node is deleted");
    assert!(f.message.contains("never seen true in 4 cases"), "{}", f);
}

/// A scheduler that binds its pods to the node with the fewest of them
/// (ties: name order).
struct FewestPods;

impl Controller for FewestPods {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod, Kind::Node]
    }
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Object::Pod(p) = &ev.obj else { return };
        if &*p.spec.scheduler_name != "fewest-pods" || p.spec.node_name.is_some() || p.meta.deletion_timestamp.is_some()
        {
            return;
        }
        let mut load: std::collections::BTreeMap<String, usize> =
            cx.cache().list(Kind::Node).map(|n| (n.meta().name.to_string(), 0)).collect();
        for q in cx.cache().pods() {
            if let Some(n) = q.node_name() {
                *load.entry(n.to_string()).or_default() += 1;
            }
        }
        if let Some((node, _)) = load.into_iter().min_by_key(|(n, c)| (*c, n.clone())) {
            let p = p.clone();
            cx.bind(&p, &node);
        }
    }
}

#[test]
fn an_extra_scheduler_binds_the_pods_that_name_it() {
    let pod = |name: &str, sched: &str| {
        format!(
            "  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: {}}}\n    spec: {{schedulerName: {}, containers: [{{name: c, image: busybox}}]}}\n",
            name, sched
        )
    };
    let text = format!(
        "name: two schedulers\nseed: 3\nduration: 1m\ncluster:\n  schedulers: [fewest-pods]\n  nodes: [{{namePrefix: n, count: 3}}]\nobjects:\n{}{}{}{}",
        pod("a", "fewest-pods"),
        pod("b", "fewest-pods"),
        pod("c", "fewest-pods"),
        pod("d", "nobody")
    );
    let reg = Registry::new().scheduler("fewest-pods", || FewestPods);
    let scn = scenario::load_str(&text, "two.yaml", Path::new(".")).expect("loads");
    let sel = scn.select(&reg).expect("resolves");
    let res = runner::run(&scn, RunOptions { selection: Some(&sel), ..Default::default() });
    let node = |n: &str| {
        res.sim.store.pods.values().find(|p| &*p.meta.name == n).and_then(|p| p.node_name().map(String::from))
    };
    // The three creates reach the scheduler's watch in one instant, before
    // any of its binds comes back through it: its cache shows every node
    // empty each time, so all three go to n-1 — what a scheduler without
    // kube-scheduler's assume cache does.
    assert_eq!((node("a"), node("b"), node("c")), (Some("n-1".into()), Some("n-1".into()), Some("n-1".into())));
    // Nobody schedules a pod naming a scheduler that does not run: the
    // default-scheduler leaves it alone.
    assert_eq!(node("d"), None);
    // A scheduler is not a controller, and unknown schedulers are refused.
    let err = scn.select(&Registry::new()).err().expect("unknown scheduler");
    assert!(
        err.to_string().contains("cluster.schedulers[0]") && err.to_string().contains("unknown scheduler"),
        "{}",
        err
    );
}

fn ns(name: &str) -> String {
    format!("{{apiVersion: v1, kind: Namespace, metadata: {{name: {}}}}}", name)
}

#[test]
fn a_stale_watch_delivers_late_and_in_order() {
    let timeline = format!(
        "timeline:\n  - at: 1s\n    staleWatch: {{controller: probe, lag: 30s, for: 10s}}\n  - at: 2s\n    create: {}\n  - at: 20s\n    create: {}\n",
        ns("late"),
        ns("after")
    );
    let (seen, _) = probe_run(0, &timeline);
    let s = seen.borrow();
    let at = |n: &str| s.watch.iter().find(|w| w.1 == n).map(|w| w.0);
    // Created at 2 s (+5 ms request, +10 ms watch), seen 30 s late.
    assert_eq!(at("late"), Some(SimTime(32_015_000_000)));
    // After the window, a new event still waits behind the held one: the
    // watch stays ordered.
    assert_eq!(at("after"), Some(SimTime(32_015_000_000)));
    let order: Vec<&str> = s.watch.iter().map(|w| w.1.as_str()).filter(|n| *n == "late" || *n == "after").collect();
    assert_eq!(order, vec!["late", "after"]);
}

fn pod(name: &str) -> String {
    format!(
        "{{apiVersion: v1, kind: Pod, metadata: {{name: {}}}, spec: {{containers: [{{name: c, image: busybox}}]}}}}",
        name
    )
}

#[test]
fn a_broken_watch_relists_and_misses_what_came_and_went() {
    let timeline = format!(
        "timeline:\n  - at: 0s\n    create: {}\n  - at: 1s\n    coalesceWatch: {{controller: probe, for: 30s}}\n  - at: 2s\n    create: {}\n  - at: 3s\n    create: {}\n  - at: 4s\n    delete: {{kind: Pod, name: gone, gracePeriodSeconds: 0}}\n  - at: 5s\n    delete: {{kind: Pod, name: old, gracePeriodSeconds: 0}}\n",
        pod("old"),
        pod("kept"),
        pod("gone")
    );
    let (seen, _) = probe_run_watching(0, vec![Kind::Pod], &timeline);
    let s = seen.borrow();
    let reconnect = SimTime(31_010_000_000);
    // `gone` came and went while the watch was broken: never observed.
    assert!(!s.watch.iter().any(|w| w.1 == "gone"), "{:?}", s.watch);
    // After the relist, one event per changed object, in key order: `kept`
    // added (Running by now: its Pending states were never seen), `old`
    // deleted.
    let after: Vec<&str> = s.watch.iter().filter(|w| w.0 == reconnect).map(|w| w.1.as_str()).collect();
    assert_eq!(after, vec!["kept", "old"], "{:?}", s.watch);
    assert!(s.watch.iter().all(|w| w.0 < SimTime(1_000_000_000) || w.0 == reconnect), "{:?}", s.watch);
}

#[test]
fn watch_faults_are_drawn_for_controllers_and_replayed() {
    // The buggy example under crashes, stale and coalesced watches only
    // (no node faults): its bug needs a node that never comes back, so
    // these faults alone must not break it... unless they do: either way
    // the outcome is the same for the same seed, and a failure replays.
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    let check = || {
        Check::from_str(&text, EXAMPLE, &root().join("examples/scenarios"))
            .unwrap()
            .registry(registry())
            .faults(FaultSpace::nodes(&[], "4m").controllers(&["my-replicaset"]).max_faults(4))
            .property(invariants::replica_sets_stable("5m"))
            .cases(40)
    };
    let a = check().run();
    let b = check().run();
    match (&a, &b) {
        (Ok(x), Ok(y)) => assert_eq!(x.cases, y.cases),
        (Err(x), Err(y)) => {
            assert_eq!((x.seed, &x.schedule), (y.seed, &y.schedule));
            let scn = scenario::load_str(&x.scenario_yaml, "replay.yaml", Path::new(".")).expect("replay loads");
            let sel = scn.select(&registry()).unwrap();
            let res = runner::run(&scn, RunOptions { selection: Some(&sel), ..Default::default() });
            assert_eq!(res.trace_hash, x.trace_hash, "{}", x);
        }
        _ => panic!("the same check gave different outcomes"),
    }
}

#[test]
fn partitions_are_drawn_faults_too() {
    let with_partitions = |name: &str| {
        example_check(name).faults(FaultSpace::nodes(&["node-1", "node-2", "node-3"], "4m").partitions().max_faults(3))
    };
    let ok = with_partitions("my-replicaset").cases(48).run();
    assert!(ok.is_ok(), "{}", ok.err().unwrap());
    let f = with_partitions("buggy-replicaset").cases(48).run().expect_err("the bug is found");
    // One fault that never ends, and whose evicted pods stay Terminating:
    // a crash or a partition for good.
    assert_eq!(f.schedule.faults.len(), 1, "{}", f);
    assert!(
        matches!(
            &f.schedule.faults[0].1,
            Fault::NodeOutage { down_for: None, .. } | Fault::NodePartition { heal_after: None, .. }
        ),
        "{}",
        f
    );
    let scn = scenario::load_str(&f.scenario_yaml, "replay.yaml", Path::new(".")).expect("replay loads");
    let sel = scn.select(&registry()).unwrap();
    assert_eq!(runner::run(&scn, RunOptions { selection: Some(&sel), ..Default::default() }).trace_hash, f.trace_hash);
}

#[test]
fn a_users_controller_over_swarm_clusters_keeps_the_always_invariants() {
    // Random clusters and workloads (kubesim's own swarm generator), the
    // user's controller beside the built-ins, checked after every event.
    for n in 0..24 {
        let text = kubesim::check::swarm::scenario_with(n, "", &["my-replicaset"]);
        let r = Check::from_str(&text, &format!("swarm-{}.yaml", n), &root().join("scenarios"))
            .expect("swarm cases load")
            .registry(registry())
            .property(invariants::resource_versions_increase())
            .property(invariants::admitted_within_allocatable())
            .cases(1)
            .run();
        assert!(r.is_ok(), "case {}: {}", n, r.err().unwrap());
    }
}

#[test]
fn a_component_watching_leases_sees_every_renewal_also_after_a_relist() {
    // A component that watches Leases runs the literal heartbeat model (it
    // must see each renewal, as in a cluster). A renewal changes only
    // renewTime: after the component relisted, the next one still arrives
    // (it is newer than the listed object though its resourceVersion is
    // the same); the renewals stop with the crash at 30 s (the one due at
    // 30 s is lost).
    let (seen, _) = probe_run_watching(
        0,
        vec![Kind::Lease],
        "timeline:\n  - at: 1s\n    crashController: probe\n  - at: 30s\n    crashNode: n1\n",
    );
    let s = seen.borrow();
    assert_eq!(s.starts.len(), 2);
    let times: Vec<u64> = s.watch.iter().filter(|w| w.1 == "n1").map(|w| w.0 .0 / 1_000_000).collect();
    // Created (seen at 15 ms); the first life ends at 1 s; the relist at
    // 11.01 s shows the 10 s renewal; the 20 s renewal arrives at
    // 20.015 s; nothing after the crash.
    assert_eq!(times, vec![15, 11_010, 20_015], "{:?}", s.watch);
}

#[test]
fn eventually_is_judged_at_its_deadline() {
    // No faults: the deadline is 1 min from the start; the property only
    // holds from 5 min on, so it fails — at 1 min, not at the horizon.
    let f = example_check("my-replicaset")
        .faults(FaultSpace::nodes(&[], "1m"))
        .property(|| {
            Property::eventually("late", "1m", |sim| {
                if sim.now() >= SimTime::from_secs(300) {
                    Ok(())
                } else {
                    Err(format!("not yet at {}", sim.now()))
                }
            })
        })
        .cases(2)
        .run()
        .expect_err("fails at its deadline");
    assert_eq!((f.property.as_str(), f.at), ("late", SimTime::from_secs(60)), "{}", f);
}

#[test]
fn a_deleted_event_of_an_earlier_object_of_the_same_name_is_not_applied() {
    // The component restarts and lists at 2.010 s; `x` was deleted at 2 s
    // and created again at 2.001 s: the list shows the new `x`, and the
    // in-flight deletion of the old one must not remove it from the cache.
    let pod = "{apiVersion: v1, kind: Pod, metadata: {name: x}, spec: {schedulerName: nobody, containers: [{name: c, image: busybox}]}}";
    let timeline = format!(
        "timeline:\n  - at: 0s\n    create: {p}\n  - at: 1s\n    crashController: {{name: probe, restartAfter: 1s}}\n  - at: 2s\n    delete: {{kind: Pod, name: x}}\n  - at: 2001ms\n    create: {p}\n  - at: 3s\n    crashNode: n1\n",
        p = pod
    );
    let (seen, res) = probe_run_watching(0, vec![Kind::Pod], &timeline);
    let s = seen.borrow();
    assert!(res.sim.store.pods.values().any(|p| &*p.meta.name == "x"), "x exists");
    // The restarted life saw x listed and never a deletion after it.
    let t = s.starts[1].0;
    let after: Vec<&(SimTime, String)> = s.watch.iter().filter(|w| w.0 >= t).collect();
    assert!(after.iter().any(|w| w.1 == "x"), "{:?}", s.watch);
    assert_eq!(s.starts[1].1, 1, "the list held x");
    assert_eq!(s.deleted_after_restart, 0, "{:?}", s.watch);
}
