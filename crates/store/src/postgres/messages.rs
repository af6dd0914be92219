//! [`MessageStore`] on Postgres. Each write is one transaction whose checks lock the rows
//! they decide on (the author's membership, the server's owner), so a member removed or an
//! owner changed by a transaction running alongside is respected.

use super::{PgStore, store_error, time};
use async_trait::async_trait;
use pingme_domain::messages::{
    Author, Message, MessageBody, MessageId, MessageWrite, NewMessage, Page,
};
use pingme_domain::store::{MessageStore, StoreError, StoreResult};
use pingme_domain::{AccountId, ChannelId, ServerId, Timestamp};
use sqlx::PgConnection;

/// A message with its channel's server and its author (NULLs once the author is deleted).
macro_rules! select {
    () => {
        "SELECT m.id, m.channel_id, c.server_id, m.content, m.created_at, m.updated_at, \
         a.id AS author_id, a.login, a.display_name, a.location, a.content AS bio, a.image, \
         a.created_at AS author_created_at, a.updated_at AS author_updated_at \
         FROM messages m JOIN channels c ON c.id = m.channel_id \
         LEFT JOIN accounts a ON a.id = m.author_id "
    };
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    channel_id: i64,
    server_id: i64,
    content: String,
    created_at: i64,
    updated_at: i64,
    author_id: Option<i64>,
    login: Option<String>,
    display_name: Option<String>,
    location: Option<String>,
    bio: Option<String>,
    image: Option<String>,
    author_created_at: Option<i64>,
    author_updated_at: Option<i64>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        let author = match (
            row.author_id,
            row.login,
            row.display_name,
            row.author_created_at,
            row.author_updated_at,
        ) {
            (Some(id), Some(login), Some(display_name), Some(created), Some(updated)) => {
                Some(Author {
                    id: AccountId(id),
                    login,
                    display_name,
                    location: row.location,
                    content: row.bio.unwrap_or_default(),
                    image: row.image,
                    created_at: time(created)?,
                    updated_at: time(updated)?,
                })
            }
            _ => None,
        };
        Ok(Message {
            id: MessageId(row.id),
            channel: ChannelId(row.channel_id),
            server: ServerId(row.server_id),
            author,
            content: row.content,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
        })
    }
}

fn all(rows: Vec<MessageRow>) -> StoreResult<Vec<Message>> {
    rows.into_iter().map(Message::try_from).collect()
}

/// One message, read through `executor` (the pool, or a write transaction that must see
/// its own change).
async fn fetch_message<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    id: i64,
) -> StoreResult<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(concat!(select!(), "WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(store_error)?;
    row.map(Message::try_from).transpose()
}

/// What a write named: the channel of a new message, or the message itself.
#[derive(Clone, Copy)]
enum Named {
    Channel(ChannelId),
    Message(MessageId),
}

/// Whether what a write named exists.
async fn exists(tx: &mut PgConnection, named: Named) -> StoreResult<bool> {
    let (query, id) = match named {
        Named::Channel(id) => ("SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1)", id.0),
        Named::Message(id) => ("SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1)", id.0),
    };
    sqlx::query_scalar(query)
        .bind(id)
        .fetch_one(tx)
        .await
        .map_err(store_error)
}

/// Why nothing was written: what it named exists (so the caller may not), or it does not.
async fn refusal<T>(tx: &mut PgConnection, named: Named) -> StoreResult<MessageWrite<T>> {
    Ok(if exists(tx, named).await? {
        MessageWrite::Refused
    } else {
        MessageWrite::Missing
    })
}

/// The message just written, read back in the same transaction, or why nothing was.
async fn written(
    tx: &mut PgConnection,
    id: Option<i64>,
    named: Named,
) -> StoreResult<MessageWrite<Message>> {
    match id {
        Some(id) => Ok(fetch_message(&mut *tx, id)
            .await?
            .map_or(MessageWrite::Missing, MessageWrite::Done)),
        None => refusal(tx, named).await,
    }
}

#[async_trait]
impl MessageStore for PgStore {
    /// One transaction per message. The channel row is key-share locked (it cannot go
    /// before the commit) and the membership row share-locked: a leave or a ban running
    /// alongside either waits for this commit or has already removed the row, and then
    /// nothing is written.
    async fn create_message(&self, new: &NewMessage) -> StoreResult<MessageWrite<Message>> {
        let mut tx = self.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO messages (channel_id, author_id, content, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $4 FROM channels c \
             JOIN memberships ms ON ms.server_id = c.server_id AND ms.account_id = $2 \
             WHERE c.id = $1 FOR KEY SHARE OF c FOR SHARE OF ms \
             RETURNING id",
        )
        .bind(new.channel.0)
        .bind(new.author.0)
        .bind(new.body.as_str())
        .bind(Timestamp::now().unix_micros())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = written(&mut tx, id, Named::Channel(new.channel)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }

    async fn messages(&self, channel: ChannelId, page: Page) -> StoreResult<Vec<Message>> {
        let rows: Vec<MessageRow> = match page {
            Page::Latest { limit } => {
                sqlx::query_as(concat!(select!(), "WHERE m.channel_id = $1 ORDER BY m.id DESC LIMIT $2"))
                    .bind(channel.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
            }
            Page::Before { id, limit } => {
                sqlx::query_as(concat!(select!(), "WHERE m.channel_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"))
                    .bind(channel.0)
                    .bind(id.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
            }
            Page::After { after, before, limit } => {
                sqlx::query_as(concat!(
                    select!(),
                    "WHERE m.channel_id = $1 AND m.id > $2 AND ($3::BIGINT IS NULL OR m.id < $3) ORDER BY m.id LIMIT $4"
                ))
                .bind(channel.0)
                .bind(after.0)
                .bind(before.map(|b| b.0))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
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
        fetch_message(&self.pool, id.0).await
    }

    async fn update_message(
        &self,
        id: MessageId,
        editor: AccountId,
        body: &MessageBody,
    ) -> StoreResult<MessageWrite<Message>> {
        let mut tx = self.begin().await?;
        let edited: Option<i64> = sqlx::query_scalar(
            "UPDATE messages SET content = $3, updated_at = GREATEST(created_at, $4) \
             WHERE id = $1 AND author_id = $2 AND EXISTS (SELECT 1 FROM channels c \
             JOIN memberships ms ON ms.server_id = c.server_id \
             WHERE c.id = messages.channel_id AND ms.account_id = $2 FOR SHARE OF ms) \
             RETURNING id",
        )
        .bind(id.0)
        .bind(editor.0)
        .bind(body.as_str())
        .bind(Timestamp::now().unix_micros())
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = written(&mut tx, edited, Named::Message(id)).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }

    async fn delete_message(
        &self,
        id: MessageId,
        by: AccountId,
    ) -> StoreResult<MessageWrite<ChannelId>> {
        let mut tx = self.begin().await?;
        // The sender while still a member, or the server's owner.
        let channel: Option<i64> = sqlx::query_scalar(
            "DELETE FROM messages WHERE id = $1 AND (EXISTS (SELECT 1 FROM channels c \
             JOIN servers s ON s.id = c.server_id \
             WHERE c.id = messages.channel_id AND s.owner_id = $2 FOR SHARE OF s) \
             OR (messages.author_id = $2 AND EXISTS (SELECT 1 FROM channels c \
             JOIN memberships ms ON ms.server_id = c.server_id \
             WHERE c.id = messages.channel_id AND ms.account_id = $2 FOR SHARE OF ms))) \
             RETURNING channel_id",
        )
        .bind(id.0)
        .bind(by.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let outcome = match channel {
            Some(channel) => MessageWrite::Done(ChannelId(channel)),
            None => refusal(&mut tx, Named::Message(id)).await?,
        };
        tx.commit().await.map_err(store_error)?;
        Ok(outcome)
    }
}
