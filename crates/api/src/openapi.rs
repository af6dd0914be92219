//! The OpenAPI document's frame: title, the bearer scheme, the shared error schemas. The
//! paths come from the handlers' own annotations as the routers are assembled, so the
//! document cannot list a route the server does not have, or miss one it has.

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
        (name = "messages", description = "Channel history, edits and deletes"),
        (name = "chat", description = "The per-channel WebSocket (protocol in docs/api.md)"),
    )
)]
pub struct ApiDoc;

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
    use utoipa::openapi::path::Operation;

    fn operations() -> Vec<(String, String, Operation)> {
        let doc = crate::openapi();
        let mut found = Vec::new();
        for (path, item) in doc.paths.paths {
            let methods = [
                ("get", item.get),
                ("post", item.post),
                ("put", item.put),
                ("patch", item.patch),
                ("delete", item.delete),
            ];
            for (method, operation) in methods {
                if let Some(operation) = operation {
                    found.push((method.to_owned(), path.clone(), operation));
                }
            }
        }
        found
    }

    #[test]
    fn every_account_and_auth_route_is_documented() {
        let documented: Vec<String> = operations()
            .iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect();
        for route in [
            "post /api/token/",
            "post /api/token/refresh/",
            "post /api/account/register/",
            "get /api/account/verify_email/",
            "post /api/account/resend_verification/",
            "post /api/account/password_reset/",
            "post /api/account/password_reset_confirm/",
            "get /api/account/me/",
            "patch /api/account/edit_me/",
            "delete /api/account/delete_me/",
            "get /healthz",
            "get /readyz",
        ] {
            assert!(
                documented.iter().any(|d| d == route),
                "{route} missing from {documented:?}"
            );
        }
    }

    #[test]
    fn every_operation_says_whether_it_is_public_and_what_it_answers() {
        for (method, path, operation) in operations() {
            let security = operation
                .security
                .unwrap_or_else(|| panic!("{method} {path}: no security"));
            let public = security
                .iter()
                .all(|s| serde_json::to_value(s).unwrap() == serde_json::json!({}));
            let answers_401 = operation.responses.responses.contains_key("401");
            assert!(
                public || answers_401,
                "{method} {path}: protected routes document their 401"
            );
            assert!(
                !operation.responses.responses.is_empty(),
                "{method} {path}: no responses"
            );
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
