//! Registration and e-mail verification.

use super::{Message, emails};
use crate::AppState;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, Detail, FieldErrorsSchema, LinkErrorBody, NON_FIELD};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use pingme_app::passwords;
use pingme_domain::account::{Account, Email, NewAccount, Username};
use pingme_domain::password::{PersonalDetails, problems};
use serde::Deserialize;
use std::net::IpAddr;
use utoipa::{IntoParams, ToSchema};

const REGISTERED: &str = "Registration successful. Check your email.";
const RESENT: &str =
    "If an unverified account uses this address, a new verification link has been sent to it.";

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RegisterRequest {
    /// Login name: letters, digits and `@ . + - _`, at most 150 characters once
    /// normalised (NFKC); no invisible, control or text-direction characters; not a
    /// look-alike of an existing name.
    #[schema(min_length = 1, max_length = 150)]
    username: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// The e-mail address again.
    #[schema(format = Email, max_length = 254)]
    email2: String,
    /// At least 8 and at most 4096 characters, not entirely numeric, not a common
    /// password, not too similar to the username or e-mail address.
    #[schema(min_length = 8, max_length = 4096)]
    password: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EmailRequest {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

/// Create an account; it stays inactive until the e-mailed link is followed.
#[utoipa::path(
    post, path = "/api/account/register/", tag = "account", security(()),
    request_body(content(
        (RegisterRequest = "application/json"),
        (RegisterRequest = "application/x-www-form-urlencoded"),
        (RegisterRequest = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = Message),
        (status = 400, description = "Invalid fields, e-mails that differ, or a name or e-mail in use", body = FieldErrorsSchema),
        (status = 429, description = "Too many registrations from this address", body = Detail),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    input: Input,
) -> Result<impl IntoResponse, ApiError> {
    let mut form = Fields::new(input);
    let login = form.required("username", Username::parse);
    let email = form.required("email", Email::parse);
    let email2 = form.required("email2", |s| Ok(s.to_owned()));
    let password = form.password("password");
    if let Some(password) = &password {
        let who = PersonalDetails {
            username: form.peek("username").unwrap_or_default().trim(),
            email: form.peek("email").unwrap_or_default().trim(),
        };
        for problem in problems(password, &who) {
            form.reject("password", problem);
        }
    }
    let (login, email, email2, password) = form.finish((login, email, email2, password))?;
    if Email::parse(&email2).ok().as_ref() != Some(&email) {
        return Err(ApiError::field(NON_FIELD, "Emails must match."));
    }
    // From here on the answer depends on who exists, so it is counted: the limit also keeps
    // registration from serving as an oracle for taken names and addresses.
    state.limits.mail(ip)?;
    let password_hash = passwords::hash(password).await?;
    let new = NewAccount {
        login,
        email,
        password_hash,
        is_staff: false,
        verified: false,
    };
    // The database's unique rules decide "name taken" and "e-mail registered", also
    // between registrations racing each other (mapped in `ApiError::from`).
    let account = state.app.create_account(&new).await?;
    send_verification(&state, &account)?;
    Ok((StatusCode::CREATED, Message::new(REGISTERED)))
}

pub(super) fn send_verification(state: &AppState, account: &Account) -> Result<(), ApiError> {
    if !state.limits.mail_to(account.id) {
        tracing::warn!(account = %account.id, "verification e-mail not sent: recipient rate limit");
        return Ok(());
    }
    let (uid, token) = state.tokens.verification_link(account)?;
    let link = format!(
        "{}/api/account/verify_email/?uid={uid}&token={token}",
        state.config.public_url
    );
    state.mailer.send(emails::verification(account, link));
    Ok(())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LinkQuery {
    /// The account, as in the e-mailed link.
    uid: Option<String>,
    /// The signed token, as in the e-mailed link.
    token: Option<String>,
}

/// Follow the e-mailed verification link: activates the account and redirects to the client.
#[utoipa::path(
    get, path = "/api/account/verify_email/", tag = "account", security(()),
    params(LinkQuery),
    responses(
        (status = 302, description = "Verified; redirects to the client's login page", headers(("Location" = String))),
        (status = 400, description = "Missing, invalid or expired link", body = LinkErrorBody),
    )
)]
pub(super) async fn verify_email(
    State(state): State<AppState>,
    query: Result<Query<LinkQuery>, QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Ok(Query(LinkQuery {
        uid: Some(uid),
        token: Some(token),
    })) = query
    else {
        return Err(ApiError::BadLink);
    };
    let id = state
        .tokens
        .check_verification_link(&uid, &token)
        .ok_or(ApiError::BadLink)?;
    if !state.app.mark_verified(id).await? {
        return Err(ApiError::BadLink);
    }
    let login_page = format!("{}/login", state.config.client_origin);
    Ok((StatusCode::FOUND, [(header::LOCATION, login_page)]))
}

/// Send the verification link again. The answer is the same whether or not the address is
/// known, so it cannot be used to find out who has an account.
#[utoipa::path(
    post, path = "/api/account/resend_verification/", tag = "account", security(()),
    request_body(content(
        (EmailRequest = "application/json"),
        (EmailRequest = "application/x-www-form-urlencoded"),
        (EmailRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Message),
        (status = 400, description = "Missing or invalid e-mail", body = FieldErrorsSchema),
        (status = 429, description = "Too many e-mails requested from this address", body = Detail),
    )
)]
pub(super) async fn resend_verification(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    input: Input,
) -> Result<Json<Message>, ApiError> {
    let account = account_to_mail(&state, ip, input).await?;
    if let Some(account) = account.filter(|a| !a.verified && a.is_active) {
        send_verification(&state, &account)?;
    }
    Ok(Message::new(RESENT))
}

/// The account named by the `email` field of a request that asks for a link to be mailed,
/// once the client's e-mail rate limit allows it. Whether a mail then goes out is for the
/// caller to decide; the answer to the client must not depend on it.
pub(super) async fn account_to_mail(
    state: &AppState,
    ip: IpAddr,
    input: Input,
) -> Result<Option<Account>, ApiError> {
    let mut form = Fields::new(input);
    let email = form.required("email", Email::parse);
    let (email,) = form.finish((email,))?;
    state.limits.mail(ip)?;
    Ok(state.store.account_by_email(&email).await?)
}
