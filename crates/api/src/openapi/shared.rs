//! The answers every route shares, added to each operation once the routers are assembled,
//! so that no handler's annotation can forget them: a malformed request (400 `{"detail"}`),
//! a body over the limit (413) or of another type (415) or too slow to arrive (408), an id in the path that names
//! nothing (404), a refused token (401 with `WWW-Authenticate`), a row referred to that
//! another request removed meanwhile (409), a database that cannot be reached (503 with
//! `Retry-After`).

use utoipa::openapi::content::Content;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{OneOfBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{OpenApi, Ref, RefOr};

const JSON: &str = "application/json";

/// Adds the shared answers to every operation of `doc`.
pub fn add_shared_answers(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let takes_ids = path.contains('{');
        let uses_database =
            !path.starts_with("/api/docs/") && !matches!(path.as_str(), "/" | "/healthz");
        let community = [
            "/api/servers/",
            "/api/channels/",
            "/api/categories/",
            "/api/invites/",
            "/api/messages/",
            "/api/attachments/",
        ]
        .iter()
        .any(|prefix| path.starts_with(prefix));
        for (method, operation) in operations(item) {
            let answers = Shared {
                operation,
                takes_ids,
                uses_database,
                writes_references: community && method != "get",
            };
            answers.add();
        }
    }
}

/// A path's operations, with their methods.
pub fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

struct Shared<'a> {
    operation: &'a mut Operation,
    takes_ids: bool,
    uses_database: bool,
    /// Writes rows that refer to others (a channel to its server, a membership to its
    /// account), which another request may remove meanwhile.
    writes_references: bool,
}

impl Shared<'_> {
    fn add(mut self) {
        self.bad_request();
        if self.operation.request_body.is_some() {
            self.insert(
                "413",
                "The body is over the limit (`PINGME_MAX_BODY_BYTES`)",
            );
            self.insert("415", "A body that is not JSON, a form or multipart");
            self.insert(
                "408",
                "The body did not arrive within `PINGME_HTTP_BODY_TIMEOUT`; the connection is \
                 closed",
            );
        }
        if self.takes_ids {
            self.insert("404", "Nothing has that id");
        }
        if is_protected(self.operation) {
            self.insert("401", "Missing or refused credentials");
        }
        if self.writes_references {
            self.insert(
                "409",
                "Something this refers to was removed meanwhile; try again",
            );
        }
        match (self.uses_database, self.operation.request_body.is_some()) {
            (true, true) => self.insert(
                "503",
                "The database (or, for media, the media store) cannot be reached, or the \
                 memory for request bodies (`PINGME_BODY_MEMORY`) is taken for the moment; \
                 try again",
            ),
            (true, false) => self.insert(
                "503",
                "The database (or, for media, the media store) cannot be reached; try again",
            ),
            (false, true) => self.insert(
                "503",
                "The memory for request bodies (`PINGME_BODY_MEMORY`) is taken for the \
                 moment; try again",
            ),
            (false, false) => {}
        }
        self.headers();
        self.describe();
    }

    /// OpenAPI requires a description of every response: the status's reason phrase where
    /// the handler gave none.
    fn describe(&mut self) {
        for (status, response) in self.operation.responses.responses.iter_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            if response.description.is_empty() {
                let reason = status
                    .parse()
                    .ok()
                    .and_then(|code| axum::http::StatusCode::from_u16(code).ok())
                    .and_then(|code| code.canonical_reason());
                response.description = reason.unwrap_or("Answer").to_owned();
            }
        }
    }

    /// Every operation may answer 400 `{"detail"}` (a NUL in the address, a query string
    /// or JSON body that does not parse) besides its own 400 shapes.
    fn bad_request(&mut self) {
        let responses = &mut self.operation.responses.responses;
        let Some(RefOr::T(existing)) = responses.get_mut("400") else {
            self.insert("400", "A malformed request");
            return;
        };
        let Some(content) = existing.content.get_mut(JSON) else {
            existing.content.insert(JSON.into(), detail_content());
            return;
        };
        let RefOr::T(content) = content else { return };
        match content.schema.take() {
            Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Detail") => {
                content.schema = Some(RefOr::Ref(r));
            }
            Some(own) => {
                let either = OneOfBuilder::new().item(own).item(detail_ref()).build();
                content.schema = Some(RefOr::T(Schema::OneOf(either)));
            }
            None => content.schema = Some(detail_ref()),
        }
    }

    /// A `{"detail"}` answer (`{"detail", "code"}` for 401), unless the operation has its own.
    fn insert(&mut self, status: &str, description: &str) {
        let body = if status == "401" {
            RefOr::Ref(Ref::from_schema_name("AuthErrorBody"))
        } else {
            detail_ref()
        };
        self.operation
            .responses
            .responses
            .entry(status.into())
            .or_insert_with(|| {
                let content = Content::new(Some(body));
                RefOr::T(
                    Response::builder()
                        .description(description)
                        .content(JSON, content)
                        .build(),
                )
            });
    }

    /// The headers the contract promises with some statuses.
    fn headers(&mut self) {
        for (status, response) in self.operation.responses.responses.iter_mut() {
            let RefOr::T(response) = response else {
                continue;
            };
            let (name, header) = match status.as_str() {
                "401" => ("WWW-Authenticate", header("`Bearer realm=\"api\"`")),
                "429" | "503" => ("Retry-After", header("Seconds to wait before trying again")),
                _ => continue,
            };
            response
                .headers
                .entry(name.into())
                .or_insert(RefOr::T(header));
        }
    }
}

fn detail_ref() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name("Detail"))
}

fn detail_content() -> RefOr<Content> {
    RefOr::T(Content::new(Some(detail_ref())))
}

fn header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new().schema_type(Type::String),
        ))
        .description(Some(description))
        .build()
}

/// An operation that requires a token: its security list names a scheme (a public one
/// lists only the empty requirement).
pub fn is_protected(operation: &Operation) -> bool {
    let public = SecurityRequirement::default();
    operation
        .security
        .as_ref()
        .is_some_and(|list| list.iter().any(|s| *s != public))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    fn operation(method: &str, path: &str) -> Value {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        doc["paths"][path][method].clone()
    }

    #[test]
    fn every_400_also_allows_a_detail_and_bodies_answer_413_and_415() {
        let create = operation("post", "/api/servers/");
        let bad = &create["responses"]["400"]["content"]["application/json"]["schema"];
        assert_eq!(
            bad["oneOf"],
            json!([
                {"$ref": "#/components/schemas/FieldErrors"},
                {"$ref": "#/components/schemas/Detail"}
            ])
        );
        for status in ["408", "413", "415", "401", "409", "503"] {
            assert!(create["responses"].get(status).is_some(), "{status}");
        }
        let unauthorized = &create["responses"]["401"]["headers"];
        assert!(unauthorized.get("WWW-Authenticate").is_some());
    }

    #[test]
    fn answers_are_only_added_where_they_can_happen() {
        let home = operation("get", "/");
        for status in ["401", "404", "409", "413", "415", "503"] {
            assert!(home["responses"].get(status).is_none(), "{status}");
        }
        let list = operation("get", "/api/servers/");
        for status in ["404", "409", "413", "415"] {
            assert!(list["responses"].get(status).is_none(), "{status}");
        }
        let retrieve = operation("get", "/api/servers/{id}/");
        assert!(retrieve["responses"].get("404").is_some());
        let ready = operation("get", "/readyz");
        assert!(
            ready["responses"]["503"]["headers"]
                .get("Retry-After")
                .is_some()
        );
    }
}
