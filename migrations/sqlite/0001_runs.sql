-- Recorded runs, kept after they leave memory so that their permalinks
-- open for as long as the lab keeps them (`--keep-runs`, 30 days by
-- default). The record is the run's JSON, as `GET /lab/runs/{id}` serves
-- it; the other columns are for sweeping and caps.
CREATE TABLE runs (
    id TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    -- waiting, done or failed: a waiting run found at start was cut off by
    -- a restart.
    status TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX runs_expires_at ON runs (expires_at);
CREATE INDEX runs_updated_at ON runs (updated_at);
