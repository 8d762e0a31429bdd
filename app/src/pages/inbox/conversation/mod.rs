//! The open conversation: its header with the takeover switch, the thread, the composer and
//! the contact panel.

use super::contact::ContactPanel;
use super::thread::{self, five_decimals, Author, Bubble, Media, Tick};
use crate::api::{self, encode};
use crate::components::{signed_in, toaster};
use crate::i18n::{use_i18n, I18n, Said, Text};
use crate::time;
use crate::whatsapp::Formatted;
use cocolu_core::api::channel::ApprovedTemplate;
use cocolu_core::api::documents::RuleName;
use cocolu_core::api::inbox::{ContactView, Summary, TakeoverState, WINDOW_MS};
use cocolu_core::contact::ContactRef;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Records of a conversation read per page.
const PAGE: usize = 100;
/// What opening a conversation reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Opened {
    state: ContactView,
    summary: Option<Summary>,
}

/// Live refreshes of the open conversation, asked for by the page's event handler.
#[derive(Clone, Copy)]
pub struct Refresh {
    messages: RwSignal<u32>,
    state: RwSignal<u32>,
    window_closed: RwSignal<bool>,
}

impl Refresh {
    pub fn new() -> Refresh {
        Refresh {
            messages: RwSignal::new(0),
            state: RwSignal::new(0),
            window_closed: RwSignal::new(false),
        }
    }

    /// Read the thread again.
    pub fn messages(self) {
        self.messages.update(|v| *v += 1);
    }

    /// Read the contact's state again.
    pub fn state(self) {
        self.state.update(|v| *v += 1);
    }

    /// A new message reopens a closed window: read the state again only then.
    pub fn state_if_window_closed(self) {
        if self.window_closed.get_untracked() {
            self.state();
        }
    }
}

fn conversation_path(id: &str, rest: &str) -> String {
    format!("/api/conversations/{}/{rest}", encode(id))
}

/// The open conversation.
#[component]
pub fn Conversation(
    id: String,
    summary: Signal<Option<Summary>>,
    refresh: Refresh,
    back: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let me = signed_in();
    // The contact's state and list entry as the conversation opens; rendered on the server.
    let opened: Resource<api::ApiResult<Opened>> = {
        let path = conversation_path(&id, "state");
        let entry = format!("/api/conversations/{}", encode(&id));
        Resource::new(
            || (),
            move |()| {
                let state = api::get_json::<ContactView>(&path);
                let summary = api::get_json::<Summary>(&entry);
                async move {
                    let state = state.await?;
                    // A conversation not stored yet has no entry; the header shows its id.
                    let summary = summary.await.ok();
                    Ok(Opened { state, summary })
                }
            },
        )
    };
    // Later versions of the state, read when events say it changed (the composer and panel
    // stay in place meanwhile).
    let live_state = RwSignal::new(None::<ContactView>);
    {
        let path = conversation_path(&id, "state");
        Effect::new(move |previous: Option<u32>| {
            let version = refresh.state.get();
            if previous.is_some() {
                let request = api::get_json::<ContactView>(&path);
                leptos::task::spawn_local(async move {
                    if let Ok(state) = request.await {
                        live_state.set(Some(state));
                    }
                });
            }
            version
        });
    }
    // Older pages, loaded with "earlier messages", and the cursor before them.
    let older = RwSignal::new(Older::default());
    // The thread's bubbles: the latest page with the older ones before it, each record read
    // as the log's `LogRecord` (in the browser, by a module loaded with the first thread).
    // Made inside the resource, so the thread is drawn from its answer alone, once.
    let shown: Resource<api::ApiResult<(Vec<Bubble>, Option<String>)>> = {
        let path = conversation_path(&id, &format!("messages?limit={PAGE}"));
        let id = id.clone();
        Resource::new(
            move || (refresh.messages.get(), older.with(|o| o.records.len())),
            move |_| {
                let request = api::get_paged::<Vec<Value>>(&path);
                let id = id.clone();
                async move {
                    let (latest, window) = request.await?;
                    let window_start = window.clone();
                    let Older {
                        records: earlier,
                        before,
                        joins_at,
                    } = older.get_untracked();
                    if earlier.is_empty() {
                        return Ok((thread::read(latest).await, window));
                    }
                    // Messages came since the earlier pages were read: the latest page starts
                    // later than where they end. The records between are read one by one
                    // (a few, as they come), so none is left out.
                    let mut between = Vec::new();
                    let mut at = window;
                    while at != joins_at && between.len() < GAP_LIMIT {
                        let Some(cursor) = at else { break };
                        let (mut record, next) = api::get_paged::<Vec<Value>>(&conversation_path(
                            &id,
                            &format!("messages?limit=1&before={}", encode(&cursor)),
                        ))
                        .await?;
                        between.append(&mut record);
                        at = next;
                    }
                    if at != joins_at {
                        // Too far apart: the latest page alone, with its own "earlier
                        // messages" (the earlier pages are read again from there).
                        older.set(Older::default());
                        return Ok((thread::read(latest).await, window_start));
                    }
                    between.reverse();
                    let mut all = earlier;
                    all.extend(between);
                    all.extend(latest);
                    Ok((thread::read(all).await, before))
                }
            },
        )
    };
    // Reading the conversation marks it read (on WhatsApp too).
    {
        let path = conversation_path(&id, "read");
        Effect::new(move |_| {
            shown.track();
            if summary.get().is_some_and(|s| s.unread) {
                let path = path.clone();
                leptos::task::spawn_local(async move {
                    let _ = api::send::<Value>("POST", path, None).await;
                });
            }
        });
    }

    // A new message at the bottom brings the thread down to it; earlier messages loaded on top
    // leave it where the person is reading.
    let thread_ref = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |shown_before: Option<Option<String>>| {
        let newest = shown.with(|page| {
            page.as_ref()
                .and_then(|page| page.as_ref().ok())
                .and_then(|(bubbles, _)| bubbles.last().map(|b| b.key.clone()))
        });
        if newest.is_some() && shown_before.as_ref() != Some(&newest) {
            if let Some(element) = thread_ref.get() {
                request_animation_frame(move || element.set_scroll_top(element.scroll_height()));
            }
        }
        newest
    });

    let id_for_body = id.clone();
    view! {
        <div class="conversation" data-conversation=id.clone()>
            <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                {move || {
                    let (id, back) = (id_for_body.clone(), back.clone());
                    Suspend::new(async move {
                        let Opened { state: initial, summary: entry } = match opened.await {
                            Ok(opened) => opened,
                            Err(error) => {
                                return view! {
                                    <p class="notice notice-error" role="alert">{i18n.t(Text::LoadFailed)} " (" {error} ")"</p>
                                }.into_any();
                            }
                        };
                        let current = Signal::derive(move || live_state.get().unwrap_or_else(|| initial.clone()));
                        let window_open = Signal::derive(move || current.get().window_open(time::now_ms()));
                        Effect::new(move |_| refresh.window_closed.set(!window_open.get()));
                        let offset = me.await.map(|m| m.utc_offset_minutes).unwrap_or(0);
                        let contact = entry.as_ref().and_then(|s| s.contact.clone());
                        let title = entry.as_ref().map_or_else(|| id.clone(), Summary::title);
                        let address = contact.as_ref().and_then(ContactRef::address);
                        // On a phone the contact panel takes the thread's place when asked for.
                        let contact_shown = RwSignal::new(false);
                        view! {
                            <header class="conversation-header">
                                <a class="back-link" href=back aria-label=i18n.t(ConversationSaid::BackToList)>"←"</a>
                                <div class="conversation-who">
                                    <h2 id="conversation-title">{title}</h2>
                                    <p class="conversation-address">{address}</p>
                                    <WindowState current window_open offset />
                                </div>
                                <button
                                    type="button"
                                    class="button contact-toggle"
                                    id="contact-toggle"
                                    aria-controls="contact-panel"
                                    aria-expanded=move || contact_shown.get().to_string()
                                    on:click=move |_| contact_shown.update(|shown| *shown = !*shown)
                                >
                                    {move || i18n.t(if contact_shown.get() { ConversationSaid::ShowThread } else { ConversationSaid::ShowContact })()}
                                </button>
                            </header>
                            <Takeover id=id.clone() current live_state offset />
                            <div class="conversation-body" class:conversation-body--contact=move || contact_shown.get()>
                                <div class="thread-column">
                                    <div class="thread" node_ref=thread_ref id="thread" aria-live="polite">
                                        <Thread shown older offset id=id.clone() />
                                    </div>
                                    <Composer id=id.clone() window_open sends_files=Signal::derive(move || current.get().sends_files) />
                                </div>
                                <ContactPanel id=id.clone() contact current live_state />
                            </div>
                        }.into_any()
                    })
                }}
            </Transition>
        </div>
    }
}

/// WhatsApp's 24-hour window: open until when, or closed (only an approved template goes).
/// Nothing for a channel without one.
#[component]
fn WindowState(
    current: Signal<ContactView>,
    window_open: Signal<bool>,
    offset: i32,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let view = current.get();
        if view.always_open {
            return None;
        }
        let open = window_open.get();
        let until = view.state.last_in_at.filter(|_| open).map(|at| {
            time::when(
                at + WINDOW_MS,
                time::now_ms(),
                offset,
                i18n.0.get_untracked(),
            )
        });
        Some(view! {
            <p class="window-state" id="window-state" data-open=open.to_string()>
                {match until {
                    Some(until) => view! { {i18n.t(ConversationSaid::WindowOpenUntil)} " " {until} }.into_any(),
                    None => i18n.t(ConversationSaid::WindowShut).into_any(),
                }}
            </p>
        })
    }
}

/// The takeover switch: "a person answers" pauses the bot for this contact.
#[component]
fn Takeover(
    id: String,
    current: Signal<ContactView>,
    live_state: RwSignal<Option<ContactView>>,
    offset: i32,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let busy = RwSignal::new(false);
    let paused = move || current.get().paused(time::now_ms());
    let path = conversation_path(&id, "takeover");
    let toggle = move |_| {
        let wanted = !paused();
        busy.set(true);
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::send::<TakeoverState>("POST", path, Some(json!({ "paused": wanted }))).await
            {
                Ok(answer) => {
                    let mut state = current.get_untracked();
                    state.state.paused_until = answer.paused_until;
                    live_state.set(Some(state));
                    toasts.ok(if wanted {
                        ConversationSaid::TakenOver
                    } else {
                        ConversationSaid::GivenBack
                    });
                }
                Err(failure) => toasts.failed(Text::SaveFailed, failure),
            }
            busy.set(false);
        });
    };
    let state_text = move || {
        let state = current.get();
        match state.state.paused_until.filter(|_| paused()) {
            Some(until) => format!(
                "{} {}",
                i18n.t(ConversationSaid::BotPausedUntil)(),
                time::when(until, time::now_ms(), offset, i18n.0.get_untracked())
            ),
            None => i18n.t(ConversationSaid::BotAnswers)().to_string(),
        }
    };
    view! {
        <div class="takeover" class:takeover--on=paused>
            <button
                type="button"
                role="switch"
                class="switch"
                id="takeover-switch"
                aria-checked=move || paused().to_string()
                aria-describedby="takeover-state"
                disabled=move || busy.get()
                on:click=toggle
            >
                <span class="switch-track" aria-hidden="true"><span class="switch-thumb"></span></span>
                <span>{i18n.t(ConversationSaid::PersonAnswers)}</span>
            </button>
            <span class="takeover-state" id="takeover-state">{state_text}</span>
        </div>
    }
}

/// The earlier pages of a thread, loaded with "earlier messages".
#[derive(Clone, Default)]
struct Older {
    /// Their records, oldest first.
    records: Vec<Value>,
    /// The cursor before them, for the next earlier page.
    before: Option<String>,
    /// Where the latest page began when they were read (they end just before it).
    joins_at: Option<String>,
}

/// How many records may have come between the earlier pages and the latest page before the
/// thread starts again from the latest page.
const GAP_LIMIT: usize = 100;

/// The bubbles, with "earlier messages" on top when there are more.
#[component]
fn Thread(
    shown: Resource<api::ApiResult<(Vec<Bubble>, Option<String>)>>,
    older: RwSignal<Older>,
    offset: i32,
    id: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let loading = RwSignal::new(false);
    // Which rule answered, as the rules page names it.
    let rule_names: Resource<api::ApiResult<Vec<RuleName>>> = Resource::new(
        || (),
        |()| api::get_json::<Vec<RuleName>>("/api/rules/names"),
    );
    view! {
        <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                    let names: HashMap<String, String> = rule_names
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .map(|rule| (rule.id, rule.name))
                        .collect();
                    let (list, cursor) = match shown.await {
                        Ok(page) => page,
                        Err(error) => {
                            return view! {
                                <p class="notice notice-error" role="alert">{i18n.t(Text::LoadFailed)} " (" {error} ")"</p>
                            }.into_any();
                        }
                    };
                    let now = time::now_ms();
                    let has_more = cursor.is_some();
                    let load_older = move |_| {
                        let Some(before) = cursor.clone() else { return };
                        loading.set(true);
                        let request = api::get_paged::<Vec<Value>>(&conversation_path(
                            &id,
                            &format!("messages?limit={PAGE}&before={}", encode(&before)),
                        ));
                        leptos::task::spawn_local(async move {
                            if let Ok((page, next)) = request.await {
                                older.update(|older| {
                                    if older.records.is_empty() {
                                        // Where the latest page began when the first earlier
                                        // page was read: later pages join there.
                                        older.joins_at = Some(before);
                                    }
                                    let mut merged = page;
                                    merged.append(&mut older.records);
                                    older.records = merged;
                                    older.before = next;
                                });
                            }
                            loading.set(false);
                        });
                    };
                    view! {
                        {has_more.then(|| view! {
                            <button type="button" class="button button-quiet older-button" on:click=load_older disabled=move || loading.get()>
                                {i18n.t(ConversationSaid::EarlierMessages)}
                            </button>
                        })}
                        {list.is_empty().then(|| view! { <p class="loading">{i18n.t(ConversationSaid::NoMessages)}</p> })}
                        {list.into_iter().map(|b| bubble_view(b, now, offset, &names, i18n)).collect_view()}
                    }.into_any()
                })
            }}
        </Transition>
    }
}

fn author_line(author: &Author, names: &HashMap<String, String>, i18n: I18n) -> Option<String> {
    let lang = i18n.0.get_untracked();
    match author {
        Author::Customer => None,
        Author::Bot(Some(rule)) => Some(format!(
            "{} · {}",
            ConversationSaid::AuthorBot.get(lang),
            names.get(rule).unwrap_or(rule)
        )),
        Author::Bot(None) => Some(ConversationSaid::AuthorBot.get(lang).to_string()),
        Author::Person(user) => Some(match user {
            Some(user) => crate::i18n::sender(user, lang),
            None => ConversationSaid::AuthorPerson.get(lang).to_string(),
        }),
    }
}

fn tick_view(tick: Tick, i18n: I18n) -> impl IntoView {
    let (mark, label) = match &tick {
        Tick::Queued => ("○", ConversationSaid::TickQueued),
        Tick::Sent => ("✓", ConversationSaid::TickSent),
        Tick::Delivered => ("✓✓", ConversationSaid::TickDelivered),
        Tick::Read => ("✓✓", ConversationSaid::TickRead),
        Tick::Failed(..) => ("!", ConversationSaid::TickFailed),
    };
    let reason = match &tick {
        Tick::Failed(code, text) if code.is_some() || !text.is_empty() => {
            Some(crate::i18n::meta_error(*code, text, i18n.0.get_untracked()))
        }
        _ => None,
    };
    view! {
        <span class="tick" data-tick=tick.name() title=i18n.t(label)>
            <span aria-hidden="true">{mark}</span>
            <span class="visually-hidden">{i18n.t(label)}</span>
        </span>
        {reason.map(|r| view! { <span class="tick-reason">{i18n.t(ConversationSaid::TickFailed)} ": " {r}</span> })}
    }
}

fn media_view(bubble: &Bubble, i18n: I18n) -> impl IntoView {
    let media = bubble.media.clone()?;
    let kind = bubble.kind.clone();
    let name = bubble.file_name.clone();
    let alt = i18n.t(if bubble.author == Author::Customer {
        ConversationSaid::ImageAlt
    } else {
        ConversationSaid::ImageSentAlt
    });
    Some(match media {
        Media::Pending => {
            view! { <p class="media-note">{i18n.t(ConversationSaid::MediaPending)}</p> }.into_any()
        }
        Media::Failed(reason) => view! {
            <p class="media-note media-failed" title=reason>{i18n.t(ConversationSaid::MediaFailed)}</p>
        }
        .into_any(),
        Media::Stored { url, mime_type } => match kind.as_str() {
            "image" | "sticker" => {
                let link = url.clone();
                view! {
                    <a href=link target="_blank" rel="noopener">
                        <img class="media-image" src=url alt=alt loading="lazy" />
                    </a>
                }
                .into_any()
            }
            "audio" => {
                view! { <audio class="media-audio" controls preload="none" src=url></audio> }
                    .into_any()
            }
            "video" => {
                view! { <video class="media-video" controls preload="metadata" src=url></video> }
                    .into_any()
            }
            _ => {
                let download = name.clone().unwrap_or_default();
                let shown = name.unwrap_or(mime_type);
                view! {
                    <a class="media-document" href=url download=download>
                        "📄 " {shown}
                    </a>
                }
                .into_any()
            }
        },
    })
}

fn bubble_view(
    bubble: Bubble,
    now: i64,
    offset: i32,
    rule_names: &HashMap<String, String>,
    i18n: I18n,
) -> impl IntoView {
    let side = match bubble.author {
        Author::Customer => "customer",
        Author::Bot(_) => "bot",
        Author::Person(_) => "person",
    };
    let author = author_line(&bubble.author, rule_names, i18n);
    let media = media_view(&bubble, i18n);
    let document_name = (bubble.kind == "document" && bubble.media.is_none())
        .then(|| bubble.file_name.clone())
        .flatten();
    let location = bubble.location.clone().map(|place| {
        let (lat, lon) = (
            five_decimals(place.latitude),
            five_decimals(place.longitude),
        );
        let href =
            format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}");
        view! {
            <a class="location" href=href target="_blank" rel="noopener noreferrer">
                "📍 "
                {place.name.clone().unwrap_or_else(|| format!("{lat}, {lon}"))}
                {place.address.clone().map(|a| view! { <span class="location-address">{a}</span> })}
            </a>
        }
    });
    let reaction = bubble.kind == "reaction";
    let text = bubble.text.clone();
    let unknown = text.is_none()
        && bubble.media.is_none()
        && bubble.location.is_none()
        && document_name.is_none();
    view! {
        <article class="bubble" data-author=side data-kind=bubble.kind.clone() data-key=bubble.key.clone()>
            {author.map(|a| view! { <p class="bubble-author" title=a.clone()>{a.clone()}</p> })}
            {media}
            {document_name.map(|n| view! { <p class="media-document">"📄 " {n}</p> })}
            {location}
            {if reaction {
                view! { <p class="reaction">{i18n.t(ConversationSaid::Reacted)} " " {text.clone()}</p> }.into_any()
            } else {
                text.clone().map(|t| view! { <p class="bubble-text"><Formatted text=t /></p> }).into_any()
            }}
            {unknown.then(|| view! { <p class="media-note">"[" {bubble.kind.clone()} "]"</p> })}
            {(!bubble.choices.is_empty()).then(|| view! {
                <ul class="bubble-choices">
                    {bubble.choices.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}
                </ul>
            })}
            <footer class="bubble-meta">
                <time>{time::when(bubble.at, now, offset, i18n.0.get_untracked())}</time>
                {bubble.tick.map(|t| tick_view(t, i18n))}
            </footer>
        </article>
    }
}

mod attach;
mod composer;
use composer::Composer;

crate::i18n::page_texts!(ConversationSaid {
    BackToList => ("Volver a la lista", "Back to the list"),
    BotPausedUntil => ("Bot en pausa hasta", "Bot paused until"),
    BotAnswers => ("El bot responde", "The bot answers"),
    PersonAnswers => ("Atiende una persona", "A person answers"),
    EarlierMessages => ("Mensajes anteriores", "Earlier messages"),
    NoMessages => ("Todavía no hay mensajes.", "No messages yet."),
    MediaPending => ("Descargando el archivo…", "Downloading the file…"),
    MediaFailed => ("No se pudo descargar el archivo", "The file could not be downloaded"),
    ImageAlt => ("Imagen enviada por el cliente", "Image sent by the customer"),
    ImageSentAlt => ("Foto enviada al cliente", "Photo sent to the customer"),
    Reacted => ("Reaccionó con", "Reacted with"),
    WindowOpenUntil => ("Puedes escribirle hasta", "You can write to them until"),
    // Short: the composer below says what it means and offers the templates.
    WindowShut => ("Ventana de 24 horas cerrada", "24-hour window closed"),
    ShowContact => ("Contacto", "Contact"),
    ShowThread => ("Mensajes", "Messages"),
    TakenOver => ("Atiendes tú: el bot está en pausa para este cliente.", "You are answering: the bot is paused for this customer."),
    GivenBack => ("El bot vuelve a responder a este cliente.", "The bot answers this customer again."),
    AuthorBot => ("Bot", "Bot"),
    AuthorPerson => ("Persona", "Person"),
    TickQueued => ("En cola", "Queued"),
    TickSent => ("Enviado", "Sent"),
    TickDelivered => ("Entregado", "Delivered"),
    TickRead => ("Leído", "Read"),
    TickFailed => ("No enviado", "Not sent"),
});
