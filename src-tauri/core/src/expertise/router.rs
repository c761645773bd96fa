//! The domain router: which expert serves a task. Candidates are every skill under `.claude/skills/<name>/SKILL.md`
//! (a person's, with `name`/`description` frontmatter, or one YokeFlow generated, `<domain>-expert`) and every
//! domain of expertise in the database (its name, its file's `description`, patterns and every other text of it).
//!
//! Ranking is BM25F ([`route_input`]): the task's title (counted twice), description and file paths become stemmed
//! terms (Snowball English, stop words and path noise such as `src` or `rs` dropped); each candidate's name (boost
//! 3), description (2) and body (1) are its fields; a term is worth more the fewer candidates have it. A candidate
//! is eligible only with real evidence: a task term in its name, or two different task terms in the rest of it. The
//! best eligible score wins; a tie goes to a skill, then to the alphabetically first domain. The reasons say which
//! terms matched where. Every decision is logged in `expertise_routing`, which gives [`reuse_stats`]: how many
//! routed tasks were served by prior expertise.

use super::candidate::{Candidate, RouteSource};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use super::files::Layout;
use crate::error::CoreResult;
use crate::model::{Project, Task};
use crate::store::db::Db;
use crate::{model::now_ms, store::tasks};

/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Field boosts: a candidate's name, description and the rest of its text.
const BOOST: [f64; 3] = [3.0, 2.0, 1.0];

const STOP_WORDS: &[&str] = &[
    "a", "about", "add", "after", "all", "also", "always", "an", "and", "any", "are", "as", "at", "be", "before", "by",
    "can", "do", "does", "each", "every", "for", "from", "get", "has", "have", "how", "if", "in", "into", "is", "it",
    "its", "keep", "make", "may", "more", "must", "need", "never", "new", "no", "not", "of", "on", "one", "only", "or",
    "our", "put", "should", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "up", "use", "used", "using", "was", "we", "what", "when", "where", "which", "while",
    "will", "with", "without", "you", "your",
];

/// Path words that say nothing about a domain.
const PATH_NOISE: &[&str] = &[
    "src", "lib", "mod", "index", "main", "rs", "ts", "tsx", "js", "jsx", "mjs", "py", "go", "rb", "java", "kt", "md",
    "json", "yaml", "yml", "toml", "txt", "html", "css", "scss", "test", "tests", "spec", "util", "utils",
];

impl RouteSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteSource::Skill => "skill",
            RouteSource::Db => "db",
            RouteSource::None => "none",
        }
    }
}

/// The router's answer for one task, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoutingDecision {
    pub task_id: String,
    pub domain: Option<String>,
    pub source: RouteSource,
    pub score: f64,
    /// Why, in words (e.g. "`migration` in its name, `schema` in its description").
    pub reasons: Vec<String>,
    /// The chosen skill's file, relative to the repository (`.claude/skills/zoom/SKILL.md`).
    #[serde(default)]
    pub skill: Option<String>,
}

/// How many tasks prior expertise served (each task counted once, by its latest decision).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ReuseStats {
    pub routed: u32,
    pub served_by_expertise: u32,
    /// `served_by_expertise / routed`, 0 when nothing was routed.
    pub ratio: f64,
}

/// What the router reads of a task.
#[derive(Debug, Clone, Default)]
pub struct RouteInput {
    pub task_id: String,
    pub title: String,
    pub description: String,
    pub files: Vec<String>,
}

impl Candidate {
    /// A database domain known only by its patterns.
    pub fn from_patterns(domain: &str, patterns: &[String]) -> Candidate {
        Candidate {
            domain: domain.to_string(),
            source: RouteSource::Db,
            skill: None,
            name: domain.to_string(),
            description: String::new(),
            body: patterns.join("\n"),
            generated: false,
        }
    }
}

/// Stemmed terms of `text`: Unicode words split on anything else (and on `camelCase`), lowercased, stop words out.
pub fn terms(text: &str) -> Vec<String> {
    thread_local! {
        static STEMMER: rust_stemmers::Stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    }
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            let w = word.to_lowercase();
            let short = w.len() < 2 && w.is_ascii();
            if !short && !STOP_WORDS.contains(&w.as_str()) {
                out.push(STEMMER.with(|s| s.stem(&w).into_owned()));
            }
            word.clear();
        }
    };
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower {
                flush(&mut word, &mut out);
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            word.push(c);
        } else {
            prev_lower = false;
            flush(&mut word, &mut out);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The task's terms with their weights: the title counts twice, the description and the paths once.
fn query(input: &RouteInput) -> BTreeMap<String, f64> {
    let mut q: BTreeMap<String, f64> = BTreeMap::new();
    let mut add = |t: String, w: f64| {
        let e = q.entry(t).or_insert(0.0);
        *e = e.max(w);
    };
    terms(&input.title).into_iter().for_each(|t| add(t, 2.0));
    terms(&input.description).into_iter().for_each(|t| add(t, 1.0));
    for f in &input.files {
        for part in f.split(['/', '\\', '.', '_', '-']) {
            if PATH_NOISE.contains(&part.to_ascii_lowercase().as_str()) {
                continue;
            }
            terms(part).into_iter().for_each(|t| add(t, 1.0));
        }
    }
    q
}

/// Picks the expert for `input` among `candidates` (module docs), without logging.
pub fn route_input(input: &RouteInput, candidates: &[Candidate]) -> RoutingDecision {
    let q = query(input);
    // Per candidate and field: term counts and lengths.
    let fields: Vec<[HashMap<String, f64>; 3]> = candidates
        .iter()
        .map(|c| {
            let count = |text: &str| {
                let mut m: HashMap<String, f64> = HashMap::new();
                for t in terms(text) {
                    *m.entry(t).or_default() += 1.0;
                }
                m
            };
            [count(&c.name.replace('-', " ")), count(&c.description), count(&c.body)]
        })
        .collect();
    let length =
        |f: &[HashMap<String, f64>; 3]| -> f64 { f.iter().zip(BOOST).map(|(m, b)| b * m.values().sum::<f64>()).sum() };
    let n = candidates.len() as f64;
    let avg = if candidates.is_empty() { 1.0 } else { fields.iter().map(length).sum::<f64>() / n }.max(1.0);
    let mut best: Option<(f64, usize, Vec<String>)> = None;
    for (i, (c, f)) in candidates.iter().zip(&fields).enumerate() {
        let len = length(f);
        let (mut score, mut in_name, mut in_rest) = (0.0, Vec::new(), BTreeSet::new());
        let mut reasons: Vec<(f64, String)> = Vec::new();
        for (t, w) in &q {
            let tf: f64 = f.iter().zip(BOOST).map(|(m, b)| b * m.get(t).copied().unwrap_or(0.0)).sum();
            if tf == 0.0 {
                continue;
            }
            let have = fields.iter().filter(|g| g.iter().any(|m| m.contains_key(t))).count() as f64;
            let idf = (1.0 + (n - have + 0.5) / (have + 0.5)).ln();
            let part = w * idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg));
            score += part;
            let place = if f[0].contains_key(t) {
                in_name.push(t.clone());
                "its name"
            } else if f[1].contains_key(t) {
                in_rest.insert(t.clone());
                "its description"
            } else {
                in_rest.insert(t.clone());
                "its text"
            };
            reasons.push((part, format!("`{t}` in {place}")));
        }
        // Real evidence only: a term in the name, or two different terms elsewhere.
        if in_name.is_empty() && in_rest.len() < 2 {
            continue;
        }
        let better = match &best {
            None => true,
            Some((b, j, _)) => {
                let other = &candidates[*j];
                score > *b + 1e-9
                    || ((score - *b).abs() <= 1e-9
                        && (c.source == RouteSource::Skill && other.source != RouteSource::Skill
                            || c.source == other.source && c.domain < other.domain))
            }
        };
        if better {
            reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
            let words: Vec<String> = reasons.into_iter().take(5).map(|(_, r)| r).collect();
            best = Some((score, i, words));
        }
    }
    match best {
        Some((score, i, words)) => {
            let c = &candidates[i];
            let what = match c.source {
                RouteSource::Skill => format!("skill `{}`", c.skill.as_deref().unwrap_or(&c.domain)),
                _ => format!("expertise `{}`", c.domain),
            };
            let mut reasons = vec![format!("{what} ranked first of {} candidates (BM25 {score:.2})", candidates.len())];
            reasons.push(format!("matched {}", words.join(", ")));
            RoutingDecision {
                task_id: input.task_id.clone(),
                domain: Some(c.domain.clone()),
                source: c.source,
                score: (score * 100.0).round() / 100.0,
                reasons,
                skill: c.skill.clone(),
            }
        }
        None => RoutingDecision {
            task_id: input.task_id.clone(),
            domain: None,
            source: RouteSource::None,
            score: 0.0,
            reasons: vec![format!(
                "none of {} candidates had a task term in its name or two in its text",
                candidates.len()
            )],
            skill: None,
        },
    }
}

/// Every candidate of a project: the skills under `root`'s `.claude/skills/` and the database's domains (their
/// expertise file's text as last read, else their patterns).
pub async fn candidates(db: &Db, project: &Project, root: &Path) -> CoreResult<Vec<Candidate>> {
    let layout = Layout::new(root);
    let mut out = super::skills::skill_candidates(&layout);
    let rows = sqlx::query("SELECT domain, patterns, document FROM expertise WHERE project_id = ? ORDER BY domain")
        .bind(&project.id)
        .fetch_all(db.pool())
        .await?;
    for r in &rows {
        let domain: String = r.try_get("domain")?;
        let patterns: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("patterns")?).unwrap_or_default();
        let document: Option<String> = r.try_get("document")?;
        let path = layout.expertise_file(&domain);
        let read = document.and_then(|d| super::document::understand(&path, d.as_bytes(), &domain).ok());
        let mut c = Candidate::from_patterns(&domain, &patterns);
        if let Some(u) = read {
            c.description = u.description.unwrap_or_default();
            c.body = format!("{}\n{}", c.body, u.text);
        }
        out.push(c);
    }
    Ok(out)
}

/// Routes the project's task `task_id` and logs the decision.
pub async fn route(db: &Db, project: &Project, task_id: &str) -> CoreResult<RoutingDecision> {
    let task = tasks::get(db, &project.id, task_id).await?;
    route_task(db, project, &task, Path::new(&project.repo_path)).await
}

/// Routes `task` and logs the decision, reading native skills from the `.claude/` folder of the work tree
/// `root` (a task's worktree during a run: the skills as they are on the target branch).
pub async fn route_task(db: &Db, project: &Project, task: &Task, root: &Path) -> CoreResult<RoutingDecision> {
    let mut files = task.files.clone();
    files.extend(task.predicted_files.iter().map(|p| p.path.clone()));
    let input = RouteInput {
        task_id: task.id.clone(),
        title: task.title.clone(),
        description: task.description.clone(),
        files,
    };

    let decision = route_input(&input, &candidates(db, project, root).await?);
    sqlx::query(
        "INSERT INTO expertise_routing (project_id, task_id, domain, source, score, at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&project.id)
    .bind(&decision.task_id)
    .bind(&decision.domain)
    .bind(decision.source.as_str())
    .bind(decision.score)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(decision)
}

/// The `domains` named by a folder of one of `paths`, or by a file's stem (`src/api/users.rs` and
/// `src/api.rs` both name `api`); for `auth-service`, the segment must be `auth-service`.
pub fn path_domains<'a>(paths: &[String], domains: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    let mut segments: BTreeSet<String> = BTreeSet::new();
    for p in paths {
        let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            let seg = if i + 1 == parts.len() { part.split('.').next().unwrap_or(part) } else { part };
            segments.insert(seg.to_ascii_lowercase().replace('_', "-"));
        }
    }
    domains.into_iter().filter(|d| segments.contains(d.as_str())).cloned().collect()
}

/// How many of the project's routed tasks were served by prior expertise (skill or database).
pub async fn reuse_stats(db: &Db, project: &Project) -> CoreResult<ReuseStats> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS routed, COALESCE(SUM(r.source <> 'none'), 0) AS served FROM expertise_routing r \
         WHERE r.project_id = ? AND r.id = \
           (SELECT MAX(id) FROM expertise_routing l WHERE l.project_id = r.project_id AND l.task_id = r.task_id)",
    )
    .bind(&project.id)
    .fetch_one(db.pool())
    .await?;
    let routed = row.try_get::<i64, _>("routed")? as u32;
    let served = row.try_get::<i64, _>("served")? as u32;
    Ok(ReuseStats {
        routed,
        served_by_expertise: served,
        ratio: if routed == 0 { 0.0 } else { served as f64 / routed as f64 },
    })
}
