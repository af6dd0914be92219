//! A chat socket's messages in flight: the reader queues a client's message for the store and
//! goes on reading the next frame instead of waiting for the commit, so one busy socket puts
//! several messages in a batch and the writer's batches fill (`ingest` in
//! docs/benchmarks.md). What the socket then sees stays in the order of its frames: each
//! outcome is announced, each typing notice passed on and each error frame for this socket
//! sent only once everything queued before it is settled.

use pingme_domain::messages::{Message, MessageWrite};
use pingme_domain::store::{QueuedMessage, StoreResult};
use std::collections::VecDeque;

/// Messages (and error frames behind them) one socket may have waiting; past this the
/// reader reads no further frame until the oldest is settled.
pub const MAX_IN_FLIGHT: usize = 16;

enum Pending {
    Post {
        queued: QueuedMessage,
        nonce: Option<String>,
    },
    Reply(String),
    Typing,
}

/// What comes out of the queue, in the order it went in.
pub enum Settled {
    /// An error frame for this socket, now that what came before it is settled.
    Reply(String),
    /// A typing notice (already within its rate), to pass on now.
    Typing,
    /// A queued message's outcome.
    Posted {
        written: StoreResult<MessageWrite<Message>>,
        nonce: Option<String>,
    },
}

#[derive(Default)]
pub struct InFlight(VecDeque<Pending>);

impl InFlight {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.0.len() >= MAX_IN_FLIGHT
    }

    pub fn post(&mut self, queued: QueuedMessage, nonce: Option<String>) {
        self.0.push_back(Pending::Post { queued, nonce });
    }

    /// An error frame in its turn: back at once when nothing is in flight, else queued
    /// behind what is.
    pub fn reply(&mut self, frame: String) -> Option<String> {
        if self.0.is_empty() {
            return Some(frame);
        }
        self.0.push_back(Pending::Reply(frame));
        None
    }

    /// A typing notice in its turn: `true` when nothing is in flight and it may go at once,
    /// else it is queued behind what is.
    pub fn typing(&mut self) -> bool {
        if self.0.is_empty() {
            return true;
        }
        self.0.push_back(Pending::Typing);
        false
    }

    /// The oldest entry once it is settled; `None` when nothing is in flight. Cancel-safe:
    /// dropped before it ends, the entry stays where it was, its write going on.
    pub async fn next(&mut self) -> Option<Settled> {
        let settled = match self.0.front_mut()? {
            Pending::Post { queued, nonce } => Settled::Posted {
                written: queued.as_mut().await,
                nonce: nonce.take(),
            },
            Pending::Reply(frame) => Settled::Reply(std::mem::take(frame)),
            Pending::Typing => Settled::Typing,
        };
        self.0.pop_front();
        Some(settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingme_domain::store::StoreError;

    fn queued(outcome: MessageWrite<Message>) -> QueuedMessage {
        Box::pin(async move { Ok(outcome) })
    }

    fn failed() -> QueuedMessage {
        Box::pin(async { Err(StoreError::Unavailable("down".into())) })
    }

    #[tokio::test]
    async fn error_frames_and_typing_wait_for_the_messages_queued_before_them() {
        let mut in_flight = InFlight::default();
        assert_eq!(in_flight.reply("alone".into()).as_deref(), Some("alone"));
        assert!(in_flight.typing(), "nothing in flight: at once");
        in_flight.post(queued(MessageWrite::Refused), Some("a".into()));
        assert_eq!(in_flight.reply("behind".into()), None);
        in_flight.post(failed(), None);
        match in_flight.next().await {
            Some(Settled::Posted {
                written: Ok(MessageWrite::Refused),
                nonce,
            }) => assert_eq!(nonce.as_deref(), Some("a")),
            _ => panic!("the first message's outcome comes first"),
        }
        assert!(!in_flight.typing());
        assert!(matches!(in_flight.next().await, Some(Settled::Reply(f)) if f == "behind"));
        assert!(matches!(
            in_flight.next().await,
            Some(Settled::Posted {
                written: Err(_),
                ..
            })
        ));
        assert!(matches!(in_flight.next().await, Some(Settled::Typing)));
        assert!(in_flight.next().await.is_none());
        assert!(in_flight.is_empty());
    }

    #[tokio::test]
    async fn it_is_full_at_its_bound() {
        let mut in_flight = InFlight::default();
        for _ in 0..MAX_IN_FLIGHT {
            assert!(!in_flight.is_full());
            in_flight.post(queued(MessageWrite::Missing), None);
        }
        assert!(in_flight.is_full());
        in_flight.next().await;
        assert!(!in_flight.is_full());
    }
}
