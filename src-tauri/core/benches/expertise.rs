//! Expertise sync benchmark (a plain binary, `harness = false`): `cargo bench -p yokeflow-core --bench expertise`.
//!
//! Prints, with PASS/FAIL against each target:
//! - file edit → database latency through the real `notify` watcher: median of 30 edits (target ≤ 300 ms);
//! - export of 1,000 domains to files, the re-export of the unchanged data (must write nothing), and the
//!   import of those 1,000 domains into a fresh database (target: each ≤ 5 s).

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use yokeflow_core::expertise::{self, Expertise, Layout, Watcher};
use yokeflow_core::model::Project;
use yokeflow_core::{store::db::Db, store::project};

const EDITS: u32 = 30;
const DOMAINS: usize = 1000;

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn setup(root: &Path) -> (Db, Project) {
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let r = git2::Repository::init_opts(&repo, &opts).unwrap();
    std::fs::write(repo.join("README.md"), "bench\n").unwrap();
    yokeflow_core::sys::git::commit_all(&r, "init").unwrap();
    let db = Db::open(&root.join("data/yokeflow.db")).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    (db, p)
}

fn edit_text(i: u32) -> String {
    format!(
        "confidence: 0.6\ndomain: api\nmetrics: {{}}\npatterns:\n- Validate request bodies\n- edit {i}\nusage: {i}\n"
    )
}

async fn latency(root: &Path) -> bool {
    let (db, p) = setup(root).await;
    expertise::upsert(&db, &p, Expertise::new("api")).await.unwrap();
    let (tx, _rx) = broadcast::channel(4096);
    let handle = Watcher::start(&db, &p, tx).await.unwrap();
    let path = Layout::new(&p.repo_path).expertise_file("api");
    let mut samples = Vec::new();
    for i in 1..=EDITS {
        let start = Instant::now();
        std::fs::write(&path, edit_text(i)).unwrap();
        loop {
            let e = expertise::get(&db, &p, "api").await.unwrap().unwrap();
            if e.usage_count == i {
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!("edit {i} never reached the database");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = handle.stats();
    handle.stop().await;
    samples.sort();
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    let ok = median <= Duration::from_millis(300) && stats.files_written == 0;
    println!(
        "file edit -> DB through the watcher: median {:.1} ms, p90 {:.1} ms, max {:.1} ms over {EDITS} edits; \
         files written back: {} (target median <= 300 ms, 0 writes)  {}",
        ms(median),
        ms(p90),
        ms(*samples.last().unwrap()),
        stats.files_written,
        verdict(ok)
    );
    ok
}

async fn thousand(root: &Path) -> bool {
    let (db, p) = setup(root).await;
    let now = yokeflow_core::model::now_ms();
    let mut tx = db.pool().begin().await.unwrap();
    for i in 0..DOMAINS {
        let patterns: Vec<String> = (0..5).map(|k| format!("Pattern {k} of domain {i}: keep handlers small")).collect();
        sqlx::query(
            "INSERT INTO expertise (project_id, domain, patterns, metrics, confidence, usage_count, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&p.id)
        .bind(format!("domain-{i:04}"))
        .bind(serde_json::to_string(&patterns).unwrap())
        .bind(r#"{"success_rate":0.9,"tasks":12}"#)
        .bind(0.5 + (i % 50) as f64 / 100.0)
        .bind((i % 30) as i64)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let t = Instant::now();
    let export = expertise::export_all(&db, &p).await.unwrap();
    let export_time = t.elapsed();
    let t = Instant::now();
    let again = expertise::export_all(&db, &p).await.unwrap();
    let again_time = t.elapsed();

    let db2 = Db::open(&root.join("data/fresh.db")).await.unwrap();
    let p2 = project::init(&db2, Path::new(&p.repo_path)).await.unwrap();
    let t = Instant::now();
    let import = expertise::import_all(&db2, &p2).await.unwrap();
    let import_time = t.elapsed();
    let same = expertise::list(&db, &p).await.unwrap() == expertise::list(&db2, &p2).await.unwrap();

    let limit = Duration::from_secs(5);
    let ok_export = export_time <= limit && export.exported.len() == DOMAINS;
    let ok_again = again_time <= limit && again.files_written == 0;
    let ok_import = import_time <= limit && import.imported.len() == DOMAINS && same;
    println!(
        "export of {DOMAINS} domains: {:.0} ms, {} files written (incl. {} skills) (target <= 5 s)  {}",
        ms(export_time),
        export.files_written,
        export.skills_written.len(),
        verdict(ok_export)
    );
    println!(
        "re-export of unchanged data: {:.0} ms, {} files written (target 0)  {}",
        ms(again_time),
        again.files_written,
        verdict(ok_again)
    );
    println!(
        "import of {DOMAINS} domains into a fresh database: {:.0} ms, {} imported, identical: {same} (target <= 5 s)  {}",
        ms(import_time),
        import.imported.len(),
        verdict(ok_import)
    );
    ok_export && ok_again && ok_import
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let a = latency(&dir.path().join("latency")).await;
    let b = thousand(&dir.path().join("thousand")).await;
    println!("{}", if a && b { "expertise bench: PASS" } else { "expertise bench: FAIL" });
    if !(a && b) {
        std::process::exit(1);
    }
}
