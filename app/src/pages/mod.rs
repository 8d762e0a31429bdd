//! One component per dashboard page, each reading the same REST API scripts use. Each page is
//! a lazy route: its code is a chunk of the WebAssembly that the browser loads when the page
//! is first shown, so the first load carries only the shell and that page.

mod analytics;
pub mod inbox;
mod login;
mod not_found;
mod overview;
mod quick_replies;
mod rules;
mod settings;
mod templates;
mod users;

pub use analytics::Analytics;
pub use inbox::Inbox;
pub use login::{Login, Register, Setup};
pub use not_found::NotFound;
pub use overview::Overview;
pub use quick_replies::QuickReplies;
pub use rules::Rules;
pub use settings::Settings;
pub use templates::Templates;
pub use users::Users;

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Declares a page as a lazy route: `$route` shows `$page`, loaded on demand.
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        #[doc = concat!("The route of [`", stringify!($page), "`], loaded on demand.")]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(LoginRoute, Login);
lazy_page!(SetupRoute, Setup);
lazy_page!(RegisterRoute, Register);
lazy_page!(OverviewRoute, Overview);
lazy_page!(InboxRoute, Inbox);
lazy_page!(RulesRoute, Rules);
lazy_page!(TemplatesRoute, Templates);
lazy_page!(QuickRepliesRoute, QuickReplies);
lazy_page!(AnalyticsRoute, Analytics);
lazy_page!(SettingsRoute, Settings);
lazy_page!(UsersRoute, Users);
