//! Durations as settings and command-line flags write them: `90`, `250ms`, `1.5s`, `15m`,
//! `1h`, `4d` — the bench's flags take any of these; the server's settings take whole
//! seconds only ([`parse_seconds`]).

use std::time::Duration;

const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// A duration longer than zero: a number of seconds, or a number with `ms`, `s`, `m`, `h`
/// or `d`; the number may have decimals (`1.5m`), and a space before the unit.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration_or_zero(text)?;
    if duration.is_zero() {
        return Err(format!("`{}`: must be longer than zero", text.trim()));
    }
    Ok(duration)
}

/// A whole number of seconds, longer than zero, in any of [`parse_duration`]'s forms
/// (`90`, `15m`, `1.5m`): what the server's settings take. Token lifetimes and the like are
/// counted in seconds, so a fraction would be cut off — `500ms` would make tokens that have
/// expired when they are issued — and is refused instead.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.subsec_nanos() != 0 {
        return Err(format!(
            "`{}`: use whole seconds (like 30s, 15m or 1h)",
            text.trim()
        ));
    }
    Ok(duration)
}

/// A duration, as [`parse_duration`] reads it, that may also be zero.
pub fn parse_duration_or_zero(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_nanos: u128 = match unit.trim() {
        "ms" => 1_000_000,
        "" | "s" => NANOS_PER_SECOND,
        "m" => 60 * NANOS_PER_SECOND,
        "h" => 3600 * NANOS_PER_SECOND,
        "d" => 86_400 * NANOS_PER_SECOND,
        _ => return Err(format!("`{text}`: unknown unit; use ms, s, m, h or d")),
    };
    let billionths = billionths(number)
        .ok_or_else(|| format!("`{text}`: expected a duration like 250ms, 1.5s, 15m, 1h or 4d"))?;
    // Exact, with no rounding through floating point: a whole number of seconds up to the
    // largest a duration holds reads as itself.
    let nanos = billionths
        .checked_mul(unit_nanos)
        .map(|n| n / NANOS_PER_SECOND)
        .ok_or_else(|| format!("`{text}`: too long"))?;
    let seconds =
        u64::try_from(nanos / NANOS_PER_SECOND).map_err(|_| format!("`{text}`: too long"))?;
    Ok(Duration::new(seconds, (nanos % NANOS_PER_SECOND) as u32))
}

/// A decimal number (`15`, `1.5`, `.5`, `2.`) in billionths (decimals past the ninth are
/// dropped).
fn billionths(number: &str) -> Option<u128> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return None;
    }
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u128 = format!("{fraction:0<9}")[..9].parse().ok()?;
    whole.checked_mul(NANOS_PER_SECOND)?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_take_whole_seconds_only() {
        assert_eq!(parse_seconds("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_seconds("2000ms"), Ok(Duration::from_secs(2)));
        assert!(
            parse_seconds("500ms")
                .unwrap_err()
                .contains("whole seconds")
        );
        assert!(parse_seconds("1.5s").is_err());
        assert!(parse_seconds("0").is_err());
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("4d"), Ok(Duration::from_secs(345_600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn durations_read_like_the_servers_settings() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn durations_are_read_exactly() {
        assert_eq!(parse_duration(" 15 m "), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2."), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.1"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0.25ms"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1.0000000019"), Ok(Duration::new(1, 1)));
        let longest = u64::MAX.to_string();
        assert_eq!(parse_duration(&longest), Ok(Duration::from_secs(u64::MAX)));
        for wrong in [
            ".",
            "1.2.3",
            "+5",
            "-5",
            "1e3",
            "inf",
            "5 5s",
            "18446744073709551616",
        ] {
            assert!(parse_duration(wrong).is_err(), "{wrong}");
        }
        assert!(parse_duration(&format!("{longest}d")).is_err());
        assert!(parse_duration("0.0000000001").is_err(), "zero");
    }

    #[test]
    fn only_zero_may_be_zero() {
        assert_eq!(parse_duration_or_zero("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration_or_zero("0ms"), Ok(Duration::ZERO));
        assert_eq!(
            parse_duration_or_zero("300ms"),
            Ok(Duration::from_millis(300))
        );
        assert!(parse_duration_or_zero("soon").is_err());
    }
}
