-- YokeFlow schema, version 1. Timestamps are Unix milliseconds; JSON columns hold UTF-8 JSON text.

CREATE TABLE projects (
    id             TEXT PRIMARY KEY,                 -- uuid
    name           TEXT NOT NULL,
    repo_path      TEXT NOT NULL UNIQUE,             -- canonical absolute path of the work tree
    target_branch  TEXT NOT NULL,
    tasks_file     TEXT,                             -- path of the last imported tasks file
    agent_command  TEXT,                             -- JSON argv template, NULL = default agent
    test_command   TEXT,                             -- JSON argv, NULL = no tests configured
    max_worktrees  INTEGER NOT NULL DEFAULT 4 CHECK (max_worktrees BETWEEN 1 AND 64),
    execution_plan TEXT,                             -- JSON, written by the plan engine
    is_demo        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE epics (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    PRIMARY KEY (project_id, id)
);

CREATE TABLE tasks (
    project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    id              TEXT NOT NULL,                    -- [a-z0-9-]+, unique in the project
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    epic_id         TEXT,
    status          TEXT NOT NULL DEFAULT 'backlog'
                    CHECK (status IN ('backlog', 'in_progress', 'review', 'done')),
    priority        INTEGER NOT NULL DEFAULT 0,
    effort_minutes  INTEGER NOT NULL DEFAULT 30 CHECK (effort_minutes > 0),
    files           TEXT NOT NULL DEFAULT '[]',       -- JSON array: paths or globs declared in the tasks file
    predicted_files TEXT NOT NULL DEFAULT '[]',       -- JSON array of {path, reason}, from the plan engine
    position        INTEGER NOT NULL,                 -- order in the tasks file
    review_reason   TEXT,                             -- why the task sits in Review
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, epic_id) REFERENCES epics(project_id, id)
);
CREATE INDEX tasks_by_status ON tasks(project_id, status);

CREATE TABLE task_dependencies (
    project_id TEXT NOT NULL,
    task_id    TEXT NOT NULL,
    depends_on TEXT NOT NULL,
    PRIMARY KEY (project_id, task_id, depends_on),
    FOREIGN KEY (project_id, task_id) REFERENCES tasks(project_id, id) ON DELETE CASCADE,
    FOREIGN KEY (project_id, depends_on) REFERENCES tasks(project_id, id) ON DELETE CASCADE,
    CHECK (task_id <> depends_on)
);

CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    mode        TEXT NOT NULL CHECK (mode IN ('parallel', 'sequential')),
    status      TEXT NOT NULL CHECK (status IN ('running', 'paused', 'finished', 'failed', 'cancelled', 'interrupted')),
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    report      TEXT                                  -- JSON run report
);

CREATE TABLE worktrees (
    id          TEXT PRIMARY KEY,                     -- uuid
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    branch_name TEXT NOT NULL,
    path        TEXT NOT NULL,
    batch_id    TEXT,
    task_id     TEXT,
    status      TEXT NOT NULL
                CHECK (status IN ('creating', 'active', 'merging', 'merged', 'review', 'removed')),
    base_commit TEXT,
    created_at  INTEGER NOT NULL,
    merged_at   INTEGER,
    metadata    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX worktrees_by_project ON worktrees(project_id, status);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,                     -- uuid
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    task_id     TEXT NOT NULL,
    run_id      TEXT REFERENCES runs(id) ON DELETE SET NULL,
    batch_id    TEXT,
    worktree_id TEXT REFERENCES worktrees(id) ON DELETE SET NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    outcome     TEXT NOT NULL DEFAULT 'running'
                CHECK (outcome IN ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted', 'no_changes')),
    exit_code   INTEGER,
    pid         INTEGER,
    log_path    TEXT
);
CREATE INDEX sessions_by_task ON sessions(project_id, task_id);

CREATE TABLE expertise (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    domain      TEXT NOT NULL CHECK (domain GLOB '[a-z0-9]*' AND domain NOT GLOB '*[^a-z0-9-]*'),
    patterns    TEXT NOT NULL DEFAULT '[]',            -- JSON array of strings
    metrics     TEXT NOT NULL DEFAULT '{}',            -- JSON object
    confidence  REAL NOT NULL DEFAULT 0.5 CHECK (confidence BETWEEN 0 AND 1),
    usage_count INTEGER NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    db_hash     TEXT,                                  -- hash of the DB content at the last sync
    file_hash   TEXT,                                  -- hash of the files at the last sync
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, domain)
);
