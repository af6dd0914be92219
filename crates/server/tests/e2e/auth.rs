//! `POST /api/token/`, `POST /api/token/refresh/` and bearer authentication.

use crate::support::{Options, PASSWORD, TestApp, eventually, json_of, spawn_app, spawn_app_with};
use base64::Engine;
use pingme_api::config::{Rate, RateLimitConfig, TokenLifetimes};
use reqwest::StatusCode;
use serde_json::json;
use std::num::NonZeroU32;
use std::time::Duration;

const LOGIN_FAILED: &str = "No active account found with the given credentials";

fn claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn login_returns_a_token_pair_with_the_contract_claims() {
    let app = spawn_app().await;
    let id = app.verified_user("alice").await;
    let body = json_of(app.try_login("alice", PASSWORD).await, StatusCode::OK).await;
    let access = claims(body["access"].as_str().unwrap());
    let refresh = claims(body["refresh"].as_str().unwrap());
    assert_eq!(access["token_type"], "access");
    assert_eq!(refresh["token_type"], "refresh");
    assert_eq!(access["user_id"], id, "the JWT user_id is the Account id");
    for claims in [&access, &refresh] {
        for claim in ["exp", "iat", "jti"] {
            assert!(!claims[claim].is_null(), "{claim} missing in {claims}");
        }
    }
    let lifetime = |c: &serde_json::Value| c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap();
    assert_eq!(lifetime(&access), 24 * 3600);
    assert_eq!(lifetime(&refresh), 4 * 24 * 3600);
    assert_ne!(access["jti"], refresh["jti"]);
}

#[tokio::test]
async fn login_accepts_form_encoding_any_case_and_no_trailing_slash() {
    let app = spawn_app().await;
    app.verified_user("Bob").await;
    let response = app
        .client
        .post(app.at("/api/token"))
        .form(&[("username", "bob"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let body = json_of(response, StatusCode::OK).await;
    assert!(body["access"].is_string() && body["refresh"].is_string());
}

#[tokio::test]
async fn wrong_password_unknown_user_and_unverified_account_get_the_same_401() {
    let app = spawn_app().await;
    app.verified_user("carol").await;
    app.register("dave", "dave@example.com", PASSWORD).await;
    for (username, password) in [
        ("carol", "wrong password 1"),
        ("nobody", PASSWORD),
        ("dave", PASSWORD),
    ] {
        let response = app.try_login(username, password).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"api\""
        );
        let body = json_of(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body, json!({"detail": LOGIN_FAILED}), "{username}");
    }
}

#[tokio::test]
async fn login_without_fields_lists_each_missing_field() {
    let app = spawn_app().await;
    let body = json_of(
        app.post("/api/token/", json!({})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"username": ["This field is required."], "password": ["This field is required."]})
    );
    let body = json_of(
        app.post("/api/token/", json!({"username": "", "password": ""}))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"username": ["This field may not be blank."], "password": ["This field may not be blank."]})
    );
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_and_the_refresh_token_that_replaces_it() {
    let app = spawn_app().await;
    app.verified_user("erin").await;
    let tokens = app.login("erin", PASSWORD).await;
    let body = json_of(
        app.post("/api/token/refresh/", json!({"refresh": tokens.refresh}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access", "refresh"]
    );
    assert_eq!(
        claims(body["refresh"].as_str().unwrap())["token_type"],
        "refresh"
    );
    let access = body["access"].as_str().unwrap();
    assert_eq!(claims(access)["token_type"], "access");
    assert_eq!(
        app.get_with("/api/account/me/", access).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_refuses_access_tokens_garbage_and_missing_fields() {
    let app = spawn_app().await;
    app.verified_user("frank").await;
    let tokens = app.login("frank", PASSWORD).await;
    for token in [tokens.access.as_str(), "garbage", "a.b.c"] {
        let response = app
            .post("/api/token/refresh/", json!({"refresh": token}))
            .await;
        let body = json_of(response, StatusCode::UNAUTHORIZED).await;
        assert_eq!(body["code"], "token_not_valid", "{token}: {body}");
        assert!(body["detail"].is_string());
    }
    let body = json_of(
        app.post("/api/token/refresh/", json!({})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"refresh": ["This field is required."]}));
}

#[tokio::test]
async fn protected_endpoints_want_an_access_token() {
    let app = spawn_app().await;
    app.verified_user("grace").await;
    let tokens = app.login("grace", PASSWORD).await;

    let response = app
        .client
        .get(app.at("/api/account/me/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"api\""
    );
    let body = json_of(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        body,
        json!({"detail": "Authentication credentials were not provided."})
    );

    let other_scheme = app
        .client
        .get(app.at("/api/account/me/"))
        .header("authorization", format!("Token {}", tokens.access))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(other_scheme, StatusCode::UNAUTHORIZED).await["detail"],
        "Authentication credentials were not provided."
    );

    for token in [tokens.refresh.as_str(), "not-a-token"] {
        let body = json_of(
            app.get_with("/api/account/me/", token).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(body["code"], "token_not_valid", "{body}");
    }
}

#[tokio::test]
async fn expired_access_and_refresh_tokens_are_refused() {
    let lifetimes = TokenLifetimes {
        access: Duration::from_secs(2),
        refresh: Duration::from_secs(3),
        ..TokenLifetimes::default()
    };
    let app = spawn_app_with(Options {
        lifetimes,
        ..Options::default()
    })
    .await;
    app.verified_user("heidi").await;
    let tokens = app.login("heidi", PASSWORD).await;
    assert_eq!(
        app.get_with("/api/account/me/", &tokens.access)
            .await
            .status(),
        StatusCode::OK
    );
    let body = eventually(Duration::from_secs(8), || async {
        let response = app.get_with("/api/account/me/", &tokens.access).await;
        (response.status() == StatusCode::UNAUTHORIZED).then_some(response)
    })
    .await;
    assert_eq!(
        json_of(body, StatusCode::UNAUTHORIZED).await["code"],
        "token_not_valid"
    );
    // Nor does an expired token open a chat socket (a fresh one makes the room).
    let fresh = app.login("heidi", PASSWORD).await.access;
    let me = json_of(
        app.get_with("/api/account/me/", &fresh).await,
        StatusCode::OK,
    )
    .await;
    let heidi = crate::support::User {
        id: me["id"].as_i64().unwrap(),
        access: fresh,
    };
    let (server, channel) = crate::support::community::room(&app, &heidi, &[]).await;
    let expired = app
        .try_socket(&app.socket_url(server, channel, &tokens.access), None)
        .await;
    assert_eq!(expired.err(), Some(403));
    eventually(Duration::from_secs(8), || async {
        let response = app
            .post("/api/token/refresh/", json!({"refresh": tokens.refresh}))
            .await;
        (response.status() == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;
}

#[tokio::test]
async fn tokens_of_a_deleted_account_are_refused() {
    let app = spawn_app().await;
    app.verified_user("ivan").await;
    let tokens = app.login("ivan", PASSWORD).await;
    let response = app.delete_me(&tokens.access).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let body = json_of(
        app.get_with("/api/account/me/", &tokens.access).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["code"], "token_not_valid");
    let body = json_of(
        app.post("/api/token/refresh/", json!({"refresh": tokens.refresh}))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(body["code"], "token_not_valid");
}

#[tokio::test]
async fn logins_are_rate_limited_with_retry_after() {
    let app = app_with_limits([100, 3, 3], Duration::from_secs(60)).await;
    for _ in 0..3 {
        assert_eq!(
            app.try_login("judy", "wrong password 1").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = app.try_login("JUDY", "wrong password 1").await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let body = json_of(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(
        body["detail"].as_str().unwrap().contains("throttled"),
        "{body}"
    );
    // Another name is not affected by this one's limit.
    assert_eq!(
        app.try_login("mallory", "wrong password 1").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// A stranger failing at a name many times locks out only the addresses that failed: the
/// owner, from an address that has not, still logs in with the right password.
#[tokio::test]
async fn a_strangers_failures_do_not_lock_the_owner_out() {
    let app = app_with_limits([100, 3, 100], Duration::from_secs(60)).await;
    app.quick_user("owner", false).await;
    let from = |last: u8| {
        let address = std::net::IpAddr::from([127, 0, 0, last]);
        reqwest::Client::builder()
            .local_address(address)
            .build()
            .expect("client")
    };
    let login = |client: reqwest::Client, password: &'static str| {
        let url = app.at("/api/token/");
        async move {
            let body = serde_json::json!({"username": "owner", "password": password});
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("login")
                .status()
        }
    };
    let (stranger, owner, third) = (from(2), from(3), from(4));
    for _ in 0..3 {
        assert_eq!(
            login(stranger.clone(), "guess 1234").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(stranger.clone(), "guess 1234").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login(owner, PASSWORD).await, StatusCode::OK);
    // An address that has not failed gets its one try while the name is locked.
    assert_eq!(
        login(third.clone(), "guess 1234").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(third, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        login(stranger, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn logins_are_rate_limited_per_client_address() {
    let app = app_with_limits([2, 100, 100], Duration::from_secs(60)).await;
    assert_eq!(
        app.try_login("a1", "wrong password 1").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.try_login("a2", "wrong password 1").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let response = app.try_login("a3", "wrong password 1").await;
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn registrations_are_rate_limited_per_client_address() {
    let app = app_with_limits([2, 2, 2], Duration::from_secs(3600)).await;
    for name in ["r1", "r2"] {
        assert_eq!(
            app.register(name, &format!("{name}@example.com"), PASSWORD)
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let response = app.register("r3", "r3@example.com", PASSWORD).await;
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 60
    );
    let body = json_of(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn with_rate_limits_off_nothing_is_throttled() {
    // The test servers run with limits off, as PINGME_RATE_LIMITS=off sets them.
    let app = spawn_app().await;
    for n in 0..15 {
        let name = format!("user{n}");
        let email = format!("{name}@example.com");
        json_of(
            app.register(&name, &email, PASSWORD).await,
            StatusCode::CREATED,
        )
        .await;
    }
    for _ in 0..15 {
        let response = app.try_login("user0", "wrong password 1").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}

/// A server with rate limits on: `[login per address, login per name, e-mail per address]`
/// requests per `period`.
async fn app_with_limits(counts: [u32; 3], period: Duration) -> TestApp {
    let rate = |count| Rate {
        count: NonZeroU32::new(count).expect("a positive count"),
        per: period,
    };
    let limits = RateLimitConfig {
        login_per_ip: rate(counts[0]),
        login_per_user: rate(counts[1]),
        mail_per_ip: rate(counts[2]),
        messages: rate(100),
    };
    spawn_app_with(Options {
        rate_limits: Some(limits),
        ..Options::default()
    })
    .await
}
