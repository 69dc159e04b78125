pub mod action;
pub mod workload;
pub mod yaml;
