//! The `pingme` binary itself: its subcommands, its refusal of weak production secrets, and
//! its shutdown on SIGTERM.

use crate::support::{PASSWORD, eventually, json_of};
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// The binary with a clean environment and its own data directory.
pub fn pingme(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pingme"));
    command
        .env_clear()
        .env("PINGME_DATA_DIR", data_dir)
        .env("RUST_LOG", "info")
        .kill_on_drop(true);
    command
}

pub async fn finished(command: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("finishes in time")
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn migrate_creates_the_database_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let output = finished(pingme(dir.path()).arg("migrate")).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("migrations applied"));
    assert!(dir.path().join("pingme.sqlite3").exists());
}

#[tokio::test]
async fn production_refuses_to_start_without_a_strong_secret() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        None,
        Some("too-short"),
        Some("django-insecure-abcdefghijklmnopqrstuvwxyz0123456789"),
    ];
    for secret in cases {
        let mut command = pingme(dir.path());
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("PINGME_ENV", "production");
        if let Some(secret) = secret {
            command.env("SECRET_KEY", secret);
        }
        let output = finished(&mut command).await;
        assert!(!output.status.success(), "started with {secret:?}");
        assert!(
            text(&output.stderr).contains("SECRET_KEY"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[tokio::test]
async fn admin_create_user_reads_the_password_from_env_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let mut from_env = pingme(dir.path());
    from_env
        .args([
            "admin",
            "create-user",
            "--username",
            "root",
            "--email",
            "root@example.com",
            "--staff",
            "--verified",
        ])
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    let output = finished(&mut from_env).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("created account"));

    let mut from_stdin = pingme(dir.path());
    from_stdin
        .args([
            "admin",
            "create-user",
            "--username",
            "second",
            "--email",
            "second@example.com",
            "--verified",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = from_stdin.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));

    let mut duplicate = pingme(dir.path());
    duplicate
        .args([
            "admin",
            "create-user",
            "--username",
            "ROOT",
            "--email",
            "x@example.com",
        ])
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    let output = finished(&mut duplicate).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("already exists"),
        "{}",
        text(&output.stderr)
    );

    // `rооt` with Cyrillic o's: free, but it would pass for root.
    let mut look_alike = pingme(dir.path());
    look_alike
        .args(["admin", "create-user", "--username", "rооt"])
        .args(["--email", "y@example.com"])
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    let output = finished(&mut look_alike).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("a user with a similar username already exists"),
        "{}",
        text(&output.stderr)
    );

    let mut weak = pingme(dir.path());
    weak.args([
        "admin",
        "create-user",
        "--username",
        "weak",
        "--email",
        "weak@example.com",
    ])
    .env("PINGME_ADMIN_PASSWORD", "12345");
    let output = finished(&mut weak).await;
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("too short"),
        "{}",
        text(&output.stderr)
    );

    // The accounts made by the command can log in on a server over the same data.
    let (url, server) = serve(dir.path()).await;
    let client = reqwest::Client::new();
    for name in ["root", "second"] {
        let response = client
            .post(format!("{url}/api/token/"))
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        json_of(response, StatusCode::OK).await;
    }
    terminate(server).await;
}

#[tokio::test]
async fn serve_prints_its_url_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (url, server) = serve(dir.path()).await;
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let stderr = terminate(server).await;
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(reqwest::get(format!("{url}/healthz")).await.is_err());
    assert!(
        dir.path().join("secret_key").exists(),
        "development keeps its generated secret"
    );
}

/// Starts `pingme serve` on a free port and returns the URL it printed.
async fn serve(data_dir: &std::path::Path) -> (String, tokio::process::Child) {
    serve_with(pingme(data_dir)).await
}

/// Starts the command's `pingme serve` on a free port and returns the URL it printed.
pub async fn serve_with(mut command: Command) -> (String, tokio::process::Child) {
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .expect("a line");
    let url = line.rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    (url, child)
}

/// Sends SIGTERM, checks the exit is clean, and returns what the server logged.
pub async fn terminate(mut child: tokio::process::Child) -> String {
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::io::AsyncReadExt::read_to_string(&mut pipe, &mut stderr)
            .await
            .unwrap();
        child.wait().await.unwrap()
    })
    .await
    .expect("exits in time");
    assert!(exit.success(), "exit {exit:?}: {stderr}");
    stderr
}

/// Without Redis the command cannot tell the running node: logging in is refused at once
/// (it always reads the database), tokens once the node's read cache lets go of the account,
/// within `PINGME_CACHE_TTL`.
#[tokio::test]
async fn a_deactivated_account_is_shut_out_within_the_cache_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let mut create = pingme(dir.path());
    create
        .args([
            "admin",
            "create-user",
            "--username",
            "olga",
            "--email",
            "olga@example.com",
            "--verified",
        ])
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    assert!(finished(&mut create).await.status.success());
    let mut command = pingme(dir.path());
    command.env("PINGME_CACHE_TTL", "2s");
    let (url, server) = serve_with(command).await;
    let client = reqwest::Client::new();
    let login = || {
        client
            .post(format!("{url}/api/token/"))
            .json(&json!({"username": "olga", "password": PASSWORD}))
            .send()
    };
    let tokens = json_of(login().await.unwrap(), StatusCode::OK).await;
    let access = tokens["access"].as_str().unwrap().to_owned();
    let me = || {
        client
            .get(format!("{url}/api/account/me/"))
            .bearer_auth(&access)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);

    let output =
        finished(pingme(dir.path()).args(["admin", "deactivate-user", "--username", "OLGA"])).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(login().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let refused = eventually(Duration::from_secs(10), || async {
        let response = me().await.unwrap();
        (response.status() == StatusCode::UNAUTHORIZED).then_some(response)
    })
    .await;
    assert_eq!(
        json_of(refused, StatusCode::UNAUTHORIZED).await["code"],
        "token_not_valid"
    );
    let refresh = client
        .post(format!("{url}/api/token/refresh/"))
        .json(&json!({"refresh": tokens["refresh"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(refresh, StatusCode::UNAUTHORIZED).await["code"],
        "token_not_valid"
    );
    assert_eq!(login().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let output =
        finished(pingme(dir.path()).args(["admin", "activate-user", "--username", "olga"])).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    json_of(login().await.unwrap(), StatusCode::OK).await;
    terminate(server).await;
}

/// The change a command makes is saved whether or not the nodes can be told: a Redis that
/// cannot be reached is a warning (the nodes' re-check closes the sockets later), while a
/// command that did not do its own work still fails.
#[tokio::test]
async fn a_deactivation_is_saved_when_redis_cannot_be_reached() {
    let dir = tempfile::tempdir().unwrap();
    let created = finished(
        pingme(dir.path())
            .args([
                "admin",
                "create-user",
                "--username",
                "ida",
                "--email",
                "ida@example.com",
            ])
            .env("PINGME_ADMIN_PASSWORD", PASSWORD),
    )
    .await;
    assert!(created.status.success(), "{}", text(&created.stderr));
    // Nothing listens on port 1: every attempt to reach Redis is refused at once.
    let unreachable = "redis://127.0.0.1:1";
    let output = finished(
        pingme(dir.path())
            .args(["admin", "deactivate-user", "--username", "ida"])
            .env("REDIS_URL", unreachable),
    )
    .await;
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(text(&output.stdout).contains("is deactivated"));
    assert!(
        stderr.contains("warning:") && stderr.contains("PINGME_WS_PING"),
        "{stderr}"
    );
    let unknown = finished(
        pingme(dir.path())
            .args(["admin", "deactivate-user", "--username", "nobody"])
            .env("REDIS_URL", unreachable),
    )
    .await;
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("no account is named nobody"));
}

#[tokio::test]
async fn admin_create_users_makes_verified_accounts_and_their_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("users.csv");
    let create = || {
        let mut command = pingme(dir.path());
        command
            .args([
                "admin",
                "create-users",
                "--prefix",
                "load",
                "--count",
                "3",
                "--csv",
            ])
            .arg(&csv)
            .env("PINGME_ADMIN_PASSWORD", PASSWORD);
        command
    };
    let output = finished(&mut create()).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("created 3 accounts, 0 existed"));
    let lines = std::fs::read_to_string(&csv).unwrap();
    let expected: Vec<String> = std::iter::once("username,password".to_owned())
        .chain((0..3).map(|n| format!("load{n},{PASSWORD}")))
        .collect();
    assert_eq!(lines.lines().collect::<Vec<_>>(), expected);
    let again = finished(&mut create()).await;
    assert!(
        text(&again.stdout).contains("created 0 accounts, 3 existed"),
        "{}",
        text(&again.stdout)
    );

    let (url, server) = serve(dir.path()).await;
    let login = reqwest::Client::new()
        .post(format!("{url}/api/token/"))
        .json(&json!({"username": "load2", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(
        json_of(login, StatusCode::OK).await["access"].is_string(),
        "verified: logs in at once"
    );
    terminate(server).await;
}

/// Without CLIENT_ORIGIN, the client origin is the public URL, as the README says: CORS
/// allows it, and the chat socket takes pages of this server (by whatever name the browser
/// reached it) while refusing foreign ones.
#[tokio::test]
async fn an_unset_client_origin_is_the_public_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = pingme(dir.path());
    command.env("RUST_LOG", "warn");
    let node = crate::support::node::Node::start(command).await;
    let client = reqwest::Client::new();
    let preflight = |origin: String| {
        client
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/api/account/me/", node.url),
            )
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight(node.url.clone()).await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        node.url.as_str()
    );
    let foreign = preflight("http://elsewhere.example".into()).await.unwrap();
    assert!(
        !foreign
            .headers()
            .contains_key("access-control-allow-origin")
    );

    let port = node.url.rsplit(':').next().unwrap();
    let socket = |origin: String, host: String| {
        client
            .get(format!("{}/1/1?token=not-a-token", node.url))
            .header("origin", origin)
            .header("host", host)
            .send()
    };
    let this_server = socket(
        format!("http://localhost:{port}"),
        format!("localhost:{port}"),
    );
    let detail = json_of(this_server.await.unwrap(), StatusCode::FORBIDDEN).await;
    assert!(
        detail["detail"].as_str().unwrap().contains("access token"),
        "{detail}"
    );
    let elsewhere = socket(
        "http://elsewhere.example".into(),
        format!("localhost:{port}"),
    );
    let detail = json_of(elsewhere.await.unwrap(), StatusCode::FORBIDDEN).await;
    assert!(
        detail["detail"].as_str().unwrap().contains("origin"),
        "{detail}"
    );
    node.terminate().await;
}
