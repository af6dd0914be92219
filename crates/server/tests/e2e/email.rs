//! The e-mail flows end to end through a real SMTP conversation with a sink on a local port:
//! registration → mail → link → login; reset → mail → confirm → old tokens refused.

use crate::support::smtp::SmtpSink;
use crate::support::{Options, PASSWORD, TestApp, eventually, json_of, mail, spawn_app_with};
use base64::Engine;
use pingme_api::config::TokenLifetimes;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NEW_PASSWORD: &str = "new and different 77";

async fn app_with_sink(lifetimes: TokenLifetimes) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(Options {
        smtp: Some(sink.port),
        lifetimes,
        ..Options::default()
    })
    .await;
    (app, sink)
}

/// Registers `name` and verifies it through the link that arrived over SMTP.
async fn verified_over_smtp(app: &TestApp, sink: &SmtpSink, name: &str) -> String {
    let email = format!("{name}@example.com");
    json_of(
        app.register(name, &email, PASSWORD).await,
        StatusCode::CREATED,
    )
    .await;
    let message = sink.wait_for(&email).await;
    let link = mail::link_in(&message.data, "/api/account/verify_email/");
    assert_eq!(app.follow(&link).await.status(), StatusCode::FOUND);
    email
}

/// The uid and token of the reset link in the `n`th mail to `email`.
async fn reset_link(app: &TestApp, sink: &SmtpSink, email: &str, n: usize) -> (String, String) {
    let message = sink.wait_for_nth(email, n).await;
    let link = mail::link_in(&message.data, "/app/reset/");
    let rest = link
        .strip_prefix(&format!("{}/app/reset/", app.client_origin))
        .unwrap_or_else(|| panic!("reset link not at the client origin: {link}"));
    let (uid, token) = rest.split_once('/').expect("uid/token");
    (uid.to_owned(), token.trim_end_matches('/').to_owned())
}

fn confirm(uid: &str, token: &str, first: &str, second: &str) -> Value {
    json!({"uid": uid, "token": token, "new_password1": first, "new_password2": second})
}

#[tokio::test]
async fn registration_mail_arrives_over_smtp_and_its_link_activates_the_account() {
    let (app, sink) = app_with_sink(TokenLifetimes::default()).await;
    json_of(
        app.register("alice", "alice@example.com", PASSWORD).await,
        StatusCode::CREATED,
    )
    .await;
    let message = sink.wait_for("alice@example.com").await;
    assert_eq!(
        message.helo, "pingme.test",
        "the EHLO name comes from the configuration"
    );
    assert_eq!(message.from, "noreply@pingme.test");
    assert!(
        message
            .data
            .contains("Subject: Confirm your pingme account"),
        "{}",
        message.data
    );
    assert!(
        message.data.contains("text/plain") && message.data.contains("text/html"),
        "{}",
        message.data
    );
    assert_eq!(
        app.try_login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let link = mail::link_in(&message.data, "/api/account/verify_email/");
    assert!(
        link.starts_with(&app.url),
        "links use the public base URL: {link}"
    );
    assert_eq!(app.follow(&link).await.status(), StatusCode::FOUND);
    app.login("alice", PASSWORD).await;
}

#[tokio::test]
async fn password_reset_revokes_old_tokens_and_its_link_works_once() {
    let (app, sink) = app_with_sink(TokenLifetimes::default()).await;
    let email = verified_over_smtp(&app, &sink, "bob").await;
    let old = app.login("bob", PASSWORD).await;
    // A socket opened with the old tokens closes when they are revoked.
    let me = json_of(
        app.get_with("/api/account/me/", &old.access).await,
        StatusCode::OK,
    )
    .await;
    let bob = crate::support::User {
        id: me["id"].as_i64().unwrap(),
        access: old.access.clone(),
    };
    let (server, channel) = crate::support::community::room(&app, &bob, &[]).await;
    let mut socket = app.socket(server, channel, &bob).await;

    let body = json_of(
        app.post("/api/account/password_reset/", json!({"email": email}))
            .await,
        StatusCode::OK,
    )
    .await;
    let (uid, token) = reset_link(&app, &sink, &email, 1).await;

    let body_done = json_of(
        app.post(
            "/api/account/password_reset_confirm/",
            confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body_done,
        json!({"message": "Password has been reset successfully.", "redirect_url": format!("{}/login", app.client_origin)})
    );
    assert!(body["message"].is_string());
    assert_eq!(socket.closed().await.0, 4403, "signed out");

    let refused = json_of(
        app.get_with("/api/account/me/", &old.access).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(refused["code"], "token_not_valid");
    let refused = json_of(
        app.post("/api/token/refresh/", json!({"refresh": old.refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(refused["code"], "token_not_valid");
    assert_eq!(
        app.try_login("bob", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.login("bob", NEW_PASSWORD).await;
    assert_eq!(
        app.get_with("/api/account/me/", &fresh.access)
            .await
            .status(),
        StatusCode::OK
    );

    let reused = app
        .post(
            "/api/account/password_reset_confirm/",
            confirm(&uid, &token, "yet another one 88", "yet another one 88"),
        )
        .await;
    assert_eq!(
        json_of(reused, StatusCode::BAD_REQUEST).await,
        json!({"error": "Invalid or expired token."})
    );
    app.login("bob", NEW_PASSWORD).await;
}

#[tokio::test]
async fn password_reset_answers_alike_for_unknown_addresses_and_mails_nobody() {
    let (app, sink) = app_with_sink(TokenLifetimes::default()).await;
    let email = verified_over_smtp(&app, &sink, "carol").await;
    let unknown = json_of(
        app.post(
            "/api/account/password_reset/",
            json!({"email": "ghost@example.com"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let known = json_of(
        app.post("/api/account/password_reset/", json!({"email": email}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unknown, known);
    // One worker delivers the queue in order: once the later mail is in, the earlier would be.
    reset_link(&app, &sink, &email, 1).await;
    assert_eq!(sink.count_to("ghost@example.com"), 0);

    let body = json_of(
        app.post(
            "/api/account/password_reset/",
            json!({"email": "not an address"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"email": ["Enter a valid email address."]}));
}

#[tokio::test]
async fn password_reset_confirm_refuses_mismatches_weak_passwords_and_bad_links() {
    let (app, sink) = app_with_sink(TokenLifetimes::default()).await;
    let email = verified_over_smtp(&app, &sink, "dave").await;
    app.post("/api/account/password_reset/", json!({"email": email}))
        .await;
    let (uid, token) = reset_link(&app, &sink, &email, 1).await;
    let post = |body: Value| app.post("/api/account/password_reset_confirm/", body);

    let body = json_of(
        post(confirm(&uid, &token, NEW_PASSWORD, "something else 12")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"non_field_errors": ["Passwords do not match."]})
    );
    let body = json_of(
        post(confirm(&uid, &token, "dave@example", "dave@example")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"new_password2": ["The password is too similar to the email address."]})
    );
    let body = json_of(post(json!({})).await, StatusCode::BAD_REQUEST).await;
    for field in ["uid", "token", "new_password1", "new_password2"] {
        assert_eq!(
            body[field],
            json!(["This field is required."]),
            "{field}: {body}"
        );
    }
    for (bad_uid, bad_token) in [
        (uid.as_str(), "garbage"),
        ("Mg", token.as_str()),
        ("%%", token.as_str()),
    ] {
        let body = json_of(
            post(confirm(bad_uid, bad_token, NEW_PASSWORD, NEW_PASSWORD)).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(body, json!({"error": "Invalid or expired token."}));
    }
    // None of the refusals used the link up.
    json_of(
        post(confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD)).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let lifetimes = TokenLifetimes {
        password_reset: Duration::from_secs(1),
        ..TokenLifetimes::default()
    };
    let (app, sink) = app_with_sink(lifetimes).await;
    let email = verified_over_smtp(&app, &sink, "erin").await;
    app.post("/api/account/password_reset/", json!({"email": email}))
        .await;
    let (uid, token) = reset_link(&app, &sink, &email, 1).await;

    wait_past_expiry(&token).await;
    let body = json_of(
        app.post(
            "/api/account/password_reset_confirm/",
            confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"error": "Invalid or expired token."}));
    app.login("erin", PASSWORD).await;
}

#[tokio::test]
async fn an_expired_verification_link_is_refused() {
    let lifetimes = TokenLifetimes {
        verify_email: Duration::from_secs(1),
        ..TokenLifetimes::default()
    };
    let (app, sink) = app_with_sink(lifetimes).await;
    json_of(
        app.register("fay", "fay@example.com", PASSWORD).await,
        StatusCode::CREATED,
    )
    .await;
    let message = sink.wait_for("fay@example.com").await;
    let link = mail::link_in(&message.data, "/api/account/verify_email/");
    let token = link.split("token=").nth(1).expect("token parameter");
    wait_past_expiry(token).await;
    let response = app.follow(&link).await;
    assert_eq!(
        json_of(response, StatusCode::BAD_REQUEST).await,
        json!({"error": "Invalid or expired token."})
    );
    assert_eq!(
        app.try_login("fay", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Waits (polling the clock, bounded) until the `exp` claim of a signed token has passed.
async fn wait_past_expiry(token: &str) {
    let payload = token.split('.').nth(1).expect("signed token");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON claims");
    let expiry = claims["exp"].as_u64().expect("exp");
    eventually(Duration::from_secs(5), || async {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        (now > expiry).then_some(())
    })
    .await;
}
