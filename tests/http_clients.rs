//! Traffic clients as components: a component sends HTTP requests from a
//! pod with `Cx::http_get` (the cluster DNS, its node's kube-proxy rules,
//! the target container) and gets each answer back in
//! `on_http_response`, when its client would have it.

use crate::root;
use kubesim::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// What the canary saw: (when the answer was back, outcome, curl's exit
/// code, the pod that answered).
type Answers = Rc<RefCell<Vec<(SimTime, Outcome, i32, Option<String>)>>>;

/// A canary checker: every second, a GET of `http://kubia` from the pod
/// `client`, as a health-checking controller would.
struct Canary(Answers);

const PROBE: u64 = 1;

impl Controller for Canary {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }
    fn start(&mut self, cx: &mut Cx) {
        cx.after(SimDuration::from_secs(1), PROBE);
    }
    fn on_timer(&mut self, _token: u64, cx: &mut Cx) {
        cx.http_get(&Key::new("default", "client"), "http://kubia", SimDuration::from_secs(1)).expect("a valid URL");
        cx.after(SimDuration::from_secs(1), PROBE);
    }
    fn on_http_response(&mut self, _req: RequestId, r: &HttpResponse, cx: &mut Cx) {
        assert!(r.after <= SimDuration::from_secs(1), "answered within the timeout: {:?}", r);
        self.0.borrow_mut().push((cx.now(), r.outcome, r.exit_code, r.pod.clone()));
    }
}

const CANARY: &str = r#"name: canary
seed: 1
duration: 1m
cluster:
  nodes:
    - {namePrefix: node, count: 2, capacity: {cpu: "2", memory: 4Gi}}
images:
  luksa/kubia: {pull: 2s, start: 1s, http: {port: 8080}, files: [/var/ready]}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: kubia-1, labels: {app: kubia}}, spec: {nodeName: node-2, containers: [{name: kubia, image: luksa/kubia, readinessProbe: {exec: {command: [ls, /var/ready]}, periodSeconds: 1}}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: kubia}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: kubia}}}
timeline:
  - {at: 20s, kubectl: exec kubia-1 -- rm /var/ready}
  - {at: 40s, kubectl: exec kubia-1 -- touch /var/ready}
FAULT"#;

fn run_canary(fault: &str) -> Vec<(SimTime, Outcome, i32, Option<String>)> {
    let scn = load_str(&CANARY.replace("FAULT", fault), "canary.yaml", &root()).expect("loads");
    let seen: Answers = Default::default();
    let s = seen.clone();
    let mut sim = Simulation::builder(&scn).component("canary", move || Canary(s.clone())).build().unwrap();
    sim.run_until(SimTime::from_secs(60));
    assert!(sim.user_errors.is_empty(), "{:?}", sim.user_errors);
    let got = seen.borrow().clone();
    got
}

/// The outcome of the probe sent at `secs` (answered within it).
fn at(seen: &[(SimTime, Outcome, i32, Option<String>)], secs: u64) -> Option<(Outcome, i32)> {
    seen.iter().find(|s| s.0 >= SimTime::from_secs(secs) && s.0 < SimTime::from_secs(secs + 1)).map(|s| (s.1, s.2))
}

#[test]
fn a_component_reaches_a_service_and_sees_readiness_take_its_pod_out() {
    let seen = run_canary("");
    // Before kubia-1 is ready (≈ 4.5 s), the Service has no endpoint: the
    // client node's rules reject the connection (curl exit 7, answered at
    // once). Ready, it answers across the node hop (1 ms there and back).
    // Until the client pod runs (between 2 s and 3 s) nothing leaves it
    // (exit 1).
    assert_eq!(at(&seen, 1), Some((Outcome::Refused, 1)));
    assert_eq!(at(&seen, 3), Some((Outcome::Refused, 7)));
    assert_eq!(at(&seen, 10), Some((Outcome::Ok, 0)));
    let ok = seen.iter().find(|s| s.1 == Outcome::Ok).expect("an answer");
    assert_eq!(ok.3.as_deref(), Some("kubia-1"));
    assert!(ok.0 > SimTime::from_secs(ok.0.as_secs()), "the answer took the hops to node-2 and back");
    // Unready from ≈ 21 s (its next probe fails), out of the endpoints and,
    // after kube-proxy's sync, rejected again; back once ready again.
    assert_eq!(at(&seen, 30), Some((Outcome::Refused, 7)));
    assert_eq!(at(&seen, 50), Some((Outcome::Ok, 0)));
    assert_eq!(seen.len(), 59, "one answer per probe, sent each second from 1 s to 59 s");
}

#[test]
fn a_crashed_components_answers_are_dropped_and_its_new_life_probes_again() {
    // Crashed at 10.0000001 s (between a probe and its answer) and back at
    // 15 s: the answer to the 10 s probe is dropped with the process; the
    // new instance probes from 16 s on (its start, then a second).
    let crash = "  - {at: 10000001us, crashController: {name: canary, restartAfter: 5s}}\n";
    let seen = run_canary(crash);
    let probed: Vec<u64> = seen.iter().map(|s| s.0.as_secs()).collect();
    assert!(probed.contains(&9) && !probed.contains(&10) && !probed.contains(&15), "{:?}", probed);
    assert!(probed.contains(&17), "{:?}", probed);
}

#[test]
fn a_url_curl_rejects_is_an_error_and_a_client_pod_that_does_not_run_answers_nothing() {
    struct Bad(Rc<RefCell<Vec<String>>>);
    impl Controller for Bad {
        fn watches(&self) -> Vec<Kind> {
            Vec::new()
        }
        fn start(&mut self, cx: &mut Cx) {
            let err = cx.http_get(&Key::new("default", "client"), "https://kubia", SimDuration::from_secs(1));
            self.0.borrow_mut().push(err.expect_err("https is refused"));
            cx.http_get(&Key::new("default", "nosuch"), "http://kubia", SimDuration::from_secs(1)).expect("valid");
        }
        fn on_http_response(&mut self, _req: RequestId, r: &HttpResponse, _cx: &mut Cx) {
            self.0.borrow_mut().push(format!("{} {}", r.exit_code, r.message));
        }
    }
    let scn = load_str(&CANARY.replace("FAULT", ""), "bad.yaml", &root()).expect("loads");
    let seen: Rc<RefCell<Vec<String>>> = Default::default();
    let s = seen.clone();
    let mut sim = Simulation::builder(&scn).component("bad", move || Bad(s.clone())).build().unwrap();
    sim.run_until(SimTime::from_secs(1));
    assert_eq!(
        *seen.borrow(),
        ["curl: (1) Protocol \"https\" not supported", "1 error: pod default/nosuch is not running"]
    );
}

/// Sends each `(at ms, url, timeout ms)` GET from the pod `client`, and
/// records each answer: (when, outcome, exit code).
struct Probe {
    seen: Rc<RefCell<Vec<(SimTime, Outcome, i32)>>>,
    urls: Vec<(u64, &'static str, u64)>,
}

impl Controller for Probe {
    fn watches(&self) -> Vec<Kind> {
        Vec::new()
    }
    fn start(&mut self, cx: &mut Cx) {
        for (i, u) in self.urls.iter().enumerate() {
            cx.at(SimTime(u.0 * 1_000_000), i as u64);
        }
    }
    fn on_timer(&mut self, token: u64, cx: &mut Cx) {
        let (_, url, t) = self.urls[token as usize];
        cx.http_get(&Key::new("default", "client"), url, SimDuration::from_millis(t)).expect("valid");
    }
    fn on_http_response(&mut self, _req: RequestId, r: &HttpResponse, cx: &mut Cx) {
        self.seen.borrow_mut().push((cx.now(), r.outcome, r.exit_code));
    }
}

const SLOW: &str = r#"name: slow
seed: 1
duration: 1m
cluster:
  nodes:
    - {namePrefix: node, count: 3, capacity: {cpu: "2", memory: 4Gi}}
images:
  slow: {pull: 1s, start: 1s, http: {port: 8080, responseTime: 5s}}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: client}, spec: {nodeName: node-1, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: slow, labels: {app: slow}}, spec: {nodeName: node-3, containers: [{name: c, image: slow}]}}
  - {apiVersion: v1, kind: Service, metadata: {name: slow}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: slow}}}
timeline:
FAULT"#;

fn run_probe(fault: &str, urls: Vec<(u64, &'static str, u64)>) -> Vec<(SimTime, Outcome, i32)> {
    let scn = load_str(&SLOW.replace("FAULT", fault), "slow.yaml", &root()).expect("loads");
    let seen: Rc<RefCell<Vec<(SimTime, Outcome, i32)>>> = Default::default();
    let s = seen.clone();
    let mut sim = Simulation::builder(&scn)
        .component("probe", move || Probe { seen: s.clone(), urls: urls.clone() })
        .build()
        .unwrap();
    sim.run_until(SimTime::from_secs(60));
    let got = seen.borrow().clone();
    got
}

#[test]
fn what_happens_to_the_answering_process_in_flight_decides_the_answer() {
    // (Found by review.) The app answers after 5 s. Undisturbed: Ok at
    // ≈ 15 s. Its container crashes at 11 s: the connection is reset,
    // told when the answer was due. Its node crashes at 11 s: no answer
    // ever, so the client's 10 s timeout (at 20 s).
    let url = vec![(10_000, "http://slow", 10_000)];
    let calm = run_probe("", url.clone());
    assert_eq!(calm.len(), 1);
    assert_eq!((calm[0].1, calm[0].2), (Outcome::Ok, 0));
    assert!(calm[0].0 > SimTime::from_secs(15) && calm[0].0 < SimTime::from_secs(16), "{:?}", calm);
    let reset = run_probe("  - {at: 11s, crashContainer: {pod: slow}}\n", url.clone());
    assert_eq!(reset.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(), [(Outcome::Reset, 56)], "{:?}", reset);
    let gone = run_probe("  - {at: 11s, crashNode: node-3}\n", url);
    assert_eq!(gone, [(SimTime::from_secs(20), Outcome::Timeout, 28)]);
    // An answer too slow for a 2 s timeout is a timeout at 12 s, whatever
    // its process does meanwhile (as a traffic source's request).
    let slow = run_probe("  - {at: 11s, crashContainer: {pod: slow}}\n", vec![(10_000, "http://slow", 2_000)]);
    assert_eq!(slow, [(SimTime::from_secs(12), Outcome::Timeout, 28)]);
}

#[test]
fn a_client_pod_whose_node_is_down_sends_nothing() {
    // (Found by review.) node-1 crashes at 10 s: the API still says the
    // client runs, but nothing does. A GET to the slow pod's IP from it is
    // refused with exit 1 at once, as one to its Service.
    let urls = vec![(11_000, "http://10.64.2.2:8080", 1_000), (11_000, "http://slow", 1_000)];
    let seen = run_probe("  - {at: 10s, crashNode: node-1}\n", urls);
    let at = SimTime::from_secs(11);
    assert_eq!(seen, [(at, Outcome::Refused, 1), (at, Outcome::Refused, 1)]);
}

#[test]
fn a_client_pod_without_a_running_container_sends_nothing() {
    // (Found by review.) The client's only container crashes at 10 s: the
    // API still says Running, its sandbox is there, but no process of it
    // runs until the kubelet restarts the container.
    let urls = vec![(10_001, "http://slow", 1_000)];
    let seen = run_probe("  - {at: 10s, crashContainer: {pod: client}}\n", urls);
    assert_eq!(seen, [(SimTime(10_001_000_000), Outcome::Refused, 1)]);
}

#[test]
fn a_traffic_source_in_a_pod_whose_sandbox_is_gone_sends_nothing() {
    // (Found by review.) node-1 is cut from the apiserver at 9 s, crashes
    // at 10 s and reboots at 12 s: its kubelet cannot relist until the
    // heal (30 s), so the client pod the API still calls Running has no
    // sandbox meanwhile. A traffic source in it sends nothing then (it
    // used to send, and count timeouts); every request it does send is
    // answered.
    let fault = "  - {at: 5s, traffic: {name: from-client, to: svc/slow, from: pod/client, every: 1s, duration: 40s, timeout: 8s}}\n  - {at: 9s, partitionNode: node-1}\n  - {at: 10s, crashNode: node-1}\n  - {at: 12s, restartNode: node-1}\n  - {at: 30s, healNode: node-1}\n";
    let scn = load_str(&SLOW.replace("FAULT", fault), "sandbox.yaml", &root()).expect("loads");
    let mut sim = scn.build(1);
    sim.run_until(SimTime::from_secs(60));
    let src = sim.traffic.stats.sources.iter().find(|s| s.name == "from-client").expect("source");
    assert_eq!(src.total.get(Outcome::Timeout), 0, "{:?}", src.total);
    assert_eq!(src.total.get(Outcome::Ok), src.total.requests, "{:?}", src.total);
    assert!(src.total.requests > 0 && src.total.requests < 40, "{:?}", src.total);
}
