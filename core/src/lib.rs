//! Cocolu's domain, shared by the server and the dashboard so that nothing is written twice.
//!
//! - [`document`]: the hand-editable documents' contract, parsing with problems placed at a
//!   line and column; [`model`]: `rules.json` and `settings.json` as types; [`settings`]:
//!   what the settings mean; [`templates`]: the built-in reply texts; [`format`]: texts as
//!   WhatsApp shows them.
//! - [`engine`]: the reply engine, pure (rules, settings, contact state, message and time in;
//!   what to send and do out).
//! - [`outbound`]: a message the shop sends, within WhatsApp's limits; [`log`]: the log's
//!   records, one type that every writer builds and every reader matches.
//! - [`media_types`]: the files WhatsApp carries, and what a person may attach.
//! - [`fault`]: what is wrong with what a person wrote, as codes both sides word.
//! - [`events`]: what the server pushes to dashboards over the WebSocket; [`api`]: the REST
//!   API's request and response bodies; [`contact`]: who a customer is.
//!
//! No I/O, no async runtime, no web framework: the server carries out what this crate
//! decides, the dashboard shows it.

pub mod api;
pub mod connection;
pub mod contact;
pub mod document;
pub mod engine;
pub mod events;
pub mod fault;
pub mod format;
pub mod log;
pub mod media_types;
pub mod model;
pub mod outbound;
pub mod quick_replies;
pub mod settings;
pub mod templates;
