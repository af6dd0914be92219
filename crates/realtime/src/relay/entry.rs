//! What a node's stream holds, and how a session's place in it is written down.

use crate::Seat;
use pingme_domain::ServerId;
use pingme_domain::events::Dispatch;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A Redis stream entry id (`<ms>-<n>`), ordered as Redis orders them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId(pub u64, pub u64);

impl FromStr for StreamId {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (ms, n) = text.split_once('-').ok_or(())?;
        Ok(Self(
            ms.parse().map_err(|_| ())?,
            n.parse().map_err(|_| ())?,
        ))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// One entry of a node's stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// Written by the node itself when it starts reading: every place in the stream is an
    /// entry, so whether the stream still holds a place is one lookup.
    Start,
    Dispatch(Arc<Dispatch>),
    /// The session is numbered by another node from here on.
    Takeover(Arc<str>),
    /// Dispatches may have been lost before this point (a node could not reach Redis): the
    /// sessions are ended, and no resume replays across it.
    Gap,
}

impl Entry {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn decode(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// A session's number and servers at a place in its node's stream: from there, the entries
/// after it give its next numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub at: StreamId,
    pub servers: Vec<ServerId>,
}

impl Checkpoint {
    pub fn of(seat: &Seat, at: StreamId) -> Self {
        Self {
            seq: seat.seq,
            at,
            servers: seat.servers.clone(),
        }
    }

    /// `<seq> <stream id> <server>,<server>…`
    pub fn encode(&self) -> String {
        let servers: Vec<String> = self.servers.iter().map(|s| s.0.to_string()).collect();
        format!("{} {} {}", self.seq, self.at, servers.join(","))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, ' ');
        let seq = parts.next()?.parse().ok()?;
        let at = parts.next()?.parse().ok()?;
        let servers = parts
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map(ServerId))
            .collect::<Result<_, _>>()
            .ok()?;
        Some(Self { seq, at, servers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_read_back_and_order_as_redis_does() {
        let a: StreamId = "1700000000000-3".parse().unwrap();
        let b: StreamId = "1700000000001-0".parse().unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "1700000000000-3");
        assert!("17".parse::<StreamId>().is_err());
    }

    #[test]
    fn checkpoints_read_back() {
        let ck = Checkpoint {
            seq: 42,
            at: StreamId(5, 1),
            servers: vec![ServerId(3), ServerId(10)],
        };
        assert_eq!(ck.encode(), "42 5-1 3,10");
        assert_eq!(Checkpoint::decode(&ck.encode()), Some(ck));
        let none = Checkpoint {
            seq: 1,
            at: StreamId(5, 0),
            servers: vec![],
        };
        assert_eq!(Checkpoint::decode(&none.encode()), Some(none));
    }
}
