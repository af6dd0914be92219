//! SQLite's side of the group commit ([`crate::group_commit`]): a batch is one `INSERT` from
//! a JSON array with the membership check per row, one read-back and one commit.

use super::ops::settle;
use super::{Db, store_error};
use crate::dialect::Dialect;
use crate::group_commit::Batch;
use crate::rows::messages::{MessageRow, message_select};
use async_trait::async_trait;
use pingme_domain::Timestamp;
use pingme_domain::messages::{Message, MessageWrite, NewMessage};
use pingme_domain::store::{StoreError, StoreResult};
use sqlx::SqlitePool;

pub(super) struct SqliteBatch(pub(super) SqlitePool);

#[async_trait]
impl Batch for SqliteBatch {
    async fn store(&self, messages: &[NewMessage]) -> StoreResult<Vec<MessageWrite<Message>>> {
        let mut tx = Db::begin_write(&self.0).await?;
        // `[[channel, author, content], …]`: tuples are written as arrays.
        let rows: Vec<(i64, i64, &str)> = messages
            .iter()
            .map(|m| (m.channel.0, m.author.0, m.body.as_str()))
            .collect();
        let rows = serde_json::to_string(&rows).map_err(|e| StoreError::Other(e.into()))?;
        // Timed once the write lock is held, so that times grow with ids. The rows are
        // inserted in queue order by one statement holding the write lock, so their
        // AUTOINCREMENT ids are consecutive in that order, ending at the last one inserted:
        // no row of ids needs to come back.
        let inserted = sqlx::query(
            "INSERT INTO messages (channel_id, author_id, content, created_at, updated_at) \
             SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, $2, $2 \
             FROM json_each($1) r JOIN channels c ON c.id = r.value ->> 0 \
             WHERE EXISTS (SELECT 1 FROM memberships m \
             WHERE m.server_id = c.server_id AND m.account_id = r.value ->> 1) \
             ORDER BY r.key",
        )
        .bind(&rows)
        .bind(Timestamp::now().unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        let count = i64::try_from(inserted.rows_affected()).unwrap_or(i64::MAX);
        let first = (count > 0).then(|| inserted.last_insert_rowid() - count + 1);
        let stored: Vec<MessageRow> = match first {
            Some(first) => {
                sqlx::query_as(concat!(message_select!(), "WHERE m.id >= $1 ORDER BY m.id"))
                    .bind(first)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(store_error)?
            }
            None => Vec::new(),
        };
        raise_versions(&mut tx, &stored).await?;
        settle(tx, messages, stored).await
    }
}

/// Raises the version of each channel the batch wrote to, once (migration 0006): SQLite's
/// triggers run per row, and a trigger on this insert cost a write per message.
async fn raise_versions(tx: &mut sqlx::SqliteConnection, stored: &[MessageRow]) -> StoreResult<()> {
    let mut channels: Vec<i64> = stored.iter().map(MessageRow::channel).collect();
    channels.sort_unstable();
    channels.dedup();
    if channels.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE channels SET version = version + 1 WHERE id IN (SELECT value FROM json_each($1))",
    )
    .bind(serde_json::Value::from(channels).to_string())
    .execute(tx)
    .await
    .map_err(store_error)?;
    Ok(())
}
