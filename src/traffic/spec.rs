//! A traffic source as the scenario's `traffic:` timeline verb describes
//! it (parsed by `scenario`, run by `traffic`).

#![warn(missing_docs)]

use crate::proxy::{Entry, PortSel};
use crate::sim::SimDuration;

/// Where the source's requests come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum From {
    /// Clients outside the cluster (`clients` distinct IPs).
    Outside,
    /// A pod (its IP; its node's rules).
    Pod(String),
    /// A node (its IP; its rules).
    Node(String),
}

/// When requests are sent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson arrivals at this many per second.
    Poisson(f64),
    /// One request every this long.
    Every(SimDuration),
}

/// One `traffic:` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficSpec {
    /// `name`: the source in reports and expectations.
    pub name: String,
    /// How the service is reached (`svc/`: its cluster IP; `nodePort/`;
    /// `loadBalancer/`).
    pub entry: Entry,
    /// The Service's name (with `dns`, the name the pod asks the cluster
    /// DNS for).
    pub service: String,
    /// `to:` is a DNS name, resolved from the pod for each new connection.
    pub dns: bool,
    /// Which of its ports (`:PORT`, a number or a name; default the first).
    pub port: PortSel,
    /// `namespace` of the Service (and of `from: pod/NAME`).
    pub namespace: String,
    /// `from`.
    pub from: From,
    /// `rate` or `every`.
    pub arrivals: Arrivals,
    /// `duration`: requests are sent from the entry's time for this long.
    pub duration: SimDuration,
    /// `connections: {keepAlive: N}`: that many persistent connections per
    /// client IP; `None`: a new connection per request.
    pub keep_alive: Option<u32>,
    /// `clients`: distinct client IPs (1 for a pod or a node).
    pub clients: u32,
    /// `via`: the nodes outside clients reach a node port through (empty:
    /// every node).
    pub via: Vec<String>,
    /// `path`.
    pub path: String,
    /// `timeout`: the connect-and-response timeout.
    pub timeout: SimDuration,
}

/// `timeout`'s default: 10 s.
pub const DEFAULT_TIMEOUT: SimDuration = SimDuration::from_secs(10);

/// Parses `to:`: `svc/NAME[:PORT]`, `nodePort/NAME[:PORT]` or
/// `loadBalancer/NAME[:PORT]`, PORT a number or a port name; or a DNS name
/// `HOST[:PORT]` (a Service's name as a pod resolves it, PORT a number):
/// the last is `true` then.
pub fn parse_target(s: &str) -> Result<(Entry, String, PortSel, bool), String> {
    let Some((how, rest)) = s.split_once('/') else {
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("`{}`: a DNS name's port is a number from 1 to 65535", s))?,
            ),
            None => (s, 80),
        };
        let label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if host.trim_end_matches('.').split('.').all(label) {
            return Ok((Entry::ClusterIp, host.to_string(), PortSel::Number(port), true));
        }
        return Err(format!(
            "`{}`: expected svc/NAME[:PORT], nodePort/NAME[:PORT], loadBalancer/NAME[:PORT] or a DNS name",
            s
        ));
    };
    let entry = match how {
        "svc" | "service" => Entry::ClusterIp,
        "nodePort" => Entry::NodePort,
        "loadBalancer" => Entry::LoadBalancer,
        other => {
            return Err(format!("`{}`: unknown target kind `{}` (expected svc, nodePort or loadBalancer)", s, other))
        }
    };
    let (name, port) = match rest.split_once(':') {
        None => (rest, PortSel::First),
        Some((n, "")) => return Err(format!("`{}`: empty port after `{}:`", s, n)),
        Some((n, p)) => match p.parse::<u16>() {
            Ok(0) => return Err(format!("`{}`: port 0 is not a port", s)),
            Ok(num) => (n, PortSel::Number(num)),
            Err(_) if p.chars().all(|c| c.is_ascii_digit()) => {
                return Err(format!("`{}`: port {} is out of range", s, p))
            }
            Err(_) => (n, PortSel::Name(p.to_string())),
        },
    };
    if name.is_empty() {
        return Err(format!("`{}`: the service name is empty", s));
    }
    Ok((entry, name.to_string(), port, false))
}

/// Parses `rate:`: `N/s`, `N/m` or `N/h` (N a positive decimal).
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let (n, unit) = s.split_once('/').ok_or_else(|| format!("`{}`: expected N/s, N/m or N/h", s))?;
    let per = match unit.trim() {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        u => return Err(format!("`{}`: unknown unit `{}` (expected s, m or h)", s, u)),
    };
    let n: f64 = n.trim().parse().map_err(|_| format!("`{}`: `{}` is not a number", s, n.trim()))?;
    if !n.is_finite() || n <= 0.0 {
        return Err(format!("`{}`: the rate must be positive", s));
    }
    Ok(n / per)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(parse_target("svc/kubia").unwrap(), (Entry::ClusterIp, "kubia".into(), PortSel::First, false));
        assert_eq!(
            parse_target("kubia.default.svc.cluster.local:8080").unwrap(),
            (Entry::ClusterIp, "kubia.default.svc.cluster.local".into(), PortSel::Number(8080), true)
        );
        assert_eq!(parse_target("nodePort/kubia:30123").unwrap().2, PortSel::Number(30123));
        assert_eq!(parse_target("loadBalancer/web:http").unwrap().2, PortSel::Name("http".into()));
        for bad in ["Kubia", "kubia:http", "pod/kubia", "svc/", "svc/kubia:", "svc/kubia:0", "svc/kubia:70000"] {
            assert!(parse_target(bad).is_err(), "{}", bad);
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("100/s").unwrap(), 100.0);
        assert_eq!(parse_rate("120/m").unwrap(), 2.0);
        assert_eq!(parse_rate("0.5/s").unwrap(), 0.5);
        for bad in ["100", "0/s", "-1/s", "x/s", "10/d", "inf/s"] {
            assert!(parse_rate(bad).is_err(), "{}", bad);
        }
    }
}
