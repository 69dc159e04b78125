//! Typed resources: a kind kubesim simulates through the generic store.
//!
//! A new kind is one module that implements `TypedObject` (its fields,
//! the apiserver's strategy for it — defaulting, validation, what an
//! update may change — its digest for the trace hash, its trace summary,
//! its JSON for `-o yaml`, and its `kubectl get` columns) plus one line in
//! `crate::kinds::KINDS` that registers its `KindInfo` and manifest
//! decoder. The store files every typed object in one map by kind and
//! key, writes it with one code path (create, update, delete), and
//! components watch it by kind name (`Controller::watches_stored`) and
//! read it with `downcast`. The kinds on the hottest paths (Pod, Node,
//! ReplicaSet, Lease) keep their own typed maps in the store.

#![warn(missing_docs)]

use super::meta::ObjectMeta;
use crate::sim::trace::Digester;
use crate::sim::SimTime;
use std::any::Any;
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

/// What the apiserver and kubectl know of a typed kind.
#[derive(Debug)]
pub struct KindInfo {
    /// `Service`.
    pub kind: &'static str,
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The served version.
    pub version: &'static str,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// The columns of `kubectl get` after NAME (AGE included where
    /// kubectl prints it).
    pub columns: &'static [&'static str],
    /// The columns `-o wide` adds after those.
    pub wide_columns: &'static [&'static str],
    /// Whether the kind's strategy counts spec changes in
    /// `metadata.generation` (workloads do; a Service does not).
    pub tracks_generation: bool,
}

impl KindInfo {
    /// `group/version` (`v1` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// A typed object version, shared through `Rc` like every stored object.
pub trait TypedObject: fmt::Debug + 'static {
    /// Its kind.
    fn info(&self) -> &'static KindInfo;

    /// Its `metadata`.
    fn meta(&self) -> &ObjectMeta;

    /// The same object with other metadata.
    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject>;

    /// The create strategy (`PrepareForCreate`, defaulting, `Validate`):
    /// the object to store, or the causes of the Invalid error. `alloc`
    /// holds the cluster's allocators (service IPs, node ports).
    fn prepare_create(&self, alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>>;

    /// The update strategy (`PrepareForUpdate`, `ValidateUpdate`): the
    /// version to store from `self` (the stored one) and `new` (the
    /// client's), and whether the spec changed (`metadata.generation`
    /// counts spec changes). Metadata is the store's business.
    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>>;

    /// The status subresource's update strategy: the stored object
    /// (`self`) with `new`'s status; `None` when the kind has no status
    /// subresource or `new` is not of the kind.
    fn with_status_of(&self, _new: &dyn TypedObject) -> Option<Rc<dyn TypedObject>> {
        None
    }

    /// The labels an update stores when its request carries `request`'s
    /// metadata, where the kind's defaulting sets them (`self` is the
    /// object `prepare_update` made); `None`: the request's.
    fn defaulted_labels(&self, _request: &ObjectMeta) -> Option<Rc<crate::objects::selector::Labels>> {
        None
    }

    /// Frees what `prepare_create` allocated, when the object is deleted.
    fn release(&self, _alloc: &mut Allocators) {}

    /// Everything but metadata, for the trace hash.
    fn digest_body(&self, d: &mut Digester);

    /// The state that matters, for the trace's one-line summary.
    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// The object's fields other than `apiVersion`, `kind` and
    /// `metadata` (`spec`, `status`, …) as the API returns them.
    fn body_json(&self) -> serde_json::Map<String, serde_json::Value>;

    /// The `kubectl get` cells after NAME: `KindInfo::columns`, then with
    /// `wide` the wide ones.
    fn row(&self, now: SimTime, wide: bool) -> Vec<String>;

    /// For `downcast`.
    fn as_any(&self) -> &dyn Any;
}

impl dyn TypedObject {
    /// The concrete object, when it is a `T`.
    pub fn downcast<T: TypedObject>(&self) -> Option<&T> {
        self.as_any().downcast_ref::<T>()
    }
}

/// The apiserver's cluster-wide allocators: service cluster IPs and node
/// ports. Drawn from the seed's `apiserver/allocators` stream, as the
/// apiserver's bitmap allocators pick a random free offset.
pub struct Allocators {
    rng: rand_chacha::ChaCha8Rng,
    cluster_ips: BTreeSet<u32>,
    node_ports: BTreeSet<u16>,
}

/// The service CIDR kubeadm configures: 10.96.0.0/12.
pub const SERVICE_CIDR: (u32, u32) = (0x0a60_0000, 12);
/// The node-port range (`--service-node-port-range` default).
pub const NODE_PORTS: (u16, u16) = (30000, 32767);

impl Allocators {
    /// Empty allocators drawing from `seed`.
    pub fn new(seed: u64) -> Allocators {
        Allocators {
            rng: crate::sim::rng::stream(seed, "apiserver/allocators"),
            cluster_ips: BTreeSet::new(),
            node_ports: BTreeSet::new(),
        }
    }

    /// A free cluster IP. The range's first address (the network) and
    /// last (broadcast) are never given; like the apiserver since v1.27
    /// (KEP-3070), dynamic allocation draws from above the range's lower
    /// band (`min(max(16, size/16), 256)` addresses), which is left to
    /// users who pick their IP, and falls back to the band when the
    /// upper part is full. `None` when the range is exhausted.
    pub fn allocate_cluster_ip(&mut self) -> Option<u32> {
        use rand::Rng;
        let (base, bits) = SERVICE_CIDR;
        let size = 1u32 << (32 - bits);
        let band = (size / 16).clamp(16, 256);
        for (lo, hi) in [(band, size - 1), (1, band)] {
            if lo >= hi {
                continue;
            }
            let start = self.rng.gen_range(lo..hi);
            // The bitmap allocator scans from a random offset.
            for off in (start..hi).chain(lo..start) {
                let ip = base + off;
                if self.cluster_ips.insert(ip) {
                    return Some(ip);
                }
            }
        }
        None
    }

    /// Takes `ip` when it is in the range and free (a user's
    /// `spec.clusterIP`); the error is the apiserver's.
    pub fn take_cluster_ip(&mut self, ip: u32) -> Result<(), String> {
        let (base, bits) = SERVICE_CIDR;
        let size = 1u32 << (32 - bits);
        if ip <= base || ip >= base + size - 1 {
            return Err(format!(
                "Invalid value: \"{}\": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12",
                ipv4(ip)
            ));
        }
        if !self.cluster_ips.insert(ip) {
            return Err(format!("Invalid value: \"{}\": provided IP is already allocated", ipv4(ip)));
        }
        Ok(())
    }

    /// Frees a cluster IP.
    pub fn release_cluster_ip(&mut self, ip: u32) {
        self.cluster_ips.remove(&ip);
    }

    /// A free node port (random offset, as the port allocator draws;
    /// the lower band of `min(max(16, size/32), 128)` ports is tried
    /// last). `None` when the range is exhausted.
    pub fn allocate_node_port(&mut self) -> Option<u16> {
        use rand::Rng;
        let (lo_port, hi_port) = NODE_PORTS;
        let size = (hi_port - lo_port + 1) as u32;
        let band = (size / 32).clamp(16, 128);
        for (lo, hi) in [(band, size), (0, band)] {
            let start = self.rng.gen_range(lo..hi);
            for off in (start..hi).chain(lo..start) {
                let port = lo_port + off as u16;
                if self.node_ports.insert(port) {
                    return Some(port);
                }
            }
        }
        None
    }

    /// Takes a user's `nodePort` when it is in the range and free.
    pub fn take_node_port(&mut self, port: u16) -> Result<(), String> {
        let (lo, hi) = NODE_PORTS;
        if !(lo..=hi).contains(&port) {
            return Err(format!(
                "Invalid value: {}: provided port is not in the valid range. The range of valid ports is {}-{}",
                port, lo, hi
            ));
        }
        if !self.node_ports.insert(port) {
            return Err(format!("Invalid value: {}: provided port is already allocated", port));
        }
        Ok(())
    }

    /// Frees a node port.
    pub fn release_node_port(&mut self, port: u16) {
        self.node_ports.remove(&port);
    }
}

/// Dotted-quad text of an IPv4 address.
pub fn ipv4(ip: u32) -> String {
    let b = ip.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// Parses dotted-quad IPv4 text.
pub fn parse_ipv4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut ip = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || (p.len() > 1 && p.starts_with('0')) {
            return None;
        }
        ip = (ip << 8) | p.parse::<u8>().ok()? as u32;
    }
    Some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ips_are_drawn_above_the_static_band_and_never_twice() {
        let mut a = Allocators::new(1);
        let mut seen = BTreeSet::new();
        for _ in 0..1000 {
            let ip = a.allocate_cluster_ip().expect("room");
            assert!(ip >= SERVICE_CIDR.0 + 256 && ip < SERVICE_CIDR.0 + (1 << 20) - 1, "{}", ipv4(ip));
            assert!(seen.insert(ip));
        }
        assert_eq!(Allocators::new(1).allocate_cluster_ip(), Allocators::new(1).allocate_cluster_ip());
        let ten = parse_ipv4("10.96.0.10").unwrap();
        assert_eq!(a.take_cluster_ip(ten), Ok(()));
        assert!(a.take_cluster_ip(ten).unwrap_err().contains("already allocated"));
        assert!(a.take_cluster_ip(parse_ipv4("10.112.0.1").unwrap()).unwrap_err().contains("not in the valid range"));
        a.release_cluster_ip(ten);
        assert_eq!(a.take_cluster_ip(ten), Ok(()));
    }

    #[test]
    fn node_ports_fill_the_whole_range() {
        let mut a = Allocators::new(3);
        let mut n = 0;
        while let Some(p) = a.allocate_node_port() {
            assert!((30000..=32767).contains(&p));
            n += 1;
        }
        assert_eq!(n, 2768);
        assert!(a.take_node_port(29999).unwrap_err().contains("not in the valid range"));
    }

    #[test]
    fn ipv4_text_round_trips() {
        for s in ["10.96.0.1", "0.0.0.0", "255.255.255.255"] {
            assert_eq!(ipv4(parse_ipv4(s).unwrap()), s);
        }
        for s in ["10.96.0", "10.96.0.256", "10.096.0.1", "a.b.c.d", "10..0.1"] {
            assert_eq!(parse_ipv4(s), None, "{s}");
        }
    }
}
