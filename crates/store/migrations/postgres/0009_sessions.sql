-- Login sessions (contract Level 4, "Sessions"): one row per login, carried on by its
-- refresh tokens. `refresh_jti` is the one refresh token the session accepts now; a refresh
-- replaces it, and an earlier one presented again ends the session — but for the one it
-- replaced (`previous_jti`), within a few seconds of `rotated_at` (Unix seconds): two tabs
-- racing, not a thief. `expires_at` (Unix seconds) is the current refresh token's expiry;
-- `token_version` the account's at login: a password change (which raises the account's) ends
-- every session. Times as elsewhere, in microseconds.
CREATE TABLE sessions (
    id            TEXT    NOT NULL PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    token_version BIGINT  NOT NULL,
    refresh_jti   TEXT    NOT NULL,
    previous_jti  TEXT,
    rotated_at    BIGINT,
    expires_at    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT  NOT NULL,
    user_agent    TEXT    NOT NULL,
    ip            TEXT    NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id, last_used_at);
