//! `/api/admin/...`: what staff do in the original's Django admin, over the same use cases
//! as `pingme admin` — listing accounts, shutting them out and letting them back in.

mod accounts;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    accounts::router()
}
