//! The caller's own account: read, edit, delete.

use super::AccountView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, FieldErrorsSchema};
use crate::fields::Fields;
use crate::input::{Input, Upload};
use crate::media;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::account::{Bio, DisplayName, Location, ProfileChanges};
use pingme_media::Purpose;
use utoipa::ToSchema;

/// DRF's words for a text value where a file was expected.
const NOT_A_FILE: &str = "The submitted data was not a file. Check the encoding type on the form.";

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EditMeRequest {
    /// Display name.
    username: Option<String>,
    location: Option<String>,
    content: Option<String>,
    /// A new avatar (multipart only): JPEG, PNG, GIF or WebP, at most 4 MiB. JSON `null`
    /// goes back to the default avatar.
    #[schema(format = Binary, nullable)]
    image: Option<String>,
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
    Json(AccountView::new(&account, &state))
}

/// Change the display name (`username`), `location` (`null` clears it), `content`, or the
/// avatar (`image`, a file part).
#[utoipa::path(
    patch, path = "/api/account/edit_me/", tag = "account", security(("jwt" = [])),
    request_body(content(
        (EditMeRequest = "application/json"),
        (EditMeRequest = "application/x-www-form-urlencoded"),
        (EditMeRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = AccountView),
        (status = 400, description = "Invalid fields or image", body = FieldErrorsSchema),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn edit_me(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    mut input: Input,
) -> Result<Json<AccountView>, ApiError> {
    let files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let mut changes = ProfileChanges {
        display_name: form.optional("username", DisplayName::parse),
        location: form.nullable("location", Location::parse),
        content: form.optional("content", Bio::parse),
        image: image_cleared(&mut form),
    };
    let image = match the_image(&mut form, files) {
        Some(upload) => media::process_upload(&state, upload, Purpose::Icon)
            .await
            .map_err(|refusal| form.reject("image", refusal))
            .ok(),
        None => None,
    };
    form.check()?;
    if image.is_some() || changes.image.is_some() {
        media::sweep_avatars_later(&state, account.id);
    }
    if let Some(image) = image {
        let key = media::store(&state, &format!("avatars/{}", account.id), image).await?;
        changes.image = Some(Some(key));
    }
    let updated = if changes.is_empty() {
        account
    } else {
        let updated = state.store.update_profile(account.id, &changes).await?;
        updated.ok_or(ApiError::NotFound)?
    };
    Ok(Json(AccountView::new(&updated, &state)))
}

/// The `image` file part; with several, the last counts, as in Django. A file under any
/// other name is refused rather than dropped without a word.
fn the_image(form: &mut Fields, files: Vec<Upload>) -> Option<Upload> {
    let mut image = None;
    for file in files {
        if file.field == "image" {
            image = Some(file);
        } else {
            form.reject(&file.field, "Unexpected file: only `image` takes one here.");
        }
    }
    image
}

/// `"image": null` asks for the default avatar back; an empty text value changes nothing;
/// any other text where a file belongs is refused.
fn image_cleared(form: &mut Fields) -> Option<Option<String>> {
    match form.nullable("image", |text| Ok(text.to_owned())) {
        Some(None) => Some(None),
        Some(Some(text)) if !text.is_empty() => {
            form.reject("image", NOT_A_FILE);
            None
        }
        _ => None,
    }
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
    media::sweep_avatars_later(&state, account.id);
    Ok(StatusCode::NO_CONTENT)
}
