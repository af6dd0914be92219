//! [`MessageStore`] on SQLite.

use super::{SqliteStore, store_error};
use crate::rows::messages::{MESSAGE_EXISTS, MessageRow, all, message_select};
use async_trait::async_trait;
use pingme_domain::messages::{Message, MessageBody, MessageId, MessageWrite, NewMessage, Page};
use pingme_domain::store::{MessageStore, StoreResult};
use pingme_domain::{AccountId, ChannelId, Timestamp};

/// One message, read through `executor` (the read pool, or a write transaction that must
/// see its own change).
async fn fetch_message<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    id: i64,
) -> StoreResult<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(concat!(message_select!(), "WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(store_error)?;
    row.map(Message::try_from).transpose()
}

/// Whether the message exists.
async fn exists(tx: &mut sqlx::SqliteConnection, id: MessageId) -> StoreResult<bool> {
    sqlx::query_scalar(MESSAGE_EXISTS)
        .bind(id.0)
        .fetch_one(tx)
        .await
        .map_err(store_error)
}

/// Why nothing was written: the message exists (so the caller may not), or it does not.
async fn refusal<T>(
    tx: &mut sqlx::SqliteConnection,
    id: MessageId,
) -> StoreResult<MessageWrite<T>> {
    Ok(if exists(tx, id).await? {
        MessageWrite::Refused
    } else {
        MessageWrite::Missing
    })
}

/// The message just written, read back in the same transaction, or why nothing was.
async fn written(
    tx: &mut sqlx::SqliteConnection,
    id: Option<i64>,
    message: MessageId,
) -> StoreResult<MessageWrite<Message>> {
    match id {
        Some(id) => Ok(fetch_message(&mut *tx, id)
            .await?
            .map_or(MessageWrite::Missing, MessageWrite::Done)),
        None => refusal(tx, message).await,
    }
}

#[async_trait]
impl MessageStore for SqliteStore {
    /// Queued for the group-commit writer (see `batch`): stored in a transaction shared
    /// with the other messages waiting at that moment.
    async fn create_message(&self, new: &NewMessage) -> StoreResult<MessageWrite<Message>> {
        self.messages.create(new.clone()).await
    }

    async fn messages(&self, channel: ChannelId, page: Page) -> StoreResult<Vec<Message>> {
        let rows: Vec<MessageRow> = match page {
            Page::Latest { limit } => {
                sqlx::query_as(concat!(message_select!(), "WHERE m.channel_id = $1 ORDER BY m.id DESC LIMIT $2"))
                    .bind(channel.0)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await
            }
            Page::Before { id, limit } => {
                sqlx::query_as(concat!(message_select!(), "WHERE m.channel_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"))
                    .bind(channel.0)
                    .bind(id.0)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await
            }
            Page::After { after, before, limit } => {
                sqlx::query_as(concat!(
                    message_select!(),
                    "WHERE m.channel_id = $1 AND m.id > $2 AND ($3 IS NULL OR m.id < $3) ORDER BY m.id LIMIT $4"
                ))
                .bind(channel.0)
                .bind(after.0)
                .bind(before.map(|b| b.0))
                .bind(limit)
                .fetch_all(&self.read)
                .await
            }
        }
        .map_err(store_error)?;
        let mut messages = all(rows)?;
        if !matches!(page, Page::After { .. }) {
            // Read newest first to take the last ones; shown oldest first.
            messages.reverse();
        }
        Ok(messages)
    }

    async fn message(&self, id: MessageId) -> StoreResult<Option<Message>> {
        fetch_message(&self.read, id.0).await
    }

    async fn update_message(
        &self,
        id: MessageId,
        editor: AccountId,
        body: &MessageBody,
    ) -> StoreResult<MessageWrite<Message>> {
        let mut tx = self.write_tx().await?;
        let edited: Option<i64> = sqlx::query_scalar(
            "UPDATE messages SET content = $3, updated_at = MAX(created_at, $4) \
             WHERE id = $1 AND author_id = $2 AND EXISTS (SELECT 1 FROM channels c \
             JOIN memberships ms ON ms.server_id = c.server_id \
             WHERE c.id = messages.channel_id AND ms.account_id = $2) \
             RETURNING id",
        )
        .bind(id.0)
        .bind(editor.0)
        .bind(body.as_str())
        .bind(Timestamp::now().unix_micros())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = written(&mut tx, edited, id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }

    async fn delete_message(
        &self,
        id: MessageId,
        by: AccountId,
    ) -> StoreResult<MessageWrite<ChannelId>> {
        let mut tx = self.write_tx().await?;
        // The sender while still a member, or the server's owner.
        let channel: Option<i64> = sqlx::query_scalar(
            "DELETE FROM messages WHERE id = $1 AND EXISTS (SELECT 1 FROM channels c \
             JOIN servers s ON s.id = c.server_id WHERE c.id = messages.channel_id AND \
             (s.owner_id = $2 OR (messages.author_id = $2 AND EXISTS (SELECT 1 FROM memberships ms \
             WHERE ms.server_id = c.server_id AND ms.account_id = $2)))) \
             RETURNING channel_id",
        )
        .bind(id.0)
        .bind(by.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = match channel {
            Some(channel) => MessageWrite::Done(ChannelId(channel)),
            None => refusal(&mut tx, id).await?,
        };
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }
}
