//! One run of the trace-replay benchmark workload, with its figures:
//! `cargo run --release --example trace_replay -- NODES PODS`.

use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::trace_replay_cluster;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let nodes = args.first().copied().unwrap_or(1000);
    let pods = args.get(1).copied().unwrap_or(100_000);
    let t0 = Instant::now();
    let (mut sim, end) = trace_replay_cluster(nodes, pods, 42);
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    let s = &sim.observers.stats;
    println!(
        "nodes {} pods {}: virtual {:.0} s, wall {:.3} s, {} events ({:.2} M events/s), {} trace records, peak RSS {:.0} MB; succeeded {} (PodGC keeps 12,500), scheduling attempts {}, trace-hash {}",
        nodes,
        pods,
        end.as_secs_f64(),
        wall,
        sim.events_processed(),
        sim.events_processed() as f64 / wall / 1e6,
        sim.trace.record_count(),
        peak_rss_mb(),
        s.pods_succeeded,
        sim.scheduling_attempts().0,
        sim.trace.hash_hex()
    );
}
