//! End-to-end tests: the real server on a real socket with a temporary data folder, the
//! compiled binary run as a user would, a real WebSocket client and headless Chromium.

mod accounts;
mod agents;
mod answered;
mod attachments;
mod binary;
mod bot;
mod browser;
mod commands;
mod connection;
mod contacts;
mod crash;
mod dashboard;
mod deploy;
mod fake_graph;
#[cfg(feature = "whatsapp-web")]
mod fake_whatsapp;
mod faults;
mod fuzz;
mod hand_edits;
mod hardening;
mod health;
mod helpers;
mod inbox_api;
mod media;
mod metrics;
mod order;
mod outbound;
mod pages;
mod quick_replies;
mod rsync;
mod settings_api;
mod systemd;
mod templates_api;
mod visible_text;
mod webhook;
mod webhook_crash;
mod websocket;
#[cfg(feature = "whatsapp-web")]
mod whatsapp_web;
