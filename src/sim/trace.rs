//! The trace: one record per state change, hashed as it is produced.
//!
//! Two kinds of record exist: a *write* (the store applied a create, update or
//! delete; it carries the new resourceVersion) and an *event* (a Kubernetes
//! Event such as `Scheduled` or `NodeNotReady`, what `kubectl get events`
//! shows). Each record has one canonical text line; the trace hash is FNV-1a
//! over those lines, so it is stable across runs, machines and Rust versions.
//! The line is formatted straight into the hasher, so hashing costs no
//! allocation; the JSONL file and the printed timeline are optional sinks.

use super::rng::fnv1a64;
use super::time::SimTime;
use std::fmt::{self, Write as _};
use std::io::Write;

/// The hash state. Words are folded with a multiply-rotate step; strings
/// eight bytes at a time (the tail zero-padded) followed by their length.
pub struct Digester(u64);

impl Digester {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;

    #[inline]
    pub fn u64(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(Self::K).rotate_left(29);
    }

    pub fn bool(&mut self, b: bool) {
        self.u64(b as u64);
    }

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

/// What an object contributes to the trace: its digest for the hash, and
/// its text (`Display`) for the JSONL file.
pub trait Digest: fmt::Display {
    fn digest(&self, d: &mut Digester);
}

impl Digest for &str {
    fn digest(&self, d: &mut Digester) {
        d.str(self);
    }
}

/// What kind of write the store applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Create,
    Update,
    Delete,
}

impl Verb {
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
    pub time: SimTime,
    pub warning: bool,
    pub reason: &'static str,
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    pub message: String,
    pub source: &'static str,
}

/// The trace sink.
pub struct Trace {
    hash: Digester,
    line: String,
    records: u64,
    jsonl: Option<Box<dyn Write>>,
    keep_events: bool,
    events: Vec<EventRecord>,
    io_error: Option<std::io::Error>,
}

impl Default for Trace {
    fn default() -> Self {
        Self::new()
    }
}

impl Trace {
    pub fn new() -> Self {
        Trace {
            hash: Digester(fnv1a64(b"kubesim-trace-v3")),
            line: String::with_capacity(256),
            records: 0,
            jsonl: None,
            keep_events: false,
            events: Vec::new(),
            io_error: None,
        }
    }

    /// Streams every record as one JSON object per line to `w`.
    pub fn set_jsonl(&mut self, w: Box<dyn Write>) {
        self.jsonl = Some(w);
    }

    /// Keeps event records in memory (for the timeline and `describe`).
    /// Whether records are kept for people to read (events, and the
    /// kubelets' container logs).
    pub fn keeps_events(&self) -> bool {
        self.keep_events
    }

    pub fn keep_events(&mut self, keep: bool) {
        self.keep_events = keep;
    }

    pub fn events(&self) -> &[EventRecord] {
        &self.events
    }

    pub fn take_events(&mut self) -> Vec<EventRecord> {
        std::mem::take(&mut self.events)
    }

    /// The running hash of every record so far, as 16 hex digits.
    pub fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash.0)
    }

    pub fn hash(&self) -> u64 {
        self.hash.0
    }

    pub fn record_count(&self) -> u64 {
        self.records
    }

    /// The first I/O error met while writing the JSONL sink, if any.
    pub fn take_io_error(&mut self) -> Option<std::io::Error> {
        self.io_error.take()
    }

    pub fn flush(&mut self) {
        if let Some(w) = self.jsonl.as_mut() {
            if let Err(e) = w.flush() {
                self.io_error.get_or_insert(e);
            }
        }
    }

    /// Records a write applied by the store.
    #[allow(clippy::too_many_arguments)]
    pub fn write(
        &mut self,
        time: SimTime,
        rev: u64,
        verb: Verb,
        kind: &str,
        namespace: &str,
        name: &str,
        detail: &dyn Digest,
    ) {
        self.records += 1;
        let h = &mut self.hash;
        h.u64(time.0);
        h.u64(rev);
        h.u64(verb as u64);
        h.str(kind);
        h.str(namespace);
        h.str(name);
        detail.digest(h);
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
    Display(&'a dyn fmt::Display),
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
            t.write(SimTime(1), 1, Verb::Create, "Pod", "default", a, &"x");
            t.write(SimTime(2), 2, Verb::Create, "Pod", "default", b, &"x");
            t.hash()
        };
        assert_eq!(run("a", "b"), run("a", "b"));
        assert_ne!(run("a", "b"), run("b", "a"));
        assert_ne!(run("a", "b"), run("a", "c"));
    }
}
