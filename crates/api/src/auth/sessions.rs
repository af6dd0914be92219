//! `/api/account/sessions/`: the caller's login sessions, listed and logged out.

use super::AuthSession;
use crate::AppState;
use crate::error::{ApiError, AuthErrorBody, Detail};
use crate::extract::PathParam;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::Timestamp;
use pingme_domain::sessions::{LoginSession, SessionId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, end_others))
        .routes(routes!(end_one))
}

/// One login session: a login and the refreshes that carried it on.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    /// Opaque: 32 hex digits.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    /// When it logged in.
    #[schema(value_type = String, format = DateTime)]
    created_at: Timestamp,
    /// When it was last seen: its login, its last refresh, or a request with one of its
    /// access tokens (recorded at most every 5 minutes).
    #[schema(value_type = String, format = DateTime)]
    last_used_at: Timestamp,
    /// The `User-Agent` it logged in with (at most 256 characters; empty without one).
    user_agent: String,
    /// The address it was last seen from.
    ip: String,
    /// Whether it is the session of the token this request came with.
    current: bool,
}

impl SessionView {
    fn new(session: LoginSession, current: Option<&SessionId>) -> Self {
        Self {
            current: current == Some(&session.id),
            id: session.id.to_string(),
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            user_agent: session.user_agent,
            ip: session.ip,
        }
    }
}

/// The caller's live sessions, the most recently used first.
#[utoipa::path(
    get, path = "/api/account/sessions/", tag = "account", security(("jwt" = [])),
    responses(
        (status = 200, body = [SessionView]),
        (status = 401, body = AuthErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    caller: AuthSession,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let sessions = state.app.sessions(caller.account.id).await?;
    let current = caller.session.as_ref();
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView::new(s, current))
            .collect(),
    ))
}

/// Log out every other session of the caller ("log out everywhere else"): their tokens are
/// refused from then on and their sockets close, on every node.
#[utoipa::path(
    delete, path = "/api/account/sessions/", tag = "account", security(("jwt" = [])),
    responses(
        (status = 204, description = "Every other session is logged out"),
        (status = 400, description = "The token has no session (issued before sessions existed): log in again", body = Detail),
        (status = 401, body = AuthErrorBody),
    )
)]
async fn end_others(
    State(state): State<AppState>,
    caller: AuthSession,
) -> Result<StatusCode, ApiError> {
    let current = caller.session.ok_or_else(|| {
        ApiError::BadRequest("This token has no session; log in again to get one.".into())
    })?;
    state
        .app
        .end_other_sessions(caller.account.id, &current)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Log one of the caller's sessions out (the current one too): its tokens are refused from
/// then on and its sockets close, on every node.
#[utoipa::path(
    delete, path = "/api/account/sessions/{id}/", tag = "account", security(("jwt" = [])),
    params(("id" = String, Path, description = "A session's id")),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, body = AuthErrorBody),
        (status = 404, description = "Not one of the caller's live sessions", body = Detail),
    )
)]
async fn end_one(
    State(state): State<AppState>,
    caller: AuthSession,
    PathParam(id): PathParam<String>,
) -> Result<StatusCode, ApiError> {
    let session = SessionId::parse(&id).ok_or(ApiError::NotFound)?;
    state.app.end_session(caller.account.id, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}
