//! Who may open a connection: at most `per_client` at once from one client address (an IPv6
//! /64 counts as one address; a trusted proxy carries many clients and is not capped), and
//! at most `total` in all, below the process's descriptor limit. A connection over either
//! cap is closed as soon as it is accepted, so it never waits in the backlog, and the
//! refusals are logged at most once a minute.

use pingme_api::client_key;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often a refusal of each kind is logged at most.
const WARN_EVERY: Duration = Duration::from_secs(60);

pub struct Admission {
    total: usize,
    /// `None`: no cap per address.
    per_client: Option<usize>,
    trusted: Vec<IpAddr>,
    open: AtomicUsize,
    by_client: Mutex<HashMap<IpAddr, usize>>,
    full: RareWarning,
    crowded: RareWarning,
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
            full: RareWarning::default(),
            crowded: RareWarning::default(),
        })
    }

    /// A place for a connection from `peer`, or `None` (and perhaps a warning) when a cap is
    /// reached.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Permit> {
        if self.open.fetch_add(1, Ordering::Relaxed) >= self.total {
            self.open.fetch_sub(1, Ordering::Relaxed);
            self.full.warn(|refused| {
                tracing::warn!(
                    cap = self.total,
                    refused,
                    "connections refused: the server holds as many as PINGME_MAX_CONNECTIONS allows"
                );
            });
            return None;
        }
        let client = self.counted(peer);
        if let (Some(client), Some(cap)) = (client, self.per_client) {
            let mut counts = self.counts();
            let count = counts.entry(client).or_default();
            if *count >= cap {
                drop(counts);
                self.open.fetch_sub(1, Ordering::Relaxed);
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
        Some(Permit {
            admission: self.clone(),
            client: client.filter(|_| self.per_client.is_some()),
        })
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
