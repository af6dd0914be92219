//! `/api/servers/`: listing with the original's filters, creation, changes by the owner,
//! joining and leaving, handing ownership on.

use super::views::{ServerView, Status};
use super::{access, allowed, missing};
use crate::AppState;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{PathParam, QueryParams};
use crate::fields::Fields;
use crate::input::Input;
use crate::media::{self, ImageChange, MediaOwner};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::account::Account;
use pingme_domain::community::{
    Accepted, Description, Joined, NewServer, ServerChanges, ServerName, ServerQuery,
};
use pingme_domain::events::Event;
use pingme_domain::permissions::{Relation, join, manage_server, see_server};
use pingme_domain::{AccountId, CategoryId, ServerId};
use pingme_media::Purpose;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, replace, update, delete))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(transfer_ownership))
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// Exact category name (compared lowercase).
    category: Option<String>,
    /// Only the first `qty` servers; ignored unless a non-negative integer.
    qty: Option<String>,
    /// `true`: only servers the caller belongs to (needs a token).
    by_user: Option<String>,
    /// Only the server with this id.
    by_serverid: Option<String>,
    /// `true`: include `num_members`.
    with_num_members: Option<String>,
    /// Only servers the caller shares with this account (needs a token).
    mutual_with: Option<String>,
}

#[derive(Deserialize, IntoParams)]
struct RetrieveQuery {
    /// `true`: include `num_members`.
    with_num_members: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ServerRequest {
    /// At most 100 characters.
    name: String,
    /// Category id.
    category: i64,
    /// At most 255 characters.
    description: Option<String>,
    /// Default `false`; multipart sends `"true"`/`"false"`.
    is_private: Option<bool>,
    /// Icon image (multipart); JSON `null` goes back to the default.
    #[schema(format = Binary, nullable)]
    server_icon: Option<String>,
    /// Banner image (multipart); JSON `null` goes back to the default.
    #[schema(format = Binary, nullable)]
    banner_image: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct JoinRequest {
    /// An invite code, needed to join a private server.
    invite: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccountRequest {
    /// Account id.
    account: i64,
}

fn flag(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

fn id_param(name: &str, value: &Option<String>) -> Result<Option<i64>, ApiError> {
    value
        .as_deref()
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| ApiError::field(name, "A valid integer is required."))
        })
        .transpose()
}

fn signed_in(caller: &Option<Account>) -> Result<AccountId, ApiError> {
    caller
        .as_ref()
        .map(|a| a.id)
        .ok_or(ApiError::NotAuthenticated)
}

/// Servers, by id. No token needed; private servers are listed to their members only.
#[utoipa::path(
    get, path = "/api/servers/", tag = "servers", security((), ("jwt" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Vec<ServerView>),
        (status = 400, description = "A non-numeric id", body = FieldErrorsSchema),
        (status = 401, description = "`by_user` or `mutual_with` without a token, or an invalid token", body = AuthErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    QueryParams(params): QueryParams<ListQuery>,
) -> Result<Json<Vec<ServerView>>, ApiError> {
    let viewer = caller.as_ref().map(|a| a.id);
    let mut query = ServerQuery {
        viewer,
        category: params.category.as_deref().map(|c| c.trim().to_lowercase()),
        id: id_param("by_serverid", &params.by_serverid)?.map(ServerId),
        limit: params.qty.as_deref().and_then(|q| q.trim().parse().ok()),
        ..ServerQuery::default()
    };
    if flag(&params.by_user) {
        query.member = Some(signed_in(&caller)?);
    }
    if let Some(other) = id_param("mutual_with", &params.mutual_with)? {
        query.member = Some(signed_in(&caller)?);
        query.shared_with = Some(AccountId(other));
    }
    let servers = state.store.servers(&query).await?;
    Ok(Json(ServerView::list(
        &servers,
        &state,
        flag(&params.with_num_members),
    )))
}

/// The servers `account` belongs to, as `GET /api/account/my_servers/` lists them.
pub async fn servers_of(state: &AppState, account: AccountId) -> Result<Vec<ServerView>, ApiError> {
    let query = ServerQuery {
        viewer: Some(account),
        member: Some(account),
        ..ServerQuery::default()
    };
    let servers = state.store.servers(&query).await?;
    Ok(ServerView::list(&servers, state, false))
}

/// One server. No token needed for a public one; a private one only for its members.
#[utoipa::path(
    get, path = "/api/servers/{id}/", tag = "servers", security((), ("jwt" = [])),
    params(("id" = i64, Path), RetrieveQuery),
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
    PathParam(id): PathParam<i64>,
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

/// The fields of a create or update form, checked.
struct ServerForm {
    name: Option<ServerName>,
    description: Option<Option<Description>>,
    category: Option<CategoryId>,
    is_private: Option<bool>,
    icon: ImageChange,
    banner: ImageChange,
}

/// Reads a server form; `whole` when name and category are required (create, PUT).
async fn read_form(
    state: &AppState,
    mut input: Input,
    whole: bool,
) -> Result<ServerForm, ApiError> {
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let name = if whole {
        form.required("name", ServerName::parse)
    } else {
        form.optional("name", ServerName::parse)
    };
    let description = form.nullable("description", Description::parse);
    let is_private = form.boolean("is_private");
    let category = match form.integer("category", whole) {
        Some(id) if state.store.category(CategoryId(id)).await?.is_none() => {
            form.reject("category", missing(id));
            None
        }
        id => id.map(CategoryId),
    };
    let icon = media::image_field(state, &mut form, &mut files, "server_icon", Purpose::Icon).await;
    let banner = media::image_field(
        state,
        &mut form,
        &mut files,
        "banner_image",
        Purpose::Banner,
    )
    .await;
    media::refuse_other_files(&mut form, files, "`server_icon` and `banner_image`");
    form.check()?;
    Ok(ServerForm {
        name,
        description,
        category,
        is_private,
        icon,
        banner,
    })
}

/// Stores the form's new images under the server and answers the changes to record them.
async fn store_images(
    state: &AppState,
    id: ServerId,
    icon: ImageChange,
    banner: ImageChange,
) -> Result<ServerChanges, ApiError> {
    let owner = MediaOwner::Server(id);
    if !(icon.is_keep() && banner.is_keep()) {
        media::sweep_later(state, owner);
    }
    Ok(ServerChanges {
        icon: media::store_change(state, &owner.folder(), icon).await?,
        banner: media::store_change(state, &owner.folder(), banner).await?,
        ..ServerChanges::default()
    })
}

/// Create a server: the caller becomes its owner and first member, and it starts with a
/// `general` channel — all in one transaction.
#[utoipa::path(
    post, path = "/api/servers/", tag = "servers", security(("jwt" = [])),
    request_body(content(
        (ServerRequest = "application/json"),
        (ServerRequest = "application/x-www-form-urlencoded"),
        (ServerRequest = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = ServerView),
        (status = 400, description = "Invalid fields or images; unknown category", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    input: Input,
) -> Result<(StatusCode, Json<ServerView>), ApiError> {
    let form = read_form(&state, input, true).await?;
    let (Some(name), Some(category)) = (form.name, form.category) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a required server field was missing"
        )));
    };
    let new = NewServer {
        name,
        description: form.description.flatten(),
        owner: caller.id,
        category,
        is_private: form.is_private.unwrap_or(false),
    };
    let server = state.store.create_server(&new).await?;
    if form.icon.is_keep() && form.banner.is_keep() {
        return Ok((
            StatusCode::CREATED,
            Json(ServerView::new(&server, &state, false)),
        ));
    }
    // Images are filed under the server's id, so they are stored once it exists; if that
    // fails, the server goes too, and the client sees one failed request, nothing else.
    let with_images = async {
        let changes = store_images(&state, server.id, form.icon, form.banner).await?;
        state
            .store
            .update_server(server.id, &changes)
            .await?
            .ok_or(ApiError::NotFound)
    };
    match with_images.await {
        Ok(server) => Ok((
            StatusCode::CREATED,
            Json(ServerView::new(&server, &state, false)),
        )),
        Err(error) => {
            state.store.delete_server(server.id).await?;
            Err(error)
        }
    }
}

/// Replace a server's fields (owner only): `name` and `category` are required.
#[utoipa::path(
    put, path = "/api/servers/{id}/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path)),
    request_body(content(
        (ServerRequest = "application/json"),
        (ServerRequest = "application/x-www-form-urlencoded"),
        (ServerRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ServerView),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn replace(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(id): PathParam<i64>,
    input: Input,
) -> Result<Json<ServerView>, ApiError> {
    change(&state, &caller, ServerId(id), input, true).await
}

/// Change some of a server's fields (owner only).
#[utoipa::path(
    patch, path = "/api/servers/{id}/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path)),
    request_body(content(
        (ServerRequest = "application/json"),
        (ServerRequest = "application/x-www-form-urlencoded"),
        (ServerRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ServerView),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn update(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(id): PathParam<i64>,
    input: Input,
) -> Result<Json<ServerView>, ApiError> {
    change(&state, &caller, ServerId(id), input, false).await
}

async fn change(
    state: &AppState,
    caller: &Account,
    id: ServerId,
    input: Input,
    whole: bool,
) -> Result<Json<ServerView>, ApiError> {
    let access = access(state, id, Some(caller)).await?;
    allowed(manage_server(access.relation))?;
    let form = read_form(state, input, whole).await?;
    let changes = ServerChanges {
        name: form.name,
        description: form.description,
        category: form.category,
        is_private: form.is_private,
        ..store_images(state, id, form.icon, form.banner).await?
    };
    let server = state
        .store
        .update_server(id, &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(ServerView::new(&server, state, false)))
}

/// Delete a server (owner only), with its channels, members, bans and invites.
#[utoipa::path(
    delete, path = "/api/servers/{id}/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode, ApiError> {
    let id = ServerId(id);
    let access = access(&state, id, Some(&caller)).await?;
    allowed(manage_server(access.relation))?;
    if state.store.delete_server(id).await? {
        state.events.publish(Event::ServerDeleted { server: id });
        media::sweep_later(&state, MediaOwner::Server(id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Join a server: a public one freely, a private one with an `invite` code. Joining twice
/// is harmless; a banned account cannot join.
#[utoipa::path(
    post, path = "/api/servers/{id}/add_member/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path)),
    request_body(content(
        (JoinRequest = "application/json"),
        (JoinRequest = "application/x-www-form-urlencoded"),
        (JoinRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Status, example = json!({"status": "member added"})),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Banned, or a private server without a valid invite", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn add_member(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(id): PathParam<i64>,
    input: Input,
) -> Result<Json<Status>, ApiError> {
    let id = ServerId(id);
    let mut form = Fields::new(input);
    let invite = form.optional("invite", |code| Ok(code.to_owned()));
    form.check()?;
    let access = access(&state, id, Some(&caller)).await?;
    let by_invite = access.server.is_private && access.relation == Relation::Outsider;
    match invite {
        Some(code) if by_invite => join_with_invite(&state, id, &caller, &code).await?,
        _ => {
            allowed(join(access.server.is_private, access.relation, false))?;
            match state.store.join(id, caller.id).await? {
                Joined::Joined | Joined::AlreadyMember => {}
                Joined::Banned => return Err(banned()),
                Joined::NoSuchServer => return Err(ApiError::NotFound),
            }
        }
    }
    Ok(Json(Status {
        status: "member added",
    }))
}

fn banned() -> ApiError {
    ApiError::Forbidden("You are banned from this server.".into())
}

async fn join_with_invite(
    state: &AppState,
    id: ServerId,
    caller: &Account,
    code: &str,
) -> Result<(), ApiError> {
    let for_this_server = state
        .store
        .invite(code)
        .await?
        .is_some_and(|i| i.server == id);
    let accepted = if for_this_server {
        state.store.accept_invite(code, caller.id).await?
    } else {
        Accepted::Unusable
    };
    match accepted {
        Accepted::Joined(_) | Accepted::AlreadyMember(_) => Ok(()),
        Accepted::Banned => Err(banned()),
        Accepted::Unusable => Err(ApiError::Forbidden(
            "That invite is not valid for this server.".into(),
        )),
    }
}

/// Leave a server. Leaving one you are not in is harmless; the owner cannot leave.
#[utoipa::path(
    post, path = "/api/servers/{id}/remove_member/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = Status, example = json!({"status": "member removed"})),
        (status = 400, description = "The owner cannot leave", body = Detail),
        (status = 401, body = AuthErrorBody),
        (status = 404, body = Detail),
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(id): PathParam<i64>,
) -> Result<Json<Status>, ApiError> {
    let id = ServerId(id);
    let access = access(&state, id, Some(&caller)).await?;
    if access.relation == Relation::Owner {
        return Err(ApiError::BadRequest(
            "The owner cannot leave their own server; delete it or transfer its ownership first."
                .into(),
        ));
    }
    if state.store.leave(id, caller.id).await? {
        state.events.publish(Event::MemberRemoved {
            server: id,
            account: caller.id,
        });
    }
    Ok(Json(Status {
        status: "member removed",
    }))
}

/// Hand the server to another member (owner only).
#[utoipa::path(
    post, path = "/api/servers/{id}/transfer_ownership/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path)),
    request_body(content(
        (AccountRequest = "application/json"),
        (AccountRequest = "application/x-www-form-urlencoded"),
        (AccountRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ServerView),
        (status = 400, description = "Not a member, or already the owner", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn transfer_ownership(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(id): PathParam<i64>,
    input: Input,
) -> Result<Json<ServerView>, ApiError> {
    let id = ServerId(id);
    let access = access(&state, id, Some(&caller)).await?;
    allowed(manage_server(access.relation))?;
    let to = target_account(input)?;
    if to == caller.id {
        return Err(ApiError::field(
            "account",
            "That account already owns this server.",
        ));
    }
    if !state.store.transfer_ownership(id, to).await? {
        return Err(ApiError::field(
            "account",
            "That account is not a member of this server.",
        ));
    }
    let server = state.store.server(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(ServerView::new(&server, &state, false)))
}

/// The `account` field of a moderation or transfer request.
pub(super) fn target_account(input: Input) -> Result<AccountId, ApiError> {
    let mut form = Fields::new(input);
    let account = form.integer("account", true);
    let (account,) = form.finish((account,))?;
    Ok(AccountId(account))
}
