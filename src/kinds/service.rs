//! `v1.Service`: the kind, the apiserver's strategy for it (defaulting as
//! `SetDefaults_Service`, the validation rules of `ValidateService` that
//! matter here, ClusterIP and NodePort allocation, what an update may
//! change) and how `kubectl get svc` prints it (`printService`).
//!
//! Its endpoints are the controllers' (`controllers::endpoints`,
//! `controllers::endpointslice`), its rules kube-proxy's (`proxy`), its
//! load balancer the cloud's (`controllers::servicelb`). Not modelled: IPv6
//! and dual stack, `loadBalancerIP`, a user-set `healthCheckNodePort`.

#![warn(missing_docs)]

use crate::objects::meta::ObjectMeta;
use crate::objects::probe::PortRef;
use crate::objects::typed::{ipv4, parse_ipv4, Allocators, KindInfo, TypedObject};
use crate::scenario::reader::{Fields, Reader, Unknown};
use crate::scenario::yaml::{Node as Y, Resolved};
use crate::sim::trace::{Digest, Digester};
use crate::sim::SimTime;
use serde_json::{json, Map, Value};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// The kind, for the store and kubectl.
pub static INFO: KindInfo = KindInfo {
    kind: "Service",
    group: "",
    version: "v1",
    namespaced: true,
    columns: &["TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
    wide_columns: &["SELECTOR"],
    tracks_generation: false,
};

/// `spec.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    /// A virtual IP inside the cluster (the default).
    ClusterIP,
    /// ClusterIP, and a port on every node.
    NodePort,
    /// NodePort, and an external load balancer.
    LoadBalancer,
    /// A DNS alias (`spec.externalName`); no IP, no proxying.
    ExternalName,
}

impl ServiceType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::ClusterIP => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
            ServiceType::ExternalName => "ExternalName",
        }
    }

    fn has_node_ports(self) -> bool {
        matches!(self, ServiceType::NodePort | ServiceType::LoadBalancer)
    }
}

/// `spec.clusterIP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterIp {
    /// Not given: the apiserver allocates one.
    Auto,
    /// `None`: a headless service.
    Headless,
    /// An IPv4 address (given, or allocated).
    Ip(u32),
}

/// One `spec.ports` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// `name` (required when there are several ports).
    pub name: Option<String>,
    /// `protocol` (default TCP).
    pub protocol: String,
    /// `port`, on the service's IP.
    pub port: u16,
    /// `targetPort` (default: `port`): a number or a container port name,
    /// resolved per pod.
    pub target_port: PortRef,
    /// `nodePort` (NodePort and LoadBalancer services; allocated when not
    /// given).
    pub node_port: Option<u16>,
}

/// `spec.sessionAffinity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionAffinity {
    /// No affinity.
    None,
    /// A client IP sticks to a backend for `timeoutSeconds` (default
    /// 10800).
    ClientIp {
        /// `sessionAffinityConfig.clientIP.timeoutSeconds`.
        timeout_seconds: u32,
    },
}

/// `v1.ServiceSpec`, the fields kubesim models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    /// `type`.
    pub type_: ServiceType,
    /// `selector`; `None`: a service without a selector (its Endpoints
    /// are written by hand).
    pub selector: Option<BTreeMap<String, String>>,
    /// `ports`.
    pub ports: Vec<ServicePort>,
    /// `clusterIP`.
    pub cluster_ip: ClusterIp,
    /// `externalName` (ExternalName services).
    pub external_name: Option<String>,
    /// `sessionAffinity`.
    pub session_affinity: SessionAffinity,
    /// `publishNotReadyAddresses`.
    pub publish_not_ready_addresses: bool,
    /// `externalTrafficPolicy` is `Local` (NodePort and LoadBalancer
    /// services; default Cluster).
    pub external_traffic_local: bool,
    /// `internalTrafficPolicy` is `Local` (default Cluster).
    pub internal_traffic_local: bool,
}

impl ServiceSpec {
    /// A spec with `SetDefaults_Service`'s defaults (no session affinity,
    /// Cluster traffic policies, an IP to allocate) for these fields.
    pub fn new(type_: ServiceType, selector: Option<BTreeMap<String, String>>, ports: Vec<ServicePort>) -> ServiceSpec {
        ServiceSpec {
            type_,
            selector,
            ports,
            cluster_ip: ClusterIp::Auto,
            external_name: None,
            session_affinity: SessionAffinity::None,
            publish_not_ready_addresses: false,
            external_traffic_local: false,
            internal_traffic_local: false,
        }
    }
}

/// A `v1.Service`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The spec.
    pub spec: ServiceSpec,
    /// `status.loadBalancer.ingress` IPs (empty until provisioned).
    pub load_balancer_ingress: Vec<String>,
}

impl Service {
    /// The cluster IP as text (`None` for headless, empty for
    /// ExternalName services and before allocation).
    pub fn cluster_ip_text(&self) -> String {
        match self.spec.cluster_ip {
            ClusterIp::Ip(ip) => ipv4(ip),
            ClusterIp::Headless => "None".into(),
            ClusterIp::Auto => String::new(),
        }
    }

    /// `ValidateService`'s rules for what kubesim models.
    fn validate(&self) -> Vec<String> {
        let s = &self.spec;
        let mut errs = Vec::new();
        let external = s.type_ == ServiceType::ExternalName;
        if external {
            if s.external_name.as_deref().is_none_or(str::is_empty) {
                errs.push("spec.externalName: Required value".into());
            }
        } else if s.ports.is_empty() && s.cluster_ip != ClusterIp::Headless {
            errs.push("spec.ports: Required value".into());
        }
        if s.cluster_ip == ClusterIp::Headless && s.type_ != ServiceType::ClusterIP && !external {
            errs.push(format!(
                "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for {} services",
                s.type_.as_str()
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, p) in s.ports.iter().enumerate() {
            match &p.name {
                None if s.ports.len() > 1 => errs.push(format!("spec.ports[{}].name: Required value", i)),
                Some(n) => {
                    let problems = crate::objects::validation::dns1123_label(n);
                    if !problems.is_empty() {
                        errs.push(format!(
                            "spec.ports[{}].name: {}",
                            i,
                            crate::objects::validation::invalid(n, &problems)
                        ));
                    }
                    if !names.insert(n.clone()) {
                        errs.push(format!("spec.ports[{}].name: Duplicate value: \"{}\"", i, n));
                    }
                }
                None => {}
            }
            if p.port == 0 {
                errs.push(format!("spec.ports[{}].port: Invalid value: 0: must be between 1 and 65535, inclusive", i));
            }
            if !["TCP", "UDP", "SCTP"].contains(&p.protocol.as_str()) {
                errs.push(format!(
                    "spec.ports[{}].protocol: Unsupported value: \"{}\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                    i, p.protocol
                ));
            }
            if p.node_port.is_some() && !s.type_.has_node_ports() {
                errs.push(format!(
                    "spec.ports[{}].nodePort: Forbidden: may not be used when `type` is '{}'",
                    i,
                    s.type_.as_str()
                ));
            }
        }
        errs
    }
}

impl TypedObject for Service {
    fn info(&self) -> &'static KindInfo {
        &INFO
    }

    fn meta(&self) -> &ObjectMeta {
        &self.meta
    }

    fn with_meta(&self, meta: ObjectMeta) -> Rc<dyn TypedObject> {
        Rc::new(Service { meta, ..self.clone() })
    }

    /// `status.loadBalancer`, written by the cloud provider's service
    /// controller.
    fn with_status_of(&self, new: &dyn TypedObject) -> Option<Rc<dyn TypedObject>> {
        let new = new.downcast::<Service>()?;
        Some(Rc::new(Service { load_balancer_ingress: new.load_balancer_ingress.clone(), ..self.clone() }))
    }

    fn prepare_create(&self, alloc: &mut Allocators) -> Result<Rc<dyn TypedObject>, Vec<String>> {
        let errs = self.validate();
        if !errs.is_empty() {
            return Err(errs);
        }
        let mut s = self.clone();
        s.load_balancer_ingress.clear();
        // The REST storage allocates after validation and gives everything
        // back when a later allocation fails.
        let mut taken_ip = None;
        let mut taken_ports = Vec::new();
        let undo = |alloc: &mut Allocators, ip: Option<u32>, ports: &[u16]| {
            if let Some(ip) = ip {
                alloc.release_cluster_ip(ip);
            }
            for p in ports {
                alloc.release_node_port(*p);
            }
        };
        if s.spec.type_ != ServiceType::ExternalName {
            match s.spec.cluster_ip {
                ClusterIp::Auto => match alloc.allocate_cluster_ip() {
                    Some(ip) => {
                        s.spec.cluster_ip = ClusterIp::Ip(ip);
                        taken_ip = Some(ip);
                    }
                    None => return Err(vec!["spec.clusterIPs: Internal error: range is full".into()]),
                },
                ClusterIp::Ip(ip) => {
                    alloc.take_cluster_ip(ip).map_err(|e| vec![format!("spec.clusterIPs[0]: {}", e)])?;
                    taken_ip = Some(ip);
                }
                ClusterIp::Headless => {}
            }
        }
        if s.spec.type_.has_node_ports() {
            for i in 0..s.spec.ports.len() {
                let got = match s.spec.ports[i].node_port {
                    Some(p) => {
                        alloc.take_node_port(p).map(|_| p).map_err(|e| format!("spec.ports[{}].nodePort: {}", i, e))
                    }
                    None => {
                        alloc.allocate_node_port().ok_or_else(|| format!("spec.ports[{}].nodePort: range is full", i))
                    }
                };
                match got {
                    Ok(p) => {
                        s.spec.ports[i].node_port = Some(p);
                        taken_ports.push(p);
                    }
                    Err(e) => {
                        undo(alloc, taken_ip, &taken_ports);
                        return Err(vec![e]);
                    }
                }
            }
        }
        Ok(Rc::new(s))
    }

    fn prepare_update(
        &self,
        new: &dyn TypedObject,
        alloc: &mut Allocators,
    ) -> Result<(Rc<dyn TypedObject>, bool), Vec<String>> {
        let new = new.downcast::<Service>().ok_or_else(|| vec!["kind: Invalid value: not a Service".to_string()])?;
        let mut spec = new.spec.clone();
        // What `kubectl apply` leaves out keeps its live value: the
        // allocated IP and node ports.
        if spec.cluster_ip == ClusterIp::Auto {
            spec.cluster_ip = self.spec.cluster_ip;
        }
        if spec.cluster_ip != self.spec.cluster_ip && self.spec.type_ != ServiceType::ExternalName {
            return Err(vec![format!(
                "spec.clusterIPs[0]: Invalid value: \"{}\": may not change once set",
                Service { spec: spec.clone(), ..self.clone() }.cluster_ip_text()
            )]);
        }
        if spec.type_ != self.spec.type_ {
            return Err(vec!["spec.type: changing the type is not simulated".to_string()]);
        }
        for (i, p) in spec.ports.iter_mut().enumerate() {
            if spec.type_.has_node_ports() && p.node_port.is_none() {
                p.node_port = self.spec.ports.get(i).and_then(|o| o.node_port);
            }
        }
        let updated =
            Service { meta: self.meta.clone(), spec, load_balancer_ingress: self.load_balancer_ingress.clone() };
        let errs = updated.validate();
        if !errs.is_empty() {
            return Err(errs);
        }
        // Node ports: give back the ones no longer used, take the new ones.
        let old: Vec<u16> = self.spec.ports.iter().filter_map(|p| p.node_port).collect();
        let now: Vec<u16> = updated.spec.ports.iter().filter_map(|p| p.node_port).collect();
        for p in now.iter().filter(|p| !old.contains(p)) {
            alloc.take_node_port(*p).map_err(|e| vec![format!("spec.ports.nodePort: {}", e)])?;
        }
        for p in old.iter().filter(|p| !now.contains(p)) {
            alloc.release_node_port(*p);
        }
        let changed = updated.spec != self.spec;
        Ok((Rc::new(updated), changed))
    }

    fn release(&self, alloc: &mut Allocators) {
        if let ClusterIp::Ip(ip) = self.spec.cluster_ip {
            alloc.release_cluster_ip(ip);
        }
        for p in self.spec.ports.iter().filter_map(|p| p.node_port) {
            alloc.release_node_port(p);
        }
    }

    fn digest_body(&self, d: &mut Digester) {
        let Service { meta: _, spec, load_balancer_ingress } = self;
        let ServiceSpec {
            type_,
            selector,
            ports,
            cluster_ip,
            external_name,
            session_affinity,
            publish_not_ready_addresses,
            external_traffic_local,
            internal_traffic_local,
        } = spec;
        d.tag(*type_ as u64);
        match selector {
            None => d.tag(0),
            Some(s) => {
                d.tag(1);
                s.digest(d);
            }
        }
        d.u64(ports.len() as u64);
        for p in ports {
            p.name.digest(d);
            d.str(&p.protocol);
            d.u64(p.port as u64);
            match &p.target_port {
                PortRef::Number(n) => {
                    d.tag(0);
                    d.u64(*n as u64);
                }
                PortRef::Name(n) => {
                    d.tag(1);
                    d.str(n);
                }
            }
            d.u64(p.node_port.map_or(u64::MAX, u64::from));
        }
        match cluster_ip {
            ClusterIp::Auto => d.tag(0),
            ClusterIp::Headless => d.tag(1),
            ClusterIp::Ip(ip) => {
                d.tag(2);
                d.u64(*ip as u64);
            }
        }
        external_name.digest(d);
        match session_affinity {
            SessionAffinity::None => d.tag(0),
            SessionAffinity::ClientIp { timeout_seconds } => {
                d.tag(1);
                d.u64(*timeout_seconds as u64);
            }
        }
        publish_not_ready_addresses.digest(d);
        external_traffic_local.digest(d);
        internal_traffic_local.digest(d);
        load_balancer_ingress.digest(d);
    }

    fn summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "type={} clusterIP={} ports={}", self.spec.type_.as_str(), self.cluster_ip_text(), ports_text(self))
    }

    fn body_json(&self) -> Map<String, Value> {
        let s = &self.spec;
        let mut spec = Map::new();
        if let ClusterIp::Ip(_) | ClusterIp::Headless = s.cluster_ip {
            spec.insert("clusterIP".into(), json!(self.cluster_ip_text()));
            spec.insert("clusterIPs".into(), json!([self.cluster_ip_text()]));
        }
        if let Some(n) = &s.external_name {
            spec.insert("externalName".into(), json!(n));
        }
        if s.type_.has_node_ports() {
            spec.insert(
                "externalTrafficPolicy".into(),
                json!(if s.external_traffic_local { "Local" } else { "Cluster" }),
            );
        }
        if s.type_ != ServiceType::ExternalName {
            spec.insert(
                "internalTrafficPolicy".into(),
                json!(if s.internal_traffic_local { "Local" } else { "Cluster" }),
            );
            spec.insert("ipFamilies".into(), json!(["IPv4"]));
            spec.insert("ipFamilyPolicy".into(), json!("SingleStack"));
        }
        if !s.ports.is_empty() {
            let ports: Vec<Value> = s
                .ports
                .iter()
                .map(|p| {
                    let mut o = Map::new();
                    if let Some(n) = &p.name {
                        o.insert("name".into(), json!(n));
                    }
                    if let Some(np) = p.node_port {
                        o.insert("nodePort".into(), json!(np));
                    }
                    o.insert("port".into(), json!(p.port));
                    o.insert("protocol".into(), json!(p.protocol));
                    o.insert(
                        "targetPort".into(),
                        match &p.target_port {
                            PortRef::Number(n) => json!(n),
                            PortRef::Name(n) => json!(n),
                        },
                    );
                    Value::Object(o)
                })
                .collect();
            spec.insert("ports".into(), Value::Array(ports));
        }
        if s.publish_not_ready_addresses {
            spec.insert("publishNotReadyAddresses".into(), json!(true));
        }
        if let Some(sel) = &s.selector {
            spec.insert("selector".into(), json!(sel));
        }
        match s.session_affinity {
            SessionAffinity::None => {
                spec.insert("sessionAffinity".into(), json!("None"));
            }
            SessionAffinity::ClientIp { timeout_seconds } => {
                spec.insert("sessionAffinity".into(), json!("ClientIP"));
                spec.insert("sessionAffinityConfig".into(), json!({"clientIP": {"timeoutSeconds": timeout_seconds}}));
            }
        }
        spec.insert("type".into(), json!(s.type_.as_str()));
        let mut lb = Map::new();
        if !self.load_balancer_ingress.is_empty() {
            let ingress: Vec<Value> = self.load_balancer_ingress.iter().map(|ip| json!({"ip": ip})).collect();
            lb.insert("ingress".into(), Value::Array(ingress));
        }
        let mut body = Map::new();
        body.insert("spec".into(), Value::Object(spec));
        body.insert("status".into(), json!({"loadBalancer": Value::Object(lb)}));
        body
    }

    fn row(&self, now: SimTime, wide: bool) -> Vec<String> {
        let s = &self.spec;
        // `printService`: EXTERNAL-IP is the external name, the load
        // balancer's ingress (`<pending>` until provisioned), or `<none>`.
        let external = match s.type_ {
            ServiceType::ExternalName => s.external_name.clone().unwrap_or_default(),
            ServiceType::LoadBalancer if self.load_balancer_ingress.is_empty() => "<pending>".into(),
            ServiceType::LoadBalancer => self.load_balancer_ingress.join(","),
            _ => "<none>".into(),
        };
        let cluster_ip = match s.cluster_ip {
            ClusterIp::Auto => "<none>".into(),
            _ => self.cluster_ip_text(),
        };
        let mut row = vec![
            s.type_.as_str().to_string(),
            cluster_ip,
            external,
            ports_text(self),
            crate::report::kubectl::age_of(&self.meta, now),
        ];
        if wide {
            row.push(match &s.selector {
                Some(sel) if !sel.is_empty() => {
                    sel.iter().map(|(k, v)| format!("{}={}", k, v)).collect::<Vec<_>>().join(",")
                }
                _ => "<none>".into(),
            });
        }
        row
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What `kubectl expose` asks for (its flags).
pub struct ExposeRequest<'a> {
    /// The Service's name and namespace.
    pub name: &'a str,
    /// Its namespace.
    pub namespace: &'a str,
    /// `--port`.
    pub port: Option<u16>,
    /// `--target-port`: a number or a port name.
    pub target_port: Option<&'a str>,
    /// `--protocol`.
    pub protocol: &'a str,
    /// `--type`.
    pub type_: &'a str,
}

/// The Service `kubectl expose` creates (`ServiceGeneratorV2`) for an
/// object selecting `selector`, labelled `labels`, whose containers
/// declare `container_ports` (number, protocol): one port from `--port`,
/// else one per container port (named `port-1`, `port-2`, … when there
/// are several), each targeting `--target-port` or itself.
pub fn exposing(
    req: &ExposeRequest,
    selector: BTreeMap<String, String>,
    labels: std::rc::Rc<BTreeMap<String, String>>,
    container_ports: &[(u16, String)],
) -> Result<Service, String> {
    if selector.is_empty() {
        return Err("error: couldn't retrieve selectors via --selector flag or introspection".into());
    }
    let ports: Vec<(u16, String)> = match req.port {
        Some(p) => vec![(p, req.protocol.to_string())],
        None if container_ports.is_empty() => {
            return Err("error: couldn't find port via --port flag or introspection".into());
        }
        None => container_ports.to_vec(),
    };
    let target = |port: u16| match req.target_port {
        None => PortRef::Number(port),
        Some(t) => match t.parse::<u16>() {
            Ok(n) => PortRef::Number(n),
            Err(_) => PortRef::Name(t.to_string()),
        },
    };
    let several = ports.len() > 1;
    let ports = ports
        .into_iter()
        .enumerate()
        .map(|(i, (port, protocol))| ServicePort {
            name: several.then(|| format!("port-{}", i + 1)),
            protocol,
            port,
            target_port: target(port),
            node_port: None,
        })
        .collect();
    let type_ = match req.type_ {
        "NodePort" => ServiceType::NodePort,
        "LoadBalancer" => ServiceType::LoadBalancer,
        _ => ServiceType::ClusterIP,
    };
    Ok(Service {
        meta: ObjectMeta { name: req.name.into(), namespace: req.namespace.into(), labels, ..Default::default() },
        spec: ServiceSpec::new(type_, Some(selector), ports),
        load_balancer_ingress: Vec::new(),
    })
}

/// `makePortString`: `80/TCP`, `80:30080/TCP` with a node port, joined
/// by commas; `<none>` without ports.
fn ports_text(s: &Service) -> String {
    if s.spec.ports.is_empty() {
        return "<none>".into();
    }
    s.spec
        .ports
        .iter()
        .map(|p| match p.node_port {
            Some(np) => format!("{}:{}/{}", p.port, np, p.protocol),
            None => format!("{}/{}", p.port, p.protocol),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Decodes a Service manifest's `spec` (metadata already read), with
/// `SetDefaults_Service`'s defaults.
pub fn decode(r: &mut Reader, f: &mut Fields, meta: ObjectMeta, what: &str) -> Option<Rc<dyn TypedObject>> {
    let mut spec = ServiceSpec::new(ServiceType::ClusterIP, None, Vec::new());
    if let Some(node) = f.get("spec") {
        let p = f.field("spec");
        let mut sf = r.fields(node, &p)?;
        if let Some(n) = sf.get("type") {
            let field = sf.field("type");
            spec.type_ = match r.str(n, &field)?.as_str() {
                "ClusterIP" => ServiceType::ClusterIP,
                "NodePort" => ServiceType::NodePort,
                "LoadBalancer" => ServiceType::LoadBalancer,
                "ExternalName" => ServiceType::ExternalName,
                other => {
                    r.err(n, &field, format!("Unsupported value: \"{}\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", other));
                    return None;
                }
            };
        }
        if let Some(n) = sf.get("selector") {
            spec.selector = Some(r.labels(n, &sf.field("selector")));
        }
        if let Some(n) = sf.get("clusterIP") {
            let field = sf.field("clusterIP");
            let text = r.str(n, &field)?;
            spec.cluster_ip = match text.as_str() {
                "" => ClusterIp::Auto,
                "None" => ClusterIp::Headless,
                t => match parse_ipv4(t) {
                    Some(ip) => ClusterIp::Ip(ip),
                    None => {
                        r.err(n, &field, format!("Invalid value: \"{}\": must be a valid IP address", t));
                        return None;
                    }
                },
            };
        }
        // `clusterIPs` repeats `clusterIP` (single stack).
        sf.skip(&["clusterIPs", "ipFamilies", "ipFamilyPolicy"]);
        if let Some(n) = sf.get("externalName") {
            spec.external_name = Some(r.str(n, &sf.field("externalName"))?);
        }
        if let Some(n) = sf.get("sessionAffinity") {
            let field = sf.field("sessionAffinity");
            spec.session_affinity = match r.str(n, &field)?.as_str() {
                "None" => SessionAffinity::None,
                "ClientIP" => SessionAffinity::ClientIp { timeout_seconds: 10_800 },
                other => {
                    r.err(
                        n,
                        &field,
                        format!("Unsupported value: \"{}\": supported values: \"ClientIP\", \"None\"", other),
                    );
                    return None;
                }
            };
        }
        if let Some(n) = sf.get("sessionAffinityConfig") {
            let timeout = n.get("clientIP").and_then(|c| c.get("timeoutSeconds"));
            if let (Some(t), SessionAffinity::ClientIp { timeout_seconds }) = (timeout, &mut spec.session_affinity) {
                let field = format!("{}.sessionAffinityConfig.clientIP.timeoutSeconds", p);
                *timeout_seconds = r.int_in(t, &field, 1, 86_400)? as u32;
            }
        }
        if let Some(n) = sf.get("publishNotReadyAddresses") {
            spec.publish_not_ready_addresses = r.bool(n, &sf.field("publishNotReadyAddresses"))?;
        }
        for (key, slot) in [
            ("externalTrafficPolicy", &mut spec.external_traffic_local),
            ("internalTrafficPolicy", &mut spec.internal_traffic_local),
        ] {
            if let Some(n) = sf.get(key) {
                let field = sf.field(key);
                *slot = match r.str(n, &field)?.as_str() {
                    "Cluster" => false,
                    "Local" => true,
                    other => {
                        r.err(
                            n,
                            &field,
                            format!("Unsupported value: \"{}\": supported values: \"Cluster\", \"Local\"", other),
                        );
                        return None;
                    }
                };
            }
        }
        if let Some(n) = sf.get("ports") {
            let pp = sf.field("ports");
            for (i, item) in r.seq(n, &pp).iter().enumerate() {
                spec.ports.push(decode_port(r, item, &format!("{}[{}]", pp, i), what)?);
            }
        }
        r.done(sf, Unknown::Warn, what);
    }
    f.skip(&["status"]);
    Some(Rc::new(Service { meta, spec, load_balancer_ingress: Vec::new() }))
}

fn decode_port(r: &mut Reader, item: &Y, p: &str, what: &str) -> Option<ServicePort> {
    let mut pf = r.fields(item, p)?;
    let name = match pf.get("name") {
        Some(n) => Some(r.str(n, &pf.field("name"))?),
        None => None,
    };
    let protocol = match pf.get("protocol") {
        Some(n) => r.str(n, &pf.field("protocol"))?,
        None => "TCP".into(),
    };
    let Some(port_node) = pf.get("port") else {
        r.err(item, &format!("{}.port", p), "Required value");
        return None;
    };
    let port = r.int_in(port_node, &pf.field("port"), 1, 65535)? as u16;
    let target_port = match pf.get("targetPort") {
        None => PortRef::Number(port),
        // An int-or-string: a number, or a container port's name.
        Some(n) => match n.resolve() {
            Some(Resolved::Int(_)) => PortRef::Number(r.int_in(n, &pf.field("targetPort"), 1, 65535)? as u16),
            _ => PortRef::Name(r.str(n, &pf.field("targetPort"))?),
        },
    };
    let node_port = match pf.get("nodePort") {
        Some(n) => Some(r.int_in(n, &pf.field("nodePort"), 1, 65535)? as u16),
        None => None,
    };
    pf.skip(&["appProtocol"]);
    r.done(pf, Unknown::Warn, what);
    Some(ServicePort { name, protocol, port, target_port, node_port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(f: impl FnOnce(&mut ServiceSpec)) -> Service {
        let mut spec = ServiceSpec::new(
            ServiceType::ClusterIP,
            Some([("app".to_string(), "kubia".to_string())].into_iter().collect()),
            vec![ServicePort {
                name: None,
                protocol: "TCP".into(),
                port: 80,
                target_port: PortRef::Number(8080),
                node_port: None,
            }],
        );
        f(&mut spec);
        Service { meta: ObjectMeta { name: "kubia".into(), ..Default::default() }, spec, load_balancer_ingress: vec![] }
    }

    fn created(s: &Service, alloc: &mut Allocators) -> Result<Service, Vec<String>> {
        s.prepare_create(alloc).map(|t| t.downcast::<Service>().expect("a Service").clone())
    }

    #[test]
    fn validation_as_validate_service_words_it() {
        let mut a = Allocators::new(1);
        for (what, s, want) in [
            (
                "two ports, one unnamed",
                svc(|s| s.ports.push(ServicePort { name: Some("b".into()), ..s.ports[0].clone() })),
                "spec.ports[0].name: Required value",
            ),
            ("no ports", svc(|s| s.ports.clear()), "spec.ports: Required value"),
            (
                "nodePort on ClusterIP",
                svc(|s| s.ports[0].node_port = Some(30001)),
                "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
            ),
            (
                "ExternalName without a name",
                svc(|s| s.type_ = ServiceType::ExternalName),
                "spec.externalName: Required value",
            ),
            (
                "headless NodePort",
                svc(|s| {
                    s.type_ = ServiceType::NodePort;
                    s.cluster_ip = ClusterIp::Headless
                }),
                "may not be set to 'None' for NodePort services",
            ),
            (
                "bad protocol",
                svc(|s| s.ports[0].protocol = "ICMP".into()),
                "spec.ports[0].protocol: Unsupported value: \"ICMP\"",
            ),
        ] {
            let errs = created(&s, &mut a).expect_err(what);
            assert!(errs.iter().any(|e| e.contains(want)), "{what}: {errs:?}");
        }
        let headless = created(
            &svc(|s| {
                s.cluster_ip = ClusterIp::Headless;
                s.ports.clear()
            }),
            &mut a,
        )
        .expect("headless, no ports");
        assert_eq!(headless.cluster_ip_text(), "None");
    }

    #[test]
    fn allocation_on_create_and_release_on_delete() {
        let mut a = Allocators::new(7);
        let np = created(&svc(|s| s.type_ = ServiceType::NodePort), &mut a).expect("NodePort");
        let (ClusterIp::Ip(ip), Some(port)) = (np.spec.cluster_ip, np.spec.ports[0].node_port) else {
            panic!("{np:?}")
        };
        // The same IP and port asked for again are taken.
        let again = svc(|s| {
            s.type_ = ServiceType::NodePort;
            s.cluster_ip = ClusterIp::Ip(ip)
        });
        assert!(created(&again, &mut a).expect_err("ip taken")[0].contains("provided IP is already allocated"));
        let again = svc(|s| {
            s.type_ = ServiceType::NodePort;
            s.ports[0].node_port = Some(port)
        });
        assert!(created(&again, &mut a).expect_err("port taken")[0].contains("provided port is already allocated"));
        // A failed create gives back what it took before failing.
        np.release(&mut a);
        assert_eq!(a.take_cluster_ip(ip), Ok(()));
        assert_eq!(a.take_node_port(port), Ok(()));
    }

    #[test]
    fn an_update_keeps_the_allocated_ip_and_ports_and_refuses_a_new_ip() {
        let mut a = Allocators::new(7);
        let cur = created(&svc(|s| s.type_ = ServiceType::NodePort), &mut a).expect("NodePort");
        let applied = svc(|s| {
            s.type_ = ServiceType::NodePort;
            s.ports[0].target_port = PortRef::Number(8081)
        });
        let (next, changed) = cur.prepare_update(&applied, &mut a).expect("update");
        let next = next.downcast::<Service>().expect("a Service");
        assert!(changed);
        assert_eq!(
            (next.spec.cluster_ip, next.spec.ports[0].node_port),
            (cur.spec.cluster_ip, cur.spec.ports[0].node_port)
        );
        let moved = svc(|s| {
            s.type_ = ServiceType::NodePort;
            s.cluster_ip = ClusterIp::Ip(parse_ipv4("10.96.0.50").unwrap())
        });
        assert!(cur.prepare_update(&moved, &mut a).expect_err("new ip")[0].contains("may not change once set"));
    }
}
