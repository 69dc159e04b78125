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
//!   `pkg/controlplane/reconcilers/endpointsadapter.go`). So
//!   `kubectl delete all --all` deletes it and it comes back. An existing
//!   Service is left alone (its ports and type are reconciled only at the
//!   apiserver's start).
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
use crate::objects::store::{Key, Store};
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

/// The objects the apiserver keeps: its Service, Endpoints and slice, by
/// kind.
fn apiserver_objects() -> [(&'static str, Object); 3] {
    [
        ("Service", Object::Typed(Rc::new(kubernetes_service()))),
        ("Endpoints", Object::Typed(Rc::new(kubernetes_endpoints()))),
        ("EndpointSlice", Object::Typed(Rc::new(kubernetes_slice()))),
    ]
}

/// What a new cluster has: the apiserver's three objects (its first run,
/// at start) and kubeadm's `kube-dns`.
pub fn bootstrap_objects() -> Vec<Object> {
    let mut out: Vec<Object> = apiserver_objects().into_iter().map(|(_, o)| o).collect();
    out.push(Object::Typed(Rc::new(kube_dns_service())));
    out
}

/// One tick of `UpdateKubernetesService`: whichever of the apiserver's
/// three objects is missing, to create (the Service first, as the
/// controller does, then the lease reconciler's endpoints).
pub fn missing(store: &Store) -> Vec<Object> {
    let key = Key::new("default", "kubernetes");
    apiserver_objects()
        .into_iter()
        .filter(|(kind, _)| !store.typed.contains_key(&(kind.to_string(), key.clone())))
        .map(|(_, o)| o)
        .collect()
}
