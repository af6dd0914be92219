//! Configuration: command-line flags and environment variables (the original's names, plus
//! `PINGME_*` ones), read once into a typed [`Config`] that is passed down — no globals.
//! Secrets are read from the environment only, never from flags, so they stay out of `ps`.

use crate::secret;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use pingme_api::config::{ApiConfig, Rate, RateLimitConfig, TokenLifetimes, parse_duration};
use pingme_mail::{SmtpConfig, SmtpSecurity, TransportConfig};
use secrecy::SecretString;
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
    /// Database URL; default `sqlite:<data dir>/pingme.sqlite3`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
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
    #[arg(long, env = "PINGME_ACCESS_TTL", default_value = "1d", value_parser = parse_duration, global = true)]
    pub access_ttl: Duration,
    #[arg(long, env = "PINGME_REFRESH_TTL", default_value = "4d", value_parser = parse_duration, global = true)]
    pub refresh_ttl: Duration,
    /// Lifetime of e-mail verification links.
    #[arg(long, env = "PINGME_VERIFY_TTL", default_value = "3d", value_parser = parse_duration, global = true)]
    pub verify_ttl: Duration,
    /// Lifetime of password-reset links.
    #[arg(long, env = "PINGME_RESET_TTL", default_value = "1h", value_parser = parse_duration, global = true)]
    pub reset_ttl: Duration,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "PINGME_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,
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
    /// Addresses of reverse proxies whose X-Forwarded-For is believed, comma-separated.
    #[arg(
        long,
        env = "PINGME_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<IpAddr>,
    /// How long shutdown waits for in-flight requests.
    #[arg(long, env = "PINGME_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration, global = true)]
    pub shutdown_grace: Duration,
}

/// Everything the server needs, checked.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub environment: Environment,
    pub secret: SecretString,
    /// The HTTP layer's settings. An empty `public_url` or `client_origin` is filled in with
    /// the bound address once the listener exists.
    pub api: ApiConfig,
    pub mail_from: String,
    pub mail: TransportConfig,
    pub shutdown_grace: Duration,
}

impl Settings {
    /// Checks the settings and reads the secrets from the environment.
    pub fn into_config(self) -> anyhow::Result<Config> {
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.data_dir.display()
            )
        })?;
        let secret = secret::load(self.environment, env_secret("SECRET_KEY"), &self.data_dir)?;
        let database_url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite:{}", self.data_dir.join("pingme.sqlite3").display()),
        };
        let mail = self.mail_transport();
        if self.environment == Environment::Production {
            warn_about_production_gaps(&self, &mail);
        }
        Ok(Config {
            bind: self.bind,
            database_url,
            environment: self.environment,
            secret,
            api: self.api_config()?,
            mail_from: self
                .mail_from
                .clone()
                .or(self.host_email.clone())
                .unwrap_or_else(|| "pingme <pingme@localhost>".into()),
            mail,
            shutdown_grace: self.shutdown_grace,
            data_dir: self.data_dir,
        })
    }

    fn api_config(&self) -> anyhow::Result<ApiConfig> {
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
            }),
            trusted_proxies: self.trusted_proxies.clone(),
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
