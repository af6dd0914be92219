//! `GET /api/search/messages/`: the messages the caller may read that hold every word asked
//! for, newest first, with a total.

use super::views::MessageView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, QueryParams};
use crate::paging::{self, PageSizes, number};
use axum::Json;
use axum::extract::State;
use pingme_app::AppError;
use pingme_domain::message_search::{
    BadQuery, DEFAULT_RESULTS, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MAX_RESULTS, MessageQuery, Words,
};
use pingme_domain::messages::MessageId;
use pingme_domain::{AccountId, ChannelId, ServerId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const SIZES: PageSizes = PageSizes {
    default: DEFAULT_RESULTS,
    max: MAX_RESULTS,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// The words to find, all of them (runs of letters and digits, in any case): 1 to 10
    /// words, at most 200 characters.
    #[param(value_type = String, min_length = 1, max_length = 200)]
    q: Option<String>,
    /// Only in this server.
    #[param(value_type = Option<i64>)]
    server_id: Option<String>,
    /// Only in this channel (a server's, or a direct message).
    #[param(value_type = Option<i64>)]
    channel_id: Option<String>,
    /// Only by this person.
    #[param(value_type = Option<i64>)]
    author_id: Option<String>,
    /// At most this many (default 25, at most 50).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
    /// Only messages older than this id (the next page: the last result's id).
    #[param(value_type = Option<i64>)]
    before: Option<String>,
}

/// A page of matches.
#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    /// How many messages match in all (with `before`: older than it), counted up to 10,000.
    total: u32,
    /// Newest first, as message objects.
    results: Vec<MessageView>,
}

/// Search the messages you may read (your servers' channels and your direct messages) for
/// every word of `q`, newest first, matched through the database's full-text index.
#[utoipa::path(
    get, path = "/api/search/messages/", tag = "messages", security(("jwt" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = SearchResults),
        (status = 400, description = "No words, more than 10, longer than 200 characters, or a filter that is not a positive number (field errors)", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 429, description = "Too many searches; see `Retry-After`", body = Detail),
    )
)]
async fn search(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(params): QueryParams<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    state.limits.search(caller.id)?;
    let query = MessageQuery {
        viewer: caller.id,
        words: words(params.q.as_deref().unwrap_or(""))?,
        server: number("server_id", &params.server_id, positive)?.map(ServerId),
        channel: number("channel_id", &params.channel_id, positive)?.map(ChannelId),
        author: number("author_id", &params.author_id, positive)?.map(AccountId),
        before: number("before", &params.before, positive)?.map(MessageId),
        limit: paging::limit(&params.limit, SIZES)?,
    };
    let found = state.app.search_messages(&query).await?;
    Ok(Json(SearchResults {
        total: found.total,
        results: found
            .messages
            .iter()
            .map(|m| MessageView::new(m, &state))
            .collect(),
    }))
}

/// An id: digits, above zero.
fn positive(text: &str) -> Option<i64> {
    Id::parse(text).filter(|id| *id > 0)
}

fn words(text: &str) -> Result<Words, ApiError> {
    Words::parse(text).map_err(|bad| {
        let problem = match bad {
            BadQuery::NoWords => "Search for at least one word.".to_owned(),
            BadQuery::TooManyWords => format!("Search for at most {MAX_QUERY_WORDS} words."),
            BadQuery::TooLong => {
                format!("Ensure this field has no more than {MAX_QUERY_CHARS} characters.")
            }
        };
        ApiError::from(AppError::field("q", problem))
    })
}
