//! Probes and lifecycle handlers as a pod spec carries them
//! (docs/kubernetes-behaviour.md §3; defaults from `SetDefaults_Probe`).

#![warn(missing_docs)]

use std::rc::Rc;

/// What a probe or hook does (`v1.ProbeHandler` / `v1.LifecycleHandler`).
/// Whether it succeeds is the container's simulated behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handler {
    /// `httpGet`: success is a 2xx/3xx answer within the timeout.
    HttpGet {
        /// `path`.
        path: String,
        /// `port`.
        port: PortRef,
        /// `scheme` (`HTTP` by default).
        scheme: String,
    },
    /// `tcpSocket`: success is an accepted connection.
    TcpSocket {
        /// `port`.
        port: PortRef,
    },
    /// `exec`: success is exit code 0.
    Exec {
        /// `command`, run in the container.
        command: Vec<String>,
    },
    /// `lifecycle.preStop.sleep` (a hook only).
    Sleep {
        /// `seconds` to sleep.
        seconds: u64,
    },
}

/// A port by number or by the name of a container port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    /// A port number.
    Number(u16),
    /// The `name` of one of the container's ports.
    Name(String),
}

/// The three container probes (`v1.Container.startupProbe`,
/// `livenessProbe`, `readinessProbe`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    /// Gates the other two until it first succeeds; failing it kills the
    /// container.
    Startup,
    /// Failing it kills the container, which restarts per the
    /// restartPolicy.
    Liveness,
    /// Sets the container's `ready` (and so the pod's Ready condition).
    Readiness,
}

impl ProbeKind {
    /// The kind as kubelet events spell it (`Startup`, `Liveness`,
    /// `Readiness`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }
}

/// A `v1.Probe`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// What the probe does.
    pub handler: Handler,
    /// `initialDelaySeconds` (0): the wait after the container starts
    /// before the first probe.
    pub initial_delay_seconds: u64,
    /// `periodSeconds` (10): the interval between probes.
    pub period_seconds: u64,
    /// `timeoutSeconds` (1): a probe that takes longer fails.
    pub timeout_seconds: u64,
    /// `successThreshold` (1): consecutive successes that make a failed
    /// probe succeed.
    pub success_threshold: u64,
    /// `failureThreshold` (3): consecutive failures that make the probe
    /// fail.
    pub failure_threshold: u64,
    /// Probe-level grace for the kill that follows a failed liveness or
    /// startup probe; the pod's when absent.
    pub termination_grace_period_seconds: Option<u64>,
}

impl Probe {
    /// `SetDefaults_Probe`: 0 / 10 / 1 / 1 / 3.
    pub fn with_defaults(handler: Handler) -> Probe {
        Probe {
            handler,
            initial_delay_seconds: 0,
            period_seconds: 10,
            timeout_seconds: 1,
            success_threshold: 1,
            failure_threshold: 3,
            termination_grace_period_seconds: None,
        }
    }
}

/// The probes and hooks of one container, shared between pod versions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerProbes {
    /// `startupProbe`.
    pub startup: Option<Probe>,
    /// `livenessProbe`.
    pub liveness: Option<Probe>,
    /// `readinessProbe`.
    pub readiness: Option<Probe>,
    /// `lifecycle.preStop`: run before the container is sent SIGTERM; its
    /// time counts against the grace period.
    pub pre_stop: Option<Handler>,
}

impl ContainerProbes {
    /// Whether the container has no probe and no hook.
    pub fn is_empty(&self) -> bool {
        self.startup.is_none() && self.liveness.is_none() && self.readiness.is_none() && self.pre_stop.is_none()
    }

    /// The probe of this kind, if the container has one.
    pub fn get(&self, kind: ProbeKind) -> Option<&Probe> {
        match kind {
            ProbeKind::Startup => self.startup.as_ref(),
            ProbeKind::Liveness => self.liveness.as_ref(),
            ProbeKind::Readiness => self.readiness.as_ref(),
        }
    }
}

/// A container's probes, shared (most containers share one empty set).
pub type SharedProbes = Rc<ContainerProbes>;
