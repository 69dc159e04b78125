//! Scenarios: a cluster, the manifests to apply, a timeline of operations
//! and faults, and expectations (the README's "Scenarios").
//!
//! Loading is strict for the scenario's own keys (an unknown key is an
//! error with its line). Inside manifests of the kinds the simulator
//! models, a field the Kubernetes type does not have is an error
//! (`schema`), and a known field it does not model is reported as not
//! simulated. Every problem is collected, with file, line, column and field
//! path, before loading fails, so one run shows them all. Every input is
//! bounded (`limits`).

#![warn(missing_docs)]

pub mod action;
pub mod alibaba;
pub mod error;
pub mod expect;
pub mod kubectl;
pub mod limits;
pub mod manifest;
pub mod overrides;
pub mod reader;
pub mod schema;
pub mod workload;
pub mod yaml;

use crate::component::{Registry, Selection};
use crate::config::{self, Config, KnobKind, KnobValue};
use crate::nodes::images::{HttpBehavior, ImageBehavior, ImageCatalog, MemoryUse, Sigterm};
use crate::objects::meta::ObjectMeta;
use crate::objects::node::{Node, LABEL_HOSTNAME};
use crate::objects::pod::{CondStatus, PodPhase};
use crate::objects::probe::{Handler, ProbeKind};
use crate::objects::quantity::parse_quantity;
use crate::objects::selector::Selector;
use crate::objects::store::Propagation;
use crate::objects::{Kind, Object};
use crate::sim::latency::Latency;
use crate::sim::{SimDuration, SimTime};
use crate::simulation::Simulation;
use action::{Action, ContainerOp, PodTarget};
use error::{Diagnostics, LoadError, LoadErrors};
use expect::{CountCheck, Expectation, NodeFilter, PodFilter, Target, WorkloadFilter};
use reader::{Fields, Reader, Unknown};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use workload::WorkloadPod;
use yaml::Node as Y;

/// One `timeline:` entry: an action at a virtual time.
#[derive(Clone, Debug)]
pub struct TimelineEntry {
    /// When the action happens (`at:`).
    pub at: SimTime,
    /// What happens.
    pub action: Action,
    /// The entry's line in the scenario file, for messages.
    pub line: usize,
    /// `expectError: true`: the entry shows a refusal on purpose; the run
    /// fails if it succeeds (and does not fail because it errs).
    pub expect_error: bool,
}

/// A loaded scenario file: the cluster, the manifests applied at t = 0,
/// the timeline, the workload and the expectations, all checked. Build a
/// simulation from it (`Simulation::builder`, `Scenario::build`) or run it
/// (`runner::run`); it can be built any number of times.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `name:`, by default the file's name without its extension.
    pub name: String,
    /// The file it was loaded from, as messages name it.
    pub path: String,
    /// `seed:`, the default master seed of its runs.
    pub seed: Option<u64>,
    /// `duration:`, the default horizon of a run (10 minutes when absent;
    /// a run goes on to the last expectation if that is later).
    pub duration: SimDuration,
    /// `cluster.config`: the configuration knobs, over Kubernetes'
    /// defaults.
    pub config: Config,
    /// `cluster.nodes`, expanded (a `namePrefix`/`count` entry gives
    /// several).
    pub nodes: Vec<Rc<Node>>,
    /// `images:`: what the containers of each image do.
    pub images: ImageCatalog,
    /// `objects:`: the manifests created at t = 0, in file order.
    pub objects: Vec<Object>,
    /// `workloads:`: pods from trace files, created at their arrival times.
    pub workload: Vec<WorkloadPod>,
    /// `timeline:`, in file order.
    pub timeline: Vec<TimelineEntry>,
    /// `expect:`, in file order.
    pub expect: Vec<Expectation>,
    /// The loader's warnings (fields not simulated, …), each once, as the
    /// CLI prints them.
    pub warnings: Vec<String>,
    /// `cluster.controllers` (kube-controller-manager's `--controllers`
    /// syntax) and `cluster.schedulers`, each name with its position:
    /// resolved against a `component::Registry` by `Scenario::select`.
    pub controllers: Vec<(String, Option<yaml::Pos>)>,
    /// `cluster.schedulers`: extra schedulers (each takes the pods whose
    /// `spec.schedulerName` names it), with their positions.
    pub schedulers: Vec<(String, Option<yaml::Pos>)>,
}

/// Loads a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadErrors> {
    let label = path.display().to_string();
    let src = limits::read_input(path).map_err(|e| {
        LoadErrors(vec![LoadError {
            file: label.clone(),
            pos: None,
            field: String::new(),
            message: format!("cannot read file: {}", e),
        }])
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&src, &label, &base)
}

/// Loads a scenario file with `--set PATH=VALUE` overrides written into
/// its YAML first (`overrides`); messages name the file, and a field a
/// value replaced is reported at the line it replaced.
pub fn load_with(path: &Path, overrides: &[(String, String)]) -> Result<Scenario, LoadErrors> {
    let label = path.display().to_string();
    let fail = |field: &str, message: String| {
        LoadErrors(vec![LoadError { file: label.clone(), pos: None, field: field.to_string(), message }])
    };
    let src = limits::read_input(path).map_err(|e| fail("", format!("cannot read file: {}", e)))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut docs = yaml::parse_documents(&src).map_err(|e| fail("", format!("invalid YAML: {}", e.message)))?;
    if let [doc] = docs.as_mut_slice() {
        for (p, v) in overrides {
            overrides::set(doc, p, v).map_err(|e| fail(p, format!("--set: {}", e)))?;
        }
    }
    load_docs(docs, src.len() as u64, &label, &base)
}

/// Loads a scenario from text; `file` names it in messages and `base` is
/// where its `file:` references are resolved.
pub fn load_str(src: &str, file: &str, base: &Path) -> Result<Scenario, LoadErrors> {
    let docs = match yaml::parse_documents(src) {
        Ok(d) => d,
        Err(e) => {
            return Err(LoadErrors(vec![LoadError {
                file: file.into(),
                pos: Some(e.pos),
                field: String::new(),
                message: format!("invalid YAML: {}", e.message),
            }]))
        }
    };
    load_docs(docs, src.len() as u64, file, base)
}

/// Loads the scenario of parsed YAML documents (exactly one).
fn load_docs(docs: Vec<Y>, input_bytes: u64, file: &str, base: &Path) -> Result<Scenario, LoadErrors> {
    let mut diag = Diagnostics::default();
    let scn = match docs.as_slice() {
        [doc] => {
            let mut l = Loader {
                file: file.to_string(),
                base: base.to_path_buf(),
                diag: &mut diag,
                input_bytes,
                objects: 0,
                nodes: 0,
                types: Default::default(),
                trace_nodes: Vec::new(),
                node_list_failed: false,
                traffic_names: BTreeSet::new(),
            };
            l.scenario(doc)
        }
        [] => {
            diag.error(file, None, "", "the scenario file is empty");
            None
        }
        [_, second, ..] => {
            diag.error(file, Some(second), "", "a scenario file holds one YAML document");
            None
        }
    };
    match scn {
        Some(mut s) if diag.errors.is_empty() => {
            s.warnings = diag.warnings;
            Ok(s)
        }
        _ => Err(LoadErrors(diag.errors)),
    }
}

struct Loader<'d> {
    file: String,
    base: PathBuf,
    diag: &'d mut Diagnostics,
    /// Bytes read so far from every input file (`limits::MAX_TOTAL_INPUT_BYTES`).
    input_bytes: u64,
    /// Objects loaded so far: manifests, workload rows, timeline objects
    /// (`limits::MAX_OBJECTS`).
    objects: usize,
    /// Nodes declared so far (`limits::MAX_NODES`).
    nodes: u64,
    /// The resource types known so far (CRDs add theirs).
    types: crate::objects::resource::ResourceTypes,
    /// Nodes a workload trace adds to the cluster (`alibabaGpu2023`),
    /// with where they were named.
    trace_nodes: Vec<(Rc<Node>, yaml::Pos, String)>,
    /// A workload's node list failed to load (and said so).
    node_list_failed: bool,
    /// The names of the timeline's traffic sources so far.
    traffic_names: BTreeSet<String>,
}

impl Loader<'_> {
    fn r(&mut self) -> Reader<'_> {
        Reader { file: &self.file, diag: self.diag }
    }

    fn scenario(&mut self, doc: &Y) -> Option<Scenario> {
        let mut f = self.r().fields(doc, "")?;
        let name = f.get("name").and_then(|n| self.r().str(n, "name")).unwrap_or_else(|| {
            Path::new(&self.file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
        });
        f.skip(&["description"]);
        let seed = f.get("seed").and_then(|n| self.r().uint(n, "seed"));
        let duration = match f.get("duration") {
            Some(n) => self.horizon(n, "duration").map(|t| SimDuration(t.0)).unwrap_or(SimDuration::from_secs(600)),
            None => SimDuration::from_secs(600),
        };
        let mut config = Config::default();
        let mut nodes = Vec::new();
        let mut controllers = Vec::new();
        let mut schedulers = Vec::new();
        if let Some(c) = f.get("cluster") {
            if let Some(mut cf) = self.r().fields(c, "cluster") {
                if let Some(cfg) = cf.get("config") {
                    self.config(cfg, &mut config);
                }
                if let Some(ns) = cf.get("nodes") {
                    nodes = self.nodes(ns, "cluster.nodes", &config);
                }
                if let Some(cs) = cf.get("controllers") {
                    controllers = self.name_list(cs, "cluster.controllers");
                    if !controllers.is_empty() && !controllers.iter().any(|(c, _)| c == "*") {
                        self.diag.warn_once(
                            "controllers-no-star".into(),
                            format!(
                                "warning: {}:{}: cluster.controllers has no `*`: only the controllers it names run, no built-in one (kube-controller-manager's --controllers rule); add \"*\" to keep the defaults",
                                self.file, cs.pos.line
                            ),
                        );
                    }
                }
                if let Some(ss) = cf.get("schedulers") {
                    schedulers = self.name_list(ss, "cluster.schedulers");
                }
                self.r().done(cf, Unknown::Error, " in `cluster` (expected nodes, config, controllers, schedulers)");
            }
        }
        let images = f.get("images").map(|n| self.images(n)).unwrap_or_default();
        let mut objects = Vec::new();
        // Where each of `objects` came from: its entry's position and path.
        let mut object_sites = Vec::new();
        if let Some(os) = f.get("objects") {
            let items = self.r().seq(os, "objects");
            for (i, item) in items.iter().enumerate() {
                let p = format!("objects[{}]", i);
                let objs = self.object_entry(item, &p, None);
                object_sites.extend(std::iter::repeat_n((item.pos, p), objs.len()));
                objects.extend(objs);
            }
        }
        let mut workload = Vec::new();
        if let Some(ws) = f.get("workloads") {
            for (i, w) in self.r().seq(ws, "workloads").iter().enumerate() {
                workload.extend(self.workload(w, &format!("workloads[{}]", i), &config));
            }
        }
        // A node list that failed to load has said so: no second error.
        let lists_failed = self.node_list_failed;
        let mut names: BTreeSet<Rc<str>> = nodes.iter().map(|n| n.meta.name.clone()).collect();
        for (n, pos, field) in std::mem::take(&mut self.trace_nodes) {
            if !names.insert(n.meta.name.clone()) {
                self.diag.errors.push(LoadError {
                    file: self.file.clone(),
                    pos: Some(pos),
                    field,
                    message: format!(
                        "duplicate node name `{}`: the trace's node list and cluster.nodes both name it",
                        n.meta.name
                    ),
                });
                break;
            }
            nodes.push(n);
        }
        if nodes.is_empty() && !lists_failed {
            self.diag.error(&self.file, Some(doc), "cluster.nodes", "a scenario needs at least one node");
        }
        // Images no `images:` entry describes run with the defaults: say so.
        let mut undescribed = BTreeSet::new();
        for o in &objects {
            let spec = match o {
                Object::Pod(p) => Some(&p.spec),
                Object::ReplicaSet(r) => Some(&r.spec.template.spec),
                _ => None,
            };
            for c in spec.into_iter().flat_map(|s| s.init_containers.iter().chain(s.containers.iter())) {
                if images.get(&c.image).is_none() {
                    undescribed.insert(c.image.to_string());
                }
            }
        }
        // Exec probes run in the simulated shell; a command it cannot run
        // exits with the image's exec default.
        for o in &objects {
            let spec = match o {
                Object::Pod(p) => Some(&p.spec),
                Object::ReplicaSet(r) => Some(&r.spec.template.spec),
                _ => None,
            };
            for c in spec.into_iter().flat_map(|s| s.containers.iter()) {
                for kind in [ProbeKind::Startup, ProbeKind::Liveness, ProbeKind::Readiness] {
                    if let Some(Handler::Exec { command }) = c.probes.get(kind).map(|p| &p.handler) {
                        if let Err(why) = crate::nodes::shell::parse_exec(command) {
                            self.diag.warn_once(
                                format!("exec|{}", command.join(" ")),
                                format!(
                                    "warning: {}: exec probe `{}` of container {} is not a simulated command ({}); it exits with the image's exec default",
                                    self.file,
                                    command.join(" "),
                                    c.name,
                                    why
                                ),
                            );
                        }
                    }
                }
            }
        }
        for image in undescribed {
            self.diag.warn_once(
                format!("undescribed|{}", image),
                format!(
                    "warning: {}: image {} is not described under images: it pulls in 2s, starts in 100ms, runs until stopped and serves nothing",
                    self.file, image
                ),
            );
        }
        let mut known_nodes: BTreeSet<String> = nodes.iter().map(|n| n.meta.name.to_string()).collect();
        let mut timeline = Vec::new();
        if let Some(t) = f.get("timeline") {
            for (i, e) in self.r().seq(t, "timeline").iter().enumerate() {
                if let Some(entry) = self.timeline_entry(e, &format!("timeline[{}]", i), &config, &mut known_nodes) {
                    timeline.push(entry);
                }
            }
        }
        self.check_namespaces(&objects, &object_sites, &timeline, &workload);
        let mut expect = Vec::new();
        if let Some(x) = f.get("expect") {
            for (i, e) in self.r().seq(x, "expect").iter().enumerate() {
                if let Some(ex) = self.expectation(e, &format!("expect[{}]", i)) {
                    expect.push(ex);
                }
            }
        }
        self.r().done(
            f,
            Unknown::Error,
            " (expected name, description, seed, duration, cluster, images, objects, workloads, timeline, expect)",
        );
        let mut images = images;
        let timeline_objects = || {
            timeline.iter().flat_map(|e| match &e.action {
                Action::Apply(o) | Action::Create(o) => o.as_slice(),
                _ => &[],
            })
        };
        parse_behavior_overrides(&mut images, objects.iter().chain(timeline_objects()));
        self.warn_unrunnable_commands(&images, objects.iter().chain(timeline_objects()));
        Some(Scenario {
            name,
            path: self.file.clone(),
            seed,
            duration,
            config,
            nodes,
            images,
            objects,
            workload,
            timeline,
            expect,
            warnings: Vec::new(),
            controllers,
            schedulers,
        })
    }

    /// Every object the scenario creates lives in a namespace that exists
    /// (built in, or a Namespace the scenario creates, at any time): the
    /// apiserver answers a create in a missing namespace with NotFound, a
    /// mistake better caught by `validate` than found in a run. A timeline
    /// entry with `expectError: true` may show that refusal on purpose.
    fn check_namespaces(
        &mut self,
        objects: &[Object],
        sites: &[(yaml::Pos, String)],
        timeline: &[TimelineEntry],
        workload: &[WorkloadPod],
    ) {
        let created = |o: &Object| matches!(o, Object::Namespace(_)).then(|| o.meta().name.to_string());
        let timeline_objects = || {
            timeline.iter().flat_map(|e| match &e.action {
                Action::Apply(o) | Action::Create(o) => o.as_slice(),
                _ => &[],
            })
        };
        let mut known: BTreeSet<String> = crate::objects::BUILTIN_NAMESPACES.iter().map(|n| n.to_string()).collect();
        known.extend(objects.iter().chain(timeline_objects()).filter_map(created));
        let missing = |o: &Object| -> Option<String> {
            let namespaced = o.namespaced();
            let ns = if o.meta().namespace.is_empty() { "default" } else { &*o.meta().namespace };
            (namespaced && !known.contains(ns)).then(|| ns.to_string())
        };
        let msg = |ns: &str, o: &Object| {
            format!(
                "namespaces \"{}\" not found: {} {} is in a namespace this scenario never creates (add a Namespace to objects:, or `kubectl create namespace {}` earlier in the timeline)",
                ns,
                o.kind_name(),
                o.meta().name,
                ns
            )
        };
        for (o, (pos, p)) in objects.iter().zip(sites) {
            if let Some(ns) = missing(o) {
                self.diag.error_at(&self.file, Some(*pos), &format!("{}.metadata.namespace", p), msg(&ns, o));
            }
        }
        for (i, e) in timeline.iter().enumerate().filter(|(_, e)| !e.expect_error) {
            let objs = match &e.action {
                Action::Apply(o) | Action::Create(o) => o.as_slice(),
                _ => &[],
            };
            for o in objs {
                if let Some(ns) = missing(o) {
                    let pos = yaml::Pos { line: e.line, col: 1 };
                    self.diag.error_at(&self.file, Some(pos), &format!("timeline[{}]", i), msg(&ns, o));
                }
            }
        }
        if let Some(w) = workload.iter().find(|w| !known.contains(&*w.namespace)) {
            self.diag.error_at(
                &self.file,
                None,
                "workloads.namespace",
                format!(
                    "namespaces \"{}\" not found: the workload's pods are in a namespace this scenario never creates",
                    w.namespace
                ),
            );
        }
    }

    /// Containers run their `command` + `args` in the simulated shell
    /// (`nodes::shell`); one it cannot run is said once, here, and the
    /// container runs its image's behaviour instead.
    fn warn_unrunnable_commands<'o>(&mut self, images: &ImageCatalog, objects: impl Iterator<Item = &'o Object>) {
        for o in objects {
            let (ann, spec, at) = match o {
                Object::Pod(p) => (&p.meta.annotations, &p.spec, "spec"),
                Object::ReplicaSet(r) => (&r.spec.template.annotations, &r.spec.template.spec, "spec.template.spec"),
                _ => continue,
            };
            // `kubesim.io/behavior` overrides the commands anyway.
            if ann.contains_key(ANNOTATION_BEHAVIOR) {
                continue;
            }
            let lists = [("initContainers", &spec.init_containers), ("containers", &spec.containers)];
            for (list, containers) in lists {
                for (i, c) in containers.iter().enumerate() {
                    let image = images.get(&c.image);
                    let (ic, ia) = image.map_or((&[][..], &[][..]), |b| (&b.command[..], &b.args[..]));
                    let argv = crate::nodes::shell::argv(&c.command, &c.args, ic, ia);
                    if argv.is_empty() {
                        continue;
                    }
                    let Err(why) = crate::nodes::shell::parse_argv(&argv) else { continue };
                    let field = if !c.command.is_empty() {
                        "command"
                    } else if !c.args.is_empty() {
                        "args"
                    } else {
                        "image command"
                    };
                    self.diag.warn_once(
                        format!("command|{}", argv.join("\u{0}")),
                        format!(
                            "warning: {}: {} {}: {}.{}[{}].{} {:?}: {}; the container runs its image's behaviour (images: {})",
                            self.file,
                            o.kind().as_str(),
                            o.meta().name,
                            at,
                            list,
                            i,
                            field,
                            argv,
                            why,
                            crate::nodes::images::strip_tag(&c.image)
                        ),
                    );
                }
            }
        }
    }

    /// A list of component names (`cluster.controllers`, `cluster.schedulers`).
    fn name_list(&mut self, n: &Y, field: &str) -> Vec<(String, Option<yaml::Pos>)> {
        let mut out = Vec::new();
        for (i, it) in self.r().seq(n, field).iter().enumerate() {
            if let Some(name) = self.r().str(it, &format!("{}[{}]", field, i)) {
                out.push((name, Some(it.pos)));
            }
        }
        out
    }

    /// A point in virtual time (`duration`, an `at:`), at most
    /// `limits::MAX_HORIZON`.
    fn horizon(&mut self, n: &Y, field: &str) -> Option<SimTime> {
        let d = self.r().duration(n, field)?;
        if d > limits::MAX_HORIZON {
            self.r().err(n, field, format!("must be at most {} (the longest run)", limits::MAX_HORIZON));
            return None;
        }
        Some(SimTime(d.0))
    }

    fn config(&mut self, node: &Y, cfg: &mut Config) {
        let Some(m) = node.as_map() else {
            if !node.is_null() {
                self.r().err(node, "cluster.config", "expected a mapping of knobs");
            }
            return;
        };
        for (k, v) in m {
            let key = k.scalar_text().unwrap_or("");
            let field = format!("cluster.config.{}", key);
            let Some((_, kind, _)) = config::KNOBS.iter().find(|(n, _, _)| *n == key) else {
                let known: Vec<&str> = config::KNOBS.iter().map(|(n, _, _)| *n).collect();
                self.r().err(k, &field, format!("unknown knob `{}` (known: {})", key, known.join(", ")));
                continue;
            };
            let value = match kind {
                KnobKind::Network => {
                    self.network(v, &field, cfg);
                    None
                }
                KnobKind::ProxyMode => match v.scalar_text().and_then(crate::proxy::ProxyMode::parse) {
                    Some(m) => Some(KnobValue::Mode(m)),
                    None => {
                        self.r().err(v, &field, "expected iptables, ipvs or nftables");
                        None
                    }
                },
                KnobKind::Duration => self.r().duration(v, &field).map(KnobValue::Dur),
                // Kubernetes' configuration counts are int32.
                KnobKind::Count => self.r().int32(v, &field).map(|n| KnobValue::Num(n as u64)),
                KnobKind::Bytes => self.r().bytes(v, &field).map(KnobValue::Num),
                KnobKind::Milli => match v.scalar_text().map(parse_quantity) {
                    Some(Ok(q)) if !q.is_negative() && q.millicores() <= u32::MAX as u64 => {
                        Some(KnobValue::Milli(q.millicores() as u32))
                    }
                    _ => {
                        self.r().err(v, &field, "expected a non-negative decimal such as 0.1");
                        None
                    }
                },
            };
            if let Some(val) = value {
                config::set_knob(cfg, key, val);
            }
        }
    }

    /// `cluster.config.network: {apiLatency: L, watchLatency: L}`.
    fn network(&mut self, node: &Y, field: &str, cfg: &mut Config) {
        let Some(mut f) = self.r().fields(node, field) else { return };
        let mut api = cfg.network.api;
        let mut watch = cfg.network.watch;
        if let Some(n) = f.get("apiLatency") {
            api = self.latency(n, &format!("{}.apiLatency", field)).unwrap_or(api);
        }
        if let Some(n) = f.get("watchLatency") {
            watch = self.latency(n, &format!("{}.watchLatency", field)).unwrap_or(watch);
        }
        if let Some(n) = f.get("dataLatency") {
            if let Some(d) = self.latency(n, &format!("{}.dataLatency", field)) {
                cfg.network.data = d;
            }
        }
        self.r().done(f, Unknown::Error, " in `network` (expected apiLatency, watchLatency, dataLatency)");
        cfg.set_network(api, watch);
    }

    /// A link latency: `5ms`, `{fixed: 5ms}`, `{uniform: [2ms, 8ms]}` or
    /// `{lognormal: {median: 5ms, sigma: 0.5}}`; at most a minute.
    fn latency(&mut self, n: &Y, field: &str) -> Option<Latency> {
        let max = SimDuration::from_secs(60);
        let bounded = |l: &mut Self, d: SimDuration, n: &Y, f: &str| -> Option<SimDuration> {
            if d > max {
                l.r().err(n, f, "a link latency is at most 1m");
                return None;
            }
            Some(d)
        };
        if n.as_map().is_none() {
            let d = self.r().duration(n, field)?;
            return bounded(self, d, n, field).map(Latency::Fixed);
        }
        let mut f = self.r().fields(n, field)?;
        let keys: Vec<String> = f.keys().into_iter().map(String::from).collect();
        let [kind] = keys.as_slice() else {
            self.r().err(n, field, "expected one of fixed, uniform, lognormal");
            return None;
        };
        let v = f.get(kind).expect("listed");
        let vf = format!("{}.{}", field, kind);
        let out = match kind.as_str() {
            "fixed" => {
                let d = self.r().duration(v, &vf)?;
                bounded(self, d, v, &vf).map(Latency::Fixed)
            }
            "uniform" => {
                let items = self.r().seq(v, &vf);
                if items.len() != 2 {
                    self.r().err(v, &vf, "expected [low, high]");
                    return None;
                }
                let lo = self.r().duration(&items[0], &format!("{}[0]", vf))?;
                let hi = self.r().duration(&items[1], &format!("{}[1]", vf))?;
                let hi = bounded(self, hi, &items[1], &format!("{}[1]", vf))?;
                if lo > hi {
                    self.r().err(v, &vf, "low must not be above high");
                    return None;
                }
                Some(Latency::Uniform(lo, hi))
            }
            "lognormal" => {
                let mut g = self.r().fields(v, &vf)?;
                let median = match g.get("median") {
                    Some(m) => {
                        let d = self.r().duration(m, &format!("{}.median", vf))?;
                        bounded(self, d, m, &format!("{}.median", vf))
                    }
                    None => {
                        self.r().err(v, &format!("{}.median", vf), "lognormal needs `median`");
                        None
                    }
                };
                let sigma = match g.get("sigma") {
                    Some(sn) => match sn.scalar_text().and_then(|t| t.parse::<f64>().ok()) {
                        Some(x) if (0.0..=4.0).contains(&x) => Some(x),
                        _ => {
                            self.r().err(sn, &format!("{}.sigma", vf), "expected a number from 0 to 4");
                            None
                        }
                    },
                    None => {
                        self.r().err(v, &format!("{}.sigma", vf), "lognormal needs `sigma`");
                        None
                    }
                };
                self.r().done(g, Unknown::Error, " in lognormal (expected median, sigma)");
                Some(Latency::LogNormal { median: median?, sigma: sigma? })
            }
            other => {
                self.r().err(
                    v,
                    &vf,
                    format!("unknown latency distribution `{}` (expected fixed, uniform, lognormal)", other),
                );
                None
            }
        };
        f.skip(&[kind.as_str()]);
        self.r().done(f, Unknown::Error, "");
        out
    }

    fn nodes(&mut self, node: &Y, path: &str, cfg: &Config) -> Vec<Rc<Node>> {
        let mut out: Vec<Rc<Node>> = Vec::new();
        let mut names = BTreeSet::new();
        for (i, n) in self.r().seq(node, path).iter().enumerate() {
            let p = format!("{}[{}]", path, i);
            for node in self.node_group(n, &p, cfg) {
                if !names.insert(node.meta.name.to_string()) {
                    self.r().err(n, &p, format!("duplicate node name `{}`", node.meta.name));
                }
                out.push(node);
            }
        }
        out
    }

    /// One `cluster.nodes` entry: `name:` for one node, or `namePrefix:`
    /// with `count:` for `<prefix>-1 … <prefix>-<count>`.
    fn node_group(&mut self, n: &Y, p: &str, cfg: &Config) -> Vec<Rc<Node>> {
        let Some(mut f) = self.r().fields(n, p) else {
            return vec![];
        };
        let (f_name, f_prefix) = (f.get("name"), f.get("namePrefix"));
        let name = f_name.and_then(|x| self.r().str(x, &format!("{}.name", p)));
        let prefix = f_prefix.and_then(|x| self.r().str(x, &format!("{}.namePrefix", p)));
        let count_node = f.get("count");
        let count = count_node.and_then(|x| self.r().uint(x, &format!("{}.count", p)));
        let capacity = f
            .get("capacity")
            .map(|x| manifest::decode_resources(&mut self.r(), x, &format!("{}.capacity", p), cfg.max_pods as u64));
        let allocatable = f
            .get("allocatable")
            .map(|x| manifest::decode_resources(&mut self.r(), x, &format!("{}.allocatable", p), cfg.max_pods as u64));
        let labels = f.get("labels").map(|x| self.r().labels(x, &format!("{}.labels", p))).unwrap_or_default();
        let taints = f
            .get("taints")
            .map(|x| manifest::decode_taints(&mut self.r(), x, &format!("{}.taints", p)))
            .unwrap_or_default();
        let unschedulable = f.get("unschedulable").and_then(|x| self.r().bool(x, "unschedulable")).unwrap_or(false);
        self.r().done(
            f,
            Unknown::Error,
            " in a node (expected name or namePrefix, count, capacity, allocatable, labels, taints, unschedulable)",
        );
        // Checked before any node is built: `count: 100000000` must not
        // allocate until killed.
        let adding = count.unwrap_or(1);
        if self.nodes.saturating_add(adding) > limits::MAX_NODES {
            let at = count_node.unwrap_or(n);
            self.r().err(
                at,
                &format!("{}.count", p),
                format!("more than {} nodes in all (the input limit on nodes)", limits::MAX_NODES),
            );
            self.nodes = limits::MAX_NODES + 1;
            return vec![];
        }
        self.nodes += adding;
        let names: Vec<String> = match (name, prefix, count) {
            (Some(n), None, None | Some(1)) => vec![n],
            (None, Some(pre), Some(c)) => (1..=c).map(|i| format!("{}-{}", pre, i)).collect(),
            (None, Some(pre), None) => vec![format!("{}-1", pre)],
            (Some(_), Some(_), _) => {
                self.r().err(n, p, "give `name` or `namePrefix`, not both");
                return vec![];
            }
            (Some(_), None, Some(_)) => {
                self.r().err(n, p, "`count` needs `namePrefix` (a `name` is one node)");
                return vec![];
            }
            (None, None, _) => {
                self.r().err(n, p, "a node needs `name` or `namePrefix`");
                return vec![];
            }
        };
        // A node's name is a DNS-1123 subdomain (`ValidateNodeName`):
        // `Node_1` is refused. Generated names share their prefix, so the
        // first and the longest (the last) stand for all.
        let at = f_name.or(f_prefix).unwrap_or(n);
        let field = if f_name.is_some() { format!("{}.name", p) } else { format!("{}.namePrefix", p) };
        for name in [names.first(), names.last()].into_iter().flatten().collect::<BTreeSet<_>>() {
            if !self.r().valid(at, &field, name, crate::objects::validation::object_name("Node", name)) {
                return vec![];
            }
        }
        let (capacity, cap_ext) = capacity.unzip();
        let (allocatable, alloc_ext) = allocatable.unzip();
        // One list of extended resources serves capacity and allocatable;
        // an `allocatable:` that lists any overrides `capacity:`.
        let extended = alloc_ext.filter(|e| !e.is_empty()).or(cap_ext).unwrap_or_default();
        let cap = capacity.unwrap_or(crate::objects::resources::Resources {
            cpu_m: 2000,
            memory: 4 << 30,
            pods: cfg.max_pods as u64,
        });
        if let Some(c) = n.get("capacity") {
            if c.get("cpu").is_none() || c.get("memory").is_none() {
                self.r().err(c, &format!("{}.capacity", p), "capacity needs cpu and memory");
            }
        }
        // allocatable = capacity − hard eviction threshold, unless given.
        let alloc = allocatable.unwrap_or(crate::objects::resources::Resources {
            memory: cap.memory.saturating_sub(cfg.eviction_hard_memory),
            ..cap
        });
        names
            .into_iter()
            .map(|name| {
                let mut l = labels.clone();
                l.insert(LABEL_HOSTNAME.into(), name.clone());
                let meta = ObjectMeta { name: name.as_str().into(), labels: Rc::new(l), ..Default::default() };
                let mut node = manifest::default_node(meta);
                node.status.capacity = cap;
                node.status.allocatable = alloc;
                node.status.extended = extended.clone();
                node.spec.taints = taints.clone();
                node.spec.unschedulable = unschedulable;
                node.status.kubelet_version = cfg.kubelet_version.clone();
                Rc::new(node)
            })
            .collect()
    }

    fn images(&mut self, node: &Y) -> ImageCatalog {
        let mut cat = ImageCatalog::default();
        let Some(m) = node.as_map() else {
            if !node.is_null() {
                self.r().err(node, "images", "expected a mapping from image name to behaviour");
            }
            return cat;
        };
        for (k, v) in m {
            let name = k.scalar_text().unwrap_or("").to_string();
            let p = format!("images.{}", name);
            let b = read_behavior(&mut self.r(), v, &p, ImageBehavior::default());
            cat.has_commands |= !b.command.is_empty() || !b.args.is_empty();
            cat.images.insert(name, b);
        }
        cat
    }

    /// Reads a manifest file (multi-document; `kind: List` unrolled).
    fn manifest_file(&mut self, rel: &str, at: &Y, field: &str) -> Vec<Object> {
        let path = self.base.join(rel);
        let label = path.display().to_string();
        let src = match self.read_input(&path, at, field) {
            Some(s) => s,
            None => return vec![],
        };
        let docs = match yaml::parse_documents(&src) {
            Ok(d) => d,
            Err(e) => {
                self.diag.errors.push(LoadError {
                    file: label,
                    pos: Some(e.pos),
                    field: String::new(),
                    message: format!("invalid YAML: {}", e.message),
                });
                return vec![];
            }
        };
        let mut out = Vec::new();
        let mut r = Reader { file: &label, diag: self.diag };
        for (i, d) in docs.iter().enumerate() {
            let p = if docs.len() > 1 { format!("document[{}]", i) } else { String::new() };
            if d.get("kind").and_then(|k| k.scalar_text()) == Some("List") {
                if let Some(items) = d.get("items") {
                    for (j, item) in r.seq(items, "items").iter().enumerate() {
                        out.extend(manifest::decode(&mut r, item, &format!("{}items[{}]", p, j), &mut self.types));
                    }
                }
                continue;
            }
            out.extend(manifest::decode(&mut r, d, &p, &mut self.types));
        }
        out
    }

    /// Reads an input file within the per-file and total input limits.
    fn read_input(&mut self, path: &Path, at: &Y, field: &str) -> Option<String> {
        let label = path.display().to_string();
        if self.input_bytes > limits::MAX_TOTAL_INPUT_BYTES {
            self.r().err(
                at,
                field,
                format!(
                    "cannot read `{}`: the files read exceed the input limit of {} MiB in all",
                    label,
                    limits::MAX_TOTAL_INPUT_BYTES >> 20
                ),
            );
            return None;
        }
        match limits::read_input(path) {
            Ok(s) => {
                self.input_bytes += s.len() as u64;
                Some(s)
            }
            Err(e) => {
                self.r().err(at, field, format!("cannot read `{}`: {}", label, e));
                None
            }
        }
    }

    /// Counts `n` more objects against `limits::MAX_OBJECTS`; false (and
    /// one error) once past it.
    fn count_objects(&mut self, n: usize, at: &Y, field: &str) -> bool {
        let before = self.objects;
        self.objects = self.objects.saturating_add(n);
        if self.objects > limits::MAX_OBJECTS {
            if before <= limits::MAX_OBJECTS {
                self.r().err(
                    at,
                    field,
                    format!("more than {} objects in all (the input limit on objects)", limits::MAX_OBJECTS),
                );
            }
            return false;
        }
        true
    }

    /// An `objects:` entry or an `apply:` value: `{file: …}` or a manifest.
    fn object_entry(&mut self, item: &Y, p: &str, ns: Option<&str>) -> Vec<Object> {
        if self.objects > limits::MAX_OBJECTS {
            return vec![];
        }
        let objs = match item.get("file") {
            Some(fnode) if item.as_map().is_some_and(|m| m.len() == 1) => {
                match self.r().str(fnode, &format!("{}.file", p)) {
                    Some(rel) => self.manifest_file(&rel, fnode, &format!("{}.file", p)),
                    None => vec![],
                }
            }
            _ => {
                let mut r = Reader { file: &self.file, diag: self.diag };
                manifest::decode(&mut r, item, p, &mut self.types).into_iter().collect()
            }
        };
        if !self.count_objects(objs.len(), item, p) {
            return vec![];
        }
        match ns {
            Some(ns) => objs.into_iter().map(|o| with_default_namespace(o, ns)).collect(),
            None => objs,
        }
    }

    /// A `workloads:` entry: `{trace: FILE.csv}` (kubesim's own format,
    /// `workload`) or `{alibabaGpu2023: {nodes: F, pods: F}}` (`alibaba`),
    /// with an optional `namespace`.
    fn workload(&mut self, w: &Y, p: &str, cfg: &Config) -> Vec<WorkloadPod> {
        let Some(mut f) = self.r().fields(w, p) else {
            return vec![];
        };
        let trace = f.get("trace");
        let alibaba = f.get("alibabaGpu2023");
        let ns_node = f.get("namespace");
        let ns = ns_node.and_then(|n| self.r().str(n, &format!("{}.namespace", p))).unwrap_or_else(|| "default".into());
        if let Some(n) = ns_node {
            self.r().valid(n, &format!("{}.namespace", p), &ns, crate::objects::validation::dns1123_label(&ns));
        }
        self.r().done(f, Unknown::Error, " in a workload (expected trace or alibabaGpu2023, namespace)");
        match (trace, alibaba) {
            (Some(tn), None) => {
                let field = format!("{}.trace", p);
                let Some(path) = self.input_path(tn, &field) else { return vec![] };
                let pods = match read_trace(&path, &ns) {
                    Ok(pods) => pods,
                    Err(e) => {
                        self.diag.errors.push(e);
                        return vec![];
                    }
                };
                self.input_bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                if !self.count_objects(pods.len(), tn, &field) {
                    return vec![];
                }
                pods
            }
            (None, Some(an)) => self.alibaba_workload(an, &format!("{}.alibabaGpu2023", p), &ns, cfg),
            (Some(_), Some(_)) => {
                self.r().err(w, p, "a workload is `trace: FILE.csv` or `alibabaGpu2023: {nodes, pods}`, not both");
                vec![]
            }
            (None, None) => {
                self.r().err(w, p, "a workload needs `trace: FILE.csv` or `alibabaGpu2023: {nodes: FILE, pods: FILE}`");
                vec![]
            }
        }
    }

    /// The path of an input file named at `node`, relative to the
    /// scenario's directory; `None` (with the error) when it is not a
    /// string or the files read so far exceed the input limit.
    fn input_path(&mut self, node: &Y, field: &str) -> Option<PathBuf> {
        let rel = self.r().str(node, field)?;
        if self.input_bytes > limits::MAX_TOTAL_INPUT_BYTES {
            self.r().err(
                node,
                field,
                format!("the files read exceed the input limit of {} MiB in all", limits::MAX_TOTAL_INPUT_BYTES >> 20),
            );
            return None;
        }
        Some(self.base.join(rel))
    }

    /// `alibabaGpu2023: {nodes: F, pods: F}`: the trace's nodes join the
    /// cluster (`trace_nodes`), its pods are the workload.
    fn alibaba_workload(&mut self, node: &Y, p: &str, ns: &str, cfg: &Config) -> Vec<WorkloadPod> {
        let Some(mut f) = self.r().fields(node, p) else {
            return vec![];
        };
        let (nodes_node, pods_node) = (f.get("nodes"), f.get("pods"));
        self.r().done(f, Unknown::Error, " in alibabaGpu2023 (expected nodes, pods)");
        let (Some(nn), Some(pn)) = (nodes_node, pods_node) else {
            self.r().err(
                node,
                p,
                "alibabaGpu2023 needs `nodes: openb_node_list_….csv` and `pods: openb_pod_list_….csv`",
            );
            return vec![];
        };
        let (nf, pf) = (format!("{}.nodes", p), format!("{}.pods", p));
        self.node_list_failed = true;
        let Some(node_path) = self.input_path(nn, &nf) else { return vec![] };
        match alibaba::read_nodes(&node_path, cfg.max_pods as u64, &cfg.kubelet_version) {
            Ok(nodes) => {
                self.input_bytes += std::fs::metadata(&node_path).map(|m| m.len()).unwrap_or(0);
                if self.nodes.saturating_add(nodes.len() as u64) > limits::MAX_NODES {
                    self.r().err(
                        nn,
                        &nf,
                        format!("more than {} nodes in all (the input limit on nodes)", limits::MAX_NODES),
                    );
                    return vec![];
                }
                self.nodes += nodes.len() as u64;
                self.node_list_failed = false;
                self.trace_nodes.extend(nodes.into_iter().map(|n| (n, nn.pos, nf.clone())));
            }
            Err(e) => {
                self.diag.errors.push(e);
                return vec![];
            }
        }
        let Some(pod_path) = self.input_path(pn, &pf) else { return vec![] };
        match alibaba::read_pods(&pod_path, ns) {
            Ok(pods) => {
                self.input_bytes += std::fs::metadata(&pod_path).map(|m| m.len()).unwrap_or(0);
                if !self.count_objects(pods.len(), pn, &pf) {
                    return vec![];
                }
                pods
            }
            Err(e) => {
                self.diag.errors.push(e);
                vec![]
            }
        }
    }

    fn timeline_entry(
        &mut self,
        e: &Y,
        p: &str,
        cfg: &Config,
        known_nodes: &mut BTreeSet<String>,
    ) -> Option<TimelineEntry> {
        let mut f = self.r().fields(e, p)?;
        let at = match f.get("at") {
            Some(n) => self.horizon(n, &format!("{}.at", p)),
            None => {
                self.r().err(e, &format!("{}.at", p), "a timeline entry needs `at`");
                None
            }
        };
        let expect_error = match f.get("expectError") {
            Some(n) => self.r().bool(n, &format!("{}.expectError", p)).unwrap_or(false),
            None => false,
        };
        let verbs: Vec<&str> = f.keys().into_iter().filter(|k| *k != "at" && *k != "expectError").collect();
        let [verb] = verbs.as_slice() else {
            self.r().err(e, p, format!("a timeline entry has `at` and exactly one action, found {:?}", verbs));
            return None;
        };
        let verb = verb.to_string();
        let v = f.get(&verb).expect("listed");
        let vp = format!("{}.{}", p, verb);
        let action = match verb.as_str() {
            "apply" | "create" => {
                let items: Vec<&Y> = match v.as_seq() {
                    Some(s) => s.iter().collect(),
                    None => vec![v],
                };
                let mut objs = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    // Defaulted as `objects:` and `kubectl apply -f` are, so
                    // an `apply:` of an existing object finds it.
                    objs.extend(self.object_entry(it, &format!("{}[{}]", vp, i), Some("default")));
                }
                if verb == "apply" {
                    Action::Apply(objs)
                } else {
                    Action::Create(objs)
                }
            }
            "delete" => self.delete_entry(v, &vp)?,
            "kubectl" => {
                let line = self.r().text(v, &vp)?;
                match kubectl::parse(&line) {
                    Ok(kubectl::Parsed::Action(a)) => a,
                    Ok(kubectl::Parsed::File { path, create, namespace }) => {
                        let objs = self.manifest_file(&path, v, &vp);
                        let objs = objs
                            .into_iter()
                            .map(|o| with_default_namespace(o, namespace.as_deref().unwrap_or("default")))
                            .collect();
                        if create {
                            Action::Create(objs)
                        } else {
                            Action::Apply(objs)
                        }
                    }
                    Err(msg) => {
                        self.r().err(v, &vp, format!("kubectl {}: {}", line.trim_start_matches("kubectl "), msg));
                        return None;
                    }
                }
            }
            "crashNode" | "restartNode" | "partitionNode" | "healNode" => {
                let name = self.r().str(v, &vp)?;
                if !known_nodes.contains(&name) {
                    self.r().err(v, &vp, format!("unknown node `{}`", name));
                    return None;
                }
                match verb.as_str() {
                    "crashNode" => Action::CrashNode(name),
                    "restartNode" => Action::RestartNode(name),
                    "partitionNode" => Action::PartitionNode(name),
                    _ => Action::HealNode(name),
                }
            }
            "addNode" => {
                let mut nodes = self.node_group(v, &vp, cfg);
                if nodes.len() != 1 {
                    self.r().err(v, &vp, "addNode adds one node (use `name:`)");
                    return None;
                }
                let n = nodes.pop().expect("one");
                known_nodes.insert(n.meta.name.to_string());
                Action::AddNode(n)
            }
            "exec" | "hangContainer" | "crashContainer" | "oomContainer" | "killContainer" => {
                self.container_entry(&verb, v, &vp)?
            }
            "crashController" => self.crash_controller(v, &vp)?,
            "staleWatch" | "coalesceWatch" => self.perturb_watch(&verb, v, &vp)?,
            "traffic" => self.traffic_entry(v, &vp, known_nodes)?,
            other => {
                self.r().err(
                    v,
                    &vp,
                    format!(
                        "unknown timeline verb `{}` (expected apply, create, delete, kubectl, crashNode, restartNode, partitionNode, healNode, addNode, exec, hangContainer, crashContainer, oomContainer, killContainer, crashController, staleWatch, coalesceWatch, traffic)",
                        other
                    ),
                );
                return None;
            }
        };
        f.skip(&[verb.as_str()]);
        self.r().done(f, Unknown::Error, "");
        Some(TimelineEntry { at: at?, action, line: e.pos.line, expect_error })
    }

    /// `crashController: NAME` or `{name: NAME, afterWrites: K,
    /// restartAfter: D}` (default: at once, back after 10 s — the
    /// kubelet's first crash back-off for a static control-plane pod).
    fn crash_controller(&mut self, v: &Y, vp: &str) -> Option<Action> {
        if v.as_map().is_none() {
            let name = self.r().str(v, vp)?;
            return Some(Action::CrashController {
                name,
                after_writes: None,
                restart_after: SimDuration::from_secs(10),
            });
        }
        let mut f = self.r().fields(v, vp)?;
        let name = match f.get("name") {
            Some(n) => self.r().str(n, &format!("{}.name", vp)),
            None => {
                self.r().err(v, &format!("{}.name", vp), "crashController needs `name`");
                None
            }
        };
        let after_writes = match f.get("afterWrites") {
            Some(n) => {
                let k = self.r().uint(n, &format!("{}.afterWrites", vp))?;
                if k > u32::MAX as u64 {
                    self.r().err(n, &format!("{}.afterWrites", vp), "must be at most 4294967295");
                    return None;
                }
                Some(k as u32)
            }
            None => None,
        };
        let restart_after = match f.get("restartAfter") {
            Some(n) => self.horizon(n, &format!("{}.restartAfter", vp)).map(|t| SimDuration(t.0))?,
            None => SimDuration::from_secs(10),
        };
        self.r().done(f, Unknown::Error, " in crashController (expected name, afterWrites, restartAfter)");
        Some(Action::CrashController { name: name?, after_writes, restart_after })
    }

    /// `traffic: {name, to, namespace, from, rate | every, duration,
    /// connections, clients, via, path, timeout}` (docs/traffic.md).
    fn traffic_entry(&mut self, v: &Y, vp: &str, known_nodes: &BTreeSet<String>) -> Option<Action> {
        use crate::proxy::Entry;
        use crate::traffic::spec::{self as ts, Arrivals, From, TrafficSpec};
        let mut f = self.r().fields(v, vp)?;
        let field = |k: &str| format!("{}.{}", vp, k);
        let mut ok = true;
        let name = match f.get("name") {
            Some(n) => {
                let name = self.r().str(n, &field("name"))?;
                if !self.traffic_names.insert(name.clone()) {
                    self.r().err(n, &field("name"), format!("a traffic source named `{}` already exists", name));
                    ok = false;
                }
                if name.is_empty() || name.contains([',', '\n', '"']) {
                    self.r().err(n, &field("name"), "must be non-empty, without commas, quotes or newlines");
                    ok = false;
                }
                name
            }
            None => {
                self.r().err(v, &field("name"), "a traffic source needs `name`");
                return None;
            }
        };
        let Some(to_node) = f.get("to") else {
            self.r().err(v, &field("to"), "a traffic source needs `to` (svc/NAME, nodePort/NAME or loadBalancer/NAME)");
            return None;
        };
        let to = self.r().str(to_node, &field("to"))?;
        let (entry, service, port, dns) = match ts::parse_target(&to) {
            Ok(t) => t,
            Err(e) => {
                self.r().err(to_node, &field("to"), e);
                return None;
            }
        };
        let namespace = match f.get("namespace") {
            Some(n) => self.r().str(n, &field("namespace"))?,
            None => "default".to_string(),
        };
        let from = match f.get("from") {
            None => From::Outside,
            Some(n) => {
                let text = self.r().str(n, &field("from"))?;
                match text.split_once('/') {
                    _ if text == "outside" => From::Outside,
                    Some(("pod", p)) if !p.is_empty() => From::Pod(p.to_string()),
                    Some(("node", nd)) if known_nodes.contains(nd) => From::Node(nd.to_string()),
                    Some(("node", nd)) => {
                        self.r().err(n, &field("from"), format!("unknown node `{}`", nd));
                        return None;
                    }
                    _ => {
                        self.r().err(n, &field("from"), format!("`{}`: expected outside, pod/NAME or node/NAME", text));
                        return None;
                    }
                }
            }
        };
        if dns && !matches!(from, From::Pod(_)) {
            self.r().err(
                v,
                &field("from"),
                "a DNS name is resolved by the cluster DNS, which only pods use: send from pod/NAME",
            );
            ok = false;
        } else if entry == Entry::ClusterIp && from == From::Outside {
            self.r().err(
                v,
                &field("from"),
                "a ClusterIP is not reachable from outside the cluster: send from pod/NAME or node/NAME, or use nodePort/ or loadBalancer/",
            );
            ok = false;
        }
        let arrivals = match (f.get("rate"), f.get("every")) {
            (Some(_), Some(n)) => {
                self.r().err(n, &field("every"), "give `rate` or `every`, not both");
                return None;
            }
            (Some(n), None) => {
                let text = self.r().str(n, &field("rate"))?;
                match ts::parse_rate(&text) {
                    Ok(r) if r <= 1e6 => Arrivals::Poisson(r),
                    Ok(_) => {
                        self.r().err(n, &field("rate"), "must be at most 1000000/s");
                        return None;
                    }
                    Err(e) => {
                        self.r().err(n, &field("rate"), e);
                        return None;
                    }
                }
            }
            (None, Some(n)) => {
                let d = self.r().duration(n, &field("every"))?;
                if d < SimDuration::from_micros(1) {
                    self.r().err(n, &field("every"), "must be at least 1us");
                    return None;
                }
                Arrivals::Every(d)
            }
            (None, None) => {
                self.r().err(v, &field("rate"), "a traffic source needs `rate` (e.g. 100/s) or `every` (e.g. 10ms)");
                return None;
            }
        };
        let duration = match f.get("duration") {
            Some(n) => SimDuration(self.horizon(n, &field("duration"))?.0),
            None => {
                self.r().err(v, &field("duration"), "a traffic source needs `duration`");
                return None;
            }
        };
        let keep_alive = match f.get("connections") {
            None => None,
            Some(n) if n.as_map().is_none() => match self.r().str(n, &field("connections"))?.as_str() {
                "new" => None,
                other => {
                    self.r().err(n, &field("connections"), format!("`{}`: expected new or {{keepAlive: N}}", other));
                    return None;
                }
            },
            Some(n) => {
                let mut c = self.r().fields(n, &field("connections"))?;
                let k = match c.get("keepAlive") {
                    Some(k) => self.r().int32(k, &field("connections.keepAlive"))?,
                    None => {
                        self.r().err(n, &field("connections.keepAlive"), "expected {keepAlive: N}");
                        return None;
                    }
                };
                self.r().done(c, Unknown::Error, " in connections (expected keepAlive)");
                if !(1..=1000).contains(&k) {
                    self.r().err(n, &field("connections.keepAlive"), "must be between 1 and 1000");
                    return None;
                }
                Some(k as u32)
            }
        };
        let clients = match f.get("clients") {
            None => 1,
            Some(n) => {
                let c = self.r().int32(n, &field("clients"))?;
                if from != From::Outside {
                    self.r().err(
                        n,
                        &field("clients"),
                        "a pod or a node is one client IP: `clients` is for outside clients",
                    );
                    ok = false;
                }
                if !(1..=65536).contains(&c) {
                    self.r().err(n, &field("clients"), "must be between 1 and 65536");
                    return None;
                }
                c as u32
            }
        };
        let mut via = Vec::new();
        if let Some(n) = f.get("via") {
            if entry == Entry::ClusterIp {
                self.r().err(n, &field("via"), "`via` is for nodePort/ and loadBalancer/ targets");
                ok = false;
            }
            for (i, it) in self.r().seq(n, &field("via")).iter().enumerate() {
                let nd = self.r().str(it, &format!("{}[{}]", field("via"), i))?;
                if !known_nodes.contains(&nd) {
                    self.r().err(it, &format!("{}[{}]", field("via"), i), format!("unknown node `{}`", nd));
                    ok = false;
                }
                via.push(nd);
            }
        }
        let path = match f.get("path") {
            None => "/".to_string(),
            Some(n) => {
                let p = self.r().str(n, &field("path"))?;
                if !p.starts_with('/') || p.contains(char::is_whitespace) {
                    self.r().err(n, &field("path"), "must start with `/` and have no spaces");
                    ok = false;
                }
                p
            }
        };
        let timeout = match f.get("timeout") {
            None => ts::DEFAULT_TIMEOUT,
            Some(n) => {
                let d = self.r().duration(n, &field("timeout"))?;
                if d == SimDuration::ZERO || d > SimDuration::from_secs(3600) {
                    self.r().err(n, &field("timeout"), "must be more than 0 and at most 1h");
                    return None;
                }
                d
            }
        };
        self.r().done(
            f,
            Unknown::Error,
            " in traffic (expected name, to, namespace, from, rate, every, duration, connections, clients, via, path, timeout)",
        );
        ok.then(|| {
            Action::Traffic(Rc::new(TrafficSpec {
                name,
                entry,
                service,
                dns,
                port,
                namespace,
                from,
                arrivals,
                duration,
                keep_alive,
                clients,
                via,
                path,
                timeout,
            }))
        })
    }

    /// `staleWatch: {controller: C, lag: D, for: D}` and
    /// `coalesceWatch: {controller: C, for: D}`.
    fn perturb_watch(&mut self, verb: &str, v: &Y, vp: &str) -> Option<Action> {
        let mut f = self.r().fields(v, vp)?;
        let need = |l: &mut Self, f: &mut Fields, key: &str| -> Option<SimDuration> {
            match f.get(key) {
                Some(n) => l.horizon(n, &format!("{}.{}", vp, key)).map(|t| SimDuration(t.0)),
                None => {
                    l.r().err(v, &format!("{}.{}", vp, key), format!("{} needs `{}`", verb, key));
                    None
                }
            }
        };
        let controller = match f.get("controller") {
            Some(n) => self.r().str(n, &format!("{}.controller", vp)),
            None => {
                self.r().err(v, &format!("{}.controller", vp), format!("{} needs `controller`", verb));
                None
            }
        };
        let duration = need(self, &mut f, "for");
        let stale_lag = if verb == "staleWatch" { Some(need(self, &mut f, "lag")?) } else { None };
        let expected =
            if verb == "staleWatch" { " (expected controller, lag, for)" } else { " (expected controller, for)" };
        self.r().done(f, Unknown::Error, &format!(" in {}{}", verb, expected));
        Some(Action::PerturbWatch { controller: controller?, stale_lag, duration: duration? })
    }

    /// `exec`, `hangContainer`, `crashContainer`, `oomContainer`,
    /// `killContainer`: `{pod: NAME | selector: S, index: N, container: C,
    /// namespace: NS}` plus `command` (exec), `exitCode` (crash), `signal`
    /// (kill); or just a pod name.
    fn container_entry(&mut self, verb: &str, v: &Y, vp: &str) -> Option<Action> {
        let mut target =
            PodTarget { namespace: "default".into(), name: None, selector: None, index: 0, container: None };
        if let Some(name) = v.scalar_text().filter(|_| v.as_map().is_none()) {
            if verb == "exec" {
                self.r().err(v, vp, "exec needs `command:` and a pod: {pod: NAME, command: [touch, /tmp/x]}");
                return None;
            }
            target.name = Some(name.to_string());
            return Some(Action::Container { target, op: self.container_op(verb, None, v, vp)? });
        }
        let mut f = self.r().fields(v, vp)?;
        target.name = f.get("pod").and_then(|n| self.r().str(n, &format!("{}.pod", vp)));
        target.selector = f.get("selector").and_then(|n| self.r().text(n, &format!("{}.selector", vp)));
        if let Some(n) = f.get("index") {
            target.index = self.r().uint(n, &format!("{}.index", vp)).unwrap_or(0) as usize;
        }
        target.container = f.get("container").and_then(|n| self.r().str(n, &format!("{}.container", vp)));
        if let Some(n) = f.get("namespace") {
            target.namespace = self.r().str(n, &format!("{}.namespace", vp)).unwrap_or_default();
        }
        let extra = match verb {
            "exec" => f.get("command"),
            "crashContainer" => f.get("exitCode"),
            "killContainer" => f.get("signal"),
            _ => None,
        };
        self.r().done(
            f,
            Unknown::Error,
            " (expected pod or selector, index, container, namespace, and command / exitCode / signal)",
        );
        if target.name.is_some() == target.selector.is_some() {
            self.r().err(v, vp, "give exactly one of `pod` and `selector`");
            return None;
        }
        if let Some(sel) = &target.selector {
            if let Err(e) = Selector::parse(sel) {
                self.r().err(v, &format!("{}.selector", vp), e);
                return None;
            }
        }
        let op = self.container_op(verb, extra, v, vp)?;
        Some(Action::Container { target, op })
    }

    fn container_op(&mut self, verb: &str, extra: Option<&Y>, at: &Y, vp: &str) -> Option<ContainerOp> {
        Some(match verb {
            "hangContainer" => ContainerOp::Hang,
            "oomContainer" => ContainerOp::Oom,
            "crashContainer" => {
                let code = match extra {
                    Some(n) => {
                        self.r().int_in(n, &format!("{}.exitCode", vp), i32::MIN as i64, i32::MAX as i64)? as i32
                    }
                    None => 1,
                };
                ContainerOp::Crash { exit_code: code }
            }
            "killContainer" => {
                let signal = match extra.map(|n| n.scalar_text().unwrap_or("").to_string()).as_deref() {
                    None | Some("9") | Some("KILL") | Some("SIGKILL") => 9,
                    Some("15") | Some("TERM") | Some("SIGTERM") => 15,
                    Some("2") | Some("INT") | Some("SIGINT") => 2,
                    Some(other) => {
                        self.r().err(
                            extra.unwrap_or(at),
                            &format!("{}.signal", vp),
                            format!("unknown signal `{}` (KILL, TERM, INT or a number)", other),
                        );
                        return None;
                    }
                };
                ContainerOp::Kill { signal }
            }
            _ => {
                let Some(n) = extra else {
                    self.r().err(at, &format!("{}.command", vp), "exec needs `command`");
                    return None;
                };
                let command = match n.as_seq() {
                    Some(_) => self.r().string_list(n, &format!("{}.command", vp)),
                    None => {
                        self.r().text(n, &format!("{}.command", vp))?.split_whitespace().map(str::to_string).collect()
                    }
                };
                if command.is_empty() {
                    self.r().err(n, &format!("{}.command", vp), "command is empty");
                    return None;
                }
                ContainerOp::Exec { command }
            }
        })
    }

    /// `delete: {kind, name, namespace, selector, gracePeriodSeconds, cascade}`
    /// or `delete: rc/kubia`.
    fn delete_entry(&mut self, v: &Y, vp: &str) -> Option<Action> {
        if let Some(text) = v.scalar_text().filter(|_| v.as_map().is_none()) {
            let line = format!("delete {}", text);
            return match kubectl::parse(&line) {
                Ok(kubectl::Parsed::Action(a)) => Some(a),
                Ok(_) => None,
                Err(m) => {
                    self.r().err(v, vp, m);
                    None
                }
            };
        }
        let mut f = self.r().fields(v, vp)?;
        let kind_s = f.get("kind").and_then(|n| self.r().str(n, &format!("{}.kind", vp)))?;
        let Some((kind, typed)) = Kind::resolve_cli(&kind_s) else {
            self.r().err(v, &format!("{}.kind", vp), format!("unknown kind `{}`", kind_s));
            return None;
        };
        let name = f.get("name").and_then(|n| self.r().str(n, "name"));
        let namespace =
            f.get("namespace").and_then(|n| self.r().str(n, "namespace")).unwrap_or_else(|| "default".into());
        let selector = f.get("selector").and_then(|n| self.r().text(n, "selector"));
        let grace_seconds = f.get("gracePeriodSeconds").and_then(|n| self.r().uint(n, "gracePeriodSeconds"));
        let propagation = match f.get("cascade").and_then(|n| self.r().str(n, "cascade")).as_deref() {
            None | Some("background") => Propagation::Background,
            Some("foreground") => Propagation::Foreground,
            Some("orphan") => Propagation::Orphan,
            Some(o) => {
                self.r().err(v, &format!("{}.cascade", vp), format!("unknown cascade `{}`", o));
                Propagation::Background
            }
        };
        self.r().done(
            f,
            Unknown::Error,
            " in delete (expected kind, name, namespace, selector, gracePeriodSeconds, cascade)",
        );
        if name.is_none() && selector.is_none() {
            self.r().err(v, vp, "delete needs `name` or `selector`");
            return None;
        }
        if let Some(s) = &selector {
            if let Err(e) = Selector::parse(s) {
                self.r().err(v, &format!("{}.selector", vp), e);
            }
        }
        Some(Action::Delete { kind, typed, namespace, name, selector, grace_seconds, propagation })
    }

    fn expectation(&mut self, e: &Y, p: &str) -> Option<Expectation> {
        let mut f = self.r().fields(e, p)?;
        let at = f.get("at").and_then(|n| self.horizon(n, &format!("{}.at", p)));
        let count = f.get("count").and_then(|n| self.r().uint(n, "count")).map(CountCheck::Exactly);
        let at_least = f.get("atLeast").and_then(|n| self.r().uint(n, "atLeast")).map(CountCheck::AtLeast);
        let at_most = f.get("atMost").and_then(|n| self.r().uint(n, "atMost")).map(CountCheck::AtMost);
        let checks: Vec<CountCheck> = [count, at_least, at_most].into_iter().flatten().collect();
        let target = if let Some(pn) = f.get("pods") {
            Some(Target::Pods(self.pod_filter(pn, &format!("{}.pods", p))?))
        } else if let Some(nn) = f.get("nodes") {
            Some(Target::Nodes(self.node_filter(nn, &format!("{}.nodes", p))?))
        } else if let Some(n) = f.get("deployments") {
            Some(Target::Deployments(self.workload_filter(n, &format!("{}.deployments", p), true)?))
        } else if let Some(n) = f.get("replicasets") {
            Some(Target::ReplicaSets(self.workload_filter(n, &format!("{}.replicasets", p), false)?))
        } else if let Some(n) = f.get("jobs") {
            Some(Target::Jobs(self.job_filter(n, &format!("{}.jobs", p))?))
        } else if let Some(n) = f.get("traffic") {
            Some(Target::Traffic(self.traffic_filter(n, &format!("{}.traffic", p))?))
        } else {
            None
        };
        self.r().done(
            f,
            Unknown::Error,
            " in an expectation (expected at, pods, nodes, deployments, replicasets, jobs or traffic, count / atLeast / atMost)",
        );
        let Some(target) = target else {
            self.r().err(
                e,
                p,
                "an expectation needs `pods:`, `nodes:`, `deployments:`, `replicasets:`, `jobs:` or `traffic:`",
            );
            return None;
        };
        let [count] = checks.as_slice() else {
            self.r().err(e, p, "an expectation needs exactly one of `count`, `atLeast`, `atMost`");
            return None;
        };
        let Some(at) = at else {
            self.r().err(e, &format!("{}.at", p), "an expectation needs `at`");
            return None;
        };
        Some(Expectation { at, target, count: *count, line: e.pos.line })
    }

    fn selector(&mut self, f: &mut Fields, key: &str) -> Option<Selector> {
        let n = f.get(key)?;
        let field = f.field(key);
        let text = self.r().text(n, &field)?;
        match Selector::parse(&text) {
            Ok(s) => Some(s),
            Err(e) => {
                self.r().err(n, &field, e);
                None
            }
        }
    }

    /// `traffic: {name, pod, node, outcome}` (pod or node `""`: requests
    /// that reached no pod).
    fn traffic_filter(&mut self, node: &Y, p: &str) -> Option<crate::scenario::expect::TrafficFilter> {
        use crate::traffic::stats::Outcome;
        let mut f = self.r().fields(node, p)?;
        let mut tf = crate::scenario::expect::TrafficFilter::default();
        match f.get("name") {
            Some(n) => {
                tf.name = self.r().str(n, &format!("{}.name", p))?;
                if !self.traffic_names.contains(&tf.name) {
                    self.r().err(
                        n,
                        &format!("{}.name", p),
                        format!("no traffic source named `{}` in the timeline", tf.name),
                    );
                    return None;
                }
            }
            None => {
                self.r().err(node, &format!("{}.name", p), "a traffic expectation needs the source's `name`");
                return None;
            }
        }
        if let Some(n) = f.get("pod") {
            tf.pod = Some(self.r().text(n, &format!("{}.pod", p))?);
        }
        if let Some(n) = f.get("node") {
            tf.node = Some(self.r().text(n, &format!("{}.node", p))?);
        }
        if let Some(n) = f.get("outcome") {
            let o = self.r().str(n, &format!("{}.outcome", p))?;
            match Outcome::parse(&o) {
                Some(o) => tf.outcome = Some(o),
                None => {
                    self.r().err(
                        n,
                        &format!("{}.outcome", p),
                        format!("unknown outcome `{}` (expected ok, refused, reset, timeout, http_4xx or http_5xx)", o),
                    );
                    return None;
                }
            }
        }
        self.r().done(f, Unknown::Error, " in a traffic filter (expected name, pod, node, outcome)");
        Some(tf)
    }

    fn pod_filter(&mut self, node: &Y, p: &str) -> Option<PodFilter> {
        let mut f = self.r().fields(node, p).or_else(|| {
            self.r().err(node, p, "expected a pod filter");
            None
        })?;
        let mut pf = PodFilter { namespace: Some("default".into()), ..Default::default() };
        if let Some(n) = f.get("namespace") {
            let ns = self.r().str(n, "namespace")?;
            pf.namespace = if ns == "*" { None } else { Some(ns) };
        }
        pf.selector = self.selector(&mut f, "selector");
        pf.name = f.get("name").and_then(|n| self.r().str(n, "name"));
        pf.node = f.get("node").and_then(|n| self.r().str(n, "node"));
        if let Some(n) = f.get("phase") {
            let s = self.r().str(n, "phase")?;
            match PodPhase::parse(&s) {
                Some(ph) => pf.phase = Some(ph),
                None => self.r().err(
                    n,
                    &format!("{}.phase", p),
                    format!("unknown phase `{}` (Pending, Running, Succeeded, Failed, Unknown)", s),
                ),
            }
        }
        pf.status = f.get("status").and_then(|n| self.r().str(n, "status"));
        pf.ready = f.get("ready").and_then(|n| self.r().bool(n, &format!("{}.ready", p)));
        pf.terminating = f.get("terminating").and_then(|n| self.r().bool(n, &format!("{}.terminating", p)));
        pf.restarts = f.get("restarts").and_then(|n| self.r().int32(n, &format!("{}.restarts", p))).map(|r| r as u32);
        pf.image = f.get("image").and_then(|n| self.r().str(n, "image"));
        self.r().done(
            f,
            Unknown::Error,
            " in a pod filter (expected namespace, selector, name, node, phase, status, ready, terminating, restarts, image)",
        );
        Some(pf)
    }

    /// The keys every object filter has: namespace, selector, name, image.
    fn object_filter(&mut self, f: &mut Fields) -> Option<WorkloadFilter> {
        let mut wf = WorkloadFilter { namespace: "default".into(), ..Default::default() };
        if let Some(n) = f.get("namespace") {
            wf.namespace = self.r().str(n, "namespace")?;
        }
        wf.selector = self.selector(f, "selector");
        wf.name = f.get("name").and_then(|n| self.r().str(n, "name"));
        wf.image = f.get("image").and_then(|n| self.r().str(n, "image"));
        Some(wf)
    }

    /// `deployments:` / `replicasets:` filters.
    fn workload_filter(&mut self, node: &Y, p: &str, deployment: bool) -> Option<WorkloadFilter> {
        let mut f = self.r().fields(node, p)?;
        let mut wf = self.object_filter(&mut f)?;
        let mut int = |key: &str| f.get(key).and_then(|n| self.r().int32(n, &format!("{}.{}", p, key)));
        wf.desired = int("desired");
        wf.current = int("current");
        wf.ready = int("ready");
        wf.available = int("available");
        if deployment {
            wf.updated = int("updated");
            wf.progressing = f.get("progressing").and_then(|n| self.r().str(n, "progressing"));
        }
        let expected = if deployment {
            " in a deployment filter (expected namespace, name, selector, image, desired, current, ready, available, updated, progressing)"
        } else {
            " in a replicaset filter (expected namespace, name, selector, image, desired, current, ready, available)"
        };
        self.r().done(f, Unknown::Error, expected);
        Some(wf)
    }

    /// `jobs:` filters.
    fn job_filter(&mut self, node: &Y, p: &str) -> Option<WorkloadFilter> {
        let mut f = self.r().fields(node, p)?;
        let mut wf = self.object_filter(&mut f)?;
        wf.job_status = f.get("status").and_then(|n| self.r().str(n, "status"));
        wf.completed_indexes = f.get("completedIndexes").and_then(|n| self.r().text(n, "completedIndexes"));
        let mut int = |key: &str| f.get(key).and_then(|n| self.r().int32(n, &format!("{}.{}", p, key)));
        wf.active = int("active");
        wf.ready = int("ready");
        wf.succeeded = int("succeeded");
        wf.failed = int("failed");
        self.r().done(
            f,
            Unknown::Error,
            " in a job filter (expected namespace, name, selector, image, status, active, ready, succeeded, failed, completedIndexes)",
        );
        Some(wf)
    }

    fn node_filter(&mut self, node: &Y, p: &str) -> Option<NodeFilter> {
        let mut f = self.r().fields(node, p)?;
        let mut nf = NodeFilter { selector: self.selector(&mut f, "selector"), ..Default::default() };
        nf.name = f.get("name").and_then(|n| self.r().str(n, "name"));
        nf.status = f.get("status").and_then(|n| self.r().str(n, "status"));
        if let Some(n) = f.get("ready") {
            nf.ready = match n.scalar_text() {
                Some("True" | "true") => Some(CondStatus::True),
                Some("False" | "false") => Some(CondStatus::False),
                Some("Unknown") => Some(CondStatus::Unknown),
                _ => {
                    self.r().err(n, &format!("{}.ready", p), "expected True, False or Unknown");
                    None
                }
            };
        }
        if let Some(n) = f.get("taint") {
            let t = self.r().str(n, "taint")?;
            if let Some((_, e)) = t.split_once(':') {
                if crate::objects::pod::TaintEffect::parse(e).is_none() {
                    self.r().err(
                        n,
                        &format!("{}.taint", p),
                        format!("unknown effect `{}` (NoSchedule, PreferNoSchedule, NoExecute)", e),
                    );
                }
            }
            nf.taint = Some(t);
        }
        self.r().done(f, Unknown::Error, " in a node filter (expected name, selector, status, ready, taint)");
        Some(nf)
    }
}

/// One image's behaviour (the `images:` keys), over `base`: keys that are
/// given replace the base's, the others keep it. Also reads the
/// `kubesim.io/behavior` pod annotation.
pub fn read_behavior(r: &mut Reader, v: &Y, p: &str, base: ImageBehavior) -> ImageBehavior {
    let mut b = base;
    let Some(mut f) = r.fields(v, p) else { return b };
    if let Some(x) = f.get("pull") {
        b.pull = r.duration(x, &format!("{}.pull", p));
    }
    if let Some(x) = f.get("start") {
        b.start = r.duration(x, &format!("{}.start", p));
    }
    if let Some(x) = f.get("exitAfter") {
        b.exit_after = r.duration(x, &format!("{}.exitAfter", p));
    }
    if let Some(x) = f.get("exitCode") {
        b.exit_code = r.int_in(x, &format!("{}.exitCode", p), i32::MIN as i64, i32::MAX as i64).unwrap_or(0) as i32;
    }
    if let Some(h) = f.get("http") {
        b.http = http_behavior(r, h, &format!("{}.http", p));
    }
    if let Some(t) = f.get("tcp") {
        let tp = format!("{}.tcp", p);
        if let Some(mut tf) = r.fields(t, &tp) {
            b.tcp_port = tf.get("port").and_then(|n| r.int_in(n, &format!("{}.port", tp), 1, 65535)).map(|v| v as u16);
            r.done(tf, Unknown::Error, " in tcp (expected port)");
        }
    }
    if let Some(n) = f.get("listenAfter") {
        b.listen_after = r.duration(n, &format!("{}.listenAfter", p)).unwrap_or_default();
    }
    if let Some(n) = f.get("sigterm") {
        let text = r.text(n, &format!("{}.sigterm", p)).unwrap_or_default();
        b.sigterm = match text.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["exit"] => Sigterm::Exit,
            ["ignore"] => Sigterm::Ignore,
            ["exitAfter", d] => match crate::objects::duration::parse_duration(d) {
                Ok(d) => Sigterm::ExitAfter(d),
                Err(e) => {
                    r.err(n, &format!("{}.sigterm", p), e);
                    Sigterm::Exit
                }
            },
            _ => {
                r.err(n, &format!("{}.sigterm", p), "expected `exit`, `ignore` or `exitAfter <duration>`");
                Sigterm::Exit
            }
        };
    }
    if let Some(n) = f.get("pullError") {
        b.pull_error = r.text(n, &format!("{}.pullError", p));
    }
    if let Some(n) = f.get("files") {
        b.files = r.string_list(n, &format!("{}.files", p));
    }
    if let Some(n) = f.get("exec") {
        let ep = format!("{}.exec", p);
        if let Some(mut ef) = r.fields(n, &ep) {
            b.exec_default = ef
                .get("exitCode")
                .and_then(|x| r.int_in(x, &format!("{}.exitCode", ep), i32::MIN as i64, i32::MAX as i64))
                .unwrap_or(0) as i32;
            r.done(ef, Unknown::Error, " in exec (expected exitCode)");
        }
    }
    if let Some(n) = f.get("command") {
        b.command = r.string_list(n, &format!("{}.command", p));
    }
    if let Some(n) = f.get("args") {
        b.args = r.string_list(n, &format!("{}.args", p));
    }
    if let Some(x) = f.get("memory") {
        let mp = format!("{}.memory", p);
        if let Some(mut mf) = r.fields(x, &mp) {
            let start = mf.get("start").and_then(|n| r.quantity(n, &format!("{}.start", mp))).map(|q| q.value());
            let per_second =
                mf.get("perSecond").and_then(|n| r.quantity(n, &format!("{}.perSecond", mp))).map(|q| q.value());
            r.done(mf, Unknown::Error, " in memory (expected start, perSecond)");
            b.memory = Some(MemoryUse { start: start.unwrap_or(0), per_second: per_second.unwrap_or(0) });
        }
    }
    r.done(
        f,
        Unknown::Error,
        " in an image (expected pull, pullError, start, exitAfter, exitCode, http, tcp, listenAfter, sigterm, files, exec, memory, command, args)",
    );
    b
}

fn http_behavior(r: &mut Reader, node: &Y, p: &str) -> Option<HttpBehavior> {
    let mut f = r.fields(node, p)?;
    let port = f.get("port").and_then(|n| r.uint(n, &format!("{}.port", p)));
    let fail_after_requests = f.get("failAfterRequests").and_then(|n| r.uint(n, &format!("{}.failAfterRequests", p)));
    let status = f.get("status").and_then(|n| r.uint(n, &format!("{}.status", p))).unwrap_or(200);
    let response_time =
        f.get("responseTime").and_then(|n| r.duration(n, &format!("{}.responseTime", p))).unwrap_or_default();
    r.done(f, Unknown::Error, " in http (expected port, failAfterRequests, status, responseTime)");
    let Some(port) = port.filter(|p| (1..=65535).contains(p)) else {
        r.err(node, &format!("{}.port", p), "an HTTP server needs a port (1-65535)");
        return None;
    };
    if !(100..=599).contains(&status) {
        r.err(node, &format!("{}.status", p), "status must be an HTTP status code (100-599)");
    }
    Some(HttpBehavior { port: port as u16, fail_after_requests, status: status as u16, response_time })
}

/// The pod annotation that varies a pod's behaviour: a YAML mapping with
/// the `images:` keys, applied over the behaviour of each of its images.
pub use crate::nodes::images::ANNOTATION_BEHAVIOR;

/// Parses a behaviour annotation over `base`; the error lists every problem.
pub fn behavior_override(text: &str, base: ImageBehavior) -> Result<ImageBehavior, String> {
    let docs = yaml::parse_documents(text).map_err(|e| format!("invalid YAML: {}", e.message))?;
    let [doc] = docs.as_slice() else { return Err("expected one YAML mapping".into()) };
    let mut diag = Diagnostics::default();
    let b = read_behavior(&mut Reader { file: ANNOTATION_BEHAVIOR, diag: &mut diag }, doc, "", base);
    if diag.errors.is_empty() {
        Ok(b)
    } else {
        Err(diag.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
    }
}

/// Parses every `kubesim.io/behavior` annotation of the scenario's pods
/// and pod templates once, at load, for each image it applies to: the
/// kubelet only looks the result up (`ImageCatalog::overrides`).
fn parse_behavior_overrides<'o>(images: &mut ImageCatalog, objects: impl Iterator<Item = &'o Object>) {
    for o in objects {
        let (ann, spec) = match o {
            Object::Pod(p) => (&p.meta.annotations, &p.spec),
            Object::ReplicaSet(r) => (&r.spec.template.annotations, &r.spec.template.spec),
            _ => continue,
        };
        let Some(text) = ann.get(ANNOTATION_BEHAVIOR) else { continue };
        for c in spec.init_containers.iter().chain(spec.containers.iter()) {
            let key = (text.clone(), c.image.to_string());
            if images.overrides.contains_key(&key) {
                continue;
            }
            let base = images.get(&c.image).cloned().unwrap_or_default();
            images.overrides.insert(key, behavior_override(text, base));
        }
    }
}

fn with_default_namespace(o: Object, ns: &str) -> Object {
    if !o.meta().namespace.is_empty() || !o.kind().namespaced() {
        return o;
    }
    let meta = ObjectMeta { namespace: ns.into(), ..o.meta().clone() };
    o.with_meta(meta)
}

/// Parses decimal seconds (`12`, `0.5`) into a duration, exactly.
pub(crate) fn parse_seconds(s: &str) -> Option<SimDuration> {
    let (i, f) = s.split_once('.').unwrap_or((s, ""));
    if i.is_empty() && f.is_empty()
        || !i.bytes().all(|b| b.is_ascii_digit())
        || !f.bytes().all(|b| b.is_ascii_digit())
        || f.len() > 9
    {
        return None;
    }
    let whole: u64 = if i.is_empty() { 0 } else { i.parse().ok()? };
    let frac: u64 = if f.is_empty() { 0 } else { f.parse::<u64>().ok()? * 10u64.pow(9 - f.len() as u32) };
    whole.checked_mul(1_000_000_000)?.checked_add(frac).map(SimDuration)
}

/// Reads a workload trace CSV (`arrival,name,cpu,memory,duration`).
pub fn read_trace(path: &Path, namespace: &str) -> Result<Vec<WorkloadPod>, LoadError> {
    let label = path.display().to_string();
    let err = |line: usize, field: &str, message: String| LoadError {
        file: label.clone(),
        pos: Some(yaml::Pos { line, col: 1 }),
        field: field.to_string(),
        message,
    };
    let bytes = limits::read_input_bytes(path).map_err(|e| LoadError {
        file: label.clone(),
        pos: None,
        field: String::new(),
        message: format!("cannot read trace: {}", e),
    })?;
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes.as_slice());
    let headers = rdr.headers().map_err(|e| err(1, "", format!("bad header: {}", e)))?.clone();
    let want = ["arrival", "name", "cpu", "memory", "duration"];
    let mut idx = [0usize; 5];
    for (i, w) in want.iter().enumerate() {
        idx[i] = headers
            .iter()
            .position(|h| h == *w)
            .ok_or_else(|| err(1, w, format!("missing column `{}` (header must have {})", w, want.join(","))))?;
    }
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut specs: std::collections::BTreeMap<(u64, u64), Rc<crate::objects::pod::PodSpec>> = Default::default();
    let mut annotations = workload::Annotations::default();
    for (row, rec) in rdr.records().enumerate() {
        let line = row + 2;
        if row >= limits::MAX_OBJECTS {
            return Err(err(line, "", format!("more than {} rows (the input limit on objects)", limits::MAX_OBJECTS)));
        }
        let rec = rec.map_err(|e| err(line, "", format!("malformed row: {}", e)))?;
        let get = |i: usize| rec.get(idx[i]).unwrap_or("");
        let arrival = parse_seconds(get(0))
            .ok_or_else(|| err(line, "arrival", format!("`{}` is not a number of seconds", get(0))))?;
        let name = get(1).to_string();
        let problems = crate::objects::validation::object_name("Pod", &name);
        if !problems.is_empty() {
            return Err(err(line, "name", crate::objects::validation::invalid(&name, &problems)));
        }
        if !names.insert(name.clone()) {
            return Err(err(line, "name", format!("duplicate pod name `{}`", name)));
        }
        let cpu = parse_quantity(get(2)).map_err(|e| err(line, "cpu", e))?;
        let memory = parse_quantity(get(3)).map_err(|e| err(line, "memory", e))?;
        if cpu.is_negative() || memory.is_negative() {
            return Err(err(line, "cpu", "requests must not be negative".into()));
        }
        let duration = parse_seconds(get(4))
            .ok_or_else(|| err(line, "duration", format!("`{}` is not a number of seconds", get(4))))?;
        let c = cpu.millicores_checked().ok_or_else(|| {
            err(line, "cpu", format!("`{}` is too large: CPU must be at most 2^63-1 millicores", get(2)))
        })?;
        let m = memory.value();
        let spec = specs.entry((c, m)).or_insert_with(|| Rc::new(workload::trace_spec(c, m))).clone();
        out.push(WorkloadPod {
            arrival: SimTime(arrival.0),
            name: name.into(),
            namespace: namespace.into(),
            cpu_m: c,
            memory: m,
            duration,
            spec,
            annotations: annotations.for_duration(duration),
        });
    }
    Ok(out)
}

impl Scenario {
    /// The extended resources (`nvidia.com/gpu`, …) any of the scenario's
    /// nodes has, in name order: the extra columns of `timeseries.csv`.
    pub fn extended_resources(&self) -> Vec<Rc<str>> {
        let mut names: BTreeSet<Rc<str>> = BTreeSet::new();
        let nodes = self.nodes.iter().map(|n| &**n);
        let objects = self.objects.iter().filter_map(|o| match o {
            Object::Node(n) => Some(&**n),
            _ => None,
        });
        // And the nodes the timeline adds or applies.
        let timeline = self.timeline.iter().flat_map(|e| match &e.action {
            Action::AddNode(n) => vec![&**n],
            Action::Apply(os) | Action::Create(os) => os
                .iter()
                .filter_map(|o| match o {
                    Object::Node(n) => Some(&**n),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        });
        for n in nodes.chain(objects).chain(timeline) {
            names.extend(n.status.extended.iter().map(|(name, _)| name.clone()));
        }
        names.into_iter().collect()
    }

    /// Builds the simulation at t = 0: nodes, then objects in file order,
    /// then the timeline and the workload.
    pub fn build(&self, seed: u64) -> Simulation {
        self.build_with(seed, |_| {})
    }

    /// Resolves `cluster.controllers` and `cluster.schedulers` against the
    /// components a binary has; an unknown name is an error at its line.
    pub fn select(&self, registry: &Registry) -> Result<Selection, LoadErrors> {
        let names = |v: &[(String, Option<yaml::Pos>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        registry.select(&names(&self.controllers), &names(&self.schedulers)).map_err(|(field, i, message)| {
            let list = if field == "controllers" { &self.controllers } else { &self.schedulers };
            LoadErrors(vec![LoadError {
                file: self.path.clone(),
                pos: list.get(i).and_then(|(_, p)| *p),
                field: format!("cluster.{}[{}]", field, i),
                message,
            }])
        })
    }

    /// Like `build`, calling `prepare` on the empty simulation first (to
    /// switch on recording before anything happens): the simulation of this
    /// scenario with the built-in components only. Panics when the scenario
    /// names a user component (use `build_selected` with the registry's
    /// `Selection`).
    pub fn build_with(&self, seed: u64, prepare: impl FnOnce(&mut Simulation)) -> Simulation {
        let sel = self.select(&Registry::new()).unwrap_or_else(|e| {
            panic!("{}\n(the scenario names components: resolve them with Scenario::select and your Registry)", e)
        });
        self.build_selected(seed, &sel, prepare)
    }

    /// The simulation of this scenario with the components `sel` chose.
    pub fn build_selected(&self, seed: u64, sel: &Selection, prepare: impl FnOnce(&mut Simulation)) -> Simulation {
        let mut cfg = self.config.clone();
        // A deleted Node's Lease is collected and its running kubelet's
        // next renewal creates it again, at an instant the analytic
        // renewal stream does not hold an event for: the literal model
        // runs (as it does for drawn latencies).
        if self.timeline.iter().any(|e| matches!(e.action, Action::Delete { kind: Kind::Node, .. })) {
            cfg.heartbeat_skipping = false;
        }
        let mut sim = Simulation::new(cfg, seed);
        prepare(&mut sim);
        sim.set_builtins(sel.builtins);
        for c in &sel.components {
            sim.add_component(c.clone());
        }
        sim.bootstrap();
        sim.images = self.images.clone();
        for n in &self.nodes {
            sim.add_node(n.clone());
        }
        for o in &self.objects {
            let o = with_default_namespace(o.clone(), "default");
            sim.create_now(o);
        }
        for e in &self.timeline {
            sim.schedule_action(e.at, e.action.clone());
        }
        sim.set_workload(self.workload.clone());
        sim
    }
}
