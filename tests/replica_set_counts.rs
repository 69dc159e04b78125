//! The replica-set controller's `replicaSetCounts` fast path against its
//! literal twin, over random scenarios aimed at what the fast path must
//! hand back to the walk: pods relabelled out of their selector (the owner
//! releases them) and back in (orphans it adopts), bare pods an owner
//! adopts, `minReadySeconds` (availability then depends on the clock),
//! readiness flipping, scale-downs (the victims are listed), deletions,
//! node crashes and rollouts. Each case runs with the counts kept
//! (`replicaSetCounts: 1`) and with every sync counting its pods (`0`);
//! the trace hashes must be equal.

use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::path::Path;

const CASES: u64 = 150;

/// Case `n`'s scenario text with `config` under `cluster.config`.
fn case(n: u64, config: &str) -> String {
    let mut r = ChaCha8Rng::seed_from_u64(n ^ 0x5253_434f_554e_5453);
    let mut s = format!(
        "name: replica set counts case {n}\nseed: {n}\nduration: 6m\ncluster:\n  nodes:\n    - namePrefix: node\n      count: 3\n      capacity: {{cpu: \"4\", memory: 8Gi, pods: 20}}\n  config: {{{config}}}\nimages:\n  app/w: {{pull: 500ms, start: 200ms, files: [/tmp/ready]}}\nobjects:\n"
    );
    let workloads = r.gen_range(1..=3);
    let mut kinds = Vec::new();
    for w in 0..workloads {
        let kind = ["ReplicaSet", "ReplicationController", "Deployment"][r.gen_range(0..3)];
        kinds.push(kind);
        let (api, selector) = match kind {
            "ReplicationController" => ("v1", format!("{{app: w{w}}}")),
            _ => ("apps/v1", format!("{{matchLabels: {{app: w{w}}}}}")),
        };
        let _ = writeln!(s, "  - apiVersion: {api}\n    kind: {kind}\n    metadata: {{name: w{w}}}\n    spec:");
        let _ = writeln!(s, "      replicas: {}", r.gen_range(0..=6));
        if r.gen_bool(0.3) {
            let _ = writeln!(s, "      minReadySeconds: {}", [1, 5, 20][r.gen_range(0..3)]);
        }
        let _ = writeln!(
            s,
            "      selector: {selector}\n      template:\n        metadata: {{labels: {{app: w{w}}}}}\n        spec:\n          containers:\n          - name: app\n            image: app/w\n            readinessProbe: {{exec: {{command: [cat, /tmp/ready]}}, periodSeconds: {}}}",
            r.gen_range(1..=5)
        );
        if r.gen_bool(0.3) {
            // A bare pod the owner adopts.
            let _ = writeln!(
                s,
                "  - apiVersion: v1\n    kind: Pod\n    metadata: {{name: bare-{w}, labels: {{app: w{w}}}}}\n    spec:\n      containers:\n      - {{name: app, image: app/w}}"
            );
        }
    }
    s.push_str("timeline:\n");
    for _ in 0..r.gen_range(0..=10) {
        let w = r.gen_range(0..workloads);
        let at = r.gen_range(1..300);
        let word = match kinds[w] {
            "ReplicaSet" => "rs",
            "ReplicationController" => "rc",
            _ => "deployment",
        };
        let entry = match r.gen_range(0..9) {
            0 => format!("kubectl: \"label pods -l app=w{w} app=w{w}-out --overwrite\""),
            1 => format!("kubectl: \"label pods -l app=w{w}-out app=w{w} --overwrite\""),
            2 => format!("kubectl: \"scale {word} w{w} --replicas={}\"", r.gen_range(0..=6)),
            3 => format!("kubectl: \"delete pod -l app=w{w} --grace-period={}\"", [0, 1, 10][r.gen_range(0..3)]),
            4 => format!("exec: {{selector: app=w{w}, index: {}, command: [rm, /tmp/ready]}}", r.gen_range(0..3)),
            5 => format!("exec: {{selector: app=w{w}, index: {}, command: [touch, /tmp/ready]}}", r.gen_range(0..3)),
            6 => format!("crashNode: node-{}", r.gen_range(1..=3)),
            7 => format!("restartNode: node-{}", r.gen_range(1..=3)),
            _ if word == "deployment" => format!("kubectl: \"rollout restart deployment/w{w}\""),
            _ => format!("kubectl: \"label pods -l app=w{w} tier=x --overwrite\""),
        };
        let _ = writeln!(s, "  - at: {at}s\n    {entry}");
    }
    s
}

fn hash(n: u64, config: &str) -> String {
    let text = case(n, config);
    let scn = scenario::load_str(&text, &format!("rs-counts-{n}.yaml"), Path::new("."))
        .unwrap_or_else(|e| panic!("case {n} does not load (a generator bug):\n{e}\n---\n{text}"));
    run(&scn, RunOptions::default()).trace_hash
}

#[test]
fn kept_counts_give_the_trace_of_counting_every_sync() {
    let cases = std::env::var("KUBESIM_RS_COUNTS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES);
    let diverging: Vec<u64> =
        (0..cases).filter(|&n| hash(n, "replicaSetCounts: 1") != hash(n, "replicaSetCounts: 0")).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/rs-counts-failures");
    for n in &diverging {
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("case-{n}.yaml")), case(*n, "replicaSetCounts: 0"));
    }
    assert!(
        diverging.is_empty(),
        "{} of {} cases diverge: {:?}; each is in {} (replicaSetCounts: 0; run it with `kubesim run`, then with 1)",
        diverging.len(),
        cases,
        diverging,
        dir.display()
    );
}

/// The cases are not trivial: a run with the fast path twice gives the
/// same trace, and the generator's scenarios load and do the things the
/// header lists.
#[test]
fn replica_set_count_cases_exercise_releases_adoptions_and_min_ready() {
    let texts: Vec<String> = (0..CASES).map(|n| case(n, "replicaSetCounts: 1")).collect();
    for needle in
        ["-out --overwrite\"", "-out app=", "bare-", "minReadySeconds", "scale rs", "scale rc", "rollout restart"]
    {
        assert!(texts.iter().any(|t| t.contains(needle)), "no case uses {needle}");
    }
    assert_eq!(hash(7, "replicaSetCounts: 1"), hash(7, "replicaSetCounts: 1"));
}
