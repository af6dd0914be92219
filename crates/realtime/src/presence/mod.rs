//! Who is online: each connected gateway session's status, kept in this process (the
//! embedded mode) or in Redis (several nodes), and the people whose status changed, handed
//! to whoever tells their sessions and the people who share a server with them.
//!
//! A socket that ends does not take its session's status away at once: the session stays
//! for [`GRACE`], so that a client reconnecting (a resume, here or on another node) changes
//! nothing anyone sees. With Redis, a node that dies without a goodbye stops beating; once it
//! has been silent for 30 s (`redis::DEAD_AFTER`), any node sweeps its sessions away: a person
//! whose sessions were all there is `offline` well within a minute.

mod local;
mod redis;
#[cfg(test)]
mod tests;

use pingme_domain::AccountId;
use pingme_domain::presence::{Change, Status};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long a session's status outlives its socket.
pub const GRACE: Duration = Duration::from_secs(10);
/// Changes waiting to be told, before the sockets' tasks wait for room.
const CHANGES_QUEUED: usize = 4096;

/// A change of a person's status, and the session that made it, if one did (it knows).
pub type Told = (Change, Option<Arc<str>>);

/// One socket's presence: which session of whom, under a number of its own (a session
/// resumed on another socket has another number, so that the end of the old socket does not
/// take away the new one's status).
#[derive(Debug)]
pub struct Conn {
    number: u64,
    account: AccountId,
    session: Arc<str>,
}

/// A socket's place in the store: the node it is on and its number there.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Place {
    node: Arc<str>,
    number: u64,
}

/// A socket of this node: whose session, and its status.
type Held = (AccountId, Arc<str>, Status);

enum Backend {
    Local(local::Sessions),
    Redis(redis::Store),
}

pub struct Presence {
    backend: Backend,
    node: Arc<str>,
    numbers: AtomicU64,
    /// This node's sockets and their statuses: written again to a store that lost them.
    live: Mutex<HashMap<u64, Held>>,
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
            changes,
            grace,
        });
        (presence, received)
    }

    /// A socket of the session is open: the session keeps the status it had (a resume), or
    /// is `online`.
    pub async fn connect(&self, account: AccountId, session: Arc<str>) -> Conn {
        let conn = Conn {
            number: self.numbers.fetch_add(1, Ordering::Relaxed),
            account,
            session,
        };
        let place = self.place(&conn);
        let found = match &self.backend {
            Backend::Local(sessions) => Ok(sessions.put(account, &conn.session, place, None, true)),
            Backend::Redis(store) => store.put(account, &conn.session, &place, None, true).await,
        };
        let status = found.as_ref().map_or(Status::Online, |(status, _)| *status);
        lock(&self.live).insert(conn.number, (account, conn.session.clone(), status));
        let by = Some(conn.session.clone());
        self.outcome(found.map(|(_, change)| change), by).await;
        conn
    }

    /// The client set its session's status.
    pub async fn set(&self, conn: &Conn, status: Status) {
        if let Some(held) = lock(&self.live).get_mut(&conn.number) {
            held.2 = status;
        }
        let place = self.place(conn);
        let changed = match &self.backend {
            Backend::Local(sessions) => Ok(sessions
                .put(conn.account, &conn.session, place, Some(status), false)
                .1),
            Backend::Redis(store) => store
                .put(conn.account, &conn.session, &place, Some(status), false)
                .await
                .map(|(_, change)| change),
        };
        self.outcome(changed, Some(conn.session.clone())).await;
    }

    /// The socket ended: its session's status goes after [`GRACE`], unless a socket took
    /// the session up again meanwhile.
    pub fn disconnect(self: &Arc<Self>, conn: Conn) {
        lock(&self.live).remove(&conn.number);
        let presence = self.clone();
        tokio::spawn(async move {
            let place = presence.place(&conn);
            let left = match &presence.backend {
                Backend::Local(sessions) => {
                    sessions.leave(conn.account, &conn.session, &place);
                    Ok(())
                }
                Backend::Redis(store) => store.leave(conn.account, &conn.session, &place).await,
            };
            if let Err(error) = left {
                tracing::warn!(%error, "a session's presence could not be marked as leaving");
            }
            tokio::time::sleep(presence.grace).await;
            let changed = match &presence.backend {
                Backend::Local(sessions) => {
                    Ok(sessions.expire(conn.account, &conn.session, &place))
                }
                Backend::Redis(store) => store.expire(conn.account, &conn.session, &place).await,
            };
            presence.outcome(changed, None).await;
        });
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

    fn place(&self, conn: &Conn) -> Place {
        Place {
            node: self.node.clone(),
            number: conn.number,
        }
    }

    async fn outcome(&self, changed: ::redis::RedisResult<Option<Change>>, by: Option<Arc<str>>) {
        match changed {
            Ok(Some(change)) => self.tell((change, by)).await,
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "a presence could not be written"),
        }
    }

    async fn tell(&self, change: Told) {
        // Closed only when the server is stopping: nothing is told any more then.
        let _ = self.changes.send(change).await;
    }

    /// This node's sockets, as they stand.
    fn held(&self) -> Vec<(u64, AccountId, Arc<str>, Status)> {
        lock(&self.live)
            .iter()
            .map(|(number, (account, session, status))| {
                (*number, *account, session.clone(), *status)
            })
            .collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
