//! One run of the batch benchmark, with figures:
//! `cargo run --release --example batch_jobs -- NODES JOBS COMPLETIONS PARALLELISM`
//! (default 5,000 nodes, 1,000 Jobs of 100 completions, 20 at a time:
//! 100,000 pods run to completion).

use kubesim::kinds::job::Job;
use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::batch_jobs_cluster;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (nodes, jobs, completions, parallelism) = (num(0, 5000), num(1, 1000), num(2, 100), num(3, 20));
    let t0 = Instant::now();
    let (mut sim, end) = batch_jobs_cluster(nodes, jobs, completions as i32, parallelism as i32, 42);
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    let done =
        sim.store.typed.values().filter_map(|t| t.downcast::<Job>()).filter(|j| j.status_text() == "Complete").count();
    println!(
        "nodes {} jobs {} × {} completions ({} at a time): wall {:.3} s, {} events ({:.2} M events/s), peak RSS {:.0} MB; {} of {} complete at {}, trace-hash {}",
        nodes,
        jobs,
        completions,
        parallelism,
        wall,
        sim.events_processed(),
        sim.events_processed() as f64 / wall / 1e6,
        peak_rss_mb(),
        done,
        jobs,
        end,
        sim.trace.hash_hex()
    );
}
