//! The kubectl of the book's chapters 2–4, through the binary: every
//! table checked column for column against what kubectl v1.32's printers
//! print (`pkg/printers/internalversion/printers.go`, cli-runtime
//! `pkg/printers/tableprinter.go`), and the timeline's kubectl forms.

use crate::cli::tempdir;
use crate::{kubesim, stderr, stdout};

/// Three named pods pinned to two nodes (no scheduler, no random names),
/// an RC and a ReplicaSet at zero replicas; at 2m n1 crashes and n2 is
/// cut from the apiserver.
const CLUSTER: &str = r#"name: kubectl commands
seed: 1
duration: 3m
cluster:
  nodes: [{name: n1}, {name: n2}]
images:
  busybox: {pull: 1s, start: 1s}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a, labels: {app: web, example.com/tier: front}}
    spec: {nodeName: n1, containers: [{name: c, image: busybox}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b, labels: {app: db}}
    spec: {nodeName: n2, containers: [{name: c, image: busybox}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: c}
    spec: {nodeName: n2, containers: [{name: c, image: busybox}]}
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: rc0}
    spec: {replicas: 0, selector: {app: none}, template: {metadata: {labels: {app: none}}, spec: {containers: [{name: c, image: busybox}]}}}
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata: {name: rs0}
    spec: {replicas: 0, selector: {matchLabels: {app: none}}, template: {metadata: {labels: {app: none}}, spec: {containers: [{name: c, image: busybox}]}}}
timeline:
  - at: 2m
    crashNode: n1
  - at: 2m
    partitionNode: n2
"#;

fn scenario(tag: &str, text: &str) -> String {
    let dir = tempdir(tag);
    let p = dir.join("s.yaml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Runs `kubesim ARGS`, expecting exit 0; returns stdout.
fn ok(args: &[&str]) -> String {
    let o = kubesim(args);
    assert_eq!(o.status.code(), Some(0), "{:?}: {}{}", args, stdout(&o), stderr(&o));
    stdout(&o)
}

#[test]
fn get_ns_lists_the_namespaces_of_a_new_cluster() {
    let s = scenario("ns", CLUSTER);
    let want = "NAME              STATUS   AGE\n\
                default           Active   60s\n\
                kube-node-lease   Active   60s\n\
                kube-public       Active   60s\n\
                kube-system       Active   60s\n";
    assert_eq!(ok(&["get", "ns", "--at", "1m", &s]), want);
    assert_eq!(ok(&["get", "namespaces", "--at", "1m", &s]), want);
}

#[test]
fn show_labels_and_label_columns_as_decorate_table_adds_them() {
    let s = scenario("labels", CLUSTER);
    // -L columns after the kind's own, headed by the key's last path
    // segment upper-cased, empty where the label is absent; LABELS last,
    // sorted `k=v` pairs, `<none>` when there are none.
    let want = "NAME   READY   STATUS    RESTARTS   AGE   APP   TIER    LABELS\n\
                a      1/1     Running   0          60s   web   front   app=web,example.com/tier=front\n\
                b      1/1     Running   0          60s   db            app=db\n\
                c      1/1     Running   0          60s                 <none>\n";
    assert_eq!(ok(&["get", "pods", "--show-labels", "-L", "app", "-L", "example.com/tier", "--at", "1m", &s]), want);
    // Comma-separated is the same as repeated.
    assert_eq!(ok(&["get", "pods", "--show-labels", "-L", "app,example.com/tier", "--at", "1m", &s]), want);
    // After the wide columns; NAMESPACE first with -A.
    let out = ok(&["get", "pods", "a", "-o", "wide", "-A", "--show-labels", "--at", "1m", &s]);
    assert_eq!(
        out,
        "NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP          NODE   NOMINATED NODE   READINESS GATES   LABELS\n\
         default     a      1/1     Running   0          60s   10.64.0.2   n1     <none>           <none>            app=web,example.com/tier=front\n"
    );
    // A short column is still 6 wide, padding included (tabwriter's
    // minwidth).
    let out = ok(&["get", "rc", "-L", "x", "--at", "1m", &s]);
    assert_eq!(out, "NAME   DESIRED   CURRENT   READY   AGE   X\nrc0    0         0         0       60s\n");
}

#[test]
fn get_all_prints_one_table_per_kind_in_kubectls_order() {
    let s = scenario("all", CLUSTER);
    let want = "NAME    READY   STATUS    RESTARTS   AGE\n\
                pod/a   1/1     Running   0          60s\n\
                pod/b   1/1     Running   0          60s\n\
                pod/c   1/1     Running   0          60s\n\
                \n\
                NAME                        DESIRED   CURRENT   READY   AGE\n\
                replicationcontroller/rc0   0         0         0       60s\n\
                \n\
                NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n\
                service/kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP   60s\n\
                \n\
                NAME                  DESIRED   CURRENT   READY   AGE\n\
                replicaset.apps/rs0   0         0         0       60s\n";
    assert_eq!(ok(&["get", "all", "--at", "1m", &s]), want);
    // -l applies to every kind; nothing left is kubectl's note.
    let o = kubesim(&["get", "all", "-l", "app=db", "--at", "1m", &s]);
    assert_eq!(stdout(&o), "NAME    READY   STATUS    RESTARTS   AGE\npod/b   1/1     Running   0          60s\n");
    // kubeadm's cluster DNS Service is in kube-system.
    let o = kubesim(&["get", "all", "-n", "kube-system", "--at", "1m", &s]);
    assert_eq!(
        stdout(&o),
        "NAME               TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE\n\
         service/kube-dns   ClusterIP   10.96.0.10   <none>        53/UDP,53/TCP,9153/TCP   60s\n"
    );
    let o = kubesim(&["get", "all", "-n", "kube-public", "--at", "1m", &s]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    assert_eq!(stderr(&o), "No resources found in kube-public namespace.\n");
}

#[test]
fn get_of_several_kinds_and_stored_kinds_in_get_all() {
    let s = scenario("kinds", CLUSTER);
    assert_eq!(
        ok(&["get", "rs,po", "-l", "app", "--at", "1m", &s]),
        "NAME    READY   STATUS    RESTARTS   AGE\npod/a   1/1     Running   0          60s\npod/b   1/1     Running   0          60s\n"
    );
    // A Service is in the category, between the RCs and the ReplicaSets,
    // with `printService`'s columns (its IP drawn from the seed).
    let with_svc = CLUSTER.replace(
        "timeline:",
        "  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}\ntimeline:",
    );
    let s = scenario("svc", &with_svc);
    let o = kubesim(&["get", "all", "--at", "1m", &s]);
    let out = stdout(&o);
    let tables: Vec<&str> =
        out.split("\n\n").map(|t| t.lines().nth(1).unwrap().split_whitespace().next().unwrap()).collect();
    assert_eq!(tables, ["pod/a", "replicationcontroller/rc0", "service/kubernetes", "replicaset.apps/rs0"]);
    assert!(
        out.contains(
            "NAME                 TYPE        CLUSTER-IP      EXTERNAL-IP   PORT(S)   AGE\n\
             service/kubernetes   ClusterIP   10.96.0.1       <none>        443/TCP   60s\n\
             service/web          ClusterIP   10.104.50.230   <none>        80/TCP    60s\n"
        ),
        "{}",
        out
    );
    assert_eq!(stderr(&o), "");
    // A kind stored but not simulated: NAME and AGE, and a note.
    let with_cm =
        CLUSTER.replace("timeline:", "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: cfg}}\ntimeline:");
    let s = scenario("cm", &with_cm);
    let o = kubesim(&["get", "configmaps", "--at", "1m", &s]);
    assert_eq!(stdout(&o), "NAME   AGE\ncfg    60s\n");
    assert_eq!(stderr(&o), "(configmaps is stored but not simulated: only NAME and AGE are shown)\n");
    let o = kubesim(&["get", "all", "x", &s]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn get_events_as_print_event_prints_them() {
    let s = scenario("events", CLUSTER);
    // Pods bound by nodeName skip the scheduler: the kubelet's events
    // only. Listed by Event name (object name, then first timestamp).
    let want = "LAST SEEN   TYPE     REASON    OBJECT   MESSAGE\n\
                59s         Normal   Pulling   pod/a    Pulling image \"busybox\"\n\
                58s         Normal   Pulled    pod/a    Successfully pulled image \"busybox\" in 1s (1s including waiting)\n\
                58s         Normal   Created   pod/a    Created container c\n\
                57s         Normal   Started   pod/a    Started container c\n";
    assert_eq!(ok(&["get", "events", "--field-selector", "involvedObject.name=a", "--at", "1m", &s]), want);
    let all = ok(&["get", "ev", "--at", "1m", &s]);
    assert_eq!(all.lines().count(), 1 + 12, "{}", all);
    let objects: Vec<&str> = all.lines().skip(1).map(|l| l.split_whitespace().nth(3).unwrap()).collect();
    assert!(objects.windows(2).all(|w| w[0] <= w[1]), "{:?}", objects);
    // -A: NAMESPACE first; a node's events live in `default`.
    let out = ok(&["get", "events", "-A", "--field-selector", "involvedObject.kind=Node", "--at", "2m30s", &s]);
    assert_eq!(
        out,
        "NAMESPACE   LAST SEEN   TYPE      REASON            OBJECT    MESSAGE\n\
         default     30s         Warning   NodeCrashed       node/n1   node crashed (fault injected)\n\
         default     30s         Warning   NodePartitioned   node/n2   node lost the apiserver (fault injected)\n"
    );
    // `!=` and several terms.
    let out = ok(&["get", "events", "--field-selector", "type!=Normal,reason=NodeCrashed", "--at", "2m30s", &s]);
    assert_eq!(out.lines().count(), 2, "{}", out);
    // Events carry no labels.
    let o = kubesim(&["get", "events", "-l", "app=web", "--at", "1m", &s]);
    assert_eq!((stdout(&o), stderr(&o)), (String::new(), "No resources found in default namespace.\n".to_string()));
    // An unknown field is refused, naming it.
    let o = kubesim(&["get", "events", "--field-selector", "spec.foo=x", &s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("field label not supported: spec.foo"), "{}", stderr(&o));
    let o = kubesim(&["get", "pods", "--field-selector", "reason=x", &s]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn repeated_events_are_one_event_with_its_last_time() {
    // The correlator folds a crash loop's BackOffs into one Event:
    // `describe` says `(xN over …)`, `get events` shows one row whose
    // LAST SEEN is the describe row's age.
    let s = "scenarios/crash-loop-backoff.yaml";
    let out = ok(&["get", "events", "--field-selector", "reason=BackOff", "--at", "10m", s]);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{}", out);
    let describe = ok(&["describe", "pod", "crasher", "--at", "10m", s]);
    let line = describe.lines().find(|l| l.trim_start().starts_with("Warning  BackOff")).expect("BackOff in describe");
    assert!(line.contains(" (x"), "{}", line);
    let age = line.split_whitespace().nth(2).unwrap();
    assert_eq!(rows[0].split_whitespace().next(), Some(age), "{}\n{}", out, line);
}

#[test]
fn events_expire_an_hour_after_their_last_update() {
    let text = CLUSTER
        .replace("duration: 3m", "duration: 62m")
        .replace("timeline:\n  - at: 2m\n    crashNode: n1\n  - at: 2m\n    partitionNode: n2\n", "");
    let s = scenario("ttl", &text);
    // Pod a's events are at 1–3 s.
    assert_eq!(ok(&["get", "events", "--at", "60m", &s]).lines().count(), 13);
    let o = kubesim(&["get", "events", "--at", "61m", &s]);
    assert_eq!((stdout(&o), stderr(&o)), (String::new(), "No resources found in default namespace.\n".to_string()));
}

#[test]
fn logs_of_a_pod_on_a_dead_or_cut_off_node_is_the_apiservers_dial_error() {
    let s = scenario("logs", CLUSTER);
    // Node IPs as `get nodes -o wide` shows them.
    let nodes = ok(&["get", "nodes", "-o", "wide", &s]);
    let ip = |n: &str| nodes.lines().find(|l| l.starts_with(n)).unwrap().split_whitespace().nth(5).unwrap().to_string();
    for (pod, node) in [("a", "n1"), ("b", "n2")] {
        let o = kubesim(&["logs", pod, "--at", "2m1s", &s]);
        assert_eq!(o.status.code(), Some(1));
        let ip = ip(node);
        assert_eq!(
            stderr(&o),
            format!(
                "Error from server: Get \"https://{ip}:10250/containerLogs/default/{pod}/c\": dial tcp {ip}:10250: i/o timeout\n"
            )
        );
    }
    // Before the faults the kubelet answers.
    assert_eq!(kubesim(&["logs", "a", "--at", "1m", &s]).status.code(), Some(0));
}

#[test]
fn snapshots_come_from_one_run_that_what_is_shown_does_not_change() {
    let s = "scenarios/node-dies-rc-reschedules.yaml";
    let o = kubesim(&["get", "pods", "--from", "0s", "--until", "2m", "--every", "10s", "--print-hash", s]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with("--- t=")).collect();
    assert_eq!(headers.len(), 13);
    assert_eq!((headers[0], headers[1], headers[12]), ("--- t=0s ---", "--- t=10s ---", "--- t=2m0s ---"));
    // At 0s nothing is created yet: kubectl's note, in its place.
    assert!(
        out.starts_with("--- t=0s ---\nNo resources found in default namespace.\n\n--- t=10s ---\nNAME "),
        "{}",
        out
    );
    // Each table is what `get --at` prints at that instant.
    let at_1m = ok(&["get", "pods", "--at", "1m", s]);
    let block = out.split("\n\n").find(|b| b.starts_with("--- t=1m0s ---")).unwrap();
    assert_eq!(format!("{}\n", block.trim_start_matches("--- t=1m0s ---\n")), at_1m);
    // The run is a plain run to --until.
    let hash = stderr(&o).lines().find_map(|l| l.strip_prefix("trace-hash: ")).unwrap().to_string();
    let run = ok(&["run", "-q", "--until", "2m", s]);
    assert_eq!(run.lines().last(), Some(format!("trace-hash: {}", hash).as_str()));
    // Events and --from too.
    let ev = ok(&["get", "events", "--from", "3m", "--until", "4m", "--every", "1m", s]);
    assert_eq!(ev.lines().filter(|l| l.starts_with("--- t=")).count(), 2);
    // Bad combinations are refused before running.
    for bad in [
        vec!["get", "pods", "--from", "1m", s],
        vec!["get", "pods", "--at", "1m", "--every", "10s", s],
        vec!["get", "pods", "--from", "2m", "--until", "1m", "--every", "10s", s],
        vec!["get", "pods", "--until", "15m", "--every", "1ms", s],
    ] {
        let o = kubesim(&bad);
        assert_eq!(o.status.code(), Some(2), "{:?}: {}", bad, stderr(&o));
        assert!(stderr(&o).starts_with("error: --"), "{:?}: {}", bad, stderr(&o));
    }
}

#[test]
fn unknown_flags_are_errors_naming_them() {
    let o = kubesim(&["get", "pods", "--show-label", "scenarios/node-dies-rc-reschedules.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("'--show-label'"), "{}", stderr(&o));
}

#[test]
fn timeline_create_namespace_label_selector_and_delete_all() {
    let s = scenario(
        "timeline",
        r#"name: timeline kubectl
seed: 3
duration: 2m
cluster:
  nodes: [{name: n1}]
images:
  busybox: {pull: 1s, start: 1s}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a, labels: {app: web}}
    spec: {containers: [{name: c, image: busybox}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b, labels: {app: db}}
    spec: {containers: [{name: c, image: busybox}]}
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: web}
    spec: {replicas: 1, selector: {app: web2}, template: {metadata: {labels: {app: web2}}, spec: {containers: [{name: c, image: busybox}]}}}
timeline:
  - at: 10s
    kubectl: create namespace custom
  - at: 11s
    kubectl: run p -n custom --image=busybox
  - at: 20s
    kubectl: label pods -l app=web tier=front
  - at: 21s
    kubectl: label pods --all -n custom owner=me
  - at: 30s
    kubectl: delete pods --all -n custom
  - at: 40s
    kubectl: delete all --all
"#,
    );
    assert_eq!(ok(&["get", "ns", "custom", "--at", "12s", &s]), "NAME     STATUS   AGE\ncustom   Active   1s\n");
    let out = ok(&["get", "pods", "-A", "--show-labels", "--at", "25s", &s]);
    let labels = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .to_string()
    };
    assert_eq!(labels("a"), "app=web,tier=front");
    assert_eq!(labels("b"), "app=db");
    assert_eq!(labels("p"), "owner=me,run=p");
    // `delete pods --all -n custom` at 30s: p is gone by 35s.
    assert!(ok(&["get", "pods", "-n", "custom", "--at", "29s", &s]).contains("\np "));
    let o = kubesim(&["get", "pods", "-n", "custom", "--at", "35s", &s]);
    assert_eq!((stdout(&o), stderr(&o)), (String::new(), "No resources found in custom namespace.\n".to_string()));
    // `delete all --all`: the pods, the RC (and, through it, its pod),
    // and the `kubernetes` Service, which the apiserver re-creates at its
    // next reconcile (50 s, on its 10 s grid).
    let o = kubesim(&["get", "all", "--at", "45s", &s]);
    assert_eq!((stdout(&o), stderr(&o)), (String::new(), "No resources found in default namespace.\n".to_string()));
    let o = kubesim(&["get", "all", "--at", "1m", &s]);
    assert_eq!(
        stdout(&o),
        "NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n\
         service/kubernetes   ClusterIP   10.96.0.1    <none>        443/TCP   10s\n"
    );
    let eps = ok(&["get", "endpoints,endpointslices", "--at", "1m", &s]);
    assert!(eps.contains("endpoints/kubernetes   10.0.0.1:6443"), "{}", eps);
    assert!(!ok(&["run", &s]).contains("Error"), "no timeline errors");
}
