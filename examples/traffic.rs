//! One run of the traffic benchmark (issue 9), with figures:
//! `cargo run --release --example traffic -- NODES SERVICES PODS_PER_SERVICE RATE MINUTES`
//! (default 1,000 nodes, 500 NodePort Services of 10 pods, 10,000
//! requests/s from outside for 10 virtual minutes: 6 M requests).
//!
//! Prints the set-up phase (the pods come up and the proxies sync, the
//! first 2 virtual minutes) and the load phase separately, the requests
//! simulated per wall second, the outcome totals over every source, and
//! the trace hash.

use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::traffic_cluster;
use kubesim::sim::SimTime;
use kubesim::traffic::stats::{Counts, Outcome};
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (nodes, services, per_service, rate, minutes) =
        (num(0, 1000), num(1, 500), num(2, 10), num(3, 10_000), num(4, 10));
    let t0 = Instant::now();
    let (mut sim, end) = traffic_cluster(nodes, services, per_service as i32, rate as f64, minutes as u64, 42);
    let built = t0.elapsed().as_secs_f64();
    // The load starts at 2 minutes: run to just before it.
    sim.run_until(SimTime(120_000_000_000 - 1));
    let setup = t0.elapsed().as_secs_f64();
    let setup_events = sim.events_processed();
    let ready = sim.store.pods.values().filter(|p| p.is_ready()).count();
    sim.run_until(end);
    let wall = t0.elapsed().as_secs_f64();
    let mut total = Counts::default();
    for s in &sim.traffic.stats.sources {
        total.requests += s.total.requests;
        for (t, n) in total.by_outcome.iter_mut().zip(s.total.by_outcome) {
            *t += n;
        }
    }
    let load = wall - setup;
    println!(
        "nodes {} services {} × {} pods, {} req/s for {} min: wall {:.3} s (build {:.3} s, set-up to 2 min {:.3} s with {} of {} pods Ready, load {:.3} s), {} events ({} in the load phase, {:.2} M events/s), peak RSS {:.0} MB",
        nodes,
        services,
        per_service,
        rate,
        minutes,
        wall,
        built,
        setup - built,
        ready,
        services * per_service,
        load,
        sim.events_processed(),
        sim.events_processed() - setup_events,
        sim.events_processed() as f64 / wall / 1e6,
        peak_rss_mb()
    );
    println!(
        "requests {}: {:.0} requests simulated per wall second ({:.0} per second of the load phase)",
        total.requests,
        total.requests as f64 / wall,
        total.requests as f64 / load
    );
    let outcomes: Vec<String> = Outcome::ALL.iter().map(|&o| format!("{} {}", o.as_str(), total.get(o))).collect();
    println!("outcomes: {}", outcomes.join(", "));
    if let Some(i) = (0..sim.traffic.stats.sources.len()).next() {
        println!("{}", sim.traffic.stats.summary_line(i));
    }
    println!("in flight at the end {}, trace-hash {}", sim.traffic.in_flight(), sim.trace.hash_hex());
}
