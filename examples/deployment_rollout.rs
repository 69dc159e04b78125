//! One run of the rollout benchmark (issue 10), with figures:
//! `cargo run --release --example deployment_rollout -- NODES DEPLOYMENTS REPLICAS`
//! (default 5,000 nodes, 1,000 Deployments of 100 replicas, all rolled out
//! to a new image at 5 minutes).

use kubesim::kinds::deployment::Deployment;
use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::deployment_rollout_cluster;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (nodes, deployments, replicas) = (num(0, 5000), num(1, 1000), num(2, 100));
    let t0 = Instant::now();
    let (mut sim, end) = deployment_rollout_cluster(nodes, deployments, replicas as i32, 42);
    // The Deployments come up in the first 5 minutes; the rollout starts
    // at 5 minutes.
    sim.run_until(kubesim::sim::SimTime(300_000_000_000 - 1));
    let setup = t0.elapsed().as_secs_f64();
    let setup_events = sim.events_processed();
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    let done = sim
        .store
        .typed
        .values()
        .filter_map(|t| t.downcast::<Deployment>())
        .filter(|d| d.is_complete())
        .filter(|d| d.meta.generation == 2)
        .count();
    println!(
        "nodes {} deployments {} × {} replicas rolled out: wall {:.3} s (up to 5 min, the Deployments coming up: {:.3} s, {} events; the rollout: {:.3} s, {} events), {} events ({:.2} M events/s), peak RSS {:.0} MB; {} of {} complete at {}, trace-hash {}",
        nodes,
        deployments,
        replicas,
        wall,
        setup,
        setup_events,
        wall - setup,
        sim.events_processed() - setup_events,
        sim.events_processed(),
        sim.events_processed() as f64 / wall / 1e6,
        peak_rss_mb(),
        done,
        deployments,
        end,
        sim.trace.hash_hex()
    );
}
