//! `kubectl describe pod|node|rc|rs|svc|deploy|ds|job|cronjob`: kubectl's sections, wording and
//! layout (`staging/src/k8s.io/kubectl/pkg/describe/describe.go`, v1.32),
//! for what kubesim models.
//!
//! Every describer writes kubectl's lines — `key:\tvalue`, indented two
//! spaces per level (`PrefixWriter`) — and lays them out with kubectl's
//! tabwriter (`tabbedString`, see `tabwriter`), so values line up exactly as
//! kubectl's do, quirks included (a section title without a tab starts a new
//! alignment; `Events:  <none>` aligns with the lines above it).
//!
//! What kubesim does not model is left out, as kubectl leaves out what an
//! object does not have: a pod has no service account, volumes or image IDs;
//! a node reports only its Ready condition, and no machine, kernel or OS
//! details.

#![warn(missing_docs)]

mod batch;
mod daemonset;
mod deployment;
mod node;
mod pod;
mod replicaset;
mod service;
pub mod tabwriter;

pub use batch::{describe_cron_job, describe_job};
pub use daemonset::describe_daemon_set;
pub use deployment::describe_deployment;
pub use node::describe_node;
pub use pod::describe_pod;
pub use replicaset::describe_replica_set;
pub use service::describe_service;

/// `DescribePodTemplate` alone (`kubectl rollout history --revision`).
pub fn describe_template(t: &crate::objects::replicaset::PodTemplate) -> String {
    let mut w = Out::default();
    replicaset::describe_pod_template(&mut w, t);
    w.finish()
}

use super::kubectl::human_duration;
use crate::objects::meta::ObjectMeta;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;
use std::collections::BTreeMap;

/// `Thu, 01 Jan 1970 00:02:50 +0000` (`time.RFC1123Z`), in virtual time
/// from the Unix epoch.
pub fn rfc1123(t: SimTime) -> String {
    let iso = super::manifest::timestamp(t); // 1970-01-01T00:02:50Z
    let days = t.as_secs() / 86_400;
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        [iso[5..7].parse::<usize>().unwrap_or(1) - 1];
    format!("{}, {} {} {} {} +0000", weekday, &iso[8..10], month, &iso[0..4], &iso[11..19])
}

/// Go's zero `time.Time` in `RFC1123Z` (an unset `startedAt`).
const ZERO_TIME: &str = "Mon, 01 Jan 0001 00:00:00 +0000";

/// `translateTimestampSince`: `duration.HumanDuration(time.Since(t))`, which
/// answers `<invalid>` for a time 2 s or more in the future and `0s` for one
/// less than 2 s ahead (a pod's `deletionTimestamp` is the end of its grace
/// period, so a pod still within it shows `Terminating (lasts <invalid>)`).
pub fn since(now: SimTime, t: SimTime) -> String {
    if t > now {
        return if t.0 - now.0 >= 2_000_000_000 { "<invalid>".into() } else { "0s".into() };
    }
    human_duration(now.saturating_sub(t))
}

/// kubectl's `PrefixWriter` over a buffer that `finish` lays out with
/// kubectl's tabwriter.
#[derive(Default)]
struct Out {
    buf: String,
}

impl Out {
    /// `Write(level, …)`: two spaces per level, then `text` (tabs separate
    /// cells).
    fn w(&mut self, level: usize, text: &str) {
        for _ in 0..level {
            self.buf.push_str("  ");
        }
        self.buf.push_str(text);
    }

    /// `tabbedString`'s tabwriter: minimum width 0, padding 2.
    fn finish(self) -> String {
        tabwriter::layout(&self.buf, 0, 2)
    }
}

/// `printLabelsMultilineWithIndent` with no initial indent: `title:\t` then
/// one `key=value` a line, in key order, or `<none>`.
fn labels_multiline(w: &mut Out, title: &str, labels: &BTreeMap<String, String>) {
    w.w(0, &format!("{}:\t", title));
    if labels.is_empty() {
        w.w(0, "<none>\n");
        return;
    }
    for (i, (k, v)) in labels.iter().enumerate() {
        if i != 0 {
            w.w(0, "\t");
        }
        w.w(0, &format!("{}={}\n", k, v));
    }
}

/// `printAnnotationsMultiline`: `key: value` a line, in key order, without
/// `kubectl.kubernetes.io/last-applied-configuration`; a value longer than
/// 140 characters (with its key) or with newlines goes on lines of its own,
/// each cut at 138 characters.
fn annotations_multiline(w: &mut Out, title: &str, annotations: &BTreeMap<String, String>) {
    const MAX: usize = 140;
    w.w(0, &format!("{}:\t", title));
    let keys: Vec<&String> =
        annotations.keys().filter(|k| *k != "kubectl.kubernetes.io/last-applied-configuration").collect();
    if keys.is_empty() {
        w.w(0, "<none>\n");
        return;
    }
    for (i, k) in keys.into_iter().enumerate() {
        if i != 0 {
            w.w(0, "\t");
        }
        let v = annotations[k].strip_suffix('\n').unwrap_or(&annotations[k]);
        if v.len() + k.len() + 2 > MAX || v.contains('\n') {
            w.w(0, &format!("{}:\n", k));
            for s in v.split('\n') {
                let s = if s.len() > MAX - 2 {
                    let cut = (0..=MAX - 2).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                    format!("{}...", &s[..cut])
                } else {
                    s.to_string()
                };
                w.w(0, &format!("\t  {}\n", s));
            }
        } else {
            w.w(0, &format!("{}: {}\n", k, v));
        }
    }
}

/// `DescribeEvents` over the events about one object (`kind`, namespace,
/// name) recorded from its creation (kubectl searches by uid too, so a
/// deleted namesake's events are not shown) up to `now`: repeats of one event (same reason, message,
/// type and source) are one row, `Age (xN over Age)`, as the event
/// recorder's aggregation counts them; rows in order of their last time.
fn events(w: &mut Out, all: &[EventRecord], kind: &str, meta: &ObjectMeta, now: SimTime) {
    let mine: Vec<&EventRecord> = all
        .iter()
        .filter(|e| {
            e.kind == kind
                && *e.namespace == *meta.namespace
                && *e.name == *meta.name
                && e.time >= meta.creation_timestamp
                && e.time <= now
        })
        .collect();
    if mine.is_empty() {
        w.w(0, "Events:\t<none>\n");
        return;
    }
    let mut groups: Vec<(&EventRecord, SimTime, usize)> = Vec::new();
    for e in mine {
        match groups.iter_mut().find(|(f, _, _)| {
            f.reason == e.reason && f.message == e.message && f.warning == e.warning && f.source == e.source
        }) {
            Some(g) => {
                g.1 = e.time;
                g.2 += 1;
            }
            None => groups.push((e, e.time, 1)),
        }
    }
    groups.sort_by_key(|(first, last, _)| (*last, first.time));
    w.w(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.w(1, "----\t------\t----\t----\t-------\n");
    for (first, last, n) in groups {
        let age = if n > 1 {
            format!("{} (x{} over {})", since(now, last), n, since(now, first.time))
        } else {
            since(now, first.time)
        };
        let kind = if first.warning { "Warning" } else { "Normal" };
        w.w(1, &format!("{}\t{}\t{}\t{}\t{}\n", kind, first.reason, age, first.source, first.message.trim()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_dates() {
        assert_eq!(rfc1123(SimTime(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc1123(SimTime(170_000_000_000)), "Thu, 01 Jan 1970 00:02:50 +0000");
        assert_eq!(rfc1123(SimTime(86_400_000_000_000 * 3)), "Sun, 04 Jan 1970 00:00:00 +0000");
    }

    /// `duration.HumanDuration`'s answers for times in the future.
    #[test]
    fn since_a_future_time() {
        let s = |n: u64| SimTime(n * 1_000_000_000);
        assert_eq!(since(s(10), s(40)), "<invalid>");
        assert_eq!(since(s(10), SimTime(11_500_000_000)), "0s");
        assert_eq!(since(s(100), s(40)), "60s");
    }

    #[test]
    fn labels_and_annotations_align_under_their_title() {
        let mut w = Out::default();
        w.w(0, "Name:\tkubia\n");
        let m: BTreeMap<String, String> =
            [("app", "kubia"), ("env", "prod")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        labels_multiline(&mut w, "Labels", &m);
        annotations_multiline(&mut w, "Annotations", &m);
        assert_eq!(
            w.finish(),
            "Name:         kubia\nLabels:       app=kubia\n              env=prod\n\
             Annotations:  app: kubia\n              env: prod\n"
        );
    }
}
