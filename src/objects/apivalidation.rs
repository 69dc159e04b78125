//! The apiserver's validation of what users write, with upstream's field
//! paths and messages (`pkg/apis/core/validation/validation.go`,
//! `pkg/apis/apps/validation/validation.go`):
//!
//! - on create, `ValidateObjectMeta`: the name by kind (`objects::validation`),
//!   label keys and values, annotation keys and total size;
//! - on update, the same metadata rules, and `ValidatePodUpdate`: a pod's
//!   spec is immutable but for `spec.containers[*].image`,
//!   `spec.initContainers[*].image` and additions to `spec.tolerations`
//!   (`activeDeadlineSeconds` is not modelled, and the grace period, which
//!   may only go from negative to 1, is never negative here);
//! - on update of an apps/v1 ReplicaSet, an immutable `spec.selector`
//!   (the ReplicaSet strategy's `ValidateUpdate`; an RC's selector may
//!   change).
//!
//! Each check returns the causes (`field: Type: detail`, as
//! `field.Error.Error()` renders them), empty when the write is valid.

#![warn(missing_docs)]

use super::meta::ObjectMeta;
use super::pod::{Container, PodSpec, Toleration};
use super::replicaset::{ReplicaKind, ReplicaSet};
use super::selector::{Labels, Op, Selector};
use super::validation;
use std::collections::BTreeMap;
use std::rc::Rc;

/// `updatablePodSpecFields` joined as `ValidatePodUpdate` joins them.
pub const POD_UPDATE_FORBIDDEN: &str = "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `TotalAnnotationSizeLimitB`: 256 KiB.
const TOTAL_ANNOTATION_SIZE: usize = 256 * (1 << 10);

/// Go's `%q` of a string, as `field.Invalid` prints a string value.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn invalid(path: &str, value: &str, detail: &str) -> String {
    format!("{}: Invalid value: {}: {}", path, quoted(value), detail)
}

/// `ValidateObjectMeta` for the rules the simulator's objects can break:
/// the name (by kind's `NameFn`), `ValidateLabels`, `ValidateAnnotations`.
pub fn object_meta(kind: &str, meta: &ObjectMeta) -> Vec<String> {
    let mut errs = object_name(kind, meta);
    errs.extend(labels_and_annotations(meta));
    errs
}

/// The name part of `ValidateObjectMeta`.
pub fn object_name(kind: &str, meta: &ObjectMeta) -> Vec<String> {
    if meta.name.is_empty() {
        return vec!["metadata.name: Required value: name or generateName is required".to_string()];
    }
    validation::object_name(kind, &meta.name).iter().map(|msg| invalid("metadata.name", &meta.name, msg)).collect()
}

/// `ValidatePodSpec`'s check of `spec.hostname`: a DNS-1123 label (an
/// Indexed Job whose name is near 63 characters makes `<job>-<index>`
/// hostnames too long, and the apiserver refuses its pods).
pub fn pod_hostname(spec: &crate::objects::pod::PodSpec) -> Vec<String> {
    let Some(h) = spec.hostname.as_deref() else { return Vec::new() };
    validation::dns1123_label(h).iter().map(|msg| invalid("spec.hostname", h, msg)).collect()
}

/// Label and annotation maps found valid, by address in a direct-mapped
/// table of `VALID_MAP_SLOTS` entries. An entry keeps its map (so the
/// address is not reused and, being shared, the map cannot change in
/// place): objects made from one template or trace share their maps, and
/// a shared map is checked once while it stays in the table.
pub struct ValidMaps {
    slots: Vec<Option<Rc<Labels>>>,
}

const VALID_MAP_SLOTS: usize = 4096;

impl Default for ValidMaps {
    fn default() -> Self {
        ValidMaps { slots: vec![None; VALID_MAP_SLOTS] }
    }
}

impl ValidMaps {
    fn slot(m: &Rc<Labels>) -> usize {
        (Rc::as_ptr(m) as usize >> 4) % VALID_MAP_SLOTS
    }

    fn known(&self, m: &Rc<Labels>) -> bool {
        self.slots[Self::slot(m)].as_ref().is_some_and(|x| Rc::ptr_eq(x, m))
    }

    fn remember(&mut self, m: &Rc<Labels>) {
        self.slots[Self::slot(m)] = Some(m.clone());
    }

    /// `labels_and_annotations`, skipping maps already found valid.
    pub fn check(&mut self, meta: &ObjectMeta) -> Vec<String> {
        let mut errs = Vec::new();
        if !self.known(&meta.labels) {
            let e = labels(&meta.labels);
            if e.is_empty() {
                self.remember(&meta.labels);
            }
            errs.extend(e);
        }
        if !self.known(&meta.annotations) {
            let e = annotations(&meta.annotations);
            if e.is_empty() {
                self.remember(&meta.annotations);
            }
            errs.extend(e);
        }
        errs
    }
}

/// `ValidateLabels` and `ValidateAnnotations` (also run on every update).
pub fn labels_and_annotations(meta: &ObjectMeta) -> Vec<String> {
    let mut errs = labels(&meta.labels);
    errs.extend(annotations(&meta.annotations));
    errs
}

/// `ValidateLabels`.
fn labels(map: &Labels) -> Vec<String> {
    let mut errs = Vec::new();
    for (k, v) in map.iter() {
        for msg in validation::qualified_name(k) {
            errs.push(invalid("metadata.labels", k, &msg));
        }
        for msg in validation::label_value(v) {
            errs.push(invalid("metadata.labels", v, &msg));
        }
    }
    errs
}

/// `ValidateAnnotations`: keys, and the total size.
fn annotations(map: &BTreeMap<String, String>) -> Vec<String> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, v) in map.iter() {
        // Keys are checked lowercased (upstream's `strings.ToLower`).
        let lower = if k.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(k.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(k.as_str())
        };
        for msg in validation::qualified_name(&lower) {
            errs.push(invalid("metadata.annotations", k, &msg));
        }
        total = total.saturating_add(k.len()).saturating_add(v.len());
    }
    if total > TOTAL_ANNOTATION_SIZE {
        errs.push(format!("metadata.annotations: Too long: may not be more than {} bytes", TOTAL_ANNOTATION_SIZE));
    }
    errs
}

/// `ValidatePodUpdate` on the spec: `new` is the spec the update asks for
/// (with the fields a manifest leaves out already taken from `old`).
pub fn pod_spec_update(new: &PodSpec, old: &PodSpec) -> Vec<String> {
    let mut errs = Vec::new();
    // ValidateContainerUpdates: the same number of containers, each with
    // an image; stop at the first list that differs in length.
    for (path, n, o) in [
        ("spec.containers", &new.containers, &old.containers),
        ("spec.initContainers", &new.init_containers, &old.init_containers),
    ] {
        if n.len() != o.len() {
            errs.push(format!("{}: Forbidden: pod updates may not add or remove containers", path));
            return errs;
        }
        for (i, c) in n.iter().enumerate() {
            if c.image.is_empty() {
                errs.push(format!("{}[{}].image: Required value", path, i));
            } else if c.image.trim().len() != c.image.len() {
                errs.push(invalid(
                    &format!("{}[{}].image", path, i),
                    &c.image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    // validateOnlyAddedTolerations: every old toleration is still there,
    // its tolerationSeconds aside.
    let kept = |o: &Toleration| {
        new.tolerations
            .iter()
            .any(|t| t.key == o.key && t.exists == o.exists && t.value == o.value && t.effect == o.effect)
    };
    if !old.tolerations.iter().all(kept) {
        errs.push(
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds".into(),
        );
    }
    // The munged comparison: images and tolerations taken from the old
    // spec, everything else must be equal.
    let same_but_image = |n: &[Container], o: &[Container]| {
        n.iter().zip(o).all(|(a, b)| Container { image: b.image.clone(), ..a.clone() } == *b)
    };
    let munged = PodSpec {
        containers: old.containers.clone(),
        init_containers: old.init_containers.clone(),
        tolerations: old.tolerations.clone(),
        ..new.clone()
    };
    if munged != *old
        || !same_but_image(&new.containers, &old.containers)
        || !same_but_image(&new.init_containers, &old.init_containers)
    {
        errs.push(POD_UPDATE_FORBIDDEN.to_string());
    }
    errs
}

/// The ReplicaSet strategy's `ValidateUpdate`: apps/v1 selectors are
/// immutable (`ValidateImmutableField`); an RC's may change.
pub fn replica_set_update(new: &ReplicaSet, old: &ReplicaSet) -> Vec<String> {
    if new.kind == ReplicaKind::ReplicaSet && new.spec.selector != old.spec.selector {
        return vec![format!(
            "spec.selector: Invalid value: {}: field is immutable",
            label_selector_go(&new.spec.selector)
        )];
    }
    Vec::new()
}

/// The selector as Go's `%#v` prints a `v1.LabelSelector` (what
/// `field.Invalid` shows for a struct value): single-value `In`
/// requirements as `MatchLabels`, the rest as `MatchExpressions`.
fn label_selector_go(s: &Selector) -> String {
    let labels: Vec<String> = s
        .requirements
        .iter()
        .filter(|r| r.op == Op::In && r.values.len() == 1)
        .map(|r| format!("{}:{}", quoted(&r.key), quoted(&r.values[0])))
        .collect();
    let exprs: Vec<String> = s
        .requirements
        .iter()
        .filter(|r| !(r.op == Op::In && r.values.len() == 1))
        .map(|r| {
            let op = r.op.as_str();
            let values: Vec<String> = r.values.iter().map(|v| quoted(v)).collect();
            format!(
                "v1.LabelSelectorRequirement{{Key:{}, Operator:\"{}\", Values:[]string{{{}}}}}",
                quoted(&r.key),
                op,
                values.join(", ")
            )
        })
        .collect();
    let labels = if labels.is_empty() {
        "map[string]string(nil)".to_string()
    } else {
        format!("map[string]string{{{}}}", labels.join(", "))
    };
    let exprs = if exprs.is_empty() {
        "[]v1.LabelSelectorRequirement(nil)".to_string()
    } else {
        format!("[]v1.LabelSelectorRequirement{{{}}}", exprs.join(", "))
    };
    format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}", labels, exprs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::pod::{PullPolicy, RestartPolicy, TaintEffect};

    fn spec() -> PodSpec {
        PodSpec {
            node_name: Some("n1".into()),
            containers: Rc::from(vec![Container::new("web", "web:1", PullPolicy::IfNotPresent)]),
            tolerations: vec![Toleration {
                key: "k".into(),
                exists: true,
                value: "".into(),
                effect: Some(TaintEffect::NoExecute),
                toleration_seconds: Some(300),
            }],
            ..PodSpec::default()
        }
    }

    fn containers(s: &mut PodSpec) -> &mut [Container] {
        Rc::make_mut(&mut s.containers)
    }

    const TOLERATIONS: &str =
        "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds";

    // After upstream's TestValidatePodUpdate: which spec changes pass.
    #[test]
    fn pod_update_cases() {
        type Case = (&'static str, fn(&mut PodSpec), &'static [&'static str]);
        let cases: &[Case] = &[
            ("no change", |_| {}, &[]),
            ("image", |s| containers(s)[0].image = "web:2".into(), &[]),
            ("empty image", |s| containers(s)[0].image = "".into(), &["spec.containers[0].image: Required value"]),
            (
                "add a container",
                |s| {
                    s.containers = Rc::from(vec![s.containers[0].clone(), Container::new("b", "b", PullPolicy::Always)])
                },
                &["spec.containers: Forbidden: pod updates may not add or remove containers"],
            ),
            (
                "add an init container",
                |s| s.init_containers = Rc::from(vec![Container::new("i", "i", PullPolicy::Always)]),
                &["spec.initContainers: Forbidden: pod updates may not add or remove containers"],
            ),
            ("command", |s| containers(s)[0].command.push("x".into()), &[POD_UPDATE_FORBIDDEN]),
            ("container name", |s| containers(s)[0].name = "other".into(), &[POD_UPDATE_FORBIDDEN]),
            ("requests", |s| containers(s)[0].requests.cpu_m = 5, &[POD_UPDATE_FORBIDDEN]),
            (
                "add a toleration",
                |s| {
                    let mut t = s.tolerations[0].clone();
                    t.key = "k2".into();
                    s.tolerations.push(t);
                },
                &[],
            ),
            ("tolerationSeconds", |s| s.tolerations[0].toleration_seconds = Some(10), &[]),
            ("remove a toleration", |s| s.tolerations.clear(), &[TOLERATIONS]),
            ("modify a toleration", |s| s.tolerations[0].effect = None, &[TOLERATIONS]),
            ("nodeName", |s| s.node_name = Some("n2".into()), &[POD_UPDATE_FORBIDDEN]),
            ("grace period", |s| s.termination_grace_period_seconds = 1, &[POD_UPDATE_FORBIDDEN]),
            ("restartPolicy", |s| s.restart_policy = RestartPolicy::Never, &[POD_UPDATE_FORBIDDEN]),
            (
                "nodeSelector",
                |s| {
                    s.node_selector.insert("a".into(), "b".into());
                },
                &[POD_UPDATE_FORBIDDEN],
            ),
            ("priority", |s| s.priority = 1, &[POD_UPDATE_FORBIDDEN]),
        ];
        let old = spec();
        for (name, f, want) in cases {
            let mut new = old.clone();
            f(&mut new);
            assert_eq!(pod_spec_update(&new, &old), *want, "{}", name);
        }
    }

    #[test]
    fn metadata_rules() {
        let meta = |name: &str, label: (&str, &str), annotation: &str| ObjectMeta {
            name: name.into(),
            labels: Rc::new([(label.0.to_string(), label.1.to_string())].into_iter().collect()),
            annotations: Rc::new([(annotation.to_string(), "v".to_string())].into_iter().collect()),
            ..Default::default()
        };
        assert!(object_meta("Pod", &meta("web-1", ("app", "web"), "example.com/Note")).is_empty());
        let errs = object_meta("Pod", &meta("Web", ("a b", "c d"), "x/y/z"));
        assert_eq!(errs.len(), 4, "{:#?}", errs);
        assert!(errs[0].starts_with("metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain"));
        assert!(errs[1].starts_with("metadata.labels: Invalid value: \"a b\": name part must consist of"));
        assert!(errs[2].starts_with("metadata.labels: Invalid value: \"c d\": a valid label must be an empty string"));
        assert!(errs[3].starts_with("metadata.annotations: Invalid value: \"x/y/z\": a qualified name must consist of"));
        // Namespaces are DNS-1123 labels: no dots.
        assert!(object_meta("Namespace", &meta("a.b", ("k", "v"), "k")).len() == 1);
        let big = ObjectMeta {
            name: "a".into(),
            annotations: Rc::new([("k".to_string(), "v".repeat(TOTAL_ANNOTATION_SIZE))].into_iter().collect()),
            ..Default::default()
        };
        let mut maps = ValidMaps::default();
        let ok = meta("a", ("k", "v"), "k");
        assert!(maps.check(&ok).is_empty() && maps.check(&ok).is_empty());
        assert_eq!(maps.check(&big).len(), 1, "another map is checked");
        assert_eq!(
            labels_and_annotations(&big),
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes".to_string()]
        );
    }
}
