//! The Account object as clients see it, and the caller's own, which says a little more.

use crate::AppState;
use crate::media::{Urls, image_url};
use pingme_domain::Timestamp;
use pingme_domain::account::Account;
use pingme_media::defaults;
use serde::Serialize;
use utoipa::ToSchema;

/// A person's public profile. `owner` is the login name; `username` is the display name.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    /// Login name.
    pub owner: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Display name.
    pub username: String,
    #[schema(required = true)]
    pub location: Option<String>,
    pub content: String,
    /// Absolute URL of the avatar; the built-in default until one is uploaded.
    pub image_url: String,
}

impl AccountView {
    pub fn new(account: &Account, state: &AppState) -> Self {
        Self::with_image(
            account,
            image_url(state, account.image.as_deref(), defaults::AVATAR),
        )
    }

    /// With the avatar's URL made by `urls` (where no request's state is at hand).
    pub fn with_urls(account: &Account, urls: &Urls) -> Self {
        Self::with_image(
            account,
            urls.image(account.image.as_deref(), defaults::AVATAR),
        )
    }

    fn with_image(account: &Account, image_url: String) -> Self {
        Self {
            id: account.id.0,
            owner: account.login.clone(),
            created_at: account.created_at,
            updated_at: account.updated_at,
            username: account.display_name.clone(),
            location: account.location.clone(),
            content: account.content.clone(),
            image_url,
        }
    }
}

/// The caller's own Account object: the Account object and what only its owner is told.
#[derive(Serialize, ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub account: AccountView,
    /// Whether the account is staff (it may manage categories and accounts).
    pub is_staff: bool,
}

impl MeView {
    pub fn new(account: &Account, state: &AppState) -> Self {
        Self {
            account: AccountView::new(account, state),
            is_staff: account.is_staff,
        }
    }
}
