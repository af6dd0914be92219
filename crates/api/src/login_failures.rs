//! Failed logins per login name, kept so that guessing one person's password from many
//! addresses is slowed down without letting a stranger lock that person out.
//!
//! A name's failures fill a budget of `count` per `period`, refilled evenly (the same rule as
//! every other limit). While a name's budget is spent, only addresses that have not failed
//! for it in the last period may try it (once each, until they fail too), so the owner, who
//! has not been guessing, still logs in with the right password. The price: an attacker with
//! many addresses gets one more guess per fresh address while the name is locked, each still
//! under its address's own login limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Names and pairs remembered at most; past this the oldest go first (memory stays bounded
/// whatever names a flood makes up).
const MAX_ENTRIES: usize = 100_000;
/// Forgotten entries are swept this often (in failures recorded).
const SWEEP_EVERY: u32 = 4096;

pub struct LoginFailures {
    /// The time between two failures the budget allows.
    interval: Duration,
    /// How far ahead of now a name's budget may run: `count - 1` intervals.
    burst: Duration,
    period: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per name: when its budget is full again (GCRA's theoretical arrival time).
    names: HashMap<String, Instant>,
    /// Per name and client address: its last failure.
    pairs: HashMap<(String, IpAddr), Instant>,
    recorded: u32,
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

    /// How long `client` must wait before trying `name` again; `None` when it may try now.
    pub fn wait(&self, name: &str, client: IpAddr) -> Option<Duration> {
        let now = Instant::now();
        let state = self.lock();
        let full_at = *state.names.get(name)?;
        let locked_for = full_at
            .checked_duration_since(now)?
            .checked_sub(self.burst)?;
        if locked_for.is_zero() {
            return None;
        }
        let failed_here = state
            .pairs
            .get(&(name.to_owned(), client))
            .is_some_and(|at| now.duration_since(*at) < self.period);
        failed_here.then_some(locked_for)
    }

    /// Records a failed login of `name` from `client`.
    pub fn failed(&self, name: &str, client: IpAddr) {
        let now = Instant::now();
        let mut state = self.lock();
        let full_at = state.names.entry(name.to_owned()).or_insert(now);
        *full_at = (*full_at).max(now) + self.interval;
        state.pairs.insert((name.to_owned(), client), now);
        state.recorded = state.recorded.wrapping_add(1);
        if state.recorded.is_multiple_of(SWEEP_EVERY) || state.pairs.len() > MAX_ENTRIES {
            self.sweep(&mut state, now);
        }
    }

    fn sweep(&self, state: &mut State, now: Instant) {
        state.names.retain(|_, full_at| *full_at > now);
        state
            .pairs
            .retain(|_, at| now.duration_since(*at) < self.period);
        // Still too many: a flood of made-up names. Keep the most recent half.
        if state.pairs.len() > MAX_ENTRIES {
            let mut times: Vec<Instant> = state.pairs.values().copied().collect();
            let (_, &mut cut, _) = times.select_nth_unstable(MAX_ENTRIES / 2);
            state.pairs.retain(|_, at| *at >= cut);
        }
        if state.names.len() > MAX_ENTRIES {
            let mut times: Vec<Instant> = state.names.values().copied().collect();
            let (_, &mut cut, _) = times.select_nth_unstable(MAX_ENTRIES / 2);
            state.names.retain(|_, at| *at >= cut);
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

    #[test]
    fn a_name_locks_after_its_budget_only_for_addresses_that_failed() {
        let failures = LoginFailures::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(failures.wait("ann", STRANGER), None);
            failures.failed("ann", STRANGER);
        }
        let wait = failures
            .wait("ann", STRANGER)
            .expect("locked for the stranger");
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(failures.wait("ann", OWNER), None, "the owner may still try");
        assert_eq!(failures.wait("bob", STRANGER), None, "another name");
        failures.failed("ann", OWNER);
        assert!(failures.wait("ann", OWNER).is_some(), "until it fails too");
    }

    #[test]
    fn a_flood_of_names_stays_bounded() {
        let failures = LoginFailures::new(1, Duration::from_secs(60));
        for n in 0..(MAX_ENTRIES + 10) {
            failures.failed(&format!("name{n}"), STRANGER);
        }
        let state = failures.lock();
        assert!(state.pairs.len() <= MAX_ENTRIES && state.names.len() <= MAX_ENTRIES + 10);
    }
}
