//! `--set PATH=VALUE`: a value written into the scenario's YAML tree before
//! it is loaded, so a sweep varies any field the file has (or could have)
//! and the loader checks the result as it checks the file.
//!
//! PATH is dotted keys with `[i]` for list items:
//! `cluster.nodes[0].count`, `cluster.config.nodeMonitorGracePeriod`.
//! Missing mapping keys are created (a knob the file leaves at its
//! default); a list index must exist; a path through a scalar is an error.

#![warn(missing_docs)]

use super::yaml::{self, Node, Value};

/// One step of a path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Parses `a.b[0].c` into its steps.
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    if path.is_empty() {
        return Err("empty path".into());
    }
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(format!("`{}`: empty key in the path", path));
        }
        steps.push(Step::Key(key.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(|| format!("`{}`: `[` without `]`", path))?;
            let idx = rest[1..close]
                .parse::<usize>()
                .map_err(|_| format!("`{}`: `{}` is not a list index", path, &rest[1..close]))?;
            steps.push(Step::Index(idx));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{}`: unexpected `{}` after an index", path, rest));
            }
        }
    }
    Ok(steps)
}

/// The YAML node of a `--set` value: its text parsed as YAML (`10` is a
/// number, `5ms` a string, `[a, b]` or `{k: v}` a collection).
pub fn value_node(value: &str, pos: yaml::Pos) -> Result<Node, String> {
    let mut docs = yaml::parse_documents(value).map_err(|e| format!("value `{}`: {}", value, e.message))?;
    let mut node = match docs.len() {
        0 => Node { value: Value::Scalar { text: String::new(), plain: true }, pos },
        1 => docs.pop().expect("one"),
        _ => return Err(format!("value `{}` holds more than one YAML document", value)),
    };
    relocate(&mut node, pos);
    Ok(node)
}

/// Puts every node of a `--set` value at the position it replaces, so
/// the loader's messages point at the scenario's line.
fn relocate(n: &mut Node, pos: yaml::Pos) {
    n.pos = pos;
    match &mut n.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| relocate(i, pos)),
        Value::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            relocate(k, pos);
            relocate(v, pos);
        }),
        Value::Scalar { .. } => {}
    }
}

/// Writes `value` at `path` in `doc`.
pub fn set(doc: &mut Node, path: &str, value: &str) -> Result<(), String> {
    let steps = parse_path(path)?;
    let mut cur = doc;
    for (i, step) in steps.iter().enumerate() {
        let pos = cur.pos;
        let last = i + 1 == steps.len();
        cur = match step {
            Step::Key(k) => {
                if cur.is_null() {
                    cur.value = Value::Map(Vec::new());
                }
                let Value::Map(pairs) = &mut cur.value else {
                    return Err(format!("`{}`: `{}` is not in a mapping", path, k));
                };
                let at = match pairs.iter().position(|(key, _)| key.scalar_text() == Some(k)) {
                    Some(at) => at,
                    None => {
                        let key = Node { value: Value::Scalar { text: k.clone(), plain: true }, pos };
                        let empty = Node { value: Value::Scalar { text: String::new(), plain: true }, pos };
                        pairs.push((key, empty));
                        pairs.len() - 1
                    }
                };
                &mut pairs[at].1
            }
            Step::Index(idx) => {
                let Value::Seq(items) = &mut cur.value else {
                    return Err(format!("`{}`: [{}] indexes something that is not a list", path, idx));
                };
                let len = items.len();
                items
                    .get_mut(*idx)
                    .ok_or_else(|| format!("`{}`: index {} is out of range (the list has {})", path, idx, len))?
            }
        };
        if last {
            let node = value_node(value, cur.pos)?;
            *cur = node;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Node {
        yaml::parse_documents(s).unwrap().pop().unwrap()
    }

    #[test]
    fn paths_parse_keys_and_indexes() {
        assert_eq!(
            parse_path("cluster.nodes[0].count").unwrap(),
            vec![Step::Key("cluster".into()), Step::Key("nodes".into()), Step::Index(0), Step::Key("count".into())]
        );
        assert_eq!(parse_path("a[1][2]").unwrap(), vec![Step::Key("a".into()), Step::Index(1), Step::Index(2)]);
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b", ".a"] {
            assert!(parse_path(bad).is_err(), "{}", bad);
        }
    }

    #[test]
    fn set_replaces_creates_and_refuses() {
        let mut d = doc("cluster:\n  nodes:\n    - namePrefix: n\n      count: 3\n  config: {}\n");
        set(&mut d, "cluster.nodes[0].count", "10").unwrap();
        set(&mut d, "cluster.config.nodeMonitorGracePeriod", "20s").unwrap();
        set(&mut d, "seed", "7").unwrap();
        let j = d.to_json();
        assert_eq!(j["cluster"]["nodes"][0]["count"], 10);
        assert_eq!(j["cluster"]["config"]["nodeMonitorGracePeriod"], "20s");
        assert_eq!(j["seed"], 7);
        // The replaced node keeps the line it replaced.
        let count = d.get("cluster").unwrap().get("nodes").unwrap().as_seq().unwrap()[0].get("count").unwrap();
        assert_eq!(count.pos.line, 4);
        assert!(set(&mut d, "cluster.nodes[3].count", "1").unwrap_err().contains("out of range"));
        assert!(set(&mut d, "cluster.nodes[0].count.x", "1").unwrap_err().contains("not in a mapping"));
        assert!(set(&mut d, "cluster[0]", "1").unwrap_err().contains("not a list"));
    }
}
