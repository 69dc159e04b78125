//! The Services every kubeadm cluster has from the start, and the
//! apiserver's controller that keeps `default/kubernetes` there.
//!
//! - `default/kubernetes` (10.96.0.1, the service range's first address;
//!   port `https` 443 → 6443) is the apiserver's own Service. The
//!   apiserver writes it and its Endpoints and EndpointSlice, both named
//!   `kubernetes`, with the control plane's address (`APISERVER_IP`), and
//!   re-creates whichever is missing every `INTERVAL` (10 s,
//!   `DefaultEndpointReconcilerInterval`;
//!   `pkg/controlplane/controller/kubernetesservice/controller.go`,
//!   `pkg/controlplane/reconcilers/endpointsadapter.go`), and rewrites
//!   the Endpoints and slice when they differ from what they should be.
//!   So `kubectl delete all --all` deletes the Service and it comes back.
//!   An existing Service is left alone (its ports and type are reconciled
//!   only at the apiserver's start).
//! - `kube-system/kube-dns` (10.96.0.10, the range's tenth address) is the
//!   Service kubeadm's CoreDNS add-on creates
//!   (`cmd/kubeadm/app/phases/addons/dns/manifests.go`). kubesim's
//!   cluster DNS answers names without modelling CoreDNS's pods, so the
//!   Service selects none (`k8s-app: kube-dns`) and has no endpoints
//!   unless the user runs such pods.

#![warn(missing_docs)]

use crate::kinds::endpoints::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints};
use crate::kinds::endpointslice::{self, EndpointSlice, LABEL_SERVICE_NAME};
use crate::kinds::service::{ClusterIp, Service, ServicePort, ServiceSpec, ServiceType};
use crate::objects::meta::ObjectMeta;
use crate::objects::probe::PortRef;
use crate::objects::store::{ApiOp, Key, Store};
use crate::objects::typed::parse_ipv4;
use crate::objects::Object;
use crate::sim::SimDuration;
use std::collections::BTreeMap;
use std::rc::Rc;

/// How often the apiserver reconciles its Service and endpoints
/// (`DefaultEndpointReconcilerInterval`).
pub const INTERVAL: SimDuration = SimDuration::from_secs(10);

/// The control plane's address, which the `kubernetes` endpoints name: the
/// first of the nodes' range (kubesim's nodes are 10.0.0.2 and up).
pub const APISERVER_IP: &str = "10.0.0.1";

/// The apiserver's secure port (`--secure-port` default).
pub const SECURE_PORT: u16 = 6443;

fn labels(pairs: &[(&str, &str)]) -> Rc<BTreeMap<String, String>> {
    Rc::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
}

fn meta(namespace: &str, name: &str, l: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta { name: name.into(), namespace: namespace.into(), labels: labels(l), ..Default::default() }
}

fn port(name: &str, protocol: &str, port: u16, target: u16) -> ServicePort {
    ServicePort {
        name: Some(name.into()),
        protocol: protocol.into(),
        port,
        target_port: PortRef::Number(target),
        node_port: None,
    }
}

/// `default/kubernetes` as `CreateOrUpdateMasterServiceIfNeeded` creates it.
pub fn kubernetes_service() -> Service {
    let mut spec = ServiceSpec::new(ServiceType::ClusterIP, None, vec![port("https", "TCP", 443, SECURE_PORT)]);
    spec.cluster_ip = ClusterIp::Ip(parse_ipv4("10.96.0.1").expect("ip"));
    Service {
        meta: meta("default", "kubernetes", &[("component", "apiserver"), ("provider", "kubernetes")]),
        spec,
        load_balancer_ingress: vec![],
    }
}

/// The `kubernetes` Endpoints the lease reconciler writes (one apiserver).
pub fn kubernetes_endpoints() -> Endpoints {
    Endpoints {
        meta: meta("default", "kubernetes", &[("endpointslice.kubernetes.io/skip-mirror", "true")]),
        subsets: vec![EndpointSubset {
            addresses: vec![EndpointAddress { ip: APISERVER_IP.into(), node_name: None, pod: None }],
            not_ready_addresses: vec![],
            ports: vec![EndpointPort { name: Some("https".into()), port: SECURE_PORT, protocol: "TCP".into() }],
        }],
    }
}

/// The `kubernetes` EndpointSlice (named as the Service, no
/// `managed-by` label and no owner: the endpointslice controller leaves it
/// alone).
pub fn kubernetes_slice() -> EndpointSlice {
    EndpointSlice {
        meta: meta("default", "kubernetes", &[(LABEL_SERVICE_NAME, "kubernetes")]),
        endpoints: vec![endpointslice::Endpoint {
            address: APISERVER_IP.into(),
            ready: true,
            serving: true,
            terminating: false,
            node_name: None,
            zone: None,
            pod: None,
        }],
        ports: vec![EndpointPort { name: Some("https".into()), port: SECURE_PORT, protocol: "TCP".into() }],
    }
}

/// `kube-system/kube-dns` as kubeadm's CoreDNS add-on creates it.
pub fn kube_dns_service() -> Service {
    let selector = [("k8s-app".to_string(), "kube-dns".to_string())].into_iter().collect();
    let ports = vec![port("dns", "UDP", 53, 53), port("dns-tcp", "TCP", 53, 53), port("metrics", "TCP", 9153, 9153)];
    let mut spec = ServiceSpec::new(ServiceType::ClusterIP, Some(selector), ports);
    spec.cluster_ip = ClusterIp::Ip(parse_ipv4("10.96.0.10").expect("ip"));
    let mut m = meta(
        "kube-system",
        "kube-dns",
        &[("k8s-app", "kube-dns"), ("kubernetes.io/cluster-service", "true"), ("kubernetes.io/name", "CoreDNS")],
    );
    m.annotations = Rc::new(
        [("prometheus.io/port", "9153"), ("prometheus.io/scrape", "true")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    Service { meta: m, spec, load_balancer_ingress: vec![] }
}

/// What a new cluster has: the apiserver's three objects (its first run,
/// at start) and kubeadm's `kube-dns`.
pub fn bootstrap_objects() -> Vec<Object> {
    vec![
        Object::Typed(Rc::new(kubernetes_service())),
        Object::Typed(Rc::new(kubernetes_endpoints())),
        Object::Typed(Rc::new(kubernetes_slice())),
        Object::Typed(Rc::new(kube_dns_service())),
    ]
}

/// One tick of `UpdateKubernetesService`: the Service is created if it is
/// missing (never corrected: `reconcile` is false after the apiserver's
/// start), then the lease reconciler's Endpoints and EndpointSlice are
/// created if missing and rewritten if they differ from what they should
/// be (labels, addresses, ports).
pub fn reconcile(store: &Store) -> Vec<ApiOp> {
    let key = Key::new("default", "kubernetes");
    let stored = |kind: &str| store.typed.get(&(kind.to_string(), key.clone())).cloned();
    let mut ops = Vec::new();
    if stored("Service").is_none() {
        ops.push(ApiOp::Create(Object::Typed(Rc::new(kubernetes_service()))));
    }
    let want = kubernetes_endpoints();
    match stored("Endpoints").as_ref().and_then(|t| t.downcast::<Endpoints>()) {
        None => ops.push(ApiOp::Create(Object::Typed(Rc::new(want)))),
        Some(e) if e.subsets != want.subsets || e.meta.labels != want.meta.labels => {
            let meta = ObjectMeta { labels: want.meta.labels.clone(), ..e.meta.clone() };
            let obj = Endpoints { meta, subsets: want.subsets };
            ops.push(ApiOp::Update { obj: Object::Typed(Rc::new(obj)), check_rv: false });
        }
        Some(_) => {}
    }
    let want = kubernetes_slice();
    match stored("EndpointSlice").as_ref().and_then(|t| t.downcast::<EndpointSlice>()) {
        None => ops.push(ApiOp::Create(Object::Typed(Rc::new(want)))),
        Some(e) if e.endpoints != want.endpoints || e.ports != want.ports || e.meta.labels != want.meta.labels => {
            let meta = ObjectMeta { labels: want.meta.labels.clone(), ..e.meta.clone() };
            let obj = EndpointSlice { meta, endpoints: want.endpoints, ports: want.ports };
            ops.push(ApiOp::Update { obj: Object::Typed(Rc::new(obj)), check_rv: false });
        }
        Some(_) => {}
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::trace::Trace;
    use crate::sim::SimTime;

    /// A tick creates what is missing, rewrites endpoints that differ, and
    /// leaves an existing Service alone.
    #[test]
    fn the_tick_restores_the_apiservers_objects() {
        let mut store = Store::new(1);
        let mut trace = Trace::new();
        let ns = crate::objects::Namespace { meta: ObjectMeta { name: "default".into(), ..Default::default() } };
        store.apply(SimTime::ZERO, ApiOp::Create(Object::Namespace(Rc::new(ns))), &mut trace).unwrap();
        let ops = reconcile(&store);
        assert_eq!(ops.len(), 3, "all three are created on an empty store");
        for op in ops {
            store.apply(SimTime::ZERO, op, &mut trace).unwrap();
        }
        assert!(reconcile(&store).is_empty(), "nothing to do when all is as it should be");
        // Someone edits the Endpoints and the Service's labels.
        let key = Key::new("default", "kubernetes");
        let mut e = kubernetes_endpoints();
        e.meta = store.typed[&("Endpoints".to_string(), key.clone())].meta().clone();
        e.subsets[0].addresses[0].ip = "10.9.9.9".into();
        store
            .apply(SimTime::ZERO, ApiOp::Update { obj: Object::Typed(Rc::new(e)), check_rv: false }, &mut trace)
            .unwrap();
        let mut svc = kubernetes_service();
        svc.meta = store.typed[&("Service".to_string(), key.clone())].meta().clone();
        svc.meta.labels = Rc::new(Default::default());
        store
            .apply(SimTime::ZERO, ApiOp::Update { obj: Object::Typed(Rc::new(svc)), check_rv: false }, &mut trace)
            .unwrap();
        let ops = reconcile(&store);
        assert_eq!(ops.len(), 1, "only the Endpoints are rewritten");
        assert!(matches!(&ops[0], ApiOp::Update { .. }));
        for op in ops {
            store.apply(SimTime::ZERO, op, &mut trace).unwrap();
        }
        let e = store.typed[&("Endpoints".to_string(), key)].downcast::<Endpoints>().unwrap().clone();
        assert_eq!(e.subsets, kubernetes_endpoints().subsets);
    }
}
