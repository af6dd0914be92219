//! pingme's domain: identifiers, validated values parsed once at the boundary, the rules
//! that decide what is allowed, and the storage ports the adapters implement.
//!
//! Nothing in this crate performs IO; it is the vocabulary every other crate shares.
#![forbid(unsafe_code)]

pub mod account;
pub mod community;
pub mod dms;
pub mod duration;
pub mod events;
pub mod ids;
pub mod media;
pub mod message_search;
pub mod messages;
pub mod names;
pub mod password;
pub mod permissions;
pub mod presence;
pub mod search;
pub mod sessions;
pub mod store;
mod text;
pub mod timestamp;

pub use ids::{AccountId, AttachmentId, CategoryId, ChannelId, ServerId};
pub use timestamp::Timestamp;
