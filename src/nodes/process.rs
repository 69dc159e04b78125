//! What runs in a container: the app process of the image, as probes,
//! `exec` and signals meet it (docs/kubernetes-behaviour.md §2.6, §2.7, §3).
//!
//! - An HTTP probe is a request to the app: it counts toward
//!   `failAfterRequests`; it is refused before `listenAfter`; against a hung
//!   app it times out after `timeoutSeconds`; it succeeds iff the status is
//!   in 200–399 and the answer comes within the timeout.
//! - A TCP probe succeeds iff the app listens on the port (a hung app's
//!   socket still completes the handshake in the kernel).
//! - Exec probes, preStop exec hooks and `kubectl exec` run their command
//!   through the simulated shell (`nodes::shell`) against the container's
//!   files, to its end at once: its sleeps count toward the probe's timeout
//!   (or the grace period) but take no simulated time. A command the shell
//!   cannot run exits with the image's exec default.
//! - Termination: preStop runs first and is charged to the grace period;
//!   then SIGTERM, to which the app reacts per its `sigterm` behaviour — or,
//!   when the container runs a script (`nodes::shell`), per its `trap`; at
//!   the end of the grace (never less than 2 s after SIGTERM) SIGKILL.
//! - A probe on a named port the container lacks is an error, as
//!   `extractPort` words it: the kubelet throws the result away.

#![warn(missing_docs)]

use super::images::{ImageBehavior, Sigterm};
use super::shell::{self, Host, Run, Yield};
use crate::objects::pod::Container;
use crate::objects::probe::{Handler, PortRef, ProbeKind};
use crate::sim::{SimDuration, SimTime};
use std::collections::BTreeSet;
use std::rc::Rc;

/// What a fault or `kubectl exec` does to one container's process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerOp {
    /// The process stays alive but answers nothing.
    Hang,
    /// The process exits with this code.
    Crash {
        /// The exit code (the container's `lastState.terminated.exitCode`).
        exit_code: i32,
    },
    /// The kernel's OOM killer: exit 137, reason OOMKilled.
    Oom,
    /// A signal sent to the process (9 kills; 15 meets its SIGTERM handling).
    Kill {
        /// The signal number.
        signal: i32,
    },
    /// `kubectl exec`: a simulated command in the container.
    Exec {
        /// The command and its arguments.
        command: Vec<String>,
    },
}

/// One instance of a container's process.
///
/// `repr(C)`, its first fields what a request reads (`serve`,
/// `Kubelet::running_instance`): they share a cache line or two, where the
/// compiler's order spread them over four (a request is a few cache
/// misses; this was the largest share of them, measured with cachegrind).
#[derive(Clone, Debug, Default)]
#[repr(C)]
pub struct Proc {
    /// When this instance started; `None` when it is not running.
    pub running_since: Option<SimTime>,
    /// When SIGTERM reaches it, once a kill is under way (after preStop).
    pub sigterm_at: Option<SimTime>,
    /// HTTP requests served (probes included).
    pub served: u64,
    /// Counts instances, so timers of an earlier one are recognized.
    pub instance: u32,
    /// The process is alive but answers nothing (the `Hang` fault).
    pub hung: bool,
    /// A kill is under way; probes no longer act.
    pub killing: bool,
    /// The log of this instance and of the one before (`kubectl logs
    /// --previous`), kept only when a person will read them; read through
    /// `render_log`, which expands the spans a dozing probe worker skipped.
    pub log: Option<Vec<LogEntry>>,
    /// The container's files (the image's, then as `touch`/`rm` leave
    /// them), which exec probes test.
    pub files: BTreeSet<String>,
    /// Consecutive successes and failures per probe kind.
    pub successes: [u64; 3],
    /// Consecutive failures per probe slot (see `successes`).
    pub failures: [u64; 3],
    /// The startup probe succeeded (or there is none).
    pub started_ok: bool,
    /// Probe results on their way back (the probe takes time).
    pub pending: [Option<ProbeOutcome>; 3],
    /// A tick came while the probe was still running: Go's ticker keeps one
    /// tick, so the worker probes again as soon as the result is in.
    pub tick_missed: [bool; 3],
    /// The worker stopped ticking: its next results could change nothing
    /// (see `Kubelet::maybe_doze`); a state change wakes it.
    pub dormant: [bool; 3],
    /// When the process will exit, with what code, once killed.
    pub kill_result: Option<(SimTime, i32)>,
    /// The previous instance's log (`kubectl logs --previous`).
    pub previous_log: Option<Vec<LogEntry>>,
    /// The queue key of the probe tick running now, if one is (see
    /// `LogEntry`).
    pub log_key: Option<u64>,
    /// The worker's next tick is in the queue, per probe slot (a worker
    /// that dozes while a result is on its way still has one).
    pub tick_queued: [bool; 3],
    /// A dozing worker's span is open in the log, per probe slot.
    pub doze_open: [bool; 3],
    /// The script this instance runs (`nodes::shell`), when the container
    /// has a command the simulated shell understands.
    pub script: Option<Box<Run>>,
    /// The container's hostname (the pod's name), which `hostname` prints.
    pub hostname: Rc<str>,
    /// The instant whose Services this instance's environment was made
    /// from: when it was created, or, on a node cut from the apiserver,
    /// when its Service informer stopped (`service_env`).
    pub env_as_of: SimTime,
    /// The pod as the kubelet knew it when it created this instance, kept
    /// when the container's `env:` has `fieldRef`s to resolve against it.
    pub env_pod: Option<Rc<crate::objects::pod::Pod>>,
}

/// One record of a container's log. Lines are ordered by `(time, key)`,
/// then as written: `key` is the queue key of the probe tick that wrote
/// the line (ticks run first at an instant, in key order), `u64::MAX` for
/// any other event. Request numbers are counted when the log is read, so
/// requests a dozing worker skipped count as if it had ticked.
#[derive(Clone, Debug)]
pub enum LogEntry {
    /// A line the app or the simulator wrote.
    Line {
        /// When.
        at: SimTime,
        /// The writing tick's queue key (`u64::MAX` outside a tick).
        key: u64,
        /// The line.
        text: String,
    },
    /// An HTTP request the app served.
    Request {
        /// When.
        at: SimTime,
        /// The writing tick's queue key.
        key: u64,
        /// The request path.
        path: String,
        /// The status the app answered.
        status: u16,
    },
    /// A probe worker in `slot` stopped ticking: each tick from `from` on,
    /// every `period`, would have sent this request (until `DozeEnd`).
    DozeStart {
        /// The probe slot (`slot(kind)`).
        slot: usize,
        /// The first skipped tick.
        from: SimTime,
        /// The probe period.
        period: SimDuration,
        /// The ticks' queue key.
        key: u64,
        /// The request path each tick would have sent.
        path: String,
        /// The status each would have got.
        status: u16,
    },
    /// The span of `slot` ends: ticks at `until` and later are real again
    /// (or do not happen).
    DozeEnd {
        /// The probe slot.
        slot: usize,
        /// The first tick not skipped.
        until: SimTime,
    },
}

/// Ends the dozing span of `slot`, if one is open: its ticks before
/// `until` were skipped.
pub fn end_doze(proc: &mut Proc, slot: usize, until: SimTime) {
    if std::mem::take(&mut proc.doze_open[slot]) {
        if let Some(log) = proc.log.as_mut() {
            log.push(LogEntry::DozeEnd { slot, until });
        }
    }
}

/// The lines of a log as a ticking kubelet would have written them by
/// `now`.
pub fn render_log(entries: &[LogEntry], now: SimTime) -> Vec<String> {
    // (time, key, order written, text or request)
    type Rendered<'a> = Vec<(SimTime, u64, usize, Result<&'a str, (&'a str, u16)>)>;
    type Span<'a> = (SimTime, SimDuration, u64, &'a str, u16);
    fn expand<'a>(span: Span<'a>, until: SimTime, n: usize, lines: &mut Rendered<'a>) {
        let (mut t, period, key, path, status) = span;
        while t < until {
            lines.push((t, key, n, Err((path, status))));
            t += period;
        }
    }
    let mut lines: Rendered = Vec::new();
    let mut open: [Option<Span>; 3] = [None; 3];
    for (n, e) in entries.iter().enumerate() {
        match e {
            LogEntry::Line { at, key, text } => lines.push((*at, *key, n, Ok(text))),
            LogEntry::Request { at, key, path, status } => lines.push((*at, *key, n, Err((path, *status)))),
            LogEntry::DozeStart { slot, from, period, key, path, status } => {
                open[*slot] = Some((*from, *period, *key, path, *status));
            }
            LogEntry::DozeEnd { slot, until } => {
                if let Some(span) = open[*slot].take() {
                    expand(span, *until, n, &mut lines);
                }
            }
        }
    }
    // A span still open: its ticks up to `now` (the log is read between
    // events, when every tick at `now` has run).
    for span in open.into_iter().flatten() {
        expand(span, SimTime(now.0 + 1), entries.len(), &mut lines);
    }
    lines.sort_by_key(|l| (l.0, l.1, l.2));
    let mut served = 0;
    lines
        .into_iter()
        .map(|(at, _, _, l)| match l {
            Ok(text) => format!("[{}] {}", at, text),
            Err((path, status)) => {
                served += 1;
                format!("[{}] GET {} -> {} (request {})", at, path, status, served)
            }
        })
        .collect()
}

/// The index of a probe kind in a `Proc`'s per-probe arrays (startup 0,
/// liveness 1, readiness 2).
pub fn slot(kind: ProbeKind) -> usize {
    match kind {
        ProbeKind::Startup => 0,
        ProbeKind::Liveness => 1,
        ProbeKind::Readiness => 2,
    }
}

impl Proc {
    /// A fresh process started at `now`.
    pub fn start(&mut self, now: SimTime, image: Option<&ImageBehavior>, has_startup_probe: bool) {
        debug_assert!(self.doze_open == [false; 3], "spans are closed when a process stops");
        if self.instance > 0 && self.log.is_some() {
            self.previous_log = self.log.replace(Vec::new());
        }
        self.instance += 1;
        self.running_since = Some(now);
        self.hung = false;
        self.served = 0;
        self.files = image.map(|b| b.files.iter().cloned().collect()).unwrap_or_default();
        self.successes = [0; 3];
        self.failures = [0; 3];
        self.started_ok = !has_startup_probe;
        self.killing = false;
        self.pending = Default::default();
        self.tick_missed = [false; 3];
        self.kill_result = None;
        self.sigterm_at = None;
        self.script = None;
    }

    /// Appends a log line (when logs are kept).
    pub fn say(&mut self, now: SimTime, line: std::fmt::Arguments) {
        let key = self.log_key.unwrap_or(u64::MAX);
        if let Some(log) = self.log.as_mut() {
            log.push(LogEntry::Line { at: now, key, text: line.to_string() });
        }
    }

    /// The process is gone: no longer running, no kill or probe result
    /// pending.
    pub fn stop(&mut self) {
        self.running_since = None;
        self.killing = false;
        self.pending = Default::default();
    }
}

/// The result of one probe run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// Whether the probe succeeded.
    pub ok: bool,
    /// How long the probe took (its result counts only then).
    pub after: SimDuration,
    /// An exec probe changed the container's files.
    pub changed: bool,
    /// The failure text, as the kubelet words it in `Unhealthy` events.
    pub message: String,
    /// The prober itself failed (a named port the container lacks): the
    /// result is Unknown and the worker throws it away (`doProbe`:
    /// "Prober error, throw away the result").
    pub errored: bool,
}

/// A probe's port as a number (named ports resolved on the container).
pub fn resolve_port(port: &PortRef, c: &Container) -> Option<u16> {
    extract_port(port, c).ok()
}

/// `extractPort` (pkg/kubelet/prober/prober.go): a named port is looked up
/// in the container's ports, then, as a last ditch, parsed as a number
/// (`strconv.Atoi`); the error is Go's.
pub fn extract_port(port: &PortRef, c: &Container) -> Result<u16, String> {
    let n: i64 = match port {
        PortRef::Number(n) => *n as i64,
        PortRef::Name(name) => match c.ports.iter().find(|p| p.name.as_deref() == Some(name.as_str())) {
            Some(p) => p.container_port as i64,
            None => name.parse().map_err(|_| format!("strconv.Atoi: parsing {:?}: invalid syntax", name))?,
        },
    };
    if (1..65536).contains(&n) {
        Ok(n as u16)
    } else {
        Err(format!("invalid port number: {}", n))
    }
}

fn listening(image: Option<&ImageBehavior>, proc: &Proc, port: u16, now: SimTime) -> bool {
    let Some(b) = image else { return false };
    let serves = b.http.as_ref().is_some_and(|h| h.port == port) || b.tcp_port == Some(port);
    let since = proc.running_since.unwrap_or(SimTime::MAX);
    serves && now >= since + b.listen_after
}

/// What a container's app did with a request that reached it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// Nothing listens on the port (not started, not listening yet, shut
    /// down after SIGTERM, exited): the pod's network namespace resets the
    /// connection.
    Refused,
    /// The connection is accepted but nothing answers (a hung process, or
    /// a plain TCP listener that does not speak HTTP).
    Silent,
    /// The app answered with `status` after `after`.
    Answered {
        /// The HTTP status.
        status: u16,
        /// Its response time.
        after: SimDuration,
    },
}

/// A port a container's app listens on, with what it does with a
/// request there: the parts of its image's behaviour a request needs,
/// copied when the pod is admitted (a request then reads no image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listener {
    /// The port.
    pub port: u16,
    /// The app container's index.
    pub container: u16,
    /// `listenAfter`: it accepts connections this long after it started.
    pub listen_after: SimDuration,
    /// `sigterm: ignore`: it serves on after SIGTERM.
    pub ignores_sigterm: bool,
    /// An HTTP server: its status, response time and `failAfterRequests`;
    /// `None`: a plain TCP listener, which answers nothing HTTP.
    pub http: Option<(u16, SimDuration, Option<u64>)>,
}

impl Listener {
    /// The listeners of container `idx` running `image`: its HTTP port,
    /// then its TCP port.
    pub fn of(image: Option<&ImageBehavior>, idx: usize) -> impl Iterator<Item = Listener> + '_ {
        let base = move |port: u16, http| Listener {
            port,
            container: idx as u16,
            listen_after: image.map_or(SimDuration::ZERO, |b| b.listen_after),
            ignores_sigterm: image.is_some_and(|b| b.sigterm == Sigterm::Ignore),
            http,
        };
        let http = image
            .and_then(|b| b.http.as_ref())
            .map(move |h| base(h.port, Some((h.status, h.response_time, h.fail_after_requests))));
        let tcp =
            image.and_then(|b| b.tcp_port).filter(|p| http.is_none_or(|h| h.port != *p)).map(move |p| base(p, None));
        http.into_iter().chain(tcp)
    }
}

/// An HTTP request reaching `l`'s port of a container whose process is
/// `proc`, at `now`. An answered request counts toward
/// `failAfterRequests` as a probe's does, and is logged when logs are
/// kept.
pub fn serve(l: &Listener, proc: &mut Proc, path: &str, now: SimTime) -> Served {
    let Some(since) = proc.running_since else { return Served::Refused };
    if now < since + l.listen_after {
        return Served::Refused;
    }
    // After SIGTERM an app with a handler stops accepting (Go's
    // `Server.Shutdown` closes its listeners first); one that ignores the
    // signal serves on until SIGKILL.
    if proc.sigterm_at.is_some_and(|t| t <= now) && !l.ignores_sigterm {
        return Served::Refused;
    }
    let Some((ok_status, after, fail_after)) = l.http else { return Served::Silent };
    if proc.hung {
        return Served::Silent;
    }
    proc.served += 1;
    let status = match fail_after {
        Some(n) if proc.served > n => 500,
        _ => ok_status,
    };
    if let Some(log) = proc.log.as_mut() {
        log.push(LogEntry::Request { at: now, key: u64::MAX, path: path.to_string(), status });
    }
    Served::Answered { status, after }
}

/// Runs one probe against the process at `now`.
pub fn run_probe(
    handler: &Handler,
    timeout: SimDuration,
    c: &Container,
    image: Option<&ImageBehavior>,
    proc: &mut Proc,
    pod_ip: &str,
    now: SimTime,
) -> ProbeOutcome {
    let fail = |after: SimDuration, message: String| ProbeOutcome {
        ok: false,
        after,
        message,
        changed: false,
        errored: false,
    };
    let errored =
        |message: String| ProbeOutcome { ok: false, after: SimDuration::ZERO, message, changed: false, errored: true };
    match handler {
        Handler::HttpGet { path, port, scheme } => {
            let port = match extract_port(port, c) {
                Ok(p) => p,
                Err(e) => return errored(e),
            };
            // Only a failure's message names the URL: a success formats nothing.
            let url = || format!("{}://{}:{}{}", scheme.to_ascii_lowercase(), pod_ip, port, path);
            if !listening(image, proc, port, now) {
                return fail(
                    SimDuration::ZERO,
                    format!("Get \"{}\": dial tcp {}:{}: connect: connection refused", url(), pod_ip, port),
                );
            }
            let Some(http) = image.and_then(|b| b.http.as_ref()).filter(|h| h.port == port) else {
                // A TCP-only listener answers nothing an HTTP client accepts.
                return fail(
                    timeout,
                    format!(
                        "Get \"{}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                        url()
                    ),
                );
            };
            if proc.hung || http.response_time > timeout {
                return fail(
                    timeout,
                    format!(
                        "Get \"{}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                        url()
                    ),
                );
            }
            proc.served += 1;
            let status_now = match http.fail_after_requests {
                Some(n) if proc.served > n => 500,
                _ => http.status,
            };
            let key = proc.log_key.unwrap_or(u64::MAX);
            if let Some(log) = proc.log.as_mut() {
                log.push(LogEntry::Request { at: now, key, path: path.clone(), status: status_now });
            }
            let status = status_now;
            if (200..400).contains(&status) {
                ProbeOutcome {
                    ok: true,
                    after: http.response_time,
                    message: String::new(),
                    changed: false,
                    errored: false,
                }
            } else {
                fail(http.response_time, format!("HTTP probe failed with statuscode: {}", status))
            }
        }
        Handler::TcpSocket { port } => {
            let port = match extract_port(port, c) {
                Ok(p) => p,
                Err(e) => return errored(e),
            };
            if listening(image, proc, port, now) {
                ProbeOutcome {
                    ok: true,
                    after: SimDuration::ZERO,
                    message: String::new(),
                    changed: false,
                    errored: false,
                }
            } else {
                fail(SimDuration::ZERO, format!("dial tcp {}:{}: connect: connection refused", pod_ip, port))
            }
        }
        Handler::Exec { command } => {
            let r = exec(command, proc, image, now, timeout, &[]);
            let mut outcome = if r.duration > timeout {
                fail(timeout, format!("command {:?} timed out", command.join(" ")))
            } else if r.code == 0 {
                ProbeOutcome { ok: true, after: r.duration, message: String::new(), changed: false, errored: false }
            } else {
                fail(r.duration, r.output)
            };
            outcome.changed = r.changed;
            outcome
        }
        Handler::Sleep { seconds } => ProbeOutcome {
            ok: true,
            after: SimDuration::from_secs(*seconds),
            message: String::new(),
            changed: false,
            errored: false,
        },
    }
}

/// The result of a simulated command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecResult {
    /// The exit code.
    pub code: i32,
    /// How long the command ran.
    pub duration: SimDuration,
    /// What it printed.
    pub output: String,
    /// The command is not one the simulator knows (the image's default
    /// exit code was used).
    pub unknown: bool,
    /// The command changed the container's files.
    pub changed: bool,
}

/// A command that sleeps more often than this is taken never to return:
/// kubesim runs a command to its end at once, and a loop of short sleeps
/// would otherwise take as many steps as it sleeps.
const EXEC_SLEEPS: u32 = 10_000;

/// Runs a command in the container through the simulated shell
/// (`nodes::shell`), to its end at once: its sleeps add to `duration` (and
/// to the clock its `date` reads) but take no simulated time. It is
/// stopped once it has run longer than `limit` (the caller's timeout; its
/// `duration` then exceeds `limit`, and what it would have done later does
/// not happen). A command that never returns (`sleep infinity`, a loop
/// that stops sleeping, more than `EXEC_SLEEPS` sleeps) lasts
/// `SimDuration(u64::MAX)`. A command the shell cannot run exits with the
/// image's exec default, marked `unknown`.
pub fn exec(
    command: &[String],
    proc: &mut Proc,
    image: Option<&ImageBehavior>,
    now: SimTime,
    limit: SimDuration,
    env: &[(String, String)],
) -> ExecResult {
    let Ok(program) = shell::parse_exec(command) else {
        let code = image.map_or(0, |b| b.exec_default);
        return ExecResult { code, duration: SimDuration::ZERO, output: String::new(), unknown: true, changed: false };
    };
    let mut run = Run::new(Rc::new(program), proc.hostname.clone());
    let mut host = Host::new(&mut proc.files, now, true);
    host.env = env;
    let mut duration = SimDuration::ZERO;
    let mut sleeps = 0;
    // A command cut off is killed: 137, as SIGKILL leaves it.
    let code = loop {
        match run.resume(&mut host) {
            Yield::Exit(code) => break code,
            Yield::Sleep(d) => {
                duration = SimDuration(duration.0.saturating_add(d.0));
                host.now += d;
                sleeps += 1;
                if duration > limit {
                    break 137;
                }
                if sleeps >= EXEC_SLEEPS {
                    duration = SimDuration(u64::MAX);
                    break 137;
                }
            }
            Yield::Forever | Yield::Spin => {
                duration = SimDuration(u64::MAX);
                break 137;
            }
        }
    };
    let output = host.out.into_iter().map(|(_, line)| line).collect::<Vec<_>>().join("\n");
    ExecResult { code, duration, output, unknown: false, changed: host.changed }
}

/// When and how a killed process ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termination {
    /// When SIGTERM is sent (after preStop).
    pub sigterm_at: SimTime,
    /// When the process exits (by SIGTERM handling or SIGKILL).
    pub exit_at: SimTime,
    /// Its exit code (143 on SIGTERM by default, 137 on SIGKILL).
    pub exit_code: i32,
}

/// The kill of a running process with `grace` (docs/kubernetes-behaviour.md §2.7):
/// preStop, then SIGTERM, then SIGKILL at the end of the grace — never less
/// than 2 s after SIGTERM; a preStop that outlasts the grace gets a one-off
/// 2 s extension.
pub fn termination(
    now: SimTime,
    grace: SimDuration,
    pre_stop: Option<&Handler>,
    c: &Container,
    image: Option<&ImageBehavior>,
    proc: &mut Proc,
    pod_ip: &str,
) -> Termination {
    const MIN_GRACE: SimDuration = SimDuration::from_secs(2);
    let hook = match pre_stop {
        None => SimDuration::ZERO,
        Some(Handler::Sleep { seconds }) => SimDuration::from_secs(*seconds),
        Some(Handler::Exec { command }) => exec(command, proc, image, now, grace, &[]).duration,
        Some(h @ (Handler::HttpGet { .. } | Handler::TcpSocket { .. })) => {
            let r = run_probe(h, grace, c, image, proc, pod_ip, now);
            r.after
        }
    };
    let (sigterm_at, kill_at) = if hook >= grace && pre_stop.is_some() {
        (now + grace, now + grace + MIN_GRACE)
    } else {
        let t = now + hook;
        (t, (now + grace).max(t + MIN_GRACE))
    };
    let behavior = image.map(|b| b.sigterm).unwrap_or_default();
    let sigkilled = Termination { sigterm_at, exit_at: kill_at, exit_code: 137 };
    let t = match proc.script.as_deref() {
        // A script is PID 1: its `trap` decides (`Run::sigterm`).
        Some(run) if !proc.hung => {
            let mut h = Host::new(&mut proc.files, sigterm_at, proc.log.is_some());
            let ends = run.sigterm(sigterm_at, kill_at, &mut h);
            let out = h.out;
            for (at, line) in out {
                proc.say(at, format_args!("{}", line));
            }
            match ends {
                Some((exit_at, exit_code)) => Termination { sigterm_at, exit_at, exit_code },
                None => sigkilled,
            }
        }
        Some(_) => sigkilled,
        None => match behavior {
            Sigterm::Exit => Termination { sigterm_at, exit_at: sigterm_at, exit_code: 143 },
            Sigterm::Ignore => sigkilled,
            // A hung app's handler never runs.
            Sigterm::ExitAfter(_) if proc.hung => sigkilled,
            Sigterm::ExitAfter(d) if sigterm_at + d < kill_at => {
                Termination { sigterm_at, exit_at: sigterm_at + d, exit_code: 0 }
            }
            Sigterm::ExitAfter(_) => sigkilled,
        },
    };
    proc.sigterm_at = Some(sigterm_at);
    if hook > SimDuration::ZERO {
        proc.say(now, format_args!("preStop hook running"));
    }
    proc.say(sigterm_at, format_args!("received SIGTERM{}", if t.exit_code == 137 { " (not handled)" } else { "" }));
    if t.exit_code == 137 {
        proc.say(t.exit_at, format_args!("killed by SIGKILL"));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nodes::images::HttpBehavior;

    fn container() -> Container {
        crate::scenario::workload::trace_spec(100, 1 << 20).containers[0].clone()
    }

    fn kubia(fail_after: Option<u64>) -> ImageBehavior {
        ImageBehavior {
            http: Some(HttpBehavior {
                port: 8080,
                fail_after_requests: fail_after,
                status: 200,
                response_time: SimDuration::ZERO,
            }),
            ..Default::default()
        }
    }

    fn secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    #[test]
    fn http_probe_counts_requests_and_fails_after_n() {
        let img = kubia(Some(5));
        let mut p = Proc::default();
        p.start(secs(0), Some(&img), false);
        let h = Handler::HttpGet { path: "/".into(), port: PortRef::Number(8080), scheme: "HTTP".into() };
        let results: Vec<bool> = (0..7)
            .map(|_| run_probe(&h, SimDuration::from_secs(1), &container(), Some(&img), &mut p, "10.0.0.1", secs(1)).ok)
            .collect();
        assert_eq!(results, vec![true, true, true, true, true, false, false]);
        let r = run_probe(&h, SimDuration::from_secs(1), &container(), Some(&img), &mut p, "10.0.0.1", secs(1));
        assert_eq!(r.message, "HTTP probe failed with statuscode: 500");
    }

    #[test]
    fn hung_app_times_out_and_refuses_before_listening() {
        let mut img = kubia(None);
        img.listen_after = SimDuration::from_secs(5);
        let mut p = Proc::default();
        p.start(secs(10), Some(&img), false);
        let h = Handler::HttpGet { path: "/".into(), port: PortRef::Number(8080), scheme: "HTTP".into() };
        let t = SimDuration::from_secs(1);
        let early = run_probe(&h, t, &container(), Some(&img), &mut p, "10.0.0.1", secs(12));
        assert!(!early.ok && early.message.contains("connection refused") && early.after == SimDuration::ZERO);
        assert!(run_probe(&h, t, &container(), Some(&img), &mut p, "10.0.0.1", secs(15)).ok);
        p.hung = true;
        let hung = run_probe(&h, t, &container(), Some(&img), &mut p, "10.0.0.1", secs(16));
        assert!(!hung.ok && hung.after == t && hung.message.contains("context deadline exceeded"));
        let tcp = Handler::TcpSocket { port: PortRef::Number(8080) };
        assert!(
            run_probe(&tcp, t, &container(), Some(&img), &mut p, "10.0.0.1", secs(16)).ok,
            "the kernel still accepts"
        );
    }

    fn cmd(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    const FOREVER: SimDuration = SimDuration(u64::MAX);

    /// Runs `command` in `p` at 0 s without a time limit.
    fn ex(command: &[String], p: &mut Proc) -> ExecResult {
        exec(command, p, None, SimTime::ZERO, FOREVER, &[])
    }

    #[test]
    fn exec_commands_against_files() {
        let mut p = Proc::default();
        assert_eq!(ex(&cmd("ls /var/ready"), &mut p).code, 2);
        let touched = ex(&cmd("touch /var/ready"), &mut p);
        assert!(touched.code == 0 && touched.changed);
        assert!(!ex(&cmd("touch /var/ready"), &mut p).changed, "it was there already");
        assert_eq!(ex(&cmd("ls /var/ready"), &mut p).code, 0);
        assert_eq!(ex(&sh("test -e /var/ready"), &mut p).code, 0);
        assert_eq!(ex(&cmd("[ -f /var/ready ]"), &mut p).code, 0);
        let removed = ex(&cmd("rm /var/ready"), &mut p);
        assert!(removed.code == 0 && removed.changed);
        assert_eq!(ex(&cmd("cat /var/ready"), &mut p).code, 1);
        assert_eq!(ex(&cmd("test -f /var/ready"), &mut p).code, 1);
        let forced = ex(&cmd("rm -f /var/ready"), &mut p);
        assert!(forced.code == 0 && !forced.changed);
        assert_eq!(ex(&cmd("true"), &mut p).code, 0);
        assert_eq!(ex(&cmd("false"), &mut p).code, 1);
        assert_eq!(ex(&cmd("exit 3"), &mut p).code, 3);
        assert_eq!(ex(&cmd("exit abc"), &mut p).code, 2, "dash: Illegal number");
        assert_eq!(ex(&cmd("sleep 5"), &mut p).duration, SimDuration::from_secs(5));
        assert_eq!(ex(&cmd("sleep 5s"), &mut p).duration, SimDuration::from_secs(5));
    }

    #[test]
    fn exec_output_is_worded_as_before() {
        // The messages of the commands the one-command interpreter knew,
        // byte for byte (they are probe failure messages in events).
        let mut p = Proc::default();
        let out = |c: &[String], p: &mut Proc| {
            let r = ex(c, p);
            (r.code, r.output)
        };
        assert_eq!(out(&cmd("cat /x"), &mut p), (1, "cat: /x: No such file or directory".into()));
        assert_eq!(out(&cmd("rm /x"), &mut p), (1, "rm: cannot remove '/x': No such file or directory".into()));
        assert_eq!(out(&cmd("ls /x"), &mut p), (2, "ls: cannot access '/x': No such file or directory".into()));
        assert_eq!(out(&cmd("sleep abc"), &mut p), (1, "sleep: invalid time interval 'abc'".into()));
        assert_eq!(out(&sh("sleep abc"), &mut p), (1, "sleep: invalid time interval 'abc'".into()));
        assert_eq!(out(&cmd("test -e /x"), &mut p), (1, String::new()));
        ex(&cmd("touch /a /b"), &mut p);
        assert_eq!(out(&cmd("ls /a /b"), &mut p), (0, "/a\n/b".into()));
        assert_eq!(out(&cmd("cat /a"), &mut p), (0, String::new()));
        // The first missing file is named.
        assert_eq!(out(&cmd("rm -f /a /y /z"), &mut p).0, 0);
        assert_eq!(out(&cmd("rm /b /y /z"), &mut p), (1, "rm: cannot remove '/y': No such file or directory".into()));
        // A container's own `sleep abc` still does not parse (the loader
        // warns and the image's behaviour runs).
        assert!(shell::parse_argv(&cmd("sleep abc")).is_err());
    }

    #[test]
    fn exec_runs_scripts() {
        let mut p = Proc::default();
        let healthy = sh("test -f /tmp/healthy && cat /tmp/healthy");
        assert_eq!(ex(&healthy, &mut p).output, "", "test fails: cat does not run");
        assert_eq!(ex(&healthy, &mut p).code, 1);
        let or = sh("test -f /tmp/healthy && exit 0 || exit 1");
        assert_eq!(ex(&or, &mut p).code, 1);
        ex(&cmd("touch /tmp/healthy"), &mut p);
        assert_eq!(ex(&healthy, &mut p).code, 0);
        assert_eq!(ex(&or, &mut p).code, 0);
        // A redirection, then cat in the same command; the file stays.
        let r = exec(
            &["/bin/sh".into(), "-c".into(), "echo ok > /tmp/x; cat /tmp/x".into()],
            &mut p,
            None,
            SimTime::ZERO,
            FOREVER,
            &[],
        );
        assert_eq!((r.code, r.output.as_str(), r.changed), (0, "ok", true));
        assert!(p.files.contains("/tmp/x"));
        // `;` runs on after a failure; the last status is the exit code.
        let r = ex(&sh("cat /nope; echo after; false"), &mut p);
        assert_eq!((r.code, r.output.as_str()), (1, "cat: /nope: No such file or directory\nafter"));
        assert_eq!(ex(&sh("cat /nope 2>/dev/null; true"), &mut p).output, "");
        p.hostname = "web-0".into();
        assert_eq!(ex(&cmd("hostname"), &mut p).output, "web-0");
    }

    #[test]
    fn exec_sleeps_add_up_and_are_cut_off_at_the_limit() {
        let mut p = Proc::default();
        let s = SimDuration::from_secs;
        let r = ex(&sh("sleep 2; date; sleep 3; touch /late"), &mut p);
        assert_eq!((r.duration, r.code, r.output.as_str()), (s(5), 0, "Thu Jan  1 00:00:02 UTC 1970"));
        assert!(p.files.remove("/late"));
        // The clock `date` reads moves with the sleeps.
        let r = exec(&sh("sleep 2; date"), &mut p, None, SimTime::from_secs(10), FOREVER, &[]);
        assert_eq!(r.output, "Thu Jan  1 00:00:12 UTC 1970");
        // Past the limit the command is stopped: its later writes never happen.
        let r = exec(&sh("sleep 2; sleep 3; touch /late"), &mut p, None, SimTime::ZERO, s(4), &[]);
        assert!(r.duration > s(4) && !r.changed && !p.files.contains("/late"));
        // Exactly the limit is within it.
        assert_eq!(exec(&cmd("sleep 4"), &mut p, None, SimTime::ZERO, s(4), &[]).duration, s(4));
        // Never returning: forever, whatever the limit.
        assert_eq!(ex(&cmd("sleep infinity"), &mut p).duration, FOREVER);
        assert_eq!(ex(&sh("while true; do sleep 1; done"), &mut p).duration, FOREVER);
        assert_eq!(ex(&sh("while true; do test -e /never && sleep 1; done"), &mut p).duration, FOREVER);
    }

    #[test]
    fn unknown_commands_exit_with_the_image_default() {
        let mut p = Proc::default();
        let img = ImageBehavior { exec_default: 7, ..Default::default() };
        for c in [cmd("curl localhost"), sh("curl -f localhost || exit 1"), sh("cat /x | grep y"), sh("echo $HOME")] {
            let r = exec(&c, &mut p, Some(&img), SimTime::ZERO, FOREVER, &[]);
            assert!(r.unknown && r.code == 7 && r.output.is_empty() && !r.changed, "{:?}: {:?}", c, r);
        }
        assert!(!ex(&cmd("true"), &mut p).unknown);
    }

    #[test]
    fn exec_probe_timeouts_and_failures() {
        let c = container();
        let mut p = Proc::default();
        let probe = |command: Vec<String>, p: &mut Proc| {
            let h = Handler::Exec { command };
            run_probe(&h, SimDuration::from_secs(1), &c, None, p, "10.0.0.1", secs(0))
        };
        let slow = probe(sh("sleep 2; exit 0"), &mut p);
        assert!(!slow.ok && slow.after == SimDuration::from_secs(1));
        assert_eq!(slow.message, "command \"sh -c sleep 2; exit 0\" timed out");
        let never = probe(cmd("sleep infinity"), &mut p);
        assert!(!never.ok && never.after == SimDuration::from_secs(1) && never.message.contains("timed out"));
        let missing = probe(sh("test -f /tmp/healthy && cat /tmp/healthy"), &mut p);
        assert!(!missing.ok && missing.message.is_empty());
        let cat = probe(cmd("cat /tmp/healthy"), &mut p);
        assert_eq!(cat.message, "cat: /tmp/healthy: No such file or directory");
        let write = probe(sh("touch /tmp/healthy; sleep 0.5"), &mut p);
        assert!(write.ok && write.changed && write.after == SimDuration::from_millis(500));
    }

    #[test]
    fn termination_exit_codes_and_timing() {
        let c = container();
        let t0 = secs(100);
        let grace = SimDuration::from_secs(30);
        let mut p = Proc::default();
        let run = |sig: Sigterm, pre: Option<Handler>, hung: bool, p: &mut Proc| {
            let img = ImageBehavior { sigterm: sig, ..Default::default() };
            p.hung = hung;
            termination(t0, grace, pre.as_ref(), &c, Some(&img), p, "10.0.0.1")
        };
        assert_eq!(
            run(Sigterm::Exit, None, false, &mut p),
            Termination { sigterm_at: t0, exit_at: t0, exit_code: 143 }
        );
        assert_eq!(
            run(Sigterm::Ignore, None, false, &mut p),
            Termination { sigterm_at: t0, exit_at: secs(130), exit_code: 137 }
        );
        let after = Sigterm::ExitAfter(SimDuration::from_secs(5));
        assert_eq!(run(after, None, false, &mut p), Termination { sigterm_at: t0, exit_at: secs(105), exit_code: 0 });
        assert_eq!(run(after, None, true, &mut p).exit_code, 137, "a hung handler never runs");
        // preStop is charged to the grace; SIGKILL never sooner than 2 s after SIGTERM.
        let sleep = |s| Some(Handler::Sleep { seconds: s });
        assert_eq!(
            run(Sigterm::Ignore, sleep(10), false, &mut p),
            Termination { sigterm_at: secs(110), exit_at: secs(130), exit_code: 137 }
        );
        assert_eq!(
            run(Sigterm::Ignore, sleep(29), false, &mut p),
            Termination { sigterm_at: secs(129), exit_at: secs(131), exit_code: 137 }
        );
        assert_eq!(
            run(Sigterm::Ignore, sleep(60), false, &mut p),
            Termination { sigterm_at: secs(130), exit_at: secs(132), exit_code: 137 }
        );
        // An exec hook's sleeps are charged the same way; one that never
        // returns outlasts the grace.
        let hook = |script: &str| Some(Handler::Exec { command: vec!["sh".into(), "-c".into(), script.into()] });
        assert_eq!(
            run(Sigterm::Ignore, hook("sleep 5; touch /drained; sleep 5"), false, &mut p),
            Termination { sigterm_at: secs(110), exit_at: secs(130), exit_code: 137 }
        );
        assert!(p.files.contains("/drained"));
        assert_eq!(
            run(Sigterm::Ignore, hook("sleep infinity"), false, &mut p),
            Termination { sigterm_at: secs(130), exit_at: secs(132), exit_code: 137 }
        );
    }
}
