//! Authentication: who a request is from. JWTs from `/api/token/`, checked on every
//! request against the account as it is (through the read cache, which every node's events
//! keep current: see `pingme_app::cache`), so tokens of deleted or deactivated accounts and
//! tokens issued before a password change stop working at once. Tokens carry their login
//! session (`sid`), which must still be live: a logout ends its tokens on every node.

mod routes;
mod sessions;
pub mod tokens;

use utoipa_axum::router::OpenApiRouter;

/// `/api/token/…` and `/api/account/sessions/…`.
pub fn router() -> OpenApiRouter<AppState> {
    routes::router().merge(sessions::router())
}

use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pingme_domain::AccountId;
use pingme_domain::account::Account;
use pingme_domain::sessions::SessionId;
use pingme_realtime::Grant;
use tokens::{Claims, TokenType};

/// The account an access token in `Authorization: Bearer <token>` belongs to.
#[derive(Debug)]
pub struct AuthUser(pub Account);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = AuthSession::from_request_parts(parts, state).await?;
        Ok(Self(caller.account))
    }
}

/// As [`AuthUser`], with the login session of the token (none for a token from before
/// sessions existed).
#[derive(Debug)]
pub struct AuthSession {
    pub account: Account,
    pub session: Option<SessionId>,
}

impl FromRequestParts<AppState> for AuthSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or(ApiError::NotAuthenticated)?;
        let caller = authenticate(state, parts, &token).await?;
        tracing::Span::current().record("user_id", caller.account.id.0);
        Ok(caller)
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
        let caller = authenticate(state, parts, &token).await?;
        tracing::Span::current().record("user_id", caller.account.id.0);
        Ok(Self(Some(caller.account)))
    }
}

/// The account and login session behind an access token presented with a request.
async fn authenticate(
    state: &AppState,
    parts: &mut Parts,
    token: &str,
) -> Result<AuthSession, ApiError> {
    let claims = state
        .tokens
        .decode(token, TokenType::Access)
        .map_err(|_| ApiError::TokenNotValid("Given token not valid for any token type"))?;
    let account = current_account(state, &claims).await?;
    let session = login_of(&claims)?;
    if let Some(session) = &session {
        let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, state).await;
        let live = state
            .app
            .session_live((account.id, session), &ip.to_string())
            .await?;
        if !live {
            return Err(ApiError::TokenNotValid(LOGGED_OUT));
        }
    }
    Ok(AuthSession { account, session })
}

/// What a token of a session that was logged out is told.
pub(crate) const LOGGED_OUT: &str = "Token is blacklisted";

/// The account the claims name, if it may still use tokens of that version.
pub(crate) async fn current_account(
    state: &AppState,
    claims: &Claims,
) -> Result<Account, ApiError> {
    let account = state.app.token_account(AccountId(claims.user_id)).await?;
    usable_account(account, claims)
}

/// As [`current_account`] with the token's login session still live, read from the
/// database rather than the read cache: for what lasts (a socket), which the cache's
/// bounded staleness must not outlive.
pub(crate) async fn current_account_uncached(
    state: &AppState,
    claims: &Claims,
) -> Result<Account, ApiError> {
    let account = state.store.account(AccountId(claims.user_id)).await?;
    let account = usable_account(account, claims)?;
    if let Some(session) = login_of(claims)?
        && !state.store.session_live(&session, account.id).await?
    {
        return Err(ApiError::TokenNotValid(LOGGED_OUT));
    }
    Ok(account)
}

/// The login session the claims name; `None` for a token from before sessions existed.
pub(crate) fn login_of(claims: &Claims) -> Result<Option<SessionId>, ApiError> {
    claims
        .sid
        .as_deref()
        .map(|sid| {
            SessionId::parse(sid).ok_or(ApiError::TokenNotValid("Token is invalid or expired"))
        })
        .transpose()
}

/// What a socket opened with these claims holds: closed when either ends.
pub(crate) fn grant_of(claims: &Claims) -> Grant {
    Grant::new(claims.ver, claims.sid.as_deref().map(Into::into))
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
fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}
