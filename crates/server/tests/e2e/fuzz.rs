//! Property-based fuzzing of what parses client input, against a real server: query strings
//! on every reading route, request bodies (JSON, forms and multipart, well-formed or not) on
//! every writing route, and frames on a chat socket. Whatever arrives, the answer is a 4xx
//! or 2xx in the contract's JSON shapes — never a 5xx, a panic or a dropped connection.
//!
//! Each property runs proptest's default number of cases (256); run longer with
//! `PROPTEST_CASES=20000 cargo test -p pingme --test e2e fuzz`.

use crate::support::community::room;
use crate::support::{TestApp, User, spawn_app};
use futures_util::{SinkExt, StreamExt};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;

/// A server with an account, a server and a channel, on a runtime of its own (proptest's
/// runner is synchronous).
struct Fixture {
    runtime: Runtime,
    app: TestApp,
    user: User,
    ids: (i64, i64),
}

fn fixture() -> Fixture {
    let runtime = Runtime::new().expect("runtime");
    let (app, user, ids) = runtime.block_on(async {
        let app = spawn_app().await;
        let user = app.quick_user("fuzzer", false).await;
        let ids = room(&app, &user, &[]).await;
        (app, user, ids)
    });
    Fixture {
        runtime,
        app,
        user,
        ids,
    }
}

/// What a value in a query string or a form may look like: numbers in every spelling,
/// names, and text with percent signs, signs, controls and non-ASCII letters.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just("99999999999999999999999".to_owned()),
        prop::sample::select(vec![
            "", "+1", "-1", "1e3", "0x10", " 1", "true", "null", "%00"
        ])
        .prop_map(str::to_owned),
        "[a-z0-9%+&=;#?/. -]{0,12}",
        ".{0,12}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "channel_id",
        "limit",
        "before",
        "after",
        "category",
        "qty",
        "by_user",
        "by_serverid",
        "with_num_members",
        "mutual_with",
        "format",
        "token",
        "",
    ]);
    prop_oneof![
        prop::collection::vec((key, value()), 0..5).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        }),
        // Raw: whatever bytes the URL parser lets through.
        "[ -~]{0,40}",
    ]
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'%' | b'+' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Checks an answer: no server error, and a JSON body (or none at all for 204, 101).
async fn answered_properly(response: reqwest::Response) -> Result<(), TestCaseError> {
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response
        .bytes()
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        status.as_u16() < 500,
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
    if status.is_client_error() {
        prop_assert!(kind.starts_with("application/json"), "{status} {kind}");
        let parsed: Value = serde_json::from_slice(&body)
            .map_err(|e| TestCaseError::fail(format!("{status}: not JSON ({e})")))?;
        prop_assert!(parsed.is_object(), "{status}: {parsed}");
    }
    Ok(())
}

fn runner() -> TestRunner {
    TestRunner::new(Config::default())
}

#[test]
fn query_strings_never_break_the_server() {
    let f = fixture();
    let (server, channel) = f.ids;
    let paths = vec![
        "/api/messages/".to_owned(),
        "/api/servers/".to_owned(),
        format!("/api/servers/{server}/"),
        "/api/categories/".to_owned(),
        "/api/channels/".to_owned(),
        format!("/api/channels/{channel}/"),
        "/api/account/me/".to_owned(),
        "/api/account/my_servers/".to_owned(),
        "/api/account/verify_email/".to_owned(),
        "/api/docs/schema/".to_owned(),
        format!("/{server}/{channel}"),
    ];
    let strategy = (prop::sample::select(paths), query(), any::<bool>());
    runner()
        .run(&strategy, |(path, query, signed_in)| {
            f.runtime.block_on(async {
                let url = format!("{}{path}?{query}", f.app.url);
                let mut request = f.app.client.get(&url);
                if signed_in {
                    request = request.bearer_auth(&f.user.access);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| TestCaseError::fail(format!("{url}: no answer ({e})")))?;
                answered_properly(response).await
            })
        })
        .unwrap();
}

/// A part of a multipart body: its name, file name, declared type and bytes.
type Part = (String, Option<String>, Option<String>, Vec<u8>);

fn part() -> impl Strategy<Value = Part> {
    let name = prop::sample::select(vec![
        "username",
        "email",
        "email2",
        "password",
        "name",
        "category",
        "description",
        "is_private",
        "image",
        "server_icon",
        "banner_image",
        "location",
        "content",
        "server",
        "type",
        "",
    ])
    .prop_map(str::to_owned);
    let bytes = prop_oneof![
        value().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..64),
        Just(b"\xff\xfe invalid \xc3\x28 UTF-8".to_vec()),
        Just(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x4e\x20\0\0\x4e\x20\x08\x06\0\0\0".to_vec()),
    ];
    (
        name,
        proptest::option::of("[a-z.]{0,8}"),
        proptest::option::of(
            prop::sample::select(vec!["image/png", "text/plain", "x/y"]).prop_map(str::to_owned),
        ),
        bytes,
    )
}

/// A multipart body, well-formed or cut short or with a broken boundary.
fn multipart(parts: &[Part], boundary: &str, damage: u8) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file, kind, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let file = file
            .as_ref()
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n").as_bytes(),
        );
        if let Some(kind) = kind {
            body.extend_from_slice(format!("Content-Type: {kind}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    match damage % 4 {
        0 => body.truncate(body.len() / 2),
        1 => body.retain(|b| *b != b'\r'),
        _ => {}
    }
    body
}

#[derive(Debug, Clone)]
enum Body {
    Multipart(Vec<Part>, String, u8),
    Json(String),
    Form(String),
    Other(String, Vec<u8>),
}

fn body() -> impl Strategy<Value = Body> {
    let json_value = prop_oneof![
        prop::collection::btree_map(part().prop_map(|p| p.0), value(), 0..6)
            .prop_map(|m| serde_json::to_string(&m).unwrap_or_default()),
        "[ -~]{0,60}",
        Just("[1,2,3]".to_owned()),
        Just("{\"is_private\": [], \"category\": {}, \"name\": null}".to_owned()),
    ];
    prop_oneof![
        (
            prop::collection::vec(part(), 0..5),
            "[a-zA-Z0-9'()+_,-./:=?]{1,20}",
            any::<u8>()
        )
            .prop_map(|(parts, boundary, damage)| Body::Multipart(parts, boundary, damage)),
        json_value.prop_map(Body::Json),
        prop::collection::vec((part().prop_map(|p| p.0), value()), 0..6).prop_map(|pairs| {
            Body::Form(
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
        }),
        (
            prop::sample::select(vec![
                "text/plain",
                "application/xml",
                "multipart/form-data",
                "application/json; charset=latin1",
                ""
            ]),
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(kind, bytes)| Body::Other(kind.to_owned(), bytes)),
    ]
}

#[test]
fn request_bodies_never_break_the_server() {
    let f = fixture();
    let (_, channel) = f.ids;
    let routes = vec![
        (Method::POST, "/api/account/register/".to_owned()),
        (Method::POST, "/api/token/".to_owned()),
        (Method::POST, "/api/token/refresh/".to_owned()),
        (Method::POST, "/api/account/password_reset/".to_owned()),
        (Method::PATCH, "/api/account/edit_me/".to_owned()),
        (Method::POST, "/api/servers/".to_owned()),
        (Method::POST, "/api/channels/".to_owned()),
        (Method::PATCH, format!("/api/channels/{channel}/")),
    ];
    let strategy = (prop::sample::select(routes), body());
    runner()
        .run(&strategy, |((method, path), body)| {
            f.runtime.block_on(async {
                let request = f
                    .app
                    .client
                    .request(method, format!("{}{path}", f.app.url))
                    .bearer_auth(&f.user.access);
                let request = match body {
                    Body::Multipart(parts, boundary, damage) => request
                        .header(
                            "content-type",
                            format!("multipart/form-data; boundary={boundary}"),
                        )
                        .body(multipart(&parts, &boundary, damage)),
                    Body::Json(text) => request
                        .header("content-type", "application/json")
                        .body(text),
                    Body::Form(text) => request
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(text),
                    Body::Other(kind, bytes) => request.header("content-type", kind).body(bytes),
                };
                let response = request
                    .send()
                    .await
                    .map_err(|e| TestCaseError::fail(format!("{path}: no answer ({e})")))?;
                answered_properly(response).await
            })
        })
        .unwrap();
    // Still the same account: nothing above took the server or the fixture down.
    let me = f
        .runtime
        .block_on(f.app.get_with("/api/account/me/", &f.user.access));
    assert_eq!(me.status(), reqwest::StatusCode::OK);
}

#[test]
fn socket_frames_never_break_the_socket() {
    let f = fixture();
    let (server, channel) = f.ids;
    let socket = f.runtime.block_on(async {
        let url = f.app.socket_url(server, channel, &f.user.access);
        tokio_tungstenite::connect_async(url)
            .await
            .expect("socket")
            .0
    });
    // The runner's closure is `Fn`: the socket is borrowed through a lock, one case at a time.
    let socket = std::sync::Mutex::new(socket);
    let frame = prop_oneof![
        ".{0,200}".prop_map(Message::text),
        prop::collection::vec(any::<u8>(), 0..100).prop_map(Message::binary),
        (
            value(),
            proptest::option::of(value()),
            proptest::option::of(value())
        )
            .prop_map(|(message, kind, nonce)| {
                let mut frame = serde_json::json!({"message": message});
                // Typing notices are the one frame with no answer to the sender.
                if let Some(kind) = kind.filter(|k| k != "typing") {
                    frame["type"] = Value::String(kind);
                }
                if let Some(nonce) = nonce {
                    frame["nonce"] = Value::String(nonce);
                }
                Message::text(frame.to_string())
            }),
    ];
    runner()
        .run(&frame, |frame| {
            let mut socket = socket.lock().expect("one case at a time");
            f.runtime.block_on(async {
                socket
                    .send(frame.clone())
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                // Each frame gets exactly one answer: the stored message, or an error frame.
                loop {
                    let answer =
                        tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
                            .await
                            .map_err(|_| TestCaseError::fail(format!("no answer to {frame:?}")))?;
                    match answer {
                        Some(Ok(Message::Text(text))) => {
                            let parsed: Value = serde_json::from_str(&text)
                                .map_err(|e| TestCaseError::fail(e.to_string()))?;
                            prop_assert!(
                                parsed.get("message").is_some() || parsed["event"] == "error",
                                "{parsed}"
                            );
                            return Ok(());
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        other => {
                            return Err(TestCaseError::fail(format!(
                                "{frame:?} ended the socket: {other:?}"
                            )));
                        }
                    }
                }
            })
        })
        .unwrap();
}
