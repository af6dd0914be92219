//! Rate limits on the requests worth abusing: logins (per client address and per login
//! name) and requests that send e-mail (per client address, and per recipient). A refused
//! request gets 429 with `Retry-After`. `PINGME_RATE_LIMITS=off` removes them all.

use crate::config::{Rate, RateLimitConfig};
use crate::error::ApiError;
use crate::login_failures::LoginFailures;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use pingme_domain::account::{Username, login_keys};
use pingme_domain::{AccountId, ChannelId};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// After this many checks a limiter forgets keys whose budget is full again, so memory
/// follows the number of recent clients rather than every client ever seen.
const SWEEP_EVERY: u32 = 4096;

struct Limiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
    checks: AtomicU32,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(rate: Rate) -> Self {
        // `count` requests at once, refilled evenly over `per`.
        let quota = Quota::with_period(rate.per / rate.count.get())
            .unwrap_or_else(|| Quota::per_second(rate.count))
            .allow_burst(rate.count);
        Self {
            inner: RateLimiter::keyed(quota),
            checks: AtomicU32::new(0),
        }
    }

    fn check(&self, key: &K) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
        self.inner.check_key(key).map_err(|not_until| {
            ApiError::RateLimited(not_until.wait_time_from(self.inner.clock().now()))
        })
    }
}

struct Limiters {
    login_per_ip: Limiter<IpAddr>,
    login_failures: LoginFailures,
    mail_per_ip: Limiter<IpAddr>,
    mail_per_recipient: Limiter<AccountId>,
    messages: Limiter<(AccountId, ChannelId)>,
    typing: Limiter<(AccountId, ChannelId)>,
    presence: Limiter<Arc<str>>,
    identify: Limiter<AccountId>,
    marks: Limiter<AccountId>,
    uploads: Limiter<AccountId>,
    searches: Limiter<AccountId>,
}

/// Every rate limit of one node; `None` inside when limits are off.
pub struct RateLimits(Option<Limiters>);

impl RateLimits {
    pub fn new(config: Option<RateLimitConfig>) -> Self {
        Self(config.map(|c| Limiters {
            login_per_ip: Limiter::new(c.login_per_ip),
            login_failures: LoginFailures::new(c.login_per_user.count.get(), c.login_per_user.per),
            mail_per_ip: Limiter::new(c.mail_per_ip),
            mail_per_recipient: Limiter::new(c.mail_per_ip),
            messages: Limiter::new(c.messages),
            typing: Limiter::new(TYPING),
            presence: Limiter::new(PRESENCE),
            identify: Limiter::new(IDENTIFY),
            marks: Limiter::new(MARKS),
            uploads: Limiter::new(UPLOADS),
            searches: Limiter::new(SEARCHES),
        }))
    }

    /// One login attempt from `ip` for `login` (compared case-insensitively, in its NFKC
    /// form: the fullwidth or bold forms of a name count as that name): refused when the
    /// address is over its limit, or when the name has failed too often lately and this
    /// address has tried it.
    pub fn login(&self, ip: IpAddr, login: &str) -> Result<(), ApiError> {
        let Some(limits) = &self.0 else { return Ok(()) };
        let client = client_key(ip);
        limits.login_per_ip.check(&client)?;
        limits
            .login_failures
            .attempt(&name_key(login), client)
            .map_err(ApiError::RateLimited)
    }

    /// A login attempt from `ip` for `login` succeeded, or could not be checked: it does not
    /// count against the name.
    pub fn login_succeeded(&self, ip: IpAddr, login: &str) {
        if let Some(limits) = &self.0 {
            limits
                .login_failures
                .succeeded(&name_key(login), client_key(ip));
        }
    }

    /// One request from `ip` that may make pingme send an e-mail.
    pub fn mail(&self, ip: IpAddr) -> Result<(), ApiError> {
        let Some(limits) = &self.0 else { return Ok(()) };
        limits.mail_per_ip.check(&client_key(ip))
    }

    /// Whether one more e-mail may go to this account now. Refusals are silent — the client
    /// is answered the same either way — so nobody can flood one inbox from many addresses.
    pub fn mail_to(&self, recipient: AccountId) -> bool {
        let Some(limits) = &self.0 else { return true };
        limits.mail_per_recipient.check(&recipient).is_ok()
    }
}

impl RateLimits {
    /// One message from `account` into `channel`; the error is how long to wait.
    pub fn message(&self, account: AccountId, channel: ChannelId) -> Result<(), Duration> {
        let Some(limits) = &self.0 else { return Ok(()) };
        limits.messages.check(&(account, channel)).map_err(wait_of)
    }

    /// Whether a typing notice from `account` in `channel` goes out now (at most one per
    /// three seconds; the rest are dropped quietly).
    pub fn typing(&self, account: AccountId, channel: ChannelId) -> bool {
        let Some(limits) = &self.0 else { return true };
        limits.typing.check(&(account, channel)).is_ok()
    }

    /// One reaction added or taken back, or one pin or unpin, by `account`; the error is
    /// how long to wait.
    pub fn mark(&self, account: AccountId) -> Result<(), Duration> {
        let Some(limits) = &self.0 else { return Ok(()) };
        limits.marks.check(&account).map_err(wait_of)
    }

    /// One message search by `account`.
    pub fn search(&self, account: AccountId) -> Result<(), ApiError> {
        let Some(limits) = &self.0 else { return Ok(()) };
        limits.searches.check(&account)
    }

    /// One attachment uploaded by `account`; the error is how long to wait.
    pub fn upload(&self, account: AccountId) -> Result<(), Duration> {
        let Some(limits) = &self.0 else { return Ok(()) };
        limits.uploads.check(&account).map_err(wait_of)
    }

    /// One gateway `identify` of `account` (each reads everything the person sees); the error
    /// is how long to wait.
    pub fn identify(&self, account: AccountId) -> Result<(), Duration> {
        let Some(limits) = &self.0 else { return Ok(()) };
        limits.identify.check(&account).map_err(wait_of)
    }

    /// Whether a gateway session may change its status now (each change may go to
    /// everyone who shares a server with the person: a burst of 5, then one per 12 s).
    pub fn presence(&self, session: &Arc<str>) -> bool {
        let Some(limits) = &self.0 else { return true };
        limits.presence.check(session).is_ok()
    }
}

/// The key a login name is counted under. No account has a longer name: cutting it keeps
/// what a client can make the limiter hold small, and only ever merges names that cannot log
/// in anyway.
fn name_key(login: &str) -> String {
    let [key, _] = login_keys(login);
    key.chars().take(Username::MAX_CHARS + 1).collect()
}

fn wait_of(error: ApiError) -> Duration {
    match error {
        ApiError::RateLimited(wait) => wait,
        _ => Duration::ZERO,
    }
}

/// At most one typing notice per three seconds per account and channel.
const TYPING: Rate = Rate {
    count: NonZeroU32::MIN,
    per: Duration::from_secs(3),
};

/// Reactions and pins, per account: 20 at once, then one every half second.
const MARKS: Rate = Rate {
    count: NonZeroU32::new(20).unwrap(),
    per: Duration::from_secs(10),
};

/// Message searches, per account: 10 at once, then one a second.
const SEARCHES: Rate = Rate {
    count: NonZeroU32::new(10).unwrap(),
    per: Duration::from_secs(10),
};

/// Attachments uploaded, per account: 10 at once, then one every 6 s.
const UPLOADS: Rate = Rate {
    count: NonZeroU32::new(10).unwrap(),
    per: Duration::from_secs(60),
};

/// Gateway identifies per account: ten at once (tabs and devices starting together), then one
/// per 6 s.
const IDENTIFY: Rate = Rate {
    count: NonZeroU32::new(10).unwrap(),
    per: Duration::from_secs(60),
};

/// Status changes per account: five at once, then one per 12 s (a minute for five).
const PRESENCE: Rate = Rate {
    count: NonZeroU32::new(5).unwrap(),
    per: Duration::from_secs(60),
};

/// The key a client address is counted under. One IPv6 subscriber usually holds a whole
/// /64, so it counts as one client; an IPv4-mapped address counts as its IPv4 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(count: u32) -> RateLimits {
        let rate = Rate {
            count: NonZeroU32::new(count).unwrap(),
            per: Duration::from_secs(60),
        };
        RateLimits::new(Some(RateLimitConfig {
            messages: rate,
            login_per_ip: rate,
            login_per_user: rate,
            mail_per_ip: rate,
        }))
    }

    #[test]
    fn the_burst_passes_then_the_next_waits() {
        let limits = limits(3);
        let ip = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..3 {
            limits.mail(ip).unwrap();
        }
        let Err(ApiError::RateLimited(wait)) = limits.mail(ip) else {
            panic!("expected a refusal")
        };
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        limits.mail(IpAddr::from([10, 0, 0, 2])).unwrap();
    }

    #[test]
    fn attempts_count_per_name_ignoring_case_and_lock_out_those_who_tried() {
        let limits = limits(2);
        let (a, b, owner) = (
            IpAddr::from([10, 0, 0, 1]),
            IpAddr::from([10, 0, 0, 2]),
            IpAddr::from([10, 0, 0, 3]),
        );
        limits.login(a, "Alice").unwrap();
        limits.login(b, "alice").unwrap();
        assert!(limits.login(a, "ALICE").is_err());
        assert!(limits.login(b, "alice").is_err());
        limits.login(owner, "alice").unwrap();
        limits.login_succeeded(owner, "alice");
    }

    #[test]
    fn an_ipv6_slash_64_counts_as_one_client() {
        let limits = limits(2);
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let second: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        limits.mail(first).unwrap();
        limits.mail(second).unwrap();
        assert!(limits.mail("2001:db8:1:2::77".parse().unwrap()).is_err());
        limits.mail("2001:db8:1:3::1".parse().unwrap()).unwrap();
        assert_eq!(
            client_key("::ffff:10.0.0.9".parse().unwrap()),
            IpAddr::from([10, 0, 0, 9])
        );
    }

    #[test]
    fn mail_to_one_recipient_is_limited_whatever_the_address() {
        let limits = limits(2);
        assert!(limits.mail_to(AccountId(7)));
        assert!(limits.mail_to(AccountId(7)));
        assert!(!limits.mail_to(AccountId(7)));
        assert!(limits.mail_to(AccountId(8)));
    }

    #[test]
    fn very_long_names_share_one_bounded_key() {
        let limits = limits(1);
        let ip = IpAddr::from([10, 0, 0, 1]);
        let long = "n".repeat(10_000);
        limits.login(ip, &long).unwrap();
        assert!(limits.login(ip, &format!("{long}x")).is_err());
    }

    #[test]
    fn messages_are_counted_per_account_and_channel_and_typing_every_three_seconds() {
        let limits = limits(2);
        let (ann, bob) = (AccountId(1), AccountId(2));
        assert!(limits.message(ann, ChannelId(1)).is_ok());
        assert!(limits.message(ann, ChannelId(1)).is_ok());
        let wait = limits.message(ann, ChannelId(1)).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(limits.message(ann, ChannelId(2)).is_ok());
        assert!(limits.message(bob, ChannelId(1)).is_ok());
        assert!(limits.typing(ann, ChannelId(1)));
        assert!(!limits.typing(ann, ChannelId(1)));
        assert!(limits.typing(bob, ChannelId(1)));
    }

    #[test]
    fn off_means_off() {
        let limits = RateLimits::new(None);
        for _ in 0..1000 {
            limits.login(IpAddr::from([10, 0, 0, 1]), "alice").unwrap();
            assert!(limits.mail_to(AccountId(1)));
        }
    }
}
