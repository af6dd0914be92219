-- Read states (issue 16): how far each person has read each channel, and what a channel's
-- unread and mention counts are read from.
--
-- `channels.last_message_id`: the newest message ever stored in the channel (it may have
-- been deleted since), raised by the writes that insert messages, as `version` is (the group
-- commit's batch and the single insert raise it themselves here; Postgres' trigger does).
ALTER TABLE channels ADD COLUMN last_message_id INTEGER NOT NULL DEFAULT 0;
UPDATE channels SET last_message_id = COALESCE(
    (SELECT max(id) FROM messages WHERE channel_id = channels.id), 0);

-- `memberships.read_floor`: the newest message id of the installation when the member
-- joined. What came before counts as read: a newcomer is not shown every channel's whole
-- history as unread. Members from before this migration start from now.
ALTER TABLE memberships ADD COLUMN read_floor INTEGER NOT NULL DEFAULT 0;
UPDATE memberships SET read_floor = COALESCE((SELECT max(id) FROM messages), 0);

-- One row per person and channel they acknowledged (`ack`): the newest message they have
-- read there. Only ever raised.
CREATE TABLE read_states (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    last_read_id INTEGER NOT NULL,
    PRIMARY KEY (account_id, channel_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX read_states_by_channel ON read_states (channel_id); -- the channel's deletion

-- Who each message mentions (`<@id>` in its text, of accounts that exist), written with the
-- message and again on each edit: a person's mention count in a channel is one index range.
CREATE TABLE mentions (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, channel_id, message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX mentions_by_message ON mentions (message_id); -- the message's deletion or edit
