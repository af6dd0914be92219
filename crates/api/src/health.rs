//! Liveness and readiness for load balancers and orchestrators, and the landing page a
//! newcomer opens after `pingme serve`.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
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
    database: Option<DependencyState>,
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
    })
}

/// The node can serve requests: its database answers.
#[utoipa::path(
    get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, body = Health), (status = 503, description = "The database does not answer", body = Health))
)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let backend = state.store.backend();
    match state.store.ping().await {
        Ok(()) => {
            let database = DependencyState {
                backend,
                status: "ok",
            };
            (
                StatusCode::OK,
                Json(Health {
                    status: "ok",
                    database: Some(database),
                }),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check: database unavailable");
            let database = DependencyState {
                backend,
                status: "unavailable",
            };
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    database: Some(database),
                }),
            )
        }
    }
}

/// A short page saying what this server is and where its API lives.
#[utoipa::path(get, path = "/", tag = "operations", security(()), responses((status = 200, content_type = "text/html", body = String)))]
async fn home(State(state): State<AppState>) -> Html<String> {
    Html(format!(
        include_str!("home.html"),
        version = env!("CARGO_PKG_VERSION"),
        base = state.config.public_url,
    ))
}
