-- YokeFlow schema, version 13: the merge gate's pre-flight and batches (issue 30). Whether a finished branch is
-- tested merged with the target in its own worktree while it waits for the gate, how many test runs may go at once
-- (NULL: as many as the machine has cores), and the most branches one gate test run lands together.

ALTER TABLE projects ADD COLUMN preflight INTEGER NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN parallel_tests INTEGER;
ALTER TABLE projects ADD COLUMN batch_size INTEGER NOT NULL DEFAULT 8;
