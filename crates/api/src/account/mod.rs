//! `/api/account/...`: registration and e-mail verification, password reset, and the
//! caller's own profile; `/api/accounts/<id>/`: other people's.

mod emails;
mod people;
mod profile;
mod recovery;
mod register;
mod view;

pub use view::{AccountView, MeView};

use crate::AppState;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register::register))
        .routes(routes!(register::verify_email))
        .routes(routes!(register::resend_verification))
        .routes(routes!(recovery::password_reset))
        .routes(routes!(recovery::password_reset_confirm))
        .routes(routes!(profile::me))
        .routes(routes!(profile::edit_me))
        .routes(routes!(profile::delete_me))
        .routes(routes!(profile::my_servers))
        .routes(routes!(people::account))
}

/// `{"message": "..."}`
#[derive(Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

impl Message {
    fn new(text: &str) -> axum::Json<Self> {
        axum::Json(Self {
            message: text.to_owned(),
        })
    }
}
