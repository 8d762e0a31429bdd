//! Cocolu's server: the WhatsApp channel, the reply engine, the REST API, the WebSocket and
//! the server-rendered dashboard, in one binary.
//!
//! `main.rs` only parses the command line; [`server::Application`] builds the whole service
//! and is what the tests start.

// The dashboard's views are deeply nested types; rendering them on the server needs room.
#![recursion_limit = "256"]

pub mod activity;
pub mod assets;
pub mod auth;
pub mod bot;
pub mod channel;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod contacts;
pub mod conversations;
pub mod data;
pub mod events;
pub mod http;
pub mod install;
pub mod intake;
pub mod media;
pub mod metrics;
pub mod outbox;
pub mod published;
pub mod server;
pub mod store;
pub mod telemetry;
