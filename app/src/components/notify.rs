//! Telling a person something happened while they look elsewhere: the unread count in the
//! tab's title, and, when they turn it on in this browser, a notification and a short sound
//! for a customer's message or a conversation waiting for a person.

use super::{Icon, IconName};
#[cfg(feature = "hydrate")]
use crate::i18n::Lang;
use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;

/// What to announce.
#[cfg(feature = "hydrate")]
#[derive(Clone, Debug)]
enum News {
    /// A customer wrote.
    Message {
        conversation: String,
        text: Option<String>,
        kind: String,
    },
    /// The bot handed a conversation to a person.
    NeedsPerson { conversation: String },
}

#[cfg(feature = "hydrate")]
impl News {
    fn conversation(&self) -> &str {
        match self {
            News::Message { conversation, .. } | News::NeedsPerson { conversation } => conversation,
        }
    }
}

/// Follows the events for the whole signed-in session: the unread count (read again once per
/// burst of events) and the alerts. A module of its own, loaded after the page shows.
#[cfg(feature = "hydrate")]
#[leptos::lazy]
pub async fn watch(
    unread: RwSignal<usize>,
    username: Signal<Option<String>>,
    i18n: crate::i18n::I18n,
) {
    use cocolu_core::api::activity::Unread;
    use cocolu_core::events::ServerEvent;
    let count_again =
        crate::live::once_per_burst(std::time::Duration::from_millis(300), move || {
            let request = crate::api::get_json::<Unread>("/api/unread");
            leptos::task::spawn_local(async move {
                if let Ok(count) = request.await {
                    unread.try_set(count.conversations);
                }
            });
        });
    count_again();
    crate::live::on_events(move |event| {
        let lang = i18n.0.get_untracked();
        let name = username.get_untracked().unwrap_or_default();
        match event {
            ServerEvent::MessageReceived {
                conversation,
                text,
                kind,
                ..
            } => {
                count_again();
                announce(
                    News::Message {
                        conversation,
                        text,
                        kind,
                    },
                    &name,
                    lang,
                );
            }
            ServerEvent::NeedsPerson { conversation, .. } => {
                announce(News::NeedsPerson { conversation }, &name, lang);
            }
            ServerEvent::ConversationUpdated { .. } => count_again(),
            _ => {}
        }
    });
}

/// The page title with the unread count in front, as browsers show it in the tab.
pub fn with_count(count: usize, title: String) -> String {
    if count == 0 {
        title
    } else {
        format!("({count}) {title}")
    }
}

/// The local-storage key of this person's choice (notifications are per person, and per
/// browser, since the permission is the browser's).
fn key(username: &str) -> String {
    format!("cocolu_notify:{username}")
}

/// Whether `username` turned notifications on in this browser and the browser allows them.
pub fn enabled(username: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let stored = web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(&key(username)).ok().flatten());
        stored.as_deref() == Some("on")
            && web_sys::Notification::permission() == web_sys::NotificationPermission::Granted
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key(username);
        false
    }
}

/// Announces `news` when this person wants it and is not already looking at it.
#[cfg(feature = "hydrate")]
fn announce(news: News, username: &str, lang: Lang) {
    {
        if !enabled(username) {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let hidden = window.document().is_some_and(|d| d.hidden());
        let here = window
            .location()
            .search()
            .ok()
            .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
            .and_then(|q| q.get("c"))
            .is_some_and(|open| open == news.conversation());
        if hidden || !here {
            leptos::task::spawn_local(show(news, lang));
        }
    }
}

/// Shows the notification and plays the sound (a module of its own, loaded the first time).
#[cfg(feature = "hydrate")]
#[leptos::lazy]
async fn show(news: News, lang: Lang) {
    use cocolu_core::api::inbox::Summary;
    let path = format!(
        "/api/conversations/{}",
        crate::api::encode(news.conversation())
    );
    let who = crate::api::get_json::<Summary>(&path)
        .await
        .map(|s| s.title())
        .unwrap_or_else(|_| news.conversation().to_string());
    let (title, body) = match &news {
        News::Message { text, kind, .. } => (
            who,
            text.clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("[{kind}]")),
        ),
        News::NeedsPerson { .. } => (who, Text::NotifyNeedsPerson.get(lang).to_string()),
    };
    let options = web_sys::NotificationOptions::new();
    options.set_body(&body);
    options.set_tag(news.conversation());
    if let Ok(notification) = web_sys::Notification::new_with_options(&title, &options) {
        let href = format!("/inbox?c={}", crate::api::encode(news.conversation()));
        let open = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
            if let Some(window) = web_sys::window() {
                let _ = window.focus();
                let _ = window.location().set_href(&href);
            }
        });
        notification.set_onclick(Some(wasm_bindgen::JsCast::unchecked_ref(
            &open.into_js_value(),
        )));
    }
    chime();
}

/// Two short soft tones.
#[cfg(feature = "hydrate")]
fn chime() {
    let Ok(audio) = web_sys::AudioContext::new() else {
        return;
    };
    let now = audio.current_time();
    for (i, frequency) in [880.0_f32, 1320.0].into_iter().enumerate() {
        let (Ok(tone), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else {
            return;
        };
        let start = now + i as f64 * 0.15;
        tone.frequency().set_value(frequency);
        let volume = gain.gain();
        let _ = volume.set_value_at_time(0.0, start);
        let _ = volume.linear_ramp_to_value_at_time(0.15, start + 0.02);
        let _ = volume.linear_ramp_to_value_at_time(0.0, start + 0.14);
        let _ = tone.connect_with_audio_node(&gain);
        let _ = gain.connect_with_audio_node(&audio.destination());
        let _ = tone.start_with_when(start);
        let _ = tone.stop_with_when(start + 0.15);
    }
    // A browser allows few audio contexts at a time: this one goes once the sound is over.
    set_timeout(
        move || {
            let _ = audio.close();
        },
        std::time::Duration::from_millis(600),
    );
}

/// The switch that turns notifications on or off for this person in this browser.
#[component]
pub fn NotifySwitch(username: Signal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    let on = RwSignal::new(false);
    let blocked = RwSignal::new(false);
    // Read after hydration: the server cannot know this browser's choice.
    Effect::new(move |_| {
        if let Some(name) = username.get() {
            on.set(enabled(&name));
        }
    });
    let toggle = move |_| {
        let Some(name) = username.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        {
            let store = move |value: Option<&str>| {
                if let Some(storage) =
                    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
                {
                    let _ = match value {
                        Some(value) => storage.set_item(&key(&name), value),
                        None => storage.remove_item(&key(&name)),
                    };
                }
            };
            if on.get_untracked() {
                store(None);
                on.set(false);
                return;
            }
            let Ok(asked) = web_sys::Notification::request_permission() else {
                blocked.set(true);
                return;
            };
            leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(asked).await;
                let granted =
                    web_sys::Notification::permission() == web_sys::NotificationPermission::Granted;
                blocked.set(!granted);
                if granted {
                    store(Some("on"));
                    on.set(true);
                    chime();
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (name, blocked);
    };
    let label = move || {
        let text = if on.get() {
            Text::NotifyOn
        } else {
            Text::NotifyOff
        };
        text.get(i18n.0.get())
    };
    view! {
        <button
            type="button"
            class="nav-button notify-switch"
            id="notify-switch"
            aria-pressed=move || on.get().to_string()
            title=label
            on:click=toggle
        >
            <Icon name=IconName::Bell />
            <span class="nav-label">{label}</span>
        </button>
        {move || blocked.get().then(|| view! {
            <p class="nav-label notify-blocked" id="notify-blocked" role="status">{i18n.t(Text::NotifyBlocked)}</p>
        })}
    }
}
