//! Expertise files and live sync against real temporary git repositories, a real SQLite file and the real
//! `notify` watcher: export/import, watcher in both directions, conflicts, no echo under rapid edits, bad input,
//! native skills, the router and the CLI.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Row;
use tokio::sync::broadcast;
use yokeflow_core::expertise::{
    self, ConflictResolution, Expertise, ExpertiseEvent, Keep, Layout, RouteSource, SyncOptions, WatchOptions, Watcher,
};
use yokeflow_core::model::Project;
use yokeflow_core::{store::db::Db, store::project, tasks::import};

mod support;

struct Fx {
    dir: tempfile::TempDir,
    repo: PathBuf,
    db_path: PathBuf,
    db: Db,
    p: Project,
}

async fn fixture() -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    support::init_repo(&repo, &[]);
    let db_path = dir.path().join("data/yokeflow.db");
    let db = Db::open(&db_path).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    Fx { repo: PathBuf::from(&p.repo_path), dir, db_path, db, p }
}

impl Fx {
    fn layout(&self) -> Layout {
        Layout::new(&self.repo)
    }

    fn yaml(&self, domain: &str) -> PathBuf {
        self.layout().expertise_file(domain)
    }

    async fn get(&self, domain: &str) -> Option<Expertise> {
        expertise::get(&self.db, &self.p, domain).await.unwrap()
    }

    /// Every row of the expertise tables, as text, to compare before and after.
    async fn dump(&self) -> Vec<String> {
        let mut out = Vec::new();
        for q in [
            "SELECT domain || '|' || patterns || '|' || metrics || '|' || confidence || '|' || usage_count || '|' \
             || IFNULL(db_hash, '-') || '|' || IFNULL(file_hash, '-') FROM expertise ORDER BY domain",
            "SELECT domain || '|' || db_version || '|' || file_version || '|' || IFNULL(resolved_at, '-') \
             FROM expertise_conflicts ORDER BY id",
        ] {
            for r in sqlx::query(q).fetch_all(self.db.pool()).await.unwrap() {
                out.push(r.get::<String, _>(0));
            }
        }
        out
    }
}

fn api(patterns: &[&str], confidence: f64, usage: u32) -> Expertise {
    Expertise {
        domain: "api".into(),
        patterns: patterns.iter().map(|s| s.to_string()).collect(),
        metrics: BTreeMap::from([("success_rate".to_string(), 0.75)]),
        confidence,
        usage_count: usage,
    }
}

fn yaml_text(domain: &str, patterns: &[&str], usage: u32) -> String {
    let mut s = format!("confidence: 0.6\ndomain: {domain}\nmetrics: {{}}\npatterns:\n");
    for p in patterns {
        s.push_str(&format!("- {p}\n"));
    }
    s.push_str(&format!("usage: {usage}\n"));
    s
}

/// Polls `check` every 10 ms until it holds or `secs` pass.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(all_files(&p));
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn export_is_stable_sorted_and_writes_nothing_when_unchanged() {
    let f = fixture().await;
    let r = expertise::upsert(&f.db, &f.p, api(&["Validate input at the handler", "Return typed errors"], 0.7, 3))
        .await
        .unwrap();
    assert_eq!(r.exported, vec!["api"]);
    assert_eq!(r.files_written, 3, "expertise.yaml, question.md, self-improve.md");
    let text = std::fs::read_to_string(f.yaml("api")).unwrap();
    assert_eq!(
        text,
        "confidence: 0.7\ndomain: api\nmetrics:\n  success_rate: 0.75\npatterns:\n- Validate input at the handler\n\
         - Return typed errors\nusage: 3\n"
    );
    assert!(f.layout().question_file("api").is_file());
    assert!(f.layout().self_improve_file("api").is_file());

    let before = all_files(&f.layout().claude_dir());
    let again = expertise::export_all(&f.db, &f.p).await.unwrap();
    assert_eq!(again.files_written, 0, "{again:?}");
    assert_eq!(again.unchanged, 1);
    assert_eq!(all_files(&f.layout().claude_dir()), before);
    // Same content through upsert: nothing written either.
    let same = expertise::upsert(&f.db, &f.p, api(&["Validate input at the handler", "Return typed errors"], 0.7, 3))
        .await
        .unwrap();
    assert_eq!(same.files_written, 0);

    // Import into a fresh database reproduces the same rows.
    let db2 = Db::open(&f.dir.path().join("other.db")).await.unwrap();
    let p2 = project::init(&db2, &f.repo).await.unwrap();
    let r = expertise::import_all(&db2, &p2).await.unwrap();
    assert_eq!(r.imported, vec!["api"]);
    assert_eq!(r.files_written, 0);
    assert_eq!(expertise::list(&db2, &p2).await.unwrap(), expertise::list(&f.db, &f.p).await.unwrap());
}

#[tokio::test]
async fn watcher_carries_file_edits_to_the_db_and_db_changes_to_the_file() {
    let f = fixture().await;
    expertise::upsert(&f.db, &f.p, api(&["one"], 0.6, 1)).await.unwrap();
    let (tx, mut rx) = broadcast::channel(1024);
    let w = Watcher::start(&f.db, &f.p, tx).await.unwrap();

    // A person edits the file.
    std::fs::write(f.yaml("api"), yaml_text("api", &["one", "two"], 1)).unwrap();
    eventually(10, "file edit stored in the database", || async {
        f.get("api").await.is_some_and(|e| e.patterns == ["one", "two"])
    })
    .await;
    // A new domain folder created by an agent.
    std::fs::create_dir_all(f.layout().domain_dir("db")).unwrap();
    std::fs::write(f.yaml("db"), yaml_text("db", &["Migrations are append-only"], 0)).unwrap();
    eventually(10, "new domain imported", || async { f.get("db").await.is_some() }).await;

    // The app updates the database through the API: the file follows at once.
    expertise::upsert(&f.db, &f.p, api(&["one", "two", "three"], 0.6, 2)).await.unwrap();
    assert!(std::fs::read_to_string(f.yaml("api")).unwrap().contains("- three\n"));

    // Other code changes the row with plain SQL: the watcher's database poll writes the file.
    sqlx::query("UPDATE expertise SET usage_count = 7 WHERE domain = 'api'").execute(f.db.pool()).await.unwrap();
    eventually(10, "db change written to the file", || async {
        std::fs::read_to_string(f.yaml("api")).unwrap().contains("usage: 7\n")
    })
    .await;

    // Events are sent after the sync commits, so the last one may trail the file write a little.
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.iter().any(|e| matches!(e, ExpertiseEvent::Exported { .. })) {
        seen.push(tokio::time::timeout_at(deadline.into(), rx.recv()).await.expect("an Exported event").unwrap());
    }
    assert!(seen.iter().any(|e| matches!(e, ExpertiseEvent::WatchStarted { .. })), "{seen:?}");
    assert!(seen.iter().any(|e| matches!(e, ExpertiseEvent::Imported { domain, .. } if domain == "db")), "{seen:?}");
    assert!(seen.iter().any(|e| matches!(e, ExpertiseEvent::Exported { domain, .. } if domain == "api")), "{seen:?}");
    let stats = w.stats();
    // The database poll or a file batch (whichever ran first) exported the SQL change: one write; the new
    // domain's folder is whoever wrote it (no question.md or self-improve.md is added to it); the file edits
    // themselves wrote nothing back.
    assert_eq!(stats.exported, 1, "{stats:?}");
    assert_eq!(stats.files_written, 1, "{stats:?}");
    assert!(!f.layout().question_file("db").exists());
    w.stop().await;
}

#[tokio::test]
async fn both_sides_changed_records_a_conflict_and_loses_nothing() {
    let f = fixture().await;
    expertise::upsert(&f.db, &f.p, api(&["base"], 0.6, 1)).await.unwrap();
    let (tx, mut rx) = broadcast::channel(1024);
    let opts = WatchOptions { db_poll: None, ..Default::default() };
    let w = Watcher::start_with(&f.db, &f.p, tx.clone(), opts.clone()).await.unwrap();
    w.stop().await;

    // While nothing watches: the file and the database both change.
    let file_text = yaml_text("api", &["base", "from the file"], 1);
    std::fs::write(f.yaml("api"), &file_text).unwrap();
    sqlx::query("UPDATE expertise SET patterns = '[\"base\",\"from the db\"]' WHERE domain = 'api'")
        .execute(f.db.pool())
        .await
        .unwrap();

    let w = Watcher::start_with(&f.db, &f.p, tx, opts).await.unwrap();
    assert_eq!(w.initial_report().conflicts, vec!["api"]);
    let mut got_conflict = false;
    while let Ok(ev) = rx.try_recv() {
        got_conflict |= matches!(ev, ExpertiseEvent::Conflict { ref domain, .. } if domain == "api");
    }
    assert!(got_conflict);
    // Neither side was overwritten; both versions are retrievable.
    assert_eq!(std::fs::read_to_string(f.yaml("api")).unwrap(), file_text);
    assert_eq!(f.get("api").await.unwrap().patterns, ["base", "from the db"]);
    let open = expertise::conflicts(&f.db, &f.p, true).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].file_version, file_text);
    assert!(open[0].db_version.contains("- from the db\n"));
    // Syncing again does not duplicate the conflict.
    let again = expertise::import_all(&f.db, &f.p).await.unwrap();
    assert_eq!(again.conflicts, Vec::<String>::new());
    assert_eq!(expertise::conflicts(&f.db, &f.p, true).await.unwrap().len(), 1);
    w.stop().await;

    // The user keeps the file.
    let r = expertise::resolve_conflict(&f.db, &f.p, "api", Keep::File).await.unwrap();
    assert_eq!(r.imported, vec!["api"]);
    assert_eq!(f.get("api").await.unwrap().patterns, ["base", "from the file"]);
    assert!(expertise::conflicts(&f.db, &f.p, true).await.unwrap().is_empty());
    let all = expertise::conflicts(&f.db, &f.p, false).await.unwrap();
    assert_eq!(all[0].resolution, Some(ConflictResolution::File));
    assert!(all[0].db_version.contains("- from the db\n"), "the losing version stays retrievable");
    assert_eq!(expertise::export_all(&f.db, &f.p).await.unwrap().files_written, 0);

    // A second conflict, resolved for the database this time.
    std::fs::write(f.yaml("api"), yaml_text("api", &["file again"], 1)).unwrap();
    sqlx::query("UPDATE expertise SET patterns = '[\"db again\"]' WHERE domain = 'api'")
        .execute(f.db.pool())
        .await
        .unwrap();
    assert_eq!(expertise::import_all(&f.db, &f.p).await.unwrap().conflicts, vec!["api"]);
    expertise::resolve_conflict(&f.db, &f.p, "api", Keep::Db).await.unwrap();
    assert!(std::fs::read_to_string(f.yaml("api")).unwrap().contains("- db again\n"));
    assert_eq!(expertise::conflicts(&f.db, &f.p, false).await.unwrap().len(), 2);
    let err = expertise::resolve_conflict(&f.db, &f.p, "api", Keep::Db).await.unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn a_hundred_rapid_edits_cause_no_echo() {
    let f = fixture().await;
    expertise::upsert(&f.db, &f.p, api(&["start"], 0.6, 0)).await.unwrap();
    let (tx, _rx) = broadcast::channel(4096);
    let w = Watcher::start(&f.db, &f.p, tx).await.unwrap();
    let path = f.yaml("api");
    let mut last = String::new();
    for i in 1..=100 {
        last = yaml_text("api", &["start", &format!("edit {i}")], i);
        std::fs::write(&path, &last).unwrap();
        if i % 10 == 0 {
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }
    eventually(10, "the last edit stored", || async { f.get("api").await.is_some_and(|e| e.usage_count == 100) }).await;
    // Give a would-be echo time to show up.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let stats = w.stats();
    assert_eq!(stats.files_written, 0, "no write caused by file edits: {stats:?}");
    assert_eq!(stats.exported, 0, "{stats:?}");
    assert!(stats.file_batches >= 1 && stats.imported >= 1, "{stats:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), last, "the file is exactly the last edit");
    let e = f.get("api").await.unwrap();
    assert_eq!(e.patterns, ["start", "edit 100"]);
    w.stop().await;
}

#[tokio::test]
async fn malformed_yaml_names_file_and_line_and_changes_nothing() {
    let f = fixture().await;
    expertise::upsert(&f.db, &f.p, api(&["keep me"], 0.6, 1)).await.unwrap();
    let bad = "confidence: 0.6\ndomain: api\npatterns: [unclosed\nusage: 1\n";
    std::fs::write(f.yaml("api"), bad).unwrap();
    let before = f.dump().await;

    let r = expertise::import_all(&f.db, &f.p).await.unwrap();
    assert_eq!(r.issues.len(), 1, "{r:?}");
    let msg = &r.issues[0].message;
    assert!(msg.contains("expertise.yaml:") && msg.contains("malformed expertise YAML"), "{msg}");
    let line: String = msg.split(".yaml:").nth(1).unwrap().chars().take_while(|c| c.is_ascii_digit()).collect();
    assert!((3..=5).contains(&line.parse::<u32>().unwrap()), "{msg}");
    assert_eq!(f.dump().await, before);
    assert_eq!(std::fs::read_to_string(f.yaml("api")).unwrap(), bad);
    let err = expertise::sync_domain(&f.db, &f.p, "api").await.unwrap_err();
    assert!(err.to_string().contains("expertise.yaml:"), "{err}");

    // Wrong types and out-of-range values are refused too.
    std::fs::write(f.yaml("api"), "confidence: 7\ndomain: api\n").unwrap();
    let r = expertise::import_all(&f.db, &f.p).await.unwrap();
    assert!(r.issues[0].message.contains("between 0 and 1"), "{r:?}");
    assert_eq!(f.dump().await, before);

    // In watch mode the problem arrives as an event.
    let (tx, mut rx) = broadcast::channel(1024);
    let w = Watcher::start(&f.db, &f.p, tx).await.unwrap();
    while rx.try_recv().is_ok() {}
    std::fs::write(f.yaml("api"), "confidence: 0.6\ndomain: api\npatterns: [unclosed\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let message = loop {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await.expect("an Invalid event") {
            Ok(ExpertiseEvent::Invalid { message, .. }) => break message,
            _ => continue,
        }
    };
    assert!(message.contains("expertise.yaml:"), "{message}");
    assert_eq!(f.dump().await, before);
    w.stop().await;
}

#[tokio::test]
async fn traversal_names_symlinks_and_big_files_are_refused() {
    let f = fixture().await;
    let long = "a".repeat(65);
    for name in ["../x", "/abs", "a/b", "", "Api", "-x", long.as_str()] {
        let e = Expertise::new(name);
        let err = expertise::upsert(&f.db, &f.p, e).await.unwrap_err();
        assert_eq!(err.code(), "invalid_input", "{name}");
        assert!(expertise::add(&f.db, &f.p, name).await.is_err());
    }
    assert!(!f.repo.join(".claude").exists(), "nothing was written");
    assert!(!f.dir.path().join("x").exists());

    // A domain folder that is a symlink leading out of .claude/.
    let outside = f.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("expertise.yaml"), yaml_text("evil", &["stolen"], 0)).unwrap();
    std::fs::create_dir_all(f.layout().experts_dir()).unwrap();
    std::os::unix::fs::symlink(&outside, f.layout().domain_dir("evil")).unwrap();
    // A file that is a symlink leading out.
    std::fs::create_dir_all(f.layout().domain_dir("evil2")).unwrap();
    std::fs::write(outside.join("secret.yaml"), yaml_text("evil2", &["stolen"], 0)).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.yaml"), f.yaml("evil2")).unwrap();
    // A folder with a bad name, and a file over the size bound.
    std::fs::create_dir_all(f.layout().experts_dir().join("Bad_Name")).unwrap();
    std::fs::create_dir_all(f.layout().domain_dir("big")).unwrap();
    let mut big = yaml_text("big", &["x"], 0);
    big.push_str(&format!("# {}\n", "x".repeat(300 * 1024)));
    std::fs::write(f.yaml("big"), &big).unwrap();

    let outside_before = all_files(&outside);
    let r = expertise::import_all(&f.db, &f.p).await.unwrap();
    assert_eq!(r.imported, Vec::<String>::new(), "{r:?}");
    let msgs: Vec<&str> = r.issues.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert!(msgs.iter().filter(|m| m.contains("outside the repository's .claude/")).count() == 2, "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("Bad_Name") && m.contains("invalid expertise domain")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("limited to 256 KiB")), "{msgs:?}");
    assert!(expertise::list(&f.db, &f.p).await.unwrap().is_empty());

    // Writing through the escaping folder is refused as well; the outside files are untouched.
    let err = expertise::upsert(&f.db, &f.p, Expertise::new("evil")).await.unwrap();
    assert_eq!(err.files_written, 0);
    assert!(err.issues[0].message.contains("outside"), "{err:?}");
    assert_eq!(all_files(&outside), outside_before);
}

#[tokio::test]
async fn skill_is_generated_past_the_thresholds_only() {
    let f = fixture().await;
    let skill = f.layout().skill_file("api");
    for (conf, usage) in [(0.8, 11), (0.9, 10), (0.5, 50)] {
        expertise::upsert(&f.db, &f.p, api(&["Validate input"], conf, usage)).await.unwrap();
        assert!(!skill.exists(), "no skill at confidence {conf}, usage {usage}");
    }
    let r = expertise::upsert(&f.db, &f.p, api(&["Validate input"], 0.85, 11)).await.unwrap();
    assert_eq!(r.skills_written, vec!["api"]);
    let text = std::fs::read_to_string(&skill).unwrap();
    assert!(text.starts_with("---\nname: api-expert\ndescription: "), "{text}");
    assert!(text.contains("\n---\n\n# api expert\n"), "{text}");
    assert!(text.ends_with("- Validate input\n"), "{text}");
    // Usage ticking up does not touch the skill; a pattern change does.
    let r = expertise::upsert(&f.db, &f.p, api(&["Validate input"], 0.85, 12)).await.unwrap();
    assert_eq!((r.skills_written.len(), r.files_written), (0, 1));
    let r = expertise::upsert(&f.db, &f.p, api(&["Validate input", "Log every 5xx"], 0.85, 12)).await.unwrap();
    assert_eq!(r.skills_written, vec!["api"]);
    assert!(std::fs::read_to_string(&skill).unwrap().ends_with("- Validate input\n- Log every 5xx\n"));
    // Below the thresholds again: the generated skill goes.
    expertise::upsert(&f.db, &f.p, api(&["Validate input", "Log every 5xx"], 0.6, 12)).await.unwrap();
    assert!(!skill.exists() && !skill.parent().unwrap().exists());
    // A skill a person wrote in that place is theirs: never overwritten, never removed.
    std::fs::create_dir_all(skill.parent().unwrap()).unwrap();
    let mine = "---\nname: api-expert\ndescription: My own notes on the API.\n---\n\nAsk me first.\n";
    std::fs::write(&skill, mine).unwrap();
    for (conf, usage) in [(0.95, 30), (0.2, 1)] {
        let r = expertise::upsert(&f.db, &f.p, api(&["Validate input"], conf, usage)).await.unwrap();
        assert!(r.skills_written.is_empty(), "{r:?}");
        assert_eq!(std::fs::read_to_string(&skill).unwrap(), mine);
    }

    // Thresholds are configurable.
    let opts =
        SyncOptions { skills: expertise::SkillThresholds { min_confidence: 0.1, min_usage: 0 }, ..Default::default() };
    let mut low = Expertise::new("db");
    low.usage_count = 1;
    let r = expertise::upsert_with(&f.db, &f.p, low, &opts).await.unwrap();
    assert_eq!(r.skills_written, vec!["db"]);
}

#[tokio::test]
async fn router_prefers_skill_then_db_then_none_and_logs_it() {
    let f = fixture().await;
    let tasks = json!({ "project": "t", "tasks": [
        { "id": "t1", "title": "Add a users endpoint", "description": "New route.", "files": ["src/api/users.rs"] },
        { "id": "t2", "title": "Add an index", "description": "Speed up the orders query with a migration.",
          "files": ["migrations/0005.sql"] },
        { "id": "t3", "title": "Write the changelog", "description": "Summarize the release." },
        { "id": "t4", "title": "Expose the db stats on the api", "description": "" },
    ]});
    let file = f.dir.path().join("tasks.json");
    std::fs::write(&file, tasks.to_string()).unwrap();
    import::import_file(&f.db, &f.p.id, &file).await.unwrap();

    expertise::upsert(&f.db, &f.p, api(&["Validate request bodies in the handler"], 0.9, 20)).await.unwrap();
    let mut db = Expertise::new("db");
    db.patterns = vec!["Every migration is append-only".into(), "Index columns used by a query filter".into()];
    expertise::upsert(&f.db, &f.p, db).await.unwrap();
    assert!(f.layout().skill_file("api").is_file());
    assert!(!f.layout().skill_file("db").exists());

    let d1 = expertise::route(&f.db, &f.p, "t1").await.unwrap();
    assert_eq!((d1.domain.as_deref(), d1.source), (Some("api"), RouteSource::Skill), "{d1:?}");
    assert!(d1.reasons.iter().any(|r| r.contains("`api` in its name")), "{d1:?}");
    assert_eq!(d1.skill.as_deref(), Some(".claude/skills/api-expert/SKILL.md"));
    let d2 = expertise::route(&f.db, &f.p, "t2").await.unwrap();
    assert_eq!((d2.domain.as_deref(), d2.source), (Some("db"), RouteSource::Db), "{d2:?}");
    assert!(d2.reasons.iter().any(|r| r.contains("`migrat`") && r.contains("`queri`")), "{d2:?}");
    let d3 = expertise::route(&f.db, &f.p, "t3").await.unwrap();
    assert_eq!((d3.domain, d3.source), (None, RouteSource::None));
    // Both named: ranked, the rarer term decides (`api` names a skill and an expertise, `db` one expertise).
    let d4 = expertise::route(&f.db, &f.p, "t4").await.unwrap();
    assert_eq!((d4.domain.as_deref(), d4.source), (Some("db"), RouteSource::Db), "{d4:?}");
    assert_eq!(expertise::route(&f.db, &f.p, "nope").await.unwrap_err().code(), "not_found");

    let logged: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT task_id, domain, source FROM expertise_routing ORDER BY id")
            .fetch_all(f.db.pool())
            .await
            .unwrap();
    assert_eq!(logged.len(), 4);
    assert_eq!(logged[1], ("t2".into(), Some("db".into()), "db".into()));
    let stats = expertise::reuse_stats(&f.db, &f.p).await.unwrap();
    assert_eq!((stats.routed, stats.served_by_expertise), (4, 3));
    assert!((stats.ratio - 0.75).abs() < 1e-9);
    // Routing a task again counts it once, by its latest decision.
    expertise::route(&f.db, &f.p, "t1").await.unwrap();
    assert_eq!(expertise::reuse_stats(&f.db, &f.p).await.unwrap().routed, 4);
}

async fn yf(f: &Fx, args: &[&str]) -> (i32, String, String) {
    let out = support::cli(&f.db_path, &f.repo, args).await;
    (out.code, out.stdout, out.stderr)
}

#[tokio::test]
async fn cli_expertise_commands() {
    let f = fixture().await;
    let (code, out, err) = yf(&f, &["expertise", "add", "api"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("api"), "{out}");
    assert!(f.yaml("api").is_file());
    let (code, _, err) = yf(&f, &["expertise", "add", "../x"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("invalid expertise domain"), "{err}");

    std::fs::write(f.yaml("api"), yaml_text("api", &["Use the router"], 4)).unwrap();
    let (code, out, err) = yf(&f, &["expertise", "import"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 imported"), "{out}");
    let (code, out, _) = yf(&f, &["expertise", "list", "--json"]).await;
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["domain"], "api");
    assert_eq!(v[0]["usage_count"], 4);
    let (code, out, _) = yf(&f, &["expertise", "list"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("api") && out.contains("0.6"), "{out}");
    let (code, out, _) = yf(&f, &["expertise", "export"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("0 files written"), "{out}");

    let tasks = json!({ "project": "t", "tasks": [{ "id": "t1", "title": "Fix the api router" }]});
    let file = f.dir.path().join("tasks.json");
    std::fs::write(&file, tasks.to_string()).unwrap();
    import::import_file(&f.db, &f.p.id, &file).await.unwrap();
    let (code, out, err) = yf(&f, &["expertise", "route", "t1", "--json"]).await;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["domain"], "api");
    assert_eq!(v["source"], "db");

    std::fs::write(f.yaml("api"), "domain: [\n").unwrap();
    let (code, _, err) = yf(&f, &["expertise", "import"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("expertise.yaml:"), "{err}");
}
