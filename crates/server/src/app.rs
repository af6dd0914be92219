//! Wiring: open the store (applying migrations), start the mailer, bind the listener and
//! serve until told to stop, then drain gracefully.

use crate::config::{Config, MediaConfig};
use crate::listener::Listener;
use anyhow::Context;
use pingme_api::{AppState, Realtime};
use pingme_app::ReadCache;
use pingme_domain::events::EventBus;
use pingme_domain::media::MediaStore;
use pingme_domain::store::Store;
use pingme_mail::MailWorker;
use pingme_media::{LocalMediaStore, S3MediaStore};
use pingme_realtime::{
    Close, Gateway, GatewayHub, Hub, Limits, LocalBus, Presence, RedisBus, close_codes,
};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long queued e-mails may take to go out after the server stopped.
const MAIL_DRAIN: Duration = Duration::from_secs(10);

pub struct Application {
    listener: Listener,
    router: axum::Router,
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    gateway: Gateway,
    presence: Arc<Presence>,
    events: LocalBus,
    mail_worker: MailWorker,
    url: String,
    grace: Duration,
}

impl Application {
    /// Everything up to accepting connections. Binding port 0 picks a free port, which is
    /// how the tests start real servers side by side.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        let store = pingme_store::open_with(&config.database_url, config.database)
            .await
            .with_context(|| {
                format!("cannot open the database {}", redact(&config.database_url))
            })?;
        if store.seed_categories(&config.default_categories).await? {
            tracing::info!(
                count = config.default_categories.len(),
                "default categories created"
            );
        }
        let tcp = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let url = base_url(tcp.local_addr()?);
        let listener = Listener::new(tcp, &config.http, config.api.trusted_proxies.clone());
        if config.api.public_url.is_empty() {
            config.api.public_url = url.clone();
        }
        if config.api.client_origin.is_empty() {
            // Unset, the web client is the one served at the public URL: CORS and the
            // sockets' origin check allow it, as they would an explicit CLIENT_ORIGIN.
            config.api.client_origin = config.api.public_url.clone();
            config
                .api
                .cors_origins
                .push(config.api.client_origin.clone());
        }
        let media = media_store(config.media, &config.api.public_url)?;
        let (mailer, mail_worker) = pingme_mail::start(&config.mail_from, config.mail.clone())
            .context("cannot start the mailer")?;
        let hub = Arc::new(Hub::default());
        let gateway = GatewayHub::new(Limits {
            queue: config.api.chat.socket_queue,
            ..Limits::default()
        });
        let cache = Arc::new(ReadCache::new(config.cache_ttl));
        let events = LocalBus::new(hub.clone())
            .with_sink(cache.clone())
            .with_sink(gateway.clone());
        let (bus, gateway, (presence, changes)) = match &config.redis {
            Some((url, channel)) => {
                let not_redis = || format!("REDIS_URL {} is not a Redis URL", redact(url));
                let mut bus =
                    RedisBus::start(url, channel, events.clone()).with_context(not_redis)?;
                let relay = bus
                    .start_relay(url, channel, gateway.clone())
                    .with_context(not_redis)?;
                tracing::info!(
                    node = bus.node(),
                    channel,
                    "events go between nodes over Redis"
                );
                let node = bus.node().into();
                let presence =
                    Presence::across_nodes(url, channel, node).with_context(not_redis)?;
                let bus: Arc<dyn EventBus> = Arc::new(bus);
                (bus, Gateway::across_nodes(gateway, relay), presence)
            }
            None => {
                let bus: Arc<dyn EventBus> = Arc::new(events.clone());
                (bus, Gateway::local(gateway), Presence::local())
            }
        };
        let realtime = Realtime {
            bus,
            hub: hub.clone(),
            gateway: gateway.clone(),
            presence,
            cache,
        };
        let state = AppState::new(
            store.clone(),
            media,
            realtime,
            mailer,
            &config.secret,
            config.api,
        );
        tokio::spawn(pingme_api::chat::recheck::recheck_every(
            state.clone(),
            state.config.chat.ping_interval,
        ));
        tokio::spawn(sweep_gateway_sessions(gateway.hub().clone()));
        let presence = state.presence.clone();
        tokio::spawn(tell_presences(state.app.clone(), presence.clone(), changes));
        Ok(Self {
            presence,
            listener,
            router: pingme_api::app(state),
            store,
            hub,
            gateway,
            events,
            mail_worker,
            url,
            grace: config.shutdown_grace,
        })
    }

    /// The storage this server uses (operator tooling and tests reach the data through it).
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// This node's side of the bus: what is carried out on its sockets (events of this node
    /// and, with Redis, of the others).
    pub fn events(&self) -> LocalBus {
        self.events.clone()
    }

    /// This node's sockets.
    pub fn hub(&self) -> Arc<Hub> {
        self.hub.clone()
    }

    /// This node's gateway sessions.
    pub fn gateway(&self) -> Arc<GatewayHub> {
        self.gateway.hub().clone()
    }

    /// The address clients reach this server at, like `http://127.0.0.1:8000`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests
    /// finish (up to the grace period) and drains the e-mail queue.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let hub = self.hub.clone();
        let gateway = self.gateway.clone();
        let server = self.listener.serve(self.router, async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            // Sockets are told to go elsewhere (1001); clients reconnect to another node.
            hub.close_all(close_codes::GOING_AWAY, "the server is shutting down");
            gateway.hub().close_all(Close {
                code: close_codes::GOING_AWAY,
                reason: "the server is shutting down",
            });
            let _ = stopping_tx.send(());
        });
        let mut server = tokio::spawn(server);
        tokio::select! {
            finished = &mut server => finished.context("server task")?,
            _ = stopping_rx => {
                let deadline = tokio::time::Instant::now() + self.grace;
                match tokio::time::timeout_at(deadline, &mut server).await {
                    Ok(finished) => finished.context("server task")?,
                    Err(_) => {
                        tracing::warn!(grace = ?self.grace, "requests still running after the grace period; they end with the process");
                        server.abort();
                    }
                }
                // Sockets are not requests: wait for them to have sent their close frames.
                if !self.hub.drained_by(deadline).await {
                    tracing::warn!(sockets = self.hub.connections(), "sockets still open after the grace period");
                }
                let sessions = self.gateway.hub();
                if !sessions.drained_by(deadline).await {
                    tracing::warn!(sessions = sessions.attached(), "gateway sockets still open after the grace period");
                }
                // Resumed elsewhere from exactly where they stopped here.
                self.gateway.stop().await;
                // Those whose sessions do not come back elsewhere go offline after their grace.
                self.presence.stop().await;
            }
        }
        self.mail_worker.finish(MAIL_DRAIN).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Forgets, every few seconds, the gateway sessions no socket has resumed in time.
async fn sweep_gateway_sessions(gateway: Arc<GatewayHub>) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        every.tick().await;
        gateway.sweep(std::time::Instant::now());
    }
}

/// The media store the configuration names; `public_url` is the base of local media URLs.
pub fn media_store(config: MediaConfig, public_url: &str) -> anyhow::Result<Arc<dyn MediaStore>> {
    Ok(match config {
        MediaConfig::Local(dir) => {
            Arc::new(LocalMediaStore::new(dir, format!("{public_url}/media")))
        }
        MediaConfig::S3(s3) => {
            Arc::new(S3MediaStore::new(&s3).context("cannot set up the S3 media store")?)
        }
    })
}

fn base_url(addr: SocketAddr) -> String {
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}", addr.port())
}

/// A database URL fit for logs: without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}

/// Tells each person's change of status, in the order they came.
async fn tell_presences(
    app: Arc<pingme_app::App>,
    presence: Arc<Presence>,
    mut changes: tokio::sync::mpsc::Receiver<pingme_realtime::PresenceChange>,
) {
    while let Some((change, by)) = changes.recv().await {
        let Some(change) = presence.settled(change).await else {
            continue;
        };
        // The session that made the change knows, if what it set is what others now see.
        let by = by
            .filter(|(_, status)| change.after == Some(*status))
            .map(|(session, _)| session);
        app.presence_changed(change, by).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_reachable_host() {
        assert_eq!(
            base_url("127.0.0.1:8000".parse().unwrap()),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            base_url("0.0.0.0:80".parse().unwrap()),
            "http://localhost:80"
        );
        assert_eq!(base_url("[::1]:9".parse().unwrap()), "http://[::1]:9");
    }

    #[test]
    fn passwords_are_kept_out_of_logged_urls() {
        assert_eq!(
            redact("postgres://app:hunter2@db:5432/chat"),
            "postgres://app:***@db:5432/chat"
        );
        assert_eq!(
            redact("sqlite:./pingme-data/pingme.sqlite3"),
            "sqlite:./pingme-data/pingme.sqlite3"
        );
    }
}
