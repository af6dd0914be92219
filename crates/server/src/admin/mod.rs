//! `pingme admin ...`: operator commands, over the same use cases as the API.

mod categories;
mod operator;
mod users;

pub use categories::{CategoryCommand, run as category};
pub use operator::Operator;
pub use users::{AccountName, CreateUser, CreateUsers, create_user, create_users, set_active};
