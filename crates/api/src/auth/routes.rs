//! `POST /api/token/` (a login starts a session), `POST /api/token/refresh/` (the session's
//! refresh token is used up and replaced) and `POST /api/token/blacklist/` (the session
//! ends).

use super::tokens::{Claims, TokenError, TokenPair, TokenType};
use super::{LOGGED_OUT, current_account, login_of};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::USER_AGENT;
use pingme_app::AppError;
use pingme_app::passwords;
use pingme_app::sessions::{Client, new_session_id};
use pingme_domain::AccountId;
use pingme_domain::sessions::{Rotation, SessionId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(obtain_pair))
        .routes(routes!(refresh))
        .routes(routes!(blacklist))
}

const LOGIN_FAILED: &str = "No active account found with the given credentials";

/// Login form.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenRequest {
    /// Login name (case-insensitive; fullwidth and other compatibility forms count as the
    /// name they normalise to).
    #[schema(min_length = 1)]
    username: String,
    #[schema(min_length = 1, max_length = 4096)]
    password: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RefreshRequest {
    #[schema(min_length = 1)]
    refresh: String,
}

/// A new access token, and the refresh token that replaces the one presented (which is
/// used up: presented again, it ends the session).
#[derive(Serialize, ToSchema)]
pub struct RefreshedTokens {
    access: String,
    refresh: String,
}

/// `{}`
#[derive(Serialize, ToSchema)]
pub struct Empty {}

/// Log in: a refresh and an access token for a verified, active account, of a new login
/// session (listed at `/api/account/sessions/`).
#[utoipa::path(
    post, path = "/api/token/", tag = "auth", security(()),
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = TokenPair),
        (status = 400, description = "Missing fields, or a password over 4096 characters", body = FieldErrorsSchema),
        (status = 401, description = "Wrong credentials, or the account is not verified", body = Detail),
        (status = 429, description = "Too many attempts", body = Detail),
    )
)]
async fn obtain_pair(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    input: Input,
) -> Result<Json<TokenPair>, ApiError> {
    let mut form = Fields::new(input);
    let login = form.required("username", |s| Ok(s.to_owned()));
    let password = form.password("password");
    let (login, password) = form.finish((login, password))?;
    state.limits.login(ip, &login)?;
    match authenticated(&state, &login, password).await {
        Ok(Some(account)) => {
            state.limits.login_succeeded(ip, &login);
            let session = new_session_id()?;
            let (pair, refresh) = state.tokens.pair(&account, &session)?;
            let client = Client {
                user_agent: user_agent(&headers),
                ip: &ip.to_string(),
            };
            let owner = (account.id, account.token_version);
            state
                .app
                .start_session(session, owner, refresh, client)
                .await?;
            Ok(Json(pair))
        }
        Ok(None) => Err(ApiError::AuthenticationFailed(LOGIN_FAILED)),
        // Not an attempt that failed: nothing could be checked (the database did not answer).
        Err(error) => {
            state.limits.login_succeeded(ip, &login);
            Err(error)
        }
    }
}

/// The account these credentials log in, if they do.
async fn authenticated(
    state: &AppState,
    login: &str,
    password: String,
) -> Result<Option<pingme_domain::account::Account>, ApiError> {
    let (account, hash) = state.store.credentials(login).await?.unzip();
    let matches = passwords::verify(password, hash).await?;
    Ok(account.filter(|account| matches && account.can_authenticate()))
}

/// A new access token for a refresh token, and the refresh token that replaces it. Each
/// refresh token is used once: presented again, it ends its whole session (the usual sign
/// that it was stolen), and from then on every token of the session is refused. The one
/// exception: the token just replaced, presented again within 10 s, is refused with
/// `Token was replaced by a newer one` and the session lives on (two tabs of one browser
/// refreshing at once).
#[utoipa::path(
    post, path = "/api/token/refresh/", tag = "auth", security(()),
    request_body(content(
        (RefreshRequest = "application/json"),
        (RefreshRequest = "application/x-www-form-urlencoded"),
        (RefreshRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = RefreshedTokens),
        (status = 400, description = "Missing field", body = FieldErrorsSchema),
        (status = 401, description = "Invalid, expired, used or revoked token, an ended session, or an access token", body = AuthErrorBody),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    input: Input,
) -> Result<Json<RefreshedTokens>, ApiError> {
    let (claims, session) = refresh_claims(&state, input)?;
    let account = current_account(&state, &claims).await?;
    let (pair, next) = state.tokens.pair(&account, &session)?;
    let rotation = state
        .app
        .refresh_session((account.id, &session), &claims.jti, &next, &ip.to_string())
        .await?;
    match rotation {
        Rotation::Rotated => {}
        Rotation::Replaced => return Err(ApiError::TokenNotValid(REPLACED)),
        Rotation::Ended | Rotation::Missing => return Err(ApiError::TokenNotValid(LOGGED_OUT)),
    }
    Ok(Json(RefreshedTokens {
        access: pair.access,
        refresh: pair.refresh,
    }))
}

/// Log out: the refresh token's session ends. Its tokens are refused from then on, and the
/// sockets opened with them close (the gateway with 4004, chat sockets with 4403), on every
/// node.
#[utoipa::path(
    post, path = "/api/token/blacklist/", tag = "auth", security(()),
    request_body(content(
        (RefreshRequest = "application/json"),
        (RefreshRequest = "application/x-www-form-urlencoded"),
        (RefreshRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Empty),
        (status = 400, description = "Missing field", body = FieldErrorsSchema),
        (status = 401, description = "Invalid or expired token, a session already ended, or an access token", body = AuthErrorBody),
    )
)]
async fn blacklist(State(state): State<AppState>, input: Input) -> Result<Json<Empty>, ApiError> {
    let (claims, session) = refresh_claims(&state, input)?;
    let account = AccountId(claims.user_id);
    match state.app.end_session(account, &session).await {
        Ok(()) => Ok(Json(Empty {})),
        Err(AppError::NotFound) => Err(ApiError::TokenNotValid(LOGGED_OUT)),
        Err(other) => Err(other.into()),
    }
}

/// The claims and session of the form's `refresh` token.
fn refresh_claims(state: &AppState, input: Input) -> Result<(Claims, SessionId), ApiError> {
    let mut form = Fields::new(input);
    let token = form.verbatim("refresh");
    let (token,) = form.finish((token,))?;
    let claims = state
        .tokens
        .decode(token.trim(), TokenType::Refresh)
        .map_err(|error| match error {
            TokenError::WrongType => ApiError::TokenNotValid("Token has wrong type"),
            TokenError::Invalid => ApiError::TokenNotValid(INVALID),
        })?;
    let session = login_of(&claims)?.ok_or(ApiError::TokenNotValid(INVALID))?;
    Ok((claims, session))
}

const INVALID: &str = "Token is invalid or expired";
/// The refresh token was just replaced by a newer one (given to another tab of the same
/// browser, most likely): the session lives on, and the client should use the newer token.
const REPLACED: &str = "Token was replaced by a newer one";

/// The client's `User-Agent`, as a session records it (empty without one).
fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}
