//! Node Leases beyond the kubelet and the node-lifecycle controller: the
//! garbage collector deletes a deleted Node's Lease (its owner reference)
//! and the node's running kubelet creates it again,
//! and a partition cuts `kubectl exec` (apiserver → kubelet) but not faults
//! on the node itself.

use crate::root;
use kubesim::runner::{self, RunOptions};
use kubesim::scenario;
use kubesim::sim::SimTime;

#[test]
fn a_deleted_nodes_lease_is_collected_and_exec_cannot_reach_a_partitioned_node() {
    let scn = scenario::load_str(
        "name: gc\nseed: 1\nduration: 2m\ncluster:\n  nodes: [{namePrefix: n, count: 2}]\nobjects:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: n-2, containers: [{name: c, image: busybox}]}}\ntimeline:\n  - at: 10s\n    delete: {kind: Node, name: n-1}\n  - at: 20s\n    partitionNode: n-2\n  - at: 30s\n    exec: {pod: p, command: [touch, /tmp/x]}\n  - at: 31s\n    crashContainer: {pod: p}\n",
        "gc.yaml",
        &root().join("scenarios"),
    )
    .expect("loads");
    let res = runner::run(&scn, RunOptions::default());
    let store = &res.sim.store;
    // The garbage collector deletes the Lease its Node owned; n-1's
    // kubelet, still running, renews it within 10 s, which creates it
    // again without an owner (`setNodeOwnerFunc` finds no Node), as a
    // real kubelet's lease controller does.
    let l = store.node_lease("n-1").expect("re-created by the renewal after the collection");
    assert!(l.meta.owner_references.is_empty(), "{:?}", l.meta.owner_references);
    let created = l.meta.creation_timestamp;
    assert!(created > SimTime::from_secs(10) && created < SimTime::from_secs(21), "re-created at {}", created);
    assert!(store.node_lease("n-2").is_some_and(|l| !l.meta.owner_references.is_empty()));
    // kubectl exec goes through the apiserver to the kubelet, which the
    // partition cuts off; a crash is on the node itself and happens.
    let errs: Vec<&str> = res.sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        errs,
        vec!["Error from server: error dialing backend: dial tcp 10.0.0.3:10250: i/o timeout"],
        "{:?}",
        errs
    );
    let k = res.sim.kubelet("n-2").unwrap();
    assert!(k.running_pods() == 1);
}
