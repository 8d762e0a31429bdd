//! Bandeja: the conversations (search, filters, last message and time), the open thread with
//! every message type and delivery ticks, manual replies (an approved template outside the
//! 24-hour window), the takeover switch and the contact panel. The open conversation is in
//! the address (`/inbox?c=ID`), so a link or a reload opens it again; everything follows
//! `/ws` live.

mod contact;
mod conversation;
pub mod thread;

use crate::api::{self, encode};
use crate::components::{signed_in, ConnectionLost, PageHeader};
use crate::i18n::{use_i18n, Text};
use crate::live;
use crate::time;
use crate::whatsapp::Formatted;
use cocolu_core::api::inbox::{ConversationPage, Direction, Summary};
use cocolu_core::events::ServerEvent;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

crate::i18n::page_texts!(InboxSaid {
    FilterLabel => ("Mostrar", "Show"),
    ConversationsTitle => ("Conversaciones", "Conversations"),
    SearchLabel => ("Buscar conversaciones", "Search conversations"),
    SearchPlaceholder => ("Nombre, teléfono o texto", "Name, phone or text"),
    Search => ("Buscar", "Search"),
    ThreadLabel => ("Conversación abierta", "Open conversation"),
    PickConversation => ("Elige una conversación para leerla y responder.", "Pick a conversation to read it and reply."),
    Unread => ("Sin leer", "Unread"),
    BadgePerson => ("Persona", "Person"),
    BadgeOptedOut => ("Baja", "Opted out"),
    FilterLabelPrefix => ("Etiqueta:", "Label:"),
    Photo => ("📷 Foto", "📷 Photo"),
    Audio => ("🎤 Audio", "🎤 Audio"),
    Video => ("🎥 Vídeo", "🎥 Video"),
    Document => ("📄 Documento", "📄 Document"),
    Sticker => ("Sticker", "Sticker"),
    Place => ("📍 Ubicación", "📍 Location"),
    Contact => ("👤 Contacto", "👤 Contact"),
    InboxIntro => (
        "Las conversaciones con tus clientes.",
        "Your conversations with customers.",
            ),
    InboxEmpty => (
        "Todavía no hay conversaciones. Cuando un cliente escriba a tu número de WhatsApp, aparecerá aquí al momento.",
        "No conversations yet. When a customer writes to your WhatsApp number, it shows here at once.",
    ),
    FilterAll => ("Todas", "All"),
    FilterUnread => ("Sin leer", "Unread"),
    FilterPaused => ("Necesitan una persona", "Need a person"),
    FilterOptedOut => ("Dados de baja", "Opted out"),
    NoMatches => ("Ninguna conversación coincide con la búsqueda o el filtro.", "No conversation matches the search or filter."),
});

/// A message without text (`[image]`) as the list says it: `📷 Foto`.
fn without_text(text: &str) -> Option<InboxSaid> {
    Some(match text {
        "[image]" => InboxSaid::Photo,
        "[audio]" => InboxSaid::Audio,
        "[video]" => InboxSaid::Video,
        "[document]" => InboxSaid::Document,
        "[sticker]" => InboxSaid::Sticker,
        "[location]" => InboxSaid::Place,
        "[contacts]" => InboxSaid::Contact,
        _ => return None,
    })
}

/// The list filters, with their labels.
const FILTERS: [(&str, InboxSaid); 4] = [
    ("all", InboxSaid::FilterAll),
    ("unread", InboxSaid::FilterUnread),
    ("paused", InboxSaid::FilterPaused),
    ("opted_out", InboxSaid::FilterOptedOut),
];

/// A label chosen in the filter is written `label:NAME` in the address.
const LABEL_FILTER: &str = "label:";

fn list_path(q: &str, filter: &str, cursor: Option<&str>) -> String {
    let mut path = match filter.strip_prefix(LABEL_FILTER) {
        Some(label) => format!("/api/conversations?label={}", encode(label)),
        None => format!("/api/conversations?filter={}", encode(filter)),
    };
    if !q.trim().is_empty() {
        path.push_str(&format!("&q={}", encode(q.trim())));
    }
    if let Some(cursor) = cursor {
        path.push_str(&format!("&cursor={}", encode(cursor)));
    }
    path
}

/// The address of the inbox with `conversation` open, keeping the search and filter.
fn inbox_href(conversation: Option<&str>, q: &str, filter: &str) -> String {
    let mut params = Vec::new();
    if let Some(c) = conversation {
        params.push(format!("c={}", encode(c)));
    }
    if !q.is_empty() {
        params.push(format!("q={}", encode(q)));
    }
    if filter != "all" {
        params.push(format!("filter={}", encode(filter)));
    }
    if params.is_empty() {
        "/inbox".into()
    } else {
        format!("/inbox?{}", params.join("&"))
    }
}

/// One of six colours for a label, the same wherever it shows.
pub fn label_colour(label: &str) -> u32 {
    label.bytes().fold(7u32, |hash, b| {
        hash.wrapping_mul(31).wrapping_add(u32::from(b))
    }) % 6
}

/// The inbox page.
#[component]
pub fn Inbox() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("c").filter(|c| !c.is_empty()));
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let filter = Memo::new(move |_| {
        query
            .read()
            .get("filter")
            .filter(|f| {
                FILTERS.iter().any(|(name, _)| name == f)
                    || f.strip_prefix(LABEL_FILTER).is_some_and(|l| !l.is_empty())
            })
            .unwrap_or_else(|| "all".into())
    });
    let list = Resource::new(
        move || (q.get(), filter.get()),
        |(q, filter)| api::get_json::<ConversationPage>(&list_path(&q, &filter, None)),
    );
    let listed_labels = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        let labels = list
            .get()
            .and_then(Result::ok)
            .map(|page| {
                page.conversations
                    .iter()
                    .flat_map(|c| c.labels.clone())
                    .collect()
            })
            .unwrap_or_default();
        listed_labels.set(labels);
    });
    // Further pages of the list, loaded with "more".
    let more = RwSignal::new(ConversationPage::default());
    Effect::new(move |_| {
        let _ = (q.get(), filter.get());
        more.set(ConversationPage::default());
    });
    let refresh = conversation::Refresh::new();
    let connected = live::on_events(move |event| {
        let open = selected.get_untracked();
        let here = |c: &String| open.as_ref() == Some(c);
        match &event {
            ServerEvent::MessageReceived { conversation, .. } => {
                list.refetch();
                if here(conversation) {
                    refresh.messages();
                    refresh.state_if_window_closed();
                }
            }
            ServerEvent::MessageQueued { conversation, .. }
            | ServerEvent::MessageSent { conversation, .. }
            | ServerEvent::MessageFailed { conversation, .. } => {
                list.refetch();
                if here(conversation) {
                    refresh.messages();
                }
            }
            ServerEvent::ConversationUpdated { conversation }
            | ServerEvent::TakeoverChanged { conversation, .. } => {
                list.refetch();
                if here(conversation) {
                    refresh.state();
                }
            }
            ServerEvent::MessageStatus { .. } if open.is_some() => refresh.messages(),
            _ => {}
        }
    });
    let me = signed_in();
    let navigate = use_navigate();
    // Without the bundle the form is an ordinary GET to /inbox; with it, the same address is
    // reached by the router without a reload.
    let search_box = NodeRef::<leptos::html::Input>::new();
    let search = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let typed = search_box
                .get()
                .map(|input| input.value())
                .unwrap_or_default();
            navigate(
                &inbox_href(None, &typed, &filter.get_untracked()),
                Default::default(),
            );
        }
    };

    view! {
        <PageHeader title=Text::NavInbox intro=InboxSaid::InboxIntro />
        <ConnectionLost connected />
        <div class="inbox" class:inbox--open=move || selected.get().is_some()>
            <section class="inbox-list card" aria-labelledby="conversations-title">
                <h2 id="conversations-title" class="visually-hidden">
                    {i18n.t(InboxSaid::ConversationsTitle)}
                </h2>
                <form class="inbox-search" method="GET" action="/inbox" role="search" on:submit=search>
                    <label class="visually-hidden" for="inbox-q">{i18n.t(InboxSaid::SearchLabel)}</label>
                    <input
                        id="inbox-q"
                        node_ref=search_box
                        name="q"
                        type="search"
                        prop:value=move || q.get()
                        placeholder=i18n.t(InboxSaid::SearchPlaceholder)
                    />
                    <label class="visually-hidden" for="inbox-filter">{i18n.t(InboxSaid::FilterLabel)}</label>
                    <select
                        id="inbox-filter"
                        name="filter"
                        on:change=move |ev| {
                            let href = inbox_href(selected.get_untracked().as_deref(), &q.get_untracked(), &event_target_value(&ev));
                            navigate(&href, Default::default());
                        }
                    >
                        {FILTERS
                            .iter()
                            .map(|(name, label)| {
                                view! {
                                    <option value=*name selected=move || filter.get() == *name>
                                        {i18n.t(*label)}
                                    </option>
                                }
                            })
                            .collect_view()}
                        // The labels of the conversations listed, and the one chosen (known once
                        // the page is live, so the server's page and the browser's agree).
                        {move || {
                            let mut labels = listed_labels.get();
                            if let Some(chosen) = filter.get().strip_prefix(LABEL_FILTER) {
                                labels.push(chosen.to_string());
                            }
                            labels.sort();
                            labels.dedup();
                            labels.into_iter().map(|label| {
                                let value = format!("{LABEL_FILTER}{label}");
                                let current = value.clone();
                                view! {
                                    <option value=value selected=move || filter.get() == current>
                                        {i18n.t(InboxSaid::FilterLabelPrefix)} " " {label}
                                    </option>
                                }
                            }).collect_view()
                        }}
                    </select>
                    <button type="submit" class="button">{i18n.t(InboxSaid::Search)}</button>
                </form>
                <Transition fallback=move || view! { <p class="loading">{i18n.t(Text::Loading)}</p> }>
                    {move || Suspend::new(async move {
                        let page = list.await;
                        let offset = me.await.map(|m| m.utc_offset_minutes).unwrap_or(0);
                        match page {
                            Err(error) => view! {
                                <p class="notice notice-error" role="alert">{i18n.t(Text::LoadFailed)} " (" {error} ")"</p>
                            }.into_any(),
                            Ok(first) => {
                                let cursor = first.next_cursor.clone();
                                view! {
                                    <ConversationList first=first.conversations more offset selected q filter />
                                    <MoreButton cursor more q filter />
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
            <section class="inbox-thread card" aria-label=i18n.t(InboxSaid::ThreadLabel)>
                {move || match selected.get() {
                    None => view! {
                        <p class="empty-thread">{i18n.t(InboxSaid::PickConversation)}</p>
                    }.into_any(),
                    Some(id) => {
                        let summary = Signal::derive(move || {
                            let id = selected.get()?;
                            list.get()?.ok()?.conversations.into_iter()
                                .chain(more.get().conversations)
                                .find(|s| s.conversation == id)
                        });
                        let back = inbox_href(None, &q.get_untracked(), &filter.get_untracked());
                        view! {
                            <conversation::Conversation id summary refresh back />
                        }.into_any()
                    }
                }}
            </section>
        </div>
    }
}

/// The conversations, newest first, as links that open them.
#[component]
fn ConversationList(
    first: Vec<Summary>,
    more: RwSignal<ConversationPage>,
    offset: i32,
    selected: Memo<Option<String>>,
    q: Memo<String>,
    filter: Memo<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    if first.is_empty() {
        let text = if q.get_untracked().is_empty() && filter.get_untracked() == "all" {
            InboxSaid::InboxEmpty
        } else {
            InboxSaid::NoMatches
        };
        return view! { <p class="empty-state" id="no-conversations">{i18n.t(text)}</p> }
            .into_any();
    }
    let now = time::now_ms();
    let row = move |summary: Summary| {
        let id = summary.conversation.clone();
        let href = inbox_href(Some(&id), &q.get_untracked(), &filter.get_untracked());
        let current = {
            let id = id.clone();
            move || selected.get().as_deref() == Some(id.as_str())
        };
        let last = summary.last_message.clone();
        // A search that matched a message shows that message; otherwise, the newest one.
        let preview = match &summary.found {
            Some(found) => Some(format!("🔎 {}", found.chars().take(90).collect::<String>())),
            None => last.as_ref().map(|m| {
                let mine = m.direction == Direction::Out;
                let text = match without_text(&m.text) {
                    Some(said) => i18n.t(said)().to_string(),
                    None => m.text.chars().take(90).collect::<String>(),
                };
                format!("{}{text}", if mine { "↩ " } else { "" })
            }),
        };
        let at = time::when(summary.last_at, now, offset, i18n.0.get_untracked());
        view! {
            <li>
                <a
                    href=href
                    class="conversation-row"
                    class:conversation-row--current=current.clone()
                    aria-current=move || current().then_some("true")
                    data-conversation=id.clone()
                >
                    <span class="conversation-top">
                        <span class="conversation-name">{summary.title()}</span>
                        <time class="conversation-time">{at}</time>
                    </span>
                    <span class="conversation-bottom">
                        <span class="conversation-preview">{preview.map(|text| view! { <Formatted text /> })}</span>
                        {summary.unread.then(|| view! {
                            <span class="badge badge-unread" title=i18n.t(InboxSaid::Unread)>
                                <span class="visually-hidden">{i18n.t(InboxSaid::Unread)}</span>
                            </span>
                        })}
                        {summary.paused_until.is_some().then(|| view! {
                            <span class="badge badge-paused">{i18n.t(InboxSaid::BadgePerson)}</span>
                        })}
                        {summary.opted_out.then(|| view! {
                            <span class="badge badge-muted">{i18n.t(InboxSaid::BadgeOptedOut)}</span>
                        })}
                    </span>
                    {(!summary.labels.is_empty()).then(|| view! {
                        <span class="conversation-labels">
                            {summary.labels.iter().take(3).map(|label| view! {
                                <span class=format!("label-tag label-c{}", label_colour(label))>{label.clone()}</span>
                            }).collect_view()}
                            {(summary.labels.len() > 3).then(|| view! {
                                <span class="label-tag">"+" {summary.labels.len() - 3}</span>
                            })}
                        </span>
                    })}
                </a>
            </li>
        }
    };
    view! {
        <ul class="conversation-list" id="conversations">
            {first.into_iter().map(row).collect_view()}
            {move || more.get().conversations.into_iter().map(row).collect_view()}
        </ul>
    }
    .into_any()
}

/// Loads the next page of the list.
#[component]
fn MoreButton(
    cursor: Option<String>,
    more: RwSignal<ConversationPage>,
    q: Memo<String>,
    filter: Memo<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let loading = RwSignal::new(false);
    // The first page's cursor until a further page is loaded, then that page's.
    let cursor = Memo::new(move |_| {
        let page = more.get();
        if page.conversations.is_empty() {
            cursor.clone()
        } else {
            page.next_cursor
        }
    });
    let has_more = move || cursor.get().is_some();
    let load = move |_| {
        let Some(after) = cursor.get_untracked() else {
            return;
        };
        loading.set(true);
        let request = api::get_json::<ConversationPage>(&list_path(
            &q.get_untracked(),
            &filter.get_untracked(),
            Some(&after),
        ));
        leptos::task::spawn_local(async move {
            if let Ok(page) = request.await {
                more.update(|m| {
                    m.conversations.extend(page.conversations);
                    m.next_cursor = page.next_cursor;
                });
            }
            loading.set(false);
        });
    };
    view! {
        {move || has_more().then(|| view! {
            <button type="button" class="button button-quiet more-button" on:click=load disabled=move || loading.get()>
                {i18n.t(Text::LoadMore)}
            </button>
        })}
    }
}
