//! Who may open a connection: at most `per_client` at once from one client address (an IPv6
//! /64 counts as one address; a trusted proxy carries many clients and is not capped), and
//! at most `total` in all, below the process's descriptor limit. When the server is full, an
//! idle connection is closed to make room — the oldest that never sent a request, else the
//! keep-alive connection idle longest — so that idle connections, from however many
//! addresses, cannot keep a health check or a new client out; only when every connection is
//! in use (a request being handled, a WebSocket) is the new one closed as soon as it is
//! accepted (it never waits in the backlog). Refusals and evictions are logged at most once a
//! minute.

use super::connection::{Connection, Room};
use pingme_api::client_key;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// How often a refusal of each kind is logged at most.
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Evictions asked for but not yet carried out, at most: past this, new connections are
/// refused instead, so that a burst of them cannot push the descriptors in use far past the
/// cap while the evicted connections close.
const MAX_EVICTING: usize = 64;

pub struct Admission {
    total: usize,
    /// `None`: no cap per address.
    per_client: Option<usize>,
    trusted: Vec<IpAddr>,
    open: AtomicUsize,
    by_client: Mutex<HashMap<IpAddr, usize>>,
    /// Connections in the order they were accepted, those that never sent a request first
    /// to go when the server is full (served ones are skipped and forgotten).
    fresh: Mutex<VecDeque<Weak<Connection>>>,
    /// The idle keep-alive connections, next to go.
    room: Arc<Room>,
    full: RareWarning,
    crowded: RareWarning,
    evicting: RareWarning,
}

/// One admitted connection; dropping it gives its place back. It lives as long as the
/// connection's socket, upgraded WebSockets included.
pub struct Permit {
    admission: Arc<Admission>,
    /// The address counted against, unless it is a trusted proxy's.
    client: Option<IpAddr>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.admission.open.fetch_sub(1, Ordering::Relaxed);
        if let Some(client) = self.client {
            let mut counts = self.admission.counts();
            if let Some(count) = counts.get_mut(&client) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&client);
                }
            }
        }
    }
}

impl Admission {
    pub fn new(total: usize, per_client: Option<usize>, trusted: Vec<IpAddr>) -> Arc<Self> {
        Arc::new(Self {
            total,
            per_client,
            trusted,
            open: AtomicUsize::new(0),
            by_client: Mutex::new(HashMap::new()),
            fresh: Mutex::new(VecDeque::new()),
            room: Arc::new(Room::default()),
            full: RareWarning::default(),
            crowded: RareWarning::default(),
            evicting: RareWarning::default(),
        })
    }

    /// A place for a connection from `peer`, or `None` (and perhaps a warning) when a cap is
    /// reached.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Permit> {
        let client = self.counted(peer).filter(|_| self.per_client.is_some());
        if let (Some(client), Some(cap)) = (client, self.per_client) {
            let mut counts = self.counts();
            let count = counts.entry(client).or_default();
            if *count >= cap {
                drop(counts);
                self.crowded.warn(|refused| {
                    tracing::warn!(
                        %client,
                        cap,
                        refused,
                        "connections refused: one client address holds as many as \
                         PINGME_MAX_CONNECTIONS_PER_IP allows"
                    );
                });
                return None;
            }
            *count += 1;
        }
        // From here on, dropping the permit gives back what was counted.
        let permit = Permit {
            admission: self.clone(),
            client,
        };
        if self.open.fetch_add(1, Ordering::Relaxed) >= self.total && !self.evict_one() {
            self.full.warn(|refused| {
                tracing::warn!(
                    cap = self.total,
                    refused,
                    "connections refused: the server holds as many as PINGME_MAX_CONNECTIONS \
                     allows, all of them in use"
                );
            });
            return None;
        }
        Some(permit)
    }

    /// The state of a newly accepted connection, remembered to be evicted if it is still
    /// unused when the server is full.
    pub fn connection(&self) -> Arc<Connection> {
        let connection = Connection::new(self.room.clone());
        let mut fresh = self.fresh();
        fresh.push_back(Arc::downgrade(&connection));
        // Forget connections that were served or have gone, now and then.
        if fresh.len() > 2 * self.open.load(Ordering::Relaxed) + 64 {
            fresh.retain(|c| c.upgrade().is_some_and(|c| c.unused()));
        }
        connection
    }

    /// Closes an idle connection — the oldest that never sent a request, else the keep-alive
    /// connection idle longest; whether there was one. The new connection is let in at once:
    /// the evicted one's descriptor comes back within moments (at most [`MAX_EVICTING`] are
    /// outstanding), and the reserve covers the difference meanwhile.
    fn evict_one(&self) -> bool {
        if self.room.evicting() >= MAX_EVICTING {
            return false;
        }
        let evicted = self.evict_unused() || self.room.evict_idlest();
        if evicted {
            self.evicting.warn(|evicted| {
                tracing::warn!(
                    cap = self.total,
                    evicted,
                    "the server is full: idle connections are closed to make room"
                );
            });
        }
        evicted
    }

    fn evict_unused(&self) -> bool {
        let mut fresh = self.fresh();
        while let Some(connection) = fresh.pop_front() {
            if connection.upgrade().is_some_and(|c| c.evict_unused()) {
                return true;
            }
        }
        false
    }

    /// Connections open now.
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    fn counted(&self, peer: IpAddr) -> Option<IpAddr> {
        let peer = peer.to_canonical();
        (!self.trusted.iter().any(|t| t.to_canonical() == peer)).then(|| client_key(peer))
    }

    // Every change under the lock is one step: a panic cannot leave the table half-changed.
    fn counts(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.by_client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self) -> MutexGuard<'_, VecDeque<Weak<Connection>>> {
        self.fresh
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A warning logged at most once per [`WARN_EVERY`], with how many times it was due.
#[derive(Default)]
pub struct RareWarning {
    last: Mutex<Option<Instant>>,
    due: AtomicU64,
}

impl RareWarning {
    pub fn warn(&self, log: impl FnOnce(u64)) {
        let due = self.due.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            *last = Some(Instant::now());
            self.due.fetch_sub(due, Ordering::Relaxed);
            log(due);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
    const PROXY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 9));

    #[test]
    fn one_address_is_capped_and_others_still_get_in() {
        let admission = Admission::new(100, Some(2), vec![]);
        let first = admission.admit(A).expect("first");
        let _second = admission.admit(A).expect("second");
        assert!(admission.admit(A).is_none());
        let _other = admission.admit(B).expect("another address");
        drop(first);
        let _again = admission.admit(A).expect("a place given back");
        assert_eq!(admission.open(), 3);
    }

    #[test]
    fn the_total_cap_holds_and_trusted_proxies_have_no_cap_of_their_own() {
        let admission = Admission::new(3, Some(1), vec![PROXY]);
        let held: Vec<Permit> = (0..3).filter_map(|_| admission.admit(PROXY)).collect();
        assert_eq!(held.len(), 3);
        assert!(admission.admit(A).is_none(), "full");
        drop(held);
        assert_eq!(admission.open(), 0);
        assert!(admission.admit(A).is_some());
    }

    #[test]
    fn a_full_server_makes_room_by_closing_an_idle_connection() {
        let admission = Admission::new(2, None, vec![]);
        let _first = admission.admit(A).expect("first");
        let unused = admission.connection();
        let _second = admission.admit(A).expect("second");
        let kept_alive = admission.connection();
        drop(kept_alive.begin());
        let _third = admission.admit(B).expect("room made: the unused one");
        assert!(!unused.unused(), "evicted");
        let _fourth = admission.admit(B).expect("room made: the idle one");
        let busy = admission.connection();
        let _request = busy.begin();
        assert!(admission.admit(B).is_none(), "nothing idle is left");
    }

    #[test]
    fn ipv6_neighbours_share_a_cap_and_mapped_ipv4_is_ipv4() {
        let admission = Admission::new(100, Some(1), vec![]);
        let _one = admission
            .admit("2001:db8::1".parse().unwrap())
            .expect("one");
        assert!(admission.admit("2001:db8::2".parse().unwrap()).is_none());
        let _v4 = admission.admit(A).expect("v4");
        assert!(
            admission
                .admit("::ffff:10.0.0.1".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn warnings_are_logged_once_per_minute_with_the_count() {
        let warning = RareWarning::default();
        let mut logged = Vec::new();
        for _ in 0..5 {
            warning.warn(|due| logged.push(due));
        }
        assert_eq!(logged, [1]);
    }
}
