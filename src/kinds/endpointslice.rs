//! `discovery.k8s.io/v1.EndpointSlice`: up to 100 endpoints of a Service
//! with their conditions, as the endpointslice controller
//! (`controllers::endpointslice`) writes them, printed as `kubectl get
//! endpointslices` prints them (`printEndpointSlice`).

#![warn(missing_docs)]

use crate::kinds::endpoints::EndpointPort;
use crate::objects::meta::ObjectMeta;
use crate::objects::typed::{Allocators, KindInfo, TypedObject};
use crate::scenario::reader::{Fields, Reader};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use serde_json::{json, Map, Value};
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "EndpointSlice",
    group: "discovery.k8s.io",
    version: "v1",
    namespaced: true,
    columns: &["ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
    wide_columns: &[],
    tracks_generation: true,
};

/// The label naming a slice's Service.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// The label naming the controller that manages a slice.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// The endpointslice controller's value of `LABEL_MANAGED_BY`.
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
/// At most this many endpoints in one slice (`--max-endpoints-per-slice`).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// One endpoint: a pod's address and conditions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    /// `addresses[0]`: the pod IP.
    pub address: Rc<str>,
    /// `conditions.ready`: serving and not terminating (always true with
    /// `publishNotReadyAddresses`).
    pub ready: bool,
    /// `conditions.serving`: the pod is Ready.
    pub serving: bool,
    /// `conditions.terminating`: the pod is being deleted.
    pub terminating: bool,
    /// `nodeName`.
    pub node_name: Option<Rc<str>>,
    /// `zone`: the node's `topology.kubernetes.io/zone` label.
    pub zone: Option<String>,
    /// `targetRef` to a pod: its name and uid.
    pub pod: Option<(Rc<str>, u64)>,
}

/// A `discovery.k8s.io/v1.EndpointSlice` (`addressType: IPv4`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointSlice {
    /// Metadata (`generateName: <service>-`, the service-name label, the
    /// Service as controller owner).
    pub meta: ObjectMeta,
    /// `endpoints`.
    pub endpoints: Vec<Endpoint>,
    /// `ports`.
    pub ports: Vec<EndpointPort>,
}

impl EndpointSlice {
    /// The Service this slice belongs to (its service-name label).
    pub fn service_name(&self) -> Option<&str> {
        self.meta.labels.get(LABEL_SERVICE_NAME).map(String::as_str)
    }
}

impl TypedObject for EndpointSlice {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(EndpointSlice { meta, ..self.clone() })
    }

    fn prepare_create(&self, _alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        if self.endpoints.len() > 1000 {
            return Err(vec!["endpoints: Too many: must have at most 1000 items".into()]);
        }
        Ok(Rc::new(self.clone()))
    }

    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        _alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        let new = new
            .downcast::<EndpointSlice>()
            .ok_or_else(|| vec!["kind: Invalid value: not an EndpointSlice".to_string()])?;
        let changed = new.endpoints != self.endpoints || new.ports != self.ports;
        Ok((Rc::new(EndpointSlice { meta: self.meta.clone(), ..new.clone() }), changed))
    }

    fn digest_body(&self, d: &mut Digester) {
        d.u64(self.endpoints.len() as u64);
        for e in &self.endpoints {
            d.str(&e.address);
            e.ready.digest(d);
            e.serving.digest(d);
            e.terminating.digest(d);
            e.node_name.as_deref().map(str::to_string).digest(d);
            e.zone.digest(d);
            match &e.pod {
                None => d.tag(0),
                Some((name, uid)) => {
                    d.tag(1);
                    d.str(name);
                    d.u64(*uid);
                }
            }
        }
        d.u64(self.ports.len() as u64);
        for p in &self.ports {
            p.name.digest(d);
            d.u64(p.port as u64);
            d.str(&p.protocol);
        }
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ready = self.endpoints.iter().filter(|e| e.ready).count();
        write!(f, "service={} endpoints={} ready={}", self.service_name().unwrap_or("-"), self.endpoints.len(), ready)
    }

    fn body_json(&self) -> Map<String, Value> {
        let ns = &*self.meta.namespace;
        let endpoints: Vec<Value> = self
            .endpoints
            .iter()
            .map(|e| {
                let mut o = Map::new();
                o.insert("addresses".into(), json!([&*e.address]));
                o.insert(
                    "conditions".into(),
                    json!({"ready": e.ready, "serving": e.serving, "terminating": e.terminating}),
                );
                if let Some(n) = &e.node_name {
                    o.insert("nodeName".into(), json!(&**n));
                }
                if let Some((name, uid)) = &e.pod {
                    o.insert(
                        "targetRef".into(),
                        json!({"kind": "Pod", "name": &**name, "namespace": ns,
                               "uid": crate::objects::meta::uid_string(*uid)}),
                    );
                }
                if let Some(z) = &e.zone {
                    o.insert("zone".into(), json!(z));
                }
                Value::Object(o)
            })
            .collect();
        let ports: Vec<Value> = self
            .ports
            .iter()
            .map(|p| json!({"name": p.name.clone().unwrap_or_default(), "port": p.port, "protocol": p.protocol}))
            .collect();
        let mut body = Map::new();
        body.insert("addressType".into(), json!("IPv4"));
        body.insert("endpoints".into(), if endpoints.is_empty() { Value::Null } else { Value::Array(endpoints) });
        body.insert("ports".into(), if ports.is_empty() { Value::Null } else { Value::Array(ports) });
        body
    }

    fn row(&self, now: SimTime, _wide: bool) -> Vec<String> {
        // `formatEndpointSlicePorts` and `formatEndpointSliceEndpoints`.
        let ports = if self.ports.is_empty() {
            "<unset>".to_string()
        } else {
            self.ports.iter().map(|p| p.port.to_string()).collect::<Vec<_>>().join(",")
        };
        let endpoints = if self.endpoints.is_empty() {
            "<unset>".to_string()
        } else {
            let list: Vec<&str> = self.endpoints.iter().take(3).map(|e| &*e.address).collect();
            let more = self.endpoints.len().saturating_sub(3);
            if more > 0 {
                format!("{} + {} more...", list.join(","), more)
            } else {
                list.join(",")
            }
        };
        vec!["IPv4".into(), ports, endpoints, crate::report::kubectl::age_of(&self.meta, now)]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A manifest's EndpointSlice: its metadata only. The endpointslice
/// controller writes the slices of Services with a selector; a
/// hand-written slice's `endpoints` and `ports` are reported as not
/// simulated (the manifest decoder warns of fields nobody read).
pub fn decode(_r: &mut Reader, f: &mut Fields, meta: ObjectMeta, _what: &str) -> Option<Rc<dyn TypedObject>> {
    f.skip(&["addressType"]);
    Some(Rc::new(EndpointSlice { meta, endpoints: Vec::new(), ports: Vec::new() }))
}
