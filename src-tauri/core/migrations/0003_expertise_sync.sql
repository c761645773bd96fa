-- YokeFlow schema, version 3: expertise sync conflicts and the domain router's decisions (see expertise/).

-- A domain whose database row and `.claude/commands/experts/{domain}/expertise.yaml` both changed since their
-- last sync. Both versions are kept here (also after the conflict is resolved), so nothing is ever lost.
CREATE TABLE expertise_conflicts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    domain       TEXT NOT NULL,
    db_version   TEXT NOT NULL,                       -- expertise.yaml as rendered from the database row
    file_version TEXT NOT NULL,                       -- the file's text as found on disk
    db_hash      TEXT NOT NULL,
    file_hash    TEXT NOT NULL,
    detected_at  INTEGER NOT NULL,
    resolved_at  INTEGER,
    resolution   TEXT CHECK (resolution IN ('db', 'file', 'converged'))
);
CREATE UNIQUE INDEX expertise_conflicts_open ON expertise_conflicts(project_id, domain) WHERE resolved_at IS NULL;

-- Every routing decision: which expert (if any) served a task, and why (`score`).
CREATE TABLE expertise_routing (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    task_id    TEXT NOT NULL,
    domain     TEXT,
    source     TEXT NOT NULL CHECK (source IN ('skill', 'db', 'none')),
    score      REAL NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX expertise_routing_by_task ON expertise_routing(project_id, task_id);
