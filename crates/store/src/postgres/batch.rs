//! Postgres' side of the group commit ([`crate::group_commit`]): a batch is one transaction
//! that locks its channels, inserts every message whose author is a member (one `INSERT` over
//! arrays), reads the rows back and commits: one WAL flush for the whole batch.

use super::{Db, store_error};
use crate::dialect::Dialect;
use crate::group_commit::{Batch, outcomes, pair, unstored_channels};
use crate::rows::messages::{MessageRow, all, mention_rows, message_select};
use async_trait::async_trait;
use pingme_domain::Timestamp;
use pingme_domain::messages::{Message, MessageWrite, NewMessage, mentions};
use pingme_domain::store::StoreResult;
use sqlx::PgPool;
use std::collections::HashSet;

type Tx = sqlx::Transaction<'static, Db>;

#[derive(Clone)]
pub(super) struct PgBatch(pub(super) PgPool);

#[async_trait]
impl Batch for PgBatch {
    async fn store(&self, messages: &[NewMessage]) -> StoreResult<Vec<MessageWrite<Message>>> {
        let mut tx = Db::begin_write(&self.0).await?;
        let channels: Vec<i64> = messages.iter().map(|m| m.channel.0).collect();
        let authors: Vec<i64> = messages.iter().map(|m| m.author.0).collect();
        let contents: Vec<String> = messages
            .iter()
            .map(|m| m.body.as_str().to_owned())
            .collect();
        // The batch's channels, locked in id order (every writer of every node locks in that
        // order, so two batches cannot deadlock) against other writers of those channels: a
        // channel's messages are numbered and committed one transaction after the other, so
        // a lower id is never committed after a higher one and `after=<id>` paging skips
        // nothing. `NO KEY UPDATE` still lets foreign-key checks through.
        sqlx::query("SELECT id FROM channels WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE")
            .bind(&channels)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // Then the authors' rows and those of the accounts the texts mention, in id order, as
        // the foreign keys would lock them at the end of the inserts: taken before the
        // membership rows below, so that an account's deletion (which locks the account's
        // row, then deletes its memberships) and a batch lock the two in the same order and
        // cannot deadlock.
        let mut accounts = authors.clone();
        accounts.extend(
            messages
                .iter()
                .flat_map(|m| mentions(m.body.as_str()))
                .map(|a| a.0),
        );
        sqlx::query("SELECT id FROM accounts WHERE id = ANY($1) ORDER BY id FOR KEY SHARE")
            .bind(&accounts)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // Membership rows are share-locked: a leave or a ban running alongside either waits
        // for this commit or has already removed the row, and then that message is refused.
        // Rows are inserted in queue order, so their ids grow in that order.
        let ids: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO messages (channel_id, author_id, content, created_at, updated_at) \
             SELECT r.channel, r.author, r.content, $4, $4 \
             FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[]) \
             WITH ORDINALITY AS r(channel, author, content, n) \
             JOIN channels c ON c.id = r.channel \
             JOIN memberships ms ON ms.server_id = c.server_id AND ms.account_id = r.author \
             ORDER BY r.n FOR SHARE OF ms RETURNING id",
        )
        .bind(&channels)
        .bind(&authors)
        .bind(&contents)
        .bind(Timestamp::now().unix_micros())
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        let stored: Vec<MessageRow> = sqlx::query_as(concat!(
            message_select!(),
            "WHERE m.id = ANY($1) ORDER BY m.id"
        ))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(store_error)?;
        write_mentions(&mut tx, &stored).await?;
        settle(tx, messages, stored).await
    }
}

/// Whom the batch's messages mention, of the accounts that exist (locked above), may read the
/// channel and do not block the author.
async fn write_mentions(tx: &mut Tx, stored: &[MessageRow]) -> StoreResult<()> {
    let rows = mention_rows(stored);
    if rows.is_empty() {
        return Ok(());
    }
    let column = |n: usize| rows.iter().map(|row| row[n]).collect::<Vec<i64>>();
    sqlx::query(concat!(
        "INSERT INTO mentions (account_id, channel_id, message_id) \
         SELECT a.id, r.channel, r.message \
         FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[]) \
         AS r(account, channel, message, author) \
         JOIN accounts a ON a.id = r.account WHERE ",
        crate::rows::messages::mentionable!("r.channel", "r.author"),
        " ON CONFLICT DO NOTHING",
    ))
    .bind(column(0))
    .bind(column(1))
    .bind(column(2))
    .bind(column(3))
    .execute(&mut **tx)
    .await
    .map_err(store_error)?;
    Ok(())
}

/// Commits the batch whose stored rows (in id order) are `stored`, answering each message.
async fn settle(
    mut tx: Tx,
    messages: &[NewMessage],
    stored: Vec<MessageRow>,
) -> StoreResult<Vec<MessageWrite<Message>>> {
    let paired = pair(messages, all(stored)?)?;
    let unstored = unstored_channels(&paired);
    let existing: HashSet<i64> = match unstored.is_empty() {
        true => HashSet::new(),
        false => sqlx::query_scalar::<_, i64>(Db::SQL.existing_channels)
            .bind(Db::ids(unstored))
            .fetch_all(&mut *tx)
            .await
            .map_err(Db::store_error)?
            .into_iter()
            .collect(),
    };
    tx.commit().await.map_err(Db::store_error)?;
    Ok(outcomes(paired, &existing))
}
