//! `POST /api/simulate`: what the bot would answer, with the rules and settings in force,
//! without sending anything (the dashboard's simulator).

use super::access::Access;
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use axum::extract::State;
use axum::http::Method;
use axum::routing::post;
use cocolu_core::engine::simulate::{self, Answer, Question};
use serde::Deserialize;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::POST,
        "/simulate",
        Access::User,
        Doc::new(
            "rules",
            "What the bot would answer to a message; nothing is sent",
        )
        .body::<Request>()
        .returns::<Answer>(),
        post(run),
    )
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Request {
    #[serde(flatten)]
    question: Question,
    /// A conversation whose contact state to use (labels, takeover, opt-out, cooldowns).
    #[serde(default)]
    from: Option<String>,
    /// Rules to try instead of those in force (a draft not saved yet); checked like a save:
    /// 422 with located problems.
    #[serde(default)]
    rules: Option<cocolu_core::engine::rules::Rules>,
}

async fn run(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<Request>,
) -> Result<ApiJson<Answer>, ApiError> {
    if request.question.text.is_none()
        && request.question.button.is_none()
        && request.question.r#type.is_none()
    {
        return Err(ApiError::BadRequest(
            "Give the `text` a customer would write (or a `button` id, or a `type`).".into(),
        ));
    }
    let contact = request
        .from
        .as_deref()
        .map(|from| crate::bot::contact_state(&state.store, from));
    let data = state.data.clone();
    let now = state.clock.now();
    // Checking a draft and compiling its rules is the costly part: off the async workers.
    super::heavy(&state.runtime, move || {
        let rules = match request.rules {
            None => data.rules.get(),
            Some(draft) => {
                let problems = super::documents::check_value(&data, &draft);
                if !problems.is_empty() {
                    return Err(ApiError::invalid(problems));
                }
                std::sync::Arc::new(draft)
            }
        };
        let templates = |name: &str| data.templates.get(name);
        Ok(ApiJson(simulate::simulate(
            rules,
            &data.settings.get(),
            &templates,
            contact,
            &request.question,
            now,
        )))
    })
    .await?
}
