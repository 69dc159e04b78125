//! `describePod` and the container sections it shares with
//! `DescribePodTemplate` (`describeContainers`).

use super::{annotations_multiline, events, labels_multiline, rfc1123, since, Out, ZERO_TIME};
use crate::objects::pod::{Container, ContainerState, ContainerStatus, Pod, PodSpec, TerminatedState};
use crate::objects::probe::{Handler, PortRef, Probe};
use crate::objects::quantity::{format_bytes, format_cpu};
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;

/// What `kubectl describe pod` prints for `p` at `now`; the Events section
/// takes, from all of `events`, those about this pod up to `now`.
pub fn describe_pod(p: &Pod, all_events: &[EventRecord], now: SimTime) -> String {
    let mut w = Out::default();
    let st = &p.status;
    w.w(0, &format!("Name:\t{}\n", p.meta.name));
    w.w(0, &format!("Namespace:\t{}\n", p.meta.namespace));
    w.w(0, &format!("Priority:\t{}\n", p.spec.priority));
    match p.node_name() {
        None => w.w(0, "Node:\t<none>\n"),
        Some(n) => w.w(0, &format!("Node:\t{}/{}\n", n, st.host_ip.as_deref().unwrap_or(""))),
    }
    if let Some(t) = st.start_time {
        w.w(0, &format!("Start Time:\t{}\n", rfc1123(t)));
    }
    labels_multiline(&mut w, "Labels", &p.meta.labels);
    annotations_multiline(&mut w, "Annotations", &p.meta.annotations);
    match p.meta.deletion_timestamp {
        Some(t) if !st.phase.is_terminal() => {
            w.w(0, &format!("Status:\tTerminating (lasts {})\n", since(now, t)));
            let grace = p.meta.deletion_grace_period_seconds.unwrap_or(0);
            w.w(0, &format!("Termination Grace Period:\t{}s\n", grace));
        }
        _ => w.w(0, &format!("Status:\t{}\n", st.phase.as_str())),
    }
    if let Some(r) = &st.reason {
        w.w(0, &format!("Reason:\t{}\n", r));
    }
    if let Some(m) = &st.message {
        w.w(0, &format!("Message:\t{}\n", m));
    }
    w.w(0, &format!("IP:\t{}\n", st.pod_ip.as_deref().unwrap_or("")));
    // `describePodIPs`: status.podIPs holds status.podIP.
    match st.pod_ip.as_deref() {
        None => w.w(0, "IPs:\t<none>\n"),
        Some(ip) => {
            w.w(0, "IPs:\n");
            w.w(1, &format!("IP:\t{}\n", ip));
        }
    }
    if let Some(c) = p.meta.controller_ref() {
        w.w(0, &format!("Controlled By:\t{}/{}\n", c.kind, c.name));
    }
    if !p.spec.init_containers.is_empty() {
        containers(&mut w, "Init Containers", &p.spec.init_containers, Some(&st.init_container_statuses), Some(p), "");
    }
    containers(&mut w, "Containers", &p.spec.containers, Some(&st.container_statuses), Some(p), "");
    let conds = st.conditions.named();
    if conds.iter().any(|(_, c)| c.is_some()) {
        w.w(0, "Conditions:\n  Type\tStatus\n");
        for (name, cond) in conds {
            if let Some(cond) = cond {
                w.w(1, &format!("{} \t{} \n", name, cond.status.as_str()));
            }
        }
    }
    w.w(0, "Volumes:\t<none>\n");
    w.w(0, &format!("QoS Class:\t{}\n", qos_class(&p.spec)));
    pod_spec_tail(&mut w, &p.spec, "");
    events(&mut w, all_events, "Pod", &p.meta, now);
    w.finish()
}

/// `Node-Selectors` and `Tolerations` (`printLabelsMultiline`,
/// `printPodTolerationsMultiline`), titles indented by `indent`.
pub(super) fn pod_spec_tail(w: &mut Out, spec: &PodSpec, indent: &str) {
    labels_multiline(w, &format!("{}Node-Selectors", indent), &spec.node_selector);
    w.w(0, &format!("{}Tolerations:\t", indent));
    let mut tols: Vec<_> = spec.tolerations.iter().collect();
    tols.sort_by(|a, b| a.key.cmp(&b.key));
    if tols.is_empty() {
        w.w(0, "<none>\n");
    }
    for (i, t) in tols.into_iter().enumerate() {
        if i != 0 {
            w.w(0, "\t");
        }
        let mut s = t.key.to_string();
        if !t.value.is_empty() {
            s.push('=');
            s.push_str(&t.value);
        }
        if let Some(e) = t.effect {
            s.push(':');
            s.push_str(e.as_str());
        }
        if t.exists && t.value.is_empty() {
            s.push_str(if !t.key.is_empty() || t.effect.is_some() { " op=Exists" } else { "op=Exists" });
        }
        if let Some(secs) = t.toleration_seconds {
            s.push_str(&format!(" for {}s", secs));
        }
        w.w(0, &format!("{}\n", s));
    }
}

/// `qos.GetPodQOS`: BestEffort without any cpu or memory request or limit,
/// Guaranteed when every container limits both and requests what it
/// limits, else Burstable.
fn qos_class(spec: &PodSpec) -> &'static str {
    let all = || spec.init_containers.iter().chain(spec.containers.iter());
    if all().all(|c| !c.has_cpu_request && !c.has_memory_request && c.limits.cpu_m == 0 && c.limits.memory == 0) {
        "BestEffort"
    } else if all().all(|c| {
        c.limits.cpu_m > 0
            && c.limits.memory > 0
            && c.requests.cpu_m == c.limits.cpu_m
            && c.requests.memory == c.limits.memory
    }) {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// `describeContainers`: `label:` then each container, with its status when
/// `statuses` has one of its name; `space` is the template's indent.
pub(super) fn containers(
    w: &mut Out,
    label: &str,
    list: &[Container],
    statuses: Option<&[ContainerStatus]>,
    pod: Option<&Pod>,
    space: &str,
) {
    w.w(0, &format!("{}{}:{}\n", space, label, if list.is_empty() { " <none>" } else { "" }));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in list {
        let status = statuses.and_then(|s| s.iter().find(|s| s.name == c.name));
        w.w(1, &format!("{}{}:\n", name_indent, c.name));
        if let Some(s) = status {
            let id = s.container_id.map(|id| format!("containerd://{:064x}", id)).unwrap_or_default();
            w.w(2, &format!("Container ID:\t{}\n", id));
        }
        w.w(2, &format!("Image:\t{}\n", c.image));
        let ports = |host: bool| {
            c.ports
                .iter()
                .map(|p| {
                    let n = if host { p.host_port.unwrap_or(0) } else { p.container_port };
                    match &p.name {
                        Some(name) => format!("{}/{} ({})", n, p.protocol, name),
                        None => format!("{}/{}", n, p.protocol),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (one, many, text) in [("Port", "Ports", ports(false)), ("Host Port", "Host Ports", ports(true))] {
            if text.contains(',') {
                w.w(2, &format!("{}:\t{}\n", many, text));
            } else {
                w.w(2, &format!("{}:\t{}\n", one, if text.is_empty() { "<none>" } else { &text }));
            }
        }
        for (title, words) in [("Command", &c.command), ("Args", &c.args)] {
            if !words.is_empty() {
                w.w(2, &format!("{}:\n", title));
                for s in words.iter().flat_map(|s| s.split('\n')) {
                    w.w(3, &format!("{}\n", s));
                }
            }
        }
        if let Some(s) = status {
            state(w, "State", &s.state);
            if let Some(t) = &s.last_state {
                state(w, "Last State", &ContainerState::Terminated(t.clone()));
            }
            w.w(2, &format!("Ready:\t{}\n", if s.ready { "True" } else { "False" }));
            w.w(2, &format!("Restart Count:\t{}\n", s.restart_count));
        }
        // `describeResources`: Limits, then Requests, resources in name order.
        let limits: Vec<(&str, String)> = [
            ("cpu", (c.limits.cpu_m > 0).then(|| format_cpu(c.limits.cpu_m))),
            ("memory", (c.limits.memory > 0).then(|| format_bytes(c.limits.memory))),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let requests: Vec<(&str, String)> = [
            ("cpu", c.has_cpu_request.then(|| format_cpu(c.requests.cpu_m))),
            ("memory", c.has_memory_request.then(|| format_bytes(c.requests.memory))),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        for (title, mut list) in [("Limits", limits), ("Requests", requests)] {
            list.extend(c.extended.iter().map(|(n, v)| (&**n, v.to_string())));
            list.sort();
            if !list.is_empty() {
                w.w(2, &format!("{}:\n", title));
                for (k, v) in list {
                    w.w(3, &format!("{}:\t{}\n", k, v));
                }
            }
        }
        for (title, probe) in
            [("Liveness", &c.probes.liveness), ("Readiness", &c.probes.readiness), ("Startup", &c.probes.startup)]
        {
            if let Some(p) = probe {
                w.w(2, &format!("{}:\t{}\n", title, describe_probe(p)));
            }
        }
        // `describeContainerEnvVars`.
        let env = crate::objects::env::describe_lines(c, pod);
        w.w(2, if env.is_empty() { "Environment:\t<none>\n" } else { "Environment:\n" });
        for line in env {
            w.w(3, &format!("{}\n", line));
        }
        w.w(2, "Mounts:\t<none>\n");
    }
}

/// `describeStatus`.
fn state(w: &mut Out, title: &str, s: &ContainerState) {
    match s {
        ContainerState::Running { started_at } => {
            w.w(2, &format!("{}:\tRunning\n", title));
            w.w(3, &format!("Started:\t{}\n", rfc1123(*started_at)));
        }
        ContainerState::Waiting { reason, .. } => {
            w.w(2, &format!("{}:\tWaiting\n", title));
            if !reason.is_empty() {
                w.w(3, &format!("Reason:\t{}\n", reason));
            }
        }
        ContainerState::Terminated(t) => {
            w.w(2, &format!("{}:\tTerminated\n", title));
            terminated(w, t);
        }
    }
}

fn terminated(w: &mut Out, t: &TerminatedState) {
    if !t.reason.is_empty() {
        w.w(3, &format!("Reason:\t{}\n", t.reason));
    }
    if let Some(m) = t.message.as_deref().filter(|m| !m.is_empty()) {
        w.w(3, &format!("Message:\t{}\n", m));
    }
    w.w(3, &format!("Exit Code:\t{}\n", t.exit_code));
    if let Some(sig) = t.signal.filter(|s| *s > 0) {
        w.w(3, &format!("Signal:\t{}\n", sig));
    }
    let started = t.started_at.map(rfc1123).unwrap_or_else(|| ZERO_TIME.into());
    w.w(3, &format!("Started:\t{}\n", started));
    w.w(3, &format!("Finished:\t{}\n", rfc1123(t.finished_at)));
}

/// `DescribeProbe`.
fn describe_probe(p: &Probe) -> String {
    let port = |p: &PortRef| match p {
        PortRef::Number(n) => n.to_string(),
        PortRef::Name(n) => n.clone(),
    };
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds, p.timeout_seconds, p.period_seconds, p.success_threshold, p.failure_threshold
    );
    match &p.handler {
        Handler::Exec { command } => format!("exec [{}] {}", command.join(" "), attrs),
        Handler::HttpGet { path, port: pt, scheme } => {
            format!("http-get {}://:{}{} {}", scheme.to_ascii_lowercase(), port(pt), path, attrs)
        }
        Handler::TcpSocket { port: pt } => format!("tcp-socket :{} {}", port(pt), attrs),
        // Not a probe handler (preStop only); kubectl's fallback.
        Handler::Sleep { .. } => format!("unknown {}", attrs),
    }
}
