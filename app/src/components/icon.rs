//! Line icons drawn inline as SVG, so the dashboard needs no icon font or image request.

use leptos::prelude::*;

/// The icons the dashboard uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Overview,
    Inbox,
    Rules,
    Templates,
    QuickReplies,
    Analytics,
    Settings,
    Users,
    Login,
    Collapse,
    Language,
    Bell,
}

impl IconName {
    /// The SVG path data, on a 24×24 grid, drawn with a 2 px stroke.
    fn path(self) -> &'static str {
        match self {
            IconName::Overview => "M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
            IconName::Inbox => "M3 13h5l1.5 3h5L16 13h5M5 5h14l2 8v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-6z",
            IconName::Rules => "M5 6h3M5 12h3M5 18h3M11 6h8M11 12h8M11 18h8",
            IconName::Templates => "M7 3h7l5 5v12a1 1 0 0 1-1 1H7a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1zM14 3v5h5M9 13h6M9 17h6",
            IconName::QuickReplies => "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-5A8 8 0 1 1 21 12zM13 7l-3 5h4l-3 5",
            IconName::Analytics => "M4 20V10M10 20V4M16 20v-7M22 20H2",
            IconName::Settings => "M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0M14 4v4M8 10v4M16 16v4",
            IconName::Users => "M16 20v-1a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v1M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM22 20v-1a4 4 0 0 0-3-3.9M16 3.1a4 4 0 0 1 0 7.8",
            IconName::Login => "M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l5-5-5-5M15 12H3",
            IconName::Collapse => "M15 18l-6-6 6-6",
            IconName::Bell => "M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.9 1.9 0 0 0 3.4 0",
            IconName::Language => "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z",
        }
    }
}

/// A decorative icon: hidden from screen readers, since its label stands next to it.
#[component]
pub fn Icon(name: IconName) -> impl IntoView {
    drawn(name.path())
}

/// An icon of the dashboard's kind drawn from `path` (24×24, 2 px stroke): for a page's own
/// icons, which then stay in that page's code.
pub fn drawn(path: &'static str) -> impl IntoView {
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            width="20"
            height="20"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            <path d=path />
        </svg>
    }
}
