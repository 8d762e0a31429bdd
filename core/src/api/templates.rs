//! `/api/templates`: the reply templates as the dashboard edits them.

use crate::document::{FileProblem, Revision};
use serde::{Deserialize, Serialize};

/// A template as the dashboard shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TemplateView {
    pub name: String,
    /// The text in force.
    pub text: String,
    /// Base a save on this.
    pub revision: Revision,
    /// Cocolu ships a text under this name.
    pub builtin: bool,
    /// `templates/NAME.txt` exists (overriding the built-in text or adding a template).
    pub from_file: bool,
    /// Problems of the file on disk (the last good text stays in force meanwhile).
    #[serde(default)]
    pub problems: Vec<FileProblem>,
}

/// Where a variable's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VariableSource {
    /// The customer (`{{nombre}}`).
    Customer,
    /// The settings (`{{negocio}}`, the hours).
    Settings,
    /// A capture step's answer (`{{pedido}}`).
    Captured,
}

/// `GET /api/templates/variables`: a variable and an example of its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Variable {
    pub name: String,
    /// What it would be now (for `nombre`, an example; for captured fields, empty).
    pub example: String,
    pub source: VariableSource,
}

/// `PUT /api/templates/{name}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateSave {
    pub text: String,
    /// The revision of the text this edit started from.
    pub revision: Revision,
}

/// A template saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Saved {
    pub name: String,
    pub revision: Revision,
}
