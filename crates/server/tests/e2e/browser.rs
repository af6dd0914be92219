//! The chat in real browsers: two browser contexts of a headless Chromium load a page served
//! from the configured client origin, which logs in, reads the history and chats the way the
//! original client does (CORS preflights, the socket's `Origin` and all). Runs when
//! `PINGME_TEST_CHROMIUM` is set; see `support/browser.rs`.

use crate::support::browser::{self, Browser, Page};
use crate::support::community::room;
use crate::support::{Options, PASSWORD, TestApp, User, spawn_app_with};
use axum::response::Html;
use serde_json::{Value, json};

const CLIENT: &str = include_str!("browser/client.html");

/// Serves the client page on a port of its own; its origin.
async fn serve_client() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("address"));
    let app = axum::Router::new().route("/", axum::routing::get(|| async { Html(CLIENT) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

async fn logged_in(browser: &Browser, origin: &str, app: &TestApp, login: &str) -> Page {
    let page = browser.page(&format!("{origin}/")).await;
    page.eval(&format!(
        "chat.login({}, {}, {})",
        json!(app.url),
        json!(login),
        json!(PASSWORD)
    ))
    .await;
    page
}

/// What the page shows, once it shows `expected`.
async fn shows(page: &Page, expected: &[&str]) {
    let wanted = json!(expected).to_string();
    let shown = page
        .wait_for(&format!(
            "JSON.stringify(chat.shown()) === {} && chat.shown()",
            json!(wanted)
        ))
        .await;
    assert_eq!(shown, json!(expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: PINGME_TEST_CHROMIUM (.ci/run installs it and sets it)"]
async fn two_browsers_chat_edit_and_delete_live() {
    let chromium = browser::chromium();
    let (origin, foreign) = (serve_client().await, serve_client().await);
    let options = Options {
        cors_origins: vec![origin.clone()],
        client_origin: origin.clone(),
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    let (ann, bob): (User, User) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;

    let browser = Browser::launch(&chromium).await;
    let (a, b) = (
        logged_in(&browser, &origin, &app, "ann").await,
        logged_in(&browser, &origin, &app, "bob").await,
    );
    for page in [&a, &b] {
        page.eval(&format!("chat.open({server}, {channel})")).await;
    }
    a.eval("chat.send({message: 'hello from ann'})").await;
    // The two sockets race to the server: bob answers once he has read ann.
    shows(&b, &["ann: hello from ann"]).await;
    b.eval("chat.send({type: 'message', message: '  hi ann  '})")
        .await;
    for page in [&a, &b] {
        shows(page, &["ann: hello from ann", "bob: hi ann"]).await;
    }

    let first = a.eval("chat.messages[0].id").await;
    let edit =
        format!("chat.request('PATCH', '/api/messages/{first}/', {{content: 'hello, edited'}})");
    assert_eq!(a.eval(&edit).await["status"], 200);
    shows(&b, &["ann: hello, edited", "bob: hi ann"]).await;
    let second = b.eval("chat.messages[1].id").await;
    assert_eq!(
        b.eval(&format!(
            "chat.request('DELETE', '/api/messages/{second}/')"
        ))
        .await["status"],
        204
    );
    shows(&a, &["ann: hello, edited"]).await;

    // A reloaded page gets the same from the history, with the full account as `user`.
    b.reload().await;
    b.eval(&format!(
        "chat.login({}, 'bob', {})",
        json!(app.url),
        json!(PASSWORD)
    ))
    .await;
    b.eval(&format!("chat.open({server}, {channel})")).await;
    shows(&b, &["ann: hello, edited"]).await;
    let user: Value = b.eval("chat.messages[0].user").await;
    assert_eq!(
        (&user["id"], &user["owner"], &user["username"]),
        (&json!(ann.id), &json!("ann"), &json!("ann"))
    );

    refused_from_another_origin(&browser, &foreign, &app, &ann, (server, channel)).await;
    browser.close().await;
}

/// A page of another origin can neither call the API (no CORS) nor open a socket (403).
async fn refused_from_another_origin(
    browser: &Browser,
    foreign: &str,
    app: &TestApp,
    ann: &User,
    (server, channel): (i64, i64),
) {
    let page = browser.page(&format!("{foreign}/")).await;
    let login = format!(
        "chat.login({}, 'ann', {}).then(() => 'in', e => e.name)",
        json!(app.url),
        json!(PASSWORD)
    );
    assert_eq!(
        page.eval(&login).await,
        "TypeError",
        "the browser blocks the answer"
    );
    page.eval(&format!(
        "chat.api = {}; chat.access = {}",
        json!(app.url),
        json!(ann.access)
    ))
    .await;
    let connect = format!("chat.connect({server}, {channel}).then(() => 'open', e => e.message)");
    assert_eq!(page.eval(&connect).await, "socket refused");
}
