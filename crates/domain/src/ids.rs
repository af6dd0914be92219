//! Typed identifiers, so an account id can never be passed where a server id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// The one number that identifies a person everywhere: the Account `id`, the JWT
    /// `user_id` and the WebSocket `user.id` (contract Level 2, "One id per person").
    AccountId
);
id!(
    /// A server (a community), which groups channels and members.
    ServerId
);
id!(
    /// A text channel of a server.
    ChannelId
);
id!(
    /// A category servers are grouped in (gaming, music, …).
    CategoryId
);
id!(
    /// An image uploaded to be shown in a message.
    AttachmentId
);
