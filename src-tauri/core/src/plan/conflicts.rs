//! Predicted file conflicts: two tasks conflict when their predicted files may overlap. Concrete paths are
//! indexed in a hash map (equal paths), each glob is matched only against the concrete paths sharing its
//! literal prefix, and globs are compared with each other by literal prefix buckets, so the cost follows the
//! number of overlaps rather than the square of the number of tasks.
//!
//! Two globs overlap when their literal prefixes (up to the first wildcard) are prefix-related and their
//! literal suffixes (after the last wildcard) are suffix-related: conservative, it never misses a real overlap.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobMatcher};

use super::{ConflictPair, PlanTask};

const META: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

/// The conflict relation over input positions.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConflictIndex {
    /// For each task, the tasks it conflicts with (sorted).
    pub adjacency: Vec<Vec<usize>>,
    /// Every conflicting pair, ordered by input position.
    pub pairs: Vec<ConflictPair>,
}

/// The predicted conflicts between tasks, in input order (`a` before `b`).
pub fn predict_conflicts(tasks: &[PlanTask]) -> Vec<ConflictPair> {
    ConflictIndex::new(tasks).pairs
}

fn normalize(p: &str) -> String {
    let mut p = p.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    if p.ends_with('/') {
        format!("{p}**")
    } else {
        p.to_string()
    }
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

struct GlobInfo<'a> {
    pattern: &'a str,
    prefix: &'a str,
    suffix: &'a str,
    tasks: Vec<usize>,
}

/// Matches a path against a glob with globset's default semantics (`*` and `?` also match `/`). Patterns
/// made only of literals, `*` and `?` take a fast path; the rest go through globset.
enum Matcher<'a> {
    Simple(&'a [u8]),
    Compiled(GlobMatcher),
    /// An invalid glob is treated as "everything under its literal prefix".
    Invalid,
}

impl<'a> Matcher<'a> {
    fn new(pattern: &'a str) -> Matcher<'a> {
        if !pattern.contains("**") && !pattern.contains(['[', ']', '{', '}', '\\']) {
            return Matcher::Simple(pattern.as_bytes());
        }
        match GlobBuilder::new(pattern).build() {
            Ok(glob) => Matcher::Compiled(glob.compile_matcher()),
            Err(_) => Matcher::Invalid,
        }
    }

    fn is_match(&self, path: &str) -> bool {
        match self {
            Matcher::Simple(p) => wildcard_match(p, path.as_bytes()),
            Matcher::Compiled(m) => m.is_match(path),
            Matcher::Invalid => true,
        }
    }
}

/// `*` matches any run of bytes, `?` any single character, everything else itself.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == text[t] || (pattern[p] == b'?' && is_char_start(text, t))) {
            if pattern[p] == b'?' {
                t += utf8_len(text[t]);
            } else {
                t += 1;
            }
            p += 1;
        } else if let Some((bp, bt)) = backtrack {
            p = bp + 1;
            t = bt + 1;
            backtrack = Some((bp, bt + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn is_char_start(text: &[u8], i: usize) -> bool {
    text[i] & 0xC0 != 0x80
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

fn related(a: &GlobInfo, b: &GlobInfo) -> bool {
    (a.prefix.starts_with(b.prefix) || b.prefix.starts_with(a.prefix))
        && (a.suffix.ends_with(b.suffix) || b.suffix.ends_with(a.suffix))
}

impl ConflictIndex {
    pub fn new(tasks: &[PlanTask]) -> ConflictIndex {
        let files: Vec<Vec<String>> = tasks
            .iter()
            .map(|t| {
                let mut f: Vec<String> =
                    t.predicted_files.iter().map(|p| normalize(p)).filter(|p| !p.is_empty()).collect();
                f.sort_unstable();
                f.dedup();
                f
            })
            .collect();
        Self::from_files(tasks, &files)
    }

    fn from_files<'a>(tasks: &[PlanTask], files: &'a [Vec<String>]) -> ConflictIndex {
        let n = tasks.len();

        let mut concrete: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut glob_pos: HashMap<&str, usize> = HashMap::new();
        let mut globs: Vec<GlobInfo> = Vec::new();
        for (i, fs) in files.iter().enumerate() {
            for f in fs {
                if is_glob(f) {
                    let g = *glob_pos.entry(f.as_str()).or_insert_with(|| {
                        let start = f.find(META).unwrap_or(f.len());
                        let end = f.rfind(META).map(|k| k + 1).unwrap_or(0);
                        globs.push(GlobInfo { pattern: f, prefix: &f[..start], suffix: &f[end..], tasks: Vec::new() });
                        globs.len() - 1
                    });
                    globs[g].tasks.push(i);
                } else {
                    concrete.entry(f.as_str()).or_default().push(i);
                }
            }
        }

        // (a, b, file) with a < b; sorted and grouped at the end.
        let mut found: Vec<(u32, u32, &'a str)> = Vec::new();
        let mut add_all = |xs: &[usize], ys: &[usize], file: &[&'a str], same: bool| {
            for (k, &x) in xs.iter().enumerate() {
                for &y in if same { &ys[k + 1..] } else { ys } {
                    if x != y {
                        let (a, b) = (x.min(y) as u32, x.max(y) as u32);
                        found.extend(file.iter().map(|f| (a, b, *f)));
                    }
                }
            }
        };

        // Equal concrete paths.
        let mut paths: Vec<(&str, &Vec<usize>)> = concrete.iter().map(|(p, t)| (*p, t)).collect();
        paths.sort_unstable_by_key(|(p, _)| *p);
        for (p, ts) in &paths {
            if ts.len() > 1 {
                add_all(ts, ts, &[p], true);
            }
        }
        // Globs against concrete paths sharing their literal prefix.
        for g in &globs {
            let from = paths.partition_point(|(p, _)| *p < g.prefix);
            let mut matcher: Option<Matcher> = None;
            for (p, ts) in paths[from..].iter().take_while(|(p, _)| p.starts_with(g.prefix)) {
                if !p.ends_with(g.suffix) {
                    continue;
                }
                if matcher.get_or_insert_with(|| Matcher::new(g.pattern)).is_match(p) {
                    add_all(&g.tasks, ts, &[p], false);
                }
            }
        }
        // Globs against globs: same pattern, then prefix-related buckets.
        let mut by_prefix: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, g) in globs.iter().enumerate() {
            if g.tasks.len() > 1 {
                add_all(&g.tasks, &g.tasks, &[g.pattern], true);
            }
            by_prefix.entry(g.prefix).or_default().push(k);
        }
        for (k, g) in globs.iter().enumerate() {
            for cut in (0..=g.prefix.len()).filter(|&c| g.prefix.is_char_boundary(c)) {
                let Some(bucket) = by_prefix.get(&g.prefix[..cut]) else {
                    continue;
                };
                for &other in bucket {
                    // Equal prefixes are met from both sides: take each pair once.
                    if (cut == g.prefix.len() && other <= k) || !related(g, &globs[other]) {
                        continue;
                    }
                    add_all(&g.tasks, &globs[other].tasks, &[g.pattern, globs[other].pattern], false);
                }
            }
        }

        found.sort_unstable();
        found.dedup();
        let mut adjacency = vec![Vec::new(); n];
        let mut pairs: Vec<ConflictPair> = Vec::new();
        for group in found.chunk_by(|x, y| (x.0, x.1) == (y.0, y.1)) {
            let (a, b) = (group[0].0 as usize, group[0].1 as usize);
            adjacency[a].push(b);
            adjacency[b].push(a);
            pairs.push(ConflictPair {
                a: tasks[a].id.clone(),
                b: tasks[b].id.clone(),
                files: group.iter().map(|x| x.2.to_string()).collect(),
            });
        }
        for adj in &mut adjacency {
            adj.sort_unstable();
        }
        ConflictIndex { adjacency, pairs }
    }
}
