//! Workload traces: `workloads: [{trace: pods.csv}]` creates one bare pod
//! per CSV row (`arrival,name,cpu,memory,duration`; arrival and duration in
//! seconds; cpu and memory as Kubernetes quantities). Each pod requests the
//! given values, runs for `duration` and exits 0, with restartPolicy Never.
//! Rows are kept compact and built into Pods only when they arrive.

use crate::nodes::images::ANNOTATION_RUN_DURATION;
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::{Container, Pod, PodSpec, PodStatus, PullPolicy, RestartPolicy};
use crate::objects::resources::Resources;
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The image trace pods run (pull time from `images:` if listed there).
pub const TRACE_IMAGE: &str = "kubesim/trace-task:1.0";

#[derive(Clone, Debug)]
pub struct WorkloadPod {
    pub arrival: SimTime,
    pub name: Rc<str>,
    pub namespace: Rc<str>,
    pub cpu_m: u64,
    pub memory: u64,
    pub duration: SimDuration,
    /// Shared by every pod of one trace.
    pub spec: Rc<PodSpec>,
}

impl WorkloadPod {
    pub fn build(&self) -> Pod {
        let mut ann = BTreeMap::new();
        ann.insert(ANNOTATION_RUN_DURATION.to_string(), self.duration.to_string());
        let mut labels = BTreeMap::new();
        labels.insert("kubesim.io/workload".to_string(), "trace".to_string());
        let spec = if self.spec.containers[0].requests.cpu_m == self.cpu_m && self.spec.containers[0].requests.memory == self.memory {
            self.spec.clone()
        } else {
            Rc::new(trace_spec(self.cpu_m, self.memory))
        };
        Pod {
            meta: ObjectMeta {
                name: self.name.clone(),
                namespace: self.namespace.clone(),
                labels: Rc::new(labels),
                annotations: Rc::new(ann),
                ..Default::default()
            },
            spec,
            status: PodStatus::default(),
        }
    }
}

/// The spec of a trace pod with the given requests.
pub fn trace_spec(cpu_m: u64, memory: u64) -> PodSpec {
    let r = Resources { cpu_m, memory, pods: 0 };
    PodSpec {
        node_name: None,
        containers: vec![Container {
            name: "task".into(),
            image: TRACE_IMAGE.into(),
            image_pull_policy: PullPolicy::IfNotPresent,
            command: vec![],
            args: vec![],
            ports: vec![],
            requests: r,
            limits: r,
            has_cpu_request: true,
            has_memory_request: true,
        }],
        init_containers: vec![],
        restart_policy: RestartPolicy::Never,
        node_selector: BTreeMap::new(),
        node_affinity: Default::default(),
        tolerations: vec![],
        termination_grace_period_seconds: 30,
        scheduler_name: crate::controllers::scheduler::DEFAULT_SCHEDULER.into(),
        priority: 0,
    }
}
