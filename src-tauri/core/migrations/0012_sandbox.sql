-- YokeFlow schema, version 12: the sandbox (issue 29). Whether a project's agents, tests, setup and cleanup run
-- confined by bubblewrap (off for projects made before it; a project added by a person gets it on where bubblewrap
-- works), whether the network is shared inside, and the tool caches writable there (a JSON list; NULL: none).

ALTER TABLE projects ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN sandbox_network INTEGER NOT NULL DEFAULT 1;
ALTER TABLE projects ADD COLUMN sandbox_caches TEXT;

-- Whether each agent session ran in the sandbox (sessions before this version did not).
ALTER TABLE sessions ADD COLUMN sandboxed INTEGER NOT NULL DEFAULT 0;
