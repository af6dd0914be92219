//! A server's members as Account objects: `/api/servers/<id>/members/`, for the web
//! client's member list (the Server object has only their ids).

use crate::AppState;
use crate::account::AccountView;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam, QueryParams};
use crate::paging::{self, PageSizes};
use axum::Json;
use axum::extract::State;
use pingme_domain::ServerId;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A page of members: the whole list of most servers in one.
pub const SIZES: PageSizes = PageSizes {
    default: 1000,
    max: 1000,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(members))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MembersQuery {
    /// Only members whose account id is greater than this one (the next page).
    #[param(value_type = Option<i64>)]
    after: Option<String>,
    /// At most this many (default and maximum 1000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

/// The server's members' Account objects, by id, at most 1000 a page (`after` the last id
/// for the next). Anyone signed in for a public server; only members for a private one.
/// Accounts shut out by an administrator are left out.
#[utoipa::path(
    get, path = "/api/servers/{id}/members/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1), MembersQuery),
    responses(
        (status = 200, body = Vec<AccountView>),
        (status = 400, description = "A limit or after that is not a positive number", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of the server (public or private)", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn members(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    QueryParams(query): QueryParams<MembersQuery>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let page = paging::accounts(&query.after, &query.limit, SIZES)?;
    let members = state.app.members(&caller, ServerId(id), page).await?;
    Ok(Json(
        members
            .iter()
            .map(|account| AccountView::new(account, &state))
            .collect(),
    ))
}
