//! The OpenAPI document's frame: title, the bearer scheme, the shared error schemas. The
//! paths come from the handlers' own annotations as the routers are assembled, so the
//! document cannot list a route the server does not have, or miss one it has.

pub mod bodies;
pub mod links;
pub mod names;
pub mod shared;

use crate::error::{AuthErrorBody, Detail, FieldErrorsSchema, LinkErrorBody};
use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "pingme",
        description = "A self-hostable chat server, compatible with the PingMe client. \
            Authenticate with `POST /api/token/` and send `Authorization: Bearer <access>`."
    ),
    modifiers(&BearerAuth),
    components(schemas(Detail, AuthErrorBody, LinkErrorBody, FieldErrorsSchema)),
    tags(
        (name = "auth", description = "JSON Web Tokens"),
        (name = "account", description = "Registration, verification, password reset, the caller's profile"),
        (name = "operations", description = "Health and readiness"),
        (name = "media", description = "Uploaded and default images"),
        (name = "categories", description = "Categories servers are grouped in"),
        (name = "servers", description = "Servers, membership, ownership"),
        (name = "channels", description = "Text channels"),
        (name = "invites", description = "Invites to servers"),
        (name = "moderation", description = "Kicks and bans"),
        (name = "admin", description = "Staff's administration of accounts"),
        (name = "messages", description = "Channel history, edits and deletes"),
        (name = "chat", description = "The per-channel WebSocket (protocol in docs/api.md)"),
        (name = "documentation", description = "This document and the Swagger UI"),
    )
)]
pub struct ApiDoc;

/// A file's bytes (an image, a stylesheet, a script), as a response body.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(#[allow(dead_code)] Vec<u8>);

/// A value that is always `null` (a placeholder's fields).
pub fn null_only() -> utoipa::openapi::schema::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Null)
        .build()
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        components.add_security_scheme("jwt", SecurityScheme::Http(scheme));
    }
}

#[cfg(test)]
mod tests {
    use super::shared::{is_protected, operations};
    use std::collections::BTreeSet;

    /// The paths of the router's own table. axum has no API to list routes; its `Debug`
    /// form shows the table as `Node { paths: {RouteId(0): "/api/token/", ...} }`. (Each
    /// path's methods are compared over HTTP, in the end-to-end `docs` tests.) `routes()` is
    /// every route the server has: `app()` adds only the 404/405 fallbacks and middleware.
    fn routed_paths(router: &str) -> BTreeSet<String> {
        let table = router
            .split_once("paths: {")
            .map(|(_, rest)| rest)
            .expect("axum's Debug form lists the routes' paths");
        let mut paths = BTreeSet::new();
        let mut quoted = table.split('"');
        while let (Some(outside), Some(path)) = (quoted.next(), quoted.next()) {
            if outside.contains('}') {
                break;
            }
            paths.insert(path.to_owned());
        }
        paths
    }

    #[test]
    fn the_router_routes_exactly_the_documented_paths() {
        let (router, document) = crate::routes().split_for_parts();
        let routed = routed_paths(&format!("{router:?}"));
        let documented: BTreeSet<String> = document.paths.paths.keys().cloned().collect();
        assert!(routed.len() > 30, "{routed:?}");
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty() && unrouted.is_empty(),
            "routed but not documented: {undocumented:?}; documented but not routed: {unrouted:?}"
        );
    }

    #[test]
    fn every_operation_says_whether_it_is_public_and_what_it_answers() {
        let mut document = crate::openapi();
        for (path, item) in document.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                let security = operation
                    .security
                    .as_ref()
                    .unwrap_or_else(|| panic!("{method} {path}: no security"));
                assert!(!security.is_empty(), "{method} {path}");
                let answers = &operation.responses.responses;
                assert!(
                    !is_protected(operation) || answers.contains_key("401"),
                    "{method} {path}: protected routes document their 401"
                );
                assert!(
                    answers
                        .keys()
                        .any(|s| s.starts_with('2') || s.starts_with('3') || s == "101"),
                    "{method} {path}: no success"
                );
            }
        }
    }

    #[test]
    fn the_bearer_scheme_is_declared() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        assert_eq!(
            doc["components"]["securitySchemes"]["jwt"]["scheme"],
            "bearer"
        );
    }
}
