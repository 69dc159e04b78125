//! YAML documents as trees whose every node knows its line and column.
//!
//! This is the only module that touches the YAML crate, so it can be swapped
//! without touching the rest. We build our own tree from the parser's marked
//! events because a plain value tree (serde_yaml's `Value`) forgets where a
//! node came from, and every input error must name its file, line and column.
//!
//! Scalars keep their source text and whether they were quoted; the typed
//! accessors resolve plain scalars with the YAML 1.2 core schema, which is
//! what Kubernetes' own YAML decoding (via JSON) accepts: `replicas: 3` is an
//! integer, `cpu: "2"` a string, `gpu: true` a boolean (and so not a valid
//! label value).

#![warn(missing_docs)]

use super::limits::{excessive_aliasing, MAX_YAML_DEPTH};
use std::collections::BTreeMap;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in a source file (1-based line and column).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub col: usize,
}

/// A YAML node's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar with its source text; `plain` is false when it was quoted or
    /// a block scalar (then it is always a string).
    Scalar {
        /// The scalar's text, unescaped.
        text: String,
        /// Unquoted (its type is resolved by the core schema).
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, its pairs in file order.
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The content.
    pub value: Value,
    /// Where it starts in the file.
    pub pos: Pos,
}

/// A scalar resolved by the YAML 1.2 core schema.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved<'a> {
    /// `null`, `~` or empty.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer that fits in `int64` (decimal, `0o` octal or `0x` hex).
    Int(i64),
    /// A float (including `.inf` and `.nan`).
    Float(f64),
    /// Anything else, or a quoted scalar.
    Str(&'a str),
}

impl Node {
    /// Whether the node is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Some(Resolved::Null))
    }

    /// The resolved scalar, or `None` for a sequence or mapping.
    pub fn resolve(&self) -> Option<Resolved<'_>> {
        match &self.value {
            Value::Scalar { text, plain: false } => Some(Resolved::Str(text)),
            Value::Scalar { text, plain: true } => Some(resolve_plain(text)),
            _ => None,
        }
    }

    /// The scalar's source text, whatever its type (`2`, `"2"` and `2.0`
    /// all give their text). Quantities and durations are parsed from this.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The pairs of a mapping, or `None`.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items of a sequence, or `None`.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.scalar_text() == Some(key)).map(|(_, v)| v)
    }

    /// A short name of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.resolve() {
            None => match self.value {
                Value::Seq(_) => "a list",
                _ => "a mapping",
            },
            Some(Resolved::Null) => "null",
            Some(Resolved::Bool(_)) => "a boolean",
            Some(Resolved::Int(_)) => "an integer",
            Some(Resolved::Float(_)) => "a number",
            Some(Resolved::Str(_)) => "a string",
        }
    }

    /// Converts to JSON (for `-o json` and kept-but-unmodelled fields).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Seq(s) => serde_json::Value::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => {
                let mut out = serde_json::Map::new();
                for (k, v) in m {
                    out.insert(k.scalar_text().unwrap_or("?").to_string(), v.to_json());
                }
                serde_json::Value::Object(out)
            }
            Value::Scalar { .. } => match self.resolve().expect("scalar") {
                Resolved::Null => serde_json::Value::Null,
                Resolved::Bool(b) => b.into(),
                Resolved::Int(i) => i.into(),
                Resolved::Float(f) => {
                    serde_json::Number::from_f64(f).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
                }
                Resolved::Str(s) => s.into(),
            },
        }
    }
}

fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Resolved::Int(i);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Resolved::Int(i);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Resolved::Int(i);
        }
    }
    let looks_float =
        digits.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'-' || b == b'+')
            && digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
            && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_float {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

/// A YAML syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's message.
    pub message: String,
}

/// Parses every document of a (possibly multi-document) YAML stream.
/// Empty documents (a lone `---`) are skipped.
///
/// The parser is driven event by event (not by its recursive `load`), so
/// nesting deeper than `MAX_YAML_DEPTH` and alias expansion beyond
/// go-yaml's budget stop the parse with an error at once.
pub fn parse_documents(src: &str) -> Result<Vec<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(src);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| SyntaxError {
            pos: Pos { line: e.marker().line(), col: e.marker().col() + 1 },
            message: e.info().to_string(),
        })?;
        let end = ev == Event::StreamEnd;
        builder.on_event(ev, mark);
        if let Some(err) = builder.error.take() {
            return Err(err);
        }
        if end {
            break;
        }
    }
    Ok(builder.docs.into_iter().filter(|d| !d.is_null()).collect())
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    /// Open collections: the node, its anchor, and how many nodes it holds.
    stack: Vec<(Node, usize, u64)>,
    pending_key: Vec<Option<Node>>,
    /// Anchored nodes with their size in nodes.
    anchors: BTreeMap<usize, (Node, u64)>,
    /// Nodes decoded so far, and how many of them came from aliases (as
    /// go-yaml counts them in `decoder.unmarshal`).
    decode_count: u64,
    alias_count: u64,
    error: Option<SyntaxError>,
}

impl Builder {
    fn pos(mark: &Marker) -> Pos {
        Pos { line: mark.line(), col: mark.col() + 1 }
    }

    /// Attaches a finished node of `size` nodes to its parent (or makes it
    /// a document).
    fn attach(&mut self, node: Node, anchor: usize, size: u64) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some((parent, _, parent_size)) = self.stack.last_mut() else {
            self.docs.push(node);
            return;
        };
        *parent_size += size;
        match &mut parent.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => {
                let slot = self.pending_key.last_mut().expect("map has a key slot");
                match slot.take() {
                    None => *slot = Some(node),
                    Some(key) => {
                        if let Some(k) = key.scalar_text() {
                            if entries.iter().any(|(e, _)| e.scalar_text() == Some(k)) {
                                self.error.get_or_insert(SyntaxError {
                                    pos: key.pos,
                                    message: format!("duplicate key `{}`", k),
                                });
                            }
                        }
                        entries.push((key, node));
                    }
                }
            }
            Value::Scalar { .. } => unreachable!("scalars have no children"),
        }
    }

    fn open(&mut self, value: Value, pos: Pos, anchor: usize) {
        if self.stack.len() >= MAX_YAML_DEPTH {
            self.error
                .get_or_insert(SyntaxError { pos, message: format!("nesting deeper than {} levels", MAX_YAML_DEPTH) });
            return;
        }
        self.decode_count += 1;
        self.stack.push((Node { value, pos }, anchor, 1));
        self.pending_key.push(None);
    }

    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Self::pos(&mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = matches!(style, TScalarStyle::Plain);
                self.decode_count += 1;
                self.attach(Node { value: Value::Scalar { text, plain }, pos }, anchor, 1);
            }
            Event::SequenceStart(anchor, _) => self.open(Value::Seq(Vec::new()), pos, anchor),
            Event::MappingStart(anchor, _) => self.open(Value::Map(Vec::new()), pos, anchor),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((node, anchor, size)) = self.stack.pop() else {
                    self.error.get_or_insert(SyntaxError { pos, message: "unbalanced collection".into() });
                    return;
                };
                self.pending_key.pop();
                self.attach(node, anchor, size);
            }
            Event::Alias(id) => {
                // Count the expansion before copying it, so a bomb stops
                // before it is built.
                let size = self.anchors.get(&id).map_or(1, |(_, s)| *s);
                self.decode_count += size;
                self.alias_count += size;
                if excessive_aliasing(self.alias_count, self.decode_count) {
                    // go-yaml's words for the same refusal.
                    self.error
                        .get_or_insert(SyntaxError { pos, message: "document contains excessive aliasing".into() });
                    return;
                }
                let node = match self.anchors.get(&id) {
                    Some((n, _)) => n.clone(),
                    None => Node { value: Value::Scalar { text: String::new(), plain: true }, pos },
                };
                self.attach(node, 0, size);
            }
            Event::DocumentStart => self.anchors.clear(),
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let docs = parse_documents("a: 1\nb:\n  c: x\n").unwrap();
        let b = docs[0].get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!(c.pos, Pos { line: 3, col: 6 });
        assert_eq!(docs[0].get("a").unwrap().resolve(), Some(Resolved::Int(1)));
    }

    #[test]
    fn multi_document_and_types() {
        let docs = parse_documents("---\nx: \"2\"\n---\nx: 2\n---\nx: true\n---\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].get("x").unwrap().resolve(), Some(Resolved::Str("2")));
        assert_eq!(docs[1].get("x").unwrap().resolve(), Some(Resolved::Int(2)));
        assert_eq!(docs[2].get("x").unwrap().resolve(), Some(Resolved::Bool(true)));
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_documents("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn anchors_and_aliases() {
        let docs = parse_documents("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(docs[0].get("b").unwrap().get("k").unwrap().scalar_text(), Some("v"));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut src = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='j' {
            src.push_str(&format!(
                "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                c = c,
                p = prev
            ));
            prev = c;
        }
        let err = parse_documents(&src).unwrap_err();
        assert_eq!(err.message, "document contains excessive aliasing");
    }

    #[test]
    fn modest_aliasing_is_fine() {
        let src = "base: &b {cpu: 1, memory: 1Gi}\n".to_string()
            + &(0..200).map(|i| format!("n{}: *b\n", i)).collect::<String>();
        assert!(parse_documents(&src).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Flow collections stop in the scanner (255 levels); block ones here.
        let err = parse_documents(&"[".repeat(100_000)).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
        let block: String = (0..10_000).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let err = parse_documents(&block).unwrap_err();
        assert!(err.message.contains("nesting deeper than 100 levels"), "{}", err.message);
        let ok = format!("{}1{}", "[".repeat(50), "]".repeat(50));
        assert!(parse_documents(&ok).is_ok());
    }
}
