//! Chat: the messages of text channels over REST (`/api/messages/`) and their sockets
//! (`/<server>/<channel>`), and the frames every socket of a channel receives.

mod acks;
pub mod attachments;
mod commands;
mod emojis;
/// Public for the micro-benchmarks (`benches/frames.rs`), like `views`.
pub mod frames;
mod in_flight;
mod messages;
mod reader;
pub mod recheck;
mod search;
pub(crate) mod socket;
pub mod views;
mod writer;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(messages::router())
        .merge(acks::router())
        .merge(emojis::router())
        .merge(attachments::router())
        .merge(search::router())
        .merge(socket::router())
}
