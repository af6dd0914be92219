-- Image attachments (issue 17): uploaded through the image pipeline, owned by their uploader
-- until one message uses them (`message_id`, set once, in the message's transaction), swept
-- when never used. The file is `key` in the media store, content-addressed under the
-- uploader's folder; a file is deleted once no row names it.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL once the uploader's account is deleted: a message keeps its images.
    owner_id     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    message_id   INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL DEFAULT 0,
    key          TEXT    NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
-- A page's attachments, in their order in each message.
CREATE INDEX attachments_of_message ON attachments (message_id, position) WHERE message_id IS NOT NULL;
-- An uploader's unused ones (the limit on them), all unused ones by age (their expiry).
CREATE INDEX attachments_unused ON attachments (owner_id, created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_unused_by_age ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_by_owner ON attachments (owner_id); -- an account's deletion
-- The files of one folder still named (the sweep).
CREATE INDEX attachments_by_key ON attachments (key);
