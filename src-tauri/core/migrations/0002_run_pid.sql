-- YokeFlow schema, version 2: the process that drives a run, so a restart can tell a live run from one whose
-- process died (crash recovery; see orchestrator::recover).

ALTER TABLE runs ADD COLUMN pid INTEGER;
