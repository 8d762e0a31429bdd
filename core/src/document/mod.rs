//! The hand-editable documents (`settings.json`, `rules.json`, later the catalogue): what
//! each must say ([`HandEdited`]), how its text is parsed and checked with every problem placed
//! at a line and column, and how Cocolu writes it. Pure: reading and writing the files is the
//! store's job.

mod locate;

use crate::fault::{self, Fault, FaultJson};
pub use locate::{line_col, locate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// A problem in a hand-edited file, placed where the person editing it can find it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FileProblem {
    /// The file, relative to its folder (`settings.json`, `templates/bienvenida.txt`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, in English.
    pub message: String,
    /// What is wrong, as a code and its parameters that the dashboard words in its language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultJson>,
    /// The JSON pointer of the value at fault (`/rules/2/when/text`), when a check of the
    /// document's meaning found it (forms put the message beside that field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// A document revision: a hash of the file's bytes, so the server recognises its own writes by
/// content and a save based on an older revision is refused as a conflict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Revision(pub String);

impl Revision {
    pub fn of(bytes: &[u8]) -> Revision {
        let digest = Sha256::digest(bytes);
        Revision(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A meaning problem found after parsing, at a JSON pointer such as `/rules/2/pattern`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub fault: Fault,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, fault: Fault) -> Problem {
        Problem {
            pointer: pointer.into(),
            fault,
        }
    }
}

impl FileProblem {
    /// A problem with the whole file (line 1, column 1).
    pub fn whole(file: impl Into<String>, fault: Fault) -> FileProblem {
        FileProblem {
            file: file.into(),
            line: 1,
            column: 1,
            message: fault.to_string(),
            fault: Some(fault.into()),
            pointer: None,
        }
    }
}

/// What validation may consult beyond the document itself.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Names of the templates that exist (built in or overridden).
    pub templates: BTreeSet<String>,
    /// Whether this build has the WhatsApp Web channel (a `settings.json` choosing it is
    /// refused otherwise).
    pub whatsapp_web: bool,
}

/// A document type that lives in its own hand-editable JSON file.
pub trait HandEdited: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The file name inside the data folder.
    const FILE: &'static str;
    /// The format version this build writes and understands.
    const VERSION: u32;
    /// The document a first run writes.
    fn defaults() -> Self;
    /// The version the file declares.
    fn version(&self) -> u32;
    /// Sets `$schema` and `version` before writing.
    fn stamp(&mut self, schema: String, version: u32);
    /// Meaning checks (bad regexes, duplicate ids, unknown names...).
    fn validate(&self, context: &Context) -> Vec<Problem>;
    /// Turns a document of format `from` into format `from + 1` (as JSON). Every format bump
    /// adds a step here; the default has none, since every format so far is the first.
    fn migrate(_value: &mut serde_json::Value, from: u32) -> Result<(), String> {
        Err(format!("no migration from format {from}"))
    }
}

/// The usual [`HandEdited::version`] and [`HandEdited::stamp`], for a document with `schema:
/// Option<String>` and `version: u32` fields; written inside its `impl HandEdited` block.
#[macro_export]
macro_rules! stamped_by_fields {
    () => {
        fn version(&self) -> u32 {
            self.version
        }

        fn stamp(&mut self, schema: String, version: u32) {
            self.schema = Some(schema);
            self.version = version;
        }
    };
}

/// A document text in an older format, brought to the current one: `Some((old version, new
/// text))`, or `None` when the text is current (or not JSON: parsing reports that).
pub fn migrate_text<T: HandEdited>(text: &str) -> Result<Option<(u32, String)>, String> {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Ok(None);
    };
    let Some(found) = value.get("version").and_then(serde_json::Value::as_u64) else {
        return Ok(None);
    };
    let found = u32::try_from(found).unwrap_or(u32::MAX);
    if found >= T::VERSION || found == 0 {
        return Ok(None);
    }
    for from in found..T::VERSION {
        T::migrate(&mut value, from)
            .map_err(|e| format!("{}: cannot migrate from format {from}: {e}", T::FILE))?;
        value["version"] = serde_json::Value::from(from + 1);
    }
    let mut migrated = serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?;
    migrated.push('\n');
    Ok(Some((found, migrated)))
}

/// Where the JSON Schema of a document is, relative to the document.
pub fn schema_reference<T: HandEdited>() -> String {
    format!("./schema/{}", schema_file_name::<T>())
}

/// File name of a document's schema (`settings.schema.json`).
pub fn schema_file_name<T: HandEdited>() -> String {
    format!("{}.schema.json", T::FILE.trim_end_matches(".json"))
}

/// Parses and validates a document's text; every problem is located in `text`.
pub fn parse<T: HandEdited>(
    file: &str,
    text: &str,
    context: &Context,
) -> Result<T, Vec<FileProblem>> {
    let at = |(line, column): (usize, usize), fault: Fault| FileProblem {
        file: file.to_string(),
        line,
        column,
        message: fault.to_string(),
        fault: Some(fault.into()),
        pointer: None,
    };
    let value: T = serde_json::from_str(text).map_err(|e| {
        vec![at(
            (e.line().max(1), e.column().max(1)),
            fault::of_json_error(&e),
        )]
    })?;
    if value.version() > T::VERSION {
        return Err(vec![at(
            locate(text, "/version"),
            Fault::NewerFormat {
                found: value.version(),
                known: T::VERSION,
            },
        )]);
    }
    let problems = value.validate(context);
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(problems
            .into_iter()
            .map(|p| FileProblem {
                pointer: Some(p.pointer.clone()),
                ..at(locate(text, &p.pointer), p.fault)
            })
            .collect())
    }
}

/// Serializes a document the way Cocolu writes it: pretty, stamped, ending in a newline.
pub fn render<T: HandEdited>(value: &T) -> Vec<u8> {
    let mut value = value.clone();
    value.stamp(schema_reference::<T>(), T::VERSION);
    // Serializing plain data types to JSON cannot fail.
    let mut text = serde_json::to_vec_pretty(&value).unwrap_or_default();
    text.push(b'\n');
    text
}

/// Position of a byte offset in a text, as `FileProblem` fields.
pub fn problem_at(file: &str, text: &str, offset: usize, fault: Fault) -> FileProblem {
    let (line, column) = line_col(text, offset);
    FileProblem {
        file: file.to_string(),
        line,
        column,
        message: fault.to_string(),
        fault: Some(fault.into()),
        pointer: None,
    }
}
