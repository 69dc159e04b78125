//! Pod: spec, status and the derived values the scheduler and kubelet use.

use super::meta::ObjectMeta;
use super::resources::Resources;
use super::selector::{Labels, Requirement};
use crate::sim::SimTime;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }

    /// `SetDefaults_Container`: Always when the tag is `:latest` or absent
    /// (and there is no digest), IfNotPresent otherwise.
    pub fn default_for(image: &str) -> PullPolicy {
        if image.contains('@') {
            return PullPolicy::IfNotPresent;
        }
        let last = image.rsplit('/').next().unwrap_or(image);
        match last.split_once(':') {
            None => PullPolicy::Always,
            Some((_, "latest")) => PullPolicy::Always,
            Some(_) => PullPolicy::IfNotPresent,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub container_port: u16,
    pub protocol: String,
    pub host_port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub name: Rc<str>,
    pub image: Rc<str>,
    pub image_pull_policy: PullPolicy,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub ports: Vec<ContainerPort>,
    pub requests: Resources,
    pub limits: Resources,
    /// Whether requests were given at all (for the scheduler's non-zero
    /// defaults, which apply per resource that is missing).
    pub has_cpu_request: bool,
    pub has_memory_request: bool,
    /// Probes and lifecycle hooks (empty for most pods: shared default).
    pub probes: super::probe::SharedProbes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    pub fn parse(s: &str) -> Option<TaintEffect> {
        Some(match s {
            "NoSchedule" => TaintEffect::NoSchedule,
            "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
            "NoExecute" => TaintEffect::NoExecute,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: TaintEffect,
    pub time_added: Option<SimTime>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// Empty key with `Exists` tolerates every taint. (Shared strings: a
    /// pod spec is cloned on admission and on binding.)
    pub key: Rc<str>,
    pub exists: bool,
    pub value: Rc<str>,
    /// `None` matches every effect.
    pub effect: Option<TaintEffect>,
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// `ToleratesTaint` from k8s.io/api/core/v1/toleration.go.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(e) = self.effect {
            if e != taint.effect {
                return false;
            }
        }
        if !self.key.is_empty() && *self.key != *taint.key {
            return false;
        }
        self.exists || *self.value == *taint.value
    }
}

/// A required or preferred node-selector term: expressions ANDed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NodeSelectorTerm {
    pub match_expressions: Vec<Requirement>,
    /// `matchFields` (only `metadata.name` exists upstream).
    pub match_fields: Vec<Requirement>,
}

impl NodeSelectorTerm {
    pub fn matches(&self, node_name: &str, labels: &Labels) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false; // an empty term matches no objects
        }
        let fields: Labels = [("metadata.name".to_string(), node_name.to_string())].into_iter().collect();
        self.match_expressions.iter().all(|r| r.matches(labels)) && self.match_fields.iter().all(|r| r.matches(&fields))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NodeAffinity {
    /// Required terms, ORed. `None` means no requirement.
    pub required: Option<Vec<NodeSelectorTerm>>,
    pub preferred: Vec<(i32, NodeSelectorTerm)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpec {
    pub node_name: Option<Rc<str>>,
    /// Shared slices: a spec is cloned on admission and on binding, and
    /// its containers never change after creation.
    pub containers: Rc<[Container]>,
    pub init_containers: Rc<[Container]>,
    pub restart_policy: RestartPolicy,
    pub node_selector: Labels,
    pub node_affinity: NodeAffinity,
    pub tolerations: Vec<Toleration>,
    pub termination_grace_period_seconds: u64,
    pub scheduler_name: Rc<str>,
    pub priority: i32,
}

impl Default for PodSpec {
    /// The apiserver's defaults for what a manifest leaves out
    /// (`SetDefaults_PodSpec`): restartPolicy Always, a 30 s grace period,
    /// the default scheduler, priority 0.
    fn default() -> Self {
        PodSpec {
            node_name: None,
            containers: Rc::from([]),
            init_containers: Rc::from([]),
            restart_policy: RestartPolicy::Always,
            node_selector: Labels::new(),
            node_affinity: NodeAffinity::default(),
            tolerations: vec![],
            termination_grace_period_seconds: 30,
            scheduler_name: crate::controllers::scheduler::DEFAULT_SCHEDULER.into(),
            priority: 0,
        }
    }
}

impl Container {
    /// A container with no command, ports, resources or probes.
    pub fn new(name: &str, image: &str, image_pull_policy: PullPolicy) -> Self {
        Container {
            name: name.into(),
            image: image.into(),
            image_pull_policy,
            command: vec![],
            args: vec![],
            ports: vec![],
            requests: Resources::default(),
            limits: Resources::default(),
            has_cpu_request: false,
            has_memory_request: false,
            probes: Default::default(),
        }
    }
}

impl PodSpec {
    /// The pod's effective request: max(sum of app containers, largest init
    /// container), per resource, plus one pod slot (k8s-semantics §6.3).
    pub fn requests(&self) -> Resources {
        let mut sum = Resources { pods: 1, ..Default::default() };
        for c in self.containers.iter() {
            sum.cpu_m += c.requests.cpu_m;
            sum.memory += c.requests.memory;
        }
        for c in self.init_containers.iter() {
            sum.cpu_m = sum.cpu_m.max(c.requests.cpu_m);
            sum.memory = sum.memory.max(c.requests.memory);
        }
        sum
    }

    /// Requests with the scheduler's non-zero defaults (100m CPU, 200 MiB)
    /// for containers that request nothing, used only for scoring.
    pub fn nonzero_requests(&self) -> Resources {
        let mut sum = Resources { pods: 1, ..Default::default() };
        for c in self.containers.iter() {
            sum.cpu_m += if c.has_cpu_request { c.requests.cpu_m } else { 100 };
            sum.memory += if c.has_memory_request { c.requests.memory } else { 200 << 20 };
        }
        sum
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
    pub fn parse(s: &str) -> Option<PodPhase> {
        Some(match s {
            "Pending" => PodPhase::Pending,
            "Running" => PodPhase::Running,
            "Succeeded" => PodPhase::Succeeded,
            "Failed" => PodPhase::Failed,
            "Unknown" => PodPhase::Unknown,
            _ => return None,
        })
    }
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondStatus {
    True,
    False,
    Unknown,
}

impl CondStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CondStatus::True => "True",
            CondStatus::False => "False",
            CondStatus::Unknown => "Unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    pub status: CondStatus,
    pub last_transition_time: SimTime,
    /// Shared strings: statuses are cloned on every write, and most
    /// reasons and messages repeat.
    pub reason: Option<Rc<str>>,
    pub message: Option<Rc<str>>,
}

impl Condition {
    pub fn new(status: CondStatus, at: SimTime) -> Self {
        Condition { status, last_transition_time: at, reason: None, message: None }
    }
    pub fn is_true(&self) -> bool {
        self.status == CondStatus::True
    }
}

/// The pod conditions, in the order they become True.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PodConditions {
    pub disruption_target: Option<Condition>,
    /// `PodReadyToStartContainers`: the sandbox exists with its network.
    pub ready_to_start_containers: Option<Condition>,
    pub pod_scheduled: Option<Condition>,
    pub initialized: Option<Condition>,
    pub containers_ready: Option<Condition>,
    pub ready: Option<Condition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminatedState {
    pub exit_code: i32,
    pub signal: Option<i32>,
    pub reason: Rc<str>,
    pub message: Option<Rc<str>>,
    pub started_at: Option<SimTime>,
    pub finished_at: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    Waiting { reason: Rc<str>, message: Option<Rc<str>> },
    Running { started_at: SimTime },
    Terminated(TerminatedState),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerStatus {
    pub name: Rc<str>,
    pub image: Rc<str>,
    pub ready: bool,
    pub started: bool,
    pub restart_count: u32,
    pub container_id: Option<u64>,
    pub state: ContainerState,
    pub last_state: Option<TerminatedState>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodStatus {
    pub phase: PodPhase,
    pub conditions: PodConditions,
    /// Pod-level reason (`Evicted`, `NodeAffinity`, `OutOfcpu`, …).
    pub reason: Option<Rc<str>>,
    pub message: Option<Rc<str>>,
    pub host_ip: Option<Rc<str>>,
    pub pod_ip: Option<Rc<str>>,
    pub start_time: Option<SimTime>,
    pub init_container_statuses: Vec<ContainerStatus>,
    pub container_statuses: Vec<ContainerStatus>,
}

impl PodStatus {
    /// The status of a pod nobody has reported on yet, shared (every new
    /// pod starts with it; the first write replaces it).
    pub fn initial() -> Rc<PodStatus> {
        thread_local! {
            static INITIAL: Rc<PodStatus> = Rc::default();
        }
        INITIAL.with(Rc::clone)
    }
}

impl Default for PodStatus {
    fn default() -> Self {
        PodStatus {
            phase: PodPhase::Pending,
            conditions: PodConditions::default(),
            reason: None,
            message: None,
            host_ip: None,
            pod_ip: None,
            start_time: None,
            init_container_statuses: Vec::new(),
            container_statuses: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    pub meta: ObjectMeta,
    pub spec: Rc<PodSpec>,
    pub status: Rc<PodStatus>,
}

impl Pod {
    pub fn node_name(&self) -> Option<&str> {
        self.spec.node_name.as_deref()
    }

    pub fn is_ready(&self) -> bool {
        self.status.conditions.ready.as_ref().is_some_and(|c| c.is_true())
    }

    /// `FilterActivePods`: not terminal and not being deleted.
    pub fn is_active(&self) -> bool {
        !self.status.phase.is_terminal() && self.meta.deletion_timestamp.is_none()
    }

    /// Restarts of all containers, init containers included (kubectl's
    /// RESTARTS column).
    pub fn restart_count(&self) -> u32 {
        self.status.container_statuses.iter().chain(&self.status.init_container_statuses).map(|c| c.restart_count).sum()
    }

    pub fn max_restart_count(&self) -> u32 {
        self.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults() {
        assert_eq!(PullPolicy::default_for("luksa/kubia"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("luksa/kubia:latest"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("nginx:1.25"), PullPolicy::IfNotPresent);
        assert_eq!(PullPolicy::default_for("localhost:5000/app"), PullPolicy::Always);
        assert_eq!(PullPolicy::default_for("app@sha256:abc"), PullPolicy::IfNotPresent);
    }

    #[test]
    fn toleration_matching() {
        let taint = Taint { key: "k".into(), value: "v".into(), effect: TaintEffect::NoSchedule, time_added: None };
        let t = |key: &str, exists, value: &str, effect| Toleration {
            key: key.into(),
            exists,
            value: value.into(),
            effect,
            toleration_seconds: None,
        };
        assert!(t("k", false, "v", Some(TaintEffect::NoSchedule)).tolerates(&taint));
        assert!(t("k", true, "", None).tolerates(&taint));
        assert!(t("", true, "", None).tolerates(&taint));
        assert!(!t("k", false, "w", None).tolerates(&taint));
        assert!(!t("k", true, "", Some(TaintEffect::NoExecute)).tolerates(&taint));
    }
}
