//! Axum's path and query extractors, answering in the contract's error shapes: a path
//! segment that does not parse names no object (404 `{"detail"}`), a query string that does
//! not parse is a 400 `{"detail"}` — never axum's plain-text rejections. And [`Id`], the one
//! way a number in a path or an id in a query string is read.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use serde::de::{Deserialize, Deserializer, Error, Visitor};

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct PathParam<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct QueryParams<T>(pub T);

/// A numeric id in a path: ASCII digits only, as Django's `<int:pk>` (`[0-9]+`; leading
/// zeros are fine). Rust's own `i64` parsing would also take `+1`, so `/api/servers/+1/`
/// would answer for server 1; here `+1`, `-1`, `1e0` and ids past `i64` name nothing (404).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Id(pub i64);

impl Id {
    /// The id these digits spell, if they are only digits and fit.
    pub fn parse(text: &str) -> Option<i64> {
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| text.parse().ok()).flatten()
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(IdVisitor)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an id of ASCII digits")
    }

    fn visit_str<E: Error>(self, text: &str) -> Result<Id, E> {
        Id::parse(text)
            .map(Id)
            .ok_or_else(|| E::custom(format!("not an id: {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn ids_are_ascii_digits_that_fit() {
        assert_eq!(Id::parse("1"), Some(1));
        assert_eq!(Id::parse("007"), Some(7));
        assert_eq!(Id::parse("9223372036854775807"), Some(i64::MAX));
        for not_an_id in [
            "",
            "+1",
            "-1",
            "1e0",
            " 1",
            "1 ",
            "0x1",
            "١",
            "99999999999999999999",
        ] {
            assert_eq!(Id::parse(not_an_id), None, "{not_an_id:?}");
        }
    }
}
