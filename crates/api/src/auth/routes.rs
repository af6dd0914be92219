//! `POST /api/token/` and `POST /api/token/refresh/`.

use super::current_account;
use super::tokens::{TokenPair, TokenType};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use pingme_app::passwords;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(obtain_pair))
        .routes(routes!(refresh))
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

#[derive(Serialize, ToSchema)]
pub struct AccessToken {
    access: String,
}

/// Log in: a refresh and an access token for a verified, active account.
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
            Ok(Json(state.tokens.pair(&account)?))
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

/// A new access token for a refresh token.
#[utoipa::path(
    post, path = "/api/token/refresh/", tag = "auth", security(()),
    request_body(content(
        (RefreshRequest = "application/json"),
        (RefreshRequest = "application/x-www-form-urlencoded"),
        (RefreshRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = AccessToken),
        (status = 400, description = "Missing field", body = FieldErrorsSchema),
        (status = 401, description = "Invalid, expired or revoked token, or an access token", body = AuthErrorBody),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    input: Input,
) -> Result<Json<AccessToken>, ApiError> {
    let mut form = Fields::new(input);
    let token = form.verbatim("refresh");
    let (token,) = form.finish((token,))?;
    let claims = state
        .tokens
        .decode(token.trim(), TokenType::Refresh)
        .map_err(|error| match error {
            super::tokens::TokenError::WrongType => ApiError::TokenNotValid("Token has wrong type"),
            super::tokens::TokenError::Invalid => {
                ApiError::TokenNotValid("Token is invalid or expired")
            }
        })?;
    let account = current_account(&state, &claims).await?;
    Ok(Json(AccessToken {
        access: state.tokens.access(&account)?,
    }))
}
