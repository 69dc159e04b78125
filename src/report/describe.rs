//! `kubectl describe pod`: the same sections and wording.

#![warn(missing_docs)]

use super::kubectl::human_duration;
use crate::objects::pod::{Condition, ContainerState, Pod, TerminatedState};
use crate::objects::probe::{Handler, PortRef, Probe};
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;
use std::fmt::Write;

/// `Thu, 01 Jan 1970 00:02:50 +0000` (RFC 1123 with a numeric zone), in
/// virtual time from the Unix epoch.
pub fn rfc1123(t: SimTime) -> String {
    let iso = super::manifest::timestamp(t); // 1970-01-01T00:02:50Z
    let days = t.as_secs() / 86_400;
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        [iso[5..7].parse::<usize>().unwrap_or(1) - 1];
    format!("{}, {} {} {} {} +0000", weekday, &iso[8..10], month, &iso[0..4], &iso[11..19])
}

fn probe_line(p: &Probe) -> String {
    let port = |p: &PortRef| match p {
        PortRef::Number(n) => n.to_string(),
        PortRef::Name(n) => n.clone(),
    };
    let what = match &p.handler {
        Handler::HttpGet { path, port: pt, scheme } => {
            format!("http-get {}://:{}{}", scheme.to_ascii_lowercase(), port(pt), path)
        }
        Handler::TcpSocket { port: pt } => format!("tcp-socket :{}", port(pt)),
        Handler::Exec { command } => format!("exec [{}]", command.join(" ")),
        Handler::Sleep { seconds } => format!("sleep {}s", seconds),
    };
    format!(
        "{} delay={}s timeout={}s period={}s #success={} #failure={}",
        what, p.initial_delay_seconds, p.timeout_seconds, p.period_seconds, p.success_threshold, p.failure_threshold
    )
}

fn terminated(out: &mut String, t: &TerminatedState) {
    let _ = writeln!(out, "      Reason:       {}", t.reason);
    let _ = writeln!(out, "      Exit Code:    {}", t.exit_code);
    if let Some(s) = t.started_at {
        let _ = writeln!(out, "      Started:      {}", rfc1123(s));
    }
    let _ = writeln!(out, "      Finished:     {}", rfc1123(t.finished_at));
}

/// What `kubectl describe pod` prints for `p` at `now`; the Events section
/// takes, from all of `events`, those about this pod up to `now`.
pub fn describe_pod(p: &Pod, events: &[EventRecord], now: SimTime) -> String {
    let mut o = String::new();
    let st = &p.status;
    let kv = |o: &mut String, k: &str, v: &str| {
        let _ = writeln!(o, "{:<18}{}", format!("{}:", k), v);
    };
    kv(&mut o, "Name", &p.meta.name);
    kv(&mut o, "Namespace", &p.meta.namespace);
    kv(&mut o, "Priority", &p.spec.priority.to_string());
    let node = match (p.node_name(), st.host_ip.as_deref()) {
        (Some(n), Some(ip)) => format!("{}/{}", n, ip),
        (Some(n), None) => n.to_string(),
        _ => "<none>".into(),
    };
    kv(&mut o, "Node", &node);
    if let Some(t) = st.start_time {
        kv(&mut o, "Start Time", &rfc1123(t));
    }
    let map = |m: &std::collections::BTreeMap<String, String>| {
        if m.is_empty() {
            "<none>".to_string()
        } else {
            m.iter().map(|(k, v)| format!("{}={}", k, v)).collect::<Vec<_>>().join("\n                  ")
        }
    };
    kv(&mut o, "Labels", &map(&p.meta.labels));
    kv(&mut o, "Annotations", &map(&p.meta.annotations));
    let status =
        if p.meta.deletion_timestamp.is_some() { "Terminating".to_string() } else { st.phase.as_str().to_string() };
    kv(&mut o, "Status", &status);
    if let Some(t) = p.meta.deletion_timestamp {
        kv(&mut o, "Termination Grace Period", &format!("{}s", p.meta.deletion_grace_period_seconds.unwrap_or(0)));
        let _ = t;
    }
    if let Some(r) = &st.reason {
        kv(&mut o, "Reason", r);
    }
    if let Some(m) = &st.message {
        kv(&mut o, "Message", m);
    }
    kv(&mut o, "IP", st.pod_ip.as_deref().unwrap_or(""));
    if let Some(c) = p.meta.controller_ref() {
        kv(&mut o, "Controlled By", &format!("{}/{}", c.kind, c.name));
    }
    o.push_str("Containers:\n");
    for (i, c) in p.spec.containers.iter().enumerate() {
        let cs = st.container_statuses.get(i);
        let _ = writeln!(o, "  {}:", c.name);
        if let Some(id) = cs.and_then(|s| s.container_id) {
            let _ = writeln!(o, "    Container ID:   containerd://{:064x}", id);
        }
        let _ = writeln!(o, "    Image:          {}", c.image);
        let ports: Vec<String> = c.ports.iter().map(|p| format!("{}/{}", p.container_port, p.protocol)).collect();
        let _ =
            writeln!(o, "    Port:           {}", if ports.is_empty() { "<none>".into() } else { ports.join(", ") });
        if let Some(cs) = cs {
            match &cs.state {
                ContainerState::Running { started_at } => {
                    let _ = writeln!(o, "    State:          Running");
                    let _ = writeln!(o, "      Started:      {}", rfc1123(*started_at));
                }
                ContainerState::Waiting { reason, .. } => {
                    let _ = writeln!(o, "    State:          Waiting");
                    let _ = writeln!(o, "      Reason:       {}", reason);
                }
                ContainerState::Terminated(t) => {
                    let _ = writeln!(o, "    State:          Terminated");
                    terminated(&mut o, t);
                }
            }
            match &cs.last_state {
                Some(t) => {
                    let _ = writeln!(o, "    Last State:     Terminated");
                    terminated(&mut o, t);
                }
                None => {
                    let _ = writeln!(o, "    Last State:     <none>");
                }
            }
            let _ = writeln!(o, "    Ready:          {}", if cs.ready { "True" } else { "False" });
            let _ = writeln!(o, "    Restart Count:  {}", cs.restart_count);
        }
        for (label, probe) in
            [("Liveness", &c.probes.liveness), ("Readiness", &c.probes.readiness), ("Startup", &c.probes.startup)]
        {
            if let Some(pr) = probe {
                let _ = writeln!(o, "    {:<16}{}", format!("{}:", label), probe_line(pr));
            }
        }
        let _ = writeln!(o, "    Environment:    <none>");
    }
    o.push_str("Conditions:\n");
    let c = &st.conditions;
    let conds: [(&str, &Option<Condition>); 6] = [
        ("DisruptionTarget", &c.disruption_target),
        ("PodReadyToStartContainers", &c.ready_to_start_containers),
        ("Initialized", &c.initialized),
        ("Ready", &c.ready),
        ("ContainersReady", &c.containers_ready),
        ("PodScheduled", &c.pod_scheduled),
    ];
    // kubectl's tabwriter (padding 2) over rows written as "%v \t%v \n".
    let width = conds.iter().filter(|(_, c)| c.is_some()).map(|(n, _)| n.len() + 1).max().unwrap_or(0).max(4) + 2;
    let _ = writeln!(o, "  {:<width$}Status", "Type", width = width);
    for (name, cond) in conds {
        if let Some(cond) = cond {
            let _ = writeln!(o, "  {:<width$}{} ", format!("{} ", name), cond.status.as_str(), width = width);
        }
    }
    let qos = if p
        .spec
        .containers
        .iter()
        .all(|c| !c.has_cpu_request && !c.has_memory_request && c.limits.cpu_m == 0 && c.limits.memory == 0)
    {
        "BestEffort"
    } else if p.spec.containers.iter().all(|c| {
        c.limits.cpu_m > 0
            && c.limits.memory > 0
            && c.requests.cpu_m == c.limits.cpu_m
            && c.requests.memory == c.limits.memory
    }) {
        "Guaranteed"
    } else {
        "Burstable"
    };
    let _ = writeln!(o, "QoS Class:                   {}", qos);
    let sel = map(&p.spec.node_selector);
    let _ = writeln!(o, "Node-Selectors:              {}", sel);
    let tols: Vec<String> = p
        .spec
        .tolerations
        .iter()
        .map(|t| {
            let mut s = t.key.to_string();
            if !t.exists {
                s.push('=');
                s.push_str(&t.value);
            }
            if let Some(e) = t.effect {
                s.push(':');
                s.push_str(e.as_str());
            }
            if t.exists {
                s.push_str(" op=Exists");
            }
            if let Some(secs) = t.toleration_seconds {
                s.push_str(&format!(" for {}s", secs));
            }
            s
        })
        .collect();
    let _ = writeln!(
        o,
        "Tolerations:                 {}",
        if tols.is_empty() { "<none>".into() } else { tols.join("\n                             ") }
    );
    // Events, aggregated as kubectl shows them: "Age (xN over Age)".
    let mine: Vec<&EventRecord> = events
        .iter()
        .filter(|e| e.kind == "Pod" && *e.namespace == *p.meta.namespace && *e.name == *p.meta.name && e.time <= now)
        .collect();
    if mine.is_empty() {
        o.push_str("Events:                      <none>\n");
        return o;
    }
    let mut rows: Vec<(String, String, String, String, String)> = Vec::new();
    let mut groups: Vec<(&EventRecord, SimTime, usize)> = Vec::new();
    for e in mine {
        match groups.iter_mut().find(|(f, _, _)| {
            f.reason == e.reason && f.message == e.message && f.warning == e.warning && f.source == e.source
        }) {
            Some(g) => {
                g.1 = e.time;
                g.2 += 1;
            }
            None => groups.push((e, e.time, 1)),
        }
    }
    groups.sort_by_key(|(first, last, _)| (*last, first.time));
    for (first, last, n) in groups {
        let age = if n > 1 {
            format!(
                "{} (x{} over {})",
                human_duration(now.saturating_sub(last)),
                n,
                human_duration(now.saturating_sub(first.time))
            )
        } else {
            human_duration(now.saturating_sub(first.time))
        };
        rows.push((
            if first.warning { "Warning".into() } else { "Normal".into() },
            first.reason.to_string(),
            age,
            first.source.to_string(),
            first.message.clone(),
        ));
    }
    let w = |f: fn(&(String, String, String, String, String)) -> usize, min: usize| {
        rows.iter().map(f).max().unwrap_or(0).max(min)
    };
    let (w1, w2, w3, w4) = (w(|r| r.0.len(), 4), w(|r| r.1.len(), 6), w(|r| r.2.len(), 3), w(|r| r.3.len(), 4));
    o.push_str("Events:\n");
    let _ = writeln!(o, "  {:<w1$}  {:<w2$}  {:<w3$}  {:<w4$}  Message", "Type", "Reason", "Age", "From");
    let _ = writeln!(o, "  {:<w1$}  {:<w2$}  {:<w3$}  {:<w4$}  -------", "----", "------", "----", "----");
    for r in rows {
        let _ = writeln!(o, "  {:<w1$}  {:<w2$}  {:<w3$}  {:<w4$}  {}", r.0, r.1, r.2, r.3, r.4);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_dates() {
        assert_eq!(rfc1123(SimTime(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc1123(SimTime(170_000_000_000)), "Thu, 01 Jan 1970 00:02:50 +0000");
        assert_eq!(rfc1123(SimTime(86_400_000_000_000 * 3)), "Sun, 04 Jan 1970 00:00:00 +0000");
    }
}
