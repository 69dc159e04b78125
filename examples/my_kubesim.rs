//! A user's own kubesim binary: the full `kubesim` command line, with the
//! user's controllers compiled in (as kube-scheduler's out-of-tree plugins
//! are, with `app.NewSchedulerCommand(app.WithPlugin(...))`).
//!
//! ```text
//! cargo run --release --example my_kubesim -- run examples/scenarios/my-replicaset.yaml
//! cargo run --release --example my_kubesim -- get pods --at 1m examples/scenarios/my-replicaset.yaml
//! ```

#[path = "controllers/replicaset.rs"]
mod replicaset;

use kubesim::component::Registry;

#[global_allocator]
static ALLOCATOR: kubesim::Allocator = kubesim::Allocator;

fn main() -> std::process::ExitCode {
    let registry = Registry::new()
        .controller("my-replicaset", replicaset::SimpleReplicaSet::new)
        // The same controller with its bug.
        .controller("buggy-replicaset", replicaset::SimpleReplicaSet::buggy);
    kubesim::cli::main_with(registry)
}
