-- Failure snapshots of a run: the page's HTML and the Playwright trace.
CREATE TABLE run_snapshots (
    run_id      TEXT NOT NULL REFERENCES publishing_runs(id),
    kind        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    asset_id    TEXT NOT NULL REFERENCES assets(id),
    created_at  REAL NOT NULL,
    PRIMARY KEY (run_id, kind, sha256)
);
