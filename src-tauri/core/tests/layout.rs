//! The core's layout shows its architecture, and this test keeps it so (ARCHITECTURE.md, "Layers"):
//! - no import cycle between the core's files (a file's imports are every `crate::`, `super::` and `self::` path in
//!   its code, and the child modules it names; doc comments and the inline test module do not count), so each
//!   file can be read knowing only what it imports;
//! - each subsystem folder uses only the folders below it in the layers written in ARCHITECTURE.md;
//! - nothing inside the crate goes through the crate root's re-exports (they are for other crates);
//! - no file holds more than 800 lines of code before its tests.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

type Module = Vec<String>;

fn core_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every source file of the library (not its binaries), by module path (`[]` is the crate root).
fn modules() -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = core_dir().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter(|f| !f.starts_with(src.join("bin")))
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Module = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            (parts, f)
        })
        .collect()
}

/// The code of a file without comments, the contents of string and char literals, and its inline test module.
fn code_of(text: &str) -> String {
    let text = match find_test_module(text) {
        Some(at) => &text[..at],
        None => text,
    };
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !prev_is_ident(&b, i) {
            // A raw string: r"…", r#"…"#, …
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (b.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('x', '\n', '\u{1b}'); a lifetime ('a) has no closing quote after one char.
            i += 1;
            if b[i] == '\\' {
                i += 1;
            }
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// Where the inline test module starts (`#[cfg(test)]` followed by `mod name {`), if the file has one.
fn find_test_module(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]") {
        let start = from + at;
        let rest = text[start + "#[cfg(test)]".len()..].trim_start();
        if let Some(after) = rest.strip_prefix("mod ") {
            let name_end = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
            if after[name_end..].trim_start().starts_with('{') {
                return Some(start);
            }
        }
        from = start + 1;
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths of a use tree (`a::{b, c::{d, e}}`), each as its segments, after `prefix`.
fn expand_tree(prefix: &[String], tree: &str, out: &mut Vec<Module>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let base: Vec<String> =
            tree[..open].split("::").map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut item = String::new();
        let mut items = Vec::new();
        for ch in inner.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(std::mem::take(&mut item));
                    continue;
                }
                _ => {}
            }
            item.push(ch);
        }
        items.push(item);
        let mut full = prefix.to_vec();
        full.extend(base);
        for it in items.iter().filter(|s| !s.trim().is_empty()) {
            expand_tree(&full, it, out);
        }
    } else {
        let path = tree.split(" as ").next().unwrap_or("");
        let mut full = prefix.to_vec();
        full.extend(
            path.split("::").map(str::trim).filter(|s| !s.is_empty() && *s != "*" && *s != "self").map(String::from),
        );
        out.push(full);
    }
}

/// Every module path a file's code names: its `use` declarations and the other `crate::`/`super::`/`self::` paths,
/// resolved against the module `of`, plus the child modules it names by their own name.
fn named_paths(of: &Module, code: &str, children: &[String]) -> Vec<Module> {
    let parent: Module = of[..of.len().saturating_sub(1)].to_vec();
    let base = |word: &str| -> Option<Module> {
        match word {
            "crate" => Some(Vec::new()),
            "super" => Some(parent.clone()),
            "self" => Some(of.clone()),
            _ => None,
        }
    };
    let mut out = Vec::new();
    // Use declarations (their trees may span lines and hold braces).
    let mut rest_code = String::new();
    let mut i = 0;
    let bytes = code;
    while i < bytes.len() {
        let at = bytes[i..].find("use ").map(|a| a + i);
        let Some(at) = at else {
            rest_code.push_str(&bytes[i..]);
            break;
        };
        let word_start = at == 0 || !bytes[..at].ends_with(is_ident);
        if !word_start {
            rest_code.push_str(&bytes[i..at + 4]);
            i = at + 4;
            continue;
        }
        let end = bytes[at..].find(';').map(|e| e + at).unwrap_or(bytes.len());
        let tree = bytes[at + 4..end].trim();
        let head = tree.split("::").next().unwrap_or("").trim();
        if let Some(prefix) = base(head) {
            expand_tree(&prefix, tree[head.len()..].trim_start_matches(':'), &mut out);
        } else if children.iter().any(|c| c == head) {
            expand_tree(of, tree, &mut out);
        }
        rest_code.push_str(&bytes[i..at]);
        i = end + 1;
    }
    // Other paths: `crate::a::b`, `super::x`, `self::y`, and `child::z`.
    let rc: Vec<char> = rest_code.chars().collect();
    let mut k = 0;
    while k < rc.len() {
        if !is_ident(rc[k]) || (k > 0 && (is_ident(rc[k - 1]) || rc[k - 1] == ':')) {
            k += 1;
            continue;
        }
        let mut segs = Vec::new();
        let mut j = k;
        loop {
            let s = j;
            while j < rc.len() && is_ident(rc[j]) {
                j += 1;
            }
            segs.push(rc[s..j].iter().collect::<String>());
            if rc.get(j) == Some(&':') && rc.get(j + 1) == Some(&':') && rc.get(j + 2).is_some_and(|c| is_ident(*c)) {
                j += 2;
            } else {
                break;
            }
        }
        if segs.len() > 1 {
            if let Some(mut prefix) = base(&segs[0]) {
                prefix.extend(segs[1..].iter().cloned());
                out.push(prefix);
            } else if children.contains(&segs[0]) {
                let mut p = of.clone();
                p.extend(segs.iter().cloned());
                out.push(p);
            }
        }
        k = j.max(k + 1);
    }
    out
}

struct Graph {
    files: BTreeMap<Module, PathBuf>,
    edges: BTreeMap<Module, BTreeSet<Module>>,
    through_root: Vec<String>,
}

fn graph() -> Graph {
    let files = modules();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut through_root = Vec::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let code = code_of(&text);
        let children: Vec<String> = files
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m.last().unwrap().clone())
            .collect();
        for named in named_paths(module, &code, &children) {
            // The longest prefix that is a file of the crate.
            let target = (0..=named.len()).rev().map(|n| named[..n].to_vec()).find(|p| files.contains_key(p));
            let Some(target) = target else { continue };
            if target.is_empty() {
                if !module.is_empty() && !named.is_empty() {
                    through_root.push(format!("{} names `crate::{}`", path.display(), named.join("::")));
                }
                continue;
            }
            if &target != module {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    Graph { files, edges, through_root }
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<Module>> {
    struct T<'a> {
        g: &'a Graph,
        index: HashMap<&'a Module, usize>,
        low: HashMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on: BTreeSet<&'a Module>,
        next: usize,
        out: Vec<Vec<Module>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Module) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        let g = t.g;
        for w in g.edges.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                scc.push(w.clone());
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort();
                t.out.push(scc);
            }
        }
    }
    let mut t = T {
        g,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: vec![],
    };
    for m in g.files.keys() {
        if !t.index.contains_key(m) {
            visit(&mut t, m);
        }
    }
    t.out
}

fn show(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// The layers written in ARCHITECTURE.md: the fenced block after the "## Layers" heading, top layer first, each
/// line one layer of space-separated folders (or root files). Returns each name's layer, 0 at the bottom.
fn layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(core_dir().join("../../ARCHITECTURE.md")).unwrap();
    let section = doc.split("\n## Layers").nth(1).expect("ARCHITECTURE.md has a `## Layers` section");
    let block = section.split("```").nth(1).expect("the Layers section has a fenced block");
    let lines: Vec<&str> = block.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "text").collect();
    let mut out = BTreeMap::new();
    for (k, line) in lines.iter().enumerate() {
        let layer = lines.len() - 1 - k;
        for name in line.split_whitespace() {
            assert!(out.insert(name.to_string(), layer).is_none(), "`{name}` is named twice in the Layers block");
        }
    }
    out
}

#[test]
fn no_import_cycle_between_the_core_files() {
    let g = graph();
    assert!(g.files.len() > 60, "the walk found the core's files ({})", g.files.len());
    assert!(g.edges.values().map(BTreeSet::len).sum::<usize>() > 200, "the scan found the imports");
    let found = cycles(&g);
    let text: Vec<String> = found
        .iter()
        .map(|scc| {
            let members: Vec<String> = scc.iter().map(show).collect();
            let inner: Vec<String> = scc
                .iter()
                .flat_map(|a| {
                    g.edges[a].iter().filter(|b| scc.contains(b)).map(move |b| format!("{} -> {}", show(a), show(b)))
                })
                .collect();
            format!("{{{}}}: {}", members.join(", "), inner.join("; "))
        })
        .collect();
    assert!(found.is_empty(), "import cycles between files of the core:\n{}", text.join("\n"));
}

#[test]
fn each_folder_uses_only_the_layers_below_it() {
    let g = graph();
    let layers = layers();
    let mut wrong = Vec::new();
    let mut unplaced = BTreeSet::new();
    for (from, tos) in &g.edges {
        let Some(a) = from.first() else { continue };
        for to in tos {
            let b = &to[0];
            if a == b {
                continue;
            }
            match (layers.get(a), layers.get(b)) {
                (Some(la), Some(lb)) if la > lb => {}
                (Some(_), Some(_)) => wrong.push(format!("{} -> {}", show(from), show(to))),
                (None, _) => {
                    unplaced.insert(a.clone());
                }
                (_, None) => {
                    unplaced.insert(b.clone());
                }
            }
        }
    }
    assert!(unplaced.is_empty(), "folders missing from ARCHITECTURE.md's Layers: {unplaced:?}");
    assert!(wrong.is_empty(), "uses of a layer at or above the user's own:\n{}", wrong.join("\n"));
}

#[test]
fn the_crate_root_re_exports_are_not_used_inside_the_crate() {
    let g = graph();
    assert!(g.through_root.is_empty(), "paths through the crate root:\n{}", g.through_root.join("\n"));
}

#[test]
fn no_file_holds_more_than_800_lines_of_code_before_its_tests() {
    let mut long = Vec::new();
    let src = core_dir().join("src");
    let mut all: Vec<PathBuf> = modules().into_values().collect();
    for bin in std::fs::read_dir(src.join("bin")).unwrap() {
        all.push(bin.unwrap().path());
    }
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = match find_test_module(&text) {
            Some(at) => &text[..at],
            None => &text,
        };
        let lines = code.lines().count();
        if lines > MAX_LINES {
            long.push(format!("{} ({lines} lines)", path.strip_prefix(&src).unwrap().display()));
        }
    }
    assert!(long.is_empty(), "files over {MAX_LINES} lines before their tests:\n{}", long.join("\n"));
}

#[test]
fn the_scan_sees_every_kind_of_import() {
    let code = code_of(
        "use crate::a::{b::{C, d}, e as f};\nuse super::g;\n// crate::commented::out\nfn x() { crate::h::i(); \
         super::j::K; child::L; let s = \"crate::in_a_string\"; let c = '\"'; }\n#[cfg(test)]\nmod tests {\n    \
         use crate::only_in_tests;\n}\n",
    );
    let of: Module = vec!["m".into(), "n".into()];
    let mut named: Vec<String> = named_paths(&of, &code, &["child".into()]).iter().map(|p| p.join("::")).collect();
    named.sort();
    assert_eq!(named, ["a::b::C", "a::b::d", "a::e", "h::i", "m::g", "m::j::K", "m::n::child::L"]);
}
