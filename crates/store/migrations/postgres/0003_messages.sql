-- Messages of text channels; the same table as the SQLite migration of the same name.
CREATE TABLE messages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    author_id  BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    content    TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX messages_by_channel ON messages (channel_id, id);
CREATE INDEX messages_by_author ON messages (author_id);
