-- YokeFlow schema, version 5: commands a person approved. A tasks file may name the agent and the test command
-- of its project; such a command runs only once a person approved that exact argv for that project (a changed
-- argv needs approval again). Commands a person sets directly (CLI flags, the window) are approved as they are set.

CREATE TABLE command_approvals (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('agent', 'test')),
    argv        TEXT NOT NULL,   -- the exact argv, as a JSON list of strings
    approved_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, kind, argv)
);
