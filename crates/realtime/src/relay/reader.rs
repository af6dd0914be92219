//! Reading this node's stream and applying it to the hub, in order. A lost connection is
//! reopened; if the stream no longer holds the last entry applied (Redis restarted, or it was
//! trimmed while this node could not read), or Redis took this node for dead meanwhile (no
//! dispatch was routed to it), what came between is lost: the sessions end.

use super::entry::{Entry, StreamId};
use super::{BACKOFF, DEAD_AFTER, FORGET_NODE_AFTER, GAP, Relay, STREAM_CAP, TIMEOUT};
use super::{connect, holds};
use super::{holds_any, lock, parse, scripts, server_scope};
use pingme_domain::events::Reach;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamReadReply;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How long one read of the stream waits for entries.
const BLOCK: Duration = Duration::from_secs(1);
const READ_COUNT: usize = 1024;

pub(super) async fn read(relay: Weak<Relay>) {
    loop {
        let Some(this) = relay.upgrade() else { return };
        if let Err(error) = this.read_while_connected().await {
            this.reading.store(false, Ordering::Release);
            tracing::warn!(%error, "the gateway's stream cannot be read; retrying");
        }
        drop(this);
        tokio::time::sleep(BACKOFF).await;
    }
}

impl Relay {
    async fn read_while_connected(self: &Arc<Self>) -> redis::RedisResult<()> {
        let mut conn = connect(&self.client, BLOCK + TIMEOUT).await?;
        let stream = self.keys.stream(&self.node);
        self.beat(&mut conn).await?;
        {
            let mut applied = self.applied.lock().await;
            let fresh = *applied == StreamId::default();
            if fresh || !holds(&mut conn, &stream, *applied).await? {
                if !fresh {
                    tracing::warn!("the gateway's stream lost entries: its sessions are ended");
                    self.hub.end_all(GAP);
                }
                *applied = mark(&mut conn, &stream).await?;
                self.reached.send_replace(*applied);
            }
        }
        self.reading.store(true, Ordering::Release);
        let control = self.keys.control(&self.node);
        let mut beaten = Instant::now();
        loop {
            // The reader says the node is alive too: a node whose command connection is
            // stuck but which still reads is not taken for dead.
            if beaten.elapsed() >= super::CHECKPOINT_EVERY {
                self.beat(&mut conn).await?;
                beaten = Instant::now();
            }
            let handed = *lock(&self.handed);
            let after = *self.reached.borrow();
            let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&stream)
                .arg(&control)
                .arg(after.to_string())
                .arg(handed.to_string())
                .query_async(&mut conn)
                .await?;
            let mut entries = Vec::new();
            for key in reply.into_iter().flat_map(|r| r.keys) {
                if key.key == control {
                    if let Some(last) = self.hand_over(key.ids) {
                        *lock(&self.handed) = last;
                    }
                } else {
                    entries.extend(key.ids.into_iter().map(parse));
                }
            }
            if entries.is_empty() {
                continue;
            }
            let mut applied = self.applied.lock().await;
            for (id, entry) in entries {
                if id <= *applied {
                    continue;
                }
                if let Some(entry) = entry {
                    self.apply(entry);
                }
                *applied = id;
            }
            self.reached.send_replace(*applied);
        }
    }

    /// Carries one entry of this node's stream out on the hub.
    fn apply(&self, entry: Entry) {
        match entry {
            Entry::Mark => {}
            Entry::Dispatch(dispatch) => {
                if let Some(Reach::Join(_, server)) = dispatch.reach {
                    // The route script registered this node for the server.
                    lock(&self.interest).insert(server_scope(server), Instant::now());
                }
                self.hub.deliver(dispatch);
            }
            Entry::Servers(session, servers) => self.hub.set_servers(&session, &servers),
            Entry::Gap => self.hub.end_all(GAP),
            Entry::Unregistered(scopes) => {
                for seat in self.hub.seats() {
                    if holds_any(&seat, &scopes) {
                        self.hub.end_session(&seat.session, GAP);
                    }
                }
            }
        }
    }

    /// Lets go of the sessions other nodes took over; the last control entry read.
    fn hand_over(&self, taken: Vec<redis::streams::StreamId>) -> Option<StreamId> {
        let mut last = None;
        for entry in taken {
            // Without a number (an older node's notice): whatever is here goes.
            let generation = entry.get::<u64>("g").unwrap_or(u64::MAX);
            if let Some(session) = entry.get::<String>("s")
                && self.hub.hand_over(&session, generation)
            {
                lock(&self.written).remove(session.as_str());
            }
            last = entry.id.parse().ok();
        }
        last
    }

    /// Says this node is alive; answers Redis's time (ms). If Redis had it for dead (not
    /// heard of for [`DEAD_AFTER`]), nothing was routed to it meanwhile: the script adds a
    /// gap to its stream (which ends its sessions, and stops any replay across it), and as
    /// the route script may have dropped it from interest sets, the scopes are registered
    /// anew by the sessions to come.
    pub(super) async fn beat(&self, conn: &mut MultiplexedConnection) -> redis::RedisResult<u64> {
        let first = !self.beaten.load(Ordering::Acquire);
        let (now, gapped): (u64, u8) = scripts::HEARTBEAT
            .arg(&self.keys.prefix)
            .arg(&*self.node)
            .arg(FORGET_NODE_AFTER.as_millis() as u64)
            .arg(if first { "1" } else { "0" })
            .arg(DEAD_AFTER.as_millis() as u64)
            .arg(Entry::Gap.encode())
            .arg(STREAM_CAP)
            .invoke_async(conn)
            .await?;
        self.beaten.store(true, Ordering::Release);
        if gapped == 1 {
            tracing::warn!("Redis had this node for dead: its gateway sessions are ended");
            lock(&self.interest).clear();
        }
        Ok(now)
    }
}

/// Adds a mark to the stream; its id.
pub(super) async fn mark(
    conn: &mut MultiplexedConnection,
    stream: &str,
) -> redis::RedisResult<StreamId> {
    let id: String = redis::cmd("XADD")
        .arg(stream)
        .arg("*")
        .arg("e")
        .arg(Entry::Mark.encode())
        .query_async(conn)
        .await?;
    Ok(id.parse().unwrap_or_default())
}
