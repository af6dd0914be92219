-- Image attachments: see the SQLite migration of the same name.
CREATE TABLE attachments (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id     BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    message_id   BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    position     BIGINT  NOT NULL DEFAULT 0,
    key          TEXT    NOT NULL,
    width        BIGINT  NOT NULL,
    height       BIGINT  NOT NULL,
    content_type TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX attachments_of_message ON attachments (message_id, position) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unused ON attachments (owner_id, created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_unused_by_age ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_by_owner ON attachments (owner_id); -- an account's deletion
-- The files of one folder still named (the sweep).
CREATE INDEX attachments_by_key ON attachments (key COLLATE "C");
