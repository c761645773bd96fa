-- YokeFlow schema, version 8: the project settings the window's panel and `yokeflow config` edit beside the
-- commands: how long an agent may work, and a default budget per run.

ALTER TABLE projects ADD COLUMN agent_timeout_secs INTEGER;   -- NULL: 30 minutes
ALTER TABLE projects ADD COLUMN max_cost_usd REAL CHECK (max_cost_usd IS NULL OR max_cost_usd > 0);
