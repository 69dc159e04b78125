//! The control plane: the same controllers a real cluster runs, each acting
//! only on its own informer caches and writing only through the store.

pub mod expectations;
pub mod garbagecollector;
pub mod nodelifecycle;
pub mod podgc;
pub mod podsbynode;
pub mod replication;
pub mod scheduler;
pub mod tainteviction;
