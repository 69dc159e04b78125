//! Jobs and CronJobs end to end: how a Job fails (backoffLimit with both
//! restart policies, activeDeadlineSeconds, a pod failure policy), suspend
//! and resume, deletion with its pods, kubectl's create verbs, CronJob
//! time zones and Replace, and the loader's errors for bad batch objects.

use crate::root;
use kubesim::kinds::cronjob::CronJob;
use kubesim::kinds::job::{Job, JobConditionType};
use kubesim::objects::env::EnvSource;
use kubesim::objects::pod::CondStatus;
use kubesim::objects::store::Key;
use kubesim::scenario;
use kubesim::sim::SimTime;
use kubesim::simulation::Simulation;

fn scenario_text(images: &str, objects: &str, timeline: &str, duration: &str) -> String {
    format!(
        "\
name: batch test
seed: 2
duration: {duration}
cluster:
  nodes:
    - {{name: node-1, capacity: {{cpu: \"8\", memory: 16Gi}}}}
images:
{images}
objects:
{objects}
timeline:
{timeline}"
    )
}

fn sim(text: &str) -> Simulation {
    let scn = scenario::load_str(text, "batch.yaml", &root()).expect("load");
    let mut s = scn.build(1);
    s.trace.keep_events(true);
    s
}

fn job(sim: &Simulation, name: &str) -> Option<Job> {
    let t = sim.store.typed.get(&("Job".to_string(), Key::new("default", name)))?;
    Some(t.downcast::<Job>().expect("a Job").clone())
}

fn cronjob(sim: &Simulation, name: &str) -> CronJob {
    let t = sim.store.typed.get(&("CronJob".to_string(), Key::new("default", name))).expect("the CronJob");
    t.downcast::<CronJob>().expect("a CronJob").clone()
}

fn events(sim: &Simulation, reason: &str) -> Vec<(SimTime, String)> {
    sim.trace.events().iter().filter(|e| e.reason == reason).map(|e| (e.time, e.message.clone())).collect()
}

fn job_yaml(name: &str, spec: &str, restart: &str, image: &str) -> String {
    format!(
        "  - apiVersion: batch/v1
    kind: Job
    metadata: {{name: {name}}}
    spec:
      {spec}
      template:
        spec:
          restartPolicy: {restart}
          containers: [{{name: c, image: \"{image}\"}}]
"
    )
}

/// restartPolicy Never, every pod exits 1: `backoffLimit: 2` allows two
/// failures; the third fails the Job (FailureTarget, then Failed once no
/// pod is terminating) with BackoffLimitExceeded, after the back-off
/// between attempts (10 s, then 20 s).
#[test]
fn never_fails_after_backoff_limit_failed_pods() {
    let t = scenario_text(
        "  fails:v1: {pull: 1s, exitAfter: 5s, exitCode: 1}",
        &job_yaml("flaky", "backoffLimit: 2", "Never", "fails:v1"),
        "  []",
        "3m",
    );
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(180));
    let j = job(&s, "flaky").expect("the Job");
    assert_eq!(j.status_text(), "Failed");
    assert_eq!(j.status.failed, 3);
    let failed = j.status.condition(JobConditionType::Failed).expect("Failed");
    assert_eq!(failed.reason, "BackoffLimitExceeded");
    assert!(j.status.condition(JobConditionType::FailureTarget).is_some(), "the interim condition stays");
    assert!(j.status.completion_time.is_none(), "a failed Job has no completionTime");
    let creates = events(&s, "SuccessfulCreate");
    assert_eq!(creates.len(), 3, "{:?}", creates);
    // Pod 1 fails at ≈ 6.1 s: the second comes 10 s later; it fails ≈ 5 s
    // after it starts, and the third comes 20 s after that.
    let gap = |a: usize, b: usize| (creates[b].0 .0 - creates[a].0 .0) / 1_000_000_000;
    assert!((15..=17).contains(&gap(0, 1)), "{:?}", creates);
    assert!((25..=27).contains(&gap(1, 2)), "{:?}", creates);
    let ble = events(&s, "BackoffLimitExceeded");
    assert_eq!(ble.len(), 1);
    assert_eq!(ble[0].1, "Job has reached the specified backoff limit");
}

/// restartPolicy OnFailure: the container restarts in place, and the
/// restarts of running pods count toward `backoffLimit`; at the limit
/// the Job fails and its pod is deleted.
#[test]
fn on_failure_counts_restarts_toward_backoff_limit() {
    let t = scenario_text(
        "  fails:v1: {pull: 1s, exitAfter: 3s, exitCode: 1}",
        &job_yaml("crashy", "backoffLimit: 2", "OnFailure", "fails:v1"),
        "  []",
        "3m",
    );
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(10));
    assert_eq!(s.store.pods.len(), 1, "one pod, restarted in place");
    s.run_until(SimTime::from_secs(120));
    let j = job(&s, "crashy").expect("the Job");
    assert_eq!(j.status_text(), "Failed");
    assert_eq!(j.status.condition(JobConditionType::Failed).unwrap().reason, "BackoffLimitExceeded");
    assert_eq!(events(&s, "SuccessfulCreate").len(), 1);
    assert!(s.store.pods.values().all(|p| p.meta.deletion_timestamp.is_some() || p.status.phase.is_terminal()));
    assert!(events(&s, "SuccessfulDelete").len() == 1, "the running pod is deleted");
}

/// activeDeadlineSeconds: the Job fails at its deadline, counted from its
/// start, and its running pod is killed; STATUS shows FailureTarget while
/// the pod terminates, then Failed.
#[test]
fn active_deadline_fails_the_job_and_kills_its_pods() {
    let t = scenario_text(
        "  slow:v1: {pull: 1s, exitAfter: 10m}",
        &job_yaml("deadline", "activeDeadlineSeconds: 30", "Never", "slow:v1"),
        "  []",
        "2m",
    );
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(29));
    assert_eq!(job(&s, "deadline").unwrap().status_text(), "Running");
    s.run_until(SimTime(30_500_000_000));
    let j = job(&s, "deadline").unwrap();
    assert_eq!(j.status_text(), "FailureTarget", "{:?}", j.status);
    assert_eq!(j.status.terminating, Some(1));
    s.run_until(SimTime::from_secs(60));
    let j = job(&s, "deadline").unwrap();
    assert_eq!(j.status_text(), "Failed");
    assert_eq!(j.status.condition(JobConditionType::Failed).unwrap().reason, "DeadlineExceeded");
    assert_eq!(j.status.failed, 1, "the killed pod counts as failed");
    let de = events(&s, "DeadlineExceeded");
    assert_eq!(de.len(), 1);
    assert_eq!(de[0].1, "Job was active longer than specified deadline");
}

/// A FailJob rule on exit code 42 fails the Job at the first such pod,
/// whatever backoffLimit says; an Ignore rule's failures are not counted.
#[test]
fn pod_failure_policy_fail_job_and_ignore() {
    let rules = "podFailurePolicy:
        rules:
        - {action: FailJob, onExitCodes: {operator: In, values: [42]}}
        - {action: Ignore, onExitCodes: {operator: In, values: [3]}}
      backoffLimit: 6";
    let objects = job_yaml("fatal", rules, "Never", "fatal:v1") + &job_yaml("ignored", rules, "Never", "ignored:v1");
    let t = scenario_text(
        "  fatal:v1: {pull: 1s, exitAfter: 2s, exitCode: 42}\n  ignored:v1: {pull: 1s, exitAfter: 2s, exitCode: 3}",
        &objects,
        "  []",
        "2m",
    );
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(60));
    let fatal = job(&s, "fatal").unwrap();
    assert_eq!(fatal.status_text(), "Failed");
    let c = fatal.status.condition(JobConditionType::Failed).unwrap();
    assert_eq!(c.reason, "PodFailurePolicy");
    assert!(c.message.starts_with("Container c for pod default/fatal-"), "{}", c.message);
    assert!(c.message.ends_with("failed with exit code 42 matching FailJob rule at index 0"), "{}", c.message);
    let ignored = job(&s, "ignored").unwrap();
    assert_eq!(ignored.status_text(), "Running");
    assert_eq!(ignored.status.failed, 0, "ignored failures are not counted");
    assert!(events(&s, "SuccessfulCreate").len() > 3, "ignored failures are replaced");
}

/// A Job created suspended has no pods and no startTime; resuming it
/// (`suspend: false` applied) starts it, and suspending it again deletes
/// its running pods without counting them as failed.
#[test]
fn suspend_and_resume() {
    let obj = |suspend: bool, indent: &str| {
        job_yaml(
            "paused",
            &format!("suspend: {}\n      completions: 2\n      parallelism: 2", suspend),
            "Never",
            "work:v1",
        )
        .lines()
        .map(|l| format!("{}{}\n", indent, l))
        .collect::<String>()
    };
    let timeline = format!(
        "  - at: 30s\n    apply:\n{}  - at: 1m\n    apply:\n{}",
        obj(false, "    ").replace("      - apiVersion", "        apiVersion"),
        obj(true, "    ").replace("      - apiVersion", "        apiVersion")
    );
    let t = scenario_text("  work:v1: {pull: 1s, exitAfter: 10m}", &obj(true, ""), &timeline, "2m");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(20));
    let j = job(&s, "paused").unwrap();
    assert_eq!(j.status_text(), "Suspended");
    assert!(j.status.start_time.is_none());
    assert!(s.store.pods.is_empty());
    s.run_until(SimTime::from_secs(40));
    let j = job(&s, "paused").unwrap();
    assert_eq!(j.status_text(), "Running");
    assert_eq!(j.status.start_time.map(|t| t.0 / 1_000_000_000), Some(30));
    assert_eq!(j.status.active, 2);
    // The manifest applied again has no labels: the Job keeps its
    // template's, generated ones included (SetDefaults_Job).
    assert_eq!(j.meta.labels.get("job-name").map(String::as_str), Some("paused"));
    let suspended = j.status.conditions.iter().find(|c| c.type_ == JobConditionType::Suspended).unwrap();
    assert_eq!((suspended.status, suspended.reason.as_str()), (CondStatus::False, "JobResumed"));
    s.run_until(SimTime::from_secs(100));
    let j = job(&s, "paused").unwrap();
    assert_eq!(j.status_text(), "Suspended");
    assert_eq!((j.status.active, j.status.failed), (0, 0));
    assert_eq!(events(&s, "Suspended").len(), 2);
    assert_eq!(events(&s, "Resumed").len(), 1);
}

/// `kubectl create job` in the timeline builds kubectl's Job (a container
/// named after the Job, restartPolicy Never, the selector generated from
/// the uid); `kubectl delete job` deletes its pods with it.
#[test]
fn kubectl_create_and_delete_job() {
    let timeline = "  - {at: 1s, kubectl: \"create job hello --image=busybox:1.36\"}\n  - {at: 1m, kubectl: \"delete job hello\"}\n";
    let t = scenario_text("  busybox:1.36: {pull: 1s, exitAfter: 5m}", "  []", timeline, "2m");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(30));
    let j = job(&s, "hello").expect("kubectl created it");
    assert_eq!(j.spec.template.spec.containers[0].name.as_ref(), "hello");
    assert_eq!(j.spec.template.spec.restart_policy.as_str(), "Never");
    let uid = kubesim::objects::meta::uid_string(j.meta.uid);
    assert_eq!(j.spec.selector.to_string(), format!("batch.kubernetes.io/controller-uid={}", uid));
    let pod = s.store.pods.values().next().expect("its pod");
    assert_eq!(pod.meta.labels.get("job-name").map(String::as_str), Some("hello"));
    assert_eq!(pod.meta.labels.get("batch.kubernetes.io/controller-uid"), Some(&uid));
    s.run_until(SimTime::from_secs(100));
    assert!(job(&s, "hello").is_none());
    assert!(s.store.pods.is_empty(), "the pods went with the Job");
}

/// A CronJob in a time zone: `0 9 * * *` in America/New_York (EST in
/// January 1970, UTC−5) first runs at 14:00 UTC; the Job is named after
/// the scheduled minute and annotated with the scheduled time in the zone.
#[test]
fn cronjob_runs_in_its_time_zone() {
    let objects = "  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: morning}
    spec:
      schedule: \"0 9 * * *\"
      timeZone: America/New_York
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: OnFailure
              containers: [{name: c, image: \"work:v1\"}]
";
    let t = scenario_text("  work:v1: {pull: 1s, exitAfter: 1m}", objects, "  []", "15h");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(14 * 3600 - 1));
    assert!(job(&s, "morning-840").is_none());
    s.run_until(SimTime::from_secs(14 * 3600 + 1));
    let j = job(&s, "morning-840").expect("the 09:00 EST run: 840 minutes after the epoch");
    assert_eq!(
        j.meta.annotations.get("batch.kubernetes.io/cronjob-scheduled-timestamp").map(String::as_str),
        Some("1970-01-01T09:00:00-05:00")
    );
    // Queued 100 ms after its time; the create reaches the apiserver one
    // API hop later.
    let created_ms = j.meta.creation_timestamp.0 / 1_000_000 - 14 * 3_600_000;
    assert!((100..150).contains(&created_ms), "created {} ms after its time", created_ms);
    assert_eq!(cronjob(&s, "morning").status.last_schedule_time, Some(SimTime::from_secs(14 * 3600)));
}

/// concurrencyPolicy Replace: the next run deletes the still-running Job
/// (and its pod) before it creates its own.
#[test]
fn cronjob_replace_deletes_the_running_job() {
    let objects = "  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: tick}
    spec:
      schedule: \"*/1 * * * *\"
      concurrencyPolicy: Replace
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: \"long:v1\"}]
";
    let t = scenario_text("  long:v1: {pull: 1s, exitAfter: 10m}", objects, "  []", "4m");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(90));
    assert!(job(&s, "tick-1").is_some());
    s.run_until(SimTime::from_secs(150));
    assert!(job(&s, "tick-1").is_none(), "replaced");
    assert!(job(&s, "tick-2").is_some());
    let cj = cronjob(&s, "tick");
    assert_eq!(cj.status.active.len(), 1);
    assert_eq!(&*cj.status.active[0].name, "tick-2");
    let deleted = events(&s, "SuccessfulDelete");
    assert!(deleted.iter().any(|e| e.1 == "Deleted job tick-1"), "{:?}", deleted);
    s.run_until(SimTime::from_secs(200));
    assert_eq!(s.store.pods.values().filter(|p| p.meta.deletion_timestamp.is_none()).count(), 1);
}

/// A suspended CronJob creates nothing; `kubectl create cronjob` builds
/// kubectl's CronJob (restartPolicy OnFailure).
#[test]
fn kubectl_create_cronjob_and_suspend() {
    let timeline = "  - {at: 1s, kubectl: \"create cronjob nightly --image=busybox:1.36 --schedule='*/2 * * * *'\"}\n";
    let t = scenario_text("  busybox:1.36: {pull: 1s, exitAfter: 5s}", "  []", timeline, "5m");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(300));
    let cj = cronjob(&s, "nightly");
    assert_eq!(cj.spec.schedule, "*/2 * * * *");
    assert_eq!(cj.spec.job_template.spec.template.spec.restart_policy.as_str(), "OnFailure");
    assert!(job(&s, "nightly-2").is_some());
    assert!(job(&s, "nightly-4").is_some());
    assert!(job(&s, "nightly-3").is_none());
    assert_eq!(cj.status.last_successful_time.map(|t| t.0 / 60_000_000_000), Some(4));
}

/// The loader names the file, line and field of a bad batch object.
#[test]
fn bad_batch_objects_are_load_errors() {
    let cases = [
        (job_yaml("j", "completions: 2", "Always", "x:v1"), "restartPolicy: Unsupported value: \"Always\""),
        (
            job_yaml("j", "completionMode: Indexed\n      parallelism: 2", "Never", "x:v1"),
            "spec.completions: Required value: when completion mode is Indexed",
        ),
        (
            job_yaml("j", "backoffLimit: -1", "Never", "x:v1"),
            "spec.backoffLimit: must be greater than or equal to 0, got -1",
        ),
        (job_yaml("j", "completionMode: Sometimes", "Never", "x:v1"), "Unsupported value: \"Sometimes\""),
        // The generated job-name labels hold the name: at most 63 characters.
        (job_yaml(&"b".repeat(64), "completions: 1", "Never", "x:v1"), "spec.template.labels: Invalid value"),
    ];
    for (objects, want) in cases {
        let t = scenario_text("  x:v1: {pull: 1s}", &objects, "  []", "1m");
        let err = scenario::load_str(&t, "bad.yaml", &root()).err().unwrap_or_else(|| panic!("accepted: {}", objects));
        let msg = err.to_string();
        assert!(msg.contains("bad.yaml:"), "{}", msg);
        assert!(msg.contains(want), "want {:?} in {}", want, msg);
    }
    let cron = |schedule: &str, tz: &str| {
        format!(
            "  - apiVersion: batch/v1
    kind: CronJob
    metadata: {{name: c}}
    spec:
      schedule: \"{schedule}\"
      {tz}
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{{name: c, image: \"x:v1\"}}]
"
        )
    };
    for (objects, want) in [
        (
            cron("61 * * * *", ""),
            "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61",
        ),
        (cron("@often", ""), "unrecognized descriptor: @often"),
        (
            cron("0 * * * *", "timeZone: Europe/Pariss"),
            "spec.timeZone: Invalid value: \"Europe/Pariss\": unknown time zone Europe/Pariss",
        ),
        (cron("TZ=UTC 0 * * * *", ""), "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
    ] {
        let t = scenario_text("  x:v1: {pull: 1s}", &objects, "  []", "1m");
        let err = scenario::load_str(&t, "bad.yaml", &root()).err().unwrap_or_else(|| panic!("accepted: {}", objects));
        assert!(err.to_string().contains(want), "want {:?} in {}", want, err);
    }
}

/// Every sync of a Job is a function of the scenario and seed: two runs
/// of a busy batch scenario give the same trace.
#[test]
fn batch_runs_are_deterministic() {
    let path = root().join("scenarios/job-completions-fail-once.yaml");
    let scn = scenario::load(&path).expect("load");
    let a = kubesim::runner::run(&scn, Default::default());
    let b = kubesim::runner::run(&scn, Default::default());
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.failed(), 0);
}

/// A running pod deleted (kubectl delete, a drain, an eviction) leaves the
/// API before the Job's batched sync sees it terminal: it is counted once,
/// as failed, and replaced; the other pods are counted once each. (A
/// review found every later sync counting the Job's pods again.)
#[test]
fn a_deleted_running_pod_is_counted_once() {
    for (policy, delete) in [
        ("", "delete pod -l job-name=j"),
        ("podReplacementPolicy: Failed", "delete pod -l job-name=j --grace-period=0 --force"),
        ("completionMode: Indexed", "delete pod -l job-name=j"),
    ] {
        let spec = format!("completions: 3\n      parallelism: 1\n      {}", policy);
        let t = scenario_text(
            "  task:v1: {pull: 1s, exitAfter: 20s}",
            &job_yaml("j", &spec, "Never", "task:v1"),
            &format!("  - {{at: 5s, kubectl: \"{}\"}}\n", delete),
            "3m",
        );
        let mut s = sim(&t);
        s.run_until(SimTime::from_secs(180));
        let j = job(&s, "j").unwrap();
        assert_eq!(j.status_text(), "Complete", "{}: {:?}", policy, j.status);
        assert_eq!((j.status.succeeded, j.status.failed, j.status.terminating), (3, 1, Some(0)), "{}", policy);
        assert_eq!(events(&s, "SuccessfulCreate").len(), 4, "{}", policy);
        assert!(events(&s, "TooManySucceededPods").is_empty(), "{}", policy);
    }
}

/// `successfulJobsHistoryLimit: 0`: each run's Job is deleted once it
/// succeeds, and still sets `lastSuccessfulTime` (kubernetes PR #122025;
/// found by review).
#[test]
fn history_limit_zero_still_records_the_last_success() {
    let objects = "  - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: c}
    spec:
      schedule: \"* * * * *\"
      successfulJobsHistoryLimit: 0
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{name: c, image: \"short:v1\"}]
";
    let t = scenario_text("  short:v1: {pull: 1s, exitAfter: 20s}", objects, "  []", "4m");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(170));
    let cj = cronjob(&s, "c");
    let last = cj.status.last_successful_time.expect("lastSuccessfulTime");
    assert!((141..143).contains(&(last.0 / 1_000_000_000)), "the 2m run's success at ≈ 2m21s: {}", last);
    assert!(job(&s, "c-1").is_none() && job(&s, "c-2").is_none(), "succeeded Jobs are not kept");
}

/// An Indexed Job's pods know their index as upstream's do: each
/// container's env has `JOB_COMPLETION_INDEX` from the pod's index label
/// (`addCompletionIndexEnvVariables`), and the pod's hostname is
/// `<job>-<index>` (`template.Spec.Hostname`), which `hostname` prints.
#[test]
fn indexed_pods_see_their_index_in_env_and_hostname() {
    let objects = "  - apiVersion: batch/v1
    kind: Job
    metadata: {name: shard}
    spec:
      completions: 3
      parallelism: 3
      completionMode: Indexed
      template:
        spec:
          restartPolicy: Never
          containers:
            - {name: c, image: \"busybox:v1\", command: [sh, -c, \"hostname; sleep 30\"]}
";
    let t = scenario_text("  busybox:v1: {pull: 1s}", objects, "  []", "1m");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(10));
    let mut seen = Vec::new();
    for p in s.store.pods.values() {
        let index = p.meta.labels.get("batch.kubernetes.io/job-completion-index").expect("index label").clone();
        let host = format!("shard-{index}");
        assert_eq!(p.spec.hostname.as_deref(), Some(host.as_str()));
        let k = p.node_name().and_then(|n| s.kubelet(n)).expect("bound");
        let log = k.logs(p.meta.uid, 0, false, s.now()).expect("a log");
        assert!(log.iter().any(|l| l.ends_with(&format!("] {host}"))), "{log:?}");
        let var = p.spec.containers[0].env.iter().find(|v| v.name == "JOB_COMPLETION_INDEX").expect("the variable");
        let EnvSource::Field { path, .. } = &var.source else { panic!("a fieldRef: {var:?}") };
        assert_eq!(kubesim::objects::env::field_value(p, path).as_deref(), Some(index.as_str()));
        seen.push(index);
    }
    seen.sort();
    assert_eq!(seen, ["0", "1", "2"]);
}

/// The apiserver validates `spec.hostname` as a DNS-1123 label: an
/// Indexed Job whose name leaves no room for `-<index>` within 63
/// characters gets its pods refused (FailedCreate), as upstream.
#[test]
fn an_indexed_job_whose_hostnames_are_too_long_creates_nothing() {
    let name = "j".repeat(62);
    let objects = format!(
        "  - apiVersion: batch/v1
    kind: Job
    metadata: {{name: {name}}}
    spec:
      completions: 1
      completionMode: Indexed
      template:
        spec:
          restartPolicy: Never
          containers: [{{name: c, image: \"ok:v1\"}}]
"
    );
    let t = scenario_text("  ok:v1: {pull: 1s, exitAfter: 5s}", &objects, "  []", "30s");
    let mut s = sim(&t);
    s.run_until(SimTime::from_secs(5));
    assert!(s.store.pods.is_empty());
    let failed = events(&s, "FailedCreate");
    assert!(!failed.is_empty());
    assert!(failed[0].1.contains("spec.hostname: Invalid value"), "{failed:?}");
}

/// The Job controller runs as a component: crashed between pods, the
/// restarted controller relists and counts each terminated pod once (the
/// status it finds says which are counted), so a crash changes no count:
/// five completions take five pods, and a Job that fails takes
/// backoffLimit + 1 failed pods, as without the crash.
#[test]
fn a_restarted_job_controller_counts_each_pod_once() {
    let objects = format!(
        "{}{}",
        job_yaml("done", "completions: 5\n      parallelism: 1", "Never", "quick:v1"),
        job_yaml("flaky", "backoffLimit: 2", "Never", "fails:v1")
    );
    let images = "  quick:v1: {pull: 1s, exitAfter: 3s}\n  fails:v1: {pull: 1s, exitAfter: 5s, exitCode: 1}";
    let crash = "  - at: 12s\n    crashController: {name: job, restartAfter: 5s}\n  - at: 40s\n    crashController: {name: job-controller, restartAfter: 5s}";
    let outcome = |timeline: &str| {
        let mut s = sim(&scenario_text(images, &objects, timeline, "4m"));
        s.run_until(SimTime::from_secs(240));
        assert!(s.user_errors.is_empty(), "{:?}", s.user_errors);
        let done = job(&s, "done").expect("done");
        let flaky = job(&s, "flaky").expect("flaky");
        let created = events(&s, "SuccessfulCreate").len();
        let crashed = events(&s, "ControllerCrashed").len();
        ((done.status_text(), done.status.succeeded, flaky.status_text(), flaky.status.failed, created), crashed)
    };
    let (plain, none) = outcome("  []");
    assert_eq!(none, 0);
    assert_eq!(plain, ("Complete", 5, "Failed", 3, 8));
    let (crashed, two) = outcome(crash);
    assert_eq!(two, 2, "both crashes happened");
    assert_eq!(crashed, plain);
}

/// The CronJob and TTL-after-finished controllers run as components. A
/// CronJob controller down across a schedule time makes the missed run
/// when it is back (its list, then `mostRecentScheduleTime`): the 1m run
/// at ≈ 80 s instead of 60.1 s. A TTL controller down when a Job's TTL
/// runs out deletes the Job as soon as its list shows it, rather than at
/// the TTL.
#[test]
fn restarted_cronjob_and_ttl_controllers_catch_up() {
    let objects = format!(
        "  - apiVersion: batch/v1
    kind: CronJob
    metadata: {{name: tick}}
    spec:
      schedule: \"*/1 * * * *\"
      jobTemplate:
        spec:
          template:
            spec:
              restartPolicy: Never
              containers: [{{name: c, image: \"quick:v1\"}}]
{}",
        job_yaml("short", "ttlSecondsAfterFinished: 10", "Never", "quick:v1")
    );
    let images = "  quick:v1: {pull: 1s, exitAfter: 2s}";
    let created = |s: &Simulation| -> Vec<u64> {
        events(s, "SuccessfulCreate")
            .iter()
            .filter(|e| e.1.starts_with("Created job"))
            .map(|e| e.0 .0 / 100_000_000)
            .collect()
    };
    // Without faults: runs at 60.1 s and 120.1 s; `short` finishes at ≈ 3 s
    // and is deleted 10 s later.
    let mut plain = sim(&scenario_text(images, &objects, "  []", "3m"));
    plain.run_until(SimTime::from_secs(20));
    assert!(job(&plain, "short").is_none(), "deleted at its TTL");
    plain.run_until(SimTime::from_secs(150));
    assert_eq!(created(&plain), vec![601, 1201]);
    let timeline = "  - at: 2s\n    crashController: {name: ttl-after-finished, restartAfter: 30s}\n  - at: 50s\n    crashController: {name: cronjob, restartAfter: 30s}";
    let mut s = sim(&scenario_text(images, &objects, timeline, "3m"));
    s.run_until(SimTime::from_secs(31));
    assert!(job(&s, "short").is_some(), "no TTL controller to delete it");
    s.run_until(SimTime::from_secs(33));
    assert!(job(&s, "short").is_none(), "deleted once the restarted controller listed it");
    s.run_until(SimTime::from_secs(150));
    let runs = created(&s);
    assert_eq!(runs.len(), 2, "{:?}", runs);
    assert!((800..=801).contains(&runs[0]), "the missed run when the controller is back: {:?}", runs);
    assert_eq!(runs[1], 1201);
}
