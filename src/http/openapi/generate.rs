//! The OpenAPI document generated from the operations and their types' JSON Schemas (the
//! `schema` feature).

use super::{Access, Operation};
use schemars::generate::SchemaSettings;
use schemars::Schema;
use serde_json::{json, Map, Value};

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
        })
        .collect()
}

fn query_parameters(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(name, property)| {
                    let mut parameter = json!({
                        "name": name,
                        "in": "query",
                        "required": required.contains(&name.as_str()),
                        "schema": property,
                    });
                    if let Some(description) = property.get("description") {
                        parameter["description"] = description.clone();
                    }
                    parameter
                })
                .collect()
        })
        .unwrap_or_default()
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

pub fn document(operations: &[Operation]) -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let mut paths: Map<String, Value> = Map::new();
    for operation in operations {
        let doc = &operation.doc;
        let mut entry = json!({
            "tags": [doc.tag],
            "summary": doc.summary,
            "operationId": format!("{}_{}", operation.method.as_str().to_lowercase(),
                operation.path.trim_matches('/').replace(['/', '{', '}'], "_").replace("__", "_")),
            "x-access": operation.access.as_str(),
        });
        if !doc.description.is_empty() {
            entry["description"] = json!(doc.description);
        }
        let mut parameters = path_parameters(operation.path);
        if let Some(query) = doc.query {
            parameters.extend(query_parameters(&query(&mut generator)));
        }
        if !parameters.is_empty() {
            entry["parameters"] = Value::Array(parameters);
        }
        if let Some(request) = doc.request {
            entry["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": request(&mut generator)}}
            });
        }
        if doc.file_body {
            entry["requestBody"] = json!({
                "required": true,
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}
            });
        }
        let mut success = json!({"description": "Success"});
        if let Some(response) = doc.response {
            success["content"] = json!({doc.response_type: {"schema": response(&mut generator)}});
        } else if doc.response_type != "application/json" {
            success["content"] = json!({doc.response_type: {}});
        }
        let mut responses = Map::new();
        responses.insert(doc.status.to_string(), success);
        match operation.access {
            Access::Public => {
                entry["security"] = json!([]);
            }
            Access::User | Access::Admin => {
                responses.insert("401".into(), error_response("Not signed in"));
                if operation.access == Access::Admin {
                    responses.insert("403".into(), error_response("Administrators only"));
                }
            }
        }
        responses.insert("default".into(), error_response("An error"));
        entry["responses"] = Value::Object(responses);
        let path = format!("/api{}", operation.path);
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item[operation.method.as_str().to_lowercase()] = entry;
    }
    let fault = generator.subschema_for::<cocolu_core::fault::Fault>();
    let mut schemas: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs: `unauthorized`, `forbidden`, `csrf`, `not_found`, `invalid`, `conflict`, `too_many_attempts`..."},
                    "message": {"type": "string", "description": "For people, in English."},
                    "faults": {"type": "array", "items": fault, "description": "What is wrong, each as a stable `code` with its parameters, for clients that word it in their own language (the dashboard does)."},
                    "details": {"description": "More, for some codes (the other version in a conflict, located problems)."}
                }
            }}
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Cocolu API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The REST API of Cocolu, a WhatsApp Business auto-reply bot. Scripts \
                authenticate with `Authorization: Bearer <token>` (tokens are made by admins); \
                the dashboard uses a session cookie, and then every request that changes \
                something needs the `X-CSRF-Token` header from `/api/auth/me`. Errors are \
                always `{\"error\":{\"code\",\"message\"}}`. Lists are paged with the `cursor` \
                of the previous page. `x-access` tells who may call an operation: `public`, \
                `user` (agents and admins) or `admin`."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "cocolu_session"}
            }
        },
        "security": [{"token": []}, {"session": []}]
    })
}
