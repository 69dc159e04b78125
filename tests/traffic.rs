//! Client traffic end to end: how kube-proxy spreads, pins and drops
//! connections, what the outcomes count, that runs are functions of the
//! seed, the loader's errors for bad `traffic:` entries, and a property:
//! under random faults every request ends in exactly one outcome, and a
//! node's rules only ever choose an endpoint the API listed as ready (or,
//! with none ready, serving and terminating) when that node last synced.

use crate::root;
use kubesim::kinds::endpointslice::EndpointSlice;
use kubesim::objects::store::Key;
use kubesim::runner::{run, RunOptions};
use kubesim::scenario;
use kubesim::sim::{SimDuration, SimTime};
use kubesim::traffic::stats::{Outcome, TrafficStats};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Requests of source `name` per target pod (pod name, count).
fn per_pod(stats: &TrafficStats, name: &str) -> Vec<(String, u64)> {
    let src = stats.sources.iter().position(|s| s.name == name).expect("source") as u32;
    let mut out: Vec<(String, u64)> = stats
        .pairs
        .iter()
        .filter(|p| p.source == src && p.total.requests > 0)
        .map(|p| (p.pod.as_deref().unwrap_or("").to_string(), p.total.requests))
        .collect();
    out.sort();
    out
}

fn run_file(path: &str, edit: impl Fn(String) -> String) -> kubesim::runner::RunResult {
    let text = edit(std::fs::read_to_string(root().join(path)).expect("read"));
    let scn = scenario::load_str(&text, path, &root()).expect("load");
    run(&scn, RunOptions::default())
}

#[test]
fn iptables_spreads_new_connections_and_affinity_and_keep_alive_pin_them() {
    let r = run_file("scenarios/traffic-kubia.yaml", |t| t);
    assert_eq!(r.failed(), 0);
    let stats = &r.sim.traffic.stats;
    let web = per_pod(stats, "web");
    assert_eq!(web.len(), 3, "{:?}", web);
    for (pod, n) in &web {
        // Binomial(6000, 1/3): 2000 ± 37.
        assert!((1800..=2200).contains(n), "{} got {}", pod, n);
    }
    let sticky = per_pod(stats, "sticky");
    assert_eq!(sticky.len(), 1, "one client IP, pinned: {:?}", sticky);
    assert_eq!(sticky[0].1, 600);
    let kept = per_pod(stats, "keepalive");
    assert_eq!(kept.len(), 1, "one connection, balanced once: {:?}", kept);
}

#[test]
fn ipvs_round_robin_is_even_per_node() {
    let r = run_file("scenarios/traffic-kubia.yaml", |t| {
        t.replace("cluster:\n", "cluster:\n  config: {proxyMode: ipvs}\n")
    });
    assert_eq!(r.failed(), 0);
    let web = per_pod(&r.sim.traffic.stats, "web");
    assert_eq!(web.len(), 3);
    for (pod, n) in &web {
        // Each node's virtual server cycles through the three pods: a pod
        // gets a third of each node's connections, give or take one.
        assert!((1997..=2003).contains(n), "{} got {}", pod, n);
    }
}

#[test]
fn traffic_runs_are_deterministic_and_do_not_depend_on_the_report() {
    for path in [
        "scenarios/traffic-kubia.yaml",
        "scenarios/traffic-node-crash.yaml",
        "scenarios/traffic-delete-pod.yaml",
        "scenarios/traffic-external-local.yaml",
        "scenarios/traffic-readiness.yaml",
    ] {
        let scn = scenario::load(&root().join(path)).expect("load");
        let mut a = run(&scn, RunOptions::default());
        let mut b = run(&scn, RunOptions::default());
        assert_eq!(a.trace_hash, b.trace_hash, "{}", path);
        assert_eq!(a.sim.traffic.stats.csv(), b.sim.traffic.stats.csv(), "{}", path);
        // Keeping per-interval rows (--csv) changes nothing else.
        let mut noop = |_: SimTime, _: &kubesim::report::observe::ClusterStats| {};
        let c = run(&scn, RunOptions { sample: Some((SimDuration::from_secs(1), &mut noop)), ..Default::default() });
        assert_eq!(a.trace_hash, c.trace_hash, "{}", path);
        let totals = |s: &TrafficStats| s.sources.iter().map(|x| x.total).collect::<Vec<_>>();
        assert_eq!(totals(&a.sim.traffic.stats), totals(&c.sim.traffic.stats), "{}", path);
        assert_eq!(a.failed(), 0, "{}", path);
    }
}

#[test]
fn a_slow_app_times_out_and_a_killed_hung_one_resets_its_connections() {
    let text = "\
name: hang and kill under load
seed: 4
duration: 2m
cluster:
  nodes: [{name: node-1, capacity: {cpu: \"2\", memory: 4Gi}}]
images:
  app/slow: {start: 1s, http: {port: 8080, responseTime: 500ms}}
  app/web: {start: 1s, http: {port: 8080, responseTime: 1ms}}
objects:
  - {apiVersion: v1, kind: Service, metadata: {name: slow}, spec: {selector: {app: slow}, ports: [{port: 80, targetPort: 8080}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: slow, labels: {app: slow}}, spec: {containers: [{name: c, image: app/slow}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {restartPolicy: Always, containers: [{name: c, image: app/web}]}}
timeline:
  - at: 10s
    traffic: {name: slow, to: svc/slow, from: node/node-1, every: 1s, duration: 20s, timeout: 300ms}
  - at: 10s
    traffic: {name: kept, to: svc/web, from: node/node-1, every: 1s, duration: 40s, connections: {keepAlive: 1}}
  - at: 20500ms
    hangContainer: web
  - at: 30500ms
    crashContainer: {pod: web, exitCode: 1}
";
    let scn = scenario::load_str(text, "hang.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let stats = &r.sim.traffic.stats;
    let slow = &stats.sources[0].total;
    // 500 ms answers against a 300 ms timeout: 20 timeouts.
    assert_eq!((slow.requests, slow.get(Outcome::Timeout)), (20, 20));
    let kept = &stats.sources[1].total;
    // One request a second from 10 s to 49 s (40), over one kept-alive
    // connection, on the pod's own node (no hop): 10–20 s ok (11). 21–30 s
    // the app is hung: the kernel accepts, nothing answers (a request that
    // waits closes the connection; the next opens a new one). The crash at
    // 30.5 s ends the process before any of their 10 s timeouts: its
    // sockets are reset, so the 10 waiting requests end reset (counted
    // when their timeout would have been), and the request at 31 s, on the
    // connection the last of them opened, too. The kubelet restarts the
    // container at once (the image is pulled again, 0.3 s, and starts in
    // 1 s: 31.8 s): from 32 s on, ok (18).
    assert_eq!(kept.requests, 40);
    assert_eq!(
        (kept.get(Outcome::Ok), kept.get(Outcome::Timeout), kept.get(Outcome::Reset)),
        (29, 0, 11),
        "{:?}",
        kept
    );
}

#[test]
fn bad_traffic_entries_are_load_errors() {
    let base = |entry: &str, expect: &str| {
        format!(
            "\
name: bad traffic
duration: 1m
cluster:
  nodes: [{{name: node-1}}]
objects:
  - {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{ports: [{{port: 80}}]}}}}
timeline:
  - at: 1s
    traffic: {entry}
{expect}"
        )
    };
    let cases = [
        ("{name: a, to: svc/web, rate: 10/s, duration: 1m}", "", "a ClusterIP is not reachable from outside"),
        ("{name: a, to: WEB, from: node/node-1, rate: 10/s, duration: 1m}", "", "expected svc/NAME[:PORT]"),
        ("{name: a, to: web, from: node/node-1, rate: 10/s, duration: 1m}", "", "only pods use"),
        ("{name: a, to: nodePort/web, rate: 10x/s, duration: 1m}", "", "is not a number"),
        ("{name: a, to: nodePort/web, rate: 10/s}", "", "needs `duration`"),
        ("{name: a, to: nodePort/web, duration: 1m}", "", "needs `rate`"),
        ("{name: a, to: nodePort/web, rate: 1/s, every: 1s, duration: 1m}", "", "not both"),
        ("{name: a, to: nodePort/web, via: [node-9], rate: 1/s, duration: 1m}", "", "unknown node `node-9`"),
        ("{name: a, to: svc/web, from: node/node-1, clients: 3, rate: 1/s, duration: 1m}", "", "one client IP"),
        ("{name: a, to: nodePort/web, rate: 1/s, duration: 1m, connections: {keepAlive: 0}}", "", "between 1 and 1000"),
        ("{name: a, to: nodePort/web, rate: 1/s, duration: 1m, timeout: 0s}", "", "more than 0"),
        ("{name: a, to: nodePort/web, rate: 1/s, duration: 1m, colour: red}", "", "unknown field"),
        (
            "{name: a, to: nodePort/web, rate: 1/s, duration: 1m}",
            "expect:\n  - {at: 1m, traffic: {name: b}, count: 1}\n",
            "no traffic source named `b`",
        ),
        (
            "{name: a, to: nodePort/web, rate: 1/s, duration: 1m}",
            "expect:\n  - {at: 1m, traffic: {name: a, outcome: lost}, count: 1}\n",
            "unknown outcome `lost`",
        ),
    ];
    for (entry, expect, want) in cases {
        let text = base(entry, expect);
        let err = scenario::load_str(&text, "bad.yaml", &root()).err().unwrap_or_else(|| panic!("accepted: {}", entry));
        let msg = err.to_string();
        assert!(msg.contains("bad.yaml:"), "{}", msg);
        assert!(msg.contains(want), "want {:?} in {}", want, msg);
    }
    // Two sources of one name.
    let text = base("{name: a, to: nodePort/web, rate: 1/s, duration: 1m}", "")
        + "  - at: 2s\n    traffic: {name: a, to: nodePort/web, rate: 1/s, duration: 1m}\n";
    let text = text.replace("\nexpect:", "");
    let Err(err) = scenario::load_str(&text, "bad.yaml", &root()) else { panic!("a duplicate name is accepted") };
    assert!(err.to_string().contains("a traffic source named `a` already exists"), "{}", err);
}

/// Endpoint conditions per Service, as the API holds them.
type Slices = BTreeMap<Key, Vec<(String, bool, bool, bool)>>;

fn slices_now(sim: &kubesim::simulation::Simulation) -> Slices {
    let mut out: Slices = BTreeMap::new();
    for ((kind, _), obj) in &sim.store.typed {
        if kind != "EndpointSlice" {
            continue;
        }
        let s = obj.downcast::<EndpointSlice>().expect("slice");
        let Some(svc) = s.service_name() else { continue };
        let e = out.entry(Key::new(&s.meta.namespace, svc)).or_default();
        for ep in &s.endpoints {
            e.push((ep.address.to_string(), ep.ready, ep.serving, ep.terminating));
        }
    }
    out
}

/// Whether `ip` is a valid choice for `svc` in `slices`: ready, or — with
/// no ready endpoint — serving and terminating.
fn valid_choice(slices: &Slices, svc: &Key, ip: &str) -> bool {
    let Some(eps) = slices.get(svc) else { return false };
    let any_ready = eps.iter().any(|e| e.1);
    eps.iter().any(|e| e.0 == ip && if any_ready { e.1 } else { e.2 && e.3 })
}

fn fault_scenario(faults: &[(u64, u8, u8)]) -> String {
    let mut timeline = String::from(
        "  - at: 20s
    traffic: {name: inside, to: svc/web, from: node/node-1, every: 20ms, duration: 2m, timeout: 1s}
  - at: 20s
    traffic: {name: outside, to: nodePort/web, rate: 40/s, duration: 2m, clients: 5, timeout: 1s, connections: {keepAlive: 2}}
",
    );
    for &(at, kind, target) in faults {
        let node = format!("node-{}", 2 + target % 3);
        let pod = format!("web-{}", 1 + target % 4);
        let line = match kind % 7 {
            0 => format!("crashNode: {}", node),
            1 => format!("restartNode: {}", node),
            2 => format!("partitionNode: {}", node),
            3 => format!("healNode: {}", node),
            4 => format!("kubectl: exec {} -- rm /var/ready", pod),
            5 => format!("kubectl: exec {} -- touch /var/ready", pod),
            _ => format!("kubectl: delete pod {}", pod),
        };
        timeline += &format!("  - at: {}ms\n    {}\n", 20_000 + at, line);
    }
    let pods: String = (1..=4)
        .map(|i| {
            format!(
                "  - {{apiVersion: v1, kind: Pod, metadata: {{name: web-{i}, labels: {{app: web}}}}, spec: {{nodeName: node-{n}, containers: [{{name: c, image: app/web, readinessProbe: {{exec: {{command: [ls, /var/ready]}}, periodSeconds: 2}}}}]}}}}\n",
                n = 1 + i % 4
            )
        })
        .collect();
    format!(
        "\
name: traffic under faults
seed: 1
duration: 3m
cluster:
  # Syncs at most one per 3 s (burst 2): a proxy often routes by rules
  # older than the API's state, which is what the property is about.
  config: {{minSyncPeriod: 3s}}
  nodes:
    - {{namePrefix: node, count: 4, capacity: {{cpu: \"2\", memory: 4Gi}}}}
images:
  app/web: {{start: 1s, http: {{port: 8080, responseTime: 3ms}}, files: [/var/ready], sigterm: exitAfter 2s}}
objects:
  - {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{type: NodePort, selector: {{app: web}}, ports: [{{port: 80, targetPort: 8080}}]}}}}
{pods}timeline:
{timeline}"
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn proxies_route_only_to_endpoints_ready_when_they_synced(
        faults in prop::collection::vec((0u64..110_000, 0u8..7, 0u8..12), 0..12),
        seed in 1u64..1000,
    ) {
        let text = fault_scenario(&faults);
        let scn = scenario::load_str(&text, "faults.yaml", &root()).expect("load");
        let mut sim = scn.build(seed);
        sim.traffic.routes = Some(Vec::new());
        let watch = sim.cfg.watch_latency;
        // The API's endpoint conditions over time: (time, state after the
        // writes at that time).
        let mut history: Vec<(SimTime, Slices)> = vec![(SimTime::ZERO, Slices::new())];
        let mut rev = sim.store.revision();
        let horizon = SimTime::from_secs(180);
        while sim.step(horizon) {
            if sim.store.revision() != rev {
                rev = sim.store.revision();
                let now_slices = slices_now(&sim);
                if history.last().map(|h| &h.1) != Some(&now_slices) {
                    let now = sim.now();
                    if history.last().map(|h| h.0) == Some(now) {
                        history.last_mut().expect("one").1 = now_slices;
                    } else {
                        history.push((now, now_slices));
                    }
                }
            }
        }
        sim.run_until(horizon);
        // A sync at T programs the writes delivered by T: those made by
        // T − watch (the writes at exactly T − watch may be delivered just
        // after the sync at the same instant: either state is valid).
        let state_at = |t: SimTime, inclusive: bool| -> &Slices {
            let i = history.partition_point(|h| if inclusive { h.0 <= t } else { h.0 < t });
            &history[i.saturating_sub(1)].1
        };
        for r in sim.traffic.routes.as_ref().expect("log") {
            let synced = r.synced_at.expect("a node that routes has synced");
            prop_assert!(synced <= r.at);
            let seen = SimTime(synced.0.saturating_sub(watch.0));
            let ok = valid_choice(state_at(seen, true), &r.service, &r.ip)
                || valid_choice(state_at(seen, false), &r.service, &r.ip);
            prop_assert!(ok, "node {} chose {} at {} (synced {}), not ready then; faults {:?}", r.node, r.ip, r.at, synced, faults);
        }
        // Every request sent has exactly one outcome: the last were sent
        // before 140 s with a 1 s timeout, all known by the horizon.
        prop_assert_eq!(sim.traffic.in_flight(), 0);
        let counted: u64 = sim.traffic.stats.sources.iter().map(|s| s.total.requests).sum();
        prop_assert_eq!(counted, sim.traffic.sent);
        let by_outcome: u64 = sim.traffic.stats.sources.iter().map(|s| s.total.by_outcome.iter().sum::<u64>()).sum();
        prop_assert_eq!(by_outcome, counted);
    }
}

#[test]
fn curl_from_a_pod_resolves_names_and_prints_the_answer() {
    let text = r#"name: curl from a pod
seed: 1
duration: 1m
cluster:
  nodes:
    - {namePrefix: node, count: 3, capacity: {cpu: "2", memory: 4Gi}}
images:
  luksa/kubia: {pull: 2s, start: 1s, http: {port: 8080}}
objects:
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: kubia}
    spec:
      replicas: 3
      selector: {app: kubia}
      template:
        metadata: {labels: {app: kubia}}
        spec:
          containers: [{name: kubia, image: luksa/kubia, ports: [{containerPort: 8080}]}]
  - {apiVersion: v1, kind: Service, metadata: {name: kubia}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: kubia}}}
  - {apiVersion: v1, kind: Service, metadata: {name: kubia-headless}, spec: {clusterIP: None, ports: [{port: 80, targetPort: 8080}], selector: {app: kubia}}}
timeline:
  - {at: 20s, exec: {selector: app=kubia, index: 0, command: [curl, -s, "http://kubia"]}}
  - {at: 21s, exec: {selector: app=kubia, index: 0, command: [curl, -s, "http://kubia.default.svc.cluster.local"]}}
  - {at: 22s, exec: {selector: app=kubia, index: 1, command: [curl, -s, "http://kubia-headless:8080/"]}}
  - {at: 23s, exec: {selector: app=kubia, index: 1, command: [curl, "http://nosuch"]}, expectError: true}
  - {at: 24s, exec: {selector: app=kubia, index: 1, command: [curl, "http://kubia:81"]}, expectError: true}
"#;
    let scn = scenario::load_str(text, "curl.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let out: Vec<&str> = r.sim.user_outputs.iter().map(|o| o.message.as_str()).collect();
    assert_eq!(out.len(), 3, "{:?}", out);
    assert!(out.iter().all(|l| l.starts_with("You've hit kubia-")), "{:?}", out);
    let errs: Vec<&str> = r.sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        errs,
        [
            "curl: (6) Could not resolve host: nosuch",
            "command terminated with exit code 6",
            "curl: (28) Connection timed out after 10000 milliseconds",
            "command terminated with exit code 28"
        ]
    );
    assert_eq!(r.failed(), 0, "the failing curls expect their errors");
}

#[test]
fn a_pod_reaches_services_by_dns_name() {
    let text = r#"name: dns traffic
seed: 1
duration: 1m
cluster:
  nodes:
    - {namePrefix: node, count: 2, capacity: {cpu: "2", memory: 4Gi}}
images:
  luksa/kubia: {pull: 2s, start: 1s, http: {port: 8080}}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: kubia-1, labels: {app: kubia}}, spec: {nodeName: node-1, containers: [{name: kubia, image: luksa/kubia}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: kubia-2, labels: {app: kubia}}, spec: {nodeName: node-2, containers: [{name: kubia, image: luksa/kubia}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: kubia}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: kubia}}}
  - {apiVersion: v1, kind: Service, metadata: {name: kubia-headless}, spec: {clusterIP: None, ports: [{port: 8080}], selector: {app: kubia}}}
timeline:
  - at: 10s
    traffic: {name: by-name, to: kubia, from: pod/client, every: 100ms, duration: 10s}
  - at: 10s
    traffic: {name: fqdn, to: "kubia.default.svc.cluster.local", from: pod/client, every: 100ms, duration: 10s}
  - at: 10s
    traffic: {name: headless, to: "kubia-headless:8080", from: pod/client, every: 100ms, duration: 10s}
  - at: 10s
    traffic: {name: nxdomain, to: nosuch, from: pod/client, every: 100ms, duration: 10s}
"#;
    let scn = scenario::load_str(text, "dns.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let stats = &r.sim.traffic.stats;
    let total = |name: &str, o: Outcome| stats.sources.iter().find(|s| s.name == name).expect("source").total.get(o);
    // The short name, the FQDN and a headless Service's name all reach a
    // kubia pod; a name no Service has is NXDOMAIN: the client gives up.
    for name in ["by-name", "fqdn", "headless"] {
        assert_eq!(total(name, Outcome::Ok), 100, "{}", name);
    }
    assert_eq!(total("nxdomain", Outcome::Refused), 100);
    assert_eq!(per_pod(stats, "headless").len(), 2, "CoreDNS's loadbalance shuffles the records");
    // Only pods ask the cluster DNS.
    let bad = text.replace(
        "from: pod/client, every: 100ms, duration: 10s}\n  - at: 10s\n    traffic: {name: fqdn",
        "from: node/node-1, every: 100ms, duration: 10s}\n  - at: 10s\n    traffic: {name: fqdn",
    );
    let Err(e) = scenario::load_str(&bad, "dns.yaml", &root()) else { panic!("a DNS name from a node is accepted") };
    assert!(e.to_string().contains("only pods use"), "{}", e);
}

/// A node's pod IPs are a pool: an address comes back only when its
/// sandbox is gone, so a long-running pod keeps its IP to itself however
/// many pods come and go beside it (kube-proxy and the DNS key endpoints
/// by IP).
#[test]
fn pod_ips_are_not_reused_while_their_pod_runs() {
    let text = "\
name: ip churn
seed: 1
duration: 10m
cluster:
  nodes: [{name: node-1, capacity: {cpu: \"64\", memory: 64Gi}}]
images:
  app/web: {pull: 1s, start: 1s, http: {port: 8080}}
  app/short: {pull: 1s, start: 100ms, exitAfter: 1s}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: keeper, labels: {app: web}}, spec: {containers: [{name: c, image: app/web}]}}
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: churn}
    spec:
      completions: 400
      parallelism: 20
      template:
        spec:
          restartPolicy: Never
          containers: [{name: c, image: app/short}]
";
    let scn = scenario::load_str(text, "ips.yaml", &root()).expect("load");
    let mut sim = scn.build(1);
    let mut seen_keeper_ip = None;
    // Every 200 ms: a short pod lives about 2 s.
    for t in (1..3000).map(|i| SimTime(i * 200_000_000)) {
        sim.run_until(t);
        let live: Vec<(&str, &str)> = sim
            .store
            .pods
            .values()
            .filter(|p| !p.status.phase.is_terminal())
            .filter_map(|p| Some((&*p.meta.name, p.status.pod_ip.as_deref()?)))
            .collect();
        let mut ips: Vec<&str> = live.iter().map(|x| x.1).collect();
        ips.sort_unstable();
        let n = ips.len();
        ips.dedup();
        assert_eq!(ips.len(), n, "two live pods share an IP at {}: {:?}", t, live);
        let keeper = live.iter().find(|x| x.0 == "keeper").map(|x| x.1.to_string());
        if seen_keeper_ip.is_none() {
            seen_keeper_ip = keeper.clone();
        }
        assert_eq!(keeper, seen_keeper_ip);
    }
    let succeeded =
        sim.store.pods.values().filter(|p| p.status.phase == kubesim::objects::pod::PodPhase::Succeeded).count();
    assert!(succeeded > 253, "the pool wrapped: {} pods ran", succeeded);
}

#[test]
fn a_pod_ip_reaches_the_sandbox_that_holds_it_whatever_the_api_says() {
    // web runs on node-2 (10.64.1.2, the node's first pod address). node-2
    // loses the apiserver at 10 s, and web is force-deleted from the API
    // at 12 s: its kubelet never hears of it, so its container runs on
    // and still answers at its IP (the node's /24 is routed to node-2,
    // and there to the sandbox). Once node-2 heals (20 s), its kubelet
    // relists, kills web and frees the address: nothing answers there.
    let text = r#"name: pod ip after a force delete
seed: 1
duration: 1m
cluster:
  nodes:
    - {namePrefix: node, count: 2, capacity: {cpu: "2", memory: 4Gi}}
images:
  luksa/kubia: {pull: 2s, start: 1s, http: {port: 8080}}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, spec: {nodeName: node-2, containers: [{name: kubia, image: luksa/kubia}]}}
timeline:
  - {at: 8s, exec: {pod: client, command: [curl, -s, "http://10.64.1.2:8080"]}}
  - {at: 10s, partitionNode: node-2}
  - {at: 12s, kubectl: delete pod web --grace-period=0 --force}
  - {at: 14s, exec: {pod: client, command: [curl, -s, "http://10.64.1.2:8080"]}}
  - {at: 20s, healNode: node-2}
  - {at: 40s, exec: {pod: client, command: [curl, -s, -m, "1", "http://10.64.1.2:8080"]}, expectError: true}
"#;
    let scn = scenario::load_str(text, "pod-ip.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let out: Vec<&str> = r.sim.user_outputs.iter().map(|o| o.message.as_str()).collect();
    assert_eq!(out, ["You've hit web", "You've hit web"]);
    assert!(r.sim.store.pods.keys().all(|k| &*k.name != "web"), "web is gone from the API");
    let errs: Vec<&str> = r.sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errs, ["command terminated with exit code 28"]);
    assert_eq!(r.failed(), 0);
}

#[test]
fn the_cluster_dns_knows_a_service_once_its_watch_brought_it() {
    // The Service's create reaches the apiserver at 10.005 s and its watch
    // event the cluster DNS (and kube-proxy) at 10.015 s: a lookup in
    // between is NXDOMAIN (the Service is in the API already), one after
    // it resolves.
    let text = r#"name: dns lag
seed: 1
duration: 1m
cluster:
  nodes:
    - {namePrefix: node, count: 1, capacity: {cpu: "2", memory: 4Gi}}
images:
  luksa/kubia: {pull: 2s, start: 1s, http: {port: 8080}}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: kubia-1, labels: {app: kubia}}, spec: {nodeName: node-1, containers: [{name: kubia, image: luksa/kubia}]}}
timeline:
  - {at: 10s, apply: {apiVersion: v1, kind: Service, metadata: {name: kubia}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: kubia}}}}
  - {at: 10010ms, exec: {pod: client, command: [curl, -s, "http://kubia"]}, expectError: true}
  - {at: 20s, exec: {pod: client, command: [curl, -s, "http://kubia"]}}
"#;
    let scn = scenario::load_str(text, "dns-lag.yaml", &root()).expect("load");
    let r = run(&scn, RunOptions::default());
    let errs: Vec<&str> = r.sim.user_errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errs, ["command terminated with exit code 6"]);
    let out: Vec<&str> = r.sim.user_outputs.iter().map(|o| o.message.as_str()).collect();
    assert_eq!(out, ["You've hit kubia-1"]);
    assert_eq!(r.failed(), 0);
}
