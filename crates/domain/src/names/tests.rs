use super::*;

const INVALID: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

fn login(raw: &str) -> Username {
    Username::parse(raw).unwrap_or_else(|e| panic!("{raw:?} refused: {e}"))
}

#[test]
fn usernames_allow_letters_digits_and_the_five_symbols() {
    assert!(Username::parse("alice.b+c@d-e_f").is_ok());
    assert!(Username::parse("Zoë42").is_ok());
    assert_eq!(Username::parse("with space").unwrap_err(), INVALID);
    assert_eq!(Username::parse("semi;colon").unwrap_err(), INVALID);
    assert_eq!(Username::parse("").unwrap_err(), INVALID);
    assert!(Username::parse(&"a".repeat(150)).is_ok());
    assert_eq!(
        Username::parse(&"a".repeat(151)).unwrap_err(),
        "Ensure this field has no more than 150 characters."
    );
    assert_eq!(
        Username::parse(&"a".repeat(100_000)).unwrap_err(),
        "Ensure this field has no more than 150 characters."
    );
}

#[test]
fn usernames_are_normalised_with_nfkc_before_the_rules() {
    assert_eq!(login("ａｄｍｉｎ").as_str(), "admin");
    assert_eq!(login("ａｄｍｉｎ").key(), login("admin").key());
    assert_eq!(login("𝐚𝐝𝐦𝐢𝐧").as_str(), "admin", "mathematical bold");
    // Decomposed é composes: the length counts the normalised name.
    assert_eq!(login("Zoe\u{301}").as_str(), "Zoé");
    let decomposed = "e\u{301}".repeat(150);
    assert_eq!(login(&decomposed).as_str().chars().count(), 150);
    assert!(Username::parse(&"ａ".repeat(150)).is_ok());
    assert!(Username::parse(&"ａ".repeat(151)).is_err());
}

/// Whether two names would be refused beside each other: they share a skeleton.
fn alike(a: &str, b: &str) -> bool {
    let theirs = login(b).skeletons();
    login(a).skeletons().iter().any(|s| theirs.contains(s))
}

#[test]
fn look_alikes_in_any_case_share_a_skeleton() {
    for twin in ["аdmin", "АDMIN", "Admin", "ａｄｍｉｎ", "ɑdmin", "ADMlN"] {
        assert!(alike(twin, "admin"), "{twin}");
    }
    assert_ne!(login("аdmin").key(), login("admin").key(), "Cyrillic а");
    // TR39's own kinds of confusables: digit one and small L, "rn" and "m", digit zero
    // and O, capital I and small L.
    for (a, b) in [
        ("paypa1", "paypal"),
        ("rnodern", "modern"),
        ("g00gle", "google"),
        ("PaypaI", "Paypal"),
        ("Ian", "lan"),
        ("ВОВ", "bob"),
        ("АLICE", "ALICE"),
        ("АLICE", "alice"),
    ] {
        assert!(alike(a, b), "{a} {b}");
        assert!(alike(b, a), "{b} {a}");
    }
}

#[test]
fn different_usernames_keep_different_skeletons() {
    for (a, b) in [
        ("alice", "alicia"),
        ("ian", "lan"),
        ("IAN", "LAN"),
        ("ali", "all"),
        ("bob", "bab"),
    ] {
        assert!(!alike(a, b), "{a} {b}");
    }
    // `pingme admin create-users` names: prefix and a number.
    let mut seen = std::collections::HashSet::new();
    for n in 0..2000 {
        for skeleton in login(&format!("bench{n}")).skeletons() {
            assert!(seen.insert(skeleton), "bench{n}");
        }
    }
}

#[test]
fn usernames_refuse_invisible_control_and_direction_characters() {
    for raw in [
        "\u{3164}",
        "\u{115F}\u{1160}",
        "\u{FFA0}",
        "ad\u{202E}nim",
        "ad\u{2066}min\u{2069}",
        "\u{200E}admin",
        "\u{200F}admin",
        "adm\u{61C}in",
        "ad\u{200B}min",
        "ad\u{200C}min",
        "ad\u{200D}min",
        "ad\u{2060}min",
        "\u{FEFF}admin",
        "ad\u{AD}min",
        "ad\u{7}min",
        "ad\u{7F}min",
        "ad\u{85}min",
        "admin\u{FE0F}",
        "admin\u{E0041}",
        "ad\u{2028}min",
    ] {
        assert_eq!(
            Username::parse(raw).unwrap_err(),
            HIDDEN_IN_LOGIN,
            "{:?}",
            raw.escape_unicode().to_string()
        );
    }
}

#[test]
fn login_keys_try_the_normalised_name_then_the_typed_one() {
    assert_eq!(login_keys("ＡＤＭＩＮ"), ["admin", "ａｄｍｉｎ"]);
    assert_eq!(login_keys("Alice"), ["alice", "alice"]);
    assert!(login_keys(&"ａ".repeat(1_000_000))[0].chars().count() < 2000);
}

#[test]
fn display_names_accept_text_and_emoji() {
    for ok in [
        "Frank Z",
        "Zoë 🎉",
        "李小龍",
        "👨\u{200D}👩\u{200D}👧",
        "🏳\u{FE0F}\u{200D}🌈",
        "👩🏽\u{200D}💻",
        "❤\u{FE0F}\u{200D}🔥",
        "🏴\u{200D}☠\u{FE0F}",
        "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
        "☺\u{FE0E}",
        "1\u{FE0F}\u{20E3}",
        "🇫🇷",
        "مرحبا",
    ] {
        assert!(DisplayName::parse(ok).is_ok(), "{ok}");
    }
}

#[test]
fn display_names_refuse_hidden_characters_outside_emoji() {
    for raw in [
        "Bob\u{202E}",
        "a\u{200B}b",
        "a\nb",
        "a\tb",
        "a\u{2028}b",
        "a\u{2066}b",
        "x\u{200D}y",
        "1\u{200D}2",
        "👍\u{200D}",
        "\u{200D}👍",
        "👍\u{200D}\u{200D}👍",
        "a\u{E0041}",
        "🏴\u{E0067}\u{E0062}",
        "🏴\u{E007F}",
        "\u{FE0F}a",
        "☺\u{FE0F}\u{FE0F}",
        "a\u{FE00}",
        "Bob\u{3164}",
        "a\u{FFF9}b\u{FFFB}",
    ] {
        assert_eq!(
            DisplayName::parse(raw).unwrap_err(),
            HIDDEN_IN_DISPLAY,
            "{}",
            raw.escape_unicode()
        );
    }
    let smuggled: String = std::iter::once(BLACK_FLAG)
        .chain(('\u{E0061}'..='\u{E007A}').cycle().take(40))
        .chain(std::iter::once(CANCEL_TAG))
        .collect();
    assert!(DisplayName::parse(&smuggled).is_err(), "40 tags");
}

#[test]
fn display_names_that_would_look_blank_are_refused() {
    for raw in [
        "",
        "  ",
        "\u{3164}",
        "\u{3164}\u{3164}",
        "\u{2800}",
        "\u{115F}",
        "\u{FFA0}",
        "\u{3000}",
        "\u{A0}\u{2800} ",
        "\u{200B}",
    ] {
        assert_eq!(
            DisplayName::parse(raw).unwrap_err(),
            "This field may not be blank.",
            "{}",
            raw.escape_unicode()
        );
    }
    assert_eq!(
        DisplayName::parse(&"x".repeat(151)).unwrap_err(),
        "Ensure this field has no more than 150 characters."
    );
}
