//! The templates folder: one `NAME.txt` per template, overriding the built-in `NAME` or adding
//! a new one. Any change rescans the folder (it holds a handful of small files).
//!
//! A file with problems keeps its last good text in force (or the built-in one); a deleted
//! override of a built-in template gives the built-in back; a deleted template that has no
//! built-in stays in force, with a warning, until it is saved again.

use super::document::SaveError;
use crate::telemetry::Escaped;
use cocolu_core::document::Revision;
use cocolu_core::document::{problem_at, FileProblem};
use cocolu_core::fault::Fault;
use cocolu_core::templates::{self, BUILTIN};
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The templates in force.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateState {
    /// Text of every template in force, by name.
    pub texts: BTreeMap<String, Arc<str>>,
    /// Problems of the files on disk.
    pub problems: Vec<FileProblem>,
    /// Templates whose file was deleted while no built-in exists to replace them.
    pub missing: BTreeSet<String>,
    /// Revision of each file whose text is in force.
    files: BTreeMap<String, Revision>,
}

/// What a rescan changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplatesChange {
    /// Files whose new text is now in force, or that went back to the built-in.
    pub reloaded: Vec<String>,
    /// New problems.
    pub problems: Vec<FileProblem>,
    /// Files newly found deleted (kept in force).
    pub missing: Vec<String>,
}

impl TemplatesChange {
    pub fn is_empty(&self) -> bool {
        self.reloaded.is_empty() && self.problems.is_empty() && self.missing.is_empty()
    }
}

/// The templates folder and what is in force.
pub struct TemplateStore {
    dir: PathBuf,
    state: RwLock<TemplateState>,
    writer: Mutex<()>,
}

/// Relative name used in problems and events.
pub fn display_name(name: &str) -> String {
    format!("templates/{name}.txt")
}

fn builtin_state() -> TemplateState {
    TemplateState {
        texts: BUILTIN
            .iter()
            .map(|(n, t)| (n.to_string(), Arc::from(*t)))
            .collect(),
        ..TemplateState::default()
    }
}

impl TemplateStore {
    /// Loads the built-in templates and the folder's overrides. A missing folder is fine.
    pub fn open(dir: &Path) -> TemplateStore {
        let store = TemplateStore {
            dir: dir.to_path_buf(),
            state: RwLock::new(builtin_state()),
            writer: Mutex::new(()),
        };
        let change = store.rescan();
        for problem in &change.problems {
            tracing::error!(problem = %Escaped(&problem), "template rejected; the built-in or last good text stays in force");
        }
        store
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The templates in force.
    pub fn current(&self) -> TemplateState {
        self.state.read().clone()
    }

    /// Names of every template in force.
    pub fn names(&self) -> BTreeSet<String> {
        self.state.read().texts.keys().cloned().collect()
    }

    /// The text of a template in force.
    pub fn get(&self, name: &str) -> Option<Arc<str>> {
        self.state.read().texts.get(name).cloned()
    }

    fn read_folder(&self) -> io::Result<BTreeMap<String, Result<String, FileProblem>>> {
        let mut found = BTreeMap::new();
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let path = entry?.path();
            let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let Some(name) = file.strip_suffix(".txt") else {
                continue;
            };
            if file.starts_with('.') {
                continue;
            }
            if !templates::valid_name(name) {
                found.insert(
                    name.to_string(),
                    Err(problem_at(
                        &format!("templates/{file}"),
                        "",
                        0,
                        Fault::TemplateName,
                    )),
                );
                continue;
            }
            match fs::read(&path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => found.insert(name.to_string(), Ok(text)),
                    Err(_) => found.insert(
                        name.to_string(),
                        Err(problem_at(&display_name(name), "", 0, Fault::NotUtf8)),
                    ),
                },
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => found.insert(
                    name.to_string(),
                    Err(problem_at(
                        &display_name(name),
                        "",
                        0,
                        Fault::Unreadable {
                            detail: e.to_string(),
                        },
                    )),
                ),
            };
        }
        Ok(found)
    }

    /// Re-reads the folder and puts every valid change in force (blocking).
    pub fn rescan(&self) -> TemplatesChange {
        let _guard = self.writer.lock();
        self.rescan_locked()
    }

    /// The file of template `name`.
    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.txt"))
    }

    /// Whether a built-in template has this name.
    pub fn is_builtin(name: &str) -> bool {
        BUILTIN.iter().any(|(n, _)| *n == name)
    }

    /// Whether the folder has a file for `name` (overriding or adding a template).
    pub fn has_file(&self, name: &str) -> bool {
        self.path_of(name).is_file()
    }

    /// Saves `text` as template `name`, based on the revision of the text the person started
    /// from (the text in force, or the empty text for a new template). Refuses a stale base
    /// with the other version, and a text with problems with their positions (blocking).
    pub fn save(&self, name: &str, text: &str, base: &Revision) -> Result<Revision, SaveError> {
        let file = display_name(name);
        if !templates::valid_name(name) {
            return Err(SaveError::Invalid(vec![problem_at(
                &file,
                "",
                0,
                Fault::TemplateName,
            )]));
        }
        let problems = templates::check(text);
        if !problems.is_empty() {
            return Err(SaveError::Invalid(
                problems
                    .into_iter()
                    .map(|(at, fault)| problem_at(&file, text, at, fault))
                    .collect(),
            ));
        }
        let _guard = self.writer.lock();
        let path = self.path_of(name);
        let on_disk = match fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let current_text = on_disk
            .or_else(|| self.get(name).map(|t| t.to_string()))
            .unwrap_or_default();
        let current = Revision::of(current_text.as_bytes());
        if &current != base {
            return Err(SaveError::Conflict {
                base: base.clone(),
                current,
                current_text,
                mine_text: text.to_string(),
            });
        }
        super::create_private_dir(&self.dir)?;
        super::atomic::write_atomic(&path, text.as_bytes(), 0o644)?;
        self.rescan_locked();
        Ok(Revision::of(text.as_bytes()))
    }

    /// Removes the file overriding a built-in template, so the built-in text is in force
    /// again (blocking). `Ok(false)` when there was no file.
    pub fn restore_builtin(&self, name: &str) -> io::Result<bool> {
        let _guard = self.writer.lock();
        let removed = match fs::remove_file(self.path_of(name)) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        self.rescan_locked();
        Ok(removed)
    }

    fn rescan_locked(&self) -> TemplatesChange {
        let before = self.state.read().clone();
        let found = match self.read_folder() {
            Ok(found) => found,
            Err(error) => {
                let problem = FileProblem::whole(
                    "templates/",
                    Fault::Unreadable {
                        detail: error.to_string(),
                    },
                );
                let mut state = self.state.write();
                let fresh = state.problems != vec![problem.clone()];
                state.problems = vec![problem.clone()];
                return TemplatesChange {
                    problems: if fresh { vec![problem] } else { Vec::new() },
                    ..TemplatesChange::default()
                };
            }
        };
        let mut next = builtin_state();
        for (name, content) in &found {
            let text = match content {
                Ok(text) => text,
                Err(problem) => {
                    next.problems.push(problem.clone());
                    if let (Some(text), Some(rev)) =
                        (before.texts.get(name), before.files.get(name))
                    {
                        next.texts.insert(name.clone(), text.clone());
                        next.files.insert(name.clone(), rev.clone());
                    }
                    continue;
                }
            };
            let problems = templates::check(text);
            if problems.is_empty() {
                next.texts.insert(name.clone(), Arc::from(text.as_str()));
                next.files
                    .insert(name.clone(), Revision::of(text.as_bytes()));
            } else {
                let file = display_name(name);
                next.problems.extend(
                    problems
                        .into_iter()
                        .map(|(at, msg)| problem_at(&file, text, at, msg)),
                );
                if let (Some(text), Some(rev)) = (before.texts.get(name), before.files.get(name)) {
                    next.texts.insert(name.clone(), text.clone());
                    next.files.insert(name.clone(), rev.clone());
                }
            }
        }
        for (name, revision) in &before.files {
            if found.contains_key(name)
                || (next.texts.contains_key(name) && BUILTIN.iter().any(|(n, _)| n == name))
            {
                continue;
            }
            if let Some(text) = before.texts.get(name) {
                next.texts.insert(name.clone(), text.clone());
                next.files.insert(name.clone(), revision.clone());
                next.missing.insert(name.clone());
            }
        }

        let mut change = TemplatesChange::default();
        let names: BTreeSet<&String> = before.texts.keys().chain(next.texts.keys()).collect();
        for name in names {
            if before.texts.get(name) != next.texts.get(name)
                || (before.missing.contains(name) && !next.missing.contains(name))
            {
                change.reloaded.push(display_name(name));
            }
        }
        change.problems = next
            .problems
            .iter()
            .filter(|p| !before.problems.contains(p))
            .cloned()
            .collect();
        change.missing = next
            .missing
            .difference(&before.missing)
            .map(|n| display_name(n))
            .collect();
        *self.state.write() = next;
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_folder_the_builtin_templates_are_in_force() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = TemplateStore::open(&dir.path().join("none"));
        assert_eq!(store.names().len(), BUILTIN.len());
        assert!(store.current().problems.is_empty());
    }

    #[test]
    fn a_file_overrides_a_builtin_and_adds_new_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("bienvenida.txt"), "Hola desde el archivo").expect("write");
        fs::write(dir.path().join("precios.txt"), "Precios: {{lista}}").expect("write");
        fs::write(dir.path().join(".bienvenida.txt.swp"), "swap").expect("write");
        fs::write(dir.path().join("notas.md"), "not a template").expect("write");
        let store = TemplateStore::open(dir.path());
        assert_eq!(
            store.get("bienvenida").as_deref(),
            Some("Hola desde el archivo")
        );
        assert_eq!(store.get("precios").as_deref(), Some("Precios: {{lista}}"));
        assert!(store.get("notas").is_none());
    }

    #[test]
    fn a_broken_edit_keeps_the_last_good_text_and_is_located() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("precios.txt");
        fs::write(&file, "Precios: {{lista}}").expect("write");
        let store = TemplateStore::open(dir.path());
        fs::write(&file, "Precios:\n  {{lista").expect("write");

        let change = store.rescan();

        assert_eq!(store.get("precios").as_deref(), Some("Precios: {{lista}}"));
        assert_eq!(change.problems.len(), 1);
        assert_eq!((change.problems[0].line, change.problems[0].column), (2, 3));
        assert!(
            store.rescan().is_empty(),
            "the same problem is reported once"
        );
    }

    #[test]
    fn deleting_an_override_gives_the_builtin_back_but_a_custom_template_stays() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("bienvenida.txt"), "Otra bienvenida").expect("write");
        fs::write(dir.path().join("ofertas.txt"), "Ofertas").expect("write");
        let store = TemplateStore::open(dir.path());
        fs::remove_file(dir.path().join("bienvenida.txt")).expect("rm");
        fs::remove_file(dir.path().join("ofertas.txt")).expect("rm");

        let change = store.rescan();

        let builtin = BUILTIN
            .iter()
            .find(|(n, _)| *n == "bienvenida")
            .map(|(_, t)| *t);
        assert_eq!(store.get("bienvenida").as_deref(), builtin);
        assert_eq!(store.get("ofertas").as_deref(), Some("Ofertas"));
        assert_eq!(change.missing, vec!["templates/ofertas.txt".to_string()]);
        assert_eq!(
            change.reloaded,
            vec!["templates/bienvenida.txt".to_string()]
        );
    }
}
