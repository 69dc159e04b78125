//! CustomResourceDefinitions make their kinds storable; kinds the
//! apiserver does not serve are refused as kubectl refuses them.

use crate::root;
use kubesim::objects::Object;
use kubesim::runner::{self, RunOptions};
use kubesim::scenario;

fn scenario_with(objects: &str, timeline: &str) -> Result<scenario::Scenario, String> {
    let text = format!(
        "name: crd\nseed: 1\nduration: 1m\ncluster:\n  nodes: [{{name: n1}}]\nobjects:\n{}timeline:\n{}",
        objects, timeline
    );
    scenario::load_str(&text, "crd.yaml", &root().join("scenarios")).map_err(|e| e.to_string())
}

const CRD: &str = "  - file: manifests/website-crd.yaml\n";
const WEBSITE: &str = "  - at: 10s\n    apply: {file: manifests/kubia-website.yaml}\n";

#[test]
fn a_crd_makes_its_kind_storable() {
    let scn = scenario_with(CRD, WEBSITE).expect("the book's CRD and Website load");
    let res = runner::run(&scn, RunOptions::default());
    let site = res.sim.store.others.values().find(|u| u.kind == "Website").expect("the Website is stored");
    assert_eq!((&*site.meta.namespace, &*site.meta.name), ("default", "kubia"));
    assert_eq!(site.body["spec"]["gitRepo"], "https://github.com/luksa/kubia-website-example.git");
    assert!(res.sim.user_errors.is_empty(), "{:?}", res.sim.user_errors);
    let crd = res.sim.store.others.values().find(|u| u.kind == "CustomResourceDefinition").expect("stored");
    assert!(!crd.namespaced && crd.meta.namespace.is_empty());
    let _ = Object::Other(site.clone());
}

#[test]
fn a_custom_kind_needs_its_crd_and_a_served_version() {
    // No CRD: kubectl's "no matches for kind".
    let err = scenario_with("", WEBSITE).expect_err("refused");
    assert!(err.contains("no matches for kind \"Website\" in version \"extensions.example.com/v1\""), "{}", err);
    // A version the CRD does not serve.
    let v2 = "  - at: 10s\n    apply: {apiVersion: extensions.example.com/v2, kind: Website, metadata: {name: x}}\n";
    let err = scenario_with(CRD, v2).expect_err("refused");
    assert!(err.contains("no matches for kind \"Website\" in version \"extensions.example.com/v2\""), "{}", err);
    // An invalid CRD is refused at its line.
    let bad = "  - {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, metadata: {name: websites.example.com}, spec: {scope: Namespaced, group: extensions.example.com, names: {kind: Website, plural: websites}, versions: [{name: v1, served: true}]}}\n";
    let err = scenario_with(bad, "").expect_err("refused");
    assert!(err.contains("crd.yaml:7") && err.contains("must be spec.names.plural"), "{}", err);
}

#[test]
fn get_lists_custom_resources_stored_kinds_and_namespaces() {
    use crate::{kubesim, stderr, stdout};
    let dir = crate::cli::tempdir("crd-get");
    let path = dir.join("s.yaml");
    let m = root().join("scenarios/manifests");
    std::fs::write(
        &path,
        format!(
            "name: crd\nseed: 1\nduration: 1m\ncluster:\n  nodes: [{{name: n1}}]\nobjects:\n  - file: {}/website-crd.yaml\n  - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings}}, data: {{a: \"1\"}}}}\ntimeline:\n  - at: 10s\n    apply: {{file: {}/kubia-website.yaml}}\n",
            m.display(),
            m.display()
        ),
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let o = kubesim(&["get", "websites", p]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "NAME    AGE\nkubia   49s\n");
    // Before the Website is created: none, as kubectl says it.
    let o = kubesim(&["get", "website.extensions.example.com", "--at", "5s", p]);
    assert!(stdout(&o).is_empty() && stderr(&o).contains("No resources found in default namespace."), "{}", stderr(&o));
    let o = kubesim(&["get", "website", "kubia", "-o", "yaml", p]);
    let y = stdout(&o);
    assert!(y.starts_with("apiVersion: extensions.example.com/v1\nkind: Website\n"), "{}", y);
    assert!(y.contains("gitRepo: https://github.com/luksa/kubia-website-example.git"), "{}", y);
    let o = kubesim(&["get", "crd", p]);
    assert_eq!(
        stdout(&o),
        "NAME                              CREATED AT\nwebsites.extensions.example.com   1970-01-01T00:00:00Z\n"
    );
    let o = kubesim(&["get", "cm", p]);
    assert_eq!(stdout(&o), "NAME       AGE\nsettings   60s\n");
    assert!(stderr(&o).contains("configmaps is stored but not simulated"), "{}", stderr(&o));
    let o = kubesim(&["get", "ns", p]);
    assert!(
        stdout(&o).starts_with("NAME              STATUS   AGE\ndefault           Active   60s\n"),
        "{}",
        stdout(&o)
    );
    let o = kubesim(&["get", "website", "nope", p]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("websites.extensions.example.com \"nope\" not found"), "{}", stderr(&o));
    let o = kubesim(&["get", "gizmos", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("the server doesn't have a resource type \"gizmos\""), "{}", stderr(&o));
}

/// The book's Website operator (chapter 18), reduced: for each Website it
/// creates a ReplicaSet `<name>-website` of one nginx pod, owned by the
/// Website, once.
struct WebsiteOperator;

impl kubesim::component::Controller for WebsiteOperator {
    fn watches(&self) -> Vec<kubesim::objects::Kind> {
        vec![kubesim::objects::Kind::ReplicaSet]
    }
    fn watches_stored(&self) -> Vec<&'static str> {
        vec!["Website"]
    }
    fn on_watch(&mut self, ev: &kubesim::objects::store::WatchEvent, cx: &mut kubesim::component::Cx) {
        use kubesim::objects::store::{Key, WatchKind};
        let Object::Other(site) = &ev.obj else { return };
        if ev.kind == WatchKind::Deleted {
            return;
        }
        let name = format!("{}-website", site.meta.name);
        if cx.cache().get(kubesim::objects::Kind::ReplicaSet, &Key::new(&site.meta.namespace, &name)).is_some() {
            return;
        }
        let yaml = format!(
            "{{apiVersion: apps/v1, kind: ReplicaSet, metadata: {{name: {n}, namespace: {ns}}}, spec: {{replicas: 1, selector: {{matchLabels: {{website: {w}}}}}, template: {{metadata: {{labels: {{website: {w}}}}}, spec: {{containers: [{{name: main, image: nginx:alpine}}]}}}}}}}}",
            n = name,
            ns = site.meta.namespace,
            w = site.meta.name,
        );
        let text =
            format!("name: rs\nseed: 1\nduration: 1m\ncluster:\n  nodes: [{{name: x}}]\nobjects:\n  - {}\n", yaml);
        let scn = scenario::load_str(&text, "operator", std::path::Path::new(".")).expect("the operator's manifest");
        let rs = &scn.objects[0];
        let mut meta = rs.meta().clone();
        meta.owner_references = vec![kubesim::objects::meta::OwnerReference {
            api_version: site.api_version.as_str().into(),
            kind: site.kind.as_str().into(),
            name: site.meta.name.clone(),
            uid: site.meta.uid,
            controller: true,
            block_owner_deletion: true,
        }];
        cx.create(rs.with_meta(meta));
    }
}

#[test]
fn an_operator_watches_its_custom_resource_and_relists_it_after_a_crash() {
    let text = format!(
        "name: operator\nseed: 1\nduration: 2m\ncluster:\n  controllers: [\"*\", website-operator]\n  nodes: [{{name: n1}}]\nobjects:\n  - file: {m}/website-crd.yaml\ntimeline:\n  - at: 5s\n    crashController: {{name: website-operator, restartAfter: 20s}}\n  - at: 10s\n    apply: {{file: {m}/kubia-website.yaml}}\n",
        m = root().join("scenarios/manifests").display()
    );
    let scn = scenario::load_str(&text, "operator.yaml", &root()).expect("loads");
    let reg = kubesim::component::Registry::new().controller("website-operator", || WebsiteOperator);
    let sel = scn.select(&reg).expect("resolves");
    let res = runner::run(&scn, RunOptions { selection: Some(&sel), ..Default::default() });
    let store = &res.sim.store;
    // The operator was down when the Website was created; its relist at
    // 25 s showed it, and it made the ReplicaSet, whose pod runs.
    let rs = store.replicasets.values().find(|r| &*r.meta.name == "kubia-website").expect("the operator's ReplicaSet");
    assert_eq!(&*rs.meta.owner_references[0].kind, "Website");
    assert!(rs.meta.creation_timestamp >= kubesim::sim::SimTime::from_secs(25), "{:?}", rs.meta.creation_timestamp);
    let pods: Vec<_> =
        store.pods.values().filter(|p| p.meta.labels.get("website").map(|v| &**v) == Some("kubia")).collect();
    assert_eq!(pods.len(), 1);
    assert_eq!(pods[0].status.phase, kubesim::objects::pod::PodPhase::Running);
}
