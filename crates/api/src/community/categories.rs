//! `/api/categories/`: anyone reads them; staff manage them.

use super::views::CategoryView;
use crate::AppState;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use crate::media;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_app::Actor;
use pingme_app::access::CategoryAdmin;
use pingme_domain::CategoryId;
use pingme_domain::account::Account;
use pingme_domain::community::{CategoryChanges, CategoryName, Description, NewCategory};
use pingme_media::Purpose;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, delete))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CategoryRequest {
    /// Stored lowercase; unique; at most 50 characters.
    #[schema(min_length = 1, max_length = 50)]
    name: String,
    /// At most 255 characters; `null` clears it.
    #[schema(max_length = 255)]
    description: Option<String>,
    /// An icon image (multipart); JSON `null` goes back to the default.
    #[schema(format = Binary, nullable = false)]
    icon: Option<String>,
}

fn staff_only(state: &AppState, account: &Account) -> Result<CategoryAdmin, ApiError> {
    Ok(state.app.category_admin(Actor::Account(account))?)
}

/// Every category, by name. No token needed.
#[utoipa::path(
    get, path = "/api/categories/", tag = "categories", security((), ("jwt" = [])),
    responses((status = 200, body = Vec<CategoryView>), (status = 401, description = "An invalid token", body = AuthErrorBody))
)]
async fn list(
    State(state): State<AppState>,
    _caller: MaybeAuthUser,
) -> Result<Json<Vec<CategoryView>>, ApiError> {
    let categories = state.store.categories().await?;
    Ok(Json(
        categories
            .iter()
            .map(|c| CategoryView::new(c, &state))
            .collect(),
    ))
}

/// One category. No token needed.
#[utoipa::path(
    get, path = "/api/categories/{id}/", tag = "categories", security((), ("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = CategoryView),
        (status = 401, description = "An invalid token", body = AuthErrorBody),
        (status = 404, body = Detail),
    )
)]
async fn retrieve(
    State(state): State<AppState>,
    _caller: MaybeAuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<CategoryView>, ApiError> {
    let category = state
        .store
        .category(CategoryId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(CategoryView::new(&category, &state)))
}

/// Create a category (staff).
#[utoipa::path(
    post, path = "/api/categories/", tag = "categories", security(("jwt" = [])),
    request_body(content(
        (CategoryRequest = "application/json"),
        (CategoryRequest = "application/x-www-form-urlencoded"),
        (CategoryRequest = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = CategoryView),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not staff", body = Detail),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    mut input: Input,
) -> Result<(StatusCode, Json<CategoryView>), ApiError> {
    let admin = staff_only(&state, &caller)?;
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let name = form.required("name", CategoryName::parse);
    let description = form.nullable("description", Description::parse).flatten();
    let icon = media::image_field(&state, &mut form, &mut files, "icon", Purpose::Icon).await;
    media::refuse_other_files(&mut form, files, "`icon`");
    let (name,) = form.finish((name,))?;
    let new = NewCategory { name, description };
    let category = state.app.create_category(&admin, new, icon).await?;
    Ok((
        StatusCode::CREATED,
        Json(CategoryView::new(&category, &state)),
    ))
}

/// Change a category's name, description or icon (staff).
#[utoipa::path(
    patch, path = "/api/categories/{id}/", tag = "categories", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (CategoryRequest = "application/json"),
        (CategoryRequest = "application/x-www-form-urlencoded"),
        (CategoryRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = CategoryView),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not staff", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn update(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    mut input: Input,
) -> Result<Json<CategoryView>, ApiError> {
    let admin = staff_only(&state, &caller)?;
    let id = CategoryId(id);
    state.store.category(id).await?.ok_or(ApiError::NotFound)?;
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let changes = CategoryChanges {
        name: form.optional("name", CategoryName::parse),
        description: form.nullable("description", Description::parse),
        icon: None,
    };
    let icon = media::image_field(&state, &mut form, &mut files, "icon", Purpose::Icon).await;
    media::refuse_other_files(&mut form, files, "`icon`");
    form.check()?;
    let category = state.app.update_category(&admin, id, changes, icon).await?;
    Ok(Json(CategoryView::new(&category, &state)))
}

/// Delete a category nobody uses (staff).
#[utoipa::path(
    delete, path = "/api/categories/{id}/", tag = "categories", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not staff", body = Detail),
        (status = 404, body = Detail),
        (status = 409, description = "Servers still use it", body = Detail),
    )
)]
async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    let admin = staff_only(&state, &caller)?;
    state.app.delete_category(&admin, CategoryId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
