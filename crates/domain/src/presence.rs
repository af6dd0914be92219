//! Presence: what a person shows others (`online`, `idle`, `dnd`, or `offline`), made of the
//! statuses of their sessions.
//!
//! Each connected session has a status its client sets (`online` until it says otherwise).
//! A person's status is the strongest of their sessions': an explicit choice (`invisible`,
//! then `dnd`) wins over activity (`online`), and activity over `idle`. With no session, a
//! person is offline; `invisible` is shown to others as `offline`, and to the person's own
//! sessions as it is.

use crate::AccountId;
use async_trait::async_trait;

/// Presence is shared among people who share a server of at most this many members: in a
/// larger one, every status change would go to a multitude who mostly never look at it.
pub const SHARED_IN_SERVERS_UP_TO: u32 = 1000;

/// Whether the people of a server of `members` members see each other's presence.
pub fn shared_in(members: usize) -> bool {
    members <= SHARED_IN_SERVERS_UP_TO as usize
}

/// A session's status, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Idle,
    Online,
    Dnd,
    Invisible,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Idle, Status::Online, Status::Dnd, Status::Invisible];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Online => "online",
            Status::Dnd => "dnd",
            Status::Invisible => "invisible",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// What others see of a person whose sessions come to `status` (`None`: no session).
pub fn shown(status: Option<Status>) -> &'static str {
    match status {
        None | Some(Status::Invisible) => "offline",
        Some(status) => status.as_str(),
    }
}

/// What the person's own sessions see.
pub fn own(status: Option<Status>) -> &'static str {
    status.map_or("offline", Status::as_str)
}

/// A person's status made of their sessions' (`None`: no session).
pub fn combine(sessions: impl IntoIterator<Item = Status>) -> Option<Status> {
    sessions.into_iter().max()
}

/// Where the statuses of people are read (the real-time layer keeps them).
#[async_trait]
pub trait Statuses: Send + Sync {
    /// The statuses of those of `people` who are not offline.
    async fn statuses(&self, people: &[AccountId]) -> Vec<(AccountId, Status)>;
}

/// A person's status changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub account: AccountId,
    pub before: Option<Status>,
    pub after: Option<Status>,
}

impl Change {
    /// The change, if it is one.
    pub fn of(account: AccountId, before: Option<Status>, after: Option<Status>) -> Option<Self> {
        (before != after).then_some(Self {
            account,
            before,
            after,
        })
    }

    /// Whether others see a difference (`invisible` and gone are both `offline` to them).
    pub fn shown_to_others(&self) -> bool {
        shown(self.before) != shown(self.after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_choice_wins_over_activity_and_activity_over_idle() {
        use Status::*;
        assert_eq!(combine([Idle, Online]), Some(Online));
        assert_eq!(combine([Online, Dnd, Idle]), Some(Dnd));
        assert_eq!(combine([Dnd, Invisible, Online]), Some(Invisible));
        assert_eq!(combine([Idle]), Some(Idle));
        assert_eq!(combine([]), None);
    }

    #[test]
    fn invisible_is_offline_to_others_only() {
        assert_eq!(shown(Some(Status::Invisible)), "offline");
        assert_eq!(own(Some(Status::Invisible)), "invisible");
        assert_eq!((shown(None), own(None)), ("offline", "offline"));
        let going = Change::of(AccountId(1), Some(Status::Invisible), None).unwrap();
        assert!(!going.shown_to_others());
        let back = Change::of(AccountId(1), None, Some(Status::Online)).unwrap();
        assert!(back.shown_to_others());
        assert_eq!(Change::of(AccountId(1), None, None), None);
    }

    #[test]
    fn statuses_read_back_as_written() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("offline"), None);
    }
}
