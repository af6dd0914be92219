-- Versions of what a channel's page of history shows (issue 15), so that a node may keep a
-- rendered page and check it with one key lookup: still right while neither version moved.
-- Raised in the transaction of the write itself, whatever path writes (the chat's group
-- commit, an edit, a deletion, the cascades of a channel's or an account's deletion), so a
-- page is never kept past a committed change, on any node, bus or not.
--
-- `channels.version`: raised by every message written, edited or deleted in the channel.
-- New messages are written by one statement only, the group commit's batch
-- (`sqlite/batch.rs`), which raises each of its channels' version once in its transaction:
-- a trigger here would run once per message (SQLite has no statement triggers), and cost
-- ingest ~11 %. Anything else that inserts messages must raise the version too. Edits and deletions (cascades included) are counted by the triggers below.
-- An author's deletion (`author_id` set to NULL) is not: the account's deletion raises the
-- profiles' version below in the same transaction, and leaves the channels alone (on
-- Postgres, locking every channel the author wrote in would deadlock with message batches).
ALTER TABLE channels ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER messages_raise_version_on_update AFTER UPDATE ON messages
WHEN OLD.id IS NOT NEW.id
  OR OLD.channel_id IS NOT NEW.channel_id
  OR OLD.content IS NOT NEW.content
  OR OLD.created_at IS NOT NEW.created_at
  OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    UPDATE channels SET version = version + 1 WHERE id IN (OLD.channel_id, NEW.channel_id);
END;
CREATE TRIGGER messages_raise_version_on_delete AFTER DELETE ON messages BEGIN
    UPDATE channels SET version = version + 1 WHERE id = OLD.channel_id;
END;

-- One version for every author's profile as messages show it: raised when any of the
-- columns a message's `user` renders changes, and when an account is deleted. Rare writes;
-- each makes every kept page be read again once.
CREATE TABLE profiles_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO profiles_version (id, version) VALUES (1, 0);

CREATE TRIGGER accounts_raise_profiles_version_on_update AFTER UPDATE ON accounts
WHEN OLD.login IS NOT NEW.login
  OR OLD.display_name IS NOT NEW.display_name
  OR OLD.location IS NOT NEW.location
  OR OLD.content IS NOT NEW.content
  OR OLD.image IS NOT NEW.image
  OR OLD.created_at IS NOT NEW.created_at
  OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    UPDATE profiles_version SET version = version + 1;
END;
CREATE TRIGGER accounts_raise_profiles_version_on_delete AFTER DELETE ON accounts BEGIN
    UPDATE profiles_version SET version = version + 1;
END;

-- One version for the directory, what a listing of servers shows: raised by every write to
-- servers, memberships, categories and channels (but not by a channel's message version),
-- and by an owner's login changing. A listing is kept per query while it stands.
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE TRIGGER servers_raise_directory_on_insert AFTER INSERT ON servers BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER servers_raise_directory_on_update AFTER UPDATE ON servers BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER servers_raise_directory_on_delete AFTER DELETE ON servers BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER memberships_raise_directory_on_insert AFTER INSERT ON memberships BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER memberships_raise_directory_on_update AFTER UPDATE ON memberships BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER memberships_raise_directory_on_delete AFTER DELETE ON memberships BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER categories_raise_directory_on_insert AFTER INSERT ON categories BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER categories_raise_directory_on_update AFTER UPDATE ON categories BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER categories_raise_directory_on_delete AFTER DELETE ON categories BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER channels_raise_directory_on_insert AFTER INSERT ON channels BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER channels_raise_directory_on_update
AFTER UPDATE OF id, server_id, owner_id, name, description, created_at, updated_at ON channels
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER channels_raise_directory_on_delete AFTER DELETE ON channels BEGIN
    UPDATE directory_version SET version = version + 1;
END;
CREATE TRIGGER accounts_raise_directory_on_login AFTER UPDATE OF login ON accounts
WHEN OLD.login IS NOT NEW.login
BEGIN
    UPDATE directory_version SET version = version + 1;
END;
