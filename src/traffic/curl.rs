//! `kubectl exec POD -- curl -s http://SERVICE[:PORT][/PATH]`: the book's
//! way of reaching a Service from inside the cluster. One request from the
//! pod: its name resolved by the cluster's DNS as the pod's resolv.conf
//! (`ClusterFirst`) has it looked up, then the pod's node's kube-proxy
//! rules, then the target container's app. The answer is what curl
//! prints: the kubia app's `You've hit <pod name>`.

#![warn(missing_docs)]

use super::stats::Outcome;
use super::{reach_pod, Target, Traffic, World};
use crate::kinds::service::{ClusterIp, Service, ServiceType};
use crate::objects::pod::Pod;
use crate::objects::store::Key;
use crate::objects::typed::parse_ipv4;
use crate::proxy::{Entry, NewConnection, PortSel, Route};
use crate::sim::{SimDuration, SimTime};
use rand::Rng;

/// The cluster's DNS domain (kubeadm's `clusterDomain`).
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// A parsed curl command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Curl {
    /// The host of the URL.
    pub host: String,
    /// Its port (default 80).
    pub port: u16,
    /// Its path (default `/`).
    pub path: String,
    /// `-s`: no error message…
    pub silent: bool,
    /// …unless `-S`.
    pub show_error: bool,
    /// `-m SECONDS` (`--max-time`); without it kubesim waits 10 s (curl's
    /// own connect timeout is 300 s).
    pub max_time: SimDuration,
}

/// Whether an exec command is a curl kubesim runs as a request.
pub fn is_curl(command: &[String]) -> bool {
    command.first().is_some_and(|c| c == "curl" || c.ends_with("/curl"))
}

/// Parses `curl [-s] [-S] [-m N] URL`.
pub fn parse(command: &[String]) -> Result<Curl, String> {
    let mut silent = false;
    let mut show_error = false;
    let mut max_time = SimDuration::from_secs(10);
    let mut url = None;
    let mut args = command.iter().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-m" | "--max-time" => {
                let v = args.next().ok_or("curl: option -m: requires parameter")?;
                let secs: f64 = v
                    .parse()
                    .map_err(|_| format!("curl: option -m: expected a proper numerical parameter, got {}", v))?;
                if !(secs > 0.0 && secs <= 3600.0) {
                    return Err(format!("curl: option -m: expected a proper numerical parameter, got {}", v));
                }
                max_time = SimDuration((secs * 1e9) as u64);
            }
            "--silent" => silent = true,
            "--show-error" => show_error = true,
            flags if flags.starts_with('-') && flags.len() > 1 && !flags.starts_with("--") => {
                for c in flags[1..].chars() {
                    match c {
                        's' => silent = true,
                        'S' => show_error = true,
                        _ => {
                            return Err(format!(
                                "curl: option {}: is unknown to kubesim's curl (it knows -s, -S, -m)",
                                flags
                            ))
                        }
                    }
                }
            }
            other if other.starts_with("--") => {
                return Err(format!("curl: option {}: is unknown to kubesim's curl (it knows -s, -S, -m)", other))
            }
            u => {
                if url.replace(u.to_string()).is_some() {
                    return Err("curl: kubesim's curl takes one URL".into());
                }
            }
        }
    }
    let url = url.ok_or("curl: no URL specified!")?;
    let rest = url.strip_prefix("http://").unwrap_or(&url);
    if rest.contains("://") {
        return Err(format!("curl: (1) Protocol \"{}\" not supported", rest.split("://").next().unwrap_or("")));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>().map_err(|_| {
                format!("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535: {}", url)
            })?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("curl: (3) URL rejected: No host part in the URL: {}", url));
    }
    Ok(Curl { host: host.to_string(), port, path, silent, show_error, max_time })
}

/// What the cluster's DNS answers for a name.
pub(crate) enum Resolved {
    /// A Service's cluster IP.
    Service(Key),
    /// A pod's IP (a headless Service's endpoint, or an IP literal).
    Pod(u32, u64),
    /// An address nothing in the cluster holds.
    Nowhere,
}

/// The Service `name` in `namespace`, if the cluster DNS knows it (its
/// informer: what the watch has brought).
fn service<'a>(w: &'a World, namespace: &str, name: &str) -> Option<&'a Service> {
    w.proxies.watched_service(&Key::new(namespace, name))
}

/// What one HTTP request from a pod came to: curl's view of it (what a
/// `kubectl exec … curl` prints, and what a component's
/// [`Cx::http_get`](crate::component::Cx::http_get) gets back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// How it ended (a name that does not resolve counts as `Refused`, as
    /// a traffic source counts it).
    pub outcome: Outcome,
    /// curl's exit code: 0 for an answer (whatever its status; curl
    /// without `-f`), 6 for a name that does not resolve, 7 for a refused
    /// connection, 28 for a timeout, 1 when the client's pod does not run.
    pub exit_code: i32,
    /// For an answer, the pod that gave it.
    pub pod: Option<String>,
    /// What curl prints: the answer (the kubia app's `You've hit <pod>`,
    /// or `HTTP 4xx` / `HTTP 5xx`), or its error message.
    pub message: String,
    /// How long after the request left the client knew (its timeout, for
    /// a timeout).
    pub after: SimDuration,
}

/// What a component's request still depends on until its answer is back
/// at the client: the process answering it, or the one holding its
/// connection without an answer (a hung or slow app). Checked when the
/// answer is due, as a traffic source's request is (`Traffic::on_done`).
#[derive(Clone, Copy, Debug, Default)]
pub struct InFlight {
    answered: Option<Target>,
    held: Option<Target>,
}

impl HttpResponse {
    fn failed(outcome: Outcome, exit_code: i32, message: String, after: SimDuration) -> HttpResponse {
        HttpResponse { outcome, exit_code, pod: None, message, after }
    }
}

impl Traffic {
    /// Runs `c` in `pod` now: `Ok(what curl prints)`, or `Err((what it
    /// prints on stderr, its exit code))`.
    pub fn curl(&mut self, pod: &Pod, c: &Curl, w: &mut World, now: SimTime) -> Result<String, (String, i32)> {
        let r = self.request(pod, c, w, now);
        if r.exit_code == 0 {
            return Ok(r.message);
        }
        Err((if !c.silent || c.show_error { r.message } else { String::new() }, r.exit_code))
    }

    /// One request `c` from `pod` now: the pod's name lookup, its node's
    /// kube-proxy rules, the target container's app. It is decided at
    /// once (as a traffic source's request is; a process that dies while
    /// it is in flight is not noticed).
    pub fn request(&mut self, pod: &Pod, c: &Curl, w: &mut World, now: SimTime) -> HttpResponse {
        self.request_in_flight(pod, c, w, now).0
    }

    /// The answer due to a component's request, sent at `sent`: what
    /// happened meanwhile to the process it reached. A process gone (or
    /// one that held the connection silently and went away) resets it; a
    /// node that died never answers, so the client waits for its timeout:
    /// then the time the answer is due instead is returned.
    pub(crate) fn settle(r: &mut HttpResponse, f: &InFlight, c: &Curl, sent: SimTime, w: &World) -> Option<SimTime> {
        let reset = |r: &mut HttpResponse| {
            *r = HttpResponse::failed(
                Outcome::Reset,
                56,
                "curl: (56) Recv failure: Connection reset by peer".into(),
                r.after,
            );
        };
        if let Some(t) = f.held.filter(|_| r.outcome == Outcome::Timeout) {
            let k = &w.kubelets[t.kubelet as usize];
            if k.alive && k.life() == t.life && k.running_instance(t.uid, t.container as usize) != Some(t.instance) {
                reset(r);
            }
        }
        if let Some(t) = f.answered {
            let k = &w.kubelets[t.kubelet as usize];
            if !k.alive || k.life() != t.life {
                let msg = format!("curl: (28) Connection timed out after {} milliseconds", c.max_time.as_millis());
                *r = HttpResponse::failed(Outcome::Timeout, 28, msg, c.max_time);
                return Some(sent + c.max_time);
            }
            if k.running_instance(t.uid, t.container as usize) != Some(t.instance) {
                reset(r);
            }
        }
        None
    }

    /// [`Traffic::request`], with what its answer still depends on.
    pub(crate) fn request_in_flight(
        &mut self,
        pod: &Pod,
        c: &Curl,
        w: &mut World,
        now: SimTime,
    ) -> (HttpResponse, InFlight) {
        let none = InFlight::default();
        let unresolved = || {
            HttpResponse::failed(
                Outcome::Refused,
                6,
                format!("curl: (6) Could not resolve host: {}", c.host),
                SimDuration::ZERO,
            )
        };
        let (Some(node_name), Some(ip)) = (pod.node_name(), pod.status.pod_ip.as_deref()) else {
            return (unresolved(), none);
        };
        let Some(&node) = w.node_index.get(node_name) else {
            return (HttpResponse::failed(Outcome::Refused, 6, String::new(), SimDuration::ZERO), none);
        };
        let client = parse_ipv4(ip).unwrap_or(0);
        let ns = &*pod.meta.namespace;
        let refused = |after: SimDuration| {
            let msg = format!("curl: (7) Failed to connect to {} port {}: Connection refused", c.host, c.port);
            HttpResponse::failed(Outcome::Refused, 7, msg, after)
        };
        let timed_out = || {
            let msg = format!("curl: (28) Connection timed out after {} milliseconds", c.max_time.as_millis());
            HttpResponse::failed(Outcome::Timeout, 28, msg, c.max_time)
        };
        let (target_node, uid, port, latency_before) = match self.resolve(&c.host, ns, w) {
            None => return (unresolved(), none),
            Some(Resolved::Nowhere) => return (timed_out(), none),
            Some(Resolved::Pod(n, uid)) => (n, uid, c.port, SimDuration::ZERO),
            Some(Resolved::Service(key)) => {
                let svc = w.proxies.service_id(&key);
                let req = NewConnection {
                    node,
                    svc,
                    port: &PortSel::Number(c.port),
                    entry: Entry::ClusterIp,
                    from_cluster: true,
                    client,
                };
                match w.proxies.route(&req, now) {
                    Route::Down | Route::Drop | Route::NoRule => return (timed_out(), none),
                    // The client's own node's rules reject it.
                    Route::Reject => return (refused(SimDuration::ZERO), none),
                    Route::To(rules, p, e) => {
                        let ep = &rules.ports[p].endpoints[e];
                        match (ep.pod.as_ref(), ep.node) {
                            (Some((_, uid)), Some(n)) => (n, *uid, ep.port, SimDuration::ZERO),
                            // An endpoint outside the cluster: kubesim does
                            // not simulate what answers there.
                            _ => {
                                let msg = format!("curl: (28) {} is outside the simulated cluster", ep.ip);
                                return (HttpResponse::failed(Outcome::Timeout, 28, msg, c.max_time), none);
                            }
                        }
                    }
                }
            }
        };
        let hop = if target_node == node { SimDuration::ZERO } else { self.hop() };
        let rtt = latency_before + hop + hop;
        let reached = reach_pod(&mut w.kubelets[target_node as usize], target_node, uid, port, &c.path, rtt, now);
        match reached.known {
            // An answer too slow for the client: a timeout, whatever its
            // process does meanwhile (as a traffic source's).
            Some((_, latency)) if latency > c.max_time => (timed_out(), none),
            // No answer: the process that accepted the connection holds it
            // (a reset if it goes away before the timeout).
            None => (timed_out(), InFlight { answered: None, held: reached.established }),
            Some((Outcome::Refused, latency)) => (refused(latency), none),
            Some((o, latency)) => {
                let name = w.kubelets[target_node as usize].pod_name(uid).unwrap_or_default();
                let message = match o {
                    Outcome::Ok => format!("You've hit {}", name),
                    _ => format!("HTTP {}", if o == Outcome::Http4xx { "4xx" } else { "5xx" }),
                };
                let r = HttpResponse { outcome: o, exit_code: 0, pod: Some(name), message, after: latency };
                (r, InFlight { answered: reached.answered, held: None })
            }
        }
    }

    /// The cluster DNS's answer for `host` asked from a pod of
    /// `namespace` (`ClusterFirst`: the search path `<ns>.svc.cluster.local
    /// svc.cluster.local cluster.local`, `ndots:5`); `None`: NXDOMAIN.
    pub(crate) fn resolve(&mut self, host: &str, namespace: &str, w: &World) -> Option<Resolved> {
        if let Some(ip) = parse_ipv4(host) {
            // A cluster IP (kube-proxy's rules know it), or a pod's IP,
            // 10.(64 + n / 256).(n % 256).x: routed to node n, and there to
            // the sandbox that holds it.
            if let Some(key) = w.proxies.service_with_ip(ip) {
                return Some(Resolved::Service(key.clone()));
            }
            let [a, b, c, _] = ip.to_be_bytes();
            let node = (a == 10 && b >= 64).then(|| (b as u32 - 64) * 256 + c as u32);
            let pod = node.and_then(|n| Some((n, w.kubelets.get(n as usize)?.pod_with_ip(host)?)));
            return Some(match pod {
                Some((n, uid)) => Resolved::Pod(n, uid),
                None => Resolved::Nowhere,
            });
        }
        let name = host.trim_end_matches('.');
        let absolute = host.ends_with('.');
        let searched = [
            format!("{}.{}.svc.{}", name, namespace, CLUSTER_DOMAIN),
            format!("{}.svc.{}", name, CLUSTER_DOMAIN),
            format!("{}.{}", name, CLUSTER_DOMAIN),
        ];
        let tries: Vec<&str> =
            if absolute { vec![name] } else { searched.iter().map(String::as_str).chain([name]).collect() };
        for fqdn in tries {
            let Some(rest) = fqdn.strip_suffix(&format!(".svc.{}", CLUSTER_DOMAIN)) else { continue };
            let Some((svc_name, ns)) = rest.split_once('.') else { continue };
            if ns.contains('.') {
                continue;
            }
            let Some(svc) = service(w, ns, svc_name) else { continue };
            let key = Key::new(ns, svc_name);
            return match (svc.spec.type_, svc.spec.cluster_ip) {
                // A CNAME to a name outside the cluster.
                (ServiceType::ExternalName, _) => None,
                (_, ClusterIp::Headless) => self.headless(&key, w),
                _ => Some(Resolved::Service(key)),
            };
        }
        None
    }

    /// A headless Service's A records: its ready endpoints, from the
    /// slices as the watch brought them (CoreDNS's informer; its
    /// `loadbalance` shuffles the records, curl takes the first).
    fn headless(&mut self, key: &Key, w: &World) -> Option<Resolved> {
        let mut ready: Vec<(u32, u64)> = Vec::new();
        for s in w.proxies.slices(key) {
            for e in s.endpoints.iter().filter(|e| e.ready) {
                let node = e.node_name.as_deref().and_then(|n| w.node_index.get(n).copied());
                if let (Some(n), Some((_, uid))) = (node, e.pod.as_ref()) {
                    ready.push((n, *uid));
                }
            }
        }
        if ready.is_empty() {
            return None;
        }
        let (n, uid) = ready[self.dns_rng.gen_range(0..ready.len())];
        Some(Resolved::Pod(n, uid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn command_lines() {
        let c = parse(&cmd("curl -s http://kubia")).unwrap();
        assert_eq!((c.host.as_str(), c.port, c.path.as_str(), c.silent), ("kubia", 80, "/", true));
        let c = parse(&cmd("curl -sS -m 2 kubia.default.svc.cluster.local:8080/healthz")).unwrap();
        assert_eq!((c.host.as_str(), c.port, c.path.as_str()), ("kubia.default.svc.cluster.local", 8080, "/healthz"));
        assert!(c.show_error && c.max_time == SimDuration::from_secs(2));
        assert!(parse(&cmd("curl -k http://x")).is_err());
        assert!(parse(&cmd("curl https://x")).is_err());
        assert!(parse(&cmd("curl")).is_err());
        assert!(parse(&cmd("curl http://x:99999")).is_err());
        assert!(is_curl(&cmd("curl x")) && is_curl(&cmd("/usr/bin/curl x")) && !is_curl(&cmd("ls")));
    }
}
