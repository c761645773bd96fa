-- YokeFlow schema, version 7: worktrees ready to build. A project may have a setup command (run in each new task
-- worktree before its agent, and in the gate's worktree when it changed or a lockfile did), a cleanup command (run
-- before a worktree is removed), and ignored files of the main checkout to copy (`worktree_include`) or link
-- (`worktree_link`) into each worktree. Setup and cleanup from a tasks file need approval like the agent and the
-- test command, so the approvals table learns the two kinds.

ALTER TABLE projects ADD COLUMN setup_command TEXT;       -- JSON list of strings (argv)
ALTER TABLE projects ADD COLUMN cleanup_command TEXT;     -- JSON list of strings (argv)
ALTER TABLE projects ADD COLUMN worktree_include TEXT;    -- JSON list of patterns relative to the repository
ALTER TABLE projects ADD COLUMN worktree_link TEXT;       -- JSON list of patterns relative to the repository

CREATE TABLE command_approvals_v7 (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('agent', 'test', 'setup', 'cleanup')),
    argv        TEXT NOT NULL,   -- the exact argv, as a JSON list of strings
    approved_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, kind, argv)
);
INSERT INTO command_approvals_v7 (project_id, kind, argv, approved_at)
    SELECT project_id, kind, argv, approved_at FROM command_approvals;
DROP TABLE command_approvals;
ALTER TABLE command_approvals_v7 RENAME TO command_approvals;
