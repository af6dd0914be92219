//! Who receives what on the gateway: each kind of dispatch against each kind of viewer — the
//! actor's other session, a member of the server, someone in no server with the actor —
//! checked exactly, on one node and with the viewers on another node than the one the
//! changes are made through; presence updates among them, and a direct message's dispatches
//! (its people's sessions only; blocked people: `dms.rs`).

use crate::gateway::{dispatch, send, settled};
use crate::nodes::{connected, redis_url, two_nodes};
use crate::support::community::{call, post, rename, room};
use crate::support::socket::Socket;
use crate::support::{TestApp, json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// The viewers' sessions, in the matrix's column order.
struct Viewers {
    sockets: [Socket; 3],
}

const NAMES: [&str; 3] = ["the actor's other session", "a member", "a stranger"];

impl Viewers {
    /// Each viewer marked `true` gets `event` next; the others get nothing yet (checked at
    /// the end: anything unexpected would come before a later expected dispatch).
    async fn expect(&mut self, event: &str, who: [bool; 3]) {
        for (n, socket) in self.sockets.iter_mut().enumerate() {
            if who[n] {
                let (_, name, _) = dispatch(socket).await;
                assert_eq!(name, event, "{} got {name}, not {event}", NAMES[n]);
            }
        }
    }

    /// Like [`Self::expect`], for `presence_update` about `user`: the status each one saw.
    async fn presences(&mut self, user: i64, who: [bool; 3]) -> [Option<String>; 3] {
        let mut seen = [None, None, None];
        for (n, socket) in self.sockets.iter_mut().enumerate() {
            if who[n] {
                let (_, name, data) = dispatch(socket).await;
                assert_eq!(
                    (name.as_str(), &data["user_id"]),
                    ("presence_update", &json!(user)),
                    "{}",
                    NAMES[n]
                );
                seen[n] = data["status"].as_str().map(str::to_owned);
            }
        }
        seen
    }

    /// Past the presence updates of the sessions just opened.
    async fn settled(&mut self) {
        for socket in &mut self.sockets {
            settled(socket, 0).await;
        }
    }

    async fn all_quiet(&mut self) {
        for (n, socket) in self.sockets.iter_mut().enumerate() {
            let extra = socket.silent_for(Duration::from_millis(300)).await;
            assert_eq!(extra, None, "{} got more", NAMES[n]);
        }
    }
}

/// The matrix, with changes made through `through` and the viewers on `on`.
async fn matrix(through: &TestApp, on: &TestApp) {
    const ALL: [bool; 3] = [true, true, false];
    let (ann, bob, sam) = (
        through.quick_user("ann", false).await,
        through.quick_user("bob", false).await,
        through.quick_user("sam", false).await,
    );
    let (server, channel) = room(through, &ann, &[&bob]).await;
    let (mut actor, _) = through.identified(&ann).await;
    let mut viewers = Viewers {
        sockets: [
            on.identified(&ann).await.0,
            on.identified(&bob).await.0,
            on.identified(&sam).await.0,
        ],
    };
    viewers.settled().await;
    settled(&mut actor, 0).await;
    let sent = send(through, &ann, channel, "hello").await;
    viewers.expect("message_create", ALL).await;
    let message = format!("/api/messages/{}/", sent["id"]);
    let edit = json!({"content": "hello again"});
    call(through, Method::PATCH, &message, Some(&ann), Some(edit)).await;
    viewers.expect("message_update", ALL).await;
    let reaction = format!("{message}reactions/%F0%9F%91%8D/");
    call(through, Method::PUT, &reaction, Some(&bob), None).await;
    viewers.expect("reaction_add", ALL).await;
    call(through, Method::DELETE, &reaction, Some(&bob), None).await;
    viewers.expect("reaction_remove", ALL).await;
    // A pin shows as the message updated.
    let pin = format!("{message}pin/");
    call(through, Method::PUT, &pin, Some(&ann), None).await;
    viewers.expect("message_update", ALL).await;
    actor
        .send(json!({"op": "typing", "d": {"channel_id": channel}}))
        .await;
    viewers.expect("typing_start", [false, true, false]).await;
    let ack = json!({"op": "ack", "d": {"channel_id": channel, "message_id": sent["id"]}});
    actor.send(ack).await;
    viewers
        .expect("read_state_update", [true, false, false])
        .await;
    call(through, Method::DELETE, &message, Some(&ann), None).await;
    viewers.expect("message_delete", ALL).await;
    let news = json!({"name": "news", "server": server});
    let made = json_of(
        post(through, "/api/channels/", &ann, news).await,
        StatusCode::CREATED,
    )
    .await;
    viewers.expect("channel_create", ALL).await;
    let news = format!("/api/channels/{}/", made["id"]);
    let renamed = json!({"name": "headlines"});
    call(through, Method::PATCH, &news, Some(&ann), Some(renamed)).await;
    viewers.expect("channel_update", ALL).await;
    let path = format!("/api/servers/{server}/");
    let renamed = json!({"name": "Renamed"});
    call(through, Method::PATCH, &path, Some(&ann), Some(renamed)).await;
    viewers.expect("server_update", ALL).await;
    rename(through, &ann, "Ann the Renamed").await;
    viewers.expect("account_update", ALL).await;
    // Sam changes his too: he shares no server with the others; his own session is told.
    let mut sam_elsewhere = on.identified(&sam).await.0;
    rename(through, &sam, "Sam Apart").await;
    let (_, name, data) = dispatch(&mut sam_elsewhere).await;
    assert_eq!(
        (name.as_str(), &data["id"]),
        ("account_update", &json!(sam.id))
    );
    viewers.expect("account_update", [false, false, true]).await;
    let join = format!("/api/servers/{server}/add_member/");
    post(through, &join, &sam, json!({})).await;
    viewers.expect("member_add", [true, true, true]).await;
    // Then the joiner and the members exchange statuses: Sam's to the members, Ann's and
    // Bob's to Sam.
    viewers.expect("presence_update", [true, true, true]).await;
    viewers
        .expect("presence_update", [false, false, true])
        .await;
    let leave = format!("/api/servers/{server}/remove_member/");
    post(through, &leave, &sam, json!({})).await;
    viewers.expect("member_remove", [true, true, true]).await;
    // A member's account deleted: the others are told it left.
    let cat = through.quick_user("cat", false).await;
    post(through, &join, &cat, json!({})).await;
    viewers.expect("member_add", ALL).await;
    assert_eq!(
        through.delete_me(&cat.access).await.status(),
        StatusCode::NO_CONTENT
    );
    viewers.expect("member_remove", ALL).await;
    call(through, Method::DELETE, &news, Some(&ann), None).await;
    viewers.expect("channel_delete", ALL).await;
    // After leaving, nothing more of the server for the leaver.
    send(through, &ann, channel, "after sam left").await;
    viewers.expect("message_create", ALL).await;
    // A direct message of Ann and Bob: its people's sessions, nobody else's.
    let opened = post(through, "/api/dms/", &ann, json!({"recipients": [bob.id]})).await;
    let dm = json_of(opened, StatusCode::CREATED).await["id"].clone();
    viewers.expect("dm_create", ALL).await;
    let psst = json!({"channel_id": dm, "content": "psst"});
    let said = json_of(
        post(through, "/api/messages/", &bob, psst).await,
        StatusCode::CREATED,
    )
    .await;
    viewers.expect("message_create", ALL).await;
    let thumbs = format!("/api/messages/{}/reactions/%F0%9F%91%8D/", said["id"]);
    call(through, Method::PUT, &thumbs, Some(&ann), None).await;
    viewers.expect("reaction_add", ALL).await;
    actor
        .send(json!({"op": "typing", "d": {"channel_id": dm}}))
        .await;
    viewers.expect("typing_start", [false, true, false]).await;
    let said = format!("/api/messages/{}/", said["id"]);
    call(through, Method::DELETE, &said, Some(&bob), None).await;
    viewers.expect("message_delete", ALL).await;
    // Ann's status: as it is to her other session, as others see it to the member.
    for (status, own, others) in [("dnd", "dnd", "dnd"), ("invisible", "invisible", "offline")] {
        actor
            .send(json!({"op": "presence", "d": {"status": status}}))
            .await;
        let seen = viewers.presences(ann.id, [true, true, false]).await;
        assert_eq!(seen, [Some(own.to_owned()), Some(others.to_owned()), None]);
    }
    call(through, Method::DELETE, &path, Some(&ann), None).await;
    viewers.expect("server_delete", ALL).await;
    viewers.all_quiet().await;
}

#[tokio::test]
async fn each_dispatch_reaches_exactly_its_viewers() {
    let app = spawn_app().await;
    matrix(&app, &app).await;
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn each_dispatch_reaches_exactly_its_viewers_on_another_node() {
    let (a, b) = two_nodes(&redis_url()).await;
    connected([&a, &b]).await;
    matrix(&a, &b).await;
}
