//! Resource amounts as the scheduler and kubelet compare them.

#![warn(missing_docs)]

use std::ops::{Add, AddAssign, SubAssign};

/// CPU in millicores, memory in bytes, and a pod count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    /// CPU in millicores (`resource.Quantity.MilliValue` of `cpu`).
    pub cpu_m: u64,
    /// Memory in bytes (`resource.Quantity.Value` of `memory`).
    pub memory: u64,
    /// A number of pods (the `pods` resource of
    /// `v1.NodeStatus.allocatable`; one for each pod's request).
    pub pods: u64,
}

impl Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources { cpu_m: self.cpu_m + o.cpu_m, memory: self.memory + o.memory, pods: self.pods + o.pods }
    }
}

impl AddAssign for Resources {
    fn add_assign(&mut self, o: Resources) {
        *self = *self + o;
    }
}

impl SubAssign for Resources {
    fn sub_assign(&mut self, o: Resources) {
        self.cpu_m = self.cpu_m.saturating_sub(o.cpu_m);
        self.memory = self.memory.saturating_sub(o.memory);
        self.pods = self.pods.saturating_sub(o.pods);
    }
}

impl Resources {
    /// True when `self + extra` stays within `limit` in every dimension.
    pub fn fits(&self, extra: &Resources, limit: &Resources) -> bool {
        self.cpu_m + extra.cpu_m <= limit.cpu_m
            && self.memory + extra.memory <= limit.memory
            && self.pods + extra.pods <= limit.pods
    }
}

impl crate::sim::trace::Digest for Resources {
    fn digest(&self, d: &mut crate::sim::trace::Digester) {
        let Resources { cpu_m, memory, pods } = self;
        d.u64(*cpu_m);
        d.u64(*memory);
        d.u64(*pods);
    }
}
