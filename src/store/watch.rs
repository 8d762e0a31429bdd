//! Watches the data and templates folders (as folders: editors save by renaming over the
//! file) and hands every changed path to the documents in force
//! ([`crate::data::Data::on_change`]), which re-read the file and compare content, so our own
//! writes, swap files and no-op saves change nothing.

use crate::data::Data;
use crate::telemetry::Escaped;
use notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};
use std::sync::Arc;
use std::time::Duration;

/// Quiet time before a burst of events (truncate, write, rename) is handled as one change.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Keeps watching while it lives.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher>,
}

/// Starts watching the documents' folders. The templates folder is created when missing, so
/// that a template added later is noticed.
pub fn watch(data: Arc<Data>) -> notify::Result<Watcher> {
    let handler_data = data.clone();
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| match result {
        Ok(events) => {
            for event in events {
                handler_data.on_change(&event.path);
            }
        }
        Err(error) => tracing::warn!(error = %Escaped(&error), "file watcher error"),
    })?;
    debouncer
        .watcher()
        .watch(data.dir(), RecursiveMode::NonRecursive)?;
    let templates = data.templates.dir();
    match super::create_private_dir(templates) {
        Ok(()) => debouncer
            .watcher()
            .watch(templates, RecursiveMode::NonRecursive)?,
        Err(error) => tracing::warn!(
            folder = %templates.display(),
            error = %Escaped(&error),
            "cannot create the templates folder; template edits will not be picked up live"
        ),
    }
    Ok(Watcher {
        _debouncer: debouncer,
    })
}
