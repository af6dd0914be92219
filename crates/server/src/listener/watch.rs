//! Timeouts of one HTTP connection, as production servers have them: a new connection's
//! first request head must be complete within the head timeout of its opening, a later one
//! within the head timeout of its first byte; an idle keep-alive connection is closed after
//! the keep-alive timeout; and a response that cannot leave for the stall timeout is
//! abandoned. (The body timeout is the API's: it answers 408.)
//!
//! The socket is wrapped to see bytes come and go, the service to see requests start and
//! their handlers answer; a watchdog sleeps until the next deadline of the connection's
//! phase.

use super::admission::Permit;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
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

/// What the watchdog sees of one connection. Times are milliseconds since it opened.
pub struct Connection {
    opened: Instant,
    phase: AtomicU8,
    /// When the phase began.
    since: AtomicU64,
    /// When a write began waiting for the client, plus one; zero while writes go through.
    write_blocked: AtomicU64,
    served_one: AtomicBool,
    /// Closed to make room for a new connection (the server was full and this one had
    /// never sent a request).
    evicted: AtomicBool,
    in_flight: AtomicUsize,
    wake: Notify,
}

/// Why the watchdog ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Expired {
    /// Idle: closed gracefully.
    Idle,
    /// A head, or a response, that did not move in time: dropped.
    Stuck,
}

impl Connection {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            opened: Instant::now(),
            phase: AtomicU8::new(IDLE),
            since: AtomicU64::new(0),
            write_blocked: AtomicU64::new(0),
            served_one: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            wake: Notify::new(),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        self.since.store(self.now(), Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// Bytes arrived: on an idle connection, a request head has begun. (A new connection's
    /// first head is due a head timeout after the connection opened, bytes or not.)
    fn read_some(&self) {
        if self.phase.load(Ordering::Acquire) != IDLE {
            return;
        }
        if self.served_one.load(Ordering::Relaxed) {
            self.enter(HEAD);
            self.wake.notify_one();
        } else {
            self.phase.store(HEAD, Ordering::Release);
        }
    }

    /// Whether this connection may be closed to make room: it has never sent a request and
    /// none is being handled.
    pub fn evictable(&self) -> bool {
        !self.served_one.load(Ordering::Relaxed)
            && self.phase.load(Ordering::Acquire) != BUSY
            && !self.evicted.load(Ordering::Relaxed)
    }

    /// Closes this connection to make room for another.
    pub fn evict(&self) {
        self.evicted.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn write_progress(&self, blocked: bool) {
        let was = self.write_blocked.load(Ordering::Relaxed);
        if blocked && was == 0 {
            self.write_blocked.store(self.now() + 1, Ordering::Relaxed);
            self.wake.notify_one();
        } else if !blocked && was != 0 {
            self.write_blocked.store(0, Ordering::Relaxed);
        }
    }

    /// A request is being handled; the guard ends it when its response has been written.
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.enter(BUSY);
        Busy(self.clone())
    }

    /// The moment the connection is to be ended, and how; `None` while nothing is due.
    fn deadline(&self, timeouts: &Timeouts) -> Option<(u64, Expired)> {
        // The phase first: `enter` stores the time and then the phase, so the time read
        // after it is the phase's own (or a later one's, which only moves the deadline on).
        let phase = self.phase.load(Ordering::Acquire);
        let since = self.since.load(Ordering::Relaxed);
        let blocked = self.write_blocked.load(Ordering::Relaxed);
        let stall = |at: u64| at - 1 + millis(timeouts.stall);
        match phase {
            _ if self.evicted.load(Ordering::Relaxed) => Some((0, Expired::Stuck)),
            _ if blocked != 0 => Some((stall(blocked), Expired::Stuck)),
            IDLE if self.served_one.load(Ordering::Relaxed) => {
                Some((since + millis(timeouts.keep_alive), Expired::Idle))
            }
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

/// A request being handled; dropped when its handler has answered (or was abandoned).
pub struct Busy(Arc<Connection>);

impl Drop for Busy {
    fn drop(&mut self) {
        let connection = &self.0;
        connection.served_one.store(true, Ordering::Relaxed);
        if connection.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            connection.enter(IDLE);
            connection.wake.notify_one();
        }
    }
}

/// The client's socket, reporting its reads and writes to the watchdog, and holding the
/// connection's place until it is closed — after an upgrade to a WebSocket too.
pub struct Socket {
    stream: TcpStream,
    connection: Arc<Connection>,
    _permit: Permit,
}

impl Socket {
    pub fn new(stream: TcpStream, connection: Arc<Connection>, permit: Permit) -> Self {
        Self {
            stream,
            connection,
            _permit: permit,
        }
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.connection.read_some();
        }
        read
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.connection.write_progress(written.is_pending());
        written
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.connection.write_progress(written.is_pending());
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
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
        let connection = Connection::new();
        assert_eq!(
            due(&connection),
            Some((10_000, Expired::Stuck)),
            "a new connection"
        );
        std::thread::sleep(Duration::from_millis(5));
        connection.read_some();
        assert_eq!(
            connection.deadline(&TIMEOUTS).map(|(at, _)| at),
            Some(10_000),
            "its first head is due from the opening"
        );
        let busy = connection.begin();
        assert_eq!(due(&connection), None, "handled");
        connection.write_progress(true);
        assert_eq!(
            due(&connection),
            Some((60_000, Expired::Stuck)),
            "a stalled response"
        );
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
        assert!(!connection.evictable(), "it has been served");
    }

    #[test]
    fn only_connections_that_never_sent_a_request_are_evicted() {
        let connection = Connection::new();
        assert!(connection.evictable());
        connection.evict();
        assert!(!connection.evictable(), "once");
        assert_eq!(connection.deadline(&TIMEOUTS), Some((0, Expired::Stuck)));
        let busy = Connection::new();
        let request = busy.begin();
        assert!(!busy.evictable(), "a request in flight");
        drop(request);
        assert!(!busy.evictable(), "served");
    }

    #[tokio::test]
    async fn the_watchdog_wakes_for_a_head_that_begins_while_it_sleeps() {
        let timeouts = Timeouts {
            head: Duration::from_millis(50),
            keep_alive: Duration::from_secs(3600),
            stall: Duration::from_secs(3600),
        };
        let connection = Connection::new();
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
