-- Versions of what a channel's page of history shows: see the SQLite migration of the same
-- name. Here the messages' triggers run once per statement (a batch of the group commit is
-- one INSERT), over the rows it changed, and lock the channels in id order as every writer
-- of channels does.
ALTER TABLE channels ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION raise_channel_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE channels SET version = version + 1 WHERE id IN (
            SELECT id FROM channels WHERE id IN (SELECT channel_id FROM new_rows)
            ORDER BY id FOR NO KEY UPDATE);
    ELSIF TG_OP = 'UPDATE' THEN
        -- Rows whose author alone changed (the account deleted) are counted by the profiles'
        -- version, raised by that deletion: their channels are not locked.
        UPDATE channels SET version = version + 1 WHERE id IN (
            SELECT id FROM channels WHERE id IN (
                SELECT unnest(ARRAY[n.channel_id, o.channel_id])
                FROM new_rows n JOIN old_rows o ON o.id = n.id
                WHERE (n.channel_id, n.content, n.created_at, n.updated_at)
                      IS DISTINCT FROM (o.channel_id, o.content, o.created_at, o.updated_at))
            ORDER BY id FOR NO KEY UPDATE);
    ELSE
        UPDATE channels SET version = version + 1 WHERE id IN (
            SELECT id FROM channels WHERE id IN (SELECT channel_id FROM old_rows)
            ORDER BY id FOR NO KEY UPDATE);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messages_raise_version_on_insert AFTER INSERT ON messages
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION raise_channel_versions();
CREATE TRIGGER messages_raise_version_on_update AFTER UPDATE ON messages
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION raise_channel_versions();
CREATE TRIGGER messages_raise_version_on_delete AFTER DELETE ON messages
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION raise_channel_versions();

CREATE TABLE profiles_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO profiles_version (id, version) VALUES (1, 0);

CREATE FUNCTION raise_profiles_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE profiles_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_raise_profiles_version_on_update AFTER UPDATE ON accounts
    FOR EACH ROW
    WHEN (OLD.login IS DISTINCT FROM NEW.login
       OR OLD.display_name IS DISTINCT FROM NEW.display_name
       OR OLD.location IS DISTINCT FROM NEW.location
       OR OLD.content IS DISTINCT FROM NEW.content
       OR OLD.image IS DISTINCT FROM NEW.image
       OR OLD.created_at IS DISTINCT FROM NEW.created_at
       OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION raise_profiles_version();
CREATE TRIGGER accounts_raise_profiles_version_on_delete AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION raise_profiles_version();

-- One version for the directory: see the SQLite migration. Raised once per row written (a
-- statement trigger would also run for statements that change nothing, such as an account's
-- deletion handing on channels it does not own, and lock the row for nothing).
CREATE TABLE directory_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);

CREATE FUNCTION raise_directory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER servers_raise_directory AFTER INSERT OR UPDATE OR DELETE ON servers
    FOR EACH ROW EXECUTE FUNCTION raise_directory_version();
CREATE TRIGGER memberships_raise_directory AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION raise_directory_version();
CREATE TRIGGER categories_raise_directory AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION raise_directory_version();
CREATE TRIGGER channels_raise_directory
    AFTER INSERT OR DELETE OR UPDATE OF id, server_id, owner_id, name, description, created_at, updated_at
    ON channels
    FOR EACH ROW EXECUTE FUNCTION raise_directory_version();
CREATE TRIGGER accounts_raise_directory_on_login AFTER UPDATE OF login ON accounts
    FOR EACH ROW WHEN (OLD.login IS DISTINCT FROM NEW.login)
    EXECUTE FUNCTION raise_directory_version();
