//! `describeReplicationController` and `describeReplicaSet`, with
//! `DescribePodTemplate`.

use super::pod::{containers, pod_spec_tail};
use super::{annotations_multiline, events, labels_multiline, Out};
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::{Pod, PodPhase};
use crate::objects::replicaset::{PodTemplate, ReplicaKind, ReplicaSet};
use crate::objects::selector::Selector;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;
use std::rc::Rc;

/// What `kubectl describe rc|rs` prints for `r` at `now`; `pods` are the
/// pods of its namespace (those it controls and its selector matches are
/// counted in Pods Status, by phase, as `getPodStatusForController` counts
/// them).
pub fn describe_replica_set(r: &ReplicaSet, pods: &[Rc<Pod>], all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    w.w(0, &format!("Name:\t{}\n", r.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", r.meta.namespace));
    // RC: `labels.FormatLabels(spec.selector)`; RS: `FormatLabelSelector`.
    w.w(0, &format!("Selector:\t{}\n", r.spec.selector));
    labels_multiline(&mut w, "Labels", &r.meta.labels);
    annotations_multiline(&mut w, "Annotations", &r.meta.annotations);
    if r.kind == ReplicaKind::ReplicaSet {
        if let Some(c) = r.meta.controller_ref() {
            w.w(0, &format!("Controlled By:\t{}/{}\n", c.kind, c.name));
        }
    }
    w.w(0, &format!("Replicas:\t{} current / {} desired\n", r.status.replicas, r.spec.replicas));
    pods_status(&mut w, pods, &r.meta, &r.spec.selector);
    describe_pod_template(&mut w, &r.spec.template);
    events(&mut w, all_events, r.kind.as_str(), &r.meta, now);
    w.finish()
}

/// `Pods Status:` of a controller (`getPodStatusForController`): its
/// namespace's pods that its selector matches and it controls, by phase.
pub(super) fn pods_status(w: &mut Out, pods: &[Rc<Pod>], owner: &ObjectMeta, selector: &Selector) {
    let (mut running, mut waiting, mut succeeded, mut failed) = (0, 0, 0, 0);
    for p in pods {
        let mine = p.meta.namespace == owner.namespace
            && selector.matches(&p.meta.labels)
            && p.meta.controller_ref().is_some_and(|c| c.uid == owner.uid);
        if mine {
            match p.status.phase {
                PodPhase::Running => running += 1,
                PodPhase::Pending => waiting += 1,
                PodPhase::Succeeded => succeeded += 1,
                PodPhase::Failed => failed += 1,
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
    }
    w.w(
        0,
        &format!(
            "Pods Status:\t{} Running / {} Waiting / {} Succeeded / {} Failed\n",
            running, waiting, succeeded, failed
        ),
    );
}

/// `DescribePodTemplate`.
pub(super) fn describe_pod_template(w: &mut Out, t: &PodTemplate) {
    w.w(0, "Pod Template:\n");
    labels_multiline(w, "  Labels", &t.labels);
    if !t.annotations.is_empty() {
        annotations_multiline(w, "  Annotations", &t.annotations);
    }
    if !t.spec.init_containers.is_empty() {
        containers(w, "Init Containers", &t.spec.init_containers, None, None, "  ");
    }
    containers(w, "Containers", &t.spec.containers, None, None, "  ");
    w.w(0, "  Volumes:\t<none>\n");
    pod_spec_tail(w, &t.spec, "  ");
}
