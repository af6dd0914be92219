//! The typed configuration the server runs with, built once from [`Settings`] and the
//! secrets in the environment, then passed down — no globals.

use crate::listener::{ListenerConfig, Timeouts};
use crate::secret;
use crate::settings::{Environment, Settings, SmtpTls, Switch};
use anyhow::{Context, bail};
use pingme_api::config::{ApiConfig, ChatConfig, RateLimitConfig, TokenLifetimes};
use pingme_domain::community::CategoryName;
use pingme_mail::{SmtpConfig, SmtpSecurity, TransportConfig};
use pingme_media::S3Config;
use pingme_web::WebClient;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Below this, even ordinary photos would not fit the images' memory budget.
const MIN_IMAGE_MEMORY: u64 = 32 * 1024 * 1024;

/// Everything the server needs, checked.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Postgres pool size and statement timeout.
    pub database: pingme_store::PgSettings,
    pub environment: Environment,
    pub secret: SecretString,
    /// The HTTP layer's settings. An empty `public_url` or `client_origin` is filled in with
    /// the bound address once the listener exists.
    pub api: ApiConfig,
    pub mail_from: String,
    pub mail: TransportConfig,
    pub media: MediaConfig,
    /// Created when the installation is new.
    pub default_categories: Vec<CategoryName>,
    pub shutdown_grace: Duration,
    /// Connection caps and timeouts.
    pub http: ListenerConfig,
    /// Redis URL and channel of the bus between nodes; `None`: events stay on this node.
    pub redis: Option<(String, String)>,
    /// The read cache's time to live (zero: off).
    pub cache_ttl: Duration,
}

/// Where uploaded images are kept.
#[derive(Clone, Debug)]
pub enum MediaConfig {
    /// A local directory, served by pingme under `/media/`.
    Local(PathBuf),
    S3(S3Config),
}

impl Settings {
    /// The database to use, creating the data directory an SQLite file would live in.
    /// Commands that only touch the database (`migrate`, `admin`) need nothing more.
    pub fn database_url(&self) -> anyhow::Result<String> {
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        Ok(match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite:{}", dir.join("pingme.sqlite3").display()),
        })
    }

    /// How a Postgres database is used (SQLite ignores it).
    pub fn database_settings(&self) -> pingme_store::PgSettings {
        pingme_store::PgSettings {
            pool: self.db_pool,
            statement_timeout: self.db_timeout,
        }
    }

    /// Opens the database (applying migrations) for the commands that need nothing more.
    pub async fn open_store(
        &self,
    ) -> anyhow::Result<std::sync::Arc<dyn pingme_domain::store::Store>> {
        let url = self.database_url()?;
        pingme_store::open_with(&url, self.database_settings())
            .await
            .context("cannot open the database")
    }

    /// Checks the settings and reads the secrets from the environment.
    pub fn into_config(self) -> anyhow::Result<Config> {
        let database_url = self.database_url()?;
        let secret = secret::load(self.environment, env_secret("SECRET_KEY"), &self.data_dir)?;
        let mail = self.mail_transport();
        if self.environment == Environment::Production {
            warn_about_production_gaps(&self, &mail);
        }
        Ok(Config {
            bind: self.bind,
            database_url,
            database: self.database_settings(),
            environment: self.environment,
            secret,
            api: self.api_config()?,
            mail_from: self
                .mail_from
                .clone()
                .or(self.host_email.clone())
                .unwrap_or_else(|| "pingme <pingme@localhost>".into()),
            mail,
            media: self.media_config(),
            default_categories: self.default_categories()?,
            shutdown_grace: self.shutdown_grace,
            cache_ttl: self.cache_ttl,
            http: self.listener_config(),
            redis: self.redis(),
            data_dir: self.data_dir,
        })
    }

    /// Redis's URL and the channel events travel on, when `REDIS_URL` is set (and not blank).
    pub fn redis(&self) -> Option<(String, String)> {
        self.redis_url
            .clone()
            .filter(|url| !url.trim().is_empty())
            .map(|url| (url, self.redis_channel.clone()))
    }

    fn listener_config(&self) -> ListenerConfig {
        ListenerConfig {
            timeouts: Timeouts {
                head: self.http_header_timeout,
                keep_alive: self.http_keepalive,
                stall: self.http_body_timeout,
            },
            // 0, as for the per-address cap: no cap of its own (the descriptors' remains).
            max_connections: self.max_connections.filter(|&n| n > 0),
            max_per_client: (self.max_connections_per_ip > 0)
                .then_some(self.max_connections_per_ip),
            database_connections: u64::from(self.db_pool),
        }
    }

    fn default_categories(&self) -> anyhow::Result<Vec<CategoryName>> {
        let names = self
            .default_categories
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty());
        names
            .map(|name| {
                CategoryName::parse(name)
                    .map_err(|e| anyhow::anyhow!("PINGME_DEFAULT_CATEGORIES: {name:?}: {e}"))
            })
            .collect()
    }

    pub fn media_config(&self) -> MediaConfig {
        let Some(bucket) = &self.s3_bucket else {
            let dir = self
                .media_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("media"));
            return MediaConfig::Local(dir);
        };
        let credential = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        MediaConfig::S3(S3Config {
            bucket: bucket.clone(),
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            access_key_id: credential("AWS_ACCESS_KEY_ID"),
            secret_access_key: credential("AWS_SECRET_ACCESS_KEY"),
            public_base_url: self.media_base_url.clone(),
        })
    }

    fn api_config(&self) -> anyhow::Result<ApiConfig> {
        if self.body_memory < self.max_body_bytes as u64 {
            bail!(
                "PINGME_BODY_MEMORY ({} bytes) is smaller than PINGME_MAX_BODY_BYTES ({}): the \
                 largest bodies would never fit",
                self.body_memory,
                self.max_body_bytes
            );
        }
        if self.max_upload_bytes > self.max_body_bytes {
            bail!(
                "PINGME_MAX_UPLOAD_BYTES ({}) is larger than PINGME_MAX_BODY_BYTES ({}): such uploads \
                 could never arrive",
                self.max_upload_bytes,
                self.max_body_bytes
            );
        }
        if self.image_memory < MIN_IMAGE_MEMORY {
            bail!(
                "PINGME_IMAGE_MEMORY ({} bytes) is below {} MiB: ordinary photos would be refused",
                self.image_memory,
                MIN_IMAGE_MEMORY >> 20
            );
        }
        let trim = |url: &String| url.trim().trim_end_matches('/').to_owned();
        let cors_origins: Vec<String> = self
            .client_origin
            .iter()
            .chain(&self.client_origin_dev)
            .chain(&self.cors_origins)
            .map(trim)
            .filter(|o| !o.is_empty())
            .collect();
        for origin in &cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                bail!("CORS origin `{origin}` must start with http:// or https://");
            }
        }
        Ok(ApiConfig {
            public_url: self.public_url.as_ref().map(trim).unwrap_or_default(),
            client_origin: self.client_origin.as_ref().map(trim).unwrap_or_default(),
            cors_origins,
            allowed_hosts: self
                .allowed_hosts
                .iter()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .collect(),
            max_body_bytes: self.max_body_bytes,
            max_upload_bytes: self.max_upload_bytes,
            image_memory: self.image_memory,
            media_sweep_delay: self.media_sweep_delay,
            attachment_ttl: self.attachment_ttl,
            page_cache: usize::try_from(self.page_cache).unwrap_or(usize::MAX),
            body_timeout: self.http_body_timeout,
            body_memory: usize::try_from(self.body_memory).unwrap_or(usize::MAX),
            chat: self.chat_config()?,
            lifetimes: TokenLifetimes {
                access: self.access_ttl,
                refresh: self.refresh_ttl,
                verify_email: self.verify_ttl,
                password_reset: self.reset_ttl,
            },
            rate_limits: (self.rate_limits == Switch::On).then_some(RateLimitConfig {
                login_per_ip: self.rate_login,
                login_per_user: self.rate_login_user,
                mail_per_ip: self.rate_mail,
                messages: self.rate_messages,
            }),
            trusted_proxies: self.trusted_proxies.clone(),
            web: self.web_client()?,
        })
    }

    fn web_client(&self) -> anyhow::Result<Option<Arc<WebClient>>> {
        if self.web == Switch::Off {
            return Ok(None);
        }
        let client = match &self.web_dir {
            Some(dir) => WebClient::from_dir(dir)
                .with_context(|| format!("PINGME_WEB_DIR {} is not a web client", dir.display()))?,
            None => WebClient::embedded(),
        };
        Ok(Some(Arc::new(client)))
    }

    fn chat_config(&self) -> anyhow::Result<ChatConfig> {
        if self.max_message_chars == 0 || self.ws_queue == 0 {
            bail!("PINGME_MAX_MESSAGE_CHARS and PINGME_WS_QUEUE must be at least 1");
        }
        // A socket frame is at most 16 KiB: 4000 characters of up to 4 bytes each fit in it.
        if self.max_message_chars > 4000 {
            bail!(
                "PINGME_MAX_MESSAGE_CHARS is at most 4000, so that any message fits in a 16 KiB \
                 socket frame"
            );
        }
        // Only answers to pings keep a socket open: one ping's answer may arrive late (its
        // ping queued behind a batch), and the next ping's must still come in time.
        if self.ws_idle < self.ws_ping * 2 {
            bail!(
                "PINGME_WS_IDLE ({:?}) must be at least twice PINGME_WS_PING ({:?}): sockets \
                 answering every ping would be closed as silent",
                self.ws_idle,
                self.ws_ping
            );
        }
        Ok(ChatConfig {
            max_message_chars: self.max_message_chars,
            socket_queue: self.ws_queue,
            ping_interval: self.ws_ping,
            idle_timeout: self.ws_idle,
            send_timeout: self.ws_send_timeout,
            ..ChatConfig::default()
        })
    }

    fn mail_transport(&self) -> TransportConfig {
        let Some(host) = &self.smtp_host else {
            return TransportConfig::Outbox(self.data_dir.join("outbox"));
        };
        let security = match self.smtp_tls {
            SmtpTls::None => SmtpSecurity::None,
            SmtpTls::Starttls => SmtpSecurity::StartTls,
            SmtpTls::Tls => SmtpSecurity::Tls,
        };
        let credentials = match (&self.host_email, env_secret("HOST_PW")) {
            (Some(user), Some(password)) => Some((user.clone(), password)),
            _ => None,
        };
        TransportConfig::Smtp(SmtpConfig {
            host: host.clone(),
            port: self.smtp_port,
            security,
            helo: self.smtp_helo.clone(),
            credentials,
        })
    }
}

fn env_secret(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
}

fn warn_about_production_gaps(settings: &Settings, mail: &TransportConfig) {
    if settings.allowed_hosts.is_empty() {
        tracing::warn!("ALLOWED_HOSTS is empty: any Host header is accepted");
    }
    if settings.public_url.is_none() {
        tracing::warn!("PINGME_PUBLIC_URL is not set: e-mailed links will name the bound address");
    }
    if matches!(mail, TransportConfig::Outbox(_)) {
        tracing::warn!("PINGME_SMTP_HOST is not set: e-mails only go to the outbox directory");
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::Settings;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    #[test]
    fn a_new_installation_gets_five_default_categories_unless_told_otherwise() {
        let settings = Cli::parse_from(["pingme"]).settings;
        let names: Vec<String> = settings
            .default_categories()
            .unwrap()
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect();
        assert_eq!(
            names,
            ["general", "gaming", "music", "education", "technology"]
        );
        let none = Cli::parse_from(["pingme", "--default-categories", ""]).settings;
        assert!(none.default_categories().unwrap().is_empty());
        let bad = Cli::parse_from(["pingme", "--default-categories", "ok, "]).settings;
        assert_eq!(bad.default_categories().unwrap().len(), 1);
    }

    #[test]
    fn zero_connections_means_the_default_and_bodies_need_room() {
        let settings = |args: &[&str]| Cli::parse_from(["pingme"].iter().chain(args)).settings;
        assert_eq!(
            settings(&["--max-connections", "0"])
                .listener_config()
                .max_connections,
            None
        );
        assert_eq!(
            settings(&["--max-connections", "100"])
                .listener_config()
                .max_connections,
            Some(100)
        );
        assert_eq!(
            settings(&["--max-connections-per-ip", "0"])
                .listener_config()
                .max_per_client,
            None
        );
        let tiny = settings(&["--body-memory", "1MiB"])
            .api_config()
            .unwrap_err();
        assert!(tiny.to_string().contains("PINGME_BODY_MEMORY"), "{tiny}");
    }

    #[test]
    fn chat_settings_that_cannot_work_are_refused() {
        let chat = |args: &[&str]| {
            let settings = Cli::parse_from(["pingme"].iter().chain(args)).settings;
            settings.chat_config().map_err(|e| e.to_string())
        };
        let defaults = chat(&[]).unwrap();
        assert_eq!(
            (defaults.max_message_chars, defaults.socket_queue),
            (4000, 1024)
        );
        assert_eq!(
            (
                defaults.ping_interval.as_secs(),
                defaults.idle_timeout.as_secs()
            ),
            (30, 75)
        );
        assert!(chat(&["--ws-queue", "0"]).is_err());
        assert!(chat(&["--max-message-chars", "0"]).is_err());
        assert!(chat(&["--max-message-chars", "4001"]).is_err());
        assert_eq!(
            chat(&["--max-message-chars", "500"])
                .unwrap()
                .max_message_chars,
            500
        );
        let silent = chat(&["--ws-ping", "60s", "--ws-idle", "100s"]).unwrap_err();
        assert!(silent.contains("PINGME_WS_IDLE"), "{silent}");
        assert!(chat(&["--ws-ping", "60s", "--ws-idle", "120s"]).is_ok());
    }

    #[test]
    fn the_image_memory_budget_takes_a_size_and_refuses_a_tiny_one() {
        let api = |args: &[&str]| {
            let settings = Cli::parse_from(["pingme"].iter().chain(args)).settings;
            settings.api_config().map_err(|e| e.to_string())
        };
        assert_eq!(api(&[]).unwrap().image_memory, 512 * 1024 * 1024);
        assert_eq!(
            api(&["--image-memory", "1GiB"]).unwrap().image_memory,
            1 << 30
        );
        let tiny = api(&["--image-memory", "1MiB"]).unwrap_err();
        assert!(tiny.contains("PINGME_IMAGE_MEMORY"), "{tiny}");
    }
}
