//! Invites and moderation: private servers joined by invite only, uses and expiry counted,
//! kicks and bans taking effect at once and announced for the sockets.

use crate::support::community::{call, create_server, get, post};
use crate::support::{eventually, json_of, spawn_app};
use pingme_domain::events::Event;
use pingme_domain::{AccountId, ServerId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

fn code_of(invite: &Value) -> String {
    invite["code"].as_str().expect("code").to_owned()
}

#[tokio::test]
async fn an_invite_opens_a_private_server_until_it_is_used_up() {
    let app = spawn_app().await;
    let (owner, a, b) = (
        app.quick_user("inviter", false).await,
        app.quick_user("a1", false).await,
        app.quick_user("b1", false).await,
    );
    let server = create_server(&app, &owner, "Club", true).await;
    let id = server["id"].as_i64().unwrap();
    let invites = format!("/api/servers/{id}/invites/");

    let invite = json_of(
        post(&app, &invites, &owner, json!({"max_uses": 1})).await,
        StatusCode::CREATED,
    )
    .await;
    let code = code_of(&invite);
    assert!(
        code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "{code}"
    );
    assert_eq!(
        (
            &invite["server"],
            &invite["uses"],
            &invite["max_uses"],
            &invite["expires_at"]
        ),
        (&json!(id), &json!(0), &json!(1), &Value::Null)
    );
    assert!(invite["created_at"].is_string());

    let preview = json_of(
        get(&app, &format!("/api/invites/{code}/"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            &preview["server"],
            &preview["server_name"],
            &preview["num_members"]
        ),
        (&json!(id), &json!("Club"), &json!(1))
    );
    assert!(
        preview["server_icon_url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );

    let joined = json_of(
        post(&app, &format!("/api/invites/{code}/accept/"), &a, json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(joined["members"], json!([owner.id, a.id]));
    let again = post(&app, &format!("/api/invites/{code}/accept/"), &a, json!({})).await;
    assert_eq!(
        again.status(),
        StatusCode::NOT_FOUND,
        "its one use is spent: the invite answers 404 to everyone now"
    );
    let listed = json_of(get(&app, &invites, Some(&owner)).await, StatusCode::OK).await;
    assert_eq!(listed[0]["uses"], 1);

    let late = json_of(
        post(&app, &format!("/api/invites/{code}/accept/"), &b, json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(late["detail"].is_string());
    assert_eq!(
        get(&app, &format!("/api/invites/{code}/"), None)
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "used up"
    );
    assert_eq!(
        get(&app, "/api/invites/NOSUCHCODE/", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn add_member_takes_an_invite_for_a_private_server() {
    let app = spawn_app().await;
    let (owner, guest) = (
        app.quick_user("club", false).await,
        app.quick_user("guest2", false).await,
    );
    let id = create_server(&app, &owner, "Club", true).await["id"]
        .as_i64()
        .unwrap();
    let other = create_server(&app, &owner, "Other", true).await["id"]
        .as_i64()
        .unwrap();
    let join = format!("/api/servers/{id}/add_member/");
    assert_eq!(
        post(&app, &join, &guest, json!({})).await.status(),
        StatusCode::FORBIDDEN
    );
    let elsewhere = code_of(
        &json_of(
            post(
                &app,
                &format!("/api/servers/{other}/invites/"),
                &owner,
                json!({}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await,
    );
    assert_eq!(
        post(&app, &join, &guest, json!({"invite": elsewhere}))
            .await
            .status(),
        StatusCode::FORBIDDEN,
        "an invite to another server"
    );
    let code = code_of(
        &json_of(
            post(
                &app,
                &format!("/api/servers/{id}/invites/"),
                &owner,
                json!({}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await,
    );
    let body = json_of(
        post(&app, &join, &guest, json!({"invite": code})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body, json!({"status": "member added"}));
    assert_eq!(
        get(&app, &format!("/api/servers/{id}/"), Some(&guest))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn invites_expire_are_revoked_and_are_the_owners_alone() {
    let app = spawn_app().await;
    let (owner, member, guest) = (
        app.quick_user("own2", false).await,
        app.quick_user("mem2", false).await,
        app.quick_user("gue2", false).await,
    );
    let id = create_server(&app, &owner, "Timed", false).await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &member,
        json!({}),
    )
    .await;
    let invites = format!("/api/servers/{id}/invites/");

    assert_eq!(
        post(&app, &invites, &member, json!({})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &invites, Some(&member)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, Method::POST, &invites, None, None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let body = json_of(
        post(
            &app,
            &invites,
            &owner,
            json!({"max_uses": 0, "expires_in": 99_999_999}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({
            "max_uses": ["Ensure this value is greater than or equal to 1."],
            "expires_in": ["Ensure this value is less than or equal to 2592000."],
        })
    );

    let short = json_of(
        post(&app, &invites, &owner, json!({"expires_in": 1})).await,
        StatusCode::CREATED,
    )
    .await;
    assert!(short["expires_at"].is_string());
    let code = code_of(&short);
    eventually(Duration::from_secs(5), || async {
        (get(&app, &format!("/api/invites/{code}/"), None)
            .await
            .status()
            == StatusCode::NOT_FOUND)
            .then_some(())
    })
    .await;
    assert_eq!(
        post(
            &app,
            &format!("/api/invites/{code}/accept/"),
            &guest,
            json!({})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );

    let lasting = code_of(
        &json_of(
            post(&app, &invites, &owner, json!({})).await,
            StatusCode::CREATED,
        )
        .await,
    );
    let path = format!("/api/invites/{lasting}/");
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&member), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&owner), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&app, &path, None).await.status(), StatusCode::NOT_FOUND);
    let revoked = post(
        &app,
        &format!("/api/invites/{lasting}/accept/"),
        &guest,
        json!({}),
    )
    .await;
    assert_eq!(revoked.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&owner), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn kicked_members_leave_at_once_and_may_come_back() {
    let app = spawn_app().await;
    let (owner, member, stranger) = (
        app.quick_user("boss", false).await,
        app.quick_user("kickme", false).await,
        app.quick_user("other", false).await,
    );
    let id = create_server(&app, &owner, "Strict", false).await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &member,
        json!({}),
    )
    .await;
    let kick = format!("/api/servers/{id}/kick/");

    assert_eq!(
        post(&app, &kick, &member, json!({"account": owner.id}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let body = json_of(
        post(&app, &kick, &owner, json!({"account": owner.id})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("owner"));
    let body = json_of(
        post(&app, &kick, &owner, json!({"account": stranger.id})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"account": ["That account is not a member of this server."]})
    );
    let body = json_of(
        post(&app, &kick, &owner, json!({"account": 424_242})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"account": ["Invalid pk \"424242\" - object does not exist."]})
    );

    let mut events = app.events.subscribe();
    let body = json_of(
        post(&app, &kick, &owner, json!({"account": member.id})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body, json!({"status": "member kicked"}));
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        Event::MemberRemoved {
            server: ServerId(id),
            account: AccountId(member.id)
        }
    );
    let server = json_of(
        get(&app, &format!("/api/servers/{id}/"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(server["members"], json!([owner.id]));
    assert_eq!(
        post(
            &app,
            &format!("/api/servers/{id}/add_member/"),
            &member,
            json!({})
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_ban_keeps_an_account_out_until_lifted() {
    let app = spawn_app().await;
    let (owner, member) = (
        app.quick_user("judge", false).await,
        app.quick_user("banned", false).await,
    );
    let id = create_server(&app, &owner, "Court", false).await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &member,
        json!({}),
    )
    .await;
    let code = code_of(
        &json_of(
            post(
                &app,
                &format!("/api/servers/{id}/invites/"),
                &owner,
                json!({}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await,
    );

    let mut events = app.events.subscribe();
    let body = json_of(
        post(
            &app,
            &format!("/api/servers/{id}/ban/"),
            &owner,
            json!({"account": member.id}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body, json!({"status": "member banned"}));
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        Event::MemberRemoved {
            server: ServerId(id),
            account: AccountId(member.id)
        }
    );

    let refused = json_of(
        post(
            &app,
            &format!("/api/servers/{id}/add_member/"),
            &member,
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("banned"));
    assert_eq!(
        post(
            &app,
            &format!("/api/invites/{code}/accept/"),
            &member,
            json!({})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let bans = json_of(
        get(&app, &format!("/api/servers/{id}/bans/"), Some(&owner)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&bans[0]["account"], &bans[0]["username"]),
        (&json!(member.id), &json!("banned"))
    );
    assert_eq!(
        get(&app, &format!("/api/servers/{id}/bans/"), Some(&member))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let body = json_of(
        post(
            &app,
            &format!("/api/servers/{id}/unban/"),
            &owner,
            json!({"account": member.id}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body, json!({"status": "member unbanned"}));
    assert_eq!(
        json_of(
            get(&app, &format!("/api/servers/{id}/bans/"), Some(&owner)).await,
            StatusCode::OK
        )
        .await,
        json!([])
    );
    assert_eq!(
        post(
            &app,
            &format!("/api/servers/{id}/add_member/"),
            &member,
            json!({})
        )
        .await
        .status(),
        StatusCode::OK
    );
}
