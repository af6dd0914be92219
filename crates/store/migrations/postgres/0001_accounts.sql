-- Accounts: one row per person. See the SQLite migration of the same name for the why of
-- each column; the two schemas hold the same data. Identity ids are never handed out twice;
-- times are microseconds since the Unix epoch (UTC).
CREATE TABLE accounts (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT    NOT NULL,
    -- Case-folded by the application (Unicode-aware), unique: `Alice` and `alice` are one.
    login_key     TEXT    NOT NULL CONSTRAINT accounts_login_key UNIQUE,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL CONSTRAINT accounts_email_key UNIQUE,
    password_hash TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    location      TEXT,
    content       TEXT    NOT NULL DEFAULT '',
    image         TEXT,
    is_staff      BOOLEAN NOT NULL DEFAULT FALSE,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    verified_at   BIGINT,
    token_version BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
