//! The gateway between nodes (with Redis): where a dispatch goes, and how a session is
//! resumed on another node than the one that numbered it.
//!
//! Every node reads one Redis stream of its own, `node:<id>`, and applies its entries to its
//! gateway hub in the stream's order. A dispatch is routed by a script to the streams of the
//! live nodes that registered a session of its audience (the server, or the account), so a
//! node receives only what it has sessions for, and since the script runs atomically, any two
//! dispatches are in the same order in every stream that holds both.
//!
//! A session's numbers are thus a function of its node's stream: from a checkpoint (its `s`,
//! its servers, a place in the stream), the entries after it number the same dispatches the
//! same way on any node. Each node writes its sessions' checkpoints every
//! [`CHECKPOINT_EVERY`] (those whose number or servers changed, and the others every
//! [`REFRESH_AFTER`]) and keeps [`CHECKPOINTS_KEPT`] of them. A resume on another node reads
//! the newest checkpoint at or before the client's `s`, replays the old node's stream from
//! there, takes the session over (a script that cuts the old stream with a takeover entry and
//! notes where the new node's stream stands), replays up to the cut, then the new node's own
//! stream up to where it has applied, and carries on live. The old node, if alive, reads the
//! takeover and lets the session go.
//!
//! Where a replay cannot be whole — the checkpoint's place was trimmed from the stream
//! (streams keep [`RETAIN`] and at most [`STREAM_CAP`] entries), the old node is dead for
//! more than [`DEAD_AFTER`], Redis lost the keys, a gap entry — the answer is
//! `invalid_session`, never a silent gap. A node that could not hand dispatches to Redis adds
//! a gap entry to every stream once it can again; a node whose own stream lost its place
//! (Redis restarted) ends its sessions.

mod entry;
mod resume;
mod scripts;

use crate::gateway::{Attached, GatewayHub, InvalidSession, Seat};
use crate::hub::Close;
use entry::{Checkpoint, Entry, StreamId};
use pingme_domain::events::{Dispatch, Reach};
use pingme_domain::{AccountId, ServerId};
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamRangeReply, StreamReadReply};
use scripts::Keys;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often a node writes its sessions' checkpoints (and says it is alive).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// A session whose number did not change gets a fresh checkpoint this often anyway, so that
/// its replay starts from a place the stream still holds.
pub const REFRESH_AFTER: Duration = Duration::from_secs(30);
/// Checkpoints kept per session: with one every [`CHECKPOINT_EVERY`], two minutes' worth.
pub const CHECKPOINTS_KEPT: usize = 64;
/// How long a node's stream keeps its entries.
pub const RETAIN: Duration = Duration::from_secs(300);
/// The most entries a node's stream keeps (past it, the oldest go even if younger than
/// [`RETAIN`]: a resume from before them is refused).
pub const STREAM_CAP: usize = 200_000;
/// A node not heard of for this long is dead: nothing more is routed to it, and its
/// sessions can no longer be taken over. Longer than a session waits for a resume (2 min).
pub const DEAD_AFTER: Duration = Duration::from_secs(150);
/// A node dead for this long has its stream deleted.
const FORGET_NODE_AFTER: Duration = Duration::from_secs(900);
/// How long a session's keys outlive its last checkpoint.
const SESSION_TTL: Duration = Duration::from_secs(300);
/// A scope no session holds any more is unregistered after this long (a session being
/// opened registers its scopes just before it is in the hub).
const INTEREST_GRACE: Duration = Duration::from_secs(60);
/// How long one read of the stream waits for entries.
const BLOCK: Duration = Duration::from_secs(1);
const READ_COUNT: usize = 1024;
/// Dispatches waiting for the publisher; past it they are dropped, and a gap follows.
const QUEUE: usize = 8192;
const BATCH: usize = 256;
const TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF: Duration = Duration::from_millis(200);

/// How sessions end when what they were sent may have been lost.
const GAP: Close = Close {
    code: 1001,
    reason: "events may have been lost: resume (or identify) again",
};

/// The gateway across nodes could not be reached: the client tries again later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unavailable;

impl From<redis::RedisError> for Unavailable {
    fn from(_: redis::RedisError) -> Self {
        Self
    }
}

/// A session's last checkpoint written: its number, its servers, when.
type Written = (u64, Vec<ServerId>, Instant);

/// One dispatch waiting to be routed.
struct Outgoing {
    entry: String,
    scopes: Vec<String>,
    join: Option<(AccountId, ServerId)>,
}

pub struct Relay {
    client: redis::Client,
    keys: Keys,
    node: Arc<str>,
    hub: Arc<GatewayHub>,
    replay_limit: usize,
    /// The last entry of this node's stream applied to the hub; held while applying, and
    /// while a session's place is read or set.
    applied: tokio::sync::Mutex<StreamId>,
    /// Whether the stream is being read (sessions can be opened).
    reading: AtomicBool,
    commands: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    outgoing: mpsc::Sender<Outgoing>,
    /// Scopes registered for this node, and when last.
    interest: Mutex<HashMap<String, Instant>>,
    /// The last checkpoint written of each session, and when.
    written: Mutex<HashMap<Arc<str>, Written>>,
}

impl Relay {
    /// Starts reading this node's stream, publishing and the upkeep, on the current runtime.
    pub fn start(
        url: &str,
        prefix: &str,
        node: Arc<str>,
        hub: Arc<GatewayHub>,
    ) -> redis::RedisResult<Arc<Self>> {
        let client = redis::Client::open(url)?;
        let (outgoing, queue) = mpsc::channel(QUEUE);
        let relay = Arc::new(Self {
            client,
            keys: Keys {
                prefix: format!("{prefix}:gw:"),
            },
            node,
            replay_limit: hub.limits().replay,
            hub,
            applied: tokio::sync::Mutex::new(StreamId::default()),
            reading: AtomicBool::new(false),
            commands: tokio::sync::Mutex::new(None),
            outgoing,
            interest: Mutex::default(),
            written: Mutex::default(),
        });
        let weak = Arc::downgrade(&relay);
        tokio::spawn(read(weak.clone()));
        tokio::spawn(publish(weak.clone(), queue));
        tokio::spawn(upkeep(weak));
        Ok(relay)
    }

    /// Hands a dispatch to the publisher (never waits): it reaches this node's sessions
    /// too through this node's stream, in the order every node sees.
    pub fn publish(&self, dispatch: &Arc<Dispatch>) {
        let mut scopes = vec![scope_of(dispatch)];
        let mut join = None;
        match dispatch.reach {
            Some(Reach::Join(account, server)) => {
                scopes.push(account_scope(account));
                join = Some((account, server));
            }
            Some(Reach::Leave(account, _)) => scopes.push(account_scope(account)),
            _ => {}
        }
        let outgoing = Outgoing {
            entry: Entry::Dispatch(dispatch.clone()).encode(),
            scopes,
            join,
        };
        if self.outgoing.try_send(outgoing).is_err() {
            tracing::warn!("the gateway's publishing queue is full: a dispatch was dropped");
        }
    }

    /// Whether this node's stream is being read (else sessions cannot be opened here).
    pub fn is_reading(&self) -> bool {
        self.reading.load(Ordering::Acquire)
    }

    /// A new session (identify): its scopes are registered first, so nothing routed after
    /// the reading that follows can miss this node.
    pub async fn open(
        &self,
        account: AccountId,
        token_version: i64,
        servers: Vec<ServerId>,
    ) -> Result<Attached, Unavailable> {
        if !self.reading.load(Ordering::Acquire) {
            return Err(Unavailable);
        }
        self.register(&scopes(account, &servers)).await?;
        Ok(self.hub.open(account, token_version, servers))
    }

    /// The servers read again (identify): registered, set, and the session's first
    /// checkpoint written before `ready` goes out.
    pub async fn set_servers(
        &self,
        session: &str,
        account: AccountId,
        servers: &[ServerId],
    ) -> Result<(), Unavailable> {
        self.register(&scopes(account, servers)).await?;
        let applied = self.applied.lock().await;
        self.hub.set_servers(session, servers);
        let seats: Vec<Seat> = self
            .hub
            .seats()
            .into_iter()
            .filter(|s| &*s.session == session)
            .collect();
        self.write_checkpoints(&seats, *applied).await
    }

    /// A resume: here if this node holds the session, else from the node that numbers it.
    pub async fn resume(
        self: &Arc<Self>,
        session: &str,
        account: AccountId,
        seq: u64,
    ) -> Result<Attached, InvalidSession> {
        if self.hub.holds(session) {
            return self.hub.resume(session, account, seq);
        }
        resume::from_elsewhere(self, session, account, seq).await
    }

    async fn commands(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut held = self.commands.lock().await;
        if let Some(conn) = held.as_ref() {
            return Ok(conn.clone());
        }
        let conn = connect_loaded(&self.client).await?;
        *held = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `f` on the command connection; a failure drops the connection for the next.
    async fn with_commands<T>(
        &self,
        f: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let mut conn = self.commands().await?;
        let done = f(&mut conn).await;
        if done.is_err() {
            *self.commands.lock().await = None;
        }
        done
    }

    /// Adds this node to the interest sets of `scopes` (noted first, so that the upkeep does
    /// not take them out meanwhile).
    async fn register(&self, scopes: &[String]) -> redis::RedisResult<()> {
        {
            let now = Instant::now();
            let mut interest = lock(&self.interest);
            for scope in scopes {
                interest.insert(scope.clone(), now);
            }
        }
        self.pipeline(scopes, |pipe, scope| {
            pipe.sadd(self.keys.interest(scope), &*self.node);
        })
        .await
    }

    /// One pipeline of a command (or more) per item, on the command connection; nothing
    /// sent for no item.
    async fn pipeline<T>(
        &self,
        items: &[T],
        add: impl Fn(&mut redis::Pipeline, &T),
    ) -> redis::RedisResult<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for item in items {
            add(&mut pipe, item);
        }
        self.with_commands(async |conn| pipe.query_async::<()>(conn).await)
            .await
    }

    /// Writes one checkpoint per seat, all at `at`.
    async fn write_checkpoints(&self, seats: &[Seat], at: StreamId) -> Result<(), Unavailable> {
        self.pipeline(seats, |pipe, seat| {
            evalsha(pipe, &scripts::CHECKPOINT)
                .arg(&self.keys.prefix)
                .arg(&*self.node)
                .arg(SESSION_TTL.as_secs())
                .arg(CHECKPOINTS_KEPT)
                .arg(&*seat.session)
                .arg(seat.account.0)
                .arg(seat.token_version)
                .arg(Checkpoint::of(seat, at).encode());
        })
        .await?;
        let now = Instant::now();
        let mut written = lock(&self.written);
        for seat in seats {
            written.insert(seat.session.clone(), (seat.seq, seat.servers.clone(), now));
        }
        Ok(())
    }

    /// Carries one entry of this node's stream out on the hub.
    fn apply(&self, entry: Entry) {
        match entry {
            Entry::Start => {}
            Entry::Dispatch(dispatch) => {
                if let Some(Reach::Join(_, server)) = dispatch.reach {
                    // The route script registered this node for the server.
                    lock(&self.interest).insert(server_scope(server), Instant::now());
                }
                self.hub.deliver(dispatch);
            }
            Entry::Takeover(session) => {
                self.hub.hand_over(&session);
                lock(&self.written).remove(&session);
            }
            Entry::Gap => self.hub.end_all(GAP),
        }
    }
}

/// The gateway's sessions, on one node or across several.
#[derive(Clone)]
pub struct Gateway {
    hub: Arc<GatewayHub>,
    relay: Option<Arc<Relay>>,
}

impl Gateway {
    /// Sessions on this node only (the embedded mode).
    pub fn local(hub: Arc<GatewayHub>) -> Self {
        Self { hub, relay: None }
    }

    pub fn across_nodes(hub: Arc<GatewayHub>, relay: Arc<Relay>) -> Self {
        Self {
            hub,
            relay: Some(relay),
        }
    }

    /// This node's sessions.
    pub fn hub(&self) -> &Arc<GatewayHub> {
        &self.hub
    }

    pub async fn open(
        &self,
        account: AccountId,
        token_version: i64,
        servers: Vec<ServerId>,
    ) -> Result<Attached, Unavailable> {
        match &self.relay {
            Some(relay) => relay.open(account, token_version, servers).await,
            None => Ok(self.hub.open(account, token_version, servers)),
        }
    }

    pub async fn set_servers(
        &self,
        session: &str,
        account: AccountId,
        servers: &[ServerId],
    ) -> Result<(), Unavailable> {
        match &self.relay {
            Some(relay) => relay.set_servers(session, account, servers).await,
            None => {
                self.hub.set_servers(session, servers);
                Ok(())
            }
        }
    }

    pub async fn resume(
        &self,
        session: &str,
        account: AccountId,
        seq: u64,
    ) -> Result<Attached, InvalidSession> {
        match &self.relay {
            Some(relay) => relay.resume(session, account, seq).await,
            None => self.hub.resume(session, account, seq),
        }
    }

    /// Writes every session's checkpoint now (the node is stopping: the sessions are
    /// resumed elsewhere from exactly here).
    pub async fn checkpoint_all(&self) {
        if let Some(relay) = &self.relay {
            let applied = relay.applied.lock().await;
            let seats = relay.hub.seats();
            if relay.write_checkpoints(&seats, *applied).await.is_err() {
                tracing::warn!("the gateway's last checkpoints could not be written");
            }
        }
    }
}

fn scope_of(dispatch: &Dispatch) -> String {
    match dispatch.audience {
        pingme_domain::events::Audience::Server(server) => server_scope(server),
        pingme_domain::events::Audience::Account(account) => account_scope(account),
    }
}

fn server_scope(server: ServerId) -> String {
    format!("s:{}", server.0)
}

fn account_scope(account: AccountId) -> String {
    format!("a:{}", account.0)
}

fn scopes(account: AccountId, servers: &[ServerId]) -> Vec<String> {
    let mut all = vec![account_scope(account)];
    all.extend(servers.iter().map(|s| server_scope(*s)));
    all
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

async fn connect(
    client: &redis::Client,
    response: Duration,
) -> redis::RedisResult<MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(TIMEOUT)
        .set_response_timeout(response);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// A connection with every script loaded, so that pipelines can call them by hash (Redis
/// forgets them when it restarts, which also drops the connection).
async fn connect_loaded(client: &redis::Client) -> redis::RedisResult<MultiplexedConnection> {
    let mut conn = connect(client, TIMEOUT).await?;
    for script in scripts::ALL {
        script.prepare_invoke().load_async(&mut conn).await?;
    }
    Ok(conn)
}

/// Calls a loaded script in a pipeline; its arguments follow.
fn evalsha<'a>(pipe: &'a mut redis::Pipeline, script: &redis::Script) -> &'a mut redis::Pipeline {
    pipe.cmd("EVALSHA").arg(script.get_hash()).arg(0)
}

/// Reads this node's stream and applies it, for as long as the relay lives. A lost
/// connection is reopened; if the stream no longer holds the last entry applied (Redis
/// restarted, or it was trimmed while this node could not read), what came between is lost:
/// the sessions end.
async fn read(relay: std::sync::Weak<Relay>) {
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
            let whole =
                *applied != StreamId::default() && holds(&mut conn, &stream, *applied).await?;
            if !whole {
                if *applied != StreamId::default() {
                    tracing::warn!("the gateway's stream lost entries: its sessions are ended");
                    self.hub.end_all(GAP);
                }
                let start: String = redis::cmd("XADD")
                    .arg(&stream)
                    .arg("*")
                    .arg("e")
                    .arg(Entry::Start.encode())
                    .query_async(&mut conn)
                    .await?;
                *applied = start.parse().unwrap_or_default();
            }
        }
        self.reading.store(true, Ordering::Release);
        loop {
            let after = *self.applied.lock().await;
            let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(READ_COUNT)
                .arg("BLOCK")
                .arg(BLOCK.as_millis() as u64)
                .arg("STREAMS")
                .arg(&stream)
                .arg(after.to_string())
                .query_async(&mut conn)
                .await?;
            let entries = reply
                .into_iter()
                .flat_map(|r| r.keys)
                .flat_map(|k| k.ids)
                .map(parse)
                .collect::<Vec<_>>();
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
        }
    }

    /// Says this node is alive; answers Redis's time.
    async fn beat(&self, conn: &mut MultiplexedConnection) -> redis::RedisResult<u64> {
        scripts::HEARTBEAT
            .arg(&self.keys.prefix)
            .arg(&*self.node)
            .arg(FORGET_NODE_AFTER.as_millis() as u64)
            .invoke_async(conn)
            .await
    }
}

/// Whether the stream still holds the entry `id`.
async fn holds(
    conn: &mut MultiplexedConnection,
    stream: &str,
    id: StreamId,
) -> redis::RedisResult<bool> {
    let found: StreamRangeReply = redis::cmd("XRANGE")
        .arg(stream)
        .arg(id.to_string())
        .arg(id.to_string())
        .query_async(conn)
        .await?;
    Ok(!found.ids.is_empty())
}

/// An entry's id and what it says (`None`: unreadable, skipped).
fn parse(entry: redis::streams::StreamId) -> (StreamId, Option<Entry>) {
    let id = entry.id.parse().unwrap_or_default();
    let text: Option<String> = entry.get("e");
    (id, text.as_deref().and_then(Entry::decode))
}

/// Routes queued dispatches, in order, in pipelines. Dispatches that could not be handed to
/// Redis are followed, once it is back, by a gap entry in every node's stream.
async fn publish(relay: std::sync::Weak<Relay>, mut queue: mpsc::Receiver<Outgoing>) {
    let mut lost = false;
    let mut batch: Vec<Outgoing> = Vec::new();
    loop {
        let Some(this) = relay.upgrade() else { return };
        let client = this.client.clone();
        let (prefix, cap) = (this.keys.prefix.clone(), STREAM_CAP);
        drop(this);
        let mut conn = match connect_loaded(&client).await {
            Ok(conn) => conn,
            Err(_) => {
                lost |= drain(&mut queue, &mut batch);
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        loop {
            if lost {
                let gap = scripts::EVERY_NODE
                    .arg(&prefix)
                    .arg(DEAD_AFTER.as_millis() as u64)
                    .arg(cap)
                    .arg(Entry::Gap.encode())
                    .invoke_async::<u64>(&mut conn)
                    .await;
                if gap.is_err() {
                    break;
                }
                tracing::warn!(
                    "dispatches were lost on their way to Redis: the sessions that may have missed them are ended"
                );
                lost = false;
            }
            if batch.is_empty() && queue.recv_many(&mut batch, BATCH).await == 0 {
                return;
            }
            if let Err(error) = route(&mut conn, &prefix, cap, &batch).await {
                tracing::warn!(%error, "dispatches could not be handed to Redis");
                batch.clear();
                lost = true;
                break;
            }
            batch.clear();
        }
        tokio::time::sleep(BACKOFF).await;
    }
}

/// Drops what is queued; whether anything was.
fn drain(queue: &mut mpsc::Receiver<Outgoing>, batch: &mut Vec<Outgoing>) -> bool {
    let mut dropped = !batch.is_empty();
    batch.clear();
    while queue.try_recv().is_ok() {
        dropped = true;
    }
    dropped
}

async fn route(
    conn: &mut MultiplexedConnection,
    prefix: &str,
    cap: usize,
    batch: &[Outgoing],
) -> redis::RedisResult<()> {
    let mut pipe = redis::pipe();
    for out in batch {
        let (ja, js) = out.join.map_or((String::new(), String::new()), |(a, s)| {
            (a.0.to_string(), s.0.to_string())
        });
        evalsha(&mut pipe, &scripts::ROUTE)
            .arg(prefix)
            .arg(DEAD_AFTER.as_millis() as u64)
            .arg(cap)
            .arg(&out.entry)
            .arg(ja)
            .arg(js)
            .arg(&out.scopes)
            .ignore();
    }
    pipe.query_async(conn).await
}

/// Every [`CHECKPOINT_EVERY`]: the heartbeat, the checkpoints, the release of sessions gone,
/// the trimming of this node's stream and, now and then, of the interest sets.
async fn upkeep(relay: std::sync::Weak<Relay>) {
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
        let now_ms = self
            .with_commands(async |conn| self.beat(conn).await)
            .await?;
        let (seats, at) = {
            let applied = self.applied.lock().await;
            (self.hub.seats(), *applied)
        };
        let due = self.due(&seats);
        self.write_checkpoints(&due, at)
            .await
            .map_err(|_| redis::RedisError::from((redis::ErrorKind::IoError, "checkpoints")))?;
        self.release_gone(&seats).await?;
        let stream = self.keys.stream(&self.node);
        let oldest = now_ms.saturating_sub(RETAIN.as_millis() as u64);
        self.with_commands(async |conn| {
            redis::cmd("XTRIM")
                .arg(&stream)
                .arg("MINID")
                .arg("~")
                .arg(oldest)
                .query_async::<()>(conn)
                .await
        })
        .await?;
        if rounds.is_multiple_of(15) {
            self.unregister_unheld(&seats).await?;
        }
        Ok(())
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

    /// Sessions checkpointed before and gone since (ended, expired): their keys go, unless
    /// another node took them over.
    async fn release_gone(&self, seats: &[Seat]) -> redis::RedisResult<()> {
        let held: std::collections::HashSet<&str> = seats.iter().map(|s| &*s.session).collect();
        let gone: Vec<Arc<str>> = lock(&self.written)
            .extract_if(|session, _| !held.contains(&**session))
            .map(|(session, _)| session)
            .collect();
        self.pipeline(&gone, |pipe, session| {
            evalsha(pipe, &scripts::RELEASE)
                .arg(&self.keys.prefix)
                .arg(&*self.node)
                .arg(&**session);
        })
        .await
    }

    /// Takes this node out of the interest sets of scopes none of its sessions holds.
    async fn unregister_unheld(&self, seats: &[Seat]) -> redis::RedisResult<()> {
        let held: std::collections::HashSet<String> = seats
            .iter()
            .flat_map(|s| scopes(s.account, &s.servers))
            .collect();
        let unheld: Vec<String> = lock(&self.interest)
            .extract_if(|scope, at| !held.contains(scope) && at.elapsed() >= INTEREST_GRACE)
            .map(|(scope, _)| scope)
            .collect();
        self.pipeline(&unheld, |pipe, scope| {
            pipe.srem(self.keys.interest(scope), &*self.node);
        })
        .await
    }
}
