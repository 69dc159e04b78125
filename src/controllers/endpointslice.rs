//! The endpointslice controller (`pkg/controller/endpointslice`,
//! kube-controller-manager's `endpointslice-controller`): for every
//! Service with a selector, EndpointSlices (`<service>-<5 random>`,
//! labelled `kubernetes.io/service-name`, owned by the Service) holding at
//! most 100 endpoints each.
//!
//! Its rules, from the reconciler:
//! - every pod the selector matches with a pod IP and not terminal is an
//!   endpoint (terminating ones too: `ShouldPodBeInEndpoints` with
//!   `includeTerminating`), with conditions `serving` (the pod is Ready),
//!   `terminating` (it is being deleted) and `ready` (serving and not
//!   terminating, or always with `publishNotReadyAddresses`), its node and
//!   the node's zone;
//! - endpoints are grouped by their resolved ports (a named target port
//!   may resolve to different numbers on different pods), one group per
//!   port set, each split into slices of at most 100;
//! - slices are written only when they differ from the informer's copy;
//!   a Service's slices go with it.
//!
//! Simplified: within a port set the endpoints are packed afresh in IP
//! order (upstream keeps endpoints in the slice they are in and fills
//! existing slices first, to minimise churn); no
//! `last-change-trigger-time` annotation; the slices of a deleted Service
//! are deleted by this controller rather than by the garbage collector
//! through their owner reference.
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared pod informer, queues keys on its own timer and sends as
//! `"endpointslice-controller"` without waiting for answers. Standing in
//! for the garbage collector on the Service → EndpointSlice chain, when it
//! starts (again, after a crash) it queues the Service of every slice its
//! list holds, so the slices of a Service deleted while it was down go too.

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::controllers::endpoints::{find_port, ServiceMembership, SyncQueue};
use crate::kinds::endpoints::EndpointPort;
use crate::kinds::endpointslice::{
    Endpoint, EndpointSlice, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MANAGED_BY, MAX_ENDPOINTS_PER_SLICE,
};
use crate::kinds::service::Service;
use crate::objects::meta::{ObjectMeta, OwnerReference};
use crate::objects::node::Node;
use crate::objects::pod::Pod;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::typed::TypedObject;
use crate::objects::{Kind, Object};
use crate::sim::SimDuration;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::collections::BTreeMap;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// The token of the start-up timer that looks for leftover slices (the
/// work queue's timer is 0).
const LEFTOVERS: u64 = 1;

/// The zone label a slice endpoint copies from its node.
const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

/// The endpointslice controller's caches and work queue.
#[derive(Default)]
pub struct EndpointSliceController {
    members: ServiceMembership,
    /// Slices by Service key, then by slice name.
    slices: Map<Key, BTreeMap<Rc<str>, Rc<dyn TypedObject>>>,
    zones: Map<Rc<str>, Option<String>>,
    queue: SyncQueue,
}

impl EndpointSliceController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Controller for EndpointSliceController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod, Kind::Node]
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Service", "EndpointSlice"]
    }

    /// Once the list is in (a timer at this instant runs after its
    /// events), every slice's Service is synced.
    fn start(&mut self, cx: &mut Cx) {
        cx.after(SimDuration::ZERO, LEFTOVERS);
    }

    /// Handles a watch event of its informers (Services, EndpointSlices,
    /// Nodes, and pods through the shared pod informer).
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        match &ev.obj {
            Object::Pod(p) => {
                for k in self.members.on_pod(ev, p, cx.config().endpoints_index) {
                    self.queue.add(k, cx);
                }
            }
            Object::Node(n) => self.on_node(ev, n),
            Object::Typed(t) if t.downcast::<Service>().is_some() => {
                let key = self.members.on_service(ev, t, pods);
                self.queue.add(key, cx);
            }
            Object::Typed(t) => {
                let Some(s) = t.downcast::<EndpointSlice>() else { return };
                if s.meta.labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(MANAGED_BY) {
                    return;
                }
                let Some(svc) = s.service_name() else { return };
                let svc_key = Key::new(&s.meta.namespace, svc);
                let slices = self.slices.entry(svc_key.clone()).or_default();
                if ev.kind == WatchKind::Deleted {
                    slices.remove(&s.meta.name);
                } else {
                    slices.insert(s.meta.name.clone(), t.clone());
                }
                if self.members.contains(&svc_key) {
                    self.queue.add(svc_key, cx);
                }
            }
            _ => {}
        }
    }

    /// Syncs every queued Service; or, at start, queues the Service of
    /// every slice (a gone one's slices are deleted).
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if token == LEFTOVERS {
            let keys: Vec<Key> = self.slices.iter().filter(|(_, m)| !m.is_empty()).map(|(k, _)| k.clone()).collect();
            for key in keys {
                self.queue.add(key, cx);
            }
            return;
        }
        for key in self.queue.take() {
            self.sync_service(&key, cx);
        }
    }
}

impl EndpointSliceController {
    fn on_node(&mut self, ev: &WatchEvent, n: &Rc<Node>) {
        if ev.kind == WatchKind::Deleted {
            self.zones.swap_remove(&n.meta.name);
        } else {
            let zone = n.meta.labels.get(LABEL_ZONE);
            // Node status writes are frequent; the zone label rarely moves.
            if self.zones.get(&n.meta.name).is_none_or(|z| z.as_ref() != zone) {
                self.zones.insert(n.meta.name.clone(), zone.cloned());
            }
        }
    }

    fn sync_service(&mut self, key: &Key, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        let existing: Vec<Rc<dyn TypedObject>> =
            self.slices.get(key).map(|m| m.values().cloned().collect()).unwrap_or_default();
        let Some(svc) = self.members.service(key).cloned() else {
            for s in existing {
                delete_slice(&*s, cx);
            }
            return;
        };
        let Some(selector) = &svc.spec.selector else { return };
        let selected = self.members.selected(key, selector, pods, cx.config().endpoints_index);
        let desired = desired_slices(&svc, selected, |n| self.zones.get(n).cloned().flatten());
        // Match desired slices to existing ones of the same port set, in
        // name order; the rest are created or deleted.
        let mut by_ports: BTreeMap<Vec<EndpointPort>, Vec<&EndpointSlice>> = BTreeMap::new();
        for s in existing.iter().filter_map(|t| t.downcast::<EndpointSlice>()) {
            by_ports.entry(s.ports.clone()).or_default().push(s);
        }
        let mut labels = (*svc.meta.labels).clone();
        labels.insert(LABEL_SERVICE_NAME.into(), key.name.to_string());
        labels.insert(LABEL_MANAGED_BY.into(), MANAGED_BY.into());
        let labels = Rc::new(labels);
        let owner = OwnerReference {
            api_version: "v1".into(),
            kind: "Service".into(),
            name: svc.meta.name.clone(),
            uid: svc.meta.uid,
            controller: true,
            block_owner_deletion: true,
        };
        let mut used: Vec<&EndpointSlice> = Vec::new();
        for (ports, endpoints) in desired {
            let mut olds = by_ports.remove(&ports).unwrap_or_default().into_iter();
            for chunk in endpoints {
                match olds.next() {
                    Some(old) => {
                        used.push(old);
                        if old.endpoints == chunk && old.meta.labels == labels {
                            continue;
                        }
                        let meta = ObjectMeta { labels: labels.clone(), ..old.meta.clone() };
                        let obj =
                            Object::Typed(Rc::new(EndpointSlice { meta, endpoints: chunk, ports: ports.clone() }));
                        cx.send_unanswered(ApiOp::Update { obj, check_rv: false });
                    }
                    None => {
                        let meta = ObjectMeta {
                            generate_name: Some(format!("{}-", key.name).into()),
                            namespace: key.namespace.clone(),
                            labels: labels.clone(),
                            owner_references: vec![owner.clone()],
                            ..Default::default()
                        };
                        let obj =
                            Object::Typed(Rc::new(EndpointSlice { meta, endpoints: chunk, ports: ports.clone() }));
                        cx.send_unanswered(ApiOp::Create(obj));
                    }
                }
            }
            for old in olds {
                delete_slice(old, cx);
            }
        }
        for old in by_ports.into_values().flatten() {
            delete_slice(old, cx);
        }
    }
}

fn delete_slice(s: &dyn TypedObject, cx: &mut Cx) {
    cx.send_unanswered(ApiOp::Delete {
        kind: Kind::Other,
        other_kind: Some("EndpointSlice".into()),
        key: Key::of(s.meta()),
        uid: Some(s.meta().uid),
        grace_seconds: None,
        propagation: Propagation::Background,
        disruption: None,
    });
}

/// The slices a Service should have: per port set (in port order), its
/// endpoints in IP order, in chunks of at most 100. A Service whose pods
/// are all gone keeps one empty slice for its ports (as upstream keeps a
/// placeholder slice).
pub fn desired_slices<'a>(
    svc: &Service,
    pods: impl Iterator<Item = &'a Rc<Pod>>,
    zone: impl Fn(&str) -> Option<String>,
) -> Vec<(Vec<EndpointPort>, Vec<Vec<Endpoint>>)> {
    let publish = svc.spec.publish_not_ready_addresses;
    let mut groups: BTreeMap<Vec<EndpointPort>, Vec<Endpoint>> = BTreeMap::new();
    for p in pods {
        if p.status.phase.is_terminal() {
            continue;
        }
        let Some(ip) = p.status.pod_ip.clone() else { continue };
        let mut ports: Vec<EndpointPort> = svc
            .spec
            .ports
            .iter()
            .filter_map(|sp| {
                find_port(p, &sp.target_port, &sp.protocol).map(|port| EndpointPort {
                    name: sp.name.clone(),
                    port,
                    protocol: sp.protocol.clone(),
                })
            })
            .collect();
        ports.sort();
        let serving = p.is_ready();
        let terminating = p.meta.deletion_timestamp.is_some();
        groups.entry(ports).or_default().push(Endpoint {
            address: ip,
            ready: publish || (serving && !terminating),
            serving: publish || serving,
            terminating,
            node_name: p.spec.node_name.clone(),
            zone: p.spec.node_name.as_deref().and_then(&zone),
            pod: Some((p.meta.name.clone(), p.meta.uid)),
        });
    }
    if groups.is_empty() {
        // The placeholder: the Service's own ports (numbers where known).
        let ports: Vec<EndpointPort> = Vec::new();
        return vec![(ports, vec![Vec::new()])];
    }
    groups
        .into_iter()
        .map(|(ports, mut eps)| {
            eps.sort();
            let chunks = eps.chunks(MAX_ENDPOINTS_PER_SLICE).map(<[Endpoint]>::to_vec).collect();
            (ports, chunks)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::service::{ClusterIp, ServicePort, ServiceSpec, ServiceType};
    use crate::objects::pod::{CondStatus, Condition, PodPhase, PodSpec, PodStatus};
    use crate::objects::probe::PortRef;
    use crate::sim::SimTime;

    fn service(publish: bool) -> Service {
        Service {
            meta: ObjectMeta { name: "svc".into(), namespace: "default".into(), ..Default::default() },
            spec: ServiceSpec {
                cluster_ip: ClusterIp::Auto,
                publish_not_ready_addresses: publish,
                ..ServiceSpec::new(
                    ServiceType::ClusterIP,
                    Some([("app".to_string(), "web".to_string())].into_iter().collect()),
                    vec![ServicePort {
                        name: None,
                        protocol: "TCP".into(),
                        port: 80,
                        target_port: PortRef::Number(8080),
                        node_port: None,
                    }],
                )
            },
            load_balancer_ingress: vec![],
        }
    }

    fn pod(i: u32, ready: bool, terminating: bool) -> Rc<Pod> {
        let mut status = PodStatus {
            phase: PodPhase::Running,
            pod_ip: Some(format!("10.0.{}.{}", i / 250, i % 250).into()),
            ..Default::default()
        };
        status.conditions.ready =
            Some(Condition::new(if ready { CondStatus::True } else { CondStatus::False }, SimTime::ZERO));
        Rc::new(Pod {
            meta: ObjectMeta {
                name: format!("p{}", i).into(),
                uid: i as u64 + 1,
                deletion_timestamp: terminating.then_some(SimTime::ZERO),
                ..Default::default()
            },
            spec: Rc::new(PodSpec { node_name: Some("n1".into()), ..Default::default() }),
            status: Rc::new(status),
        })
    }

    #[test]
    fn conditions_follow_readiness_and_termination() {
        let pods = [pod(1, true, false), pod(2, false, false), pod(3, true, true)];
        let zone = |_: &str| Some("a".to_string());
        let slices = desired_slices(&service(false), pods.iter(), zone);
        let eps = &slices[0].1[0];
        let view: Vec<(bool, bool, bool)> = eps.iter().map(|e| (e.ready, e.serving, e.terminating)).collect();
        // ready = serving and not terminating; a terminating pod stays.
        assert_eq!(view, [(true, true, false), (false, false, false), (false, true, true)]);
        assert!(eps.iter().all(|e| e.zone.as_deref() == Some("a")));
        let published = desired_slices(&service(true), pods.iter(), zone);
        assert!(published[0].1[0].iter().all(|e| e.ready), "publishNotReadyAddresses: always ready");
    }

    #[test]
    fn at_most_100_endpoints_a_slice_and_a_placeholder_when_none() {
        let pods: Vec<Rc<Pod>> = (0..250).map(|i| pod(i, true, false)).collect();
        let slices = desired_slices(&service(false), pods.iter(), |_| None);
        let sizes: Vec<usize> = slices[0].1.iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let none = desired_slices(&service(false), std::iter::empty(), |_| None);
        assert_eq!((none.len(), none[0].0.len(), none[0].1[0].len()), (1, 0, 0));
    }
}
