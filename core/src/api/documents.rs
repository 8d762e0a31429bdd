//! `/api/settings` and `/api/rules`: a hand-editable document with the revision a save must be
//! based on, and the outcome of checking a draft.

use crate::document::{FileProblem, Revision};
use serde::{Deserialize, Serialize};

/// A document in force and the revision a save must be based on. The document itself is
/// under its own key (`settings` or `rules`), which is why the body is open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Versioned {
    pub revision: Revision,
    #[serde(flatten)]
    pub body: serde_json::Map<String, serde_json::Value>,
}

/// A rule as people name it (`GET /api/rules/names`): what it is for, in the owner's words
/// (its description), or its id when it has none. The inbox says which rule answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleName {
    pub id: String,
    pub name: String,
}

/// The outcome of a check: the problems a save would refuse, empty when none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Checked {
    pub problems: Vec<FileProblem>,
}

/// The other version in a 409 conflict (`details.current`), and how it differs from the one
/// the save would have written (`details.changes`, the file's lines against the save's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConflictDetails {
    pub current: OtherVersion,
    #[serde(default)]
    pub changes: Vec<ChangedLine>,
}

/// What is on disk now, to save over (its revision) or to take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct OtherVersion {
    pub revision: Revision,
    pub text: String,
}

/// One line of the differences between the file and the save: the lines that differ, with a
/// few unchanged lines around them; a run of unchanged lines left out is one `skipped` line
/// whose text is empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChangedLine {
    pub change: Change,
    pub text: String,
}

/// Where a line of a conflict's differences is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In both versions.
    Same,
    /// Only in the file on disk.
    File,
    /// Only in the version being saved.
    Mine,
    /// Unchanged lines left out.
    Skipped,
}
