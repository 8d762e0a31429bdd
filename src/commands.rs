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

/// `cocolu simulate`: what the bot would answer, from the files on disk (no lock needed).
pub fn simulate(
    question: &crate::simulate::Question,
    from: Option<&str>,
    folders: &Folders,
) -> ExitCode {
    use crate::engine::rules::Rules;
    use crate::settings::Settings;
    use crate::store::document::{parse, Context, HandEdited};
    use crate::store::templates::TemplateStore;
    if question.text.is_none() && question.button.is_none() && question.r#type.is_none() {
        eprintln!("error: say what the customer writes, for example: cocolu simulate \"¿precio?\"");
        return ExitCode::from(2);
    }
    let templates = TemplateStore::open(&folders.templates_dir);
    let context = Context {
        templates: templates.names(),
    };
    fn load<T: HandEdited>(dir: &Path, context: &Context) -> Result<T, String> {
        match std::fs::read_to_string(dir.join(T::FILE)) {
            Ok(text) => parse::<T>(T::FILE, &text, context).map_err(|problems| {
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::defaults()),
            Err(e) => Err(format!("cannot read {}: {e}", T::FILE)),
        }
    }
    let (settings, rules) = match (
        load::<Settings>(&folders.data_dir, &context),
        load::<Rules>(&folders.data_dir, &context),
    ) {
        (Ok(settings), Ok(rules)) => (settings, rules),
        (Err(problems), _) | (_, Err(problems)) => {
            eprintln!("{problems}\nfix the file (`cocolu check` lists every problem)");
            return ExitCode::FAILURE;
        }
    };
    let state = from.and_then(|from| last_contact_state(&folders.data_dir.join(LOG_DIR), from));
    let lookup = |name: &str| templates.get(name);
    let answer = crate::simulate::simulate(
        std::sync::Arc::new(rules),
        &settings,
        &lookup,
        state,
        question,
        jiff::Timestamp::now(),
    );
    println!("{}", crate::simulate::explain(&answer.reason));
    for (i, text) in answer.preview.iter().enumerate() {
        println!("\n--- reply {} ---\n{text}", i + 1);
    }
    if answer.preview.is_empty() {
        println!("(no reply)");
    }
    ExitCode::SUCCESS
}

/// The latest remembered state of a conversation, read from the log files without opening
/// the log (so the server may keep running).
fn last_contact_state(
    log_dir: &Path,
    conversation: &str,
) -> Option<crate::engine::decide::ContactState> {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(log_dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    segments.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    segments.sort();
    let mut last = None;
    for segment in segments {
        let Ok(text) = std::fs::read_to_string(&segment) else {
            continue;
        };
        for line in text.lines() {
            if !line.contains("\"contact_state\"") {
                continue;
            }
            let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if record["kind"] == "contact_state" && record["conversation"] == conversation {
                last = serde_json::from_value(record["state"].clone()).ok();
            }
        }
    }
    last
}
