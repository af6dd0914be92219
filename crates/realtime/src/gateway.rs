//! The gateway hub: this node's gateway sessions (`GET /api/gateway/`), each one person's one
//! connection for everything they may see. A dispatch reaches the sessions of its audience (the
//! members of a server, or one account) and is numbered in each session on its way in: `s`
//! grows by one per dispatch, per session.
//!
//! A session outlives its socket: when the socket goes, the session stays detached for
//! [`Limits::detached_for`], keeping its last [`Limits::replay`] dispatches, so that a client
//! resuming with the last `s` it saw gets exactly the dispatches after it, in order, then the
//! live ones. Where that cannot be done — the session is gone, or it missed more than it kept —
//! resuming is refused, never answered with a gap.
//!
//! Like the chat hub, delivering takes one shared read of the index and, per session, a short
//! lock of that session alone: the dispatch goes into the session's ring, which is both the
//! socket's queue (the socket takes what follows the last number it took) and what is kept
//! for a resume, and the socket's task is woken. A session with more than [`Limits::queue`]
//! not taken is closed (4008) and cannot be resumed. A heartbeat's number lets go of what the
//! client has: an idle session keeps nothing.

use crate::Grant;
use crate::hub::{Close, CloseHandle, Closing};
use pingme_domain::events::{Audience, Dispatch, Event, EventSink, Reach};
use pingme_domain::{AccountId, ServerId};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// Close codes of the gateway (the contract's, "Gateway").
pub mod gateway_close_codes {
    /// No `identify` or `resume` in time.
    pub const NOT_IDENTIFIED: u16 = 4001;
    /// Malformed frames, again and again.
    pub const MALFORMED: u16 = 4002;
    /// A missing, invalid or expired token.
    pub const BAD_TOKEN: u16 = 4003;
    /// The token was revoked (a password change, a deactivation, a logout) or the account
    /// deleted.
    pub const REVOKED: u16 = 4004;
    /// The client did not read fast enough.
    pub const TOO_SLOW: u16 = 4008;
    /// No heartbeat in time; the session may be resumed.
    pub const HEARTBEAT_MISSED: u16 = 4009;
}

/// The frame a session sends for a dispatch, numbered `seq`.
pub fn dispatch_frame(dispatch: &Dispatch, seq: u64) -> String {
    let mut frame = String::with_capacity(dispatch.data.len() + dispatch.event.len() + 48);
    frame.push_str("{\"op\":\"dispatch\",\"t\":\"");
    frame.push_str(&dispatch.event);
    frame.push_str("\",\"s\":");
    // Writing into a String cannot fail.
    let _ = write!(frame, "{seq}");
    frame.push_str(",\"d\":");
    frame.push_str(&dispatch.data);
    frame.push('}');
    frame
}

/// The most sessions of one account kept without a socket; the oldest goes first.
pub const MAX_DETACHED: usize = 16;

/// How much a session keeps for a resume, and for how long once its socket is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub replay: usize,
    pub detached_for: Duration,
    /// Dispatches waiting for one socket; past it the session is closed (4008).
    pub queue: usize,
}

impl Default for Limits {
    /// The contract's least: 1,000 dispatches, for 2 minutes.
    fn default() -> Self {
        Self {
            replay: 1000,
            detached_for: Duration::from_secs(120),
            queue: 1024,
        }
    }
}

/// What a session's socket is sent, in order.
#[derive(Clone, Debug)]
pub struct Numbered {
    pub seq: u64,
    pub dispatch: Arc<Dispatch>,
}

/// The socket's side of a session: the dispatches to send, and how it learns it must close.
/// Dropping it detaches the session (kept for a resume) unless it was closed for good.
///
/// The socket takes its dispatches from the session's replay ring, after the last number
/// it took: the ring is its queue too (no channel per session).
pub struct Attached {
    pub session: Arc<str>,
    pub account: AccountId,
    /// The last number given when the socket took the session over: a resume replays the
    /// dispatches up to it ([`Attached::missed`]), then says `resumed`.
    pub resumed_at: u64,
    held: Arc<Session>,
    closing: Arc<Closing>,
    hub: Arc<GatewayHub>,
}

impl Attached {
    pub fn handle(&self) -> CloseHandle {
        CloseHandle(self.closing.clone())
    }

    /// For a resume: the dispatches the client missed, up to [`Attached::resumed_at`];
    /// `None` if the session is no longer this socket's (ended, or taken over again).
    pub fn missed(&self) -> Option<Vec<Numbered>> {
        self.take(usize::MAX, Some(self.resumed_at))
    }

    /// Up to `max` dispatches the socket has not taken yet, waiting for one. Cancel-safe:
    /// nothing is taken unless it is returned. Never returns once the session is no longer
    /// this socket's (its close says why).
    pub async fn next(&self, max: usize) -> Vec<Numbered> {
        std::future::poll_fn(|cx| match self.take_or_wait(max, None, Some(cx.waker())) {
            Some(taken) if !taken.is_empty() => Poll::Ready(taken),
            _ => Poll::Pending,
        })
        .await
    }

    /// Up to `max` dispatches the socket has not taken yet (up to number `through`), without
    /// waiting; `None` once the session is no longer this socket's.
    pub fn take(&self, max: usize, through: Option<u64>) -> Option<Vec<Numbered>> {
        self.take_or_wait(max, through, None)
    }

    /// What [`Attached::take`] gives; when that is nothing, `waker` (if any) is woken by the
    /// next dispatch: registered under the session's lock, so none is missed.
    fn take_or_wait(
        &self,
        max: usize,
        through: Option<u64>,
        waker: Option<&Waker>,
    ) -> Option<Vec<Numbered>> {
        let mut state = lock(&self.held.state);
        let state = &mut *state;
        let outlet = outlet_of(&mut state.socket, &self.closing)?;
        let through = through.map_or(state.seq, |t| t.min(state.seq));
        let taken = state.replay.between(outlet.sent, through, max);
        match (taken.last(), waker) {
            (Some(last), _) => outlet.sent = last.seq,
            (None, Some(waker)) => {
                if !outlet.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    outlet.waker = Some(waker.clone());
                }
            }
            (None, None) => {}
        }
        Some(taken)
    }

    /// The client has every dispatch up to `seq` (its heartbeat said so): they need not be
    /// kept for a resume any more, which may then start from `seq` at the earliest. Numbers
    /// not sent to this socket yet are not taken as had.
    pub fn acknowledge(&self, seq: u64) {
        let mut state = lock(&self.held.state);
        let state = &mut *state;
        if let Some(outlet) = outlet_of(&mut state.socket, &self.closing) {
            let had = seq.min(outlet.sent);
            state.replay.forget_through(had);
        }
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.hub.detach(&self.held, &self.closing);
    }
}

/// Why a session cannot be resumed: the client identifies anew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSession;

/// What numbers a session's dispatches: who it is, the last number given and the servers it
/// sees. A checkpoint of it, and the dispatches after, give the same numbers on any node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    pub session: Arc<str>,
    pub account: AccountId,
    pub grant: Grant,
    pub seq: u64,
    pub servers: Vec<ServerId>,
    /// The servers joined (`true`) or left since the session was registered, until it is
    /// settled (see [`GatewayHub::set_servers`]).
    pub changed: Vec<(ServerId, bool)>,
}

impl Seat {
    /// The servers read again, as [`GatewayHub::set_servers`] applies them.
    pub fn settle(&mut self, reading: &[ServerId]) {
        self.servers = settled(reading, &self.changed);
    }

    /// The number this session gives `dispatch`, if it gets it, exactly as the hub would
    /// ([`GatewayHub::deliver`]): a join applies before it, a leave after it.
    pub fn take(&mut self, dispatch: &Dispatch) -> Option<u64> {
        match dispatch.reach {
            Some(Reach::Join(account, server) | Reach::Leave(account, server))
                if account == self.account =>
            {
                let joined = matches!(dispatch.reach, Some(Reach::Join(..)));
                note_change(&mut self.changed, server, joined);
            }
            Some(Reach::Gone(server)) if self.servers.contains(&server) => {
                note_change(&mut self.changed, server, false);
            }
            _ => {}
        }
        if let Some(Reach::Join(account, server)) = dispatch.reach
            && account == self.account
            && !self.servers.contains(&server)
        {
            self.servers.push(server);
            self.servers.sort_unstable();
        }
        let audience = match &dispatch.audience {
            Audience::Server(server) => self.servers.contains(server),
            Audience::Account(account) => *account == self.account,
            Audience::People(account, servers) => {
                *account == self.account || servers.iter().any(|s| self.servers.contains(s))
            }
            Audience::Accounts(accounts) => accounts.contains(&self.account),
        };
        let gets = audience && !excepted(&self.session, self.account, dispatch);
        if gets {
            self.seq += 1;
        }
        match dispatch.reach {
            Some(Reach::Leave(account, server)) if account == self.account => {
                self.servers.retain(|s| *s != server);
            }
            Some(Reach::Gone(server)) => self.servers.retain(|s| *s != server),
            _ => {}
        }
        gets.then_some(self.seq)
    }
}

struct Session {
    id: Arc<str>,
    account: AccountId,
    grant: Grant,
    /// How many times it was taken over between nodes before it came here (0: opened here).
    generation: u64,
    state: Mutex<SessionState>,
}

struct SessionState {
    /// The last number given.
    seq: u64,
    servers: Vec<ServerId>,
    /// The servers joined (`true`) or left since the session was registered, latest only.
    changed: Vec<(ServerId, bool)>,
    /// The last dispatches, oldest first: those the socket has not taken yet, and those
    /// kept for a resume (the last [`Limits::replay`] not acknowledged by the client).
    replay: Ring,
    socket: Option<Outlet>,
    /// Since when no socket holds it.
    detached: Option<Instant>,
    /// Closed for good (too slow, signed out): it cannot be resumed.
    ended: bool,
}

/// The socket's outlet, if `closing` is still the session's socket's.
fn outlet_of<'a>(socket: &'a mut Option<Outlet>, closing: &Arc<Closing>) -> Option<&'a mut Outlet> {
    socket.as_mut().filter(|o| Arc::ptr_eq(&o.closing, closing))
}

/// The session's socket, as the hub sees it.
struct Outlet {
    closing: Arc<Closing>,
    /// The last number the socket took.
    sent: u64,
    /// The last number given when it took the session over: those up to it are the
    /// resume's replay, which is bounded by what is kept, not by the queue.
    resumed_at: u64,
    /// The socket's task, when it waits for a dispatch.
    waker: Option<Waker>,
}

impl Outlet {
    fn new(closing: Arc<Closing>, sent: u64, resumed_at: u64) -> Self {
        Self {
            closing,
            sent,
            resumed_at,
            waker: None,
        }
    }

    /// How many live dispatches (given after the takeover) wait for the socket.
    fn backlog(&self, seq: u64) -> u64 {
        seq - self.sent.max(self.resumed_at)
    }
}

#[derive(Default)]
struct Index {
    sessions: HashMap<Arc<str>, Arc<Session>>,
    by_server: HashMap<ServerId, Vec<Arc<Session>>>,
    by_account: HashMap<AccountId, Vec<Arc<Session>>>,
}

pub struct GatewayHub {
    index: RwLock<Index>,
    limits: Limits,
    /// Set by [`GatewayHub::close_all`]: sockets attached afterwards are closed at once.
    stopping: OnceLock<Close>,
}

impl GatewayHub {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            index: RwLock::new(Index::default()),
            limits,
            stopping: OnceLock::new(),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A new session for `account` (identified with a token of `grant`), seeing
    /// `servers`, attached to a socket. Its first number is 1, the `ready` the socket sends
    /// before any queued dispatch: dispatches are numbered from 2.
    pub fn open(
        self: &Arc<Self>,
        account: AccountId,
        grant: impl Into<Grant>,
        mut servers: Vec<ServerId>,
    ) -> Attached {
        servers.sort_unstable();
        servers.dedup();
        self.make_room(account);
        let id: Arc<str> = session_id().into();
        let closing = Arc::new(Closing::default());
        let session = Arc::new(Session {
            id: id.clone(),
            account,
            grant: grant.into(),
            generation: 0,
            state: Mutex::new(SessionState {
                seq: 1,
                servers: servers.clone(),
                changed: Vec::new(),
                replay: Ring::default(),
                socket: Some(Outlet::new(closing.clone(), 1, 1)),
                detached: None,
                ended: false,
            }),
        });
        let attached = self.attach(&session, closing, 1);
        let mut index = self.write();
        index.sessions.insert(id, session.clone());
        for server in servers {
            index
                .by_server
                .entry(server)
                .or_default()
                .push(session.clone());
        }
        index.by_account.entry(account).or_default().push(session);
        drop(index);
        self.close_if_stopping(&attached);
        attached
    }

    /// Forgets the account's oldest detached sessions past [`MAX_DETACHED`]: a client that
    /// identifies over and over without resuming cannot pile up sessions that each keep
    /// dispatches.
    fn make_room(&self, account: AccountId) {
        let mut detached: Vec<(Instant, Arc<Session>)> = self
            .read()
            .by_account
            .get(&account)
            .into_iter()
            .flatten()
            .filter_map(|s| lock(&s.state).detached.map(|since| (since, s.clone())))
            .collect();
        if detached.len() < MAX_DETACHED {
            return;
        }
        detached.sort_by_key(|(since, _)| *since);
        for (_, session) in &detached[..=detached.len() - MAX_DETACHED] {
            self.forget_if(session, |state| state.socket.is_none());
        }
    }

    /// Checked once a socket is in place: a `close_all` running meanwhile either finds it or
    /// has already set `stopping`.
    fn close_if_stopping(&self, attached: &Attached) {
        if let Some(close) = self.stopping.get() {
            attached.closing.close(close.clone());
        }
    }

    /// Makes the session see `servers`, read once it was registered, but for the servers it
    /// joined or left since it was registered: the dispatch that told of that is newer than
    /// or as new as the reading, and a later change will come as a dispatch too.
    pub fn set_servers(&self, session: &str, servers: &[ServerId]) {
        let mut index = self.write();
        let Some(found) = index.sessions.get(session).cloned() else {
            return;
        };
        let mut state = lock(&found.state);
        let now = settled(servers, &state.changed);
        let before = std::mem::replace(&mut state.servers, now.clone());
        drop(state);
        let servers = &now;
        for server in before.iter().filter(|s| !servers.contains(s)) {
            unindex(&mut index.by_server, *server, &found);
        }
        for server in servers.iter().filter(|s| !before.contains(s)) {
            index
                .by_server
                .entry(*server)
                .or_default()
                .push(found.clone());
        }
    }

    /// Takes a detached (or still attached: its socket may not have noticed it is gone yet)
    /// session over for a new socket, with the dispatches after `seq`.
    pub fn resume(
        self: &Arc<Self>,
        session: &str,
        account: AccountId,
        grant: impl Into<Grant>,
        seq: u64,
    ) -> Result<Attached, InvalidSession> {
        let found = self
            .read()
            .sessions
            .get(session)
            .cloned()
            .ok_or(InvalidSession)?;
        // A token of another account, or of the same one since signed out.
        if found.account != account || found.grant != grant.into() {
            return Err(InvalidSession);
        }
        let mut state = lock(&found.state);
        // Everything after `seq` must still be kept.
        let oldest_kept = state.replay.first().unwrap_or(state.seq + 1);
        if state.ended || seq > state.seq || (seq < state.seq && seq + 1 < oldest_kept) {
            return Err(InvalidSession);
        }
        let closing = Arc::new(Closing::default());
        let attached = self.attach(&found, closing.clone(), state.seq);
        let outlet = Outlet::new(closing, seq, state.seq);
        if let Some(old) = state.socket.replace(outlet) {
            old.closing.close(Close {
                code: 1000,
                reason: "resumed on another connection",
            });
        }
        state.detached = None;
        drop(state);
        self.close_if_stopping(&attached);
        Ok(attached)
    }

    /// Hands a dispatch to every session of its audience, numbering it in each. A join is
    /// applied just before it and a leave just after it, under one lock with it: no other
    /// dispatch of that server comes between.
    pub fn deliver(&self, dispatch: Arc<Dispatch>) {
        match dispatch.reach {
            None => push_to_audience(&self.read(), &dispatch, self),
            Some(reach) => {
                let mut index = self.write();
                if let Reach::Join(account, server) = reach {
                    reach_in(&mut index, Some(account), server, true);
                }
                push_to_audience(&index, &dispatch, self);
                match reach {
                    Reach::Leave(account, server) => {
                        reach_in(&mut index, Some(account), server, false);
                    }
                    Reach::Gone(server) => reach_in(&mut index, None, server, false),
                    Reach::Join(..) => {}
                }
            }
        }
    }

    /// Closes every session of the account for good, sockets and kept sessions alike
    /// (opened with `grant`, or with any grant with `None`).
    pub fn end_account(&self, account: AccountId, grant: Option<&Grant>, close: Close) {
        let sessions: Vec<Arc<Session>> = self
            .read()
            .by_account
            .get(&account)
            .into_iter()
            .flatten()
            .filter(|s| grant.is_none_or(|g| *g == s.grant))
            .cloned()
            .collect();
        for session in sessions {
            self.end(&session, close.clone());
        }
    }

    /// Ends one session for good (its socket could not keep up, or it may no longer be used).
    pub fn end_session(&self, session: &str, close: Close) {
        let found = self.read().sessions.get(session).cloned();
        if let Some(found) = found {
            self.end(&found, close);
        }
    }

    /// Every account with sessions on this node, with the grants they identified with (each
    /// pair once): what the periodic re-check looks at.
    pub fn seated(&self) -> Vec<(AccountId, Grant)> {
        let mut seated: Vec<(AccountId, Grant)> = self
            .read()
            .sessions
            .values()
            .map(|s| (s.account, s.grant.clone()))
            .collect();
        seated.sort_unstable();
        seated.dedup();
        seated
    }

    /// Closes every socket, and every one attached from now on (the node is stopping); the
    /// sessions may be resumed.
    pub fn close_all(&self, close: Close) {
        let _ = self.stopping.set(close.clone());
        for session in self.read().sessions.values() {
            if let Some(socket) = &lock(&session.state).socket {
                socket.closing.close(close.clone());
            }
        }
    }

    /// Forgets sessions detached for longer than the limit; how many are left.
    pub fn sweep(&self, now: Instant) -> usize {
        let expired: Vec<Arc<Session>> = self
            .read()
            .sessions
            .values()
            .filter(|s| {
                let state = lock(&s.state);
                state.ended
                    || state
                        .detached
                        .is_some_and(|since| now.duration_since(since) >= self.limits.detached_for)
            })
            .cloned()
            .collect();
        for session in &expired {
            self.forget_if(session, |state| {
                state.socket.is_none()
                    && (state.ended
                        || state.detached.is_some_and(|since| {
                            now.duration_since(since) >= self.limits.detached_for
                        }))
            });
        }
        self.read().sessions.len()
    }

    /// Waits until no session has a socket, or `deadline`; whether none has.
    pub async fn drained_by(&self, deadline: tokio::time::Instant) -> bool {
        while self.attached() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Every session not ended, as it stands: what a checkpoint records.
    pub fn seats(&self) -> Vec<Seat> {
        self.read().sessions.values().filter_map(seat_of).collect()
    }

    /// One session not ended, as it stands.
    pub fn seat(&self, session: &str) -> Option<Seat> {
        self.read().sessions.get(session).and_then(seat_of)
    }

    /// Whether this node holds the session (attached or waiting for a resume).
    pub fn holds(&self, session: &str) -> bool {
        self.read().sessions.contains_key(session)
    }

    /// Takes in a session numbered elsewhere (resumed from another node), attached to a new
    /// socket: `replay` is what it keeps for a later resume (and must hold every number after
    /// `seen`), `seen` the last number the client has: the socket sends those after it first.
    pub fn adopt(
        self: &Arc<Self>,
        seat: Seat,
        generation: u64,
        replay: VecDeque<Numbered>,
        seen: u64,
    ) -> Attached {
        // The oldest past the limit go, but never one the client has not seen.
        let had = replay.iter().take_while(|n| n.seq <= seen).count();
        let skip = replay.len().saturating_sub(self.limits.replay).min(had);
        let replay = Ring::of(replay.into_iter().skip(skip));
        let closing = Arc::new(Closing::default());
        let session = Arc::new(Session {
            id: seat.session.clone(),
            account: seat.account,
            grant: seat.grant.clone(),
            generation,
            state: Mutex::new(SessionState {
                seq: seat.seq,
                servers: seat.servers.clone(),
                changed: seat.changed.clone(),
                replay,
                socket: Some(Outlet::new(closing.clone(), seen, seat.seq)),
                detached: None,
                ended: false,
            }),
        });
        let attached = self.attach(&session, closing, seat.seq);
        self.make_room(seat.account);
        // The takeover that brought it here is the latest: a copy still here is stale.
        let stale = self.read().sessions.get(&seat.session).cloned();
        if let Some(stale) = stale {
            self.retire(&stale);
        }
        let mut index = self.write();
        index.sessions.insert(seat.session.clone(), session.clone());
        for server in &seat.servers {
            index
                .by_server
                .entry(*server)
                .or_default()
                .push(session.clone());
        }
        index
            .by_account
            .entry(seat.account)
            .or_default()
            .push(session);
        drop(index);
        self.close_if_stopping(&attached);
        attached
    }

    /// The session was resumed on another node (its `generation`-th takeover): its socket
    /// here closes and it is forgotten — unless what is here came from a later takeover (it
    /// came back).
    pub fn hand_over(&self, session: &str, generation: u64) -> bool {
        let Some(found) = self.read().sessions.get(session).cloned() else {
            return false;
        };
        if found.generation >= generation {
            return false;
        }
        self.retire(&found);
        true
    }

    /// The session's takeover number here, if it is here.
    pub fn generation(&self, session: &str) -> Option<u64> {
        self.read().sessions.get(session).map(|s| s.generation)
    }

    /// Closes the session's socket (it was resumed elsewhere) and forgets it.
    fn retire(&self, session: &Arc<Session>) {
        if let Some(socket) = lock(&session.state).socket.take() {
            socket.closing.close(Close {
                code: 1000,
                reason: "resumed on another connection",
            });
        }
        self.forget_if(session, |_| true);
    }

    /// Ends every session (what they would have been sent may be lost): their sockets close
    /// with `close`, and a resume is refused.
    pub fn end_all(&self, close: Close) {
        let sessions: Vec<Arc<Session>> = self.read().sessions.values().cloned().collect();
        for session in sessions {
            self.end(&session, close.clone());
        }
    }

    /// Sessions with a socket on this node.
    pub fn attached(&self) -> usize {
        let index = self.read();
        index
            .sessions
            .values()
            .filter(|s| lock(&s.state).socket.is_some())
            .count()
    }

    fn attach(
        self: &Arc<Self>,
        session: &Arc<Session>,
        closing: Arc<Closing>,
        resumed_at: u64,
    ) -> Attached {
        Attached {
            session: session.id.clone(),
            account: session.account,
            resumed_at,
            held: session.clone(),
            closing,
            hub: self.clone(),
        }
    }

    /// Numbers the dispatch in the session, keeps it, and wakes the socket; a socket that
    /// has more than [`Limits::queue`] not taken is too slow.
    fn push(&self, session: &Session, dispatch: &Arc<Dispatch>) {
        let mut guard = lock(&session.state);
        let state = &mut *guard;
        if state.ended {
            return;
        }
        state.seq += 1;
        state.replay.push(state.seq, dispatch);
        let sent = state.socket.as_ref().map(|s| s.sent);
        state.replay.keep(self.limits.replay, sent);
        let (full, waker) = match &mut state.socket {
            Some(socket) => (
                socket.backlog(state.seq) > self.limits.queue.max(1) as u64,
                socket.waker.take(),
            ),
            None => (false, None),
        };
        drop(guard);
        if let Some(waker) = waker {
            waker.wake();
        }
        if full {
            self.end(
                session,
                Close {
                    code: gateway_close_codes::TOO_SLOW,
                    reason: "too slow: the server's queue for this session is full",
                },
            );
        }
    }

    fn end(&self, session: &Session, close: Close) {
        let mut state = lock(&session.state);
        state.ended = true;
        state.replay.clear();
        if let Some(socket) = state.socket.take() {
            socket.closing.close(close);
        }
    }

    /// The socket `closing` belonged to is gone: the session waits for a resume, unless it
    /// was ended, or another socket has taken it over meanwhile.
    fn detach(&self, found: &Arc<Session>, closing: &Arc<Closing>) {
        let mut state = lock(&found.state);
        if state
            .socket
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(&s.closing, closing))
        {
            state.socket = None;
            state.detached = Some(Instant::now());
        }
        let ended = state.ended;
        drop(state);
        if ended {
            self.forget_if(found, |state| state.ended && state.socket.is_none());
        }
    }

    /// Forgets the session if, checked under the index's lock, it still `may` be: a resume
    /// may have taken it over since it was found expired.
    fn forget_if(&self, session: &Arc<Session>, may: impl Fn(&SessionState) -> bool) {
        let mut index = self.write();
        let servers = {
            let state = lock(&session.state);
            if !may(&state) {
                return;
            }
            state.servers.clone()
        };
        // Another session of that id may have been adopted since: it stays.
        if index
            .sessions
            .get(&session.id)
            .is_some_and(|s| Arc::ptr_eq(s, session))
        {
            index.sessions.remove(&session.id);
        }
        for server in servers {
            unindex(&mut index.by_server, server, session);
        }
        if let Some(list) = index.by_account.get_mut(&session.account) {
            list.retain(|s| !Arc::ptr_eq(s, session));
            if list.is_empty() {
                index.by_account.remove(&session.account);
            }
        }
    }

    // A panic while the index was held cannot leave it half-changed in a way that matters
    // (a session indexed under one server too many receives a dispatch it then skips), so a
    // poisoned lock is safe to keep using.
    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the gateway's sessions make of the installation's events, on every node.
impl EventSink for GatewayHub {
    fn apply(&self, event: &Event) {
        let revoked = |reason| Close {
            code: gateway_close_codes::REVOKED,
            reason,
        };
        match event {
            Event::Dispatch(dispatch) => self.deliver(dispatch.clone()),
            Event::AccountDeleted { account } => {
                self.end_account(*account, None, revoked("the account was deleted"));
            }
            Event::AccountSignedOut { account } => self.end_account(
                *account,
                None,
                revoked("signed out: the account's tokens were revoked"),
            ),
            Event::SessionsEnded { account, sessions } => {
                let ended: Vec<Arc<Session>> = self
                    .read()
                    .by_account
                    .get(account)
                    .into_iter()
                    .flatten()
                    .filter(|s| s.grant.ended_by(sessions))
                    .cloned()
                    .collect();
                for session in ended {
                    self.end(&session, revoked("logged out"));
                }
            }
            _ => {}
        }
    }
}

/// A session's last dispatches: those its socket has not taken yet and those kept for a
/// resume. Consecutive numbers, so only the first is kept beside them (a pointer a dispatch,
/// half of what [`Numbered`]s would take: a busy session keeps 1,000).
#[derive(Default)]
struct Ring {
    /// The number of the oldest kept.
    first: u64,
    dispatches: VecDeque<Arc<Dispatch>>,
}

impl Ring {
    /// Keeps the dispatch numbered `seq`. A number that does not follow the last kept (never
    /// given so) starts the ring over rather than misnumber what it holds.
    fn push(&mut self, seq: u64, dispatch: &Arc<Dispatch>) {
        debug_assert!(
            self.dispatches.is_empty() || seq == self.first + self.dispatches.len() as u64,
            "numbers are given one after another"
        );
        if self.dispatches.is_empty() || seq != self.first + self.dispatches.len() as u64 {
            self.dispatches.clear();
            self.first = seq;
        }
        self.dispatches.push_back(dispatch.clone());
    }

    /// Lets the oldest go past `limit` kept, but none after `sent` (the socket has yet to
    /// take them; `None`: no socket).
    fn keep(&mut self, limit: usize, sent: Option<u64>) {
        while self.dispatches.len() > limit.max(1) && sent.is_none_or(|s| self.first <= s) {
            self.dispatches.pop_front();
            self.first += 1;
        }
    }

    fn of(numbered: impl Iterator<Item = Numbered>) -> Self {
        let mut ring = Self::default();
        for n in numbered {
            ring.push(n.seq, &n.dispatch);
        }
        ring
    }

    /// The number of the oldest kept, if any is.
    fn first(&self) -> Option<u64> {
        (!self.dispatches.is_empty()).then_some(self.first)
    }

    /// Those kept numbered after `after` and up to `through`, in order, at most `max`.
    fn between(&self, after: u64, through: u64, max: usize) -> Vec<Numbered> {
        let (skip, end) = (self.count_through(after), self.count_through(through));
        let count = end.saturating_sub(skip).min(max);
        self.dispatches
            .range(skip..skip + count)
            .enumerate()
            .map(|(i, dispatch)| Numbered {
                seq: self.first + (skip + i) as u64,
                dispatch: dispatch.clone(),
            })
            .collect()
    }

    /// How many of those kept are numbered up to `seq`.
    fn count_through(&self, seq: u64) -> usize {
        let len = self.dispatches.len();
        seq.checked_sub(self.first).map_or(0, |kept_up_to| {
            usize::try_from(kept_up_to + 1).map_or(len, |n| n.min(len))
        })
    }

    /// Lets go of those numbered up to `seq`, and of the memory they took.
    fn forget_through(&mut self, seq: u64) {
        while self.first().is_some_and(|first| first <= seq) {
            self.dispatches.pop_front();
            self.first += 1;
        }
        let (len, capacity) = (self.dispatches.len(), self.dispatches.capacity());
        if len == 0 {
            self.dispatches = VecDeque::new();
        } else if capacity > 16 && len < capacity / 4 {
            self.dispatches.shrink_to(len * 2);
        }
    }

    fn clear(&mut self) {
        self.dispatches = VecDeque::new();
    }
}

/// A session as a checkpoint records it, unless it ended.
fn seat_of(session: &Arc<Session>) -> Option<Seat> {
    let state = lock(&session.state);
    (!state.ended).then(|| Seat {
        session: session.id.clone(),
        account: session.account,
        grant: session.grant.clone(),
        seq: state.seq,
        servers: state.servers.clone(),
        changed: state.changed.clone(),
    })
}

/// Pushes a dispatch to each session of its audience but those it excepts.
fn push_to_audience(index: &Index, dispatch: &Arc<Dispatch>, hub: &GatewayHub) {
    let sessions = match &dispatch.audience {
        Audience::Server(server) => index.by_server.get(server),
        Audience::Account(account) => index.by_account.get(account),
        Audience::People(account, servers) => {
            return push_to_people(index, dispatch, hub, *account, servers);
        }
        Audience::Accounts(accounts) => {
            for account in accounts.iter() {
                push_to(index.by_account.get(account), dispatch, hub);
            }
            return;
        }
    };
    push_to(sessions, dispatch, hub);
}

fn push_to<'a>(
    sessions: Option<impl IntoIterator<Item = &'a Arc<Session>>>,
    dispatch: &Arc<Dispatch>,
    hub: &GatewayHub,
) {
    for session in sessions.into_iter().flatten() {
        if !excepted(&session.id, session.account, dispatch) {
            hub.push(session, dispatch);
        }
    }
}

/// Pushes a dispatch once to each session of the account and of the servers' members.
fn push_to_people(
    index: &Index,
    dispatch: &Arc<Dispatch>,
    hub: &GatewayHub,
    account: AccountId,
    servers: &[ServerId],
) {
    let mut seen: std::collections::HashSet<*const Session> = std::collections::HashSet::new();
    let sessions = index
        .by_account
        .get(&account)
        .into_iter()
        .chain(servers.iter().filter_map(|s| index.by_server.get(s)))
        .flatten();
    for session in sessions {
        if seen.insert(Arc::as_ptr(session)) && !excepted(&session.id, session.account, dispatch) {
            hub.push(session, dispatch);
        }
    }
}

/// Whether the dispatch leaves that session of its audience out.
fn excepted(session: &str, account: AccountId, dispatch: &Dispatch) -> bool {
    Some(account) == dispatch.except_account || dispatch.except_session.as_deref() == Some(session)
}

/// `account`'s sessions (everyone's with `None`) start or stop seeing `server`; each
/// remembers that it changed, so that a reading of its servers older than the change does not
/// undo it ([`GatewayHub::set_servers`]).
fn reach_in(index: &mut Index, account: Option<AccountId>, server: ServerId, join: bool) {
    let sessions: Vec<Arc<Session>> = match account {
        Some(account) => index
            .by_account
            .get(&account)
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        None => index
            .by_server
            .get(&server)
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
    };
    for session in sessions {
        let mut state = lock(&session.state);
        note_change(&mut state.changed, server, join);
        let seen = state.servers.contains(&server);
        if join && !seen {
            state.servers.push(server);
            index
                .by_server
                .entry(server)
                .or_default()
                .push(session.clone());
        } else if !join && seen {
            state.servers.retain(|s| *s != server);
            drop(state);
            unindex(&mut index.by_server, server, &session);
        }
    }
}

/// The servers a session sees after a reading of them: the reading, but for the servers it
/// joined or left since it was registered (the dispatch that told of it is at least as new
/// as the reading).
fn settled(reading: &[ServerId], changed: &[(ServerId, bool)]) -> Vec<ServerId> {
    let mut now: Vec<ServerId> = reading
        .iter()
        .copied()
        .filter(|s| !changed.iter().any(|(c, _)| c == s))
        .collect();
    now.extend(
        changed
            .iter()
            .filter(|(_, joined)| *joined)
            .map(|(s, _)| *s),
    );
    now.sort_unstable();
    now.dedup();
    now
}

/// Remembers the latest change of reach of one server.
fn note_change(changed: &mut Vec<(ServerId, bool)>, server: ServerId, joined: bool) {
    changed.retain(|(s, _)| *s != server);
    changed.push((server, joined));
}

fn lock(state: &Mutex<SessionState>) -> MutexGuard<'_, SessionState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn unindex(
    by_server: &mut HashMap<ServerId, Vec<Arc<Session>>>,
    server: ServerId,
    session: &Arc<Session>,
) {
    if let Some(list) = by_server.get_mut(&server) {
        list.retain(|s| !Arc::ptr_eq(s, session));
        if list.is_empty() {
            by_server.remove(&server);
        }
    }
}

/// 128 random bits in hex: not guessable, so a session can only be resumed by whoever was
/// told its id (and holds a token of its account).
fn session_id() -> String {
    crate::random::random_hex::<16>()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: AccountId = AccountId(1);
    const BOB: AccountId = AccountId(2);
    const CHAT: ServerId = ServerId(10);
    const OTHER: ServerId = ServerId(11);

    fn hub(replay: usize, queue: usize) -> Arc<GatewayHub> {
        GatewayHub::new(Limits {
            replay,
            detached_for: Duration::from_secs(120),
            queue,
        })
    }

    fn dispatch(event: &'static str, audience: Audience) -> Arc<Dispatch> {
        Arc::new(Dispatch::to(
            audience,
            event,
            format!("{{\"n\":\"{event}\"}}"),
        ))
    }

    /// `(seq, event)` of everything waiting for the socket.
    fn received(attached: &mut Attached) -> Vec<(u64, String)> {
        let all = attached.take(usize::MAX, None).unwrap_or_default();
        all.iter()
            .map(|n| (n.seq, n.dispatch.event.clone()))
            .collect()
    }

    fn seqs(numbered: Vec<Numbered>) -> Vec<u64> {
        numbered.iter().map(|n| n.seq).collect()
    }

    fn events(list: &[(u64, &str)]) -> Vec<(u64, String)> {
        list.iter().map(|(s, e)| (*s, (*e).to_owned())).collect()
    }

    #[test]
    fn a_frame_carries_its_sessions_number() {
        let d = dispatch("message_create", Audience::Server(CHAT));
        assert_eq!(
            dispatch_frame(&d, 7),
            r#"{"op":"dispatch","t":"message_create","s":7,"d":{"n":"message_create"}}"#
        );
    }

    #[test]
    fn each_session_numbers_what_its_audience_gets_from_2() {
        let hub = hub(1000, 16);
        let mut ann = hub.open(ANN, 0, vec![CHAT, OTHER, CHAT]);
        let mut bob = hub.open(BOB, 0, vec![CHAT]);
        hub.deliver(dispatch("a", Audience::Server(OTHER)));
        hub.deliver(dispatch("b", Audience::Server(CHAT)));
        hub.deliver(dispatch("c", Audience::Account(BOB)));
        let typing = Dispatch {
            except_account: Some(ANN),
            ..Arc::unwrap_or_clone(dispatch("typing", Audience::Server(CHAT)))
        };
        hub.deliver(Arc::new(typing));
        let ack = Dispatch {
            except_session: Some(ann.session.clone()),
            ..Arc::unwrap_or_clone(dispatch("read", Audience::Account(ANN)))
        };
        hub.deliver(Arc::new(ack));
        assert_eq!(received(&mut ann), events(&[(2, "a"), (3, "b")]));
        assert_eq!(
            received(&mut bob),
            events(&[(2, "b"), (3, "c"), (4, "typing")])
        );
    }

    #[test]
    fn a_session_that_came_back_ignores_an_older_handover() {
        let hub = hub(1000, 16);
        let seat = Seat {
            session: "s".into(),
            account: ANN,
            grant: Grant::from(0),
            seq: 5,
            servers: vec![CHAT],
            changed: vec![],
        };
        let mut first = hub.adopt(seat.clone(), 2, VecDeque::new(), 5);
        assert!(!hub.hand_over("s", 1), "the notice of its first takeover");
        assert!(
            !hub.hand_over("s", 2),
            "nor of the one that brought it here"
        );
        assert!(hub.holds("s"));
        // Adopted over the copy here (a later takeover): the copy is gone, its socket closed.
        let mut again = hub.adopt(seat, 3, VecDeque::new(), 5);
        assert!(first.handle().is_closing());
        hub.deliver(dispatch("d", Audience::Server(CHAT)));
        assert_eq!(received(&mut first), events(&[]));
        assert_eq!(received(&mut again), events(&[(6, "d")]));
        drop(first);
        assert!(
            hub.holds("s"),
            "the old socket's going leaves the new session"
        );
        assert!(hub.hand_over("s", 4));
        assert!(!hub.holds("s"));
    }

    #[test]
    fn people_get_a_dispatch_once_however_many_servers_they_share() {
        let hub = hub(1000, 16);
        let mut ann = hub.open(ANN, 0, vec![]);
        let mut bob = hub.open(BOB, 0, vec![CHAT, OTHER]);
        let mut stranger = hub.open(AccountId(3), 0, vec![ServerId(99)]);
        let people = Audience::People(ANN, vec![CHAT, OTHER].into());
        let d = dispatch("account_update", people);
        hub.deliver(d.clone());
        assert_eq!(received(&mut ann), events(&[(2, "account_update")]));
        assert_eq!(received(&mut bob), events(&[(2, "account_update")]));
        assert_eq!(received(&mut stranger), events(&[]));
        let mut seat = hub.seat(&bob.session).unwrap();
        seat.seq = 1;
        assert_eq!(seat.take(&d), Some(2), "a replay numbers it as the hub did");
    }

    #[test]
    fn a_joiner_gets_the_join_and_a_leaver_the_leave_and_nothing_after() {
        let hub = hub(1000, 16);
        let mut ann = hub.open(ANN, 0, vec![]);
        let mut bob = hub.open(BOB, 0, vec![CHAT]);
        let join = Dispatch {
            reach: Some(Reach::Join(ANN, CHAT)),
            ..Arc::unwrap_or_clone(dispatch("member_add", Audience::Server(CHAT)))
        };
        hub.deliver(Arc::new(join));
        hub.deliver(dispatch("message", Audience::Server(CHAT)));
        let leave = Dispatch {
            reach: Some(Reach::Leave(ANN, CHAT)),
            ..Arc::unwrap_or_clone(dispatch("member_remove", Audience::Server(CHAT)))
        };
        hub.deliver(Arc::new(leave));
        hub.deliver(dispatch("after", Audience::Server(CHAT)));
        assert_eq!(
            received(&mut ann),
            events(&[(2, "member_add"), (3, "message"), (4, "member_remove")])
        );
        assert_eq!(received(&mut bob).len(), 4);
    }

    #[test]
    fn a_join_or_a_leave_seen_live_outlives_an_older_reading() {
        let hub = hub(1000, 16);
        let mut ann = hub.open(ANN, 0, vec![CHAT]);
        let leave = Dispatch {
            reach: Some(Reach::Leave(ANN, CHAT)),
            ..Arc::unwrap_or_clone(dispatch("member_remove", Audience::Server(CHAT)))
        };
        hub.deliver(Arc::new(leave));
        let join = Dispatch {
            reach: Some(Reach::Join(ANN, OTHER)),
            ..Arc::unwrap_or_clone(dispatch("member_add", Audience::Server(OTHER)))
        };
        hub.deliver(Arc::new(join));
        // A reading made before the kick and the join: it undoes neither.
        hub.set_servers(&ann.session, &[CHAT]);
        hub.deliver(dispatch("chat", Audience::Server(CHAT)));
        hub.deliver(dispatch("other", Audience::Server(OTHER)));
        assert_eq!(
            received(&mut ann),
            events(&[(2, "member_remove"), (3, "member_add"), (4, "other")])
        );
    }

    #[test]
    fn an_account_keeps_a_bounded_number_of_detached_sessions() {
        let hub = hub(1000, 16);
        let first = hub.open(ANN, 0, vec![CHAT]).session.clone();
        for _ in 0..MAX_DETACHED {
            drop(hub.open(ANN, 0, vec![CHAT]));
        }
        assert_eq!(hub.sweep(Instant::now()), MAX_DETACHED);
        assert_eq!(
            hub.resume(&first, ANN, 0, 1).err(),
            Some(InvalidSession),
            "the oldest went"
        );
        assert_eq!(hub.seated(), [(ANN, Grant::from(0))]);
    }

    #[test]
    fn a_seat_numbers_dispatches_exactly_as_the_hub_does() {
        let hub = hub(1000, 64);
        let mut ann = hub.open(ANN, 0, vec![CHAT]);
        let mut seat = hub.seat(&ann.session).expect("a seat");
        let with = |reach, except_account, except_session: Option<&Arc<str>>, audience| {
            Arc::new(Dispatch {
                reach,
                except_account,
                except_session: except_session.cloned(),
                ..Arc::unwrap_or_clone(dispatch("d", audience))
            })
        };
        let all = [
            with(None, None, None, Audience::Server(CHAT)),
            with(None, None, None, Audience::Server(OTHER)),
            with(
                Some(Reach::Join(BOB, OTHER)),
                None,
                None,
                Audience::Server(OTHER),
            ),
            with(
                Some(Reach::Join(ANN, OTHER)),
                None,
                None,
                Audience::Server(OTHER),
            ),
            with(None, None, None, Audience::Server(OTHER)),
            with(None, Some(ANN), None, Audience::Server(OTHER)),
            with(None, None, Some(&ann.session), Audience::Account(ANN)),
            with(None, None, None, Audience::Account(ANN)),
            with(None, None, None, Audience::Account(BOB)),
            with(
                Some(Reach::Leave(ANN, CHAT)),
                None,
                None,
                Audience::Server(CHAT),
            ),
            with(None, None, None, Audience::Server(CHAT)),
            with(
                Some(Reach::Gone(OTHER)),
                None,
                None,
                Audience::Server(OTHER),
            ),
            with(None, None, None, Audience::Server(OTHER)),
            with(
                Some(Reach::Join(ANN, CHAT)),
                None,
                None,
                Audience::Server(CHAT),
            ),
            with(None, None, None, Audience::Server(CHAT)),
        ];
        let mut by_seat = Vec::new();
        for d in &all {
            hub.deliver(d.clone());
            by_seat.extend(seat.take(d));
        }
        let by_hub: Vec<u64> = received(&mut ann).iter().map(|(s, _)| *s).collect();
        assert_eq!(by_seat, by_hub);
        assert_eq!(by_hub, (2..=9).collect::<Vec<u64>>());
        assert_eq!(Some(seat), hub.seat(&ann.session));
    }

    #[test]
    fn servers_read_again_replace_the_first_reading() {
        let hub = hub(1000, 16);
        let mut ann = hub.open(ANN, 0, vec![CHAT]);
        hub.set_servers(&ann.session, &[OTHER]);
        hub.deliver(dispatch("chat", Audience::Server(CHAT)));
        hub.deliver(dispatch("other", Audience::Server(OTHER)));
        assert_eq!(received(&mut ann), events(&[(2, "other")]));
    }

    #[test]
    fn a_resume_gets_exactly_what_was_missed_then_the_live_ones() {
        let hub = hub(1000, 16);
        let mut first = hub.open(ANN, 0, vec![CHAT]);
        hub.deliver(dispatch("seen", Audience::Server(CHAT)));
        assert_eq!(received(&mut first), events(&[(2, "seen")]));
        hub.deliver(dispatch("unread", Audience::Server(CHAT)));
        let session = first.session.clone();
        drop(first);
        assert_eq!(hub.attached(), 0);
        hub.deliver(dispatch("away 1", Audience::Server(CHAT)));
        hub.deliver(dispatch("away 2", Audience::Server(CHAT)));
        let mut back = hub.resume(&session, ANN, 0, 2).expect("resumable");
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        assert_eq!(
            received(&mut back),
            events(&[(3, "unread"), (4, "away 1"), (5, "away 2"), (6, "live")])
        );
        assert_eq!(hub.attached(), 1);
        assert_eq!(
            hub.resume(&session, BOB, 0, 6).err(),
            Some(InvalidSession),
            "another account"
        );
        assert_eq!(
            hub.resume(&session, ANN, 1, 6).err(),
            Some(InvalidSession),
            "a token of another version (signed out since)"
        );
        assert_eq!(hub.resume("nope", ANN, 0, 6).err(), Some(InvalidSession));
        assert_eq!(
            hub.resume(&session, ANN, 0, 7).err(),
            Some(InvalidSession),
            "a number never given"
        );
    }

    #[tokio::test]
    async fn resuming_a_session_still_attached_closes_its_old_socket() {
        let hub = hub(1000, 16);
        let old = hub.open(ANN, 0, vec![CHAT]);
        hub.deliver(dispatch("one", Audience::Server(CHAT)));
        let mut new = hub.resume(&old.session, ANN, 0, 1).expect("resumable");
        assert_eq!(old.handle().closed().await.code, 1000);
        drop(old);
        hub.deliver(dispatch("two", Audience::Server(CHAT)));
        assert_eq!(received(&mut new), events(&[(2, "one"), (3, "two")]));
        assert_eq!(
            hub.attached(),
            1,
            "the old socket's going did not detach the new one"
        );
    }

    #[test]
    fn a_session_that_missed_more_than_it_keeps_is_not_resumed() {
        let hub = hub(3, 16);
        let first = hub.open(ANN, 0, vec![CHAT]);
        let session = first.session.clone();
        drop(first);
        for _ in 0..4 {
            hub.deliver(dispatch("away", Audience::Server(CHAT)));
        }
        // 2..=5 were given, 3..=5 kept: from 2 on, one is missing.
        assert_eq!(hub.resume(&session, ANN, 0, 1).err(), Some(InvalidSession));
        let mut back = hub
            .resume(&session, ANN, 0, 2)
            .expect("everything after 2 is kept");
        assert_eq!(
            received(&mut back),
            events(&[(3, "away"), (4, "away"), (5, "away")])
        );
    }

    #[tokio::test]
    async fn a_full_queue_ends_the_session_for_good() {
        let hub = hub(1000, 1);
        let slow = hub.open(ANN, 0, vec![CHAT]);
        hub.deliver(dispatch("one", Audience::Server(CHAT)));
        hub.deliver(dispatch("two", Audience::Server(CHAT)));
        assert_eq!(
            slow.handle().closed().await.code,
            gateway_close_codes::TOO_SLOW
        );
        let session = slow.session.clone();
        drop(slow);
        assert_eq!(hub.resume(&session, ANN, 1, 1).err(), Some(InvalidSession));
        assert_eq!(hub.sweep(Instant::now()), 0);
    }

    #[tokio::test]
    async fn signing_out_ends_the_accounts_sessions_of_that_token_version() {
        let hub = hub(1000, 16);
        let old = hub.open(ANN, 1, vec![CHAT]);
        let current = hub.open(ANN, 2, vec![CHAT]);
        let revoked = Close {
            code: gateway_close_codes::REVOKED,
            reason: "revoked",
        };
        hub.end_account(ANN, Some(&Grant::from(1)), revoked.clone());
        assert_eq!(old.handle().closed().await, revoked);
        assert!(!current.handle().is_closing());
        let session = old.session.clone();
        drop(old);
        assert_eq!(hub.resume(&session, ANN, 0, 1).err(), Some(InvalidSession));
    }

    #[test]
    fn the_ring_keeps_the_last_numbers_and_gives_those_between_any_two() {
        let d = Arc::new(Dispatch::to(Audience::Server(CHAT), "t", "{}".into()));
        let numbered = |seq| Numbered {
            seq,
            dispatch: d.clone(),
        };
        let seqs = |v: Vec<Numbered>| v.iter().map(|n| n.seq).collect::<Vec<_>>();
        let mut ring = Ring::default();
        assert_eq!(ring.first(), None);
        assert!(ring.between(0, 100, 10).is_empty());
        for seq in 2..=8 {
            ring.push(seq, &d);
            ring.keep(4, None);
        }
        assert_eq!(ring.first(), Some(5));
        assert_eq!(seqs(ring.between(6, 8, 10)), [7, 8]);
        assert_eq!(seqs(ring.between(1, 8, 10)), [5, 6, 7, 8]);
        assert_eq!(seqs(ring.between(1, 6, 10)), [5, 6]);
        assert_eq!(seqs(ring.between(4, 8, 2)), [5, 6]);
        assert!(ring.between(8, 8, 10).is_empty());
        assert!(ring.between(100, 200, 10).is_empty());
        // Past the limit, those a socket has not taken stay.
        ring.push(9, &d);
        ring.keep(4, Some(5));
        assert_eq!(seqs(ring.between(0, 9, 10)), [6, 7, 8, 9]);
        ring.push(10, &d);
        ring.keep(4, Some(5));
        assert_eq!(ring.first(), Some(6), "6 is not taken yet");
        ring.forget_through(8);
        assert_eq!(seqs(ring.between(0, 10, 10)), [9, 10]);
        ring.forget_through(10);
        assert_eq!((ring.first(), ring.dispatches.capacity()), (None, 0));
        ring.push(20, &d);
        assert_eq!(
            (ring.first(), seqs(ring.between(0, 30, 10))),
            (Some(20), vec![20]),
            "an emptied ring starts at the next number"
        );
        let adopted = Ring::of((3..6).map(numbered));
        assert_eq!(seqs(adopted.between(3, 5, 10)), [4, 5]);
    }

    #[tokio::test]
    async fn a_waiting_socket_is_woken_by_a_dispatch() {
        let hub = hub(1000, 16);
        let ann = hub.open(ANN, 0, vec![CHAT]);
        let waiting = tokio::spawn(async move {
            let first = ann.next(64).await;
            (first, ann)
        });
        tokio::task::yield_now().await;
        hub.deliver(dispatch("one", Audience::Server(CHAT)));
        let (first, ann) = waiting.await.unwrap();
        assert_eq!(first.iter().map(|n| n.seq).collect::<Vec<_>>(), [2]);
        hub.deliver(dispatch("two", Audience::Server(CHAT)));
        hub.deliver(dispatch("three", Audience::Server(CHAT)));
        let batch = ann.next(1).await;
        assert_eq!(batch.iter().map(|n| n.seq).collect::<Vec<_>>(), [3]);
        let batch = ann.next(64).await;
        assert_eq!(batch.iter().map(|n| n.seq).collect::<Vec<_>>(), [4]);
    }

    #[test]
    fn what_the_client_acknowledged_is_let_go_and_not_resumed_from() {
        let hub = hub(1000, 16);
        let mut ann = hub.open(ANN, 0, vec![CHAT]);
        for _ in 0..3 {
            hub.deliver(dispatch("d", Audience::Server(CHAT)));
        }
        let taken = ann.take(2, None).unwrap();
        assert_eq!(taken.iter().map(|n| n.seq).collect::<Vec<_>>(), [2, 3]);
        // 4 was never sent: a heartbeat saying so is taken as far as 3.
        ann.acknowledge(9);
        assert_eq!(received(&mut ann), events(&[(4, "d")]));
        let session = ann.session.clone();
        drop(ann);
        assert_eq!(
            hub.resume(&session, ANN, 0, 2).err(),
            Some(InvalidSession),
            "3 was acknowledged and let go"
        );
        let mut back = hub.resume(&session, ANN, 0, 3).expect("resumable from 3");
        assert_eq!(back.resumed_at, 4);
        assert_eq!(seqs(back.missed().unwrap()), [4]);
        back.acknowledge(4);
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        assert_eq!(received(&mut back), events(&[(5, "live")]));
    }

    #[test]
    fn a_slow_socket_keeps_what_it_has_not_taken_past_the_replay_limit() {
        let hub = hub(2, 16);
        let mut ann = hub.open(ANN, 0, vec![CHAT]);
        for _ in 0..5 {
            hub.deliver(dispatch("d", Audience::Server(CHAT)));
        }
        assert_eq!(
            received(&mut ann)
                .iter()
                .map(|(s, _)| *s)
                .collect::<Vec<_>>(),
            [2, 3, 4, 5, 6]
        );
        hub.deliver(dispatch("d", Audience::Server(CHAT)));
        let session = ann.session.clone();
        drop(ann);
        assert_eq!(hub.resume(&session, ANN, 0, 4).err(), Some(InvalidSession));
        let back = hub
            .resume(&session, ANN, 0, 5)
            .expect("the last two are kept");
        assert_eq!(seqs(back.missed().unwrap()), [6, 7]);
    }

    #[tokio::test]
    async fn a_resume_replays_up_to_the_takeover_and_its_backlog_is_not_the_queues() {
        let hub = hub(1000, 2);
        let first = hub.open(ANN, 0, vec![CHAT]);
        let session = first.session.clone();
        drop(first);
        for _ in 0..5 {
            hub.deliver(dispatch("away", Audience::Server(CHAT)));
        }
        let back = hub.resume(&session, ANN, 0, 1).expect("resumable");
        assert_eq!(back.resumed_at, 6);
        // Live ones before the socket took its replay: 5 missed are not 5 queued.
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        assert!(!back.handle().is_closing());
        assert_eq!(seqs(back.missed().unwrap()), [2, 3, 4, 5, 6]);
        assert_eq!(seqs(back.take(64, None).unwrap()), [7, 8]);
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        hub.deliver(dispatch("live", Audience::Server(CHAT)));
        assert_eq!(
            back.handle().closed().await.code,
            gateway_close_codes::TOO_SLOW,
            "three live ones not taken, past a queue of two"
        );
    }

    #[tokio::test]
    async fn a_socket_taken_over_gets_nothing_more_and_acknowledges_nothing() {
        let hub = hub(1000, 16);
        let old = hub.open(ANN, 0, vec![CHAT]);
        hub.deliver(dispatch("one", Audience::Server(CHAT)));
        let new = hub.resume(&old.session, ANN, 0, 1).expect("resumable");
        hub.deliver(dispatch("two", Audience::Server(CHAT)));
        old.acknowledge(3);
        assert!(old.take(64, None).is_none());
        assert!(old.missed().is_none());
        let waiting = tokio::time::timeout(Duration::from_millis(50), old.next(64)).await;
        assert!(waiting.is_err(), "the old socket waits for its close only");
        assert_eq!(seqs(new.missed().unwrap()), [2]);
        assert_eq!(seqs(new.next(64).await), [3]);
    }

    #[test]
    fn an_adopted_session_keeps_every_number_the_client_missed() {
        let hub = hub(2, 16);
        let seat = Seat {
            session: "s".into(),
            account: ANN,
            grant: Grant::from(0),
            seq: 6,
            servers: vec![CHAT],
            changed: vec![],
        };
        let d = dispatch("d", Audience::Server(CHAT));
        let kept = (2..=6)
            .map(|seq| Numbered {
                seq,
                dispatch: d.clone(),
            })
            .collect();
        let adopted = hub.adopt(seat, 1, kept, 3);
        assert_eq!(adopted.resumed_at, 6);
        assert_eq!(seqs(adopted.missed().unwrap()), [4, 5, 6]);
    }

    #[tokio::test]
    async fn a_logout_ends_the_sessions_of_that_login_only() {
        let hub = hub(1000, 16);
        let login = |id: &str| Grant::new(0, Some(id.into()));
        let phone = hub.open(ANN, login("phone"), vec![CHAT]);
        let laptop = hub.open(ANN, login("laptop"), vec![CHAT]);
        let bobs = hub.open(BOB, login("phone"), vec![CHAT]);
        hub.apply(&Event::SessionsEnded {
            account: ANN,
            sessions: vec!["phone".into()],
        });
        assert_eq!(
            phone.handle().closed().await.code,
            gateway_close_codes::REVOKED
        );
        assert!(!laptop.handle().is_closing());
        assert!(
            !bobs.handle().is_closing(),
            "another account's login of that id"
        );
        let session = phone.session.clone();
        drop(phone);
        assert_eq!(
            hub.resume(&session, ANN, login("phone"), 1).err(),
            Some(InvalidSession)
        );
        // A session resumes only with a token of the login it was identified with.
        let laptop_session = laptop.session.clone();
        drop(laptop);
        assert_eq!(
            hub.resume(&laptop_session, ANN, login("other"), 1).err(),
            Some(InvalidSession)
        );
    }

    #[test]
    fn detached_sessions_are_forgotten_after_the_limit() {
        let hub = hub(1000, 16);
        let kept = hub.open(ANN, 0, vec![CHAT]);
        let session = kept.session.clone();
        drop(kept);
        let _other = hub.open(BOB, 0, vec![CHAT]);
        assert_eq!(hub.sweep(Instant::now()), 2);
        assert_eq!(hub.sweep(Instant::now() + Duration::from_secs(121)), 1);
        assert_eq!(hub.resume(&session, ANN, 0, 1).err(), Some(InvalidSession));
    }
}
