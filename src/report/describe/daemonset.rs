//! `describeDaemonSet`: the DaemonSet's node selector, its status counts,
//! its pods by phase and its pod template.

use super::replicaset::{describe_pod_template, pods_status};
use super::{annotations_multiline, events, labels_multiline, Out};
use crate::kinds::daemonset::DaemonSet;
use crate::objects::pod::Pod;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;
use std::rc::Rc;

/// What `kubectl describe daemonset` prints for `d` at `now`; `pods` are
/// the pods of its namespace.
pub fn describe_daemon_set(d: &DaemonSet, pods: &[Rc<Pod>], all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    w.w(0, &format!("Name:\t{}\n", d.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", d.meta.namespace));
    w.w(0, &format!("Selector:\t{}\n", d.spec.selector));
    w.w(0, &format!("Node-Selector:\t{}\n", d.node_selector_text()));
    labels_multiline(&mut w, "Labels", &d.meta.labels);
    annotations_multiline(&mut w, "Annotations", &d.meta.annotations);
    let s = &d.status;
    w.w(0, &format!("Desired Number of Nodes Scheduled: {}\n", s.desired_number_scheduled));
    w.w(0, &format!("Current Number of Nodes Scheduled: {}\n", s.current_number_scheduled));
    w.w(0, &format!("Number of Nodes Scheduled with Up-to-date Pods: {}\n", s.updated_number_scheduled));
    w.w(0, &format!("Number of Nodes Scheduled with Available Pods: {}\n", s.number_available));
    w.w(0, &format!("Number of Nodes Misscheduled: {}\n", s.number_misscheduled));
    pods_status(&mut w, pods, &d.meta, &d.spec.selector);
    describe_pod_template(&mut w, &d.spec.template);
    events(&mut w, all_events, "DaemonSet", &d.meta, now);
    w.finish()
}
