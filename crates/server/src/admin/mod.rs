//! `pingme admin ...`: operator commands that act on the database directly.

mod categories;
mod users;

pub use categories::{CategoryCommand, run as category};
pub use users::{AccountName, CreateUser, CreateUsers, create_user, create_users, set_active};
