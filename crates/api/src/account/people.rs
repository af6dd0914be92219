//! Other people's accounts: `/api/accounts/<id>/`, for profile cards.

use super::AccountView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail};
use crate::extract::{Id, PathParam};
use axum::Json;
use axum::extract::State;
use pingme_domain::AccountId;

/// A person's Account object: one's own, that of someone one shares a server with, or any
/// (for staff). Anyone else, and accounts shut out, unverified or deleted: 404.
#[utoipa::path(
    get, path = "/api/accounts/{id}/", tag = "account", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = AccountView),
        (status = 401, body = AuthErrorBody),
        (status = 404, description = "No such account, or not one the caller may see", body = Detail),
    )
)]
pub(super) async fn account(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<AccountView>, ApiError> {
    let account = state.app.profile(&caller, AccountId(id)).await?;
    Ok(Json(AccountView::new(&account, &state)))
}
