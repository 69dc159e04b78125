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

/// Extended resources (`nvidia.com/gpu`, `example.com/dongle`,
/// `kubesim.io/gpu-milli`): whole-number amounts by resource name, kept
/// sorted by name. Empty (and without an allocation) for the pods and
/// nodes that have none, which is most of them.
///
/// A name is extended when it is domain-qualified outside
/// `kubernetes.io` (`IsExtendedResourceName` in
/// `pkg/apis/core/v1/helper/helpers.go`); such a resource cannot be
/// overcommitted: a container's request must equal its limit, and the
/// scheduler checks it against the node's allocatable like `cpu`, but
/// does not score it (NodeResourcesFit's default scoring resources are
/// cpu and memory).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Extended(Vec<(std::rc::Rc<str>, u64)>);

impl Extended {
    /// True when no extended resource is listed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The amount of `name` (0 when not listed).
    pub fn get(&self, name: &str) -> u64 {
        match self.0.binary_search_by(|(n, _)| (**n).cmp(name)) {
            Ok(i) => self.0[i].1,
            Err(_) => 0,
        }
    }

    /// Sets the amount of `name` (listed even when 0: a node may report a
    /// capacity of 0).
    pub fn set(&mut self, name: std::rc::Rc<str>, amount: u64) {
        match self.0.binary_search_by(|(n, _)| (**n).cmp(&*name)) {
            Ok(i) => self.0[i].1 = amount,
            Err(i) => self.0.insert(i, (name, amount)),
        }
    }

    /// (name, amount) in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&std::rc::Rc<str>, u64)> {
        self.0.iter().map(|(n, v)| (n, *v))
    }

    /// Adds `o` resource by resource.
    pub fn add(&mut self, o: &Extended) {
        for (n, v) in o.iter() {
            let cur = self.get(n);
            self.set(n.clone(), cur.saturating_add(v));
        }
    }

    /// Subtracts `o` resource by resource (saturating at 0); a resource
    /// that drops to 0 is removed, so requests return to empty.
    pub fn sub(&mut self, o: &Extended) {
        for (n, v) in o.iter() {
            let cur = self.get(n).saturating_sub(v);
            if cur == 0 {
                self.0.retain(|(x, _)| x != n);
            } else {
                self.set(n.clone(), cur);
            }
        }
    }

    /// Raises each resource to at least its amount in `o` (an init
    /// container's request against the app containers' sum).
    pub fn max_with(&mut self, o: &Extended) {
        for (n, v) in o.iter() {
            if v > self.get(n) {
                self.set(n.clone(), v);
            }
        }
    }

    /// The first requested resource (amount > 0) for which `used + req`
    /// exceeds `alloc`; `None` when all fit.
    pub fn first_short<'a>(req: &'a Extended, used: &Extended, alloc: &Extended) -> Option<&'a std::rc::Rc<str>> {
        req.iter().find(|(n, v)| *v > 0 && used.get(n).saturating_add(*v) > alloc.get(n)).map(|(n, _)| n)
    }
}

/// Whether `name` is an extended resource: domain-qualified
/// (`vendor.example/name`) and not in the `kubernetes.io` domain, which
/// holds native resources (`IsExtendedResourceName`, `IsNativeResource`).
/// `requests.`-prefixed names are quota names, not resources.
pub fn is_extended_resource_name(name: &str) -> bool {
    let Some((domain, rest)) = name.split_once('/') else {
        return false;
    };
    let native = domain == "kubernetes.io" || domain.ends_with(".kubernetes.io");
    let quota = name.starts_with("requests.");
    let valid = !rest.is_empty() && crate::objects::validation::qualified_name(name).is_empty();
    !native && !quota && valid
}

impl crate::sim::trace::Digest for Extended {
    fn digest(&self, d: &mut crate::sim::trace::Digester) {
        d.u64(self.0.len() as u64);
        for (n, v) in &self.0 {
            d.str(n);
            d.u64(*v);
        }
    }
}

/// The kubelet's admission reason for a pod short of extended resource
/// `name` (`OutOf<name>`, as `lifecycle/predicate.go` words it), as the
/// `'static` reason events carry. Interned: one allocation per distinct
/// resource name for the life of the thread, however many pods are
/// rejected.
pub fn out_of_reason(name: &str) -> &'static str {
    thread_local! {
        static REASONS: std::cell::RefCell<std::collections::BTreeMap<String, &'static str>> = Default::default();
    }
    REASONS.with(|m| {
        *m.borrow_mut().entry(name.to_string()).or_insert_with(|| Box::leak(format!("OutOf{}", name).into_boxed_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_names_are_domain_qualified_outside_kubernetes_io() {
        for (name, extended) in [
            ("nvidia.com/gpu", true),
            ("example.com/dongle", true),
            ("kubesim.io/gpu-milli", true),
            ("cpu", false),
            ("gpu", false),
            ("kubernetes.io/something", false),
            ("node.kubernetes.io/x", false),
            ("requests.nvidia.com/gpu", false),
            ("nvidia.com/", false),
            ("nvidia.com/bad name", false),
        ] {
            assert_eq!(is_extended_resource_name(name), extended, "{name}");
        }
    }

    #[test]
    fn sums_stay_sorted_and_drop_what_reaches_zero() {
        let mut a = Extended::default();
        a.set("z.io/b".into(), 2);
        a.set("a.io/a".into(), 1);
        assert_eq!(a.iter().map(|(n, _)| &**n).collect::<Vec<_>>(), ["a.io/a", "z.io/b"]);
        let b = a.clone();
        a.add(&b);
        assert_eq!((a.get("a.io/a"), a.get("z.io/b")), (2, 4));
        a.sub(&b);
        a.sub(&b);
        assert!(a.is_empty(), "{a:?}");
        let mut m = Extended::default();
        m.set("a.io/a".into(), 5);
        m.max_with(&b);
        assert_eq!((m.get("a.io/a"), m.get("z.io/b")), (5, 2));
        let mut alloc = Extended::default();
        alloc.set("a.io/a".into(), 6);
        assert_eq!(Extended::first_short(&m, &Extended::default(), &alloc).map(|n| &**n), Some("z.io/b"));
    }
}
