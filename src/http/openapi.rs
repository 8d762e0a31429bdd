//! The API's routes are declared once, through [`Api`]: each operation names its method,
//! path, who may call it, and its request and response types. The same declaration adds the
//! route to the router, puts the access check in front of it, and (with the `schema` feature,
//! which the tests turn on) writes its entry in the OpenAPI 3.1 document. The tests check that
//! document against `docs/openapi.json`, which a release build serves at `/api/openapi.json`
//! (the operations it has), so the document cannot drift from the router.

use super::access::{self, Access};
use super::state::AppState;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;
use axum::Router;
use serde_json::Value;

#[cfg(feature = "schema")]
mod generate;

/// A type the document describes: with the `schema` feature, one whose JSON Schema is derived.
#[cfg(feature = "schema")]
pub trait Described: schemars::JsonSchema {}
#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema> Described for T {}
/// A type the document describes (its schema is in `docs/openapi.json`).
#[cfg(not(feature = "schema"))]
pub trait Described {}
#[cfg(not(feature = "schema"))]
impl<T> Described for T {}

/// Makes the schema of a type, registering its definitions.
#[cfg(feature = "schema")]
type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;
#[cfg(not(feature = "schema"))]
type SchemaFn = ();

#[cfg(feature = "schema")]
fn schema_of<T: Described>() -> Option<SchemaFn> {
    Some(|generator| generator.subschema_for::<T>())
}

#[cfg(feature = "schema")]
fn root_schema_of<T: Described>() -> Option<SchemaFn> {
    Some(|generator| generator.root_schema_for::<T>())
}

#[cfg(not(feature = "schema"))]
fn schema_of<T: Described>() -> Option<SchemaFn> {
    None
}

#[cfg(not(feature = "schema"))]
fn root_schema_of<T: Described>() -> Option<SchemaFn> {
    None
}

/// What the document says about one operation.
#[derive(Clone)]
#[cfg_attr(not(feature = "schema"), allow(dead_code))]
pub struct Doc {
    tag: &'static str,
    summary: &'static str,
    description: &'static str,
    request: Option<SchemaFn>,
    response: Option<SchemaFn>,
    query: Option<SchemaFn>,
    status: u16,
    response_type: &'static str,
    /// The body is a file (any media type), not JSON.
    file_body: bool,
}

impl Doc {
    pub fn new(tag: &'static str, summary: &'static str) -> Doc {
        Doc {
            tag,
            summary,
            description: "",
            request: None,
            response: None,
            query: None,
            status: 200,
            response_type: "application/json",
            file_body: false,
        }
    }

    /// A longer explanation.
    pub fn describe(mut self, description: &'static str) -> Doc {
        self.description = description;
        self
    }

    /// The JSON body the operation takes.
    pub fn body<T: Described>(mut self) -> Doc {
        self.request = schema_of::<T>();
        self
    }

    /// The JSON body of a successful answer.
    pub fn returns<T: Described>(mut self) -> Doc {
        self.response = schema_of::<T>();
        self
    }

    /// The query parameters, as the fields of `T`.
    pub fn query<T: Described>(mut self) -> Doc {
        self.query = root_schema_of::<T>();
        self
    }

    /// The body is a file, sent as it is with its own `Content-Type`.
    pub fn takes_file(mut self) -> Doc {
        self.file_body = true;
        self
    }

    /// The status of a successful answer (200 unless set).
    pub fn status(mut self, status: u16) -> Doc {
        self.status = status;
        self
    }

    /// A successful answer that is not JSON (a media file).
    pub fn binary(self) -> Doc {
        self.answers("application/octet-stream")
    }

    /// A successful answer of this media type instead of JSON.
    pub fn answers(mut self, media_type: &'static str) -> Doc {
        self.response_type = media_type;
        self
    }
}

// Without the `schema` feature only the method and path are read (to pick the operations of
// `docs/openapi.json` this build has).
#[cfg_attr(not(feature = "schema"), allow(dead_code))]
struct Operation {
    method: Method,
    path: &'static str,
    access: Access,
    doc: Doc,
}

/// Builds the API router and its OpenAPI document together.
pub struct Api {
    state: AppState,
    router: Router<AppState>,
    operations: Vec<Operation>,
}

impl Api {
    pub fn new(state: &AppState) -> Api {
        Api {
            state: state.clone(),
            router: Router::new(),
            operations: Vec::new(),
        }
    }

    /// Adds one operation: `path` is relative to `/api`, `handler` answers `method`.
    pub fn op(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        doc: Doc,
        handler: MethodRouter<AppState>,
    ) -> Api {
        let guarded = handler.route_layer(from_fn_with_state(
            (self.state.clone(), access),
            access::guard,
        ));
        self.router = self.router.route(path, guarded);
        self.operations.push(Operation {
            method,
            path,
            access,
            doc,
        });
        self
    }

    /// The router and the document.
    pub fn finish(self) -> (Router<AppState>, Value) {
        #[cfg(feature = "schema")]
        let document = generate::document(&self.operations);
        #[cfg(not(feature = "schema"))]
        let document = published(&self.operations);
        (self.router, document)
    }
}

/// `docs/openapi.json` (written for every optional channel) with only the operations this
/// build has.
#[cfg(not(feature = "schema"))]
fn published(operations: &[Operation]) -> Value {
    let mut document = crate::published::json("openapi.json");
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        paths.retain(|path, item| {
            let Some(methods) = item.as_object_mut() else {
                return false;
            };
            methods.retain(|method, _| {
                operations.iter().any(|operation| {
                    format!("/api{}", operation.path) == *path
                        && operation.method.as_str().eq_ignore_ascii_case(method)
                })
            });
            !methods.is_empty()
        });
    }
    document
}
