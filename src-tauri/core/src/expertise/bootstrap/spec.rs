//! Reading an app spec (Markdown): its title and first paragraph, its sections (`## Stack`, `## Commands`,
//! `## Conventions`), the technologies it names and the domains it touches. Pure: text in, [`AppSpec`] out.
//!
//! Technologies and domains are found with keyword tables, matched as whole words (case-insensitive, an `s` or
//! `es` plural allowed), so `react` does not match "reactive" and `api` does not match "fastapi". Each domain
//! keeps the words that matched, as the reason it was detected.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Technologies, by the name written in `CLAUDE.md`, and the words that name them.
pub const STACK_KEYWORDS: &[(&str, &[&str])] = &[
    ("Rust", &["rust", "cargo"]),
    ("TypeScript", &["typescript"]),
    ("JavaScript", &["javascript"]),
    ("Node.js", &["node.js", "nodejs"]),
    ("React", &["react"]),
    ("Next.js", &["next.js", "nextjs"]),
    ("Vue", &["vue", "vue.js"]),
    ("Svelte", &["svelte", "sveltekit"]),
    ("Vite", &["vite"]),
    ("Tailwind CSS", &["tailwind", "tailwindcss"]),
    ("Python", &["python"]),
    ("FastAPI", &["fastapi"]),
    ("Django", &["django"]),
    ("Flask", &["flask"]),
    ("Go", &["golang"]),
    ("Java", &["java"]),
    ("Kotlin", &["kotlin"]),
    ("PostgreSQL", &["postgresql", "postgres"]),
    ("SQLite", &["sqlite"]),
    ("MySQL", &["mysql"]),
    ("MongoDB", &["mongodb"]),
    ("Redis", &["redis"]),
    ("GraphQL", &["graphql"]),
    ("Docker", &["docker", "dockerfile", "docker compose", "docker-compose"]),
    ("Kubernetes", &["kubernetes", "k8s"]),
    ("Terraform", &["terraform"]),
];

/// Domains (expert names) and the words that point at them.
pub const DOMAIN_KEYWORDS: &[(&str, &[&str])] = &[
    ("api", &["api", "rest api", "restful", "endpoint", "graphql", "grpc", "openapi", "webhook", "fastapi", "express"]),
    (
        "auth",
        &[
            "auth",
            "authentication",
            "authorization",
            "login",
            "log in",
            "sign in",
            "sign-in",
            "signup",
            "sign up",
            "password",
            "oauth",
            "jwt",
            "sso",
            "role-based",
        ],
    ),
    ("cli", &["cli", "command line", "command-line", "subcommand"]),
    (
        "database",
        &[
            "database",
            "db",
            "sql",
            "postgresql",
            "postgres",
            "sqlite",
            "mysql",
            "mongodb",
            "schema",
            "migration",
            "orm",
            "redis",
        ],
    ),
    (
        "frontend",
        &[
            "frontend",
            "front-end",
            "ui",
            "user interface",
            "react",
            "vue",
            "svelte",
            "css",
            "tailwind",
            "component",
            "browser",
            "web app",
        ],
    ),
    (
        "infra",
        &[
            "docker",
            "dockerfile",
            "kubernetes",
            "k8s",
            "terraform",
            "deploy",
            "deployment",
            "ci",
            "ci/cd",
            "github actions",
            "aws",
            "gcp",
            "azure",
            "helm",
            "nginx",
        ],
    ),
    ("payments", &["payment", "stripe", "billing", "invoice", "subscription"]),
    ("realtime", &["websocket", "real-time", "realtime", "server-sent events", "live update"]),
    (
        "testing",
        &[
            "testing",
            "unit test",
            "integration test",
            "end-to-end",
            "e2e",
            "pytest",
            "jest",
            "vitest",
            "playwright",
            "cypress",
            "test coverage",
            "tdd",
        ],
    ),
];

/// A domain the spec touches, and the words that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DomainMatch {
    pub domain: String,
    /// The keywords found in the spec (lowercase, table order).
    pub matched: Vec<String>,
}

/// What init takes from an app spec.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSpec {
    /// The first heading's text.
    pub title: Option<String>,
    /// The first paragraph (after the first heading, if any).
    pub overview: Option<String>,
    /// The body of a `## Stack` / `## Tech stack` / `## Technologies` section.
    pub stack_section: Option<String>,
    /// Technologies named anywhere in the spec, by their [`STACK_KEYWORDS`] name.
    pub technologies: Vec<String>,
    /// The body of a `## Commands` section.
    pub commands_section: Option<String>,
    /// The body of a `## Conventions` section.
    pub conventions_section: Option<String>,
    pub domains: Vec<DomainMatch>,
}

/// One Markdown section: its heading (trimmed, without `#`) and its body (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub level: usize,
    pub heading: String,
    pub body: String,
}

/// Parses an app spec.
pub fn parse(text: &str) -> AppSpec {
    let sections = sections(text);
    let find = |names: &[&str]| {
        sections
            .iter()
            .find(|s| s.level >= 2 && names.iter().any(|n| s.heading.eq_ignore_ascii_case(n)))
            .map(|s| s.body.clone())
            .filter(|b| !b.is_empty())
    };
    let first = sections.iter().find(|s| s.level > 0);
    let title = first.map(|s| s.heading.clone()).filter(|h| !h.is_empty());
    let overview = first.or(sections.first()).and_then(|s| first_paragraph(&s.body));
    let lower = text.to_lowercase();
    let technologies = STACK_KEYWORDS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| contains_word(&lower, w)))
        .map(|(name, _)| name.to_string())
        .collect();
    let domains = DOMAIN_KEYWORDS
        .iter()
        .filter_map(|(domain, words)| {
            let matched: Vec<String> =
                words.iter().filter(|w| contains_word(&lower, w)).map(|w| w.to_string()).collect();
            (!matched.is_empty()).then(|| DomainMatch { domain: domain.to_string(), matched })
        })
        .collect();
    AppSpec {
        title,
        overview,
        stack_section: find(&["stack", "tech stack", "technology stack", "technologies", "technology"]),
        technologies,
        commands_section: find(&["commands", "build and test", "development commands"]),
        conventions_section: find(&["conventions", "coding conventions", "code conventions"]),
        domains,
    }
}

/// Splits Markdown into sections at ATX headings (`#` … `######`), ignoring lines inside fenced code blocks.
/// Text before the first heading is a section of level 0 with an empty heading.
pub fn sections(text: &str) -> Vec<Section> {
    let mut out = vec![Section { level: 0, heading: String::new(), body: String::new() }];
    let mut fence: Option<&str> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if let Some((level, heading)) = heading(line) {
            out.push(Section { level, heading, body: String::new() });
            continue;
        }
        let body = &mut out.last_mut().expect("never empty").body;
        body.push_str(line);
        body.push('\n');
    }
    for s in &mut out {
        s.body = s.body.trim().to_string();
    }
    if out[0].body.is_empty() && out.len() > 1 {
        out.remove(0);
    }
    out
}

fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim().to_string()))
}

/// The first block of consecutive non-blank lines that is prose (not a list, table, quote or code fence).
fn first_paragraph(body: &str) -> Option<String> {
    let mut para: Vec<&str> = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if t.is_empty() {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        if para.is_empty() && (t.starts_with(['-', '*', '|', '>', '`', '~']) || t.starts_with("1.")) {
            continue;
        }
        para.push(t);
    }
    (!para.is_empty()).then(|| para.join(" "))
}

/// Whether `needle` (lowercase) occurs in `hay` (lowercase) as a whole word, allowing an `s`/`es` plural.
pub fn contains_word(hay: &str, needle: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        if before.is_some_and(word) {
            return false;
        }
        let after = &hay[i + needle.len()..];
        let after = after
            .strip_prefix("es")
            .filter(|a| !a.starts_with(word))
            .or_else(|| after.strip_prefix('s'))
            .unwrap_or(after);
        !after.starts_with(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only() {
        assert!(contains_word("a rest api.", "api"));
        assert!(contains_word("two endpoints here", "endpoint"));
        assert!(!contains_word("a fastapi app", "api"));
        assert!(!contains_word("reactive streams", "react"));
        assert!(contains_word("uses node.js, too", "node.js"));
    }

    #[test]
    fn parses_title_overview_sections_and_domains() {
        let spec = "# Shop\n\nA small shop with a REST API.\nIt sells hats.\n\nMore text.\n\n## Stack\n\n- Rust\n- \
                    SQLite\n\n## Commands\n\n```sh\n# not a heading\nmake test\n```\n";
        let s = parse(spec);
        assert_eq!(s.title.as_deref(), Some("Shop"));
        assert_eq!(s.overview.as_deref(), Some("A small shop with a REST API. It sells hats."));
        assert_eq!(s.stack_section.as_deref(), Some("- Rust\n- SQLite"));
        assert_eq!(s.commands_section.as_deref(), Some("```sh\n# not a heading\nmake test\n```"));
        assert_eq!(s.technologies, ["Rust", "SQLite"]);
        let domains: Vec<&str> = s.domains.iter().map(|d| d.domain.as_str()).collect();
        assert_eq!(domains, ["api", "database"]);
        assert_eq!(s.domains[0].matched, ["api", "rest api"]);
    }

    #[test]
    fn nothing_recognizable() {
        let s = parse("just some words about hats\n");
        assert_eq!(s.title, None);
        assert_eq!(s.overview.as_deref(), Some("just some words about hats"));
        assert!(s.domains.is_empty() && s.technologies.is_empty());
    }
}
