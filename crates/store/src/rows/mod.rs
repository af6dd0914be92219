//! What the SQLite and Postgres adapters read back the same way: the row types, their
//! conversion to domain types, the column lists that fill them, and the pure-Rust assembly
//! of several queries' rows into one answer.
//!
//! sqlx's `FromRow` derive is generic over the row type, and every column here is an
//! integer, text, a boolean or a NULL of one of those, which both databases decode alike;
//! so one definition serves both backends and a schema change is made once. What differs
//! between them (statement fragments, locks and transactions, how errors map) is named in
//! [`crate::dialect`].

pub(crate) mod accounts;
pub(crate) mod categories;
pub(crate) mod channels;
pub(crate) mod invites;
pub(crate) mod messages;
pub(crate) mod read_states;
pub(crate) mod servers;

use pingme_domain::Timestamp;
use pingme_domain::store::StoreError;

/// A stored time: both schemas keep times as microseconds since the epoch in a 64-bit integer.
pub(crate) fn time(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_unix_micros(micros).map_err(|e| StoreError::Other(e.into()))
}
