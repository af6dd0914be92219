//! Channels' latest pages of history, rendered, kept while the database says they still
//! stand: what every client reads on every channel switch, read from the database once per
//! change instead of once per request.
//!
//! Each page is kept with the [`PageVersion`] read *before* it: the database raises that
//! version in the transaction of every write the page shows (a message written, edited or
//! deleted in the channel, an author's profile changed, an account deleted: migration 0006's
//! triggers; a reaction given or taken back, a pin or an unpin: those writes themselves).
//! A request reads the version (one key lookup) and uses the kept page only if it is the
//! same. The page read after the version holds at least what the version says, so a page is
//! never used once a change it does not show is committed — on this node or any other, with
//! or without the bus. A page kept from a read that also saw a later change is merely never
//! used again.
//!
//! Only latest pages are kept (older pages are read by scrolling back, once each), at most
//! `budget` bytes of them; past it the least recently used go.
//!
//! Listings of servers are kept the same way ([`Kept`] is for any rendered answer and the
//! version it was read at), checked against the directory's version.

use bytes::Bytes;
use pingme_domain::ChannelId;
use pingme_domain::messages::{Message, PageVersion};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Channels' latest pages, by channel and length.
pub type PageCache = Kept<(ChannelId, u32), PageVersion, KeptPage>;

/// A latest page as kept: rendered for a reader who gave none of its reactions (every `me`
/// false), and, when any message has reactions, the page's messages, to render it again for
/// a reader who gave some.
#[derive(Clone)]
pub struct KeptPage {
    pub body: Bytes,
    pub messages: Option<Arc<[Message]>>,
}

impl Weight for KeptPage {
    fn bytes(&self) -> usize {
        // The messages, roughly: their text and their fixed parts.
        let messages = self.messages.as_ref().map_or(0, |all| {
            all.iter()
                .map(|m| m.content.len() + 256 + m.reactions.len() * 48)
                .sum()
        });
        self.body.len() + messages
    }
}

/// What a kept answer, or its key, weighs against the budget beyond its own size.
pub trait Weight {
    fn bytes(&self) -> usize;
}

impl Weight for (ChannelId, u32) {
    fn bytes(&self) -> usize {
        0
    }
}

impl Weight for Bytes {
    fn bytes(&self) -> usize {
        self.len()
    }
}

/// Answers of type `T`, each kept under its key with the version `V` it was read at.
pub struct Kept<K, V, T> {
    budget: usize,
    /// Raised by every use: the entries' order of last use.
    clock: AtomicU64,
    kept: Mutex<Entries<K, V, T>>,
}

struct Entries<K, V, T> {
    pages: HashMap<K, Entry<V, T>>,
    bytes: usize,
}

struct Entry<V, T> {
    version: V,
    body: T,
    used: u64,
}

impl<K: Eq + Hash + Clone + Weight, V: Eq, T: Weight + Clone> Kept<K, V, T> {
    /// A cache of at most `budget` bytes of pages; zero keeps nothing.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            clock: AtomicU64::new(0),
            kept: Mutex::new(Entries {
                pages: HashMap::new(),
                bytes: 0,
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// The answer under `key`: the one kept, if it was read at the version `version` reads
    /// now; otherwise what `read` reads — after the version, so that it holds at least what
    /// the version says — which is then kept. Keeping nothing, just `read`.
    pub async fn answer<E>(
        &self,
        key: K,
        version: impl Future<Output = Result<V, E>>,
        read: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if !self.enabled() {
            return read.await;
        }
        let version = version.await?;
        if let Some(kept) = self.get(&key, &version) {
            return Ok(kept);
        }
        let answer = read.await?;
        self.keep(key, version, answer.clone());
        Ok(answer)
    }

    /// The answer kept under `key`, if it was read at `version`.
    pub fn get(&self, key: &K, version: &V) -> Option<T> {
        let used = self.tick();
        let mut kept = self.lock();
        let entry = kept.pages.get_mut(key)?;
        if entry.version != *version {
            return None;
        }
        entry.used = used;
        Some(entry.body.clone())
    }

    /// Keeps an answer read after `version` was read, in place of any other of its key.
    pub fn keep(&self, key: K, version: V, body: T) {
        let size = weight(&key, &body);
        let used = self.tick();
        let mut kept = self.lock();
        if let Some(old) = kept.pages.remove(&key) {
            kept.bytes -= weight(&key, &old.body);
        }
        // One answer may take an eighth of the budget at most.
        if size > self.budget / 8 {
            return;
        }
        kept.bytes += size;
        let entry = Entry {
            version,
            body,
            used,
        };
        kept.pages.insert(key, entry);
        if kept.bytes > self.budget {
            kept.shrink_to(self.budget / 4 * 3);
        }
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.lock().pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V, T>> {
        // A panic while holding the lock leaves the map whole (no step of it can panic
        // half-way), so the entries stay usable.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What an entry is counted for beside its answer and what its key holds on the heap: the
/// key and version themselves and the map's slot, roughly. So that many tiny answers (an
/// empty listing is 2 bytes) cannot take far more memory than the budget says.
const ENTRY_BYTES: usize = 128;

fn weight(key: &impl Weight, body: &impl Weight) -> usize {
    key.bytes() + body.bytes() + ENTRY_BYTES
}

impl<K: Eq + Hash + Clone + Weight, V, T: Weight> Entries<K, V, T> {
    /// Forgets the least recently used answers, a quarter of them at a time, until at most
    /// `bytes` are kept: each round finds its cut in linear time.
    fn shrink_to(&mut self, bytes: usize) {
        while self.bytes > bytes && !self.pages.is_empty() {
            let mut uses: Vec<u64> = self.pages.values().map(|e| e.used).collect();
            let cut = uses.len() / 4;
            let (_, &mut oldest_kept, _) = uses.select_nth_unstable(cut);
            let mut freed = 0;
            self.pages.retain(|key, entry| {
                let keep = entry.used >= oldest_kept;
                if !keep {
                    freed += weight(key, &entry.body);
                }
                keep
            });
            self.bytes -= freed;
            if freed == 0 {
                // Fewer than four entries (which no answer's limit of an eighth of the
                // budget lets happen): all go.
                self.pages.clear();
                self.bytes = 0;
            }
        }
        self.pages.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(messages: i64, profiles: i64) -> PageVersion {
        PageVersion {
            database: 7,
            messages,
            profiles,
        }
    }

    type Pages = Kept<(ChannelId, u32), PageVersion, Bytes>;

    fn body(size: usize) -> Bytes {
        Bytes::from(vec![b'x'; size])
    }

    #[test]
    fn a_page_is_used_only_at_the_version_it_was_read_at() {
        let cache: Pages = Kept::new(1 << 20);
        let (channel, other) = (ChannelId(1), ChannelId(2));
        cache.keep((channel, 50), version(3, 1), Bytes::from_static(b"[1]"));
        assert_eq!(
            cache.get(&(channel, 50), &version(3, 1)).as_deref(),
            Some(&b"[1]"[..])
        );
        assert_eq!(
            cache.get(&(channel, 50), &version(4, 1)),
            None,
            "a new message"
        );
        assert_eq!(cache.get(&(channel, 50), &version(3, 2)), None, "a profile");
        assert_eq!(
            cache.get(&(channel, 20), &version(3, 1)),
            None,
            "another length"
        );
        assert_eq!(
            cache.get(&(other, 50), &version(3, 1)),
            None,
            "another channel"
        );
        cache.keep((channel, 50), version(4, 1), Bytes::from_static(b"[2]"));
        assert_eq!(cache.get(&(channel, 50), &version(3, 1)), None, "replaced");
        assert_eq!(
            cache.get(&(channel, 50), &version(4, 1)).as_deref(),
            Some(&b"[2]"[..])
        );
    }

    #[test]
    fn past_the_budget_the_least_recently_used_pages_go() {
        let cache: Pages = Kept::new(10_000);
        for n in 0..9 {
            cache.keep((ChannelId(n), 50), version(1, 1), body(900));
        }
        // Channel 0 was used last: it stays when the next page passes the budget.
        assert!(cache.get(&(ChannelId(0), 50), &version(1, 1)).is_some());
        cache.keep((ChannelId(9), 50), version(1, 1), body(900));
        let kept = cache.lock();
        assert!(kept.bytes <= 7_500, "{}", kept.bytes);
        assert_eq!(
            kept.bytes,
            kept.pages
                .values()
                .map(|e| e.body.len() + ENTRY_BYTES)
                .sum::<usize>()
        );
        assert!(kept.pages.contains_key(&(ChannelId(0), 50)));
        assert!(kept.pages.contains_key(&(ChannelId(9), 50)));
        assert!(!kept.pages.contains_key(&(ChannelId(1), 50)));
    }

    #[test]
    fn tiny_answers_count_for_their_entries_too() {
        let cache: Pages = Kept::new(128_000);
        for n in 0..10_000 {
            cache.keep((ChannelId(n), 50), version(1, 1), Bytes::from_static(b"[]"));
        }
        let kept = cache.lock();
        assert!(kept.pages.len() <= 1_000, "{}", kept.pages.len());
        assert!(kept.bytes <= 128_000);
    }

    #[test]
    fn a_zero_budget_keeps_nothing_and_a_page_too_large_is_not_kept() {
        let off: Pages = Kept::new(0);
        assert!(!off.enabled());
        off.keep((ChannelId(1), 50), version(1, 1), body(10));
        assert_eq!(off.get(&(ChannelId(1), 50), &version(1, 1)), None);
        let small: Pages = Kept::new(8_000);
        small.keep((ChannelId(1), 50), version(1, 1), body(100));
        assert!(small.get(&(ChannelId(1), 50), &version(1, 1)).is_some());
        // Too large: not kept, and the older page of its key is let go with it.
        small.keep((ChannelId(1), 50), version(2, 1), body(1_000));
        assert_eq!(small.get(&(ChannelId(1), 50), &version(2, 1)), None);
        assert_eq!(small.get(&(ChannelId(1), 50), &version(1, 1)), None);
        assert_eq!(small.lock().bytes, 0);
    }
}
