-- Direct messages and blocks: see the SQLite migration of the same name.
ALTER TABLE channels ALTER COLUMN server_id DROP NOT NULL;
ALTER TABLE channels ALTER COLUMN owner_id DROP NOT NULL;
ALTER TABLE channels ADD COLUMN dm_key TEXT UNIQUE;
ALTER TABLE channels ADD CONSTRAINT channels_dm_has_no_server
    CHECK ((server_id IS NULL) = (dm_key IS NOT NULL));
ALTER TABLE channels ADD CONSTRAINT channels_dm_has_no_owner
    CHECK ((server_id IS NULL) = (owner_id IS NULL));

CREATE TABLE dm_members (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    joined_at  BIGINT NOT NULL,
    PRIMARY KEY (channel_id, account_id)
);
CREATE INDEX dm_members_by_account ON dm_members (account_id, channel_id);

CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id, blocker_id);
-- A direct message changes no listing of servers: the directory's trigger on channels
-- (migration 0006) counts servers' channels only from here on, so opening or leaving one
-- neither makes listings be read again nor waits on the directory's row.
DROP TRIGGER channels_raise_directory ON channels;
CREATE TRIGGER channels_raise_directory_on_insert AFTER INSERT ON channels
    FOR EACH ROW WHEN (NEW.server_id IS NOT NULL)
    EXECUTE FUNCTION raise_directory_version();
CREATE TRIGGER channels_raise_directory_on_update
    AFTER UPDATE OF id, server_id, owner_id, name, description, created_at, updated_at ON channels
    FOR EACH ROW WHEN (NEW.server_id IS NOT NULL OR OLD.server_id IS NOT NULL)
    EXECUTE FUNCTION raise_directory_version();
CREATE TRIGGER channels_raise_directory_on_delete AFTER DELETE ON channels
    FOR EACH ROW WHEN (OLD.server_id IS NOT NULL)
    EXECUTE FUNCTION raise_directory_version();
