//! The user gateway, `GET /api/gateway/`: one socket per client for everything its person
//! may see (contract Level 4, "Gateway"; docs/api.md, "The gateway").

pub mod data;
mod ops;
mod ready;
mod socket;
mod wire;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    socket::router()
}
