//! pingme's use cases, one module per group. Each owns its whole sequence — authorize,
//! validate, write in one transaction, publish the events that follow — so that REST
//! handlers, the chat socket and the operator CLI are thin adapters over the same code and
//! every caller gets the same side effects. Nothing else publishes events.
#![forbid(unsafe_code)]

pub mod access;
pub mod accounts;
pub mod attachments;
pub mod cache;
pub mod categories;
pub mod chat;
pub mod community;
pub mod directory;
pub mod dms;
mod error;
mod gateway;
pub mod invites;
pub mod listing;
pub mod media;
pub mod moderation;
pub mod pages;
pub mod passwords;
pub mod reactions;
pub mod read_states;
pub mod sessions;

pub use access::Actor;
pub use cache::ReadCache;
pub use chat::ChatFrames;
pub use error::{AppError, AppResult};
use listing::ListingCache;
pub use pages::{Kept, KeptPage, PageCache};

use pingme_domain::events::{BusStatus, Event, EventBus};
use pingme_domain::media::MediaStore;
use pingme_domain::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// How the use cases behave where the operator may choose.
#[derive(Clone, Copy, Debug)]
pub struct AppSettings {
    /// How long an image no longer used is kept before it is deleted (`PINGME_MEDIA_SWEEP_DELAY`).
    pub media_sweep_delay: Duration,
    /// How long an uploaded attachment waits to be used in a message before it is swept
    /// (`PINGME_ATTACHMENT_TTL`).
    pub attachment_ttl: Duration,
    /// At most this many bytes of channels' latest pages are kept rendered, and as many of
    /// listings of servers (`PINGME_PAGE_CACHE`); zero keeps none.
    pub page_cache: usize,
}

/// The use cases and the ports they work through. Cheap to clone: everything is behind an
/// `Arc`. The store and the media store are public for the read paths that need no use case.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub media: Arc<dyn MediaStore>,
    events: Arc<dyn EventBus>,
    frames: Arc<dyn ChatFrames>,
    settings: AppSettings,
    /// What nearly every request reads; the bus's events keep it honest (see [`cache`]).
    cache: Arc<ReadCache>,
    /// Channels' latest pages, checked against the database's versions (see [`pages`]).
    pages: Arc<PageCache>,
    /// Listings of servers, checked against the directory's version (see [`listing`]).
    listings: Arc<ListingCache>,
    /// Who is online, for the statuses a joiner and a server's members exchange.
    presence: std::sync::OnceLock<Arc<dyn pingme_domain::presence::Statuses>>,
    touches: Arc<sessions::Touches>,
}

impl App {
    pub fn new(
        store: Arc<dyn Store>,
        media: Arc<dyn MediaStore>,
        events: Arc<dyn EventBus>,
        frames: Arc<dyn ChatFrames>,
        settings: AppSettings,
        cache: Arc<ReadCache>,
    ) -> Self {
        Self {
            store,
            media,
            events,
            frames,
            settings,
            cache,
            pages: Arc::new(PageCache::new(settings.page_cache)),
            listings: Arc::new(ListingCache::new(settings.page_cache)),
            presence: std::sync::OnceLock::new(),
            touches: Arc::default(),
        }
    }

    /// Where statuses are read (set once, by whoever holds the real-time layer).
    pub fn set_presence(&self, presence: Arc<dyn pingme_domain::presence::Statuses>) {
        let _ = self.presence.set(presence);
    }

    /// Which bus carries the events and whether it reaches the other nodes (`/readyz`).
    pub fn bus_status(&self) -> BusStatus {
        self.events.status()
    }

    /// After the write is committed: never waits, never fails the use case.
    fn publish(&self, event: Event) {
        self.events.publish(event);
    }
}
