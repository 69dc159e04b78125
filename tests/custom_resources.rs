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
