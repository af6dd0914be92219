-- Full-text search of messages (issue 17): an FTS5 index of their text, kept by triggers in
-- the transaction of every write (a message written, its text edited, the message deleted,
-- also by a channel's or a server's deletion), so it is always exact. External content: the
-- text is stored once, in `messages`. Words are runs of letters and digits in any case;
-- accents are kept (as Postgres' `simple` configuration keeps them).
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_on_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (NEW.id, NEW.content);
END;
CREATE TRIGGER messages_fts_on_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', OLD.id, OLD.content);
END;
CREATE TRIGGER messages_fts_on_update AFTER UPDATE OF content ON messages
WHEN OLD.content IS NOT NEW.content
BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', OLD.id, OLD.content);
    INSERT INTO messages_fts (rowid, content) VALUES (NEW.id, NEW.content);
END;
