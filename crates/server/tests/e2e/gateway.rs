//! The user gateway (`/api/gateway/`): hello, identify and `ready`, dispatches numbered per
//! session to exactly the sessions allowed to see them, joins and leaves applied live, read
//! states shared between a person's sessions, resume with exactly the missed dispatches, and
//! the close codes.

use crate::support::community::{call, create_server, post, room};
use crate::support::socket::Socket;
use crate::support::{Options, TestApp, User, json_of, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

impl TestApp {
    pub(crate) fn gateway_url(&self) -> String {
        format!("{}/api/gateway/", self.url.replacen("http://", "ws://", 1))
    }

    /// A gateway socket past its hello.
    pub(crate) async fn gateway(&self) -> Socket {
        let mut socket = self
            .try_socket(&self.gateway_url(), None)
            .await
            .expect("the gateway's handshake");
        let hello = socket.next().await;
        assert_eq!(hello["op"], "hello", "{hello}");
        assert!(hello["d"]["heartbeat_interval_ms"].as_u64().unwrap() > 0);
        socket
    }

    /// An identified session: its socket and its `ready`.
    pub(crate) async fn identified(&self, user: &User) -> (Socket, Value) {
        let mut socket = self.gateway().await;
        socket
            .send(json!({"op": "identify", "d": {"token": user.access}}))
            .await;
        let ready = socket.next().await;
        assert_eq!(
            (&ready["t"], &ready["s"]),
            (&json!("ready"), &json!(1)),
            "{ready}"
        );
        (socket, ready)
    }
}

/// The next dispatch: `(s, t, d)`.
pub(crate) async fn dispatch(socket: &mut Socket) -> (u64, String, Value) {
    let frame = socket.next().await;
    assert_eq!(frame["op"], "dispatch", "{frame}");
    let seq = frame["s"].as_u64().expect("s");
    let name = frame["t"].as_str().expect("t").to_owned();
    (seq, name, frame["d"].clone())
}

pub(crate) async fn send(app: &TestApp, user: &User, channel: i64, text: &str) -> Value {
    let body = json!({"channel_id": channel, "content": text, "nonce": text});
    json_of(
        post(app, "/api/messages/", user, body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Reads the presence updates that reach the socket shortly after sessions were opened (of
/// people coming online, and of the person's own other sessions, each at the server's own
/// pace): the number of the last dispatch read.
pub(crate) async fn settled(socket: &mut Socket, mut last: u64) -> u64 {
    while let Some(frame) = socket.silent_for(Duration::from_millis(400)).await {
        assert_eq!(frame["t"], "presence_update", "{frame}");
        last = frame["s"].as_u64().expect("s");
    }
    last
}

async fn quiet(socket: &mut Socket) {
    assert_eq!(socket.silent_for(Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn ready_draws_the_first_screen() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;
    send(&app, &ann, channel, &format!("hi <@{}>", bob.id)).await;
    let last = send(&app, &ann, channel, "still there?").await;
    let (_, ready) = app.identified(&bob).await;
    let data = &ready["d"];
    assert!(data["session_id"].as_str().is_some_and(|s| s.len() == 32));
    assert_eq!(
        (&data["user"]["id"], &data["user"]["is_staff"]),
        (&json!(bob.id), &json!(false))
    );
    // Nobody else is online: the only presence is Bob's own.
    assert_eq!(
        (&data["dms"], &data["presences"]),
        (
            &json!([]),
            &json!([{"user_id": bob.id, "status": "online"}])
        )
    );
    let servers = data["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0]["id"], server);
    let general = &servers[0]["channel_server"][0];
    assert_eq!(general["id"], channel);
    assert_eq!(general["last_message_id"], last["id"]);
    assert_eq!(
        (
            &general["read_state"]["unread_count"],
            &general["read_state"]["mention_count"]
        ),
        (&json!(2), &json!(1))
    );
    let (_, stranger_ready) = app.identified(&app.quick_user("sam", false).await).await;
    assert_eq!(stranger_ready["d"]["servers"], json!([]));
}

#[tokio::test]
async fn dispatches_reach_exactly_the_members_numbered_per_session() {
    let app = spawn_app().await;
    let (ann, bob, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("sam", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let (mut a, _) = app.identified(&ann).await;
    let (mut b, _) = app.identified(&bob).await;
    let (mut stranger, _) = app.identified(&sam).await;
    // Ann sees Bob come online.
    let (seq, name, data) = dispatch(&mut a).await;
    assert_eq!((seq, name.as_str()), (2, "presence_update"));
    assert_eq!(data, json!({"user_id": bob.id, "status": "online"}));
    let at = [settled(&mut a, 2).await, settled(&mut b, 1).await];

    let sent = send(&app, &ann, channel, "hello").await;
    for (socket, at) in [&mut a, &mut b].into_iter().zip(at) {
        let (seq, name, data) = dispatch(socket).await;
        assert_eq!((seq, name.as_str()), (at + 1, "message_create"));
        assert_eq!(data["id"], sent["id"]);
        assert_eq!(
            (&data["channel_id"], &data["nonce"]),
            (&json!(channel), &json!("hello"))
        );
        assert_eq!(data["user"]["id"], ann.id);
    }
    // Typing goes to the others only.
    b.send(json!({"op": "typing", "d": {"channel_id": channel}}))
        .await;
    let (seq, name, data) = dispatch(&mut a).await;
    assert_eq!(
        (seq, name.as_str(), &data["user_id"]),
        (at[0] + 2, "typing_start", &json!(bob.id))
    );
    let id = sent["id"].as_i64().unwrap();
    let edit = json!({"content": "hello again"});
    let path = format!("/api/messages/{id}/");
    call(&app, Method::PATCH, &path, Some(&ann), Some(edit)).await;
    call(&app, Method::DELETE, &path, Some(&ann), None).await;
    let (seq, name, data) = dispatch(&mut a).await;
    assert_eq!(
        (seq, name.as_str(), &data["content"]),
        (at[0] + 3, "message_update", &json!("hello again"))
    );
    assert_eq!(dispatch(&mut a).await.1, "message_delete");
    assert_eq!(
        dispatch(&mut b).await.0,
        at[1] + 2,
        "bob's own numbering: no typing of his own"
    );
    let (seq, name, data) = dispatch(&mut b).await;
    assert_eq!(
        (seq, name.as_str(), &data["id"]),
        (at[1] + 3, "message_delete", &json!(id))
    );
    quiet(&mut stranger).await;
}

#[tokio::test]
async fn a_joiner_gets_the_servers_events_from_then_on_and_a_leaver_none_after_leaving() {
    let app = spawn_app().await;
    let (ann, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("sam", false).await,
    );
    let (server, channel) = room(&app, &ann, &[]).await;
    let (mut s, _) = app.identified(&sam).await;
    post(
        &app,
        &format!("/api/servers/{server}/add_member/"),
        &sam,
        json!({}),
    )
    .await;
    let (_, name, data) = dispatch(&mut s).await;
    assert_eq!(
        (name.as_str(), &data["user"]["id"], &data["server_id"]),
        ("member_add", &json!(sam.id), &json!(server))
    );
    send(&app, &ann, channel, "welcome").await;
    assert_eq!(dispatch(&mut s).await.1, "message_create");
    post(
        &app,
        &format!("/api/servers/{server}/remove_member/"),
        &sam,
        json!({}),
    )
    .await;
    let (_, name, data) = dispatch(&mut s).await;
    assert_eq!(
        (name.as_str(), &data["user_id"]),
        ("member_remove", &json!(sam.id))
    );
    send(&app, &ann, channel, "after you left").await;
    quiet(&mut s).await;
}

#[tokio::test]
async fn channel_and_server_changes_reach_the_members() {
    let app = spawn_app().await;
    let (ann, bob, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("sam", false).await,
    );
    let (server, _) = room(&app, &ann, &[&bob]).await;
    let (mut b, _) = app.identified(&bob).await;
    let (mut stranger, _) = app.identified(&sam).await;
    let made = post(
        &app,
        "/api/channels/",
        &ann,
        json!({"name": "news", "server": server}),
    )
    .await;
    let channel = json_of(made, StatusCode::CREATED).await;
    let (_, event, data) = dispatch(&mut b).await;
    assert_eq!((event.as_str(), &data), ("channel_create", &channel));
    let id = channel["id"].as_i64().unwrap();
    let rename = json!({"name": "headlines"});
    call(
        &app,
        Method::PATCH,
        &format!("/api/channels/{id}/"),
        Some(&ann),
        Some(rename),
    )
    .await;
    let (_, event, data) = dispatch(&mut b).await;
    assert_eq!(
        (event.as_str(), &data["name"]),
        ("channel_update", &json!("headlines"))
    );
    let renamed = json!({"name": "Renamed"});
    let answer = call(
        &app,
        Method::PATCH,
        &format!("/api/servers/{server}/"),
        Some(&ann),
        Some(renamed),
    )
    .await;
    let updated = json_of(answer, StatusCode::OK).await;
    let (_, event, data) = dispatch(&mut b).await;
    assert_eq!(
        (event.as_str(), &data["name"], &data["id"]),
        ("server_update", &json!("Renamed"), &json!(server))
    );
    assert_eq!(data["channel_server"], updated["channel_server"]);
    call(
        &app,
        Method::DELETE,
        &format!("/api/channels/{id}/"),
        Some(&ann),
        None,
    )
    .await;
    let (_, event, data) = dispatch(&mut b).await;
    assert_eq!(
        (event.as_str(), &data),
        ("channel_delete", &json!({"id": id, "server_id": server}))
    );
    quiet(&mut stranger).await;
}

/// Both ways of joining with an invite: `add_member` with `invite`, and accepting it.
#[tokio::test]
async fn joining_a_private_server_by_invite_is_announced_too() {
    let app = spawn_app().await;
    let (owner, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("sam", false).await,
    );
    let (mut s, _) = app.identified(&sam).await;
    for by_add_member in [true, false] {
        let name = if by_add_member { "Club" } else { "Den" };
        let server = create_server(&app, &owner, name, true).await["id"]
            .as_i64()
            .unwrap();
        let invites = format!("/api/servers/{server}/invites/");
        let invite = json_of(
            post(&app, &invites, &owner, json!({})).await,
            StatusCode::CREATED,
        )
        .await;
        let code = invite["code"].as_str().unwrap().to_owned();
        let joined = match by_add_member {
            true => {
                let path = format!("/api/servers/{server}/add_member/");
                post(&app, &path, &sam, json!({"invite": code})).await
            }
            false => {
                post(
                    &app,
                    &format!("/api/invites/{code}/accept/"),
                    &sam,
                    json!({}),
                )
                .await
            }
        };
        assert!(joined.status().is_success(), "{}", joined.status());
        let (_, event, data) = dispatch(&mut s).await;
        assert_eq!(
            (event.as_str(), &data["server_id"]),
            ("member_add", &json!(server))
        );
    }
}

#[tokio::test]
async fn an_ack_reaches_the_persons_other_sessions() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let (mut phone, _) = app.identified(&bob).await;
    let (mut desk, _) = app.identified(&bob).await;
    let first = send(&app, &ann, channel, "one").await;
    send(&app, &ann, channel, "two").await;
    for socket in [&mut phone, &mut desk] {
        dispatch(socket).await;
        dispatch(socket).await;
    }
    phone
        .send(json!({"op": "ack", "d": {"channel_id": channel, "message_id": first["id"]}}))
        .await;
    let (seq, name, data) = dispatch(&mut desk).await;
    assert_eq!((seq, name.as_str()), (4, "read_state_update"));
    assert_eq!(
        (
            &data["channel_id"],
            &data["last_read_id"],
            &data["unread_count"]
        ),
        (&json!(channel), &first["id"], &json!(1))
    );
    quiet(&mut phone).await;
    // Over REST, every session hears of it.
    let ack = json!({"message_id": first["id"].as_i64().unwrap() + 1});
    call(
        &app,
        Method::POST,
        &format!("/api/channels/{channel}/ack/"),
        Some(&bob),
        Some(ack),
    )
    .await;
    assert_eq!(dispatch(&mut phone).await.1, "read_state_update");
    assert_eq!(dispatch(&mut desk).await.2["unread_count"], 0);
}

#[tokio::test]
async fn a_resume_replays_exactly_the_missed_dispatches_then_goes_on() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let (mut b, ready) = app.identified(&bob).await;
    let session = ready["d"]["session_id"].clone();
    send(&app, &ann, channel, "seen").await;
    assert_eq!(dispatch(&mut b).await.0, 2);
    drop(b);
    app.gateway_sessions_detached().await;
    for text in ["missed 1", "missed 2"] {
        send(&app, &ann, channel, text).await;
    }
    let mut again = app.gateway().await;
    let resume =
        json!({"op": "resume", "d": {"token": bob.access, "session_id": session, "seq": 2}});
    again.send(resume).await;
    for (seq, text) in [(3, "missed 1"), (4, "missed 2")] {
        let (s, name, data) = dispatch(&mut again).await;
        assert_eq!(
            (s, name.as_str(), &data["content"]),
            (seq, "message_create", &json!(text))
        );
    }
    assert_eq!(
        dispatch(&mut again).await,
        (4, "resumed".to_owned(), json!({}))
    );
    send(&app, &ann, channel, "live").await;
    assert_eq!(dispatch(&mut again).await.0, 5);

    // A session nobody has: invalid_session, and identifying anew on the same socket works.
    let mut lost = app.gateway().await;
    let unknown =
        json!({"op": "resume", "d": {"token": bob.access, "session_id": "0".repeat(32), "seq": 9}});
    lost.send(unknown).await;
    assert_eq!(
        lost.next().await,
        json!({"op": "invalid_session", "d": {"resumable": false}})
    );
    lost.send(json!({"op": "identify", "d": {"token": bob.access}}))
        .await;
    assert_eq!(dispatch(&mut lost).await.1, "ready");
}

#[tokio::test]
async fn a_heartbeats_seq_lets_go_of_what_the_client_has() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let (mut b, ready) = app.identified(&bob).await;
    let session = ready["d"]["session_id"].clone();
    for text in ["seen 1", "seen 2"] {
        send(&app, &ann, channel, text).await;
    }
    assert_eq!(dispatch(&mut b).await.0, 2);
    assert_eq!(dispatch(&mut b).await.0, 3);
    b.send(json!({"op": "heartbeat", "d": {"seq": 3}})).await;
    assert_eq!(b.next().await, json!({"op": "heartbeat_ack", "d": null}));
    drop(b);
    app.gateway_sessions_detached().await;
    send(&app, &ann, channel, "missed").await;
    let mut again = app.gateway().await;
    let resume = |seq: u64| json!({"op": "resume", "d": {"token": bob.access, "session_id": session, "seq": seq}});
    // 3 was acknowledged: what came before it is no longer kept.
    again.send(resume(2)).await;
    assert_eq!(
        again.next().await,
        json!({"op": "invalid_session", "d": {"resumable": false}})
    );
    again.send(resume(3)).await;
    let (s, name, data) = dispatch(&mut again).await;
    assert_eq!(
        (s, name.as_str(), &data["content"]),
        (4, "message_create", &json!("missed"))
    );
    assert_eq!(
        dispatch(&mut again).await,
        (4, "resumed".to_owned(), json!({}))
    );
}

#[tokio::test]
async fn bad_tokens_and_bad_frames_get_the_contracts_close_codes() {
    let app = spawn_app().await;
    let (ann, staff) = (
        app.quick_user("ann", false).await,
        app.quick_user("stella", true).await,
    );
    let mut bad = app.gateway().await;
    bad.send(json!({"op": "identify", "d": {"token": "not a token"}}))
        .await;
    assert_eq!(bad.closed().await.0, 4003);

    let (mut s, _) = app.identified(&ann).await;
    s.send(json!({"op": "heartbeat", "d": {"seq": 1}})).await;
    assert_eq!(s.next().await, json!({"op": "heartbeat_ack", "d": null}));
    s.send(json!({"op": "dance"})).await;
    let error = s.next().await;
    assert_eq!(
        (&error["op"], &error["d"]["code"]),
        (&json!("error"), &json!("unknown_op"))
    );
    for _ in 0..9 {
        s.send(json!({"op": "ack", "d": {}})).await;
    }
    assert_eq!(
        s.closed().await.0,
        4002,
        "malformed frames, again and again"
    );

    // Deactivation revokes the account's tokens: its sessions close with 4004, and the token
    // identifies no more.
    let (mut live, _) = app.identified(&ann).await;
    let deactivate = format!("/api/admin/accounts/{}/deactivate/", ann.id);
    json_of(
        post(&app, &deactivate, &staff, json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(live.closed().await.0, 4004);
    let mut refused = app.gateway().await;
    refused
        .send(json!({"op": "identify", "d": {"token": ann.access}}))
        .await;
    assert_eq!(refused.closed().await.0, 4004);
}

#[tokio::test]
async fn an_owner_deleting_their_account_hands_the_server_over_and_leaves_it() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, _) = room(&app, &ann, &[&bob]).await;
    let (mut b, _) = app.identified(&bob).await;
    assert_eq!(
        app.delete_me(&ann.access).await.status(),
        StatusCode::NO_CONTENT
    );
    let (_, name, data) = dispatch(&mut b).await;
    assert_eq!(
        (name.as_str(), &data["server_id"], &data["user_id"]),
        ("member_remove", &json!(server), &json!(ann.id))
    );
    let (_, name, data) = dispatch(&mut b).await;
    assert_eq!(
        (name.as_str(), &data["id"]),
        ("server_update", &json!(server))
    );
    assert_eq!(data["owner_id"], bob.id, "{data}");
    quiet(&mut b).await;
}

#[tokio::test]
async fn a_socket_that_never_identifies_is_closed_with_4001() {
    let app = spawn_app().await;
    let mut silent = app.gateway().await;
    let started = std::time::Instant::now();
    // The helper waits 10 s for a frame at most: the first 5 s pass first.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(silent.closed().await.0, 4001);
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stopping_the_server_closes_gateway_sockets_with_1001() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let (mut s, _) = app.identified(&ann).await;
    app.stop().await;
    assert_eq!(s.closed().await.0, 1001);
}

impl TestApp {
    /// Waits until no gateway session has a socket (the server noticed a client went).
    pub(crate) async fn gateway_sessions_detached(&self) {
        self.gateway_sockets_down_to(0).await;
    }

    /// Waits until at most `count` gateway sessions have a socket.
    pub(crate) async fn gateway_sockets_down_to(&self, count: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.gateway.attached() > count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "a gateway socket stayed attached"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn a_flood_of_frames_is_refused_then_closed_and_identifies_are_limited() {
    // Rate limits on (the frame budget is on whatever they say).
    let app = spawn_app_with(Options::messages_per_minute(100)).await;
    let ann = app.quick_user("ann", false).await;
    let (mut socket, _) = app.identified(&ann).await;
    // 120 frames in ten seconds (the identify among them) are carried out; the next are
    // refused, ten in a row close.
    for _ in 0..119 {
        socket.send(json!({"op": "heartbeat", "d": null})).await;
        assert_eq!(socket.next().await["op"], "heartbeat_ack");
    }
    for _ in 0..9 {
        socket.send(json!({"op": "heartbeat", "d": null})).await;
        let refused = socket.next().await;
        assert_eq!(
            (&refused["op"], &refused["d"]["code"]),
            (&json!("error"), &json!("rate_limited"))
        );
    }
    socket.send(json!({"op": "heartbeat", "d": null})).await;
    assert_eq!(socket.closed().await.0, 4002);

    // Ten identifies of one account at once; the next waits.
    for _ in 0..9 {
        app.identified(&ann).await;
    }
    let mut socket = app.gateway().await;
    socket
        .send(json!({"op": "identify", "d": {"token": ann.access}}))
        .await;
    let refused = socket.next().await;
    assert_eq!(refused["d"]["code"], "rate_limited", "{refused}");
    assert!(refused["d"]["retry_after_ms"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn saying_again_what_was_read_or_the_status_one_has_is_never_refused() {
    let app = spawn_app_with(Options::messages_per_minute(100)).await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;
    let sent = send(&app, &ann, channel, "hello").await;
    let (mut b, _) = app.identified(&bob).await;
    // Bob leaves; his client says again what it read there: ignored, not a strike.
    let leave = format!("/api/servers/{server}/remove_member/");
    post(&app, &leave, &bob, json!({})).await;
    assert_eq!(dispatch(&mut b).await.1, "member_remove");
    for _ in 0..12 {
        b.send(json!({"op": "ack", "d": {"channel_id": channel, "message_id": sent["id"]}}))
            .await;
        // The status he has, said again and again: free, however often.
        b.send(json!({"op": "presence", "d": {"status": "online"}}))
            .await;
    }
    b.send(json!({"op": "heartbeat", "d": null})).await;
    assert_eq!(
        b.next().await["op"],
        "heartbeat_ack",
        "no error frame before it"
    );
}

/// The gateway writes its own frames (`gateway/wire.rs`): the library's answers to a client's
/// ping and close still go out, whole, and large frames arrive as one message.
#[tokio::test]
async fn pings_are_answered_closes_are_returned_and_large_frames_arrive_whole() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    const SERVERS: usize = 120;
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    // A `ready` past 64 KiB (the longest length form of a frame): servers with long
    // descriptions.
    let category = crate::support::community::category_id(&app, "gaming").await;
    for n in 0..SERVERS {
        let body = json!({"name": format!("Server {n}"), "category": category,
            "description": "d".repeat(255)});
        let created = post(&app, "/api/servers/", &ann, body).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let (mut raw, _) = tokio_tungstenite::connect_async(app.gateway_url())
        .await
        .unwrap();
    let text = |message: Option<Result<Message, _>>| -> Value {
        match message {
            Some(Ok(Message::Text(text))) => serde_json::from_str(&text).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    };
    assert_eq!(text(raw.next().await)["op"], "hello");
    raw.send(Message::Ping("are you there".into()))
        .await
        .unwrap();
    match raw.next().await {
        Some(Ok(Message::Pong(payload))) => assert_eq!(&payload[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
    let identify = json!({"op": "identify", "d": {"token": ann.access}});
    raw.send(Message::Text(identify.to_string().into()))
        .await
        .unwrap();
    let ready = loop {
        let frame = text(raw.next().await);
        if frame["t"] == "ready" {
            break frame;
        }
    };
    assert_eq!(ready["d"]["servers"].as_array().unwrap().len(), SERVERS);
    assert!(ready.to_string().len() > 65_536);
    raw.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    })))
    .await
    .unwrap();
    loop {
        match raw.next().await {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 1000);
                break;
            }
            Some(Ok(Message::Text(_))) => continue,
            other => panic!("expected the server's close, got {other:?}"),
        }
    }
}

/// Pings count as frames (a flood is refused, then closed with 4002), are answered while the
/// session is served, and a client's close is answered with its own code.
#[tokio::test]
async fn pings_are_answered_and_counted_and_a_close_is_echoed() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let identified = || async {
        let (mut raw, _) = tokio_tungstenite::connect_async(app.gateway_url())
            .await
            .unwrap();
        let identify = json!({"op": "identify", "d": {"token": ann.access}});
        raw.send(Message::Text(identify.to_string().into()))
            .await
            .unwrap();
        loop {
            if let Some(Ok(Message::Text(text))) = raw.next().await
                && text.contains(r#""t":"ready""#)
            {
                return raw;
            }
        }
    };
    let mut raw = identified().await;
    raw.send(Message::Ping("served".into())).await.unwrap();
    let pong = loop {
        match raw.next().await {
            Some(Ok(Message::Pong(payload))) => break payload,
            Some(Ok(Message::Text(_))) => continue,
            other => panic!("expected a pong, got {other:?}"),
        }
    };
    assert_eq!(&pong[..], b"served");
    raw.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "".into(),
    })))
    .await
    .unwrap();
    let echoed = loop {
        match raw.next().await {
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            Some(Ok(_)) => continue,
            other => panic!("expected the server's close, got {other:?}"),
        }
    };
    assert_eq!(echoed, 1001);

    // A flood of pings: the frame budget (120 per 10 s) counts them too.
    let mut flooding = identified().await;
    for _ in 0..200 {
        if flooding.send(Message::Ping("x".into())).await.is_err() {
            break;
        }
    }
    let mut refused = 0;
    let code = loop {
        match flooding.next().await {
            Some(Ok(Message::Text(text))) if text.contains("rate_limited") => refused += 1,
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close, got {other:?}"),
        }
    };
    assert!(refused > 0);
    assert_eq!(code, 4002);
}
