//! How the WhatsApp Web link reads, in the overview and in Settings.

use crate::i18n::{I18n, Text};
use cocolu_core::model::LinkState;
use leptos::prelude::*;

/// The state as one line: its class, its words, and the reason or number after them.
pub fn link_line(i18n: I18n, link: &LinkState) -> impl IntoView {
    let (class, text, detail) = match link {
        LinkState::Connecting => ("state", Text::LinkConnecting, None),
        // A pairing code asked for is typed on the phone instead of scanning.
        LinkState::Pairing {
            code: Some(code), ..
        } => ("state state-bad", Text::PairCodeHint, Some(code.clone())),
        LinkState::Pairing { .. } => ("state state-bad", Text::LinkPairing, None),
        LinkState::Connected { number } => (
            "state state-ok",
            Text::LinkConnected,
            number.as_ref().map(|n| format!("+{n}")),
        ),
        LinkState::Disconnected { reason, .. } => (
            "state state-bad",
            Text::LinkDisconnected,
            Some(reason.clone()),
        ),
        LinkState::LoggedOut { reason } => {
            ("state state-bad", Text::LinkLoggedOut, Some(reason.clone()))
        }
    };
    view! {
        <p class=class id="link-state">
            {i18n.t(text)}
            {detail.map(|d| view! { " " <span class="mono">{d}</span> })}
        </p>
    }
}
