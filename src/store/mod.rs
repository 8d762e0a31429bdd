//! The data folder: state in memory, persisted to plain files, reloaded when people edit them.
//!
//! - `settings.json`, `rules.json` and `users.json`: hand-editable documents ([`document`]).
//! - `templates/`: reply templates overriding the built-in ones ([`templates`]).
//! - `schema/`: JSON Schemas of the hand-editable files, rewritten at start when they change.
//! - `.last-good/`: the last accepted copy of each document.
//!
//! Every change that matters is published as a [`ServerEvent`] for the dashboard's WebSocket.

pub mod atomic;
pub mod backup;
pub mod check;
pub mod document;
pub mod index;
pub mod journal;
pub mod log;
pub mod templates;
pub mod watch;

use crate::auth::users::Users;
use crate::telemetry::Escaped;
use atomic::{remove_stale_temp_files, write_atomic};
use cocolu_core::document::{schema_file_name, Context, FileProblem, HandEdited};
use cocolu_core::engine::rules::Rules;
use cocolu_core::events::ServerEvent;
use cocolu_core::settings::Settings;
use document::{Document, Reload};
use index::MessageIndex;
use log::{Log, LogError, LogOptions, Position};
use parking_lot::{Mutex, RwLock};
use std::collections::HashSet;
use std::fs::{self, File, TryLockError};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use templates::{TemplateStore, TemplatesChange};
use tokio::sync::broadcast;

/// An event as published: the value, for the server's own listeners, and its JSON, encoded
/// once for every WebSocket client rather than once per client.
#[derive(Clone, Debug)]
pub struct Published {
    pub event: std::sync::Arc<ServerEvent>,
    pub json: bytes::Bytes,
}

impl Published {
    pub fn new(event: ServerEvent) -> Published {
        // Serializing these plain types to JSON cannot fail.
        let json = serde_json::to_vec(&event).unwrap_or_default();
        Published {
            event: std::sync::Arc::new(event),
            json: json.into(),
        }
    }
}

/// Folder (inside the data folder) holding the JSON Schemas.
pub const SCHEMA_DIR: &str = "schema";

/// Why the store could not open or write.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{}\nfix the file (`cocolu check` lists every problem) and start again", problems_text(.0))]
    Invalid(Vec<FileProblem>),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("another Cocolu process is using the data folder {0}; stop it first")]
    Locked(PathBuf),
}

fn problems_text(problems: &[FileProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// File whose lock marks the data folder as in use by one Cocolu process.
pub const LOCK_FILE: &str = ".lock";

/// Takes the data folder's lock, so that no second server or `cocolu repair` writes the same
/// files. The lock goes with the returned file (and with the process, even on `kill -9`).
pub fn lock_data_dir(dir: &Path) -> Result<File, StoreError> {
    let io_error = |source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    };
    prepare_data_dir(dir).map_err(io_error)?;
    let path = dir.join(LOCK_FILE);
    // Created once, then held open read-only: a file open for writing would keep the file
    // system from being remounted read-only by an operator.
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .append(true)
        .open(&path)
        .map_err(io_error)?;
    let file = File::open(&path).map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked(dir.to_path_buf())),
        Err(TryLockError::Error(source)) => Err(io_error(source)),
    }
}

/// `dir` as an absolute path with symbolic links resolved, as far as it exists.
fn absolute_dir(dir: &Path) -> PathBuf {
    fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// Mode of every folder Cocolu creates: the data folder holds customers' messages and the
/// accounts' password hashes, so only the service user may list or enter it. The unit's
/// `UMask=0077` does the same under systemd; this also holds when Cocolu runs by hand.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` and any missing parents with mode 0700. A folder that exists keeps its mode:
/// an operator who opened one up on purpose is not overruled at every start.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Creates the data folder if needed and checks that files can be written in it.
pub fn prepare_data_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    let probe = dir.join(".cocolu-write-probe");
    fs::write(&probe, b"ok")?;
    fs::remove_file(&probe)
}

/// The JSON Schema of a hand-editable document, pretty-printed.
pub fn schema_text<T: HandEdited + schemars::JsonSchema>() -> String {
    let schema = schemars::schema_for!(T);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Every hand-editable document's schema: (file name, text).
pub fn schemas() -> Vec<(String, String)> {
    vec![
        (schema_file_name::<Settings>(), schema_text::<Settings>()),
        (schema_file_name::<Rules>(), schema_text::<Rules>()),
        (schema_file_name::<Users>(), schema_text::<Users>()),
    ]
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

/// The data folder, opened.
pub struct Store {
    dir: PathBuf,
    pub settings: Document<Settings>,
    pub rules: Document<Rules>,
    /// Accounts, invitations and API tokens.
    pub users: Document<Users>,
    pub templates: TemplateStore,
    /// The append-only message log in `log/`.
    pub log: Log,
    /// Where each conversation's records are, and recent message ids.
    pub index: RwLock<MessageIndex>,
    /// Records applied since the index was last checkpointed.
    since_checkpoint: AtomicU64,
    /// Hand edits rejected since start (a file with an error, the last good version kept).
    reload_errors: AtomicU64,
    /// Message ids being appended right now, so a concurrent redelivery is not stored twice.
    pending_ids: Mutex<HashSet<String>>,
    events: broadcast::Sender<Published>,
    /// Held for as long as the store is open.
    _lock: File,
}

/// A document's problems on disk, including its deletion.
fn document_problems<T: HandEdited>(document: &Document<T>) -> Vec<FileProblem> {
    let current = document.current();
    let mut problems = current.problems;
    if current.missing {
        problems.push(FileProblem {
            file: T::FILE.into(),
            line: 1,
            column: 1,
            message:
                "the file was deleted; the last good version stays in force until it is saved again"
                    .into(),
            pointer: None,
        });
    }
    problems
}

fn report_checkpoint(result: io::Result<()>) {
    if let Err(error) = result {
        tracing::warn!(%error, "cannot checkpoint the message index; start-up will read more of the log");
    }
}

/// The index is checkpointed after this many new records (and at shutdown).
pub const CHECKPOINT_EVERY: u64 = 10_000;

/// Options for opening the store.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// Move corrupt log records aside instead of refusing to start.
    pub repair: bool,
}

/// Folder (inside the data folder) of the append-only log.
pub const LOG_DIR: &str = "log";

impl Store {
    /// Opens (and on first run creates) the data folder and loads everything in it.
    pub fn open(
        dir: &Path,
        templates_dir: &Path,
        options: &StoreOptions,
    ) -> Result<Store, StoreError> {
        let io_error = |source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let lock = lock_data_dir(dir)?;
        // The watcher reports absolute paths; a relative `./data` must compare equal to them.
        let dir = &fs::canonicalize(dir).map_err(io_error)?;
        // Created here (the watcher would create it anyway) so that it has a canonical path.
        let _ = create_private_dir(templates_dir);
        let templates_dir = &absolute_dir(templates_dir);
        let removed = remove_stale_temp_files(dir).map_err(io_error)?;
        if removed > 0 {
            tracing::info!(
                removed,
                "removed temporary files left by an interrupted write"
            );
        }
        if let Err(error) = write_schemas(dir) {
            tracing::warn!(%error, "cannot write the JSON Schemas into the data folder");
        }
        let templates = TemplateStore::open(templates_dir);
        let context = crate::store::document::context_with(templates.names());
        let settings = Document::open(dir, &context)?;
        let rules = Document::open(dir, &context)?;
        let users = Document::open(dir, &context)?;
        let log_options = LogOptions {
            repair: options.repair,
            ..LogOptions::default()
        };
        let (log, recovery) = Log::open(&dir.join(LOG_DIR), log_options)?;
        if !recovery.repaired.is_empty() {
            tracing::warn!(
                lines = recovery.repaired.len(),
                "corrupt log records moved aside into log/corrupt/"
            );
        }
        let log_dir = dir.join(LOG_DIR);
        let (index, loaded) = index::load(&log, &log_dir).map_err(|source| StoreError::Io {
            path: log_dir.clone(),
            source,
        })?;
        tracing::info!(
            conversations = index.conversation_count(),
            records = index.record_count(),
            replayed = loaded.replayed,
            from_checkpoint = loaded.from_checkpoint,
            "message index loaded"
        );
        let since_checkpoint = AtomicU64::new(loaded.replayed);
        let (events, _) = broadcast::channel(256);
        let store = Store {
            dir: dir.to_path_buf(),
            settings,
            rules,
            users,
            templates,
            log,
            index: RwLock::new(index),
            since_checkpoint,
            reload_errors: AtomicU64::new(0),
            pending_ids: Mutex::new(HashSet::new()),
            events,
            _lock: lock,
        };
        if !loaded.from_checkpoint || loaded.replayed >= CHECKPOINT_EVERY {
            store.checkpoint();
        }
        Ok(store)
    }

    /// Appends records to the log, durably, then adds them to the index. Either all are
    /// stored or none (the error says why).
    pub async fn append(&self, records: Vec<Vec<u8>>) -> Result<Vec<Position>, LogError> {
        let positions = self.log.append(records.clone()).await?;
        // Read before the lock: readers of the index wait only for the bookkeeping.
        let reads: Vec<_> = records.iter().map(|r| index::ReadLine::of(r)).collect();
        {
            let mut index = self.index.write();
            for ((position, record), read) in positions.iter().zip(&records).zip(reads) {
                index.apply_read(*position, record, read);
            }
        }
        let added = records.len() as u64;
        if self.since_checkpoint.fetch_add(added, Ordering::Relaxed) + added >= CHECKPOINT_EVERY {
            self.since_checkpoint.store(0, Ordering::Relaxed);
            let (path, encoded) = self.checkpoint_contents();
            let written = tokio::task::spawn_blocking(move || write_atomic(&path, &encoded, 0o600))
                .await
                .unwrap_or_else(|e| Err(io::Error::other(e)));
            report_checkpoint(written);
        }
        Ok(positions)
    }

    /// Appends records of which some carry a message id, skipping every id already stored
    /// (within the dedupe window) or being stored right now. Returns, per record, whether it
    /// was stored (`false`: a duplicate). Durable when it returns `Ok`.
    pub async fn append_deduplicated(
        &self,
        records: Vec<(Option<String>, Vec<u8>)>,
    ) -> Result<Vec<bool>, LogError> {
        let mut stored = Vec::with_capacity(records.len());
        let mut claimed: Vec<String> = Vec::new();
        let mut fresh = Vec::with_capacity(records.len());
        {
            let index = self.index.read();
            let mut pending = self.pending_ids.lock();
            for (id, bytes) in records {
                match id {
                    Some(id) if index.has_id(&id) || pending.contains(&id) => stored.push(false),
                    Some(id) => {
                        pending.insert(id.clone());
                        claimed.push(id);
                        fresh.push(bytes);
                        stored.push(true);
                    }
                    None => {
                        fresh.push(bytes);
                        stored.push(true);
                    }
                }
            }
        }
        let result = if fresh.is_empty() {
            Ok(Vec::new())
        } else {
            self.append(fresh).await
        };
        let mut pending = self.pending_ids.lock();
        for id in &claimed {
            pending.remove(id);
        }
        result.map(|_| stored)
    }

    /// Writes the index checkpoint now (blocking); failures only cost start-up time.
    pub fn checkpoint(&self) {
        let (path, encoded) = self.checkpoint_contents();
        self.since_checkpoint.store(0, Ordering::Relaxed);
        report_checkpoint(write_atomic(&path, &encoded, 0o600));
    }

    fn checkpoint_contents(&self) -> (PathBuf, Vec<u8>) {
        let encoded = self.index.read().encode();
        (index::checkpoint_path(&self.dir.join(LOG_DIR)), encoded)
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What validation consults: the templates in force.
    pub fn context(&self) -> Context {
        crate::store::document::context_with(self.templates.names())
    }

    /// Receives every change the store publishes.
    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.events.subscribe()
    }

    /// Every problem of the files on disk right now (empty when all is well).
    pub fn problems(&self) -> Vec<FileProblem> {
        let mut problems = document_problems(&self.settings);
        problems.extend(document_problems(&self.rules));
        problems.extend(document_problems(&self.users));
        let templates = self.templates.current();
        problems.extend(templates.problems.iter().cloned());
        problems.extend(templates.missing.iter().map(|name| FileProblem {
            file: templates::display_name(name),
            line: 1,
            column: 1,
            message: "the file was deleted; the last good version stays in force until it is saved again".into(),
            pointer: None,
        }));
        problems
    }

    /// Hand edits rejected since start.
    pub fn reload_errors(&self) -> u64 {
        self.reload_errors.load(Ordering::Relaxed)
    }

    /// Sends an event to every dashboard connected over `/ws`.
    pub fn publish(&self, event: ServerEvent) {
        // No subscriber is not an error: nobody has the dashboard open.
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(Published::new(event));
        }
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
        } else if path.parent() == Some(self.dir.as_path()) && name == Settings::FILE {
            let outcome = self.settings.reload(&self.context());
            self.report(Settings::FILE, outcome);
        } else if path.parent() == Some(self.dir.as_path()) && name == Rules::FILE {
            let outcome = self.rules.reload(&self.context());
            self.report(Rules::FILE, outcome);
        } else if path.parent() == Some(self.dir.as_path()) && name == Users::FILE {
            let outcome = self.users.reload(&self.context());
            self.report(Users::FILE, outcome);
        }
    }

    fn report(&self, file: &str, outcome: Reload) {
        match outcome {
            Reload::Unchanged => {}
            Reload::Reloaded | Reload::Restored => {
                tracing::info!(file, "reloaded");
                self.publish(ServerEvent::FileReloaded { file: file.into() });
            }
            Reload::Rejected(problems) => {
                self.reload_errors.fetch_add(1, Ordering::Relaxed);
                for problem in &problems {
                    tracing::error!(problem = %Escaped(&problem), "edit rejected; the last good version stays in force");
                }
                self.publish(ServerEvent::FileError {
                    file: file.into(),
                    problems,
                });
            }
            Reload::Missing => {
                tracing::warn!(
                    file,
                    "file deleted; the last good version stays in force until it is saved again"
                );
                self.publish(ServerEvent::FileMissing { file: file.into() });
            }
        }
    }

    fn report_templates(&self, change: TemplatesChange) {
        for file in change.reloaded {
            tracing::info!(file, "reloaded");
            self.publish(ServerEvent::FileReloaded { file });
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
            self.publish(ServerEvent::FileError { file, problems });
        }
        for file in change.missing {
            tracing::warn!(
                file,
                "file deleted; the last good version stays in force until it is saved again"
            );
            self.publish(ServerEvent::FileMissing { file });
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

    #[test]
    fn a_missing_data_folder_is_created_with_defaults_and_schemas() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("nested/data");
        let store = Store::open(
            &dir,
            &tmp.path().join("templates"),
            &StoreOptions::default(),
        )
        .expect("opened");
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
        assert!(store.problems().is_empty());
    }

    #[test]
    fn new_folders_are_private_and_existing_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let shared = tmp.path().join("shared");
        fs::create_dir(&shared).expect("mkdir");
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o750)).expect("chmod");

        create_private_dir(&shared.join("data/log")).expect("created");

        let mode = |p: &Path| fs::metadata(p).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode(&shared), 0o750);
        assert_eq!(mode(&shared.join("data")), 0o700);
        assert_eq!(mode(&shared.join("data/log")), 0o700);
    }

    #[test]
    fn a_data_folder_that_is_a_file_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("data");
        fs::write(&file, b"not a folder").expect("write");
        assert!(prepare_data_dir(&file).is_err());
    }

    #[test]
    fn a_broken_file_at_start_falls_back_to_the_last_good_copy() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        drop(
            Store::open(&dir, &tmp.path().join("t"), &StoreOptions::default())
                .expect("first start"),
        );
        fs::write(dir.join("settings.json"), "{ \"version\": 1,\n  oops }").expect("write");

        let store = Store::open(&dir, &tmp.path().join("t"), &StoreOptions::default())
            .expect("second start");

        assert_eq!(store.settings.get().business.name, "Mi Tienda");
        let problems = store.problems();
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

        let error = Store::open(&dir, &tmp.path().join("t"), &StoreOptions::default())
            .err()
            .expect("refused");

        let text = error.to_string();
        assert!(text.starts_with("settings.json:3:"), "{text}");
        assert!(text.contains("cocolu check"), "{text}");
    }

    #[test]
    fn a_second_store_on_the_same_folder_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let _first =
            Store::open(&dir, &tmp.path().join("t"), &StoreOptions::default()).expect("first");
        let second = Store::open(&dir, &tmp.path().join("t"), &StoreOptions::default());
        assert!(matches!(second, Err(StoreError::Locked(_))));
    }

    #[tokio::test]
    async fn appended_records_are_indexed_and_known_again_after_a_restart() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let options = StoreOptions::default();
        let store = Store::open(&dir, &tmp.path().join("t"), &options).expect("opened");
        let record =
            br#"{"kind":"message_in","conversation":"wa:58412","id":"wamid.A","at":1764300000000,"text":"hola"}"#;
        store.append(vec![record.to_vec()]).await.expect("stored");
        assert!(store.index.read().has_id("wamid.A"));
        drop(store);

        let store = Store::open(&dir, &tmp.path().join("t"), &options).expect("reopened");

        let index = store.index.read();
        assert!(
            index.has_id("wamid.A"),
            "a redelivery after a restart is recognised"
        );
        let latest = index.latest(&store.log, "wa:58412", 10).expect("read");
        assert_eq!(latest.len(), 1);
        assert_eq!(&*latest[0], &record[..]);
    }

    #[tokio::test]
    async fn a_message_id_is_stored_once_even_when_delivered_concurrently() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = std::sync::Arc::new(
            Store::open(
                &tmp.path().join("data"),
                &tmp.path().join("t"),
                &StoreOptions::default(),
            )
            .expect("opened"),
        );
        let record = || {
            (
                Some("wamid.X".to_string()),
                br#"{"kind":"message_in","conversation":"c","id":"wamid.X","at":1}"#.to_vec(),
            )
        };
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .append_deduplicated(vec![record()])
                        .await
                        .expect("stored")
                })
            })
            .collect();
        let mut stored = 0;
        for task in tasks {
            stored += task.await.expect("joined").iter().filter(|s| **s).count();
        }
        assert_eq!(stored, 1);
        assert_eq!(store.index.read().record_count(), 1);
        let again = store
            .append_deduplicated(vec![record(), (None, b"{\"x\":1}".to_vec())])
            .await
            .expect("ok");
        assert_eq!(again, vec![false, true]);
    }

    #[test]
    fn stale_temp_files_are_removed_at_start() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join(".settings.json.tmp-1-0"), "half").expect("write");
        Store::open(&dir, &tmp.path().join("t"), &StoreOptions::default()).expect("opened");
        assert!(!dir.join(".settings.json.tmp-1-0").exists());
    }
}
