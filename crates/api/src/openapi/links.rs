//! OpenAPI links: where the id in an answer leads, so that a client (and the schema
//! fuzzer's stateful phase) can follow a created server, channel or invite to the
//! operations on it.

use super::shared::operations;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};

/// A link from an answer: its name, the operation it leads to, and that operation's
/// parameter filled from the answer's body.
type Link = (&'static str, &'static str, &'static str, &'static str);

/// (method, path, status) of the answer, and its links.
const LINKS: [(&str, &str, &str, &[Link]); 3] = [
    (
        "post",
        "/api/servers/",
        "201",
        &[
            ("retrieve", "servers_retrieve", "id", "$response.body#/id"),
            (
                "update",
                "servers_partial_update",
                "id",
                "$response.body#/id",
            ),
            (
                "invite",
                "servers_invites_create",
                "id",
                "$response.body#/id",
            ),
            ("destroy", "servers_destroy", "id", "$response.body#/id"),
        ],
    ),
    (
        "post",
        "/api/channels/",
        "201",
        &[
            ("retrieve", "channels_retrieve", "id", "$response.body#/id"),
            (
                "update",
                "channels_partial_update",
                "id",
                "$response.body#/id",
            ),
            (
                "history",
                "messages_list",
                "channel_id",
                "$response.body#/id",
            ),
            ("destroy", "channels_destroy", "id", "$response.body#/id"),
        ],
    ),
    (
        "post",
        "/api/servers/{id}/invites/",
        "201",
        &[
            (
                "preview",
                "invites_retrieve",
                "code",
                "$response.body#/code",
            ),
            (
                "accept",
                "invites_accept_create",
                "code",
                "$response.body#/code",
            ),
            ("revoke", "invites_destroy", "code", "$response.body#/code"),
        ],
    ),
];

pub fn add_links(doc: &mut OpenApi) {
    for (method, path, status, links) in LINKS {
        let Some(item) = doc.paths.paths.get_mut(path) else {
            continue;
        };
        let Some((_, operation)) = operations(item).find(|(m, _)| *m == method) else {
            continue;
        };
        let Some(RefOr::T(answer)) = operation.responses.responses.get_mut(status) else {
            continue;
        };
        for (name, target, parameter, expression) in links {
            let link = LinkBuilder::new()
                .operation_id(*target)
                .parameter(*parameter, *expression)
                .build();
            answer.links.insert((*name).to_owned(), RefOr::T(link));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LINKS;
    use std::collections::BTreeSet;

    #[test]
    fn every_link_leaves_from_a_documented_answer_to_a_documented_operation() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let ids: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        for (method, path, status, links) in LINKS {
            let answer = &doc["paths"][path][method]["responses"][status];
            for (name, target, parameter, _) in links {
                assert!(ids.contains(target), "{target}");
                let link = &answer["links"][name];
                assert_eq!(link["operationId"], *target, "{method} {path} {name}");
                assert!(link["parameters"].get(parameter).is_some(), "{name}");
            }
        }
    }
}
