//! The caller's own account: read, edit, delete.

use super::AccountView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, FieldErrorsSchema};
use crate::fields::Fields;
use crate::input::Input;
use crate::media;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::account::{Account, Bio, DisplayName, Location, ProfileChanges};
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
    // With several parts of one name the last counts, as in Django.
    let upload = input.files.drain(..).filter(|f| f.field == "image").last();
    let mut form = Fields::new(input);
    let mut changes = ProfileChanges {
        display_name: form.optional("username", DisplayName::parse),
        location: form.nullable("location", Location::parse),
        content: form.optional("content", Bio::parse),
        image: image_cleared(&mut form),
    };
    let image = match upload {
        Some(upload) => match media::process_upload(&state, upload, Purpose::Icon).await? {
            Ok(image) => Some(image),
            Err(refusal) => {
                form.reject("image", refusal);
                None
            }
        },
        None => None,
    };
    form.check()?;
    if let Some(image) = image {
        let key = media::store(&state, &format!("avatars/{}", account.id), image).await?;
        changes.image = Some(Some(key));
    }
    let updated = apply(&state, &account, &changes).await?;
    Ok(Json(AccountView::new(&updated, &state)))
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

/// Writes the changes, then lets go of the avatar they replaced. If the write fails, the
/// avatar just stored for it is let go instead.
async fn apply(
    state: &AppState,
    account: &Account,
    changes: &ProfileChanges,
) -> Result<Account, ApiError> {
    if changes.is_empty() {
        return Ok(account.clone());
    }
    let new_image = changes.image.clone().flatten();
    let unused = |key: &Option<String>| {
        key.as_ref()
            .filter(|k| account.image.as_ref() != Some(*k))
            .cloned()
    };
    let updated = match state.store.update_profile(account.id, changes).await {
        Ok(Some(updated)) => updated,
        failed => {
            if let Some(key) = unused(&new_image) {
                media::discard(state, &key).await;
            }
            return failed?.ok_or(ApiError::NotFound);
        }
    };
    if let Some(old) = account
        .image
        .as_ref()
        .filter(|old| updated.image.as_ref() != Some(*old))
    {
        media::discard(state, old).await;
    }
    Ok(updated)
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
    if let Some(avatar) = &account.image {
        media::discard(&state, avatar).await;
    }
    Ok(StatusCode::NO_CONTENT)
}
