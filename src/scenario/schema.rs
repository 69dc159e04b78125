//! The field names of the kinds the simulator models, for strict field
//! validation as `kubectl apply` does by default (server-side
//! `fieldValidation=Strict`): a field no version of the type has
//! (`livenesProbe`, `lables`) is an error worded as the apiserver words it,
//! `unknown field "spec.containers[0].livenesProbe"`.
//!
//! The names are the JSON names of upstream's Go types,
//! `staging/src/k8s.io/api/core/v1/types.go` (`ObjectMeta` from
//! `apimachinery/pkg/apis/meta/v1/types.go`) and `apps/v1/types.go`. Fields
//! whose content the simulator never reads (`envFrom`, `volumeMounts`, each
//! volume source, …) are `Opaque`: known, accepted, not descended into. A
//! known field the simulator does not model is reported as not simulated
//! by the decoder, not here.

#![warn(missing_docs)]

use super::yaml::{Node, Value};

/// What a field holds.
#[derive(Clone, Copy)]
pub enum Ty {
    /// A scalar or a free-form map (`labels`, `requests`): keys not checked.
    Leaf,
    /// An object with these fields.
    Obj(&'static [F]),
    /// A list of objects with these fields.
    List(&'static [F]),
    /// Known, content not checked.
    Opaque,
}

/// A field: its name as the API spells it, and its shape.
pub type F = (&'static str, Ty);

use Ty::{Leaf, List, Obj, Opaque};

/// `ObjectMeta`.
pub const OBJECT_META: &[F] = &[
    ("name", Leaf),
    ("generateName", Leaf),
    ("namespace", Leaf),
    ("selfLink", Leaf),
    ("uid", Leaf),
    ("resourceVersion", Leaf),
    ("generation", Leaf),
    ("creationTimestamp", Leaf),
    ("deletionTimestamp", Leaf),
    ("deletionGracePeriodSeconds", Leaf),
    ("labels", Leaf),
    ("annotations", Leaf),
    ("ownerReferences", List(OWNER_REFERENCE)),
    ("finalizers", Leaf),
    ("managedFields", Opaque),
];

const OWNER_REFERENCE: &[F] = &[
    ("apiVersion", Leaf),
    ("kind", Leaf),
    ("name", Leaf),
    ("uid", Leaf),
    ("controller", Leaf),
    ("blockOwnerDeletion", Leaf),
];

/// `LabelSelector` and `LabelSelectorRequirement`.
pub const LABEL_SELECTOR: &[F] = &[("matchLabels", Leaf), ("matchExpressions", List(SELECTOR_REQUIREMENT))];
const SELECTOR_REQUIREMENT: &[F] = &[("key", Leaf), ("operator", Leaf), ("values", Leaf)];

/// `ExecAction`, `HTTPGetAction`, `HTTPHeader`, `TCPSocketAction`,
/// `GRPCAction`, `SleepAction`.
const EXEC: &[F] = &[("command", Leaf)];
const HTTP_GET: &[F] =
    &[("path", Leaf), ("port", Leaf), ("host", Leaf), ("scheme", Leaf), ("httpHeaders", List(HTTP_HEADER))];
const HTTP_HEADER: &[F] = &[("name", Leaf), ("value", Leaf)];
const TCP_SOCKET: &[F] = &[("port", Leaf), ("host", Leaf)];
const GRPC: &[F] = &[("port", Leaf), ("service", Leaf)];
const SLEEP: &[F] = &[("seconds", Leaf)];

/// `Probe` (its inlined `ProbeHandler` first).
const PROBE: &[F] = &[
    ("exec", Obj(EXEC)),
    ("httpGet", Obj(HTTP_GET)),
    ("tcpSocket", Obj(TCP_SOCKET)),
    ("grpc", Obj(GRPC)),
    ("initialDelaySeconds", Leaf),
    ("timeoutSeconds", Leaf),
    ("periodSeconds", Leaf),
    ("successThreshold", Leaf),
    ("failureThreshold", Leaf),
    ("terminationGracePeriodSeconds", Leaf),
];

/// `Lifecycle` and `LifecycleHandler`.
const LIFECYCLE: &[F] =
    &[("postStart", Obj(LIFECYCLE_HANDLER)), ("preStop", Obj(LIFECYCLE_HANDLER)), ("stopSignal", Leaf)];
const LIFECYCLE_HANDLER: &[F] =
    &[("exec", Obj(EXEC)), ("httpGet", Obj(HTTP_GET)), ("tcpSocket", Obj(TCP_SOCKET)), ("sleep", Obj(SLEEP))];

/// `ContainerPort`.
const CONTAINER_PORT: &[F] =
    &[("name", Leaf), ("hostPort", Leaf), ("containerPort", Leaf), ("protocol", Leaf), ("hostIP", Leaf)];

/// `ResourceRequirements` (`limits` and `requests` are maps of quantities).
const RESOURCES: &[F] = &[("limits", Leaf), ("requests", Leaf), ("claims", List(RESOURCE_CLAIM))];
const RESOURCE_CLAIM: &[F] = &[("name", Leaf), ("request", Leaf)];

/// `SecurityContext` and the option types it shares with
/// `PodSecurityContext`.
const SECURITY_CONTEXT: &[F] = &[
    ("capabilities", Obj(CAPABILITIES)),
    ("privileged", Leaf),
    ("seLinuxOptions", Obj(SE_LINUX_OPTIONS)),
    ("windowsOptions", Obj(WINDOWS_OPTIONS)),
    ("runAsUser", Leaf),
    ("runAsGroup", Leaf),
    ("runAsNonRoot", Leaf),
    ("readOnlyRootFilesystem", Leaf),
    ("allowPrivilegeEscalation", Leaf),
    ("procMount", Leaf),
    ("seccompProfile", Obj(PROFILE)),
    ("appArmorProfile", Obj(PROFILE)),
];
const CAPABILITIES: &[F] = &[("add", Leaf), ("drop", Leaf)];
const SE_LINUX_OPTIONS: &[F] = &[("user", Leaf), ("role", Leaf), ("type", Leaf), ("level", Leaf)];
const WINDOWS_OPTIONS: &[F] =
    &[("gmsaCredentialSpecName", Leaf), ("gmsaCredentialSpec", Leaf), ("runAsUserName", Leaf), ("hostProcess", Leaf)];
const PROFILE: &[F] = &[("type", Leaf), ("localhostProfile", Leaf)];

/// `PodSecurityContext`.
const POD_SECURITY_CONTEXT: &[F] = &[
    ("seLinuxOptions", Obj(SE_LINUX_OPTIONS)),
    ("windowsOptions", Obj(WINDOWS_OPTIONS)),
    ("runAsUser", Leaf),
    ("runAsGroup", Leaf),
    ("runAsNonRoot", Leaf),
    ("supplementalGroups", Leaf),
    ("supplementalGroupsPolicy", Leaf),
    ("fsGroup", Leaf),
    ("sysctls", List(&[("name", Leaf), ("value", Leaf)])),
    ("fsGroupChangePolicy", Leaf),
    ("seccompProfile", Obj(PROFILE)),
    ("appArmorProfile", Obj(PROFILE)),
    ("seLinuxChangePolicy", Leaf),
];

/// `EnvVar`.
const ENV_VAR: &[F] = &[("name", Leaf), ("value", Leaf), ("valueFrom", Obj(ENV_VAR_SOURCE))];

/// `EnvVarSource`.
const ENV_VAR_SOURCE: &[F] = &[
    ("fieldRef", Obj(&[("apiVersion", Leaf), ("fieldPath", Leaf)])),
    ("resourceFieldRef", Obj(&[("containerName", Leaf), ("resource", Leaf), ("divisor", Leaf)])),
    ("configMapKeyRef", Obj(&[("name", Leaf), ("key", Leaf), ("optional", Leaf)])),
    ("secretKeyRef", Obj(&[("name", Leaf), ("key", Leaf), ("optional", Leaf)])),
    ("fileKeyRef", Opaque),
];

/// `Container` (also `initContainers`).
pub const CONTAINER: &[F] = &[
    ("name", Leaf),
    ("image", Leaf),
    ("command", Leaf),
    ("args", Leaf),
    ("workingDir", Leaf),
    ("ports", List(CONTAINER_PORT)),
    ("envFrom", Opaque),
    ("env", List(ENV_VAR)),
    ("resources", Obj(RESOURCES)),
    ("resizePolicy", Opaque),
    ("restartPolicy", Leaf),
    ("restartPolicyRules", Opaque),
    ("volumeMounts", Opaque),
    ("volumeDevices", Opaque),
    ("livenessProbe", Obj(PROBE)),
    ("readinessProbe", Obj(PROBE)),
    ("startupProbe", Obj(PROBE)),
    ("lifecycle", Obj(LIFECYCLE)),
    ("terminationMessagePath", Leaf),
    ("terminationMessagePolicy", Leaf),
    ("imagePullPolicy", Leaf),
    ("securityContext", Obj(SECURITY_CONTEXT)),
    ("stdin", Leaf),
    ("stdinOnce", Leaf),
    ("tty", Leaf),
];

/// `Volume`: its name and the `VolumeSource` it inlines, each source
/// accepted without descending.
const VOLUME: &[F] = &[
    ("name", Leaf),
    ("hostPath", Opaque),
    ("emptyDir", Opaque),
    ("gcePersistentDisk", Opaque),
    ("awsElasticBlockStore", Opaque),
    ("gitRepo", Opaque),
    ("secret", Opaque),
    ("nfs", Opaque),
    ("iscsi", Opaque),
    ("glusterfs", Opaque),
    ("persistentVolumeClaim", Opaque),
    ("rbd", Opaque),
    ("flexVolume", Opaque),
    ("cinder", Opaque),
    ("cephfs", Opaque),
    ("flocker", Opaque),
    ("downwardAPI", Opaque),
    ("fc", Opaque),
    ("azureFile", Opaque),
    ("configMap", Opaque),
    ("vsphereVolume", Opaque),
    ("quobyte", Opaque),
    ("azureDisk", Opaque),
    ("photonPersistentDisk", Opaque),
    ("projected", Opaque),
    ("portworxVolume", Opaque),
    ("scaleIO", Opaque),
    ("storageos", Opaque),
    ("csi", Opaque),
    ("ephemeral", Opaque),
    ("image", Opaque),
];

/// `Toleration` and `Taint`.
const TOLERATION: &[F] =
    &[("key", Leaf), ("operator", Leaf), ("value", Leaf), ("effect", Leaf), ("tolerationSeconds", Leaf)];
/// The fields of a `v1.Taint`.
pub const TAINT: &[F] = &[("key", Leaf), ("value", Leaf), ("effect", Leaf), ("timeAdded", Leaf)];

/// `Affinity`, `NodeAffinity`, `NodeSelector`, `NodeSelectorTerm`,
/// `PreferredSchedulingTerm`, `PodAffinity`/`PodAntiAffinity`,
/// `PodAffinityTerm`, `WeightedPodAffinityTerm`.
const AFFINITY: &[F] =
    &[("nodeAffinity", Obj(NODE_AFFINITY)), ("podAffinity", Obj(POD_AFFINITY)), ("podAntiAffinity", Obj(POD_AFFINITY))];
const NODE_AFFINITY: &[F] = &[
    ("requiredDuringSchedulingIgnoredDuringExecution", Obj(NODE_SELECTOR)),
    ("preferredDuringSchedulingIgnoredDuringExecution", List(PREFERRED_SCHEDULING_TERM)),
];
const NODE_SELECTOR: &[F] = &[("nodeSelectorTerms", List(NODE_SELECTOR_TERM))];
const NODE_SELECTOR_TERM: &[F] =
    &[("matchExpressions", List(SELECTOR_REQUIREMENT)), ("matchFields", List(SELECTOR_REQUIREMENT))];
const PREFERRED_SCHEDULING_TERM: &[F] = &[("weight", Leaf), ("preference", Obj(NODE_SELECTOR_TERM))];
const POD_AFFINITY: &[F] = &[
    ("requiredDuringSchedulingIgnoredDuringExecution", List(POD_AFFINITY_TERM)),
    ("preferredDuringSchedulingIgnoredDuringExecution", List(WEIGHTED_POD_AFFINITY_TERM)),
];
const POD_AFFINITY_TERM: &[F] = &[
    ("labelSelector", Obj(LABEL_SELECTOR)),
    ("namespaces", Leaf),
    ("topologyKey", Leaf),
    ("namespaceSelector", Obj(LABEL_SELECTOR)),
    ("matchLabelKeys", Leaf),
    ("mismatchLabelKeys", Leaf),
];
const WEIGHTED_POD_AFFINITY_TERM: &[F] = &[("weight", Leaf), ("podAffinityTerm", Obj(POD_AFFINITY_TERM))];

/// `PodSpec`.
pub const POD_SPEC: &[F] = &[
    ("volumes", List(VOLUME)),
    ("initContainers", List(CONTAINER)),
    ("containers", List(CONTAINER)),
    ("ephemeralContainers", Opaque),
    ("restartPolicy", Leaf),
    ("terminationGracePeriodSeconds", Leaf),
    ("activeDeadlineSeconds", Leaf),
    ("dnsPolicy", Leaf),
    ("nodeSelector", Leaf),
    ("serviceAccountName", Leaf),
    ("serviceAccount", Leaf),
    ("automountServiceAccountToken", Leaf),
    ("nodeName", Leaf),
    ("hostNetwork", Leaf),
    ("hostPID", Leaf),
    ("hostIPC", Leaf),
    ("shareProcessNamespace", Leaf),
    ("securityContext", Obj(POD_SECURITY_CONTEXT)),
    ("imagePullSecrets", Opaque),
    ("hostname", Leaf),
    ("subdomain", Leaf),
    ("affinity", Obj(AFFINITY)),
    ("schedulerName", Leaf),
    ("tolerations", List(TOLERATION)),
    ("hostAliases", Opaque),
    ("priorityClassName", Leaf),
    ("priority", Leaf),
    ("dnsConfig", Opaque),
    ("readinessGates", Opaque),
    ("runtimeClassName", Leaf),
    ("enableServiceLinks", Leaf),
    ("preemptionPolicy", Leaf),
    ("overhead", Leaf),
    ("topologySpreadConstraints", Opaque),
    ("setHostnameAsFQDN", Leaf),
    ("os", Opaque),
    ("hostUsers", Leaf),
    ("schedulingGates", Opaque),
    ("resourceClaims", Opaque),
    ("resources", Obj(RESOURCES)),
    ("hostnameOverride", Leaf),
];

/// `PodTemplateSpec`.
const POD_TEMPLATE: &[F] = &[("metadata", Obj(OBJECT_META)), ("spec", Obj(POD_SPEC))];

/// `ReplicationControllerSpec` (its selector is a plain map).
const RC_SPEC: &[F] =
    &[("replicas", Leaf), ("minReadySeconds", Leaf), ("selector", Leaf), ("template", Obj(POD_TEMPLATE))];

/// `apps/v1` `ReplicaSetSpec` (the retired group versions have the same
/// fields).
const RS_SPEC: &[F] = &[
    ("replicas", Leaf),
    ("minReadySeconds", Leaf),
    ("selector", Obj(LABEL_SELECTOR)),
    ("template", Obj(POD_TEMPLATE)),
];

/// `DeploymentStrategy`.
const DEPLOYMENT_STRATEGY: &[F] =
    &[("type", Leaf), ("rollingUpdate", Obj(&[("maxSurge", Leaf), ("maxUnavailable", Leaf)]))];

/// `apps/v1` `DeploymentSpec`.
const DEPLOYMENT_SPEC: &[F] = &[
    ("replicas", Leaf),
    ("selector", Obj(LABEL_SELECTOR)),
    ("template", Obj(POD_TEMPLATE)),
    ("strategy", Obj(DEPLOYMENT_STRATEGY)),
    ("minReadySeconds", Leaf),
    ("revisionHistoryLimit", Leaf),
    ("paused", Leaf),
    ("progressDeadlineSeconds", Leaf),
];

/// `apps/v1` `DaemonSetSpec`.
const DAEMONSET_SPEC: &[F] = &[
    ("selector", Obj(LABEL_SELECTOR)),
    ("template", Obj(POD_TEMPLATE)),
    ("updateStrategy", Obj(&[("type", Leaf), ("rollingUpdate", Obj(&[("maxSurge", Leaf), ("maxUnavailable", Leaf)]))])),
    ("minReadySeconds", Leaf),
    ("revisionHistoryLimit", Leaf),
];

/// `NodeSpec` (`configSource` and `externalID` are deprecated but still
/// fields).
const NODE_SPEC: &[F] = &[
    ("podCIDR", Leaf),
    ("podCIDRs", Leaf),
    ("providerID", Leaf),
    ("unschedulable", Leaf),
    ("taints", List(TAINT)),
    ("configSource", Opaque),
    ("externalID", Leaf),
];

/// `LeaseSpec` (coordination.k8s.io/v1).
const LEASE_SPEC: &[F] = &[
    ("holderIdentity", Leaf),
    ("leaseDurationSeconds", Leaf),
    ("acquireTime", Leaf),
    ("renewTime", Leaf),
    ("leaseTransitions", Leaf),
    ("preferredHolder", Leaf),
    ("strategy", Leaf),
];

/// `NamespaceSpec`.
const NAMESPACE_SPEC: &[F] = &[("finalizers", Leaf)];

/// A whole object of a kind with `spec`: `status` is accepted and
/// ignored, as the apiserver ignores it on create.
macro_rules! object {
    ($spec:expr) => {
        &[
            ("apiVersion", Leaf),
            ("kind", Leaf),
            ("metadata", Obj(OBJECT_META)),
            ("spec", Obj($spec)),
            ("status", Opaque),
        ]
    };
}

/// The schema of a kind the simulator models, by its manifest kind.
pub fn for_kind(kind: &str) -> Option<&'static [F]> {
    Some(match kind {
        "Pod" => object!(POD_SPEC),
        "ReplicationController" => object!(RC_SPEC),
        "ReplicaSet" => object!(RS_SPEC),
        "Deployment" => object!(DEPLOYMENT_SPEC),
        "DaemonSet" => object!(DAEMONSET_SPEC),
        "Node" => object!(NODE_SPEC),
        "Namespace" => object!(NAMESPACE_SPEC),
        "Lease" => object!(LEASE_SPEC),
        _ => return None,
    })
}

/// Every field of `node` (an object of `fields`) that the schema does not
/// know: its key node and its path from the object's root, as the
/// apiserver prints it (`spec.containers[0].livenesProbe`). Values of the
/// wrong type are left to the decoder.
pub fn unknown_fields<'n>(node: &'n Node, fields: &[F], path: &str, out: &mut Vec<(&'n Node, String)>) {
    let Value::Map(entries) = &node.value else { return };
    for (k, v) in entries {
        let key = k.scalar_text().unwrap_or("");
        let p = if path.is_empty() { key.to_string() } else { format!("{}.{}", path, key) };
        match fields.iter().find(|(name, _)| *name == key).map(|(_, ty)| *ty) {
            None => out.push((k, p)),
            Some(Obj(sub)) => unknown_fields(v, sub, &p, out),
            Some(List(sub)) => {
                if let Value::Seq(items) = &v.value {
                    for (i, item) in items.iter().enumerate() {
                        unknown_fields(item, sub, &format!("{}[{}]", p, i), out);
                    }
                }
            }
            Some(Leaf | Opaque) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::yaml::parse_documents;

    fn unknown(src: &str) -> Vec<String> {
        let doc = &parse_documents(src).unwrap()[0];
        let kind = doc.get("kind").and_then(|k| k.scalar_text()).unwrap();
        let mut out = Vec::new();
        unknown_fields(doc, for_kind(kind).unwrap(), "", &mut out);
        out.into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn typos_are_named_by_path() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, lables: {a: b}}\nspec:\n  containers:\n  - name: c\n    image: i\n  - name: d\n    image: i\n    livenesProbe: {tcpSocket: {port: 80}}\n    readinessProbe: {httpGet: {port: 80, pth: /}}\n";
        assert_eq!(
            unknown(pod),
            ["metadata.lables", "spec.containers[1].livenesProbe", "spec.containers[1].readinessProbe.httpGet.pth"]
        );
    }

    #[test]
    fn known_unmodelled_fields_and_status_pass() {
        let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      volumes: [{name: v, emptyDir: {anything: goes}}]\n      securityContext: {runAsUser: 1, sysctls: [{name: a, value: b}]}\n      containers: [{name: c, image: i, envFrom: [{x: y}], resources: {limits: {nvidia.com/gpu: 1}}}]\nstatus: {replicas: 3, whatever: 1}\n";
        assert!(unknown(rs).is_empty(), "{:?}", unknown(rs));
        let bad = rs.replace("runAsUser", "runAsUsr").replace("emptyDir", "emptyDirr");
        assert_eq!(
            unknown(&bad),
            ["spec.template.spec.volumes[0].emptyDirr", "spec.template.spec.securityContext.runAsUsr"]
        );
    }
}
