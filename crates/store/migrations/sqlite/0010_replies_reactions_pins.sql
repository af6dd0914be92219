-- Replies, reactions and pins (issue 17).
--
-- `messages.reply_to_id`: the message of the same channel this one answers. No foreign key:
-- the id stays once the original is deleted, so that a client can say "the original was
-- deleted"; the excerpt is read by joining it, and is gone with it. Set once, by the insert.
ALTER TABLE messages ADD COLUMN reply_to_id INTEGER;
-- `messages.pinned_at`: when the message was pinned; NULL when it is not. The pins of a
-- channel are read newest pin first through the index.
ALTER TABLE messages ADD COLUMN pinned_at INTEGER;
CREATE INDEX messages_pinned ON messages (channel_id, pinned_at) WHERE pinned_at IS NOT NULL;

-- One row per person, message and emoji. The channel's page version is raised by the
-- writes that add or remove reactions, in their transaction (not by a trigger: an account's
-- deletion cascades here, and is counted by the profiles' version instead).
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji      TEXT    NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, account_id)
) STRICT, WITHOUT ROWID;
-- A person's own reactions on a page (`me`), and an account's deletion.
CREATE INDEX reactions_by_account ON reactions (account_id, message_id);
