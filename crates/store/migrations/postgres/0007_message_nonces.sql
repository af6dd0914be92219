-- The nonce a message was sent with over REST: see the SQLite migration of the same name.
ALTER TABLE messages ADD COLUMN nonce TEXT;
CREATE INDEX messages_by_nonce ON messages (author_id, channel_id, nonce) WHERE nonce IS NOT NULL;
