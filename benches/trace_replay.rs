//! The trace-replay benchmark of issue 2: 100,000 pods with Poisson
//! arrivals (mean gap 0.5 s), requests from {0.5, 1, 2, 4, 8} CPU with
//! 2 GiB per CPU, durations uniform in 600–14,400 s, on 1,000 and on 5,000
//! nodes of 64 CPU / 128 GiB; every pod goes store → scheduler → kubelet →
//! completion.
//!
//! And the probe benchmark of issue 3: 5,000 nodes, 150,000 pods from 1,500
//! ReplicaSets, each with an HTTP liveness and readiness probe at the
//! default 10 s period, one virtual hour, a node crash every 5 minutes.
//!
//! And the rollout benchmark of issue 10: 5,000 nodes, 1,000 Deployments of
//! 100 replicas (readiness probes), all rolled out to a new image at once
//! (100,000 pods replaced), 20 virtual minutes.
//!
//! And the batch benchmark of issue 10: 5,000 nodes, 1,000 Jobs of 100
//! completions, 20 at a time (100,000 pods of 30 s run to completion).
//!
//! And the traffic benchmark of issue 9: 1,000 nodes, 5,000 pods behind
//! 500 NodePort Services, 10,000 requests/s from outside for 10 virtual
//! minutes (6 M requests through kube-proxy's rules to the pods).
//!
//! And the Alibaba GPU cluster trace v2023 (issue 11): its 8,152 tasks on
//! its 1,523 nodes, read from the directory `KUBESIM_ALIBABA_DIR` names
//! (default: the team's copy in `../shared/data/alibaba-gpu-v2023/`) when
//! the files are there (the bench says so when they are not; the data is
//! not part of the repository).
//!
//! `cargo bench` first runs each workload once in a child process and prints
//! wall time, events per second and that process's peak RSS, then times
//! the runs with criterion. `KUBESIM_BENCH_PODS` scales the trace-replay
//! pod count down for a quick look.

use criterion::{criterion_group, Criterion, SamplingMode};
use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::{
    batch_jobs_cluster, deployment_rollout_cluster, probe_envelope_cluster, trace_replay_cluster, traffic_cluster,
};
use std::time::{Duration, Instant};

const SIZES: [usize; 2] = [1_000, 5_000];

fn pods() -> usize {
    std::env::var("KUBESIM_BENCH_PODS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

/// Runs `(sim, end)` to `end` and prints `label`, its wall time, events,
/// events per second, peak RSS, `extra(&sim)` and the trace hash.
fn run_and_report(
    label: &str,
    (mut sim, end): (kubesim::simulation::Simulation, kubesim::sim::SimTime),
    extra: impl Fn(&kubesim::simulation::Simulation) -> String,
) {
    let t0 = Instant::now();
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "{}: wall {:.3} s, {} events, {:.2} M events/s, peak RSS {:.0} MB{}, trace-hash {}",
        label,
        wall,
        sim.events_processed(),
        sim.events_processed() as f64 / wall / 1e6,
        peak_rss_mb(),
        extra(&sim),
        sim.trace.hash_hex()
    );
}

/// One run, reported: used in a child process so its peak RSS is its own.
fn figures(nodes: usize, pods: usize) {
    let label = format!("trace_replay nodes={} pods={}", nodes, pods);
    run_and_report(&label, trace_replay_cluster(nodes, pods, 42), |_| String::new());
}

/// The probe benchmark, once, reported (in its own child process).
fn probe_figures() {
    let label = "probe_envelope nodes=5000 pods=150000 (liveness+readiness, 1 h, 12 node crashes)";
    run_and_report(label, probe_envelope_cluster(5000, 1500, 100, 42), |_| String::new());
}

/// The rollout benchmark, once, reported (in its own child process).
fn rollout_figures() {
    let label = "deployment_rollout nodes=5000 deployments=1000x100 (100,000 pods replaced, 20 min)";
    run_and_report(label, deployment_rollout_cluster(5000, 1000, 100, 42), |sim| {
        let complete = sim
            .store
            .typed
            .values()
            .filter_map(|t| t.downcast::<kubesim::kinds::deployment::Deployment>())
            .filter(|d| d.meta.generation == 2 && d.is_complete())
            .count();
        format!(", {} of 1000 rolled out", complete)
    });
}

/// The batch benchmark, once, reported (in its own child process).
fn batch_figures() {
    let label = "batch_jobs nodes=5000 jobs=1000x100 completions, 20 at a time (100,000 pods run to completion)";
    run_and_report(label, batch_jobs_cluster(5000, 1000, 100, 20, 42), |sim| {
        let complete = sim
            .store
            .typed
            .values()
            .filter_map(|t| t.downcast::<kubesim::kinds::job::Job>())
            .filter(|j| j.status_text() == "Complete")
            .count();
        format!(", {} of 1000 complete", complete)
    });
}

/// The traffic benchmark, once, reported (in its own child process), with
/// the requests simulated per wall second.
fn traffic_figures() {
    let label = "traffic nodes=1000 services=500x10 pods, 10000 req/s for 10 min (6 M requests)";
    let t0 = Instant::now();
    run_and_report(label, traffic_cluster(1000, 500, 10, 10_000.0, 10, 42), |sim| {
        let wall = t0.elapsed().as_secs_f64();
        let sources = &sim.traffic.stats.sources;
        let requests: u64 = sources.iter().map(|s| s.total.requests).sum();
        let ok: u64 = sources.iter().map(|s| s.total.get(kubesim::traffic::stats::Outcome::Ok)).sum();
        format!(", {} requests ({} ok), {:.0} requests/s", requests, ok, requests as f64 / wall)
    });
}

fn alibaba_dir() -> String {
    std::env::var("KUBESIM_ALIBABA_DIR").unwrap_or_else(|_| "../shared/data/alibaba-gpu-v2023".into())
}

/// The Alibaba replay to its last task's end, when the data is present.
fn alibaba() -> Option<(kubesim::simulation::Simulation, kubesim::sim::SimTime)> {
    let scn = kubesim::scenario::alibaba::full_trace_scenario(std::path::Path::new(&alibaba_dir()))?
        .unwrap_or_else(|e| panic!("{}", e));
    let end = scn.workload.iter().map(|p| p.arrival + p.duration).max().unwrap_or_default()
        + kubesim::sim::SimDuration::from_secs(60);
    Some((scn.build(1), end))
}

/// The Alibaba replay, once, reported (in its own child process).
fn alibaba_figures() {
    let t0 = Instant::now();
    let Some((mut sim, end)) = alibaba() else {
        println!("alibaba_gpu_v2023: the trace is not in {} (set KUBESIM_ALIBABA_DIR): not run", alibaba_dir());
        return;
    };
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "alibaba_gpu_v2023 nodes={} tasks=8152 ({:.0} virtual days): wall {:.3} s (load included), {} events, peak RSS {:.0} MB, trace-hash {}",
        sim.store.nodes.len(),
        end.as_secs_f64() / 86_400.0,
        wall,
        sim.events_processed(),
        peak_rss_mb(),
        sim.trace.hash_hex()
    );
}

fn bench(c: &mut Criterion) {
    let pods = pods();
    let mut g = c.benchmark_group("trace_replay");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(1));
    for nodes in SIZES {
        g.bench_function(format!("{}_nodes_{}_pods", nodes, pods), |b| {
            b.iter(|| {
                let (mut sim, end) = trace_replay_cluster(nodes, pods, 42);
                sim.run_until(end);
                sim.events_processed()
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("probe_envelope");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("5000_nodes_150000_pods_1h", |b| {
        b.iter(|| {
            let (mut sim, end) = probe_envelope_cluster(5000, 1500, 100, 42);
            sim.run_until(end);
            sim.events_processed()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("deployment_rollout");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(120))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("5000_nodes_1000_deployments_100_replicas", |b| {
        b.iter(|| {
            let (mut sim, end) = deployment_rollout_cluster(5000, 1000, 100, 42);
            sim.run_until(end);
            sim.events_processed()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("batch_jobs");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("5000_nodes_1000_jobs_100_completions", |b| {
        b.iter(|| {
            let (mut sim, end) = batch_jobs_cluster(5000, 1000, 100, 20, 42);
            sim.run_until(end);
            sim.events_processed()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("traffic");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(120))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("1000_nodes_500_services_10_pods_10000_rps_10_min", |b| {
        b.iter(|| {
            let (mut sim, end) = traffic_cluster(1000, 500, 10, 10_000.0, 10, 42);
            sim.run_until(end);
            sim.events_processed()
        })
    });
    g.finish();
    if alibaba().is_some() {
        let mut g = c.benchmark_group("alibaba_gpu_v2023");
        g.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(1));
        g.bench_function("1523_nodes_8152_tasks", |b| {
            b.iter(|| {
                let (mut sim, end) = alibaba().expect("present");
                sim.run_until(end);
                sim.events_processed()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    if let Ok(spec) = std::env::var("KUBESIM_BENCH_CHILD") {
        if spec == "probe" {
            probe_figures();
            return;
        }
        if spec == "alibaba" {
            alibaba_figures();
            return;
        }
        if spec == "rollout" {
            rollout_figures();
            return;
        }
        if spec == "batch" {
            batch_figures();
            return;
        }
        if spec == "traffic" {
            traffic_figures();
            return;
        }
        let (n, p) = spec.split_once(',').expect("nodes,pods");
        figures(n.parse().expect("nodes"), p.parse().expect("pods"));
        return;
    }
    // `cargo test --benches` runs bench binaries with --bench absent: keep
    // that path quick.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let exe = std::env::current_exe().expect("bench executable");
    for nodes in SIZES {
        let out = std::process::Command::new(&exe)
            .env("KUBESIM_BENCH_CHILD", format!("{},{}", nodes, pods()))
            .output()
            .expect("run child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    for child in ["probe", "rollout", "batch", "traffic", "alibaba"] {
        let out = std::process::Command::new(&exe).env("KUBESIM_BENCH_CHILD", child).output().expect("run child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
