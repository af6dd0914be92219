//! Password reset by e-mail: ask for a link, then set a new password with it. A link works
//! once — setting the password raises the account's token version, which the link carries —
//! and setting it revokes every token issued before.

use super::register::account_to_mail;
use super::{Message, emails};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, Detail, FieldErrorsSchema, FieldOrLinkError, NON_FIELD};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use pingme_domain::password::{PersonalDetails, problems};
use serde::Serialize;
use utoipa::ToSchema;

const RESET_SENT: &str =
    "If an account uses this address, a password reset link has been sent to it.";

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ResetConfirmRequest {
    uid: String,
    token: String,
    #[schema(min_length = 8, max_length = 4096)]
    new_password1: String,
    #[schema(min_length = 8, max_length = 4096)]
    new_password2: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResetDone {
    message: String,
    /// The client's login page.
    redirect_url: String,
}

/// Mail a password-reset link. The answer is the same whether or not the address is known.
#[utoipa::path(
    post, path = "/api/account/password_reset/", tag = "account", security(()),
    request_body(content(
        (super::register::EmailRequest = "application/json"),
        (super::register::EmailRequest = "application/x-www-form-urlencoded"),
        (super::register::EmailRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Message),
        (status = 400, description = "Missing or invalid e-mail", body = FieldErrorsSchema),
        (status = 429, description = "Too many e-mails requested from this address", body = Detail),
    )
)]
pub(super) async fn password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    input: Input,
) -> Result<Json<Message>, ApiError> {
    let account = account_to_mail(&state, ip, input).await?;
    let recipient = account.filter(|a| a.can_authenticate() && state.limits.mail_to(a.id));
    if let Some(account) = recipient {
        let (uid, token) = state.tokens.reset_link(&account)?;
        let link = format!("{}/app/reset/{uid}/{token}", state.config.client_origin);
        state.mailer.send(emails::password_reset(&account, link));
    }
    Ok(Message::new(RESET_SENT))
}

/// Set a new password with the `uid` and `token` of a reset link.
#[utoipa::path(
    post, path = "/api/account/password_reset_confirm/", tag = "account", security(()),
    request_body(content(
        (ResetConfirmRequest = "application/json"),
        (ResetConfirmRequest = "application/x-www-form-urlencoded"),
        (ResetConfirmRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ResetDone),
        (status = 400, description = "Missing fields, passwords that differ or break the rules (field errors), \
            or an invalid, expired or used link (`{\"error\": ...}`)", body = FieldOrLinkError),
    )
)]
pub(super) async fn password_reset_confirm(
    State(state): State<AppState>,
    input: Input,
) -> Result<Json<ResetDone>, ApiError> {
    let mut form = Fields::new(input);
    let uid = form.required("uid", |s| Ok(s.to_owned()));
    let token = form.required("token", |s| Ok(s.to_owned()));
    let first = form.password("new_password1");
    let second = form.password("new_password2");
    let (uid, token, first, second) = form.finish((uid, token, first, second))?;

    let (id, version) = state
        .tokens
        .check_reset_link(&uid, &token)
        .ok_or(ApiError::BadLink)?;
    let account = state.store.account(id).await?;
    let account = account
        .filter(|a| a.token_version == version && a.can_authenticate())
        .ok_or(ApiError::BadLink)?;
    if first != second {
        return Err(ApiError::field(NON_FIELD, "Passwords do not match."));
    }
    let mut form = Fields::new(Input::default());
    for problem in problems(
        &second,
        &PersonalDetails {
            username: &account.login,
            email: &account.email,
        },
    ) {
        form.reject("new_password2", problem);
    }
    form.check()?;

    if !state.app.reset_password(id, second, version).await? {
        return Err(ApiError::BadLink);
    }
    Ok(Json(ResetDone {
        message: "Password has been reset successfully.".into(),
        redirect_url: format!("{}/login", state.config.client_origin),
    }))
}
