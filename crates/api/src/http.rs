//! The HTTP conventions every route shares: JSON 404/405 bodies, routes answering with and
//! without the trailing `/`, the body limit, `Host` checking, CORS, request ids, tracing,
//! and a panic turned into a JSON 500 instead of a dropped connection.

use crate::config::ApiConfig;
use crate::error::ApiError;
use crate::web::WebPages;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{HOST, LINK, RETRY_AFTER};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps the routes in the shared conventions, outermost first: request id, tracing, panic
/// catching, `Host` check, CORS, the web client's pages, trailing-slash normalisation.
pub fn finish(routes: Router, config: &ApiConfig, web: Option<Arc<WebPages>>) -> Router {
    let routes = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.max_body_bytes));
    // Routing happens inside `routes`, so the path must be rewritten before it: an outer
    // router whose only job is to hand the normalised request over.
    let normalised = tower::util::MapRequestLayer::new(add_trailing_slash).layer(routes);
    let hosts = Arc::new(config.allowed_hosts.clone());
    let body_timeout = config.body_timeout;
    Router::new()
        .fallback_service(normalised)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            web_client(web.clone(), request, next)
        }))
        .layer(tower::util::MapRequestLayer::new(
            move |request: Request| crate::body_deadline::limit(body_timeout, request),
        ))
        .layer(middleware::from_fn(refuse_nul))
        .layer(cors(config))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let hosts = hosts.clone();
            async move { check_host(&hosts, request, next).await }
        }))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %loggable_path(request.uri().path()),
                        request_id = %id,
                        // Filled in by `AuthUser` once the caller is known.
                        user_id = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The request's path as logs may keep it: an invite code works like a password for a
/// private server, so it is left out (`/api/invites/{code}/accept/`).
fn loggable_path(path: &str) -> Cow<'_, str> {
    const INVITES: &str = "/api/invites/";
    match path.strip_prefix(INVITES) {
        Some(rest) if !rest.is_empty() => {
            let after_code = rest.find('/').map_or("", |at| &rest[at..]);
            Cow::Owned(format!("{INVITES}{{code}}{after_code}"))
        }
        _ => Cow::Borrowed(path),
    }
}

/// A `%00` in the path or the query would reach the database as a NUL character, which no
/// name, code or id contains and which Postgres refuses in text: refused up front, with 400.
async fn refuse_nul(request: Request, next: Next) -> Response {
    let query = request.uri().path_and_query().map_or("", |pq| pq.as_str());
    if query.contains("%00") {
        let detail = "Null characters are not allowed in the address.";
        return ApiError::BadRequest(detail.into()).into_response();
    }
    next.run(request).await
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The web client's pages and files, answered before routing: its first path segments
/// (`servers`, `login`, `assets`, …) are no API route's, and two of them would otherwise be
/// taken for the chat socket's `/{server}/{channel}`.
async fn web_client(web: Option<Arc<WebPages>>, request: Request, next: Next) -> Response {
    match web.as_deref().and_then(|pages| pages.answer(&request)) {
        Some(answer) => answer,
        None => next.run(request).await,
    }
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method)
}

/// API routes are declared with a trailing `/`; one without it is the same route (the
/// original answered 301, which turned a POST into a GET in many clients).
fn add_trailing_slash(mut request: Request) -> Request {
    let path = request.uri().path();
    if path.starts_with("/api/") && !path.ends_with('/') {
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{path}/?{query}"),
            None => format!("{path}/"),
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(rewritten) = path_and_query.parse() {
            parts.path_and_query = Some(rewritten);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

/// Django's `ALLOWED_HOSTS`: an exact name, `.example.com` for a domain and its subdomains,
/// or `*`. Probes of `/healthz` and `/readyz` are let through: orchestrators call them by
/// address.
async fn check_host(allowed: &[String], request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if allowed.is_empty() || path == "/healthz" || path == "/readyz" {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default()
        .to_owned();
    if host_allowed(&host, allowed) {
        next.run(request).await
    } else {
        ApiError::BadRequest(format!("Invalid HTTP_HOST header: '{host}'.")).into_response()
    }
}

fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let Some(name) = host_name(host) else {
        return false;
    };
    allowed.iter().any(|pattern| {
        let pattern = pattern.to_ascii_lowercase();
        pattern == "*"
            || pattern == name
            || pattern
                .strip_prefix('.')
                .is_some_and(|domain| name == domain || name.ends_with(&pattern))
    })
}

/// The name in a `Host` value, validated as Django does: letters, digits, `.` and `-`, or an
/// IPv6 address in brackets, then an optional numeric port. `None` for anything else.
fn host_name(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let (name, rest) = match host.strip_prefix('[') {
        Some(inner) => {
            let end = inner.find(']')?;
            let address = &inner[..end];
            let ipv6 = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
            if !address.contains(':') || !address.chars().all(ipv6) {
                return None;
            }
            (format!("[{address}]"), &inner[end + 1..])
        }
        None => {
            let split = host.find(':').unwrap_or(host.len());
            let name = &host[..split];
            let allowed = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
            if name.is_empty() || !name.chars().all(allowed) {
                return None;
            }
            (name.trim_end_matches('.').to_owned(), &host[split..])
        }
    };
    if !rest.is_empty() {
        let port = rest.strip_prefix(':')?;
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some(name)
}

fn cors(config: &ApiConfig) -> CorsLayer {
    let origins = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok());
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([RETRY_AFTER, REQUEST_ID, LINK])
        .max_age(Duration::from_secs(24 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn invite_codes_stay_out_of_logged_paths() {
        assert_eq!(
            loggable_path("/api/invites/Ab3dE5gH9k/"),
            "/api/invites/{code}/"
        );
        assert_eq!(
            loggable_path("/api/invites/Ab3dE5gH9k/accept/"),
            "/api/invites/{code}/accept/"
        );
        assert_eq!(
            loggable_path("/api/invites/Ab3dE5gH9k"),
            "/api/invites/{code}"
        );
        assert_eq!(loggable_path("/api/servers/7/"), "/api/servers/7/");
        assert_eq!(loggable_path("/api/invites/"), "/api/invites/");
    }

    #[test]
    fn hosts_match_exactly_by_domain_or_wildcard() {
        let list = allowed(&["chat.example.com", ".example.org", "[::1]"]);
        assert!(host_allowed("chat.example.com:8000", &list));
        assert!(host_allowed("CHAT.example.com", &list));
        assert!(host_allowed("example.org", &list));
        assert!(host_allowed("a.b.example.org", &list));
        assert!(host_allowed("[::1]:8000", &list));
        assert!(!host_allowed("evil.com", &list));
        assert!(!host_allowed("notexample.org", &list));
        assert!(!host_allowed("", &list));
        assert!(!host_allowed("chat.example.com:x@evil.com", &list));
        assert!(!host_allowed("chat.example.com:", &list));
        assert!(!host_allowed("chat.example.com/evil", &list));
        assert!(host_allowed("anything", &allowed(&["*"])));
    }

    #[test]
    fn trailing_slash_is_added_to_api_paths_only() {
        let rewritten = |uri: &str| {
            add_trailing_slash(Request::get(uri).body(axum::body::Body::empty()).unwrap())
                .uri()
                .to_string()
        };
        assert_eq!(rewritten("/api/account/me"), "/api/account/me/");
        assert_eq!(
            rewritten("/api/messages?channel_id=3"),
            "/api/messages/?channel_id=3"
        );
        assert_eq!(rewritten("/api/account/me/"), "/api/account/me/");
        assert_eq!(rewritten("/healthz"), "/healthz");
        assert_eq!(rewritten("/1/2"), "/1/2");
    }
}
