//! Load errors and warnings: each names the file, line, column and field.

#![warn(missing_docs)]

use super::yaml::{Node, Pos};
use std::collections::BTreeSet;
use std::fmt;

/// One problem in a scenario (or a file it references), printed as
/// `file:line:col: field: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file, as the user named it.
    pub file: String,
    /// Where in the file (1-based line and column), when known.
    pub pos: Option<Pos>,
    /// The field path, e.g. `objects[0].spec.replicas`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: ", self.file, p.line, p.col)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found while loading (loading goes on after an error, so
/// one run reports them all).
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    /// The errors, in the order found.
    pub errors: Vec<LoadError>,
    /// The warnings, each once, as printed lines.
    pub warnings: Vec<String>,
    seen_warnings: BTreeSet<String>,
}

impl Diagnostics {
    /// Records an error at `node`'s position (if given) in `file`, on
    /// `field`.
    pub fn error(&mut self, file: &str, node: Option<&Node>, field: &str, message: impl Into<String>) {
        self.error_at(file, node.map(|n| n.pos), field, message);
    }

    /// Records an error at `pos` (if given) in `file`, on `field`.
    pub fn error_at(&mut self, file: &str, pos: Option<Pos>, field: &str, message: impl Into<String>) {
        self.errors.push(LoadError { file: file.to_string(), pos, field: field.to_string(), message: message.into() });
    }

    /// A warning shown once per `dedup` key.
    pub fn warn_once(&mut self, dedup: String, text: String) {
        if self.seen_warnings.insert(dedup) {
            self.warnings.push(text);
        }
    }
}

/// Multiple errors, as returned by the loader.
#[derive(Clone, Debug)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {}", e)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}
