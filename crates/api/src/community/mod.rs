//! Categories, servers, channels, membership, invites and moderation
//! (`/api/categories/`, `/api/servers/`, `/api/channels/`, `/api/invites/`).

mod categories;
mod channels;
mod invites;
mod listing;
mod members;
mod membership;
mod moderation;
mod servers;
pub mod views;

use crate::AppState;
use crate::error::ApiError;
use pingme_app::access::Access;
use pingme_domain::ServerId;
use pingme_domain::account::Account;
use pingme_domain::permissions::Decision;
use utoipa_axum::router::OpenApiRouter;

pub use listing::{MinePage, servers_of};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(categories::router())
        .merge(listing::router())
        .merge(servers::router())
        .merge(membership::router())
        .merge(members::router())
        .merge(channels::router())
        .merge(invites::router())
        .merge(moderation::router())
}

/// Loads a server (404 when there is none) and the caller's relation to it.
async fn access(
    state: &AppState,
    id: ServerId,
    caller: Option<&Account>,
) -> Result<Access, ApiError> {
    Ok(state.app.access(id, caller).await?)
}

/// A permission refusal as the client sees it.
fn allowed(decision: Decision) -> Result<(), ApiError> {
    Ok(pingme_app::access::allowed(decision)?)
}

/// DRF's sentence for a reference to something that does not exist.
fn missing(id: i64) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}
