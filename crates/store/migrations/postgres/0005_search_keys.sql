-- Search keys: see the SQLite migration of the same name. Lowercased in Rust, never by
-- lower() here, so that both databases find the same rows; NULL until filled in at start-up
-- for rows older than this migration.
ALTER TABLE servers ADD COLUMN name_key TEXT;
ALTER TABLE accounts ADD COLUMN display_key TEXT;
