//! The conventions every route shares: JSON errors, methods, encodings, limits, CORS,
//! allowed hosts, health.

use crate::support::{Options, json_of, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let app = spawn_app().await;
    for path in ["/api/nothing/here/", "/api/nothing", "/nothing"] {
        let response = app.client.get(app.at(path)).send().await.unwrap();
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            json_of(response, StatusCode::NOT_FOUND).await,
            json!({"detail": "Not found."}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let app = spawn_app().await;
    let response = app.client.get(app.at("/api/token/")).send().await.unwrap();
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(
        json_of(response, StatusCode::METHOD_NOT_ALLOWED).await,
        json!({"detail": "Method \"GET\" not allowed."})
    );
    let response = app
        .client
        .delete(app.at("/api/account/me"))
        .send()
        .await
        .unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    json_of(response, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn malformed_and_misshapen_json_get_400() {
    let app = spawn_app().await;
    let send = |body: &'static str| {
        app.client
            .post(app.at("/api/token/"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let body = json_of(
        send("{\"username\": ").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error"),
        "{body}"
    );
    let body = json_of(send("[1, 2]").await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    );
    let body = json_of(
        send("{\"username\": 5, \"password\": [\"x\"]}")
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["password"], json!(["Not a valid string."]));
}

#[tokio::test]
async fn unsupported_content_types_get_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.at("/api/token/"))
        .header("content-type", "text/plain")
        .body("username=a")
        .send()
        .await
        .unwrap();
    let body = json_of(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(
        body,
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let app = spawn_app_with(Options {
        max_body_bytes: 1024,
        ..Options::default()
    })
    .await;
    let big = json!({"username": "x".repeat(2000), "password": "y"});
    let body = json_of(
        app.post("/api/token/", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("1024"), "{body}");
    let form = reqwest::multipart::Form::new().text("username", "z".repeat(4000));
    let response = app
        .client
        .post(app.at("/api/account/register/"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    json_of(response, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn cors_allows_the_configured_client_origin_only() {
    let origin = "http://client.example";
    let app = spawn_app_with(Options {
        cors_origins: vec![origin.into()],
        ..Options::default()
    })
    .await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.at("/api/token/"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], origin);
    assert_eq!(headers["access-control-allow-credentials"], "true");
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );

    let refused = app
        .client
        .request(reqwest::Method::OPTIONS, app.at("/api/token/"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let other = app
        .client
        .get(app.at("/healthz"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    let allowed = app
        .client
        .get(app.at("/healthz"))
        .header("origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], origin);
}

#[tokio::test]
async fn hosts_outside_allowed_hosts_are_refused_except_for_probes() {
    let app = spawn_app_with(Options {
        allowed_hosts: vec!["chat.example.com".into(), "127.0.0.1".into()],
        ..Options::default()
    })
    .await;
    for host in ["evil.example", "chat.example.com:x@evil.example"] {
        let response = app
            .client
            .get(app.at("/api/account/me/"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        let body = json_of(response, StatusCode::BAD_REQUEST).await;
        assert!(body["detail"].as_str().unwrap().contains(host), "{body}");
    }
    let response = app
        .client
        .get(app.at("/api/account/me/"))
        .header("host", "chat.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.client
            .get(app.at("/api/account/me/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let probe = app
        .client
        .get(app.at("/healthz"))
        .header("host", "10.1.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), StatusCode::OK);
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let response = app.client.get(app.at("/healthz")).send().await.unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(json_of(response, StatusCode::OK).await["status"], "ok");
    let ready = json_of(
        app.client.get(app.at("/readyz")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        ready,
        json!({
            "status": "ok",
            "database": {"backend": app.store.backend(), "status": "ok"},
            "bus": {"backend": "local", "status": "ok"},
        })
    );
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_is_still_answered() {
    let mut app = spawn_app().await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let body = r#"{"username": "nobody", "password": "a wrong password"}"#;
    let head = format!(
        "POST /api/token/ HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server answers 100 Continue when the handler starts reading the body: from here
    // on the request is in flight.
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 100"), "{line}");
    reader.read_line(&mut line).await.unwrap();

    app.signal_stop();
    reader.get_mut().write_all(body.as_bytes()).await.unwrap();
    let mut response = String::new();
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        reader.read_to_string(&mut response),
    );
    read.await.expect("answered in time").unwrap();
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    assert!(response.contains("No active account found"), "{response}");
    app.stop().await;
}

#[tokio::test]
async fn stopping_finishes_cleanly_and_closes_the_port() {
    let app = spawn_app().await;
    let url = app.at("/healthz");
    let client = app.client.clone();
    assert_eq!(
        client.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
    assert!(
        client.get(&url).send().await.is_err(),
        "nothing listens after shutdown"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body_is_read() {
    let app = spawn_app_with(Options {
        max_body_bytes: 1024,
        ..Options::default()
    })
    .await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    // Headers only: the server must answer without waiting for the 50 MB it was promised.
    let head = format!(
        "POST /api/account/register/ HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 52428800\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut status));
    read.await.expect("answered without the body").unwrap();
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
}

#[tokio::test]
async fn null_characters_in_the_address_get_400() {
    let app = spawn_app().await;
    let user = app.quick_user("ann", false).await;
    for path in ["/api/invites/a%00b/", "/api/servers/?category=a%00b"] {
        let response = app.get_with(path, &user.access).await;
        let body = json_of(response, StatusCode::BAD_REQUEST).await;
        assert!(body["detail"].is_string(), "{path}: {body}");
    }
}

#[tokio::test]
async fn ids_in_paths_are_digits_only() {
    use crate::support::community::{create_server, get};
    let app = spawn_app().await;
    let owner = app.quick_user("owner", false).await;
    let server = create_server(&app, &owner, "lounge", false).await;
    let id = server["id"].as_i64().unwrap();
    let channel = server["channel_server"][0]["id"].as_i64().unwrap();
    for found in [format!("{id}"), format!("00{id}")] {
        let path = format!("/api/servers/{found}/");
        assert_eq!(
            get(&app, &path, None).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    for not_an_id in ["+1", "-1", "1e0", "%2B1", " 1", "99999999999999999999"] {
        for path in [
            format!("/api/servers/{not_an_id}/"),
            format!("/api/channels/{not_an_id}/"),
            format!("/api/messages/{not_an_id}/"),
        ] {
            let response = get(&app, &path, Some(&owner)).await;
            assert_eq!(
                json_of(response, StatusCode::NOT_FOUND).await,
                json!({"detail": "Not found."}),
                "{path}"
            );
        }
    }
    // Ids in query strings follow the same rule, each answered as its parameter's documented
    // non-numeric case. (`+` in a query string is a space; `%2B` is the sign.)
    let path = format!("/api/messages/?channel_id=%2B{channel}");
    assert_eq!(
        json_of(get(&app, &path, Some(&owner)).await, StatusCode::OK).await,
        json!([])
    );
    let path = format!("/api/servers/?by_serverid=%2B{id}");
    assert_eq!(
        json_of(get(&app, &path, None).await, StatusCode::BAD_REQUEST).await,
        json!({"by_serverid": ["A valid integer is required."]})
    );
    // The chat socket's path too: refused before the handshake, whatever the token.
    let response = get(&app, &format!("/%2B{id}/{channel}?token=x"), None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
