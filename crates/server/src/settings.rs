//! Every setting as a command-line flag and an environment variable: the original's names
//! (`SECRET_KEY`, `DATABASE_URL`, `ALLOWED_HOSTS`, `CLIENT_ORIGIN`, …) and pingme's own
//! `PINGME_*` ones. Secrets are not here: they are read from the environment only, so they
//! never appear in `ps` or shell history.

use clap::{Args, ValueEnum};
use pingme_api::config::{Rate, parse_size};
use pingme_domain::duration::{parse_duration_or_zero, parse_seconds};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// Every setting, as a flag and an environment variable. See the README's table.
#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "PINGME_BIND",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind: SocketAddr,
    /// Directory for the SQLite database, the generated secret and the e-mail outbox.
    #[arg(
        long,
        env = "PINGME_DATA_DIR",
        default_value = "./pingme-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite:<path>` or `postgres://user:password@host/db`; default
    /// `sqlite:<data dir>/pingme.sqlite3`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Postgres: connections in this node's pool.
    #[arg(long, env = "PINGME_DB_POOL", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub db_pool: u32,
    /// Postgres: how long a statement may run before it is cut off (and the request gets 503).
    #[arg(long, env = "PINGME_DB_TIMEOUT", default_value = "5s", value_parser = parse_seconds, global = true)]
    pub db_timeout: Duration,
    /// `production` refuses to start without a strong SECRET_KEY.
    #[arg(
        long = "env",
        env = "PINGME_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,
    /// Public base URL of this server, used in e-mailed links; default the bound address.
    #[arg(long, env = "PINGME_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Accepted Host header values, comma-separated (`.example.com` for subdomains, `*` any).
    #[arg(long, env = "ALLOWED_HOSTS", value_delimiter = ',', global = true)]
    pub allowed_hosts: Vec<String>,
    /// The web client's origin: CORS, redirects after verification, password-reset links.
    #[arg(long, env = "CLIENT_ORIGIN", global = true)]
    pub client_origin: Option<String>,
    /// The web client's development origin (CORS only).
    #[arg(long, env = "CLIENT_ORIGIN_DEV", global = true)]
    pub client_origin_dev: Option<String>,
    /// More origins allowed by CORS, comma-separated.
    #[arg(
        long,
        env = "PINGME_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Vec<String>,
    /// SMTP login and default sender address.
    #[arg(long, env = "HOST_EMAIL", global = true)]
    pub host_email: Option<String>,
    /// Sender of e-mails (`Name <address>`); default HOST_EMAIL, else pingme@localhost.
    #[arg(long, env = "PINGME_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// SMTP server; without it, e-mails are written to <data dir>/outbox.
    #[arg(long, env = "PINGME_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// SMTP port; default 25, 587 or 465 by PINGME_SMTP_TLS.
    #[arg(long, env = "PINGME_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    #[arg(
        long,
        env = "PINGME_SMTP_TLS",
        value_enum,
        default_value = "starttls",
        global = true
    )]
    pub smtp_tls: SmtpTls,
    /// Name given in the SMTP EHLO greeting; default the machine's hostname.
    #[arg(long, env = "PINGME_SMTP_HELO", global = true)]
    pub smtp_helo: Option<String>,
    #[arg(long, env = "PINGME_ACCESS_TTL", default_value = "1d", value_parser = parse_seconds, global = true)]
    pub access_ttl: Duration,
    #[arg(long, env = "PINGME_REFRESH_TTL", default_value = "4d", value_parser = parse_seconds, global = true)]
    pub refresh_ttl: Duration,
    /// Lifetime of e-mail verification links.
    #[arg(long, env = "PINGME_VERIFY_TTL", default_value = "3d", value_parser = parse_seconds, global = true)]
    pub verify_ttl: Duration,
    /// Lifetime of password-reset links.
    #[arg(long, env = "PINGME_RESET_TTL", default_value = "1h", value_parser = parse_seconds, global = true)]
    pub reset_ttl: Duration,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PINGME_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,
    /// `off` serves no web client: `/` only names the API (bring your own client).
    #[arg(
        long,
        env = "PINGME_WEB",
        value_enum,
        default_value = "on",
        global = true
    )]
    pub web: Switch,
    /// Serve the web client from this directory (a checkout's `web/`) instead of the copy
    /// compiled into the binary: for working on the client without rebuilding the server.
    #[arg(long, env = "PINGME_WEB_DIR", global = true)]
    pub web_dir: Option<PathBuf>,
    /// `off` turns every rate limit off (test rigs, benchmarks).
    #[arg(
        long,
        env = "PINGME_RATE_LIMITS",
        value_enum,
        default_value = "on",
        global = true
    )]
    pub rate_limits: Switch,
    /// Login attempts per client address.
    #[arg(
        long,
        env = "PINGME_RATE_LOGIN",
        default_value = "30/1m",
        global = true
    )]
    pub rate_login: Rate,
    /// Login attempts per login name.
    #[arg(
        long,
        env = "PINGME_RATE_LOGIN_USER",
        default_value = "10/1m",
        global = true
    )]
    pub rate_login_user: Rate,
    /// Registrations, verification and reset e-mails per client address.
    #[arg(long, env = "PINGME_RATE_MAIL", default_value = "10/1h", global = true)]
    pub rate_mail: Rate,
    /// Messages one account may send into one channel.
    #[arg(
        long,
        env = "PINGME_RATE_MESSAGES",
        default_value = "10/10s",
        global = true
    )]
    pub rate_messages: Rate,
    /// Longest message, in characters (at most 4000, to fit a 16 KiB socket frame).
    #[arg(
        long,
        env = "PINGME_MAX_MESSAGE_CHARS",
        default_value_t = 4000,
        global = true
    )]
    pub max_message_chars: usize,
    /// Frames a socket's outgoing queue holds before the socket is closed as too slow.
    #[arg(long, env = "PINGME_WS_QUEUE", default_value_t = 1024, global = true)]
    pub ws_queue: usize,
    /// How often the server pings each socket.
    #[arg(long, env = "PINGME_WS_PING", default_value = "30s", value_parser = parse_seconds, global = true)]
    pub ws_ping: Duration,
    /// A socket that answered none of the server's pings this long is closed (it is gone, or
    /// does not read); at least twice PINGME_WS_PING.
    #[arg(long, env = "PINGME_WS_IDLE", default_value = "75s", value_parser = parse_seconds, global = true)]
    pub ws_idle: Duration,
    /// How long a frame, ping or pong may take to leave for a socket; one that does not
    /// read for this long is closed as too slow (4008).
    #[arg(long, env = "PINGME_WS_SEND_TIMEOUT", default_value = "15s", value_parser = parse_seconds, global = true)]
    pub ws_send_timeout: Duration,
    /// Addresses of reverse proxies whose X-Forwarded-For is believed, comma-separated.
    #[arg(
        long,
        env = "PINGME_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// Largest image accepted in an upload, in bytes.
    #[arg(long, env = "PINGME_MAX_UPLOAD_BYTES", default_value_t = 4 * 1024 * 1024, global = true)]
    pub max_upload_bytes: usize,
    /// Memory the images being processed may hold together (`512MiB`, `1GiB`, bytes); an
    /// image whose estimate is larger is refused.
    #[arg(long, env = "PINGME_IMAGE_MEMORY", default_value = "512MiB", value_parser = parse_size, global = true)]
    pub image_memory: u64,
    /// Categories a new installation starts with, comma-separated; empty for none.
    #[arg(
        long,
        env = "PINGME_DEFAULT_CATEGORIES",
        default_value = "general,gaming,music,education,technology",
        global = true
    )]
    pub default_categories: String,
    /// How long the read cache (the account a token names, channels' servers, memberships)
    /// may answer for the database; `0` turns it off. Events make changes show at once; this
    /// bounds a change whose event was lost (Redis unreachable, `pingme admin` without it).
    #[arg(long, env = "PINGME_CACHE_TTL", default_value = "2s", value_parser = parse_duration_or_zero, global = true)]
    pub cache_ttl: Duration,
    /// Memory for channels' latest pages of history, and as much for listings of servers,
    /// kept rendered while the database says they stand (checked at each request); `0` keeps
    /// none.
    #[arg(long, env = "PINGME_PAGE_CACHE", default_value = "64MiB", value_parser = parse_size, global = true)]
    pub page_cache: u64,
    /// How long an image nothing refers to any more is kept before it is deleted.
    #[arg(long, env = "PINGME_MEDIA_SWEEP_DELAY", default_value = "60s", value_parser = parse_seconds, global = true)]
    pub media_sweep_delay: Duration,
    /// How long an image uploaded for a message waits to be sent before it is deleted.
    #[arg(long, env = "PINGME_ATTACHMENT_TTL", default_value = "1h", value_parser = parse_seconds, global = true)]
    pub attachment_ttl: Duration,
    /// Directory of uploaded images when they are kept locally; default <data dir>/media.
    #[arg(long, env = "PINGME_MEDIA_DIR", global = true)]
    pub media_dir: Option<PathBuf>,
    /// Keep uploaded images in this S3-compatible bucket instead of a local directory.
    #[arg(long, env = "PINGME_S3_BUCKET", global = true)]
    pub s3_bucket: Option<String>,
    /// S3 endpoint (MinIO, Ceph, R2, …); default AWS.
    #[arg(long, env = "PINGME_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,
    #[arg(
        long,
        env = "PINGME_S3_REGION",
        default_value = "us-east-1",
        global = true
    )]
    pub s3_region: String,
    /// Public base URL of the bucket's objects (a CDN, or the bucket's website address);
    /// default <endpoint>/<bucket>.
    #[arg(long, env = "PINGME_MEDIA_BASE_URL", global = true)]
    pub media_base_url: Option<String>,
    /// A request head must be complete this long after its first byte, and a new connection
    /// must send its first head this fast.
    #[arg(long, env = "PINGME_HTTP_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_seconds, global = true)]
    pub http_header_timeout: Duration,
    /// A request body must have arrived this long after its head (408 otherwise), and a
    /// response that cannot be written for this long is abandoned.
    #[arg(long, env = "PINGME_HTTP_BODY_TIMEOUT", default_value = "60s", value_parser = parse_seconds, global = true)]
    pub http_body_timeout: Duration,
    /// Memory request bodies may hold at once while they are read and worked on; one client
    /// address may hold two of the largest bodies or an eighth of it (503 beyond).
    #[arg(long, env = "PINGME_BODY_MEMORY", default_value = "256MiB", value_parser = parse_size, global = true)]
    pub body_memory: u64,
    /// An idle keep-alive connection is closed after this long.
    #[arg(long, env = "PINGME_HTTP_KEEPALIVE", default_value = "75s", value_parser = parse_seconds, global = true)]
    pub http_keepalive: Duration,
    /// Connections (HTTP and WebSocket) open at once; default (or 0): as many as the
    /// open-files limit allows, less a reserve of 256 descriptors and the database pool's.
    #[arg(long, env = "PINGME_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address (trusted proxies excepted); 0: no
    /// cap.
    #[arg(
        long,
        env = "PINGME_MAX_CONNECTIONS_PER_IP",
        default_value_t = 256,
        global = true
    )]
    pub max_connections_per_ip: usize,
    /// How long shutdown waits for in-flight requests.
    #[arg(long, env = "PINGME_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_seconds, global = true)]
    pub shutdown_grace: Duration,
    /// Redis for events between nodes (`redis://host:6379`); without it, events stay on this
    /// node.
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// The Redis pub/sub channel the nodes of one installation share.
    #[arg(
        long,
        env = "PINGME_REDIS_CHANNEL",
        default_value = "pingme:events",
        global = true
    )]
    pub redis_channel: String,
}
