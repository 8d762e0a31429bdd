//! `/api/conversations/{conversation}/messages`: a conversation's latest records, and manual
//! replies (queued in the durable outbox, sent as the limits allow).

use super::access::{Access, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::conversations;
use crate::media;
use crate::outbox::OutboxError;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cocolu_core::api::inbox::{
    ContactView, ConversationPage, Filter, MarkedRead, Queued, ReadRequest, ReplyRequest, Summary,
    TakeoverRequest, TakeoverState,
};
use cocolu_core::engine::render::{fill, Filling};
use cocolu_core::events::ServerEvent;
use cocolu_core::fault::Fault;
use cocolu_core::log::Origin;
use cocolu_core::media_types;
use cocolu_core::outbound::Outbound;
use cocolu_core::quick_replies::QuickReply;
use cocolu_core::settings::ChannelKind;
use serde::Deserialize;
use std::path::PathBuf;

pub fn routes(api: Api) -> Api {
    const TAG: &str = "conversations";
    api.op(
        Method::GET,
        "/conversations",
        Access::User,
        Doc::new(TAG, "The inbox: conversations, newest first")
            .describe(
                "Search by the customer's name, phone number, username or id, or by the text of \
                 their messages and the replies (`found` then carries the newest matching \
                 message; a search reads the whole log, so it is admitted like other heavy \
                 work); filter unread, \
                 paused (a person took over) or opted-out conversations. Paged: pass \
                 `next_cursor` back as `cursor`.",
            )
            .query::<ListParams>()
            .returns::<ConversationPage>(),
        get(list),
    )
    .op(
        Method::GET,
        "/conversations/{conversation}",
        Access::User,
        Doc::new(TAG, "One conversation as the inbox lists it").returns::<Summary>(),
        get(one),
    )
    .op(
        Method::GET,
        "/conversations/{conversation}/messages",
        Access::User,
        Doc::new(TAG, "A conversation's latest records, oldest first")
            .describe(
                "Messages in and out, statuses and decisions, as stored in the log. When older \
                 records exist, the `X-Next-Cursor` header holds the cursor to pass as \
                 `before` for the page before this one.",
            )
            .query::<HistoryQuery>()
            .returns::<Vec<serde_json::Value>>(),
        get(history),
    )
    .op(
        Method::POST,
        "/conversations/{conversation}/messages",
        Access::User,
        Doc::new(TAG, "Send a manual reply (queued in the durable outbox)")
            .describe(
                "The bot pauses for this contact for the takeover quiet time. 422 \
                 `outside_window` when the customer's last message is older than 24 hours \
                 (only an approved template may be sent then).",
            )
            .body::<ReplyRequest>()
            .returns::<Queued>()
            .status(202),
        post(reply),
    )
    .op(
        Method::POST,
        "/conversations/{conversation}/read",
        Access::User,
        Doc::new(
            TAG,
            "Mark the customer's latest message as read on WhatsApp",
        )
        .query::<ReadRequest>()
        .returns::<MarkedRead>(),
        post(mark_read),
    )
    .op(
        Method::POST,
        "/conversations/{conversation}/takeover",
        Access::User,
        Doc::new(TAG, "The takeover switch: a person answers, the bot pauses")
            .body::<TakeoverRequest>()
            .returns::<TakeoverState>(),
        post(takeover),
    )
    .op(
        Method::POST,
        "/conversations/{conversation}/contact",
        Access::User,
        Doc::new(TAG, "Edit the contact: labels, notes, opt-out")
            .describe("Applied in order with the messages; `GET .../state` shows the result.")
            .body::<crate::bot::ContactEdit>()
            .status(202),
        post(edit_contact),
    )
    .op(
        Method::GET,
        "/conversations/{conversation}/state",
        Access::User,
        Doc::new(TAG, "What the bot remembers of the contact").returns::<ContactView>(),
        get(contact_state),
    )
    .op(
        Method::GET,
        "/conversations/{conversation}/quick-replies",
        Access::User,
        Doc::new(TAG, "The saved answers, filled in for this customer")
            .describe(
                "Every answer of `quick_replies.json` with its variables (`{{nombre}}`, \
                 `{{negocio}}`, the hours, captured fields) filled in as the bot would for \
                 this customer now, for a person to put in the composer and send.",
            )
            .returns::<Vec<QuickReply>>(),
        get(quick_replies),
    )
    .op(
        Method::GET,
        "/media/{media_id}",
        Access::User,
        Doc::new(TAG, "A downloaded inbound media file").binary(),
        get(media_file),
    )
}

/// `GET /api/conversations/{conversation}/quick-replies`.
async fn quick_replies(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
) -> Result<ApiJson<Vec<QuickReply>>, ApiError> {
    must_exist(&state, &conversation)?;
    let now = state.clock.now_ms();
    // The customer's name and captured fields: reads of the log, off the async workers.
    let store = state.store.clone();
    let (name, remembered) = super::blocking(move || {
        let name = conversations::contact(&store, &conversation).and_then(|c| c.name);
        (name, crate::bot::contact_state(&store, &conversation))
    })
    .await?;
    let name = name.unwrap_or_default();
    let settings = state.data.settings.get();
    let filling = Filling {
        settings: &settings,
        time_zone: &cocolu_core::settings::time_zone(&settings),
        name: &name,
        message: "",
        now: jiff::Timestamp::from_millisecond(now).unwrap_or_default(),
        fields: &remembered.fields,
    };
    let replies = state.data.quick_replies.get();
    Ok(ApiJson(
        replies
            .replies
            .iter()
            .map(|reply| QuickReply {
                shortcut: reply.shortcut.clone(),
                text: fill(&reply.text, &filling),
            })
            .collect(),
    ))
}

/// `GET /api/conversations/{conversation}`.
async fn one(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
) -> Result<ApiJson<Summary>, ApiError> {
    let now = state.clock.now_ms();
    conversations::summary(&state.store, &conversation, now, windowed(&state))
        .map(ApiJson)
        .ok_or_else(|| ApiError::NotFound(format!("No conversation `{conversation}`.")))
}

/// 404 unless a customer has written in `conversation`: edits of made-up conversations would
/// otherwise create state (and memory) for conversations that do not exist.
fn must_exist(state: &AppState, conversation: &str) -> Result<(), ApiError> {
    if state
        .store
        .index
        .read()
        .conversation(conversation)
        .is_some()
    {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "No conversation `{conversation}`."
        )))
    }
}

/// Whether the channel in use limits free-form replies to 24 hours after the customer's last
/// message.
fn windowed(state: &AppState) -> bool {
    cocolu_core::settings::has_window(&state.data.settings.get())
}

fn quiet_until(state: &AppState) -> i64 {
    let hours = i64::from(state.data.settings.get().replies.takeover_quiet_hours);
    state.clock.now_ms() + hours * 3600 * 1000
}

/// `POST /api/conversations/{conversation}/takeover {"paused": true|false}`: the takeover
/// switch.
async fn takeover(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
    ApiJson(request): ApiJson<TakeoverRequest>,
) -> Result<ApiJson<TakeoverState>, ApiError> {
    must_exist(&state, &conversation)?;
    let until = request.paused.then(|| quiet_until(&state));
    state.bot.take_over(&conversation, until);
    Ok(ApiJson(TakeoverState {
        paused_until: until,
    }))
}

/// `POST /api/conversations/{conversation}/contact {"add_labels", "remove_labels",
/// "opted_out", "notes"}`: a person edits the contact; applied in order with the messages
/// (202: `GET .../state` shows the result a moment later).
async fn edit_contact(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
    ApiJson(edit): ApiJson<crate::bot::ContactEdit>,
) -> Result<StatusCode, ApiError> {
    must_exist(&state, &conversation)?;
    let current = crate::bot::contact_state(&state.store, &conversation);
    edit.check(&current).map_err(|faults| ApiError::Faulty {
        code: "limit",
        faults,
    })?;
    state.bot.edit(&conversation, edit);
    Ok(StatusCode::ACCEPTED)
}

/// `GET /api/conversations/{conversation}/state`: what the bot remembers of the contact
/// (labels, opt-out, paused until, last answers).
async fn contact_state(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
) -> ApiJson<ContactView> {
    let mut remembered = crate::bot::contact_state(&state.store, &conversation);
    // WhatsApp's window counts from when the customer sent the message, as the outbox
    // checks it; the bot's memory holds when it was processed, later if it came in late.
    let sent = state
        .store
        .index
        .read()
        .conversation(&conversation)
        .map_or(0, |c| c.last_in_at);
    if sent > 0 {
        remembered.last_in_at = Some(sent);
    }
    let settings = state.data.settings.get();
    ApiJson(ContactView {
        state: remembered,
        always_open: !cocolu_core::settings::has_window(&settings),
        // Only Meta's Cloud API takes an upload from the dashboard.
        sends_files: settings.channel == ChannelKind::Meta,
    })
}

/// `POST /api/conversations/{conversation}/read[?typing=true]`: marks the customer's latest message as read
/// on WhatsApp (blue ticks), optionally with the typing indicator.
async fn mark_read(
    State(state): State<AppState>,
    Signed(by, _): Signed,
    Path(conversation): Path<String>,
    Query(request): Query<ReadRequest>,
) -> Result<ApiJson<MarkedRead>, ApiError> {
    let typing = request.typing;
    let store = state.store.clone();
    let key = conversation.clone();
    let latest = super::blocking(move || conversations::latest_inbound_id(&store, &key))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no message from a customer in '{conversation}'."
            ))
        })?;
    conversations::mark_read(&state.store, &conversation, &by.name, state.clock.now_ms())
        .await
        .map_err(ApiError::Storage)?;
    state.events.publish(ServerEvent::ConversationUpdated {
        conversation: conversation.clone(),
    });
    state
        .graph
        .mark_read(&latest, typing)
        .await
        .map_err(|e| ApiError::Upstream(e.message))?;
    Ok(ApiJson(MarkedRead { message_id: latest }))
}

/// Claims the upload an attachment names for this reply (while the channel in force carries
/// files): `up_X.EXT` becomes `at_X.EXT`, so that one upload goes in one reply of one
/// conversation (erasing that customer deletes it, and nobody else's). The kind and the name
/// the customer sees come from the stored type. Returns the message to queue and the claimed
/// file's path, to give the upload back if the reply is refused.
async fn claim(
    state: &AppState,
    message: Outbound,
) -> Result<(Outbound, Option<(PathBuf, PathBuf)>), ApiError> {
    let Outbound::Attachment {
        file,
        filename,
        caption,
        ..
    } = message
    else {
        return Ok((message, None));
    };
    let refused = |fault| ApiError::Faulty {
        code: "attachment",
        faults: vec![fault],
    };
    if state.data.settings.get().channel != ChannelKind::Meta {
        return Err(refused(Fault::AttachmentNeedsMeta));
    }
    let (Some(media_type), Some(claimed)) = (
        media_types::stored_type(&file, media_types::UPLOADED),
        media_types::claimed_name(&file),
    ) else {
        return Err(refused(Fault::NoSuchUpload));
    };
    let dir = state.store.dir().join(crate::store::MEDIA_DIR);
    let (from, to) = (dir.join(&file), dir.join(&claimed));
    // A rename is atomic: of two replies naming one upload, one gets it.
    super::blocking({
        let (from, to) = (from.clone(), to.clone());
        move || std::fs::rename(from, to)
    })
    .await?
    .map_err(|_| refused(Fault::NoSuchUpload))?;
    let kind = media_type
        .attach_as
        .unwrap_or(media_types::AttachmentKind::Document);
    let filename = filename.map(|name| media_types::document_name(&name, media_type));
    Ok((
        Outbound::Attachment {
            kind,
            file: claimed,
            filename,
            caption,
        },
        Some((to, from)),
    ))
}

/// `GET /api/media/{media_id}`: a downloaded inbound media file, or a file attached to a
/// reply, streamed (a document may be 100 MB). Photos, audio and video show in the page;
/// anything else is a download, and nothing served here runs as part of the dashboard.
async fn media_file(
    State(state): State<AppState>,
    Path(media_id): Path<String>,
) -> Result<Response, ApiError> {
    let dir = state.store.dir().to_path_buf();
    let found = super::blocking(move || media::find(&dir, &media_id)).await?;
    let not_found = || ApiError::NotFound("There is no downloaded media with that id.".into());
    let path = found.ok_or_else(not_found)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| not_found())?;
    let size = file
        .metadata()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .len();
    let content_type = media::content_type(&path);
    let shown_inline = ["image/", "audio/", "video/"]
        .iter()
        .any(|kind| content_type.starts_with(kind));
    let disposition = if shown_inline { "inline" } else { "attachment" };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CONTENT_DISPOSITION, disposition.to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                format!("{}; sandbox", super::security::DEFAULT_CSP),
            ),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}

/// The longest search of the inbox (names, numbers and ids are far shorter).
const MAX_SEARCH_CHARS: usize = 200;

/// `GET /api/conversations` parameters.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct ListParams {
    /// Words the customer's name, phone number, username or id contain, or the text of one of
    /// the conversation's messages (accents and case do not matter).
    q: Option<String>,
    /// `all` (default), `unread`, `paused` or `opted_out`.
    #[serde(default)]
    filter: Filter,
    /// Only conversations whose contact has this label.
    label: Option<String>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
    /// How many (default 50, at most 200).
    limit: Option<usize>,
}

async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<ApiJson<ConversationPage>, ApiError> {
    if params
        .q
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(ApiError::BadRequest(format!(
            "A search has at most {MAX_SEARCH_CHARS} characters."
        )));
    }
    if params
        .label
        .as_ref()
        .is_some_and(|l| l.chars().count() > crate::bot::MAX_LABEL_CHARS)
    {
        return Err(ApiError::BadRequest(format!(
            "A label has at most {} characters.",
            crate::bot::MAX_LABEL_CHARS
        )));
    }
    let query = conversations::ListQuery {
        search: params.q,
        filter: params.filter,
        label: params.label.filter(|l| !l.trim().is_empty()),
        cursor: params.cursor,
        limit: params.limit.unwrap_or(50).clamp(1, 200),
    };
    let store = state.store.clone();
    let windowed = windowed(&state);
    let now = state.clock.now_ms();
    // A search reads the messages of the whole log: admitted like other heavy work.
    let listed = if query
        .search
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
    {
        super::heavy(&state.runtime, move || {
            conversations::list(&store, &query, now, windowed)
        })
        .await?
    } else {
        super::blocking(move || conversations::list(&store, &query, now, windowed)).await?
    };
    listed.map(ApiJson).map_err(ApiError::BadRequest)
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct HistoryQuery {
    /// How many records (default 50, at most 500).
    limit: Option<usize>,
    /// Records older than this cursor (from the `X-Next-Cursor` header).
    before: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let store = state.store.clone();
    let (records, next) = super::blocking(move || {
        conversations::history(&store, &conversation, query.before.as_deref(), limit)
    })
    .await?
    .map_err(ApiError::BadRequest)?;
    let mut response = ApiJson(records).into_response();
    if let Some(value) = next.and_then(|n| header::HeaderValue::from_str(&n).ok()) {
        response.headers_mut().insert("x-next-cursor", value);
    }
    Ok(response)
}

async fn reply(
    State(state): State<AppState>,
    Signed(by, _): Signed,
    Path(conversation): Path<String>,
    ApiJson(request): ApiJson<ReplyRequest>,
) -> Result<(StatusCode, ApiJson<Queued>), ApiError> {
    let store = state.store.clone();
    let key = conversation.clone();
    let contact = super::blocking(move || conversations::contact(&store, &key))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "There is no conversation '{conversation}' with a customer message."
            ))
        })?;
    let (message, claimed) = claim(&state, request.message).await?;
    let text = message.summary();
    let queued = state
        .outbox
        .enqueue(
            &conversation,
            contact,
            message,
            Origin::Agent {
                user: Some(by.name.clone()),
            },
        )
        .await;
    if let (Err(_), Some((claimed, upload))) = (&queued, claimed) {
        // Refused (a limit, the window): the upload is free for a corrected reply.
        let _ = super::blocking(move || std::fs::rename(claimed, upload)).await;
    }
    let outbox = queued.map_err(|error| match error {
        OutboxError::Limit(faults) => ApiError::Faulty {
            code: "limit",
            faults,
        },
        OutboxError::OutsideWindow => ApiError::Refused {
            code: "outside_window",
            message: error.to_string(),
        },
        OutboxError::NoRecipient => ApiError::Refused {
            code: "no_recipient",
            message: error.to_string(),
        },
        OutboxError::Storage(error) => ApiError::Storage(error.to_string()),
    })?;
    // A person answered: they read the conversation, and the bot leaves this contact alone
    // for the quiet time.
    if let Err(error) =
        conversations::mark_read(&state.store, &conversation, &by.name, state.clock.now_ms()).await
    {
        tracing::warn!(%error, "cannot log that the conversation was read");
    }
    state
        .bot
        .take_over(&conversation, Some(quiet_until(&state)));
    state.events.publish(ServerEvent::MessageQueued {
        conversation,
        outbox: outbox.clone(),
        text,
    });
    Ok((StatusCode::ACCEPTED, ApiJson(Queued { outbox })))
}
