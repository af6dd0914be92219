//! [`MessageStore`] on SQLite.

use super::{SqliteStore, store_error, time};
use async_trait::async_trait;
use pingme_domain::messages::{Author, Message, MessageBody, MessageId, NewMessage, Page};
use pingme_domain::store::{MessageStore, StoreError, StoreResult};
use pingme_domain::{AccountId, ChannelId, ServerId, Timestamp};

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

impl SqliteStore {
    async fn read_message(&self, id: i64) -> StoreResult<Option<Message>> {
        let row: Option<MessageRow> = sqlx::query_as(concat!(select!(), "WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(store_error)?;
        row.map(Message::try_from).transpose()
    }
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn create_message(&self, new: &NewMessage) -> StoreResult<Option<Message>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO messages (channel_id, author_id, content, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $4 FROM channels c WHERE c.id = $1 AND EXISTS \
             (SELECT 1 FROM memberships m WHERE m.server_id = c.server_id AND m.account_id = $2) \
             RETURNING id",
        )
        .bind(new.channel.0)
        .bind(new.author.0)
        .bind(new.body.as_str())
        .bind(Timestamp::now().unix_micros())
        .fetch_optional(&self.write)
        .await
        .map_err(store_error)?;
        match id {
            Some(id) => self.read_message(id).await,
            None => Ok(None),
        }
    }

    async fn messages(&self, channel: ChannelId, page: Page) -> StoreResult<Vec<Message>> {
        let rows: Vec<MessageRow> = match page {
            Page::Latest { limit } => {
                sqlx::query_as(concat!(select!(), "WHERE m.channel_id = $1 ORDER BY m.id DESC LIMIT $2"))
                    .bind(channel.0)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await
            }
            Page::Before { id, limit } => {
                sqlx::query_as(concat!(select!(), "WHERE m.channel_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"))
                    .bind(channel.0)
                    .bind(id.0)
                    .bind(limit)
                    .fetch_all(&self.read)
                    .await
            }
            Page::After { after, before, limit } => {
                sqlx::query_as(concat!(
                    select!(),
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
        self.read_message(id.0).await
    }

    async fn update_message(
        &self,
        id: MessageId,
        body: &MessageBody,
    ) -> StoreResult<Option<Message>> {
        let done = sqlx::query("UPDATE messages SET content = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(body.as_str())
            .bind(Timestamp::now().unix_micros())
            .execute(&self.write)
            .await
            .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.read_message(id.0).await
    }

    async fn delete_message(&self, id: MessageId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM messages WHERE id = $1")
            .bind(id.0)
            .execute(&self.write)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
