//! Memory held by request bodies while they are read, parsed and worked on (an uploaded
//! image waiting for its turn included): at most `total` bytes for all requests, and a
//! share of it for one client address, so that neither one client holding hundreds of
//! connections nor a crowd of them can fill the memory with bodies. A body that does not fit
//! gets 503 with `Retry-After`: the room it needs comes back as other requests finish.
//!
//! Small bodies — a login, a message, a profile edit — come from a pool of their own (an
//! eighth of the total on top of it), so that clients holding the large pool with uploads
//! leave logins working; filling the small pool takes thousands of connections at once.

use crate::error::ApiError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Bodies up to this size come from the small pool.
const SMALL_BODY: usize = 16 * 1024;

pub struct BodyBudget {
    total: usize,
    small: usize,
    per_client: usize,
    used: Mutex<Used>,
}

#[derive(Default)]
struct Used {
    /// Bytes of bodies over [`SMALL_BODY`].
    large: usize,
    small: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// What one request's body holds of the budget; given back when dropped (with the request's
/// input and every upload taken from it).
pub struct Share {
    budget: Arc<BodyBudget>,
    client: IpAddr,
    bytes: usize,
    /// Whether it has outgrown the small pool.
    large: bool,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Share({} bytes)", self.bytes)
    }
}

/// One client's share of `total`: two of the largest bodies, or an eighth of the whole,
/// whichever is more (but never more than the whole).
pub fn client_share(total: usize, max_body: usize) -> usize {
    max_body.saturating_mul(2).max(total / 8).min(total)
}

impl BodyBudget {
    /// `total` bytes for all bodies; one client's share is `per_client`.
    pub fn new(total: usize, per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            total,
            small: (total / 8).max(SMALL_BODY),
            per_client,
            used: Mutex::new(Used::default()),
        })
    }

    /// An empty share for a body from `client` (already the key limits count it under).
    pub fn share(self: &Arc<Self>, client: IpAddr) -> Share {
        Share {
            budget: self.clone(),
            client,
            bytes: 0,
            large: false,
        }
    }

    fn used(&self) -> MutexGuard<'_, Used> {
        self.used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Share {
    /// Takes `bytes` more, or refuses (503) when the client's share or the pool would be
    /// exceeded.
    pub fn take(&mut self, bytes: usize) -> Result<(), ApiError> {
        if bytes == 0 {
            return Ok(());
        }
        let budget = &self.budget;
        let mut used = budget.used();
        let client = used.by_client.get(&self.client).copied().unwrap_or(0);
        if client + bytes > budget.per_client {
            return Err(ApiError::Busy);
        }
        let grown = self.bytes + bytes;
        if !self.large && grown <= SMALL_BODY {
            if used.small + bytes > budget.small {
                return Err(ApiError::Busy);
            }
            used.small += bytes;
        } else {
            // What it held in the small pool moves to the large one with it.
            let moved = if self.large { bytes } else { grown };
            if used.large + moved > budget.total {
                return Err(ApiError::Busy);
            }
            if !self.large {
                used.small -= self.bytes;
                self.large = true;
            }
            used.large += moved;
        }
        *used.by_client.entry(self.client).or_default() += bytes;
        self.bytes = grown;
        Ok(())
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut used = self.budget.used();
        match self.large {
            true => used.large -= self.bytes,
            false => used.small -= self.bytes,
        }
        if let Some(client) = used.by_client.get_mut(&self.client) {
            *client -= self.bytes;
            if *client == 0 {
                used.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_client_may_hold_two_of_the_largest_bodies_or_an_eighth() {
        assert_eq!(client_share(256 << 20, 10 << 20), 32 << 20);
        assert_eq!(client_share(64 << 20, 10 << 20), 20 << 20);
        assert_eq!(client_share(8 << 20, 10 << 20), 8 << 20);
    }

    #[test]
    fn one_client_gets_its_share_and_everyone_the_total() {
        const K: usize = 20 * 1024; // over the small bodies' size
        let budget = BodyBudget::new(5 * K, 3 * K);
        let mut first = budget.share(A);
        first.take(2 * K).unwrap();
        let mut second = budget.share(A);
        assert!(second.take(2 * K).is_err(), "over A's share");
        let mut other = budget.share(B);
        other.take(3 * K).unwrap();
        let third = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 3));
        assert!(budget.share(third).take(K).is_err(), "over the total");
        budget.share(third).take(100).unwrap();
        drop(first);
        second.take(2 * K).unwrap();
        drop((second, other));
        let used = budget.used();
        assert_eq!((used.large, used.small), (0, 0));
        assert!(used.by_client.is_empty());
    }

    #[test]
    fn small_bodies_get_in_while_large_ones_hold_the_total() {
        let budget = BodyBudget::new(1 << 20, 1 << 20);
        let mut upload = budget.share(A);
        upload.take(100).unwrap();
        upload.take(1_040_000).unwrap();
        assert!(
            budget.share(B).take(SMALL_BODY + 1).is_err(),
            "no room for a large one"
        );
        let mut login = budget.share(B);
        login.take(200).unwrap();
        login.take(200).unwrap();
        drop(upload);
        assert_eq!(budget.used().large, 0, "its small start moved with it");
        assert_eq!(budget.used().small, 400);
    }
}
