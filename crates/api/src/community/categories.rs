//! `/api/categories/`: anyone reads them; staff manage them.

use super::allowed;
use super::views::CategoryView;
use crate::AppState;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use crate::media::{self, ImageChange, MediaOwner};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::CategoryId;
use pingme_domain::account::Account;
use pingme_domain::community::{CategoryChanges, CategoryName, Description, NewCategory};
use pingme_domain::permissions::manage_categories;
use pingme_domain::store::CategoryDeletion;
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

fn staff_only(account: &Account) -> Result<(), ApiError> {
    allowed(manage_categories(Some(account.is_staff)))
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
    staff_only(&caller)?;
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let name = form.required("name", CategoryName::parse);
    let description = form.nullable("description", Description::parse).flatten();
    let icon = media::image_field(&state, &mut form, &mut files, "icon", Purpose::Icon).await;
    media::refuse_other_files(&mut form, files, "`icon`");
    let (name,) = form.finish((name,))?;
    let category = state
        .store
        .create_category(&NewCategory { name, description })
        .await?;
    if icon.is_keep() {
        return Ok((
            StatusCode::CREATED,
            Json(CategoryView::new(&category, &state)),
        ));
    }
    // The icon is stored once the category has an id to file it under; if that fails, the
    // category goes too, so a retry does not find its name taken. Run apart from the
    // request, so a client that hangs up cannot leave it half-made.
    let task = state.clone();
    let finished = tokio::spawn(async move {
        let attached = async {
            let changes = CategoryChanges {
                icon: store_icon(&task, category.id, icon).await?,
                ..CategoryChanges::default()
            };
            task.store
                .update_category(category.id, &changes)
                .await?
                .ok_or(ApiError::NotFound)
        };
        match attached.await {
            Ok(category) => Ok(category),
            Err(error) => {
                if let Err(cleanup) = task.store.delete_category(category.id).await {
                    tracing::error!(category = %category.id, error = %cleanup, "could not remove a half-made category");
                }
                Err(error)
            }
        }
    });
    let category = finished.await.map_err(ApiError::internal)??;
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
    staff_only(&caller)?;
    let id = CategoryId(id);
    state.store.category(id).await?.ok_or(ApiError::NotFound)?;
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let name = form.optional("name", CategoryName::parse);
    let description = form.nullable("description", Description::parse);
    let icon = media::image_field(&state, &mut form, &mut files, "icon", Purpose::Icon).await;
    media::refuse_other_files(&mut form, files, "`icon`");
    form.check()?;
    let changes = CategoryChanges {
        name,
        description,
        icon: store_icon(&state, id, icon).await?,
    };
    let category = state
        .store
        .update_category(id, &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
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
    staff_only(&caller)?;
    match state.store.delete_category(CategoryId(id)).await? {
        CategoryDeletion::Deleted => {
            media::sweep_later(&state, MediaOwner::Category(CategoryId(id)));
            Ok(StatusCode::NO_CONTENT)
        }
        CategoryDeletion::NotFound => Err(ApiError::NotFound),
        CategoryDeletion::InUse(servers) => Err(ApiError::Conflict(format!(
            "This category is used by {servers} server(s); move or delete them first."
        ))),
    }
}

async fn store_icon(
    state: &AppState,
    id: CategoryId,
    icon: ImageChange,
) -> Result<Option<Option<String>>, ApiError> {
    let owner = MediaOwner::Category(id);
    if !icon.is_keep() {
        media::sweep_later(state, owner);
    }
    media::store_change(state, &owner.folder(), icon).await
}
