//! Replays the Alibaba GPU cluster trace v2023 (the whole of it: 8,152
//! tasks on 1,523 nodes) and reports wall time, the tasks the default
//! scheduler placed, and the GPU allocation ratio over time:
//! `cargo run --release --example alibaba_gpu [-- DIR]`.
//!
//! DIR holds `openb_node_list_all_node.csv` and
//! `openb_pod_list_default.csv` from alibaba/clusterdata,
//! `cluster-trace-gpu-v2023/csv/` (default: `$KUBESIM_ALIBABA_DIR`, else
//! the team's copy in `../shared/data/alibaba-gpu-v2023`; the README says
//! where to download the files). When the files
//! are absent the example says so and exits 0.

use kubesim::report::peak_rss_mb;
use kubesim::scenario::alibaba::{self, GPU_MILLI};
use kubesim::sim::{SimDuration, SimTime};
use std::path::PathBuf;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let default = std::env::var("KUBESIM_ALIBABA_DIR").unwrap_or_else(|_| "../shared/data/alibaba-gpu-v2023".into());
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or(default));
    let t0 = Instant::now();
    let scn = match alibaba::full_trace_scenario(&dir) {
        None => {
            let (n, p) = alibaba::FULL_TRACE_FILES;
            println!("alibaba_gpu: {} or {} is absent from {}: nothing to replay", n, p, dir.display());
            return;
        }
        Some(Err(e)) => {
            eprintln!("{}", e);
            std::process::exit(2);
        }
        Some(Ok(s)) => s,
    };
    let load = t0.elapsed().as_secs_f64();
    // To the last task's end, and a minute for its status to land.
    let last_end = scn.workload.iter().map(|p| p.arrival + p.duration).max().unwrap_or(SimTime::ZERO);
    let end = last_end + SimDuration::from_secs(60);
    let t1 = Instant::now();
    let mut sim = scn.build_with(1, |sim| sim.observers.record_pod_times());
    // The GPU allocation ratio (requested / allocatable) every 10 minutes.
    let step = SimDuration::from_secs(600);
    let mut samples: Vec<(SimTime, f64)> = Vec::new();
    let mut t = SimTime::ZERO;
    while t < end {
        t = (t + step).min(end);
        sim.run_until(t);
        let s = &sim.observers.stats;
        let alloc = s.extended_allocatable.get(GPU_MILLI);
        let ratio = if alloc == 0 { 0.0 } else { s.extended_requested.get(GPU_MILLI) as f64 / alloc as f64 };
        samples.push((t, ratio));
    }
    let run = t1.elapsed().as_secs_f64();
    let times: Vec<_> = sim.observers.pod_times().collect();
    let placed = times.iter().filter(|p| p.scheduled.is_some()).count();
    let (peak_t, peak) = samples.iter().copied().fold((SimTime::ZERO, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let mean = samples.iter().map(|s| s.1).sum::<f64>() / samples.len().max(1) as f64;
    let day = 86_400.0;
    println!(
        "alibaba_gpu: {} nodes, {} tasks, {:.1} virtual days; load {:.3} s, run {:.3} s (wall), {} events, peak RSS {:.0} MB, trace-hash {}",
        sim.store.nodes.len(),
        scn.workload.len(),
        end.as_secs_f64() / day,
        load,
        run,
        sim.events_processed(),
        peak_rss_mb(),
        sim.trace.hash_hex()
    );
    println!(
        "placed by the default scheduler: {} of {} tasks ({} still unscheduled at the end)",
        placed,
        times.len(),
        times.len() - placed
    );
    println!(
        "GPU allocation ratio (kubesim.io/gpu-milli requested / allocatable, every 10 min): mean {:.4}, peak {:.4} at day {:.2}",
        mean,
        peak,
        peak_t.as_secs_f64() / day
    );
    println!("day  ratio (at the start of every 10th day, and the last 10 days daily)");
    let last_day = (end.as_secs_f64() / day) as u64;
    for (t, r) in &samples {
        let secs = t.as_secs_f64();
        let d = (secs / day) as u64;
        let on_day = secs % day < step.as_secs_f64();
        if on_day && (d % 10 == 0 || d + 10 > last_day) {
            println!("{:>4}  {:.4}", d, r);
        }
    }
}
