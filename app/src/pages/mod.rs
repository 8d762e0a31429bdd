//! One component per dashboard page, each reading the same REST API scripts use.

mod analytics;
pub mod inbox;
mod login;
mod not_found;
mod overview;
mod rules;
mod settings;
mod templates;
mod users;

pub use analytics::Analytics;
pub use inbox::Inbox;
pub use login::{Login, Register, Setup};
pub use not_found::NotFound;
pub use overview::Overview;
pub use rules::Rules;
pub use settings::Settings;
pub use templates::Templates;
pub use users::Users;
