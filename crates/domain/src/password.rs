//! The password policy: Django's four default validators, applied for real (the original
//! listed the similarity rule but never ran it — contract Level 2).
//!
//! The common-password list is Django's (BSD licence): 20,000 lowercased, deduplicated
//! passwords compiled by Royce Williams.

use std::collections::HashSet;
use std::sync::LazyLock;

pub const MIN_CHARS: usize = 8;

/// The longest password taken anywhere (Django's historic `MAXIMUM_PASSWORD_LENGTH`): a
/// password of megabytes would make every hash and every comparison cost that much.
pub const MAX_CHARS: usize = 4096;

/// Above this similarity (Python's `SequenceMatcher.quick_ratio`) a password is refused.
const MAX_SIMILARITY: f64 = 0.7;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("password/common-passwords.txt")
        .lines()
        .map(str::trim)
        .collect()
});

/// The personal details a password must not resemble, with the name Django gives each.
pub struct PersonalDetails<'a> {
    pub username: &'a str,
    pub email: &'a str,
}

/// The refusal of a password longer than [`MAX_CHARS`], the one check made on every
/// password that comes in (logins too), before any other work on it.
pub fn too_long(password: &str) -> Option<String> {
    (password.chars().count() > MAX_CHARS).then(|| crate::text::too_long(MAX_CHARS))
}

/// Every rule the password breaks, one sentence each, in Django's order; empty when it passes.
/// A password over [`MAX_CHARS`] gets that refusal alone: it is not compared with anything.
pub fn problems(password: &str, who: &PersonalDetails<'_>) -> Vec<String> {
    if let Some(refusal) = too_long(password) {
        return vec![refusal];
    }
    let mut found = Vec::new();
    if let Some(attribute) = too_similar(password, who) {
        found.push(format!("The password is too similar to the {attribute}."));
    }
    if password.chars().count() < MIN_CHARS {
        found.push(format!(
            "This password is too short. It must contain at least {MIN_CHARS} characters."
        ));
    }
    if COMMON.contains(password.trim().to_lowercase().as_str()) {
        found.push("This password is too common.".into());
    }
    if !password.is_empty() && password.chars().all(char::is_numeric) {
        found.push("This password is entirely numeric.".into());
    }
    found
}

/// No valid username or e-mail address is longer (150 and 254 characters).
const MAX_ATTRIBUTE_CHARS: usize = 254;

/// Django's `UserAttributeSimilarityValidator`: each attribute, whole and split on non-word
/// characters, compared with the lowercased password. An attribute longer than any valid
/// one is refused by its own field and not compared, so a caller passing raw input cannot
/// make this expensive; with the password capped too, the work is bounded.
fn too_similar(password: &str, who: &PersonalDetails<'_>) -> Option<&'static str> {
    let password = password.to_lowercase();
    let attributes = [(who.username, "username"), (who.email, "email address")];
    let comparable = |(value, _): &(&str, &str)| value.chars().count() <= MAX_ATTRIBUTE_CHARS;
    attributes
        .into_iter()
        .filter(comparable)
        .find_map(|(value, name)| {
            let value = value.to_lowercase();
            let parts = value
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .chain(std::iter::once(value.as_str()));
            let mut parts = parts.filter(|part| !far_apart_in_length(&password, part));
            parts
                .any(|part| quick_ratio(&password, part) >= MAX_SIMILARITY)
                .then_some(name)
        })
}

/// Django's `exceeds_maximum_length_ratio`: a part this much shorter than the password can
/// never reach the similarity bound, so it is not compared.
fn far_apart_in_length(password: &str, part: &str) -> bool {
    let password_len = password.chars().count() as f64;
    let part_len = part.chars().count() as f64;
    password_len >= 10.0 * part_len && part_len < MAX_SIMILARITY / 2.0 * password_len
}

/// Python's `SequenceMatcher(a, b).quick_ratio()`: twice the size of the multiset
/// intersection of the characters, over the total length.
fn quick_ratio(a: &str, b: &str) -> f64 {
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 1.0;
    }
    let mut available: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in b.chars() {
        *available.entry(c).or_default() += 1;
    }
    let matches = a
        .chars()
        .filter(|c| match available.get_mut(c) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count();
    2.0 * matches as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Vec<String> {
        problems(
            password,
            &PersonalDetails {
                username: "alice",
                email: "alice.liddell@example.com",
            },
        )
    }

    #[test]
    fn a_good_password_passes() {
        assert!(check("correct horse battery staple").is_empty());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(
            check("x7#kq"),
            ["This password is too short. It must contain at least 8 characters."]
        );
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        assert_eq!(check("Password1"), ["This password is too common."]);
        assert!(
            COMMON.len() > 10_000,
            "the issue asks for a list of at least 10,000"
        );
    }

    #[test]
    fn numeric_passwords_get_every_applicable_message() {
        assert_eq!(
            check("12345"),
            [
                "This password is too short. It must contain at least 8 characters.",
                "This password is too common.",
                "This password is entirely numeric.",
            ]
        );
        assert_eq!(check("48213975092"), ["This password is entirely numeric."]);
    }

    #[test]
    fn passwords_like_the_username_or_email_are_refused() {
        assert_eq!(
            check("alice1234"),
            ["The password is too similar to the username."]
        );
        assert_eq!(
            check("liddell99x"),
            ["The password is too similar to the email address."]
        );
    }

    #[test]
    fn passwords_over_4096_characters_are_refused_alone() {
        assert!(check(&format!("{}é", "Xq7#".repeat(1023))).is_empty());
        let long = "Xq7#".repeat(1025);
        assert_eq!(
            check(&long),
            ["Ensure this field has no more than 4096 characters."]
        );
        assert_eq!(too_long(&long), Some(check(&long)[0].clone()));
        assert_eq!(too_long("short"), None);
        assert_eq!(check(&"1".repeat(5000)).len(), 1, "no other rule is run");
    }

    #[test]
    fn huge_personal_details_are_not_compared() {
        let username = "alice ".repeat(1_000_000);
        let who = PersonalDetails {
            username: &username,
            email: "a@example.com",
        };
        let started = std::time::Instant::now();
        assert!(problems("alice alice alice", &who).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn quick_ratio_matches_python() {
        // SequenceMatcher(a="abcd", b="bcde").quick_ratio() == 0.75
        assert!((quick_ratio("abcd", "bcde") - 0.75).abs() < 1e-12);
        assert!((quick_ratio("a", "aaaaaaaaaa") - 2.0 / 11.0).abs() < 1e-12);
    }
}
