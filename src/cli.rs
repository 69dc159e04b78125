//! The `kubesim` command line: parse arguments, call the library, print.
//!
//! `main_with(registry)` is the whole CLI with a registry of components:
//! the `kubesim` binary passes the built-ins only; a user's own binary
//! passes its controllers and schedulers, which its scenarios then select
//! under `cluster.controllers` and `cluster.schedulers`:
//!
//! ```no_run
//! use kubesim::component::{Controller, Registry};
//! # struct MyAutoscaler;
//! # impl Controller for MyAutoscaler { fn watches(&self) -> Vec<kubesim::objects::Kind> { vec![] } }
//! fn main() -> std::process::ExitCode {
//!     kubesim::cli::main_with(Registry::new().controller("my-autoscaler", || MyAutoscaler))
//! }
//! ```

use crate::component::{Registry, Selection};
use crate::objects::duration::parse_duration;
use crate::objects::selector::Selector;
use crate::objects::Kind;
use crate::report::{csv as report_csv, kubectl, manifest as report_manifest, timeline, yaml_out};
use crate::runner::{self, RunOptions};
use crate::scenario::{self, limits, Scenario};
use crate::sim::{SimDuration, SimTime};
use clap::{Parser, Subcommand};
use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "kubesim", version, about = "A deterministic discrete-event simulator of a Kubernetes cluster")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// With `get`, `describe` and `logs`: print `trace-hash: <hex>` of the
    /// run they read on stderr (what `kubesim run --until TIME` prints), to
    /// show that every view reads the same run.
    #[arg(long, global = true)]
    print_hash: bool,
}

/// `--print-hash`, a process-wide output option (like a verbosity level),
/// read where `get`, `describe` and `logs` run their scenario.
static PRINT_HASH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

thread_local! {
    /// The components this binary was built with (`main_with`).
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::new());
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario: timeline, summary, expectation verdicts, trace hash.
    Run {
        scenario: PathBuf,
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this virtual time (default: the scenario's duration).
        #[arg(long)]
        until: Option<String>,
        /// Write every trace record as JSON lines to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Write timeseries.csv and pods.csv into this directory.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Sampling interval of timeseries.csv.
        #[arg(long, default_value = "10s")]
        sample: String,
        /// Print only the verdicts and the trace hash.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Show objects as `kubectl get` would at a virtual time (`-o wide`,
    /// `-o json`, `-o yaml`):
    /// `kubesim get KIND [NAME] --at TIME SCENARIO`.
    Get {
        /// pods, nodes, rc or rs
        kind: String,
        /// NAME, or SCENARIO when no name is given
        first: String,
        /// SCENARIO, when a NAME was given
        second: Option<String>,
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(short = 'o', long)]
        output: Option<String>,
        #[arg(short = 'l', long)]
        selector: Option<String>,
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        #[arg(short = 'A', long)]
        all_namespaces: bool,
    },
    /// An object as `kubectl describe` shows it at a virtual time:
    /// `kubesim describe pod|node|rc|rs NAME --at TIME SCENARIO`.
    Describe {
        /// pod, node, rc or rs
        kind: String,
        name: String,
        scenario: PathBuf,
        #[arg(long)]
        at: Option<String>,
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// A container's log at a virtual time, as `kubectl logs` shows it:
    /// `kubesim logs POD [-c CONTAINER] [--previous] --at TIME SCENARIO`.
    Logs {
        pod: String,
        scenario: PathBuf,
        #[arg(long)]
        at: Option<String>,
        #[arg(short = 'c', long)]
        container: Option<String>,
        #[arg(short = 'p', long)]
        previous: bool,
        #[arg(short = 'n', long, default_value = "default")]
        namespace: String,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Load and check a scenario without running it.
    Validate { scenario: PathBuf },
}

/// An error that ends the command: message and exit code.
struct Fail(String, u8);

/// The `kubesim` command line with `registry`'s components available to
/// scenarios. Returns the process exit code (0 ok, 1 an expectation
/// failed, 2 bad input).
pub fn main_with(registry: Registry) -> ExitCode {
    REGISTRY.with(|r| *r.borrow_mut() = registry);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    PRINT_HASH.store(cli.print_hash, std::sync::atomic::Ordering::Relaxed);
    let result = match cli.cmd {
        Cmd::Run { scenario, seed, until, trace, csv, sample, quiet } => {
            cmd_run(&scenario, seed, until, trace, csv, &sample, quiet)
        }
        Cmd::Get { kind, first, second, at, seed, output, selector, namespace, all_namespaces } => {
            let args: Vec<String> = [Some(kind), Some(first), second].into_iter().flatten().collect();
            cmd_get(&args, at, seed, output, selector, &namespace, all_namespaces)
        }
        Cmd::Describe { kind, name, scenario, at, namespace, seed } => {
            cmd_describe(&kind, &name, &scenario, at, &namespace, seed)
        }
        Cmd::Logs { pod, scenario, at, container, previous, namespace, seed } => {
            cmd_logs(&pod, &scenario, at, container, previous, &namespace, seed)
        }
        Cmd::Validate { scenario } => load(&scenario).map(|(s, _)| {
            for w in &s.warnings {
                eprintln!("{}", w);
            }
            println!(
                "{}: valid ({} nodes, {} objects, {} timeline entries, {} expectations, {} workload pods)",
                scenario.display(),
                s.nodes.len(),
                s.objects.len(),
                s.timeline.len(),
                s.expect.len(),
                s.workload.len()
            );
            0
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Fail(msg, code)) => {
            eprintln!("{}", msg);
            ExitCode::from(code)
        }
    }
}

/// Loads a scenario and resolves the components it names.
fn load(path: &Path) -> Result<(Scenario, Selection), Fail> {
    let scn = scenario::load(path).map_err(|e| Fail(e.to_string(), 2))?;
    let sel = REGISTRY.with(|r| scn.select(&r.borrow())).map_err(|e| Fail(e.to_string(), 2))?;
    Ok((scn, sel))
}

/// A `--until`/`--at` time, at most `limits::MAX_HORIZON`.
fn time_arg(flag: &str, s: &str) -> Result<SimTime, Fail> {
    let d = parse_duration(s).map_err(|e| Fail(format!("error: --{}: {}", flag, e), 2))?;
    if d > limits::MAX_HORIZON {
        return Err(Fail(format!("error: --{}: must be at most {} (the longest run)", flag, limits::MAX_HORIZON), 2));
    }
    Ok(SimTime(d.0))
}

/// Loads a scenario and runs it to `--at` (default: its horizon) with
/// `--seed` or the scenario's own seed: what `get`, `logs` and `describe`
/// read their answer from.
fn run_until(path: &Path, at: Option<String>, seed: Option<u64>, keep_events: bool) -> Result<runner::RunResult, Fail> {
    let (scn, sel) = load(path)?;
    let at = at.map(|a| time_arg("at", &a)).transpose()?;
    let (seed, drawn) = pick_seed(seed, &scn);
    if drawn {
        // On stderr, so the table on stdout stays what kubectl would print.
        eprintln!("seed: {} (drawn; pass --seed to repeat)", seed);
    }
    let until = Some(at.unwrap_or_else(|| runner::horizon(&scn)));
    let res = runner::run(
        &scn,
        RunOptions { seed: Some(seed), until, keep_events, selection: Some(&sel), ..Default::default() },
    );
    if PRINT_HASH.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("trace-hash: {}", res.trace_hash);
    }
    Ok(res)
}

/// The seed: the flag, else the scenario's, else one drawn from the clock
/// (outside the simulation) and printed so the run can be repeated.
fn pick_seed(flag: Option<u64>, scn: &Scenario) -> (u64, bool) {
    if let Some(s) = flag.or(scn.seed) {
        return (s, false);
    }
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    (nanos % 1_000_000_007, true)
}

fn io_fail(what: &Path, e: std::io::Error) -> Fail {
    Fail(format!("error: {}: {}", what.display(), e), 2)
}

fn cmd_run(
    path: &Path,
    seed: Option<u64>,
    until: Option<String>,
    trace: Option<PathBuf>,
    csv_dir: Option<PathBuf>,
    sample: &str,
    quiet: bool,
) -> Result<u8, Fail> {
    let (scn, sel) = load(path)?;
    let until = until.map(|u| time_arg("until", &u)).transpose()?;
    let sample = parse_duration(sample).map_err(|e| Fail(format!("error: --sample: {}", e), 2))?;
    if sample < limits::MIN_SAMPLE_INTERVAL {
        return Err(Fail(format!("error: --sample: must be at least {}", limits::MIN_SAMPLE_INTERVAL), 2));
    }
    if csv_dir.is_some() {
        // One timeseries row per sample: bound their number.
        let horizon = until.unwrap_or_else(|| runner::horizon(&scn));
        let samples = horizon.0 / sample.0;
        if samples > limits::MAX_SAMPLES {
            return Err(Fail(
                format!(
                    "error: --sample: {} samples over {} is more than the limit of {}; sample less often",
                    samples,
                    SimDuration(horizon.0),
                    limits::MAX_SAMPLES
                ),
                2,
            ));
        }
    }
    let (seed, drawn) = pick_seed(seed, &scn);
    for w in &scn.warnings {
        eprintln!("{}", w);
    }
    let mut out = std::io::stdout().lock();
    if drawn || !quiet {
        let _ = writeln!(
            out,
            "scenario: {}  seed: {}{}",
            scn.name,
            seed,
            if drawn { " (drawn; pass --seed to repeat)" } else { "" }
        );
    }
    let jsonl: Option<Box<dyn Write>> = match &trace {
        Some(p) => Some(Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| io_fail(p, e))?))),
        None => None,
    };
    let mut ts: Vec<u8> = Vec::new();
    let mut sampler = |t: SimTime, s: &crate::report::observe::ClusterStats| {
        let _ = report_csv::timeseries_row(&mut ts, t, s);
    };
    let opts = RunOptions {
        seed: Some(seed),
        until,
        keep_events: !quiet,
        jsonl,
        sample: csv_dir.as_ref().map(|_| (sample, &mut sampler as &mut dyn FnMut(_, &_))),
        pod_times: csv_dir.is_some(),
        selection: Some(&sel),
    };
    let mut res = runner::run(&scn, opts);
    if let Some(e) = res.sim.trace.take_io_error() {
        return Err(Fail(format!("error: writing the trace: {}", e), 2));
    }
    if let Some(dir) = &csv_dir {
        std::fs::create_dir_all(dir).map_err(|e| io_fail(dir, e))?;
        let mut data = format!("{}\n", report_csv::TIMESERIES_HEADER).into_bytes();
        data.extend_from_slice(&ts);
        let p = dir.join("timeseries.csv");
        std::fs::write(&p, data).map_err(|e| io_fail(&p, e))?;
        let p = dir.join("pods.csv");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).map_err(|e| io_fail(&p, e))?);
        report_csv::write_pods(&mut f, res.sim.observers.pod_times()).map_err(|e| io_fail(&p, e))?;
    }
    let sim = &res.sim;
    if !quiet {
        let _ = write!(out, "{}", timeline::render_events(sim.trace.events(), &sim.user_errors));
        let s = &sim.observers.stats;
        let ready = sim.store.nodes.values().filter(|n| n.is_ready()).count();
        let terminating = sim.store.pods.values().filter(|p| p.meta.deletion_timestamp.is_some()).count();
        let _ = writeln!(
            out,
            "\nsummary at {}: nodes {} ({} Ready); pods {} (Pending {}, Running {}, Succeeded {}, Failed {}; Terminating {}); {} events, {} trace records",
            sim.now(),
            sim.store.nodes.len(),
            ready,
            sim.store.pods.len(),
            s.pods_pending,
            s.pods_running,
            s.pods_succeeded,
            s.pods_failed,
            terminating,
            sim.events_processed(),
            sim.trace.record_count()
        );
    } else {
        for u in &sim.user_errors {
            let _ = writeln!(out, "{} {}", u.time, u.message);
        }
    }
    if !scn.expect.is_empty() {
        let _ = writeln!(out, "\nexpectations:");
    }
    for (e, v) in scn.expect.iter().zip(&res.verdicts) {
        match v {
            Some(v) if v.passed => {
                let _ = writeln!(out, "  PASS  {} (found {})", e, v.found);
            }
            Some(v) => {
                let shown: Vec<&str> = v.names.iter().take(10).map(String::as_str).collect();
                let more =
                    if v.names.len() > 10 { format!(", … {} more", v.names.len() - 10) } else { String::new() };
                let _ =
                    writeln!(out, "  FAIL  {} (line {}): found {} [{}{}]", e, e.line, v.found, shown.join(", "), more);
            }
            None => {
                let _ = writeln!(out, "  SKIP  {} (after the horizon {})", e, sim.now());
            }
        }
    }
    let failed = res.failed();
    let _ = writeln!(out, "trace-hash: {}", res.trace_hash);
    res.sim.trace.flush();
    Ok(if failed > 0 { 1 } else { 0 })
}

fn cmd_get(
    args: &[String],
    at: Option<String>,
    seed: Option<u64>,
    output: Option<String>,
    selector: Option<String>,
    namespace: &str,
    all_namespaces: bool,
) -> Result<u8, Fail> {
    let (kind_s, name, path) = match args {
        [k, p] => (k, None, p),
        [k, n, p] => (k, Some(n.clone()), p),
        _ => return Err(Fail("usage: kubesim get KIND [NAME] --at TIME SCENARIO".into(), 2)),
    };
    let Some(kind) = Kind::from_cli(kind_s)
        .filter(|k| matches!(k, Kind::Pod | Kind::Node | Kind::ReplicationController | Kind::ReplicaSet | Kind::Lease))
    else {
        return cmd_get_stored(kind_s, name, path, at, seed, output, selector, namespace, all_namespaces);
    };
    let (wide, structured) = output_format(output.as_deref())?;
    let sel = selector.as_deref().map(Selector::parse).transpose().map_err(|e| Fail(format!("error: -l: {}", e), 2))?;
    let res = run_until(Path::new(path), at, seed, false)?;
    let store = &res.sim.store;
    let now = res.sim.now();
    let ns_ok = |ns: &str| all_namespaces || ns == namespace;
    let name_ok = |n: &str| name.as_deref().is_none_or(|x| x == n);
    let sel_ok = |l: &crate::objects::selector::Labels| sel.as_ref().is_none_or(|s| s.matches(l));
    // Select once, in kubectl's order (namespace, then name).
    let mut pods: Vec<&crate::objects::pod::Pod> = Vec::new();
    let mut nodes: Vec<&crate::objects::node::Node> = Vec::new();
    let mut sets: Vec<&crate::objects::replicaset::ReplicaSet> = Vec::new();
    let mut leases: Vec<&crate::objects::lease::Lease> = Vec::new();
    // What matches the flags (nodes have no namespace), in kubectl's order.
    let keep = |m: &crate::objects::meta::ObjectMeta| {
        (m.namespace.is_empty() || ns_ok(&m.namespace)) && name_ok(&m.name) && sel_ok(&m.labels)
    };
    match kind {
        Kind::Pod => pods = select_sorted(store.pods.values(), |p| &p.meta, keep),
        Kind::Node => nodes = select_sorted(store.nodes.values(), |n| &n.meta, keep),
        Kind::Lease => leases = select_sorted(store.leases.values(), |l| &l.meta, keep),
        _ => {
            let of_kind = store.replicasets.values().filter(|r| Kind::from_replica(r.kind) == kind);
            sets = select_sorted(of_kind, |r| &r.meta, keep);
        }
    }
    let found = pods.len() + nodes.len() + sets.len() + leases.len();
    if let Some(format) = structured {
        if found == 0 && name.is_some() {
            return Err(Fail(
                format!("Error from server (NotFound): {} \"{}\" not found", kind_s, name.unwrap_or_default()),
                1,
            ));
        }
        let mut items: Vec<serde_json::Value> = pods.iter().map(|p| report_manifest::pod(p)).collect();
        items.extend(nodes.iter().map(|n| report_manifest::node(n)));
        items.extend(sets.iter().map(|r| report_manifest::replica_set(r)));
        items.extend(leases.iter().map(|l| report_manifest::lease(l, now)));
        let value =
            if name.is_some() && items.len() == 1 { items.pop().expect("one") } else { report_manifest::list(items) };
        print_structured(format, &value);
        return Ok(0);
    }
    let text = (found > 0).then(|| match kind {
        Kind::Pod => kubectl::pods_table(&pods, now, wide, all_namespaces),
        Kind::Node => kubectl::nodes_table(&nodes, now, wide),
        Kind::Lease => kubectl::leases_table(&leases, now, all_namespaces),
        _ => kubectl::replicasets_table(&sets, now, wide, all_namespaces),
    });
    match (text, name) {
        (Some(t), _) => {
            print!("{}", t);
            Ok(0)
        }
        (None, Some(n)) => Err(Fail(format!("Error from server (NotFound): {} \"{}\" not found", kind_s, n), 1)),
        (None, None) => {
            if kind.namespaced() && !all_namespaces {
                eprintln!("No resources found in {} namespace.", namespace);
            } else {
                eprintln!("No resources found");
            }
            Ok(0)
        }
    }
}

/// The objects whose metadata `keep` accepts, sorted by namespace and name.
fn select_sorted<'a, T: 'a>(
    objs: impl Iterator<Item = &'a std::rc::Rc<T>>,
    meta: impl Fn(&T) -> &crate::objects::meta::ObjectMeta,
    keep: impl Fn(&crate::objects::meta::ObjectMeta) -> bool,
) -> Vec<&'a T> {
    let mut v: Vec<&T> = objs.map(|o| o.as_ref()).filter(|o| keep(meta(o))).collect();
    v.sort_by(|a, b| (&meta(a).namespace, &meta(a).name).cmp(&(&meta(b).namespace, &meta(b).name)));
    v
}

/// `-o`: whether wide, and which structured format (json or yaml).
fn output_format(output: Option<&str>) -> Result<(bool, Option<&str>), Fail> {
    match output {
        None => Ok((false, None)),
        Some("wide") => Ok((true, None)),
        Some(f @ ("json" | "yaml")) => Ok((false, Some(f))),
        Some(o) => Err(Fail(format!("error: unable to match a printer for -o {} (supported: wide, json, yaml)", o), 2)),
    }
}

/// Prints one object, or a List of several, as `-o json|yaml`.
fn print_structured(format: &str, value: &serde_json::Value) {
    match format {
        "json" => println!("{}", serde_json::to_string_pretty(value).unwrap_or_default()),
        _ => print!("{}", yaml_out::to_yaml(value)),
    }
}

/// `get` of a kind kubesim stores without simulating it (built-in or
/// defined by a CustomResourceDefinition the scenario applied), and of
/// namespaces.
#[allow(clippy::too_many_arguments)]
fn cmd_get_stored(
    kind_s: &str,
    name: Option<String>,
    path: &str,
    at: Option<String>,
    seed: Option<u64>,
    output: Option<String>,
    selector: Option<String>,
    namespace: &str,
    all_namespaces: bool,
) -> Result<u8, Fail> {
    let (_, structured) = output_format(output.as_deref())?;
    let sel = selector.as_deref().map(Selector::parse).transpose().map_err(|e| Fail(format!("error: -l: {}", e), 2))?;
    let res = run_until(Path::new(path), at, seed, false)?;
    let store = &res.sim.store;
    let now = res.sim.now();
    // The types the apiserver serves at that time: the built-ins and what
    // the CustomResourceDefinitions stored by then define.
    let mut types = crate::objects::resource::ResourceTypes::default();
    for u in store.others.values().filter(|u| u.kind == "CustomResourceDefinition") {
        let _ = types.add_crd(&u.meta.name, &u.body);
    }
    let Some(t) = types.resolve(kind_s).cloned() else {
        return Err(Fail(format!("error: the server doesn't have a resource type \"{}\"", kind_s), 2));
    };
    let name_ok = |n: &str| name.as_deref().is_none_or(|x| x == n);
    let sel_ok = |l: &crate::objects::selector::Labels| sel.as_ref().is_none_or(|s| s.matches(l));
    let ns_ok = |ns: &str| !t.namespaced || all_namespaces || ns == namespace;
    let mut metas: Vec<&crate::objects::meta::ObjectMeta> = Vec::new();
    let mut values: Vec<serde_json::Value> = Vec::new();
    if t.kind == "Namespace" {
        for n in store.namespaces.values().filter(|n| name_ok(&n.meta.name) && sel_ok(&n.meta.labels)) {
            metas.push(&n.meta);
            values.push(report_manifest::namespace(n));
        }
    } else if t.simulated {
        return Err(Fail(format!("error: get {} is not supported yet", t), 2));
    } else {
        let mut found: Vec<&crate::objects::Unstructured> = store
            .others
            .values()
            .filter(|u| u.kind == t.kind && ns_ok(&u.meta.namespace) && name_ok(&u.meta.name) && sel_ok(&u.meta.labels))
            .map(|u| u.as_ref())
            .collect();
        found.sort_by(|a, b| (&a.meta.namespace, &a.meta.name).cmp(&(&b.meta.namespace, &b.meta.name)));
        for u in found {
            metas.push(&u.meta);
            values.push(report_manifest::unstructured(u));
        }
    }
    // kubectl's order: namespace, then name (the objects' order too).
    let mut order: Vec<usize> = (0..metas.len()).collect();
    order.sort_by(|&a, &b| (&metas[a].namespace, &metas[a].name).cmp(&(&metas[b].namespace, &metas[b].name)));
    let metas: Vec<&crate::objects::meta::ObjectMeta> = order.iter().map(|&i| metas[i]).collect();
    let mut values: Vec<serde_json::Value> = order.iter().map(|&i| values[i].clone()).collect();
    if metas.is_empty() {
        if let Some(n) = &name {
            return Err(Fail(format!("Error from server (NotFound): {} \"{}\" not found", t, n), 1));
        }
        if t.namespaced && !all_namespaces {
            eprintln!("No resources found in {} namespace.", namespace);
        } else {
            eprintln!("No resources found");
        }
        return Ok(0);
    }
    if let Some(format) = structured {
        let value = if name.is_some() && values.len() == 1 {
            values.pop().expect("one")
        } else {
            report_manifest::list(values)
        };
        print_structured(format, &value);
        return Ok(0);
    }
    if t.kind == "Namespace" {
        print!("{}", kubectl::namespaces_table(&metas, now));
    } else {
        let rows: Vec<(&crate::objects::meta::ObjectMeta, bool)> = metas.iter().map(|m| (*m, t.namespaced)).collect();
        print!("{}", kubectl::stored_table(&rows, now, all_namespaces, t.kind == "CustomResourceDefinition"));
        if is_builtin(&t) {
            eprintln!("({} is stored but not simulated: only NAME and AGE are shown)", t);
        }
    }
    Ok(0)
}

/// Whether a stored type is one of Kubernetes' own (kubectl would print
/// its own columns for it, which kubesim does not reproduce).
fn is_builtin(t: &crate::objects::resource::ResourceType) -> bool {
    t.kind != "CustomResourceDefinition"
        && crate::objects::resource::ResourceTypes::default().by_kind(&t.kind).is_some_and(|b| b.group == t.group)
}

fn cmd_logs(
    pod: &str,
    path: &Path,
    at: Option<String>,
    container: Option<String>,
    previous: bool,
    namespace: &str,
    seed: Option<u64>,
) -> Result<u8, Fail> {
    let res = run_until(path, at, seed, true)?;
    let sim = &res.sim;
    let pod_name = pod.strip_prefix("pod/").unwrap_or(pod);
    let Some(p) = sim.store.pod(&crate::objects::store::Key::new(namespace, pod_name)) else {
        return Err(Fail(format!("Error from server (NotFound): pods \"{}\" not found", pod_name), 1));
    };
    let idx = match &container {
        None => 0,
        Some(c) => p
            .spec
            .containers
            .iter()
            .position(|x| *x.name == **c)
            .ok_or_else(|| Fail(format!("error: container {} is not valid for pod {}", c, pod_name), 1))?,
    };
    let cname = &p.spec.containers[idx].name;
    let lines = p
        .node_name()
        .and_then(|n| sim.kubelets().iter().find(|k| &*k.name == n))
        .and_then(|k| k.logs(p.meta.uid, idx, previous, sim.now()));
    match lines {
        Some(lines) => {
            for l in lines {
                println!("{}", l);
            }
            Ok(0)
        }
        None if previous => Err(Fail(
            format!(
                "Error from server (BadRequest): previous terminated container \"{}\" in pod \"{}\" not found",
                cname, pod_name
            ),
            1,
        )),
        None => Err(Fail(
            format!(
                "Error from server (BadRequest): container \"{}\" in pod \"{}\" is waiting to start",
                cname, pod_name
            ),
            1,
        )),
    }
}

fn cmd_describe(
    kind: &str,
    name: &str,
    path: &Path,
    at: Option<String>,
    namespace: &str,
    seed: Option<u64>,
) -> Result<u8, Fail> {
    use crate::objects::replicaset::ReplicaKind;
    use crate::report::describe;
    let k = Kind::from_cli(kind);
    if !matches!(k, Some(Kind::Pod | Kind::Node | Kind::ReplicationController | Kind::ReplicaSet)) {
        return Err(Fail(format!("error: describe {} is not supported yet (supported: pod, node, rc, rs)", kind), 2));
    }
    let res = run_until(path, at, seed, true)?;
    let sim = &res.sim;
    let key = crate::objects::store::Key::new(namespace, name);
    let not_found = |res: &str| Fail(format!("Error from server (NotFound): {} \"{}\" not found", res, name), 1);
    let (events, now) = (sim.trace.events(), sim.now());
    let text = match k {
        Some(Kind::Node) => {
            let n = sim.store.nodes.get(name).ok_or_else(|| not_found("nodes"))?;
            let pods = sim.store.pods_on_node(name);
            describe::describe_node(n, sim.store.node_lease(name).map(|l| &**l), &pods, events, now)
        }
        Some(Kind::ReplicationController | Kind::ReplicaSet) => {
            let (rk, res) = match k {
                Some(Kind::ReplicaSet) => (ReplicaKind::ReplicaSet, "replicasets.apps"),
                _ => (ReplicaKind::ReplicationController, "replicationcontrollers"),
            };
            let r = sim.store.replica_set(rk, &key).ok_or_else(|| not_found(res))?;
            let pods: Vec<_> = sim.store.pods.values().filter(|p| *p.meta.namespace == *namespace).cloned().collect();
            describe::describe_replica_set(r, &pods, events, now)
        }
        _ => describe::describe_pod(sim.store.pod(&key).ok_or_else(|| not_found("pods"))?, events, now),
    };
    print!("{}", text);
    Ok(0)
}
