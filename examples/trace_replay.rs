//! One run of the trace-replay benchmark workload, with figures:
//! `cargo run --release --example trace_replay -- NODES PODS`.

use kubesim::config::Config;
use kubesim::objects::meta::ObjectMeta;
use kubesim::objects::resources::Resources;
use kubesim::scenario::manifest::default_node;
use kubesim::scenario::workload::trace_replay;
use kubesim::sim::{SimDuration, SimTime};
use kubesim::simulation::Simulation;
use std::rc::Rc;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let nodes = args.first().copied().unwrap_or(1000);
    let pods = args.get(1).copied().unwrap_or(100_000);
    let t0 = Instant::now();
    let mut sim = Simulation::new(Config::default(), 42);
    sim.bootstrap();
    for i in 0..nodes {
        let mut n = default_node(ObjectMeta { name: format!("node-{}", i + 1).into(), ..Default::default() });
        let r = Resources { cpu_m: 64_000, memory: 128 << 30, pods: 110 };
        n.status.capacity = r;
        n.status.allocatable = r;
        sim.add_node(Rc::new(n));
    }
    let trace = trace_replay(42, pods, SimDuration::from_millis(500));
    let end = trace.last().map(|p| p.arrival).unwrap_or_default() + SimDuration::from_secs(14_400 + 60);
    sim.set_workload(trace);
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    let s = &sim.store.stats;
    println!(
        "nodes {} pods {}: virtual {:.0} s, wall {:.3} s, {} events ({:.2} M events/s), {} trace records, peak RSS {:.0} MB; succeeded {}, pending {}, running {}, scheduling attempts {}, hash {}",
        nodes,
        pods,
        SimTime(end.0).as_secs_f64(),
        wall,
        sim.events_processed(),
        sim.events_processed() as f64 / wall / 1e6,
        sim.trace.record_count(),
        peak_rss_mb(),
        s.pods_succeeded,
        s.pods_pending,
        s.pods_running,
        sim.scheduler.attempts,
        sim.trace.hash_hex()
    );
}
