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

/// The outcome of a check: the problems a save would refuse, empty when none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Checked {
    pub problems: Vec<FileProblem>,
}
