//! The cloud provider's service controller (cloud-controller-manager's
//! `service-lb-controller`, `k8s.io/cloud-provider/controllers/service`):
//! a LoadBalancer Service gets its load balancer, and its external IP in
//! `status.loadBalancer.ingress`, `loadBalancerProvisioning` (30 s by
//! default) after the controller first sees it without one.
//!
//! It is a component like the others: it learns of Services from its
//! watch, keeps the versions its informer holds (its Service lister),
//! waits for the cloud on a timer of its own and writes the status
//! through its client. It records `EnsuringLoadBalancer` when it starts
//! and `EnsuredLoadBalancer` when the cloud is done, as the controller
//! does.
//!
//! The cloud outlives the controller's process ([`Cloud`]): a restarted
//! controller asks again (`EnsureLoadBalancer` is idempotent), and the
//! cloud answers with the balancer it has, or goes on with the one still
//! being provisioned. The simulated cloud hands out IPs from
//! 203.0.113.0/24 upwards (TEST-NET-3), in the order load balancers
//! become ready. The load balancer's node pool is every node
//! (`StableLoadBalancerNodeSet`: node readiness is not a criterion); which
//! nodes it sends a connection to is decided by its health checks
//! (`proxy::KubeProxies::lb_healthy`).

#![warn(missing_docs)]

use crate::component::{Controller, Cx};
use crate::kinds::service::{Service, ServiceType};
use crate::objects::store::{ApiOp, Key, WatchEvent, WatchKind};
use crate::objects::typed::ipv4;
use crate::objects::{Kind, Object};
use crate::sim::SimTime;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The `source` of its Events (the controller's event recorder).
pub const SOURCE: &str = "service-controller";

/// The first address the simulated cloud gives a load balancer.
const FIRST_IP: u32 = 0xCB00_710A; // 203.0.113.10

/// One load balancer of the cloud.
#[derive(Debug)]
struct Balancer {
    /// When its provisioning is done.
    ready_at: SimTime,
    /// Its address, once ready.
    ip: Option<u32>,
}

/// The cloud provider's load-balancer API, as the controller sees it: it
/// outlives the controller's process (one per simulation, shared by the
/// controller's lives).
#[derive(Debug, Default)]
pub struct Cloud {
    /// Load balancers by the uid of their Service (the cloud names a
    /// balancer after it: `GetLoadBalancerName`).
    balancers: BTreeMap<u64, Balancer>,
    /// Load balancers that have become ready so far.
    provisioned: u32,
}

impl Cloud {
    /// `EnsureLoadBalancer` for the Service `uid`: when its balancer is
    /// ready (`ready_at` for a new one; an existing one keeps its time).
    fn ensure(&mut self, uid: u64, ready_at: SimTime) -> SimTime {
        self.balancers.entry(uid).or_insert(Balancer { ready_at, ip: None }).ready_at
    }

    /// The balancer of `uid` is ready: its address (a new one the first
    /// time).
    fn address(&mut self, uid: u64) -> u32 {
        let b = self.balancers.get_mut(&uid).expect("an ensured balancer");
        *b.ip.get_or_insert_with(|| {
            self.provisioned += 1;
            FIRST_IP + self.provisioned - 1
        })
    }

    /// `EnsureLoadBalancerDeleted`.
    fn delete(&mut self, uid: u64) {
        self.balancers.remove(&uid);
    }
}

/// The service controller: the Services its informer holds, and the load
/// balancers it is waiting for.
#[derive(Debug, Default)]
pub struct ServiceLbController {
    cloud: Rc<RefCell<Cloud>>,
    /// The LoadBalancer Services its informer holds, by key (the others
    /// are of no concern to it).
    services: BTreeMap<Key, Object>,
    /// Services whose load balancer is being provisioned, by key: the uid
    /// of the Service it is for.
    provisioning: BTreeMap<Key, u64>,
    /// Each pending timer's provisioning, by token.
    timers: BTreeMap<u64, (Key, u64)>,
    next_token: u64,
}

/// The Service an object is, if it is one.
fn service(obj: &Object) -> Option<&Service> {
    match obj {
        Object::Typed(t) => t.downcast::<Service>(),
        _ => None,
    }
}

/// `needsUpdate` (`k8s.io/cloud-provider/controllers/service`): whether a
/// change of a LoadBalancer Service concerns its load balancer: its type,
/// ports, session affinity, annotations, uid or external traffic policy
/// (of the fields kubesim models).
fn needs_update(old: &Service, new: &Service) -> bool {
    old.spec.type_ != new.spec.type_
        || old.spec.ports != new.spec.ports
        || old.spec.session_affinity != new.spec.session_affinity
        || old.meta.annotations != new.meta.annotations
        || old.meta.uid != new.meta.uid
        || old.spec.external_traffic_local != new.spec.external_traffic_local
}

impl ServiceLbController {
    /// A new process of the controller, talking to `cloud`.
    pub fn new(cloud: Rc<RefCell<Cloud>>) -> Self {
        ServiceLbController { cloud, ..Default::default() }
    }
}

impl Controller for ServiceLbController {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }

    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Service"]
    }

    /// A LoadBalancer Service without ingress starts a provisioning.
    fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
        let Some(svc) = service(&ev.obj) else { return };
        let key = Key::of(&svc.meta);
        let uid = svc.meta.uid;
        if ev.kind == WatchKind::Deleted {
            // (By uid: a late deletion of an earlier Service of the name
            // leaves the new one alone.)
            if self.services.get(&key).and_then(service).is_some_and(|s| s.meta.uid == uid) {
                self.services.remove(&key);
            }
            if self.provisioning.get(&key) == Some(&uid) {
                self.provisioning.remove(&key);
            }
            self.cloud.borrow_mut().delete(uid);
            return;
        }
        if svc.spec.type_ != ServiceType::LoadBalancer {
            self.services.remove(&key);
            return;
        }
        self.services.insert(key.clone(), ev.obj.clone());
        // `updateService` queues a sync only when `needsUpdate` says what
        // the load balancer is made of changed (a new label, or the
        // controller's own status write, does not).
        let old = ev.old.as_ref().and_then(service);
        if ev.kind == WatchKind::Modified && old.is_some_and(|o| !needs_update(o, svc)) {
            return;
        }
        if !svc.load_balancer_ingress.is_empty() || self.provisioning.get(&key) == Some(&uid) {
            return;
        }
        self.provisioning.insert(key.clone(), uid);
        cx.event_on(false, "EnsuringLoadBalancer", "Service", &key.namespace, &key.name, &"Ensuring load balancer");
        let at = self.cloud.borrow_mut().ensure(uid, cx.now() + cx.config().load_balancer_provisioning);
        let token = self.next_token;
        self.next_token += 1;
        self.timers.insert(token, (key, uid));
        cx.at(at, token);
    }

    /// The cloud finished the load balancer it was asked for: its ingress
    /// is written, if the Service (as the informer has it) still wants
    /// one.
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let Some((key, uid)) = self.timers.remove(&token) else { return };
        // The provisioning of a Service deleted meanwhile (one of the same
        // name may be provisioning now) is abandoned.
        if self.provisioning.get(&key) != Some(&uid) {
            return;
        }
        self.provisioning.remove(&key);
        let Some(svc) = self.services.get(&key).and_then(service) else { return };
        if svc.meta.uid != uid || !svc.load_balancer_ingress.is_empty() {
            return;
        }
        let ip = ipv4(self.cloud.borrow_mut().address(uid));
        let mut with = svc.clone();
        with.load_balancer_ingress = vec![ip];
        cx.event_on(false, "EnsuredLoadBalancer", "Service", &key.namespace, &key.name, &"Ensured load balancer");
        // (`patchStatus`: a merge patch of the status, no precondition.)
        cx.send_unanswered(ApiOp::TypedStatus { obj: Rc::new(with), check_rv: false });
    }
}
