//! The names people are known by — the login name and the display name — and the Unicode
//! rules that keep one person from passing for another.
//!
//! - Login names are normalised with NFKC before anything else, as Django's
//!   `normalize_username` does: the fullwidth `ａｄｍｉｎ` *is* `admin`.
//! - Two login names that share a confusable skeleton (Unicode TR39) look alike; the store
//!   keeps skeletons unique, so the second one is refused.
//! - Neither kind of name may hold a character that shows nothing or rearranges the text
//!   around it (controls, format characters such as bidirectional overrides and zero-width
//!   spaces, every other default-ignorable code point), except, in display names, the
//!   joiners, presentation selectors and tags that are part of an emoji.
//! - A display name that would look blank is refused as blank.

use crate::text::{Refusal, too_long};
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};
use unicode_security::GeneralSecurityProfile;
use unicode_security::general_security_profile::IdentifierType;

const HIDDEN_IN_LOGIN: &str =
    "Usernames may not contain invisible, control or text-direction characters.";
const HIDDEN_IN_DISPLAY: &str =
    "Names may not contain invisible, control or text-direction characters.";

/// The name a person logs in with (shown as `owner`): NFKC-normalised, then letters,
/// digits and `@ . + - _`, at most 150 characters, as Django's username rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 150;

    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        // NFKC shrinks a text by a few characters to one at the most (a base and its
        // marks), so anything this long stays too long: refused before it is normalised.
        if raw.chars().count() > Self::MAX_CHARS * NFKC_MAX_SHRINK {
            return Err(too_long(Self::MAX_CHARS));
        }
        let name = nfkc(raw);
        if name.chars().count() > Self::MAX_CHARS {
            return Err(too_long(Self::MAX_CHARS));
        }
        if name.chars().any(hidden) {
            return Err(HIDDEN_IN_LOGIN.into());
        }
        let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-');
        if name.is_empty() || !name.chars().all(allowed) {
            return Err(
                "Enter a valid username. This value may contain only letters, numbers, \
                 and @/./+/-/_ characters."
                    .into(),
            );
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive identity the store keeps unique (`Alice` is `alice`).
    pub fn key(&self) -> String {
        crate::account::identity_key(&self.0)
    }

    /// What the name looks like, as the store keeps it unique: see [`skeletons`].
    pub fn skeletons(&self) -> Vec<String> {
        skeletons(&self.0)
    }
}

/// What a login name looks like: the store keeps every account's skeletons in one unique
/// column, so a name sharing any of them with another account's is refused. Each is a
/// Unicode TR39 skeleton (every character mapped onto the prototype of its look-alikes,
/// invisible ones dropped) of the NFKC form — NFKC again, because names stored before
/// names were normalised are given too — in three cases, distinct ones only:
///
/// - as written: look-alikes that a change of case would hide, such as capital `I` and
///   small `l` (`PaypaI` and `Paypal`, `Ian` and `lan`);
/// - lowercased, and lowercased and skeletonised again: a name is the same person in any
///   case, so `аdmin` with a Cyrillic `а` or `paypa1` passes for `admin` or `paypal` in
///   whatever case they were registered; the second pass folds prototypes that are
///   capitals (digit zero's is `O`: `g00gle`);
/// - uppercased: capitals whose small letters look different (`ВОВ` in Cyrillic passes for
///   `BOB`, which logs in as `bob`).
///
/// No single skeleton can do all three: folding case around TR39's mappings would make
/// every `i` an `l` and refuse `ali` beside `all`.
pub fn skeletons(login: &str) -> Vec<String> {
    let name = nfkc(login);
    let skeleton = |text: &str| -> String { unicode_security::skeleton(text).collect() };
    let lower = skeleton(&name.to_lowercase());
    let mut found = vec![
        skeleton(&name),
        skeleton(&lower.to_lowercase()),
        skeleton(&name.to_uppercase()),
    ];
    found.sort_unstable();
    found.dedup();
    found
}

/// How many characters NFKC may fold into one, with margin (Greek `ᾯ` is four).
const NFKC_MAX_SHRINK: usize = 8;

/// Django's `normalize_username`: Unicode compatibility normalisation (NFKC).
pub(crate) fn nfkc(text: &str) -> String {
    text.nfkc().collect()
}

/// The keys a login name typed at sign-in may be stored under: that of its NFKC form (every
/// name registered since names are normalised), then that of the name as typed (an older
/// account may have been registered unnormalised). A name too long to be anyone's is cut
/// first, so a client cannot make the server normalise megabytes.
pub fn login_keys(typed: &str) -> [String; 2] {
    let typed: String = typed
        .chars()
        .take(Username::MAX_CHARS * NFKC_MAX_SHRINK + 1)
        .collect();
    let key = crate::account::identity_key;
    [key(&nfkc(&typed)), key(&typed)]
}

/// The name shown beside a person's messages (`username` in the Account object): any
/// visible text of 1 to 150 characters, emoji included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 150;

    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(too_long(Self::MAX_CHARS));
        }
        if looks_blank(raw) {
            return Err("This field may not be blank.".into());
        }
        let chars: Vec<char> = raw.chars().collect();
        let refused = (0..chars.len()).any(|i| hidden(chars[i]) && !emoji_glue(&chars, i));
        if refused {
            return Err(HIDDEN_IN_DISPLAY.into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a text would show as nothing but space: its skeleton drops the default-ignorable
/// characters (Hangul fillers…) and maps blank look-alikes (U+2800 BRAILLE PATTERN BLANK…)
/// onto a space.
fn looks_blank(text: &str) -> bool {
    unicode_security::skeleton(text).all(char::is_whitespace)
}

/// A character that shows nothing, or changes how the text around it shows: controls
/// (`Cc`: newlines, tabs, escapes), format characters (`Cf`: bidirectional embeddings,
/// overrides, isolates and marks, zero-width spaces and joiners, the byte-order mark,
/// interlinear annotations…), line and paragraph separators, and every other
/// default-ignorable code point (Hangul fillers, variation selectors, tags…).
fn hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || c.identifier_type() == Some(IdentifierType::Default_Ignorable)
        || reserved_default_ignorable(c)
}

/// Code points Unicode reserves as default-ignorable but has not assigned yet (so no
/// property table lists them): whatever they become, they will show nothing.
fn reserved_default_ignorable(c: char) -> bool {
    matches!(c, '\u{2065}' | '\u{FFF0}'..='\u{FFF8}' | '\u{E0000}'..='\u{E0FFF}')
}

const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';
/// The longest tag specification UTS #51 allows in an emoji tag sequence.
const MAX_TAG_SPEC: usize = 32;

/// Whether the hidden character at `i` is part of an emoji, as UTS #51 builds them: a
/// presentation selector (U+FE0E, U+FE0F) right after a visible character (`❤️`), a
/// zero-width joiner between two emoji (`👨‍👩‍👧`, `🏳️‍🌈`), or the tags of a
/// subdivision flag after U+1F3F4 (`🏴󠁧󠁢󠁳󠁣󠁴󠁿`).
fn emoji_glue(chars: &[char], i: usize) -> bool {
    match chars[i] {
        '\u{FE0E}' | '\u{FE0F}' => i > 0 && !hidden(chars[i - 1]),
        ZWJ => joins_emoji(chars, i),
        '\u{E0020}'..=CANCEL_TAG => in_tag_sequence(chars, i),
        _ => false,
    }
}

/// A joiner with an emoji before it (after at most one presentation selector) and after it.
fn joins_emoji(chars: &[char], i: usize) -> bool {
    let mut before = i.checked_sub(1);
    if let Some(j) = before.filter(|&j| matches!(chars[j], '\u{FE0E}' | '\u{FE0F}')) {
        before = j.checked_sub(1);
    }
    let is_emoji = |c: &char| !c.is_ascii() && c.is_emoji_char();
    before.is_some_and(|j| is_emoji(&chars[j])) && chars.get(i + 1).is_some_and(is_emoji)
}

/// A tag within `🏴` + 1 to 32 tags + CANCEL TAG, and nowhere else: tags are invisible, so
/// loose ones could carry hidden text.
fn in_tag_sequence(chars: &[char], i: usize) -> bool {
    let is_tag = |c: &char| ('\u{E0020}'..=CANCEL_TAG).contains(c);
    let start = chars[..i]
        .iter()
        .rposition(|c| !is_tag(c))
        .map_or(0, |j| j + 1);
    let end = chars[i..]
        .iter()
        .position(|c| !is_tag(c))
        .map_or(chars.len(), |j| i + j);
    let run = &chars[start..end];
    let spec = &run[..run.len() - 1];
    start > 0
        && chars[start - 1] == BLACK_FLAG
        && run.last() == Some(&CANCEL_TAG)
        && (1..=MAX_TAG_SPEC).contains(&spec.len())
        && !spec.contains(&CANCEL_TAG)
}

#[cfg(test)]
mod tests;
