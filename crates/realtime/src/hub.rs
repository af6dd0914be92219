//! The hub: this node's open sockets, by channel. Delivering a frame is one shared read of
//! the room table and, per socket, a non-blocking push into its bounded queue — no lock is
//! taken per delivery and no socket is ever awaited. A socket whose queue is full is closed
//! (4008) rather than allowed to slow anyone down or to grow without bound.

use crate::{Frame, Grant};
use pingme_domain::events::Event;
use pingme_domain::{AccountId, ChannelId, ServerId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::{Notify, mpsc};

/// Close codes sockets are closed with.
pub mod close_codes {
    /// The server is shutting down; reconnect (to another node).
    pub const GOING_AWAY: u16 = 1001;
    /// A frame over the size limit.
    pub const TOO_BIG: u16 = 1009;
    /// The client could not keep up with its channel.
    pub const TOO_SLOW: u16 = 4008;
    /// The account may no longer be there (left, kicked, banned, deleted).
    pub const FORBIDDEN: u16 = 4403;
    /// The channel or its server is gone.
    pub const GONE: u16 = 4404;
}

/// Why, and with which code, a socket is to be closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    pub code: u16,
    pub reason: &'static str,
}

/// The hub's side of one socket.
struct Subscriber {
    id: u64,
    server: ServerId,
    account: AccountId,
    /// What the socket was opened with.
    grant: Grant,
    queue: mpsc::Sender<Frame>,
    closing: Arc<Closing>,
}

/// A close requested from elsewhere, waited for by the socket's writer.
#[derive(Default)]
pub(crate) struct Closing {
    reason: OnceLock<Close>,
    notify: Notify,
}

impl Closing {
    pub(crate) fn close(&self, close: Close) {
        if self.reason.set(close).is_ok() {
            // Both of the socket's tasks may be waiting.
            self.notify.notify_waiters();
        }
    }
}

/// The socket's side: the frames it is to send, and how it learns it must close. The
/// socket stays registered in the hub until this is dropped.
pub struct Connection {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// The sending side of `frames`, for the socket's own answers: they then go out in one
    /// order with what the hub delivers.
    own: mpsc::Sender<Frame>,
    closing: Arc<Closing>,
    hub: Arc<Hub>,
    channel: ChannelId,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.hub.leave(self.channel, self.id);
    }
}

impl Connection {
    /// A handle on the socket's close, for its other task.
    pub fn handle(&self) -> CloseHandle {
        CloseHandle(self.closing.clone())
    }

    /// Completes when the hub wants this socket closed, with the code to use.
    pub async fn closed(&self) -> Close {
        self.handle().closed().await
    }

    /// Whether a close has been requested already.
    pub fn is_closing(&self) -> bool {
        self.closing.reason.get().is_some()
    }

    /// A way to put the socket's own frames (its error frames) in its queue, behind what the
    /// hub has delivered to it so far: a frame it answers after its own message was
    /// broadcast leaves after that message.
    pub fn own_frames(&self) -> mpsc::Sender<Frame> {
        self.own.clone()
    }
}

/// Asks for, or waits for, a socket's close. The first request wins.
#[derive(Clone)]
pub struct CloseHandle(pub(crate) Arc<Closing>);

impl CloseHandle {
    pub async fn closed(&self) -> Close {
        loop {
            let notified = self.0.notify.notified();
            if let Some(close) = self.0.reason.get() {
                return close.clone();
            }
            notified.await;
        }
    }

    pub fn close(&self, close: Close) {
        self.0.close(close);
    }

    pub fn is_closing(&self) -> bool {
        self.0.reason.get().is_some()
    }
}

#[derive(Default)]
pub struct Hub {
    rooms: RwLock<HashMap<ChannelId, Vec<Subscriber>>>,
    next_id: AtomicU64,
    /// Set by [`Hub::close_all`]: sockets that join afterwards are closed at once.
    stopping: OnceLock<Close>,
}

impl Hub {
    /// Registers a socket in a channel, opened by `account` with a token of `grant`,
    /// with room for `capacity` frames in its queue.
    pub fn join(
        self: &Arc<Self>,
        (server, channel): (ServerId, ChannelId),
        (account, grant): (AccountId, impl Into<Grant>),
        capacity: usize,
    ) -> Connection {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, frames) = mpsc::channel(capacity.max(1));
        let closing = Arc::new(Closing::default());
        let subscriber = Subscriber {
            id,
            server,
            account,
            grant: grant.into(),
            queue: queue.clone(),
            closing: closing.clone(),
        };
        self.write().entry(channel).or_default().push(subscriber);
        // Checked once registered: a `close_all` running meanwhile either finds this socket
        // or has already set `stopping`.
        if let Some(close) = self.stopping.get() {
            closing.close(close.clone());
        }
        Connection {
            id,
            frames,
            own: queue,
            closing,
            hub: self.clone(),
            channel,
        }
    }

    /// Forgets a socket (its connection was dropped).
    fn leave(&self, channel: ChannelId, id: u64) {
        let mut rooms = self.write();
        if let Some(room) = rooms.get_mut(&channel) {
            room.retain(|s| s.id != id);
            if room.is_empty() {
                rooms.remove(&channel);
            }
        }
    }

    /// Hands a frame to every socket of the channel (but `except`'s).
    pub fn deliver(&self, channel: ChannelId, frame: &Frame, except: Option<AccountId>) {
        let rooms = self.read();
        let Some(room) = rooms.get(&channel) else {
            return;
        };
        for subscriber in room.iter().filter(|s| Some(s.account) != except) {
            match subscriber.queue.try_send(frame.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => subscriber.closing.close(Close {
                    code: close_codes::TOO_SLOW,
                    reason: "too slow: the server's queue for this socket is full",
                }),
                // The socket is going away; its own task unregisters it.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
    }

    /// Carries out an event on this node's sockets.
    pub fn apply(&self, event: &Event) {
        match event {
            Event::ChannelFrame {
                channel,
                frame,
                except,
            } => {
                self.deliver(*channel, &Frame::from(&**frame), *except);
            }
            Event::MemberRemoved { server, account } => self.close_where(
                |s| s.server == *server && s.account == *account,
                close(close_codes::FORBIDDEN, "no longer a member of this server"),
            ),
            Event::ChannelDeleted { channel, .. } => {
                let rooms = self.read();
                for subscriber in rooms.get(channel).into_iter().flatten() {
                    subscriber
                        .closing
                        .close(close(close_codes::GONE, "the channel was deleted"));
                }
            }
            Event::ServerDeleted { server } => self.close_where(
                |s| s.server == *server,
                close(close_codes::GONE, "the server was deleted"),
            ),
            Event::AccountDeleted { account } => self.close_where(
                |s| s.account == *account,
                close(close_codes::FORBIDDEN, "the account was deleted"),
            ),
            Event::AccountSignedOut { account } => self.close_where(
                |s| s.account == *account,
                close(
                    close_codes::FORBIDDEN,
                    "signed out: the account's tokens were revoked",
                ),
            ),
            Event::SessionsEnded { account, sessions } => self.close_where(
                |s| s.account == *account && s.grant.ended_by(sessions),
                close(close_codes::FORBIDDEN, "logged out"),
            ),
            Event::AccountChanged { .. } | Event::Dispatch(_) => {}
        }
    }

    /// Every account with sockets on this node, with the grants they were opened with (each
    /// pair once).
    pub fn seated(&self) -> Vec<(AccountId, Grant)> {
        let mut seated: Vec<(AccountId, Grant)> = self
            .read()
            .values()
            .flatten()
            .map(|s| (s.account, s.grant.clone()))
            .collect();
        seated.sort_unstable();
        seated.dedup();
        seated
    }

    /// Closes the sockets `account` opened with `grant` (all of its sockets with `None`): the
    /// account may no longer use it.
    pub fn sign_out(&self, account: AccountId, grant: Option<&Grant>) {
        self.close_where(
            |s| s.account == account && grant.is_none_or(|g| *g == s.grant),
            close(
                close_codes::FORBIDDEN,
                "signed out: the account may no longer use this token",
            ),
        );
    }

    /// Asks every socket to close, and every one that joins from now on (shutdown).
    pub fn close_all(&self, code: u16, reason: &'static str) {
        let _ = self.stopping.set(Close { code, reason });
        self.close_where(|_| true, Close { code, reason });
    }

    /// Waits until no socket is left, or `deadline`; whether none is.
    pub async fn drained_by(&self, deadline: tokio::time::Instant) -> bool {
        while self.connections() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        true
    }

    /// How many sockets are open on this node.
    pub fn connections(&self) -> usize {
        self.read().values().map(Vec::len).sum()
    }

    fn close_where(&self, matches: impl Fn(&Subscriber) -> bool, reason: Close) {
        for subscriber in self.read().values().flatten().filter(|s| matches(s)) {
            subscriber.closing.close(reason.clone());
        }
    }

    // A panic while the table was held cannot leave it half-changed (every change is one
    // call), so a poisoned lock is safe to keep using.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<ChannelId, Vec<Subscriber>>> {
        self.rooms
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<ChannelId, Vec<Subscriber>>> {
        self.rooms
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn close(code: u16, reason: &'static str) -> Close {
    Close { code, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const SERVER: ServerId = ServerId(1);
    const CHANNEL: ChannelId = ChannelId(10);

    fn frame(text: &str) -> Frame {
        Frame::from(text.to_owned())
    }

    #[tokio::test]
    async fn frames_reach_every_socket_of_the_channel_but_the_excepted_account() {
        let hub = Arc::new(Hub::default());
        let mut a = hub.join((SERVER, CHANNEL), (AccountId(1), 0), 8);
        let mut b = hub.join((SERVER, CHANNEL), (AccountId(2), 0), 8);
        let mut elsewhere = hub.join((SERVER, ChannelId(11)), (AccountId(1), 0), 8);
        hub.deliver(CHANNEL, &frame("one"), None);
        hub.deliver(CHANNEL, &frame("two"), Some(AccountId(1)));
        assert_eq!(a.frames.recv().await.unwrap().as_str(), "one");
        assert_eq!(b.frames.recv().await.unwrap().as_str(), "one");
        assert_eq!(b.frames.recv().await.unwrap().as_str(), "two");
        assert!(a.frames.try_recv().is_err());
        assert!(elsewhere.frames.try_recv().is_err());
        assert_eq!(hub.connections(), 3);
        drop(a);
        assert_eq!(hub.connections(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_closes_its_socket_and_no_other() {
        let hub = Arc::new(Hub::default());
        let slow = hub.join((SERVER, CHANNEL), (AccountId(1), 0), 2);
        let mut fast = hub.join((SERVER, CHANNEL), (AccountId(2), 0), 8);
        for n in 0..3 {
            hub.deliver(CHANNEL, &frame(&n.to_string()), None);
            fast.frames.recv().await.unwrap();
        }
        let close = tokio::time::timeout(Duration::from_secs(1), slow.closed())
            .await
            .unwrap();
        assert_eq!(close.code, close_codes::TOO_SLOW);
        assert!(!fast.is_closing());
    }

    #[tokio::test]
    async fn removals_close_exactly_the_sockets_concerned() {
        let hub = Arc::new(Hub::default());
        let kicked = hub.join((SERVER, CHANNEL), (AccountId(1), 0), 8);
        let kicked_elsewhere = hub.join((ServerId(2), ChannelId(20)), (AccountId(1), 0), 8);
        let stays = hub.join((SERVER, CHANNEL), (AccountId(2), 0), 8);
        hub.apply(&Event::MemberRemoved {
            server: SERVER,
            account: AccountId(1),
        });
        assert_eq!(kicked.closed().await.code, close_codes::FORBIDDEN);
        assert!(!kicked_elsewhere.is_closing() && !stays.is_closing());
        hub.apply(&Event::ChannelDeleted {
            server: SERVER,
            channel: CHANNEL,
        });
        assert_eq!(stays.closed().await.code, close_codes::GONE);
        hub.apply(&Event::AccountDeleted {
            account: AccountId(1),
        });
        assert_eq!(kicked_elsewhere.closed().await.code, close_codes::FORBIDDEN);
        let last = hub.join((ServerId(3), ChannelId(30)), (AccountId(3), 0), 8);
        hub.close_all(close_codes::GOING_AWAY, "bye");
        assert_eq!(last.closed().await.code, close_codes::GOING_AWAY);
    }

    #[tokio::test]
    async fn after_close_all_joiners_are_closed_and_the_hub_drains() {
        let hub = Arc::new(Hub::default());
        let before = hub.join((SERVER, CHANNEL), (AccountId(1), 0), 8);
        hub.close_all(close_codes::GOING_AWAY, "bye");
        let after = hub.join((SERVER, CHANNEL), (AccountId(2), 0), 8);
        assert_eq!(before.closed().await.code, close_codes::GOING_AWAY);
        assert_eq!(after.closed().await.code, close_codes::GOING_AWAY);
        let soon = tokio::time::Instant::now() + Duration::from_millis(50);
        assert!(!hub.drained_by(soon).await, "two sockets are still open");
        drop((before, after));
        assert!(hub.drained_by(soon).await);
    }
}
