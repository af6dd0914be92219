-- Search by name (issue 14): servers by their name, accounts (for staff) by their display
-- name as well as by `login_key` and `email_key`, which are lowercase already.
--
-- Each key is the name in lowercase, computed in Rust (`pingme_domain::search::search_key`)
-- by every write that sets the name, and the search text is lowercased the same way: SQLite's
-- lower() and LIKE fold ASCII only, Postgres' follow the database's locale, and both must
-- find the same rows, `Ünïcode` with `ü` included. A search is `key LIKE '%text%'`, which no
-- index helps; a listing stops at its limit.
--
-- Rows written before this migration have NULL keys until the store fills them in at
-- start-up (the same Rust, in batches); until then they are not found by a search.
ALTER TABLE servers ADD COLUMN name_key TEXT;
ALTER TABLE accounts ADD COLUMN display_key TEXT;
-- What is left to fill in, found without reading every row at each start; empty (and
-- costing nothing) once every key is there.
CREATE INDEX servers_without_name_key ON servers (id) WHERE name_key IS NULL;
CREATE INDEX accounts_without_display_key ON accounts (id) WHERE display_key IS NULL;
