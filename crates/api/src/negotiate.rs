//! Reading the request headers that choose among answers: `Accept`-style lists with quality
//! values, and `If-None-Match`.

use axum::http::{HeaderMap, HeaderName, header::IF_NONE_MATCH};

/// The values a list header (`Accept`, `Accept-Encoding`) names, lowercased and without
/// parameters, leaving out those refused with `q=0`.
pub fn accepted(headers: &HeaderMap, name: HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let value = parts.next()?.to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (!refused && !value.is_empty()).then_some(value)
        })
        .collect()
}

/// `If-None-Match` names `etag` (weakly or not) or `*`: the client's copy is current.
pub fn unchanged(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}
