//! One component per dashboard page. Pages whose back end has not landed yet say so plainly
//! instead of showing made-up numbers.

mod analytics;
pub mod inbox;
mod login;
mod not_found;
mod overview;
mod rules;
mod templates;

pub use analytics::Analytics;
pub use inbox::Inbox;
pub use login::{Login, Register, Setup};
pub use not_found::NotFound;
pub use overview::Overview;
pub use rules::Rules;
pub use templates::Templates;

use crate::components::{EmptyState, PageHeader};
use crate::i18n::Text;
use leptos::prelude::*;

/// A module page that has no data to show yet.
#[component]
fn ModulePage(title: Text, intro: Text, empty: Text) -> impl IntoView {
    view! {
        <PageHeader title intro />
        <EmptyState text=empty />
    }
}

/// Ajustes: business profile, hours, the Meta connection.
#[component]
pub fn Settings() -> impl IntoView {
    view! { <ModulePage title=Text::NavSettings intro=Text::SettingsIntro empty=Text::SettingsEmpty /> }
}

/// Usuarios: accounts, invitations, tokens.
#[component]
pub fn Users() -> impl IntoView {
    view! { <ModulePage title=Text::NavUsers intro=Text::UsersIntro empty=Text::UsersEmpty /> }
}
