//! A JSON document that people edit by hand and the dashboard saves: `settings.json`,
//! `rules.json`.
//!
//! Invariants:
//! - The value in force always passed parsing and validation; a rejected edit leaves the last
//!   good value in force and is reported with file, line and column.
//! - The revision is a hash of the file's bytes, so the server recognises its own writes by
//!   content (an event whose file hashes to the revision in force changes nothing), and a
//!   dashboard save based on an older revision is refused as a conflict.
//! - Every accepted version is also copied to `.last-good/`, so a start-up that finds the file
//!   broken (an edit made while the server was down) still starts with the last good value.
//! - File I/O happens outside the `RwLock`: readers are never blocked by a write or an fsync.

use super::atomic::write_atomic;
use super::StoreError;
use crate::telemetry::Escaped;
use cocolu_core::document::{
    migrate_text, parse, render, Context, FileProblem, HandEdited, Revision,
};
use cocolu_core::fault::Fault;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Folder (inside the data folder) holding the last accepted copy of each document.
pub const LAST_GOOD_DIR: &str = ".last-good";
/// Mode of files Cocolu creates: readable by the service user only.
pub const FILE_MODE: u32 = 0o600;

/// Folder (inside the data folder) keeping the files as they were before a migration.
pub const MIGRATED_DIR: &str = ".migrated";

/// What validation consults in this build: the templates that exist, and whether the WhatsApp
/// Web channel was built in.
pub fn context_with(templates: BTreeSet<String>) -> Context {
    Context {
        templates,
        whatsapp_web: cfg!(feature = "whatsapp-web"),
    }
}

/// The state of a document in force.
#[derive(Clone, Debug)]
pub struct Current<T> {
    /// The value in force (always valid).
    pub value: Arc<T>,
    /// Revision of the text the value came from.
    pub revision: Revision,
    /// That text.
    pub text: Arc<str>,
    /// Problems of the file on disk, when its current content was rejected.
    pub problems: Vec<FileProblem>,
    /// The file was deleted; the value in force stays until it is saved again.
    pub missing: bool,
}

/// What a reload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reload {
    /// The file holds what is already in force (for example our own write): nothing to do.
    Unchanged,
    /// A new valid version is in force.
    Reloaded,
    /// The file went back to the version in force after a rejected edit or a deletion.
    Restored,
    /// The new content was rejected; the last good version stays in force.
    Rejected(Vec<FileProblem>),
    /// The file was deleted; the last good version stays in force.
    Missing,
}

/// Why a save was refused.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The file changed since the revision the save was based on.
    #[error("the file changed since revision {base}; now at {current}")]
    Conflict {
        base: Revision,
        current: Revision,
        current_text: String,
        /// What the save would have written.
        mine_text: String,
    },
    /// The new version does not validate.
    #[error("the new version has {} problem(s)", .0.len())]
    Invalid(Vec<FileProblem>),
    /// The disk refused the write; nothing changed.
    #[error("cannot write the file: {0}")]
    Io(#[from] io::Error),
}

/// One hand-editable document.
pub struct Document<T> {
    path: PathBuf,
    last_good: PathBuf,
    current: RwLock<Current<T>>,
    /// Serializes saves and reloads, so that check-then-write is one step.
    writer: Mutex<()>,
    /// Counts the versions put in force since start (saved or edited by hand), for what
    /// follows the document, such as the channel the settings choose.
    changed: tokio::sync::watch::Sender<u64>,
}

fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl<T: HandEdited> Document<T> {
    /// Loads the document from `dir`, writing the defaults on first run. A broken file falls
    /// back to the last good copy (its problems recorded); with no such copy it is an error.
    pub fn open(dir: &Path, context: &Context) -> Result<Document<T>, StoreError> {
        let path = dir.join(T::FILE);
        let last_good = dir.join(LAST_GOOD_DIR).join(T::FILE);
        let io_error = |source| StoreError::Io {
            path: path.clone(),
            source,
        };
        let on_disk = read_optional(&path).map_err(io_error)?;
        let on_disk = match on_disk {
            Some(text) => Some(Self::upgrade(dir, &path, text).map_err(io_error)?),
            None => None,
        };
        let current = match on_disk {
            None => {
                let text = render(&T::defaults());
                write_atomic(&path, &text, FILE_MODE).map_err(io_error)?;
                let text = String::from_utf8_lossy(&text).into_owned();
                let value = parse::<T>(T::FILE, &text, context).map_err(StoreError::Invalid)?;
                Self::accepted(value, &text)
            }
            Some(text) => match parse::<T>(T::FILE, &text, context) {
                Ok(value) => Self::accepted(value, &text),
                Err(problems) => {
                    let fallback = read_optional(&last_good).ok().flatten().and_then(|good| {
                        parse::<T>(T::FILE, &good, context).ok().map(|v| (v, good))
                    });
                    let Some((value, good)) = fallback else {
                        return Err(StoreError::Invalid(problems));
                    };
                    for problem in &problems {
                        tracing::error!(problem = %Escaped(&problem), "keeping the last good version");
                    }
                    let mut current = Self::accepted(value, &good);
                    current.problems = problems;
                    current
                }
            },
        };
        let document = Document {
            path,
            last_good,
            current: RwLock::new(current),
            writer: Mutex::new(()),
            changed: tokio::sync::watch::Sender::new(0),
        };
        document.keep_last_good();
        Ok(document)
    }

    /// Migrates an older format at start (an upgrade of Cocolu): the old file is kept in
    /// `.migrated/FILE.vN`, the new one written in its place. A text that does not migrate
    /// is returned as it is, for parsing to report.
    fn upgrade(dir: &Path, path: &Path, text: String) -> io::Result<String> {
        match migrate_text::<T>(&text) {
            Ok(Some((from, migrated)))
                if parse::<T>(T::FILE, &migrated, &Context::default()).is_ok() =>
            {
                let keep = dir.join(MIGRATED_DIR).join(format!("{}.v{from}", T::FILE));
                if let Some(parent) = keep.parent() {
                    super::create_private_dir(parent)?;
                }
                write_atomic(&keep, text.as_bytes(), FILE_MODE)?;
                write_atomic(path, migrated.as_bytes(), FILE_MODE)?;
                tracing::info!(
                    file = T::FILE,
                    from,
                    to = T::VERSION,
                    kept = %keep.display(),
                    "migrated to the current format; the old file is kept"
                );
                Ok(migrated)
            }
            Ok(_) => Ok(text),
            Err(error) => {
                tracing::error!(%error, "cannot migrate; the file is read as it is");
                Ok(text)
            }
        }
    }

    fn accepted(value: T, text: &str) -> Current<T> {
        Current {
            value: Arc::new(value),
            revision: Revision::of(text.as_bytes()),
            text: Arc::from(text),
            problems: Vec::new(),
            missing: false,
        }
    }

    /// Copies the version in force to `.last-good/` when it differs from the copy there.
    fn keep_last_good(&self) {
        let text = self.current.read().text.clone();
        if read_optional(&self.last_good).ok().flatten().as_deref() == Some(&*text) {
            return;
        }
        let result = self
            .last_good
            .parent()
            .map_or(Ok(()), super::create_private_dir)
            .and_then(|()| write_atomic(&self.last_good, text.as_bytes(), FILE_MODE));
        if let Err(error) = result {
            tracing::warn!(file = %self.last_good.display(), %error, "cannot keep the last good copy");
        }
    }

    /// The state in force.
    pub fn current(&self) -> Current<T> {
        self.current.read().clone()
    }

    /// The value in force.
    pub fn get(&self) -> Arc<T> {
        self.current.read().value.clone()
    }

    /// Wakes whenever a new version is put in force.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The revision a save goes over what is on disk now with: the file's own, or the version
    /// in force when the file is missing (blocking).
    pub fn disk_revision(&self) -> Revision {
        match read_optional(&self.path) {
            Ok(Some(text)) => Revision::of(text.as_bytes()),
            _ => self.current.read().revision.clone(),
        }
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves a new version made from revision `base` (blocking: call it off the async runtime).
    pub fn save(
        &self,
        value: &T,
        base: &Revision,
        context: &Context,
    ) -> Result<Revision, SaveError> {
        let text = render(value);
        let text = String::from_utf8_lossy(&text).into_owned();
        let value = parse::<T>(T::FILE, &text, context).map_err(SaveError::Invalid)?;
        let _guard = self.writer.lock();
        let on_disk = read_optional(&self.path)?;
        let disk_revision = on_disk.as_deref().map(|t| Revision::of(t.as_bytes()));
        // A deleted file may be recreated from the version in force. A save based on what is
        // on disk goes over it even when that could not be used (a broken hand edit, while
        // the last good version stays in force): its maker has seen it.
        let current = disk_revision.unwrap_or_else(|| self.current.read().revision.clone());
        if &current != base {
            return Err(SaveError::Conflict {
                base: base.clone(),
                current,
                current_text: on_disk.unwrap_or_else(|| self.current.read().text.to_string()),
                mine_text: text,
            });
        }
        write_atomic(&self.path, text.as_bytes(), FILE_MODE)?;
        let accepted = Self::accepted(value, &text);
        let revision = accepted.revision.clone();
        *self.current.write() = accepted;
        self.keep_last_good();
        self.changed.send_modify(|n| *n += 1);
        Ok(revision)
    }

    /// Re-reads the file after a change on disk (blocking).
    pub fn reload(&self, context: &Context) -> Reload {
        let _guard = self.writer.lock();
        let text = match read_optional(&self.path) {
            Ok(Some(text)) => text,
            Ok(None) => {
                let mut current = self.current.write();
                if current.missing {
                    return Reload::Unchanged;
                }
                current.missing = true;
                current.problems.clear();
                return Reload::Missing;
            }
            Err(error) => {
                let problem = FileProblem::whole(
                    T::FILE,
                    Fault::Unreadable {
                        detail: error.to_string(),
                    },
                );
                self.current.write().problems = vec![problem.clone()];
                return Reload::Rejected(vec![problem]);
            }
        };
        let revision = Revision::of(text.as_bytes());
        {
            let mut current = self.current.write();
            if current.revision == revision {
                let was_off = current.missing || !current.problems.is_empty();
                current.missing = false;
                current.problems.clear();
                return if was_off {
                    Reload::Restored
                } else {
                    Reload::Unchanged
                };
            }
        }
        match parse::<T>(T::FILE, &text, context) {
            Ok(value) => {
                *self.current.write() = Self::accepted(value, &text);
                self.keep_last_good();
                self.changed.send_modify(|n| *n += 1);
                Reload::Reloaded
            }
            Err(problems) => {
                let mut current = self.current.write();
                if current.problems == problems {
                    return Reload::Unchanged;
                }
                current.problems = problems.clone();
                current.missing = false;
                Reload::Rejected(problems)
            }
        }
    }

    /// Re-checks the version in force against a new context (templates changed); problems
    /// are reported but the value stays, since nothing better exists.
    pub fn revalidate(&self, context: &Context) -> Vec<FileProblem> {
        let text = self.current.read().text.clone();
        match parse::<T>(T::FILE, &text, context) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cocolu_core::document::Problem;
    use serde::{Deserialize, Serialize};

    /// A document in its second format: format 1 called the field `nombre`.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    #[serde(deny_unknown_fields)]
    struct Shop {
        #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        version: u32,
        name: String,
    }

    impl HandEdited for Shop {
        const FILE: &'static str = "shop.json";
        const VERSION: u32 = 2;
        fn defaults() -> Shop {
            Shop {
                schema: None,
                version: 2,
                name: "Nueva".into(),
            }
        }
        cocolu_core::stamped_by_fields!();
        fn validate(&self, _context: &Context) -> Vec<Problem> {
            Vec::new()
        }
        fn migrate(value: &mut serde_json::Value, from: u32) -> Result<(), String> {
            match from {
                1 => {
                    let object = value.as_object_mut().ok_or("not an object")?;
                    let name = object.remove("nombre").ok_or("`nombre` is missing")?;
                    object.insert("name".into(), name);
                    Ok(())
                }
                _ => Err(format!("no migration from format {from}")),
            }
        }
    }

    #[test]
    fn an_older_format_is_migrated_at_start_and_the_old_file_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let old = "{\n  \"version\": 1,\n  \"nombre\": \"Panadería\"\n}\n";
        fs::write(tmp.path().join("shop.json"), old).expect("write");

        let document = Document::<Shop>::open(tmp.path(), &Context::default()).expect("opens");

        assert_eq!(document.get().name, "Panadería");
        let now = fs::read_to_string(tmp.path().join("shop.json")).expect("read");
        assert!(
            now.contains("\"version\": 2") && now.contains("\"name\""),
            "{now}"
        );
        let kept =
            fs::read_to_string(tmp.path().join(".migrated/shop.json.v1")).expect("old file kept");
        assert_eq!(kept, old);
        // Opening again changes nothing more.
        drop(document);
        let again = Document::<Shop>::open(tmp.path(), &Context::default()).expect("opens");
        assert_eq!(again.get().name, "Panadería");
        assert_eq!(
            fs::read_to_string(tmp.path().join("shop.json")).expect("read"),
            now
        );
    }

    #[test]
    fn a_file_that_cannot_be_migrated_is_reported_where_it_is_wrong() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::write(
            tmp.path().join("shop.json"),
            "{\n  \"version\": 1,\n  \"otro\": 3\n}\n",
        )
        .expect("write");
        let error = Document::<Shop>::open(tmp.path(), &Context::default())
            .err()
            .expect("refused");
        assert!(error.to_string().starts_with("shop.json:"), "{error}");
        assert!(!tmp.path().join(".migrated").exists(), "nothing was moved");
    }

    #[test]
    fn a_save_goes_over_a_broken_hand_edit_once_its_maker_has_seen_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let context = Context::default();
        let document = Document::<Shop>::open(tmp.path(), &context).expect("opens");
        let in_force = document.current().revision.clone();
        let broken = "{\n  \"version\": 2,\n  \"name\": \"Pana\n";
        fs::write(tmp.path().join("shop.json"), broken).expect("hand edit");
        assert!(matches!(document.reload(&context), Reload::Rejected(_)));
        assert_eq!(document.current().revision, in_force, "the last good stays");

        let mine = Shop {
            name: "Panadería Lola".into(),
            ..Shop::defaults()
        };
        // Based on the version in force: the file changed since, so a conflict with it.
        let Err(SaveError::Conflict {
            current,
            current_text,
            ..
        }) = document.save(&mine, &in_force, &context)
        else {
            panic!("a conflict");
        };
        assert_eq!(current_text, broken);
        // Based on what is on disk: saved over it, in force and on disk.
        let saved = document.save(&mine, &current, &context).expect("saved");
        assert_eq!(document.current().revision, saved);
        assert_eq!(document.get().name, "Panadería Lola");
        let on_disk = fs::read_to_string(tmp.path().join("shop.json")).expect("read");
        assert!(on_disk.contains("Panadería Lola"), "{on_disk}");
        // An older base is still a conflict.
        assert!(matches!(
            document.save(&mine, &in_force, &context),
            Err(SaveError::Conflict { .. })
        ));
    }

    #[test]
    fn a_newer_format_is_refused_with_advice() {
        let problems = parse::<Shop>(
            "shop.json",
            "{\"version\": 3, \"name\": \"x\"}",
            &Context::default(),
        )
        .expect_err("refused");
        assert!(problems[0].message.contains("upgrade Cocolu"));
    }
}
