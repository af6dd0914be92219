//! Authentication: who a request is from. JWTs from `/api/token/`, checked on every
//! request against the account as it is (through the read cache, which every node's events
//! keep current: see `pingme_app::cache`), so tokens of deleted or deactivated accounts and
//! tokens issued before a password change stop working at once.

mod routes;
pub mod tokens;

pub use routes::router;

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pingme_domain::AccountId;
use pingme_domain::account::Account;
use tokens::{Claims, TokenType};

/// The account an access token in `Authorization: Bearer <token>` belongs to.
#[derive(Debug)]
pub struct AuthUser(pub Account);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::NotAuthenticated)?;
        let account = authenticate(state, token).await?;
        tracing::Span::current().record("user_id", account.id.0);
        Ok(Self(account))
    }
}

/// The caller's account when a bearer token is presented, `None` without one. A token that
/// is presented but not valid is still refused (401), as DRF does.
#[derive(Debug)]
pub struct MaybeAuthUser(pub Option<Account>);

impl FromRequestParts<AppState> for MaybeAuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(parts) else {
            return Ok(Self(None));
        };
        let account = authenticate(state, token).await?;
        tracing::Span::current().record("user_id", account.id.0);
        Ok(Self(Some(account)))
    }
}

/// The account behind an access token, wherever it was presented (header or, for sockets,
/// the query string).
pub async fn authenticate(state: &AppState, token: &str) -> Result<Account, ApiError> {
    let claims = state
        .tokens
        .decode(token, TokenType::Access)
        .map_err(|_| ApiError::TokenNotValid("Given token not valid for any token type"))?;
    current_account(state, &claims).await
}

/// The account the claims name, if it may still use tokens of that version.
pub(crate) async fn current_account(
    state: &AppState,
    claims: &Claims,
) -> Result<Account, ApiError> {
    let account = state.app.token_account(AccountId(claims.user_id)).await?;
    usable_account(account, claims)
}

/// As [`current_account`], read from the database rather than the read cache: for what
/// lasts (a socket), which the cache's bounded staleness must not outlive.
pub(crate) async fn current_account_uncached(
    state: &AppState,
    claims: &Claims,
) -> Result<Account, ApiError> {
    let account = state.store.account(AccountId(claims.user_id)).await?;
    usable_account(account, claims)
}

pub(crate) fn usable_account(
    account: Option<Account>,
    claims: &Claims,
) -> Result<Account, ApiError> {
    let account = account.ok_or(ApiError::TokenNotValid("User not found"))?;
    if !account.can_authenticate() {
        return Err(ApiError::TokenNotValid("User is inactive"));
    }
    if account.token_version != claims.ver {
        return Err(ApiError::TokenNotValid("Token has been revoked"));
    }
    Ok(account)
}

/// The token of a `Bearer` authorization header; any other scheme counts as no credentials,
/// as in DRF.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
