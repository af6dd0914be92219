//! Direct messages: channels without a server, between a fixed set of people (two, or a
//! group of up to [`MAX_DM_PEOPLE`]), and blocks between people.

use crate::account::Account;
use crate::{AccountId, ChannelId, ServerId, Timestamp};

/// The most other people one direct message is opened with.
pub const MAX_DM_RECIPIENTS: usize = 9;
/// The most people in one direct message, its opener included.
pub const MAX_DM_PEOPLE: usize = MAX_DM_RECIPIENTS + 1;

/// Where a channel belongs: what decides who may read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Home {
    /// A text channel of a server: its members read it.
    Server(ServerId),
    /// A direct message: its people read it.
    Dm,
}

impl Home {
    pub fn server(self) -> Option<ServerId> {
        match self {
            Home::Server(server) => Some(server),
            Home::Dm => None,
        }
    }
}

/// A direct message as its people see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dm {
    pub id: ChannelId,
    /// Its people now, by id (someone who left a group, or whose account was deleted, is no
    /// longer among them).
    pub members: Vec<AccountId>,
    /// Opened between three people or more: one may leave it.
    pub group: bool,
    pub created_at: Timestamp,
}

impl Dm {
    /// The people `viewer` talks to in it: its `recipients`.
    pub fn others(&self, viewer: AccountId) -> Vec<AccountId> {
        self.members
            .iter()
            .copied()
            .filter(|m| *m != viewer)
            .collect()
    }
}

/// A direct message as one of its people sees it: the others are its `recipients`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmView {
    pub id: ChannelId,
    pub group: bool,
    pub recipients: Vec<Account>,
}

/// The set of people a direct message is opened between, the opener among them: each once,
/// in id order. The same set always names the same channel ([`DmPeople::key`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmPeople {
    pub opener: AccountId,
    /// The others, each once, in id order, never the opener.
    pub recipients: Vec<AccountId>,
}

/// Why a set of recipients cannot make a direct message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadRecipients {
    None,
    TooMany,
    Oneself,
}

impl DmPeople {
    pub fn new(opener: AccountId, recipients: &[AccountId]) -> Result<Self, BadRecipients> {
        if recipients.contains(&opener) {
            return Err(BadRecipients::Oneself);
        }
        let mut recipients = recipients.to_vec();
        recipients.sort_unstable();
        recipients.dedup();
        match recipients.len() {
            0 => Err(BadRecipients::None),
            n if n > MAX_DM_RECIPIENTS => Err(BadRecipients::TooMany),
            _ => Ok(Self { opener, recipients }),
        }
    }

    /// Everyone, in id order.
    pub fn everyone(&self) -> Vec<AccountId> {
        let mut all = self.recipients.clone();
        all.push(self.opener);
        all.sort_unstable();
        all
    }

    /// The channel's key: everyone's ids in order, joined by commas.
    pub fn key(&self) -> String {
        let ids: Vec<String> = self.everyone().iter().map(|a| a.0.to_string()).collect();
        ids.join(",")
    }

    pub fn group(&self) -> bool {
        self.recipients.len() > 1
    }
}

/// Whether a key ([`DmPeople::key`]) is a group's.
pub fn key_is_group(key: &str) -> bool {
    key.matches(',').count() > 1
}

/// What opening a direct message came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DmOpening {
    /// The channel of these people, made now (`created`) or already there; `joined` are
    /// those it was not shown to before (everyone when it was made; anyone who had left a
    /// group is back).
    Opened {
        dm: Dm,
        created: bool,
        joined: Vec<AccountId>,
    },
    /// These recipients are no accounts, or shut-out ones.
    Unknown(Vec<AccountId>),
    /// The opener shares no server and no direct message with these.
    Strangers(Vec<AccountId>),
    /// A block stands between the opener and these (either way).
    Blocked(Vec<AccountId>),
}

/// What leaving a direct message came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftDm {
    /// Left; the channel is gone if nobody stayed.
    Left { emptied: bool },
    /// Not one of its people (or no such direct message).
    NotIn,
    /// A direct message between two is not left.
    NotAGroup,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_people_make_the_same_key_whoever_opens() {
        let one = DmPeople::new(AccountId(3), &[AccountId(10), AccountId(2), AccountId(10)]);
        let other = DmPeople::new(AccountId(10), &[AccountId(2), AccountId(3)]);
        assert_eq!(one.unwrap().key(), "2,3,10");
        assert_eq!(other.clone().unwrap().key(), "2,3,10");
        assert!(other.unwrap().group());
        assert!(key_is_group("2,3,10"));
        assert!(!key_is_group("2,3"));
    }

    #[test]
    fn recipients_are_one_to_nine_others() {
        assert_eq!(DmPeople::new(AccountId(1), &[]), Err(BadRecipients::None));
        assert_eq!(
            DmPeople::new(AccountId(1), &[AccountId(1), AccountId(2)]),
            Err(BadRecipients::Oneself)
        );
        let nine: Vec<AccountId> = (2..=10).map(AccountId).collect();
        assert!(DmPeople::new(AccountId(1), &nine).is_ok());
        let ten: Vec<AccountId> = (2..=11).map(AccountId).collect();
        assert_eq!(
            DmPeople::new(AccountId(1), &ten),
            Err(BadRecipients::TooMany)
        );
        let pair = DmPeople::new(AccountId(1), &[AccountId(2)]).unwrap();
        assert!(!pair.group());
    }
}
