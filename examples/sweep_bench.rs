//! The sweep's parallel speed-up on the trace-replay workload:
//! `cargo run --release --example sweep_bench -- [RUNS] [NODES] [PODS]`
//! (default 20 runs of 1,000 nodes × 100,000 pods). Writes the workload as
//! a scenario with a CSV trace into a temporary directory, sweeps it with
//! `--jobs 1` and then `--jobs 2` (seeds 1..RUNS), checks both sweep.csv
//! files are byte-identical, and prints runs per minute and peak RSS.
//! Peak RSS is the process's high-water mark, so the `--jobs 2` figure is
//! measured in a second process (`sweep_bench -- ... --only-jobs 2`).

use kubesim::component::Registry;
use kubesim::report::peak_rss_mb;
use kubesim::scenario::workload::trace_replay;
use kubesim::sim::SimDuration;
use kubesim::sweep::Sweep;
use std::io::Write;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args
        .iter()
        .position(|a| a == "--only-jobs")
        .and_then(|i| args.get(i + 1))
        .and_then(|j| j.parse::<usize>().ok());
    let nums: Vec<usize> = args.iter().take_while(|a| *a != "--only-jobs").filter_map(|a| a.parse().ok()).collect();
    let runs = nums.first().copied().unwrap_or(20) as u64;
    let nodes = nums.get(1).copied().unwrap_or(1000);
    let pods = nums.get(2).copied().unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("kubesim-sweep-bench-{}-{}", nodes, pods));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("trace.csv");
    if !csv.exists() {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(f, "arrival,name,cpu,memory,duration").unwrap();
        for p in trace_replay(42, pods, SimDuration::from_millis(500)) {
            let ms = |d: u64| format!("{}.{:03}", d / 1_000_000_000, d / 1_000_000 % 1000);
            writeln!(f, "{},{},{}m,{},{}", ms(p.arrival.0), p.name, p.cpu_m, p.memory, ms(p.duration.0)).unwrap();
        }
    }
    let end = (pods as u64) / 2 + 14_400 + 60;
    let scenario = dir.join("scenario.yaml");
    std::fs::write(
        &scenario,
        format!(
            "name: trace replay sweep bench\nduration: {}s\ncluster:\n  nodes:\n    - namePrefix: node\n      count: {}\n      capacity: {{cpu: \"64\", memory: 128Gi, pods: 110}}\nworkloads:\n  - trace: trace.csv\n",
            end, nodes
        ),
    )
    .unwrap();
    let sweep = Sweep { scenario, sets: vec![], seeds: runs, shard: None };
    sweep.validate().unwrap();
    let mut outputs = Vec::new();
    for jobs in [1usize, 2].into_iter().filter(|j| only.is_none_or(|o| o == *j)) {
        let t0 = Instant::now();
        let (rows, failed) = sweep.execute(jobs, Registry::new);
        let secs = t0.elapsed().as_secs_f64();
        assert_eq!(failed, 0);
        println!(
            "jobs {}: {} runs of {} nodes × {} pods in {:.1} s = {:.2} runs/min; peak RSS {:.0} MB",
            jobs,
            runs,
            nodes,
            pods,
            secs,
            runs as f64 * 60.0 / secs,
            peak_rss_mb()
        );
        outputs.push(rows);
    }
    if outputs.len() == 2 {
        assert_eq!(outputs[0], outputs[1], "sweep.csv does not depend on --jobs");
        println!("sweep.csv identical for --jobs 1 and --jobs 2");
    }
}
