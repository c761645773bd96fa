-- YokeFlow schema, version 4: the merge gate's early warning. While agents work, the run loop checks each active
-- task branch against the target and the other active branches in memory; a predicted conflict is kept here
-- (JSON list of {other, files}) until the task lands or leaves in-progress.

ALTER TABLE tasks ADD COLUMN conflict_warning TEXT;
