//! The node side: kubelets and what their containers' images do.

#![warn(missing_docs)]

pub mod images;
pub mod kubelet;
pub mod process;
pub mod service_env;
pub mod shell;
