//! Timeline actions: what a scenario (or a library user) does to the cluster
//! at a given virtual time. kubectl verbs and faults both become these.

use crate::objects::node::Node;
use crate::objects::store::Propagation;
use crate::objects::{Kind, Object};
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum Action {
    /// `kubectl apply`: create, or update metadata and spec if it exists.
    Apply(Vec<Object>),
    /// `kubectl create` / `run`: create; an existing object is an error.
    Create(Vec<Object>),
    Delete {
        kind: Kind,
        namespace: String,
        /// A name, or every object matching `selector` when `None`.
        name: Option<String>,
        selector: Option<String>,
        grace_seconds: Option<u64>,
        propagation: Propagation,
    },
    Scale {
        kind: Kind,
        namespace: String,
        name: String,
        replicas: i32,
    },
    /// `kubectl label` / `annotate`: set pairs and remove keys (`key-`).
    Label {
        kind: Kind,
        namespace: String,
        name: String,
        set: Vec<(String, String)>,
        remove: Vec<String>,
        overwrite: bool,
        annotate: bool,
    },
    Cordon {
        node: String,
        unschedulable: bool,
    },
    /// `kubectl drain`: cordon, then evict every pod on the node (pods with
    /// no controller only with `force`).
    Drain {
        node: String,
        force: bool,
        grace_seconds: Option<u64>,
    },
    CrashNode(String),
    RestartNode(String),
    AddNode(Rc<Node>),
}
