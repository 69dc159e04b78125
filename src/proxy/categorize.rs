//! Which endpoints of a service port a node's kube-proxy programs:
//! `CategorizeEndpoints` of `pkg/proxy/topology.go` (v1.32), without
//! topology hints (kubesim does not model `trafficDistribution` or the
//! topology-aware-hints annotation, so `canUseTopology` is always false).
//!
//! - *Cluster* endpoints (used unless both traffic policies are Local):
//!   the ready ones; when none is ready anywhere, the serving and
//!   terminating ones (ProxyTerminatingEndpoints, GA in v1.28).
//! - *Local* endpoints (used when a policy is Local): this node's ready
//!   ones; when it has none, this node's serving and terminating ones.
//! - `has_any`: some endpoint anywhere is usable (ready, or serving and
//!   terminating): without one, the service port REJECTs.

#![warn(missing_docs)]

use super::Endpoint;

/// Whether an endpoint takes new connections as a fallback: serving and
/// terminating (`ep.IsServing() && ep.IsTerminating()`).
fn fallback(ep: &Endpoint) -> bool {
    ep.serving && ep.terminating
}

/// The cluster endpoints (indices into `eps`) and whether any endpoint is
/// usable at all.
pub fn cluster_endpoints(eps: &[Endpoint]) -> (Vec<u32>, bool) {
    let mut out: Vec<u32> = (0..eps.len() as u32).filter(|&i| eps[i as usize].ready).collect();
    if out.is_empty() {
        out = (0..eps.len() as u32).filter(|&i| fallback(&eps[i as usize])).collect();
    }
    let has_any = !out.is_empty();
    (out, has_any)
}

/// The endpoints on node `node` (kubelet index) a Local policy uses,
/// appended to `out` (cleared first): the node's ready endpoints, else its
/// serving and terminating ones.
pub fn local_endpoints(eps: &[Endpoint], node: u32, out: &mut Vec<u32>) {
    out.clear();
    let local = |e: &Endpoint| e.node == Some(node);
    out.extend((0..eps.len() as u32).filter(|&i| local(&eps[i as usize]) && eps[i as usize].ready));
    if out.is_empty() {
        out.extend((0..eps.len() as u32).filter(|&i| local(&eps[i as usize]) && fallback(&eps[i as usize])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(ip: &str, node: u32, ready: bool, serving: bool, terminating: bool) -> Endpoint {
        Endpoint { ip: ip.into(), port: 80, node: Some(node), pod: None, ready, serving, terminating }
    }

    // The cases of `TestCategorizeEndpoints` (pkg/proxy/topology_test.go)
    // that do not involve topology hints.

    #[test]
    fn ready_endpoints_are_the_cluster_endpoints() {
        // "should use ready endpoints"… and not the not-ready one.
        let eps = [ep("10.1.2.3", 0, true, true, false), ep("10.1.2.4", 1, false, false, false)];
        assert_eq!(cluster_endpoints(&eps), (vec![0], true));
    }

    #[test]
    fn without_ready_endpoints_serving_terminating_ones_are_used() {
        // "Cluster traffic policy, all endpoints are terminating": the
        // serving ones (not the not-serving terminating one).
        let eps = [
            ep("10.0.0.0", 0, false, true, true),
            ep("10.0.0.1", 1, false, true, true),
            ep("10.0.0.2", 1, false, false, true),
        ];
        assert_eq!(cluster_endpoints(&eps), (vec![0, 1], true));
        // A ready endpoint anywhere wins over the fallback.
        let eps = [ep("10.0.0.0", 0, false, true, true), ep("10.0.0.1", 1, true, true, false)];
        assert_eq!(cluster_endpoints(&eps), (vec![1], true));
    }

    #[test]
    fn no_usable_endpoint_means_none() {
        // "no cluster endpoints": not ready and not serving-terminating.
        let eps = [ep("10.0.0.0", 0, false, false, false), ep("10.0.0.1", 1, false, false, true)];
        assert_eq!(cluster_endpoints(&eps), (vec![], false));
        assert_eq!(cluster_endpoints(&[]), (vec![], false));
    }

    #[test]
    fn local_endpoints_prefer_ready_then_serving_terminating() {
        // "local traffic policy, with local, ready endpoints" and
        // "… all local endpoints are terminating".
        let eps = [
            ep("10.0.0.0", 0, true, true, false),
            ep("10.0.0.1", 1, true, true, false),
            ep("10.0.0.2", 0, false, true, true),
        ];
        let mut out = Vec::new();
        local_endpoints(&eps, 0, &mut out);
        assert_eq!(out, vec![0]);
        let eps = [ep("10.0.0.0", 0, false, true, true), ep("10.0.0.1", 1, true, true, false)];
        local_endpoints(&eps, 0, &mut out);
        assert_eq!(out, vec![0], "the local terminating one, not the remote ready one");
        local_endpoints(&eps, 2, &mut out);
        assert!(out.is_empty(), "no endpoint on node 2");
    }
}
