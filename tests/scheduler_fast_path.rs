//! The scheduler's fast path (segment trees, `schedulerScoreTrees: 1`)
//! against its literal twin (the node walk, `schedulerScoreTrees: 0`) on
//! random clusters shaped like real ones: tainted control-plane, spot
//! (PreferNoSchedule) and dedicated (NoExecute) nodes, cordons and
//! uncordons, nodes over-committed by pods created with `nodeName`, pods
//! requesting nothing, pods with tolerations. The trace must be the same.

use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

/// The ReplicaSets: name, pod spec lines (under `spec:` of the template).
const WORKLOADS: [(&str, &str); 6] = [
    ("web", "resources: {requests: {cpu: 250m, memory: 256Mi}}"),
    ("besteffort", ""),
    (
        "cp-agent",
        "resources: {requests: {cpu: 100m}}\n      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]",
    ),
    ("spot-ok", "tolerations: [{key: spot, operator: Equal, value: \"true\", effect: PreferNoSchedule}]"),
    ("anywhere", "tolerations: [{operator: Exists}]"),
    (
        "ml",
        "resources: {requests: {cpu: \"1\", memory: 1Gi}}\n      tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoExecute}]",
    ),
];

/// One random scenario; `trees` sets `schedulerScoreTrees`.
fn scenario_yaml(seed: u64, plain_nodes: usize, trees: bool) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y = String::new();
    let cp = rng.gen_range(1..=3);
    let spot = rng.gen_range(0..=4);
    let ml = rng.gen_range(0..=2);
    writeln!(y, "name: fast path differential {seed}\nseed: {seed}\nduration: 8m\ncluster:\n  nodes:").unwrap();
    writeln!(
        y,
        "    - namePrefix: node\n      count: {plain_nodes}\n      capacity: {{cpu: \"4\", memory: 8Gi, pods: 30}}"
    )
    .unwrap();
    writeln!(
        y,
        "    - namePrefix: cp\n      count: {cp}\n      capacity: {{cpu: \"2\", memory: 4Gi}}\n      taints: [{{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}}]"
    )
    .unwrap();
    if spot > 0 {
        writeln!(
            y,
            "    - namePrefix: spot\n      count: {spot}\n      capacity: {{cpu: \"4\", memory: 8Gi}}\n      taints: [{{key: spot, value: \"true\", effect: PreferNoSchedule}}]"
        )
        .unwrap();
    }
    if ml > 0 {
        writeln!(
            y,
            "    - namePrefix: ml\n      count: {ml}\n      capacity: {{cpu: \"8\", memory: 16Gi}}\n      taints: [{{key: dedicated, value: ml, effect: NoExecute}}]"
        )
        .unwrap();
    }
    writeln!(y, "  config: {{schedulerScoreTrees: {}}}", trees as u8).unwrap();
    writeln!(y, "images:\n  luksa/kubia: {{pull: 1s}}\nobjects:").unwrap();
    for (name, spec) in WORKLOADS {
        let replicas = rng.gen_range(0..=plain_nodes.min(20));
        writeln!(
            y,
            "  - apiVersion: apps/v1\n    kind: ReplicaSet\n    metadata: {{name: {name}}}\n    spec:\n      replicas: {replicas}\n      selector: {{matchLabels: {{app: {name}}}}}\n      template:\n        metadata: {{labels: {{app: {name}}}}}\n        spec:\n          containers: [{{name: c, image: luksa/kubia}}]"
        )
        .unwrap();
        if !spec.is_empty() {
            // Re-indent the extra spec lines under the template's spec.
            for line in spec.lines() {
                writeln!(y, "          {}", line.trim_start()).unwrap();
            }
        }
    }
    writeln!(y, "timeline:").unwrap();
    let mut crashed = Vec::new();
    let mut bare = 0;
    let mut t = 5;
    while t < 420 {
        let node = rng.gen_range(1..=plain_nodes);
        match rng.gen_range(0..6) {
            0 | 1 => {
                let (name, _) = WORKLOADS[rng.gen_range(0..WORKLOADS.len())];
                let replicas = rng.gen_range(0..=plain_nodes * 3);
                writeln!(y, "  - at: {t}s\n    kubectl: scale rs {name} --replicas={replicas}").unwrap();
            }
            2 => writeln!(y, "  - at: {t}s\n    kubectl: cordon node-{node}").unwrap(),
            3 => writeln!(y, "  - at: {t}s\n    kubectl: uncordon node-{node}").unwrap(),
            _ => {
                // A pod created with `nodeName` skips the scheduler's fit
                // check: on a crashed node (no kubelet to reject it) the
                // over-commit stays; on a live one it lasts until the
                // kubelet's admission turns it down.
                if rng.gen_bool(0.5) && !crashed.contains(&node) {
                    writeln!(y, "  - at: {t}s\n    crashNode: node-{node}").unwrap();
                    crashed.push(node);
                }
                bare += 1;
                writeln!(
                    y,
                    "  - at: {}s\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: hog-{bare}}}\n      spec:\n        nodeName: node-{node}\n        containers: [{{name: c, image: luksa/kubia, resources: {{requests: {{cpu: \"6\", memory: 12Gi}}}}}}]",
                    t + 1
                )
                .unwrap();
                let (name, _) = WORKLOADS[1 + rng.gen_range(0..4)];
                writeln!(y, "  - at: {}s\n    kubectl: scale rs {name} --replicas={}", t + 1, plain_nodes * 2).unwrap();
            }
        }
        t += rng.gen_range(5..25);
    }
    y
}

/// Trace hash, trace records, scheduling attempts, attempts a tree answered.
fn trace_of(yaml: &str, file: &str) -> (String, u64, u64, u64) {
    let scn = scenario::load_str(yaml, file, &crate::root())
        .unwrap_or_else(|e| panic!("{file}: {e}\n--- scenario ---\n{yaml}"));
    let r = run(&scn, RunOptions::default());
    // (No `check_invariants`: pods created with `nodeName` on a crashed
    // node are counted against it without ever running, which it reports
    // as over-commitment.)
    let (attempts, tree_answered) = r.sim.scheduling_attempts();
    (r.trace_hash.clone(), r.sim.trace.record_count(), attempts, tree_answered)
}

#[test]
fn score_trees_give_the_same_trace_as_the_walk() {
    // Small clusters (every node examined) and one past 100 nodes, where
    // only `numFeasibleNodesToFind` of them are and the start rotates.
    for (seed, plain) in [(1, 6), (2, 12), (3, 25), (4, 140)] {
        let file = format!("fast-path-{seed}.yaml");
        let trees = trace_of(&scenario_yaml(seed, plain, true), &file);
        let again = trace_of(&scenario_yaml(seed, plain, true), &file);
        let walk = trace_of(&scenario_yaml(seed, plain, false), &file);
        assert_eq!(trees, again, "{file}: same seed, different trace");
        assert_eq!(trees.0, walk.0, "{file}: the score trees changed the run");
        assert_eq!(trees.1, walk.1, "{file}: the score trees changed the run");
        assert_eq!(trees.2, walk.2, "{file}: the score trees changed the run");
        assert!(trees.2 > 50, "{file}: only {} scheduling attempts", trees.2);
        assert!(trees.3 > 0, "{file}: no cycle was answered by a tree");
        assert_eq!(walk.3, 0, "{file}: a tree answered with the trees off");
    }
}

/// A toleration added to a pending pod (the apiserver accepts additions):
/// `p` and `q` start alike and fit nowhere (`a` tainted, `b` cordoned);
/// `p` is given the toleration; when `c` is added, `q` goes to `c` and
/// never to `a`, with and without the trees.
#[test]
fn toleration_added_to_a_pending_pod() {
    let yaml = |trees: u8| {
        let pod = |name: &str, tols: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.9\n    resources: {{requests: {{cpu: 500m, memory: 16Mi}}}}\n{tols}"
            )
        };
        let indent = |s: String, by: &str| s.lines().map(|l| format!("{by}{l}\n")).collect::<String>();
        let tol = "  tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]\n";
        format!(
            "name: toleration added to a pending pod\nseed: 1\nduration: 1m\ncluster:\n  nodes:\n    - name: a\n      capacity: {{cpu: \"8\", memory: 16Gi}}\n      taints: [{{key: dedicated, value: ml, effect: NoSchedule}}]\n    - name: b\n      capacity: {{cpu: \"1\", memory: 1Gi}}\n      unschedulable: true\n  config: {{schedulerScoreTrees: {trees}}}\nimages:\n  registry.k8s.io/pause: {{pull: 1s, start: 100ms}}\nobjects:\n  - {}  - {}timeline:\n  - at: 10s\n    apply:\n{}  - at: 20s\n    addNode: {{name: c, capacity: {{cpu: \"1\", memory: 1Gi}}}}\n",
            indent(pod("p", ""), "    ").trim_start(),
            indent(pod("q", ""), "    ").trim_start(),
            indent(pod("p", tol), "      "),
        )
    };
    let file = "toleration-added.yaml";
    let load = |trees| {
        let text = yaml(trees);
        scenario::load_str(&text, file, &crate::root()).unwrap_or_else(|e| panic!("{file}: {e}\n{text}"))
    };
    let mut hashes = Vec::new();
    for trees in [1, 1, 0] {
        let r = run(&load(trees), RunOptions::default());
        let node_of = |name: &str| {
            let key = kubesim::objects::store::Key::new("default", name);
            r.sim.store.pod(&key).and_then(|p| p.node_name().map(str::to_string))
        };
        assert_eq!(node_of("q").as_deref(), Some("c"), "trees {trees}: q does not tolerate a's taint");
        assert!(node_of("p").is_some(), "trees {trees}: p was not scheduled");
        if trees == 1 {
            assert!(r.sim.scheduling_attempts().1 > 0, "no cycle was answered by a tree");
        }
        hashes.push(r.trace_hash.clone());
    }
    assert_eq!(hashes[0], hashes[1], "same seed, different trace");
    assert_eq!(hashes[0], hashes[2], "the score trees changed the run");
}
