//! The Alibaba GPU cluster trace v2023 as a workload
//! (`workloads: [{alibabaGpu2023: {nodes: F, pods: F}}]`).
//!
//! The trace (`alibaba/clusterdata`, folder `cluster-trace-gpu-v2023`,
//! published with "Beware of Fragmentation: Scheduling GPU-Sharing
//! Workloads with Fragmentation Gradient Descent", USENIX ATC '23) has
//! two CSV files:
//! - `openb_node_list_*.csv`: `sn,cpu_milli,memory_mib,gpu,model`, one
//!   machine per row. Each becomes a Ready node named `sn` with that CPU
//!   and memory as capacity *and* allocatable (the trace lists what the
//!   scheduler had to give), `cluster.config.maxPods` pods, and when it
//!   has GPUs the extended resource `kubesim.io/gpu-milli` = `gpu × 1000`
//!   and the label `kubesim.io/gpu-model=<model>`.
//! - `openb_pod_list_*.csv`: `name,cpu_milli,memory_mib,num_gpu,
//!   gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,
//!   scheduled_time` (times in seconds). Each row is a bare pod created at
//!   `creation_time` that runs for `deletion_time − scheduled_time`, or
//!   `deletion_time − creation_time` where `scheduled_time` is empty (the
//!   pod never ran in the traced cluster), then exits 0. It requests
//!   `cpu_milli` and `memory_mib`, and `kubesim.io/gpu-milli` =
//!   `num_gpu × gpu_milli`. A non-empty `gpu_spec` (GPU models separated
//!   by `|`) becomes required node affinity on `kubesim.io/gpu-model`.
//!
//! GPUs are an approximation: one pooled extended resource per node, so a
//! pod asking for 0.5 GPU fits a node with two half-used GPUs, which a
//! real GPU-sharing scheduler (packing per device) would refuse. `qos` and
//! `pod_phase` are not used.

#![warn(missing_docs)]

use super::error::LoadError;
use super::workload::{self, Annotations, WorkloadPod};
use super::{limits, parse_seconds, yaml};
use crate::objects::meta::ObjectMeta;
use crate::objects::node::Node;
use crate::objects::pod::{NodeAffinity, NodeSelectorTerm, PodSpec};
use crate::objects::resources::{Extended, Resources};
use crate::objects::selector::{Op, Requirement};
use crate::sim::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;

/// The extended resource GPUs are counted in: thousandths of a GPU.
pub const GPU_MILLI: &str = "kubesim.io/gpu-milli";
/// The node label naming the GPU model (`model` in the node list).
pub const LABEL_GPU_MODEL: &str = "kubesim.io/gpu-model";

const NODE_COLUMNS: [&str; 5] = ["sn", "cpu_milli", "memory_mib", "gpu", "model"];
const POD_COLUMNS: [&str; 8] =
    ["name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec", "creation_time", "deletion_time"];

/// A CSV file read whole, its header resolved against the columns wanted.
struct Table {
    label: String,
    rows: csv::StringRecordsIntoIter<std::io::Cursor<Vec<u8>>>,
    /// Column index of each wanted column.
    idx: Vec<usize>,
    /// Column index of `scheduled_time` (pod lists only; optional column).
    scheduled: Option<usize>,
    /// (byte offset, newlines before it) of the last line count.
    counted: (usize, usize),
}

impl Table {
    fn open(path: &Path, want: &[&str], what: &str) -> Result<Table, LoadError> {
        let label = path.display().to_string();
        let bytes = limits::read_input_bytes(path).map_err(|e| LoadError {
            file: label.clone(),
            pos: None,
            field: String::new(),
            message: format!("cannot read the {}: {}", what, e),
        })?;
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(std::io::Cursor::new(bytes));
        let headers = rdr.headers().map_err(|e| error(&label, 1, "", format!("bad header: {}", e)))?.clone();
        let mut idx = Vec::new();
        for w in want {
            let i = headers.iter().position(|h| h == *w).ok_or_else(|| {
                error(&label, 1, w, format!("missing column `{}` (a {} has columns {})", w, what, want.join(",")))
            })?;
            idx.push(i);
        }
        let scheduled = headers.iter().position(|h| h == "scheduled_time");
        Ok(Table { label, rows: rdr.into_records(), idx, scheduled, counted: (0, 0) })
    }
}

fn error(file: &str, line: usize, field: &str, message: String) -> LoadError {
    LoadError { file: file.to_string(), pos: Some(yaml::Pos { line, col: 1 }), field: field.to_string(), message }
}

/// A whole number in a column, with the column named in the error.
fn uint(t: &Table, line: usize, field: &str, text: &str) -> Result<u64, LoadError> {
    text.parse::<u64>().map_err(|_| error(&t.label, line, field, format!("`{}` is not a whole number", text)))
}

/// `a × b`, as long as it stays within `int64` (the apiserver's
/// quantities are `int64`, and the scheduler's hot checks subtract them).
fn product(t: &Table, line: usize, field: &str, a: u64, b: u64) -> Result<u64, LoadError> {
    a.checked_mul(b)
        .filter(|&v| v <= i64::MAX as u64)
        .ok_or_else(|| error(&t.label, line, field, format!("`{}` is too large: at most 2^63-1 in all", a)))
}

impl Table {
    /// The line a record starts on, counted in the file's bytes: the csv
    /// reader skips empty lines (and places the record where they began),
    /// and a quoted field may span lines.
    /// Lines are counted from where the previous record's count left off
    /// (`counted`), so reading a file counts each byte once.
    fn line_of(&mut self, rec: &csv::Result<csv::StringRecord>, fallback: usize) -> usize {
        let pos = match rec {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let Some(pos) = pos else { return fallback };
        let bytes = self.rows.reader().get_ref().get_ref();
        let mut b = (pos.byte() as usize).min(bytes.len());
        while b < bytes.len() && (bytes[b] == b'\n' || bytes[b] == b'\r') {
            b += 1;
        }
        let (from, lines) = self.counted;
        let (from, lines) = if b >= from { (from, lines) } else { (0, 0) };
        let lines = lines + bytes[from..b].iter().filter(|&&c| c == b'\n').count();
        self.counted = (b, lines);
        lines + 1
    }
}

/// Reads a node list: one node per row (see the module header).
/// `max_pods` is each node's pod capacity.
pub fn read_nodes(path: &Path, max_pods: u64, kubelet_version: &str) -> Result<Vec<Rc<Node>>, LoadError> {
    let mut t = Table::open(path, &NODE_COLUMNS, "node list")?;
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut row = 0;
    while let Some(rec) = t.rows.next() {
        row += 1;
        let line = t.line_of(&rec, row + 1);
        if row > limits::MAX_NODES as usize {
            return Err(error(&t.label, line, "", format!("more than {} nodes (the input limit)", limits::MAX_NODES)));
        }
        let rec = rec.map_err(|e| error(&t.label, line, "", format!("malformed row: {}", e)))?;
        let get = |i: usize| rec.get(t.idx[i]).unwrap_or("");
        let name = get(0);
        let problems = crate::objects::validation::object_name("Node", name);
        if !problems.is_empty() {
            return Err(error(&t.label, line, "sn", crate::objects::validation::invalid(name, &problems)));
        }
        if !names.insert(name.to_string()) {
            return Err(error(&t.label, line, "sn", format!("duplicate node `{}`", name)));
        }
        let cpu_m = product(&t, line, "cpu_milli", uint(&t, line, "cpu_milli", get(1))?, 1)?;
        let memory = product(&t, line, "memory_mib", uint(&t, line, "memory_mib", get(2))?, 1 << 20)?;
        let gpus = uint(&t, line, "gpu", get(3))?;
        let model = get(4);
        let mut labels = BTreeMap::new();
        if !model.is_empty() {
            let problems = crate::objects::validation::label_value(model);
            if !problems.is_empty() {
                return Err(error(&t.label, line, "model", crate::objects::validation::invalid(model, &problems)));
            }
            labels.insert(LABEL_GPU_MODEL.to_string(), model.to_string());
        }
        let meta = ObjectMeta { name: name.into(), labels: Rc::new(labels), ..Default::default() };
        let mut node = super::manifest::default_node(meta);
        let r = Resources { cpu_m, memory, pods: max_pods };
        node.status.capacity = r;
        node.status.allocatable = r;
        if gpus > 0 {
            let milli = product(&t, line, "gpu", gpus, 1000)?;
            node.status.extended.set(GPU_MILLI.into(), milli);
        }
        node.status.kubelet_version = kubelet_version.to_string();
        out.push(Rc::new(node));
    }
    Ok(out)
}

/// Reads a pod list into workload pods in `namespace` (see the module
/// header), in arrival order (ties in file order).
pub fn read_pods(path: &Path, namespace: &str) -> Result<Vec<WorkloadPod>, LoadError> {
    let mut t = Table::open(path, &POD_COLUMNS, "pod list")?;
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut specs: BTreeMap<(u64, u64, u64, String), Rc<PodSpec>> = BTreeMap::new();
    let mut annotations = Annotations::default();
    let ns: Rc<str> = namespace.into();
    let mut row = 0;
    while let Some(rec) = t.rows.next() {
        row += 1;
        let line = t.line_of(&rec, row + 1);
        if row > limits::MAX_OBJECTS {
            return Err(error(
                &t.label,
                line,
                "",
                format!("more than {} rows (the input limit on objects)", limits::MAX_OBJECTS),
            ));
        }
        let rec = rec.map_err(|e| error(&t.label, line, "", format!("malformed row: {}", e)))?;
        let get = |i: usize| rec.get(t.idx[i]).unwrap_or("");
        let name = get(0);
        let problems = crate::objects::validation::object_name("Pod", name);
        if !problems.is_empty() {
            return Err(error(&t.label, line, "name", crate::objects::validation::invalid(name, &problems)));
        }
        if !names.insert(name.to_string()) {
            return Err(error(&t.label, line, "name", format!("duplicate pod name `{}`", name)));
        }
        let cpu_m = product(&t, line, "cpu_milli", uint(&t, line, "cpu_milli", get(1))?, 1)?;
        let memory = product(&t, line, "memory_mib", uint(&t, line, "memory_mib", get(2))?, 1 << 20)?;
        let num_gpu = uint(&t, line, "num_gpu", get(3))?;
        let gpu_milli = uint(&t, line, "gpu_milli", get(4))?;
        if gpu_milli > 1000 {
            return Err(error(&t.label, line, "gpu_milli", format!("`{}` is more than one GPU (1000)", gpu_milli)));
        }
        let gpu = product(&t, line, "num_gpu", num_gpu, gpu_milli)?;
        let models = get(5);
        for m in models.split('|').filter(|m| !m.is_empty()) {
            let problems = crate::objects::validation::label_value(m);
            if !problems.is_empty() {
                return Err(error(&t.label, line, "gpu_spec", crate::objects::validation::invalid(m, &problems)));
            }
        }
        let seconds = |field: &str, text: &str| {
            parse_seconds(text)
                .ok_or_else(|| error(&t.label, line, field, format!("`{}` is not a number of seconds", text)))
        };
        let created = seconds("creation_time", get(6))?;
        let deleted = seconds("deletion_time", get(7))?;
        let scheduled = t.scheduled.map(|i| rec.get(i).unwrap_or("")).filter(|s| !s.is_empty());
        let start = match scheduled {
            Some(s) => seconds("scheduled_time", s)?,
            None => created,
        };
        if start < created {
            return Err(error(&t.label, line, "scheduled_time", "scheduled_time is before creation_time".into()));
        }
        if deleted < start {
            let from = if scheduled.is_some() { "scheduled_time" } else { "creation_time" };
            return Err(error(&t.label, line, "deletion_time", format!("deletion_time is before {}", from)));
        }
        let duration = SimDuration(deleted.0 - start.0);
        let spec = specs
            .entry((cpu_m, memory, gpu, models.to_string()))
            .or_insert_with(|| Rc::new(trace_pod_spec(cpu_m, memory, gpu, models)))
            .clone();
        out.push(WorkloadPod {
            arrival: SimTime(created.0),
            name: name.into(),
            namespace: ns.clone(),
            cpu_m,
            memory,
            duration,
            spec,
            annotations: annotations.for_duration(duration),
        });
    }
    // The workload is created in arrival order; the trace is sorted by
    // name, which is creation order in the published files, but need not be.
    out.sort_by_key(|p| p.arrival);
    Ok(out)
}

/// The names of the full trace's two files in `cluster-trace-gpu-v2023/csv/`.
pub const FULL_TRACE_FILES: (&str, &str) = ("openb_node_list_all_node.csv", "openb_pod_list_default.csv");

/// A scenario replaying the trace in `dir` (its `FULL_TRACE_FILES`) on
/// its own nodes, seed 1, with no horizon of its own (run it to the last
/// task's end: `Scenario::workload` has every arrival and duration).
/// `None` when the files are not there.
pub fn full_trace_scenario(dir: &Path) -> Option<Result<super::Scenario, super::error::LoadErrors>> {
    let dir = dir.canonicalize().ok()?;
    let (nodes, pods) = (dir.join(FULL_TRACE_FILES.0), dir.join(FULL_TRACE_FILES.1));
    if !nodes.is_file() || !pods.is_file() {
        return None;
    }
    let yaml = format!(
        "name: alibaba-gpu-v2023\nseed: 1\ncluster: {{nodes: []}}\nworkloads:\n  - alibabaGpu2023: {{nodes: {:?}, pods: {:?}}}\n",
        FULL_TRACE_FILES.0, FULL_TRACE_FILES.1
    );
    Some(super::load_str(&yaml, "alibaba-gpu-v2023.yaml", &dir))
}

/// A trace pod's spec: `workload::trace_spec` with the GPU request and
/// the GPU models the pod accepts.
fn trace_pod_spec(cpu_m: u64, memory: u64, gpu_milli: u64, models: &str) -> PodSpec {
    let mut spec = workload::trace_spec(cpu_m, memory);
    if gpu_milli > 0 {
        let mut ext = Extended::default();
        ext.set(GPU_MILLI.into(), gpu_milli);
        let mut c = spec.containers[0].clone();
        c.extended = ext;
        spec.containers = Rc::from([c]);
    }
    let values: Vec<String> = models.split('|').filter(|m| !m.is_empty()).map(String::from).collect();
    if !values.is_empty() {
        spec.node_affinity = NodeAffinity {
            required: Some(vec![NodeSelectorTerm {
                match_expressions: vec![Requirement { key: LABEL_GPU_MODEL.into(), op: Op::In, values }],
                match_fields: vec![],
            }]),
            preferred: vec![],
        };
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory of this test's own under the system's temp dir.
    fn temp_dir(test: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("kubesim-alibaba-{}-{}", std::process::id(), test));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn nodes_and_pods_as_the_module_says() {
        let dir = temp_dir("parse");
        let nodes =
            write(&dir, "nodes.csv", "sn,cpu_milli,memory_mib,gpu,model\nn-0,32000,262144,0,\nn-1,96000,393216,8,G2\n");
        let n = read_nodes(&nodes, 110, "v1.32.0").expect("nodes");
        assert_eq!(n.len(), 2);
        assert!(n[0].status.extended.is_empty());
        assert_eq!(n[1].status.allocatable, Resources { cpu_m: 96_000, memory: 393_216 << 20, pods: 110 });
        assert_eq!(n[1].status.extended.get(GPU_MILLI), 8000);
        assert_eq!(n[1].meta.labels.get(LABEL_GPU_MODEL).map(String::as_str), Some("G2"));
        let pods = write(
            &dir,
            "pods.csv",
            "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
             p-1,6000,12288,1,460,,LS,Running,50,1050,60\n\
             p-0,12000,16384,2,1000,V100M16|V100M32,LS,Running,0,100,\n",
        );
        let p = read_pods(&pods, "default").expect("pods");
        assert_eq!(p.iter().map(|p| &*p.name).collect::<Vec<_>>(), ["p-0", "p-1"], "arrival order");
        assert_eq!(p[0].duration, SimDuration::from_secs(100), "no scheduled_time: from creation");
        assert_eq!(p[1].duration, SimDuration::from_secs(990), "from scheduled_time");
        assert_eq!(p[1].arrival, SimTime(SimDuration::from_secs(50).0));
        assert_eq!(p[0].spec.extended_requests().get(GPU_MILLI), 2000);
        assert_eq!(p[1].spec.extended_requests().get(GPU_MILLI), 460);
        let term = &p[0].spec.node_affinity.required.as_ref().expect("gpu_spec")[0];
        assert_eq!(term.match_expressions[0].values, ["V100M16", "V100M32"]);
        assert!(p[1].spec.node_affinity.required.is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever the rows hold, the readers answer with pods, nodes or
        /// an error naming a line: never a panic.
        #[test]
        fn readers_never_panic(rows in proptest::collection::vec("[-a-z0-9,.|\" ]{0,60}", 0..6)) {
            let dir = temp_dir("fuzz");
            let pod_head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time";
            let p = write(&dir, "pods.csv", &format!("{}\n{}\n", pod_head, rows.join("\n")));
            if let Err(e) = read_pods(&p, "default") {
                proptest::prop_assert!(e.pos.is_some(), "{}", e);
            }
            let n = write(&dir, "nodes.csv", &format!("sn,cpu_milli,memory_mib,gpu,model\n{}\n", rows.join("\n")));
            if let Err(e) = read_nodes(&n, 110, "v1.32.0") {
                proptest::prop_assert!(e.pos.is_some(), "{}", e);
            }
        }
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let dir = temp_dir("errors");
        let head = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n";
        for (row, field, message) in [
            ("p,1,1,1,1,,LS,Running,0,10,x\n", "scheduled_time", "not a number of seconds"),
            ("p,1,1,1,1,,LS,Running,20,10,\n", "deletion_time", "before creation_time"),
            ("p,1,1,1,1,,LS,Running,0,10,11\n", "deletion_time", "before scheduled_time"),
            ("p,-1,1,1,1,,LS,Running,0,10,\n", "cpu_milli", "not a whole number"),
            ("p,1,1,1,1500,,LS,Running,0,10,\n", "gpu_milli", "more than one GPU"),
            ("P_1,1,1,1,1,,LS,Running,0,10,\n", "name", "Invalid value"),
            ("p,9223372036854775808,1,1,1,,LS,Running,0,10,\n", "cpu_milli", "too large"),
            ("p,1,9000000000000,1,1,,LS,Running,0,10,\n", "memory_mib", "too large"),
            ("p,1,1,1,1,,LS,Running,10,20,5\n", "scheduled_time", "before creation_time"),
        ] {
            let p = write(&dir, "pods.csv", &format!("{}{}", head, row));
            let e = read_pods(&p, "default").expect_err(row);
            assert_eq!((e.field.as_str(), e.pos.map(|p| p.line)), (field, Some(2)), "{row}");
            assert!(e.message.contains(message), "{row}: {}", e.message);
        }
        let p = write(&dir, "nodes.csv", "sn,cpu_milli,memory_mib,gpu\nn,1,1,1\n");
        let e = read_nodes(&p, 110, "v1.32.0").expect_err("no model column");
        assert_eq!((e.field.as_str(), e.pos.map(|p| p.line)), ("model", Some(1)));
        // An empty line is skipped, and lines are still counted right.
        let p = write(&dir, "nodes.csv", "sn,cpu_milli,memory_mib,gpu,model\nn,1,1,1,\n\nn,1,1,1,\n");
        let e = read_nodes(&p, 110, "v1.32.0").expect_err("duplicate");
        assert_eq!((e.field.as_str(), e.pos.map(|p| p.line)), ("sn", Some(4)));
        let p = write(&dir, "nodes.csv", "sn,cpu_milli,memory_mib,gpu,model\nn,1,1,9223372036854775807,\n");
        let e = read_nodes(&p, 110, "v1.32.0").expect_err("gpu × 1000 overflows");
        assert_eq!(e.field, "gpu");
    }
}
