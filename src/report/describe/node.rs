//! `describeNode`, with `describeNodeLease` and `describeNodeResource`.

use super::{annotations_multiline, events, labels_multiline, rfc1123, since, Out};
use crate::objects::lease::Lease;
use crate::objects::node::Node;
use crate::objects::pod::{Pod, PodSpec};
use crate::objects::quantity::{format_bytes, format_cpu};
use crate::objects::resources::Resources;
use crate::sim::trace::EventRecord;
use crate::sim::SimTime;
use std::rc::Rc;

/// What `kubectl describe node` prints for `n` at `now`: `lease` is its
/// Lease in `kube-node-lease` (if there is one), `pods` the pods bound to
/// it in key order (the non-terminated ones are listed).
///
/// Left out as kubesim does not model them: conditions other than Ready,
/// `PodCIDR`, `ProviderID`, ResourceSlices; System Info has the kubelet,
/// runtime and OS image versions and the OS and architecture of the node's labels
/// (`status.nodeInfo` as `-o yaml` shows it); its other lines are empty, as
/// kubectl prints them for a node that does not report them.
pub fn describe_node(
    n: &Node,
    lease: Option<&Lease>,
    pods: &[Rc<Pod>],
    all_events: &[EventRecord],
    now: SimTime,
) -> String {
    let mut w = Out::default();
    w.w(0, &format!("Name:\t{}\n", n.meta.name));
    let roles = roles(n);
    w.w(0, &format!("Roles:\t{}\n", if roles.is_empty() { "<none>".into() } else { roles.join(",") }));
    labels_multiline(&mut w, "Labels", &n.meta.labels);
    annotations_multiline(&mut w, "Annotations", &n.meta.annotations);
    w.w(0, &format!("CreationTimestamp:\t{}\n", rfc1123(n.meta.creation_timestamp)));
    // `printNodeTaintsMultiline`: sorted by "effect,key"; `Taint.ToString`.
    w.w(0, "Taints:\t");
    let mut taints: Vec<_> = n.spec.taints.iter().collect();
    taints.sort_by_key(|t| format!("{},{}", t.effect.as_str(), t.key));
    if taints.is_empty() {
        w.w(0, "<none>\n");
    }
    for (i, t) in taints.into_iter().enumerate() {
        if i != 0 {
            w.w(0, "\t");
        }
        if t.value.is_empty() {
            w.w(0, &format!("{}:{}\n", t.key, t.effect.as_str()));
        } else {
            w.w(0, &format!("{}={}:{}\n", t.key, t.value, t.effect.as_str()));
        }
    }
    w.w(0, &format!("Unschedulable:\t{}\n", n.spec.unschedulable));
    match lease {
        Some(l) => {
            w.w(0, "Lease:\n");
            w.w(1, &format!("HolderIdentity:\t{}\n", l.spec.holder_identity.as_deref().unwrap_or("<unset>")));
            let acquire = l.spec.acquire_time.map(rfc1123).unwrap_or_else(|| "<unset>".into());
            w.w(1, &format!("AcquireTime:\t{}\n", acquire));
            let renew = l.renew_time_at(now).map(rfc1123).unwrap_or_else(|| "<unset>".into());
            w.w(1, &format!("RenewTime:\t{}\n", renew));
        }
        None => {
            w.w(0, &format!("Lease:\tFailed to get lease: leases.coordination.k8s.io \"{}\" not found\n", n.meta.name))
        }
    }
    let r = &n.status.ready;
    w.w(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
    w.w(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
    w.w(
        1,
        &format!(
            "Ready \t{} \t{} \t{} \t{} \t{}\n",
            r.status.as_str(),
            rfc1123(r.last_heartbeat_time),
            rfc1123(r.last_transition_time),
            r.reason,
            r.message
        ),
    );
    w.w(0, "Addresses:\n");
    w.w(1, &format!("InternalIP:\t{}\n", n.status.internal_ip));
    w.w(1, &format!("Hostname:\t{}\n", n.meta.name));
    for (title, r) in [("Capacity", &n.status.capacity), ("Allocatable", &n.status.allocatable)] {
        // `SortedResourceNames`: extended resources among the others.
        let mut lines: Vec<(String, String)> = vec![
            ("cpu".into(), format_cpu(r.cpu_m)),
            ("memory".into(), format_bytes(r.memory)),
            ("pods".into(), r.pods.to_string()),
        ];
        lines.extend(n.status.extended.iter().map(|(name, v)| (name.to_string(), v.to_string())));
        lines.sort();
        w.w(0, &format!("{}:\n", title));
        for (name, v) in lines {
            w.w(0, &format!("  {}:\t{}\n", name, v));
        }
    }
    w.w(0, "System Info:\n");
    for key in ["Machine ID", "System UUID", "Boot ID", "Kernel Version"] {
        w.w(0, &format!("  {}:\t\n", key));
    }
    w.w(0, &format!("  OS Image:\t{}\n", crate::report::manifest::OS_IMAGE));
    let label = |k: &str| n.meta.labels.get(k).map(String::as_str).unwrap_or("");
    w.w(0, &format!("  Operating System:\t{}\n", label("kubernetes.io/os")));
    w.w(0, &format!("  Architecture:\t{}\n", label("kubernetes.io/arch")));
    w.w(0, "  Container Runtime Version:\tcontainerd://simulated\n");
    w.w(0, &format!("  Kubelet Version:\t{}\n", n.status.kubelet_version));
    node_resource(&mut w, n, pods, now);
    events(&mut w, all_events, "Node", &n.meta, now);
    w.finish()
}

/// `findNodeRoles`: `node-role.kubernetes.io/<role>` labels and the value
/// of `kubernetes.io/role`, sorted.
fn roles(n: &Node) -> Vec<String> {
    let mut roles: Vec<String> = n
        .meta
        .labels
        .iter()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role.to_string()),
            _ if k == "kubernetes.io/role" && !v.is_empty() => Some(v.clone()),
            _ => None,
        })
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// `resourcehelper.PodRequests` and `PodLimits` for cpu and memory: the
/// containers' sum, or the largest init container's when that is more.
fn pod_requests_limits(spec: &PodSpec) -> (Resources, Resources) {
    let req = |c: &crate::objects::pod::Container| Resources {
        cpu_m: if c.has_cpu_request { c.requests.cpu_m } else { 0 },
        memory: if c.has_memory_request { c.requests.memory } else { 0 },
        pods: 0,
    };
    let lim =
        |c: &crate::objects::pod::Container| Resources { cpu_m: c.limits.cpu_m, memory: c.limits.memory, pods: 0 };
    let total = |f: &dyn Fn(&crate::objects::pod::Container) -> Resources| {
        let mut sum = Resources::default();
        for c in spec.containers.iter() {
            let r = f(c);
            sum.cpu_m += r.cpu_m;
            sum.memory += r.memory;
        }
        for c in spec.init_containers.iter() {
            let r = f(c);
            sum.cpu_m = sum.cpu_m.max(r.cpu_m);
            sum.memory = sum.memory.max(r.memory);
        }
        sum
    };
    (total(&req), total(&lim))
}

/// `int64(float64(part) / float64(whole) * 100)`.
fn percent(part: u64, whole: u64) -> i64 {
    if whole == 0 {
        return 0;
    }
    (part as f64 / whole as f64 * 100.0) as i64
}

/// `describeNodeResource`: the non-terminated pods with their requests and
/// limits against allocatable, then the totals.
fn node_resource(w: &mut Out, n: &Node, pods: &[Rc<Pod>], now: SimTime) {
    let pods: Vec<&Rc<Pod>> = pods.iter().filter(|p| !p.status.phase.is_terminal()).collect();
    let alloc = &n.status.allocatable;
    w.w(0, &format!("Non-terminated Pods:\t({} in total)\n", pods.len()));
    w.w(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    w.w(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    let mut total_req = Resources::default();
    let mut total_lim = Resources::default();
    for p in &pods {
        let (req, lim) = pod_requests_limits(&p.spec);
        w.w(
            1,
            &format!(
                "{}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
                p.meta.namespace,
                p.meta.name,
                format_cpu(req.cpu_m),
                percent(req.cpu_m, alloc.cpu_m),
                format_cpu(lim.cpu_m),
                percent(lim.cpu_m, alloc.cpu_m),
                format_bytes(req.memory),
                percent(req.memory, alloc.memory),
                format_bytes(lim.memory),
                percent(lim.memory, alloc.memory),
                since(now, p.meta.creation_timestamp)
            ),
        );
        total_req.cpu_m += req.cpu_m;
        total_req.memory += req.memory;
        total_lim.cpu_m += lim.cpu_m;
        total_lim.memory += lim.memory;
    }
    w.w(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n");
    w.w(1, "Resource\tRequests\tLimits\n");
    w.w(1, "--------\t--------\t------\n");
    w.w(
        1,
        &format!(
            "cpu\t{} ({}%)\t{} ({}%)\n",
            format_cpu(total_req.cpu_m),
            percent(total_req.cpu_m, alloc.cpu_m),
            format_cpu(total_lim.cpu_m),
            percent(total_lim.cpu_m, alloc.cpu_m)
        ),
    );
    w.w(
        1,
        &format!(
            "memory\t{} ({}%)\t{} ({}%)\n",
            format_bytes(total_req.memory),
            percent(total_req.memory, alloc.memory),
            format_bytes(total_lim.memory),
            percent(total_lim.memory, alloc.memory)
        ),
    );
    // kubesim models no ephemeral storage: nothing requests it.
    w.w(1, "ephemeral-storage\t0 (0%)\t0 (0%)\n");
    // Then each extended resource of allocatable, by name, without
    // percentages; requests equal limits for them.
    for (name, _) in n.status.extended.iter() {
        let used: u64 = pods.iter().map(|p| p.spec.extended_requests().get(name)).sum();
        w.w(1, &format!("{}\t{}\t{}\n", name, used, used));
    }
}
