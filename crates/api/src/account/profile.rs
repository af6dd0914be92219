//! The caller's own account: read, edit, delete.

use super::AccountView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, FieldErrorsSchema};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::account::{Bio, DisplayName, Location, ProfileChanges};
use utoipa::ToSchema;

/// Until the media pipeline exists, an uploaded file is refused rather than dropped.
const UPLOADS_DISABLED: &str =
    "Upload a valid image. File uploads are not enabled on this server yet.";

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EditMeRequest {
    /// Display name.
    username: Option<String>,
    location: Option<String>,
    content: Option<String>,
}

/// The caller's Account object.
#[utoipa::path(
    get, path = "/api/account/me/", tag = "account", security(("jwt" = [])),
    responses(
        (status = 200, body = AccountView),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn me(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
) -> Json<AccountView> {
    Json(AccountView::new(&account, &state.config))
}

/// Change the display name (`username`), `location` (`null` clears it) or `content`.
#[utoipa::path(
    patch, path = "/api/account/edit_me/", tag = "account", security(("jwt" = [])),
    request_body(content(
        (EditMeRequest = "application/json"),
        (EditMeRequest = "application/x-www-form-urlencoded"),
        (EditMeRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = AccountView),
        (status = 400, description = "Invalid fields", body = FieldErrorsSchema),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn edit_me(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    input: Input,
) -> Result<Json<AccountView>, ApiError> {
    let files: Vec<String> = input.files.iter().map(|f| f.field.clone()).collect();
    let mut form = Fields::new(input);
    for field in files {
        form.reject(&field, UPLOADS_DISABLED);
    }
    if form.has("image") {
        form.reject(
            "image",
            "The submitted data was not a file. Check the encoding type on the form.",
        );
    }
    let changes = ProfileChanges {
        display_name: form.optional("username", DisplayName::parse),
        location: form.nullable("location", Location::parse),
        content: form.optional("content", Bio::parse),
    };
    form.check()?;
    let account = if changes.is_empty() {
        account
    } else {
        state
            .store
            .update_profile(account.id, &changes)
            .await?
            .ok_or(ApiError::NotFound)?
    };
    Ok(Json(AccountView::new(&account, &state.config)))
}

/// Delete the caller's account. Its tokens stop working at once.
#[utoipa::path(
    delete, path = "/api/account/delete_me/", tag = "account", security(("jwt" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn delete_me(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
) -> Result<StatusCode, ApiError> {
    state.store.delete_account(account.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
