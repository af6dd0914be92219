//! Reading servers: the listing with the original's filters, and one server.

use super::views::ServerView;
use super::{access, allowed};
use crate::AppState;
use crate::auth::MaybeAuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam, QueryParams};
use crate::fields::parse_bool;
use crate::paging::{self, PageSizes};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::Uri;
use axum::http::header::{CONTENT_TYPE, LINK};
use axum::response::{IntoResponse, Response};
use pingme_app::listing::{Listed, ListingKey};
use pingme_domain::account::Account;
use pingme_domain::community::{Server, ServerQuery};
use pingme_domain::permissions::see_server;
use pingme_domain::{AccountId, ServerId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retrieve))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Exact category name (compared lowercase).
    category: Option<String>,
    /// Only the first `qty` servers; ignored unless a non-negative integer. Over more than
    /// one page, the `Link` to the next carries what is left of it.
    #[param(value_type = Option<u32>)]
    qty: Option<String>,
    /// `true`: only servers the caller belongs to (needs a token).
    #[param(value_type = Option<bool>)]
    by_user: Option<String>,
    /// Only the server with this id.
    #[param(value_type = Option<i64>)]
    by_serverid: Option<String>,
    /// `true`: include `num_members`.
    #[param(value_type = Option<bool>)]
    with_num_members: Option<String>,
    /// Only servers the caller shares with this account (needs a token).
    #[param(value_type = Option<i64>)]
    mutual_with: Option<String>,
    /// Only servers whose name contains this text, in any case (trimmed; at most 100
    /// characters; `%` and `_` are plain characters).
    #[param(max_length = 100)]
    search: Option<String>,
    /// Servers in the page: 1–100, 100 when not given (more is cut down to 100). A page
    /// with more after it says where in a `Link: <…>; rel="next"` header.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Only servers with a greater id: the cursor of the next page.
    #[param(value_type = Option<i64>)]
    after: Option<String>,
}

/// A page of a listing: at most 100 servers, also when the client does not ask for a page
/// (the original client does not), so that no answer grows with the installation.
pub const SIZES: PageSizes = PageSizes {
    default: 100,
    max: 100,
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RetrieveQuery {
    /// `true`: include `num_members`.
    #[param(value_type = Option<bool>)]
    with_num_members: Option<String>,
}

fn flag(value: &Option<String>) -> bool {
    value.as_deref().and_then(parse_bool).unwrap_or(false)
}

/// A query parameter's value; an empty one counts as absent, as in the original.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// An id filter: digits, as an id in a path (`+1` is not one).
fn id_param(name: &str, value: &Option<String>) -> Result<Option<i64>, ApiError> {
    given(value)
        .map(|v| Id::parse(v).ok_or_else(|| ApiError::field(name, "A valid integer is required.")))
        .transpose()
}

fn signed_in(caller: &Option<Account>) -> Result<AccountId, ApiError> {
    caller
        .as_ref()
        .map(|a| a.id)
        .ok_or(ApiError::NotAuthenticated)
}

/// Servers, by id, a page at a time. No token needed; private servers are listed to their
/// members only.
#[utoipa::path(
    get, path = "/api/servers/", tag = "servers", security((), ("jwt" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Vec<ServerView>, headers(
            ("Link" = String, description = "`<the same query with after=<last id>>; rel=\"next\"` when more servers follow"),
        )),
        (status = 400, description = "A non-numeric id, or a search text over 100 characters", body = FieldErrorsSchema),
        (status = 401, description = "`by_user` or `mutual_with` without a token, or an invalid token", body = AuthErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    uri: Uri,
    QueryParams(params): QueryParams<ListQuery>,
) -> Result<Response, ApiError> {
    let viewer = caller.as_ref().map(|a| a.id);
    let qty: Option<u32> = params.qty.as_deref().and_then(|q| q.trim().parse().ok());
    let size = paging::limit(&params.limit, SIZES)?;
    let mut query = ServerQuery {
        viewer,
        category: given(&params.category).map(str::to_lowercase),
        id: id_param("by_serverid", &params.by_serverid)?.map(ServerId),
        after: id_param("after", &params.after)?.map(ServerId),
        limit: Some(qty.map_or(size, |qty| qty.min(size))),
        name: paging::search(&params.search)?,
        ..ServerQuery::default()
    };
    if flag(&params.by_user) {
        query.member = Some(signed_in(&caller)?);
    }
    if let Some(other) = id_param("mutual_with", &params.mutual_with)? {
        query.member = Some(signed_in(&caller)?);
        query.shared_with = Some(AccountId(other));
    }
    let shown = Shown {
        with_num_members: flag(&params.with_num_members),
        qty,
    };
    page(&state, query, &uri, shown).await
}

/// What the client asked of the page besides the query: `num_members`, and `qty` (only the
/// first `qty` servers of the whole listing, which its pages then share).
#[derive(Clone, Copy, Default)]
struct Shown {
    with_num_members: bool,
    qty: Option<u32>,
}

/// One page of the query's servers (its `limit` is the page's size), with a `Link` to the
/// next when more follow: one more is read to know. Under `qty`, the link carries what is
/// left of it, and there is none once the page reached it.
async fn page(
    state: &AppState,
    mut query: ServerQuery,
    uri: &Uri,
    shown: Shown,
) -> Result<Response, ApiError> {
    let size = query.limit.unwrap_or(SIZES.max);
    query.limit = Some(size.saturating_add(1));
    let key = ListingKey {
        query,
        shape: u32::from(shown.with_num_members),
    };
    let render = |mut servers: Vec<Server>| {
        let more = servers.len() > size as usize;
        servers.truncate(size as usize);
        let views = ServerView::list(&servers, state, shown.with_num_members);
        Listed {
            // Serialising views (strings, numbers, timestamps) cannot fail.
            body: serde_json::to_vec(&views).unwrap_or_default().into(),
            servers: servers.len(),
            more_after: servers.last().filter(|_| more).map(|last| last.id),
        }
    };
    let listed = state.app.listing(key, render).await?;
    let left = shown
        .qty
        .map(|qty| qty.saturating_sub(u32::try_from(listed.servers).unwrap_or(u32::MAX)));
    let json = [(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    Ok(match listed.more_after.filter(|_| left != Some(0)) {
        Some(last) => (json, [(LINK, next_link(uri, last.0, left))], listed.body).into_response(),
        None => (json, listed.body).into_response(),
    })
}

/// `<path?query>; rel="next"`: the request's own parameters, decoded and encoded again,
/// with `after` (and `qty`, when it caps the listing) replaced.
fn next_link(uri: &Uri, after: i64, qty_left: Option<u32>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        if name != "after" && !(name == "qty" && qty_left.is_some()) {
            query.append_pair(&name, &value);
        }
    }
    if let Some(qty) = qty_left {
        query.append_pair("qty", &qty.to_string());
    }
    query.append_pair("after", &after.to_string());
    format!("<{}?{}>; rel=\"next\"", uri.path(), query.finish())
}

/// The servers `account` belongs to, as `GET /api/account/my_servers/` lists them: a page
/// as the listing's (`limit`, `after`, `Link`).
pub async fn servers_of(
    state: &AppState,
    account: AccountId,
    uri: &Uri,
    page_query: &MinePage,
) -> Result<Response, ApiError> {
    let query = ServerQuery {
        viewer: Some(account),
        member: Some(account),
        after: id_param("after", &page_query.after)?.map(ServerId),
        limit: Some(paging::limit(&page_query.limit, SIZES)?),
        ..ServerQuery::default()
    };
    page(state, query, uri, Shown::default()).await
}

/// A page of one's own servers.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MinePage {
    /// Servers in the page: 1–100, 100 when not given.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Only servers with a greater id: the cursor of the next page.
    #[param(value_type = Option<i64>)]
    after: Option<String>,
}

/// One server. No token needed for a public one; a private one only for its members.
#[utoipa::path(
    get, path = "/api/servers/{id}/", tag = "servers", security((), ("jwt" = [])),
    params(("id" = i64, Path, example = 1), RetrieveQuery),
    responses(
        (status = 200, body = ServerView),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "A private server, and not a member", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn retrieve(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    PathParam(Id(id)): PathParam<Id>,
    QueryParams(params): QueryParams<RetrieveQuery>,
) -> Result<Json<ServerView>, ApiError> {
    let access = access(&state, ServerId(id), caller.as_ref()).await?;
    allowed(see_server(access.server.is_private, access.relation))?;
    Ok(Json(ServerView::new(
        &access.server,
        &state,
        flag(&params.with_num_members),
    )))
}
