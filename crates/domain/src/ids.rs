//! Typed identifiers, so an account id can never be passed where a server id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The one number that identifies a person everywhere: the Account `id`, the JWT
/// `user_id` and the WebSocket `user.id` (contract Level 2, "One id per person").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub i64);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
