//! `v1.Endpoints`: the addresses behind a Service, as the endpoints
//! controller (`controllers::endpoints`) writes them for a Service with a
//! selector, or as a user writes them for one without (the book's
//! external-service example). Printed as `kubectl get endpoints` prints
//! them (`printEndpoints`, `formatEndpoints`).

#![warn(missing_docs)]

use crate::objects::meta::ObjectMeta;
use crate::objects::typed::{parse_ipv4, Allocators, KindInfo, TypedObject};
use crate::scenario::reader::{Fields, Reader, Unknown};
use crate::scenario::yaml::Node as Y;
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use serde_json::{json, Map, Value};
use std::any::Any;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "Endpoints",
    group: "",
    version: "v1",
    namespaced: true,
    columns: &["ENDPOINTS", "AGE"],
    wide_columns: &[],
    tracks_generation: false,
};

/// One `addresses` / `notReadyAddresses` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EndpointAddress {
    /// `ip`.
    pub ip: Rc<str>,
    /// `nodeName`.
    pub node_name: Option<Rc<str>>,
    /// `targetRef` to a pod: its name and uid.
    pub pod: Option<(Rc<str>, u64)>,
}

/// One `ports` entry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EndpointPort {
    /// `name` (the service port's name).
    pub name: Option<String>,
    /// `port`: the number on the pod.
    pub port: u16,
    /// `protocol`.
    pub protocol: String,
}

/// One `subsets` entry: addresses that all serve these ports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointSubset {
    /// `addresses`: ready.
    pub addresses: Vec<EndpointAddress>,
    /// `notReadyAddresses`.
    pub not_ready_addresses: Vec<EndpointAddress>,
    /// `ports`.
    pub ports: Vec<EndpointPort>,
}

/// A `v1.Endpoints`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// Metadata (the Service's name and namespace).
    pub meta: ObjectMeta,
    /// `subsets`.
    pub subsets: Vec<EndpointSubset>,
}

impl Endpoints {
    /// The ready addresses, in order.
    pub fn ready_ips(&self) -> impl Iterator<Item = &str> {
        self.subsets.iter().flat_map(|s| s.addresses.iter().map(|a| &*a.ip))
    }

    fn validate(&self) -> Vec<String> {
        let mut errs = Vec::new();
        for (i, s) in self.subsets.iter().enumerate() {
            for (j, a) in s.addresses.iter().chain(&s.not_ready_addresses).enumerate() {
                if parse_ipv4(&a.ip).is_none() {
                    errs.push(format!(
                        "subsets[{}].addresses[{}].ip: Invalid value: \"{}\": must be a valid IP address",
                        i, j, a.ip
                    ));
                }
            }
            if s.ports.len() > 1 && s.ports.iter().any(|p| p.name.is_none()) {
                errs.push(format!("subsets[{}].ports[0].name: Required value", i));
            }
        }
        errs
    }
}

impl TypedObject for Endpoints {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(Endpoints { meta, ..self.clone() })
    }

    fn prepare_create(&self, _alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        let errs = self.validate();
        if errs.is_empty() {
            Ok(Rc::new(self.clone()))
        } else {
            Err(errs)
        }
    }

    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        _alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        let new = new.downcast::<Endpoints>().ok_or_else(|| vec!["kind: Invalid value: not Endpoints".to_string()])?;
        let errs = new.validate();
        if !errs.is_empty() {
            return Err(errs);
        }
        let changed = new.subsets != self.subsets;
        Ok((Rc::new(Endpoints { meta: self.meta.clone(), subsets: new.subsets.clone() }), changed))
    }

    fn digest_body(&self, d: &mut Digester) {
        d.u64(self.subsets.len() as u64);
        for s in &self.subsets {
            for list in [&s.addresses, &s.not_ready_addresses] {
                d.u64(list.len() as u64);
                for a in list {
                    d.str(&a.ip);
                    a.node_name.as_deref().map(str::to_string).digest(d);
                    match &a.pod {
                        None => d.tag(0),
                        Some((name, uid)) => {
                            d.tag(1);
                            d.str(name);
                            d.u64(*uid);
                        }
                    }
                }
            }
            d.u64(s.ports.len() as u64);
            for p in &s.ports {
                p.name.digest(d);
                d.u64(p.port as u64);
                d.str(&p.protocol);
            }
        }
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ready: usize = self.subsets.iter().map(|s| s.addresses.len()).sum();
        let not_ready: usize = self.subsets.iter().map(|s| s.not_ready_addresses.len()).sum();
        write!(f, "ready={} notReady={}", ready, not_ready)
    }

    fn body_json(&self) -> Map<String, Value> {
        let address = |a: &EndpointAddress, ns: &str| {
            let mut o = Map::new();
            o.insert("ip".into(), json!(&*a.ip));
            if let Some(n) = &a.node_name {
                o.insert("nodeName".into(), json!(&**n));
            }
            if let Some((name, uid)) = &a.pod {
                o.insert(
                    "targetRef".into(),
                    json!({"kind": "Pod", "name": &**name, "namespace": ns,
                           "uid": crate::objects::meta::uid_string(*uid)}),
                );
            }
            Value::Object(o)
        };
        let ns = &*self.meta.namespace;
        let subsets: Vec<Value> = self
            .subsets
            .iter()
            .map(|s| {
                let mut o = Map::new();
                if !s.addresses.is_empty() {
                    o.insert("addresses".into(), s.addresses.iter().map(|a| address(a, ns)).collect());
                }
                if !s.not_ready_addresses.is_empty() {
                    o.insert(
                        "notReadyAddresses".into(),
                        s.not_ready_addresses.iter().map(|a| address(a, ns)).collect(),
                    );
                }
                if !s.ports.is_empty() {
                    let ports: Vec<Value> = s
                        .ports
                        .iter()
                        .map(|p| {
                            let mut po = Map::new();
                            if let Some(n) = &p.name {
                                po.insert("name".into(), json!(n));
                            }
                            po.insert("port".into(), json!(p.port));
                            po.insert("protocol".into(), json!(p.protocol));
                            Value::Object(po)
                        })
                        .collect();
                    o.insert("ports".into(), Value::Array(ports));
                }
                Value::Object(o)
            })
            .collect();
        let mut body = Map::new();
        if !subsets.is_empty() {
            body.insert("subsets".into(), Value::Array(subsets));
        }
        body
    }

    fn row(&self, now: SimTime, _wide: bool) -> Vec<String> {
        vec![format_endpoints(self), crate::report::kubectl::age_of(&self.meta, now)]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `formatEndpoints`: up to three ready `ip:port` (or `ip` for a subset
/// without ports), then ` + N more...`; `<none>` without subsets (and an
/// empty cell when no address is ready, as kubectl prints it).
pub fn format_endpoints(e: &Endpoints) -> String {
    if e.subsets.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let (mut more, mut count) = (false, 0);
    for s in &e.subsets {
        if s.ports.is_empty() {
            count += s.addresses.len();
            for a in &s.addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(a.ip.to_string());
            }
            continue;
        }
        for p in &s.ports {
            count += s.addresses.len();
            for a in &s.addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(format!("{}:{}", a.ip, p.port));
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{} + {} more...", ret, count - MAX)
    } else {
        ret
    }
}

/// Decodes an Endpoints manifest's `subsets` (metadata already read).
pub fn decode(r: &mut Reader, f: &mut Fields, meta: ObjectMeta, what: &str) -> Option<Rc<dyn TypedObject>> {
    let mut subsets = Vec::new();
    if let Some(node) = f.get("subsets") {
        let p = f.field("subsets");
        for (i, item) in r.seq(node, &p).iter().enumerate() {
            subsets.push(decode_subset(r, item, &format!("{}[{}]", p, i), what)?);
        }
    }
    Some(Rc::new(Endpoints { meta, subsets }))
}

fn decode_subset(r: &mut Reader, item: &Y, p: &str, what: &str) -> Option<EndpointSubset> {
    let mut sf = r.fields(item, p)?;
    let mut s = EndpointSubset::default();
    for (key, list) in [("addresses", &mut s.addresses), ("notReadyAddresses", &mut s.not_ready_addresses)] {
        if let Some(n) = sf.get(key) {
            let lp = sf.field(key);
            for (i, a) in r.seq(n, &lp).iter().enumerate() {
                let ap = format!("{}[{}]", lp, i);
                let mut af = r.fields(a, &ap)?;
                let Some(ip_node) = af.get("ip") else {
                    r.err(a, &format!("{}.ip", ap), "Required value");
                    return None;
                };
                let ip = r.str(ip_node, &af.field("ip"))?;
                if parse_ipv4(&ip).is_none() {
                    r.err(ip_node, &af.field("ip"), format!("Invalid value: \"{}\": must be a valid IP address", ip));
                    return None;
                }
                let node_name = match af.get("nodeName") {
                    Some(n) => Some(Rc::from(r.str(n, &af.field("nodeName"))?)),
                    None => None,
                };
                af.skip(&["targetRef", "hostname"]);
                r.done(af, Unknown::Warn, what);
                list.push(EndpointAddress { ip: ip.into(), node_name, pod: None });
            }
        }
    }
    if let Some(n) = sf.get("ports") {
        let pp = sf.field("ports");
        for (i, item) in r.seq(n, &pp).iter().enumerate() {
            let ip = format!("{}[{}]", pp, i);
            let mut pf = r.fields(item, &ip)?;
            let name = match pf.get("name") {
                Some(n) => Some(r.str(n, &pf.field("name"))?),
                None => None,
            };
            let Some(port_node) = pf.get("port") else {
                r.err(item, &format!("{}.port", ip), "Required value");
                return None;
            };
            let port = r.int_in(port_node, &pf.field("port"), 1, 65535)? as u16;
            let protocol = match pf.get("protocol") {
                Some(n) => r.str(n, &pf.field("protocol"))?,
                None => "TCP".into(),
            };
            pf.skip(&["appProtocol"]);
            r.done(pf, Unknown::Warn, what);
            s.ports.push(EndpointPort { name, port, protocol });
        }
    }
    r.done(sf, Unknown::Warn, what);
    Some(s)
}
