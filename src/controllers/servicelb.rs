//! The cloud provider's service controller (cloud-controller-manager's
//! `service-lb-controller`, `k8s.io/cloud-provider/controllers/service`):
//! a LoadBalancer Service gets its load balancer, and its external IP in
//! `status.loadBalancer.ingress`, `loadBalancerProvisioning` (30 s by
//! default) after the controller first sees it without one.
//!
//! It records `EnsuringLoadBalancer` when it starts and
//! `EnsuredLoadBalancer` when the cloud is done, as the controller does.
//! The simulated cloud hands out IPs from 203.0.113.0/24 upwards
//! (TEST-NET-3), in the order load balancers are provisioned. The load
//! balancer's node pool is every node (`StableLoadBalancerNodeSet`: node
//! readiness is not a criterion); which nodes it sends a connection to is
//! decided by its health checks (`proxy::KubeProxies::lb_healthy`).

#![warn(missing_docs)]

use crate::kinds::service::{Service, ServiceType};
use crate::objects::store::{ApiOp, Key, Store, WatchEvent, WatchKind};
use crate::objects::typed::ipv4;
use crate::objects::Object;
use crate::runtime::{Client, Ctx, Event};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The first address the simulated cloud gives a load balancer.
const FIRST_IP: u32 = 0xCB00_710A; // 203.0.113.10

/// The service controller's state: the load balancers being provisioned.
#[derive(Debug, Default)]
pub struct ServiceLbController {
    /// Services whose load balancer is being provisioned, by key: the uid
    /// of the Service it is for.
    provisioning: BTreeMap<Key, u64>,
    /// Load balancers provisioned so far.
    provisioned: u32,
}

impl ServiceLbController {
    /// No load balancer yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A LoadBalancer Service without ingress starts a provisioning.
    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        let Object::Typed(t) = &ev.obj else { return };
        let Some(svc) = t.downcast::<Service>() else { return };
        let key = Key::of(&svc.meta);
        if ev.kind == WatchKind::Deleted {
            self.provisioning.remove(&key);
            return;
        }
        if svc.spec.type_ != ServiceType::LoadBalancer || !svc.load_balancer_ingress.is_empty() {
            return;
        }
        if self.provisioning.get(&key) == Some(&svc.meta.uid) {
            return;
        }
        self.provisioning.insert(key.clone(), svc.meta.uid);
        ctx.event(
            false,
            "service-controller",
            "EnsuringLoadBalancer",
            "Service",
            &key.namespace,
            &key.name,
            &"Ensuring load balancer",
        );
        let at = ctx.now + ctx.cfg.load_balancer_provisioning;
        let uid = svc.meta.uid;
        ctx.queue.push(at, Event::LoadBalancerReady(key, uid));
    }

    /// The cloud finished the load balancer of `key`: its ingress is
    /// written, if the Service still wants one.
    pub fn on_ready(&mut self, key: &Key, uid: u64, store: &Store, ctx: &mut Ctx) {
        // The provisioning of a Service deleted meanwhile (one of the same
        // name may be provisioning now) is abandoned.
        if self.provisioning.get(key) != Some(&uid) {
            return;
        }
        self.provisioning.remove(key);
        let Some(obj) = store.typed.get(&("Service".to_string(), key.clone())) else { return };
        let Some(svc) = obj.downcast::<Service>() else { return };
        if svc.meta.uid != uid || svc.spec.type_ != ServiceType::LoadBalancer || !svc.load_balancer_ingress.is_empty() {
            return;
        }
        let ip = ipv4(FIRST_IP + self.provisioned);
        self.provisioned += 1;
        let mut with = svc.clone();
        with.load_balancer_ingress = vec![ip];
        ctx.event(
            false,
            "service-controller",
            "EnsuredLoadBalancer",
            "Service",
            &key.namespace,
            &key.name,
            &"Ensured load balancer",
        );
        ctx.send(Client::ServiceLb, ApiOp::TypedStatus { obj: Rc::new(with), check_rv: false });
    }
}
