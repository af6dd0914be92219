//! Invites: made and listed by a server's owner, previewed by anyone with the code,
//! accepted to join (private servers included), revoked by the owner.

use super::views::{InvitePreview, InviteView, ServerView};
use super::{access, allowed};
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::community::{Accepted, NewInvite};
use pingme_domain::permissions::manage_server;
use pingme_domain::store::{StoreError, Unique};
use pingme_domain::{ServerId, Timestamp};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(preview, revoke))
        .routes(routes!(accept))
}

const CODE_LENGTH: usize = 10;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
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

/// Ten characters of 62 (about 59 bits), from the operating system's randomness.
fn new_code() -> Result<String, ApiError> {
    let mut bytes = [0u8; CODE_LENGTH];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("no randomness: {e}")))?;
    // 256 is not a multiple of 62: a tiny bias, irrelevant at this length.
    Ok(bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect())
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
    let server = ServerId(id);
    allowed(manage_server(
        access(&state, server, Some(&caller)).await?.relation,
    ))?;
    let mut form = Fields::new(input);
    let max_uses = bounded(&mut form, "max_uses", MAX_USES);
    let expires_in = bounded(&mut form, "expires_in", MAX_LIFETIME_SECONDS);
    form.check()?;
    let expires_at = expires_in
        .map(|seconds| {
            Timestamp::from_unix_micros(Timestamp::now().unix_micros() + seconds * 1_000_000)
        })
        .transpose()
        .map_err(ApiError::internal)?;
    // A collision among 62^10 codes is all but impossible; try again if it happens.
    for _ in 0..3 {
        let new = NewInvite {
            code: new_code()?,
            server,
            created_by: caller.id,
            max_uses,
            expires_at,
        };
        match state.store.create_invite(&new).await {
            Ok(invite) => return Ok((StatusCode::CREATED, Json(InviteView::from(&invite)))),
            Err(StoreError::Conflict(Unique::InviteCode)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::internal(anyhow::anyhow!(
        "three invite code collisions in a row"
    )))
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
    let server = ServerId(id);
    allowed(manage_server(
        access(&state, server, Some(&caller)).await?.relation,
    ))?;
    let invites = state.store.invites(server).await?;
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
    let invite = state
        .store
        .invite(&code)
        .await?
        .filter(|i| i.is_usable(Timestamp::now()))
        .ok_or(ApiError::NotFound)?;
    let server = state
        .store
        .server(invite.server)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    let server = match state.store.accept_invite(&code, caller.id).await? {
        Accepted::Joined(server) | Accepted::AlreadyMember(server) => server,
        Accepted::Banned => {
            return Err(ApiError::Forbidden(
                "You are banned from this server.".into(),
            ));
        }
        Accepted::Unusable => return Err(ApiError::NotFound),
    };
    let server = state
        .store
        .server(server)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    let invite = state.store.invite(&code).await?.ok_or(ApiError::NotFound)?;
    allowed(manage_server(
        access(&state, invite.server, Some(&caller)).await?.relation,
    ))?;
    state.store.revoke_invite(&code).await?;
    Ok(StatusCode::NO_CONTENT)
}
