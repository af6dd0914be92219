//! Invites: made and listed by a server's owner, previewed by anyone with the code,
//! accepted to join (private servers included), revoked by the owner — over the use cases
//! of [`pingme_app::invites`].

use super::views::{InvitePreview, InviteView, ServerView};
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::ServerId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(preview, revoke))
        .routes(routes!(accept))
}

const MAX_USES: i64 = 100_000;
const MAX_LIFETIME_SECONDS: i64 = 30 * 24 * 3600;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct InviteRequest {
    /// How many accounts may join with it; unlimited when absent.
    #[schema(nullable = false, minimum = 1, maximum = 100_000)]
    max_uses: Option<i64>,
    /// Seconds it stays valid; forever when absent (at most 30 days).
    #[schema(nullable = false, minimum = 1, maximum = 2_592_000)]
    expires_in: Option<i64>,
}

fn bounded(form: &mut Fields, name: &str, max: i64) -> Option<i64> {
    match form.integer(name, false) {
        Some(n) if n < 1 => {
            form.reject(name, "Ensure this value is greater than or equal to 1.");
            None
        }
        Some(n) if n > max => {
            form.reject(
                name,
                format!("Ensure this value is less than or equal to {max}."),
            );
            None
        }
        n => n,
    }
}

/// Make an invite to a server you own.
#[utoipa::path(
    post, path = "/api/servers/{id}/invites/", tag = "invites", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (InviteRequest = "application/json"),
        (InviteRequest = "application/x-www-form-urlencoded"),
        (InviteRequest = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = InviteView),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<(StatusCode, Json<InviteView>), ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    let mut form = Fields::new(input);
    let max_uses = bounded(&mut form, "max_uses", MAX_USES);
    let expires_in = bounded(&mut form, "expires_in", MAX_LIFETIME_SECONDS);
    form.check()?;
    let invite = state
        .app
        .create_invite(&owned, max_uses, expires_in)
        .await?;
    Ok((StatusCode::CREATED, Json(InviteView::from(&invite))))
}

/// The invites of a server you own.
#[utoipa::path(
    get, path = "/api/servers/{id}/invites/", tag = "invites", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = Vec<InviteView>),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<Vec<InviteView>>, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    let invites = state.app.invites(&owned).await?;
    Ok(Json(invites.iter().map(InviteView::from).collect()))
}

/// What an invite leads to. No token needed; an expired, used-up or revoked invite is 404.
#[utoipa::path(
    get, path = "/api/invites/{code}/", tag = "invites", security(()),
    params(("code" = String, Path)),
    responses((status = 200, body = InvitePreview), (status = 404, body = Detail))
)]
async fn preview(
    State(state): State<AppState>,
    PathParam(code): PathParam<String>,
) -> Result<Json<InvitePreview>, ApiError> {
    let (invite, server) = state.app.invite_preview(&code).await?;
    Ok(Json(InvitePreview::new(&invite, &server, &state)))
}

/// Join the server an invite leads to; answers the server.
#[utoipa::path(
    post, path = "/api/invites/{code}/accept/", tag = "invites", security(("jwt" = [])),
    params(("code" = String, Path)),
    responses(
        (status = 200, body = ServerView),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Banned from the server", body = Detail),
        (status = 404, description = "Unknown, expired, used up or revoked", body = Detail),
    )
)]
async fn accept(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(code): PathParam<String>,
) -> Result<Json<ServerView>, ApiError> {
    let server = state.app.accept_invite(&caller, &code).await?;
    Ok(Json(ServerView::new(&server, &state, false)))
}

/// Revoke an invite to a server you own.
#[utoipa::path(
    delete, path = "/api/invites/{code}/", tag = "invites", security(("jwt" = [])),
    params(("code" = String, Path)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner of its server", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn revoke(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(code): PathParam<String>,
) -> Result<StatusCode, ApiError> {
    state.app.revoke_invite(&caller, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}
