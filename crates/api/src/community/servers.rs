//! Creating, changing and deleting servers.

use super::missing;
use super::views::ServerView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use crate::media::{self, ImageChange};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_app::community::ServerImages;
use pingme_domain::account::Account;
use pingme_domain::community::{Description, NewServer, ServerChanges, ServerName};
use pingme_domain::{CategoryId, ServerId};
use pingme_media::Purpose;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(replace, update, delete))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ServerRequest {
    /// At most 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Category id.
    category: i64,
    /// At most 255 characters; `null` clears it.
    #[schema(max_length = 255)]
    description: Option<String>,
    /// Default `false`; multipart sends `"true"`/`"false"`.
    #[schema(nullable = false)]
    is_private: Option<bool>,
    /// Icon image: JPEG, PNG, GIF or WebP (multipart); JSON `null` goes back to the default.
    #[schema(format = Binary, nullable = false)]
    server_icon: Option<String>,
    /// Banner image (multipart); JSON `null` goes back to the default.
    #[schema(format = Binary, nullable = false)]
    banner_image: Option<String>,
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
    // A whole form has both, or `read_form` refused it.
    let (name, category) = form
        .name
        .zip(form.category)
        .ok_or(ApiError::field("name", "This field is required."))?;
    let new = NewServer {
        name,
        description: form.description.flatten(),
        owner: caller.id,
        category,
        is_private: form.is_private.unwrap_or(false),
    };
    let images = ServerImages {
        icon: form.icon,
        banner: form.banner,
    };
    let server = state.app.create_server(new, images).await?;
    Ok((
        StatusCode::CREATED,
        Json(ServerView::new(&server, &state, false)),
    ))
}

/// Replace a server's fields (owner only): `name` and `category` are required.
#[utoipa::path(
    put, path = "/api/servers/{id}/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
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
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<ServerView>, ApiError> {
    change(&state, &caller, ServerId(id), input, true).await
}

/// Change some of a server's fields (owner only).
#[utoipa::path(
    patch, path = "/api/servers/{id}/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
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
    PathParam(Id(id)): PathParam<Id>,
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
    let owned = state.app.owned_server(caller, id).await?;
    let form = read_form(state, input, whole).await?;
    let changes = ServerChanges {
        name: form.name,
        description: form.description,
        category: form.category,
        is_private: form.is_private,
        ..ServerChanges::default()
    };
    let images = ServerImages {
        icon: form.icon,
        banner: form.banner,
    };
    let server = state.app.update_server(owned, changes, images).await?;
    Ok(Json(ServerView::new(&server, state, false)))
}

/// Delete a server (owner only), with its channels, members, bans and invites.
#[utoipa::path(
    delete, path = "/api/servers/{id}/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
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
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    state.app.delete_server(owned).await?;
    Ok(StatusCode::NO_CONTENT)
}
