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
}

impl From<OffsetDateTime> for Timestamp {
    fn from(value: OffsetDateTime) -> Self {
        let micros = (value.unix_timestamp_nanos() / 1_000) as i64;
        Self::from_unix_micros(micros).unwrap_or(Self(value.to_offset(UtcOffset::UTC)))
    }
}

impl fmt::Display for Timestamp {
    /// Written by hand rather than through a format description: this runs for every
    /// timestamp of every message sent to every client.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        serializer.collect_str(self)
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
