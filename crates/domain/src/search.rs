//! Finding things by a piece of their name: the text a person typed, bounded, and the
//! keys the store compares it with.
//!
//! Both sides are folded to lowercase here, in Rust, rather than by the database: SQLite's
//! `lower()` and `LIKE` fold ASCII only, Postgres' follow its locale, and the two must find
//! the same servers and accounts. The store keeps a key column beside each searchable name
//! ([`search_key`]) and matches it against [`SearchText::contains_pattern`].

use crate::text::{Refusal, too_long};

/// The character that escapes `%`, `_` and itself in [`SearchText::contains_pattern`]; the
/// store's statements name it in their `ESCAPE` clause.
pub const LIKE_ESCAPE: char = '\\';

/// The key a searchable name is stored under: the name in lowercase.
pub fn search_key(name: &str) -> String {
    name.to_lowercase()
}

/// What to look for: trimmed, not blank, at most [`SearchText::MAX_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchText(String);

impl SearchText {
    pub const MAX_CHARS: usize = 100;

    /// `None` for a blank text, which filters nothing.
    pub fn parse(raw: &str) -> Result<Option<Self>, Refusal> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(too_long(Self::MAX_CHARS));
        }
        Ok((!text.is_empty()).then(|| Self(search_key(text))))
    }

    /// A `LIKE` pattern (escaped with [`LIKE_ESCAPE`]) matching every key that contains the
    /// text: a `%` or `_` typed is looked for as itself, never as a wildcard.
    /// The text, as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn contains_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | LIKE_ESCAPE) {
                pattern.push(LIKE_ESCAPE);
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_filters_nothing_and_long_text_is_refused() {
        assert_eq!(SearchText::parse("   "), Ok(None));
        assert!(SearchText::parse(&"x".repeat(100)).unwrap().is_some());
        assert_eq!(
            SearchText::parse(&"x".repeat(101)).unwrap_err(),
            "Ensure this field has no more than 100 characters."
        );
        // Counted after trimming, in characters rather than bytes.
        assert!(SearchText::parse(&format!(" {} ", "é".repeat(100))).is_ok());
    }

    #[test]
    fn patterns_are_lowercase_and_escape_wildcards() {
        let text = SearchText::parse(" 100% Ünïcode_fans\\ ").unwrap().unwrap();
        assert_eq!(text.contains_pattern(), r"%100\% ünïcode\_fans\\%");
        assert_eq!(search_key("ÜNÏCODE Fans"), "ünïcode fans");
    }
}
