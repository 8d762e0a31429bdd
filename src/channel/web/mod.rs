//! The WhatsApp Web channel (cargo feature `whatsapp-web`): the shop's own WhatsApp number,
//! linked as a companion device by scanning a QR code, through the `whatsapp-rust` library.
//! It is not Meta's official API; see the README for what that means.
//!
//! Its state lives in `data/whatsapp-web/` like everything else: the library's keys, sessions
//! and device record in [`keystore`], over the store's durable journal; no database.

pub mod inbound;
pub mod keystore;
pub mod link;
pub mod outbound;
pub mod qr;
pub mod runner;
pub mod sender;
