//! Pod: spec, status and the derived values the scheduler and kubelet use.

#![warn(missing_docs)]

use super::digest::Parts;
use super::meta::ObjectMeta;
use super::probe::{ContainerProbes, Handler, PortRef, Probe};
use super::resources::{Extended, Resources};
use super::selector::{Labels, Requirement};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use std::rc::Rc;

/// `v1.PodSpec.restartPolicy`: what the kubelet does when a container
/// exits (init containers are restarted on failure unless `Never`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Restart after every exit, with back-off (the default).
    Always,
    /// Restart after a non-zero exit only.
    OnFailure,
    /// Never restart.
    Never,
}

impl RestartPolicy {
    /// The policy as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// `v1.Container.imagePullPolicy`: when the kubelet pulls the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull at every container start (the registry answers "unchanged"
    /// quickly when the image is present).
    Always,
    /// Pull only when the image is not on the node.
    IfNotPresent,
    /// Never pull: a missing image is `ErrImageNeverPull`.
    Never,
}

impl PullPolicy {
    /// The policy as the API spells it.
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

/// `v1.ContainerPort`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    /// `name`: what a probe's named port refers to.
    pub name: Option<String>,
    /// `containerPort`.
    pub container_port: u16,
    /// `protocol` (`TCP` by default).
    pub protocol: String,
    /// `hostPort`: stored and shown; the scheduler's NodePorts filter is
    /// not modelled, so it does not keep two pods asking for one host port
    /// off the same node.
    pub host_port: Option<u16>,
}

/// `v1.Container`, the fields kubesim models. What the process does when
/// run is the image's behaviour (`nodes::images`) or the pod's
/// `kubesim.io/behavior` annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    /// `name`, unique within the pod.
    pub name: Rc<str>,
    /// `image`, e.g. `nginx:1.25`.
    pub image: Rc<str>,
    /// `imagePullPolicy`, defaulted from the tag (`PullPolicy::default_for`).
    pub image_pull_policy: PullPolicy,
    /// `command` (the image's entrypoint when empty).
    pub command: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// `ports`.
    pub ports: Vec<ContainerPort>,
    /// `resources.requests`: what the scheduler reserves.
    pub requests: Resources,
    /// `resources.limits` (a limit without a request defaults the request
    /// to it, `SetDefaults_ResourceRequirements`).
    pub limits: Resources,
    /// Extended resources (`nvidia.com/gpu`, …): the request, which
    /// validation holds equal to the limit (they cannot be overcommitted).
    pub extended: Extended,
    /// Whether requests were given at all (for the scheduler's non-zero
    /// defaults, which apply per resource that is missing).
    pub has_cpu_request: bool,
    /// Whether a memory request was given (see `has_cpu_request`).
    pub has_memory_request: bool,
    /// Probes and lifecycle hooks (empty for most pods: shared default).
    pub probes: super::probe::SharedProbes,
    /// `env` (empty for most pods: shared).
    pub env: Rc<[super::env::EnvVar]>,
}

/// `v1.TaintEffect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintEffect {
    /// New pods that do not tolerate the taint are not scheduled here.
    NoSchedule,
    /// The scheduler avoids the node for pods that do not tolerate the
    /// taint (TaintToleration scoring).
    PreferNoSchedule,
    /// As NoSchedule, and running pods that do not tolerate it are
    /// evicted (after their `tolerationSeconds`, if any) by the
    /// taint-eviction controller.
    NoExecute,
}

impl TaintEffect {
    /// The effect a manifest names, or `None`.
    pub fn parse(s: &str) -> Option<TaintEffect> {
        Some(match s {
            "NoSchedule" => TaintEffect::NoSchedule,
            "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
            "NoExecute" => TaintEffect::NoExecute,
            _ => return None,
        })
    }
    /// The effect as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// `v1.Taint`: on a node's `spec.taints`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    /// The taint key, e.g. `node.kubernetes.io/unreachable`.
    pub key: String,
    /// The taint value (often empty).
    pub value: String,
    /// What the taint does to pods that do not tolerate it.
    pub effect: TaintEffect,
    /// `timeAdded`: when the taint was added (the node-lifecycle
    /// controller's `SwapNodeControllerTaint` stamps every taint it adds).
    pub time_added: Option<SimTime>,
}

/// `v1.Toleration`: lets a pod be scheduled on, or keep running on, a
/// node with a matching taint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// Empty key with `Exists` tolerates every taint. (Shared strings: a
    /// pod spec is cloned on admission and on binding.)
    pub key: Rc<str>,
    /// `operator: Exists` (any value); `false` is `Equal` (the value must
    /// match).
    pub exists: bool,
    /// The value `Equal` compares with.
    pub value: Rc<str>,
    /// `None` matches every effect.
    pub effect: Option<TaintEffect>,
    /// `tolerationSeconds`: for NoExecute, how long the pod stays on the
    /// node after the taint is added (`None`: for ever). Admission gives
    /// every pod 300 s for not-ready and unreachable.
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
    /// `matchExpressions`, on the node's labels.
    pub match_expressions: Vec<Requirement>,
    /// `matchFields` (only `metadata.name` exists upstream).
    pub match_fields: Vec<Requirement>,
}

impl NodeSelectorTerm {
    /// Whether the node with this name and labels matches the term
    /// (component-helpers' `nodeaffinity`); an empty term matches no
    /// node.
    pub fn matches(&self, node_name: &str, labels: &Labels) -> bool {
        if self.match_expressions.is_empty() && self.match_fields.is_empty() {
            return false; // an empty term matches no objects
        }
        let fields: Labels = [("metadata.name".to_string(), node_name.to_string())].into_iter().collect();
        self.match_expressions.iter().all(|r| r.matches(labels)) && self.match_fields.iter().all(|r| r.matches(&fields))
    }
}

/// `v1.NodeAffinity` (`spec.affinity.nodeAffinity`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NodeAffinity {
    /// Required terms, ORed. `None` means no requirement.
    pub required: Option<Vec<NodeSelectorTerm>>,
    /// `preferredDuringSchedulingIgnoredDuringExecution`: (weight, term)
    /// pairs the scheduler's NodeAffinity score sums over matching terms.
    pub preferred: Vec<(i32, NodeSelectorTerm)>,
}

/// The scheduler a pod names unless it names another (`spec.schedulerName`
/// defaulting in `pkg/apis/core/v1/defaults.go`).
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";

/// `v1.PodSpec`, the fields kubesim models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSpec {
    /// `spec.nodeName`: the node the pod is bound to (set by the binding,
    /// or in the manifest to bypass the scheduler).
    pub node_name: Option<Rc<str>>,
    /// Shared slices: a spec is cloned on admission and on binding, and
    /// its containers never change after creation.
    pub containers: Rc<[Container]>,
    /// `spec.initContainers`: run one after another, each to success,
    /// before the app containers start.
    pub init_containers: Rc<[Container]>,
    /// `spec.restartPolicy`.
    pub restart_policy: RestartPolicy,
    /// `spec.nodeSelector`: labels the node must carry.
    pub node_selector: Labels,
    /// `spec.affinity.nodeAffinity`.
    pub node_affinity: NodeAffinity,
    /// `spec.tolerations`.
    pub tolerations: Vec<Toleration>,
    /// `spec.terminationGracePeriodSeconds` (30 by default): how long the
    /// kubelet waits between SIGTERM and SIGKILL, and the default grace
    /// period of a delete.
    pub termination_grace_period_seconds: u64,
    /// `spec.schedulerName`: the default scheduler binds only pods that
    /// name it.
    pub scheduler_name: Rc<str>,
    /// `spec.priority`, the scheduling queue's first sort key.
    pub priority: i32,
    /// `spec.enableServiceLinks`: the containers get the environment
    /// variables of the namespace's Services. `None`: not given, which is
    /// true (`SetDefaults_Pod` defaults it on pods only, so a template
    /// keeps it unset).
    pub enable_service_links: Option<bool>,
    /// `spec.hostname`: the container's hostname instead of the pod's
    /// name (an Indexed Job's pods get `<job>-<index>`).
    pub hostname: Option<Rc<str>>,
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
            scheduler_name: DEFAULT_SCHEDULER.into(),
            priority: 0,
            enable_service_links: None,
            hostname: None,
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
            extended: Extended::default(),
            has_cpu_request: false,
            has_memory_request: false,
            probes: Default::default(),
            env: Rc::from([]),
        }
    }
}

impl PodSpec {
    /// The pod's effective request: max(sum of app containers, largest init
    /// container), per resource, plus one pod slot (docs/kubernetes-behaviour.md §6.3).
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

    /// The pod's extended-resource request: as `requests`, the sum over
    /// app containers or the largest init container, per resource.
    pub fn extended_requests(&self) -> Extended {
        let mut sum = Extended::default();
        for c in self.containers.iter().filter(|c| !c.extended.is_empty()) {
            sum.add(&c.extended);
        }
        for c in self.init_containers.iter().filter(|c| !c.extended.is_empty()) {
            sum.max_with(&c.extended);
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

/// `v1.PodPhase` (`status.phase`), as the kubelet's `getPhase` computes
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodPhase {
    /// Accepted, but not all containers have started (unscheduled,
    /// pulling images, running init containers).
    Pending,
    /// Bound, every container created, and at least one running or
    /// starting or restarting.
    Running,
    /// Every container exited 0 and none will restart (terminal).
    Succeeded,
    /// Every container exited and at least one failed and will not
    /// restart (terminal).
    Failed,
    /// The state could not be obtained (kubesim's kubelet never reports
    /// it).
    Unknown,
}

impl PodPhase {
    /// The phase as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }
    /// The phase a scenario names, or `None`.
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
    /// Succeeded or Failed: final, the apiserver refuses a change out of it.
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

/// `v1.ConditionStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// Nobody knows (a node whose kubelet stopped reporting).
    Unknown,
}

impl CondStatus {
    /// The status as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CondStatus::True => "True",
            CondStatus::False => "False",
            CondStatus::Unknown => "Unknown",
        }
    }
}

/// A `v1.PodCondition` (its type is the `PodConditions` field that holds
/// it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// `status`.
    pub status: CondStatus,
    /// `lastTransitionTime`: when `status` last changed.
    pub last_transition_time: SimTime,
    /// Shared strings: statuses are cloned on every write, and most
    /// reasons and messages repeat.
    pub reason: Option<Rc<str>>,
    /// `message`, human-readable.
    pub message: Option<Rc<str>>,
}

impl Condition {
    /// A condition with this status, changed at `at`, without reason or
    /// message.
    pub fn new(status: CondStatus, at: SimTime) -> Self {
        Condition { status, last_transition_time: at, reason: None, message: None }
    }
    /// Whether the status is True.
    pub fn is_true(&self) -> bool {
        self.status == CondStatus::True
    }
}

/// The pod conditions, in the order they become True.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PodConditions {
    /// `DisruptionTarget`: set True by an eviction (here the
    /// taint-eviction controller's) before the pod is deleted.
    pub disruption_target: Option<Condition>,
    /// `PodReadyToStartContainers`: the sandbox exists with its network.
    pub ready_to_start_containers: Option<Condition>,
    /// `PodScheduled`: True once bound; False (reason `Unschedulable`)
    /// when the scheduler found no node.
    pub pod_scheduled: Option<Condition>,
    /// `Initialized`: every init container has succeeded.
    pub initialized: Option<Condition>,
    /// `ContainersReady`: every container is ready.
    pub containers_ready: Option<Condition>,
    /// `Ready`: the pod can serve (ContainersReady, and not marked
    /// NotReady by the node-lifecycle controller); ReplicaSet status and
    /// kubectl's READY read it.
    pub ready: Option<Condition>,
}

impl PodConditions {
    /// Each condition with its type, in the order the apiserver lists
    /// them (and `kubectl describe` prints them): what `-o yaml` and
    /// `describe pod` both show.
    pub fn named(&self) -> [(&'static str, &Option<Condition>); 6] {
        [
            ("DisruptionTarget", &self.disruption_target),
            ("PodReadyToStartContainers", &self.ready_to_start_containers),
            ("Initialized", &self.initialized),
            ("Ready", &self.ready),
            ("ContainersReady", &self.containers_ready),
            ("PodScheduled", &self.pod_scheduled),
        ]
    }
}

/// `v1.ContainerStateTerminated`: how a container run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminatedState {
    /// `exitCode` (137 for SIGKILL, 143 for SIGTERM by default).
    pub exit_code: i32,
    /// `signal`, when a signal ended the process.
    pub signal: Option<i32>,
    /// `reason`: `Completed` (exit 0), `Error`, `OOMKilled`, ….
    pub reason: Rc<str>,
    /// `message`.
    pub message: Option<Rc<str>>,
    /// `startedAt`: when the run began (`None` if it never started).
    pub started_at: Option<SimTime>,
    /// `finishedAt`.
    pub finished_at: SimTime,
}

/// `v1.ContainerState`: exactly one of waiting, running, terminated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Not running yet or between restarts.
    Waiting {
        /// `ContainerCreating`, `PodInitializing`, `ErrImagePull`,
        /// `ImagePullBackOff`, `CrashLoopBackOff`, ….
        reason: Rc<str>,
        /// The detail kubectl describe shows.
        message: Option<Rc<str>>,
    },
    /// The process runs.
    Running {
        /// `startedAt`.
        started_at: SimTime,
    },
    /// The last run ended and the container is not restarting (yet).
    Terminated(TerminatedState),
}

/// `v1.ContainerStatus`: the kubelet's report on one container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerStatus {
    /// The container's name.
    pub name: Rc<str>,
    /// The image it runs.
    pub image: Rc<str>,
    /// `ready`: running and passing its readiness probe (running, when it
    /// has none).
    pub ready: bool,
    /// `started`: running and past its startup probe.
    pub started: bool,
    /// `restartCount`: how many times the kubelet restarted it.
    pub restart_count: u32,
    /// `containerID`, a counter per kubelet standing in for the runtime's
    /// id (`None` before the first start).
    pub container_id: Option<u64>,
    /// `state`: the current state.
    pub state: ContainerState,
    /// `lastState.terminated`: how the previous run ended.
    pub last_state: Option<TerminatedState>,
}

/// `v1.PodStatus`, as the kubelet's status manager writes it (and the
/// scheduler, node-lifecycle and taint-eviction controllers patch its
/// conditions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodStatus {
    /// `status.phase`.
    pub phase: PodPhase,
    /// `status.conditions`.
    pub conditions: PodConditions,
    /// Pod-level reason (`Evicted`, `NodeAffinity`, `OutOfcpu`, …).
    pub reason: Option<Rc<str>>,
    /// Pod-level message, the detail of `reason`.
    pub message: Option<Rc<str>>,
    /// `status.hostIP`: the node's InternalIP.
    pub host_ip: Option<Rc<str>>,
    /// `status.podIP`, assigned when the sandbox is created.
    pub pod_ip: Option<Rc<str>>,
    /// `status.startTime`: when the kubelet accepted the pod.
    pub start_time: Option<SimTime>,
    /// `status.initContainerStatuses`.
    pub init_container_statuses: Vec<ContainerStatus>,
    /// `status.containerStatuses`.
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

/// A `v1.Pod`. Spec and status are shared between versions (`Rc`): a
/// status write clones neither the spec nor the metadata maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    /// The pod's metadata.
    pub meta: ObjectMeta,
    /// The desired state.
    pub spec: Rc<PodSpec>,
    /// The observed state, written by the kubelet.
    pub status: Rc<PodStatus>,
}

impl Pod {
    /// The node the pod is bound to (`spec.nodeName`), if any.
    pub fn node_name(&self) -> Option<&str> {
        self.spec.node_name.as_deref()
    }

    /// Whether the Ready condition is True (`podutil.IsPodReady`).
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

    /// The most restarts of any app container (the replica-set
    /// controller's deletion ranking, `ActivePodsWithRanks`, prefers
    /// deleting the pod with more restarts).
    pub fn max_restart_count(&self) -> u32 {
        self.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0)
    }
}

// ---- Digests for the trace hash (see `crate::sim::trace`): every field,
// destructured so that a new field without coverage does not compile.

impl Digest for ContainerPort {
    fn digest(&self, d: &mut Digester) {
        let ContainerPort { name, container_port, protocol, host_port } = self;
        name.digest(d);
        container_port.digest(d);
        protocol.digest(d);
        host_port.digest(d);
    }
}

impl Digest for PortRef {
    fn digest(&self, d: &mut Digester) {
        match self {
            PortRef::Number(n) => {
                d.tag(0);
                n.digest(d);
            }
            PortRef::Name(s) => {
                d.tag(1);
                s.digest(d);
            }
        }
    }
}

impl Digest for Handler {
    fn digest(&self, d: &mut Digester) {
        match self {
            Handler::HttpGet { path, port, scheme } => {
                d.tag(0);
                path.digest(d);
                port.digest(d);
                scheme.digest(d);
            }
            Handler::TcpSocket { port } => {
                d.tag(1);
                port.digest(d);
            }
            Handler::Exec { command } => {
                d.tag(2);
                command.digest(d);
            }
            Handler::Sleep { seconds } => {
                d.tag(3);
                seconds.digest(d);
            }
        }
    }
}

impl Digest for Probe {
    fn digest(&self, d: &mut Digester) {
        let Probe {
            handler,
            initial_delay_seconds,
            period_seconds,
            timeout_seconds,
            success_threshold,
            failure_threshold,
            termination_grace_period_seconds,
        } = self;
        handler.digest(d);
        initial_delay_seconds.digest(d);
        period_seconds.digest(d);
        timeout_seconds.digest(d);
        success_threshold.digest(d);
        failure_threshold.digest(d);
        termination_grace_period_seconds.digest(d);
    }
}

impl Digest for ContainerProbes {
    fn digest(&self, d: &mut Digester) {
        let ContainerProbes { startup, liveness, readiness, pre_stop } = self;
        startup.digest(d);
        liveness.digest(d);
        readiness.digest(d);
        pre_stop.digest(d);
    }
}

impl Digest for Container {
    fn digest(&self, d: &mut Digester) {
        let Container {
            name,
            image,
            image_pull_policy,
            command,
            args,
            ports,
            requests,
            limits,
            extended,
            has_cpu_request,
            has_memory_request,
            probes,
            env,
        } = self;
        name.digest(d);
        image.digest(d);
        d.tag(*image_pull_policy as u64);
        command.digest(d);
        args.digest(d);
        ports.digest(d);
        requests.digest(d);
        limits.digest(d);
        // Only when present, so the hashes of runs without extended
        // resources stay what they were.
        if !extended.is_empty() {
            d.tag(0xE7);
            extended.digest(d);
        }
        has_cpu_request.digest(d);
        has_memory_request.digest(d);
        probes.digest(d);
        // Only when present, as `extended`.
        if !env.is_empty() {
            d.tag(0xE8);
            env.digest(d);
        }
    }
}

impl Digest for Taint {
    fn digest(&self, d: &mut Digester) {
        let Taint { key, value, effect, time_added } = self;
        key.digest(d);
        value.digest(d);
        d.tag(*effect as u64);
        time_added.digest(d);
    }
}

impl Digest for Toleration {
    fn digest(&self, d: &mut Digester) {
        let Toleration { key, exists, value, effect, toleration_seconds } = self;
        key.digest(d);
        exists.digest(d);
        value.digest(d);
        effect.map(|e| e as u64).digest(d);
        toleration_seconds.digest(d);
    }
}

impl Digest for NodeSelectorTerm {
    fn digest(&self, d: &mut Digester) {
        let NodeSelectorTerm { match_expressions, match_fields } = self;
        match_expressions.digest(d);
        match_fields.digest(d);
    }
}

impl Digest for NodeAffinity {
    fn digest(&self, d: &mut Digester) {
        let NodeAffinity { required, preferred } = self;
        required.digest(d);
        preferred.digest(d);
    }
}

impl PodSpec {
    /// The digest of every spec field but `nodeName` (which the binding
    /// sets, leaving the rest shared), with the digest of the (shared)
    /// containers slice given.
    pub fn rest_digest(&self, containers_digest: u64) -> u64 {
        let PodSpec {
            node_name: _,
            containers: _,
            init_containers,
            restart_policy,
            node_selector,
            node_affinity,
            tolerations,
            termination_grace_period_seconds,
            scheduler_name,
            priority,
            enable_service_links,
            hostname,
        } = self;
        let mut d = Digester::new();
        d.u64(containers_digest);
        init_containers.digest(&mut d);
        d.tag(*restart_policy as u64);
        node_selector.digest(&mut d);
        node_affinity.digest(&mut d);
        tolerations.digest(&mut d);
        termination_grace_period_seconds.digest(&mut d);
        scheduler_name.digest(&mut d);
        priority.digest(&mut d);
        // Only when given, as a container's `extended`.
        if let Some(b) = enable_service_links {
            d.tag(0x5E);
            b.digest(&mut d);
        }
        // Only when given, likewise.
        if let Some(h) = hostname {
            d.tag(0x40);
            h.digest(&mut d);
        }
        d.finish()
    }

    /// Every spec field, with `rest_digest` given.
    pub fn digest_parts(&self, d: &mut Digester, rest_digest: u64) {
        self.node_name.digest(d);
        d.u64(rest_digest);
    }

    /// Whether the two specs differ in `nodeName` at most (so they share
    /// `rest_digest`); cheap where the parts are shared `Rc`s.
    pub fn same_but_node_name(&self, o: &PodSpec) -> bool {
        let PodSpec {
            node_name: _,
            containers,
            init_containers,
            restart_policy,
            node_selector,
            node_affinity,
            tolerations,
            termination_grace_period_seconds,
            scheduler_name,
            priority,
            enable_service_links,
            hostname,
        } = self;
        Rc::ptr_eq(containers, &o.containers)
            && *init_containers == o.init_containers
            && *restart_policy == o.restart_policy
            && *node_selector == o.node_selector
            && *node_affinity == o.node_affinity
            && *tolerations == o.tolerations
            && *termination_grace_period_seconds == o.termination_grace_period_seconds
            && *scheduler_name == o.scheduler_name
            && *priority == o.priority
            && *enable_service_links == o.enable_service_links
            && *hostname == o.hostname
    }
}

impl Digest for PodSpec {
    fn digest(&self, d: &mut Digester) {
        self.digest_parts(d, self.rest_digest(Digester::of(&*self.containers)));
    }
}

impl Digest for Condition {
    fn digest(&self, d: &mut Digester) {
        let Condition { status, last_transition_time, reason, message } = self;
        d.tag(*status as u64);
        last_transition_time.digest(d);
        reason.digest(d);
        message.digest(d);
    }
}

impl Digest for PodConditions {
    /// Each condition slot in a fixed order, absent ones tagged, so a
    /// condition added as a new slot is covered by adding it here (the
    /// destructuring makes that a compile error until it is).
    fn digest(&self, d: &mut Digester) {
        let PodConditions {
            disruption_target,
            ready_to_start_containers,
            pod_scheduled,
            initialized,
            containers_ready,
            ready,
        } = self;
        disruption_target.digest(d);
        ready_to_start_containers.digest(d);
        pod_scheduled.digest(d);
        initialized.digest(d);
        containers_ready.digest(d);
        ready.digest(d);
    }
}

impl Digest for TerminatedState {
    fn digest(&self, d: &mut Digester) {
        let TerminatedState { exit_code, signal, reason, message, started_at, finished_at } = self;
        exit_code.digest(d);
        signal.digest(d);
        reason.digest(d);
        message.digest(d);
        started_at.digest(d);
        finished_at.digest(d);
    }
}

impl Digest for ContainerState {
    fn digest(&self, d: &mut Digester) {
        match self {
            ContainerState::Waiting { reason, message } => {
                d.tag(0);
                reason.digest(d);
                message.digest(d);
            }
            ContainerState::Running { started_at } => {
                d.tag(1);
                started_at.digest(d);
            }
            ContainerState::Terminated(t) => {
                d.tag(2);
                t.digest(d);
            }
        }
    }
}

impl Digest for ContainerStatus {
    fn digest(&self, d: &mut Digester) {
        let ContainerStatus { name, image, ready, started, restart_count, container_id, state, last_state } = self;
        name.digest(d);
        image.digest(d);
        ready.digest(d);
        started.digest(d);
        restart_count.digest(d);
        container_id.digest(d);
        state.digest(d);
        last_state.digest(d);
    }
}

impl Digest for PodStatus {
    fn digest(&self, d: &mut Digester) {
        let PodStatus {
            phase,
            conditions,
            reason,
            message,
            host_ip,
            pod_ip,
            start_time,
            init_container_statuses,
            container_statuses,
        } = self;
        d.tag(*phase as u64);
        conditions.digest(d);
        reason.digest(d);
        message.digest(d);
        host_ip.digest(d);
        pod_ip.digest(d);
        start_time.digest(d);
        init_container_statuses.digest(d);
        container_statuses.digest(d);
    }
}

impl Pod {
    /// The pod version's digest from the digests of its parts (metadata
    /// maps, spec, status), which versions share and so are computed once
    /// per shared part (`objects::digest`).
    pub fn digest_parts(&self, d: &mut Digester, parts: &Parts) {
        let Pod { meta, spec: _, status: _ } = self;
        meta.digest_parts(d, parts);
        d.u64(parts.spec);
        d.u64(parts.status);
    }
}

impl Digest for Pod {
    fn digest(&self, d: &mut Digester) {
        self.digest_parts(d, &Parts::of_pod(self));
    }
}

/// nodeSelector (every pair) and required node affinity (any term):
/// `k8s.io/component-helpers/scheduling/corev1/nodeaffinity`'s
/// `GetRequiredNodeAffinity(pod).Match(node)`, shared by the scheduler's
/// filter and the kubelet's admission.
pub fn node_affinity_matches(node_name: &str, labels: &Labels, selector: &Labels, aff: &NodeAffinity) -> bool {
    if !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    match &aff.required {
        None => true,
        Some(terms) => terms.iter().any(|t| t.matches(node_name, labels)),
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
