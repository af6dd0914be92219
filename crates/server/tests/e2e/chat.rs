//! Chat over the socket: messages reach every socket of the channel (the sender's too),
//! refusals at the handshake, error frames that keep the socket open, live edits, deletes
//! and typing, closes when someone is removed, and the REST history.

use crate::directory::{ACCOUNT_KEYS, keys};
use crate::support::community::{call, get, post, room};
use crate::support::socket::{Socket, SocketReader};
use crate::support::{Options, TestApp, User, json_of, spawn_app, spawn_app_with};
use pingme_api::config::ChatConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn history(app: &TestApp, user: &User, query: &str) -> Value {
    json_of(
        get(app, &format!("/api/messages/{query}"), Some(user)).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn members_exchange_messages_and_the_history_shows_them() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;
    let mut a = app.socket(server, channel, &ann).await;
    let mut b = app.socket(server, channel, &bob).await;

    a.send(json!({"type": "message", "message": "  hello bob  "}))
        .await;
    for socket in [&mut a, &mut b] {
        let frame = socket.next().await;
        assert_eq!(frame.as_object().unwrap().len(), 1, "{frame}");
        let message = &frame["message"];
        assert_eq!(message["content"], "hello bob");
        assert_eq!(
            message["user"],
            json!({"id": ann.id, "username": "ann", "image_url": message["user"]["image_url"]})
        );
        assert!(
            message["user"]["image_url"]
                .as_str()
                .unwrap()
                .starts_with("http")
        );
        assert!(
            message["timestamp_created"]
                .as_str()
                .unwrap()
                .ends_with('Z')
        );
        assert_eq!(message["timestamp_created"], message["timestamp_updated"]);
    }
    b.send(json!({"message": "hi ann", "nonce": "b-1"})).await;
    for socket in [&mut a, &mut b] {
        let frame = socket.next().await;
        assert_eq!(
            (&frame["message"]["content"], &frame["nonce"]),
            (&json!("hi ann"), &json!("b-1"))
        );
    }

    let listed = history(&app, &ann, &format!("?channel_id={channel}")).await;
    let contents: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["hello bob", "hi ann"]);
    let mut me = json_of(
        get(&app, "/api/account/me/", Some(&ann)).await,
        StatusCode::OK,
    )
    .await;
    // `is_staff` is for the account's owner only (docs/api.md, Accounts).
    me.as_object_mut().unwrap().remove("is_staff");
    assert_eq!(
        listed[0]["user"], me,
        "REST messages carry the full Account object"
    );
    assert!(listed[0]["id"].as_i64() < listed[1]["id"].as_i64());
}

#[tokio::test]
async fn handshakes_are_refused_with_the_contract_statuses() {
    let origin = "http://client.example";
    let app = spawn_app_with(Options {
        cors_origins: vec![origin.into()],
        ..Options::default()
    })
    .await;
    let (owner, outsider) = (
        app.quick_user("host", false).await,
        app.quick_user("out", false).await,
    );
    let (server, channel) = room(&app, &owner, &[]).await;
    let (other_server, other_channel) = room(&app, &owner, &[]).await;
    let refresh = app.login("host", crate::support::PASSWORD).await.refresh;
    let base = app.url.replacen("http://", "ws://", 1);
    let cases = [
        (format!("{base}/{server}/{channel}"), None, 403, "no token"),
        (
            app.socket_url(server, channel, "garbage"),
            None,
            403,
            "a bad token",
        ),
        (
            app.socket_url(server, channel, &refresh),
            None,
            403,
            "a refresh token",
        ),
        (
            app.socket_url(server, 424_242, &owner.access),
            None,
            404,
            "no such channel",
        ),
        (
            app.socket_url(server, other_channel, &owner.access),
            None,
            404,
            "a channel of another server",
        ),
        (
            app.socket_url(other_server + 1000, channel, &owner.access),
            None,
            404,
            "the wrong server",
        ),
        (
            app.socket_url(server, channel, &outsider.access),
            None,
            403,
            "not a member",
        ),
        (
            app.socket_url(server, channel, &owner.access),
            Some("http://evil.example"),
            403,
            "a foreign origin",
        ),
    ];
    for (url, origin, status, case) in cases {
        assert_eq!(
            app.try_socket(&url, origin).await.err(),
            Some(status),
            "{case}"
        );
    }
    assert!(
        app.try_socket(
            &app.socket_url(server, channel, &owner.access),
            Some(origin)
        )
        .await
        .is_ok()
    );
    assert!(
        app.try_socket(&app.socket_url(server, channel, &owner.access), None)
            .await
            .is_ok(),
        "no Origin: not a browser"
    );
    let plain = app
        .client
        .get(app.at(&format!("/{server}/{channel}?token={}", owner.access)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(plain, StatusCode::BAD_REQUEST).await["detail"],
        "This address takes WebSocket connections only."
    );
    assert_eq!(
        app.client
            .get(app.at("/abc/def"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_socket_stays_open() {
    let chat = ChatConfig {
        max_message_chars: 10,
        ..ChatConfig::default()
    };
    let app = spawn_app_with(Options {
        chat,
        ..Options::default()
    })
    .await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let mut socket = app.socket(server, channel, &ann).await;
    let cases: [(Message, &str); 9] = [
        (Message::text("{not json"), "invalid_json"),
        (Message::text("[1, 2]"), "invalid_frame"),
        (
            Message::text(json!({"type": "dance"}).to_string()),
            "unknown_type",
        ),
        (
            Message::text(json!({"nothing": true}).to_string()),
            "invalid_frame",
        ),
        (Message::binary(vec![1, 2, 3]), "binary_not_supported"),
        (
            Message::text(json!({"message": "   "}).to_string()),
            "empty_message",
        ),
        (
            Message::text(json!({"message": "eleven chars"}).to_string()),
            "invalid_message",
        ),
        (
            Message::text(json!({"message": 42}).to_string()),
            "invalid_message",
        ),
        (
            Message::text(json!({"message": "ok", "nonce": "n".repeat(101)}).to_string()),
            "invalid_nonce",
        ),
    ];
    for (frame, code) in cases {
        socket.send_raw(frame).await;
        let reply = socket.next().await;
        assert_eq!(
            (&reply["event"], &reply["data"]["code"]),
            (&json!("error"), &json!(code)),
            "{reply}"
        );
        assert!(reply["data"]["detail"].is_string());
        assert!(reply.get("message").is_none());
    }
    socket.send(json!({"message": "still here"})).await;
    assert_eq!(socket.next().await["message"]["content"], "still here");
    let stored = history(&app, &ann, &format!("?channel_id={channel}")).await;
    assert_eq!(
        stored.as_array().unwrap().len(),
        1,
        "nothing was stored for the bad frames"
    );
}

#[tokio::test]
async fn frames_over_16_kib_close_the_socket_with_1009() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let mut socket = app.socket(server, channel, &ann).await;
    socket.send(json!({"message": "x".repeat(17 * 1024)})).await;
    assert_eq!(socket.closed().await.0, 1009);
}

#[tokio::test]
async fn edits_deletes_and_typing_reach_the_channel() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;
    let mut a = app.socket(server, channel, &ann).await;
    let mut b = app.socket(server, channel, &bob).await;
    b.send(json!({"message": "typo hree"})).await;
    let id = a.next().await["message"]["id"].as_i64().unwrap();
    b.next().await;

    let path = format!("/api/messages/{id}/");
    assert_eq!(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(&ann),
            Some(json!({"content": "mine now"}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    let edited = json_of(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(&bob),
            Some(json!({"content": "typo here"})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["content"], "typo here");
    for socket in [&mut a, &mut b] {
        let frame = socket.next().await;
        assert_eq!(
            (
                &frame["event"],
                &frame["data"]["id"],
                &frame["data"]["content"]
            ),
            (&json!("message_update"), &json!(id), &json!("typo here"))
        );
        assert!(frame.get("message").is_none());
    }
    let blank = call(
        &app,
        Method::PATCH,
        &path,
        Some(&bob),
        Some(json!({"content": "  "})),
    )
    .await;
    assert_eq!(
        json_of(blank, StatusCode::BAD_REQUEST).await,
        json!({"content": ["This field may not be blank."]})
    );
    // A partial update without `content` changes nothing and tells nobody: the next frame
    // the sockets get is the typing event below.
    let unchanged = call(&app, Method::PATCH, &path, Some(&bob), Some(json!({}))).await;
    assert_eq!(json_of(unchanged, StatusCode::OK).await, edited);

    b.send(json!({"type": "typing"})).await;
    assert_eq!(
        a.next().await,
        json!({"event": "typing", "data": {"user_id": bob.id, "channel_id": channel}})
    );
    assert_eq!(
        b.silent_for(Duration::from_millis(300)).await,
        None,
        "the typist is not told"
    );

    // The server's owner may delete anyone's message.
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&ann), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    for socket in [&mut a, &mut b] {
        assert_eq!(
            socket.next().await,
            json!({"event": "message_delete", "data": {"id": id}})
        );
    }
    assert_eq!(
        get(&app, &path, Some(&ann)).await.status(),
        StatusCode::NOT_FOUND
    );
    only_the_sender_and_the_owner_may_change_messages(&app, (server, channel), &ann, &bob).await;
}

/// A member who neither sent a message nor owns the server can neither edit nor delete it,
/// and a sender who left can no longer touch theirs.
async fn only_the_sender_and_the_owner_may_change_messages(
    app: &TestApp,
    (server, channel): (i64, i64),
    owner: &User,
    sender: &User,
) {
    let other = app.quick_user("other", false).await;
    post(
        app,
        &format!("/api/servers/{server}/add_member/"),
        &other,
        json!({}),
    )
    .await;
    let mut socket = app.socket(server, channel, sender).await;
    socket.send(json!({"message": "mine"})).await;
    let path = format!("/api/messages/{}/", socket.next().await["message"]["id"]);
    let edit = Some(json!({"content": "theirs"}));
    assert_eq!(
        call(app, Method::PATCH, &path, Some(&other), edit.clone())
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(app, Method::DELETE, &path, Some(&other), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    post(
        app,
        &format!("/api/servers/{server}/remove_member/"),
        sender,
        json!({}),
    )
    .await;
    assert_eq!(socket.closed().await.0, 4403);
    assert_eq!(
        call(app, Method::PATCH, &path, Some(sender), edit)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(app, Method::DELETE, &path, Some(sender), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(app, &path, Some(owner)).await.status(),
        StatusCode::OK,
        "still there"
    );
}

#[tokio::test]
async fn removals_close_the_sockets_concerned() {
    let app = spawn_app().await;
    let (owner, kicked, leaver, doomed, banned) = (
        app.quick_user("own", false).await,
        app.quick_user("kicked", false).await,
        app.quick_user("leaver", false).await,
        app.quick_user("doomed", false).await,
        app.quick_user("banned", false).await,
    );
    let (server, channel) = room(&app, &owner, &[&kicked, &leaver, &doomed, &banned]).await;
    let mut banned_socket = app.socket(server, channel, &banned).await;
    let mut kicked_socket = app.socket(server, channel, &kicked).await;
    let mut leaver_socket = app.socket(server, channel, &leaver).await;
    let mut doomed_socket = app.socket(server, channel, &doomed).await;
    let mut owner_socket = app.socket(server, channel, &owner).await;

    post(
        &app,
        &format!("/api/servers/{server}/kick/"),
        &owner,
        json!({"account": kicked.id}),
    )
    .await;
    assert_eq!(kicked_socket.closed().await.0, 4403);
    post(
        &app,
        &format!("/api/servers/{server}/remove_member/"),
        &leaver,
        json!({}),
    )
    .await;
    assert_eq!(leaver_socket.closed().await.0, 4403);
    app.delete_me(&doomed.access).await;
    assert_eq!(doomed_socket.closed().await.0, 4403);
    post(
        &app,
        &format!("/api/servers/{server}/ban/"),
        &owner,
        json!({"account": banned.id}),
    )
    .await;
    assert_eq!(banned_socket.closed().await.0, 4403);

    owner_socket.send(json!({"message": "still open"})).await;
    assert_eq!(
        owner_socket.next().await["message"]["content"],
        "still open"
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/channels/{channel}/"),
            Some(&owner),
            None
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(owner_socket.closed().await.0, 4404);

    let second = json_of(
        post(
            &app,
            "/api/channels/",
            &owner,
            json!({"name": "second", "server": server}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let mut socket = app
        .socket(server, second["id"].as_i64().unwrap(), &owner)
        .await;
    call(
        &app,
        Method::DELETE,
        &format!("/api/servers/{server}/"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(socket.closed().await.0, 4404);
    app.sockets_down_to(0).await;
}

/// A removal whose event this node never saw (written straight to the store, as another
/// process or a lost bus message would leave it) must not let a socket in, however long the
/// read cache would keep the membership for short reads.
#[tokio::test]
async fn the_handshake_asks_the_database_not_the_read_cache() {
    let app = spawn_app_with(Options {
        cache_ttl: Duration::from_secs(600),
        ..Options::default()
    })
    .await;
    let (owner, member) = (
        app.quick_user("own", false).await,
        app.quick_user("member", false).await,
    );
    let (server, channel) = room(&app, &owner, &[&member]).await;
    // Reading the history puts the membership in this node's cache.
    history(&app, &member, &format!("?channel_id={channel}")).await;
    app.store
        .leave(
            pingme_domain::ServerId(server),
            pingme_domain::AccountId(member.id),
        )
        .await
        .unwrap();
    let url = app.socket_url(server, channel, &member.access);
    assert_eq!(app.try_socket(&url, None).await.err(), Some(403));
}

#[tokio::test]
async fn senders_past_their_rate_get_an_error_frame_and_nothing_is_stored() {
    let app = spawn_app_with(Options::messages_per_minute(2)).await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let mut socket = app.socket(server, channel, &ann).await;
    for n in 0..2 {
        socket.send(json!({"message": format!("m{n}")})).await;
        socket.next().await;
    }
    socket.send(json!({"message": "one too many"})).await;
    let reply = socket.next().await;
    assert_eq!(reply["data"]["code"], "rate_limited");
    assert!(
        reply["data"]["retry_after_ms"].as_u64().unwrap() > 1000,
        "{reply}"
    );
    assert_eq!(
        history(&app, &ann, &format!("?channel_id={channel}"))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Typing notices: one per 3 s per account and channel, the rest dropped quietly.
    let bob = app.quick_user("bob", false).await;
    post(
        &app,
        &format!("/api/servers/{server}/add_member/"),
        &bob,
        json!({}),
    )
    .await;
    let mut typist = app.socket(server, channel, &bob).await;
    for _ in 0..3 {
        typist.send(json!({"type": "typing"})).await;
    }
    assert_eq!(socket.next().await["event"], "typing");
    assert_eq!(
        socket.silent_for(Duration::from_millis(500)).await,
        None,
        "one notice, not three"
    );
    assert_eq!(
        typist.silent_for(Duration::from_millis(100)).await,
        None,
        "and no error frame"
    );
}

/// A socket's frames sent back to back are queued without waiting for each commit (the
/// reader keeps several messages in flight), yet the client sees everything in the order it
/// sent: its messages with growing ids, and each error frame after the echoes of the
/// messages sent before it.
#[tokio::test]
async fn a_burst_of_frames_is_answered_in_the_order_it_was_sent() {
    let app = spawn_app_with(Options::messages_per_minute(12)).await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let mut socket = app.socket(server, channel, &ann).await;
    let mut expected = Vec::new();
    for n in 0..12 {
        socket
            .send(json!({"message": format!("m{n}"), "nonce": format!("n{n}")}))
            .await;
        expected.push(format!("m{n}"));
        if n == 5 {
            socket.send_raw(Message::text("{not json")).await;
            expected.push("invalid_json".into());
        }
    }
    socket.send(json!({"message": "one too many"})).await;
    expected.push("rate_limited".into());
    let mut seen = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..expected.len() {
        let frame = socket.next().await;
        match frame["data"]["code"].as_str() {
            Some(code) => seen.push(code.to_owned()),
            None => {
                let content = frame["message"]["content"].as_str().unwrap().to_owned();
                assert_eq!(frame["nonce"], format!("n{}", &content[1..]), "{frame}");
                ids.push(frame["message"]["id"].as_i64().unwrap());
                seen.push(content);
            }
        }
    }
    assert_eq!(seen, expected);
    assert!(ids.is_sorted(), "ids in the order sent: {ids:?}");
    let stored = history(&app, &ann, &format!("?channel_id={channel}")).await;
    let stored: Vec<&str> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    let sent: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with('m'))
        .collect();
    assert_eq!(stored, sent);
}

#[tokio::test]
async fn the_history_pages_by_id() {
    let app = spawn_app().await;
    let (ann, outsider) = (
        app.quick_user("ann", false).await,
        app.quick_user("out", false).await,
    );
    let (server, channel) = room(&app, &ann, &[]).await;
    assert_eq!(
        history(&app, &ann, &format!("?channel_id={channel}")).await,
        json!([]),
        "an empty channel"
    );
    let mut socket = app.socket(server, channel, &ann).await;
    let mut ids = Vec::new();
    for n in 0..120 {
        socket.send(json!({"message": format!("m{n}")})).await;
        ids.push(socket.next().await["message"]["id"].as_i64().unwrap());
    }
    let page = |query: &str| {
        let (app, ann, query) = (&app, &ann, format!("?channel_id={channel}&{query}"));
        async move {
            let page = history(app, ann, &query).await;
            let texts = page
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap().to_owned());
            texts.collect::<Vec<_>>()
        }
    };
    let latest = page("").await;
    assert_eq!(
        (latest.len(), &*latest[0], &*latest[49]),
        (50, "m70", "m119"),
        "the latest 50 by default"
    );
    assert_eq!(page("limit=1000").await.len(), 100, "at most 100");
    assert_eq!(
        page(&format!("before={}&limit=3", ids[10])).await,
        ["m7", "m8", "m9"]
    );
    assert_eq!(
        page(&format!("before={}&limit=3", ids[1])).await,
        ["m0"],
        "a short page at the start"
    );
    assert!(
        page(&format!("before={}", ids[0])).await.is_empty(),
        "before the first"
    );
    assert_eq!(
        page(&format!("after={}&limit=2", ids[117])).await,
        ["m118", "m119"]
    );
    assert!(
        page(&format!("after={}", ids[119])).await.is_empty(),
        "after the last"
    );
    assert_eq!(
        page(&format!("after={}&before={}", ids[4], ids[8])).await,
        ["m5", "m6", "m7"]
    );
    assert_eq!(
        page(&format!("after={}&limit=50", ids[69])).await.len(),
        50,
        "an exact page"
    );

    assert_eq!(history(&app, &ann, "").await, json!([]), "no channel_id");
    assert_eq!(
        history(&app, &ann, "?channel_id=abc").await,
        json!([]),
        "a non-numeric channel_id"
    );
    assert_eq!(
        get(&app, "/api/messages/?channel_id=424242", Some(&ann))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(
            &app,
            &format!("/api/messages/?channel_id={channel}"),
            Some(&outsider)
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &format!("/api/messages/?channel_id={channel}"), None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let bad = json_of(
        get(
            &app,
            &format!("/api/messages/?channel_id={channel}&limit=0"),
            Some(&ann),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        bad,
        json!({"limit": ["Ensure this value is greater than or equal to 1."]})
    );
    let bad = json_of(
        get(
            &app,
            &format!("/api/messages/?channel_id={channel}&before=x"),
            Some(&ann),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad, json!({"before": ["A valid integer is required."]}));
    assert_eq!(
        get(&app, &format!("/api/messages/{}/", ids[0]), Some(&outsider))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn messages_of_a_deleted_account_stay_under_a_placeholder() {
    let app = spawn_app().await;
    let (ann, gone) = (
        app.quick_user("ann", false).await,
        app.quick_user("gone", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&gone]).await;
    let mut socket = app.socket(server, channel, &gone).await;
    socket.send(json!({"message": "remember me"})).await;
    socket.next().await;
    app.delete_me(&gone.access).await;
    let listed = history(&app, &ann, &format!("?channel_id={channel}")).await;
    let user = &listed[0]["user"];
    assert_eq!(listed[0]["content"], "remember me");
    assert_eq!(
        (&user["id"], &user["username"]),
        (&Value::Null, &json!("Deleted User"))
    );
    assert_eq!(keys(user), ACCOUNT_KEYS);
}

#[tokio::test]
async fn idle_sockets_are_closed_and_answering_ones_kept() {
    let chat = ChatConfig {
        ping_interval: Duration::from_millis(100),
        idle_timeout: Duration::from_millis(600),
        ..ChatConfig::default()
    };
    let app = spawn_app_with(Options {
        chat,
        ..Options::default()
    })
    .await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let mut alive = app.socket(server, channel, &ann).await;
    let mut silent = app.socket(server, channel, &ann).await;
    // Reading answers the server's pings (the client library replies with pongs).
    assert_eq!(alive.silent_for(Duration::from_millis(1500)).await, None);
    alive.send(json!({"message": "still here"})).await;
    assert_eq!(alive.next().await["message"]["content"], "still here");
    let (code, reason) = silent.closed().await;
    assert_eq!((code, reason.as_str()), (1000, "silent for too long"));
    app.sockets_down_to(1).await;
}

#[tokio::test]
async fn a_slow_reader_is_closed_with_4008_and_nobody_else_misses_anything() {
    // The slow reader reads only once the fast one has read everything, however long a
    // busy machine takes for that: the close frame must wait for it that long.
    let chat = ChatConfig {
        socket_queue: 16,
        close_grace: Duration::from_secs(300),
        ..ChatConfig::default()
    };
    let app = spawn_app_with(Options {
        chat,
        ..Options::default()
    })
    .await;
    let (sender, fast, slow) = (
        app.quick_user("sender", false).await,
        app.quick_user("fast", false).await,
        app.quick_user("slow", false).await,
    );
    let (server, channel) = room(&app, &sender, &[&fast, &slow]).await;
    let mut fast_socket = app.socket(server, channel, &fast).await;
    let mut slow_socket = app.socket(server, channel, &slow).await;
    let mut sender_socket = app.socket(server, channel, &sender).await;
    let total = 4000;
    let big = "x".repeat(3900);
    let sending = tokio::spawn(async move {
        for n in 0..total {
            sender_socket
                .send(json!({"message": format!("{n} {big}")}))
                .await;
            sender_socket.next().await;
        }
    });
    for n in 0..total {
        let frame = fast_socket.next().await;
        assert!(
            frame["message"]["content"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{n} "))
        );
    }
    sending.await.unwrap();
    // Only now does the slow reader read: what fitted in the buffers, then the close.
    let (code, reason) = slow_socket.closed().await;
    assert_eq!(code, 4008, "{reason}");
    assert!(reason.contains("too slow"), "{reason}");
    // Its socket, and the sender's (dropped), are unregistered; the fast reader's remains.
    app.sockets_down_to(1).await;
}

#[tokio::test]
async fn stopping_the_server_closes_sockets_with_1001() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let mut socket: Socket = app.socket(server, channel, &ann).await;
    app.stop().await;
    assert_eq!(socket.closed().await.0, 1001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_receiver_gets_every_message_once_in_each_senders_order() {
    const SENDERS: usize = 50;
    const EACH: usize = 200;
    const RECEIVERS: usize = 20;
    // The queues are roomy: this test is about completeness and order, not slow readers.
    let chat = ChatConfig {
        socket_queue: 16_384,
        ..ChatConfig::default()
    };
    let app = spawn_app_with(Options {
        chat,
        ..Options::default()
    })
    .await;
    let owner = app.quick_user("owner", false).await;
    let mut users = Vec::new();
    for n in 0..SENDERS.max(RECEIVERS) {
        users.push(app.quick_user(&format!("user{n}"), false).await);
    }
    let members: Vec<&User> = users.iter().collect();
    let (server, channel) = room(&app, &owner, &members).await;
    // Every socket is open before anyone sends, so every socket is owed every message.
    let mut receivers = Vec::new();
    for user in users.iter().take(RECEIVERS) {
        receivers.push(app.socket(server, channel, user).await.split().1);
    }
    let mut senders = Vec::new();
    for user in users.iter().take(SENDERS) {
        senders.push(app.socket(server, channel, user).await.split());
    }

    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for (index, (mut write, read)) in senders.into_iter().enumerate() {
        // Senders read their own socket too, and get everything as well.
        readers.push(tokio::spawn(read_all(read, SENDERS, EACH)));
        writers.push(tokio::spawn(async move {
            for seq in 0..EACH {
                write
                    .send(json!({"message": format!("{index}-{seq}")}))
                    .await;
            }
            write
        }));
    }
    readers.extend(
        receivers
            .into_iter()
            .map(|read| tokio::spawn(read_all(read, SENDERS, EACH))),
    );
    let everything = async {
        let mut open = Vec::new();
        for writer in writers {
            open.push(writer.await.unwrap());
        }
        for reader in readers {
            reader.await.unwrap();
        }
        open
    };
    tokio::time::timeout(Duration::from_secs(300), everything)
        .await
        .expect("all delivered in time");
    let stored = app
        .store
        .messages(
            pingme_domain::ChannelId(channel),
            pingme_domain::messages::Page::Latest { limit: 1_000_000 },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        stored.len(),
        SENDERS * EACH,
        "the history holds exactly every message"
    );
}

/// Reads `senders * each` messages "<sender>-<seq>", checking that none comes twice and that
/// each sender's come in order.
async fn read_all(mut socket: SocketReader, senders: usize, each: usize) {
    let mut seen = std::collections::HashSet::new();
    let mut last = vec![None::<usize>; senders];
    while seen.len() < senders * each {
        let text = match socket.next().await.expect("the socket stays open") {
            Message::Text(text) => text,
            _ => continue,
        };
        let frame: Value = serde_json::from_str(text.as_str()).expect("JSON");
        let content = frame["message"]["content"].as_str().expect("a message");
        let (sender, seq) = content.split_once('-').expect("sender-seq");
        let (sender, seq): (usize, usize) = (sender.parse().unwrap(), seq.parse().unwrap());
        assert!(seen.insert((sender, seq)), "{content} twice");
        assert!(
            last[sender].is_none_or(|before| before < seq),
            "{content} out of order"
        );
        last[sender] = Some(seq);
    }
}
