-- no-transaction
-- Direct messages and blocks (issue 17). A direct message is a channel without a server:
-- `server_id` and `owner_id` become NULL-able, which SQLite can only do by building the
-- table again (https://www.sqlite.org/lang_altertable.html#otheralter). Foreign keys are
-- off meanwhile, so dropping the old table cascades nowhere; the references of the other
-- tables and their triggers name `channels` and find the new one. The whole rebuild is one
-- transaction, checked before it commits.
PRAGMA foreign_keys = OFF;
PRAGMA legacy_alter_table = ON;
BEGIN IMMEDIATE;

CREATE TABLE channels_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL for a direct message.
    server_id       INTEGER REFERENCES servers (id) ON DELETE CASCADE,
    -- Passes to the server's owner when this account is deleted; NULL for a direct message.
    owner_id        INTEGER REFERENCES accounts (id),
    name            TEXT    NOT NULL,
    description     TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 0,
    last_message_id INTEGER NOT NULL DEFAULT 0,
    -- A direct message's people, as their ids in order joined by commas, when it was
    -- opened: the same people always get the same channel.
    dm_key          TEXT UNIQUE,
    CHECK ((server_id IS NULL) = (dm_key IS NOT NULL)),
    CHECK ((server_id IS NULL) = (owner_id IS NULL))
) STRICT;
INSERT INTO channels_rebuilt (id, server_id, owner_id, name, description, created_at,
    updated_at, version, last_message_id)
SELECT id, server_id, owner_id, name, description, created_at, updated_at, version,
    last_message_id FROM channels;
-- AUTOINCREMENT's high-water mark carries over (also when no channel is left), so no id is
-- ever given twice: the old table's row becomes the new one's before the old table goes.
DELETE FROM sqlite_sequence WHERE name = 'channels_rebuilt';
UPDATE sqlite_sequence SET name = 'channels_rebuilt' WHERE name = 'channels';
DROP TABLE channels;
ALTER TABLE channels_rebuilt RENAME TO channels;

CREATE INDEX channels_by_server ON channels (server_id, id);
CREATE INDEX channels_by_owner ON channels (owner_id);
-- A direct message changes no listing of servers.
CREATE TRIGGER channels_raise_directory_on_insert AFTER INSERT ON channels
WHEN NEW.server_id IS NOT NULL
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER channels_raise_directory_on_update
AFTER UPDATE OF id, server_id, owner_id, name, description, created_at, updated_at ON channels
WHEN NEW.server_id IS NOT NULL OR OLD.server_id IS NOT NULL
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER channels_raise_directory_on_delete AFTER DELETE ON channels
WHEN OLD.server_id IS NOT NULL
BEGIN
    UPDATE directory_version SET version = version + 1;
END;

-- The people of each direct message. Someone who leaves a group is no longer here; an
-- account's deletion takes its rows, and its messages stay, as "Deleted User".
CREATE TABLE dm_members (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    joined_at  INTEGER NOT NULL,
    PRIMARY KEY (channel_id, account_id)
) STRICT, WITHOUT ROWID;
-- "The direct messages of this account".
CREATE INDEX dm_members_by_account ON dm_members (account_id, channel_id);

-- Who blocked whom: a blocked person cannot open or post to a direct message with the one
-- who blocked them, nor mention them, and their events in direct messages do not reach them.
CREATE TABLE blocks (
    blocker_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    blocked_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);

-- Fails, leaving the rebuild uncommitted, if any reference were left dangling.
CREATE TEMP TABLE no_dangling_references (dangling INTEGER CHECK (dangling = 0));
INSERT INTO no_dangling_references SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE no_dangling_references;

COMMIT;
PRAGMA legacy_alter_table = OFF;
PRAGMA foreign_keys = ON;
