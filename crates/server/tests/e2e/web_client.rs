//! pingme's web client in a real Chromium: the flows of `web/e2e/*.test.mjs` (Playwright's
//! library, axe-core), each against this build's `pingme` binary on a data directory of its
//! own. They need Chromium (`PINGME_TEST_CHROMIUM`) and `npm ci` in `web/`: a plain `cargo test`
//! lists them as ignored; `.ci/run` provides both and runs them. Screenshots land in
//! `PINGME_SCREENSHOTS` (default `web/e2e/screenshots/`).

use crate::support::browser;
use std::path::PathBuf;
use std::process::Command;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Runs one file of `web/e2e/` with Node's test runner, its output passed through.
fn run(file: &str) {
    run_with(file, &[]);
}

/// The same, with more of the environment.
fn run_with(file: &str, env: &[(&str, &str)]) {
    let web = web_dir();
    assert!(
        web.join("node_modules/playwright-core").is_dir(),
        "the browser tests need web/node_modules: run `npm ci` in web/ (.ci/run does)"
    );
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", &format!("e2e/{file}")])
        .current_dir(&web)
        .env("PINGME_BIN", env!("CARGO_BIN_EXE_pingme"))
        .env(browser::ENV, browser::chromium())
        .envs(env.iter().copied())
        .status()
        .expect("node runs (the browser tests need Node.js)");
    assert!(status.success(), "web/e2e/{file} failed: {status}");
}

/// Sign up, verify, log in, stay logged in, reset a password, deep links.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn accounts_in_the_browser() {
    run("auth.test.mjs");
}

/// Profiles, avatars, deleting an account, staff administration.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn account_settings_and_staff_in_the_browser() {
    run("account.test.mjs");
}

/// Two people chatting: live messages, edits, deletes, typing, history paging with a bounded
/// DOM, reconnecting after the server restarts, a phone-sized screen.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn chat_in_the_browser() {
    run("chat.test.mjs");
}

/// Replies (quotes, jumping to the original far back), reactions (the picker, the chips, live),
/// pins (the owner's, the panel).
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn marks_in_the_browser() {
    run("marks.test.mjs");
}

/// Direct messages (Message on a profile, the list under Home with its unread state, live
/// answers), blocks (refused sends in words, unblocking) and leaving a group.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn dms_in_the_browser() {
    run("dms.test.mjs");
}

/// Message search: the panel, its scopes and total, a result opened in its place.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn search_in_the_browser() {
    run("search.test.mjs");
}

/// The gateway in the client: unread badges and mentions, the "new messages" line, read states
/// across tabs, presence and statuses, the live member list, desktop notifications.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn live_in_the_browser() {
    run("live.test.mjs");
}

/// Two nodes (Postgres, Redis) behind one address; the node the client is on is killed: the
/// client resumes on the other, every message shown once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Chromium, web/node_modules, Postgres and Redis: PINGME_TEST_CHROMIUM, PINGME_TEST_POSTGRES_URL, PINGME_TEST_REDIS_URL (.ci/run provides them)"]
async fn a_killed_node_in_the_browser() {
    let postgres = std::env::var("PINGME_TEST_POSTGRES_URL").expect("PINGME_TEST_POSTGRES_URL");
    let redis = std::env::var("PINGME_TEST_REDIS_URL").expect("PINGME_TEST_REDIS_URL");
    let database = crate::support::database::TestDatabase::postgres(&postgres).await;
    let url = database.url.clone();
    tokio::task::spawn_blocking(move || {
        run_with(
            "failover.test.mjs",
            &[
                ("PINGME_E2E_DATABASE_URL", &url),
                ("PINGME_E2E_REDIS_URL", &redis),
            ],
        )
    })
    .await
    .expect("the browser test ran");
    drop(database);
}

/// Explore, join, create and edit servers, channels, invites, moderation, ownership.
#[test]
#[ignore = "needs Chromium and web/node_modules: PINGME_TEST_CHROMIUM, npm ci in web/ (.ci/run provides both)"]
fn communities_in_the_browser() {
    run("community.test.mjs");
}

/// The web client over HTTP: what the server sends, without a browser.
mod serving {
    use crate::support::{Options, TestApp, spawn_app, spawn_app_with};
    use reqwest::StatusCode;
    use reqwest::header::{
        ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
        ETAG, IF_NONE_MATCH,
    };

    async fn get(app: &TestApp, path: &str) -> reqwest::Response {
        app.client.get(app.at(path)).send().await.expect("answer")
    }

    fn header(response: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> &str {
        response
            .headers()
            .get(name)
            .map_or("", |v| v.to_str().expect("text"))
    }

    /// The `/assets/<fingerprint>` prefix the page points at.
    async fn assets(app: &TestApp) -> String {
        let page = get(app, "/").await.text().await.expect("page");
        let at = page.find("/assets/").expect("the page names its files");
        let rest = &page[at + "/assets/".len()..];
        format!(
            "/assets/{}",
            &rest[..rest.find('/').expect("a fingerprint")]
        )
    }

    #[tokio::test]
    async fn the_page_is_served_at_the_root_and_every_client_route_under_a_strict_policy() {
        let app = spawn_app().await;
        let root = get(&app, "/").await;
        assert_eq!(root.status(), StatusCode::OK);
        assert_eq!(header(&root, CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(header(&root, CACHE_CONTROL), "no-cache");
        assert_eq!(header(&root, "x-frame-options"), "DENY");
        let policy = header(&root, CONTENT_SECURITY_POLICY).to_owned();
        for part in [
            "default-src 'none'",
            "script-src 'self';",
            "style-src 'self';",
            "connect-src 'self';",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{policy} lacks {part}");
        }
        assert!(!policy.contains("unsafe"), "{policy}");
        let page = root.text().await.expect("page");
        assert!(
            page.contains("<script type=\"module\" src=\"/assets/"),
            "{page}"
        );
        assert!(!page.contains("<script>"), "no inline script: {page}");
        for route in [
            "/login",
            "/signup",
            "/servers/3/channels/7",
            "/servers/3",
            "/dms/4",
            "/invite/Ab3dE5gH9k",
            "/app/reset/MTI/abc-123",
            "/explore",
            "/settings",
            "/admin",
        ] {
            let response = get(&app, route).await;
            assert_eq!(response.status(), StatusCode::OK, "{route}");
            assert!(!header(&response, CONTENT_SECURITY_POLICY).is_empty());
            assert_eq!(response.text().await.expect("page"), page, "{route}");
        }
    }

    #[tokio::test]
    async fn the_api_and_its_neighbours_are_not_taken_over() {
        let app = spawn_app().await;
        for path in [
            "/api/nothing/",
            "/nothing",
            "/media/nothing.png",
            "/loginx",
            "/assets/x",
        ] {
            let response = get(&app, path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            let body: serde_json::Value = response.json().await.expect("json");
            assert_eq!(body, serde_json::json!({"detail": "Not found."}), "{path}");
        }
        let post = app
            .client
            .post(app.at("/login"))
            .send()
            .await
            .expect("answer");
        assert_eq!(post.status(), StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/healthz").await.status(), StatusCode::OK);
        let categories = get(&app, "/api/categories/").await;
        assert_eq!(header(&categories, CONTENT_TYPE), "application/json");
    }

    #[tokio::test]
    async fn files_are_fingerprinted_compressed_cached_for_a_year_and_revalidated() {
        let app = spawn_app().await;
        let prefix = assets(&app).await;
        let main = format!("{prefix}/app/main.js");
        let packed = app
            .client
            .get(app.at(&main))
            .header(ACCEPT_ENCODING, "gzip, deflate, br")
            .send()
            .await
            .expect("answer");
        assert_eq!(packed.status(), StatusCode::OK);
        assert_eq!(header(&packed, CONTENT_ENCODING), "gzip");
        assert_eq!(
            header(&packed, CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            header(&packed, CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&packed, "vary"), "Accept-Encoding");
        let etag = header(&packed, ETAG).to_owned();
        let gzipped = packed.bytes().await.expect("body");
        assert_eq!(&gzipped[..2], &[0x1f, 0x8b], "a gzip stream");

        let plain = get(&app, &main).await;
        assert_eq!(header(&plain, CONTENT_ENCODING), "");
        let source = plain.text().await.expect("source");
        assert!(source.contains("import"), "{source}");
        assert!(source.len() > gzipped.len());

        let again = app
            .client
            .get(app.at(&main))
            .header(ACCEPT_ENCODING, "gzip")
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("answer");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert!(again.bytes().await.expect("body").is_empty());
        // The plain body is another representation, with a validator of its own.
        let identity = app
            .client
            .get(app.at(&main))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("answer");
        assert_eq!(identity.status(), StatusCode::OK);
        assert_ne!(header(&identity, ETAG), etag);

        let page_etag = header(&get(&app, "/").await, ETAG).to_owned();
        let page = app
            .client
            .get(app.at("/servers/1"))
            .header(IF_NONE_MATCH, &page_etag)
            .send()
            .await
            .expect("answer");
        assert_eq!(page.status(), StatusCode::NOT_MODIFIED);

        for stale in [
            "/assets/000000000000/app/main.js",
            &format!("{prefix}/app/none.js"),
        ] {
            assert_eq!(
                get(&app, stale).await.status(),
                StatusCode::NOT_FOUND,
                "{stale}"
            );
        }
        for vendored in [
            "vendor/preact.mjs",
            "vendor/htm-preact.mjs",
            "app/styles/app.css",
        ] {
            let response = get(&app, &format!("{prefix}/{vendored}")).await;
            assert_eq!(response.status(), StatusCode::OK, "{vendored}");
        }
        for private in [
            "vendor/lock.json",
            "vendor/preact.d.mts",
            "package.json",
            "test/client.test.js",
        ] {
            let response = get(&app, &format!("{prefix}/{private}")).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{private}");
        }
    }

    #[tokio::test]
    async fn with_the_client_off_the_root_names_the_api_and_client_routes_are_not_found() {
        let app = spawn_app_with(Options {
            web: false,
            ..Options::default()
        })
        .await;
        let root = get(&app, "/").await;
        assert!(header(&root, CONTENT_TYPE).starts_with("text/html"));
        assert!(header(&root, CONTENT_SECURITY_POLICY).is_empty());
        assert!(root.text().await.expect("page").contains(&app.url));
        assert_eq!(get(&app, "/login").await.status(), StatusCode::NOT_FOUND);
    }
}
