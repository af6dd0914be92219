-- Full-text search of messages: see the SQLite migration of the same name. Here a generated
-- column holds each message's words (`simple`: no language's stemming, accents kept), kept by
-- the database on every write, with a GIN index.
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);
