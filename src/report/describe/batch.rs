//! `describeJob` and `describeCronJob` (kubectl v1.32): a Job's spec,
//! times and pod counts; a CronJob's schedule, limits, job template, last
//! run and active Jobs. Neither prints conditions or the time zone, as
//! kubectl does not.

use super::replicaset::describe_pod_template;
use super::{annotations_multiline, events, labels_multiline, rfc1123, Out};
use crate::kinds::cronjob::CronJob;
use crate::kinds::job::{CompletionMode, Job};
use crate::report::kubectl::human_duration;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;

/// `capIndexesListOrNone`: `<none>`, or the list cut at the first comma
/// past 50 characters, with `...`.
fn cap_indexes(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".into();
    }
    match indexes.char_indices().skip(soft_limit).find(|(_, c)| *c == ',') {
        Some((i, _)) => format!("{}...", &indexes[..=i]),
        None => indexes.to_string(),
    }
}

/// What `kubectl describe job` prints for `j` at `now`.
pub fn describe_job(j: &Job, all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    let (s, st) = (&j.spec, &j.status);
    w.w(0, &format!("Name:\t{}\n", j.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", j.meta.namespace));
    w.w(0, &format!("Selector:\t{}\n", s.selector));
    labels_multiline(&mut w, "Labels", &j.meta.labels);
    annotations_multiline(&mut w, "Annotations", &j.meta.annotations);
    if let Some(c) = j.meta.controller_ref() {
        w.w(0, &format!("Controlled By:\t{}/{}\n", c.kind, c.name));
    }
    w.w(0, &format!("Parallelism:\t{}\n", s.parallelism));
    match s.completions {
        Some(c) => w.w(0, &format!("Completions:\t{}\n", c)),
        None => w.w(0, "Completions:\t<unset>\n"),
    }
    w.w(0, &format!("Completion Mode:\t{}\n", s.completion_mode.as_str()));
    w.w(0, &format!("Suspend:\t{}\n", s.suspend));
    w.w(0, &format!("Backoff Limit:\t{}\n", s.backoff_limit));
    if let Some(t) = s.ttl_seconds_after_finished {
        w.w(0, &format!("TTL Seconds After Finished:\t{}\n", t));
    }
    if let Some(t) = st.start_time {
        w.w(0, &format!("Start Time:\t{}\n", rfc1123(t)));
    }
    if let Some(t) = st.completion_time {
        w.w(0, &format!("Completed At:\t{}\n", rfc1123(t)));
    }
    if let (Some(a), Some(b)) = (st.start_time, st.completion_time) {
        w.w(0, &format!("Duration:\t{}\n", human_duration(b.saturating_sub(a))));
    }
    if let Some(d) = s.active_deadline_seconds {
        w.w(0, &format!("Active Deadline Seconds:\t{}s\n", d));
    }
    w.w(
        0,
        &format!(
            "Pods Statuses:\t{} Active ({} Ready) / {} Succeeded / {} Failed\n",
            st.active, st.ready, st.succeeded, st.failed
        ),
    );
    if s.completion_mode == CompletionMode::Indexed {
        w.w(0, &format!("Completed Indexes:\t{}\n", cap_indexes(&st.completed_indexes, 50)));
    }
    describe_pod_template(&mut w, &s.template);
    events(&mut w, all_events, "Job", &j.meta, now);
    w.finish()
}

/// What `kubectl describe cronjob` prints for `c` at `now`.
pub fn describe_cron_job(c: &CronJob, all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    let s = &c.spec;
    w.w(0, &format!("Name:\t{}\n", c.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", c.meta.namespace));
    labels_multiline(&mut w, "Labels", &c.meta.labels);
    annotations_multiline(&mut w, "Annotations", &c.meta.annotations);
    w.w(0, &format!("Schedule:\t{}\n", s.schedule));
    w.w(0, &format!("Concurrency Policy:\t{}\n", s.concurrency_policy.as_str()));
    w.w(0, &format!("Suspend:\t{}\n", if s.suspend { "True" } else { "False" }));
    w.w(0, &format!("Successful Job History Limit:\t{}\n", s.successful_jobs_history_limit));
    w.w(0, &format!("Failed Job History Limit:\t{}\n", s.failed_jobs_history_limit));
    match s.starting_deadline_seconds {
        Some(d) => w.w(0, &format!("Starting Deadline Seconds:\t{}s\n", d)),
        None => w.w(0, "Starting Deadline Seconds:\t<unset>\n"),
    }
    // `describeJobTemplate`: the template has no selector (one is
    // generated per Job).
    let js = &s.job_template.spec;
    w.w(0, "Selector:\t<unset>\n");
    w.w(0, &format!("Parallelism:\t{}\n", js.parallelism));
    match js.completions {
        Some(n) => w.w(0, &format!("Completions:\t{}\n", n)),
        None => w.w(0, "Completions:\t<unset>\n"),
    }
    if let Some(d) = js.active_deadline_seconds {
        w.w(0, &format!("Active Deadline Seconds:\t{}s\n", d));
    }
    describe_pod_template(&mut w, &js.template);
    match c.status.last_schedule_time {
        Some(t) => w.w(0, &format!("Last Schedule Time:\t{}\n", rfc1123(t))),
        None => w.w(0, "Last Schedule Time:\t<unset>\n"),
    }
    let active: Vec<&str> = c.status.active.iter().map(|a| &*a.name).collect();
    if active.is_empty() {
        w.w(0, "Active Jobs:\t<none>\n");
    } else {
        w.w(0, &format!("Active Jobs:\t{}\n", active.join(", ")));
    }
    events(&mut w, all_events, "CronJob", &c.meta, now);
    w.finish()
}

#[cfg(test)]
mod tests {
    #[test]
    fn completed_indexes_are_capped_as_kubectl_caps_them() {
        assert_eq!(super::cap_indexes("", 50), "<none>");
        assert_eq!(super::cap_indexes("0-4", 50), "0-4");
        let long = (0..40).map(|i| (i * 2).to_string()).collect::<Vec<_>>().join(",");
        let capped = super::cap_indexes(&long, 50);
        assert!(capped.ends_with(",...") && capped.len() < long.len(), "{}", capped);
    }
}
