//! Chat: the messages of text channels over REST (`/api/messages/`) and their sockets
//! (`/<server>/<channel>`), and the frames every socket of a channel receives.

mod commands;
/// Public for the micro-benchmarks (`benches/frames.rs`), like `views`.
pub mod frames;
mod messages;
mod reader;
pub mod recheck;
mod socket;
pub mod views;
mod writer;

use crate::AppState;
use crate::error::ApiError;
use pingme_domain::events::Event;
use pingme_domain::{AccountId, ChannelId, ServerId};
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(messages::router())
        .merge(socket::router())
}

/// Sends a rendered frame to every socket of a channel (on every node).
fn broadcast(state: &AppState, channel: ChannelId, frame: String, except: Option<AccountId>) {
    state.events.publish(Event::ChannelFrame {
        channel,
        frame: frame.into(),
        except,
    });
}

/// Whether the account belongs to the server; reading and writing a channel's messages
/// takes that, public server or not.
async fn is_member(
    state: &AppState,
    server: ServerId,
    account: AccountId,
) -> Result<bool, ApiError> {
    use pingme_domain::community::Standing;
    Ok(state.store.standing(server, account).await? == Standing::Member)
}
