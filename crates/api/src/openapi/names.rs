//! Operation ids as drf-spectacular named them for the original, so that generated clients
//! get the names its users know: the path's fixed segments joined by `_`, then the action
//! (`servers_list`, `servers_retrieve`, `servers_partial_update`, `token_create`,
//! `servers_add_member_create`). A path without fixed segments keeps its handler's name.

use super::shared::operations;
use std::collections::HashMap;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};

pub fn name_operations(doc: &mut OpenApi) {
    let mut uses: HashMap<String, usize> = HashMap::new();
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            *uses
                .entry(name(path, method, operation, false))
                .or_default() += 1;
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let short = name(path, method, operation, false);
            if short.is_empty() {
                continue;
            }
            // `/media/{kind}/{name}` and `/media/{kind}/{owner}/{name}` are told apart by
            // their parameters' names too.
            let id = match uses[&short] {
                1 => short,
                _ => name(path, method, operation, true),
            };
            operation.operation_id = Some(id);
        }
    }
}

fn name(path: &str, method: &str, operation: &Operation, with_parameters: bool) -> String {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "api")
        .filter_map(|s| match s.strip_prefix('{') {
            Some(parameter) if with_parameters => parameter.strip_suffix('}'),
            Some(_) => None,
            None => Some(s),
        })
        .collect();
    if segments.is_empty() {
        return String::new();
    }
    let action = match method {
        "get" if answers_a_list(operation) => "list",
        "get" => "retrieve",
        "post" => "create",
        "put" => "update",
        "patch" => "partial_update",
        _ => "destroy",
    };
    format!("{}_{action}", segments.join("_"))
}

/// A `GET` whose 200 is a JSON array.
fn answers_a_list(operation: &Operation) -> bool {
    let Some(RefOr::T(ok)) = operation.responses.responses.get("200") else {
        return false;
    };
    matches!(
        ok.content.get("application/json"),
        Some(RefOr::T(json)) if matches!(json.schema, Some(RefOr::T(Schema::Array(_))))
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    fn ids() -> BTreeMap<String, String> {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let mut ids = BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let id = operation["operationId"].as_str().unwrap().to_owned();
                let previous = ids.insert(id.clone(), format!("{method} {path}"));
                assert!(previous.is_none(), "{id} names two operations");
            }
        }
        ids
    }

    #[test]
    fn operation_ids_are_unique_and_named_as_drf_spectacular_names_them() {
        let ids = ids();
        for (id, operation) in [
            ("token_create", "post /api/token/"),
            ("token_refresh_create", "post /api/token/refresh/"),
            ("account_me_retrieve", "get /api/account/me/"),
            (
                "account_edit_me_partial_update",
                "patch /api/account/edit_me/",
            ),
            (
                "account_delete_me_destroy",
                "delete /api/account/delete_me/",
            ),
            ("servers_list", "get /api/servers/"),
            ("servers_create", "post /api/servers/"),
            ("servers_retrieve", "get /api/servers/{id}/"),
            ("servers_update", "put /api/servers/{id}/"),
            ("servers_partial_update", "patch /api/servers/{id}/"),
            ("servers_destroy", "delete /api/servers/{id}/"),
            (
                "servers_add_member_create",
                "post /api/servers/{id}/add_member/",
            ),
            ("messages_list", "get /api/messages/"),
            ("connect", "get /{server}/{channel}"),
        ] {
            assert_eq!(ids.get(id).map(String::as_str), Some(operation), "{id}");
        }
    }
}
