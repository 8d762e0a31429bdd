//! The data folder's machinery, knowing nothing of what the files mean: the folder's lock,
//! atomic writes ([`atomic`]), hand-editable documents ([`document`]) and the templates folder
//! ([`templates`]) as generic parts, the append-only log ([`log`]) with its message index
//! ([`index`]), the key-value journal ([`journal`]), the watcher ([`watch`]), backups and the
//! offline check. [`Store`] is the log and its index, opened; the documents in force are
//! [`crate::data::Data`].

pub mod atomic;
pub mod backup;
pub mod check;
pub mod document;
pub mod erase;
pub mod index;
pub mod journal;
pub mod log;
pub mod templates;
pub mod watch;

use atomic::{remove_stale_temp_files, write_atomic};
use cocolu_core::document::FileProblem;
use index::MessageIndex;
use log::{Log, LogError, LogOptions, Position};
use parking_lot::{Mutex, RwLock};
use std::collections::HashSet;
use std::fs::{self, File, TryLockError};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// The data folder's log and index, opened (and the folder locked).
pub struct Store {
    dir: PathBuf,
    /// The append-only message log in `log/`.
    pub log: Log,
    /// Where each conversation's records are, and recent message ids.
    pub index: RwLock<MessageIndex>,
    /// Records applied since the index was last checkpointed.
    since_checkpoint: AtomicU64,
    /// Message ids being appended right now, so a concurrent redelivery is not stored twice.
    pending_ids: Mutex<HashSet<String>>,
    /// Appends hold it shared; an erase holds it alone, so no record is appended (or applied
    /// to the index) while the index is rebuilt.
    gate: tokio::sync::RwLock<()>,
    /// Held for as long as the store is open.
    _lock: File,
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
/// Folder (inside the data folder) of customers' downloaded media.
pub const MEDIA_DIR: &str = "media";

/// What erasing a customer removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Log lines blanked.
    pub records: usize,
    /// Media files deleted.
    pub media: usize,
}

impl Store {
    /// Opens (and on first run creates) the data folder, locks it, and loads the log and its
    /// index.
    pub fn open(dir: &Path, options: &StoreOptions) -> Result<Store, StoreError> {
        let io_error = |source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let lock = lock_data_dir(dir)?;
        // The watcher reports absolute paths; a relative `./data` must compare equal to them.
        let dir = &fs::canonicalize(dir).map_err(io_error)?;
        let removed = remove_stale_temp_files(dir).map_err(io_error)?;
        if removed > 0 {
            tracing::info!(
                removed,
                "removed temporary files left by an interrupted write"
            );
        }
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
        let interrupted = erase::pending(&log_dir);
        if let Some(conversation) = &interrupted {
            // A customer's erase was cut short: finish it before anything reads the log.
            // The load below rebuilds the index from the log without the checkpoint.
            let finish = || -> io::Result<()> {
                erase::erase_lines(&log, &dir.join(MEDIA_DIR), conversation)?;
                erase::forget_checkpoint(&log_dir)
            };
            finish().map_err(|source| StoreError::Io {
                path: log_dir.clone(),
                source,
            })?;
            erase::finish(&log_dir).map_err(|source| StoreError::Io {
                path: log_dir.clone(),
                source,
            })?;
            tracing::warn!("finished erasing a customer whose erase was interrupted");
        }
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
        let store = Store {
            dir: dir.to_path_buf(),
            log,
            index: RwLock::new(index),
            since_checkpoint,
            pending_ids: Mutex::new(HashSet::new()),
            gate: tokio::sync::RwLock::new(()),
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
        let _gate = self.gate.read().await;
        self.append_within_gate(records).await
    }

    /// Appends `records` only if `still` holds of the index, checked where no erase can run
    /// until they are written; `Ok(None)` when it did not hold. Work begun before an erase (a
    /// decision, a send's outcome, a media download) must not bring the erased customer back.
    pub async fn append_if(
        &self,
        records: Vec<Vec<u8>>,
        still: impl FnOnce(&MessageIndex) -> bool,
    ) -> Result<Option<Vec<Position>>, LogError> {
        let _gate = self.gate.read().await;
        if !still(&self.index.read()) {
            return Ok(None);
        }
        self.append_within_gate(records).await.map(Some)
    }

    /// Appends while the caller holds the gate's read side.
    async fn append_within_gate(&self, records: Vec<Vec<u8>>) -> Result<Vec<Position>, LogError> {
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

    /// Erases one customer (blocking): their media files deleted, every line of their
    /// conversation blanked, the index rebuilt without them. Appends wait meanwhile. Safe under
    /// kill -9 (see [`erase`]).
    pub fn erase(&self, conversation: &str) -> io::Result<Erased> {
        let log_dir = self.dir.join(LOG_DIR);
        let _gate = self.gate.blocking_write();
        erase::begin(&log_dir, conversation)?;
        let erased = erase::erase_lines(&self.log, &self.dir.join(MEDIA_DIR), conversation)?;
        *self.index.write() = erase::rebuilt_index(&self.log, &log_dir)?;
        self.since_checkpoint.store(0, Ordering::Relaxed);
        erase::finish(&log_dir)?;
        Ok(erased)
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_second_store_on_the_same_folder_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let _first = Store::open(&dir, &StoreOptions::default()).expect("first");
        let second = Store::open(&dir, &StoreOptions::default());
        assert!(matches!(second, Err(StoreError::Locked(_))));
    }

    #[tokio::test]
    async fn appended_records_are_indexed_and_known_again_after_a_restart() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let options = StoreOptions::default();
        let store = Store::open(&dir, &options).expect("opened");
        let record =
            br#"{"kind":"message_in","conversation":"wa:58412","id":"wamid.A","at":1764300000000,"text":"hola"}"#;
        store.append(vec![record.to_vec()]).await.expect("stored");
        assert!(store.index.read().has_id("wamid.A"));
        drop(store);

        let store = Store::open(&dir, &options).expect("reopened");

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
            Store::open(&tmp.path().join("data"), &StoreOptions::default()).expect("opened"),
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
        Store::open(&dir, &StoreOptions::default()).expect("opened");
        assert!(!dir.join(".settings.json.tmp-1-0").exists());
    }
}
