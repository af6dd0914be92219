//! Liveness and readiness for load balancers and orchestrators, and the landing page a
//! newcomer opens after `pingme serve`.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(home))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when ready, `unavailable` otherwise.
    status: &'static str,
    /// The storage backend and whether it answers.
    #[schema(required = true)]
    database: Option<DependencyState>,
    /// The event bus and whether it reaches the other nodes (`degraded` while it does not:
    /// the node still serves, its own sockets still get every event).
    #[schema(required = true)]
    bus: Option<DependencyState>,
}

#[derive(Serialize, ToSchema)]
pub struct DependencyState {
    backend: &'static str,
    status: &'static str,
}

/// The process is alive and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()), responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        bus: None,
    })
}

/// The node can serve requests: its database answers. A bus that cannot reach the other
/// nodes is reported (`degraded`) but does not make the node unready: every node shares the
/// same Redis, and taking them all out of the load balancer would turn a degraded service
/// into none.
#[utoipa::path(
    get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = Health))
)]
async fn readyz(State(state): State<AppState>) -> Response {
    let bus = state.app.bus_status();
    let bus = DependencyState {
        backend: bus.backend,
        status: if bus.connected { "ok" } else { "degraded" },
    };
    let database = |status| DependencyState {
        backend: state.store.backend(),
        status,
    };
    let (code, status, database) = match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok", database("ok")),
        Err(error) => {
            tracing::warn!(%error, "readiness check: database unavailable");
            let unavailable = "unavailable";
            (
                StatusCode::SERVICE_UNAVAILABLE,
                unavailable,
                database(unavailable),
            )
        }
    };
    let health = Health {
        status,
        database: Some(database),
        bus: Some(bus),
    };
    let mut response = (code, Json(health)).into_response();
    if code == StatusCode::SERVICE_UNAVAILABLE {
        // As every 503 of the API says: the database may be back soon.
        let retry = axum::http::HeaderValue::from_static("5");
        response.headers_mut().insert(RETRY_AFTER, retry);
    }
    response
}

/// pingme's web client; with `PINGME_WEB=off`, a short page saying what this server is and
/// where its API lives.
#[utoipa::path(get, path = "/", tag = "operations", security(()), responses((status = 200, content_type = "text/html", body = String)))]
async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(web) = &state.web {
        return web.page(&headers);
    }
    Html(format!(
        include_str!("home.html"),
        version = env!("CARGO_PKG_VERSION"),
        base = state.config.public_url,
    ))
    .into_response()
}
