//! `/api/emojis/`: the emoji reactions take, for pickers: the same for everyone and every
//! request, rendered once.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;
use bytes::Bytes;
use pingme_domain::messages::Emoji;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One emoji of the set.
#[derive(Serialize, ToSchema)]
pub struct EmojiView {
    #[schema(example = "👍")]
    emoji: &'static str,
    /// Its CLDR short name.
    #[schema(example = "thumbs up")]
    name: &'static str,
    #[schema(example = "People & Body")]
    group: &'static str,
}

fn rendered() -> Bytes {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    BODY.get_or_init(|| {
        let all: Vec<EmojiView> = Emoji::all()
            .map(|(emoji, name, group)| EmojiView { emoji, name, group })
            .collect();
        Bytes::from(serde_json::to_vec(&all).unwrap_or_default())
    })
    .clone()
}

/// Every emoji a reaction may be, in Unicode's order, each in its default skin tone (the
/// five skin-toned forms of those that have them are taken too). Public; the same until
/// the server is upgraded.
#[utoipa::path(
    get, path = "/api/emojis/", tag = "messages", security(()),
    responses((status = 200, body = Vec<EmojiView>))
)]
async fn list() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        rendered(),
    )
}
