//! The one-shot commands (`check`, `schema`, `backup`, `repair`): each prints what it did for a
//! person and returns the exit status.

use crate::cli::Folders;
use crate::store::{self, backup, check, log::Log, log::LogOptions, LOG_DIR};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `cocolu check`: every problem with file, line and column; exit 1 if there is any.
pub fn check(folders: &Folders) -> ExitCode {
    let report = check::check(&folders.data_dir, &folders.templates_dir);
    for note in &report.notes {
        println!("note: {note}");
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    if report.problems.is_empty() {
        println!(
            "ok: {} and {} have no problems",
            folders.data_dir.display(),
            folders.templates_dir.display()
        );
        ExitCode::SUCCESS
    } else {
        println!("{} problem(s) found", report.problems.len());
        ExitCode::FAILURE
    }
}

/// `cocolu schema`: writes the JSON Schemas.
pub fn schema(out: Option<PathBuf>, folders: &Folders) -> ExitCode {
    let out = out.unwrap_or_else(|| folders.data_dir.join(store::SCHEMA_DIR));
    if let Err(error) = std::fs::create_dir_all(&out) {
        eprintln!("error: cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    for (name, text) in store::schemas() {
        let path = out.join(name);
        if let Err(error) = store::atomic::write_atomic(&path, text.as_bytes(), 0o644) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

/// `cocolu backup DEST`.
pub fn backup(dest: &Path, folders: &Folders) -> ExitCode {
    match backup::backup(&folders.data_dir, dest) {
        Ok(report) => {
            println!(
                "backed up {} files ({} bytes) from {} to {}",
                report.files,
                report.bytes,
                folders.data_dir.display(),
                dest.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: the backup failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `cocolu repair`: opens the log with repair, which moves corrupt records aside.
pub fn repair(folders: &Folders) -> ExitCode {
    let _lock = match store::lock_data_dir(&folders.data_dir) {
        Ok(lock) => lock,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match Log::open(
        &folders.data_dir.join(LOG_DIR),
        LogOptions {
            repair: true,
            ..LogOptions::default()
        },
    ) {
        Ok((_, recovery)) => {
            for (file, line) in &recovery.repaired {
                println!("moved aside: {LOG_DIR}/{file}:{line} (copy in {LOG_DIR}/corrupt/)");
            }
            if recovery.truncated_bytes > 0 {
                println!(
                    "cut off {} bytes of an interrupted write at the end of the log",
                    recovery.truncated_bytes
                );
            }
            if recovery.repaired.is_empty() && recovery.truncated_bytes == 0 {
                println!("ok: the log needed no repair");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
