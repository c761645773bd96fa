-- YokeFlow schema, version 6: what an agent did and cost, and the tools a person let agents use.
-- Sessions gain the outcome `refused` (the agent's CLI refused it a tool), the adapter that read its output, the
-- agent CLI's own session id (what a follow-up resumes), its transcript file, cost and tokens, the tools it was
-- refused, its last message, the folder it ran in, and the remark of a follow-up session. SQLite cannot change a CHECK in place:
-- the table is rebuilt (nothing references it).

CREATE TABLE sessions_v6 (
    id               TEXT PRIMARY KEY,                     -- uuid
    project_id       TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    task_id          TEXT NOT NULL,
    run_id           TEXT REFERENCES runs(id) ON DELETE SET NULL,
    batch_id         TEXT,
    worktree_id      TEXT REFERENCES worktrees(id) ON DELETE SET NULL,
    started_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    outcome          TEXT NOT NULL DEFAULT 'running'
                     CHECK (outcome IN ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted',
                                        'no_changes', 'refused')),
    exit_code        INTEGER,
    pid              INTEGER,
    log_path         TEXT,
    agent_kind       TEXT CHECK (agent_kind IN ('claude_code', 'codex', 'plain_text')),
    agent_session_id TEXT,
    transcript_path  TEXT,
    cost_usd         REAL CHECK (cost_usd IS NULL OR cost_usd >= 0),
    input_tokens     INTEGER,
    output_tokens    INTEGER,
    turns            INTEGER,
    denials          TEXT,                                 -- JSON list of {tool, input}
    last_text        TEXT,
    remark           TEXT,                                 -- a person's follow-up, for feedback sessions
    cwd              TEXT                                  -- where the agent ran (a resumed conversation must run there)
);
INSERT INTO sessions_v6 (id, project_id, task_id, run_id, batch_id, worktree_id, started_at, ended_at, outcome,
                         exit_code, pid, log_path)
    SELECT id, project_id, task_id, run_id, batch_id, worktree_id, started_at, ended_at, outcome, exit_code, pid,
           log_path
    FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_v6 RENAME TO sessions;
CREATE INDEX sessions_by_task ON sessions(project_id, task_id);
CREATE INDEX sessions_by_run ON sessions(run_id);

-- Tools a person allowed the project's agents beyond the defaults, as Claude Code permission rules
-- (`Bash(npm install:*)`, `WebFetch`). Shown, and revocable.
CREATE TABLE agent_permissions (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    rule       TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (project_id, rule)
);

-- A person's follow-up on a task's work: sent to the task's agent (the same conversation where the CLI can resume
-- it) in the task's worktree, then the work goes through the gate as usual. A remark on a running task waits until
-- its agent stops. `session_id` is set once a session took it.
CREATE TABLE task_feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    task_id     TEXT NOT NULL,
    remark      TEXT NOT NULL CHECK (length(remark) > 0),
    created_at  INTEGER NOT NULL,
    session_id  TEXT,
    taken_at    INTEGER
);
CREATE INDEX task_feedback_pending ON task_feedback(project_id, task_id) WHERE session_id IS NULL;

-- The commit that landed a task's work on the target (what its diff shows once its branch is gone).
ALTER TABLE worktrees ADD COLUMN landed_commit TEXT;
