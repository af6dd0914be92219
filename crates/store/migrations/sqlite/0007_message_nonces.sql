-- The nonce a message was sent with over REST (`POST /api/messages/`, issue 16): the same
-- nonce from the same author in the same channel within ten minutes answers with that
-- message rather than making a second one. Not unique: after the ten minutes the nonce
-- may name a new message. Two sends racing are kept apart by the write lock (here) or the
-- channel's row lock (Postgres), taken before the lookup.
ALTER TABLE messages ADD COLUMN nonce TEXT;
CREATE INDEX messages_by_nonce ON messages (author_id, channel_id, nonce) WHERE nonce IS NOT NULL;
