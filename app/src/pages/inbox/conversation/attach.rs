//! What the composer adds to text: a photo or document attached (checked as WhatsApp would
//! before it leaves the browser, uploaded when the reply is sent, the box's text as its
//! caption), and emoji picked from a panel into the text where the cursor is.

use crate::api::{self, Failure, PickedFile};
use crate::components::icon::drawn;
use crate::components::toaster;
use crate::i18n::{use_i18n, Lang};
use cocolu_core::api::inbox::Uploaded;
use cocolu_core::fault::{Fault, Part};
use cocolu_core::media_types::{self, AttachmentKind};
use cocolu_core::outbound::limits::CAPTION_CHARS;
use leptos::prelude::*;
use serde_json::{json, Value};

crate::i18n::page_texts!(AttachSaid {
    Attach => ("Adjuntar una foto o un documento", "Attach a photo or a document"),
    Remove => ("Quitar el archivo", "Remove the file"),
    Photo => ("Foto", "Photo"),
    Document => ("Documento", "Document"),
    Uploading => ("Subiendo el archivo…", "Uploading the file…"),
    Emoji => ("Emoji", "Emoji"),
    EmojiPanel => ("Elige un emoji", "Pick an emoji"),
    CannotAttach => ("No se puede adjuntar este archivo", "This file cannot be attached"),
});

/// The composer's icons (drawn like the sidebar's).
const PAPER_CLIP: &str = "M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.9-8.9a3.7 3.7 0 0 1 5.2 5.2l-8.9 8.9a1.8 1.8 0 0 1-2.6-2.6l8.1-8.1";
const SMILE: &str =
    "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM8 14.5s1.5 2 4 2 4-2 4-2M9 9.5h.01M15 9.5h.01";

/// The emoji a shop uses most, in the order the panel shows them.
const EMOJI: [&str; 40] = [
    "😀", "😂", "😊", "😍", "🥰", "😉", "🤗", "🤔", "😅", "😢", "🙏", "👍", "👌", "👏", "🙌", "💪",
    "👋", "❤️", "💚", "🔥", "✨", "🎉", "🎁", "⭐", "✅", "❌", "⚠️", "⏰", "📅", "📍", "🚚", "📦",
    "🛒", "🛍️", "💳", "💵", "🧾", "📞", "📷", "📄",
];

/// A file picked and accepted, waiting for the reply to be sent.
#[derive(Clone, Debug, PartialEq)]
struct Picked {
    name: String,
    size: u64,
    kind: AttachmentKind,
    mime_type: &'static str,
    /// A photo's preview, while it is picked (an object URL of the file).
    preview: Option<String>,
}

/// Why a file was not sent.
pub(super) enum NotSent {
    /// Refused in the browser, before asking the server.
    Refused(Fault),
    /// Refused by the server, or it could not be reached.
    Failed(Failure),
}

/// The size as people read it: `820 KB`, `1,4 MB` (`1.4 MB`), in whole numbers (the
/// browser's code carries no float formatting for it).
fn size_words(bytes: u64, lang: Lang) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes < MB {
        return format!("{} KB", bytes.div_ceil(1024));
    }
    let tenths = (bytes * 10 + MB / 2) / MB;
    let point = match lang {
        Lang::Es => ',',
        Lang::En => '.',
    };
    format!("{}{point}{} MB", tenths / 10, tenths % 10)
}

/// The file attached to the reply being written, if any.
#[derive(Clone, Copy)]
pub(super) struct Attachment {
    picked: RwSignal<Option<Picked>>,
    file: StoredValue<Option<PickedFile>, LocalStorage>,
    /// The upload's answer, once stored: a reply refused after it (a caption too long) sends
    /// the same upload again instead of another copy.
    uploaded: StoredValue<Option<Uploaded>>,
    uploading: RwSignal<bool>,
}

impl Attachment {
    pub(super) fn new() -> Attachment {
        let attachment = Attachment {
            picked: RwSignal::new(None),
            file: StoredValue::new_local(None),
            uploaded: StoredValue::new(None),
            uploading: RwSignal::new(false),
        };
        // The preview's object URL goes with the composer.
        on_cleanup(move || attachment.clear());
        attachment
    }

    /// Whether a file is attached (tracked).
    pub(super) fn is_some(self) -> bool {
        self.picked.with(Option::is_some)
    }

    /// Whether a file is attached, now (untracked).
    pub(super) fn picked_untracked(self) -> bool {
        self.picked.with_untracked(Option::is_some)
    }

    /// Lets go of the file (also after the composer went: a reply may end after the person
    /// opened another conversation).
    pub(super) fn clear(self) {
        #[cfg(feature = "hydrate")]
        if let Some(url) = self
            .picked
            .try_get_untracked()
            .flatten()
            .and_then(|p| p.preview)
        {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
        self.picked.try_set(None);
        self.file.try_set_value(None);
        self.uploaded.try_set_value(None);
    }

    /// Uploads the file (once); the message that sends it, `caption` under it.
    pub(super) async fn upload(self, caption: &str) -> Result<Value, NotSent> {
        let chars = caption.chars().count();
        if chars > CAPTION_CHARS {
            return Err(NotSent::Refused(Fault::TooLong {
                what: Part::Caption,
                chars,
                max: CAPTION_CHARS,
            }));
        }
        let stored = match self.uploaded.try_get_value().flatten() {
            Some(stored) => stored,
            None => {
                let gone = || NotSent::Refused(Fault::NoSuchUpload);
                let picked = self.picked.try_get_untracked().flatten().ok_or_else(gone)?;
                let file = self
                    .file
                    .try_with_value(Clone::clone)
                    .flatten()
                    .ok_or_else(gone)?;
                self.uploading.try_set(true);
                let path = format!("/api/uploads?name={}", api::encode(&picked.name));
                let stored = api::upload::<Uploaded>(path, file, picked.mime_type).await;
                self.uploading.try_set(false);
                let stored = stored.map_err(NotSent::Failed)?;
                self.uploaded.try_set_value(Some(stored.clone()));
                stored
            }
        };
        let mut message = json!({
            "type": "attachment",
            "kind": stored.kind,
            "file": stored.file,
            "filename": stored.filename,
        });
        if !caption.trim().is_empty() {
            message["caption"] = json!(caption);
        }
        Ok(message)
    }

    /// Takes the file the person picked, when WhatsApp would carry it.
    #[cfg(feature = "hydrate")]
    fn pick(self, input: &web_sys::HtmlInputElement, toasts: crate::components::Toaster) {
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same file can be picked again after it was removed.
        input.set_value("");
        let name = media_types::shown_name(&file.name());
        let size = file.size() as u64;
        let accepted = media_types::attachable(&file.type_(), &name)
            .and_then(|media_type| media_types::check_size(media_type, size).map(|()| media_type));
        let media_type = match accepted {
            Ok(media_type) => media_type,
            Err(fault) => {
                toasts.refused(AttachSaid::CannotAttach, fault);
                return;
            }
        };
        let kind = media_type.attach_as.unwrap_or(AttachmentKind::Document);
        let preview = (kind == AttachmentKind::Image)
            .then(|| web_sys::Url::create_object_url_with_blob(&file).ok())
            .flatten();
        self.clear();
        self.file.set_value(Some(file));
        self.picked.set(Some(Picked {
            name,
            size,
            kind,
            mime_type: media_type.mime_type,
            preview,
        }));
    }

    /// The paper clip: a label for the hidden file input, so the system's picker opens
    /// without script.
    pub(super) fn button(self, sending: RwSignal<bool>) -> impl IntoView {
        let i18n = use_i18n();
        let toasts = toaster();
        let on_change = move |ev: leptos::ev::Event| {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                if let Some(input) = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                {
                    self.pick(&input, toasts);
                }
            }
            // Files are picked in the browser only.
            #[cfg(not(feature = "hydrate"))]
            let _ = toasts;
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        };
        view! {
            <input
                type="file"
                id="composer-file"
                class="visually-hidden"
                accept=media_types::accept_attribute()
                disabled=move || sending.get()
                on:change=on_change
            />
            <label
                for="composer-file"
                class="icon-button composer-tool"
                class:composer-tool--off=move || sending.get()
                title=i18n.t(AttachSaid::Attach)
                aria-label=i18n.t(AttachSaid::Attach)
            >
                {drawn(PAPER_CLIP)}
            </label>
        }
    }

    /// The picked file above the text box: a photo's preview or the document's name, its
    /// size, and a button to remove it.
    pub(super) fn chip(self) -> impl IntoView {
        let i18n = use_i18n();
        move || {
            self.picked.get().map(|picked| {
                let lang = i18n.0.get();
                let what = match picked.kind {
                    AttachmentKind::Image => i18n.t(AttachSaid::Photo)(),
                    AttachmentKind::Document => i18n.t(AttachSaid::Document)(),
                };
                let facts = format!("{what} · {}", size_words(picked.size, lang));
                view! {
                    <div class="composer-attached" id="composer-attached" data-kind=picked.kind.as_str()>
                        {match picked.preview.clone() {
                            Some(url) => view! { <img class="attached-preview" src=url alt="" /> }.into_any(),
                            None => view! { <span class="attached-icon" aria-hidden="true">"📄"</span> }.into_any(),
                        }}
                        <span class="attached-name">
                            <strong>{picked.name.clone()}</strong>
                            <span class="attached-facts">{facts}</span>
                        </span>
                        {move || self.uploading.get().then(|| view! {
                            <span class="attached-facts" role="status">{i18n.t(AttachSaid::Uploading)}</span>
                        })}
                        <button
                            type="button"
                            class="icon-button"
                            id="composer-attached-remove"
                            title=i18n.t(AttachSaid::Remove)
                            aria-label=i18n.t(AttachSaid::Remove)
                            disabled=move || self.uploading.get()
                            on:click=move |_| self.clear()
                        >
                            "✕"
                        </button>
                    </div>
                }
            })
        }
    }
}

/// Puts `emoji` into the text box where the cursor is (at the end when it has none).
fn insert_emoji(draft: RwSignal<String>, emoji: &'static str) {
    match crate::components::browser::insert_at_caret("composer-text", emoji) {
        Some(text) => draft.set(text),
        None => draft.update(|d| d.push_str(emoji)),
    }
}

/// The emoji button, and the panel it opens above the text box.
#[component]
pub(super) fn EmojiPicker(draft: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="icon-button composer-tool"
            id="emoji-toggle"
            title=i18n.t(AttachSaid::Emoji)
            aria-label=i18n.t(AttachSaid::Emoji)
            aria-expanded=move || if open.get() { "true" } else { "false" }
            aria-controls="emoji-panel"
            on:click=move |_| open.update(|o| *o = !*o)
        >
            {drawn(SMILE)}
        </button>
        <Show when=move || open.get()>
            <div
                class="emoji-panel card"
                id="emoji-panel"
                role="group"
                aria-label=i18n.t(AttachSaid::EmojiPanel)
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        open.set(false);
                    }
                }
            >
                {EMOJI.iter().map(|emoji| view! {
                    <button
                        type="button"
                        class="emoji"
                        // Keeps the focus (and a phone's keyboard) in the text box.
                        on:pointerdown=|ev| ev.prevent_default()
                        on:click=move |_| insert_emoji(draft, emoji)
                    >
                        {*emoji}
                    </button>
                }).collect_view()}
            </div>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size_words(1, Lang::Es), "1 KB");
        assert_eq!(size_words(820 * 1024, Lang::En), "820 KB");
        assert_eq!(size_words(1_468_006, Lang::Es), "1,4 MB");
        assert_eq!(size_words(1_468_006, Lang::En), "1.4 MB");
    }

    #[test]
    fn every_emoji_is_one_symbol() {
        for emoji in EMOJI {
            assert!(!emoji.is_empty() && emoji.chars().count() <= 2, "{emoji}");
        }
    }
}
