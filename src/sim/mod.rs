//! The engine: virtual time, the event queue, named RNG streams and the trace.
//!
//! Nothing here knows about Kubernetes; `crate::simulation` builds the
//! cluster's event loop on top of these pieces.

#![warn(missing_docs)]

pub mod latency;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;

pub use queue::EventQueue;
pub use time::{SimDuration, SimTime};
pub use trace::Trace;
