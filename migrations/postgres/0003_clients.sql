-- Clients registered through /oauth/register, so that a learner's app
-- keeps working after a restart. The record is the client's metadata with
-- its secret only as the SHA-256 the server holds.
CREATE TABLE clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX clients_expires_at ON clients (expires_at);
