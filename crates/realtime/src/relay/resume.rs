//! Resuming a session numbered by another node: its newest checkpoint at or before the
//! client's `s`, the old node's stream replayed from there up to the takeover, then this
//! node's own stream up to where it has applied (module doc of `relay`).

use super::entry::{Checkpoint, Entry, StreamId};
use super::{DEAD_AFTER, Relay, parse, scopes, scripts};
use crate::gateway::{Attached, InvalidSession, Numbered, Seat};
use pingme_domain::AccountId;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamRangeReply;
use std::collections::VecDeque;
use std::sync::Arc;

/// Entries read per request while replaying.
const PAGE: usize = 1000;

/// What the session's numbers gave along the replay.
struct Replayed {
    seat: Seat,
    /// The client saw up to here.
    seen: u64,
    /// The last dispatches numbered, for a later resume.
    kept: VecDeque<Numbered>,
    /// Those after `seen`.
    missed: Vec<Numbered>,
    limit: usize,
}

impl Replayed {
    /// Numbers one entry; `Err` when the session cannot be carried across it.
    fn take(&mut self, entry: Entry) -> Result<(), InvalidSession> {
        match entry {
            Entry::Start => Ok(()),
            Entry::Gap => Err(InvalidSession),
            Entry::Takeover(session) if session == self.seat.session => Err(InvalidSession),
            Entry::Takeover(_) => Ok(()),
            Entry::Dispatch(dispatch) => {
                if let Some(seq) = self.seat.take(&dispatch) {
                    let numbered = Numbered { seq, dispatch };
                    if seq > self.seen {
                        if self.missed.len() == self.limit {
                            return Err(InvalidSession);
                        }
                        self.missed.push(numbered.clone());
                    }
                    if self.kept.len() == self.limit {
                        self.kept.pop_front();
                    }
                    self.kept.push_back(numbered);
                }
                Ok(())
            }
        }
    }
}

/// Where a replay stops.
#[derive(Clone, Copy)]
enum Until {
    /// The stream's end as it is now.
    End,
    /// Just before this entry.
    Before(StreamId),
    /// This entry included.
    Through(StreamId),
}

pub(super) async fn from_elsewhere(
    relay: &Arc<Relay>,
    session: &str,
    account: AccountId,
    seq: u64,
) -> Result<Attached, InvalidSession> {
    let mut conn = relay.commands().await.map_err(|_| InvalidSession)?;
    let taken = take_over(relay, &mut conn, session, account, seq).await;
    if taken.is_err() {
        // The connection may be the cause; the next command opens another.
        *relay.commands.lock().await = None;
    }
    taken.unwrap_or(Err(InvalidSession))
}

/// `Ok(Err(_))`: refused; `Err(_)`: Redis failed (also refused).
async fn take_over(
    relay: &Arc<Relay>,
    conn: &mut MultiplexedConnection,
    session: &str,
    account: AccountId,
    seq: u64,
) -> Result<Result<Attached, InvalidSession>, redis::RedisError> {
    let (owner, owner_account, token_version): (Option<String>, Option<i64>, Option<i64>) =
        redis::cmd("HMGET")
            .arg(relay.keys.session(session))
            .arg("node")
            .arg("account")
            .arg("tv")
            .query_async(conn)
            .await?;
    let (Some(owner), Some(owner_account), Some(token_version)) =
        (owner, owner_account, token_version)
    else {
        return Ok(Err(InvalidSession));
    };
    if owner_account != account.0 || owner == *relay.node {
        return Ok(Err(InvalidSession));
    }
    let checkpoints: Vec<String> = redis::cmd("LRANGE")
        .arg(relay.keys.checkpoints(session, &owner))
        .arg(0)
        .arg(-1)
        .query_async(conn)
        .await?;
    let Some(from) = checkpoints
        .iter()
        .rev()
        .filter_map(|c| Checkpoint::decode(c))
        .find(|c| c.seq <= seq)
    else {
        return Ok(Err(InvalidSession));
    };
    let mut replayed = Replayed {
        seat: Seat {
            session: session.into(),
            account,
            token_version,
            seq: from.seq,
            servers: from.servers.clone(),
        },
        seen: seq,
        kept: VecDeque::new(),
        missed: Vec::new(),
        limit: relay.replay_limit,
    };
    // Registered before reading: a join from here on adds this node to the server itself.
    relay.register(&scopes(account, &from.servers)).await?;
    let old = relay.keys.stream(&owner);
    if !super::holds(conn, &old, from.at).await? {
        return Ok(Err(InvalidSession));
    }
    let Ok(read_to) = replay(conn, &old, from.at, Until::End, &mut replayed).await? else {
        return Ok(Err(InvalidSession));
    };
    // Servers joined before this node was registered for the account.
    relay
        .register(&scopes(account, &replayed.seat.servers))
        .await?;
    let cut: Option<(String, String)> = scripts::TAKE_OVER
        .arg(&relay.keys.prefix)
        .arg(session)
        .arg(&owner)
        .arg(&*relay.node)
        .arg(DEAD_AFTER.as_millis() as u64)
        .arg(Entry::Takeover(session.into()).encode())
        .invoke_async(conn)
        .await?;
    let Some((cut, here)) = cut else {
        return Ok(Err(InvalidSession));
    };
    let (Ok(cut), Ok(here)) = (cut.parse::<StreamId>(), here.parse::<StreamId>()) else {
        return Ok(Err(InvalidSession));
    };
    if replay(conn, &old, read_to, Until::Before(cut), &mut replayed)
        .await?
        .is_err()
    {
        return Ok(Err(InvalidSession));
    }
    let applied = relay.applied.lock().await;
    if here < *applied {
        let own = relay.keys.stream(&relay.node);
        let caught_up = replay(conn, &own, here, Until::Through(*applied), &mut replayed).await?;
        if caught_up.is_err() {
            return Ok(Err(InvalidSession));
        }
    }
    if seq > replayed.seat.seq {
        // A number this session never gave.
        return Ok(Err(InvalidSession));
    }
    let seat = replayed.seat.clone();
    relay
        .write_checkpoints(std::slice::from_ref(&seat), *applied)
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::IoError, "checkpoint")))?;
    let attached = relay.hub.adopt(seat, replayed.kept, replayed.missed);
    drop(applied);
    Ok(Ok(attached))
}

/// Numbers the entries of `stream` after `after` up to `until`; where it stopped reading.
async fn replay(
    conn: &mut MultiplexedConnection,
    stream: &str,
    after: StreamId,
    until: Until,
    replayed: &mut Replayed,
) -> redis::RedisResult<Result<StreamId, InvalidSession>> {
    let mut at = after;
    let end = match until {
        Until::End => "+".to_owned(),
        Until::Before(id) => format!("({id}"),
        Until::Through(id) => id.to_string(),
    };
    loop {
        let page: StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream)
            .arg(format!("({at}"))
            .arg(&end)
            .arg("COUNT")
            .arg(PAGE)
            .query_async(conn)
            .await?;
        let count = page.ids.len();
        for (id, entry) in page.ids.into_iter().map(parse) {
            at = id;
            let Some(entry) = entry else { continue };
            if let Err(refused) = replayed.take(entry) {
                return Ok(Err(refused));
            }
        }
        if count < PAGE {
            return Ok(Ok(at));
        }
    }
}
