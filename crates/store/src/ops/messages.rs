//! [`MessageStore`], for both dialects. Each write is one transaction; where the dialect
//! locks rows, its checks lock the rows they decide on (the author's membership, the
//! server's owner), so a member removed or an owner changed by a transaction running
//! alongside is respected.

use super::{Conn, Db};
use crate::dialect::Dialect;
use crate::rows::messages::{
    AFTER, BEFORE, LATEST, MESSAGE_EXISTS, MessageRow, PageVersionRow, message_select, page_of,
};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::messages::{
    Message, MessageBody, MessageId, MessageWrite, NewMessage, Nonce, Page, PageVersion, Sent,
    mentions,
};
use pingme_domain::store::{MessageStore, QueuedMessage, StoreResult};
use pingme_domain::{AccountId, ChannelId, Timestamp};

/// One message, read through `executor` (the read pool, or a write transaction that must
/// see its own change).
async fn fetch_message<'e>(
    executor: impl sqlx::Executor<'e, Database = Db>,
    id: i64,
) -> StoreResult<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(concat!(message_select!(), "WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(Db::store_error)?;
    row.map(Message::try_from).transpose()
}

/// Whether the message exists.
async fn exists(tx: &mut Conn, id: MessageId) -> StoreResult<bool> {
    sqlx::query_scalar(MESSAGE_EXISTS)
        .bind(id.0)
        .fetch_one(tx)
        .await
        .map_err(Db::store_error)
}

/// Locks the message's channel first, where rows are locked: an edit or a deletion raises
/// its channel's version (migration 0006), and taking the channel after the message's row
/// would be the opposite order to a server's or a channel's deletion (the channels, then
/// their messages) and could deadlock with it.
async fn lock_channel(tx: &mut Conn, id: MessageId) -> StoreResult<()> {
    if Db::ROW_LOCKS {
        sqlx::query(Db::SQL.lock_message_channel)
            .bind(id.0)
            .execute(tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(())
}

/// Why nothing was written: the message exists (so the caller may not), or it does not.
async fn refusal<T>(tx: &mut Conn, id: MessageId) -> StoreResult<MessageWrite<T>> {
    Ok(if exists(tx, id).await? {
        MessageWrite::Refused
    } else {
        MessageWrite::Missing
    })
}

/// The message just written, read back in the same transaction, or why nothing was.
async fn written(
    tx: &mut Conn,
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

/// Where rows are locked, what the group commit's batch locks for a message, in its order:
/// the channel (so that its messages are committed in id order and two sends with one nonce
/// take turns), then the author's row.
async fn lock_for_insert(tx: &mut Conn, new: &NewMessage) -> StoreResult<()> {
    if Db::ROW_LOCKS {
        sqlx::query("SELECT id FROM channels WHERE id = $1 FOR NO KEY UPDATE")
            .bind(new.channel.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR KEY SHARE")
            .bind(new.author.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(())
}

/// The latest message `new`'s author sent to its channel with `nonce` at `since` or later.
async fn sent_with(
    tx: &mut Conn,
    new: &NewMessage,
    nonce: &Nonce,
    since: Timestamp,
) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM messages WHERE author_id = $1 AND channel_id = $2 AND nonce = $3 \
         AND created_at >= $4 ORDER BY id DESC LIMIT 1",
    )
    .bind(new.author.0)
    .bind(new.channel.0)
    .bind(nonce.as_str())
    .bind(since.unix_micros())
    .fetch_optional(tx)
    .await
    .map_err(Db::store_error)
}

/// Key-share-locks the accounts, in id order, where rows are locked.
pub(super) async fn share_accounts(
    tx: &mut Conn,
    accounts: impl IntoIterator<Item = AccountId>,
) -> StoreResult<()> {
    if Db::ROW_LOCKS {
        sqlx::query(Db::SQL.share_accounts)
            .bind(Db::ids(accounts.into_iter().map(|a| a.0)))
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(())
}

/// Writes whom the message's text mentions (migration 0008), in place of what an earlier text
/// said: accounts that exist, each once.
async fn write_mentions(tx: &mut Conn, message: &Message, edited: bool) -> StoreResult<()> {
    if edited {
        sqlx::query("DELETE FROM mentions WHERE message_id = $1")
            .bind(message.id.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    for account in mentions(&message.content) {
        sqlx::query(Db::SQL.insert_mention)
            .bind(account.0)
            .bind(message.channel.0)
            .bind(message.id.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(())
}

/// Inserts one message with its nonce if its author is a member; its id.
async fn insert(tx: &mut Conn, new: &NewMessage, nonce: &Nonce) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(Db::SQL.insert_message)
        .bind(new.channel.0)
        .bind(new.author.0)
        .bind(new.body.as_str())
        .bind(nonce.as_str())
        .bind(Timestamp::now().unix_micros())
        .fetch_optional(&mut *tx)
        .await
        .map_err(Db::store_error)?;
    if let (Some(id), Some(raise)) = (id, Db::AFTER_MESSAGE_INSERT) {
        sqlx::query(raise)
            .bind(new.channel.0)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(id)
}

/// Why nothing was written for a member of a channel's server: the channel exists (so the
/// caller is no member), or not.
pub(super) async fn not_inserted<T>(
    tx: &mut Conn,
    channel: ChannelId,
) -> StoreResult<MessageWrite<T>> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM channels WHERE id = $1")
        .bind(channel.0)
        .fetch_optional(tx)
        .await
        .map_err(Db::store_error)?;
    Ok(match exists {
        Some(_) => MessageWrite::Refused,
        None => MessageWrite::Missing,
    })
}

#[async_trait]
impl MessageStore for SqlStore<Db> {
    /// Queued for the group-commit writer (see `batch`): stored in a transaction shared
    /// with the other messages waiting at that moment.
    async fn queue_message(&self, new: NewMessage) -> StoreResult<QueuedMessage> {
        self.messages.queue(new).await
    }

    /// Not through the group commit: the lookup and the insert share one transaction.
    async fn send_message(
        &self,
        new: &NewMessage,
        nonce: &Nonce,
        since: Timestamp,
    ) -> StoreResult<MessageWrite<Sent>> {
        let mut tx = self.begin_write().await?;
        lock_for_insert(&mut tx, new).await?;
        let (id, is_new) = match sent_with(&mut tx, new, nonce, since).await? {
            Some(id) => (Some(id), false),
            None => (insert(&mut tx, new, nonce).await?, true),
        };
        let found = match id {
            Some(id) => fetch_message(&mut *tx, id).await?,
            None => None,
        };
        let outcome = match (id, found) {
            (Some(_), Some(message)) => {
                if is_new {
                    write_mentions(&mut tx, &message, false).await?;
                }
                MessageWrite::Done(Sent {
                    message,
                    new: is_new,
                })
            }
            (Some(_), None) => MessageWrite::Missing,
            (None, _) => not_inserted(&mut tx, new.channel).await?,
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }

    async fn messages(&self, channel: ChannelId, page: Page) -> StoreResult<Vec<Message>> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::messages(direct, channel, page);
        }
        let rows: Vec<MessageRow> = match page {
            Page::Latest { limit } => {
                sqlx::query_as(LATEST)
                    .bind(channel.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await
            }
            Page::Before { id, limit } => {
                sqlx::query_as(BEFORE)
                    .bind(channel.0)
                    .bind(id.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await
            }
            Page::After {
                after,
                before,
                limit,
            } => {
                sqlx::query_as(AFTER)
                    .bind(channel.0)
                    .bind(after.0)
                    .bind(before.map(|b| b.0))
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await
            }
        }
        .map_err(Db::store_error)?;
        page_of(rows, page)
    }

    async fn page_version(&self, channel: ChannelId) -> StoreResult<Option<PageVersion>> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::page_version(direct, channel);
        }
        let row: Option<PageVersionRow> = sqlx::query_as(Db::SQL.page_version)
            .bind(channel.0)
            .fetch_optional(&self.read)
            .await
            .map_err(Db::store_error)?;
        Ok(row.map(PageVersion::from))
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
        let mut tx = self.begin_write().await?;
        lock_channel(&mut tx, id).await?;
        // The editor and everyone the old or the new text mentions, before the membership
        // the edit checks and the mentions it rewrites: the order of the message batches.
        let mentioned: Vec<i64> =
            sqlx::query_scalar("SELECT account_id FROM mentions WHERE message_id = $1")
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(Db::store_error)?;
        let accounts = mentioned
            .into_iter()
            .map(AccountId)
            .chain(mentions(body.as_str()));
        share_accounts(&mut tx, accounts.chain([editor])).await?;
        let edited: Option<i64> = sqlx::query_scalar(Db::SQL.edit_message)
            .bind(id.0)
            .bind(editor.0)
            .bind(body.as_str())
            .bind(Timestamp::now().unix_micros())
            .fetch_optional(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let outcome = written(&mut tx, edited, id).await?;
        if let MessageWrite::Done(message) = &outcome {
            write_mentions(&mut tx, message, true).await?;
        }
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }

    async fn delete_message(
        &self,
        id: MessageId,
        by: AccountId,
    ) -> StoreResult<MessageWrite<ChannelId>> {
        let mut tx = self.begin_write().await?;
        lock_channel(&mut tx, id).await?;
        // The sender while still a member, or the server's owner.
        let channel: Option<i64> = sqlx::query_scalar(Db::SQL.delete_message)
            .bind(id.0)
            .bind(by.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let outcome = match channel {
            Some(channel) => MessageWrite::Done(ChannelId(channel)),
            None => refusal(&mut tx, id).await?,
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }
}
