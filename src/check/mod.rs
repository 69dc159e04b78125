//! Property tests of controllers: run a scenario under thousands of seeded
//! fault schedules, check invariants, and shrink a failure to the smallest
//! schedule that still breaks one — replayable byte for byte.
//!
//! A [`Property`] is one of the Antithesis SDK's three assertions:
//! - **always**: checked after every event of the run;
//! - **eventually**: once the faults have stopped (the last fault, or the
//!   end of the last outage), it must hold within a deadline — the shape of
//!   Anvil's Eventually Stable Reconciliation;
//! - **sometimes**: must be seen true in at least one case (coverage: a
//!   property test whose faults never reach the interesting state proves
//!   nothing).
//!
//! [`Check`] draws cases with proptest (a seed for the run and a fault
//! schedule from a [`FaultSpace`]); on a failure proptest shrinks the
//! schedule (fewer faults, shorter outages, earlier times) and the
//! [`Failure`] carries the seed, the shrunk schedule, and a scenario YAML
//! that `kubesim run` (or the user's own binary) replays to the same run —
//! the same trace hash. Every case also audits the watch streams its
//! components see (etcd's guarantees: ordered, unique, reliable).
//!
//! ```no_run
//! use kubesim::check::{invariants, Check, FaultSpace};
//! use kubesim::component::Registry;
//!
//! let report = Check::from_file("scenarios/node-dies-rc-reschedules.yaml")
//!     .unwrap()
//!     .registry(Registry::new())
//!     .faults(FaultSpace::nodes(&["node-1", "node-2"], "5m"))
//!     .property(invariants::replica_sets_stable("10m"))
//!     .cases(64)
//!     .run();
//! if let Err(failure) = report {
//!     panic!("{}", failure);
//! }
//! ```

#![warn(missing_docs)]

pub mod faults;
pub mod invariants;
pub mod swarm;

pub use faults::{ContainerFault, Fault, FaultSchedule, FaultSpace};

use crate::component::{Controller, Cx, Registration, Registry, Role};
use crate::objects::store::{WatchEvent, WatchKind};
use crate::objects::{Kind, Object};
use crate::scenario::{self, Scenario};
use crate::sim::{SimDuration, SimTime};
use crate::simulation::Simulation;
use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A check of the simulation's state; `Err` says what is wrong.
pub type StateCheck = Box<dyn FnMut(&Simulation) -> Result<(), String>>;

enum PropKind {
    Always(StateCheck),
    Eventually { within: SimDuration, check: StateCheck },
    Sometimes(Box<dyn FnMut(&Simulation) -> bool>),
}

/// One invariant, named in reports.
pub struct Property {
    name: String,
    kind: PropKind,
}

impl Property {
    /// Must hold after every event.
    pub fn always(name: &str, check: impl FnMut(&Simulation) -> Result<(), String> + 'static) -> Property {
        Property { name: name.into(), kind: PropKind::Always(Box::new(check)) }
    }

    /// Must hold `within` (e.g. `"5m"`) of the faults stopping.
    pub fn eventually(
        name: &str,
        within: &str,
        check: impl FnMut(&Simulation) -> Result<(), String> + 'static,
    ) -> Property {
        let within = crate::objects::duration::parse_duration(within).expect("a duration such as 5m");
        Property { name: name.into(), kind: PropKind::Eventually { within, check: Box::new(check) } }
    }

    /// Must be true after some event of some case.
    pub fn sometimes(name: &str, check: impl FnMut(&Simulation) -> bool + 'static) -> Property {
        Property { name: name.into(), kind: PropKind::Sometimes(Box::new(check)) }
    }

    /// The property's name, as reports print it.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Makes a fresh property for each case (properties may keep state, such
/// as the last resourceVersion seen).
pub type PropertyFactory = Rc<dyn Fn() -> Property>;

/// A property broken by one case.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The property's name.
    pub property: String,
    /// What it found wrong.
    pub message: String,
    /// When it broke (for an eventually property: its deadline).
    pub at: SimTime,
    /// The run's seed.
    pub seed: u64,
    /// The shrunk schedule.
    pub schedule: FaultSchedule,
    /// How many faults the first failing schedule had.
    pub original_faults: usize,
    /// The scenario that replays the failing run.
    pub scenario_yaml: String,
    /// The failing run's trace hash (what `kubesim run` prints for the
    /// scenario above).
    pub trace_hash: String,
}

impl Failure {
    /// A failure of the check itself rather than of one case (a scenario
    /// that does not resolve, a sometimes-property never seen).
    fn of_check(property: String, message: String) -> Box<Failure> {
        Box::new(Failure {
            property,
            message,
            at: SimTime::ZERO,
            seed: 0,
            schedule: FaultSchedule::default(),
            original_faults: 0,
            scenario_yaml: String::new(),
            trace_hash: String::new(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "property {:?} failed at {}: {}", self.property, SimDuration(self.at.0), self.message)?;
        writeln!(f, "seed: {}", self.seed)?;
        writeln!(
            f,
            "faults (shrunk from {} to {}): {}",
            self.original_faults,
            self.schedule.faults.len(),
            self.schedule
        )?;
        writeln!(f, "trace-hash: {}", self.trace_hash)?;
        writeln!(f, "replay: save the scenario below and run it (`kubesim run FILE`, or your binary's `run`):")?;
        write!(f, "{}", self.scenario_yaml)
    }
}

/// What a passing check saw.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Cases run.
    pub cases: u32,
    /// Per sometimes-property: in how many cases it was seen.
    pub sometimes: BTreeMap<String, u32>,
}

/// A property test of a scenario under random fault schedules.
pub struct Check {
    scenario: Scenario,
    source: String,
    base_dir: PathBuf,
    registry: Registry,
    properties: Vec<PropertyFactory>,
    space: Option<FaultSpace>,
    cases: u32,
    seed: u64,
    audit_watches: bool,
}

impl Check {
    /// A check of the scenario in `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Check, scenario::error::LoadErrors> {
        let path = path.as_ref();
        let src = std::fs::read_to_string(path).map_err(|e| {
            scenario::error::LoadErrors(vec![scenario::error::LoadError {
                file: path.display().to_string(),
                pos: None,
                field: String::new(),
                message: format!("cannot read file: {}", e),
            }])
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_str(&src, &path.display().to_string(), &base)
    }

    /// A check of a scenario given as text (`file` names it in errors,
    /// `base` resolves its `file:` references).
    pub fn from_str(src: &str, file: &str, base: &Path) -> Result<Check, scenario::error::LoadErrors> {
        let scenario = scenario::load_str(src, file, base)?;
        Ok(Check {
            scenario,
            source: src.to_string(),
            base_dir: base.to_path_buf(),
            registry: Registry::new(),
            properties: Vec::new(),
            space: None,
            cases: 100,
            seed: 0x006b_7562_6573_696d,
            audit_watches: true,
        })
    }

    /// The components the scenario may name.
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = registry;
        self
    }

    /// Adds a property (a factory: each case gets a fresh one).
    pub fn property(mut self, make: impl Fn() -> Property + 'static) -> Self {
        self.properties.push(Rc::new(make));
        self
    }

    /// The faults to draw schedules from (none: every case runs
    /// fault-free, with its own seed).
    pub fn faults(mut self, space: FaultSpace) -> Self {
        self.space = Some(space);
        self
    }

    /// How many cases to draw (default 100).
    pub fn cases(mut self, n: u32) -> Self {
        self.cases = n.max(1);
        self
    }

    /// The seed of the case generator (the same seed draws the same cases).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether every case audits its components' watch streams (default on).
    pub fn audit_watches(mut self, on: bool) -> Self {
        self.audit_watches = on;
        self
    }

    /// Runs the cases; the first failure, shrunk, or a report.
    pub fn run(&self) -> Result<Report, Box<Failure>> {
        let selection =
            self.scenario.select(&self.registry).map_err(|e| Failure::of_check("scenario".into(), e.to_string()))?;
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&self.seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        // Every knob set here, so no PROPTEST_* variable of the environment
        // changes which cases run or how far they shrink.
        let config = PtConfig {
            cases: self.cases,
            failure_persistence: None,
            max_shrink_iters: 4096,
            max_shrink_time: 0,
            max_local_rejects: 65_536,
            max_global_rejects: 1024,
            max_flat_map_regens: 1_000_000,
            fork: false,
            timeout: 0,
            verbose: 0,
            rng_algorithm: RngAlgorithm::ChaCha,
            ..PtConfig::default()
        };
        let mut runner = TestRunner::new_with_rng(config, rng);
        let schedules = match &self.space {
            Some(s) => s.strategy(),
            None => proptest::strategy::Strategy::boxed(proptest::strategy::Just(FaultSchedule::default())),
        };
        let report = RefCell::new(Report::default());
        let first_faults = RefCell::new(None::<usize>);
        let outcome = runner.run(&(1u64..=u32::MAX as u64, schedules), |(seed, schedule)| {
            let out = self.run_case(&selection, seed, &schedule);
            let mut r = report.borrow_mut();
            r.cases += 1;
            for name in &out.sometimes_hit {
                *r.sometimes.entry(name.clone()).or_default() += 1;
            }
            match out.failure {
                Some((prop, msg, _)) => {
                    first_faults.borrow_mut().get_or_insert(schedule.faults.len());
                    Err(TestCaseError::fail(format!("{}: {}", prop, msg)))
                }
                None => Ok(()),
            }
        });
        match outcome {
            Ok(()) => {
                let mut r = report.into_inner();
                for p in &self.properties {
                    let p = p();
                    if let PropKind::Sometimes(_) = p.kind {
                        let hits = r.sometimes.entry(p.name.clone()).or_default();
                        if *hits == 0 {
                            let message = format!("never seen true in {} cases", self.cases);
                            return Err(Failure::of_check(p.name, message));
                        }
                    }
                }
                Ok(r)
            }
            Err(TestError::Fail(_, (seed, schedule))) => {
                // The shrunk case, run once more: what it breaks, when, and
                // its trace (a determinism check of its own: it must fail
                // again).
                let out = self.run_case(&selection, seed, &schedule);
                let (property, message, at) = out.failure.clone().unwrap_or_else(|| {
                    (
                        "determinism".into(),
                        "the shrunk case did not fail when run again (a run is not a function of its seed)".into(),
                        SimTime::ZERO,
                    )
                });
                Err(Box::new(Failure {
                    property,
                    message,
                    at,
                    seed,
                    original_faults: first_faults.into_inner().unwrap_or(schedule.faults.len()),
                    scenario_yaml: self.replay_yaml(seed, &schedule, out.until),
                    schedule,
                    trace_hash: out.trace_hash,
                }))
            }
            Err(TestError::Abort(reason)) => Err(Failure::of_check("check".into(), format!("aborted: {}", reason))),
        }
    }

    /// The horizon of a case: the scenario's, or long enough for every
    /// eventually-property's deadline after the schedule's quiet time.
    fn horizon(&self, schedule: &FaultSchedule, props: &[Property]) -> SimTime {
        let quiet = schedule.quiet_from();
        let mut end = crate::runner::horizon(&self.scenario);
        for p in props {
            if let PropKind::Eventually { within, .. } = &p.kind {
                end = end.max(quiet + *within);
            }
        }
        end
    }

    /// One case: build, schedule the faults, step to the horizon checking
    /// every property.
    fn run_case(&self, selection: &crate::component::Selection, seed: u64, schedule: &FaultSchedule) -> CaseOutcome {
        let mut props: Vec<Property> = self.properties.iter().map(|p| p()).collect();
        let mut sel = selection.clone();
        let audit = Rc::new(RefCell::new(Vec::<String>::new()));
        if self.audit_watches {
            let log = audit.clone();
            sel.components.push(Registration {
                name: "kubesim-watch-audit".into(),
                role: Role::Controller,
                factory: Rc::new(move || Box::new(WatchAudit::new(log.clone())) as Box<dyn Controller>),
                qps: 20,
                burst: 30,
                on_by_default: false,
            });
        }
        // The faults join the scenario's timeline after its own entries:
        // exactly the scenario the failure report prints, so a replay is
        // this run.
        let mut scn = self.scenario.clone();
        for (at, action) in schedule.actions() {
            scn.timeline.push(crate::scenario::TimelineEntry { at, action, line: 0, expect_error: false });
        }
        let mut sim = scn.build_selected(seed, &sel, |_| {});
        let mut until = self.horizon(schedule, &props);
        let quiet = schedule.quiet_from();
        let mut failure = None;
        let mut hit = vec![false; props.len()];
        // Eventually-properties in deadline order, each checked when the
        // clock reaches its deadline (after every event at that instant).
        let mut deadlines: Vec<(SimTime, usize, bool)> = props
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match &p.kind {
                PropKind::Eventually { within, .. } => Some((quiet + *within, i, false)),
                _ => None,
            })
            .collect();
        deadlines.sort();
        let mut next = 0;
        'run: loop {
            let limit = deadlines.get(next).map_or(until, |d| d.0.min(until));
            if sim.step(limit) {
                if let Some(v) = audit.borrow_mut().drain(..).next() {
                    failure = Some(("watch guarantees".to_string(), v, sim.now()));
                    break;
                }
                for (i, p) in props.iter_mut().enumerate() {
                    match &mut p.kind {
                        PropKind::Always(check) => {
                            if let Err(msg) = check(&sim) {
                                failure = Some((p.name.clone(), msg, sim.now()));
                                break 'run;
                            }
                        }
                        PropKind::Sometimes(check) => {
                            if !hit[i] && check(&sim) {
                                hit[i] = true;
                            }
                        }
                        PropKind::Eventually { .. } => {}
                    }
                }
                continue;
            }
            let Some(&(t, i, polling)) = deadlines.get(next) else { break };
            if t > until {
                break;
            }
            sim.run_until(t);
            let within = match &props[i].kind {
                PropKind::Eventually { within, .. } => *within,
                _ => SimDuration::ZERO,
            };
            // A component still down, lagging or disconnected (a crash
            // that came after its fault's time, with `afterWrites`) has not
            // recovered: poll each second, and once it has, the deadline
            // runs from then. (At most an hour past the first deadline.)
            let settled = sim.components_settled();
            let cap = quiet + within + SimDuration::from_secs(3600);
            let moved = match (settled, polling) {
                (false, _) if t < cap => Some((t + SimDuration::from_secs(1), true)),
                (true, true) => Some((t + within, false)),
                _ => None,
            };
            if let Some((at, poll)) = moved {
                deadlines[next] = (at, i, poll);
                until = until.max(at);
                deadlines[next..].sort();
                continue;
            }
            if let PropKind::Eventually { check, .. } = &mut props[i].kind {
                if let Err(msg) = check(&sim) {
                    failure = Some((props[i].name.clone(), msg, t));
                    break;
                }
            }
            next += 1;
        }
        // The whole run, to the horizon the replay's `duration` is.
        sim.run_until(until);
        CaseOutcome {
            failure,
            sometimes_hit: props.iter().zip(&hit).filter(|(_, h)| **h).map(|(p, _)| p.name.clone()).collect(),
            trace_hash: sim.trace.hash_hex(),
            until,
        }
    }

    /// The scenario with the case's seed, the faults appended to its
    /// timeline, and its duration set to the case's horizon.
    fn replay_yaml(&self, seed: u64, schedule: &FaultSchedule, until: SimTime) -> String {
        replay_yaml(&self.source, seed, schedule, until)
    }

    /// The base directory the scenario's `file:` references resolve from.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }
}

struct CaseOutcome {
    failure: Option<(String, String, SimTime)>,
    sometimes_hit: Vec<String>,
    trace_hash: String,
    until: SimTime,
}

/// Rewrites a scenario's text with `seed`, `duration` and the schedule's
/// timeline entries appended (after the scenario's own, so the run is the
/// same one).
pub fn replay_yaml(source: &str, seed: u64, schedule: &FaultSchedule, until: SimTime) -> String {
    use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};
    let docs = YamlLoader::load_from_str(source).unwrap_or_default();
    let mut doc = docs.into_iter().next().unwrap_or(Yaml::Hash(Default::default()));
    if let Yaml::Hash(h) = &mut doc {
        h.insert(Yaml::String("seed".into()), Yaml::Integer(seed as i64));
        h.insert(Yaml::String("duration".into()), Yaml::String(SimDuration(until.0).to_string()));
        let key = Yaml::String("timeline".into());
        let mut list = match h.remove(&key) {
            Some(Yaml::Array(a)) => a,
            _ => Vec::new(),
        };
        for entry in schedule.timeline_yaml() {
            // Names are plain (registered and node names are DNS-like), so
            // every entry parses; one that did not would be a bug here.
            let mut d = YamlLoader::load_from_str(&entry).unwrap_or_else(|e| panic!("fault entry {:?}: {}", entry, e));
            if let Some(Yaml::Array(mut a)) = d.pop() {
                list.append(&mut a);
            }
        }
        h.insert(key, Yaml::Array(list));
    }
    let mut out = String::new();
    let mut em = YamlEmitter::new(&mut out);
    let _ = em.dump(&doc);
    out.push('\n');
    out
}

/// A component that watches every built-in kind and checks etcd's watch
/// guarantees on what it receives: resourceVersions strictly increase
/// (ordered, unique), and each object's update or delete follows the
/// version this watcher saw last (reliable: nothing was skipped).
struct WatchAudit {
    log: Rc<RefCell<Vec<String>>>,
    last_rv: u64,
    seen: BTreeMap<(String, String, String), u64>,
}

impl WatchAudit {
    fn new(log: Rc<RefCell<Vec<String>>>) -> Self {
        WatchAudit { log, last_rv: 0, seen: BTreeMap::new() }
    }
}

impl Controller for WatchAudit {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Namespace, Kind::Node, Kind::Pod, Kind::ReplicaSet, Kind::ReplicationController]
    }

    fn on_watch(&mut self, ev: &WatchEvent, _cx: &mut Cx) {
        let rv = ev.obj.meta().resource_version;
        let key = (ev.obj.kind_name().to_string(), ev.obj.meta().namespace.to_string(), ev.obj.meta().name.to_string());
        if rv <= self.last_rv && ev.kind != WatchKind::Deleted {
            self.log.borrow_mut().push(format!(
                "{:?} of {}/{} at resourceVersion {} after {} (out of order or repeated)",
                ev.kind, key.1, key.2, rv, self.last_rv
            ));
        }
        if ev.kind != WatchKind::Deleted {
            self.last_rv = self.last_rv.max(rv);
        }
        let prev = self.seen.get(&key).copied();
        let old_rv = ev.old.as_ref().map(|o: &Object| o.meta().resource_version);
        match ev.kind {
            WatchKind::Added => {
                if prev.is_some() {
                    self.log.borrow_mut().push(format!("Added {}/{} twice", key.1, key.2));
                }
                self.seen.insert(key, rv);
            }
            WatchKind::Modified | WatchKind::Deleted => {
                if prev.is_none() || (old_rv.is_some() && old_rv != prev) {
                    self.log.borrow_mut().push(format!(
                        "{:?} of {}/{} follows version {:?}, but this watch last saw {:?} (an event was lost)",
                        ev.kind, key.1, key.2, old_rv, prev
                    ));
                }
                if ev.kind == WatchKind::Deleted {
                    self.seen.remove(&key);
                } else {
                    self.seen.insert(key, rv);
                }
            }
        }
    }
}
