-- YokeFlow schema, version 9: reused worktree slots. When a project reuses worktrees, each worker slot keeps one
-- worktree folder (`.yokeflow/worktrees/slot-<n>`) that is reset to the next task's base between tasks, so ignored
-- build outputs (`target/`, `node_modules/`, caches) survive from one task to the next.

ALTER TABLE projects ADD COLUMN reuse_worktrees INTEGER NOT NULL DEFAULT 0 CHECK (reuse_worktrees IN (0, 1));
