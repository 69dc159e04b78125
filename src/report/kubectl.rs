//! What `kubectl get` prints: the same columns and the same derived values
//! (pod STATUS and READY from `printPod`, node STATUS from `printNode`, ages
//! from `duration.HumanDuration`), decorated as kubectl's table printer
//! decorates them (`decorateTable`, cli-runtime `pkg/printers/tableprinter.go`:
//! NAMESPACE first, `kind/` before names, `-L` columns, LABELS last), and
//! `kubectl get events` (`printEvent`).

#![warn(missing_docs)]

use super::table::render;
use crate::objects::lease::Lease;
use crate::objects::meta::ObjectMeta;
use crate::objects::node::Node;
use crate::objects::pod::{ContainerState, Pod};
use crate::objects::replicaset::ReplicaSet;
use crate::objects::selector::Labels;
use crate::sim::trace::EventRecord;
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// A row of a kind's own columns and the object it shows (for the
/// namespace and label columns).
type Row<'a> = (Vec<String>, &'a ObjectMeta);

/// What kubectl's table printer adds around a kind's own columns
/// (`decorateTable` and `printRows`, cli-runtime
/// `pkg/printers/tableprinter.go`).
#[derive(Clone, Debug, Default)]
pub struct Decor {
    /// `-A` on a namespaced kind: a NAMESPACE column first.
    pub with_namespace: bool,
    /// `kind/` (or `kind.group/`) before each NAME, as `get all` and
    /// `get TYPE1,TYPE2` print it.
    pub kind_prefix: Option<String>,
    /// `-L KEY`: a column per key, headed by the key's last `/` segment
    /// upper-cased (`formatLabelHeaders`), empty where the label is absent.
    pub label_columns: Vec<String>,
    /// `--show-labels`: a LABELS column last, `k=v,k=v` sorted by key
    /// (`labels.FormatLabels`), `<none>` when there are none.
    pub show_labels: bool,
}

/// `labels.FormatLabels`: `k=v` pairs sorted by key, joined by commas;
/// `<none>` when empty.
pub fn format_labels(l: &Labels) -> String {
    if l.is_empty() {
        return "<none>".into();
    }
    l.iter().map(|(k, v)| format!("{}={}", k, v)).collect::<Vec<_>>().join(",")
}

impl Decor {
    /// Splits `-L` values as kubectl's string-slice flag does (repeatable,
    /// comma-separated).
    pub fn label_columns_from(values: &[String]) -> Vec<String> {
        values.iter().flat_map(|v| v.split(',')).map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect()
    }

    fn render(&self, header: &[&str], rows: Vec<Row>) -> String {
        let mut h: Vec<String> = Vec::new();
        if self.with_namespace {
            h.push("NAMESPACE".into());
        }
        h.extend(header.iter().map(|s| s.to_string()));
        h.extend(self.label_columns.iter().map(|k| k.rsplit('/').next().unwrap_or(k).to_ascii_uppercase()));
        if self.show_labels {
            h.push("LABELS".into());
        }
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|(mut cells, m)| {
                if let (Some(p), Some(name)) = (&self.kind_prefix, cells.first_mut()) {
                    *name = format!("{}/{}", p, name);
                }
                let mut r = Vec::with_capacity(h.len());
                if self.with_namespace {
                    r.push(m.namespace.to_string());
                }
                r.append(&mut cells);
                r.extend(self.label_columns.iter().map(|k| m.labels.get(k).cloned().unwrap_or_default()));
                if self.show_labels {
                    r.push(format_labels(&m.labels));
                }
                r
            })
            .collect();
        let h: Vec<&str> = h.iter().map(String::as_str).collect();
        render(&h, &rows)
    }
}

/// How long the apiserver keeps an Event after its last update
/// (kube-apiserver `--event-ttl`, default 1h).
pub const EVENT_TTL: SimDuration = SimDuration::from_secs(3600);

/// An Event object as the apiserver holds it: the recorder's correlator
/// (client-go `tools/record/events_cache.go`, `EventCorrelator`) folds the
/// occurrences of one event (same source, object, type, reason and
/// message) into one object with a count and a last timestamp.
#[derive(Clone, Debug)]
pub struct StoredEvent<'a> {
    /// The first occurrence (`firstTimestamp`, and every field but the
    /// count and `lastTimestamp`).
    pub first: &'a EventRecord,
    /// `lastTimestamp`.
    pub last: SimTime,
    /// `count`.
    pub count: usize,
}

impl StoredEvent<'_> {
    /// The Event's namespace: its object's, `default` for cluster-scoped
    /// objects (client-go `makeEvent`).
    pub fn namespace(&self) -> &str {
        if self.first.namespace.is_empty() {
            "default"
        } else {
            &self.first.namespace
        }
    }

    /// The Event's name, `<object name>.<first timestamp in hex nanos>`
    /// (client-go `makeEvent`): the order the apiserver lists them in.
    pub fn name(&self) -> String {
        format!("{}.{:x}", self.first.name, self.first.time.0)
    }

    /// `type`.
    pub fn type_(&self) -> &'static str {
        if self.first.warning {
            "Warning"
        } else {
            "Normal"
        }
    }
}

/// The Events the apiserver holds at `now`: occurrences up to `now`
/// folded as the correlator folds them, without those whose last update
/// is older than the TTL, in the apiserver's list order (namespace, then
/// Event name: object name, then first timestamp — on a real cluster the
/// nanosecond timestamps all have 16 hex digits, so they sort as numbers;
/// virtual time starts at the epoch, so the key pads them).
pub fn stored_events(events: &[EventRecord], now: SimTime) -> Vec<StoredEvent<'_>> {
    type Key<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, bool, &'a str);
    let mut index: BTreeMap<Key, usize> = BTreeMap::new();
    let mut out: Vec<StoredEvent> = Vec::new();
    for e in events.iter().filter(|e| e.time <= now) {
        let key = (e.kind, &*e.namespace, &*e.name, e.reason, &*e.message, e.warning, e.source);
        match index.get(&key) {
            Some(&i) => {
                out[i].last = e.time;
                out[i].count += 1;
            }
            None => {
                index.insert(key, out.len());
                out.push(StoredEvent { first: e, last: e.time, count: 1 });
            }
        }
    }
    out.retain(|e| now.saturating_sub(e.last) < EVENT_TTL);
    let mut keyed: Vec<(String, String, StoredEvent)> = out
        .into_iter()
        .map(|e| (e.namespace().to_string(), format!("{}.{:016x}", e.first.name, e.first.time.0), e))
        .collect();
    keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// `kubectl get events` (`printEvent`): LAST SEEN, TYPE, REASON, OBJECT
/// (`kind/name`, the kind lower-cased), MESSAGE; NAMESPACE first with
/// `with_namespace`.
pub fn events_table(events: &[StoredEvent], now: SimTime, with_namespace: bool) -> String {
    let mut header = vec![];
    if with_namespace {
        header.push("NAMESPACE");
    }
    header.extend(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let mut r = vec![];
            if with_namespace {
                r.push(e.namespace().to_string());
            }
            r.extend([
                human_duration(now.saturating_sub(e.last)),
                e.type_().to_string(),
                e.first.reason.to_string(),
                format!("{}/{}", e.first.kind.to_ascii_lowercase(), e.first.name),
                e.first.message.trim().to_string(),
            ]);
            r
        })
        .collect();
    render(&header, &rows)
}

/// A `--field-selector` on Events: the fields the apiserver supports for
/// them (`pkg/registry/core/event/strategy.go`, `ToSelectableFields`),
/// with `=`, `==` and `!=`, terms joined by commas.
#[derive(Clone, Debug, Default)]
pub struct EventFieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl EventFieldSelector {
    /// The fields an Event can be selected by.
    pub const FIELDS: &'static [&'static str] = &[
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "reason",
        "reportingComponent",
        "source",
        "type",
        "metadata.namespace",
        "metadata.name",
    ];

    /// Parses `field=value,field!=value`; an unknown field is the
    /// apiserver's `field label not supported`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for t in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, eq, value) = if let Some((f, v)) = t.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = t.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = t.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!("invalid selector: '{}'; can't understand '{}'", s, t));
            };
            let field = field.trim();
            if !Self::FIELDS.contains(&field) {
                return Err(format!("field label not supported: {}", field));
            }
            terms.push((field.to_string(), eq, value.trim().to_string()));
        }
        Ok(EventFieldSelector { terms })
    }

    /// Whether `e` matches every term.
    pub fn matches(&self, e: &StoredEvent) -> bool {
        self.terms.iter().all(|(f, eq, v)| {
            let name;
            let actual: &str = match f.as_str() {
                "involvedObject.kind" => e.first.kind,
                "involvedObject.namespace" => &e.first.namespace,
                "involvedObject.name" => &e.first.name,
                "reason" => e.first.reason,
                "reportingComponent" | "source" => e.first.source,
                "type" => e.type_(),
                "metadata.namespace" => e.namespace(),
                _ => {
                    name = e.name();
                    &name
                }
            };
            (actual == v) == *eq
        })
    }
}

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

/// The `-o wide` cells of a workload: CONTAINERS and IMAGES
/// (`layoutContainerCells`: comma-joined, in order), then SELECTOR.
pub fn workload_wide_cells(spec: &crate::objects::pod::PodSpec, selector: String) -> [String; 3] {
    let join = |f: &dyn Fn(&crate::objects::pod::Container) -> String| {
        spec.containers.iter().map(f).collect::<Vec<_>>().join(",")
    };
    [join(&|c| c.name.to_string()), join(&|c| c.image.to_string()), selector]
}

/// kubectl's AGE cell of an object at `now`.
pub fn age_of(meta: &ObjectMeta, now: SimTime) -> String {
    age(meta, now)
}

/// `kubectl get` of a typed kind (`objects::typed`): NAME, then the
/// kind's columns (and its wide ones with `-o wide`).
pub fn typed_table(objs: &[&dyn crate::objects::typed::TypedObject], now: SimTime, wide: bool, d: &Decor) -> String {
    let Some(first) = objs.first() else { return String::new() };
    let info = first.info();
    let mut headers = vec!["NAME"];
    headers.extend(info.columns);
    if wide {
        headers.extend(info.wide_columns);
    }
    let rows: Vec<Row> = objs
        .iter()
        .map(|o| {
            let mut cells = vec![o.meta().name.to_string()];
            cells.extend(o.row(now, wide));
            (cells, o.meta())
        })
        .collect();
    d.render(&headers, rows)
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

/// `kubectl get pods` (`-o wide` with `wide`), decorated by `d`, ages
/// measured at `now`.
pub fn pods_table(pods: &[&Pod], now: SimTime, wide: bool, d: &Decor) -> String {
    let mut header = vec!["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    if wide {
        header.extend(["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    }
    let rows: Vec<Row> = pods
        .iter()
        .map(|p| {
            let mut r =
                vec![p.meta.name.to_string(), pod_ready(p), pod_status(p), pod_restarts(p, now), age(&p.meta, now)];
            if wide {
                r.push(p.status.pod_ip.as_deref().unwrap_or("<none>").to_string());
                r.push(p.node_name().unwrap_or("<none>").to_string());
                r.push("<none>".into());
                r.push("<none>".into());
            }
            (r, &p.meta)
        })
        .collect();
    d.render(&header, rows)
}

/// `kubectl get leases`: NAME, HOLDER, AGE (`printLease`,
/// pkg/printers/internalversion/printers.go; HOLDER is `holderIdentity`).
pub fn leases_table(leases: &[&Lease], now: SimTime, d: &Decor) -> String {
    let rows: Vec<Row> = leases
        .iter()
        .map(|l| {
            let holder = l.spec.holder_identity.clone().unwrap_or_default();
            (vec![l.meta.name.to_string(), holder, age(&l.meta, now)], &l.meta)
        })
        .collect();
    d.render(&["NAME", "HOLDER", "AGE"], rows)
}

/// `kubectl get` of a kind kubesim stores without simulating, or of
/// custom resources without `additionalPrinterColumns`: NAME and AGE (the
/// server's default table, `metatable`), NAMESPACE first with `-A`;
/// CustomResourceDefinitions print NAME and CREATED AT (their printer
/// columns).
pub fn stored_table(objs: &[&ObjectMeta], now: SimTime, d: &Decor, crd: bool) -> String {
    let rows: Vec<Row> = objs
        .iter()
        .map(|m| {
            let when = if crd { super::manifest::timestamp(m.creation_timestamp) } else { age(m, now) };
            (vec![m.name.to_string(), when], *m)
        })
        .collect();
    d.render(&["NAME", if crd { "CREATED AT" } else { "AGE" }], rows)
}

/// `kubectl get namespaces`: NAME, STATUS (always Active: deleting a
/// namespace is not simulated), AGE.
pub fn namespaces_table(names: &[&ObjectMeta], now: SimTime, d: &Decor) -> String {
    let rows: Vec<Row> =
        names.iter().map(|m| (vec![m.name.to_string(), "Active".to_string(), age(m, now)], *m)).collect();
    d.render(&["NAME", "STATUS", "AGE"], rows)
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
pub fn nodes_table(nodes: &[&Node], now: SimTime, wide: bool, d: &Decor) -> String {
    let mut header = vec!["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
    if wide {
        header.extend(["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]);
    }
    let rows: Vec<Row> = nodes
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
            (r, &n.meta)
        })
        .collect();
    d.render(&header, rows)
}

/// `kubectl get rs` / `rc` (`-o wide` with `wide`), decorated by `d`,
/// ages measured at `now`.
pub fn replicasets_table(sets: &[&ReplicaSet], now: SimTime, wide: bool, d: &Decor) -> String {
    let mut header = vec!["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
    if wide {
        header.extend(["CONTAINERS", "IMAGES", "SELECTOR"]);
    }
    let rows: Vec<Row> = sets
        .iter()
        .map(|s| {
            let mut r = vec![];
            r.extend([
                s.meta.name.to_string(),
                s.spec.replicas.to_string(),
                s.status.replicas.to_string(),
                s.status.ready_replicas.to_string(),
                age(&s.meta, now),
            ]);
            if wide {
                r.extend(workload_wide_cells(&s.spec.template.spec, s.spec.selector.to_string()));
            }
            (r, &s.meta)
        })
        .collect();
    d.render(&header, rows)
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

    fn ev(t: u64, kind: &'static str, name: &str, reason: &'static str, msg: &str) -> EventRecord {
        EventRecord {
            time: SimTime::from_secs(t),
            warning: false,
            reason,
            kind,
            namespace: if kind == "Node" { String::new() } else { "default".into() },
            name: name.into(),
            message: msg.into(),
            source: "kubelet",
        }
    }

    #[test]
    fn labels_format_and_label_column_headers() {
        let mut l = Labels::new();
        assert_eq!(format_labels(&l), "<none>");
        l.insert("b".into(), "2".into());
        l.insert("a".into(), "1".into());
        assert_eq!(format_labels(&l), "a=1,b=2");
        let cols = Decor::label_columns_from(&["app,example.com/tier".into(), "x".into()]);
        assert_eq!(cols, ["app", "example.com/tier", "x"]);
        let meta =
            ObjectMeta { name: "p".into(), namespace: "ns".into(), labels: std::rc::Rc::new(l), ..Default::default() };
        let d = Decor { with_namespace: true, kind_prefix: Some("pod".into()), label_columns: cols, show_labels: true };
        assert_eq!(
            d.render(&["NAME"], vec![(vec!["p".into()], &meta)]),
            "NAMESPACE   NAME    APP   TIER   X     LABELS\nns          pod/p                      a=1,b=2\n"
        );
    }

    #[test]
    fn events_fold_expire_and_sort_as_the_apiserver_lists_them() {
        let events = vec![
            ev(1, "Pod", "web", "Pulling", "Pulling image"),
            ev(5, "Pod", "web", "BackOff", "Back-off"),
            ev(2, "Pod", "api", "Pulling", "Pulling image"),
            ev(9, "Pod", "web", "BackOff", "Back-off"),
            ev(40, "Node", "n1", "NodeNotReady", "not ready"),
            ev(30, "Pod", "web", "BackOff", "Back-off"),
        ];
        let now = SimTime::from_secs(10);
        let s = stored_events(&events, now);
        let rows: Vec<(&str, &str, usize, SimTime)> =
            s.iter().map(|e| (&*e.first.name, e.first.reason, e.count, e.last)).collect();
        // Later occurrences are not seen yet; the repeats fold; by object
        // name, then first time as a number (unpadded, 1 s is 0x3b9aca00
        // and 5 s 0x12a05f200: the strings would sort the other way).
        assert_eq!(
            rows,
            [
                ("api", "Pulling", 1, SimTime::from_secs(2)),
                ("web", "Pulling", 1, SimTime::from_secs(1)),
                ("web", "BackOff", 2, SimTime::from_secs(9)),
            ]
        );
        assert_eq!(s[0].name(), "api.77359400");
        // The node's Event lives in `default`; an hour after its last
        // update it is gone.
        let later = stored_events(&events, SimTime::from_secs(3631));
        assert_eq!(later.len(), 1);
        assert_eq!((later[0].first.reason, later[0].namespace()), ("NodeNotReady", "default"));
        assert!(stored_events(&events, SimTime::from_secs(3620)).iter().any(|e| e.first.reason == "BackOff"));
        assert_eq!(
            events_table(&s[2..], now, false),
            "LAST SEEN   TYPE     REASON    OBJECT    MESSAGE\n1s          Normal   BackOff   pod/web   Back-off\n"
        );
    }

    #[test]
    fn event_field_selectors() {
        let events = vec![ev(1, "Pod", "web", "Pulling", "x"), ev(2, "Node", "n1", "NodeNotReady", "y")];
        let s = stored_events(&events, SimTime::from_secs(5));
        let pick = |sel: &str| -> Vec<String> {
            let f = EventFieldSelector::parse(sel).unwrap();
            s.iter().filter(|e| f.matches(e)).map(|e| e.first.name.clone()).collect()
        };
        assert_eq!(pick("involvedObject.name=web"), ["web"]);
        assert_eq!(pick("involvedObject.kind==Node"), ["n1"]);
        assert_eq!(pick("involvedObject.kind!=Node,type=Normal"), ["web"]);
        assert_eq!(pick("reason=Nope"), Vec::<String>::new());
        assert_eq!(pick(""), ["n1", "web"]);
        assert_eq!(EventFieldSelector::parse("spec.x=1").unwrap_err(), "field label not supported: spec.x");
        assert!(EventFieldSelector::parse("reason").is_err());
    }
}
