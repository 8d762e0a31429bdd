//! Atomic file replacement: a reader (the server after a crash, an editor, rsync) sees the old
//! file or the new one, never a mix.
//!
//! Steps: write a temporary file in the same folder, `fsync` it, rename it over the target,
//! then `fsync` the folder so the rename itself survives a power cut. An `fsync` error means
//! the write failed; it is not retried on the same descriptor (the kernel may have dropped the
//! dirty pages and would report success the second time).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Temporary files are named `.NAME.tmp-PID-N`; the watcher and the rsync recipe skip them.
pub const TEMP_MARKER: &str = ".tmp-";

/// Whether a file name is one of our temporary files.
pub fn is_temp_file(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARKER)
}

fn temp_path(target: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "target has no file name"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(target.with_file_name(format!(".{name}{TEMP_MARKER}{}-{n}", std::process::id())))
}

/// `fsync`s a folder, making renames and new files in it durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `target` with `bytes` atomically and durably. A new file gets `mode`; an existing
/// one keeps its permissions (a secrets file stays 0600 whoever rewrites it).
pub fn write_atomic(target: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mode = match fs::metadata(target) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(_) => mode,
    };
    let temp = temp_path(target)?;
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, target)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // Best effort: a leftover temp file is removed at the next start anyway.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// A file written in pieces that takes its name only when complete: the pieces go to a
/// temporary file in the target's folder, and [`PendingFile::commit`] makes them durable and
/// renames the file over the target. Dropped without a commit (a download that broke off or
/// passed its size cap), the temporary file is deleted: nothing partial appears under the
/// target's name.
pub struct PendingFile {
    target: PathBuf,
    temp: PathBuf,
    file: File,
    renamed: bool,
}

impl PendingFile {
    /// Starts a file that will replace `target`, created with `mode` (blocking).
    pub fn create(target: &Path, mode: u32) -> io::Result<PendingFile> {
        let temp = temp_path(target)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)?;
        Ok(PendingFile {
            target: target.to_path_buf(),
            temp,
            file,
            renamed: false,
        })
    }

    /// Appends `bytes` (blocking).
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    /// `fsync`s the file, renames it over the target and `fsync`s the folder (blocking).
    pub fn commit(mut self) -> io::Result<()> {
        self.file.sync_all()?;
        fs::rename(&self.temp, &self.target)?;
        self.renamed = true;
        let dir = self
            .target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        sync_dir(dir)
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.renamed {
            // Best effort: a leftover temporary file is swept later anyway.
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Removes temporary files a crash left behind in `dir`; returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_str().is_some_and(is_temp_file) {
            fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_is_written_with_its_mode_and_no_temp_file_remains() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("settings.json");

        write_atomic(&target, b"{\"a\":1}", 0o600).expect("written");

        assert_eq!(fs::read(&target).expect("read"), b"{\"a\":1}");
        assert_eq!(
            fs::metadata(&target).expect("meta").permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn replacing_keeps_the_existing_permissions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("rules.json");
        fs::write(&target, b"old").expect("write");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).expect("chmod");

        write_atomic(&target, b"new", 0o600).expect("written");

        assert_eq!(fs::read(&target).expect("read"), b"new");
        assert_eq!(
            fs::metadata(&target).expect("meta").permissions().mode() & 0o777,
            0o640
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("missing-folder").join("x.json");

        assert!(write_atomic(&target, b"new", 0o600).is_err());
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn a_pending_file_appears_whole_under_its_name_only_when_committed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("M1.jpg");

        let mut pending = PendingFile::create(&target, 0o600).expect("created");
        pending.write(b"first ").expect("written");
        pending.write(b"second").expect("written");
        assert!(!target.exists(), "nothing under the name before the commit");
        pending.commit().expect("committed");

        assert_eq!(fs::read(&target).expect("read"), b"first second");
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn a_pending_file_dropped_without_a_commit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("M2.jpg");

        let mut pending = PendingFile::create(&target, 0o600).expect("created");
        pending.write(b"half").expect("written");
        drop(pending);

        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn stale_temp_files_are_recognised_and_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(".settings.json.tmp-12-0"), b"half").expect("write");
        fs::write(dir.path().join("settings.json"), b"{}").expect("write");
        fs::write(dir.path().join(".hidden"), b"keep").expect("write");

        assert_eq!(remove_stale_temp_files(dir.path()).expect("removed"), 1);
        assert!(dir.path().join("settings.json").exists());
        assert!(dir.path().join(".hidden").exists());
    }
}
