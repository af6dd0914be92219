//! The in-process bus: every subscriber of this node gets every event published on it.

use pingme_domain::events::{Event, EventBus};
use tokio::sync::broadcast;

/// Events a slow subscriber may fall behind by before it is told it lagged.
const CAPACITY: usize = 4096;

#[derive(Clone, Debug)]
pub struct LocalBus {
    sender: broadcast::Sender<Event>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl LocalBus {
    /// Every event published from now on. A receiver that falls more than the capacity
    /// behind gets `RecvError::Lagged` and must resynchronise; it never blocks publishers.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        // No subscriber is not an error: nobody is connected.
        let _ = self.sender.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingme_domain::{AccountId, ServerId};

    #[tokio::test]
    async fn every_subscriber_receives_what_is_published_after_it_subscribed() {
        let bus = LocalBus::default();
        bus.publish(Event::ServerDeleted {
            server: ServerId(1),
        });
        let mut first = bus.subscribe();
        let mut second = bus.subscribe();
        let event = Event::MemberRemoved {
            server: ServerId(2),
            account: AccountId(3),
        };
        bus.publish(event.clone());
        assert_eq!(first.recv().await.unwrap(), event);
        assert_eq!(second.recv().await.unwrap(), event);
        assert!(
            first.try_recv().is_err(),
            "nothing from before it subscribed"
        );
    }
}
