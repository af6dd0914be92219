-- Accounts: one row per person.
--
-- `id` is the one number a person has everywhere: the Account object's `id`, the JWT
-- `user_id` and the WebSocket `user.id`. AUTOINCREMENT (not just INTEGER PRIMARY KEY) so an id
-- is never handed out twice: a token or link that outlives a deleted account must never come
-- to name somebody else.
--
-- Times are microseconds since the Unix epoch (UTC): compact, sortable, and the precision the
-- API shows.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The login name as typed at registration (the API's `owner`).
    login         TEXT    NOT NULL,
    -- The login name case-folded by the application. The UNIQUE constraint on it is what makes
    -- `Alice` and `alice` one person, even for two registrations racing each other; SQLite's
    -- own lower() folds ASCII only, so the key is computed in Rust.
    login_key     TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,
    -- A PHC string ($argon2id$...).
    password_hash TEXT    NOT NULL,
    -- The name shown beside messages (the API's `username`); starts as the login name.
    display_name  TEXT    NOT NULL,
    location      TEXT,
    content       TEXT    NOT NULL DEFAULT '',
    -- Media key of the avatar, NULL for the default one.
    image         TEXT,
    is_staff      INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    -- Cleared by an administrator to shut an account out.
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    -- When the e-mailed link was followed; NULL until then, and such an account cannot log in.
    verified_at   INTEGER,
    -- Raised by every password change. Tokens and reset links carry the version they were
    -- issued under; any other version is refused, which revokes them all at once.
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
