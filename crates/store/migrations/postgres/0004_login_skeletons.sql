-- What login names look like (TR39 confusable skeletons, computed in Rust), so that nobody
-- can register a name that passes for another's. See the SQLite migration of the same name
-- for the why; the two schemas hold the same data. The primary key is named, because the
-- store maps a violation of it to "a user with a similar username already exists".
CREATE TABLE account_skeletons (
    skeleton   TEXT   NOT NULL CONSTRAINT account_skeletons_pkey PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX account_skeletons_by_account ON account_skeletons (account_id);
