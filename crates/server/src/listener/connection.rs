//! What the listener knows of one HTTP connection, and its timeouts, as production servers
//! have them: a new connection's first request head must be complete within the head timeout
//! of its opening, a later one within the head timeout of its first byte; an idle keep-alive
//! connection is closed after the keep-alive timeout; a response that cannot leave for the
//! stall timeout is abandoned. (The body timeout is the API's: it answers 408.)
//!
//! A connection is in one phase at a time — idle, reading a head, busy with a request,
//! upgraded to a WebSocket, or evicted to make room — changed by its own task as bytes and
//! requests come, and by the accept loop only to evict it (a compare-and-swap, so a request
//! that has just begun is never cut off). A watchdog sleeps until the phase's deadline.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The connection timeouts (`PINGME_HTTP_*`).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// A request head must be complete this long after its first byte; a new connection must
    /// have sent its first head this long after it opened.
    pub head: Duration,
    /// An idle keep-alive connection is closed after this long.
    pub keep_alive: Duration,
    /// A response that cannot be written for this long is abandoned (the client stopped
    /// reading).
    pub stall: Duration,
}

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;
const UPGRADED: u8 = 3;
const EVICTED: u8 = 4;

/// Why the watchdog ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    /// Idle for the keep-alive timeout: closed gracefully.
    Idle,
    /// A head, or a response, that did not move in time: dropped.
    Stuck,
    /// Closed to make room for another connection.
    Evicted,
}

/// What the connections of one listener share with its admission: the keep-alive
/// connections that went idle, roughly in the order they first did (the first to go when the
/// server is full), and how many evictions are not yet carried out.
///
/// A connection is queued once, not at every request: a queued one found busy when its turn
/// comes is dropped from the queue and queued again when it next goes idle. So the fast path
/// of a request touches no shared lock.
#[derive(Default)]
pub struct Room {
    idle: Mutex<VecDeque<Weak<Connection>>>,
    evicting: AtomicUsize,
    open: AtomicUsize,
}

impl Room {
    /// Evictions asked for whose connections are not closed yet.
    pub fn evicting(&self) -> usize {
        self.evicting.load(Ordering::Relaxed)
    }

    /// Closes a keep-alive connection that is idle, the one queued first; whether there was
    /// one.
    pub fn evict_idlest(&self) -> bool {
        let mut idle = self.idle();
        while let Some(connection) = idle.pop_front() {
            let Some(connection) = connection.upgrade() else {
                continue;
            };
            if connection.evict_if(true) {
                return true;
            }
            // Busy (or a WebSocket) by now: queued again when it next goes idle.
            connection.queued.store(false, Ordering::Relaxed);
        }
        false
    }

    fn went_idle(&self, connection: &Arc<Connection>) {
        if connection.queued.swap(true, Ordering::Relaxed) {
            return;
        }
        let mut idle = self.idle();
        idle.push_back(Arc::downgrade(connection));
        // Entries of connections gone are dropped now and then.
        if idle.len() > 2 * self.open.load(Ordering::Relaxed) + 64 {
            idle.retain(|c| c.strong_count() > 0);
        }
    }

    fn idle(&self) -> MutexGuard<'_, VecDeque<Weak<Connection>>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One connection's state. Times are milliseconds since it opened.
pub struct Connection {
    opened: Instant,
    phase: AtomicU8,
    /// When the phase began (for the idle and head phases).
    since: AtomicU64,
    /// When a write began waiting for the client, plus one; zero while writes go through.
    write_blocked: AtomicU64,
    /// Requests begun on it so far.
    requests: AtomicU64,
    /// Its request is being answered with `101 Switching Protocols`.
    upgrading: AtomicBool,
    /// In the room's queue of idle connections.
    queued: AtomicBool,
    wake: Notify,
    room: Arc<Room>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.room.open.fetch_sub(1, Ordering::Relaxed);
        if self.phase.load(Ordering::Acquire) == EVICTED {
            self.room.evicting.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Connection {
    pub fn new(room: Arc<Room>) -> Arc<Self> {
        room.open.fetch_add(1, Ordering::Relaxed);
        Arc::new(Self {
            opened: Instant::now(),
            phase: AtomicU8::new(IDLE),
            since: AtomicU64::new(0),
            write_blocked: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            upgrading: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            wake: Notify::new(),
            room,
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn served_one(&self) -> bool {
        self.requests.load(Ordering::Relaxed) > 0
    }

    /// Moves from one of `from` to `to`; whether it did. The time is stored first, so a
    /// watchdog that reads the new phase reads its time too.
    fn shift(&self, from: &[u8], to: u8, restart_clock: bool) -> bool {
        let mut phase = self.phase.load(Ordering::Acquire);
        while from.contains(&phase) {
            if restart_clock {
                self.since.store(self.now(), Ordering::Relaxed);
            }
            match self
                .phase
                .compare_exchange(phase, to, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    self.wake.notify_one();
                    return true;
                }
                Err(now) => phase = now,
            }
        }
        false
    }

    /// Bytes arrived: on an idle connection, a request head has begun. (A new connection's
    /// first head is due a head timeout after the connection opened, bytes or not.)
    pub fn read_some(&self) {
        if self.phase.load(Ordering::Acquire) == IDLE {
            self.shift(&[IDLE], HEAD, self.served_one());
        }
    }

    pub fn write_progress(&self, blocked: bool) {
        let was = self.write_blocked.load(Ordering::Relaxed);
        if blocked && was == 0 {
            self.write_blocked.store(self.now() + 1, Ordering::Relaxed);
            self.wake.notify_one();
        } else if !blocked && was != 0 {
            self.write_blocked.store(0, Ordering::Relaxed);
            self.wake.notify_one();
        }
    }

    /// A request is being handled, unless the connection was just evicted; the guard ends it.
    pub fn begin(self: &Arc<Self>) -> Option<Busy> {
        if !self.shift(&[IDLE, HEAD, BUSY], BUSY, false) {
            return None;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        Some(Busy(self.clone()))
    }

    /// The request being handled is answered with `101 Switching Protocols`: from now on
    /// the connection is a WebSocket, which has timeouts of its own and is never evicted.
    pub fn upgrading(&self) {
        self.upgrading.store(true, Ordering::Relaxed);
    }

    /// Evicts it if it never sent a request (`served` false), or if it is an idle keep-alive
    /// connection (`served` true); whether it did.
    fn evict_if(&self, served: bool) -> bool {
        let evicted = match served {
            false if !self.served_one() => self.shift(&[IDLE, HEAD], EVICTED, false),
            true if self.served_one() => self.shift(&[IDLE], EVICTED, false),
            _ => false,
        };
        if evicted {
            self.room.evicting.fetch_add(1, Ordering::Relaxed);
        }
        evicted
    }

    /// Evicts it if it never sent a request; whether it did.
    pub fn evict_unused(&self) -> bool {
        self.evict_if(false)
    }

    /// Whether it may still be evicted as a connection that never sent a request.
    pub fn unused(&self) -> bool {
        !self.served_one() && matches!(self.phase.load(Ordering::Acquire), IDLE | HEAD)
    }

    /// The moment the connection is to be ended, and how; `None` while nothing is due.
    fn deadline(&self, timeouts: &Timeouts) -> Option<(u64, Expired)> {
        // The phase first: its time is stored before it, so the time read after it is the
        // phase's own (or a later one's, which only moves the deadline on).
        let phase = self.phase.load(Ordering::Acquire);
        let since = self.since.load(Ordering::Relaxed);
        let blocked = self.write_blocked.load(Ordering::Relaxed);
        match phase {
            EVICTED => Some((0, Expired::Evicted)),
            UPGRADED => None,
            _ if blocked != 0 => Some((blocked - 1 + millis(timeouts.stall), Expired::Stuck)),
            IDLE if self.served_one() => Some((since + millis(timeouts.keep_alive), Expired::Idle)),
            IDLE | HEAD => Some((since + millis(timeouts.head), Expired::Stuck)),
            _ => None,
        }
    }

    /// Completes when a deadline of this connection has passed.
    pub async fn expired(&self, timeouts: Timeouts) -> Expired {
        loop {
            let woken = self.wake.notified();
            match self.deadline(&timeouts) {
                Some((at, why)) if at <= self.now() => return why,
                Some((at, _)) => {
                    let at = self.opened + Duration::from_millis(at);
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = woken => {}
                    }
                }
                None => woken.await,
            }
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX / 2)
}

/// A request being handled; dropped when its response has been written — or, for a small
/// response, when its handler has answered (see `service.rs`).
pub struct Busy(Arc<Connection>);

impl Drop for Busy {
    fn drop(&mut self) {
        let connection = &self.0;
        if connection.upgrading.load(Ordering::Relaxed) {
            connection.shift(&[BUSY], UPGRADED, false);
        } else if connection.shift(&[BUSY], IDLE, true) {
            connection.room.went_idle(connection);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUTS: Timeouts = Timeouts {
        head: Duration::from_secs(10),
        keep_alive: Duration::from_secs(75),
        stall: Duration::from_secs(60),
    };

    fn connection() -> Arc<Connection> {
        Connection::new(Arc::new(Room::default()))
    }

    /// How long after the phase began the connection is due, and how.
    fn due(connection: &Connection) -> Option<(u64, Expired)> {
        let since = connection.since.load(Ordering::Relaxed);
        let blocked = connection.write_blocked.load(Ordering::Relaxed);
        let start = if blocked == 0 { since } else { blocked - 1 };
        connection
            .deadline(&TIMEOUTS)
            .map(|(at, why)| (at - start, why))
    }

    #[test]
    fn each_phase_has_its_deadline() {
        let connection = connection();
        assert_eq!(due(&connection), Some((10_000, Expired::Stuck)), "new");
        std::thread::sleep(Duration::from_millis(5));
        connection.read_some();
        let first_head = connection.deadline(&TIMEOUTS).map(|(at, _)| at);
        assert_eq!(
            first_head,
            Some(10_000),
            "the first head is due from the opening"
        );
        let busy = connection.begin().expect("not evicted");
        assert_eq!(due(&connection), None, "handled");
        connection.write_progress(true);
        assert_eq!(due(&connection), Some((60_000, Expired::Stuck)), "stalled");
        connection.write_progress(false);
        drop(busy);
        assert_eq!(
            due(&connection),
            Some((75_000, Expired::Idle)),
            "kept alive"
        );
        connection.read_some();
        assert_eq!(
            due(&connection),
            Some((10_000, Expired::Stuck)),
            "the next head"
        );
    }

    #[test]
    fn unused_connections_go_first_then_the_longest_idle() {
        let room = Arc::new(Room::default());
        let (unused, idle, busy) = (
            Connection::new(room.clone()),
            Connection::new(room.clone()),
            Connection::new(room.clone()),
        );
        drop(idle.begin());
        let request = busy.begin();
        assert!(!idle.unused() && !busy.unused());
        assert!(unused.evict_unused());
        assert!(!unused.evict_unused(), "once");
        assert_eq!(room.evicting(), 1);
        assert!(
            unused.begin().is_none(),
            "an evicted connection takes no request"
        );
        assert!(room.evict_idlest(), "the idle one");
        assert_eq!(idle.deadline(&TIMEOUTS), Some((0, Expired::Evicted)));
        assert!(!room.evict_idlest(), "the busy one stays");
        drop(request);
        drop(unused);
        assert_eq!(room.evicting(), 1, "until the evicted connection is gone");
        drop(idle);
        assert_eq!(room.evicting(), 0);
    }

    #[test]
    fn an_idle_connection_busy_again_or_upgraded_is_not_evicted() {
        let room = Arc::new(Room::default());
        let connection = Connection::new(room.clone());
        drop(connection.begin());
        let again = connection.begin();
        assert!(!room.evict_idlest(), "busy again since it went idle");
        drop(again);
        assert!(room.evict_idlest(), "queued again once idle again");
        let connection = Connection::new(room.clone());
        let upgrade = connection.begin();
        connection.upgrading();
        drop(upgrade);
        assert!(!room.evict_idlest(), "a WebSocket now");
        assert_eq!(connection.deadline(&TIMEOUTS), None);
    }

    #[tokio::test]
    async fn the_watchdog_wakes_for_a_head_that_begins_while_it_sleeps() {
        let timeouts = Timeouts {
            head: Duration::from_millis(50),
            keep_alive: Duration::from_secs(3600),
            stall: Duration::from_secs(3600),
        };
        let connection = connection();
        drop(connection.begin());
        let watching = connection.clone();
        let watchdog = tokio::spawn(async move { watching.expired(timeouts).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        connection.read_some();
        let expired = tokio::time::timeout(Duration::from_secs(60), watchdog).await;
        assert_eq!(
            expired.expect("not the hour-long keep-alive").unwrap(),
            Expired::Stuck
        );
    }
}
