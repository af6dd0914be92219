//! Who may do what in a server. Pure functions of the caller's relation to the server, so
//! the rules read in one place and are tested as scenarios; handlers turn a refusal into
//! 401 (nobody is logged in) or 403.

use crate::AccountId;
use crate::community::{Server, Standing};

/// A caller's relation to one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Anonymous,
    Outsider,
    Banned,
    Member,
    Owner,
}

impl Relation {
    /// Derives the relation from the server's owner and the caller's standing in it.
    pub fn of(caller: Option<AccountId>, server: &Server, standing: Standing) -> Self {
        match caller {
            None => Self::Anonymous,
            Some(account) if account == server.owner => Self::Owner,
            Some(_) => match standing {
                Standing::Member => Self::Member,
                Standing::Banned => Self::Banned,
                Standing::Outsider => Self::Outsider,
            },
        }
    }

    fn belongs(self) -> bool {
        matches!(self, Self::Member | Self::Owner)
    }
}

/// Why something was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Logging in might help (401).
    Unauthenticated,
    /// It would not (403), with the sentence to show.
    Forbidden(&'static str),
}

pub type Decision = Result<(), Denied>;

/// What a banned account is told when it tries to come back.
pub const BANNED: &str = "You are banned from this server.";
const MEMBERS_ONLY: &str = "This server is private; only its members can see it.";
const OWNER_ONLY: &str = "Only the owner of this server can do that.";
const MEMBER_LIST: &str = "Only members of this server can see who its members are.";

fn signed_in(relation: Relation) -> Decision {
    if relation == Relation::Anonymous {
        Err(Denied::Unauthenticated)
    } else {
        Ok(())
    }
}

/// Seeing a server, its channels and its members.
pub fn see_server(is_private: bool, relation: Relation) -> Decision {
    if !is_private || relation.belongs() {
        return Ok(());
    }
    signed_in(relation)?;
    Err(Denied::Forbidden(MEMBERS_ONLY))
}

/// A server's member list, with each member's profile: for its members (a profile is for
/// those who share a server), even when the server itself is public.
pub fn see_members(relation: Relation) -> Decision {
    signed_in(relation)?;
    if relation.belongs() {
        Ok(())
    } else {
        Err(Denied::Forbidden(MEMBER_LIST))
    }
}

/// Changing or deleting a server, creating its channels, its invites, moderation.
pub fn manage_server(relation: Relation) -> Decision {
    signed_in(relation)?;
    if relation == Relation::Owner {
        Ok(())
    } else {
        Err(Denied::Forbidden(OWNER_ONLY))
    }
}

/// Changing or deleting a channel: the server's owner, or the member who made the channel.
pub fn manage_channel(relation: Relation, made_the_channel: bool) -> Decision {
    signed_in(relation)?;
    match relation {
        Relation::Owner => Ok(()),
        Relation::Member if made_the_channel => Ok(()),
        _ => Err(Denied::Forbidden(
            "Only the channel's owner or the server's owner can do that.",
        )),
    }
}

/// Joining a server: a public one freely, a private one only with a valid invite; never
/// when banned.
pub fn join(is_private: bool, relation: Relation, holds_invite: bool) -> Decision {
    signed_in(relation)?;
    match relation {
        Relation::Banned => Err(Denied::Forbidden(BANNED)),
        Relation::Outsider if is_private && !holds_invite => Err(Denied::Forbidden(
            "This server is private; joining it takes an invite.",
        )),
        _ => Ok(()),
    }
}

/// Managing categories: staff only (`None`: nobody is signed in).
pub fn manage_categories(is_staff: Option<bool>) -> Decision {
    staff_only(is_staff, "Only staff can manage categories.")
}

/// Managing accounts (listing them all, shutting them out): staff only (`None`: nobody is
/// signed in).
pub fn manage_accounts(is_staff: Option<bool>) -> Decision {
    staff_only(is_staff, "Only staff can manage accounts.")
}

fn staff_only(is_staff: Option<bool>, refusal: &'static str) -> Decision {
    match is_staff {
        None => Err(Denied::Unauthenticated),
        Some(true) => Ok(()),
        Some(false) => Err(Denied::Forbidden(refusal)),
    }
}

/// Who sees another person's profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProfileViewer {
    pub is_self: bool,
    pub is_staff: bool,
    /// A member of a server the person is a member of.
    pub shares_a_server: bool,
}

/// Seeing a person's profile: themself, people they share a server with, and staff. Not a
/// [`Decision`]: anyone else is told there is nobody (404), never that somebody is hidden.
pub fn see_profile(viewer: ProfileViewer) -> bool {
    viewer.is_self || viewer.is_staff || viewer.shares_a_server
}

#[cfg(test)]
mod tests {
    use super::Relation::*;
    use super::*;

    const ALL: [Relation; 5] = [Anonymous, Outsider, Banned, Member, Owner];

    #[test]
    fn only_members_see_who_the_members_are() {
        assert_eq!(see_members(Anonymous), Err(Denied::Unauthenticated));
        for relation in [Outsider, Banned] {
            assert_eq!(see_members(relation), Err(Denied::Forbidden(MEMBER_LIST)));
        }
        for relation in [Member, Owner] {
            assert_eq!(see_members(relation), Ok(()));
        }
    }

    #[test]
    fn anyone_sees_a_public_server_and_only_members_a_private_one() {
        for relation in ALL {
            assert_eq!(see_server(false, relation), Ok(()), "{relation:?}");
        }
        assert_eq!(see_server(true, Anonymous), Err(Denied::Unauthenticated));
        assert_eq!(
            see_server(true, Outsider),
            Err(Denied::Forbidden(MEMBERS_ONLY))
        );
        assert_eq!(
            see_server(true, Banned),
            Err(Denied::Forbidden(MEMBERS_ONLY))
        );
        assert_eq!(see_server(true, Member), Ok(()));
        assert_eq!(see_server(true, Owner), Ok(()));
    }

    #[test]
    fn only_the_owner_manages_a_server() {
        assert_eq!(manage_server(Anonymous), Err(Denied::Unauthenticated));
        for relation in [Outsider, Banned, Member] {
            assert_eq!(
                manage_server(relation),
                Err(Denied::Forbidden(OWNER_ONLY)),
                "{relation:?}"
            );
        }
        assert_eq!(manage_server(Owner), Ok(()));
    }

    #[test]
    fn a_channel_is_managed_by_the_server_owner_or_its_maker_while_a_member() {
        assert_eq!(manage_channel(Owner, false), Ok(()));
        assert_eq!(manage_channel(Member, true), Ok(()));
        assert!(manage_channel(Member, false).is_err());
        assert!(
            manage_channel(Banned, true).is_err(),
            "a banned maker lost the channel"
        );
        assert!(
            manage_channel(Outsider, true).is_err(),
            "so did one who left"
        );
        assert_eq!(
            manage_channel(Anonymous, true),
            Err(Denied::Unauthenticated)
        );
    }

    #[test]
    fn joining_takes_an_invite_when_private_and_is_never_open_to_the_banned() {
        assert_eq!(join(false, Outsider, false), Ok(()));
        assert!(join(true, Outsider, false).is_err());
        assert_eq!(join(true, Outsider, true), Ok(()));
        assert!(join(false, Banned, true).is_err());
        assert_eq!(
            join(true, Member, false),
            Ok(()),
            "already in: joining again is harmless"
        );
        assert_eq!(join(false, Anonymous, false), Err(Denied::Unauthenticated));
    }

    #[test]
    fn categories_are_for_staff() {
        assert_eq!(manage_categories(None), Err(Denied::Unauthenticated));
        assert!(manage_categories(Some(false)).is_err());
        assert_eq!(manage_categories(Some(true)), Ok(()));
    }

    #[test]
    fn accounts_are_managed_by_staff() {
        assert_eq!(manage_accounts(None), Err(Denied::Unauthenticated));
        assert_eq!(
            manage_accounts(Some(false)),
            Err(Denied::Forbidden("Only staff can manage accounts."))
        );
        assert_eq!(manage_accounts(Some(true)), Ok(()));
    }

    #[test]
    fn profiles_are_seen_by_oneself_staff_and_people_sharing_a_server() {
        let stranger = ProfileViewer {
            is_self: false,
            is_staff: false,
            shares_a_server: false,
        };
        assert!(!see_profile(stranger));
        for viewer in [
            ProfileViewer {
                is_self: true,
                ..stranger
            },
            ProfileViewer {
                is_staff: true,
                ..stranger
            },
            ProfileViewer {
                shares_a_server: true,
                ..stranger
            },
        ] {
            assert!(see_profile(viewer), "{viewer:?}");
        }
    }
}
