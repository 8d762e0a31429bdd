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

/// A value from outside (a webhook field, a file name, a header, an error quoting either)
/// shown in a log line as its text, with every control character (newline, carriage return,
/// ESC, ...), Unicode direction override and backslash escaped: such a value cannot start a
/// forged line, colour the terminal or reorder what a person reads. Strings can use `?` (Debug
/// escapes the same way, with quotes); this is for errors, whose Debug form is less readable.
pub struct Escaped<T>(pub T);

impl<T: std::fmt::Display> std::fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        write!(EscapingWriter(f), "{}", self.0)
    }
}

impl<T: std::fmt::Display> std::fmt::Debug for Escaped<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Characters that change how the text around them is shown without being seen themselves.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

struct EscapingWriter<'a, 'b>(&'a mut std::fmt::Formatter<'b>);

impl std::fmt::Write for EscapingWriter<'_, '_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for c in s.chars() {
            match c {
                '\\' => self.0.write_str("\\\\")?,
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                c if invisible(c) => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
                c => self.0.write_char(c)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// What a test subscriber wrote, formatted as the server's own log lines are.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        pub(crate) fn text(&self) -> String {
            let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut bytes) = self.0.lock() {
                bytes.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Runs `f` with a subscriber formatting like [`init`]'s (no colours, as into a file or
    /// the journal) and returns what it logged.
    pub(crate) fn logged(f: impl FnOnce()) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_target(false)
            .with_ansi(false)
            .without_time()
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        captured.text()
    }

    #[test]
    fn control_characters_and_direction_overrides_are_escaped() {
        let shown = Escaped("a\nb\r\x1b[31mc\u{202e}d\\n\u{85}").to_string();
        assert_eq!(shown, "a\\nb\\r\\u{1b}[31mc\\u{202e}d\\\\n\\u{85}");
    }

    #[test]
    fn ordinary_text_is_shown_as_it_is() {
        assert_eq!(
            Escaped("¿Envíos a Mérida? 🚚 \"sí\"").to_string(),
            "¿Envíos a Mérida? 🚚 \"sí\""
        );
    }

    #[test]
    fn an_escaped_error_cannot_break_its_log_line() {
        let error = std::io::Error::other("disk\nINFO forged line \x1b[31m");
        let text = logged(|| tracing::warn!(error = %Escaped(&error), "write failed"));
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(text.contains("disk\\nINFO forged line"), "{text:?}");
    }
}
