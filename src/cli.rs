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

/// How the sweep's worker threads build their registries (`main_with_fn`).
static REGISTRY_FN: std::sync::OnceLock<fn() -> Registry> = std::sync::OnceLock::new();

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
        /// Write timeseries.csv, pods.csv, summary.csv and the run's charts
        /// (pods.svg, requested.svg, sched_latency_cdf.svg) into this directory.
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
    /// `-o json`, `-o yaml`, `--show-labels`, `-L KEY`), or at every
    /// `--every` from `--from` to `--until` in one run:
    /// `kubesim get KIND [NAME] --at TIME SCENARIO`.
    Get {
        /// pods, nodes, rc, rs, leases, namespaces, events, all, or a
        /// stored kind
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
        /// A LABELS column last.
        #[arg(long)]
        show_labels: bool,
        /// A column per label key (repeatable, or comma-separated).
        #[arg(short = 'L', long = "label-columns")]
        label_columns: Vec<String>,
        /// With `get events`: `involvedObject.name=…`, `type=Warning`, …
        #[arg(long)]
        field_selector: Option<String>,
        /// Snapshots: the first instant (default 0s).
        #[arg(long)]
        from: Option<String>,
        /// Snapshots: the last instant (default: the scenario's horizon).
        #[arg(long)]
        until: Option<String>,
        /// Snapshots: one table every this long, all from one run.
        #[arg(long)]
        every: Option<String>,
    },
    /// An object as `kubectl describe` shows it at a virtual time:
    /// `kubesim describe pod|node|rc|rs|svc|deploy|ds|job|cronjob NAME --at TIME SCENARIO`.
    Describe {
        /// pod, node, rc, rs, svc, deploy, ds, job or cronjob
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
    /// A Deployment's rollout at a virtual time, as `kubectl rollout status
    /// --watch=false` and `kubectl rollout history [--revision N]` show it:
    /// `kubesim rollout status|history deployment/NAME --at TIME SCENARIO`.
    Rollout {
        /// status or history
        action: String,
        /// deployment/NAME
        target: String,
        scenario: PathBuf,
        #[arg(long)]
        at: Option<String>,
        /// With history: the pod template of this revision.
        #[arg(long)]
        revision: Option<i64>,
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
    /// Run a scenario over the product of parameter values × seeds, in
    /// parallel, writing DIR/sweep.csv (one row per run, its summary
    /// metrics or its error).
    Sweep {
        scenario: PathBuf,
        /// PATH=V1,V2,… : a dotted path into the scenario (`[i]` for list
        /// items) and the values it takes. Repeatable.
        #[arg(long = "set", required = true)]
        sets: Vec<String>,
        /// Seeds 1..N for each combination of values.
        #[arg(long, default_value_t = 1)]
        seeds: u64,
        /// Worker threads (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only the runs numbered I modulo N (0 <= I < N); default:
        /// JOB_COMPLETION_INDEX / KUBESIM_SHARDS from the environment when
        /// both are set (an Indexed Job's pod), else every run.
        #[arg(long)]
        shard: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// The smallest node count (of the scenario's first node group) for
    /// which the workload meets an SLO on at least 90 % of the seeds.
    Plan {
        scenario: PathBuf,
        /// The node shape: cpu=64,memory=128Gi[,pods=110].
        #[arg(long)]
        node: String,
        /// pending-p99<=DURATION, startup-p99<=DURATION,
        /// max-pending<=DURATION or no-failed-pods.
        #[arg(long)]
        slo: String,
        /// Seeds 1..N per node count.
        #[arg(long, default_value_t = 11)]
        seeds: u64,
        /// K nodes (chosen by the seed) crash at --fail-at.
        #[arg(long, default_value_t = 0)]
        survive_failures: usize,
        /// When they crash (default: the workload's middle arrival).
        #[arg(long)]
        fail_at: Option<String>,
        /// The largest node count to try.
        #[arg(long, default_value_t = 10_000)]
        max_nodes: u64,
        /// Worker threads (default: the machine's cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Write plan.svg (the SLO figure per node count tried) here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Join the sweep.csv files of a sharded sweep into the one a single
    /// machine writes.
    SweepMerge {
        /// The shards' output directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// An error that ends the command: message and exit code.
struct Fail(String, u8);

/// `main_with` for a registry that a function builds: the same CLI, and
/// `sweep`'s worker threads (each runs its own simulations) build theirs
/// with `make` too, so a parallel sweep can run your components. With
/// `main_with(registry)`, a sweep's workers know only the built-ins.
pub fn main_with_fn(make: fn() -> Registry) -> ExitCode {
    let _ = REGISTRY_FN.set(make);
    main_with(make())
}

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
        Cmd::Get {
            kind,
            first,
            second,
            at,
            seed,
            output,
            selector,
            namespace,
            all_namespaces,
            show_labels,
            label_columns,
            field_selector,
            from,
            until,
            every,
        } => {
            let (name, path) = match second {
                Some(p) => (Some(first), p),
                None => (None, first),
            };
            let q = GetQuery {
                kind,
                name,
                output,
                selector,
                namespace,
                all_namespaces,
                show_labels,
                label_columns,
                field_selector,
            };
            cmd_get(q, Path::new(&path), at, seed, Snapshots { from, until, every })
        }
        Cmd::Describe { kind, name, scenario, at, namespace, seed } => {
            cmd_describe(&kind, &name, &scenario, at, &namespace, seed)
        }
        Cmd::Rollout { action, target, scenario, at, revision, namespace, seed } => {
            cmd_rollout(&action, &target, &scenario, at, revision, &namespace, seed)
        }
        Cmd::Logs { pod, scenario, at, container, previous, namespace, seed } => {
            cmd_logs(&pod, &scenario, at, container, previous, &namespace, seed)
        }
        Cmd::Sweep { scenario, sets, seeds, jobs, shard, out } => cmd_sweep(scenario, &sets, seeds, jobs, shard, &out),
        Cmd::Plan { scenario, node, slo, seeds, survive_failures, fail_at, max_nodes, jobs, out } => {
            cmd_plan(scenario, &node, &slo, seeds, survive_failures, fail_at, max_nodes, jobs, out)
        }
        Cmd::SweepMerge { dirs, out } => crate::sweep::merge(&dirs).map_err(|e| Fail(e, 2)).and_then(|(h, rows)| {
            crate::sweep::write_csv(&out, &h, &rows).map_err(|e| io_fail(&out, e))?;
            let sets = crate::sweep::sets_of(&h, &rows);
            crate::sweep::write_charts(&out, &h, &rows, &sets).map_err(|e| io_fail(&out, e))?;
            eprintln!(
                "sweep-merge: {} runs from {} shards into {}",
                rows.len(),
                dirs.len(),
                out.join("sweep.csv").display()
            );
            Ok(0)
        }),
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

/// `kubesim sweep`: exit 0 when every run completed, 1 when some failed,
/// 2 on invalid input.
fn cmd_sweep(
    scenario: PathBuf,
    sets: &[String],
    seeds: u64,
    jobs: Option<usize>,
    shard: Option<String>,
    out: &Path,
) -> Result<u8, Fail> {
    use crate::sweep::{parse_set, parse_shard, write_csv, Sweep};
    let sets = sets
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Fail(format!("error: {}", e), 2))?;
    if seeds == 0 {
        return Err(Fail("error: --seeds must be at least 1".into(), 2));
    }
    let shard = match shard {
        Some(s) => Some(parse_shard(&s).map_err(|e| Fail(format!("error: {}", e), 2))?),
        None => match (std::env::var("JOB_COMPLETION_INDEX"), std::env::var("KUBESIM_SHARDS")) {
            (Ok(i), Ok(n)) => Some(
                parse_shard(&format!("{}/{}", i, n))
                    .map_err(|e| Fail(format!("error: JOB_COMPLETION_INDEX/KUBESIM_SHARDS: {}", e), 2))?,
            ),
            _ => None,
        },
    };
    let sweep = Sweep { scenario, sets, seeds, shard };
    sweep.validate().map_err(|e| Fail(e, 2))?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let make = REGISTRY_FN.get().copied().unwrap_or(Registry::new);
    let (rows, failed) = sweep.execute(jobs, make);
    write_csv(out, &sweep.header(), &rows).map_err(|e| io_fail(out, e))?;
    crate::sweep::write_charts(out, &sweep.header(), &rows, &sweep.sets).map_err(|e| io_fail(out, e))?;
    Ok(if failed > 0 { 1 } else { 0 })
}

/// `kubesim plan`: prints the evidence per count tried, then
/// `minimum nodes: N`; exit 0 when a count passed, 1 when none up to
/// `--max-nodes` did, 2 on invalid input.
#[allow(clippy::too_many_arguments)]
fn cmd_plan(
    scenario: PathBuf,
    node: &str,
    slo: &str,
    seeds: u64,
    failures: usize,
    fail_at: Option<String>,
    max_nodes: u64,
    jobs: Option<usize>,
    out: Option<PathBuf>,
) -> Result<u8, Fail> {
    use crate::plan::{evidence_line, needed, parse_node, Plan, Slo};
    let bad = |e: String| Fail(format!("error: {}", e), 2);
    let node = parse_node(node).map_err(bad)?;
    let slo = Slo::parse(slo).map_err(bad)?;
    if seeds == 0 {
        return Err(bad("--seeds must be at least 1".into()));
    }
    if max_nodes == 0 || max_nodes > limits::MAX_NODES {
        return Err(bad(format!("--max-nodes must be in 1..={}", limits::MAX_NODES)));
    }
    let fail_at = fail_at.map(|t| time_arg("fail-at", &t).map(|t| SimDuration(t.0))).transpose()?;
    let plan = Plan { scenario, node, slo, seeds, failures, fail_at };
    plan.validate().map_err(|e| Fail(e, 2))?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let make = REGISTRY_FN.get().copied().unwrap_or(Registry::new);
    println!(
        "plan: {}, nodes of {}, SLO {}, {} seeds (a count passes with {}){}",
        plan.scenario.display(),
        plan.node.iter().map(|(k, v)| format!("{}={}", k, v)).collect::<Vec<_>>().join(","),
        plan.slo.text,
        seeds,
        needed(seeds),
        if failures > 0 { format!(", surviving {} node failures", failures) } else { String::new() }
    );
    println!("{:>7}  {:>9} {:<5} {} p90 [min–max] over seeds", "nodes", "passing", "", plan.slo.figure_name());
    let (tried, answer) = plan.search(max_nodes, jobs, make, |e| println!("{}", evidence_line(e, seeds)));
    if let Some(dir) = &out {
        crate::plan::write_chart(dir, &plan, &tried).map_err(|e| io_fail(dir, e))?;
    }
    match answer {
        Some(n) => {
            println!("minimum nodes: {}", n);
            Ok(0)
        }
        None => {
            println!("no node count up to {} meets {}", max_nodes, plan.slo.text);
            Ok(1)
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
    let mut samples = Vec::new();
    let extended = scn.extended_resources();
    let mut sampler = |t: SimTime, s: &crate::report::observe::ClusterStats| {
        let _ = report_csv::timeseries_row(&mut ts, t, s, &extended);
        samples.push((t, s.clone()));
    };
    let opts = RunOptions {
        seed: Some(seed),
        until,
        keep_events: !quiet,
        jsonl,
        sample: csv_dir.as_ref().map(|_| (sample, &mut sampler as &mut dyn FnMut(_, &_))),
        pod_times: csv_dir.is_some(),
        selection: Some(&sel),
        summary: csv_dir.is_some(),
    };
    let mut res = runner::run(&scn, opts);
    if let Some(e) = res.sim.trace.take_io_error() {
        return Err(Fail(format!("error: writing the trace: {}", e), 2));
    }
    if let Some(dir) = &csv_dir {
        std::fs::create_dir_all(dir).map_err(|e| io_fail(dir, e))?;
        let mut data = format!("{}\n", report_csv::timeseries_header(&extended)).into_bytes();
        data.extend_from_slice(&ts);
        let p = dir.join("timeseries.csv");
        std::fs::write(&p, data).map_err(|e| io_fail(&p, e))?;
        let p = dir.join("pods.csv");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).map_err(|e| io_fail(&p, e))?);
        report_csv::write_pods(&mut f, res.sim.observers.pod_times()).map_err(|e| io_fail(&p, e))?;
        if let Some(summary) = &res.summary {
            let p = dir.join("summary.csv");
            let text = format!("{}\n{}\n", crate::report::summary::SUMMARY_HEADER, summary.csv_row());
            std::fs::write(&p, text).map_err(|e| io_fail(&p, e))?;
        }
        if !res.sim.traffic.stats.sources.is_empty() {
            let p = dir.join("traffic.csv");
            std::fs::write(&p, res.sim.traffic.stats.csv()).map_err(|e| io_fail(&p, e))?;
        }
        let latencies = res.sim.observers.summary.as_ref().map(|s| s.sched_latencies()).unwrap_or_default();
        crate::report::charts::write_run_charts(dir, &samples, &latencies, &extended).map_err(|e| io_fail(dir, e))?;
    }
    let sim = &res.sim;
    if !quiet {
        let _ = write!(out, "{}", timeline::render_events(sim.trace.events(), &sim.user_errors, &sim.user_outputs));
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
    let traffic = &sim.traffic.stats;
    if !traffic.sources.is_empty() {
        let _ = writeln!(out);
        for i in 0..traffic.sources.len() {
            let _ = writeln!(out, "{}", traffic.summary_line(i));
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
    if !res.timeline_failures.is_empty() {
        let _ = writeln!(out, "\ntimeline failures:");
        for f in &res.timeline_failures {
            let _ = writeln!(out, "  FAIL  {}", f.to_string().replace('\n', "\n        "));
        }
    }
    let failed = res.failed();
    let _ = writeln!(out, "trace-hash: {}", res.trace_hash);
    res.sim.trace.flush();
    Ok(if failed > 0 { 1 } else { 0 })
}

/// A `get` request: what to show, read from a simulation at one instant.
struct GetQuery {
    kind: String,
    name: Option<String>,
    output: Option<String>,
    selector: Option<String>,
    namespace: String,
    all_namespaces: bool,
    show_labels: bool,
    label_columns: Vec<String>,
    field_selector: Option<String>,
}

/// `--from`, `--until`, `--every`: periodic snapshots from one run.
struct Snapshots {
    from: Option<String>,
    until: Option<String>,
    every: Option<String>,
}

/// What `get` shows at one instant: the text for stdout, and a note that
/// kubectl prints on stderr (`No resources found in default namespace.`).
#[derive(Default)]
struct Shown {
    out: String,
    note: Option<String>,
}

/// The most tables one `get --every` prints.
const MAX_SNAPSHOTS: u64 = 10_000;

/// kubectl's `all` category (the `categories: [all]` of the built-in
/// types) in the order discovery lists it: the core group's resources
/// alphabetically, then apps, autoscaling, batch.
const ALL_CATEGORY: &[&str] = &[
    "Pod",
    "ReplicationController",
    "Service",
    "DaemonSet",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "CronJob",
    "Job",
];

fn is_events(kind: &str) -> bool {
    matches!(kind.to_ascii_lowercase().as_str(), "events" | "event" | "ev")
}

fn cmd_get(q: GetQuery, path: &Path, at: Option<String>, seed: Option<u64>, snap: Snapshots) -> Result<u8, Fail> {
    // Every flag is checked before anything runs.
    output_format(q.output.as_deref())?;
    if let Some(s) = &q.selector {
        Selector::parse(s).map_err(|e| Fail(format!("error: -l: {}", e), 2))?;
    }
    if let Some(f) = &q.field_selector {
        if !is_events(&q.kind) {
            return Err(Fail(
                format!("error: --field-selector is supported with `get events` only, not `get {}`", q.kind),
                2,
            ));
        }
        kubectl::EventFieldSelector::parse(f).map_err(|e| Fail(format!("error: --field-selector: {}", e), 2))?;
    }
    if (q.kind == "all" || q.kind.contains(',')) && q.name.is_some() {
        return Err(Fail(
            format!("error: `get {}` takes no NAME (usage: kubesim get {} --at TIME SCENARIO)", q.kind, q.kind),
            2,
        ));
    }
    if q.kind.contains(',') && q.kind.split(',').any(is_events) {
        return Err(Fail("error: events are listed on their own (`get events`)".into(), 2));
    }
    let keep_events = is_events(&q.kind);
    if snap.from.is_none() && snap.until.is_none() && snap.every.is_none() {
        let res = run_until(path, at, seed, keep_events)?;
        let shown = show(&q, &res.sim)?;
        print!("{}", shown.out);
        if let Some(n) = shown.note {
            eprintln!("{}", n);
        }
        return Ok(0);
    }
    if at.is_some() {
        return Err(Fail(
            "error: --at shows one instant; --from/--until/--every show several: give one or the other".into(),
            2,
        ));
    }
    let every = snap.every.ok_or_else(|| Fail("error: --from and --until need --every INTERVAL".into(), 2))?;
    let every = parse_duration(&every).map_err(|e| Fail(format!("error: --every: {}", e), 2))?;
    if every < limits::MIN_SAMPLE_INTERVAL {
        return Err(Fail(format!("error: --every: must be at least {}", limits::MIN_SAMPLE_INTERVAL), 2));
    }
    let (scn, sel) = load(path)?;
    let from = snap.from.map(|f| time_arg("from", &f)).transpose()?.unwrap_or(SimTime::ZERO);
    let until = snap.until.map(|u| time_arg("until", &u)).transpose()?.unwrap_or_else(|| runner::horizon(&scn));
    if from > until {
        return Err(Fail(format!("error: --from {} is after --until {}", from, until), 2));
    }
    let count = (until.0 - from.0) / every.0 + 1;
    if count > MAX_SNAPSHOTS {
        return Err(Fail(
            format!(
                "error: --every: {} snapshots is more than the limit of {}; take them less often",
                count, MAX_SNAPSHOTS
            ),
            2,
        ));
    }
    let (seed, drawn) = pick_seed(seed, &scn);
    if drawn {
        eprintln!("seed: {} (drawn; pass --seed to repeat)", seed);
    }
    // One run, advanced from instant to instant: what is shown never
    // changes what runs (the trace hash is a plain run's to `until`).
    let mut sim = scn.build_selected(seed, &sel, |sim| sim.trace.keep_events(keep_events));
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let t = SimTime(from.0 + i * every.0);
        sim.run_until(t);
        if i > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "--- t={} ---", t);
        match show(&q, &sim) {
            Ok(s) => {
                let _ = write!(out, "{}", s.out);
                if let Some(n) = s.note {
                    let _ = writeln!(out, "{}", n);
                }
            }
            // Not found at this instant (it may exist at the next).
            Err(Fail(m, 1)) => {
                let _ = writeln!(out, "{}", m);
            }
            Err(f) => return Err(f),
        }
    }
    sim.run_until(until);
    sim.trace.flush();
    if PRINT_HASH.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("trace-hash: {}", sim.trace.hash_hex());
    }
    Ok(0)
}

/// `No resources found …`, as kubectl words it for the scope asked.
fn none_found(namespaced: bool, q: &GetQuery) -> Shown {
    let note = if namespaced && !q.all_namespaces {
        format!("No resources found in {} namespace.", q.namespace)
    } else {
        "No resources found".to_string()
    };
    Shown { out: String::new(), note: Some(note) }
}

/// What `kubectl get` prints for `q` against the cluster as `sim` has it
/// now.
fn show(q: &GetQuery, sim: &crate::simulation::Simulation) -> Result<Shown, Fail> {
    let (wide, structured) = output_format(q.output.as_deref())?;
    let label_columns = kubectl::Decor::label_columns_from(&q.label_columns);
    let decor = |namespaced: bool, prefix: Option<&str>| kubectl::Decor {
        with_namespace: q.all_namespaces && namespaced,
        kind_prefix: prefix.map(str::to_string),
        label_columns: label_columns.clone(),
        show_labels: q.show_labels,
    };
    if is_events(&q.kind) {
        return show_events(q, sim);
    }
    // `get all` and `get pods,rc`: one table per kind, names prefixed
    // with their `kind.group`.
    let kinds: Vec<String> = match q.kind.as_str() {
        "all" => ALL_CATEGORY.iter().map(|k| k.to_string()).collect(),
        k if k.contains(',') => k.split(',').map(str::to_string).collect(),
        _ => Vec::new(),
    };
    if !kinds.is_empty() {
        let mut tables: Vec<String> = Vec::new();
        let mut items: Vec<serde_json::Value> = Vec::new();
        let mut notes: Vec<String> = Vec::new();
        for kind in kinds {
            let sub = GetQuery { kind, ..q.clone_query() };
            let found = select(&sub, sim)?;
            if found.is_empty() {
                continue;
            }
            match structured {
                Some(_) => items.extend(found.values(sim.now())),
                None => tables.push(found.table(sim.now(), wide, &decor(found.namespaced, Some(&found.prefix)))),
            }
            if found.builtin_stored {
                notes.push(format!("({} is stored but not simulated: only NAME and AGE are shown)", found.resource));
            }
        }
        if let Some(format) = structured {
            return Ok(Shown { out: structured_text(format, report_manifest::list(items)), note: None });
        }
        if tables.is_empty() {
            return Ok(none_found(true, q));
        }
        // A blank line between the tables.
        let note = (!notes.is_empty()).then(|| notes.join("\n"));
        return Ok(Shown { out: tables.join("\n"), note });
    }
    let found = select(q, sim)?;
    let namespaced = found.namespaced;
    if found.is_empty() {
        if let Some(n) = &q.name {
            return Err(Fail(format!("Error from server (NotFound): {} \"{}\" not found", found.resource, n), 1));
        }
        return Ok(none_found(namespaced, q));
    }
    if let Some(format) = structured {
        let mut values = found.values(sim.now());
        let value = if q.name.is_some() && values.len() == 1 {
            values.pop().expect("one")
        } else {
            report_manifest::list(values)
        };
        return Ok(Shown { out: structured_text(format, value), note: None });
    }
    let note = found
        .builtin_stored
        .then(|| format!("({} is stored but not simulated: only NAME and AGE are shown)", found.resource));
    Ok(Shown { out: found.table(sim.now(), wide, &decor(namespaced, None)), note })
}

impl GetQuery {
    fn clone_query(&self) -> GetQuery {
        GetQuery {
            kind: self.kind.clone(),
            name: self.name.clone(),
            output: self.output.clone(),
            selector: self.selector.clone(),
            namespace: self.namespace.clone(),
            all_namespaces: self.all_namespaces,
            show_labels: self.show_labels,
            label_columns: self.label_columns.clone(),
            field_selector: self.field_selector.clone(),
        }
    }
}

/// The objects of one kind a `get` selected, in kubectl's order
/// (namespace, then name).
struct Found<'a> {
    /// As kubectl names the resource in errors (`pods`, `websites.example.com`).
    resource: String,
    /// What `get all` puts before a name: `pod`, `replicaset.apps`.
    prefix: String,
    namespaced: bool,
    /// A built-in kind kubesim stores without simulating (kubectl would
    /// print more columns than NAME and AGE).
    builtin_stored: bool,
    pods: Vec<&'a crate::objects::pod::Pod>,
    nodes: Vec<&'a crate::objects::node::Node>,
    sets: Vec<&'a crate::objects::replicaset::ReplicaSet>,
    leases: Vec<&'a crate::objects::lease::Lease>,
    namespaces: Vec<&'a crate::objects::meta::ObjectMeta>,
    others: Vec<&'a crate::objects::Unstructured>,
    typed: Vec<&'a dyn crate::objects::typed::TypedObject>,
    crd: bool,
}

impl Found<'_> {
    fn is_empty(&self) -> bool {
        self.pods.len()
            + self.nodes.len()
            + self.sets.len()
            + self.leases.len()
            + self.namespaces.len()
            + self.others.len()
            + self.typed.len()
            == 0
    }

    fn values(&self, now: SimTime) -> Vec<serde_json::Value> {
        let mut items: Vec<serde_json::Value> = self.pods.iter().map(|p| report_manifest::pod(p)).collect();
        items.extend(self.nodes.iter().map(|n| report_manifest::node(n)));
        items.extend(self.sets.iter().map(|r| report_manifest::replica_set(r)));
        items.extend(self.leases.iter().map(|l| report_manifest::lease(l, now)));
        items.extend(
            self.namespaces
                .iter()
                .map(|m| report_manifest::namespace(&crate::objects::Namespace { meta: (*m).clone() })),
        );
        items.extend(self.others.iter().map(|u| report_manifest::unstructured(u)));
        items.extend(self.typed.iter().map(|t| report_manifest::typed(*t)));
        items
    }

    fn table(&self, now: SimTime, wide: bool, d: &kubectl::Decor) -> String {
        if !self.pods.is_empty() {
            kubectl::pods_table(&self.pods, now, wide, d)
        } else if !self.nodes.is_empty() {
            kubectl::nodes_table(&self.nodes, now, wide, d)
        } else if !self.sets.is_empty() {
            kubectl::replicasets_table(&self.sets, now, wide, d)
        } else if !self.leases.is_empty() {
            kubectl::leases_table(&self.leases, now, d)
        } else if !self.namespaces.is_empty() {
            kubectl::namespaces_table(&self.namespaces, now, d)
        } else if !self.typed.is_empty() {
            kubectl::typed_table(&self.typed, now, wide, d)
        } else {
            let metas: Vec<&crate::objects::meta::ObjectMeta> = self.others.iter().map(|u| &u.meta).collect();
            kubectl::stored_table(&metas, now, d, self.crd)
        }
    }
}

/// Selects what `q` asks for from the store as it is now.
fn select<'a>(q: &GetQuery, sim: &'a crate::simulation::Simulation) -> Result<Found<'a>, Fail> {
    let store = &sim.store;
    let sel =
        q.selector.as_deref().map(Selector::parse).transpose().map_err(|e| Fail(format!("error: -l: {}", e), 2))?;
    // The types the apiserver serves now: the built-ins and what the
    // CustomResourceDefinitions stored by now define.
    let mut types = crate::objects::resource::ResourceTypes::default();
    for u in store.others.values().filter(|u| u.kind == "CustomResourceDefinition") {
        let _ = types.add_crd(&u.meta.name, &u.body);
    }
    let t = match Kind::from_cli(&q.kind) {
        Some(k) if k != Kind::Other => types.by_kind(k.as_str()).cloned(),
        _ => types.resolve(&q.kind).or_else(|| types.by_kind(&q.kind)).cloned(),
    };
    let Some(t) = t else {
        return Err(Fail(format!("error: the server doesn't have a resource type \"{}\"", q.kind), 2));
    };
    let keep = |m: &crate::objects::meta::ObjectMeta| {
        (!t.namespaced || q.all_namespaces || *m.namespace == *q.namespace)
            && q.name.as_deref().is_none_or(|x| x == &*m.name)
            && sel.as_ref().is_none_or(|s| s.matches(&m.labels))
    };
    let mut f = Found {
        resource: t.to_string(),
        prefix: if t.group.is_empty() { t.singular.clone() } else { format!("{}.{}", t.singular, t.group) },
        namespaced: t.namespaced,
        builtin_stored: !t.simulated && is_builtin(&t),
        pods: vec![],
        nodes: vec![],
        sets: vec![],
        leases: vec![],
        namespaces: vec![],
        others: vec![],
        typed: vec![],
        crd: t.kind == "CustomResourceDefinition",
    };
    match t.kind.as_str() {
        "Pod" => f.pods = select_sorted(store.pods.values(), |p| &p.meta, keep),
        "Node" => f.nodes = select_sorted(store.nodes.values(), |n| &n.meta, keep),
        "Lease" => f.leases = select_sorted(store.leases.values(), |l| &l.meta, keep),
        "Namespace" => {
            f.namespaces =
                select_sorted(store.namespaces.values(), |n| &n.meta, keep).into_iter().map(|n| &n.meta).collect()
        }
        "ReplicaSet" | "ReplicationController" => {
            let kind = if t.kind == "ReplicaSet" { Kind::ReplicaSet } else { Kind::ReplicationController };
            let of_kind = store.replicasets.values().filter(|r| Kind::from_replica(r.kind) == kind);
            f.sets = select_sorted(of_kind, |r| &r.meta, keep);
        }
        k if crate::kinds::by_kind(k).is_some() => {
            let of_kind = store.typed.iter().filter(|((kind, _), _)| kind == k).map(|(_, t)| t);
            f.typed = select_sorted(of_kind, |t| t.meta(), keep);
        }
        _ if t.simulated => return Err(Fail(format!("error: get {} is not supported yet", t), 2)),
        _ => {
            let of_kind = store.others.values().filter(|u| u.kind == t.kind);
            f.others = select_sorted(of_kind, |u| &u.meta, keep);
        }
    }
    Ok(f)
}

/// `kubectl get events`: the Events the apiserver holds now, filtered by
/// namespace (`-A`: all) and `--field-selector`.
fn show_events(q: &GetQuery, sim: &crate::simulation::Simulation) -> Result<Shown, Fail> {
    let (_, structured) = output_format(q.output.as_deref())?;
    if structured.is_some() {
        return Err(Fail("error: get events supports table output only (no -o json|yaml)".into(), 2));
    }
    let fs = q
        .field_selector
        .as_deref()
        .map(kubectl::EventFieldSelector::parse)
        .transpose()
        .map_err(|e| Fail(format!("error: --field-selector: {}", e), 2))?
        .unwrap_or_default();
    let sel =
        q.selector.as_deref().map(Selector::parse).transpose().map_err(|e| Fail(format!("error: -l: {}", e), 2))?;
    let now = sim.now();
    let events: Vec<kubectl::StoredEvent> = kubectl::stored_events(sim.trace.events(), now)
        .into_iter()
        .filter(|e| q.all_namespaces || e.namespace() == q.namespace)
        .filter(|e| q.name.as_deref().is_none_or(|n| e.name() == n))
        .filter(|e| fs.matches(e))
        // Events carry no labels: `-l` matches what an empty set matches.
        .filter(|_| sel.as_ref().is_none_or(|s| s.matches(&Default::default())))
        .collect();
    if events.is_empty() {
        if let Some(n) = &q.name {
            return Err(Fail(format!("Error from server (NotFound): events \"{}\" not found", n), 1));
        }
        return Ok(none_found(true, q));
    }
    Ok(Shown { out: kubectl::events_table(&events, now, q.all_namespaces), note: None })
}

/// The objects whose metadata `keep` accepts, sorted by namespace and name.
fn select_sorted<'a, T: 'a + ?Sized>(
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

/// One object, or a List of several, as `-o json|yaml`.
fn structured_text(format: &str, value: serde_json::Value) -> String {
    match format {
        "json" => format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()),
        _ => yaml_out::to_yaml(&value),
    }
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
    let kubelet = p.node_name().and_then(|n| sim.kubelet(n));
    // The apiserver fetches logs from the node's kubelet: a crashed or
    // partitioned node does not answer, and the client's dial error is
    // what kubectl prints (as for `kubectl exec`).
    if let Some(k) = kubelet.filter(|k| !k.is_alive() || k.is_partitioned()) {
        let ip = k.node_ip();
        return Err(Fail(
            format!(
                "Error from server: Get \"https://{ip}:10250/containerLogs/{}/{}/{}{}\": dial tcp {ip}:10250: i/o timeout",
                namespace,
                pod_name,
                cname,
                if previous { "?previous=true" } else { "" },
            ),
            1,
        ));
    }
    let lines = kubelet.and_then(|k| k.logs(p.meta.uid, idx, previous, sim.now()));
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

/// The Deployment `namespace/name` in the store.
fn deployment_at<'a>(
    sim: &'a crate::simulation::Simulation,
    namespace: &str,
    name: &str,
) -> Option<&'a crate::kinds::deployment::Deployment> {
    let key = ("Deployment".to_string(), crate::objects::store::Key::new(namespace, name));
    sim.store.typed.get(&key).and_then(|t| t.downcast::<crate::kinds::deployment::Deployment>())
}

/// The ReplicaSets a Deployment controls.
fn sets_of<'a>(
    sim: &'a crate::simulation::Simulation,
    d: &crate::kinds::deployment::Deployment,
) -> Vec<&'a crate::objects::replicaset::ReplicaSet> {
    sim.store
        .replicasets
        .values()
        .filter(|rs| rs.meta.controller_ref().is_some_and(|r| r.uid == d.meta.uid))
        .map(|rs| &**rs)
        .collect()
}

/// `kubesim rollout status|history deployment/NAME`: kubectl's
/// `DeploymentStatusViewer` (as with `--watch=false`: the state at `--at`,
/// exit 1 when the progress deadline was exceeded) and
/// `DeploymentHistoryViewer`.
fn cmd_rollout(
    action: &str,
    target: &str,
    path: &Path,
    at: Option<String>,
    revision: Option<i64>,
    namespace: &str,
    seed: Option<u64>,
) -> Result<u8, Fail> {
    use crate::controllers::deployment::util::{reason, revision as rs_revision};
    use crate::kinds::deployment::ConditionType;
    let (kind, name) = target
        .split_once('/')
        .ok_or_else(|| Fail(format!("error: expected TYPE/NAME (deployment/NAME), got {:?}", target), 2))?;
    if Kind::resolve_cli(kind).is_none_or(|(_, t)| t != Some("Deployment")) {
        return Err(Fail(format!("error: rollout {} of {} is not supported (deployments only)", action, kind), 2));
    }
    if !matches!(action, "status" | "history") {
        return Err(Fail(format!("error: unknown rollout command {:?} (status, history)", action), 2));
    }
    if revision.is_some() && action != "history" {
        return Err(Fail("error: --revision is a flag of rollout history".into(), 2));
    }
    let res = run_until(path, at, seed, false)?;
    let sim = &res.sim;
    let d = deployment_at(sim, namespace, name)
        .ok_or_else(|| Fail(format!("Error from server (NotFound): deployments.apps \"{}\" not found", name), 1))?;
    if action == "status" {
        let s = &d.status;
        if d.meta.generation > s.observed_generation {
            println!("Waiting for deployment spec update to be observed...");
            return Ok(0);
        }
        let cond = s.condition(ConditionType::Progressing);
        if cond.is_some_and(|c| c.reason == reason::TIMED_OUT) {
            return Err(Fail(format!("error: deployment \"{}\" exceeded its progress deadline", name), 1));
        }
        let line = if s.updated_replicas < d.spec.replicas {
            format!(
                "Waiting for deployment \"{}\" rollout to finish: {} out of {} new replicas have been updated...",
                name, s.updated_replicas, d.spec.replicas
            )
        } else if s.replicas > s.updated_replicas {
            format!(
                "Waiting for deployment \"{}\" rollout to finish: {} old replicas are pending termination...",
                name,
                s.replicas - s.updated_replicas
            )
        } else if s.available_replicas < s.updated_replicas {
            format!(
                "Waiting for deployment \"{}\" rollout to finish: {} of {} updated replicas are available...",
                name, s.available_replicas, s.updated_replicas
            )
        } else {
            format!("deployment \"{}\" successfully rolled out", name)
        };
        println!("{}", line);
        return Ok(0);
    }
    let mut sets = sets_of(sim, d);
    sets.sort_by_key(|rs| rs_revision(rs));
    if let Some(r) = revision {
        let rs = sets
            .iter()
            .find(|rs| rs_revision(rs) == r)
            .ok_or_else(|| Fail(format!("error: unable to find the specified revision {}", r), 1))?;
        let mut t = (*rs.spec.template).clone();
        std::rc::Rc::make_mut(&mut t.labels).remove(crate::controllers::deployment::util::POD_TEMPLATE_HASH);
        print!("deployment.apps/{} with revision #{}\n{}", name, r, crate::report::describe::describe_template(&t));
        return Ok(0);
    }
    // `ViewHistory`'s `tabbedString`: padding 2.
    let mut text = String::from("REVISION\tCHANGE-CAUSE\n");
    for rs in sets.iter().filter(|rs| rs_revision(rs) > 0) {
        let cause = rs.meta.annotations.get("kubernetes.io/change-cause").map_or("<none>", String::as_str);
        text.push_str(&format!("{}\t{}\n", rs_revision(rs), cause));
    }
    print!("deployment.apps/{} \n{}", name, crate::report::describe::tabwriter::layout(&text, 0, 2));
    Ok(0)
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
    let service = Kind::resolve_cli(kind).is_some_and(|(_, t)| t == Some("Service"));
    let deployment = Kind::resolve_cli(kind).is_some_and(|(_, t)| t == Some("Deployment"));
    let daemon_set = Kind::resolve_cli(kind).is_some_and(|(_, t)| t == Some("DaemonSet"));
    let job = Kind::resolve_cli(kind).is_some_and(|(_, t)| t == Some("Job"));
    let cron_job = Kind::resolve_cli(kind).is_some_and(|(_, t)| t == Some("CronJob"));
    if !service
        && !deployment
        && !daemon_set
        && !job
        && !cron_job
        && !matches!(k, Some(Kind::Pod | Kind::Node | Kind::ReplicationController | Kind::ReplicaSet))
    {
        return Err(Fail(
            format!(
                "error: describe {} is not supported yet (supported: pod, node, rc, rs, svc, deploy, ds, job, cronjob)",
                kind
            ),
            2,
        ));
    }
    let res = run_until(path, at, seed, true)?;
    let sim = &res.sim;
    let key = crate::objects::store::Key::new(namespace, name);
    let not_found = |res: &str| Fail(format!("Error from server (NotFound): {} \"{}\" not found", res, name), 1);
    let (events, now) = (sim.trace.events(), sim.now());
    let text = match k {
        _ if job => {
            let t = sim.store.typed.get(&("Job".to_string(), key.clone()));
            let j = t.and_then(|t| t.downcast::<crate::kinds::job::Job>()).ok_or_else(|| not_found("jobs.batch"))?;
            describe::describe_job(j, events, now)
        }
        _ if cron_job => {
            let t = sim.store.typed.get(&("CronJob".to_string(), key.clone()));
            let c = t.and_then(|t| t.downcast::<crate::kinds::cronjob::CronJob>());
            describe::describe_cron_job(c.ok_or_else(|| not_found("cronjobs.batch"))?, events, now)
        }
        _ if daemon_set => {
            let typed_key = ("DaemonSet".to_string(), key.clone());
            let ds = sim.store.typed.get(&typed_key).and_then(|t| t.downcast::<crate::kinds::daemonset::DaemonSet>());
            let ds = ds.ok_or_else(|| not_found("daemonsets.apps"))?;
            let pods: Vec<_> = sim.store.pods.values().filter(|p| *p.meta.namespace == *namespace).cloned().collect();
            describe::describe_daemon_set(ds, &pods, events, now)
        }
        _ if deployment => {
            let d = deployment_at(sim, namespace, name).ok_or_else(|| not_found("deployments.apps"))?;
            let sets = sets_of(sim, d);
            describe::describe_deployment(d, &sets, events, now)
        }
        _ if service => {
            use crate::kinds::endpointslice::EndpointSlice;
            let typed_key = ("Service".to_string(), key.clone());
            let svc = sim.store.typed.get(&typed_key).and_then(|t| t.downcast::<crate::kinds::service::Service>());
            let svc = svc.ok_or_else(|| not_found("services"))?;
            let mut slices: Vec<&EndpointSlice> = sim
                .store
                .typed
                .values()
                .filter_map(|t| t.downcast::<EndpointSlice>())
                .filter(|s| *s.meta.namespace == *namespace && s.service_name() == Some(name))
                .collect();
            slices.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
            describe::describe_service(svc, &slices, events, now)
        }
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
