//! A container's `env`: the variables its spec gives (`v1.EnvVar`), how
//! the kubelet resolves a `fieldRef` against the pod
//! (`podFieldSelectorRuntimeValue` in `pkg/kubelet/kubelet_pods.go`), and
//! how `kubectl describe pod` prints them (`describeContainerEnvVars`).
//!
//! Values from ConfigMaps, Secrets and resource fields are kept (describe
//! shows them) but not resolved: the loader warns, and `env` in the
//! container leaves them out.

#![warn(missing_docs)]

use super::pod::{Container, Pod};
use crate::sim::trace::{Digest, Digester};
use std::rc::Rc;

/// Where a variable's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvSource {
    /// `value` (empty when neither `value` nor `valueFrom` is given).
    Value(String),
    /// `valueFrom.fieldRef`: a field of the pod (`metadata.name`,
    /// `status.podIP`, …).
    Field {
        /// `apiVersion` (default `v1`).
        api_version: String,
        /// `fieldPath`.
        path: String,
    },
    /// `valueFrom.resourceFieldRef`: a request or limit of a container.
    Resource {
        /// `resource`, e.g. `limits.cpu`.
        resource: String,
        /// `divisor`, as written (`None`: 1).
        divisor: Option<String>,
    },
    /// `valueFrom.configMapKeyRef`.
    ConfigMapKey {
        /// The ConfigMap's name.
        name: String,
        /// The key.
        key: String,
        /// `optional`, when given.
        optional: Option<bool>,
    },
    /// `valueFrom.secretKeyRef`.
    SecretKey {
        /// The Secret's name.
        name: String,
        /// The key.
        key: String,
        /// `optional`, when given.
        optional: Option<bool>,
    },
}

/// One `env` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// `name`.
    pub name: String,
    /// Its value's source.
    pub source: EnvSource,
}

/// The field paths a `fieldRef` may name in a container's env
/// (`validEnvDownwardAPIFieldPathExpressions` in
/// `pkg/apis/core/validation/validation.go`), besides
/// `metadata.labels['…']` and `metadata.annotations['…']`.
pub const FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// `SplitMaybeSubscriptedPath`: `metadata.labels['key']` → (`metadata.labels`,
/// `key`).
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let s = path.strip_suffix("']")?;
    let (head, key) = s.split_once("['")?;
    (!head.is_empty()).then_some((head, key))
}

/// The key of a subscripted path of the map `map`.
fn subscript<'a>(path: &'a str, map: &str) -> Option<&'a str> {
    split_subscript(path).filter(|(h, _)| *h == map).map(|(_, k)| k)
}

/// `validateObjectFieldSelector` for a container's env: the path as the
/// pod stores it (`ConvertDownwardAPIFieldLabel`: `spec.host` is
/// `spec.nodeName`), or the apiserver's message for `fieldPath`.
pub fn validate_field_path(api_version: &str, path: &str) -> Result<String, String> {
    let invalid = |why: String| format!("Invalid value: \"{}\": error converting fieldPath: {}", path, why);
    if api_version != "v1" {
        return Err(invalid(format!("unsupported pod version: {}", api_version)));
    }
    if let Some((head, key)) = split_subscript(path) {
        return match head {
            "metadata.labels" | "metadata.annotations" => {
                let key = if head == "metadata.annotations" { key.to_lowercase() } else { key.to_string() };
                let errs = super::validation::qualified_name(&key);
                if errs.is_empty() {
                    Ok(path.to_string())
                } else {
                    Err(super::validation::invalid(&key, &errs))
                }
            }
            _ => Err(invalid(format!("field label does not support subscript: {}", path))),
        };
    }
    let converted = match path {
        "spec.host" => "spec.nodeName",
        "metadata.annotations" | "metadata.labels" | "spec.restartPolicy" | "spec.schedulerName" | "status.phase" => {
            path
        }
        p if FIELD_PATHS.contains(&p) => p,
        _ => return Err(invalid(format!("field label not supported: {}", path))),
    };
    if !FIELD_PATHS.contains(&converted) {
        let list: Vec<String> = FIELD_PATHS.iter().map(|x| format!("\"{}\"", x)).collect();
        return Err(format!("Unsupported value: \"{}\": supported values: {}", converted, list.join(", ")));
    }
    Ok(converted.to_string())
}

/// The value of a field path for `pod` as the kubelet resolves it when it
/// creates the container (`podFieldSelectorRuntimeValue`: the host and
/// pod IPs are the kubelet's own, which the pod's status reports). `None`
/// for a path not modelled here (`spec.serviceAccountName` is `default`).
pub fn field_value(pod: &Pod, path: &str) -> Option<String> {
    let ip = |v: &Option<Rc<str>>| v.as_deref().unwrap_or("").to_string();
    Some(match path {
        "metadata.name" => pod.meta.name.to_string(),
        "metadata.namespace" => pod.meta.namespace.to_string(),
        "metadata.uid" => pod.meta.uid_string(),
        "spec.nodeName" => pod.spec.node_name.as_deref().unwrap_or("").to_string(),
        "spec.serviceAccountName" => "default".to_string(),
        "status.hostIP" | "status.hostIPs" => ip(&pod.status.host_ip),
        "status.podIP" | "status.podIPs" => ip(&pod.status.pod_ip),
        _ => {
            if let Some(k) = subscript(path, "metadata.labels") {
                pod.meta.labels.get(k).cloned().unwrap_or_default()
            } else if let Some(k) = subscript(path, "metadata.annotations") {
                pod.meta.annotations.get(k).cloned().unwrap_or_default()
            } else {
                return None;
            }
        }
    })
}

/// `ExtractContainerResourceValue`: CPU in units of the divisor (default
/// 1 core) rounded up, memory likewise (default 1 byte); a limit not set
/// reads `0`, which describe words `node allocatable`. Ephemeral storage
/// is not modelled: 0.
fn resource_value(c: &Container, resource: &str, divisor: Option<&str>) -> String {
    let d = divisor
        .and_then(|d| super::quantity::parse_quantity(d).ok())
        .map(|q| q.millicores() as u128)
        .filter(|m| *m > 0)
        .unwrap_or(1000);
    let milli: u128 = match resource {
        "requests.cpu" => c.requests.cpu_m as u128,
        "limits.cpu" => c.limits.cpu_m as u128,
        "requests.memory" => c.requests.memory as u128 * 1000,
        "limits.memory" => c.limits.memory as u128 * 1000,
        "requests.ephemeral-storage" | "limits.ephemeral-storage" => 0,
        _ => return String::new(),
    };
    let v = milli.div_ceil(d);
    if v == 0 && resource.starts_with("limits.") {
        "node allocatable".into()
    } else {
        v.to_string()
    }
}

/// `describeContainerEnvVars`: the `Environment:` block of `kubectl
/// describe pod` for one container, as lines after the level-2 title (each
/// `NAME:\tvalue`, tab-separated for the describe writer); `pod` resolves
/// `fieldRef`s (none for a template).
pub fn describe_lines(c: &Container, pod: Option<&Pod>) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.env.iter() {
        match &e.source {
            EnvSource::Value(v) => {
                for (i, line) in v.split('\n').enumerate() {
                    if i == 0 {
                        out.push(format!("{}:\t{}", e.name, line));
                    } else {
                        out.push(format!("\t{}", line));
                    }
                }
            }
            EnvSource::Field { api_version, path } => {
                // kubectl's `EnvValueRetriever` converts the path with its
                // own scheme, which knows only `metadata.name` and
                // `metadata.namespace`: any other path prints empty
                // (kubernetes/kubernetes#109482). A template has no pod.
                let known = matches!(path.as_str(), "metadata.name" | "metadata.namespace");
                let v = pod.filter(|_| known).and_then(|p| field_value(p, path)).unwrap_or_default();
                out.push(format!("{}:\t{} ({}:{})", e.name, v, api_version, path));
            }
            EnvSource::Resource { resource, divisor } => {
                out.push(format!("{}:\t{} ({})", e.name, resource_value(c, resource, divisor.as_deref()), resource));
            }
            EnvSource::SecretKey { name, key, optional } => out.push(format!(
                "{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}",
                e.name,
                key,
                name,
                optional.unwrap_or(false)
            )),
            EnvSource::ConfigMapKey { name, key, optional } => out.push(format!(
                "{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}",
                e.name,
                key,
                name,
                optional.unwrap_or(false)
            )),
        }
    }
    out
}

impl Digest for EnvVar {
    fn digest(&self, d: &mut Digester) {
        let EnvVar { name, source } = self;
        name.digest(d);
        match source {
            EnvSource::Value(v) => {
                d.tag(0);
                v.digest(d);
            }
            EnvSource::Field { api_version, path } => {
                d.tag(1);
                api_version.digest(d);
                path.digest(d);
            }
            EnvSource::Resource { resource, divisor } => {
                d.tag(2);
                resource.digest(d);
                divisor.digest(d);
            }
            EnvSource::ConfigMapKey { name, key, optional } => {
                d.tag(3);
                name.digest(d);
                key.digest(d);
                optional.digest(d);
            }
            EnvSource::SecretKey { name, key, optional } => {
                d.tag(4);
                name.digest(d);
                key.digest(d);
                optional.digest(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::meta::ObjectMeta;
    use crate::objects::pod::PodSpec;

    fn pod() -> Pod {
        let mut labels = crate::objects::selector::Labels::new();
        labels.insert("app".into(), "kubia".into());
        let meta = ObjectMeta {
            name: "kubia-1".into(),
            namespace: "default".into(),
            uid: 7,
            labels: Rc::new(labels),
            ..Default::default()
        };
        let mut p = Pod {
            meta,
            spec: Rc::new(PodSpec { node_name: Some("node-1".into()), ..Default::default() }),
            status: Default::default(),
        };
        let st = Rc::make_mut(&mut p.status);
        st.pod_ip = Some("10.64.1.5".into());
        st.host_ip = Some("10.0.0.3".into());
        p
    }

    fn var(name: &str, source: EnvSource) -> EnvVar {
        EnvVar { name: name.into(), source }
    }

    fn field(path: &str) -> EnvSource {
        EnvSource::Field { api_version: "v1".into(), path: path.into() }
    }

    /// The downward API's fields, as the kubelet resolves them.
    #[test]
    fn field_refs_resolve_against_the_pod() {
        let p = pod();
        for (path, want) in [
            ("metadata.name", "kubia-1"),
            ("metadata.namespace", "default"),
            ("spec.nodeName", "node-1"),
            ("status.podIP", "10.64.1.5"),
            ("status.hostIP", "10.0.0.3"),
            ("metadata.labels['app']", "kubia"),
            ("metadata.labels['none']", ""),
        ] {
            assert_eq!(field_value(&p, path).as_deref(), Some(want), "{}", path);
        }
        // `validateObjectFieldSelector`'s verdicts.
        let ok = |p: &str| validate_field_path("v1", p);
        assert_eq!(ok("metadata.annotations['a.b/c']").as_deref(), Ok("metadata.annotations['a.b/c']"));
        assert_eq!(ok("spec.host").as_deref(), Ok("spec.nodeName"));
        assert!(ok("status.phase")
            .unwrap_err()
            .starts_with("Unsupported value: \"status.phase\": supported values: \"metadata.name\""));
        assert_eq!(
            ok("metadata.foo").unwrap_err(),
            "Invalid value: \"metadata.foo\": error converting fieldPath: field label not supported: metadata.foo"
        );
        assert!(ok("metadata.labels[\"app\"]").is_err());
        assert!(validate_field_path("v2", "metadata.name").unwrap_err().ends_with("unsupported pod version: v2"));
    }

    /// `describeContainerEnvVars`' formats.
    #[test]
    fn describe_formats_as_kubectl() {
        let p = pod();
        let env = vec![
            var("A", EnvSource::Value("one\ntwo".into())),
            var("POD", field("metadata.name")),
            var("S", EnvSource::SecretKey { name: "db".into(), key: "pw".into(), optional: None }),
            var("C", EnvSource::ConfigMapKey { name: "cfg".into(), key: "k".into(), optional: Some(true) }),
            var("IP", field("status.podIP")),
        ];
        let mut c = Container::new("app", "kubia", crate::objects::pod::PullPolicy::Always);
        c.env = env.into();
        c.limits.memory = 64 << 20;
        c.env = c
            .env
            .iter()
            .cloned()
            .chain([
                var("MEM", EnvSource::Resource { resource: "limits.memory".into(), divisor: None }),
                var("CPU", EnvSource::Resource { resource: "limits.cpu".into(), divisor: None }),
                var("MI", EnvSource::Resource { resource: "limits.memory".into(), divisor: Some("1Mi".into()) }),
            ])
            .collect();
        assert_eq!(
            describe_lines(&c, Some(&p)),
            vec![
                "A:\tone",
                "\ttwo",
                "POD:\tkubia-1 (v1:metadata.name)",
                "S:\t<set to the key 'pw' in secret 'db'>\tOptional: false",
                "C:\t<set to the key 'k' of config map 'cfg'>\tOptional: true",
                "IP:\t (v1:status.podIP)",
                "MEM:\t67108864 (limits.memory)",
                "CPU:\tnode allocatable (limits.cpu)",
                "MI:\t64 (limits.memory)",
            ]
        );
    }
}
