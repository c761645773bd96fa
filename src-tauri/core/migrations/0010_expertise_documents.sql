-- YokeFlow schema, version 10: real expertise files. An expertise file may be any YAML mapping (a person's free-form
-- mental model); the database keeps the last text it read or wrote, so an export edits only the keys YokeFlow owns
-- in that text and leaves the rest (comments, order, every other key) as it is. NULL: a domain YokeFlow created,
-- written in its own format.

ALTER TABLE expertise ADD COLUMN document TEXT;
