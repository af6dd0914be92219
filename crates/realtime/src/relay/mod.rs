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
//! takeover on its control stream and lets the session go.
//!
//! Where a replay cannot be whole — the checkpoint's place was trimmed from the stream
//! (streams keep [`RETAIN`] and at most [`STREAM_CAP`] entries), the old node is dead for
//! more than [`DEAD_AFTER`], Redis lost the keys, a gap entry — the answer is
//! `invalid_session`, never a silent gap. A node that could not hand dispatches to Redis adds
//! a gap entry to every stream once it can again; a node whose own stream lost its place
//! (Redis restarted) ends its sessions.

mod entry;
mod pages;
mod publisher;
mod reader;
mod resume;
mod scripts;
mod upkeep;

use crate::Grant;
use crate::gateway::{Attached, GatewayHub, InvalidSession};
use crate::hub::Close;
use entry::{Checkpoint, Entry, StreamId};
use pingme_domain::events::{Audience, Dispatch, Reach};
use pingme_domain::{AccountId, ServerId};
use redis::aio::MultiplexedConnection;
use scripts::Keys;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub use publisher::route_once;

/// How often a node writes its sessions' checkpoints (and says it is alive).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// A session whose number did not change gets a fresh checkpoint this often anyway, so that
/// its replay starts from a place the stream still holds.
pub const REFRESH_AFTER: Duration = Duration::from_secs(30);
/// Checkpoints kept per session: with one every [`CHECKPOINT_EVERY`], over four minutes'
/// worth (a socket's silence is noticed within 75 s, then the session waits 2 minutes).
pub const CHECKPOINTS_KEPT: usize = 128;
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
const TIMEOUT: Duration = Duration::from_secs(2);
/// Resumes from other nodes carried out at once.
const RESUMES: usize = 512;
/// Items per pipeline of the command connection.
const PIPELINE: usize = 256;
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

pub struct Relay {
    client: redis::Client,
    keys: Keys,
    node: Arc<str>,
    hub: Arc<GatewayHub>,
    replay_limit: usize,
    /// The last entry of this node's stream applied to the hub; held while applying, and
    /// while a session is adopted at that place.
    applied: tokio::sync::Mutex<StreamId>,
    /// The same, for those who wait for the reader to reach an entry.
    reached: watch::Sender<StreamId>,
    /// Whether the stream is being read (sessions can be opened).
    reading: AtomicBool,
    /// Whether this node has said it is alive before.
    beaten: AtomicBool,
    /// The last entry of this node's control stream carried out.
    handed: Mutex<StreamId>,
    commands: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    publisher: publisher::Queue,
    /// Scopes registered for this node, and when last; changed (with Redis) by one task at
    /// a time.
    interest: Mutex<HashMap<String, Instant>>,
    registry: tokio::sync::Mutex<()>,
    /// The last checkpoint written of each session, and when.
    written: Mutex<HashMap<Arc<str>, upkeep::Written>>,
    /// Held by a round of checkpoints, from its reading of the sessions to the writing of
    /// its place.
    writing: tokio::sync::Mutex<()>,
    /// Stretches of streams read for replays, shared by a storm of them.
    pages: pages::Pages,
    /// Sessions being taken over by this node: checkpointed before they are in the hub, and
    /// not to be released meanwhile.
    adopting: Mutex<std::collections::HashSet<Arc<str>>>,
    /// Resumes from other nodes at once: a storm of them queues here rather than in Redis
    /// (whose answers have a time limit).
    resuming: tokio::sync::Semaphore,
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
        let (publisher, queue) = publisher::Queue::new();
        let relay = Arc::new(Self {
            client,
            keys: Keys::under(prefix),
            node,
            replay_limit: hub.limits().replay,
            hub,
            applied: tokio::sync::Mutex::new(StreamId::default()),
            reached: watch::Sender::new(StreamId::default()),
            reading: AtomicBool::new(false),
            beaten: AtomicBool::new(false),
            handed: Mutex::default(),
            commands: tokio::sync::Mutex::new(None),
            publisher,
            interest: Mutex::default(),
            registry: tokio::sync::Mutex::new(()),
            written: Mutex::default(),
            writing: tokio::sync::Mutex::new(()),
            resuming: tokio::sync::Semaphore::new(RESUMES),
            pages: pages::Pages::default(),
            adopting: Mutex::default(),
        });
        let weak = Arc::downgrade(&relay);
        tokio::spawn(reader::read(weak.clone()));
        tokio::spawn(publisher::publish(weak.clone(), queue));
        tokio::spawn(upkeep::upkeep(weak));
        Ok(relay)
    }

    /// Hands a dispatch to the publisher (never waits): it reaches this node's sessions
    /// too through this node's stream, in the order every node sees.
    pub fn publish(&self, dispatch: &Arc<Dispatch>) {
        self.publisher.push(dispatch);
    }

    /// Whether this node's stream is being read (else sessions cannot be opened here).
    pub fn is_reading(&self) -> bool {
        self.reading.load(Ordering::Acquire)
    }

    /// A new session (identify): its scopes are registered first, so nothing routed after
    /// the reading that follows can miss this node; its first checkpoint (number 1, where
    /// the reader stands) is written before it is used.
    pub async fn open(
        &self,
        account: AccountId,
        grant: Grant,
        servers: Vec<ServerId>,
    ) -> Result<Attached, Unavailable> {
        self.reading_soon().await?;
        self.register(&scopes(account, &servers)).await?;
        let (attached, seat, at) = {
            let applied = self.applied.lock().await;
            let attached = self.hub.open(account, grant, servers);
            let seat = self.hub.seat(&attached.session).ok_or(Unavailable)?;
            (attached, seat, *applied)
        };
        self.write_checkpoints(&[seat], at, true).await?;
        Ok(attached)
    }

    /// The servers read again (identify): registered, then put in this node's stream and
    /// applied from there, so that a replay of the stream changes them at the same place.
    pub async fn set_servers(
        &self,
        session: &str,
        account: AccountId,
        servers: &[ServerId],
    ) -> Result<(), Unavailable> {
        self.register(&scopes(account, servers)).await?;
        let entry = Entry::Servers(session.into(), servers.to_vec()).encode();
        let stream = self.keys.stream(&self.node);
        let id: String = self
            .with_commands(async |conn| {
                redis::cmd("XADD")
                    .arg(&stream)
                    .arg("*")
                    .arg("e")
                    .arg(&entry)
                    .query_async(conn)
                    .await
            })
            .await?;
        self.applied_through(id.parse().map_err(|_| Unavailable)?)
            .await
    }

    /// Waits (a while: a node just started) until the stream is being read.
    async fn reading_soon(&self) -> Result<(), Unavailable> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while !self.is_reading() {
            if tokio::time::Instant::now() >= deadline {
                return Err(Unavailable);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Waits (a while) until the reader has applied the entry `id`.
    async fn applied_through(&self, id: StreamId) -> Result<(), Unavailable> {
        let mut reached = self.reached.subscribe();
        let waited = tokio::time::timeout(TIMEOUT, reached.wait_for(|at| *at >= id)).await;
        match waited {
            Ok(Ok(_)) => Ok(()),
            _ => Err(Unavailable),
        }
    }

    /// A resume: here if this node holds the session, else from the node that numbers it.
    pub async fn resume(
        self: &Arc<Self>,
        session: &str,
        account: AccountId,
        grant: Grant,
        seq: u64,
    ) -> Result<Attached, InvalidSession> {
        if let Some(here) = self.hub.generation(session) {
            if !self.owned_elsewhere(session).await {
                return self.hub.resume(session, account, grant, seq);
            }
            // Taken over, and the notice not read yet: the copy that was here is stale (but
            // not one adopted meanwhile).
            if self.hub.hand_over(session, here + 1) {
                lock(&self.written).remove(session);
            }
        }
        self.reading_soon().await.map_err(|_| InvalidSession)?;
        resume::from_elsewhere(self, session, account, grant, seq).await
    }

    /// Whether Redis says another node numbers the session now (not knowing counts as no).
    async fn owned_elsewhere(&self, session: &str) -> bool {
        let key = self.keys.session(session);
        let owner: redis::RedisResult<Option<String>> = self
            .with_commands(async |conn| {
                redis::cmd("HGET")
                    .arg(&key)
                    .arg("node")
                    .query_async(conn)
                    .await
            })
            .await;
        matches!(owner, Ok(Some(owner)) if owner != *self.node)
    }

    /// Ends a session for good, here and for the other nodes (it cannot be resumed there).
    pub fn end_session(self: &Arc<Self>, session: &str, close: Close) {
        self.hub.end_session(session, close);
        let (relay, session) = (self.clone(), Arc::<str>::from(session));
        tokio::spawn(async move {
            if relay.release(std::slice::from_ref(&session)).await.is_ok() {
                lock(&relay.written).remove(&session);
            }
        });
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

    /// Runs `f` on the command connection; a connection that failed is dropped for the
    /// next (one slow answer is not enough: the others in flight on it would fail too).
    async fn with_commands<T>(
        &self,
        f: impl AsyncFnOnce(&mut MultiplexedConnection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let mut conn = self.commands().await?;
        let done = f(&mut conn).await;
        if let Err(error) = &done {
            self.drop_if_broken(error).await;
        }
        done
    }

    async fn drop_if_broken(&self, error: &redis::RedisError) {
        if error.is_unrecoverable_error() || error.is_connection_dropped() {
            *self.commands.lock().await = None;
        }
    }

    /// A command (or more) per item, on the command connection, in pipelines of at most
    /// [`PIPELINE`] items (each answered well within the timeout, however many there are).
    async fn pipeline<T>(
        &self,
        items: &[T],
        add: impl Fn(&mut redis::Pipeline, &T),
    ) -> redis::RedisResult<()> {
        for chunk in items.chunks(PIPELINE) {
            let mut pipe = redis::pipe();
            for item in chunk {
                add(&mut pipe, item);
            }
            self.with_commands(async |conn| pipe.query_async::<()>(conn).await)
                .await?;
        }
        Ok(())
    }

    /// Adds this node to the interest sets of `scopes` it is not in yet (and keeps it in
    /// those it is: the upkeep leaves scopes registered lately alone).
    async fn register(&self, scopes: &[String]) -> redis::RedisResult<()> {
        let _one_at_a_time = self.registry.lock().await;
        let missing: Vec<&String> = {
            let now = Instant::now();
            let mut interest = lock(&self.interest);
            scopes
                .iter()
                .filter(|scope| interest.insert((*scope).clone(), now).is_none())
                .collect()
        };
        let added = self
            .pipeline(&missing, |pipe, scope| {
                pipe.sadd(self.keys.interest(scope), &*self.node);
            })
            .await;
        if added.is_err() {
            let mut interest = lock(&self.interest);
            for scope in missing {
                interest.remove(scope);
            }
        }
        added
    }

    /// Writes one checkpoint per seat, all at `at`; `create`: of new sessions (else only of
    /// sessions Redis knows this node numbers: one released or taken over meanwhile is not
    /// brought back).
    async fn write_checkpoints(
        &self,
        seats: &[crate::Seat],
        at: StreamId,
        create: bool,
    ) -> Result<(), Unavailable> {
        self.pipeline(seats, |pipe, seat| {
            evalsha(pipe, &scripts::CHECKPOINT)
                .arg(&self.keys.prefix)
                .arg(&*self.node)
                .arg(SESSION_TTL.as_secs())
                .arg(CHECKPOINTS_KEPT)
                .arg(&*seat.session)
                .arg(seat.account.0)
                .arg(seat.grant.encode())
                .arg(Checkpoint::of(seat, at).encode())
                .arg(at.0)
                .arg(at.1)
                .arg(u8::from(create));
        })
        .await?;
        let now = Instant::now();
        let mut written = lock(&self.written);
        for seat in seats {
            written.insert(seat.session.clone(), (seat.seq, seat.servers.clone(), now));
        }
        Ok(())
    }

    /// Forgets sessions this node numbered, unless another node took them over.
    async fn release(&self, sessions: &[Arc<str>]) -> redis::RedisResult<()> {
        self.pipeline(sessions, |pipe, session| {
            evalsha(pipe, &scripts::RELEASE)
                .arg(&self.keys.prefix)
                .arg(&*self.node)
                .arg(&**session);
        })
        .await
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
        grant: Grant,
        servers: Vec<ServerId>,
    ) -> Result<Attached, Unavailable> {
        match &self.relay {
            Some(relay) => relay.open(account, grant, servers).await,
            None => Ok(self.hub.open(account, grant, servers)),
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

    /// Resumes the session with a token of `account` given by `grant`.
    pub async fn resume(
        &self,
        session: &str,
        account: AccountId,
        grant: Grant,
        seq: u64,
    ) -> Result<Attached, InvalidSession> {
        match &self.relay {
            Some(relay) => relay.resume(session, account, grant, seq).await,
            None => self.hub.resume(session, account, grant, seq),
        }
    }

    /// Ends a session for good (it may not be resumed anywhere).
    pub fn end_session(&self, session: &str, close: Close) {
        match &self.relay {
            Some(relay) => relay.end_session(session, close),
            None => self.hub.end_session(session, close),
        }
    }

    /// The node is stopping: the dispatches it published are handed to Redis, and every
    /// session's checkpoint is written, so that they are resumed elsewhere from exactly here.
    pub async fn stop(&self) {
        if let Some(relay) = &self.relay {
            relay.publisher.flushed(TIMEOUT).await;
            if relay.checkpoint_round().await.is_err() {
                tracing::warn!("the gateway's last checkpoints could not be written");
            }
        }
    }
}

/// The interest sets a dispatch is routed by.
fn scopes_of(dispatch: &Dispatch) -> Vec<String> {
    match &dispatch.audience {
        Audience::Server(server) => vec![server_scope(*server)],
        Audience::Account(account) => vec![account_scope(*account)],
        Audience::People(account, servers) => scopes(*account, servers),
        Audience::Accounts(accounts) => accounts.iter().map(|a| account_scope(*a)).collect(),
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

/// Whether the session holds one of the scopes.
fn holds_any(seat: &crate::Seat, these: &[String]) -> bool {
    scopes(seat.account, &seat.servers)
        .iter()
        .any(|scope| these.contains(scope))
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
    load_scripts(&mut conn).await?;
    Ok(conn)
}

/// Loads every script on the connection.
async fn load_scripts(conn: &mut MultiplexedConnection) -> redis::RedisResult<()> {
    for script in scripts::ALL {
        script.prepare_invoke().load_async(conn).await?;
    }
    Ok(())
}

/// Calls a loaded script in a pipeline; its arguments follow.
fn evalsha<'a>(pipe: &'a mut redis::Pipeline, script: &redis::Script) -> &'a mut redis::Pipeline {
    pipe.cmd("EVALSHA").arg(script.get_hash()).arg(0)
}

/// Whether the stream still holds the entry `id`.
async fn holds(
    conn: &mut MultiplexedConnection,
    stream: &str,
    id: StreamId,
) -> redis::RedisResult<bool> {
    let found: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
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

/// The reach changes a dispatch carries, as the route script takes them.
fn reach_scopes(dispatch: &Dispatch) -> (Vec<String>, Option<(AccountId, ServerId)>) {
    let mut scopes = scopes_of(dispatch);
    let mut join = None;
    match dispatch.reach {
        Some(Reach::Join(account, server)) => {
            scopes.push(account_scope(account));
            join = Some((account, server));
        }
        Some(Reach::Leave(account, _)) => scopes.push(account_scope(account)),
        _ => {}
    }
    (scopes, join)
}
