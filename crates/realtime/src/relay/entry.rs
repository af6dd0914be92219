//! What a node's stream holds, and how a session's place in it is written down.

use crate::{Grant, Seat};
use pingme_domain::events::Dispatch;
use pingme_domain::{AccountId, ServerId};
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
    /// Written by the node itself when it starts reading and every upkeep round: every place
    /// in the stream is an entry, so whether the stream still holds a place is one lookup, and
    /// an idle stream is never trimmed empty.
    Mark,
    Dispatch(Arc<Dispatch>),
    /// The session's servers, read again as it was identified: the numbers after it follow
    /// from them (in the stream, so that a replay sees the change where the node saw it).
    Servers(Arc<str>, Vec<ServerId>),
    /// The node left these scopes' interest sets (no session held them for a while): a
    /// session holding one after all (joined just then) may miss what follows, and ends.
    Unregistered(Vec<String>),
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

/// A session's number, servers and changes of reach at a place in its node's stream: from
/// there, the entries after it give its next numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: u64,
    pub at: StreamId,
    pub servers: Vec<ServerId>,
    /// Until the session is settled (see `Seat::changed`).
    pub changed: Vec<(ServerId, bool)>,
}

impl Checkpoint {
    pub fn of(seat: &Seat, at: StreamId) -> Self {
        Self {
            seq: seat.seq,
            at,
            servers: seat.servers.clone(),
            changed: seat.changed.clone(),
        }
    }

    /// `<seq> <stream id> <server>,<server>… <server>+,<server>-…`
    pub fn encode(&self) -> String {
        let servers: Vec<String> = self.servers.iter().map(|s| s.0.to_string()).collect();
        let changed: Vec<String> = self
            .changed
            .iter()
            .map(|(s, joined)| format!("{}{}", s.0, if *joined { '+' } else { '-' }))
            .collect();
        format!(
            "{} {} {} {}",
            self.seq,
            self.at,
            servers.join(","),
            changed.join(",")
        )
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
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
        let changed = parts
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (id, sign) = s.split_at(s.len() - 1);
                Some((ServerId(id.parse().ok()?), sign == "+"))
            })
            .collect::<Option<_>>()?;
        Some(Self {
            seq,
            at,
            servers,
            changed,
        })
    }

    /// The session as it stands here.
    pub fn seat(&self, session: &str, account: AccountId, grant: Grant) -> Seat {
        Seat {
            session: session.into(),
            account,
            grant,
            seq: self.seq,
            servers: self.servers.clone(),
            changed: self.changed.clone(),
        }
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
            changed: vec![(ServerId(10), true), (ServerId(4), false)],
        };
        assert_eq!(ck.encode(), "42 5-1 3,10 10+,4-");
        assert_eq!(Checkpoint::decode(&ck.encode()), Some(ck));
        let none = Checkpoint {
            seq: 1,
            at: StreamId(5, 0),
            servers: vec![],
            changed: vec![],
        };
        assert_eq!(Checkpoint::decode(&none.encode()), Some(none));
    }
}
