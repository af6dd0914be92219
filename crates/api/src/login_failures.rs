//! Login attempts per login name, kept so that guessing one person's password from many
//! addresses is slowed down without letting a stranger lock that person out.
//!
//! Every attempt at a name is charged to its budget of `count` per `period` (refilled evenly,
//! the same rule as every other limit) when it is let through, and given back when it
//! succeeds; so only failures (and attempts still in flight) use the budget up. While a
//! name's budget is spent, an address that has tried the name — in the last period, or since
//! the name was locked — is refused; any other address may try once. The owner, who has not
//! been guessing, still logs in with the right password. The price: an attacker with many
//! addresses gets one guess per fresh address while the name is locked, each address still
//! under its own login limit. The check and the charge are one step, so a burst of parallel
//! attempts from one address gets no more than the budget.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Names and pairs remembered at most; past this the oldest go first (memory stays bounded
/// whatever names a flood makes up).
const MAX_ENTRIES: usize = 100_000;
/// Forgotten entries are swept this often (in attempts).
const SWEEP_EVERY: u32 = 4096;

pub struct LoginFailures {
    /// The time between two attempts the budget allows.
    interval: Duration,
    /// How far ahead of now a name's budget may run: `count - 1` intervals.
    burst: Duration,
    period: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    names: HashMap<String, Name>,
    /// Per name and client address: its last attempt.
    pairs: HashMap<(String, IpAddr), Instant>,
    attempts: u32,
}

struct Name {
    /// When its budget is full again (GCRA's theoretical arrival time).
    full_at: Instant,
    /// Since when it has been locked, when it is.
    locked_since: Option<Instant>,
}

impl LoginFailures {
    pub fn new(count: u32, period: Duration) -> Self {
        let interval = period / count.max(1);
        Self {
            interval,
            burst: interval * count.max(1).saturating_sub(1),
            period,
            state: Mutex::new(State::default()),
        }
    }

    /// Lets `client` try `name`, charging the attempt; how long to wait when it may not.
    pub fn attempt(&self, name: &str, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut state = self.lock();
        let pair = (name.to_owned(), client);
        let tried_at = state.pairs.get(&pair).copied();
        let entry = state.names.entry(name.to_owned()).or_insert(Name {
            full_at: now,
            locked_since: None,
        });
        match self.locked_for(entry.full_at, now) {
            Some(wait) => {
                let since = *entry.locked_since.get_or_insert(now);
                // The attempts that spent the budget, however long ago, count: `since` is the
                // moment of the one that locked it.
                let tried = tried_at.is_some_and(|at| at >= since || now - at < self.period);
                if tried {
                    return Err(wait);
                }
            }
            None => entry.locked_since = None,
        }
        entry.full_at = entry.full_at.max(now) + self.interval;
        // Locked by this very attempt: its address, and those of the attempts before it, have
        // tried the name since the lock began.
        if self.locked_for(entry.full_at, now).is_some() {
            entry.locked_since.get_or_insert(now);
        }
        state.pairs.insert(pair, now);
        state.attempts = state.attempts.wrapping_add(1);
        if state.attempts.is_multiple_of(SWEEP_EVERY) || state.pairs.len() > MAX_ENTRIES {
            self.sweep(&mut state, now);
        }
        Ok(())
    }

    /// The attempt of `client` at `name` succeeded, or could not be checked (the database did
    /// not answer): its charge is given back.
    pub fn succeeded(&self, name: &str, client: IpAddr) {
        let now = Instant::now();
        let mut state = self.lock();
        state.pairs.remove(&(name.to_owned(), client));
        if let Some(entry) = state.names.get_mut(name) {
            entry.full_at = entry
                .full_at
                .checked_sub(self.interval)
                .unwrap_or(now)
                .max(now);
        }
    }

    /// How long a name whose budget is full again at `full_at` stays locked.
    fn locked_for(&self, full_at: Instant, now: Instant) -> Option<Duration> {
        let ahead = full_at.checked_duration_since(now)?;
        let wait = ahead.checked_sub(self.burst)?;
        (!wait.is_zero()).then_some(wait)
    }

    fn sweep(&self, state: &mut State, now: Instant) {
        state.names.retain(|_, name| name.full_at > now);
        let names = &state.names;
        state.pairs.retain(|(name, _), at| {
            now.duration_since(*at) < self.period || names.contains_key(name)
        });
        // Still too many: a flood of made-up names. Keep the most recent half.
        if state.pairs.len() > MAX_ENTRIES {
            let mut times: Vec<Instant> = state.pairs.values().copied().collect();
            let (_, &mut cut, _) = times.select_nth_unstable(MAX_ENTRIES / 2);
            state.pairs.retain(|_, at| *at >= cut);
        }
        if state.names.len() > MAX_ENTRIES {
            let mut times: Vec<Instant> = state.names.values().map(|n| n.full_at).collect();
            let (_, &mut cut, _) = times.select_nth_unstable(MAX_ENTRIES / 2);
            state.names.retain(|_, name| name.full_at >= cut);
        }
    }

    // One step at a time under the lock: a panic cannot leave it half-changed.
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRANGER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const OWNER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
    const THIRD: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 3));

    #[test]
    fn a_name_locks_after_its_budget_only_for_addresses_that_tried_it() {
        let failures = LoginFailures::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            failures.attempt("ann", STRANGER).unwrap();
        }
        let wait = failures
            .attempt("ann", STRANGER)
            .expect_err("locked for the stranger");
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        failures.attempt("bob", STRANGER).unwrap();
        // The owner may try, and gets the charge back when it succeeds.
        failures.attempt("ann", OWNER).unwrap();
        failures.succeeded("ann", OWNER);
        failures.attempt("ann", OWNER).unwrap();
        // An address that tried while the name was locked, and failed, waits.
        failures.attempt("ann", THIRD).unwrap();
        assert!(failures.attempt("ann", THIRD).is_err());
    }

    #[test]
    fn an_address_that_spent_the_budget_stays_out_while_the_name_is_locked() {
        let failures = LoginFailures::new(2, Duration::from_secs(2));
        failures.attempt("ann", STRANGER).unwrap();
        failures.attempt("ann", STRANGER).unwrap();
        // Past the period, the name kept locked by fresh addresses (each attempt adds 1 s).
        for fresh in 10..14u8 {
            std::thread::sleep(Duration::from_millis(600));
            failures
                .attempt("ann", IpAddr::from([10, 0, 1, fresh]))
                .unwrap();
        }
        assert!(
            failures.attempt("ann", STRANGER).is_err(),
            "still locked for it"
        );
    }

    #[test]
    fn successes_cost_nothing() {
        let failures = LoginFailures::new(2, Duration::from_secs(60));
        for _ in 0..10 {
            failures.attempt("ann", OWNER).unwrap();
            failures.succeeded("ann", OWNER);
        }
    }

    #[test]
    fn a_flood_of_names_stays_bounded() {
        let failures = LoginFailures::new(1, Duration::from_secs(60));
        for n in 0..(MAX_ENTRIES + 10) {
            failures.attempt(&format!("name{n}"), STRANGER).unwrap();
        }
        let state = failures.lock();
        assert!(state.pairs.len() <= MAX_ENTRIES && state.names.len() <= MAX_ENTRIES + 10);
    }
}
