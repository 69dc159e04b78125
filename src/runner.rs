//! Running a scenario: advance to each checkpoint (expectation times and
//! report samples), evaluate, and finish at the horizon.

#![warn(missing_docs)]

use crate::component::Selection;
use crate::report::observe::ClusterStats;
use crate::report::summary::{self, Summary};
use crate::scenario::expect::Verdict;
use crate::scenario::Scenario;
use crate::sim::{SimDuration, SimTime};
use crate::simulation::Simulation;
use std::io::Write;

/// A sampler called at every `interval` (t = 0 included) with the totals.
pub type Sampler<'a> = (SimDuration, &'a mut dyn FnMut(SimTime, &ClusterStats));

/// How to run a scenario; `Default` runs it as written (its seed, else 1;
/// to its horizon; built-in components only).
#[derive(Default)]
pub struct RunOptions<'a> {
    /// The master seed; `None` takes the scenario's `seed:`, else 1.
    pub seed: Option<u64>,
    /// The horizon; by default the scenario's `duration` or its last
    /// expectation, whichever is later.
    pub until: Option<SimTime>,
    /// Keep Kubernetes Events in memory (for printing the timeline).
    pub keep_events: bool,
    /// Where to stream the trace, one JSON object per record (the CLI's
    /// `--trace`).
    pub jsonl: Option<Box<dyn Write>>,
    /// A sampler of the cluster totals (for `--csv`).
    pub sample: Option<Sampler<'a>>,
    /// Record per-pod lifecycle times (for `pods.csv`).
    pub pod_times: bool,
    /// The components the scenario selected (`Scenario::select`); `None`:
    /// the built-ins only.
    pub selection: Option<&'a Selection>,
    /// Compute the run's summary metrics (`summary.csv`; see
    /// `report::summary`).
    pub summary: bool,
}

/// What a run produced.
pub struct RunResult {
    /// The simulation as it is at the horizon, to inspect (`sim.store`,
    /// `sim.trace`, …).
    pub sim: Simulation,
    /// The seed the run used.
    pub seed: u64,
    /// One entry per expectation, in file order; `None` when the horizon
    /// came before its time.
    pub verdicts: Vec<Option<Verdict>>,
    /// The trace hash as 16 hex digits: the same scenario and seed give
    /// the same hash.
    pub trace_hash: String,
    /// The scenario's operations that went wrong: setup objects the
    /// apiserver refused, timeline entries that failed without
    /// `expectError`, and entries with `expectError` that succeeded.
    pub timeline_failures: Vec<TimelineFailure>,
    /// The run's summary metrics, when `RunOptions::summary` asked.
    pub summary: Option<Summary>,
}

/// A scenario operation whose outcome was not the one the scenario asked
/// for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineFailure {
    /// The timeline entry's line in the scenario file; `None` for the
    /// setup (`objects:`, nodes, workload rows).
    pub line: Option<usize>,
    /// When the entry ran (the setup: t = 0).
    pub at: SimTime,
    /// What kubectl printed (its errors, one per line), or why an entry
    /// that expected an error is a failure.
    pub message: String,
}

impl std::fmt::Display for TimelineFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "timeline entry at {} (line {}): {}", self.at, l, self.message),
            None => write!(f, "setup: {}", self.message),
        }
    }
}

impl RunResult {
    /// How many expectations were checked and failed (those after the
    /// horizon are not counted), plus the scenario operations that went
    /// wrong (`timeline_failures`): what makes `kubesim run` exit 1.
    pub fn failed(&self) -> usize {
        self.verdicts.iter().filter(|v| v.as_ref().is_some_and(|v| !v.passed)).count() + self.timeline_failures.len()
    }
}

/// Judges the scenario's operations by the errors they got back: an entry
/// fails when it got an error without `expectError`, or none with it (an
/// entry after `until` never ran and is not judged). Errors of the setup
/// always fail.
pub fn timeline_failures(scn: &Scenario, sim: &Simulation, until: SimTime) -> Vec<TimelineFailure> {
    let mut errors: Vec<Vec<&str>> = vec![Vec::new(); scn.timeline.len()];
    let mut out = Vec::new();
    let mut setup = Vec::new();
    for u in sim.user_errors.iter().filter(|u| u.is_failure()) {
        match u.entry.and_then(|i| errors.get_mut(i as usize)) {
            Some(list) => list.push(&u.message),
            // Entries past the scenario's own are a property test's faults.
            None if u.entry.is_some() => {}
            None => setup.push(u.message.as_str()),
        }
    }
    if !setup.is_empty() {
        out.push(TimelineFailure { line: None, at: SimTime::ZERO, message: setup.join("\n") });
    }
    for (e, errs) in scn.timeline.iter().zip(&errors) {
        if e.at > until {
            continue;
        }
        let message = match (e.expect_error, errs.is_empty()) {
            (false, false) => errs.join("\n"),
            (true, true) => "expectError: true, but the operation succeeded".to_string(),
            _ => continue,
        };
        out.push(TimelineFailure { line: Some(e.line), at: e.at, message });
    }
    out
}

/// The default horizon of a scenario.
pub fn horizon(scn: &Scenario) -> SimTime {
    let last = scn.expect.iter().map(|e| e.at).max().unwrap_or(SimTime::ZERO);
    SimTime(scn.duration.0).max(last)
}

/// Runs `scn`: builds the cluster, advances to each expectation's time and
/// checks it there, and stops at the horizon.
///
/// # Panics
///
/// When the scenario names components (`cluster.controllers` or
/// `cluster.schedulers`) the built-in registry lacks and
/// `opts.selection` is `None`: pass `Scenario::select`'s result.
pub fn run(scn: &Scenario, opts: RunOptions) -> RunResult {
    let seed = opts.seed.or(scn.seed).unwrap_or(1);
    let jsonl = opts.jsonl;
    let builtin;
    let sel = match opts.selection {
        Some(s) => s,
        None => {
            builtin = scn.select(&crate::component::Registry::new()).unwrap_or_else(|e| {
                panic!("{}\n(the scenario names components: pass RunOptions::selection from Scenario::select)", e)
            });
            &builtin
        }
    };
    let mut sim = scn.build_selected(seed, sel, |sim| {
        sim.trace.keep_events(opts.keep_events);
        if opts.pod_times {
            sim.observers.record_pod_times();
        }
        if let Some(w) = jsonl {
            sim.trace.set_jsonl(w);
        }
        if opts.summary {
            sim.observers.record_summary();
            sim.trace.tap(summary::TAPPED_REASONS);
        }
    });
    if let Some((interval, _)) = &opts.sample {
        sim.traffic.stats.record_intervals(*interval);
    }
    let until = opts.until.unwrap_or_else(|| horizon(scn));
    let mut order: Vec<usize> = (0..scn.expect.len()).collect();
    order.sort_by_key(|&i| (scn.expect[i].at, i));
    let mut verdicts: Vec<Option<Verdict>> = vec![None; scn.expect.len()];
    let mut next_exp = 0;
    let mut sample = opts.sample;
    let mut next_sample = sample.as_ref().map(|_| SimTime::ZERO);
    let mut next_summary = opts.summary.then_some(SimTime::ZERO);
    loop {
        let exp_t = order.get(next_exp).map(|&i| scn.expect[i].at).filter(|t| *t <= until);
        let cp = [exp_t, next_sample.filter(|t| *t <= until), next_summary.filter(|t| *t <= until), Some(until)]
            .into_iter()
            .flatten()
            .min()
            .expect("until");
        sim.run_until(cp);
        while let Some(&i) = order.get(next_exp) {
            if scn.expect[i].at != cp {
                break;
            }
            verdicts[i] = Some(scn.expect[i].check(&sim.store, &sim.traffic.stats));
            next_exp += 1;
        }
        if next_sample == Some(cp) {
            let (interval, f) = sample.as_mut().expect("sampling");
            f(cp, &sim.observers.stats);
            next_sample = Some(cp + *interval);
        }
        if next_summary == Some(cp) {
            let (requested, allocatable) = (sim.observers.stats.requested, sim.observers.stats.allocatable);
            if let Some(s) = sim.observers.summary.as_mut() {
                s.sample(requested, allocatable);
            }
            next_summary = Some(cp + summary::SAMPLE_EVERY);
        }
        if cp >= until {
            break;
        }
    }
    sim.trace.flush();
    let trace_hash = sim.trace.hash_hex();
    let timeline_failures = timeline_failures(scn, &sim, until);
    let now = sim.now();
    let summary = sim.observers.summary.as_mut().map(|s| s.finish(now, sim.trace.tapped()));
    RunResult { sim, seed, verdicts, trace_hash, timeline_failures, summary }
}
