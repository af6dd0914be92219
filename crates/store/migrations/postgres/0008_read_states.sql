-- Read states: see the SQLite migration of the same name. Here the messages' insert trigger
-- raises `last_message_id` with `version`.
ALTER TABLE channels ADD COLUMN last_message_id BIGINT NOT NULL DEFAULT 0;
UPDATE channels SET last_message_id = COALESCE(
    (SELECT max(id) FROM messages WHERE channel_id = channels.id), 0);

ALTER TABLE memberships ADD COLUMN read_floor BIGINT NOT NULL DEFAULT 0;
UPDATE memberships SET read_floor = COALESCE((SELECT max(id) FROM messages), 0);

CREATE TABLE read_states (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id   BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    last_read_id BIGINT NOT NULL,
    PRIMARY KEY (account_id, channel_id)
);
CREATE INDEX read_states_by_channel ON read_states (channel_id);

CREATE TABLE mentions (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, channel_id, message_id)
);
CREATE INDEX mentions_by_message ON mentions (message_id);

CREATE OR REPLACE FUNCTION raise_channel_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE channels c SET version = c.version + 1,
            last_message_id = GREATEST(c.last_message_id, n.last_id)
        FROM (SELECT channel_id, max(id) AS last_id FROM new_rows GROUP BY channel_id) n
        WHERE c.id = n.channel_id AND c.id IN (
            SELECT id FROM channels WHERE id IN (SELECT channel_id FROM new_rows)
            ORDER BY id FOR NO KEY UPDATE);
    ELSIF TG_OP = 'UPDATE' THEN
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
