//! Containers run their `command` + `args` in the simulated shell
//! (`nodes::shell`), each container with its own image behaviour: the
//! book's and the Kubernetes docs' examples, checked on container statuses,
//! events and logs, and run with probe skipping on and off.

use kubesim::objects::pod::{ContainerState, ContainerStatus, Pod};
use kubesim::runner::{run, RunOptions, RunResult};
use kubesim::scenario;
use std::path::Path;

fn load(text: &str) -> scenario::Scenario {
    scenario::load_str(text, "case.yaml", Path::new(".")).unwrap_or_else(|e| panic!("{}\n{}", e, text))
}

fn load_file(name: &str, duration: &str) -> scenario::Scenario {
    let path = crate::root().join("scenarios").join(name);
    let text = std::fs::read_to_string(&path).expect("read");
    // The run lasts until its last expectation: drop them.
    let text = text.split("\nexpect:").next().unwrap_or_default();
    let text = regex_free_replace(text, "duration: ", duration);
    scenario::load_str(&text, name, &crate::root().join("scenarios")).expect("load")
}

/// Replaces the value of the first top-level `key` line.
fn regex_free_replace(text: &str, key: &str, value: &str) -> String {
    text.lines()
        .map(|l| if l.starts_with(key) { format!("{}{}", key, value) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

fn shown(scn: &scenario::Scenario) -> RunResult {
    run(scn, RunOptions { keep_events: true, ..Default::default() })
}

fn pod<'a>(r: &'a RunResult, name: &str) -> &'a Pod {
    r.sim.store.pods.values().find(|p| &*p.meta.name == name).unwrap_or_else(|| panic!("no pod {}", name))
}

fn container<'a>(p: &'a Pod, name: &str) -> &'a ContainerStatus {
    p.status.container_statuses.iter().find(|c| &*c.name == name).expect("container status")
}

/// A container's log (or the one of its previous run); empty when there
/// is none.
fn logs(r: &RunResult, pod_name: &str, idx: usize, previous: bool) -> Vec<String> {
    let p = pod(r, pod_name);
    let k = p.node_name().and_then(|n| r.sim.kubelet(n)).expect("kubelet");
    k.logs(p.meta.uid, idx, previous, r.sim.now()).unwrap_or_default()
}

fn events(r: &RunResult, reason: &str) -> Vec<String> {
    r.sim.trace.events().iter().filter(|e| e.reason == reason).map(|e| format!("{} {}", e.name, e.message)).collect()
}

/// Both ways of probing (ticking every period, or dozing while nothing can
/// change) give the same run and the same logs.
fn same_with_probe_skipping_on_and_off(text: &str) {
    let on = load(&text.replace("PROBESKIP", "1"));
    let off = load(&text.replace("PROBESKIP", "0"));
    let (a, b) = (shown(&on), shown(&off));
    assert_eq!(a.trace_hash, b.trace_hash, "probe skipping changed the run");
    let all = |r: &RunResult| {
        let mut names: Vec<String> = r.sim.store.pods.values().map(|p| p.meta.name.to_string()).collect();
        names.sort();
        names.iter().flat_map(|n| [logs(r, n, 0, false), logs(r, n, 0, true)]).collect::<Vec<_>>()
    };
    assert_eq!(all(&a), all(&b), "probe skipping changed the logs");
}

#[test]
fn exec_liveness_fails_after_the_script_removes_the_file() {
    // At 80 s the first instance has been SIGKILLed (sh is PID 1 without a
    // trap) and the second runs.
    let r = shown(&load_file("exec-liveness-touch-rm.yaml", "80s"));
    let c = container(pod(&r, "liveness-exec"), "liveness");
    assert_eq!(c.restart_count, 1);
    let last = c.last_state.as_ref().expect("a previous run");
    assert_eq!((last.exit_code, &*last.reason), (137, "Error"));
    let unhealthy = events(&r, "Unhealthy");
    assert_eq!(unhealthy.len(), 3, "{:?}", unhealthy);
    assert!(unhealthy[0].ends_with("Liveness probe failed: cat: /tmp/healthy: No such file or directory"));
    let first_failure = r.sim.trace.events().iter().find(|e| e.reason == "Unhealthy").expect("failure").time;
    // rm at ≈ 31.6 s; the next tick of the 5 s grid (anchored at ≈ 0.025 s).
    assert_eq!(first_failure.0, 35_025_000_000);
}

#[test]
fn exec_probes_see_script_writes_with_probe_skipping_on_and_off() {
    // Scripts that write the files exec probes read, on every rhythm: a
    // dozing worker must be woken by the script's write.
    let text = r#"
name: scripts and exec probes
seed: 3
duration: 6m
cluster:
  nodes: [{name: node-1, capacity: {cpu: "4", memory: 8Gi}}]
  config: {probeSkipping: PROBESKIP}
images:
  busybox:1.36: {pull: 1s}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: flapper}
    spec:
      containers:
      - name: c
        image: busybox:1.36
        command: [sh, -c, "while true; do touch /tmp/ready; echo up; sleep 17; rm -f /tmp/ready; echo down; sleep 9; done"]
        readinessProbe: {exec: {command: [cat, /tmp/ready]}, periodSeconds: 3}
        livenessProbe: {exec: {command: [ls, /tmp/ready]}, periodSeconds: 4, failureThreshold: 5}
  - apiVersion: v1
    kind: Pod
    metadata: {name: liveness-exec}
    spec:
      containers:
      - name: c
        image: busybox:1.36
        args: [/bin/sh, -c, "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
        livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5, periodSeconds: 5}
"#;
    same_with_probe_skipping_on_and_off(text);
    let r = shown(&load(&text.replace("PROBESKIP", "1")));
    // flapper: down for 9 s < 5 × 4 s, so liveness never kills it; ready
    // flips with the file.
    assert_eq!(container(pod(&r, "flapper"), "c").restart_count, 0);
    let l = logs(&r, "flapper", 0, false);
    assert!(l.iter().any(|x| x.ends_with("] up")) && l.iter().any(|x| x.ends_with("] down")), "{:?}", l);
    assert!(container(pod(&r, "liveness-exec"), "c").restart_count >= 2);
}

#[test]
fn exec_probe_scripts_run_in_the_shell_with_probe_skipping_on_and_off() {
    // The probe's command is itself a script (`&&`, `||`), run by the
    // simulated shell against the files the container's script leaves.
    let text = r#"
name: exec probe scripts
seed: 5
duration: 2m
cluster:
  nodes: [{name: node-1, capacity: {cpu: "4", memory: 8Gi}}]
  config: {probeSkipping: PROBESKIP}
images:
  busybox:1.36: {pull: 1s}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: scripted}
    spec:
      containers:
      - name: c
        image: busybox:1.36
        command: [sh, -c, "touch /tmp/healthy; sleep 20; rm -f /tmp/healthy; sleep 600"]
        livenessProbe:
          exec: {command: [sh, -c, "test -f /tmp/healthy && exit 0 || exit 1"]}
          initialDelaySeconds: 5
          periodSeconds: 5
        readinessProbe:
          exec: {command: [/bin/sh, -c, "echo ok > /tmp/ready; test -f /tmp/healthy && cat /tmp/ready"]}
          periodSeconds: 3
"#;
    // The loader warns only about what the shell cannot run, saying why.
    let scn = load(&text.replace("PROBESKIP", "1"));
    assert!(scn.warnings.iter().all(|w| !w.contains("exec probe")), "{:?}", scn.warnings);
    let curl = load(&text.replace("PROBESKIP", "1").replace("test -f /tmp/healthy && exit 0", "curl -f localhost"));
    let warned: Vec<_> = curl.warnings.iter().filter(|w| w.contains("exec probe")).collect();
    assert_eq!(warned.len(), 1, "{:?}", curl.warnings);
    assert!(warned[0].contains("`curl -f localhost` is not a command the simulated shell knows);"), "{}", warned[0]);
    same_with_probe_skipping_on_and_off(text);
    let r = shown(&scn);
    let c = container(pod(&r, "scripted"), "c");
    // Removed at ≈ 21 s; three failures 5 s apart kill it; SIGKILL after
    // the 30 s grace (sh is PID 1 without a trap): one restart by 2 m.
    assert!(c.restart_count >= 1, "{:?}", c);
    let last = c.last_state.as_ref().expect("a previous run");
    assert_eq!(last.exit_code, 137);
    let unhealthy = events(&r, "Unhealthy");
    assert!(unhealthy.iter().any(|e| e.contains("Liveness probe failed")), "{:?}", unhealthy);
    assert!(unhealthy.iter().any(|e| e.contains("Readiness probe failed")), "{:?}", unhealthy);
    // Before the file was removed both probes passed: no failure then.
    let first = r.sim.trace.events().iter().find(|e| e.reason == "Unhealthy").expect("a failure").time;
    assert!(first.0 > 21_000_000_000 && first.0 < 30_000_000_000, "{:?}", first);
    let killing = events(&r, "Killing");
    assert!(killing.iter().any(|e| e.contains("failed liveness probe")), "{:?}", killing);
}

#[test]
fn exit_codes_under_each_restart_policy() {
    let r = shown(&load_file("book-crashing-replicaset.yaml", "40s"));
    let failed = container(pod(&r, "never-fails"), "c");
    match &failed.state {
        ContainerState::Terminated(t) => assert_eq!((t.exit_code, &*t.reason), (1, "Error")),
        s => panic!("never-fails: {:?}", s),
    }
    match &container(pod(&r, "never-succeeds"), "c").state {
        ContainerState::Terminated(t) => assert_eq!((t.exit_code, &*t.reason), (0, "Completed")),
        s => panic!("never-succeeds: {:?}", s),
    }
    assert!(logs(&r, "never-succeeds", 0, false).iter().any(|l| l.ends_with("] done")));
    let crashing: Vec<&Pod> =
        r.sim.store.pods.values().filter(|p| p.meta.name.starts_with("crashing-pods-")).map(|p| &**p).collect();
    assert_eq!(crashing.len(), 3);
    for p in crashing {
        let c = container(p, "main");
        assert_eq!(c.last_state.as_ref().map(|t| t.exit_code), Some(1));
        assert!(matches!(&c.state, ContainerState::Waiting { reason, .. } if &**reason == "CrashLoopBackOff"));
    }
}

#[test]
fn each_container_has_its_own_behaviour() {
    let r = shown(&load_file("sidecar-exits.yaml", "2m"));
    for name in ["sidecar-first", "web-first", "scripted-sidecar"] {
        let p = pod(&r, name);
        assert_eq!(container(p, "web").restart_count, 0, "{}: web never exits", name);
        let side = container(p, "sidecar");
        assert_eq!(side.restart_count, 3, "{}", name);
        assert_eq!(side.last_state.as_ref().map(|t| t.exit_code), Some(1), "{}", name);
    }
    // The scripted sidecar's own log, and the one before it.
    let idx = pod(&r, "scripted-sidecar").spec.containers.iter().position(|c| &*c.name == "sidecar").unwrap();
    let prev = logs(&r, "scripted-sidecar", idx, true);
    assert!(
        prev.iter().any(|l| l.ends_with("] syncing")) && prev.iter().any(|l| l.ends_with("] giving up")),
        "{:?}",
        prev
    );
    assert!(logs(&r, "scripted-sidecar", 0, false).iter().all(|l| !l.contains("syncing")), "web's log is its own");
}

#[test]
fn a_trap_decides_what_sigterm_does() {
    let r = shown(&load_file("trap-sigterm-on-delete.yaml", "70s"));
    match &container(pod(&r, "killed-trapped"), "c").state {
        ContainerState::Terminated(t) => assert_eq!(t.exit_code, 0),
        s => panic!("killed-trapped: {:?}", s),
    }
    assert!(logs(&r, "killed-trapped", 0, false).iter().any(|l| l.ends_with("] bye")));
    assert!(matches!(container(pod(&r, "killed-untrapped"), "c").state, ContainerState::Running { .. }));
    assert!(r.sim.store.pods.values().all(|p| &*p.meta.name != "trapped"), "gone within a second");
    assert!(r.sim.store.pods.values().any(|p| &*p.meta.name == "untrapped"), "waits for SIGKILL");
}

#[test]
fn images_declare_default_commands_and_args_replace_them() {
    let text = r#"
name: image defaults
seed: 1
duration: 30s
cluster:
  nodes: [{name: node-1, capacity: {cpu: "4", memory: 8Gi}}]
images:
  app/exits-2: {pull: 1s, command: [sh, -c], args: ["exit 2"]}
  app/default: {pull: 1s, exitAfter: 5s, exitCode: 9}
objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: image-default}, spec: {restartPolicy: Never, containers: [{name: c, image: app/exits-2}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: args-only}, spec: {restartPolicy: Never, containers: [{name: c, image: app/exits-2, args: ["exit 3"]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: command-wins}, spec: {restartPolicy: Never, containers: [{name: c, image: app/exits-2, command: [sh, -c, "exit 4"]}]}}
  - apiVersion: v1
    kind: Pod
    metadata: {name: escape-hatch, annotations: {kubesim.io/behavior: "{exitAfter: 2s, exitCode: 6}"}}
    spec: {restartPolicy: Never, containers: [{name: c, image: app/exits-2, command: [sh, -c, "exit 4"]}]}
  - {apiVersion: v1, kind: Pod, metadata: {name: unknown-a}, spec: {restartPolicy: Never, containers: [{name: c, image: app/default, command: [node, app.js]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: unknown-b}, spec: {restartPolicy: Never, containers: [{name: c, image: app/default, command: [node, app.js]}]}}
"#;
    let scn = load(text);
    let warned: Vec<&String> = scn.warnings.iter().filter(|w| w.contains("node")).collect();
    assert_eq!(warned.len(), 1, "once per command line: {:?}", scn.warnings);
    assert!(
        warned[0].contains("Pod unknown-a: spec.containers[0].command [\"node\", \"app.js\"]")
            && warned[0].contains("is not a command the simulated shell knows")
            && warned[0].contains("runs its image's behaviour"),
        "{}",
        warned[0]
    );
    let r = shown(&scn);
    let code = |name: &str| match &container(pod(&r, name), "c").state {
        ContainerState::Terminated(t) => t.exit_code,
        s => panic!("{}: {:?}", name, s),
    };
    assert_eq!(code("image-default"), 2);
    assert_eq!(code("args-only"), 3);
    assert_eq!(code("command-wins"), 4);
    assert_eq!(code("escape-hatch"), 6, "kubesim.io/behavior overrides the command");
    assert_eq!(code("unknown-a"), 9, "an unknown command falls back to the image");
}

#[test]
fn init_containers_run_their_scripts() {
    let text = r#"
name: init scripts
seed: 2
duration: 1m
cluster:
  nodes: [{name: node-1, capacity: {cpu: "4", memory: 8Gi}}]
images:
  busybox:1.36: {pull: 1s}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: waits}
    spec:
      initContainers:
      - {name: wait, image: "busybox:1.36", command: [sh, -c, "echo waiting; sleep 10"]}
      containers:
      - {name: app, image: "busybox:1.36", command: [sh, -c, "while true; do date; sleep 5; done"]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: init-fails}
    spec:
      restartPolicy: Never
      initContainers:
      - {name: check, image: "busybox:1.36", command: [sh, -c, "test -e /config || exit 3"]}
      containers:
      - {name: app, image: "busybox:1.36", command: [sleep, "3600"]}
"#;
    let r = shown(&load(text));
    let waits = pod(&r, "waits");
    match &waits.status.init_container_statuses[0].state {
        ContainerState::Terminated(t) => {
            assert_eq!(t.exit_code, 0);
            let ran = t.finished_at.0 - t.started_at.expect("started").0;
            assert_eq!(ran, 10_000_000_000, "sleep 10");
        }
        s => panic!("{:?}", s),
    }
    // `date` in the log, in virtual time from the Unix epoch.
    let l = logs(&r, "waits", 0, false);
    assert!(l.iter().any(|x| x.contains("Thu Jan  1 00:00:") && x.ends_with("UTC 1970")), "{:?}", l);
    let failed = pod(&r, "init-fails");
    assert_eq!(failed.status.phase, kubesim::objects::pod::PodPhase::Failed);
    match &failed.status.init_container_statuses[0].state {
        ContainerState::Terminated(t) => assert_eq!(t.exit_code, 3),
        s => panic!("{:?}", s),
    }
}

#[test]
fn a_probe_on_a_missing_named_port_errors_and_is_ignored() {
    // pkg/kubelet/prober/prober.go: extractPort's last ditch is
    // strconv.Atoi; `probe` records "… probe errored and resulted in
    // unknown state: …"; worker.go throws the result away.
    let text = r#"
name: missing named port
seed: 4
duration: 2m
cluster:
  nodes: [{name: node-1, capacity: {cpu: "4", memory: 8Gi}}]
images:
  luksa/kubia: {pull: 1s, http: {port: 8080}}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: kubia}
    spec:
      containers:
      - name: kubia
        image: luksa/kubia
        ports: [{name: http, containerPort: 8080}]
        livenessProbe: {httpGet: {path: /, port: nosuchport}, periodSeconds: 10, failureThreshold: 1}
        readinessProbe: {tcpSocket: {port: nosuchport}, periodSeconds: 10}
  - apiVersion: v1
    kind: Pod
    metadata: {name: numeric-name}
    spec:
      containers:
      - name: kubia
        image: luksa/kubia
        readinessProbe: {httpGet: {path: /, port: "8080"}, periodSeconds: 10}
"#;
    let r = shown(&load(text));
    let p = pod(&r, "kubia");
    assert_eq!(container(p, "kubia").restart_count, 0, "an Unknown result restarts nothing");
    assert!(!container(p, "kubia").ready, "and makes nothing ready");
    let u = events(&r, "Unhealthy");
    let msg = |kind: &str| {
        format!(
            "kubia {} probe errored and resulted in unknown state: strconv.Atoi: parsing \"nosuchport\": invalid syntax",
            kind
        )
    };
    assert!(u.contains(&msg("Liveness")) && u.contains(&msg("Readiness")), "{:?}", u);
    assert!(u.iter().all(|e| !e.contains("Name(")), "no internal forms: {:?}", u);
    assert!(container(pod(&r, "numeric-name"), "kubia").ready, "a name that is a number is the port");
}
