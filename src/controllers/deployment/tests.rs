//! Kubernetes' own table tests of the deployment controller, ported: each
//! test names the upstream test it comes from.
//!
//! Sources: kubernetes/kubernetes
//! `pkg/controller/deployment/util/deployment_util_test.go`,
//! `sync_test.go`, `rolling_test.go` and `progress_test.go` (2025
//! versions; the gated rows are as at v1.32 with the gates off). Every upstream row
//! of the ported tables is here, in the upstream order, under the upstream
//! name; a row whose Rust result differs from the upstream expectation is
//! its own `#[ignore = "diverges from upstream: …"]` test, with the
//! expectation left as upstream has it.
//!
//! Mapping conventions (kubesim's types are not Go's):
//! * A nil `progressDeadlineSeconds` / `revisionHistoryLimit` is written as
//!   `i32::MAX`: kubesim's fields are not optional, and upstream treats nil
//!   and `math.MaxInt32` alike (`HasProgressDeadline`,
//!   `HasRevisionHistoryLimit`).
//! * A nil `maxSurge`/`maxUnavailable` passed to `newDeployment` keeps the
//!   helper's default `0`, as upstream.
//! * Go's `metav1.Time` becomes `SimTime`, which counts from the Unix epoch.
//! * `requeueStuckDeployment` returns a duration upstream (−1: none, 0:
//!   rate-limited now, d: checked again after d, enqueued at d + 1 s);
//!   kubesim returns the requeue delay: `None`, `Some(5 ms)` (the rate
//!   limiter's first delay) and `Some(d + 1 s)`.
//! * Client actions become the `ApiOp`s in `Run::ops`.
//!
//! Skipped: `TestDeploymentController_reconcileNewReplicaSet` rows 6–13
//! (they need the `DeploymentPodReplacementPolicy` /
//! `DeploymentReplicaSetTerminatingReplicas` feature gates, off by default
//! at v1.32; kubesim models neither terminating replicas nor the policy).

use super::util::*;
use super::*;
use crate::kinds::deployment::{DeploymentCondition, DeploymentSpec, DeploymentStatus, IntOrPercent};
use crate::objects::pod::{Container, PodSpec, PullPolicy};
use crate::objects::selector::Labels;
use std::collections::BTreeMap;
use IntOrPercent::{Int, Percent};

// ---------------------------------------------------------------------------
// Fixtures (upstream §7: deployment_controller_test.go, deployment_util_test.go,
// progress_test.go helpers).

/// `math.MaxInt32`, also standing for a nil `*int32` (see the header).
const MAX_INT32: i32 = i32::MAX;

/// Key–value pairs, as a table row writes labels or annotations.
type Pairs<'a> = &'a [(&'a str, &'a str)];

fn map(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A Unix time in seconds as a `SimTime`.
fn unix(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

/// 2016-05-20 00:00:00 UTC (TestScale's timestamps).
const MAY_20_2016: u64 = 1_463_702_400;
/// 2017-02-15 18:49:00 UTC (progress_test.go's `testTime`).
const TEST_TIME: u64 = 1_487_184_540;
/// 2016-01-01 00:00:00 UTC (TestDeploymentTimedOut's `timeFn` base).
const JAN_1_2016: u64 = 1_451_606_400;

/// A template with the given labels and one `foo/bar` container
/// (`newDeployment`'s template).
fn template(labels: &Labels) -> PodTemplate {
    let c = Container::new("", "foo/bar", PullPolicy::IfNotPresent);
    PodTemplate {
        labels: Rc::new(labels.clone()),
        annotations: Rc::default(),
        spec: Rc::new(PodSpec { containers: Rc::from([c]), ..Default::default() }),
    }
}

/// The empty `v1.PodTemplateSpec{}` of `rs()`.
fn empty_template() -> PodTemplate {
    PodTemplate { labels: Rc::default(), annotations: Rc::default(), spec: Rc::new(PodSpec::default()) }
}

/// A Deployment with only what a test sets (Go's zero `apps.Deployment`
/// plus the fields given): no selector, an empty template, RollingUpdate
/// `maxSurge`/`maxUnavailable`, no deadline.
fn bare_deployment(replicas: i32, strategy: Strategy) -> Deployment {
    let mut spec = DeploymentSpec::new(replicas, Selector::everything(), empty_template());
    spec.strategy = strategy;
    spec.progress_deadline_seconds = MAX_INT32;
    spec.revision_history_limit = MAX_INT32;
    Deployment { meta: ObjectMeta::default(), spec, status: DeploymentStatus::default() }
}

fn rolling(max_surge: IntOrPercent, max_unavailable: IntOrPercent) -> Strategy {
    Strategy::RollingUpdate { max_surge, max_unavailable }
}

/// `newDeployment(name, replicas, revisionHistoryLimit, maxSurge,
/// maxUnavailable, selector)` (deployment_controller_test.go): RollingUpdate
/// with both fenceposts 0 unless given, template labels = selector, no
/// progress deadline, generation 0.
fn new_deployment(
    name: &str,
    replicas: i32,
    revision_history_limit: Option<i32>,
    max_surge: Option<IntOrPercent>,
    max_unavailable: Option<IntOrPercent>,
    selector: &[(&str, &str)],
) -> Deployment {
    let sel = map(selector);
    let mut spec = DeploymentSpec::new(replicas, Selector::from_map(&sel), template(&sel));
    spec.strategy = rolling(max_surge.unwrap_or(Int(0)), max_unavailable.unwrap_or(Int(0)));
    spec.revision_history_limit = revision_history_limit.unwrap_or(MAX_INT32);
    spec.progress_deadline_seconds = MAX_INT32;
    let meta = ObjectMeta { name: name.into(), namespace: "default".into(), uid: 1, ..Default::default() };
    Deployment { meta, spec, status: DeploymentStatus::default() }
}

/// `rs(name, replicas, selector, timestamp)` (deployment_controller_test.go):
/// no uid, no annotations, empty template, empty status.
fn rs(name: &str, replicas: i32, selector: &[(&str, &str)], ts: SimTime) -> ReplicaSet {
    ReplicaSet {
        kind: ReplicaKind::ReplicaSet,
        meta: ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            creation_timestamp: ts,
            ..Default::default()
        },
        spec: ReplicaSetSpec {
            replicas,
            selector: Rc::new(Selector::from_map(&map(selector))),
            template: Rc::new(empty_template()),
            min_ready_seconds: 0,
        },
        status: ReplicaSetStatus::default(),
    }
}

/// `rs(…)` with `status.availableReplicas` set.
fn with_available(mut r: ReplicaSet, available: i32) -> ReplicaSet {
    r.status.available_replicas = available;
    r
}

/// `rs(…)` with `status.replicas` set.
fn with_status_replicas(mut r: ReplicaSet, replicas: i32) -> ReplicaSet {
    r.status.replicas = replicas;
    r
}

fn with_annotations(mut r: ReplicaSet, pairs: &[(&str, &str)]) -> ReplicaSet {
    r.meta.annotations = Rc::new(map(pairs));
    r
}

/// `newRSWithStatus(name, specReplicas, statusReplicas, selector)`.
fn new_rs_with_status(name: &str, spec: i32, status: i32, selector: &[(&str, &str)]) -> ReplicaSet {
    with_status_replicas(rs(name, spec, selector, SimTime::ZERO), status)
}

/// `newRSWithAvailable(name, specReplicas, statusReplicas, availableReplicas)`
/// (progress_test.go).
fn new_rs_with_available(name: &str, spec: i32, status: i32, available: i32) -> ReplicaSet {
    with_available(with_status_replicas(rs(name, spec, &[], SimTime::ZERO), status), available)
}

/// A sync over `sets` (kept in the given order) with the one named `new` as
/// the new ReplicaSet.
fn run_with(d: Deployment, sets: Vec<ReplicaSet>, new: Option<&str>, now: SimTime) -> Run {
    let idx = new.map(|n| sets.iter().position(|r| &*r.meta.name == n).expect("new RS is in sets"));
    let mut run = Run::new(d, sets.into_iter().map(Rc::new).collect(), Vec::new(), now);
    run.new = idx;
    run
}

/// The ReplicaSet updates among the writes: (name, `spec.replicas`).
fn rs_updates(ops: &[ApiOp]) -> Vec<(String, i32)> {
    ops.iter()
        .filter_map(|op| match op {
            ApiOp::Update { obj: Object::ReplicaSet(r), .. } => Some((r.meta.name.to_string(), r.spec.replicas)),
            _ => None,
        })
        .collect()
}

/// The names of the ReplicaSets deleted.
fn deleted(ops: &[ApiOp]) -> Vec<String> {
    ops.iter()
        .filter_map(|op| match op {
            ApiOp::Delete { kind: Kind::ReplicaSet, key, .. } => Some(key.name.to_string()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// deployment_util_test.go

/// `generatePodTemplateSpec(name, nodeName, annotations, labels)` minus the
/// name: kubesim's `PodTemplate` has no `metadata.name`.
fn pod_template(node: &str, annotations: &[(&str, &str)], labels: &[(&str, &str)]) -> PodTemplate {
    PodTemplate {
        labels: Rc::new(map(labels)),
        annotations: Rc::new(map(annotations)),
        spec: Rc::new(PodSpec { node_name: Some(node.into()), ..Default::default() }),
    }
}

const H: &str = POD_TEMPLATE_HASH;

/// Runs one `TestEqualIgnoreHash` row in both orders.
fn check_equal_ignore_hash(name: &str, former: PodTemplate, latter: PodTemplate, expected: bool) {
    assert_eq!(equal_ignore_hash(&former, &latter), expected, "{name}");
    assert_eq!(equal_ignore_hash(&latter, &former), expected, "{name} (reverse order)");
}

/// `TestEqualIgnoreHash` (deployment_util_test.go), rows 1–7, 9, 10.
#[test]
fn equal_ignore_hash_table() {
    let e: &[(&str, &str)] = &[];
    let rows: Vec<(&str, PodTemplate, PodTemplate, bool)> = vec![
        (
            "Same spec, same labels",
            pod_template("foo-node", e, &[(H, "value-1"), ("something", "else")]),
            pod_template("foo-node", e, &[(H, "value-1"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, only pod-template-hash label value is different",
            pod_template("foo-node", e, &[(H, "value-1"), ("something", "else")]),
            pod_template("foo-node", e, &[(H, "value-2"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, the former doesn't have pod-template-hash label",
            pod_template("foo-node", e, &[("something", "else")]),
            pod_template("foo-node", e, &[(H, "value-2"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, the label is different, the former doesn't have pod-template-hash label, same number of labels",
            pod_template("foo-node", e, &[("something", "else")]),
            pod_template("foo-node", e, &[(H, "value-2")]),
            false,
        ),
        (
            "Same spec, the label is different, the latter doesn't have pod-template-hash label, same number of labels",
            pod_template("foo-node", e, &[(H, "value-1")]),
            pod_template("foo-node", e, &[("something", "else")]),
            false,
        ),
        (
            "Same spec, the label is different, and the pod-template-hash label value is the same",
            pod_template("foo-node", e, &[(H, "value-1")]),
            pod_template("foo-node", e, &[(H, "value-1"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, same labels",
            pod_template("foo-node", &[("former", "value")], &[(H, "value-1"), ("something", "else")]),
            pod_template("foo-node", &[("latter", "value")], &[(H, "value-1"), ("something", "else")]),
            false,
        ),
        // Row 8 is `equal_ignore_hash_template_name_differs` below.
        (
            "Different spec, the former doesn't have pod-template-hash label",
            pod_template("foo-node-1", e, &[("something", "else")]),
            pod_template("foo-node-2", e, &[(H, "value-2"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, different labels",
            pod_template("foo-node-1", e, &[("something", "else")]),
            pod_template("foo-node-2", e, &[("nothing", "else")]),
            false,
        ),
    ];
    for (name, former, latter, expected) in rows {
        check_equal_ignore_hash(name, former, latter, expected);
    }
}

/// `TestEqualIgnoreHash` row 8, "Different spec, different pod-template-hash
/// label value": the templates are named `foo-1` and `foo-2` and differ in
/// nothing else but the hash label. kubesim's `PodTemplate` has no
/// `metadata.name`, so the fixture can only be written without the names,
/// and the two templates compare equal.
#[test]
#[ignore = "diverges from upstream: PodTemplate has no metadata.name, so templates that differ only in name compare equal"]
fn equal_ignore_hash_template_name_differs() {
    let e: &[(&str, &str)] = &[];
    check_equal_ignore_hash(
        "Different spec, different pod-template-hash label value",
        pod_template("foo-node", e, &[(H, "value-1"), ("something", "else")]), // name foo-1 (not modelled)
        pod_template("foo-node", e, &[(H, "value-2"), ("something", "else")]), // name foo-2 (not modelled)
        false,
    );
}

/// `TestNewRSNewReplicas` (deployment_util_test.go). The new RS is not in
/// `allRSs` (only `rs5`, of 5 replicas, is).
#[test]
fn new_rs_new_replicas_table() {
    // (name, recreate, depReplicas, newRSReplicas, maxSurge, expected)
    let rows = [
        ("can not scale up - to newRSReplicas", false, 1, 5, 1, 5),
        ("scale up - to depReplicas", false, 6, 2, 10, 6),
        ("recreate - to depReplicas", true, 3, 1, 1, 3),
    ];
    for (name, recreate, dep_replicas, new_replicas, surge, expected) in rows {
        let strategy = if recreate { Strategy::Recreate } else { rolling(Int(surge), Int(1)) };
        let d = bare_deployment(dep_replicas, strategy);
        let new_rc = rs("nginx-new", new_replicas, &[("name", "nginx")], SimTime::ZERO);
        let rs5 = rs("nginx-5", 5, &[("name", "nginx")], SimTime::ZERO);
        assert_eq!(new_rs_new_replicas(&d, [&rs5], &new_rc), expected, "{name}");
    }
}

fn cond(t: ConditionType, status: CondStatus, reason: &'static str) -> DeploymentCondition {
    DeploymentCondition {
        type_: t,
        status,
        last_update_time: SimTime::ZERO,
        last_transition_time: SimTime::ZERO,
        reason,
        message: String::new(),
    }
}

fn cond_progressing() -> DeploymentCondition {
    cond(ConditionType::Progressing, CondStatus::False, "ForSomeReason")
}

fn cond_progressing2() -> DeploymentCondition {
    cond(ConditionType::Progressing, CondStatus::True, "BecauseItIs")
}

fn cond_available() -> DeploymentCondition {
    cond(ConditionType::Available, CondStatus::True, "AwesomeController")
}

fn status_with(conditions: Vec<DeploymentCondition>) -> DeploymentStatus {
    DeploymentStatus { conditions, ..Default::default() }
}

/// `TestGetCondition` (deployment_util_test.go), via
/// `DeploymentStatus::condition`.
#[test]
fn get_condition_table() {
    let status = status_with(vec![cond_progressing(), cond_available()]);
    assert!(status.condition(ConditionType::Available).is_some(), "condition exists");
    assert!(status.condition(ConditionType::ReplicaFailure).is_none(), "condition does not exist");
}

/// `TestSetCondition` (deployment_util_test.go).
#[test]
fn set_condition_table() {
    let rows = [
        ("set for the first time", status_with(vec![]), cond_available(), status_with(vec![cond_available()])),
        (
            "simple set",
            status_with(vec![cond_progressing()]),
            cond_available(),
            status_with(vec![cond_progressing(), cond_available()]),
        ),
        (
            "overwrite",
            status_with(vec![cond_progressing()]),
            cond_progressing2(),
            status_with(vec![cond_progressing2()]),
        ),
    ];
    for (name, mut status, c, expected) in rows {
        set_condition(&mut status, c);
        assert_eq!(status, expected, "{name}");
    }
}

/// `TestRemoveCondition` (deployment_util_test.go).
#[test]
fn remove_condition_table() {
    let rows = [
        ("remove from empty status", status_with(vec![]), ConditionType::Progressing, status_with(vec![])),
        ("simple remove", status_with(vec![cond_progressing()]), ConditionType::Progressing, status_with(vec![])),
        (
            "doesn't remove anything",
            status_with(vec![cond_progressing(), cond_available()]),
            ConditionType::ReplicaFailure,
            status_with(vec![cond_progressing(), cond_available()]),
        ),
    ];
    for (name, mut status, t, expected) in rows {
        remove_condition(&mut status, t);
        assert_eq!(status, expected, "{name}");
    }
}

/// `TestDeploymentComplete` (deployment_util_test.go): `deployment(desired,
/// current, updated, available, maxUnavailable, maxSurge)`, checked against
/// its own status.
#[test]
fn deployment_complete_table() {
    let rows = [
        ("not complete: min but not all pods become available", (5, 5, 5, 4, 1, 0), false),
        ("not complete: min availability is not honored", (5, 5, 5, 3, 1, 0), false),
        ("complete", (5, 5, 5, 5, 0, 0), true),
        ("not complete: all pods are available but not updated", (5, 5, 4, 5, 0, 0), false),
        ("not complete: still running old pods", (1, 2, 1, 1, 0, 1), false),
        ("not complete: one replica deployment never comes up", (1, 1, 1, 0, 1, 1), false),
    ];
    for (name, (desired, current, updated, available, max_unavailable, max_surge), expected) in rows {
        let mut d = bare_deployment(desired, rolling(Int(max_surge), Int(max_unavailable)));
        d.status.replicas = current;
        d.status.updated_replicas = updated;
        d.status.available_replicas = available;
        assert_eq!(deployment_complete(&d, &d.status), expected, "{name}");
    }
}

fn progress_status(current: i32, updated: i32, ready: i32, available: i32) -> DeploymentStatus {
    DeploymentStatus {
        replicas: current,
        updated_replicas: updated,
        ready_replicas: ready,
        available_replicas: available,
        ..Default::default()
    }
}

/// `TestDeploymentProgressing` (deployment_util_test.go).
#[test]
fn deployment_progressing_table() {
    let rows = [
        ("progressing: updated pods", (10, 4, 4, 4), (10, 6, 4, 4), true),
        ("not progressing", (10, 4, 4, 4), (10, 4, 4, 4), false),
        ("progressing: old pods removed", (10, 4, 6, 6), (8, 4, 6, 6), true),
        ("not progressing: less new pods", (10, 7, 3, 3), (10, 6, 3, 3), false),
        ("progressing: less overall but more new pods", (10, 4, 7, 7), (8, 8, 5, 5), true),
        ("progressing: more ready pods", (10, 10, 9, 8), (10, 10, 10, 8), true),
        ("progressing: more available pods", (10, 10, 10, 9), (10, 10, 10, 10), true),
    ];
    for (name, old, new, expected) in rows {
        let mut d = bare_deployment(0, Strategy::DEFAULT);
        d.status = progress_status(old.0, old.1, old.2, old.3);
        let new_status = progress_status(new.0, new.1, new.2, new.3);
        assert_eq!(deployment_progressing(&d, &new_status), expected, "{name}");
    }
}

/// `TestDeploymentTimedOut` (deployment_util_test.go): `timeFn(min, sec)` is
/// 2016-01-01 00:min:sec UTC; a nil deadline is `MAX_INT32` (see header).
#[test]
fn deployment_timed_out_table() {
    let time = |min: u64, sec: u64| unix(JAN_1_2016 + min * 60 + sec);
    // (name, reason, pds, from, now, expected)
    let rows = [
        ("nil progressDeadlineSeconds specified - no timeout", "", MAX_INT32, time(1, 9), time(1, 20), false),
        ("infinite progressDeadlineSeconds specified - no timeout", "", MAX_INT32, time(1, 9), time(1, 20), false),
        (
            "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s",
            "",
            10,
            time(1, 9),
            time(1, 20),
            true,
        ),
        (
            "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s",
            "",
            10,
            time(1, 11),
            time(1, 20),
            false,
        ),
        // Upstream sets no clock for this row (it returns before reading it).
        (
            "previous status was a complete deployment",
            reason::NEW_RS_AVAILABLE,
            MAX_INT32,
            SimTime::ZERO,
            time(1, 20),
            false,
        ),
    ];
    for (name, why, pds, from, now, expected) in rows {
        let mut d = bare_deployment(1, Strategy::DEFAULT);
        d.spec.progress_deadline_seconds = pds;
        let mut c = cond(ConditionType::Progressing, CondStatus::True, why);
        c.last_update_time = from;
        d.status.conditions = vec![c];
        assert_eq!(deployment_timed_out(&d, &d.status, now), expected, "{name}");
    }
}

/// `TestMaxUnavailable` (deployment_util_test.go): RollingUpdate with
/// `maxSurge` 1.
#[test]
fn max_unavailable_table() {
    let rows = [
        ("maxUnavailable less than replicas", 10, Int(5), 5),
        ("maxUnavailable equal replicas", 10, Int(10), 10),
        ("maxUnavailable greater than replicas", 5, Int(10), 5),
        ("maxUnavailable with replicas is 0", 0, Int(10), 0),
        ("maxUnavailable less than replicas with percents", 10, Percent(50), 5),
        ("maxUnavailable equal replicas with percents", 10, Percent(100), 10),
        ("maxUnavailable greater than replicas with percents", 5, Percent(100), 5),
    ];
    for (name, replicas, max_unavailable_v, expected) in rows {
        let d = bare_deployment(replicas, rolling(Int(1), max_unavailable_v));
        assert_eq!(max_unavailable(&d), expected, "{name}");
    }
    // "maxUnavailable with Recreate deployment strategy": upstream leaves
    // `replicas` nil (never read for Recreate); kubesim needs a value, so
    // the apiserver default 1 is used.
    let d = bare_deployment(1, Strategy::Recreate);
    assert_eq!(max_unavailable(&d), 0, "maxUnavailable with Recreate deployment strategy");
}

/// `TestGetNonNegativeInt32FromAnnotation` (deployment_util_test.go), the
/// rows that agree, through `desired_replicas_annotation` (the annotation
/// readers share kubesim's private `int_annotation`). `None` is upstream's
/// `valid == false`.
#[test]
fn non_negative_int32_annotation_table() {
    let rows: [(&str, Option<&str>, Option<i32>); 7] = [
        ("invalid empty", None, None),
        ("invalid", Some("invalid"), None),
        // "invalid negative " is `non_negative_int32_annotation_negative` below.
        ("valid zero", Some("0"), Some(0)),
        ("valid", Some("13"), Some(13)),
        ("valid max", Some("2147483647"), Some(2147483647)),
        ("invalid max out of range", Some("2147483648"), None),
        ("invalid max out of range 2", Some("4294967296"), None),
    ];
    for (name, value, expected) in rows {
        let mut r = rs("nginx-abcde", 0, &[("name", "nginx")], SimTime::ZERO);
        if let Some(v) = value {
            r = with_annotations(r, &[(DESIRED_REPLICAS, v), ("foo", "2")]);
        }
        assert_eq!(desired_replicas_annotation(&r), expected, "{name}");
    }
}

/// `TestGetNonNegativeInt32FromAnnotation` row "invalid negative ": `"-1"`
/// is refused upstream (`strconv.ParseUint`: invalid syntax ⇒ 0, not
/// valid).
#[test]
fn non_negative_int32_annotation_negative() {
    let r = with_annotations(rs("nginx-abcde", 0, &[], SimTime::ZERO), &[(DESIRED_REPLICAS, "-1"), ("foo", "2")]);
    assert_eq!(desired_replicas_annotation(&r), None, "invalid negative");
}

/// `TestReplicasAnnotationsNeedUpdate` (deployment_util_test.go), against
/// desired 10, max 20.
#[test]
fn replicas_annotations_need_update_table() {
    let rows: [(&str, Pairs, bool); 4] = [
        ("test Annotations nil", &[], true),
        ("test desiredReplicas update", &[(DESIRED_REPLICAS, "8"), (MAX_REPLICAS, "20")], true),
        ("test maxReplicas update", &[(DESIRED_REPLICAS, "10"), (MAX_REPLICAS, "16")], true),
        ("test needn't update", &[(DESIRED_REPLICAS, "10"), (MAX_REPLICAS, "20")], false),
    ];
    for (name, annotations, expected) in rows {
        let r = with_annotations(rs("hello", 0, &[("foo", "bar")], SimTime::ZERO), annotations);
        assert_eq!(replicas_annotations_need_update(&r, 10, 20), expected, "{name}");
    }
}

/// `TestGetReplicaSetFraction` (deployment_util_test.go): RollingUpdate with
/// the row's `maxSurge` and `maxUnavailable` 1.
#[test]
fn replica_set_fraction_table() {
    let m = MAX_REPLICAS;
    // (name, d.replicas, d.status.replicas, maxSurge, rs.replicas, annotations, expected)
    let rows: [(&str, i32, i32, i32, i32, Pairs, i32); 9] = [
        ("empty deployment always scales to 0", 0, 0, 0, 10, &[], -10),
        (
            "unsynced deployment does not scale when max-replicas annotation is missing (removed by a 3rd party)",
            10,
            0,
            0,
            5,
            &[],
            0,
        ),
        (
            "unsynced deployment does not scale when max-replicas annotation is incorrectly set to 0 (by a 3rd party)",
            10,
            0,
            0,
            5,
            &[(m, "0")],
            0,
        ),
        (
            "scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is missing (removed by a 3rd party)",
            120,
            100,
            0,
            50,
            &[],
            10,
        ),
        (
            "scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is incorrectly set to 0 (by a 3rd party)",
            120,
            100,
            0,
            50,
            &[(m, "0")],
            10,
        ),
        ("scale up by 1/5 should increase RS replicas by 1/5", 120, 0, 0, 50, &[(m, "100")], 10),
        (
            "scale up with maxSurge by 1/5 should increase RS replicas approximately by 1/5",
            120,
            0,
            10,
            50,
            &[(m, "110")],
            9,
        ),
        ("scale down by 1/6 should decrease RS replicas by 1/6", 10, 0, 0, 6, &[(m, "12")], -1),
        (
            "scale down with maxSurge by 1/6 should decrease RS replicas approximately by 1/6",
            100,
            0,
            10,
            50,
            &[(m, "130")],
            -8,
        ),
    ];
    for (name, d_replicas, d_status_replicas, surge, rs_replicas, annotations, expected) in rows {
        let mut d = bare_deployment(d_replicas, rolling(Int(surge), Int(1)));
        d.status.replicas = d_status_replicas;
        let r = with_annotations(rs("nginx-abcde", rs_replicas, &[("name", "nginx")], SimTime::ZERO), annotations);
        assert_eq!(replica_set_fraction(&r, &d), expected, "{name}");
    }
}

// ---------------------------------------------------------------------------
// sync_test.go

/// One `TestScale` row.
struct ScaleCase {
    name: &'static str,
    deployment: Deployment,
    old_deployment: Deployment,
    new_rs: Option<ReplicaSet>,
    old_rss: Vec<ReplicaSet>,
    expected_new: Option<i32>,
    expected_old: Vec<i32>,
    wasnt_updated: &'static [&'static str],
    desired_replicas_annotations: &'static [(&'static str, i32)],
}

/// Runs a `TestScale` row as upstream does: every RS gets the replicas
/// annotations of `oldDeployment` (or the override), `scale` runs, and the
/// sizes are read from the ReplicaSet updates (those of `wasntUpdated`
/// ignored), unchanged RSs keeping their size.
fn check_scale(c: ScaleCase) {
    let surge = max_surge(&c.old_deployment);
    let annotate = |mut r: ReplicaSet| {
        let desired = c
            .desired_replicas_annotations
            .iter()
            .find(|(n, _)| *n == &*r.meta.name)
            .map_or(c.old_deployment.spec.replicas, |(_, v)| *v);
        set_replicas_annotations(&mut r, desired, desired + surge);
        r
    };
    let new_rs = c.new_rs.map(&annotate);
    let old_rss: Vec<ReplicaSet> = c.old_rss.into_iter().map(&annotate).collect();
    let mut name_to_size: BTreeMap<String, i32> = BTreeMap::new();
    for r in new_rs.iter().chain(&old_rss) {
        name_to_size.insert(r.meta.name.to_string(), r.spec.replicas);
    }
    let new_name = new_rs.as_ref().map(|r| r.meta.name.to_string());
    let old_names: Vec<String> = old_rss.iter().map(|r| r.meta.name.to_string()).collect();
    let mut sets: Vec<ReplicaSet> = old_rss.into_iter().chain(new_rs).collect();
    sets.sort_by(by_creation);
    let mut run = run_with(c.deployment, sets, new_name.as_deref(), unix(MAY_20_2016 + 3 * 3600));
    run.scale();
    for (name, size) in rs_updates(&run.ops) {
        if !c.wasnt_updated.contains(&name.as_str()) {
            name_to_size.insert(name, size);
        }
    }
    if let (Some(expected), Some(n)) = (c.expected_new, &new_name) {
        assert_eq!(name_to_size[n], expected, "{}: new replicas ({})", c.name, n);
    }
    assert_eq!(c.expected_old.len(), old_names.len(), "{}: old replica sets", c.name);
    for (n, expected) in old_names.iter().zip(&c.expected_old) {
        assert_eq!(name_to_size[n], *expected, "{}: old ({}) replicas", c.name, n);
    }
}

/// `TestScale` (sync_test.go): newTimestamp 02:00, oldTimestamp 01:00,
/// olderTimestamp 00:00 on 2016-05-20.
#[test]
fn scale_table() {
    let new_ts = unix(MAY_20_2016 + 2 * 3600);
    let old_ts = unix(MAY_20_2016 + 3600);
    let older_ts = unix(MAY_20_2016);
    let d = |replicas: i32| new_deployment("foo", replicas, None, None, None, &[]);
    let d_surge = |replicas: i32, surge: i32| new_deployment("foo", replicas, None, Some(Int(surge)), None, &[]);
    let r = |name: &str, replicas: i32, ts: SimTime| rs(name, replicas, &[], ts);
    let updated_template = |replicas: i32| {
        let mut d = new_deployment("foo", replicas, None, None, None, &[("foo", "bar")]);
        let mut t = (*d.spec.template).clone();
        Rc::make_mut(&mut t.labels).insert("another".into(), "label".into());
        d.spec.template = Rc::new(t);
        d
    };
    let cases = vec![
        ScaleCase {
            name: "normal scaling event: 10 -> 12",
            deployment: d(12),
            old_deployment: d(10),
            new_rs: Some(r("foo-v1", 10, new_ts)),
            old_rss: vec![],
            expected_new: Some(12),
            expected_old: vec![],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "normal scaling event: 10 -> 5",
            deployment: d(5),
            old_deployment: d(10),
            new_rs: Some(r("foo-v1", 10, new_ts)),
            old_rss: vec![],
            expected_new: Some(5),
            expected_old: vec![],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "proportional scaling: 5 -> 10",
            deployment: d(10),
            old_deployment: d(5),
            new_rs: Some(r("foo-v2", 2, new_ts)),
            old_rss: vec![r("foo-v1", 3, old_ts)],
            expected_new: Some(4),
            expected_old: vec![6],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "proportional scaling: 5 -> 3",
            deployment: d(3),
            old_deployment: d(5),
            new_rs: Some(r("foo-v2", 2, new_ts)),
            old_rss: vec![r("foo-v1", 3, old_ts)],
            expected_new: Some(1),
            expected_old: vec![2],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "proportional scaling: 9 -> 4",
            deployment: d(4),
            old_deployment: d(9),
            new_rs: Some(r("foo-v2", 8, new_ts)),
            old_rss: vec![r("foo-v1", 1, old_ts)],
            expected_new: Some(4),
            expected_old: vec![0],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "proportional scaling: 7 -> 10",
            deployment: d(10),
            old_deployment: d(7),
            new_rs: Some(r("foo-v3", 2, new_ts)),
            old_rss: vec![r("foo-v2", 3, old_ts), r("foo-v1", 2, older_ts)],
            expected_new: Some(3),
            expected_old: vec![4, 3],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "proportional scaling: 13 -> 8",
            deployment: d(8),
            old_deployment: d(13),
            new_rs: Some(r("foo-v3", 2, new_ts)),
            old_rss: vec![r("foo-v2", 8, old_ts), r("foo-v1", 3, older_ts)],
            expected_new: Some(1),
            expected_old: vec![5, 2],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        // Scales up the new replica set.
        ScaleCase {
            name: "leftover distribution: 3 -> 4",
            deployment: d(4),
            old_deployment: d(3),
            new_rs: Some(r("foo-v3", 1, new_ts)),
            old_rss: vec![r("foo-v2", 1, old_ts), r("foo-v1", 1, older_ts)],
            expected_new: Some(2),
            expected_old: vec![1, 1],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        // Scales down the older replica set.
        ScaleCase {
            name: "leftover distribution: 3 -> 2",
            deployment: d(2),
            old_deployment: d(3),
            new_rs: Some(r("foo-v3", 1, new_ts)),
            old_rss: vec![r("foo-v2", 1, old_ts), r("foo-v1", 1, older_ts)],
            expected_new: Some(1),
            expected_old: vec![1, 0],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        // Scales up the latest replica set first.
        ScaleCase {
            name: "proportional scaling (no new rs): 4 -> 5",
            deployment: d(5),
            old_deployment: d(4),
            new_rs: None,
            old_rss: vec![r("foo-v2", 2, old_ts), r("foo-v1", 2, older_ts)],
            expected_new: None,
            expected_old: vec![3, 2],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        // Scales down to zero.
        ScaleCase {
            name: "proportional scaling: 6 -> 0",
            deployment: d(0),
            old_deployment: d(6),
            new_rs: Some(r("foo-v3", 3, new_ts)),
            old_rss: vec![r("foo-v2", 2, old_ts), r("foo-v1", 1, older_ts)],
            expected_new: Some(0),
            expected_old: vec![0, 0],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        // Scales up from zero.
        ScaleCase {
            name: "proportional scaling: 0 -> 6",
            deployment: d(6),
            old_deployment: d(6),
            new_rs: Some(r("foo-v3", 0, new_ts)),
            old_rss: vec![r("foo-v2", 0, old_ts), r("foo-v1", 0, older_ts)],
            expected_new: Some(6),
            expected_old: vec![0, 0],
            wasnt_updated: &["foo-v2", "foo-v1"],
            desired_replicas_annotations: &[],
        },
        // Deployment scaled to 5 from 3 (each RS at 1); foo-v3 and foo-v2
        // should grow by 1 but foo-v2's update failed earlier.
        ScaleCase {
            name: "failed rs update",
            deployment: d(5),
            old_deployment: d(5),
            new_rs: Some(r("foo-v3", 2, new_ts)),
            old_rss: vec![r("foo-v2", 1, old_ts), r("foo-v1", 1, older_ts)],
            expected_new: Some(2),
            expected_old: vec![2, 1],
            wasnt_updated: &["foo-v3", "foo-v1"],
            desired_replicas_annotations: &[("foo-v2", 3)],
        },
        ScaleCase {
            name: "deployment with surge pods",
            deployment: d_surge(20, 2),
            old_deployment: d_surge(10, 2),
            new_rs: Some(r("foo-v2", 6, new_ts)),
            old_rss: vec![r("foo-v1", 6, old_ts)],
            expected_new: Some(11),
            expected_old: vec![11],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "change both surge and size",
            deployment: d_surge(50, 6),
            old_deployment: d_surge(10, 3),
            new_rs: Some(r("foo-v2", 5, new_ts)),
            old_rss: vec![r("foo-v1", 8, old_ts)],
            expected_new: Some(22),
            expected_old: vec![34],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "change both size and template",
            deployment: updated_template(14),
            old_deployment: new_deployment("foo", 10, None, None, None, &[("foo", "bar")]),
            new_rs: None,
            old_rss: vec![r("foo-v2", 7, new_ts), r("foo-v1", 3, old_ts)],
            expected_new: None,
            expected_old: vec![10, 4],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
        ScaleCase {
            name: "saturated but broken new replica set does not affect old pods",
            deployment: new_deployment("foo", 2, None, Some(Int(1)), Some(Int(1)), &[]),
            old_deployment: new_deployment("foo", 2, None, Some(Int(1)), Some(Int(1)), &[]),
            new_rs: Some(with_available(r("foo-v2", 2, new_ts), 0)),
            old_rss: vec![r("foo-v1", 1, old_ts)],
            expected_new: Some(2),
            expected_old: vec![1],
            wasnt_updated: &[],
            desired_replicas_annotations: &[],
        },
    ];
    for c in cases {
        check_scale(c);
    }
}

/// Runs `cleanupDeployment` over old ReplicaSets only (no new one); the
/// names deleted.
fn cleanup(old_rss: Vec<ReplicaSet>, revision_history_limit: i32) -> Vec<String> {
    let d = new_deployment("foo", 1, Some(revision_history_limit), None, None, &[("foo", "bar")]);
    let mut run = run_with(d, old_rss, None, unix(TEST_TIME));
    run.cleanup_deployment();
    deleted(&run.ops)
}

/// `TestDeploymentController_cleanupDeployment` (sync_test.go).
#[test]
fn cleanup_deployment_table() {
    let sel = &[("foo", "bar")];
    let s = |name: &str, spec: i32, status: i32| new_rs_with_status(name, spec, status, sel);
    let mut already_deleted = s("foo-1", 0, 0);
    already_deleted.meta.deletion_timestamp = Some(unix(TEST_TIME));
    let rows = [
        (vec![s("foo-1", 0, 0), s("foo-2", 0, 0), s("foo-3", 0, 0)], 1, 2),
        // Only delete the replica set with Spec.Replicas = Status.Replicas = 0.
        (vec![s("foo-1", 0, 0), s("foo-2", 0, 1), s("foo-3", 1, 0), s("foo-4", 1, 1)], 0, 1),
        (vec![s("foo-1", 0, 0), s("foo-2", 0, 0)], 0, 2),
        (vec![s("foo-1", 1, 1), s("foo-2", 1, 1)], 0, 0),
        (vec![already_deleted], 0, 0),
        // With unlimited revisionHistoryLimit.
        (vec![s("foo-1", 0, 0), s("foo-2", 0, 0), s("foo-3", 0, 0)], MAX_INT32, 0),
    ];
    for (i, (old_rss, limit, expected)) in rows.into_iter().enumerate() {
        assert_eq!(cleanup(old_rss, limit).len(), expected, "scenario {i}");
    }
}

/// `TestDeploymentController_cleanupDeploymentOrder` (sync_test.go):
/// `newRSWithRevisionAndCreationTimestamp` sets `status.replicas` to the
/// spec's and the revision annotation when not empty; creation order is
/// foo-1 < foo-2 < foo-3 < foo-4, a minute apart.
#[test]
fn cleanup_deployment_order_table() {
    let now = TEST_TIME;
    let o = |name: &str, replicas: i32, ts: u64, revision: &str| {
        let mut r = with_status_replicas(rs(name, replicas, &[("foo", "bar")], unix(ts)), replicas);
        if !revision.is_empty() {
            r = with_annotations(r, &[(REVISION, revision)]);
        }
        r
    };
    let (t1, t2, t3, t4) = (now - 60, now, now + 60, now + 120);
    let rows: [(Vec<ReplicaSet>, i32, &[&str]); 7] = [
        // revision order: rs1 < rs2, delete rs1
        (vec![o("foo-1", 0, t1, "1"), o("foo-2", 0, t2, "2")], 1, &["foo-1"]),
        // revision order: rs2 < rs1, delete rs2
        (vec![o("foo-1", 0, t1, "2"), o("foo-2", 0, t2, "1")], 1, &["foo-2"]),
        // rs1 has revision but rs2 doesn't have revision, delete rs2
        (vec![o("foo-1", 0, t1, "1"), o("foo-2", 0, t2, "")], 1, &["foo-2"]),
        // rs1 doesn't have revision while rs2 has revision, delete rs1
        (vec![o("foo-1", 0, t1, ""), o("foo-2", 0, t2, "2")], 1, &["foo-1"]),
        // revision order: rs1 < rs2 < r3, but rs1 has replicas, delete rs2
        (vec![o("foo-1", 1, t1, "1"), o("foo-2", 0, t2, "2"), o("foo-3", 0, t3, "3")], 1, &["foo-2"]),
        // revision order: rs1 < rs2 < r3, both rs1 && rs2 have replicas, don't delete
        (vec![o("foo-1", 1, t1, "1"), o("foo-2", 1, t2, "2"), o("foo-3", 0, t3, "3")], 1, &[]),
        // revision order: rs2 < rs4 < rs1 < rs3, delete rs2 && rs4
        (
            vec![o("foo-1", 0, t1, "3"), o("foo-2", 0, t2, "1"), o("foo-3", 0, t3, "4"), o("foo-4", 0, t4, "2")],
            2,
            &["foo-2", "foo-4"],
        ),
    ];
    for (i, (old_rss, limit, expected)) in rows.into_iter().enumerate() {
        let mut got = cleanup(old_rss, limit);
        got.sort();
        assert_eq!(got, expected, "scenario {i}");
    }
}

// ---------------------------------------------------------------------------
// rolling_test.go

/// `TestDeploymentController_reconcileNewReplicaSet` (rolling_test.go), rows
/// 1–5 (rows 6–13 need feature gates: see the header). `allRSs = [newRS,
/// oldRS]`, both with `observedGeneration` 1; `maxUnavailable` 0.
#[test]
fn reconcile_new_replica_set_table() {
    // (name, replicas, maxSurge, old, new, scaleExpected, expectedNew)
    let rows = [
        ("should not scale up when old replica set is fully saturated", 10, 0, 10, 0, false, 0),
        ("should scale up according to the maxSurge when old replica set is fully saturated", 10, 2, 10, 0, true, 2),
        ("should scale up according to the maxSurge", 10, 2, 5, 0, true, 7),
        ("should not scale when maxSurge is fully saturated", 10, 2, 10, 2, false, 0),
        ("should scale down when there are replicas above maxSurge", 10, 2, 2, 11, true, 10),
    ];
    for (name, replicas, surge, old, new, scale_expected, expected_new) in rows {
        let mut new_rs = rs("foo-v2", new, &[], SimTime::ZERO);
        new_rs.status.observed_generation = 1;
        let mut old_rs = rs("foo-v1", old, &[], SimTime::ZERO);
        old_rs.status.observed_generation = 1;
        let d = new_deployment("foo", replicas, None, Some(Int(surge)), Some(Int(0)), &[("foo", "bar")]);
        let mut run = run_with(d, vec![new_rs, old_rs], Some("foo-v2"), unix(TEST_TIME));
        let scaled = run.reconcile_new_replica_set();
        assert_eq!(scaled, scale_expected, "{name}: scaled");
        if !scale_expected {
            assert!(run.ops.is_empty(), "{name}: unexpected writes {:?}", rs_updates(&run.ops));
            continue;
        }
        assert_eq!(run.ops.len(), 1, "{name}: writes");
        assert_eq!(rs_updates(&run.ops), [("foo-v2".to_string(), expected_new)], "{name}");
    }
}

/// `TestDeploymentController_reconcileOldReplicaSets` (rolling_test.go):
/// `allRSs = [oldRS, newRS]`, `maxSurge` 0. Upstream asserts only `scaled`;
/// the old RS's resulting size is checked too, against the row's
/// `expectedOldReplicas` (present in the table, unchecked upstream).
#[test]
fn reconcile_old_replica_sets_table() {
    // (replicas, maxUnavailable, old, new, readyOld, readyNew, scaleExpected, expectedOld)
    let rows = [
        (10, 0, 10, 0, 10, 0, true, 9),
        (10, 2, 10, 0, 10, 0, true, 8),
        // unhealthy old replicas are cleaned up
        (10, 2, 10, 0, 8, 0, true, 8),
        // 1 unhealthy cleaned up, 1 ready scaled down
        (10, 2, 10, 0, 9, 0, true, 8),
        // unavailable new pods block further scale-down
        (10, 2, 8, 2, 8, 0, false, 8),
    ];
    for (i, (replicas, max_unav, old, new, ready_old, ready_new, scale_expected, expected_old)) in
        rows.into_iter().enumerate()
    {
        let new_sel = &[("foo", "new")];
        let new_rs = with_available(rs("foo-new", new, new_sel, SimTime::ZERO), ready_new);
        let old_rs = with_available(rs("foo-old", old, &[("foo", "old")], SimTime::ZERO), ready_old);
        let d = new_deployment("foo", replicas, None, Some(Int(0)), Some(Int(max_unav)), new_sel);
        let mut run = run_with(d, vec![old_rs, new_rs], Some("foo-new"), unix(TEST_TIME));
        let scaled = run.reconcile_old_replica_sets();
        assert_eq!(scaled, scale_expected, "row {i}: scaled");
        assert_eq!(run.sets[0].spec.replicas, expected_old, "row {i}: old replicas");
    }
}

/// `TestDeploymentController_cleanupUnhealthyReplicas` (rolling_test.go):
/// deployment of 10, `maxSurge` 2, `maxUnavailable` 2; the count returned.
#[test]
fn cleanup_unhealthy_replicas_table() {
    // (oldReplicas, readyPods, unHealthyPods (unused upstream), maxCleanupCount, cleanupCountExpected)
    let rows = [(10, 8, 2, 1, 1), (10, 8, 2, 3, 2), (10, 8, 2, 0, 0), (10, 10, 0, 3, 0)];
    for (i, (old_replicas, ready, _unhealthy, max_cleanup, expected)) in rows.into_iter().enumerate() {
        let old_rs = with_available(rs("foo-v2", old_replicas, &[], SimTime::ZERO), ready);
        let d = new_deployment("foo", 10, None, Some(Int(2)), Some(Int(2)), &[]);
        let mut run = run_with(d, vec![old_rs], None, unix(TEST_TIME));
        assert_eq!(run.cleanup_unhealthy_replicas(&[0], max_cleanup), Some(expected), "row {i}");
    }
}

/// `scaleDownOldReplicaSetsForRollingUpdate` counts the available pods of
/// the *active* old ReplicaSets and the new one (`reconcileOldReplicaSets`
/// rebuilds `allRSs` from the filtered old list): an old ReplicaSet already
/// scaled to 0 whose status still says 3 available (its controller has not
/// synced since) adds nothing. Deployment of 10, `maxUnavailable` 2: 10
/// available (5 old, 5 new), so 2 old pods go, not 5.
#[test]
fn scale_down_ignores_old_replica_sets_scaled_to_zero() {
    let sel = &[("foo", "new")];
    let gone = with_available(rs("foo-x", 0, &[("foo", "x")], SimTime::ZERO), 3);
    let old = with_available(rs("foo-y", 5, &[("foo", "y")], SimTime(1)), 5);
    let new = with_available(rs("foo-new", 5, sel, SimTime(2)), 5);
    let d = new_deployment("foo", 10, None, Some(Int(0)), Some(Int(2)), sel);
    let mut run = run_with(d, vec![gone, old, new], Some("foo-new"), unix(TEST_TIME));
    assert!(run.reconcile_old_replica_sets());
    assert_eq!(rs_updates(&run.ops), [("foo-y".to_string(), 3)]);
}

/// `cleanupUnhealthyReplicas` fails on a ReplicaSet whose status says more
/// pods available than it wants (a stale status), and
/// `reconcileOldReplicaSets` answers that with `return false, nil`: no
/// further scale-down, but no failed sync either — the rollout goes on to
/// write its status.
#[test]
fn a_stale_cleanup_ends_the_scale_down_not_the_sync() {
    let sel = &[("foo", "new")];
    // Old: wants 3, its stale status says 5 available.
    let old = with_available(rs("foo-old", 3, &[("foo", "old")], SimTime::ZERO), 5);
    let mut new = with_available(rs("foo-new", 10, sel, SimTime(1)), 10);
    let d = new_deployment("foo", 10, None, Some(Int(3)), Some(Int(2)), sel);
    new.spec.template = d.spec.template.clone();
    let mut run = run_with(d.clone(), vec![old.clone(), new.clone()], Some("foo-new"), unix(TEST_TIME));
    assert_eq!(run.cleanup_unhealthy_replicas(&[0], 10), None);
    assert!(!run.reconcile_old_replica_sets());
    assert!(rs_updates(&run.ops).is_empty(), "no scale-down: {:?}", rs_updates(&run.ops));
    // The whole `rolloutRolling`: 13 pods, 8 must stay available, the new
    // ones all are, so up to 5 may go and the cleanup meets the stale
    // status; no scale-down, and the status computed from the ReplicaSets
    // (5 + 10 available).
    let mut run = run_with(d, vec![old, new], Some("foo-new"), unix(TEST_TIME));
    run.rollout_rolling();
    assert!(rs_updates(&run.ops).iter().all(|(n, _)| n != "foo-old"), "{:?}", rs_updates(&run.ops));
    assert_eq!(run.d.status.available_replicas, 15, "the sync went on to syncRolloutStatus");
}

/// `checkPausedConditions`: a paused Deployment gets
/// Progressing=Unknown/DeploymentPaused, but one that already reported
/// ProgressDeadlineExceeded keeps it ("If we have reported lack of
/// progress, do not overwrite it with a paused condition").
#[test]
fn pausing_keeps_progress_deadline_exceeded() {
    let sel = &[("foo", "bar")];
    for (conditions, expected) in [
        (vec![replica_set_updated()], (CondStatus::Unknown, reason::PAUSED)),
        (vec![failed_timed_out()], (CondStatus::False, reason::TIMED_OUT)),
    ] {
        let mut d = new_deployment("foo", 10, None, None, None, sel);
        d.spec.progress_deadline_seconds = 600;
        d.spec.paused = true;
        d.status.conditions = conditions;
        let mut run = run_with(d, vec![], None, unix(TEST_TIME));
        run.check_paused_conditions();
        let c = run.d.status.condition(ConditionType::Progressing).expect("Progressing");
        assert_eq!((c.status, c.reason), expected);
    }
}

/// `TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate`
/// (rolling_test.go): `allRSs = oldRSs = [oldRS]`, `maxSurge` 0.
#[test]
fn scale_down_old_replica_sets_for_rolling_update_table() {
    // (replicas, maxUnavailable, readyPods, oldReplicas, scaleExpected, expectedOldReplicas)
    let rows = [
        (10, 0, 10, 10, true, 9),
        (10, 2, 10, 10, true, 8),
        (10, 2, 8, 10, false, 0),
        (10, 2, 10, 0, false, 0),
        (10, 2, 1, 10, false, 0),
    ];
    for (i, (replicas, max_unav, ready, old_replicas, scale_expected, expected_old)) in rows.into_iter().enumerate() {
        let old_rs = with_available(rs("foo-v2", old_replicas, &[], SimTime::ZERO), ready);
        let d = new_deployment("foo", replicas, None, Some(Int(0)), Some(Int(max_unav)), &[("foo", "bar")]);
        let mut run = run_with(d, vec![old_rs], None, unix(TEST_TIME));
        let count = run.scale_down_old_for_rolling_update(&[0]);
        if !scale_expected {
            assert_eq!(count, 0, "row {i}: count");
            continue;
        }
        assert!(count > 0, "row {i}: count");
        assert_eq!(run.ops.len(), 1, "row {i}: writes");
        assert_eq!(rs_updates(&run.ops), [("foo-v2".to_string(), expected_old)], "row {i}");
    }
}

// ---------------------------------------------------------------------------
// progress_test.go

/// `currentDeployment(pds, replicas, statusReplicas, updatedReplicas,
/// availableReplicas, conditions)`: Recreate, named `progress-test`.
fn current_deployment(
    pds: i32,
    replicas: i32,
    status: (i32, i32, i32),
    conditions: Vec<DeploymentCondition>,
) -> Deployment {
    let mut d = bare_deployment(replicas, Strategy::Recreate);
    d.meta.name = "progress-test".into();
    d.spec.progress_deadline_seconds = pds;
    d.status = new_deployment_status(status.0, status.1, status.2);
    d.status.conditions = conditions;
    d
}

/// `newDeploymentStatus(replicas, updatedReplicas, availableReplicas)`.
fn new_deployment_status(replicas: i32, updated: i32, available: i32) -> DeploymentStatus {
    DeploymentStatus { replicas, updated_replicas: updated, available_replicas: available, ..Default::default() }
}

/// The requeue upstream's `requeueStuckDeployment` returns (−1, 0 or a
/// duration) as kubesim's delay (see the header).
fn requeue_of(upstream_ns: i64) -> Option<SimDuration> {
    match upstream_ns {
        -1 => None,
        0 => Some(SimDuration::from_millis(5)),
        ns => Some(SimDuration(ns as u64) + SimDuration::from_secs(1)),
    }
}

/// `TestRequeueStuckDeployment` (progress_test.go): deadline 60 s; `stuck`
/// is Progressing=True updated at 18:49:00 (2017-02-15).
#[test]
fn requeue_stuck_deployment_table() {
    const S: i64 = 1_000_000_000;
    let pds = 60;
    let failed = || vec![cond(ConditionType::Progressing, CondStatus::False, reason::TIMED_OUT)];
    let stuck = || {
        let mut c = cond(ConditionType::Progressing, CondStatus::True, "");
        c.last_update_time = unix(TEST_TIME);
        vec![c]
    };
    let at = |secs: u64, nanos: u64| SimTime(unix(TEST_TIME + secs).0 + nanos);
    // Rows without a clock upstream return before reading it.
    let no_clock = unix(TEST_TIME);
    #[rustfmt::skip]
    let rows = [
        ("nil progressDeadlineSeconds specified", current_deployment(MAX_INT32, 4, (3, 3, 2), vec![]), (3, 3, 2), no_clock, -1),
        ("infinite progressDeadlineSeconds specified", current_deployment(MAX_INT32, 4, (3, 3, 2), vec![]), (3, 3, 2), no_clock, -1),
        ("no progressing condition found", current_deployment(pds, 4, (3, 3, 2), vec![]), (3, 3, 2), no_clock, -1),
        ("complete deployment does not need to be requeued", current_deployment(pds, 3, (3, 3, 3), vec![]), (3, 3, 3), no_clock, -1),
        ("already failed deployment does not need to be requeued", current_deployment(pds, 3, (3, 3, 0), failed()), (3, 3, 0), no_clock, -1),
        ("stuck deployment - 30s", current_deployment(pds, 3, (3, 3, 1), stuck()), (3, 3, 1), at(30, 0), 30 * S),
        ("stuck deployment - 1s", current_deployment(pds, 3, (3, 3, 1), stuck()), (3, 3, 1), at(59, 0), S),
        ("failed deployment - less than a second => now", current_deployment(pds, 3, (3, 3, 1), stuck()), (3, 3, 1), at(59, 1), 0),
        ("failed deployment - now", current_deployment(pds, 3, (3, 3, 1), stuck()), (3, 3, 1), at(60, 0), 0),
        ("failed deployment - 1s after deadline", current_deployment(pds, 3, (3, 3, 1), stuck()), (3, 3, 1), at(61, 0), 0),
        ("failed deployment - 60s after deadline", current_deployment(pds, 3, (3, 3, 1), stuck()), (3, 3, 1), at(120, 0), 0),
    ];
    for (name, d, (r, u, a), now, expected) in rows {
        let run = run_with(d, vec![], None, now);
        let status = new_deployment_status(r, u, a);
        assert_eq!(run.requeue_stuck_deployment(&status), requeue_of(expected), "{name}");
    }
}

/// One `TestSyncRolloutStatus` row. `expected` is the Progressing
/// condition's (status, reason), `None` for "no Progressing condition".
/// `keep_update`/`keep_transition` are the rows whose `lastUpdate`/
/// `lastTransition` column is set: upstream's check of them can never fail
/// (it compares the column with `testTime`), so they are checked as meant,
/// as the condition's times being those of the row's input condition.
struct RolloutCase {
    name: &'static str,
    d: Deployment,
    all_rss: Vec<ReplicaSet>,
    new_rs: Option<ReplicaSet>,
    expected: Option<(CondStatus, &'static str)>,
    keep_update: bool,
    keep_transition: bool,
}

/// Runs `syncRolloutStatus` as upstream does (newRS appended to allRSs),
/// with the real clock upstream used standing as 2025-01-01.
fn check_rollout(c: RolloutCase) {
    let before = c.d.status.condition(ConditionType::Progressing).cloned();
    let mut sets = c.all_rss;
    let new_name = c.new_rs.as_ref().map(|r| r.meta.name.to_string());
    sets.extend(c.new_rs);
    let mut run = run_with(c.d, sets, new_name.as_deref(), unix(1_735_689_600));
    run.sync_rollout_status();
    let got = run.d.status.condition(ConditionType::Progressing);
    assert_eq!(got.map(|g| (g.status, g.reason)), c.expected, "{}", c.name);
    let (Some(got), Some(before)) = (got, before) else { return };
    if c.keep_update {
        assert_eq!(got.last_update_time, before.last_update_time, "{}: lastUpdateTime", c.name);
    }
    if c.keep_transition {
        assert_eq!(got.last_transition_time, before.last_transition_time, "{}: lastTransitionTime", c.name);
    }
}

fn timed_cond(status: CondStatus, why: &'static str) -> DeploymentCondition {
    let mut c = cond(ConditionType::Progressing, status, why);
    c.last_update_time = unix(TEST_TIME);
    c.last_transition_time = unix(TEST_TIME);
    c
}

fn failed_timed_out() -> DeploymentCondition {
    cond(ConditionType::Progressing, CondStatus::False, reason::TIMED_OUT)
}

fn new_rs_available() -> DeploymentCondition {
    timed_cond(CondStatus::True, reason::NEW_RS_AVAILABLE)
}

fn replica_set_updated() -> DeploymentCondition {
    timed_cond(CondStatus::True, reason::REPLICA_SET_UPDATED)
}

/// `TestSyncRolloutStatus` (progress_test.go), rows 2–11 (deadline 60 s).
#[test]
fn sync_rollout_status_table() {
    let pds = 60;
    let t = CondStatus::True;
    let f = CondStatus::False;
    let a = new_rs_with_available;
    let cases = vec![
        RolloutCase {
            name: "General: do not estimate progress of deployment with only one active ReplicaSet",
            d: current_deployment(pds, 3, (3, 3, 3), vec![new_rs_available()]),
            all_rss: vec![a("bar", 3, 3, 3)],
            new_rs: None,
            expected: Some((t, reason::NEW_RS_AVAILABLE)),
            keep_update: true,
            keep_transition: true,
        },
        RolloutCase {
            name: "DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
            d: current_deployment(pds, 3, (2, 2, 2), vec![replica_set_updated()]),
            all_rss: vec![a("bar", 0, 1, 1)],
            new_rs: Some(a("foo", 3, 2, 2)),
            expected: Some((t, reason::REPLICA_SET_UPDATED)),
            keep_update: false,
            keep_transition: true,
        },
        RolloutCase {
            name: "DeploymentProgressing: update everything if deployment has Progressing=False",
            d: current_deployment(pds, 3, (2, 2, 2), vec![failed_timed_out()]),
            all_rss: vec![a("bar", 0, 1, 1)],
            new_rs: Some(a("foo", 3, 2, 2)),
            expected: Some((t, reason::REPLICA_SET_UPDATED)),
            keep_update: false,
            keep_transition: false,
        },
        RolloutCase {
            name: "DeploymentProgressing: create Progressing condition if it does not exist",
            d: current_deployment(pds, 3, (2, 2, 2), vec![]),
            all_rss: vec![a("bar", 0, 1, 1)],
            new_rs: Some(a("foo", 3, 2, 2)),
            expected: Some((t, reason::REPLICA_SET_UPDATED)),
            keep_update: false,
            keep_transition: false,
        },
        RolloutCase {
            name: "DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
            d: current_deployment(pds, 3, (3, 3, 3), vec![replica_set_updated()]),
            all_rss: vec![],
            new_rs: Some(a("foo", 3, 3, 3)),
            expected: Some((t, reason::NEW_RS_AVAILABLE)),
            keep_update: false,
            keep_transition: true,
        },
        RolloutCase {
            name: "DeploymentComplete: update everything if deployment has Progressing=False",
            d: current_deployment(pds, 3, (3, 3, 3), vec![failed_timed_out()]),
            all_rss: vec![],
            new_rs: Some(a("foo", 3, 3, 3)),
            expected: Some((t, reason::NEW_RS_AVAILABLE)),
            keep_update: false,
            keep_transition: false,
        },
        RolloutCase {
            name: "DeploymentComplete: create Progressing condition if it does not exist",
            d: current_deployment(pds, 3, (3, 3, 3), vec![]),
            all_rss: vec![],
            new_rs: Some(a("foo", 3, 3, 3)),
            expected: Some((t, reason::NEW_RS_AVAILABLE)),
            keep_update: false,
            keep_transition: false,
        },
        RolloutCase {
            name: "DeploymentComplete: defend against NPE when newRS=nil",
            d: current_deployment(pds, 0, (3, 3, 3), vec![replica_set_updated()]),
            all_rss: vec![a("foo", 0, 0, 0)],
            new_rs: None,
            expected: Some((t, reason::NEW_RS_AVAILABLE)),
            keep_update: false,
            keep_transition: false,
        },
        RolloutCase {
            name: "DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
            d: current_deployment(pds, 3, (2, 2, 2), vec![replica_set_updated()]),
            all_rss: vec![],
            new_rs: Some(a("foo", 3, 2, 2)),
            expected: Some((f, reason::TIMED_OUT)),
            keep_update: false,
            keep_transition: false,
        },
        RolloutCase {
            name: "DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
            d: current_deployment(pds, 3, (2, 2, 2), vec![failed_timed_out()]),
            all_rss: vec![],
            new_rs: Some(a("foo", 3, 2, 2)),
            expected: Some((f, reason::TIMED_OUT)),
            keep_update: true,
            keep_transition: true,
        },
    ];
    for c in cases {
        check_rollout(c);
    }
}

/// `TestSyncRolloutStatus` row 1, "General: remove Progressing condition and
/// do not estimate progress if deployment has no Progress Deadline": a nil
/// deadline (here `MAX_INT32`, which `HasProgressDeadline` treats the same)
/// makes `syncRolloutStatus` remove the Progressing condition. (Upstream's
/// row names no condition type, so its own check is vacuous; the expectation
/// is the one its name and `progress.go` state.)
#[test]
fn sync_rollout_status_no_progress_deadline() {
    check_rollout(RolloutCase {
        name:
            "General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline",
        d: current_deployment(MAX_INT32, 3, (2, 2, 2), vec![replica_set_updated()]),
        all_rss: vec![new_rs_with_available("bar", 0, 1, 1)],
        new_rs: Some(new_rs_with_available("foo", 3, 2, 2)),
        expected: None,
        keep_update: false,
        keep_transition: false,
    });
}

/// `handleErr` (deployment_controller.go): a failed sync is requeued with
/// the rate limit while `NumRequeues < maxRetries` (15); the 16th failure
/// in a row drops the key ("Dropping deployment out of the queue": it is
/// forgotten, and only its next event syncs it again). A success forgets.
#[test]
fn a_failing_sync_is_dropped_after_max_retries() {
    use crate::controllers::workqueue::WorkQueue;
    let mut q: WorkQueue<Key> = WorkQueue::new();
    let key = Key::new("default", "foo");
    let mut now = SimTime::ZERO;
    q.add(key.clone());
    // One sync that fails: taken from the queue, handled, done.
    let fail = |q: &mut WorkQueue<Key>, now: SimTime| {
        assert_eq!(q.get().as_ref(), Some(&key));
        let at = handle_err(q, &key, true, now);
        q.done(&key);
        at
    };
    for n in 0..15 {
        let at = fail(&mut q, now).unwrap_or_else(|| panic!("failure {n} is requeued"));
        assert!(at > now);
        now = at;
        q.wake(now);
        assert_eq!(q.num_requeues(&key), n + 1);
    }
    assert_eq!(fail(&mut q, now), None, "the 16th failure drops the key");
    assert_eq!(q.num_requeues(&key), 0, "forgotten");
    assert!(q.is_empty(), "not requeued");
    // Its next event syncs it again, and a failure is retried again.
    q.add(key.clone());
    assert!(fail(&mut q, now).is_some());
    assert_eq!(q.num_requeues(&key), 1);
}

/// `SetNewReplicaSetAnnotations` with `maxRevHistoryLengthInChars` 2000:
/// the revision replaced is appended to `revision-history`, the oldest
/// revisions dropped first to keep the annotation within the limit, and
/// nothing appended when even that cannot make room.
#[test]
fn revision_history_stays_within_2000_characters() {
    assert_eq!(append_revision_history(None, "3").as_deref(), Some("3"));
    assert_eq!(append_revision_history(Some(""), "3").as_deref(), Some("3"));
    assert_eq!(append_revision_history(Some("1,2"), "3").as_deref(), Some("1,2,3"));
    // 400 revisions of four digits: 1999 characters; one more drops the
    // oldest.
    let full: Vec<String> = (1000..1400).map(|r| r.to_string()).collect();
    let history = full.join(",");
    assert_eq!(history.len(), 1999);
    let next = append_revision_history(Some(&history), "1400").expect("room made");
    assert!(next.len() <= MAX_REV_HISTORY_LENGTH_IN_CHARS, "{}", next.len());
    assert!(next.starts_with("1001,") && next.ends_with(",1399,1400"), "{next}");
    // A revision longer than the limit is never appended.
    assert_eq!(append_revision_history(Some("1"), &"9".repeat(2001)), None);
}
