//! Predicted file conflicts: two tasks conflict when their predicted files may overlap. Concrete paths are
//! indexed in a hash map (equal paths), each glob is matched only against the concrete paths sharing its
//! literal prefix, and globs are compared with each other by literal prefix buckets, so the cost follows the
//! number of overlaps rather than the square of the number of tasks.
//!
//! Two globs overlap when their literal prefixes (up to the first wildcard) are prefix-related and their
//! literal suffixes (after the last wildcard) are suffix-related: conservative, it never misses a real overlap.

use std::collections::{BTreeMap, HashMap};

use globset::{GlobBuilder, GlobMatcher};

use super::{types::ConflictGroup, types::ConflictPair, types::PlanTask};

const META: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

/// The predicted conflicts between tasks as pairs, in input order (`a` before `b`); quadratic in the size of a
/// group, so for small inputs (a plan stores [`ConflictGroup`]s).
pub fn predict_conflicts(tasks: &[PlanTask]) -> Vec<ConflictPair> {
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    Conflicts::new(tasks).pairs(&ids)
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

impl Conflicts {
    pub fn new(tasks: &[PlanTask]) -> Conflicts {
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

    fn from_files<'a>(tasks: &[PlanTask], files: &'a [Vec<String>]) -> Conflicts {
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

        // Groups: members (input positions) and the files they share. Any two members conflict.
        let mut raw: Vec<(Vec<usize>, Vec<&'a str>)> = Vec::new();
        let mut paths: Vec<(&str, &Vec<usize>)> = concrete.iter().map(|(p, t)| (*p, t)).collect();
        paths.sort_unstable_by_key(|(p, _)| *p);
        // A concrete path: the tasks naming it and those with a glob matching it.
        let mut glob_matches: Vec<Vec<usize>> = vec![Vec::new(); paths.len()];
        for g in &globs {
            let from = paths.partition_point(|(p, _)| *p < g.prefix);
            let mut matcher: Option<Matcher> = None;
            for (k, (p, _)) in paths.iter().enumerate().skip(from).take_while(|(_, (p, _))| p.starts_with(g.prefix)) {
                if p.ends_with(g.suffix) && matcher.get_or_insert_with(|| Matcher::new(g.pattern)).is_match(p) {
                    glob_matches[k].extend(&g.tasks);
                }
            }
        }
        for (k, (p, ts)) in paths.iter().enumerate() {
            raw.push((ts.iter().chain(&glob_matches[k]).copied().collect(), vec![*p]));
        }
        // A glob: the tasks naming it; two prefix-related globs: the tasks of both.
        let mut by_prefix: HashMap<&str, Vec<usize>> = HashMap::new();
        for (k, g) in globs.iter().enumerate() {
            raw.push((g.tasks.clone(), vec![g.pattern]));
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
                    let members = g.tasks.iter().chain(&globs[other].tasks).copied().collect();
                    raw.push((members, vec![g.pattern, globs[other].pattern]));
                }
            }
        }
        Conflicts::from_groups(n, raw.into_iter().map(|(m, f)| (m, f.into_iter().map(str::to_string).collect())))
    }
}

/// The predicted conflicts as groups: the tasks of a group (input positions) may all touch the same files, so no
/// two of them run at the same time. Stored and computed per group, never per pair: 3,000 tasks naming one file
/// are one group of 3,000, not 4.5 million pairs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conflicts {
    /// Each group's members, sorted, at least two.
    pub groups: Vec<Vec<usize>>,
    /// Each group's files (paths, or globs that overlap).
    pub files: Vec<Vec<String>>,
    /// For each task, the groups it belongs to, sorted.
    pub of: Vec<Vec<u32>>,
}

impl Conflicts {
    /// Groups from `(members, files)`; members are deduplicated, groups of fewer than two tasks dropped, and groups
    /// with the same members merged (their files joined).
    pub fn from_groups(n: usize, raw: impl IntoIterator<Item = (Vec<usize>, Vec<String>)>) -> Conflicts {
        let mut index: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut out = Conflicts { of: vec![Vec::new(); n], ..Default::default() };
        for (mut members, files) in raw {
            members.sort_unstable();
            members.dedup();
            if members.len() < 2 {
                continue;
            }
            match index.get(&members) {
                Some(&g) => {
                    for f in files {
                        if !out.files[g].contains(&f) {
                            out.files[g].push(f);
                        }
                    }
                }
                None => {
                    index.insert(members.clone(), out.groups.len());
                    out.groups.push(members);
                    out.files.push(files);
                }
            }
        }
        // Stable output: groups in order of their first member, then their files.
        let mut order: Vec<usize> = (0..out.groups.len()).collect();
        order.sort_by(|&a, &b| out.groups[a].cmp(&out.groups[b]).then_with(|| out.files[a].cmp(&out.files[b])));
        out.groups = order.iter().map(|&g| std::mem::take(&mut out.groups[g])).collect();
        out.files = order.iter().map(|&g| std::mem::take(&mut out.files[g])).collect();
        for (g, members) in out.groups.iter().enumerate() {
            for &t in members {
                out.of[t].push(g as u32);
            }
        }
        out
    }

    /// Whether tasks `a` and `b` share a group.
    pub fn between(&self, a: usize, b: usize) -> bool {
        a != b && self.shared(a, b).is_some()
    }

    /// The first group tasks `a` and `b` share.
    pub fn shared(&self, a: usize, b: usize) -> Option<usize> {
        let (x, y) = (&self.of[a], &self.of[b]);
        let (mut i, mut j) = (0, 0);
        while i < x.len() && j < y.len() {
            match x[i].cmp(&y[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => return Some(x[i] as usize),
            }
        }
        None
    }

    /// Whether task `t` must wait: one of its groups has a member running (`busy` counts running members per group).
    pub fn blocked(&self, t: usize, busy: &[u32]) -> bool {
        self.of[t].iter().any(|&g| busy[g as usize] > 0)
    }

    /// Task `t` starts (`true`) or ends: its groups' counts of running members change.
    pub fn occupy(&self, t: usize, busy: &mut [u32], starts: bool) {
        for &g in &self.of[t] {
            if starts {
                busy[g as usize] += 1;
            } else {
                busy[g as usize] -= 1;
            }
        }
    }

    /// A zeroed `busy` array for [`Conflicts::blocked`].
    pub fn idle(&self) -> Vec<u32> {
        vec![0; self.groups.len()]
    }

    /// The work the relation costs to walk: the sum of the group sizes.
    pub fn size(&self) -> usize {
        self.groups.iter().map(Vec::len).sum()
    }

    /// The groups with task ids (stored in the plan).
    pub fn to_groups(&self, ids: &[&str]) -> Vec<ConflictGroup> {
        self.groups
            .iter()
            .zip(&self.files)
            .map(|(members, files)| ConflictGroup {
                tasks: members.iter().map(|&t| ids[t].to_string()).collect(),
                files: files.clone(),
            })
            .collect()
    }

    /// Every conflicting pair (input order, `a` before `b`) with the files it shares; quadratic in a group's size:
    /// for small inputs and tests.
    pub fn pairs(&self, ids: &[&str]) -> Vec<ConflictPair> {
        let mut found: BTreeMap<(usize, usize), Vec<String>> = BTreeMap::new();
        for (members, files) in self.groups.iter().zip(&self.files) {
            for (k, &a) in members.iter().enumerate() {
                for &b in &members[k + 1..] {
                    let shared = found.entry((a, b)).or_default();
                    for f in files {
                        if !shared.contains(f) {
                            shared.push(f.clone());
                        }
                    }
                }
            }
        }
        found
            .into_iter()
            .map(|((a, b), mut files)| {
                files.sort();
                ConflictPair { a: ids[a].to_string(), b: ids[b].to_string(), files }
            })
            .collect()
    }
}
