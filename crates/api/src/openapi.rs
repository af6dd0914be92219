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
