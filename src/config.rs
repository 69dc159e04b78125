//! Control-plane and node knobs, with Kubernetes' default numbers.
//!
//! Every default is listed here and only here, with where it comes from
//! (docs/kubernetes-behaviour.md §0 and §8). A scenario overrides any of them under
//! `cluster.config` by the camelCase name shown in `KNOBS`.

#![warn(missing_docs)]

use crate::sim::latency::Latency;
use crate::sim::SimDuration;

/// Every timing, rate and limit of the simulated cluster, with Kubernetes'
/// defaults (`Config::default`); a scenario overrides them under
/// `cluster.config`.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    // --- network (docs/kubernetes-behaviour.md §8) ---
    /// A client's request reaching the apiserver.
    pub api_latency: SimDuration,
    /// A write reaching informers through a watch.
    pub watch_latency: SimDuration,
    /// `cluster.config.network`: the distributions the two hops above are
    /// drawn from (by default fixed at `api_latency` and `watch_latency`,
    /// which always hold their medians).
    pub network: NetworkConfig,

    // --- kube-scheduler ---
    /// Time of one scheduling cycle (queue pop to assume); §8 "1–10 ms".
    pub scheduler_cycle: SimDuration,
    /// 0 = adaptive (50 − N/125 %, floor 5 %, at least 100 nodes).
    pub percentage_of_nodes_to_score: u32,
    /// The first back-off of a pod that failed scheduling, doubling per
    /// attempt (KubeSchedulerConfiguration `podInitialBackoffSeconds`, 1 s).
    pub pod_initial_backoff: SimDuration,
    /// The cap of that back-off (`podMaxBackoffSeconds`, 10 s).
    pub pod_max_backoff: SimDuration,
    /// Unschedulable pods are retried unconditionally after this long.
    pub pod_max_in_unschedulable: SimDuration,
    /// The scheduler's own client (`--kube-api-qps`/`--kube-api-burst` of
    /// kube-scheduler: 50 / 100).
    pub scheduler_qps: u32,
    /// The scheduler client's burst (`--kube-api-burst`, 100).
    pub scheduler_burst: u32,

    // --- kube-controller-manager ---
    /// `--kube-api-qps` / `--kube-api-burst` (20 / 30): the limits of *each*
    /// controller's client — kube-controller-manager builds one clientset,
    /// hence one token bucket, per controller (the garbage collector's
    /// metadata client gets twice the QPS).
    pub kcm_qps: u32,
    /// The burst of each controller's client (`--kube-api-burst`, 30).
    pub kcm_burst: u32,
    /// Workers of the replicaset controller and, separately, of the
    /// replication manager (`--concurrent-replicaset-syncs` and
    /// `--concurrent-rc-syncs`, `ConcurrentRSSyncs` / `ConcurrentRCSyncs`,
    /// both 5): one knob sets both.
    pub concurrent_replicaset_syncs: u32,
    /// The most pods one ReplicaSet sync creates or deletes
    /// (`BurstReplicas`, 500, `pkg/controller/replicaset`).
    pub burst_replicas: u32,
    /// How long a controller waits for the creates and deletes it expects
    /// to be observed before it syncs anyway (`ExpectationsTimeout`, 5 min,
    /// `pkg/controller/controller_utils.go`).
    pub expectations_timeout: SimDuration,
    /// How often the node-lifecycle controller checks node health
    /// (`--node-monitor-period`, 5 s; `monitorNodeHealth`).
    pub node_monitor_period: SimDuration,
    /// How long a node's Lease and status may go unrenewed before the
    /// node-lifecycle controller sets its Ready condition to Unknown
    /// (`--node-monitor-grace-period`): 50 s since v1.32 (40 s before;
    /// kubernetes/kubernetes#126287).
    pub node_monitor_grace_period: SimDuration,
    /// The same grace for a node not yet heard from
    /// (`--node-startup-grace-period`, 60 s): upstream's
    /// `tryUpdateNodeHealth` uses it while the node has no Ready condition;
    /// here, while the controller has seen no Lease renewal of the node.
    pub node_startup_grace_period: SimDuration,
    /// Nodes tainted per second in a healthy zone (0.1 → one per 10 s).
    pub node_eviction_rate_milli: u32,
    /// Nodes tainted per second in a partially disrupted zone larger than
    /// `large_cluster_size_threshold` (`--secondary-node-eviction-rate`,
    /// 0.01; smaller zones get 0), in thousandths.
    pub secondary_node_eviction_rate_milli: u32,
    /// The zone size above which the secondary rate applies
    /// (`--large-cluster-size-threshold`, 50).
    pub large_cluster_size_threshold: u32,
    /// 0.55, as parts per thousand.
    pub unhealthy_zone_threshold_permille: u32,
    /// Period of the NoExecute tainting pass (`nodeEvictionPeriod`).
    pub node_eviction_period: SimDuration,
    /// How many terminated pods may exist before the pod GC deletes the
    /// oldest (`--terminated-pod-gc-threshold`, 12500).
    pub terminated_pod_gc_threshold: u32,
    /// The pod GC's period (`gcCheckPeriod`, 20 s, `pkg/controller/podgc`).
    pub pod_gc_period: SimDuration,
    /// How long a node must be gone before the pod GC deletes the pods
    /// bound to it (`quarantineTime`, 40 s).
    pub pod_gc_quarantine: SimDuration,

    // --- kubelet ---
    /// `spec.leaseDurationSeconds` of each node Lease (KubeletConfiguration
    /// `nodeLeaseDurationSeconds`, 40).
    pub node_lease_duration: SimDuration,
    /// Lease renew interval (0.25 × lease duration).
    pub node_lease_renew_interval: SimDuration,
    /// How often the kubelet syncs its node's status (`nodeStatusUpdateFrequency`,
    /// 10 s): it posts again when the status in the API differs from its own.
    pub node_status_update_frequency: SimDuration,
    /// A node's `pods` capacity when its scenario entry gives none
    /// (KubeletConfiguration `maxPods`, 110).
    pub max_pods: u32,
    /// Each kubelet's API client limits (KubeletConfiguration `kubeAPIQPS`
    /// and `kubeAPIBurst`, 50 and 100 since v1.27; `kubeletAPIQPS` here, not
    /// to be confused with the controller-manager's `kubeAPIQPS`).
    pub kubelet_api_qps: u32,
    /// Each kubelet's API client burst (`kubeAPIBurst`, 100).
    pub kubelet_api_burst: u32,
    /// `evictionHard: memory.available<100Mi`, subtracted from capacity to
    /// get allocatable memory unless a node gives allocatable itself.
    pub eviction_hard_memory: u64,
    /// Sandbox (pause container + CNI) creation; §8 "0.5–2 s".
    pub sandbox_start: SimDuration,
    /// runc create+start of one container; §8 "0.1–1 s".
    pub container_start: SimDuration,
    /// Pull time of an image the scenario does not list.
    pub default_image_pull: SimDuration,
    /// `imagePullPolicy: Always` with the image cached: a manifest check.
    pub image_manifest_check: SimDuration,
    /// Image-pull back-off: 10 s doubling to 300 s.
    pub image_pull_backoff_initial: SimDuration,
    /// The cap of the image-pull back-off (300 s, `MaxContainerBackOff`).
    pub image_pull_backoff_max: SimDuration,
    /// The first crash-loop back-off (`backOffPeriod`, 10 s,
    /// `pkg/kubelet/kubelet.go`), doubling at each restart.
    pub crash_loop_backoff_initial: SimDuration,
    /// The crash-loop back-off cap (`MaxContainerBackOff`, 300 s).
    pub crash_loop_backoff_max: SimDuration,
    /// A container that ran this long resets its crash-loop back-off.
    pub crash_loop_backoff_reset: SimDuration,
    /// The `status.nodeInfo.kubeletVersion` every node reports (`v1.32.0`,
    /// the release whose defaults this configuration follows).
    pub kubelet_version: String,
    // --- fast paths (each has a literal twin; the trace is the same either way) ---
    /// Skip probe ticks that cannot change anything (1) or tick every probe
    /// (0).
    pub probe_skipping: bool,
    /// Compute Lease renewals and node-monitor verdicts analytically (1) or
    /// tick every renewal and every monitor pass (0).
    pub heartbeat_skipping: bool,
    /// Answer the scheduler's node walk with per-request-shape segment trees
    /// where they apply (1) or always walk the nodes (0).
    pub score_trees: bool,
    /// The endpoint controllers read each Service's selected pods from an
    /// index (1) or list the namespace's pods and filter (0).
    pub endpoints_index: bool,
    /// Requests of a fixed duration wait for their outcome in FIFO lanes
    /// of the event queue (1) or all in its heap (0).
    pub traffic_lanes: bool,
    /// The replica-set controller keeps each replica set's status counts
    /// as pod events arrive (1) or a sync counts its claimed pods (0).
    pub replica_set_counts: bool,
    /// PodGC walks the nodes pods are bound to only when an orphan may
    /// exist (1) or on every pass, as upstream does (0).
    pub pod_gc_orphan_skipping: bool,

    // --- kube-proxy and the cloud provider (docs/traffic.md) ---
    /// kube-proxy's `--proxy-mode` (`iptables`).
    pub proxy_mode: crate::proxy::ProxyMode,
    /// kube-proxy's `minSyncPeriod`; `None`: the mode's default (1 s for
    /// iptables and nftables, 0 for IPVS, which does not default it).
    pub proxy_min_sync: Option<SimDuration>,
    /// How long the cloud takes to provision a LoadBalancer Service's
    /// load balancer (30 s).
    pub load_balancer_provisioning: SimDuration,
}

/// The links' latency distributions.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkConfig {
    /// A client's request to the apiserver, and its response back (one
    /// draw per request, for both ways).
    pub api: Latency,
    /// The apiserver's write reaching the watchers (one draw per write).
    pub watch: Latency,
    /// One data-plane hop of a request (client to node, node to node),
    /// drawn per hop.
    pub data: Latency,
}

impl NetworkConfig {
    /// Whether every hop takes a fixed time (the analytic heartbeat model
    /// needs it).
    pub fn is_fixed(&self) -> bool {
        self.api.fixed().is_some() && self.watch.fixed().is_some()
    }
}

impl Config {
    /// Sets the api and watch latency distributions (and the medians the
    /// rest of the configuration reads).
    pub fn set_network(&mut self, api: Latency, watch: Latency) {
        self.api_latency = api.median();
        self.watch_latency = watch.median();
        self.network = NetworkConfig { api, watch, data: self.network.data };
    }

    /// Turns every fast path on or off at once (`fastPaths` in
    /// `cluster.config`): the run must be the same either way.
    pub fn set_fast_paths(&mut self, on: bool) {
        self.probe_skipping = on;
        self.heartbeat_skipping = on;
        self.score_trees = on;
        self.endpoints_index = on;
        self.traffic_lanes = on;
        self.replica_set_counts = on;
        self.pod_gc_orphan_skipping = on;
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            api_latency: SimDuration::from_millis(5),
            watch_latency: SimDuration::from_millis(10),
            network: NetworkConfig {
                api: Latency::Fixed(SimDuration::from_millis(5)),
                watch: Latency::Fixed(SimDuration::from_millis(10)),
                // A one-way hop inside a data centre, a quarter of a
                // millisecond (a round trip of 0.5 ms).
                data: Latency::Fixed(SimDuration::from_micros(250)),
            },
            scheduler_cycle: SimDuration::from_millis(1),
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff: SimDuration::from_secs(1),
            pod_max_backoff: SimDuration::from_secs(10),
            pod_max_in_unschedulable: SimDuration::from_secs(300),
            scheduler_qps: 50,
            scheduler_burst: 100,
            kcm_qps: 20,
            kcm_burst: 30,
            concurrent_replicaset_syncs: 5,
            burst_replicas: 500,
            expectations_timeout: SimDuration::from_secs(300),
            node_monitor_period: SimDuration::from_secs(5),
            node_monitor_grace_period: SimDuration::from_secs(50),
            node_startup_grace_period: SimDuration::from_secs(60),
            node_eviction_rate_milli: 100,
            secondary_node_eviction_rate_milli: 10,
            large_cluster_size_threshold: 50,
            unhealthy_zone_threshold_permille: 550,
            node_eviction_period: SimDuration::from_millis(100),
            terminated_pod_gc_threshold: 12_500,
            pod_gc_period: SimDuration::from_secs(20),
            pod_gc_quarantine: SimDuration::from_secs(40),
            node_lease_duration: SimDuration::from_secs(40),
            node_lease_renew_interval: SimDuration::from_secs(10),
            node_status_update_frequency: SimDuration::from_secs(10),
            max_pods: 110,
            kubelet_api_qps: 50,
            kubelet_api_burst: 100,
            eviction_hard_memory: 100 << 20,
            sandbox_start: SimDuration::from_millis(500),
            container_start: SimDuration::from_millis(100),
            default_image_pull: SimDuration::from_secs(2),
            image_manifest_check: SimDuration::from_millis(300),
            image_pull_backoff_initial: SimDuration::from_secs(10),
            image_pull_backoff_max: SimDuration::from_secs(300),
            crash_loop_backoff_initial: SimDuration::from_secs(10),
            crash_loop_backoff_max: SimDuration::from_secs(300),
            crash_loop_backoff_reset: SimDuration::from_secs(600),
            kubelet_version: "v1.32.0".into(),
            probe_skipping: true,
            heartbeat_skipping: true,
            score_trees: true,
            endpoints_index: true,
            traffic_lanes: true,
            replica_set_counts: true,
            pod_gc_orphan_skipping: true,
            proxy_mode: crate::proxy::ProxyMode::Iptables,
            proxy_min_sync: None,
            load_balancer_provisioning: SimDuration::from_secs(30),
        }
    }
}

/// How a knob is written in `cluster.config`.
#[derive(Clone, Copy)]
pub enum KnobKind {
    /// A duration with a unit (`30s`, `5m`).
    Duration,
    /// A non-negative `int32`.
    Count,
    /// A rate or ratio written as a decimal (`0.1`), kept in thousandths.
    Milli,
    /// A byte quantity (`100Mi`).
    Bytes,
    /// `network`: a mapping of link latencies.
    Network,
    /// `proxyMode`: `iptables`, `ipvs` or `nftables`.
    ProxyMode,
}

/// Every overridable knob: name in `cluster.config`, its type, what it is.
pub const KNOBS: &[(&str, KnobKind, &str)] = &[
    ("apiLatency", KnobKind::Duration, "client request to apiserver (5ms)"),
    ("watchLatency", KnobKind::Duration, "apiserver write to informers (10ms)"),
    (
        "network",
        KnobKind::Network,
        "{apiLatency: D, watchLatency: D, dataLatency: D}, each D `5ms` | {fixed: 5ms} | {uniform: [2ms, 8ms]} | {lognormal: {median: 5ms, sigma: 0.5}}; dataLatency: one data-plane hop of a request (250us)",
    ),
    ("schedulerCycle", KnobKind::Duration, "time of one scheduling cycle (1ms)"),
    ("percentageOfNodesToScore", KnobKind::Count, "0 = adaptive"),
    ("podInitialBackoff", KnobKind::Duration, "scheduler pod back-off start (1s)"),
    ("podMaxBackoff", KnobKind::Duration, "scheduler pod back-off cap (10s)"),
    ("podMaxInUnschedulablePodsDuration", KnobKind::Duration, "forced retry (5m)"),
    ("schedulerQPS", KnobKind::Count, "scheduler client QPS (50)"),
    ("schedulerBurst", KnobKind::Count, "scheduler client burst (100)"),
    ("kubeAPIQPS", KnobKind::Count, "QPS of each controller-manager controller's own client (20; GC ×2)"),
    ("kubeAPIBurst", KnobKind::Count, "burst of each controller-manager controller's own client (30)"),
    (
        "concurrentReplicaSetSyncs",
        KnobKind::Count,
        "workers of each replication controller (--concurrent-replicaset-syncs, --concurrent-rc-syncs: 5)",
    ),
    ("burstReplicas", KnobKind::Count, "max creates/deletes per ReplicaSet sync (500)"),
    ("expectationsTimeout", KnobKind::Duration, "controller expectations TTL (5m)"),
    ("nodeMonitorPeriod", KnobKind::Duration, "node-lifecycle check period (5s)"),
    ("nodeMonitorGracePeriod", KnobKind::Duration, "heartbeat grace before Unknown (50s)"),
    ("nodeStartupGracePeriod", KnobKind::Duration, "grace for a node that never reported (60s)"),
    ("nodeEvictionRate", KnobKind::Milli, "nodes tainted per second, healthy zone (0.1)"),
    ("secondaryNodeEvictionRate", KnobKind::Milli, "same, partially disrupted large zone (0.01)"),
    ("largeClusterSizeThreshold", KnobKind::Count, "zone size above which the secondary rate applies (50)"),
    ("unhealthyZoneThreshold", KnobKind::Milli, "fraction of not-ready nodes making a zone unhealthy (0.55)"),
    ("terminatedPodGCThreshold", KnobKind::Count, "terminated pods kept before PodGC deletes (12500)"),
    ("nodeLeaseDurationSeconds", KnobKind::Duration, "node lease duration (40s)"),
    ("nodeLeaseRenewInterval", KnobKind::Duration, "lease renew interval (10s)"),
    ("nodeStatusUpdateFrequency", KnobKind::Duration, "kubelet node status sync period (10s)"),
    ("maxPods", KnobKind::Count, "default node pod capacity (110)"),
    ("kubeletAPIQPS", KnobKind::Count, "QPS of each kubelet's client (kubeAPIQPS: 50)"),
    ("kubeletAPIBurst", KnobKind::Count, "burst of each kubelet's client (kubeAPIBurst: 100)"),
    ("evictionHardMemory", KnobKind::Bytes, "memory.available hard eviction threshold (100Mi)"),
    ("sandboxStart", KnobKind::Duration, "pod sandbox creation (500ms)"),
    ("containerStart", KnobKind::Duration, "container create+start (100ms)"),
    ("defaultImagePull", KnobKind::Duration, "pull time of an image not in `images:` (2s)"),
    ("imageManifestCheck", KnobKind::Duration, "pull with Always when cached (300ms)"),
    ("imagePullBackOffInitial", KnobKind::Duration, "(10s)"),
    ("imagePullBackOffMax", KnobKind::Duration, "(5m)"),
    ("crashLoopBackOffInitial", KnobKind::Duration, "(10s)"),
    ("crashLoopBackOffMax", KnobKind::Duration, "(5m)"),
    ("crashLoopBackOffReset", KnobKind::Duration, "(10m)"),
    ("probeSkipping", KnobKind::Count, "1: skip probe ticks that cannot change anything; 0: tick every probe"),
    ("heartbeatSkipping", KnobKind::Count, "1: analytic Lease renewals and node-monitor passes; 0: tick them"),
    ("schedulerScoreTrees", KnobKind::Count, "1: segment trees answer the scheduler's node walk; 0: always walk"),
    ("endpointsIndex", KnobKind::Count, "1: each Service's selected pods are indexed; 0: endpoint syncs list the namespace"),
    ("trafficLanes", KnobKind::Count, "1: requests of a fixed duration wait in FIFO lanes; 0: all in the event heap"),
    ("replicaSetCounts", KnobKind::Count, "1: replica-set status counts kept per pod event; 0: each sync counts its pods"),
    ("podGcOrphanSkipping", KnobKind::Count, "1: PodGC looks for orphans only after an event that can make one; 0: every pass"),
    ("fastPaths", KnobKind::Count, "0: every fast path off (the literal model); 1: every one on"),
    ("proxyMode", KnobKind::ProxyMode, "kube-proxy's --proxy-mode: iptables (default), ipvs or nftables"),
    ("minSyncPeriod", KnobKind::Duration, "kube-proxy's minSyncPeriod (iptables, nftables: 1s; ipvs: 0)"),
    ("loadBalancerProvisioning", KnobKind::Duration, "time for the cloud to provision a load balancer (30s)"),
];

/// Sets one knob. `value` is already parsed to the knob's kind.
pub fn set_knob(cfg: &mut Config, name: &str, v: KnobValue) -> bool {
    use KnobValue::*;
    match (name, v) {
        ("apiLatency", Dur(d)) => cfg.set_network(Latency::Fixed(d), cfg.network.watch),
        ("watchLatency", Dur(d)) => cfg.set_network(cfg.network.api, Latency::Fixed(d)),
        ("schedulerCycle", Dur(d)) => cfg.scheduler_cycle = d,
        ("percentageOfNodesToScore", Num(n)) => cfg.percentage_of_nodes_to_score = n.min(100) as u32,
        ("podInitialBackoff", Dur(d)) => cfg.pod_initial_backoff = d,
        ("podMaxBackoff", Dur(d)) => cfg.pod_max_backoff = d,
        ("podMaxInUnschedulablePodsDuration", Dur(d)) => cfg.pod_max_in_unschedulable = d,
        ("schedulerQPS", Num(n)) => cfg.scheduler_qps = n.max(1) as u32,
        ("schedulerBurst", Num(n)) => cfg.scheduler_burst = n.max(1) as u32,
        ("kubeAPIQPS", Num(n)) => cfg.kcm_qps = n.max(1) as u32,
        ("kubeAPIBurst", Num(n)) => cfg.kcm_burst = n.max(1) as u32,
        ("concurrentReplicaSetSyncs", Num(n)) => cfg.concurrent_replicaset_syncs = n.max(1) as u32,
        ("burstReplicas", Num(n)) => cfg.burst_replicas = n.max(1) as u32,
        ("expectationsTimeout", Dur(d)) => cfg.expectations_timeout = d,
        ("nodeMonitorPeriod", Dur(d)) => cfg.node_monitor_period = SimDuration(d.0.max(1_000_000)),
        ("nodeMonitorGracePeriod", Dur(d)) => cfg.node_monitor_grace_period = d,
        ("nodeStartupGracePeriod", Dur(d)) => cfg.node_startup_grace_period = d,
        ("nodeEvictionRate", Milli(m)) => cfg.node_eviction_rate_milli = m,
        ("secondaryNodeEvictionRate", Milli(m)) => cfg.secondary_node_eviction_rate_milli = m,
        ("largeClusterSizeThreshold", Num(n)) => cfg.large_cluster_size_threshold = n as u32,
        ("unhealthyZoneThreshold", Milli(m)) => cfg.unhealthy_zone_threshold_permille = m,
        ("terminatedPodGCThreshold", Num(n)) => cfg.terminated_pod_gc_threshold = n as u32,
        ("nodeLeaseDurationSeconds", Dur(d)) => cfg.node_lease_duration = d,
        ("nodeLeaseRenewInterval", Dur(d)) => cfg.node_lease_renew_interval = SimDuration(d.0.max(1_000_000)),
        ("nodeStatusUpdateFrequency", Dur(d)) => cfg.node_status_update_frequency = SimDuration(d.0.max(1_000_000)),
        ("maxPods", Num(n)) => cfg.max_pods = n as u32,
        ("kubeletAPIQPS", Num(n)) => cfg.kubelet_api_qps = n.max(1) as u32,
        ("kubeletAPIBurst", Num(n)) => cfg.kubelet_api_burst = n.max(1) as u32,
        ("evictionHardMemory", Num(n)) => cfg.eviction_hard_memory = n,
        ("sandboxStart", Dur(d)) => cfg.sandbox_start = d,
        ("containerStart", Dur(d)) => cfg.container_start = d,
        ("defaultImagePull", Dur(d)) => cfg.default_image_pull = d,
        ("imageManifestCheck", Dur(d)) => cfg.image_manifest_check = d,
        ("imagePullBackOffInitial", Dur(d)) => cfg.image_pull_backoff_initial = d,
        ("imagePullBackOffMax", Dur(d)) => cfg.image_pull_backoff_max = d,
        ("crashLoopBackOffInitial", Dur(d)) => cfg.crash_loop_backoff_initial = d,
        ("crashLoopBackOffMax", Dur(d)) => cfg.crash_loop_backoff_max = d,
        ("crashLoopBackOffReset", Dur(d)) => cfg.crash_loop_backoff_reset = d,
        ("probeSkipping", Num(n)) => cfg.probe_skipping = n != 0,
        ("heartbeatSkipping", Num(n)) => cfg.heartbeat_skipping = n != 0,
        ("schedulerScoreTrees", Num(n)) => cfg.score_trees = n != 0,
        ("endpointsIndex", Num(n)) => cfg.endpoints_index = n != 0,
        ("trafficLanes", Num(n)) => cfg.traffic_lanes = n != 0,
        ("replicaSetCounts", Num(n)) => cfg.replica_set_counts = n != 0,
        ("podGcOrphanSkipping", Num(n)) => cfg.pod_gc_orphan_skipping = n != 0,
        ("fastPaths", Num(n)) => cfg.set_fast_paths(n != 0),
        ("proxyMode", Mode(m)) => cfg.proxy_mode = m,
        ("minSyncPeriod", Dur(d)) => cfg.proxy_min_sync = Some(d),
        ("loadBalancerProvisioning", Dur(d)) => cfg.load_balancer_provisioning = d,
        _ => return false,
    }
    true
}

/// A knob's value, parsed according to its `KnobKind`.
#[derive(Clone, Copy, Debug)]
pub enum KnobValue {
    /// A `Duration`.
    Dur(SimDuration),
    /// A `Count` or `Bytes`.
    Num(u64),
    /// A `Milli`, in thousandths.
    Milli(u32),
    /// A `ProxyMode`.
    Mode(crate::proxy::ProxyMode),
}
