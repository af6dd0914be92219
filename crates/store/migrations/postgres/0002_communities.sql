-- Servers (communities), grouped in categories, with members, bans, text channels and
-- invites; the same tables as the SQLite migration of the same name.

CREATE TABLE installation (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE categories (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT   NOT NULL CONSTRAINT categories_name_key UNIQUE,
    description TEXT,
    icon        TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE servers (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT,
    owner_id    BIGINT  NOT NULL REFERENCES accounts (id),
    category_id BIGINT  NOT NULL REFERENCES categories (id),
    is_private  BOOLEAN NOT NULL DEFAULT FALSE,
    icon        TEXT,
    banner      TEXT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX servers_by_category ON servers (category_id, id);
CREATE INDEX servers_by_owner ON servers (owner_id);

CREATE TABLE memberships (
    server_id  BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    joined_at  BIGINT NOT NULL,
    PRIMARY KEY (server_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id, server_id);

CREATE TABLE bans (
    server_id  BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (server_id, account_id)
);

CREATE TABLE channels (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id   BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    owner_id    BIGINT NOT NULL REFERENCES accounts (id),
    name        TEXT   NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX channels_by_server ON channels (server_id, id);
CREATE INDEX channels_by_owner ON channels (owner_id);

CREATE TABLE invites (
    code       TEXT   CONSTRAINT invites_code_key PRIMARY KEY,
    server_id  BIGINT NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    uses       BIGINT NOT NULL DEFAULT 0,
    max_uses   BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX invites_by_server ON invites (server_id, created_at);
