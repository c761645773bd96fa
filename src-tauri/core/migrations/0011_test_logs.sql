-- YokeFlow schema, version 11: the test log of a branch the merge gate found failing, on its worktree row, so a
-- person reads why a task is in Review in the window (`yokeflow log TASK --tests`) instead of a path.

ALTER TABLE worktrees ADD COLUMN test_log TEXT;
