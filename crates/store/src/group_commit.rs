//! Group commit for new messages, on either backend: one task takes every message waiting to
//! be stored and hands them to the backend's [`Batch`], which writes them all in one
//! transaction, then answers each sender. Under load a batch fills while the previous one
//! commits, so the commit's cost (SQLite's write lock, Postgres' WAL flush) is shared; a lone
//! message goes at once, without waiting for company.
//!
//! Each message still has its own outcome: a sender who is not (or no longer) a member of
//! the channel's server gets `Refused`, a deleted channel `Missing`, exactly as if it had been
//! written alone. Ids follow the order the messages were queued in.

use async_trait::async_trait;
use pingme_domain::ChannelId;
use pingme_domain::messages::{Message, MessageWrite, NewMessage};
use pingme_domain::store::{BoxError, QueuedMessage, StoreError, StoreResult};
use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};

/// Messages stored in one transaction at most.
pub(crate) const MAX_BATCH: usize = 512;
/// Messages that may wait for the writer; senders beyond that wait for room.
const QUEUE: usize = 4 * MAX_BATCH;

/// A backend's way of storing a batch in one transaction.
#[async_trait]
pub(crate) trait Batch: Send + Sync + 'static {
    /// The outcome of each message, in order.
    async fn store(&self, messages: &[NewMessage]) -> StoreResult<Vec<MessageWrite<Message>>>;
}

type Reply = oneshot::Sender<StoreResult<MessageWrite<Message>>>;

/// The handle senders queue their messages on; the writer stops once every handle is gone.
#[derive(Clone, Debug)]
pub(crate) struct MessageWriter {
    /// One queue per lane; a channel's messages always take the same lane.
    lanes: Vec<mpsc::Sender<(NewMessage, Reply)>>,
}

impl MessageWriter {
    /// Starts `lanes` writer tasks on the current Tokio runtime, each with its own queue and
    /// its own transactions, for a backend where batches of different channels can be
    /// written at the same time (Postgres: a batch locks only its channels). A channel's
    /// messages all go through one lane, so they keep their order.
    pub(crate) fn start(lanes: usize, batch: impl Batch + Clone) -> Self {
        let lanes = (0..lanes.max(1))
            .map(|_| {
                let (queue, requests) = mpsc::channel(QUEUE);
                tokio::spawn(run(batch.clone(), requests));
                queue
            })
            .collect();
        Self { lanes }
    }

    /// Starts the writer on a thread of its own, with a single-threaded runtime, for a
    /// backend whose statements are handed to threads of their own and back (sqlx's SQLite
    /// driver): each hand-off then wakes this thread at once instead of queueing behind the
    /// main runtime's tasks. Measured (`fanout`, 1,000 sockets): while a message went out to
    /// its thousand sockets, the next batch's four statements each waited behind the
    /// thousand socket writers, and a batch of four messages took 10–13 ms instead of under
    /// one. The thread ends once every handle is gone.
    pub(crate) fn start_on_own_thread(batch: impl Batch) -> std::io::Result<Self> {
        let (queue, requests) = mpsc::channel(QUEUE);
        // The runtime is made (and dropped) on the thread itself: dropping one inside the
        // caller's async context would panic.
        let (started, outcome) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("pingme-messages".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build();
                match runtime {
                    Ok(runtime) => {
                        let _ = started.send(Ok(()));
                        runtime.block_on(run(batch, requests));
                    }
                    Err(error) => {
                        let _ = started.send(Err(error));
                    }
                }
            })?;
        outcome
            .recv()
            .map_err(|_| std::io::Error::other("the message writer's thread ended at once"))??;
        Ok(Self { lanes: vec![queue] })
    }

    /// Whether the writer task is still there to take messages.
    pub(crate) fn is_running(&self) -> bool {
        self.lanes.iter().all(|lane| !lane.is_closed())
    }

    /// Takes the message's place in the queue (waiting for room when it is full); the
    /// outcome comes once its batch is committed.
    pub(crate) async fn queue(&self, new: NewMessage) -> StoreResult<QueuedMessage> {
        let (reply, answer) = oneshot::channel();
        let lane = new.channel.0.unsigned_abs() % self.lanes.len() as u64;
        self.lanes[lane as usize]
            .send((new, reply))
            .await
            .map_err(|_| stopped())?;
        Ok(Box::pin(
            async move { answer.await.map_err(|_| stopped())? },
        ))
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the message writer has stopped".into())
}

async fn run(batch: impl Batch, mut requests: mpsc::Receiver<(NewMessage, Reply)>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (messages, replies): (Vec<NewMessage>, Vec<Reply>) = waiting.drain(..).unzip();
        let started = std::time::Instant::now();
        let stored = batch.store(&messages).await;
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

/// A queued message's row, or the channel it named when it was not stored.
pub(crate) type Paired = Result<Message, ChannelId>;

/// Pairs the stored rows (in id order) with the queued messages. Whether a message is stored
/// depends only on its channel and author, so walking both lists in order finds each one's row.
pub(crate) fn pair(messages: &[NewMessage], stored: Vec<Message>) -> StoreResult<Vec<Paired>> {
    let mut stored = stored.into_iter().peekable();
    let mut paired = Vec::with_capacity(messages.len());
    for new in messages {
        let mine = stored.peek().is_some_and(|m| {
            m.channel == new.channel
                && m.author.as_ref().map(|a| a.id) == Some(new.author)
                && m.content == new.body.as_str()
        });
        paired.push(match mine {
            true => Ok(stored.next().expect("peeked")),
            false => Err(new.channel),
        });
    }
    if stored.next().is_some() {
        return Err(StoreError::Other(
            "stored messages do not match the batch".into(),
        ));
    }
    Ok(paired)
}

/// The channels of the messages that were not stored, each once.
pub(crate) fn unstored_channels(paired: &[Paired]) -> Vec<i64> {
    let channels: HashSet<i64> = paired
        .iter()
        .filter_map(|p| p.as_ref().err())
        .map(|c| c.0)
        .collect();
    channels.into_iter().collect()
}

/// The outcomes, given which of the unstored messages' channels still exist.
pub(crate) fn outcomes(paired: Vec<Paired>, existing: &HashSet<i64>) -> Vec<MessageWrite<Message>> {
    paired
        .into_iter()
        .map(|p| match p {
            Ok(message) => MessageWrite::Done(message),
            Err(channel) if existing.contains(&channel.0) => MessageWrite::Refused,
            Err(_) => MessageWrite::Missing,
        })
        .collect()
}
