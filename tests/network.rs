//! The network's latency distributions (`cluster.config.network`): the
//! loader's checks, determinism, that links never reorder, and that the
//! fast paths still give the literal model's run.

use crate::root;
use kubesim::check::{invariants, Check, FaultSpace};
use kubesim::runner::{self, RunOptions};
use kubesim::scenario;
use std::path::Path;

const NODE_DIES: &str = "scenarios/node-dies-rc-reschedules.yaml";

/// The node-dies scenario with `network` (YAML flow text) in its config.
fn with_network(network: &str, extra: &str) -> String {
    let text = std::fs::read_to_string(root().join(NODE_DIES)).unwrap();
    text.replacen("cluster:\n", &format!("cluster:\n  config: {{network: {}{}}}\n", network, extra), 1)
}

fn run_text(text: &str) -> runner::RunResult {
    let scn = scenario::load_str(text, "net.yaml", &root().join("scenarios")).expect("loads");
    runner::run(&scn, RunOptions::default())
}

#[test]
fn drawn_latencies_keep_the_story_and_the_seed_decides_the_run() {
    for net in [
        "{apiLatency: {uniform: [2ms, 8ms]}, watchLatency: {uniform: [5ms, 15ms]}}",
        "{apiLatency: {lognormal: {median: 5ms, sigma: 0.5}}, watchLatency: {lognormal: {median: 10ms, sigma: 0.3}}}",
    ] {
        let text = with_network(net, "");
        let a = run_text(&text);
        // The expectations of the fixed run hold: a few milliseconds here
        // and there do not change when the node is found dead or evicted.
        assert_eq!(a.failed(), 0, "{}: {:?}", net, a.verdicts);
        assert_eq!(run_text(&text).trace_hash, a.trace_hash, "same seed, same draws");
        let fixed = run_text(&with_network("{apiLatency: 5ms, watchLatency: 10ms}", ""));
        assert_ne!(a.trace_hash, fixed.trace_hash, "{}: the draws show in the run", net);
    }
    // `fixed:` is the plain knob.
    let a = run_text(&with_network("{apiLatency: {fixed: 5ms}, watchLatency: 10ms}", ""));
    let b = run_text(&std::fs::read_to_string(root().join(NODE_DIES)).unwrap());
    assert_eq!(a.trace_hash, b.trace_hash);
}

#[test]
fn probe_skipping_and_score_trees_still_match_the_literal_model() {
    for net in ["{apiLatency: {uniform: [1ms, 20ms]}}", "{watchLatency: {lognormal: {median: 10ms, sigma: 1}}}"] {
        for f in ["scenarios/liveness-unhealthy-kubia.yaml", "scenarios/readiness-exec-probe.yaml", NODE_DIES] {
            let text = std::fs::read_to_string(root().join(f)).unwrap();
            let fast = text.replacen("cluster:\n", &format!("cluster:\n  config: {{network: {}}}\n", net), 1);
            let literal =
                text.replacen("cluster:\n", &format!("cluster:\n  config: {{network: {}, fastPaths: 0}}\n", net), 1);
            if fast == text {
                continue;
            }
            let base = root().join("scenarios");
            let a = runner::run(&scenario::load_str(&fast, f, &base).unwrap(), RunOptions::default());
            let b = runner::run(&scenario::load_str(&literal, f, &base).unwrap(), RunOptions::default());
            assert_eq!(a.trace_hash, b.trace_hash, "{} with {}", f, net);
        }
    }
}

#[test]
fn drawn_latencies_never_reorder_a_watch() {
    // Every case audits the watch streams (ordered, unique, reliable) and
    // checks the kubelets' admission, under node outages and a wide
    // latency spread.
    let text =
        with_network("{apiLatency: {uniform: [1ms, 50ms]}, watchLatency: {lognormal: {median: 10ms, sigma: 1.5}}}", "");
    let report = Check::from_str(&text, NODE_DIES, Path::new("scenarios"))
        .unwrap()
        .faults(FaultSpace::nodes(&["node-1", "node-2", "node-3"], "5m").max_faults(2))
        .property(invariants::admitted_within_allocatable())
        .property(invariants::resource_versions_increase())
        .cases(24)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

#[test]
fn bad_latencies_are_refused_with_their_field() {
    for (net, field, msg) in [
        (
            "{apiLatency: {uniform: [8ms, 2ms]}}",
            "cluster.config.network.apiLatency.uniform",
            "low must not be above high",
        ),
        ("{apiLatency: {uniform: [2ms]}}", "cluster.config.network.apiLatency.uniform", "expected [low, high]"),
        (
            "{watchLatency: {lognormal: {median: 5ms, sigma: 9}}}",
            "cluster.config.network.watchLatency.lognormal.sigma",
            "from 0 to 4",
        ),
        (
            "{watchLatency: {lognormal: {sigma: 1}}}",
            "cluster.config.network.watchLatency.lognormal.median",
            "needs `median`",
        ),
        ("{apiLatency: {gamma: 5ms}}", "cluster.config.network.apiLatency.gamma", "unknown latency distribution"),
        ("{apiLatency: 2h}", "cluster.config.network.apiLatency", "at most 1m"),
        ("{apiLatency: 5}", "cluster.config.network.apiLatency", ""),
        ("{latency: 5ms}", "cluster.config.network.latency", "unknown field"),
    ] {
        let text = with_network(net, "");
        let err = scenario::load_str(&text, "net.yaml", Path::new("scenarios"))
            .err()
            .unwrap_or_else(|| panic!("{} loads", net));
        let s = err.to_string();
        assert!(s.contains("net.yaml:") && s.contains(field) && s.contains(msg), "{}: {}", net, s);
    }
}
