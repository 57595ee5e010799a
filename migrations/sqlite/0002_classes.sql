-- Open classes, so that a presenter and their followers carry on after a
-- restart. A class is known by the SHA-256 of its id and of its
-- presenter's key, never by either; it lasts four hours after its last
-- move.
CREATE TABLE classes (
    id_hash TEXT PRIMARY KEY NOT NULL,
    key_hash TEXT NOT NULL,
    owner TEXT NOT NULL,
    view TEXT NOT NULL,
    seq INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX classes_expires_at ON classes (expires_at);
