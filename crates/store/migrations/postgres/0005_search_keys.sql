-- Search keys: see the SQLite migration of the same name. Lowercased in Rust, never by
-- lower() here, so that both databases find the same rows; NULL until filled in at start-up
-- for rows older than this migration.
ALTER TABLE servers ADD COLUMN name_key TEXT;
ALTER TABLE accounts ADD COLUMN display_key TEXT;
-- What is left to fill in, found without reading every row at each start; empty (and
-- costing nothing) once every key is there.
CREATE INDEX servers_without_name_key ON servers (id) WHERE name_key IS NULL;
CREATE INDEX accounts_without_display_key ON accounts (id) WHERE display_key IS NULL;
