//! The node side: kubelets and what their containers' images do.

pub mod images;
pub mod kubelet;
pub mod process;
