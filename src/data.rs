//! The hand-editable documents in force: `settings.json`, `rules.json`, `users.json`,
//! `whatsapp.json` (the Meta connection entered in the dashboard), `quick_replies.json` (the
//! saved answers people type with `/`) and the templates, with their JSON Schemas, reloaded when people edit them (a rejected edit keeps
//! the last good version in force and is reported with its line and column) and saved by the
//! dashboard. Every reload is published on the event bus.

use crate::auth::users::Users;
use crate::events::Events;
use crate::store::atomic::write_atomic;
use crate::store::document::{self, Document, Reload};
use crate::store::templates::{self, TemplateStore, TemplatesChange};
use crate::store::{create_private_dir, Store, StoreError, StoreOptions};
use crate::telemetry::Escaped;
use cocolu_core::connection::SavedConnection;
use cocolu_core::document::{schema_file_name, Context, FileProblem, HandEdited};
use cocolu_core::engine::rules::Rules;
use cocolu_core::events::ServerEvent;
use cocolu_core::fault::Fault;
use cocolu_core::quick_replies::QuickReplies;
use cocolu_core::settings::Settings;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Folder (inside the data folder) holding the JSON Schemas.
pub const SCHEMA_DIR: &str = "schema";

/// The JSON Schema of a hand-editable document generated from its type, pretty-printed.
#[cfg(feature = "schema")]
pub fn schema_text<T: HandEdited + schemars::JsonSchema>() -> String {
    let schema = schemars::schema_for!(T);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Every hand-editable document's schema generated from its type: (file name, text).
#[cfg(feature = "schema")]
pub fn generated_schemas() -> Vec<(String, String)> {
    vec![
        (schema_file_name::<Settings>(), schema_text::<Settings>()),
        (schema_file_name::<Rules>(), schema_text::<Rules>()),
        (schema_file_name::<Users>(), schema_text::<Users>()),
        (
            schema_file_name::<SavedConnection>(),
            schema_text::<SavedConnection>(),
        ),
        (
            schema_file_name::<QuickReplies>(),
            schema_text::<QuickReplies>(),
        ),
    ]
}

/// Every hand-editable document's schema as published in `docs/schema/`: (file name, text).
pub fn schemas() -> Vec<(String, String)> {
    [
        schema_file_name::<Settings>(),
        schema_file_name::<Rules>(),
        schema_file_name::<Users>(),
        schema_file_name::<SavedConnection>(),
        schema_file_name::<QuickReplies>(),
    ]
    .into_iter()
    .map(|name| {
        let text = crate::published::text(&format!("{SCHEMA_DIR}/{name}"));
        (name, text)
    })
    .collect()
}

/// Writes the schemas into `dir/schema/`, skipping files that are already identical.
pub fn write_schemas(dir: &Path) -> io::Result<()> {
    let schema_dir = dir.join(SCHEMA_DIR);
    create_private_dir(&schema_dir)?;
    for (name, text) in schemas() {
        let path = schema_dir.join(name);
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            write_atomic(&path, text.as_bytes(), 0o644)?;
        }
    }
    Ok(())
}

/// Opens the data folder `dir`: its log and index ([`Store`], which locks the folder), then the
/// documents in force, with the templates of `templates_dir`; both publish on `events`.
pub fn open_folder(
    dir: &Path,
    templates_dir: &Path,
    options: &StoreOptions,
    events: Events,
) -> Result<(Store, Data), StoreError> {
    let store = Store::open(dir, options)?;
    let data = Data::open(store.dir(), templates_dir, events)?;
    Ok((store, data))
}

/// The documents in force.
pub struct Data {
    dir: PathBuf,
    pub settings: Document<Settings>,
    pub rules: Document<Rules>,
    /// Accounts, invitations and API tokens.
    pub users: Document<Users>,
    /// The Meta connection saved from the dashboard (secrets: never shown whole).
    pub whatsapp: Document<SavedConnection>,
    /// The saved answers people type with `/` in the inbox.
    pub quick_replies: Document<QuickReplies>,
    pub templates: TemplateStore,
    /// Hand edits rejected since start (a file with an error, the last good version kept).
    reload_errors: AtomicU64,
    events: Events,
}

/// A document's problems on disk, including its deletion.
fn document_problems<T: HandEdited>(document: &Document<T>) -> Vec<FileProblem> {
    let current = document.current();
    let mut problems = current.problems;
    if current.missing {
        problems.push(FileProblem::whole(T::FILE, Fault::FileDeleted));
    }
    problems
}

impl Data {
    /// Loads the documents of the data folder `dir` (canonical, as the store opened it),
    /// writing the defaults on first run, and the templates of `templates_dir`.
    pub fn open(dir: &Path, templates_dir: &Path, events: Events) -> Result<Data, StoreError> {
        if let Err(error) = write_schemas(dir) {
            tracing::warn!(%error, "cannot write the JSON Schemas into the data folder");
        }
        // Created here (the watcher would create it anyway) so that it has a canonical path.
        let _ = create_private_dir(templates_dir);
        let templates_dir = fs::canonicalize(templates_dir)
            .or_else(|_| std::path::absolute(templates_dir))
            .unwrap_or_else(|_| templates_dir.to_path_buf());
        let templates = TemplateStore::open(&templates_dir);
        let context = document::context_with(templates.names());
        Ok(Data {
            dir: dir.to_path_buf(),
            settings: Document::open(dir, &context)?,
            rules: Document::open(dir, &context)?,
            users: Document::open(dir, &context)?,
            whatsapp: Document::open(dir, &context)?,
            quick_replies: Document::open(dir, &context)?,
            templates,
            reload_errors: AtomicU64::new(0),
            events,
        })
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What validation consults: the templates in force.
    pub fn context(&self) -> Context {
        document::context_with(self.templates.names())
    }

    /// Every problem of the files on disk right now (empty when all is well).
    pub fn problems(&self) -> Vec<FileProblem> {
        let mut problems = document_problems(&self.settings);
        problems.extend(document_problems(&self.rules));
        problems.extend(document_problems(&self.users));
        problems.extend(document_problems(&self.whatsapp));
        problems.extend(document_problems(&self.quick_replies));
        let templates = self.templates.current();
        problems.extend(templates.problems.iter().cloned());
        problems.extend(
            templates
                .missing
                .iter()
                .map(|name| FileProblem::whole(templates::display_name(name), Fault::FileDeleted)),
        );
        problems
    }

    /// Hand edits rejected since start.
    pub fn reload_errors(&self) -> u64 {
        self.reload_errors.load(Ordering::Relaxed)
    }

    /// Reacts to a change of `path` on disk (called by the watcher; blocking).
    pub fn on_change(&self, path: &Path) {
        let in_templates = path.parent() == Some(self.templates.dir());
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if in_templates && name.ends_with(".txt") && !name.starts_with('.') {
            let change = self.templates.rescan();
            let changed = !change.reloaded.is_empty() || !change.missing.is_empty();
            self.report_templates(change);
            if changed {
                // Rules name templates: one may have gone.
                let problems = self.rules.revalidate(&self.context());
                if !problems.is_empty() {
                    self.report(Rules::FILE, Reload::Rejected(problems));
                }
            }
        } else if path.parent() == Some(self.dir.as_path()) {
            let _ = self.reload_if(name, &self.settings)
                || self.reload_if(name, &self.rules)
                || self.reload_if(name, &self.users)
                || self.reload_if(name, &self.whatsapp)
                || self.reload_if(name, &self.quick_replies);
        }
    }

    /// Reloads `document` when `name` is its file; `false` when it is not.
    fn reload_if<T: HandEdited>(&self, name: &str, document: &Document<T>) -> bool {
        if name != T::FILE {
            return false;
        }
        let outcome = document.reload(&self.context());
        self.report(T::FILE, outcome);
        true
    }

    fn report(&self, file: &str, outcome: Reload) {
        match outcome {
            Reload::Unchanged => {}
            Reload::Reloaded | Reload::Restored => {
                tracing::info!(file, "reloaded");
                self.events
                    .publish(ServerEvent::FileReloaded { file: file.into() });
            }
            Reload::Rejected(problems) => {
                self.reload_errors.fetch_add(1, Ordering::Relaxed);
                for problem in &problems {
                    tracing::error!(problem = %Escaped(&problem), "edit rejected; the last good version stays in force");
                }
                self.events.publish(ServerEvent::FileError {
                    file: file.into(),
                    problems,
                });
            }
            Reload::Missing => {
                tracing::warn!(
                    file,
                    "file deleted; the last good version stays in force until it is saved again"
                );
                self.events
                    .publish(ServerEvent::FileMissing { file: file.into() });
            }
        }
    }

    fn report_templates(&self, change: TemplatesChange) {
        for file in change.reloaded {
            tracing::info!(file, "reloaded");
            self.events.publish(ServerEvent::FileReloaded { file });
        }
        let mut by_file: std::collections::BTreeMap<String, Vec<FileProblem>> = Default::default();
        for problem in change.problems {
            tracing::error!(problem = %Escaped(&problem), "edit rejected; the last good version stays in force");
            by_file
                .entry(problem.file.clone())
                .or_default()
                .push(problem);
        }
        for (file, problems) in by_file {
            self.reload_errors.fetch_add(1, Ordering::Relaxed);
            self.events
                .publish(ServerEvent::FileError { file, problems });
        }
        for file in change.missing {
            tracing::warn!(
                file,
                "file deleted; the last good version stays in force until it is saved again"
            );
            self.events.publish(ServerEvent::FileMissing { file });
        }
    }

    /// Saves a template from the dashboard (blocking); rules naming templates are checked
    /// again, since a new template may fix them.
    pub fn save_template(
        &self,
        name: &str,
        text: &str,
        base: &cocolu_core::document::Revision,
    ) -> Result<cocolu_core::document::Revision, document::SaveError> {
        let revision = self.templates.save(name, text, base)?;
        self.recheck_rules();
        Ok(revision)
    }

    /// Puts a built-in template's own text back in force (blocking).
    pub fn restore_template(&self, name: &str) -> io::Result<bool> {
        let removed = self.templates.restore_builtin(name)?;
        self.recheck_rules();
        Ok(removed)
    }

    fn recheck_rules(&self) {
        let problems = self.rules.revalidate(&self.context());
        if !problems.is_empty() {
            self.report(Rules::FILE, Reload::Rejected(problems));
        }
    }

    /// Writes a new settings document based on revision `base` (blocking).
    pub fn save_settings(
        &self,
        value: &Settings,
        base: &cocolu_core::document::Revision,
    ) -> Result<cocolu_core::document::Revision, document::SaveError> {
        self.settings.save(value, base, &self.context())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "schema")]
    #[test]
    fn the_published_schemas_are_what_the_types_generate() {
        for (name, text) in generated_schemas() {
            crate::published::check(&format!("{SCHEMA_DIR}/{name}"), &text);
        }
    }

    fn open_all(dir: &Path, templates: &Path) -> Result<(Store, Data), StoreError> {
        open_folder(dir, templates, &StoreOptions::default(), Events::new())
    }

    #[test]
    fn a_missing_data_folder_is_created_with_defaults_and_schemas() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("nested/data");
        let (_store, data) = open_all(&dir, &tmp.path().join("templates")).expect("opened");
        assert!(dir.join("settings.json").is_file());
        assert!(dir.join("schema/settings.schema.json").is_file());
        assert!(dir.join("schema/rules.schema.json").is_file());
        assert!(dir.join("rules.json").is_file());
        assert!(dir.join(".last-good/settings.json").is_file());
        let text = fs::read_to_string(dir.join("settings.json")).expect("read");
        assert!(
            text.contains("\"$schema\": \"./schema/settings.schema.json\""),
            "{text}"
        );
        assert!(text.contains("\"version\": 1"));
        assert!(data.problems().is_empty());
    }

    #[test]
    fn a_broken_file_at_start_falls_back_to_the_last_good_copy() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        drop(open_all(&dir, &tmp.path().join("t")).expect("first start"));
        fs::write(dir.join("settings.json"), "{ \"version\": 1,\n  oops }").expect("write");

        let (_store, data) = open_all(&dir, &tmp.path().join("t")).expect("second start");

        assert_eq!(data.settings.get().business.name, "Mi Tienda");
        let problems = data.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            (problems[0].file.as_str(), problems[0].line),
            ("settings.json", 2)
        );
    }

    #[test]
    fn a_broken_file_without_a_last_good_copy_stops_start_up_with_its_position() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(
            dir.join("settings.json"),
            "{\n  \"version\": 1,\n  \"business\": {\"name\": \"\"},\n  \"time_zone\": \"UTC\"\n}",
        )
        .expect("write");

        let error = open_all(&dir, &tmp.path().join("t"))
            .err()
            .expect("refused");

        let text = error.to_string();
        assert!(text.starts_with("settings.json:3:"), "{text}");
        assert!(text.contains("cocolu check"), "{text}");
    }
}
