//! DaemonSets: a rolling update keeps at most `maxUnavailable` nodes
//! without an available pod, OnDelete waits for a deletion, and deleting
//! the DaemonSet deletes its pods.

use crate::root;
use kubesim::kinds::daemonset::DaemonSet;
use kubesim::objects::store::Key;
use kubesim::scenario;
use kubesim::sim::SimTime;
use kubesim::simulation::Simulation;

fn text(strategy: &str, timeline: &str) -> String {
    format!(
        "\
name: daemonset test
seed: 1
duration: 5m
cluster:
  nodes:
    - namePrefix: node
      count: 4
      capacity: {{cpu: \"4\", memory: 8Gi}}
images:
  agent:v1: {{pull: 2s, start: 1s, http: {{port: 9100}}}}
  agent:v2: {{pull: 5s, start: 1s, http: {{port: 9100}}}}
objects:
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {{name: agent}}
    spec:
      {strategy}
      selector: {{matchLabels: {{app: agent}}}}
      template:
        metadata: {{labels: {{app: agent}}}}
        spec:
          containers:
          - name: agent
            image: agent:v1
            readinessProbe: {{periodSeconds: 1, httpGet: {{path: /, port: 9100}}}}
timeline:
{timeline}"
    )
}

/// The v2 manifest applied at 1m.
const UPDATE: &str = "  - at: 1m
    apply:
      apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: agent}
      spec:
        STRATEGY
        selector: {matchLabels: {app: agent}}
        template:
          metadata: {labels: {app: agent}}
          spec:
            containers:
            - name: agent
              image: agent:v2
              readinessProbe: {periodSeconds: 1, httpGet: {path: /, port: 9100}}
";

fn sim(t: &str) -> Simulation {
    let scn = scenario::load_str(t, "ds.yaml", &root()).expect("load");
    scn.build(1)
}

/// (image, ready) of each node's live daemon pod, by node.
fn by_node(sim: &Simulation) -> Vec<(String, String, bool)> {
    let mut v: Vec<(String, String, bool)> = sim
        .store
        .pods
        .values()
        .filter(|p| p.meta.deletion_timestamp.is_none() && !p.status.phase.is_terminal())
        .map(|p| (p.node_name().unwrap_or("-").to_string(), p.spec.containers[0].image.to_string(), p.is_ready()))
        .collect();
    v.sort();
    v
}

fn ds(sim: &Simulation) -> DaemonSet {
    let t = sim.store.typed.get(&("DaemonSet".to_string(), Key::new("default", "agent"))).expect("the DaemonSet");
    t.downcast::<DaemonSet>().expect("a DaemonSet").clone()
}

/// RollingUpdate, `maxUnavailable: 1`: one node at a time; never more
/// than one node without a ready pod; every node ends on v2.
#[test]
fn rolling_update_replaces_one_node_at_a_time() {
    let strategy = "updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}";
    let t = text(strategy, &UPDATE.replace("STRATEGY", strategy));
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(59));
    assert_eq!(by_node(&s).iter().filter(|p| p.1 == "agent:v1" && p.2).count(), 4);
    let mut worst = 4;
    let mut ms = 59_000;
    while ms < 120_000 {
        ms += 50;
        s.run_until(SimTime(ms * 1_000_000));
        let ready = by_node(&s).iter().filter(|p| p.2).count();
        worst = worst.min(ready);
    }
    assert_eq!(worst, 3, "one node at a time is without a ready pod");
    let pods = by_node(&s);
    assert_eq!(pods.len(), 4, "{:?}", pods);
    assert!(pods.iter().all(|p| p.1 == "agent:v2" && p.2), "{:?}", pods);
    let st = ds(&s).status;
    assert_eq!(
        (st.desired_number_scheduled, st.current_number_scheduled, st.updated_number_scheduled, st.number_available),
        (4, 4, 4, 4)
    );
}

/// OnDelete: the new template waits until a pod is deleted.
#[test]
fn on_delete_replaces_only_deleted_pods() {
    let strategy = "updateStrategy: {type: OnDelete}";
    let mut timeline = UPDATE.replace("STRATEGY", strategy);
    timeline.push_str("  - at: 2m\n    delete: {kind: Pod, selector: app=agent}\n");
    let t = text(strategy, &timeline);
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(110));
    assert!(by_node(&s).iter().all(|p| p.1 == "agent:v1"), "{:?}", by_node(&s));
    s.run_until(SimTime::from_secs(150));
    let pods = by_node(&s);
    assert_eq!(pods.len(), 4, "{:?}", pods);
    assert!(pods.iter().all(|p| p.1 == "agent:v2"), "deleted pods come back with the new template: {:?}", pods);
}

/// Deleting the DaemonSet deletes its pods (background cascade).
#[test]
fn deleting_the_daemon_set_deletes_its_pods() {
    let t = text("", "  - {at: 1m, kubectl: \"delete ds agent\"}\n");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(59));
    assert_eq!(s.store.pods.len(), 4);
    s.run_until(SimTime::from_secs(90));
    assert!(s.store.pods.is_empty(), "{:?}", by_node(&s));
}

/// Under node crashes, restarts, partitions and heals, with nodes being
/// labelled for the DaemonSet and a node joining: once the faults stop,
/// every Ready node that should run the daemon runs exactly one.
#[test]
fn daemon_sets_cover_their_nodes_through_node_faults() {
    use kubesim::check::{invariants, Check, FaultSpace};
    let timeline = "  - {at: 30s, kubectl: \"label node node-2 role=edge\"}
  - at: 1m
    addNode: {name: node-5, capacity: {cpu: \"4\", memory: 8Gi}, labels: {role: edge}}
  - {at: 2m, kubectl: \"label node node-1 role=edge\"}
";
    let t = text("", timeline)
        .replace("          containers:", "          nodeSelector: {role: edge}\n          containers:");
    let report = Check::from_str(&t.replace("duration: 5m", "duration: 12m"), "faults.yaml", &root())
        .expect("loads")
        .faults(FaultSpace::nodes(&["node-1", "node-2", "node-3", "node-4"], "4m").max_faults(3))
        .property(invariants::daemon_sets_cover_nodes("6m"))
        .cases(16)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

/// The invariant is not vacuous: with the DaemonSet controller switched
/// off, no node gets its pod and the property says so.
#[test]
fn the_coverage_property_sees_a_missing_controller() {
    use kubesim::check::{invariants, Check};
    let t = text("", "  - {at: 30s, kubectl: \"label node node-2 role=edge\"}\n")
        .replace("cluster:\n", "cluster:\n  controllers: [\"*\", -daemonset]\n");
    let failure = Check::from_str(&t, "off.yaml", &root())
        .expect("loads")
        .property(invariants::daemon_sets_cover_nodes("1m"))
        .cases(1)
        .run()
        .expect_err("no controller, no daemon pods");
    assert!(failure.message.contains("has 0 pods on node"), "{}", failure.message);
}

/// `kubectl set image ds/agent agent=agent:v2` rolls the DaemonSet out
/// node by node; `kubectl rollout restart ds/agent` replaces every pod
/// again (a new template annotation); `rollout undo` is refused when the
/// scenario loads (no ControllerRevisions are stored).
#[test]
fn kubectl_set_image_and_rollout_restart_a_daemon_set() {
    let t = text(
        "",
        "  - {at: 1m, kubectl: \"set image ds/agent agent=agent:v2\"}\n  - {at: 3m, kubectl: \"rollout restart daemonset/agent\"}\n",
    );
    let undo = text("", "  - {at: 4m, kubectl: \"rollout undo ds/agent\"}\n");
    let err = scenario::load_str(&undo, "ds.yaml", &root()).expect_err("refused at load");
    assert!(err.to_string().contains("rollout undo daemonset: not simulated"), "{}", err);
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(170));
    let pods = by_node(&s);
    assert_eq!(pods.len(), 4, "{:?}", pods);
    assert!(pods.iter().all(|p| p.1 == "agent:v2" && p.2), "{:?}", pods);
    let before: Vec<u64> = s.store.pods.values().map(|p| p.meta.uid).collect();
    s.run_until(SimTime::from_secs(299));
    let after: Vec<u64> = s.store.pods.values().filter(|p| p.is_ready()).map(|p| p.meta.uid).collect();
    assert_eq!(after.len(), 4);
    assert!(after.iter().all(|u| !before.contains(u)), "every pod replaced by the restart");
    assert!(ds(&s).spec.template.annotations.contains_key("kubectl.kubernetes.io/restartedAt"));
}

/// The DaemonSet controller runs as a component: crashed (here in the
/// middle of the rolling update's writes), it misses the node added and
/// the pod deleted while it is down; the restarted controller relists,
/// puts a pod on the new node and on the node that lost its own, and
/// finishes the update.
#[test]
fn a_restarted_daemonset_controller_catches_up() {
    let strategy = "updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}";
    let mut timeline = UPDATE.replace("STRATEGY", strategy);
    timeline.push_str(
        "  - at: 70s\n    crashController: {name: daemonset, afterWrites: 1, restartAfter: 30s}\n  - at: 75s\n    addNode: {name: node-5, capacity: {cpu: \"4\", memory: 8Gi}}\n  - at: 80s\n    delete: {kind: Pod, selector: app=agent}\n",
    );
    let mut s = sim(&text(strategy, &timeline));
    s.trace.keep_events(true);
    s.run_until(SimTime::from_secs(95));
    assert!(s.user_errors.is_empty(), "{:?}", s.user_errors);
    assert!(s.trace.events().iter().any(|e| e.reason == "ControllerCrashed"), "the crash happened");
    assert!(by_node(&s).is_empty(), "no pod comes back while the controller is down: {:?}", by_node(&s));
    s.run_until(SimTime::from_secs(240));
    let pods = by_node(&s);
    assert_eq!(pods.len(), 5, "{:?}", pods);
    assert!(pods.iter().all(|p| p.1 == "agent:v2" && p.2), "{:?}", pods);
    assert_eq!(ds(&s).status.number_available, 5);
}
