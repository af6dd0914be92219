//! `/api/account/...`: registration, verification, profile.

use crate::support::{PASSWORD, json_of, mail, spawn_app};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn assert_timestamp(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    let b = text.as_bytes();
    let shape =
        text.len() == 27 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && text.ends_with('Z');
    assert!(shape, "not RFC 3339 UTC with microseconds: {text}");
}

#[tokio::test]
async fn registration_creates_an_inactive_account_until_the_link_is_followed() {
    let app = spawn_app().await;
    let body = json_of(
        app.register("alice", "alice@example.com", PASSWORD).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        body,
        json!({"message": "Registration successful. Check your email."})
    );
    assert_eq!(
        app.try_login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let mail = app.outbox_mail_to("alice@example.com").await;
    let link = mail::link_in(&mail, "/api/account/verify_email/");
    assert!(
        link.starts_with(&format!("{}/api/account/verify_email/?uid=", app.url)),
        "{link}"
    );
    assert!(link.contains("&token="), "{link}");

    let response = app.follow(&link).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        format!("{}/login", app.client_origin)
    );
    let tokens = app.login("alice", PASSWORD).await;

    let me = json_of(
        app.get_with("/api/account/me/", &tokens.access).await,
        StatusCode::OK,
    )
    .await;
    let keys: Vec<&str> = me.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = [
        "id",
        "owner",
        "created_at",
        "updated_at",
        "username",
        "location",
        "content",
        "image_url",
        "is_staff",
    ];
    expected.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
    assert_eq!(me["owner"], "alice");
    assert_eq!(
        me["username"], "alice",
        "the display name starts as the login name"
    );
    assert_eq!(me["location"], Value::Null);
    assert_eq!(me["content"], "");
    assert_eq!(me["is_staff"], false);
    assert_timestamp(&me["created_at"]);
    assert_timestamp(&me["updated_at"]);
}

#[tokio::test]
async fn registration_accepts_form_and_multipart_bodies() {
    let app = spawn_app().await;
    let form = [
        ("username", "bob"),
        ("email", "bob@example.com"),
        ("email2", "bob@example.com"),
        ("password", PASSWORD),
    ];
    let response = app
        .client
        .post(app.at("/api/account/register/"))
        .form(&form)
        .send()
        .await
        .unwrap();
    json_of(response, StatusCode::CREATED).await;
    let multipart = Form::new()
        .text("username", "carol")
        .text("email", "carol@example.com")
        .text("email2", "carol@example.com")
        .text("password", PASSWORD);
    let response = app
        .client
        .post(app.at("/api/account/register"))
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    json_of(response, StatusCode::CREATED).await;
}

#[tokio::test]
async fn registration_errors_have_the_contract_shapes() {
    let app = spawn_app().await;
    app.register("dave", "dave@example.com", PASSWORD).await;
    let cases = [
        (
            json!({"username": "erin", "email": "erin@example.com", "email2": "other@example.com", "password": PASSWORD}),
            json!({"non_field_errors": ["Emails must match."]}),
        ),
        (
            json!({"username": "erin", "email": "DAVE@example.com", "email2": "DAVE@example.com", "password": PASSWORD}),
            json!({"non_field_errors": ["Email already registered."]}),
        ),
        (
            json!({"username": "Dave", "email": "erin@example.com", "email2": "erin@example.com", "password": PASSWORD}),
            json!({"username": ["A user with that username already exists."]}),
        ),
        (
            json!({"username": "erin smith", "email": "not-an-email", "email2": "x", "password": PASSWORD}),
            json!({
                "username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],
                "email": ["Enter a valid email address."],
            }),
        ),
        (
            json!({}),
            json!({
                "username": ["This field is required."],
                "email": ["This field is required."],
                "email2": ["This field is required."],
                "password": ["This field is required."],
            }),
        ),
        (
            json!({"username": "x".repeat(151), "email": "erin@example.com", "email2": "erin@example.com", "password": PASSWORD}),
            json!({"username": ["Ensure this field has no more than 150 characters."]}),
        ),
    ];
    for (body, expected) in cases {
        let response = app.post("/api/account/register/", body.clone()).await;
        assert_eq!(
            json_of(response, StatusCode::BAD_REQUEST).await,
            expected,
            "for {body}"
        );
    }
}

#[tokio::test]
async fn every_broken_password_rule_is_listed() {
    let app = spawn_app().await;
    let attempt = |password: &'static str| {
        let body = json!({"username": "frank", "email": "frank.castle@example.com", "email2": "frank.castle@example.com", "password": password});
        app.post("/api/account/register/", body)
    };
    let cases = [
        (
            "123456",
            vec![
                "This password is too short. It must contain at least 8 characters.",
                "This password is too common.",
                "This password is entirely numeric.",
            ],
        ),
        ("password", vec!["This password is too common."]),
        ("83920175463", vec!["This password is entirely numeric."]),
        (
            "frank1234",
            vec!["The password is too similar to the username."],
        ),
        (
            "castle!77",
            vec!["The password is too similar to the email address."],
        ),
    ];
    for (password, expected) in cases {
        let body = json_of(attempt(password).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body, json!({"password": expected}), "for {password}");
    }
}

#[tokio::test]
async fn simultaneous_registrations_of_one_name_give_exactly_one_201() {
    let app = spawn_app().await;
    let attempts = (0..10).map(|i| {
        let client = app.client.clone();
        let url = app.at("/api/account/register/");
        // Different e-mails and cases, one name: only the database's unique rule can decide.
        let name = if i % 2 == 0 { "Racer" } else { "racer" };
        let body = json!({"username": name, "email": format!("racer{i}@example.com"), "email2": format!("racer{i}@example.com"), "password": PASSWORD});
        tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap() })
    });
    let mut created = 0;
    for attempt in attempts {
        let response = attempt.await.unwrap();
        match response.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::BAD_REQUEST => {
                let body: Value = response.json().await.unwrap();
                assert_eq!(
                    body,
                    json!({"username": ["A user with that username already exists."]})
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn bad_verification_links_get_400_with_an_error() {
    let app = spawn_app().await;
    app.register("grace", "grace@example.com", PASSWORD).await;
    let link = mail::link_in(
        &app.outbox_mail_to("grace@example.com").await,
        "/api/account/verify_email/",
    );
    let tampered_token = format!("{}x", &link);
    let other_uid = link.replace("uid=", "uid=Mj&was=");
    let bad = [
        app.at("/api/account/verify_email/"),
        app.at("/api/account/verify_email/?uid=MQ"),
        app.at("/api/account/verify_email/?uid=MQ&token=nonsense"),
        tampered_token,
        other_uid,
    ];
    for url in bad {
        let response = app.follow(&url).await;
        assert_eq!(
            json_of(response, StatusCode::BAD_REQUEST).await,
            json!({"error": "Invalid or expired token."}),
            "{url}"
        );
    }
    assert_eq!(
        app.try_login("grace", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn resend_verification_answers_alike_and_mails_only_unverified_accounts() {
    let app = spawn_app().await;
    app.register("heidi", "heidi@example.com", PASSWORD).await;
    app.outbox_mail_to("heidi@example.com").await;
    let outbox = app.data_dir.join("outbox");
    let known = json_of(
        app.post(
            "/api/account/resend_verification/",
            json!({"email": "heidi@example.com"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let unknown = json_of(
        app.post(
            "/api/account/resend_verification/",
            json!({"email": "nobody@example.com"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(known, unknown);
    assert!(known["message"].is_string());
    let mails = crate::support::eventually(std::time::Duration::from_secs(10), || async {
        let mails = mail::all_in_outbox(&outbox, "heidi@example.com");
        (mails.len() == 2).then_some(mails)
    })
    .await;
    // Both mails carry a working link (following one again is harmless).
    for mail in mails {
        let link = mail::link_in(&mail, "/api/account/verify_email/");
        assert_eq!(app.follow(&link).await.status(), StatusCode::FOUND);
    }
    app.login("heidi", PASSWORD).await;

    let body = json_of(
        app.post("/api/account/resend_verification/", json!({}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"email": ["This field is required."]}));
}

#[tokio::test]
async fn edit_me_changes_the_profile_from_json_and_multipart() {
    let app = spawn_app().await;
    app.verified_user("ivan").await;
    let tokens = app.login("ivan", PASSWORD).await;
    let before = json_of(
        app.get_with("/api/account/me/", &tokens.access).await,
        StatusCode::OK,
    )
    .await;

    let changes = json!({"username": "Ivan the Great", "location": "Kyiv", "content": "Hello there", "owner": "hacker", "id": 999, "is_staff": true});
    let response = app
        .client
        .patch(app.at("/api/account/edit_me/"))
        .bearer_auth(&tokens.access)
        .json(&changes)
        .send()
        .await
        .unwrap();
    let after = json_of(response, StatusCode::OK).await;
    assert_eq!(
        (&after["username"], &after["location"], &after["content"]),
        (
            &json!("Ivan the Great"),
            &json!("Kyiv"),
            &json!("Hello there")
        )
    );
    assert_eq!(
        (&after["owner"], &after["id"]),
        (&before["owner"], &before["id"]),
        "read-only fields are ignored"
    );
    assert_eq!(after["created_at"], before["created_at"]);
    assert_eq!(after["is_staff"], false);

    // A browser sends an empty, nameless file part for an image input left empty.
    let form = Form::new()
        .text("content", "From a form")
        .part("image", Part::bytes(Vec::new()).file_name(""));
    let response = app
        .client
        .patch(app.at("/api/account/edit_me"))
        .bearer_auth(&tokens.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let after = json_of(response, StatusCode::OK).await;
    assert_eq!(
        (&after["username"], &after["content"]),
        (&json!("Ivan the Great"), &json!("From a form"))
    );

    let response = app
        .client
        .patch(app.at("/api/account/edit_me/"))
        .bearer_auth(&tokens.access)
        .json(&json!({"location": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(response, StatusCode::OK).await["location"],
        Value::Null
    );
    let me = json_of(
        app.get_with("/api/account/me/", &tokens.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&me["location"], &me["content"]),
        (&Value::Null, &json!("From a form"))
    );
}

#[tokio::test]
async fn edit_me_refuses_bad_values_and_files_without_writing() {
    let app = spawn_app().await;
    app.verified_user("judy").await;
    let tokens = app.login("judy", PASSWORD).await;
    let patch = |body: Value| {
        app.client
            .patch(app.at("/api/account/edit_me/"))
            .bearer_auth(&tokens.access)
            .json(&body)
            .send()
    };

    let body = json_of(
        patch(json!({"username": "  ", "content": "kept?"}))
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"username": ["This field may not be blank."]}));
    let body = json_of(
        patch(json!({"location": "x".repeat(101)})).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"location": ["Ensure this field has no more than 100 characters."]})
    );

    let form = Form::new().text("content", "with a picture").part(
        "image",
        Part::bytes(vec![0x89, b'P', b'N', b'G']).file_name("me.png"),
    );
    let response = app
        .client
        .patch(app.at("/api/account/edit_me/"))
        .bearer_auth(&tokens.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    let message = body["image"][0]
        .as_str()
        .unwrap_or_else(|| panic!("an image error expected: {body}"));
    assert!(message.contains("corrupted image"), "{message}");

    let me = json_of(
        app.get_with("/api/account/me/", &tokens.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["content"], "", "a refused edit writes nothing");

    let response = app
        .client
        .put(app.at("/api/account/edit_me/"))
        .bearer_auth(&tokens.access)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn delete_me_removes_the_account_and_frees_its_name() {
    let app = spawn_app().await;
    app.verified_user("kim").await;
    let tokens = app.login("kim", PASSWORD).await;
    let response = app.delete_me(&tokens.access).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(
        app.try_login("kim", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    json_of(
        app.register("kim", "kim@example.com", PASSWORD).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn me_says_whether_the_account_is_staff() {
    let app = spawn_app().await;
    let staff = app.quick_user("stella", true).await;
    let me = json_of(
        app.get_with("/api/account/me/", &staff.access).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["is_staff"], true);
}
