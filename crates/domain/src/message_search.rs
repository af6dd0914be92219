//! Searching messages by their words: what a person may ask for (a few words, filters, a
//! page), the same words the store's full-text index holds (runs of letters and digits, in
//! lowercase), and what comes back.

use crate::messages::{Message, MessageId};
use crate::{AccountId, ChannelId, ServerId};

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// The most words one query looks for (each must be in a message).
pub const MAX_QUERY_WORDS: usize = 10;
/// Results in one page unless asked otherwise, and the most.
pub const DEFAULT_RESULTS: u32 = 25;
pub const MAX_RESULTS: u32 = 50;
/// The most matches counted for `total`: past it a client shows "10,000+".
pub const MAX_TOTAL: u32 = 10_000;

/// The words of a query: each a run of letters and digits as typed, each once (in any case),
/// in the order typed, and the text they came from. The database's full-text index reads
/// them with its own tokenizer, the one that read the messages, so the two always agree
/// (folding case included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    words: Vec<String>,
    text: String,
}

/// Why a query cannot be searched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadQuery {
    TooLong,
    NoWords,
    TooManyWords,
}

impl Words {
    pub fn parse(text: &str) -> Result<Self, BadQuery> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(BadQuery::TooLong);
        }
        let mut words: Vec<String> = Vec::new();
        for word in words_of(text) {
            let folded = word.to_lowercase();
            if !words.iter().any(|w| w.to_lowercase() == folded) {
                words.push(word.to_owned());
            }
        }
        match words.len() {
            0 => Err(BadQuery::NoWords),
            n if n > MAX_QUERY_WORDS => Err(BadQuery::TooManyWords),
            _ => Ok(Self {
                words,
                text: text.trim().to_owned(),
            }),
        }
    }

    /// The words as typed.
    pub fn as_slice(&self) -> &[String] {
        &self.words
    }

    /// The text the words came from, trimmed (for an index that reads a query's text
    /// itself).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether a text holds every word, in any case: what the index answers for plain words,
    /// said plainly (the tests' brute-force scan).
    pub fn all_in(&self, text: &str) -> bool {
        let found: Vec<String> = words_of(text).map(str::to_lowercase).collect();
        self.words.iter().all(|w| found.contains(&w.to_lowercase()))
    }
}

/// The words of a text: runs of letters and digits.
pub fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// A search of the messages `viewer` may read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageQuery {
    pub viewer: AccountId,
    pub words: Words,
    pub server: Option<ServerId>,
    pub channel: Option<ChannelId>,
    pub author: Option<AccountId>,
    /// Only messages older than this one (the next page).
    pub before: Option<MessageId>,
    pub limit: u32,
}

/// A page of matches, newest first, and how many there are in all (at most [`MAX_TOTAL`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub total: u32,
    pub messages: Vec<Message>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_letters_and_digits_in_lowercase_each_once() {
        let words = Words::parse("  Café, CAFÉ! <@12> it's 3.14 ").unwrap();
        assert_eq!(words.as_slice(), ["Café", "12", "it", "s", "3", "14"]);
        assert_eq!(words.text(), "Café, CAFÉ! <@12> it's 3.14");
        assert!(words.all_in("it's café 3.14 <@12>"));
        assert!(!words.all_in("cafe it's 3.14 <@12>"));
        assert_eq!(Words::parse(" ,.; "), Err(BadQuery::NoWords));
        assert_eq!(Words::parse(&"a A ".repeat(5)).unwrap().as_slice(), ["a"]);
        let eleven: Vec<String> = (0..11).map(|n| format!("w{n}")).collect();
        assert_eq!(Words::parse(&eleven.join(" ")), Err(BadQuery::TooManyWords));
        assert_eq!(Words::parse(&"x".repeat(201)), Err(BadQuery::TooLong));
    }
}
