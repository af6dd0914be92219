//! The OpenAPI document and the Swagger UI, served by the running server: the formats, the
//! UI's files, the document against the router (every documented operation is routed, and a
//! documented path has no method the document does not list), and the UI in a browser.

use crate::support::browser::{self, Browser};
use crate::support::{json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SCHEMA: &str = "/api/docs/schema/";

async fn served_json(app: &crate::support::TestApp) -> Value {
    let url = app.at(&format!("{SCHEMA}?format=json"));
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.oai.openapi+json"
    );
    json_of(response, StatusCode::OK).await
}

#[tokio::test]
async fn the_document_is_served_as_yaml_and_as_json() {
    let app = spawn_app().await;
    let generated = serde_json::to_value(pingme_api::openapi()).unwrap();
    assert_eq!(served_json(&app).await, generated);

    let response = app.client.get(app.at(SCHEMA)).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.oai.openapi; charset=utf-8"
    );
    let yaml = response.text().await.unwrap();
    assert!(yaml.starts_with("openapi: 3.1"), "{}", &yaml[..80]);
    assert!(yaml.contains("/api/servers/{id}/:"));

    let asked = app
        .client
        .get(app.at("/api/docs/schema"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(asked, StatusCode::OK).await, generated);

    let url = app.at(&format!("{SCHEMA}?format=xml"));
    let refused = app.client.get(url).send().await.unwrap();
    assert_eq!(
        json_of(refused, StatusCode::BAD_REQUEST).await,
        json!({"format": ["\"xml\" is not a valid choice."]})
    );
}

/// A path of the document with every parameter filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The router's answer to a method no route has: 405 with the methods the path does have.
#[tokio::test]
async fn the_router_has_exactly_the_documented_methods_of_each_path() {
    let app = spawn_app().await;
    let document = served_json(&app).await;
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() > 30, "{}", paths.len());
    for (path, item) in paths {
        let mut documented: BTreeSet<String> = item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
            .map(|k| k.to_uppercase())
            .collect();
        if documented.contains("GET") {
            documented.insert("HEAD".into());
        }
        let trace = app
            .client
            .request(Method::TRACE, app.at(&concrete(path)))
            .send()
            .await
            .unwrap();
        assert_eq!(trace.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allow = trace.headers()["allow"].to_str().unwrap();
        let routed: BTreeSet<String> = allow.split(',').map(|m| m.trim().to_owned()).collect();
        assert_eq!(routed, documented, "{path}");
    }
}

#[tokio::test]
async fn swagger_ui_and_its_files_come_from_the_server() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.at("/api/docs/schema/ui/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    // Its links are relative: they must resolve under `ui/` even when the page is opened as
    // `/api/docs/schema/ui`, without the trailing `/`.
    assert!(
        html.contains(r#"<base href="/api/docs/schema/ui/">"#),
        "{html}"
    );
    for (file, content_type) in [
        ("swagger-ui.css", "text/css; charset=utf-8"),
        ("index.css", "text/css; charset=utf-8"),
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        (
            "swagger-ui-standalone-preset.js",
            "text/javascript; charset=utf-8",
        ),
        ("swagger-initializer.js", "text/javascript; charset=utf-8"),
        ("favicon-32x32.png", "image/png"),
    ] {
        assert!(html.contains(file), "the page does not load {file}");
        // As the browser asks for it: relative to the page, without a trailing `/`.
        let url = app.at(&format!("/api/docs/schema/ui/{file}"));
        let response = app.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        assert_eq!(response.headers()["content-type"], content_type, "{file}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response.headers().contains_key("etag"), "{file}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{file}");
    }
    let init = app
        .client
        .get(app.at("/api/docs/schema/ui/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/docs/schema/?format=json"), "{init}");

    let missing = app
        .client
        .get(app.at("/api/docs/schema/ui/swagger-ui.js.map"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(missing, StatusCode::NOT_FOUND).await,
        json!({"detail": "Not found."})
    );
}

/// Clicks the first element matching a CSS selector.
fn click(selector: &str) -> String {
    format!("document.querySelector({}).click(), true", json!(selector))
}

/// Swagger UI in a real browser, with nothing but the server to load from: "Authorize" takes
/// a token from `/api/token/`, and "Try it out" then calls the API with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium: PINGME_TEST_CHROMIUM (.ci/run installs it and sets it)"]
async fn swagger_ui_authorizes_with_a_token_and_calls_the_api() {
    let chromium = browser::chromium();
    let app = spawn_app().await;
    let user = app.quick_user("swagger", false).await;
    let browser = Browser::launch(&chromium).await;
    // Without the trailing `/`, the hardest case for the page's relative links.
    let page = browser.page(&app.at("/api/docs/schema/ui")).await;
    let operation = "#operations-account-account_me_retrieve";
    page.wait_for(&format!("!!document.querySelector('{operation}')"))
        .await;

    page.eval(&click("button.btn.authorize")).await;
    page.wait_for("!!document.querySelector('#auth-bearer-value')")
        .await;
    // React reads the field through its own value setter and an input event.
    page.eval(&format!(
        "(() => {{
            const field = document.querySelector('#auth-bearer-value');
            const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
            set.call(field, {});
            field.dispatchEvent(new Event('input', {{ bubbles: true }}));
            return true;
        }})()",
        json!(user.access)
    ))
    .await;
    page.eval(&click(".modal-ux button.modal-btn.auth.authorize"))
        .await;
    page.wait_for(
        "!!document.querySelector('.modal-ux button[aria-label=\"Remove authorization\"]')",
    )
    .await;
    page.eval(&click(".modal-ux button.btn-done")).await;
    page.wait_for("!!document.querySelector('button.btn.authorize.locked')")
        .await;

    page.eval(&click(&format!("{operation} .opblock-summary-control")))
        .await;
    page.wait_for(&format!(
        "!!document.querySelector('{operation} .try-out__btn')"
    ))
    .await;
    page.eval(&click(&format!("{operation} .try-out__btn")))
        .await;
    page.wait_for(&format!(
        "!!document.querySelector('{operation} button.execute')"
    ))
    .await;
    page.eval(&click(&format!("{operation} button.execute")))
        .await;
    let answer = page
        .wait_for(&format!(
            "(() => {{
                const status = document.querySelector('{operation} .live-responses-table tr.response .response-col_status');
                const body = document.querySelector('{operation} .live-responses-table .response-col_description pre');
                return status && body && body.textContent.includes('\"owner\"')
                    && [status.textContent.trim(), body.textContent];
            }})()"
        ))
        .await;
    assert_eq!(answer[0], "200", "{answer}");
    let me: Value = serde_json::from_str(answer[1].as_str().unwrap()).unwrap();
    assert_eq!(me["id"], user.id);
    assert_eq!(me["owner"], "swagger");
    browser.close().await;
}
