//! Deployments: rollouts stay within `maxSurge` and `maxUnavailable`,
//! finish after node faults, scale proportionally mid-rollout, Recreate
//! waits for the old pods, pause/resume and the revision history, the
//! garbage collector's cascade, and kubectl's verbs and errors.

use crate::root;
use kubesim::check::{invariants, Check, FaultSpace, Property};
use kubesim::kinds::deployment::Deployment;
use kubesim::objects::store::Key;
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use kubesim::sim::SimTime;
use kubesim::simulation::Simulation;

/// A scenario with three nodes, the images kubia:v1…v4 (HTTP servers;
/// `broken` answers 500) and the given Deployment strategy and timeline.
fn scenario_text(replicas: u32, strategy: &str, timeline: &str, duration: &str) -> String {
    format!(
        "\
name: deployment test
seed: 1
duration: {duration}
cluster:
  nodes:
    - namePrefix: node
      count: 3
      capacity: {{cpu: \"4\", memory: 8Gi, pods: 110}}
images:
  kubia:v1: {{pull: 2s, start: 1s, http: {{port: 8080}}}}
  kubia:v2: {{pull: 3s, start: 1s, http: {{port: 8080}}}}
  kubia:v3: {{pull: 1s, start: 2s, http: {{port: 8080}}}}
  kubia:v4: {{pull: 2s, start: 1s, http: {{port: 8080}}}}
  kubia:broken: {{pull: 2s, start: 1s, http: {{port: 8080, status: 500}}}}
objects:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
      replicas: {replicas}
      {strategy}
      selector: {{matchLabels: {{app: web}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - name: app
            image: kubia:v1
            readinessProbe: {{periodSeconds: 1, httpGet: {{path: /, port: 8080}}}}
timeline:
{timeline}"
    )
}

fn sim_at(text: &str, t: f64) -> Simulation {
    let scn = scenario::load_str(text, "deploy.yaml", &root()).expect("load");
    let mut sim = scn.build(scn.seed.unwrap_or(1));
    sim.run_until(SimTime((t * 1e9) as u64));
    sim
}

fn deployment(sim: &Simulation) -> Deployment {
    let t = sim.store.typed.get(&("Deployment".to_string(), Key::new("default", "web"))).expect("the Deployment");
    t.downcast::<Deployment>().expect("a Deployment").clone()
}

/// (image, spec.replicas) of the Deployment's ReplicaSets, by image.
fn sets(sim: &Simulation) -> Vec<(String, i32)> {
    let mut v: Vec<(String, i32)> = sim
        .store
        .replicasets
        .values()
        .filter(|rs| rs.meta.name.starts_with("web-"))
        .map(|rs| (rs.spec.template.spec.containers[0].image.to_string(), rs.spec.replicas))
        .collect();
    v.sort();
    v
}

const ROLLOUTS: &str = "  - {at: 1m, kubectl: \"set image deployment/web app=kubia:v2\"}
  - {at: 3m, kubectl: \"set image deployment/web app=kubia:v3\"}
  - {at: 3m2s, kubectl: \"set image deployment/web app=kubia:v4\"}
";

/// The invariant of the issue: during a rolling update without faults or
/// scaling that started fully available, never more than replicas +
/// maxSurge pods and never fewer than replicas − maxUnavailable available
/// — over several strategies, seeds and a rollout replaced mid-way.
#[test]
fn rolling_updates_stay_within_surge_and_unavailability() {
    for (replicas, strategy) in [
        (10, ""),
        (4, "strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}"),
        (7, "strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 2}}"),
        (9, "strategy: {rollingUpdate: {maxSurge: 50%, maxUnavailable: 10%}}"),
    ] {
        let text = scenario_text(replicas, strategy, ROLLOUTS, "6m");
        let report = Check::from_str(&text, "rollouts.yaml", &root())
            .expect("loads")
            .property(invariants::rolling_update_within_bounds())
            .property(invariants::deployments_complete("1m"))
            .cases(6)
            .run();
        assert!(report.is_ok(), "{} replicas, {:?}: {}", replicas, strategy, report.err().unwrap());
    }
}

/// The bounds property is not vacuous: pods deleted by hand mid-rollout
/// take availability below `replicas − maxUnavailable`, and it says so.
#[test]
fn the_bounds_property_sees_pods_taken_away() {
    let timeline = "  - {at: 1m, kubectl: \"set image deployment/web app=kubia:v2\"}
  - {at: 1m1s, kubectl: \"delete pods -l app=web\"}
";
    let text = scenario_text(10, "", timeline, "3m");
    let failure = Check::from_str(&text, "taken.yaml", &root())
        .expect("loads")
        .property(invariants::rolling_update_within_bounds())
        .cases(1)
        .run()
        .expect_err("deleting every pod breaks the availability bound");
    assert!(failure.message.contains("available pods, fewer than 10 replicas − 2 unavailable"), "{}", failure.message);
}

/// A node crash in the middle of a rollout: its pods are replaced once
/// the node-lifecycle controller evicts them, and the rollout completes.
#[test]
fn deployments_complete_after_node_faults() {
    let text = scenario_text(8, "", ROLLOUTS, "16m");
    let report = Check::from_str(&text, "faults.yaml", &root())
        .expect("loads")
        .faults(FaultSpace::nodes(&["node-1", "node-2", "node-3"], "4m").max_faults(2))
        .property(invariants::deployments_complete("9m"))
        .property(invariants::replica_sets_stable("9m"))
        .cases(12)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

/// The deployment controller crashed at any point of the rollouts, at
/// once or between the writes of one sync (Sieve's intermediate states),
/// restarting up to 30 s later: the rollouts stay within their bounds
/// and complete, and the ReplicaSets settle.
#[test]
fn deployments_complete_after_controller_crashes() {
    let text = scenario_text(6, "", ROLLOUTS, "12m");
    let report = Check::from_str(&text, "crashes.yaml", &root())
        .expect("loads")
        .faults(FaultSpace::nodes(&[], "4m").controllers(&["deployment"]).max_faults(3))
        .property(invariants::rolling_update_within_bounds())
        .property(invariants::deployments_complete("2m"))
        .property(invariants::replica_sets_stable("2m"))
        .property(|| Property::sometimes("the controller was down", |sim| !sim.components_settled()))
        .cases(24)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

/// `scale()` in sync.go: a rollout stalled at new 5 / old 8 (10 replicas,
/// surge 3) scaled to 20 shares the 12 added replicas by each
/// ReplicaSet's size in the 13 its `max-replicas` annotation says the
/// Deployment had: old round(8 × 25 / 13) − 8 = 7, new round(5 × 25 /
/// 13) − 5 = 5 (25 = 20 + surge 5).
#[test]
fn scaling_mid_rollout_is_proportional() {
    let timeline = "  - {at: 1m, kubectl: \"set image deployment web app=kubia:broken\"}
  - {at: 2m, kubectl: \"scale deployment web --replicas=20\"}
";
    let text = scenario_text(10, "", timeline, "3m");
    assert_eq!(sets(&sim_at(&text, 110.0)), [("kubia:broken".into(), 5), ("kubia:v1".into(), 8)]);
    let sim = sim_at(&text, 130.0);
    assert_eq!(sets(&sim), [("kubia:broken".into(), 10), ("kubia:v1".into(), 15)]);
    let d = deployment(&sim);
    assert_eq!((d.status.updated_replicas, d.status.available_replicas), (10, 15));
}

/// Recreate: the old ReplicaSet goes to 0 and the new one is created
/// only once no old pod is left (a moment with no pod at all).
#[test]
fn recreate_waits_for_the_old_pods() {
    let timeline = "  - {at: 1m, kubectl: \"set image deployment web app=kubia:v2\"}\n";
    let text = scenario_text(4, "strategy: {type: Recreate}", timeline, "2m");
    let scn = scenario::load_str(&text, "recreate.yaml", &root()).expect("load");
    let mut sim = scn.build(1);
    let mut saw_gap = false;
    let mut t = 60.0;
    while t < 90.0 {
        sim.run_until(SimTime((t * 1e9) as u64));
        let live: Vec<String> = sim
            .store
            .pods
            .values()
            .filter(|p| !p.status.phase.is_terminal())
            .map(|p| p.spec.containers[0].image.to_string())
            .collect();
        assert!(
            !(live.iter().any(|i| i == "kubia:v1") && live.iter().any(|i| i == "kubia:v2")),
            "at {}s old and new pods together: {:?}",
            t,
            live
        );
        saw_gap |= live.is_empty();
        t += 0.05;
    }
    assert!(saw_gap, "Recreate has a moment without pods");
    let d = deployment(&sim);
    assert_eq!((d.status.updated_replicas, d.status.available_replicas), (4, 4));
    assert_eq!(sets(&sim), [("kubia:v1".into(), 0), ("kubia:v2".into(), 4)]);
}

/// A paused Deployment takes template changes without rolling them out;
/// resume rolls out the latest. `revisionHistoryLimit: 1` keeps one old
/// ReplicaSet; revisions count up and a rollback renumbers.
#[test]
fn pause_resume_history_limit_and_revisions() {
    let timeline = "  - {at: 1m, kubectl: \"rollout pause deployment web\"}
  - {at: 1m1s, kubectl: \"set image deployment web app=kubia:v2\"}
  - {at: 1m2s, kubectl: \"set image deployment web app=kubia:v3\"}
  - {at: 2m, kubectl: \"rollout resume deployment web\"}
  - {at: 3m, kubectl: \"set image deployment web app=kubia:v4\"}
  - {at: 4m, kubectl: \"rollout undo deployment web --to-revision=2\"}
";
    let text = scenario_text(3, "revisionHistoryLimit: 1", timeline, "5m");
    let sim = sim_at(&text, 110.0);
    assert_eq!(sets(&sim), [("kubia:v1".into(), 3)], "paused: no new ReplicaSet");
    let d = deployment(&sim);
    let progressing = d.status.condition(kubesim::kinds::deployment::ConditionType::Progressing).expect("set");
    assert_eq!(progressing.reason, "DeploymentPaused");
    // Resumed: v3 (the latest template) rolls out; v2 never existed.
    let sim = sim_at(&text, 170.0);
    assert_eq!(sets(&sim), [("kubia:v1".into(), 0), ("kubia:v3".into(), 3)]);
    // v4 rolls out; the history keeps one old ReplicaSet (v3), v1 goes.
    let sim = sim_at(&text, 230.0);
    assert_eq!(sets(&sim), [("kubia:v3".into(), 0), ("kubia:v4".into(), 3)]);
    let rev = |sim: &Simulation, image: &str| {
        let rs = sim
            .store
            .replicasets
            .values()
            .find(|rs| *rs.spec.template.spec.containers[0].image == *image)
            .expect("the ReplicaSet");
        rs.meta.annotations.get("deployment.kubernetes.io/revision").cloned().unwrap_or_default()
    };
    assert_eq!((rev(&sim, "kubia:v3"), rev(&sim, "kubia:v4")), ("2".to_string(), "3".to_string()));
    // Undo to revision 2 (v3): its ReplicaSet is the new one, revision 4.
    let sim = sim_at(&text, 290.0);
    assert_eq!(sets(&sim), [("kubia:v3".into(), 3), ("kubia:v4".into(), 0)]);
    assert_eq!(rev(&sim, "kubia:v3"), "4");
    assert_eq!(
        deployment(&sim).meta.annotations.get("deployment.kubernetes.io/revision").map(String::as_str),
        Some("4")
    );
}

/// Deleting a Deployment deletes its ReplicaSets and their pods
/// (background); `--cascade=orphan` leaves the ReplicaSet and its pods.
#[test]
fn deleting_a_deployment_cascades_unless_orphaned() {
    for (cascade, left_sets, left_pods) in [("", 0, 0), (" --cascade=orphan", 1, 3)] {
        let timeline = format!("  - {{at: 1m, kubectl: delete deployment web{}}}\n", cascade);
        let sim = sim_at(&scenario_text(3, "", &timeline, "2m"), 100.0);
        assert!(sim.store.typed.get(&("Deployment".to_string(), Key::new("default", "web"))).is_none());
        let sets: Vec<_> = sim.store.replicasets.values().collect();
        assert_eq!(sets.len(), left_sets, "{:?}", cascade);
        assert!(sets.iter().all(|rs| rs.meta.owner_references.is_empty()), "orphans have no owner");
        assert_eq!(sim.store.pods.len(), left_pods, "{:?}", cascade);
    }
}

/// kubectl's verbs on a missing Deployment, a missing container, a rollback
/// without history and a paused rollback fail as kubectl words it.
#[test]
fn kubectl_deployment_verbs_fail_as_kubectl_does() {
    let timeline = "  - {at: 10s, kubectl: \"scale deployment nosuch --replicas=2\"}
  - {at: 11s, kubectl: \"set image deployment/web nosuch=kubia:v2\"}
  - {at: 12s, kubectl: \"rollout undo deployment web\"}
  - {at: 13s, kubectl: \"rollout pause deployment web\"}
  - {at: 14s, kubectl: \"rollout undo deployment web\"}
  - {at: 15s, kubectl: \"rollout restart deployment web\"}
  - {at: 16s, kubectl: \"rollout pause deployment web\"}
";
    let scn = scenario::load_str(&scenario_text(2, "", timeline, "30s"), "errors.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let messages: Vec<&str> = r.sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Error from server (NotFound): deployments.apps \"nosuch\" not found",
            "error: unable to find container named \"nosuch\"",
            "error: no rollout history found for deployment \"web\"",
            "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
            "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)",
            "error: deployments.apps \"web\" is already paused",
        ]
    );
    // Bad lines are load errors with the line.
    for (line, want) in [
        ("rollout undo deployment web --to-revision=x", "--to-revision must be a revision number"),
        ("rollout status deployment web", "rollout status reads"),
        ("set image pod/web app=x", "only deployments"),
        ("set image deployment/web", "at least one image update"),
    ] {
        let text = scenario_text(2, "", &format!("  - {{at: 10s, kubectl: {}}}\n", line), "30s");
        let err = scenario::load_str(&text, "bad.yaml", &root()).expect_err(line).to_string();
        assert!(err.contains(want), "{}: {}", line, err);
    }
}

/// `rollout restart` sets the template's restartedAt annotation: every
/// pod is replaced, the image unchanged.
#[test]
fn rollout_restart_replaces_every_pod() {
    let timeline = "  - {at: 1m, kubectl: \"rollout restart deployment web\"}\n";
    let text = scenario_text(3, "", timeline, "2m");
    let before: Vec<String> = sim_at(&text, 59.0).store.pods.values().map(|p| p.meta.name.to_string()).collect();
    let sim = sim_at(&text, 100.0);
    let after: Vec<String> = sim.store.pods.values().map(|p| p.meta.name.to_string()).collect();
    assert_eq!(after.len(), 3);
    assert!(after.iter().all(|n| !before.contains(n)), "{:?} vs {:?}", before, after);
    let d = deployment(&sim);
    assert_eq!(
        d.spec.template.annotations.get("kubectl.kubernetes.io/restartedAt").map(String::as_str),
        Some("1970-01-01T00:01:00Z")
    );
}

/// A rollout only ever grows the new ReplicaSet and shrinks the old one:
/// no decision from a stale cache reverses a step (upstream's
/// `cleanupUnhealthyReplicas` refuses to "scale down" to a larger size,
/// and a write from a stale read is refused by its resourceVersion), and
/// each ScalingReplicaSet Event is recorded once, when its update lands.
#[test]
fn rollout_steps_are_monotone() {
    let scn = scenario::load(&root().join("scenarios/deployment-rolling-update.yaml")).expect("load");
    let r = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    let steps: Vec<(bool, String, i32, i32)> = r
        .sim
        .trace
        .events()
        .iter()
        .filter(|e| e.reason == "ScalingReplicaSet" && e.time.0 >= 60_000_000_000)
        .map(|e| {
            let w: Vec<&str> = e.message.split_whitespace().collect();
            // "Scaled up|down replica set NAME from A to B"
            (w[1] == "up", w[4].to_string(), w[6].parse().unwrap(), w[8].parse().unwrap())
        })
        .collect();
    assert!(steps.len() >= 4, "{:?}", steps);
    let new = &steps[0].1;
    for (up, name, from, to) in &steps {
        assert_eq!(*up, name == new, "{:?}", steps);
        assert_eq!(*up, to > from, "{:?}", steps);
    }
    let chain = |n: &String| steps.iter().filter(|s| &s.1 == n).map(|s| (s.2, s.3)).collect::<Vec<_>>();
    for n in [new.clone(), steps.iter().find(|s| &s.1 != new).expect("old").1.clone()] {
        let c = chain(&n);
        assert!(c.windows(2).all(|w| w[0].1 == w[1].0), "{}: {:?}", n, c);
    }
}

/// `kubectl delete all --all` takes the Deployment with the rest of
/// kubectl's `all` category: its ReplicaSet and pods go with it.
#[test]
fn delete_all_takes_deployments() {
    let timeline = "  - {at: 1m, kubectl: \"delete all --all\"}\n";
    let sim = sim_at(&scenario_text(3, "", timeline, "2m"), 100.0);
    assert!(sim.store.typed.get(&("Deployment".to_string(), Key::new("default", "web"))).is_none());
    assert!(sim.store.replicasets.is_empty());
    assert!(sim.store.pods.is_empty());
}

/// `kubectl create deployment NAME --image=IMAGE [--replicas] [--port]`
/// makes what kubectl's `createDeployment` makes: `app=NAME` labels and
/// selector, a container named after the image; its pods run.
#[test]
fn kubectl_create_deployment() {
    let timeline = "  - {at: 10s, kubectl: \"create deployment nginx --image=docker.io/library/nginx:1.25 --replicas=3 --port=80\"}\n";
    let sim = sim_at(&scenario_text(1, "", timeline, "1m"), 50.0);
    let t = sim.store.typed.get(&("Deployment".to_string(), Key::new("default", "nginx"))).expect("created");
    let d = t.downcast::<Deployment>().expect("a Deployment");
    assert_eq!(d.meta.labels.get("app").map(String::as_str), Some("nginx"));
    assert_eq!(d.spec.selector.to_string(), "app=nginx");
    let c = &d.spec.template.spec.containers[0];
    assert_eq!((&*c.name, &*c.image, c.ports[0].container_port), ("nginx", "docker.io/library/nginx:1.25", 80));
    assert_eq!((d.spec.replicas, d.status.available_replicas), (3, 3));
    let err = scenario::load_str(
        &scenario_text(1, "", "  - {at: 10s, kubectl: \"create deployment x\"}\n", "1m"),
        "bad.yaml",
        &root(),
    )
    .expect_err("no image");
    assert!(err.to_string().contains("required flag(s) \"image\" not set"), "{}", err);
}
