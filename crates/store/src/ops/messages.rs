//! [`MessageStore`], for both dialects. Each write is one transaction; where the dialect
//! locks rows, its checks lock the rows they decide on (the author's membership, the
//! server's owner), so a member removed or an owner changed by a transaction running
//! alongside is respected.

use super::{Conn, Db, Tx};
use crate::dialect::Dialect;
use crate::rows::messages::{
    AFTER, AttachmentRow, BEFORE, LATEST, MESSAGE_EXISTS, MessageRow, PageVersionRow, ReactionRow,
    all, attach_attachments, attach_reactions, in_page_order, message_select,
};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::message_search::{Found, MessageQuery};
use pingme_domain::messages::{
    Emoji, MAX_PINS, MAX_REACTIONS, Message, MessageBody, MessageId, MessageWrite, NewMessage,
    Nonce, Outgoing, Page, PageVersion, Pinned, Reacted, Sent, Unusable, mentions,
};
use pingme_domain::store::{MessageStore, QueuedMessage, StoreResult};
use pingme_domain::{AccountId, AttachmentId, ChannelId, Timestamp};

/// One message with its reactions as `reader` sees them, read through `conn` (a snapshot,
/// or a write transaction that must see its own change).
async fn fetch_message(
    conn: &mut Conn,
    id: i64,
    reader: Option<AccountId>,
) -> StoreResult<Option<Message>> {
    let row: Option<MessageRow> = sqlx::query_as(concat!(message_select!(), "WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    let Some(mut message) = row.map(Message::try_from).transpose()? else {
        return Ok(None);
    };
    with_extras(conn, std::slice::from_mut(&mut message), reader).await?;
    Ok(Some(message))
}

/// Gives the messages their reactions, with `me` for `reader`, and their attachments.
pub(super) async fn with_extras(
    conn: &mut Conn,
    messages: &mut [Message],
    reader: Option<AccountId>,
) -> StoreResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows: Vec<ReactionRow> = sqlx::query_as(Db::SQL.reactions_of)
        .bind(Db::ids(messages.iter().map(|m| m.id.0)))
        .bind(reader.map(|r| r.0))
        .fetch_all(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    attach_reactions(messages, rows);
    let rows: Vec<AttachmentRow> = sqlx::query_as(Db::SQL.attachments_of)
        .bind(Db::ids(messages.iter().map(|m| m.id.0)))
        .fetch_all(conn)
        .await
        .map_err(Db::store_error)?;
    attach_attachments(messages, rows);
    Ok(())
}

/// Raises the channel's page version (migration 0006), for the writes no trigger counts
/// (reactions, pins).
async fn raise_version(tx: &mut Conn, channel: i64) -> StoreResult<()> {
    sqlx::query("UPDATE channels SET version = version + 1 WHERE id = $1")
        .bind(channel)
        .execute(tx)
        .await
        .map_err(Db::store_error)?;
    Ok(())
}

/// The channel of message `id` if the statement (`Sql::message_reader` or
/// `Sql::message_owner`) grants `account` it; otherwise why not.
async fn granted(
    tx: &mut Conn,
    statement: &'static str,
    id: MessageId,
    account: AccountId,
) -> StoreResult<MessageWrite<i64>> {
    let channel: Option<i64> = sqlx::query_scalar(statement)
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(Db::store_error)?;
    match channel {
        Some(channel) => Ok(MessageWrite::Done(channel)),
        None => refusal(tx, id).await,
    }
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

/// The message just written, read back in the same transaction as its writer sees it, or
/// why nothing was.
async fn written(
    tx: &mut Conn,
    id: Option<i64>,
    message: MessageId,
    writer: AccountId,
) -> StoreResult<MessageWrite<Message>> {
    match id {
        Some(id) => Ok(fetch_message(&mut *tx, id, Some(writer))
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
/// said: accounts that exist, may read the channel and do not block the author, each once.
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
            .bind(message.author.as_ref().map(|a| a.id.0))
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(())
}

/// Inserts one message with its nonce and what it replies to if its author is a member;
/// its id.
async fn insert(tx: &mut Conn, out: &Outgoing) -> StoreResult<Option<i64>> {
    let new = &out.new;
    let id: Option<i64> = sqlx::query_scalar(Db::SQL.insert_message)
        .bind(new.channel.0)
        .bind(new.author.0)
        .bind(new.body.as_str())
        .bind(out.nonce.as_ref().map(Nonce::as_str))
        .bind(Timestamp::now().unix_micros())
        .bind(out.reply_to.map(|r| r.0))
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

/// The channel of message `id` if `account` may read it, with the locks a reaction's write
/// takes first (the channel, then the account, then the membership); otherwise why not.
async fn reader_of(
    tx: &mut Conn,
    id: MessageId,
    account: AccountId,
) -> StoreResult<MessageWrite<i64>> {
    lock_channel(tx, id).await?;
    share_accounts(tx, [account]).await?;
    granted(tx, Db::SQL.message_reader, id, account).await
}

/// Ends a reaction's write on message `id`'s `emoji`: if it `changed` anything, the
/// channel's page version raised and the emoji's count after it.
async fn reacted(
    mut tx: Tx,
    channel: i64,
    id: MessageId,
    emoji: &Emoji,
    changed: bool,
) -> StoreResult<MessageWrite<Reacted>> {
    if !changed {
        tx.commit().await.map_err(Db::store_error)?;
        return Ok(MessageWrite::Done(Reacted::Unchanged));
    }
    raise_version(&mut tx, channel).await?;
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM reactions WHERE message_id = $1 AND emoji = $2")
            .bind(id.0)
            .bind(emoji.as_str())
            .fetch_one(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    tx.commit().await.map_err(Db::store_error)?;
    Ok(MessageWrite::Done(Reacted::Changed(
        u32::try_from(count).unwrap_or(u32::MAX),
    )))
}

/// Whether message `reply_to` is one of `channel`'s.
async fn in_channel(tx: &mut Conn, reply_to: MessageId, channel: ChannelId) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1 AND channel_id = $2)")
        .bind(reply_to.0)
        .bind(channel.0)
        .fetch_one(tx)
        .await
        .map_err(Db::store_error)
}

/// Makes the message `out` asks for, in `tx`: its id, or what it may not use.
async fn make(tx: &mut Conn, out: &Outgoing) -> StoreResult<Option<Result<i64, Unusable>>> {
    let Some(id) = insert(tx, out).await? else {
        return Ok(None);
    };
    if let Some(reply_to) = out.reply_to
        && (reply_to.0 >= id || !in_channel(tx, reply_to, out.new.channel).await?)
    {
        return Ok(Some(Err(Unusable::ReplyTo)));
    }
    if !claim_attachments(tx, id, out).await? {
        return Ok(Some(Err(Unusable::Attachments)));
    }
    Ok(Some(Ok(id)))
}

/// Gives message `id` the attachments `out` names, in its order, if each is its author's and
/// unused; whether all were.
async fn claim_attachments(tx: &mut Conn, id: i64, out: &Outgoing) -> StoreResult<bool> {
    // In id order, as every writer of attachments locks them (no two sends deadlock).
    let mut ordered: Vec<(usize, AttachmentId)> =
        out.attachments.iter().copied().enumerate().collect();
    ordered.sort_unstable_by_key(|(_, attachment)| *attachment);
    for (position, attachment) in ordered {
        let claimed = sqlx::query(
            "UPDATE attachments SET message_id = $1, position = $2 \
             WHERE id = $3 AND owner_id = $4 AND message_id IS NULL",
        )
        .bind(id)
        .bind(position as i64)
        .bind(attachment.0)
        .bind(out.new.author.0)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?
        .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
    }
    Ok(true)
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

    /// Not through the group commit: the lookup, the insert and the checks of what the
    /// message refers to share one transaction, rolled back when one fails.
    async fn send_message(
        &self,
        out: &Outgoing,
        since: Timestamp,
    ) -> StoreResult<MessageWrite<Result<Sent, Unusable>>> {
        let mut tx = self.begin_write().await?;
        lock_for_insert(&mut tx, &out.new).await?;
        let earlier = match &out.nonce {
            Some(nonce) => sent_with(&mut tx, &out.new, nonce, since).await?,
            None => None,
        };
        let (id, is_new) = match earlier {
            Some(id) => (Some(id), false),
            None => match make(&mut tx, out).await? {
                Some(Err(unusable)) => return Ok(MessageWrite::Done(Err(unusable))),
                Some(Ok(id)) => (Some(id), true),
                None => (None, true),
            },
        };
        let found = match id {
            Some(id) => fetch_message(&mut tx, id, Some(out.new.author)).await?,
            None => None,
        };
        let outcome = match (id, found) {
            (Some(_), Some(message)) => {
                if is_new {
                    write_mentions(&mut tx, &message, false).await?;
                }
                MessageWrite::Done(Ok(Sent {
                    message,
                    new: is_new,
                }))
            }
            (Some(_), None) => MessageWrite::Missing,
            (None, _) => not_inserted(&mut tx, out.new.channel).await?,
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }

    async fn messages(
        &self,
        channel: ChannelId,
        page: Page,
        reader: Option<AccountId>,
    ) -> StoreResult<Vec<Message>> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::messages(direct, channel, page, reader);
        }
        let mut tx = Db::begin_snapshot(&self.read).await?;
        let query = match page {
            Page::Latest { limit } => sqlx::query_as(LATEST)
                .bind(channel.0)
                .bind(i64::from(limit)),
            Page::Before { id, limit } => sqlx::query_as(BEFORE)
                .bind(channel.0)
                .bind(id.0)
                .bind(i64::from(limit)),
            Page::After {
                after,
                before,
                limit,
            } => sqlx::query_as(AFTER)
                .bind(channel.0)
                .bind(after.0)
                .bind(before.map(|b| b.0))
                .bind(i64::from(limit)),
        };
        let rows: Vec<MessageRow> = query.fetch_all(&mut *tx).await.map_err(Db::store_error)?;
        let mut messages = all(rows)?;
        with_extras(&mut tx, &mut messages, reader).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(in_page_order(messages, page))
    }

    async fn pins(&self, channel: ChannelId, reader: AccountId) -> StoreResult<Vec<Message>> {
        let mut tx = Db::begin_snapshot(&self.read).await?;
        let rows: Vec<MessageRow> = sqlx::query_as(concat!(
            message_select!(),
            "WHERE m.channel_id = $1 AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC, m.id DESC"
        ))
        .bind(channel.0)
        .fetch_all(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let mut messages = all(rows)?;
        with_extras(&mut tx, &mut messages, Some(reader)).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(messages)
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

    async fn message(
        &self,
        id: MessageId,
        reader: Option<AccountId>,
    ) -> StoreResult<Option<Message>> {
        let mut tx = Db::begin_snapshot(&self.read).await?;
        let message = fetch_message(&mut tx, id.0, reader).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(message)
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
        let outcome = written(&mut tx, edited, id, editor).await?;
        if let MessageWrite::Done(message) = &outcome {
            write_mentions(&mut tx, message, true).await?;
        }
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }

    async fn search_messages(&self, query: &MessageQuery) -> StoreResult<Found> {
        self.search(query).await
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

    async fn add_reaction(
        &self,
        id: MessageId,
        account: AccountId,
        emoji: &Emoji,
    ) -> StoreResult<MessageWrite<Reacted>> {
        let mut tx = self.begin_write().await?;
        let channel = match reader_of(&mut tx, id, account).await? {
            MessageWrite::Done(channel) => channel,
            MessageWrite::Refused => return Ok(MessageWrite::Refused),
            MessageWrite::Missing => return Ok(MessageWrite::Missing),
        };
        let (distinct, given): (i64, i64) = sqlx::query_as(
            "SELECT count(DISTINCT emoji), count(CASE WHEN emoji = $2 THEN 1 END) \
             FROM reactions WHERE message_id = $1",
        )
        .bind(id.0)
        .bind(emoji.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        if given == 0 && distinct >= MAX_REACTIONS as i64 {
            return Ok(MessageWrite::Done(Reacted::TooMany));
        }
        let added = sqlx::query(
            "INSERT INTO reactions (message_id, emoji, account_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id.0)
        .bind(emoji.as_str())
        .bind(account.0)
        .bind(Timestamp::now().unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?
        .rows_affected()
            > 0;
        reacted(tx, channel, id, emoji, added).await
    }

    async fn reactions_by(
        &self,
        account: AccountId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<(MessageId, Emoji)>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(Db::SQL.reactions_by)
            .bind(Db::ids(messages.iter().map(|m| m.0)))
            .bind(account.0)
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, emoji)| (MessageId(id), Emoji::stored(emoji)))
            .collect())
    }

    async fn remove_reaction(
        &self,
        id: MessageId,
        account: AccountId,
        emoji: &Emoji,
    ) -> StoreResult<MessageWrite<Reacted>> {
        let mut tx = self.begin_write().await?;
        let channel = match reader_of(&mut tx, id, account).await? {
            MessageWrite::Done(channel) => channel,
            MessageWrite::Refused => return Ok(MessageWrite::Refused),
            MessageWrite::Missing => return Ok(MessageWrite::Missing),
        };
        let removed = sqlx::query(
            "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND account_id = $3",
        )
        .bind(id.0)
        .bind(emoji.as_str())
        .bind(account.0)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?
        .rows_affected()
            > 0;
        reacted(tx, channel, id, emoji, removed).await
    }

    async fn set_pinned(
        &self,
        id: MessageId,
        by: AccountId,
        pinned: bool,
    ) -> StoreResult<MessageWrite<Pinned>> {
        let mut tx = self.begin_write().await?;
        lock_channel(&mut tx, id).await?;
        let channel = match granted(&mut tx, Db::SQL.message_owner, id, by).await? {
            MessageWrite::Done(channel) => channel,
            MessageWrite::Refused => return Ok(MessageWrite::Refused),
            MessageWrite::Missing => return Ok(MessageWrite::Missing),
        };
        if pinned {
            let count: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM messages WHERE channel_id = $1 AND pinned_at IS NOT NULL \
                 AND id <> $2",
            )
            .bind(channel)
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(Db::store_error)?;
            if count >= MAX_PINS as i64 {
                return Ok(MessageWrite::Done(Pinned::TooMany));
            }
        }
        let changed = sqlx::query(
            "UPDATE messages SET pinned_at = $2 WHERE id = $1 \
             AND (pinned_at IS NULL) = (CAST($2 AS BIGINT) IS NOT NULL)",
        )
        .bind(id.0)
        .bind(pinned.then(|| Timestamp::now().unix_micros()))
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?
        .rows_affected()
            > 0;
        if !changed {
            tx.commit().await.map_err(Db::store_error)?;
            return Ok(MessageWrite::Done(Pinned::Unchanged));
        }
        raise_version(&mut tx, channel).await?;
        let message = fetch_message(&mut tx, id.0, None).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(match message {
            Some(message) => MessageWrite::Done(Pinned::Changed(Box::new(message))),
            None => MessageWrite::Missing,
        })
    }
}
