//! Categories, servers, channels, membership, invites and moderation
//! (`/api/categories/`, `/api/servers/`, `/api/channels/`, `/api/invites/`).

mod categories;
mod channels;
mod invites;
mod listing;
mod membership;
mod moderation;
mod servers;
pub mod views;

use crate::AppState;
use crate::error::ApiError;
use pingme_domain::account::Account;
use pingme_domain::community::{Server, Standing};
use pingme_domain::permissions::{Decision, Denied, Relation};
use pingme_domain::{AccountId, ServerId};
use utoipa_axum::router::OpenApiRouter;

pub use listing::servers_of;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(categories::router())
        .merge(listing::router())
        .merge(servers::router())
        .merge(membership::router())
        .merge(channels::router())
        .merge(invites::router())
        .merge(moderation::router())
}

/// A server and how the caller stands to it.
struct Access {
    server: Server,
    relation: Relation,
}

/// Loads a server (404 when there is none) and the caller's relation to it.
async fn access(
    state: &AppState,
    id: ServerId,
    caller: Option<&Account>,
) -> Result<Access, ApiError> {
    let server = state.store.server(id).await?.ok_or(ApiError::NotFound)?;
    let relation = relation(state, &server, caller.map(|a| a.id)).await?;
    Ok(Access { server, relation })
}

async fn relation(
    state: &AppState,
    server: &Server,
    caller: Option<AccountId>,
) -> Result<Relation, ApiError> {
    let standing = match caller {
        Some(account) if server.has_member(account) => Standing::Member,
        // Only outsiders may be banned: a member never is.
        Some(account) if account != server.owner => {
            state.store.standing(server.id, account).await?
        }
        _ => Standing::Outsider,
    };
    Ok(Relation::of(caller, server, standing))
}

/// A permission refusal as the client sees it.
fn allowed(decision: Decision) -> Result<(), ApiError> {
    decision.map_err(|denied| match denied {
        Denied::Unauthenticated => ApiError::NotAuthenticated,
        Denied::Forbidden(reason) => ApiError::Forbidden(reason.into()),
    })
}

/// DRF's sentence for a reference to something that does not exist.
fn missing(id: i64) -> String {
    format!("Invalid pk \"{id}\" - object does not exist.")
}
