//! The use cases as the operator's commands reach them. This process holds no sockets, so
//! the events a command publishes are kept and, once it is done, sent to every node over
//! Redis (`REDIS_URL`), where they close what they must at once. Without Redis there is no
//! other process to tell: the server re-checks its sockets against the database every ping
//! interval, which closes them within `PINGME_WS_PING`.

use crate::Settings;
use pingme_api::chat::frames::SocketFrames;
use pingme_app::{App, AppSettings, ReadCache};
use pingme_domain::events::{Event, EventBus};
use pingme_domain::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Events published by a command, not yet sent.
#[derive(Default)]
struct Outbox(Mutex<Vec<Event>>);

impl EventBus for Outbox {
    fn publish(&self, event: Event) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

pub struct Operator {
    pub app: App,
    outbox: Arc<Outbox>,
    redis: Option<(String, String)>,
}

impl Operator {
    pub fn new(store: Arc<dyn Store>, settings: &Settings) -> anyhow::Result<Self> {
        let media = crate::app::media_store(settings.media_config(), "")?;
        let frames = Arc::new(SocketFrames::new(media.clone(), String::new()));
        let outbox = Arc::new(Outbox::default());
        let app_settings = AppSettings {
            media_sweep_delay: settings.media_sweep_delay,
            attachment_ttl: settings.attachment_ttl,
            // The operator's commands read no history.
            page_cache: 0,
        };
        // A command lives for one use case: nothing worth caching.
        let cache = Arc::new(ReadCache::new(Duration::ZERO));
        let app = App::new(store, media, outbox.clone(), frames, app_settings, cache);
        Ok(Self {
            app,
            outbox,
            redis: settings.redis(),
        })
    }

    /// Sends what the command published to every node and says how far it went. The change
    /// is saved whatever happens here: a bus that cannot be reached only delays its effect on
    /// open sockets until the nodes' next re-check, so that is a warning, not a failure.
    pub async fn finish(self) {
        let events = std::mem::take(&mut *self.outbox.0.lock().unwrap_or_else(|e| e.into_inner()));
        if events.is_empty() {
            return;
        }
        const LATER: &str = "open sockets close at the nodes' next check (PINGME_WS_PING)";
        let Some((url, channel)) = &self.redis else {
            println!("{LATER}; set REDIS_URL to tell the nodes at once");
            return;
        };
        match pingme_realtime::publish_once(url, channel, events).await {
            Ok(0) => {
                eprintln!("warning: no node listens on the Redis channel {channel:?}; {LATER}")
            }
            Ok(nodes) => {
                println!("told {nodes} node(s) over Redis; they close the affected sockets now")
            }
            Err(error) => eprintln!(
                "warning: the change is saved, but Redis could not take its events ({error}); {LATER}"
            ),
        }
    }
}
