//! pingme's web client over HTTP: the page at `/` and at every client route (deep links such as
//! `/servers/1/channels/2`, and the pages e-mails lead to: `/login`, `/app/reset/<uid>/<token>`),
//! and its files under `/assets/<fingerprint>/`. The page revalidates on every load (`no-cache`
//! with an ETag); the files are immutable for a year, since their URL changes with any file.
//! Everything is sent gzipped to browsers that accept it, under a Content-Security-Policy that
//! lets the page run only this server's scripts and talk only to this server.

use crate::negotiate;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    REFERRER_POLICY, VARY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use pingme_web::{Asset, WebClient};
use std::sync::Arc;

/// First segments of the paths that load the client. Everything else that no route answers
/// stays a JSON 404, so that a mistyped API path is never answered with a page.
const CLIENT_ROUTES: &[&str] = &[
    "login", "signup", "forgot", "app", "servers", "dms", "invite", "explore", "settings", "admin",
];

const ASSETS: &str = "/assets/";

/// The client and the headers it is served with.
pub struct WebPages {
    client: Arc<WebClient>,
    policy: HeaderValue,
}

impl WebPages {
    /// `image_origins`: where images come from besides this server (the media store's public
    /// address, the public URL when the page is opened under another name).
    pub fn new(client: Arc<WebClient>, image_origins: &[String]) -> Self {
        Self {
            client,
            policy: content_security_policy(image_origins),
        }
    }

    /// The page, whichever client route asked for it.
    pub fn page(&self, headers: &HeaderMap) -> Response {
        let mut response = send(self.client.index(), headers, "no-cache");
        let out = response.headers_mut();
        out.insert(CONTENT_SECURITY_POLICY, self.policy.clone());
        out.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        out.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        response
    }

    /// The page for a client route, a file under `/assets/`, or `None`: the request is the
    /// API's (an unknown file under `/assets/` gets the API's JSON 404).
    pub fn answer(&self, request: &Request) -> Option<Response> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let path = request.uri().path();
        if let Some(rest) = path.strip_prefix(ASSETS) {
            let asset = self.client.asset(rest)?;
            let forever = "public, max-age=31536000, immutable";
            return Some(send(asset, request.headers(), forever));
        }
        is_client_route(path).then(|| self.page(request.headers()))
    }
}

fn is_client_route(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    CLIENT_ROUTES.contains(&first)
}

/// The asset, gzipped when the client takes it; each coding has its own strong ETag (RFC
/// 9110: a cache must not take one for the other), and a matching `If-None-Match` gets 304.
fn send(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let packed = asset.gzip.as_ref().filter(|_| accepts_gzip(headers));
    let etag = match packed {
        Some(_) => format!("{}-gzip\"", asset.etag.trim_end_matches('"')),
        None => asset.etag.clone(),
    };
    let mut out = HeaderMap::new();
    out.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(ETAG, value);
    }
    if negotiate::unchanged(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, out).into_response();
    }
    out.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    let body = match packed {
        Some(packed) => {
            out.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            packed.clone()
        }
        None => asset.body.clone(),
    };
    (out, Body::from(body)).into_response()
}

/// `Accept-Encoding` names gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    negotiate::accepted(headers, ACCEPT_ENCODING)
        .iter()
        .any(|coding| coding == "gzip" || coding == "*")
}

/// Scripts, styles, fonts and connections (REST and sockets: `'self'` covers `ws:`/`wss:` of
/// this host) from this server only; images also from the media store. No inline script, no
/// `eval`, no framing.
fn content_security_policy(image_origins: &[String]) -> HeaderValue {
    let mut images = String::from("'self' data: blob:");
    for origin in image_origins {
        if !origin.is_empty() && !images.contains(origin.as_str()) {
            images.push(' ');
            images.push_str(origin);
        }
    }
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src {images}; \
         font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(
        "default-src 'none'; script-src 'self'",
    ))
}

/// The origin (`scheme://host[:port]`) of a URL, for the policy.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty() && matches!(scheme, "http" | "https")).then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn gzip_is_sent_only_where_accepted() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1.0, GZIP;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "br")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn etags_match_exactly_weakly_or_by_star() {
        let etag = "\"abc\"";
        let unchanged = |value| negotiate::unchanged(&headers(&[("if-none-match", value)]), etag);
        assert!(unchanged("\"abc\""));
        assert!(unchanged("\"x\", W/\"abc\""));
        assert!(unchanged("*"));
        assert!(!unchanged("\"abd\""));
    }

    #[test]
    fn client_routes_are_named_and_the_api_is_not_taken_over() {
        for path in [
            "/login",
            "/servers/1/channels/2",
            "/app/reset/3/tok",
            "/invite/Ab3",
        ] {
            assert!(is_client_route(path), "{path}");
        }
        for path in [
            "/api/servers/",
            "/media/x.png",
            "/healthz",
            "/1/2",
            "/loginx",
            "/",
        ] {
            assert!(!is_client_route(path), "{path}");
        }
    }

    #[test]
    fn the_policy_allows_only_this_server_and_the_media_store() {
        let policy = content_security_policy(&["https://cdn.example".into(), String::new()]);
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("script-src 'self';"));
        assert!(policy.contains("connect-src 'self';"));
        assert!(policy.contains("img-src 'self' data: blob: https://cdn.example;"));
        assert!(!policy.contains("unsafe"));
    }

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(
            origin_of("https://b.s3.amazonaws.com/k/x.png").as_deref(),
            Some("https://b.s3.amazonaws.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8000").as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("nothing"), None);
    }
}
