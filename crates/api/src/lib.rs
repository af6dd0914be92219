//! pingme's HTTP API: per-feature routers, the extractors they share (the caller's
//! account, request bodies in any of the accepted encodings, the client address), the one
//! error type, and the OpenAPI document generated from the handlers.
#![forbid(unsafe_code)]

pub mod account;
mod admin;
pub mod auth;
mod body_budget;
mod body_deadline;
pub mod chat;
mod client_ip;
pub mod community;
pub mod config;
pub mod dms;
mod docs;
pub mod error;
mod extract;
pub mod fields;
pub mod gateway;
mod health;
mod http;
pub mod input;
mod limits;
mod login_failures;
pub mod media;
mod negotiate;
pub mod openapi;
mod paging;
pub mod web;

pub use limits::client_key;

use auth::tokens::Tokens;
use axum::Router;
use config::ApiConfig;
use limits::RateLimits;
use pingme_app::{App, AppSettings, ReadCache};
use pingme_domain::events::EventBus;
use pingme_domain::media::MediaStore;
use pingme_domain::store::Store;
use pingme_mail::Mailer;
use pingme_realtime::{Gateway, Hub, Presence};
use secrecy::SecretString;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach. Cheap to clone: everything is behind an `Arc`.
#[derive(Clone)]
pub struct AppState {
    /// The use cases: every write goes through them, and only they publish events. Behind
    /// one pointer: every socket holds a copy of this state for as long as it is open.
    pub app: Arc<App>,
    /// For the read paths that need no use case.
    pub store: Arc<dyn Store>,
    pub media: Arc<dyn MediaStore>,
    /// This node's open chat sockets.
    pub hub: Arc<Hub>,
    /// The gateway's sessions: this node's, and the way to the others'.
    pub gateway: Gateway,
    /// Who is online, here and on the other nodes.
    pub presence: Arc<Presence>,
    pub mailer: Mailer,
    pub tokens: Arc<Tokens>,
    pub limits: Arc<RateLimits>,
    /// Images being processed: a memory budget (`PINGME_IMAGE_MEMORY`) and one per core.
    pub image_jobs: Arc<media::ImageJobs>,
    /// Memory request bodies may hold (`PINGME_BODY_MEMORY`).
    pub bodies: Arc<body_budget::BodyBudget>,
    pub config: Arc<ApiConfig>,
    /// The OpenAPI document, rendered once, and the Swagger UI's settings.
    docs: Arc<docs::ApiDocs>,
    /// The web client, unless `PINGME_WEB=off`.
    pub web: Option<Arc<web::WebPages>>,
}

/// How events travel on this node: the bus they are published on, and what they are carried
/// out on here (the sockets of the hub, the read cache).
pub struct Realtime {
    pub bus: Arc<dyn EventBus>,
    pub hub: Arc<Hub>,
    pub gateway: Gateway,
    pub presence: Arc<Presence>,
    pub cache: Arc<ReadCache>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        media: Arc<dyn MediaStore>,
        realtime: Realtime,
        mailer: Mailer,
        secret: &SecretString,
        config: ApiConfig,
    ) -> Self {
        let Realtime {
            bus,
            hub,
            gateway,
            presence,
            cache,
        } = realtime;
        let frames = Arc::new(chat::frames::SocketFrames::new(
            media.clone(),
            config.public_url.clone(),
        ));
        let settings = AppSettings {
            media_sweep_delay: config.media_sweep_delay,
            attachment_ttl: config.attachment_ttl,
            page_cache: config.page_cache,
        };
        let web = config.web.clone().map(|client| {
            let images = [media.url("x"), config.public_url.clone()];
            let origins: Vec<String> = images.iter().filter_map(|u| web::origin_of(u)).collect();
            Arc::new(web::WebPages::new(client, &origins))
        });
        let app = Arc::new(App::new(
            store.clone(),
            media.clone(),
            bus,
            frames,
            settings,
            cache,
        ));
        app.set_presence(presence.clone());
        app.start_attachment_sweeps();
        Self {
            web,
            app,
            store,
            media,
            hub,
            gateway,
            presence,
            mailer,
            tokens: Arc::new(Tokens::new(secret, config.lifetimes)),
            limits: Arc::new(RateLimits::new(config.rate_limits)),
            image_jobs: Arc::new(media::ImageJobs::new(
                config.image_memory,
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            bodies: body_budget::BodyBudget::new(
                config.body_memory,
                body_budget::client_share(config.body_memory, config.max_body_bytes),
            ),
            config: Arc::new(config),
            // Depends on nothing a client or the environment sends; a unit test renders it.
            docs: Arc::new(docs::ApiDocs::new(&openapi()).expect("the OpenAPI document renders")),
        }
    }
}

/// Every route with its OpenAPI description, before the state is attached.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(auth::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(community::router())
        .merge(health::router())
        .merge(media::router())
        .merge(chat::router())
        .merge(dms::router())
        .merge(gateway::router())
        .merge(docs::router())
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    let config = state.config.clone();
    let web = state.web.clone();
    http::finish(router.with_state(state), &config, web)
}

/// The OpenAPI document of [`app`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = routes().into_openapi();
    openapi::shared::add_shared_answers(&mut document);
    openapi::names::name_operations(&mut document);
    openapi::bodies::describe_bodies(&mut document);
    openapi::links::add_links(&mut document);
    document
}
