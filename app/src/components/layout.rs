//! The frame around every signed-in page: a sidebar with the modules, which can be collapsed
//! to icons, the language switch, and the page itself.

use super::notify::{self, NotifySwitch};
use super::{browser, Icon, IconName, ToastRegion};
use crate::api;
use crate::i18n::{use_i18n, I18n, Text};
use cocolu_core::api::accounts::Me;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

/// Who is signed in (and the shop's clock), read once by the layout for every page.
#[derive(Clone, Copy)]
pub struct SignedIn(pub Resource<api::ApiResult<Me>>);

/// The signed-in person, as the layout read it; awaiting it inside a page's `Suspend` costs
/// nothing more.
pub fn signed_in() -> Resource<api::ApiResult<Me>> {
    match use_context::<SignedIn>() {
        Some(SignedIn(me)) => me,
        None => Resource::new(|| (), |()| api::get_json::<Me>("/api/auth/me")),
    }
}

/// The button that shows the dashboard in the other language (remembered in a cookie).
#[component]
pub fn LanguageSwitch(class: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let switch = move |_| {
        let next = i18n.0.get_untracked().other();
        browser::store_lang(next);
        i18n.0.set(next);
    };
    view! {
        <button type="button" class=class lang=move || i18n.0.get().other().code() on:click=switch>
            <Icon name=IconName::Language />
            <span class="nav-label">{i18n.t(Text::SwitchLanguage)}</span>
        </button>
    }
}

/// One entry of the sidebar.
struct NavItem {
    href: &'static str,
    icon: IconName,
    label: Text,
    /// The word under the icon on a phone's rail (the label, when it is short enough).
    short: Text,
}

const NAV: [NavItem; 6] = [
    NavItem {
        href: "/",
        icon: IconName::Overview,
        label: Text::NavOverview,
        short: Text::NavOverview,
    },
    NavItem {
        href: "/inbox",
        icon: IconName::Inbox,
        label: Text::NavInbox,
        short: Text::NavInbox,
    },
    NavItem {
        href: "/rules",
        icon: IconName::Rules,
        label: Text::NavRules,
        short: Text::NavRules,
    },
    NavItem {
        href: "/templates",
        icon: IconName::Templates,
        label: Text::NavTemplates,
        short: Text::NavTemplates,
    },
    NavItem {
        href: "/quick-replies",
        icon: IconName::QuickReplies,
        label: Text::NavQuickReplies,
        short: Text::NavQuickShort,
    },
    NavItem {
        href: "/analytics",
        icon: IconName::Analytics,
        label: Text::NavAnalytics,
        short: Text::NavAnalytics,
    },
];

/// Entries only administrators see (the server refuses these pages to agents too).
const ADMIN_NAV: [NavItem; 2] = [
    NavItem {
        href: "/settings",
        icon: IconName::Settings,
        label: Text::NavSettings,
        short: Text::NavSettings,
    },
    NavItem {
        href: "/users",
        icon: IconName::Users,
        label: Text::NavUsers,
        short: Text::NavUsers,
    },
];

/// The module links; the router follows plain links itself, and the current page's link is
/// marked for assistive technology and the stylesheet.
fn nav_links(items: &'static [NavItem], i18n: I18n) -> impl IntoView {
    let path = use_location().pathname;
    items
        .iter()
        .map(|item| {
            let label = i18n.t(item.label);
            let current = move || (path.get() == item.href).then_some("page");
            view! {
                <li>
                    <a href=item.href aria-current=current>
                        <Icon name=item.icon />
                        <span class="nav-label">{label}</span>
                        <span class="nav-short" aria-hidden="true">{i18n.t(item.short)}</span>
                    </a>
                </li>
            }
        })
        .collect_view()
}

/// The signed-in frame: sidebar plus the current page.
#[component]
pub fn Layout() -> impl IntoView {
    let i18n = use_i18n();
    let collapsed = RwSignal::new(false);
    let toggle_label = move || {
        let text = if collapsed.get() {
            Text::ExpandSidebar
        } else {
            Text::CollapseSidebar
        };
        text.get(i18n.0.get())
    };

    let me = Resource::new(|| (), |()| api::get_json::<Me>("/api/auth/me"));
    provide_context(SignedIn(me));
    let username = Signal::derive(move || {
        me.get()
            .and_then(Result::ok)
            .and_then(|me| me.user)
            .map(|user| user.username)
    });
    // The unread count in the tab's title, and the alerts: their code loads after the page.
    let unread = RwSignal::new(0usize);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local_scoped(notify::watch(unread, username, i18n));
    let links = view! {
        {nav_links(&NAV, i18n)}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                me.await
                    .ok()
                    .filter(Me::is_admin)
                    .map(|_| nav_links(&ADMIN_NAV, i18n))
            })}
        </Transition>
    };
    let who = move || {
        me.get()
            .and_then(Result::ok)
            .and_then(|me| me.user)
            .map(|user| {
                if user.name.is_empty() {
                    user.username
                } else {
                    user.name
                }
            })
    };

    view! {
        <Title formatter=move |page: String| notify::with_count(unread.get(), crate::page_title(page)) />
        <a class="skip-link" href="#content">{i18n.t(Text::SkipToContent)}</a>
        <div class="layout" class:layout--collapsed=move || collapsed.get()>
            <aside class="sidebar" id="sidebar">
                <div class="sidebar-top">
                    <a class="brand" href="/">
                        <span class="brand-mark" aria-hidden="true">"C"</span>
                        <span class="nav-label brand-name">"Cocolu"</span>
                    </a>
                    <button
                        type="button"
                        class="icon-button collapse-toggle"
                        aria-controls="sidebar"
                        aria-expanded=move || (!collapsed.get()).to_string()
                        aria-label=toggle_label
                        title=toggle_label
                        on:click=move |_| collapsed.update(|c| *c = !*c)
                    >
                        <Icon name=IconName::Collapse />
                    </button>
                </div>
                <nav aria-label=i18n.t(Text::MainNavigation)>
                    <ul class="nav-list">{links}</ul>
                </nav>
                <div class="sidebar-bottom">
                    <NotifySwitch username />
                    <LanguageSwitch class="nav-button language-switch" />
                    <Transition fallback=|| ()>
                        {move || {
                            who()
                                .map(|name| {
                                    view! {
                                        <p class="nav-label signed-in-as" id="signed-in-as">
                                            {name}
                                        </p>
                                    }
                                })
                        }}
                    </Transition>
                    <form method="post" action="/logout" class="logout-form">
                        <button type="submit" class="nav-button">
                            <Icon name=IconName::Login />
                            <span class="nav-label">{i18n.t(Text::Logout)}</span>
                        </button>
                    </form>
                </div>
            </aside>
            <main class="content" id="content" tabindex="-1">
                <Outlet />
            </main>
        </div>
        <ToastRegion />
    }
}
