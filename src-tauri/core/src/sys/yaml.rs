//! YAML that YokeFlow does not write itself (a repository's tasks file, the expertise files in `.claude/`), parsed
//! safely: before serde sees it, one streaming pass measures what its aliases would expand to, and a document whose
//! aliases add more than [`MAX_ALIAS_NODES`] nodes or [`MAX_ALIAS_BYTES`] bytes of text (an "alias bomb", which
//! grows a few hundred kilobytes into gigabytes) is refused with a clear error, in bounded memory.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, Parser};

/// Nodes that aliases may add to a document, all aliases together (a node is a scalar, a list or a map).
pub const MAX_ALIAS_NODES: u64 = 200_000;
/// Scalar text that aliases may add to a document, all aliases together.
pub const MAX_ALIAS_BYTES: u64 = 16 * 1024 * 1024;

/// Why a YAML text was not accepted; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The size of a node once its aliases are expanded.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: u64,
    bytes: u64,
}

impl Size {
    fn add(&mut self, other: Size) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

/// Refuses `text` when its aliases would expand past the limits; parse errors are reported too.
pub fn check_aliases(text: &str) -> Result<(), YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut anchors: HashMap<usize, Size> = HashMap::new();
    let mut open: Vec<(usize, Size)> = Vec::new();
    let mut added = Size::default();
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError {
            line: Some(e.marker().line() as u32),
            message: format!("invalid YAML: {}", e.info()),
        })?;
        let node = match event {
            Event::Scalar(value, _, anchor, _) => Some((anchor, Size { nodes: 1, bytes: value.len() as u64 })),
            Event::Alias(id) => {
                let size = anchors.get(&id).copied().unwrap_or_default();
                added.add(size);
                if added.nodes > MAX_ALIAS_NODES || added.bytes > MAX_ALIAS_BYTES {
                    return Err(YamlError {
                        line: Some(mark.line() as u32),
                        message: format!(
                            "its aliases (`*name`) would expand the document by more than {MAX_ALIAS_NODES} values or \
                             {} MiB of text; refused as an alias bomb (write the values out, or use fewer aliases)",
                            MAX_ALIAS_BYTES / (1024 * 1024)
                        ),
                    });
                }
                Some((0, size))
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, Size { nodes: 1, bytes: 0 }));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            Event::StreamEnd => return Ok(()),
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => None,
        };
        if let Some((anchor, size)) = node {
            if anchor != 0 {
                anchors.insert(anchor, size);
            }
            if let Some((_, parent)) = open.last_mut() {
                parent.add(size);
            }
        }
    }
}

/// [`check_aliases`], then a JSON-like value in which a key given twice in one mapping is an error (plain serde
/// keeps the last silently: a second `tasks:` would replace the whole first list).
pub fn value_from_str(text: &str) -> Result<serde_json::Value, YamlError> {
    check_aliases(text)?;
    strict_value(serde_norway::Deserializer::from_str(text))
        .map_err(|e| YamlError { line: e.location().map(|l| l.line() as u32), message: format!("invalid YAML: {e}") })
}

/// Deserializes any self-describing format (YAML, JSON) into a [`serde_json::Value`], refusing a key given twice in
/// one mapping.
pub fn strict_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
    d.deserialize_any(StrictValue)
}

struct StrictValue;

impl<'de> serde::de::DeserializeSeed<'de> for StrictValue {
    type Value = serde_json::Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<serde_json::Value, D::Error> {
        d.deserialize_any(StrictValue)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictValue {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StrictValue)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use serde::de::Error;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key_seed(StrictValue)? {
            let key = match key {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            if out.contains_key(&key) {
                return Err(A::Error::custom(format!("the key `{key}` is given twice in one mapping")));
            }
            let value = map.next_value_seed(StrictValue)?;
            out.insert(key, value);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// [`check_aliases`], then serde.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    check_aliases(text)?;
    serde_norway::from_str(text)
        .map_err(|e| YamlError { line: e.location().map(|l| l.line() as u32), message: format!("invalid YAML: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat alias bomb: one anchored list of `width` values, then `copies` lines of `width` aliases to it.
    fn flat_bomb(width: usize, copies: usize) -> String {
        let mut s = String::from("a: &a [");
        s.push_str(&vec!["xxxxxxxx"; width].join(", "));
        s.push_str("]\n");
        for i in 0..copies {
            s.push_str(&format!("b{i}: [{}]\n", vec!["*a"; width].join(", ")));
        }
        s
    }

    #[test]
    fn ordinary_anchors_pass() {
        let text = "common: &c [src/a.rs, src/b.rs]\ntasks:\n  - files: *c\n  - files: *c\n";
        let v: serde_json::Value = from_str(text).unwrap();
        assert_eq!(v["tasks"][1]["files"][1], "src/b.rs");
    }

    #[test]
    fn a_flat_bomb_is_refused_fast() {
        let text = flat_bomb(1000, 380);
        assert!(text.len() > 1_000_000);
        let t0 = std::time::Instant::now();
        let err = check_aliases(&text).unwrap_err();
        println!("{} KB refused in {:?}: {err}", text.len() / 1024, t0.elapsed());
        assert!(err.message.contains("alias bomb"), "{err}");
        assert!(err.line.is_some());
    }

    #[test]
    fn a_nested_bomb_is_refused() {
        // Each level doubles ten times over: 10^9 values from a few lines.
        let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = format!("*l{}", i - 1);
            text.push_str(&format!("l{i}: &l{i} [{}]\n", [prev.as_str(); 10].join(", ")));
        }
        let err = from_str::<serde_json::Value>(&text).unwrap_err();
        assert!(err.message.contains("alias bomb"), "{err}");
    }

    #[test]
    fn a_long_string_repeated_by_aliases_is_refused() {
        let text = format!("s: &s {}\nl: [{}]\n", "y".repeat(1 << 20), vec!["*s"; 20].join(", "));
        assert!(check_aliases(&text).is_err());
    }

    #[test]
    fn a_key_given_twice_is_refused_in_yaml_and_json() {
        let err = value_from_str("project: p\ntasks:\n  - id: a\ntasks: []\n").unwrap_err();
        assert!(err.message.contains("`tasks` is given twice"), "{err}");
        assert!(err.line.is_some(), "{err}");
        let err = value_from_str("tasks:\n  - id: a\n    id: b\n").unwrap_err();
        assert!(err.message.contains("`id` is given twice"), "{err}");
        let json = r#"{"tasks": [{"id": "a", "title": "x", "title": "y"}]}"#;
        let err = strict_value(&mut serde_json::Deserializer::from_str(json)).unwrap_err();
        assert!(err.to_string().contains("`title` is given twice"), "{err}");
        let ok = value_from_str("a: 1\nb: [1, 2.5, true, null, x]\nc: {d: e}\n").unwrap();
        assert_eq!(ok, serde_json::json!({"a": 1, "b": [1, 2.5, true, null, "x"], "c": {"d": "e"}}));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = check_aliases("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{err}");
        assert!(err.line.is_some());
    }
}
