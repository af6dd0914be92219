//! Group commit for new messages: one task takes every message waiting to be stored and
//! writes them all in one transaction (one `INSERT`, one read-back, one commit), then answers
//! each sender. Under load a batch fills while the previous one commits, so the commit cost
//! is shared; a lone message goes at once, without waiting for company.
//!
//! Each message still has its own outcome: a sender who is not (or no longer) a member of
//! the channel's server gets `Refused`, a deleted channel `Missing`, exactly as if it had been
//! written alone. Ids follow the order the messages were queued in.

use super::{store_error, write_tx};
use crate::rows::messages::{MessageRow, all, message_select};
use pingme_domain::Timestamp;
use pingme_domain::messages::{Message, MessageWrite, NewMessage};
use pingme_domain::store::{BoxError, StoreError, StoreResult};
use sqlx::SqlitePool;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Messages stored in one transaction at most.
const MAX_BATCH: usize = 512;
/// Messages that may wait for the writer; senders beyond that wait for room.
const QUEUE: usize = 4 * MAX_BATCH;

type Reply = oneshot::Sender<StoreResult<MessageWrite<Message>>>;

/// The handle senders queue their messages on; the writer stops once every handle is gone.
#[derive(Clone, Debug)]
pub(super) struct MessageWriter {
    queue: mpsc::Sender<(NewMessage, Reply)>,
}

impl MessageWriter {
    /// Starts the writer task on the current Tokio runtime.
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, requests));
        Self { queue }
    }

    /// Whether the writer task is still there to take messages.
    pub(super) fn is_running(&self) -> bool {
        !self.queue.is_closed()
    }

    pub(super) async fn create(&self, new: NewMessage) -> StoreResult<MessageWrite<Message>> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the message writer has stopped".into());
        self.queue.send((new, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: SqlitePool, mut requests: mpsc::Receiver<(NewMessage, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (messages, replies): (Vec<NewMessage>, Vec<Reply>) = batch.drain(..).unzip();
        let started = std::time::Instant::now();
        let stored = store(&pool, &messages).await;
        tracing::trace!(messages = messages.len(), took = ?started.elapsed(), "message batch");
        match stored {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(error) => {
                tracing::error!(messages = messages.len(), error = %error, "message batch not stored");
                for reply in replies {
                    let _ = reply.send(Err(shared(&error)));
                }
            }
        }
    }
}

/// The batch's failure, once per sender.
fn shared(error: &StoreError) -> StoreError {
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        cause = format!("{cause}: {inner}");
        source = inner.source();
    }
    let cause: BoxError = cause.into();
    match error {
        StoreError::Unavailable(_) => StoreError::Unavailable(cause),
        _ => StoreError::Other(cause),
    }
}

/// Writes the batch in one transaction; the outcome of each message, in order.
async fn store(
    pool: &SqlitePool,
    messages: &[NewMessage],
) -> StoreResult<Vec<MessageWrite<Message>>> {
    let mut tx = write_tx(pool).await?;
    let rows = serde_json::Value::Array(
        messages
            .iter()
            .map(|m| serde_json::json!([m.channel.0, m.author.0, m.body.as_str()]))
            .collect(),
    )
    .to_string();
    // Timed once the write lock is held, so that times grow with ids. The rows are inserted
    // in queue order, so their AUTOINCREMENT ids are consecutive in that order.
    let first: Option<i64> = sqlx::query_scalar(
        "INSERT INTO messages (channel_id, author_id, content, created_at, updated_at) \
         SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, $2, $2 \
         FROM json_each($1) r JOIN channels c ON c.id = r.value ->> 0 \
         WHERE EXISTS (SELECT 1 FROM memberships m \
         WHERE m.server_id = c.server_id AND m.account_id = r.value ->> 1) \
         ORDER BY r.key RETURNING id",
    )
    .bind(&rows)
    .bind(Timestamp::now().unix_micros())
    .fetch_all(&mut *tx)
    .await
    .map_err(store_error)?
    .into_iter()
    .min();
    let stored: Vec<MessageRow> = match first {
        Some(first) => sqlx::query_as(concat!(message_select!(), "WHERE m.id >= $1 ORDER BY m.id"))
            .bind(first)
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?,
        None => Vec::new(),
    };
    let outcomes = matched(messages, all(stored)?, &mut tx).await?;
    tx.commit().await.map_err(store_error)?;
    Ok(outcomes)
}

/// Pairs the stored rows (in id order) with the queued messages. Whether a message is stored
/// depends only on its channel and author, so walking both lists in order finds each one's row.
async fn matched(
    messages: &[NewMessage],
    stored: Vec<Message>,
    tx: &mut sqlx::SqliteConnection,
) -> StoreResult<Vec<MessageWrite<Message>>> {
    let mut stored = stored.into_iter().peekable();
    let mut channel_exists = HashMap::new();
    let mut outcomes = Vec::with_capacity(messages.len());
    for new in messages {
        let mine = stored.peek().is_some_and(|m| {
            m.channel == new.channel
                && m.author.as_ref().map(|a| a.id) == Some(new.author)
                && m.content == new.body.as_str()
        });
        if mine {
            outcomes.push(MessageWrite::Done(stored.next().expect("peeked")));
            continue;
        }
        let exists = match channel_exists.get(&new.channel) {
            Some(&exists) => exists,
            None => {
                let exists = super::messages::channel_exists(&mut *tx, new.channel).await?;
                channel_exists.insert(new.channel, exists);
                exists
            }
        };
        outcomes.push(if exists {
            MessageWrite::Refused
        } else {
            MessageWrite::Missing
        });
    }
    if stored.next().is_some() {
        return Err(StoreError::Other(
            "stored messages do not match the batch".into(),
        ));
    }
    Ok(outcomes)
}
