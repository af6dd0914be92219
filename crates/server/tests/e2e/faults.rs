//! A node whose Postgres goes away and comes back: requests that need the database answer
//! 503 `{"detail": …}` with `Retry-After`, `/readyz` fails, and the node recovers by itself.
//! The shared Postgres server cannot be restarted here, so the node reaches it through a TCP
//! proxy in the test, which is cut (every connection dropped, new ones refused) and restored.
//! Needs `PINGME_TEST_POSTGRES_URL`: ignored by a plain `cargo test`, run by `.ci/run`.

use crate::support::database::TestDatabase;
use crate::support::{Options, TestApp, spawn_app_with};
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// Forwards connections to `target` until cut.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let (flag, tasks) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped at once: the connection is refused
                }
                let target = target.clone();
                tasks.lock().await.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            port,
            cut,
            connections,
        }
    }

    /// Drops every open connection and refuses new ones, as a database that went away.
    async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn address(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

/// `/readyz`'s status; a 503 says when to try again, as every 503 does.
async fn readiness(app: &TestApp) -> StatusCode {
    let ready = app.client.get(app.at("/readyz")).send().await;
    let ready = ready.expect("readyz answers");
    if ready.status() == StatusCode::SERVICE_UNAVAILABLE {
        assert_eq!(ready.headers()["retry-after"], "5");
    }
    ready.status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
async fn a_database_that_goes_away_gets_503s_and_the_node_recovers() {
    let server = std::env::var("PINGME_TEST_POSTGRES_URL")
        .expect("the database fault test needs PINGME_TEST_POSTGRES_URL");
    let database = TestDatabase::postgres(&server).await;
    let proxy = Proxy::start(address(&server)).await;
    let through_proxy =
        database
            .url
            .replacen(&address(&server), &format!("127.0.0.1:{}", proxy.port), 1);
    let app = spawn_app_with(Options {
        database_url: Some(through_proxy),
        db_timeout: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let ann = app.quick_user("ann", false).await;
    // The account a token names may be answered from the read cache; a listing of servers
    // always reads the database.
    let servers = "/api/account/my_servers/";
    assert_eq!(
        app.get_with(servers, &ann.access).await.status(),
        StatusCode::OK
    );

    proxy.cut().await;
    let refused = app.get_with(servers, &ann.access).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()["retry-after"], "5");
    let body: serde_json::Value = refused.json().await.expect("JSON");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(readiness(&app).await, StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    let back = Instant::now();
    loop {
        let listed = app.get_with(servers, &ann.access).await;
        if listed.status() == StatusCode::OK {
            break;
        }
        assert_eq!(listed.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "the node did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(readiness(&app).await, StatusCode::OK);
    drop(app);
    drop(database);
}
