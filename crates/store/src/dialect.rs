//! What SQLite and Postgres do differently, named in one place: the [`Dialect`] each one
//! implements and the [`Sql`] statements whose text differs between them.
//!
//! Everything else is written once in `ops` and compiled once per dialect (see `ops/mod.rs`
//! for why it is not generic code). A statement that both databases accept as it stands is
//! written in `ops`; one that differs is written once here, in [`statements!`], with a
//! placeholder for each fragment that differs, and each dialect names its fragments.

use pingme_domain::message_search::Words;
use pingme_domain::store::{StoreError, StoreResult};
use std::future::Future;

pub(crate) trait Dialect: sqlx::Database {
    /// Short name of the backend, for logs and `/readyz`.
    const BACKEND: &'static str;
    /// Whether writers run beside each other and must lock the rows they decide on first.
    /// Postgres: yes. SQLite: no, its one writer holds the whole database for a write
    /// transaction, so a row lock would add nothing (nor has it a syntax for one).
    const ROW_LOCKS: bool;
    /// The statements whose text differs.
    const SQL: Sql;
    /// What runs after one message (`$2`) is inserted into channel `$1` outside the group
    /// commit, if its channel's version and newest message are not raised by a trigger
    /// (migrations 0006, 0008).
    const AFTER_MESSAGE_INSERT: Option<&'static str>;

    /// The words of a search as the full-text match of [`Sql::search_messages`] binds them.
    fn text_query(words: &Words) -> String;

    /// A list of ids as the statements taking one (`… IN_IDS`) bind it.
    type Ids;
    fn ids(ids: impl IntoIterator<Item = i64>) -> Self::Ids;

    /// The one place the database's errors become domain errors: each names a broken
    /// unique rule its own way.
    fn store_error(error: sqlx::Error) -> StoreError;
    /// Whether a failed transaction is worth running again at once (another one it
    /// deadlocked with has gone on).
    fn is_conflict(error: &StoreError) -> bool;

    /// A write transaction.
    fn begin_write(
        pool: &sqlx::Pool<Self>,
    ) -> impl Future<Output = StoreResult<sqlx::Transaction<'static, Self>>> + Send;
    /// A read-only transaction whose statements agree with each other.
    fn begin_snapshot(
        pool: &sqlx::Pool<Self>,
    ) -> impl Future<Output = StoreResult<sqlx::Transaction<'static, Self>>> + Send;
}

/// The statements whose text differs between the dialects, built by [`statements!`].
pub(crate) struct Sql {
    /// Accounts of the ids `$1`.
    pub accounts: &'static str,
    /// Channels of the servers `$1`, by id.
    pub server_channels: &'static str,
    /// Memberships of the servers `$1`.
    pub server_members: &'static str,
    /// Which of the channels `$1` exist.
    pub existing_channels: &'static str,
    /// Every category, by name byte by byte.
    pub categories: &'static str,
    /// The invites of server `$1`, ties by code byte by byte.
    pub invites: &'static str,
    /// The ids of the servers account `$1` owns, locked for a handover.
    pub owned_servers: &'static str,
    /// The owner and privacy of server `$1`, shared-locked as joins, leaves and accepted
    /// invites hold it: they may run beside each other.
    pub server_shared: &'static str,
    /// As [`Sql::server_shared`], locked as bans and handovers hold it: they change who may
    /// be a member or who owns it, so they wait for joins and leaves, and those for them.
    pub server_exclusive: &'static str,
    /// Inserts a message into channel `$1` from `$2` with text `$3`, nonce `$4`, at `$5`,
    /// replying to `$6`, if `$2` is a member of the channel's server, or one of the people of
    /// its direct message and, between two, neither blocks the other (the membership
    /// shared-locked); its id.
    pub insert_message: &'static str,
    /// Accounts of the ids `$1`, key-share-locked in id order (as the foreign keys of the
    /// rows about to be written would lock them, but before the rows a write checks).
    pub share_accounts: &'static str,
    /// Mentions account `$1` in message `$3` of channel `$2` by `$4` if the account exists (its
    /// row key-share-locked), may read the channel and does not block `$4`.
    pub insert_mention: &'static str,
    /// Raises account `$1`'s read position in channel `$2` to message `$3` (at most the
    /// channel's newest) if `$1` may read it; the position after.
    pub ack: &'static str,
    /// Account `$1`'s read states in every channel of its servers and every direct message it
    /// is in, by channel id.
    pub read_states: &'static str,
    /// Account `$1`'s read state in channel `$2`, if it may read it.
    pub read_state: &'static str,
    /// Replaces message `$1`'s text `$3` at `$4` if `$2` sent it and still may read it (and,
    /// between two, is not blocked).
    pub edit_message: &'static str,
    /// The channel of message `$1` if `$2` may react to it: may read it (a member of its
    /// server, or one of the people of its direct message; the membership shared-locked), and
    /// no block stands between the two people of a direct message.
    pub message_reader: &'static str,
    /// The channel of message `$1` if `$2` owns its server (the server shared-locked) or is
    /// one of the people of its direct message (unblocked, between two).
    pub message_owner: &'static str,
    /// The reactions of the messages `$1`, each emoji once per message with how many gave
    /// it and whether `$2` did (`mine` > 0), by message and then first given.
    pub reactions_of: &'static str,
    /// The reactions account `$2` gave to the messages `$1`.
    pub reactions_by: &'static str,
    /// The attachments of the messages `$1`, by message and position.
    pub attachments_of: &'static str,
    /// The files attachments name from `$1` up to, not including, `$2`, byte by byte.
    pub attachment_keys: &'static str,
    /// Deletes message `$1` if `$2` sent it and still may read it, or owns its server.
    pub delete_message: &'static str,
    /// Row locks taken only where [`Dialect::ROW_LOCKS`]: account `$1`, category `$1`,
    /// the channels of server `$1` in id order.
    pub lock_account: &'static str,
    pub lock_category: &'static str,
    pub lock_channels: &'static str,
    /// The channel of the message `$1`, locked as every writer of channels locks them.
    pub lock_message_channel: &'static str,
    /// Where a channel's history stands (migration 0006): `$1` the channel; no row if there
    /// is no such channel.
    pub page_version: &'static str,
    /// Where the directory stands (migration 0006).
    pub directory_version: &'static str,
    /// The messages `$1` may read that hold the words `$2` ([`Dialect::text_query`]), in
    /// server `$3`, channel `$4`, by `$5`, before `$6` (each filter NULL: any), newest first,
    /// `$7` at most.
    pub search_messages: &'static str,
    /// How many messages [`Sql::search_messages`] would find without its limit, counted up to
    /// `$7`.
    pub count_matches: &'static str,
}

/// The statements of [`Sql`], given a dialect's fragments: how a list of ids is matched
/// (`in_ids`, binding [`Dialect::Ids`] as `$1`), the collation that orders text byte by
/// byte, and the row-locking clauses.
macro_rules! statements {
    (
        in_ids: $in_ids:literal,
        byte_order: $byte_order:literal,
        for_update: $for_update:literal,
        for_share: $for_share:literal,
        for_no_key_update: $for_no_key_update:literal,
        share_members: $share_members:literal,
        share_dm: $share_dm:literal,
        share_server: $share_server:literal,
        for_key_share: $for_key_share:literal,
        greatest: $greatest:literal,
        least: $least:literal,
        database_start: $database_start:literal,
        search_from: $search_from:literal,
        text_match: $text_match:literal,
        search_order: $search_order:literal $(,)?
    ) => {
        $crate::dialect::Sql {
            page_version: concat!(
                "SELECT ",
                $database_start,
                " AS database, c.version AS messages, p.version AS profiles \
                 FROM channels c CROSS JOIN profiles_version p WHERE c.id = $1"
            ),
            directory_version: concat!(
                "SELECT ",
                $database_start,
                " AS database, version AS directory FROM directory_version"
            ),
            accounts: concat!(
                "SELECT ",
                $crate::rows::accounts::account_columns!(),
                " FROM accounts WHERE id ",
                $in_ids
            ),
            server_channels: concat!(
                "SELECT ",
                $crate::rows::channels::channel_columns!(),
                " FROM channels WHERE server_id ",
                $in_ids,
                " ORDER BY id"
            ),
            server_members: concat!(
                "SELECT server_id, account_id FROM memberships WHERE server_id ",
                $in_ids,
                " ORDER BY server_id, account_id"
            ),
            existing_channels: concat!("SELECT id FROM channels WHERE id ", $in_ids),
            categories: concat!(
                "SELECT ",
                $crate::rows::categories::category_columns!(),
                " FROM categories ORDER BY name",
                $byte_order
            ),
            invites: concat!(
                "SELECT ",
                $crate::rows::invites::invite_columns!(),
                " FROM invites WHERE server_id = $1 ORDER BY created_at, code",
                $byte_order
            ),
            owned_servers: concat!(
                "SELECT id FROM servers WHERE owner_id = $1 ORDER BY id",
                $for_update
            ),
            server_shared: concat!(
                "SELECT owner_id, is_private FROM servers WHERE id = $1",
                $for_share
            ),
            server_exclusive: concat!(
                "SELECT owner_id, is_private FROM servers WHERE id = $1",
                $for_no_key_update
            ),
            insert_message: concat!(
                "INSERT INTO messages (channel_id, author_id, content, nonce, created_at, updated_at, \
                 reply_to_id) SELECT c.id, $2, $3, $4, $5, $5, $6 FROM channels c \
                 WHERE c.id = $1 AND ",
                $crate::dialect::may_read!("$2", $share_members, $share_dm),
                " AND ",
                $crate::dialect::unblocked!("$2"),
                " RETURNING id"
            ),
            share_accounts: concat!(
                "SELECT id FROM accounts WHERE id ",
                $in_ids,
                " ORDER BY id",
                $for_key_share
            ),
            insert_mention: concat!(
                "INSERT INTO mentions (account_id, channel_id, message_id) \
                 SELECT a.id, $2, $3 FROM accounts a WHERE a.id = $1 AND ",
                $crate::rows::messages::mentionable!("$2", "$4"),
                $for_key_share,
                " ON CONFLICT DO NOTHING"
            ),
            ack: concat!(
                "INSERT INTO read_states (account_id, channel_id, last_read_id) \
                 SELECT $1, c.id, ",
                $least,
                "($3, c.last_message_id) FROM channels c WHERE c.id = $2 AND ",
                $crate::dialect::may_read!("$1", $share_members, $share_dm),
                " ON CONFLICT (account_id, channel_id) DO UPDATE SET last_read_id = ",
                $greatest,
                "(read_states.last_read_id, excluded.last_read_id) RETURNING last_read_id"
            ),
            read_states: $crate::dialect::read_states!($greatest, ""),
            read_state: $crate::dialect::read_states!($greatest, " AND c.id = $2"),
            // An edit's time is after the message's, even if the clock went back meanwhile:
            // a message is edited exactly when `updated_at > created_at`.
            edit_message: concat!(
                "UPDATE messages SET content = $3, \
                 updated_at = CASE WHEN created_at >= $4 THEN created_at + 1 ELSE $4 END \
                 WHERE id = $1 AND author_id = $2 AND EXISTS (SELECT 1 FROM channels c \
                 WHERE c.id = messages.channel_id AND ",
                $crate::dialect::may_read!("$2", $share_members, $share_dm),
                " AND ",
                $crate::dialect::unblocked!("$2"),
                ") RETURNING id"
            ),
            message_reader: concat!(
                "SELECT c.id FROM messages m JOIN channels c ON c.id = m.channel_id \
                 WHERE m.id = $1 AND ",
                $crate::dialect::may_read!("$2", $share_members, $share_dm),
                " AND ",
                $crate::dialect::unblocked!("$2")
            ),
            message_owner: concat!(
                "SELECT c.id FROM messages m JOIN channels c ON c.id = m.channel_id \
                 WHERE m.id = $1 AND (EXISTS (SELECT 1 FROM servers s \
                 WHERE s.id = c.server_id AND s.owner_id = $2",
                $share_server,
                ") OR (EXISTS (SELECT 1 FROM dm_members d \
                 WHERE d.channel_id = c.id AND d.account_id = $2",
                $share_dm,
                ") AND ",
                $crate::dialect::unblocked!("$2"),
                "))"
            ),
            reactions_of: concat!(
                "SELECT message_id, emoji, count(*) AS count, \
                 sum(CASE WHEN account_id = $2 THEN 1 ELSE 0 END) AS mine, \
                 min(created_at) AS first_at FROM reactions WHERE message_id ",
                $in_ids,
                " GROUP BY message_id, emoji ORDER BY message_id, first_at, emoji",
                $byte_order
            ),
            attachments_of: concat!(
                "SELECT message_id, id, key, width, height, content_type FROM attachments \
                 WHERE message_id ",
                $in_ids,
                " ORDER BY message_id, position"
            ),
            attachment_keys: concat!(
                "SELECT DISTINCT key FROM attachments WHERE key",
                $byte_order,
                " >= $1 AND key",
                $byte_order,
                " < $2"
            ),
            reactions_by: concat!(
                "SELECT message_id, emoji FROM reactions WHERE account_id = $2 AND message_id ",
                $in_ids
            ),
            delete_message: concat!(
                "DELETE FROM messages WHERE id = $1 AND (EXISTS (SELECT 1 FROM channels c \
                 JOIN servers s ON s.id = c.server_id \
                 WHERE c.id = messages.channel_id AND s.owner_id = $2",
                $share_server,
                ") OR (messages.author_id = $2 AND EXISTS (SELECT 1 FROM channels c \
                 WHERE c.id = messages.channel_id AND ",
                $crate::dialect::may_read!("$2", $share_members, $share_dm),
                "))) RETURNING channel_id"
            ),
            lock_message_channel: concat!(
                "SELECT id FROM channels WHERE id = (SELECT channel_id FROM messages WHERE id = $1)",
                $for_no_key_update
            ),
            // Not `FOR UPDATE`: a message batch holding its channels takes its authors'
            // rows `FOR KEY SHARE` (the foreign key's lock), which must not wait for a
            // deletion that will itself wait for those channels.
            lock_account: concat!("SELECT id FROM accounts WHERE id = $1", $for_no_key_update),
            lock_category: concat!("SELECT id FROM categories WHERE id = $1", $for_update),
            lock_channels: concat!(
                "SELECT id FROM channels WHERE server_id = $1 ORDER BY id",
                $for_update
            ),
            search_messages: concat!(
                "SELECT m.id, m.channel_id, c.server_id, ",
                $crate::rows::messages::message_columns!(),
                "FROM ",
                $search_from,
                " JOIN channels c ON c.id = m.channel_id \
                 LEFT JOIN accounts a ON a.id = m.author_id ",
                $crate::rows::messages::reply_joins!(),
                "WHERE ",
                $crate::dialect::matching!($text_match),
                " ORDER BY ",
                $search_order,
                " DESC LIMIT $7"
            ),
            count_matches: concat!(
                "SELECT count(*) FROM (SELECT 1 FROM ",
                $search_from,
                " JOIN channels c ON c.id = m.channel_id WHERE ",
                $crate::dialect::matching!($text_match),
                " LIMIT $7) found"
            ),
        }
    };
}
pub(crate) use statements;

/// Whether `$account` may read channel `c` (a member of its server, or one of the people of
/// its direct message), those rows share-locked as `$share_members` and `$share_dm` say: the
/// one condition every statement that decides who reads or writes a channel says it with.
macro_rules! may_read {
    ($account:literal, $share_members:literal, $share_dm:literal) => {
        concat!(
            "(EXISTS (SELECT 1 FROM memberships ms WHERE ms.server_id = c.server_id \
             AND ms.account_id = ",
            $account,
            $share_members,
            ") OR EXISTS (SELECT 1 FROM dm_members d WHERE d.channel_id = c.id \
             AND d.account_id = ",
            $account,
            $share_dm,
            "))"
        )
    };
}
pub(crate) use may_read;

/// Whether no block stands between `$account` and the other person of channel `c`, when
/// it is a direct message with two people in it now (a server's channel has no people of its
/// own, and a group goes on): a block either way stops both from posting, editing, reacting
/// and pinning there.
macro_rules! unblocked {
    ($account:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM dm_members o JOIN blocks b \
             ON (b.blocker_id = o.account_id AND b.blocked_id = ",
            $account,
            ") OR (b.blocker_id = ",
            $account,
            " AND b.blocked_id = o.account_id) \
             WHERE o.channel_id = c.id \
             AND (SELECT count(*) FROM dm_members n WHERE n.channel_id = c.id) <= 2)"
        )
    };
}
pub(crate) use unblocked;

/// The conditions of a search ([`Sql::search_messages`]) on message `m` of channel `c`: the
/// words, what `$1` may read, and the filters.
macro_rules! matching {
    ($text_match:literal) => {
        concat!(
            $text_match,
            " AND ",
            $crate::dialect::may_read!("$1", "", ""),
            " AND ($3 IS NULL OR c.server_id = $3) AND ($4 IS NULL OR m.channel_id = $4) \
             AND ($5 IS NULL OR m.author_id = $5) AND ($6 IS NULL OR m.id < $6)"
        )
    };
}
pub(crate) use matching;

/// Read states of account `$1` in its servers' channels and its direct messages (and `$filter`): where each person
/// has read to is their acknowledgement or, without one, where they joined; unread counts stop
/// at [`MAX_UNREAD`](pingme_domain::messages::MAX_UNREAD) (1000) and count only others'
/// messages; both counts are read only for channels with something newer.
macro_rules! read_states {
    ($greatest:literal, $filter:literal) => {
        concat!(
            "SELECT c.id AS channel_id, c.last_message_id, r.last_read AS last_read_id, \
             CASE WHEN c.last_message_id > r.last_read THEN (SELECT count(*) FROM \
             (SELECT 1 FROM messages m WHERE m.channel_id = c.id AND m.id > r.last_read \
             AND COALESCE(m.author_id, 0) <> $1 LIMIT 1000) u) ELSE 0 END AS unread_count, \
             CASE WHEN c.last_message_id > r.last_read THEN (SELECT count(*) FROM mentions n \
             WHERE n.account_id = $1 AND n.channel_id = c.id AND n.message_id > r.last_read) \
             ELSE 0 END AS mention_count \
             FROM (SELECT c.id AS channel, ",
            $greatest,
            "(COALESCE(rs.last_read_id, 0), ms.read_floor) AS last_read \
             FROM memberships ms JOIN channels c ON c.server_id = ms.server_id \
             LEFT JOIN read_states rs ON rs.account_id = ms.account_id AND rs.channel_id = c.id \
             WHERE ms.account_id = $1",
            $filter,
            " UNION ALL SELECT c.id AS channel, COALESCE(rs.last_read_id, 0) AS last_read \
             FROM dm_members d JOIN channels c ON c.id = d.channel_id \
             LEFT JOIN read_states rs ON rs.account_id = d.account_id AND rs.channel_id = c.id \
             WHERE d.account_id = $1",
            $filter,
            ") r JOIN channels c ON c.id = r.channel ORDER BY c.id"
        )
    };
}
pub(crate) use read_states;

#[cfg(test)]
mod tests {
    use pingme_domain::messages::MAX_UNREAD;

    #[test]
    fn unread_counts_stop_where_the_domain_says() {
        let statement = read_states!("max", "");
        assert!(
            statement.contains(&format!("LIMIT {MAX_UNREAD})")),
            "{statement}"
        );
    }
}
