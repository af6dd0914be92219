//! Login and display names that could pass for somebody else's (issue 12), passwords of
//! megabytes, and form text that is not UTF-8.

use crate::support::{PASSWORD, TestApp, User, json_of, spawn_app};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const HIDDEN: &str = "Usernames may not contain invisible, control or text-direction characters.";
const TOO_LONG: &str = "Ensure this field has no more than 4096 characters.";

/// Registers `username` with an e-mail address of its own; the answer's status and body.
async fn register(app: &TestApp, username: &str, n: usize) -> (StatusCode, Value) {
    let response = app
        .register(username, &format!("person{n}@example.com"), PASSWORD)
        .await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn look_alike_and_invisible_login_names_are_refused_with_the_reason() {
    let app = spawn_app().await;
    assert_eq!(register(&app, "admin", 0).await.0, StatusCode::CREATED);
    let refused = [
        ("ａｄｍｉｎ", "A user with that username already exists."),
        ("аdmin", "A user with a similar username already exists."),
        ("ADMlN", "A user with a similar username already exists."),
        ("\u{3164}", HIDDEN),
        ("\u{115F}\u{3164}", HIDDEN),
        ("ad\u{202E}nim", HIDDEN),
        ("ad\u{200B}min", HIDDEN),
    ];
    for (n, (username, sentence)) in refused.into_iter().enumerate() {
        assert_eq!(
            register(&app, username, n + 1).await,
            (StatusCode::BAD_REQUEST, json!({"username": [sentence]})),
            "{}",
            username.escape_unicode()
        );
    }
    // A name that merely shares letters is fine.
    assert_eq!(register(&app, "adrian", 99).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_fullwidth_login_name_logs_into_the_account_it_normalises_to() {
    let app = spawn_app().await;
    let admin = app.quick_user("admin", false).await;
    let tokens = app.login("ａｄｍｉｎ", PASSWORD).await;
    let me = json_of(
        app.get_with("/api/account/me/", &tokens.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (me["id"].as_i64(), &me["owner"]),
        (Some(admin.id), &json!("admin"))
    );
}

async fn edit_display_name(app: &TestApp, user: &User, name: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .patch(app.at("/api/account/edit_me/"))
        .bearer_auth(&user.access)
        .json(&json!({"username": name}))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn display_names_refuse_hidden_characters_but_keep_emoji() {
    let app = spawn_app().await;
    let user = app.quick_user("zoe", false).await;
    let hidden = "Names may not contain invisible, control or text-direction characters.";
    for (name, sentence) in [
        ("Bob\u{202E}", hidden),
        ("a\u{200B}b", hidden),
        ("\u{3164}", "This field may not be blank."),
        ("\u{2800}\u{3000}", "This field may not be blank."),
    ] {
        assert_eq!(
            edit_display_name(&app, &user, name).await,
            (StatusCode::BAD_REQUEST, json!({"username": [sentence]})),
            "{}",
            name.escape_unicode()
        );
    }
    for name in ["👨\u{200D}👩\u{200D}👧", "Zoë 🏳\u{FE0F}\u{200D}🌈"] {
        let (status, body) = edit_display_name(&app, &user, name).await;
        assert_eq!((status, &body["username"]), (StatusCode::OK, &json!(name)));
    }
}

#[tokio::test]
async fn passwords_over_4096_characters_are_refused_before_any_hashing() {
    let app = spawn_app().await;
    let long = "Xq7#".repeat(1025);
    let response = app
        .register("longpass", "longpass@example.com", &long)
        .await;
    assert_eq!(
        json_of(response, StatusCode::BAD_REQUEST).await,
        json!({"password": [TOO_LONG]})
    );
    app.quick_user("loginlong", false).await;
    let megabyte = "x".repeat(1 << 20);
    for password in [long.as_str(), megabyte.as_str()] {
        assert_eq!(
            json_of(
                app.try_login("loginlong", password).await,
                StatusCode::BAD_REQUEST
            )
            .await,
            json!({"password": [TOO_LONG]})
        );
    }
}

#[tokio::test]
async fn form_text_that_is_not_utf8_is_reported_as_invalid() {
    let app = spawn_app().await;
    let multipart = Form::new()
        .part("username", Part::bytes(b"al\xFFce".to_vec()))
        .text("email", "alice@example.com")
        .text("email2", "alice@example.com")
        .text("password", PASSWORD);
    let response = app
        .client
        .post(app.at("/api/account/register/"))
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    let invalid = json!({"username": ["Not valid UTF-8 text."]});
    assert_eq!(json_of(response, StatusCode::BAD_REQUEST).await, invalid);
    let response = app
        .client
        .post(app.at("/api/account/register/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username=al%FFce&email=a%40example.com&email2=a%40example.com&password={}",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(response, StatusCode::BAD_REQUEST).await, invalid);
}
