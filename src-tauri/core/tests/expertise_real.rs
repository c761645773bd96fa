//! Expertise on real-shaped `.claude/` trees (issue 19): the project writes its own fixtures in the shape of the
//! public projects that use the expert pattern — free-form `expertise.yaml` maps (overviews, tables, nested lists,
//! patterns as maps with multi-line examples, anti-patterns, comments, Unicode, `usage_count`, `last_updated`) and
//! a person's skills (`.claude/skills/<name>/SKILL.md` with `name`/`description` frontmatter). Checked: every file
//! imports; importing and exporting unchanged data writes nothing (byte-identical files); a learning update
//! changes only its own lines; malformed YAML is refused with file and line and nothing is written; and the router
//! picks the plainly matching expert for held-out tasks.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;
use yokeflow_core::expertise::{self, Layout, RouteSource};
use yokeflow_core::model::Project;
use yokeflow_core::{store::db::Db, store::project, tasks::import};

/// A CRM's experts, written the way people write them.
const CRM_EXPERTS: &[(&str, &str)] = &[
    (
        "database",
        r#"# Database expert — the mental model of our Postgres schema.
# Keep this file short; link to migrations rather than copying them.
overview: |
  Postgres 16 behind the Rails API. Every table has created_at/updated_at,
  soft deletes use deleted_at, and tenants are separated by account_id.
core_tables:
  leads: { owner: sales, key: id, notes: "one row per inbound contact" }
  accounts: { owner: billing, key: id }
  activities: { owner: sales, key: id, notes: "calls, meetings, emails" }
patterns:
  - name: Migrations are append-only
    description: Never edit a merged migration; add a new one.
    example: |
      bin/rails g migration AddScoreToLeads score:integer
      bin/rails db:migrate
  - name: Index foreign keys
    description: Every *_id column gets an index in the same migration.
  - Use the schema.rb diff to review a migration
anti_patterns:
  - Raw SQL in controllers
  - Changing a column type in place on a large table
usage_count: 14
last_updated: 2025-10-02
"#,
    ),
    (
        "api",
        r#"description: REST API conventions for the CRM backend (controllers, serializers, versioning).
stack:
  - Rails 7.1
  - jbuilder
  - rack-attack for rate limits
patterns:
  - Version every route under /api/v1
  - Return 422 with an errors object on validation failures
best_practices:
  - name: Pagination
    rules:
      - cursor based, never offset
      - max 100 items per page
  - name: Errors
    rules: [problem+json, stable error codes]
confidence: 0.72
usage: 9
"#,
    ),
    (
        "frontend",
        "# Interface — React 18 + Vite\ndescription: \"Composants React, état serveur via TanStack Query; l’interface est traduite (fr, de, ja).\"\nfiles:\n  - web/src/pages/**\n  - web/src/components/**\npatterns:\n  - Écrans en français d’abord, puis i18n — clés dans web/src/i18n/*.json\n  - \"Komponenten für Übersicht: klein halten 🙂\"\n  - name: Order history page\n    description: The order history table lives in web/src/pages/orders/History.tsx\nkey_operations:\n  build: npm run build\n  test: [npm, run, test]\n",
    ),
    (
        "email",
        r#"description: Outbound email (transactional and digests) through Postmark.
key_operations:
  send_digest:
    - job: WeeklyDigestJob
    - schedule: "Mondays 07:00 UTC"
  templates:
    - app/views/mailers/**
patterns:
  - Every email has a plain-text part
  - Digest emails batch subscribers by timezone
confidence: 0.8
"#,
    ),
    ("calendar", "description: Meetings and availability synced from Google Calendar into activities.\n"),
    (
        "billing",
        r#"# Billing
description: Invoices, plans and payments.
patterns:
  - Money is integer cents, never floats
  - name: Invoice numbering
    description: Sequential per account, gapless
    example: "INV-2025-000123"
metrics:
  tasks: 4
  reviews: 1
confidence: 0.66
usage: 3
"#,
    ),
    (
        "auth",
        r#"# Sessions, login, SSO.
overview: >
  Devise with session cookies for the web app and short-lived JWTs for the
  mobile app. SSO through SAML for enterprise accounts.
confidence: high   # a person's own scale
patterns:
  - Session cookie expires after 12 hours of inactivity
  - JWTs live 15 minutes; refresh tokens 30 days
"#,
    ),
    (
        "search",
        r#"description: Full-text search with Postgres tsvector and trigram indexes.
patterns:
  - name: Ranking
    description: ts_rank_cd over title and body, title weighted A
  - name: Fuzzy names
    description: pg_trgm similarity for names
layers:
  - indexing:
      - triggers keep tsvector columns up to date
      - nightly REINDEX CONCURRENTLY
  - querying:
      - websearch_to_tsquery for user input
"#,
    ),
];

/// A shop's experts.
const SHOP_EXPERTS: &[(&str, &str)] = &[
    (
        "catalog",
        "description: Products, variants and categories.\npatterns:\n  - Variants carry their own SKU\n  - Category slugs are unique per locale\nusage_count: 21\nconfidence: 0.9\n",
    ),
    (
        "orders",
        "description: Checkout and order lifecycle (cart → placed → paid → shipped).\npatterns:\n  - name: State machine\n    description: transitions only through Order#advance!\n  - Never delete an order; cancel it\n",
    ),
    (
        "payments",
        "# Payment provider integration\ndescription: Card payments through Stripe; refunds and disputes.\npatterns: [Idempotency keys on every charge, Webhooks are verified before use]\n",
    ),
    (
        "shipping",
        "description: Carrier labels and tracking.\ncarriers:\n  dhl: {api: v2}\n  ups: {api: v1, note: \"rate limits at 10 rps\"}\npatterns:\n  - Labels are generated asynchronously\n",
    ),
    (
        "inventory",
        "description: Stock levels per warehouse; reservations when an order is placed.\npatterns:\n  - Reserve stock in the same transaction as the order\n  - Release reservations after 30 minutes unpaid\nusage: 6\n",
    ),
    (
        "notifications",
        "description: Push and SMS notifications.\npatterns:\n  - Respect quiet hours per user timezone\nlast_updated: \"2025-09-30\"\n",
    ),
    (
        "analytics",
        "description: Reporting, dashboards and revenue metrics (daily rollups).\npatterns:\n  - Rollups run nightly into analytics.daily_revenue\n  - name: Monthly revenue\n    description: sum of paid invoices, net of refunds\n",
    ),
];

/// A person's skills in the CRM (name and description frontmatter, free text after).
const CRM_SKILLS: &[(&str, &str, &str)] = &[
    ("database", "database", "Schema changes, migrations and queries for the CRM's Postgres database."),
    ("zoom", "zoom", "Create, update and cancel Zoom meetings through the Zoom API; attach the call link."),
    ("google-calendar", "google-calendar", "Read and write Google Calendar events and check availability."),
    ("pdf", "pdf", "Render documents such as invoices and reports as PDF files."),
    ("stripe", "stripe", "Charge cards, issue refunds and handle Stripe webhooks."),
    ("email-templates", "email-templates", "Write and preview the HTML of transactional email templates."),
    ("leads-import", "leads-import", "Import leads from CSV files and deduplicate them."),
    ("slack", "slack", "Post notifications to Slack channels."),
];

struct Tree {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    db: Db,
    p: Project,
}

async fn tree(experts: &[(&str, &str)], skills: &[(&str, &str, &str)], tasks: serde_json::Value) -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let mut files: Vec<(String, String)> = Vec::new();
    for (domain, text) in experts {
        files.push((format!(".claude/commands/experts/{domain}/expertise.yaml"), text.to_string()));
        files.push((
            format!(".claude/commands/experts/{domain}/question.md"),
            format!("Answer questions about {domain} from expertise.yaml.\n"),
        ));
    }
    for (folder, name, description) in skills {
        files.push((
            format!(".claude/skills/{folder}/SKILL.md"),
            format!("---\nname: {name}\ndescription: {description}\n---\n\n# {name}\n\nSteps for {name} work.\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    support::init_repo(&repo, &refs);
    let db = Db::open(&dir.path().join("yokeflow.db")).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    let file = dir.path().join("tasks.json");
    std::fs::write(&file, json!({ "project": "t", "tasks": tasks }).to_string()).unwrap();
    import::import_file(&db, &p.id, &file).await.unwrap();
    Tree { repo: PathBuf::from(&p.repo_path), _dir: dir, db, p }
}

/// Every file under `.claude/` but the skills YokeFlow generates, with its text.
fn snapshot(repo: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![repo.join(".claude")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if !e.path().to_string_lossy().contains("-expert/SKILL.md") {
                out.insert(e.path(), String::from_utf8(std::fs::read(e.path()).unwrap()).unwrap());
            }
        }
    }
    out
}

#[tokio::test]
async fn every_real_shaped_file_imports_and_unchanged_data_is_written_back_byte_for_byte() {
    let mut imported = 0;
    let total = CRM_EXPERTS.len() + SHOP_EXPERTS.len();
    for experts in [CRM_EXPERTS, SHOP_EXPERTS] {
        let t = tree(experts, &[], json!([{ "id": "x", "title": "X" }])).await;
        let before = snapshot(&t.repo);
        let report = expertise::import_all(&t.db, &t.p).await.unwrap();
        assert!(report.issues.is_empty(), "{:?}", report.issues);
        imported += report.imported.len();
        // Import, then export and a two-way sync of unchanged data: not one byte written.
        let exported = expertise::export_all(&t.db, &t.p).await.unwrap();
        assert_eq!(exported.files_written, 0, "{exported:?}");
        for (domain, _) in experts {
            expertise::sync_domain(&t.db, &t.p, domain).await.unwrap();
        }
        let after = snapshot(&t.repo);
        for (path, text) in &before {
            assert_eq!(after.get(path), Some(text), "{} was written back differently", path.display());
        }
        assert_eq!(after.len(), before.len(), "files were added: {:?}", after.keys().collect::<Vec<_>>());
    }
    println!("{imported} of {total} real-shaped expertise files imported");
    assert_eq!(imported, total);

    // What YokeFlow understood of the richest one.
    let t = tree(CRM_EXPERTS, &[], json!([{ "id": "x", "title": "X" }])).await;
    expertise::import_all(&t.db, &t.p).await.unwrap();
    let db = expertise::get(&t.db, &t.p, "database").await.unwrap().unwrap();
    assert_eq!(db.usage_count, 14);
    assert_eq!(
        db.patterns,
        [
            "Migrations are append-only: Never edit a merged migration; add a new one.",
            "Index foreign keys: Every *_id column gets an index in the same migration.",
            "Use the schema.rb diff to review a migration",
        ]
    );
    let auth = expertise::get(&t.db, &t.p, "auth").await.unwrap().unwrap();
    assert_eq!(auth.confidence, 0.5, "`confidence: high` is the person's, read as absent");
}

#[tokio::test]
async fn a_learning_update_changes_only_its_own_lines() {
    let t = tree(CRM_EXPERTS, &[], json!([{ "id": "x", "title": "X" }])).await;
    expertise::import_all(&t.db, &t.p).await.unwrap();
    let path = Layout::new(&t.repo).expertise_file("database");
    let before = std::fs::read_to_string(&path).unwrap();
    // What learning does after a task: one more use, a new pattern, a metric, a little more confidence.
    expertise::update_in_db(&t.db, &t.p, "database", |e| {
        e.usage_count += 1;
        e.patterns.push("Add a NOT NULL column in two steps".into());
        e.metrics.insert("tasks".into(), 1.0);
        e.confidence = 0.55;
    })
    .await
    .unwrap()
    .unwrap();
    let report = expertise::export_all(&t.db, &t.p).await.unwrap();
    assert_eq!(report.exported, vec!["database".to_string()]);
    let after = std::fs::read_to_string(&path).unwrap();
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let removed: Vec<&&str> = old.iter().filter(|l| !new.contains(l)).collect();
    let added: Vec<&&str> = new.iter().filter(|l| !old.contains(l)).collect();
    assert_eq!(removed, [&"usage_count: 14"], "{after}");
    assert!(added.contains(&&"usage_count: 15"), "{after}");
    assert!(added.iter().any(|l| l.contains("Add a NOT NULL column in two steps")), "{after}");
    assert!(added.iter().any(|l| l.starts_with("confidence: 0.55")), "{after}");
    assert!(added.iter().any(|l| l.contains("tasks: 1")), "{after}");
    assert!(added.len() <= 5, "only the changed lines: {added:?}\n{after}");
    // Comments, the overview, the tables, the multi-line example and the key order are all still there.
    for kept in
        ["# Database expert", "core_tables:", "bin/rails db:migrate", "anti_patterns:", "last_updated: 2025-10-02"]
    {
        assert!(after.contains(kept), "{kept} lost:\n{after}");
    }
    assert!(after.find("overview:").unwrap() < after.find("core_tables:").unwrap());
    // And it reads back as the database has it: a sync finds nothing to do.
    let again = expertise::sync_domain(&t.db, &t.p, "database").await.unwrap();
    assert!(again.imported.is_empty() && again.exported.is_empty() && again.conflicts.is_empty(), "{again:?}");
}

#[tokio::test]
async fn malformed_yaml_is_refused_with_file_and_line_and_nothing_is_written() {
    let broken = [("broken", "description: fine\npatterns:\n  - one\n  two: [unclosed\n")];
    let t = tree(&broken, &[], json!([{ "id": "x", "title": "X" }])).await;
    let before = snapshot(&t.repo);
    let report = expertise::import_all(&t.db, &t.p).await.unwrap();
    assert_eq!(report.issues.len(), 1);
    let msg = &report.issues[0].message;
    assert!(msg.contains("broken/expertise.yaml:") && msg.contains("malformed expertise YAML"), "{msg}");
    assert_eq!(snapshot(&t.repo), before);
    assert!(expertise::list(&t.db, &t.p).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_persons_skills_are_candidates_and_plainly_matching_tasks_find_their_expert() {
    let crm_tasks = json!([
        { "id": "t1", "title": "Add a schema migration for the leads table" },
        { "id": "t2", "title": "Create a Zoom call and put it on the calendar" },
        { "id": "t3", "title": "Render the invoice as a PDF attachment" },
        { "id": "t4", "title": "Charge the customer's card with Stripe and store the receipt" },
        { "id": "t5", "title": "Send the weekly digest email to subscribers" },
        { "id": "t6", "title": "Fix the login session expiring too early", "description": "Users are logged out after an hour." },
        { "id": "t7", "title": "Add full-text search over lead names" },
        { "id": "t8", "title": "Show the order history page", "files": ["web/src/pages/orders/History.tsx"] },
    ]);
    let shop_tasks = json!([
        { "id": "s1", "title": "Reserve stock when an order is placed" },
        { "id": "s2", "title": "Compute the monthly revenue dashboard metrics" },
    ]);
    let expected = [
        ("t1", "database"),
        ("t2", "zoom"),
        ("t3", "pdf"),
        ("t4", "stripe"),
        ("t5", "email"),
        ("t6", "auth"),
        ("t7", "search"),
        ("t8", "frontend"),
        ("s1", "inventory"),
        ("s2", "analytics"),
    ];
    let mut got: BTreeMap<String, (Option<String>, RouteSource, Vec<String>)> = BTreeMap::new();
    for (experts, skills, tasks) in [(CRM_EXPERTS, CRM_SKILLS, crm_tasks), (SHOP_EXPERTS, &[][..], shop_tasks)] {
        let t = tree(experts, skills, tasks.clone()).await;
        expertise::import_all(&t.db, &t.p).await.unwrap();
        let candidates = expertise::candidates(&t.db, &t.p, &t.repo).await.unwrap();
        for (domain, _) in experts {
            assert!(candidates.iter().any(|c| &c.domain == domain && c.source == RouteSource::Db), "{domain}");
        }
        for (folder, _, _) in skills {
            let file = format!(".claude/skills/{folder}/SKILL.md");
            assert!(candidates.iter().any(|c| c.skill.as_deref() == Some(file.as_str())), "{file}");
        }
        for task in tasks.as_array().unwrap() {
            let id = task["id"].as_str().unwrap();
            let d = expertise::route(&t.db, &t.p, id).await.unwrap();
            got.insert(id.to_string(), (d.domain, d.source, d.reasons));
        }
    }
    let mut right = 0;
    for (id, want) in expected {
        let (domain, source, reasons) = &got[id];
        let ok = domain.as_deref() == Some(want);
        right += usize::from(ok);
        println!(
            "{id}: {} ({source:?}) {} — {}",
            domain.as_deref().unwrap_or("none"),
            if ok { "right" } else { "WRONG" },
            reasons.join("; ")
        );
    }
    println!("router: first choice right for {right} of {} tasks", expected.len());
    assert!(right >= 8, "first choice right for only {right} of 10");
    // A person's skill is routed as a skill, and named for the prompt.
    assert_eq!(got["t2"].1, RouteSource::Skill);
}

#[tokio::test]
async fn deleting_a_domains_file_is_asked_about_never_silently_restored() {
    let t = tree(CRM_EXPERTS, &[], json!([{ "id": "x", "title": "X" }])).await;
    expertise::import_all(&t.db, &t.p).await.unwrap();
    let layout = Layout::new(&t.repo);
    for domain in ["search", "billing"] {
        std::fs::remove_file(layout.expertise_file(domain)).unwrap();
    }
    let text_of = |domain: &str| CRM_EXPERTS.iter().find(|(d, _)| *d == domain).unwrap().1;
    for _ in 0..2 {
        let r = expertise::export_all(&t.db, &t.p).await.unwrap();
        assert!(!layout.expertise_file("search").exists(), "restored silently: {r:?}");
    }
    let open = expertise::conflicts(&t.db, &t.p, true).await.unwrap();
    let asked: Vec<(&str, &str)> = open.iter().map(|c| (c.domain.as_str(), c.file_version.as_str())).collect();
    assert_eq!(asked, [("billing", ""), ("search", "")], "asked once each, the file side empty");
    // The window's view has them, with every domain as the person's file.
    let view = expertise::overview(&t.db, &t.p).await.unwrap();
    assert_eq!(view.conflicts.len(), 2);
    assert_eq!(view.domains.len(), CRM_EXPERTS.len());
    assert!(view.domains.iter().all(|d| d.persons_file));
    let api = view.domains.iter().find(|d| d.domain == "api").unwrap();
    assert_eq!(api.description.as_deref().map(|d| d.starts_with("REST API conventions")), Some(true));
    // Keep the deletion: the domain is forgotten.
    expertise::resolve_conflict(&t.db, &t.p, "search", expertise::Keep::File).await.unwrap();
    assert!(expertise::get(&t.db, &t.p, "search").await.unwrap().is_none());
    assert!(!layout.expertise_file("search").exists());
    // Keep the database: the person's file comes back as it was.
    expertise::resolve_conflict(&t.db, &t.p, "billing", expertise::Keep::Db).await.unwrap();
    assert_eq!(std::fs::read_to_string(layout.expertise_file("billing")).unwrap(), text_of("billing"));
    assert!(expertise::conflicts(&t.db, &t.p, true).await.unwrap().is_empty());
}

#[tokio::test]
async fn claude_is_told_which_files_to_read_and_other_agents_get_the_expertise_inline() {
    let t = tree(CRM_EXPERTS, CRM_SKILLS, json!([{ "id": "z", "title": "Create a Zoom call for the lead" }])).await;
    expertise::import_all(&t.db, &t.p).await.unwrap();
    let zoom = expertise::route(&t.db, &t.p, "z").await.unwrap();
    let named = yokeflow_core::expertise::learn::expert_context(&zoom, &t.repo, &[], false).unwrap();
    assert!(named.contains("`.claude/skills/zoom/SKILL.md`"), "{named}");
    let db = expertise::get(&t.db, &t.p, "database").await.unwrap().unwrap();
    let d = yokeflow_core::expertise::RoutingDecision {
        task_id: "z".into(),
        domain: Some("database".into()),
        source: RouteSource::Db,
        score: 1.0,
        reasons: vec![],
        skill: None,
    };
    let for_claude = yokeflow_core::expertise::learn::expert_context(&d, &t.repo, &db.patterns, false).unwrap();
    assert!(for_claude.contains("expertise.yaml") && !for_claude.contains("What it knows"), "{for_claude}");
    let inline = yokeflow_core::expertise::learn::expert_context(&d, &t.repo, &db.patterns, true).unwrap();
    assert!(inline.contains("What it knows:\n  * Migrations are append-only"), "{inline}");
}
