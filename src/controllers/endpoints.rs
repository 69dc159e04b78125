//! The endpoints controller (`pkg/controller/endpoint`,
//! kube-controller-manager's `endpoints-controller`): for every Service
//! with a selector, an Endpoints object of the same name listing the
//! pods the selector matches.
//!
//! Its rules, from `syncService`:
//! - a pod is listed when it is not terminal, has a pod IP and is not
//!   being deleted (`ShouldPodBeInEndpoints`; with
//!   `publishNotReadyAddresses` a terminating pod stays);
//! - a ready pod is in `addresses`, the others in `notReadyAddresses`
//!   (with `publishNotReadyAddresses` every pod is in `addresses`);
//! - each service port's `targetPort` is resolved per pod (a number, or
//!   the pod's container port of that name: `podutil.FindPort`); a pod
//!   without that named port is left out of that port;
//! - the addresses are packed into subsets of identical port sets
//!   (`RepackSubsets`), addresses sorted by IP; a headless Service
//!   without ports lists addresses with no ports;
//! - the Endpoints carries the Service's labels; it is written only when
//!   it differs from the informer's copy, and deleted with its Service;
//!   a Service without a selector is left alone (its Endpoints are the
//!   user's).
//!
//! Events for the same Service at one instant are synced once (the work
//! queue holds a key once). Simplifications: subsets are ordered by their
//! ports where upstream orders them by a hash; no
//! `endpoints.kubernetes.io/last-change-trigger-time` annotation and no
//! 1,000-address truncation; writes do not check `resourceVersion`.
//!
//! It runs as a [`Controller`] component: it reads kube-controller-manager's
//! shared pod informer, queues keys on its own timer (the work queue is
//! taken at the instant the first key arrives) and sends as
//! `"endpoint-controller"` without waiting for answers. When it starts
//! (again, after a crash) it queues every Endpoints its list holds
//! (`checkLeftoverEndpoints`, skipping the leader-election records), so
//! the Endpoints of a Service deleted while it was down are deleted.

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::controllers::informer::PodInformer;
use crate::kinds::endpoints::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints};
use crate::kinds::service::{ClusterIp, Service};
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::Pod;
use crate::objects::probe::PortRef;
use crate::objects::store::{ApiOp, Key, Propagation, WatchEvent, WatchKind};
use crate::objects::typed::TypedObject;
use crate::objects::{Kind, Object};
use crate::sim::SimDuration;
use indexmap::{IndexMap, IndexSet};
use rustc_hash::FxBuildHasher;
use std::collections::BTreeMap;
use std::rc::Rc;

type Map<K, V> = IndexMap<K, V, FxBuildHasher>;

/// What the endpoints and endpointslice controllers share: the Services
/// they follow and, while there is any, the pods of each namespace (built
/// from the shared informer when the first Service appears, dropped with
/// the last, so a cluster without Services pays nothing per pod).
///
/// A sync lists the Service's pods as the controllers' pod lister does:
/// every pod of the namespace, filtered by the selector (the literal
/// model, `fastPaths: 0`). The fast path (`endpointsIndex: 1`, the
/// default) keeps each Service's selected pods, updated on every pod and
/// Service event, so a sync reads its members only; the sync's output is
/// sorted, so both give the same writes (the swarm's differential test).
#[derive(Default)]
pub struct ServiceMembership {
    services: Map<Key, Rc<dyn TypedObject>>,
    pods_by_ns: Map<Rc<str>, IndexSet<u64, FxBuildHasher>>,
    /// The pods each Service's selector selects.
    members: Map<Key, IndexSet<u64, FxBuildHasher>>,
    /// Services by (namespace, first pair of their selector), hashed: a
    /// pod event looks up the Services one of its labels may select
    /// instead of trying every Service of the namespace.
    by_pair: rustc_hash::FxHashMap<u64, Vec<Key>>,
    /// How many Services with a selector each namespace has: a pod event
    /// in a namespace without one can change no membership (every
    /// cluster has `kubernetes` and `kube-dns`, so "no Service at all" no
    /// longer says it).
    selecting: rustc_hash::FxHashMap<Rc<str>, u32>,
}

fn has_selector(t: &Rc<dyn TypedObject>) -> bool {
    t.downcast::<Service>().is_some_and(|s| s.spec.selector.is_some())
}

/// The hash of a (namespace, label key, label value) triple.
fn pair_hash(ns: &str, k: &str, v: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (ns, k, v).hash(&mut h);
    h.finish()
}

fn first_pair(t: &Rc<dyn TypedObject>) -> Option<(String, String)> {
    let sel = t.downcast::<Service>()?.spec.selector.as_ref()?;
    sel.iter().next().map(|(k, v)| (k.clone(), v.clone()))
}

impl ServiceMembership {
    /// A Service's watch event; returns its key, to sync.
    pub fn on_service(&mut self, ev: &WatchEvent, t: &Rc<dyn TypedObject>, pods: &PodInformer) -> Key {
        let key = Key::of(t.meta());
        if self.services.get(&key).is_some_and(has_selector) {
            let n = self.selecting.get_mut(&key.namespace).expect("counted");
            *n -= 1;
            if *n == 0 {
                self.selecting.remove(&key.namespace);
            }
        }
        if ev.kind != WatchKind::Deleted && has_selector(t) {
            *self.selecting.entry(key.namespace.clone()).or_default() += 1;
        }
        if let Some((k, v)) = self.services.get(&key).and_then(first_pair) {
            let h = pair_hash(&key.namespace, &k, &v);
            if let Some(list) = self.by_pair.get_mut(&h) {
                list.retain(|x| *x != key);
            }
        }
        if ev.kind != WatchKind::Deleted {
            if let Some((k, v)) = first_pair(t) {
                self.by_pair.entry(pair_hash(&key.namespace, &k, &v)).or_default().push(key.clone());
            }
        }
        if ev.kind == WatchKind::Deleted {
            self.services.swap_remove(&key);
            self.members.swap_remove(&key);
            if self.services.is_empty() {
                self.pods_by_ns.clear();
            }
        } else {
            if self.services.is_empty() {
                for p in pods.all_by_uid() {
                    self.pods_by_ns.entry(p.meta.namespace.clone()).or_default().insert(p.meta.uid);
                }
            }
            self.services.insert(key.clone(), t.clone());
            let sel = t.downcast::<Service>().and_then(|s| s.spec.selector.as_ref());
            let members: IndexSet<u64, FxBuildHasher> = match (sel, self.pods_by_ns.get(&key.namespace)) {
                (Some(sel), Some(ns)) => {
                    ns.iter().copied().filter(|u| pods.get(*u).is_some_and(|p| selects(sel, &p.meta.labels))).collect()
                }
                _ => IndexSet::default(),
            };
            self.members.insert(key.clone(), members);
        }
        key
    }

    /// A pod's watch event; returns the Services whose selection it may
    /// change (`getPodServiceMemberships` of the new and the old labels),
    /// in the order the Services were first seen. `indexed`: only the
    /// Services one of its labels may select are tried (`by_pair`); else
    /// every Service of the namespace, as `getPodServiceMemberships` does.
    pub fn on_pod(&mut self, ev: &WatchEvent, p: &Rc<Pod>, indexed: bool) -> Vec<Key> {
        if self.services.is_empty() {
            return Vec::new();
        }
        let ns = &p.meta.namespace;
        match ev.kind {
            WatchKind::Added => {
                self.pods_by_ns.entry(ns.clone()).or_default().insert(p.meta.uid);
            }
            WatchKind::Deleted => {
                if let Some(s) = self.pods_by_ns.get_mut(ns) {
                    s.swap_remove(&p.meta.uid);
                }
            }
            WatchKind::Modified => {}
        }
        if !self.selecting.contains_key(ns) {
            return Vec::new();
        }
        let old_labels = match &ev.old {
            Some(Object::Pod(o)) => Some(o.meta.labels.clone()),
            _ => None,
        };
        let candidates: Vec<usize> = if indexed {
            let mut c: Vec<usize> = Vec::new();
            for labels in std::iter::once(&p.meta.labels).chain(old_labels.as_ref()) {
                for (k, v) in labels.iter() {
                    for key in self.by_pair.get(&pair_hash(ns, k, v)).into_iter().flatten() {
                        c.extend(self.services.get_index_of(key));
                    }
                }
            }
            c.sort_unstable();
            c.dedup();
            c
        } else {
            (0..self.services.len()).collect()
        };
        let mut touched = Vec::new();
        for i in candidates {
            let (k, s) = self.services.get_index(i).expect("a Service");
            if k.namespace != *ns {
                continue;
            }
            let Some(sel) = s.downcast::<Service>().and_then(|s| s.spec.selector.as_ref()) else { continue };
            let selected = selects(sel, &p.meta.labels);
            let before = old_labels.as_ref().is_some_and(|l| selects(sel, l));
            if !selected && !before {
                // Not selected now nor before: not a member.
                continue;
            }
            if let Some(members) = self.members.get_mut(k) {
                if selected && ev.kind != WatchKind::Deleted {
                    members.insert(p.meta.uid);
                } else {
                    members.swap_remove(&p.meta.uid);
                }
            }
            touched.push(k.clone());
        }
        touched
    }

    /// Whether the Service `key` is known.
    pub fn contains(&self, key: &Key) -> bool {
        self.services.contains_key(key)
    }

    /// The Service `key`, if it exists.
    pub fn service(&self, key: &Key) -> Option<&Service> {
        self.services.get(key).and_then(|t| t.downcast::<Service>())
    }

    /// The pods of Service `key` that `selector` selects: its members
    /// (`indexed`), or every pod of its namespace filtered (the literal
    /// lister).
    pub fn selected<'a>(
        &'a self,
        key: &Key,
        selector: &'a BTreeMap<String, String>,
        pods: &'a PodInformer,
        indexed: bool,
    ) -> Box<dyn Iterator<Item = &'a Rc<Pod>> + 'a> {
        if indexed {
            let members = self.members.get(key).into_iter().flat_map(|s| s.iter());
            return Box::new(members.filter_map(|u| pods.get(*u)));
        }
        let all = self.pods_by_ns.get(&*key.namespace).into_iter().flat_map(|s| s.iter());
        Box::new(all.filter_map(|u| pods.get(*u)).filter(move |p| selects(selector, &p.meta.labels)))
    }
}

/// A work queue of Service keys synced together at the instant they
/// were queued (a key waiting is not queued twice).
#[derive(Default)]
pub struct SyncQueue {
    keys: IndexSet<Key, FxBuildHasher>,
    pending: bool,
}

impl SyncQueue {
    /// Queues `key`; the first key of an instant sets the controller's
    /// timer for this instant (its workers take the queue when the event
    /// handlers are done).
    pub fn add(&mut self, key: Key, cx: &mut Cx) {
        self.keys.insert(key);
        if !self.pending {
            self.pending = true;
            cx.after(SimDuration::ZERO, 0);
        }
    }

    /// Every queued key, in queue order; the queue is empty after.
    pub fn take(&mut self) -> Vec<Key> {
        self.pending = false;
        self.keys.drain(..).collect()
    }
}

/// The endpoints controller's informer caches and work queue.
#[derive(Default)]
pub struct EndpointsController {
    members: ServiceMembership,
    endpoints: Map<Key, Rc<dyn TypedObject>>,
    queue: SyncQueue,
}

impl EndpointsController {
    /// A controller that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The token of the start-up timer that looks for leftover Endpoints (the
/// work queue's timer is 0).
const LEFTOVERS: u64 = 1;

/// The annotation of a leader-election record kept in an Endpoints
/// (`resourcelock.LeaderElectionRecordAnnotationKey`): such an Endpoints
/// has no Service and is not a leftover.
const LEADER_ANNOTATION: &str = "control-plane.alpha.kubernetes.io/leader";

impl Controller for EndpointsController {
    fn watches(&self) -> Vec<Kind> {
        vec![Kind::Pod]
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Service", "Endpoints"]
    }

    /// `Run` starts `checkLeftoverEndpoints` once the informers have
    /// synced: a timer at this instant runs after the list's events.
    fn start(&mut self, cx: &mut Cx) {
        cx.after(SimDuration::ZERO, LEFTOVERS);
    }

    /// Handles a watch event of its informers (Services, Endpoints, and
    /// pods through kube-controller-manager's shared pod informer).
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        match &ev.obj {
            Object::Pod(p) => {
                for k in self.members.on_pod(ev, p, cx.config().endpoints_index) {
                    self.queue.add(k, cx);
                }
            }
            Object::Typed(t) if t.downcast::<Service>().is_some() => {
                let key = self.members.on_service(ev, t, pods);
                self.queue.add(key, cx);
            }
            Object::Typed(t) if t.downcast::<Endpoints>().is_some() => {
                let key = Key::of(t.meta());
                if ev.kind == WatchKind::Deleted {
                    self.endpoints.swap_remove(&key);
                } else {
                    self.endpoints.insert(key.clone(), t.clone());
                }
                // An Endpoints changed by someone else is put back.
                if self.members.contains(&key) {
                    self.queue.add(key, cx);
                }
            }
            _ => {}
        }
    }

    /// Syncs every queued Service; or, at start, queues every Endpoints
    /// (`checkLeftoverEndpoints`: one whose Service is gone is deleted).
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        if token == LEFTOVERS {
            let keys: Vec<Key> = self
                .endpoints
                .iter()
                .filter(|(_, t)| !t.meta().annotations.contains_key(LEADER_ANNOTATION))
                .map(|(k, _)| k.clone())
                .collect();
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

impl EndpointsController {
    fn sync_service(&mut self, key: &Key, cx: &mut Cx) {
        let pods = cx.kcm_pods();
        let current = self.endpoints.get(key).and_then(|t| t.downcast::<Endpoints>()).cloned();
        let Some(svc) = self.members.service(key).cloned() else {
            // The Service is gone: so are its Endpoints.
            if let Some(cur) = current {
                cx.send_unanswered(ApiOp::Delete {
                    kind: Kind::Other,
                    other_kind: Some("Endpoints".into()),
                    key: key.clone(),
                    uid: Some(cur.meta.uid),
                    grace_seconds: None,
                    propagation: Propagation::Background,
                    disruption: None,
                });
            }
            return;
        };
        let Some(selector) = &svc.spec.selector else { return };
        let selected = self.members.selected(key, selector, pods, cx.config().endpoints_index);
        let subsets = endpoint_subsets(&svc, selected);
        let labels = svc.meta.labels.clone();
        match current {
            Some(cur) if cur.subsets == subsets && cur.meta.labels == labels => {}
            Some(cur) => {
                let meta = ObjectMeta { labels, ..cur.meta.clone() };
                let obj = Object::Typed(Rc::new(Endpoints { meta, subsets }));
                cx.send_unanswered(ApiOp::Update { obj, check_rv: false });
            }
            None => {
                let meta = ObjectMeta {
                    name: key.name.clone(),
                    namespace: key.namespace.clone(),
                    labels,
                    ..Default::default()
                };
                let obj = Object::Typed(Rc::new(Endpoints { meta, subsets }));
                cx.send_unanswered(ApiOp::Create(obj));
            }
        }
    }
}

/// Whether a Service's selector (`matchLabels` form: every pair present)
/// selects these labels; an empty selector selects nothing
/// (`labels.SelectorFromValidatedSet` of an empty set matches all, but
/// the controller skips services whose selector is empty).
pub(crate) fn selects(sel: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// `podutil.FindPort`: the number a service port's target port names on
/// this pod.
pub(crate) fn find_port(p: &Pod, target: &PortRef, protocol: &str) -> Option<u16> {
    match target {
        PortRef::Number(n) => Some(*n),
        PortRef::Name(name) => p
            .spec
            .containers
            .iter()
            .flat_map(|c| c.ports.iter())
            .find(|cp| cp.name.as_deref() == Some(name.as_str()) && cp.protocol == protocol)
            .map(|cp| cp.container_port),
    }
}

/// The subsets `syncService` builds for `svc` from the pods its selector
/// matches, packed as `RepackSubsets` packs them.
pub fn endpoint_subsets<'a>(svc: &Service, pods: impl Iterator<Item = &'a Rc<Pod>>) -> Vec<EndpointSubset> {
    let tolerate_unready = svc.spec.publish_not_ready_addresses;
    // Address → (ready, the ports it serves).
    let mut by_address: BTreeMap<EndpointAddress, (bool, Vec<EndpointPort>)> = BTreeMap::new();
    let headless_without_ports = svc.spec.ports.is_empty() && svc.spec.cluster_ip == ClusterIp::Headless;
    for p in pods {
        // `ShouldPodBeInEndpoints`.
        if p.status.phase.is_terminal() {
            continue;
        }
        let Some(ip) = p.status.pod_ip.clone() else { continue };
        if p.meta.deletion_timestamp.is_some() && !tolerate_unready {
            continue;
        }
        let address =
            EndpointAddress { ip, node_name: p.spec.node_name.clone(), pod: Some((p.meta.name.clone(), p.meta.uid)) };
        let ready = tolerate_unready || p.is_ready();
        let mut ports = Vec::new();
        for sp in &svc.spec.ports {
            if let Some(port) = find_port(p, &sp.target_port, &sp.protocol) {
                ports.push(EndpointPort { name: sp.name.clone(), port, protocol: sp.protocol.clone() });
            }
        }
        if ports.is_empty() && !headless_without_ports {
            continue;
        }
        ports.sort();
        by_address.insert(address, (ready, ports));
    }
    // Group the addresses by their port set.
    let mut subsets: BTreeMap<Vec<EndpointPort>, EndpointSubset> = BTreeMap::new();
    for (address, (ready, ports)) in by_address {
        let s = subsets.entry(ports.clone()).or_insert_with(|| EndpointSubset { ports, ..Default::default() });
        if ready {
            s.addresses.push(address);
        } else {
            s.not_ready_addresses.push(address);
        }
    }
    subsets.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::service::{ServicePort, ServiceSpec, ServiceType};
    use crate::objects::pod::{
        CondStatus, Condition, Container, ContainerPort, PodPhase, PodSpec, PodStatus, PullPolicy,
    };
    use crate::sim::SimTime;

    fn service(ports: Vec<(Option<&str>, PortRef)>, publish: bool, headless: bool) -> Service {
        Service {
            meta: ObjectMeta { name: "svc".into(), namespace: "default".into(), ..Default::default() },
            spec: ServiceSpec {
                cluster_ip: if headless { ClusterIp::Headless } else { ClusterIp::Auto },
                publish_not_ready_addresses: publish,
                ..ServiceSpec::new(
                    ServiceType::ClusterIP,
                    Some([("app".to_string(), "web".to_string())].into_iter().collect()),
                    ports
                        .into_iter()
                        .enumerate()
                        .map(|(i, (name, target_port))| ServicePort {
                            name: name.map(String::from),
                            protocol: "TCP".into(),
                            port: 80 + i as u16,
                            target_port,
                            node_port: None,
                        })
                        .collect(),
                )
            },
            load_balancer_ingress: vec![],
        }
    }

    /// A pod with an IP, its `http` port at `http`, ready or not.
    fn pod(name: &str, ip: &str, http: u16, ready: bool) -> Rc<Pod> {
        let mut c = Container::new("c", "img", PullPolicy::IfNotPresent);
        c.ports = vec![ContainerPort {
            name: Some("http".into()),
            container_port: http,
            protocol: "TCP".into(),
            host_port: None,
        }];
        let mut status = PodStatus { phase: PodPhase::Running, pod_ip: Some(ip.into()), ..Default::default() };
        status.conditions.ready =
            Some(Condition::new(if ready { CondStatus::True } else { CondStatus::False }, SimTime::ZERO));
        Rc::new(Pod {
            meta: ObjectMeta {
                name: name.into(),
                namespace: "default".into(),
                uid: ip.len() as u64,
                ..Default::default()
            },
            spec: Rc::new(PodSpec { containers: Rc::from([c]), node_name: Some("n1".into()), ..Default::default() }),
            status: Rc::new(status),
        })
    }

    fn ips(s: &[EndpointAddress]) -> Vec<&str> {
        s.iter().map(|a| &*a.ip).collect()
    }

    #[test]
    fn ready_and_not_ready_pods_and_the_pods_left_out() {
        let svc = service(vec![(None, PortRef::Number(8080))], false, false);
        let mut terminating = (*pod("d", "10.0.0.4", 8080, true)).clone();
        terminating.meta.deletion_timestamp = Some(SimTime::ZERO);
        let mut done = (*pod("e", "10.0.0.5", 8080, true)).clone();
        Rc::make_mut(&mut done.status).phase = PodPhase::Succeeded;
        let mut no_ip = (*pod("f", "10.0.0.6", 8080, true)).clone();
        Rc::make_mut(&mut no_ip.status).pod_ip = None;
        let pods = [
            pod("b", "10.0.0.2", 8080, true),
            pod("a", "10.0.0.10", 8080, true),
            pod("c", "10.0.0.3", 8080, false),
            Rc::new(terminating),
            Rc::new(done),
            Rc::new(no_ip),
        ];
        let subsets = endpoint_subsets(&svc, pods.iter());
        assert_eq!(subsets.len(), 1);
        // Sorted by IP as text, as `addrsByIPAndUID` sorts them.
        assert_eq!(ips(&subsets[0].addresses), ["10.0.0.10", "10.0.0.2"]);
        assert_eq!(ips(&subsets[0].not_ready_addresses), ["10.0.0.3"]);
        assert_eq!(subsets[0].ports, [EndpointPort { name: None, port: 8080, protocol: "TCP".into() }]);
        // publishNotReadyAddresses: every pod with an IP, terminating too.
        let publish = service(vec![(None, PortRef::Number(8080))], true, false);
        let subsets = endpoint_subsets(&publish, pods.iter());
        assert_eq!(ips(&subsets[0].addresses), ["10.0.0.10", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
        assert!(subsets[0].not_ready_addresses.is_empty());
    }

    #[test]
    fn named_target_ports_resolve_per_pod_into_subsets() {
        let svc = service(vec![(Some("http"), PortRef::Name("http".into()))], false, false);
        let pods =
            [pod("a", "10.0.0.1", 8080, true), pod("b", "10.0.0.2", 9090, true), pod("c", "10.0.0.3", 8080, true)];
        let subsets = endpoint_subsets(&svc, pods.iter());
        let view: Vec<(u16, Vec<&str>)> = subsets.iter().map(|s| (s.ports[0].port, ips(&s.addresses))).collect();
        assert_eq!(view, [(8080, vec!["10.0.0.1", "10.0.0.3"]), (9090, vec!["10.0.0.2"])]);
        // A port name the pod lacks leaves the pod out.
        let svc = service(vec![(Some("grpc"), PortRef::Name("grpc".into()))], false, false);
        assert!(endpoint_subsets(&svc, pods.iter()).is_empty());
        // A headless service without ports lists addresses alone.
        let headless = service(vec![], false, true);
        let subsets = endpoint_subsets(&headless, pods.iter());
        assert_eq!((subsets.len(), subsets[0].ports.len(), subsets[0].addresses.len()), (1, 0, 3));
    }
}
