//! Every [`CHECKPOINT_EVERY`]: the heartbeat, a mark in this node's stream, the checkpoints
//! of sessions that changed, the release of sessions gone, the trimming of the stream and, now
//! and then, taking this node out of the interest sets of scopes it no longer holds.

use super::entry::{Entry, StreamId};
use super::reader::mark;
use super::{CHECKPOINT_EVERY, REFRESH_AFTER, RETAIN, Relay, lock, scopes};
use crate::Seat;
use pingme_domain::ServerId;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// A session's last checkpoint written: its number, its servers, when.
pub(super) type Written = (u64, Vec<ServerId>, Instant);

/// A scope no session holds any more is unregistered after this long (a session being
/// opened registers its scopes just before it is in the hub).
const INTEREST_GRACE: Duration = Duration::from_secs(60);
/// Rounds between two looks at the interest sets.
const UNREGISTER_EVERY: u64 = 15;

pub(super) async fn upkeep(relay: Weak<Relay>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    let mut rounds: u64 = 0;
    loop {
        every.tick().await;
        let Some(this) = relay.upgrade() else { return };
        if this.reading.load(Ordering::Acquire)
            && let Err(error) = this.tend(rounds).await
        {
            tracing::warn!(%error, "the gateway's checkpoints could not be written");
        }
        rounds += 1;
    }
}

impl Relay {
    async fn tend(&self, rounds: u64) -> redis::RedisResult<()> {
        let stream = self.keys.stream(&self.node);
        let now_ms = self
            .with_commands(async |conn| {
                let now = self.beat(conn).await?;
                mark(conn, &stream).await?;
                Ok(now)
            })
            .await?;
        let (seats, at) = self.checkpoint_round().await?;
        self.trim(&stream, now_ms, at).await?;
        if rounds.is_multiple_of(UNREGISTER_EVERY) {
            self.unregister_unheld(&seats).await?;
        }
        Ok(())
    }

    /// Writes the checkpoints of the sessions that changed, then the round's place: every
    /// other session is as its last checkpoint says there too, so a resume replays from there
    /// (a short stretch of the stream) rather than from where that checkpoint was written.
    /// The sessions, as they stood, and the round's place.
    pub(super) async fn checkpoint_round(&self) -> redis::RedisResult<(Vec<Seat>, StreamId)> {
        let _in_order = self.writing.lock().await;
        let (seats, at) = {
            let applied = self.applied.lock().await;
            (self.hub.seats(), *applied)
        };
        let due = self.due(&seats);
        self.write_checkpoints(&due, at, false)
            .await
            .map_err(|_| redis::RedisError::from((redis::ErrorKind::IoError, "checkpoints")))?;
        // Sessions no longer here (ended, expired, taken over) are released first: the round's
        // place must not be taken for theirs.
        self.release_gone().await?;
        let round = self.keys.round(&self.node);
        self.with_commands(async |conn| {
            redis::cmd("SET")
                .arg(&round)
                .arg(at.to_string())
                .arg("EX")
                .arg(super::SESSION_TTL.as_secs())
                .query_async::<()>(conn)
                .await
        })
        .await?;
        Ok((seats, at))
    }

    /// The seats whose checkpoint changed, or is old.
    fn due(&self, seats: &[Seat]) -> Vec<Seat> {
        let written = lock(&self.written);
        seats
            .iter()
            .filter(|seat| match written.get(&seat.session) {
                Some((seq, servers, at)) => {
                    *seq != seat.seq || *servers != seat.servers || at.elapsed() >= REFRESH_AFTER
                }
                None => true,
            })
            .cloned()
            .collect()
    }

    /// Sessions checkpointed before and no longer held (ended, expired), looked at now: their
    /// keys go, unless another node took them over. Kept in mind until that is done.
    async fn release_gone(&self) -> redis::RedisResult<()> {
        let adopting = lock(&self.adopting).clone();
        let gone: Vec<Arc<str>> = lock(&self.written)
            .keys()
            .filter(|session| self.hub.seat(session).is_none() && !adopting.contains(*session))
            .cloned()
            .collect();
        self.release(&gone).await?;
        let mut written = lock(&self.written);
        for session in &gone {
            written.remove(session);
        }
        Ok(())
    }

    /// Entries older than [`RETAIN`] go, but never the last one applied.
    async fn trim(&self, stream: &str, now_ms: u64, applied: StreamId) -> redis::RedisResult<()> {
        let oldest = now_ms
            .saturating_sub(RETAIN.as_millis() as u64)
            .min(applied.0);
        self.with_commands(async |conn| {
            redis::cmd("XTRIM")
                .arg(stream)
                .arg("MINID")
                .arg("~")
                .arg(oldest)
                .query_async::<()>(conn)
                .await
        })
        .await
    }

    /// Takes this node out of the interest sets of scopes none of its sessions holds (and
    /// none registered lately); one task at a time changes them.
    async fn unregister_unheld(&self, seats: &[Seat]) -> redis::RedisResult<()> {
        let _one_at_a_time = self.registry.lock().await;
        let held: HashSet<String> = seats
            .iter()
            .flat_map(|s| scopes(s.account, &s.servers))
            .collect();
        let unheld: Vec<(String, Instant)> = lock(&self.interest)
            .extract_if(|scope, at| !held.contains(scope) && at.elapsed() >= INTEREST_GRACE)
            .collect();
        if unheld.is_empty() {
            return Ok(());
        }
        let scopes: Vec<String> = unheld.iter().map(|(scope, _)| scope.clone()).collect();
        let entry = Entry::Unregistered(scopes.clone()).encode();
        let taken_out = self
            .with_commands(async |conn| {
                super::scripts::UNREGISTER
                    .arg(&self.keys.prefix)
                    .arg(&*self.node)
                    .arg(super::STREAM_CAP)
                    .arg(&entry)
                    .arg(&scopes)
                    .invoke_async::<()>(conn)
                    .await
            })
            .await;
        if taken_out.is_err() {
            lock(&self.interest).extend(unheld);
        }
        taken_out
    }
}
