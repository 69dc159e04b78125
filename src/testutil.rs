//! Builders for unit tests.

use crate::objects::meta::ObjectMeta;
use crate::objects::node::{Node, NodeCondition, NodeSpec, NodeStatus};
use crate::objects::pod::CondStatus;
use crate::objects::resources::Resources;
use crate::sim::SimTime;

pub fn node(name: &str, cpu_m: u64, memory: u64) -> Node {
    let r = Resources { cpu_m, memory, pods: 110 };
    Node {
        meta: ObjectMeta { name: name.into(), ..Default::default() },
        spec: NodeSpec { unschedulable: false, taints: vec![] },
        status: NodeStatus {
            capacity: r,
            allocatable: r,
            extended: Default::default(),
            ready: NodeCondition {
                status: CondStatus::True,
                reason: "KubeletReady".into(),
                message: String::new(),
                last_heartbeat_time: SimTime::ZERO,
                last_transition_time: SimTime::ZERO,
            },
            internal_ip: String::new(),
            kubelet_version: "v1.32.0".into(),
        },
    }
}
