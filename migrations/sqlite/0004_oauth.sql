-- What the authorization server issues, so that every lab process on one
-- database sees the same codes, tokens, sign-ins and device grants, and a
-- restart keeps them. Secrets (codes, tokens, request and device codes)
-- are kept only as their SHA-256. Times ending in _ms are milliseconds
-- since the epoch, when the row is swept; expires_at in tokens is the
-- token's own, in seconds on the clock its client is judged by.
ALTER TABLE clients ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX clients_owner ON clients (owner, created_ms);

CREATE TABLE codes (
    key BLOB PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    spent INTEGER NOT NULL,
    gone_ms INTEGER NOT NULL
);
CREATE INDEX codes_gone_ms ON codes (gone_ms);

CREATE TABLE tokens (
    key BLOB PRIMARY KEY NOT NULL,
    kind INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    username TEXT,
    scopes TEXT NOT NULL,
    family INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL,
    rotated INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    gone_ms INTEGER NOT NULL
);
CREATE INDEX tokens_gone_ms ON tokens (gone_ms);
CREATE INDEX tokens_client ON tokens (client_id, created_ms);

CREATE TABLE revoked_families (
    family INTEGER PRIMARY KEY NOT NULL,
    gone_ms INTEGER NOT NULL
);

CREATE TABLE pending (
    key BLOB PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    gone_ms INTEGER NOT NULL
);
CREATE INDEX pending_gone_ms ON pending (gone_ms);

-- A device grant by its device code; user_key, the digest of its user
-- code, is cleared once the user has decided or the code expired.
CREATE TABLE devices (
    key BLOB PRIMARY KEY NOT NULL,
    user_key BLOB UNIQUE,
    user_gone_ms INTEGER NOT NULL,
    record TEXT NOT NULL,
    gone_ms INTEGER NOT NULL
);
CREATE INDEX devices_gone_ms ON devices (gone_ms);
