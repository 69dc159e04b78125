//! A small typed reader over positional YAML: each accessor records a
//! precise error (file, line, column, field path) instead of failing fast.

#![warn(missing_docs)]

use super::error::Diagnostics;
use super::yaml::{Node, Resolved, Value};
use crate::objects::duration::parse_duration;
use crate::objects::quantity::{parse_quantity, Quantity};
use crate::objects::validation;
use crate::sim::SimDuration;
use std::collections::BTreeMap;

/// How unknown keys of a mapping are treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// The scenario's own keys: an unknown key is an error.
    Error,
    /// Manifest fields: kept, and reported once as not simulated.
    Warn,
}

/// Reads one file's YAML, recording every error in `diag`.
pub struct Reader<'a> {
    /// The file's name, as messages give it.
    pub file: &'a str,
    /// Where errors and warnings go.
    pub diag: &'a mut Diagnostics,
}

/// A mapping being read; `done` reports the keys nobody asked for.
pub struct Fields<'n> {
    /// The mapping.
    pub node: &'n Node,
    /// Its field path, e.g. `objects[0].spec`.
    pub path: String,
    used: Vec<bool>,
}

/// The field path of `key` under `path` (`path.key`, or `key` at the top).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{}.{}", path, key)
    }
}

impl<'a> Reader<'a> {
    /// Records an error at `node`'s position, on `field`.
    pub fn err(&mut self, node: &Node, field: &str, msg: impl Into<String>) {
        self.diag.error(self.file, Some(node), field, msg);
    }

    /// Opens a mapping; a non-mapping is an error.
    pub fn fields<'n>(&mut self, node: &'n Node, path: &str) -> Option<Fields<'n>> {
        match &node.value {
            Value::Map(m) => Some(Fields { node, path: path.to_string(), used: vec![false; m.len()] }),
            _ if node.is_null() => None,
            _ => {
                self.err(node, path, format!("expected a mapping, found {}", node.type_name()));
                None
            }
        }
    }

    /// Finishes a mapping: every key not read is an error or a
    /// not-simulated warning, per `unknown`; `what` ends the message
    /// (e.g. ` in Pod`).
    pub fn done(&mut self, f: Fields<'_>, unknown: Unknown, what: &str) {
        let Value::Map(m) = &f.node.value else { return };
        for ((k, _), used) in m.iter().zip(&f.used) {
            if *used {
                continue;
            }
            let key = k.scalar_text().unwrap_or("?");
            let field = join(&f.path, key);
            match unknown {
                Unknown::Error => self.err(k, &field, format!("unknown field `{}`{}", key, what)),
                Unknown::Warn => {
                    // Report once per field of a kind, without list indices.
                    let generic: String = strip_indices(&field);
                    let line = k.pos.line;
                    self.diag.warn_once(
                        format!("{}|{}", what, generic),
                        format!(
                            "warning: {}:{}: {}: field not simulated (kept, ignored){}",
                            self.file, line, field, what
                        ),
                    );
                }
            }
        }
    }

    /// A string (a quoted scalar, or a plain one the core schema resolves
    /// as a string: `"2"` yes, `2` and `true` no).
    pub fn str(&mut self, node: &Node, field: &str) -> Option<String> {
        match node.resolve() {
            Some(Resolved::Str(s)) => Some(s.to_string()),
            _ => {
                self.err(node, field, format!("expected a string, found {}", node.type_name()));
                None
            }
        }
    }

    /// A string, or a plain scalar of any type taken as text (for fields
    /// such as `kubectl:` commands and selector strings).
    pub fn text(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } if !node.is_null() => Some(text.clone()),
            _ => {
                self.err(node, field, format!("expected a string, found {}", node.type_name()));
                None
            }
        }
    }

    /// An integer (`int64`).
    pub fn int(&mut self, node: &Node, field: &str) -> Option<i64> {
        match node.resolve() {
            Some(Resolved::Int(i)) => Some(i),
            _ => {
                self.err(node, field, format!("expected an integer, found {}", node.type_name()));
                None
            }
        }
    }

    /// An integer in `min..=max`: Kubernetes' `int32` fields (replicas,
    /// ports, probe seconds) and the like. Out of range is a field error,
    /// never a wrap.
    pub fn int_in(&mut self, node: &Node, field: &str, min: i64, max: i64) -> Option<i64> {
        let i = self.int_checked(node, field)?;
        if i < min {
            self.err(node, field, format!("must be greater than or equal to {}, got {}", min, i));
            return None;
        }
        if i > max {
            self.err(node, field, format!("must be less than or equal to {}, got {}", max, i));
            return None;
        }
        Some(i)
    }

    /// A non-negative `int32`.
    pub fn int32(&mut self, node: &Node, field: &str) -> Option<i32> {
        self.int_in(node, field, 0, i32::MAX as i64).map(|v| v as i32)
    }

    /// Like `int`, but an integer beyond `int64` (which YAML resolves as
    /// a float) is named as out of range.
    fn int_checked(&mut self, node: &Node, field: &str) -> Option<i64> {
        if let (Some(Resolved::Float(_)), Some(text)) = (node.resolve(), node.scalar_text()) {
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                self.err(node, field, format!("`{}` is out of range: an integer must fit in int64", text));
                return None;
            }
        }
        self.int(node, field)
    }

    /// A non-negative integer.
    pub fn uint(&mut self, node: &Node, field: &str) -> Option<u64> {
        let i = self.int_checked(node, field)?;
        if i < 0 {
            self.err(node, field, format!("must be non-negative, got {}", i));
            return None;
        }
        Some(i as u64)
    }

    /// `true` or `false`.
    pub fn bool(&mut self, node: &Node, field: &str) -> Option<bool> {
        match node.resolve() {
            Some(Resolved::Bool(b)) => Some(b),
            _ => {
                self.err(node, field, format!("expected true or false, found {}", node.type_name()));
                None
            }
        }
    }

    /// A duration with a unit (`30s`, `5m`, `1h30m`, `250ms`); a bare 0 is
    /// allowed, other bare numbers are errors.
    pub fn duration(&mut self, node: &Node, field: &str) -> Option<SimDuration> {
        let text = match node.resolve() {
            Some(Resolved::Str(s)) => s.to_string(),
            Some(Resolved::Int(0)) => "0".into(),
            Some(Resolved::Int(i)) => {
                self.err(node, field, format!("`{}` has no unit; write a duration such as {}s or {}m", i, i, i));
                return None;
            }
            _ => {
                self.err(node, field, format!("expected a duration such as 30s, found {}", node.type_name()));
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(node, field, e);
                None
            }
        }
    }

    /// A Kubernetes quantity (`500m`, `2`, `1Gi`).
    pub fn quantity(&mut self, node: &Node, field: &str) -> Option<Quantity> {
        let text = match node.resolve() {
            Some(Resolved::Str(_) | Resolved::Int(_) | Resolved::Float(_)) => {
                node.scalar_text().unwrap_or("").to_string()
            }
            _ => {
                self.err(node, field, format!("expected a quantity such as 500m or 1Gi, found {}", node.type_name()));
                return None;
            }
        };
        match parse_quantity(&text) {
            Ok(q) if q.is_negative() => {
                self.err(node, field, format!("`{}` must not be negative", text));
                None
            }
            Ok(q) => Some(q),
            Err(e) => {
                self.err(node, field, e);
                None
            }
        }
    }

    /// CPU as millicores (`MilliValue`, which must fit in `int64`).
    pub fn cpu(&mut self, node: &Node, field: &str) -> Option<u64> {
        let q = self.quantity(node, field)?;
        match q.millicores_checked() {
            Some(m) => Some(m),
            None => {
                let text = node.scalar_text().unwrap_or("");
                self.err(node, field, format!("`{}` is too large: CPU must be at most 2^63-1 millicores", text));
                None
            }
        }
    }

    /// A quantity as whole units (bytes, pods), rounded up.
    pub fn bytes(&mut self, node: &Node, field: &str) -> Option<u64> {
        self.quantity(node, field).map(|q| q.value())
    }

    /// Reads the extended resources (`vendor.example/name`, as
    /// `resources::is_extended_resource_name` tells) of a resource list
    /// into `out`, marking them read. Amounts must be whole numbers
    /// (`ValidateResourceQuantityValue`: "must be an integer").
    pub fn extended(&mut self, f: &mut Fields<'_>, out: &mut crate::objects::resources::Extended) {
        for key in f.keys() {
            if !crate::objects::resources::is_extended_resource_name(key) {
                continue;
            }
            let Some(n) = f.get(key) else { continue };
            let field = f.field(key);
            let Some(q) = self.quantity(n, &field) else { continue };
            match q.millicores_checked() {
                Some(m) if m % 1000 == 0 => out.set(key.into(), m / 1000),
                _ => {
                    let text = n.scalar_text().unwrap_or("").to_string();
                    self.err(n, &field, validation::invalid(&text, &["must be an integer".to_string()]))
                }
            }
        }
    }

    /// Checks a value with one of `objects::validation`'s rules; a problem
    /// is an error worded as the apiserver words it.
    pub fn valid(&mut self, node: &Node, field: &str, value: &str, errs: Vec<String>) -> bool {
        if errs.is_empty() {
            return true;
        }
        self.err(node, field, validation::invalid(value, &errs));
        false
    }

    /// `metadata.labels` (or any label map): keys are qualified names,
    /// values label values (`ValidateLabels`).
    pub fn labels(&mut self, node: &Node, field: &str) -> BTreeMap<String, String> {
        let out = self.string_map(node, field);
        if let Some(m) = node.as_map() {
            for (k, v) in m {
                let key = k.scalar_text().unwrap_or("");
                let f = join(field, key);
                self.valid(k, &f, key, validation::qualified_name(key));
                if let Some(val) = out.get(key) {
                    self.valid(v, &f, val, validation::label_value(val));
                }
            }
        }
        out
    }

    /// `metadata.annotations`: keys are qualified names
    /// (`ValidateAnnotations`).
    pub fn annotations(&mut self, node: &Node, field: &str) -> BTreeMap<String, String> {
        let out = self.string_map(node, field);
        if let Some(m) = node.as_map() {
            for (k, _) in m {
                let key = k.scalar_text().unwrap_or("");
                // Upstream lower-cases annotation keys before the check.
                self.valid(k, &join(field, key), key, validation::qualified_name(&key.to_ascii_lowercase()));
            }
        }
        out
    }

    /// A list's items (none for null); anything else is an error.
    pub fn seq<'n>(&mut self, node: &'n Node, field: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(s) => s,
            _ if node.is_null() => &[],
            _ => {
                self.err(node, field, format!("expected a list, found {}", node.type_name()));
                &[]
            }
        }
    }

    /// A list of scalars, each taken as text.
    pub fn string_list(&mut self, node: &Node, field: &str) -> Vec<String> {
        let items = self.seq(node, field);
        items.iter().enumerate().filter_map(|(i, n)| self.text(n, &format!("{}[{}]", field, i))).collect()
    }

    /// A `map[string]string` (labels, annotations, nodeSelector).
    pub fn string_map(&mut self, node: &Node, field: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(m) = node.as_map() else {
            if !node.is_null() {
                self.err(node, field, format!("expected a mapping of strings, found {}", node.type_name()));
            }
            return out;
        };
        for (k, v) in m {
            let key = k.scalar_text().unwrap_or("").to_string();
            let f = join(field, &key);
            if let Some(s) = self.str(v, &f) {
                out.insert(key, s);
            }
        }
        out
    }
}

impl<'n> Fields<'n> {
    /// The value of `key`, if present; marks it as read.
    pub fn get(&mut self, key: &str) -> Option<&'n Node> {
        let Value::Map(m) = &self.node.value else {
            return None;
        };
        for (i, (k, v)) in m.iter().enumerate() {
            if k.scalar_text() == Some(key) {
                self.used[i] = true;
                return Some(v);
            }
        }
        None
    }

    /// Marks keys as read without reading them.
    pub fn skip(&mut self, keys: &[&str]) {
        for k in keys {
            self.get(k);
        }
    }

    /// The field path of `key` in this mapping.
    pub fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The mapping's keys, in file order.
    pub fn keys(&self) -> Vec<&'n str> {
        self.node.as_map().map(|m| m.iter().filter_map(|(k, _)| k.scalar_text()).collect()).unwrap_or_default()
    }
}

fn strip_indices(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}
