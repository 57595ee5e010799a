-- The key that signs JWT access tokens (RFC 9068), so that every lab
-- process on this database signs with one key and verifies the others'
-- tokens, and a restart keeps the tokens it issued valid. PKCS #1 DER.
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY NOT NULL,
    der BLOB NOT NULL
);
