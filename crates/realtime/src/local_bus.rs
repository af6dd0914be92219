//! The in-process bus: an event published on this node is carried out at once on its other
//! sinks (the read cache) and on this node's hub (no queue in between that could overflow
//! and drop deliveries), and handed to any observers.

use crate::Hub;
use pingme_domain::events::{Event, EventBus, EventSink};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events an observer may fall behind by before it is told it lagged.
const OBSERVER_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct LocalBus {
    hub: Arc<Hub>,
    sinks: Vec<Arc<dyn EventSink>>,
    observers: broadcast::Sender<Event>,
}

impl LocalBus {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self {
            hub,
            sinks: Vec::new(),
            observers: broadcast::channel(OBSERVER_CAPACITY).0,
        }
    }

    /// Also carries every event out on `sink`, right after the hub.
    pub fn with_sink(mut self, sink: Arc<dyn EventSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Every event published from now on (for tests and diagnostics; a slow observer gets
    /// `Lagged`, it never slows the bus).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.observers.subscribe()
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        // The sinks first: a socket the hub closes may be opened again at once, and must
        // then find nothing stale.
        for sink in &self.sinks {
            sink.apply(&event);
        }
        self.hub.apply(&event);
        if self.observers.receiver_count() > 0 {
            let _ = self.observers.send(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingme_domain::{AccountId, ChannelId, ServerId};

    #[tokio::test]
    async fn published_events_reach_the_hub_and_observers() {
        let hub = Arc::new(Hub::default());
        let bus = LocalBus::new(hub.clone());
        let mut socket = hub.join((ServerId(1), ChannelId(2)), (AccountId(3), 0), 4);
        let mut observer = bus.subscribe();
        let event = Event::ChannelFrame {
            channel: ChannelId(2),
            frame: "{}".into(),
            except: None,
        };
        bus.publish(event.clone());
        assert_eq!(socket.frames.recv().await.unwrap().as_str(), "{}");
        assert_eq!(observer.recv().await.unwrap(), event);
    }
}
