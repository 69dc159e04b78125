//! `kubectl` command lines in a scenario's timeline, parsed into actions:
//! `run`, `create -f`, `create namespace`, `apply -f`, `delete` (`-l`,
//! `--all`, `delete all`), `scale`, `label` / `annotate` (by name, `-l`,
//! `--all`), `exec`, `cordon`, `uncordon`, `drain`.

#![warn(missing_docs)]

use super::action::{Action, ContainerOp, DeploymentChange, PodTarget};
use crate::objects::meta::ObjectMeta;
use crate::objects::pod::{
    Container, ContainerPort, Pod, PodSpec, PodStatus, PullPolicy, RestartPolicy, Taint, TaintEffect,
};
use crate::objects::store::Propagation;
use crate::objects::{Kind, Object};
use std::collections::BTreeMap;
use std::rc::Rc;

/// A parsed command: an action, or a file to load first (`-f`).
#[derive(Debug)]
pub enum Parsed {
    /// A command that is one action.
    Action(Action),
    /// `kubectl apply -f` / `create -f`: the manifests of a file.
    File {
        /// The file, as given (resolved against the scenario's directory).
        path: String,
        /// `create` (an existing object is an error) rather than `apply`.
        create: bool,
        /// `-n`, the namespace for manifests that name none.
        namespace: Option<String>,
    },
}

/// Splits a command line like a shell: whitespace, with '…' and "…" quoting.
pub fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                has = true;
            }
            (None, c) if c.is_whitespace() => {
                if has || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if has || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

struct Args {
    positional: Vec<String>,
    flags: BTreeMap<String, String>,
}

/// Flags that take a value when written `--flag value`.
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-l",
    "--selector",
    "--replicas",
    "--grace-period",
    "--target-port",
    "--protocol",
    "--type",
    "--name",
    "--image",
    "--port",
    "--labels",
    "--restart",
    "-f",
    "--filename",
    "--cascade",
    "--image-pull-policy",
    "--to-revision",
    "-c",
    "--container",
    "--schedule",
    "--from",
];

fn parse_args(tokens: &[String]) -> Result<Args, String> {
    let mut a = Args { positional: Vec::new(), flags: BTreeMap::new() };
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t == "--" {
            a.positional.extend(tokens[i + 1..].iter().cloned());
            break;
        }
        if t == "-it" || t == "-ti" {
            a.flags.insert("--stdin".into(), "true".into());
            i += 1;
            continue;
        }
        if t.starts_with('-') && t.len() > 1 && !t.starts_with("--") && t.len() > 2 && t.as_bytes()[2] != b'=' {
            // -nfoo is not supported; keep it simple and explicit.
            return Err(format!("unsupported flag form `{}`; write `{} {}`", t, &t[..2], &t[2..]));
        }
        if t.starts_with('-') && t.len() > 1 {
            let (name, value) = match t.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None if VALUE_FLAGS.contains(&t.as_str()) => {
                    i += 1;
                    let v = tokens.get(i).ok_or_else(|| format!("flag {} needs a value", t))?;
                    (t.clone(), v.clone())
                }
                None => (t.clone(), "true".to_string()),
            };
            let canonical = match name.as_str() {
                "-c" => "--container",
                "-i" => "--stdin",
                "-t" => "--tty",
                "-n" => "--namespace",
                "-l" => "--selector",
                "-f" => "--filename",
                other => other,
            };
            a.flags.insert(canonical.to_string(), value);
        } else {
            a.positional.push(t.clone());
        }
        i += 1;
    }
    Ok(a)
}

impl Args {
    fn take(&mut self, flag: &str) -> Option<String> {
        self.flags.remove(flag)
    }
    fn finish(&self, verb: &str) -> Result<(), String> {
        match self.flags.keys().next() {
            Some(f) => Err(format!("unknown or unsupported flag {} for `kubectl {}`", f, verb)),
            None => Ok(()),
        }
    }
}

/// `reference.ReferenceRegexp` (`github.com/distribution/reference`,
/// `regexp.go`): `[domain[:port]/]path[:tag][@digest]`, path components
/// lowercase alphanumerics joined by `.`, `_`, `__` or dashes.
fn is_image_reference(s: &str) -> bool {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let Some((algo, hex)) = d.split_once(':') else { return false };
        let algo_ok = algo.starts_with(|c: char| c.is_ascii_alphabetic())
            && algo.chars().all(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c));
        if !algo_ok || hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return false;
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let domain = parts.remove(0);
        let (host, port) = domain.split_once(':').unwrap_or((domain, ""));
        let host_ok = !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !host_ok || (domain.contains(':') && (port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()))) {
            return false;
        }
    }
    let component = |c: &str| {
        let b = c.as_bytes();
        let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
        !b.is_empty()
            && alnum(b[0])
            && alnum(b[b.len() - 1])
            && b.iter().all(|&x| alnum(x) || matches!(x, b'.' | b'_' | b'-'))
            && !c.contains("..")
            && !c.contains("___")
            && !c.contains("._")
            && !c.contains("_.")
    };
    !parts.is_empty() && parts.iter().all(|c| component(c)) && name.len() <= 255
}

/// Splits `rc/kubia` or (`rc`, `kubia`) into a kind and names; only the
/// kinds with their own maps in the store (see `typed_kind_and_names`).
/// The Deployment `kubectl create deployment NAME --image=IMAGE` makes
/// (`createDeployment`): labels and selector `app=NAME`, one container
/// named after the image (its last path segment without tag or digest,
/// `_` made `-`), `--replicas` (1), `--port` as its container port.
fn create_deployment(
    name: &str,
    namespace: &str,
    image: &str,
    replicas: i32,
    port: Option<u16>,
) -> crate::kinds::deployment::Deployment {
    use crate::kinds::deployment::{Deployment, DeploymentSpec, DeploymentStatus};
    use crate::objects::replicaset::PodTemplate;
    let labels: BTreeMap<String, String> = [("app".to_string(), name.to_string())].into_iter().collect();
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split(['@', ':']).next().unwrap_or(base).replace('_', "-");
    let mut container = Container::new(base.as_str(), image, PullPolicy::default_for(image));
    if let Some(p) = port {
        container.ports =
            vec![ContainerPort { name: None, container_port: p, protocol: "TCP".into(), host_port: None }];
    }
    let spec =
        PodSpec { containers: Rc::from([container]), restart_policy: RestartPolicy::Always, ..PodSpec::default() };
    let template =
        PodTemplate { labels: Rc::new(labels.clone()), annotations: Default::default(), spec: Rc::new(spec) };
    Deployment {
        meta: ObjectMeta {
            name: name.into(),
            namespace: namespace.into(),
            labels: Rc::new(labels.clone()),
            ..Default::default()
        },
        spec: DeploymentSpec::new(replicas, crate::objects::selector::Selector::from_map(&labels), template),
        status: DeploymentStatus::default(),
    }
}

/// The pod template `kubectl create job|cronjob` builds: one container
/// named after the object, running `command`.
fn batch_template(
    name: &str,
    image: &str,
    restart: RestartPolicy,
    command: Vec<String>,
) -> crate::objects::replicaset::PodTemplate {
    let container = Container { command, ..Container::new(name, image, PullPolicy::default_for(image)) };
    let spec = PodSpec { containers: Rc::from([container]), restart_policy: restart, ..PodSpec::default() };
    crate::objects::replicaset::PodTemplate {
        labels: Default::default(),
        annotations: Default::default(),
        spec: Rc::new(spec),
    }
}

/// `kubectl create job NAME --image=IMAGE [-- COMMAND…]` (`createJob`):
/// restartPolicy Never, the selector generated by the apiserver.
fn create_job(name: &str, namespace: &str, image: &str, command: Vec<String>) -> crate::kinds::job::Job {
    use crate::kinds::job::{Job, JobSpec};
    Job {
        meta: ObjectMeta { name: name.into(), namespace: namespace.into(), ..Default::default() },
        spec: JobSpec::new(batch_template(name, image, RestartPolicy::Never, command)),
        status: Default::default(),
    }
}

/// `kubectl create cronjob NAME --image=IMAGE --schedule=SCHEDULE
/// [--restart=OnFailure|Never] [-- COMMAND…]` (`createCronJob`).
fn create_cronjob(
    name: &str,
    namespace: &str,
    image: &str,
    schedule: &str,
    restart: RestartPolicy,
    command: Vec<String>,
) -> crate::kinds::cronjob::CronJob {
    use crate::kinds::cronjob::{ConcurrencyPolicy, CronJob, CronJobSpec, JobTemplate};
    let job = create_job(name, namespace, image, command);
    let mut spec = job.spec;
    spec.template = Rc::new(batch_template(name, image, restart, spec.template.spec.containers[0].command.clone()));
    CronJob {
        meta: ObjectMeta { name: name.into(), namespace: namespace.into(), ..Default::default() },
        spec: CronJobSpec {
            schedule: schedule.to_string(),
            time_zone: None,
            starting_deadline_seconds: None,
            concurrency_policy: ConcurrencyPolicy::Allow,
            suspend: false,
            successful_jobs_history_limit: 3,
            failed_jobs_history_limit: 1,
            job_template: Rc::new(JobTemplate { labels: Default::default(), annotations: Default::default(), spec }),
        },
        status: Default::default(),
    }
}

/// `kubectl scale`'s `--replicas=COUNT`.
fn replicas_flag(a: &mut Args) -> Result<i32, String> {
    let replicas: i32 = a
        .take("--replicas")
        .ok_or("--replicas=COUNT is required")?
        .parse()
        .map_err(|_| "--replicas must be an integer".to_string())?;
    if replicas < 0 {
        return Err("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into());
    }
    Ok(replicas)
}

/// Whether a command's resource argument (`deploy`, `deployment/web`, …)
/// names Deployments.
fn is_deployment(first: Option<&String>) -> bool {
    is_kind(first, "Deployment")
}

/// Whether a command's resource argument (`ds`, `daemonset/agent`, …)
/// names the typed kind `kind`.
fn is_kind(first: Option<&String>, kind: &str) -> bool {
    let Some(first) = first else { return false };
    let k = first.split_once('/').map_or(first.as_str(), |(k, _)| k);
    matches!(Kind::resolve_cli(k), Some((_, Some(x))) if x == kind)
}

/// kubectl's error for a taint it cannot parse.
fn invalid_taint(spec: &str, why: &str) -> String {
    format!("invalid taint spec: {}, {}", spec, why)
}

/// A taint key is a qualified name (`validation.IsQualifiedName`): an
/// optional DNS-subdomain prefix and `/`, then up to 63 characters.
fn taint_key(key: &str) -> Result<(), String> {
    let name = key.rsplit_once('/').map_or(key, |(_, n)| n);
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ends = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
    };
    if name.is_empty() || name.len() > 63 || !name.chars().all(ok) || !ends(name) {
        return Err(format!("the key {:?} is not a qualified name", key));
    }
    Ok(())
}

fn kind_and_names(pos: &[String]) -> Result<(Kind, Vec<String>), String> {
    match typed_kind_and_names(pos)? {
        ((kind, None), names) => Ok((kind, names)),
        ((_, Some(k)), _) => Err(format!("this verb does not support {} yet", k)),
    }
}

/// A kind as kubectl names it: the enum's, or a typed kind of the
/// generic store (`Kind::Other` and its name).
type KindRef = (Kind, Option<&'static str>);

/// `kind_and_names`, the typed kinds of the generic store included
/// (`Kind::resolve_cli`).
fn typed_kind_and_names(pos: &[String]) -> Result<(KindRef, Vec<String>), String> {
    let first = pos.first().ok_or("a resource type is required")?;
    let resolve =
        |k: &str| Kind::resolve_cli(k).ok_or_else(|| format!("the server doesn't have a resource type \"{}\"", k));
    if let Some((k, n)) = first.split_once('/') {
        let kind = resolve(k)?;
        let mut names = vec![n.to_string()];
        for p in &pos[1..] {
            let (k2, n2) = p.split_once('/').ok_or("mixing TYPE/NAME and NAME forms is not supported")?;
            if Kind::resolve_cli(k2) != Some(kind) {
                return Err("one resource type at a time, please".into());
            }
            names.push(n2.to_string());
        }
        return Ok((kind, names));
    }
    Ok((resolve(first)?, pos[1..].to_vec()))
}

/// Parses one kubectl command line (`kubectl` optional), or says what is
/// wrong with it as kubectl would.
pub fn parse(line: &str) -> Result<Parsed, String> {
    let mut tokens = tokenize(line)?;
    if tokens.first().map(String::as_str) == Some("kubectl") {
        tokens.remove(0);
    }
    let verb = tokens.first().cloned().ok_or("empty kubectl command")?;
    let mut a = parse_args(&tokens[1..])?;
    let ns = a.take("--namespace").unwrap_or_else(|| "default".into());
    let action = match verb.as_str() {
        "expose" => {
            let ((kind, typed), names) = typed_kind_and_names(&a.positional)?;
            let service = typed == Some("Service");
            if !service && !matches!(kind, Kind::Pod | Kind::ReplicationController | Kind::ReplicaSet) {
                return Err(format!("cannot expose a {}", typed.unwrap_or(kind.as_str())));
            }
            let [name] = names.as_slice() else { return Err("expose takes exactly one name".into()) };
            let port = match a.take("--port") {
                Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or("--port must be between 1 and 65535")?),
                None => None,
            };
            let target_port = a.take("--target-port");
            let protocol = a.take("--protocol").unwrap_or_else(|| "TCP".into());
            let type_ = a.take("--type").unwrap_or_else(|| "ClusterIP".into());
            if !["ClusterIP", "NodePort", "LoadBalancer"].contains(&type_.as_str()) {
                return Err(format!("invalid --type {:?}: ClusterIP, NodePort or LoadBalancer", type_));
            }
            let service_name = a.take("--name");
            a.finish(&verb)?;
            Action::Expose {
                kind,
                service,
                namespace: ns,
                name: name.clone(),
                service_name,
                port,
                target_port,
                protocol,
                type_,
            }
        }
        "scale" if is_deployment(a.positional.first()) => {
            let (_, names) = typed_kind_and_names(&a.positional)?;
            let [name] = names.as_slice() else { return Err("scale takes exactly one name".into()) };
            let replicas = replicas_flag(&mut a)?;
            a.finish(&verb)?;
            Action::Deployment { namespace: ns, name: name.clone(), change: DeploymentChange::Scale(replicas) }
        }
        "set" => {
            a.finish(&verb)?;
            let Some((sub, rest)) = a.positional.split_first() else {
                return Err("`kubectl set` needs a subcommand (image)".into());
            };
            if sub != "image" {
                return Err(format!("`kubectl set {}` is not supported (only set image)", sub));
            }
            let (pairs, objects): (Vec<String>, Vec<String>) = rest.iter().cloned().partition(|p| p.contains('='));
            let daemon_set = is_kind(objects.first(), "DaemonSet");
            if !is_deployment(objects.first()) && !daemon_set {
                return Err("set image: only deployments and daemonsets are supported".into());
            }
            let (_, names) = typed_kind_and_names(&objects)?;
            let [name] = names.as_slice() else { return Err("set image takes exactly one object".into()) };
            if pairs.is_empty() {
                return Err("at least one image update is required".into());
            }
            let images = pairs
                .iter()
                .map(|p| {
                    let (c, i) = p.split_once('=').expect("partitioned on '='");
                    (c.to_string(), i.to_string())
                })
                .collect();
            let change = DeploymentChange::SetImage(images);
            if daemon_set {
                Action::DaemonSet { namespace: ns, name: name.clone(), change }
            } else {
                Action::Deployment { namespace: ns, name: name.clone(), change }
            }
        }
        "rollout" => {
            let to_revision = match a.take("--to-revision") {
                Some(v) => Some(v.parse::<i64>().ok().filter(|r| *r >= 0).ok_or("--to-revision must be a revision number")?),
                None => None,
            };
            a.finish(&verb)?;
            let Some((sub, rest)) = a.positional.split_first() else {
                return Err("`kubectl rollout` needs a subcommand (pause, resume, restart, undo)".into());
            };
            if is_kind(rest.first(), "DaemonSet") {
                let (_, names) = typed_kind_and_names(rest)?;
                let [name] = names.as_slice() else { return Err(format!("rollout {} takes exactly one daemonset", sub)) };
                if sub != "restart" {
                    return Err(format!(
                        "rollout {} daemonset: not simulated (kubesim stores no ControllerRevisions; restart is)",
                        sub
                    ));
                }
                return Ok(Parsed::Action(Action::DaemonSet {
                    namespace: ns,
                    name: name.clone(),
                    change: DeploymentChange::Restart,
                }));
            }
            if !is_deployment(rest.first()) {
                return Err(format!("rollout {}: only deployments and daemonsets are supported", sub));
            }
            let (_, names) = typed_kind_and_names(rest)?;
            let [name] = names.as_slice() else { return Err(format!("rollout {} takes exactly one deployment", sub)) };
            let change = match sub.as_str() {
                "pause" => DeploymentChange::Pause,
                "resume" => DeploymentChange::Resume,
                "restart" => DeploymentChange::Restart,
                "undo" => DeploymentChange::Undo(to_revision.filter(|r| *r > 0)),
                "status" | "history" => {
                    return Err(format!(
                        "rollout {} reads: run `kubesim rollout {} deployment/NAME --at T SCENARIO`",
                        sub, sub
                    ))
                }
                other => return Err(format!("unknown rollout subcommand {:?}", other)),
            };
            if to_revision.is_some() && !matches!(change, DeploymentChange::Undo(_)) {
                return Err("--to-revision is a flag of rollout undo".into());
            }
            Action::Deployment { namespace: ns, name: name.clone(), change }
        }
        "scale" => {
            let (kind, names) = kind_and_names(&a.positional)?;
            if !matches!(kind, Kind::ReplicationController | Kind::ReplicaSet) {
                return Err(format!("cannot scale {}", kind.as_str()));
            }
            let [name] = names.as_slice() else { return Err("scale takes exactly one name".into()) };
            let replicas = replicas_flag(&mut a)?;
            a.finish(&verb)?;
            Action::Scale { kind, namespace: ns, name: name.clone(), replicas }
        }
        "label" | "annotate" => {
            let overwrite = a.take("--overwrite").is_some_and(|v| v != "false");
            let all = a.take("--all").is_some_and(|v| v != "false");
            let selector = a.take("--selector");
            a.finish(&verb)?;
            // `kubectl label TYPE NAME... KEY=VAL... KEY-...`: what has `=`
            // or ends in `-` is an update, the rest names the objects.
            let (pairs, objects): (Vec<String>, Vec<String>) =
                a.positional.iter().cloned().partition(|p| p.contains('=') || p.ends_with('-'));
            let (kind, names) = kind_and_names(&objects)?;
            let selector = match (all, selector) {
                (true, Some(_)) => return Err("cannot set --all and --selector at the same time".into()),
                (true, None) => Some(String::new()),
                (false, s) => s,
            };
            if let Some(s) = &selector {
                crate::objects::selector::Selector::parse(s)?;
            }
            let name = match (names.as_slice(), &selector) {
                ([], Some(_)) => String::new(),
                (_, Some(_)) => return Err("name cannot be provided when a selector is specified".into()),
                ([n], None) => n.clone(),
                ([], None) => return Err("resource(s) were provided, but no name was specified".into()),
                (_, None) => return Err(format!("{} one name per timeline entry (or -l SELECTOR)", verb)),
            };
            let mut set = Vec::new();
            let mut remove = Vec::new();
            for p in &pairs {
                if let Some((k, v)) = p.split_once('=') {
                    set.push((k.to_string(), v.to_string()));
                } else if let Some(k) = p.strip_suffix('-') {
                    remove.push(k.to_string());
                }
            }
            if set.is_empty() && remove.is_empty() {
                return Err(format!("at least one {} update is required", verb));
            }
            let annotate = verb == "annotate";
            Action::Label { kind, namespace: ns, name, selector, set, remove, overwrite, annotate }
        }
        "delete" => {
            let selector = a.take("--selector");
            let force = a.take("--force").is_some_and(|v| v != "false");
            let now = a.take("--now").is_some_and(|v| v != "false");
            let grace = match a.take("--grace-period") {
                Some(g) => {
                    let v: i64 = g.parse().map_err(|_| "--grace-period must be an integer".to_string())?;
                    // Negative means "use the pod's default"; 0 with --force
                    // is an immediate removal.
                    if v < 0 {
                        None
                    } else if v == 0 && !force {
                        Some(1)
                    } else {
                        Some(v as u64)
                    }
                }
                None if force => Some(0),
                None if now => Some(1),
                None => None,
            };
            let propagation = match a.take("--cascade").as_deref() {
                None | Some("background") | Some("true") => Propagation::Background,
                Some("foreground") => Propagation::Foreground,
                Some("orphan") | Some("false") => Propagation::Orphan,
                Some(o) => return Err(format!("invalid --cascade value `{}`", o)),
            };
            let all = a.take("--all").is_some_and(|v| v != "false");
            a.finish(&verb)?;
            let selector = match (all, selector) {
                (true, Some(_)) => return Err("cannot set --all and --selector at the same time".into()),
                (true, None) => Some(String::new()),
                (false, s) => s,
            };
            if let Some(s) = &selector {
                crate::objects::selector::Selector::parse(s)?;
            }
            // `delete all`: kubectl's `all` category.
            if a.positional.first().map(String::as_str) == Some("all") {
                let Some(selector) = selector else {
                    return Err("resource(s) were provided, but no name was specified".into());
                };
                if a.positional.len() > 1 {
                    return Err("`delete all` takes --all or -l SELECTOR, not names".into());
                }
                return Ok(Parsed::Action(Action::DeleteAll { namespace: ns, selector, grace_seconds: grace, propagation }));
            }
            let ((kind, typed), names) = typed_kind_and_names(&a.positional)?;
            if names.is_empty() && selector.is_none() {
                return Err("resource(s) were provided, but no name was specified".into());
            }
            if !names.is_empty() && selector.is_some() {
                return Err("name cannot be provided when a selector is specified".into());
            }
            if names.len() > 1 {
                return Err("delete one name per timeline entry".into());
            }
            Action::Delete {
                kind,
                typed,
                namespace: ns,
                name: names.first().cloned(),
                selector,
                grace_seconds: grace,
                propagation,
            }
        }
        "run" => {
            // kubectl's `RunOptions.Validate`: an empty or malformed image
            // is refused before anything is sent.
            let image = a.take("--image").filter(|i| !i.is_empty()).ok_or("--image is required")?;
            if !is_image_reference(&image) {
                return Err(format!("invalid image name \"{}\": invalid reference format", image));
            }
            let port = a.take("--port");
            let labels = a.take("--labels");
            let restart = a.take("--restart");
            let pull = a.take("--image-pull-policy");
            a.finish(&verb)?;
            let [name] = a.positional.as_slice() else { return Err("run takes exactly one NAME".into()) };
            let mut lab = BTreeMap::new();
            match labels {
                Some(l) => {
                    for kv in l.split(',') {
                        let (k, v) = kv.split_once('=').ok_or_else(|| format!("invalid label `{}`", kv))?;
                        lab.insert(k.to_string(), v.to_string());
                    }
                }
                None => {
                    lab.insert("run".into(), name.clone());
                }
            }
            let restart_policy = match restart.as_deref() {
                None | Some("Always") => RestartPolicy::Always,
                Some("OnFailure") => RestartPolicy::OnFailure,
                Some("Never") => RestartPolicy::Never,
                Some(o) => return Err(format!("invalid --restart `{}`", o)),
            };
            let image_pull_policy = match pull.as_deref() {
                None => PullPolicy::default_for(&image),
                Some("Always") => PullPolicy::Always,
                Some("IfNotPresent") => PullPolicy::IfNotPresent,
                Some("Never") => PullPolicy::Never,
                Some(o) => return Err(format!("invalid --image-pull-policy `{}`", o)),
            };
            let ports = match port {
                Some(p) => vec![ContainerPort {
                    name: None,
                    container_port: p.parse().map_err(|_| format!("invalid --port `{}`", p))?,
                    protocol: "TCP".into(),
                    host_port: None,
                }],
                None => vec![],
            };
            let pod = Pod {
                meta: ObjectMeta { name: name.as_str().into(), namespace: ns.as_str().into(), labels: Rc::new(lab), ..Default::default() },
                spec: Rc::new(PodSpec {
                    containers: Rc::from([Container { ports, ..Container::new(name.as_str(), image.as_str(), image_pull_policy) }]),
                    restart_policy,
                    ..PodSpec::default()
                }),
                status: PodStatus::initial(),
            };
            Action::Create(vec![Object::Pod(Rc::new(pod))])
        }
        "create" if matches!(a.positional.first().map(String::as_str), Some("deployment" | "deploy")) => {
            let image = a.take("--image").ok_or("required flag(s) \"image\" not set")?;
            let replicas = match a.take("--replicas") {
                Some(r) => r.parse::<i32>().ok().filter(|r| *r >= 0).ok_or("--replicas must be a non-negative integer")?,
                None => 1,
            };
            let port = match a.take("--port") {
                Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0).ok_or("--port must be between 1 and 65535")?),
                None => None,
            };
            a.finish(&verb)?;
            let [_, name] = a.positional.as_slice() else {
                return Err("exactly one NAME is required, got ".to_string() + &(a.positional.len() - 1).to_string());
            };
            Action::Create(vec![Object::Typed(Rc::new(create_deployment(name, &ns, &image, replicas, port)))])
        }
        "create" if matches!(a.positional.first().map(String::as_str), Some("job")) => {
            let image = a.take("--image");
            let from = a.take("--from");
            a.finish(&verb)?;
            let (name, command) = match a.positional.as_slice() {
                [_, name, command @ ..] => (name.clone(), command.to_vec()),
                _ => return Err("NAME is required".into()),
            };
            match (image, from) {
                (Some(image), None) => {
                    Action::Create(vec![Object::Typed(Rc::new(create_job(&name, &ns, &image, command)))])
                }
                (None, Some(from)) => {
                    if !command.is_empty() {
                        return Err("cannot specify --from and command".into());
                    }
                    let cronjob = match from.split_once('/') {
                        Some(("cronjob" | "cronjobs" | "cj" | "cronjob.batch" | "cronjobs.batch", n)) => n.to_string(),
                        _ => return Err(format!("from must be an existing cronjob: {}", from)),
                    };
                    Action::CreateJobFrom { namespace: ns.clone(), name, cronjob }
                }
                _ => return Err("either --image or --from must be specified".into()),
            }
        }
        "create" if matches!(a.positional.first().map(String::as_str), Some("cronjob" | "cj")) => {
            let image = a.take("--image").ok_or("required flag(s) \"image\" not set")?;
            let schedule = a.take("--schedule").ok_or("required flag(s) \"schedule\" not set")?;
            let restart = match a.take("--restart").as_deref() {
                None | Some("OnFailure") => RestartPolicy::OnFailure,
                Some("Never") => RestartPolicy::Never,
                Some(o) => return Err(format!("restart policy must be one of OnFailure, Never, not {:?}", o)),
            };
            a.finish(&verb)?;
            let (name, command) = match a.positional.as_slice() {
                [_, name, command @ ..] => (name.clone(), command.to_vec()),
                _ => return Err("NAME is required".into()),
            };
            let cj = create_cronjob(&name, &ns, &image, &schedule, restart, command);
            Action::Create(vec![Object::Typed(Rc::new(cj))])
        }
        "create" if matches!(a.positional.first().map(String::as_str), Some("namespace" | "ns")) => {
            a.finish(&verb)?;
            let [_, name] = a.positional.as_slice() else {
                return Err("exactly one NAME is required, got ".to_string() + &(a.positional.len() - 1).to_string());
            };
            let meta = ObjectMeta { name: name.as_str().into(), ..Default::default() };
            Action::Create(vec![Object::Namespace(Rc::new(crate::objects::Namespace { meta }))])
        }
        "apply" | "create" => {
            let file = a.take("--filename").ok_or_else(|| format!("`kubectl {}` needs -f FILE", verb))?;
            a.finish(&verb)?;
            if !a.positional.is_empty() {
                return Err(format!("`kubectl {} {}` is not supported; use -f FILE", verb, a.positional.join(" ")));
            }
            return Ok(Parsed::File { path: file, create: verb == "create", namespace: Some(ns) });
        }
        "drain" => {
            let force = a.take("--force").is_some_and(|v| v != "false");
            // No DaemonSets or emptyDir volumes are simulated: these flags
            // are accepted and change nothing.
            a.take("--ignore-daemonsets");
            a.take("--delete-emptydir-data");
            let grace = match a.take("--grace-period") {
                Some(g) => {
                    let v: i64 = g.parse().map_err(|_| "--grace-period must be an integer".to_string())?;
                    (v >= 0).then_some(v as u64)
                }
                None => None,
            };
            a.finish(&verb)?;
            let [node] = a.positional.as_slice() else { return Err("drain takes exactly one NODE".into()) };
            Action::Drain { node: node.clone(), force, grace_seconds: grace }
        }
        "exec" => {
            let container = a.take("--container");
            a.take("--stdin");
            a.take("--tty");
            a.finish(&verb)?;
            let (pod, command) = match a.positional.split_first() {
                Some((pod, rest)) if !rest.is_empty() => (pod.clone(), rest.to_vec()),
                _ => return Err("usage: kubectl exec POD [-c CONTAINER] -- COMMAND [args...]".into()),
            };
            let pod = pod.strip_prefix("pod/").unwrap_or(&pod).to_string();
            Action::Container {
                target: PodTarget { namespace: ns, name: Some(pod), selector: None, index: 0, container },
                op: ContainerOp::Exec { command },
            }
        }
        "taint" => {
            let overwrite = a.take("--overwrite").is_some_and(|v| v != "false");
            a.finish(&verb)?;
            // `kubectl taint TYPE NAME... SPEC...`: a spec has `:` or ends
            // in `-` (`pkg/cmd/taint`'s `parseTaints`).
            let (specs, objects): (Vec<String>, Vec<String>) =
                a.positional.iter().cloned().partition(|p| p.contains(':') || p.ends_with('-'));
            let (kind, nodes) = kind_and_names(&objects)?;
            if kind != Kind::Node {
                return Err(format!("taint applies to nodes, not {}", kind.as_str()));
            }
            if nodes.is_empty() {
                return Err("at least one node name is required".into());
            }
            if specs.is_empty() {
                return Err("at least one taint update is required".into());
            }
            let (mut add, mut remove) = (Vec::new(), Vec::new());
            for spec in &specs {
                if let Some(r) = spec.strip_suffix('-') {
                    let (key, effect) = match r.split_once(':') {
                        Some((k, e)) => {
                            (k, Some(TaintEffect::parse(e).ok_or_else(|| invalid_taint(spec, "invalid effect"))?))
                        }
                        None => (r, None),
                    };
                    taint_key(key).map_err(|why| invalid_taint(spec, &why))?;
                    remove.push((key.to_string(), effect));
                    continue;
                }
                let (kv, effect) = spec.split_once(':').ok_or_else(|| invalid_taint(spec, "no effect"))?;
                let effect = TaintEffect::parse(effect).ok_or_else(|| {
                    invalid_taint(spec, "the effect must be NoSchedule, PreferNoSchedule or NoExecute")
                })?;
                let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
                taint_key(key).map_err(|why| invalid_taint(spec, &why))?;
                if add.iter().any(|t: &Taint| t.key == key && t.effect == effect) {
                    return Err(format!("invalid taint spec: {}, duplicated taints with the same key and effect", spec));
                }
                add.push(Taint { key: key.into(), value: value.into(), effect, time_added: None });
            }
            Action::Taint { nodes, add, remove, overwrite }
        }
        "cordon" | "uncordon" => {
            a.finish(&verb)?;
            let [node] = a.positional.as_slice() else { return Err(format!("{} takes exactly one NODE", verb)) };
            Action::Cordon { node: node.clone(), unschedulable: verb == "cordon" }
        }
        other => return Err(format!("`kubectl {}` is not supported in a timeline (supported: run, create, apply, delete, scale, label, annotate, exec, cordon, uncordon, drain, taint)", other)),
    };
    Ok(Parsed::Action(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(s: &str) -> Action {
        match parse(s).unwrap() {
            Parsed::Action(a) => a,
            p => panic!("{:?}", p),
        }
    }

    /// `kubectl taint`'s forms (`pkg/cmd/taint/taint_test.go`): add with
    /// and without a value, remove by key and effect or by key alone, the
    /// TYPE/NAME form, and the specs it rejects.
    #[test]
    fn taint_forms() {
        let Action::Taint { nodes, add, remove, overwrite } = action(
            "kubectl taint nodes n-1 n-2 dedicated=gpu:NoSchedule out-of-service:NoExecute old:PreferNoSchedule- gone-",
        ) else {
            panic!("a taint")
        };
        assert_eq!(nodes, vec!["n-1", "n-2"]);
        assert!(!overwrite);
        let added: Vec<(&str, &str, TaintEffect)> = add.iter().map(|t| (&*t.key, &*t.value, t.effect)).collect();
        assert_eq!(
            added,
            vec![("dedicated", "gpu", TaintEffect::NoSchedule), ("out-of-service", "", TaintEffect::NoExecute)]
        );
        assert_eq!(remove, vec![("old".to_string(), Some(TaintEffect::PreferNoSchedule)), ("gone".to_string(), None)]);
        let Action::Taint { nodes, overwrite, .. } =
            action("taint node/n-3 node.kubernetes.io/out-of-service=nodeshutdown:NoExecute --overwrite")
        else {
            panic!("a taint")
        };
        assert_eq!((nodes, overwrite), (vec!["n-3".to_string()], true));
        for bad in [
            "taint nodes n-1 k=v:NoRun",
            "taint nodes n-1 k=v",
            "taint nodes n-1",
            "taint pods p k:NoSchedule",
            "taint nodes n-1 a:NoSchedule a=b:NoSchedule",
            "taint nodes n-1 -bad-:NoSchedule",
            "taint nodes n-1 k:NoSchedule --all",
        ] {
            assert!(parse(bad).is_err(), "{} is rejected", bad);
        }
    }

    #[test]
    fn scale_forms() {
        for line in ["scale rc kubia --replicas=5", "kubectl scale rc/kubia --replicas 5"] {
            match action(line) {
                Action::Scale { kind, name, replicas, .. } => {
                    assert_eq!((kind, name.as_str(), replicas), (Kind::ReplicationController, "kubia", 5));
                }
                a => panic!("{:?}", a),
            }
        }
        assert!(parse("scale rc kubia --replicas=-1").is_err());
        assert!(parse("scale pod kubia --replicas=1").is_err());
    }

    #[test]
    fn label_and_delete() {
        match action("label pod kubia-abc app=foo env- --overwrite") {
            Action::Label { set, remove, overwrite, .. } => {
                assert_eq!(set, vec![("app".to_string(), "foo".to_string())]);
                assert_eq!(remove, vec!["env".to_string()]);
                assert!(overwrite);
            }
            a => panic!("{:?}", a),
        }
        match action("delete po -l app=kubia --grace-period=0 --force") {
            Action::Delete { selector, grace_seconds, .. } => {
                assert_eq!(selector.as_deref(), Some("app=kubia"));
                assert_eq!(grace_seconds, Some(0));
            }
            a => panic!("{:?}", a),
        }
        assert!(parse("frobnicate pods").is_err());
        assert!(parse("delete pod").is_err());
        assert!(parse("label pod x 'unterminated").is_err());
    }

    #[test]
    fn run_creates_a_pod_labelled_run() {
        match action("run kubia --image=luksa/kubia --port=8080") {
            Action::Create(objs) => match &objs[0] {
                Object::Pod(p) => {
                    assert_eq!(p.meta.labels.get("run").map(String::as_str), Some("kubia"));
                    assert_eq!(p.spec.containers[0].image_pull_policy, PullPolicy::Always);
                }
                o => panic!("{:?}", o),
            },
            a => panic!("{:?}", a),
        }
    }

    #[test]
    fn run_refuses_empty_and_malformed_images() {
        let err = |s: &str| parse(s).map(|_| ()).unwrap_err();
        assert_eq!(err("run x --image="), "--image is required");
        assert_eq!(err("run x"), "--image is required");
        assert_eq!(err("run x --image=Nginx"), "invalid image name \"Nginx\": invalid reference format");
        for ok in [
            "nginx",
            "nginx:1.25",
            "luksa/kubia",
            "registry.k8s.io/pause:3.9",
            "localhost:5000/a/b:v1",
            "a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(ok), "{}", ok);
        }
        for bad in ["nginx:", ":1", "a//b", "-a", "a:b:c", "a b"] {
            assert!(!is_image_reference(bad), "{}", bad);
        }
    }

    #[test]
    fn create_namespace() {
        for line in ["create namespace custom", "kubectl create ns custom"] {
            match action(line) {
                Action::Create(objs) => match objs.as_slice() {
                    [Object::Namespace(n)] => assert_eq!(&*n.meta.name, "custom"),
                    o => panic!("{:?}", o),
                },
                a => panic!("{:?}", a),
            }
        }
        let err = |s: &str| parse(s).map(|_| ()).unwrap_err();
        assert_eq!(err("create namespace"), "exactly one NAME is required, got 0");
        assert_eq!(err("create namespace a b"), "exactly one NAME is required, got 2");
        assert!(matches!(parse("create -f x.yaml"), Ok(Parsed::File { create: true, .. })));
    }

    #[test]
    fn label_by_selector_or_all() {
        match action("label pods -l app=kubia tier=web env- -n ns1") {
            Action::Label { kind, namespace, selector, set, remove, .. } => {
                assert_eq!((kind, namespace.as_str(), selector.as_deref()), (Kind::Pod, "ns1", Some("app=kubia")));
                assert_eq!(set, vec![("tier".to_string(), "web".to_string())]);
                assert_eq!(remove, vec!["env".to_string()]);
            }
            a => panic!("{:?}", a),
        }
        match action("annotate po --all note=x") {
            Action::Label { selector, annotate, .. } => assert_eq!((selector.as_deref(), annotate), (Some(""), true)),
            a => panic!("{:?}", a),
        }
        // TYPE/NAME with a prefixed key.
        match action("label pod/kubia example.com/tier=web") {
            Action::Label { name, selector, set, .. } => {
                assert_eq!((name.as_str(), selector), ("kubia", None));
                assert_eq!(set, vec![("example.com/tier".to_string(), "web".to_string())]);
            }
            a => panic!("{:?}", a),
        }
        let err = |s: &str| parse(s).map(|_| ()).unwrap_err();
        assert_eq!(err("label pods x -l app=y a=b"), "name cannot be provided when a selector is specified");
        assert_eq!(err("label pods --all -l app=y a=b"), "cannot set --all and --selector at the same time");
        assert_eq!(err("label pods a=b"), "resource(s) were provided, but no name was specified");
        assert!(parse("label pods -l 'app in (' a=b").is_err());
    }

    #[test]
    fn delete_all_forms() {
        match action("delete pods --all -n custom") {
            Action::Delete { kind, namespace, name, selector, .. } => {
                assert_eq!(
                    (kind, namespace.as_str(), name, selector.as_deref()),
                    (Kind::Pod, "custom", None, Some(""))
                );
            }
            a => panic!("{:?}", a),
        }
        match action("delete all --all --grace-period=0 --force") {
            Action::DeleteAll { namespace, selector, grace_seconds, .. } => {
                assert_eq!((namespace.as_str(), selector.as_str(), grace_seconds), ("default", "", Some(0)));
            }
            a => panic!("{:?}", a),
        }
        match action("delete all -l app=kubia") {
            Action::DeleteAll { selector, .. } => assert_eq!(selector, "app=kubia"),
            a => panic!("{:?}", a),
        }
        let err = |s: &str| parse(s).map(|_| ()).unwrap_err();
        assert_eq!(err("delete all"), "resource(s) were provided, but no name was specified");
        assert_eq!(err("delete pods --all -l a=b"), "cannot set --all and --selector at the same time");
        assert_eq!(err("delete pod x -l a=b"), "name cannot be provided when a selector is specified");
        assert_eq!(err("delete pods --al"), "unknown or unsupported flag --al for `kubectl delete`");
    }
}
