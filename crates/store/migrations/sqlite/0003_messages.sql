-- Messages of text channels.
CREATE TABLE messages (
    -- AUTOINCREMENT: ids only ever grow, so they order messages in time and page the
    -- history (`before`/`after` an id) through the index below, never with OFFSET.
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    -- NULL once the author's account is deleted: the message stays, shown as "Deleted User".
    author_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_by_channel ON messages (channel_id, id);
CREATE INDEX messages_by_author ON messages (author_id); -- accounts' deletion sets it to NULL
