-- Version 6: versions of the definitions (playbooks, selector files, fixtures) a team ships
-- to its devices (issue 13). Each push that passed the gate is a numbered version with its
-- hash (common.definitions_set), author, time and the tar.gz itself, kept in the database so
-- every replica serves it; `definitions_current` is one row naming the version devices use
-- (a rollback moves it). A run records the version and hash its device ran it with.
CREATE TABLE definitions_versions (
    version     INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_at  REAL NOT NULL,
    size        INTEGER NOT NULL,
    files       INTEGER NOT NULL,
    scenarios   INTEGER NOT NULL,
    report      TEXT NOT NULL,             -- JSON: the pusher's lint and replay results
--sqlite: archive BLOB NOT NULL
--postgresql: archive BYTEA NOT NULL
);

CREATE TABLE definitions_current (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    version     INTEGER NOT NULL REFERENCES definitions_versions (version),
    changed_at  REAL NOT NULL,
    changed_by  TEXT NOT NULL
);

ALTER TABLE publishing_runs ADD COLUMN definitions_version INTEGER;
ALTER TABLE publishing_runs ADD COLUMN definitions_hash TEXT;
