//! The use cases as the operator's commands reach them. This process holds no sockets, so
//! the events a command publishes are kept and, once it is done, sent to every node over
//! Redis (`REDIS_URL`), where they close what they must at once. Without Redis there is no
//! other process to tell: the server re-checks its sockets against the database every ping
//! interval, which closes them within `PINGME_WS_PING`.

use crate::Settings;
use anyhow::Context;
use pingme_api::chat::frames::SocketFrames;
use pingme_app::{App, AppSettings};
use pingme_domain::events::{Event, EventBus};
use pingme_domain::store::Store;
use std::sync::{Arc, Mutex};

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
        };
        let app = App::new(store, media, outbox.clone(), frames, app_settings);
        let redis = settings
            .redis_url
            .clone()
            .filter(|url| !url.is_empty())
            .map(|url| (url, settings.redis_channel.clone()));
        Ok(Self { app, outbox, redis })
    }

    /// Sends what the command published to every node; answers how they were reached.
    pub async fn finish(self) -> anyhow::Result<Reach> {
        let events = std::mem::take(&mut *self.outbox.0.lock().unwrap_or_else(|e| e.into_inner()));
        if events.is_empty() {
            return Ok(Reach::Nothing);
        }
        let Some((url, channel)) = &self.redis else {
            return Ok(Reach::NextRecheck);
        };
        pingme_realtime::publish_once(url, channel, events)
            .await
            .context("the change is saved, but Redis could not take its events: open sockets close at the nodes' next re-check (PINGME_WS_PING)")?;
        Ok(Reach::AtOnce)
    }
}

/// How the nodes learn of a command's change.
#[derive(Debug, PartialEq, Eq)]
pub enum Reach {
    /// Nothing to tell them.
    Nothing,
    /// Over Redis, now.
    AtOnce,
    /// At their next re-check of the sockets against the database.
    NextRecheck,
}
