//! A message text styled as WhatsApp shows it (the pieces come from
//! [`cocolu_core::format::spans`]).

use cocolu_core::format::spans;
use leptos::prelude::*;

/// A message text styled as WhatsApp shows it.
#[component]
pub fn Formatted(#[prop(into)] text: String) -> impl IntoView {
    spans(&text)
        .into_iter()
        .map(|span| {
            let classes = [
                (span.bold, "wa-bold"),
                (span.italic, "wa-italic"),
                (span.strike, "wa-strike"),
                (span.mono, "wa-mono"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, class)| *class)
            .collect::<Vec<_>>()
            .join(" ");
            if classes.is_empty() {
                span.text.into_any()
            } else {
                view! { <span class=classes>{span.text}</span> }.into_any()
            }
        })
        .collect_view()
}
