//! Integration tests, compiled into one binary (NeXosim's layout).

mod bad_input;
mod book_commands;
mod builtin_components;
mod capacity;
mod cli;
mod custom_resources;
mod daemonsets;
mod deployments;
mod differential;
mod extended_resources;
mod finalizers;
mod golden;
mod http_clients;
mod jobs;
mod kubectl_commands;
mod kubelet_fast_paths;
mod network;
mod node_leases;
mod properties;
mod replica_set_counts;
mod replication_races;
mod scenarios;
mod scheduler_fast_path;
mod services;
mod store_rules;
mod timeline_errors;
mod traffic;
mod user_controllers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `kubesim` binary.
pub fn kubesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubesim")).args(args).current_dir(root()).output().expect("run kubesim")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every scenario file shipped in `scenarios/`.
pub fn scenario_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

pub fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}
