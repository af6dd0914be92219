//! The caller's own account: read, edit, delete.

use super::MeView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::community::views::ServerView;
use crate::community::{MinePage, servers_of};
use crate::error::{ApiError, AuthErrorBody, FieldErrorsSchema};
use crate::extract::QueryParams;
use crate::fields::Fields;
use crate::input::Input;
use crate::media;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use pingme_domain::account::{Bio, DisplayName, Location, ProfileChanges};
use pingme_media::Purpose;
use utoipa::ToSchema;

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EditMeRequest {
    /// Display name: visible text (emoji included); no control, invisible or
    /// text-direction characters outside emoji sequences.
    #[schema(nullable = false, min_length = 1, max_length = 150)]
    username: Option<String>,
    /// `null` clears it.
    #[schema(max_length = 100)]
    location: Option<String>,
    #[schema(nullable = false, max_length = 1000)]
    content: Option<String>,
    /// A new avatar (multipart only): JPEG, PNG, GIF or WebP, at most 4 MiB. JSON `null`
    /// goes back to the default avatar.
    #[schema(format = Binary, nullable = false)]
    image: Option<String>,
}

/// The caller's Account object, with `is_staff`.
#[utoipa::path(
    get, path = "/api/account/me/", tag = "account", security(("jwt" = [])),
    responses(
        (status = 200, body = MeView),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn me(State(state): State<AppState>, AuthUser(account): AuthUser) -> Json<MeView> {
    Json(MeView::new(&account, &state))
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
        (status = 200, body = MeView),
        (status = 400, description = "Invalid fields or image", body = FieldErrorsSchema),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn edit_me(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    mut input: Input,
) -> Result<Json<MeView>, ApiError> {
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    let changes = ProfileChanges {
        display_name: form.optional("username", DisplayName::parse),
        location: form.nullable("location", Location::parse),
        content: form.optional("content", Bio::parse),
        image: None,
    };
    let image = media::image_field(&state, &mut form, &mut files, "image", Purpose::Icon).await;
    media::refuse_other_files(&mut form, files, "`image`");
    form.check()?;
    let updated = state.app.update_profile(account, changes, image).await?;
    // Deleted since its token was checked: answered as the token is from now on.
    let updated = updated.ok_or(ApiError::TokenNotValid("User not found"))?;
    Ok(Json(MeView::new(&updated, &state)))
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
    if !state.app.delete_account(account.id).await? {
        // Deleted by another request since its token was checked.
        return Err(ApiError::TokenNotValid("User not found"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The servers the caller is a member of, by id, a page at a time (as the listing's).
#[utoipa::path(
    get, path = "/api/account/my_servers/", tag = "account", security(("jwt" = [])),
    params(MinePage),
    responses(
        (status = 200, body = Vec<ServerView>, headers(
            ("Link" = String, description = "`<…?after=<last id>>; rel=\"next\"` when more servers follow"),
        )),
        (status = 400, description = "A non-numeric `after` or a `limit` below 1", body = FieldErrorsSchema),
        (status = 401, description = "No, or an invalid, access token", body = AuthErrorBody),
    )
)]
pub(super) async fn my_servers(
    State(state): State<AppState>,
    AuthUser(account): AuthUser,
    uri: Uri,
    QueryParams(page): QueryParams<MinePage>,
) -> Result<Response, ApiError> {
    servers_of(&state, account.id, &uri, &page).await
}
