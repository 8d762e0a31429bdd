//! The one-shot commands (`check`, `schema`, `backup`, `repair`): each prints what it did for a
//! person and returns the exit status.

use crate::auth::users::Users;
use crate::auth::{self, AuthError, NewUser};
use crate::cli::{ContactAction, Folders, UserAction};
use crate::store::document::Document;
use crate::store::{
    self, backup, check, log::Log, log::LogOptions, Store, StoreError, StoreOptions, LOG_DIR,
};
use cocolu_core::api::accounts::Role;
use cocolu_core::document::Context;
use cocolu_core::log::LogRecord;
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
    let out = out.unwrap_or_else(|| folders.data_dir.join(crate::data::SCHEMA_DIR));
    if let Err(error) = store::create_private_dir(&out) {
        eprintln!("error: cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    for (name, text) in crate::data::schemas() {
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
    question: &cocolu_core::engine::simulate::Question,
    from: Option<&str>,
    folders: &Folders,
) -> ExitCode {
    use crate::store::templates::TemplateStore;
    use cocolu_core::document::{parse, Context, HandEdited};
    use cocolu_core::engine::rules::Rules;
    use cocolu_core::settings::Settings;
    if question.text.is_none() && question.button.is_none() && question.r#type.is_none() {
        eprintln!("error: say what the customer writes, for example: cocolu simulate \"¿precio?\"");
        return ExitCode::from(2);
    }
    let templates = TemplateStore::open(&folders.templates_dir);
    let context = crate::store::document::context_with(templates.names());
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
    let answer = cocolu_core::engine::simulate::simulate(
        std::sync::Arc::new(rules),
        &settings,
        &lookup,
        state,
        question,
        jiff::Timestamp::now(),
    );
    println!("{}", cocolu_core::engine::simulate::explain(&answer.reason));
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
) -> Option<cocolu_core::engine::decide::ContactState> {
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
            if let Some(LogRecord::ContactState(record)) = LogRecord::from_line(line.as_bytes()) {
                if record.conversation == conversation {
                    last = Some(record.state);
                }
            }
        }
    }
    last
}

/// The users document of a data folder, opened without the server's lock: a change is saved
/// like a hand edit, and a running server picks it up.
fn users_document(folders: &Folders) -> Result<Document<Users>, String> {
    same_owner(&folders.data_dir)?;
    store::prepare_data_dir(&folders.data_dir)
        .map_err(|e| format!("cannot use {}: {e}", folders.data_dir.display()))?;
    Document::open(&folders.data_dir, &Context::default()).map_err(|e| e.to_string())
}

/// Refuses to write into a data folder that belongs to another user (run as root on the
/// service's folder, the new file would be unreadable by the service).
fn same_owner(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    // `/proc/self` belongs to the user this process runs as.
    let (Ok(me), Ok(folder)) = (std::fs::metadata("/proc/self"), std::fs::metadata(dir)) else {
        return Ok(());
    };
    if me.uid() == folder.uid() {
        return Ok(());
    }
    Err(format!(
        "{} belongs to another user (uid {}); run this as that user so the server can read \
         what it writes, for example: sudo -u {} cocolu ...",
        dir.display(),
        folder.uid(),
        crate::install::USER
    ))
}

/// The password from standard input, or a new strong one that is printed.
fn password(from_stdin: bool) -> Result<(String, bool), String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password: {e}"))?;
        Ok((line.trim_end_matches(['\n', '\r']).to_string(), false))
    } else {
        let made = format!("{}-{}", auth::secret::new_code(), auth::secret::new_code());
        Ok((made, true))
    }
}

fn report(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn edit(
    document: &Document<Users>,
    change: impl FnMut(&mut Users) -> Result<(), AuthError>,
) -> Result<(), String> {
    auth::edit_users(document, &Context::default(), change).map_err(|e| e.to_string())
}

/// `cocolu user add|reset-password|list`.
/// `cocolu contact export|erase ID`.
pub fn contact(action: ContactAction, folders: &Folders) -> ExitCode {
    let now = crate::clock::Clock::system().now_ms();
    report(match action {
        ContactAction::Export { id } => {
            crate::contacts::export_from_folder(&folders.data_dir, &id, now)
                .map_err(|e| format!("cannot read {}: {e}", folders.data_dir.display()))
                .and_then(|export| {
                    if export.records.is_empty() {
                        return Err(format!("nothing is stored about `{id}`"));
                    }
                    serde_json::to_string_pretty(&export).map_err(|e| e.to_string())
                })
        }
        ContactAction::Erase { id } => erase_contact(&id, folders),
    })
}

fn erase_contact(id: &str, folders: &Folders) -> Result<String, String> {
    same_owner(&folders.data_dir)?;
    let store = match Store::open(&folders.data_dir, &StoreOptions::default()) {
        Ok(store) => store,
        Err(StoreError::Locked(_)) => {
            return Err(format!(
                "the server is running on {}: erase through its API (an administrator's \
                 `POST /api/contacts/{id}/erase`), or stop it first",
                folders.data_dir.display()
            ))
        }
        Err(error) => return Err(error.to_string()),
    };
    let erased = store.erase(id).map_err(|e| e.to_string())?;
    if erased.records == 0 {
        return Err(format!("nothing is stored about `{id}`"));
    }
    let audit = crate::auth::audit::AuditLog::new(&folders.data_dir);
    let entry = cocolu_core::api::accounts::AuditEntry {
        at: crate::clock::Clock::system().now_ms(),
        actor: "cli".into(),
        action: "contact_erased".into(),
        target: crate::contacts::audit_name(id),
        ip: String::new(),
        detail: format!("{} records, {} media files", erased.records, erased.media),
    };
    audit
        .append(&entry)
        .map_err(|e| format!("erased, but the audit log could not be written: {e}"))?;
    Ok(format!(
        "erased `{id}`: {} records blanked in the log, {} media files deleted",
        erased.records, erased.media
    ))
}

pub fn user(action: UserAction, folders: &Folders) -> ExitCode {
    report(users_document(folders).and_then(|document| match action {
        UserAction::Add {
            username,
            role,
            name,
            password_stdin,
        } => {
            let (password, made) = password(password_stdin)?;
            let new = NewUser {
                username,
                name,
                password: password.clone(),
            };
            let user = auth::cli_user(&new, role.into()).map_err(|e| e.to_string())?;
            let username = user.username.clone();
            edit(&document, |users| {
                auth::cli_insert_user(users, user.clone())
            })?;
            Ok(if made {
                format!("added {username}; password: {password}\n(change it after signing in)")
            } else {
                format!("added {username}")
            })
        }
        UserAction::ResetPassword {
            username,
            password_stdin,
        } => {
            let (password, made) = password(password_stdin)?;
            let hash = auth::cli_password_hash(&username, &password).map_err(|e| e.to_string())?;
            edit(&document, |users| {
                auth::cli_reset_password(users, &username, &hash)
            })?;
            Ok(if made {
                format!("new password for {username}: {password}\n(their sessions have ended)")
            } else {
                format!("password changed for {username}; their sessions have ended")
            })
        }
        UserAction::List => {
            let users = document.get();
            if users.users.is_empty() {
                return Ok("no users yet: open the dashboard to create the administrator".into());
            }
            Ok(users
                .users
                .iter()
                .map(|u| {
                    format!(
                        "{}\t{}\t{}{}",
                        u.username,
                        u.role.as_str(),
                        u.name,
                        if u.disabled { "\t(disabled)" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }))
}

/// `cocolu token NAME`: prints a new API token.
pub fn token(name: &str, role: Role, folders: &Folders) -> ExitCode {
    report(users_document(folders).and_then(|document| {
        let name = name.trim();
        if name.is_empty() {
            return Err("the token needs a name".into());
        }
        let (token, record) = auth::new_token_record(name, role, "");
        edit(&document, |users| {
            users.tokens.push(record.clone());
            Ok(())
        })?;
        Ok(token)
    }))
}
