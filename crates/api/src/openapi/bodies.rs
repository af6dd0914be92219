//! Request bodies as a generated client needs them: a `PATCH` changes only the fields it
//! sends, so its body is a `Patched<Name>` copy of the full form with nothing required (as
//! drf-spectacular names them); a body whose fields are all optional may be left out; and
//! image files travel in multipart only: as JSON (`<Name>Json`) an image field may only be
//! `null` (back to the default image), and a urlencoded form (`<Name>Form`) has none.

use super::shared::operations;
use std::collections::BTreeMap;
use utoipa::openapi::content::Content;
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, Type};
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
            split_file_fields(body, schemas);
            if !requires_anything(body, schemas) {
                body.required = Some(Required::False);
            }
        }
    }
    drop_unused(doc);
}

/// A full form only a `PATCH` used (a message's edit) is referred to by nothing any more.
fn drop_unused(doc: &mut OpenApi) {
    let Ok(text) = serde_json::to_string(&doc) else {
        return;
    };
    if let Some(components) = doc.components.as_mut() {
        components
            .schemas
            .retain(|name, _| text.contains(&format!("\"{SCHEMAS}{name}\"")));
    }
}

type Schemas = BTreeMap<String, RefOr<Schema>>;

/// The name and a copy of the object schema a body's form refers to.
fn named_object(content: &RefOr<Content>, schemas: &Schemas) -> Option<(String, Object)> {
    let RefOr::T(content) = content else {
        return None;
    };
    let Some(RefOr::Ref(reference)) = &content.schema else {
        return None;
    };
    let name = reference.ref_location.strip_prefix(SCHEMAS)?;
    match schemas.get(name) {
        Some(RefOr::T(Schema::Object(object))) => Some((name.to_owned(), object.clone())),
        _ => None,
    }
}

/// Adds `derived` to the schemas and points the form at it.
fn point_at(content: &mut RefOr<Content>, schemas: &mut Schemas, name: String, derived: Object) {
    schemas.insert(name.clone(), RefOr::T(Schema::Object(derived)));
    if let RefOr::T(content) = content {
        content.schema = Some(RefOr::Ref(Ref::from_schema_name(name)));
    }
}

/// Points each of the body's forms at `Patched<Name>`: `<Name>` with nothing required.
fn point_at_patched(body: &mut RequestBody, schemas: &mut Schemas) {
    for content in body.content.values_mut() {
        let Some((name, mut optional)) = named_object(content, schemas) else {
            continue;
        };
        if optional.required.is_empty() {
            continue;
        }
        optional.required.clear();
        point_at(content, schemas, format!("Patched{name}"), optional);
    }
}

/// Points the JSON and urlencoded forms of a body with image fields at copies without
/// files.
fn split_file_fields(body: &mut RequestBody, schemas: &mut Schemas) {
    for (media_type, content) in body.content.iter_mut() {
        let suffix = match media_type.as_str() {
            "application/json" => "Json",
            "application/x-www-form-urlencoded" => "Form",
            _ => continue,
        };
        let Some((name, mut without)) = named_object(content, schemas) else {
            continue;
        };
        let files: Vec<String> = without
            .properties
            .iter()
            .filter(|(_, property)| is_file(property))
            .map(|(field, _)| field.clone())
            .collect();
        if files.is_empty() {
            continue;
        }
        for field in &files {
            if suffix == "Json" {
                let reset = ObjectBuilder::new()
                    .schema_type(Type::Null)
                    .description(Some("`null` goes back to the default image."))
                    .build();
                without
                    .properties
                    .insert(field.clone(), RefOr::T(Schema::Object(reset)));
            } else {
                without.properties.remove(field);
                without.required.retain(|name| name != field);
            }
        }
        point_at(content, schemas, format!("{name}{suffix}"), without);
    }
}

fn is_file(property: &RefOr<Schema>) -> bool {
    matches!(
        property,
        RefOr::T(Schema::Object(object))
            if object.format == Some(SchemaFormat::KnownFormat(KnownFormat::Binary))
    )
}

fn requires_anything(body: &RequestBody, schemas: &Schemas) -> bool {
    body.content
        .values()
        .any(|content| match named_object(content, schemas) {
            Some((_, object)) => !object.required.is_empty(),
            // Anything else (none so far) is kept required, the safe side for a client.
            None => true,
        })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    fn document() -> Value {
        serde_json::to_value(crate::openapi()).unwrap()
    }

    fn body_schema<'a>(doc: &'a Value, path: &str, method: &str, media: &str) -> &'a Value {
        let reference =
            doc["paths"][path][method]["requestBody"]["content"][media]["schema"]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} {media}"));
        let name = reference.rsplit('/').next().unwrap();
        &doc["components"]["schemas"][name]
    }

    #[test]
    fn a_patch_requires_nothing_and_images_travel_in_multipart_only() {
        let doc = document();
        let path = "/api/servers/{id}/";
        let multipart = body_schema(&doc, path, "patch", "multipart/form-data");
        assert_eq!(multipart["properties"]["server_icon"]["format"], "binary");
        assert!(multipart.get("required").is_none(), "{multipart}");
        let json = body_schema(&doc, path, "patch", "application/json");
        assert_eq!(json["properties"]["server_icon"]["type"], "null");
        let form = body_schema(&doc, path, "patch", "application/x-www-form-urlencoded");
        assert!(form["properties"].get("server_icon").is_none(), "{form}");
        assert_eq!(
            doc["paths"][path]["patch"]["requestBody"]["required"],
            false
        );

        let create = body_schema(&doc, "/api/servers/", "post", "application/json");
        assert_eq!(create["required"], json!(["name", "category"]));
        assert_eq!(
            doc["paths"]["/api/servers/"]["post"]["requestBody"]["required"],
            true
        );
    }

    #[test]
    fn a_body_of_optional_fields_may_be_left_out() {
        let doc = document();
        for (method, path) in [
            ("patch", "/api/account/edit_me/"),
            ("post", "/api/servers/{id}/add_member/"),
            ("post", "/api/servers/{id}/invites/"),
        ] {
            assert_eq!(
                doc["paths"][path][method]["requestBody"]["required"], false,
                "{method} {path}"
            );
        }
    }
}
