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
    fn syntax_errors_name_the_line() {
        let err = check_aliases("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{err}");
        assert!(err.line.is_some());
    }
}
