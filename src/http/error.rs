//! The one error type of the HTTP layer. Every API error answers
//! `{"error":{"code","message"}}` (plus `faults`, what is wrong as codes a client words in its
//! own language, and `details` where the client needs more, such as the other version in a
//! conflict) with a fitting status. Internal details are logged, never sent
//! to the client; a person's mistake is answered 4xx and not logged as an error.

use crate::auth::AuthError;
use crate::store::document::SaveError;
use crate::telemetry::Escaped;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cocolu_core::api::documents::{ConflictDetails, OtherVersion};
use cocolu_core::document::FileProblem;
use cocolu_core::fault::{self, Fault};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

/// An error an API handler returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No such route or resource.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be understood (malformed JSON, wrong types).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not the JSON this address takes, for the reason the fault says (the
    /// message also says where).
    #[error("{message}")]
    BadBody { message: String, fault: Fault },
    /// Credentials or a signature are missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed (a role, a cross-site request), for a reason named by `code`.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// Too many failed attempts: try again after the wait.
    #[error("Too many failed attempts; try again in {} seconds.", .0.as_secs().max(1))]
    Throttled(std::time::Duration),
    /// The request is valid but cannot be carried out, for a reason named by `code`.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// Meta's Graph API refused or could not be reached.
    #[error("{0}")]
    Upstream(String),
    /// Meta refused a new connection under test (or could not be reached); nothing was saved.
    #[error("Meta refused the connection, so it was not saved: {}", .0.message)]
    ConnectionRefused(cocolu_core::log::SendError),
    /// A feature needs configuration that is missing.
    #[error("{0}")]
    NotConfigured(String),
    /// The body is larger than the server accepts.
    #[error("The request body is larger than this address accepts.")]
    TooLarge,
    /// The request breaks limits or rules, for the reasons `faults` say (`code`: `invalid`,
    /// `limit`).
    #[error("{}", fault::sentence(.faults))]
    Faulty {
        code: &'static str,
        faults: Vec<Fault>,
    },
    /// The request is understood but its content does not validate.
    #[error("{message}")]
    Invalid {
        message: String,
        problems: Vec<FileProblem>,
    },
    /// The resource changed since the revision the request was based on.
    #[error("{message}")]
    Conflict {
        message: String,
        details: Box<ConflictDetails>,
    },
    /// The server is busy with other heavy requests; try again in a moment.
    #[error("{0}")]
    Busy(&'static str),
    /// The data folder refused a write (disk full, read-only, permissions); nothing changed.
    #[error("storage: {0}")]
    Storage(String),
    /// Something failed on our side; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) | ApiError::BadBody { .. } => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ApiError::Faulty { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            ApiError::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            ApiError::NotConfigured(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_configured"),
            ApiError::Refused { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::ConnectionRefused(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "connection_refused")
            }
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream"),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            ApiError::Storage(_) => (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl ApiError {
    /// 422 with the located problems, their words joined as the message.
    pub fn invalid(problems: Vec<FileProblem>) -> ApiError {
        ApiError::Invalid {
            message: problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            problems,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let retry_after = match &self {
            ApiError::Throttled(wait) => Some(wait.as_secs().max(1)),
            ApiError::Busy(_) => Some(5),
            _ => None,
        };
        let faults = match &self {
            ApiError::BadBody { fault, .. } => vec![fault.clone()],
            ApiError::Faulty { faults, .. } => faults.clone(),
            ApiError::Invalid { problems, .. } => problems
                .iter()
                .filter_map(|p| p.fault.as_ref().map(fault::FaultJson::read))
                .collect(),
            _ => Vec::new(),
        };
        let (message, details) = match self {
            ApiError::Internal(detail) => {
                tracing::error!(detail = %Escaped(&detail), "request failed");
                (
                    "Something went wrong on the server; the details are in its log.".to_string(),
                    None,
                )
            }
            ApiError::Storage(detail) => {
                tracing::error!(detail = %Escaped(&detail), "a write to the data folder failed");
                (
                    "The server cannot write to its data folder right now (full disk, read-only \
                     file system or permissions); nothing was changed. Try again later."
                        .to_string(),
                    None,
                )
            }
            ApiError::Invalid { message, problems } => {
                (message, Some(json!({ "problems": problems })))
            }
            ApiError::Conflict { message, details } => {
                (message, serde_json::to_value(details).ok())
            }
            ApiError::ConnectionRefused(error) => (
                format!(
                    "Meta refused the connection, so it was not saved: {}",
                    error.message
                ),
                Some(json!({ "meta": error })),
            ),
            other => (other.to_string(), None),
        };
        let mut error = json!({ "code": code, "message": message });
        if let Some(object) = error.as_object_mut() {
            if !faults.is_empty() {
                object.insert("faults".into(), json!(faults));
            }
            if let Some(details) = details {
                object.insert("details".into(), details);
            }
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> ApiError {
        let message = error.to_string();
        match error {
            AuthError::WrongCredentials | AuthError::WrongSetupCode => {
                ApiError::Unauthorized(message)
            }
            AuthError::Throttled(wait) => ApiError::Throttled(wait),
            AuthError::AlreadySetUp => ApiError::Refused {
                code: "already_set_up",
                message,
            },
            AuthError::BadInvitation => ApiError::Refused {
                code: "bad_invitation",
                message,
            },
            AuthError::WrongPassword => ApiError::Refused {
                code: "wrong_password",
                message,
            },
            AuthError::Invalid(faults) => ApiError::Faulty {
                code: "invalid",
                faults,
            },
            AuthError::UsernameTaken(_) => ApiError::Refused {
                code: "username_taken",
                message,
            },
            AuthError::NotFound(_) => ApiError::NotFound(message),
            AuthError::Forbidden(_) => ApiError::Forbidden {
                code: "forbidden",
                message,
            },
            AuthError::Busy => ApiError::Refused {
                code: "busy",
                message,
            },
            AuthError::Storage(detail) => ApiError::Storage(detail),
        }
    }
}

impl From<SaveError> for ApiError {
    fn from(error: SaveError) -> ApiError {
        match error {
            SaveError::Conflict {
                base,
                current,
                current_text,
                mine_text,
            } => ApiError::Conflict {
                message: format!(
                    "The file changed since revision {base} (someone edited it); it is now at \
                     revision {current}. Review both versions and save again."
                ),
                details: Box::new(ConflictDetails {
                    changes: super::conflict::changes(&current_text, &mine_text),
                    current: OtherVersion {
                        revision: current,
                        text: current_text,
                    },
                }),
            },
            SaveError::Invalid(problems) => ApiError::invalid(problems),
            SaveError::Io(error) => ApiError::Storage(error.to_string()),
        }
    }
}

/// A JSON body whose rejection is answered in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::BytesRejection(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::TooLarge
                }
                JsonRejection::JsonDataError(_) | JsonRejection::JsonSyntaxError(_) => {
                    let message = rejection.body_text();
                    ApiError::BadBody {
                        fault: fault::of_body_text(&message),
                        message,
                    }
                }
                other => ApiError::BadRequest(other.body_text()),
            }),
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
