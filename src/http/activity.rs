//! `/api/activity`: the overview's feed, read from the log with the customers' names.

use super::access::Access;
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::routing::get;
use cocolu_core::api::activity::{ActivityItem, ActivityQuery, Unread};

/// The most lines one request reads.
const MAX_LINES: usize = 100;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/activity",
        Access::User,
        Doc::new(
            "meta",
            "What happened lately, newest first, naming the customer",
        )
        .describe(
            "Messages received, replies, failures, takeovers and conversations waiting for \
                 a person, across the conversations that moved last. Read from the log, so it \
                 survives reloads and restarts.",
        )
        .query::<ActivityQuery>()
        .returns::<Vec<ActivityItem>>(),
        get(activity),
    )
    .op(
        Method::GET,
        "/unread",
        Access::User,
        Doc::new(
            "meta",
            "How many conversations have messages no person has read",
        )
        .returns::<Unread>(),
        get(unread),
    )
}

async fn unread(State(state): State<AppState>) -> ApiJson<Unread> {
    let conversations = state
        .store
        .index
        .read()
        .conversations()
        .filter(|(_, c)| c.last_in_at > c.last_read_at)
        .count();
    ApiJson(Unread { conversations })
}

async fn activity(
    State(state): State<AppState>,
    Query(query): Query<ActivityQuery>,
) -> Result<ApiJson<Vec<ActivityItem>>, ApiError> {
    let limit = query.limit.unwrap_or(20).clamp(1, MAX_LINES);
    let now = state.clock.now_ms();
    let store = state.store.clone();
    super::blocking(move || crate::activity::recent(&store, limit, now))
        .await
        .map(ApiJson)
}
