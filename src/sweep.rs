//! Parameter sweeps: the cartesian product of `--set PATH=V1,V2,…` values
//! × seeds 1..N, each run to its horizon with its summary metrics, on J
//! worker threads, written as one `sweep.csv` whose bytes depend only on
//! the sweep (not on J, nor on how it was sharded).
//!
//! Each worker loads its own scenario and simulation (a simulation is
//! single-threaded: `Rc` inside), so the threads share nothing but the
//! index of the next run; rows are put back in run order. A run that
//! fails to load is a row with its error. `--shard I/N` runs the runs
//! whose number is I modulo N (0-based, as `JOB_COMPLETION_INDEX`), and
//! `merge` joins the shards' files into exactly the single machine's.

#![warn(missing_docs)]

use crate::component::Registry;
use crate::report::summary::SUMMARY_HEADER;
use crate::runner::{run, RunOptions};
use crate::scenario;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// A sweep as the command line describes it.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Each `--set PATH=V1,V2,…`, in the order given.
    pub sets: Vec<(String, Vec<String>)>,
    /// Seeds 1..=seeds for each combination of values.
    pub seeds: u64,
    /// This process's slice of the runs: (I, N), runs with number ≡ I mod N.
    pub shard: Option<(usize, usize)>,
}

/// One run of a sweep: its number (from 1, in sweep order), the values of
/// the swept paths, and the seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSpec {
    /// The run's number: its row's `run` column.
    pub number: usize,
    /// One value per `--set` path, in the order given.
    pub values: Vec<String>,
    /// The seed.
    pub seed: u64,
}

/// Parses `PATH=V1,V2,…` (a `--set` argument).
pub fn parse_set(arg: &str) -> Result<(String, Vec<String>), String> {
    let (path, values) = arg.split_once('=').ok_or_else(|| format!("--set {}: expected PATH=V1,V2,…", arg))?;
    scenario::overrides::parse_path(path).map_err(|e| format!("--set {}: {}", arg, e))?;
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(format!("--set {}: an empty value", arg));
    }
    Ok((path.to_string(), values))
}

/// Parses `I/N` (a `--shard` argument): 0 ≤ I < N.
pub fn parse_shard(arg: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {}: expected I/N with 0 <= I < N", arg);
    let (i, n) = arg.split_once('/').ok_or_else(bad)?;
    let (i, n) = (i.trim().parse::<usize>().map_err(|_| bad())?, n.trim().parse::<usize>().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

impl Sweep {
    /// Every run of the sweep, in order: values vary with the first `--set`
    /// slowest, then seeds 1..N.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut combos: Vec<Vec<String>> = vec![Vec::new()];
        for (_, values) in &self.sets {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push(v.clone());
                        c
                    })
                })
                .collect();
        }
        let mut out = Vec::new();
        for values in combos {
            for seed in 1..=self.seeds {
                out.push(RunSpec { number: out.len() + 1, values: values.clone(), seed });
            }
        }
        out
    }

    /// The runs this process does (all, or its shard's).
    pub fn my_runs(&self) -> Vec<RunSpec> {
        let all = self.runs();
        match self.shard {
            None => all,
            Some((i, n)) => all.into_iter().filter(|r| r.number % n == i).collect(),
        }
    }

    /// Checks the sweep before any run: the scenario loads as written and
    /// every path accepts every one of its values (a wrong path is invalid
    /// input, not a failed run).
    pub fn validate(&self) -> Result<(), String> {
        scenario::load(&self.scenario).map_err(|e| e.to_string())?;
        for (path, values) in &self.sets {
            for v in values {
                let src = std::fs::read_to_string(&self.scenario).map_err(|e| e.to_string())?;
                let mut docs = scenario::yaml::parse_documents(&src).map_err(|e| e.message)?;
                if let Some(doc) = docs.first_mut() {
                    scenario::overrides::set(doc, path, v)
                        .map_err(|e| format!("error: {}: --set {}={}: {}", self.scenario.display(), path, v, e))?;
                }
            }
        }
        Ok(())
    }

    /// The header of `sweep.csv`.
    pub fn header(&self) -> String {
        let mut cols = vec!["run".to_string(), "seed".to_string()];
        cols.extend(self.sets.iter().map(|(p, _)| p.clone()));
        cols.extend(SUMMARY_HEADER.split(',').map(String::from));
        cols.push("error".to_string());
        csv_line(&cols)
    }

    /// Runs one run: its `sweep.csv` row (no newline) and whether it
    /// completed.
    pub fn run_one(&self, spec: &RunSpec, registry: &Registry) -> (String, bool) {
        let overrides: Vec<(String, String)> =
            self.sets.iter().map(|(p, _)| p.clone()).zip(spec.values.iter().cloned()).collect();
        let result = scenario::load_with(&self.scenario, &overrides).map_err(|e| e.to_string()).and_then(|scn| {
            let sel = scn.select(registry).map_err(|e| e.to_string())?;
            let res = run(
                &scn,
                RunOptions { seed: Some(spec.seed), selection: Some(&sel), summary: true, ..Default::default() },
            );
            Ok(res.summary.expect("asked for").csv_row())
        });
        let mut cols = vec![spec.number.to_string(), spec.seed.to_string()];
        cols.extend(spec.values.iter().cloned());
        let ok = result.is_ok();
        let (summary, error) = match result {
            Ok(row) => (row, String::new()),
            Err(e) => (vec![""; SUMMARY_HEADER.split(',').count()].join(","), e),
        };
        let mut line = csv_line(&cols);
        line.push(',');
        line.push_str(&summary);
        line.push(',');
        line.push_str(&csv_line(&[error]));
        (line, ok)
    }

    /// Runs this process's runs on `jobs` threads, each with the registry
    /// `make_registry` builds, writing progress on stderr; returns the
    /// rows in run order and how many runs failed.
    pub fn execute(&self, jobs: usize, make_registry: fn() -> Registry) -> (Vec<String>, usize) {
        let runs = self.my_runs();
        let results = parallel(runs.len(), jobs, make_registry, "sweep", |i, reg| self.run_one(&runs[i], reg));
        let failed = results.iter().filter(|r| !r.1).count();
        eprintln!("sweep: {} runs, {} failed", runs.len(), failed);
        (results.into_iter().map(|r| r.0).collect(), failed)
    }
}

/// Runs `f(i, registry)` for i in 0..count on `jobs` threads (each builds
/// its registry with `make_registry` and takes the next index when it is
/// free) and returns the results in index order, whatever thread ran
/// which: the same for any `jobs`. Shows progress (runs/s, ETA) on stderr
/// when it is a terminal, and the wall time at the end.
pub fn parallel<T: Send>(
    count: usize,
    jobs: usize,
    make_registry: fn() -> Registry,
    what: &str,
    f: impl Fn(usize, &Registry) -> T + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    let mut out: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let threads = jobs.max(1).min(count.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, f) = (&next, &f);
            s.spawn(move || {
                let registry = make_registry();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    if tx.send((i, f(i, &registry))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (done, (i, r)) in rx.iter().enumerate() {
            out[i] = Some(r);
            if tty {
                let done = done + 1;
                let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
                let eta = (count - done) as f64 / rate;
                eprint!("\r{}: {}/{} runs, {:.2} runs/s, ETA {:.0}s   ", what, done, count, rate, eta);
            }
        }
    });
    if tty && count > 0 {
        eprintln!();
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: {} runs in {:.1}s ({:.2} runs/s) on {} threads",
        what,
        count,
        secs,
        count as f64 / secs.max(1e-9),
        threads
    );
    out.into_iter().map(|r| r.expect("every run reported")).collect()
}

/// A chart's lines keyed by (seed, the other swept paths' values).
type Lines = std::collections::BTreeMap<(u64, Vec<String>), Vec<(f64, f64)>>;

/// Draws the sweep's charts into `dir`: for each swept path,
/// `sched_latency_p99_s` and `pending_p99_s` against its values
/// (`<metric>-vs-<path>.svg`), one line per seed (and per combination of
/// the other paths' values), with the minimum-to-p90 band over them. A
/// value that is not a number is placed at its index among the path's
/// values. Runs that failed are left out.
pub fn write_charts(dir: &Path, header: &str, rows: &[String], sets: &[(String, Vec<String>)]) -> std::io::Result<()> {
    let text = format!("{}\n{}\n", header, rows.join("\n"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let cols: Vec<String> = reader.headers().map_err(std::io::Error::other)?.iter().map(String::from).collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let records: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    for (k, (path, values)) in sets.iter().enumerate() {
        let numeric = values.iter().all(|v| v.parse::<f64>().is_ok());
        let x_of = |v: &str| {
            if numeric {
                v.parse::<f64>().ok()
            } else {
                values.iter().position(|x| x == v).map(|i| i as f64)
            }
        };
        for metric in ["sched_latency_p99_s", "pending_p99_s"] {
            let (Some(mc), Some(sc)) = (col(metric), col("seed")) else { continue };
            // Lines keyed by (seed, the other paths' values).
            let mut lines: Lines = Default::default();
            for r in &records {
                let (Some(x), Some(y), Some(seed)) = (
                    r.get(2 + k).and_then(x_of),
                    r.get(mc).and_then(|y| y.parse::<f64>().ok()),
                    r.get(sc).and_then(|s| s.parse::<u64>().ok()),
                ) else {
                    continue;
                };
                let others: Vec<String> =
                    (0..sets.len()).filter(|j| *j != k).filter_map(|j| r.get(2 + j).map(String::from)).collect();
                lines.entry((seed, others)).or_default().push((x, y));
            }
            let per_seed: Vec<(u64, Vec<(f64, f64)>)> = lines
                .into_iter()
                .map(|((seed, _), mut pts)| {
                    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    (seed, pts)
                })
                .collect();
            let name: String = path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
            let file = dir.join(format!("{}-vs-{}.svg", metric, name));
            crate::report::charts::write_sweep_chart(&file, path, metric, &per_seed)?;
        }
    }
    Ok(())
}

/// The swept paths of a `sweep.csv` (the columns between `seed` and
/// `nodes`) with their values in order of appearance: what `merge`'s
/// charts need.
pub fn sets_of(header: &str, rows: &[String]) -> Vec<(String, Vec<String>)> {
    let cols: Vec<&str> = header.split(',').collect();
    let end = cols.iter().position(|c| *c == "nodes").unwrap_or(2);
    let text = format!("{}\n{}\n", header, rows.join("\n"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    (2..end)
        .map(|k| {
            let mut values: Vec<String> = Vec::new();
            for r in &records {
                if let Some(v) = r.get(k) {
                    if !values.iter().any(|x| x == v) {
                        values.push(v.to_string());
                    }
                }
            }
            (cols[k].to_string(), values)
        })
        .collect()
}

/// Writes `DIR/sweep.csv`: the header, then `rows`.
pub fn write_csv(dir: &Path, header: &str, rows: &[String]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("sweep.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    writeln!(f, "{}", header)?;
    for r in rows {
        writeln!(f, "{}", r)?;
    }
    f.flush()?;
    Ok(path)
}

/// Joins shards' `sweep.csv` files (from `dirs`) into one, as a single
/// machine writes it: same header everywhere, every run exactly once,
/// rows in run order.
pub fn merge(dirs: &[PathBuf]) -> Result<(String, Vec<String>), String> {
    let mut header: Option<String> = None;
    let mut rows: Vec<(usize, String)> = Vec::new();
    for d in dirs {
        let path = d.join("sweep.csv");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("error: {}: {}", path.display(), e))?;
        let mut lines = text.lines();
        let h = lines.next().ok_or_else(|| format!("error: {}: empty file", path.display()))?;
        match &header {
            Some(prev) if prev != h => {
                return Err(format!("error: {}: its header differs from the other shards'", path.display()))
            }
            _ => header = Some(h.to_string()),
        }
        for (i, line) in lines.enumerate() {
            let number = line
                .split(',')
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| format!("error: {}:{}: no run number", path.display(), i + 2))?;
            rows.push((number, line.to_string()));
        }
    }
    let header = header.ok_or("error: no shard directories given")?;
    rows.sort_by_key(|r| r.0);
    for (i, (n, _)) in rows.iter().enumerate() {
        if *n != i + 1 {
            return Err(if *n < i + 1 {
                format!("error: run {} appears in more than one shard", n)
            } else {
                format!("error: run {} is in no shard", i + 1)
            });
        }
    }
    Ok((header, rows.into_iter().map(|r| r.1).collect()))
}

/// Fields joined as one CSV line, quoted where they need it.
fn csv_line(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\"").replace('\n', " "))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_the_product_first_set_slowest_then_seeds() {
        let s = Sweep {
            scenario: "x.yaml".into(),
            sets: vec![("a".into(), vec!["1".into(), "2".into()]), ("b".into(), vec!["x".into(), "y".into()])],
            seeds: 2,
            shard: None,
        };
        let runs = s.runs();
        assert_eq!(runs.len(), 8);
        assert_eq!(runs[0], RunSpec { number: 1, values: vec!["1".into(), "x".into()], seed: 1 });
        assert_eq!(runs[1].seed, 2);
        assert_eq!(runs[2].values, vec!["1".to_string(), "y".into()]);
        assert_eq!(runs[7], RunSpec { number: 8, values: vec!["2".into(), "y".into()], seed: 2 });
        let shard = Sweep { shard: Some((1, 3)), ..s };
        assert_eq!(shard.my_runs().iter().map(|r| r.number).collect::<Vec<_>>(), vec![1, 4, 7]);
    }

    #[test]
    fn arguments_are_checked() {
        assert_eq!(parse_set("cluster.nodes[0].count=1,2").unwrap().1, vec!["1", "2"]);
        assert!(parse_set("nopath").is_err());
        assert!(parse_set("a[x]=1").is_err());
        assert!(parse_set("a=1,,2").is_err());
        assert_eq!(parse_shard("2/4"), Ok((2, 4)));
        for bad in ["4/4", "1", "a/2", "0/0"] {
            assert!(parse_shard(bad).is_err(), "{}", bad);
        }
        assert_eq!(csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into()]), "a,\"b,c\",\"say \"\"hi\"\"\"");
    }
}
