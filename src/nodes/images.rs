//! What a container of a given image does, from the scenario's `images:`
//! section (keyed by image name, with or without tag), plus per-pod
//! overrides from the `kubesim.io/run-duration` and `kubesim.io/exit-code`
//! annotations (how workload traces give each pod its own run time).

#![warn(missing_docs)]

use crate::sim::SimDuration;
use std::collections::BTreeMap;

/// What the process of a container running one image does: one entry of
/// the scenario's `images:`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageBehavior {
    /// Time to pull the image when it is not cached on the node.
    pub pull: Option<SimDuration>,
    /// Time from container create to running (replaces `containerStart`).
    pub start: Option<SimDuration>,
    /// The process exits this long after it started (`None`: runs forever).
    pub exit_after: Option<SimDuration>,
    /// The code it exits with then.
    pub exit_code: i32,
    /// An HTTP server in the container.
    pub http: Option<HttpBehavior>,
    /// A plain TCP listener.
    pub tcp_port: Option<u16>,
    /// The app accepts connections only this long after it started.
    pub listen_after: SimDuration,
    /// What the process does on SIGTERM.
    pub sigterm: Sigterm,
    /// Files present in the container when it starts (for exec probes).
    pub files: Vec<String>,
    /// Exit code of exec commands the simulator does not know.
    pub exec_default: i32,
    /// Pulls of this image fail with this message (a missing tag, a
    /// private registry).
    pub pull_error: Option<String>,
    /// Memory use: `start` bytes at start, growing `per_second`; past the
    /// container's memory limit the OOM killer ends it (137, OOMKilled).
    pub memory: Option<MemoryUse>,
    /// The image's `ENTRYPOINT` (`command:`): what the container runs in
    /// the simulated shell when the pod sets no `command` (`nodes::shell`).
    pub command: Vec<String>,
    /// The image's `CMD` (`args:`): its arguments, unless the pod sets
    /// `command` or `args`.
    pub args: Vec<String>,
}

/// A process's memory use over time: linear growth from a start value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUse {
    /// Bytes in use at start.
    pub start: u64,
    /// Bytes added per second.
    pub per_second: u64,
}

impl MemoryUse {
    /// How long after the start the use first exceeds `limit`.
    pub fn time_to_exceed(&self, limit: u64) -> Option<SimDuration> {
        if self.start > limit {
            return Some(SimDuration::ZERO);
        }
        if self.per_second == 0 {
            return None;
        }
        // The first whole nanosecond at which start + rate × t > limit.
        let over = (limit - self.start) as u128 + 1;
        let ns = (over * 1_000_000_000).div_ceil(self.per_second as u128);
        Some(SimDuration(ns.min(u64::MAX as u128) as u64))
    }
}

/// An HTTP server in the container, which HTTP probes reach.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpBehavior {
    /// The port it listens on.
    pub port: u16,
    /// Requests served before every later one gets HTTP 500 (the
    /// kubia-unhealthy image: 5). Probe requests count.
    pub fail_after_requests: Option<u64>,
    /// Status of a good response (200).
    pub status: u16,
    /// How long it takes to answer (a probe fails if this exceeds its
    /// `timeoutSeconds`).
    pub response_time: SimDuration,
}

/// The process's reaction to SIGTERM (docs/kubernetes-behaviour.md §2.6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sigterm {
    /// No handler: the signal's default action ends the process (143).
    #[default]
    Exit,
    /// PID 1 without a handler (Node.js in a container): nothing happens,
    /// the kill ends in SIGKILL (137).
    Ignore,
    /// A handler that shuts down for this long, then exits 0.
    ExitAfter(SimDuration),
}

/// The pod annotation that sets how long its containers run before they
/// exit (overrides the image's `exit_after`).
pub const ANNOTATION_RUN_DURATION: &str = "kubesim.io/run-duration";
/// The pod annotation that sets the code its containers exit with
/// (overrides the image's `exit_code`).
pub const ANNOTATION_EXIT_CODE: &str = "kubesim.io/exit-code";

/// The annotation that overrides the behaviour of one pod's images.
pub const ANNOTATION_BEHAVIOR: &str = "kubesim.io/behavior";

/// The images a scenario describes.
#[derive(Clone, Debug, Default)]
pub struct ImageCatalog {
    /// Behaviours by image name (with or without tag).
    pub images: BTreeMap<String, ImageBehavior>,
    /// Per-pod overrides (`kubesim.io/behavior`), parsed when the scenario
    /// was loaded: by (annotation text, image), the behaviour the image
    /// has in a pod carrying that annotation, or why the text is invalid.
    pub overrides: BTreeMap<(String, String), Result<ImageBehavior, String>>,
    /// Some image declares a `command` or `args` (else a pod without its
    /// own has no script, and the kubelet looks no image up for one).
    pub has_commands: bool,
}

impl ImageCatalog {
    /// Looks an image up by its full reference, then without the tag or
    /// digest (`luksa/kubia:v1` matches an entry `luksa/kubia`).
    pub fn get(&self, image: &str) -> Option<&ImageBehavior> {
        if self.images.is_empty() {
            return None;
        }
        if let Some(b) = self.images.get(image) {
            return Some(b);
        }
        let base = strip_tag(image);
        self.images.get(base)
    }
}

/// `registry:5000/app:v1` → `registry:5000/app`; digests are dropped too.
pub fn strip_tag(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_stripping() {
        assert_eq!(strip_tag("luksa/kubia:v1"), "luksa/kubia");
        assert_eq!(strip_tag("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(strip_tag("localhost:5000/app:1"), "localhost:5000/app");
        assert_eq!(strip_tag("app@sha256:abc"), "app");
    }
}

#[cfg(test)]
mod memory_tests {
    use super::*;

    #[test]
    fn time_to_exceed_a_limit() {
        let mi = 1u64 << 20;
        let m = MemoryUse { start: 100 * mi, per_second: 2 * mi };
        // 100 MiB of headroom at 2 MiB/s: 50 s, plus the time to use one
        // more byte (⌈10⁹ / 2²¹⌉ = 477 ns), which takes it over the limit.
        assert_eq!(m.time_to_exceed(200 * mi), Some(SimDuration(50_000_000_477)));
        assert_eq!(MemoryUse { start: 300 * mi, per_second: 0 }.time_to_exceed(200 * mi), Some(SimDuration::ZERO));
        assert_eq!(MemoryUse { start: 10 * mi, per_second: 0 }.time_to_exceed(200 * mi), None);
    }
}
