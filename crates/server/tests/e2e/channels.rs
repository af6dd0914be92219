//! `/api/channels/`: made by the server's owner only, text only, lowercase names, never
//! moved, changed by their maker or the server's owner, visible where the server is.

use crate::support::community::{call, create_server, get, ids, post};
use crate::support::{json_of, spawn_app};
use pingme_domain::events::Event;
use pingme_domain::{ChannelId, ServerId};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn only_the_servers_owner_creates_text_channels() {
    let app = spawn_app().await;
    let (owner, member) = (
        app.quick_user("own", false).await,
        app.quick_user("mem", false).await,
    );
    let id = create_server(&app, &owner, "Chan", false).await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &member,
        json!({}),
    )
    .await;

    let made = json_of(
        post(
            &app,
            "/api/channels/",
            &owner,
            json!({"name": "Off Topic", "server": id, "type": "text"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (
            &made["name"],
            &made["type"],
            &made["owner"],
            &made["server"]
        ),
        (
            &json!("off topic"),
            &json!("text"),
            &json!(owner.id),
            &json!(id)
        )
    );
    assert_eq!(made["description"], serde_json::Value::Null);

    let refused = post(
        &app,
        "/api/channels/",
        &member,
        json!({"name": "mine", "server": id}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let cases = [
        (
            json!({"name": "voice", "server": id, "type": "voice"}),
            json!({"type": ["\"voice\" is not a valid choice."]}),
        ),
        (
            json!({"name": "x", "server": 4242}),
            json!({"server": ["Invalid pk \"4242\" - object does not exist."]}),
        ),
        (
            json!({}),
            json!({"name": ["This field is required."], "server": ["This field is required."]}),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            json_of(
                post(&app, "/api/channels/", &owner, body.clone()).await,
                StatusCode::BAD_REQUEST
            )
            .await,
            expected,
            "{body}"
        );
    }
    let anonymous = call(
        &app,
        Method::POST,
        "/api/channels/",
        None,
        Some(json!({"name": "x", "server": id})),
    )
    .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn channels_are_seen_where_their_server_is() {
    let app = spawn_app().await;
    let (owner, other) = (
        app.quick_user("vis", false).await,
        app.quick_user("out", false).await,
    );
    let public = create_server(&app, &owner, "Public", false).await;
    let private = create_server(&app, &owner, "Private", true).await;
    let public_channel = public["channel_server"][0]["id"].as_i64().unwrap();
    let private_channel = private["channel_server"][0]["id"].as_i64().unwrap();

    let all = json_of(
        get(&app, "/api/channels/", Some(&owner)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&all), [public_channel, private_channel]);
    assert_eq!(
        ids(&json_of(
            get(&app, "/api/channels/", Some(&other)).await,
            StatusCode::OK
        )
        .await),
        [public_channel]
    );
    assert_eq!(
        ids(&json_of(get(&app, "/api/channels/", None).await, StatusCode::OK).await),
        [public_channel]
    );
    let filtered = json_of(
        get(
            &app,
            &format!("/api/channels/?server={}", private["id"]),
            Some(&owner),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&filtered), [private_channel]);
    let outside = json_of(
        get(
            &app,
            &format!("/api/channels/?server={}", private["id"]),
            Some(&other),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        outside,
        json!([]),
        "an outsider sees none of a private server's channels"
    );
    let bad = json_of(
        get(&app, "/api/channels/?server=abc", None).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad, json!({"server": ["A valid integer is required."]}));

    assert_eq!(
        get(&app, &format!("/api/channels/{public_channel}/"), None)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(
            &app,
            &format!("/api/channels/{private_channel}/"),
            Some(&owner)
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(
            &app,
            &format!("/api/channels/{private_channel}/"),
            Some(&other)
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &format!("/api/channels/{private_channel}/"), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&app, "/api/channels/99999/", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn channels_change_but_never_move_and_their_deletion_is_announced() {
    let app = spawn_app().await;
    let (owner, member) = (
        app.quick_user("ch1", false).await,
        app.quick_user("ch2", false).await,
    );
    let server = create_server(&app, &owner, "Edits", false).await;
    let other_server = create_server(&app, &owner, "Elsewhere", false).await["id"]
        .as_i64()
        .unwrap();
    let id = server["id"].as_i64().unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &member,
        json!({}),
    )
    .await;
    let channel = server["channel_server"][0]["id"].as_i64().unwrap();
    let path = format!("/api/channels/{channel}/");

    let patched = json_of(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(&owner),
            Some(json!({"name": "Lobby", "description": "say hi"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&patched["name"], &patched["description"]),
        (&json!("lobby"), &json!("say hi"))
    );
    let moved = call(
        &app,
        Method::PATCH,
        &path,
        Some(&owner),
        Some(json!({"server": other_server})),
    )
    .await;
    assert_eq!(
        json_of(moved, StatusCode::BAD_REQUEST).await,
        json!({"server": ["A channel cannot be moved to another server."]})
    );
    let same = call(
        &app,
        Method::PATCH,
        &path,
        Some(&owner),
        Some(json!({"server": id})),
    )
    .await;
    assert_eq!(
        same.status(),
        StatusCode::OK,
        "naming the same server is fine"
    );
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&owner),
        Some(json!({"description": "x"})),
    )
    .await;
    assert_eq!(
        json_of(put, StatusCode::BAD_REQUEST).await,
        json!({"name": ["This field is required."], "server": ["This field is required."]})
    );
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&owner),
        Some(json!({"name": "hall", "server": id})),
    )
    .await;
    assert_eq!(json_of(put, StatusCode::OK).await["name"], "hall");
    let voice = call(
        &app,
        Method::PATCH,
        &path,
        Some(&owner),
        Some(json!({"type": "voice"})),
    )
    .await;
    assert_eq!(voice.status(), StatusCode::BAD_REQUEST);

    assert_eq!(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(&member),
            Some(json!({"name": "mine"}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&member), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, None, None).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let mut events = app.events.subscribe();
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&owner), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        Event::ChannelDeleted {
            server: ServerId(id),
            channel: ChannelId(channel)
        }
    );
    assert_eq!(get(&app, &path, None).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_channels_maker_keeps_it_after_handing_the_server_on() {
    let app = spawn_app().await;
    let (maker, heir) = (
        app.quick_user("maker1", false).await,
        app.quick_user("heir1", false).await,
    );
    let id = create_server(&app, &maker, "Handed on", false).await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &heir,
        json!({}),
    )
    .await;
    let made = json_of(
        post(
            &app,
            "/api/channels/",
            &maker,
            json!({"name": "maker's", "server": id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    post(
        &app,
        &format!("/api/servers/{id}/transfer_ownership/"),
        &maker,
        json!({"account": heir.id}),
    )
    .await;
    let path = format!("/api/channels/{}/", made["id"]);
    let renamed = call(
        &app,
        Method::PATCH,
        &path,
        Some(&maker),
        Some(json!({"name": "still mine"})),
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::OK, "the channel's maker");
    let general = format!(
        "/api/channels/{}/",
        json_of(
            get(&app, &format!("/api/servers/{id}/"), None).await,
            StatusCode::OK
        )
        .await["channel_server"][0]["id"]
    );
    let renamed = call(
        &app,
        Method::PATCH,
        &general,
        Some(&maker),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(
        renamed.status(),
        StatusCode::OK,
        "general was made by the maker too"
    );
    let created = post(
        &app,
        "/api/channels/",
        &maker,
        json!({"name": "new", "server": id}),
    )
    .await;
    assert_eq!(
        created.status(),
        StatusCode::FORBIDDEN,
        "but only the owner creates channels"
    );
}
