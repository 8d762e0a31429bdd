//! The few things the dashboard reads from or writes to the browser itself. On the server
//! these are no-ops, so components can call them unconditionally.

use crate::i18n::{Lang, LANG_COOKIE};

/// The language remembered in the browser's cookie (Spanish when none).
pub fn stored_lang() -> Lang {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let cookie = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .unwrap_or_default();
        Lang::from_cookie_header(&cookie)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Lang::default()
    }
}

/// Remembers the language for a year, for this whole site.
pub fn store_lang(lang: Lang) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                lang.code()
            );
            // A refused cookie only means the choice is not remembered.
            let _ = doc.set_cookie(&cookie);
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", lang.code());
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (lang, LANG_COOKIE);
    }
}

/// Asks the person to confirm something that cannot be undone (always yes on the server,
/// where nothing is ever asked).
pub fn confirm(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        true
    }
}

/// Asks the person for a line of text in the browser's own dialog; `None` when they cancel
/// (and always on the server, where nothing is ever asked).
pub fn ask(question: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.prompt_with_message(question).ok())
            .flatten()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        None
    }
}

/// Puts `text` on the clipboard; `false` when the browser refused.
pub async fn copy(text: String) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// Moves the keyboard's focus to the element with `id`, when there is one.
pub fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Scrolls to the element with `id` once it is drawn, when the page is one column (a phone,
/// where an editor opens below its list and would otherwise go unseen); beside the list, on a
/// wide screen, it is already in sight.
pub fn show_below(id: &'static str) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::set_timeout(
        move || {
            let Some(window) = web_sys::window() else {
                return;
            };
            let one_column = window
                .inner_width()
                .ok()
                .and_then(|w| w.as_f64())
                .is_some_and(|w| w <= ONE_COLUMN_PX);
            if let (true, Some(element)) = (
                one_column,
                window.document().and_then(|d| d.get_element_by_id(id)),
            ) {
                element.scroll_into_view();
            }
        },
        std::time::Duration::ZERO,
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// The width at which the style sheet puts lists and their editors in one column.
#[cfg(feature = "hydrate")]
const ONE_COLUMN_PX: f64 = 900.0;

/// This page's origin (`https://bot.example.com`); empty on the server.
pub fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// Puts `token` into the text box `id` where its cursor is (over a selection; at the end when
/// it has none) and, once the page shows the new text, the cursor after it. Returns the new
/// text for the caller's state; `None` where there is no such box (on the server).
pub fn insert_at_caret(id: &str, token: &str) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let text_box = web_sys::window()?
            .document()?
            .get_element_by_id(id)?
            .dyn_into::<web_sys::HtmlTextAreaElement>()
            .ok()?;
        let value = text_box.value();
        let (start, end) = match (text_box.selection_start(), text_box.selection_end()) {
            (Ok(Some(start)), Ok(Some(end))) => {
                let (start, end) = (start.min(end), start.max(end));
                (byte_at(&value, start), byte_at(&value, end))
            }
            _ => (value.len(), value.len()),
        };
        let caret = (value[..start].encode_utf16().count() + token.encode_utf16().count()) as u32;
        let text = format!("{}{token}{}", &value[..start], &value[end..]);
        leptos::prelude::request_animation_frame(move || {
            let _ = text_box.focus();
            let _ = text_box.set_selection_range(caret, caret);
        });
        Some(text)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (id, token);
        None
    }
}

/// The byte where `units` UTF-16 units of `text` end (the browser counts a cursor so), on a
/// character's boundary.
pub fn byte_at(text: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (at, c) in text.char_indices() {
        if seen >= units {
            return at;
        }
        seen += c.len_utf16() as u32;
    }
    text.len()
}
