//! SQLite's side of the group commit ([`crate::group_commit`]): a batch is one `INSERT` from
//! a JSON array with the membership check per row, one read-back, one raise of its channels'
//! versions and one commit.
//!
//! It runs on the write pool's one connection (so it queues with every other write of the
//! process, as `sqlite/mod.rs` has them), but not through sqlx: sqlx hands every statement,
//! and every row of its answer, to the connection's own thread and back, which under
//! `ingest` cost about a fifth of that thread's time in futex wake-ups and channel sends.
//! The batch locks the connection's handle out of sqlx's thread instead
//! (`lock_handle`) and runs its statements through rusqlite on the message writer's own
//! thread, where blocking is what it is for.

use super::{Db, store_error};
use crate::dialect::Dialect;
use crate::direct::{self, Reader};
use crate::group_commit::{Batch, outcomes, pair, unstored_channels};
use crate::rows::messages::{MessageRow, all, mention_rows, message_select, newest_by_channel};
use async_trait::async_trait;
use pingme_domain::Timestamp;
use pingme_domain::messages::{Message, MessageWrite, NewMessage};
use pingme_domain::store::{StoreError, StoreResult};
use rusqlite::{Connection, TransactionBehavior};
use sqlx::SqlitePool;
use std::collections::HashSet;

pub(super) struct SqliteBatch(pub(super) SqlitePool);

#[async_trait]
impl Batch for SqliteBatch {
    async fn store(&self, messages: &[NewMessage]) -> StoreResult<Vec<MessageWrite<Message>>> {
        let mut connection = self.0.acquire().await.map_err(store_error)?;
        let mut handle = connection.lock_handle().await.map_err(store_error)?;
        let (outcome, settled) = on_handle(handle.as_raw_handle(), |db| write(db, messages))?;
        drop(handle);
        if !settled {
            // Its transaction could not be rolled back: the pool must not hand it out again.
            connection.close_on_drop();
        }
        outcome
    }
}

/// Runs `work` through rusqlite on the handle sqlx has locked out for this thread; whether
/// the connection is left outside any transaction, as sqlx expects it back.
#[allow(unsafe_code)]
fn on_handle<T>(
    handle: std::ptr::NonNull<rusqlite::ffi::sqlite3>,
    work: impl FnOnce(&Connection) -> T,
) -> StoreResult<(T, bool)> {
    // SAFETY: the handle is open and this thread's alone until the `LockedSqliteHandle` it
    // came from is dropped, which the caller does only after this returns; rusqlite's
    // `from_handle` never closes a handle it does not own, and its statements are
    // finalized when `db` drops below, before the handle goes back to sqlx. sqlx and
    // rusqlite are built on the same libsqlite3-sys (Cargo.toml).
    let db = unsafe { Connection::from_handle(handle.as_ptr()) }.map_err(direct::store_error)?;
    let outcome = work(&db);
    let settled = db.is_autocommit();
    // A rusqlite connection per batch, its statements finalized here: kept across batches,
    // they would still be open when sqlx closes the handle, which it does not allow. Four
    // statements compiled again per batch of hundreds of messages cost next to nothing.
    drop(db);
    Ok((outcome, settled))
}

fn write(db: &Connection, messages: &[NewMessage]) -> StoreResult<Vec<MessageWrite<Message>>> {
    // Dropped without a commit, it rolls back.
    let tx = rusqlite::Transaction::new_unchecked(db, TransactionBehavior::Immediate)
        .map_err(direct::store_error)?;
    let reader = Reader::on(&tx);
    // `[[channel, author, content], …]`: tuples are written as arrays.
    let rows: Vec<(i64, i64, &str)> = messages
        .iter()
        .map(|m| (m.channel.0, m.author.0, m.body.as_str()))
        .collect();
    let rows = serde_json::to_string(&rows).map_err(|e| StoreError::Other(e.into()))?;
    // Timed once the write lock is held, so that times grow with ids. The rows are inserted
    // in queue order by one statement holding the write lock, so their AUTOINCREMENT ids are
    // consecutive in that order, ending at the last one inserted.
    let count = reader.execute(
        "INSERT INTO messages (channel_id, author_id, content, created_at, updated_at) \
         SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, $2, $2 \
         FROM json_each($1) r JOIN channels c ON c.id = r.value ->> 0 \
         WHERE EXISTS (SELECT 1 FROM memberships m \
         WHERE m.server_id = c.server_id AND m.account_id = r.value ->> 1) \
         ORDER BY r.key",
        &[&rows, &Timestamp::now().unix_micros()],
    )?;
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let stored: Vec<MessageRow> = match count {
        0 => Vec::new(),
        _ => reader.all(
            concat!(message_select!(), "WHERE m.id >= $1 ORDER BY m.id"),
            &[&(tx.last_insert_rowid() - count + 1)],
        )?,
    };
    raise_versions(&reader, &stored)?;
    write_mentions(&reader, &stored)?;
    let paired = pair(messages, all(stored)?)?;
    let unstored = unstored_channels(&paired);
    let mut existing = HashSet::new();
    if !unstored.is_empty() {
        reader.each(Db::SQL.existing_channels, &[&Db::ids(unstored)], |row| {
            existing.insert(row.get::<_, i64>(0).map_err(direct::store_error)?);
            Ok(())
        })?;
    }
    tx.commit().map_err(direct::store_error)?;
    Ok(outcomes(paired, &existing))
}

/// Raises the version and the newest message of each channel the batch wrote to, once
/// (migrations 0006, 0008): SQLite's triggers run per row, and a trigger on this insert cost
/// a write per message.
fn raise_versions(reader: &Reader<'_>, stored: &[MessageRow]) -> StoreResult<()> {
    let newest = newest_by_channel(stored);
    if newest.is_empty() {
        return Ok(());
    }
    let newest = serde_json::to_string(&newest).map_err(|e| StoreError::Other(e.into()))?;
    reader.execute(
        "UPDATE channels SET version = version + 1, \
         last_message_id = max(last_message_id, r.value ->> 1) \
         FROM json_each($1) r WHERE channels.id = r.value ->> 0",
        &[&newest],
    )?;
    Ok(())
}

/// Whom the batch's messages mention (migration 0008), of the accounts that exist, may read
/// the channel and do not block the author.
fn write_mentions(reader: &Reader<'_>, stored: &[MessageRow]) -> StoreResult<()> {
    let rows = mention_rows(stored);
    if rows.is_empty() {
        return Ok(());
    }
    let rows = serde_json::to_string(&rows).map_err(|e| StoreError::Other(e.into()))?;
    reader.execute(
        concat!(
            "INSERT INTO mentions (account_id, channel_id, message_id) \
             SELECT a.id, r.value ->> 1, r.value ->> 2 FROM json_each($1) r \
             JOIN accounts a ON a.id = r.value ->> 0 WHERE ",
            crate::rows::messages::mentionable!("(r.value ->> 1)", "(r.value ->> 3)"),
            " ON CONFLICT DO NOTHING"
        ),
        &[&rows],
    )?;
    Ok(())
}
