//! The service environment variables a container gets when the kubelet
//! creates it (docs/kubernetes-behaviour.md §7.7): `<NAME>_SERVICE_HOST`,
//! `<NAME>_SERVICE_PORT` and the Docker-link ones for every Service of the
//! pod's namespace that the kubelet's Service informer holds *at that
//! moment* (with `enableServiceLinks`, the default), plus
//! `default/kubernetes` always.
//!
//! Upstream: `envvars.FromServices` (`pkg/kubelet/envvars/envvars.go`),
//! `getServiceEnvVarMap` and `makeEnvironmentVariables`
//! (`pkg/kubelet/kubelet_pods.go`), `$(VAR)` expansion
//! (`third_party/forked/golang/expansion`).
//!
//! The kubelets' Service informers are one shared history here
//! (`ServiceLister`): what a watch delivered and when. A container's
//! variables are computed when someone reads them (`kubectl exec … env`)
//! from the history as of the container's creation, so a run that never
//! reads them pays nothing per container.

#![warn(missing_docs)]

use crate::kinds::service::{ClusterIp, Service};
use crate::objects::env::{field_value, EnvSource, EnvVar};
use crate::objects::pod::Pod;
use crate::objects::store::Key;
use crate::objects::typed::ipv4;
use crate::sim::SimTime;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What `FromServices` reads of a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvService {
    /// `metadata.name`.
    pub name: String,
    /// `spec.clusterIP` as text (`None` or empty: skipped).
    pub cluster_ip: String,
    /// `spec.ports`: name (empty: unnamed), port, protocol (empty: TCP).
    pub ports: Vec<(String, u16, String)>,
}

impl EnvService {
    /// The parts of `svc` the variables are made of.
    pub fn of(svc: &Service) -> EnvService {
        let cluster_ip = match svc.spec.cluster_ip {
            ClusterIp::Ip(ip) => ipv4(ip),
            ClusterIp::Headless => "None".into(),
            ClusterIp::Auto => String::new(),
        };
        let ports =
            svc.spec.ports.iter().map(|p| (p.name.clone().unwrap_or_default(), p.port, p.protocol.clone())).collect();
        EnvService { name: svc.meta.name.to_string(), cluster_ip, ports }
    }
}

/// `makeEnvVariableName`: `-` becomes `_`, then upper case.
fn env_name(s: &str) -> String {
    s.replace('-', "_").to_uppercase()
}

/// `envvars.FromServices`: the variables of `services`, in order.
pub fn from_services(services: &[EnvService]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for svc in services {
        // `IsServiceIPSet`: headless and ExternalName services have none.
        if svc.cluster_ip.is_empty() || svc.cluster_ip == "None" || svc.ports.is_empty() {
            continue;
        }
        let prefix = env_name(&svc.name);
        let ip = &svc.cluster_ip;
        out.push((format!("{}_SERVICE_HOST", prefix), ip.clone()));
        let port_var = format!("{}_SERVICE_PORT", prefix);
        out.push((port_var.clone(), svc.ports[0].1.to_string()));
        for (name, port, _) in &svc.ports {
            if !name.is_empty() {
                out.push((format!("{}_{}", port_var, env_name(name)), port.to_string()));
            }
        }
        // `makeLinkVariables`: Docker's link variables.
        let host = if ip.contains(':') { format!("[{}]", ip) } else { ip.clone() };
        for (i, (_, port, protocol)) in svc.ports.iter().enumerate() {
            let protocol = if protocol.is_empty() { "TCP" } else { protocol.as_str() };
            let url = format!("{}://{}:{}", protocol.to_lowercase(), host, port);
            if i == 0 {
                out.push((format!("{}_PORT", prefix), url.clone()));
            }
            let pp = format!("{}_PORT_{}_{}", prefix, port, protocol.to_uppercase());
            out.push((pp.clone(), url));
            out.push((format!("{}_PROTO", pp), protocol.to_lowercase()));
            out.push((format!("{}_PORT", pp), port.to_string()));
            out.push((format!("{}_ADDR", pp), ip.clone()));
        }
    }
    out
}

/// The kubelets' Service informer: every Service version a watch
/// delivered, with when, so the view at any past instant can be read back.
#[derive(Debug, Default)]
pub struct ServiceLister {
    /// Per Service, its versions (`None`: deleted) by delivery time.
    history: BTreeMap<Key, Versions>,
}

/// One Service's versions as the informer got them: when, and what
/// (`None`: deleted).
type Versions = Vec<(SimTime, Option<Rc<EnvService>>)>;

/// The Services whose variables every pod gets (`masterServices`).
const MASTER_SERVICES: &[&str] = &["kubernetes"];

impl ServiceLister {
    /// A Service's version reaches the informers at `now` (`None`: it was
    /// deleted). Only what the variables are made of is kept; a version
    /// that changes none of it is not recorded.
    pub fn on_service(&mut self, key: &Key, svc: Option<&Service>, now: SimTime) {
        let v = svc.map(|s| Rc::new(EnvService::of(s)));
        let h = self.history.entry(key.clone()).or_default();
        if h.last().map(|(_, x)| x) != Some(&v) {
            h.push((now, v));
        }
    }

    /// The Services the informer held at `as_of` (deliveries at that
    /// instant included).
    fn at(&self, ns: &str, as_of: SimTime) -> impl Iterator<Item = (&Key, &EnvService)> + '_ {
        let ns = ns.to_string();
        self.history.iter().filter_map(move |(k, h)| {
            if *k.namespace != *ns && !(&*k.namespace == "default" && MASTER_SERVICES.contains(&&*k.name)) {
                return None;
            }
            let i = h.partition_point(|(t, _)| *t <= as_of);
            let v = h[..i].last()?.1.as_deref()?;
            Some((k, v))
        })
    }

    /// `getServiceEnvVarMap`: the service variables of a container of a
    /// pod in `ns` created at `as_of`. `default/kubernetes` always; the
    /// namespace's Services with `enableServiceLinks`, one of them named
    /// `kubernetes` replacing the default one.
    pub fn env_map(&self, ns: &str, enable_links: bool, as_of: SimTime) -> BTreeMap<String, String> {
        let mut by_name: BTreeMap<&str, &EnvService> = BTreeMap::new();
        let mut masters: BTreeMap<&str, &EnvService> = BTreeMap::new();
        for (k, s) in self.at(ns, as_of) {
            if *k.namespace == *ns && enable_links {
                by_name.insert(&k.name, s);
            } else if &*k.namespace == "default" && MASTER_SERVICES.contains(&&*k.name) {
                masters.insert(&k.name, s);
            }
        }
        for (name, s) in masters {
            by_name.entry(name).or_insert(s);
        }
        let services: Vec<EnvService> = by_name.into_values().cloned().collect();
        from_services(&services).into_iter().collect()
    }
}

/// `expansion.Expand`: `$(NAME)` is replaced by its value when `lookup`
/// knows it (kept as written otherwise), `$$` is `$`, a `$(` without its
/// `)` and a `$` before any other character are kept, and scanning goes
/// on after them.
pub fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            out.push_str(&s[checkpoint..cursor]);
            // `tryReadVariableName` on what follows the `$`.
            let rest = &s[cursor + 1..];
            let advance = match b[cursor + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest[1..].find(')') {
                    Some(end) => {
                        let name = &rest[1..1 + end];
                        match lookup(name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        end + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // The operator and the next character, as they are.
                    let c = rest.chars().next().expect("char");
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < b.len() {
        out.push_str(&s[checkpoint..]);
    }
    out
}

/// `makeEnvironmentVariables`: the container's variables (its `env`, in
/// order; a later entry of the same name replaces an earlier one; a
/// literal value expanded against the entries before it, then the service
/// variables; `fieldRef`s resolved against `pod`), then the service
/// variables not already set. Upstream's order is a Go map's (random); here
/// the spec's, then the services' by name. Values from ConfigMaps, Secrets
/// and resource fields are not simulated and left out.
pub fn container_env(env: &[EnvVar], pod: &Pod, services: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for e in env {
        let value = match &e.source {
            EnvSource::Value(v) if v.is_empty() => String::new(),
            EnvSource::Value(v) => {
                let lookup = |name: &str| {
                    out.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).or_else(|| services.get(name).cloned())
                };
                expand(v, &lookup)
            }
            EnvSource::Field { path, .. } => match field_value(pod, path) {
                Some(v) => v,
                None => continue,
            },
            _ => continue,
        };
        match out.iter_mut().find(|(n, _)| *n == e.name) {
            Some(slot) => slot.1 = value,
            None => out.push((e.name.clone(), value)),
        }
    }
    for (k, v) in services {
        if !out.iter().any(|(n, _)| n == k) {
            out.push((k.clone(), v.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str, ip: &str, ports: &[(&str, u16, &str)]) -> EnvService {
        EnvService {
            name: name.into(),
            cluster_ip: ip.into(),
            ports: ports.iter().map(|(n, p, pr)| (n.to_string(), *p, pr.to_string())).collect(),
        }
    }

    /// Upstream's `TestFromServices` (`pkg/kubelet/envvars/envvars_test.go`):
    /// the same services, the same 54 variables in the same order.
    #[test]
    fn from_services_as_upstream() {
        let services = vec![
            svc("foo-bar", "1.2.3.4", &[("", 8080, "TCP")]),
            svc("abc-123", "5.6.7.8", &[("u-d-p", 8081, "UDP"), ("t-c-p", 8081, "TCP")]),
            svc("q-u-u-x", "9.8.7.6", &[("", 8082, "TCP"), ("8083", 8083, "TCP")]),
            svc("svrc-clusterip-none", "None", &[("", 8082, "TCP")]),
            svc("svrc-clusterip-empty", "", &[("", 8082, "TCP")]),
            svc("super-ipv6", "2001:DB8::", &[("u-d-p", 8084, "UDP"), ("t-c-p", 8084, "TCP")]),
            svc("sctp-1", "1.2.3.4", &[("", 777, "SCTP")]),
        ];
        let want = [
            ("FOO_BAR_SERVICE_HOST", "1.2.3.4"),
            ("FOO_BAR_SERVICE_PORT", "8080"),
            ("FOO_BAR_PORT", "tcp://1.2.3.4:8080"),
            ("FOO_BAR_PORT_8080_TCP", "tcp://1.2.3.4:8080"),
            ("FOO_BAR_PORT_8080_TCP_PROTO", "tcp"),
            ("FOO_BAR_PORT_8080_TCP_PORT", "8080"),
            ("FOO_BAR_PORT_8080_TCP_ADDR", "1.2.3.4"),
            ("ABC_123_SERVICE_HOST", "5.6.7.8"),
            ("ABC_123_SERVICE_PORT", "8081"),
            ("ABC_123_SERVICE_PORT_U_D_P", "8081"),
            ("ABC_123_SERVICE_PORT_T_C_P", "8081"),
            ("ABC_123_PORT", "udp://5.6.7.8:8081"),
            ("ABC_123_PORT_8081_UDP", "udp://5.6.7.8:8081"),
            ("ABC_123_PORT_8081_UDP_PROTO", "udp"),
            ("ABC_123_PORT_8081_UDP_PORT", "8081"),
            ("ABC_123_PORT_8081_UDP_ADDR", "5.6.7.8"),
            ("ABC_123_PORT_8081_TCP", "tcp://5.6.7.8:8081"),
            ("ABC_123_PORT_8081_TCP_PROTO", "tcp"),
            ("ABC_123_PORT_8081_TCP_PORT", "8081"),
            ("ABC_123_PORT_8081_TCP_ADDR", "5.6.7.8"),
            ("Q_U_U_X_SERVICE_HOST", "9.8.7.6"),
            ("Q_U_U_X_SERVICE_PORT", "8082"),
            ("Q_U_U_X_SERVICE_PORT_8083", "8083"),
            ("Q_U_U_X_PORT", "tcp://9.8.7.6:8082"),
            ("Q_U_U_X_PORT_8082_TCP", "tcp://9.8.7.6:8082"),
            ("Q_U_U_X_PORT_8082_TCP_PROTO", "tcp"),
            ("Q_U_U_X_PORT_8082_TCP_PORT", "8082"),
            ("Q_U_U_X_PORT_8082_TCP_ADDR", "9.8.7.6"),
            ("Q_U_U_X_PORT_8083_TCP", "tcp://9.8.7.6:8083"),
            ("Q_U_U_X_PORT_8083_TCP_PROTO", "tcp"),
            ("Q_U_U_X_PORT_8083_TCP_PORT", "8083"),
            ("Q_U_U_X_PORT_8083_TCP_ADDR", "9.8.7.6"),
            ("SUPER_IPV6_SERVICE_HOST", "2001:DB8::"),
            ("SUPER_IPV6_SERVICE_PORT", "8084"),
            ("SUPER_IPV6_SERVICE_PORT_U_D_P", "8084"),
            ("SUPER_IPV6_SERVICE_PORT_T_C_P", "8084"),
            ("SUPER_IPV6_PORT", "udp://[2001:DB8::]:8084"),
            ("SUPER_IPV6_PORT_8084_UDP", "udp://[2001:DB8::]:8084"),
            ("SUPER_IPV6_PORT_8084_UDP_PROTO", "udp"),
            ("SUPER_IPV6_PORT_8084_UDP_PORT", "8084"),
            ("SUPER_IPV6_PORT_8084_UDP_ADDR", "2001:DB8::"),
            ("SUPER_IPV6_PORT_8084_TCP", "tcp://[2001:DB8::]:8084"),
            ("SUPER_IPV6_PORT_8084_TCP_PROTO", "tcp"),
            ("SUPER_IPV6_PORT_8084_TCP_PORT", "8084"),
            ("SUPER_IPV6_PORT_8084_TCP_ADDR", "2001:DB8::"),
            ("SCTP_1_SERVICE_HOST", "1.2.3.4"),
            ("SCTP_1_SERVICE_PORT", "777"),
            ("SCTP_1_PORT", "sctp://1.2.3.4:777"),
            ("SCTP_1_PORT_777_SCTP", "sctp://1.2.3.4:777"),
            ("SCTP_1_PORT_777_SCTP_PROTO", "sctp"),
            ("SCTP_1_PORT_777_SCTP_PORT", "777"),
            ("SCTP_1_PORT_777_SCTP_ADDR", "1.2.3.4"),
        ];
        let got = from_services(&services);
        let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(got, want);
    }

    /// `expansion.Expand`'s rules.
    #[test]
    fn expansion() {
        let lookup = |n: &str| (n == "A").then(|| "1".to_string());
        assert_eq!(expand("x-$(A)-$(B)-$$(A)-$-$(A", &lookup), "x-1-$(B)-$(A)-$-$(A");
        assert_eq!(expand("€$(A)", &lookup), "€1");
        assert_eq!(expand("$", &lookup), "$");
        // An unclosed reference is kept and scanning goes on.
        assert_eq!(expand("$(A $$ $(A", &lookup), "$(A $ $(A");
        assert_eq!(expand("$(A$(A)", &lookup), "$(A$(A)");
        assert_eq!(expand("a$€b", &lookup), "a$€b");
        assert_eq!(expand("$(A)$(A)", &lookup), "11");
    }

    /// The lister's view at an instant: a Service created after the
    /// container is not in it, `default/kubernetes` always is, links off
    /// keep only it, and a namespace's own `kubernetes` replaces it.
    #[test]
    fn lister_reads_the_past() {
        use crate::kinds::service::{ServicePort, ServiceSpec, ServiceType};
        use crate::objects::meta::ObjectMeta;
        use crate::objects::probe::PortRef;
        let mk = |ns: &str, name: &str, ip: &str, port: u16| {
            let mut spec = ServiceSpec::new(
                ServiceType::ClusterIP,
                None,
                vec![ServicePort {
                    name: None,
                    protocol: "TCP".into(),
                    port,
                    target_port: PortRef::Number(port),
                    node_port: None,
                }],
            );
            spec.cluster_ip = ClusterIp::Ip(crate::objects::typed::parse_ipv4(ip).unwrap());
            Service {
                meta: ObjectMeta { name: name.into(), namespace: ns.into(), ..Default::default() },
                spec,
                load_balancer_ingress: vec![],
            }
        };
        let mut l = ServiceLister::default();
        let k8s = mk("default", "kubernetes", "10.96.0.1", 443);
        l.on_service(&Key::new("default", "kubernetes"), Some(&k8s), SimTime::ZERO);
        let kubia = mk("default", "kubia", "10.96.12.3", 80);
        l.on_service(&Key::new("default", "kubia"), Some(&kubia), SimTime::from_secs(10));
        let other = mk("team", "db", "10.96.12.4", 5432);
        l.on_service(&Key::new("team", "db"), Some(&other), SimTime::from_secs(10));
        let keys = |m: BTreeMap<String, String>| {
            m.keys().filter(|k| k.ends_with("_SERVICE_HOST")).cloned().collect::<Vec<_>>()
        };
        assert_eq!(keys(l.env_map("default", true, SimTime::from_secs(5))), vec!["KUBERNETES_SERVICE_HOST"]);
        assert_eq!(
            keys(l.env_map("default", true, SimTime::from_secs(10))),
            vec!["KUBERNETES_SERVICE_HOST", "KUBIA_SERVICE_HOST"]
        );
        assert_eq!(keys(l.env_map("default", false, SimTime::from_secs(10))), vec!["KUBERNETES_SERVICE_HOST"]);
        assert_eq!(
            keys(l.env_map("team", true, SimTime::from_secs(10))),
            vec!["DB_SERVICE_HOST", "KUBERNETES_SERVICE_HOST"]
        );
        l.on_service(&Key::new("default", "kubia"), None, SimTime::from_secs(20));
        assert_eq!(keys(l.env_map("default", true, SimTime::from_secs(20))), vec!["KUBERNETES_SERVICE_HOST"]);
        assert_eq!(l.env_map("default", true, SimTime::from_secs(15))["KUBIA_SERVICE_PORT"], "80");
        let own = mk("team", "kubernetes", "10.96.12.9", 8443);
        l.on_service(&Key::new("team", "kubernetes"), Some(&own), SimTime::from_secs(30));
        let m = l.env_map("team", true, SimTime::from_secs(30));
        assert_eq!(m["KUBERNETES_SERVICE_HOST"], "10.96.12.9");
        let m = l.env_map("team", false, SimTime::from_secs(30));
        assert_eq!(m["KUBERNETES_SERVICE_HOST"], "10.96.0.1");
    }

    /// Container variables first, in order, expanded against earlier
    /// ones and the services'; the services' variables fill the rest.
    #[test]
    fn container_variables_win() {
        let pod = Pod {
            meta: crate::objects::meta::ObjectMeta {
                name: "p".into(),
                namespace: "default".into(),
                ..Default::default()
            },
            spec: Default::default(),
            status: Default::default(),
        };
        let v = |n: &str, val: &str| EnvVar { name: n.into(), source: EnvSource::Value(val.into()) };
        let mut services = BTreeMap::new();
        services.insert("KUBIA_SERVICE_HOST".to_string(), "10.96.0.5".to_string());
        services.insert("X".to_string(), "svc".to_string());
        let env = vec![
            v("URL", "http://$(KUBIA_SERVICE_HOST):$(PORT)"),
            v("PORT", "80"),
            v("X", "mine"),
            v("B", "$(PORT)"),
            EnvVar {
                name: "NAME".into(),
                source: EnvSource::Field { api_version: "v1".into(), path: "metadata.name".into() },
            },
        ];
        let got = container_env(&env, &pod, &services);
        let want: Vec<(String, String)> = [
            ("URL", "http://10.96.0.5:$(PORT)"),
            ("PORT", "80"),
            ("X", "mine"),
            ("B", "80"),
            ("NAME", "p"),
            ("KUBIA_SERVICE_HOST", "10.96.0.5"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }
}
