-- Version 1: posts, jobs, runs, events, proofs, assets, devices, logins, audit.
-- Times are UNIX epoch seconds (REAL, UTC) so comparisons are numeric in every dialect.

CREATE TABLE posts (
    id            TEXT PRIMARY KEY,
    text          TEXT NOT NULL,
    media         TEXT NOT NULL DEFAULT '[]',   -- JSON list of asset ids
    targets       TEXT NOT NULL,                -- JSON list of {platform, account}
    confirm_mode  TEXT NOT NULL DEFAULT 'auto',
    status        TEXT NOT NULL DEFAULT 'DRAFT',
    warnings      TEXT NOT NULL DEFAULT '[]',   -- JSON list, set by schedule
    created_at    REAL NOT NULL,
    updated_at    REAL NOT NULL
);

CREATE TABLE publishing_jobs (
    id                        TEXT PRIMARY KEY,
    post_id                   TEXT NOT NULL REFERENCES posts(id),
    platform                  TEXT NOT NULL,
    account                   TEXT NOT NULL,
    status                    TEXT NOT NULL DEFAULT 'QUEUED',
    scheduled_at              REAL NOT NULL,
    idempotency_key           TEXT NOT NULL UNIQUE,
    attempt_count             INTEGER NOT NULL DEFAULT 0,
    max_attempts              INTEGER NOT NULL,
    locked_by_device_id       TEXT,
    locked_at                 REAL,
    lease_token               TEXT,
    last_error_message        TEXT,
    proof_screenshot_asset_id TEXT,
    post_url                  TEXT,
    verify_first              INTEGER NOT NULL DEFAULT 0,
    confirm_mode              TEXT NOT NULL DEFAULT 'auto',
    confirm_decision          TEXT,
    cancel_requested          INTEGER NOT NULL DEFAULT 0,
    created_at                REAL NOT NULL,
    updated_at                REAL NOT NULL   -- also bumped by every progress report
);

-- At most one live job per post and platform (a reschedule cannot create a second one).
CREATE UNIQUE INDEX publishing_jobs_one_live
    ON publishing_jobs (post_id, platform)
    WHERE status IN ('QUEUED', 'CLAIMED', 'RUNNING', 'AWAITING_CONFIRM', 'NEEDS_LOGIN');

-- The claim query: due QUEUED jobs in due order.
CREATE INDEX publishing_jobs_due ON publishing_jobs (status, scheduled_at);
CREATE INDEX publishing_jobs_post ON publishing_jobs (post_id);
CREATE INDEX publishing_jobs_device ON publishing_jobs (locked_by_device_id);

CREATE TABLE publishing_runs (
    id               TEXT PRIMARY KEY,
    job_id           TEXT NOT NULL REFERENCES publishing_jobs(id),
    attempt          INTEGER NOT NULL,
    device_id        TEXT,
    lease_token      TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'RUNNING',
    error_code       TEXT,
    error_message    TEXT,
    reached_publish  INTEGER NOT NULL DEFAULT 0,
    started_at       REAL NOT NULL,
    ended_at         REAL
);
CREATE INDEX publishing_runs_job ON publishing_runs (job_id);

CREATE TABLE run_events (
    run_id   TEXT NOT NULL REFERENCES publishing_runs(id),
    seq      INTEGER NOT NULL,
    at       TEXT NOT NULL,
    phase    TEXT NOT NULL,
    step     TEXT NOT NULL,
    level    TEXT NOT NULL,
    message  TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE assets (
    id            TEXT PRIMARY KEY,   -- the sha256 of the bytes
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL,
    created_at    REAL NOT NULL
);

CREATE TABLE run_proofs (
    run_id      TEXT NOT NULL REFERENCES publishing_runs(id),
    kind        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    asset_id    TEXT NOT NULL REFERENCES assets(id),
    created_at  REAL NOT NULL,
    PRIMARY KEY (run_id, kind, sha256)
);

CREATE TABLE devices (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    token_hash            TEXT NOT NULL UNIQUE,
    platforms             TEXT NOT NULL DEFAULT '[]',
    accounts              TEXT NOT NULL DEFAULT '[]',
    version               TEXT NOT NULL DEFAULT '',
    last_seen_at          REAL,
    current_job_id        TEXT,
    check_login_requested INTEGER NOT NULL DEFAULT 0,
    created_at            REAL NOT NULL
);

CREATE TABLE device_logins (
    device_id   TEXT NOT NULL REFERENCES devices(id),
    platform    TEXT NOT NULL,
    account     TEXT NOT NULL,
    logged_in   INTEGER NOT NULL,
    checked_at  REAL NOT NULL,
    PRIMARY KEY (device_id, platform, account)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         REAL NOT NULL,
    action     TEXT NOT NULL,
    job_id     TEXT,
    post_id    TEXT,
    device_id  TEXT,
    detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_job ON audit_log (job_id);
