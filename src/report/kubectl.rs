//! What `kubectl get` prints: the same columns and the same derived values
//! (pod STATUS and READY from `printPod`, node STATUS from `printNode`, ages
//! from `duration.HumanDuration`).

#![warn(missing_docs)]

use super::table::render;
use crate::objects::lease::Lease;
use crate::objects::meta::ObjectMeta;
use crate::objects::node::Node;
use crate::objects::pod::{ContainerState, Pod};
use crate::objects::replicaset::ReplicaSet;
use crate::sim::{SimDuration, SimTime};

/// `duration.HumanDuration`.
pub fn human_duration(d: SimDuration) -> String {
    let secs = d.as_secs();
    if secs < 120 {
        return format!("{}s", secs);
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 { format!("{}m", minutes) } else { format!("{}m{}s", minutes, s) };
    }
    if minutes < 180 {
        return format!("{}m", minutes);
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{}h", hours) } else { format!("{}h{}m", hours, m) };
    }
    if hours < 48 {
        return format!("{}h", hours);
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{}h", hours / 24, h) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{}d", hours / 24 / 365, dy) };
    }
    format!("{}y", hours / 24 / 365)
}

fn age(meta: &ObjectMeta, now: SimTime) -> String {
    human_duration(now.saturating_sub(meta.creation_timestamp))
}

/// The pod's STATUS column (`printPod`).
pub fn pod_status(p: &Pod) -> String {
    let mut reason: String = p.status.reason.as_deref().unwrap_or(p.status.phase.as_str()).to_string();
    // Init containers first (`printPod`): the first one not done decides.
    let n_init = p.spec.init_containers.len();
    let mut initializing = false;
    for (i, c) in p.status.init_container_statuses.iter().enumerate() {
        match &c.state {
            ContainerState::Terminated(t) if t.exit_code == 0 => continue,
            ContainerState::Terminated(t) => reason = format!("Init:{}", t.reason),
            ContainerState::Waiting { reason: r, .. } if !r.is_empty() && &**r != "PodInitializing" => {
                reason = format!("Init:{}", r)
            }
            _ => reason = format!("Init:{}/{}", i, n_init),
        }
        initializing = true;
        break;
    }
    let initialized = p.status.conditions.initialized.as_ref().is_some_and(|c| c.is_true());
    if initializing && !initialized {
        if p.meta.deletion_timestamp.is_some() && !p.status.phase.is_terminal() {
            return "Terminating".into();
        }
        return reason;
    }
    let mut has_running = false;
    for c in p.status.container_statuses.iter().rev() {
        match &c.state {
            ContainerState::Waiting { reason: r, .. } if !r.is_empty() => reason = r.to_string(),
            ContainerState::Terminated(t) if !t.reason.is_empty() => reason = t.reason.to_string(),
            ContainerState::Terminated(t) => {
                reason = match t.signal {
                    Some(s) if s != 0 => format!("Signal:{}", s),
                    _ => format!("ExitCode:{}", t.exit_code),
                }
            }
            ContainerState::Running { .. } if c.ready => has_running = true,
            _ => {}
        }
    }
    if reason == "Completed" && has_running {
        reason = if p.is_ready() { "Running".into() } else { "NotReady".into() };
    }
    if p.meta.deletion_timestamp.is_some() {
        if p.status.reason.as_deref() == Some("NodeLost") {
            reason = "Unknown".into();
        } else if !p.status.phase.is_terminal() {
            reason = "Terminating".into();
        }
    }
    reason
}

/// The READY column: ready running containers / all containers.
pub fn pod_ready(p: &Pod) -> String {
    let ready = p
        .status
        .container_statuses
        .iter()
        .filter(|c| c.ready && matches!(c.state, ContainerState::Running { .. }))
        .count();
    format!("{}/{}", ready, p.spec.containers.len())
}

/// The RESTARTS column, with `(… ago)` since the last termination.
pub fn pod_restarts(p: &Pod, now: SimTime) -> String {
    let restarts = p.restart_count();
    let last = p.status.container_statuses.iter().filter_map(|c| c.last_state.as_ref().map(|t| t.finished_at)).max();
    match last {
        Some(t) if restarts > 0 => format!("{} ({} ago)", restarts, human_duration(now.saturating_sub(t))),
        _ => restarts.to_string(),
    }
}

/// `kubectl get pods` (`-o wide` with `wide`, a NAMESPACE column with
/// `all_namespaces`), ages measured at `now`.
pub fn pods_table(pods: &[&Pod], now: SimTime, wide: bool, all_namespaces: bool) -> String {
    let mut header = vec![];
    if all_namespaces {
        header.push("NAMESPACE");
    }
    header.extend(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    if wide {
        header.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let rows: Vec<Vec<String>> = pods
        .iter()
        .map(|p| {
            let mut r = vec![];
            if all_namespaces {
                r.push(p.meta.namespace.to_string());
            }
            r.extend([p.meta.name.to_string(), pod_ready(p), pod_status(p), pod_restarts(p, now), age(&p.meta, now)]);
            if wide {
                r.push(p.status.pod_ip.as_deref().unwrap_or("<none>").to_string());
                r.push(p.node_name().unwrap_or("<none>").to_string());
                r.push("<none>".into());
                r.push("<none>".into());
            }
            r
        })
        .collect();
    render(&header, &rows)
}

/// `kubectl get leases`: NAME, HOLDER, AGE (`printLease`,
/// pkg/printers/internalversion/printers.go; HOLDER is `holderIdentity`).
pub fn leases_table(leases: &[&Lease], now: SimTime, all_namespaces: bool) -> String {
    let mut header = vec![];
    if all_namespaces {
        header.push("NAMESPACE");
    }
    header.extend(["NAME", "HOLDER", "AGE"]);
    let rows: Vec<Vec<String>> = leases
        .iter()
        .map(|l| {
            let mut r = vec![];
            if all_namespaces {
                r.push(l.meta.namespace.to_string());
            }
            let holder = l.spec.holder_identity.clone().unwrap_or_default();
            r.extend([l.meta.name.to_string(), holder, age(&l.meta, now)]);
            r
        })
        .collect();
    render(&header, &rows)
}

/// `kubectl get` of a kind kubesim stores without simulating, or of
/// custom resources without `additionalPrinterColumns`: NAME and AGE (the
/// server's default table, `metatable`), NAMESPACE first with `-A`;
/// CustomResourceDefinitions print NAME and CREATED AT (their printer
/// columns).
pub fn stored_table(objs: &[(&ObjectMeta, bool)], now: SimTime, all_namespaces: bool, crd: bool) -> String {
    let mut header = vec![];
    if all_namespaces && objs.iter().any(|(_, namespaced)| *namespaced) {
        header.push("NAMESPACE");
    }
    let with_ns = !header.is_empty();
    header.push("NAME");
    header.push(if crd { "CREATED AT" } else { "AGE" });
    let rows: Vec<Vec<String>> = objs
        .iter()
        .map(|(m, _)| {
            let mut r = vec![];
            if with_ns {
                r.push(m.namespace.to_string());
            }
            r.push(m.name.to_string());
            r.push(if crd { super::manifest::timestamp(m.creation_timestamp) } else { age(m, now) });
            r
        })
        .collect();
    render(&header, &rows)
}

/// `kubectl get namespaces`: NAME, STATUS (always Active: deleting a
/// namespace is not simulated), AGE.
pub fn namespaces_table(names: &[&ObjectMeta], now: SimTime) -> String {
    let rows: Vec<Vec<String>> =
        names.iter().map(|m| vec![m.name.to_string(), "Active".to_string(), age(m, now)]).collect();
    render(&["NAME", "STATUS", "AGE"], &rows)
}

/// The node's STATUS column (`printNode`).
pub fn node_status(n: &Node) -> String {
    let mut s = if n.is_ready() { "Ready".to_string() } else { "NotReady".to_string() };
    if n.spec.unschedulable {
        s.push_str(",SchedulingDisabled");
    }
    s
}

fn node_roles(n: &Node) -> String {
    let roles: Vec<&str> = n
        .meta
        .labels
        .keys()
        .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
        .filter(|r| !r.is_empty())
        .collect();
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.join(",")
    }
}

/// `kubectl get nodes` (`-o wide` with `wide`), ages measured at `now`.
pub fn nodes_table(nodes: &[&Node], now: SimTime, wide: bool) -> String {
    let mut header = vec!["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
    if wide {
        header.extend(["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]);
    }
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            let mut r = vec![
                n.meta.name.to_string(),
                node_status(n),
                node_roles(n),
                age(&n.meta, now),
                n.status.kubelet_version.clone(),
            ];
            if wide {
                r.extend([
                    n.status.internal_ip.clone(),
                    "<none>".into(),
                    "kubesim (simulated)".into(),
                    "-".into(),
                    "containerd://simulated".into(),
                ]);
            }
            r
        })
        .collect();
    render(&header, &rows)
}

/// `kubectl get rs` / `rc` (`-o wide` with `wide`, a NAMESPACE column
/// with `all_namespaces`), ages measured at `now`.
pub fn replicasets_table(sets: &[&ReplicaSet], now: SimTime, wide: bool, all_namespaces: bool) -> String {
    let mut header = vec![];
    if all_namespaces {
        header.push("NAMESPACE");
    }
    header.extend(["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    if wide {
        header.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows: Vec<Vec<String>> = sets
        .iter()
        .map(|s| {
            let mut r = vec![];
            if all_namespaces {
                r.push(s.meta.namespace.to_string());
            }
            r.extend([
                s.meta.name.to_string(),
                s.spec.replicas.to_string(),
                s.status.replicas.to_string(),
                s.status.ready_replicas.to_string(),
                age(&s.meta, now),
            ]);
            if wide {
                let t = &s.spec.template.spec;
                r.push(t.containers.iter().map(|c| c.name.to_string()).collect::<Vec<_>>().join(","));
                r.push(t.containers.iter().map(|c| c.image.to_string()).collect::<Vec<_>>().join(","));
                r.push(s.spec.selector.to_string());
            }
            r
        })
        .collect();
    render(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        let s = SimDuration::from_secs;
        assert_eq!(human_duration(s(5)), "5s");
        assert_eq!(human_duration(s(119)), "119s");
        assert_eq!(human_duration(s(120)), "2m");
        assert_eq!(human_duration(s(150)), "2m30s");
        assert_eq!(human_duration(s(600)), "10m");
        assert_eq!(human_duration(s(3 * 3600 + 60)), "3h1m");
        assert_eq!(human_duration(s(9 * 3600)), "9h");
        assert_eq!(human_duration(s(50 * 3600)), "2d2h");
    }

    #[test]
    fn table_padding() {
        let t = render(&["NAME", "READY"], &[vec!["a".into(), "1/1".into()]]);
        assert_eq!(t, "NAME   READY\na      1/1\n");
    }
}
