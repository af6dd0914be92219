//! Points in time as the contract shows them: UTC, microsecond precision,
//! RFC 3339 with a `Z` (`2026-11-23T20:50:37.820643Z`).

use serde::{Serialize, Serializer};
use std::fmt;
use time::{OffsetDateTime, UtcOffset};

/// A UTC instant truncated to whole microseconds, the precision every backend stores, so a
/// value read back from the database equals the value written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        let micros = (now.unix_timestamp_nanos() / 1_000) as i64;
        Self::from_unix_micros(micros).unwrap_or(Self(now))
    }

    /// Microseconds since the Unix epoch, the form SQLite stores.
    pub fn from_unix_micros(micros: i64) -> Result<Self, time::error::ComponentRange> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).map(Self)
    }

    pub fn unix_micros(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000) as i64
    }

    /// This instant, `span` earlier (whole microseconds).
    pub fn minus(self, span: std::time::Duration) -> Self {
        let span = i64::try_from(span.as_micros()).unwrap_or(i64::MAX);
        Self::from_unix_micros(self.unix_micros().saturating_sub(span)).unwrap_or(self)
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        let micros = (value.unix_timestamp_nanos() / 1_000) as i64;
        Self::from_unix_micros(micros).unwrap_or(Self(value.to_offset(UtcOffset::UTC)))
    }
}

/// The contract's text of a time, `2026-11-23T20:50:37.820643Z`.
type Text = [u8; 27];

impl Timestamp {
    /// The contract's text, digit by digit into a fixed buffer: this runs for every
    /// timestamp of every message sent to every client (four per message of a history
    /// page), where formatting machinery cost more than the rest of the message. `None`
    /// for a year outside 0–9999, which [`fmt::Display`] writes the slow way.
    fn text(&self) -> Option<Text> {
        let t = self.0.to_offset(UtcOffset::UTC);
        let (year, month, day) = t.to_calendar_date();
        let (hour, minute, second, micro) = t.to_hms_micro();
        let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        for (range, value) in [
            (0..4, year),
            (5..7, u32::from(u8::from(month))),
            (8..10, u32::from(day)),
            (11..13, u32::from(hour)),
            (14..16, u32::from(minute)),
            (17..19, u32::from(second)),
            (20..26, micro),
        ] {
            let mut value = value;
            for digit in text[range].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Some(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.text() {
            return f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        let t = self.0.to_offset(UtcOffset::UTC);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.text() {
            Some(text) => match std::str::from_utf8(&text) {
                Ok(text) => serializer.serialize_str(text),
                Err(_) => serializer.collect_str(self),
            },
            None => serializer.collect_str(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc3339_with_microseconds_and_z() {
        let t = Timestamp::from_unix_micros(1_795_467_037_820_643).unwrap();
        assert_eq!(t.to_string(), "2026-11-23T20:50:37.820643Z");
    }

    #[test]
    fn the_fast_text_is_the_formatted_one() {
        for micros in [
            0,
            1,
            59_999_999,
            951_782_400_000_001,
            4_102_444_799_999_999,
            253_402_300_799_999_999,
        ] {
            let t = Timestamp::from_unix_micros(micros).unwrap();
            let t0 = t.0;
            let slow = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                t0.year(),
                u8::from(t0.month()),
                t0.day(),
                t0.hour(),
                t0.minute(),
                t0.second(),
                t0.microsecond()
            );
            assert_eq!(t.to_string(), slow);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{slow}\""));
        }
        // Before year 0: the slow way, still a text.
        let ancient = Timestamp::from_unix_micros(-62_167_219_200_000_001).unwrap();
        assert!(ancient.text().is_none());
        assert!(ancient.to_string().ends_with('Z'));
    }

    #[test]
    fn keeps_trailing_zero_microseconds() {
        let t = Timestamp::from_unix_micros(1_000_000).unwrap();
        assert_eq!(t.to_string(), "1970-01-01T00:00:01.000000Z");
    }

    #[test]
    fn round_trips_through_unix_micros() {
        let now = Timestamp::now();
        assert_eq!(Timestamp::from_unix_micros(now.unix_micros()).unwrap(), now);
    }
}
