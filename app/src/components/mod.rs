//! Pieces shared by the pages: the layout with its sidebar, icons, page headers.

pub mod browser;
mod copyable;
pub mod document;
pub mod fields;
pub mod icon;
mod layout;
pub mod link;
pub mod notify;
mod page;
pub mod text_titles;
mod toast;
pub mod variables;

pub use copyable::Copyable;
pub use icon::{Icon, IconName};
pub use layout::{signed_in, LanguageSwitch, Layout, SignedIn};
pub use page::{with_data, ConnectionLost, Figure, PageHeader};
pub use toast::{toaster, ToastRegion, Toaster, Tone};
