//! Login sessions (contract Level 4, "Sessions"): each login is one, refresh tokens are used
//! once and rotated, a token used twice ends its session, logging out ends one session or
//! all the others, and whatever ended a session closes its sockets at once.

use crate::support::community::{call, room};
use crate::support::{PASSWORD, TestApp, Tokens, User, json_of, spawn_app};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// A login from a client that names itself `agent`.
async fn login_as(app: &TestApp, login: &str, agent: &str) -> Tokens {
    let response = app
        .client
        .post(app.at("/api/token/"))
        .header("User-Agent", agent)
        .json(&json!({"username": login, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body = json_of(response, StatusCode::OK).await;
    Tokens {
        access: body["access"].as_str().unwrap().to_owned(),
        refresh: body["refresh"].as_str().unwrap().to_owned(),
    }
}

fn user(id: i64, tokens: &Tokens) -> User {
    User {
        id,
        access: tokens.access.clone(),
    }
}

async fn sessions(app: &TestApp, access: &str) -> Vec<Value> {
    let body = json_of(
        app.get_with("/api/account/sessions/", access).await,
        StatusCode::OK,
    )
    .await;
    body.as_array().unwrap().clone()
}

async fn refresh(app: &TestApp, token: &str) -> Response {
    app.post("/api/token/refresh/", json!({"refresh": token}))
        .await
}

async fn refreshed(app: &TestApp, token: &str) -> Tokens {
    let body = json_of(refresh(app, token).await, StatusCode::OK).await;
    Tokens {
        access: body["access"].as_str().unwrap().to_owned(),
        refresh: body["refresh"].as_str().unwrap().to_owned(),
    }
}

async fn refused(response: Response) -> String {
    let body = json_of(response, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], "token_not_valid", "{body}");
    body["detail"].as_str().unwrap().to_owned()
}

async fn delete(app: &TestApp, path: &str, access: &str) -> StatusCode {
    let caller = User {
        id: 0,
        access: access.to_owned(),
    };
    call(app, Method::DELETE, path, Some(&caller), None)
        .await
        .status()
}

/// Ann, logged in twice: the session `tokens` with a gateway session and a chat socket open,
/// and her first login with a gateway session (`stays`).
struct Scene {
    ann: User,
    tokens: Tokens,
    room: (i64, i64),
    gateway: crate::support::socket::Socket,
    chat: crate::support::socket::Socket,
    stays: crate::support::socket::Socket,
}

async fn scene(app: &TestApp) -> Scene {
    let ann = app.quick_user("ann", false).await;
    let tokens = login_as(app, "ann", "Firefox").await;
    let out = user(ann.id, &tokens);
    let room = room(app, &ann, &[]).await;
    let (gateway, _) = app.identified(&out).await;
    let chat = app.socket(room.0, room.1, &out).await;
    let (stays, _) = app.identified(&ann).await;
    Scene {
        ann,
        tokens,
        room,
        gateway,
        chat,
        stays,
    }
}

#[tokio::test]
async fn each_login_is_a_session_listed_with_where_it_came_from() {
    let app = spawn_app().await;
    app.quick_user("ann", false).await;
    let laptop = login_as(&app, "ann", "Firefox on Linux").await;
    let phone = login_as(&app, "ann", "Safari on iPhone").await;
    let listed = sessions(&app, &phone.access).await;
    // The quick user's own login, the laptop and the phone; the newest first.
    assert_eq!(listed.len(), 3, "{listed:?}");
    let first = &listed[0];
    assert_eq!(first["user_agent"], "Safari on iPhone");
    assert_eq!(first["current"], true);
    assert_eq!(first["ip"], "127.0.0.1");
    // Seen since it logged in: the request that lists it.
    assert!(first["last_used_at"].as_str() >= first["created_at"].as_str());
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "created_at",
            "current",
            "id",
            "ip",
            "last_used_at",
            "user_agent"
        ]
    );
    assert!(first["id"].as_str().unwrap().len() == 32);
    assert_eq!(listed[1]["user_agent"], "Firefox on Linux");
    assert_eq!(listed[1]["current"], false);
    let from_laptop = sessions(&app, &laptop.access).await;
    let current: Vec<&Value> = from_laptop
        .iter()
        .filter(|s| s["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Firefox on Linux");
    // Nobody else's are shown.
    let bob = app.quick_user("bob", false).await;
    assert_eq!(sessions(&app, &bob.access).await.len(), 1);
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_a_second_use_ends_the_session() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let tokens = login_as(&app, "ann", "Firefox").await;
    let next = refreshed(&app, &tokens.refresh).await;
    assert_ne!(next.refresh, tokens.refresh);
    assert_eq!(
        app.get_with("/api/account/me/", &next.access)
            .await
            .status(),
        StatusCode::OK
    );
    let after = refreshed(&app, &next.refresh).await;
    // The first token again: the usual sign of a stolen token. The whole session ends.
    assert_eq!(
        refused(refresh(&app, &tokens.refresh).await).await,
        "Token is blacklisted"
    );
    for access in [&tokens.access, &next.access, &after.access] {
        refused(app.get_with("/api/account/me/", access).await).await;
    }
    refused(refresh(&app, &after.refresh).await).await;
    // The account's other sessions live on.
    let left = sessions(&app, &ann.access).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
}

/// Two tabs refreshing at once: the loser's token, just replaced, is refused as such and the
/// session lives on.
#[tokio::test]
async fn the_token_just_replaced_is_refused_without_ending_the_session() {
    let app = spawn_app().await;
    app.quick_user("ann", false).await;
    let tokens = login_as(&app, "ann", "Firefox").await;
    let next = refreshed(&app, &tokens.refresh).await;
    assert_eq!(
        refused(refresh(&app, &tokens.refresh).await).await,
        "Token was replaced by a newer one"
    );
    assert_eq!(
        app.get_with("/api/account/me/", &next.access)
            .await
            .status(),
        StatusCode::OK
    );
    refreshed(&app, &next.refresh).await;
}

/// Tokens from before sessions existed (no `sid`): access tokens work until they expire,
/// refresh tokens are refused.
#[tokio::test]
async fn tokens_from_before_sessions_keep_working_until_they_expire() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let tokens = login_as(&app, "ann", "Firefox").await;
    let without_sid = |token: &str| {
        let key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        let mut claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .unwrap()
            .claims;
        claims
            .as_object_mut()
            .unwrap()
            .remove("sid")
            .expect("a sid");
        let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
    };
    let old = user(
        ann.id,
        &Tokens {
            access: without_sid(&tokens.access),
            refresh: without_sid(&tokens.refresh),
        },
    );
    assert_eq!(
        app.get_with("/api/account/me/", &old.access).await.status(),
        StatusCode::OK
    );
    let (mut socket, _) = app.identified(&old).await;
    socket
        .send(json!({"op": "heartbeat", "d": {"seq": 1}}))
        .await;
    assert_eq!(socket.next().await["op"], "heartbeat_ack");
    let listed = sessions(&app, &old.access).await;
    assert!(listed.iter().all(|s| s["current"] == false), "{listed:?}");
    assert_eq!(
        delete(&app, "/api/account/sessions/", &old.access).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refused(refresh(&app, &without_sid(&tokens.refresh)).await).await,
        "Token is invalid or expired"
    );
}

/// The secret the test servers sign with (`support::spawn_app_with`).
const SECRET: &str = "test-secret-0123456789-abcdefghijklmnop";

#[tokio::test]
async fn logging_out_refuses_the_sessions_tokens_and_closes_its_sockets() {
    let app = spawn_app().await;
    let Scene {
        ann,
        tokens,
        room: (server, channel),
        mut gateway,
        mut chat,
        mut stays,
    } = scene(&app).await;

    let body = json_of(
        app.post("/api/token/blacklist/", json!({"refresh": tokens.refresh}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body, json!({}));
    assert_eq!(gateway.closed().await.0, 4004);
    assert_eq!(chat.closed().await.0, 4403);
    assert_eq!(
        refused(app.get_with("/api/account/me/", &tokens.access).await).await,
        "Token is blacklisted"
    );
    refused(refresh(&app, &tokens.refresh).await).await;
    refused(
        app.post("/api/token/blacklist/", json!({"refresh": tokens.refresh}))
            .await,
    )
    .await;
    let mut again = app.gateway().await;
    again
        .send(json!({"op": "identify", "d": {"token": tokens.access}}))
        .await;
    assert_eq!(again.closed().await.0, 4004);
    assert!(
        app.try_socket(&app.socket_url(server, channel, &tokens.access), None)
            .await
            .is_err()
    );
    // The other session is untouched.
    stays
        .send(json!({"op": "heartbeat", "d": {"seq": 1}}))
        .await;
    assert_eq!(stays.next().await["op"], "heartbeat_ack");
    assert_eq!(sessions(&app, &ann.access).await.len(), 1);
}

#[tokio::test]
async fn blacklist_and_refresh_refuse_what_is_not_a_refresh_token() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    for path in ["/api/token/blacklist/", "/api/token/refresh/"] {
        assert_eq!(
            refused(app.post(path, json!({"refresh": ann.access})).await).await,
            "Token has wrong type"
        );
        refused(app.post(path, json!({"refresh": "garbage"})).await).await;
        let body = json_of(app.post(path, json!({})).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body, json!({"refresh": ["This field is required."]}));
    }
}

#[tokio::test]
async fn one_session_or_all_the_others_are_logged_out_by_id() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let laptop = login_as(&app, "ann", "laptop").await;
    let phone = login_as(&app, "ann", "phone").await;
    let bob = app.quick_user("bob", false).await;
    let listed = sessions(&app, &ann.access).await;
    let id_of = |agent: &str| {
        listed.iter().find(|s| s["user_agent"] == agent).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let path = |id: &str| format!("/api/account/sessions/{id}/");
    let (mut phone_socket, _) = app.identified(&user(ann.id, &phone)).await;

    // Someone else's session, and ids of no session, are not found.
    assert_eq!(
        delete(&app, &path(&id_of("laptop")), &bob.access).await,
        StatusCode::NOT_FOUND
    );
    for id in [
        "nope",
        "0123456789abcdef0123456789abcdef",
        "0123456789ABCDEF0123456789ABCDEF",
    ] {
        assert_eq!(
            delete(&app, &path(id), &ann.access).await,
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        delete(&app, &path(&id_of("laptop")), &ann.access).await,
        StatusCode::NO_CONTENT
    );
    refused(app.get_with("/api/account/me/", &laptop.access).await).await;
    assert_eq!(
        delete(&app, &path(&id_of("laptop")), &ann.access).await,
        StatusCode::NOT_FOUND
    );

    // Everywhere else: the phone goes, the caller stays.
    assert_eq!(
        delete(&app, "/api/account/sessions/", &ann.access).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(phone_socket.closed().await.0, 4004);
    refused(refresh(&app, &phone.refresh).await).await;
    let left = sessions(&app, &ann.access).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
    // Logging out one's own session by id works too.
    let own = left[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        delete(&app, &path(&own), &ann.access).await,
        StatusCode::NO_CONTENT
    );
    refused(app.get_with("/api/account/me/", &ann.access).await).await;
    // Without a token: 401.
    let anonymous = call(&app, Method::GET, "/api/account/sessions/", None, None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_logout_on_one_node_closes_the_sessions_sockets_on_the_other() {
    use crate::nodes::{connected, redis_url, two_nodes};
    let (a, b) = two_nodes(&redis_url()).await;
    connected([&a, &b]).await;
    let ann = a.quick_user("ann", false).await;
    let tokens = login_as(&a, "ann", "Firefox").await;
    let out = user(ann.id, &tokens);
    let (server, channel) = room(&a, &ann, &[]).await;
    let (mut gateway, _) = a.identified(&out).await;
    let mut chat = a.socket(server, channel, &out).await;
    // Read once on the first node, so that its cache holds the session.
    assert_eq!(
        a.get_with("/api/account/me/", &tokens.access)
            .await
            .status(),
        StatusCode::OK
    );
    json_of(
        b.post("/api/token/blacklist/", json!({"refresh": tokens.refresh}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(gateway.closed().await.0, 4004);
    assert_eq!(chat.closed().await.0, 4403);
    refused(a.get_with("/api/account/me/", &tokens.access).await).await;
    assert_eq!(sessions(&a, &ann.access).await.len(), 1);
}

/// A session ended where no event told the nodes (another process, a bus that was down):
/// the periodic re-check closes its sockets all the same.
#[tokio::test]
async fn a_session_ended_without_an_event_has_its_sockets_closed_by_the_recheck() {
    use pingme_api::config::ChatConfig;
    use pingme_domain::sessions::{Ending, SessionId};
    use std::time::Duration;
    let chat = ChatConfig {
        ping_interval: Duration::from_millis(200),
        ..ChatConfig::default()
    };
    let app = crate::support::spawn_app_with(crate::support::Options {
        chat,
        ..crate::support::Options::default()
    })
    .await;
    let Scene {
        ann,
        mut gateway,
        mut chat,
        mut stays,
        ..
    } = scene(&app).await;
    let listed = sessions(&app, &ann.access).await;
    let other = listed.iter().find(|s| s["current"] == false).unwrap();
    let other = SessionId::parse(other["id"].as_str().unwrap()).unwrap();
    let account = pingme_domain::AccountId(ann.id);
    let ended = app
        .store
        .end_sessions(account, Ending::One(&other))
        .await
        .unwrap();
    assert_eq!(ended, vec![other]);
    assert_eq!(gateway.closed().await.0, 4004);
    assert_eq!(chat.closed().await.0, 4403);
    assert_eq!(stays.silent_for(Duration::from_millis(600)).await, None);
}
