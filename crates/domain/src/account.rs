//! Accounts: the validated values that describe a person, and the records the store keeps.
//!
//! Every `parse` returns the sentence a client sees under the field's name when the value
//! is refused; the sentences are Django's, because the original client shows them. The
//! Unicode rules of login and display names are [`crate::names`]'.

use crate::search::SearchText;
use crate::text::{bounded_text, too_long};
use crate::{AccountId, Timestamp};

pub use crate::names::{DisplayName, Username, login_keys};
pub use crate::text::Refusal;

/// The case-insensitive identity of a login name or e-mail address. The store keeps it in a
/// column with a unique constraint, which is what makes `Alice` and `alice` one person.
pub fn identity_key(value: &str) -> String {
    value.to_lowercase()
}

/// An e-mail address, checked the way Django's `EmailValidator` does in substance: a local
/// part of dot-separated atoms, `@`, and a domain of at least two labels or `localhost`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(too_long(Self::MAX_CHARS));
        }
        let invalid = || "Enter a valid email address.".to_owned();
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(invalid());
        }
        // Django lowercases the domain part only: the local part may be case-sensitive.
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        identity_key(&self.0)
    }
}

fn valid_local_part(local: &str) -> bool {
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
}

fn valid_domain(domain: &str) -> bool {
    if domain.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = labels
        .last()
        .is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic));
    labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok
}

bounded_text!(
    /// Where a person says they are.
    Location, max = 100, allow_blank = true
);
bounded_text!(
    /// A person's free-text profile (`content` in the Account object).
    Bio, max = 1000, allow_blank = true
);

/// An account as the store returns it. The password hash is never part of it: only the
/// login path asks for it, through [`crate::store::AccountStore::credentials`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub login: String,
    pub email: String,
    pub display_name: String,
    pub location: Option<String>,
    pub content: String,
    pub image: Option<String>,
    pub is_staff: bool,
    /// Cleared by an administrator to shut an account out; distinct from `verified`.
    pub is_active: bool,
    /// Whether the e-mail link has been followed; until then the account cannot log in.
    pub verified: bool,
    /// Raised by every password change: tokens and reset links carry the version they were
    /// issued under, and any other version is refused.
    pub token_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Account {
    /// Whether this account may authenticate at all (log in, use tokens).
    pub fn can_authenticate(&self) -> bool {
        self.is_active && self.verified
    }
}

/// Everything needed to create an account; the display name starts as the login name.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub login: Username,
    pub email: Email,
    pub password_hash: String,
    pub is_staff: bool,
    pub verified: bool,
}

/// A partial profile update: `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProfileChanges {
    pub display_name: Option<DisplayName>,
    /// `Some(None)` clears the location.
    pub location: Option<Option<Location>>,
    pub content: Option<Bio>,
    /// The media key of a new avatar; `Some(None)` goes back to the default one.
    pub image: Option<Option<String>>,
}

impl ProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.location.is_none()
            && self.content.is_none()
            && self.image.is_none()
    }
}

/// A page of accounts by id: those after `after` (from the first without), at most `limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountPage {
    pub after: Option<AccountId>,
    pub limit: u32,
}

/// The accounts staff look for: every one, or those whose login name, display name or
/// e-mail address contains `search`.
#[derive(Clone, Debug)]
pub struct AccountQuery {
    pub search: Option<SearchText>,
    pub page: AccountPage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_keys_ignore_case() {
        let a = Username::parse("Alice").unwrap();
        let b = Username::parse("aLICE").unwrap();
        assert_eq!(a.key(), b.key());
        assert_eq!(
            Email::parse("Bob@Example.COM").unwrap().key(),
            "bob@example.com"
        );
    }

    #[test]
    fn email_domain_is_lowercased_but_local_part_kept() {
        assert_eq!(
            Email::parse("Bob@Example.COM").unwrap().as_str(),
            "Bob@example.com"
        );
    }

    #[test]
    fn emails_are_checked() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "x@localhost",
            "o'neil@x.io",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@x.io",
            "a@",
            "a@b",
            "a@b.c",
            "a..b@x.io",
            ".a@x.io",
            "a@-x.io",
            "a b@x.io",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err(),
                "Enter a valid email address.",
                "{bad}"
            );
        }
    }

    #[test]
    fn locations_may_be_blank_and_bios_are_bounded() {
        assert!(Location::parse("").is_ok());
        assert!(Bio::parse(&"x".repeat(1001)).is_err());
    }
}
