//! `cocolu backup DEST`: a consistent copy of the data folder, also while the server runs.
//!
//! JSON files are always whole (they are replaced atomically), so copying them is safe. A log
//! segment may be growing: it is copied up to its last complete line. The copy is assembled in
//! a temporary folder next to DEST and renamed into place once everything is synced, so DEST
//! either does not exist or is complete.

use super::atomic::{is_temp_file, sync_dir};
use super::{LOCK_FILE, LOG_DIR};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What was copied.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BackupReport {
    pub files: u64,
    pub bytes: u64,
}

/// Copies `data_dir` to `dest`, which must not exist yet.
pub fn backup(data_dir: &Path, dest: &Path) -> io::Result<BackupReport> {
    if dest.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists; choose a new folder for the backup",
                dest.display()
            ),
        ));
    }
    if !data_dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} is not a data folder", data_dir.display()),
        ));
    }
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("backup");
    let partial = dest.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut report = BackupReport::default();
    let result = copy_dir(data_dir, &partial, Path::new(""), &mut report).and_then(|()| {
        fs::rename(&partial, dest)?;
        sync_dir(
            dest.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&partial);
    }
    result.map(|()| report)
}

/// Copies `root/relative` into `dest/relative`, recursively.
fn copy_dir(
    root: &Path,
    dest: &Path,
    relative: &Path,
    report: &mut BackupReport,
) -> io::Result<()> {
    let (from, to) = (root.join(relative), dest.join(relative));
    super::create_private_dir(&to)?;
    let mut entries: Vec<PathBuf> = fs::read_dir(&from)?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    entries.sort();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if is_temp_file(name) || (relative.as_os_str().is_empty() && name == LOCK_FILE) {
            continue;
        }
        let kind = fs::symlink_metadata(&path)?.file_type();
        if kind.is_dir() {
            copy_dir(root, dest, &relative.join(name), report)?;
        } else if kind.is_file() {
            let is_segment = relative == Path::new(LOG_DIR) && name.ends_with(".jsonl");
            report.bytes += copy_file(&path, &to.join(name), is_segment)?;
            report.files += 1;
        }
    }
    File::open(&to)?.sync_all()
}

/// Copies a file (a log segment up to its last newline) and syncs the copy.
fn copy_file(from: &Path, to: &Path, whole_lines_only: bool) -> io::Result<u64> {
    let mut bytes = Vec::new();
    File::open(from)?.read_to_end(&mut bytes)?;
    if whole_lines_only {
        let end = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(end);
    }
    let mut file = File::create(to)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    if let Ok(meta) = fs::metadata(from) {
        let _ = fs::set_permissions(to, meta.permissions());
    }
    Ok(bytes.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_copies_everything_but_temp_files_and_cuts_a_torn_log_tail() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        fs::create_dir_all(data.join("log")).expect("mkdir");
        fs::create_dir_all(data.join(".last-good")).expect("mkdir");
        fs::write(data.join("settings.json"), "{}\n").expect("write");
        fs::write(data.join(".last-good/settings.json"), "{}\n").expect("write");
        fs::write(data.join(".settings.json.tmp-1-2"), "half").expect("write");
        fs::write(
            data.join("log/000001-2026-11.jsonl"),
            "{\"a\":1}\n{\"a\":2}\n{\"a\":",
        )
        .expect("write");
        let dest = tmp.path().join("copy");

        let report = backup(&data, &dest).expect("backed up");

        assert_eq!(report.files, 3);
        assert_eq!(
            fs::read_to_string(dest.join("settings.json")).expect("read"),
            "{}\n"
        );
        assert!(dest.join(".last-good/settings.json").exists());
        assert!(!dest.join(".settings.json.tmp-1-2").exists());
        assert_eq!(
            fs::read_to_string(dest.join("log/000001-2026-11.jsonl")).expect("read"),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        assert_eq!(
            fs::read_dir(tmp.path()).expect("list").count(),
            2,
            "no partial folder left"
        );
    }

    #[test]
    fn an_existing_destination_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let error = backup(tmp.path(), tmp.path()).expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    }
}
