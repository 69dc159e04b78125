//! `describeDeployment` (kubectl's `DeploymentDescriber`): the
//! Deployment, its strategy, its pod template, its conditions and its old
//! and new ReplicaSets.

use super::replicaset::describe_pod_template;
use super::{annotations_multiline, events, labels_multiline, rfc1123, Out};
use crate::controllers::deployment::util::equal_ignore_hash;
use crate::kinds::deployment::{Deployment, IntOrPercent, Strategy};
use crate::objects::replicaset::ReplicaSet;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;

fn int_or_percent(v: IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => format!("{}%", p),
    }
}

/// `printReplicaSetsByLabels`: `name (status/spec replicas created)`, or
/// `<none>`.
fn replica_sets(sets: &[&ReplicaSet]) -> String {
    let list: Vec<String> = sets
        .iter()
        .map(|rs| format!("{} ({}/{} replicas created)", rs.meta.name, rs.status.replicas, rs.spec.replicas))
        .collect();
    if list.is_empty() {
        "<none>".into()
    } else {
        list.join(", ")
    }
}

/// What `kubectl describe deployment` prints for `d` at `now`; `sets` are
/// the ReplicaSets it controls (split into old and new as
/// `GetAllReplicaSets` splits them: the new one is the oldest whose
/// template matches the Deployment's).
pub fn describe_deployment(d: &Deployment, sets: &[&ReplicaSet], all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    w.w(0, &format!("Name:\t{}\n", d.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", d.meta.namespace));
    w.w(0, &format!("CreationTimestamp:\t{}\n", rfc1123(d.meta.creation_timestamp)));
    labels_multiline(&mut w, "Labels", &d.meta.labels);
    annotations_multiline(&mut w, "Annotations", &d.meta.annotations);
    w.w(0, &format!("Selector:\t{}\n", d.spec.selector));
    let s = &d.status;
    w.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            d.spec.replicas, s.updated_replicas, s.replicas, s.available_replicas, s.unavailable_replicas
        ),
    );
    let strategy = match d.spec.strategy {
        Strategy::Recreate => "Recreate",
        Strategy::RollingUpdate { .. } => "RollingUpdate",
    };
    w.w(0, &format!("StrategyType:\t{}\n", strategy));
    w.w(0, &format!("MinReadySeconds:\t{}\n", d.spec.min_ready_seconds));
    if let Strategy::RollingUpdate { max_surge, max_unavailable } = d.spec.strategy {
        w.w(
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                int_or_percent(max_unavailable),
                int_or_percent(max_surge)
            ),
        );
    }
    describe_pod_template(&mut w, &d.spec.template);
    if !s.conditions.is_empty() {
        w.w(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.w(1, "----\t------\t------\n");
        for c in &s.conditions {
            w.w(1, &format!("{} \t{}\t{}\n", c.type_.as_str(), c.status.as_str(), c.reason));
        }
    }
    let mut sorted: Vec<&ReplicaSet> = sets.to_vec();
    sorted.sort_by(|a, b| crate::controllers::deployment::util::by_creation(a, b));
    let new = sorted.iter().position(|rs| equal_ignore_hash(&rs.spec.template, &d.spec.template));
    if !sorted.is_empty() {
        let old: Vec<&ReplicaSet> =
            sorted.iter().enumerate().filter(|(i, _)| Some(*i) != new).map(|(_, rs)| *rs).collect();
        w.w(0, &format!("OldReplicaSets:\t{}\n", replica_sets(&old)));
        let new: Vec<&ReplicaSet> = new.map(|i| sorted[i]).into_iter().collect();
        w.w(0, &format!("NewReplicaSet:\t{}\n", replica_sets(&new)));
    }
    events(&mut w, all_events, "Deployment", &d.meta, now);
    w.finish()
}
