-- Version 5: the selector-health history (issue 13). One row per canary result a device
-- reported (its id is the device's, so a retried report is the same row), its findings as
-- JSON (read back whole, never queried into), and its proof screenshots, which are assets
-- like a run's proofs. The index answers "the latest result per platform and account".
CREATE TABLE canary_results (
    id                   TEXT PRIMARY KEY,
    device_id            TEXT NOT NULL,
    platform             TEXT NOT NULL,
    account              TEXT NOT NULL,
    verdict              TEXT NOT NULL,
    message              TEXT NOT NULL,
    trigger_kind         TEXT NOT NULL,
    definitions_version  INTEGER,
    definitions_hash     TEXT,
    started_at           REAL NOT NULL,
    received_at          REAL NOT NULL,
    duration_s           REAL NOT NULL,
    detail               TEXT NOT NULL
);
CREATE INDEX canary_results_latest ON canary_results (platform, account, received_at);

CREATE TABLE canary_proofs (
    result_id  TEXT NOT NULL REFERENCES canary_results (id),
    kind       TEXT NOT NULL,
    asset_id   TEXT NOT NULL REFERENCES assets (id),
    PRIMARY KEY (result_id, kind)
);
CREATE INDEX canary_proofs_asset ON canary_proofs (asset_id);
