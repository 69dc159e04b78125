//! A property test of a user's controller: the scenario of
//! `examples/scenarios/my-replicaset.yaml` under random node outages, with
//! Kubernetes invariants checked after every event and once the faults
//! stop. The correct controller passes; the buggy one (it counts
//! Terminating pods as live) fails, and the failure is shrunk to one fault
//! and printed with a scenario that replays it.
//!
//! ```text
//! cargo run --release --example check_controller [CASES]
//! ```

#[path = "controllers/replicaset.rs"]
mod replicaset;

use kubesim::check::{invariants, Check, FaultSpace};
use kubesim::component::Registry;

/// The example scenario, with `name` in place of `my-replicaset`.
fn scenario(name: &str) -> Check {
    let path = "examples/scenarios/my-replicaset.yaml";
    let text = std::fs::read_to_string(path).expect("run from the repository's root");
    Check::from_str(
        &text.replace("my-replicaset]", &format!("{}]", name)),
        path,
        std::path::Path::new("examples/scenarios"),
    )
    .expect("the example scenario loads")
}

fn check(buggy: bool, cases: u32) -> Result<kubesim::check::Report, Box<kubesim::check::Failure>> {
    // Both are registered, as in `my_kubesim`: a failure's scenario replays
    // with that binary.
    let registry = Registry::new()
        .controller("my-replicaset", replicaset::SimpleReplicaSet::new)
        .controller("buggy-replicaset", replicaset::SimpleReplicaSet::buggy);
    scenario(if buggy { "buggy-replicaset" } else { "my-replicaset" })
        .registry(registry)
        .faults(FaultSpace::nodes(&["node-1", "node-2", "node-3"], "4m").max_faults(3))
        .property(invariants::resource_versions_increase())
        .property(invariants::admitted_within_allocatable())
        .property(invariants::replica_sets_stable("10m"))
        .cases(cases)
        .run()
}

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() {
    let cases = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    match check(false, cases) {
        Ok(r) => println!("my-replicaset: {} cases passed", r.cases),
        Err(f) => println!("my-replicaset FAILED:\n{}", f),
    }
    match check(true, cases) {
        Ok(r) => println!("buggy-replicaset: {} cases passed (the bug was not found)", r.cases),
        Err(f) => println!("buggy-replicaset failed, as it should:\n{}", f),
    }
}
