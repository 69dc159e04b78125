//! The trace: one record per state change, hashed as it is produced.
//!
//! Two kinds of record exist: a *write* (the store applied a create, update or
//! delete; it carries the new resourceVersion) and an *event* (a Kubernetes
//! Event such as `Scheduled` or `NodeNotReady`, what `kubectl get events`
//! shows). The JSONL file and the printed timeline are optional sinks.
//!
//! # What the trace hash covers
//!
//! The hash folds, in order, every record of the run, so it covers the
//! history (every object version written and every Event), not only the
//! end state:
//!
//! - a write: its virtual time, the store revision, the verb, the kind,
//!   namespace and name, and a digest of the **full object version** that
//!   was stored (for a delete, the last version): all metadata (name,
//!   generateName, namespace, uid, resourceVersion, generation, labels,
//!   annotations, every field of every ownerReference, creation and
//!   deletion timestamps, deletionGracePeriodSeconds), every spec field the
//!   simulator's types hold (for pods: containers and init containers with
//!   image, pull policy, command, args, ports, requests, limits, probes and
//!   hooks; restartPolicy, nodeName, nodeSelector, affinity, tolerations,
//!   grace period, schedulerName, priority), and every status field (pod
//!   phase, reason, message, hostIP, podIP, startTime, every condition with
//!   status, reason, message and time, every container status with state,
//!   lastState, ready, started, restartCount, containerID and image; node
//!   conditions, addresses, capacity, allocatable, taints, kubelet version;
//!   replica set counts and observedGeneration), and the JSON body of kinds
//!   the simulator does not model, in canonical (sorted-key) order. The
//!   digests are defined by the `Digest` impls next to each type
//!   (`objects::pod`, `objects::node`, `objects::replicaset`,
//!   `objects::meta`, …) and assembled in `objects::digest`.
//! - an Event: its canonical line `{t} E {type} {source} {reason} {kind}
//!   {namespace}/{name} {message}`.
//!
//! It does not cover what is a *view* rather than API state: container
//! logs (`kubesim logs`), the JSONL `detail` text (a human summary), the
//! printed timeline and user-error lines, CSV samples, and the simulator's
//! internal queues and informer caches (which act only through writes and
//! Events, and so are covered by their effects).
//!
//! Digests are word folds (below) over integers and strings in a fixed
//! order, so the hash is stable across runs, machines and Rust versions.

#![warn(missing_docs)]

use super::rng::fnv1a64;
use super::time::SimTime;
use std::fmt::{self, Write as _};
use std::io::Write;

/// The hash state. Words are folded with a multiply-rotate step; strings
/// eight bytes at a time (the tail zero-padded) followed by their length.
pub struct Digester(u64);

impl Default for Digester {
    fn default() -> Self {
        Self::new()
    }
}

impl Digester {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    /// A fresh state, for the digest of one part (folded into the trace's
    /// state with `u64`, so a part's digest can be computed once and kept).
    pub fn new() -> Self {
        Digester(0x6b75_6265_7369_6d21)
    }

    /// The digest of everything folded so far.
    pub fn finish(&self) -> u64 {
        self.0
    }

    /// The digest of one value, on a fresh state.
    pub fn of<T: Digest + ?Sized>(v: &T) -> u64 {
        let mut d = Digester::new();
        v.digest(&mut d);
        d.finish()
    }

    /// Folds a signed integer (as its two's-complement word).
    pub fn i64(&mut self, v: i64) {
        self.u64(v as u64);
    }

    /// A tag for a variant or for presence (`Some` / `None`), so that two
    /// shapes cannot fold to the same words.
    pub fn tag(&mut self, t: u64) {
        self.u64(t);
    }

    /// Folds one word: the primitive every other fold is built on.
    #[inline]
    pub fn u64(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(Self::K).rotate_left(29);
    }

    /// Folds a boolean as 0 or 1.
    pub fn bool(&mut self, b: bool) {
        self.u64(b as u64);
    }

    /// Folds a string: its bytes eight at a time (the tail zero-padded),
    /// then its length.
    pub fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.u64(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        self.u64(u64::from_le_bytes(tail));
        self.u64(bytes.len() as u64);
    }
}

/// Appends `v` in decimal, as `Display` writes it (`itoa`: no formatter,
/// no validation of its own digits).
fn push_decimal(out: &mut String, v: u64) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// What a value contributes to the trace hash: every field, in a fixed
/// order. Impls destructure their type exhaustively, so a field added to
/// a type without digest coverage fails to compile.
pub trait Digest {
    /// Folds every field of `self` into `d`, in a fixed order.
    fn digest(&self, d: &mut Digester);
}

impl Digest for str {
    fn digest(&self, d: &mut Digester) {
        d.str(self);
    }
}

impl Digest for String {
    fn digest(&self, d: &mut Digester) {
        d.str(self);
    }
}

impl Digest for u64 {
    fn digest(&self, d: &mut Digester) {
        d.u64(*self);
    }
}

impl Digest for u32 {
    fn digest(&self, d: &mut Digester) {
        d.u64(*self as u64);
    }
}

impl Digest for u16 {
    fn digest(&self, d: &mut Digester) {
        d.u64(*self as u64);
    }
}

impl Digest for i64 {
    fn digest(&self, d: &mut Digester) {
        d.i64(*self);
    }
}

impl Digest for i32 {
    fn digest(&self, d: &mut Digester) {
        d.i64(*self as i64);
    }
}

impl Digest for bool {
    fn digest(&self, d: &mut Digester) {
        d.bool(*self);
    }
}

impl Digest for SimTime {
    fn digest(&self, d: &mut Digester) {
        d.u64(self.0);
    }
}

impl<T: Digest + ?Sized> Digest for &T {
    fn digest(&self, d: &mut Digester) {
        (**self).digest(d);
    }
}

impl<T: Digest + ?Sized> Digest for std::rc::Rc<T> {
    fn digest(&self, d: &mut Digester) {
        (**self).digest(d);
    }
}

/// Presence is tagged: `None` and `Some(0)` differ.
impl<T: Digest> Digest for Option<T> {
    fn digest(&self, d: &mut Digester) {
        match self {
            None => d.tag(0),
            Some(v) => {
                d.tag(1);
                v.digest(d);
            }
        }
    }
}

/// The length first, so `[a, b]` + `[]` and `[a]` + `[b]` differ.
impl<T: Digest> Digest for [T] {
    fn digest(&self, d: &mut Digester) {
        d.u64(self.len() as u64);
        for v in self {
            v.digest(d);
        }
    }
}

impl<T: Digest> Digest for Vec<T> {
    fn digest(&self, d: &mut Digester) {
        self.as_slice().digest(d);
    }
}

impl<A: Digest, B: Digest> Digest for (A, B) {
    fn digest(&self, d: &mut Digester) {
        self.0.digest(d);
        self.1.digest(d);
    }
}

/// In key order (the map's own, deterministic).
impl<K: Digest, V: Digest> Digest for std::collections::BTreeMap<K, V> {
    fn digest(&self, d: &mut Digester) {
        d.u64(self.len() as u64);
        for (k, v) in self {
            k.digest(d);
            v.digest(d);
        }
    }
}

/// What kind of write the store applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// An object was created (a `WatchKind::Added` event).
    Create,
    /// An object was modified (a `WatchKind::Modified` event).
    Update,
    /// An object was removed (a `WatchKind::Deleted` event).
    Delete,
}

impl Verb {
    /// The verb as the JSONL trace spells it (`CREATE`, `UPDATE`,
    /// `DELETE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "CREATE",
            Verb::Update => "UPDATE",
            Verb::Delete => "DELETE",
        }
    }
}

/// An event record as kept in memory for the timeline and `describe`.
#[derive(Clone, Debug)]
pub struct EventRecord {
    /// When it was recorded (`lastTimestamp`).
    pub time: SimTime,
    /// `type: Warning` (else `Normal`).
    pub warning: bool,
    /// `reason`, e.g. `Scheduled`, `Killing`, `NodeNotReady`.
    pub reason: &'static str,
    /// `involvedObject.kind`.
    pub kind: &'static str,
    /// `involvedObject.namespace`.
    pub namespace: String,
    /// `involvedObject.name`.
    pub name: String,
    /// `message`.
    pub message: String,
    /// `source.component` (`default-scheduler`, `kubelet`,
    /// `node-controller`, …).
    pub source: &'static str,
}

/// The trace sink.
pub struct Trace {
    hash: Digester,
    /// The digest of the values absorbed (`absorb`), if any.
    absorbed: Option<Digester>,
    line: String,
    records: u64,
    jsonl: Option<Box<dyn Write>>,
    keep_events: bool,
    events: Vec<EventRecord>,
    io_error: Option<std::io::Error>,
    /// Reasons whose Events are kept in `tapped` for a report (`tap`).
    tap: &'static [&'static str],
    tapped: Vec<TappedEvent>,
}

/// An Event kept by `Trace::tap`: when, why, and about which object.
#[derive(Clone, Debug)]
pub struct TappedEvent {
    /// When it was recorded.
    pub time: SimTime,
    /// Its reason (one of the tapped ones).
    pub reason: &'static str,
    /// `involvedObject.kind`.
    pub kind: &'static str,
    /// `involvedObject.namespace`.
    pub namespace: String,
    /// `involvedObject.name`.
    pub name: String,
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace {
    /// An empty trace with no sinks, its hash at the initial state.
    pub fn new() -> Self {
        Trace {
            hash: Digester(fnv1a64(b"kubesim-trace-v4")),
            absorbed: None,
            line: String::with_capacity(256),
            records: 0,
            jsonl: None,
            keep_events: false,
            events: Vec::new(),
            io_error: None,
            tap: &[],
            tapped: Vec::new(),
        }
    }

    /// Keeps the Events with these reasons (whatever `keep_events` says),
    /// for a report that reads them after the run (`tapped`). What is kept
    /// never changes the trace.
    pub fn tap(&mut self, reasons: &'static [&'static str]) {
        self.tap = reasons;
    }

    /// The Events kept by `tap`, in order.
    pub fn tapped(&self) -> &[TappedEvent] {
        &self.tapped
    }

    /// Streams every record as one JSON object per line to `w`.
    pub fn set_jsonl(&mut self, w: Box<dyn Write>) {
        self.jsonl = Some(w);
    }

    /// Whether records are kept for people to read (events, and the
    /// kubelets' container logs).
    pub fn keeps_events(&self) -> bool {
        self.keep_events
    }

    /// Keeps event records in memory (for the timeline and `describe`).
    pub fn keep_events(&mut self, keep: bool) {
        self.keep_events = keep;
    }

    /// The Events kept so far (empty unless `keep_events(true)`).
    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    /// Takes the Events kept so far, leaving none.
    pub fn take_events(&mut self) -> Vec<EventRecord> {
        std::mem::take(&mut self.events)
    }

    /// The running hash of every record so far, as 16 hex digits.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash())
    }

    /// The running hash of every record so far (and of the values
    /// absorbed, when there are any).
    pub fn hash(&self) -> u64 {
        match &self.absorbed {
            None => self.hash.0,
            Some(side) => {
                let mut d = Digester(self.hash.0);
                d.u64(side.finish());
                d.0
            }
        }
    }

    /// Folds values that are not records into the hash (a traffic
    /// request's outcome): two runs with the same hash had the same ones,
    /// in the same order. They have a digest of their own, folded into the
    /// records' when the hash is read: the order in which they and the
    /// records of one instant were made does not count (a fast path may
    /// make a record in another event of the same instant).
    pub fn absorb(&mut self, words: &[u64]) {
        let side = self.absorbed.get_or_insert_with(Digester::new);
        for w in words {
            side.u64(*w);
        }
    }

    /// How many records (writes and Events) the trace holds.
    pub fn record_count(&self) -> u64 {
        self.records
    }

    /// The first I/O error met while writing the JSONL sink, if any.
    pub fn take_io_error(&mut self) -> Option<std::io::Error> {
        self.io_error.take()
    }

    /// Flushes the JSONL sink; an error is kept for `take_io_error`.
    pub fn flush(&mut self) {
        if let Some(w) = self.jsonl.as_mut() {
            if let Err(e) = w.flush() {
                self.io_error.get_or_insert(e);
            }
        }
    }

    /// Records a write applied by the store: `state` is the digest of the
    /// full object version written (see the module header), `detail` the
    /// human summary for the JSONL file.
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &mut self,
        time: SimTime,
        rev: u64,
        verb: Verb,
        kind: &str,
        namespace: &str,
        name: &str,
        state: u64,
        detail: &dyn fmt::Display,
    ) {
        self.records += 1;
        let h = &mut self.hash;
        h.u64(time.0);
        h.u64(rev);
        h.u64(verb as u64);
        h.str(kind);
        h.str(namespace);
        h.str(name);
        h.u64(state);
        if let Some(w) = self.jsonl.as_mut() {
            let detail = detail.to_string();
            let line = serde_json::json!({
                "t_ns": time.0, "t": time.to_string(), "type": "write", "rev": rev,
                "verb": verb.as_str(), "kind": kind, "namespace": namespace,
                "name": name, "detail": detail,
            });
            if let Err(e) = writeln!(w, "{}", line) {
                self.io_error.get_or_insert(e);
            }
        }
    }

    /// Records a Kubernetes Event.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &mut self,
        time: SimTime,
        warning: bool,
        source: &'static str,
        reason: &'static str,
        kind: &'static str,
        namespace: &str,
        name: &str,
        message: Message,
    ) {
        let head = Head { time, warning, source, reason, kind, namespace, name };
        self.record_event(head, |line| match message {
            Message::Display(m) => {
                let _ = write!(line, "{}", m);
            }
            Message::Parts(parts) => parts.iter().for_each(|p| line.push_str(p)),
        });
    }

    fn record_event(&mut self, h: Head, write_message: impl FnOnce(&mut String)) {
        self.records += 1;
        let ty = if h.warning { "Warning" } else { "Normal" };
        // The canonical line `{t} E {type} {source} {reason} {kind}
        // {namespace}/{name} {message}`, assembled by hand.
        let line = &mut self.line;
        line.clear();
        push_decimal(line, h.time.0);
        for (sep, part) in
            [(" E ", ty), (" ", h.source), (" ", h.reason), (" ", h.kind), (" ", h.namespace), ("/", h.name)]
        {
            line.push_str(sep);
            line.push_str(part);
        }
        line.push(' ');
        let message_at = line.len();
        write_message(line);
        self.hash.str(&self.line);
        if !self.tap.is_empty() && self.tap.contains(&h.reason) {
            self.tapped.push(TappedEvent {
                time: h.time,
                reason: h.reason,
                kind: h.kind,
                namespace: h.namespace.to_string(),
                name: h.name.to_string(),
            });
        }
        if self.jsonl.is_none() && !self.keep_events {
            return;
        }
        let message = self.line[message_at..].to_string();
        if let Some(w) = self.jsonl.as_mut() {
            let line = serde_json::json!({
                "t_ns": h.time.0, "t": h.time.to_string(), "type": "event", "eventType": ty,
                "source": h.source, "reason": h.reason, "kind": h.kind, "namespace": h.namespace,
                "name": h.name, "message": message,
            });
            if let Err(e) = writeln!(w, "{}", line) {
                self.io_error.get_or_insert(e);
            }
        }
        if self.keep_events {
            self.events.push(EventRecord {
                time: h.time,
                warning: h.warning,
                reason: h.reason,
                kind: h.kind,
                namespace: h.namespace.to_string(),
                name: h.name.to_string(),
                message,
                source: h.source,
            });
        }
    }
}

/// An event's message: formatted, or (for the events every pod produces)
/// the concatenation of parts, which skips the formatting machinery.
pub enum Message<'a> {
    /// A message formatted from a `Display` value.
    Display(&'a dyn fmt::Display),
    /// A message that is these parts, concatenated.
    Parts(&'a [&'a str]),
}

/// What every event record starts with.
struct Head<'a> {
    time: SimTime,
    warning: bool,
    source: &'static str,
    reason: &'static str,
    kind: &'static str,
    namespace: &'a str,
    name: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_decimal_writes_what_display_writes() {
        for v in [0u64, 7, 10, 999, 1_000_000_007, u64::MAX] {
            let mut s = String::from("x");
            push_decimal(&mut s, v);
            assert_eq!(s, format!("x{}", v));
        }
    }

    #[test]
    fn hash_depends_on_every_field_and_order() {
        let run = |a: &str, b: &str| {
            let mut t = Trace::new();
            t.write(SimTime(1), 1, Verb::Create, "Pod", "default", a, 7, &"x");
            t.write(SimTime(2), 2, Verb::Create, "Pod", "default", b, 7, &"x");
            t.hash()
        };
        assert_eq!(run("a", "b"), run("a", "b"));
        assert_ne!(run("a", "b"), run("b", "a"));
        assert_ne!(run("a", "b"), run("a", "c"));
        let state = |v: u64| {
            let mut t = Trace::new();
            t.write(SimTime(1), 1, Verb::Create, "Pod", "default", "a", v, &"x");
            t.hash()
        };
        assert_ne!(state(1), state(2), "the object digest is folded in");
    }

    #[test]
    fn digests_tag_shapes() {
        assert_ne!(Digester::of(&None::<u64>), Digester::of(&Some(0u64)));
        assert_ne!(Digester::of(&vec![vec![1u64], vec![]]), Digester::of(&vec![vec![], vec![1u64]]));
        assert_ne!(Digester::of(&("ab".to_string(), String::new())), Digester::of(&("a".to_string(), "b".to_string())));
        assert_eq!(Digester::of("x"), Digester::of(&"x".to_string()));
    }
}
