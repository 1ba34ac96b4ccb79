-- Version 3: what several server processes share.
-- Dashboard sessions (only the sha256 of a session id is kept, never the id itself), and the
-- claim's own index: QUEUED jobs in due order, so finished jobs never slow a claim down.
CREATE TABLE dashboard_sessions (
    id_hash     TEXT PRIMARY KEY,
    csrf        TEXT NOT NULL,
    expires_at  REAL NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

--sqlite: CREATE INDEX publishing_jobs_queued ON publishing_jobs (scheduled_at) WHERE status = 'QUEUED';
--postgresql: CREATE INDEX publishing_jobs_queued ON publishing_jobs (scheduled_at, rowid) WHERE status = 'QUEUED';
