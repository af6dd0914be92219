//! What nearly every request reads, kept in memory for a short while: the account a token
//! names, the server a channel belongs to, and who is a member of which server. A request
//! that finds them here reaches the database once (for what it actually asks) instead of up
//! to four times.
//!
//! The database stays the source of truth; the cache only forgets. Every change that could
//! make an entry wrong publishes an event (after its commit), and every node applies each
//! event to its cache as it applies it to its sockets ([`ReadCache::apply`]): on this node at
//! once, on the others as soon as the bus carries it. Two bounds cover what the bus can
//! lose:
//! - no entry is used once it is older than the time to live (`PINGME_CACHE_TTL`, 2 s by
//!   default): a change whose event never arrived (Redis was unreachable, or `pingme admin`
//!   ran without Redis) shows within that time;
//! - while the bus says it does not reach the other nodes, nothing is read from or kept in
//!   the cache, and when it reconnects (a new [`BusStatus::epoch`]) everything is forgotten.
//!
//! Only facts that a missed event could turn into a wrongful yes are kept with care: an
//! account (revoked, shut out, changed), a login session (ended), a membership (a member removed or banned) and a
//! channel's server (the channel deleted). A membership is kept only while it exists; an
//! outsider is asked about every time, so a join is never waited for.
//!
//! An entry loaded from the database while an event passed is not kept (a generation counter
//! tells): the read may have started before the change it would then hide.

use pingme_domain::account::Account;
use pingme_domain::events::{BusStatus, Event, EventSink};
use pingme_domain::sessions::SessionId;
use pingme_domain::{AccountId, ChannelId, ServerId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Entries of one kind at most; past it the stale ones go, then (rarely) all of them.
const CAPACITY: usize = 100_000;

/// The read cache of one node. `ttl` zero turns it off.
pub struct ReadCache {
    ttl: Duration,
    /// Raised by every event that forgets something.
    generation: AtomicU64,
    /// The bus connection the entries were kept under.
    epoch: AtomicU64,
    /// Held while the tables are emptied for a new epoch.
    reconnecting: Mutex<()>,
    accounts: Table<AccountId, Account>,
    channels: Table<ChannelId, ServerId>,
    members: Table<(ServerId, AccountId), ()>,
    /// Live login sessions, with their accounts.
    sessions: Table<SessionId, AccountId>,
}

/// Where a cached read stands: the generation it started in, for [`ReadCache`]'s `keep_*`.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(Option<u64>);

impl ReadCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            reconnecting: Mutex::new(()),
            accounts: Table::default(),
            channels: Table::default(),
            members: Table::default(),
            sessions: Table::default(),
        }
    }
}

impl EventSink for ReadCache {
    /// Forgets what the event may have made wrong. Called for every event, on every node.
    ///
    /// The generation is raised before anything is removed, and a `keep_*` compares it under
    /// the table's lock: a read that started before this event can then neither slip in
    /// between the removal and the raise nor be kept after the removal.
    fn apply(&self, event: &Event) {
        // What they tell is told by the other events too, which the cache follows.
        if matches!(event, Event::ChannelFrame { .. } | Event::Dispatch(_)) {
            return;
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        match event {
            Event::ChannelFrame { .. } | Event::Dispatch(_) => {}
            Event::MemberRemoved { server, account } => self.members.remove(&(*server, *account)),
            Event::ChannelDeleted { channel, .. } => self.channels.remove(channel),
            Event::ServerDeleted { server } => {
                self.members.retain(|(s, _), _| s != server);
                self.channels.retain(|_, s| s != server);
            }
            Event::AccountDeleted { account } => {
                self.accounts.remove(account);
                self.members.retain(|(_, a), _| a != account);
                self.sessions.retain(|_, a| a != account);
            }
            Event::AccountSignedOut { account } => {
                self.accounts.remove(account);
                self.sessions.retain(|_, a| a != account);
            }
            Event::AccountChanged { account } => self.accounts.remove(account),
            Event::SessionsEnded { sessions, .. } => {
                for session in sessions.iter().filter_map(|s| SessionId::parse(s)) {
                    self.sessions.remove(&session);
                }
            }
        }
    }
}

impl ReadCache {
    /// Whether entries may be used now, given the bus's state: forgets everything once the
    /// bus has reconnected since they were kept. A ticket for the reads that follow.
    pub fn check(&self, bus: BusStatus) -> Ticket {
        if self.ttl.is_zero() || !bus.connected {
            return Ticket(None);
        }
        if self.epoch.load(Ordering::Acquire) != bus.epoch {
            // The new epoch is published only once the tables are empty, so that no request
            // that sees it reads what was kept before the reconnection.
            let _one_at_a_time = self.reconnecting.lock();
            if self.epoch.load(Ordering::Acquire) != bus.epoch {
                self.clear();
                self.epoch.store(bus.epoch, Ordering::Release);
            }
        }
        Ticket(Some(self.generation.load(Ordering::Acquire)))
    }

    pub fn account(&self, ticket: Ticket, id: AccountId) -> Option<Account> {
        ticket.0?;
        self.accounts.get(&id, self.ttl)
    }

    pub fn keep_account(&self, ticket: Ticket, account: &Account) {
        self.accounts
            .insert_if(account.id, account.clone(), self.still(ticket), self.ttl);
    }

    pub fn channel_server(&self, ticket: Ticket, channel: ChannelId) -> Option<ServerId> {
        ticket.0?;
        self.channels.get(&channel, self.ttl)
    }

    pub fn keep_channel_server(&self, ticket: Ticket, channel: ChannelId, server: ServerId) {
        self.channels
            .insert_if(channel, server, self.still(ticket), self.ttl);
    }

    /// `true` when the account is known to be a member; `false` means "ask the database".
    pub fn is_member(&self, ticket: Ticket, server: ServerId, account: AccountId) -> bool {
        ticket.0.is_some() && self.members.get(&(server, account), self.ttl).is_some()
    }

    pub fn keep_member(&self, ticket: Ticket, server: ServerId, account: AccountId) {
        self.members
            .insert_if((server, account), (), self.still(ticket), self.ttl);
    }

    /// The account of a live login session, if kept.
    pub fn session(&self, ticket: Ticket, session: &SessionId) -> Option<AccountId> {
        ticket.0?;
        self.sessions.get(session, self.ttl)
    }

    pub fn keep_session(&self, ticket: Ticket, session: &SessionId, account: AccountId) {
        self.sessions
            .insert_if(session.clone(), account, self.still(ticket), self.ttl);
    }

    /// Whether no event has passed since the ticket was taken; asked under a table's lock.
    fn still(&self, ticket: Ticket) -> impl FnOnce() -> bool + '_ {
        move || {
            ticket
                .0
                .is_some_and(|generation| generation == self.generation.load(Ordering::Acquire))
        }
    }

    fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.accounts.clear();
        self.channels.clear();
        self.members.clear();
        self.sessions.clear();
    }
}

/// One kind of entry, each with the moment it was loaded.
struct Table<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Table<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A panic elsewhere while holding it left a consistent map: each call is one step.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value while it is younger than `ttl`; an older one is dropped.
    fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let mut entries = self.lock();
        let (loaded, value) = entries.get(key)?;
        if loaded.elapsed() < ttl {
            return Some(value.clone());
        }
        entries.remove(key);
        None
    }

    /// Keeps the value if `still` holds once the lock is taken (see [`ReadCache::apply`]).
    fn insert_if(&self, key: K, value: V, still: impl FnOnce() -> bool, ttl: Duration) {
        let mut entries = self.lock();
        if !still() {
            return;
        }
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            // Entries past their time are of no use to anyone; if all are fresh, start over.
            let now = Instant::now();
            entries.retain(|_, (loaded, _)| now.duration_since(*loaded) < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    fn remove(&self, key: &K) {
        self.lock().remove(key);
    }

    fn retain(&self, keep: impl FnMut(&K, &mut V) -> bool) {
        let mut keep = keep;
        self.lock().retain(|key, (_, value)| keep(key, value));
    }

    fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    fn bus(epoch: u64) -> BusStatus {
        BusStatus {
            backend: "test",
            connected: true,
            epoch,
        }
    }

    fn account(id: i64) -> Account {
        Account {
            id: AccountId(id),
            login: format!("user{id}"),
            email: format!("user{id}@example.com"),
            display_name: String::new(),
            location: None,
            content: String::new(),
            image: None,
            is_staff: false,
            is_active: true,
            verified: true,
            token_version: 0,
            created_at: pingme_domain::Timestamp::now(),
            updated_at: pingme_domain::Timestamp::now(),
        }
    }

    #[test]
    fn kept_entries_are_found_until_an_event_forgets_them() {
        let cache = ReadCache::new(TTL);
        let ticket = cache.check(bus(0));
        cache.keep_account(ticket, &account(1));
        cache.keep_member(ticket, ServerId(7), AccountId(1));
        cache.keep_channel_server(ticket, ChannelId(3), ServerId(7));
        let ticket = cache.check(bus(0));
        assert_eq!(
            cache.account(ticket, AccountId(1)).map(|a| a.id),
            Some(AccountId(1))
        );
        assert!(cache.is_member(ticket, ServerId(7), AccountId(1)));
        assert_eq!(
            cache.channel_server(ticket, ChannelId(3)),
            Some(ServerId(7))
        );

        cache.apply(&Event::AccountSignedOut {
            account: AccountId(1),
        });
        cache.apply(&Event::MemberRemoved {
            server: ServerId(7),
            account: AccountId(1),
        });
        cache.apply(&Event::ChannelDeleted {
            server: ServerId(7),
            channel: ChannelId(3),
        });
        let ticket = cache.check(bus(0));
        assert!(cache.account(ticket, AccountId(1)).is_none());
        assert!(!cache.is_member(ticket, ServerId(7), AccountId(1)));
        assert!(cache.channel_server(ticket, ChannelId(3)).is_none());
    }

    #[test]
    fn sessions_are_forgotten_when_ended_or_their_account_signed_out() {
        let cache = ReadCache::new(TTL);
        let session = |n: u8| SessionId::parse(&format!("{n:032x}")).unwrap();
        let ticket = cache.check(bus(0));
        for (n, account) in [(1, 1), (2, 1), (3, 2)] {
            cache.keep_session(ticket, &session(n), AccountId(account));
        }
        cache.apply(&Event::SessionsEnded {
            account: AccountId(1),
            sessions: vec![session(1).to_string()],
        });
        let ticket = cache.check(bus(0));
        assert_eq!(cache.session(ticket, &session(1)), None);
        assert_eq!(cache.session(ticket, &session(2)), Some(AccountId(1)));
        cache.apply(&Event::AccountSignedOut {
            account: AccountId(1),
        });
        let ticket = cache.check(bus(0));
        assert_eq!(cache.session(ticket, &session(2)), None);
        assert_eq!(cache.session(ticket, &session(3)), Some(AccountId(2)));
    }

    #[test]
    fn a_deleted_server_or_account_takes_everything_of_it() {
        let cache = ReadCache::new(TTL);
        let ticket = cache.check(bus(0));
        cache.keep_account(ticket, &account(1));
        cache.keep_member(ticket, ServerId(7), AccountId(1));
        cache.keep_member(ticket, ServerId(8), AccountId(2));
        cache.keep_channel_server(ticket, ChannelId(3), ServerId(7));
        cache.keep_channel_server(ticket, ChannelId(4), ServerId(8));
        cache.apply(&Event::ServerDeleted {
            server: ServerId(7),
        });
        cache.apply(&Event::AccountDeleted {
            account: AccountId(2),
        });
        let ticket = cache.check(bus(0));
        assert!(cache.account(ticket, AccountId(1)).is_some());
        assert!(!cache.is_member(ticket, ServerId(7), AccountId(1)));
        assert!(!cache.is_member(ticket, ServerId(8), AccountId(2)));
        assert!(cache.channel_server(ticket, ChannelId(3)).is_none());
        assert_eq!(
            cache.channel_server(ticket, ChannelId(4)),
            Some(ServerId(8))
        );
    }

    #[test]
    fn a_read_that_an_event_overtook_is_not_kept() {
        let cache = ReadCache::new(TTL);
        let ticket = cache.check(bus(0));
        // The database answered with the account as it was; then its change was published.
        cache.apply(&Event::AccountChanged {
            account: AccountId(1),
        });
        cache.keep_account(ticket, &account(1));
        assert!(cache.account(cache.check(bus(0)), AccountId(1)).is_none());
    }

    #[test]
    fn a_read_that_started_before_an_event_is_never_kept_whatever_the_interleaving() {
        // The ticket is taken before the event in every round, so however the keep and the
        // event's application interleave, the entry must be gone afterwards.
        let cache = std::sync::Arc::new(ReadCache::new(TTL));
        for _ in 0..2_000 {
            let ticket = cache.check(bus(0));
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let keeper = {
                let (cache, barrier) = (cache.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    cache.keep_account(ticket, &account(1));
                    cache.keep_member(ticket, ServerId(7), AccountId(1));
                })
            };
            barrier.wait();
            cache.apply(&Event::AccountDeleted {
                account: AccountId(1),
            });
            keeper.join().unwrap();
            let now = cache.check(bus(0));
            assert!(cache.account(now, AccountId(1)).is_none());
            assert!(!cache.is_member(now, ServerId(7), AccountId(1)));
        }
    }

    #[test]
    fn nothing_is_used_while_the_bus_is_down_and_all_is_forgotten_when_it_returns() {
        let cache = ReadCache::new(TTL);
        cache.keep_account(cache.check(bus(1)), &account(1));
        let down = BusStatus {
            connected: false,
            ..bus(1)
        };
        let ticket = cache.check(down);
        assert!(cache.account(ticket, AccountId(1)).is_none());
        cache.keep_account(ticket, &account(2));
        // Back, on a new connection: what was kept before may have missed events.
        let ticket = cache.check(bus(2));
        assert!(cache.account(ticket, AccountId(1)).is_none());
        assert!(cache.account(ticket, AccountId(2)).is_none());
    }

    #[test]
    fn entries_expire_and_a_zero_ttl_keeps_nothing() {
        let cache = ReadCache::new(Duration::from_millis(1));
        cache.keep_account(cache.check(bus(0)), &account(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.account(cache.check(bus(0)), AccountId(1)).is_none());

        let off = ReadCache::new(Duration::ZERO);
        off.keep_account(off.check(bus(0)), &account(1));
        assert!(off.account(off.check(bus(0)), AccountId(1)).is_none());
    }
}
