//! A library of Kubernetes invariants, as property factories for
//! `Check::property`.
//!
//! Always (after every event):
//! - [`resource_versions_increase`]: the store's revision (etcd's, which
//!   every write's resourceVersion is stamped from) never goes back;
//! - [`admitted_within_allocatable`]: the requests of the pods a kubelet
//!   admitted and that are not terminal never exceed its node's
//!   allocatable (the kubelet's admission, `pkg/kubelet/lifecycle/predicate.go`).
//!
//! Eventually (within a deadline of the faults stopping):
//! - [`no_pods_on_deleted_nodes`]: PodGC has removed every pod bound to a
//!   node that no longer exists (`gcOrphaned`);
//! - [`replica_sets_stable`]: every ReplicaSet and ReplicationController
//!   owns exactly `spec.replicas` active pods (not terminal, not being
//!   deleted: `controller.FilterActivePods`);
//! - [`deployments_complete`]: every Deployment that is not paused has
//!   rolled out (`DeploymentComplete`: its replicas all updated and
//!   available, its latest spec observed);
//! - [`daemon_sets_cover_nodes`]: every DaemonSet has one pod on each Ready
//!   node that should run it.
//!
//! During rollouts:
//! - [`rolling_update_within_bounds`]: a RollingUpdate that started fully
//!   available and sees no scaling never has more than `replicas +
//!   maxSurge` pods that are not terminating, nor fewer than `replicas −
//!   maxUnavailable` available ones.

use super::Property;
use crate::objects::resources::Resources;
use crate::objects::Kind;
use crate::simulation::Simulation;
use std::collections::BTreeMap;

/// Always: resourceVersions only move forward.
pub fn resource_versions_increase() -> impl Fn() -> Property {
    || {
        let mut last = 0u64;
        Property::always("resourceVersion increases", move |sim: &Simulation| {
            let rev = sim.store.revision();
            if rev < last {
                return Err(format!("the store's revision went back from {} to {}", last, rev));
            }
            last = rev;
            Ok(())
        })
    }
}

/// Always: no kubelet holds more than its node's allocatable.
pub fn admitted_within_allocatable() -> impl Fn() -> Property {
    || {
        Property::always("admitted pods fit allocatable", |sim: &Simulation| {
            for k in sim.kubelets() {
                if !k.is_alive() {
                    continue;
                }
                let Some(node) = sim.store.nodes.get(k.name()) else { continue };
                let used: Resources = k.admitted();
                let a = node.status.allocatable;
                if used.cpu_m > a.cpu_m || used.memory > a.memory || used.pods > a.pods {
                    return Err(format!(
                        "kubelet of {} admitted {}m CPU, {} bytes, {} pods; allocatable is {}m, {} bytes, {} pods",
                        k.name(),
                        used.cpu_m,
                        used.memory,
                        used.pods,
                        a.cpu_m,
                        a.memory,
                        a.pods
                    ));
                }
            }
            Ok(())
        })
    }
}

/// Eventually (`within`, e.g. `"5m"`): no pod is bound to a node that does
/// not exist.
pub fn no_pods_on_deleted_nodes(within: &str) -> impl Fn() -> Property {
    let within = within.to_string();
    move || {
        Property::eventually("no pods on deleted nodes", &within, |sim: &Simulation| {
            for p in sim.store.pods.values() {
                if let Some(n) = p.node_name() {
                    if !sim.store.nodes.contains_key(n) {
                        return Err(format!("pod {}/{} is bound to deleted node {}", p.meta.namespace, p.meta.name, n));
                    }
                }
            }
            Ok(())
        })
    }
}

/// Eventually (`within`): every replica set owns `spec.replicas` active pods.
pub fn replica_sets_stable(within: &str) -> impl Fn() -> Property {
    let within = within.to_string();
    move || {
        Property::eventually("replica sets stable", &within, |sim: &Simulation| {
            let mut active: BTreeMap<u64, i32> = BTreeMap::new();
            for p in sim.store.pods.values() {
                if p.meta.deletion_timestamp.is_some() || p.status.phase.is_terminal() {
                    continue;
                }
                if let Some(c) = p.meta.controller_ref() {
                    *active.entry(c.uid).or_default() += 1;
                }
            }
            for rs in sim.store.replicasets.values() {
                if rs.meta.deletion_timestamp.is_some() {
                    continue;
                }
                let have = active.get(&rs.meta.uid).copied().unwrap_or(0);
                if have != rs.spec.replicas {
                    return Err(format!(
                        "{} {}/{} owns {} active pods, wants {}",
                        Kind::from_replica(rs.kind).as_str(),
                        rs.meta.namespace,
                        rs.meta.name,
                        have,
                        rs.spec.replicas
                    ));
                }
            }
            Ok(())
        })
    }
}

/// Eventually (`within`): every Service with a selector has Endpoints
/// whose ready addresses are the IPs of the pods it selects that are
/// Ready, not terminal and not being deleted (all of them with an IP,
/// with `publishNotReadyAddresses`), and EndpointSlices whose ready
/// endpoints are the same IPs.
pub fn endpoints_follow_ready_pods(within: &str) -> impl Fn() -> Property {
    use crate::kinds::endpoints::Endpoints;
    use crate::kinds::endpointslice::EndpointSlice;
    use crate::kinds::service::Service;
    use crate::objects::store::Key;
    use std::collections::BTreeSet;
    let within = within.to_string();
    move || {
        Property::eventually("endpoints follow ready pods", &within, |sim: &Simulation| {
            let typed = &sim.store.typed;
            for t in typed.values() {
                let Some(svc) = t.downcast::<Service>() else { continue };
                let Some(sel) = svc.spec.selector.as_ref().filter(|s| !s.is_empty()) else { continue };
                let publish = svc.spec.publish_not_ready_addresses;
                let want: BTreeSet<String> = sim
                    .store
                    .pods
                    .values()
                    .filter(|p| p.meta.namespace == svc.meta.namespace)
                    .filter(|p| sel.iter().all(|(k, v)| p.meta.labels.get(k) == Some(v)))
                    .filter(|p| !p.status.phase.is_terminal())
                    .filter(|p| publish || (p.is_ready() && p.meta.deletion_timestamp.is_none()))
                    .filter_map(|p| p.status.pod_ip.as_deref().map(String::from))
                    .collect();
                let name = format!("{}/{}", svc.meta.namespace, svc.meta.name);
                let key = ("Endpoints".to_string(), Key::of(&svc.meta));
                let Some(ep) = typed.get(&key).and_then(|e| e.downcast::<Endpoints>()) else {
                    return Err(format!("service {} has no Endpoints", name));
                };
                let have: BTreeSet<String> = ep.ready_ips().map(String::from).collect();
                if have != want {
                    return Err(format!("Endpoints {} lists {:?}, the ready pods are {:?}", name, have, want));
                }
                let in_slices: BTreeSet<String> = typed
                    .values()
                    .filter_map(|t| t.downcast::<EndpointSlice>())
                    .filter(|s| s.meta.namespace == svc.meta.namespace && s.service_name() == Some(&*svc.meta.name))
                    .flat_map(|s| s.endpoints.iter().filter(|e| e.ready).map(|e| e.address.to_string()))
                    .collect();
                // Pods whose named port is missing are in no group: compare
                // with the Endpoints, which leave them out the same way.
                if in_slices != have {
                    return Err(format!("EndpointSlices of {} ready {:?}, Endpoints {:?}", name, in_slices, have));
                }
            }
            Ok(())
        })
    }
}

/// Eventually (`within`): every Deployment that is not paused is complete
/// (`DeploymentComplete`): `updatedReplicas`, `replicas` and
/// `availableReplicas` equal `spec.replicas`, and the status is of the
/// latest generation.
pub fn deployments_complete(within: &str) -> impl Fn() -> Property {
    use crate::kinds::deployment::Deployment;
    let within = within.to_string();
    move || {
        Property::eventually("deployments complete", &within, |sim: &Simulation| {
            for d in sim.store.typed.values().filter_map(|t| t.downcast::<Deployment>()) {
                if d.spec.paused {
                    continue;
                }
                if !crate::controllers::deployment::util::deployment_complete(d, &d.status) {
                    let s = &d.status;
                    return Err(format!(
                        "deployment {}/{} wants {}: {} updated, {} total, {} available (generation {}, observed {})",
                        d.meta.namespace,
                        d.meta.name,
                        d.spec.replicas,
                        s.updated_replicas,
                        s.replicas,
                        s.available_replicas,
                        d.meta.generation,
                        s.observed_generation
                    ));
                }
            }
            Ok(())
        })
    }
}

/// Always, during a RollingUpdate that started with every replica
/// available and changes no `replicas` while it runs: the Deployment's
/// pods that are neither terminating nor terminal never exceed `replicas +
/// maxSurge`, and those available (Ready for `minReadySeconds`, not
/// terminating) never drop below `replicas − maxUnavailable`. Only holds
/// without faults: a crashed node takes available pods away.
pub fn rolling_update_within_bounds() -> impl Fn() -> Property {
    use crate::kinds::deployment::{Deployment, Strategy};
    use crate::sim::SimDuration;
    || {
        // Per Deployment uid: the generation and replicas seen last, and
        // whether the rollout of that generation is being checked.
        let mut seen: BTreeMap<u64, (u64, i32, bool)> = BTreeMap::new();
        Property::always("rolling update within maxSurge and maxUnavailable", move |sim: &Simulation| {
            let now = sim.now();
            for d in sim.store.typed.values().filter_map(|t| t.downcast::<Deployment>()) {
                if !matches!(d.spec.strategy, Strategy::RollingUpdate { .. }) {
                    continue;
                }
                let sets: Vec<u64> = sim
                    .store
                    .replicasets
                    .values()
                    .filter(|rs| rs.meta.controller_ref().is_some_and(|r| r.uid == d.meta.uid))
                    .map(|rs| rs.meta.uid)
                    .collect();
                let min_ready = SimDuration::from_secs(d.spec.min_ready_seconds as u64);
                let (mut pods, mut available) = (0, 0);
                for p in sim.store.pods.values() {
                    let owned = p.meta.controller_ref().is_some_and(|r| sets.contains(&r.uid));
                    if !owned || p.meta.deletion_timestamp.is_some() || p.status.phase.is_terminal() {
                        continue;
                    }
                    pods += 1;
                    let ready_since = p
                        .status
                        .conditions
                        .ready
                        .as_ref()
                        .filter(|c| c.status == crate::objects::pod::CondStatus::True);
                    if ready_since.is_some_and(|c| c.last_transition_time + min_ready <= now) {
                        available += 1;
                    }
                }
                let entry = seen.entry(d.meta.uid).or_insert((0, d.spec.replicas, false));
                if entry.0 != d.meta.generation {
                    // A new spec: checked when nothing was scaled and the
                    // Deployment was fully available when it came.
                    let checked = entry.0 != 0 && entry.1 == d.spec.replicas && available >= d.spec.replicas;
                    *entry = (d.meta.generation, d.spec.replicas, checked);
                }
                if !entry.2 {
                    continue;
                }
                let (surge, unavailable) = (d.max_surge(), d.max_unavailable());
                if pods > d.spec.replicas + surge {
                    return Err(format!(
                        "deployment {}/{} has {} pods, more than {} replicas + {} surge",
                        d.meta.namespace, d.meta.name, pods, d.spec.replicas, surge
                    ));
                }
                if available < d.spec.replicas - unavailable {
                    return Err(format!(
                        "deployment {}/{} has {} available pods, fewer than {} replicas − {} unavailable",
                        d.meta.namespace, d.meta.name, available, d.spec.replicas, unavailable
                    ));
                }
            }
            Ok(())
        })
    }
}

/// Eventually (`within`): every DaemonSet runs exactly one pod (neither
/// terminating nor terminal) on every Ready node that should run it
/// (`NodeShouldRunDaemonPod`), and none on a node that should not keep it.
pub fn daemon_sets_cover_nodes(within: &str) -> impl Fn() -> Property {
    use crate::controllers::daemonset::node_should_run;
    use crate::kinds::daemonset::DaemonSet;
    use crate::objects::pod::CondStatus;
    let within = within.to_string();
    move || {
        Property::eventually("daemon sets cover their nodes", &within, |sim: &Simulation| {
            for ds in sim.store.typed.values().filter_map(|t| t.downcast::<DaemonSet>()) {
                let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
                for p in sim.store.pods.values() {
                    let mine = p.meta.controller_ref().is_some_and(|r| r.uid == ds.meta.uid);
                    if !mine || p.meta.deletion_timestamp.is_some() || p.status.phase.is_terminal() {
                        continue;
                    }
                    if let Some(n) = p.spec.node_affinity.required.as_ref().and_then(|t| t.first()) {
                        if let Some(node) = n.match_fields.first().and_then(|r| r.values.first()) {
                            *per_node.entry(node.as_str()).or_default() += 1;
                        }
                    }
                }
                for n in sim.store.nodes.values() {
                    let (run, keep) = node_should_run(ds, n);
                    let have = per_node.get(&*n.meta.name).copied().unwrap_or(0);
                    let ready = n.status.ready.status == CondStatus::True;
                    if run && ready && have != 1 {
                        return Err(format!("daemonset {} has {} pods on node {}", ds.meta.name, have, n.meta.name));
                    }
                    if !run && !keep && have > 0 {
                        return Err(format!("daemonset {} keeps {} pods on node {}", ds.meta.name, have, n.meta.name));
                    }
                }
            }
            Ok(())
        })
    }
}
