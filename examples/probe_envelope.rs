//! One run of the probe benchmark (issue 3), with figures:
//! `cargo run --release --example probe_envelope -- NODES SETS REPLICAS [tick|literal]`
//! (`tick` turns probe skipping off; `literal` turns every fast path off).

use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::probe_envelope_cluster_with;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (nodes, sets, replicas) = (num(0, 5000), num(1, 1500), num(2, 100));
    let tick = args.iter().any(|a| a == "tick");
    let literal = args.iter().any(|a| a == "literal");
    let t0 = Instant::now();
    let (mut sim, end) = probe_envelope_cluster_with(nodes, sets, replicas as i32, 42, !literal);
    if tick {
        sim.cfg.probe_skipping = false;
    }
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    let s = &sim.observers.stats;
    println!(
        "nodes {} pods {}: wall {:.3} s, {} events ({:.2} M events/s), {} trace records, peak RSS {:.0} MB; running {} pending {}, trace-hash {}",
        nodes,
        sets * replicas,
        wall,
        sim.events_processed(),
        sim.events_processed() as f64 / wall / 1e6,
        sim.trace.record_count(),
        peak_rss_mb(),
        s.pods_running,
        s.pods_pending,
        sim.trace.hash_hex()
    );
}
