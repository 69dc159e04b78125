//! Services and their Endpoints: the endpoints controller follows
//! readiness, deletions and the Service's own life; a Service without a
//! selector keeps the Endpoints its user wrote.

use crate::root;
use kubesim::kinds::endpoints::Endpoints;
use kubesim::objects::store::Key;
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use kubesim::sim::SimTime;

const READINESS: &str = "scenarios/readiness-endpoints.yaml";

/// (ready IPs, not-ready IPs) of `default/name` at `t`, or `None` when
/// there is no such Endpoints.
fn endpoints_at(path: &str, name: &str, t: u64) -> Option<(usize, usize)> {
    let scn = scenario::load(&root().join(path)).expect("load");
    let mut sim = scn.build(scn.seed.unwrap_or(1));
    sim.run_until(SimTime(t * 1_000_000_000));
    let e = sim.store.typed.get(&("Endpoints".to_string(), Key::new("default", name)))?;
    let e = e.downcast::<Endpoints>().expect("Endpoints");
    let ready = e.subsets.iter().map(|s| s.addresses.len()).sum();
    let not_ready = e.subsets.iter().map(|s| s.not_ready_addresses.len()).sum();
    Some((ready, not_ready))
}

#[test]
fn readiness_moves_a_pod_between_addresses_and_not_ready_addresses() {
    // The arithmetic of the scenario's comment.
    assert_eq!(endpoints_at(READINESS, "kubia", 50), Some((0, 3)));
    assert_eq!(endpoints_at(READINESS, "kubia", 65), Some((1, 2)));
    assert_eq!(endpoints_at(READINESS, "kubia", 135), Some((1, 2)), "two failed probes: still ready");
    assert_eq!(endpoints_at(READINESS, "kubia", 145), Some((0, 3)));
    assert_eq!(endpoints_at(READINESS, "kubia", 185), Some((0, 2)), "a terminating pod is no endpoint");
    let r = run(&scenario::load(&root().join(READINESS)).expect("load"), RunOptions::default());
    assert_eq!(r.failed(), 0);
}

#[test]
fn endpoints_go_with_their_service_and_hand_written_ones_stay() {
    let text = "\
name: endpoints lifecycle
seed: 1
duration: 2m
cluster:
  nodes: [{name: node-1, capacity: {cpu: \"2\", memory: 4Gi}}]
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {containers: [{name: c, image: nginx:1.25}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: external-service}, spec: {ports: [{port: 80}]}}
  - apiVersion: v1
    kind: Endpoints
    metadata: {name: external-service}
    subsets: [{addresses: [{ip: 11.11.11.11}, {ip: 22.22.22.22}], ports: [{port: 80}]}]
timeline:
  - at: 1m
    kubectl: delete svc web
";
    let scn = scenario::load_str(text, "lifecycle.yaml", &root()).expect("load");
    let mut sim = scn.build(1);
    let get = |sim: &kubesim::simulation::Simulation, name: &str| {
        sim.store
            .typed
            .get(&("Endpoints".to_string(), Key::new("default", name)))
            .map(|e| e.downcast::<Endpoints>().expect("Endpoints").ready_ips().map(String::from).collect::<Vec<_>>())
    };
    sim.run_until(SimTime(30_000_000_000));
    assert_eq!(get(&sim, "web").map(|v| v.len()), Some(1), "the web pod is ready");
    assert_eq!(get(&sim, "external-service"), Some(vec!["11.11.11.11".to_string(), "22.22.22.22".to_string()]));
    sim.run_until(SimTime(90_000_000_000));
    assert_eq!(get(&sim, "web"), None, "deleted with its Service");
    assert_eq!(get(&sim, "external-service").map(|v| v.len()), Some(2), "a selector-less Service's are the user's");
}

#[test]
fn endpoint_slices_carry_the_conditions_of_every_selected_pod() {
    use kubesim::kinds::endpointslice::EndpointSlice;
    let scn = scenario::load(&root().join(READINESS)).expect("load");
    let mut sim = scn.build(scn.seed.unwrap_or(1));
    let at = |sim: &mut kubesim::simulation::Simulation, t: u64| {
        sim.run_until(SimTime(t * 1_000_000_000));
        let slices: Vec<&EndpointSlice> = sim
            .store
            .typed
            .values()
            .filter_map(|t| t.downcast::<EndpointSlice>())
            .filter(|s| s.service_name() == Some("kubia"))
            .collect();
        assert_eq!(slices.len(), 1, "one slice for three pods");
        let mut v: Vec<(String, bool, bool, bool)> = slices[0]
            .endpoints
            .iter()
            .map(|e| (e.pod.as_ref().unwrap().0.to_string(), e.ready, e.serving, e.terminating))
            .collect();
        v.sort();
        v
    };
    let flags = |v: Vec<(String, bool, bool, bool)>| {
        v.into_iter().map(|(n, r, s, t)| format!("{n}:{r}{s}{t}")).collect::<Vec<_>>().join(" ")
    };
    assert_eq!(flags(at(&mut sim, 65)), "kubia-1:truetruefalse kubia-2:falsefalsefalse kubia-3:falsefalsefalse");
    // kubia-2 is deleted at 180 s: terminating, not ready, until it is gone.
    assert_eq!(flags(at(&mut sim, 185)), "kubia-1:falsefalsefalse kubia-3:falsefalsefalse");
}

/// The endpoints controllers under node crashes, outages and partitions:
/// once the faults stop, every Service's Endpoints and EndpointSlices list
/// exactly its ready pods.
#[test]
fn endpoints_follow_ready_pods_through_node_faults() {
    use kubesim::check::{invariants, Check, FaultSpace};
    let text = "\
name: services under faults
seed: 1
duration: 12m
cluster:
  nodes:
    - namePrefix: node
      count: 3
      capacity: {cpu: \"2\", memory: 4Gi}
images:
  luksa/kubia: {pull: 2s, start: 1s, http: {port: 8080}}
objects:
  - file: manifests/kubia-rc.yaml
  - {apiVersion: v1, kind: Service, metadata: {name: kubia}, spec: {selector: {app: kubia}, ports: [{port: 80, targetPort: 8080}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: kubia-all}, spec: {selector: {app: kubia}, publishNotReadyAddresses: true, ports: [{port: 80, targetPort: 8080}]}}
";
    let report = Check::from_str(text, "faults.yaml", &root().join("scenarios"))
        .expect("loads")
        .faults(FaultSpace::nodes(&["node-1", "node-2", "node-3"], "4m").max_faults(3))
        .property(invariants::endpoints_follow_ready_pods("7m"))
        .cases(24)
        .run();
    assert!(report.is_ok(), "{}", report.err().unwrap());
}

#[test]
fn kubectl_expose_makes_a_service_from_the_objects_selector_and_ports() {
    let text = "\
name: expose
seed: 1
duration: 1m
cluster:
  nodes: [{name: node-1, capacity: {cpu: \"2\", memory: 4Gi}}]
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {containers: [{name: c, image: nginx:1.25, ports: [{containerPort: 80}, {containerPort: 443}]}]}}
timeline:
  - at: 10s
    kubectl: expose pod web --type=NodePort
  - at: 11s
    kubectl: expose pod web --port=8080 --target-port=80 --name=web-8080
  - at: 12s
    kubectl: expose rc nosuch --port=80
";
    use kubesim::kinds::service::{Service, ServiceType};
    use kubesim::objects::probe::PortRef;
    let scn = scenario::load_str(text, "expose.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let get = |name: &str| {
        r.sim
            .store
            .typed
            .get(&("Service".to_string(), Key::new("default", name)))
            .and_then(|t| t.downcast::<Service>().cloned())
    };
    // Both container ports, named port-1 and port-2, each targeting itself.
    let web = get("web").expect("exposed");
    assert_eq!(web.spec.type_, ServiceType::NodePort);
    let ports: Vec<(Option<&str>, u16, &PortRef)> =
        web.spec.ports.iter().map(|p| (p.name.as_deref(), p.port, &p.target_port)).collect();
    assert_eq!(ports, [(Some("port-1"), 80, &PortRef::Number(80)), (Some("port-2"), 443, &PortRef::Number(443))]);
    assert!(web.spec.ports.iter().all(|p| p.node_port.is_some()));
    assert_eq!(web.spec.selector.as_ref().and_then(|s| s.get("app")).map(String::as_str), Some("web"));
    let direct = get("web-8080").expect("exposed");
    assert_eq!((direct.spec.ports[0].port, &direct.spec.ports[0].target_port), (8080, &PortRef::Number(80)));
    // A missing object is the entry's failure, as kubectl reports it.
    assert_eq!(r.timeline_failures.len(), 1, "{:?}", r.timeline_failures);
    assert!(r.timeline_failures[0].message.contains("replicationcontrollers \"nosuch\" not found"));
}

/// What `kubectl exec` printed in the pod `pod` (a name prefix) at `t`:
/// its `NAME=value` lines.
fn env_at(r: &kubesim::runner::RunResult, pod: &str, t: &str) -> Vec<(String, String)> {
    r.sim
        .user_outputs
        .iter()
        .filter(|o| o.object.starts_with(&format!("pod/{}", pod)) && o.time.to_string() == t)
        .map(|o| {
            let (k, v) = o.message.split_once('=').expect("NAME=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Chapter 5.1.3: a container has the variables of the Services that
/// existed when it was created; the pod's own come first, resolved and
/// expanded; `enableServiceLinks: false` leaves only `kubernetes`'s.
#[test]
fn service_environment_variables_are_those_of_the_containers_creation() {
    use kubesim::kinds::service::Service;
    let scn = scenario::load(&root().join("scenarios/service-env.yaml")).expect("load");
    let r = run(&scn, RunOptions::default());
    assert_eq!(r.failed(), 0);
    assert!(r.sim.user_errors.is_empty(), "{:?}", r.sim.user_errors);
    let svc = r.sim.store.typed.get(&("Service".to_string(), Key::new("default", "kubia"))).expect("kubia");
    let ip = svc.downcast::<Service>().expect("Service").cluster_ip_text();
    let get = |env: &[(String, String)], k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let names = |env: &[(String, String)]| env.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();

    // Before the Service: the runtime's, then `kubernetes`'s, then HOME.
    let old = env_at(&r, "kubia-", "40s");
    assert_eq!(names(&old).first().map(String::as_str), Some("PATH"));
    assert_eq!(names(&old).last().map(String::as_str), Some("HOME"));
    assert_eq!(get(&old, "KUBERNETES_SERVICE_HOST").as_deref(), Some("10.96.0.1"));
    assert_eq!(get(&old, "KUBERNETES_PORT").as_deref(), Some("tcp://10.96.0.1:443"));
    assert_eq!(get(&old, "KUBERNETES_SERVICE_PORT_HTTPS").as_deref(), Some("443"));
    assert!(!names(&old).iter().any(|n| n.starts_with("KUBIA_")), "{:?}", old);

    // A replacement made after the Service has its variables.
    let new = env_at(&r, "kubia-", "1m30s");
    assert_eq!(get(&new, "KUBIA_SERVICE_HOST"), Some(ip.clone()));
    assert_eq!(get(&new, "KUBIA_SERVICE_PORT").as_deref(), Some("80"));
    assert_eq!(get(&new, "KUBIA_PORT_80_TCP").as_deref(), Some(format!("tcp://{}:80", ip).as_str()));
    assert_eq!(new.len(), old.len() + 7, "the kubia Service adds seven variables");

    let demo = env_at(&r, "env-demo", "1m31s");
    let pod_ip = r.sim.store.pod(&Key::new("default", "env-demo")).and_then(|p| p.status.pod_ip.clone()).expect("ip");
    assert_eq!(names(&demo)[..5], ["PATH", "HOSTNAME", "POD_NAME", "POD_IP", "BACKEND"]);
    assert_eq!(get(&demo, "POD_NAME").as_deref(), Some("env-demo"));
    assert_eq!(get(&demo, "POD_IP").as_deref(), Some(&*pod_ip));
    assert_eq!(get(&demo, "BACKEND"), Some(format!("http://{}:80", ip)));

    let none = env_at(&r, "no-links", "1m32s");
    assert!(get(&none, "KUBERNETES_SERVICE_HOST").is_some());
    assert!(!names(&none).iter().any(|n| n.starts_with("KUBIA_")), "{:?}", none);

    let again = run(&scn, RunOptions::default());
    assert_eq!(again.sim.trace.hash(), r.sim.trace.hash());
}

/// Runs a 90 s scenario on one node with the kubia image, whose
/// `objects:` list and `timeline:` are `rest`.
fn one_node_run(rest: &str) -> kubesim::runner::RunResult {
    let text = format!(
        "name: one node\nseed: 1\nduration: 1m30s\ncluster:\n  nodes: [{{namePrefix: node, count: 1, capacity: {{cpu: \"2\", memory: 4Gi}}}}]\nimages:\n  luksa/kubia: {{pull: 1s}}\nobjects:{}",
        rest
    );
    let scn = scenario::load_str(&text, "one-node.yaml", &root()).expect("load");
    run(&scn, RunOptions::default())
}

/// A node cut from the apiserver has a stale Service informer: a
/// container it re-creates during the partition gets the Services of
/// before the cut, not one created meanwhile.
#[test]
fn a_partitioned_nodes_containers_get_the_services_it_last_saw() {
    let r = one_node_run(
        r#"
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {containers: [{name: c, image: luksa/kubia}]}}
timeline:
  - {at: 10s, partitionNode: node-1}
  - {at: 15s, apply: {apiVersion: v1, kind: Service, metadata: {name: late}, spec: {ports: [{port: 80}], selector: {app: x}}}}
  - {at: 20s, crashContainer: {pod: web, exitCode: 1}}
  - {at: 50s, healNode: node-1}
  - {at: 55s, exec: {pod: web, command: [env]}}
  - {at: 60s, crashContainer: {pod: web, exitCode: 1}}
  - {at: 80s, exec: {pod: web, command: [env]}}
"#,
    );
    // Restarted at about 30 s, during the partition; read after the heal.
    let during = env_at(&r, "web", "55s");
    assert!(during.iter().any(|(n, _)| n == "KUBERNETES_SERVICE_HOST"), "{:?}", r.sim.user_errors);
    assert!(!during.iter().any(|(n, _)| n == "LATE_SERVICE_HOST"), "{:?}", during);
    let after = env_at(&r, "web", "1m20s");
    assert!(after.iter().any(|(n, _)| n == "LATE_SERVICE_HOST"), "{:?} {:?}", after, r.sim.user_errors);
}

/// `fieldRef`s are resolved when the container is created: a label
/// changed later shows only in the next instance.
#[test]
fn field_refs_are_fixed_at_container_creation() {
    let r = one_node_run(
        r#"
  - apiVersion: v1
    kind: Pod
    metadata: {name: web, labels: {tier: a}}
    spec:
      containers:
      - name: c
        image: luksa/kubia
        env: [{name: TIER, valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}}]
timeline:
  - {at: 20s, kubectl: label pod web tier=b --overwrite}
  - {at: 30s, exec: {pod: web, command: [env]}}
  - {at: 40s, crashContainer: {pod: web, exitCode: 1}}
  - {at: 80s, exec: {pod: web, command: [env]}}
"#,
    );
    let tier = |t: &str| env_at(&r, "web", t).into_iter().find(|(n, _)| n == "TIER").map(|(_, v)| v);
    assert_eq!(tier("30s").as_deref(), Some("a"), "{:?}", r.sim.user_errors);
    assert_eq!(tier("1m20s").as_deref(), Some("b"), "{:?}", r.sim.user_errors);
}
