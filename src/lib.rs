//! kubesim: a deterministic discrete-event simulator of a Kubernetes cluster.
//!
//! One single-threaded event loop (`sim`) advances virtual time; the control
//! plane (`controllers`) and the nodes (`nodes`) act only through the API
//! store (`objects::store`), whose watch notifications reach them after a
//! simulated network hop. Scenarios (`scenario`) describe a cluster, the
//! manifests to apply, a timeline of operations and faults, and
//! expectations; `report` renders what `kubectl` would show.
//!
//! ```
//! use kubesim::runner::{run, RunOptions};
//! use kubesim::scenario;
//!
//! let scn = scenario::load(std::path::Path::new("scenarios/node-dies-rc-reschedules.yaml")).unwrap();
//! let result = run(&scn, RunOptions { seed: Some(42), ..Default::default() });
//! assert_eq!(result.failed(), 0, "every expectation holds");
//! // The same seed gives the same run.
//! assert_eq!(run(&scn, RunOptions { seed: Some(42), ..Default::default() }).trace_hash, result.trace_hash);
//! ```

pub mod check;
pub mod cli;
pub mod component;
pub mod config;
pub mod controllers;
pub mod lookup;
pub mod nodes;
pub mod objects;
pub mod report;
pub mod runner;
pub mod runtime;
pub mod scenario;
pub mod sim;
pub mod simulation;
#[cfg(test)]
mod testutil;
