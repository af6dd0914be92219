//! Request bodies as a generated client needs them: a `PATCH` changes only the fields it
//! sends, so its body is a `Patched<Name>` copy of the full form with nothing required (as
//! drf-spectacular names them), and a body whose fields are all optional may be left out.

use super::shared::operations;
use std::collections::BTreeMap;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, Ref, RefOr, Required};

const SCHEMAS: &str = "#/components/schemas/";

pub fn describe_bodies(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let schemas = &mut components.schemas;
    for item in doc.paths.paths.values_mut() {
        for (method, operation) in operations(item) {
            let Some(RefOr::T(body)) = operation.request_body.as_mut() else {
                continue;
            };
            if method == "patch" {
                point_at_patched(body, schemas);
            }
            if !requires_anything(body, schemas) {
                body.required = Some(Required::False);
            }
        }
    }
}

/// Points each of the body's forms at `Patched<Name>`, made from `<Name>` when missing.
fn point_at_patched(body: &mut RequestBody, schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else { continue };
        let Some(RefOr::Ref(reference)) = &content.schema else {
            continue;
        };
        let Some(name) = reference.ref_location.strip_prefix(SCHEMAS) else {
            continue;
        };
        let Some(RefOr::T(Schema::Object(full))) = schemas.get(name) else {
            continue;
        };
        if full.required.is_empty() {
            continue;
        }
        let patched = format!("Patched{name}");
        let mut optional = full.clone();
        optional.required.clear();
        schemas.insert(patched.clone(), RefOr::T(Schema::Object(optional)));
        content.schema = Some(RefOr::Ref(Ref::from_schema_name(patched)));
    }
}

fn requires_anything(body: &RequestBody, schemas: &BTreeMap<String, RefOr<Schema>>) -> bool {
    body.content.values().any(|content| {
        let RefOr::T(content) = content else {
            return true;
        };
        let schema = match &content.schema {
            Some(RefOr::Ref(reference)) => reference
                .ref_location
                .strip_prefix(SCHEMAS)
                .and_then(|name| schemas.get(name)),
            other => other.as_ref(),
        };
        match schema {
            Some(RefOr::T(Schema::Object(object))) => !object.required.is_empty(),
            // Anything else (none so far) is kept required, the safe side for a client.
            _ => true,
        }
    })
}
