//! Handing dispatches to Redis: queued without waiting, routed in order, in pipelines, by the
//! route script. Dispatches that could not be handed over (Redis unreachable, or the queue
//! full) are followed, once Redis takes commands again, by a gap entry in every live node's
//! stream: the sessions that may have missed them end rather than carry on with a hole.

use super::entry::Entry;
use super::scripts::{self, Keys};
use super::{BACKOFF, DEAD_AFTER, Relay, STREAM_CAP, connect_loaded, evalsha, reach_scopes};
use pingme_domain::events::{Dispatch, Event};
use pingme_domain::{AccountId, ServerId};
use redis::aio::MultiplexedConnection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Dispatches waiting for the publisher; past it they are dropped, and a gap follows.
const QUEUE: usize = 8192;
const BATCH: usize = 256;

/// One dispatch waiting to be routed.
struct Outgoing {
    entry: String,
    scopes: Vec<String>,
    join: Option<(AccountId, ServerId)>,
}

impl Outgoing {
    fn of(dispatch: &Arc<Dispatch>) -> Self {
        let (scopes, join) = reach_scopes(dispatch);
        Self {
            entry: Entry::Dispatch(dispatch.clone()).encode(),
            scopes,
            join,
        }
    }
}

#[derive(Default)]
struct Shared {
    /// A dispatch was dropped: a gap must follow.
    dropped: AtomicBool,
    /// Queued or being sent.
    in_flight: AtomicU64,
}

/// The publishing side of the queue.
pub(super) struct Queue {
    sender: mpsc::Sender<Outgoing>,
    shared: Arc<Shared>,
}

/// The publisher's side.
pub(super) struct Receiver {
    queue: mpsc::Receiver<Outgoing>,
    shared: Arc<Shared>,
}

impl Queue {
    pub(super) fn new() -> (Self, Receiver) {
        let (sender, queue) = mpsc::channel(QUEUE);
        let shared = Arc::new(Shared::default());
        let receiver = Receiver {
            queue,
            shared: shared.clone(),
        };
        (Self { sender, shared }, receiver)
    }

    pub(super) fn push(&self, dispatch: &Arc<Dispatch>) {
        self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
        if self.sender.try_send(Outgoing::of(dispatch)).is_err() {
            self.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
            self.shared.dropped.store(true, Ordering::Release);
        }
    }

    /// Waits until everything queued was handed over (or given up), at most `within`.
    pub(super) async fn flushed(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.shared.in_flight.load(Ordering::Acquire) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Routes queued dispatches for as long as the relay lives.
pub(super) async fn publish(relay: Weak<Relay>, mut receiver: Receiver) {
    let mut batch: Vec<Outgoing> = Vec::new();
    loop {
        let Some(this) = relay.upgrade() else { return };
        let (client, keys) = (this.client.clone(), this.keys.clone());
        drop(this);
        let mut conn = match connect_loaded(&client).await {
            Ok(conn) => conn,
            Err(_) => {
                receiver.drop_all(&mut batch);
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        loop {
            if receiver.shared.dropped.swap(false, Ordering::AcqRel) {
                if gap(&mut conn, &keys).await.is_err() {
                    receiver.shared.dropped.store(true, Ordering::Release);
                    break;
                }
                tracing::warn!(
                    "dispatches were lost on their way to Redis: the gateway sessions that may have missed them are ended"
                );
            }
            if batch.is_empty() && receiver.queue.recv_many(&mut batch, BATCH).await == 0 {
                return;
            }
            let sent = route(&mut conn, &keys, &batch).await;
            let count = batch.len() as u64;
            batch.clear();
            receiver.shared.in_flight.fetch_sub(count, Ordering::AcqRel);
            if let Err(error) = sent {
                tracing::warn!(%error, "dispatches could not be handed to Redis");
                receiver.shared.dropped.store(true, Ordering::Release);
                break;
            }
        }
        tokio::time::sleep(BACKOFF).await;
    }
}

impl Receiver {
    /// Drops what is queued (Redis cannot take it); a gap will follow.
    fn drop_all(&mut self, batch: &mut Vec<Outgoing>) {
        let mut dropped = batch.len() as u64;
        batch.clear();
        while self.queue.try_recv().is_ok() {
            dropped += 1;
        }
        if dropped > 0 {
            self.shared.in_flight.fetch_sub(dropped, Ordering::AcqRel);
            self.shared.dropped.store(true, Ordering::Release);
        }
    }
}

/// A gap entry in every live node's stream.
async fn gap(conn: &mut MultiplexedConnection, keys: &Keys) -> redis::RedisResult<u64> {
    scripts::EVERY_NODE
        .arg(&keys.prefix)
        .arg(DEAD_AFTER.as_millis() as u64)
        .arg(STREAM_CAP)
        .arg(Entry::Gap.encode())
        .invoke_async(conn)
        .await
}

async fn route(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    batch: &[Outgoing],
) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    for out in batch {
        let (ja, js) = out.join.map_or((String::new(), String::new()), |(a, s)| {
            (a.0.to_string(), s.0.to_string())
        });
        evalsha(&mut pipe, &scripts::ROUTE)
            .arg(&keys.prefix)
            .arg(DEAD_AFTER.as_millis() as u64)
            .arg(STREAM_CAP)
            .arg(&out.entry)
            .arg(ja)
            .arg(js)
            .arg(&out.scopes)
            .ignore();
    }
    pipe.query_async(conn).await
}

/// Routes the dispatches among `events` from a process that holds no sessions (the
/// operator's CLI), for the nodes of the installation on Redis `channel`.
pub async fn route_once(
    conn: &mut MultiplexedConnection,
    channel: &str,
    events: &[Event],
) -> redis::RedisResult<()> {
    let batch: Vec<Outgoing> = events
        .iter()
        .filter_map(|event| match event {
            Event::Dispatch(dispatch) => Some(Outgoing::of(dispatch)),
            _ => None,
        })
        .collect();
    if batch.is_empty() {
        return Ok(());
    }
    super::load_scripts(conn).await?;
    let keys = Keys::under(channel);
    let routed = route(conn, &keys, &batch).await;
    if routed.is_err() {
        // Some may have gone through: the sessions that may have missed the others end.
        let _ = gap(conn, &keys).await;
    }
    routed
}
