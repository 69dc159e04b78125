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
//!
//! Users plug their own controllers in (`component`): a controller watches
//! kinds through its informer cache and acts only through API requests.
//! This one labels every pod it sees with the node it landed on:
//!
//! ```
//! use kubesim::component::{Controller, Cx, Registry};
//! use kubesim::objects::{store::WatchEvent, Kind, Object};
//! use kubesim::runner::{run, RunOptions};
//! use std::rc::Rc;
//!
//! struct NodeLabeler;
//! impl Controller for NodeLabeler {
//!     fn watches(&self) -> Vec<Kind> { vec![Kind::Pod] }
//!     fn on_watch(&mut self, ev: &WatchEvent, cx: &mut Cx) {
//!         let Object::Pod(p) = &ev.obj else { return };
//!         let (Some(node), None) = (p.node_name(), p.meta.labels.get("landed-on")) else { return };
//!         let mut meta = p.meta.clone();
//!         Rc::make_mut(&mut meta.labels).insert("landed-on".into(), node.into());
//!         cx.update(ev.obj.with_meta(meta)); // a Conflict comes back if it moved on
//!     }
//! }
//!
//! let text = std::fs::read_to_string("scenarios/node-dies-rc-reschedules.yaml").unwrap()
//!     .replace("cluster:\n", "cluster:\n  controllers: [\"*\", node-labeler]\n");
//! let scn = kubesim::scenario::load_str(&text, "labeled.yaml", "scenarios".as_ref()).unwrap();
//! let sel = scn.select(&Registry::new().controller("node-labeler", || NodeLabeler)).unwrap();
//! let result = run(&scn, RunOptions { selection: Some(&sel), ..Default::default() });
//! assert!(result.sim.store.pods.values().all(|p| p.meta.labels.get("landed-on").map(|n| &**n) == p.node_name()));
//! ```
//!
//! `check` runs such a scenario under random fault schedules and shrinks
//! a broken invariant to the smallest schedule that breaks it.

#![warn(missing_docs)]
mod alloc;
pub mod check;
pub mod cli;
pub mod component;
pub mod config;
pub(crate) mod controllers;
pub mod kinds;
pub(crate) mod lookup;
pub(crate) mod nodes;
pub mod objects;
pub mod plan;
pub(crate) mod proxy;
pub mod report;
pub mod runner;
pub(crate) mod runtime;
pub mod scenario;
pub mod sim;
pub mod simulation;
pub mod sweep;
#[cfg(test)]
mod testutil;
pub mod traffic;

pub use alloc::Allocator;

/// What a user of the library needs most, in one import:
/// `use kubesim::prelude::*;`.
pub mod prelude {
    pub use crate::check::{invariants, Check, Fault, FaultSchedule, FaultSpace, Property};
    pub use crate::component::{Cache, Controller, Cx, HttpResponse, Registry, RequestId};
    pub use crate::objects::meta::{ObjectMeta, OwnerReference};
    pub use crate::objects::pod::{Pod, PodPhase};
    pub use crate::objects::replicaset::ReplicaSet;
    pub use crate::objects::selector::Selector;
    pub use crate::objects::store::{ApiError, ApiErrorCode, ApiOp, Key, WatchEvent, WatchKind};
    pub use crate::objects::{Kind, Object};
    pub use crate::runner::{run, RunOptions, RunResult};
    pub use crate::scenario::{load, load_str, Scenario};
    pub use crate::sim::{SimDuration, SimTime};
    pub use crate::simulation::{KubeletView, Simulation, SimulationBuilder};
    pub use crate::traffic::stats::Outcome;
}
