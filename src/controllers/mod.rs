//! The control plane: the same controllers a real cluster runs, each acting
//! only on its informer caches (kube-controller-manager's controllers share
//! one pod informer, `informer::PodInformer`) and writing only through the
//! store. Each has its own API client and rate limit (`runtime`); the
//! replication manager drains a client-go work queue (`workqueue`) with
//! its workers.

#![warn(missing_docs)]

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod endpoints;
pub mod endpointslice;
pub mod expectations;
pub mod garbagecollector;
pub mod informer;
pub mod job;
pub mod kubernetesservice;
pub mod nodelifecycle;
pub mod podgc;
pub mod replication;
pub mod scheduler;
pub mod scoretree;
pub mod servicelb;
pub mod tainteviction;
pub mod ttlafterfinished;
pub mod workqueue;
