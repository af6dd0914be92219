//! Staff's view of accounts: `GET /api/admin/accounts/` and the `deactivate/` and
//! `reactivate/` actions, each needing the [`StaffMember`] proof.

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam, QueryParams};
use crate::paging::{self, PageSizes};
use axum::Json;
use axum::extract::State;
use pingme_app::Actor;
use pingme_app::access::StaffMember;
use pingme_domain::account::{Account, AccountQuery};
use pingme_domain::{AccountId, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const SIZES: PageSizes = PageSizes {
    default: 100,
    max: 500,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
}

/// An account as staff see it: its state as well as its names.
#[derive(Serialize, ToSchema)]
pub struct AdminAccountView {
    pub id: i64,
    /// Login name.
    pub owner: String,
    /// Display name.
    pub username: String,
    pub email: String,
    /// `false` once shut out by staff or the operator.
    pub is_active: bool,
    pub is_staff: bool,
    /// Whether the e-mailed link has been followed; until then the account cannot log in.
    pub verified: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<&Account> for AdminAccountView {
    fn from(account: &Account) -> Self {
        Self {
            id: account.id.0,
            owner: account.login.clone(),
            username: account.display_name.clone(),
            email: account.email.clone(),
            is_active: account.is_active,
            is_staff: account.is_staff,
            verified: account.verified,
            created_at: account.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only accounts whose login name, display name or e-mail address contains this text,
    /// in any case (trimmed; at most 100 characters; `%` and `_` are plain characters).
    #[param(max_length = 100)]
    search: Option<String>,
    /// Only accounts whose id is greater than this one (the next page).
    #[param(value_type = Option<i64>)]
    after: Option<String>,
    /// At most this many (default 100, at most 500).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

/// Every account, whatever its state, by id: 100 a page by default, at most 500 (`after`
/// the last id for the next). Staff only.
#[utoipa::path(
    get, path = "/api/admin/accounts/", tag = "admin", security(("jwt" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Vec<AdminAccountView>),
        (status = 400, description = "A limit or after that is not a positive number, or a search text over 100 characters", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not staff", body = Detail),
    )
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(params): QueryParams<ListQuery>,
) -> Result<Json<Vec<AdminAccountView>>, ApiError> {
    let staff = staff(&state, &caller)?;
    let query = AccountQuery {
        search: paging::search(&params.search)?,
        page: paging::accounts(&params.after, &params.limit, SIZES)?,
    };
    let accounts = state.app.accounts(&staff, &query).await?;
    Ok(Json(accounts.iter().map(AdminAccountView::from).collect()))
}

/// Shut an account out, as `pingme admin deactivate-user` does: it cannot log in, its
/// tokens are refused and its sockets close on every node. Staff only; not oneself.
#[utoipa::path(
    post, path = "/api/admin/accounts/{id}/deactivate/", tag = "admin", security(("jwt" = [])),
    params(("id" = i64, Path, example = 2)),
    responses(
        (status = 200, body = AdminAccountView),
        (status = 400, description = "The caller's own account", body = Detail),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not staff", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn deactivate(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<AdminAccountView>, ApiError> {
    set_active(&state, &caller, id, false).await
}

/// Let a shut-out account back in, as `pingme admin activate-user` does. Staff only.
#[utoipa::path(
    post, path = "/api/admin/accounts/{id}/reactivate/", tag = "admin", security(("jwt" = [])),
    params(("id" = i64, Path, example = 2)),
    responses(
        (status = 200, body = AdminAccountView),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not staff", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn reactivate(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<AdminAccountView>, ApiError> {
    set_active(&state, &caller, id, true).await
}

async fn set_active(
    state: &AppState,
    caller: &Account,
    id: i64,
    active: bool,
) -> Result<Json<AdminAccountView>, ApiError> {
    let staff = staff(state, caller)?;
    let account = state
        .app
        .set_account_active(&staff, AccountId(id), active)
        .await?;
    Ok(Json(AdminAccountView::from(&account)))
}

/// The proof that the caller is staff (403 otherwise), asked before anything else is read.
fn staff(state: &AppState, caller: &Account) -> Result<StaffMember, ApiError> {
    Ok(state.app.staff_member(Actor::Account(caller))?)
}
