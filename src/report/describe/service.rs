//! `describeService`: the Service, with its endpoints as its
//! EndpointSlices list them (`formatEndpointSlices`, per port).

use super::{annotations_multiline, events, labels_multiline, Out};
use crate::kinds::endpointslice::EndpointSlice;
use crate::kinds::service::{Service, ServiceType, SessionAffinity};
use crate::objects::probe::PortRef;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;

/// What `kubectl describe service` prints for `s` at `now`; `slices` are
/// its EndpointSlices (by the `kubernetes.io/service-name` label).
pub fn describe_service(s: &Service, slices: &[&EndpointSlice], all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    w.w(0, &format!("Name:\t{}\n", s.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", s.meta.namespace));
    labels_multiline(&mut w, "Labels", &s.meta.labels);
    annotations_multiline(&mut w, "Annotations", &s.meta.annotations);
    let selector =
        s.spec.selector.as_ref().map(crate::report::kubectl::format_labels).unwrap_or_else(|| "<none>".into());
    w.w(0, &format!("Selector:\t{}\n", selector));
    w.w(0, &format!("Type:\t{}\n", s.spec.type_.as_str()));
    let external = s.spec.type_ == ServiceType::ExternalName;
    if !external {
        w.w(0, "IP Family Policy:\tSingleStack\n");
        w.w(0, "IP Families:\tIPv4\n");
    } else {
        w.w(0, "IP Families:\t<none>\n");
    }
    let ip = s.cluster_ip_text();
    w.w(0, &format!("IP:\t{}\n", ip));
    w.w(0, &format!("IPs:\t{}\n", if ip.is_empty() { "<none>".to_string() } else { ip }));
    if let Some(n) = &s.spec.external_name {
        w.w(0, &format!("External Name:\t{}\n", n));
    }
    if !s.load_balancer_ingress.is_empty() {
        w.w(0, &format!("LoadBalancer Ingress:\t{}\n", s.load_balancer_ingress.join(", ")));
    }
    for p in &s.spec.ports {
        let name = p.name.clone().unwrap_or_else(|| "<unset>".into());
        w.w(0, &format!("Port:\t{}\t{}/{}\n", name, p.port, p.protocol));
        match &p.target_port {
            PortRef::Number(n) => w.w(0, &format!("TargetPort:\t{}/{}\n", n, p.protocol)),
            PortRef::Name(n) => w.w(0, &format!("TargetPort:\t{}/{}\n", n, p.protocol)),
        }
        if let Some(np) = p.node_port {
            w.w(0, &format!("NodePort:\t{}\t{}/{}\n", name, np, p.protocol));
        }
        let port_name = p.name.clone().unwrap_or_default();
        w.w(0, &format!("Endpoints:\t{}\n", format_endpoint_slices(slices, &port_name)));
    }
    let affinity = match s.spec.session_affinity {
        SessionAffinity::None => "None",
        SessionAffinity::ClientIp { .. } => "ClientIP",
    };
    w.w(0, &format!("Session Affinity:\t{}\n", affinity));
    if matches!(s.spec.type_, ServiceType::NodePort | ServiceType::LoadBalancer) {
        let policy = if s.spec.external_traffic_local { "Local" } else { "Cluster" };
        w.w(0, &format!("External Traffic Policy:\t{}\n", policy));
    }
    if !external {
        let policy = if s.spec.internal_traffic_local { "Local" } else { "Cluster" };
        w.w(0, &format!("Internal Traffic Policy:\t{}\n", policy));
    }
    events(&mut w, all_events, "Service", &s.meta, now);
    w.finish()
}

/// `formatEndpointSlices` for the port named `port`: every endpoint's
/// first address (ready or not) with the port's number, at most three,
/// then ` + N more...`; `<none>` without slices.
fn format_endpoint_slices(slices: &[&EndpointSlice], port: &str) -> String {
    if slices.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let (mut list, mut more, mut count) = (Vec::new(), false, 0);
    for s in slices {
        if s.ports.is_empty() {
            for e in &s.endpoints {
                if list.len() == MAX {
                    more = true;
                }
                if !more {
                    list.push(e.address.to_string());
                }
                count += 1;
            }
            continue;
        }
        for p in s.ports.iter().filter(|p| p.name.as_deref().unwrap_or("") == port) {
            for e in &s.endpoints {
                if list.len() == MAX {
                    more = true;
                }
                if !more {
                    list.push(format!("{}:{}", e.address, p.port));
                }
                count += 1;
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
