//! Starting real pingme servers on random ports, and talking to them.

pub mod browser;
pub mod community;
pub mod database;
pub mod mail;
pub mod node;
pub mod raw_ws;
pub mod smtp;
pub mod socket;

use database::TestDatabase;

use pingme_api::config::{ApiConfig, ChatConfig, Rate, RateLimitConfig, TokenLifetimes};
use pingme_domain::account::{Email, NewAccount, Username};
use pingme_domain::store::Store;
use pingme_mail::{SmtpConfig, SmtpSecurity, TransportConfig};
use pingme_media::S3Config;
use pingme_realtime::LocalBus;
use pingme_server::config::MediaConfig;
use pingme_server::listener::ListenerConfig;
use pingme_server::{Application, Config, Environment};
use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct horse battery";

/// How a test wants its server; everything else is the default test set-up.
pub struct Options {
    pub lifetimes: TokenLifetimes,
    pub rate_limits: Option<RateLimitConfig>,
    pub max_body_bytes: usize,
    pub cors_origins: Vec<String>,
    pub allowed_hosts: Vec<String>,
    pub client_origin: String,
    pub smtp: Option<u16>,
    /// Keep uploads in this bucket instead of `<data dir>/media`.
    pub s3: Option<S3Config>,
    pub chat: ChatConfig,
    /// Another node's database instead of a fresh one (nodes of one installation).
    pub database_url: Option<String>,
    /// Redis URL and channel of the bus between nodes.
    pub redis: Option<(String, String)>,
    /// Postgres: how long a statement (or waiting for a connection) may take.
    pub db_timeout: Duration,
    /// Connection caps and timeouts (the body timeout is `http.timeouts.stall`).
    pub http: ListenerConfig,
    /// Memory request bodies may hold at once.
    pub body_memory: usize,
    /// Serve the web client (`PINGME_WEB`).
    pub web: bool,
    /// The read cache's time to live (`PINGME_CACHE_TTL`).
    pub cache_ttl: Duration,
    /// Bytes of latest pages kept rendered (`PINGME_PAGE_CACHE`).
    pub page_cache: usize,
}

impl Options {
    /// Rate limits on: `messages` per account and channel a minute, a hundred of the others.
    pub fn messages_per_minute(messages: u32) -> Self {
        let rate = |count| Rate {
            count: NonZeroU32::new(count).expect("a positive count"),
            per: Duration::from_secs(60),
        };
        Self {
            rate_limits: Some(RateLimitConfig {
                login_per_ip: rate(100),
                login_per_user: rate(100),
                mail_per_ip: rate(100),
                messages: rate(messages),
            }),
            ..Self::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lifetimes: TokenLifetimes::default(),
            rate_limits: None,
            max_body_bytes: 10 * 1024 * 1024,
            cors_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            client_origin: "http://client.test".into(),
            smtp: None,
            s3: None,
            chat: ChatConfig::default(),
            database_url: None,
            redis: None,
            db_timeout: Duration::from_secs(5),
            http: ListenerConfig::default(),
            body_memory: 256 << 20,
            web: true,
            cache_ttl: Duration::from_secs(2),
            page_cache: 64 << 20,
        }
    }
}

/// The web client compiled into the binary, built once for every test app.
fn web_client() -> Arc<pingme_web::WebClient> {
    static CLIENT: std::sync::OnceLock<Arc<pingme_web::WebClient>> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| Arc::new(pingme_web::WebClient::embedded()))
        .clone()
}

/// A pingme server running in this process on its own port, data directory and database.
pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub client_origin: String,
    pub store: Arc<dyn Store>,
    pub events: LocalBus,
    pub hub: Arc<pingme_realtime::Hub>,
    pub gateway: Arc<pingme_realtime::GatewayHub>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    /// Its database (dropped after the server stops: fields drop in order).
    pub database: TestDatabase,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().to_path_buf();
    let mail = match options.smtp {
        Some(port) => TransportConfig::Smtp(SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(port),
            security: SmtpSecurity::None,
            helo: Some("pingme.test".into()),
            credentials: None,
        }),
        None => TransportConfig::Outbox(data_dir.join("outbox")),
    };
    // A node sharing another's database leaves it to that one to drop.
    let database = match options.database_url {
        Some(url) => TestDatabase::shared(url),
        None => TestDatabase::create(&data_dir).await,
    };
    let config = Config {
        bind: "127.0.0.1:0".parse().expect("address"),
        database_url: database.url.clone(),
        database: pingme_store::PgSettings {
            statement_timeout: options.db_timeout,
            ..pingme_store::PgSettings::default()
        },
        environment: Environment::Development,
        secret: SecretString::from("test-secret-0123456789-abcdefghijklmnop".to_owned()),
        api: ApiConfig {
            public_url: String::new(),
            client_origin: options.client_origin.clone(),
            cors_origins: options.cors_origins,
            allowed_hosts: options.allowed_hosts,
            max_body_bytes: options.max_body_bytes,
            max_upload_bytes: 4 * 1024 * 1024,
            image_memory: 512 * 1024 * 1024,
            media_sweep_delay: Duration::from_secs(1),
            attachment_ttl: Duration::from_secs(2),
            page_cache: options.page_cache,
            body_timeout: options.http.timeouts.stall,
            body_memory: options.body_memory,
            chat: options.chat,
            lifetimes: options.lifetimes,
            rate_limits: options.rate_limits,
            trusted_proxies: Vec::new(),
            web: options.web.then(web_client),
        },
        mail_from: "pingme <noreply@pingme.test>".into(),
        mail,
        default_categories: ["general", "gaming", "music"]
            .iter()
            .map(|n| pingme_domain::community::CategoryName::parse(n).expect("name"))
            .collect(),
        media: match options.s3 {
            Some(s3) => MediaConfig::S3(s3),
            None => MediaConfig::Local(data_dir.join("media")),
        },
        shutdown_grace: Duration::from_secs(5),
        http: options.http,
        redis: options.redis,
        cache_ttl: options.cache_ttl,
        data_dir: data_dir.clone(),
    };
    let app = Application::build(config)
        .await
        .expect("build the application");
    let url = app.url().to_owned();
    let (store, events, hub, gateway) = (app.store(), app.events(), app.hub(), app.gateway());
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stop.await;
    }));
    TestApp {
        url,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        data_dir,
        client_origin: options.client_origin,
        store,
        events,
        hub,
        gateway,
        shutdown: Some(shutdown),
        server: Some(server),
        database,
        _dir: dir,
    }
}

impl TestApp {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.at(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_with(&self, path: &str, access: &str) -> Response {
        self.client
            .get(self.at(path))
            .bearer_auth(access)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_me(&self, access: &str) -> Response {
        let url = self.at("/api/account/delete_me/");
        self.client
            .delete(url)
            .bearer_auth(access)
            .send()
            .await
            .expect("request")
    }

    /// Registers an account and returns the registration response.
    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        let body =
            json!({"username": username, "email": email, "email2": email, "password": password});
        self.post("/api/account/register/", body).await
    }

    /// Follows an e-mailed verification link, as a browser would.
    pub async fn follow(&self, link: &str) -> Response {
        self.client.get(link).send().await.expect("request")
    }

    /// Registers and verifies (through the outbox) an account that can log in.
    pub async fn verified_user(&self, username: &str) -> i64 {
        let email = format!("{username}@example.com");
        assert_eq!(
            self.register(username, &email, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let link = mail::link_in(
            &self.outbox_mail_to(&email).await,
            "/api/account/verify_email/",
        );
        assert_eq!(self.follow(&link).await.status(), StatusCode::FOUND);
        let tokens = self.login(username, PASSWORD).await;
        let me: Value = self
            .get_with("/api/account/me/", &tokens.access)
            .await
            .json()
            .await
            .expect("json");
        me["id"].as_i64().expect("id")
    }

    /// A verified account made straight in the store (no e-mail round trip), logged in.
    pub async fn quick_user(&self, login: &str, staff: bool) -> User {
        let new = NewAccount {
            login: Username::parse(login).expect("login"),
            email: Email::parse(&format!("{login}@example.com")).expect("email"),
            password_hash: password_hash().await,
            is_staff: staff,
            verified: true,
        };
        let id = self
            .store
            .create_account(&new)
            .await
            .expect("create account")
            .id;
        User {
            id: id.0,
            access: self.login(login, PASSWORD).await.access,
        }
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Response {
        self.post(
            "/api/token/",
            json!({"username": username, "password": password}),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Tokens {
        let response = self.try_login(username, password).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.expect("json");
        Tokens {
            access: body["access"].as_str().expect("access").to_owned(),
            refresh: body["refresh"].as_str().expect("refresh").to_owned(),
        }
    }

    /// The newest message the development outbox holds for `to`, waiting for it to arrive.
    pub async fn outbox_mail_to(&self, to: &str) -> String {
        mail::wait_in_outbox(&self.data_dir.join("outbox"), to).await
    }

    /// Tells the server to stop, as SIGTERM would, without waiting.
    pub fn signal_stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Stops the server as a signal would, and waits for it to finish.
    /// Waits (five seconds at most) until the server holds `n` sockets, no more.
    pub async fn sockets_down_to(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.hub.connections() > n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} sockets still registered, not {n}",
                self.hub.connections()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(self.hub.connections(), n);
    }

    pub async fn stop(mut self) {
        self.signal_stop();
        if let Some(server) = self.server.take() {
            let finished = tokio::time::timeout(Duration::from_secs(10), server).await;
            finished
                .expect("server stops in time")
                .expect("server task")
                .expect("server result");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

/// An account of a test, and its access token.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub access: String,
}

/// [`PASSWORD`]'s hash, computed once per test run: hashing is deliberately slow.
async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        pingme_app::passwords::hash(PASSWORD.into())
            .await
            .expect("hash")
    })
    .await
    .clone()
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// The JSON body of a response, with its status checked first.
pub async fn json_of(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Polls `check` until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    tokio::time::timeout(limit, async {
        loop {
            if let Some(value) = check().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await
    .expect("condition not met in time")
}
