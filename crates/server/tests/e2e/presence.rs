//! Presence on the gateway (one node, the embedded mode): who sees whom, the statuses a
//! person's sessions make together, `invisible` shown as `offline` to others, a resume that
//! changes nothing, and `offline` once the last session is gone. Across nodes, and after a
//! node is killed: `gateway_nodes.rs`.

use crate::gateway::{dispatch, settled};
use crate::support::community::{post, room};
use crate::support::socket::Socket;
use crate::support::spawn_app;
use serde_json::{Value, json};
use std::time::Duration;

/// The next dispatch, which must be a `presence_update`: `(user_id, status)`.
async fn presence(socket: &mut Socket) -> (i64, String) {
    let (_, name, data) = dispatch(socket).await;
    assert_eq!(name, "presence_update", "{data}");
    (
        data["user_id"].as_i64().unwrap(),
        data["status"].as_str().unwrap().to_owned(),
    )
}

async fn set(socket: &mut Socket, status: &str) {
    socket
        .send(json!({"op": "presence", "d": {"status": status}}))
        .await;
}

async fn quiet(socket: &mut Socket) {
    assert_eq!(socket.silent_for(Duration::from_millis(300)).await, None);
}

fn presences(ready: &Value) -> Vec<Value> {
    let mut all = ready["d"]["presences"].as_array().unwrap().clone();
    all.sort_by_key(|p| p["user_id"].as_i64());
    all
}

#[tokio::test]
async fn members_see_each_others_status_and_strangers_do_not() {
    let app = spawn_app().await;
    let (ann, bob, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("sam", false).await,
    );
    room(&app, &ann, &[&bob]).await;
    let (mut b, _) = app.identified(&bob).await;
    let (mut stranger, lonely) = app.identified(&sam).await;
    assert_eq!(
        presences(&lonely),
        vec![json!({"user_id": sam.id, "status": "online"})]
    );
    let (mut a, ready) = app.identified(&ann).await;
    assert_eq!(
        presences(&ready),
        vec![
            json!({"user_id": ann.id, "status": "online"}),
            json!({"user_id": bob.id, "status": "online"}),
        ]
    );
    assert_eq!(presence(&mut b).await, (ann.id, "online".into()));

    // A second session changes nothing others see; a status set in it does, for the other
    // session too (it sees Ann's status as Ann's).
    let (mut a2, _) = app.identified(&ann).await;
    settled(&mut a, 1).await;
    quiet(&mut b).await;
    set(&mut a2, "dnd").await;
    assert_eq!(presence(&mut b).await, (ann.id, "dnd".into()));
    assert_eq!(presence(&mut a).await, (ann.id, "dnd".into()));
    // The strongest of her sessions' statuses: idle in one, dnd in the other is dnd.
    set(&mut a, "idle").await;
    quiet(&mut b).await;
    set(&mut a2, "invisible").await;
    assert_eq!(presence(&mut b).await, (ann.id, "offline".into()));
    assert_eq!(presence(&mut a).await, (ann.id, "invisible".into()));
    set(&mut a2, "online").await;
    assert_eq!(presence(&mut b).await, (ann.id, "online".into()));
    assert_eq!(presence(&mut a).await, (ann.id, "online".into()));
    quiet(&mut stranger).await;

    // A status that is none.
    set(&mut a, "away").await;
    let error = a.next().await;
    assert_eq!(
        (&error["op"], &error["d"]["code"]),
        (&json!("error"), &json!("invalid_data"))
    );
}

#[tokio::test]
async fn a_resume_changes_nothing_and_the_last_session_gone_is_offline() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    room(&app, &ann, &[&bob]).await;
    let (mut b, _) = app.identified(&bob).await;
    let (mut a, ready) = app.identified(&ann).await;
    assert_eq!(presence(&mut b).await, (ann.id, "online".into()));
    set(&mut a, "dnd").await;
    assert_eq!(presence(&mut b).await, (ann.id, "dnd".into()));

    // The connection drops; the session is resumed at once: nobody sees a difference, and
    // the status is the one the session had.
    let session = ready["d"]["session_id"].clone();
    drop(a);
    app.gateway_sockets_down_to(1).await;
    let mut again = app.gateway().await;
    let resume =
        json!({"op": "resume", "d": {"token": ann.access, "session_id": session, "seq": 1}});
    again.send(resume).await;
    // Replayed first: whatever Ann's session was told after its `ready` (on a loaded machine,
    // Bob's coming online can be told after it), only ever presence.
    loop {
        let (_, name, data) = dispatch(&mut again).await;
        if name == "resumed" {
            break;
        }
        assert_eq!(name, "presence_update", "{data}");
    }
    assert_eq!(b.silent_for(Duration::from_secs(12)).await, None);

    // Gone for good: offline once its grace (10 s) is over.
    drop(again);
    let started = std::time::Instant::now();
    let frame = b
        .silent_for(Duration::from_secs(30))
        .await
        .expect("Ann going offline");
    assert_eq!(
        (&frame["t"], &frame["d"]),
        (
            &json!("presence_update"),
            &json!({"user_id": ann.id, "status": "offline"})
        )
    );
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "after the grace"
    );
}

#[tokio::test]
async fn a_joiner_and_the_members_learn_each_others_status_and_invisible_stays_hidden() {
    let app = spawn_app().await;
    let (ann, bob, cat) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
    );
    let (server, _) = room(&app, &ann, &[&cat]).await;
    let (mut a, _) = app.identified(&ann).await;
    let (mut b, _) = app.identified(&bob).await;
    settled(&mut a, 1).await;

    // Bob joins: he learns Ann's status after the server's first dispatch, and she his.
    let join = format!("/api/servers/{server}/add_member/");
    post(&app, &join, &bob, json!({})).await;
    for socket in [&mut a, &mut b] {
        assert_eq!(dispatch(socket).await.1, "member_add");
    }
    assert_eq!(presence(&mut b).await, (ann.id, "online".into()));
    assert_eq!(presence(&mut a).await, (bob.id, "online".into()));

    // Cat starts invisible: nobody is told she came, and her `ready` says she is invisible.
    let mut socket = app.gateway().await;
    socket
        .send(json!({"op": "identify", "d": {"token": cat.access, "status": "invisible"}}))
        .await;
    let ready = socket.next().await;
    let own = presences(&ready)
        .into_iter()
        .find(|p| p["user_id"] == cat.id)
        .expect("her own status");
    assert_eq!(own["status"], "invisible");
    quiet(&mut a).await;
    quiet(&mut b).await;
}
