//! Servers, their channels and members, the categories they are grouped in, and invites.

use crate::search::SearchText;
use crate::text::{Refusal, bounded_text, too_long};
use crate::{AccountId, CategoryId, ChannelId, ServerId, Timestamp};

/// A name kept lowercase (categories, channels), at most `max` characters, not blank.
fn lowercase_name(raw: &str, max: usize) -> Result<String, Refusal> {
    let name = raw.trim().to_lowercase();
    if name.is_empty() {
        return Err("This field may not be blank.".into());
    }
    if name.chars().count() > max {
        return Err(too_long(max));
    }
    if name.chars().any(char::is_control) {
        return Err("Enter a name without control characters.".into());
    }
    Ok(name)
}

/// A category name, stored lowercase and unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryName(String);

impl CategoryName {
    pub const MAX_CHARS: usize = 50;

    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        lowercase_name(raw, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A channel name, stored lowercase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelName(String);

impl ChannelName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        lowercase_name(raw, Self::MAX_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

bounded_text!(
    /// A server's name.
    ServerName, max = 100, allow_blank = false
);
bounded_text!(
    /// The description of a server, channel or category.
    Description, max = 255, allow_blank = true
);

/// The only kind of channel there is (the contract's `type`).
pub const TEXT_CHANNEL: &str = "text";

/// The channel every new server starts with.
pub const FIRST_CHANNEL: (&str, &str) = ("general", "General text chat");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub description: Option<String>,
    pub icon: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewCategory {
    pub name: CategoryName,
    pub description: Option<Description>,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct CategoryChanges {
    pub name: Option<CategoryName>,
    pub description: Option<Option<Description>>,
    pub icon: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub server: ServerId,
    pub owner: AccountId,
    pub name: String,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewChannel {
    pub server: ServerId,
    pub owner: AccountId,
    pub name: ChannelName,
    pub description: Option<Description>,
}

#[derive(Clone, Debug, Default)]
pub struct ChannelChanges {
    pub name: Option<ChannelName>,
    pub description: Option<Option<Description>>,
}

/// A server with everything its API object shows: channels (by id) and members (by id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub id: ServerId,
    pub name: String,
    pub description: Option<String>,
    pub owner: AccountId,
    /// The owner's login name (the API's `owner`).
    pub owner_login: String,
    pub category: CategoryId,
    pub category_name: String,
    pub is_private: bool,
    pub icon: Option<String>,
    pub banner: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub channels: Vec<Channel>,
    pub members: Vec<AccountId>,
}

impl Server {
    pub fn has_member(&self, account: AccountId) -> bool {
        self.members.binary_search(&account).is_ok()
    }
}

#[derive(Clone, Debug)]
pub struct NewServer {
    pub name: ServerName,
    pub description: Option<Description>,
    pub owner: AccountId,
    pub category: CategoryId,
    pub is_private: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ServerChanges {
    pub name: Option<ServerName>,
    pub description: Option<Option<Description>>,
    pub category: Option<CategoryId>,
    pub is_private: Option<bool>,
    pub icon: Option<Option<String>>,
    pub banner: Option<Option<String>>,
}

/// Where the directory stands: raised, in the transaction of the write, by every change a
/// listing of servers shows (a server, a membership, a category or a channel written, an
/// owner's login changed). `database` as in [`crate::messages::PageVersion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DirectoryVersion {
    pub database: i64,
    pub directory: i64,
}

/// Which servers a listing wants; every condition given must hold. Private servers are
/// only ever listed to their members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ServerQuery {
    /// Who is asking (`None`: anonymous).
    pub viewer: Option<AccountId>,
    /// Exact lowercase category name.
    pub category: Option<String>,
    /// Servers this account is a member of.
    pub member: Option<AccountId>,
    pub id: Option<ServerId>,
    /// Servers the viewer shares with this account.
    pub shared_with: Option<AccountId>,
    /// Servers whose name contains this text, in any case.
    pub name: Option<SearchText>,
    /// Only servers with a greater id (the cursor of the next page).
    pub after: Option<ServerId>,
    /// The first this many, by id.
    pub limit: Option<u32>,
}

/// An account's standing in one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Outsider,
    Member,
    Banned,
}

/// What joining did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    Joined,
    AlreadyMember,
    Banned,
    /// Private servers are joined through invites only.
    Private,
    NoSuchServer,
}

/// What banning did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Banned {
    /// Banned; `was_member` when a membership was removed with it.
    Banned { was_member: bool },
    /// The owner cannot be banned from their own server.
    Owner,
}

/// What leaving did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Left {
    Left,
    NotMember,
    /// The owner stays: they delete the server or hand it on first.
    Owner,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ban {
    pub account: AccountId,
    pub login: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    pub code: String,
    pub server: ServerId,
    pub uses: i64,
    pub max_uses: Option<i64>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

impl Invite {
    /// Whether the invite still lets people in at `now`.
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|expiry| now < expiry)
            && self.max_uses.is_none_or(|max| self.uses < max)
    }
}

#[derive(Clone, Debug)]
pub struct NewInvite {
    pub code: String,
    pub server: ServerId,
    pub created_by: AccountId,
    pub max_uses: Option<i64>,
    pub expires_at: Option<Timestamp>,
}

/// What accepting an invite did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    Joined(ServerId),
    AlreadyMember(ServerId),
    Banned,
    /// Unknown, revoked, expired or used up: all look the same from outside.
    Unusable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_and_channel_names_are_kept_lowercase() {
        assert_eq!(CategoryName::parse("  Gaming ").unwrap().as_str(), "gaming");
        assert_eq!(
            ChannelName::parse("Off-Topic").unwrap().as_str(),
            "off-topic"
        );
        assert_eq!(
            ChannelName::parse(" ").unwrap_err(),
            "This field may not be blank."
        );
        assert!(CategoryName::parse(&"x".repeat(51)).is_err());
        assert!(ChannelName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn invites_run_out_by_time_or_uses() {
        let now = Timestamp::from_unix_micros(1_000_000_000).unwrap();
        let later = Timestamp::from_unix_micros(2_000_000_000).unwrap();
        let invite = Invite {
            code: "abc".into(),
            server: ServerId(1),
            uses: 2,
            max_uses: Some(3),
            expires_at: Some(later),
            created_at: now,
        };
        assert!(invite.is_usable(now));
        assert!(!invite.is_usable(later));
        assert!(
            !Invite {
                uses: 3,
                ..invite.clone()
            }
            .is_usable(now)
        );
        assert!(
            Invite {
                max_uses: None,
                expires_at: None,
                uses: 1_000,
                ..invite
            }
            .is_usable(later)
        );
    }
}
