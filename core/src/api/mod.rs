//! The REST API's request and response bodies, one type each, used by the server (which
//! writes them and describes them in `/api/openapi.json`) and by the dashboard (which reads
//! them). A field added here reaches both sides at once.

pub mod accounts;
pub mod activity;
pub mod channel;
pub mod contacts;
pub mod documents;
pub mod inbox;
pub mod stats;
pub mod status;
pub mod templates;
