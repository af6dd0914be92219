//! Resuming a session numbered by another node: its newest checkpoint at or before the
//! client's `s`, the old node's stream replayed from there up to the takeover, then this
//! node's own stream up to where it has applied (module doc of `relay`).

use super::entry::{Checkpoint, Entry, StreamId};
use super::{DEAD_AFTER, Relay, scopes, scripts};
use crate::Grant;
use crate::gateway::{Attached, InvalidSession, Numbered, Seat};
use pingme_domain::AccountId;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamRangeReply;
use std::collections::VecDeque;
use std::sync::Arc;

/// Entries read per request while replaying.
pub(super) const PAGE: usize = 1000;

/// What the session's numbers gave along the replay.
struct Replayed {
    seat: Seat,
    /// The client saw up to here.
    seen: u64,
    /// The last dispatches numbered, for a later resume.
    kept: VecDeque<Numbered>,
    /// How many after `seen` (all of them in `kept`: at most `limit`).
    missed: usize,
    limit: usize,
}

impl Replayed {
    /// Numbers one entry; `Err` when the session cannot be carried across it.
    fn take(&mut self, entry: Entry) -> Result<(), InvalidSession> {
        match entry {
            Entry::Mark => Ok(()),
            Entry::Servers(session, servers) => {
                if session == self.seat.session {
                    self.seat.settle(&servers);
                }
                Ok(())
            }
            Entry::Gap => Err(InvalidSession),
            Entry::Unregistered(scopes) if super::holds_any(&self.seat, &scopes) => {
                Err(InvalidSession)
            }
            Entry::Unregistered(_) => Ok(()),
            Entry::Dispatch(dispatch) => {
                if let Some(seq) = self.seat.take(&dispatch) {
                    let numbered = Numbered { seq, dispatch };
                    if seq > self.seen {
                        if self.missed == self.limit {
                            return Err(InvalidSession);
                        }
                        self.missed += 1;
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

pub(super) async fn from_elsewhere(
    relay: &Arc<Relay>,
    session: &str,
    account: AccountId,
    grant: Grant,
    seq: u64,
) -> Result<Attached, InvalidSession> {
    let _turn = relay.resuming.acquire().await.map_err(|_| InvalidSession)?;
    let _adopting = Adopting::mark(relay, session);
    let mut conn = relay.commands().await.map_err(|_| InvalidSession)?;
    let asked = Asked {
        session,
        account,
        grant,
        seq,
    };
    let taken = take_over(relay, &mut conn, asked).await;
    if let Err(error) = &taken {
        relay.drop_if_broken(error).await;
    }
    taken.unwrap_or(Err(InvalidSession))
}

/// Marks a session as being taken over here for as long as it lives.
struct Adopting<'a> {
    relay: &'a Relay,
    session: Arc<str>,
}

impl<'a> Adopting<'a> {
    fn mark(relay: &'a Relay, session: &str) -> Self {
        let session: Arc<str> = session.into();
        super::lock(&relay.adopting).insert(session.clone());
        Self { relay, session }
    }
}

impl Drop for Adopting<'_> {
    fn drop(&mut self) {
        super::lock(&self.relay.adopting).remove(&self.session);
    }
}

/// What the client asked to resume.
#[derive(Clone)]
struct Asked<'a> {
    session: &'a str,
    account: AccountId,
    grant: Grant,
    seq: u64,
}

/// `Ok(Err(_))`: refused; `Err(_)`: Redis failed (also refused).
async fn take_over(
    relay: &Arc<Relay>,
    conn: &mut MultiplexedConnection,
    asked: Asked<'_>,
) -> Result<Result<Attached, InvalidSession>, redis::RedisError> {
    let Asked {
        session,
        account,
        seq,
        ..
    } = asked;
    let (owner, owner_account, grant): (Option<String>, Option<i64>, Option<String>) =
        redis::cmd("HMGET")
            .arg(relay.keys.session(session))
            .arg("node")
            .arg("account")
            .arg("tv")
            .query_async(conn)
            .await?;
    let (Some(owner), Some(owner_account), Some(grant)) = (
        owner,
        owner_account,
        grant.as_deref().and_then(Grant::decode),
    ) else {
        return Ok(Err(InvalidSession));
    };
    // Another account's session, one identified before its account signed out, or one this
    // node should hold and does not (ended).
    if owner_account != account.0 || grant != asked.grant || owner == *relay.node {
        return Ok(Err(InvalidSession));
    }
    let Some(from) = start(relay, conn, session, &owner, seq).await? else {
        return Ok(Err(InvalidSession));
    };
    let mut replayed = Replayed {
        seat: from.seat(session, account, grant),
        seen: seq,
        kept: VecDeque::new(),
        missed: 0,
        limit: relay.replay_limit,
    };
    // Registered before reading: a join from here on adds this node to the server itself.
    relay.register(&scopes(account, &from.servers)).await?;
    let old = relay.keys.stream(&owner);
    // Up to the stream's last entry now (a fixed place: the pages read are shared).
    let last: StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(&old)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    let Some(last) = last.ids.first().and_then(|e| e.id.parse().ok()) else {
        return Ok(Err(InvalidSession));
    };
    let Ok(read_to) = replay(relay, conn, &old, from.at, last, &mut replayed).await? else {
        return Ok(Err(InvalidSession));
    };
    // Servers joined before this node was registered for the account.
    relay
        .register(&scopes(account, &replayed.seat.servers))
        .await?;
    let cut: Option<(String, String, u64)> = scripts::TAKE_OVER
        .arg(&relay.keys.prefix)
        .arg(session)
        .arg(&owner)
        .arg(&*relay.node)
        .arg(DEAD_AFTER.as_millis() as u64)
        .invoke_async(conn)
        .await?;
    let Some((cut, here, generation)) = cut else {
        return Ok(Err(InvalidSession));
    };
    let (Ok(cut), Ok(here)) = (cut.parse::<StreamId>(), here.parse::<StreamId>()) else {
        return Ok(Err(InvalidSession));
    };
    if replay(relay, conn, &old, read_to, cut, &mut replayed)
        .await?
        .is_err()
    {
        return Ok(Err(InvalidSession));
    }
    // Where the session stands in this node's stream from now on: a later resume (elsewhere
    // too) can start from here. Written before the session is live here, or not at all.
    if relay
        .write_checkpoints(std::slice::from_ref(&replayed.seat), here, false)
        .await
        .is_err()
    {
        return Ok(Err(InvalidSession));
    }
    // The session's dispatches are in this node's stream after `here`: once the reader has
    // applied that far, those it applied since are numbered here, then it is handed over.
    if relay.applied_through(here).await.is_err() {
        return Ok(Err(InvalidSession));
    }
    let own = relay.keys.stream(&relay.node);
    let mut caught_up = here;
    let (attached, at) = loop {
        let reached = *relay.reached.borrow();
        if replay(relay, conn, &own, caught_up, reached, &mut replayed)
            .await?
            .is_err()
        {
            return Ok(Err(InvalidSession));
        }
        caught_up = reached;
        let applied = relay.applied.lock().await;
        if *applied != caught_up {
            continue;
        }
        if seq > replayed.seat.seq {
            // A number this session never gave.
            return Ok(Err(InvalidSession));
        }
        let seat = replayed.seat.clone();
        let kept = std::mem::take(&mut replayed.kept);
        break (relay.hub.adopt(seat, generation, kept, seq), *applied);
    };
    // Best effort: without it, the session is resumed on this node only until the next
    // round of checkpoints.
    let _ = relay.write_checkpoints(&[replayed.seat], at, false).await;
    Ok(Ok(attached))
}

/// Where the replay starts: the newest checkpoint at or before the client's `s`, and if it
/// is the session's last, at the place of the old node's last round of checkpoints if that
/// is later (the session was as that checkpoint says there too).
async fn start(
    relay: &Relay,
    conn: &mut MultiplexedConnection,
    session: &str,
    owner: &str,
    seq: u64,
) -> redis::RedisResult<Option<Checkpoint>> {
    // The round's place first: a round written between the two reads then only makes the
    // checkpoint newer than the place, never the place newer than the checkpoint.
    let (round, checkpoints): (Option<String>, Vec<String>) = redis::pipe()
        .cmd("GET")
        .arg(relay.keys.round(owner))
        .cmd("LRANGE")
        .arg(relay.keys.checkpoints(session, owner))
        .arg(0)
        .arg(-1)
        .query_async(conn)
        .await?;
    let all: Vec<Checkpoint> = checkpoints
        .iter()
        .filter_map(|c| Checkpoint::decode(c))
        .collect();
    let Some(found) = all.iter().rposition(|c| c.seq <= seq) else {
        return Ok(None);
    };
    let mut from = all[found].clone();
    let round = round.and_then(|r| r.parse::<StreamId>().ok());
    if found + 1 == all.len()
        && let Some(round) = round
    {
        from.at = from.at.max(round);
    }
    Ok(Some(from))
}

/// Numbers the entries of `stream` after `after` up to `until` (included); where it
/// stopped reading.
async fn replay(
    relay: &Relay,
    conn: &mut MultiplexedConnection,
    stream: &str,
    after: StreamId,
    until: StreamId,
    replayed: &mut Replayed,
) -> redis::RedisResult<Result<StreamId, InvalidSession>> {
    let mut at = after;
    loop {
        let Some(page) = relay.pages.read(conn, stream, at, until).await? else {
            return Ok(Err(InvalidSession));
        };
        for (id, entry) in page.iter() {
            at = *id;
            let Some(entry) = entry else { continue };
            if let Err(refused) = replayed.take(entry.clone()) {
                return Ok(Err(refused));
            }
        }
        if page.len() < PAGE {
            return Ok(Ok(at));
        }
    }
}
