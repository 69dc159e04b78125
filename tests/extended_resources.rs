//! Extended resources (GPUs) end to end, and the Alibaba GPU trace v2023
//! loader on its sample: the GPU columns of `timeseries.csv` follow the
//! scenario's arithmetic, and the fast paths leave the run unchanged.

use crate::cli::tempdir;
use crate::{kubesim, root, stderr};
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;

const SAMPLE: &str = "scenarios/alibaba-gpu-sample.yaml";
const GPU: &str = "scenarios/extended-resource-gpu.yaml";

#[test]
fn gpu_columns_of_the_timeseries_follow_the_sample_arithmetic() {
    let dir = tempdir("alibaba-csv");
    let o = kubesim(&["run", SAMPLE, "--quiet", "--csv", dir.to_str().unwrap(), "--sample", "1m"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ts = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    let mut lines = ts.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    let (req, alloc) = (col("kubesim.io/gpu-milli_requested"), col("kubesim.io/gpu-milli_allocatable"));
    let at = |t: &str| -> Vec<u64> {
        let row = ts.lines().find(|l| l.split(',').next() == Some(t)).unwrap_or_else(|| panic!("no row at {t}"));
        let f: Vec<&str> = row.split(',').collect();
        vec![f[req].parse().unwrap(), f[alloc].parse().unwrap()]
    };
    // 8 G2 + 2 T4 + 1 P100 GPUs, 1,000 milli each.
    assert_eq!(at("0")[1], 11_000);
    // At 5 min every GPU is taken: 8,000 + 1,000 + 1,000 + 1,000.
    assert_eq!(at("300"), [11_000, 11_000]);
    // At 12 min: pods 0001–0003 (1,000 each), 0004 (460) and 0007 (2,000).
    assert_eq!(at("720"), [5_460, 11_000]);
    // At 25 min only pod-0006 is left, and it never ran.
    assert_eq!(at("1500"), [0, 11_000]);
}

#[test]
fn fast_paths_do_not_change_the_gpu_runs() {
    for file in [SAMPLE, GPU] {
        let path = root().join(file);
        let hash = |fast: &str| {
            let scn = scenario::load_with(&path, &[("cluster.config.fastPaths".into(), fast.into())])
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let r = run(&scn, RunOptions::default());
            assert_eq!(r.failed(), 0, "{file} fastPaths {fast}");
            r.trace_hash
        };
        assert_eq!(hash("1"), hash("0"), "{file}: the fast paths changed the run");
    }
}

#[test]
fn a_scheduler_short_of_gpus_says_so_and_the_kubelet_rejects_an_over_commit() {
    let scn = scenario::load(&root().join(GPU)).expect("load");
    let r = run(&scn, RunOptions { keep_events: true, ..Default::default() });
    let events = r.sim.trace.events();
    let failed = events.iter().find(|e| e.reason == "FailedScheduling").expect("FailedScheduling");
    assert!(
        failed.message.starts_with("0/3 nodes are available: 3 Insufficient nvidia.com/gpu."),
        "{}",
        failed.message
    );
    let rejected = events.iter().find(|e| e.reason == "OutOfnvidia.com/gpu").expect("the kubelet's rejection");
    assert_eq!(
        rejected.message,
        "Node didn't have enough resource: nvidia.com/gpu, requested: 1, used: 2, capacity: 2"
    );
}

#[test]
fn timeseries_columns_cover_nodes_the_timeline_adds() {
    let text = "name: gpus join later\nduration: 1m\ncluster:\n  nodes: [{name: cpu-1, capacity: {cpu: \"2\", memory: 4Gi}}]\ntimeline:\n  - at: 10s\n    addNode: {name: gpu-1, capacity: {cpu: \"8\", memory: 32Gi, nvidia.com/gpu: 4}}\n";
    let scn = scenario::load_str(text, "join.yaml", &root()).expect("load");
    assert_eq!(scn.extended_resources().iter().map(|n| n.to_string()).collect::<Vec<_>>(), ["nvidia.com/gpu"]);
}
