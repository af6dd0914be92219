-- What login names look like, so that nobody can register a name that passes for another's
-- (issue 12): `аdmin` with a Cyrillic `а` beside `admin`, `paypa1` beside `paypal`.
--
-- A skeleton is a Unicode TR39 "confusable skeleton", computed in Rust (SQL has nothing
-- like it): every character mapped onto the prototype of the characters it can be taken
-- for, invisible ones dropped. Two names with a skeleton in common look alike. Each
-- account has one to three (its name as written, lowercased, uppercased; see
-- `pingme_domain::names::skeletons`), inserted in the same transaction as the account.
--
-- A table rather than columns on `accounts`, because a name must be refused when any of
-- its skeletons matches any of another account's, whichever case produced them; a
-- primary key over all of them says exactly that, also between registrations racing each
-- other. The account row is inserted first, so an exact (case-insensitive) duplicate is
-- always refused by `accounts.login_key` and reported as "already exists", never as
-- merely "similar".
--
-- Accounts created before this migration have no rows here: the store fills them in at
-- start-up, oldest account first. When two existing accounts share a skeleton, the older
-- keeps it, the later one goes without (a warning is logged) — nobody is renamed.
CREATE TABLE account_skeletons (
    skeleton   TEXT    NOT NULL PRIMARY KEY,
    -- Deleting the account frees its skeletons with its name.
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
) STRICT;
-- For the cascade above, and for finding the accounts that have none yet.
CREATE INDEX account_skeletons_by_account ON account_skeletons (account_id);
