//! Logging with `tracing`, to stderr (stdout carries only the command's own output):
//! `RUST_LOG` picks what is shown (default `info`); under systemd
//! (`JOURNAL_STREAM` set) lines carry no timestamp, since the journal adds its own.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Calling it twice is harmless.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours only for a person at a terminal, never into files or pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let result = if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().try_init()
    } else {
        builder.try_init()
    };
    // An error only means a subscriber is already installed (tests install one per binary).
    let _ = result;
}
