//! What a socket or gateway session was opened with: the version of the account's tokens,
//! and the login session its token belongs to. Either ending (a password change, a logout)
//! ends what was opened with it.

use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    /// The account's token version the token carried.
    pub version: i64,
    /// The token's login session; none for a token from before login sessions existed.
    pub login: Option<Arc<str>>,
}

impl Grant {
    pub fn new(version: i64, login: Option<Arc<str>>) -> Self {
        Self { version, login }
    }

    /// Whether it was given by one of the login sessions `ended`.
    pub fn ended_by(&self, ended: &[String]) -> bool {
        self.login
            .as_deref()
            .is_some_and(|login| ended.iter().any(|e| e == login))
    }

    /// As Redis keeps it beside a session: `<version>` or `<version>:<login>`.
    pub(crate) fn encode(&self) -> String {
        match &self.login {
            Some(login) => format!("{}:{login}", self.version),
            None => self.version.to_string(),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        let (version, login) = match text.split_once(':') {
            Some((version, login)) => (version, Some(Arc::from(login))),
            None => (text, None),
        };
        Some(Self::new(version.parse().ok()?, login))
    }
}

/// A grant of no login session: tokens from before login sessions existed, and tests.
impl From<i64> for Grant {
    fn from(version: i64) -> Self {
        Self::new(version, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_read_back_as_written() {
        for grant in [Grant::from(3), Grant::new(0, Some("abc".into()))] {
            assert_eq!(Grant::decode(&grant.encode()), Some(grant));
        }
        assert_eq!(Grant::decode("x"), None);
    }

    #[test]
    fn only_a_grants_own_login_ends_it() {
        let grant = Grant::new(1, Some("abc".into()));
        assert!(grant.ended_by(&["x".into(), "abc".into()]));
        assert!(!grant.ended_by(&["x".into()]));
        assert!(!Grant::from(1).ended_by(&["abc".into()]));
    }
}
