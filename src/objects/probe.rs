//! Probes and lifecycle handlers as a pod spec carries them
//! (docs/kubernetes-behaviour.md §3; defaults from `SetDefaults_Probe`).

use std::rc::Rc;

/// What a probe or hook does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handler {
    HttpGet {
        path: String,
        port: PortRef,
        scheme: String,
    },
    TcpSocket {
        port: PortRef,
    },
    Exec {
        command: Vec<String>,
    },
    /// `lifecycle.preStop.sleep` (a hook only).
    Sleep {
        seconds: u64,
    },
}

/// A port by number or by the name of a container port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub handler: Handler,
    pub initial_delay_seconds: u64,
    pub period_seconds: u64,
    pub timeout_seconds: u64,
    pub success_threshold: u64,
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
    pub startup: Option<Probe>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub pre_stop: Option<Handler>,
}

impl ContainerProbes {
    pub fn is_empty(&self) -> bool {
        self.startup.is_none() && self.liveness.is_none() && self.readiness.is_none() && self.pre_stop.is_none()
    }

    pub fn get(&self, kind: ProbeKind) -> Option<&Probe> {
        match kind {
            ProbeKind::Startup => self.startup.as_ref(),
            ProbeKind::Liveness => self.liveness.as_ref(),
            ProbeKind::Readiness => self.readiness.as_ref(),
        }
    }
}

pub type SharedProbes = Rc<ContainerProbes>;
