//! The reply engine: what the bot answers, and when. Pure functions over plain data (the
//! rules, the settings, the contact's state, the message, the time); the server carries out
//! what they decide.

pub mod days;
pub mod decide;
pub mod hours;
pub mod render;
pub mod rules;
pub mod simulate;
pub mod text;
