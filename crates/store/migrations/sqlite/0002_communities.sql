-- Servers (communities), grouped in categories, with members, bans, text channels and
-- invites. Names of categories and channels are lowercased by the application.

-- One-off facts about this installation (for example, that its default categories were
-- created once, so deleting them all does not bring them back at the next start).
CREATE TABLE installation (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT,
    -- Media key of the icon; NULL for the built-in default.
    icon        TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE servers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    description TEXT,
    -- No cascade: before an account goes, its servers pass to another member (or go too),
    -- in the same transaction; the constraint guards against forgetting that.
    owner_id    INTEGER NOT NULL REFERENCES accounts (id),
    -- No cascade either: a category in use cannot be deleted.
    category_id INTEGER NOT NULL REFERENCES categories (id),
    is_private  INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
    icon        TEXT,
    banner      TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX servers_by_category ON servers (category_id, id);
CREATE INDEX servers_by_owner ON servers (owner_id);

CREATE TABLE memberships (
    server_id  INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Decides who inherits a server whose owner deletes their account.
    joined_at  INTEGER NOT NULL,
    PRIMARY KEY (server_id, account_id)
) STRICT, WITHOUT ROWID;
-- "The servers of this account" (my_servers, by_user, mutual_with).
CREATE INDEX memberships_by_account ON memberships (account_id, server_id);

CREATE TABLE bans (
    server_id  INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (server_id, account_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE channels (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id   INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    -- Passes to the server's owner when this account is deleted.
    owner_id    INTEGER NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    description TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX channels_by_server ON channels (server_id, id);
CREATE INDEX channels_by_owner ON channels (owner_id);

CREATE TABLE invites (
    -- Random, URL-safe, unguessable.
    code       TEXT    PRIMARY KEY,
    server_id  INTEGER NOT NULL REFERENCES servers (id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    uses       INTEGER NOT NULL DEFAULT 0,
    -- NULL: unlimited.
    max_uses   INTEGER,
    -- Microseconds since the epoch; NULL: never.
    expires_at INTEGER,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX invites_by_server ON invites (server_id, created_at);
