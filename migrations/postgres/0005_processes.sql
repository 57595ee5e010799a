-- The lab processes on this database and when each was last seen, so that
-- a run left recording by a process that is gone is marked interrupted,
-- and one recording on a live replica is not.
ALTER TABLE runs ADD COLUMN process TEXT NOT NULL DEFAULT '';
CREATE TABLE processes (
    id TEXT PRIMARY KEY NOT NULL,
    seen_ms BIGINT NOT NULL
);
