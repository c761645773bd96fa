//! Real `expertise.yaml` files: any YAML mapping is read for what YokeFlow understands, and edited in place for
//! what it owns, so a person's free-form mental model (an `overview`, `stack`, `core_tables`, `best_practices`,
//! comments, key order, multi-line examples) survives every sync byte for byte.
//!
//! What YokeFlow understands ([`understand`]): the domain (from the folder, never the file), `confidence` (a number
//! from 0 to 1; 0.5 when absent), `usage` or `usage_count` (a whole number), `metrics` (a mapping of numbers),
//! `patterns` (a list whose items are strings, or mappings with `name`/`description`/`example`, each read as one
//! line of text), and for the router the `description` and every other string of the file ([`Understood::text`]).
//! A key whose value has another shape (a `confidence: high`) is the person's: read as absent, never written.
//!
//! What YokeFlow owns ([`edit`]): `confidence`, the usage key the file already uses (`usage` otherwise), `metrics`
//! and the items of `patterns`. An edit touches only those that changed: a value set in place, a pattern that is
//! gone removed, a new one appended; everything else of the file is left as it is (a format-preserving edit with
//! `yaml-edit`, not a re-serialisation), and the result is read back and checked before it is used.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use serde_norway::Value;

use super::domain::Expertise;
use crate::error::{CoreError, CoreResult};

/// The usage keys YokeFlow reads, in order of preference.
const USAGE_KEYS: [&str; 2] = ["usage", "usage_count"];
/// How much of a file's text the router reads.
const MAX_TEXT: usize = 16 * 1024;

/// What YokeFlow read from an expertise document.
#[derive(Debug, Clone, PartialEq)]
pub struct Understood {
    /// The domain (from its folder) with what YokeFlow understands of the file.
    pub e: Expertise,
    /// The document's own `description`, if it has one.
    pub description: Option<String>,
    /// Every string (keys and values) of the document, in order, for the router: at most 16 KiB.
    pub text: String,
    owned: Owned,
}

/// Which of the keys YokeFlow owns the document lets it write (absent, or of the expected shape).
#[derive(Debug, Clone, PartialEq)]
struct Owned {
    confidence: bool,
    /// The usage key the file uses (or would: `usage`), when it is a whole number or absent.
    usage: Option<&'static str>,
    metrics: bool,
    patterns: bool,
}

/// Reads an expertise document (module docs). Malformed YAML, a top level that is not a mapping, or a number out of
/// range is refused, naming the file and the line where YAML says it.
pub fn understand(path: &Path, bytes: &[u8], domain: &str) -> CoreResult<Understood> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| CoreError::InvalidInput(format!("{}: not UTF-8 text ({e})", path.display())))?;
    let value: Value = crate::sys::yaml::from_str(text).map_err(|e| {
        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        CoreError::InvalidInput(format!("{}{at}: malformed expertise YAML: {}", path.display(), e.message))
    })?;
    let bad = |what: String| CoreError::InvalidInput(format!("{}: {what}", path.display()));
    let root = match value {
        Value::Mapping(m) => m,
        Value::Null => serde_norway::Mapping::new(),
        _ => return Err(bad("an expertise file must be a YAML mapping (`key: value` lines)".into())),
    };
    let get = |key: &str| root.get(key);
    let mut e = Expertise::new(domain);
    let mut owned = Owned { confidence: true, usage: Some("usage"), metrics: true, patterns: true };
    match get("confidence") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) => {
            let c = n.as_f64().unwrap_or(f64::NAN);
            if !(0.0..=1.0).contains(&c) {
                return Err(bad(format!("`confidence: {n}` must be between 0 and 1")));
            }
            e.confidence = c;
        }
        Some(_) => owned.confidence = false,
    }
    owned.usage = None;
    let mut found_usage = false;
    for key in USAGE_KEYS {
        match get(key) {
            None => continue,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|u| u <= u64::from(u32::MAX)) => {
                e.usage_count = n.as_u64().unwrap_or(0) as u32;
                owned.usage = Some(key);
            }
            Some(_) => {}
        }
        found_usage = true;
        break;
    }
    if !found_usage {
        owned.usage = Some("usage");
    }
    match get("metrics") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(m)) if m.iter().all(|(k, v)| k.is_string() && v.as_f64().is_some_and(f64::is_finite)) => {
            e.metrics = m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_f64()?))).collect();
        }
        Some(_) => owned.metrics = false,
    }
    match get("patterns") {
        None | Some(Value::Null) => {}
        Some(Value::Sequence(items)) => e.patterns = items.iter().map(pattern_line).collect(),
        Some(_) => owned.patterns = false,
    }
    e.validate().map_err(|err| bad(err.to_string()))?;
    let description = get("description").and_then(Value::as_str).map(str::to_string);
    let mut words = String::new();
    collect_text(&Value::Mapping(root.clone()), &mut words);
    if words.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !words.is_char_boundary(cut) {
            cut -= 1;
        }
        words.truncate(cut);
    }
    Ok(Understood { e, description, text: words, owned })
}

/// One pattern as a line of text: a string as it is; a mapping as `name: description` (or whichever of them it has,
/// else its first string); anything else in YAML's own words.
pub fn pattern_line(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        Value::Mapping(m) => {
            let field = |k: &str| m.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
            match (field("name"), field("description")) {
                (Some(n), Some(d)) => format!("{n}: {d}"),
                (Some(one), None) | (None, Some(one)) => one.to_string(),
                (None, None) => match m.values().find_map(Value::as_str) {
                    Some(s) => s.trim().to_string(),
                    None => yaml_words(item),
                },
            }
        }
        other => yaml_words(other),
    }
}

fn yaml_words(v: &Value) -> String {
    serde_norway::to_string(v).unwrap_or_default().trim().replace('\n', " ")
}

fn collect_text(v: &Value, out: &mut String) {
    fn push(out: &mut String, s: &str) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    }
    if out.len() > MAX_TEXT {
        return;
    }
    match v {
        Value::String(s) => push(out, s),
        Value::Mapping(m) => {
            for (k, v) in m {
                if let Some(k) = k.as_str() {
                    push(out, &k.replace('_', " "));
                }
                collect_text(v, out);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|i| collect_text(i, out)),
        Value::Tagged(t) => collect_text(&t.value, out),
        _ => {}
    }
}

/// `document` (an expertise file's text) with what YokeFlow owns set to `e` (module docs): unchanged text when
/// nothing differs. Refused when the document cannot be edited in place or would not read back as `e`.
pub fn edit(path: &Path, document: &str, e: &Expertise) -> CoreResult<String> {
    let before = understand(path, document.as_bytes(), &e.domain)?;
    if same(&before.e, e) {
        return Ok(document.to_string());
    }
    let cannot = |why: String| {
        CoreError::InvalidInput(format!("{}: cannot be edited in place ({why}); it was left as it is", path.display()))
    };
    let doc = yaml_edit::Document::from_str(document).map_err(|err| cannot(err.to_string()))?;
    let root = match doc.as_mapping() {
        Some(m) => m,
        None => return Err(cannot("its top level is not a mapping".into())),
    };
    let o = &before.owned;
    if e.confidence != before.e.confidence {
        if !o.confidence {
            return Err(cannot("its `confidence` is not a number".into()));
        }
        root.set("confidence", e.confidence);
    }
    if e.usage_count != before.e.usage_count {
        let key = o.usage.ok_or_else(|| cannot("its usage is not a whole number".into()))?;
        root.set(key, i64::from(e.usage_count));
    }
    if e.metrics != before.e.metrics {
        if !o.metrics {
            return Err(cannot("its `metrics` is not a mapping of numbers".into()));
        }
        if e.metrics.is_empty() {
            root.remove("metrics");
        } else {
            let m = yaml_edit::Mapping::new();
            for (k, v) in &e.metrics {
                m.set(k.as_str(), *v);
            }
            root.set("metrics", m);
        }
    }
    if e.patterns != before.e.patterns {
        if !o.patterns {
            return Err(cannot("its `patterns` is not a list".into()));
        }
        edit_patterns(&root, &before.e.patterns, &e.patterns).map_err(cannot)?;
    }
    let text = doc.to_string();
    let after = understand(path, text.as_bytes(), &e.domain)
        .map_err(|err| cannot(format!("the edit would not read back: {err}")))?;
    if !same(&after.e, e) {
        return Err(cannot("the edit would not read back as the database has it".into()));
    }
    Ok(text)
}

/// Patterns compared as sets of lines (a file keeps its own order), the rest exactly.
fn same(a: &Expertise, b: &Expertise) -> bool {
    let sorted = |p: &[String]| {
        let mut v = p.to_vec();
        v.sort();
        v
    };
    a.confidence == b.confidence
        && a.usage_count == b.usage_count
        && a.metrics == b.metrics
        && sorted(&a.patterns) == sorted(&b.patterns)
}

/// Removes the items of `patterns` whose line is no longer wanted and appends the wanted lines it lacks.
fn edit_patterns(root: &yaml_edit::Mapping, had: &[String], want: &[String]) -> Result<(), String> {
    let seq = match root.get_sequence("patterns") {
        Some(seq) => seq,
        None => {
            let seq = yaml_edit::Sequence::new();
            for line in want {
                seq.push(line.as_str());
            }
            root.set("patterns", seq);
            return Ok(());
        }
    };
    if seq.len() != had.len() {
        return Err("its `patterns` list could not be matched item by item".into());
    }
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    for w in want {
        *left.entry(w.as_str()).or_default() += 1;
    }
    let mut remove = Vec::new();
    for (i, line) in had.iter().enumerate() {
        match left.get_mut(line.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => remove.push(i),
        }
    }
    for i in remove.into_iter().rev() {
        seq.remove(i);
    }
    for w in want {
        if let Some(n) = left.get_mut(w.as_str()).filter(|n| **n > 0) {
            *n -= 1;
            seq.push(w.as_str());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("expertise.yaml")
    }

    #[test]
    fn patterns_of_every_shape_are_lines_and_foreign_shapes_are_left_alone() {
        let text = "# the database expert\ndomain: db\noverview: |\n  Postgres 16 behind the API.\nconfidence: high\n\
                    usage_count: 7\npatterns:\n  - Use migrations\n  - name: Soft deletes\n    description: set deleted_at\n  \
                    - example: \"SELECT 1\"\n  - 42\nmetrics: {tasks: 3}\n";
        let u = understand(p(), text.as_bytes(), "database").unwrap();
        assert_eq!(u.e.domain, "database", "the folder names the domain");
        assert_eq!(u.e.patterns, ["Use migrations", "Soft deletes: set deleted_at", "SELECT 1", "42"]);
        assert_eq!((u.e.confidence, u.e.usage_count), (0.5, 7));
        assert!(!u.owned.confidence && u.owned.usage == Some("usage_count"));
        assert!(u.text.contains("Postgres 16") && u.text.contains("overview"));
        // An edit of the usage and a new pattern touch only their lines.
        let mut e = u.e.clone();
        e.usage_count = 8;
        e.patterns.push("Index foreign keys".into());
        let out = edit(p(), text, &e).unwrap();
        let gone: Vec<&str> = text.lines().filter(|l| !out.lines().any(|o| o == *l)).collect();
        let new: Vec<&str> = out.lines().filter(|l| !text.lines().any(|t| t == *l)).collect();
        assert_eq!((gone, new), (vec!["usage_count: 7"], vec!["usage_count: 8", "  - Index foreign keys"]), "{out}");
        assert!(out.contains("  - 42\n  - Index foreign keys\nmetrics: {tasks: 3}\n"), "{out}");
        // Nothing changed: the very same text.
        assert_eq!(edit(p(), text, &u.e).unwrap(), text);
        // The person's `confidence: high` is never overwritten.
        e.confidence = 0.9;
        assert!(edit(p(), text, &e).unwrap_err().to_string().contains("not a number"));
    }

    #[test]
    fn a_flow_list_of_patterns_keeps_its_style_and_a_removed_pattern_goes() {
        let text =
            "description: Payments.\npatterns: [Idempotency keys on every charge, Webhooks are verified]\nusage: 2\n";
        let mut e = understand(p(), text.as_bytes(), "payments").unwrap().e;
        e.patterns.retain(|p| p != "Webhooks are verified");
        e.patterns.push("Refunds go through the ledger".into());
        e.usage_count = 3;
        let out = edit(p(), text, &e).unwrap();
        let back = understand(p(), out.as_bytes(), "payments").unwrap().e;
        assert_eq!(back.patterns, ["Idempotency keys on every charge", "Refunds go through the ledger"], "{out}");
        assert!(out.starts_with("description: Payments.\npatterns: ["), "{out}");
        assert!(out.ends_with("usage: 3\n"), "{out}");
    }
}
