//! Who is online: each connected gateway session's status, kept in this process (the
//! embedded mode) or in Redis (several nodes), and the people whose status changed, handed
//! to whoever tells their sessions and the people who share a server with them.
//!
//! A socket that ends does not take its session's status away at once: the session stays
//! for [`GRACE`], so that a client reconnecting (a resume, here or on another node) changes
//! nothing anyone sees; the status it had is remembered for [`REMEMBERED`] after that, so
//! that a later resume keeps it too. With Redis, a node that dies without a goodbye stops
//! beating; once it has been silent for 30 s (`redis::DEAD_AFTER`), any node sweeps its
//! sessions away: a person whose sessions were all there is `offline` well within a minute.
//! A node that could not write a change, or finds it was swept while alive, writes its
//! sessions again as they stand.

mod local;
mod redis;
#[cfg(test)]
mod tests;

use pingme_domain::AccountId;
use pingme_domain::presence::{Change, Status};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a session's status outlives its socket.
pub const GRACE: Duration = Duration::from_secs(10);
/// How long a session's chosen status is remembered once it has no socket: longer than a
/// session can be resumed.
pub const REMEMBERED: Duration = Duration::from_secs(300);
/// Changes waiting to be told, before the sockets' tasks wait for room.
const CHANGES_QUEUED: usize = 4096;
/// Attempts at taking a session's status away once its grace is over.
const EXPIRE_ATTEMPTS: u32 = 3;

/// A change of a person's status, and the session that made it with the status it set (it
/// knows, if that is what the person's status now is).
pub type Told = (Change, Option<(Arc<str>, Status)>);

/// One socket's presence: which session of whom, under a number of its own (a session
/// resumed on another socket has another number, so that the end of the old socket does not
/// take away the new one's status). Dropping it ends the socket's presence (after the grace).
pub struct Conn {
    number: u64,
    account: AccountId,
    session: Arc<str>,
    presence: Arc<Presence>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (presence, number) = (self.presence.clone(), self.number);
            let (account, session) = (self.account, self.session.clone());
            runtime.spawn(async move { presence.leave(number, account, session).await });
        }
    }
}

/// A socket's place in the store: the node it is on and its number there.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Place {
    node: Arc<str>,
    number: u64,
}

/// A socket of this node: whose session, its status, and whether it is still open (or in
/// its grace).
#[derive(Clone, Debug)]
struct Held {
    account: AccountId,
    session: Arc<str>,
    status: Status,
    open: bool,
}

enum Backend {
    Local(local::Sessions),
    Redis(redis::Store),
}

pub struct Presence {
    backend: Backend,
    node: Arc<str>,
    numbers: AtomicU64,
    /// This node's sockets, open or in their grace: what the store should hold of this node.
    live: Mutex<HashMap<u64, Held>>,
    /// Writes that failed; the store is written again from `live` while this differs from
    /// `repaired` (the count when that was last done).
    failures: AtomicU64,
    repaired: AtomicU64,
    /// The node is stopping: no more beats.
    stopping: AtomicBool,
    changes: mpsc::Sender<Told>,
    grace: Duration,
}

impl Presence {
    /// Presence within this process; the receiver gets the changes.
    pub fn local() -> (Arc<Self>, mpsc::Receiver<Told>) {
        Self::with(
            Backend::Local(local::Sessions::default()),
            "local".into(),
            GRACE,
        )
    }

    /// Presence across the nodes sharing the Redis `channel`: beats for this node, and
    /// sweeps away the sessions of nodes gone silent, on the current runtime.
    pub fn across_nodes(
        url: &str,
        channel: &str,
        node: Arc<str>,
    ) -> ::redis::RedisResult<(Arc<Self>, mpsc::Receiver<Told>)> {
        let store = redis::Store::open(url, channel)?;
        let (presence, changes) = Self::with(Backend::Redis(store), node, GRACE);
        tokio::spawn(redis::upkeep(Arc::downgrade(&presence)));
        Ok((presence, changes))
    }

    fn with(
        backend: Backend,
        node: Arc<str>,
        grace: Duration,
    ) -> (Arc<Self>, mpsc::Receiver<Told>) {
        let (changes, received) = mpsc::channel(CHANGES_QUEUED);
        let presence = Arc::new(Self {
            backend,
            node,
            numbers: AtomicU64::new(1),
            live: Mutex::default(),
            failures: AtomicU64::new(0),
            repaired: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
            changes,
            grace,
        });
        (presence, received)
    }

    /// A socket of the session is open, with the status the client asked for, or else the
    /// one the session had (a resume), or `online`.
    pub async fn connect(
        self: &Arc<Self>,
        account: AccountId,
        session: Arc<str>,
        status: Option<Status>,
    ) -> Conn {
        let number = self.numbers.fetch_add(1, Ordering::Relaxed);
        let held = Held {
            account,
            session: session.clone(),
            status: status.unwrap_or(Status::Online),
            open: true,
        };
        // Held before it is written: a repair meanwhile keeps it.
        lock(&self.live).insert(number, held);
        let place = self.place(number);
        let written = match &self.backend {
            Backend::Local(sessions) => Ok(sessions.put(account, &session, place, status, true)),
            Backend::Redis(store) => store.put(account, &session, &place, status, true).await,
        };
        if let Ok((status, _)) = &written
            && let Some(held) = lock(&self.live).get_mut(&number)
        {
            held.status = *status;
        }
        let by = written
            .as_ref()
            .ok()
            .map(|(status, _)| (session.clone(), *status));
        self.outcome(written.map(|(_, change)| change), by).await;
        Conn {
            number,
            account,
            session,
            presence: self.clone(),
        }
    }

    /// The status this socket's session was last set to here.
    pub fn status_of(&self, conn: &Conn) -> Option<Status> {
        lock(&self.live).get(&conn.number).map(|held| held.status)
    }

    /// The client set its session's status.
    pub async fn set(&self, conn: &Conn, status: Status) {
        if let Some(held) = lock(&self.live).get_mut(&conn.number) {
            held.status = status;
        }
        let place = self.place(conn.number);
        let (account, session) = (conn.account, &conn.session);
        let changed = match &self.backend {
            Backend::Local(sessions) => {
                Ok(sessions.put(account, session, place, Some(status), false).1)
            }
            Backend::Redis(store) => store
                .put(account, session, &place, Some(status), false)
                .await
                .map(|(_, change)| change),
        };
        self.outcome(changed, Some((session.clone(), status))).await;
    }

    /// The socket ended: its session's status goes after the grace, unless a socket took the
    /// session up again meanwhile.
    async fn leave(&self, number: u64, account: AccountId, session: Arc<str>) {
        if let Some(held) = lock(&self.live).get_mut(&number) {
            held.open = false;
        }
        tokio::time::sleep(self.grace).await;
        let place = self.place(number);
        for attempt in 1..=EXPIRE_ATTEMPTS {
            let changed = match &self.backend {
                Backend::Local(sessions) => Ok(sessions.expire(account, &session, &place)),
                Backend::Redis(store) => store.expire(account, &session, &place).await,
            };
            let failed = changed.is_err();
            if !failed || attempt == EXPIRE_ATTEMPTS {
                // Given up: no longer held, so the next repair takes it away.
                lock(&self.live).remove(&number);
                self.outcome(changed, None).await;
                return;
            }
            tokio::time::sleep(self.grace).await;
        }
    }

    /// The statuses of those of `people` who are not offline (`invisible` included: the
    /// caller shows it as it should).
    pub async fn statuses(&self, people: &[AccountId]) -> Vec<(AccountId, Status)> {
        let found = match &self.backend {
            Backend::Local(sessions) => Ok(sessions.statuses(people)),
            Backend::Redis(store) => store.statuses(people).await,
        };
        let mut found = found.unwrap_or_else(|error| {
            tracing::warn!(%error, "presences could not be read");
            Vec::new()
        });
        found.sort_unstable();
        found
    }

    /// What a change comes to by the time it is told: the person's status now (changes
    /// handled one after another may have been made in another order), or `None` when that
    /// is what it was before it.
    pub async fn settled(&self, change: Change) -> Option<Change> {
        let now = match &self.backend {
            Backend::Local(sessions) => Ok(sessions.statuses(&[change.account])),
            Backend::Redis(store) => store.statuses(&[change.account]).await,
        };
        let after = match now {
            Ok(found) => found.first().map(|(_, status)| *status),
            Err(_) => change.after,
        };
        Change::of(change.account, change.before, after)
    }

    /// The node is stopping: the others sweep its sessions away once their grace is over,
    /// rather than once it has been silent long enough to be taken for dead.
    pub async fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        if let Backend::Redis(store) = &self.backend
            && let Err(error) = store.leaving(&self.node, self.grace).await
        {
            tracing::warn!(%error, "presence: the node's leaving could not be told");
        }
    }

    fn place(&self, number: u64) -> Place {
        Place {
            node: self.node.clone(),
            number,
        }
    }

    async fn outcome(
        &self,
        changed: ::redis::RedisResult<Option<Change>>,
        by: Option<(Arc<str>, Status)>,
    ) {
        match changed {
            Ok(Some(change)) => self.tell((change, by)).await,
            Ok(None) => {}
            Err(error) => {
                self.failures.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(%error, "a presence could not be written; it is written again later");
            }
        }
    }

    async fn tell(&self, change: Told) {
        // Closed only when the server is stopping: nothing is told any more then.
        let _ = self.changes.send(change).await;
    }

    /// This node's sockets, as they stand.
    fn held(&self) -> Vec<(u64, Held)> {
        lock(&self.live)
            .iter()
            .map(|(number, held)| (*number, held.clone()))
            .collect()
    }
}

#[async_trait::async_trait]
impl pingme_domain::presence::Statuses for Presence {
    async fn statuses(&self, people: &[AccountId]) -> Vec<(AccountId, Status)> {
        Presence::statuses(self, people).await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
