//! Resource types: what the apiserver serves, by kind and by the names
//! `kubectl` accepts (plural, singular, short names, `plural.group`), with
//! their scope and whether kubesim simulates them or only stores them.
//! CustomResourceDefinitions add their kinds (`ResourceTypes::add_crd`),
//! as the apiextensions-apiserver does once a CRD is established.

#![warn(missing_docs)]

use std::fmt;

/// One resource type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// `Pod`, `Website`.
    pub kind: String,
    /// The API group (`""` for the core group).
    pub group: String,
    /// The versions served (the first is the preferred one).
    pub versions: Vec<String>,
    /// `pods`, `websites`.
    pub plural: String,
    /// `pod`, `website`.
    pub singular: String,
    /// `po`, `ws`.
    pub short_names: Vec<String>,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// Whether a controller or kubelet in kubesim acts on it (else it is
    /// stored and listed only).
    pub simulated: bool,
}

impl ResourceType {
    /// `group/version` of the preferred version (`v1` for the core group).
    pub fn api_version(&self) -> String {
        let v = self.versions.first().map(String::as_str).unwrap_or("v1");
        if self.group.is_empty() {
            v.to_string()
        } else {
            format!("{}/{}", self.group, v)
        }
    }

    /// Whether `api_version` (`group/version`) is one this type serves.
    pub fn serves(&self, api_version: &str) -> bool {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        group == self.group && self.versions.iter().any(|v| v == version)
    }

    /// Whether `name` is one kubectl resolves to this type: plural,
    /// singular, a short name, the kind (any case), each optionally
    /// qualified with `.group`.
    pub fn is_named(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let (base, group) = match name.split_once('.') {
            Some((b, g)) => (b.to_string(), Some(g.to_string())),
            None => (name.clone(), None),
        };
        if group.as_deref().is_some_and(|g| g != self.group) {
            return false;
        }
        base == self.plural
            || base == self.singular
            || base == self.kind.to_ascii_lowercase()
            || self.short_names.contains(&base)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.plural)
        } else {
            write!(f, "{}.{}", self.plural, self.group)
        }
    }
}

/// `(kind, group, versions, plural, short names, namespaced, simulated)`.
type Row = (&'static str, &'static str, &'static [&'static str], &'static str, &'static [&'static str], bool, bool);

/// The built-in types (`kubectl api-resources` of a v1.32 cluster, the
/// common ones), and which kubesim simulates.
const BUILTIN: &[Row] = &[
    ("Pod", "", &["v1"], "pods", &["po"], true, true),
    ("Node", "", &["v1"], "nodes", &["no"], false, true),
    ("Namespace", "", &["v1"], "namespaces", &["ns"], false, true),
    ("ReplicationController", "", &["v1"], "replicationcontrollers", &["rc"], true, true),
    ("ReplicaSet", "apps", &["v1"], "replicasets", &["rs"], true, true),
    ("Lease", "coordination.k8s.io", &["v1"], "leases", &[], true, true),
    ("Service", "", &["v1"], "services", &["svc"], true, true),
    ("Endpoints", "", &["v1"], "endpoints", &["ep"], true, true),
    ("ConfigMap", "", &["v1"], "configmaps", &["cm"], true, false),
    ("Secret", "", &["v1"], "secrets", &[], true, false),
    ("ServiceAccount", "", &["v1"], "serviceaccounts", &["sa"], true, false),
    ("PersistentVolume", "", &["v1"], "persistentvolumes", &["pv"], false, false),
    ("PersistentVolumeClaim", "", &["v1"], "persistentvolumeclaims", &["pvc"], true, false),
    ("LimitRange", "", &["v1"], "limitranges", &["limits"], true, false),
    ("ResourceQuota", "", &["v1"], "resourcequotas", &["quota"], true, false),
    ("PodTemplate", "", &["v1"], "podtemplates", &[], true, false),
    ("Event", "", &["v1"], "events", &["ev"], true, false),
    ("Deployment", "apps", &["v1"], "deployments", &["deploy"], true, true),
    ("DaemonSet", "apps", &["v1"], "daemonsets", &["ds"], true, true),
    ("StatefulSet", "apps", &["v1"], "statefulsets", &["sts"], true, false),
    ("Job", "batch", &["v1"], "jobs", &[], true, true),
    ("CronJob", "batch", &["v1"], "cronjobs", &["cj"], true, true),
    ("EndpointSlice", "discovery.k8s.io", &["v1"], "endpointslices", &[], true, true),
    ("Ingress", "networking.k8s.io", &["v1"], "ingresses", &["ing"], true, false),
    ("IngressClass", "networking.k8s.io", &["v1"], "ingressclasses", &[], false, false),
    ("NetworkPolicy", "networking.k8s.io", &["v1"], "networkpolicies", &["netpol"], true, false),
    ("StorageClass", "storage.k8s.io", &["v1"], "storageclasses", &["sc"], false, false),
    ("PodDisruptionBudget", "policy", &["v1"], "poddisruptionbudgets", &["pdb"], true, false),
    ("HorizontalPodAutoscaler", "autoscaling", &["v2", "v1"], "horizontalpodautoscalers", &["hpa"], true, false),
    ("Role", "rbac.authorization.k8s.io", &["v1"], "roles", &[], true, false),
    ("RoleBinding", "rbac.authorization.k8s.io", &["v1"], "rolebindings", &[], true, false),
    ("ClusterRole", "rbac.authorization.k8s.io", &["v1"], "clusterroles", &[], false, false),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io", &["v1"], "clusterrolebindings", &[], false, false),
    ("PriorityClass", "scheduling.k8s.io", &["v1"], "priorityclasses", &["pc"], false, false),
    ("RuntimeClass", "node.k8s.io", &["v1"], "runtimeclasses", &[], false, false),
    (
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        &["v1"],
        "customresourcedefinitions",
        &["crd", "crds"],
        false,
        false,
    ),
];

/// The resource types of a cluster: the built-ins and what CRDs added.
#[derive(Clone, Debug)]
pub struct ResourceTypes {
    types: Vec<ResourceType>,
}

impl Default for ResourceTypes {
    fn default() -> Self {
        let types = BUILTIN
            .iter()
            .map(|&(kind, group, versions, plural, short, namespaced, simulated)| ResourceType {
                kind: kind.into(),
                group: group.into(),
                versions: versions.iter().map(|v| v.to_string()).collect(),
                plural: plural.into(),
                singular: kind.to_ascii_lowercase(),
                short_names: short.iter().map(|s| s.to_string()).collect(),
                namespaced,
                simulated,
            })
            .collect();
        ResourceTypes { types }
    }
}

impl ResourceTypes {
    /// The type a kubectl resource name names (`pods`, `po`, `pod`,
    /// `websites.extensions.example.com`, `Website`).
    pub fn resolve(&self, name: &str) -> Option<&ResourceType> {
        self.types.iter().find(|t| t.is_named(name))
    }

    /// The type of a manifest's `apiVersion` and `kind`.
    pub fn for_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types.iter().find(|t| t.kind == kind && t.serves(api_version))
    }

    /// A type by kind alone (the first group that has it).
    pub fn by_kind(&self, kind: &str) -> Option<&ResourceType> {
        self.types.iter().find(|t| t.kind == kind)
    }

    /// Every type, built-ins first.
    pub fn all(&self) -> &[ResourceType] {
        &self.types
    }

    /// Adds the kind a CustomResourceDefinition defines (its JSON body
    /// without metadata; `name` is the CRD's name, which must be
    /// `<plural>.<group>`). Returns the new type, or why the CRD is
    /// invalid (`ValidateCustomResourceDefinition`'s main rules).
    pub fn add_crd(&mut self, name: &str, body: &serde_json::Value) -> Result<ResourceType, String> {
        let spec = body.get("spec").ok_or("spec: Required value")?;
        let s = |v: Option<&serde_json::Value>| v.and_then(|x| x.as_str()).map(str::to_string);
        let group = s(spec.get("group")).ok_or("spec.group: Required value")?;
        let names = spec.get("names").ok_or("spec.names: Required value")?;
        let kind = s(names.get("kind")).ok_or("spec.names.kind: Required value")?;
        let plural = s(names.get("plural")).ok_or("spec.names.plural: Required value")?;
        let singular = s(names.get("singular")).unwrap_or_else(|| kind.to_ascii_lowercase());
        let short_names: Vec<String> = names
            .get("shortNames")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let namespaced = match spec.get("scope").and_then(|v| v.as_str()) {
            Some("Namespaced") => true,
            Some("Cluster") => false,
            Some(other) => return Err(format!("spec.scope: Unsupported value: \"{}\"", other)),
            None => return Err("spec.scope: Required value".into()),
        };
        let versions: Vec<String> = spec
            .get("versions")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter(|v| v.get("served").and_then(|s| s.as_bool()).unwrap_or(false))
                    .filter_map(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if versions.is_empty() {
            return Err("spec.versions: Invalid value: must have at least one served version".into());
        }
        if name != format!("{}.{}", plural, group) {
            return Err(format!(
                "metadata.name: Invalid value: \"{}\": must be spec.names.plural+\".\"+spec.group",
                name
            ));
        }
        if self.types.iter().any(|t| t.group == group && t.kind == kind) {
            // Re-applied: the first definition stays.
            return Ok(self.types.iter().find(|t| t.group == group && t.kind == kind).cloned().expect("found"));
        }
        let t = ResourceType { kind, group, versions, plural, singular, short_names, namespaced, simulated: false };
        self.types.push(t.clone());
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_names_resolve() {
        let r = ResourceTypes::default();
        for n in ["pods", "pod", "po", "Pod"] {
            assert_eq!(r.resolve(n).map(|t| t.kind.as_str()), Some("Pod"), "{}", n);
        }
        assert_eq!(r.resolve("po").map(|t| t.kind.as_str()), Some("Pod"));
        assert_eq!(r.resolve("deploy").map(|t| t.kind.as_str()), Some("Deployment"));
        assert_eq!(r.resolve("deployments.apps").map(|t| t.kind.as_str()), Some("Deployment"));
        assert_eq!(r.resolve("deployments.batch"), None);
        assert_eq!(r.resolve("crd").map(|t| t.kind.as_str()), Some("CustomResourceDefinition"));
        assert_eq!(r.for_kind("apps/v1", "ReplicaSet").map(|t| t.plural.as_str()), Some("replicasets"));
        assert_eq!(r.for_kind("v1", "ReplicaSet"), None);
        assert!(r.for_kind("autoscaling/v1", "HorizontalPodAutoscaler").is_some());
    }

    /// The book's Website CRD (Kubernetes in Action, chapter 18), in its
    /// apiextensions.k8s.io/v1 form.
    #[test]
    fn a_crd_adds_its_kind() {
        let mut r = ResourceTypes::default();
        let body = serde_json::json!({
            "spec": {
                "scope": "Namespaced",
                "group": "extensions.example.com",
                "names": {"kind": "Website", "singular": "website", "plural": "websites"},
                "versions": [{"name": "v1", "served": true, "storage": true}]
            }
        });
        let t = r.add_crd("websites.extensions.example.com", &body).expect("valid");
        assert!(t.namespaced && !t.simulated);
        assert_eq!(t.api_version(), "extensions.example.com/v1");
        assert_eq!(r.resolve("websites").map(|t| t.kind.as_str()), Some("Website"));
        assert_eq!(r.resolve("website.extensions.example.com").map(|t| t.kind.as_str()), Some("Website"));
        assert!(r.for_kind("extensions.example.com/v1", "Website").is_some());
        assert!(r.for_kind("extensions.example.com/v2", "Website").is_none());
        // The name must be <plural>.<group>; scope and a served version are required.
        assert!(r.add_crd("website.example.com", &body).unwrap_err().contains("metadata.name"));
        let mut no_scope = body.clone();
        no_scope["spec"].as_object_mut().unwrap().remove("scope");
        assert!(r.add_crd("websites.extensions.example.com", &no_scope).unwrap_err().contains("spec.scope"));
        let mut unserved = body.clone();
        unserved["spec"]["versions"][0]["served"] = serde_json::json!(false);
        assert!(r.add_crd("websites.extensions.example.com", &unserved).unwrap_err().contains("served version"));
    }
}
