//! Direct messages and blocks over REST and the gateway: one channel per set of people,
//! opened only with people one shares a server or a direct message with; read, written,
//! reacted to and pinned by its people only; groups left; blocks that stop the blocked from
//! opening and posting and keep their events from the blocker; each refusal in the
//! contract's shapes with nothing written.

use crate::gateway::{dispatch, settled};
use crate::support::community::{call, get, post, room};
use crate::support::socket::Socket;
use crate::support::{TestApp, User, json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn open(app: &TestApp, user: &User, recipients: &[&User]) -> reqwest::Response {
    let ids: Vec<i64> = recipients.iter().map(|u| u.id).collect();
    post(app, "/api/dms/", user, json!({ "recipients": ids })).await
}

async fn opened(app: &TestApp, user: &User, recipients: &[&User]) -> i64 {
    let response = open(app, user, recipients).await;
    let status = response.status();
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "{status}"
    );
    response.json::<Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn say(app: &TestApp, user: &User, channel: i64, text: &str) -> reqwest::Response {
    let body = json!({"channel_id": channel, "content": text});
    post(app, "/api/messages/", user, body).await
}

async fn history(app: &TestApp, user: &User, channel: i64) -> reqwest::Response {
    get(
        app,
        &format!("/api/messages/?channel_id={channel}"),
        Some(user),
    )
    .await
}

async fn status(app: &TestApp, method: Method, path: &str, user: &User) -> StatusCode {
    call(app, method, path, Some(user), None).await.status()
}

fn recipient_ids(dm: &Value) -> Vec<i64> {
    dm["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_same_people_always_get_the_same_channel_and_only_people_one_knows() {
    let app = spawn_app().await;
    let (ann, bob, cat, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
        app.quick_user("sam", false).await,
    );
    room(&app, &ann, &[&bob, &cat]).await;

    let made = json_of(open(&app, &ann, &[&bob]).await, StatusCode::CREATED).await;
    assert_eq!(
        (&made["type"], &made["group"], recipient_ids(&made)),
        (&json!("dm"), &json!(false), vec![bob.id])
    );
    assert_eq!(made["recipients"][0]["username"], "bob");
    let again = json_of(open(&app, &bob, &[&ann]).await, StatusCode::OK).await;
    assert_eq!(
        (&again["id"], recipient_ids(&again)),
        (&made["id"], vec![ann.id])
    );
    let group = json_of(
        open(&app, &cat, &[&bob, &ann, &bob][..2]).await,
        StatusCode::CREATED,
    )
    .await;
    assert_ne!(group["id"], made["id"]);
    assert_eq!(group["group"], true);
    assert_eq!(recipient_ids(&group), vec![ann.id, bob.id]);

    // Sam shares nothing with them; once in a group with Ann, Sam may open one with her.
    let refused = json_of(open(&app, &ann, &[&sam]).await, StatusCode::FORBIDDEN).await;
    assert!(refused["detail"].as_str().unwrap().contains("share"));
    let listed = json_of(get(&app, "/api/dms/", Some(&ann)).await, StatusCode::OK).await;
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["id"])
        .collect();
    assert_eq!(ids, vec![&made["id"], &group["id"]]);
    let one = format!("/api/dms/{}/", made["id"]);
    assert_eq!(
        json_of(get(&app, &one, Some(&bob)).await, StatusCode::OK).await["id"],
        made["id"]
    );
    assert_eq!(
        status(&app, Method::GET, &one, &cat).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_of(get(&app, "/api/dms/", Some(&sam)).await, StatusCode::OK).await,
        json!([])
    );
}

#[tokio::test]
async fn bad_recipients_are_field_errors_and_open_nothing() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let mut others = Vec::new();
    for n in 0..10 {
        others.push(app.quick_user(&format!("user{n}"), false).await);
    }
    let everyone: Vec<&User> = others.iter().collect();
    room(&app, &ann, &everyone).await;
    for (body, says) in [
        (json!({"recipients": []}), "Name at least one person."),
        (json!({}), "Name at least one person."),
        (
            json!({"recipients": [ann.id]}),
            "Name the others, not yourself.",
        ),
        (
            json!({"recipients": [others[0].id, others[0].id]}),
            "Each item may be given once.",
        ),
        (json!({"recipients": "x"}), "A valid integer is required."),
        (json!({"recipients": [987_654]}), "No such account: 987654."),
        (
            json!({"recipients": everyone.iter().map(|u| u.id).collect::<Vec<_>>()}),
            "Ensure this field has no more than 9 elements.",
        ),
    ] {
        let refused = json_of(
            post(&app, "/api/dms/", &ann, body.clone()).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(refused, json!({"recipients": [says]}), "{body}");
    }
    assert_eq!(
        json_of(get(&app, "/api/dms/", Some(&ann)).await, StatusCode::OK).await,
        json!([])
    );
    // Nine is the most.
    let nine = opened(&app, &ann, &everyone[..9]).await;
    assert!(nine > 0);
}

#[tokio::test]
async fn a_dm_is_read_written_marked_and_pinned_by_its_people_only() {
    let app = spawn_app().await;
    let (ann, bob, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("sam", false).await,
    );
    let (server, _) = room(&app, &ann, &[&bob, &sam]).await;
    let dm = opened(&app, &ann, &[&bob]).await;
    let sent = json_of(say(&app, &ann, dm, "psst").await, StatusCode::CREATED).await;
    assert_eq!(sent["channel_id"], dm);
    let page = json_of(history(&app, &bob, dm).await, StatusCode::OK).await;
    assert_eq!(page[0]["content"], "psst");
    json_of(say(&app, &bob, dm, "yes?").await, StatusCode::CREATED).await;

    // Sam shares the server, not the conversation: it is not there for Sam.
    assert_eq!(
        history(&app, &sam, dm).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        say(&app, &sam, dm, "me too").await.status(),
        StatusCode::NOT_FOUND
    );
    let message = format!("/api/messages/{}/", sent["id"]);
    for (method, path) in [
        (Method::GET, message.clone()),
        (Method::PUT, format!("{message}reactions/%F0%9F%91%8D/")),
        (Method::PUT, format!("{message}pin/")),
        (Method::DELETE, message.clone()),
    ] {
        assert_eq!(
            status(&app, method.clone(), &path, &sam).await,
            StatusCode::NOT_FOUND,
            "{method} {path}"
        );
    }
    let ack = format!("/api/channels/{dm}/ack/");
    let body = json!({"message_id": sent["id"]});
    assert_eq!(
        call(&app, Method::POST, &ack, Some(&sam), Some(body.clone()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::POST, &ack, Some(&bob), Some(body))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    // Nor is it a channel of any server, for the original client's socket or the API.
    assert!(
        app.try_socket(&app.socket_url(server, dm, &ann.access), None)
            .await
            .is_err()
    );
    assert_eq!(
        status(&app, Method::GET, &format!("/api/channels/{dm}/"), &ann).await,
        StatusCode::NOT_FOUND
    );

    // Either side pins, reacts; only the sender edits or deletes.
    let pin = format!("{message}pin/");
    assert_eq!(
        status(&app, Method::PUT, &pin, &bob).await,
        StatusCode::NO_CONTENT
    );
    let pinned = format!("/api/messages/?channel_id={dm}&pinned=true");
    let pins = json_of(get(&app, &pinned, Some(&ann)).await, StatusCode::OK).await;
    assert_eq!(pins[0]["id"], sent["id"]);
    let thumbs = format!("{message}reactions/%F0%9F%91%8D/");
    assert_eq!(
        status(&app, Method::PUT, &thumbs, &bob).await,
        StatusCode::NO_CONTENT
    );
    let edit = json!({"content": "psst!"});
    assert_eq!(
        call(
            &app,
            Method::PATCH,
            &message,
            Some(&bob),
            Some(edit.clone())
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&app, Method::DELETE, &message, &bob).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, Method::PATCH, &message, Some(&ann), Some(edit))
            .await
            .status(),
        StatusCode::OK
    );
    let page = json_of(history(&app, &ann, dm).await, StatusCode::OK).await;
    assert_eq!(
        (
            &page[0]["content"],
            &page[0]["pinned"],
            &page[0]["reactions"][0]["count"]
        ),
        (&json!("psst!"), &json!(true), &json!(1))
    );
    assert_eq!(
        status(&app, Method::DELETE, &message, &ann).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        json_of(history(&app, &bob, dm).await, StatusCode::OK)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_block_stops_the_blocked_from_opening_and_posting_until_it_is_lifted() {
    let app = spawn_app().await;
    let (ann, bob, cat) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
    );
    room(&app, &ann, &[&bob, &cat]).await;
    let dm = opened(&app, &ann, &[&bob]).await;
    let group = opened(&app, &cat, &[&ann, &bob]).await;
    let blocks = format!("/api/account/blocks/{}/", ann.id);
    assert_eq!(
        status(&app, Method::PUT, &blocks, &bob).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&app, Method::PUT, &blocks, &bob).await,
        StatusCode::NO_CONTENT
    );
    let listed = json_of(
        get(&app, "/api/account/blocks/", Some(&bob)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(recipient_ids(&json!({"recipients": listed})), vec![ann.id]);

    // Neither side of a conversation between two posts to it, and the blocked opens none.
    for (who, text) in [(&ann, "hello?"), (&bob, "go away")] {
        let refused = json_of(say(&app, who, dm, text).await, StatusCode::FORBIDDEN).await;
        assert!(
            refused["detail"].as_str().unwrap().contains("blocked"),
            "{refused}"
        );
    }
    json_of(open(&app, &ann, &[&bob]).await, StatusCode::FORBIDDEN).await;
    json_of(open(&app, &ann, &[&bob, &cat]).await, StatusCode::FORBIDDEN).await;
    // A group with others goes on.
    json_of(say(&app, &ann, group, "hi all").await, StatusCode::CREATED).await;
    assert_eq!(
        json_of(history(&app, &ann, dm).await, StatusCode::OK).await,
        json!([]),
        "nothing was written"
    );

    assert_eq!(
        status(&app, Method::DELETE, &blocks, &bob).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&app, Method::DELETE, &blocks, &bob).await,
        StatusCode::NO_CONTENT
    );
    json_of(say(&app, &ann, dm, "hello?").await, StatusCode::CREATED).await;
    let me = format!("/api/account/blocks/{}/", bob.id);
    assert_eq!(
        status(&app, Method::PUT, &me, &bob).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(&app, Method::PUT, "/api/account/blocks/987654/", &bob).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_group_is_left_and_opening_it_again_brings_everyone_back() {
    let app = spawn_app().await;
    let (ann, bob, cat) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
    );
    room(&app, &ann, &[&bob, &cat]).await;
    let pair = opened(&app, &ann, &[&bob]).await;
    let group = opened(&app, &ann, &[&bob, &cat]).await;
    json_of(say(&app, &cat, group, "bye").await, StatusCode::CREATED).await;
    let path = format!("/api/dms/{group}/");
    assert_eq!(
        status(&app, Method::DELETE, &path, &cat).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&app, Method::DELETE, &path, &cat).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        history(&app, &cat, group).await.status(),
        StatusCode::NOT_FOUND
    );
    let seen = json_of(get(&app, &path, Some(&ann)).await, StatusCode::OK).await;
    assert_eq!(recipient_ids(&seen), vec![bob.id]);
    // The message Cat left stays.
    let page = json_of(history(&app, &bob, group).await, StatusCode::OK).await;
    assert_eq!(page[0]["user"]["id"], cat.id);
    let refused = json_of(
        call(
            &app,
            Method::DELETE,
            &format!("/api/dms/{pair}/"),
            Some(&ann),
            None,
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("two"));

    assert_eq!(opened(&app, &bob, &[&ann, &cat]).await, group);
    assert_eq!(
        json_of(history(&app, &cat, group).await, StatusCode::OK).await[0]["content"],
        "bye"
    );
}

#[tokio::test]
async fn a_deleted_account_leaves_its_dm_messages_as_deleted_user() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    room(&app, &ann, &[&bob]).await;
    let dm = opened(&app, &ann, &[&bob]).await;
    json_of(say(&app, &bob, dm, "see you").await, StatusCode::CREATED).await;
    assert_eq!(
        app.delete_me(&bob.access).await.status(),
        StatusCode::NO_CONTENT
    );
    let page = json_of(history(&app, &ann, dm).await, StatusCode::OK).await;
    assert_eq!(
        (
            &page[0]["content"],
            &page[0]["user"]["id"],
            &page[0]["user"]["username"]
        ),
        (&json!("see you"), &Value::Null, &json!("Deleted User"))
    );
    let seen = json_of(
        get(&app, &format!("/api/dms/{dm}/"), Some(&ann)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["recipients"], json!([]));
}

/// Past what sessions just opened are told (others' presence).
async fn quiet(socket: &mut Socket) {
    assert_eq!(socket.silent_for(Duration::from_millis(300)).await, None);
}

#[tokio::test]
async fn dm_events_reach_its_people_but_not_those_who_blocked_the_actor() {
    let app = spawn_app().await;
    let (ann, bob, cat, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
        app.quick_user("sam", false).await,
    );
    room(&app, &ann, &[&bob, &cat, &sam]).await;
    let pair = opened(&app, &ann, &[&bob]).await;
    json_of(
        say(&app, &ann, pair, &format!("hey <@{}>", bob.id)).await,
        StatusCode::CREATED,
    )
    .await;

    let (bob_socket, ready) = app.identified(&bob).await;
    let dms = ready["d"]["dms"].as_array().unwrap();
    assert_eq!(dms.len(), 1);
    assert_eq!(
        (&dms[0]["id"], recipient_ids(&dms[0]), &dms[0]["read_state"]),
        (
            &json!(pair),
            vec![ann.id],
            &json!({"last_read_id": 0, "unread_count": 1, "mention_count": 1})
        )
    );
    assert!(dms[0]["last_message_id"].as_i64().unwrap() > 0);
    let mut sockets = [
        bob_socket,
        app.identified(&cat).await.0,
        app.identified(&sam).await.0,
    ];
    for socket in &mut sockets {
        settled(socket, 0).await;
    }

    // A group of Ann, Bob and Cat: each of them is told, Sam is not.
    let group = opened(&app, &ann, &[&bob, &cat]).await;
    for socket in &mut sockets[..2] {
        let (_, name, data) = dispatch(socket).await;
        assert_eq!((name.as_str(), &data["id"]), ("dm_create", &json!(group)));
        assert_eq!(data["recipients"].as_array().unwrap().len(), 2);
    }
    // Cat blocks Ann: Ann's events in the group reach Bob only; Bob's reach both.
    let blocks = format!("/api/account/blocks/{}/", ann.id);
    assert_eq!(
        status(&app, Method::PUT, &blocks, &cat).await,
        StatusCode::NO_CONTENT
    );
    let from_ann = json_of(say(&app, &ann, group, "hi").await, StatusCode::CREATED).await;
    let (_, name, data) = dispatch(&mut sockets[0]).await;
    assert_eq!(
        (name.as_str(), &data["server_id"]),
        ("message_create", &Value::Null)
    );
    let reaction = format!("/api/messages/{}/reactions/%F0%9F%91%8D/", from_ann["id"]);
    assert_eq!(
        status(&app, Method::PUT, &reaction, &ann).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(dispatch(&mut sockets[0]).await.1, "reaction_add");
    json_of(say(&app, &bob, group, "hello").await, StatusCode::CREATED).await;
    for socket in &mut sockets[..2] {
        assert_eq!(dispatch(socket).await.1, "message_create");
    }
    // Cat leaves: Cat is told it is gone, Bob who is left.
    let path = format!("/api/dms/{group}/");
    assert_eq!(
        status(&app, Method::DELETE, &path, &cat).await,
        StatusCode::NO_CONTENT
    );
    let (_, name, data) = dispatch(&mut sockets[1]).await;
    assert_eq!(
        (name.as_str(), &data),
        ("channel_delete", &json!({"id": group, "server_id": null}))
    );
    let (_, name, data) = dispatch(&mut sockets[0]).await;
    assert_eq!(
        (name.as_str(), recipient_ids(&data)),
        ("dm_update", vec![ann.id])
    );
    // Opened again with Cat (by Bob: Cat blocks Ann): new to Cat, a change for Bob.
    assert_eq!(opened(&app, &bob, &[&ann, &cat]).await, group);
    let (_, name, data) = dispatch(&mut sockets[1]).await;
    assert_eq!((name.as_str(), &data["id"]), ("dm_create", &json!(group)));
    let (_, name, data) = dispatch(&mut sockets[0]).await;
    assert_eq!(
        (name.as_str(), recipient_ids(&data)),
        ("dm_update", vec![ann.id, cat.id])
    );
    for socket in &mut sockets {
        quiet(socket).await;
    }
}

/// Who may do what with a direct message between two, Ann and Bob, each role on a fresh
/// one: nobody signed in, Sam (a member of their server, not of the conversation), Ann with
/// no block, Ann blocked by Bob, and Bob who blocked Ann. docs/api.md shows the same table.
#[tokio::test]
async fn every_role_gets_exactly_the_expected_status_for_every_dm_action() {
    const ROLES: [&str; 5] = ["anonymous", "stranger", "participant", "blocked", "blocker"];
    #[rustfmt::skip]
    let expected: [(&str, [u16; 5]); 8] = [
        ("see it",            [401, 404, 200, 200, 200]),
        ("read its messages", [401, 404, 200, 200, 200]),
        ("post",              [401, 404, 201, 403, 403]),
        ("react",             [401, 404, 204, 403, 403]),
        ("pin",               [401, 404, 204, 403, 403]),
        ("acknowledge",       [401, 404, 204, 204, 204]),
        ("leave",             [401, 404, 400, 400, 400]),
        ("open it",           [401, 201, 200, 403, 403]),
    ];
    let app = spawn_app().await;
    let mut problems = Vec::new();
    for (n, role) in ROLES.iter().enumerate() {
        for (a, (action, statuses)) in expected.iter().enumerate() {
            let ann = app.quick_user(&format!("ann{n}x{a}"), false).await;
            let bob = app.quick_user(&format!("bob{n}x{a}"), false).await;
            let sam = app.quick_user(&format!("sam{n}x{a}"), false).await;
            room(&app, &ann, &[&bob, &sam]).await;
            let dm = opened(&app, &ann, &[&bob]).await;
            let said = json_of(say(&app, &bob, dm, "hi").await, StatusCode::CREATED).await;
            if matches!(*role, "blocked" | "blocker") {
                let path = format!("/api/account/blocks/{}/", ann.id);
                assert_eq!(
                    status(&app, Method::PUT, &path, &bob).await,
                    StatusCode::NO_CONTENT
                );
            }
            let (actor, other) = match *role {
                "anonymous" => (None, &bob),
                "stranger" => (Some(&sam), &bob),
                "blocker" => (Some(&bob), &ann),
                _ => (Some(&ann), &bob),
            };
            let message = format!("/api/messages/{}/", said["id"]);
            let (method, path, body) = match *action {
                "see it" => (Method::GET, format!("/api/dms/{dm}/"), None),
                "read its messages" => {
                    (Method::GET, format!("/api/messages/?channel_id={dm}"), None)
                }
                "post" => (
                    Method::POST,
                    "/api/messages/".to_owned(),
                    Some(json!({"channel_id": dm, "content": "hello"})),
                ),
                "react" => (
                    Method::PUT,
                    format!("{message}reactions/%F0%9F%91%8D/"),
                    None,
                ),
                "pin" => (Method::PUT, format!("{message}pin/"), None),
                "acknowledge" => (
                    Method::POST,
                    format!("/api/channels/{dm}/ack/"),
                    Some(json!({"message_id": said["id"]})),
                ),
                "leave" => (Method::DELETE, format!("/api/dms/{dm}/"), None),
                _ => (
                    Method::POST,
                    "/api/dms/".to_owned(),
                    Some(json!({"recipients": [other.id]})),
                ),
            };
            let got = call(&app, method, &path, actor, body)
                .await
                .status()
                .as_u16();
            if got != statuses[n] {
                problems.push(format!("{role} may {action}: {got}, not {}", statuses[n]));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
